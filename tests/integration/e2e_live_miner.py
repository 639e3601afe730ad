#!/usr/bin/env python3
# minerwatch — SPDX-License-Identifier: Apache-2.0
"""A real miner, a real pool name, real TLS: the sensor live and on the capture of the same run.

Cases (--case):
  xmrig-3333  XMRig 6.16.0 mines against stratum_pool.py on 127.0.0.1:3333
  xmrig-443   the same with the pool on port 443 (plain Stratum where TLS is expected)
  tls-sni     `openssl s_client -servername pool.supportxmr.com` against an `openssl s_server`
              on 127.0.0.1:443 (XMRig 6.16 sends no SNI); a benign name is the control
  dns-bad-ip  two network namespaces joined by a veth pair (198.18.0.1 pool, 198.18.0.2 miner;
              the benchmark range, routed nowhere): a DNS answer for the pool name, then XMRig
              connects to that address, which must give `Malware: Bad IP`
Each case captures with tcpdump and runs `minerwatch sensor` on the same interface at the same
time, stops the sensor with SIGINT, scans the capture with `minerwatch scan pcap`, and checks both
sets of findings. XMRig runs only inside those namespaces, under timeout, with --no-huge-pages
and one thread. Needs root; exits 77 with the reason otherwise.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

from e2e_common import (BAD_DOMAIN, BAD_IP, HERE, POOL_CATEGORY, SOURCE_DIR, Failures, Procs,
                        algos, base_args, cleanup_dir, describe, evidence, norm, pool_endpoint,
                        read_jsonl, require_binary, require_root, run, scan, skip, wait_for,
                        wait_for_log, work_dir)

# A syntactically valid Monero address made for this test; it belongs to nobody.
WALLET = ("44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3"
          "RVGQBEP3A")
POOL_NAME = "pool.supportxmr.com"  # a public pool in minerwatch's shipped default intel
BENIGN_NAME = "www.example.org"
POOL_ADDR, MINER_ADDR = "198.18.0.1", "198.18.0.2"
MIN_SHARES = 3


def fetch_xmrig():
    r = run(["bash", os.path.join(SOURCE_DIR, "tests/support/fetch_xmrig.sh")], 300)
    if r.returncode == 3:
        skip("XMRig 6.16.0 is not available: " + r.stderr.strip())
    if r.returncode != 0 or not r.stdout.strip():
        print("fetch_xmrig.sh failed: " + r.stderr.strip(), file=sys.stderr)
        sys.exit(1)
    return r.stdout.strip().splitlines()[-1]


class Observation:
    """tcpdump and `minerwatch sensor` on one interface while an action runs."""

    def __init__(self, args, procs, d, ns_prefix, iface, fl):
        self.args, self.procs, self.d, self.prefix, self.iface, self.fl = (
            args, procs, d, ns_prefix, iface, fl)
        self.cap = os.path.join(d, "capture.pcap")
        self.live = os.path.join(d, "live.jsonl")

    def __enter__(self):
        tlog = os.path.join(self.d, "tcpdump.log")
        self.tcpdump = self.procs.start(self.prefix + ["tcpdump", "-i", self.iface, "-n", "-s", "0",
                                                       "-U", "-Z", "root", "-w", self.cap], tlog)
        if not wait_for_log(tlog, "listening on", 10):
            self.fl.check(False, "tcpdump did not start: " + open(tlog).read()[-500:])
        self.sensor_log = os.path.join(self.d, "sensor.log")
        self.sensor = self.procs.start(self.prefix + [self.args.minerwatch, "sensor", "--interface",
                                                      self.iface, "--json", self.live],
                                       self.sensor_log)
        # The sensor has no readiness signal on the command line; give it time to open the
        # interface, and make sure it is still running.
        time.sleep(2.0)
        self.fl.check(self.sensor.poll() is None, "minerwatch sensor exited early (%s): %s"
                      % (self.sensor.returncode, self.log_tail()))
        return self

    def log_tail(self):
        try:
            return open(self.sensor_log, errors="replace").read()[-800:]
        except OSError:
            return ""

    def __exit__(self, *exc):
        time.sleep(1.0)  # let the last packets reach both readers
        rc = self.procs.stop(self.sensor, grace=15.0)
        self.fl.check(rc is not None, "minerwatch sensor did not stop within 15 s of SIGINT")
        self.fl.check(rc in (0, 1), "minerwatch sensor exit %s after SIGINT: %s"
                      % (rc, self.log_tail()))
        self.procs.stop(self.tcpdump)
        return False

    def findings(self):
        """(live findings, findings from scanning the capture)."""
        live = read_jsonl(self.live, self.fl)
        out = os.path.join(self.d, "scan.jsonl")
        r = scan(self.args.minerwatch, [self.cap], out, timeout=60)
        self.fl.check(r.returncode in (0, 1), "scan of the capture: exit %d: %s"
                      % (r.returncode, r.stderr.strip()[:500]))
        return live, read_jsonl(out, self.fl)


def capture_has(path, needle):
    try:
        with open(path, "rb") as f:
            return needle in f.read()
    except OSError:
        return False


def start_xmrig(procs, prefix, xmrig, d, url):
    log = os.path.join(d, "xmrig.log")
    cmd = prefix + ["timeout", "60", xmrig, "-o", url, "-u", WALLET, "-p", "x", "-a", "cn/0",
                    "--no-huge-pages", "--log-file=" + log, "-t", "1", "--cpu-priority=0",
                    "--no-color", "--donate-level=1", "--print-time=60", "--retries=2",
                    "--retry-pause=1"]
    return procs.start(cmd, os.path.join(d, "xmrig.stdout")), log


def count_submits(pool_log):
    try:
        with open(pool_log) as f:
            return sum('"method": "submit"' in l for l in f)
    except OSError:
        return 0


def check_pool_finding(fl, where, findings, host, port, client, max_shares):
    pool = [f for f in findings if f.get("category") == POOL_CATEGORY and f.get("stage") == 1
            and pool_endpoint(f) == (host, port)]
    if not fl.check(len(pool) == 1, "%s: want one stage-1 pool finding for %s:%d, got %d; all: %s"
                    % (where, host, port, len(pool), [describe(f) for f in findings][:5])):
        return
    f = pool[0]
    e = evidence(f)
    fl.check((f.get("resource") or {}).get("host_ip") == client,
             "%s: resource.host_ip %r, want %s" % (where, (f.get("resource") or {}).get("host_ip"),
                                                   client))
    fl.check(str(e.get("agent", "")).startswith("XMRig/6.16.0"),
             "%s: agent %r, want XMRig/6.16.0..." % (where, e.get("agent")))
    fl.check("cn/0" in algos(f), "%s: algorithms %r should include cn/0" % (where, algos(f)))
    fl.check(e.get("login") == WALLET, "%s: login %r, want the wallet %s"
             % (where, e.get("login"), WALLET))
    fl.check(norm(e.get("dialect")) in ("cryptonote", "xmrig", "cryptonotestratum"),
             "%s: dialect %r, want CryptoNote" % (where, e.get("dialect")))
    try:
        shares = int(e.get("shares_submitted", 0))
    except (TypeError, ValueError):
        shares = -1
    fl.check(1 <= shares <= max_shares, "%s: shares_submitted %r, the pool saw %d"
             % (where, e.get("shares_submitted"), max_shares))


def case_xmrig(args, procs, d, fl, port):
    xmrig = fetch_xmrig()
    pool_log = os.path.join(d, "pool.jsonl")
    ready = os.path.join(d, "pool.ready")
    procs.start([sys.executable, os.path.join(HERE, "stratum_pool.py"), "--host", "127.0.0.1",
                 "--port", str(port), "--log", pool_log, "--ready-file", ready],
                os.path.join(d, "pool.log"))
    if not fl.check(wait_for(lambda: os.path.exists(ready), 10), "the test pool did not start"):
        return
    with Observation(args, procs, d, [], "lo", fl) as obs:
        miner, xlog = start_xmrig(procs, [], xmrig, d, "127.0.0.1:%d" % port)
        fl.check(wait_for(lambda: count_submits(pool_log) >= MIN_SHARES, 40),
                 "XMRig submitted %d shares in 40 s; its log: %s"
                 % (count_submits(pool_log), open(xlog).read()[-800:] if os.path.exists(xlog) else ""))
        procs.stop(miner, grace=10)
    shares = count_submits(pool_log)
    if not fl.check(capture_has(obs.cap, b'"agent":"XMRig/6.16.0'),
                    "the capture does not hold XMRig's login: the test setup is broken"):
        return
    live, scanned = obs.findings()
    check_pool_finding(fl, "live", live, "127.0.0.1", port, "127.0.0.1", shares)
    check_pool_finding(fl, "capture", scanned, "127.0.0.1", port, "127.0.0.1", shares)


def mentions(f, needle):
    return needle in json.dumps(f)


def case_tls_sni(args, procs, d, fl):
    if shutil.which("openssl") is None:
        skip("tls-sni needs openssl")
    key, cert = os.path.join(d, "key.pem"), os.path.join(d, "cert.pem")
    r = run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=" + POOL_NAME], 30)
    if not fl.check(r.returncode == 0, "openssl req failed: " + r.stderr[-300:]):
        return
    server = procs.start(["openssl", "s_server", "-accept", "127.0.0.1:443", "-cert", cert, "-key",
                          key, "-quiet"], os.path.join(d, "s_server.log"))
    time.sleep(0.5)
    with Observation(args, procs, d, [], "lo", fl) as obs:
        for name in (BENIGN_NAME, POOL_NAME):
            c = run(["openssl", "s_client", "-connect", "127.0.0.1:443", "-servername", name,
                     "-brief"], 20, stdin=subprocess.DEVNULL)
            fl.check(c.returncode != 124, "s_client to %s hung" % name)
            time.sleep(0.3)
    procs.stop(server)
    if not fl.check(capture_has(obs.cap, POOL_NAME.encode()),
                    "the capture holds no ClientHello naming %s: test setup broken" % POOL_NAME):
        return
    for where, findings in zip(("live", "capture"), obs.findings()):
        bad = [f for f in findings if f.get("category") == BAD_DOMAIN and mentions(f, POOL_NAME)]
        fl.check(len(bad) >= 1, "%s: no `%s` finding naming %s; findings: %s"
                 % (where, BAD_DOMAIN, POOL_NAME, [describe(f) for f in findings][:5]))
        for f in bad:
            fl.check((f.get("resource") or {}).get("host_ip") == "127.0.0.1",
                     "%s: resource %r, want 127.0.0.1" % (where, f.get("resource")))
        fl.check(not any(mentions(f, BENIGN_NAME) for f in findings),
                 "%s: a finding names the benign %s: %s"
                 % (where, BENIGN_NAME, [describe(f) for f in findings if mentions(f, BENIGN_NAME)]))


def case_dns_bad_ip(args, procs, d, fl):
    xmrig = fetch_xmrig()
    tag = "%d" % (os.getpid() % 100000)
    ns_pool, ns_cli = "mwe2e-pool-" + tag, "mwe2e-cli-" + tag
    v_pool, v_cli = "mwp" + tag, "mwc" + tag
    netns_dir = "/etc/netns/" + ns_cli
    made_etc_netns = not os.path.isdir("/etc/netns")
    try:
        for cmd in (["ip", "netns", "add", ns_pool], ["ip", "netns", "add", ns_cli],
                    ["ip", "link", "add", v_pool, "netns", ns_pool, "type", "veth", "peer", "name",
                     v_cli, "netns", ns_cli],
                    ["ip", "-n", ns_pool, "addr", "add", POOL_ADDR + "/30", "dev", v_pool],
                    ["ip", "-n", ns_cli, "addr", "add", MINER_ADDR + "/30", "dev", v_cli],
                    ["ip", "-n", ns_pool, "link", "set", v_pool, "up"],
                    ["ip", "-n", ns_cli, "link", "set", v_cli, "up"],
                    ["ip", "-n", ns_pool, "link", "set", "lo", "up"],
                    ["ip", "-n", ns_cli, "link", "set", "lo", "up"]):
            r = run(cmd, 20)
            if r.returncode != 0:
                skip("cannot build the test namespaces (%s): %s" % (" ".join(cmd), r.stderr.strip()))
        # `ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf over /etc/resolv.conf, so the
        # miner's ordinary resolver asks our responder and nothing else.
        os.makedirs(netns_dir, exist_ok=True)
        with open(os.path.join(netns_dir, "resolv.conf"), "w") as f:
            f.write("nameserver %s\noptions timeout:2 attempts:2\n" % POOL_ADDR)
        in_pool = ["ip", "netns", "exec", ns_pool]
        in_cli = ["ip", "netns", "exec", ns_cli]
        pool_log, ready = os.path.join(d, "pool.jsonl"), os.path.join(d, "pool.ready")
        procs.start(in_pool + [sys.executable, os.path.join(HERE, "dns_responder.py"), "--bind",
                               POOL_ADDR, "--answer", "%s=%s" % (POOL_NAME, POOL_ADDR), "--log",
                               os.path.join(d, "dns.log")], os.path.join(d, "dns.out"))
        procs.start(in_pool + [sys.executable, os.path.join(HERE, "stratum_pool.py"), "--host",
                               POOL_ADDR, "--port", "3333", "--log", pool_log, "--ready-file",
                               ready], os.path.join(d, "pool.log"))
        if not fl.check(wait_for(lambda: os.path.exists(ready), 10), "the test pool did not start"):
            return
        with Observation(args, procs, d, in_cli, v_cli, fl) as obs:
            miner, xlog = start_xmrig(procs, in_cli, xmrig, d, "%s:3333" % POOL_NAME)
            fl.check(wait_for(lambda: count_submits(pool_log) >= MIN_SHARES, 40),
                     "XMRig submitted %d shares in 40 s via %s; its log: %s"
                     % (count_submits(pool_log), POOL_NAME,
                        open(xlog).read()[-800:] if os.path.exists(xlog) else ""))
            procs.stop(miner, grace=10)
        shares = count_submits(pool_log)
        if not fl.check(capture_has(obs.cap, POOL_NAME.split(".")[1].encode()) and
                        capture_has(obs.cap, b'"agent":"XMRig/6.16.0'),
                        "the capture lacks the DNS answer or XMRig's login: test setup broken"):
            return
        for where, findings in zip(("live", "capture"), obs.findings()):
            bad_ip = [f for f in findings if f.get("category") == BAD_IP
                      and POOL_ADDR in str(f.get("indicator", ""))]
            fl.check(len(bad_ip) == 1, "%s: want one `%s` finding for %s, got %d; findings: %s"
                     % (where, BAD_IP, POOL_ADDR, len(bad_ip), [describe(f) for f in findings][:6]))
            for f in bad_ip:
                fl.check((f.get("resource") or {}).get("host_ip") == MINER_ADDR,
                         "%s: Bad IP resource %r, want %s" % (where, f.get("resource"), MINER_ADDR))
                fl.check(mentions(f, POOL_NAME), "%s: the Bad IP finding does not say which pool"
                         " name resolved to it: %s" % (where, describe(f)))
            check_pool_finding(fl, where, findings, POOL_ADDR, 3333, MINER_ADDR, shares)
        # Control: without the DNS answer, 198.18.0.1 is an address like any other.
        tcp_only = os.path.join(d, "tcp_only.pcap")
        run(["tcpdump", "-n", "-r", obs.cap, "-w", tcp_only, "tcp"], 30)
        out = os.path.join(d, "tcp_only.jsonl")
        scan(args.minerwatch, [tcp_only], out, timeout=60)
        control = read_jsonl(out, fl)
        fl.check(not any(f.get("category") == BAD_IP for f in control),
                 "without the DNS answer the capture still gives a Bad IP finding: %s"
                 % [describe(f) for f in control if f.get("category") == BAD_IP])
    finally:
        procs.stop_all()
        for ns in (ns_pool, ns_cli):
            run(["ip", "netns", "del", ns], 20)
        shutil.rmtree(netns_dir, ignore_errors=True)
        if made_etc_netns:
            try:
                os.rmdir("/etc/netns")
            except OSError:
                pass


CASES = {"xmrig-3333": lambda a, p, d, f: case_xmrig(a, p, d, f, 3333),
         "xmrig-443": lambda a, p, d, f: case_xmrig(a, p, d, f, 443),
         "tls-sni": case_tls_sni,
         "dns-bad-ip": case_dns_bad_ip}
LOOPBACK_CASES = {"xmrig-3333", "xmrig-443", "tls-sni"}


def main():
    ap = base_args(__doc__)
    ap.add_argument("--case", required=True, choices=sorted(CASES))
    ap.add_argument("--in-netns", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    require_binary(args.minerwatch)
    require_root("the live miner test")
    if args.case in LOOPBACK_CASES and not args.in_netns:
        # Run this whole case in a fresh network namespace: loopback only, nothing else.
        os.execvp("unshare", ["unshare", "--net", "--", sys.executable, os.path.abspath(__file__),
                              *sys.argv[1:], "--in-netns"])
    if args.in_netns:
        r = run(["ip", "link", "set", "lo", "up"], 10)
        if r.returncode != 0:
            skip("cannot bring up loopback in the test namespace: " + r.stderr.strip())
    d = work_dir(args, args.case)
    fl = Failures()
    procs = Procs()
    try:
        CASES[args.case](args, procs, d, fl)
    finally:
        procs.stop_all()
    if fl.items:
        args.keep = True  # keep the capture and logs of a failed run
    cleanup_dir(args, d)
    fl.finish("live miner: " + args.case)


if __name__ == "__main__":
    sys.exit(main())
