#!/usr/bin/env python3
# minerwatch — SPDX-License-Identifier: Apache-2.0
"""The false-positive corpus: nDPI's benign captures give no stage-1 (mining) finding.

Every capture in pcaps/ndpi/ except mining.pcapng and the cryptocurrency *node* captures named
in the data README (monero.pcap, bitcoin.pcap, ethereum.pcap, nano.pcapng) is benign traffic of
hundreds of protocols. One scan reads them all; when it reports stage-1 findings, every file is
scanned on its own to name the files that cause them. Files minerwatch refuses as corrupt must
be ones libpcap (tcpdump) cannot read to the end either.
"""
import collections
import concurrent.futures
import os
import sys

from e2e_common import (Failures, base_args, cleanup_dir, describe, read_jsonl, require_binary,
                        require_data, run, scan, work_dir)

NOT_BENIGN = {"mining.pcapng", "monero.pcap", "bitcoin.pcap", "ethereum.pcap", "nano.pcapng"}


def tcpdump_reads(path):
    r = run(["tcpdump", "-n", "-r", path, "-w", "/dev/null"], 60)
    return r.returncode == 0 and "truncated" not in r.stderr


def main():
    args = base_args(__doc__).parse_args()
    require_binary(args.minerwatch)
    ndpi = require_data(args.data, "pcaps/ndpi")
    files = sorted(os.path.join(ndpi, n) for n in os.listdir(ndpi)
                   if n not in NOT_BENIGN and n.endswith((".pcap", ".pcapng", ".cap")))
    d = work_dir(args, "benign")
    fl = Failures()
    rejected = []
    out = os.path.join(d, "all.jsonl")
    for _ in range(20):
        r = scan(args.minerwatch, files, out, timeout=180)
        if r.returncode != 2:
            break
        named = [f for f in files if os.path.basename(f) in r.stderr]
        if not fl.check(bool(named), "scan failed (exit 2) without naming a file: %s"
                        % r.stderr.strip()[:500]):
            break
        for f in named:
            rejected.append((f, r.stderr.strip().splitlines()[0] if r.stderr.strip() else ""))
            files.remove(f)
    fl.check(r.returncode in (0, 1), "scan over %d files: exit %d; stderr: %s"
             % (len(files), r.returncode, r.stderr.strip()[:500]))
    for f, line in rejected:
        print("rejected as unreadable: %s (%s)" % (os.path.basename(f), line))
        fl.check(not tcpdump_reads(f), "minerwatch rejects %s, which tcpdump reads fine: %s"
                 % (os.path.basename(f), line))
    findings = read_jsonl(out, fl)
    by_stage = collections.Counter((f.get("stage"), f.get("category")) for f in findings)
    for (stage, cat), n in sorted(by_stage.items(), key=str):
        print("stage %s %s: %d" % (stage, cat, n))
    mining = [f for f in findings if f.get("stage") == 1]
    print("%d benign files scanned, %d findings, %d at stage 1"
          % (len(files), len(findings), len(mining)))
    if mining:
        for f in mining:
            fl.check(False, "stage-1 finding in benign traffic: " + describe(f))
        # Name the files responsible, so the false positive can be fixed.
        def one(path):
            o = os.path.join(d, os.path.basename(path) + ".jsonl")
            scan(args.minerwatch, [path], o, timeout=60)
            local = Failures()
            return path, [f for f in read_jsonl(o, local) if f.get("stage") == 1]
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
            for path, found in ex.map(one, files):
                if found:
                    fl.check(False, "%s: %d stage-1 finding(s), e.g. %s"
                             % (os.path.basename(path), len(found), describe(found[0])))
    cleanup_dir(args, d)
    fl.finish("nDPI benign captures")


if __name__ == "__main__":
    sys.exit(main())
