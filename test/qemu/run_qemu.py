#!/usr/bin/env python3
"""Boot an m6 image in QEMU, read its serial output, and check it.

The guest must power itself off (PSCI SYSTEM_OFF) before the timeout; QEMU's exit status
must be 0; every --expect pattern must appear, in order; no --forbid pattern may appear.
Used by ctest for every example system.
"""
from __future__ import annotations

import argparse
import re
import sys
import time

from qemu_run import run_guest, verdict


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before the run fails")
    parser.add_argument("--expect", action="append", default=[], help="regex that must appear (in order)")
    parser.add_argument("--forbid", action="append", default=[], help="regex that must not appear")
    parser.add_argument("--require", action="append", default=[],
                        help="regex that must appear somewhere (in any order)")
    parser.add_argument("--log", help="write the serial output to this file")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- qemu command line")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no QEMU command given")

    start = time.monotonic()
    try:
        output, status = run_guest(command, args.timeout)
    except OSError as exc:
        print(f"run_qemu: cannot start QEMU: {exc}", file=sys.stderr)
        return 1
    elapsed = time.monotonic() - start
    if args.log:
        with open(args.log, "w", encoding="utf-8") as f:
            f.write(output)
    sys.stdout.write(output)
    if not output.endswith("\n"):
        sys.stdout.write("\n")

    failures: list[str] = []
    if status is None:
        failures.append(f"timed out after {args.timeout:.0f} s (the guest did not power off)")
    elif status != 0:
        failures.append(f"QEMU exited with status {status}")
    position = 0
    for pattern in args.expect:
        match = re.compile(pattern, re.MULTILINE).search(output, position)
        if match is None:
            failures.append(f"expected output not found (in order): {pattern!r}")
        else:
            position = match.end()
    for pattern in args.require:
        if re.search(pattern, output, re.MULTILINE) is None:
            failures.append(f"required output not found: {pattern!r}")
    for pattern in args.forbid:
        match = re.search(pattern, output, re.MULTILINE)
        if match:
            failures.append(f"forbidden output found: {match.group(0)!r}")

    print(f"run_qemu: {elapsed:.2f} s wall, exit status {status}")
    return verdict("run_qemu", failures)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
