"""Where everything goes: CSpace slots, the user memory map, objects, page tables.

Two levels, because the build needs them at different times:
  * cspace_layout()/memory_map() depend on the spec alone; component headers are
    generated from them before any component is compiled.
  * build_tables() also needs the components' ELFs and produces the boot tables.
Both are deterministic: same spec and ELFs, same output, byte for byte.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from m6capdl import elfload, model

_T = TypeVar("_T")

PAGE_SIZE = 4096
PAGE_BITS = 12

# User address space (48-bit VA, 4 KiB granule). The kernel relies on these values.
IMAGE_BASE = 0x400000
IMAGE_LIMIT = 0x10000000
STACK_TOP = 0x40000000
IPC_BUFFER_VADDR = 0x3FE00000
MAX_STACK_SIZE = 1024 * 1024
MIN_CSPACE_RADIX = 6

# Every thread has a 2 MiB window of its own, one last-level page table: its IPC buffer at
# the bottom, its stack (and the guard page below it) at the top. The main thread's window
# ends at STACK_TOP; extra threads' windows follow downwards, in declaration order.
THREAD_WINDOW = 2 * 1024 * 1024
MAX_THREADS = 64
THREAD_AREA_BASE = STACK_TOP - MAX_THREADS * THREAD_WINDOW

# Memory regions (shared memory, heap, device MMIO) without a chosen address are placed
# from 4 GiB up, in declaration order, each followed by an unmapped guard page. A chosen
# address may be anywhere from the end of the image window up to 2^47, clear of the thread
# windows and of other regions.
AUTO_REGION_BASE = 0x1_0000_0000
USER_VA_LIMIT = 1 << 47
MAX_DEVICE_MAPPING = 16 * 1024 * 1024
MAX_CNODE_BITS = 24
# A heap or a shared memory region is at most 1 GiB; untyped pools go from 4 KiB to 1 GiB.
MAX_REGION_SIZE = 1 << 30
MIN_UNTYPED_BITS, MAX_UNTYPED_BITS = 12, 30
# ASIDs (kernel/include/kernel/asid_pool.h): the kernel gives every pool a block that starts
# at a multiple of 16 (ASID 0 excluded), from the widest ASID space a CPU has (16 bits; a
# CPU with 8-bit ASIDs has 255). The system's own pool gives each component's VSpace one.
ASID_CHUNK = 16
ASID_LIMIT = 1 << 16
ASID_POOL_HEADER = 16
ASID_POOL_CAP = "ASID_POOL"
ASID_POOL_ROLE = "asid_pool"
# The boot tables list every mapped page: a system maps at most this many (1 GiB of RAM,
# and shared memory mapped several times counts each time), so that neither the compiler
# nor the kernel's tables grow without bound.
MAX_MAPPED_PAGES = 1 << 18

MEMORY_RIGHTS: dict[str, tuple[str, ...]] = {
    "r": ("M6_RIGHT_READ",),
    "rw": ("M6_RIGHT_READ", "M6_RIGHT_WRITE"),
    "rx": ("M6_RIGHT_READ", "M6_RIGHT_EXECUTE"),
}

# A level-N table translates 2^shift bytes of VA (512 GiB, 1 GiB, 2 MiB): 512 entries of
# 1 GiB, 2 MiB, 4 KiB. Level 0 is the VSpace object itself; 1..3 are PageTable objects.
_TABLE_COVERS_SHIFT = {1: 39, 2: 30, 3: 21}

# (cap name without CAP_, what it is) for the fixed slots 1, 2, 3.
SELF_CAPS: tuple[tuple[str, str], ...] = (
    ("SELF_CNODE", "CNode"),
    ("SELF_VSPACE", "VSpace"),
    ("SELF_TCB", "main thread's TCB"),
)

# syscap name -> object type of the kernel singleton it grants.
SYSCAPS: dict[str, str] = {
    "debug_console": "M6_OBJ_DEBUG_CONSOLE",
    "power": "M6_OBJ_POWER",
    "irq_control": "M6_OBJ_IRQ_CONTROL",
    "system_info": "M6_OBJ_SYSTEM_INFO",
    "asid_control": "M6_OBJ_ASID_CONTROL",
}

# The rights a syscap's cap carries: using the object needs WRITE, except SystemInfo,
# which is only ever read.
SYSCAP_RIGHTS: dict[str, tuple[str, ...]] = {
    "system_info": ("M6_RIGHT_READ",),
}

RIGHTS_ALL = ("M6_RIGHTS_ALL",)
RIGHTS_RW = ("M6_RIGHT_READ", "M6_RIGHT_WRITE")
MAIN_THREAD = "main"
TCB_FLAG_LINUX_ABI = "M6_TCB_FLAG_LINUX_ABI"


def cap_name(name: str) -> str:
    return "CAP_" + name.upper()


def untyped_size_ok(size: int) -> bool:
    return size & (size - 1) == 0 and (1 << MIN_UNTYPED_BITS) <= size <= (1 << MAX_UNTYPED_BITS)


def max_stack_below_ipc_buffer() -> int:
    # The guard page below the stack must stay unmapped, so it may not be the IPC buffer.
    return STACK_TOP - (IPC_BUFFER_VADDR + PAGE_SIZE) - PAGE_SIZE


def thread_cap_name(thread: str) -> str:
    return cap_name("THREAD_" + thread)


# ---------------------------------------------------------------------------
# Spec-only layout (no ELF needed)


@dataclass(frozen=True)
class Slot:
    slot: int
    name: str                 # CAP_X
    kind: str                 # self_cnode, self_vspace, self_tcb, endpoint, call, send, syscap
    type: str                 # enum m6_object_type name
    rights: tuple[str, ...]   # enum m6_right names (or M6_RIGHTS_ALL)
    badge: int = 0
    target: tuple[str, str] | None = None  # (component, declared name) of the object
    syscap: str | None = None
    role: str | None = None   # key of the object in its component's ComponentInfo.objects


@dataclass(frozen=True)
class CSpace:
    radix: int
    slots: tuple[Slot, ...]   # slot 0 (null) is not listed


def _cached(comp: model.Component, key: str, make: Callable[[model.Component], _T]) -> _T:
    """make(comp), computed once per state of the component: its statements, and the
    devices and memory declarations checks.py fills in."""
    stamp = (len(comp.statements), len(comp.devices), id(comp.memories), len(comp.memories))
    hit = comp.layout_cache.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]  # type: ignore[no-any-return]
    value = make(comp)
    comp.layout_cache[key] = (stamp, value)
    return value


def cspace_layout(comp: model.Component) -> CSpace:
    return _cached(comp, "cspace", _cspace_layout)


def _cspace_layout(comp: model.Component) -> CSpace:
    slots: list[Slot] = [
        Slot(1, cap_name("SELF_CNODE"), "self_cnode", "M6_OBJ_CNODE", RIGHTS_ALL),
        Slot(2, cap_name("SELF_VSPACE"), "self_vspace", "M6_OBJ_VSPACE", RIGHTS_ALL),
        Slot(3, cap_name("SELF_TCB"), "self_tcb", "M6_OBJ_TCB", RIGHTS_ALL),
    ]
    own = comp.name.text
    for stmt in comp.statements:
        index = len(slots) + 1
        if isinstance(stmt, model.EndpointStmt):
            slots.append(Slot(index, cap_name(stmt.name.text), "endpoint", "M6_OBJ_ENDPOINT",
                              ("M6_RIGHT_READ",), 0, (own, stmt.name.text), role=endpoint_role(stmt.name.text)))
        elif isinstance(stmt, model.EndpointCapStmt):
            rights = ("M6_RIGHT_WRITE", "M6_RIGHT_GRANT_REPLY") if stmt.kind == "call" else ("M6_RIGHT_WRITE",)
            if stmt.grant:
                rights += ("M6_RIGHT_GRANT",)
            badge = stmt.badge.value if stmt.badge is not None else 0
            slots.append(Slot(index, cap_name(stmt.alias.text), stmt.kind, "M6_OBJ_ENDPOINT", rights,
                              badge, (stmt.component.text, stmt.endpoint.text),
                              role=endpoint_role(stmt.endpoint.text)))
        elif isinstance(stmt, model.SyscapStmt):
            # .get: checks.py lays out specs that may still name an unknown syscap.
            slots.append(Slot(index, cap_name(stmt.name.text), "syscap", SYSCAPS.get(stmt.name.text, "M6_OBJ_NULL"),
                              SYSCAP_RIGHTS.get(stmt.name.text, ("M6_RIGHT_WRITE",)),
                              syscap=stmt.name.text))
        elif isinstance(stmt, model.NotificationStmt):
            slots.append(Slot(index, cap_name(stmt.name.text), "notification", "M6_OBJ_NOTIFICATION",
                              RIGHTS_RW, 0, (own, stmt.name.text), role=notification_role(stmt.name.text)))
        elif isinstance(stmt, model.TimerStmt):
            slots.append(Slot(index, cap_name(stmt.name.text), "timer", "M6_OBJ_TIMER", RIGHTS_ALL,
                              0, (own, stmt.name.text), role=timer_role(stmt.name.text)))
        elif isinstance(stmt, model.SignalStmt):
            # checks.py refuses a signal cap without a non-zero badge (the kernel would not
            # signal through it); the layout of a spec with errors still has a slot for it.
            badge = stmt.badge.value if stmt.badge is not None else 0
            slots.append(Slot(index, cap_name(stmt.alias.text), "signal", "M6_OBJ_NOTIFICATION",
                              ("M6_RIGHT_WRITE",), badge, (stmt.component.text, stmt.notification.text),
                              role=notification_role(stmt.notification.text)))
        elif isinstance(stmt, model.UntypedStmt):
            slots.append(Slot(index, cap_name(stmt.name.text), "untyped", "M6_OBJ_UNTYPED", RIGHTS_ALL,
                              0, (own, stmt.name.text), role=untyped_role(stmt.name.text)))
        elif isinstance(stmt, model.AsidPoolStmt):
            slots.append(Slot(index, cap_name(ASID_POOL_CAP), "asid_pool", "M6_OBJ_ASID_POOL", RIGHTS_ALL,
                              0, (own, ASID_POOL_ROLE), role=ASID_POOL_ROLE))
        elif isinstance(stmt, model.ThreadStmt):
            slots.append(Slot(index, thread_cap_name(stmt.name.text), "thread", "M6_OBJ_TCB", RIGHTS_ALL,
                              0, (own, stmt.name.text), role=tcb_role(stmt.name.text)))
        elif isinstance(stmt, model.IrqStmt):
            badge = stmt.number.value | (1 << 32 if stmt.edge else 0)
            slots.append(Slot(index, cap_name(stmt.name.text), "irq", "M6_OBJ_IRQ_HANDLER", RIGHTS_ALL,
                              badge, (own, stmt.name.text)))
        elif isinstance(stmt, model.DeviceStmt):
            device = comp.devices.get(stmt.name.text)
            irqs = device.interrupts if device is not None else ()
            for i, irq in enumerate(irqs):
                suffix = "_IRQ" if len(irqs) == 1 else f"_IRQ{i}"
                slots.append(Slot(len(slots) + 1, cap_name(stmt.name.text + suffix), "irq",
                                  "M6_OBJ_IRQ_HANDLER", RIGHTS_ALL, irq.badge, (own, stmt.name.text)))
    return CSpace(cspace_radix(comp, len(slots) + 1), tuple(slots))


def asid_pool_count(comp: model.Component) -> int | None:
    stmt = comp.first(model.AsidPoolStmt)
    return stmt.count.value if isinstance(stmt, model.AsidPoolStmt) else None


def asid_pool_bytes(count: int) -> int:
    """Size of an ASIDPool object: a header and a root per ASID, rounded up to a power of
    two (kernel: asid_pool_size_bits)."""
    size = ASID_POOL_HEADER + 8 * count
    return 1 << max(5, (size - 1).bit_length())


def asid_pools(system: model.System) -> list[tuple[str, int]]:
    """(name, ASIDs) of every pool the boot tables create, in their order: the system's
    own, one ASID for each component's VSpace, then each `asid_pool`."""
    pools = [("system.asid_pool", len(system.components))]
    for comp in system.components:
        count = asid_pool_count(comp)
        if count is not None:
            pools.append((f"{comp.name.text}.asid_pool", count))
    return pools


def asid_blocks_end(counts: list[int]) -> int:
    """One past the last ASID the kernel's first-fit gives pools of these sizes, made in
    this order on an empty ASID space: each starts at the next multiple of ASID_CHUNK
    (the first at 1)."""
    end = 0
    for count in counts:
        start = 1 if end == 0 else -(-end // ASID_CHUNK) * ASID_CHUNK
        end = start + count
    return max(end, 1)


def cspace_radix(comp: model.Component, used: int) -> int:
    """`used` counts the null slot. `cnode_bits` overrides (checks.py makes sure it fits)."""
    stmt = comp.first(model.CNodeBitsStmt)
    if isinstance(stmt, model.CNodeBitsStmt):
        return stmt.value.value
    return max(MIN_CSPACE_RADIX, (used - 1).bit_length())


def device_irq_caps(name: str, count: int) -> list[str]:
    return [cap_name(name + ("_IRQ" if count == 1 else f"_IRQ{i}")) for i in range(count)]


def endpoint_role(name: str) -> str:
    return f"ep_{name}"


def notification_role(name: str) -> str:
    return f"ntfn_{name}"


def timer_role(name: str) -> str:
    return f"timer_{name}"


def untyped_role(name: str) -> str:
    return f"untyped_{name}"


def tcb_role(thread: str) -> str:
    return "tcb" if thread == MAIN_THREAD else f"tcb_{thread}"


# ---------------------------------------------------------------------------
# Threads


@dataclass(frozen=True)
class FaultHandler:
    component: str
    endpoint: str
    badge: int


@dataclass(frozen=True)
class ThreadLayout:
    name: str                 # "main" or the thread's name
    window: int               # 0 for the main thread
    priority: int
    max_priority: int
    stack_size: int
    linux: bool
    fault: FaultHandler | None
    entry_symbol: str | None  # None: the ELF's entry point (main thread)
    max_timeslice_us: int = 0  # longest timeslice it may give; 0: the kernel's default

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


def _fault(stmt: model.Statement | None) -> FaultHandler | None:
    if not isinstance(stmt, model.FaultStmt):
        return None
    badge = stmt.badge.value if stmt.badge is not None else 0
    return FaultHandler(stmt.component.text, stmt.endpoint.text, badge)


def _int_of(stmt: model.Statement | None, default: int) -> int:
    if isinstance(stmt, (model.PriorityStmt, model.MaxPriorityStmt)):
        return stmt.value.value
    if isinstance(stmt, model.StackStmt):
        return stmt.size.value
    return default


def thread_layouts(comp: model.Component) -> list[ThreadLayout]:
    """The main thread, then every `thread` in declaration order. A thread without a
    `fault` of its own uses the component's."""
    comp_fault = _fault(comp.first(model.FaultStmt))
    threads = [ThreadLayout(
        MAIN_THREAD, 0, comp.priority, comp.max_priority, comp.stack_size,
        comp.first(model.LinuxStmt) is not None, comp_fault, None, comp.max_timeslice)]
    for window, th in enumerate(comp.threads, start=1):
        priority = _int_of(th.first(model.PriorityStmt), 0)
        entry = th.first(model.EntryStmt)
        threads.append(ThreadLayout(
            th.name.text, window, priority, _int_of(th.first(model.MaxPriorityStmt), priority),
            _int_of(th.first(model.StackStmt), model.DEFAULT_STACK_SIZE),
            th.first(model.LinuxStmt) is not None,
            _fault(th.first(model.FaultStmt)) or comp_fault,
            entry.symbol if isinstance(entry, model.EntryStmt) else None))
    return threads


@dataclass(frozen=True)
class RegRange:
    """One `reg` entry of a device, as the component sees it."""

    vaddr: int  # where its first byte is mapped (not necessarily page aligned)
    paddr: int
    size: int


@dataclass(frozen=True)
class MemRegion:
    """A mapped range other than the image and the threads: shared memory, heap, device."""

    name: str                   # as in the header: M6_MEM_<NAME>, M6_DEVICE_<NAME>
    kind: str                   # "memory", "heap", "device"
    vaddr: int
    size: int                   # bytes mapped, a multiple of 4 KiB
    rights: tuple[str, ...]
    memory: str | None = None   # the system memory region mapped (kind "memory")
    pages: tuple[int, ...] = ()  # physical page addresses (kind "device")
    regs: tuple[RegRange, ...] = ()

    @property
    def end(self) -> int:
        return self.vaddr + self.size


def region_requests(comp: model.Component) -> list[tuple[model.Statement, int, int | None]]:
    """(statement, size in bytes, chosen vaddr or None) of every region, in declaration order.
    A device whose pages another device of the component maps already has size 0."""
    out: list[tuple[model.Statement, int, int | None]] = []
    groups = device_groups(comp)
    for stmt in comp.statements:
        if isinstance(stmt, model.HeapStmt):
            out.append((stmt, _page_up(stmt.size.value), None))
        elif isinstance(stmt, model.MapStmt):
            decl = comp.memories.get(stmt.memory.text)
            size = _page_up(decl.size.value) if decl is not None else PAGE_SIZE
            out.append((stmt, size, stmt.vaddr.value if stmt.vaddr is not None else None))
        elif isinstance(stmt, model.DeviceStmt) and stmt.name.text in groups:
            pages = groups[stmt.name.text]
            out.append((stmt, len(pages) * PAGE_SIZE, None))
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


def _page_up(value: int) -> int:
    return (value + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)


def _place_regions(comp: model.Component) -> tuple[MemRegion, ...]:
    requests = region_requests(comp)
    fixed = sorted((v, v + size) for _, size, v in requests if v is not None)
    cursor = AUTO_REGION_BASE
    regions: list[MemRegion] = []
    page_vaddr: dict[int, int] = {}  # device page -> where the component maps it
    for stmt, size, chosen in requests:
        if isinstance(stmt, model.DeviceStmt) and size == 0:
            regions.append(_device_region(comp, stmt, (), page_vaddr))
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
            pages = device_groups(comp)[stmt.name.text]
            page_vaddr.update((page, vaddr + i * PAGE_SIZE) for i, page in enumerate(pages))
            regions.append(_device_region(comp, stmt, tuple(pages), page_vaddr))
        else:
            regions.append(_region(stmt, vaddr, size))
    return tuple(regions)


def _region(stmt: model.Statement, vaddr: int, size: int) -> MemRegion:
    rw = RIGHTS_RW
    if isinstance(stmt, model.HeapStmt):
        return MemRegion("HEAP", "heap", vaddr, size, rw)
    assert isinstance(stmt, model.MapStmt)
    rights = MEMORY_RIGHTS.get(stmt.rights.text if stmt.rights else "rw", rw)
    return MemRegion(stmt.name.text.upper(), "memory", vaddr, size, rights, memory=stmt.memory.text)


def _device_region(comp: model.Component, stmt: model.DeviceStmt, pages: tuple[int, ...],
                   page_vaddr: dict[int, int]) -> MemRegion:
    """`pages`: the frames this region maps (none if another device's region maps them);
    `page_vaddr`: where every device page of the component mapped so far is."""
    device = comp.devices[stmt.name.text]
    mask = PAGE_SIZE - 1
    regs = tuple(RegRange(page_vaddr[r.paddr & ~mask] + (r.paddr & mask), r.paddr, r.size) for r in device.regs)
    vaddr = page_vaddr[pages[0]] if pages else regs[0].vaddr & ~mask
    return MemRegion(stmt.name.text.upper(), "device", vaddr, len(pages) * PAGE_SIZE, RIGHTS_RW,
                     pages=pages, regs=regs)


# The argument block (struct m6_args, libm6/include/m6/runtime.h) sits at the top of the
# main thread's stack, as Linux puts argv there: it needs no region of its own, and the
# thread starts with sp just below it and x1 pointing at it.
ARGS_MAX = 2048


def args_strings(comp: model.Component) -> list[str]:
    """argv: the component's name, then its `args`; nothing without an `args` statement
    (libm6 then gives main argv[0] alone, and the stack's top page stays zero-fill)."""
    stmt = comp.first(model.ArgsStmt)
    return [comp.name.text, *stmt.values] if isinstance(stmt, model.ArgsStmt) else []


def args_block_size(strings: list[str]) -> int:
    """Bytes of the block: argc, argv[] and its NULL, the strings; 16-byte aligned."""
    size = 8 * (len(strings) + 2) + sum(len(a.encode()) + 1 for a in strings)
    return (size + 15) & ~15


def args_block(strings: list[str], base: int) -> bytes:
    """The block as it is at virtual address `base`."""
    pointers = 8 * (len(strings) + 2)
    words = [len(strings)]
    text = b""
    for a in strings:
        words.append(base + pointers + len(text))
        text += a.encode() + b"\0"
    words.append(0)
    block = b"".join(w.to_bytes(8, "little") for w in words) + text
    return block + bytes(args_block_size(strings) - len(block))


@dataclass(frozen=True)
class MemoryMap:
    threads: tuple[ThreadLayout, ...]  # the main thread first
    regions: tuple[MemRegion, ...] = ()
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


IMAGE_WINDOW = elfload.Region(IMAGE_BASE, IMAGE_LIMIT, "user image window")


def memory_map(comp: model.Component) -> MemoryMap:
    return _cached(comp, "memory", lambda c: MemoryMap(tuple(thread_layouts(c)), _place_regions(c),
                                                       tuple(args_strings(c))))


# ---------------------------------------------------------------------------
# Boot tables (needs the ELFs)


@dataclass
class Object:
    name: str
    type: str              # enum m6_object_type name
    size_bits: int = 0
    source: str | None = None  # enum m6_bt_frame_source name, frames (and device untyped)
    source_page: int = 0
    paddr: int = 0             # DEVICE frames and device untyped
    asid_pool: int = 0         # VSpace: object index of the ASIDPool that gives its ASID


@dataclass
class Mapping:
    vspace: int
    object: int
    vaddr: int
    level: int
    rights: tuple[str, ...] = ()


@dataclass
class Cap:
    cnode: int
    slot: int
    name: str
    type: str
    object: int | None      # None: a kernel singleton (M6_BT_NO_OBJECT)
    rights: tuple[str, ...]
    guard_size: int = 0
    badge: int = 0


@dataclass
class Thread:
    name: str
    component: int
    tcb: int
    cspace: int
    vspace: int
    ipc_buffer_frame: int
    priority: int
    ipc_buffer_vaddr: int
    entry: int
    stack_pointer: int
    arg: int = 0
    max_priority: int = 0
    max_timeslice_us: int = 0     # 0: the kernel's default timeslice
    flags: tuple[str, ...] = ()   # enum m6_tcb_flags names
    fault_ep: int | None = None   # object index of the fault handler's endpoint
    fault_badge: int = 0
    start: int = 1


@dataclass
class ComponentInfo:
    name: str
    binary: str
    elf: str
    first_thread: int
    thread_count: int
    cspace: CSpace
    memory: MemoryMap
    objects: dict[str, int] = field(default_factory=dict)  # role -> object index


@dataclass
class BootTables:
    system: str
    platform: str
    objects: list[Object] = field(default_factory=list)
    mappings: list[Mapping] = field(default_factory=list)
    caps: list[Cap] = field(default_factory=list)
    threads: list[Thread] = field(default_factory=list)
    components: list[ComponentInfo] = field(default_factory=list)
    image: list[bytes] = field(default_factory=list)  # boot image pages, 4 KiB each

    def add(self, obj: Object) -> int:
        self.objects.append(obj)
        return len(self.objects) - 1


class _ImagePages:
    """The boot image: page contents, identical pages stored once (all are read-only
    sources: IN_PLACE pages are mapped read-only, COPY pages are only copied from)."""

    def __init__(self, pages: list[bytes]) -> None:
        self.pages = pages
        self.index: dict[bytes, int] = {}

    def add(self, data: bytes) -> int:
        key = hashlib.sha256(data).digest()
        found = self.index.get(key)
        if found is None:
            found = self.index[key] = len(self.pages)
            self.pages.append(bytes(data))
        return found


@dataclass(frozen=True)
class _FramePlan:
    vaddr: int
    rights: tuple[str, ...]
    source: str
    data: bytes | None
    role: str  # "image", "stack", "ipc:<thread>", "region"
    paddr: int = 0
    shared: tuple[str, int] | None = None  # (system memory name, offset): a shared frame


def _frame_plans(image: elfload.ElfImage, mem: MemoryMap) -> list[_FramePlan]:
    plans: list[_FramePlan] = []
    for page in image.pages:
        rights = ["M6_RIGHT_READ"]
        if page.flags.write:
            rights.append("M6_RIGHT_WRITE")
        if page.flags.execute:
            rights.append("M6_RIGHT_EXECUTE")
        data = bytes(page.data) if page.data is not None else None
        if not page.flags.write:
            source = "M6_BT_FRAME_IN_PLACE"
            data = data if data is not None else bytes(PAGE_SIZE)
        elif data is not None and any(data):
            source = "M6_BT_FRAME_COPY"
        else:
            source, data = "M6_BT_FRAME_ZERO", None
        plans.append(_FramePlan(page.vaddr, tuple(rights), source, data, "image"))
    for th in mem.threads:
        plans.append(_FramePlan(th.ipc_buffer_vaddr, RIGHTS_RW, "M6_BT_FRAME_ZERO", None, f"ipc:{th.name}"))
        for vaddr in range(th.stack_bottom, th.stack_top, PAGE_SIZE):
            if th.name == MAIN_THREAD and vaddr == th.stack_top - PAGE_SIZE and mem.args:
                # the stack's top page carries the argument block at its end
                block = args_block(list(mem.args), mem.args_base)
                data = bytes(PAGE_SIZE - len(block)) + block
                plans.append(_FramePlan(vaddr, RIGHTS_RW, "M6_BT_FRAME_COPY", data, "stack"))
            else:
                plans.append(_FramePlan(vaddr, RIGHTS_RW, "M6_BT_FRAME_ZERO", None, "stack"))
    for region in mem.regions:
        for i, offset in enumerate(range(0, region.size, PAGE_SIZE)):
            vaddr = region.vaddr + offset
            if region.kind == "device":
                plans.append(_FramePlan(vaddr, region.rights, "M6_BT_FRAME_DEVICE", None, "region",
                                        paddr=region.pages[i]))
            elif region.kind == "memory":
                assert region.memory is not None
                plans.append(_FramePlan(vaddr, region.rights, "M6_BT_FRAME_ZERO", None, "region",
                                        shared=(region.memory, offset)))
            else:
                plans.append(_FramePlan(vaddr, region.rights, "M6_BT_FRAME_ZERO", None, "region"))
    return sorted(plans, key=lambda p: p.vaddr)


def tables_covering(ranges: list[tuple[int, int]]) -> int:
    """How many page tables (levels 1 to 3) map the [start, end) ranges: the number of
    512 GiB, 1 GiB and 2 MiB blocks they touch, counted without visiting every block."""
    count = 0
    for level in (1, 2, 3):
        shift = _TABLE_COVERS_SHIFT[level]
        last = -1
        for first_block, last_block in sorted((start >> shift, (end - 1) >> shift) for start, end in ranges
                                              if end > start):
            if last_block > last:
                count += last_block - max(first_block, last + 1) + 1
                last = last_block
    return count


def _tables_needed(vaddrs: list[int]) -> list[tuple[int, int]]:
    """(level, vaddr covered) for every page table the frames need, level 1 first."""
    tables: list[tuple[int, int]] = []
    for level in (1, 2, 3):
        span = 1 << _TABLE_COVERS_SHIFT[level]
        tables.extend((level, base) for base in sorted({v & ~(span - 1) for v in vaddrs}))
    return tables


def build_tables(system: model.System, images: dict[str, elfload.ElfImage]) -> BootTables:
    """`images` maps each component name to its loaded ELF; every extra thread's entry
    symbol must be in its component's image (the CLI checks that first)."""
    tables = BootTables(system.name.text, system.platform.text)
    image = _ImagePages(tables.image)
    frames_by_comp: list[list[tuple[int, _FramePlan]]] = []
    infos = [ComponentInfo(c.name.text, c.binary, images[c.name.text].path, 0, 0, cspace_layout(c),
                           memory_map(c)) for c in system.components]
    tables.components.extend(infos)

    # Untyped pools first, largest first: the kernel carves objects front to back, each
    # naturally aligned, so this order wastes no memory on alignment between them.
    pools = [(stmt.size.value, info, stmt) for comp, info in zip(system.components, infos)
             for stmt in comp.statements if isinstance(stmt, model.UntypedStmt)]
    for size, info, stmt in sorted(pools, key=lambda p: -p[0]):
        device = stmt.paddr is not None
        info.objects[untyped_role(stmt.name.text)] = tables.add(Object(
            f"{info.name}.untyped_{stmt.name.text}", "M6_OBJ_UNTYPED", size.bit_length() - 1,
            "M6_BT_FRAME_DEVICE" if device else None, 0, stmt.paddr.value if device else 0))

    # ASID pools next (small, and before the VSpaces that take ASIDs from them): the
    # system's own pool, then the components' `asid_pool`s, as asid_pools() lists them.
    # ASIDPool objects carry their number of ASIDs in size_bits (see boot_tables.h).
    pool_objects = iter(asid_pools(system))
    name, count = next(pool_objects)
    system_pool = tables.add(Object(name, "M6_OBJ_ASID_POOL", count))
    for comp, info in zip(system.components, infos):
        if asid_pool_count(comp) is not None:
            name, count = next(pool_objects)
            info.objects[ASID_POOL_ROLE] = tables.add(Object(name, "M6_OBJ_ASID_POOL", count))

    # Shared memory: frames of the system, mapped by every component that maps the region.
    shared: dict[tuple[str, int], int] = {}
    for decl in system.memories:
        for offset in range(0, decl.size.value, PAGE_SIZE):
            shared[(decl.name.text, offset)] = tables.add(Object(
                f"memory.{decl.name.text}@+0x{offset:x}", "M6_OBJ_FRAME", PAGE_BITS, "M6_BT_FRAME_ZERO"))

    # Then everything else, per component, so caps can refer to any component's objects.
    for comp, info in zip(system.components, infos):
        name = comp.name.text
        objs = info.objects
        objs["tcb"] = tables.add(Object(f"{name}.tcb", "M6_OBJ_TCB"))
        objs["cnode"] = tables.add(Object(f"{name}.cnode", "M6_OBJ_CNODE", info.cspace.radix))
        objs["vspace"] = tables.add(Object(f"{name}.vspace", "M6_OBJ_VSPACE", asid_pool=system_pool))
        for th in comp.threads:
            objs[tcb_role(th.name.text)] = tables.add(Object(f"{name}.tcb_{th.name.text}", "M6_OBJ_TCB"))
        for ep in comp.endpoints:
            objs[endpoint_role(ep.name.text)] = tables.add(Object(f"{name}.ep_{ep.name.text}", "M6_OBJ_ENDPOINT"))
        for nt in comp.notifications:
            objs[notification_role(nt.name.text)] = tables.add(
                Object(f"{name}.ntfn_{nt.name.text}", "M6_OBJ_NOTIFICATION"))
        for tm in comp.timers:
            objs[timer_role(tm.name.text)] = tables.add(Object(f"{name}.timer_{tm.name.text}", "M6_OBJ_TIMER"))
        plans = _frame_plans(images[name], info.memory)
        for level, base in _tables_needed([p.vaddr for p in plans]):
            index = tables.add(Object(f"{name}.pt{level}@0x{base:x}", "M6_OBJ_PAGE_TABLE"))
            tables.mappings.append(Mapping(objs["vspace"], index, base, level))
        frames: list[tuple[int, _FramePlan]] = []
        for plan in plans:
            if plan.shared is not None:
                frames.append((shared[plan.shared], plan))
                continue
            page = image.add(plan.data) if plan.data is not None else 0
            index = tables.add(Object(f"{name}.frame@0x{plan.vaddr:x}", "M6_OBJ_FRAME", PAGE_BITS,
                                      plan.source, page, plan.paddr))
            if plan.role.startswith("ipc:"):
                objs["ipc_buffer" + ("" if plan.role == "ipc:main" else "_" + plan.role[4:])] = index
            frames.append((index, plan))
        frames_by_comp.append(frames)

    for info, frames in zip(infos, frames_by_comp):
        for index, plan in frames:
            tables.mappings.append(Mapping(info.objects["vspace"], index, plan.vaddr, 3, plan.rights))

    by_name = {info.name: info for info in infos}
    for comp_index, info in enumerate(infos):
        cnode = info.objects["cnode"]
        for slot in info.cspace.slots:
            tables.caps.append(_cap(slot, cnode, info, by_name))
        info.first_thread, info.thread_count = len(tables.threads), len(info.memory.threads)
        elf = images[info.name]
        for th in info.memory.threads:
            main = th.name == MAIN_THREAD
            fault = th.fault
            tables.threads.append(Thread(
                name=f"{info.name}.{th.name}", component=comp_index, tcb=info.objects[tcb_role(th.name)],
                cspace=cnode, vspace=info.objects["vspace"],
                ipc_buffer_frame=info.objects["ipc_buffer" + ("" if main else "_" + th.name)],
                priority=th.priority, ipc_buffer_vaddr=th.ipc_buffer_vaddr,
                entry=elf.entry if th.entry_symbol is None else elf.symbols[th.entry_symbol],
                stack_pointer=info.memory.args_base if main else th.stack_top,
                arg=info.memory.args_base if main and info.memory.args else 0,
                max_priority=th.max_priority,
                max_timeslice_us=th.max_timeslice_us,
                flags=(TCB_FLAG_LINUX_ABI,) if th.linux else (),
                fault_ep=None if fault is None else by_name[fault.component].objects[endpoint_role(fault.endpoint)],
                fault_badge=0 if fault is None else fault.badge))
    return tables


def _cap(slot: Slot, cnode: int, info: ComponentInfo, by_name: dict[str, ComponentInfo]) -> Cap:
    if slot.kind == "self_cnode":
        return Cap(cnode, slot.slot, slot.name, slot.type, cnode, slot.rights, 64 - info.cspace.radix)
    if slot.kind == "self_vspace":
        return Cap(cnode, slot.slot, slot.name, slot.type, info.objects["vspace"], slot.rights)
    if slot.kind == "self_tcb":
        return Cap(cnode, slot.slot, slot.name, slot.type, info.objects["tcb"], slot.rights)
    if slot.role is not None:
        assert slot.target is not None
        obj = by_name[slot.target[0]].objects[slot.role]
        return Cap(cnode, slot.slot, slot.name, slot.type, obj, slot.rights, badge=slot.badge)
    return Cap(cnode, slot.slot, slot.name, slot.type, None, slot.rights, badge=slot.badge)
