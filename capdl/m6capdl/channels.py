"""Channels: `channel NAME from P to C depth N [data SIZE]`, checked and expanded.

A channel is sugar for statements the language already has, so that every later pass
(the name and cap checks, CNode sizing, region placement, the RAM budget, the authority
analysis, the graph) sees exactly what it grants and nothing more:

* `memory NAME SIZE rw`: the queue area (the generated IDL queue's indices, flags and
  DEPTH entries of at most QUEUE_ENTRY_MAX bytes, rounded up to whole pages), then the
  data area;
* in each of the two components, after its own statements: `notification NAME` (it
  sleeps on it), `signal OTHER.NAME as NAME_peer badge 1` (it wakes the other side) and
  `map NAME rw`.

The expanded statements carry the channel's span, so a clash they cause (an endpoint of
the same name, a cap name taken) is reported at the channel. resolve() records each
channel (resolved.Channel) so the header can name the queue and data areas.
"""

from __future__ import annotations

from m6capdl import model, resources
from m6capdl.diagnostics import Diagnostic, error, line_of
from m6capdl.layout import MAX_REGION_SIZE, PAGE_SIZE, page_up

# The generated queue (capdl/m6idl/templates/interface.h.j2): two 64-byte lines of
# indices and flags, then the entries.
QUEUE_HEADER = 128
# The largest entry a channel's queue area has room for: a cache line (a descriptor of a
# buffer in the data area, typically offset and length, needs far less).
QUEUE_ENTRY_MAX = 64
MAX_DEPTH = 1 << 20   # as the IDL's queues
PEER_BADGE = 1        # the bit each side's signal sets in the other's notification
PEER_SUFFIX = "_peer"


def queue_size(depth: int) -> int:
    """Bytes of the queue area of a channel of `depth` entries: whole pages."""
    return page_up(QUEUE_HEADER + depth * QUEUE_ENTRY_MAX)


def _size(value: int) -> str:
    return resources.size_text(value)


def check(system: model.System) -> list[Diagnostic]:
    """Problems of the channel declarations themselves; the sound ones are then expanded."""
    diags: list[Diagnostic] = []
    components = {c.name.text for c in system.components}
    memories = {d.name.text: d for d in system.memories}
    seen: dict[str, model.ChannelDecl] = {}
    for ch in system.channels:
        bad = False
        first = seen.get(ch.name.text)
        if first is not None:
            diags.append(error(f"duplicate channel '{ch.name.text}'", ch.name.span,
                               f"first declared at {line_of(first.name.span, ch.name.span, system.file)}"))
            continue
        seen[ch.name.text] = ch
        mem = memories.get(ch.name.text)
        if mem is not None:
            diags.append(error(f"channel '{ch.name.text}' has the name of a memory region", ch.name.span,
                               f"the channel's memory is 'memory {ch.name.text}'; the region is declared at "
                               f"{line_of(mem.name.span, ch.name.span, system.file)}"))
            bad = True
        for side in (ch.producer, ch.consumer):
            if side.text not in components:
                diags.append(error(f"unknown component '{side.text}'", side.span,
                                   f"declared components are: {', '.join(sorted(components))}"))
                bad = True
        if ch.producer.text == ch.consumer.text and ch.producer.text in components:
            diags.append(error(f"channel '{ch.name.text}' connects component '{ch.producer.text}' to itself",
                               ch.consumer.span, "a channel connects two components; within one, threads "
                                                 "share memory already"))
            bad = True
        for side in (ch.producer, ch.consumer):
            comp = system.component(side.text)
            taken = _declared(comp, ch.name.text) if comp is not None else None
            if taken is not None:
                diags.append(error(f"channel '{ch.name.text}' needs the name '{ch.name.text}' in component "
                                   f"'{side.text}', which already declares it", ch.name.span,
                                   f"declared as {taken.keyword} at "
                                   f"{line_of(taken.span, ch.name.span, system.file)}; the channel adds "
                                   f"notification '{ch.name.text}' to both sides"))
                bad = True
        depth = ch.depth.value
        if depth < 2 or depth > MAX_DEPTH or depth & (depth - 1):
            diags.append(error(f"channel depth {ch.depth.text} is not a power of two from 2 to {MAX_DEPTH}",
                               ch.depth.span, "the queue's indices are masked with depth - 1"))
            bad = True
        if ch.data is not None:
            data = ch.data.value
            if data == 0 or data % PAGE_SIZE:
                diags.append(error(f"channel data size {_size(data)} is not a non-zero multiple of 4 KiB",
                                   ch.data.span, "memory is shared in whole 4 KiB pages"))
                bad = True
            elif not bad and queue_size(depth) + data > MAX_REGION_SIZE:
                diags.append(error(f"channel '{ch.name.text}' needs {_size(queue_size(depth) + data)} of memory, "
                                   f"more than {_size(MAX_REGION_SIZE)}", ch.data.span,
                                   f"its queue area takes {_size(queue_size(depth))}"))
                bad = True
        if not bad:
            _expand(system, ch)
    return diags


def _declared(comp: model.Component, name: str) -> model.Statement | None:
    """The statement of `comp` that declares an object called `name`, if any (objects of
    one component share one namespace)."""
    kinds = (model.EndpointStmt, model.NotificationStmt, model.TimerStmt, model.UntypedStmt, model.ThreadStmt,
             model.DeviceStmt, model.IrqStmt)
    for stmt in comp.statements:
        if isinstance(stmt, kinds) and stmt.name.text == name:
            return stmt
    return None


def expand(system: model.System) -> list[Diagnostic]:
    """Check the channels and add the statements of the sound ones (once per model)."""
    if system.channels_expanded:
        return []
    system.channels_expanded = True
    return check(system)


def _expand(system: model.System, ch: model.ChannelDecl) -> None:
    system.sound_channels.append(ch)
    span, name = ch.span, ch.name
    size = queue_size(ch.depth.value) + (ch.data.value if ch.data is not None else 0)
    system.memories.append(model.MemoryDecl(span, name, model.Number(size, span, str(size)), None))
    for side, other in ((ch.producer, ch.consumer), (ch.consumer, ch.producer)):
        comp = system.component(side.text)
        assert comp is not None
        peer = model.Ident(name.text + PEER_SUFFIX, name.span)
        comp.statements += [
            model.NotificationStmt(span, name),
            model.SignalStmt(span, model.Ident(other.text, other.span), name, peer,
                             model.Number(PEER_BADGE, span, str(PEER_BADGE))),
            model.MapStmt(span, name, None, None, None),
        ]
