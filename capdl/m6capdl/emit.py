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
    if slot.kind in ("call", "send"):
        assert slot.target is not None
        return f"{slot.kind} {slot.target[0]}.{slot.target[1]}, badge {slot.badge}"
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


def header_path(out: Path, component: str) -> Path:
    return out / "include" / component / "m6_caps.h"


def render_header(system: model.System, comp: model.Component, spec: str) -> str:
    return _env().get_template("m6_caps.h.j2").render(
        spec=spec, system=system.name.text, name=comp.name.text,
        guard=f"M6_CAPS_{comp.name.text.upper()}_H", cspace=layout.cspace_layout(comp),
        mem=layout.memory_map(comp))


def write_headers(system: model.System, spec: str, out: Path) -> list[Path]:
    paths = []
    for comp in system.components:
        path = header_path(out, comp.name.text)
        write_if_changed(path, render_header(system, comp, spec).encode())
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
        out / "manifest.json": json.dumps(manifest(tables, spec), indent=2) + "\n",
    }
    for path, text in files.items():
        write_if_changed(path, text.encode())
    return written + [image_bin, *files]


def manifest(tables: layout.BootTables, spec: str) -> dict[str, Any]:
    """A machine-readable account of the system: who holds what, where memory goes."""
    objects = tables.objects
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
            } for cap in tables.caps if cap.cnode == info.objects["cnode"]],
            "threads": [{
                "name": th.name,
                "priority": th.priority,
                "entry": th.entry,
                "stack_pointer": th.stack_pointer,
                "ipc_buffer_vaddr": th.ipc_buffer_vaddr,
            } for th in tables.threads[info.first_thread: info.first_thread + info.thread_count]],
            "memory_map": {
                "stack_top": mem.stack_top,
                "stack_size": mem.stack_size,
                "stack_guard_page": mem.guard_page,
                "ipc_buffer_vaddr": mem.ipc_buffer_vaddr,
                "frames": [{
                    "vaddr": m.vaddr,
                    "rights": list(m.rights),
                    "source": objects[m.object].source,
                    "image_page": objects[m.object].source_page
                    if objects[m.object].source != "M6_BT_FRAME_ZERO" else None,
                } for m in tables.mappings
                    if m.vspace == info.objects["vspace"] and objects[m.object].type == "M6_OBJ_FRAME"],
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
        } for i, o in enumerate(objects)],
        "mappings": [{
            "vspace": objects[m.vspace].name, "object": objects[m.object].name,
            "vaddr": m.vaddr, "level": m.level, "rights": list(m.rights),
        } for m in tables.mappings],
        "image_pages": len(tables.image),
    }
