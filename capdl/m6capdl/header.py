"""What a binary's m6_caps.h defines (names, values, comments), from the resolved model.

emit.py renders it; checks.py compares it between the components that run one binary
(they share the header, so they must agree on it).
"""

from __future__ import annotations

from m6capdl import resolved


def slot_comment(slot: resolved.Cap) -> str:
    if slot.kind.startswith("self_"):
        return {"self_cnode": "this component's CNode", "self_vspace": "this component's VSpace",
                "self_tcb": "this component's main thread"}[slot.kind]
    if slot.kind == "endpoint":
        assert slot.obj is not None
        return f"endpoint '{slot.obj.name}', receive"
    if slot.kind in ("call", "send", "signal"):
        return f"{slot.kind} {slot.ref}, badge {slot.badge}"
    if slot.kind == "notification":
        assert slot.obj is not None
        return f"notification '{slot.obj.name}', wait (signal through a badged copy)"
    if slot.kind == "timer":
        assert slot.obj is not None
        return f"timer '{slot.obj.name}'"
    if slot.kind == "untyped":
        assert slot.obj is not None
        return f"untyped pool '{slot.obj.name}'"
    if slot.kind == "asid_pool":
        return "ASID pool: ASIDs for the VSpaces it makes (M6_ASID_POOL_SIZE)"
    if slot.kind == "thread":
        assert slot.obj is not None
        return f"thread '{slot.obj.name}' (its TCB)"
    if slot.kind == "irq":
        trigger = "edge" if slot.badge >> 32 else "level"
        return f"IRQ handler, interrupt {slot.badge & 0xffffffff} ({trigger})"
    return f"syscap {slot.syscap}"


Define = tuple[str, str, str]  # name, value, comment


def _hex(value: int) -> str:
    return f"0x{value:x}"


def c_string(text: str) -> str:
    from m6capdl.emit import c_string as escape  # (emit imports this module)
    return escape(text)


def header_sections(comp: resolved.Component) -> list[tuple[str, list[Define]]]:
    """What a binary's m6_caps.h defines, by section. Components that share a binary must
    produce the same sections (checks.py compares header_defines())."""
    cspace = comp.cspace
    mem = comp.memory
    threads = [s.name for s in cspace.slots if s.kind in ("self_tcb", "thread")]
    sections: list[tuple[str, list[Define]]] = [
        ("", [("M6_CSPACE_RADIX", str(cspace.radix), ""),
              ("M6_CSPACE_FIRST_FREE", str(len(cspace.slots) + 1), "first slot the spec leaves empty"),
              ("M6_THREAD_COUNT", str(len(threads)), ""),
              ("M6_THREAD_CAPS", "{" + ", ".join(threads) + "}", "TCB caps, main thread first")]),
        # Slots 1-3 are every component's: <m6/layout.h> names them (M6_CAP_SELF_*), as
        # it gives the main thread's stack top and IPC buffer; one name, one place.
        ("CSpace slots (slot 0 is always empty).",
         [(slot.name, str(slot.slot), slot_comment(slot)) for slot in cspace.slots
          if not slot.kind.startswith("self_")]),
        ("Memory map.", [("M6_STACK_SIZE", _hex(mem.stack_size), "")]),
    ]
    for th in mem.threads[1:]:
        p = "M6_THREAD_" + th.name.upper()
        sections.append((f"Thread '{th.name}' (its TCB: CAP_THREAD_{th.name.upper()}).", [
            (p + "_STACK_TOP", _hex(th.stack_top), ""), (p + "_STACK_SIZE", _hex(th.stack_size), ""),
            (p + "_IPC_BUFFER_VADDR", _hex(th.ipc_buffer_vaddr), "")]))
    for region in mem.regions:
        if region.kind == "heap":
            sections.append(("Heap (zero-filled, read-write).", [
                ("M6_HEAP_VADDR", _hex(region.vaddr), ""), ("M6_HEAP_SIZE", _hex(region.size), "")]))
        elif region.window is not None:
            if region.window.endpoint is None:  # the caller's; the server's are tabled below
                cap = "CAP_" + region.window.cap.upper()
                p = "M6_WINDOW_" + region.window.cap.upper()
                sections.append((f"Window of {cap}: memory shared with the server alone, read-write.", [
                    (p + "_VADDR", _hex(region.vaddr), ""), (p + "_SIZE", _hex(region.size), "")]))
        elif region.kind == "memory":
            p = "M6_MEM_" + region.name
            defs = [(p + "_VADDR", _hex(region.vaddr), ""), (p + "_SIZE", _hex(region.size), "")]
            if region.obj is not None and region.obj.path:
                defs.append((p + "_BYTES", _hex(region.obj.length), "the file's exact length"))
                title = f"Memory '{region.memory}', a file of the build, mapped {region.rights_text} in place."
            else:
                title = f"Shared memory '{region.memory}', mapped {region.rights_text}."
            sections.append((title, defs))
        else:
            p = "M6_DEVICE_" + region.name
            defs: list[Define] = []
            for i, reg in enumerate(region.regs):
                q = p if i == 0 else f"{p}_REG{i}"
                defs += [(q + "_VADDR", _hex(reg.vaddr), ""), (q + "_PADDR", _hex(reg.paddr), ""),
                         (q + "_SIZE", _hex(reg.size), "")]
            sections.append((f"Device '{region.name.lower()}' (MMIO, read-write).", defs))
    sections += _window_tables(comp)
    for ch in comp.channels:
        region = next((r for r in mem.regions if r.kind == "memory" and r.memory == ch.name), None)
        if region is None:
            continue
        producer = ch.producer == comp.name
        p, n = "M6_CHANNEL_" + ch.name.upper(), ch.name.upper()
        what = f"producer, to '{ch.consumer}'" if producer else f"consumer, from '{ch.producer}'"
        sections.append((f"Channel '{ch.name}' ({what}): the queue at _VADDR, then the data area; "
                         f"wait on CAP_{n}, wake the other side with CAP_{n}_PEER.", [
            (p + "_VADDR", _hex(region.vaddr), "the queue (struct of the IDL queue)"),
            (p + "_QUEUE_SIZE", _hex(ch.queue_size), "room for DEPTH entries of at most 64 bytes"),
            (p + "_DEPTH", str(ch.depth), "the IDL queue's depth must be this"),
            (p + "_DATA_VADDR", _hex(region.vaddr + ch.queue_size), ""),
            (p + "_DATA_SIZE", _hex(ch.data_size), ""),
            (p + "_PRODUCER", "1" if producer else "0", "1: this component enqueues")]))
    if comp.mounts:
        rows = ", ".join(f"{{\"{c_string(m.path)}\", {m.kind}, {' | '.join(m.flags) or '0'}, 0x{m.vaddr:x}, "
                         f"0x{m.size:x}, {m.cap}}}" for m in comp.mounts)
        sections.append(("Mounts, in declaration order: struct m6_mount {path, kind, flags, vaddr, size, cap} "
                         "(<m6/spec_tables.h>).", [("M6_MOUNT_COUNT", str(len(comp.mounts)), ""),
                                                   ("M6_MOUNTS", "{" + rows + "}", "struct m6_mount[] initializer")]))
    irqs = [(f"M6_DEVICE_{obj.name.upper()}_IRQ" + ("" if len(d.interrupts) == 1 else str(i)), str(irq.id), "")
            for obj in comp.of_kind("device") for d in [comp.devices.get(obj.name)] if d is not None
            for i, irq in enumerate(d.interrupts)]
    if irqs:
        sections.append(("Device interrupt IDs.", irqs))
    if comp.pci_bus is not None:
        table = sorted(comp.pci_table, key=lambda e: e.claim.badge)
        rows = ", ".join("{0x%x, %d, 0x%x, 0x%x, 0x%x}" % e.claim.row() for e in table)
        who = ", ".join(f"{e.claim.claimant} ({e.cap}: {e.claim.match.describe()})" for e in table) or "none"
        sections.append((f"PCI bus: the claims on endpoint '{comp.pci_bus}', by badge: {who}.", [
            ("M6_PCI_BUS_ENDPOINT", "CAP_" + comp.pci_bus.upper(), "where claims arrive"),
            ("M6_PCI_CLAIMS_COUNT", str(len(table)), ""),
            ("M6_PCI_CLAIMS", "{" + rows + "}",
             "struct m6_pci_claim[] initializer: {badge, kind, vendor, device, class_code}")]))
    untyped = [(f"M6_UNTYPED_{obj.name.upper()}_BITS", str(obj.size.bit_length() - 1), "")
               for obj in comp.of_kind("untyped")]
    if untyped:
        sections.append(("Untyped pools: log2 of their size in bytes.", untyped))
    device_untyped = [(f"M6_UNTYPED_{obj.name.upper()}_PADDR", _hex(obj.paddr), "")
                      for obj in comp.of_kind("untyped") if obj.paddr is not None]
    if device_untyped:
        sections.append(("Device untyped: their physical addresses.", device_untyped))
    if comp.asid_pool is not None:
        sections.append(("ASID pool (CAP_ASID_POOL): how many VSpaces it can give an ASID.",
                         [("M6_ASID_POOL_SIZE", str(comp.asid_pool.count), "")]))
    return sections


def _window_tables(comp: resolved.Component) -> list[tuple[str, list[Define]]]:
    """Per endpoint with windowed callers: their windows, by badge (distinct: checked), as a
    C initializer of `struct m6_window` (<m6/spec_tables.h>)."""
    by_endpoint: dict[str, list[resolved.Region]] = {}
    for region in comp.memory.regions:
        if region.window is not None and region.window.endpoint is not None:
            by_endpoint.setdefault(region.window.endpoint, []).append(region)
    out: list[tuple[str, list[Define]]] = []
    for ep in comp.of_kind("endpoint"):
        regions = by_endpoint.pop(ep.name, None)
        if regions is None:
            continue
        regions.sort(key=lambda r: (r.window.badge if r.window is not None else 0, r.vaddr))
        p = "M6_WINDOWS_" + ep.name.upper()
        rows = ", ".join(f"{{0x{r.window.badge:x}, 0x{r.vaddr:x}, 0x{r.size:x}}}" for r in regions
                         if r.window is not None)
        callers = ", ".join(f"{r.window.client} ({'CAP_' + r.window.cap.upper()})" for r in regions
                            if r.window is not None)
        out.append((f"Windows of the callers of endpoint '{ep.name}', by badge: {callers}.", [
                        (p + "_COUNT", str(len(regions)), ""),
                        (p, "{" + rows + "}", "struct m6_window[] initializer: {badge, vaddr, size}")]))
    return out


def needs_spec_tables(comp: resolved.Component) -> bool:
    """Whether the header uses a type of <m6/spec_tables.h> (only then is it included:
    other headers stay as they were)."""
    return bool(comp.mounts) or comp.pci_bus is not None or any(r.window is not None and r.window.endpoint is not None
                                    for r in comp.memory.regions)


def header_defines(comp: resolved.Component) -> dict[str, str]:
    return {name: value for _, defs in header_sections(comp) for name, value, _ in defs}


def guard_name(binary: str) -> str:
    return "M6_CAPS_" + "".join(ch if ch.isalnum() else "_" for ch in binary.upper()) + "_H"
