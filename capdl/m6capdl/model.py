"""The parsed form of a system spec: plain dataclasses, one per construct.

The parser keeps every statement in source order, including duplicates and
nonsense values, and leaves judging them to checks.py. That way one run can report
every problem, and the cap slot order (declaration order) falls out of the list.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from m6capdl.diagnostics import Span


@dataclass(frozen=True)
class Ident:
    """A name together with where it was written."""

    text: str
    span: Span


@dataclass(frozen=True)
class Number:
    value: int
    span: Span
    text: str = ""  # as written, for messages


@dataclass(frozen=True)
class Statement:
    """Base of every statement inside a component; `span` covers the whole statement
    when it sits on one line, else its keyword."""

    span: Span

    keyword = ""


@dataclass(frozen=True)
class BinaryStmt(Statement):
    name: str
    name_span: Span

    keyword = "binary"


@dataclass(frozen=True)
class PriorityStmt(Statement):
    value: Number

    keyword = "priority"


@dataclass(frozen=True)
class StackStmt(Statement):
    size: Number  # in bytes, unit already applied; span covers number and unit

    keyword = "stack"


@dataclass(frozen=True)
class EndpointStmt(Statement):
    name: Ident

    keyword = "endpoint"


@dataclass(frozen=True)
class EndpointCapStmt(Statement):
    """`call c.e as N badge b` or `send c.e as N [badge b]`."""

    kind: str  # "call" or "send"
    component: Ident
    endpoint: Ident
    alias: Ident
    badge: Number | None

    @property
    def keyword(self) -> str:  # type: ignore[override]
        return self.kind


@dataclass(frozen=True)
class SyscapStmt(Statement):
    name: Ident

    keyword = "syscap"


@dataclass
class Component:
    name: Ident
    statements: list[Statement] = field(default_factory=list)

    def first(self, kind: type[Statement]) -> Statement | None:
        for stmt in self.statements:
            if isinstance(stmt, kind):
                return stmt
        return None

    @property
    def binary(self) -> str:
        stmt = self.first(BinaryStmt)
        assert isinstance(stmt, BinaryStmt), "checked before layout"
        return stmt.name

    @property
    def priority(self) -> int:
        stmt = self.first(PriorityStmt)
        assert isinstance(stmt, PriorityStmt), "checked before layout"
        return stmt.value.value

    @property
    def stack_size(self) -> int:
        stmt = self.first(StackStmt)
        return stmt.size.value if isinstance(stmt, StackStmt) else DEFAULT_STACK_SIZE

    @property
    def endpoints(self) -> list[EndpointStmt]:
        return [s for s in self.statements if isinstance(s, EndpointStmt)]


@dataclass
class System:
    name: Ident
    platform: Ident
    components: list[Component] = field(default_factory=list)

    def component(self, name: str) -> Component | None:
        for comp in self.components:
            if comp.name.text == name:
                return comp
        return None


DEFAULT_STACK_SIZE = 16 * 1024
