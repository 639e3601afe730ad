#!/usr/bin/env python3
# minerwatch — SPDX-License-Identifier: Apache-2.0
"""flow.memcap holds under a partial-record flood, and a real miner inside it is still found.

tools/flow_flood writes 300,000 TCP flows from distinct sources to 4 servers, each a SYN and one
15.4 KB segment starting a TLS record whose length says 15.8 KB (the record never ends), with
the packets of nDPI's mining.pcapng (4 real Stratum/eth-proxy/CryptoNote sessions) spread
evenly through it, so the flood runs while the miners talk. The capture is piped into
`scan pcap /dev/stdin` (4.6 GB: no disk needed, and the stream path is exercised too).

Checks: peak RSS (the child's ru_maxrss) stays under memcap + the documented constant (48 MB
of process + 160 bytes per tracked flow, docs/architecture.md "Bounded memory"); the budget's
own peak never passes the cap; the flood is counted as shed; every pool finding a scan of
mining.pcapng alone gives is given again. Without the cap the same run takes ~5.9 GB.
"""
import json
import os
import signal
import subprocess
import sys
import time

from e2e_common import (POOL_CATEGORY, Failures, base_args, cleanup_dir, pool_endpoint,
                        read_jsonl, require_binary, require_data, scan, work_dir)

FLOWS = 300_000
MEMCAP_MB = 64
BASE_MB = 48          # the process without flow state: binary, intel, capture buffers
SLOT_BYTES = 160      # one tracked flow's slot, chain entry and index share (not in memcap)


def run_flood(args, flood_cmd, scan_cmd, timeout):
    """Pipes the flood into the scanner; returns (scanner exit status, peak RSS MB, stderr)."""
    err_path = os.path.join(args.work, "scan.err")
    with open(err_path, "w") as err:
        flood = subprocess.Popen(flood_cmd, stdout=subprocess.PIPE, start_new_session=True)
        mw = subprocess.Popen(scan_cmd, stdin=flood.stdout, stdout=subprocess.DEVNULL,
                              stderr=err, start_new_session=True)
        flood.stdout.close()
        deadline = time.monotonic() + timeout
        status, rusage = None, None
        while time.monotonic() < deadline:
            pid, st, ru = os.wait4(mw.pid, os.WNOHANG)
            if pid:
                status, rusage = st, ru
                break
            time.sleep(0.05)
        if status is None:
            for p in (mw, flood):
                os.killpg(p.pid, signal.SIGKILL)
            mw.wait()
        flood.wait()
    with open(err_path) as f:
        stderr = f.read()
    if status is None:
        return None, 0.0, stderr + "\ntimed out after %ss" % timeout
    return os.waitstatus_to_exitcode(status), rusage.ru_maxrss / 1024.0, stderr


def pool_endpoints(findings):
    return {pool_endpoint(f) for f in findings if f.get("category") == POOL_CATEGORY}


def main():
    ap = base_args(__doc__)
    ap.add_argument("--flow-flood", required=True, help="path to the flow_flood tool")
    args = ap.parse_args()
    require_binary(args.minerwatch)
    require_binary(args.flow_flood)
    mining = require_data(args.data, "pcaps/ndpi/mining.pcapng")
    fails = Failures()
    args.work = work_dir(args, "memcap")
    try:
        # What the miners alone give: the flood must not take any of it away.
        ref_json = os.path.join(args.work, "ref.jsonl")
        ref = scan(args.minerwatch, [mining], ref_json)
        fails.check(ref.returncode == 1, "reference scan exit %d: %s" % (ref.returncode, ref.stderr))
        expected = pool_endpoints(read_jsonl(ref_json, fails))
        fails.check(len(expected) >= 1, "reference scan found no pool session")

        out_json = os.path.join(args.work, "flood.jsonl")
        stats_json = os.path.join(args.work, "stats.json")
        flood_cmd = [args.flow_flood, "--flows", str(FLOWS), "--payload", "15400",
                     "--record-len", "15800", "--servers", "4", "--interleave", mining]
        scan_cmd = [args.minerwatch, "scan", "pcap", "/dev/stdin", "--memcap", "%dMiB" % MEMCAP_MB,
                    "--json", out_json, "--stats-json", stats_json]
        start = time.monotonic()
        code, peak_mb, stderr = run_flood(args, flood_cmd, scan_cmd, timeout=100)
        print("flood scan: exit %s, %.1f s, peak RSS %.1f MB" % (code, time.monotonic() - start,
                                                                  peak_mb))
        print(stderr.strip())
        fails.check(code == 1, "flood scan exit %s (want 1, findings): %s" % (code, stderr))
        stats = {}
        if fails.check(os.path.exists(stats_json), "no --stats-json written"):
            with open(stats_json) as f:
                stats = json.load(f)

        bound_mb = MEMCAP_MB + BASE_MB + FLOWS * SLOT_BYTES / 2**20
        fails.check(peak_mb <= bound_mb,
                    "peak RSS %.1f MB over memcap + constant (%.1f MB)" % (peak_mb, bound_mb))
        fails.check(stats.get("memcap.limit_bytes") == MEMCAP_MB << 20,
                    "memcap.limit_bytes %s" % stats.get("memcap.limit_bytes"))
        fails.check(0 < stats.get("memcap.peak_bytes", 0) <= MEMCAP_MB << 20,
                    "memcap.peak_bytes %s" % stats.get("memcap.peak_bytes"))
        fails.check(stats.get("flows.created", 0) >= FLOWS,
                    "flows.created %s < %d" % (stats.get("flows.created"), FLOWS))
        # At most ~4k records of 15.4 KB fit in 64 MB: nearly every flow must have been shed
        # (stopped buffering to make room) or refused (never got room).
        dropped = stats.get("memcap.shed_flows", 0) + stats.get("memcap.refused", 0)
        fails.check(dropped >= FLOWS * 0.9, "only %d flows shed or refused" % dropped)
        fails.check(stats.get("memcap.shed_bytes", 0) >= 15400 * FLOWS * 0.5,
                    "memcap.shed_bytes %s" % stats.get("memcap.shed_bytes"))
        fails.check("flows shed" in stderr, "the summary does not report shed flows")

        found = pool_endpoints(read_jsonl(out_json, fails))
        for ep in sorted(expected):
            fails.check(ep in found, "pool session %s:%s not found during the flood" % ep)
        print("pool sessions: %d expected, %d found during the flood" % (len(expected),
                                                                        len(found & expected)))
    finally:
        cleanup_dir(args, args.work)
    fails.finish("e2e_flow_memcap")


if __name__ == "__main__":
    main()
