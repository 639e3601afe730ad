#!/usr/bin/env python3
# minerwatch — SPDX-License-Identifier: Apache-2.0
"""Hostile clients against a running `minerwatch up` (standard library only).

  http_attack.py bodies --url URL --pid PID --token ADMIN [--bench]
      1 GiB chunked POSTs (no token, then an admin token), a 1 GiB Content-Length, 100 MB of 8 KB
      headers (no token, then a token), and headers just over the server's own limits. Each must be
      answered (401/413/431) within a second, and the service's peak RSS (VmHWM) must grow by
      under 10 MB. Bodies are streamed: nothing the size of the attack is built in memory.
  http_attack.py load --url URL --token VIEWER [--seconds 20] [--bench]
      50 slowloris connections (one header line every 2 s, reconnecting when dropped) from
      127.0.0.2 and 200 keep-alive clients from 127.0.0.10-13, each sending GET /api/v1/findings
      on its kept-alive connection every 0.5-1 s (~300 requests/s in all), while a probe process
      on 127.0.0.1 asks GET /api/v1/findings every 100 ms: its p99 must stay under 200 ms, with no
      errors.
--bench prints the numbers and exits 0 whatever they are (before/after comparisons).
"""
import argparse
import asyncio
import json
import os
import random
import select
import socket
import subprocess
import sys
import time
import urllib.parse

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def vm(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


def status_of(buf):
    line = buf.split(b"\r\n", 1)[0].split()
    return int(line[1]) if len(line) >= 2 and line[1].isdigit() else None


def stream(host, port, head, chunks, limit_s=30.0):
    """Sends head, then the byte strings from chunks, until the server answers or hangs up.
    Returns (status or None, seconds until the answer, bytes of the attack sent)."""
    s = socket.create_connection((host, port), timeout=limit_s)
    s.setblocking(False)
    t0 = time.monotonic()
    got = b""
    sent = 0
    pending = head
    it = iter(chunks)
    try:
        while time.monotonic() - t0 < limit_s:
            if not pending:
                pending = next(it, None)
                if pending is None:
                    break
            r, w, _ = select.select([s], [s], [], 1.0)
            if r:
                try:
                    data = s.recv(65536)
                except ConnectionResetError:
                    data = b""
                got += data
                if b"\r\n" in got or not data:
                    break
            if w and pending:
                try:
                    n = s.send(pending)
                except (BrokenPipeError, ConnectionResetError):
                    break
                sent += n
                pending = pending[n:]
        # Whatever the server said before it hung up.
        end = time.monotonic() + 2
        while b"\r\n" not in got and time.monotonic() < end:
            r, _, _ = select.select([s], [], [], 0.2)
            if r:
                try:
                    data = s.recv(65536)
                except ConnectionResetError:
                    break
                if not data:
                    break
                got += data
    finally:
        s.close()
    return status_of(got), time.monotonic() - t0, sent


def chunked(total, size=64 * 1024):
    block = b"a" * size
    frame = b"%x\r\n" % size + block + b"\r\n"
    for _ in range(total // size):
        yield frame
    yield b"0\r\n\r\n"


def raw(total, size=64 * 1024):
    block = b"a" * size
    for _ in range(total // size):
        yield block


def headers(total, size=8 * 1024):
    for i in range(total // size):
        yield b"X-Pad-%d: " % i + b"a" * (size - 16) + b"\r\n"
    yield b"\r\n"


def bodies(a):
    u = urllib.parse.urlsplit(a.url)
    host, port = u.hostname, u.port
    auth = b"Authorization: Bearer " + a.token.encode() + b"\r\n"
    gib, mb100 = 1 << 30, 100 << 20
    hwm0 = vm(a.pid, "VmHWM")
    rss0 = vm(a.pid, "VmRSS")
    cases = [
        ("1 GiB chunked POST, no token", [401, 413],
         b"POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n", chunked(gib)),
        ("1 GiB chunked POST, admin token", [413],
         b"POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + auth +
         b"Transfer-Encoding: chunked\r\n\r\n", chunked(gib)),
        ("1 GiB Content-Length POST, admin token", [413],
         b"POST /api/v1/findings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + auth +
         b"Content-Length: %d\r\n\r\n" % gib, raw(gib)),
        ("100 MB of 8 KB headers, no token", [431],
         b"GET /api/v1/findings HTTP/1.1\r\nHost: x\r\n", headers(mb100)),
        ("100 MB of 8 KB headers, admin token", [431],
         b"GET /api/v1/findings HTTP/1.1\r\nHost: x\r\n" + auth, headers(mb100)),
        ("20 KB of headers (the server's own limit is 16 KB)", [431],
         b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n", headers(20 * 1024, 1024)),
        ("150 header fields (the limit is 100)", [431],
         b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n",
         [b"X-%d: 1\r\n" % i for i in range(150)] + [b"\r\n"]),
    ]
    for name, want, head, body in cases:
        st, secs, sent = stream(host, port, head, body)
        print(f"     {name}: {st} after {secs * 1000:.0f} ms, {sent / 1048576:.1f} MiB sent", flush=True)
        check(st in want and secs < 1.0, f"{name}: {want} within 1 s (got {st}, {secs:.2f} s)")
    hwm = vm(a.pid, "VmHWM") - hwm0
    rss = vm(a.pid, "VmRSS") - rss0
    print(f"     service RSS {rss0 / 1048576:.1f} MB before; peak grew by {hwm / 1048576:.1f} MB, "
          f"RSS by {rss / 1048576:.1f} MB", flush=True)
    check(hwm < 10 << 20, f"service peak RSS grew by under 10 MB ({hwm / 1048576:.1f} MB)")


async def http_get(reader, writer, path, token):
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    await reader.readexactly(length)
    return status_of(head)


async def keepalive_client(i, a, host, port, stats, stop):
    src = f"127.0.0.{10 + i % 4}"
    await asyncio.sleep(random.random())
    conn = None
    while not stop.is_set():
        try:
            if conn is None:
                conn = await asyncio.open_connection(host, port, local_addr=(src, 0))
                stats["connects"] += 1
            t = time.monotonic()
            st = await asyncio.wait_for(http_get(*conn, "/api/v1/findings", a.token), 10)
            stats["lat"].append(time.monotonic() - t)
            if st != 200:
                stats["errors"] += 1
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError):
            stats["errors"] += 1
            if conn:
                conn[1].close()
            conn = None
        await asyncio.sleep(0.5 + random.random() * 0.5)
    if conn:
        conn[1].close()


async def slowloris(i, host, port, stats, stop):
    while not stop.is_set():
        try:
            r, w = await asyncio.open_connection(host, port, local_addr=("127.0.0.2", 0))
            opened = time.monotonic()
            w.write(b"GET /api/v1/findings HTTP/1.1\r\nHost: x\r\n")
            n = 0
            while not stop.is_set():
                await asyncio.sleep(2)
                w.write(b"X-Slow-%d: %d\r\n" % (n, i))
                n += 1
                await w.drain()
                if r.at_eof():
                    raise ConnectionResetError
                try:  # anything on the read side (EOF, an answer) means the server ended it
                    await asyncio.wait_for(r.read(1), 0.01)
                    raise ConnectionResetError
                except asyncio.TimeoutError:
                    pass
            w.close()
        except (OSError, ConnectionResetError):
            stats["dropped"] += 1
            stats["held_s"].append(time.monotonic() - opened)
            await asyncio.sleep(0.1)


def probe(a):
    u = urllib.parse.urlsplit(a.url)
    lat, errors = [], 0
    end = time.monotonic() + a.seconds
    req = (f"GET /api/v1/findings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {a.token}\r\n"
           "Connection: close\r\n\r\n").encode()
    while time.monotonic() < end:
        t = time.monotonic()
        try:
            s = socket.create_connection((u.hostname, u.port), timeout=5, source_address=("127.0.0.1", 0))
            s.sendall(req)
            buf = b""
            while True:
                d = s.recv(65536)
                if not d:
                    break
                buf += d
            s.close()
            if status_of(buf) != 200:
                errors += 1
            else:
                lat.append(time.monotonic() - t)
        except OSError:
            errors += 1
        time.sleep(max(0, 0.1 - (time.monotonic() - t)))
    print(json.dumps({"lat": lat, "errors": errors}))


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] * 1000 if xs else float("nan")


async def load_async(a):
    u = urllib.parse.urlsplit(a.url)
    stop = asyncio.Event()
    ka = {"lat": [], "errors": 0, "connects": 0}
    sl = {"dropped": 0, "held_s": []}
    tasks = [asyncio.create_task(slowloris(i, u.hostname, u.port, sl, stop)) for i in range(50)]
    tasks += [asyncio.create_task(keepalive_client(i, a, u.hostname, u.port, ka, stop))
              for i in range(200)]
    await asyncio.sleep(1)  # everyone connected
    proc = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "probe", "--url", a.url, "--token", a.token,
        "--seconds", str(a.seconds), stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    stop.set()
    await asyncio.wait(tasks, timeout=5)
    return json.loads(out), ka, sl


def load(a):
    p, ka, sl = asyncio.run(load_async(a))
    print(f"     probe: {len(p['lat'])} answers, p50 {pct(p['lat'], 0.5):.1f} ms, "
          f"p99 {pct(p['lat'], 0.99):.1f} ms, max {pct(p['lat'], 1.0):.1f} ms, {p['errors']} errors",
          flush=True)
    print(f"     200 keep-alive clients: {len(ka['lat'])} requests ({len(ka['lat']) / a.seconds:.0f}/s), "
          f"p50 {pct(ka['lat'], 0.5):.1f} ms, p99 {pct(ka['lat'], 0.99):.1f} ms, "
          f"{ka['errors']} errors, {ka['connects']} connections", flush=True)
    held = sorted(sl["held_s"])
    print(f"     50 slowloris: dropped {sl['dropped']} times, held "
          f"{held[0] if held else 0:.1f}-{held[-1] if held else 0:.1f} s", flush=True)
    check(p["errors"] == 0 and len(p["lat"]) > 0, f"probe got every answer ({p['errors']} errors)")
    check(pct(p["lat"], 0.99) < 200, f"probe p99 under 200 ms ({pct(p['lat'], 0.99):.1f} ms)")
    check(ka["errors"] == 0, f"keep-alive clients had no errors ({ka['errors']})")
    check(sl["dropped"] >= 50, f"every slowloris connection was dropped at least once ({sl['dropped']})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=["bodies", "load", "probe"])
    ap.add_argument("--url", required=True)
    ap.add_argument("--pid", type=int)
    ap.add_argument("--token", required=True)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--bench", action="store_true")
    a = ap.parse_args()
    {"bodies": bodies, "load": load, "probe": probe}[a.case](a)
    if failures and not a.bench:
        sys.exit(1)


if __name__ == "__main__":
    main()
