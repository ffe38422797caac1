"""The fast parser (parser.py) and the grammar (syntax.py, Lark) must agree: whatever the
fast parser takes, the grammar takes too and builds the same model (spans included); what
it does not take goes to the grammar. Checked on every spec of the repository and on
random edits of them."""

from __future__ import annotations

import random

import pytest

from conftest import REPO
from m6capdl import model, parser, syntax
from m6capdl.diagnostics import Span, SpecError
from test_fuzz import _TOKEN, _mutate, _swap_numbers

CORPUS = sorted(p for p in REPO.glob("**/*.m6") if "build" not in p.relative_to(REPO).parts[:1])


def _grammar(text: str, module: bool) -> model.System | None:
    try:
        return syntax.parse(text, "f.m6", module)
    except SpecError:
        return None


def _fast(text: str, module: bool) -> model.System | None:
    try:
        return parser._Parser(text, "f.m6").parse(module)
    except parser._NotMine:
        return None


def _agree(text: str) -> bool:
    """Compare on `text`; True if the fast parser took it."""
    took = False
    for module in (False, True):
        fast = _fast(text, module)
        if fast is not None:
            assert fast == _grammar(text, module), text
            took = True
    return took


def test_corpus_is_found() -> None:
    assert len(CORPUS) > 100


def test_both_parsers_agree_on_the_corpus() -> None:
    taken = sum(_agree(p.read_text(encoding="utf-8", errors="replace")) for p in CORPUS)
    assert taken > 20  # the valid specs and examples (and every invalid one that parses)
    for p in (REPO / "examples" / "hello" / "hello.m6", REPO / "test" / "capdl" / "specs" / "valid" / "drivers.m6"):
        assert _fast(p.read_text(), False) is not None, f"{p} should take the fast path"


@pytest.mark.parametrize("source", ["examples/hello/hello.m6", "test/capdl/specs/valid/drivers.m6",
                                    "test/capdl/specs/valid/threads.m6", "test/capdl/specs/valid/timer.m6"])
def test_both_parsers_agree_on_edits(source: str) -> None:
    tokens = _TOKEN.findall((REPO / source).read_text())
    rng = random.Random(0x6D38)
    for _ in range(150):
        _agree(_mutate(tokens, rng))
        _agree(_swap_numbers(tokens, rng))


@pytest.mark.parametrize("text", [
    'system s on qemu-virt { component a { binary "a" priority 1 stack 16KiB } }',  # no space
    'system s on qemu-virt { component a { binary "a" priority1 } }',  # the grammar cuts "priority"
])
def test_legal_oddities_go_to_the_grammar(text: str) -> None:
    assert _fast(text, False) is None
    system = parser.parse(text)
    assert system == syntax.parse(text) and system.components[0].statements[-1].span.line == 1


def test_positions_across_lines_and_comments() -> None:
    text = ('/* a\n comment */ system s on qemu-virt {\n\tcomponent a { // c\n binary "a"\n'
            ' priority\n 7 map m rw at 0x20000000 as\n M }\n memory m 8 KiB r\n'
            ' assert a can reach memory m }\n')
    assert _agree(text)
    system = parser.parse(text)
    prio, mapping = system.components[0].statements[1:]
    assert prio.span == Span(5, 2, 1)  # over two lines: the keyword only
    assert mapping.span.line == 6 and mapping.alias is not None and mapping.alias.span.line == 7
