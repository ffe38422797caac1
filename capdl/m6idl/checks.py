"""Semantic checks: names, sizes, and that every message fits the message registers."""

from __future__ import annotations

from m6capdl.diagnostics import Diagnostic, error
from m6idl import model

# Words kept free in every request and answer: none today; the label carries the method.
_C_KEYWORDS = {"auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
               "enum", "extern", "float", "for", "goto", "if", "int", "long", "register", "return",
               "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union",
               "unsigned", "void", "volatile", "while", "bool", "inline", "restrict"}
# Names the generated code itself uses inside stubs and dispatch.
_RESERVED = {"ep", "ctx", "badge", "ops", "m", "buf", "words", "status"}


def check(interfaces: list[model.Interface]) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    seen: dict[str, model.Interface] = {}
    for iface in interfaces:
        if iface.name in seen:
            diags.append(error(f"duplicate interface '{iface.name}'", iface.span,
                               f"first declared at line {seen[iface.name].span.line}"))
        seen.setdefault(iface.name, iface)
        methods: dict[str, model.Method] = {}
        for method in iface.methods:
            if method.name in methods:
                diags.append(error(f"duplicate method '{method.name}' in interface '{iface.name}'",
                                   method.span, f"first declared at line {methods[method.name].span.line}"))
            methods.setdefault(method.name, method)
            _check_method(iface, method, diags)
    return diags


def _check_method(iface: model.Interface, method: model.Method, diags: list[Diagnostic]) -> None:
    names: dict[str, model.Param] = {}
    for what, params in (("parameters", method.params), ("results", method.results)):
        for p in params:
            if p.name in names:
                diags.append(error(f"duplicate name '{p.name}' in method '{method.name}'", p.name_span,
                                   f"first used at line {names[p.name].name_span.line}; parameters and "
                                   f"results share one namespace (they become C arguments)"))
            names.setdefault(p.name, p)
            if p.name in _C_KEYWORDS or p.name in _RESERVED:
                diags.append(error(f"'{p.name}' cannot be a parameter name", p.name_span,
                                   "it is a C keyword or a name the generated code uses"))
            if p.type == "bytes" and not 1 <= p.size <= 8 * (model.MAX_WORDS - 1):
                diags.append(error(f"bytes[{p.size}] is out of range", p.span,
                                   f"a byte array holds 1 to {8 * (model.MAX_WORDS - 1)} bytes"))
        words = model.Method.words_of(params)
        if words > model.MAX_WORDS:
            diags.append(error(f"the {what} of '{iface.name}.{method.name}' take {words} message words, "
                               f"more than {model.MAX_WORDS}", method.span,
                               "a message has 64 words: each scalar takes one, bytes[N] takes 1 + N/8; "
                               "split the method or share memory for bulk data"))
