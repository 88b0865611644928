"""`prunesim report` end to end: reports of the four golden runs (every section, every figure decoding, nothing
fetched from a network), Markdown, bad input, and one report rendered in a real headless Chromium.

Run by ctest with the interpreter found at configure time: test_report.py PRUNESIM_BINARY SOURCE_DIR [-k NAME].
"""
import base64
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest

import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402

BINARY = SOURCE = None
SECTION_IDS = ["summary", "time", "memory", "pruning", "energy", "baseline", "design-space", "reproduce"]


def prunesim(*args, check=True):
    r = subprocess.run([BINARY] + list(args), capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError("prunesim %s exited %d:\n%s" % (" ".join(args), r.returncode, r.stderr))
    return r


def golden_cases():
    cases = []
    with open(os.path.join(SOURCE, "tests/golden/cases.txt")) as f:
        for line in f:
            words = shlex.split(line)
            if words:
                cases.append((words[0], words[1], words[2:]))
    return cases


def scratch_dir(prefix, register):
    """A fresh directory, removed when the test (register=addCleanup) or class (addClassCleanup) is done;
    PRUNESIM_KEEP_TEST_DIRS=1 keeps it, as the C++ tests' temp_dir() does."""
    d = tempfile.mkdtemp(prefix=prefix)
    if os.environ.get("PRUNESIM_KEEP_TEST_DIRS", "0") in ("", "0"):
        register(shutil.rmtree, d, True)
    return d


def images_of(html):
    return re.findall(r'<img alt="([^"]*)" src="data:image/png;base64,([^"]+)"', html)


class Reports(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = scratch_dir("prunesim-report-", cls.addClassCleanup)
        cls.runs = {}
        for name, trace, configs in golden_cases():
            out = os.path.join(cls.dir, name + ".json")
            args = ["run", "-q", "--trace", os.path.join(SOURCE, "traces", trace), "--json", out]
            for c in configs:
                args += ["--config", os.path.join(SOURCE, c)]
            prunesim(*args)
            cls.runs[name] = out

    def check_html(self, html, report):
        for sid in SECTION_IDS:
            self.assertIn('<section id="%s">' % sid, html, sid)
        self.assertNotRegex(html, r"https?://")  # no network: everything is inline
        for attr in re.findall(r'(?:src|href)="([^"]*)"', html):
            self.assertTrue(attr.startswith("data:image/png;base64,") or attr.startswith("#"), attr[:60])
        imgs = images_of(html)
        self.assertGreaterEqual(len(imgs), 6)
        for alt, data in imgs:
            pixels = mpimg.imread(io.BytesIO(base64.b64decode(data)), format="png")
            self.assertGreater(pixels.shape[0], 100, alt)
            self.assertGreater(pixels.std(), 0.01, alt + ": a blank figure")
        # The headline figures are the report's own.
        self.assertIn("%s cycles at" % "{:,}".format(report["latency"]["cycles"]), html)
        self.assertIn("{:.4g} mJ".format(report["energy"]["total_mj"]), html)

    def test_the_four_golden_runs_give_whole_self_contained_reports(self):
        self.assertEqual(len(self.runs), 4)
        for name, path in self.runs.items():
            out = os.path.join(self.dir, name + ".html")
            prunesim("report", path, "-o", out)
            with open(out) as f:
                html = f.read()
            with open(path) as f:
                report = json.load(f)
            with self.subTest(name):
                self.check_html(html, report)
                # #17: the power-over-time plot and the peak and GOPS/W figures beside the energy table.
                self.assertIn('alt="power over time"', html)
                self.assertIn("GOPS/W dense-equivalent", html)
                if name.startswith("deit"):
                    self.assertIn('alt="tokens per layer"', html)  # EViT pruning: the token plot
                if name.startswith("gru"):
                    self.assertIn("No token pruning in this workload.", html)

    def test_baseline_sweep_and_explore_fill_their_sections(self):
        d = self.dir
        prunesim("sweep", "--out", d + "/sw", "--grid", "pe.rows=16,32,64", "-j", "2")
        prunesim("explore", "--out", d + "/ex", "--model", "deit-small", "--latency-ms", "4", "--rungs", "1",
                 "--prune-grid", "all=block:16x16:{0.2:0.6:0.2}", "--devices",
                 SOURCE + "/configs/devices/zcu102.ini," + SOURCE + "/configs/devices/alveo-u250.ini", "-j", "2")
        other = d + "/other.json"
        prunesim("run", "-q", "--set", "pe.rows=32", "--json", other)
        out = d + "/full.html"
        prunesim("report", self.runs["deit-small-u250"], "--baseline", other, "--sweep", d + "/sw", "--explore",
                 d + "/ex", "-o", out)
        with open(out) as f:
            html = f.read()
        self.assertIn('alt="per-layer latency difference"', html)
        self.assertIn("<td><code>pe.rows</code></td><td>32</td><td>64</td>", html)
        # Every number of the compared sections is side by side, with its change.
        for metric in ("latency.cycles", "energy.breakdown_mj.static", "compute.utilization", "dram.activates",
                       "resources.dsp.used", "traffic.onchip_read_bytes"):
            self.assertRegex(html, r"<td>%s</td><td class=\"n\">[^<]+</td><td class=\"n\">[^<]+</td><td class=\"n\">"
                             r"[-+][0-9.]+ %%</td>" % re.escape(metric))
        self.assertIn('alt="Sweep Pareto front"', html)
        self.assertIn('alt="Explore (objective energy) Pareto front"', html)
        self.assertRegex(html, r"Chosen: (zcu102|alveo-u250), design")
        self.assertNotIn("No baseline given", html)
        self.assertNotRegex(html, r"https?://")
        # tools/plot_sweep.py is a thin call to the same module.
        r = subprocess.run([sys.executable, SOURCE + "/tools/plot_sweep.py", d + "/sw", "--color", "uram"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        mpimg.imread(d + "/sw/sweep.png")
        r = subprocess.run([sys.executable, SOURCE + "/tools/plot_sweep.py", d + "/sw", "--color", "colour"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown metric 'colour'", r.stderr)

    def test_markdown_writes_its_images_beside_it(self):
        out = os.path.join(self.dir, "md", "review.md")
        os.makedirs(os.path.dirname(out))
        prunesim("report", self.runs["bert-base-u280"], "-o", out)
        with open(out) as f:
            md = f.read()
        for title in ("## Summary", "## Where time goes", "## Memory", "## Pruning", "## Energy and power",
                      "## Against the baseline", "## Design space", "## Reproduce"):
            self.assertIn(title, md)
        links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
        self.assertGreaterEqual(len(links), 6)
        for link in links:
            path = os.path.join(os.path.dirname(out), link)
            self.assertTrue(os.path.exists(path), link)
            mpimg.imread(path)

    def test_bad_input_exits_2_with_a_clear_message(self):
        d = self.dir
        with open(d + "/notjson.json", "w") as f:
            f.write("not json")
        with open(d + "/other.json", "w") as f:
            json.dump({"hello": 1}, f)
        with open(self.runs["gru-de1soc"]) as f:
            old = json.load(f)
        old["prunesim_version"] = "0.0.3"
        with open(d + "/old.json", "w") as f:
            json.dump(old, f)
        cases = [
            (["report", d + "/notjson.json", "-o", d + "/x.html"], "not JSON"),
            (["report", d + "/other.json", "-o", d + "/x.html"], "not a prunesim run report (no prunesim_version)"),
            (["report", d + "/old.json", "-o", d + "/x.html"], "written by prunesim 0.0.3"),
            (["report", d + "/missing.json", "-o", d + "/x.html"], "cannot read"),
            (["report", self.runs["gru-de1soc"], "--sweep", d, "-o", d + "/x.html"], "no results.jsonl"),
            (["report", self.runs["gru-de1soc"]], "-o/--out"),
        ]
        for args, message in cases:
            r = prunesim(*args, check=False)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(message, r.stderr, args)
            self.assertFalse(os.path.exists(d + "/x.html"), "a partial report was left")


class Browser(unittest.TestCase):
    """The report in a real browser: Debian's Chromium, headless, as the setup step installs it."""

    FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000"]

    def test_it_loads_without_console_errors_and_is_not_blank(self):
        chromium = shutil.which("chromium") or "/usr/bin/chromium"
        self.assertTrue(os.path.exists(chromium), "chromium is not installed (make deps installs it)")
        d = scratch_dir("prunesim-browser-", self.addCleanup)
        run = d + "/run.json"
        prunesim("run", "-q", "--json", run)
        html = d + "/review.html"
        prunesim("report", run, "-o", html)
        url = "file://" + html
        dom = subprocess.run([chromium] + self.FLAGS + ["--user-data-dir=" + d + "/p1", "--dump-dom", url],
                             capture_output=True, text=True, timeout=120)
        console = [l for l in dom.stderr.splitlines() if ":CONSOLE" in l]
        self.assertEqual(console, [], "console messages:\n" + "\n".join(console))
        m = re.search(r'data-images-decoded="(\d+)/(\d+)"', dom.stdout)
        self.assertIsNotNone(m, "the page's load handler did not run")
        self.assertEqual(m.group(1), m.group(2), "figures that did not decode in the browser")
        self.assertGreaterEqual(int(m.group(2)), 6)
        shot = d + "/shot.png"
        subprocess.run([chromium] + self.FLAGS + ["--user-data-dir=" + d + "/p2", "--window-size=1100,1400",
                                                  "--screenshot=" + shot, url],
                       capture_output=True, text=True, timeout=120)
        pixels = mpimg.imread(shot)
        self.assertEqual(pixels.shape[:2], (1400, 1100))
        self.assertGreater(pixels[..., :3].std(), 0.05, "the screenshot is blank")
        # Not only white: the summary's headline cards and bars are drawn in the report's blue.
        blue = ((pixels[..., 2] > 0.55) & (pixels[..., 0] < 0.35)).mean()
        self.assertGreater(blue, 0.002)


if __name__ == "__main__":
    BINARY, SOURCE = sys.argv[1], sys.argv[2]
    unittest.main(argv=[sys.argv[0]] + sys.argv[3:], verbosity=2)
