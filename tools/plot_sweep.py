#!/usr/bin/python3
"""Plots a sweep (prunesim sweep --out DIR): a scatter of two metrics coloured by a third, the Pareto front
highlighted. Writes PNG and SVG.

    tools/plot_sweep.py DIR [--x latency_ms] [--y energy_mj] [--color dsp] [--out DIR/sweep]
"""
import argparse
import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sweep", help="sweep directory (or its results.jsonl)")
    ap.add_argument("--x", default="latency_ms")
    ap.add_argument("--y", default="energy_mj")
    ap.add_argument("--color", default="dsp")
    ap.add_argument("--out", default=None, help="output path without extension (default: SWEEP/sweep)")
    args = ap.parse_args()
    path = os.path.join(args.sweep, "results.jsonl") if os.path.isdir(args.sweep) else args.sweep
    rows = []
    with open(path) as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line))
    ok = [r for r in rows if r.get("status") == "ok"]
    if not ok:
        raise SystemExit("%s: no successful points to plot" % path)
    for key in (args.x, args.y, args.color):
        if key not in ok[0]["metrics"]:
            raise SystemExit("unknown metric '%s'; available: %s" % (key, ", ".join(sorted(ok[0]["metrics"]))))
    xs = [r["metrics"][args.x] for r in ok]
    ys = [r["metrics"][args.y] for r in ok]
    cs = [float(r["metrics"][args.color]) for r in ok]
    fig, ax = plt.subplots(figsize=(7, 5))
    sc = ax.scatter(xs, ys, c=cs, cmap="viridis", s=30, zorder=2)
    fig.colorbar(sc, ax=ax, label=args.color)
    front = sorted((r for r in ok if r.get("pareto")), key=lambda r: r["metrics"][args.x])
    if front:
        ax.scatter([r["metrics"][args.x] for r in front], [r["metrics"][args.y] for r in front], s=90,
                   facecolors="none", edgecolors="red", linewidths=1.5, zorder=3,
                   label="Pareto front (latency, energy, DSPs)")
        ax.legend()
    failed = len(rows) - len(ok)
    ax.set_xlabel(args.x)
    ax.set_ylabel(args.y)
    ax.set_title("%d points%s" % (len(rows), ", %d failed" % failed if failed else ""))
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    out = args.out or os.path.join(os.path.dirname(path) or ".", "sweep")
    for ext in ("png", "svg"):
        fig.savefig("%s.%s" % (out, ext), dpi=120)
    print("wrote %s.png and %s.svg" % (out, out))


if __name__ == "__main__":
    main()
