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
    wait for the reply; a reply carries a cap only from a server whose receive cap has
    GRANT, which the compiler gives a PCI bus's endpoint alone: see the PCI rule below);
  * a fault handler can rewrite the registers of the threads whose faults it receives:
    it controls their component;
  * and a faulting thread sends its handler a message with each fault (with each `svc`,
    for a Linux-ABI thread): the faulter reaches the handler's endpoint;
  * a device that masters DMA with no IOMMU in front of it (the platform's devices.toml)
    reads and writes all of RAM, the kernel's included: its holder controls every
    component and reaches every memory region;
  * a PCI claim (pci.py) lets the claimant reach the PCI functions matching its rule
    (their BAR frames, interrupts, config space) through the bus: one object per claim,
    owned and held by the bus. The bus's endpoint cap has GRANT so that it can answer
    with caps; the analysis trusts the bus's code to hand a claimant only what its table
    gives that badge (the code the spec compiler writes the table for), as it trusts the
    kernel, rather than counting every cap the bus holds (ECAM, windows, IRQControl) as
    reachable by every driver. Whoever controls the bus reaches all of it.

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
from collections.abc import Callable
from dataclasses import dataclass, field

from m6capdl import layout, model, resolved
from m6capdl.diagnostics import Diagnostic, Span, error

_CONTROL = ("cnode", "vspace", "tcb")
# What a component's own objects are called when it holds them.
_OWN_WORDS = {"endpoint": "endpoint", "notification": "notification", "timer": "timer", "untyped": "untyped pool",
              "tcb": "thread", "device": "device", "irq": "irq", "pci": "PCI functions"}


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
    # Every key of `direct`: the object of the model it stands for, and whether it is the
    # grant right of a cap to that (endpoint) object rather than the object itself.
    objects: dict[str, tuple[resolved.Obj, bool]] = field(default_factory=dict)

    def owner(self, key: str) -> str | None:
        return self.objects[key][0].owner


def _loc(span: Span) -> str:
    return (f"{span.file}:" if span.file else "line ") + f"{span.line}"


def build(system: resolved.System) -> Graph:
    """The analysis over the resolved model: what each component holds is what lands in
    its CNode (caps with their rights, grant included) and its VSpace (mappings), and the
    channel to its fault handler."""
    graph = Graph([c.name for c in system.components])
    static: list[Edge] = []

    def hold(held: dict[str, Grant], obj: resolved.Obj, grant: Grant, facet: bool = False,
             keep: bool = False) -> None:
        key = obj.key + "+grant" if facet else obj.key
        graph.objects.setdefault(key, (obj, facet))
        if keep:
            held.setdefault(key, grant)
        else:
            held[key] = grant

    for comp in system.components:
        name = comp.name
        held: dict[str, Grant] = {}
        graph.direct[name] = held
        hold(held, comp.cnode, Grant("its own CNode (M6_CAP_SELF_CNODE)", None))
        hold(held, comp.vspace, Grant("its own VSpace (M6_CAP_SELF_VSPACE)", None))
        hold(held, comp.tcb, Grant("its own main thread (M6_CAP_SELF_TCB)", None))
        hold(held, comp.private, Grant("its own memory (program image, stacks, heap)", None))
        # In declaration order (a later cap to one object tells how it is held): the caps
        # of its CNode, the mappings of its VSpace, the channels to its fault handlers.
        items: list[tuple[int, int, resolved.Cap | resolved.Region | resolved.Fault]] = []
        items += [(cap.order, 0, cap) for cap in comp.cspace.slots if cap.order >= 0]
        items += [(region.order, 0, region) for region in comp.memory.regions if region.kind != "heap"]
        items += [(fault.order, 1, fault) for fault in comp.faults]
        for _, _, item in sorted(items, key=lambda i: (i[0], i[1])):
            if isinstance(item, resolved.Cap):
                _held_cap(name, item, held, hold)
            elif isinstance(item, resolved.Region):
                assert item.obj is not None
                if item.kind == "memory":
                    hold(held, item.obj, Grant(f"a mapping of memory '{item.obj.name}' ({item.rights_text})",
                                               item.span))
                    graph.mapped_by.setdefault(item.obj.key, set()).add(name)
                else:
                    hold(held, item.obj, Grant(f"its device '{item.obj.name}'", item.span))
            else:
                handler = item.component
                assert item.obj is not None and item.span is not None
                # Every fault is a message to the handler's endpoint, and so is every
                # `svc` of a Linux-ABI thread.
                what = "fault and each Linux system call" if comp.linux else "fault"
                hold(held, item.obj, Grant(
                    f"a channel to {handler}.{item.endpoint}, its fault handler: each {what} of its threads "
                    f"is a message to it", item.span), keep=True)
                if handler != name:
                    static.append(Edge(handler, name, 0, "fault", None,
                                       f"'{handler}' receives the faults of '{name}' on "
                                       f"{handler}.{item.endpoint} ({_loc(item.span)}) and can "
                                       f"rewrite the faulting thread's registers: it controls '{name}'",
                                       item.span))
    for entry in system.pci:
        claim, obj = entry.claim, entry.obj
        what = f"the PCI functions matching {obj.name} on bus '{claim.bus}'"
        if claim.claimant in graph.direct:
            hold(graph.direct[claim.claimant], obj, Grant(
                f"a claim on {what} ({entry.cap}, badge {claim.badge}): their BAR frames, interrupts and "
                f"config space through {claim.bus}.{claim.endpoint}", claim.stmt.span))
        if claim.bus in graph.direct:
            hold(graph.direct[claim.bus], obj, Grant(f"{what}, claimed by '{claim.claimant}' (its table)",
                                                     claim.stmt.span), keep=True)
    for comp in system.components:
        name = comp.name
        for key, (master, why) in sorted(comp.dma.items()):
            graph.objects.setdefault(master.key, (master, False))
            for memory in system.memories:
                hold(graph.direct[name], memory, Grant(f"memory '{memory.name}' through DMA: {why}", None),
                     keep=True)
            for other in graph.components:
                if other != name:
                    static.append(Edge(name, other, 0, "dma", master.key,
                                       f"{why}: so '{name}' can read and write all of RAM, the kernel and "
                                       f"every component included; it controls '{other}' and can take any "
                                       f"cap it holds"))
    for edge in static:
        graph.edges.setdefault((edge.taker, edge.giver), edge)
    _saturate(graph)
    return graph


def _held_cap(name: str, cap: resolved.Cap, held: dict[str, Grant], hold: Callable[..., None]) -> None:
    obj = cap.obj
    if obj is None or cap.kind == "asid_pool":
        # (An ASID pool is only ever its own component's: whoever takes it has taken the
        # CNode that holds it.)
        return
    if cap.kind in ("call", "send", "signal"):
        text = f"a '{cap.kind}' cap to {cap.ref} ({cap.name})"
        hold(held, obj, Grant(text, cap.span))
        if cap.grant:
            hold(held, obj, Grant(text.replace("cap", "cap with grant", 1), cap.span), facet=True)
    elif cap.kind == "syscap":
        hold(held, obj, Grant(f"syscap {obj.name}", cap.span))
    else:
        hold(held, obj, Grant(f"its {_OWN_WORDS[obj.kind]} '{obj.name}'", cap.span))


def _is_special(graph: Graph, key: str) -> bool:
    """A grant cap, or a cap that controls a component: what makes new edges."""
    obj, grant = graph.objects[key]
    return grant or obj.kind in _CONTROL


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
    special_direct = {c: {o for o in graph.direct[c] if _is_special(graph, o)} for c in graph.components}
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
                target, grant = graph.objects[obj]
                other = target.owner
                if other == comp or other not in known:
                    continue
                if grant:
                    key = (other, comp)
                    if key not in graph.edges and comp not in graph.takes[other]:
                        ep = f"{other}.{target.name}"
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


def _describe(obj: resolved.Obj) -> str:
    if obj.kind in ("memory", "syscap"):
        return f"{obj.kind} '{obj.name}'" if obj.kind == "memory" else f"syscap {obj.name}"
    simple = {"cnode": "CNode", "vspace": "VSpace", "private": "private memory"}
    if obj.kind in simple or obj.role == "tcb":
        return f"the {simple.get(obj.kind, 'main thread')} of '{obj.owner}'"
    if obj.kind == "pci":
        return f"the PCI functions matching {obj.name} on bus '{obj.owner}'"
    return f"{_OWN_WORDS[obj.kind]} {obj.owner}.{obj.name}"


# ---------------------------------------------------------------------------
# Targets and explanations


def target_objects(graph: Graph, system: resolved.System, target: model.Target) -> set[str] | str:
    """The objects a target stands for, or an error message."""
    if target.pci is not None:
        bus_comps = [c for c in system.components if c.pci_bus is not None]
        if not bus_comps:
            return "the system has no PCI bus (a component with 'pci_bus ENDPOINT')"
        # The claims whose functions could be among those the target matches, and what
        # reaches every function: a bus's device untyped (its ECAM and memory windows).
        objs = {e.obj.key for e in system.pci if e.claim.match.overlaps(target.pci)}
        objs |= {o.key for c in bus_comps for o in c.of_kind("untyped") if o.paddr is not None}
        return objs
    if target.memory is not None:
        memory = system.memory_by_name.get(target.memory.text)
        if memory is None:
            return f"unknown memory '{target.memory.text}'"
        return {memory.key}
    assert target.component is not None
    comp = system.component(target.component.text)
    if comp is None:
        return f"unknown component '{target.component.text}'"
    cname = comp.name
    if target.name is None:
        # Everything anyone reaches is held directly by someone.
        objs = {o for c in graph.components for o in graph.direct[c] if graph.owner(o) == cname}
        objs |= {o.key for o in (comp.cnode, comp.vspace, comp.tcb, comp.private)}
        objs |= {m for m, users in graph.mapped_by.items() if cname in users}
        return objs
    name = target.name.text
    if name == layout.MAIN_THREAD:
        return {comp.tcb.key}
    obj = comp.by_name.get(name)
    if obj is not None:
        return {obj.key, obj.key + "+grant"} if obj.kind == "endpoint" else {obj.key}
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
                lines.append(pad + f"- '{holder_of}' comes to hold {_describe(graph.objects[edge.obj][0])}:")
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


def check_assertions(system: resolved.System) -> list[Diagnostic]:
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
