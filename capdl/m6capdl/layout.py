"""Where everything goes: the constants of the user address space and the CSpace, and
the boot tables (objects, page tables, frames, caps, threads).

CSpace slots and the memory map depend on the spec alone: resolve() (resolved.py) places
them with these constants, and component headers are generated from the model before any
component is compiled. build_tables() also needs the components' ELFs. Both are
deterministic: same spec and ELFs, same output, byte for byte.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from m6capdl import elfload

if TYPE_CHECKING:
    from m6capdl import resolved

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

# A supervisor (docs/supervision.md) sees each component it restarts in a 64 GiB slot of
# its own at SUPERVISION_BASE + i * SUPERVISION_STRIDE (i: the component's badge - 1): the
# restart plan (struct m6_restart_plan, <m6/supervision.h>) at its start, the component's
# writable private pages packed in order at +SUPERVISION_WRITABLE (the same frames, mapped
# rw), and their start-up contents at +SUPERVISION_PRISTINE (boot image pages mapped r).
# Far above anything placed automatically; a region chosen there is refused.
SUPERVISION_BASE = 0x100_0000_0000
SUPERVISION_STRIDE = 0x10_0000_0000
SUPERVISION_WRITABLE = 0x1_0000_0000
SUPERVISION_PRISTINE = 0x8_0000_0000
RESTART_PLAN_MAGIC = 0x6E616C7074727336  # "6srtplan", little-endian
RESTART_PLAN_THREADS = 64
RESTART_PLAN_NAME = 32
RESTART_SLOT_TIMER = 1 << 63  # a slot word's flag: a Timer, to cancel and disconnect
RESTART_SLOT_NOTIFICATION = 1 << 62  # a notification of its own, whose word to clear

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
    # IOSpaceControl: binds IOSpaces to stream IDs (the PCIe bus component only).
    "iospace_control": "M6_OBJ_IOSPACE_CONTROL",
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


def self_cap_name(name: str) -> str:
    """The C name of a fixed slot (SELF_CAPS): libm6's <m6/layout.h> defines it, and the
    generated headers use that one name rather than define a second."""
    return "M6_CAP_" + name


def untyped_size_ok(size: int) -> bool:
    return size & (size - 1) == 0 and (1 << MIN_UNTYPED_BITS) <= size <= (1 << MAX_UNTYPED_BITS)


def max_stack_below_ipc_buffer() -> int:
    # The guard page below the stack must stay unmapped, so it may not be the IPC buffer.
    return STACK_TOP - (IPC_BUFFER_VADDR + PAGE_SIZE) - PAGE_SIZE


def thread_cap_name(thread: str) -> str:
    return cap_name("THREAD_" + thread)


def device_irq_caps(name: str, count: int) -> list[str]:
    return [cap_name(name + ("_IRQ" if count == 1 else f"_IRQ{i}")) for i in range(count)]


def page_up(value: int) -> int:
    return (value + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)


def asid_pool_bytes(count: int) -> int:
    """Size of an ASIDPool object: a header and a root per ASID, rounded up to a power of
    two (kernel: asid_pool_size_bits)."""
    size = ASID_POOL_HEADER + 8 * count
    return 1 << max(5, (size - 1).bit_length())


def asid_blocks_end(counts: list[int]) -> int:
    """One past the last ASID the kernel's first-fit gives pools of these sizes, made in
    this order on an empty ASID space: each starts at the next multiple of ASID_CHUNK
    (the first at 1)."""
    end = 0
    for count in counts:
        start = 1 if end == 0 else -(-end // ASID_CHUNK) * ASID_CHUNK
        end = start + count
    return max(end, 1)


# The argument block (struct m6_args, libm6/include/m6/runtime.h) sits at the top of the
# main thread's stack, as Linux puts argv there: it needs no region of its own, and the
# thread starts with sp just below it and x1 pointing at it.
ARGS_MAX = 2048


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


IMAGE_WINDOW = elfload.Region(IMAGE_BASE, IMAGE_LIMIT, "user image window")


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
    cpu: int = 0


@dataclass
class ComponentInfo:
    name: str
    binary: str
    elf: str
    first_thread: int
    thread_count: int
    cspace: resolved.CSpace
    memory: resolved.MemoryMap
    cnode: int = 0   # object indices of its CNode and VSpace
    vspace: int = 0
    mounts: tuple[resolved.Mount, ...] = ()  # for the manifest


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
    disks: list[Any] = field(default_factory=list)  # resolved.Disk: for the manifest only

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


def _frame_plans(image: elfload.ElfImage, mem: resolved.MemoryMap) -> list[_FramePlan]:
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


def build_tables(system: resolved.System, images: dict[str, elfload.ElfImage],
                 file_pages: dict[str, list[bytes]] | None = None) -> BootTables:
    """`images` maps each component name to its loaded ELF; every extra thread's entry
    symbol must be in its component's image (the CLI checks that first). `file_pages`:
    the pages of each file-backed memory region, by region name (files.read_pages)."""
    tables = BootTables(system.name, system.platform, disks=list(system.disks))
    image = _ImagePages(tables.image)
    frames_by_comp: list[list[tuple[int, _FramePlan]]] = []
    infos = [ComponentInfo(c.name, c.binary, images[c.name].path, 0, 0, c.cspace, c.memory, mounts=c.mounts)
             for c in system.components]
    tables.components.extend(infos)
    index: dict[resolved.Obj, int] = {}  # object of the model -> its boot object
    ipc_buffer: dict[resolved.Obj, int] = {}  # a thread's TCB -> its IPC buffer frame

    def add(obj: resolved.Obj, kind: str, size_bits: int = 0, **kw: int | str | None) -> int:
        index[obj] = tables.add(Object(obj.key, kind, size_bits, **kw))  # type: ignore[arg-type]
        return index[obj]

    # Untyped pools first, largest first: the kernel carves objects front to back, each
    # naturally aligned, so this order wastes no memory on alignment between them.
    pools = [u for c in system.components for u in c.of_kind("untyped")]
    for pool in sorted(pools, key=lambda u: -u.size):
        device = pool.paddr is not None
        add(pool, "M6_OBJ_UNTYPED", pool.size.bit_length() - 1, source="M6_BT_FRAME_DEVICE" if device else None,
            source_page=0, paddr=pool.paddr or 0)

    # ASID pools next (small, and before the VSpaces that take ASIDs from them): the
    # system's own pool, then the components' `asid_pool`s, as asid_pools() lists them.
    # ASIDPool objects carry their number of ASIDs in size_bits (see boot_tables.h).
    system_pool = tables.add(Object("system.asid_pool", "M6_OBJ_ASID_POOL", len(system.components)))
    for comp in system.components:
        if comp.asid_pool is not None:
            add(comp.asid_pool, "M6_OBJ_ASID_POOL", comp.asid_pool.count)

    # Shared memory: frames of the system, mapped by every component that maps the region.
    # A file's pages are boot image pages mapped in place (read-only), like an ELF's.
    shared: dict[tuple[str, int], int] = {}
    for mem in system.memories:
        pages = file_pages.get(mem.name) if mem.path and file_pages is not None else None
        assert not mem.path or pages is not None, "the CLI reads every file"
        for i, offset in enumerate(range(0, mem.size, PAGE_SIZE)):
            if pages is not None:
                obj = Object(f"{mem.key}@+0x{offset:x}", "M6_OBJ_FRAME", PAGE_BITS, "M6_BT_FRAME_IN_PLACE",
                             image.add(pages[i]))
            else:
                obj = Object(f"{mem.key}@+0x{offset:x}", "M6_OBJ_FRAME", PAGE_BITS, "M6_BT_FRAME_ZERO")
            shared[(mem.name, offset)] = tables.add(obj)

    # Then everything else, per component, so caps can refer to any component's objects.
    for comp, info in zip(system.components, infos):
        name = comp.name
        add(comp.tcb, "M6_OBJ_TCB")
        info.cnode = add(comp.cnode, "M6_OBJ_CNODE", info.cspace.radix)
        vspace = info.vspace = add(comp.vspace, "M6_OBJ_VSPACE", asid_pool=system_pool)
        for th in comp.threads[1:]:
            assert th.tcb is not None
            add(th.tcb, "M6_OBJ_TCB")
        for kind, obj_type in (("endpoint", "M6_OBJ_ENDPOINT"), ("notification", "M6_OBJ_NOTIFICATION"),
                               ("timer", "M6_OBJ_TIMER")):
            for obj in comp.of_kind(kind):
                add(obj, obj_type)
        plans = _frame_plans(images[name], info.memory)
        for level, base in _tables_needed([p.vaddr for p in plans]):
            pt = tables.add(Object(f"{name}.pt{level}@0x{base:x}", "M6_OBJ_PAGE_TABLE"))
            tables.mappings.append(Mapping(vspace, pt, base, level))
        tcbs = {th.name: th.tcb for th in comp.threads}
        frames: list[tuple[int, _FramePlan]] = []
        for plan in plans:
            if plan.shared is not None:
                frames.append((shared[plan.shared], plan))
                continue
            page = image.add(plan.data) if plan.data is not None else 0
            frame = tables.add(Object(f"{name}.frame@0x{plan.vaddr:x}", "M6_OBJ_FRAME", PAGE_BITS,
                                      plan.source, page, plan.paddr))
            if plan.role.startswith("ipc:"):
                tcb = tcbs[plan.role[4:]]
                assert tcb is not None
                ipc_buffer[tcb] = frame
            frames.append((frame, plan))
        frames_by_comp.append(frames)

    for comp, frames in zip(system.components, frames_by_comp):
        for frame, plan in frames:
            tables.mappings.append(Mapping(index[comp.vspace], frame, plan.vaddr, 3, plan.rights))

    for comp_index, (comp, info) in enumerate(zip(system.components, infos)):
        cnode = index[comp.cnode]
        for cap in info.cspace.slots:
            # Caps to objects the boot tables do not create (syscaps, IRQ handlers) name
            # no object: the kernel makes them from their type.
            obj = index.get(cap.obj) if cap.obj is not None else None
            # A CNode cap's guard covers the bits above that CNode's radix (its own, or a
            # supervised component's), so that its slots are addressed with depth 64.
            guard = 64 - tables.objects[obj].size_bits if cap.type == "M6_OBJ_CNODE" and obj is not None else 0
            tables.caps.append(Cap(cnode, cap.slot, cap.name, cap.type, obj, cap.rights, guard, cap.badge))
        info.first_thread, info.thread_count = len(tables.threads), len(info.memory.threads)
        elf = images[info.name]
        for th in info.memory.threads:
            main = th.name == MAIN_THREAD
            fault = th.fault
            assert th.tcb is not None and (fault is None or fault.obj is not None)
            tables.threads.append(Thread(
                name=f"{info.name}.{th.name}", component=comp_index, tcb=index[th.tcb],
                cspace=cnode, vspace=index[comp.vspace], ipc_buffer_frame=ipc_buffer[th.tcb],
                priority=th.priority, ipc_buffer_vaddr=th.ipc_buffer_vaddr,
                entry=elf.entry if th.entry_symbol is None else elf.symbols[th.entry_symbol],
                stack_pointer=info.memory.args_base if main else th.stack_top,
                arg=info.memory.args_base if main and info.memory.args else 0,
                max_priority=th.max_priority,
                max_timeslice_us=th.max_timeslice_us,
                flags=(TCB_FLAG_LINUX_ABI,) if th.linux else (),
                fault_ep=None if fault is None else index[fault.obj],  # type: ignore[index]
                fault_badge=0 if fault is None else fault.badge,
                cpu=th.cpu))
    _supervision(system, tables, image, index, frames_by_comp, infos)
    return tables


def restart_plan(name: str, badge: int, cnode: int, cnode_slots: int, tcbs: tuple[int, ...],
                 threads: list[Thread], pages: int, slots: tuple[tuple[int, int], ...],
                 fault_badge: int, timers: frozenset[int] = frozenset(),
                 notifications: frozenset[int] = frozenset()) -> bytes:
    """struct m6_restart_plan (<m6/supervision.h>): little-endian 64-bit words."""
    def w(v: int) -> bytes:
        return v.to_bytes(8, "little")
    raw = name.encode()[:RESTART_PLAN_NAME - 1]
    out = w(RESTART_PLAN_MAGIC) + raw + bytes(RESTART_PLAN_NAME - len(raw))
    out += b"".join(w(v) for v in (badge, fault_badge, cnode, cnode_slots, len(threads), pages, len(slots)))
    for i in range(RESTART_PLAN_THREADS):
        if i < len(threads):
            th = threads[i]
            out += b"".join(w(v) for v in (tcbs[i], th.entry, th.stack_pointer, th.ipc_buffer_vaddr, th.arg))
        else:
            out += bytes(40)
    out += b"".join(w(c | s << 32 | (RESTART_SLOT_TIMER if c in timers else 0)
                      | (RESTART_SLOT_NOTIFICATION if c in notifications else 0)) for c, s in slots)
    return out


def _supervision(system: resolved.System, tables: BootTables, image: _ImagePages, index: dict[Any, int],
                 frames_by_comp: list[list[tuple[int, _FramePlan]]], infos: list[ComponentInfo]) -> None:
    """A supervisor's view of each component it restarts (SUPERVISION_BASE above): its
    restart plan, its writable private frames mapped a second time, and their start-up
    contents, which are boot image pages (identical pages stored once: every zero page of
    every component is one page of the image)."""
    position = {c.name: i for i, c in enumerate(system.components)}
    for sup in system.components:
        if not sup.supervised:
            continue
        vspace = index[sup.vspace]
        mapped: list[tuple[int, int, tuple[str, ...]]] = []  # (vaddr, frame, rights)
        for sv in sup.supervised:
            ci = position[sv.component]
            comp, info = system.components[ci], infos[ci]
            base = SUPERVISION_BASE + (sv.badge - 1) * SUPERVISION_STRIDE
            writable = [(frame, plan) for frame, plan in frames_by_comp[ci]
                        if plan.shared is None and plan.source != "M6_BT_FRAME_DEVICE"
                        and "M6_RIGHT_WRITE" in plan.rights]
            for k, (frame, plan) in enumerate(writable):
                mapped.append((base + SUPERVISION_WRITABLE + k * PAGE_SIZE, frame, RIGHTS_RW))
                page = image.add(plan.data if plan.data is not None else bytes(PAGE_SIZE))
                pristine = tables.add(Object(f"{sup.name}.pristine.{comp.name}@0x{plan.vaddr:x}", "M6_OBJ_FRAME",
                                             PAGE_BITS, "M6_BT_FRAME_IN_PLACE", page))
                mapped.append((base + SUPERVISION_PRISTINE + k * PAGE_SIZE, pristine, ("M6_RIGHT_READ",)))
            threads = tables.threads[info.first_thread:info.first_thread + info.thread_count]
            fault_badge = comp.restart.badge if comp.restart is not None else 0
            timers = frozenset(cap.slot for cap in comp.cspace.slots if cap.type == "M6_OBJ_TIMER")
            own = frozenset(cap.slot for cap in comp.cspace.slots if cap.kind == "notification")
            plan_bytes = restart_plan(comp.name, sv.badge, sv.cnode_slot, 1 << info.cspace.radix, sv.tcb_slots,
                                      threads, len(writable), sv.slots, fault_badge, timers, own)
            for k, offset in enumerate(range(0, len(plan_bytes), PAGE_SIZE)):
                chunk = plan_bytes[offset:offset + PAGE_SIZE]
                page = image.add(chunk + bytes(PAGE_SIZE - len(chunk)))
                frame = tables.add(Object(f"{sup.name}.plan.{comp.name}+0x{offset:x}", "M6_OBJ_FRAME", PAGE_BITS,
                                          "M6_BT_FRAME_IN_PLACE", page))
                mapped.append((base + offset, frame, ("M6_RIGHT_READ",)))
        for level, base in _tables_needed([v for v, _, _ in mapped]):
            pt = tables.add(Object(f"{sup.name}.pt{level}@0x{base:x}", "M6_OBJ_PAGE_TABLE"))
            tables.mappings.append(Mapping(vspace, pt, base, level))
        for vaddr, frame, rights in mapped:
            tables.mappings.append(Mapping(vspace, frame, vaddr, 3, rights))
