"""Random edits of valid specs must give exit status 0 or 1 with a diagnostic, never a
traceback, an internal error or a hang: token edits (delete, duplicate, swap, insert,
replace), and number edits (each number or unit swapped for an extreme one: 0, 1, 2^64,
huge, negative), the kind of edit that found sizes without bounds and a division by zero."""

from __future__ import annotations

import random
import re
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import HELLO, run

_TOKEN = re.compile(r"\s+|//[^\n]*|/\*.*?\*/|\"[^\"\n]*\"|\w+|.", re.S)
_JUNK = list("{}.\"/*\\#$;:=-+0123456789") + ["\n", "\t", "é", "\0", "0x", "badge", "KiB",
                                                 "component", "}", "system", "99999999999999999999999",
                                                 "thread", "linux", "fault", "grant", "rwx", "r", "at",
                                                 "0x40000000", "GiB", "device", "irq", "memory", "map",
                                                 "assert", "cannot", "reach", "cnode_bits", "include"]


def _mutate(tokens: list[str], rng: random.Random) -> str:
    tokens = list(tokens)
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(tokens))
        op = rng.choice(("delete", "duplicate", "swap", "insert", "replace"))
        if op == "delete":
            del tokens[i]
        elif op == "duplicate":
            tokens.insert(i, tokens[i])
        elif op == "swap":
            j = rng.randrange(len(tokens))
            tokens[i], tokens[j] = tokens[j], tokens[i]
        elif op == "insert":
            tokens.insert(i, rng.choice(_JUNK))
        else:
            tokens[i] = rng.choice(_JUNK)
        if not tokens:
            break
    return "".join(tokens)


VALID = Path(__file__).resolve().parent / "specs" / "valid"
SOURCES = [HELLO, VALID / "threads.m6", VALID / "drivers.m6", VALID / "timer.m6"]
SOURCE_IDS = ["hello", "threads", "drivers", "timer"]

_NUMBER = re.compile(r"0[xX][0-9a-fA-F]+|[0-9]+")
_UNIT_WORDS = ("B", "KiB", "MiB", "GiB")
_EXTREMES = ["0", "1", "2", "3", "4095", "4097", "255", "256", "1019", "1020", "0x0", "0x1000",
             "0x40000000", "99999", "2147483648", "4294967296", "18446744073709551615",
             "18446744073709551616", "0xffffffffffffffff", "0x10000000000000000",
             "0xfffffffffffffffffffff000", "9" * 70, "-1", "-0", "1e9", "0x"]


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Fail a case that does not finish (a check must never hang)."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _swap_numbers(tokens: list[str], rng: random.Random) -> str:
    tokens = list(tokens)
    numbers = [i for i, t in enumerate(tokens) if _NUMBER.fullmatch(t)]
    units = [i for i, t in enumerate(tokens) if t in _UNIT_WORDS]
    for _ in range(rng.randint(1, 3)):
        if units and rng.random() < 0.3:
            tokens[rng.choice(units)] = rng.choice(_UNIT_WORDS)
        else:
            i = rng.choice(numbers)
            tokens[i] = rng.choice(("0", "1")) if rng.random() < 0.3 else rng.choice(_EXTREMES)
            if rng.random() < 0.2 and i + 2 < len(tokens) and tokens[i + 2] not in _UNIT_WORDS:
                tokens[i] += " " + rng.choice(_UNIT_WORDS)  # a number becomes a size
    return "".join(tokens)


def _check_case(spec: Path, text: str, case: int) -> int:
    spec.write_text(text, encoding="utf-8")
    start = time.perf_counter()
    with _deadline(10.0):
        result = run("check", str(spec))
    context = f"case {case}:\n{text}\n--- stderr:\n{result.stderr}"
    assert time.perf_counter() - start < 10.0, context
    assert result.status in (0, 1), context
    assert "internal error" not in result.stderr, context
    assert "Traceback" not in result.stderr, context
    if result.status == 1:
        assert "error:" in result.stderr, context
    return result.status


@pytest.mark.parametrize("source", SOURCES[:3], ids=SOURCE_IDS[:3])
def test_fuzz_check(source: Path, tmp_path: Path) -> None:
    tokens = _TOKEN.findall(source.read_text())
    rng = random.Random(0x6D36)
    spec = tmp_path / "fuzz.m6"
    statuses = {0: 0, 1: 0}
    for case in range(250):
        statuses[_check_case(spec, _mutate(tokens, rng), case)] += 1
    assert statuses[1] > 80  # the edits really do break things


@pytest.mark.parametrize("source", SOURCES, ids=SOURCE_IDS)
def test_fuzz_numbers(source: Path, tmp_path: Path) -> None:
    tokens = _TOKEN.findall(source.read_text())
    rng = random.Random(0x6D37)
    spec = tmp_path / "fuzz.m6"
    statuses = {0: 0, 1: 0}
    for case in range(120):
        statuses[_check_case(spec, _swap_numbers(tokens, rng), case)] += 1
    assert statuses[1] > 40
