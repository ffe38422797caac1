#!/usr/bin/env python3
"""Pack files into a cpio "newc" archive, byte for byte reproducible (m6's initrd).

    mkinitrd.py -o OUT [--mtime N] [--uid N] [--gid N] [--crc]
                [--symlink DEST=TARGET ...] SRC=DEST[:MODE] ...

Each SRC (a regular file on the host) is stored at DEST (a relative path inside the
archive; a leading "/" is dropped) with MODE (octal permission bits; default 0755 if SRC
is executable by its owner, else 0644). The parent directories of every DEST are added
(mode 0755). Entries are sorted by path, inode numbers count from 1, and mtime, uid and
gid are 0 unless given, so the same inputs always give the same bytes whatever the host's
clock, umask or user. --crc writes 070702 entries (with the byte-sum checksum) instead of
070701. Errors go to stderr as "mkinitrd: ..." with exit status 1.
"""
from __future__ import annotations

import argparse
import os
import stat
import sys
from dataclasses import dataclass

S_IFDIR = 0o040000
S_IFREG = 0o100000
S_IFLNK = 0o120000
NAME_MAX = 4096  # the reader's CPIO_NAME_MAX, NUL included


class PackError(Exception):
    pass


@dataclass
class Entry:
    path: str
    mode: int
    data: bytes


def clean_dest(dest: str, what: str) -> str:
    parts = dest.strip("/").split("/")
    if dest.strip("/") == "" or any(p in ("", ".", "..") for p in parts):
        raise PackError(f"{what}: bad archive path '{dest}' (empty, '.' or '..' component)")
    path = "/".join(parts)
    if len(path.encode()) + 1 > NAME_MAX:
        raise PackError(f"{what}: archive path longer than {NAME_MAX - 1} bytes")
    if path == "TRAILER!!!":
        raise PackError(f"{what}: 'TRAILER!!!' is the archive's end marker")
    return path


def parse_perm(mode_text: str, what: str) -> int:
    """A permission in octal, at most 07777; `what` names the argument in the error."""
    try:
        perm = int(mode_text, 8)
    except ValueError:
        raise PackError(f"{what}: mode '{mode_text}' is not octal") from None
    if perm > 0o7777:
        raise PackError(f"{what}: mode {mode_text} has bits beyond 07777")
    return perm


def parse_file(spec: str) -> Entry:
    if "=" not in spec:
        raise PackError(f"'{spec}': expected SRC=DEST[:MODE]")
    src, dest = spec.rsplit("=", 1)
    mode_text = None
    if ":" in dest:
        dest, mode_text = dest.rsplit(":", 1)
    try:
        with open(src, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise PackError(f"{src}: not a regular file")
            data = f.read()
    except OSError as e:
        raise PackError(f"{src}: {e.strerror}") from None
    if mode_text is None:
        perm = 0o755 if st.st_mode & stat.S_IXUSR else 0o644
    else:
        perm = parse_perm(mode_text, f"'{spec}'")
    if len(data) > 0xFFFFFFFF:
        raise PackError(f"{src}: larger than 4 GiB, which newc cannot hold")
    return Entry(clean_dest(dest, spec), S_IFREG | perm, data)


def parse_symlink(spec: str) -> Entry:
    if "=" not in spec:
        raise PackError(f"--symlink '{spec}': expected DEST=TARGET")
    dest, target = spec.split("=", 1)
    if target == "":
        raise PackError(f"--symlink '{spec}': empty target")
    return Entry(clean_dest(dest, spec), S_IFLNK | 0o777, target.encode())


def parse_dir(spec: str) -> Entry:
    """DEST[:MODE]: an empty directory (mode 0755 unless given, in octal)."""
    dest, mode_text = spec.rsplit(":", 1) if ":" in spec else (spec, "755")
    what = f"--dir '{spec}'"
    return Entry(clean_dest(dest, what), S_IFDIR | parse_perm(mode_text, what), b"")


def busybox_links(list_path: str, binary: str = "bin/busybox") -> list[Entry]:
    """A symlink to BINARY for every applet of LIST, the output of `busybox --list-full`
    (one path a line, relative to /): `busybox` (relative) beside it in bin/, the absolute
    /BINARY elsewhere, the way `busybox --install -s` lays them out. BINARY itself, and
    blank lines, are skipped."""
    try:
        lines = open(list_path, encoding="utf-8").read().splitlines()
    except OSError as e:
        raise PackError(f"{list_path}: {e.strerror}") from None
    entries: list[Entry] = []
    bin_dir = binary.rsplit("/", 1)[0] if "/" in binary else ""
    for n, line in enumerate(lines, 1):
        path = line.strip()
        if not path or path == binary:
            continue
        if path.startswith("/") or ".." in path.split("/") or "=" in path:
            raise PackError(f"{list_path}:{n}: '{path}' is not an applet path")
        parent = path.rsplit("/", 1)[0] if "/" in path else ""
        target = binary.rsplit("/", 1)[-1] if parent == bin_dir else "/" + binary
        entries.append(Entry(clean_dest(path, f"{list_path}:{n}"), S_IFLNK | 0o777,
                             target.encode()))
    return entries


def pad4(n: int) -> bytes:
    return b"\0" * (-n % 4)


def pack(entries: list[Entry], mtime: int, uid: int, gid: int, crc: bool) -> bytes:
    by_path: dict[str, Entry] = {}
    for e in entries:
        if e.path in by_path:
            raise PackError(f"'{e.path}' given twice")
        by_path[e.path] = e
    for e in entries:
        parts = e.path.split("/")
        for i in range(1, len(parts)):
            parent = "/".join(parts[:i])
            have = by_path.get(parent)
            if have is None:
                by_path[parent] = Entry(parent, S_IFDIR | 0o755, b"")
            elif have.mode & 0o170000 != S_IFDIR:
                raise PackError(f"'{parent}' is a file and the parent of '{e.path}'")

    out = bytearray()
    magic = b"070702" if crc else b"070701"

    def put(ino: int, name: str, mode: int, nlink: int, data: bytes) -> None:
        # As GNU cpio, 070702 sums the data of regular files only.
        bname = name.encode() + b"\0"
        check = (sum(data) & 0xFFFFFFFF) if crc and mode & 0o170000 == S_IFREG else 0
        fields = (ino, mode, uid, gid, nlink, mtime, len(data), 0, 0, 0, 0, len(bname), check)
        out.extend(magic + b"".join(b"%08X" % v for v in fields))
        out.extend(bname + pad4(len(out) + len(bname)))
        out.extend(data + pad4(len(out) + len(data)))

    # Sorted by path components, so a directory comes before what it holds.
    for ino, path in enumerate(sorted(by_path, key=lambda p: p.split("/")), start=1):
        e = by_path[path]
        put(ino, path, e.mode, 2 if e.mode & 0o170000 == S_IFDIR else 1, e.data)
    put(0, "TRAILER!!!", 0, 1, b"")
    return bytes(out)


def u32(text: str) -> int:
    v = int(text, 0)
    if not 0 <= v <= 0xFFFFFFFF:
        raise argparse.ArgumentTypeError(f"{text} is not a 32-bit unsigned value")
    return v


def main() -> int:
    ap = argparse.ArgumentParser(description="Pack files into a reproducible cpio newc archive.")
    ap.add_argument("-o", "--output", required=True, help="the archive to write")
    ap.add_argument("--mtime", type=u32, default=0, help="every entry's mtime (default 0)")
    ap.add_argument("--uid", type=u32, default=0, help="every entry's uid (default 0)")
    ap.add_argument("--gid", type=u32, default=0, help="every entry's gid (default 0)")
    ap.add_argument("--crc", action="store_true", help="070702 entries with checksums")
    ap.add_argument("--symlink", action="append", default=[], metavar="DEST=TARGET")
    ap.add_argument("--dir", action="append", default=[], metavar="DEST[:MODE]",
                    help="an empty directory")
    ap.add_argument("--busybox-links", metavar="LIST",
                    help="a link to bin/busybox for every path of LIST (busybox --list-full)")
    ap.add_argument("files", nargs="*", metavar="SRC=DEST[:MODE]")
    args = ap.parse_args()
    try:
        entries = [parse_file(s) for s in args.files]
        entries += [parse_symlink(s) for s in args.symlink]
        entries += [parse_dir(s) for s in args.dir]
        if args.busybox_links:
            entries += busybox_links(args.busybox_links)
        data = pack(entries, args.mtime, args.uid, args.gid, args.crc)
        tmp = args.output + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, args.output)
    except PackError as e:
        print(f"mkinitrd: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"mkinitrd: {args.output}: {e.strerror}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
