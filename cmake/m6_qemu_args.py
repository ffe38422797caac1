#!/usr/bin/env python3
"""The QEMU arguments that attach a system's disks (`disk` statements, docs/spec-language.md).

    m6_qemu_args.py make MANIFEST [--disk KEY=PATH ...] --out SYSTEM.qemu
        From the spec compiler's manifest.json (its `disks`) and a path for each image key,
        write SYSTEM.qemu: a small JSON file {"system", "args", "disks"} whose `args` are
        the QEMU arguments, one list element each. Every key a disk uses must have a path
        (m6_add_system(... DISKS KEY=PATH) in CMake); the image need not exist yet.
    m6_qemu_args.py args SYSTEM.qemu [--image KEY=PATH ...]
        Print the arguments, one a line; --image puts another image in a disk's place
        (a test's fresh copy). Every image must now exist and have its declared size.
    m6_qemu_args.py run SYSTEM.qemu [--image KEY=PATH ...] -- COMMAND...
        Run COMMAND (QEMU and its other arguments) with the disks' arguments appended.

Test scripts import it: `arguments(load(path), {"disk": fresh_image})`.

Each disk is a virtio-blk device on the virtio-mmio transport its driver holds, or (kind
"nvme") an NVMe controller of its own on the PCIe root bus, which the bus component hands
to the driver's claim. QEMU's virt machine numbers the virtio-mmio buses from the lowest
address (0x0a000000 is virtio-mmio-bus.0, then +0x200 each) and puts a device given
without `bus=` on the highest, so every virtio device names its bus: the manifest's
`transport` is that number. Legacy virtio-mmio is turned off: m6's driver speaks virtio
1.x only.

Exit status: 0, 1 for an error (said on stderr, never a traceback), 2 for usage errors.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

PROG = "m6_qemu_args"
FORMAT = 1  # the .qemu file's layout; a reader refuses another
_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*")


class Problem(Exception):
    """An error for the user, in words."""


def _pairs(values: list[str], option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        key, sep, path = value.partition("=")
        if not sep or not _KEY.fullmatch(key) or not path:
            raise Problem(f"{option} {value}: expected KEY=PATH")
        if key in out and out[key] != path:
            raise Problem(f"{option} {key}: given twice ({out[key]} and {path})")
        out[key] = path
    return out


def _read_json(path: str, what: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as exc:
        raise Problem(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise Problem(f"{path} is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise Problem(f"{path} is not a {what}")
    return data


def describe(manifest: dict[str, Any], images: dict[str, str]) -> dict[str, Any]:
    """The contents of SYSTEM.qemu: the manifest's disks, each with its image's path."""
    disks = manifest.get("disks")
    if not isinstance(disks, list):
        raise Problem("the manifest has no 'disks' list (made by an m6-capdl without disk statements?)")
    system = manifest.get("system", "?")
    out = []
    missing = []
    for d in disks:
        key = d["image_key"]
        if key not in images:
            missing.append(f"disk '{d['name']}' of component '{d['component']}' has image \"{key}\", and no "
                           f"path is given for it: pass --disk {key}=PATH "
                           f"(CMake: m6_add_system({system} ... DISKS {key}=PATH))")
            continue
        out.append({**d, "image": os.path.abspath(images[key])})
    if missing:
        raise Problem("\n".join(f"system '{system}': {m}" for m in missing))
    return {"format": FORMAT, "system": system, "args": arguments({"disks": out}, check=False), "disks": out}


def load(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A SYSTEM.qemu file, as make wrote it."""
    data = _read_json(str(path), "qemu arguments file")
    if data.get("format") != FORMAT or not isinstance(data.get("disks"), list):
        raise Problem(f"{path} is not a qemu arguments file of format {FORMAT} (rebuild the system)")
    return data


def _drive_value(path: str) -> str:
    # QEMU splits -drive's value at commas; a comma in a path is written twice.
    return path.replace(",", ",,")


def arguments(desc: dict[str, Any], images: dict[str, str] | None = None, check: bool = True) -> list[str]:
    """QEMU's arguments for the disks of `desc` (load()), `images` (KEY -> path) replacing
    theirs. With `check`, each image must exist and have the size its disk declares."""
    images = dict(images or {})
    known = {d["image_key"] for d in desc["disks"]}
    for key in sorted(set(images) - known):
        raise Problem(f"no disk of system '{desc.get('system', '?')}' has image \"{key}\" "
                      f"(its images: {', '.join(sorted(known)) or 'none'})")
    args: list[str] = []
    if any(d.get("kind", "virtio-blk") == "virtio-blk" for d in desc["disks"]):
        args += ["-global", "virtio-mmio.force-legacy=false"]
    for d in desc["disks"]:
        image = os.path.abspath(images.get(d["image_key"], d["image"]))
        if check:
            try:
                size = os.stat(image).st_size
            except OSError as exc:
                raise Problem(f"disk '{d['name']}': image {image}: {exc.strerror or exc}") from None
            if d.get("size") is not None and size != d["size"]:
                raise Problem(f"disk '{d['name']}': image {image} is {size} bytes; the spec says "
                              f"size {d['size']} bytes")
        drive = f"if=none,id={d['name']},file={_drive_value(image)},format=raw"
        if d["read_only"]:
            drive += ",readonly=on"
        if d.get("kind", "virtio-blk") == "nvme":
            # A controller of its own in the root bus's next free slot; the bus component
            # finds it and hands it to the driver's claim. The serial is the disk's name.
            args += ["-drive", drive, "-device", f"nvme,drive={d['name']},serial={d['name']}"]
        else:
            args += ["-drive", drive,
                     "-device", f"virtio-blk-device,drive={d['name']},bus=virtio-mmio-bus.{d['transport']}"]
    return args


def _write_if_changed(path: str, text: str) -> None:
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return  # unchanged: nothing that depends on it rebuilds
    except OSError:
        pass
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise Problem(f"cannot write {path}: {exc.strerror or exc}") from None


def main(argv: list[str] | None = None) -> int:
    top = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    make = sub.add_parser("make", help="the manifest and the image paths -> SYSTEM.qemu")
    make.add_argument("manifest", metavar="MANIFEST")
    make.add_argument("--disk", metavar="KEY=PATH", action="append", default=[])
    make.add_argument("--out", metavar="FILE", required=True)
    for name, text in (("args", "print the arguments, one a line"),
                       ("run", "run COMMAND with the arguments appended")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("qemu_file", metavar="SYSTEM.qemu")
        cmd.add_argument("--image", metavar="KEY=PATH", action="append", default=[])
        if name == "run":
            cmd.add_argument("command", nargs=argparse.REMAINDER, help="-- QEMU and its arguments")
    args = top.parse_args(argv)
    try:
        if args.command == "make":
            images = _pairs(args.disk, "--disk")
            desc = describe(_read_json(args.manifest, "manifest"), images)
            for key in sorted(set(images) - {d["image_key"] for d in desc["disks"]}):
                print(f"{PROG}: warning: --disk {key}: no disk of system '{desc['system']}' has image "
                      f"\"{key}\"", file=sys.stderr)
            _write_if_changed(args.out, json.dumps(desc, indent=2) + "\n")
            return 0
        extra = arguments(load(args.qemu_file), _pairs(args.image, "--image"))
        if args.command == "args":
            sys.stdout.write("".join(f"{a}\n" for a in extra))
            return 0
        command = args.command[1:] if args.command[:1] == ["--"] else args.command
        if not command:
            top.error("run: no command given (-- QEMU ...)")
        try:
            return subprocess.run([*command, *extra], check=False).returncode
        except OSError as exc:
            raise Problem(f"cannot run {command[0]}: {exc.strerror or exc}") from None
    except Problem as exc:
        for line in str(exc).splitlines():
            print(f"{PROG}: error: {line}", file=sys.stderr)
        return 1
    except KeyError as exc:
        print(f"{PROG}: error: a disk record has no {exc}: the file is from another version", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
