"""Interface -> C: the code fragments of each stub, laid into templates/interface.h.j2.

Message layout (docs/userspace.md): the label is the method's number, each scalar or
enum one word, a struct one word per scalar or enum field (nested structs flattened, in
declaration order), bytes[N] a length word followed by N bytes packed eight to a word
(little endian); words in declaration order. The answer's label is the server's status
(M6_OK, an m6 error code or one of the interface's errors); its words are the results,
laid out the same way. A oneway method is sent and never answered.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import jinja2

from m6idl import model


@functools.lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("m6idl", "templates"),
                              undefined=jinja2.StrictUndefined, trim_blocks=True,
                              lstrip_blocks=True, keep_trailing_newline=True, autoescape=False)


def _max_name(iface: model.Interface, method: model.Method, p: model.Param) -> str:
    return f"{iface.name}_{method.name}_{p.name}_max".upper()


def _leaves(p: model.Param, path: str) -> Iterator[tuple[str, model.Param]]:
    """(C access path, leaf) for every word of a scalar, enum or (flattened) struct."""
    if isinstance(p.decl, model.Struct):
        for f in p.decl.fields:
            yield from _leaves(f, f"{path}.{f.name}")
    else:
        yield path, p


def _in_arg(p: model.Param) -> list[str]:
    if p.type == "bytes":
        return [f"const void *{p.name}", f"size_t {p.name}_len"]
    if p.is_struct:
        return [f"const {p.c_type} *{p.name}"]
    return [f"{p.c_type} {p.name}"]


def _out_arg(p: model.Param) -> list[str]:
    if p.type == "cap":
        return [f"m6_cptr_t {p.name}"]  # the caller's empty slot the cap moves into
    if p.type == "bytes":
        return [f"void *{p.name}", f"size_t *{p.name}_len"]
    return [f"{p.c_type} *{p.name}"]


def _client_args(method: model.Method) -> str:
    args = ["m6_cptr_t ep"]
    for p in method.params:
        args += _in_arg(p)
    for p in method.results:
        args += _out_arg(p)
    return ", ".join(args)


def _server_args(method: model.Method) -> str:
    args = ["void *state", "uint64_t badge"]
    for p in method.params:
        args += _in_arg(p)
    for p in method.results:
        args += [f"m6_cptr_t *{p.name}"] if p.type == "cap" else _out_arg(p)
    return ", ".join(args)


def _valid_check(leaf: model.Param, word: str, fail: str) -> list[str]:
    """An enum travels as a word: anything but a declared value is refused."""
    if isinstance(leaf.decl, model.Enum):
        return [f"if (!{leaf.decl.name}_valid({word}))", f"\treturn {fail};"]
    return []


def _pack(iface: model.Interface, method: model.Method, params: list[model.Param], source: str) -> list[str]:
    """Lines that fill `words` from C variables (client: arguments; server: results)."""
    lines, w = [], 0
    for p in params:
        if p.type == "cap":
            continue  # travels as the message's cap, not in a word
        if p.type == "bytes":
            ref = p.name if source == "arg" else f"r_{p.name}"
            length = f"{p.name}_len" if source == "arg" else f"r_{p.name}_len"
            lines.append(f"if ({length} > {_max_name(iface, method, p)})")
            lines.append(f"\treturn {'M6_ERR_RANGE' if source == 'arg' else 'm6_idl_answer(m, M6_ERR_RANGE)'};")
            lines.append(f"words[{w}] = {length};")
            lines.append(f"m6_idl_pack_bytes(&words[{w + 1}], {ref}, {length}, {(p.size + 7) // 8});")
        elif p.is_struct:
            base = f"{p.name}->" if source == "arg" else f"r_{p.name}."
            for i, (path, _leaf) in enumerate(_leaves(p, "")):
                lines.append(f"words[{w + i}] = (uint64_t){base}{path[1:]};")
        else:
            value = p.name if source == "arg" else f"r_{p.name}"
            lines.append(f"words[{w}] = (uint64_t){value};")
        w += p.words
    return lines


def _unpack_results(iface: model.Interface, method: model.Method) -> list[str]:
    lines, w = [], 0
    for p in method.results:
        if p.type == "cap":
            continue  # checked by the stub: the answer's caps field
        if p.type == "bytes":
            lines.append(f"if (words[{w}] > {_max_name(iface, method, p)})")
            lines.append("\treturn M6_ERR_RANGE;")
            lines.append(f"m6_idl_unpack_bytes({p.name}, &words[{w + 1}], words[{w}]);")
            lines.append(f"*{p.name}_len = words[{w}];")
        else:
            for i, (path, leaf) in enumerate(_leaves(p, "")):
                lines += _valid_check(leaf, f"words[{w + i}]", "M6_ERR_INVALID_ARGUMENT")
                target = f"{p.name}->{path[1:]}" if path else f"*{p.name}"
                lines.append(f"{target} = ({leaf.c_type})words[{w + i}];")
        w += p.words
    return lines


def _server_call(iface: model.Interface, method: model.Method) -> list[str]:
    lines, args, w = [], ["state", "badge"], 0
    # A oneway request has nobody to answer: a malformed one is dropped.
    def fail(err: str) -> str:
        return err if method.oneway else f"m6_idl_answer(m, {err})"
    for p in method.params:
        if p.type == "bytes":
            lines.append(f"if (words[{w}] > {_max_name(iface, method, p)})")
            lines.append(f"\treturn {fail('M6_ERR_RANGE')};")
            args += [f"(const void *)&words[{w + 1}]", f"(size_t)words[{w}]"]
        elif p.is_struct:
            lines.append(f"{p.c_type} a_{p.name} = {{0}};")
            for i, (path, leaf) in enumerate(_leaves(p, "")):
                lines += _valid_check(leaf, f"words[{w + i}]", fail("M6_ERR_INVALID_ARGUMENT"))
                lines.append(f"a_{p.name}{path} = ({leaf.c_type})words[{w + i}];")
            args.append(f"&a_{p.name}")
        else:
            lines += _valid_check(p, f"words[{w}]", fail("M6_ERR_INVALID_ARGUMENT"))
            args.append(f"({p.c_type})words[{w}]")
        w += p.words
    for p in method.results:
        if p.type == "bytes":
            lines.append(f"uint8_t r_{p.name}[{p.size}];")
            lines.append(f"size_t r_{p.name}_len = 0;")
            args += [f"r_{p.name}", f"&r_{p.name}_len"]
        else:
            lines.append(f"{p.c_type} r_{p.name}{' = {0}' if p.is_struct else ' = 0'};")
            args.append(f"&r_{p.name}")
    call = f"ops->{method.name}({', '.join(args)});"
    lines.append(call if method.oneway else f"uint64_t status = {call}")
    if method.oneway:
        lines.append("return M6_OK;")
    return lines


def _c_decl(p: model.Param) -> str:
    return f"{p.c_type} {p.name};"


def render(file: model.File, source: str, guard: str) -> str:
    methods = []
    for iface in file.interfaces:
        for m in iface.methods:
            methods.append({
                "iface": iface.name, "m": m,
                "in_words": model.Method.words_of(m.params), "out_words": model.Method.words_of(m.results),
                "maxes": [(_max_name(iface, m, p), p.size) for p in m.params + m.results if p.type == "bytes"],
                "client_args": _client_args(m), "server_args": _server_args(m),
                "pack_args": _pack(iface, m, m.params, "arg"),
                "unpack_results": _unpack_results(iface, m),
                "server_call": _server_call(iface, m),
                "pack_results": _pack(iface, m, m.results, "result"),
                "cap": m.cap_result.name if m.cap_result else None,
            })
    structs = {s.name: [_c_decl(f) for f in s.fields] for s in file.structs}
    return _env().get_template("interface.h.j2").render(
        file=file, interfaces=file.interfaces, methods=methods, structs=structs, source=source,
        guard=guard, has_caps=any(x["cap"] for x in methods))
