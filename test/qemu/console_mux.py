#!/usr/bin/env python3
"""Boot examples/console-mux in QEMU and check what its clients printed.

Every client prints --lines lines `mux<C> <SEQ> <LEN> <PAYLOAD> <CRC>` (see
examples/console-mux/client.c) through the console service, concurrently. Checks: QEMU
powers off in time and exits 0; every serial line is a client line with a correct length
and CRC-32, a conductor line, or a kernel line (`m6: `, the boot banner); each client's
lines arrive exactly once and in order; the conductor has checked console.idl's
lend_input (who may lend the input, and to whom) and reports all done. With --cpus N, also
that the kernel brought N CPUs online.
"""
from __future__ import annotations

import argparse
import re
import sys
import time
import zlib

from qemu_run import cpu_failures, run_guest, verdict

LINE = re.compile(r"^mux(\d+) (\d{4}) (\d{4}) (\S*) ([0-9a-f]{8})$")
START = "mux-conductor: waiting for"
OTHER = re.compile(r"^(mux-conductor: .*|m6: .*|m6 microkernel .*)$")


def check(output: str, clients: int, lines: int) -> tuple[list[str], dict[int, int]]:
    """The failures found, and how many good lines each client printed."""
    failures: list[str] = []
    text = output.split("\n")
    if not any(t.startswith(START) for t in text):
        failures.append(f"the conductor never started ({START!r} not seen)")
    next_seq = {c: 0 for c in range(1, clients + 1)}
    for number, raw in enumerate(text, start=1):
        if raw == "" or OTHER.match(raw):
            continue
        m = LINE.match(raw)
        shown = raw if len(raw) <= 120 else raw[:60] + "..." + raw[-40:]
        if not m:
            failures.append(f"line {number}: not a client line (garbled?): {shown!r}")
            continue
        client, seq, length, payload, crc = (int(m[1]), int(m[2]), int(m[3]), m[4], m[5])
        if client not in next_seq:
            failures.append(f"line {number}: unknown client {client}")
            continue
        body = raw[: -len(crc) - 1]
        if len(payload) != length or f"{zlib.crc32(body.encode('latin-1', 'replace')):08x}" != crc:
            failures.append(f"line {number}: damaged (length or CRC wrong): {shown!r}")
            continue
        if seq != next_seq[client]:
            failures.append(f"line {number}: client {client} line {seq} came when line "
                            f"{next_seq[client]} was due (lost, repeated or reordered)")
        next_seq[client] = seq + 1
    for client, due in next_seq.items():
        if due != lines:
            failures.append(f"client {client}: {due} of {lines} lines arrived")
    if "mux-conductor: lend_input: checked" not in text:
        failures.append("the conductor's lend_input checks did not pass: " + "; ".join(
            t for t in text if t.startswith("mux-conductor: FAIL")))
    done = f"mux-conductor: all {clients} clients done"
    if done not in text:
        failures.append(f"{done!r} not seen")
    return failures, next_seq


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--lines", type=int, default=200, help="lines per client")
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--log", help="write the serial output here")
    ap.add_argument("--cpus", type=int, default=0,
                    help="the CPUs QEMU was given (-smp): all must come online")
    ap.add_argument("command", nargs=argparse.REMAINDER, help="-- qemu command line")
    args = ap.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        ap.error("no QEMU command given")
    start = time.monotonic()
    try:
        output, status = run_guest(command, args.timeout)
    except OSError as exc:
        print(f"console_mux: cannot start QEMU: {exc}")
        return 1
    elapsed = time.monotonic() - start
    if args.log:
        with open(args.log, "w", encoding="utf-8") as f:
            f.write(output)
    failures, counts = check(output, args.clients, args.lines)
    if args.cpus:
        failures += cpu_failures(output, args.cpus)
    if status is None:
        failures.append(f"timed out after {args.timeout:.0f} s (the guest did not power off)")
    elif status != 0:
        failures.append(f"QEMU exited with status {status}")
    total = sum(counts.values())
    print(f"console_mux: {total} client lines checked, {len(output)} bytes of output, "
          f"{elapsed:.2f} s wall")
    return verdict("console_mux", failures)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
