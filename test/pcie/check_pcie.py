#!/usr/bin/env python3
"""ctest qemu.pcie: boot the PCIe bus component with a set of QEMU devices and check what it
enumerates, twice over.

1. Its lines ("pcie: BB:DD.F vendor:device class ... barN kind addr+size ... bus SS-SS
   windows") must equal the expected list (test/pcie/expected.txt) exactly: every line, in
   order, nothing extra, and no "refused" line.
2. QEMU's own view: the run has QEMU trace `pci_update_mappings_add`, which it logs when a
   device's BAR becomes decoded at an address (memory or I/O decoding on, the BAR
   programmed). The set of BARs QEMU maps must equal the set the component reports, so
   an assignment the component printed but did not program, or a device it did not
   enable, fails. Only what QEMU maps once the guest runs counts: ivshmem-plain's BARs
   are traced at address 0 at machine reset, before the kernel's banner.

3. The drivers (test/pcie/pcitest.c, pciother.c) got their devices from the bus: each
   reports "all N of N checks passed" and no failure, and the NVMe registers pcitest read
   through the BAR frames the bus handed it are what QEMU 7.2's NVMe controller reports
   (hw/nvme/ctrl.c): VS 0x10400 (NVMe 1.4); CAP with MQES 0x7ff, CQR, TO 0xf, command
   sets NVM + I/O command set selection + admin only, MPSMAX 4; 65 MSI-X vectors (64 I/O
   queue pairs + admin) with the table at 0x2000 and the pending bits at 0x3000 of BAR0;
   INTx on GIC interrupt 36 (00:01.0 pin A through the interrupt-map). And an Identify
   command on the admin queue completed with MSI-X vector 0 (an LPI, ID 8192 and up,
   through the ITS), the page it returned starting with the PCI vendor 0x1b36. pcibig
   mapped the ivshmem's 64 MiB BAR2 as 32 frames of 2 MiB.

The guest must power off (PSCI) before the timeout and QEMU exit 0.

usage: check_pcie.py --expected FILE [--timeout S] [--log FILE] -- QEMU ARGS...
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "qemu"))
from qemu_run import run_guest, verdict  # noqa: E402

LINE = re.compile(r"^pcie: (\d\d:\d\d\.\d) .*$", re.M)
BAR = re.compile(r" bar(\d) (?:mem32|mem64|io) (?:pref )?(0x[0-9a-f]+)\+(0x[0-9a-f]+)")
TRACE = re.compile(r"pci_update_mappings_add \S+ (\d\d:\d\d\.\d) (\d),(0x[0-9a-f]+)\+(0x[0-9a-f]+)")


def expected_lines(path: Path) -> list[str]:
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        text = raw.split("#", 1)[0].rstrip()
        if text:
            lines.append(text)
    return lines


# What pcitest must read from QEMU 7.2's NVMe controller (see the docstring).
NVME = {"rid": 0x8, "cap": 0x4018200F0107FF, "vs": 0x10400, "msix": 0x41, "table": 0x2000,
        "pba": 0x3000, "intid": 36}
NVME_LINE = re.compile(r"^pcitest: nvme rid (\S+) cap (\S+) vs (\S+) msix (\S+) table (\S+) "
                       r"pba (\S+) intid (\S+)$", re.M)


def check_drivers(output: str) -> list[str]:
    failures = [line for line in output.splitlines() if ": FAIL " in line]
    for who in ("pcitest", "pciother", "pcibig", "bystander"):
        m = re.search(rf"^{who}: all (0x[0-9a-f]+) of (0x[0-9a-f]+) checks passed$", output, re.M)
        if not m or m.group(1) != m.group(2):
            failures.append(f"no '{who}: all N of N checks passed' line")
    msix = re.search(r"^pcitest: msix lpi (0x[0-9a-f]+) identify (0x[0-9a-f]+)$", output, re.M)
    if not msix or int(msix.group(1), 16) < 8192 or int(msix.group(2), 16) != 0x1B36:
        failures.append("no 'pcitest: msix lpi L identify 0x1b36' line with an LPI (>= 8192)")
    if not re.search(r"^pcibig: bar2 0x8004000000 size 0x4000000 frames 0x20 of 0x200000$",
                     output, re.M):
        failures.append("no 'pcibig: bar2 0x8004000000 size 0x4000000 frames 0x20 of 0x200000' line")
    m = NVME_LINE.search(output)
    if not m:
        failures.append("no 'pcitest: nvme ...' line")
        return failures
    got = dict(zip(NVME, (int(v, 16) for v in m.groups())))
    for key, want in NVME.items():
        if got[key] != want:
            failures.append(f"NVMe {key}: read 0x{got[key]:x} through the BAR, QEMU reports 0x{want:x}")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--expected", type=Path, required=True, help="the expected device list")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--log", type=Path)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no QEMU command given")
    try:
        want = expected_lines(args.expected)
    except OSError as exc:
        print(f"check_pcie: cannot read {args.expected}: {exc.strerror}", file=sys.stderr)
        return 1
    try:
        output, status = run_guest(command + ["-trace", "pci_update_mappings_add"],
                                   args.timeout)
    except OSError as exc:
        print(f"check_pcie: cannot start QEMU: {exc}", file=sys.stderr)
        return 1
    if args.log:
        args.log.write_text(output, encoding="utf-8")
    sys.stdout.write(output)

    failures: list[str] = []
    if status is None:
        failures.append(f"no power-off within {args.timeout:g} s")
    elif status != 0:
        failures.append(f"QEMU exited with status {status}")
    for bad in ("PANIC", "m6: fault:", "kernel exception", "pcie: refused"):
        if bad in output:
            failures.append(f"{bad!r} in the output")

    got = [m.group(0) for m in LINE.finditer(output)]
    if got != want:
        for i in range(max(len(got), len(want))):
            g = got[i] if i < len(got) else "(nothing)"
            w = want[i] if i < len(want) else "(nothing)"
            if g != w:
                failures.append(f"line {i + 1}: got {g!r}, expected {w!r}")
    if not re.search(rf"^pcie: {len(want)} functions on buses 0-[0-9]+ of 256, 0 refused$",
                     output, re.M):
        failures.append("no summary line with the expected count")

    reported = {(m.group(1), int(b.group(1)), int(b.group(2), 16), int(b.group(3), 16))
                for m in LINE.finditer(output) for b in BAR.finditer(m.group(0))}
    banner = output.find("m6 microkernel")
    mapped = {(m.group(1), int(m.group(2)), int(m.group(3), 16), int(m.group(4), 16))
              for m in TRACE.finditer(output) if m.start() > banner}
    for bar in sorted(reported - mapped):
        failures.append("reported but not mapped by QEMU: %s bar%d 0x%x+0x%x" % bar)
    for bar in sorted(mapped - reported):
        failures.append("mapped by QEMU but not reported: %s bar%d 0x%x+0x%x" % bar)
    if not mapped:
        failures.append("QEMU traced no BAR mapping (is the trace event available?)")
    failures += check_drivers(output)
    return verdict("check_pcie", failures, f"{len(got)} functions, {len(mapped)} BARs")


if __name__ == "__main__":
    sys.exit(main())
