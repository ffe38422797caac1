"""Shared fixtures for the m6-capdl tests. Independent of the current directory."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "capdl"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from m6capdl import cli  # noqa: E402

HELLO = REPO / "examples" / "hello" / "hello.m6"

# A component program with one page each of code, read-only data, initialised data,
# and a bss that spills over two more pages.
FIXTURE_C = r"""
const char message[] = "hello from rodata";
int counter = 42;
char buffer[8192];

void _start(void)
{
	volatile const char *m = message;
	buffer[0] = (char)(m[0] + counter);
	for (;;) {
	}
}
"""

# Each output section in its own page and PT_LOAD segment, image at 0x400000. (With
# -Ttext alone, lld puts a read-only segment holding the ELF headers at 0x200000.)
FIXTURE_LD = """
ENTRY(_start)
PHDRS { text PT_LOAD FLAGS(5); rodata PT_LOAD FLAGS(4); data PT_LOAD FLAGS(6); }
SECTIONS {
	. = 0x400000;
	.text : { *(.text*) } :text
	. = ALIGN(4096);
	.rodata : { *(.rodata*) } :rodata
	. = ALIGN(4096);
	.data : { *(.data*) } :data
	.bss : { *(.bss*) *(COMMON) } :data
	/DISCARD/ : { *(.comment) }
}
"""


@dataclass
class Result:
    status: int
    stderr: str


def run(*argv: str) -> Result:
    """Run the CLI in-process (fast enough for the fuzz test) and capture stderr."""
    err = io.StringIO()
    status = cli.main(list(argv), err=err)
    return Result(status, err.getvalue())


@pytest.fixture(scope="session")
def layout_include(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding <m6/layout.h> as the build writes it (libm6/gen_layout_h.py):
    every m6_caps.h includes it for the fixed slots M6_CAP_SELF_*."""
    out = tmp_path_factory.mktemp("layout")
    proc = subprocess.run([sys.executable, str(REPO / "libm6" / "gen_layout_h.py"), "--header",
                           str(out / "m6" / "layout.h"), "--ldscript", str(out / "m6_layout.ld")],
                          env={**os.environ, "PYTHONPATH": str(REPO / "capdl")}, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="session")
def clang() -> str:
    path = shutil.which("clang")
    if path is None or shutil.which("ld.lld") is None:
        pytest.skip("clang/ld.lld not installed")
    return path


def _clang_build(clang: str, workdir: Path, name: str, source: str, extra: list[str]) -> Path:
    src = workdir / f"{name}.c"
    src.write_text(source)
    out = workdir / f"{name}.elf"
    cmd = [clang, "--target=aarch64-none-elf", "-ffreestanding", "-nostdlib", "-fuse-ld=lld",
           "-static", "-O1", "-o", str(out), str(src), *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"fixture ELF failed to build: {' '.join(cmd)}\n{proc.stderr}")
    return out


@pytest.fixture(scope="session")
def fixture_elf(clang: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("elf")
    script = work / "user.ld"
    script.write_text(FIXTURE_LD)
    return _clang_build(clang, work, "prog", FIXTURE_C, [f"-Wl,-T,{script}"])


# Extra thread entry points for multi-thread specs.
THREADS_C = FIXTURE_C + r"""
void worker_main(void)
{
	for (;;) {
	}
}

void helper(void)
{
	for (;;) {
	}
}
"""


@pytest.fixture(scope="session")
def threads_elf(clang: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("elf_threads")
    script = work / "user.ld"
    script.write_text(FIXTURE_LD)
    return _clang_build(clang, work, "threads", THREADS_C, [f"-Wl,-T,{script}"])


@pytest.fixture(scope="session")
def ttext_elf(clang: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Linked with just -Ttext=0x400000: its ELF-header segment lands at 0x200000."""
    work = tmp_path_factory.mktemp("elf_ttext")
    return _clang_build(clang, work, "prog", FIXTURE_C,
                        ["-Wl,-Ttext=0x400000", "-Wl,-z,max-page-size=4096"])
