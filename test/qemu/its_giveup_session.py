#!/usr/bin/env python3
"""qemu.msi.its-giveup: the kernel gives up on an ITS that fails a command.

QEMU's ITS completes every command at once, so gdb makes one fail: stopped in the
kernel's its_raise (the test component's first IRQ_HANDLER_TRIGGER), then at the inlined
start of its_wait (after GITS_CWRITER was written, before the wait reads the kernel's copy
of it), it moves that copy one command on. The wait then sees GITS_CREADR never reach it,
as with an ITS that stopped, and must give the ITS up after its poll bound: one log line,
and the component (test/msi/its_giveup.c) checks that later MSI invocations are refused
and deletions still work. gdb's printed values show the injection happened; the guest
must then print PASS and power off.

--case ack (qemu.msi.its-giveup-ack): gdb lets the TRIGGER's wait pass and moves the
copy at the next wait instead, the INV of the ACK the component makes once the LPI came,
so the ACK is the call during which the ITS fails.
"""
from __future__ import annotations

import re
import sys
import time
from pathlib import Path

from gdb_session import gdb_test_parser, parse_gdb_test, run_under_gdb
from qemu_run import verdict


def main() -> int:
    parser = gdb_test_parser(__doc__)
    parser.add_argument("--elf", type=Path, required=True, help="the system's ELF (kernel symbols)")
    parser.add_argument("--case", choices=("trigger", "ack"), default="trigger",
                        help="the call during which the ITS fails")
    args, command = parse_gdb_test(parser)

    skip = ["tbreak its_wait", "continue"] if args.case == "ack" else []
    gdb_commands = [
        "break its_raise",
        "continue",
        *skip,
        "tbreak its_wait",
        "continue",
        "print cwriter",
        "set var cwriter = (cwriter + 32) % 65536",
        "print cwriter",
        "delete",
        "continue",
    ]
    run = run_under_gdb("its_giveup_session", command,
                        [args.gdb, "-nx", "-batch", str(args.elf)], gdb_commands,
                        args.timeout, args.log)
    if run is None:
        return 1
    gdb_out, guest, failures = run.gdb_out, run.guest, run.failures

    before = re.search(r"^\$1 = ([0-9]+)$", gdb_out, re.MULTILINE)
    after = re.search(r"^\$2 = ([0-9]+)$", gdb_out, re.MULTILINE)
    if not re.search(r"Breakpoint 1, .*its_raise \(", gdb_out):
        failures.append("gdb did not stop in its_raise")
    if not before or not after or int(after.group(1)) != (int(before.group(1)) + 32) % 65536:
        failures.append("gdb did not move the kernel's cwriter on by one command")
    command_name, call = ("INV", "ACK") if args.case == "ack" else ("INT", "TRIGGER")
    expected = [
        r"its_giveup: handler ready, triggering",
        *([r"its_giveup: the LPI came, acking"] if args.case == "ack" else []),
        rf"m6: ITS: {command_name} not completed \(bound: [0-9]+ polls\): ITS given up",
        rf"its_giveup: the failing command was {call}'s",
        r"its_giveup: PASS",
    ]
    at = 0
    for pattern in expected:
        m = re.compile(pattern, re.MULTILINE).search(guest, at)
        if not m:
            failures.append(f"expected output not found (in order): {pattern!r}")
            break
        at = m.end()
    if len(re.findall(r"ITS given up", guest)) > 1:
        failures.append("the ITS was given up more than once (logged twice)")
    for pattern in (r"FAIL", r"PANIC", r"kernel exception", r"m6: fault:"):
        if re.search(pattern, guest):
            failures.append(f"forbidden output: {pattern!r}")
    return verdict("its_giveup_session", failures, f"{time.monotonic() - run.start:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
