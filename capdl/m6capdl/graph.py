"""`m6-capdl graph`: who holds what, as Graphviz DOT (and SVG through `dot`)."""

from __future__ import annotations

import shutil
import subprocess

from m6capdl import resolved

_ARROWS = {"call": "solid", "send": "solid", "signal": "dashed", "map": "bold", "fault": "dotted"}


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(system: resolved.System) -> str:
    """Components are boxes holding their objects; arrows are caps to other components'
    objects, mappings of shared memory and fault handlers."""
    out = [f"digraph {_q(system.name)} {{",
           "  rankdir=LR; compound=true; fontname=\"Helvetica\";",
           "  node [fontname=\"Helvetica\", fontsize=10]; edge [fontname=\"Helvetica\", fontsize=9];",
           f"  label={_q(f'system {system.name} on {system.platform}')}; labelloc=t;"]
    for mem in system.memories:
        out.append(f"  {_q(mem.key)} [shape=cylinder, style=filled, fillcolor=\"#fff2cc\", "
                   f"label={_q(f'memory {mem.name}' + chr(10) + _size(mem.size) + ' ' + mem.rights)}];")
    edges: list[str] = []
    # A PCI claim's call cap is drawn as what it lets its holder reach (pci.py).
    claims = {(e.claim.claimant, e.cap): e for e in system.pci}
    for comp in system.components:
        name = comp.name
        out.append(f"  subgraph {_q('cluster_' + name)} {{")
        out.append(f"    label={_q(f'{name} (prio {_prio(comp)})')}; style=rounded; color=\"#4a6fa5\";")
        out.append(f"    {_q(name)} [shape=box, style=filled, fillcolor=\"#dae8fc\", label={_q(name)}];")
        for obj in comp.declared:
            out.append(f"    {_q(f'{name}.{obj.name}')} {_node(comp, obj)};")
        # Arrows in declaration order: caps to others' objects, mappings, fault handlers.
        arrows: list[tuple[int, int, str]] = []
        for cap in comp.cspace.slots:
            if cap.kind in ("call", "send", "signal"):
                # (A badge written as 0 is shown: the spec says so.)
                label = cap.kind + (f" b{cap.badge}" if cap.badge_span else "") + (" +grant" if cap.grant else "")
                claim = claims.get((name, cap.name))
                if claim is not None:
                    label = f"may claim PCI {claim.obj.name} (b{cap.badge})"
                arrows.append((cap.order, 0, f"  {_q(name)} -> {_q(cap.ref)} [label={_q(label)}, "
                                             f"style={_ARROWS[cap.kind]}];"))
        for region in comp.memory.regions:
            if region.kind == "memory":
                assert region.obj is not None
                arrows.append((region.order, 0, f"  {_q(name)} -> {_q(region.obj.key)} "
                                                f"[label={_q(region.rights_text)}, style=bold, color=\"#b8860b\"];"))
        for fault in comp.faults:
            arrows.append((fault.order, 1, f"  {_q(name)} -> {_q(f'{fault.component}.{fault.endpoint}')} "
                                           f"[label=\"faults\", style=dotted, color=\"#b85450\"];"))
        edges += [text for _, _, text in sorted(arrows, key=lambda a: (a[0], a[1]))]
        out.append("  }")
    out += edges
    out.append("}")
    return "\n".join(out) + "\n"


def _node(comp: resolved.Component, obj: resolved.Obj) -> str:
    """The attributes of a declared object's node."""
    if obj.kind == "endpoint":
        return f"[shape=ellipse, label={_q('ep ' + obj.name)}]"
    if obj.kind == "notification":
        return f"[shape=diamond, label={_q('ntfn ' + obj.name)}]"
    if obj.kind == "timer":
        return f"[shape=doublecircle, label={_q('timer ' + obj.name)}]"
    if obj.kind == "device":
        what = obj.selector
        return (f"[shape=component, style=filled, fillcolor=\"#f8cecc\", "
                f"label={_q(f'device {obj.name}' + chr(10) + what)}]")
    if obj.kind == "untyped":
        return f"[shape=box3d, label={_q(f'untyped {obj.name}' + chr(10) + _size(obj.size))}]"
    if obj.kind == "tcb":
        return f"[shape=cds, label={_q('thread ' + obj.name)}]"
    assert obj.kind == "irq"
    return f"[shape=octagon, label={_q(f'irq {obj.number}')}]"


def _prio(comp: resolved.Component) -> str:
    return str(comp.priority) if comp.has_priority else "?"


def _size(value: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if value and value % scale == 0:
            return f"{value // scale} {unit}"
    return f"{value} B"


def to_svg(dot: str) -> bytes:
    """Render with Graphviz; RuntimeError with a readable reason if it cannot."""
    exe = shutil.which("dot")
    if exe is None:
        raise RuntimeError("Graphviz 'dot' is not installed (apt-get install graphviz)")
    proc = subprocess.run([exe, "-Tsvg"], input=dot.encode(), capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError("dot failed: " + proc.stderr.decode("utf-8", "replace").strip())
    return proc.stdout
