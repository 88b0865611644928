#!/usr/bin/python3
"""Plots the scaling curves from tools/bench_runs.py --scaling: wall time against the work it should grow
with (DRAM requests simulated), and the cost per unit of work, for BERT-base over sequence length and GPT-2
over decode length. Writes PNG and SVG."""
import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("runs", nargs="?", default="build/bench/runs.json")
    ap.add_argument("--out", default="build/bench/scaling")
    args = ap.parse_args()
    with open(args.runs) as f:
        data = json.load(f)
    points = data.get("scaling")
    if not points:
        raise SystemExit("no scaling data in %s: run tools/bench_runs.py --scaling" % args.runs)
    fig, (work, per) = plt.subplots(1, 2, figsize=(11, 4))
    series = (("bert_seq", "BERT-base, sequence 128 to 1024", "o-"),
              ("gpt2_decode", "GPT-2, decode 32 to 512 tokens", "s-"))
    for key, label, style in series:
        pts = sorted((p for p in points if p["series"] == key), key=lambda p: p["x"])
        reqs = [p["dram_requests"] / 1e6 for p in pts]
        walls = [p["wall_s"] for p in pts]
        work.plot(reqs, walls, style, label=label)
        per.plot([p["x"] for p in pts], [1e3 * w / r for w, r in zip(walls, reqs)], style, label=label)
        for p, r, w in zip(pts, reqs, walls):
            work.annotate(str(p["x"]), (r, w), textcoords="offset points", xytext=(4, -10), fontsize=7)
    lo = min(p["dram_requests"] for p in points) / 1e6
    hi = max(p["dram_requests"] for p in points) / 1e6
    ref = max(p["wall_s"] / (p["dram_requests"] / 1e6) for p in points if p["series"] == "gpt2_decode")
    work.plot([lo, hi], [lo * ref, hi * ref], ":", color="gray", label="proportional to the work")
    work.set_xscale("log")
    work.set_yscale("log")
    work.set_xlabel("DRAM requests simulated (millions)")
    work.set_ylabel("wall seconds (one core)")
    work.set_title("wall time against the work")
    work.legend(fontsize=8)
    work.grid(True, which="both", alpha=0.3)
    per.set_xscale("log", base=2)
    per.set_xlabel("sequence or decode length")
    per.set_ylabel("wall ms per million DRAM requests")
    per.set_ylim(bottom=0)
    per.set_title("cost per unit of work stays flat")
    per.legend(fontsize=8)
    per.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    for ext in ("png", "svg"):
        fig.savefig("%s.%s" % (args.out, ext), dpi=120)
    print("wrote %s.png and %s.svg" % (args.out, args.out))


if __name__ == "__main__":
    main()
