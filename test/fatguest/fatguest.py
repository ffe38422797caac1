#!/usr/bin/env python3
"""test/fatguest: host-made FAT images read by m6 through the FAT component and fs.idl.

`fatguest.py --variant V --workdir DIR --qemu-args fatguest.qemu [--log FILE] -- QEMU...
-kernel fatguest.img` makes a tree (long and Unicode names, 200 files in one directory, 8
levels of directories, files of 0 B, 1 B and 1 MiB), puts it on a fresh image with
mkfs.fat, mmd and mcopy (V: fat12, fat16, fat32), boots the system with the image as its
virtio-blk disk (the spec's disk, image "disk": QEMU's arguments come from the system's
.qemu file), and compares what the guest's client prints (fatguest_client.c) with what
the host's mtools read from the same image: every directory's entries in order (`mdir -/
-a -b`), every file's size, hash and small contents (`mtype`). V `bad`: an image with no
FAT on it; the component must refuse the mount with a line saying so and answer every
call -EIO.

`--nvme`: the image is attached as QEMU's NVMe namespace at 00:01.0 instead (a system
with the NVMe driver; test/nvme).

V `workload-fat12` (16, 32), with the fatguest_rw image and `--model fat_model`: an empty
volume on which the guest runs test/fat's seeded workload through remote_fs and syncs;
after power-off `fsck.fat -n` must find the image clean, the files mtools copies out must
be exactly those the same workload leaves in a host directory (fat_model), and the guest's
listing of the volume afterwards must match mtools' as above.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "qemu"))
from qemu_run import run_guest, verdict  # noqa: E402 (the shared QEMU runner)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent / "cmake"))
import m6_qemu_args  # noqa: E402 (the disks' QEMU arguments)

TOOL = "fatguest"
KERNEL_TROUBLE = re.compile(r"PANIC|kernel exception|m6: fault:")
# mkfs.fat options and image size (MiB) per FAT type.
VARIANTS = {
    "fat12": (["-F", "12"], 8),
    "fat16": (["-F", "16"], 32),
    "fat32": (["-F", "32", "-s", "1"], 64),
}
WORKLOAD = re.compile(r"^fatguest: workload ([0-9]+) ([0-9]+)(.*)$", re.M)
WORKLOAD_SEED, WORKLOAD_OPS = 4242, 400  # as the system fatguest_rw's args (CMakeLists.txt)
MTOOLS_ENV = {**os.environ, "MTOOLS_SKIP_CHECK": "1", "LC_ALL": "C.UTF-8"}


def make_tree(root: Path) -> None:
    """The files every variant holds (the same bytes every run)."""
    rng = random.Random(12)
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    (root / "readme.txt").write_text("m6 reads FAT volumes made on the host.\n")
    (root / "empty").write_bytes(b"")
    (root / "one").write_bytes(b"x")
    (root / "big.bin").write_bytes(rng.randbytes(1 << 20))
    (root / "A long file name with spaces.text").write_text("long names work\n")
    (root / "Ünïcödé ñame — ok.txt").write_text("unicode\n")
    (root / "MiXeD CaSe.Dat").write_bytes(bytes(range(64)))
    many = root / "many"
    many.mkdir()
    for i in range(200):
        (many / f"file number {i:03d}.txt").write_bytes(rng.randbytes(i * 7))
    deep = root
    for level in range(1, 9):
        deep = deep / f"level{level}"
        deep.mkdir()
        (deep / f"at level {level}.txt").write_text(f"{level}\n" * level)
    (root / "empty dir").mkdir()


def make_image(path: Path, tree: Path, variant: str) -> None:
    if variant == "bad":
        path.write_bytes(bytes(8 << 20))  # no boot sector at all
        return
    options, mib = VARIANTS[variant]
    path.unlink(missing_ok=True)
    subprocess.run(["mkfs.fat", "-C", *options, "-n", "M6TEST", str(path), str(mib * 1024)],
                   check=True, stdout=subprocess.DEVNULL)
    entries = sorted(tree.iterdir(), key=lambda p: p.name)
    subprocess.run(["mcopy", "-s", "-i", str(path), *map(str, entries), "::/"], check=True,
                   env=MTOOLS_ENV)


def fsck_problems(image: Path) -> list[str]:
    """fsck.fat -n: exit 0 and nothing said but its banner and the summary line."""
    p = subprocess.run(["fsck.fat", "-n", str(image)], capture_output=True, check=False)
    out = p.stdout.decode("utf-8", errors="replace")
    said = [ln for ln in out.splitlines()[1:]
            if not re.match(r"^.*: [0-9]+ files, [0-9]+/[0-9]+ clusters$", ln)]
    if p.returncode != 0 or said:
        return [f"fsck.fat -n (exit {p.returncode}) is not clean: {' | '.join(said)}"]
    return []


def tree_of(root: Path) -> dict[str, bytes | None]:
    """Every path under `root`: its bytes, or None for a directory."""
    return {str(p.relative_to(root)): (None if p.is_dir() else p.read_bytes())
            for p in root.rglob("*")}


def workload_problems(image: Path, model_tool: Path, work: Path) -> list[str]:
    model, got = work / "model", work / "got"
    for d in (model, got):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    subprocess.run([str(model_tool), str(model), str(WORKLOAD_SEED), str(WORKLOAD_OPS)],
                   check=True, capture_output=True)
    listed = subprocess.run(["mdir", "-b", "-i", str(image), "::/"], capture_output=True,
                            env=MTOOLS_ENV, check=False).stdout.strip()
    if listed:
        subprocess.run(["mcopy", "-s", "-n", "-m", "-i", str(image), "::*", f"{got}/"],
                       check=True, env=MTOOLS_ENV, capture_output=True)
    want, have = tree_of(model), tree_of(got)
    problems = []
    for path in sorted(set(want) | set(have)):
        if path not in have:
            problems.append(f"the model has {path}, the image not")
        elif path not in want:
            problems.append(f"the image has {path}, the model not")
        elif want[path] != have[path]:
            problems.append(f"{path}: the image holds other bytes than the model "
                            f"({len(have[path] or b'')} and {len(want[path] or b'')} bytes)")
    if not want:
        problems.append("the model is empty: the workload made nothing")
    return problems


def fnv32(data: bytes) -> int:
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


@dataclass
class Listing:
    """A volume as a list of directories, each its entries in order: (is_dir, path)."""
    dirs: dict[str, list[tuple[bool, str]]] = field(default_factory=dict)
    files: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # size, hash, hex


def host_listing(image: Path, extracted: Path | None = None) -> Listing:
    """mtools' view of `image`. File bytes from `mtype`, or from `extracted` (the tree
    `mcopy -s` copied out), for names mtype would take as wildcards ('[', '*', '?')."""
    out = subprocess.run(["mdir", "-/", "-a", "-b", "-i", str(image), "::"], check=True,
                         capture_output=True, env=MTOOLS_ENV).stdout.decode("utf-8")
    listing = Listing(dirs={"/": []})
    for line in out.splitlines():
        if not line.startswith("::/"):
            continue
        is_dir = line.endswith("/")
        path = line[2:].rstrip("/")
        parent = path.rsplit("/", 1)[0] or "/"
        listing.dirs.setdefault(parent, []).append((is_dir, path))
        if is_dir:
            listing.dirs.setdefault(path, [])
            continue
        if extracted is not None:
            data = (extracted / path.lstrip("/")).read_bytes()
        else:
            data = subprocess.run(["mtype", "-i", str(image), "::" + path], check=True,
                                  capture_output=True, env=MTOOLS_ENV).stdout
        listing.files[path] = (len(data), fnv32(data), data.hex() if len(data) <= 64 else "-")
    return listing


def guest_listing(output: str, problems: list[str]) -> tuple[Listing, list[str]]:
    listing = Listing()
    errors: list[str] = []
    current = None
    for line in output.splitlines():
        if not line.startswith("fatguest: "):
            continue
        kind, _, rest = line[len("fatguest: "):].partition(" ")
        if kind == "dir":
            current = rest
            if current in listing.dirs:
                problems.append(f"directory {current} listed twice")
            listing.dirs[current] = []
        elif kind == "entry":
            t, size, path = rest.split(" ", 2)
            if current is None:
                problems.append(f"an entry outside any directory: {line}")
                continue
            listing.dirs[current].append((t == "d", path))
        elif kind == "file":
            size, h, contents, path = rest.split(" ", 3)
            listing.files[path] = (int(size), int(h, 16), "" if contents == "=" else contents)
        elif kind == "error":
            errors.append(rest)
    return listing, errors


def compare(host: Listing, guest: Listing) -> list[str]:
    problems = []
    for d in sorted(set(host.dirs) | set(guest.dirs)):
        if d not in guest.dirs:
            problems.append(f"m6 did not list directory {d}")
        elif d not in host.dirs:
            problems.append(f"m6 listed a directory mtools does not have: {d}")
        elif host.dirs[d] != guest.dirs[d]:
            want = [("d " if t else "f ") + p for t, p in host.dirs[d]]
            got = [("d " if t else "f ") + p for t, p in guest.dirs[d]]
            first = next((i for i, (a, b) in enumerate(zip(want, got)) if a != b),
                         min(len(want), len(got)))
            problems.append(f"directory {d}: {len(got)} entries, mtools {len(want)}; first "
                            f"difference at {first}: m6 {got[first:first + 1]}, "
                            f"mtools {want[first:first + 1]}")
    for f in sorted(set(host.files) | set(guest.files)):
        if f not in guest.files:
            problems.append(f"m6 did not read file {f}")
        elif f not in host.files:
            problems.append(f"m6 read a file mtools does not have: {f}")
        elif host.files[f] != guest.files[f]:
            problems.append(f"file {f}: m6 size/hash/bytes {guest.files[f]}, "
                            f"mtools {host.files[f]}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variant", required=True,
                        choices=[*VARIANTS, "bad", *(f"workload-{v}" for v in VARIANTS)])
    parser.add_argument("--model", type=Path, help="fat_model (test/fat), for workload-*")
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--qemu-args", type=Path,
                        help="the system's .qemu file (m6_add_system): how its disk is attached")
    parser.add_argument("--nvme", action="store_true",
                        help="attach the image as QEMU's NVMe namespace at 00:01.0 instead "
                             "(systems with the PCIe bus and the NVMe driver, test/nvme)")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--log", type=Path)
    parser.add_argument("qemu", nargs=argparse.REMAINDER, help="-- the QEMU command line")
    args = parser.parse_args()
    qemu = args.qemu[1:] if args.qemu[:1] == ["--"] else args.qemu
    if not qemu:
        parser.error("no QEMU command given")
    if not args.nvme and not args.qemu_args:
        parser.error("--qemu-args or --nvme is required")

    args.workdir.mkdir(parents=True, exist_ok=True)
    tree = args.workdir / "tree"
    image = args.workdir / f"{args.variant}.img"
    fat = args.variant.removeprefix("workload-")
    rw = fat != args.variant
    if rw and not args.model:
        parser.error("workload-* needs --model")
    try:
        if rw:
            empty = args.workdir / "empty"
            shutil.rmtree(empty, ignore_errors=True)
            empty.mkdir()
            make_image(image, empty, fat)
        else:
            make_tree(tree)
            make_image(image, tree, args.variant)
            host = host_listing(image) if args.variant != "bad" else Listing()
    except (OSError, subprocess.CalledProcessError) as exc:
        return verdict(TOOL, [f"cannot make the image: {exc}"])

    if args.nvme:
        disks = ["-drive", f"if=none,id=nvme0,file={image},format=raw",
                 "-device", "nvme,serial=m6nvme,drive=nvme0,addr=01.0"]
    else:
        try:
            disks = m6_qemu_args.arguments(m6_qemu_args.load(args.qemu_args), {"disk": str(image)})
        except m6_qemu_args.Problem as exc:
            return verdict(TOOL, [str(exc)])
    command = [*qemu, *disks]
    try:
        output, status = run_guest(command, args.timeout)
    except OSError as exc:
        return verdict(TOOL, [f"cannot start QEMU: {exc}"])
    if args.log:
        args.log.write_text(output, encoding="utf-8")

    problems: list[str] = []
    if status is None:
        problems.append(f"timed out after {args.timeout:.0f} s")
    elif status != 0:
        problems.append(f"QEMU exited with status {status}")
    for line in output.splitlines():
        if KERNEL_TROUBLE.search(line):
            problems.append(f"kernel: {line.strip()}")
    done = re.search(r"^fatguest: done ([0-9]+) ([0-9]+) ([0-9]+)$", output, re.M)
    if not done:
        problems.append("the client never printed 'fatguest: done'")
    guest, errors = guest_listing(output, problems)

    if args.variant == "bad":
        if not re.search(r"^fat: mount refused: ", output, re.M):
            problems.append("no 'fat: mount refused' line")
        if errors != ["statfs -5 /", "opendir -5 /"]:
            problems.append(f"every call must answer -EIO; the client saw errors {errors}")
        passed = "the bad image was refused and every call answered -EIO"
    else:
        if rw:
            w = WORKLOAD.search(output)
            if not w or int(w[1]) != WORKLOAD_OPS or int(w[2]) != 0:
                problems.append(f"the workload did not run clean: {w[0] if w else 'no line'}")
            try:
                problems += fsck_problems(image)
                problems += workload_problems(image, args.model, args.workdir)
                host = host_listing(image, args.workdir / "got")
            except (OSError, subprocess.CalledProcessError) as exc:
                problems.append(f"cannot check the image: {exc}")
                host = Listing()
        problems += [f"guest error: {e}" for e in errors]
        if re.search(r"^fat: ", output, re.M) and not re.search(r"^fat: mounted", output, re.M):
            problems.append("the FAT component complained (see the log)")
        problems += compare(host, guest)
        passed = (f"{len(guest.dirs)} directories and {len(guest.files)} files as mtools "
                  f"reads them" + (f"; {WORKLOAD_OPS} workload operations, fsck clean, "
                                   "the model's tree" if rw else ""))
    return verdict(TOOL, problems, passed)


if __name__ == "__main__":
    sys.exit(main())
