"""The resolved model of a system: what the spec means, as every back end reads it.

The parser keeps statements as written (model.py); checks.py judges them. resolve() then
walks them once and builds one typed model: every kernel object once, with a stable name
and kind; every cap with its CNode slot, rights, badge and the object it names (an object,
never a name to look up or split apart); every thread with its defaults filled in (stack,
max priority, fault handler inherited from the component); every memory region placed
in the address space. Layout (boot tables), emit (headers, manifest), graph and the
authority analysis read this model only, so a new construct is resolved in one place.

resolve() also runs on a spec with errors (checks.py sizes CNodes and compares headers
before it knows every reference is sound): a reference that does not resolve is None,
and a missing value gets a harmless default. Back ends run only on a spec without errors.
"""

from __future__ import annotations

import dataclasses

from dataclasses import dataclass, field
from typing import Any

from m6capdl import abi_layout, channels, elfload, layout, model
from m6capdl.diagnostics import Span
from m6capdl.layout import (
    ASID_POOL_CAP,
    ASID_POOL_ROLE,
    AUTO_REGION_BASE,
    IPC_BUFFER_VADDR,
    MAIN_THREAD,
    MEMORY_RIGHTS,
    PAGE_SIZE,
    RIGHTS_ALL,
    RIGHTS_RW,
    STACK_TOP,
    SYSCAP_RIGHTS,
    SYSCAPS,
    THREAD_WINDOW,
    args_block_size,
    cap_name,
    self_cap_name,
    page_up,
    thread_cap_name,
)

# ---------------------------------------------------------------------------
# Objects


@dataclass(eq=False, slots=True)
class Obj:
    """A kernel object (or a system resource) of the system, made once by resolve(): caps,
    mappings and fault handlers point at it, and compare by identity.

    `key` is its stable name, unique in the system: `C.role` for a component's objects
    (`C.ep_X`, `C.tcb`, `C.tcb_X`, `C.cnode`, ...), `memory.M`, `syscap.S`. Objects the
    boot tables create carry that name there too."""

    owner: str | None   # the component that declares it; None: system-level
    kind: str           # one of KINDS
    name: str           # as declared ("main" for the main thread's TCB)
    role: str           # the key without its owner ("ep_X"; "memory.M" has "M")
    key: str
    span: Span | None = None
    size: int = 0               # untyped, memory: bytes
    paddr: int | None = None    # device untyped: its physical address
    rights: str = "rw"          # memory: the most a mapping may ask for
    count: int = 0              # ASID pool: ASIDs
    number: int = 0             # irq: the interrupt ID
    selector: str = ""          # device: its device-tree path or compatible string
    # For diagnostics: the declared name, and the size (untyped) or count (ASID pool) as
    # written (`span` is the whole declaration).
    name_span: Span | None = None
    value_span: Span | None = None
    order: int = -1             # index of its declaration in the component
    path: str = ""              # file-backed memory: the file (files.py); "" for zero-filled memory
    length: int = 0             # file-backed memory: the file's exact length in bytes


KINDS = ("cnode", "vspace", "tcb", "private", "endpoint", "notification", "timer", "untyped", "asid_pool",
         "device", "irq", "memory", "syscap", "pci")

# Declarations that give a component-local object a name (one namespace per component).
_DECLARED: dict[type[model.Statement], tuple[str, str]] = {
    model.EndpointStmt: ("endpoint", "ep_"),
    model.NotificationStmt: ("notification", "ntfn_"),
    model.TimerStmt: ("timer", "timer_"),
    model.UntypedStmt: ("untyped", "untyped_"),
    model.ThreadStmt: ("tcb", "tcb_"),
    model.DeviceStmt: ("device", "device_"),
    model.IrqStmt: ("irq", "irq_"),
}


# ---------------------------------------------------------------------------
# Caps


@dataclass(frozen=True, slots=True)
class Cap:
    """A cap the boot puts in a component's CNode."""

    slot: int
    name: str                 # CAP_X
    kind: str                 # self_cnode, self_vspace, self_tcb, endpoint, call, send, signal, ...
    type: str                 # enum m6_object_type name
    rights: tuple[str, ...]   # enum m6_right names (or M6_RIGHTS_ALL)
    badge: int = 0
    obj: Obj | None = None    # what it names; None: a reference that does not resolve
    ref: str = ""             # call/send/signal: the target as written, "C.NAME"
    syscap: str | None = None
    span: Span | None = None
    order: int = -1           # index of its statement in the component (-1: self caps)
    badge_span: Span | None = None  # call/send/signal: the badge as written (None: no badge given)
    window: int = 0           # call: the size of its window (windows.py); 0: none
    original: str = ""        # supervised_copy: the name of the cap it is the original of

    @property
    def grant(self) -> bool:
        return "M6_RIGHT_GRANT" in self.rights


@dataclass(frozen=True, slots=True)
class CSpace:
    radix: int
    slots: tuple[Cap, ...]   # slot 0 (null) is not listed


# ---------------------------------------------------------------------------
# Threads


@dataclass(frozen=True, slots=True)
class Fault:
    """Where a thread's faults go: endpoint `name` of component `component`."""

    component: str
    endpoint: str
    badge: int
    obj: Obj | None = None
    span: Span | None = None
    order: int = -1           # index of the statement (a thread's `fault`: its thread's)
    badge_span: Span | None = None  # None: no badge given (0)


@dataclass(frozen=True, slots=True)
class Thread:
    name: str                 # "main" or the thread's name
    window: int               # 0 for the main thread
    priority: int
    max_priority: int
    stack_size: int
    linux: bool
    fault: Fault | None
    entry_symbol: str | None  # None: the ELF's entry point (main thread)
    max_timeslice_us: int = 0  # longest timeslice it may give; 0: the kernel's default
    tcb: Obj | None = None
    cpu: int = 0               # the CPU it runs on (docs/spec-language.md: placement)
    entry_span: Span | None = None

    @property
    def stack_top(self) -> int:
        return STACK_TOP - self.window * THREAD_WINDOW

    @property
    def ipc_buffer_vaddr(self) -> int:
        return IPC_BUFFER_VADDR - self.window * THREAD_WINDOW

    @property
    def stack_bottom(self) -> int:
        return self.stack_top - self.stack_size

    @property
    def guard_page(self) -> int:
        return self.stack_bottom - PAGE_SIZE


# ---------------------------------------------------------------------------
# Memory


@dataclass(frozen=True, slots=True)
class RegRange:
    """One `reg` entry of a device, as the component sees it."""

    vaddr: int  # where its first byte is mapped (not necessarily page aligned)
    paddr: int
    size: int


@dataclass(frozen=True, slots=True)
class Window:
    """Whose window a region is (windows.py): the call cap `cap` of component `client`;
    in the server, also the endpoint it calls and the badge of the cap."""

    client: str
    cap: str
    endpoint: str | None   # None: this is the caller's mapping
    badge: int


@dataclass(frozen=True, slots=True)
class Region:
    """A mapped range other than the image and the threads: shared memory, heap, device."""

    name: str                   # as in the header: M6_MEM_<NAME>, M6_DEVICE_<NAME>
    kind: str                   # "memory", "heap", "device"
    vaddr: int
    size: int                   # bytes mapped, a multiple of 4 KiB
    rights: tuple[str, ...]
    memory: str | None = None   # the system memory region mapped (kind "memory")
    pages: tuple[int, ...] = ()  # physical page addresses (kind "device")
    regs: tuple[RegRange, ...] = ()
    obj: Obj | None = None      # the memory region or device mapped
    span: Span | None = None
    order: int = -1
    value_span: Span | None = None  # heap: its size as written
    window: Window | None = None    # a call's window (kind "memory")

    @property
    def end(self) -> int:
        return self.vaddr + self.size

    @property
    def rights_text(self) -> str:
        """r, rw or rx."""
        return "".join(r[len("M6_RIGHT_"):][0].lower() for r in self.rights)


@dataclass(frozen=True, slots=True)
class MemoryMap:
    threads: tuple[Thread, ...]  # the main thread first
    regions: tuple[Region, ...] = ()
    args: tuple[str, ...] = ()  # argv of the main thread

    @property
    def args_base(self) -> int:
        """Where the argument block starts: the main thread's initial sp and x1 (without
        arguments: the stack top, and x1 = 0)."""
        if not self.args:
            return self.threads[0].stack_top
        return self.threads[0].stack_top - args_block_size(list(self.args))

    # The main thread's, as the component header names them.
    @property
    def stack_top(self) -> int:
        return self.threads[0].stack_top

    @property
    def stack_size(self) -> int:
        return self.threads[0].stack_size

    @property
    def ipc_buffer_vaddr(self) -> int:
        return self.threads[0].ipc_buffer_vaddr

    @property
    def stack_bottom(self) -> int:
        return self.threads[0].stack_bottom

    @property
    def guard_page(self) -> int:
        return self.threads[0].guard_page

    def reserved(self) -> list[elfload.Region]:
        regions = []
        for th in self.threads:
            who = "" if th.name == MAIN_THREAD else f" of thread '{th.name}'"
            regions += [
                elfload.Region(th.stack_bottom, th.stack_top, "stack" + who),
                elfload.Region(th.guard_page, th.stack_bottom, "stack guard page" + who),
                elfload.Region(th.ipc_buffer_vaddr, th.ipc_buffer_vaddr + PAGE_SIZE, "IPC buffer" + who),
            ]
        return regions


@dataclass(frozen=True, slots=True)
class Mount:
    """A `mount` of the component (mounts.py), as its header's M6_MOUNTS row."""

    path: str
    kind: str                  # M6_MOUNT_TMPFS, _INITRD or _REMOTE
    flags: tuple[str, ...]     # M6_MOUNT_RO
    vaddr: int                 # initrd: the mapping; remote: the window
    size: int                  # tmpfs: the limit; initrd: the file's length; remote: the window's
    cap: int                   # remote: the call cap's slot
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Disk:
    """A `disk` (disks.py): an image QEMU attaches to a virtio-mmio transport of the
    component, or as an NVMe controller its PCI claim finds. No object, no cap: it is an
    output for the host's command line only."""

    name: str                  # the drive's id
    component: str             # the driver, which holds the transport
    image_key: str             # m6_add_system(... DISKS KEY=PATH)
    read_only: bool
    size: int | None           # bytes the image must have; None: any
    device: str                # the component's `device` statement
    device_path: str           # its device-tree node
    mmio_base: int             # the transport's registers (nvme: 0)
    transport: int             # its index in address order: QEMU's virtio-mmio-bus.N (nvme: -1)
    span: Span | None = None
    kind: str = "virtio-blk"   # or "nvme": `device` is then the driver's PCI claim


# ---------------------------------------------------------------------------
# Components and the system


@dataclass(frozen=True, slots=True)
class Channel:
    """A `channel`: a queue (then a data area) in `memory`, which both components map.
    Each has a notification named like the channel (CAP_NAME) and a signal cap to the
    other's (CAP_NAME_PEER)."""

    name: str
    producer: str
    consumer: str
    depth: int
    queue_size: int     # bytes, from the start of the region
    data_size: int      # bytes, right after the queue area
    memory: Obj
    span: Span


@dataclass(frozen=True, slots=True)
class PciClaim:
    claim: Any      # pci.Claim
    obj: Obj        # kind "pci": the functions matching the claim's rule, on its bus
    cap: str        # the claimant's call cap (CAP_X)


@dataclass(frozen=True, slots=True)
class Supervised:
    """A component restarted by this one (`restart by THIS.EP`, docs/supervision.md): the
    supervisor's slots of the caps it rebuilds it with."""

    component: str
    badge: int                      # the fault badge its threads' faults carry
    cnode_slot: int                 # its CNode (guard 64 - its radix: address with depth 64)
    tcb_slots: tuple[int, ...]      # its threads' TCBs, main thread first
    # (its slot, the supervisor's slot holding the original) for every cap of its CSpace;
    # 0 where the cap exists once (untyped pools, IRQ handlers: revoked in place).
    slots: tuple[tuple[int, int], ...]


@dataclass(eq=False, slots=True)
class Component:
    name: str
    span: Span
    binary: str                 # "" if the spec gives none (an error)
    binary_span: Span | None
    priority: int
    max_priority: int
    max_timeslice: int          # microseconds; 0: the kernel's default
    has_priority: bool
    cnode: Obj
    vspace: Obj
    tcb: Obj                    # the main thread's
    private: Obj                # its own memory: image, stacks, heap (authority only)
    cspace: CSpace
    memory: MemoryMap
    # Objects it declares, in declaration order, and the first of each name.
    declared: list[Obj] = field(default_factory=list)
    by_name: dict[str, Obj] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)   # every `fault` statement, in order
    asid_pool: Obj | None = None
    devices: dict[str, Any] = field(default_factory=dict)  # device name -> platform.Device
    dma: dict[str, tuple[Obj, str]] = field(default_factory=dict)  # DMA masters: key -> (object, why)
    channels: list[Channel] = field(default_factory=list)  # those it is a side of, in declaration order
    mounts: tuple[Mount, ...] = ()  # its `mount` statements, in declaration order
    pci_bus: str | None = None      # `pci_bus E`: the endpoint it serves PCI claims on
    pci_table: list[PciClaim] = field(default_factory=list)  # a bus: the claims on it, by badge
    supervised: list[Supervised] = field(default_factory=list)  # those it restarts, in declaration order
    restart: Fault | None = None  # `restart by`: its supervisor's endpoint and the badge

    @property
    def threads(self) -> tuple[Thread, ...]:
        return self.memory.threads

    def of_kind(self, kind: str) -> list[Obj]:
        return [o for o in self.declared if o.kind == kind]

    @property
    def linux(self) -> bool:
        """Some thread runs the Linux ABI."""
        return any(t.linux for t in self.threads)


@dataclass(eq=False, slots=True)
class System:
    name: str
    platform: str
    components: list[Component]
    memories: list[Obj]
    assertions: list[model.Assertion]
    by_name: dict[str, Component] = field(default_factory=dict)
    memory_by_name: dict[str, Obj] = field(default_factory=dict)
    syscaps: dict[str, Obj] = field(default_factory=dict)
    file: str = ""
    channels: list[Channel] = field(default_factory=list)
    disks: list[Disk] = field(default_factory=list)  # the sound `disk` statements, in order
    # The sound PCI claims (pci.py), each with the object standing for the functions it
    # matches (kind "pci", owned by the bus): what the authority analysis grants.
    pci: list[PciClaim] = field(default_factory=list)
    # `restart by S.E`: the fault badge of each restarted component (1, 2, ... per
    # supervisor, in declaration order), and each supervisor's components in that order.
    restart_badges: dict[str, int] = field(default_factory=dict)
    supervisors: dict[str, list[str]] = field(default_factory=dict)

    def component(self, name: str) -> Component | None:
        return self.by_name.get(name)

    def asid_pools(self) -> list[tuple[str, int]]:
        """(name, ASIDs) of every pool the boot tables create, in their order: the
        system's own, one ASID for each component's VSpace, then each `asid_pool`."""
        pools = [("system.asid_pool", len(self.components))]
        pools += [(c.asid_pool.key, c.asid_pool.count) for c in self.components if c.asid_pool is not None]
        return pools

    def binaries(self) -> dict[str, list[Component]]:
        out: dict[str, list[Component]] = {}
        for comp in self.components:
            out.setdefault(comp.binary, []).append(comp)
        return out


# ---------------------------------------------------------------------------
# resolve()


def resolve(system: model.System) -> System:
    """The model of a parsed spec (and of what checks.py looked up: devices, DMA)."""
    memories = []
    memory_by_name: dict[str, Obj] = {}
    for decl in system.memories:
        obj = Obj(None, "memory", decl.name.text, decl.name.text, f"memory.{decl.name.text}", decl.span,
                  size=decl.size.value, rights=decl.max_rights, name_span=decl.name.span,
                  value_span=decl.size.span, path=decl.path, length=decl.length)
        memories.append(obj)
        memory_by_name.setdefault(decl.name.text, obj)
    out = System(system.name.text, system.platform.text, [], memories, system.assertions,
                 memory_by_name=memory_by_name, file=system.file, disks=list(system.disks))
    out.syscaps = {name: Obj(None, "syscap", name, name, f"syscap.{name}") for name in SYSCAPS}
    # Objects first, then what refers to them: a cap may name any component's objects.
    firsts = [_firsts(comp.statements) for comp in system.components]
    shells = [_objects(comp, first) for comp, first in zip(system.components, firsts)]
    for shell in shells:
        out.by_name.setdefault(shell.name, shell)
    for comp in system.components:
        stmt = comp.first(model.RestartStmt)
        if isinstance(stmt, model.RestartStmt) and comp.name.text not in out.restart_badges:
            group = out.supervisors.setdefault(stmt.component.text, [])
            group.append(comp.name.text)
            out.restart_badges[comp.name.text] = len(group)
    for comp, first, shell in zip(system.components, firsts, shells):
        _fill(comp, first, shell, out)
        out.components.append(shell)
    for claim in system.pci_claims:
        name = claim.match.describe()
        obj = Obj(claim.bus, "pci", name, f"pci_{claim.badge}", f"{claim.bus}.pci_{claim.badge}", claim.stmt.span,
                  number=claim.badge)
        entry = PciClaim(claim, obj, cap_name(claim.stmt.alias.text))
        out.pci.append(entry)
        bus = out.by_name.get(claim.bus)
        if bus is not None:
            bus.pci_table.append(entry)
        claimant_model = next((c for c in system.components if c.name.text == claim.claimant), None)
        claimant = out.by_name.get(claim.claimant)
        why = claimant_model.dma.get(obj.role) if claimant_model is not None else None
        if claimant is not None and why is not None:
            claimant.dma[obj.role] = (obj, why)
    for comp, shell in zip(system.components, shells):
        _supervision(comp, shell, out)
    for decl in system.sound_channels:
        mem = memory_by_name[decl.name.text]
        qsize = channels.queue_size(decl.depth.value)
        ch = Channel(decl.name.text, decl.producer.text, decl.consumer.text, decl.depth.value, qsize,
                     mem.size - qsize, mem, decl.span)
        out.channels.append(ch)
        for side in (ch.producer, ch.consumer):
            comp_ = out.by_name.get(side)
            if comp_ is not None:
                comp_.channels.append(ch)
    return out


def _firsts(statements: list[model.Statement] | tuple[model.Statement, ...]
            ) -> dict[type[model.Statement], model.Statement]:
    """The first statement of each kind (a second one of a kind that may appear once is
    an error checks.py reports)."""
    first: dict[type[model.Statement], model.Statement] = {}
    for stmt in statements:
        first.setdefault(type(stmt), stmt)
    return first


def _objects(comp: model.Component, first: dict[type[model.Statement], model.Statement]) -> Component:
    name = comp.name.text

    def own(kind: str, obj_name: str, role: str, span: Span | None = None, **kw: Any) -> Obj:
        return Obj(name, kind, obj_name, role, f"{name}.{role}", span, **kw)

    binary = first.get(model.BinaryStmt)
    prio = first.get(model.PriorityStmt)
    max_prio = first.get(model.MaxPriorityStmt)
    timeslice = first.get(model.MaxTimesliceStmt)
    priority = prio.value.value if isinstance(prio, model.PriorityStmt) else 0
    shell = Component(
        name, comp.name.span,
        binary.name if isinstance(binary, model.BinaryStmt) else "",
        binary.name_span if isinstance(binary, model.BinaryStmt) else None,
        priority,
        max_prio.value.value if isinstance(max_prio, model.MaxPriorityStmt) else priority,
        timeslice.value.value if isinstance(timeslice, model.MaxTimesliceStmt) else 0,
        isinstance(prio, model.PriorityStmt),
        own("cnode", "cnode", "cnode"), own("vspace", "vspace", "vspace"),
        own("tcb", MAIN_THREAD, "tcb", comp.name.span), own("private", "memory", "memory"),
        CSpace(0, ()), MemoryMap(()), devices=comp.devices)
    for order, stmt in enumerate(comp.statements):
        kind = _DECLARED.get(type(stmt))
        if kind is not None:
            ident: model.Ident = stmt.name  # type: ignore[attr-defined]
            extra: dict[str, Any] = {"name_span": ident.span, "order": order}
            if isinstance(stmt, model.UntypedStmt):
                extra.update(size=stmt.size.value, paddr=stmt.paddr.value if stmt.paddr is not None else None,
                             value_span=stmt.size.span)
            elif isinstance(stmt, model.IrqStmt):
                extra["number"] = stmt.number.value
            elif isinstance(stmt, model.DeviceStmt):
                extra["selector"] = stmt.path or stmt.compatible or ""
            obj = own(kind[0], ident.text, kind[1] + ident.text, stmt.span, **extra)
            shell.declared.append(obj)
            shell.by_name.setdefault(ident.text, obj)
        elif isinstance(stmt, model.AsidPoolStmt) and shell.asid_pool is None:
            shell.asid_pool = own("asid_pool", ASID_POOL_ROLE, ASID_POOL_ROLE, stmt.span, count=stmt.count.value,
                                  value_span=stmt.count.span, order=order)
    for key, why in comp.dma.items():
        obj = next((o for o in shell.declared if o.role == key), None)
        if obj is not None:
            shell.dma[key] = (obj, why)
    return shell


def _lookup(system: System, component: str, name: str, kind: str) -> Obj | None:
    comp = system.by_name.get(component)
    obj = comp.by_name.get(name) if comp is not None else None
    return obj if obj is not None and obj.kind == kind else None


def _fault(system: System, stmt: model.FaultStmt, order: int) -> Fault:
    return Fault(stmt.component.text, stmt.endpoint.text, stmt.badge.value if stmt.badge is not None else 0,
                 _lookup(system, stmt.component.text, stmt.endpoint.text, "endpoint"), stmt.span, order,
                 stmt.badge.span if stmt.badge is not None else None)


def _fill(comp: model.Component, first: dict[type[model.Statement], model.Statement], shell: Component,
          system: System) -> None:
    """Caps, threads and regions of one component."""
    slots: list[Cap] = [
        Cap(abi_layout.SELF_CNODE_SLOT, self_cap_name("SELF_CNODE"), "self_cnode", "M6_OBJ_CNODE", RIGHTS_ALL,
            obj=shell.cnode),
        Cap(abi_layout.SELF_VSPACE_SLOT, self_cap_name("SELF_VSPACE"), "self_vspace", "M6_OBJ_VSPACE", RIGHTS_ALL,
            obj=shell.vspace),
        Cap(abi_layout.SELF_TCB_SLOT, self_cap_name("SELF_TCB"), "self_tcb", "M6_OBJ_TCB", RIGHTS_ALL, obj=shell.tcb),
    ]
    declared = iter(shell.declared)
    comp_fault: Fault | None = None
    extra: list[tuple[model.ThreadStmt, Obj]] = []
    for order, stmt in enumerate(comp.statements):
        index = len(slots) + 1
        obj = next(declared) if type(stmt) in _DECLARED else None
        span = stmt.span
        if isinstance(stmt, model.EndpointStmt):
            # A PCI bus answers claims with caps: a reply carries one only when the server
            # received the call through a cap with GRANT (pci.py).
            bus = any(isinstance(s, model.PciBusStmt) and s.endpoint.text == stmt.name.text
                      for s in comp.statements)
            rights = ("M6_RIGHT_READ", "M6_RIGHT_GRANT") if bus else ("M6_RIGHT_READ",)
            if bus:
                shell.pci_bus = stmt.name.text
            slots.append(Cap(index, cap_name(stmt.name.text), "endpoint", "M6_OBJ_ENDPOINT", rights,
                             0, obj, span=span, order=order))
        elif isinstance(stmt, model.EndpointCapStmt):
            rights = ("M6_RIGHT_WRITE", "M6_RIGHT_GRANT_REPLY") if stmt.kind == "call" else ("M6_RIGHT_WRITE",)
            if stmt.grant:
                rights += ("M6_RIGHT_GRANT",)
            badge = stmt.badge.value if stmt.badge is not None else 0
            slots.append(Cap(index, cap_name(stmt.alias.text), stmt.kind, "M6_OBJ_ENDPOINT", rights, badge,
                             _lookup(system, stmt.component.text, stmt.endpoint.text, "endpoint"),
                             f"{stmt.component.text}.{stmt.endpoint.text}", span=span, order=order,
                             badge_span=stmt.badge.span if stmt.badge is not None else None,
                             window=stmt.window.value if stmt.window is not None else 0))
        elif isinstance(stmt, model.SyscapStmt):
            # .get: checks.py lays out specs that may still name an unknown syscap.
            slots.append(Cap(index, cap_name(stmt.name.text), "syscap", SYSCAPS.get(stmt.name.text, "M6_OBJ_NULL"),
                             SYSCAP_RIGHTS.get(stmt.name.text, ("M6_RIGHT_WRITE",)),
                             obj=system.syscaps.get(stmt.name.text), syscap=stmt.name.text, span=span, order=order))
        elif isinstance(stmt, model.NotificationStmt):
            slots.append(Cap(index, cap_name(stmt.name.text), "notification", "M6_OBJ_NOTIFICATION", RIGHTS_RW,
                             0, obj, span=span, order=order))
        elif isinstance(stmt, model.TimerStmt):
            slots.append(Cap(index, cap_name(stmt.name.text), "timer", "M6_OBJ_TIMER", RIGHTS_ALL, 0, obj,
                             span=span, order=order))
        elif isinstance(stmt, model.SignalStmt):
            # checks.py refuses a signal cap without a non-zero badge (the kernel would not
            # signal through it); the model of a spec with errors still has a slot for it.
            badge = stmt.badge.value if stmt.badge is not None else 0
            slots.append(Cap(index, cap_name(stmt.alias.text), "signal", "M6_OBJ_NOTIFICATION", ("M6_RIGHT_WRITE",),
                             badge, _lookup(system, stmt.component.text, stmt.notification.text, "notification"),
                             f"{stmt.component.text}.{stmt.notification.text}", span=span, order=order,
                             badge_span=stmt.badge.span if stmt.badge is not None else None))
        elif isinstance(stmt, model.UntypedStmt):
            slots.append(Cap(index, cap_name(stmt.name.text), "untyped", "M6_OBJ_UNTYPED", RIGHTS_ALL, 0, obj,
                             span=span, order=order))
        elif isinstance(stmt, model.AsidPoolStmt):
            slots.append(Cap(index, cap_name(ASID_POOL_CAP), "asid_pool", "M6_OBJ_ASID_POOL", RIGHTS_ALL, 0,
                             shell.asid_pool, span=span, order=order))
        elif isinstance(stmt, model.ThreadStmt):
            assert obj is not None
            slots.append(Cap(index, thread_cap_name(stmt.name.text), "thread", "M6_OBJ_TCB", RIGHTS_ALL, 0, obj,
                             span=span, order=order))
            extra.append((stmt, obj))
            for inner in stmt.statements:
                if isinstance(inner, model.FaultStmt):
                    shell.faults.append(_fault(system, inner, order))
        elif isinstance(stmt, model.IrqStmt):
            badge = stmt.number.value | (1 << 32 if stmt.edge else 0)
            slots.append(Cap(index, cap_name(stmt.name.text), "irq", "M6_OBJ_IRQ_HANDLER", RIGHTS_ALL, badge, obj,
                             span=span, order=order))
        elif isinstance(stmt, model.DeviceStmt):
            device = comp.devices.get(stmt.name.text)
            irqs = device.interrupts if device is not None else ()
            for i, irq in enumerate(irqs):
                suffix = "_IRQ" if len(irqs) == 1 else f"_IRQ{i}"
                slots.append(Cap(len(slots) + 1, cap_name(stmt.name.text + suffix), "irq", "M6_OBJ_IRQ_HANDLER",
                                 RIGHTS_ALL, irq.badge, obj, span=span, order=order))
        elif isinstance(stmt, model.FaultStmt):
            fault = _fault(system, stmt, order)
            if isinstance(stmt, model.RestartStmt):
                fault = dataclasses.replace(fault, badge=system.restart_badges.get(shell.name, 0))
                shell.restart = shell.restart or fault
            shell.faults.append(fault)
            comp_fault = comp_fault or fault
    bits = first.get(model.CNodeBitsStmt)
    # `cnode_bits` overrides the automatic size (checks.py makes sure the caps fit).
    radix = bits.value.value if isinstance(bits, model.CNodeBitsStmt) else \
        max(layout.MIN_CSPACE_RADIX, len(slots).bit_length())
    shell.cspace = CSpace(radix, tuple(slots))

    stack, args = first.get(model.StackStmt), first.get(model.ArgsStmt)
    # Placement: a thread's own `cpu`, else its component's, else CPU 0.
    comp_cpu_stmt = first.get(model.CpuStmt)
    comp_cpu = comp_cpu_stmt.value.value if isinstance(comp_cpu_stmt, model.CpuStmt) else 0
    threads = [Thread(MAIN_THREAD, 0, shell.priority, shell.max_priority,
                      stack.size.value if isinstance(stack, model.StackStmt) else model.DEFAULT_STACK_SIZE,
                      model.LinuxStmt in first, comp_fault, None, shell.max_timeslice, shell.tcb,
                      cpu=comp_cpu)]
    for window, (th, tcb) in enumerate(extra, start=1):
        own = _firsts(th.statements)
        prio, max_prio, th_stack = (own.get(model.PriorityStmt), own.get(model.MaxPriorityStmt),
                                    own.get(model.StackStmt))
        entry, fault = own.get(model.EntryStmt), own.get(model.FaultStmt)
        th_cpu = own.get(model.CpuStmt)
        priority = prio.value.value if isinstance(prio, model.PriorityStmt) else 0
        threads.append(Thread(
            th.name.text, window, priority,
            max_prio.value.value if isinstance(max_prio, model.MaxPriorityStmt) else priority,
            th_stack.size.value if isinstance(th_stack, model.StackStmt) else model.DEFAULT_STACK_SIZE,
            model.LinuxStmt in own,
            _fault(system, fault, -1) if isinstance(fault, model.FaultStmt) else comp_fault,
            entry.symbol if isinstance(entry, model.EntryStmt) else None, tcb=tcb,
            entry_span=entry.symbol_span if isinstance(entry, model.EntryStmt) else None,
            cpu=th_cpu.value.value if isinstance(th_cpu, model.CpuStmt) else comp_cpu))
    argv = (comp.name.text, *args.values) if isinstance(args, model.ArgsStmt) else ()
    shell.memory = MemoryMap(tuple(threads), _place_regions(comp, shell, system), argv)
    from m6capdl import mounts  # (mounts.py builds the rows of this module's Mount)
    shell.mounts = mounts.resolve(comp, shell.cspace, shell.memory.regions)


def _supervision(comp: model.Component, shell: Component, system: System) -> None:
    """The caps a supervisor needs to rebuild each component it restarts, appended to its
    CSpace (docs/supervision.md): the component's CNode and TCBs, and an original of every
    cap of its CSpace that may exist twice (not an untyped pool, whose watermark lives in
    its one cap, nor an IRQ handler, which the kernel issues once): exactly what the
    component holds, which is what the authority analysis then shows it holding."""
    names = system.supervisors.get(shell.name, [])
    if not names:
        return
    slots = list(shell.cspace.slots)
    order = len(comp.statements)  # after every statement of its own (authority's order)

    def add(name: str, kind: str, type_: str, rights: tuple[str, ...], obj: Obj | None, badge: int = 0,
            syscap: str | None = None, ref: str = "", original: str = "") -> int:
        slots.append(Cap(len(slots) + 1, name, kind, type_, rights, badge, obj, ref=ref, syscap=syscap,
                         order=order, original=original))
        return len(slots)

    for cname in names:
        target = system.by_name.get(cname)
        if target is None or target is shell:
            continue
        p = "CAP_SUPERVISED_" + cname.upper()
        cnode = add(p + "_CNODE", "supervised_cnode", "M6_OBJ_CNODE", RIGHTS_ALL, target.cnode, ref=cname)
        tcbs = tuple(add(f"{p}_TCB_{th.name.upper()}", "supervised_tcb", "M6_OBJ_TCB", RIGHTS_ALL, th.tcb, ref=cname)
                     for th in target.threads)
        pairs: list[tuple[int, int]] = []
        for cap in target.cspace.slots:
            if cap.kind in ("untyped", "irq"):
                pairs.append((cap.slot, 0))
                continue
            short = cap.name.removeprefix("M6_CAP_").removeprefix("CAP_")
            pairs.append((cap.slot, add(f"{p}_{short}", "supervised_copy", cap.type, cap.rights, cap.obj,
                                        cap.badge, cap.syscap, ref=cname, original=cap.name)))
        shell.supervised.append(Supervised(cname, system.restart_badges[cname], cnode, tcbs, tuple(pairs)))
    bits = comp.first(model.CNodeBitsStmt)
    radix = bits.value.value if isinstance(bits, model.CNodeBitsStmt) else \
        max(layout.MIN_CSPACE_RADIX, len(slots).bit_length())
    shell.cspace = CSpace(radix, tuple(slots))


# ---------------------------------------------------------------------------
# Regions: where shared memory, the heap and device registers go


def region_requests(comp: model.Component, groups: dict[str, list[int]] | None = None
                    ) -> list[tuple[int, model.Statement, int, int | None]]:
    """(statement index, statement, size in bytes, chosen vaddr or None) of every region,
    in declaration order. A device whose pages another device of the component maps
    already has size 0. `groups`: device_groups(comp), if known."""
    out: list[tuple[int, model.Statement, int, int | None]] = []
    groups = device_groups(comp) if groups is None else groups
    for order, stmt in enumerate(comp.statements):
        if isinstance(stmt, model.HeapStmt):
            out.append((order, stmt, page_up(stmt.size.value), None))
        elif isinstance(stmt, model.MapStmt):
            decl = comp.memories.get(stmt.memory.text)
            size = page_up(decl.size.value) if decl is not None else PAGE_SIZE
            out.append((order, stmt, size, stmt.vaddr.value if stmt.vaddr is not None else None))
        elif isinstance(stmt, model.DeviceStmt) and stmt.name.text in groups:
            out.append((order, stmt, len(groups[stmt.name.text]) * PAGE_SIZE, None))
    return out


def device_pages(device: object) -> list[int]:
    pages: set[int] = set()
    for reg in getattr(device, "regs", ()):
        start = reg.paddr & ~(PAGE_SIZE - 1)
        pages.update(range(start, reg.paddr + reg.size, PAGE_SIZE))
    return sorted(pages)


def device_groups(comp: model.Component) -> dict[str, list[int]]:
    """The pages each device statement with registers maps. Devices of one component that
    share a page (QEMU's virtio-mmio slots, 0x200 apart) are mapped as one region, every
    page once: the first of them (in declaration order) maps the pages of all of them, in
    address order, so each `reg` stays contiguous; the others map none of their own."""
    if not comp.devices:
        return {}
    names = [s.name.text for s in comp.statements
             if isinstance(s, model.DeviceStmt) and device_pages(comp.devices.get(s.name.text))]
    pages = {name: device_pages(comp.devices[name]) for name in names}
    leader = {name: name for name in names}

    def find(name: str) -> str:
        while leader[name] != name:
            name = leader[name]
        return name

    first_of: dict[int, str] = {}
    for name in names:
        for page in pages[name]:
            other = first_of.setdefault(page, name)
            a, b = find(other), find(name)
            if a != b:  # the earlier-declared device leads the merged group
                first, second = (a, b) if names.index(a) < names.index(b) else (b, a)
                leader[second] = first
    merged: dict[str, set[int]] = {}
    for name in names:
        merged.setdefault(find(name), set()).update(pages[name])
    return {name: sorted(merged[name]) if find(name) == name else [] for name in names}


def _place_regions(comp: model.Component, shell: Component, system: System) -> tuple[Region, ...]:
    """Regions without `at` go from AUTO_REGION_BASE up, in declaration order, each
    followed by a guard page, skipping the chosen ones."""
    groups = device_groups(comp)
    requests = region_requests(comp, groups)
    if not requests:
        return ()
    fixed = sorted((v, v + size) for _, _, size, v in requests if v is not None)
    cursor = AUTO_REGION_BASE
    regions: list[Region] = []
    page_vaddr: dict[int, int] = {}  # device page -> where the component maps it
    for order, stmt, size, chosen in requests:
        if isinstance(stmt, model.DeviceStmt) and size == 0:
            regions.append(_device_region(comp, shell, stmt, (), page_vaddr, order))
            continue
        if chosen is None:
            moved = True
            while moved:  # skip past any chosen region in the way (and its guard page)
                moved = False
                for start, end in fixed:
                    if cursor < end + PAGE_SIZE and start < cursor + size + PAGE_SIZE:
                        cursor, moved = end + PAGE_SIZE, True
            vaddr = cursor
            cursor += size + PAGE_SIZE
        else:
            vaddr = chosen
        if isinstance(stmt, model.DeviceStmt):
            pages = groups[stmt.name.text]
            page_vaddr.update((page, vaddr + i * PAGE_SIZE) for i, page in enumerate(pages))
            regions.append(_device_region(comp, shell, stmt, tuple(pages), page_vaddr, order))
        elif isinstance(stmt, model.HeapStmt):
            regions.append(Region("HEAP", "heap", vaddr, size, RIGHTS_RW, obj=shell.private, span=stmt.span,
                                  order=order, value_span=stmt.size.span))
        else:
            assert isinstance(stmt, model.MapStmt)
            decl = comp.memories.get(stmt.memory.text)
            # (A file's memory is read-only: mapped as declared unless the map says less.)
            default = decl.max_rights if decl is not None and decl.file is not None else "rw"
            rights = MEMORY_RIGHTS.get(stmt.rights.text if stmt.rights else default, RIGHTS_RW)
            window = Window(stmt.client, stmt.cap, stmt.endpoint, stmt.badge) \
                if isinstance(stmt, model.WindowMapStmt) else None
            regions.append(Region(stmt.name.text.upper(), "memory", vaddr, size, rights, memory=stmt.memory.text,
                                  obj=system.memory_by_name.get(stmt.memory.text), span=stmt.span, order=order,
                                  window=window))
    return tuple(regions)


def _device_region(comp: model.Component, shell: Component, stmt: model.DeviceStmt, pages: tuple[int, ...],
                   page_vaddr: dict[int, int], order: int) -> Region:
    """`pages`: the frames this region maps (none if another device's region maps them);
    `page_vaddr`: where every device page of the component mapped so far is."""
    device = comp.devices[stmt.name.text]
    mask = PAGE_SIZE - 1
    regs = tuple(RegRange(page_vaddr[r.paddr & ~mask] + (r.paddr & mask), r.paddr, r.size) for r in device.regs)
    vaddr = page_vaddr[pages[0]] if pages else regs[0].vaddr & ~mask
    return Region(stmt.name.text.upper(), "device", vaddr, len(pages) * PAGE_SIZE, RIGHTS_RW, pages=pages,
                  regs=regs, obj=shell.by_name.get(stmt.name.text), span=stmt.span, order=order)
