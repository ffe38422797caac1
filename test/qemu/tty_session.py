#!/usr/bin/env python3
"""Drive a Linux program's terminal on m6's console, as a user at the keyboard would.

`--mode ttytest` (test/linux_shim's linux_tty system: the shim runs /bin/ttytest on the
console): ttytest prints "ready STEP" when it waits for input; this types the step's keys
and checks the echo where it matters; ttytest prints "ok NAME" or "FAIL NAME: WHY" for each
check. At the end ^C must kill it (SIGINT) and the shim power the machine off.

`--mode busybox` (the default system, examples/shell): the m6 shell reports a program
that cannot start, one that fails and one ended by ^C; `stty -a` shows the default
settings after a job that left the terminal raw; `sh` starts
busybox's shell on the console; commands run (ls -l /, a pipeline, line editing with
erase and word erase, ^C at the prompt), ^C ends a running `sleep 100` and the busybox
prompt comes back, ^Z stops one (jobs, fg, ^C),
`vi` writes a file (insert, ESC, :wq) that busybox's cat shows, [ -t 0 ] is true on the
terminal and false on a pipe, `exit` returns to the m6 shell, whose own `cat` shows the
same file; a program that fails reports its status; then `poweroff`.

Every wait is for output (a prompt, a line) with a generous timeout, never a timing
window. Fails on a kernel panic, an exception or an unhandled fault anywhere.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import sys

import pexpect

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qemu_run import verdict  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "cmake"))
import m6_qemu_args  # noqa: E402 (the disks' QEMU arguments, from the spec's `disk`)

FORBIDDEN = ["PANIC", "m6: fault:", "kernel exception"]
M6_PROMPT = "m6> "
# busybox ash's prompt as root in /, then its cursor-position query (ESC [ 6 n)
BB_PROMPT = r"/[^\r\n]* # (\x1b\[6n)?"

# ttytest's steps: the keys typed when it says "ready STEP".
TTYTEST_KEYS: dict[str, str] = {
    "canon-erase": "abc\x7fd\r",
    "canon-backspace": "xy\x08z\r",
    "canon-werase": "foo bar\x17baz\r",
    "canon-kill": "junk\x15hello\r",
    "canon-eof-partial": "part\x04",
    "canon-eof": "\x04",
    "canon-split": "split!\r",
    "raw-byte": "q",
    "raw-cr": "\r",
    "raw-del": "\x7f",
    "poll-wait": "wxyz",
    "sigint": "\x03",
}
# What the echo of some steps must look like (canonical mode, ECHO, ECHOE, ECHOCTL).
TTYTEST_ECHO: dict[str, str] = {
    "canon-erase": "abc\b \bd",
    "canon-werase": "foo bar\b \b\b \b\b \bbaz",
    "canon-kill": "junk\b \b\b \b\b \b\b \bhello",
    "sigint": "^C",
}
TTYTEST_CHECKS = 41  # the checks ttytest passes when all is well


class Session:
    def __init__(self, command: list[str], timeout: float, log: str | None) -> None:
        self.log = open(log, "w", encoding="utf-8") if log else None
        self.seen: list[str] = []
        self.failures: list[str] = []
        self.child = pexpect.spawn(command[0], command[1:], encoding="utf-8", timeout=timeout,
                                   codec_errors="replace", maxread=65536)
        self.child.delaybeforesend = None
        session = self

        class Tee:
            def write(self, text: str) -> None:
                session.seen.append(text)
                if session.log:
                    session.log.write(text)

            def flush(self) -> None:
                if session.log:
                    session.log.flush()

        self.child.logfile_read = Tee()

    def expect(self, pattern: str, what: str, timeout: float | None = None) -> bool:
        try:
            self.child.expect(pattern, timeout=timeout if timeout is not None else -1)
            return True
        except (pexpect.TIMEOUT, pexpect.EOF) as exc:
            self.failures.append(f"{what}: {pattern!r} not seen ({type(exc).__name__})")
            return False

    def send(self, keys: str) -> None:
        self.child.send(keys)

    def answer(self, keys: str, prompt: str, what: str) -> str | None:
        """Type `keys` (ending with Enter); the text up to the next prompt, \\r\\n as \\n."""
        self.send(keys)
        if not self.expect(prompt, what):
            return None
        return re.sub(r"\r+\n", "\n", self.child.before)

    def want(self, text: str | None, pattern: str, what: str) -> None:
        if text is not None and not re.search(pattern, text, re.MULTILINE):
            self.failures.append(f"{what}: {pattern!r} not in {text!r}")

    def unwanted(self, text: str | None, pattern: str, what: str) -> None:
        if text is not None and re.search(pattern, text, re.MULTILINE):
            self.failures.append(f"{what}: {pattern!r} in {text!r}")

    def finish(self, timeout: float) -> None:
        try:
            self.child.expect(pexpect.EOF, timeout=timeout)
        except pexpect.TIMEOUT:
            self.failures.append("QEMU did not exit (no power off)")
        self.child.close()
        text = "".join(self.seen)
        for bad in FORBIDDEN:
            if bad in text:
                self.failures.append(f"{bad!r} in the console output")
        if self.log:
            self.log.close()


def run_ttytest(s: Session) -> None:
    if not s.expect(r"ready canon-erase", "ttytest starts"):
        return
    step = "canon-erase"
    while True:
        keys = TTYTEST_KEYS.get(step)
        if keys is None:
            s.failures.append(f"ttytest waits for an unknown step {step!r}")
            return
        s.send(keys)
        echo = TTYTEST_ECHO.get(step)
        if echo is not None and not s.expect(re.escape(echo), f"echo of {step}"):
            return
        if step == "sigint":
            break
        if not s.expect(r"ready ([a-z0-9-]+)\r*\n", f"the step after {step}"):
            return
        step = s.child.match.group(1)
    s.expect(r"linux: ttytest: killed by SIGINT", "^C ends ttytest (SIGINT)")
    s.expect(r"linux: all programs done", "the shim's end")
    text = re.sub(r"\r+\n", "\n", "".join(s.seen))
    for line in re.findall(r"^FAIL .*$", text, re.MULTILINE):
        s.failures.append(f"ttytest: {line}")
    # (an "ok" may follow an echo without a newline: "part" of canon-eof-partial)
    oks = set(re.findall(r"ok ([a-z0-9-]+)$", text, re.MULTILINE))
    if len(oks) != TTYTEST_CHECKS:
        s.failures.append(f"ttytest passed {len(oks)} checks, {TTYTEST_CHECKS} expected")
    s.want(text, r"^ttytest: 0 failures$", "ttytest's summary")


def run_busybox(s: Session) -> None:
    if not s.expect(re.escape(M6_PROMPT), "the m6 prompt"):
        return
    # A program that cannot start, and one that fails: the m6 shell says so.
    out = s.answer("linux /bin/nope\r", re.escape(M6_PROMPT), "linux /bin/nope")
    s.want(out, r"^linux: /bin/nope: No such file or directory$", "a missing program")
    out = s.answer("linux /bin/busybox false\r", re.escape(M6_PROMPT), "linux busybox false")
    s.want(out, r"^linux: /bin/busybox exited with status 1$", "a failing program's status")
    # A program that leaves the terminal raw does not leave it so for the next job: stty
    # reads back Linux's default settings (TCGETS through a real program).
    s.answer("linux busybox stty raw -echo\r", re.escape(M6_PROMPT), "stty raw -echo")
    out = s.answer("linux busybox stty -a\r", re.escape(M6_PROMPT), "stty -a")
    s.want(out, r"^speed 38400 baud; rows 24; columns 80; line = 0;$", "stty: speed and size")
    s.want(out, r"^intr = \^C; quit = \^\\; erase = \^\?; kill = \^U; eof = \^D;", "stty: chars")
    s.want(out, r" icrnl ixon ", "stty: input flags")
    s.want(out, r"^opost .* onlcr ", "stty: output flags")
    s.want(out, r"^isig icanon iexten echo echoe echok ", "stty: the next job is not raw")
    # ^C of a program the m6 shell started: it reports the signal. cat answers a line
    # (the terminal's echo, then cat's copy), so it runs when ^C comes.
    s.send("linux busybox cat\r")
    if s.expect(r"linux busybox cat\r*\n", "echo of linux busybox cat"):
        s.send("ping\r")
        # (the shim may name a call cat tries between the two: sendfile)
        if s.expect(r"ping\r*\n", "the echo of ping") and s.expect(r"ping\r*\n",
                                                                    "cat copies a line"):
            s.send("\x03")
            out = s.answer("", re.escape(M6_PROMPT), "the m6 prompt after ^C")
            s.want(out, r"^linux: /bin/busybox killed by signal 2$", "the m6 shell reports SIGINT")
            # the console does not put the program's last partial line ("^C") back
            s.unwanted(out, r"killed by signal 2\n\^C", "a finished job's partial line came back")
    # busybox's shell on the console
    out = s.answer("sh\r", BB_PROMPT, "sh starts busybox's shell")
    s.want(out, r"BusyBox v1\.", "busybox's banner")
    out = s.answer("ls -l /\r", BB_PROMPT, "ls -l /")
    s.want(out, r"^d.* bin$", "ls -l / lists /bin")
    s.want(out, r"^d.* tmp$", "ls -l / lists /tmp")
    out = s.answer("echo hi | busybox wc -c\r", BB_PROMPT, "a pipeline")
    s.want(out, r"^3$", "echo hi | wc -c")
    # line editing: type, erase, retype (busybox's own editor, in raw mode)
    out = s.answer("echo tpyo\x7f\x7f\x7fypo\r", BB_PROMPT, "erase")
    s.want(out, r"^typo$", "backspace erased three characters")
    out = s.answer("echo one two\x17three\r", BB_PROMPT, "word erase")
    s.want(out, r"^one three$", "^W erased a word")
    # ^C at the prompt: the line is dropped, a fresh prompt comes (busybox's SIGINT)
    s.send("echo never")
    s.expect("echo never", "echo of a line to drop")
    out = s.answer("\x03", BB_PROMPT, "^C at the prompt")
    out = s.answer("echo after-ctrl-c\r", BB_PROMPT, "the line after ^C")
    s.want(out, r"^after-ctrl-c$", "the shell goes on after ^C at its prompt")
    s.unwanted(out, r"^never$", "the line dropped by ^C ran")
    # the terminal: isatty on the console, not on a pipe
    out = s.answer("[ -t 0 ] && echo on-a-tty\r", BB_PROMPT, "[ -t 0 ]")
    s.want(out, r"^on-a-tty$", "stdin is a terminal")
    out = s.answer("echo | { [ -t 0 ] || echo not-a-tty; }\r", BB_PROMPT, "[ -t 0 ] on a pipe")
    s.want(out, r"^not-a-tty$", "a pipe is no terminal")
    # ^C of a running program: the prompt comes back. The program says when it runs (in
    # its own process group, in front on the terminal: ash made it so before the exec),
    # so the ^C cannot reach the shell's line editor instead.
    s.send("busybox sh -c 'echo sleep-runs; exec busybox sleep 100'\r")
    if s.expect(r"\nsleep-runs\r*\n", "sleep 100 runs"):
        s.send("\x03")
        s.expect(r"\^C", "echo of ^C")
        s.expect(BB_PROMPT, "the prompt after ^C")
    out = s.answer("echo still-here\r", BB_PROMPT, "the shell after ^C")
    s.want(out, r"^still-here$", "busybox's shell survives ^C of its child")
    # job control: ^Z stops a job (busybox reports it), jobs lists it, fg continues it, ^C
    # ends it. The job says when it runs: first once it is in front (as above), then with
    # a tick each second, so that the ^C after fg comes once busybox has given it the
    # terminal again (before, the ^C would be busybox's own).
    s.send("busybox sh -c 'echo nap-runs; while true; do busybox sleep 1; echo tick; done'\r")
    if s.expect(r"\nnap-runs\r*\n", "a second job runs"):
        s.send("\x1a")
        out = s.answer("", BB_PROMPT, "the prompt after ^Z")
        s.want(out, r"\[1\]\+\s+Stopped\s+busybox sh -c", "^Z stopped the job")
        out = s.answer("jobs\r", BB_PROMPT, "jobs")
        s.want(out, r"^\[1\]\+\s+Stopped\s+busybox sh -c", "jobs lists the stopped job")
        s.send("fg\r")
        if s.expect(r"fg\r*\n", "echo of fg") and s.expect(r"\ntick\r*\n", "fg continues it"):
            s.send("\x03")
            s.expect(BB_PROMPT, "the prompt after ^C of the continued job")
        out = s.answer("jobs\r", BB_PROMPT, "jobs after the job ended")
        s.unwanted(out, r"Stopped", "an ended job is still listed")
    # vi writes a file
    s.send("busybox vi /tmp/vi.txt\r")
    if s.expect(r"/tmp/vi\.txt", "vi's status line", timeout=30):
        s.send("iwritten by vi")
        s.expect(r"written by vi", "vi's echo of the insert")
        # ESC, then what vi shows once it is back in command mode: the ":" must not come
        # in the same breath, or vi takes ESC ":" for one escape sequence (a terminal's key)
        s.send("\x1b")
        s.expect(r"- /tmp/vi\.txt \[Modified\]", "vi back in command mode")
        s.send(":wq\r")
        s.expect(BB_PROMPT, "the prompt after :wq", timeout=30)
    out = s.answer("busybox cat /tmp/vi.txt\r", BB_PROMPT, "busybox cat")
    s.want(out, r"^written by vi$", "cat shows what vi wrote")
    # exit: back in the m6 shell, which sees the same file
    out = s.answer("exit\r", re.escape(M6_PROMPT), "exit to the m6 shell")
    out = s.answer("cat /tmp/vi.txt\r", re.escape(M6_PROMPT), "the m6 shell's cat")
    s.want(out, r"^written by vi$", "the m6 shell reads vi's file")
    s.send("poweroff\r")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mode", choices=["ttytest", "busybox"], required=True)
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--log", help="write the session here")
    ap.add_argument("--disk", help="boot with a fresh copy of this pristine disk image")
    ap.add_argument("--qemu-args", help="the system's QEMU arguments (NAME.qemu)")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        print("tty_session: FAIL: no QEMU command")
        return 1
    if args.qemu_args:
        disks = {}
        try:
            if args.disk:
                copy = (args.log or "tty_session") + ".disk.img"
                shutil.copyfile(args.disk, copy)
                disks["disk"] = copy
            command = command + m6_qemu_args.arguments(m6_qemu_args.load(args.qemu_args), disks)
        except (OSError, m6_qemu_args.Problem) as exc:
            print(f"tty_session: FAIL: {args.qemu_args}: {exc}")
            return 1
    try:
        s = Session(command, args.timeout, args.log)
    except (OSError, pexpect.ExceptionPexpect) as exc:
        print(f"tty_session: FAIL: cannot start QEMU: {exc}")
        return 1
    if args.mode == "ttytest":
        run_ttytest(s)
    else:
        run_busybox(s)
    s.finish(args.timeout)
    return verdict("tty_session", s.failures, args.mode)


if __name__ == "__main__":
    sys.exit(main())
