"""The parser (parser.py: Lark, LALR, the model built while parsing, positions from the
tokens). Checked: the exact model, spans included, of a spec that uses every construct;
that every grammar rule has its builder; that the model holds no Lark object; that every
spec of the repository parses; and that random edits of specs give a model or exactly one
syntax error, never another exception."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import lark
import pytest

from conftest import REPO
from m6capdl import model, parser
from m6capdl.diagnostics import Severity, Span, SpecError
from test_fuzz import _TOKEN, _mutate, _swap_numbers

CORPUS = sorted(p for p in REPO.glob("**/*.m6") if "build" not in p.relative_to(REPO).parts[:1])
VALID = [p for p in CORPUS if "invalid" not in p.parts]

EVERY = """\
system demo on qemu-virt {
    memory shm 8 KiB r
    include "more.m6"
    assert a cannot reach b.ep
    assert b can reach memory shm
    component a {
        binary "a_bin" priority 10 max_priority 0x14 stack 16KiB
        endpoint ep notification n timer t syscap debug_console
        call b.ep as B badge 0x10 grant send b.ep as S
        signal b.n as N badge 3 fault b.ep badge 7
        untyped pool 1 MiB at 0x40000000 map shm rw at 0x20000000 as M heap 64 KiB
        device uart compatible "arm,pl011" index 1 device rtc "/pl031@9010000" irq 33 as I edge
        cnode_bits 8 linux /* a comment */ irq 34 as J level map shm
        thread worker { entry "worker_main" priority 5 stack 8 KiB max_priority 6 linux fault b.ep badge 2 }
    }
    component b { binary "b" priority // the value is on the next line
        1 map shm r as
        S thread
        t2 { entry "t2" } }
}
"""
LINES = EVERY.splitlines()


def sp(line: int, snippet: str, after: str = "", file: str = "") -> Span:
    """The span of `snippet` on `line` of EVERY (its first occurrence after `after`)."""
    column = LINES[line - 1].index(after + snippet) + len(after) + 1
    return Span(line, column, len(snippet), file)


def ident(line: int, text: str, after: str = "") -> model.Ident:
    return model.Ident(text, sp(line, text, after))


def number(line: int, text: str, value: int, after: str = "", written: str = "") -> model.Number:
    """`text` as it spans (a size with its unit), `written` the number alone if different."""
    return model.Number(value, sp(line, text, after), written or text)


def expected_every() -> model.System:
    thread = model.ThreadStmt(sp(14, "thread worker"), ident(14, "worker"), (
        model.EntryStmt(sp(14, 'entry "worker_main"'), "worker_main", sp(14, '"worker_main"')),
        model.PriorityStmt(sp(14, "priority 5"), number(14, "5", 5)),
        model.StackStmt(sp(14, "stack 8 KiB"), number(14, "8 KiB", 8192, written="8")),
        model.MaxPriorityStmt(sp(14, "max_priority 6"), number(14, "6", 6)),
        model.LinuxStmt(sp(14, "linux")),
        model.FaultStmt(sp(14, "fault b.ep badge 2"), ident(14, "b", "fault "), ident(14, "ep", "fault b."),
                        number(14, "2", 2, "badge ")),
    ))
    a = model.Component(ident(6, "a"), [
        model.BinaryStmt(sp(7, 'binary "a_bin"'), "a_bin", sp(7, '"a_bin"')),
        model.PriorityStmt(sp(7, "priority 10"), number(7, "10", 10)),
        model.MaxPriorityStmt(sp(7, "max_priority 0x14"), number(7, "0x14", 20)),
        model.StackStmt(sp(7, "stack 16KiB"), number(7, "16KiB", 16384, written="16")),
        model.EndpointStmt(sp(8, "endpoint ep"), ident(8, "ep")),
        model.NotificationStmt(sp(8, "notification n"), ident(8, "n", "notification ")),
        model.TimerStmt(sp(8, "timer t"), ident(8, "t", "timer ")),
        model.SyscapStmt(sp(8, "syscap debug_console"), ident(8, "debug_console")),
        model.EndpointCapStmt(sp(9, "call b.ep as B badge 0x10 grant"), "call", ident(9, "b", "call "),
                              ident(9, "ep", "call b."), ident(9, "B"), number(9, "0x10", 16), True),
        model.EndpointCapStmt(sp(9, "send b.ep as S"), "send", ident(9, "b", "send "), ident(9, "ep", "send b."),
                              ident(9, "S"), None, False),
        model.SignalStmt(sp(10, "signal b.n as N badge 3"), ident(10, "b", "signal "), ident(10, "n", "signal b."),
                         ident(10, "N"), number(10, "3", 3)),
        model.FaultStmt(sp(10, "fault b.ep badge 7"), ident(10, "b", "fault "), ident(10, "ep", "fault b."),
                        number(10, "7", 7)),
        model.UntypedStmt(sp(11, "untyped pool 1 MiB at 0x40000000"), ident(11, "pool"),
                          number(11, "1 MiB", 1 << 20, written="1"), number(11, "0x40000000", 0x40000000)),
        model.MapStmt(sp(11, "map shm rw at 0x20000000 as M"), ident(11, "shm"), ident(11, "rw"),
                      number(11, "0x20000000", 0x20000000), ident(11, "M", "as ")),
        model.HeapStmt(sp(11, "heap 64 KiB"), number(11, "64 KiB", 65536, written="64")),
        model.DeviceStmt(sp(12, 'device uart compatible "arm,pl011" index 1'), ident(12, "uart"), None,
                         "arm,pl011", sp(12, '"arm,pl011"'), number(12, "1", 1, "index ")),
        model.DeviceStmt(sp(12, 'device rtc "/pl031@9010000"'), ident(12, "rtc"), "/pl031@9010000", None,
                         sp(12, '"/pl031@9010000"'), None),
        model.IrqStmt(sp(12, "irq 33 as I edge"), number(12, "33", 33), ident(12, "I"), True),
        model.CNodeBitsStmt(sp(13, "cnode_bits 8"), number(13, "8", 8)),
        model.LinuxStmt(sp(13, "linux")),
        model.IrqStmt(sp(13, "irq 34 as J level"), number(13, "34", 34), ident(13, "J"), False),
        model.MapStmt(sp(13, "map shm"), ident(13, "shm", "map "), None, None, None),
        thread,
    ])
    b = model.Component(ident(16, "b", "component "), [
        model.BinaryStmt(sp(16, 'binary "b"'), "b", sp(16, '"b"')),
        # Over two lines: the span is the keyword's first character.
        model.PriorityStmt(Span(16, sp(16, "priority").column, 1), number(17, "1", 1)),
        model.MapStmt(Span(17, sp(17, "map").column, 1), ident(17, "shm"), ident(17, "r"), None, ident(18, "S")),
        model.ThreadStmt(Span(18, sp(18, "thread").column, 6), ident(19, "t2"), (
            model.EntryStmt(sp(19, 'entry "t2"'), "t2", sp(19, '"t2"')),)),
    ])
    system = model.System(ident(1, "demo"), ident(1, "qemu-virt"), [a, b])
    system.memories.append(model.MemoryDecl(sp(2, "memory shm 8 KiB r"), ident(2, "shm"),
                                            number(2, "8 KiB", 8192, written="8"), ident(2, "r", "KiB ")))
    system.includes.append(model.Include(sp(3, 'include "more.m6"'), "more.m6", sp(3, '"more.m6"')))
    system.assertions += [
        model.Assertion(sp(4, "assert a cannot reach b.ep"), ident(4, "a", "assert "), True,
                        model.Target(ident(4, "b"), ident(4, "ep"), None, sp(4, "b.ep"))),
        model.Assertion(sp(5, "assert b can reach memory shm"), ident(5, "b"), False,
                        model.Target(None, None, ident(5, "shm"), sp(5, "memory shm"))),
    ]
    return system


def test_every_construct_builds_the_expected_model() -> None:
    assert parser.parse(EVERY) == expected_every()


def test_a_module_names_its_file_in_every_span() -> None:
    text = 'component c { binary "c" priority 1 }\nmemory m 4 KiB\nassert c cannot reach memory m\n'
    module = parser.parse(text, file="inc/c.m6", module=True)
    assert (module.name.text, module.platform.text) == ("", "")
    spans = [module.components[0].name.span, *(s.span for s in module.components[0].statements),
             module.memories[0].span, module.assertions[0].target.span]
    assert all(s.file == "inc/c.m6" for s in spans)
    assert module.memories[0].span == Span(2, 1, 14, "inc/c.m6")
    # The next parse is of the top-level spec again: its spans name no file.
    assert parser.parse(EVERY).components[0].name.span.file == ""


def test_every_rule_has_a_builder() -> None:
    """A rule without a method would put a lark Tree into the model; rules that Lark
    inlines (`_rule`, `?rule` of one child) need none."""
    rules = parser._grammar().lark.rules
    missing = {r.origin.name for r in rules
               if not r.origin.name.startswith("_") and not r.options.expand1
               and not callable(getattr(parser._Builder, str(r.origin.name), None))}
    assert not missing


def _lark_objects(value: Any, path: str = "") -> list[str]:
    """Where `value` holds a lark Token (a str subclass) or Tree, or anything but model
    objects, plain values and containers of them."""
    if isinstance(value, (lark.Token, lark.Tree)):
        return [path]
    if type(value) in (str, int, bool, type(None)):
        return []
    if isinstance(value, (list, tuple)):
        return [p for i, v in enumerate(value) for p in _lark_objects(v, f"{path}[{i}]")]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _lark_objects(v, f"{path}[{k!r}]")]
    if dataclasses.is_dataclass(value):
        return [p for f in dataclasses.fields(value)
                for p in _lark_objects(getattr(value, f.name), f"{path}.{f.name}")]
    return [f"{path}: {type(value).__name__}"]


def test_the_model_holds_no_lark_object() -> None:
    assert _lark_objects(parser.parse(EVERY)) == []


def test_every_valid_spec_of_the_repository_parses() -> None:
    assert len(VALID) > 8
    for path in VALID:
        system = parser.parse(path.read_text(encoding="utf-8"))
        assert system.components or system.includes, path


@pytest.mark.parametrize("text", [
    'system s on qemu-virt { component a { binary "a" priority 1 stack 16KiB } }',  # no space
    'system s on qemu-virt { component a { binary "a" priority1 } }',  # the lexer cuts "priority"
])
def test_legal_oddities(text: str) -> None:
    last = parser.parse(text).components[0].statements[-1]
    assert isinstance(last, (model.StackStmt, model.PriorityStmt)) and last.span.line == 1
    assert (last.size if isinstance(last, model.StackStmt) else last.value).value in (16384, 1)


def _parses_or_one_error(text: str, module: bool) -> None:
    try:
        system = parser.parse(text, "f.m6", module)
    except SpecError as exc:
        [diag] = exc.diagnostics
        assert diag.severity is Severity.ERROR and diag.span is not None, text
        assert diag.span.file == "f.m6" and 1 <= diag.span.line <= text.count("\n") + 1, text
        return
    assert _lark_objects(system) == [], text
    assert system == parser.parse(text, "f.m6", module), text  # nothing left over between parses


@pytest.mark.parametrize("source", ["examples/hello/hello.m6", "test/capdl/specs/valid/drivers.m6",
                                    "test/capdl/specs/valid/threads.m6", "test/capdl/specs/valid/timer.m6"])
def test_random_edits_give_a_model_or_one_error(source: str) -> None:
    tokens = _TOKEN.findall((REPO / source).read_text())
    rng = random.Random(0x6D38)
    for _ in range(200):
        for text in (_mutate(tokens, rng), _swap_numbers(tokens, rng)):
            _parses_or_one_error(text, False)
            _parses_or_one_error(text, True)


def test_every_spec_of_the_repository_gives_a_model_or_one_error() -> None:
    assert len(CORPUS) > 100
    for path in CORPUS:
        _parses_or_one_error(path.read_text(encoding="utf-8", errors="replace"), False)
