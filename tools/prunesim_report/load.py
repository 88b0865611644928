"""Reading prunesim outputs, with the errors a user can act on (exit status 2)."""
import json
import os


class InputError(Exception):
    """Bad input: the file and what was expected. The command exits 2."""


def _major_minor(version):
    parts = str(version).split(".")
    return tuple(parts[:2])


def read_run_report(path, expected_version):
    """A prunesim run report (`prunesim run --json`), checked to be one and from a compatible version."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise InputError("%s: cannot read (%s)" % (path, e.strerror))
    try:
        report = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise InputError("%s: not JSON (%s): expected a report written by prunesim run --json" % (path, e))
    if not isinstance(report, dict) or "prunesim_version" not in report:
        raise InputError("%s: not a prunesim run report (no prunesim_version): expected the file "
                         "prunesim run --json writes" % path)
    for key in ("latency", "energy", "compute", "resources", "ops", "layers", "config", "workload"):
        if key not in report:
            raise InputError("%s: not a prunesim run report (no '%s' section)" % (path, key))
    if expected_version and _major_minor(report["prunesim_version"]) != _major_minor(expected_version):
        raise InputError("%s: written by prunesim %s, and this is prunesim %s: run it again with this version"
                         % (path, report["prunesim_version"], expected_version))
    return report


def read_jsonl(path):
    rows = []
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    rows.append(json.loads(line))
                except ValueError:
                    raise InputError("%s:%d: not a JSON line" % (path, n))
    except OSError as e:
        raise InputError("%s: cannot read (%s)" % (path, e.strerror))
    return rows


def read_sweep(directory):
    """The points of a sweep or explore directory (results.jsonl, merged)."""
    path = os.path.join(directory, "results.jsonl") if os.path.isdir(directory) else directory
    if not os.path.exists(path):
        raise InputError("%s: no results.jsonl: expected a directory written by prunesim sweep or explore"
                         % directory)
    rows = read_jsonl(path)
    for r in rows:
        if not isinstance(r, dict) or "index" not in r or "status" not in r:
            raise InputError("%s: not sweep results (a line without index and status)" % path)
    return rows


def read_explore(directory):
    path = os.path.join(directory, "explore.json")
    if not os.path.exists(path):
        raise InputError("%s: no explore.json: expected a directory written by prunesim explore" % directory)
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except ValueError as e:
        raise InputError("%s: not JSON (%s)" % (path, e))
