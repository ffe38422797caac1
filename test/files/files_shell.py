#!/usr/bin/env python3
"""Type the shell's file commands and check every answer, errors included.

`--mode files` (the files_shell system: the shell with the VFS, tmpfs at /tmp, the initrd
at /): ls [-l], cat, cp, mv, rm, mkdir, rmdir, touch, write, df, mount, cd, pwd, each
failure's line ("cat: /nope: No such file or directory"), then `poweroff`.
`--mode none` (the files_none system: the shell without the file service): a file
command says so, and the other commands still work.
Fails on a kernel panic, exception or unhandled fault anywhere in the session.
"""
from __future__ import annotations

import argparse
import os
import re
import sys

import pexpect

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "qemu"))
from qemu_run import check_answer, verdict  # noqa: E402

PROMPT = "m6> "
FORBIDDEN = ["PANIC", "m6: fault:", "kernel exception"]

# The initrd's one file (test/files/CMakeLists.txt packs it as /etc/motd).
MOTD = "Welcome to m6: this file came from the initrd."

# (command, patterns its answer must show in order, patterns it must not show). Each
# pattern is matched against the answer's text (between the echoed command and the next
# prompt) with \r\n turned into \n, so ^ and $ are line boundaries.
SESSION: list[tuple[str, list[str], list[str]]] = [
    ("pwd", [r"^/$"], []),
    ("mount", [r"^MOUNTED ON\s+TYPE\s+MODE$", r"^/\s+initrd\s+ro$", r"^/tmp\s+tmpfs\s+rw$"], []),
    ("df", [r"^MOUNTED ON\s+TYPE\s+SIZE\s+USED\s+FREE\s+MODE$", r"^/\s+initrd\s.*\bro$",
            r"^/tmp\s+tmpfs\s.*\brw$"], []),
    ("ls /", [r"^etc/$"], [r"^\.\.?/?$"]),
    ("ls -l /etc", [r"^-rw-r--r--\s+1\s+0\s+0\s+47 motd$"], []),
    ("cat /etc/motd", [r"^" + re.escape(MOTD) + r"$"], []),
    ("cat /nope", [r"^cat: /nope: No such file or directory$"], []),
    ("ls /tmp", [], [r"\S"]),  # empty
    ("write /tmp/a.txt hello from   the shell", [], [r"\S"]),
    ("cat /tmp/a.txt", [r"^hello from the shell$"], []),
    ("ls -l /tmp", [r"^-rw-r--r--\s+1\s+0\s+0\s+21 a\.txt$"], []),
    ("cp /tmp/a.txt /tmp/b.txt", [], [r"\S"]),
    ("cat /tmp/b.txt", [r"^hello from the shell$"], []),
    ("mkdir /tmp/dir", [], [r"\S"]),
    ("mkdir /tmp/dir", [r"^mkdir: /tmp/dir: File exists$"], []),
    ("mv /tmp/b.txt /tmp/dir", [], [r"\S"]),
    ("ls /tmp", [r"^a\.txt$", r"^dir/$"], [r"b\.txt"]),
    ("ls /tmp/dir", [r"^b\.txt$"], []),
    ("cd /tmp/dir", [], [r"\S"]),
    ("pwd", [r"^/tmp/dir$"], []),
    ("cat b.txt", [r"^hello from the shell$"], []),
    ("cd ..", [], [r"\S"]),
    ("pwd", [r"^/tmp$"], []),
    ("rmdir dir", [r"^rmdir: dir: Directory not empty$"], []),
    ("mv dir/b.txt c.txt", [], [r"\S"]),
    ("rmdir dir", [], [r"\S"]),
    ("touch empty", [], [r"\S"]),
    ("ls -l", [r"^-rw-r--r--\s+1\s+0\s+0\s+21 a\.txt$", r"^-rw-r--r--\s+1\s+0\s+0\s+21 c\.txt$",
               r"^-rw-r--r--\s+1\s+0\s+0\s+0 empty$"], [r"dir"]),
    ("cat /tmp", [r"^cat: /tmp: Is a directory$"], []),
    ("ls a.txt/x", [r"^ls: a\.txt/x: Not a directory$"], []),
    ("write /etc/x hi", [r"^write: /etc/x: Read-only file system$"], []),
    ("rm /etc/motd", [r"^rm: /etc/motd: Read-only file system$"], []),
    ("mv c.txt /c.txt", [r"^mv: c\.txt: Cross-device link$"], []),
    ("cd /nope", [r"^cd: /nope: No such file or directory$"], []),
    ("cd a.txt", [r"^cd: a\.txt: Not a directory$"], []),
    ("rm /tmp/a.txt /tmp/nope /tmp/c.txt", [r"^rm: /tmp/nope: No such file or directory$"], []),
    ("rm /tmp/empty", [], [r"\S"]),
    ("ls /tmp", [], [r"\S"]),
    ("cp /nope /tmp/x", [r"^cp: /nope: No such file or directory$"], []),
    ("cp /tmp /tmp/x", [r"^cp: /tmp: Is a directory$"], []),
    ("cat", [r"^usage: cat FILE"], []),
    ("sync", [], [r"\S"]),
    ("sync now", [r"^usage: sync"], []),
    ("echo still here", [r"^still here$"], []),
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mode", choices=["files", "none"], default="files")
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--log", help="write the session here")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    log = open(args.log, "w", encoding="utf-8") if args.log else None
    child = pexpect.spawn(command[0], command[1:], encoding="utf-8", timeout=args.timeout,
                          codec_errors="replace", maxread=65536)
    child.delaybeforesend = None
    seen: list[str] = []

    class Tee:
        def write(self, text: str) -> None:
            seen.append(text)
            if log:
                log.write(text)

        def flush(self) -> None:
            if log:
                log.flush()

    child.logfile_read = Tee()
    failures: list[str] = []

    def expect(pattern: str, what: str) -> bool:
        try:
            child.expect(pattern)
            return True
        except (pexpect.TIMEOUT, pexpect.EOF) as exc:
            failures.append(f"{what}: {pattern!r} not seen ({type(exc).__name__})")
            return False

    def run(line: str, want: list[str], unwanted: list[str]) -> None:
        child.send(line + "\r")
        # The echo of the line, then everything up to the next prompt is the answer.
        if not expect(re.escape(line) + r"\r*\n", f"echo of {line!r}"):
            return
        if not expect(re.escape(PROMPT), f"prompt after {line!r}"):
            return
        check_answer(line, re.sub(r"\r+\n", "\n", child.before), want, unwanted, failures)

    if expect(re.escape(PROMPT), "first prompt"):
        if args.mode == "files":
            for line, want, unwanted in SESSION:
                run(line, want, unwanted)
        else:
            for cmd in ["ls", "cat /etc/motd", "cd /tmp", "pwd", "df", "mount", "sync"]:
                name = cmd.split()[0]
                run(cmd, [rf"^{name}: this system has no file service$"], [])
            run("echo still here", [r"^still here$"], [])
            run("help", [r"^\s+ls\s+ls \[-l\]", r"^\s+pwd\s+print the working directory$"], [])
        child.send("poweroff\r")
        if args.mode == "files":  # poweroff syncs first when there is a file service
            expect(r"shell: syncing file systems\r*\nshell: powering off", "sync, poweroff")
        else:
            expect("shell: powering off", "poweroff")
        expect(r"m6: power off requested by shell\.main", "power off")
    try:
        child.expect(pexpect.EOF, timeout=args.timeout)
    except pexpect.TIMEOUT:
        failures.append("QEMU did not exit after power off")
    child.close()
    if child.exitstatus not in (0, None) or child.signalstatus:
        failures.append(f"QEMU exit status {child.exitstatus}, signal {child.signalstatus}")
    output = "".join(seen)
    for pattern in FORBIDDEN:
        if pattern in output:
            failures.append(f"forbidden output in the session: {pattern!r}")
    if log:
        log.close()
    return verdict("files_shell", failures)


if __name__ == "__main__":
    sys.exit(main())
