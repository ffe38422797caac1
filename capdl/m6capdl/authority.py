"""Authority analysis: which components can come to hold authority over which objects.

The model is take-grant, on the caps and mappings the spec grants, assuming the worst of
every component (any component may pass on anything it is able to pass on):

  * a component holds what the spec gives it: its own CNode, VSpace, TCBs and private
    memory, its endpoints, notifications, pools, devices and IRQs, its call/send/signal
    caps, the shared memory it maps, its syscaps;
  * holding another component's CNode, VSpace or a TCB is controlling it: the holder gets
    everything the controlled component holds;
  * a cap with the grant right to an endpoint lets its holder pass any cap it holds to
    the endpoint's receiver, its own CNode and TCBs included: the receiver can come to
    control the holder (call caps carry GRANT_REPLY, which in m6 only lets the caller
    wait for the reply: replies carry no caps);
  * a fault handler can rewrite the registers of the threads whose faults it receives:
    it controls their component;
  * and a faulting thread sends its handler a message with each fault (with each `svc`,
    for a Linux-ABI thread): the faulter reaches the handler's endpoint;
  * a device that masters DMA with no IOMMU in front of it (the platform's devices.toml)
    reads and writes all of RAM, the kernel's included: its holder controls every
    component and reaches every memory region.

A fault handler chosen at run time (TCB_CONFIGURE naming an endpoint as a thread's fault
endpoint) is no rule of its own: the kernel accepts only an endpoint cap with WRITE and
GRANT there, and a holder of such a cap can already pass the endpoint's owner its own
CNode and TCBs, which the grant rule counts. A plain call or send cap cannot name a fault
endpoint, so it lets its holder reach that one endpoint and nothing more: a server does
not come to control its clients by being called.

These rules are applied until nothing changes. Each derived step is recorded with the
round it appeared in, so an explanation only ever leans on earlier steps (no cycles).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from m6capdl import layout, model
from m6capdl.diagnostics import Diagnostic, Span, error

_ROLE_OF_KIND = {"endpoint": "ep_", "notification": "ntfn_", "timer": "timer_", "untyped": "untyped_",
                 "thread": "tcb_", "device": "device_", "irq": "irq_"}
_CONTROL = ("cnode", "vspace", "tcb")


@dataclass(frozen=True)
class Grant:
    """Why a component holds an object directly."""

    text: str
    span: Span | None


@dataclass(frozen=True)
class Edge:
    """`taker` gets everything `giver` holds, from round `round` on."""

    taker: str
    giver: str
    round: int
    kind: str            # "control", "grant", "fault", "dma"
    obj: str | None      # the object that makes it so (control, grant)
    text: str
    span: Span | None = None


@dataclass
class Graph:
    components: list[str]
    direct: dict[str, dict[str, Grant]] = field(default_factory=dict)
    edges: dict[tuple[str, str], Edge] = field(default_factory=dict)
    reach: dict[str, set[str]] = field(default_factory=dict)  # shared by the members of a cycle
    mapped_by: dict[str, set[str]] = field(default_factory=dict)  # memory.M -> components
    # What saturation looks at: the grant and control objects of `reach` (few, where reach
    # is everything), and the edges by taker, ordered by giver (for explain's searches).
    special: dict[str, set[str]] = field(default_factory=dict)
    # Per component: the components whose everything it takes (itself included), shared
    # like `reach`; and its strongly connected component's representative.
    takes: dict[str, set[str]] = field(default_factory=dict)
    rep: dict[str, str] = field(default_factory=dict)
    by_taker: dict[str, list[tuple[str, Edge]]] = field(default_factory=dict)


def owner(obj: str) -> str | None:
    head, _, _ = obj.partition(".")
    return None if head in ("memory", "syscap") else head


def _loc(span: Span) -> str:
    return (f"{span.file}:" if span.file else "line ") + f"{span.line}"


def build(system: model.System) -> Graph:
    graph = Graph([c.name.text for c in system.components])
    static: list[Edge] = []
    for comp in system.components:
        name = comp.name.text
        held: dict[str, Grant] = {}
        graph.direct[name] = held
        held[f"{name}.cnode"] = Grant("its own CNode (CAP_SELF_CNODE)", None)
        held[f"{name}.vspace"] = Grant("its own VSpace (CAP_SELF_VSPACE)", None)
        held[f"{name}.tcb"] = Grant("its own main thread (CAP_SELF_TCB)", None)
        held[f"{name}.memory"] = Grant("its own memory (program image, stacks, heap)", None)
        for stmt in comp.statements:
            _direct(name, stmt, held, graph)
            faults = [stmt] if isinstance(stmt, model.FaultStmt) else \
                [s for s in stmt.statements if isinstance(s, model.FaultStmt)] if isinstance(stmt, model.ThreadStmt) else []
            for fault in faults:
                handler = fault.component.text
                _fault_channel(name, comp, fault, held)
                if handler != name:
                    static.append(Edge(handler, name, 0, "fault", None,
                                       f"'{handler}' receives the faults of '{name}' on "
                                       f"{handler}.{fault.endpoint.text} ({_loc(fault.span)}) and can "
                                       f"rewrite the faulting thread's registers: it controls '{name}'",
                                       fault.span))
    memories = [m.name.text for m in system.memories]
    for comp in system.components:
        name = comp.name.text
        for key, why in sorted(comp.dma.items()):
            obj = f"{name}.{key}"
            for memory in memories:
                graph.direct[name].setdefault(f"memory.{memory}", Grant(
                    f"memory '{memory}' through DMA: {why}", None))
            for other in graph.components:
                if other != name:
                    static.append(Edge(name, other, 0, "dma", obj,
                                       f"{why}: so '{name}' can read and write all of RAM, the kernel and "
                                       f"every component included; it controls '{other}' and can take any "
                                       f"cap it holds"))
    for edge in static:
        graph.edges.setdefault((edge.taker, edge.giver), edge)
    _saturate(graph)
    return graph


def _fault_channel(name: str, comp: model.Component, fault: model.FaultStmt, held: dict[str, Grant]) -> None:
    """The faulting thread's channel to its handler: every fault is a message to the
    handler's endpoint, and so is every `svc` of a Linux-ABI thread."""
    linux = comp.first(model.LinuxStmt) is not None or any(t.first(model.LinuxStmt) is not None for t in comp.threads)
    what = "fault and each Linux system call" if linux else "fault"
    ep = f"{fault.component.text}.{fault.endpoint.text}"
    held.setdefault(f"{fault.component.text}.ep_{fault.endpoint.text}", Grant(
        f"a channel to {ep}, its fault handler: each {what} of its threads is a message to it", fault.span))


def _direct(name: str, stmt: model.Statement, held: dict[str, Grant], graph: Graph) -> None:
    where = stmt.span
    if isinstance(stmt, model.EndpointStmt):
        held[f"{name}.ep_{stmt.name.text}"] = Grant(f"its endpoint '{stmt.name.text}'", where)
    elif isinstance(stmt, model.NotificationStmt):
        held[f"{name}.ntfn_{stmt.name.text}"] = Grant(f"its notification '{stmt.name.text}'", where)
    elif isinstance(stmt, model.TimerStmt):
        held[f"{name}.timer_{stmt.name.text}"] = Grant(f"its timer '{stmt.name.text}'", where)
    elif isinstance(stmt, model.UntypedStmt):
        held[f"{name}.untyped_{stmt.name.text}"] = Grant(f"its untyped pool '{stmt.name.text}'", where)
    elif isinstance(stmt, model.ThreadStmt):
        held[f"{name}.tcb_{stmt.name.text}"] = Grant(f"its thread '{stmt.name.text}'", where)
    elif isinstance(stmt, model.DeviceStmt):
        held[f"{name}.device_{stmt.name.text}"] = Grant(f"its device '{stmt.name.text}'", where)
    elif isinstance(stmt, model.IrqStmt):
        held[f"{name}.irq_{stmt.name.text}"] = Grant(f"its irq '{stmt.name.text}'", where)
    elif isinstance(stmt, model.EndpointCapStmt):
        target = f"{stmt.component.text}.ep_{stmt.endpoint.text}"
        text = f"a '{stmt.kind}' cap to {stmt.component.text}.{stmt.endpoint.text} (CAP_{stmt.alias.text.upper()})"
        held[target] = Grant(text, where)
        if stmt.grant:
            held[target + "+grant"] = Grant(text.replace("cap", "cap with grant", 1), where)
    elif isinstance(stmt, model.SignalStmt):
        held[f"{stmt.component.text}.ntfn_{stmt.notification.text}"] = Grant(
            f"a 'signal' cap to {stmt.component.text}.{stmt.notification.text} (CAP_{stmt.alias.text.upper()})", where)
    elif isinstance(stmt, model.MapStmt):
        obj = f"memory.{stmt.memory.text}"
        rights = stmt.rights.text if stmt.rights else "rw"
        held[obj] = Grant(f"a mapping of memory '{stmt.memory.text}' ({rights})", where)
        graph.mapped_by.setdefault(obj, set()).add(name)
    elif isinstance(stmt, model.SyscapStmt):
        held[f"syscap.{stmt.name.text}"] = Grant(f"syscap {stmt.name.text}", where)


def _is_special(obj: str) -> bool:
    """A grant cap, or a cap that controls a component: what makes new edges."""
    role = obj.partition(".")[2]
    return role.endswith("+grant") or role.split("_", 1)[0] in _CONTROL


def _closure(graph: Graph, special_direct: dict[str, set[str]]) -> None:
    """reach[A] = what A holds directly or through the components it gets everything of.

    Computed once per strongly connected component of the "takes" graph (its members reach
    the same objects and share one set), successors first: linear in the size of the
    condensed graph, where a search from every component would be quadratic."""
    takes: dict[str, list[str]] = {c: [] for c in graph.components}
    for (taker, giver) in graph.edges:
        takes[taker].append(giver)
    graph.reach, graph.special, graph.takes, graph.rep = {}, {}, {}, {}
    order = {c: i for i, c in enumerate(graph.components)}
    for members, successors in _sccs(graph.components, takes):
        objs: set[str] = set()
        special: set[str] = set()
        taken: set[str] = set(members)
        for m in members:
            objs.update(graph.direct[m])
            special.update(special_direct[m])
        for succ in successors:
            objs.update(graph.reach[succ])
            special.update(graph.special[succ])
            taken.update(graph.takes[succ])
        rep = min(members, key=order.__getitem__)
        for m in members:
            graph.reach[m] = objs
            graph.special[m] = special
            graph.takes[m] = taken
            graph.rep[m] = rep


def _sccs(nodes: list[str], succ: dict[str, list[str]]) -> list[tuple[list[str], list[str]]]:
    """Strongly connected components (Tarjan, iterative), each with one member of every
    component it has an edge to; every component comes after those it points to."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    comp_of: dict[str, int] = {}
    out: list[tuple[list[str], list[str]]] = []
    for root in nodes:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(succ[root]))]
        while work:
            node, it = work[-1]
            pushed = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(succ[nxt])))
                    pushed = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if pushed:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                members: list[str] = []
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    comp_of[m] = len(out)
                    members.append(m)
                    if m == node:
                        break
                number = len(out)
                seen: set[int] = set()
                successors: list[str] = []
                for m in members:
                    for nxt in succ[m]:
                        c = comp_of[nxt]
                        if c != number and c not in seen:
                            seen.add(c)
                            successors.append(nxt)
                out.append((members, successors))
    return out


def _saturate(graph: Graph) -> None:
    known = set(graph.components)
    looked_at: dict[str, set[str]] = {c: set() for c in graph.components}
    special_direct = {c: {o for o in graph.direct[c] if _is_special(o)} for c in graph.components}
    rnd = 0
    while True:
        rnd += 1
        _closure(graph, special_direct)
        new: list[Edge] = []
        # The members of a strongly connected component share what they reach: its
        # representative alone looks at its grant and control objects (looking from every
        # member made a large system's analysis quadratic), and no edge is made that adds
        # nothing (a component it takes already, or one that takes it already).
        for comp in graph.components:
            if graph.rep[comp] != comp:
                continue
            fresh = graph.special[comp] - looked_at[comp]  # special sets only grow
            looked_at[comp] |= fresh
            taken = graph.takes[comp]
            for obj in sorted(fresh):
                other = obj.partition(".")[0]
                if other == comp or other not in known:
                    continue
                if obj.endswith("+grant"):
                    key = (other, comp)
                    if key not in graph.edges and comp not in graph.takes[other]:
                        ep = obj[:-6].replace(".ep_", ".")
                        new.append(Edge(other, comp, rnd, "grant", obj,
                                        f"so '{comp}' can pass '{other}' any cap it holds through {ep}, its "
                                        f"CNode and TCB included, or make {ep} its threads' fault endpoint "
                                        f"(TCB_CONFIGURE takes a cap with grant): either way '{other}' can "
                                        f"control '{comp}'"))
                else:
                    key = (comp, other)
                    if key not in graph.edges and other not in taken:
                        new.append(Edge(comp, other, rnd, "control", obj,
                                        f"so '{comp}' controls '{other}' and can take any cap it holds"))
        added = False
        for edge in new:
            if (edge.taker, edge.giver) not in graph.edges:
                graph.edges[(edge.taker, edge.giver)] = edge
                added = True
        if not added:
            break
    graph.by_taker = {c: [] for c in graph.components}
    for (taker, giver), edge in sorted(graph.edges.items(), key=lambda item: item[0]):
        graph.by_taker[taker].append((giver, edge))


def _describe(obj: str) -> str:
    comp, _, role = obj.partition(".")
    if comp == "memory":
        return f"memory '{role}'"
    if comp == "syscap":
        return f"syscap {role}"
    role = role.removesuffix("+grant")
    simple = {"cnode": "CNode", "vspace": "VSpace", "tcb": "main thread", "memory": "private memory"}
    if role in simple:
        return f"the {simple[role]} of '{comp}'"
    kind, _, name = role.partition("_")
    words = {"ep": "endpoint", "ntfn": "notification", "timer": "timer", "untyped": "untyped pool", "tcb": "thread",
             "device": "device", "irq": "irq"}
    return f"{words.get(kind, kind)} {comp}.{name}"


# ---------------------------------------------------------------------------
# Targets and explanations


def target_objects(graph: Graph, system: model.System, target: model.Target) -> set[str] | str:
    """The objects a target stands for, or an error message."""
    if target.memory is not None:
        if not any(m.name.text == target.memory.text for m in system.memories):
            return f"unknown memory '{target.memory.text}'"
        return {f"memory.{target.memory.text}"}
    assert target.component is not None
    comp = system.component(target.component.text)
    if comp is None:
        return f"unknown component '{target.component.text}'"
    cname = comp.name.text
    if target.name is None:
        # Everything anyone reaches is held directly by someone.
        objs = {o for c in graph.components for o in graph.direct[c] if owner(o) == cname}
        objs |= {f"{cname}.{r}" for r in ("cnode", "vspace", "tcb", "memory")}
        objs |= {m for m, users in graph.mapped_by.items() if cname in users}
        return objs
    name = target.name.text
    if name == layout.MAIN_THREAD:
        return {f"{cname}.tcb"}
    for stmt in comp.statements:
        decl = getattr(stmt, "name", None)
        kind = {model.EndpointStmt: "endpoint", model.NotificationStmt: "notification", model.TimerStmt: "timer",
                model.UntypedStmt: "untyped", model.ThreadStmt: "thread", model.DeviceStmt: "device",
                model.IrqStmt: "irq"}.get(type(stmt))
        if kind is not None and isinstance(decl, model.Ident) and decl.text == name:
            obj = f"{cname}.{_ROLE_OF_KIND[kind]}{name}"
            return {obj, obj + "+grant"} if kind == "endpoint" else {obj}
    return f"component '{cname}' declares nothing called '{name}'"


def explain(graph: Graph, subject: str, targets: set[str], limit: int | None = None,
            depth: int = 0) -> list[str]:
    """Lines telling how `subject` comes to hold one of `targets`, or [] if it cannot."""
    limit = limit if limit is not None else 1 << 30
    parents: dict[str, Edge | None] = {subject: None}
    queue = deque([subject])
    found: tuple[str, str] | None = None
    while queue:
        cur = queue.popleft()
        hits = sorted(targets & graph.direct[cur].keys())
        if hits:
            found = (cur, hits[0])
            break
        for giver, edge in graph.by_taker[cur]:
            if giver not in parents and edge.round < limit:
                parents[giver] = edge
                queue.append(giver)
    if found is None:
        return []
    holder, obj = found
    chain: list[Edge] = []
    cur = holder
    while parents[cur] is not None:
        edge = parents[cur]
        assert edge is not None
        chain.append(edge)
        cur = edge.taker
    chain.reverse()
    pad = "  " * depth
    lines: list[str] = []
    for edge in chain:
        if edge.obj is not None and depth < 4:
            holder_of = edge.taker if edge.kind in ("control", "dma") else edge.giver
            if edge.obj not in graph.direct[holder_of]:
                lines.append(pad + f"- '{holder_of}' comes to hold {_describe(edge.obj)}:")
                lines += explain(graph, holder_of, {edge.obj}, edge.round, depth + 1)
            else:
                lines.append(pad + "- " + _held(holder_of, edge.obj, graph.direct[holder_of][edge.obj]))
        lines.append(pad + "- " + edge.text)
    lines.append(pad + "- " + _held(holder, obj, graph.direct[holder][obj]))
    return lines


def _held(comp: str, obj: str, grant: Grant) -> str:
    where = f" ({_loc(grant.span)})" if grant.span is not None else ""
    return f"'{comp}' holds {grant.text}{where}"


_FAILED = "assertion failed: "


def is_failed_assertion(diag: Diagnostic) -> bool:
    """An assertion the analysis disproved (not a malformed one): the spec is otherwise
    sound, so `why` and `graph` can still work on it."""
    return diag.message.startswith(_FAILED)


def check_assertions(system: model.System) -> list[Diagnostic]:
    if not system.assertions:
        return []
    graph = build(system)
    diags: list[Diagnostic] = []
    for assertion in system.assertions:
        subject = assertion.subject.text
        if system.component(subject) is None:
            diags.append(error(f"unknown component '{subject}'", assertion.subject.span,
                               f"declared components are: {', '.join(sorted(graph.components))}"))
            continue
        objs = target_objects(graph, system, assertion.target)
        if isinstance(objs, str):
            diags.append(error(objs, assertion.target.span))
            continue
        if assertion.target.name is None and assertion.target.component is not None \
                and assertion.target.component.text == subject:
            diags.append(error(f"an assertion about component '{subject}' and itself", assertion.target.span,
                               "a component always reaches its own objects"))
            continue
        path = explain(graph, subject, objs)
        what = assertion.target.describe()
        if assertion.negative and path:
            diags.append(error(f"{_FAILED}'{subject}' can reach {what}", assertion.span,
                               "the path:\n" + "\n".join(path)))
        elif not assertion.negative and not path:
            diags.append(error(f"{_FAILED}'{subject}' cannot reach {what}", assertion.span,
                               "no cap, mapping, grant, fault handler or DMA-capable device leads there"))
    return diags
