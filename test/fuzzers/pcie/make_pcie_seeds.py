#!/usr/bin/env python3
"""Write the seed corpus of fuzz_pcie (test/fuzzers/corpus/pcie): small topologies in the
harness's record format (fuzz_pcie.c): a root port with a device behind it, an NVMe-like
function with a 64-bit BAR and capabilities, a looping capability list, an impossible BAR."""
from __future__ import annotations

import struct
import sys
from pathlib import Path


def record(bus: int, dev: int, fn: int, vendor: int, device: int, class_code: int,
           header: int, bars: list[tuple[int, int]], caps: list[tuple[int, int, int]] = (),
           cap_ptr: int = 0) -> bytes:
    """bars: (initial value with type bits, write mask) per BAR slot."""
    cfg = bytearray(256)
    struct.pack_into("<HH", cfg, 0, vendor, device)
    struct.pack_into("<I", cfg, 8, class_code << 8 | 1)
    cfg[0x0E] = header
    masks = [0] * 6
    for i, (value, mask) in enumerate(bars):
        struct.pack_into("<I", cfg, 0x10 + 4 * i, value)
        masks[i] = mask
    if caps:
        cfg[0x06] |= 0x10
        cfg[0x34] = cap_ptr
        for off, cid, nxt in caps:
            cfg[off] = cid
            cfg[off + 1] = nxt
    return bytes([bus, dev << 3 | fn]) + struct.pack("<6I", *masks) + bytes(cfg)


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent.parent / "corpus/pcie"
    out.mkdir(parents=True, exist_ok=True)
    nvme = record(0, 1, 0, 0x1B36, 0x0010, 0x010802, 0, [(0x4, 0xFFFFC000), (0, 0xFFFFFFFF)],
                  [(0x40, 0x11, 0x60), (0x60, 0x10, 0)], 0x40)
    port = record(0, 2, 0, 0x1B36, 0x000C, 0x060400, 1, [(0, 0xFFFFF000)])
    behind = record(1, 0, 0, 0x1AF4, 0x1044, 0x00FF00, 0,
                    [(1, 0xFFE0), (0, 0xFFFFF000), (0, 0), (0, 0), (0xC, 0xFFFFC000), (0, 0xFFFFFFFF)])
    loop = record(0, 3, 0, 1, 2, 0x010802, 0, [], [(0x40, 0x11, 0x50), (0x50, 0x10, 0x40)], 0x40)
    bad_bar = record(0, 4, 0, 1, 3, 0x118000, 0, [(0, 0xFFFF0FF0), (8, 0), (4, 0), (0, 0xFFFFFF00)])
    multi = record(0, 5, 0, 0x8086, 1, 0x020000, 0x80, [(0, 0xFFFE0000)]) + \
        record(0, 5, 1, 0x8086, 2, 0x020000, 0x80, [(0, 0), (0, 0), (8, 0xFFFFE000)])
    seeds = {
        "topology": bytes([4]) + nvme + port + behind + multi,
        "loop": bytes([1]) + loop,
        "bad_bar": bytes([1]) + bad_bar + nvme,
        "nested": bytes([3]) + port + record(1, 0, 0, 0x1B36, 0xC, 0x060400, 1, []) +
        record(2, 0, 0, 1, 1, 0x010000, 0, [(0, 0xFFE00000)]),
    }
    for name, data in seeds.items():
        (out / name).write_bytes(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
