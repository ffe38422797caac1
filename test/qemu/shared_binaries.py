#!/usr/bin/env python3
"""bind.shared-binaries: the bound components of two systems are one ELF file, and the
systems' images differ only in the config pages the spec compiler wrote.

For every BINARY: each system's manifest.json names the same ELF file for the component
that runs it (one file, hashed here for the record); every image page of that component
outside the ELF's .m6.config section is byte-identical in both boot images; and in each
image the runtime's bound values (m6_component's CSpace radix and thread count) are those
of that system's component, not the ELF's placeholder zeros.

With --copy-under DIR the second system runs an installed copy instead (qemu.third_party:
a project built against the installed SDK): its ELF must be a file under DIR with the same
bytes as the first system's, rather than the same file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from elftools.elf.elffile import ELFFile

PAGE = 4096


def _load(gen: Path) -> tuple[dict, bytes]:
    return json.loads((gen / "manifest.json").read_text()), (gen / "boot_image.bin").read_bytes()


def _pages(manifest: dict, image: bytes, binary: str) -> tuple[str, dict[int, bytes]]:
    comps = [c for c in manifest["components"] if c["binary"] == binary]
    if len(comps) != 1:
        raise SystemExit(f"FAIL: {manifest['system']} has {len(comps)} components running {binary}")
    comp = comps[0]
    pages = {f["vaddr"]: image[f["image_page"] * PAGE:(f["image_page"] + 1) * PAGE]
             for f in comp["memory_map"]["frames"]
             if f["source"] in ("M6_BT_FRAME_IN_PLACE", "M6_BT_FRAME_COPY")}
    return comp["elf"], pages


def _config(elf: str) -> tuple[set[int], int]:
    """The pages of the ELF's .m6.config section, and the address of m6_component."""
    with open(elf, "rb") as f:
        file = ELFFile(f)
        section = file.get_section_by_name(".m6.config")
        symtab = file.get_section_by_name(".symtab")
        if section is None or symtab is None:
            raise SystemExit(f"FAIL: {elf} has no .m6.config section or no symbols")
        start, end = section["sh_addr"], section["sh_addr"] + section["sh_size"]
        found = symtab.get_symbol_by_name("m6_component")
        if not found:
            raise SystemExit(f"FAIL: {elf} has no m6_component (not linked with component_bound.c)")
    return set(range(start & ~(PAGE - 1), end, PAGE)), found[0]["st_value"]


def _bound(manifest: dict, pages: dict[int, bytes], info: int) -> bool:
    """m6_component's cspace_radix (offset 32) and thread_count (40) as the system says."""
    comp_page = pages[info & ~(PAGE - 1)]
    at = info & (PAGE - 1)
    radix = int.from_bytes(comp_page[at + 32:at + 36], "little")
    threads = int.from_bytes(comp_page[at + 40:at + 44], "little")
    return radix == manifest["cspace_radix"] and threads == len(manifest["threads"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("first", type=Path, help="one system's NAME.gen directory")
    ap.add_argument("second", type=Path, help="another system's NAME.gen directory")
    ap.add_argument("binaries", nargs="+")
    ap.add_argument("--copy-under", type=Path, metavar="DIR",
                    help="the second system's ELF is a byte-identical copy under DIR")
    args = ap.parse_args()
    a, b = _load(args.first), _load(args.second)
    for binary in args.binaries:
        elf_a, pages_a = _pages(*a, binary)
        elf_b, pages_b = _pages(*b, binary)
        digest = hashlib.sha256(Path(elf_a).read_bytes()).hexdigest()
        if args.copy_under is not None:
            under = args.copy_under.resolve()
            if under not in Path(elf_b).resolve().parents:
                print(f"FAIL: {binary}: the second system runs {elf_b}, not a file under {under}")
                return 1
            if hashlib.sha256(Path(elf_b).read_bytes()).hexdigest() != digest:
                print(f"FAIL: {binary}: {elf_b} differs from {elf_a}")
                return 1
        elif Path(elf_a).resolve() != Path(elf_b).resolve():
            print(f"FAIL: {binary}: {elf_a} in one system, {elf_b} in the other")
            return 1
        digest = digest[:16]
        config, info = _config(elf_a)
        if set(pages_a) != set(pages_b):
            print(f"FAIL: {binary}: the systems map different image pages")
            return 1
        same = [v for v in pages_a if v not in config and pages_a[v] != pages_b[v]]
        if same:
            print(f"FAIL: {binary}: page 0x{same[0]:x} outside .m6.config differs between the systems")
            return 1
        for (manifest, _), pages in ((a, pages_a), (b, pages_b)):
            comp = next(c for c in manifest["components"] if c["binary"] == binary)
            if not _bound(comp, pages, info):
                print(f"FAIL: {binary}: {manifest['system']}'s image does not carry its bound values")
                return 1
        what = f"installed copy {elf_b}" if args.copy_under is not None else "one ELF"
        print(f"{binary}: {what} ({Path(elf_a).name}, sha256 {digest}...), "
              f"{len(pages_a) - len(config)} pages identical, config bound per system")
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
