"""Text -> model.Interface list; Lark syntax errors become diagnostics."""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import lark
from lark import Lark, Token, Transformer, v_args

from m6capdl.diagnostics import Diagnostic, Span, SpecError, error
from m6idl import model

_WORDS = {"NAME": "a name", "INT": "a number", "SCALAR": "a type", "BYTES": "'bytes'",
          "ONEWAY": "'oneway'", "$END": "end of file"}


@functools.lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = resources.files("m6idl").joinpath("grammar.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=False)


def _span(tok: Token) -> Span:
    return Span(tok.line or 1, tok.column or 1, max(1, len(str(tok))))


def _int(tok: Token) -> int:
    text = str(tok)
    return int(text, 16) if text[:2].lower() == "0x" else int(text)


def _meta_span(meta: Any) -> Span:
    if meta.line == meta.end_line:
        return Span(meta.line, meta.column, max(1, meta.end_column - meta.column))
    return Span(meta.line, meta.column, 1)


class _Builder(Transformer[Token, Any]):
    @v_args(meta=True)
    def type(self, meta: Any, children: list[Token]) -> tuple[str, int, Span]:
        if children[0].type == "BYTES":
            text = str(children[1])
            size = int(text, 16) if text[:2].lower() == "0x" else int(text)
            return "bytes", size, _span(children[1])
        return str(children[0]), 0, _meta_span(meta)  # a scalar, or a struct or enum name

    def param(self, children: list[Any]) -> model.Param:
        kind, size, size_span = children[0]
        name = children[1]
        return model.Param(str(name), kind, size, size_span, _span(name))

    def params(self, children: list[model.Param]) -> list[model.Param]:
        return list(children)

    @v_args(meta=True)
    def method(self, meta: Any, children: list[Any]) -> model.Method:
        oneway = isinstance(children[0], Token) and children[0].type == "ONEWAY"
        if oneway:
            children = children[1:]
        method = model.Method(str(children[0]), _span(children[0]), oneway=oneway)
        for child in children[1:]:
            if isinstance(child, tuple):
                method.results = child[1]
                method.results_span = child[2]
            else:
                method.params = child
        return method

    @v_args(meta=True)
    def results(self, meta: Any, children: list[Any]) -> tuple[str, list[model.Param], Span]:
        return "results", children[0] if children else [], _meta_span(meta)

    @v_args(meta=True)
    def errors(self, meta: Any, children: list[Token]) -> tuple[Span, list[model.Enumerator]]:
        return _meta_span(meta), [model.Enumerator(str(t), i, _span(t)) for i, t in enumerate(children)]

    def interface(self, children: list[Any]) -> model.Interface:
        iface = model.Interface(str(children[0]), _span(children[0]))
        for child in children[1:]:
            if isinstance(child, tuple):
                iface.errors_spans.append(child[0])
                iface.errors += child[1]
            else:
                iface.methods.append(child)
        for label, method in enumerate(iface.methods, start=1):
            method.label = label
        return iface

    def field(self, children: list[Any]) -> model.Param:
        return self.param(children)

    def struct(self, children: list[Any]) -> model.Struct:
        return model.Struct(str(children[0]), _span(children[0]), list(children[1:]))

    def enumerator(self, children: list[Token]) -> tuple[Token, int | None]:
        return children[0], _int(children[1]) if len(children) > 1 else None

    def enum(self, children: list[Any]) -> model.Enum:
        decl = model.Enum(str(children[0]), _span(children[0]))
        value = 0
        for name, given in children[1:]:
            value = value if given is None else given
            decl.items.append(model.Enumerator(str(name), value, _span(name)))
            value += 1
        return decl

    def queue(self, children: list[Any]) -> model.Queue:
        kind, size, size_span = children[1]
        entry = model.Param("entry", kind, size, size_span, size_span)
        return model.Queue(str(children[0]), _span(children[0]), entry, _int(children[2]),
                           _span(children[2]))

    def start(self, children: list[Any]) -> model.File:
        return model.File(list(children))


def _syntax_error(text: str, exc: lark.UnexpectedInput) -> Diagnostic:
    if isinstance(exc, lark.UnexpectedCharacters):
        return error(f"unexpected character '{exc.char}'", Span(exc.line, exc.column, 1))
    if isinstance(exc, lark.UnexpectedToken):
        expected = sorted({_WORDS.get(n, f"'{_literal(n)}'") for n in exc.expected if not n.startswith("__")})
        tok = exc.token
        if tok.type == "$END":
            lines = text.rstrip().splitlines() or [""]
            span, found = Span(len(lines), len(lines[-1]) + 1, 1), "end of file"
        else:
            span, found = _span(tok), f"'{tok}'"
        hint = "expected " + (expected[0] if len(expected) == 1 else "one of: " + ", ".join(expected))
        return error(f"unexpected {found}", span, hint)
    return error("unexpected end of file", Span(1, 1, 1))


def _literal(name: str) -> str:
    for term in _parser().terminals:
        if term.name == name and isinstance(term.pattern, lark.lexer.PatternStr):
            return term.pattern.value
    return name


def parse(text: str) -> model.File:
    """Raises SpecError with one diagnostic on a syntax error."""
    try:
        tree = _parser().parse(text)
    except lark.UnexpectedInput as exc:
        raise SpecError([_syntax_error(text, exc)]) from None
    result = _Builder().transform(tree)
    assert isinstance(result, model.File)
    return result
