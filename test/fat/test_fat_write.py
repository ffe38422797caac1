#!/usr/bin/env python3
"""m6's FAT writer against the host's FAT tools (ctest fat.write).

For FAT12, FAT16 and FAT32 images made by mkfs.fat (and partly filled by mcopy), fat_tool
runs operations through fat_vfs.c (create, write, append, truncate, rename, unlink, mkdir,
rmdir), syncs, and then `fsck.fat -n` must find the image clean and mtools must read back
exactly the tree the same operations make in a host directory:

* a scripted session (long names, 8.3 names in one case, gaps, renames across directories,
  replacing renames, directories that grow past a cluster), with expected errors;
* the seeded random workload (workload.c) run on the image and, by fat_model, on a host
  directory: the two trees must be equal;
* a full disk: files written until ENOSPC are complete (their reported length) and the
  volume stays consistent; the fixed root of FAT12/16 fills up with ENOSPC;
* corrupt images: writes give EIO and never touch a byte outside the volume's own area
  (fat_tool's device aborts if one does); a read-only device gives EROFS;
* a data write that fails part way through a file (FAT_TOOL_FAIL_WRITE): EIO, the file
  stops before it, and with the device back the volume is clean.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

from test_fat import (Failure, bpb, compare_tree, find_entry, first_cluster, make_image,
                      run, set_fat)

SEEDS = {12: 12, 16: 1616, 32: 0x3232}
WORKLOAD_OPS = 400


def fsck_clean(img: Path) -> None:
    p = run(["fsck.fat", "-n", str(img)], check=False)
    out = p.stdout.decode(errors="replace")
    lines = [ln for ln in out.splitlines()[1:]
             if not re.match(r"^.*: \d+ files, \d+/\d+ clusters$", ln)]
    if p.returncode != 0 or lines:
        raise Failure(f"fsck.fat -n {img.name} (exit {p.returncode}) is not clean:\n{out}")


def tool(args: argparse.Namespace, img: Path, script: str, block: str = "512",
         env: dict[str, str] | None = None) -> str:
    full = {"FAT_TOOL_BLOCK": block, **(env or {})}
    p = subprocess.run([args.tool, str(img), "run"], input=script.encode(), capture_output=True,
                       timeout=120, env={**os.environ, **full})
    if p.returncode != 0:
        raise Failure(f"fat_tool {img.name} run (exit {p.returncode}): "
                      f"{p.stderr.decode(errors='replace').strip()}")
    return p.stdout.decode(errors="replace")


def extract(img: Path, dest: Path) -> None:
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    if run(["mdir", "-b", "-i", str(img), "::/"], check=False).stdout.strip():
        run(["mcopy", "-s", "-n", "-m", "-i", str(img), "::*", str(dest) + "/"])


def same_tree(a: Path, b: Path, what: str) -> int:
    """Every name, kind and content equal, in both directions (dircmp misses empty dirs)."""
    names_a = sorted(str(p.relative_to(a)) + ("/" if p.is_dir() else "") for p in a.rglob("*"))
    names_b = sorted(str(p.relative_to(b)) + ("/" if p.is_dir() else "") for p in b.rglob("*"))
    if names_a != names_b:
        raise Failure(f"{what}: trees differ: only in the model "
                      f"{sorted(set(names_a) - set(names_b))[:5]}, only on FAT "
                      f"{sorted(set(names_b) - set(names_a))[:5]}")
    return compare_tree(a, b)


def image(work: Path, fat: int, name: str, src: Path | None = None,
          size_kib: int | None = None, extra: list[str] | None = None) -> Path:
    img = work / f"{name}{fat}.img"
    if src is not None:
        make_image(img, fat, src)
        return img
    sizes = {12: ["-s", "8"], 16: ["-s", "1"], 32: ["-S", "512", "-s", "1"]}
    kib = size_kib or {12: 8192, 16: 32768, 32: 65536}[fat]
    img.unlink(missing_ok=True)
    run(["mkfs.fat", "-C", "-F", str(fat), *sizes[fat], *(extra or []), str(img), str(kib)])
    return img


SCRIPT = """\
mkdir|Docs
mkdir|Docs/Old Reports
write|Docs/A rather long file name.txt|0|first line
append|Docs/A rather long file name.txt|, second part
write|Docs/gap.bin|3000|after a gap
write|readme.txt|0|lower-case 8.3 name
write|README2|0|upper-case 8.3 name
write|Makefile|0|all: mixed case
write|café ñ €.txt|0|unicode
write|lower.c|0|replaced contents
truncate|big.bin|70000
truncate|one.bin|5000
rename|Docs/gap.bin|Docs/Old Reports/moved gap.bin
rename|README|Docs/README moved
rename|Makefile|readme.txt
rename|many files here|Docs/Old Reports/many files
!ENOTEMPTY rmdir|Docs
!EEXIST mkdir|Docs
!EINVAL rename|Docs|Docs/Old Reports/inside
!EISDIR unlink|Docs
!ENOTDIR rmdir|lower.c
!ENOENT unlink|nope
!ENOENT write|no dir/x|0|x
!EINVAL create|bad*name
!EINVAL create|trailing dot.
!EINVAL create|trailing space 
!EINVAL create|tab\there
!ENAMETOOLONG create|{long}
mkdir|empty then gone
rmdir|empty then gone
unlink|empty.bin
hold|lower.c
!EBUSY unlink|lower.c
!EBUSY rename|one.bin|lower.c
release
chmod|lower.c|0444
!EPERM chmod|lower.c|0600
mkdir|grows
{grow}
{tails}
sync
"""


def apply_model(root: Path) -> None:
    """What SCRIPT does, done to a host directory holding the same starting tree."""
    d = root / "Docs"
    (d / "Old Reports").mkdir(parents=True)
    (d / "A rather long file name.txt").write_bytes(b"first line, second part")
    (d / "gap.bin").write_bytes(b"\0" * 3000 + b"after a gap")
    (root / "readme.txt").write_bytes(b"lower-case 8.3 name")
    (root / "README2").write_bytes(b"upper-case 8.3 name")
    (root / "Makefile").write_bytes(b"all: mixed case")
    (root / "café ñ €.txt").write_bytes(b"unicode")
    (root / "lower.c").write_bytes(b"replaced contents")
    big = (root / "big.bin").read_bytes()
    (root / "big.bin").write_bytes(big[:70000])
    (root / "one.bin").write_bytes(b"x" + b"\0" * 4999)
    (d / "gap.bin").rename(d / "Old Reports" / "moved gap.bin")
    (root / "README").rename(d / "README moved")
    (root / "Makefile").replace(root / "readme.txt")
    (root / "many files here").rename(d / "Old Reports" / "many files")
    (root / "empty.bin").unlink()
    (root / "grows").mkdir()
    for i in range(40):
        (root / "grows" / f"entry with a long name {i:02d}.txt").write_bytes(f"{i}".encode())
    for i in range(12):
        (root / f"Same Prefix {i}.dat").write_bytes(b"t")


def script_text() -> str:
    grow = "\n".join(f"write|grows/entry with a long name {i:02d}.txt|0|{i}" for i in range(40))
    tails = "\n".join(f"write|Same Prefix {i}.dat|0|t" for i in range(12))
    return SCRIPT.format(long="n" * 256, grow=grow, tails=tails)


def check_listing(img: Path) -> None:
    """8.3 names as Windows makes them: lower-case flags, ~N tails, no long name needed."""
    out = run(["mdir", "-a", "-i", str(img), "::/"]).stdout.decode(errors="replace")
    want = [r"^readme +txt +\d+ .*$", r"^README2 +\d+ ", r"^MAKEFILE +\d+ .* Makefile$",
            r"^SAMEPR~1 DAT .* Same Prefix 0\.dat$", r"^SAMEPR~9 DAT .* Same Prefix 8\.dat$",
            r"^SAMEP~10 DAT .* Same Prefix 9\.dat$", r"^SAMEP~12 DAT .* Same Prefix 11\.dat$"]
    lines = out.splitlines()
    for pat in want:
        if pat.startswith("^MAKEFILE"):
            continue  # Makefile was renamed onto readme.txt: its entry is gone
        if not any(re.match(pat, ln) for ln in lines):
            raise Failure(f"{img.name}: no line like {pat!r} in mdir:\n{out}")


def scripted(args: argparse.Namespace, work: Path, src: Path, fat: int) -> None:
    for block in ("512", "4096"):
        img = image(work, fat, f"script-{block}-", src)
        tool(args, img, script_text(), block)
        fsck_clean(img)
        model = work / f"model-script{fat}"
        shutil.rmtree(model, ignore_errors=True)
        shutil.copytree(src, model)
        apply_model(model)
        got = work / f"got-script{fat}"
        extract(img, got)
        n = same_tree(model, got, f"FAT{fat} script, block {block}")
        check_listing(img)
        ro = (run(["mattrib", "-i", str(img), "::/lower.c"]).stdout.decode()).split()
        if "R" not in ro[:-1]:
            raise Failure(f"FAT{fat}: chmod 0444 did not set the read-only attribute: {ro}")
        print(f"FAT{fat} block {block}: scripted session: fsck clean, {n} files as the model")


def workload(args: argparse.Namespace, work: Path, fat: int) -> None:
    img = image(work, fat, "workload")
    seed = SEEDS[fat]
    p = run([args.tool, str(img), "workload", str(seed), str(WORKLOAD_OPS)])
    model = work / f"model-workload{fat}"
    shutil.rmtree(model, ignore_errors=True)
    model.mkdir()
    run([args.model, str(model), str(seed), str(WORKLOAD_OPS)])
    fsck_clean(img)
    got = work / f"got-workload{fat}"
    extract(img, got)
    n = same_tree(model, got, f"FAT{fat} workload seed {seed}")
    ours = work / f"ours-workload{fat}"
    shutil.rmtree(ours, ignore_errors=True)
    ours.mkdir()
    run([args.tool, str(img), "extract", str(ours)])
    same_tree(model, ours, f"FAT{fat} workload read back by fat_tool")
    dirs = sum(1 for q in model.rglob("*") if q.is_dir())
    print(f"FAT{fat}: workload seed {seed}: {p.stdout.decode().strip()}; fsck clean; "
          f"{n} files and {dirs} directories equal to the model")


def pattern(n: int, seed: int) -> bytes:
    return bytes(((i * 2654435761 + seed * 97) >> 13) & 0xff for i in range(n))


def full_disk(args: argparse.Namespace, work: Path, fat: int) -> None:
    # FAT12/16: small volumes with a 32-entry fixed root; FAT32 at its smallest size.
    kib = {12: 400, 16: 2200, 32: 34000}[fat]
    extra = ["-r", "32"] if fat != 32 else []
    img = image(work, fat, "full", size_kib=kib, extra=extra)
    sizes = [50000, 123457, 7, 0, 300000, 1 << 20, 999999, 1 << 22, 1 << 24, 1 << 25]
    script = "".join(f"fill|file {i}.bin|{s}|{i}\n" for i, s in enumerate(sizes))
    out = tool(args, img, script + "statfs\n")
    wrote = [int(ln.split()[1]) for ln in out.splitlines() if ln.startswith("wrote")]
    free = [ln for ln in out.splitlines() if ln.startswith("free")]
    if not free or not free[0].startswith("free 0 "):
        raise Failure(f"FAT{fat} full disk: the volume did not fill up: {out}")
    if not any(w < s for w, s in zip(wrote, sizes)):
        raise Failure(f"FAT{fat} full disk: no write came up short: {wrote}")
    # Now everything that allocates must be ENOSPC, and nothing may change.
    tool(args, img, "!ENOSPC mkdir|one more dir\n!ENOSPC write|file 0.bin|1000000|x\n"
         "!ENOSPC truncate|file 2.bin|100000\n")
    fsck_clean(img)
    for i, (w, s) in enumerate(zip(wrote, sizes)):
        data = run(["mtype", "-i", str(img), f"::/file {i}.bin"]).stdout
        if data != pattern(w, i):
            raise Failure(f"FAT{fat} full disk: file {i}.bin is not the {w} bytes written")
    # Deleting makes room again, and the space is reused.
    tool(args, img, "unlink|file 4.bin\nfill|again.bin|1000|9\n")
    fsck_clean(img)
    if run(["mtype", "-i", str(img), "::/again.bin"]).stdout != pattern(1000, 9):
        raise Failure(f"FAT{fat}: the file written after freeing space differs")
    msg = f"FAT{fat} full disk ({kib} KiB): writes {wrote} then ENOSPC; fsck clean"
    if fat != 32:
        img = image(work, fat, "root", size_kib=kib, extra=extra)
        names = "".join(f"!{'ENOSPC' if i >= 10 else 'OK'} create|root entry number {i:02d}\n"
                        for i in range(12))
        tool(args, img, names)  # 3 entries each (2 long-name parts): 10 fill 30 of 32
        fsck_clean(img)
        msg += "; the fixed root fills with ENOSPC"
    print(msg)


def corrupt(args: argparse.Namespace, work: Path, src: Path, fat: int) -> None:
    img = image(work, fat, "base", src)
    orig = img.read_bytes()
    f = bpb(img)
    bad = work / f"corrupt{fat}.img"
    eoc = {12: 0xfff, 16: 0xffff, 32: 0x0fffffff}[fat]
    big = find_entry(orig, b"BIG     BIN")
    c0 = first_cluster(orig, big)
    one = find_entry(orig, b"ONE     BIN")
    many = find_entry(orig, b"MANYFI~1   ")
    mc = first_cluster(orig, many)
    cases: list[tuple[str, bytearray, str]] = []

    d = bytearray(orig)
    set_fat(d, f, fat, c0 + 2, c0)
    cases.append(("chain loop", d, "!EIO append|big.bin|x\n!EIO unlink|big.bin\n"
                  "!EIO truncate|big.bin|10\n!EIO rename|lower.c|big.bin\n"))
    d = bytearray(orig)
    set_fat(d, f, fat, c0 + 1, eoc)
    cases.append(("short chain", d, "!EIO write|big.bin|0|x\n!EIO unlink|big.bin\n"))
    d = bytearray(orig)
    struct.pack_into("<I", d, one + 28, 0xffffffff)
    cases.append(("huge size", d, "!EFBIG append|one.bin|x\n!EIO write|one.bin|0|x\n!EIO unlink|one.bin\n"
                  "!EIO truncate|one.bin|1\n"))
    d = bytearray(orig)
    struct.pack_into("<H", d, one + 26, 0xfff0)
    struct.pack_into("<H", d, one + 20, 0x0fff if fat == 32 else 0)
    cases.append(("wild first cluster", d, "!EIO write|one.bin|0|x\n!EIO unlink|one.bin\n"))
    d = bytearray(orig)
    set_fat(d, f, fat, mc, mc)
    cases.append(("directory loop", d, "!EIO create|many files here/new\n"
                  "!EIO mkdir|many files here/new dir\n!EIO rename|many files here|level 1/moved\n"))
    d = bytearray(orig)
    # every cluster marked used (a FAT of 0xff..): no space, and no write anywhere else
    base = (f["rsvd"]) * f["bps"]
    for n in range(f["nfats"]):
        s = base + n * f["fatsz"] * f["bps"]
        d[s + 8:s + f["fatsz"] * f["bps"]] = b"\xf7" * (f["fatsz"] * f["bps"] - 8)
    cases.append(("bad clusters everywhere", d, "!EIO append|big.bin|x\n"))
    for what, data, script in cases:
        for block in ("512", "4096"):
            bad.write_bytes(bytes(data))
            tool(args, bad, script, block)
    bad.write_bytes(orig)
    tool(args, bad, "!EROFS create|x\n!EROFS unlink|one.bin\n!EROFS mkdir|d\n",
         env={"FAT_TOOL_READONLY": "1"})
    if bad.read_bytes() != orig:
        raise Failure(f"FAT{fat}: a read-only volume was changed")
    print(f"FAT{fat}: {len(cases)} corrupt images: writes give EIO and stay in the volume; "
          f"read-only gives EROFS")


# What fsck.fat may find after a failed write of FAT-table (metadata) blocks: lost clusters
# and FATs not yet mirrored, which it repairs without losing data (docs/fat.md).
FSCK_REPAIRABLE = re.compile(r"^(Reclaimed \d+ unused clusters? \(\d+ bytes\)\.|FATs differ but appear "
                             r"to be intact\.|\s*Using first FAT\.|Free cluster summary wrong.*|"
                             r"\s*Auto-correcting\.|Leaving filesystem unchanged\.|)$")


def failed_write(args: argparse.Namespace, work: Path, fat: int) -> None:
    """A write that fails part way through a file (a driver restarted under it,
    docs/supervision.md): the call is EIO and the file never claims bytes that were not
    written (its contents are a prefix of what was written). A failed *data* write leaves
    the volume clean once the device works again, and new files go on it; a failed
    FAT-table write may leave only lost clusters or unmirrored FATs. FAT12: every write
    of the call fails in turn; FAT16/32: the first, a middle and the last data write."""
    kib = {12: 400, 16: 2200, 32: 34000}[fat]
    pristine = image(work, fat, "failw", size_kib=kib)
    f = bpb(pristine)
    script = "fill|big.bin|300000|5\n"
    trial = work / f"failw{fat}.trial.img"
    shutil.copy(pristine, trial)
    p = subprocess.run([args.tool, str(trial), "run"], input=script.encode(), capture_output=True,
                       timeout=120, env={**os.environ, "FAT_TOOL_TRACE_WRITES": "1"})
    writes = [(int(m.group(1)), int(m.group(2))) for m in re.finditer(
        r"write (\d+): blocks (\d+)\+\d+", p.stderr.decode())]
    # The file's data: at or past the first data cluster after the root directory's (FAT32
    # keeps its root in cluster 2; FAT12/16 before the data area).
    first_file_block = f["first_data"] + (f["spc"] if fat == 32 else 0)
    data_writes = [k for k, block in writes if block >= first_file_block]
    if p.returncode != 0 or len(data_writes) < 3:
        raise Failure(f"FAT{fat} failed write: the trial run wrote {len(data_writes)} data blocks")
    picks = [k for k, _ in writes] if fat == 12 else \
        sorted({data_writes[0], data_writes[len(data_writes) // 2], data_writes[-1]})
    want = pattern(300000, 5)
    repairable = 0
    for k in picks:
        img = work / f"failw{fat}.k.img"
        shutil.copy(pristine, img)
        tool(args, img, "!EIO " + script, env={"FAT_TOOL_FAIL_WRITE": str(k)})
        got = run(["mtype", "-i", str(img), "::/big.bin"], check=False).stdout
        if len(got) >= len(want) or not want.startswith(got):
            raise Failure(f"FAT{fat} failed write {k}: big.bin holds {len(got)} bytes that are "
                          f"not a prefix of the {len(want)} written")
        if k in data_writes:
            tool(args, img, "sync\nfill|after.bin|70000|6\nsync\n")
            fsck_clean(img)
            if run(["mtype", "-i", str(img), "::/after.bin"]).stdout != pattern(70000, 6):
                raise Failure(f"FAT{fat} failed write {k}: the file written afterwards differs")
            continue
        fsck = run(["fsck.fat", "-n", str(img)], check=False).stdout.decode(errors="replace")
        bad = [ln for ln in fsck.splitlines()[1:] if not FSCK_REPAIRABLE.match(ln)
               and not re.match(r"^.*: \d+ files, \d+/\d+ clusters$", ln)]
        if bad:
            raise Failure(f"FAT{fat} failed FAT write {k}: fsck.fat finds more than lost "
                          f"clusters: {bad}")
        repairable += fsck.count("Reclaimed") > 0 or "FATs differ" in fsck
    print(f"FAT{fat} failed writes ({len(picks)} of {len(writes)}, {len(data_writes)} data): EIO, "
          f"never a size over unwritten bytes; data failures leave the volume clean, "
          f"{repairable} FAT-table failures only lost clusters")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tool", required=True, help="the fat_tool program")
    ap.add_argument("--model", required=True, help="the fat_model program")
    ap.add_argument("--workdir", required=True, help="a scratch directory (emptied)")
    args = ap.parse_args()
    for t in ("mkfs.fat", "fsck.fat", "mcopy", "mdir", "mtype", "mattrib"):
        if shutil.which(t) is None:
            print(f"test_fat_write: {t} not found (install dosfstools and mtools)",
                  file=sys.stderr)
            return 1
    work = Path(args.workdir)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        from test_fat import make_tree
        src = work / "src"
        src.mkdir()
        make_tree(src)
        for fat in (12, 16, 32):
            scripted(args, work, src, fat)
            workload(args, work, fat)
            full_disk(args, work, fat)
            corrupt(args, work, src, fat)
            failed_write(args, work, fat)
    except Failure as e:
        print(f"test_fat_write: FAIL: {e}", file=sys.stderr)
        return 1
    print("test_fat_write: all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
