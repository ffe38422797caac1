"""Hand-made ELF64 files for the error paths the linker would never produce."""

from __future__ import annotations

import struct
from dataclasses import dataclass

PF_X, PF_W, PF_R = 1, 2, 4
EM_AARCH64, EM_X86_64 = 183, 62
ET_EXEC, ET_DYN = 2, 3
PT_LOAD = 1


@dataclass
class Seg:
    vaddr: int
    flags: int
    data: bytes = b""
    memsz: int | None = None


def make_elf(segments: list[Seg], entry: int = 0x400000, machine: int = EM_AARCH64,
             etype: int = ET_EXEC) -> bytes:
    phoff = 64
    offset = 0x1000
    phdrs = b""
    body = b""
    for seg in segments:
        # Keep p_offset congruent with p_vaddr modulo the page size, as linkers do.
        offset += (seg.vaddr - offset) % 0x1000
        memsz = seg.memsz if seg.memsz is not None else len(seg.data)
        phdrs += struct.pack("<IIQQQQQQ", PT_LOAD, seg.flags, offset, seg.vaddr, seg.vaddr,
                             len(seg.data), memsz, 0x1000)
        body += b"\0" * (offset - 0x1000 - len(body)) + seg.data
        offset += len(seg.data)
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8
    header = ident + struct.pack("<HHIQQQIHHHHHH", etype, machine, 1, entry, phoff, 0, 0, 64, 56,
                                 len(segments), 64, 0, 0)
    head = header + phdrs
    return head + b"\0" * (0x1000 - len(head)) + body


def code(n: int = 16) -> bytes:
    return b"\x1f\x20\x03\xd5" * (n // 4)  # aarch64 nop
