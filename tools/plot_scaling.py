#!/usr/bin/env python3
"""Plots the scaling curves from tools/bench_runs.py --scaling: wall time against the work it should grow
with (DRAM requests), for BERT-base over sequence length and GPT-2 over decode length. Writes PNG and SVG."""
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
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, series, label in ((axes[0], "bert_seq", "BERT-base, sequence length"),
                              (axes[1], "gpt2_decode", "GPT-2, decode length (prefill 32)")):
        pts = sorted((p for p in points if p["series"] == series), key=lambda p: p["x"])
        xs = [p["x"] for p in pts]
        ax.plot(xs, [p["wall_s"] for p in pts], "o-", label="wall time (s)")
        ax.set_xlabel(label)
        ax.set_ylabel("wall seconds")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax2 = ax.twinx()
        ax2.plot(xs, [p["dram_requests"] / 1e6 for p in pts], "s--", color="tab:orange", label="DRAM requests (M)")
        ax2.set_ylabel("DRAM requests (millions)")
        ax2.set_yscale("log")
        ax.set_title("wall time grows with the work")
        ax.grid(True, which="both", alpha=0.3)
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, loc="upper left")
    fig.tight_layout()
    for ext in ("png", "svg"):
        fig.savefig("%s.%s" % (args.out, ext), dpi=120)
    print("wrote %s.png and %s.svg" % (args.out, args.out))


if __name__ == "__main__":
    main()
