#!/usr/bin/env python3
"""Benchmark: the compile time of `m6-capdl build` on the generated 1,000-component spec
(gen_large_spec.py). Not a test: it prints wall-clock times (target: under 2 s).

The ELFs come from a build tree (--elf-dir <build>/target/test/large, where the real
components are) or, by default, are small stand-ins compiled here with clang + lld (same
symbols, same segment layout, a few pages each): the compiler's work does not depend on
what the code does.

    /usr/bin/python3 test/capdl/bench_large_spec.py [--components N] [--runs R] [--elf-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

import gen_large_spec  # noqa: E402

BINARIES = ("large_sink", "large_server", "large_client", "large_linux")
TARGET_SECONDS = 2.0

STAND_IN_C = r"""
const char message[] = "a stand-in component of the large spec";
int counter = 42;
char buffer[8192];
void waiter_main(void) { for (;;) { } }
void faultd_main(void) { for (;;) { } }
void _start(void)
{
	buffer[0] = (char)(message[0] + counter);
	for (;;) {
	}
}
"""

STAND_IN_LD = """
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


class BenchError(Exception):
    pass


def stand_in_elfs(work: Path) -> dict[str, Path]:
    clang = shutil.which("clang")
    if clang is None:
        raise BenchError("clang not found: pass --elf-dir with the ELFs of a build")
    (work / "stand_in.c").write_text(STAND_IN_C)
    (work / "stand_in.ld").write_text(STAND_IN_LD)
    elf = work / "stand_in.elf"
    command = [clang, "--target=aarch64-none-elf", "-ffreestanding", "-nostdlib", "-static",
               "-fuse-ld=lld", "-O1", "-T", str(work / "stand_in.ld"), "-o", str(elf),
               str(work / "stand_in.c")]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BenchError(f"cannot build the stand-in ELF:\n{result.stderr}")
    # One file per binary, as a build has: the compiler reads each once.
    out: dict[str, Path] = {}
    for name in BINARIES:
        out[name] = work / f"{name}.elf"
        shutil.copyfile(elf, out[name])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--components", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3, help="runs; the best is reported")
    parser.add_argument("--elf-dir", type=Path, help="directory with large_sink.elf, ... of a build")
    parser.add_argument("--python", default=os.environ.get("M6_PYTHON", "/usr/bin/python3"))
    args = parser.parse_args()
    try:
        with tempfile.TemporaryDirectory(prefix="m6-bench-large-") as tmp:
            work = Path(tmp)
            spec = gen_large_spec.generate(args.components, work / "spec")
            if args.elf_dir is not None:
                elfs = {name: args.elf_dir / f"{name}.elf" for name in BINARIES}
                missing = [str(p) for p in elfs.values() if not p.is_file()]
                if missing:
                    raise BenchError(f"missing ELF(s): {', '.join(missing)}")
            else:
                elfs = stand_in_elfs(work)
            env = dict(os.environ, PYTHONPATH=str(REPO / "capdl"))
            command = [args.python, "-m", "m6capdl", "build", str(spec), "--out", str(work / "out")]
            for name, path in elfs.items():
                command += ["--elf", f"{name}={path}"]
            times: list[float] = []
            for run in range(max(1, args.runs)):
                # A fresh output directory each time: every file is written, as in a clean build.
                shutil.rmtree(work / "out", ignore_errors=True)
                start = time.perf_counter()
                result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
                times.append(time.perf_counter() - start)
                if result.returncode != 0:
                    raise BenchError(f"m6-capdl build failed (status {result.returncode}):\n{result.stderr}")
                print(f"run {run + 1}: {times[-1]:.2f} s")
            size = sum(f.stat().st_size for f in (work / "out").iterdir() if f.is_file())
    except (BenchError, OSError, ValueError) as exc:
        print(f"bench_large_spec: error: {exc}", file=sys.stderr)
        return 1
    best = min(times)
    verdict = "within" if best < TARGET_SECONDS else "OVER"
    print(f"m6-capdl build, {args.components} components: best of {len(times)} {best:.2f} s "
          f"({verdict} the {TARGET_SECONDS:.0f} s target); outputs {size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
