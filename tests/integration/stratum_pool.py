#!/usr/bin/env python3
# minerwatch — SPDX-License-Identifier: Apache-2.0
"""A small Stratum pool speaking the CryptoNote/XMRig dialect, for end-to-end tests only.

It answers `login` with a job XMRig can hash at once (algorithm cn/0: no RandomX dataset, 2 MB
per thread; a target so easy that nearly every hash is a share), accepts every `submit`, answers
`keepalived` and `getjob`, and writes every message it receives as one JSON line to --log, so a
test can check what the miner really sent. Binds only where told (tests use 127.0.0.1 or an
address inside a network namespace the test made). Standard library only.
"""
import argparse
import asyncio
import json
import os
import signal
import sys

# A 76-byte CryptoNote block hashing blob (major/minor version, timestamp, previous block id,
# nonce, merkle root, tx count) from a real Monero job, as pools send it.
BLOB = ("0606e89883d205a65d8ee78991838a1cf3ec2ebbc5fb1fa43dec5fa1cd2bee4069212a549cd731"
        "000000005a88235653097aa3e97ef2ceef4aee610751a828f9be1a0758a78365fb0a4c8c05")


class Pool:
    def __init__(self, algo, target, log_path):
        self.algo = algo
        self.target = target
        self.log = open(log_path, "a", buffering=1) if log_path else None
        self.next_job = 1

    def job(self):
        job_id = str(self.next_job)
        self.next_job += 1
        return {"blob": BLOB, "job_id": job_id, "target": self.target, "algo": self.algo,
                "height": 3000000, "seed_hash": "00" * 32}

    def record(self, peer, msg):
        if self.log:
            self.log.write(json.dumps({"peer": peer, "message": msg}) + "\n")

    async def serve_client(self, reader, writer):
        peer = "%s:%d" % writer.get_extra_info("peername")[:2]
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                if len(line) > 65536:
                    break
                try:
                    msg = json.loads(line)
                except ValueError:
                    self.record(peer, {"invalid": line.decode("latin-1")})
                    break
                self.record(peer, msg)
                reply = self.answer(msg)
                if reply is not None:
                    writer.write((json.dumps(reply) + "\n").encode())
                    await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    def answer(self, msg):
        method = msg.get("method")
        rid = msg.get("id")
        if method == "login":
            return {"id": rid, "jsonrpc": "2.0", "error": None,
                    "result": {"id": "e2e-session-1", "job": self.job(), "status": "OK",
                               "extensions": ["algo", "keepalive"]}}
        if method == "submit":
            return {"id": rid, "jsonrpc": "2.0", "error": None, "result": {"status": "OK"}}
        if method == "keepalived":
            return {"id": rid, "jsonrpc": "2.0", "error": None, "result": {"status": "KEEPALIVED"}}
        if method == "getjob":
            return {"id": rid, "jsonrpc": "2.0", "error": None, "result": self.job()}
        return {"id": rid, "jsonrpc": "2.0", "error": {"code": -1, "message": "unknown method"}}


async def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=3333)
    ap.add_argument("--algo", default="cn/0")
    # Compact 32-bit target: 0x0fffffff, i.e. difficulty 16; a few shares a second on one thread.
    ap.add_argument("--target", default="ffffff0f")
    ap.add_argument("--log", help="append every received message here as JSON lines")
    ap.add_argument("--ready-file", help="created once the socket is listening")
    args = ap.parse_args()
    pool = Pool(args.algo, args.target, args.log)
    server = await asyncio.start_server(pool.serve_client, args.host, args.port)
    if args.ready_file:
        with open(args.ready_file, "w") as f:
            f.write("%d\n" % os.getpid())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
