#!/usr/bin/env python3
# minerwatch — SPDX-License-Identifier: Apache-2.0
"""nDPI's mining.pcapng: exactly its 4 mining flows are found, with what their payloads show.

The expectations below come from reading the payloads (tcpdump -A) and agree with nDPI's own
result file (ndpi-results/mining.pcapng.out: 4 Mining flows, currencies ZCash, Ethereum,
ZCash/Monero, ZCash):
  192.168.2.148 -> 94.23.199.191:3333    Stratum v1, mining.subscribe ["EWBF 0.3.4b", null,
                                         "eu1-zcash.flypool.org", "3333"], authorize t1fAhZ...rig4
  147.229.13.222 -> 185.71.66.39:9999    eth-proxy eth_submitLogin 0x9c99d2.../tester.worker1
  192.168.2.92 -> 178.32.196.217:9050    CryptoNote `login`, agent xmr-stak-cpu/1.3.0-1.5.0,
                                         wallet 4BCeEPho..., worker ryzen, submits accepted
  192.168.2.148 -> 116.211.167.195:3333  Stratum v1, EWBF 0.3.4b, cn1-zcash.flypool.org, t1fJuH...c1
"""
import os
import struct
import sys

from e2e_common import (POOL_CATEGORY, Failures, base_args, cleanup_dir, describe,
                        evidence, norm, pcapng_blocks, pool_endpoint, read_jsonl, require_binary,
                        require_data, scan, work_dir)

EXPECTED = {
    ("94.23.199.191", 3333): dict(client="192.168.2.148", dialect="stratumv1", agent="EWBF 0.3.4b",
                                  coin="zcash", login="t1fAhZF5aUJdY7CikGULHmeYk7id8qmvbAd",
                                  worker="rig4"),
    ("185.71.66.39", 9999): dict(client="147.229.13.222", dialect="eth", agent=None,
                                 coin="ethereum", login="0x9c99d212f7e5daa18ab50810e0fd255d1f04303b",
                                 worker=None),
    ("178.32.196.217", 9050): dict(client="192.168.2.92", dialect="cryptonote",
                                   agent="xmr-stak-cpu/1.3.0-1.5.0", coin=None,
                                   login="4BCeEPhodgPMbPWFN1dPwhWXdRX8q4mhhdZdA1dtSMLTLCEYvAj9QXjXAf"
                                         "F7CugEbmfBhgkqHbdgK9b2wKA6nqRZQCgvCDm",
                                   worker="ryzen", shares=True),
    ("116.211.167.195", 3333): dict(client="192.168.2.148", dialect="stratumv1",
                                    agent="EWBF 0.3.4b", coin="zcash",
                                    login="t1fJuHWrfcWnYMYyP9VAF96vRnvND2NziMG", worker="c1"),
}
# Dialect names differ in spelling between writers ("stratum_v1", "Stratum v1", "eth-proxy"):
# compare normalised, and accept the names each dialect may go by.
DIALECT_ALIASES = {
    "stratumv1": {"stratumv1", "stratum"},
    "eth": {"ethproxy", "ethstratum", "ethereumproxy", "getwork", "ethereumstratum"},
    "cryptonote": {"cryptonote", "xmrig", "monero", "cryptonotestratum"},
}

# A coin may be given by name or ticker.
COIN_NAMES = {"zcash": {"zcash", "zec"}, "ethereum": {"ethereum", "eth"},
              "monero": {"monero", "xmr"}}


def pcapng_packets(path):
    """(linktype, [(ts_us, caplen, origlen, data)]) of a little-endian, one-interface pcapng."""
    raw = open(path, "rb").read()
    linktype, packets = None, []
    for off in pcapng_blocks(raw):
        btype = struct.unpack_from("<I", raw, off)[0]
        if btype == 1:  # interface description
            linktype = struct.unpack_from("<H", raw, off + 8)[0]
        elif btype == 6:  # enhanced packet
            _, hi, lo, cap, orig = struct.unpack_from("<IIIII", raw, off + 8)
            packets.append(((hi << 32) | lo, cap, orig, raw[off + 28:off + 28 + cap]))
    return linktype, packets


def write_midsession_pcap(src, dst, skip):
    """Drops the first "skip" packets of every IPv4 TCP connection (handshake, subscribe, login,
    first jobs), as when capture starts while the miner is already mining."""
    linktype, packets = pcapng_packets(src)
    seen = {}
    with open(dst, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))
        for ts, cap, orig, data in packets:
            if linktype == 1 and len(data) >= 34 and data[12:14] == b"\x08\x00" and data[23] == 6:
                ihl = (data[14] & 15) * 4
                sport, dport = struct.unpack_from(">HH", data, 14 + ihl)
                key = tuple(sorted([(data[26:30], sport), (data[30:34], dport)]))
                seen[key] = seen.get(key, 0) + 1
                if seen[key] <= skip:
                    continue
            out.write(struct.pack("<IIII", ts // 1000000, ts % 1000000, cap, orig) + data)


def check_midsession(args, pcap, d, fl):
    """Capture started mid-session: no handshake, no login. The 4 miners must still be found
    from what they keep sending (jobs, submits, hashrate)."""
    cut = os.path.join(d, "mining-midsession.pcap")
    write_midsession_pcap(pcap, cut, skip=12)
    out = os.path.join(d, "midsession.jsonl")
    r = scan(args.minerwatch, [cut], out, timeout=60)
    fl.check(r.returncode == 1, "mid-session: scan exit code %d, want 1; stderr: %s"
             % (r.returncode, r.stderr.strip()[:500]))
    pool = [f for f in read_jsonl(out, fl)
            if f.get("category") == POOL_CATEGORY and f.get("stage") == 1]
    fl.check(sorted(pool_endpoint(f) for f in pool) == sorted(EXPECTED),
             "mid-session: want the 4 pools %s, got:\n  %s"
             % (sorted(EXPECTED), "\n  ".join(describe(f) for f in pool)))
    for f in pool:
        want = EXPECTED.get(pool_endpoint(f))
        if want:
            fl.check(norm(evidence(f).get("dialect")) in DIALECT_ALIASES[want["dialect"]],
                     "mid-session %s:%d: dialect %r, want %s"
                     % (pool_endpoint(f) + (evidence(f).get("dialect"), want["dialect"])))


def main():
    args = base_args(__doc__).parse_args()
    require_binary(args.minerwatch)
    pcap = require_data(args.data, "pcaps/ndpi/mining.pcapng")
    d = work_dir(args, "mining")
    out = os.path.join(d, "findings.jsonl")
    fl = Failures()
    r = scan(args.minerwatch, [pcap], out, timeout=60)
    fl.check(r.returncode == 1, "scan exit code %d, want 1 (findings); stderr: %s"
             % (r.returncode, r.stderr.strip()[:500]))
    findings = read_jsonl(out, fl)
    pool = [f for f in findings if f.get("category") == POOL_CATEGORY and f.get("stage") == 1]
    fl.check(len(pool) == 4, "want exactly 4 stage-1 pool-protocol findings, got %d:\n  %s"
             % (len(pool), "\n  ".join(describe(f) for f in pool)))
    seen = set()
    for f in pool:
        ep = pool_endpoint(f)
        want = EXPECTED.get(ep)
        if not fl.check(want is not None, "unexpected pool finding %s" % describe(f)):
            continue
        fl.check(ep not in seen, "two findings for pool %s:%d" % ep)
        seen.add(ep)
        e = evidence(f)
        tag = "%s:%d" % ep
        fl.check((f.get("resource") or {}).get("host_ip") == want["client"],
                 "%s: resource.host_ip %r, want the miner %s"
                 % (tag, (f.get("resource") or {}).get("host_ip"), want["client"]))
        fl.check(norm(e.get("dialect")) in DIALECT_ALIASES[want["dialect"]],
                 "%s: dialect %r, want %s" % (tag, e.get("dialect"), want["dialect"]))
        if want["agent"]:
            fl.check(str(e.get("agent", "")).startswith(want["agent"]),
                     "%s: agent %r, want %r" % (tag, e.get("agent"), want["agent"]))
        if want["coin"]:
            fl.check(norm(e.get("coin")) in COIN_NAMES[want["coin"]],
                     "%s: coin %r, want %s" % (tag, e.get("coin"), want["coin"]))
        elif e.get("coin"):
            fl.check(norm(e.get("coin")) in COIN_NAMES["monero"],
                     "%s: coin %r, but nothing in the payload names a coin other than the"
                     " Monero-style wallet" % (tag, e.get("coin")))
        # The login may keep what follows the wallet (payment id, worker); the wallet leads.
        fl.check(str(e.get("login", "")).startswith(want["login"]),
                 "%s: login %r, want %r" % (tag, e.get("login"), want["login"]))
        if want["worker"]:
            fl.check(want["worker"] in str(e.get("worker", "")),
                     "%s: worker %r, want %r" % (tag, e.get("worker"), want["worker"]))
        if want.get("shares"):
            try:
                shares = int(e.get("shares_submitted", 0))
            except (TypeError, ValueError):
                shares = 0
            fl.check(shares >= 1, "%s: shares_submitted %r, the flow submits shares"
                     % (tag, e.get("shares_submitted")))
        fl.check(bool(f.get("first_seen")) and bool(f.get("last_seen")),
                 "%s: first_seen/last_seen missing" % tag)
        fl.check(isinstance(f.get("attack"), list) and "T1496" in f.get("attack", []),
                 "%s: attack %r should name T1496 (Resource Hijacking)" % (tag, f.get("attack")))
    check_midsession(args, pcap, d, fl)
    cleanup_dir(args, d)
    fl.finish("nDPI mining.pcapng")


if __name__ == "__main__":
    sys.exit(main())
