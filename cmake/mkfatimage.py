#!/usr/bin/env python3
"""Make a FAT disk image from host files with the host's own FAT tools (m6's disks).

    mkfatimage.py -o OUT --size MIB [--fat 12|16|32] [--label NAME] SRC=DEST ...

Creates OUT (a raw image of MIB MiB) with `mkfs.fat --invariant` (fixed volume id and
times, so the same inputs give the same file system), makes the parent directories of
every DEST with `mmd` and copies each SRC there with `mcopy`. DEST is a path inside the
volume ("README.TXT", "docs/intro.txt"); long names are stored as VFAT long names. Errors
go to stderr as "mkfatimage: ..." with exit status 1; a half-made image is removed.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys


class ImageError(Exception):
    pass


def run(cmd: list[str]) -> None:
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, check=False,
                             env={**os.environ, "MTOOLS_SKIP_CHECK": "1"})
    except FileNotFoundError:
        raise ImageError(f"'{cmd[0]}' not found (Debian packages dosfstools and mtools)")
    if res.returncode != 0:
        raise ImageError(f"{' '.join(cmd)} failed: {(res.stderr or res.stdout).strip()}")


def parse(spec: str) -> tuple[str, str]:
    if "=" not in spec:
        raise ImageError(f"'{spec}': expected SRC=DEST")
    src, dest = spec.rsplit("=", 1)
    parts = dest.strip("/").split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise ImageError(f"'{spec}': bad destination '{dest}'")
    if not os.path.isfile(src):
        raise ImageError(f"'{src}': no such file")
    return src, "/".join(parts)


def make(out: str, size_mib: int, fat: int, label: str, files: list[str]) -> None:
    entries = [parse(f) for f in files]
    if os.path.exists(out):
        os.remove(out)
    run(["mkfs.fat", "-C", "--invariant", "-F", str(fat), "-n", label, out,
         str(size_mib * 1024)])
    made: set[str] = set()
    for src, dest in sorted(entries, key=lambda e: e[1]):
        parts = dest.split("/")
        for i in range(1, len(parts)):
            d = "/".join(parts[:i])
            if d not in made:
                run(["mmd", "-i", out, "::/" + d])
                made.add(d)
        run(["mcopy", "-i", out, src, "::/" + dest])


def main() -> int:
    ap = argparse.ArgumentParser(prog="mkfatimage", description=__doc__.split("\n")[0])
    ap.add_argument("-o", dest="out", required=True)
    ap.add_argument("--size", type=int, required=True, help="MiB")
    ap.add_argument("--fat", type=int, choices=(12, 16, 32), default=32)
    ap.add_argument("--label", default="M6DISK")
    ap.add_argument("files", nargs="*", metavar="SRC=DEST")
    args = ap.parse_args()
    if not 1 <= args.size <= 65536:
        print("mkfatimage: --size must be 1..65536 MiB", file=sys.stderr)
        return 1
    tmp = args.out + ".tmp"
    try:
        make(tmp, args.size, args.fat, args.label, args.files)
        shutil.move(tmp, args.out)
    except (ImageError, OSError) as e:
        print(f"mkfatimage: {e}", file=sys.stderr)
        if os.path.exists(tmp):
            os.remove(tmp)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
