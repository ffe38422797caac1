#!/usr/bin/env python3
"""Seed frames for fuzz_sigframe (test/linux_shim/corpus/sigframe): arm64 rt_sigframes as
the shim writes them, one plain and one with an esr_context record."""
import struct
import sys
from pathlib import Path

SIGINFO = 128
UC_MCONTEXT = 176
SC_RESERVED = 288
FRAME = SIGINFO + UC_MCONTEXT + SC_RESERVED + 4096


def frame(esr: bool) -> bytes:
    f = bytearray(FRAME)
    struct.pack_into("<iii", f, 0, 11, 0, 1)  # SIGSEGV, SEGV_MAPERR
    sc = SIGINFO + UC_MCONTEXT
    struct.pack_into("<Q", f, sc, 0x18)  # fault_address
    for i in range(31):
        struct.pack_into("<Q", f, sc + 8 + 8 * i, 0x1000 + i)
    struct.pack_into("<QQQ", f, sc + 256, 0x7fffff000, 0x400100, 0x60000000)
    rec = sc + SC_RESERVED
    struct.pack_into("<IIII", f, rec, 0x46508001, 528, 0x10, 0)
    for i in range(32):
        struct.pack_into("<QQ", f, rec + 16 + 16 * i, i, ~i & (2**64 - 1))
    if esr:
        struct.pack_into("<IIQ", f, rec + 528, 0x45535201, 16, 0x92000046)
    return bytes(f)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: make_sigframe_seeds.py DIR", file=sys.stderr)
        return 2
    out = Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    (out / "plain").write_bytes(frame(False))
    (out / "esr").write_bytes(frame(True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
