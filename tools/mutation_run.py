#!/usr/bin/python3
"""Mutation run: prunesim's command line against malformed and mutated inputs, judged by its exit-status rule.

Each case takes a valid input the project ships or builds (a sample trace, an INI under configs/, a --set or
option value, a tiny safetensors + config.json checkpoint, a DRAM request file, a sweep file), mutates it with
a seeded generator (hostile numbers: 0, -1, 2^32 + k, 2^64 - 1, 1e300, nan, inf; bytes flipped, cut, repeated;
lines dropped, doubled or swapped), runs the matching prunesim command with a time limit, and judges:

  crash     killed by a signal (SIGSEGV, SIGFPE, SIGABRT, ...)
  hang      still running at the time limit
  exit-1    "internal error": prunesim's exit 1 is for its own bugs, never for bad input
  broken    exit 0 with a report that breaks an invariant (latency below the roofline bound, utilisation
            above 1, a negative or non-finite figure), or exit 0 without the report it was asked for
  leftover  exit 2 (input refused) but a --json report left behind
  unclear   exit 2 whose message does not start "prunesim: error:"
  ok        exit 0 with a sound report, or exit 2 with a clear message and nothing left behind

Every case that is not ok is saved with its input and command line in OUT/failures/. The summary (counts
per verdict and per family) is printed and written to OUT/summary.json. Deterministic for a given --seed.

Usage: mutation_run.py PRUNESIM [--cases N] [--seed S] [--timeout SECONDS] [--jobs J] [--out DIR]
"""
import argparse
import concurrent.futures
import glob
import json
import math
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(SRC, "tests", "fuzz"))
import make_seeds  # noqa: E402  (the tiny checkpoints)

HOSTILE = ["0", "-1", "-5", "1", "2", "3", "7", "4294967295", "4294967296", "4294967298", "4294967328",
           "18446744073709551615", "18446744073709551616", "9223372036854775807", "99999999999999999999",
           "1e12", "1e300", "-1e300", "1e-300", "nan", "NaN", "inf", "-inf", "0x10", "1abc", "", " ", "0.5",
           "1.5", "-0", "1e", "+3", "65536", "1048576", "1000000000", "\xff", "é"]


def hostile(rng):
    return rng.choice(HOSTILE)


def mutate_numbers(text, rng, count):
    """Replaces `count` numbers in text with hostile ones."""
    import re
    spans = [m.span() for m in re.finditer(r"-?\d+(\.\d+)?(e-?\d+)?", text)]
    if not spans:
        return text
    for a, b in sorted(rng.sample(spans, min(count, len(spans))), reverse=True):
        text = text[:a] + hostile(rng) + text[b:]
    return text


def mutate_lines(text, rng):
    lines = text.split("\n")
    if len(lines) < 2:
        return text
    op = rng.randrange(4)
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    if op == 0:
        del lines[i]
    elif op == 1:
        lines.insert(i, lines[j])
    elif op == 2:
        lines[i], lines[j] = lines[j], lines[i]
    else:
        lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
    return "\n".join(lines)


def mutate_bytes(data, rng):
    data = bytearray(data)
    if not data:
        return bytes(data)
    for _ in range(rng.randint(1, 8)):
        op, i = rng.randrange(4), rng.randrange(len(data))
        if op == 0:
            data[i] = rng.randrange(256)
        elif op == 1:
            del data[i: i + rng.randint(1, 16)]
        elif op == 2:
            data[i:i] = data[i: i + rng.randint(1, 64)]
        else:
            data = data[: i + 1]
        if not data:
            break
    return bytes(data)


def mutate_text(text, rng):
    r = rng.random()
    if r < 0.55:
        return mutate_numbers(text, rng, rng.randint(1, 3)).encode("utf-8", "surrogateescape")
    if r < 0.8:
        return mutate_lines(text, rng).encode("utf-8", "surrogateescape")
    return mutate_bytes(text.encode(), rng)


class Inputs:
    """The valid inputs mutations start from."""

    def __init__(self, rng):
        self.traces = [open(p).read() for p in sorted(glob.glob(os.path.join(SRC, "traces", "*.trace")))]
        self.inis = [open(p).read() for p in sorted(glob.glob(os.path.join(SRC, "configs", "**", "*.ini"),
                                                             recursive=True)) if "/baselines/" not in p]
        self.checkpoints = []
        for kind in ("bert", "vit", "gpt2"):
            config, weights = make_seeds.tiny_checkpoint(kind, rng).split(b"\0", 1)
            self.checkpoints.append((config.decode(), weights))
        t, lines = 0.0, []
        for _ in range(32):
            t += rng.choice([0, 1.25, 10, 100])
            lines.append("%g %s 0x%x %d" % (t, rng.choice("RW"), rng.randrange(0, 1 << 30, 64),
                                            rng.choice([64, 256, 4096])))
        self.requests = ["\n".join(lines) + "\n",
                         "".join("0x%x READ %d\n" % (rng.randrange(0, 1 << 28, 64), 4 * i) for i in range(32))]
        self.sweeps = ["grid pe.rows=8,16\nset workload.model=gru\nset workload.layers=1\n",
                       "zip pe.rows=8,16\nzip pe.cols=16,8\nset workload.model=gru\n",
                       "grid workload.token_keep=0.5:0.9:0.4\nset workload.layers=1\n"]
        self.keys = []
        out = subprocess.run([ARGS.prunesim, "run", "--help-config"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            parts = line.split()
            if line.startswith("  ") and parts and "." in parts[0] and not parts[0].startswith("-"):
                self.keys.append(parts[0])


# Each family returns (argv after the binary, {file name: bytes}); "{D}" in argv is the case's directory.
FAST = ["--set", "workload.layers=1"]


def family_trace(rng, inp):
    text = rng.choice(inp.traces)
    return ["run", "-q", "--trace", "{D}/t.trace", "--json", "{D}/r.json"], {"t.trace": mutate_text(text, rng)}


def family_ini(rng, inp):
    text = rng.choice(inp.inis)
    return (["run", "-q", "--config", "{D}/c.ini", "--json", "{D}/r.json"] + FAST,
            {"c.ini": mutate_text(text, rng)})


def family_set(rng, inp):
    sets = []
    for _ in range(rng.randint(1, 2)):
        sets += ["--set", "%s=%s" % (rng.choice(inp.keys), hostile(rng))]
    return ["run", "-q", "--json", "{D}/r.json"] + FAST + sets, {}


def family_flags(rng, inp):
    model = rng.choice(["bert-base", "gpt2", "deit-small", "gru", "tinybert"])
    flag, value = rng.choice([
        ("--prune", "all=block:%sx16:0.5" % hostile(rng)), ("--prune", "all=block:16x%s:0.5" % hostile(rng)),
        ("--prune", "all=block:16x16:%s" % hostile(rng)), ("--prune", "all=rowbalanced:%s:0.25" % hostile(rng)),
        ("--prune", "all=nm:%s:%s" % (hostile(rng), hostile(rng))), ("--prune", "heads=%s" % hostile(rng)),
        ("--prune", "all=hier:8x8:0.5:%s" % hostile(rng)), ("--quant", hostile(rng)),
        ("--quant", "act=int%s" % hostile(rng)), ("--seq", hostile(rng)), ("--batch", hostile(rng)),
        ("--decode", hostile(rng)), ("--keep", hostile(rng)), ("--seed", hostile(rng)),
        ("--tokens", rng.choice(["none", "auto", hostile(rng)])), ("--format", hostile(rng))])
    return ["run", "-q", "--model", model, flag, value, "--json", "{D}/r.json"] + FAST, {}


def family_weights(rng, inp):
    config, weights = rng.choice(inp.checkpoints)
    if rng.random() < 0.5:
        config = mutate_text(config, rng)
    else:
        config = config.encode()
        weights = mutate_bytes(weights, rng) if rng.random() < 0.5 else weights[:8] + mutate_text(
            weights[8:8 + struct.unpack("<Q", weights[:8])[0]].decode(), rng) + weights[
            8 + struct.unpack("<Q", weights[:8])[0]:]
    return (["run", "-q", "--weights", "{D}/m.safetensors", "--hf-config", "{D}/config.json", "--seq", "8",
             "--json", "{D}/r.json"], {"config.json": config, "m.safetensors": weights})


def family_ddr(rng, inp):
    text = rng.choice(inp.requests)
    return ["ddr", "--requests", "{D}/r.req", "--json", "{D}/r.json"], {"r.req": mutate_text(text, rng)}


def family_sweep(rng, inp):
    text = rng.choice(inp.sweeps)
    return (["sweep", "--sweep-file", "{D}/s.sweep", "--out", "{D}/sweep", "-j", "1", "--point-timeout", "15"],
            {"s.sweep": mutate_text(text, rng)})


FAMILIES = [(family_trace, 3), (family_ini, 3), (family_set, 2), (family_flags, 3), (family_weights, 2),
            (family_ddr, 2), (family_sweep, 1)]


def numbers_ok(report):
    bad = []

    def walk(x, path):
        if isinstance(x, dict):
            for k, v in x.items():
                walk(v, path + "." + k)
        elif isinstance(x, list):
            for i, v in enumerate(x[:64]):
                walk(v, "%s[%d]" % (path, i))
        elif isinstance(x, float) and not math.isfinite(x):
            bad.append("%s = %r" % (path, x))
        elif isinstance(x, (int, float)) and not isinstance(x, bool) and x < 0 and not path.endswith(".layer"):
            bad.append("%s = %r" % (path, x))

    walk(report, "")
    return bad


def judge(kind, argv, rc, err, elapsed, d):
    report_path = os.path.join(d, "r.json")
    if rc is None:
        return "hang", "still running after %.0f s" % elapsed
    if rc < 0:
        return "crash", "signal %s" % signal.Signals(-rc).name
    if rc == 1:
        return "exit-1", err.strip().splitlines()[-1] if err.strip() else "exit 1"
    if rc == 2:
        if os.path.exists(report_path):
            return "leftover", "exit 2 but r.json was written"
        if "prunesim: error:" not in err and "prunesim " not in err:
            return "unclear", err.strip()[:200]
        return "ok", ""
    if rc == 4 and kind == "sweep":  # a point failed: the sweep says so
        return "ok", ""
    if rc != 0:
        return "unclear", "exit %d" % rc
    if "--json" in argv:
        if not os.path.exists(report_path):
            return "broken", "exit 0 without the --json report"
        try:
            report = json.load(open(report_path))
        except ValueError as e:
            return "broken", "report is not JSON: %s" % e
        bad = numbers_ok(report)
        if kind != "ddr":
            lat, comp = report.get("latency", {}), report.get("compute", {})
            if lat.get("cycles", 1) < lat.get("roofline_cycles", 0):
                bad.append("latency %s below roofline %s" % (lat.get("cycles"), lat.get("roofline_cycles")))
            if comp.get("utilization", 0) > 1 + 1e-9:
                bad.append("utilization %s" % comp.get("utilization"))
        if bad:
            return "broken", "; ".join(bad[:4])
    return "ok", ""


def run_case(case):
    index, name, argv, files = case
    d = tempfile.mkdtemp(prefix="case%05d-" % index, dir=ARGS.scratch)
    for fname, data in files.items():
        with open(os.path.join(d, fname), "wb") as f:
            f.write(data)
    argv = [a.replace("{D}", d) for a in argv]
    start = time.monotonic()
    p = subprocess.Popen([ARGS.prunesim] + argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         start_new_session=True)
    try:
        _, err = p.communicate(timeout=ARGS.timeout)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        _, err = p.communicate()
        rc = None
    elapsed = time.monotonic() - start
    err = err.decode("utf-8", "replace")
    verdict, why = judge(name, argv, rc, err, elapsed, d)
    if verdict != "ok":
        keep = os.path.join(ARGS.out, "failures", "%05d-%s-%s" % (index, name, verdict))
        shutil.rmtree(keep, ignore_errors=True)
        shutil.copytree(d, keep, ignore=shutil.ignore_patterns("sweep"))
        with open(os.path.join(keep, "command"), "w") as f:
            f.write(" ".join([ARGS.prunesim] + [a.replace(d, keep) for a in argv]) + "\n")
            f.write("# %s: %s\n# stderr: %s\n" % (verdict, why, err.strip()[-500:]))
    shutil.rmtree(d, ignore_errors=True)
    outcome = "timeout" if rc is None else "signal" if rc < 0 else "exit %d" % rc
    return index, name, verdict, why, elapsed, outcome


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("prunesim")
    ap.add_argument("--cases", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", default="mutation-run")
    ARGS = ap.parse_args()
    ARGS.prunesim = os.path.abspath(ARGS.prunesim)
    os.makedirs(ARGS.out, exist_ok=True)
    ARGS.scratch = tempfile.mkdtemp(prefix="prunesim-mutation-")
    rng = random.Random(ARGS.seed)
    inp = Inputs(random.Random(ARGS.seed))
    weights = [w for _, w in FAMILIES]
    cases = []
    for i in range(ARGS.cases):
        fam = rng.choices(FAMILIES, weights)[0][0]
        argv, files = fam(rng, inp)
        cases.append((i, fam.__name__.replace("family_", ""), argv, files))
    counts, outcomes, by_family, worst = {}, {}, {}, []
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(ARGS.jobs) as pool:
        for n, (index, name, verdict, why, elapsed, outcome) in enumerate(pool.map(run_case, cases), 1):
            counts[verdict] = counts.get(verdict, 0) + 1
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            by_family.setdefault(name, {}).setdefault(verdict, 0)
            by_family[name][verdict] += 1
            worst.append((elapsed, index, name))
            if verdict != "ok":
                print("case %d (%s): %s: %s" % (index, name, verdict, why), flush=True)
            if sys.stderr.isatty():
                sys.stderr.write("\r%d/%d cases" % (n, len(cases)))
    shutil.rmtree(ARGS.scratch, ignore_errors=True)
    worst.sort(reverse=True)
    summary = {"cases": len(cases), "seed": ARGS.seed, "timeout_s": ARGS.timeout, "verdicts": counts, "outcomes": outcomes,
               "by_family": by_family, "wall_s": round(time.monotonic() - start, 1),
               "slowest": [{"case": i, "family": f, "s": round(e, 2)} for e, i, f in worst[:5]]}
    with open(os.path.join(ARGS.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1, sort_keys=True)
    print(json.dumps(summary, indent=1, sort_keys=True))
    return 0 if counts.get("ok", 0) == len(cases) else 1


if __name__ == "__main__":
    sys.exit(main())
