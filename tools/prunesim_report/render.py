"""Gathers what each section shows from the reports and renders it with Jinja2 (HTML or Markdown)."""
import base64
import os

import jinja2

from prunesim_report import plots

SECTIONS = [
    ("summary", "Summary"),
    ("time", "Where time goes"),
    ("memory", "Memory"),
    ("pruning", "Pruning"),
    ("energy", "Energy and power"),
    ("baseline", "Against the baseline"),
    ("design-space", "Design space"),
    ("reproduce", "Reproduce"),
]


def _num(v, digits=4):
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int) or (isinstance(v, float) and v.is_integer() and abs(v) >= 1000):
        return "{:,}".format(int(v))
    return "{:.{d}g}".format(float(v), d=digits)


def _header(report, key):
    return (report["workload"].get("header") or {}).get(key)


def summary(report):
    cfg = report["config"]
    lat_ms = float(report["latency"]["ms"])
    batch = float(cfg.get("workload.batch", 1) or 1)
    energy = float(report["energy"]["total_mj"])
    static = float(report["energy"]["breakdown_mj"].get("static", 0))
    headline = [
        ("latency", "%s ms" % _num(lat_ms), "%s cycles at %s MHz" % (_num(report["latency"]["cycles"]),
                                                                    _num(report["latency"]["clock_mhz"]))),
        ("throughput", "%s inferences/s" % _num(1e3 * batch / lat_ms if lat_ms else 0), "batch %d" % batch),
        ("energy", "%s mJ" % _num(energy), "%s mJ static, %s mJ dynamic" % (_num(static),
                                                                            _num(energy - static))),
        ("average power", "%s W" % _num(energy / lat_ms if lat_ms else 0), "energy / latency"),
        ("compute", "%s GOPS" % _num(report["compute"].get("gops_performed")),
         "%s GOPS dense-equivalent, utilisation %s %%" % (
             _num(report["compute"].get("gops_dense_equivalent")),
             _num(100 * float(report["compute"]["utilization"]), 3))),
        ("roofline bound", "%s cycles" % _num(report["latency"]["roofline_cycles"]),
         "the run takes %.2fx its bound" % (float(report["latency"]["cycles"]) /
                                            max(1.0, float(report["latency"]["roofline_cycles"])))),
    ]
    resources = []
    for name, label in (("dsp", "DSP"), ("bram36", "BRAM36"), ("uram", "URAM288"), ("m10k", "M10K"),
                        ("lut_engine_estimate", "LUT (engine estimate)")):
        r = report["resources"].get(name)
        if not r or not r.get("available"):
            continue
        resources.append({"name": label, "used": r["used"], "available": r["available"],
                          "percent": 100.0 * r["used"] / r["available"]})
    fidelity = []
    for key, label in (("fidelity_rel_error", "relative error against the dense model"),
                       ("fidelity_top1_agreement", "top-1 agreement with the dense model")):
        v = _header(report, key)
        if v is not None:
            fidelity.append((label, v))
    design = "%s; %sx%s PE array at %s MHz; buffers: activations %s, weights %s, outputs %s" % (
        report["compute"]["engine"], cfg.get("pe.rows"), cfg.get("pe.cols"), cfg.get("clock.mhz"),
        _buffer(cfg, "act"), _buffer(cfg, "weight"), _buffer(cfg, "out"))
    return {
        "model": report["workload"].get("model"),
        "trace": report["workload"].get("trace"),
        # An imported ONNX graph's generically costed ops and import assumptions belong beside the recipe.
        "recipe": [(k, _header(report, k)) for k in ("pruning", "quant", "token_policy", "onnx_unmapped", "onnx_notes")
                   if _header(report, k)],
        "device": cfg.get("device.part"),
        "design": design,
        "fitted": sorted((report.get("fitted_to_device") or {}).items()),
        "headline": headline,
        "resources": resources,
        "fits": report["resources"].get("fits"),
        "fidelity": fidelity,
    }


def _buffer(cfg, which):
    b = int(cfg.get("buffer.%s.bytes" % which, 0) or 0)
    size = "%d KiB" % (b // 1024) if b < (1 << 20) else "%g MiB" % (b / float(1 << 20))
    return "%s %s x%s banks" % (size, cfg.get("buffer.%s.kind" % which), cfg.get("buffer.%s.banks" % which))


def memory(report):
    d = report.get("dram", {})
    t = report["traffic"]
    accesses = (d.get("reads", 0) or 0) + (d.get("writes", 0) or 0)
    cfg = report["config"]
    return {
        "rows": [
            ("DRAM read", "%s bytes" % _num(t["ddr_read_bytes"])),
            ("DRAM written", "%s bytes" % _num(t["ddr_write_bytes"])),
            ("row-hit rate", "%s %% (%s hits, %s misses, %s conflicts of %s bursts)" % (
                _num(100 * float(d.get("row_hit_rate", 0)), 4), _num(d.get("row_hits")), _num(d.get("row_misses")),
                _num(d.get("row_conflicts")), _num(accesses))),
            ("activates / refreshes", "%s / %s" % (_num(d.get("activates")), _num(d.get("refreshes")))),
            ("on-chip read / written", "%s / %s bytes" % (_num(t["onchip_read_bytes"]),
                                                          _num(t["onchip_write_bytes"]))),
            ("DRAM", "%s x%s channels" % (cfg.get("ddr.preset"), cfg.get("ddr.channels"))),
        ],
        "buffers": [{"name": n, "kind": cfg.get("buffer.%s.kind" % n), "bytes": _num(int(
            cfg.get("buffer.%s.bytes" % n, 0) or 0)), "banks": cfg.get("buffer.%s.banks" % n),
            "double": cfg.get("buffer.%s.double_buffered" % n)} for n in ("act", "weight", "out")],
    }


def pruning(report):
    kinds = report.get("pruning") or []
    dense_macs = report["compute"].get("dense_macs")
    macs = report["compute"]["macs"]
    dense_bytes = sum(k["dense_bytes"] for k in kinds)
    stored = sum(k["stored_bytes"] for k in kinds)
    return {
        "kinds": kinds,
        "before_after": [
            ("MACs", _num(dense_macs), _num(macs), _ratio(macs, dense_macs)),
            ("MACs issued (zeros the engine could not skip included)", _num(dense_macs),
             _num(report["compute"].get("issued_macs")), _ratio(report["compute"].get("issued_macs"), dense_macs)),
            ("weight bytes (at the stored precision)", _num(dense_bytes), _num(stored), _ratio(stored, dense_bytes)),
        ],
        "exploits": report.get("sparsity") or [],
    }


def _ratio(a, b):
    return "%.1f %%" % (100.0 * float(a) / float(b)) if a is not None and b else "-"


def energy(report):
    parts = report["energy"]["breakdown_mj"]
    total = float(report["energy"]["total_mj"]) or 1.0
    lat = float(report["latency"]["ms"]) or 1.0
    rows = [(k, parts[k], 100 * float(parts[k]) / total, float(parts[k]) / lat) for k in parts]
    static = float(parts.get("static", 0))
    power = report["energy"].get("power_w", {})
    gops = report["energy"].get("gops_per_w", {})
    return {"rows": rows, "static": static, "dynamic": total - static, "total": total,
            "static_w": static / lat, "dynamic_w": (total - static) / lat, "peak_w": power.get("peak"),
            "gops_per_w": gops.get("performed"), "gops_per_w_dense": gops.get("dense_equivalent"),
            "model": "per-event table [energy] plus static power device.static_power_w (%s W)" %
                     report["config"].get("device.static_power_w")}


# The sections whose every number is compared with the baseline's (nested keys flattened: energy.breakdown_mj.pe).
COMPARED_SECTIONS = ["latency", "energy", "compute", "traffic", "dram", "resources"]


def _numbers(d, prefix=""):
    out = []
    for k in sorted(d):
        v = d[k]
        if isinstance(v, dict):
            out += _numbers(v, prefix + k + ".")
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out.append((prefix + k, v))
    return out


def _get(d, path):
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d


def against(report, baseline):
    rows = []
    for section in COMPARED_SECTIONS:
        names = dict(_numbers(baseline.get(section) or {}, section + "."))
        names.update(dict(_numbers(report.get(section) or {}, section + ".")))
        for name in sorted(names):
            path = name.split(".")
            a, b = _get(baseline, path), _get(report, path)
            delta = "-"
            if isinstance(a, (int, float)) and isinstance(b, (int, float)):
                delta = "%+.2f %%" % (100.0 * (b - a) / a) if a else ("0" if b == a else "new")
            rows.append((name, _num(a), _num(b), delta))
    ca, cb = baseline["config"], report["config"]
    keys = [(k, ca.get(k), cb.get(k)) for k in sorted(set(ca) | set(cb)) if ca.get(k) != cb.get(k)]
    same_trace = baseline["workload"].get("trace_sha256") == report["workload"].get("trace_sha256")
    return {"rows": rows, "keys": keys, "same_trace": same_trace}


def front_table(rows):
    front = sorted((r for r in rows if r.get("status") == "ok" and r.get("pareto")),
                   key=lambda r: r["metrics"]["latency_ms"])
    out = []
    for r in front:
        swept = ", ".join("%s=%s" % kv for kv in sorted((r.get("swept") or {}).items()))
        m = r["metrics"]
        out.append((r["index"], swept, _num(m["latency_ms"]), _num(m["energy_mj"]), _num(m.get("dsp"))))
    return out


def build(report, baseline=None, sweep=None, explore=None, explore_rows=None):
    """Every section's data and figures (figures as PNG bytes by name)."""
    figs = {
        "layers": plots.per_layer_time(report),
        "kinds": plots.per_kind_time(report),
        "roofline": plots.roofline(report),
        "dram": plots.dram_over_time(report),
        "weight_buffer": plots.weight_buffer_over_time(report),
        "tokens": plots.tokens_per_layer(report),
        "kept": plots.kept_per_kind(report),
        "energy": plots.energy_breakdown(report),
        "power": plots.power_over_time(report),
    }
    ctx = {
        "sections": SECTIONS,
        "summary": summary(report),
        "memory": memory(report),
        "pruning": pruning(report),
        "energy": energy(report),
        "version": report["prunesim_version"],
        "command_line": report.get("command_line") or "(not recorded: the report predates it)",
        "trace_sha256": report["workload"].get("trace_sha256"),
        "config": sorted(report["config"].items()),
        "baseline": None,
        "spaces": [],
        "timeline_interval": (report.get("timeline") or {}).get("interval_us"),
    }
    if baseline is not None:
        ctx["baseline"] = against(report, baseline)
        figs["layer_delta"] = plots.layer_delta(report, baseline)
    if sweep is not None:
        figs["sweep"] = plots.design_space(sweep, None, "Sweep")
        ctx["spaces"].append({"name": "Sweep", "figure": "sweep", "front": front_table(sweep), "chosen": None})
    if explore is not None:
        answer = explore.get("answer") or {}
        chosen = answer.get("index")
        figs["explore"] = plots.design_space(explore_rows or [], chosen, "Explore")
        label = None
        if answer:
            label = "%s, design %s, recipe %s: %s ms, %s mJ" % (
                answer.get("device"), answer.get("design"), answer.get("recipe"), _num(answer.get("latency_ms")),
                _num(answer.get("energy_mj")))
        ctx["spaces"].append({"name": "Explore (objective %s)" % explore.get("objective"), "figure": "explore",
                              "front": front_table(explore_rows or []),
                              "chosen": label or "no point met the constraints"})
    return ctx, {k: v for k, v in figs.items() if v is not None}


def _env():
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(here), autoescape=jinja2.select_autoescape(["html"]),
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = _num
    return env


def render_html(ctx, figs):
    images = {k: "data:image/png;base64," + base64.b64encode(v).decode("ascii") for k, v in figs.items()}
    return _env().get_template("report.html.j2").render(images=images, **ctx)


def render_markdown(ctx, figs, image_dir, image_prefix):
    os.makedirs(image_dir, exist_ok=True)
    images = {}
    for k, v in figs.items():
        name = "%s.png" % k
        with open(os.path.join(image_dir, name), "wb") as f:
            f.write(v)
        images[k] = "%s/%s" % (image_prefix, name)
    return _env().get_template("report.md.j2").render(images=images, **ctx)
