"""The report's figures, drawn with matplotlib (Agg) and returned as PNG bytes.

Each figure stays readable for a 1,000-op model: layers and op kinds are aggregated, small parts are grouped,
and ranges that span decades use log scales.
"""
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

# One colour per part of the time, the same in every figure.
PART_COLOURS = {
    "compute": "#3b6fb6",
    "vector": "#6ab04c",
    "token unit": "#e58e26",
    "DRAM stall": "#c0392b",
    "other stalls": "#95a5a6",
}
VECTOR_KINDS = {"softmax", "layernorm", "rmsnorm", "gelu", "residual", "eltwise"}
plt.rcParams.update({"font.size": 9, "axes.spines.top": False, "axes.spines.right": False})


def _png(fig):
    buf = io.BytesIO()
    # No software or date metadata: the same report gives the same bytes.
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def time_parts(op):
    """An op's cycles split into the parts the report shows (they sum to the op's cycles)."""
    stalls = op.get("stall_cycles", {})
    cycles = float(op["cycles"])
    if op["kind"] in ("load", "store"):
        return {"DRAM stall": cycles}
    dram = float(stalls.get("memory", 0) + stalls.get("writeback", 0))
    other = float(stalls.get("buffer_ports", 0) + stalls.get("weight_banks", 0))
    token_wait = float(stalls.get("token_unit", 0))
    busy = max(0.0, cycles - dram - other - (token_wait if op["kind"] != "token_prune" else 0.0))
    if op["kind"] == "token_prune":
        part = "token unit"
    elif op["kind"] in VECTOR_KINDS:
        part = "vector"
    else:
        part = "compute"
    out = {part: busy, "DRAM stall": dram, "other stalls": other}
    if op["kind"] != "token_prune":
        out["token unit"] = out.get("token unit", 0.0) + token_wait
    return out


def layer_label(layer):
    return "pre/post" if layer < 0 else str(layer)


def per_layer_time(report):
    ops = report["ops"]
    layers = sorted({op["layer"] for op in ops})
    parts = {p: [0.0] * len(layers) for p in PART_COLOURS}
    at = {l: i for i, l in enumerate(layers)}
    for op in ops:
        for p, c in time_parts(op).items():
            parts[p][at[op["layer"]]] += c
    fig, ax = plt.subplots(figsize=(8, 3.4))
    bottom = [0.0] * len(layers)
    x = list(range(len(layers)))
    for p, values in parts.items():
        if not any(values):
            continue
        ax.bar(x, values, bottom=bottom, color=PART_COLOURS[p], label=p, width=0.8)
        bottom = [b + v for b, v in zip(bottom, values)]
    ax.set_xticks(x)
    ax.set_xticklabels([layer_label(l) for l in layers], rotation=0 if len(layers) <= 30 else 90)
    if len(layers) > 40:
        ax.xaxis.set_major_locator(MaxNLocator(20, integer=True))
    ax.set_xlabel("layer")
    ax.set_ylabel("cycles")
    ax.legend(ncol=5, fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.08), frameon=False)
    ax.set_title("Where the cycles go, per layer", pad=24)
    return _png(fig)


def per_kind_time(report):
    totals = {}
    for op in report["ops"]:
        d = totals.setdefault(op["kind"], {p: 0.0 for p in PART_COLOURS})
        for p, c in time_parts(op).items():
            d[p] += c
    kinds = sorted(totals, key=lambda k: -sum(totals[k].values()))
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(kinds) + 1.0))
    left = [0.0] * len(kinds)
    for p in PART_COLOURS:
        values = [totals[k][p] for k in kinds]
        if not any(values):
            continue
        ax.barh(kinds, values, left=left, color=PART_COLOURS[p], label=p)
        left = [a + b for a, b in zip(left, values)]
    ax.invert_yaxis()
    ax.set_xlabel("cycles")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("Cycles per op kind")
    return _png(fig)


def roofline(report):
    """Every op with MACs: arithmetic intensity (ops per DRAM byte) against achieved ops per cycle, under
    the design's compute roof (2 x peak MACs per cycle) and DRAM roof (peak bytes per cycle x intensity)."""
    peak_ops = 2.0 * float(report["compute"]["peak_macs_per_cycle"])
    dram_bpc = float(report["latency"].get("dram_peak_bytes_per_cycle", 0) or 0)
    pts = []
    for op in report["ops"]:
        if op["macs"] <= 0 or op["cycles"] <= 0:
            continue
        ops = 2.0 * op["macs"]
        intensity = ops / op["ddr_bytes"] if op["ddr_bytes"] > 0 else None
        pts.append((intensity, ops / op["cycles"], op["kind"]))
    fig, ax = plt.subplots(figsize=(7, 4))
    finite = [p[0] for p in pts if p[0] is not None]
    hi = max(finite) * 4 if finite else 1e4
    lo = min(finite) / 4 if finite else 1.0
    no_dram_x = hi  # ops that read nothing from DRAM sit at the right edge
    if dram_bpc > 0:
        knee = peak_ops / dram_bpc
        xs = [min(lo, knee / 10), knee, max(hi, knee * 10)]
        ax.plot(xs, [min(peak_ops, x * dram_bpc) for x in xs], color="black", lw=1.2,
                label="roofs: DRAM %.0f B/cycle, compute %.0f ops/cycle" % (dram_bpc, peak_ops))
    else:
        ax.axhline(peak_ops, color="black", lw=1.2, label="compute roof %.0f ops/cycle" % peak_ops)
    kinds = sorted({p[2] for p in pts})
    markers = {"gemm": "o", "matmul": "s"}
    for k in kinds:
        sel = [p for p in pts if p[2] == k]
        ax.scatter([p[0] if p[0] is not None else no_dram_x for p in sel], [p[1] for p in sel], s=14,
                   alpha=0.6, marker=markers.get(k, "^"), label="%s (%d ops)" % (k, len(sel)))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (ops per DRAM byte; right edge: no DRAM bytes)")
    ax.set_ylabel("achieved ops per cycle")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("Roofline of every op with MACs")
    return _png(fig)


def _timeline(report, series):
    """The report's timeline, its interval (us) and each interval's start time, or None without `series`."""
    t = report.get("timeline")
    if not t or not t.get(series):
        return None
    iv = float(t["interval_us"])
    return t, iv, [i * iv for i in range(len(t[series]))]


def dram_over_time(report):
    timeline = _timeline(report, "ddr_read_bytes")
    if timeline is None:
        return None
    t, iv, xs = timeline
    to_gbs = 1.0 / (iv * 1e3)  # bytes per interval -> GB/s
    reads = [b * to_gbs for b in t["ddr_read_bytes"]]
    writes = [b * to_gbs for b in t["ddr_write_bytes"]]
    fig, ax = plt.subplots(figsize=(8, 2.8))
    ax.fill_between(xs, reads, step="post", alpha=0.8, label="read", color="#3b6fb6", linewidth=0)
    ax.fill_between(xs, [r + w for r, w in zip(reads, writes)], reads, step="post", alpha=0.8, label="write",
                    color="#e58e26", linewidth=0)
    peak = float(report["latency"].get("dram_peak_bytes_per_cycle", 0) or 0) * float(
        report["latency"]["clock_mhz"]) / 1e3
    if peak > 0:
        ax.axhline(peak, color="black", lw=1, ls="--", label="peak %.1f GB/s" % peak)
    ax.set_xlabel("time (us; intervals of %.3g us)" % iv)
    ax.set_ylabel("GB/s")
    ax.legend(fontsize=8, loc="upper right")
    ax.set_title("DRAM bandwidth over time")
    return _png(fig)


def weight_buffer_over_time(report):
    timeline = _timeline(report, "weight_buffer_bytes_max")
    if timeline is None:
        return None
    t, _, xs = timeline
    held = t["weight_buffer_bytes_max"]
    cap = float(t.get("weight_buffer_capacity_bytes") or 0)
    fig, ax = plt.subplots(figsize=(8, 2.4))
    ax.fill_between(xs, [h / 1024.0 for h in held], step="post", color="#6ab04c", alpha=0.8, linewidth=0,
                    label="weight bytes held (highest per interval)")
    if cap > 0:
        ax.axhline(cap / 1024.0, color="black", lw=1, ls="--", label="capacity %.0f KiB" % (cap / 1024.0))
    ax.set_xlabel("time (us)")
    ax.set_ylabel("KiB")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8, loc="upper right")
    ax.set_title("Weight buffer occupancy over time (fetched from DRAM, not yet used up)")
    return _png(fig)


def tokens_per_layer(report):
    """Tokens each layer's MLP sees: the trace's sequence, then what each token-pruning step keeps."""
    steps = {op["layer"]: op["tokens"] for op in report["ops"] if op["kind"] == "token_prune" and op.get("tokens")}
    if not steps:
        return None
    header = report["workload"].get("header") or {}
    layers = sorted({op["layer"] for op in report["ops"] if op["layer"] >= 0})
    try:
        alive = int(header.get("seq", 0))
    except ValueError:
        alive = 0
    ys = []
    for l in layers:
        alive = steps.get(l, alive)
        ys.append(alive)
    fig, ax = plt.subplots(figsize=(8, 2.6))
    ax.bar(layers, ys, color="#3b6fb6", width=0.7)
    for l, y in zip(layers, ys):
        ax.text(l, y, str(y), ha="center", va="bottom", fontsize=7)
    ax.set_xlabel("layer (pruning steps at %s)" % ", ".join(str(l) for l in sorted(steps)))
    ax.set_ylabel("tokens")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title("Tokens entering each layer's MLP (token pruning)")
    return _png(fig)


def kept_per_kind(report):
    kinds = report.get("pruning") or []
    if not kinds:
        return None
    names = [k["kind"] for k in kinds]
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(names) + 1.0))
    structural = [k["weights_after_structural"] / k["dense_weights"] if k["dense_weights"] else 0 for k in kinds]
    kept = [k["kept_fraction"] for k in kinds]
    ax.barh(names, structural, color="#cfd8e3", label="left by head/neuron pruning")
    ax.barh(names, kept, color="#3b6fb6", label="weights kept")
    for i, v in enumerate(kept):
        ax.text(min(v, 1.0) + 0.01, i, "%.1f %%" % (100 * v), va="center", fontsize=8)
    ax.set_xlim(0, 1.12)
    ax.invert_yaxis()
    ax.set_xlabel("fraction of the dense weights")
    ax.legend(fontsize=8, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.22), frameon=False)
    ax.set_title("Kept fraction per matrix kind")
    return _png(fig)


def energy_breakdown(report):
    parts = report["energy"]["breakdown_mj"]
    names = [k for k in ("static", "pe", "onchip", "ddr", "vector") if k in parts] + sorted(
        k for k in parts if k not in ("static", "pe", "onchip", "ddr", "vector"))
    values = [float(parts[k]) for k in names]
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(names) + 1.0))
    colours = ["#95a5a6" if n == "static" else "#3b6fb6" for n in names]
    ax.barh(names, values, color=colours)
    total = sum(values) or 1.0
    for i, v in enumerate(values):
        ax.text(v, i, "  %.4g mJ (%.1f %%)" % (v, 100 * v / total), va="center", fontsize=8)
    if max(values) > 0 and min(v for v in values if v > 0) < max(values) / 100:
        ax.set_xscale("log")
    ax.invert_yaxis()
    ax.set_xlabel("mJ per inference (grey: static)")
    ax.set_title("Energy by component")
    return _png(fig)


def power_over_time(report):
    """Power per interval (energy.power_over_time), static shown apart; None for reports without it."""
    p = report["energy"].get("power_over_time")
    if not p or not p.get("total_w"):
        return None
    iv = float(p["interval_us"])
    watts = [float(w) for w in p["total_w"]]
    xs = [i * iv for i in range(len(watts))]
    static = float(report["energy"].get("power_w", {}).get("static", 0))
    fig, ax = plt.subplots(figsize=(8, 2.6))
    ax.fill_between(xs, watts, static, step="post", color="#3b6fb6", alpha=0.8, linewidth=0, label="dynamic")
    ax.fill_between(xs, static, step="post", color="#95a5a6", alpha=0.8, linewidth=0, label="static")
    avg = float(report["energy"].get("power_w", {}).get("average", 0))
    if avg > 0:
        ax.axhline(avg, color="black", lw=1, ls="--", label="average %.3g W" % avg)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("time (us; intervals of %.3g us)" % iv)
    ax.set_ylabel("W")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("Power over time")
    return _png(fig)


def layer_delta(report, baseline):
    a = {l["layer"]: l["cycles"] for l in baseline["layers"]}
    b = {l["layer"]: l["cycles"] for l in report["layers"]}
    layers = sorted(set(a) | set(b))
    ms_a = 1e-3 / float(baseline["latency"]["clock_mhz"])
    ms_b = 1e-3 / float(report["latency"]["clock_mhz"])
    delta = [b.get(l, 0) * ms_b - a.get(l, 0) * ms_a for l in layers]
    fig, ax = plt.subplots(figsize=(8, 2.8))
    ax.bar(range(len(layers)), delta, color=["#c0392b" if d > 0 else "#6ab04c" for d in delta])
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(range(len(layers)))
    ax.set_xticklabels([layer_label(l) for l in layers], rotation=0 if len(layers) <= 30 else 90)
    ax.set_xlabel("layer")
    ax.set_ylabel("ms (this - baseline)")
    ax.set_title("Per-layer latency difference (red: slower than the baseline)")
    return _png(fig)


def design_space(rows, chosen_index=None, title="Design space"):
    ok = [r for r in rows if r.get("status") == "ok" and r.get("metrics")]
    if not ok:
        return None
    lat = [r["metrics"]["latency_ms"] for r in ok]
    en = [r["metrics"]["energy_mj"] for r in ok]
    dsp = [float(r["metrics"].get("dsp") or 0) for r in ok]
    top = max(dsp) or 1.0
    sizes = [12 + 100 * d / top for d in dsp]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    sc = ax.scatter(lat, en, s=sizes, c=dsp, cmap="viridis", alpha=0.7, zorder=2)
    fig.colorbar(sc, ax=ax, label="DSPs (marker size too)")
    front = sorted((r for r in ok if r.get("pareto")), key=lambda r: r["metrics"]["latency_ms"])
    if front:
        # Rings, not a line: the front is over three objectives, so its points need not form a curve here.
        ax.scatter([r["metrics"]["latency_ms"] for r in front], [r["metrics"]["energy_mj"] for r in front],
                   s=[12 + 100 * float(r["metrics"].get("dsp") or 0) / top + 60 for r in front], facecolors="none",
                   edgecolors="red", linewidths=1.3, zorder=3, label="Pareto front (latency, energy, DSPs)")
    chosen = [r for r in ok if r["index"] == chosen_index]
    if chosen:
        ax.scatter([chosen[0]["metrics"]["latency_ms"]], [chosen[0]["metrics"]["energy_mj"]], marker="*", s=260,
                   color="gold", edgecolors="black", zorder=4, label="chosen point")
    if max(lat) / max(min(lat), 1e-12) > 30:
        ax.set_xscale("log")
    if max(en) / max(min(en), 1e-12) > 30:
        ax.set_yscale("log")
    ax.set_xlabel("latency (ms)")
    ax.set_ylabel("energy (mJ)")
    ax.legend(fontsize=8)
    ax.set_title("%s: %d points" % (title, len(ok)))
    return _png(fig)


def sweep_scatter(rows, x="latency_ms", y="energy_mj", color="dsp", fmt="png"):
    """Any two sweep metrics against each other, coloured by a third, the Pareto front ringed (the plot
    tools/plot_sweep.py draws). Returns the image bytes in `fmt` (png or svg)."""
    ok = [r for r in rows if r.get("status") == "ok" and r.get("metrics")]
    if not ok:
        raise ValueError("no successful points to plot")
    for key in (x, y, color):
        if key not in ok[0]["metrics"]:
            raise ValueError("unknown metric '%s'; available: %s" % (key, ", ".join(sorted(ok[0]["metrics"]))))
    fig, ax = plt.subplots(figsize=(7, 5))
    sc = ax.scatter([r["metrics"][x] for r in ok], [r["metrics"][y] for r in ok],
                    c=[float(r["metrics"][color] or 0) for r in ok], cmap="viridis", s=30, zorder=2)
    fig.colorbar(sc, ax=ax, label=color)
    front = [r for r in ok if r.get("pareto")]
    if front:
        ax.scatter([r["metrics"][x] for r in front], [r["metrics"][y] for r in front], s=90, facecolors="none",
                   edgecolors="red", linewidths=1.5, zorder=3, label="Pareto front (latency, energy, DSPs)")
        ax.legend()
    failed = len(rows) - len(ok)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title("%d points%s" % (len(rows), ", %d failed" % failed if failed else ""))
    ax.grid(True, alpha=0.3)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=120, bbox_inches="tight", metadata={"Software": None} if fmt == "png" else {})
    plt.close(fig)
    return buf.getvalue()
