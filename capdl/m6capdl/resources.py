"""Checks of what a spec takes from the machine: shared memory, memory maps, devices from
the platform's device tree, IRQs, CNode sizes, and the RAM budget.

Like checks.py, every function appends diagnostics and carries on. Device lookups fill
`Component.devices`, which resolve() then uses to place MMIO frames and IRQ caps.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from m6capdl import layout, model, platform, resolved
from m6capdl.diagnostics import Diagnostic, FileError, Span, error, line_of, warning
from m6capdl.layout import MAX_REGION_SIZE, PAGE_SIZE

# Kernel object sizes (log2 bytes), as kernel/object/untyped.c carves them.
_TCB_BITS, _ENDPOINT_BITS, _NOTIFICATION_BITS, _CTE_BITS = 11, 5, 5, 6
_TIMER_BITS = 7
# RAM the kernel keeps for itself (image, stacks, boot page tables) at the start of RAM, and
# the DTB, which QEMU's virt machine places 128 MiB into RAM: conservative figures, so that
# a spec that passes does boot.
KERNEL_RESERVE = 2 * 1024 * 1024
DTB_OFFSET, DTB_RESERVE = 128 * 1024 * 1024, 2 * 1024 * 1024


def size_text(value: int) -> str:
    if value >= 2**64:
        return "beyond 64 bits"
    for unit, scale in (("GiB", 1024 ** 3), ("MiB", 1024 ** 2), ("KiB", 1024)):
        if value and value % scale == 0:
            return f"{value // scale} {unit}"
    return f"{value} B"


# ---------------------------------------------------------------------------
# Shared memory declarations


def check_memories(system: model.System, diags: list[Diagnostic]) -> dict[str, model.MemoryDecl]:
    decls: dict[str, model.MemoryDecl] = {}
    for decl in system.memories:
        first = decls.get(decl.name.text)
        if first is not None:
            diags.append(error(f"duplicate memory '{decl.name.text}'", decl.name.span,
                               f"first declared at {line_of(first.name.span, decl.name.span, system.file)}"))
            continue
        decls[decl.name.text] = decl
        size = decl.size.value
        if size == 0 or size % PAGE_SIZE:
            diags.append(error(f"memory size {size_text(size)} is not a non-zero multiple of 4 KiB",
                               decl.size.span, "memory is shared in whole 4 KiB pages"))
        elif size > MAX_REGION_SIZE:
            diags.append(error(f"memory size {size_text(size)} exceeds {size_text(MAX_REGION_SIZE)}",
                               decl.size.span))
        if decl.rights is not None:
            _check_rights_word(decl.rights, diags)
    for comp in system.components:
        comp.memories = decls
    return decls


def _check_rights_word(rights: model.Ident, diags: list[Diagnostic]) -> bool:
    if rights.text in layout.MEMORY_RIGHTS:
        return True
    if "w" in rights.text and "x" in rights.text:
        diags.append(error(f"rights '{rights.text}' make memory both writable and executable",
                           rights.span, "m6 maps no page writable and executable at once (W^X): "
                                        "use rw for data, rx for code"))
    else:
        diags.append(error(f"invalid rights '{rights.text}'", rights.span,
                           "memory rights are r, rw or rx (every mapping can be read)"))
    return False


def _rank(rights: str) -> set[str]:
    return set(rights)


def check_mapping(comp: model.Component, stmt: model.MapStmt, diags: list[Diagnostic], main: str = "") -> None:
    decl = comp.memories.get(stmt.memory.text)
    if decl is None:
        known = sorted(comp.memories)
        diags.append(error(f"unknown memory '{stmt.memory.text}'", stmt.memory.span,
                           f"declared memory regions are: {', '.join(known)}" if known else
                           "declare it at system level: memory NAME SIZE"))
        return
    if stmt.rights is not None and _check_rights_word(stmt.rights, diags):
        allowed = decl.max_rights
        if decl.file is not None and "w" in stmt.rights.text:
            diags.append(error(
                f"component '{comp.name.text}' maps memory '{decl.name.text}' {stmt.rights.text}, but it holds "
                f"file \"{decl.file}\": read-only", stmt.rights.span,
                f"its pages are the boot image's own, mapped in place (declared at "
                f"{line_of(decl.span, stmt.rights.span, main)}): map it {allowed.replace('w', '') or 'r'}"))
        elif not _rank(stmt.rights.text) <= _rank(allowed):
            diags.append(error(
                f"component '{comp.name.text}' maps memory '{decl.name.text}' {stmt.rights.text}, "
                f"more than its {allowed}", stmt.rights.span,
                f"memory '{decl.name.text}' is declared at {line_of(decl.span, stmt.rights.span, main)} "
                f"with at most {allowed}"))
    if stmt.vaddr is not None:
        _check_chosen_vaddr(stmt.vaddr, diags)


def _check_chosen_vaddr(vaddr: model.Number, diags: list[Diagnostic]) -> None:
    value = vaddr.value
    if value % PAGE_SIZE:
        diags.append(error(f"address {vaddr.text} is not 4 KiB aligned", vaddr.span,
                           "memory is mapped in whole 4 KiB pages"))
    elif not layout.IMAGE_LIMIT <= value < layout.USER_VA_LIMIT:
        diags.append(error(f"address {vaddr.text} is outside the range for memory regions", vaddr.span,
                           f"choose an address from 0x{layout.IMAGE_LIMIT:x} up to 0x{layout.USER_VA_LIMIT:x} "
                           f"(below is the program image)"))


def check_region_overlaps(comp: model.Component, diags: list[Diagnostic]) -> None:
    """Chosen addresses must keep clear of the thread windows and of each other."""
    taken: list[tuple[int, int, str, model.MapStmt]] = []
    for _, stmt, size, chosen in resolved.region_requests(comp):
        if chosen is None or not isinstance(stmt, model.MapStmt) or chosen % PAGE_SIZE \
                or not layout.IMAGE_LIMIT <= chosen < layout.USER_VA_LIMIT:
            continue
        assert stmt.vaddr is not None
        end = chosen + size
        if chosen < layout.STACK_TOP and layout.THREAD_AREA_BASE < end:
            diags.append(error(
                f"memory '{stmt.name.text}' at {stmt.vaddr.text} overlaps the thread stacks", stmt.vaddr.span,
                f"0x{layout.THREAD_AREA_BASE:x}..0x{layout.STACK_TOP:x} holds the threads' stacks and IPC buffers"))
            continue
        if end > layout.USER_VA_LIMIT:
            diags.append(error(f"memory '{stmt.name.text}' at {stmt.vaddr.text} ends beyond the user address space",
                               stmt.vaddr.span))
            continue
        for start, other_end, name, other in taken:
            if chosen < other_end and start < end:
                diags.append(error(
                    f"memory '{stmt.name.text}' at {stmt.vaddr.text} overlaps memory '{name}' "
                    f"(0x{start:x}..0x{other_end:x})", stmt.vaddr.span,
                    f"'{name}' is mapped at line {other.span.line}"))
                break
        else:
            taken.append((chosen, end, stmt.name.text, stmt))


# ---------------------------------------------------------------------------
# Devices and IRQs


class _Tree:
    """Loads the platform's device tree on first use; reports its absence once."""

    def __init__(self, system: model.System, platform_dir: Path) -> None:
        self.path = platform.dts_path(platform_dir, system.platform.text)
        self.platform = system.platform.text
        self.tree: platform.DeviceTree | None = None
        self.failed = False

    def get(self, span: Span, diags: list[Diagnostic]) -> platform.DeviceTree | None:
        if self.tree is None and not self.failed:
            if not self.path.is_file():
                diags.append(error(f"platform '{self.platform}' has no device tree", span,
                                   f"devices are looked up in {self.path}"))
                self.failed = True
                return None
            try:
                self.tree = platform.load_tree(self.path)
            except FileError as exc:
                diags.append(error(f"cannot read the device tree of platform '{self.platform}': {exc.message}",
                                   span))
                self.failed = True
        return self.tree


def platform_tree(system: model.System, platform_dir: Path, diags: list[Diagnostic]) -> platform.DeviceTree | None:
    """The platform's device tree if it has one (for RAM); None, silently, if it has none.
    One that cannot be read is an error: the RAM budget could not be checked."""
    path = platform.dts_path(platform_dir, system.platform.text)
    if not path.is_file():
        return None
    try:
        return platform.load_tree(path)
    except FileError as exc:
        if not any(d.message.startswith("cannot read the device tree of platform") for d in diags):
            diags.append(error(f"cannot read the device tree of platform '{system.platform.text}': {exc.message}",
                               system.platform.span, f"without it the RAM budget cannot be checked; see {path}"))
        return None


def check_devices(system: model.System, platform_dir: Path, diags: list[Diagnostic]) -> platform.DeviceTree | None:
    tree = _Tree(system, platform_dir)
    claimed: dict[str, tuple[str, model.DeviceStmt]] = {}    # node path -> (component, stmt)
    pages: dict[int, tuple[str, str]] = {}                   # page -> (component, device)
    for comp in system.components:
        for stmt in comp.statements:
            if not isinstance(stmt, model.DeviceStmt):
                continue
            dt = tree.get(stmt.selector_span, diags)
            if dt is None:
                continue
            node = _find_node(dt, stmt, diags)
            if node is None:
                continue
            owned = dt.kernel_owned(node)
            if owned is not None:
                diags.append(error(
                    f"device '{node.path}' belongs to the kernel", stmt.selector_span,
                    f"it is {owned}, which the kernel drives itself: no component may hold it"))
                continue
            first = claimed.get(node.path)
            if first is not None:
                diags.append(error(
                    f"device '{node.path}' is already claimed by component '{first[0]}'", stmt.selector_span,
                    f"see {line_of(first[1].span, stmt.selector_span, system.file)}; "
                    f"a device belongs to one component (its driver)"))
                continue
            claimed[node.path] = (comp.name.text, stmt)
            device = dt.device(node)
            if _check_device(dt, comp, stmt, device, pages, diags):
                comp.devices[stmt.name.text] = device
    return tree.tree


def _find_node(dt: platform.DeviceTree, stmt: model.DeviceStmt, diags: list[Diagnostic]) -> platform.Node | None:
    if stmt.path is not None:
        node = dt.nodes.get(stmt.path)
        if node is None:
            close = difflib.get_close_matches(stmt.path, list(dt.nodes), n=3, cutoff=0.6)
            diags.append(error(f"no device '{stmt.path}' in the device tree", stmt.selector_span,
                               f"did you mean: {', '.join(close)}?" if close else
                               "give the full path of a node, e.g. \"/pl011@9000000\""))
        return node
    assert stmt.compatible is not None
    nodes = dt.with_compatible(stmt.compatible)
    if not nodes:
        diags.append(error(f"no device is compatible with \"{stmt.compatible}\"", stmt.selector_span,
                           "compare with the 'compatible' strings of the platform's .dts"))
        return None
    if stmt.index is not None:
        if stmt.index.value >= len(nodes):
            diags.append(error(f"index {stmt.index.text} is out of range", stmt.index.span,
                               f"{len(nodes)} device(s) are compatible with \"{stmt.compatible}\": "
                               f"index 0..{len(nodes) - 1}"))
            return None
        return nodes[stmt.index.value]
    if len(nodes) > 1:
        listed = ", ".join(n.path for n in nodes[:3]) + (", ..." if len(nodes) > 3 else "")
        diags.append(error(f"{len(nodes)} devices are compatible with \"{stmt.compatible}\"",
                           stmt.selector_span, f"pick one with 'index N' (0..{len(nodes) - 1}) or by path: {listed}"))
        return None
    return nodes[0]


def _check_device(dt: platform.DeviceTree, comp: model.Component, stmt: model.DeviceStmt,
                  device: platform.Device, pages: dict[int, tuple[str, str]], diags: list[Diagnostic]) -> bool:
    span, path = stmt.selector_span, device.node.path
    if device.problem is not None:
        diags.append(error(f"cannot use the interrupts of device '{path}': {device.problem}", span))
        return False
    if any(reg.size == 0 for reg in device.regs):
        diags.append(error(f"device '{path}' has registers without a size", span,
                           "its 'reg' gives addresses only (the bus has #size-cells 0, as for CPUs): "
                           "it is not memory-mapped, and there is nothing to map"))
        return False
    if not device.regs and not device.interrupts:
        diags.append(error(f"device '{path}' has neither registers nor interrupts", span,
                           "there is nothing to grant"))
        return False
    ram = dt.memory()
    total = 0
    for reg in device.regs:
        if platform.ram_in(ram, reg.paddr, reg.size):
            diags.append(error(f"device '{path}' has registers in RAM (0x{reg.paddr:x})", span,
                               "RAM is handed out as memory, never as device frames"))
            return False
        total += reg.size
    if total > layout.MAX_DEVICE_MAPPING:
        diags.append(error(
            f"device '{path}' has {size_text(total)} of registers, more than the "
            f"{size_text(layout.MAX_DEVICE_MAPPING)} a device statement maps", span,
            "grant a large MMIO window as a device untyped instead: untyped NAME SIZE at PADDR"))
        return False
    for irq in device.interrupts:
        if not platform.GIC_SPI_BASE <= irq.id <= platform.MAX_INTERRUPT_ID:
            diags.append(error(
                f"device '{path}' has interrupt {irq.id}, which no component can hold", span,
                f"components get shared peripheral interrupts, IDs {platform.GIC_SPI_BASE}.."
                f"{platform.MAX_INTERRUPT_ID}; lower IDs are per-CPU (SGIs and PPIs) and the kernel's"))
            return False
    own = comp.name.text
    device_pages = resolved.device_pages(device)
    for page in device_pages:
        owner = pages.get(page)
        # Devices of one component may share a page: it is mapped once (layout.py).
        if owner is not None and owner[0] != own:
            diags.append(error(
                f"device '{path}' shares the page at 0x{page:x} with device '{owner[1]}' of component '{owner[0]}'",
                span, "a 4 KiB page is the unit of protection: both devices must go to one component"))
            return False
    for page in device_pages:
        pages.setdefault(page, (own, stmt.name.text))
    return True


def check_irqs(system: model.System, diags: list[Diagnostic]) -> None:
    """Every interrupt ID goes to at most one component, once."""
    owners: dict[int, tuple[str, str, Span]] = {}
    for comp in system.components:
        for stmt in comp.statements:
            if isinstance(stmt, model.IrqStmt):
                number = stmt.number.value
                if not platform.GIC_SPI_BASE <= number <= platform.MAX_INTERRUPT_ID:
                    diags.append(error(
                        f"interrupt {stmt.number.text} is out of range", stmt.number.span,
                        f"components get shared peripheral interrupts, IDs {platform.GIC_SPI_BASE}.."
                        f"{platform.MAX_INTERRUPT_ID} (a device tree's SPI n is ID 32 + n)"))
                    continue
                ids = [(number, stmt.number.span, f"irq '{stmt.name.text}'")]
            elif isinstance(stmt, model.DeviceStmt) and stmt.name.text in comp.devices:
                ids = [(i.id, stmt.selector_span, f"device '{stmt.name.text}'")
                       for i in comp.devices[stmt.name.text].interrupts]
            else:
                continue
            for number, span, what in ids:
                first = owners.get(number)
                if first is not None:
                    diags.append(error(f"interrupt {number} is claimed twice", span,
                                       f"already claimed by {first[0]} of component '{first[1]}' "
                                       f"({line_of(first[2], span, system.file)})"))
                else:
                    owners[number] = (what, comp.name.text, span)


def check_device_untypeds(system: model.System, tree: platform.DeviceTree | None, ram: list[platform.Reg] | None,
                          diags: list[Diagnostic]) -> None:
    """Each device untyped (`untyped NAME SIZE at PADDR`, a valid size) must be naturally
    aligned, inside the physical address range, outside RAM (the kernel refuses RAM as
    device memory), and clear of every other device untyped, of the registers `device`
    statements map, and of the devices the kernel drives."""
    untypeds = [(comp, stmt) for comp in system.components for stmt in comp.statements
                if isinstance(stmt, model.UntypedStmt) and stmt.paddr is not None
                and layout.untyped_size_ok(stmt.size.value)]
    if not untypeds:
        return
    limit = 1 << platform.PHYS_ADDR_BITS
    taken: list[tuple[int, int, str, Span]] = []  # [start, end), what, where declared
    for comp in system.components:
        for stmt in comp.statements:
            if not isinstance(stmt, model.DeviceStmt) or stmt.name.text not in comp.devices:
                continue
            for start, end in _page_ranges(comp.devices[stmt.name.text].regs):
                taken.append((start, end, f"the registers of device '{stmt.name.text}' of component "
                                          f"'{comp.name.text}'", stmt.span))
    kernel: list[tuple[int, int, str, str]] = []  # [start, end), node, what it is
    if tree is not None:
        for node in tree.nodes.values():
            owned = tree.kernel_owned(node)
            if owned is not None:
                kernel += [(start, end, node.path, owned) for start, end in _page_ranges(tree.regs(node))]
    for comp, stmt in untypeds:
        assert stmt.paddr is not None
        size, paddr, where = stmt.size.value, stmt.paddr.value, stmt.paddr.span
        text = f"device untyped '{stmt.name.text}' at {stmt.paddr.text}"
        end = paddr + size
        if end > limit:
            diags.append(error(f"{text} is beyond the physical address range", where,
                               f"physical addresses have {platform.PHYS_ADDR_BITS} bits: "
                               f"the untyped must end by 0x{limit:x}"))
            continue
        if paddr % size:
            diags.append(error(f"{text} is not aligned to its size {size_text(size)}", where,
                               "an untyped is naturally aligned: its address is a multiple of its size"))
            continue
        bank = next((b for b in ram or () if paddr < b.paddr + b.size and b.paddr < end), None)
        if bank is not None:
            diags.append(error(
                f"{text} overlaps RAM (0x{bank.paddr:x}..0x{bank.paddr + bank.size:x})", where,
                "a device untyped is MMIO only: the kernel refuses RAM as device memory; "
                "leave out 'at' for a pool of RAM"))
            continue
        clash = next((k for k in kernel if paddr < k[1] and k[0] < end), None)
        if clash is not None:
            diags.append(error(
                f"{text} overlaps device '{clash[2]}' (0x{clash[0]:x}..0x{clash[1]:x}), which belongs to the kernel",
                where, f"it is {clash[3]}, which the kernel drives itself: no component may hold its registers"))
        else:
            other = next((t for t in taken if paddr < t[1] and t[0] < end), None)
            if other is not None:
                diags.append(error(
                    f"{text} overlaps {other[2]} (0x{other[0]:x}..0x{other[1]:x})", where,
                    f"declared at {line_of(other[3], where, system.file)}; "
                    f"a range of device memory goes to one owner only"))
                continue
        # (Recorded even after a clash with the kernel's devices: the range is still claimed.)
        taken.append((paddr, end, f"device untyped '{stmt.name.text}' of component '{comp.name.text}'",
                      stmt.span))


def mark_dma(system: model.System, platform_dir: Path, tree: platform.DeviceTree | None,
             diags: list[Diagnostic]) -> None:
    """Fill Component.dma: the devices, and the device untyped over the registers or bus
    windows of a device, that the platform's devices.toml says master DMA with no IOMMU in
    front of them. The authority analysis gives their holders all of RAM."""
    try:
        rules = platform.load_dma_rules(platform.devices_path(platform_dir, system.platform.text))
    except FileError as exc:
        diags.append(error(f"cannot read the device description of platform '{system.platform.text}': "
                           f"{exc.message}", system.platform.span, f"see {exc.path}"))
        return
    rules = tuple(r for r in rules if not r.iommu)
    if not rules or tree is None:
        return
    windows: list[tuple[int, int, str, platform.DmaRule]] = []  # [start, end), what, rule
    for node in tree.nodes.values():
        rule = platform.dma_rule(rules, node)
        if rule is None:
            continue
        windows += [(r.paddr, r.paddr + r.size, f"the registers of '{node.path}'", rule) for r in tree.regs(node)]
        windows += [(r.paddr, r.paddr + r.size, f"a bus window of '{node.path}'", rule)
                    for r in tree.bus_windows(node)]
    for comp in system.components:
        name = comp.name.text
        for stmt in comp.statements:
            if isinstance(stmt, model.DeviceStmt) and stmt.name.text in comp.devices:
                node = comp.devices[stmt.name.text].node
                rule = platform.dma_rule(rules, node)
                if rule is not None:
                    comp.dma[f"device_{stmt.name.text}"] = (
                        f"device {name}.{stmt.name.text} ('{node.path}') masters DMA with no IOMMU in "
                        f"front of it ({rule.what})")
            elif isinstance(stmt, model.UntypedStmt) and stmt.paddr is not None:
                start, end = stmt.paddr.value, stmt.paddr.value + stmt.size.value
                hit = next((w for w in windows if start < w[1] and w[0] < end), None)
                if hit is not None:
                    comp.dma[f"untyped_{stmt.name.text}"] = (
                        f"device untyped {name}.{stmt.name.text} covers {hit[2]}, which masters DMA with "
                        f"no IOMMU in front of it ({hit[3].what})")
    # A PCI claim (pci.py) hands its holder the functions' BARs and bus mastering: on a
    # bus whose windows master DMA with no IOMMU in front, the driver can make its device
    # read and write any physical address, as the bus itself could.
    by_name = {c.name.text: c for c in system.components}
    for claim in system.pci_claims:
        bus, claimant = by_name.get(claim.bus), by_name.get(claim.claimant)
        if bus is None or claimant is None or not any(k.startswith("untyped_") for k in bus.dma):
            continue
        claimant.dma[f"pci_{claim.badge}"] = (
            f"its claim {claim.stmt.alias.text} on the PCI functions matching {claim.match.describe()} through "
            f"'{claim.bus}' hands it their BARs and bus mastering, and the bus's windows master DMA with no "
            f"IOMMU in front of them: its device can read and write any physical address")


def _page_ranges(regs: tuple[platform.Reg, ...] | list[platform.Reg]) -> list[tuple[int, int]]:
    """Each `reg` as the whole pages it touches: [start, end)."""
    mask = PAGE_SIZE - 1
    return [(r.paddr & ~mask, (r.paddr + r.size + mask) & ~mask) for r in regs if r.size]


# ---------------------------------------------------------------------------
# CNode sizes


def full_grant_targets(system: model.System, model_: resolved.System, diags: list[Diagnostic]) -> None:
    """A component that receives caps through a grant (someone holds a call or send cap
    with grant to one of its endpoints) and whose CNode the spec fills to the last slot:
    the kernel has nowhere to put a received cap, and the transfer is silently dropped."""
    granted: dict[str, model.EndpointCapStmt] = {}
    for comp in system.components:
        for stmt in comp.statements:
            if isinstance(stmt, model.EndpointCapStmt) and stmt.grant:
                granted.setdefault(stmt.component.text, stmt)
    for comp, rcomp in zip(system.components, model_.components):
        stmt = granted.get(comp.name.text)
        if stmt is None:
            continue
        cspace = rcomp.cspace
        used = len(cspace.slots) + 1
        if used == 1 << cspace.radix:
            bits = comp.first(model.CNodeBitsStmt)
            diags.append(warning(
                f"component '{comp.name.text}' receives caps through grant but its CNode has no free slot",
                bits.value.span if isinstance(bits, model.CNodeBitsStmt) else comp.name.span,
                f"{used} of {used} slots are taken; caps sent with grant to {stmt.component.text}."
                f"{stmt.endpoint.text} ({line_of(stmt.span, comp.name.span, system.file)}) would find no slot: "
                f"give it cnode_bits {cspace.radix + 1}"))


def check_cnode(comp: model.Component, rcomp: resolved.Component, diags: list[Diagnostic]) -> None:
    cspace = rcomp.cspace
    used = len(cspace.slots) + 1
    stmt = comp.first(model.CNodeBitsStmt)
    if isinstance(stmt, model.CNodeBitsStmt):
        bits = stmt.value.value
        if not 1 <= bits <= layout.MAX_CNODE_BITS:
            diags.append(error(f"cnode_bits {stmt.value.text} is out of range", stmt.value.span,
                               f"a CNode has 2^1 to 2^{layout.MAX_CNODE_BITS} slots"))
        elif used > 1 << bits:
            diags.append(error(
                f"CNode overflow: component '{comp.name.text}' needs {used} slots, "
                f"cnode_bits {bits} gives {1 << bits}", stmt.value.span,
                f"use cnode_bits {(used - 1).bit_length()} or more, or leave it out to size the CNode automatically"))
    elif used > 1 << layout.MAX_CNODE_BITS:
        diags.append(error(f"CNode overflow: component '{comp.name.text}' needs {used} slots",
                           comp.name.span, f"a CNode has at most 2^{layout.MAX_CNODE_BITS} slots"))


# ---------------------------------------------------------------------------
# RAM budget


def ram_needs(system: model.System, model_: resolved.System) -> list[tuple[int, str, Span]]:
    """(bytes, what, where) of everything the spec allocates from RAM, ELF pages aside."""
    needs: list[tuple[int, str, Span]] = []
    # The system's own ASID pool: one ASID (a root pointer) per component's VSpace.
    needs.append((layout.asid_pool_bytes(len(model_.components)), "the system's ASID pool", system.name.span))
    for memory in model_.memories:
        needs.append((layout.page_up(memory.size), f"memory '{memory.name}'", memory.value_span))  # type: ignore[arg-type]
    for rcomp in model_.components:
        name = rcomp.name
        mem = rcomp.memory
        cspace = rcomp.cspace
        fixed = (1 << (cspace.radix + _CTE_BITS)) + PAGE_SIZE  # CNode, VSpace
        fixed += len(mem.threads) << _TCB_BITS
        fixed += len(rcomp.of_kind("endpoint")) << _ENDPOINT_BITS
        fixed += len(rcomp.of_kind("notification")) << _NOTIFICATION_BITS
        fixed += len(rcomp.of_kind("timer")) << _TIMER_BITS
        ranges = [(layout.IMAGE_BASE, layout.IMAGE_BASE + PAGE_SIZE)] + \
                 [(t.ipc_buffer_vaddr, t.ipc_buffer_vaddr + PAGE_SIZE) for t in mem.threads] + \
                 [(r.vaddr, r.end) for r in mem.regions if r.size]
        fixed += layout.tables_covering(ranges) * PAGE_SIZE
        for th in mem.threads:
            fixed += th.stack_size + PAGE_SIZE
        needs.append((fixed, f"component '{name}' (threads, CSpace, page tables)", rcomp.span))
        # Pools and the heap, in declaration order.
        own: list[tuple[int, int, str, Span]] = [
            (u.order, u.size, f"untyped '{name}.{u.name}'", u.value_span)  # type: ignore[misc]
            for u in rcomp.of_kind("untyped") if u.paddr is None]
        if rcomp.asid_pool is not None:
            own.append((rcomp.asid_pool.order, layout.asid_pool_bytes(rcomp.asid_pool.count), f"asid_pool of '{name}'",
                        rcomp.asid_pool.value_span))  # type: ignore[arg-type]
        own += [(r.order, r.size, f"heap of '{name}'", r.value_span)  # type: ignore[misc]
                for r in mem.regions if r.kind == "heap"]
        needs += [(size, what, where) for _, size, what, where in sorted(own, key=lambda n: n[0])]
    return needs


def check_mapped_pages(system: model.System, model_: resolved.System, diags: list[Diagnostic]) -> bool:
    """The boot tables list every mapped page: keep their number bounded (the ELFs' pages
    are not known yet and not counted). False if there are too many."""
    counts: list[tuple[int, str]] = []
    for comp in model_.components:
        mem = comp.memory
        pages = sum(th.stack_size // PAGE_SIZE + 1 for th in mem.threads)
        pages += sum(r.size // PAGE_SIZE for r in mem.regions)
        counts.append((pages, comp.name))
    total = sum(n for n, _ in counts)
    if total <= layout.MAX_MAPPED_PAGES:
        return True
    biggest = ", ".join(f"'{name}' {n}" for n, name in sorted(counts, key=lambda c: -c[0])[:3])
    diags.append(error(
        f"system '{system.name.text}' maps {total} pages, more than the {layout.MAX_MAPPED_PAGES} "
        f"({size_text(layout.MAX_MAPPED_PAGES * PAGE_SIZE)}) a system may map", system.name.span,
        f"every mapping of a page is an entry of the boot tables (shared memory counts once per "
        f"'map'); most pages: {biggest}"))
    return False


def check_budget(system: model.System, model_: resolved.System, tree: platform.DeviceTree | None,
                 diags: list[Diagnostic]) -> None:
    if tree is None:
        return
    ram = sum(bank.size for bank in tree.memory())
    if not ram:
        return
    free = ram - KERNEL_RESERVE - DTB_RESERVE
    needs = ram_needs(system, model_)
    total = sum(n for n, _, _ in needs)
    if total > free:
        biggest = sorted(needs, key=lambda n: -n[0])[:3]
        listed = ", ".join(f"{what} {size_text(n) if n % 1024 == 0 or n < 1024 else f'{n // 1024} KiB'}"
                           for n, what, _ in biggest)
        diags.append(error(
            f"system '{system.name.text}' needs {_mib(total)} of RAM, more than the {_mib(free)} "
            f"platform '{system.platform.text}' has free", system.name.span,
            f"largest: {listed}"))
        return
    # Untyped pools are naturally aligned blocks, placed largest first (layout.py's order):
    # find each a hole, splitting holes as a buddy allocator would. Optimistic on purpose:
    # an error here means no allocator at all could place them.
    banks = tree.memory()
    base = banks[0].paddr
    holes = [(b.paddr, b.paddr + b.size) for b in banks]
    for start, end in ((base, base + KERNEL_RESERVE), (base + DTB_OFFSET, base + DTB_OFFSET + DTB_RESERVE)):
        holes = [piece for h in holes for piece in ((h[0], min(h[1], start)), (max(h[0], end), h[1]))
                 if piece[0] < piece[1]]
    pools = sorted(((u.size, comp, u) for comp in model_.components for u in comp.of_kind("untyped")
                    if u.paddr is None), key=lambda p: -p[0])
    for size, comp, pool in pools:
        for i, (lo, hi) in enumerate(holes):
            start = (lo + size - 1) & ~(size - 1)
            if start + size <= hi:
                holes[i:i + 1] = [h for h in ((lo, start), (start + size, hi)) if h[0] < h[1]]
                break
        else:
            diags.append(error(
                f"untyped '{comp.name}.{pool.name}' ({size_text(size)}) does not fit in RAM",
                pool.value_span, "an untyped pool must be naturally aligned; the kernel and the other "
                                "pools leave no free block that large"))
            return


def _mib(value: int) -> str:
    return f"{value / (1024 * 1024):.1f} MiB"


def unused_memory_warnings(system: model.System, diags: list[Diagnostic]) -> None:
    used = {s.memory.text for c in system.components for s in c.statements if isinstance(s, model.MapStmt)}
    for decl in system.memories:
        if decl.name.text not in used:
            diags.append(warning(f"memory '{decl.name.text}' is never mapped", decl.name.span,
                                 f"map it into a component with 'map {decl.name.text} rw'"))
