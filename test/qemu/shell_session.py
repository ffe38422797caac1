#!/usr/bin/env python3
"""Type into the interactive system's shell (examples/shell) and check every answer.

`--mode commands`: every command, line editing and history, then `poweroff` (QEMU must
exit 0). `--mode uart-fault`: `crash uart` makes the UART driver fault; the console (its
fault handler) must report it, the shell must keep running and power the machine off.
Also checks that the prompt comes within --prompt-seconds of QEMU's start.
"""
from __future__ import annotations

import argparse
import sys
import time

import pexpect

PROMPT = "m6> "


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mode", choices=["commands", "uart-fault"], default="commands")
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--prompt-seconds", type=float, default=2.0)
    ap.add_argument("--log", help="write the session here")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    log = open(args.log, "w", encoding="utf-8") if args.log else None
    start = time.monotonic()
    child = pexpect.spawn(command[0], command[1:], encoding="utf-8", timeout=args.timeout,
                          codec_errors="replace")
    child.logfile_read = log
    failures: list[str] = []

    def expect(pattern: str, what: str) -> bool:
        try:
            child.expect(pattern)
            return True
        except (pexpect.TIMEOUT, pexpect.EOF) as exc:
            failures.append(f"{what}: {pattern!r} not seen ({type(exc).__name__})")
            return False

    def run(line: str, *patterns: str) -> None:
        child.send(line + "\r")
        for pattern in patterns:
            expect(pattern, f"command {line!r}")
        expect(PROMPT, f"prompt after {line!r}")

    if expect(PROMPT, "first prompt"):
        took = time.monotonic() - start
        print(f"shell_session: prompt after {took:.2f} s of wall time")
        if took > args.prompt_seconds:
            failures.append(f"the prompt took {took:.2f} s (limit {args.prompt_seconds} s)")
    if args.mode == "commands":
        run("help", r"echo\s+print the arguments", r"poweroff\s+power the machine off")
        run("echo hello   m6 world", r"hello m6 world\r+\n")
        run("ps", r"COMPONENT\s+THREAD\s+STATE\s+PRIO", r"uart\s+main\s+recv\s+200\s+200",
            r"console\s+main\s+recv\s+150", r"shell\s+main\s+running\s+100")
        run("caps shell", r"CSpace of shell \(binary \"shell\"\)", r"4\s+CAP_CONSOLE\s+Endpoint\s+-W-P\s+1",
            r"CAP_TICK\s+Timer", r"CAP_SYSTEM_INFO\s+SystemInfo\s+R---")
        run("caps nobody", r"caps: no component 'nobody'")
        run("mem", r"RAM given to untyped at boot: \d", r"used by the boot tables:\s+\d+", r"free in")
        run("uptime", r"up \d+\.\d{3} s \(components started\)")
        run("frobnicate", r"unknown command 'frobnicate'")
        # Line editing: backspace, left/right insertion, history.
        run("echo abX\x7fc", r"\r+\nabc\r+\n")
        run("echo 12\x1b[D\x1b[Dx", r"\r+\nx12\r+\n")
        child.send("\x1b[A\x1b[A\r")  # two up: `echo abc`
        expect(r"\r+\nabc\r+\n", "history (up twice)")
        expect(PROMPT, "prompt after history")
        child.send("poweroff\r")
        expect("shell: powering off", "poweroff")
    else:
        child.send("crash uart\r")
        expect("shell: asking the UART driver to fault", "crash")
        expect(r"console: the serial driver faulted at pc 0x[0-9a-f]+ \(fault 1, address 0x10\)",
               "fault report")
        expect(r"shell: still running .* powering off", "shell after the fault")
    expect(r"m6: power off requested by shell\.main", "power off")
    try:
        child.expect(pexpect.EOF, timeout=5)
    except pexpect.TIMEOUT:
        failures.append("QEMU did not exit after power off")
    child.close()
    if child.exitstatus not in (0, None) or child.signalstatus:
        failures.append(f"QEMU exit status {child.exitstatus}, signal {child.signalstatus}")
    if log:
        log.close()
    for failure in failures:
        print(f"shell_session: FAIL: {failure}")
    print("shell_session: PASS" if not failures else "shell_session: FAIL")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
