#!/usr/bin/env python3
"""Run the m6 benchmark image in QEMU and report its figures.

QEMU runs with `-icount shift=0,sleep=off`: one guest instruction is one virtual
nanosecond and the guest's instruction counter (PMU event INST_RETIRED) is exact, so every
figure repeats run to run. The guest prints one line per figure:

    bench: <name> min=<n> median=<n> avg=<n|-> max=<n> n=<samples>
    bench: <name> value=<n>
    bench: <name> skipped (<why>)

and ends with `bench: done, <k> failures` before powering off. This script prints the
table, writes it as JSON, and exits non-zero if the guest failed: a `bench: FAIL` line,
failures reported, no `done` line, a kernel fault or panic, a timeout, or QEMU's own
failure. With --smoke it checks only that: the figures themselves are never judged here.

--latency IMAGE runs the wake-up latency benchmark (test/bench/latency_*.c) the same way
after the suite and adds its figures (`latency_<phase>`: how late the top-priority thread
woke, in instructions, per phase of the adversary; `latency_max`) to the same table and
JSON. Its fault storm makes the kernel report faults of one thread at one address on
purpose; those lines are expected there, any other fault report is not.

--blk IMAGE runs the block benchmarks (test/blkbench) with a 64 MiB raw disk of zeros;
--nvme IMAGE the same client on the NVMe driver (test/blkbench's nvmebench), the disk then
QEMU's NVMe namespace at 00:01.0, where that system's driver expects it;
--fs IMAGE the file benchmarks (test/fsbench) with a FAT32 disk made here by mkfs.fat and
mcopy (4 KiB clusters, a 16 MiB big.bin whose every 8-byte word is its own offset).
--linux IMAGE the Linux layer's benchmarks (test/lbench: static Linux programs on the shim).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from array import array
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "qemu"))
from qemu_run import run_guest  # noqa: E402 (the shared QEMU runner)

# Added to the platform's QEMU command line (given after `--`): exact instruction counts.
ICOUNT_ARGS = ["-icount", "shift=0,sleep=off"]

FIGURE = re.compile(
    r"^bench: (?P<name>[a-z0-9_]+) min=(?P<min>[0-9.]+) median=(?P<median>[0-9.]+) "
    r"avg=(?P<avg>[0-9.]+|-) max=(?P<max>[0-9.]+) n=(?P<n>[0-9]+)\s*$")
VALUE = re.compile(r"^bench: (?P<name>[a-z0-9_]+) value=(?P<value>[0-9]+)\s*$")
SKIPPED = re.compile(r"^bench: (?P<name>[a-z0-9_]+) skipped \((?P<why>.*)\)\s*$")
DONE = re.compile(r"^bench: done, (?P<failures>[0-9]+) failures\s*$")
GUEST_FAIL = re.compile(r"^bench: FAIL .*$|^bench: set-up failed.*$")
KERNEL_TROUBLE = re.compile(r"PANIC|kernel exception|m6: fault:")
# The latency adversary's faulting thread loads from this address (latency_adversary.c).
EXPECTED_FAULT = re.compile(r"^m6: fault: .*\(address 7ff0000000\); no fault handler, thread stopped$")

# Every figure a complete run must produce (skips count as produced: they say why).
EXPECTED = [
    "pmu_read_pair_overhead", "boot_reset_to_main", "boot_counter_resolution",
    "boot_pmu_enable_to_main", "boot_reset_to_all_started",
    "ipc_call_same_as_0w", "ipc_call_same_as_4w", "ipc_call_same_as_64w",
    "ipc_call_same_as_grant",
    "ipc_call_cross_as_0w", "ipc_call_cross_as_4w", "ipc_call_cross_as_64w",
    "ipc_call_cross_as_grant",
    "syscall_invalid_number", "null_syscall_poll", "yield_alone",
    "ntfn_signal_wakeup", "ntfn_roundtrip", "page_fault_resume", "timer_wait_irq_wake",
    "ctx_switch_same_as", "ctx_switch_cross_as",
    "retype_frame_4k", "revoke_frame_4k", "retype_revoke_frame_4k",
    "timer_storm_victim_delay", "timer_storm_thread_share_pct", "lpi_trigger_wakeup",
    "lpi_msi_wakeup",
    # several CPUs (make bench runs -smp 4; on fewer they are skipped, saying why)
    "ipc_call_cross_core_0w", "ipc_call_cross_core_0w_all", "ntfn_roundtrip_cross_core",
    "ntfn_roundtrip_cross_core_all", "ipc_call_4pairs_per_core", "ipc_call_4pairs_all",
]
# The block benchmarks (--blk, test/blkbench): 4 KiB random reads through the block protocol.
EXPECTED_BLK = ["blk_read_4k_qd1", "blk_read_4k_qd32", "blk_qd32_client_syscalls_per_1000"]
EXPECTED_NVME = ["nvme_read_4k_qd1", "nvme_read_4k_qd32", "nvme_qd32_client_syscalls_per_1000"]
BLK_DISK_BYTES = 64 << 20
# The file benchmarks (--fs, test/fsbench): tmpfs through the VFS, a FAT32 file on virtio-blk.
EXPECTED_FS = ["fs_tmpfs_open_read4k_close_idl", "fs_tmpfs_open_read4k_close_posix",
               "fs_fat_seq_read_cold_per_mib", "fs_fat_seq_read_warm_per_mib",
               "fs_fat_seq_read_warm_posix_per_mib"]
# Its disk: FAT32 with 4 KiB clusters (8 sectors of 512 bytes), which FAT32 allows only from
# 65,525 clusters on: 288 MiB (a sparse file). big.bin's every 8-byte word is its offset.
# The Linux layer's benchmarks (--linux, test/lbench): static Linux programs on the shim.
EXPECTED_LINUX = ["linux_pmu_read_pair_overhead", "linux_getpid", "linux_open_read4k_close",
                  "linux_mmap_touch_munmap", "linux_pipe_roundtrip", "linux_fork_exit_wait",
                  "linux_fork_exec_wait", "linux_busybox_sh_c"]
FS_DISK_MIB = 288
FS_FILE_BYTES = 16 << 20
LATENCY_PHASES = ["setup", "idle", "timer_storm", "revoke_chain", "delete_cnode", "retype_2m",
                  "fault_storm", "console"]
EXPECTED_LATENCY = [f"latency_{p}" for p in LATENCY_PHASES] + [
    "latency_max", "latency_storm_timers", "latency_chain_caps", "latency_frames_2m"]


def number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() else value


@dataclass
class Result:
    figures: dict[str, dict[str, int | float | None]] = field(default_factory=dict)
    values: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    failures_reported: int | None = None


def parse(output: str, result: Result | None = None, faults_expected: bool = False) -> Result:
    """Add what `output` says to `result` (a new one if None)."""
    result = result if result is not None else Result()
    done_seen = False
    for line in output.splitlines():
        line = line.rstrip("\r")
        # Another thread's output can end without a newline (the kernel drops what a
        # flooding writer sends beyond its rate, the newline included): a report line
        # then starts in the middle of a console line.
        if (at := line.find("bench: ")) > 0:
            line = line[at:]
        if m := FIGURE.match(line):
            result.figures[m["name"]] = {
                "min": number(m["min"]),
                "median": number(m["median"]),
                "avg": None if m["avg"] == "-" else number(m["avg"]),
                "max": number(m["max"]),
                "samples": int(m["n"]),
            }
        elif m := VALUE.match(line):
            result.values[m["name"]] = int(m["value"])
        elif m := SKIPPED.match(line):
            result.skipped[m["name"]] = m["why"]
        elif m := DONE.match(line):
            done_seen = True
            result.failures_reported = (result.failures_reported or 0) + int(m["failures"])
        elif GUEST_FAIL.match(line):
            result.problems.append(f"guest: {line}")
        elif faults_expected and EXPECTED_FAULT.match(line):
            continue
        elif KERNEL_TROUBLE.search(line):
            result.problems.append(f"kernel: {line.strip()}")
    if not done_seen:
        result.problems.append("the guest never printed 'bench: done' (it stopped early)")
    return result


class DiskError(Exception):
    pass


def make_fs_disk(directory: Path) -> Path:
    """The FAT32 disk of test/fsbench, made with the host's mkfs.fat and mcopy."""
    disk = directory / "fs.img"
    big = directory / "big.bin"
    big.write_bytes(array("Q", range(0, FS_FILE_BYTES, 8)).tobytes())
    for cmd in (["mkfs.fat", "-C", "--invariant", "-F", "32", "-S", "512", "-s", "8",
                 "-n", "M6BENCH", str(disk), str(FS_DISK_MIB * 1024)],
                ["mcopy", "-i", str(disk), str(big), "::/big.bin"]):
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, check=False,
                                 env={**os.environ, "MTOOLS_SKIP_CHECK": "1"})
        except OSError as exc:
            raise DiskError(f"cannot run {cmd[0]} (Debian: dosfstools, mtools): {exc}")
        if res.returncode != 0:
            raise DiskError(f"{' '.join(cmd)}: {(res.stderr or res.stdout).strip()}")
    return disk


def run_qemu(qemu: list[str], image: Path, timeout: float,
             disk: Path | None = None, nvme: bool = False) -> tuple[str, int | None, float]:
    command = [*qemu, *ICOUNT_ARGS, "-kernel", str(image)]
    if disk is not None and nvme:  # QEMU's NVMe controller at 00:01.0 (test/nvme)
        command += ["-drive", f"if=none,file={disk},format=raw,id=nvme0",
                    "-device", "nvme,serial=m6nvme,drive=nvme0,addr=01.0"]
    elif disk is not None:  # a raw virtio-blk disk, as test/blk/blk_image.py attaches it
        command += ["-global", "virtio-mmio.force-legacy=false",
                    "-drive", f"if=none,file={disk},format=raw,id=d0",
                    "-device", "virtio-blk-device,drive=d0"]
    start = time.monotonic()
    output, status = run_guest(command, timeout)
    return output, status, time.monotonic() - start


def table(result: Result) -> str:
    rows = [("figure (instructions)", "min", "median", "avg", "max", "n")]
    for name, f in result.figures.items():
        rows.append((name, str(f["min"]), str(f["median"]),
                     "-" if f["avg"] is None else str(f["avg"]), str(f["max"]),
                     str(f["samples"])))
    for name, v in result.values.items():
        rows.append((name, str(v), "", "", "", ""))
    for name, why in result.skipped.items():
        rows.append((name, f"skipped: {why}", "", "", "", ""))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for i, r in enumerate(rows):
        cells = [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:])]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("image", type=Path, help="the bench (or bench_smoke) system image")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before failing")
    parser.add_argument("--json", type=Path, help="write the figures here (JSON)")
    parser.add_argument("--log", type=Path, help="write the guest's serial output here")
    parser.add_argument("--smoke", action="store_true",
                        help="check only that every benchmark produced a figure")
    parser.add_argument("--latency", type=Path,
                        help="the latency benchmark's image, run after the suite")
    parser.add_argument("--blk", type=Path,
                        help="the block benchmarks' image (test/blkbench), run with a 64 MiB disk")
    parser.add_argument("--nvme", type=Path,
                        help="the block benchmarks on NVMe (test/blkbench's nvmebench), 64 MiB disk")
    parser.add_argument("--fs", type=Path,
                        help="the file benchmarks' image (test/fsbench), run with a FAT32 disk")
    parser.add_argument("--linux", type=Path,
                        help="the Linux layer benchmarks' image (test/lbench)")
    parser.add_argument("qemu", nargs="+", metavar="-- QEMU ARG",
                        help="the platform's QEMU command line, after --")
    args = parser.parse_args()

    images = ([args.image] + ([args.latency] if args.latency else [])
              + ([args.blk] if args.blk else []) + ([args.nvme] if args.nvme else [])
              + ([args.fs] if args.fs else []) + ([args.linux] if args.linux else []))
    for image in images:
        if not image.is_file():
            print(f"run_bench: no image at {image} (build first: make bench)", file=sys.stderr)
            return 2
    result = Result()
    logs: list[str] = []
    elapsed = 0.0
    for image in images:
        try:
            if image in (args.blk, args.nvme):
                with tempfile.TemporaryDirectory() as tmp:
                    disk = Path(tmp) / "blk.img"
                    with disk.open("wb") as f:
                        f.truncate(BLK_DISK_BYTES)  # zeros: the reads' contents do not matter
                    output, status, took = run_qemu(args.qemu, image, args.timeout, disk,
                                                    nvme=image == args.nvme)
            elif image == args.fs:
                with tempfile.TemporaryDirectory() as tmp:
                    try:
                        disk = make_fs_disk(Path(tmp))
                    except DiskError as exc:
                        print(f"run_bench: the file benchmarks' disk: {exc}", file=sys.stderr)
                        return 2
                    output, status, took = run_qemu(args.qemu, image, args.timeout, disk)
            elif image == args.image:
                # QEMU's edu device at 00:03.0: lpi_msi_wakeup's MSIs (test/bench/ops.c).
                output, status, took = run_qemu([*args.qemu, "-device", "edu,addr=03.0"],
                                                image, args.timeout)
            else:
                output, status, took = run_qemu(args.qemu, image, args.timeout)
        except OSError as exc:
            print(f"run_bench: cannot start QEMU ({args.qemu[0]}): {exc}", file=sys.stderr)
            return 2
        elapsed += took
        logs.append(f"==== {image.name} ====\n{output}")
        parse(output, result, faults_expected=image == args.latency)
        if status is None:
            result.problems.append(f"{image.name}: timed out after {args.timeout:.0f} s "
                                   "(the guest did not power off)")
        elif status != 0:
            result.problems.append(f"{image.name}: QEMU exited with status {status}")
    output = "\n".join(logs)
    if args.log:
        args.log.parent.mkdir(parents=True, exist_ok=True)
        args.log.write_text(output, encoding="utf-8")

    if result.failures_reported:
        result.problems.append(f"the guest reported {result.failures_reported} failures")
    produced = set(result.figures) | set(result.values) | set(result.skipped)
    expected = (EXPECTED + (EXPECTED_LATENCY if args.latency else [])
                + (EXPECTED_BLK if args.blk else []) + (EXPECTED_NVME if args.nvme else [])
                + (EXPECTED_FS if args.fs else [])
                + (EXPECTED_LINUX if args.linux else []))
    missing = [name for name in expected if name not in produced]
    if missing:
        result.problems.append("no figure for: " + ", ".join(missing))

    if not args.smoke or result.problems:
        print(table(result))
    if args.json:
        data = {
            "method": "instructions retired (PMU INST_RETIRED) under qemu -icount shift=0,sleep=off; "
                      "read-pair overhead subtracted from single-operation samples",
            "image": [str(i) for i in images],
            "figures": result.figures,
            "values": result.values,
            "skipped": result.skipped,
            "ok": not result.problems,
            "problems": result.problems,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        print(f"run_bench: JSON written to {args.json}")
    print(f"run_bench: {elapsed:.1f} s wall (not a figure: the guest's time is virtual)")
    for problem in result.problems:
        print(f"run_bench: FAIL: {problem}")
    if result.problems:
        if not args.log:
            tail = "\n".join(output.splitlines()[-20:])
            print(f"run_bench: last guest output:\n{tail}")
        return 1
    print(f"run_bench: PASS ({len(produced)} figures)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("run_bench: interrupted", file=sys.stderr)
        sys.exit(130)
