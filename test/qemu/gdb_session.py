#!/usr/bin/env python3
"""Check `make debug`'s workflow: QEMU halted at reset with its gdb stub, gdb-multiarch with
the system's generated gdb script (NAME.gdb from m6_add_system).

gdb must stop at a breakpoint on the kernel's C entry point and, after `m6-component`
selects one component's symbols, at a breakpoint on that component's `main` running at
EL0; then the guest is let run to its PSCI power-off. Every step runs under a timeout.
"""
from __future__ import annotations

import argparse
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

from qemu_run import verdict


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    """Whether something listens on 127.0.0.1:`port`, read from /proc/net/tcp: looking
    does not connect, so QEMU's stub (which takes one client) is left for gdb."""
    try:
        with open("/proc/net/tcp", encoding="ascii") as f:
            rows = f.read().splitlines()[1:]
    except OSError:
        return False
    for row in rows:
        fields = row.split()
        if len(fields) > 3 and fields[3] == "0A" and int(fields[1].split(":")[1], 16) == port:
            return True
    return False


def wait_for_stub(qemu: subprocess.Popen[bytes], port: int, timeout: float) -> bool:
    """Wait until QEMU's gdb stub listens (or QEMU has exited): gdb does not retry a
    refused connection, and a loaded host can take seconds to start QEMU, so waiting a
    fixed moment would fail some runs."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and qemu.poll() is None:
        if listening(port):
            return True
        time.sleep(0.02)
    return False


class GdbRun:
    """What a QEMU run driven by gdb produced: gdb's and the guest's output, QEMU's exit
    status (None if it did not power off in time) and the failures seen on the way."""

    def __init__(self) -> None:
        self.gdb_out = ""
        self.guest = ""
        self.status: int | None = None
        self.failures: list[str] = []
        self.start = time.monotonic()


def run_under_gdb(name: str, command: list[str], gdb_args: list[str], gdb_commands: list[str],
                  timeout: float, log: Path | None, prelude: list[str] | None = None
                  ) -> GdbRun | None:
    """Start QEMU (`command`) halted with its gdb stub on a free port, run gdb in batch mode
    with `prelude`, "target remote" and then `gdb_commands`, and wait for the guest to power off,
    every step under `timeout`. Both outputs are echoed and written to `log`. Returns None
    (after saying why) if gdb cannot be started."""
    port = free_port()
    qemu = subprocess.Popen([*command, "-gdb", f"tcp:127.0.0.1:{port}", "-S"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    full = list(gdb_args)
    for c in [*(prelude or []), f"target remote 127.0.0.1:{port}", *gdb_commands]:
        full += ["-ex", c]
    run = GdbRun()
    if not wait_for_stub(qemu, port, timeout / 2):
        run.failures.append(f"QEMU's gdb stub did not listen on port {port} within "
                            f"{timeout / 2:.0f} s")
    try:
        gdb = subprocess.run(full, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, timeout=timeout, check=False)
        run.gdb_out = gdb.stdout.decode("utf-8", errors="replace")
    except subprocess.TimeoutExpired as exc:
        run.gdb_out = (exc.stdout or b"").decode("utf-8", errors="replace")
        run.failures.append(f"gdb did not finish within {timeout:.0f} s")
    except FileNotFoundError as exc:
        qemu.kill()
        qemu.communicate()
        print(f"{name}: cannot start gdb: {exc}", file=sys.stderr)
        return None
    try:
        guest_out, _ = qemu.communicate(timeout=max(5.0, timeout - (time.monotonic() - run.start)))
        run.status = qemu.returncode
    except subprocess.TimeoutExpired:
        qemu.kill()
        guest_out, _ = qemu.communicate()
    run.guest = guest_out.decode("utf-8", errors="replace").replace("\r\n", "\n")
    if log:
        log.write_text(f"--- gdb ---\n{run.gdb_out}\n--- guest ---\n{run.guest}", encoding="utf-8")
    sys.stdout.write(run.gdb_out + "\n" + run.guest + "\n")
    if run.status is None:
        run.failures.append("the guest did not power off after gdb let it go")
    elif run.status != 0:
        run.failures.append(f"QEMU exited with status {run.status}")
    return run


def gdb_test_parser(doc: str) -> argparse.ArgumentParser:
    """The options every gdb-driven test takes: --gdb, --timeout, --log and, after "--",
    the QEMU command line; the test adds its own."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--gdb", default="gdb-multiarch", help="gdb able to debug aarch64")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--log", type=Path, help="write gdb's and the guest's output here")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- qemu command line")
    return parser


def parse_gdb_test(parser: argparse.ArgumentParser) -> tuple[argparse.Namespace, list[str]]:
    """Parse the arguments; the QEMU command line without its "--" (an error if empty)."""
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no QEMU command given")
    return args, command


def main() -> int:
    parser = gdb_test_parser(__doc__)
    parser.add_argument("--script", type=Path, required=True, help="the system's NAME.gdb")
    parser.add_argument("--component", required=True, help="component whose main to stop in")
    args, command = parse_gdb_test(parser)
    if not args.script.is_file():
        print(f"gdb_session: no gdb script at {args.script}", file=sys.stderr)
        return 1

    gdb_commands = [
        "break kernel_main",
        "continue",
        "print ($cpsr >> 2) & 3",
        f"m6-component {args.component}",
        "break main",
        "continue",
        "print ($cpsr >> 2) & 3",
        "info symbol $pc",
        "delete",
        "continue",
    ]
    run = run_under_gdb("gdb_session", command, [args.gdb, "-nx", "-batch"], gdb_commands,
                        args.timeout, args.log, prelude=[f"source {args.script}"])
    if run is None:
        return 1
    gdb_out, failures = run.gdb_out, run.failures

    checks = [
        (r"Breakpoint 1, kernel_main \(", "gdb did not stop at kernel_main"),
        (r"^\$1 = 1$", "the kernel breakpoint was not hit at EL1"),
        (r"Breakpoint 2, main \(", f"gdb did not stop at {args.component}'s main"),
        (r"^\$2 = 0$", "main's breakpoint was not hit at EL0"),
        (r"^main( \+ [0-9]+)? in section \.text of .*/" + re.escape(args.component) + r"\.elf$",
         f"the symbols at the user breakpoint are not {args.component}'s"),
    ]
    for pattern, why in checks:
        if not re.search(pattern, gdb_out, re.MULTILINE):
            failures.append(why)
    return verdict("gdb_session", failures, f"{time.monotonic() - run.start:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
