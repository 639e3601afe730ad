#!/usr/bin/env python3
"""Runs suricata-verify's conformance cases (../shared/data/ids-conformance) through minerwatch.

For every case: `minerwatch scan pcap PCAP --rules RULES --eve EVE`, then the suite's own
expected.py judges the alerts. Prints one line per failing case and the pass rates, the rule
language cases and the HTTP Evader cases (http-evader/*) apart, and fails when a rate is below
its floor (--min-rules, --min-evader: the rates reached so far, so a regression fails CI).

usage: ids_conformance.py --minerwatch BIN --data SHARED_DATA [--min-rules PCT]
                          [--min-evader PCT] [--only SUBSTRING] [--keep DIR] [--jobs N]
Exits 77 (skipped) when SHARED_DATA/ids-conformance is absent.
"""
import argparse
import concurrent.futures
import csv
import os
import subprocess
import sys
import tempfile


def run_case(minerwatch, data, row, workdir):
    name = row["name"]
    case = os.path.join(data, "tests", name)
    out = os.path.join(workdir, name.replace("/", "_"))
    os.makedirs(out, exist_ok=True)
    eve = os.path.join(out, "eve.json")
    cmd = [minerwatch, "scan", "pcap", "-q", "--json", os.path.join(out, "findings.jsonl"),
           "--intel-dir", out, "--eve", eve,
           "--rules", os.path.join(case, row["rules"]), os.path.join(case, row["pcap"])]
    if row["mode"] == "ips":
        cmd.insert(3, "--simulate-ips")
    open(eve, "w").close()
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return name, False, "minerwatch timed out"
    # Exit 2 with a corrupt capture still leaves the alerts raised before the damage (as
    # Suricata's); anything else is a failure of its own.
    if run.returncode not in (0, 1) and "corrupt" not in run.stderr:
        return name, False, "minerwatch exit %d: %s" % (run.returncode, run.stderr.strip()[-300:])
    judge = subprocess.run([sys.executable, os.path.join(data, "expected.py"), case, eve],
                           capture_output=True, text=True, timeout=60)
    detail = " | ".join(l.strip() for l in judge.stdout.splitlines() if "FAIL" in l)
    return name, judge.returncode == 0, detail


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minerwatch", required=True)
    ap.add_argument("--data", required=True, help="the shared data folder")
    ap.add_argument("--min-rules", type=float, default=0)
    ap.add_argument("--min-evader", type=float, default=0)
    ap.add_argument("--only", default="")
    ap.add_argument("--keep", default="")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    args.data = os.path.join(args.data, "ids-conformance")
    if not os.path.isfile(os.path.join(args.data, "INDEX.tsv")):
        print("SKIP: conformance data not found at %s" % args.data)
        return 77
    with open(os.path.join(args.data, "INDEX.tsv")) as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if args.only in r["name"]]
    workdir = args.keep or tempfile.mkdtemp(prefix="mw-conformance-")
    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(run_case, args.minerwatch, args.data, r, workdir) for r in rows]
        for fut in concurrent.futures.as_completed(futures):
            name, ok, detail = fut.result()
            results[name] = ok
            if not ok:
                print("FAIL %s: %s" % (name, detail))
    ok = True
    for label, pick, floor in (("rule-language", lambda n: not n.startswith("http-evader/"),
                                args.min_rules),
                               ("http-evader", lambda n: n.startswith("http-evader/"),
                                args.min_evader)):
        names = [n for n in results if pick(n)]
        if not names:
            continue
        passed = sum(results[n] for n in names)
        pct = 100.0 * passed / len(names)
        print("conformance %s: %d of %d cases pass (%.1f%%, floor %.1f%%)" %
              (label, passed, len(names), pct, floor))
        ok = ok and pct >= floor
    if not args.keep:
        subprocess.run(["rm", "-rf", workdir])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
