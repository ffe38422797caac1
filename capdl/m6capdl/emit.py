"""Writing the outputs: component headers, boot_tables.c, boot_image.{bin,S}, manifest.

Every file is written only when its content changes, so a build tool that watches
timestamps (ninja) does not rebuild what depends on an unchanged output.
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import jinja2

from m6capdl import layout, model


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
    env.globals.update(hex=_hex, rights=_rights, slot_comment=_slot_comment)
    return env


def _hex(value: int) -> str:
    return f"0x{value:x}"


def _rights(rights: tuple[str, ...]) -> str:
    return " | ".join(rights) if rights else "0"


def _slot_comment(slot: layout.Slot) -> str:
    if slot.kind.startswith("self_"):
        return {"self_cnode": "this component's CNode", "self_vspace": "this component's VSpace",
                "self_tcb": "this component's main thread"}[slot.kind]
    if slot.kind == "endpoint":
        assert slot.target is not None
        return f"endpoint '{slot.target[1]}', receive"
    if slot.kind in ("call", "send", "signal"):
        assert slot.target is not None
        return f"{slot.kind} {slot.target[0]}.{slot.target[1]}, badge {slot.badge}"
    if slot.kind == "notification":
        assert slot.target is not None
        return f"notification '{slot.target[1]}', wait and signal"
    if slot.kind == "timer":
        assert slot.target is not None
        return f"timer '{slot.target[1]}'"
    if slot.kind == "untyped":
        assert slot.target is not None
        return f"untyped pool '{slot.target[1]}'"
    if slot.kind == "thread":
        assert slot.target is not None
        return f"thread '{slot.target[1]}' (its TCB)"
    if slot.kind == "irq":
        trigger = "edge" if slot.badge >> 32 else "level"
        return f"IRQ handler, interrupt {slot.badge & 0xffffffff} ({trigger})"
    return f"syscap {slot.syscap}"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_if_changed(path: Path, data: bytes) -> bool:
    """Atomically replace `path` with `data` unless it already holds exactly that."""
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        # mkstemp creates 0600; give the file the mode a plain open() would have.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return True


def header_path(out: Path, binary: str) -> Path:
    return out / "include" / binary / "m6_caps.h"


Define = tuple[str, str, str]  # name, value, comment


def header_sections(comp: model.Component) -> list[tuple[str, list[Define]]]:
    """What a binary's m6_caps.h defines, by section. Components that share a binary must
    produce the same sections (checks.py compares header_defines())."""
    cspace = layout.cspace_layout(comp)
    mem = layout.memory_map(comp)
    threads = ["CAP_SELF_TCB"] + [s.name for s in cspace.slots if s.kind == "thread"]
    sections: list[tuple[str, list[Define]]] = [
        ("", [("M6_CSPACE_RADIX", str(cspace.radix), ""),
              ("M6_CSPACE_FIRST_FREE", str(len(cspace.slots) + 1), "first slot the spec leaves empty"),
              ("M6_THREAD_COUNT", str(len(threads)), ""),
              ("M6_THREAD_CAPS", "{" + ", ".join(threads) + "}", "TCB caps, main thread first")]),
        ("CSpace slots (slot 0 is always empty).",
         [(slot.name, str(slot.slot), _slot_comment(slot)) for slot in cspace.slots]),
        ("Memory map.", [("M6_STACK_TOP", _hex(mem.stack_top), ""), ("M6_STACK_SIZE", _hex(mem.stack_size), ""),
                         ("M6_IPC_BUFFER_VADDR", _hex(mem.ipc_buffer_vaddr), "")]),
    ]
    for th in mem.threads[1:]:
        p = "M6_THREAD_" + th.name.upper()
        sections.append((f"Thread '{th.name}' (its TCB: CAP_THREAD_{th.name.upper()}).", [
            (p + "_STACK_TOP", _hex(th.stack_top), ""), (p + "_STACK_SIZE", _hex(th.stack_size), ""),
            (p + "_IPC_BUFFER_VADDR", _hex(th.ipc_buffer_vaddr), "")]))
    for region in mem.regions:
        if region.kind == "heap":
            sections.append(("Heap (zero-filled, read-write).", [
                ("M6_HEAP_VADDR", _hex(region.vaddr), ""), ("M6_HEAP_SIZE", _hex(region.size), "")]))
        elif region.kind == "memory":
            p = "M6_MEM_" + region.name
            rights = "".join(r[len("M6_RIGHT_"):][0].lower() for r in region.rights)
            sections.append((f"Shared memory '{region.memory}', mapped {rights}.", [
                (p + "_VADDR", _hex(region.vaddr), ""), (p + "_SIZE", _hex(region.size), "")]))
        else:
            p = "M6_DEVICE_" + region.name
            defs: list[Define] = []
            for i, reg in enumerate(region.regs):
                q = p if i == 0 else f"{p}_REG{i}"
                defs += [(q + "_VADDR", _hex(reg.vaddr), ""), (q + "_PADDR", _hex(reg.paddr), ""),
                         (q + "_SIZE", _hex(reg.size), "")]
            sections.append((f"Device '{region.name.lower()}' (MMIO, read-write).", defs))
    irqs = [(f"M6_DEVICE_{s.name.text.upper()}_IRQ" + ("" if len(d.interrupts) == 1 else str(i)), str(irq.id), "")
            for s in comp.statements if isinstance(s, model.DeviceStmt)
            for d in [comp.devices.get(s.name.text)] if d is not None
            for i, irq in enumerate(d.interrupts)]
    if irqs:
        sections.append(("Device interrupt IDs.", irqs))
    untyped = [(f"M6_UNTYPED_{s.name.text.upper()}_BITS", str(s.size.value.bit_length() - 1), "")
               for s in comp.statements if isinstance(s, model.UntypedStmt)]
    if untyped:
        sections.append(("Untyped pools: log2 of their size in bytes.", untyped))
    return sections


def header_defines(comp: model.Component) -> dict[str, str]:
    return {name: value for _, defs in header_sections(comp) for name, value, _ in defs}


def _guard_name(binary: str) -> str:
    return "M6_CAPS_" + "".join(ch if ch.isalnum() else "_" for ch in binary.upper()) + "_H"


def render_header(system: model.System, binary: str, comps: list[model.Component], spec: str) -> str:
    """One header per binary; `comps` run it and agree on it (checked)."""
    return _env().get_template("m6_caps.h.j2").render(
        spec=spec, system=system.name.text, binary=binary, components=[c.name.text for c in comps],
        guard=_guard_name(binary), sections=header_sections(comps[0]))


def binaries(system: model.System) -> dict[str, list[model.Component]]:
    out: dict[str, list[model.Component]] = {}
    for comp in system.components:
        out.setdefault(comp.binary, []).append(comp)
    return out


def system_header_path(out: Path) -> Path:
    return out / "include" / "m6_system.h"


_TYPE_WORDS = {
    "M6_OBJ_CNODE": "CNode", "M6_OBJ_VSPACE": "VSpace", "M6_OBJ_TCB": "TCB", "M6_OBJ_ENDPOINT": "Endpoint",
    "M6_OBJ_NOTIFICATION": "Notification", "M6_OBJ_UNTYPED": "Untyped", "M6_OBJ_IRQ_HANDLER": "IRQHandler",
    "M6_OBJ_TIMER": "Timer", "M6_OBJ_DEBUG_CONSOLE": "DebugConsole", "M6_OBJ_POWER": "Power",
    "M6_OBJ_IRQ_CONTROL": "IRQControl", "M6_OBJ_SYSTEM_INFO": "SystemInfo",
}


def _rights_letters(rights: tuple[str, ...]) -> str:
    if "M6_RIGHTS_ALL" in rights:
        return "RWGP"
    letters = (("M6_RIGHT_READ", "R"), ("M6_RIGHT_WRITE", "W"), ("M6_RIGHT_GRANT", "G"),
               ("M6_RIGHT_GRANT_REPLY", "P"))
    return "".join(letter if right in rights else "-" for right, letter in letters)


def render_system_header(system: model.System, spec: str) -> str:
    """m6_system.h: the CSpace of every component as the spec builds it (spec only)."""
    components = []
    for comp in system.components:
        cspace = layout.cspace_layout(comp)
        slots = [{"name": s.name, "slot": s.slot, "type": _TYPE_WORDS.get(s.type, s.type),
                  "rights": _rights_letters(s.rights), "badge": s.badge,
                  "what": _slot_comment(s).replace("\\", "").replace('"', "'")} for s in cspace.slots]
        components.append({"name": comp.name.text, "binary": comp.binary, "radix": cspace.radix,
                           "slots": slots, "threads": layout.thread_layouts(comp)})
    return _env().get_template("m6_system.h.j2").render(
        spec=spec, system=system.name.text, platform=system.platform.text, components=components)


def write_headers(system: model.System, spec: str, out: Path) -> list[Path]:
    paths = []
    for binary, comps in binaries(system).items():
        path = header_path(out, binary)
        write_if_changed(path, render_header(system, binary, comps, spec).encode())
        paths.append(path)
    path = system_header_path(out)
    write_if_changed(path, render_system_header(system, spec).encode())
    paths.append(path)
    return paths


def _c_string_path(path: Path) -> str:
    return str(path).replace("\\", "\\\\").replace('"', '\\"')


def write_build(system: model.System, tables: layout.BootTables, spec: str, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = write_headers(system, spec, out)
    env = _env()
    image_bin = out / "boot_image.bin"
    write_if_changed(image_bin, b"".join(tables.image))
    files = {
        out / "boot_image.S": env.get_template("boot_image.S.j2").render(
            spec=spec, system=tables.system, pages=len(tables.image),
            image_path=_c_string_path(image_bin.resolve())),
        out / "boot_tables.c": env.get_template("boot_tables.c.j2").render(spec=spec, t=tables),
        out / "manifest.json": json_text(manifest(tables, spec)) + "\n",
    }
    for path, text in files.items():
        write_if_changed(path, text.encode())
    return written + [image_bin, *files]


def _flat(value: Any) -> bool:
    """A scalar, a list of scalars, or an object of those."""
    if type(value) is list:
        return not any(type(v) is dict or type(v) is list for v in value)
    if type(value) is not dict:
        return True
    for v in value.values():
        if type(v) is dict or (type(v) is list and any(type(x) is dict or type(x) is list for x in v)):
            return False
    return True


def json_text(value: Any, indent: str = "") -> str:
    """JSON indented by 2, except that a record (an object of scalars and lists of scalars:
    an object, a mapping, a slot, a frame) takes one line. Easier to read and grep than one
    line per field, and much faster to write for a large system (the C encoder does the
    records)."""
    if _flat(value):
        return json.dumps(value)
    inner = indent + "  "
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k)}: {json_text(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    return "[\n" + ",\n".join(inner + json_text(v, inner) for v in value) + "\n" + indent + "]"


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
            "slots": [{
                "slot": cap.slot,
                "name": cap.name,
                "type": cap.type,
                "object": None if cap.object is None else objects[cap.object].name,
                "rights": list(cap.rights),
                "badge": cap.badge,
            } for cap in caps_of.get(info.objects["cnode"], [])],
            "threads": [{
                "name": th.name,
                "priority": th.priority,
                "max_priority": th.max_priority,
                "entry": th.entry,
                "stack_pointer": th.stack_pointer,
                "stack_size": lay.stack_size,
                "ipc_buffer_vaddr": th.ipc_buffer_vaddr,
                "flags": list(th.flags),
                "fault_endpoint": None if th.fault_ep is None else objects[th.fault_ep].name,
                "fault_badge": th.fault_badge,
                "start": bool(th.start),
            } for th, lay in zip(tables.threads[info.first_thread: info.first_thread + info.thread_count],
                                 mem.threads)],
            "memory_map": {
                "stack_top": mem.stack_top,
                "stack_size": mem.stack_size,
                "stack_guard_page": mem.guard_page,
                "ipc_buffer_vaddr": mem.ipc_buffer_vaddr,
                "regions": [{
                    "name": r.name, "kind": r.kind, "vaddr": r.vaddr, "size": r.size,
                    "rights": list(r.rights), "memory": r.memory,
                    "regs": [{"vaddr": g.vaddr, "paddr": g.paddr, "size": g.size} for g in r.regs],
                } for r in mem.regions],
                "frames": [{
                    "vaddr": m.vaddr,
                    "rights": list(m.rights),
                    "source": objects[m.object].source,
                    "image_page": objects[m.object].source_page
                    if objects[m.object].source != "M6_BT_FRAME_ZERO" else None,
                } for m in frames_of.get(info.objects["vspace"], [])],
            },
        })
    return {
        "generator": "m6-capdl",
        "spec": spec,
        "system": tables.system,
        "platform": tables.platform,
        "components": comps,
        "objects": [{
            "index": i, "name": o.name, "type": o.type, "size_bits": o.size_bits,
            **({"source": o.source, "source_page": o.source_page} if o.source else {}),
            **({"paddr": o.paddr} if o.source == "M6_BT_FRAME_DEVICE" else {}),
        } for i, o in enumerate(objects)],
        "mappings": [{
            "vspace": objects[m.vspace].name, "object": objects[m.object].name,
            "vaddr": m.vaddr, "level": m.level, "rights": list(m.rights),
        } for m in tables.mappings],
        "image_pages": len(tables.image),
    }
