"""The reference parser: the Lark grammar (grammar.lark), and its syntax errors turned
into our diagnostics.

parser.py parses well-formed specs with a faster hand-written parser and comes here for
anything that parser does not take: every syntax error is reported from this grammar, and
a spec the grammar accepts is never refused.
"""

from __future__ import annotations

import functools
import unicodedata
from importlib import resources
from typing import Any

import lark
from lark import Lark, Token, Transformer, v_args

from m6capdl import model
from m6capdl.diagnostics import Diagnostic, Span, SpecError, error
from m6capdl.parser import UNITS as _UNITS, number_value

# How terminals are named to a user in "expected ..." hints. Keywords and punctuation
# are shown quoted, taken from the grammar itself so the two cannot drift apart.
_TERMINAL_WORDS = {
    "NAME": "a name",
    "PLATFORM": "a platform name",
    "INT": "a number",
    "STRING": 'a quoted string',
    "UNIT": "a unit (B, KiB, MiB, GiB)",
    "RIGHTS": "rights (r, rw, rx)",
    "TRIGGER": "'edge' or 'level'",
    "GRANT": "'grant'",
    "CANNOT": "'cannot'",
    "CAN": "'can'",
    "MEMORY_KW": "'memory'",
    "COMPATIBLE": "'compatible'",
    "$END": "end of file",
    "<END-OF-FILE>": "end of file",  # what the contextual lexer calls it
}


@functools.lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = resources.files("m6capdl").joinpath("grammar.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=False,
                start=["start", "module"])


# The file every span made during one parse() belongs to ("" = the top-level spec). A
# module-level setting rather than a parameter threaded through every helper: parsing is
# synchronous and never re-entered.
_file = ""


@functools.lru_cache(maxsize=1)
def _terminal_display() -> dict[str, str]:
    shown = dict(_TERMINAL_WORDS)
    for term in _parser().terminals:
        if term.name not in shown and isinstance(term.pattern, lark.lexer.PatternStr):
            shown[term.name] = f"'{term.pattern.value}'"
    return shown


def _describe_expected(names: set[str] | frozenset[str]) -> list[str]:
    shown = _terminal_display()
    words = {shown.get(n, n) for n in names if not n.startswith("__")}
    # Quoted keywords first (they are what a user most likely mistyped), then classes.
    return sorted(words, key=lambda w: (not w.startswith("'"), w))


def _token_span(tok: Token) -> Span:
    return Span(tok.line or 1, tok.column or 1, max(1, len(str(tok))), _file)


def _meta_span(meta: Any) -> Span:
    if meta.line == meta.end_line:
        return Span(meta.line, meta.column, max(1, meta.end_column - meta.column), _file)
    return Span(meta.line, meta.column, 1, _file)


def _parse_int(tok: Token) -> model.Number:
    text = str(tok)
    return model.Number(number_value(text), _token_span(tok), text)


class _Builder(Transformer[Token, Any]):
    """Builds model objects bottom-up from the Lark tree."""

    @v_args(meta=True)
    def binary_stmt(self, meta: Any, children: list[Token]) -> model.BinaryStmt:
        tok = children[0]
        return model.BinaryStmt(_meta_span(meta), str(tok)[1:-1], _token_span(tok))

    @v_args(meta=True)
    def priority_stmt(self, meta: Any, children: list[Token]) -> model.PriorityStmt:
        return model.PriorityStmt(_meta_span(meta), _parse_int(children[0]))

    @v_args(meta=True)
    def stack_stmt(self, meta: Any, children: list[Token]) -> model.StackStmt:
        return model.StackStmt(_meta_span(meta), _parse_size(children))

    @v_args(meta=True)
    def max_priority_stmt(self, meta: Any, children: list[Token]) -> model.MaxPriorityStmt:
        return model.MaxPriorityStmt(_meta_span(meta), _parse_int(children[0]))

    @v_args(meta=True)
    def linux_stmt(self, meta: Any, children: list[Token]) -> model.LinuxStmt:
        return model.LinuxStmt(_meta_span(meta))

    @v_args(meta=True)
    def untyped_stmt(self, meta: Any, children: list[Any]) -> model.UntypedStmt:
        at = children[-1] if isinstance(children[-1], _At) else None
        size = [c for c in children[1:] if isinstance(c, Token)]
        return model.UntypedStmt(_meta_span(meta), _ident(children[0]), _parse_size(size),
                                 at.number if at else None)

    def at(self, children: list[Token]) -> "_At":
        return _At(_parse_int(children[0]))

    def alias(self, children: list[Token]) -> model.Ident:
        return _ident(children[0])

    def index(self, children: list[Token]) -> model.Number:
        return _parse_int(children[0])

    @v_args(meta=True)
    def map_stmt(self, meta: Any, children: list[Any]) -> model.MapStmt:
        rights = next((_ident(c) for c in children[1:] if isinstance(c, Token)), None)
        at = next((c.number for c in children if isinstance(c, _At)), None)
        alias = next((c for c in children[1:] if isinstance(c, model.Ident)), None)
        return model.MapStmt(_meta_span(meta), _ident(children[0]), rights, at, alias)

    @v_args(meta=True)
    def heap_stmt(self, meta: Any, children: list[Token]) -> model.HeapStmt:
        return model.HeapStmt(_meta_span(meta), _parse_size(children))

    @v_args(meta=True)
    def device_stmt(self, meta: Any, children: list[Any]) -> model.DeviceStmt:
        name = _ident(children[0])
        index = children[-1] if isinstance(children[-1], model.Number) else None
        string = next(c for c in children[1:] if isinstance(c, Token) and c.type == "STRING")
        by_compatible = any(isinstance(c, Token) and c.type == "COMPATIBLE" for c in children)
        value = str(string)[1:-1]
        return model.DeviceStmt(_meta_span(meta), name, None if by_compatible else value,
                                value if by_compatible else None, _token_span(string), index)

    @v_args(meta=True)
    def irq_stmt(self, meta: Any, children: list[Token]) -> model.IrqStmt:
        edge = len(children) > 2 and str(children[2]) == "edge"
        return model.IrqStmt(_meta_span(meta), _parse_int(children[0]), _ident(children[1]), edge)

    @v_args(meta=True)
    def cnode_bits_stmt(self, meta: Any, children: list[Token]) -> model.CNodeBitsStmt:
        return model.CNodeBitsStmt(_meta_span(meta), _parse_int(children[0]))

    @v_args(meta=True)
    def memory_decl(self, meta: Any, children: list[Token]) -> model.MemoryDecl:
        rights = next((_ident(c) for c in children if c.type == "RIGHTS"), None)
        size = [c for c in children[1:] if c.type in ("INT", "UNIT")]
        return model.MemoryDecl(_meta_span(meta), _ident(children[0]), _parse_size(size), rights)

    @v_args(meta=True)
    def include_stmt(self, meta: Any, children: list[Token]) -> model.Include:
        return model.Include(_meta_span(meta), str(children[0])[1:-1], _token_span(children[0]))

    @v_args(meta=True)
    def target(self, meta: Any, children: list[Token]) -> model.Target:
        span = _meta_span(meta)
        if children[0].type == "MEMORY_KW":
            return model.Target(None, None, _ident(children[1]), span)
        return model.Target(_ident(children[0]), _ident(children[1]) if len(children) > 1 else None, None, span)

    @v_args(meta=True)
    def assert_stmt(self, meta: Any, children: list[Any]) -> model.Assertion:
        return model.Assertion(_meta_span(meta), _ident(children[0]), children[1].type == "CANNOT", children[2])

    @v_args(meta=True)
    def notification_stmt(self, meta: Any, children: list[Token]) -> model.NotificationStmt:
        return model.NotificationStmt(_meta_span(meta), _ident(children[0]))

    @v_args(meta=True)
    def timer_stmt(self, meta: Any, children: list[Token]) -> model.TimerStmt:
        return model.TimerStmt(_meta_span(meta), _ident(children[0]))

    @v_args(meta=True)
    def signal_stmt(self, meta: Any, children: list[Any]) -> model.SignalStmt:
        comp, notification, alias = (_ident(t) for t in children[:3])
        badge = children[3] if len(children) > 3 else None
        return model.SignalStmt(_meta_span(meta), comp, notification, alias, badge)

    @v_args(meta=True)
    def fault_stmt(self, meta: Any, children: list[Any]) -> model.FaultStmt:
        comp, endpoint = (_ident(t) for t in children[:2])
        badge = children[2] if len(children) > 2 else None
        return model.FaultStmt(_meta_span(meta), comp, endpoint, badge)

    @v_args(meta=True)
    def entry_stmt(self, meta: Any, children: list[Token]) -> model.EntryStmt:
        tok = children[0]
        return model.EntryStmt(_meta_span(meta), str(tok)[1:-1], _token_span(tok))

    @v_args(meta=True)
    def thread_stmt(self, meta: Any, children: list[Any]) -> model.ThreadStmt:
        # The span is the keyword and name only: a thread block spans several lines.
        name = _ident(children[0])
        span = Span(meta.line, meta.column, name.span.column + name.span.length - meta.column, _file) \
            if name.span.line == meta.line else Span(meta.line, meta.column, 6, _file)
        return model.ThreadStmt(span, name, tuple(children[1:]))

    @v_args(meta=True)
    def endpoint_stmt(self, meta: Any, children: list[Token]) -> model.EndpointStmt:
        return model.EndpointStmt(_meta_span(meta), _ident(children[0]))

    def _endpoint_cap(self, kind: str, meta: Any, children: list[Any]) -> model.EndpointCapStmt:
        comp, endpoint, alias = (_ident(t) for t in children[:3])
        rest = children[3:]
        grant = bool(rest) and isinstance(rest[-1], Token) and rest[-1].type == "GRANT"
        if grant:
            rest = rest[:-1]
        badge = rest[0] if rest else None
        return model.EndpointCapStmt(_meta_span(meta), kind, comp, endpoint, alias, badge, grant)

    @v_args(meta=True)
    def call_stmt(self, meta: Any, children: list[Any]) -> model.EndpointCapStmt:
        return self._endpoint_cap("call", meta, children)

    @v_args(meta=True)
    def send_stmt(self, meta: Any, children: list[Any]) -> model.EndpointCapStmt:
        return self._endpoint_cap("send", meta, children)

    def badge(self, children: list[Token]) -> model.Number:
        return _parse_int(children[0])


    @v_args(meta=True)
    def syscap_stmt(self, meta: Any, children: list[Token]) -> model.SyscapStmt:
        return model.SyscapStmt(_meta_span(meta), _ident(children[0]))

    # Thread-level spellings of the same statements (see grammar.lark for why).
    thread_badge = badge
    thread_priority = priority_stmt
    thread_stack = stack_stmt
    thread_max_priority = max_priority_stmt
    thread_linux = linux_stmt
    thread_fault = fault_stmt

    def component(self, children: list[Any]) -> model.Component:
        return model.Component(_ident(children[0]), list(children[1:]))

    def system(self, children: list[Any]) -> model.System:
        system = model.System(_ident(children[0]), _ident(children[1]))
        _add_items(system, children[2:])
        return system

    def module(self, children: list[Any]) -> model.System:
        system = model.System(model.Ident("", Span(1, 1)), model.Ident("", Span(1, 1)))
        _add_items(system, children)
        return system

    def start(self, children: list[Any]) -> model.System:
        return children[0]


class _At:
    """`at N` while building: tells an address apart from other numbers."""

    def __init__(self, number: model.Number) -> None:
        self.number = number


def _add_items(system: model.System, items: list[Any]) -> None:
    for item in items:
        if isinstance(item, model.Component):
            system.components.append(item)
        elif isinstance(item, model.MemoryDecl):
            system.memories.append(item)
        elif isinstance(item, model.Assertion):
            system.assertions.append(item)
        else:
            system.includes.append(item)


def _parse_size(children: list[Token]) -> model.Number:
    """INT UNIT? -> bytes; the span covers the number and its unit."""
    number = _parse_int(children[0])
    span = number.span
    if len(children) > 1:
        unit = children[1]
        number = model.Number(number.value * _UNITS[str(unit)], number.span, number.text)
        if unit.line == span.line:
            span = Span(span.line, span.column, (unit.end_column or 0) - span.column, _file)
    return model.Number(number.value, span, number.text)


def _ident(tok: Token) -> model.Ident:
    return model.Ident(str(tok), _token_span(tok))


def _end_span(text: str) -> Span:
    lines = text.splitlines() or [""]
    # Point just past the last non-blank line: that is where something is missing.
    for index in range(len(lines) - 1, -1, -1):
        if lines[index].strip():
            return Span(index + 1, len(lines[index].rstrip()) + 1, 1, _file)
    return Span(1, 1, 1, _file)


def _syntax_error(text: str, exc: lark.UnexpectedInput) -> Diagnostic:
    if isinstance(exc, lark.UnexpectedCharacters):
        span = Span(exc.line, exc.column, 1, _file)
        if text.startswith("/*", exc.pos_in_stream):
            return error("unterminated block comment", Span(exc.line, exc.column, 2, _file),
                         "a '/*' comment must be closed with '*/'")
        char = exc.char
        if char == '"':
            return error("unterminated string", span, "a string must end with '\"' on the same line")
        expected = _describe_expected(exc.allowed or set())
        hint = _expected_hint(expected)
        if char == "\ufeff":
            hint = "the file starts with a byte-order mark: save it as UTF-8 without one"
        return error(f"unexpected character {_show_char(char)}", span, hint)
    if isinstance(exc, lark.UnexpectedToken):
        expected = _describe_expected(exc.expected)
        tok = exc.token
        if tok.type == "$END":
            found, span = "end of file", _end_span(text)
        else:
            found, span = _describe_token(tok), _token_span(tok)
        if expected == ["end of file"]:
            return error(f"expected end of file, found {found}", span,
                         "a spec holds one system: everything goes inside its braces")
        if len(expected) == 1:
            return error(f"expected {expected[0]}, found {found}", span)
        return error(f"unexpected {found}", span, _expected_hint(expected))
    # UnexpectedEOF is only raised by other parser kinds; keep a sane fallback.
    return error("unexpected end of file", _end_span(text))


def _show_char(char: str) -> str:
    """A character as a message shows it: quoted if it is plain ASCII to see, with its
    code point if not (U+FEFF, U+0000: what the terminal would not show)."""
    point = f"U+{ord(char):04X}"
    if " " < char < "\x7f":
        return f"'{char}'"
    if char.isprintable() and not char.isspace():
        return f"'{char}' ({point})"
    name = unicodedata.name(char, "")
    return f"{point} ({name.lower()})" if name else point


def _describe_token(tok: Token) -> str:
    if tok.type in ("NAME", "PLATFORM"):
        return f"name '{tok}'"
    if tok.type == "INT":
        return f"number {tok}"
    if tok.type == "STRING":
        return f"string {tok}"
    return f"'{tok}'"


def _expected_hint(expected: list[str]) -> str | None:
    if not expected:
        return None
    if len(expected) == 1:
        return f"expected {expected[0]}"
    return "expected one of: " + ", ".join(expected)


def parse(text: str, file: str = "", module: bool = False) -> model.System:
    """As parser.parse(), with the grammar."""
    global _file
    _file = file
    try:
        try:
            tree = _parser().parse(text, start="module" if module else "start")
        except lark.UnexpectedInput as exc:
            raise SpecError([_syntax_error(text, exc)]) from None
        result = _Builder().transform(tree)
    finally:
        _file = ""
    assert isinstance(result, model.System)
    return result
