#!/usr/bin/env python3
"""qemu.kfault.*: the kernel's own faults are reported on the CPU's exception stack and end
in a power-off, never a hang or a recursion (kernel/arch/aarch64/vectors.S, el1_sync).

A correct kernel does not fault, so gdb makes it: stopped at the first instruction of
handle_user_sync (the kernel entered from a component's system call, on CPU 0's kernel
stack), it moves sp to the top of that stack's guard page, and the function's first store
faults there, as a kernel stack overflow would. The cases:

  overflow  the fault is reported: "kernel stack overflow (guard page … hit)", the
            exception's syndrome, address and registers, the thread that was running, and
            a panic that powers off.
  nested    the report itself faults (gdb moves sp into the exception stack's guard page
            at handle_kernel_fault's first instruction): the minimal report of a fault
            while handling a kernel fault, then power-off.
  triple    the minimal report faults too: power-off without a word.

The guest runs on one CPU (CPU 0: its stacks are the first in kernel_stacks and
exception_stacks). gdb's printed values show the injection happened.
"""
from __future__ import annotations

import re
import sys
import time
from pathlib import Path

from gdb_session import gdb_test_parser, parse_gdb_test, run_under_gdb
from qemu_run import verdict

PAGE = 4096
OVERFLOW = "kernel stack overflow \\(guard page ([0-9a-f]+) hit\\)"
REPORT = "m6: kernel exception: esr [0-9a-f]+ \\(class 25\\) far ([0-9a-f]+)"
NESTED = "m6: PANIC: fault while handling a kernel fault"


def gdb_commands(case: str) -> list[str]:
    """Stop on CPU 0's first system call, overflow its kernel stack; for the nested cases,
    also make the handlers' own first pushes fault."""
    commands = [
        "break *handle_user_sync",
        "continue",
        "print/x (long)&kernel_stacks",
        "print/x (long)&exception_stacks",
        f"set $sp = (long)&kernel_stacks + {PAGE}",
        "delete",
    ]
    if case in ("nested", "triple"):
        commands += [
            "break *handle_kernel_fault",
            "continue",
            f"set $sp = (long)&exception_stacks + {PAGE}",
            "delete",
        ]
    if case == "triple":
        commands += [
            "break *handle_kernel_fault_nested",
            "continue",
            f"set $sp = (long)&exception_stacks + {PAGE}",
            "delete",
        ]
    return commands + ["print $_thread", "continue"]


def check(case: str, gdb_out: str, guest: str) -> list[str]:
    failures: list[str] = []
    stacks = re.search(r"^\$1 = 0x([0-9a-f]+)$", gdb_out, re.MULTILINE)
    if not re.search(r"Breakpoint 1, .*handle_user_sync", gdb_out):
        failures.append("gdb did not stop in handle_user_sync")
    if not stacks:
        failures.append("gdb did not print kernel_stacks")
    if case != "overflow":
        if not re.search(r"Breakpoint 2, .*handle_kernel_fault", gdb_out):
            failures.append("gdb did not stop in handle_kernel_fault (the first fault)")
    if case == "triple":
        if not re.search(r"Breakpoint 3, .*handle_kernel_fault_nested", gdb_out):
            failures.append("gdb did not stop in handle_kernel_fault_nested (the second fault)")
    if not re.search(r"^\$[0-9]+ = 1$", gdb_out, re.MULTILINE):
        failures.append("the fault was not on CPU 0 (gdb thread 1)")

    if case == "overflow":
        guard = re.search(OVERFLOW, guest)
        report = re.search(REPORT, guest)
        if not guard:
            failures.append("no 'kernel stack overflow (guard page … hit)' line")
        if not report:
            failures.append("no 'm6: kernel exception' report of a data abort (class 25)")
        if stacks and guard and report:
            base = int(stacks.group(1), 16)
            far = int(report.group(1), 16)
            if int(guard.group(1), 16) != far or not base <= far < base + PAGE:
                failures.append(f"the fault address {far:#x} is not in CPU 0's guard page "
                                f"{base:#x}")
        if not re.search(r"^  x30 [0-9a-f]{16}$", guest, re.MULTILINE):
            failures.append("the report has no registers")
        if not re.search(r"^  current thread: \S+", guest, re.MULTILINE):
            failures.append("the report does not name the running thread")
        if not re.search(r"m6: PANIC: unexpected kernel exception", guest):
            failures.append("no panic after the report")
    else:
        for pattern in (REPORT, OVERFLOW):
            if re.search(pattern, guest):
                failures.append(f"the full report ran though its stack faulted: {pattern!r}")
    nested = len(re.findall(NESTED, guest))
    if case == "nested" and nested != 1:
        failures.append(f"{nested} nested-fault lines, expected one")
    if case != "nested" and nested:
        failures.append("a nested-fault line where there should be none")
    return failures


def main() -> int:
    parser = gdb_test_parser(__doc__)
    parser.add_argument("--elf", type=Path, required=True, help="the system's ELF (kernel symbols)")
    parser.add_argument("--case", choices=("overflow", "nested", "triple"), required=True)
    args, command = parse_gdb_test(parser)

    name = f"kfault_session ({args.case})"
    run = run_under_gdb(name, command, [args.gdb, "-nx", "-batch", str(args.elf)],
                        gdb_commands(args.case), args.timeout, args.log)
    if run is None:
        return 1
    failures = run.failures + check(args.case, run.gdb_out, run.guest)
    return verdict(name, failures, f"{time.monotonic() - run.start:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
