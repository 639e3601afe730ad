#!/usr/bin/env python3
# minerwatch — SPDX-License-Identifier: Apache-2.0
"""A tiny authoritative DNS responder over UDP, for end-to-end tests only.

Answers A queries for the names given with --answer NAME=IPV4 (TTL 60), an empty NOERROR for
other query types of those names, and NXDOMAIN for everything else. Tests run it inside a network
namespace they made, on an address of that namespace. Standard library only.
"""
import argparse
import signal
import socket
import struct
import sys


def parse_qname(msg, off):
    labels = []
    while True:
        if off >= len(msg):
            raise ValueError("truncated name")
        n = msg[off]
        off += 1
        if n == 0:
            return ".".join(labels).lower(), off
        if n & 0xC0:
            raise ValueError("compression in a question")
        labels.append(msg[off:off + n].decode("ascii", "replace"))
        off += n


def answer(msg, table):
    if len(msg) < 12:
        return None
    qid, flags, qd = struct.unpack_from("!HHH", msg, 0)
    if flags & 0x8000 or qd != 1:
        return None
    name, off = parse_qname(msg, 12)
    if off + 4 > len(msg):
        return None
    qtype, qclass = struct.unpack_from("!HH", msg, off)
    question = msg[12:off + 4]
    rd = flags & 0x0100
    if name not in table:
        return struct.pack("!HHHHHH", qid, 0x8400 | rd | 0x0080 | 3, 1, 0, 0, 0) + question
    answers = b""
    count = 0
    if qtype == 1 and qclass == 1:
        answers = struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton(table[name])
        count = 1
    return struct.pack("!HHHHHH", qid, 0x8400 | rd | 0x0080, 1, count, 0, 0) + question + answers


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bind", required=True)
    ap.add_argument("--port", type=int, default=53)
    ap.add_argument("--answer", action="append", default=[], help="NAME=IPV4")
    ap.add_argument("--log", help="append one line per query")
    args = ap.parse_args()
    table = {}
    for a in args.answer:
        name, ip = a.split("=", 1)
        table[name.lower().rstrip(".")] = ip
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((args.bind, args.port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    log = open(args.log, "a", buffering=1) if args.log else None
    while True:
        msg, peer = sock.recvfrom(4096)
        try:
            reply = answer(msg, table)
        except ValueError:
            reply = None
        if log:
            log.write("%s %s\n" % (peer[0], "answered" if reply else "ignored"))
        if reply:
            sock.sendto(reply, peer)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
