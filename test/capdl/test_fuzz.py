"""Random edits of the hello spec must give exit status 0 or 1 with a diagnostic,
never a traceback or an internal error."""

from __future__ import annotations

import random
import re
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


@pytest.mark.parametrize("source", [HELLO, VALID / "threads.m6", VALID / "drivers.m6"],
                         ids=["hello", "threads", "drivers"])
def test_fuzz_check(source: Path, tmp_path: Path) -> None:
    tokens = _TOKEN.findall(source.read_text())
    rng = random.Random(0x6D36)
    spec = tmp_path / "fuzz.m6"
    statuses = {0: 0, 1: 0}
    for case in range(300):
        text = _mutate(tokens, rng)
        spec.write_text(text, encoding="utf-8")
        result = run("check", str(spec))
        context = f"case {case}:\n{text}\n--- stderr:\n{result.stderr}"
        assert result.status in (0, 1), context
        assert "internal error" not in result.stderr, context
        assert "Traceback" not in result.stderr, context
        if result.status == 1:
            assert "error:" in result.stderr, context
        statuses[result.status] += 1
    assert statuses[1] > 100  # the edits really do break things
