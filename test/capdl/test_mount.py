"""`mount "PATH" tmpfs [SIZE] | initrd MAPPING | remote CAP [ro]` (mounts.py): the
component's header gets M6_MOUNTS, rows of struct m6_mount (<m6/spec_tables.h>); the
manifest lists them. The failing checks are specs/invalid/mount_*.m6."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, run
from m6capdl import mounts

SPEC = """system s on qemu-virt {
    memory root file "rootfs"
    component fat { binary "fat" priority 110 endpoint fs }
    component vfs {
        binary "vfs" priority 100
        endpoint req
        map root r as ro                  // a mapping may be called 'ro'
        call fat.fs as FAT badge 1 window 64 KiB
        mount "/" initrd ro ro
        mount "/tmp" tmpfs
        mount "/disk" remote FAT
        mount "/scratch/\\u00e9t\\u00e9" tmpfs 1 MiB ro
    }
    component shell { binary "shell" priority 90 call vfs.req as VFS badge 5 window 16 KiB }
    assert shell cannot reach fat
}
""".replace("\\u00e9t\\u00e9", "\u00e9t\u00e9")


def _defines(path: Path) -> dict[str, str]:
    return dict(re.findall(r"^#define (\w+)[ \t]*(.*?)(?: /\*.*)?$", path.read_text(), re.M))


@pytest.fixture
def spec(tmp_path: Path) -> tuple[Path, list[str]]:
    root = tmp_path / "root.cpio"
    root.write_bytes(b"x" * 5000)
    path = tmp_path / "s.m6"
    path.write_text(SPEC, encoding="utf-8")
    return path, [f"--file=rootfs={root}"]


def test_paths() -> None:
    for good in ("/", "/tmp", "/a/b.c/..d/...", "/" + "x" * 254):
        assert mounts.path_problem(good) is None, good
    for bad in ("", "tmp", "/tmp/", "//", "/a//b", "/a/./b", "/..", "/" + "x" * 255):
        assert mounts.path_problem(bad) is not None, bad


def test_header(tmp_path: Path, spec: tuple[Path, list[str]], layout_include: Path) -> None:
    path, files = spec
    out = tmp_path / "out"
    assert run("headers", str(path), *files, "--out", str(out)).status == 0
    header = out / "include" / "vfs" / "m6_caps.h"
    d = _defines(header)
    assert d["M6_MOUNT_COUNT"] == "4"
    rows = re.findall(r'\{"([^"]*)", (\w+), ([\w |]+), (0x[0-9a-f]+), (0x[0-9a-f]+), (\d+)\}', d["M6_MOUNTS"])
    initrd, window = int(d["M6_MEM_RO_VADDR"], 16), int(d["M6_WINDOW_FAT_VADDR"], 16)
    assert [(p, k, f, int(v, 16), int(s, 16), int(c)) for p, k, f, v, s, c in rows] == [
        ("/", "M6_MOUNT_INITRD", "M6_MOUNT_RO", initrd, 5000, 0),
        ("/tmp", "M6_MOUNT_TMPFS", "0", 0, 16 << 20, 0),
        ("/disk", "M6_MOUNT_REMOTE", "0", window, 64 << 10, int(d["CAP_FAT"])),
        ("/scratch/\\303\\251t\\303\\251", "M6_MOUNT_TMPFS", "M6_MOUNT_RO", 0, 1 << 20, 0),
    ]
    assert "#include <m6/spec_tables.h>" in header.read_text()
    assert "M6_MOUNT" not in (out / "include" / "shell" / "m6_caps.h").read_text()
    cc = shutil.which("clang")
    if cc is None:
        pytest.skip("clang not installed")
    src = tmp_path / "vfs.c"
    src.write_text('#include "m6_caps.h"\n'
                   "static const struct m6_mount table[M6_MOUNT_COUNT] = M6_MOUNTS;\n"
                   "static const struct m6_window windows[M6_WINDOWS_REQ_COUNT] = M6_WINDOWS_REQ;\n"
                   "int probe(void) { return (int)table[2].cap + (int)windows[0].badge; }\n")
    proc = subprocess.run([cc, "--target=aarch64-none-elf", "-ffreestanding", "-std=c11", "-Wall", "-Wextra",
                           "-Werror", "-fsyntax-only", "-I", str(header.parent), "-I", str(layout_include),
                           "-I", str(REPO / "libm6" / "include"), str(src)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    # Usable from assembly: the types are hidden there, the constants are not.
    asm = tmp_path / "use.S"
    asm.write_text('#include "m6_caps.h"\n.word M6_MOUNT_COUNT + M6_MOUNT_RO + M6_MOUNT_REMOTE\n')
    proc = subprocess.run([cc, "--target=aarch64-none-elf", "-c", "-o", str(tmp_path / "use.o"), "-I",
                           str(header.parent), "-I", str(layout_include), "-I", str(REPO / "libm6" / "include"),
                           str(asm)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_manifest(tmp_path: Path, spec: tuple[Path, list[str]], fixture_elf: Path) -> None:
    path, files = spec
    out = tmp_path / "out"
    result = run("build", str(path), *files, *(f"--elf={n}={fixture_elf}" for n in ("fat", "vfs", "shell")),
                 "--out", str(out))
    assert result.status == 0, result.stderr
    comps = {c["name"]: c for c in json.loads((out / "manifest.json").read_text())["components"]}
    assert [(m["path"], m["kind"], m["flags"]) for m in comps["vfs"]["mounts"]] == [
        ("/", "M6_MOUNT_INITRD", ["M6_MOUNT_RO"]), ("/tmp", "M6_MOUNT_TMPFS", []),
        ("/disk", "M6_MOUNT_REMOTE", []), ("/scratch/\u00e9t\u00e9", "M6_MOUNT_TMPFS", ["M6_MOUNT_RO"])]
    assert "mounts" not in comps["shell"]


def test_mounts_grant_nothing(tmp_path: Path, spec: tuple[Path, list[str]],
                              capsys: pytest.CaptureFixture[str]) -> None:
    """A mount names what the component holds: the analysis is that of the same spec
    without the mounts."""
    path, files = spec
    assert run("why", str(path), *files, "shell", "fat").status == 0
    with_mounts = capsys.readouterr().out
    path.write_text("\n".join(line for line in SPEC.splitlines() if "mount " not in line) + "\n", encoding="utf-8")
    assert run("why", str(path), *files, "shell", "fat").status == 0
    assert capsys.readouterr().out == with_mounts
    assert "cannot reach" in with_mounts
