"""`memory NAME file "KEY" [r|rx]`: a build file (`--file KEY=PATH`) mapped read-only in
place from the boot image (files.py). The failing checks that need no file of their own
are specs/invalid/file_*.m6; the guest test is test/filemem (ctest qemu.filemem)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from conftest import run

SPEC = """system s on qemu-virt {
    memory root file "rootfs"
    memory code file "code" rx
    memory shm 8 KiB
    component a {
        binary "a" priority 50
        map root
        map code as prog
        map shm
    }
    component b {
        binary "b" priority 50
        map root r as tree
        map shm
    }
}
"""


def _defines(path: Path) -> dict[str, str]:
    return dict(re.findall(r"^#define (\w+)[ \t]*(\S*)", path.read_text(), re.M))


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    root = tmp_path / "root.cpio"
    root.write_bytes(bytes(range(256)) * 20 + b"tail")  # 5124 bytes: two pages
    code = tmp_path / "code.bin"
    code.write_bytes(bytes(4096))  # one page of zeros (stored once, like any zero page)
    return {"rootfs": root, "code": code}


def _args(files: dict[str, Path]) -> list[str]:
    return [f"--file={k}={v}" for k, v in files.items()]


def test_headers(tmp_path: Path, files: dict[str, Path]) -> None:
    spec = tmp_path / "s.m6"
    spec.write_text(SPEC)
    assert run("headers", str(spec), *_args(files), "--out", str(tmp_path / "out")).status == 0
    a = _defines(tmp_path / "out" / "include" / "a" / "m6_caps.h")
    b = _defines(tmp_path / "out" / "include" / "b" / "m6_caps.h")
    assert (a["M6_MEM_ROOT_SIZE"], a["M6_MEM_ROOT_BYTES"]) == ("0x2000", "0x1404")
    assert (a["M6_MEM_PROG_SIZE"], a["M6_MEM_PROG_BYTES"]) == ("0x1000", "0x1000")
    assert (b["M6_MEM_TREE_SIZE"], b["M6_MEM_TREE_BYTES"]) == ("0x2000", "0x1404")
    assert "M6_MEM_SHM_BYTES" not in a  # zero-filled memory has no file length
    # Regions after a file's are placed by its size (two pages and a guard page).
    assert int(a["M6_MEM_PROG_VADDR"], 16) == int(a["M6_MEM_ROOT_VADDR"], 16) + 0x3000


def test_build_maps_the_file_in_place(tmp_path: Path, files: dict[str, Path], fixture_elf: Path) -> None:
    spec = tmp_path / "s.m6"
    spec.write_text(SPEC)
    out = tmp_path / "out"
    result = run("build", str(spec), *_args(files), f"--elf=a={fixture_elf}", f"--elf=b={fixture_elf}",
                 "--out", str(out))
    assert result.status == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    image = (out / "boot_image.bin").read_bytes()
    objects = {o["name"]: o for o in manifest["objects"]}
    data = files["rootfs"].read_bytes()
    for i in range(2):
        frame = objects[f"memory.root@+0x{i * 4096:x}"]
        assert frame["source"] == "M6_BT_FRAME_IN_PLACE"
        page = image[frame["source_page"] * 4096:(frame["source_page"] + 1) * 4096]
        assert page == (data + bytes(8192 - len(data)))[i * 4096:(i + 1) * 4096]
    assert objects["memory.code@+0x0"]["source"] == "M6_BT_FRAME_IN_PLACE"
    assert objects["memory.shm@+0x0"]["source"] == "M6_BT_FRAME_ZERO"
    # One frame object, mapped read-only by both components; rx where declared rx.
    rights = {(m["vspace"], m["object"]): m["rights"] for m in manifest["mappings"]}
    assert rights[("a.vspace", "memory.root@+0x0")] == rights[("b.vspace", "memory.root@+0x0")] == ["M6_RIGHT_READ"]
    assert rights[("a.vspace", "memory.code@+0x0")] == ["M6_RIGHT_READ", "M6_RIGHT_EXECUTE"]
    # Identical pages are stored once: the code file's zero page is the ELF's zero page, if any.
    assert len(image) // 4096 == len({image[i:i + 4096] for i in range(0, len(image), 4096)})


def test_the_file_changing_under_the_build_is_an_error(tmp_path: Path, files: dict[str, Path],
                                                       fixture_elf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from m6capdl import files as m6files
    real = m6files.read_pages

    def grown(path: str, length: int) -> list[bytes]:
        with open(path, "ab") as f:
            f.write(b"more")
        return real(path, length)

    monkeypatch.setattr(m6files, "read_pages", grown)
    spec = tmp_path / "s.m6"
    spec.write_text(SPEC)
    result = run("build", str(spec), *_args(files), f"--elf=a={fixture_elf}", f"--elf=b={fixture_elf}",
                 "--out", str(tmp_path / "out"))
    assert result.status == 1
    assert "its length changed from 5124 to 5128 bytes while m6-capdl ran" in result.stderr


def test_a_file_too_large(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:  # sparse: takes no disk space
        f.truncate((1 << 30) + 1)
    spec = tmp_path / "s.m6"
    spec.write_text('system s on qemu-virt {\n    memory big file "big"\n'
                    '    component a { binary "a" priority 5 map big }\n}\n')
    result = run("check", str(spec), f"--file=big={big}")
    assert result.status == 1
    assert result.stderr.replace(str(tmp_path), "T") == (
        f"{spec}:2:21: error: file T/big.bin (key \"big\") is 1048580 KiB, more than the 1 GiB memory 'big' "
        f"may hold\n    2 |     memory big file \"big\"\n      |                     ^~~~~\n".replace(str(tmp_path), "T"))


def test_options(tmp_path: Path, files: dict[str, Path]) -> None:
    spec = tmp_path / "s.m6"
    spec.write_text(SPEC)
    result = run("check", str(spec), *_args(files), "--file=extra=/nonexistent")
    assert (result.status, result.stderr) == (0, 'm6-capdl: warning: --file extra: no memory holds file "extra"\n')
    result = run("check", str(spec), *_args(files), "--file=rootfs=/elsewhere")
    assert result.status == 1 and "--file rootfs: given twice" in result.stderr
    result = run("check", str(spec), "--file=rootfs")
    assert result.status == 1 and "--file rootfs: expected NAME=PATH" in result.stderr
    missing = tmp_path / "nope"
    result = run("check", str(spec), "--file=rootfs=" + str(missing), f"--file=code={files['code']}")
    assert result.status == 1 and f"cannot read file {missing} (key \"rootfs\", memory 'root'): No such file" \
        in result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file(tmp_path: Path, files: dict[str, Path], fixture_elf: Path) -> None:
    files["rootfs"].chmod(0)
    spec = tmp_path / "s.m6"
    spec.write_text(SPEC)
    result = run("build", str(spec), *_args(files), f"--elf=a={fixture_elf}", f"--elf=b={fixture_elf}",
                 "--out", str(tmp_path / "out"))
    assert result.status == 1 and "cannot read: Permission denied" in result.stderr
