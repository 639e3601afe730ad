#!/usr/bin/env python3
# minerwatch — SPDX-License-Identifier: Apache-2.0
"""Every detector's switch really switches it off (tests/golden/README.md, "Detector switches").

For each detector `minerwatch detectors --json` lists, the smallest golden case whose
expected.jsonl holds a finding of that detector is run again with a config file saying
`detectors.<name>.enabled: false`. None of the categories only that detector emits, and no
finding naming it, may then appear; findings of the other detectors must stay. A detector that
no golden case shows is a failure: its switch would be untested (add a case for it).

  detector_switch.py --minerwatch BIN [--data DIR] [DETECTOR ...]

Exit 0 pass, 1 fail, 77 skip (binary or every needed input missing).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import run_golden as golden

# Detectors no golden case can show, with where their switch is shown instead; each is reported,
# not silently passed. The memory detectors need a live process's memory (golden cases are
# captures and fixture roots): tests/integration/host_xmrig.sh switches each off on XMRig.
NOT_YET_SHOWN = {
    "memory_rules": "needs process memory: shown on live XMRig by tests/integration/host_xmrig.sh",
    "hash_match": "needs process memory: shown on live XMRig by tests/integration/host_xmrig.sh",
    "combined_detection":
        "needs process memory: shown on live XMRig by tests/integration/host_xmrig.sh",
}


def detectors(minerwatch):
    r = subprocess.run([minerwatch, "detectors", "--json"], capture_output=True, text=True,
                       timeout=60)
    if r.returncode != 0:
        raise SystemExit("minerwatch detectors --json failed: %s" % r.stderr.strip())
    return json.loads(r.stdout)


def cases_by_size():
    """(case_dir, expected findings), smallest expected.jsonl first: the cheapest run."""
    out = []
    for d in golden.all_cases():
        path = os.path.join(d, golden.EXPECTED_FILE)
        size = os.path.getsize(path) if os.path.exists(path) else 0
        out.append((size, d, golden.read_expected(path) or []))
    return [(d, exp) for _, d, exp in sorted(out)]


def check(minerwatch, data, det, exclusive, case_dir, expected):
    """Messages for one detector switched off in one case (empty = pass)."""
    name = det["name"]
    case = golden.load_case(case_dir)
    work = tempfile.mkdtemp(prefix="mw-switch-%s-" % name)
    try:
        cfg = os.path.join(work, "detector-off.yaml")
        with open(cfg, "w") as f:
            f.write("detectors:\n  %s:\n    enabled: false\n" % name)
        case = dict(case)
        case["args"] = list(case.get("args", [])) + ["-c", cfg]
        actual, problems = golden.run_case(case_dir, case, minerwatch, data, work)
        msgs = ["%s off, case %s: %s" % (name, os.path.basename(case_dir), p) for p in problems]
        for f in actual:
            if "exit" in f:
                msgs.append("%s off, case %s: the run failed: %s"
                            % (name, os.path.basename(case_dir), f))
            elif f.get("detector") == name or f.get("category") in exclusive:
                msgs.append("%s off, case %s: still found %s"
                            % (name, os.path.basename(case_dir), golden.label(f)))
        kept = {golden.identity(f) for f in actual}
        for f in expected:
            if f.get("detector") != name and f.get("category") not in exclusive \
                    and golden.identity(f) not in kept:
                msgs.append("%s off, case %s: a finding of another detector went too: %s"
                            % (name, os.path.basename(case_dir), golden.label(f)))
        print("switch %s: off in case %s: %d findings (%d with it on)"
              % (name, os.path.basename(case_dir), len(actual), len(expected)))
        return msgs
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minerwatch", required=True)
    ap.add_argument("--data", default=os.environ.get(
        "MW_SHARED_DATA_DIR", os.path.join(golden.SOURCE_DIR, "..", "shared", "data")))
    ap.add_argument("names", nargs="*", help="detectors to check (default: all)")
    a = ap.parse_args()
    if not os.access(a.minerwatch, os.X_OK):
        print("SKIP: minerwatch binary not built: %s" % a.minerwatch)
        return golden.SKIP
    minerwatch = os.path.abspath(a.minerwatch)
    all_dets = detectors(minerwatch)
    owners = {}
    for d in all_dets:
        for c in d["categories"]:
            owners.setdefault(c["category"], set()).add(d["name"])
    cases = cases_by_size()
    failures, skipped, checked = [], [], 0
    for det in all_dets:
        if a.names and det["name"] not in a.names:
            continue
        exclusive = {c["category"] for c in det["categories"]
                     if owners[c["category"]] == {det["name"]}}
        shown = [(d, exp) for d, exp in cases if any(f.get("detector") == det["name"]
                                                     for f in exp)]
        if not shown and det["name"] in NOT_YET_SHOWN:
            skipped.append("switch %s: NOT TESTED HERE: %s" % (det["name"],
                                                             NOT_YET_SHOWN[det["name"]]))
            continue
        if not shown:
            failures.append("%s: no golden case holds a finding of this detector, so its switch "
                            "is untested: add a case (tests/golden/README.md)" % det["name"])
            continue
        case_dir, expected = shown[0]
        try:
            failures += check(minerwatch, a.data, det, exclusive, case_dir, expected)
            checked += 1
        except golden.Skip as e:
            skipped.append("switch %s: SKIP: %s" % (det["name"], e))
    for s in skipped:
        print(s)
    for f in failures:
        print("FAIL: switch " + f, file=sys.stderr)
    if failures:
        return 1
    return golden.SKIP if checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
