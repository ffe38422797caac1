"""Text -> model.System.

Two parsers, one language. The grammar (grammar.lark, parsed by Lark in syntax.py) is the
definition and reports every syntax error. Well-formed specs are parsed by the small
recursive-descent parser below, several times faster (parsing was most of the compile
time of a large system), which builds exactly the model the grammar's parser would. It
takes only what it is sure of: a spec it does not take, for whatever reason (an error, or
a legal oddity such as `16KiB` without a space), goes to the grammar, so it can never
refuse a spec the grammar accepts nor word an error differently. test_parser.py checks
that both parsers agree on every spec of the corpus and on random edits of them.
"""

from __future__ import annotations

import re

from m6capdl import model
from m6capdl.diagnostics import Span

UNITS = {"B": 1, "KiB": 1024, "MiB": 1024 * 1024, "GiB": 1024 * 1024 * 1024}

# Longer numbers are out of every range anyway; capping them also keeps Python's
# int-from-string digit limit out of reach.
_MAX_DIGITS = 64
_TOO_BIG = 2**256


def number_value(text: str) -> int:
    """The value of an INT token: decimal or 0x hexadecimal."""
    is_hex = text[:2].lower() == "0x"
    digits = text[2:] if is_hex else text
    if len(digits.lstrip("0")) > _MAX_DIGITS:
        return _TOO_BIG
    return int(digits, 16 if is_hex else 10)


def parse(text: str, file: str = "", module: bool = False) -> model.System:
    """Parse a whole spec (or, with `module`, an included file: items without the
    `system` header; `file` is how its spans name it). Raises SpecError with one
    diagnostic on a syntax error."""
    try:
        return _Parser(text, file).parse(module)
    except _NotMine:
        pass
    from m6capdl import syntax  # the grammar: only needed for errors and oddities

    return syntax.parse(text, file, module)


# ---------------------------------------------------------------------------
# The fast parser


class _NotMine(Exception):
    """The fast parser does not take this text: the grammar decides."""


# Tokens, as the grammar's terminals would cut them. A word is a NAME, a keyword, a unit
# or rights, or (with '-') a platform name; a number directly followed by a letter
# (`16KiB`) is left to the grammar.
_TOKEN = re.compile(r"""
    (?P<space>[ \t\r\n]+)
  | (?P<comment>//[^\n]*|/\*[\s\S]*?\*/)
  | (?P<word>[A-Za-z_][A-Za-z0-9_-]*)
  | (?P<int>(?:0[xX][0-9a-fA-F]+|[0-9]+)(?![A-Za-z0-9_]))
  | (?P<string>"[^"\\\n]*")
  | (?P<punct>[{}.])
""", re.VERBOSE)

_RIGHTS = frozenset(("r", "rw", "rx", "w", "x", "wx", "rwx"))
_TRIGGERS = frozenset(("edge", "level"))

# A token: kind ("word", "int", "string", or the punctuation itself), text, line, column.
_Tok = tuple[str, str, int, int]
_END: _Tok = ("end", "", 0, 0)


def _tokens(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    line, line_start = 1, 0
    pos, end = 0, len(text)
    match = _TOKEN.match
    while pos < end:
        m = match(text, pos)
        if m is None:
            raise _NotMine
        kind = m.lastgroup
        value = m.group()
        if kind == "space" or kind == "comment":
            newlines = value.count("\n")
            if newlines:
                line += newlines
                line_start = pos + value.rindex("\n") + 1
        else:
            out.append((value if kind == "punct" else kind, value, line, pos - line_start + 1))
        pos = m.end()
    out.append(_END)
    return out


class _Parser:
    def __init__(self, text: str, file: str) -> None:
        self.toks = _tokens(text)
        self.pos = 0
        self.file = file

    # -- tokens

    def next(self) -> _Tok:
        tok = self.toks[self.pos]
        self.pos += 1
        return tok

    def peek(self) -> _Tok:
        return self.toks[self.pos]

    def expect(self, kind: str) -> _Tok:
        tok = self.toks[self.pos]
        if tok[0] != kind:
            raise _NotMine
        self.pos += 1
        return tok

    def keyword(self, word: str) -> _Tok:
        tok = self.toks[self.pos]
        if tok[0] != "word" or tok[1] != word:
            raise _NotMine
        self.pos += 1
        return tok

    def at_word(self, *words: str) -> bool:
        tok = self.toks[self.pos]
        return tok[0] == "word" and tok[1] in words

    def name(self) -> model.Ident:
        tok = self.expect("word")
        if "-" in tok[1]:
            raise _NotMine
        return model.Ident(tok[1], self.span(tok))

    # -- spans, as syntax.py makes them from Lark's positions

    def span(self, tok: _Tok) -> Span:
        return Span(tok[2], tok[3], max(1, len(tok[1])), self.file)

    def stmt_span(self, first: _Tok) -> Span:
        """From `first` to the end of the last token taken (one line), else `first`."""
        last = self.toks[self.pos - 1]
        if last[2] == first[2]:
            return Span(first[2], first[3], max(1, last[3] + len(last[1]) - first[3]), self.file)
        return Span(first[2], first[3], 1, self.file)

    def number(self) -> model.Number:
        tok = self.expect("int")
        return model.Number(number_value(tok[1]), self.span(tok), tok[1])

    def size(self) -> model.Number:
        number = self.number()
        unit = self.peek()
        if unit[0] != "word" or unit[1] not in UNITS:
            return number
        self.pos += 1
        span = number.span
        if unit[2] == span.line:
            span = Span(span.line, span.column, unit[3] + len(unit[1]) - span.column, self.file)
        return model.Number(number.value * UNITS[unit[1]], span, number.text)

    def string(self) -> tuple[str, Span]:
        tok = self.expect("string")
        return tok[1][1:-1], self.span(tok)

    def optional_number(self, word: str) -> model.Number | None:
        if self.at_word(word):
            self.pos += 1
            return self.number()
        return None

    # -- structure

    def parse(self, module: bool) -> model.System:
        if module:
            system = model.System(model.Ident("", Span(1, 1)), model.Ident("", Span(1, 1)))
            self.items(system, "end")
        else:
            self.keyword("system")
            name = self.name()
            self.keyword("on")
            tok = self.expect("word")  # a platform name may contain '-'
            system = model.System(name, model.Ident(tok[1], self.span(tok)))
            self.expect("{")
            self.items(system, "}")
            self.expect("}")
        if self.peek() is not _END:
            raise _NotMine
        return system

    def items(self, system: model.System, stop: str) -> None:
        while True:
            tok = self.peek()
            if tok[0] == stop:
                return
            if tok[0] != "word":
                raise _NotMine
            word = tok[1]
            if word == "component":
                system.components.append(self.component())
            elif word == "memory":
                self.pos += 1
                name = self.name()
                size = self.size()
                rights = self.rights()
                system.memories.append(model.MemoryDecl(self.stmt_span(tok), name, size, rights))
            elif word == "include":
                self.pos += 1
                path, span = self.string()
                system.includes.append(model.Include(self.stmt_span(tok), path, span))
            elif word == "assert":
                self.pos += 1
                subject = self.name()
                if not self.at_word("cannot", "can"):
                    raise _NotMine
                negative = self.next()[1] == "cannot"
                self.keyword("reach")
                target = self.target()
                system.assertions.append(model.Assertion(self.stmt_span(tok), subject, negative, target))
            else:
                raise _NotMine

    def rights(self) -> model.Ident | None:
        tok = self.peek()
        if tok[0] == "word" and tok[1] in _RIGHTS:
            self.pos += 1
            return model.Ident(tok[1], self.span(tok))
        return None

    def target(self) -> model.Target:
        first = self.peek()
        if self.at_word("memory"):
            self.pos += 1
            return model.Target(None, None, self.name(), self.stmt_span(first))
        comp = self.name()
        name = None
        if self.peek()[0] == ".":
            self.pos += 1
            name = self.name()
        return model.Target(comp, name, None, self.stmt_span(first))

    def component(self) -> model.Component:
        self.pos += 1
        name = self.name()
        self.expect("{")
        statements: list[model.Statement] = []
        while self.peek()[0] != "}":
            statements.append(self.statement())
        self.pos += 1
        return model.Component(name, statements)

    def endpoint_ref(self) -> tuple[model.Ident, model.Ident]:
        comp = self.name()
        self.expect(".")
        return comp, self.name()

    def statement(self, in_thread: bool = False) -> model.Statement:
        """One statement of a component (or, `in_thread`, of a thread block)."""
        tok = self.expect("word")
        word = tok[1]
        if word == "priority":
            value = self.number()
            return model.PriorityStmt(self.stmt_span(tok), value)
        if word == "stack":
            size = self.size()
            return model.StackStmt(self.stmt_span(tok), size)
        if word == "max_priority":
            value = self.number()
            return model.MaxPriorityStmt(self.stmt_span(tok), value)
        if word == "linux":
            return model.LinuxStmt(self.stmt_span(tok))
        if word == "fault":
            comp, endpoint = self.endpoint_ref()
            badge = self.optional_number("badge")
            return model.FaultStmt(self.stmt_span(tok), comp, endpoint, badge)
        if in_thread:
            if word == "entry":
                symbol, span = self.string()
                return model.EntryStmt(self.stmt_span(tok), symbol, span)
            raise _NotMine
        if word == "binary":
            binary, span = self.string()
            return model.BinaryStmt(self.stmt_span(tok), binary, span)
        if word in ("endpoint", "notification", "timer", "syscap"):
            name = self.name()
            kind = {"endpoint": model.EndpointStmt, "notification": model.NotificationStmt,
                    "timer": model.TimerStmt, "syscap": model.SyscapStmt}[word]
            return kind(self.stmt_span(tok), name)
        if word in ("call", "send"):
            comp, endpoint = self.endpoint_ref()
            self.keyword("as")
            alias = self.name()
            badge = self.optional_number("badge")
            grant = self.at_word("grant")
            if grant:
                self.pos += 1
            return model.EndpointCapStmt(self.stmt_span(tok), word, comp, endpoint, alias, badge, grant)
        if word == "signal":
            comp, notification = self.endpoint_ref()
            self.keyword("as")
            alias = self.name()
            badge = self.optional_number("badge")
            return model.SignalStmt(self.stmt_span(tok), comp, notification, alias, badge)
        if word == "untyped":
            name = self.name()
            size = self.size()
            paddr = self.optional_number("at")
            return model.UntypedStmt(self.stmt_span(tok), name, size, paddr)
        if word == "map":
            memory = self.name()
            rights = self.rights()
            vaddr = self.optional_number("at")
            alias = None
            if self.at_word("as"):
                self.pos += 1
                alias = self.name()
            return model.MapStmt(self.stmt_span(tok), memory, rights, vaddr, alias)
        if word == "heap":
            size = self.size()
            return model.HeapStmt(self.stmt_span(tok), size)
        if word == "device":
            name = self.name()
            compatible = self.at_word("compatible")
            if compatible:
                self.pos += 1
            value, span = self.string()
            index = self.optional_number("index") if compatible else None
            return model.DeviceStmt(self.stmt_span(tok), name, None if compatible else value,
                                    value if compatible else None, span, index)
        if word == "irq":
            number = self.number()
            self.keyword("as")
            name = self.name()
            edge = False
            if self.at_word(*_TRIGGERS):
                edge = self.next()[1] == "edge"
            return model.IrqStmt(self.stmt_span(tok), number, name, edge)
        if word == "cnode_bits":
            value = self.number()
            return model.CNodeBitsStmt(self.stmt_span(tok), value)
        if word == "thread":
            return self.thread(tok)
        raise _NotMine

    def thread(self, keyword: _Tok) -> model.ThreadStmt:
        name = self.name()
        # The span is the keyword and name only: a thread block spans several lines.
        if name.span.line == keyword[2]:
            span = Span(keyword[2], keyword[3], name.span.column + name.span.length - keyword[3], self.file)
        else:
            span = Span(keyword[2], keyword[3], 6, self.file)
        self.expect("{")
        statements: list[model.Statement] = []
        while self.peek()[0] != "}":
            statements.append(self.statement(in_thread=True))
        self.pos += 1
        return model.ThreadStmt(span, name, tuple(statements))
