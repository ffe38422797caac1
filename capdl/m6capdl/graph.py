"""`m6-capdl graph`: who holds what, as Graphviz DOT (and SVG through `dot`)."""

from __future__ import annotations

import shutil
import subprocess

from m6capdl import model

_ARROWS = {"call": "solid", "send": "solid", "signal": "dashed", "map": "bold", "fault": "dotted"}


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(system: model.System) -> str:
    """Components are boxes holding their objects; arrows are caps to other components'
    objects, mappings of shared memory and fault handlers."""
    out = [f"digraph {_q(system.name.text)} {{",
           "  rankdir=LR; compound=true; fontname=\"Helvetica\";",
           "  node [fontname=\"Helvetica\", fontsize=10]; edge [fontname=\"Helvetica\", fontsize=9];",
           f"  label={_q(f'system {system.name.text} on {system.platform.text}')}; labelloc=t;"]
    for decl in system.memories:
        rights = decl.rights.text if decl.rights else "rw"
        out.append(f"  {_q('memory.' + decl.name.text)} [shape=cylinder, style=filled, fillcolor=\"#fff2cc\", "
                   f"label={_q(f'memory {decl.name.text}' + chr(10) + _size(decl.size.value) + ' ' + rights)}];")
    edges: list[str] = []
    for comp in system.components:
        name = comp.name.text
        out.append(f"  subgraph {_q('cluster_' + name)} {{")
        out.append(f"    label={_q(f'{name} (prio {_prio(comp)})')}; style=rounded; color=\"#4a6fa5\";")
        out.append(f"    {_q(name)} [shape=box, style=filled, fillcolor=\"#dae8fc\", label={_q(name)}];")
        for stmt in comp.statements:
            if isinstance(stmt, model.EndpointStmt):
                out.append(f"    {_q(f'{name}.{stmt.name.text}')} [shape=ellipse, label={_q('ep ' + stmt.name.text)}];")
            elif isinstance(stmt, model.NotificationStmt):
                out.append(f"    {_q(f'{name}.{stmt.name.text}')} [shape=diamond, label={_q('ntfn ' + stmt.name.text)}];")
            elif isinstance(stmt, model.TimerStmt):
                out.append(f"    {_q(f'{name}.{stmt.name.text}')} [shape=doublecircle, label={_q('timer ' + stmt.name.text)}];")
            elif isinstance(stmt, model.DeviceStmt):
                what = stmt.path or stmt.compatible or ""
                out.append(f"    {_q(f'{name}.{stmt.name.text}')} [shape=component, style=filled, "
                           f"fillcolor=\"#f8cecc\", label={_q(f'device {stmt.name.text}' + chr(10) + what)}];")
            elif isinstance(stmt, model.UntypedStmt):
                out.append(f"    {_q(f'{name}.{stmt.name.text}')} [shape=box3d, "
                           f"label={_q(f'untyped {stmt.name.text}' + chr(10) + _size(stmt.size.value))}];")
            elif isinstance(stmt, model.ThreadStmt):
                out.append(f"    {_q(f'{name}.{stmt.name.text}')} [shape=cds, label={_q('thread ' + stmt.name.text)}];")
            elif isinstance(stmt, model.IrqStmt):
                out.append(f"    {_q(f'{name}.{stmt.name.text}')} [shape=octagon, label={_q(f'irq {stmt.number.value}')}];")
            if isinstance(stmt, model.EndpointCapStmt):
                label = stmt.kind + (f" b{stmt.badge.value}" if stmt.badge else "") + (" +grant" if stmt.grant else "")
                edges.append(f"  {_q(name)} -> {_q(f'{stmt.component.text}.{stmt.endpoint.text}')} "
                             f"[label={_q(label)}, style={_ARROWS[stmt.kind]}];")
            elif isinstance(stmt, model.SignalStmt):
                label = "signal" + (f" b{stmt.badge.value}" if stmt.badge else "")
                edges.append(f"  {_q(name)} -> {_q(f'{stmt.component.text}.{stmt.notification.text}')} "
                             f"[label={_q(label)}, style=dashed];")
            elif isinstance(stmt, model.MapStmt):
                rights = stmt.rights.text if stmt.rights else "rw"
                edges.append(f"  {_q(name)} -> {_q('memory.' + stmt.memory.text)} [label={_q(rights)}, style=bold, "
                             f"color=\"#b8860b\"];")
            faults = [stmt] if isinstance(stmt, model.FaultStmt) else \
                [s for s in stmt.statements if isinstance(s, model.FaultStmt)] if isinstance(stmt, model.ThreadStmt) else []
            for fault in faults:
                edges.append(f"  {_q(name)} -> {_q(f'{fault.component.text}.{fault.endpoint.text}')} "
                             f"[label=\"faults\", style=dotted, color=\"#b85450\"];")
        out.append("  }")
    out += edges
    out.append("}")
    return "\n".join(out) + "\n"


def _prio(comp: model.Component) -> str:
    stmt = comp.first(model.PriorityStmt)
    return str(stmt.value.value) if isinstance(stmt, model.PriorityStmt) else "?"


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
