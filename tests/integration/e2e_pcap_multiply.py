#!/usr/bin/env python3
# minerwatch — SPDX-License-Identifier: Apache-2.0
"""The benchmark file builder keeps its promise: every copy makes new flows.

mining.pcapng multiplied 3 times must hold 3 times its mining flows for nDPI (ndpi_compare) and
give minerwatch 3 times the stage-1 pool findings, each copy's at different addresses. Also
checks that a raw-IP capture comes out as Ethernet that both programs read.
"""
import os
import re
import sys

from e2e_common import (POOL_CATEGORY, Failures, base_args, cleanup_dir, pool_endpoint,
                        read_jsonl, require_binary, require_data, run, scan, work_dir)

COPIES = 3


def mining_flows(ndpi_compare, path, fl):
    r = run([ndpi_compare, "--print-mining", path], 120)
    fl.check(r.returncode == 0, "ndpi_compare %s: exit %d: %s" % (path, r.returncode, r.stderr))
    return set(re.findall(r"^mining flow: (.*)$", r.stdout, re.M))


def main():
    ap = base_args(__doc__)
    ap.add_argument("--pcap-multiply", required=True)
    ap.add_argument("--ndpi-compare", required=True)
    args = ap.parse_args()
    require_binary(args.minerwatch)
    src = require_data(args.data, "pcaps/ndpi/mining.pcapng")
    d = work_dir(args, "multiply")
    fl = Failures()
    big = os.path.join(d, "mining_x3.pcap")
    r = run([args.pcap_multiply, "--copies", str(COPIES), "-o", big, src], 60)
    fl.check(r.returncode == 0, "pcap_multiply: exit %d: %s" % (r.returncode, r.stderr))
    print(r.stdout.strip())

    one = mining_flows(args.ndpi_compare, src, fl)
    many = mining_flows(args.ndpi_compare, big, fl)
    fl.check(len(one) >= 4, "nDPI finds %d mining flows in mining.pcapng, want >= 4" % len(one))
    fl.check(len(many) == COPIES * len(one), "nDPI finds %d distinct mining flows in %d copies,"
             " want %d" % (len(many), COPIES, COPIES * len(one)))

    out = os.path.join(d, "x3.jsonl")
    r = scan(args.minerwatch, [big], out, timeout=60)
    fl.check(r.returncode == 1, "scan: exit %d: %s" % (r.returncode, r.stderr.strip()[:300]))
    pools = [f for f in read_jsonl(out, fl)
             if f.get("category") == POOL_CATEGORY and f.get("stage") == 1]
    endpoints = {pool_endpoint(f) for f in pools}
    fl.check(len(pools) == 4 * COPIES and len(endpoints) == 4 * COPIES,
             "want %d stage-1 pool findings at distinct pools, got %d at %d: %s"
             % (4 * COPIES, len(pools), len(endpoints), sorted(map(str, endpoints))))

    # A raw-IP capture (no link header) becomes Ethernet that both readers accept.
    cand = [os.path.join(args.data, "pcaps/ndpi", n) for n in sorted(
        os.listdir(os.path.join(args.data, "pcaps/ndpi")))]
    raw_src = next((c for c in cand if link_type(c) in (12, 14, 101, 228)), None)
    if raw_src:
        raw_out = os.path.join(d, "raw_as_ether.pcap")
        r = run([args.pcap_multiply, "--copies", "2", "-o", raw_out, raw_src], 60)
        fl.check(r.returncode == 0 and link_type(raw_out) == 1,
                 "%s: not converted to Ethernet: %s" % (raw_src, r.stderr))
        r = scan(args.minerwatch, [raw_out], os.path.join(d, "raw.jsonl"), timeout=60)
        fl.check(r.returncode in (0, 1), "scan of the converted %s: exit %d: %s"
                 % (raw_src, r.returncode, r.stderr.strip()[:300]))
    cleanup_dir(args, d)
    fl.finish("pcap_multiply")


def link_type(path):
    """Link type of a classic little-endian pcap, else None."""
    with open(path, "rb") as f:
        head = f.read(24)
    if len(head) == 24 and head[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        return int.from_bytes(head[20:24], "little") & 0x0FFFFFFF
    return None


if __name__ == "__main__":
    sys.exit(main())
