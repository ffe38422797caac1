#!/usr/bin/env python3
"""Write the small seed ELF files of the fuzz_elf corpus (corpus/elf/): a static
executable, a static PIE, one with PT_PHDR, one with an interpreter. Run once; the
files are committed. Real binaries are too large for a quick fuzz run."""
import struct
import sys
from pathlib import Path


def elf(etype: int, loads: list[tuple[int, int, int, int, int]], entry: int,
        extra: list[tuple[int, int, int, int]] | None = None, tail: bytes = b"") -> bytes:
    """loads: (flags, offset, vaddr, filesz, memsz); extra: (type, offset, vaddr, size)."""
    phdrs = []
    for flags, off, vaddr, filesz, memsz in loads:
        phdrs.append(struct.pack("<IIQQQQQQ", 1, flags, off, vaddr, vaddr, filesz, memsz, 0x1000))
    for ptype, off, vaddr, size in extra or []:
        phdrs.append(struct.pack("<IIQQQQQQ", ptype, 4, off, vaddr, vaddr, size, size, 8))
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    hdr = ident + struct.pack("<HHIQQQIHHHHHH", etype, 183, 1, entry, 64, 0, 0, 64, 56,
                              len(phdrs), 64, 0, 0)
    body = hdr + b"".join(phdrs)
    return body + bytes(max(0, 0x200 - len(body))) + tail


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "corpus/elf")
    out.mkdir(parents=True, exist_ok=True)
    code = bytes.fromhex("000080d2a80b80d2010000d4") * 4  # mov x0,0; mov x8,93; svc 0
    (out / "exec").write_bytes(elf(2, [(5, 0, 0x400000, 0x230, 0x230),
                                       (6, 0x230, 0x401230, 0x10, 0x2000)],
                                   0x400200, tail=code + bytes(0x20)))
    (out / "dyn").write_bytes(elf(3, [(5, 0, 0, 0x230, 0x230)], 0x200, tail=code))
    (out / "phdr").write_bytes(elf(2, [(5, 0, 0x10000, 0x230, 0x230)], 0x10200,
                                   extra=[(6, 64, 0x10040, 3 * 56)], tail=code))
    (out / "interp").write_bytes(elf(2, [(5, 0, 0x400000, 0x230, 0x230)], 0x400200,
                                     extra=[(3, 0x1f0, 0, 15)], tail=code)[:0x1f0]
                                 + b"/lib/ld.so.1\0\0\0\0" + code)
    return 0


if __name__ == "__main__":
    sys.exit(main())
