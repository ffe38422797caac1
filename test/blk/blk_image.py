#!/usr/bin/env python3
"""test/blk: make the raw disk image, run the guest, check what it wrote.

`make IMG` writes 8 MiB whose 512-byte block b holds the 32-bit words b * 0x9e3779b1 + i.
`run IMG SYSTEM.qemu [--written FIRST-LAST] RUN_QEMU_ARGS... -- QEMU...` makes the image afresh, boots QEMU with
it as the system's disk "disk" (the arguments come from SYSTEM.qemu, which the build makes
from the spec's `disk` statement: cmake/m6_qemu_args.py), with run_qemu.py's checks, then
checks every block: the ones the client writes (common.h, blk_client.c; or FIRST..LAST)
hold the written pattern, every other one is untouched.
"""
from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent / "cmake"))
import m6_qemu_args  # noqa: E402 (the disks' QEMU arguments)

BLOCKS = 16384
MASK = 0xFFFFFFFF
# Blocks the client writes: one block, 32 writes of 8 blocks, one 1 MiB write.
WRITTEN = {100} | set(range(1000, 1000 + 32 * 8)) | set(range(8192, 8192 + 2048))


def original(b: int) -> bytes:
    return struct.pack("<128I", *(((b * 0x9E3779B1) + i) & MASK for i in range(128)))


def written(b: int) -> bytes:
    return struct.pack("<128I", *(((b * 0x85EBCA6B) ^ (i * 0x27D4EB2F) ^ 0x5BD1E995) & MASK
                                  for i in range(128)))


def make(path: Path) -> None:
    path.write_bytes(b"".join(original(b) for b in range(BLOCKS)))


def check(path: Path, written_set: set[int] = WRITTEN) -> list[str]:
    data = path.read_bytes()
    if len(data) != BLOCKS * 512:
        return [f"the image is {len(data)} bytes, not {BLOCKS * 512}"]
    bad = []
    for b in range(BLOCKS):
        want = written(b) if b in written_set else original(b)
        if data[b * 512:(b + 1) * 512] != want:
            bad.append(b)
    if bad:
        return [f"{len(bad)} block(s) differ from what the client wrote, first {bad[0]}"]
    return []


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "make":
        make(Path(sys.argv[2]))
        return 0
    if len(sys.argv) < 6 or sys.argv[1] != "run" or "--" not in sys.argv:
        print("usage: blk_image.py make IMG | run IMG SYSTEM.qemu RUN_QEMU_ARGS... -- QEMU...",
              file=sys.stderr)
        return 2
    disk = Path(sys.argv[2])
    written_set = WRITTEN
    if sys.argv[4] == "--written":
        # Another client's blocks (test/blkrestart): FIRST-LAST, inclusive.
        first, last = (int(x) for x in sys.argv[5].split("-"))
        written_set = set(range(first, last + 1))
        del sys.argv[4:6]
    make(disk)  # fresh for every run: the guest writes it
    try:
        disks = m6_qemu_args.arguments(m6_qemu_args.load(sys.argv[3]), {"disk": str(disk)})
    except m6_qemu_args.Problem as exc:
        print(f"blk_image: FAIL: {exc}")
        return 1
    split = sys.argv.index("--")
    runner = Path(__file__).resolve().parent.parent / "qemu" / "run_qemu.py"
    command = [sys.executable, str(runner), *sys.argv[4:split], "--", *sys.argv[split + 1:], *disks]
    status = subprocess.run(command, check=False).returncode
    if status != 0:
        return status
    problems = check(disk, written_set)
    for p in problems:
        print(f"blk_image: FAIL: {p}")
    if not problems:
        print("blk_image: the disk holds exactly what the client wrote")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
