"""Build-time ELF checks: each error names the ELF file, exit status 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import HELLO, run
from elfgen import EM_X86_64, ET_DYN, PF_R, PF_W, PF_X, Seg, code, make_elf

PAGE = 4096
GOOD = [Seg(0x400000, PF_R | PF_X, code())]


def _build_with_ping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, blob: bytes) -> tuple[int, str]:
    """Build hello with ping.elf = blob and a good pong.elf; run from tmp_path so the
    messages name the ELFs as given: ping.elf."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ping.elf").write_bytes(blob)
    (tmp_path / "pong.elf").write_bytes(make_elf(GOOD))
    result = run("build", str(HELLO), "--elf", "ping=ping.elf", "--elf", "pong=pong.elf", "--out", "out")
    return result.status, result.stderr


CASES = {
    "wx": (make_elf([Seg(0x400000, PF_R | PF_W | PF_X, code())]),
           "segment 0 at 0x400000 is both writable and executable (W^X)"),
    "shared_page": (make_elf([Seg(0x400000, PF_R | PF_X, code()), Seg(0x400800, PF_R | PF_W, b"\1" * 8)]),
                    "segment 1 at 0x400800 (RW) shares the page at 0x400000 with a segment of "
                    "different flags (RX)"),
    "below_window": (make_elf([Seg(0x200000, PF_R, b"x"), *GOOD]),
                     "segment 0 at 0x200000 (0x200000..0x200001) is outside the user image window "
                     "0x400000..0x10000000"),
    "above_window": (make_elf([*GOOD, Seg(0x10000000 - 8, PF_R | PF_W, b"", 16)]),
                     "segment 1 at 0xffffff8 (0xffffff8..0x10000008) is outside the user image window "
                     "0x400000..0x10000000"),
    "ipc_buffer": (make_elf([*GOOD, Seg(0x3FE00000, PF_R | PF_W, b"\1")]),
                   "segment 1 at 0x3fe00000 overlaps the IPC buffer (0x3fe00000..0x3fe01000)"),
    "stack": (make_elf([*GOOD, Seg(0x3FFFF000, PF_R, b"\1")]),
              "segment 1 at 0x3ffff000 overlaps the stack (0x3fffc000..0x40000000)"),
    "guard": (make_elf([*GOOD, Seg(0x3FFFB000, PF_R, b"\1")]),
              "segment 1 at 0x3fffb000 overlaps the stack guard page (0x3fffb000..0x3fffc000)"),
    "not_elf": (b"#!/bin/sh\necho hi\n", "not an ELF file"),
    "elf32": (b"\x7fELF\x01\x01\x01" + b"\0" * 60, "not a 64-bit ELF file (ELFCLASS64 expected)"),
    "big_endian": (b"\x7fELF\x02\x02\x01" + b"\0" * 60, "not a little-endian ELF file"),
    "x86": (make_elf(GOOD, machine=EM_X86_64), "ELF machine is EM_X86_64, expected EM_AARCH64"),
    "dyn": (make_elf(GOOD, etype=ET_DYN), "ELF type is ET_DYN, expected ET_EXEC (a static executable)"),
    "no_load": (make_elf([]), "no PT_LOAD segments"),
    "entry": (make_elf([*GOOD, Seg(0x401000, PF_R, b"x")], entry=0x401000),
              "entry point 0x401000 is not in an executable segment"),
    "past_eof": (make_elf(GOOD)[:-8], "segment 0 at 0x400000 extends past the end of the file"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_elf_error(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blob, message = CASES[name]
    status, err = _build_with_ping(tmp_path, monkeypatch, blob)
    assert (status, err) == (1, f"m6-capdl: error: ping.elf: {message}\n")
    assert not (tmp_path / "out" / "boot_tables.c").exists()


def test_truncated_elf_is_an_error_not_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blob = make_elf(GOOD)
    for cut in (4, 16, 40, 63, 64, 100, 200):
        status, err = _build_with_ping(tmp_path, monkeypatch, blob[:cut])
        assert status == 1, (cut, err)
        assert err.startswith("m6-capdl: error: ping.elf: ") and "internal error" not in err, (cut, err)


def test_missing_and_unused_elfs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pong.elf").write_bytes(make_elf(GOOD))
    result = run("build", str(HELLO), "--elf", "pong=pong.elf", "--elf", "pingg=x.elf", "--out", "out")
    assert result.status == 1
    assert result.stderr == (
        "m6-capdl: error: no ELF given for binary \"ping\" (component 'ping'); pass --elf ping=PATH\n"
        "m6-capdl: warning: --elf pingg: no component uses binary \"pingg\"\n")
    result = run("build", str(HELLO), "--elf", "pong=pong.elf", "--elf", "ping=nope.elf", "--out", "out")
    assert (result.status, result.stderr) == (
        1, "m6-capdl: error: nope.elf: cannot read: No such file or directory\n")
    result = run("build", str(HELLO), "--elf", "pong", "--out", "out")
    assert (result.status, result.stderr) == (1, "m6-capdl: error: --elf pong: expected NAME=PATH\n")


def test_every_bad_elf_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.elf").write_bytes(make_elf(GOOD, machine=EM_X86_64))
    (tmp_path / "b.elf").write_bytes(b"junk")
    result = run("build", str(HELLO), "--elf", "pong=a.elf", "--elf", "ping=b.elf", "--out", "out")
    assert result.status == 1
    assert result.stderr == ("m6-capdl: error: a.elf: ELF machine is EM_X86_64, expected EM_AARCH64\n"
                             "m6-capdl: error: b.elf: not an ELF file\n")


def test_lld_ttext_only_puts_headers_outside_the_window(ttext_elf: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    status, err = _build_with_ping(tmp_path, monkeypatch, ttext_elf.read_bytes())
    assert status == 1
    assert err.startswith("m6-capdl: error: ping.elf: segment 1 at 0x200000 ")  # 0 is PT_PHDR
    assert "outside the user image window" in err
