#!/usr/bin/env python3
"""The Linux side of the NVMe 4 KiB random-read benchmark (docs/performance.md).

    linux_nvme_bench.py --kernel IMAGE --deb LINUX_IMAGE.deb --init BIN [--log LOG]
                        (IMAGE and LINUX_IMAGE.deb may be globs matching one file each)
                        [--timeout S] [--sched NAME]... -- QEMU [ARGS...]

Boots Debian's arm64 Linux (IMAGE, a glob matching one file) in QEMU under -icount
shift=0,sleep=off with an initramfs holding BIN (test/nvme/linux_nvme_bench.c, static)
as /init and the NVMe modules (nvme.ko, nvme-core.ko and what they depend on) taken from
the kernel's package (LINUX_IMAGE.deb: Debian builds NVMe as modules), and a fresh 64 MiB disk of zeros as
QEMU's NVMe namespace at 00:01.0 (the same device and size as m6's nvmebench). Prints
the figures BIN reports per I/O scheduler (default: none, then mq-deadline). Exit status
0 only if every figure came out and the guest powered off.
"""
from __future__ import annotations

import argparse
import glob
import io
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "qemu"))
sys.path.insert(0, str(HERE.parent.parent / "cmake"))

import mkinitrd  # noqa: E402
from qemu_run import run_guest  # noqa: E402

TOOL = "linux_nvme_bench"
# NVMe and what it needs, in load order (each module's `depends=`: nvme -> nvme-core ->
# t10-pi -> crc-t10dif, crc64-rocksoft; those want their crypto algorithms registered).
MODULES = ("kernel/crypto/crct10dif_common.ko", "kernel/crypto/crct10dif_generic.ko",
           "kernel/lib/crc-t10dif.ko", "kernel/lib/crc64.ko",
           "kernel/crypto/crc64_rocksoft_generic.ko", "kernel/lib/crc64-rocksoft.ko",
           "kernel/block/t10-pi.ko", "kernel/drivers/nvme/host/nvme-core.ko",
           "kernel/drivers/nvme/host/nvme.ko")
DISK_BYTES = 64 << 20
FIGURES = ("nvme_read_4k_qd1", "nvme_read_4k_qd1_loop", "nvme_read_4k_qd32")
LINE = re.compile(r"^linux-bench: (\S+) (" + "|".join(FIGURES) + r") (.*)$", re.M)


class BenchError(Exception):
    """A problem for the user, in words."""


def modules_from_deb(deb: Path) -> dict[str, bytes]:
    try:
        tar_bytes = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], check=True,
                                   capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise BenchError(f"cannot unpack {deb} with dpkg-deb: {exc}") from None
    found: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        for member in tar:
            for module in MODULES:
                if member.name.endswith("/" + module):
                    data = tar.extractfile(member)
                    if data is not None:
                        found[module] = data.read()
    missing = [m for m in MODULES if m not in found]
    if missing:
        raise BenchError(f"{deb} has no {', '.join(missing)} (an uncompressed .ko expected)")
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kernel", required=True, help="the arm64 Image (a glob matching one)")
    ap.add_argument("--deb", required=True, help="the kernel's Debian package (a glob matching one)")
    ap.add_argument("--init", required=True, type=Path, help="linux_nvme_bench.c, static")
    ap.add_argument("--sched", action="append", default=[], help="I/O schedulers to measure")
    ap.add_argument("--log", type=Path, help="write the console output here")
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument("qemu", nargs=argparse.REMAINDER, help="-- QEMU and its machine arguments")
    args = ap.parse_args()
    qemu = args.qemu[1:] if args.qemu[:1] == ["--"] else args.qemu
    if not qemu:
        ap.error("no QEMU command given")
    scheds = args.sched or ["none", "mq-deadline"]
    kernels = glob.glob(args.kernel)
    try:
        if len(kernels) != 1:
            raise BenchError(f"--kernel {args.kernel} matches {len(kernels)} files, not one")
        debs = glob.glob(args.deb)
        if len(debs) != 1:
            raise BenchError(f"--deb {args.deb} matches {len(debs)} files, not one")
        modules = modules_from_deb(Path(debs[0]))
        with tempfile.TemporaryDirectory() as tmp:
            entries = [mkinitrd.Entry("init", mkinitrd.S_IFREG | 0o755, args.init.read_bytes())]
            # /m0.ko, /m1.ko ...: the init loads them in that order.
            entries += [mkinitrd.Entry(f"m{i}.ko", mkinitrd.S_IFREG | 0o644, modules[m])
                        for i, m in enumerate(MODULES)]
            cpio = Path(tmp) / "initramfs.cpio"
            cpio.write_bytes(mkinitrd.pack(entries, 0, 0, 0, False))
            disk = Path(tmp) / "disk.img"
            with disk.open("wb") as f:
                f.truncate(DISK_BYTES)
            command = [*qemu, "-icount", "shift=0,sleep=off", "-kernel", kernels[0],
                       "-initrd", str(cpio),
                       "-append", "console=ttyAMA0 rdinit=/init panic=-1 quiet -- " + " ".join(scheds),
                       "-drive", f"if=none,file={disk},format=raw,id=nvme0",
                       "-device", "nvme,serial=m6nvme,drive=nvme0,addr=01.0"]
            output, status = run_guest(command, args.timeout)
    except (OSError, BenchError) as exc:
        print(f"{TOOL}: {exc}", file=sys.stderr)
        return 1
    if args.log:
        args.log.parent.mkdir(parents=True, exist_ok=True)
        args.log.write_text(output, encoding="utf-8")
    found = LINE.findall(output)
    for sched, name, rest in found:
        print(f"{sched:12} {name:20} {rest}")
    problems = [line for line in output.splitlines() if "linux-bench: FAIL" in line]
    if status is None:
        problems.append(f"timed out after {args.timeout:.0f} s")
    if len(found) != len(FIGURES) * len(scheds):
        problems.append(f"{len(found)} figures, {len(FIGURES) * len(scheds)} expected")
    for p in problems:
        print(f"{TOOL}: FAIL: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
