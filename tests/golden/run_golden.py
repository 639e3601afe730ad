#!/usr/bin/env python3
# minerwatch — SPDX-License-Identifier: Apache-2.0
"""Golden tests: run the real minerwatch on a case's input and compare its findings canonically
with the case's expected.jsonl (tests/golden/README.md).

A case is a folder tests/golden/<case>/ with case.json (what to run on which input) and
expected.jsonl (the findings, canonical, one per line). Standard library only.

  run_golden.py --minerwatch BIN [--data DIR] [--update] [CASE ...]

Exit 0 pass, 1 fail (every difference is listed: case, finding, field), 77 skip (input or
binary missing: the reason is printed). --update (or MW_GOLDEN_UPDATE=1) rewrites expected.jsonl
from the current output, as `btest -U` does; the case's checks still have to pass.
"""
import argparse
import concurrent.futures
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(os.path.dirname(HERE))
CASE_FILE = "case.json"
EXPECTED_FILE = "expected.jsonl"
CAPTURE_EXTENSIONS = (".pcap", ".pcapng", ".cap")
WALL_CLOCK = "<wall-clock>"
HOSTNAME = "<hostname>"
MAX_MESSAGES = 60  # per case; the rest is counted, not printed
KNOWN_KEYS = {"description", "run", "captures", "capture_count", "per_file", "root", "intel",
              "args", "checks", "timeout", "jobs"}


class Skip(Exception):
    pass


class CaseError(Exception):
    """The case itself is wrong (bad case.json): a failure, not a skip."""


# ---------------------------------------------------------------------------------------------
# Running a case


def load_case(case_dir):
    path = os.path.join(case_dir, CASE_FILE)
    try:
        with open(path) as f:
            case = json.load(f)
    except (OSError, ValueError) as e:
        raise CaseError("%s: %s" % (path, e))
    if not isinstance(case, dict):
        raise CaseError("%s: not a JSON object" % path)
    unknown = set(case) - KNOWN_KEYS
    if unknown:
        raise CaseError("%s: unknown keys %s (known: %s)"
                        % (path, sorted(unknown), sorted(KNOWN_KEYS)))
    if case.get("run") not in ("scan pcap", "host scan"):
        raise CaseError("%s: \"run\" must be \"scan pcap\" or \"host scan\", not %r"
                        % (path, case.get("run")))
    return case


def expand_captures(case, data):
    """The capture files of a case: paths or globs relative to the shared data folder."""
    patterns = case.get("captures")
    if not isinstance(patterns, list) or not patterns:
        raise CaseError("\"captures\" must be a non-empty list of paths relative to the data dir")
    files = []
    for pat in patterns:
        full = os.path.normpath(os.path.join(os.path.abspath(data), pat))
        if any(c in pat for c in "*?["):
            found = sorted(p for p in glob.glob(full) if p.endswith(CAPTURE_EXTENSIONS))
            if not found:
                raise Skip("shared test data missing: nothing matches %s (set MW_SHARED_DATA_DIR"
                           " or --data)" % full)
            files += found
        else:
            if not os.path.exists(full):
                raise Skip("shared test data missing: %s (set MW_SHARED_DATA_DIR or --data)"
                           % full)
            files.append(full)
    seen, out = set(), []
    for f in files:
        if f not in seen:
            seen.add(f)
            out.append(f)
    return out


def run(cmd, timeout, env):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired as e:
        return subprocess.CompletedProcess(cmd, 124, e.stdout or "",
                                           "timed out after %ss" % timeout)


def hermetic_env(work):
    """Only minerwatch's embedded intel and rules: no state folder, intel or config of the
    user running the test."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MINERWATCH_") and k not in ("XDG_STATE_HOME", "XDG_CONFIG_HOME")}
    state = os.path.join(work, "state")
    os.makedirs(state, exist_ok=True)
    env.update(MINERWATCH_STATE_DIR=state, HOME=work, LC_ALL="C", TZ="UTC")
    return env


def read_findings(path):
    """The last revision per finding id of a JSON Lines file (docs/findings.md)."""
    by_id = {}
    problems = []
    if not os.path.exists(path):
        return [], ["no JSON Lines file written: %s" % path]
    with open(path, errors="replace") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as e:
                problems.append("%s:%d: not JSON: %s" % (path, n, e))
                continue
            if not isinstance(obj, dict):
                problems.append("%s:%d: not a JSON object" % (path, n))
                continue
            key = obj.get("id") or json.dumps(identity(obj))
            by_id[key] = obj
    return list(by_id.values()), problems


def one_run(minerwatch, cmd_args, work, tag, timeout, env):
    """Runs minerwatch once with --json into the work dir: (findings, records, problems).
    A run that does not end in 0 (nothing found) or 1 (findings) becomes a record of its exit
    code and first stderr line, so an input refused today is held by the golden file too."""
    out = os.path.join(work, "out-%s.jsonl" % tag)
    cmd = [minerwatch] + cmd_args + ["--json", out, "--quiet"]
    r = run(cmd, timeout, env)
    # 0 nothing found, 1 findings, 3 (host scan) nothing found but coverage partial.
    ran = r.returncode in (0, 1, 3)
    findings, problems = read_findings(out) if ran else ([], [])
    records = []
    if r.returncode not in (0, 1):
        first = (r.stderr.strip().splitlines() or [""])[0]
        records.append({"exit": r.returncode, "stderr": first})
    if ran and (r.returncode == 1) != bool(findings):
        problems.append("exit code %d with %d findings (docs/findings.md: 1 iff findings): %s"
                        % (r.returncode, len(findings), " ".join(cmd)))
    return findings, records, problems


def run_case(case_dir, case, minerwatch, data, work):
    """Runs a case: (canonical findings, problems)."""
    env = hermetic_env(work)
    args = case.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise CaseError("\"args\" must be a list of strings")
    args = [a.replace("$CASE", os.path.abspath(case_dir)).replace("$DATA", os.path.abspath(data))
            for a in args]
    if case.get("intel"):
        # The case's own intel lists (minerwatch-intel TSV), as `intel import` would store them.
        src = os.path.join(case_dir, case["intel"])
        if not os.path.isdir(src):
            raise CaseError("\"intel\": no folder %s" % src)
        shutil.copytree(src, os.path.join(env["MINERWATCH_STATE_DIR"], "intel"))
    timeout = case.get("timeout", 120)
    results, problems = [], []
    replacements = [(os.path.realpath(case_dir), "$CASE"), (os.path.abspath(case_dir), "$CASE"),
                    (os.path.realpath(data), "$DATA"), (os.path.abspath(data), "$DATA"),
                    (data, "$DATA"),
                    (os.path.realpath(work), "$TMP"), (work, "$TMP")]
    if case["run"] == "scan pcap":
        files = expand_captures(case, data)
        if "capture_count" in case and len(files) != case["capture_count"]:
            raise CaseError("%d captures found, the case expects %d: is the shared data complete?"
                            " (%s)" % (len(files), case["capture_count"], ", ".join(
                                case["captures"])))
        if case.get("per_file"):
            jobs = int(os.environ.get("MW_GOLDEN_JOBS",
                                      case.get("jobs", min(2, os.cpu_count() or 1))))

            def scan_one(i_path):
                i, path = i_path
                got = one_run(minerwatch, ["scan", "pcap", path] + args, work, str(i), timeout, env)
                return path, got

            with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as ex:
                for path, (found, records, probs) in ex.map(scan_one, enumerate(files)):
                    rel = os.path.relpath(path, os.path.abspath(data))
                    for f in found + records:
                        f["capture"] = rel
                    results += found + records
                    problems += probs
            print("%d captures scanned one by one" % len(files))
        else:
            found, records, probs = one_run(minerwatch, ["scan", "pcap"] + files + args, work,
                                            "all", timeout, env)
            results, problems = found + records, probs
        wall_clock = False
    else:
        root = case.get("root")
        if not isinstance(root, str) or not root:
            raise CaseError("\"host scan\" needs \"root\": a fixture folder in the case, or"
                            " $DATA/<path>")
        root = (os.path.join(data, root[len("$DATA/"):]) if root.startswith("$DATA/")
                else os.path.join(case_dir, root))
        if not os.path.isdir(root):
            raise Skip("host-scan fixture root missing: %s" % root)
        replacements.insert(0, (os.path.realpath(root), "$ROOT"))
        replacements.insert(1, (os.path.abspath(root), "$ROOT"))
        found, records, probs = one_run(
            minerwatch, ["host", "scan", "--root", os.path.abspath(root), "--state-dir",
                         os.path.join(work, "state")] + args, work, "host", timeout, env)
        results, problems = found + records, probs
        wall_clock = True  # host findings are stamped with the time of the scan
    return [canonical(f, replacements, wall_clock) for f in results], problems


# ---------------------------------------------------------------------------------------------
# Canonical form


def replace_paths(v, replacements):
    if isinstance(v, str):
        for old, new in replacements:
            if old and old != "/" and old in v:
                v = v.replace(old, new)
        return v
    if isinstance(v, list):
        return [replace_paths(x, replacements) for x in v]
    if isinstance(v, dict):
        return {k: replace_paths(x, replacements) for k, x in v.items()}
    return v


def canonical(f, replacements, wall_clock):
    """What may differ between two runs of the same build on the same input, and only that:
    absolute paths of this checkout, the data dir and the work dir become $CASE/$DATA/$ROOT/$TMP;
    for host scans (wall-clock stamps) first_seen/last_seen and this machine's host name."""
    f = replace_paths(f, replacements)
    if wall_clock:
        for k in ("first_seen", "last_seen"):
            if k in f:
                f[k] = WALL_CLOCK
        res = f.get("resource")
        if isinstance(res, dict) and res.get("hostname") == socket.gethostname():
            res["hostname"] = HOSTNAME
    return f


def identity(f):
    """A finding's identity (docs/findings.md): (category, resource.host_ip, indicator), plus
    the capture it came from in per-file cases; run records (exit codes) sort by capture."""
    res = f.get("resource") if isinstance(f.get("resource"), dict) else {}
    return (str(f.get("capture", "")), str(f.get("category", "")), str(res.get("host_ip", "")),
            str(f.get("indicator", "")), "exit %s" % f["exit"] if "exit" in f else "")


def label(f):
    if "exit" in f:
        return "run of %s (exit %s)" % (f.get("capture", "the case input"), f["exit"])
    cap, cat, host, ind, _ = identity(f)
    s = "[%s | host %s | %s]" % (cat, host or "-", ind)
    return s + (" in %s" % cap if cap else "")


def dumps(f):
    return json.dumps(f, sort_keys=True, ensure_ascii=False)


def sort_findings(findings):
    return sorted(findings, key=lambda f: (identity(f), dumps(f)))


def flatten(v, prefix=""):
    """{"a": {"b": [1, 2]}} -> {"a.b[0]": 1, "a.b[1]": 2}; empty containers stay leaves."""
    out = {}
    if isinstance(v, dict) and v:
        for k, x in v.items():
            out.update(flatten(x, "%s.%s" % (prefix, k) if prefix else k))
    elif isinstance(v, list) and v:
        for i, x in enumerate(v):
            out.update(flatten(x, "%s[%d]" % (prefix, i)))
    else:
        out[prefix] = v
    return out


def short(v):
    s = json.dumps(v, ensure_ascii=False)
    return s if len(s) <= 200 else s[:200] + "..."


def compare(name, expected, actual):
    """Messages for every difference: missing and unexpected findings, and changed fields."""
    msgs = []
    exp_by, act_by = {}, {}
    for f in expected:
        exp_by.setdefault(identity(f), []).append(f)
    for f in actual:
        act_by.setdefault(identity(f), []).append(f)
    for key in sorted(set(exp_by) | set(act_by)):
        e_list, a_list = exp_by.get(key, []), act_by.get(key, [])
        for e, a in zip(e_list, a_list):
            fe, fa = flatten(e), flatten(a)
            diffs = []
            for path in sorted(set(fe) | set(fa)):
                if path not in fa:
                    diffs.append("field %s: expected %s, missing" % (path, short(fe[path])))
                elif path not in fe:
                    diffs.append("field %s: not expected, got %s" % (path, short(fa[path])))
                elif fe[path] != fa[path] or type(fe[path]) is not type(fa[path]):
                    diffs.append("field %s: expected %s, got %s"
                                 % (path, short(fe[path]), short(fa[path])))
            if diffs:
                msgs.append("golden %s: finding %s differs:\n      %s"
                            % (name, label(e), "\n      ".join(diffs)))
        for e in e_list[len(a_list):]:
            msgs.append("golden %s: missing finding %s (in %s, not produced):\n      %s"
                        % (name, label(e), EXPECTED_FILE, dumps(e)[:600]))
        for a in a_list[len(e_list):]:
            msgs.append("golden %s: unexpected finding %s (produced, not in %s):\n      %s"
                        % (name, label(a), EXPECTED_FILE, dumps(a)[:600]))
    return msgs


# ---------------------------------------------------------------------------------------------
# Checks: suricata-verify-style filters over the output, kept by --update


def get_path(f, dotted):
    v = f
    for part in dotted.split("."):
        if isinstance(v, dict) and part in v:
            v = v[part]
        elif isinstance(v, list) and part.isdigit() and int(part) < len(v):
            v = v[int(part)]
        else:
            return None, False
    return v, True


def matches(f, conds):
    """Every `path: value` holds; a list value in a condition means one of its elements, except
    that a field holding a list (attack) must contain the value."""
    for path, want in conds.items():
        got, present = get_path(f, path)
        if not present:
            return False
        if isinstance(got, list) and not isinstance(want, list):
            if want not in got:
                return False
        elif isinstance(want, list) and not isinstance(got, list):
            if got not in want:
                return False
        elif got != want:
            return False
    return True


def run_checks(name, case, actual):
    msgs = []
    checks = case.get("checks", [])
    if not isinstance(checks, list):
        raise CaseError("\"checks\" must be a list")
    for i, c in enumerate(checks):
        if not isinstance(c, dict) or not (set(c) <= {"count", "min", "max", "match", "not",
                                                       "why"}):
            raise CaseError("check %d: keys are count|min|max, match, not, why" % i)
        sel = [f for f in actual if "exit" not in f and matches(f, c.get("match", {}))
               and not (c.get("not") and matches(f, c["not"]))]
        n = len(sel)
        bad = (("count" in c and n != c["count"]) or ("min" in c and n < c["min"])
               or ("max" in c and n > c["max"]))
        if bad:
            want = " ".join("%s %s" % (k, c[k]) for k in ("count", "min", "max") if k in c)
            msgs.append("golden %s: check %d failed: %d findings match %s%s, want %s%s%s"
                        % (name, i, n, json.dumps(c.get("match", {})),
                           " and not %s" % json.dumps(c["not"]) if c.get("not") else "", want,
                           " (%s)" % c["why"] if c.get("why") else "",
                           "".join("\n      " + label(f) for f in sel[:10])))
    return msgs


# ---------------------------------------------------------------------------------------------


def read_expected(path):
    out = []
    if not os.path.exists(path):
        return None
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    out.append(json.loads(line))
                except ValueError as e:
                    raise CaseError("%s:%d: not JSON: %s" % (path, n, e))
    return out


def write_expected(path, findings):
    with open(path, "w") as f:
        for x in findings:
            f.write(dumps(x) + "\n")


def test_case(case_dir, minerwatch, data, update, keep):
    """(status, messages) with status "pass", "fail", "skip" or "updated"."""
    name = os.path.basename(os.path.normpath(case_dir))
    try:
        case = load_case(case_dir)
    except CaseError as e:
        return "fail", ["golden %s: %s" % (name, e)]
    work = tempfile.mkdtemp(prefix="mw-golden-%s-" % name)
    t0 = time.monotonic()
    failed = True
    try:
        actual, problems = run_case(case_dir, case, minerwatch, data, work)
        actual = sort_findings(actual)
        msgs = ["golden %s: %s" % (name, p) for p in problems]
        msgs += run_checks(name, case, actual)
        exp_path = os.path.join(case_dir, EXPECTED_FILE)
        if update:
            old = read_expected(exp_path)
            changes = compare(name, sort_findings(old), actual) if old is not None else []
            write_expected(exp_path, actual)
            print("golden %s: %s %s: %d findings, %d differences from before (%.1f s)"
                  % (name, EXPECTED_FILE, "written" if old is None else "rewritten", len(actual),
                     len(changes), time.monotonic() - t0))
            for m in changes[:MAX_MESSAGES]:
                print("  " + m)
            failed = bool(msgs)
            return ("fail" if msgs else "updated"), msgs
        expected = read_expected(exp_path)
        if expected is None:
            msgs.append("golden %s: no %s; run with --update to write it from the current"
                        " output" % (name, EXPECTED_FILE))
        else:
            msgs += compare(name, sort_findings(expected), actual)
        print("golden %s: %d findings expected, %d produced (%.1f s)"
              % (name, len(expected or []), len(actual), time.monotonic() - t0))
        failed = bool(msgs)
        return ("fail" if msgs else "pass"), msgs
    except Skip as e:
        failed = False
        return "skip", ["golden %s: SKIP: %s" % (name, e)]
    except CaseError as e:
        return "fail", ["golden %s: %s" % (name, e)]
    finally:
        if keep or failed:
            print("golden %s: work directory kept: %s" % (name, work))
        else:
            shutil.rmtree(work, ignore_errors=True)


def all_cases():
    return sorted(os.path.join(HERE, d) for d in os.listdir(HERE)
                  if os.path.isfile(os.path.join(HERE, d, CASE_FILE)))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minerwatch", required=True, help="path to the minerwatch binary")
    ap.add_argument("--data",
                    default=os.environ.get("MW_SHARED_DATA_DIR",
                                           os.path.join(SOURCE_DIR, "..", "shared", "data")),
                    help="the shared test data directory (default ../shared/data beside the clone)")
    ap.add_argument("-U", "--update", action="store_true",
                    default=os.environ.get("MW_GOLDEN_UPDATE", "") not in ("", "0"),
                    help="rewrite expected.jsonl from the current output (or MW_GOLDEN_UPDATE=1)")
    ap.add_argument("--keep", action="store_true", help="keep the work directories")
    ap.add_argument("cases", nargs="*", help="case names or folders (default: every case)")
    a = ap.parse_args()
    if not os.access(a.minerwatch, os.X_OK):
        print("SKIP: minerwatch binary not built: %s" % a.minerwatch)
        return SKIP
    minerwatch = os.path.abspath(a.minerwatch)
    dirs = [c if os.path.isdir(c) else os.path.join(HERE, c) for c in a.cases] or all_cases()
    statuses = []
    for d in dirs:
        if not os.path.isfile(os.path.join(d, CASE_FILE)):
            print("golden %s: no such case (no %s)" % (d, os.path.join(d, CASE_FILE)),
                  file=sys.stderr)
            statuses.append("fail")
            continue
        status, msgs = test_case(d, minerwatch, a.data, a.update, a.keep)
        statuses.append(status)
        for m in msgs[:MAX_MESSAGES]:
            print(("" if status == "skip" else "FAIL: ") + m,
                  file=sys.stdout if status == "skip" else sys.stderr, flush=True)
        if len(msgs) > MAX_MESSAGES:
            print("FAIL: golden %s: ... and %d more differences"
                  % (os.path.basename(d), len(msgs) - MAX_MESSAGES), file=sys.stderr)
    if "fail" in statuses:
        print("golden: %d of %d cases failed (refresh with --update or MW_GOLDEN_UPDATE=1 once"
              " the change is intended; tests/golden/README.md)"
              % (statuses.count("fail"), len(statuses)), file=sys.stderr)
        return 1
    if statuses and all(s == "skip" for s in statuses):
        return SKIP
    return 0


if __name__ == "__main__":
    sys.exit(main())
