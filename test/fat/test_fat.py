#!/usr/bin/env python3
"""The FAT library against the host's FAT tools (ctest fat.mtools).

For FAT12, FAT16 and FAT32 it makes an image with mkfs.fat, fills it with mmd/mcopy (long
names, 200 files in one directory, 8 levels of directories, files of 0 B, 1 B and 1 MiB),
then checks that fat_tool (the library on the host) lists every directory as `mdir -/ -a`
does, reads files as `mtype` does and extracts exactly the tree that was copied in, with
several device block sizes. Then it corrupts images (zero cluster size, a volume larger
than its device, a loop in a chain, a chain shorter than the size, clusters out of range)
and checks each gives a refused mount or an I/O error: never a crash (the tool is built
with ASan/UBSan, which abort) or a hang (a timeout).
"""
from __future__ import annotations

import argparse
import filecmp
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

TIMEOUT = 60


class Failure(Exception):
    pass


def run(cmd: list[str], env: dict[str, str] | None = None,
        check: bool = True) -> subprocess.CompletedProcess[bytes]:
    full_env = dict(os.environ, MTOOLS_SKIP_CHECK="1", LC_ALL="C.UTF-8")
    if env:
        full_env.update(env)
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT, env=full_env)
    except subprocess.TimeoutExpired:
        raise Failure(f"{' '.join(cmd)}: no answer in {TIMEOUT} s (a hang)") from None
    if check and p.returncode != 0:
        raise Failure(f"{' '.join(cmd)} exited {p.returncode}: "
                      f"{p.stderr.decode(errors='replace').strip()}")
    return p


def make_tree(root: Path) -> None:
    rng = random.Random(12)
    (root / "A file with a rather long name.txt").write_bytes(b"long names work\n")
    (root / "README").write_bytes(b"a short 8.3 name\n")
    (root / "lower.c").write_bytes(b"int main(void);\n")
    (root / "Ünïcödé ñame.txt").write_bytes(b"UTF-8\n")
    (root / "empty.bin").write_bytes(b"")
    (root / "one.bin").write_bytes(b"x")
    (root / "big.bin").write_bytes(rng.randbytes(1 << 20))
    many = root / "many files here"
    many.mkdir()
    for i in range(200):
        (many / f"file number {i:03d}.dat").write_bytes(f"{i}\n".encode() * (i % 7))
    deep = root
    for level in range(1, 9):
        deep = deep / f"level {level}"
        deep.mkdir()
        (deep / f"at level {level}.txt").write_bytes(f"level {level}\n".encode())


def make_image(img: Path, fat: int, src: Path) -> None:
    sizes = {12: ["-s", "8"], 16: [], 32: ["-S", "512", "-s", "1"]}
    kib = {12: 8192, 16: 32768, 32: 65536}[fat]
    img.unlink(missing_ok=True)
    run(["mkfs.fat", "-C", "-F", str(fat), *sizes[fat], str(img), str(kib)])
    names = sorted(p.name for p in src.iterdir())
    run(["mcopy", "-s", "-i", str(img), *[str(src / n) for n in names], "::/"])


ENTRY = re.compile(r"^(.{8}) (.{3}) +(<DIR>|\d+) +(\d{4}-\d\d-\d\d) +(\d+):(\d\d) ?(.*)$")


def parse_mdir(text: str) -> dict[str, list[tuple[str, str, str, str]]]:
    dirs: dict[str, list[tuple[str, str, str, str]]] = {}
    cur: list[tuple[str, str, str, str]] | None = None
    for line in text.splitlines():
        if line.startswith("Directory for ::"):
            cur = dirs.setdefault(line[len("Directory for ::"):], [])
            continue
        m = ENTRY.match(line) if cur is not None else None
        if m is None:
            continue
        base, ext = m.group(1).rstrip(), m.group(2).rstrip()
        short = f"{base}.{ext}" if ext else base
        when = f"{m.group(4)} {int(m.group(5)):02d}:{m.group(6)}"
        assert cur is not None
        cur.append((short, m.group(3), when, m.group(7).strip()))
    return dirs


def parse_tool(text: str) -> dict[str, list[tuple[str, str, str, str]]]:
    dirs: dict[str, list[tuple[str, str, str, str]]] = {}
    cur: list[tuple[str, str, str, str]] = []
    for line in text.splitlines():
        if line.startswith("Directory for ::"):
            cur = dirs.setdefault(line[len("Directory for ::"):], [])
        else:
            short, size, when, name = line.split("|", 3)
            cur.append((short, size, when, name))
    return dirs


def short_matches(ours: str, theirs: str) -> bool:
    # The library does not translate OEM code page bytes in 8.3 names: it shows '?'.
    return len(ours) == len(theirs) and all(
        a == b or (a == "?" and ord(b) >= 0x80) for a, b in zip(ours, theirs))


def compare_listing(tool: str, img: Path, env: dict[str, str]) -> int:
    theirs = parse_mdir(run(["mdir", "-/", "-a", "-i", str(img), "::/"]).stdout.decode())
    ours = parse_tool(run([tool, str(img), "list"], env=env).stdout.decode())
    if sorted(theirs) != sorted(ours):
        raise Failure(f"{img.name}: directories differ: mdir {sorted(theirs)} "
                      f"fat_tool {sorted(ours)}")
    count = 0
    for d, entries in theirs.items():
        mine = ours[d]
        if len(mine) != len(entries):
            raise Failure(f"{img.name} {d}: {len(entries)} entries in mdir, {len(mine)} ours")
        for a, b in zip(mine, entries):
            if not short_matches(a[0], b[0]) or a[1:] != b[1:]:
                raise Failure(f"{img.name} {d}: fat_tool {a} != mdir {b}")
            count += 1
    return count


def compare_tree(a: Path, b: Path) -> int:
    cmp = filecmp.dircmp(a, b)
    if cmp.left_only or cmp.right_only or cmp.funny_files:
        raise Failure(f"{a} vs {b}: only in source {cmp.left_only}, "
                      f"only extracted {cmp.right_only}")
    n = 0
    for f in cmp.common_files:
        if (a / f).read_bytes() != (b / f).read_bytes():
            raise Failure(f"{b / f}: contents differ from the file copied in")
        n += 1
    for d in cmp.common_dirs:
        n += compare_tree(a / d, b / d)
    return n


def bpb(img: Path) -> dict[str, int]:
    b = img.read_bytes()[:512]
    f: dict[str, int] = {}
    f["bps"], f["spc"], f["rsvd"], f["nfats"], f["root_ent"] = struct.unpack_from(
        "<HBHBH", b, 11)
    fatsz = struct.unpack_from("<H", b, 22)[0] or struct.unpack_from("<I", b, 36)[0]
    f["fatsz"] = fatsz
    f["first_data"] = (f["rsvd"] + f["nfats"] * fatsz
                       + (f["root_ent"] * 32 + f["bps"] - 1) // f["bps"])
    return f


def find_entry(data: bytes, short: bytes) -> int:
    off = data.find(short.ljust(11))
    while off >= 0 and off % 32:
        off = data.find(short.ljust(11), off + 1)
    if off < 0:
        raise Failure(f"no directory entry {short!r}")
    return off


def set_fat(data: bytearray, f: dict[str, int], fat: int, cluster: int, value: int) -> None:
    for n in range(f["nfats"]):
        base = (f["rsvd"] + n * f["fatsz"]) * f["bps"]
        if fat == 12:
            o = base + cluster + cluster // 2
            old = struct.unpack_from("<H", data, o)[0]
            new = ((old & 0x000f) | (value << 4)) if cluster & 1 else \
                ((old & 0xf000) | value)
            struct.pack_into("<H", data, o, new & 0xffff)
        elif fat == 16:
            struct.pack_into("<H", data, base + cluster * 2, value)
        else:
            struct.pack_into("<I", data, base + cluster * 4, value)


def first_cluster(data: bytes, entry: int) -> int:
    return (struct.unpack_from("<H", data, entry + 26)[0]
            | struct.unpack_from("<H", data, entry + 20)[0] << 16)


def expect_error(tool: str, img: Path, args: list[str], text: str, what: str) -> None:
    p = run([tool, str(img), *args], check=False)
    err = p.stderr.decode(errors="replace")
    if p.returncode != 1 or text not in err:
        raise Failure(f"{what}: expected exit 1 with '{text}', got {p.returncode}: {err}")


def corruptions(tool: str, img: Path, fat: int, work: Path) -> int:
    orig = img.read_bytes()
    f = bpb(img)
    bad = work / f"bad{fat}.img"
    cases = 0

    def write(d: bytes | bytearray) -> None:
        bad.write_bytes(bytes(d))

    refused = "not a valid FAT file system"
    d = bytearray(orig)
    d[13] = 0  # zero sectors per cluster
    write(d)
    expect_error(tool, bad, ["list"], refused, f"FAT{fat} zero cluster size")
    cases += 1
    write(orig[: len(orig) // 2])  # the volume claims more sectors than the device has
    expect_error(tool, bad, ["list"], refused, f"FAT{fat} truncated image")
    cases += 1
    d = bytearray(orig)
    d[510] = 0  # no boot signature
    write(d)
    expect_error(tool, bad, ["info"], refused, f"FAT{fat} boot signature")
    cases += 1

    big = find_entry(orig, b"BIG     BIN")
    c0 = first_cluster(orig, big)
    d = bytearray(orig)
    set_fat(d, f, fat, c0 + 2, c0)  # a loop: the third cluster leads back to the first
    write(d)
    expect_error(tool, bad, ["cat", "/big.bin"], "I/O error", f"FAT{fat} chain loop")
    cases += 1
    d = bytearray(orig)
    set_fat(d, f, fat, c0 + 1, 0xfff if fat == 12 else 0xffff if fat == 16 else 0x0fffffff)
    write(d)  # the chain ends after two clusters: shorter than the size
    expect_error(tool, bad, ["cat", "/big.bin"], "I/O error", f"FAT{fat} short chain")
    cases += 1
    d = bytearray(orig)
    set_fat(d, f, fat, c0 + 1, 0xff0 if fat == 12 else 0xfff0 if fat == 16 else 0x0ffffff0)
    write(d)  # a reserved value / a cluster past the end in the chain
    expect_error(tool, bad, ["cat", "/big.bin"], "I/O error", f"FAT{fat} cluster past end")
    cases += 1
    one = find_entry(orig, b"ONE     BIN")
    d = bytearray(orig)
    struct.pack_into("<I", d, one + 28, 0xffffffff)  # a huge size on a one-cluster file
    write(d)
    expect_error(tool, bad, ["cat", "/one.bin"], "I/O error", f"FAT{fat} huge size")
    cases += 1
    d = bytearray(orig)
    struct.pack_into("<H", d, one + 26, 0xfff0)  # a first cluster past the end
    struct.pack_into("<H", d, one + 20, 0x0fff if fat == 32 else 0)
    write(d)
    expect_error(tool, bad, ["cat", "/one.bin"], "I/O error", f"FAT{fat} wild first cluster")
    cases += 1
    # A subdirectory whose chain loops onto itself: listing it must end, with an error.
    many = find_entry(orig, b"MANYFI~1   ")
    mc = first_cluster(orig, many)
    d = bytearray(orig)
    set_fat(d, f, fat, mc, mc)  # the directory's first cluster points to itself
    write(d)
    expect_error(tool, bad, ["list"], "I/O error", f"FAT{fat} directory loop")
    cases += 1
    return cases


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tool", required=True, help="the fat_tool program")
    ap.add_argument("--workdir", required=True, help="a scratch directory (emptied)")
    args = ap.parse_args()
    for t in ("mkfs.fat", "mcopy", "mdir", "mtype"):
        if shutil.which(t) is None:
            print(f"test_fat: {t} not found (install dosfstools and mtools)", file=sys.stderr)
            return 1
    work = Path(args.workdir)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        src = work / "src"
        src.mkdir()
        make_tree(src)
        for fat in (12, 16, 32):
            img = work / f"fat{fat}.img"
            make_image(img, fat, src)
            for block in ("512", "1024", "4096"):
                env = {"FAT_TOOL_BLOCK": block}
                n = compare_listing(args.tool, img, env)
                out = work / f"out{fat}-{block}"
                out.mkdir()
                run([args.tool, str(img), "extract", str(out)], env=env)
                files = compare_tree(src, out)
                print(f"FAT{fat} block {block}: {n} entries as mdir lists them, "
                      f"{files} files as copied in")
            for path in ("/big.bin", "/one.bin", "/empty.bin",
                         "/many files here/file number 199.dat",
                         "/level 1/level 2/level 3/level 4/level 5/level 6/level 7/level 8/"
                         "at level 8.txt"):
                ours = run([args.tool, str(img), "cat", path]).stdout
                theirs = run(["mtype", "-i", str(img), "::" + path]).stdout
                if ours != theirs:
                    raise Failure(f"FAT{fat} {path}: differs from mtype")
            expect_error(args.tool, img, ["cat", "/nope"], "no such file", f"FAT{fat} /nope")
            expect_error(args.tool, img, ["cat", "/one.bin/x"], "not a directory",
                         f"FAT{fat} /one.bin/x")
            expect_error(args.tool, img, ["cat", "/level 1"], "is a directory",
                         f"FAT{fat} /level 1")
            print(f"FAT{fat}: mtype agrees; {corruptions(args.tool, img, fat, work)} "
                  f"corrupt images refused or read as I/O errors")
    except Failure as e:
        print(f"test_fat: FAIL: {e}", file=sys.stderr)
        return 1
    print("test_fat: all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
