#!/usr/bin/env python3
# minerwatch — SPDX-License-Identifier: Apache-2.0
"""The shared ET Open rules load, and fire on real traffic they target (issue 10, must-show 1).

1. `minerwatch rules check` on each shared ET Open file: at least 95% of its active rules load,
   every skipped one is named `file:line: sid N: reason` and the line really holds that sid.
2. Two network namespaces joined by a veth pair: the client at 10.53.0.2 ($HOME_NET, RFC 1918),
   the server at 198.51.100.1 (TEST-NET-2, $EXTERNAL_NET). tcpdump captures the veth while the
   client makes, with dig, curl and openssl where Debian has a program for it: DNS queries for
   listed pool names to dnsmasq, HTTP requests and responses the rules name, TLS handshakes with
   a listed SNI and certificates carrying the listed subject, issuer and serial, and Stratum,
   getblocktemplate and Duino-Coin sessions (this script, as client and as pool). Each piece of
   traffic uses its own client port, so every alert is attributed to the piece that caused it.
3. `minerwatch scan pcap` with every ET Open file: each expected sid is in the EVE file as an
   alert with the right src/dest, with an "Intrusion: IDS Rule Match" finding for the same flow;
   no other sid fires on any piece (the benign controls fire none at all).
Needs root; exits 77 with the reason otherwise. Namespaces are always deleted.
"""
import argparse
import glob
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import StreamRequestHandler, ThreadingTCPServer

from e2e_common import (Failures, Procs, base_args, cleanup_dir, read_jsonl, require_binary,
                        require_root, run, skip, wait_for, wait_for_log, work_dir)

CLIENT, SERVER = "10.53.0.2", "198.51.100.1"
IDS_CATEGORY = "Intrusion: IDS Rule Match"
MIN_LOADED = 0.95
ACTIONS = ("alert", "drop", "pass", "reject", "rejectsrc", "rejectdst", "rejectboth")

# A syntactically valid Monero address made for this test; it belongs to nobody.
WALLET = ("44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3"
          "RVGQBEP3A")
# The wallet sid 2025186 names (the miner dropped after CVE-2017-10271 exploits).
CVE_WALLET = ("4AQe5sAFWZKECiaeNTt59LG7kVtqRoSRJMjrmQ6GiMFAeUvoL3MFeTE6zwwHkFPrAyNw2JHDxUSWL82RiZT"
              "hPpk4SEg7Vqe")
AGENT = "XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0"


def jline(obj, compact=False):
    """One JSON-RPC line as the client library in question writes it: XMRig and most CryptoNote
    miners write compact JSON, Python-based Stratum v1 pools and cgminer's era write ", "."""
    seps = (",", ":") if compact else (", ", ": ")
    return (json.dumps(obj, separators=seps) + "\n").encode()


# --- the raw TCP sessions: (client messages) to a server port whose mode says how it answers ---
XMRIG_LOGIN = jline({"id": 1, "jsonrpc": "2.0", "method": "login",
                     "params": {"login": WALLET, "pass": "x", "agent": AGENT,
                                "algo": ["cn/0", "rx/0"]}}, compact=True)
# The same without "pass": sid 2027316 (tcp-pkt) is the one for logins that leave it out.
NOPASS_LOGIN = jline({"id": 1, "jsonrpc": "2.0", "method": "login",
                      "params": {"login": WALLET, "agent": AGENT}}, compact=True)
# Older miners (cpuminer-multi, the samples sid 2022886 cites) put "method" first.
OLD_LOGIN = jline({"method": "login", "params": {"login": WALLET, "pass": "x",
                                                 "agent": "cpuminer-multi/1.3.1"}, "id": 1},
                  compact=True)
SUBSCRIBE = jline({"id": 1, "method": "mining.subscribe", "params": ["cgminer/4.10.0"]})
AUTHORIZE = jline({"id": 2, "method": "mining.authorize", "params": ["e2e.worker1", "x"]})
CVE_AUTHORIZE = jline({"id": 1, "method": "mining.authorize", "params": [CVE_WALLET, "x"]})
GBT = jline({"id": 0, "method": "getblocktemplate",
             "params": [{"capabilities": ["coinbasetxn", "workid", "coinbase/append"]}]})
RHMINER = jline({"params": ["rhminer/1.5.3"], "id": 1, "method": "mining.subscribe"},
                compact=True)
# Duino-Coin miners send short lines, one a packet (dsize < 45 in both rules).
DUINO_HELLO = b"FROM,PC Miner,e2e-rig\n"
DUINO_RESULT = b"1734,15102.53,Repl.it Miner v1.2"
PROTOMINER = b"\x01\x27\x00\x00\x05\x00\x00\x00\x09" + b"node" + b"\x00" * 14 + b"Protominer\x00"
# Exploit-DB 45044 against a Claymore miner's management port (the hex is the command's text).
CLAYMORE_LINUX = jline({"id": 0, "jsonrpc": "2.0", "method": "miner_file",
                        "params": ["reboot.bash", "5c5c7837665c5c7834355c5c7834635c5c783436"
                                   "5c5c7830325c5c7830315c5c7830315c5c7830305c5c7830305c5c783030"]},
                       compact=True)
CLAYMORE_WINDOWS = jline({"id": 0, "jsonrpc": "2.0", "method": "miner_file",
                          "params": ["reboot.bat", "706f7765727368656c6c2e657865202d6e6f70"]},
                         compact=True)

# A pool's answers (Stratum v1 as in the protocol's own examples; the getblocktemplate reply
# carries coinbasetxn as BIP 22 allows).
SUBSCRIBE_REPLY = jline({"id": 1, "result": [["mining.notify", "deadbeefcafebabe"], "08000002", 4],
                         "error": None})
NOTIFY = jline({"params": ["bf", "4d16b6f85af6e2198f44ae2a6de67f78487ae5611b77c6c0440b921e00000000",
                           "01000000010000000000000000000000000000000000000000000000000000000000"
                           "000000ffffffff20020862062f503253482f04b8864e5008",
                           "072f736c7573682f000000000100f2052a010000001976a914d23fcdf86f7e756a64"
                           "a7a9688ef9903327048ed988ac00000000", [], "00000002", "1c2ac4af",
                           "504e86b9", False], "id": None, "method": "mining.notify"})
GBT_REPLY = jline({"result": {"coinbasetxn": {"data": "0100000001" + "00" * 32 + "ffffffff"},
                              "version": 536870912, "height": 800000, "bits": "1703e8b3",
                              "previousblockhash": "00" * 32},
                   "error": None, "id": 0})

POOL_PORTS = {3333: "pool", 3335: "pool", 8332: "pool", 3337: "ack", 4109: "ack", 2811: "duino",
              9912: "raw"}
HTTP_PORTS = (80, 8000)
# Served from the client's namespace: a miner's management port and a CouchDB, attacked from
# outside ($EXTERNAL_NET -> $HOME_NET).
INBOUND_POOL_PORTS = {3333: "ack"}
INBOUND_HTTP_PORTS = (5984,)

COINHIVE_PAGE = (b"<html><head><script src=\"https://coinhive.com/lib/coinhive.min.js\"></script>\n"
                 b"<script>\n  var miner = new CoinHive.Anonymous('e2eSiteKey0123456789');\n"
                 b"  miner.start();\n</script></head><body>hello</body></html>\n")
IRC_BOT = (b"// Configurazione del bot IRC\nvar server = 'irc.example.net';\n"
           b"// Sostituisci con l'indirizzo del server IRC\nvar port = 6667;\n"
           b"// Username del bot\nvar nick = 'e2e';\n// Realname del bot\nvar real = 'e2e';\n")
KILL_SCRIPT = (b"#!/bin/sh\r\nps aux | grep -v grep | grep 'mine.moneropool.com' | awk '{print $2}'"
               b" | xargs kill -9\r\n")
BATCH = (b"@echo off\r\nset x=%%comspec:~3,1%%%programfiles:~5,1%%%commonprogramfiles:~10,1%\r\n"
         b"%x%\r\n")
BITCOINPLUS = (b"<html><body><script src=\"http://www.bitcoinplus.com/js/miner.js\"></script>"
               b"<script>BitcoinPlusMiner(\"e2e@example.org\")</script></body></html>\n")
WALLET_SCAM = (b"<script>var d = navigator.userAgent;\nfunction w() { "
               b"return d.includes(\"hbWallet\") ? \"HB Wallet\" : "
               b"d.includes(\"coinbase\") ? \"Coinbase\" : d.includes(\"CriOS\") ? "
               b"\"MetaMask\" : d.includes(\"imToken\") ? \"imToken\" : d.includes(\"bitpie\") ? "
               b"\"Bitpie\" : d.includes(\"TokenPocket\") ? \"TokenPocket\" : \"other\"; }"
               b"</script>\n")
HTTP_BODIES = {"/coinhive.html": ("text/html", COINHIVE_PAGE),
               "/bot.js": ("text/javascript", IRC_BOT),
               "/clean.sh": ("text/x-sh", KILL_SCRIPT), "/run.bat": ("text/plain", BATCH),
               "/plus.html": ("text/html", BITCOINPLUS), "/wallet.html": ("text/html", WALLET_SCAM)}
# A TXT answer holding base64 of UTF-16LE "This program ..." (a PE header, DNSlivery-style).
TXT_NAME, TXT_VALUE = "stage.e2e-dnslivery.test", "aABpAHMAIABwAHIAbwBnAHIAYQBtACAAYwBhAG4AbgBvAHQA"

# Engine gaps a run finds go here (sid: reason): each is a KNOWN ISSUE line, a failure with
# MW_STRICT_KNOWN_ISSUES=1; one that fires again says so, to be taken off this list. Empty: every
# targeted sid fires (http.header, http.header_names, http.start and tls.cert_serial are filled).
KNOWN_ISSUES = {}
STRICT = os.environ.get("MW_STRICT_KNOWN_ISSUES") == "1"

BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


class Piece:
    """One piece of traffic from its own client port, and the (sid, direction) alerts it must
    raise; "to_server" means src = the client, "to_client" src = the server."""

    def __init__(self, name, port, kind, spec, expect, marker=None, inbound=False):
        self.name, self.port, self.kind, self.spec, self.expect = name, port, kind, spec, expect
        self.marker = marker  # bytes the capture must hold, or the test setup is broken
        # Inbound: the server's namespace ($EXTERNAL_NET) opens the connection to the client's.
        self.origin, self.target = (SERVER, CLIENT) if inbound else (CLIENT, SERVER)


def pieces():
    # sid 2017873 looks for the notify's '"params": ["' in the first 120 bytes a server sends;
    # ours follows the subscribe answer, so it must end well inside them, whatever the buffer.
    assert (SUBSCRIBE_REPLY + NOTIFY).find(b'"params": ["') + 12 <= 110
    up, down = "to_server", "to_client"
    out = [
        # Stratum and friends, raw TCP.
        Piece("xmrig-login", 40001, "tcp", (3333, [XMRIG_LOGIN]), [(2024792, up)],
              b'"agent":"XMRig'),
        Piece("login-without-pass", 40002, "tcp", (3333, [NOPASS_LOGIN]), [(2027316, up)]),
        Piece("old-style-login", 40003, "tcp", (3333, [OLD_LOGIN]), [(2022886, up)]),
        Piece("stratum-v1", 40004, "tcp", (3335, [SUBSCRIBE, AUTHORIZE]),
              [(2017871, up), (2017872, down), (2017873, down)], b"mining.notify"),
        Piece("cve-2017-10271-authline", 40005, "tcp", (3337, [CVE_AUTHORIZE]),
              [(2025186, up), (2017871, up)]),
        Piece("getblocktemplate", 40006, "tcp", (8332, [GBT]), [(2017878, up), (2017879, down)],
              b"coinbasetxn"),
        Piece("rhminer", 40007, "tcp", (4109, [RHMINER]), [(2026750, up)]),
        Piece("duino-coin", 40008, "tcp", (2811, [DUINO_HELLO, DUINO_RESULT]),
              [(2046703, up), (2046702, up)]),
        Piece("protominer", 40009, "tcp", (9912, [PROTOMINER]), [(2018014, up)]),
        # HTTP with curl.
        Piece("http-getblocktemplate", 41001, "curl",
              ["-A", "cgminer/4.12.1", "-H", "X-Mining-Extensions: longpoll midstate rollntime",
               "-H", "Content-Type: application/json", "--data-binary",
               '{"id": 1, "method": "getblocktemplate", "params": []}', "http://%s/" % SERVER],
              [(2016758, up), (2016067, up), (2017960, down)], b"X-Stratum"),
        Piece("http-poclbm", 41002, "curl", ["-A", "poclbm/20120920", "http://%s/" % SERVER],
              [(2016068, up)]),
        Piece("http-cryptexplorer", 41003, "curl",
              ["http://%s/api/bitcoin/balance/1BoatSLRHtKNngkdXEeobR76b53LETtpyT" % SERVER],
              [(2019825, up)]),
        Piece("http-flashplayer", 41004, "curl", ["http://%s/flashplayer_down.php" % SERVER],
              [(2026475, up)]),
        # Ymacco's check-in: only Host and Connection, to port 8000.
        Piece("http-ymacco-update", 41005, "curl",
              ["-H", "User-Agent:", "-H", "Accept:", "-H", "Connection: keep-alive",
               "http://%s:8000/update" % SERVER], [(2031464, up)]),
        Piece("http-ymacco-banner", 41006, "curl",
              ["-H", "User-Agent:", "-H", "Accept:", "-H", "Connection: keep-alive",
               "http://%s:8000/banner" % SERVER], [(2031465, up)]),
        Piece("http-nimiq-websocket", 41007, "curl",
              ["-H", "Host: nimiq.skypool.org", "-H", "Upgrade: websocket", "-H",
               "Connection: Upgrade", "-H", "Sec-WebSocket-Version: 13", "-H",
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "http://%s/" % SERVER],
              [(2026868, up)]),
        Piece("http-coinhive-page", 41008, "curl", ["-A", BROWSER_UA,
                                                    "http://%s/coinhive.html" % SERVER],
              [(2024721, down)], b"CoinHive.Anonymous"),
        Piece("http-irc-bot-config", 41009, "curl", ["-A", BROWSER_UA, "http://%s/bot.js" % SERVER],
              [(2059794, down)]),
        Piece("http-kill-miners-script", 41010, "curl", ["http://%s/clean.sh" % SERVER],
              [(2034504, down)]),
        # TLS 1.2 (the certificate is readable on the wire) with openssl s_client.
        Piece("tls-coin-hive", 42001, "tls", (443, "coin-hive.com"),
              [(2025535, up), (2025536, down), (2024786, down)], b"coin-hive.com"),
        Piece("tls-minerpool-cert", 42002, "tls", (8443, "eu.minerpool.pw"), [(2028623, down)]),
        Piece("tls-jsecoin-cert", 42003, "tls", (9443, "jsecoin.com"), [(2024788, down)]),
        Piece("tls-cnhv-cert", 42004, "tls", (11443, "cnhv.co"), [(2025582, down)]),
        Piece("tls-mymonero-phishing-cert", 42005, "tls", (12443, "xn--mymonro-fya.com"),
              [(2025318, down)]),
        # dotprefix: the SNI is the bare name, the rule's content starts with a dot.
        Piece("tls-sni-topaminer", 42006, "tls", (10443, "topaminer.top"), [(2058084, up)]),
        Piece("tls-sni-bit-miners", 42007, "tls", (10443, "bit-miners.top"), [(2058087, up)]),
        # More HTTP: requests and the responses of a compromised or malicious site.
        Piece("http-bitcoin-ua", 41011, "curl", ["-A", "BitCoin/0.3.24", "http://%s/" % SERVER],
              [(2013457, up)]),
        Piece("http-flashplayer-clickid", 41012, "curl",
              ["http://%s/flashplayer_down.php?clickid=a1b2c3d4e5" % SERVER], [(2026474, up)]),
        Piece("http-obfuscated-batch", 41013, "curl", ["http://%s/run.bat" % SERVER],
              [(2034184, down)]),
        Piece("http-bitcoinplus-page", 41014, "curl", ["-A", BROWSER_UA,
                                                       "http://%s/plus.html" % SERVER],
              [(2014535, down)]),
        Piece("http-wallet-scam-page", 41015, "curl", ["-A", BROWSER_UA,
                                                       "http://%s/wallet.html" % SERVER],
              [(2036601, down)]),
        # Attacks from outside on a miner's management port and a CouchDB in $HOME_NET.
        Piece("claymore-rce-linux", 45001, "tcp", (3333, [CLAYMORE_LINUX]), [(2025861, up)],
              inbound=True),
        Piece("claymore-rce-windows", 45002, "tcp", (3333, [CLAYMORE_WINDOWS]), [(2025862, up)],
              inbound=True),
        Piece("couchdb-cve-2017-12635", 45003, "curl",
              ["-X", "PUT", "-H", "Content-Type: application/json", "--data-binary",
               '{"type": "user", "name": "e2e", "roles": ["_admin"], "roles": [], '
               '"password": "x"}', "http://%s:5984/_users/org.couchdb.user:e2e" % CLIENT],
              [(2025435, up)], inbound=True),
        Piece("dns-txt-utf16-pe", 43101, "dns", (TXT_NAME, "TXT"), [(2027038, down)],
              TXT_VALUE.encode()),
    ]
    dns = [("xmr.2miners.com", 2040353), ("pool.hashvault.pro", 2036289),
           ("de.monero.herominers.com", 2033901), ("crypto-loot.com", 2024828),
           ("monerohash.com", 2048922), ("xmr.pool.minergate.com", 2025451),
           ("pool.minexmr.com", 2024789), ("xmr-eu1.nanopool.org", 2033268),
           ("nimiq.skypool.org", 2026867), ("pxybomb.icu", 2027285),
           ("community-pools.mysrv.cloud", 2046700), ("topaminer.top", 2058080),
           ("bit-miners.top", 2058083)]
    out += [Piece("dns-" + name, 43001 + i, "dns", (name, "A"), [(sid, up)],
                  name.split(".")[0].encode())
            for i, (name, sid) in enumerate(dns)]
    # Benign controls: none of them may raise any alert.
    out += [
        Piece("benign-http", 44001, "curl", ["-A", BROWSER_UA, "http://%s/index.html" % SERVER],
              []),
        Piece("benign-dns", 44002, "dns", ("example.org", "A"), []),
        # One byte longer than sid 2036289's bsize:18.
        Piece("benign-dns-bsize", 44003, "dns", ("xpool.hashvault.pro", "A"), []),
        Piece("benign-tls", 44004, "tls", (10443, "www.example.org"), []),
    ]
    return out


# ------------------------------- the server namespace's side -------------------------------
class PoolHandler(StreamRequestHandler):
    """Answers like a pool would, by the mode of the port it listens on."""

    def handle(self):
        host, port = self.server.server_address[:2]
        mode = (POOL_PORTS if host == SERVER else INBOUND_POOL_PORTS)[port]
        self.connection.settimeout(10)
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            if mode == "duino":
                self.wfile.write(b"3.0\n")
            while True:
                data = self.connection.recv(65536)
                if not data:
                    return
                self.wfile.write(self.answer(mode, data))
        except OSError:
            pass

    @staticmethod
    def answer(mode, data):
        if mode == "duino":
            return b"GOOD\n"
        if mode == "raw":
            return b"OK\n"
        try:
            msg = json.loads(data.decode().splitlines()[0])
        except (ValueError, IndexError):
            return b"\n"
        rid, method = msg.get("id"), msg.get("method")
        if mode == "pool" and method == "login":
            return jline({"id": rid, "jsonrpc": "2.0", "error": None,
                          "result": {"id": "e2e-1", "status": "OK",
                                     "job": {"blob": "06" * 38, "job_id": "1",
                                             "target": "ffffff0f", "algo": "cn/0"}}},
                         compact=True)
        if mode == "pool" and method == "mining.subscribe":
            return SUBSCRIBE_REPLY + NOTIFY
        if mode == "pool" and method == "getblocktemplate":
            return GBT_REPLY
        return jline({"id": rid, "result": True, "error": None})


class HttpHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        ctype, body = HTTP_BODIES.get(self.path, ("text/html", b"<html><body>ok</body></html>\n"))
        self.reply(body, ctype, [])

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        # Pools that spoke getwork/getblocktemplate over HTTP pointed miners at Stratum so.
        self.reply(b'{"result": null, "error": null, "id": 1}\n', "application/json",
                   [("X-Stratum", "stratum+tcp://%s:3335" % SERVER)])

    def do_PUT(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.reply(b'{"ok": true}\n', "application/json", [])

    def reply(self, body, ctype, extra):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve(ready_file, inbound):
    ThreadingTCPServer.allow_reuse_address = True
    ThreadingTCPServer.daemon_threads = True
    ThreadingHTTPServer.allow_reuse_address = True
    host, pool_ports, http_ports = ((CLIENT, INBOUND_POOL_PORTS, INBOUND_HTTP_PORTS) if inbound
                                    else (SERVER, POOL_PORTS, HTTP_PORTS))
    servers = [ThreadingTCPServer((host, p), PoolHandler) for p in pool_ports]
    servers += [ThreadingHTTPServer((host, p), HttpHandler) for p in http_ports]
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    with open(ready_file, "w") as f:
        f.write("%d\n" % os.getpid())
    while True:  # until the test's SIGTERM
        time.sleep(3600)


# ------------------------------- the client namespace's side -------------------------------
def tcp_client(piece):
    """One session: each message in its own segment, each after the server's previous answer."""
    server_port, messages = piece.spec
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(5)
    s.bind((piece.origin, piece.port))
    s.connect((piece.target, server_port))
    if piece.origin == CLIENT and POOL_PORTS[server_port] == "duino":
        s.recv(100)  # the server's version line comes first
    for m in messages:
        s.sendall(m)
        s.recv(65536)
        time.sleep(0.05)  # all of a multi-part answer, before the next message
    s.shutdown(socket.SHUT_WR)
    try:
        while s.recv(65536):
            pass
    except OSError:
        pass
    s.close()
    return 0


# ------------------------------------- the test itself -------------------------------------
def active_rules(path):
    """Line numbers of the active rules of a file (uncommented, starting with an action)."""
    lines = {}
    with open(path, errors="replace") as f:
        for n, line in enumerate(f, 1):
            word = line.strip().split(" ", 1)[0]
            if word in ACTIONS:
                m = re.search(r"\bsid\s*:\s*(\d+)\s*;", line)
                lines[n] = int(m.group(1)) if m else None
    return lines


SKIP_LINE = re.compile(r"^(.+?):(\d+): (?:sid (\d+): )?(.+)$")
SUMMARY = re.compile(r"(\d+) of (\d+) rules loaded \((\d+) skipped, (\d+) disabled\)")


def check_rules_load(args, fl, files):
    total_active = total_loaded = 0
    for path in files:
        r = run([args.minerwatch, "rules", "check", path], 60)
        name = os.path.basename(path)
        summary = SUMMARY.search(r.stdout)
        if not fl.check(r.returncode in (0, 1) and summary,
                        "rules check %s: exit %d, no summary: %s %s"
                        % (name, r.returncode, r.stdout[-400:], r.stderr[-400:])):
            continue
        loaded, active, skipped, _ = (int(x) for x in summary.groups())
        want = active_rules(path)
        print("rules check %s: %s" % (name, summary.group(0)))
        fl.check(active == len(want), "%s: %d active rules counted, the file has %d"
                 % (name, active, len(want)))
        fl.check(loaded + skipped == active, "%s: loaded %d + skipped %d != active %d"
                 % (name, loaded, skipped, active))
        fl.check(loaded >= MIN_LOADED * active, "%s: only %d of %d active rules load (< %d%%)"
                 % (name, loaded, active, MIN_LOADED * 100))
        named = [l for l in r.stdout.splitlines() if l.strip() and not SUMMARY.search(l)]
        fl.check(len(named) == skipped, "%s: %d skipped but %d named: %s"
                 % (name, skipped, len(named), named))
        for line in named:
            print("  skipped: " + line)
            m = SKIP_LINE.match(line)
            if not fl.check(m and m.group(1) == path,
                            "%s: skip line not `file:line: sid N: reason`: %r" % (name, line)):
                continue
            n, sid = int(m.group(2)), m.group(3)
            fl.check(n in want and (sid is None or want[n] == int(sid)),
                     "%s: skip line %r names line %d, which holds sid %s" % (name, line, n,
                                                                              want.get(n)))
        total_active += active
        total_loaded += loaded
    print("ET Open: %d of %d active rules load in all (%.1f%%)"
          % (total_loaded, total_active, 100.0 * total_loaded / max(total_active, 1)))


def check_scan_skips(fl, stderr, summary, rule_files):
    """All files load as one rule set in the scan: the older snapshot's copies of the current
    file's sids are skipped as duplicates (as Suricata refuses a second gid:sid); every skip is
    named, and the other skips stay within the 5% the files allow each."""
    loaded, active, skipped, _ = (int(x) for x in summary.groups()[:4])
    named = [m for m in (SKIP_LINE.match(l) for l in stderr.splitlines())
             if m and m.group(1) in rule_files]
    fl.check(len(named) == skipped, "scan pcap: %d skipped but %d named on stderr"
             % (skipped, len(named)))
    dups = sum("duplicate" in m.group(4) for m in named)
    print("scan pcap: %d skipped as duplicates of an earlier file's sid, %d for other reasons"
          % (dups, len(named) - dups))
    fl.check(len(named) - dups <= (1 - MIN_LOADED) * active,
             "scan pcap: %d rules skipped for reasons other than a duplicate sid (of %d)"
             % (len(named) - dups, active))


def make_certs(fl, d):
    """Throwaway certificates carrying what the rules look for; {server port: (cert, key)}."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"]

    def req(name, subj, serial, extra=()):
        key, cert = os.path.join(d, name + ".key"), os.path.join(d, name + ".pem")
        r = run(["openssl", "req", "-x509", *ec, "-keyout", key, "-out", cert, "-subj", subj,
                 "-set_serial", serial, *extra], 30)
        fl.check(r.returncode == 0, "openssl req %s: %s" % (name, r.stderr[-300:]))
        return cert, key

    certs = {443: req("coinhive", "/CN=*.coin-hive.com", "0x0AE1E6BD51FB3D8F06BE0DB55EBDE9DF"),
             9443: req("jsecoin", "/CN=jsecoin.com", "0xE7F9B6DEA65793E2446A3B95C6B3ECDF"),
             10443: req("benign", "/CN=www.example.org", "0x1001"),
             11443: req("cnhv", "/CN=cnhv.co", "0x1002"),
             12443: req("mymonero", "/CN=xn--mymonro-fya.com", "0x1003")}
    # A leaf signed by a CA named like Let's Encrypt's old intermediate, as sid 2028623 expects.
    ca_cert, ca_key = req("ca", "/C=US/O=Let's Encrypt/CN=Let's Encrypt Authority X3", "0x2002")
    key, csr, cert = (os.path.join(d, "minerpool" + x) for x in (".key", ".csr", ".pem"))
    r1 = run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
              "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", csr, "-subj",
              "/CN=eu.minerpool.pw"], 30)
    r2 = run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key,
              "-set_serial", "0x3003", "-days", "1", "-out", cert], 30)
    fl.check(r1.returncode == 0 and r2.returncode == 0,
             "minerpool certificate: %s %s" % (r1.stderr[-200:], r2.stderr[-200:]))
    certs[8443] = (cert, key)
    return certs


class Namespaces:
    """A client and a server namespace joined by a veth pair; deleted on exit, whatever
    happened."""

    def __init__(self):
        tag = "%d" % (os.getpid() % 100000)
        self.srv, self.cli = "mwet-srv-" + tag, "mwet-cli-" + tag
        self.v_srv, self.v_cli = "mwets" + tag, "mwetc" + tag

    def __enter__(self):
        for cmd in (["ip", "netns", "add", self.srv], ["ip", "netns", "add", self.cli],
                    ["ip", "link", "add", self.v_srv, "netns", self.srv, "type", "veth", "peer",
                     "name", self.v_cli, "netns", self.cli],
                    ["ip", "-n", self.srv, "addr", "add", SERVER + "/32", "peer", CLIENT + "/32",
                     "dev", self.v_srv],
                    ["ip", "-n", self.cli, "addr", "add", CLIENT + "/32", "peer", SERVER + "/32",
                     "dev", self.v_cli],
                    ["ip", "-n", self.srv, "link", "set", self.v_srv, "up"],
                    ["ip", "-n", self.cli, "link", "set", self.v_cli, "up"],
                    ["ip", "-n", self.srv, "link", "set", "lo", "up"],
                    ["ip", "-n", self.cli, "link", "set", "lo", "up"]):
            r = run(cmd, 20)
            if r.returncode != 0:
                self.__exit__()
                skip("cannot build the test namespaces (%s): %s" % (" ".join(cmd),
                                                                    r.stderr.strip()))
        return self

    def __exit__(self, *exc):
        for ns in (self.srv, self.cli):
            run(["ip", "netns", "del", ns], 20)
        return False

    def exec_in(self, ns):
        return ["ip", "netns", "exec", ns]


def start_servers(args, fl, procs, d, ns, certs):
    in_srv = ns.exec_in(ns.srv)
    ready = os.path.join(d, "servers.ready")
    procs.start(in_srv + [sys.executable, os.path.abspath(__file__), "--minerwatch",
                          args.minerwatch, "--serve", ready], os.path.join(d, "servers.log"))
    ready_in = os.path.join(d, "inbound.ready")
    procs.start(ns.exec_in(ns.cli) + [sys.executable, os.path.abspath(__file__), "--minerwatch",
                                      args.minerwatch, "--serve", ready_in, "--inbound"],
                os.path.join(d, "inbound.log"))
    dlog = os.path.join(d, "dnsmasq.log")
    procs.start(in_srv + ["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null",
                          "--no-resolv", "--no-hosts", "--bind-interfaces",
                          "--listen-address=" + SERVER, "--address=/#/" + SERVER,
                          "--txt-record=%s,%s" % (TXT_NAME, TXT_VALUE),
                          "--log-queries", "--log-facility=-", "--user=root",
                          "--pid-file=" + os.path.join(d, "dnsmasq.pid")], dlog)
    for port, (cert, key) in sorted(certs.items()):
        procs.start(in_srv + ["openssl", "s_server", "-accept", "%s:%d" % (SERVER, port), "-cert",
                              cert, "-key", key, "-quiet"],
                    os.path.join(d, "s_server-%d.log" % port))
    ok = wait_for(lambda: os.path.exists(ready) and os.path.exists(ready_in), 10)
    fl.check(ok, "the test's pool and HTTP servers did not start: "
             + open(os.path.join(d, "servers.log")).read()[-500:]
             + open(os.path.join(d, "inbound.log")).read()[-500:])
    fl.check(wait_for_log(dlog, "started", 10),
             "dnsmasq did not start: " + open(dlog).read()[-500:])
    time.sleep(0.5)  # s_server has no readiness signal
    return ok


def make_traffic(args, fl, ns, piece):
    in_cli = ns.exec_in(ns.cli if piece.origin == CLIENT else ns.srv)
    if piece.kind == "tcp":
        cmd = in_cli + [sys.executable, os.path.abspath(__file__), "--minerwatch", args.minerwatch,
                        "--client", piece.name]
    elif piece.kind == "curl":
        cmd = in_cli + ["curl", "-sS", "-o", "/dev/null", "--noproxy", "*", "--max-time", "10",
                        "--local-port", str(piece.port), *piece.spec]
    elif piece.kind == "dns":
        cmd = in_cli + ["dig", "@" + SERVER, "-b", "%s#%d" % (CLIENT, piece.port), "+tries=1",
                        "+time=3", *piece.spec]
    else:
        port, sni = piece.spec
        cmd = in_cli + ["openssl", "s_client", "-connect", "%s:%d" % (SERVER, port), "-bind",
                        "%s:%d" % (CLIENT, piece.port), "-servername", sni, "-tls1_2", "-brief"]
    r = run(cmd, 20, stdin=subprocess.DEVNULL)
    fl.check(r.returncode == 0, "%s: %s exit %d: %s" % (piece.name, piece.kind, r.returncode,
                                                        (r.stderr or r.stdout)[-300:]))


def belongs(alert, piece):
    return ((alert.get("src_ip") == piece.origin and alert.get("src_port") == piece.port) or
            (alert.get("dest_ip") == piece.origin and alert.get("dest_port") == piece.port))


def read_eve(fl, path):
    alerts = []
    if not fl.check(os.path.exists(path), "no EVE file written: " + path):
        return alerts
    with open(path) as f:
        for n, line in enumerate(f, 1):
            try:
                rec = json.loads(line)
            except ValueError as e:
                fl.check(False, "%s:%d: not JSON: %s" % (path, n, e))
                continue
            if rec.get("event_type") == "alert":
                alerts.append(rec)
    return alerts


def endpoints_of(piece, direction):
    """(src, dest) of an alert: the packet's, so a to_client alert comes from the server."""
    if direction == "to_server":
        return piece.origin, piece.target
    return piece.target, piece.origin


def check_piece(fl, piece, alerts, findings):
    mine = [a for a in alerts if belongs(a, piece)]
    want = {sid for sid, _ in piece.expect}
    for sid, direction in piece.expect:
        hits = [a for a in mine if (a.get("alert") or {}).get("signature_id") == sid]
        src, dst = endpoints_of(piece, direction)
        if sid in KNOWN_ISSUES and not STRICT:
            if not hits:
                print("KNOWN ISSUE: %s: sid %d did not fire: %s" % (piece.name, sid,
                                                                     KNOWN_ISSUES[sid]))
                continue
            print("known issue fixed: %s: sid %d fires; take it off KNOWN_ISSUES" % (piece.name,
                                                                                     sid))
        if not fl.check(hits, "%s: sid %d did not fire (alerts on this flow: %s)"
                        % (piece.name, sid, sorted({(a.get("alert") or {}).get("signature_id")
                                                    for a in mine}))):
            continue
        for a in hits:
            fl.check((a.get("src_ip"), a.get("dest_ip")) == (src, dst),
                     "%s: sid %d alert %s -> %s, want %s -> %s (%s)"
                     % (piece.name, sid, a.get("src_ip"), a.get("dest_ip"), src, dst, direction))
        found = [f for f in findings if f.get("category") == IDS_CATEGORY
                 and (f.get("evidence") or {}).get("sid") == sid
                 and ((f.get("evidence") or {}).get("flow") or {}).get("client") == piece.origin
                 and ((f.get("evidence") or {}).get("flow") or {}).get("server") == piece.target]
        fl.check(found, "%s: no `%s` finding for sid %d with client %s, server %s"
                 % (piece.name, IDS_CATEGORY, sid, piece.origin, piece.target))
    extra = sorted({(a.get("alert") or {}).get("signature_id") for a in mine} - want)
    fl.check(not extra, "%s: sid(s) %s fired, which this traffic does not match (%s)"
             % (piece.name, extra, "a benign control" if not want else "want only %s"
                % sorted(want)))


def capture_has(path, needle):
    try:
        with open(path, "rb") as f:
            return needle in f.read()
    except OSError:
        return False


def run_traffic_and_scan(args, fl, d, rule_files):
    all_pieces = pieces()
    procs = Procs()
    cap = os.path.join(d, "capture.pcap")
    with Namespaces() as ns:
        try:
            certs = make_certs(fl, d)
            if not start_servers(args, fl, procs, d, ns, certs):
                return
            tlog = os.path.join(d, "tcpdump.log")
            tcpdump = procs.start(ns.exec_in(ns.cli) + ["tcpdump", "-i", ns.v_cli, "-n", "-s", "0",
                                                        "-U", "-Z", "root", "-w", cap], tlog)
            if not fl.check(wait_for_log(tlog, "listening on", 10),
                            "tcpdump did not start: " + open(tlog).read()[-500:]):
                return
            for piece in all_pieces:
                make_traffic(args, fl, ns, piece)
            time.sleep(1.0)  # the last packets reach tcpdump's file
            procs.stop(tcpdump)
        finally:
            procs.stop_all()
    for piece in all_pieces:
        if piece.marker:
            fl.check(capture_has(cap, piece.marker), "%s: the capture lacks %r: test setup broken"
                     % (piece.name, piece.marker))
    eve, out = os.path.join(d, "eve.json"), os.path.join(d, "findings.jsonl")
    cmd = [args.minerwatch, "scan", "pcap", cap, "--eve", eve, "--json", out]
    for f in rule_files:
        cmd += ["--rules", f]
    r = run(cmd, 60)
    fl.check(r.returncode in (0, 1), "scan pcap: exit %d: %s" % (r.returncode, r.stderr[-800:]))
    summary = re.search(r"^rules: " + SUMMARY.pattern, r.stderr, re.M)
    fl.check(summary, "scan pcap printed no `rules: N of M rules loaded` line: " + r.stderr[-500:])
    if summary:
        print("scan pcap " + summary.group(0))
        check_scan_skips(fl, r.stderr, summary, rule_files)
    alerts, findings = read_eve(fl, eve), read_jsonl(out, fl)
    print("EVE alerts: %d; IDS findings: %d"
          % (len(alerts), sum(f.get("category") == IDS_CATEGORY for f in findings)))
    for piece in all_pieces:
        check_piece(fl, piece, alerts, findings)
    stray = [a for a in alerts if not any(belongs(a, p) for p in all_pieces)]
    fl.check(not stray, "alerts on no flow the test made: %s" % [json.dumps(a)[:300]
                                                                for a in stray[:5]])
    expected = sum(len(p.expect) for p in all_pieces)
    print("traffic pieces: %d (%d benign); expected (sid, flow) alerts: %d"
          % (len(all_pieces), sum(not p.expect for p in all_pieces), expected))
    active = set()
    for f in rule_files:
        active |= {sid for sid in active_rules(f).values() if sid}
    exercised = {sid for p in all_pieces for sid, _ in p.expect}
    print("active ET Open sids the traffic targets: %d of %d; not targeted: %s"
          % (len(active & exercised), len(active), sorted(active - exercised) or "none"))


def main():
    ap = base_args(__doc__)
    ap.add_argument("--serve", metavar="READY_FILE", help=argparse.SUPPRESS)
    ap.add_argument("--inbound", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--client", metavar="PIECE", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        return serve(args.serve, args.inbound)
    if args.client:
        return tcp_client(next(p for p in pieces() if p.name == args.client))
    require_binary(args.minerwatch)
    et_dir = os.path.join(args.data, "ids-rules", "et-open")
    if not os.path.isdir(et_dir):
        skip("shared ET Open rules missing: %s (set MW_SHARED_DATA_DIR)" % et_dir)
    # The current file first: the older snapshot's copies of its sids are then the duplicates.
    rule_files = sorted(glob.glob(os.path.join(et_dir, "*.rules")),
                        key=lambda p: (os.path.basename(p) != "emerging-coinminer.rules", p))
    require_root("the ET Open rules test")
    for tool in ("dnsmasq", "dig", "curl", "openssl"):
        if shutil.which(tool) is None:
            skip("needs %s (scripts/install-deps.sh --test: dnsmasq-base, dnsutils, curl, openssl)"
                 % tool)
    fl = Failures()
    d = work_dir(args, "ids-et")
    start = time.monotonic()
    check_rules_load(args, fl, rule_files)
    run_traffic_and_scan(args, fl, d, rule_files)
    print("took %.1f s" % (time.monotonic() - start))
    if fl.items:
        args.keep = True  # keep the capture, EVE file and logs of a failed run
    cleanup_dir(args, d)
    fl.finish("ET Open rules end to end")


if __name__ == "__main__":
    sys.exit(main())
