#!/usr/bin/env python3
"""The Linux reference runner: run test programs on real Linux (Debian's arm64 kernel in
QEMU) and write what they did as JSON (docs/linux.md).

    linux_ref.py --kernel IMAGE --init INIT --programs LIST --json OUT
                 [--file SRC=DEST]... [--symlink DEST=TARGET]... [--busybox-links LIST]
                 [--initramfs CPIO]
                 [--log LOG] [--timeout S] [--expected DIR] [--fetch-error FILE]...
                 -- QEMU [ARGS...]

It packs an initramfs (cpio newc, cmake/mkinitrd.py's packer): INIT as /init, every
--file and --symlink, empty /dev, /proc, /root and /tmp, and the manifest /etc/m6-programs made
from LIST. It boots IMAGE with it (QEMU and its machine arguments after "--"; -kernel,
-initrd and -append are added), reads init's records from the console and writes them to
OUT (records.py). With --expected, every program's status, stdout and stderr must be as
LIST and DIR/NAME.stdout (and NAME.stderr, empty when absent) say.

LIST has one program per line, shell words: NAME STATUS PATH [ARG]..., where STATUS is
exit:N or signal:N; '#' starts a comment. IMAGE may be a glob matching one file. When
IMAGE is missing, each --fetch-error file that exists (scripts/debian_fetch.py wrote why
the package could not be fetched) is shown. Exit status 0 only if the run completed and
every check passed.
"""
from __future__ import annotations

import argparse
import glob
import os
import shlex
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "qemu"))
sys.path.insert(0, str(HERE.parent.parent / "cmake"))

import mkinitrd  # noqa: E402
import records  # noqa: E402
from qemu_run import run_guest, verdict  # noqa: E402

TOOL = "linux_ref"
# The programs' environment, the same on every kernel that runs them.
ENVIRONMENT = ["PATH=/bin", "HOME=/", "TERM=dumb", "LANG=C"]
APPEND = "console=ttyAMA0 rdinit=/init panic=-1 quiet"


class RunnerError(Exception):
    pass


def read_list(path: str) -> list[tuple[str, str, list[str]]]:
    """(name, status as records prints it, argv) for each program of LIST."""
    out: list[tuple[str, str, list[str]]] = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise RunnerError(f"{path}: {e.strerror}") from None
    for n, line in enumerate(lines, 1):
        where = f"{path}:{n}"
        try:
            words = shlex.split(line, comments=True)
        except ValueError as e:
            raise RunnerError(f"{where}: {e}") from None
        if not words:
            continue
        if len(words) < 3:
            raise RunnerError(f"{where}: expected NAME STATUS PATH [ARG]...")
        name, status, argv = words[0], words[1], words[2:]
        if not records.NAME_RE.fullmatch(name) or any(name == o[0] for o in out):
            raise RunnerError(f"{where}: bad or repeated name '{name}'")
        kind, _, number = status.partition(":")
        if kind not in ("exit", "signal") or not number.isdigit():
            raise RunnerError(f"{where}: status '{status}' is not exit:N or signal:N")
        if any(c in a for a in argv for c in "\t\n"):
            raise RunnerError(f"{where}: an argument holds a tab or newline")
        if not argv[0].startswith("/"):
            raise RunnerError(f"{where}: '{argv[0]}' is not an absolute path")
        out.append((name, f"{kind} {int(number)}", argv))
    if not out:
        raise RunnerError(f"{path}: no programs")
    return out


def manifest(programs: list[tuple[str, str, list[str]]]) -> bytes:
    lines = ["# written by test/linux/linux_ref.py; read by test/linux/init.c"]
    lines += [f"env\t{e}" for e in ENVIRONMENT]
    lines += ["\t".join(["run", name, *argv]) for name, _, argv in programs]
    return ("\n".join(lines) + "\n").encode()


def build_initramfs(args: argparse.Namespace, programs: list[tuple[str, str, list[str]]],
                    out: Path) -> None:
    entries = [mkinitrd.parse_file(f"{args.init}=init:0755")]
    entries += [mkinitrd.parse_file(spec) for spec in args.file]
    entries += [mkinitrd.parse_symlink(spec) for spec in args.symlink]
    if args.busybox_links:
        entries += mkinitrd.busybox_links(args.busybox_links)
    entries.append(mkinitrd.Entry("etc/m6-programs", mkinitrd.S_IFREG | 0o644, manifest(programs)))
    # The mount points, and /root, which Linux makes itself when it is missing: on a kernel
    # that does not, `ls /` must still list the same.
    for d, mode in (("dev", 0o755), ("proc", 0o555), ("root", 0o700), ("tmp", 0o1777)):
        entries.append(mkinitrd.Entry(d, mkinitrd.S_IFDIR | mode, b""))
    have = {e.path for e in entries}
    for name, _, argv in programs:
        if argv[0].lstrip("/") not in have:
            raise RunnerError(f"program '{name}': {argv[0]} is not in the initramfs")
    out.write_bytes(mkinitrd.pack(entries, 0, 0, 0, False))


def find_kernel(pattern: str, fetch_errors: list[str]) -> str:
    found = sorted(glob.glob(pattern))
    if len(found) == 1:
        return found[0]
    if found:
        raise RunnerError(f"{pattern} matches {len(found)} files, not one")
    why = []
    for path in fetch_errors:
        try:
            why.append(Path(path).read_text(encoding="utf-8").strip())
        except OSError:
            pass
    if why:
        raise RunnerError("the Debian packages it needs could not be fetched: " + " | ".join(why))
    raise RunnerError(f"no kernel at {pattern} (build first: cmake --build --preset qemu-virt)")


def check(run: records.Run, programs: list[tuple[str, str, list[str]]],
          expected: Path) -> list[str]:
    failures: list[str] = []
    for name, status, argv in programs:
        want = records.Record(name, argv, status)
        try:
            want.stdout = (expected / f"{name}.stdout").read_bytes()
        except OSError as e:
            failures.append(f"{name}: cannot read its expected output: {e.strerror}")
            continue
        err = expected / f"{name}.stderr"
        want.stderr = err.read_bytes() if err.exists() else b""
        got = next((r for r in run.records if r.name == name), None)
        if got is None:
            failures.append(f"{name}: no record")
        else:
            failures += records.diff_record(want, got, "Linux")
    return failures


def main() -> int:
    ap = argparse.ArgumentParser(description="Run test programs on Debian's Linux in QEMU.")
    ap.add_argument("--kernel", required=True, help="the arm64 Image (a glob matching one)")
    ap.add_argument("--init", required=True, help="the static /init (test/linux/init.c)")
    ap.add_argument("--programs", required=True, help="the program list")
    ap.add_argument("--json", required=True, help="write the records here")
    ap.add_argument("--file", action="append", default=[], metavar="SRC=DEST[:MODE]")
    ap.add_argument("--symlink", action="append", default=[], metavar="DEST=TARGET")
    ap.add_argument("--busybox-links", metavar="LIST",
                    help="busybox's applet links (cmake/busybox-applets.txt)")
    ap.add_argument("--initramfs", help="where to write the cpio (default: beside --json)")
    ap.add_argument("--log", help="write the console output here")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds for the whole boot")
    ap.add_argument("--expected", help="directory of NAME.stdout/NAME.stderr to check against")
    ap.add_argument("--fetch-error", action="append", default=[], metavar="FILE")
    ap.add_argument("qemu", nargs=argparse.REMAINDER, help="-- QEMU and its machine arguments")
    args = ap.parse_args()
    qemu = args.qemu[1:] if args.qemu[:1] == ["--"] else args.qemu
    if not qemu:
        ap.error("no QEMU command given")

    try:
        programs = read_list(args.programs)
        kernel = find_kernel(args.kernel, args.fetch_error)
        cpio = Path(args.initramfs or Path(args.json).with_suffix(".cpio"))
        cpio.parent.mkdir(parents=True, exist_ok=True)
        build_initramfs(args, programs, cpio)
    except (RunnerError, mkinitrd.PackError) as e:
        return verdict(TOOL, [f"cannot run: {e}"])
    except OSError as e:
        return verdict(TOOL, [f"cannot run: {e.filename}: {e.strerror}"])

    command = [*qemu, "-kernel", kernel, "-initrd", str(cpio), "-append", APPEND]
    start = time.monotonic()
    try:
        output, status = run_guest(command, args.timeout)
    except OSError as e:
        return verdict(TOOL, [f"cannot start QEMU: {e.strerror}"])
    elapsed = time.monotonic() - start
    if args.log:
        Path(args.log).write_text(output, encoding="utf-8")

    run = records.parse_console(output)
    argv_of = {name: argv for name, _, argv in programs}
    for r in run.records:
        r.argv = argv_of.get(r.name, [])
    run.info = {"kernel": os.path.basename(kernel), "append": APPEND, "seconds": round(elapsed, 2),
                "environment": ENVIRONMENT}
    try:
        records.save(run, args.json)
    except OSError as e:
        return verdict(TOOL, [f"{args.json}: {e.strerror}"])

    failures = list(run.problems)
    if status is None:
        failures.append(f"timed out after {args.timeout:.0f} s (the guest did not power off)")
    elif status != 0:
        failures.append(f"QEMU exited with status {status}")
    failures += [f"mount {p}: {s}" for p, s in run.mounts.items() if s != "ok"]
    if args.expected:
        failures += check(run, programs, Path(args.expected))
    if failures and args.log:
        failures.append(f"console output in {args.log}")
    kernel_name = run.uname[1] if len(run.uname) == 3 else "?"
    return verdict(TOOL, failures,
                   f"{len(run.records)} programs on Linux {kernel_name} in {elapsed:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
