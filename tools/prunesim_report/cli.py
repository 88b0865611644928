"""prunesim report RUN.json [--baseline OTHER.json] [--sweep DIR] [--explore DIR] -o review.html [--format md]"""
import argparse
import os
import sys

from prunesim_report import load, render


def parse(argv):
    ap = argparse.ArgumentParser(
        prog="prunesim report",
        description="Write a design-review report of a run (prunesim run --json): one self-contained HTML file "
                    "(images inline, no network), or Markdown plus image files with --format md.")
    ap.add_argument("run", help="the run report (prunesim run --json FILE)")
    ap.add_argument("-o", "--out", required=True, help="output file (review.html, or review.md)")
    ap.add_argument("--format", choices=("html", "md"), default=None,
                    help="html (default; md when --out ends in .md): Markdown writes its images beside it, in "
                         "OUT_images/")
    ap.add_argument("--baseline", help="another run report to compare against")
    ap.add_argument("--sweep", help="a prunesim sweep directory: its Pareto front")
    ap.add_argument("--explore", help="a prunesim explore directory: its points and chosen answer")
    return ap.parse_args(argv)


def write_atomic(path, text):
    tmp = "%s.tmp-%d" % (path, os.getpid())
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as e:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise load.InputError("%s: cannot write (%s)" % (path, e.strerror))


def main(argv):
    try:
        args = parse(argv)
    except SystemExit as e:
        return 0 if e.code == 0 else 2
    version = os.environ.get("PRUNESIM_VERSION", "")
    try:
        report = load.read_run_report(args.run, version)
        baseline = load.read_run_report(args.baseline, version) if args.baseline else None
        sweep = load.read_sweep(args.sweep) if args.sweep else None
        explore = explore_rows = None
        if args.explore:
            explore = load.read_explore(args.explore)
            explore_rows = load.read_sweep(args.explore)
        fmt = args.format or ("md" if args.out.endswith(".md") else "html")
        ctx, figs = render.build(report, baseline, sweep, explore, explore_rows)
        if fmt == "html":
            write_atomic(args.out, render.render_html(ctx, figs))
        else:
            stem = os.path.splitext(os.path.basename(args.out))[0] + "_images"
            image_dir = os.path.join(os.path.dirname(os.path.abspath(args.out)), stem)
            write_atomic(args.out, render.render_markdown(ctx, figs, image_dir, stem))
    except load.InputError as e:
        sys.stderr.write("prunesim: error: %s\n" % e)
        return 2
    return 0
