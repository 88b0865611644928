"""prunesim's design-review report: one self-contained HTML file (or Markdown plus images) from a run report,
with an optional baseline run, sweep and explore. Run as `prunesim report` (which picks the interpreter found
at configure time) or `python3 -m prunesim_report`."""
