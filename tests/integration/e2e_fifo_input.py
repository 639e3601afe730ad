#!/usr/bin/env python3
# minerwatch — SPDX-License-Identifier: Apache-2.0
"""scan pcap reads pipes and FIFOs as streams and never waits forever for one.

- a named FIFO nobody opens for writing: one error line ("no data after N s"), exit 2, after
  --stream-wait seconds, and after the default (10 s) without the flag;
- a FIFO whose writer opens it and closes it without a byte: a bad-header error, exit 2;
- `cat mining.pcapng | scan pcap /dev/stdin` and a named FIFO fed slowly by a writer that
  shows up late: the same pool findings as scanning the file.
"""
import os
import threading
import time

from e2e_common import (POOL_CATEGORY, Failures, base_args, cleanup_dir, pool_endpoint,
                        read_jsonl, require_binary, require_data, run, scan, work_dir)


def endpoints(path, fails):
    return {pool_endpoint(f) for f in read_jsonl(path, fails) if f.get("category") == POOL_CATEGORY}


def slow_writer(fifo, data, delay):
    """Opens the FIFO after "delay" seconds and writes "data" in pieces, pausing between them."""
    time.sleep(delay)
    with open(fifo, "wb") as f:
        for i in range(0, len(data), 16384):
            f.write(data[i:i + 16384])
            f.flush()
            time.sleep(0.01)


def check_refused(fails, mw, fifo, extra, wait_s, what):
    start = time.monotonic()
    r = run([mw, "scan", "pcap", fifo, "--quiet", "--json", os.devnull, *extra], wait_s + 20)
    took = time.monotonic() - start
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    fails.check(r.returncode == 2, "%s: exit %d (want 2): %s" % (what, r.returncode, r.stderr))
    fails.check(len(lines) == 1 and "no data after %g s" % wait_s in lines[0],
                "%s: want one 'no data after %g s' line, got %r" % (what, wait_s, r.stderr))
    fails.check(wait_s - 0.5 <= took <= wait_s + 5, "%s: gave up after %.1f s" % (what, took))
    print("%s: %s (%.1f s)" % (what, lines[0] if lines else "", took))


def main():
    args = base_args(__doc__).parse_args()
    require_binary(args.minerwatch)
    mining = require_data(args.data, "pcaps/ndpi/mining.pcapng")
    mw = args.minerwatch
    fails = Failures()
    work = work_dir(args, "fifo")
    try:
        ref_json = os.path.join(work, "ref.jsonl")
        scan(mw, [mining], ref_json)
        expected = endpoints(ref_json, fails)
        fails.check(len(expected) >= 1, "scanning the file found no pool session")

        fifo = os.path.join(work, "capture.fifo")
        os.mkfifo(fifo)
        check_refused(fails, mw, fifo, ["--stream-wait", "1"], 1, "FIFO without writer")
        check_refused(fails, mw, fifo, [], 10, "FIFO without writer, default wait")

        # A writer that connects and leaves: end of stream before any header.
        closer = threading.Thread(target=lambda: open(fifo, "wb").close())
        closer.start()
        r = run([mw, "scan", "pcap", fifo, "--quiet", "--json", os.devnull], 20)
        closer.join(5)
        fails.check(r.returncode == 2 and "header" in r.stderr,
                    "FIFO closed without data: exit %d: %s" % (r.returncode, r.stderr))

        with open(mining, "rb") as f:
            data = f.read()
        stdin_json = os.path.join(work, "stdin.jsonl")
        with open(mining, "rb") as f:
            r = run([mw, "scan", "pcap", "/dev/stdin", "--quiet", "--json", stdin_json], 60,
                    stdin=f)
        fails.check(r.returncode == 1, "/dev/stdin: exit %d: %s" % (r.returncode, r.stderr))
        got = endpoints(stdin_json, fails)
        fails.check(got == expected, "/dev/stdin: %s, want %s" % (sorted(got), sorted(expected)))

        fifo_json = os.path.join(work, "fifo.jsonl")
        writer = threading.Thread(target=slow_writer, args=(fifo, data, 0.5))
        writer.start()
        r = run([mw, "scan", "pcap", fifo, "--quiet", "--json", fifo_json, "--stream-wait", "5"],
                60)
        writer.join(30)
        fails.check(r.returncode == 1, "named FIFO: exit %d: %s" % (r.returncode, r.stderr))
        got = endpoints(fifo_json, fails)
        fails.check(got == expected, "named FIFO: %s, want %s" % (sorted(got), sorted(expected)))
        print("streams: %d pool sessions through /dev/stdin and a named FIFO" % len(got))
    finally:
        cleanup_dir(args, work)
    fails.finish("e2e_fifo_input")


if __name__ == "__main__":
    main()
