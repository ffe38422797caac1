#!/usr/bin/env python3
"""Type into the interactive system's shell (examples/shell) and check every answer.

`--mode commands`: every command, line editing (every arrow key, Home/End, Delete, tab,
UTF-8, escape sequences cut short or unknown, a line over the limit), history, a small
paste, the driver's refusal of the shell's debug cap, then `poweroff` (QEMU must exit 0).
`--mode paste`: --paste-lines numbered `echo` lines pasted at once; every answer must
arrive, in order and intact, and the UART must report no overrun.
`--mode uart-fault`: `crash uart` makes the UART driver fault; the console (its fault
handler) must report it, the shell must keep running and power the machine off.
`--mode uart-exit`: `crash uart exit` makes the driver call exit(3); the console must
report an exit with that status, not a fault.
`--mode files`: the file commands on /, /tmp and /disk (ls, cat, write, cp, mkdir, mv, rm,
rmdir, df, mount, cd, pwd) and their error lines, `sync`, one more write, `poweroff` (which
must sync it too); then, on the host, `fsck.fat -n` must find the disk clean and `mdir`/
`mtype` must show exactly the tree the session left.
`--mode reset`: a write to /disk, then `reset` (QEMU runs with -no-reboot, so it exits):
reset must sync first, as poweroff does.
`--mode disk-restart`: `crash disk` makes the disk driver fault part way through the
copy of /bin/busybox (1.8 MB) to /disk that follows; its supervisor must say it restarts
it, the copy must end (with an I/O error, or complete), the shell and /disk must go on
working (a second copy, a write, a read); after poweroff the host checks that fsck.fat -n
finds the disk clean, that the second copy equals --busybox, and that what the first
left, if anything, is a prefix of it (docs/supervision.md).
With `--disk PRISTINE` (every mode in ctest, as `make run` does) the system boots with a
fresh copy of the pristine disk image (`--disk-copy`, default beside the log).
Also checks that no kernel panic, exception or unhandled fault shows anywhere in the
session, and prints how long the prompt took (wall time: a figure, not a check, because a
loaded host can take seconds just to start QEMU; --prompt-seconds N makes it one again for
a run by hand. Boot time is measured exactly, in instructions, by `make bench`).
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import threading
import time
from typing import Any

import pexpect

from qemu_run import check_answer, cpu_failures, verdict

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "cmake"))
import m6_qemu_args  # noqa: E402 (the disks' QEMU arguments, from the spec's `disk`)

PROMPT = "m6> "
FORBIDDEN = ["PANIC", "m6: fault:", "kernel exception"]
LINE_MAX = 512  # M6_LINE_MAX (libm6/include/m6/lineedit.h)
# What the initrd holds (examples/shell/rootfs, packed by examples/shell/CMakeLists.txt).
MOTD = "Welcome to m6. Files: / is the initrd (read-only), /tmp is in RAM, /disk is the FAT disk."
MTOOLS_ENV = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}

# The files session: (command, patterns the answer must show in order, patterns it must not
# show); each pattern is matched on the answer's lines (between the echoed command and the
# next prompt). README is the pristine disk's README.TXT, read on the host with mtype.
FILES_SESSION: list[tuple[str, list[str], list[str]]] = [
    ("pwd", [r"^/$"], []),
    ("ls /", [r"^README$", r"^disk/$", r"^etc/$", r"^tmp/$"], [r"^\.\.?/?$"]),
    ("cat /etc/motd", [r"^" + re.escape(MOTD) + r"$"], []),
    ("mount", [r"^MOUNTED ON\s+TYPE\s+MODE$", r"^/\s+initrd\s+ro$", r"^/disk\s+vfat\s+rw$",
               r"^/tmp\s+tmpfs\s+rw$"], []),
    ("df", [r"^MOUNTED ON\s+TYPE\s+SIZE\s+USED\s+FREE\s+MODE$", r"^/\s+initrd\s.*\bro$",
            r"^/disk\s+vfat\s+6\d\.\d+ MiB\s.*\brw$", r"^/tmp\s+tmpfs\s+4 MiB\s.*\brw$"], []),
    ("ls -l /disk", [r"^-rw-r--r--\s+1\s+0\s+0\s+\d+ README\.TXT$"], []),
    ("cat /disk/README.TXT", ["README"], []),
    ("write /tmp/a hello", [], [r"\S"]),
    ("cat /tmp/a", [r"^hello$"], []),
    ("cp /tmp/a /disk/b.txt", [], [r"\S"]),
    ("cat /disk/b.txt", [r"^hello$"], []),
    ("mkdir /disk/notes", [], [r"\S"]),
    ("cd /disk/notes", [], [r"\S"]),
    ("pwd", [r"^/disk/notes$"], []),
    ("write first.txt a note   on the disk", [], [r"\S"]),
    ("cp ../b.txt copy.txt", [], [r"\S"]),
    ("mv copy.txt ../moved.txt", [], [r"\S"]),
    ("write gone.txt soon gone", [], [r"\S"]),
    ("rm gone.txt", [], [r"\S"]),
    ("mkdir empty", [], [r"\S"]),
    ("rmdir empty", [], [r"\S"]),
    ("ls -l", [r"^-rw-r--r--\s+1\s+0\s+0\s+19 first\.txt$"], [r"copy|gone|empty"]),
    ("cd ..", [], [r"\S"]),
    ("pwd", [r"^/disk$"], []),
    ("write A-Long-File-Name.text VFAT long names work", [], [r"\S"]),
    ("ls /disk", [r"^A-Long-File-Name\.text$", r"^README\.TXT$", r"^b\.txt$", r"^moved\.txt$",
                  r"^notes/$"], []),
    ("cat /nope", [r"^cat: /nope: No such file or directory$"], []),
    ("write /etc/x hi", [r"^write: /etc/x: Read-only file system$"], []),
    ("mkdir /newdir", [r"^mkdir: /newdir: Read-only file system$"], []),
    ("mv /disk/b.txt /tmp/b.txt", [r"^mv: /disk/b\.txt: Cross-device link$"], []),
    ("rmdir notes", [r"^rmdir: notes: Directory not empty$"], []),
    ("cat notes", [r"^cat: notes: Is a directory$"], []),
    ("cd /disk/nope", [r"^cd: /disk/nope: No such file or directory$"], []),
    ("sync", [], [r"\S"]),
    # Written after the sync: only poweroff's own sync puts it on the disk.
    ("write after-sync.txt poweroff syncs this", [], [r"\S"]),
]
# The disk after the files session: path -> contents (None: a directory).
FILES_TREE: dict[str, bytes | None] = {
    "A-Long-File-Name.text": b"VFAT long names work\n",
    "b.txt": b"hello\n",
    "moved.txt": b"hello\n",
    "notes/": None,
    "notes/first.txt": b"a note on the disk\n",
    "after-sync.txt": b"poweroff syncs this\n",
}


def sparse_copy(src: str, dst: str) -> None:
    """Copies src to dst leaving holes where src has blocks of zeros: a 64 MiB disk image
    holding a few files takes a few hundred KiB, not 64 MiB per test."""
    block = 64 * 1024
    zeros = bytes(block)
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        while chunk := fin.read(block):
            if chunk == zeros[:len(chunk)]:
                fout.seek(len(chunk), os.SEEK_CUR)
            else:
                fout.write(chunk)
        fout.truncate()


def mtools(args: list[str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(args, capture_output=True, env=MTOOLS_ENV, check=False)


# What fsck.fat -n says of a volume whose FAT-table write failed in a crash (docs/fat.md,
# docs/supervision.md): clusters allocated but in no chain, FAT copies that differ. Each is
# repaired by fsck.fat without losing a byte of any file; anything else it reports is not.
CRASH_FSCK_LINES = [r"Reclaimed \d+ unused clusters? \(\d+ bytes\)( in \d+ chains?)?\.",
                    r"FATs differ but appear to be intact\. Using first FAT\.",
                    r"Free cluster summary wrong \(\d+ vs\. really \d+\)"]
NEUTRAL_FSCK_LINES = [r"fsck\.fat \d.*", r"Checking we can access the last sector.*",
                      r"Leaving filesystem unchanged\.", r".*: \d+ files, \d+/\d+ clusters",
                      r"\s*"]


def check_disk(image: str, tree: dict[str, bytes | None], failures: list[str],
               crash: bool = False) -> None:
    """fsck.fat -n must find `image` clean (after a crash: nothing but what a failed
    FAT-table write leaves, CRASH_FSCK_LINES); mdir/mtype must show exactly `tree`."""
    try:
        fsck = subprocess.run(["fsck.fat", "-n", image], capture_output=True, text=True,
                              check=False)
    except FileNotFoundError:
        failures.append("fsck.fat not found (Debian package dosfstools)")
        return
    ok = fsck.returncode == 0 and "Dirty bit" not in fsck.stdout
    if not ok and crash and fsck.returncode == 1:
        lines = fsck.stdout.splitlines()
        crash_lines = [ln for ln in lines if any(re.fullmatch(p, ln) for p in CRASH_FSCK_LINES)]
        other = [ln for ln in lines if ln not in crash_lines
                 and not any(re.fullmatch(p, ln) for p in NEUTRAL_FSCK_LINES)]
        if crash_lines and not other:
            ok = True
            print(f"shell_session: fsck.fat -n after the crash: {'; '.join(crash_lines)}")
    if not ok:
        failures.append(f"fsck.fat -n: status {fsck.returncode}: {fsck.stdout.strip()!r}")
    listing = mtools(["mdir", "-/", "-b", "-a", "-i", image, "::/"])
    if listing.returncode != 0:
        failures.append(f"mdir failed: {listing.stderr.decode(errors='replace').strip()}")
        return
    found = sorted(line[3:] for line in listing.stdout.decode(errors="replace").splitlines()
                   if line.startswith("::/"))
    if found != sorted(tree):
        failures.append(f"the disk holds {found}, expected {sorted(tree)}")
    for path, want in tree.items():
        if want is None or path not in found:
            continue
        got = mtools(["mtype", "-i", image, "::/" + path])
        if got.returncode != 0 or got.stdout != want:
            failures.append(f"mtype ::/{path}: {got.stdout!r}, expected {want!r}")


# The block drivers a system's disk may have, and what each calls its device in its log.
DISK_DEVICE = {"virtio-blk": "device", "nvme": "controller"}
DISK_DRIVERS = "|".join(re.escape(d) for d in DISK_DEVICE)
RESTART_LINE = r"supervisor: component disk faulted \(pc 0x[0-9a-f]+, address 0x8\) \u2014 restarting \(1\)"


def disk_restart(child: pexpect.spawn, expect: Any, run_checked: Any, failures: list[str]) -> None:
    """The disk driver faults during a copy (--mode disk-restart); the session goes on."""
    child.send("crash disk\r")
    expect(r"shell: asking the disk driver to fault during its next \d+ requests", "crash disk")
    expect(re.escape(PROMPT), "prompt after crash disk")
    child.send("cp /bin/busybox /disk/big.bin\r")
    # The same lines from whichever block driver the system has (block_driver.h): the
    # fault, the supervisor's restart, and the new run resetting its device first.
    expect(rf"({DISK_DRIVERS}): faulting on purpose", "the driver's fault")
    driver = child.match.group(1)
    if isinstance(driver, bytes):
        driver = driver.decode()
    expect(RESTART_LINE, "the supervisor's restart line")
    expect(rf"{re.escape(driver)}: restarted: resetting the {DISK_DEVICE[driver]}", "the restarted driver")
    # The copy ends, either way: an I/O error or nothing (it completed after all).
    i = child.expect([r"cp: /disk/big\.bin: I/O error\r*\n" + re.escape(PROMPT), re.escape(PROMPT),
                      pexpect.TIMEOUT, pexpect.EOF])
    if i >= 2:
        failures.append("the copy during the crash did not end (no prompt after it)")
        return
    print(f"shell_session: the copy during the crash {'failed with EIO' if i == 0 else 'completed'}")
    run_checked("ls /disk", [r"^README\.TXT$"], [r"error"])
    run_checked("cp /bin/busybox /disk/big2.bin", [], [r"\S"])
    run_checked("write /disk/after.txt written after the restart", [], [r"\S"])
    run_checked("cat /disk/after.txt", [r"^written after the restart$"], [])
    child.send("poweroff\r")
    expect(r"shell: syncing file systems\r*\nshell: powering off", "sync, poweroff")


def check_restart_disk(image: str, readme: bytes, busybox: str | None, failures: list[str]) -> None:
    """After --mode disk-restart: a clean volume; big2.bin is busybox; big.bin, if there,
    a prefix of it (the bytes written before the crash, never more)."""
    if not busybox:
        failures.append("--mode disk-restart needs --busybox")
        return
    with open(busybox, "rb") as f:
        want = f.read()
    listing = mtools(["mdir", "-/", "-b", "-a", "-i", image, "::/"])
    found = {line[3:] for line in listing.stdout.decode(errors="replace").splitlines()
             if line.startswith("::/")}
    first = None
    if "big.bin" in found:
        first = mtools(["mtype", "-i", image, "::/big.bin"]).stdout
        if not want.startswith(first):
            failures.append(f"big.bin ({len(first)} bytes) is not a prefix of busybox")
        print(f"shell_session: the interrupted copy left {len(first)} of {len(want)} bytes")
    tree: dict[str, bytes | None] = {"README.TXT": readme, "big2.bin": want,
                                     "after.txt": b"written after the restart\n"}
    if "big.bin" in found:
        tree["big.bin"] = first
    check_disk(image, tree, failures, crash=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mode", choices=["commands", "paste", "uart-fault", "uart-exit", "files",
                                       "reset", "disk-restart"], default="commands")
    ap.add_argument("--busybox", help="disk-restart: the busybox binary the initrd holds")
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--prompt-seconds", type=float, default=0.0,
                    help="fail if the prompt takes longer (0: only report it)")
    ap.add_argument("--paste-lines", type=int, default=1000)
    ap.add_argument("--log", help="write the session here")
    ap.add_argument("--disk", help="the pristine disk image: boot with a fresh copy of it")
    ap.add_argument("--disk-copy", help="where the copy goes (default: beside the log)")
    ap.add_argument("--qemu-args", help="the system's SYSTEM.qemu (how its disk is attached)")
    ap.add_argument("--cpus", type=int, default=0,
                    help="the CPUs QEMU was given (-smp): all must come online, and "
                    "commands' uptime must list each")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    disk = None
    readme = b""
    if args.disk:
        disk = args.disk_copy or (args.log or f"shell-{args.mode}") + ".disk.img"
        try:
            sparse_copy(args.disk, disk)
        except OSError as e:
            print(f"shell_session: FAIL: cannot copy the disk {args.disk}: {e}")
            return 1
        if not args.qemu_args:
            print("shell_session: FAIL: --disk needs --qemu-args SYSTEM.qemu")
            return 1
        try:
            command = command + m6_qemu_args.arguments(m6_qemu_args.load(args.qemu_args),
                                                       {"disk": disk})
        except m6_qemu_args.Problem as e:
            print(f"shell_session: FAIL: {e}")
            return 1
        readme = mtools(["mtype", "-i", args.disk, "::/README.TXT"]).stdout
    elif args.mode in ("files", "reset", "disk-restart"):
        print("shell_session: FAIL: --mode files, reset and disk-restart need --disk")
        return 1
    log = open(args.log, "w", encoding="utf-8") if args.log else None
    start = time.monotonic()
    child = pexpect.spawn(command[0], command[1:], encoding="utf-8", timeout=args.timeout,
                          codec_errors="replace", maxread=65536)
    child.delaybeforesend = None
    seen: list[str] = []  # everything QEMU printed, for the forbidden patterns

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

    def expect(pattern: str, what: str, timeout: float | None = None) -> bool:
        try:
            child.expect(pattern, timeout=timeout if timeout is not None else -1)
            return True
        except (pexpect.TIMEOUT, pexpect.EOF) as exc:
            failures.append(f"{what}: {pattern!r} not seen ({type(exc).__name__})")
            return False

    def run(line: str, *patterns: str) -> None:
        child.send(line + "\r")
        for pattern in patterns:
            expect(pattern, f"command {line!r}")
        expect(PROMPT, f"prompt after {line!r}")

    def answer(keys: str, text: str, what: str) -> None:
        """Type `keys` (ending in Enter) and expect `text` as the answer line on its own."""
        child.send(keys)
        expect(r"\r+\n" + re.escape(text) + r"\r+\n", what)
        expect(PROMPT, f"prompt after {what}")

    def run_checked(line: str, want: list[str], unwanted: list[str]) -> None:
        """Type `line`; its answer (up to the next prompt) must match every pattern of
        `want` in order, line by line, and none of `unwanted`."""
        child.send(line + "\r")
        if not expect(re.escape(line) + r"\r*\n", f"echo of {line!r}"):
            return
        if not expect(re.escape(PROMPT), f"prompt after {line!r}"):
            return
        check_answer(line, re.sub(r"\r+\n", "\n", child.before), want, unwanted, failures)

    def paste(lines: int, what: str, width: int = 4) -> None:
        """Paste `lines` numbered echo commands at once; check every answer, in order.

        A writer thread feeds the pty while this one reads: the guest holds input back
        (flow control) while it is busy echoing, and QEMU stops reading the pty, so one
        blocking write here would wait for output nobody reads."""
        text = "".join(f"echo line{i:0{width}d}\r" for i in range(lines))
        fd = child.child_fd

        def writer() -> None:
            data = text.encode()
            while data:
                data = data[os.write(fd, data[:1024]):]

        thread = threading.Thread(target=writer, daemon=True)
        before = len("".join(seen))
        thread.start()
        last = f"line{lines - 1:0{width}d}"
        ok = expect(r"\r+\n" + last + r"\r+\n", f"{what}: the last answer",
                    timeout=max(args.timeout, lines * 0.05))
        thread.join(timeout=5)
        expect(PROMPT, f"prompt after {what}")
        if not ok:
            return
        output = "".join(seen)[before:]
        answers = re.findall(r"^(line\d+)$", re.sub(r"\r+\n", "\n", output), re.MULTILINE)
        want = [f"line{i:0{width}d}" for i in range(lines)]
        if answers != want:
            missing = [a for a in want if a not in set(answers)]
            odd = [a for a in answers if a not in set(want)]
            failures.append(f"{what}: {len(answers)} of {lines} answers; missing "
                            f"{missing[:5]}, unexpected {odd[:5]}, in order: {answers == sorted(answers)}")
        bad = re.findall(r"unknown command '[^']*'|line too long", output)
        if bad:
            failures.append(f"{what}: the shell saw mangled input: {bad[:5]}")

    if expect(PROMPT, "first prompt"):
        took = time.monotonic() - start
        print(f"shell_session: prompt after {took:.2f} s of wall time")
        if args.prompt_seconds and took > args.prompt_seconds:
            failures.append(f"the prompt took {took:.2f} s (limit {args.prompt_seconds} s)")
    if args.mode == "commands":
        run("help", r"echo\s+print the arguments", r"poweroff\s+power the machine off")
        run("echo hello   m6 world", r"hello m6 world\r+\n")
        run("ps", r"COMPONENT\s+THREAD\s+STATE\s+PRIO\s+MAX\s+CPU", r"uart\s+main\s+recv\s+200\s+200\s+0",
            r"console\s+main\s+recv\s+150", r"shell\s+main\s+running\s+100\s+100\s+0")
        run("caps shell", r"CSpace of shell \(binary \"shell\"\)",
            r"4\s+CAP_CONSOLE\s+Endpoint\s+-W-P\s+0x1\s", r"CAP_UART\s+Endpoint\s+-W--\s+0x2\s",
            r"CAP_TICK\s+Timer\s+RWGP\s+-\s", r"CAP_SYSTEM_INFO\s+SystemInfo\s+R---")
        run("caps uart", r"CAP_UART_IRQ\s+IRQHandler\s+RWGP\s+irq 33\s+IRQ handler, interrupt 33")
        run("caps nobody", r"caps: no component 'nobody'")
        run("mem", r"RAM given to untyped at boot: \d", r"used by the boot tables:\s+\d+", r"free in")
        run("uptime", r"up \d+\.\d{3} s \(components started\)",
            *[rf"cpu {n}: \d+\.\d% idle" for n in range(max(args.cpus, 1))])
        run("frobnicate", r"unknown command 'frobnicate'")
        # Line editing: backspace, left/right insertion, history.
        run("echo abX\x7fc", r"\r+\nabc\r+\n")
        run("echo 12\x1b[D\x1b[Dx", r"\r+\nx12\r+\n")
        child.send("\x1b[A\x1b[A\r")  # two up: `echo abc`
        expect(r"\r+\nabc\r+\n", "history (up twice)")
        expect(PROMPT, "prompt after history")
        # Right and down: left twice, right once, insert; up three times, down once.
        answer("echo 34\x1b[D\x1b[D\x1b[Cy\r", "3y4", "right arrow")
        answer("\x1b[A\x1b[A\x1b[A\x1b[A\x1b[B\r", "x12", "history (up four times, down once)")
        answer("\x1b[A\x1b[B\x1b[B" "echo down\r", "down", "down past the newest: an empty line")
        # SS3 arrows, Ctrl-Left, ESC ESC [ D, Home/End, Delete, unknown sequences.
        answer("echo 56\x1bOD\x1bODz\x1bOC!\r", "z5!6", "SS3 arrows")
        answer("echo ab\x1b[1;5DQ\x1b\x1b[DR\r", "aRQb", "Ctrl-Left and ESC ESC [ D")
        answer("cho hm\x1b[H" "e\x1b[F!\x1b[D\x1b[D\x1b[3~\r", "h!", "Home, End, Delete")
        answer("echo \x1b[?25h\x1b[200~\x1b[5~\x1bOPok\r", "ok", "unknown sequences ignored")
        # A sequence cut short never eats the key that cut it.
        answer("echo esc1\x1b\r", "esc1", "ESC Enter")
        answer("echo esc2\x1b[\r", "esc2", "ESC [ Enter")
        answer("\x1b" "echo esc3\r", "esc3", "ESC then a command")
        child.send("echo esc4\x1b[1;\x03")
        expect(r"\^C\r+\n", "Ctrl-C inside a sequence")
        expect(PROMPT, "prompt after Ctrl-C")
        # Tab separates words; UTF-8 is edited a code point at a time.
        answer("echo\ta\r", "a", "tab")
        answer("echo caf\u00e9\u20ac\x7f\x1b[D!\x1b[C\x1b[C\x1b[C\u00fc\r", "caf!\u00e9\u00fc",
               "UTF-8 backspace and arrows")
        # A line over the limit: refused with a bell, and not run.
        child.send("echo " + "z" * LINE_MAX)
        expect("\a", "bell when the line is full")
        child.send("\r")
        expect(r"line too long \(the limit is 512 bytes\): not run", "too long a line")
        expect(PROMPT, "prompt after too long a line")
        run("echo " + " ".join(["w"] * 70), r"too many words \(at most 64\): not run")
        # A small paste (40 lines, 560 bytes, more than one read of the driver) in one go:
        # every line must run without another key pressed.
        paste(40, "a paste of 40 lines")
        # The shell's debug cap may not write or read: the driver refuses and counts.
        run("uart probe", r"uart probe: sent a write and a read with the debug badge")
        run("uart", r"uart: \d+ B received, \d+ B sent, 0 receive overruns, 2 requests refused")
        child.send("poweroff\r")
        expect("shell: powering off", "poweroff")
    elif args.mode == "paste":
        paste(args.paste_lines, f"a paste of {args.paste_lines} lines")
        run("uart", r"uart: \d+ B received, \d+ B sent, 0 receive overruns, 0 requests refused")
        child.send("poweroff\r")
        expect("shell: powering off", "poweroff")
    elif args.mode == "files":
        # The start-up text: the initrd's motd before the shell's greeting.
        if not re.search(re.escape(MOTD) + r"\r*\nm6 shell on system", "".join(seen)):
            failures.append("the motd was not printed before the greeting")
        readme_lines = [re.escape(line.rstrip("\r")) for line in
                        readme.decode(errors="replace").splitlines() if line.strip()]
        if not readme_lines:
            failures.append("mtype could not read README.TXT from the pristine disk")
        for line, want, unwanted in FILES_SESSION:
            if want == ["README"]:
                want = [f"^{text}$" for text in readme_lines]
            run_checked(line, want, unwanted)
        child.send("poweroff\r")
        expect(r"shell: syncing file systems\r*\nshell: powering off", "sync, poweroff")
    elif args.mode == "reset":
        run_checked("write /disk/reset.txt reset syncs this", [], [r"\S"])
        child.send("reset\r")
        expect(r"shell: syncing file systems\r*\nshell: resetting", "sync, reset")
        expect(r"m6: power reset requested by shell\.main", "reset")
    elif args.mode == "disk-restart":
        disk_restart(child, expect, run_checked, failures)
    elif args.mode == "uart-fault":
        child.send("crash uart\r")
        expect("shell: asking the UART driver to fault", "crash")
        expect(r"console: the serial driver faulted at pc 0x[0-9a-f]+ \(fault 1, address 0x10\)",
               "fault report")
        expect(r"shell: still running .* powering off", "shell after the fault")
    else:
        child.send("crash uart exit\r")
        expect("shell: asking the UART driver to exit", "exit")
        i = child.expect([r"console: component uart exited with status 3;",
                          r"console: the serial driver faulted", pexpect.TIMEOUT, pexpect.EOF])
        if i != 0:
            failures.append("the console did not report the driver's exit as an exit"
                            + (" (it reported a fault)" if i == 1 else ""))
        expect(r"shell: still running .* powering off", "shell after the exit")
    if args.mode != "reset":
        expect(r"m6: power off requested by shell\.main", "power off")
    try:
        child.expect(pexpect.EOF, timeout=args.timeout)
    except pexpect.TIMEOUT:
        failures.append("QEMU did not exit after power off")
    child.close()
    if child.exitstatus not in (0, None) or child.signalstatus:
        failures.append(f"QEMU exit status {child.exitstatus}, signal {child.signalstatus}")
    if args.mode == "files" and disk:
        check_disk(disk, {"README.TXT": readme, **FILES_TREE}, failures)
    elif args.mode == "reset" and disk:
        check_disk(disk, {"README.TXT": readme, "reset.txt": b"reset syncs this\n"}, failures)
    elif args.mode == "disk-restart" and disk:
        check_restart_disk(disk, readme, args.busybox, failures)
    output = "".join(seen)
    if args.cpus:
        failures += cpu_failures(re.sub(r"\r+\n", "\n", output), args.cpus)
    for pattern in FORBIDDEN:
        if pattern in output:
            failures.append(f"forbidden output in the session: {pattern!r}")
    if "the debug badge wrote this" in output:
        failures.append("the driver printed what the shell's debug cap sent it")
    if log:
        log.close()
    return verdict("shell_session", failures)


if __name__ == "__main__":
    sys.exit(main())
