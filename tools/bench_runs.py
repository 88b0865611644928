#!/usr/bin/python3
"""Whole-run benchmarks of `prunesim run`.

Each case runs several times pinned to one core; the report gives the median wall time, simulated cycles
per wall second, DRAM requests per wall second and peak RSS, checks them against the targets, and writes
JSON plus a Markdown table. `--scaling` adds the scaling curves (BERT-base over sequence length, GPT-2
over decode length) so wall time can be compared with the work (DRAM requests) it grows with.
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

CASES = [
    # name, run arguments, wall-time target (s) or None
    ("DeiT-Small default", [], 0.3),
    ("BERT-base seq 128", ["--model", "bert-base", "--seq", "128", "--tokens", "none"], None),
    ("BERT-base seq 512", ["--model", "bert-base", "--seq", "512", "--tokens", "none"], 1.0),
    ("GPT-2 prefill 1024", ["--model", "gpt2", "--seq", "1024", "--tokens", "none"], None),
    ("GPT-2 medium 512 + 128 decode", ["--model", "gpt2-medium", "--seq", "512", "--decode", "128", "--tokens", "none"], 1.0),  # #20 goal
    ("GRU (2 x 256, 100 steps)", ["--model", "gru", "--tokens", "none"], None),
    ("DeiT-Small on the MPCA (block_pe)", ["--config", "configs/examples/deit-small-mpca.ini"], 0.3),
    ("GRU on the DE1-SoC (mv)", ["--config", "configs/devices/de1-soc.ini", "--config", "configs/examples/gru-de1soc.ini"], None),
    ("BERT-base seq 128 unstructured 0.2", ["--model", "bert-base", "--seq", "128", "--tokens", "none", "--prune", "all=unstructured:0.2"], 1.0),
]
RSS_TARGET_MB = 300.0
# `prunesim ddr` on request files, whole process (parse, simulate, report): name, requests, line maker, target
# in requests per wall second (#20: >= 5 M/s on sequential traces).
DDR_CASES = [
    ("ddr 5 M sequential reads", 5_000_000, lambda i: "0 R %x\n" % (i * 64), 5e6),
    ("ddr 1 M random reads, 10 ns apart", 1_000_000,
     lambda i: "%d R %x\n" % (10 * (i + 1), (i * 2654435761 % (1 << 27)) * 64), None),
]

# `prunesim explore` on a 1,000-point space (#14: under a minute on 2 cores): 5 shipped devices x 2 array
# sizes x 10 densities x 2 quantizations x 5 token keep ratios, DeiT-Small under a 4 ms LC, 2 worker processes.
EXPLORE_CASES = [
    ("explore DeiT-Small, 1,000 points, -j 2",
     ["--model", "deit-small", "--latency-ms", "4", "--rungs", "2", "--prune-grid", "all=block:16x16:{0.1:1:0.1}",
      "--quant-grid", "int8,int16", "--keep-grid", "0.5,0.6,0.7,0.8,0.9", "-j", "2"], 1000, 60.0),
]

# `prunesim sweep` throughput (#20: >= 300 k DeiT-Small points per hour with -j 2): 15 x 7 x 4 = 420 points of
# the default DeiT-Small workload over array shape and clock. Target in points per wall hour.
SWEEP_CASES = [
    ("sweep DeiT-Small, 420 points, -j 2",
     ["--set", "workload.model=deit-small", "--grid", "pe.rows=8:64:4", "--grid", "pe.cols=8:32:4",
      "--grid", "clock.mhz=200,250,300,350", "-j", "2"], 420, 300e3),
]

# `prunesim report` on a large run report (#15: a 25 MB GPT-2-medium report JSON to HTML in under 10 s).
REPORT_CASES = [
    ("report of GPT-2 medium 512 + 128 decode",
     ["--model", "gpt2-medium", "--seq", "512", "--decode", "128", "--tokens", "none"], 10.0),
]

SCALING = (
    [("bert-base seq %d" % s, ["--model", "bert-base", "--seq", str(s), "--tokens", "none"], "bert_seq", s)
     for s in (128, 256, 512, 1024)]
    + [("gpt2 decode %d" % g, ["--model", "gpt2", "--seq", "32", "--decode", str(g), "--tokens", "none"], "gpt2_decode", g)
       for g in (32, 64, 128, 256, 512)]
)


def run_once(binary, args):
    with tempfile.TemporaryDirectory() as d:
        out, rss_file = os.path.join(d, "r.json"), os.path.join(d, "rss")
        cmd = [binary, "run", "-q", "--json", out] + args
        if shutil.which("taskset"):
            cmd = ["taskset", "-c", "0"] + cmd  # one core, as the targets are stated
        # GNU time reports the simulator's own peak RSS (the parent's wait4 figure would include this Python
        # process's pages at fork time).
        cmd = ["/usr/bin/time", "-f", "%M", "-o", rss_file] + cmd
        start = time.perf_counter()
        if subprocess.call(cmd) != 0:
            sys.exit("benchmark run failed: " + " ".join(cmd))
        wall = time.perf_counter() - start
        with open(rss_file) as f:
            rss_mb = int(f.read().split()[-1]) / 1024.0
        with open(out) as f:
            report = json.load(f)
    return wall, rss_mb, report


def measure(binary, args, repeats):
    walls, rss, report = [], 0.0, None
    for _ in range(repeats):
        wall, peak, report = run_once(binary, args)
        walls.append(wall)
        rss = max(rss, peak)
    wall = statistics.median(walls)
    cycles = report["latency"]["cycles"]
    requests = report["traffic"]["dram_requests"]
    return {
        "args": args,
        "repeats": repeats,
        "wall_s": round(wall, 4),
        "walls_s": [round(w, 4) for w in walls],
        "sim_cycles": cycles,
        "sim_cycles_per_wall_s": round(cycles / wall),
        "dram_requests": requests,
        "dram_requests_per_wall_s": round(requests / wall),
        "ops": len(report["ops"]),
        "peak_rss_mb": round(rss, 1),
    }


def measure_ddr(binary, n, line, repeats):
    with tempfile.TemporaryDirectory() as d:
        req, rss_file = os.path.join(d, "req.txt"), os.path.join(d, "rss")
        with open(req, "w") as f:
            f.writelines(line(i) for i in range(n))
        cmd = [binary, "ddr", "--requests", req]
        if shutil.which("taskset"):
            cmd = ["taskset", "-c", "0"] + cmd
        cmd = ["/usr/bin/time", "-f", "%M", "-o", rss_file] + cmd
        walls, rss = [], 0.0
        for _ in range(repeats):
            start = time.perf_counter()
            if subprocess.call(cmd, stdout=subprocess.DEVNULL) != 0:
                sys.exit("benchmark run failed: " + " ".join(cmd))
            walls.append(time.perf_counter() - start)
            with open(rss_file) as f:
                rss = max(rss, int(f.read().split()[-1]) / 1024.0)
    wall = statistics.median(walls)
    return {"requests": n, "wall_s": round(wall, 4), "walls_s": [round(w, 4) for w in walls],
            "requests_per_wall_s": round(n / wall), "peak_rss_mb": round(rss, 1)}


def measure_explore(binary, args, points):
    with tempfile.TemporaryDirectory() as d:
        start = time.perf_counter()
        if subprocess.call([binary, "explore", "--out", os.path.join(d, "ex")] + args, stdout=subprocess.DEVNULL) != 0:
            sys.exit("explore benchmark failed: " + " ".join(args))
        wall = time.perf_counter() - start
        with open(os.path.join(d, "ex", "explore.json")) as f:
            ex = json.load(f)
    if ex["points_total"] != points:
        sys.exit("explore benchmark: the space has %d points, not %d" % (ex["points_total"], points))
    return {"wall_s": round(wall, 3), "points_total": ex["points_total"], "points_simulated": ex["points_simulated"]}


def measure_sweep(binary, args, points, repeats):
    walls = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as d:
            start = time.perf_counter()
            if subprocess.call([binary, "sweep", "--out", os.path.join(d, "s")] + args,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) != 0:
                sys.exit("sweep benchmark failed: " + " ".join(args))
            walls.append(time.perf_counter() - start)
            with open(os.path.join(d, "s", "results.jsonl")) as f:
                n = sum(1 for line in f if '"status":"ok"' in line)
        if n != points:
            sys.exit("sweep benchmark: %d of %d points ran" % (n, points))
    wall = statistics.median(walls)
    return {"wall_s": round(wall, 3), "points": points, "points_per_hour": round(points / wall * 3600)}


def measure_report(binary, run_args):
    with tempfile.TemporaryDirectory() as d:
        run_json, html = os.path.join(d, "run.json"), os.path.join(d, "review.html")
        if subprocess.call([binary, "run", "-q", "--json", run_json] + run_args) != 0:
            sys.exit("report benchmark: the run failed: " + " ".join(run_args))
        start = time.perf_counter()
        if subprocess.call([binary, "report", run_json, "-o", html]) != 0:
            sys.exit("report benchmark: prunesim report failed")
        wall = time.perf_counter() - start
        return {"wall_s": round(wall, 3), "json_mb": round(os.path.getsize(run_json) / 1e6, 1),
                "html_mb": round(os.path.getsize(html) / 1e6, 2)}


def machine():
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()}


def markdown(results, ddr_results, info):
    lines = [
        "Measured on %s (%d cores; runs pinned to one core), release build, median of %d runs."
        % (info["cpu"], info["cores"], results[0]["repeats"]),
        "",
        "| case | wall s | target s | simulated cycles / s | DRAM requests / s | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        target = "%.1f" % r["target_s"] if r["target_s"] else "-"
        lines.append("| %s | %.3f | %s | %.3g | %.3g | %.0f |" % (
            r["name"], r["wall_s"], target, r["sim_cycles_per_wall_s"], r["dram_requests_per_wall_s"], r["peak_rss_mb"]))
    lines += ["", "| `prunesim ddr` case | wall s | requests / s | target requests / s | peak RSS MB |",
              "|---|---:|---:|---:|---:|"]
    for r in ddr_results:
        target = "%.3g" % r["target_req_per_s"] if r["target_req_per_s"] else "-"
        lines.append("| %s | %.3f | %.3g | %s | %.0f |" % (
            r["name"], r["wall_s"], r["requests_per_wall_s"], target, r["peak_rss_mb"]))
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default="build/release/sim/prunesim")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default="build/bench")
    ap.add_argument("--scaling", action="store_true", help="also measure the scaling curves")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    info = machine()
    results, failed = [], []

    def record(into, r, ok, line):
        """Keeps a measured case, prints its line, and notes it when it misses its target."""
        into.append(r)
        if not ok:
            failed.append(r["name"])
        print("%-32s %s%s" % (r["name"], line, "" if ok else "  MISSES TARGET"))

    for name, run_args, target in CASES:
        r = measure(args.binary, run_args, args.repeats)
        r.update(name=name, target_s=target)
        record(results, r, (target is None or r["wall_s"] <= target) and r["peak_rss_mb"] <= RSS_TARGET_MB,
               "%8.3f s  %10.3g cycles/s  %10.3g req/s  %6.1f MB" % (
                   r["wall_s"], r["sim_cycles_per_wall_s"], r["dram_requests_per_wall_s"], r["peak_rss_mb"]))
    ddr_results = []
    for name, n, line, target in DDR_CASES:
        r = measure_ddr(args.binary, n, line, args.repeats)
        r.update(name=name, target_req_per_s=target)
        record(ddr_results, r, target is None or r["requests_per_wall_s"] >= target,
               "%8.3f s  %10.3g req/s  %6.1f MB" % (r["wall_s"], r["requests_per_wall_s"], r["peak_rss_mb"]))
    explore_results = []
    for name, ex_args, points, target in EXPLORE_CASES:
        r = measure_explore(args.binary, ex_args, points)
        r.update(name=name, target_s=target)
        record(explore_results, r, r["wall_s"] <= target, "%8.3f s  %d of %d points simulated" % (
            r["wall_s"], r["points_simulated"], r["points_total"]))
    sweep_results = []
    for name, sw_args, points, target in SWEEP_CASES:
        r = measure_sweep(args.binary, sw_args, points, args.repeats)
        r.update(name=name, target_points_per_hour=target)
        record(sweep_results, r, r["points_per_hour"] >= target, "%8.3f s  %.3g points/h" % (
            r["wall_s"], r["points_per_hour"]))
    report_results = []
    for name, run_args, target in REPORT_CASES:
        r = measure_report(args.binary, run_args)
        r.update(name=name, target_s=target)
        record(report_results, r, r["wall_s"] <= target, "%8.3f s  %.1f MB JSON -> %.2f MB HTML" % (
            r["wall_s"], r["json_mb"], r["html_mb"]))
    out = {"machine": info, "results": results, "ddr": ddr_results, "explore": explore_results,
           "sweep": sweep_results, "report": report_results}
    if args.scaling:
        out["scaling"] = []
        for name, run_args, series, x in SCALING:
            r = measure(args.binary, run_args, 1)
            r.update(name=name, series=series, x=x)
            out["scaling"].append(r)
            print("%-32s %8.3f s  %10.3g req/s" % (name, r["wall_s"], r["dram_requests_per_wall_s"]))
    with open(os.path.join(args.out, "runs.json"), "w") as f:
        json.dump(out, f, indent=2)
    with open(os.path.join(args.out, "runs.md"), "w") as f:
        f.write(markdown(results, ddr_results, info))
        f.write("\n| `prunesim explore` case | wall s | target s | points simulated |\n|---|---:|---:|---:|\n")
        for r in explore_results:
            f.write("| %s | %.2f | %.0f | %d of %d |\n" % (r["name"], r["wall_s"], r["target_s"], r["points_simulated"],
                                                        r["points_total"]))
        f.write("\n| `prunesim sweep` case | wall s | points / hour | target points / hour |\n|---|---:|---:|---:|\n")
        for r in sweep_results:
            f.write("| %s | %.2f | %.3g | %.3g |\n" % (r["name"], r["wall_s"], r["points_per_hour"],
                                                     r["target_points_per_hour"]))
        f.write("\n| `prunesim report` case | wall s | target s | JSON MB | HTML MB |\n|---|---:|---:|---:|---:|\n")
        for r in report_results:
            f.write("| %s | %.2f | %.0f | %.1f | %.2f |\n" % (r["name"], r["wall_s"], r["target_s"], r["json_mb"],
                                                           r["html_mb"]))
    print("wrote %s/runs.json and %s/runs.md" % (args.out, args.out))
    if failed:
        print("targets missed: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
