"""Interface -> C: the code fragments of each stub, laid into templates/interface.h.j2.

Message layout (docs/userspace.md): the label is the method's number, each scalar one
word, bytes[N] a length word followed by N bytes packed eight to a word (little endian);
words in declaration order. The answer's label is the server's status (M6_OK or an m6
error code); its words are the results, laid out the same way.
"""

from __future__ import annotations

import functools

import jinja2

from m6idl import model


@functools.lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("m6idl", "templates"),
                              undefined=jinja2.StrictUndefined, trim_blocks=True,
                              lstrip_blocks=True, keep_trailing_newline=True, autoescape=False)


def _max_name(iface: model.Interface, method: model.Method, p: model.Param) -> str:
    return f"{iface.name}_{method.name}_{p.name}_max".upper()


def _client_args(method: model.Method) -> str:
    args = ["m6_cptr_t ep"]
    for p in method.params:
        args += [f"const void *{p.name}", f"size_t {p.name}_len"] if p.type == "bytes" else [f"{p.c_type} {p.name}"]
    for p in method.results:
        args += [f"void *{p.name}", f"size_t *{p.name}_len"] if p.type == "bytes" else [f"{p.c_type} *{p.name}"]
    return ", ".join(args)


def _server_args(method: model.Method) -> str:
    args = ["void *ctx", "uint64_t badge"]
    for p in method.params:
        args += [f"const void *{p.name}", f"size_t {p.name}_len"] if p.type == "bytes" else [f"{p.c_type} {p.name}"]
    for p in method.results:
        args += [f"void *{p.name}", f"size_t *{p.name}_len"] if p.type == "bytes" else [f"{p.c_type} *{p.name}"]
    return ", ".join(args)


def _pack(iface: model.Interface, method: model.Method, params: list[model.Param], source: str) -> list[str]:
    """Lines that fill `words` from C variables (client: arguments; server: results)."""
    lines, w = [], 0
    for p in params:
        if p.type == "bytes":
            ref = p.name if source == "arg" else f"r_{p.name}"
            length = f"{p.name}_len" if source == "arg" else f"r_{p.name}_len"
            lines.append(f"if ({length} > {_max_name(iface, method, p)})")
            lines.append(f"\treturn {'M6_ERR_RANGE' if source == 'arg' else 'm6_idl_answer(m, M6_ERR_RANGE)'};")
            lines.append(f"words[{w}] = {length};")
            lines.append(f"m6_idl_pack_bytes(&words[{w + 1}], {ref}, {length}, {(p.size + 7) // 8});")
        else:
            value = p.name if source == "arg" else f"r_{p.name}"
            lines.append(f"words[{w}] = (uint64_t){value};")
        w += p.words
    return lines


def _unpack_results(iface: model.Interface, method: model.Method) -> list[str]:
    lines, w = [], 0
    for p in method.results:
        if p.type == "bytes":
            lines.append(f"if (words[{w}] > {_max_name(iface, method, p)})")
            lines.append("\treturn M6_ERR_RANGE;")
            lines.append(f"m6_idl_unpack_bytes({p.name}, &words[{w + 1}], words[{w}]);")
            lines.append(f"*{p.name}_len = words[{w}];")
        else:
            lines.append(f"*{p.name} = ({p.c_type})words[{w}];")
        w += p.words
    return lines


def _server_call(iface: model.Interface, method: model.Method) -> list[str]:
    lines, args, w = [], ["ctx", "badge"], 0
    for p in method.params:
        if p.type == "bytes":
            lines.append(f"if (words[{w}] > {_max_name(iface, method, p)})")
            lines.append("\treturn m6_idl_answer(m, M6_ERR_RANGE);")
            args += [f"(const void *)&words[{w + 1}]", f"(size_t)words[{w}]"]
        else:
            args.append(f"({p.c_type})words[{w}]")
        w += p.words
    for p in method.results:
        if p.type == "bytes":
            lines.append(f"uint8_t r_{p.name}[{p.size}];")
            lines.append(f"size_t r_{p.name}_len = 0;")
            args += [f"r_{p.name}", f"&r_{p.name}_len"]
        else:
            lines.append(f"{p.c_type} r_{p.name} = 0;")
            args.append(f"&r_{p.name}")
    lines.append(f"uint64_t status = ops->{method.name}({', '.join(args)});")
    return lines


def render(interfaces: list[model.Interface], source: str, guard: str) -> str:
    methods = []
    for iface in interfaces:
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
            })
    return _env().get_template("interface.h.j2").render(
        interfaces=interfaces, methods=methods, source=source, guard=guard)
