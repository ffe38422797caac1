#!/usr/bin/env python3
"""test/nvme: run a system whose disk is an NVMe namespace, then check the image.

    check_nvme.py blk IMG RUN_QEMU_ARGS... -- QEMU...
        test/blk's client on NVMe: the image starts as test/blk's pattern and must end
        holding exactly what that client writes (blk_image.check).
    check_nvme.py random|random-ioerror|random-intx IMG RUN_QEMU_ARGS... -- QEMU...
        nvme_client's random workload: the image starts as the same pattern; the guest
        prints the FNV-1a hash of what it believes the disk holds, in hex ("nvme-test:
        image hash HEX"), which must equal the hash of the image on the host. `random-ioerror` puts QEMU's blkdebug between the controller
        and the image, failing two reads of the medium once each (EIO): the controller
        answers each with a media error, which the driver sends once more.
        `random-intx` gives the controller one MSI-X vector (msix_qsize=1): the driver
        wants two (admin, I/O), so it takes the INTx line.
    check_nvme.py parts IMG RUN_QEMU_ARGS... -- QEMU...
        The multiqueue system's clients (qemu.nvme.multiqueue): each runs the random
        workload on its part of the disk and prints that part's hash ("nvme-test: part K
        of N hash HEX"); every part of the image must hash the same on the host. Every
        part must also say that its CPU took its queue's interrupts (but a part that says
        it had no disk, as expected) and that it passed. `parts-few` gives the controller
        three MSI-X vectors (msix_qsize=3): admin and two I/O queues, for four ports.
    check_nvme.py restart-batch IMG RUN_QEMU_ARGS... -- QEMU...
        test/blkrestart's client on NVMe (qemu.nvme.restart-batch): the image starts as
        test/blk's pattern and must end with blocks 1000..1255 holding the written pattern
        and every other block untouched (the writes cut short by the driver's fault were
        all written again).
    check_nvme.py run IMG RUN_QEMU_ARGS... -- QEMU...
        Only the run and its output checks, with the image attached.

Either way the image is made afresh, and QEMU gets it as an NVMe controller's namespace
at 00:01.0 (`-drive if=none,id=nvme0,... -device nvme,...,addr=01.0`), where the test
systems' driver expects it. RUN_QEMU_ARGS (run_qemu.py's) may include --log FILE; the
hash is read from that log. Exit status 0 only if the run and the check pass.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "blk"))
import blk_image  # noqa: E402 (the pattern and its check)

# NVMe's Identify reports this as the serial; MDTS 7 (512 KiB) is QEMU's default, the
# value real controllers often have; the blk client wants 1 MiB requests, so it gets 9.
SERIAL = "m6nvme"
MODES = ("blk", "random", "random-ioerror", "random-intx", "parts", "parts-few", "restart-batch",
         "run")
# restart-batch: the blocks test/blkrestart's client writes.
RESTART_WRITTEN = set(range(1000, 1256))
# Two rules that each fail one read of the medium with EIO, once: the first two reads.
BLKDEBUG = "".join('[inject-error]\nevent = "read_aio"\nerrno = "5"\nonce = "on"\n\n'
                   for _ in range(2))


def fnv1a(data: bytes) -> int:
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def check_parts(disk: Path, run_args: list[str]) -> list[str]:
    """Each part's hash the guest printed against the image's part; every part is there."""
    log = run_args[run_args.index("--log") + 1] if "--log" in run_args else None
    text = Path(log).read_text(encoding="utf-8", errors="replace") if log else ""
    found = re.findall(r"nvme-test: part (\d+) of (\d+) hash (?:0x)?([0-9a-f]+)", text)
    if not found:
        return ["the guest printed no part hashes (run with --log)"]
    image = disk.read_bytes()
    count = int(found[0][1])
    problems = []
    seen = set()
    for part, of, digest in found:
        k, n = int(part), int(of)
        if n != count or k >= n:
            problems.append(f"part {k} of {n} does not fit {count} parts")
            continue
        size = len(image) // n
        want = fnv1a(image[k * size:(k + 1) * size])
        if int(digest, 16) != want:
            problems.append(f"part {k}: the image's hash is {want:x}, the guest's {digest}")
        seen.add(k)
    missing = sorted(set(range(count)) - seen)
    if missing:
        problems.append(f"no hash from part(s) {missing}")
    for k in range(count):
        nodisk = f"nvme-test: part {k}: no disk (no queue pair for its port), as expected" in text
        if not nodisk and f"nvme-test: part {k}: CPU {k} took its queue's interrupts" not in text:
            problems.append(f"part {k}: its CPU did not say it took its queue's interrupts")
        if f"nvme-test: part {k}: PASS" not in text:
            problems.append(f"part {k} did not pass")
    return problems


def main() -> int:
    if len(sys.argv) < 5 or sys.argv[1] not in MODES or "--" not in sys.argv:
        print(f"usage: check_nvme.py {'|'.join(MODES)} IMG RUN_QEMU_ARGS... -- QEMU...",
              file=sys.stderr)
        return 2
    mode, disk = sys.argv[1], Path(sys.argv[2])
    blk_image.make(disk)
    split = sys.argv.index("--")
    run_args = sys.argv[3:split]
    mdts = 9 if mode == "blk" else 7
    file = str(disk)
    if mode == "random-ioerror":
        config = disk.with_suffix(".blkdebug")
        config.write_text(BLKDEBUG, encoding="utf-8")
        file = f"blkdebug:{config}:{disk}"
    # random-intx: one MSI-X vector, where the driver wants two: it takes INTx.
    vectors = {"random-intx": ",msix_qsize=1", "parts-few": ",msix_qsize=3"}.get(mode, "")
    nvme = ["-drive", f"if=none,id=nvme0,file={file},format=raw",
            "-device", f"nvme,serial={SERIAL},drive=nvme0,addr=01.0,mdts={mdts}{vectors}"]
    runner = HERE.parent / "qemu" / "run_qemu.py"
    command = [sys.executable, str(runner), *run_args, "--", *sys.argv[split + 1:], *nvme]
    status = subprocess.run(command, check=False).returncode
    if status != 0:
        return status
    if mode == "run":
        problems = []  # the run's own checks only (run_qemu.py's --expect/--forbid)
    elif mode == "blk":
        problems = blk_image.check(disk)
    elif mode == "restart-batch":
        problems = blk_image.check(disk, RESTART_WRITTEN)
    elif mode in ("parts", "parts-few"):
        problems = check_parts(disk, run_args)
    else:
        problems = []
        log = run_args[run_args.index("--log") + 1] if "--log" in run_args else None
        text = Path(log).read_text(encoding="utf-8", errors="replace") if log else ""
        m = re.search(r"nvme-test: image hash (?:0x)?([0-9a-f]+)", text)
        want = fnv1a(disk.read_bytes())
        if not m:
            problems.append("the guest printed no image hash (run with --log)")
        elif int(m.group(1), 16) != want:
            problems.append(f"the image's hash is {want:x}, the guest's {m.group(1)}: "
                            f"the disk does not hold what the guest wrote")
    for p in problems:
        print(f"check_nvme: FAIL: {p}")
    if not problems:
        print("check_nvme: the disk holds exactly what the guest wrote")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
