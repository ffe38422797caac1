"""ctest linux.vdso: the vDSO the build linked passes embed.py's checks, and each check
refuses a copy damaged in its way (the build would stop on it)."""
from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "components/services/linux/vdso"))
import embed  # noqa: E402

VDSO = Path(os.environ.get("M6_VDSO", ""))


@pytest.fixture(scope="module")
def data() -> bytes:
    if not VDSO.is_file():
        pytest.fail(f"no vDSO at M6_VDSO={VDSO} (build first)")
    return VDSO.read_bytes()


def phdr(data: bytes, i: int) -> int:
    phoff, = struct.unpack_from("<Q", data, 32)
    phentsize, = struct.unpack_from("<H", data, 54)
    return phoff + i * phentsize


def test_built_vdso_passes(data: bytes) -> None:
    symbols = embed.check(data)
    assert set(symbols) == set(embed.SYMBOLS)
    assert all(0 < off < len(data) for off in symbols.values())
    # __kernel_rt_sigreturn is mov x8, #139; svc #0
    off = symbols["__kernel_rt_sigreturn"]
    assert struct.unpack_from("<II", data, off) == (0xD2801168, 0xD4000001)


def test_c_source_holds_the_bytes(data: bytes) -> None:
    src = embed.c_source(data, embed.check(data))
    assert f"vdso_blob_size = {len(data)};" in src
    assert src.count("0x") >= len(data)


def damaged(data: bytes, offset: int, value: bytes) -> bytes:
    b = bytearray(data)
    b[offset:offset + len(value)] = value
    return bytes(b)


def test_refuses_other_machine(data: bytes) -> None:
    with pytest.raises(embed.VdsoError, match="AArch64"):
        embed.check(damaged(data, 18, struct.pack("<H", 62)))  # EM_X86_64


def test_refuses_writable_segment(data: bytes) -> None:
    with pytest.raises(embed.VdsoError, match="read-execute"):
        embed.check(damaged(data, phdr(data, 0) + 4, struct.pack("<I", 7)))


def test_refuses_segment_not_at_zero(data: bytes) -> None:
    with pytest.raises(embed.VdsoError, match="address 0"):
        embed.check(damaged(data, phdr(data, 0) + 16, struct.pack("<Q", 0x1000)))


def test_refuses_wrong_version(data: bytes) -> None:
    i = data.index(b"LINUX_2.6.39")
    with pytest.raises(embed.VdsoError, match="version"):
        embed.check(damaged(data, i, b"LINUX_2.6.40"))


def test_refuses_missing_symbol(data: bytes) -> None:
    i = data.index(b"__kernel_clock_getres")
    with pytest.raises(embed.VdsoError, match="unexpected exported symbol|not exported"):
        embed.check(damaged(data, i, b"__kernel_clock_getreZ"))


def test_refuses_truncated(data: bytes) -> None:
    with pytest.raises(embed.VdsoError):
        embed.check(data[:100])
