#!/usr/bin/env python3
"""Boot an m6 image on device trees the kernel must not trust blindly.

The DTB comes from the loader, not from the build: QEMU's own tree (dumped with
`dumpdtb=`) is edited as source (dtc) into variants, and the image boots on each with
`-dtb`. Each variant states what the kernel must print; the run must end by itself, by
power-off or by the kernel's refusal, never by the timeout or a kernel exception.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from qemu_run import run_guest, verdict


@dataclass
class Variant:
    name: str
    why: str
    edit: str  # "node": add `text` under /; "timer-ppi": set the virtual timer's PPI
    text: str
    expect: list[str]
    status: int | None  # QEMU's exit status, None: any (the kernel halts on refusal)


VARIANTS = [
    Variant("overlapping-ram",
            "a second memory node listing the same 1 GiB: it must not become untyped twice",
            "node", 'ram@48000000 { device_type = "memory"; reg = <0x0 0x40000000 0x0 0x40000000>; };',
            [r"^m6: RAM 40000000-7fffffff$",
             r"^m6: DTB: 1048576 KiB of the RAM it lists overlap or lie outside",
             r"^m6: memory: 104[0-9]{4} KiB untyped", r"^ping: PASS$"], 0),
    Variant("ram-outside-the-kernel-map",
            "RAM below 1 GiB, where the kernel maps devices: it must not be used",
            "node", 'ram@e000000 { device_type = "memory"; reg = <0x0 0x0e000000 0x0 0x01000000>; };',
            [r"^m6: RAM 40000000-7fffffff$",
             r"^m6: DTB: 16384 KiB of the RAM it lists overlap or lie outside", r"^ping: PASS$"], 0),
    Variant("timer-not-a-ppi",
            "the timer's interrupt given as 32: not a PPI, so the kernel refuses the tree",
            "timer-ppi", "0x20",
            [r"m6: PANIC: DTB: arm,armv8-timer: interrupt 32 is not a PPI"], None),
]


def make_variant(dts: str, v: Variant) -> str:
    if v.edit == "node":
        # The root node's closing brace is the last one in dtc's output.
        end = dts.rstrip().rindex("};")
        return dts[:end] + "\t" + v.text + "\n" + dts[end:]
    # The node whose compatible names the architected timer; the third of its four
    # interrupts (type, number, flags) is the EL1 virtual timer, the kernel's.
    at = dts.find('"arm,armv8-timer')
    if at < 0:
        raise ValueError("no arm,armv8-timer node in QEMU's tree")
    start, end = dts.rindex("{", 0, at), dts.index("};", at)
    block = dts[start:end]
    match = re.search(r"interrupts = <([^>]*)>", block)
    if not match:
        raise ValueError("the arm,armv8-timer node has no interrupts")
    cells = match.group(1).split()
    cells[7] = v.text
    block = block[:match.start(1)] + " ".join(cells) + block[match.end(1):]
    return dts[:start] + block + dts[end:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image", type=Path, required=True)
    parser.add_argument("--dtc", default="dtc")
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--log", type=Path)
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- qemu command line")
    args = parser.parse_args()
    qemu = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not qemu or "-M" not in qemu:
        parser.error("need the QEMU command line with its -M option after --")
    failures: list[str] = []
    log: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        dumped = qemu.copy()
        m = dumped.index("-M") + 1
        dumped[m] += f",dumpdtb={work / 'virt.dtb'}"
        output, status = run_guest(dumped, args.timeout)
        if status != 0 or not (work / "virt.dtb").is_file():
            print(f"dtb_variants: QEMU did not dump its device tree:\n{output}")
            return 1
        dts = subprocess.run([args.dtc, "-q", "-I", "dtb", "-O", "dts", str(work / "virt.dtb")],
                             check=True, capture_output=True, text=True).stdout
        for v in VARIANTS:
            source = work / f"{v.name}.dts"
            blob = work / f"{v.name}.dtb"
            try:
                source.write_text(make_variant(dts, v), encoding="utf-8")
            except ValueError as exc:
                failures.append(f"{v.name}: {exc}")
                continue
            compiled = subprocess.run([args.dtc, "-q", "-I", "dts", "-O", "dtb", "-o", str(blob),
                                       str(source)], capture_output=True, text=True)
            if compiled.returncode != 0:
                failures.append(f"{v.name}: dtc: {compiled.stderr.strip()}")
                continue
            output, status = run_guest([*qemu, "-dtb", str(blob), "-kernel", str(args.image)],
                                 args.timeout)
            log.append(f"--- {v.name}: {v.why}\n{output}")
            if status is None:
                failures.append(f"{v.name}: timed out after {args.timeout:.0f} s")
            elif v.status is not None and status != v.status:
                failures.append(f"{v.name}: QEMU exited with status {status}, not {v.status}")
            if "kernel exception" in output:
                failures.append(f"{v.name}: a kernel exception")
            for pattern in v.expect:
                if not re.search(pattern, output, re.M):
                    failures.append(f"{v.name}: expected output not found: {pattern!r}")
    text = "\n".join(log)
    if args.log:
        args.log.write_text(text, encoding="utf-8")
    print(text)
    return verdict("dtb_variants", failures, f"{len(VARIANTS)} device trees")


if __name__ == "__main__":
    sys.exit(main())
