"""File-backed memory: `memory NAME file "KEY" [r|rx]`.

The region holds a file of the build (an initrd's cpio archive, a font, a table), given to
m6-capdl as `--file KEY=PATH` like an ELF with `--elf`. Its pages are boot image pages
mapped in place, as an ELF's read-only pages are (identical pages stored once), so the
region is read-only: the kernel refuses a writable mapping of an in-place frame, and the
spec says so first. Its size is the file's length rounded up to 4 KiB; the header gives
the exact length as M6_MEM_X_BYTES.

Every command that lays out memory needs the size, `headers` included: resolve_files()
looks at each file (a regular file, 1 byte to 1 GiB) before the checks and records its
path, length and size in the declaration; read_pages() reads it for `build` and makes sure
it has not changed since.
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat

from m6capdl import model, resources
from m6capdl.diagnostics import Diagnostic, error
from m6capdl.layout import MAX_REGION_SIZE, PAGE_SIZE, page_up

_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*")


def resolve_files(system: model.System, files: dict[str, str], diags: list[Diagnostic]) -> None:
    """Fill in the size of every file-backed memory declaration, or report why not (its
    size then stays one page, so that later checks have something sound to look at)."""
    for i, decl in enumerate(system.memories):
        if decl.file is None:
            continue
        assert decl.file_span is not None
        name, key, where = decl.name.text, decl.file, decl.file_span
        length = 0
        if decl.rights is not None and decl.rights.text == "rw":
            diags.append(error(f"memory '{name}' holds file \"{key}\" and cannot be {decl.rights.text}",
                               decl.rights.span, "its pages are the boot image's own, mapped in place: "
                                                 "declare it r (data) or rx (code)"))
        if not _KEY.fullmatch(key):
            diags.append(error(f"invalid file key \"{key}\"", where,
                               "use letters, digits and _ . + - (it names the file given with --file KEY=PATH)"))
        elif key not in files:
            diags.append(error(f"no file given for key \"{key}\" (memory '{name}')", where,
                               f"pass --file {key}=PATH to m6-capdl (CMake: m6_add_system(... FILES {key}=PATH))"))
        else:
            path = files[key]
            try:
                info = os.stat(path)
            except OSError as exc:
                diags.append(error(f"cannot read file {path} (key \"{key}\", memory '{name}'): "
                                   f"{exc.strerror or exc}", where))
            else:
                if not stat.S_ISREG(info.st_mode):
                    diags.append(error(f"file {path} (key \"{key}\", memory '{name}') is not a regular file",
                                       where, "a directory, device or FIFO has no length to map"))
                elif info.st_size == 0:
                    diags.append(error(f"file {path} (key \"{key}\") is empty: memory '{name}' would hold nothing",
                                       where, "a region is at least one page: give it a file with contents"))
                elif info.st_size > MAX_REGION_SIZE:
                    diags.append(error(f"file {path} (key \"{key}\") is {resources.size_text(page_up(info.st_size))}, "
                                       f"more than the {resources.size_text(MAX_REGION_SIZE)} memory '{name}' "
                                       f"may hold", where))
                else:
                    length = info.st_size
        size = page_up(length) if length else PAGE_SIZE
        system.memories[i] = dataclasses.replace(
            decl, size=model.Number(size, where, str(size)), path=files.get(key, "") if length else "",
            length=length)


class FileChanged(Exception):
    """A file is not what resolve_files() saw (its message says how)."""


def read_pages(path: str, length: int) -> list[bytes]:
    """The file's pages, the last one padded with zeros; FileChanged (or OSError) if it no
    longer has `length` bytes."""
    with open(path, "rb") as f:
        now = os.fstat(f.fileno()).st_size
        data = f.read(length + 1)
    if len(data) != length:
        raise FileChanged(f"{path}: its length changed from {length} to {now} bytes while m6-capdl ran")
    data += bytes(page_up(length) - length)
    return [data[at:at + PAGE_SIZE] for at in range(0, len(data), PAGE_SIZE)]


def used_keys(system: model.System) -> set[str]:
    return {decl.file for decl in system.memories if decl.file is not None}
