#!/usr/bin/env python3
"""Boot an m6 image on device trees the kernel must not trust blindly, and on every RAM size.

The DTB comes from the loader, not from the build: QEMU's own tree (dumped with
`dumpdtb=`) is edited as source (dtc) into variants, and the image boots on each with
`-dtb`. Each variant states what the kernel must print (and must not); the run must end by
itself, by power-off or by the kernel's refusal, never by the timeout or a kernel
exception. Variants that only change RAM check the untyped total the kernel reports against
RAM less the kernel image and the DTB, to the KiB.
"""
from __future__ import annotations

import argparse
import re
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from qemu_run import run_guest, verdict

KiB = 1024

# An edit of QEMU's tree (as dtc source). Kinds:
#   ("node", text): add `text` as the last child of /;
#   ("first-node", text): add it as the first child of / (before the real devices);
#   ("prop", (compatible, text)): add property `text` to the node with that compatible;
#   ("reg", (compatible, cells)): replace that node's reg;
#   ("cell", (compatible, index, value)): set one cell of that node's interrupts;
#   ("memreserve", text): add a /memreserve/ entry ("address size").
Edit = tuple[str, object]


@dataclass
class Variant:
    name: str
    why: str
    edits: list[Edit]
    expect: list[str]
    status: int | None  # QEMU's exit status, None: any (the kernel halts on refusal)
    forbid: list[str] = field(default_factory=list)
    memory: str | None = None  # QEMU's -m for this boot (default: the test's command line)
    machine: list[str] | None = None  # replaces the command line's -M, -cpu and -m options
    # Check "m6: memory: N KiB untyped" against RAM (KiB) less the image and the DTB, less
    # this many KiB more (reservations).
    untyped_less: int | None = None
    ram_kib: int | None = None


DECOY_UART = ('uart-decoy@40001000 { compatible = "arm,pl011", "arm,primecell"; '
              'reg = <0x0 0x40001000 0x0 0x1000>; status = "disabled"; };')
DECOY_GIC = ('gic-decoy@40100000 { compatible = "arm,gic-v3"; '
             'reg = <0x0 0x40100000 0x0 0x10000 0x0 0x40200000 0x0 0x20000>; '
             'status = "disabled"; };')
RESERVED = ('reserved-memory { #address-cells = <0x2>; #size-cells = <0x2>; ranges; '
            'firmware@50000000 { reg = <0x0 0x50000000 0x0 0x100000>; no-map; }; };')

VARIANTS = [
    Variant("overlapping-ram",
            "a second memory node listing the same 1 GiB: it must not become untyped twice",
            [("node", 'ram@48000000 { device_type = "memory"; reg = <0x0 0x40000000 0x0 0x40000000>; };')],
            [r"^m6: RAM 40000000-7fffffff$",
             r"^m6: DTB: 1048576 KiB of the RAM it lists overlap, are partial pages or lie above",
             r"^ping: PASS$"], 0, untyped_less=0, ram_kib=1024 * 1024),
    Variant("ram-above-the-kernel-map",
            "RAM at 16 TiB, above the CPU's 44-bit physical addresses: it must not be used",
            [("node", 'ram@100000000000 { device_type = "memory"; reg = <0x1000 0x0 0x0 0x40000000>; };')],
            [r"^m6: RAM 40000000-7fffffff$",
             r"^m6: DTB: 1048576 KiB of the RAM it lists overlap, are partial pages or lie above 100000000000",
             r"^ping: PASS$"], 0, untyped_less=0, ram_kib=1024 * 1024),
    # QEMU's virt board has one RAM bank at 1 GiB (and rewrites any DTB's memory nodes to
    # say so); its Versal board has RAM at 0 and, with 4 GiB, a second bank at 32 GiB, and
    # loads the kernel at 0x80000. Its tree has no PSCI node (QEMU provides PSCI by SMC).
    Variant("versal-ram-at-0-two-banks",
            "Xilinx Versal: RAM at physical 0 and at 32 GiB, the kernel loaded at 0x80000, "
            "GIC and UART elsewhere than on virt",
            [("node", 'psci { compatible = "arm,psci-0.2"; method = "smc"; };')],
            [r"^m6: RAM 0-7fffffff$", r"^m6: RAM 800000000-87fffffff$", r"^ping: PASS$"], 0,
            machine=["-M", "xlnx-versal-virt", "-m", "4G"], untyped_less=0, ram_kib=4 << 20),
    Variant("reserved-memory",
            "a /reserved-memory region (1 MiB) and a /memreserve/ entry (2 MiB): neither untyped",
            [("node", RESERVED), ("memreserve", "0x60000000 0x200000")],
            [r"^m6: reserved 60000000-601fffff$", r"^m6: reserved 50000000-500fffff$",
             r"\(3072 KiB reserved by the DTB\)", r"^ping: PASS$"], 0,
            untyped_less=3072, ram_kib=1024 * 1024),
    Variant("disabled-decoys",
            "a disabled PL011 (in RAM) and a disabled GICv3 listed before the real ones: ignored",
            [("first-node", DECOY_UART), ("first-node", DECOY_GIC)],
            [r"^m6 microkernel", r"^ping: PASS$"], 0),
    Variant("uart-in-ram",
            "the PL011's registers placed inside RAM: refused before anything writes there",
            [("reg", ("arm,pl011", "0x0 0x40001000 0x0 0x1000"))],
            [r"m6: PANIC: DTB: UART pl011@9000000: registers at 40001000-40001fff are in RAM"],
            None, forbid=[r"^ping:"]),
    Variant("gic-above-the-kernel-map",
            "the GIC distributor at 16 TiB, beyond the CPU's physical addresses: refused",
            [("reg", ("arm,gic-v3", "0x1000 0x0 0x0 0x10000 0x0 0x80a0000 0x0 0xf60000"))],
            [r"m6: PANIC: DTB: GICv3 distributor intc@8000000: registers at 100000000000-10000000ffff "
             r"beyond what the kernel can map"], None, forbid=[r"^ping:"]),
    Variant("gic-disabled",
            "the only GICv3 disabled: the kernel cannot run without one, and says so",
            [("prop", ("arm,gic-v3", 'status = "disabled";'))],
            [r"m6: PANIC: DTB: the GICv3 intc@8000000 is disabled"], None, forbid=[r"^ping:"]),
    Variant("its-disabled",
            "the GICv3 ITS disabled: MSIs are optional, the kernel carves no ITS tables and "
            "the system runs to ping's power-off",
            [("prop", ("arm,gic-v3-its", 'status = "disabled";'))],
            [r"m6: GICv3: \d+ interrupt lines", r"ping: PASS"], 0, forbid=[r"ITS"]),
    Variant("its-in-ram",
            "the ITS's registers placed inside RAM: refused before anything writes there",
            [("reg", ("arm,gic-v3-its", "0x0 0x40100000 0x0 0x20000"))],
            [r"m6: PANIC: DTB: GICv3 ITS its@8080000: registers at 40100000-4011ffff are in RAM"],
            None, forbid=[r"^ping:"]),
    Variant("uart-disabled",
            "the only PL011 disabled: the kernel never writes to it (silent) and the system "
            "still runs to ping's power-off",
            [("prop", ("arm,pl011", 'status = "disabled";'))],
            [r"^$"], 0, forbid=[r"m6", r"ping"]),
    Variant("timer-not-a-ppi",
            "the timer's interrupt given as 32: not a PPI, so the kernel refuses the tree",
            [("cell", ("arm,armv8-timer", 7, "0x20"))],
            [r"m6: PANIC: DTB: arm,armv8-timer: interrupt 32 is not a PPI"], None),
    Variant("timer-bad-type",
            "the timer's interrupt type cell 0 (SPI) instead of 1 (PPI): refused",
            [("cell", ("arm,armv8-timer", 6, "0x00"))],
            [r"m6: PANIC: DTB: arm,armv8-timer: interrupt type 0 is not 1 \(PPI\)"], None),
] + [
    Variant(f"ram-{size}", f"QEMU's own tree with -m {size}: all of it untyped but the image and DTB",
            [], [r"^ping: PASS$"], 0, memory=size, untyped_less=0, ram_kib=kib)
    for size, kib in (("256M", 256 * 1024), ("1G", 1024 * 1024), ("8G", 8 << 20), ("16G", 16 << 20))
]


def node_span(dts: str, compatible: str) -> tuple[int, int]:
    """[start, end) of the node whose compatible list starts with `compatible` (or, for
    "memory", the memory node): from its "{" to its properties' end."""
    if compatible == "memory":
        found = re.search(r'device_type = "memory"', dts)
    else:
        found = re.search(rf'compatible = "{re.escape(compatible)}(\\0|")', dts)
    if not found:
        raise ValueError(f"no {compatible} node in QEMU's tree")
    at = found.start()
    start = dts.rindex("{", 0, at)
    ends = [i for i in (dts.find("{", at), dts.find("};", at)) if i >= 0]
    return start, min(ends)


def apply_edit(dts: str, kind: str, arg: object) -> str:
    if kind == "node":
        end = dts.rstrip().rindex("};")  # the root node's closing brace is the last one
        return dts[:end] + "\t" + str(arg) + "\n" + dts[end:]
    if kind == "first-node":
        # Properties of / come first; the first line opening a child ends them.
        match = re.search(r"^\t[^\t\n]*\{$", dts, re.M)
        if not match:
            raise ValueError("no child node under /")
        return dts[:match.start()] + "\t" + str(arg) + "\n\n" + dts[match.start():]
    if kind == "memreserve":
        head = "/dts-v1/;\n"
        return head + f"/memreserve/ {arg};\n" + dts[len(head):]
    if kind == "prop":
        compatible, text = arg  # type: ignore[misc]
        start, _ = node_span(dts, compatible)
        return dts[:start + 1] + f"\n\t\t{text}" + dts[start + 1:]
    if kind in ("reg", "cell"):
        compatible = arg[0]  # type: ignore[index]
        start, end = node_span(dts, compatible)
        prop = "reg" if kind == "reg" else "interrupts"
        match = re.compile(rf"\b{prop} = <([^>]*)>").search(dts, start, end)
        if not match:
            raise ValueError(f"the {compatible} node has no {prop}")
        if kind == "reg":
            value = arg[1]  # type: ignore[index]
        else:
            cells = match.group(1).split()
            cells[arg[1]] = arg[2]  # type: ignore[index]
            value = " ".join(cells)
        return dts[:match.start(1)] + value + dts[match.end(1):]
    raise ValueError(f"unknown edit {kind}")


def variant_command(qemu: list[str], v: Variant) -> list[str]:
    out = qemu.copy()
    if v.memory is not None:
        out[out.index("-m") + 1] = v.memory
    if v.machine is not None:
        for option in ("-M", "-cpu", "-m"):
            if option in out:
                at = out.index(option)
                del out[at:at + 2]
        out[1:1] = v.machine
    return out


def dump_dts(qemu: list[str], work: Path, dtc: str, timeout: float) -> tuple[str] | str:
    """QEMU's own tree for this command line, as source (in a 1-tuple), or what failed."""
    dumped = qemu.copy()
    m = dumped.index("-M") + 1
    blob = work / "virt.dtb"
    blob.unlink(missing_ok=True)
    dumped[m] += f",dumpdtb={blob}"
    output, status = run_guest(dumped, timeout)
    if status != 0 or not blob.is_file():
        return f"QEMU did not dump its device tree:\n{output}"
    dts = subprocess.run([dtc, "-q", "-I", "dtb", "-O", "dts", str(blob)],
                         check=True, capture_output=True, text=True).stdout
    return (dts,)


def image_size(image: Path) -> int:
    """The arm64 Image header's image_size: the kernel's memory, bss included."""
    return struct.unpack("<Q", image.read_bytes()[16:24])[0]


def check_untyped(v: Variant, output: str, kernel: int) -> str | None:
    match = re.search(r"^m6: memory: (\d+) KiB untyped", output, re.M)
    if not match:
        return "no 'm6: memory:' line"
    # QEMU pads a -dtb blob it loads: the size that counts is the one the kernel found.
    dtb = re.search(r"^m6: device tree at [0-9a-f]+, (\d+) bytes", output, re.M)
    if not dtb:
        return "no 'm6: device tree at' line"
    dtb_size = int(dtb.group(1))
    assert v.ram_kib is not None and v.untyped_less is not None
    page = 4 * KiB
    expected = v.ram_kib - (kernel + page - 1) // page * 4 - (dtb_size + page - 1) // page * 4 \
        - v.untyped_less
    got = int(match.group(1))
    if got != expected:
        return f"{got} KiB untyped, expected {expected} KiB (RAM less image, DTB, reservations)"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image", type=Path, required=True)
    parser.add_argument("--dtc", default="dtc")
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--log", type=Path)
    parser.add_argument("--only", help="run only the variants whose name contains this")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- qemu command line")
    args = parser.parse_args()
    qemu = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not qemu or "-M" not in qemu or "-m" not in qemu:
        parser.error("need the QEMU command line with its -M and -m options after --")
    failures: list[str] = []
    log: list[str] = []
    kernel = image_size(args.image)
    variants = [v for v in VARIANTS if not args.only or args.only in v.name]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for v in variants:
            command = variant_command(qemu, v)
            dumped = dump_dts(command, work, args.dtc, args.timeout)
            if isinstance(dumped, str):
                failures.append(f"{v.name}: {dumped}")
                continue
            dts = dumped[0]
            boot = [*command, "-kernel", str(args.image)]
            if v.edits:
                source = work / f"{v.name}.dts"
                blob = work / f"{v.name}.dtb"
                try:
                    for kind, arg in v.edits:
                        dts = apply_edit(dts, kind, arg)
                    source.write_text(dts, encoding="utf-8")
                except ValueError as exc:
                    failures.append(f"{v.name}: {exc}")
                    continue
                compiled = subprocess.run([args.dtc, "-q", "-I", "dts", "-O", "dtb", "-o", str(blob),
                                           str(source)], capture_output=True, text=True)
                if compiled.returncode != 0:
                    failures.append(f"{v.name}: dtc: {compiled.stderr.strip()}")
                    continue
                boot += ["-dtb", str(blob)]
            output, status = run_guest(boot, args.timeout)
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
            for pattern in v.forbid:
                if re.search(pattern, output, re.M):
                    failures.append(f"{v.name}: output it must not have: {pattern!r}")
            if v.untyped_less is not None:
                problem = check_untyped(v, output, kernel)
                if problem:
                    failures.append(f"{v.name}: {problem}")
    text = "\n".join(log)
    if args.log:
        args.log.write_text(text, encoding="utf-8")
    print(text)
    return verdict("dtb_variants", failures, f"{len(variants)} device trees")


if __name__ == "__main__":
    sys.exit(main())
