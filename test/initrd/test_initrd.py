#!/usr/bin/env python3
"""The initrd reader and packer (ctest initrd.cpio).

Packs one tree (files of 0 B, 1 B and 1 MiB, an executable, nested directories, a symlink,
a hard link) with cmake/mkinitrd.py (070701 and 070702) and with GNU `cpio -o` (newc and
crc), and checks that cpio_tool (the reader on the host, under ASan/UBSan) lists every
entry with the mode, owner, mtime and size put in and returns exactly the bytes put in.
Checks that mkinitrd is reproducible, reads the archive the build made with
m6_add_initrd(), then damages archives (every truncation, bad magic, bad hex, a name
without its NUL, a size past the end, non-zero padding, a bad 070702 checksum, no
trailer) and checks each gives the reader's error, never a crash or a read outside.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import stat
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MKINITRD = HERE.parent.parent / "cmake" / "mkinitrd.py"
TIMEOUT = 60
CPIO_HEADER = 110


class Failure(Exception):
    pass


def run(cmd: list[str], stdin: bytes | None = None, cwd: Path | None = None,
        check: bool = True) -> subprocess.CompletedProcess[bytes]:
    try:
        p = subprocess.run([str(c) for c in cmd], input=stdin, capture_output=True,
                           timeout=TIMEOUT, cwd=cwd)
    except subprocess.TimeoutExpired:
        raise Failure(f"{' '.join(map(str, cmd))}: no answer in {TIMEOUT} s") from None
    if check and p.returncode != 0:
        raise Failure(f"{' '.join(map(str, cmd))} exited {p.returncode}: "
                      f"{p.stderr.decode(errors='replace').strip()}")
    return p


def make_tree(root: Path) -> dict[str, bytes]:
    """The tree, and its regular files' contents by archive path."""
    rng = random.Random(7)
    files = {
        "empty": b"",
        "one": b"x",
        "big.bin": rng.randbytes(1 << 20),
        "etc/motd": b"welcome to m6\n",
        "bin/tool": b"#!/bin/sh\necho tool\n",
        "a/b/c/d/deep.txt": b"eight bytes\n"[:8],
        "odd name with spaces": rng.randbytes(4097),
    }
    for path, data in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    (root / "bin/tool").chmod(0o755)
    (root / "etc/motd").chmod(0o600)
    os.symlink("../etc/motd", root / "bin/motd")
    return files


def entries(tool: Path, archive: Path) -> dict[str, list[str]]:
    out = run([tool, archive, "list"]).stdout.decode().splitlines()
    if not out or out[-1] != "end":
        raise Failure(f"{archive.name}: list does not end with 'end'")
    got: dict[str, list[str]] = {}
    for line in out[:-1]:
        fields = line.split(" ", 6)
        name = fields[6]
        if fields[0].startswith("12"):  # a symlink: "name -> target"
            name = name.rsplit(" -> ", 1)[0]
        got[name[2:] if name.startswith("./") else name] = fields[:6]
    return got


def check_contents(tool: Path, archive: Path, files: dict[str, bytes]) -> None:
    for path, data in files.items():
        for spelling in (path, "/" + path, "./" + path):
            got = run([tool, archive, "cat", spelling]).stdout
            if got != data:
                raise Failure(f"{archive.name}: {spelling}: {len(got)} bytes read, "
                              f"{len(data)} put in, or different bytes")
    p = run([tool, archive, "cat", "/no/such/file"], check=False)
    if p.returncode != 3:
        raise Failure(f"{archive.name}: a missing path gave exit {p.returncode}, not 3")


def perm(path: str) -> int:
    """The permissions check_mkinitrd packs path with."""
    return {"etc/motd": 0o600, "bin/tool": 0o755}.get(path, 0o644)


def check_mkinitrd(tool: Path, src: Path, work: Path, files: dict[str, bytes]) -> None:
    specs = [f"{src / p}={p}" for p in files] + [f"{src / 'etc/motd'}=/etc/motd:0600"]
    specs = [s for s in specs if not s.endswith("=etc/motd")]
    for crc in (False, True):
        out = work / f"mk{'-crc' if crc else ''}.cpio"
        flags = ["--crc"] if crc else []
        run([sys.executable, MKINITRD, "-o", out, "--mtime", "1700000000", "--uid", "5",
             "--gid", "6", "--symlink", "bin/motd=../etc/motd", *flags, *specs])
        got = entries(tool, out)
        want = {p: [f"{0o100000 | perm(p):06o}", "5", "6", "1700000000", "1", str(len(d))]
                for p, d in files.items()}
        for d in ("a", "a/b", "a/b/c", "a/b/c/d", "bin", "etc"):
            want[d] = ["040755", "5", "6", "1700000000", "2", "0"]
        want["bin/motd"] = ["120777", "5", "6", "1700000000", "1", "11"]
        if got != want:
            raise Failure(f"{out.name}: entries {got} differ from {want}")
        if run([tool, out, "stat", "bin/motd"]).stdout.decode().split(" -> ")[1] != \
                "../etc/motd\n":
            raise Failure(f"{out.name}: bin/motd's target is wrong")
        check_contents(tool, out, files)
    # Reproducible: other host mtimes and another order of arguments, the same bytes.
    for p in files:
        os.utime(src / p, (12345, 12345))
    again = work / "again.cpio"
    run([sys.executable, MKINITRD, "-o", again, "--mtime", "1700000000", "--uid", "5",
         "--gid", "6", "--symlink", "bin/motd=../etc/motd", *reversed(specs)])
    if again.read_bytes() != (work / "mk.cpio").read_bytes():
        raise Failure("mkinitrd: the same inputs gave different bytes")
    # Bad inputs: an error message, exit 1, no traceback.
    for bad in (["x=y"], [f"{src / 'one'}=../up"], [f"{src / 'one'}=a", f"{src / 'one'}=a"],
                [f"{src / 'one'}=one:999"], [f"{src / 'one'}=one", f"{src / 'one'}=one/x"]):
        p = run([sys.executable, MKINITRD, "-o", work / "bad.cpio", *bad], check=False)
        err = p.stderr.decode()
        if p.returncode != 1 or not err.startswith("mkinitrd: ") or "Traceback" in err:
            raise Failure(f"mkinitrd {bad}: exit {p.returncode}, '{err.strip()}'")


def check_gnu_cpio(tool: Path, src: Path, work: Path, files: dict[str, bytes]) -> None:
    if not shutil.which("cpio"):
        raise Failure("GNU cpio is not installed (scripts/setup.sh installs it)")
    os.link(src / "one", src / "one-link")
    files = dict(files, **{"one-link": files["one"]})
    names = sorted(str(p.relative_to(src)) for p in src.rglob("*"))
    for fmt in ("newc", "crc"):
        out = work / f"gnu-{fmt}.cpio"
        p = run(["cpio", "-o", "-H", fmt, "--quiet"], stdin=("\n".join(names) + "\n").encode(),
                cwd=src)
        out.write_bytes(p.stdout)
        got = entries(tool, out)
        if set(got) != set(names):
            raise Failure(f"{out.name}: entries {sorted(got)} differ from {names}")
        for name in names:
            st = os.lstat(src / name)
            mode, uid, gid, mtime, nlink, size = got[name]
            want_size = st.st_size if not stat.S_ISDIR(st.st_mode) else 0
            # GNU cpio stores a hard-linked file's data only with its last link.
            if st.st_nlink > 1 and stat.S_ISREG(st.st_mode) and size == "0":
                want_size = 0
            if [int(mode, 8), int(uid), int(gid), int(mtime), int(size)] != \
                    [st.st_mode, st.st_uid, st.st_gid, int(st.st_mtime), want_size]:
                raise Failure(f"{out.name}: {name}: {got[name]} does not match lstat {st}")
        check_contents(tool, out, files)


def check_cmake_archive(tool: Path, archive: Path, sources: list[str]) -> None:
    for spec in sources:
        src, dest = spec.rsplit("=", 1)
        dest = dest.split(":", 1)[0]
        if run([tool, archive, "cat", dest]).stdout != Path(src).read_bytes():
            raise Failure(f"{archive}: {dest} differs from {src}")


def field(archive: bytearray, entry_off: int, index: int, text: bytes) -> bytearray:
    """A copy with header field index (0 is the magic) of the entry at entry_off replaced."""
    a = bytearray(archive)
    start = entry_off if index == 0 else entry_off + 6 + 8 * (index - 1)
    a[start:start + len(text)] = text
    return a


def check_damage(tool: Path, work: Path) -> None:
    base = bytearray((work / "mk.cpio").read_bytes())
    crc = bytearray((work / "mk-crc.cpio").read_bytes())
    # The first entry is directory "a" (name size 2): its header, "a\0", padding to 4.
    cases: list[tuple[str, bytearray, str]] = [
        ("bad magic", field(base, 0, 0, b"070707"), "bad magic"),
        ("bad hex", field(base, 0, 2, b"0004075G"), "bad hex digit"),
        ("hex with a space", field(base, 0, 1, b" 0000001"), "bad hex digit"),
        ("name without its NUL", field(base, 0, 12, b"00000001"), "bad name"),
        ("name size zero", field(base, 0, 12, b"00000000"), "bad name"),
        ("name size huge", field(base, 0, 12, b"FFFFFFFF"), "bad name"),
        ("name past the end", field(base[:200], 0, 12, b"00000F00"), "truncated"),
        ("size past the end", field(base, 0, 7, b"7FFFFFF0"), "truncated"),
        ("size wraps", field(base, 0, 7, b"FFFFFFFF"), "truncated"),
        ("no trailer", base[:base.rfind(b"070701")], "no TRAILER"),
        ("empty", bytearray(), "no TRAILER"),
        ("bad checksum", field(crc, crc.find(b"a/b/c/d/deep.txt\0") - CPIO_HEADER, 13,
                               b"00000001"), "checksum"),
    ]
    flipped = bytearray(crc)
    at = flipped.find(b"welcome to m6")
    flipped[at] ^= 1
    cases.append(("data changed under a checksum", flipped, "checksum"))
    padded = bytearray(base)
    # Entry 1 is "a" (header and "a\0" end at 112, aligned), entry 2 "a/b": its header
    # and "a/b\0" end at 226, padded with 2 zeros to 228.
    padded[112 + CPIO_HEADER + 4] = 1
    cases.append(("non-zero padding", padded, "padding"))
    for what, data, msg in cases:
        path = work / "damaged.cpio"
        path.write_bytes(data)
        p = run([tool, path, "list"], check=False)
        err = p.stderr.decode()
        if p.returncode != 2 or msg not in err:
            raise Failure(f"{what}: exit {p.returncode}, stderr '{err.strip()}' "
                          f"(wanted exit 2 and '{msg}')")
    # Every truncation of a small archive: an error (exit 2), never a crash (ASan aborts).
    small = work / "small.cpio"
    one = work / "one.txt"
    one.write_bytes(b"abcdefg")
    run([sys.executable, MKINITRD, "-o", small, f"{one}=d/one.txt", "--crc"])
    data = small.read_bytes()
    for n in range(len(data)):
        (work / "cut.cpio").write_bytes(data[:n])
        p = run([tool, work / "cut.cpio", "list"], check=False)
        if p.returncode != 2:
            raise Failure(f"{n} of {len(data)} bytes: exit {p.returncode}, not 2")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", type=Path, required=True)
    ap.add_argument("--workdir", type=Path, required=True)
    ap.add_argument("--cmake-archive", type=Path)
    ap.add_argument("--cmake-sources", nargs="*", default=[])
    args = ap.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    src = args.workdir / "tree"
    src.mkdir(parents=True)
    try:
        files = make_tree(src)
        check_mkinitrd(args.tool, src, args.workdir, files)
        check_gnu_cpio(args.tool, src, args.workdir, files)
        if args.cmake_archive:
            check_cmake_archive(args.tool, args.cmake_archive, args.cmake_sources)
        check_damage(args.tool, args.workdir)
    except Failure as e:
        print(f"FAIL: {e}")
        return 1
    print("initrd.cpio: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
