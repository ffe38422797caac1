"""`call C.E as N [badge B] [grant] window SIZE`: memory shared by the caller and the
server alone (windows.py), seen as such by the headers (the caller's M6_WINDOW_N_*, the
server's M6_WINDOWS_E table), the boot tables, the manifest and the authority analysis.
The failing checks are specs/invalid/window_*.m6."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, run
from m6capdl import checks, parser, resolved

SPEC = REPO / "test" / "capdl" / "specs" / "valid" / "windows.m6"


def _model(text: str) -> resolved.System:
    system = parser.parse(text)
    diags, model_ = checks.check_and_resolve(system, REPO / "platforms")
    assert not [d for d in diags if d.severity.value == "error"], diags
    return model_


def _defines(path: Path) -> dict[str, str]:
    return dict(re.findall(r"^#define (\w+)[ \t]*(.*?)(?:\s*/\*.*)?$", path.read_text(), re.M))


def test_expansion_is_memory_mapped_by_both_sides() -> None:
    m = _model(SPEC.read_text())
    fs, a, b = m.components
    for client, cap, size in ((a, "FS", 64 << 10), (b, "FS", 8 << 10), (b, "META", 4 << 10)):
        mem = m.memory_by_name[f"window.{client.name}.{cap}"]
        assert (mem.kind, mem.size, mem.rights) == ("memory", size, "rw")
        mine = [r for r in client.memory.regions if r.obj is mem]
        theirs = [r for r in fs.memory.regions if r.obj is mem]
        assert len(mine) == len(theirs) == 1
        assert mine[0].rights_text == theirs[0].rights_text == "rw"
        assert mine[0].window is not None and mine[0].window.endpoint is None
        assert theirs[0].window is not None and theirs[0].window.endpoint == "req"
    # Nobody else maps a window, and the caps are the plain call caps with their badges.
    assert not [r for r in a.memory.regions if r.memory is not None and r.memory.startswith("window.b.")]
    caps = {c.name: c for c in b.cspace.slots}
    assert (caps["CAP_FS"].kind, caps["CAP_FS"].badge, caps["CAP_FS"].grant, caps["CAP_FS"].window) == \
        ("call", 2, True, 8 << 10)


def test_checking_twice_expands_once() -> None:
    system = parser.parse(SPEC.read_text())
    checks.check(system, REPO / "platforms")
    checks.check(system, REPO / "platforms")
    assert len(system.memories) == 3


def test_headers(tmp_path: Path, layout_include: Path) -> None:
    assert run("headers", str(SPEC), "--out", str(tmp_path)).status == 0
    inc = tmp_path / "include"
    a, b, fs = (_defines(inc / n / "m6_caps.h") for n in ("a", "b", "fs"))
    m = _model(SPEC.read_text())
    server = m.components[0]
    where = {r.memory: r for r in server.memory.regions if r.memory}
    assert a["M6_WINDOW_FS_SIZE"] == "0x10000"
    assert (b["M6_WINDOW_FS_SIZE"], b["M6_WINDOW_META_SIZE"]) == ("0x2000", "0x1000")
    assert fs["M6_WINDOWS_REQ_COUNT"] == "3"
    table = [tuple(int(x, 16) for x in row) for row in
             re.findall(r"\{(0x[0-9a-f]+), (0x[0-9a-f]+), (0x[0-9a-f]+)\}", fs["M6_WINDOWS_REQ"])]
    assert table == [(1, where["window.a.FS"].vaddr, 0x10000), (2, where["window.b.FS"].vaddr, 0x2000),
                     (3, where["window.b.META"].vaddr, 0x1000)]
    # The caller's own address of its window (the server's differs: two address spaces).
    assert int(a["M6_WINDOW_FS_VADDR"], 16) == next(r.vaddr for r in m.components[1].memory.regions if r.window)
    assert "#include <m6/spec_tables.h>" in (inc / "fs" / "m6_caps.h").read_text()
    assert "spec_tables" not in (inc / "a" / "m6_caps.h").read_text()
    assert not [k for k in a if k.startswith("M6_MEM_")]
    cc = shutil.which("clang")
    if cc is None:
        pytest.skip("clang not installed")
    src = tmp_path / "server.c"
    src.write_text('#include "m6_caps.h"\n'
                   "static const struct m6_window windows[M6_WINDOWS_REQ_COUNT] = M6_WINDOWS_REQ;\n"
                   "_Static_assert(sizeof(windows) / sizeof(windows[0]) == 3, \"three\");\n"
                   "const struct m6_window *probe(void) { return windows; }\n")
    proc = subprocess.run([cc, "--target=aarch64-none-elf", "-ffreestanding", "-std=c11", "-Wall", "-Wextra",
                           "-Werror", "-fsyntax-only", "-I", str(inc / "fs"), "-I", str(layout_include),
                           "-I", str(REPO / "libm6" / "include"), str(src)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_build_shares_the_frames(tmp_path: Path, fixture_elf: Path) -> None:
    result = run("build", str(SPEC), *(f"--elf={n}={fixture_elf}" for n in ("fs", "a", "b")),
                 "--out", str(tmp_path))
    assert result.status == 0, result.stderr
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    frames = [o["name"] for o in manifest["objects"] if o["name"].startswith("memory.window.")]
    assert frames[:2] == ["memory.window.a.FS@+0x0", "memory.window.a.FS@+0x1000"] and len(frames) == 16 + 2 + 1
    maps = {}
    for m in manifest["mappings"]:
        if m["object"].startswith("memory.window."):
            maps.setdefault(m["object"], set()).add(m["vspace"])
    assert maps["memory.window.a.FS@+0x0"] == {"fs.vspace", "a.vspace"}
    assert maps["memory.window.b.META@+0x0"] == {"fs.vspace", "b.vspace"}
    fs = next(c for c in manifest["components"] if c["name"] == "fs")
    windows = [r["window"] for r in fs["memory_map"]["regions"] if "window" in r]
    assert windows[0] == {"client": "a", "cap": "CAP_FS", "endpoint": "req", "badge": 1}


def test_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def why(source: str, target: str) -> str:
        assert run("why", str(SPEC), source, target).status == 0
        return capsys.readouterr().out

    assert "'a' holds a mapping of memory 'window.a.FS' (rw)" in why("a", "memory:window.a.FS")
    assert "cannot reach" in why("a", "memory:window.b.FS")
    assert "'fs' holds a mapping of memory 'window.b.META' (rw)" in why("fs", "memory:window.b.META")
    # The assertion fails the other way round, naming the window.
    spec = tmp_path / "s.m6"
    spec.write_text(SPEC.read_text().replace("assert a cannot reach memory window.b.FS\n",
                                             "assert a can reach memory window.b.FS\n"))
    result = run("check", str(spec))
    assert result.status == 1
    assert "error: assertion failed: 'a' cannot reach memory 'window.b.FS'" in result.stderr


def test_a_user_name_cannot_be_a_window(tmp_path: Path) -> None:
    """Names have no '.', so `memory window.a.FS` is a syntax error, not a clash."""
    spec = tmp_path / "s.m6"
    spec.write_text(SPEC.read_text().replace("system windows on qemu-virt {\n",
                                             "system windows on qemu-virt {\n    memory window.a.FS 4 KiB\n"))
    result = run("check", str(spec))
    assert result.status == 1 and ":4:18: error:" in result.stderr and "'.'" in result.stderr


def test_specs_without_windows_are_unchanged(tmp_path: Path) -> None:
    """The same badges without `window` are no error (a warning at most)."""
    text = SPEC.read_text()
    for w in (" window 64 KiB", " window 8 KiB", " window 4 KiB"):
        text = text.replace(w, "")
    text = "\n".join(line for line in text.splitlines() if "memory window" not in line) + "\n"
    spec = tmp_path / "s.m6"
    spec.write_text(text.replace("badge 2", "badge 1"))
    result = run("check", str(spec))
    assert result.status == 0
    assert "both hold caps to fs.req with badge 1" in result.stderr
