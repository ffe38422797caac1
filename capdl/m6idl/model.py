"""The parsed form of an interface description, with its message layout.

The parser fills names and spans; checks.resolve() links every type name to its
declaration (`Param.decl`), after which `words` and the C names are meaningful.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from m6capdl.diagnostics import Span

# Message registers of one message (M6_MSG_MAX_WORDS in <m6/abi/message.h>).
MAX_WORDS = 64
# A label is one bit of a badge's allow mask (uint64_t): methods 1..63.
MAX_METHODS = 63
# Queue depths: a power of two, indices are free-running uint32_t.
MAX_QUEUE_DEPTH = 1 << 20

# Scalar IDL type -> C type. `cap` is a method result only: a cap the answer transfers
# (docs/abi.md, "Cap transfer"), which takes no message word.
C_TYPES = {
    "u8": "uint8_t", "u16": "uint16_t", "u32": "uint32_t", "u64": "uint64_t",
    "i32": "int32_t", "i64": "int64_t", "bool": "bool", "cap": "m6_cptr_t",
}


@dataclass
class Enumerator:
    name: str
    value: int
    span: Span


@dataclass
class Enum:
    name: str
    span: Span
    items: list[Enumerator] = field(default_factory=list)

    @property
    def c_type(self) -> str:
        return f"enum {self.name}"


@dataclass
class Struct:
    name: str
    span: Span
    fields: list[Param] = field(default_factory=list)

    @property
    def c_type(self) -> str:
        return f"struct {self.name}"

    @property
    def words(self) -> int:
        return sum(f.words for f in self.fields)


Decl = Union[Struct, Enum]


@dataclass
class Param:
    """A method parameter or result, or a struct field."""
    name: str
    type: str            # a C_TYPES key, "bytes", or the name of a struct or enum
    size: int            # bytes[N]: N; otherwise 0
    span: Span
    name_span: Span
    decl: Decl | None = None  # the struct or enum `type` names, once resolved

    @property
    def words(self) -> int:
        """Message registers it takes: bytes[N] is a length word and N bytes, 8 a word;
        a struct its fields' words; a scalar or enum one."""
        if self.type == "bytes":
            return 1 + (self.size + 7) // 8
        if self.type == "cap":
            return 0
        if isinstance(self.decl, Struct):
            return self.decl.words
        return 1

    @property
    def c_type(self) -> str:
        if self.decl is not None:
            return self.decl.c_type
        return C_TYPES.get(self.type, "")

    @property
    def is_struct(self) -> bool:
        return isinstance(self.decl, Struct)


@dataclass
class Method:
    name: str
    span: Span
    params: list[Param] = field(default_factory=list)
    results: list[Param] = field(default_factory=list)
    label: int = 0
    oneway: bool = False
    results_span: Span | None = None

    @staticmethod
    def words_of(params: list[Param]) -> int:
        return sum(p.words for p in params)

    @property
    def cap_result(self) -> Param | None:
        """The result the answer transfers as a cap (checks allow at most one)."""
        return next((p for p in self.results if p.type == "cap"), None)


@dataclass
class Interface:
    name: str
    span: Span
    methods: list[Method] = field(default_factory=list)
    errors: list[Enumerator] = field(default_factory=list)
    errors_spans: list[Span] = field(default_factory=list)  # one per `errors` block


@dataclass
class Queue:
    name: str
    span: Span
    entry: Param         # the entry type (its name is unused)
    depth: int
    depth_span: Span


@dataclass
class File:
    """One .idl file: its declarations in order."""
    items: list[Interface | Struct | Enum | Queue] = field(default_factory=list)

    @property
    def interfaces(self) -> list[Interface]:
        return [i for i in self.items if isinstance(i, Interface)]

    @property
    def structs(self) -> list[Struct]:
        return [i for i in self.items if isinstance(i, Struct)]

    @property
    def enums(self) -> list[Enum]:
        return [i for i in self.items if isinstance(i, Enum)]

    @property
    def queues(self) -> list[Queue]:
        return [i for i in self.items if isinstance(i, Queue)]
