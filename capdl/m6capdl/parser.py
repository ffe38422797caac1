"""Text -> model.System, with Lark syntax errors turned into our diagnostics."""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import lark
from lark import Lark, Token, Transformer, v_args

from m6capdl import model
from m6capdl.diagnostics import Diagnostic, Span, SpecError, error

_UNITS = {"B": 1, "KiB": 1024, "MiB": 1024 * 1024}

# How terminals are named to a user in "expected ..." hints. Keywords and punctuation
# are shown quoted, taken from the grammar itself so the two cannot drift apart.
_TERMINAL_WORDS = {
    "NAME": "a name",
    "PLATFORM": "a platform name",
    "INT": "a number",
    "STRING": 'a quoted string',
    "UNIT": "a unit (B, KiB, MiB)",
    "$END": "end of file",
}


@functools.lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = resources.files("m6capdl").joinpath("grammar.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=False)


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
    return Span(tok.line or 1, tok.column or 1, max(1, len(str(tok))))


def _meta_span(meta: Any) -> Span:
    if meta.line == meta.end_line:
        return Span(meta.line, meta.column, max(1, meta.end_column - meta.column))
    return Span(meta.line, meta.column, 1)


# Longer numbers are out of every range anyway; capping them also keeps Python's
# int-from-string digit limit out of reach.
_MAX_DIGITS = 64
_TOO_BIG = 2**256


def _parse_int(tok: Token) -> model.Number:
    text = str(tok)
    is_hex = text[:2].lower() == "0x"
    digits = text[2:] if is_hex else text
    if len(digits.lstrip("0")) > _MAX_DIGITS:
        value = _TOO_BIG
    else:
        value = int(digits, 16 if is_hex else 10)
    return model.Number(value, _token_span(tok), text)


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
        number = _parse_int(children[0])
        span = number.span
        if len(children) > 1:
            unit = children[1]
            number = model.Number(number.value * _UNITS[str(unit)], number.span, number.text)
            if unit.line == span.line:
                span = Span(span.line, span.column, (unit.end_column or 0) - span.column)
        return model.StackStmt(_meta_span(meta), model.Number(number.value, span, number.text))

    @v_args(meta=True)
    def endpoint_stmt(self, meta: Any, children: list[Token]) -> model.EndpointStmt:
        return model.EndpointStmt(_meta_span(meta), _ident(children[0]))

    def _endpoint_cap(self, kind: str, meta: Any, children: list[Any]) -> model.EndpointCapStmt:
        comp, endpoint, alias = (_ident(t) for t in children[:3])
        badge = children[3] if len(children) > 3 else None
        return model.EndpointCapStmt(_meta_span(meta), kind, comp, endpoint, alias, badge)

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

    def component(self, children: list[Any]) -> model.Component:
        return model.Component(_ident(children[0]), list(children[1:]))

    def system(self, children: list[Any]) -> model.System:
        return model.System(_ident(children[0]), _ident(children[1]), list(children[2:]))

    def start(self, children: list[Any]) -> model.System:
        return children[0]


def _ident(tok: Token) -> model.Ident:
    return model.Ident(str(tok), _token_span(tok))


def _end_span(text: str) -> Span:
    lines = text.splitlines() or [""]
    # Point just past the last non-blank line: that is where something is missing.
    for index in range(len(lines) - 1, -1, -1):
        if lines[index].strip():
            return Span(index + 1, len(lines[index].rstrip()) + 1, 1)
    return Span(1, 1, 1)


def _syntax_error(text: str, exc: lark.UnexpectedInput) -> Diagnostic:
    if isinstance(exc, lark.UnexpectedCharacters):
        span = Span(exc.line, exc.column, 1)
        if text.startswith("/*", exc.pos_in_stream):
            return error("unterminated block comment", Span(exc.line, exc.column, 2),
                         "a '/*' comment must be closed with '*/'")
        char = exc.char
        if char == '"':
            return error("unterminated string", span, "a string must end with '\"' on the same line")
        expected = _describe_expected(exc.allowed or set())
        return error(f"unexpected character '{char}'", span, _expected_hint(expected))
    if isinstance(exc, lark.UnexpectedToken):
        expected = _describe_expected(exc.expected)
        tok = exc.token
        if tok.type == "$END":
            found, span = "end of file", _end_span(text)
        else:
            found, span = _describe_token(tok), _token_span(tok)
        if len(expected) == 1:
            return error(f"expected {expected[0]}, found {found}", span)
        return error(f"unexpected {found}", span, _expected_hint(expected))
    # UnexpectedEOF is only raised by other parser kinds; keep a sane fallback.
    return error("unexpected end of file", _end_span(text))


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


def parse(text: str) -> model.System:
    """Parse a whole spec. Raises SpecError with one diagnostic on a syntax error."""
    try:
        tree = _parser().parse(text)
    except lark.UnexpectedInput as exc:
        raise SpecError([_syntax_error(text, exc)]) from None
    result = _Builder().transform(tree)
    assert isinstance(result, model.System)
    return result
