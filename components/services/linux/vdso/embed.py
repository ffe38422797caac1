#!/usr/bin/env python3
"""Check the Linux shim's vDSO and embed it in the shim (docs/linux.md, "vDSO").

    embed.py VDSO.so OUT.c     check, then write the blob and its symbol table as C
    embed.py --check VDSO.so   check only (ctest unit.linux_vdso)

The checks are what the shim and glibc rely on: an AArch64 ET_DYN linked at 0, one
read-execute PT_LOAD holding everything (the same pages serve every process, so nothing
may be writable or need relocating), a PT_DYNAMIC with DT_HASH, DT_GNU_HASH, DT_SYMTAB,
DT_STRTAB, DT_VERSYM and DT_VERDEF and no DT_NEEDED or relocation tables, and exactly the
four functions glibc's aarch64 dl-vdso looks up, each defined under version LINUX_2.6.39.
Any failure is one line on stderr and exit status 1.
"""
from __future__ import annotations

import sys
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.constants import P_FLAGS
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerDefSection, GNUVerSymSection

VERSION = "LINUX_2.6.39"
SYMBOLS = (
    "__kernel_clock_gettime",
    "__kernel_gettimeofday",
    "__kernel_clock_getres",
    "__kernel_rt_sigreturn",
)
REQUIRED_TAGS = (
    "DT_HASH",
    "DT_GNU_HASH",
    "DT_SYMTAB",
    "DT_STRTAB",
    "DT_VERSYM",
    "DT_VERDEF",
)
FORBIDDEN_TAGS = (
    "DT_NEEDED",
    "DT_REL",
    "DT_RELA",
    "DT_RELR",
    "DT_JMPREL",
    "DT_TEXTREL",
    "DT_INIT",
    "DT_FINI",
)


class VdsoError(Exception):
    pass


def check(data: bytes) -> dict[str, int]:
    """The checks above; the offset of each exported function from the vDSO's start."""
    import io

    try:
        elf = ELFFile(io.BytesIO(data))
        return _check(elf, len(data))
    except ELFError as e:
        raise VdsoError(f"not a readable ELF file: {e}") from None


def _check(elf: ELFFile, size: int) -> dict[str, int]:
    if elf["e_type"] != "ET_DYN" or elf["e_machine"] != "EM_AARCH64" or elf.elfclass != 64:
        raise VdsoError("not a 64-bit AArch64 shared object")
    loads = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"]
    if len(loads) != 1:
        raise VdsoError(f"{len(loads)} PT_LOAD segments, not 1")
    load = loads[0]
    if load["p_vaddr"] != 0 or load["p_offset"] != 0:
        raise VdsoError("the PT_LOAD does not start at address 0 and offset 0")
    if load["p_flags"] != P_FLAGS.PF_R | P_FLAGS.PF_X:
        raise VdsoError("the PT_LOAD is not read-execute only")
    if load["p_memsz"] != load["p_filesz"] or load["p_filesz"] > size:
        raise VdsoError("the PT_LOAD has zero-fill or reaches past the file")
    for sec in elf.iter_sections():
        if sec["sh_type"] in ("SHT_REL", "SHT_RELA", "SHT_RELR"):
            raise VdsoError(f"relocations in {sec.name}")
        if sec["sh_flags"] & 0x2 and sec["sh_size"]:  # SHF_ALLOC
            if sec["sh_addr"] + sec["sh_size"] > load["p_memsz"]:
                raise VdsoError(f"section {sec.name} outside the PT_LOAD")
            if sec["sh_flags"] & 0x1 and sec["sh_type"] != "SHT_DYNAMIC":  # SHF_WRITE
                raise VdsoError(f"writable section {sec.name}")
    dyn = next((s for s in elf.iter_sections() if isinstance(s, DynamicSection)), None)
    if dyn is None or not any(s["p_type"] == "PT_DYNAMIC" for s in elf.iter_segments()):
        raise VdsoError("no dynamic section")
    tags = {t.entry.d_tag for t in dyn.iter_tags()}
    for t in REQUIRED_TAGS:
        if t not in tags:
            raise VdsoError(f"no {t}")
    for t in FORBIDDEN_TAGS:
        if t in tags:
            raise VdsoError(f"{t} present")
    dynsym = elf.get_section_by_name(".dynsym")
    versym = next((s for s in elf.iter_sections() if isinstance(s, GNUVerSymSection)), None)
    verdef = next((s for s in elf.iter_sections() if isinstance(s, GNUVerDefSection)), None)
    if dynsym is None or versym is None or verdef is None:
        raise VdsoError("no .dynsym, .gnu.version or .gnu.version_d")
    names = {}
    for vd, aux in verdef.iter_versions():
        names[vd["vd_ndx"]] = next(aux).name
    found: dict[str, int] = {}
    for i, sym in enumerate(dynsym.iter_symbols()):
        if sym["st_shndx"] == "SHN_UNDEF":
            if sym.name:
                raise VdsoError(f"undefined symbol {sym.name}")
            continue
        if sym["st_info"]["bind"] != "STB_GLOBAL":
            continue
        ndx = versym.get_symbol(i)["ndx"]  # a name for the reserved 0 and 1
        ver = names.get(ndx & 0x7FFF) if isinstance(ndx, int) else None
        if sym.name not in SYMBOLS:
            raise VdsoError(f"unexpected exported symbol {sym.name}")
        if ver != VERSION:
            raise VdsoError(f"{sym.name} has version {ver}, not {VERSION}")
        if sym["st_info"]["type"] != "STT_FUNC" or sym["st_value"] >= load["p_memsz"]:
            raise VdsoError(f"{sym.name} is not a function inside the vDSO")
        found[sym.name] = sym["st_value"]
    for name in SYMBOLS:
        if name not in found:
            raise VdsoError(f"{name} is not exported")
    return found


def c_source(data: bytes, symbols: dict[str, int]) -> str:
    lines = [
        "/* Generated by components/services/linux/vdso/embed.py from the vDSO the build",
        " * linked: do not edit. */",
        '#include "vdso_blob.h"',
        "",
        f"const size_t vdso_blob_size = {len(data)};",
        "const uint8_t vdso_blob[] __attribute__((aligned(4096))) = {",
    ]
    for i in range(0, len(data), 16):
        lines.append("\t" + " ".join(f"0x{b:02x}," for b in data[i:i + 16]))
    lines.append("};")
    lines.append("const struct vdso_blob_symbol vdso_blob_symbols[] = {")
    for name in SYMBOLS:
        lines.append(f'\t{{"{name}", 0x{symbols[name]:x}}},')
    lines.append("\t{0, 0},")
    lines.append("};")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[1] == "--check":
        src, out = Path(argv[2]), None
    elif len(argv) == 3:
        src, out = Path(argv[1]), Path(argv[2])
    else:
        print("usage: embed.py VDSO.so OUT.c | embed.py --check VDSO.so", file=sys.stderr)
        return 2
    try:
        data = src.read_bytes()
        symbols = check(data)
    except (OSError, VdsoError) as e:
        print(f"embed.py: {src}: {e}", file=sys.stderr)
        return 1
    if out is None:
        print(f"embed.py: {src}: ok, {len(data)} bytes, " +
              ", ".join(f"{n} at 0x{o:x}" for n, o in symbols.items()))
        return 0
    out.write_text(c_source(data, symbols))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
