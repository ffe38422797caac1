#!/usr/bin/env python3
"""Regenerate the seed part of test/fuzzers/corpus/dtb (docs/testing.md).

Seeds: QEMU virt's own tree, with and without an SMMUv3 (dumped with dumpdtb=, which pads it to 1 MiB, and compiled
back by dtc without the padding), every edited tree of the qemu.dtb-variants
test, the unit tests' edge-case trees, and damaged copies of QEMU's tree (truncated, a
header field changed). Inputs libFuzzer found later live beside them under their hash.

Usage: make_dtb_seeds.py [--dtc dtc] [--qemu qemu-system-aarch64] OUT_DIR
"""
from __future__ import annotations

import argparse
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "qemu"))
import dtb_variants  # noqa: E402

QEMU_ARGS = ["-M", "virt,gic-version=3,dtb-randomness=off", "-cpu", "cortex-a72", "-m", "1G",
             "-nographic", "-nic", "none"]


def compile_dts(dtc: str, source: str, *options: str) -> bytes:
    return subprocess.run([dtc, "-q", "-I", "dts", "-O", "dtb", *options, "-o", "-", "-"],
                          input=source.encode(), capture_output=True, check=True).stdout


def damaged(blob: bytes) -> dict[str, bytes]:
    out = {"virt-truncated-header": blob[:39], "virt-truncated-half": blob[:len(blob) // 2],
           "virt-truncated-last": blob[:-1]}
    for name, offset, value in (("totalsize-big", 4, 1 << 20), ("struct-off", 8, 0x10),
                                ("strings-off", 12, 0x38), ("rsvmap-off", 16, 0x2c),
                                ("version-15", 20, 15), ("struct-size", 36, 4)):
        out[f"virt-{name}"] = blob[:offset] + struct.pack(">I", value) + blob[offset + 4:]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtc", default="dtc")
    parser.add_argument("--qemu", default="qemu-system-aarch64")
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    try:
        with tempfile.TemporaryDirectory() as work:
            dumped = Path(work) / "virt.dtb"
            qemu = [args.qemu, *QEMU_ARGS]
            qemu[2] += f",dumpdtb={dumped}"
            subprocess.run(qemu, capture_output=True, check=True, timeout=60)
            virt = dumped.read_bytes()
            # The same machine with an SMMUv3 (its node's interrupt-names, the ITS).
            qemu[2] += ",iommu=smmuv3"
            subprocess.run(qemu, capture_output=True, check=True, timeout=60)
            smmu = dumped.read_bytes()
        dts = subprocess.run([args.dtc, "-q", "-I", "dtb", "-O", "dts", "-"], input=virt,
                             capture_output=True, check=True).stdout.decode()
        virt = compile_dts(args.dtc, dts)
        seeds = {"virt": virt, **damaged(virt)}
        seeds["virt-smmuv3"] = compile_dts(args.dtc, subprocess.run(
            [args.dtc, "-q", "-I", "dtb", "-O", "dts", "-"], input=smmu, capture_output=True,
            check=True).stdout.decode())
        for v in dtb_variants.VARIANTS:
            if v.machine is not None or not v.edits:
                continue  # another board's tree, or QEMU's own at another size
            source = dts
            for kind, arg in v.edits:
                source = dtb_variants.apply_edit(source, kind, arg)
            seeds[f"variant-{v.name}"] = compile_dts(args.dtc, source)
        edge = (HERE.parent / "unit" / "data" / "edge.dts").read_text()
        seeds["unit-edge"] = compile_dts(args.dtc, edge)
        seeds["unit-edge-v16"] = compile_dts(args.dtc, edge, "-V", "16")
    except (OSError, subprocess.SubprocessError, ValueError) as e:
        print(f"make_dtb_seeds: {e}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    for name, blob in seeds.items():
        (args.out / f"seed-{name}.dtb").write_bytes(blob)
    print(f"make_dtb_seeds: {len(seeds)} seeds, {sum(map(len, seeds.values()))} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
