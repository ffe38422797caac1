#!/usr/bin/env python3
"""Write the seed corpus of fuzz_nvme (test/fuzzers/corpus/nvme) in the harness's format
(fuzz_nvme.c): submissions answered by well-formed completions across a phase flip, a
completion with an unknown command id, PRP builds at list boundaries, and the Identify
pages of a QEMU-like controller and namespace."""
from __future__ import annotations

import struct
import sys
from pathlib import Path


def op(sel: int, payload: bytes = b"") -> bytes:
    return bytes([sel]) + payload.ljust(16, b"\0")[:16]


def cqe(cid: int, sq_head: int, status: int, phase: int, sq_id: int = 1) -> bytes:
    return struct.pack("<IIHHHH", 0, 0, sq_head, sq_id, cid, status << 1 | phase)


def prp(offset: int, length: int, pages: int, lists: int, status: int) -> bytes:
    return struct.pack("<HIHBBH", offset, length, pages, lists, 0, status)


def ctrl_page() -> bytes:
    page = bytearray(4096)
    struct.pack_into("<H", page, 0, 0x1B36)
    page[4:24] = b"deadbeef".ljust(20)
    page[24:64] = b"QEMU NVMe Ctrl".ljust(40)
    page[64:72] = b"8.2.0".ljust(8)
    page[77] = 7
    page[512], page[513] = 0x66, 0x44
    struct.pack_into("<I", page, 516, 1)
    page[525] = 1
    # The same page read as a namespace: NSZE/NCAP from the first bytes, format 0.
    page[25], page[26] = 1, 0
    struct.pack_into("<II", page, 128, 9 << 16, 12 << 16)
    return bytes(page)


def with_ops(depth: int, ops: list[bytes], tail: bytes = b"") -> bytes:
    return bytes([depth - 2, len(ops)]) + b"".join(ops) + tail


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent.parent / "corpus/nvme"
    out.mkdir(parents=True, exist_ok=True)
    # Depth 4: three rounds of submit/complete/poll wrap the CQ once.
    rounds = []
    for i in range(6):
        rounds += [op(0), op(1, cqe(i % 3, (i + 1) % 4, 0, 1 if i < 4 else 0)), op(2, b"\x08")]
    seeds = {
        "wrap": with_ops(4, rounds),
        "unknown_cid": with_ops(8, [op(0), op(1, cqe(7, 1, 0, 1)), op(1, cqe(0, 9, 0, 1)),
                                    op(1, cqe(0, 1, 0x81 | 2 << 8, 1)), op(2, b"\x08")]),
        "prp": with_ops(4, [op(3, prp(0, 4096, 1, 0, 0)), op(3, prp(4092, 8192, 3, 1, 0x80)),
                            op(3, prp(0, 514 * 4096, 514, 2, 0x4002)),
                            op(3, prp(512, 1535 * 4096 - 512, 1535, 3, 0x204))]),
        "identify": with_ops(2, [], ctrl_page()),
    }
    for name, data in seeds.items():
        (out / name).write_bytes(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
