# minerwatch — SPDX-License-Identifier: Apache-2.0
"""Shared helpers for the sensor's end-to-end tests (standard library only).

A test script exits 0 on success, 1 on failure (with the reasons on stderr) and 77 when it
cannot run here (CTest's SKIP_RETURN_CODE), printing why, so a skip is never silent.
"""
import argparse
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

SKIP = 77
POOL_CATEGORY = "Execution: Cryptomining Pool Protocol"
BAD_DOMAIN = "Malware: Bad Domain"
BAD_IP = "Malware: Bad IP"
HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(os.path.dirname(HERE))


def skip(reason):
    print("SKIP: " + reason, flush=True)
    sys.exit(SKIP)


class Failures:
    """Collects every failed check so one run reports all of them."""

    def __init__(self):
        self.items = []

    def check(self, ok, message):
        if not ok:
            self.items.append(message)
            print("FAIL: " + message, file=sys.stderr, flush=True)
        return ok

    def finish(self, what):
        if self.items:
            print("%s: %d check(s) failed" % (what, len(self.items)), file=sys.stderr)
            sys.exit(1)
        print("%s: all checks passed" % what)
        sys.exit(0)


def base_args(description):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--minerwatch", required=True, help="path to the minerwatch binary")
    ap.add_argument("--data", default=os.environ.get("MW_SHARED_DATA_DIR",
                                                   os.path.join(SOURCE_DIR, "..", "shared", "data")),
                    help="the shared test data directory")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    return ap


def require_binary(path):
    if not os.access(path, os.X_OK):
        skip("minerwatch binary not built: %s" % path)


def require_data(data, rel):
    path = os.path.join(data, rel)
    if not os.path.exists(path):
        skip("shared test data missing: %s (set MW_SHARED_DATA_DIR)" % path)
    return path


def require_root(what):
    if os.geteuid() != 0:
        skip("%s needs root (network namespaces, packet capture)" % what)
    for tool in ("ip", "unshare", "tcpdump", "timeout"):
        if shutil.which(tool) is None:
            skip("%s needs %s (scripts/deps/test-e2e.txt)" % (what, tool))


def work_dir(args, name):
    d = tempfile.mkdtemp(prefix="mw-e2e-%s-" % name)
    os.chmod(d, 0o755)  # tcpdump may drop privileges before it opens its output
    return d


def cleanup_dir(args, d):
    if args.keep:
        print("work directory kept: " + d)
    else:
        shutil.rmtree(d, ignore_errors=True)


def run(cmd, timeout, **kw):
    """Runs a command under a hard timeout; never hangs the test."""
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    except subprocess.TimeoutExpired as e:
        return subprocess.CompletedProcess(cmd, 124, e.stdout or "", "timed out after %ss" % timeout)


def read_jsonl(path, failures):
    """Parses a JSON Lines findings file; every line must be a JSON object."""
    findings = []
    if not os.path.exists(path):
        failures.check(False, "no findings file written: %s" % path)
        return findings
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as e:
                failures.check(False, "%s:%d: not JSON: %s" % (path, n, e))
                continue
            if failures.check(isinstance(obj, dict), "%s:%d: not a JSON object" % (path, n)):
                findings.append(obj)
    return latest_revisions(findings)


def latest_revisions(findings):
    """A live sensor may write a finding again as its evidence grows: keep the last per id."""
    by_id = {}
    for f in findings:
        by_id[f.get("id", id(f))] = f
    return list(by_id.values())


def scan(minerwatch, files, out_json, timeout=120, extra=()):
    cmd = [minerwatch, "scan", "pcap", *files, "--json", out_json, "--quiet", *extra]
    return run(cmd, timeout)


def pcapng_blocks(data):
    """Offsets of the blocks of a little-endian pcapng file (up to a block length that cannot be
    right, which ends the walk)."""
    offsets, off = [], 0
    while off + 12 <= len(data):
        length = struct.unpack_from("<I", data, off + 4)[0]
        offsets.append(off)
        if length < 12:
            break
        off += length
    return offsets


def norm(s):
    return re.sub(r"[^a-z0-9]", "", str(s or "").lower())


def evidence(f):
    e = f.get("evidence")
    return e if isinstance(e, dict) else {}


def algos(f):
    e = evidence(f)
    out = []
    for key in ("algos", "algo"):
        v = e.get(key)
        if isinstance(v, list):
            out += [str(x) for x in v]
        elif v:
            out.append(str(v))
    return out


def pool_endpoint(f):
    """(ip, port) of a pool finding, from evidence.pool or else the indicator."""
    pool = evidence(f).get("pool")
    if isinstance(pool, dict) and pool.get("ip") and pool.get("port") is not None:
        try:
            return str(pool["ip"]), int(pool["port"])
        except (TypeError, ValueError):
            pass
    m = re.search(r"\[?([0-9a-fA-F.:]+?)\]?:(\d+)$", str(f.get("indicator", "")))
    return (m.group(1), int(m.group(2))) if m else (None, None)


def describe(f):
    return json.dumps({k: f.get(k) for k in ("category", "stage", "indicator", "resource",
                                             "evidence")}, sort_keys=True)[:600]


class Procs:
    """Background processes of one test, stopped in reverse order, never left behind."""

    def __init__(self):
        self.items = []

    def start(self, cmd, log_path=None, **kw):
        out = open(log_path, "w") if log_path else subprocess.DEVNULL
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                             **kw)
        self.items.append(p)
        return p

    def stop(self, p, sig=signal.SIGINT, grace=10.0):
        """Signals one process (as a user would with Ctrl-C) and waits; SIGKILL after grace."""
        if p.poll() is None:
            try:
                p.send_signal(sig)
            except ProcessLookupError:
                pass
        try:
            p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            return None  # did not stop in time
        return p.returncode

    def stop_all(self):
        for p in reversed(self.items):
            if p.poll() is None:
                self.stop(p, signal.SIGTERM, 5.0)


def wait_for(predicate, timeout, step=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def wait_for_log(path, needle, timeout):
    def seen():
        try:
            with open(path, errors="replace") as f:
                return needle in f.read()
        except OSError:
            return False
    return wait_for(seen, timeout)
