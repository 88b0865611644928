#!/usr/bin/python3
"""Plots a sweep (prunesim sweep --out DIR): a scatter of two metrics coloured by a third, the Pareto front
ringed. Writes PNG and SVG. A thin call to the report module (tools/prunesim_report), whose design-space
section `prunesim report RUN.json --sweep DIR` is the usual way to look at a sweep.

    tools/plot_sweep.py DIR [--x latency_ms] [--y energy_mj] [--color dsp] [--out DIR/sweep]
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
try:
    from prunesim_report import load, plots
except ImportError:
    # Run by a python3 without Debian's matplotlib and jinja2 (a pyenv or conda one first on PATH): use
    # Debian's, which the setup step gives them.
    if os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3") and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3", os.path.abspath(__file__)] + sys.argv[1:])
    raise


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sweep", help="sweep directory (or its results.jsonl)")
    ap.add_argument("--x", default="latency_ms")
    ap.add_argument("--y", default="energy_mj")
    ap.add_argument("--color", default="dsp")
    ap.add_argument("--out", default=None, help="output path without extension (default: SWEEP/sweep)")
    args = ap.parse_args()
    try:
        rows = load.read_sweep(args.sweep)
        out = args.out or os.path.join(args.sweep if os.path.isdir(args.sweep) else os.path.dirname(args.sweep) or ".",
                                       "sweep")
        for ext in ("png", "svg"):
            data = plots.sweep_scatter(rows, args.x, args.y, args.color, ext)
            with open("%s.%s" % (out, ext), "wb") as f:
                f.write(data)
    except (load.InputError, ValueError) as e:
        sys.stderr.write("plot_sweep: error: %s\n" % e)
        return 2
    print("wrote %s.png and %s.svg" % (out, out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
