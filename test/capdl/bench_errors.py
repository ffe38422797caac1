#!/usr/bin/env python3
"""Benchmark: `m6-capdl check` on specs of 100,000 lines with an error on every line
(issue 11: under 10 s each). Not a test (wall-clock times depend on the machine): it
prints the times, and exits 1 if one is over the target.

    /usr/bin/python3 test/capdl/bench_errors.py [--lines N]
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "capdl"))

from m6capdl import cli  # noqa: E402

TARGET_SECONDS = 10.0


def _specs(lines: int) -> dict[str, str]:
    head = ["system s on qemu-virt {", "    component a {", '        binary "a"', "        priority 1"]
    tail = ["    }", "}"]
    return {
        "unknown syscap on every line": "\n".join(
            head + [f"        syscap nope{i}" for i in range(lines)] + tail) + "\n",
        "unknown component on every line": "\n".join(
            head + [f"        call nobody{i}.ep as X{i}" for i in range(lines)] + tail) + "\n",
        "a component with a bad priority on every line": "\n".join(
            ["system s on qemu-virt {"]
            + [f'    component c{i} {{ binary "c{i}" priority 300 }}' for i in range(lines)] + ["}"]) + "\n",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    args = parser.parse_args()
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for what, text in _specs(args.lines).items():
            spec = Path(tmp) / "errors.m6"
            spec.write_text(text)
            err = io.StringIO()
            start = time.perf_counter()
            status = cli.main(["check", str(spec)], err=err)
            elapsed = time.perf_counter() - start
            errors = err.getvalue().count(": error: ")
            worst = max(worst, elapsed)
            print(f"{args.lines} lines, {what}: {errors} errors in {elapsed:.2f} s (status {status})")
    verdict = "within" if worst < TARGET_SECONDS else "OVER"
    print(f"worst {worst:.2f} s ({verdict} the {TARGET_SECONDS:.0f} s target)")
    return 0 if worst < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
