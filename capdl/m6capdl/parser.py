"""Text -> model.System, with the Lark grammar (grammar.lark, LALR(1), contextual lexer),
and Lark's syntax errors turned into our diagnostics.

The model is built while Lark parses: the builder below is given to the Lark
constructor, so each rule's callback runs as the rule is reduced and no parse tree is
made. Positions come from the tokens themselves (no `propagate_positions`): the grammar
marks statement rules `!`, so a callback sees every token of its statement, the keyword
first and the last token last, and the `_` rules (badge, at, ...) are inlined into them.
The grammar is compiled once per process.
"""

from __future__ import annotations

import functools
import unicodedata
from importlib import resources
from typing import Any, NamedTuple

import lark
from lark import Lark, Token, Transformer

from m6capdl import model
from m6capdl.diagnostics import Diagnostic, Span, SpecError, error

UNITS = {"B": 1, "KiB": 1024, "MiB": 1024 * 1024, "GiB": 1024 * 1024 * 1024}

# Longer numbers are out of every range anyway; capping them also keeps Python's
# int-from-string digit limit out of reach.
_MAX_DIGITS = 64
_TOO_BIG = 2**256

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

_NO_SPAN = Span(1, 1)


def number_value(text: str) -> int:
    """The value of an INT token: decimal or 0x hexadecimal."""
    if text[:2] in ("0x", "0X"):
        digits, base = text[2:], 16
    else:
        digits, base = text, 10
    if len(digits) > _MAX_DIGITS and len(digits.lstrip("0")) > _MAX_DIGITS:
        return _TOO_BIG
    return int(digits, base)


class _Builder(Transformer[Token, Any]):
    """Builds model objects bottom-up, one rule reduction at a time. Used by one parse at
    a time (parsing is synchronous and never re-entered): `file` names the file every
    span of the current parse belongs to ("" = the top-level spec)."""

    def __init__(self) -> None:
        super().__init__(visit_tokens=False)
        self.file = ""

    # -- positions

    def tok_span(self, tok: Token) -> Span:
        # Every token a rule sees was lexed: it has a position and at least one character.
        return Span(tok.line, tok.column, len(tok.value), self.file)

    def span(self, first: Token, last: Token) -> Span:
        """From the start of `first` to the end of `last` when they share a line, else
        `first`'s first character (a statement written over several lines)."""
        if first.line == last.end_line:
            return Span(first.line, first.column, last.end_column - first.column, self.file)
        return Span(first.line, first.column, 1, self.file)

    def ident(self, tok: Token) -> model.Ident:
        text = tok.value
        return model.Ident(text, Span(tok.line, tok.column, len(text), self.file))

    def number(self, tok: Token) -> model.Number:
        text = tok.value
        return model.Number(number_value(text), Span(tok.line, tok.column, len(text), self.file), text)

    def size(self, number_tok: Token, unit: Token | None) -> model.Number:
        """INT UNIT? -> bytes; the span covers the number and, on the same line, its unit."""
        number = self.number(number_tok)
        if unit is None:
            return number
        span = number.span
        if unit.line == span.line:
            span = Span(span.line, span.column, unit.end_column - span.column, self.file)
        return model.Number(number.value * UNITS[unit.value], span, number.text)

    def optional_number(self, children: list[Token], at: int, keyword: str) -> model.Number | None:
        """The INT after `keyword` at children[at], if the statement has it."""
        if len(children) > at + 1 and children[at].type == keyword:
            return self.number(children[at + 1])
        return None

    # -- statements; `c` is every token of the statement (see grammar.lark)

    def binary_stmt(self, c: list[Token]) -> model.BinaryStmt:
        return model.BinaryStmt(self.span(c[0], c[-1]), c[1].value[1:-1], self.tok_span(c[1]))

    def priority_stmt(self, c: list[Token]) -> model.PriorityStmt:
        return model.PriorityStmt(self.span(c[0], c[-1]), self.number(c[1]))

    def stack_stmt(self, c: list[Token]) -> model.StackStmt:
        return model.StackStmt(self.span(c[0], c[-1]), self.size(c[1], c[2] if len(c) > 2 else None))

    def max_priority_stmt(self, c: list[Token]) -> model.MaxPriorityStmt:
        return model.MaxPriorityStmt(self.span(c[0], c[-1]), self.number(c[1]))

    def max_timeslice_stmt(self, c: list[Token]) -> model.MaxTimesliceStmt:
        return model.MaxTimesliceStmt(self.span(c[0], c[-1]), self.number(c[1]))

    def cpu_stmt(self, c: list[Token]) -> model.CpuStmt:
        return model.CpuStmt(self.span(c[0], c[-1]), self.number(c[1]))

    def linux_stmt(self, c: list[Token]) -> model.LinuxStmt:
        return model.LinuxStmt(self.span(c[0], c[-1]))

    def untyped_stmt(self, c: list[Token]) -> model.UntypedStmt:
        # untyped NAME INT UNIT? ("at" INT)?
        unit = c[3] if len(c) > 3 and c[3].type == "UNIT" else None
        paddr = self.optional_number(c, 4 if unit is not None else 3, "AT")
        return model.UntypedStmt(self.span(c[0], c[-1]), self.ident(c[1]), self.size(c[2], unit), paddr)

    def map_stmt(self, c: list[Token]) -> model.MapStmt:
        # map NAME RIGHTS? ("at" INT)? ("as" NAME)?
        i = 2
        rights = None
        if len(c) > i and c[i].type == "RIGHTS":
            rights = self.ident(c[i])
            i += 1
        vaddr = self.optional_number(c, i, "AT")
        if vaddr is not None:
            i += 2
        alias = self.ident(c[i + 1]) if len(c) > i + 1 else None
        return model.MapStmt(self.span(c[0], c[-1]), self.ident(c[1]), rights, vaddr, alias)

    def heap_stmt(self, c: list[Token]) -> model.HeapStmt:
        return model.HeapStmt(self.span(c[0], c[-1]), self.size(c[1], c[2] if len(c) > 2 else None))

    def device_stmt(self, c: list[Token]) -> model.DeviceStmt:
        # device NAME STRING | device NAME "compatible" STRING ("index" INT)?
        span = self.span(c[0], c[-1])
        name = self.ident(c[1])
        if c[2].type == "COMPATIBLE":
            string = c[3]
            return model.DeviceStmt(span, name, None, string.value[1:-1], self.tok_span(string),
                                    self.optional_number(c, 4, "INDEX"))
        string = c[2]
        return model.DeviceStmt(span, name, string.value[1:-1], None, self.tok_span(string), None)

    def irq_stmt(self, c: list[Token]) -> model.IrqStmt:
        # irq INT "as" NAME TRIGGER?
        edge = len(c) > 4 and c[4].value == "edge"
        return model.IrqStmt(self.span(c[0], c[-1]), self.number(c[1]), self.ident(c[3]), edge)

    def args_stmt(self, c: list[Token]) -> model.ArgsStmt:
        # args STRING+
        return model.ArgsStmt(self.span(c[0], c[-1]), tuple(t.value[1:-1] for t in c[1:]),
                              tuple(self.tok_span(t) for t in c[1:]))

    def pci_match(self, c: list[Token]) -> model.PciMatch:
        # "class" INT | "vendor" INT ("device" INT)?
        device = self.optional_number(c, 2, "DEVICE_KW")
        kind = "class" if c[0].type == "CLASS_KW" else "vendor"
        return model.PciMatch(kind, self.number(c[1]), device, self.span(c[0], c[-1]))

    def pci_claim_stmt(self, c: list[Token]) -> model.PciClaimStmt:
        # "pci" NAME? "claims" match "as" NAME
        bus = self.ident(c[1]) if c[1].type == "NAME" else None
        first = 2 if bus is not None else 1
        return model.PciClaimStmt(self.span(c[0], c[-1]), bus, self.pci_match(c[first + 1:-2]), self.ident(c[-1]))

    def pci_bus_stmt(self, c: list[Token]) -> model.PciBusStmt:
        return model.PciBusStmt(self.span(c[0], c[-1]), self.ident(c[1]))

    def cnode_bits_stmt(self, c: list[Token]) -> model.CNodeBitsStmt:
        return model.CNodeBitsStmt(self.span(c[0], c[-1]), self.number(c[1]))

    def asid_pool_stmt(self, c: list[Token]) -> model.AsidPoolStmt:
        return model.AsidPoolStmt(self.span(c[0], c[-1]), self.number(c[1]))

    def endpoint_stmt(self, c: list[Token]) -> model.EndpointStmt:
        return model.EndpointStmt(self.span(c[0], c[-1]), self.ident(c[1]))

    def notification_stmt(self, c: list[Token]) -> model.NotificationStmt:
        return model.NotificationStmt(self.span(c[0], c[-1]), self.ident(c[1]))

    def timer_stmt(self, c: list[Token]) -> model.TimerStmt:
        return model.TimerStmt(self.span(c[0], c[-1]), self.ident(c[1]))

    def syscap_stmt(self, c: list[Token]) -> model.SyscapStmt:
        return model.SyscapStmt(self.span(c[0], c[-1]), self.ident(c[1]))

    def signal_stmt(self, c: list[Token]) -> model.SignalStmt:
        # signal NAME "." NAME "as" NAME ("badge" INT)?
        return model.SignalStmt(self.span(c[0], c[-1]), self.ident(c[1]), self.ident(c[3]), self.ident(c[5]),
                                self.optional_number(c, 6, "BADGE"))

    def fault_stmt(self, c: list[Token]) -> model.FaultStmt:
        # fault NAME "." NAME ("badge" INT)?
        return model.FaultStmt(self.span(c[0], c[-1]), self.ident(c[1]), self.ident(c[3]),
                               self.optional_number(c, 4, "BADGE"))

    def restart_stmt(self, c: list[Token]) -> model.RestartStmt:
        # restart "by" NAME "." NAME
        return model.RestartStmt(self.span(c[0], c[-1]), self.ident(c[2]), self.ident(c[4]), None)

    def _endpoint_cap(self, c: list[Token]) -> model.EndpointCapStmt:
        # call|send NAME "." NAME "as" NAME ("badge" INT)? GRANT? ("window" INT UNIT?)?
        window = None
        at = next((i for i, t in enumerate(c) if t.type == "WINDOW"), None)
        if at is not None:
            window = self.size(c[at + 1], c[at + 2] if len(c) > at + 2 else None)
        return model.EndpointCapStmt(self.span(c[0], c[-1]), c[0].value, self.ident(c[1]), self.ident(c[3]),
                                     self.ident(c[5]), self.optional_number(c, 6, "BADGE"),
                                     any(t.type == "GRANT" for t in c), window)

    call_stmt = _endpoint_cap
    send_stmt = _endpoint_cap

    def mount_stmt(self, c: list[Token]) -> model.MountStmt:
        # mount STRING "tmpfs" (INT UNIT?)? RO? | mount STRING ("initrd" | "remote") NAME RO?
        ro = c[-1].type == "RO"
        rest = c[3:-1] if ro else c[3:]
        size, target = None, None
        if c[2].type == "TMPFS":
            if rest:
                size = self.size(rest[0], rest[1] if len(rest) > 1 else None)
        else:
            target = self.ident(rest[0])
        return model.MountStmt(self.span(c[0], c[-1]), c[1].value[1:-1], self.tok_span(c[1]), c[2].value,
                               self.tok_span(c[2]), size, target, ro)

    def disk_stmt(self, c: list[Token]) -> model.DiskStmt:
        # disk NAME "image" STRING "via" NAME RO? ("size" INT UNIT?)?
        at = next((i for i, t in enumerate(c) if t.type == "SIZE"), None)
        size = self.size(c[at + 1], c[at + 2] if len(c) > at + 2 else None) if at is not None else None
        return model.DiskStmt(self.span(c[0], c[-1]), self.ident(c[1]), c[3].value[1:-1], self.tok_span(c[3]),
                              self.ident(c[5]), any(t.type == "RO" for t in c), size)

    def entry_stmt(self, c: list[Token]) -> model.EntryStmt:
        return model.EntryStmt(self.span(c[0], c[-1]), c[1].value[1:-1], self.tok_span(c[1]))

    def thread_stmt(self, c: list[Any]) -> model.ThreadStmt:
        # thread NAME "{" statement* "}"; the span is the keyword and name only: a thread
        # block spans several lines.
        keyword, name = c[0], self.ident(c[1])
        if name.span.line == keyword.line:
            span = Span(keyword.line, keyword.column, name.span.column + name.span.length - keyword.column,
                        self.file)
        else:
            span = Span(keyword.line, keyword.column, 6, self.file)
        return model.ThreadStmt(span, name, tuple(c[3:-1]))

    # Thread-level spellings of the same statements (see grammar.lark for why).
    thread_priority = priority_stmt
    thread_stack = stack_stmt
    thread_max_priority = max_priority_stmt
    thread_linux = linux_stmt
    thread_fault = fault_stmt
    thread_cpu = cpu_stmt

    # -- system-level items

    def memory_decl(self, c: list[Token]) -> model.MemoryDecl:
        # memory NAME INT UNIT? RIGHTS?  |  memory NAME "file" STRING RIGHTS?
        rights = self.ident(c[-1]) if c[-1].type == "RIGHTS" else None
        if c[2].type == "FILE":
            key = self.tok_span(c[3])
            # The size is the file's, known once files.py has looked at it.
            return model.MemoryDecl(self.span(c[0], c[-1]), self.ident(c[1]), model.Number(0, key, ""), rights,
                                    file=c[3].value[1:-1], file_span=key)
        unit = c[3] if len(c) > 3 and c[3].type == "UNIT" else None
        return model.MemoryDecl(self.span(c[0], c[-1]), self.ident(c[1]), self.size(c[2], unit), rights)

    def channel_decl(self, c: list[Token]) -> model.ChannelDecl:
        # channel NAME "from" NAME "to" NAME "depth" INT ("data" INT UNIT?)?
        data = None
        if len(c) > 8:
            data = self.size(c[9], c[10] if len(c) > 10 else None)
        return model.ChannelDecl(self.span(c[0], c[-1]), self.ident(c[1]), self.ident(c[3]), self.ident(c[5]),
                                 self.number(c[7]), data)

    def include_stmt(self, c: list[Token]) -> model.Include:
        return model.Include(self.span(c[0], c[-1]), c[1].value[1:-1], self.tok_span(c[1]))

    def assert_stmt(self, c: list[Token]) -> model.Assertion:
        # assert NAME ("cannot" | "can") "reach" target, target: NAME ("." NAME)? | "memory" NAME
        first = c[4]
        span = self.span(first, c[-1])
        if first.type == "PCI_KW":
            target = model.Target(None, None, None, span, pci=self.pci_match(c[5:]))
        elif first.type == "MEMORY_KW":
            # NAME, or NAME.NAME.NAME (a window): one name, spanning all of it
            last = c[-1]
            name = "".join(t.value for t in c[5:])
            length = last.end_column - c[5].column if last.line == c[5].line else len(c[5].value)
            target = model.Target(None, None, model.Ident(name, Span(c[5].line, c[5].column, length, self.file)),
                                  span)
        else:
            target = model.Target(self.ident(first), self.ident(c[6]) if len(c) > 6 else None, None, span)
        return model.Assertion(self.span(c[0], c[-1]), self.ident(c[1]), c[2].type == "CANNOT", target)

    def component(self, c: list[Any]) -> model.Component:
        return model.Component(self.ident(c[0]), c[1:])

    def system(self, c: list[Any]) -> model.System:
        system = model.System(self.ident(c[0]), self.ident(c[1]))
        _add_items(system, c[2:])
        return system

    def module(self, c: list[Any]) -> model.System:
        system = model.System(model.Ident("", _NO_SPAN), model.Ident("", _NO_SPAN))
        _add_items(system, c)
        return system

    def start(self, c: list[Any]) -> model.System:
        return c[0]


def _add_items(system: model.System, items: list[Any]) -> None:
    for item in items:
        if isinstance(item, model.Component):
            system.components.append(item)
        elif isinstance(item, model.MemoryDecl):
            system.memories.append(item)
        elif isinstance(item, model.Assertion):
            system.assertions.append(item)
        elif isinstance(item, model.ChannelDecl):
            system.channels.append(item)
        else:
            system.includes.append(item)


class _Grammar(NamedTuple):
    lark: Lark
    builder: _Builder


@functools.lru_cache(maxsize=1)
def _grammar() -> _Grammar:
    # Compiling the grammar takes some 50 ms, once per process. Lark's `cache=True` would
    # save most of it, but it unpickles a file of a predictable name in the shared temp
    # directory (whoever can write there first could run code in every build): not used.
    text = resources.files("m6capdl").joinpath("grammar.lark").read_text(encoding="utf-8")
    builder = _Builder()
    parser = Lark(text, parser="lalr", transformer=builder, maybe_placeholders=False,
                  start=["start", "module"])
    return _Grammar(parser, builder)


def parse(text: str, file: str = "", module: bool = False) -> model.System:
    """Parse a whole spec (or, with `module`, an included file: items without the
    `system` header; `file` is how its spans name it). Raises SpecError with one
    diagnostic on a syntax error."""
    grammar = _grammar()
    grammar.builder.file = file
    try:
        result = grammar.lark.parse(text, start="module" if module else "start")
    except lark.UnexpectedInput as exc:
        raise SpecError([_syntax_error(text, exc, file)]) from None
    finally:
        grammar.builder.file = ""
    assert isinstance(result, model.System)
    return result


# ---------------------------------------------------------------------------
# Syntax errors


@functools.lru_cache(maxsize=1)
def _terminal_display() -> dict[str, str]:
    shown = dict(_TERMINAL_WORDS)
    for term in _grammar().lark.terminals:
        if term.name not in shown and isinstance(term.pattern, lark.lexer.PatternStr):
            shown[term.name] = f"'{term.pattern.value}'"
    return shown


def _describe_expected(names: set[str] | frozenset[str]) -> list[str]:
    shown = _terminal_display()
    words = {shown.get(n, n) for n in names if not n.startswith("__")}
    # Quoted keywords first (they are what a user most likely mistyped), then classes.
    return sorted(words, key=lambda w: (not w.startswith("'"), w))


def _end_span(text: str, file: str) -> Span:
    lines = text.splitlines() or [""]
    # Point just past the last non-blank line: that is where something is missing.
    for index in range(len(lines) - 1, -1, -1):
        if lines[index].strip():
            return Span(index + 1, len(lines[index].rstrip()) + 1, 1, file)
    return Span(1, 1, 1, file)


def _syntax_error(text: str, exc: lark.UnexpectedInput, file: str) -> Diagnostic:
    if isinstance(exc, lark.UnexpectedCharacters):
        span = Span(exc.line, exc.column, 1, file)
        if text.startswith("/*", exc.pos_in_stream):
            return error("unterminated block comment", Span(exc.line, exc.column, 2, file),
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
            found, span = "end of file", _end_span(text, file)
        else:
            found = _describe_token(tok)
            span = Span(tok.line or 1, tok.column or 1, max(1, len(tok)), file)
        if expected == ["end of file"]:
            return error(f"expected end of file, found {found}", span,
                         "a spec holds one system: everything goes inside its braces")
        if len(expected) == 1:
            return error(f"expected {expected[0]}, found {found}", span)
        return error(f"unexpected {found}", span, _expected_hint(expected))
    # UnexpectedEOF is only raised by other parser kinds; keep a sane fallback.
    return error("unexpected end of file", _end_span(text, file))


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
