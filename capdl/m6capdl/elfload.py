"""Read a component's ELF into 4 KiB pages (pyelftools), checking what the kernel
relies on.

The kernel parses no ELF: this is where a program image becomes a list of pages with
rights and contents. Problems are raised as FileError naming the ELF.
"""

from __future__ import annotations

import bisect
import io
from dataclasses import dataclass, field

from elftools.common.exceptions import ELFError
from elftools.elf.constants import P_FLAGS
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from m6capdl.diagnostics import FileError

PAGE_SIZE = 4096
CONFIG_SECTION = ".m6.config"


@dataclass(frozen=True)
class PageFlags:
    write: bool
    execute: bool

    def describe(self) -> str:
        return "R" + ("W" if self.write else "") + ("X" if self.execute else "")


@dataclass
class Page:
    vaddr: int
    flags: PageFlags
    data: bytearray | None  # None: all zero (bss), kept lazy so a big bss costs nothing


@dataclass(frozen=True)
class Region:
    """A range of user virtual memory the image must stay inside or out of."""

    start: int
    end: int  # exclusive
    what: str


@dataclass
class ElfImage:
    path: str
    entry: int
    pages: list[Page]  # sorted by vaddr, one per 4 KiB page touched by a PT_LOAD segment
    symbols: dict[str, int] = field(default_factory=dict)  # defined symbols, for thread entries
    # The config section a bound component's values are written into (bind.py): its
    # (address, size), and the (address, size) of every symbol defined in it.
    config: tuple[int, int] | None = None
    config_symbols: dict[str, tuple[int, int]] = field(default_factory=dict)

    def is_executable(self, vaddr: int) -> bool:
        index = bisect.bisect_left([p.vaddr for p in self.pages], _page_floor(vaddr))
        return index < len(self.pages) and self.pages[index].vaddr == _page_floor(vaddr) \
            and self.pages[index].flags.execute


def _page_floor(addr: int) -> int:
    return addr & ~(PAGE_SIZE - 1)


Cache = dict[tuple[str, Region, tuple[Region, ...]], "ElfImage | FileError"]


def load(path: str, window: Region, reserved: list[Region], cache: Cache | None = None) -> ElfImage:
    """Load `path`; every PT_LOAD segment must lie inside `window` and clear of
    `reserved` (stack, guard page, IPC buffer).

    With `cache`, one load (or its error) serves every later call with the same arguments:
    the components that share a binary also share its memory map, so a system of a
    thousand components built from a few binaries reads each ELF once. The image returned
    is then shared: callers must not modify it."""
    if cache is None:
        return _load_file(path, window, reserved)
    key = (path, window, tuple(reserved))
    found = cache.get(key)
    if found is None:
        try:
            found = _load_file(path, window, reserved)
        except FileError as exc:
            found = exc
        cache[key] = found
    if isinstance(found, FileError):
        raise FileError(found.path, found.message)
    return found


def _load_file(path: str, window: Region, reserved: list[Region]) -> ElfImage:
    try:
        with open(path, "rb") as f:
            blob = f.read()
    except OSError as exc:
        raise FileError(path, f"cannot read: {exc.strerror or exc}") from None
    try:
        return _load(path, blob, window, reserved)
    except (ELFError, ValueError, IndexError, KeyError, EOFError, OverflowError) as exc:
        # pyelftools reports truncated or garbled files with assorted exceptions.
        raise FileError(path, f"malformed ELF file ({exc})") from None


def _load(path: str, blob: bytes, window: Region, reserved: list[Region]) -> ElfImage:

    if not blob.startswith(b"\x7fELF"):
        raise FileError(path, "not an ELF file")
    if len(blob) < 5 or blob[4] != 2:
        raise FileError(path, "not a 64-bit ELF file (ELFCLASS64 expected)")
    if len(blob) < 6 or blob[5] != 1:
        raise FileError(path, "not a little-endian ELF file")
    elf = ELFFile(io.BytesIO(blob))
    if elf["e_machine"] != "EM_AARCH64":
        raise FileError(path, f"ELF machine is {elf['e_machine']}, expected EM_AARCH64")
    if elf["e_type"] != "ET_EXEC":
        raise FileError(path, f"ELF type is {elf['e_type']}, expected ET_EXEC (a static executable)")

    pages: dict[int, Page] = {}
    loads = 0
    for index, seg in enumerate(elf.iter_segments()):
        if seg["p_type"] != "PT_LOAD" or seg["p_memsz"] == 0:
            continue
        loads += 1
        vaddr, memsz, filesz = seg["p_vaddr"], seg["p_memsz"], seg["p_filesz"]
        flags = PageFlags(bool(seg["p_flags"] & P_FLAGS.PF_W), bool(seg["p_flags"] & P_FLAGS.PF_X))
        where = f"segment {index} at 0x{vaddr:x}"
        if flags.write and flags.execute:
            raise FileError(path, f"{where} is both writable and executable (W^X)")
        if filesz > memsz:
            raise FileError(path, f"{where} has a file size larger than its memory size")
        if vaddr + memsz > 2**48:
            raise FileError(path, f"{where} does not fit a 48-bit address space")
        end = vaddr + memsz
        for region in reserved:
            if vaddr < region.end and region.start < end:
                raise FileError(path, f"{where} overlaps the {region.what} "
                                      f"(0x{region.start:x}..0x{region.end:x})")
        if vaddr < window.start or end > window.end:
            raise FileError(path, f"{where} (0x{vaddr:x}..0x{end:x}) is outside the {window.what} "
                                  f"0x{window.start:x}..0x{window.end:x}")
        offset = seg["p_offset"]
        if offset + filesz > len(blob):
            raise FileError(path, f"{where} extends past the end of the file")
        data = blob[offset: offset + filesz]
        _place(path, pages, vaddr, memsz, data, flags, where)
    if loads == 0:
        raise FileError(path, "no PT_LOAD segments")
    entry = elf["e_entry"]
    page = pages.get(_page_floor(entry))
    if page is None or not page.flags.execute:
        raise FileError(path, f"entry point 0x{entry:x} is not in an executable segment")
    config, config_symbols = _config(elf)
    return ElfImage(path, entry, [pages[v] for v in sorted(pages)], _symbols(elf), config, config_symbols)


def _config(elf: ELFFile) -> tuple[tuple[int, int] | None, dict[str, tuple[int, int]]]:
    """The config section (address, size) and the symbols defined in it."""
    found = None
    for index, section in enumerate(elf.iter_sections()):
        if section.name == CONFIG_SECTION and section["sh_flags"] & 2:  # SHF_ALLOC
            found = index, (section["sh_addr"], section["sh_size"])
    if found is None:
        return None, {}
    index, where = found
    symbols: dict[str, tuple[int, int]] = {}
    for section in elf.iter_sections():
        if isinstance(section, SymbolTableSection) and section.name == ".symtab":
            for sym in section.iter_symbols():
                # objects only: not the section symbol or AArch64 mapping symbols ($d)
                if sym.name and sym["st_shndx"] == index and sym["st_info"]["type"] == "STT_OBJECT":
                    symbols.setdefault(sym.name, (sym["st_value"], sym["st_size"]))
    return where, symbols


def _symbols(elf: ELFFile) -> dict[str, int]:
    """Defined symbols (functions, but also data, so a wrong entry gets a precise error)."""
    symbols: dict[str, int] = {}
    for section in elf.iter_sections():
        if not isinstance(section, SymbolTableSection) or section.name != ".symtab":
            continue
        for sym in section.iter_symbols():
            if (sym.name and sym["st_shndx"] != "SHN_UNDEF"
                    and sym["st_info"]["type"] in ("STT_FUNC", "STT_NOTYPE", "STT_OBJECT")):
                symbols.setdefault(sym.name, sym["st_value"])
    return symbols


def _place(path: str, pages: dict[int, Page], vaddr: int, memsz: int, data: bytes,
           flags: PageFlags, where: str) -> None:
    """Copy one segment into its pages; the bytes past the file size stay zero (bss)."""
    for page_vaddr in range(_page_floor(vaddr), vaddr + memsz, PAGE_SIZE):
        page = pages.get(page_vaddr)
        if page is None:
            page = pages[page_vaddr] = Page(page_vaddr, flags, None)
        elif page.flags != flags:
            # One page has one set of rights; mixing them would break W^X or leak access.
            raise FileError(
                path,
                f"{where} ({flags.describe()}) shares the page at 0x{page_vaddr:x} with a "
                f"segment of different flags ({page.flags.describe()})")
        start = max(vaddr, page_vaddr)
        end = min(vaddr + len(data), page_vaddr + PAGE_SIZE)
        if end > start:
            if page.data is None:
                page.data = bytearray(PAGE_SIZE)
            page.data[start - page_vaddr: end - page_vaddr] = data[start - vaddr: end - vaddr]
