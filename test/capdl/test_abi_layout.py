"""<m6/layout.h>: C takes the user layout and the fixed slots from the spec compiler.

libm6/gen_layout_h.py writes the header (and user.ld's m6_layout.ld) at build time by
importing capdl/m6capdl/layout.py and abi_layout.py. These tests check that what it
writes is what the compiler uses, that the compiler's per-component headers agree, and
that libm6's sources hold no copy of those numbers of their own.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from conftest import HELLO, REPO, run

from m6capdl import abi_layout, layout

GENERATOR = REPO / "libm6" / "gen_layout_h.py"


def _defines(text: str) -> dict[str, int]:
    return {name: int(value, 0) for name, value in
            re.findall(r"^#define (\w+)[ \t]+(0x[0-9a-f]+|[0-9]+)(?:ull)?\b", text, re.M)}


def _generate(out: Path) -> tuple[Path, Path]:
    header, ldscript = out / "include" / "m6" / "layout.h", out / "m6_layout.ld"
    proc = subprocess.run([sys.executable, str(GENERATOR), "--header", str(header), "--ldscript", str(ldscript)],
                          env={"PYTHONPATH": str(REPO / "capdl")}, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return header, ldscript


def test_header_holds_the_compilers_values(tmp_path: Path) -> None:
    header, ldscript = _generate(tmp_path)
    got = _defines(header.read_text())
    assert got["M6_LAYOUT_IMAGE_BASE"] == layout.IMAGE_BASE
    assert got["M6_LAYOUT_IMAGE_LIMIT"] == layout.IMAGE_LIMIT
    assert got["M6_LAYOUT_STACK_TOP"] == layout.STACK_TOP
    assert got["M6_LAYOUT_IPC_BUFFER_VADDR"] == layout.IPC_BUFFER_VADDR
    assert got["M6_LAYOUT_THREAD_WINDOW"] == layout.THREAD_WINDOW
    assert got["M6_LAYOUT_MAX_THREADS"] == layout.MAX_THREADS
    assert got["M6_LAYOUT_ARGS_MAX"] == layout.ARGS_MAX
    assert got["M6_CAP_SELF_CNODE"] == abi_layout.SELF_CNODE_SLOT
    assert got["M6_CAP_SELF_VSPACE"] == abi_layout.SELF_VSPACE_SLOT
    assert got["M6_CAP_SELF_TCB"] == abi_layout.SELF_TCB_SLOT
    assert f"M6_LAYOUT_IMAGE_BASE = {layout.IMAGE_BASE:#x};" in ldscript.read_text()


def test_compiler_headers_agree(tmp_path: Path) -> None:
    # What layout.py really does (the self slots resolved.py places from abi_layout, the memory map) as
    # seen in a component's m6_caps.h; component.c checks the same with _Static_assert
    # in every component build.
    assert run("headers", str(HELLO), "--out", str(tmp_path / "caps")).status == 0
    text = (tmp_path / "caps" / "include" / "ping" / "m6_caps.h").read_text()
    caps = _defines(text)
    ours = _defines(_generate(tmp_path / "gen")[0].read_text())
    # m6_caps.h includes <m6/layout.h> and repeats none of its names or values.
    assert not set(caps) & set(ours)
    for gone in ("CAP_SELF_CNODE", "CAP_SELF_VSPACE", "CAP_SELF_TCB", "M6_STACK_TOP", "M6_IPC_BUFFER_VADDR"):
        assert gone not in caps
    assert "#include <m6/layout.h>" in text and "{M6_CAP_SELF_TCB}" in text


def test_unchanged_header_is_not_rewritten(tmp_path: Path) -> None:
    header, ldscript = _generate(tmp_path)
    before = (header.stat().st_mtime_ns, ldscript.stat().st_mtime_ns)
    _generate(tmp_path)
    assert (header.stat().st_mtime_ns, ldscript.stat().st_mtime_ns) == before


def test_libm6_has_no_copies() -> None:
    # The numbers the compiler decides appear in libm6's C, assembly and linker script
    # only through <m6/layout.h> / m6_layout.ld: no literal copy to drift.
    numbers = {layout.IMAGE_BASE, layout.STACK_TOP, layout.IPC_BUFFER_VADDR, layout.THREAD_WINDOW,
               layout.AUTO_REGION_BASE}
    sources = [p for p in (REPO / "libm6").rglob("*") if p.suffix in (".c", ".h", ".S", ".ld")]
    found = []
    for path in sources:
        text = path.read_text()
        for literal in re.findall(r"\b0x[0-9a-fA-F]+", text):
            if int(literal, 16) in numbers:
                found.append(f"{path.relative_to(REPO)}: {literal}")
        found += [f"{path.relative_to(REPO)}: {m}" for m in re.findall(r"#define\s+M6_CAP_SELF_\w+\s+\d+", text)]
    assert not found, "layout numbers written out by hand: " + ", ".join(found)
