#!/usr/bin/env python3
# minerwatch — SPDX-License-Identifier: Apache-2.0
"""Corrupt and truncated captures: one clear error line and exit 2; never a crash or a hang.

The broken files are made here from real captures (a small classic pcap and nDPI's
mining.pcapng): a record cut in its data or in its header, a bogus record length, flipped magic
bytes, a zero-length file, a text file, a short file header, a pcapng block with an impossible
length, a pcapng cut mid-block, and a path that does not exist. Each scan runs under a timeout.
"""
import os
import re
import struct
import sys

from e2e_common import (Failures, base_args, cleanup_dir, pcapng_blocks, require_binary,
                        require_data, run, work_dir)


def classic_records(data):
    """Offsets of the records of a little-endian microsecond pcap."""
    offsets, off = [], 24
    while off + 16 <= len(data):
        incl = struct.unpack_from("<I", data, off + 8)[0]
        offsets.append(off)
        off += 16 + incl
    return offsets


def pick_classic_pcap(ndpi):
    """The smallest little-endian classic pcap with at least 3 records."""
    best = None
    for name in sorted(os.listdir(ndpi)):
        path = os.path.join(ndpi, name)
        size = os.path.getsize(path)
        if not name.endswith(".pcap") or size > 200000 or (best and size >= best[1]):
            continue
        with open(path, "rb") as f:
            data = f.read()
        if data[:4] == b"\xd4\xc3\xb2\xa1" and len(classic_records(data)) >= 3:
            best = (path, size)
    return best[0] if best else None


def make_cases(d, classic, pcapng):
    with open(classic, "rb") as f:
        pc = f.read()
    with open(pcapng, "rb") as f:
        ng = f.read()
    recs = classic_records(pc)
    cases = []  # (file name, bytes, offset expected in the message?)

    def add(name, data, wants_offset):
        path = os.path.join(d, name)
        with open(path, "wb") as f:
            f.write(data)
        cases.append((path, wants_offset))

    second = recs[1]
    second_len = struct.unpack_from("<I", pc, second + 8)[0]
    add("cut_in_record_data.pcap", pc[:second + 16 + second_len // 2], True)
    add("cut_in_record_header.pcap", pc[:second + 7], True)
    bogus = bytearray(pc)
    struct.pack_into("<II", bogus, second + 8, 0x7FFFFFF0, 0x7FFFFFF0)
    add("bogus_record_length.pcap", bytes(bogus), True)
    flipped = bytearray(pc)
    flipped[0:4] = bytes(b ^ 0xFF for b in flipped[0:4])
    add("flipped_magic.pcap", bytes(flipped), False)
    add("zero_length.pcap", b"", False)
    add("notes.txt", b"this is a text file, not a capture\nsecond line\n" * 20, False)
    add("short_file_header.pcap", pc[:10], False)
    # pcapng: a packet block in the middle gets an impossible total length, once huge and once
    # below the 12-byte minimum; and the interface block (read when the file is opened) too.
    blocks = pcapng_blocks(ng)
    middle = blocks[len(blocks) // 2]
    for name, at, value, wants in (("block_length_huge.pcapng", middle, 0x7FFFFFF0, True),
                                   ("block_length_tiny.pcapng", middle, 8, True),
                                   ("interface_block_length.pcapng", blocks[1], 0x7FFFFFF0, False)):
        b = bytearray(ng)
        struct.pack_into("<I", b, at + 4, value)
        add(name, bytes(b), wants)
    add("cut_mid_block.pcapng", ng[:len(ng) // 2 + 3], True)
    cases.append((os.path.join(d, "does_not_exist.pcap"), False))
    return cases


def main():
    args = base_args(__doc__).parse_args()
    require_binary(args.minerwatch)
    ndpi = require_data(args.data, "pcaps/ndpi")
    pcapng = require_data(args.data, "pcaps/ndpi/mining.pcapng")
    classic = pick_classic_pcap(ndpi)
    fl = Failures()
    if not fl.check(classic is not None, "no small classic pcap found in " + ndpi):
        fl.finish("corrupt captures")
    d = work_dir(args, "corrupt")
    for path, wants_offset in make_cases(d, classic, pcapng):
        name = os.path.basename(path)
        out = os.path.join(d, name + ".jsonl")
        r = run([args.minerwatch, "scan", "pcap", path, "--json", out], 30)
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        print("%-28s exit %3d  %s" % (name, r.returncode, lines[0] if lines else "(no message)"))
        if r.returncode == 124:
            fl.check(False, "%s: scan hung (killed after 30 s)" % name)
            continue
        fl.check(r.returncode >= 0, "%s: scan crashed with signal %d" % (name, -r.returncode))
        fl.check(r.returncode == 2, "%s: exit %d, want 2" % (name, r.returncode))
        fl.check(len(lines) == 1, "%s: want one error line, got %d: %r" % (name, len(lines), lines))
        if lines:
            fl.check(name in lines[0], "%s: the error does not name the file: %s" % (name, lines[0]))
            if wants_offset:
                m = re.search(r"offset (\d+)", lines[0])
                if fl.check(m is not None, "%s: the error gives no byte offset: %s"
                            % (name, lines[0])):
                    off = int(m.group(1))
                    fl.check(0 < off <= os.path.getsize(path),
                             "%s: offset %d outside the file (%d bytes)"
                             % (name, off, os.path.getsize(path)))
        fl.check("Sanitizer" not in r.stderr and "terminate called" not in r.stderr,
                 "%s: crash report on stderr" % name)
    cleanup_dir(args, d)
    fl.finish("corrupt captures")


if __name__ == "__main__":
    sys.exit(main())
