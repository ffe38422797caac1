"""Writing the outputs: component headers, boot_tables.c, boot_image.{bin,S}, manifest.

Every file is written only when its content changes, so a build tool that watches
timestamps (ninja) does not rebuild what depends on an unchanged output.
"""

from __future__ import annotations

import errno
import functools
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

import jinja2

from m6capdl import layout, resolved
from m6capdl.header import guard_name, header_sections, needs_spec_tables, slot_comment


@functools.lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("m6capdl", "templates"),
        undefined=jinja2.StrictUndefined,  # a typo in a template is a bug, not empty text
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.globals.update(hex=_hex, rights=_rights, slot_comment=slot_comment)
    # Text from outside (the spec's path above all: any bytes but NUL and '/') goes into
    # comments and string literals only through these.
    env.filters.update(c_comment=c_comment, c_string=c_string)
    return env


def c_comment(text: object) -> str:
    """`text` made safe inside a /* */ comment of C or assembly: it can neither end the
    comment ('*/') nor open one ('/*', a warning under -Werror), nor start a new line;
    control characters are shown as \\xNN."""
    out = "".join(ch if ch >= " " and ch != "\x7f" and not "\ud800" <= ch <= "\udfff" else f"\\x{ord(ch):02x}"
                  for ch in str(text))
    return out.replace("*/", "*\\/").replace("/*", "/\\*")


def c_string(text: object) -> str:
    """`text` as the inside of a string literal of C and of the GNU assembler alike:
    backslash and quote escaped, and every byte outside printable ASCII, and '?' (no
    trigraph), in octal, which both read the same way and which never swallows the
    next character."""
    out = []
    for byte in str(text).encode("utf-8", "surrogateescape"):
        ch = chr(byte)
        if ch in '\\"':
            out.append("\\" + ch)
        elif " " <= ch < "\x7f" and ch != "?":
            out.append(ch)
        else:
            out.append(f"\\{byte:03o}")
    return "".join(out)


def _hex(value: int) -> str:
    return f"0x{value:x}"


def _rights(rights: tuple[str, ...]) -> str:
    return " | ".join(rights) if rights else "0"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _same_content(path: Path, data: bytes) -> bool | None:
    """Whether `path` is a regular file holding exactly `data` (False if it is not there
    or differs); None if it exists and is not a regular file. Nothing but a regular file
    of the right size is ever read: an output named /dev/zero or /dev/full must not make
    the compiler read without end."""
    try:
        info = path.stat()
    except OSError:
        return False
    if not stat.S_ISREG(info.st_mode):
        return None
    if info.st_size != len(data):
        return False
    try:
        with open(path, "rb") as f:
            return f.read(len(data) + 1) == data
    except OSError:
        return False


def write_if_changed(path: Path, data: bytes) -> bool:
    """Atomically replace `path` with `data` unless it already holds exactly that. An
    existing path that is not a regular file (a device such as /dev/stdout, a FIFO) is
    written in place, never read nor replaced; a directory is an error."""
    same = _same_content(path, data)
    if same:
        return False
    if same is None:
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        try:
            with open(path, "wb") as f:
                f.write(data)
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        return True
    # An OSError names `path`, the file that could not be written (not a temporary file
    # or a directory on the way), for the CLI's "cannot write PATH: reason".
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        # mkstemp creates 0600; give the file the mode a plain open() would have.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        os.unlink(tmp)
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    except BaseException:
        os.unlink(tmp)
        raise
    return True


def header_path(out: Path, binary: str) -> Path:
    return out / "include" / binary / "m6_caps.h"


def render_header(system: resolved.System, binary: str, comps: list[resolved.Component], spec: str) -> str:
    """One header per binary; `comps` run it and agree on it (checked)."""
    return _env().get_template("m6_caps.h.j2").render(
        spec=spec, system=system.name, binary=binary, components=[c.name for c in comps],
        guard=guard_name(binary), sections=header_sections(comps[0]), spec_tables=needs_spec_tables(comps[0]))


def system_header_path(out: Path) -> Path:
    return out / "include" / "m6_system.h"


_TYPE_WORDS = {
    "M6_OBJ_CNODE": "CNode", "M6_OBJ_VSPACE": "VSpace", "M6_OBJ_TCB": "TCB", "M6_OBJ_ENDPOINT": "Endpoint",
    "M6_OBJ_NOTIFICATION": "Notification", "M6_OBJ_UNTYPED": "Untyped", "M6_OBJ_IRQ_HANDLER": "IRQHandler",
    "M6_OBJ_TIMER": "Timer", "M6_OBJ_DEBUG_CONSOLE": "DebugConsole", "M6_OBJ_POWER": "Power",
    "M6_OBJ_IRQ_CONTROL": "IRQControl", "M6_OBJ_SYSTEM_INFO": "SystemInfo",
    "M6_OBJ_ASID_CONTROL": "ASIDControl", "M6_OBJ_ASID_POOL": "ASIDPool",
    "M6_OBJ_IOSPACE_CONTROL": "IOSpaceControl",
}


def _rights_letters(rights: tuple[str, ...]) -> str:
    if "M6_RIGHTS_ALL" in rights:
        return "RWGP"
    letters = (("M6_RIGHT_READ", "R"), ("M6_RIGHT_WRITE", "W"), ("M6_RIGHT_GRANT", "G"),
               ("M6_RIGHT_GRANT_REPLY", "P"))
    return "".join(letter if right in rights else "-" for right, letter in letters)


def render_system_header(system: resolved.System, spec: str) -> str:
    """m6_system.h: the CSpace of every component as the spec builds it (spec only)."""
    components = []
    tables: list[str] = []
    for index, comp in enumerate(system.components):
        cspace = comp.cspace
        threads = comp.threads
        name = comp.name
        components.append({"name": name, "binary": comp.binary, "radix": cspace.radix,
                           "slots": cspace.slots, "threads": threads})
        tables.append(f"static const struct m6_system_cap m6_system_caps_{index}[] = {{\n")
        tables += [f'\t{{"{s.name}", {s.slot}, "{_TYPE_WORDS.get(s.type, s.type)}", "{_rights_letters(s.rights)}", '
                   f'0x{s.badge:x}ull, "{slot_comment(s).replace(chr(92), "").replace(chr(34), chr(39))}"}},\n'
                   for s in cspace.slots]
        tables.append(f"}};\nstatic const struct m6_system_thread m6_system_threads_{index}[] = {{\n")
        tables += [f'\t{{"{name}.{t.name}", {t.priority}, {t.max_priority}}},\n' for t in threads]
        tables.append("};\n")
    return _env().get_template("m6_system.h.j2").render(
        spec=spec, system=system.name, platform=system.platform, components=components,
        tables="".join(tables))


def write_headers(system: resolved.System, spec: str, out: Path) -> list[Path]:
    paths = []
    for binary, comps in system.binaries().items():
        path = header_path(out, binary)
        write_if_changed(path, render_header(system, binary, comps, spec).encode())
        paths.append(path)
    path = system_header_path(out)
    write_if_changed(path, render_system_header(system, spec).encode())
    paths.append(path)
    return paths


def write_build(system: resolved.System, tables: layout.BootTables, spec: str, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = write_headers(system, spec, out)
    env = _env()
    image_bin = out / "boot_image.bin"
    write_if_changed(image_bin, b"".join(tables.image))
    files = {
        out / "boot_image.S": env.get_template("boot_image.S.j2").render(
            spec=spec, system=tables.system, pages=len(tables.image),
            image_path=str(image_bin.resolve())),
        out / "boot_tables.c": env.get_template("boot_tables.c.j2").render(
            spec=spec, t=tables, rows=boot_tables_rows(tables)),
        out / "manifest.json": json_text(manifest(tables, spec)) + "\n",
    }
    for path, text in files.items():
        write_if_changed(path, text.encode())
    return written + [image_bin, *files]


def boot_tables_rows(t: layout.BootTables) -> dict[str, str]:
    """The rows of boot_tables.c's arrays, each table as one string (see the template)."""
    objects = t.objects
    names = [o.name for o in objects]
    rows = {
        "objects": "".join(
            f'\t[{i}] = {{ "{o.name}", {o.type}, {o.size_bits}, {o.source or o.asid_pool}, {o.source_page}, 0x{o.paddr:x}ull }},\n'
            for i, o in enumerate(objects)),
        "mappings": "".join(
            f"\t{{ {m.vspace}, {m.object}, 0x{m.vaddr:x}, {m.level}, {_rights(m.rights)} }}, /* {names[m.object]} */\n"
            for m in t.mappings),
        "caps": "".join(
            f"\t{{ {c.cnode}, {c.slot}, {c.type}, {'M6_BT_NO_OBJECT' if c.object is None else c.object}, "
            f"{_rights(c.rights)}, {c.guard_size}, 0x{c.badge:x}ull }}, /* {names[c.cnode]}: {c.name} */\n"
            for c in t.caps),
        "threads": "".join(
            f"\t{{\n"
            f'\t\t.name = "{th.name}",\n'
            f"\t\t.component = {th.component},\n"
            f"\t\t.tcb = {th.tcb},\n"
            f"\t\t.cspace = {th.cspace},\n"
            f"\t\t.vspace = {th.vspace},\n"
            f"\t\t.ipc_buffer_frame = {th.ipc_buffer_frame},\n"
            f"\t\t.priority = {th.priority},\n"
            f"\t\t.ipc_buffer_vaddr = 0x{th.ipc_buffer_vaddr:x},\n"
            f"\t\t.entry = 0x{th.entry:x},\n"
            f"\t\t.stack_pointer = 0x{th.stack_pointer:x},\n"
            f"\t\t.arg = {th.arg},\n"
            f"\t\t.max_priority = {th.max_priority},\n"
            + (f"\t\t.max_timeslice_us = {th.max_timeslice_us},\n" if th.max_timeslice_us else "")
            + f"\t\t.flags = {' | '.join(th.flags) or 0},\n"
            f"\t\t.fault_ep = {'M6_BT_NO_OBJECT' if th.fault_ep is None else th.fault_ep},\n"
            f"\t\t.fault_badge = 0x{th.fault_badge:x}ull,\n"
            f"\t\t.start = {th.start},\n"
            + (f"\t\t.cpu = {th.cpu},\n" if th.cpu else "")
            + "\t},\n"
            for th in t.threads),
        "components": "".join(
            f'\t{{ "{c.name}", {c.first_thread}, {c.thread_count} }},\n' for c in t.components),
    }
    return rows


_encode = json.JSONEncoder().encode
_encode_nul = json.JSONEncoder(separators=(",\0", ": ")).encode


class Records(list):  # type: ignore[type-arg]
    """A list of records (objects whose values are scalars or lists of scalars), as
    manifest() builds them: json_text writes it one record a line without looking into
    every record first (a large system has tens of thousands)."""


_NESTED = (dict, list, Records)


def _flat(value: Any) -> bool:
    """A scalar, a list of scalars, or an object of those."""
    kind = type(value)
    if kind is Records:
        return not value
    if kind is list:
        return not any(type(v) in _NESTED for v in value)
    if kind is not dict:
        return True
    for v in value.values():
        kind = type(v)
        if kind is dict or (kind is list or kind is Records) and any(type(x) in _NESTED for x in v):
            return False
    return True


def json_text(value: Any, indent: str = "") -> str:
    """JSON indented by 2, except that a record (an object of scalars and lists of scalars:
    an object, a mapping, a slot, a frame) takes one line. Easier to read and grep than one
    line per field, and much faster to write for a large system (the C encoder does the
    records)."""
    kind = type(value)
    if kind is not Records and _flat(value):
        return _encode(value)
    inner = indent + "  "
    sep = ",\n" + inner
    if kind is dict:
        items = sep.join([f"{_encode(k)}: {json_text(v, inner)}" for k, v in value.items()])
        return "{\n" + inner + items + "\n" + indent + "}"
    if kind is Records or all(type(v) is dict and _flat(v) for v in value):
        if not value:
            return "[]"
        # A table of records, encoded in one call of the C encoder with a separator that
        # cannot occur in its output (a NUL is always escaped in JSON strings): as records
        # hold no objects, "},<NUL>{" is exactly where one record ends and the next starts.
        text = _encode_nul(value)[1:-1]
        return "[\n" + inner + text.replace("},\0{", "},\n" + inner + "{").replace(",\0", ", ") + "\n" + indent + "]"
    items = sep.join([_encode(v) if _flat(v) else json_text(v, inner) for v in value])
    return "[\n" + inner + items + "\n" + indent + "]"


def manifest(tables: layout.BootTables, spec: str) -> dict[str, Any]:
    """A machine-readable account of the system: who holds what, where memory goes."""
    objects = tables.objects
    # Caps by CNode and frame mappings by VSpace, gathered once (not once per component).
    caps_of: dict[int, list[layout.Cap]] = {}
    for cap in tables.caps:
        caps_of.setdefault(cap.cnode, []).append(cap)
    frames_of: dict[int, list[layout.Mapping]] = {}
    for m in tables.mappings:
        if objects[m.object].type == "M6_OBJ_FRAME":
            frames_of.setdefault(m.vspace, []).append(m)
    comps = []
    for info in tables.components:
        mem = info.memory
        comps.append({
            "name": info.name,
            "binary": info.binary,
            "elf": info.elf,
            "cspace_radix": info.cspace.radix,
            "slots": Records([{
                "slot": cap.slot,
                "name": cap.name,
                "type": cap.type,
                "object": None if cap.object is None else objects[cap.object].name,
                "rights": list(cap.rights),
                "badge": cap.badge,
            } for cap in caps_of.get(info.cnode, [])]),
            "threads": Records([{
                "name": th.name,
                "priority": th.priority,
                "max_priority": th.max_priority,
                "entry": th.entry,
                "stack_pointer": th.stack_pointer,
                "arg": th.arg,
                "stack_size": lay.stack_size,
                "ipc_buffer_vaddr": th.ipc_buffer_vaddr,
                "flags": list(th.flags),
                "fault_endpoint": None if th.fault_ep is None else objects[th.fault_ep].name,
                "fault_badge": th.fault_badge,
                "start": bool(th.start),
                "cpu": th.cpu,
            } for th, lay in zip(tables.threads[info.first_thread: info.first_thread + info.thread_count],
                                 mem.threads)]),
            "memory_map": {
                "stack_top": mem.stack_top,
                "stack_size": mem.stack_size,
                "stack_guard_page": mem.guard_page,
                "ipc_buffer_vaddr": mem.ipc_buffer_vaddr,
                "regions": [{
                    "name": r.name, "kind": r.kind, "vaddr": r.vaddr, "size": r.size,
                    "rights": list(r.rights), "memory": r.memory,
                    "regs": [{"vaddr": g.vaddr, "paddr": g.paddr, "size": g.size} for g in r.regs],
                    **({"window": {"client": r.window.client, "cap": "CAP_" + r.window.cap.upper(),
                                   "endpoint": r.window.endpoint, "badge": r.window.badge}}
                       if r.window is not None else {}),
                } for r in mem.regions],
                "frames": Records([{
                    "vaddr": m.vaddr,
                    "rights": list(m.rights),
                    "source": objects[m.object].source,
                    "image_page": objects[m.object].source_page
                    if objects[m.object].source != "M6_BT_FRAME_ZERO" else None,
                } for m in frames_of.get(info.vspace, [])]),
            },
            **({"mounts": Records([{"path": m.path, "kind": m.kind, "flags": list(m.flags), "vaddr": m.vaddr,
                                    "size": m.size, "cap": m.cap} for m in info.mounts])} if info.mounts else {}),
        })
    return {
        "generator": "m6-capdl",
        "spec": spec,
        "system": tables.system,
        "platform": tables.platform,
        "components": comps,
        "objects": Records([{
            "index": i, "name": o.name, "type": o.type, "size_bits": o.size_bits,
            **({"source": o.source, "source_page": o.source_page} if o.source else {}),
            **({"paddr": o.paddr} if o.source == "M6_BT_FRAME_DEVICE" else {}),
            **({"asid_pool": objects[o.asid_pool].name} if o.type == "M6_OBJ_VSPACE" else {}),
        } for i, o in enumerate(objects)]),
        "mappings": Records([{
            "vspace": objects[m.vspace].name, "object": objects[m.object].name,
            "vaddr": m.vaddr, "level": m.level, "rights": list(m.rights),
        } for m in tables.mappings]),
        "image_pages": len(tables.image),
        # What the host attaches (disks.py); cmake/m6_qemu_args.py makes QEMU's arguments.
        "disks": Records([{
            "name": d.name, "component": d.component, "image_key": d.image_key, "read_only": d.read_only,
            "size": d.size, "device": d.device, "device_path": d.device_path, "mmio_base": d.mmio_base,
            "transport": d.transport, "kind": d.kind,
        } for d in tables.disks]),
    }
