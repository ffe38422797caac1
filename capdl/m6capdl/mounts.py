"""Mounts: `mount "PATH" tmpfs [SIZE] | initrd MAPPING | remote CAP [ro]`.

A component that serves files (the VFS) learns from its header which file systems to mount
where: M6_MOUNTS, a table of `struct m6_mount` (<m6/spec_tables.h>). A mount only names
what the component holds already (a mapping of a file-backed region, a windowed call cap),
so it grants nothing and the authority analysis needs nothing new; what is checked here is
that the table makes sense: normal absolute paths, each once, at most MAX_MOUNTS, and
references to the right kind of thing.
"""

from __future__ import annotations

from m6capdl import model, resolved, resources
from m6capdl.diagnostics import Diagnostic, error
from m6capdl.layout import MAX_REGION_SIZE, PAGE_SIZE, cap_name

MAX_MOUNTS = 16          # VFS_MOUNT_MAX (components/services/vfs/mount.h)
MAX_PATH = 255           # bytes of a mount point
DEFAULT_TMPFS_SIZE = 16 * 1024 * 1024
KINDS = {"tmpfs": "M6_MOUNT_TMPFS", "initrd": "M6_MOUNT_INITRD", "remote": "M6_MOUNT_REMOTE"}


def path_problem(path: str) -> str | None:
    """Why `path` is no mount point (None: it is one). Absolute and normal: no empty,
    '.' or '..' name, no trailing '/' but for "/" itself."""
    if len(path.encode()) > MAX_PATH:
        return f"it is {len(path.encode())} bytes long, more than {MAX_PATH}"
    if not path.startswith("/"):
        return "it is not absolute"
    if path == "/":
        return None
    names = path[1:].split("/")
    if "" in names:
        return "it has an empty name ('//' or a trailing '/')"
    if "." in names or ".." in names:
        return "it has a '.' or '..' name"
    return None


def check(comp: model.Component, diags: list[Diagnostic]) -> None:
    cname = comp.name.text
    mounts = [s for s in comp.statements if isinstance(s, model.MountStmt)]
    if len(mounts) > MAX_MOUNTS:
        diags.append(error(f"component '{cname}' has {len(mounts)} mounts, more than {MAX_MOUNTS}",
                           mounts[MAX_MOUNTS].span, f"the VFS's mount table has {MAX_MOUNTS} entries"))
    seen: dict[str, model.MountStmt] = {}
    mappings = {s.name.text: s for s in reversed(comp.statements) if isinstance(s, model.MapStmt)
                and not isinstance(s, model.WindowMapStmt)}
    caps = {s.alias.text: s for s in reversed(comp.statements) if isinstance(s, model.EndpointCapStmt)}
    for stmt in mounts:
        problem = path_problem(stmt.path)
        if problem is not None:
            diags.append(error(f"mount point \"{stmt.path}\" is not a normal absolute path: {problem}",
                               stmt.path_span, f"write it as the VFS resolves paths: '/' then names "
                                               f"separated by one '/', at most {MAX_PATH} bytes, e.g. \"/disk\""))
        else:
            first = seen.get(stmt.path)
            if first is not None:
                diags.append(error(f"\"{stmt.path}\" is mounted twice in component '{cname}'", stmt.path_span,
                                   f"first mounted at line {first.span.line}; a mount point takes one file system"))
            else:
                seen[stmt.path] = stmt
        if stmt.kind == "tmpfs" and stmt.size is not None:
            size = stmt.size.value
            if size == 0 or size % PAGE_SIZE:
                diags.append(error(f"tmpfs size {resources.size_text(size)} is not a non-zero multiple of 4 KiB",
                                   stmt.size.span, "the limit of what the tmpfs may hold, in whole pages"))
            elif size > MAX_REGION_SIZE:
                diags.append(error(f"tmpfs size {resources.size_text(size)} exceeds "
                                   f"{resources.size_text(MAX_REGION_SIZE)}", stmt.size.span))
        elif stmt.kind == "initrd":
            assert stmt.target is not None
            mapping = mappings.get(stmt.target.text)
            decl = comp.memories.get(mapping.memory.text) if mapping is not None else None
            if mapping is None:
                files = sorted(n for n, m in mappings.items() if (d := comp.memories.get(m.memory.text)) is not None
                               and d.file is not None)
                diags.append(error(f"component '{cname}' maps no memory as '{stmt.target.text}'", stmt.target.span,
                                   f"an initrd is a file-backed region the component maps: "
                                   + (f"its file-backed mappings are: {', '.join(files)}" if files else
                                      "declare 'memory NAME file \"KEY\"' and 'map NAME r'")))
            elif decl is not None and decl.file is None:
                diags.append(error(f"mapping '{stmt.target.text}' of component '{cname}' is zero-filled memory, "
                                   f"not a file", stmt.target.span,
                                   f"an initrd is a file of the build: declare its memory as "
                                   f"'memory {mapping.memory.text} file \"KEY\"'"))
        elif stmt.kind == "remote":
            assert stmt.target is not None
            cap = caps.get(stmt.target.text)
            if cap is None or cap.kind != "call" or cap.window is None:
                what = "has no call cap" if cap is None else \
                    f"has a '{cap.kind}' cap" if cap.kind != "call" else "has a call cap without a window"
                diags.append(error(f"component '{cname}' {what} named '{stmt.target.text}'", stmt.target.span,
                                   "a remote file system is called through a windowed cap: "
                                   f"'call C.E as {stmt.target.text} badge B window SIZE' (fs.idl)"))


def resolve(comp: model.Component, cspace: resolved.CSpace, regions: tuple[resolved.Region, ...]
            ) -> tuple[resolved.Mount, ...]:
    """The mount table of a component (on a spec with errors, what resolves)."""
    out: list[resolved.Mount] = []
    maps = {s.name.text: i for i, s in reversed(list(enumerate(comp.statements)))
            if isinstance(s, model.MapStmt) and not isinstance(s, model.WindowMapStmt)}
    for stmt in comp.statements:
        if not isinstance(stmt, model.MountStmt):
            continue
        flags = ("M6_MOUNT_RO",) if stmt.ro or stmt.kind == "initrd" else ()
        vaddr = size = slot = 0
        if stmt.kind == "tmpfs":
            size = stmt.size.value if stmt.size is not None else DEFAULT_TMPFS_SIZE
        elif stmt.kind == "initrd" and stmt.target is not None:
            order = maps.get(stmt.target.text)
            region = next((r for r in regions if r.order == order and r.kind == "memory"), None)
            if region is not None:
                vaddr = region.vaddr
                size = region.obj.length if region.obj is not None and region.obj.path else region.size
        elif stmt.kind == "remote" and stmt.target is not None:
            cap = next((c for c in cspace.slots if c.name == cap_name(stmt.target.text)), None)
            window = next((r for r in regions if r.window is not None and r.window.endpoint is None
                           and r.window.cap == stmt.target.text), None)
            slot = cap.slot if cap is not None else 0
            if window is not None:
                vaddr, size = window.vaddr, window.size
        out.append(resolved.Mount(stmt.path, KINDS[stmt.kind], flags, vaddr, size, slot, stmt.span))
    return tuple(out)
