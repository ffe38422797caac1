"""Semantic checks of a parsed spec.

Each check appends diagnostics and carries on, so the user sees every problem in one
run. Later stages (resolve, layout, emit) may assume a spec that passed: they do not re-check.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from pathlib import Path

from m6capdl import authority, channels, disks, layout, model, mounts, pci, platform, resolved, resources, windows
from m6capdl import files as m6files
from m6capdl.header import guard_name, header_defines
from m6capdl.diagnostics import Diagnostic, Severity, error, line_of, warning
from m6capdl.layout import (
    ARGS_MAX,
    ASID_LIMIT,
    ASID_POOL_CAP,
    asid_blocks_end,
    args_block_size,
    device_irq_caps,
    MAIN_THREAD,
    MAX_REGION_SIZE,
    MAX_STACK_SIZE,
    MAX_THREADS,
    THREAD_WINDOW,
    PAGE_SIZE,
    SELF_CAPS,
    SYSCAPS,
    max_stack_below_ipc_buffer,
    cap_name,
    self_cap_name,
    untyped_size_ok,
)

MAX_PRIORITY = 255
MIN_TIMESLICE_US = 100       # the kernel's bounds for M6_TCB_SET_TIMESLICE
MAX_TIMESLICE_US = 1_000_000
_UNRESOLVED = ("unknown component", "unknown endpoint", "unknown notification", "unknown memory")
MAX_BADGE = 2**64 - 1
_BINARY_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*")
_SYMBOL = re.compile(r"[A-Za-z_.$][A-Za-z0-9_.$]*")


def _names(items: list[str]) -> str:
    return ", ".join(sorted(items))


_size = resources.size_text


def available_platforms(platform_dir: Path) -> list[str]:
    if not platform_dir.is_dir():
        return []
    return sorted(p.name for p in platform_dir.iterdir() if p.is_dir())


def check(system: model.System, platform_dir: Path, files: dict[str, str] | None = None) -> list[Diagnostic]:
    return check_and_resolve(system, platform_dir, files)[0]


def check_and_resolve(system: model.System, platform_dir: Path, files: dict[str, str] | None = None
                      ) -> tuple[list[Diagnostic], resolved.System]:
    """The diagnostics, and the resolved model the checks looked at (the back ends' input
    when there is no error). `files`: KEY -> PATH, the --file options (file-backed memory)."""
    diags: list[Diagnostic] = []
    _check_platform(system, platform_dir, diags)
    _check_cpus(system, platform_dir, diags)
    # Channels become memory, notifications, signal caps and mappings, which every check
    # below then judges like any others.
    diags += channels.expand(system)
    # A call's window becomes memory mapped by the caller and the server (windows.py).
    diags += windows.expand(system)
    # A PCI claim becomes a badged call cap to its bus (pci.py).
    diags += pci.expand(system)
    # File-backed memory takes its size from its file (files.py).
    m6files.resolve_files(system, files or {}, diags)
    if not system.components:
        diags.append(error(f"system '{system.name.text}' declares no components", system.name.span))
    seen: dict[str, model.Component] = {}
    for comp in system.components:
        first = seen.get(comp.name.text)
        if first is not None:
            diags.append(error(
                f"duplicate component '{comp.name.text}'", comp.name.span,
                f"first declared at {line_of(first.name.span, comp.name.span, system.file)}"))
        else:
            seen[comp.name.text] = comp
    if len(seen) < len(system.components):
        # Check the first component of each name only: a copy would claim its devices,
        # IRQs and binary a second time, and those errors would only repeat this one.
        system = dataclasses.replace(system, components=list(seen.values()))
    resources.check_memories(system, diags)
    tree = None
    if not any(d.message.startswith("unknown platform") for d in diags):
        tree = resources.check_devices(system, platform_dir, diags)
        if tree is None:
            tree = resources.platform_tree(system, platform_dir, diags)
    ram = tree.memory() if tree is not None else None
    for comp in system.components:
        _check_component(comp, seen, diags, system.file)
    # Disks need the devices looked up (comp.devices) and the tree's transports.
    disks.check(system, tree, diags)
    resources.check_device_untypeds(system, tree, ram, diags)
    if not any(d.message.startswith("unknown platform") for d in diags):
        resources.mark_dma(system, platform_dir, tree, diags)
    resources.check_irqs(system, diags)
    # Devices and DMA masters are known: what follows reads the resolved model.
    model_ = resolved.resolve(system)
    for comp, rcomp in zip(system.components, model_.components):
        resources.check_cnode(comp, rcomp, diags)
        resources.check_region_overlaps(comp, diags)
        _check_generated_names(comp, diags)
    _check_supervisors(model_, diags)
    _check_shared_binaries(system, model_, diags)
    _check_header_guards(system, diags)
    resources.full_grant_targets(system, model_, diags)
    if not any(d.severity is Severity.ERROR for d in diags):
        _check_asid_space(system, model_, diags)
    if not any(d.severity is Severity.ERROR for d in diags):
        if resources.check_mapped_pages(system, model_, diags):
            resources.check_budget(system, model_, tree, diags)
    if not any(d.message.startswith(_UNRESOLVED) or ", not a" in d.message for d in diags):
        # With a reference that does not resolve, "never called" is likely a consequence
        # of the same typo: stay quiet rather than bury the real error.
        _check_unused_endpoints(model_, diags)
        _check_endpoint_badges(model_, diags)
        diags += windows.check_badges(model_)
        resources.unused_memory_warnings(system, diags)
    if not any(d.severity is Severity.ERROR for d in diags):
        _useless_object_warnings(model_, diags)
        diags.extend(authority.check_assertions(model_))
    return diags, model_


def _check_asid_space(system: model.System, model_: resolved.System, diags: list[Diagnostic]) -> None:
    """The pools the boot creates must fit in the ASID space of a CPU with 16-bit ASIDs (one
    with 8-bit ASIDs has 255, which the kernel reports at boot)."""
    pools = model_.asid_pools()
    end = asid_blocks_end([count for _, count in pools])
    if end <= ASID_LIMIT:
        return
    # Point at the pool that no longer fits (pools[0] is the system's own).
    objs = [c.asid_pool for c in model_.components if c.asid_pool is not None]
    pool = next((p for i, p in enumerate(objs, start=2)
                 if asid_blocks_end([count for _, count in pools[:i]]) > ASID_LIMIT), None)
    listed = ", ".join(f"{name} {count}" for name, count in sorted(pools, key=lambda p: -p[1])[:3])
    diags.append(error(
        f"system '{system.name.text}' needs {end - 1} ASIDs, more than the {ASID_LIMIT - 1} a CPU has",
        pool.value_span if pool is not None else system.name.span,
        f"every component's VSpace takes one and every asid_pool its count, rounded up to "
        f"blocks of 16; largest: {listed}"))


def _check_shared_binaries(system: model.System, model_: resolved.System, diags: list[Diagnostic]) -> None:
    """Components that run one binary share its m6_caps.h: they must agree on it."""
    first: dict[str, tuple[model.Component, dict[str, str]]] = {}
    runs: dict[str, int] = {}
    for comp in system.components:
        stmt = comp.first(model.BinaryStmt)
        if isinstance(stmt, model.BinaryStmt):
            runs[stmt.name] = runs.get(stmt.name, 0) + 1
    for comp, rcomp in zip(system.components, model_.components):
        stmt = comp.first(model.BinaryStmt)
        if not isinstance(stmt, model.BinaryStmt) or runs[stmt.name] < 2:
            continue  # (a binary of one component agrees with itself: no header to compute)
        try:
            defines = header_defines(rcomp)
        except (KeyError, AssertionError):  # an error reported elsewhere left it incomplete
            continue
        seen = first.get(stmt.name)
        if seen is None:
            first[stmt.name] = (comp, defines)
            continue
        other, other_defines = seen
        diff = _first_difference(other_defines, defines)
        if diff is not None:
            name, a, b = diff
            diags.append(error(
                f"components '{other.name.text}' and '{comp.name.text}' run binary \"{stmt.name}\" "
                f"but disagree on {name}: {a} in '{other.name.text}', {b} in '{comp.name.text}'",
                stmt.name_span,
                "a binary has one m6_caps.h for all the components that run it: declare the same "
                "caps in the same order (and the same memory layout), or give each its own binary"))


def generated_names(comp: model.Component) -> list[tuple[str, model.Ident, str]]:
    """(C name, declaration, what) of every name a component's m6_caps.h derives from a
    name of the spec, other than the CAP_ names (_claim_cap checks those): uppercasing and
    suffixes can make two declarations one C name (`map a as x`, `map b as X`)."""
    out: list[tuple[str, model.Ident, str]] = []
    for stmt in comp.statements:
        if isinstance(stmt, model.WindowMapStmt):
            continue  # M6_WINDOW_<CAP> and M6_WINDOWS_<ENDPOINT>: named after a cap and an endpoint
        if isinstance(stmt, model.MapStmt):
            p = "M6_MEM_" + stmt.name.text.upper()
            decl = comp.memories.get(stmt.memory.text)
            suffixes = ("_VADDR", "_SIZE", "_BYTES") if decl is not None and decl.file is not None else \
                ("_VADDR", "_SIZE")
            out += [(p + s, stmt.name, f"mapping '{stmt.name.text}'") for s in suffixes]
        elif isinstance(stmt, model.DeviceStmt):
            p = "M6_DEVICE_" + stmt.name.text.upper()
            device = comp.devices.get(stmt.name.text)
            regs = len(device.regs) if device is not None else 1
            irqs = len(device.interrupts) if device is not None else 0
            what = f"device '{stmt.name.text}'"
            for i in range(regs if device is not None else 1):
                q = p if i == 0 else f"{p}_REG{i}"
                out += [(q + s, stmt.name, what) for s in ("_VADDR", "_PADDR", "_SIZE")]
            out += [(p + "_IRQ" + ("" if irqs == 1 else str(i)), stmt.name, what) for i in range(irqs)]
        elif isinstance(stmt, model.ThreadStmt):
            p = "M6_THREAD_" + stmt.name.text.upper()
            out += [(p + s, stmt.name, f"thread '{stmt.name.text}'")
                    for s in ("_STACK_TOP", "_STACK_SIZE", "_IPC_BUFFER_VADDR")]
        elif isinstance(stmt, model.UntypedStmt):
            out.append((f"M6_UNTYPED_{stmt.name.text.upper()}_BITS", stmt.name, f"untyped '{stmt.name.text}'"))
            if stmt.paddr is not None:
                out.append((f"M6_UNTYPED_{stmt.name.text.upper()}_PADDR", stmt.name, f"untyped '{stmt.name.text}'"))
    return out


def _check_generated_names(comp: model.Component, diags: list[Diagnostic]) -> None:
    """Two declarations that would define one C name: an error naming both (a header
    defining one macro twice with different values does not compile, or worse, silently
    keeps one). Declarations of one name are reported elsewhere (duplicates)."""
    first: dict[str, tuple[model.Ident, str]] = {}
    reported: set[tuple[int, int]] = set()
    for name, ident, what in generated_names(comp):
        seen = first.setdefault(name, (ident, what))
        other, other_what = seen
        if other is ident or (other.text == ident.text and other_what.split()[0] == what.split()[0]):
            continue
        pair = (id(other), id(ident))
        if pair in reported:
            continue
        reported.add(pair)
        diags.append(error(
            f"{what} and {other_what} of component '{comp.name.text}' would both define {name}",
            ident.span, f"{other_what} is declared at line {other.span.line}, column {other.span.column}; "
                        f"names become C names "
                        f"uppercased, with suffixes: choose names that differ in more than case"))


def _check_header_guards(system: model.System, diags: list[Diagnostic]) -> None:
    """Binaries whose headers would share an include guard (`a.b` and `a_b`; `x` and `X`,
    which are one directory on a case-insensitive file system): a C file that includes
    both would silently get one of them."""
    first: dict[str, tuple[str, model.BinaryStmt]] = {}
    for comp in system.components:
        stmt = comp.first(model.BinaryStmt)
        if not isinstance(stmt, model.BinaryStmt) or not _BINARY_NAME.fullmatch(stmt.name):
            continue
        guard = guard_name(stmt.name)
        seen = first.setdefault(guard, (stmt.name, stmt))
        if seen[0] != stmt.name:
            diags.append(error(
                f"binaries \"{seen[0]}\" and \"{stmt.name}\" would share the header guard {guard}",
                stmt.name_span, f"\"{seen[0]}\" is named at {line_of(seen[1].name_span, stmt.name_span, system.file)}; "
                                f"binary names become C names uppercased, with '_' for other characters: "
                                f"choose names that differ in more than that"))


def _first_difference(a: dict[str, str], b: dict[str, str]) -> tuple[str, str, str] | None:
    for name in list(a) + [n for n in b if n not in a]:
        if a.get(name) != b.get(name):
            return name, a.get(name, "undefined"), b.get(name, "undefined")
    return None


def _check_platform(system: model.System, platform_dir: Path, diags: list[Diagnostic]) -> None:
    known = available_platforms(platform_dir)
    if system.platform.text not in known:
        hint = f"known platforms are: {', '.join(known)}" if known else f"no platforms found in {platform_dir}"
        diags.append(error(f"unknown platform '{system.platform.text}'", system.platform.span, hint))


# Declarations that give a component-local object a name; they share one namespace so
# that `component.name` always means one object.
_DECLARATIONS: dict[type[model.Statement], str] = {
    model.EndpointStmt: "endpoint",
    model.NotificationStmt: "notification",
    model.TimerStmt: "timer",
    model.UntypedStmt: "untyped",
    model.ThreadStmt: "thread",
    model.DeviceStmt: "device",
    model.IrqStmt: "irq",
}
_SINGLES = (model.BinaryStmt, model.PriorityStmt, model.StackStmt, model.MaxPriorityStmt,
            model.MaxTimesliceStmt, model.CpuStmt,
            model.LinuxStmt, model.FaultStmt, model.HeapStmt, model.CNodeBitsStmt,
            model.ArgsStmt, model.AsidPoolStmt, model.RestartStmt)
_THREAD_SINGLES = (model.EntryStmt, model.PriorityStmt, model.StackStmt, model.MaxPriorityStmt,
                   model.LinuxStmt, model.FaultStmt, model.CpuStmt)


def _declared_name(stmt: model.Statement) -> model.Ident | None:
    return getattr(stmt, "name", None) if type(stmt) in _DECLARATIONS else None


def _check_singles(statements: Sequence[model.Statement], kinds: tuple[type[model.Statement], ...],
                   where: str, diags: list[Diagnostic]) -> dict[type[model.Statement], model.Statement]:
    """Statements that may appear once in `where`; returns the first of each kind."""
    singles: dict[type[model.Statement], model.Statement] = {}
    for stmt in statements:
        if isinstance(stmt, kinds):
            first = singles.get(type(stmt))
            if first is not None:
                diags.append(error(
                    f"duplicate '{stmt.keyword}' statement in {where}", stmt.span,
                    f"first given at line {first.span.line}"))
            else:
                singles[type(stmt)] = stmt
    return singles


def _check_component(comp: model.Component, components: dict[str, model.Component],
                     diags: list[Diagnostic], main: str = "") -> None:
    cname = comp.name.text
    singles = _check_singles(comp.statements, _SINGLES, f"component '{cname}'", diags)
    for required in (model.BinaryStmt, model.PriorityStmt):
        if required not in singles:
            diags.append(error(
                f"component '{cname}' has no '{required.keyword}' statement", comp.name.span,
                _missing_hint(required)))
    _check_own_ceiling(cname, singles.get(model.PriorityStmt), singles.get(model.MaxPriorityStmt), diags)
    restart = singles.get(model.RestartStmt)
    if isinstance(restart, model.RestartStmt):
        _check_restart(comp, restart, singles, diags)

    # Cap names: the self caps, then every cap-producing statement, in one namespace.
    # CAP_SELF_X stays reserved although the fixed slots are named M6_CAP_SELF_X: a
    # CAP_SELF_TCB that is not the component's TCB would be one letter from a misuse.
    cap_owner: dict[str, str] = {cap_name(n): f"reserved: the component's own {what} is {self_cap_name(n)}"
                                 for n, what in SELF_CAPS}
    declared: dict[str, model.Statement] = {}
    syscaps: dict[str, model.SyscapStmt] = {}
    mappings: dict[str, model.MapStmt] = {}
    for stmt in comp.statements:
        name = _declared_name(stmt)
        if name is not None:
            kind = _DECLARATIONS[type(stmt)]
            first_decl = declared.get(name.text)
            if first_decl is not None:
                first_kind = _DECLARATIONS[type(first_decl)]
                if first_kind == kind:
                    diags.append(error(
                        f"duplicate {kind} '{name.text}' in component '{cname}'", name.span,
                        f"first declared at line {first_decl.span.line}"))
                else:
                    diags.append(error(
                        f"duplicate name '{name.text}' in component '{cname}'", name.span,
                        f"already declared as {_article(first_kind)} at line {first_decl.span.line}"))
                continue
            declared[name.text] = stmt
        if isinstance(stmt, model.BinaryStmt):
            if not _BINARY_NAME.fullmatch(stmt.name):
                diags.append(error(
                    f"invalid binary name \"{stmt.name}\"", stmt.name_span,
                    "use letters, digits and _ . + - (it names the ELF given with --elf NAME=PATH)"))
        elif isinstance(stmt, (model.PriorityStmt, model.MaxPriorityStmt)):
            _check_priority(stmt, diags)
        elif isinstance(stmt, model.MaxTimesliceStmt):
            _check_timeslice(stmt, diags)
        elif isinstance(stmt, model.StackStmt):
            _check_stack(stmt, diags)
        elif isinstance(stmt, model.EndpointStmt):
            _claim_cap(cap_owner, stmt.name, f"endpoint '{stmt.name.text}'", cname, diags)
        elif isinstance(stmt, model.NotificationStmt):
            _claim_cap(cap_owner, stmt.name, f"notification '{stmt.name.text}'", cname, diags)
        elif isinstance(stmt, model.TimerStmt):
            _claim_cap(cap_owner, stmt.name, f"timer '{stmt.name.text}'", cname, diags)
        elif isinstance(stmt, model.UntypedStmt):
            _check_untyped(stmt, diags)  # its address: resources.check_device_untypeds
            _claim_cap(cap_owner, stmt.name, f"untyped '{stmt.name.text}'", cname, diags)
        elif isinstance(stmt, model.MapStmt):
            resources.check_mapping(comp, stmt, diags, main)
            first_map = mappings.get(stmt.name.text)
            if first_map is not None:
                diags.append(error(
                    f"duplicate mapping '{stmt.name.text}' in component '{cname}'", stmt.name.span,
                    f"first mapped at line {first_map.span.line}; map it again under another "
                    f"name with 'as NAME'"))
            else:
                mappings[stmt.name.text] = stmt
        elif isinstance(stmt, model.ArgsStmt):
            size = args_block_size([cname, *stmt.values])
            if size > ARGS_MAX:
                diags.append(error(
                    f"the arguments of component '{cname}' take {size} bytes; at most {ARGS_MAX} fit",
                    stmt.span, "they sit at the top of the main thread's stack, with a pointer each "
                    "and the component's name as argv[0]; pass less, or put bulk data in a file or "
                    "shared memory"))
        elif isinstance(stmt, model.HeapStmt):
            size = stmt.size.value
            if size == 0 or size % PAGE_SIZE:
                diags.append(error(f"heap size {_size(size)} is not a non-zero multiple of 4 KiB",
                                   stmt.size.span, "the heap is made of whole 4 KiB pages"))
            elif size > MAX_REGION_SIZE:
                diags.append(error(f"heap size {_size(size)} exceeds {_size(MAX_REGION_SIZE)}", stmt.size.span,
                                   f"a heap, like a shared memory region, is at most {_size(MAX_REGION_SIZE)}"))
        elif isinstance(stmt, model.DeviceStmt):
            device = comp.devices.get(stmt.name.text)
            count = len(device.interrupts) if device is not None else 0
            for cap in device_irq_caps(stmt.name.text, count):
                _claim_cap(cap_owner, model.Ident(cap[4:], stmt.name.span),
                           f"interrupt of device '{stmt.name.text}'", cname, diags)
        elif isinstance(stmt, model.IrqStmt):
            _claim_cap(cap_owner, stmt.name, f"irq '{stmt.name.text}'", cname, diags)
        elif isinstance(stmt, model.EndpointCapStmt):
            _check_ref(stmt.component, stmt.endpoint, "endpoint", components, diags)
            _check_badge(stmt.badge, diags)
            _claim_cap(cap_owner, stmt.alias, f"'{stmt.kind}' cap '{stmt.alias.text}'", cname, diags)
        elif isinstance(stmt, model.SignalStmt):
            _check_ref(stmt.component, stmt.notification, "notification", components, diags)
            _check_signal_badge(stmt, diags)
            _claim_cap(cap_owner, stmt.alias, f"'signal' cap '{stmt.alias.text}'", cname, diags)
        elif isinstance(stmt, model.FaultStmt):
            _check_ref(stmt.component, stmt.endpoint, "endpoint", components, diags)
            _check_badge(stmt.badge, diags)
        elif isinstance(stmt, model.AsidPoolStmt):
            if not 1 <= stmt.count.value < ASID_LIMIT:
                diags.append(error(
                    f"asid_pool {stmt.count.text} is out of range", stmt.count.span,
                    f"a pool gives 1 to {ASID_LIMIT - 1} VSpaces an ASID (a CPU has 255 or 65535 "
                    f"ASIDs in all)"))
            if comp.first(model.AsidPoolStmt) is stmt:  # a second one is a duplicate
                _claim_cap(cap_owner, model.Ident(ASID_POOL_CAP, stmt.span), "the asid_pool", cname, diags)
        elif isinstance(stmt, model.ThreadStmt):
            _check_thread(comp, stmt, diags, components)
            ident = model.Ident("THREAD_" + stmt.name.text, stmt.name.span)
            _claim_cap(cap_owner, ident, f"thread '{stmt.name.text}'", cname, diags)
        elif isinstance(stmt, model.SyscapStmt):
            if stmt.name.text not in SYSCAPS:
                diags.append(error(
                    f"unknown syscap '{stmt.name.text}'", stmt.name.span,
                    f"known syscaps are: {_names(list(SYSCAPS))}"))
                continue
            first_sys = syscaps.get(stmt.name.text)
            if first_sys is not None:
                diags.append(error(
                    f"duplicate syscap '{stmt.name.text}' in component '{cname}'", stmt.name.span,
                    f"first granted at line {first_sys.name.span.line}"))
                continue
            syscaps[stmt.name.text] = stmt
            _claim_cap(cap_owner, stmt.name, f"syscap '{stmt.name.text}'", cname, diags)

    mounts.check(comp, diags)
    threads = comp.threads
    if len(threads) + 1 > MAX_THREADS:
        diags.append(error(
            f"component '{cname}' has {len(threads) + 1} threads, more than {MAX_THREADS}",
            threads[MAX_THREADS - 1].name.span,
            f"each thread takes a {THREAD_WINDOW // (1024 * 1024)} MiB window below the stack top"))
    linux = singles.get(model.LinuxStmt)
    if linux is not None and model.FaultStmt not in singles:
        diags.append(_linux_without_fault(f"the main thread of component '{cname}'", linux))


def _check_restart(comp: model.Component, stmt: model.RestartStmt,
                   singles: dict[type[model.Statement], model.Statement], diags: list[Diagnostic]) -> None:
    """`restart by S.E` (docs/supervision.md): S receives every fault of the component and
    rebuilds it, so nothing else may handle its faults, and S is another component."""
    cname = comp.name.text
    fault = singles.get(model.FaultStmt)
    if fault is not None:
        diags.append(error(
            f"component '{cname}' has both 'fault' and 'restart'", fault.span,
            f"its supervisor '{stmt.component.text}' receives its faults (line {stmt.span.line}): "
            f"remove the 'fault' statement"))
    if stmt.component.text == cname:
        diags.append(error(
            f"component '{cname}' cannot restart itself", stmt.component.span,
            "a restart needs a component that is still running: name a supervisor component"))
    linux = singles.get(model.LinuxStmt)
    for thread in comp.threads:
        own = thread.first(model.FaultStmt)
        if own is not None:
            diags.append(error(
                f"thread '{thread.name.text}' of component '{cname}' has a fault handler of its own, "
                f"but the component is restarted by '{stmt.component.text}'", own.span,
                "the supervisor must receive the faults of every thread it restarts: remove the "
                "thread's 'fault'"))
        if linux is None:
            linux = thread.first(model.LinuxStmt)
    if linux is not None:
        diags.append(error(
            f"component '{cname}' runs Linux binaries and cannot be restarted", stmt.span,
            "its system calls go to its fault handler, which a supervisor is not"))


def _check_supervisors(model_: resolved.System, diags: list[Diagnostic]) -> None:
    """A supervisor's caps for what it restarts are named after the component and the cap
    (CAP_SUPERVISED_<C>_<CAP>): two must not make one C name; and its own regions must stay
    below where the compiler maps what it restarts (layout.SUPERVISION_BASE)."""
    for comp in model_.components:
        if not comp.supervised:
            continue
        seen: dict[str, resolved.Cap] = {}
        for cap in comp.cspace.slots:
            first = seen.setdefault(cap.name, cap)
            if first is not cap and cap.kind.startswith("supervised_"):
                diags.append(error(
                    f"{cap.name} names two caps of supervisor '{comp.name}'", comp.span,
                    f"the names of the components it restarts and of their caps run together: "
                    f"rename one (slots {first.slot} and {cap.slot})"))
                break
        for region in comp.memory.regions:
            if region.vaddr + region.size > layout.SUPERVISION_BASE:
                diags.append(error(
                    f"region '{region.name}' of supervisor '{comp.name}' reaches above "
                    f"0x{layout.SUPERVISION_BASE:x}", region.span or comp.span,
                    "a supervisor's view of the components it restarts is mapped there: "
                    "choose a lower address"))


def _article(kind: str) -> str:
    return ("an " if kind[0] in "aeiou" else "a ") + kind


def _linux_without_fault(who: str, stmt: model.Statement) -> Diagnostic:
    return error(f"{who} runs Linux binaries but has no fault handler", stmt.span,
                 "its system calls are delivered to its fault endpoint: add 'fault COMPONENT.ENDPOINT'")


def _check_thread(comp: model.Component, thread: model.ThreadStmt, diags: list[Diagnostic],
                  components: dict[str, model.Component]) -> None:
    cname, tname = comp.name.text, thread.name.text
    where = f"thread '{tname}' of component '{cname}'"
    if tname == MAIN_THREAD:
        diags.append(error(f"a thread may not be called '{MAIN_THREAD}'", thread.name.span,
                           "the component's main thread has that name; its settings are the "
                           "component's own (priority, stack, fault, ...)"))
    singles = _check_singles(thread.statements, _THREAD_SINGLES, where, diags)
    for required, hint in ((model.EntryStmt, 'add e.g. entry "worker_main": a function of the binary'),
                           (model.PriorityStmt, f"add e.g. priority 100 (0..{MAX_PRIORITY}, higher runs first)")):
        if required not in singles:
            diags.append(error(f"{where} has no '{required.keyword}' statement", thread.name.span, hint))
    for stmt in thread.statements:
        if isinstance(stmt, (model.PriorityStmt, model.MaxPriorityStmt)):
            _check_priority(stmt, diags)
        elif isinstance(stmt, model.StackStmt):
            _check_stack(stmt, diags)
        elif isinstance(stmt, model.FaultStmt):
            _check_ref(stmt.component, stmt.endpoint, "endpoint", components, diags)
            _check_badge(stmt.badge, diags)
        elif isinstance(stmt, model.EntryStmt):
            if not _SYMBOL.fullmatch(stmt.symbol):
                diags.append(error(f"invalid entry symbol \"{stmt.symbol}\"", stmt.symbol_span,
                                   "an entry is the name of a function of the component's binary"))
    # A component cannot hold threads above its own ceiling: whoever holds their TCB caps
    # could not have set those priorities itself.
    comp_prio = comp.first(model.PriorityStmt)
    comp_max = comp.first(model.MaxPriorityStmt)
    if isinstance(comp_prio, model.PriorityStmt) and comp_prio.value.value <= MAX_PRIORITY:
        ceiling = comp_max.value.value if isinstance(comp_max, model.MaxPriorityStmt) else comp_prio.value.value
        for stmt in thread.statements:
            if isinstance(stmt, (model.PriorityStmt, model.MaxPriorityStmt)) and \
                    ceiling < stmt.value.value <= MAX_PRIORITY:
                what = "priority" if isinstance(stmt, model.PriorityStmt) else "max_priority"
                diags.append(error(
                    f"{where} has {what} {stmt.value.text}, above the component's maximum priority {ceiling}",
                    stmt.value.span,
                    f"a component's threads stay at or below its max_priority (default: its priority); "
                    f"raise it with 'max_priority {stmt.value.value}' in component '{cname}'"))
    linux = singles.get(model.LinuxStmt)
    if linux is not None and model.FaultStmt not in singles and comp.first(model.FaultStmt) is None:
        diags.append(_linux_without_fault(f"thread '{tname}' of component '{cname}'", linux))


def _check_cpus(system: model.System, platform_dir: Path, diags: list[Diagnostic]) -> None:
    """Every `cpu N` (component or thread) names a CPU the platform can have."""
    if system.platform.text not in available_platforms(platform_dir):
        return  # reported by _check_platform
    try:
        cpus = platform.load_cpu_count(platform_dir, system.platform.text)
    except platform.FileError as exc:
        diags.append(error(str(exc), system.platform.span, "fix the platform's machine.toml"))
        return
    stmts: list[model.Statement] = []
    for comp in system.components:
        for stmt in comp.statements:
            stmts.append(stmt)
            if isinstance(stmt, model.ThreadStmt):
                stmts.extend(stmt.statements)
    for stmt in stmts:
        if isinstance(stmt, model.CpuStmt) and stmt.value.value >= cpus:
            diags.append(error(
                f"cpu {stmt.value.text} is beyond the platform's CPUs", stmt.value.span,
                f"platform '{system.platform.text}' has CPUs 0 to {cpus - 1} "
                f"(platforms/{system.platform.text}/machine.toml)"))


def _check_priority(stmt: model.PriorityStmt | model.MaxPriorityStmt, diags: list[Diagnostic]) -> None:
    if stmt.value.value > MAX_PRIORITY:
        what = "priority" if isinstance(stmt, model.PriorityStmt) else "max_priority"
        diags.append(error(
            f"{what} {stmt.value.text} is out of range", stmt.value.span,
            f"priorities go from 0 to {MAX_PRIORITY}, higher runs first"))


def _check_timeslice(stmt: model.MaxTimesliceStmt, diags: list[Diagnostic]) -> None:
    if not MIN_TIMESLICE_US <= stmt.value.value <= MAX_TIMESLICE_US:
        diags.append(error(
            f"max_timeslice {stmt.value.text} is out of range", stmt.value.span,
            f"a timeslice is given in microseconds, {MIN_TIMESLICE_US} to {MAX_TIMESLICE_US} (1 s)"))


def _check_badge(badge: model.Number | None, diags: list[Diagnostic]) -> None:
    if badge is not None and badge.value > MAX_BADGE:
        diags.append(error(
            f"badge {badge.text} is out of range", badge.span,
            "a badge is a 64-bit value: 0 to 18446744073709551615 (0xffffffffffffffff)"))


_SIGNAL_BADGE_HINT = ("a signal sets the bits of its badge in the notification word; give it a "
                      "non-zero badge, e.g. 'badge 1'")


def _check_signal_badge(stmt: model.SignalStmt, diags: list[Diagnostic]) -> None:
    """The kernel refuses to signal through a notification cap of badge 0 (it would set no
    bit: a waiter would wake to a zero word), so a `signal` cap without one is useless."""
    what = f"'signal' cap '{stmt.alias.text}'"
    if stmt.badge is None:
        diags.append(error(f"{what} has no badge", stmt.span, _SIGNAL_BADGE_HINT))
    elif stmt.badge.value == 0:
        diags.append(error(f"{what} has badge {stmt.badge.text}, which sets no bit", stmt.badge.span,
                           _SIGNAL_BADGE_HINT))
    else:
        _check_badge(stmt.badge, diags)


def _check_untyped(stmt: model.UntypedStmt, diags: list[Diagnostic]) -> None:
    size = stmt.size.value
    if size == 0 or size & (size - 1):
        diags.append(error(f"untyped size {_size(size)} is not a power of two", stmt.size.span,
                           "an untyped pool is one naturally aligned block: 4 KiB, 8 KiB, ... 1 GiB"))
    elif not untyped_size_ok(size):
        diags.append(error(f"untyped size {_size(size)} is out of range", stmt.size.span,
                           "untyped pools go from 4 KiB to 1 GiB"))


def _check_own_ceiling(cname: str, prio: model.Statement | None, ceiling: model.Statement | None,
                       diags: list[Diagnostic]) -> None:
    """The main thread is held to the component's max_priority like any other thread."""
    if not isinstance(prio, model.PriorityStmt) or not isinstance(ceiling, model.MaxPriorityStmt):
        return
    value, top = prio.value.value, ceiling.value.value
    if top < value <= MAX_PRIORITY:
        diags.append(error(
            f"priority {prio.value.text} of component '{cname}' is above its max_priority {ceiling.value.text}",
            prio.value.span,
            f"max_priority (line {ceiling.span.line}) is the ceiling of every thread of the component, "
            f"its main thread included: raise it to {value} or lower the priority"))


def _missing_hint(kind: type[model.Statement]) -> str:
    if kind is model.BinaryStmt:
        return "add e.g. binary \"name\": the program image, given as --elf name=PATH at build time"
    return f"add e.g. priority 100 (0..{MAX_PRIORITY}, higher runs first)"


def _check_stack(stmt: model.StackStmt, diags: list[Diagnostic]) -> None:
    size = stmt.size.value
    span = stmt.size.span
    if size == 0:
        diags.append(error("stack size must not be 0", span, "the default is 16 KiB"))
    elif size % PAGE_SIZE:
        diags.append(error(
            f"stack size {_size(size)} is not a multiple of 4 KiB", span,
            "stacks are made of whole 4 KiB pages"))
    elif size > MAX_STACK_SIZE:
        diags.append(error(f"stack size {_size(size)} exceeds 1 MiB", span))
    elif size > max_stack_below_ipc_buffer():
        diags.append(error(
            f"stack size {_size(size)} collides with the IPC buffer", span,
            f"the stack, its guard page and the IPC buffer share the 64 KiB below the stack "
            f"top: at most {_size(max_stack_below_ipc_buffer())} fits"))


def _claim_cap(owner: dict[str, str], name: model.Ident, what: str, component: str,
               diags: list[Diagnostic]) -> None:
    cap = cap_name(name.text)
    first = owner.get(cap)
    if first is not None:
        diags.append(error(
            f"{what} would be named {cap}, which is already taken in component '{component}'",
            name.span, f"{cap} is {first}"))
    else:
        owner[cap] = f"{what} (line {name.span.line})"


_USE_HINT = {
    "endpoint": "use 'call {0}.{1} as NAME' or 'send {0}.{1} as NAME' for an endpoint",
    "notification": "use 'signal {0}.{1} as NAME' for a notification",
}


def _check_ref(component: model.Ident, name: model.Ident, kind: str,
               components: dict[str, model.Component], diags: list[Diagnostic]) -> None:
    """`component.name` must name a `kind` (endpoint or notification) of that component."""
    target = components.get(component.text)
    if target is None:
        diags.append(error(
            f"unknown component '{component.text}'", component.span,
            f"declared components are: {_names(list(components))}"))
        return
    tname = target.name.text
    for stmt in target.statements:
        other = _declared_name(stmt)
        if other is not None and other.text == name.text:
            found = _DECLARATIONS[type(stmt)]
            if found != kind:
                hint = _USE_HINT.get(found, f"only {_article(kind)} can be named here")
                diags.append(error(
                    f"'{name.text}' in component '{tname}' is {_article(found)}, not {_article(kind)}",
                    name.span, hint.format(tname, name.text)))
            return
    declared = [d.text for s in target.statements if _DECLARATIONS.get(type(s)) == kind
                for d in [_declared_name(s)] if d is not None]
    hint = (f"component '{tname}' declares {kind}s: {_names(list(dict.fromkeys(declared)))}"
            if declared else f"component '{tname}' declares no {kind}s")
    diags.append(error(f"unknown {kind} '{name.text}' in component '{tname}'", name.span, hint))


def _check_unused_endpoints(system: resolved.System, diags: list[Diagnostic]) -> None:
    used = {(cap.obj.owner, cap.obj.name) for comp in system.components for cap in comp.cspace.slots
            if cap.kind in ("call", "send") and cap.obj is not None}
    used |= {(f.obj.owner, f.obj.name) for comp in system.components for f in comp.faults if f.obj is not None}
    for comp in system.components:
        name = comp.name
        reported: set[str] = set()
        for ep in comp.of_kind("endpoint"):
            if (name, ep.name) not in used and ep.name not in reported:
                reported.add(ep.name)
                diags.append(warning(
                    f"endpoint '{ep.name}' of component '{name}' is never called or sent to",
                    ep.name_span, f"grant it with 'call {name}.{ep.name} as NAME' in a client"))


def _badge_text(value: int) -> str:
    return f"0x{value:x}" if value > 9 else str(value)


def _check_endpoint_badges(system: resolved.System, diags: list[Diagnostic]) -> None:
    """What a receiver learns from a badge must be true. A fault message carries the
    faulter's fault badge: a cap to the same endpoint with that badge, or with none (its
    holder may mint an unbadged cap any badge, once), could forge "X faulted" and have the
    handler rewrite X's registers, or stop it: an error. Two components sending with one
    badge cannot be told apart: a warning (replicas may mean it). A component's caps to its
    own endpoints are not counted: it can only fool itself."""
    faults: dict[tuple[str | None, str], list[tuple[int, str, resolved.Fault]]] = {}
    caps: dict[tuple[str | None, str], list[tuple[int, str, resolved.Cap]]] = {}
    for comp in system.components:
        name = comp.name
        # (In declaration order, a thread's `fault` where its thread is declared.)
        uses: list[tuple[int, int, resolved.Cap | resolved.Fault]] = [
            (cap.order, 0, cap) for cap in comp.cspace.slots if cap.kind in ("call", "send")]
        uses += [(f.order, 1, f) for f in comp.faults]
        for _, _, use in sorted(uses, key=lambda u: (u[0], u[1])):
            if use.badge > MAX_BADGE or use.obj is None or use.obj.owner == name:
                continue
            key = (use.obj.owner, use.obj.name)
            if isinstance(use, resolved.Fault):
                faults.setdefault(key, []).append((use.badge, name, use))
            else:
                caps.setdefault(key, []).append((use.badge, name, use))
    for key, holders in caps.items():
        ep = f"{key[0]}.{key[1]}"
        received = faults.get(key, [])
        first_of: dict[int, tuple[str, resolved.Cap]] = {}
        for value, holder, stmt in holders:
            where = stmt.badge_span or stmt.span
            forged = next((f for f in received if f[0] == value and f[1] != holder), None)
            if forged is not None:
                diags.append(error(
                    f"badge {_badge_text(value)} of the '{stmt.kind}' cap of '{holder}' to {ep} is the fault badge "
                    f"of '{forged[1]}' there", where,
                    f"'{holder}' could send messages the handler takes for faults of '{forged[1]}' (declared at "
                    f"{line_of(forged[2].span, where, system.file)}) and have it rewrite or stop its threads: "
                    f"give the cap another badge"))
            elif value == 0 and any(f[1] != holder for f in received):
                other = next(f for f in received if f[1] != holder)
                diags.append(error(
                    f"'{holder}' holds an unbadged '{stmt.kind}' cap to {ep}, which receives faults", where,
                    f"its holder may mint an unbadged cap any badge, the fault badge of '{other[1]}' (declared "
                    f"at {line_of(other[2].span, where, system.file)}) included: give the cap a badge"))
            first = first_of.setdefault(value, (holder, stmt))
            if first[0] != holder and not (stmt.window or first[1].window):  # (windows.py: an error)
                diags.append(warning(
                    f"'{holder}' and '{first[0]}' both hold caps to {ep} with badge {_badge_text(value)}", where,
                    f"'{key[0]}' cannot tell their messages apart (the cap of '{first[0]}' is at "
                    f"{line_of(first[1].span, where, system.file)}): give each client its own badge"))
    for key, faulters in faults.items():
        ep = f"{key[0]}.{key[1]}"
        first_fault: dict[int, tuple[str, resolved.Fault]] = {}
        for value, holder, stmt in faulters:
            first = first_fault.setdefault(value, (holder, stmt))
            if first[0] != holder:
                where = stmt.badge_span or stmt.span
                diags.append(warning(
                    f"'{holder}' and '{first[0]}' both send their faults to {ep} with badge {_badge_text(value)}",
                    where, f"'{key[0]}' cannot tell which of them faulted (the fault handler of '{first[0]}' is "
                           f"declared at {line_of(first[1].span, where, system.file)}): give each its own badge"))


def _useless_object_warnings(system: resolved.System, diags: list[Diagnostic]) -> None:
    """Objects that certainly serve no purpose (never mere style: a standalone component,
    say, may well be meant)."""
    caps = [cap for comp in system.components for cap in comp.cspace.slots if cap.obj is not None]
    signalled = {(cap.obj.owner, cap.obj.name) for cap in caps if cap.kind == "signal"}  # type: ignore[union-attr]
    granted_to = {cap.obj.owner for cap in caps if cap.kind in ("call", "send") and cap.grant}  # type: ignore[union-attr]
    for comp in system.components:
        name = comp.name
        linux = all(t.linux for t in comp.threads)
        untyped = comp.of_kind("untyped")
        if linux:
            for obj in untyped:
                diags.append(warning(
                    f"untyped '{obj.name}' of component '{name}' can never be used", obj.name_span,
                    f"every thread of '{name}' runs the Linux ABI: its system calls go to its fault "
                    f"handler, so it cannot invoke a cap"))
        pool = comp.asid_pool
        if pool is not None and (linux or not untyped):
            diags.append(warning(
                f"the asid_pool of component '{name}' can never be used", pool.span,
                f"'{name}' runs Linux binaries only: it cannot invoke a cap" if linux else
                f"'{name}' has no untyped pool to make VSpaces from: add e.g. 'untyped mem 1 MiB'"))
        if name in granted_to or _has_signal_source(comp):
            continue
        reported: set[str] = set()
        for obj in comp.of_kind("notification"):
            nname = obj.name
            if (name, nname) in signalled or nname in reported:
                continue
            reported.add(nname)
            diags.append(warning(
                f"notification '{nname}' of component '{name}' is never signalled", obj.name_span,
                f"no component holds 'signal {name}.{nname}', and '{name}' has nothing else that could "
                f"signal it (a second thread, an IRQ, a timer, an untyped pool, a cap it can pass with "
                f"grant): grant one with 'signal {name}.{nname} as NAME badge 1' in another component"))


def _has_signal_source(comp: resolved.Component) -> bool:
    """Whether anything but the component's one thread could signal its notifications."""
    if any(obj.kind in ("tcb", "untyped", "timer", "irq") for obj in comp.declared):
        return True
    if any(cap.grant and cap.kind in ("call", "send") or cap.syscap == "irq_control" for cap in comp.cspace.slots):
        return True
    # A device with interrupts (unresolved: say nothing).
    return any(comp.devices.get(obj.name) is None or comp.devices[obj.name].interrupts
               for obj in comp.of_kind("device"))
