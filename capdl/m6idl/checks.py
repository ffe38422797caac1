"""Semantic checks: names resolved (types declared before use), sizes, and that every
message fits the message registers. check() also links each type name to its
declaration, which the generator relies on."""

from __future__ import annotations

from m6capdl.diagnostics import Diagnostic, Span, error
from m6idl import model

_C_KEYWORDS = {"auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
               "enum", "extern", "float", "for", "goto", "if", "int", "long", "register", "return",
               "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union",
               "unsigned", "void", "volatile", "while", "bool", "inline", "restrict"}
# Names the generated code itself uses inside stubs and dispatch.
_RESERVED = {"ep", "ctx", "badge", "ops", "m", "buf", "words", "status", "state", "srv"}

# The file's structs and enums wherever declared, to tell "declared later" from "unknown".
_LATER: dict[str, model.Decl] = {}


def check(file: model.File) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    # Every top-level name becomes a C identifier (a struct, enum, queue or the prefix of
    # an interface's functions), so they share one namespace.
    seen: dict[str, tuple[str, Span]] = {}
    types: dict[str, model.Decl] = {}
    _LATER.clear()
    _LATER.update({i.name: i for i in file.items if isinstance(i, (model.Struct, model.Enum))})
    for item in file.items:
        kind = type(item).__name__.lower()
        if item.name in seen:
            what, span = seen[item.name]
            diags.append(error(f"duplicate name '{item.name}'", item.span,
                               f"the {what} at line {span.line} has it: structs, enums, queues "
                               f"and interfaces share one namespace (they become C names)"))
        elif item.name in _C_KEYWORDS or item.name in model.C_TYPES or item.name == "bytes":
            diags.append(error(f"'{item.name}' cannot be a name", item.span, "it is a C keyword or an IDL type"))
        seen.setdefault(item.name, (kind, item.span))
        if isinstance(item, model.Enum):
            _check_enum(item, diags)
            types.setdefault(item.name, item)
        elif isinstance(item, model.Struct):
            _check_struct(item, types, diags)
            types.setdefault(item.name, item)
        elif isinstance(item, model.Queue):
            _check_queue(item, types, diags)
        else:
            _check_interface(item, types, diags)
    return diags


def _resolve(p: model.Param, types: dict[str, model.Decl], diags: list[Diagnostic]) -> bool:
    """Link p to the struct or enum it names; False (with an error) if it names none."""
    if p.type == "bytes" or p.type in model.C_TYPES:
        return True
    decl = types.get(p.type)
    if decl is None and p.type in _LATER:
        diags.append(error(f"type '{p.type}' is used before its declaration", p.span,
                           f"it is declared at line {_LATER[p.type].span.line}; declare types before "
                           f"using them (as in C)"))
        return False
    if decl is None:
        diags.append(error(f"unknown type '{p.type}'", p.span,
                           "a type is a scalar (u8 u16 u32 u64 i32 i64 bool cap), bytes[N], or a "
                           "struct or enum declared earlier in the file"))
        return False
    p.decl = decl
    return True


def _check_enum(decl: model.Enum, diags: list[Diagnostic]) -> None:
    names: dict[str, model.Enumerator] = {}
    values: dict[int, model.Enumerator] = {}
    for item in decl.items:
        if item.name in names:
            diags.append(error(f"duplicate enumerator '{item.name}' in enum '{decl.name}'", item.span,
                               f"first declared at line {names[item.name].span.line}"))
        names.setdefault(item.name, item)
        if item.value in values:
            diags.append(error(f"enumerator '{item.name}' repeats the value {item.value}", item.span,
                               f"'{values[item.value].name}' has it already"))
        values.setdefault(item.value, item)
        if item.value >= 1 << 31:
            diags.append(error(f"enumerator '{item.name}' = {item.value} does not fit a C enum", item.span,
                               "values are 0 to 2^31-1"))


def _check_struct(decl: model.Struct, types: dict[str, model.Decl], diags: list[Diagnostic]) -> None:
    names: dict[str, model.Param] = {}
    if not decl.fields:
        diags.append(error(f"struct '{decl.name}' has no fields", decl.span, "C has no empty structs"))
    for f in decl.fields:
        if f.name in names:
            diags.append(error(f"duplicate field '{f.name}' in struct '{decl.name}'", f.name_span,
                               f"first declared at line {names[f.name].name_span.line}"))
        names.setdefault(f.name, f)
        if f.name in _C_KEYWORDS:
            diags.append(error(f"'{f.name}' cannot be a field name", f.name_span, "it is a C keyword"))
        if f.type == "bytes":
            diags.append(error("a struct field cannot be bytes[N]", f.span,
                               "struct fields are scalars, enums or structs (one message word each "
                               "leaf); pass bytes[N] as a method parameter"))
        elif f.type == "cap":
            diags.append(error("a struct field cannot be a cap", f.span,
                               "a struct may travel in shared memory (a queue), where a cptr means "
                               "nothing to the other side"))
        elif f.type == decl.name:
            diags.append(error(f"struct '{decl.name}' contains itself", f.span, "a struct has a fixed size"))
        else:
            _resolve(f, types, diags)
    if decl.words > model.MAX_WORDS:
        diags.append(error(f"struct '{decl.name}' takes {decl.words} message words, more than "
                           f"{model.MAX_WORDS}", decl.span, "each scalar or enum field takes one word"))


def _check_queue(q: model.Queue, types: dict[str, model.Decl], diags: list[Diagnostic]) -> None:
    e = q.entry
    if e.type == "bytes" or e.type == "cap":
        diags.append(error(f"a queue entry cannot be {'bytes[N]' if e.type == 'bytes' else 'a cap'}", e.span,
                           "entries are scalars, enums or structs; put bulk data in the shared "
                           "data region and pass offsets and lengths"))
    else:
        _resolve(e, types, diags)
    d = q.depth
    if d < 2 or d > model.MAX_QUEUE_DEPTH or d & (d - 1):
        diags.append(error(f"queue depth {d} is not a power of two from 2 to {model.MAX_QUEUE_DEPTH}",
                           q.depth_span, "indices are free-running and masked with depth - 1"))


def _check_interface(iface: model.Interface, types: dict[str, model.Decl], diags: list[Diagnostic]) -> None:
    if len(iface.errors_spans) > 1:
        diags.append(error(f"interface '{iface.name}' has more than one errors block", iface.errors_spans[1],
                           f"the first is at line {iface.errors_spans[0].line}"))
    errs: dict[str, model.Enumerator] = {}
    for e in iface.errors:
        if e.name in errs:
            diags.append(error(f"duplicate error '{e.name}' in interface '{iface.name}'", e.span,
                               f"first declared at line {errs[e.name].span.line}"))
        errs.setdefault(e.name, e)
    if len(iface.methods) > model.MAX_METHODS:
        diags.append(error(f"interface '{iface.name}' has {len(iface.methods)} methods, more than "
                           f"{model.MAX_METHODS}", iface.methods[model.MAX_METHODS].span,
                           "a badge's allow mask has one bit per method (uint64_t)"))
    methods: dict[str, model.Method] = {}
    for method in iface.methods:
        if method.name in methods:
            diags.append(error(f"duplicate method '{method.name}' in interface '{iface.name}'",
                               method.span, f"first declared at line {methods[method.name].span.line}"))
        methods.setdefault(method.name, method)
        if method.name in {"serve", "dispatch", "ops", "server", "error_name"}:
            diags.append(error(f"'{method.name}' cannot be a method name", method.span,
                               f"the generated {iface.name}_{method.name} is taken by the server code"))
        _check_method(iface, method, types, diags)


def _check_method(iface: model.Interface, method: model.Method, types: dict[str, model.Decl],
                  diags: list[Diagnostic]) -> None:
    if method.oneway and method.results_span is not None:
        diags.append(error(f"oneway method '{method.name}' cannot have results", method.results_span,
                           "nobody answers a oneway method; drop 'oneway' or the results"))
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
            if p.type == "cap" and what == "parameters":
                diags.append(error("a parameter cannot be a cap", p.span,
                                   "a cap travels only in an answer (`-> (cap NAME)`), into the "
                                   "empty slot the client names; a cptr sent as a number means "
                                   "nothing in the server's CSpace"))
            _resolve(p, types, diags)
        caps = [p for p in method.results if p.type == "cap"]
        if what == "results" and len(caps) > 1:
            diags.append(error(f"method '{method.name}' answers with {len(caps)} caps", caps[1].span,
                               "a message carries at most one cap (docs/abi.md); split the method"))
        words = model.Method.words_of(params)
        if words > model.MAX_WORDS:
            diags.append(error(f"the {what} of '{iface.name}.{method.name}' take {words} message words, "
                               f"more than {model.MAX_WORDS}", method.span,
                               "a message has 64 words: each scalar or enum takes one, a struct one per "
                               "field, bytes[N] 1 + N/8; split the method or share memory for bulk data"))
