"""Semantic checks of a parsed spec.

Each check appends diagnostics and carries on, so the user sees every problem in one
run. Later stages (layout, emit) may assume a spec that passed: they do not re-check.
"""

from __future__ import annotations

import re
from pathlib import Path

from m6capdl import model
from m6capdl.diagnostics import Diagnostic, error, warning
from m6capdl.layout import (
    MAX_STACK_SIZE,
    PAGE_SIZE,
    SELF_CAPS,
    SYSCAPS,
    max_stack_below_ipc_buffer,
    cap_name,
)

MAX_PRIORITY = 255
_UNRESOLVED = ("unknown component", "unknown endpoint")
MAX_BADGE = 2**64 - 1
_BINARY_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*")


def _names(items: list[str]) -> str:
    return ", ".join(sorted(items))


def _size(value: int) -> str:
    if value >= 2**64:
        return "beyond 64 bits"
    if value % (1024 * 1024) == 0 and value:
        return f"{value // (1024 * 1024)} MiB"
    if value % 1024 == 0 and value:
        return f"{value // 1024} KiB"
    return f"{value} B"


def available_platforms(platform_dir: Path) -> list[str]:
    if not platform_dir.is_dir():
        return []
    return sorted(p.name for p in platform_dir.iterdir() if p.is_dir())


def check(system: model.System, platform_dir: Path) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    _check_platform(system, platform_dir, diags)
    if not system.components:
        diags.append(error(f"system '{system.name.text}' declares no components", system.name.span))
    seen: dict[str, model.Component] = {}
    for comp in system.components:
        first = seen.get(comp.name.text)
        if first is not None:
            diags.append(error(
                f"duplicate component '{comp.name.text}'", comp.name.span,
                f"first declared at line {first.name.span.line}"))
        else:
            seen[comp.name.text] = comp
    for comp in system.components:
        _check_component(comp, seen, diags)
    if not any(d.message.startswith(_UNRESOLVED) for d in diags):
        # With a reference that does not resolve, "never called" is likely a consequence
        # of the same typo: stay quiet rather than bury the real error.
        _check_unused_endpoints(system, seen, diags)
    return diags


def _check_platform(system: model.System, platform_dir: Path, diags: list[Diagnostic]) -> None:
    known = available_platforms(platform_dir)
    if system.platform.text not in known:
        hint = f"known platforms are: {', '.join(known)}" if known else f"no platforms found in {platform_dir}"
        diags.append(error(f"unknown platform '{system.platform.text}'", system.platform.span, hint))


def _check_component(comp: model.Component, components: dict[str, model.Component],
                     diags: list[Diagnostic]) -> None:
    cname = comp.name.text
    # Statements that may appear once per component.
    singles: dict[type[model.Statement], model.Statement] = {}
    for stmt in comp.statements:
        if isinstance(stmt, (model.BinaryStmt, model.PriorityStmt, model.StackStmt)):
            first = singles.get(type(stmt))
            if first is not None:
                diags.append(error(
                    f"duplicate '{stmt.keyword}' statement in component '{cname}'", stmt.span,
                    f"first given at line {first.span.line}"))
            else:
                singles[type(stmt)] = stmt
    for required in (model.BinaryStmt, model.PriorityStmt):
        if required not in singles:
            diags.append(error(
                f"component '{cname}' has no '{required.keyword}' statement", comp.name.span,
                _missing_hint(required)))

    # Cap names: the self caps, then every cap-producing statement, in one namespace.
    cap_owner: dict[str, str] = {cap_name(n): "the component's own " + what for n, what in SELF_CAPS}
    endpoints: dict[str, model.EndpointStmt] = {}
    syscaps: dict[str, model.SyscapStmt] = {}
    for stmt in comp.statements:
        if isinstance(stmt, model.BinaryStmt):
            if not _BINARY_NAME.fullmatch(stmt.name):
                diags.append(error(
                    f"invalid binary name \"{stmt.name}\"", stmt.name_span,
                    "use letters, digits and _ . + - (it names the ELF given with --elf NAME=PATH)"))
        elif isinstance(stmt, model.PriorityStmt):
            if stmt.value.value > MAX_PRIORITY:
                diags.append(error(
                    f"priority {stmt.value.text} is out of range", stmt.value.span,
                    f"priorities go from 0 to {MAX_PRIORITY}, higher runs first"))
        elif isinstance(stmt, model.StackStmt):
            _check_stack(stmt, diags)
        elif isinstance(stmt, model.EndpointStmt):
            first_ep = endpoints.get(stmt.name.text)
            if first_ep is not None:
                diags.append(error(
                    f"duplicate endpoint '{stmt.name.text}' in component '{cname}'", stmt.name.span,
                    f"first declared at line {first_ep.name.span.line}"))
                continue
            endpoints[stmt.name.text] = stmt
            _claim_cap(cap_owner, stmt.name, f"endpoint '{stmt.name.text}'", cname, diags)
        elif isinstance(stmt, model.EndpointCapStmt):
            _check_endpoint_ref(stmt, components, diags)
            if stmt.badge is not None and stmt.badge.value > MAX_BADGE:
                diags.append(error(
                    f"badge {stmt.badge.text} is out of range", stmt.badge.span,
                    "a badge is a 64-bit value: 0 to 18446744073709551615 (0xffffffffffffffff)"))
            _claim_cap(cap_owner, stmt.alias, f"'{stmt.kind}' cap '{stmt.alias.text}'", cname, diags)
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


def _check_endpoint_ref(stmt: model.EndpointCapStmt, components: dict[str, model.Component],
                        diags: list[Diagnostic]) -> None:
    target = components.get(stmt.component.text)
    if target is None:
        diags.append(error(
            f"unknown component '{stmt.component.text}'", stmt.component.span,
            f"declared components are: {_names(list(components))}"))
        return
    declared = [ep.name.text for ep in target.endpoints]
    if stmt.endpoint.text not in declared:
        hint = (f"component '{target.name.text}' declares endpoints: {_names(list(dict.fromkeys(declared)))}"
                if declared else f"component '{target.name.text}' declares no endpoints")
        diags.append(error(
            f"unknown endpoint '{stmt.endpoint.text}' in component '{target.name.text}'",
            stmt.endpoint.span, hint))


def _check_unused_endpoints(system: model.System, components: dict[str, model.Component],
                            diags: list[Diagnostic]) -> None:
    used: set[tuple[str, str]] = set()
    for comp in system.components:
        for stmt in comp.statements:
            if isinstance(stmt, model.EndpointCapStmt):
                used.add((stmt.component.text, stmt.endpoint.text))
    for name, comp in components.items():
        reported: set[str] = set()
        for ep in comp.endpoints:
            if (name, ep.name.text) not in used and ep.name.text not in reported:
                reported.add(ep.name.text)
                diags.append(warning(
                    f"endpoint '{ep.name.text}' of component '{name}' is never called or sent to",
                    ep.name.span, f"grant it with 'call {name}.{ep.name.text} as NAME' in a client"))
