"""Where everything goes: CSpace slots, the user memory map, objects, page tables.

Two levels, because the build needs them at different times:
  * cspace_layout()/memory_map() depend on the spec alone; component headers are
    generated from them before any component is compiled.
  * build_tables() also needs the components' ELFs and produces the boot tables.
Both are deterministic: same spec and ELFs, same output, byte for byte.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from m6capdl import elfload, model

PAGE_SIZE = 4096
PAGE_BITS = 12

# User address space (48-bit VA, 4 KiB granule). The kernel relies on these values.
IMAGE_BASE = 0x400000
IMAGE_LIMIT = 0x10000000
STACK_TOP = 0x40000000
IPC_BUFFER_VADDR = 0x3FE00000
MAX_STACK_SIZE = 1024 * 1024
MIN_CSPACE_RADIX = 6

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
}

RIGHTS_ALL = ("M6_RIGHTS_ALL",)


def cap_name(name: str) -> str:
    return "CAP_" + name.upper()


def max_stack_below_ipc_buffer() -> int:
    # The guard page below the stack must stay unmapped, so it may not be the IPC buffer.
    return STACK_TOP - (IPC_BUFFER_VADDR + PAGE_SIZE) - PAGE_SIZE


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
    target: tuple[str, str] | None = None  # (component, endpoint) for endpoint caps
    syscap: str | None = None


@dataclass(frozen=True)
class CSpace:
    radix: int
    slots: tuple[Slot, ...]   # slot 0 (null) is not listed


def cspace_layout(comp: model.Component) -> CSpace:
    slots: list[Slot] = [
        Slot(1, cap_name("SELF_CNODE"), "self_cnode", "M6_OBJ_CNODE", RIGHTS_ALL),
        Slot(2, cap_name("SELF_VSPACE"), "self_vspace", "M6_OBJ_VSPACE", RIGHTS_ALL),
        Slot(3, cap_name("SELF_TCB"), "self_tcb", "M6_OBJ_TCB", RIGHTS_ALL),
    ]
    for stmt in comp.statements:
        index = len(slots) + 1
        if isinstance(stmt, model.EndpointStmt):
            slots.append(Slot(index, cap_name(stmt.name.text), "endpoint", "M6_OBJ_ENDPOINT",
                              ("M6_RIGHT_READ",), 0, (comp.name.text, stmt.name.text)))
        elif isinstance(stmt, model.EndpointCapStmt):
            rights = ("M6_RIGHT_WRITE", "M6_RIGHT_GRANT_REPLY") if stmt.kind == "call" else ("M6_RIGHT_WRITE",)
            badge = stmt.badge.value if stmt.badge is not None else 0
            slots.append(Slot(index, cap_name(stmt.alias.text), stmt.kind, "M6_OBJ_ENDPOINT", rights,
                              badge, (stmt.component.text, stmt.endpoint.text)))
        elif isinstance(stmt, model.SyscapStmt):
            slots.append(Slot(index, cap_name(stmt.name.text), "syscap", SYSCAPS[stmt.name.text],
                              ("M6_RIGHT_WRITE",), syscap=stmt.name.text))
    used = len(slots) + 1  # with the null slot
    radix = max(MIN_CSPACE_RADIX, (used - 1).bit_length())
    return CSpace(radix, tuple(slots))


@dataclass(frozen=True)
class MemoryMap:
    stack_top: int
    stack_size: int
    ipc_buffer_vaddr: int

    @property
    def stack_bottom(self) -> int:
        return self.stack_top - self.stack_size

    @property
    def guard_page(self) -> int:
        return self.stack_bottom - PAGE_SIZE

    def reserved(self) -> list[elfload.Region]:
        return [
            elfload.Region(self.stack_bottom, self.stack_top, "stack"),
            elfload.Region(self.guard_page, self.stack_bottom, "stack guard page"),
            elfload.Region(self.ipc_buffer_vaddr, self.ipc_buffer_vaddr + PAGE_SIZE, "IPC buffer"),
        ]


IMAGE_WINDOW = elfload.Region(IMAGE_BASE, IMAGE_LIMIT, "user image window")


def memory_map(comp: model.Component) -> MemoryMap:
    return MemoryMap(STACK_TOP, comp.stack_size, IPC_BUFFER_VADDR)


# ---------------------------------------------------------------------------
# Boot tables (needs the ELFs)


@dataclass
class Object:
    name: str
    type: str              # enum m6_object_type name
    size_bits: int = 0
    source: str | None = None  # enum m6_bt_frame_source name, frames only
    source_page: int = 0


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
    role: str  # "image", "stack", "ipc"


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
    rw = ("M6_RIGHT_READ", "M6_RIGHT_WRITE")
    plans.append(_FramePlan(mem.ipc_buffer_vaddr, rw, "M6_BT_FRAME_ZERO", None, "ipc"))
    for vaddr in range(mem.stack_bottom, mem.stack_top, PAGE_SIZE):
        plans.append(_FramePlan(vaddr, rw, "M6_BT_FRAME_ZERO", None, "stack"))
    return sorted(plans, key=lambda p: p.vaddr)


def _tables_needed(vaddrs: list[int]) -> list[tuple[int, int]]:
    """(level, vaddr covered) for every page table the frames need, level 1 first."""
    tables: list[tuple[int, int]] = []
    for level in (1, 2, 3):
        span = 1 << _TABLE_COVERS_SHIFT[level]
        tables.extend((level, base) for base in sorted({v & ~(span - 1) for v in vaddrs}))
    return tables


def build_tables(system: model.System, images: dict[str, elfload.ElfImage]) -> BootTables:
    """`images` maps each component name to its loaded ELF."""
    tables = BootTables(system.name.text, system.platform.text)
    image = _ImagePages(tables.image)
    frames_by_comp: list[list[tuple[int, _FramePlan]]] = []

    # Objects first, all of them, so caps can refer to any component's endpoints.
    for comp in system.components:
        name = comp.name.text
        cspace = cspace_layout(comp)
        mem = memory_map(comp)
        info = ComponentInfo(name, comp.binary, images[name].path, 0, 0, cspace, mem)
        tables.components.append(info)
        objs = info.objects
        objs["tcb"] = tables.add(Object(f"{name}.tcb", "M6_OBJ_TCB"))
        objs["cnode"] = tables.add(Object(f"{name}.cnode", "M6_OBJ_CNODE", cspace.radix))
        objs["vspace"] = tables.add(Object(f"{name}.vspace", "M6_OBJ_VSPACE"))
        for ep in comp.endpoints:
            objs[f"ep_{ep.name.text}"] = tables.add(Object(f"{name}.ep_{ep.name.text}", "M6_OBJ_ENDPOINT"))
        plans = _frame_plans(images[name], mem)
        for level, base in _tables_needed([p.vaddr for p in plans]):
            index = tables.add(Object(f"{name}.pt{level}@0x{base:x}", "M6_OBJ_PAGE_TABLE"))
            tables.mappings.append(Mapping(objs["vspace"], index, base, level))
        frames: list[tuple[int, _FramePlan]] = []
        for plan in plans:
            page = image.add(plan.data) if plan.data is not None else 0
            index = tables.add(Object(f"{name}.frame@0x{plan.vaddr:x}", "M6_OBJ_FRAME", PAGE_BITS,
                                      plan.source, page))
            if plan.role == "ipc":
                objs["ipc_buffer"] = index
            frames.append((index, plan))
        frames_by_comp.append(frames)

    for info, frames in zip(tables.components, frames_by_comp):
        for index, plan in frames:
            tables.mappings.append(Mapping(info.objects["vspace"], index, plan.vaddr, 3, plan.rights))

    by_name = {info.name: info for info in tables.components}
    for comp_index, (comp, info) in enumerate(zip(system.components, tables.components)):
        cnode = info.objects["cnode"]
        for slot in info.cspace.slots:
            tables.caps.append(_cap(slot, cnode, info, by_name))
        info.first_thread, info.thread_count = len(tables.threads), 1
        tables.threads.append(Thread(
            name=f"{info.name}.main", component=comp_index, tcb=info.objects["tcb"], cspace=cnode,
            vspace=info.objects["vspace"], ipc_buffer_frame=info.objects["ipc_buffer"],
            priority=comp.priority, ipc_buffer_vaddr=info.memory.ipc_buffer_vaddr,
            entry=images[info.name].entry, stack_pointer=info.memory.stack_top))
    return tables


def _cap(slot: Slot, cnode: int, info: ComponentInfo, by_name: dict[str, ComponentInfo]) -> Cap:
    if slot.kind == "self_cnode":
        return Cap(cnode, slot.slot, slot.name, slot.type, cnode, slot.rights, 64 - info.cspace.radix)
    if slot.kind == "self_vspace":
        return Cap(cnode, slot.slot, slot.name, slot.type, info.objects["vspace"], slot.rights)
    if slot.kind == "self_tcb":
        return Cap(cnode, slot.slot, slot.name, slot.type, info.objects["tcb"], slot.rights)
    if slot.target is not None:
        owner, endpoint = slot.target
        obj = by_name[owner].objects[f"ep_{endpoint}"]
        return Cap(cnode, slot.slot, slot.name, slot.type, obj, slot.rights, badge=slot.badge)
    return Cap(cnode, slot.slot, slot.name, slot.type, None, slot.rights)
