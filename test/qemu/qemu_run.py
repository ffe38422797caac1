"""Running a guest for a test: QEMU's serial output and exit status under a timeout.

Shared by the drivers in this folder and test/bench/run_bench.py, so that every QEMU run
a test makes is bounded and read the same way, and every driver ends the same way.
"""
from __future__ import annotations

import re
import subprocess


def run_guest(command: list[str], timeout: float) -> tuple[str, int | None]:
    """Run `command` (QEMU, stdin closed); return its output with "\\r\\n" as "\\n" and its
    exit status, None if it was killed at the timeout. OSError if it cannot start."""
    try:
        proc = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout, check=False)
        output, status = proc.stdout, proc.returncode
    except subprocess.TimeoutExpired as exc:
        output, status = exc.stdout or b"", None
    return output.decode("utf-8", errors="replace").replace("\r\n", "\n"), status


def verdict(tool: str, failures: list[str], passed: str = "", shown: int = 40) -> int:
    """Print `tool: FAIL: ...` for each failure (at most `shown`) or `tool: PASS` (with
    `passed` in parentheses), and return the exit status: 1 on any failure, else 0."""
    for failure in failures[:shown]:
        print(f"{tool}: FAIL: {failure}")
    if len(failures) > shown:
        print(f"{tool}: ... and {len(failures) - shown} more failures")
    if failures:
        print(f"{tool}: FAIL")
        return 1
    print(f"{tool}: PASS" + (f" ({passed})" if passed else ""))
    return 0


def check_answer(line: str, answer: str, want: list[str], unwanted: list[str],
                 failures: list[str]) -> None:
    """A shell command's answer (its lines up to the next prompt): every pattern of `want`
    must match in order (each searched after the previous match, line-anchored), none of
    `unwanted` anywhere; what does not hold is appended to `failures`, naming `line`."""
    position = 0
    for pattern in want:
        match = re.compile(pattern, re.MULTILINE).search(answer, position)
        if match is None:
            failures.append(f"{line!r}: {pattern!r} not in the answer {answer!r}")
        else:
            position = match.end()
    for pattern in unwanted:
        match = re.search(pattern, answer, re.MULTILINE)
        if match:
            failures.append(f"{line!r}: unexpected {match.group(0)!r} in {answer!r}")


def cpu_failures(output: str, cpus: int) -> list[str]:
    """What the kernel's bring-up lines in `output` say against a boot on `cpus` CPUs (the
    same checks m6_add_qemu_smp_tests makes with run_qemu.py): every CPU came online, the
    last one by name, and none failed to start or check in."""
    failures: list[str] = []
    if not re.search(rf"^m6: {cpus} of {cpus} CPUs? online$", output, re.MULTILINE):
        failures.append(f"'m6: {cpus} of {cpus} CPUs online' not seen")
    if cpus > 1 and not re.search(rf"^m6: CPU {cpus - 1} online", output, re.MULTILINE):
        failures.append(f"'m6: CPU {cpus - 1} online' not seen")
    for bad in ("did not start", "did not check in"):
        if bad in output:
            failures.append(f"a CPU {bad}")
    return failures
