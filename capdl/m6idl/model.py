"""The parsed form of an interface description, with its message layout."""

from __future__ import annotations

from dataclasses import dataclass, field

from m6capdl.diagnostics import Span

# Message registers of one message (M6_MSG_MAX_WORDS in <m6/abi/message.h>).
MAX_WORDS = 64

# Scalar IDL type -> C type. `cap` is a cptr sent as a number (no cap transfer).
C_TYPES = {
    "u8": "uint8_t", "u16": "uint16_t", "u32": "uint32_t", "u64": "uint64_t",
    "i32": "int32_t", "i64": "int64_t", "bool": "bool", "cap": "m6_cptr_t",
}


@dataclass(frozen=True)
class Param:
    name: str
    type: str            # a C_TYPES key, or "bytes"
    size: int            # bytes[N]: N; scalars: 0
    span: Span
    name_span: Span

    @property
    def words(self) -> int:
        """Message registers it takes: bytes[N] is a length word and N bytes, 8 a word."""
        return 1 + (self.size + 7) // 8 if self.type == "bytes" else 1

    @property
    def c_type(self) -> str:
        return C_TYPES.get(self.type, "")


@dataclass
class Method:
    name: str
    span: Span
    params: list[Param] = field(default_factory=list)
    results: list[Param] = field(default_factory=list)
    label: int = 0

    @staticmethod
    def words_of(params: list[Param]) -> int:
        return sum(p.words for p in params)


@dataclass
class Interface:
    name: str
    span: Span
    methods: list[Method] = field(default_factory=list)
