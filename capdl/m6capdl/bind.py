"""Binding a component built once to one system: the values a component's manifest asks
for (cap slots by role, badges, device addresses, what the runtime needs), written into
the config section of its image pages.

A bound component's binary does not include m6_caps.h: it declares each value it needs
as a symbol in the section `.m6.config` (libm6's <m6/config.h>), and its manifest (JSON,
next to its sources) says which role binds each symbol. The compiler takes each symbol's
address and size from the ELF, so the manifest never repeats a layout the C compiler
chose. The runtime's own values (struct m6_component_info: heap, debug console, CSpace
size, threads, name) are bound the same way, without a manifest entry, when the binary
was linked with libm6's component_bound.c.

The values are a system's, the binary is not: the same ELF serves every system, and each
system's image carries its own copy of the config page.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace

from m6capdl import elfload, layout, resolved
from m6capdl.diagnostics import Diagnostic, FileError, error

MANIFEST_VERSION = 1

# What a manifest's `bind` may name: "KIND ROLE". Cap kinds give the cap's slot; the
# others give a value of the component's resolved model.
CAP_KINDS = ("endpoint", "notification", "call", "send", "signal", "irq", "syscap", "timer",
             "untyped", "thread", "asid_pool")
VALUE_KINDS = ("badge", "device", "device_size", "memory", "memory_size")
# Badges a server must know, seen from its side of its endpoint ENDPOINT: those the spec
# gives the call/send caps other components hold on it, and the fault statements that
# send faults to it. "client_badge ENDPOINT.ALIAS": the badge of the caps named ALIAS
# (`call drv.ENDPOINT as ALIAS badge N`); "client_badge_max ENDPOINT": the highest badge
# of any cap on it; "fault_badge ENDPOINT": the badge of the faults that arrive there.
SERVER_KINDS = ("client_badge", "client_badge_max", "fault_badge")
KINDS = CAP_KINDS + VALUE_KINDS + SERVER_KINDS

# libm6's component_bound.c: struct m6_component_info (<m6/runtime.h>) and the arrays its
# pointers name. The offsets are checked there by _Static_assert.
RUNTIME_SYMBOL = "m6_component"
RUNTIME_SIZE = 56
RUNTIME_FIELDS = {"heap_base": (8, 8), "heap_size": (16, 8), "debug_console": (24, 8),
                  "cspace_radix": (32, 4), "first_free_slot": (36, 4), "thread_count": (40, 4)}
NAME_SYMBOL = "m6_bound_name"
_CLIENT_ROLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*")
THREADS_SYMBOL = "m6_bound_thread_caps"


@dataclass(frozen=True)
class Binding:
    symbol: str
    kind: str
    role: str
    optional: bool = False
    max: int | None = None  # the largest value the component can take (its tables' size)


@dataclass(frozen=True)
class Manifest:
    path: str
    binary: str
    serves: tuple[str, ...]
    config: tuple[Binding, ...]


def _manifest_error(path: str, message: str, text: str | None = None, pos: int | None = None) -> FileError:
    if text is not None and pos is not None:
        line = text.count("\n", 0, pos) + 1
        column = pos - (text.rfind("\n", 0, pos) + 1) + 1
        return FileError(f"{path}:{line}:{column}", message)
    return FileError(path, message)


def load_manifest(path: str) -> Manifest:
    """Read and check a component manifest; problems are FileErrors naming it (with the
    line and column of a JSON syntax error)."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise FileError(path, f"cannot read manifest: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _manifest_error(path, f"malformed manifest: {exc.msg}", text, exc.pos) from None
    return parse_manifest(path, data)


def parse_manifest(path: str, data: object) -> Manifest:
    def bad(message: str) -> FileError:
        return FileError(path, f"malformed manifest: {message}")

    if not isinstance(data, dict):
        raise bad("expected a JSON object")
    unknown = sorted(set(data) - {"m6_manifest", "binary", "serves", "config", "description"})
    if unknown:
        raise bad(f"unknown key \"{unknown[0]}\" (expected m6_manifest, binary, serves, config, description)")
    if data.get("m6_manifest") != MANIFEST_VERSION:
        raise bad(f"\"m6_manifest\" must be {MANIFEST_VERSION}")
    binary = data.get("binary")
    if not isinstance(binary, str) or not binary:
        raise bad("\"binary\" must be a non-empty string")
    serves = data.get("serves", [])
    if not isinstance(serves, list) or not all(isinstance(s, str) for s in serves):
        raise bad("\"serves\" must be a list of interface names")
    config = data.get("config", {})
    if not isinstance(config, dict):
        raise bad("\"config\" must be an object: symbol -> \"KIND ROLE\"")
    bindings: list[Binding] = []
    for symbol, value in config.items():
        optional = False
        maximum: int | None = None
        if isinstance(value, dict):
            extra = sorted(set(value) - {"bind", "optional", "max"})
            if extra:
                raise bad(f"config \"{symbol}\": unknown key \"{extra[0]}\" (expected bind, optional, max)")
            optional = value.get("optional", False)
            if not isinstance(optional, bool):
                raise bad(f"config \"{symbol}\": \"optional\" must be true or false")
            maximum = value.get("max")
            if maximum is not None and (isinstance(maximum, bool) or not isinstance(maximum, int)
                                        or not 0 <= maximum < 1 << 64):
                raise bad(f"config \"{symbol}\": \"max\" must be an integer from 0 to 2^64-1")
            value = value.get("bind")
        if not isinstance(value, str):
            raise bad(f"config \"{symbol}\": expected \"KIND ROLE\" or {{\"bind\": \"KIND ROLE\"}}")
        words = value.split()
        if len(words) != 2 or words[0] not in KINDS:
            raise bad(f"config \"{symbol}\": \"{value}\" is not \"KIND ROLE\" with KIND one of "
                      + ", ".join(KINDS))
        if symbol in (RUNTIME_SYMBOL, NAME_SYMBOL, THREADS_SYMBOL):
            raise bad(f"config \"{symbol}\": the runtime's own symbol, bound without a manifest entry")
        if words[0] == "client_badge" and not _CLIENT_ROLE.fullmatch(words[1]):
            raise bad(f"config \"{symbol}\": \"{value}\" needs a role ENDPOINT.ALIAS (the server's endpoint, "
                      f"the name the clients' caps have)")
        bindings.append(Binding(symbol, words[0], words[1], optional, maximum))
    return Manifest(path, binary, tuple(serves), tuple(bindings))


def _cap_for(comp: resolved.Component, kind: str, role: str) -> tuple[resolved.Cap | None, resolved.Cap | None]:
    """(the cap the role binds, or None; a cap of that name but another kind, or None)."""
    names = {"CAP_" + role.upper()}
    if kind == "irq":
        names.add("CAP_" + role.upper() + "_IRQ")  # a device's interrupt
    other = None
    for cap in comp.cspace.slots:
        if kind == "syscap" and cap.kind == "syscap" and cap.syscap == role:
            return cap, None
        if cap.name in names:
            if cap.kind == kind:
                return cap, None
            other = other or cap
    return None, other


def _region(comp: resolved.Component, kind: str, role: str) -> resolved.Region | None:
    want = "device" if kind.startswith("device") else "memory"
    for region in comp.memory.regions:
        if region.kind == want and region.name == role.upper():
            return region
    return None


def _an(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


def _server_value(comp: resolved.Component, system: resolved.System | None,
                  b: Binding) -> tuple[int | None, str, bool]:
    """A badge the spec chose for others to reach this component's endpoint with."""
    name, _, alias = b.role.partition(".")
    ep = comp.by_name.get(name)
    if ep is None or ep.kind != "endpoint":
        return None, f"component '{comp.name}' has no endpoint '{name}'", True
    comps = system.components if system is not None else [comp]
    if b.kind == "fault_badge":
        found = {t.fault.badge: f"{c.name}.{t.name}" for c in comps for t in c.threads
                 if t.fault is not None and t.fault.obj is ep}
        what = f"no thread sends its faults to {comp.name}.{name}"
    else:
        want = None if b.kind == "client_badge_max" else layout.cap_name(alias)
        found = {cap.badge: f"{c.name}'s {cap.name}" for c in comps for cap in c.cspace.slots
                 if cap.kind in ("call", "send") and cap.obj is ep and (want is None or cap.name == want)}
        what = (f"no component holds a call or send cap to {comp.name}.{name}" if want is None else
                f"no component holds a call or send cap named {want} to {comp.name}.{name}")
    if not found:
        return None, what, True
    if b.kind == "client_badge_max":
        return max(found), "", False
    if len(found) > 1:
        (a, x), (c, y) = sorted(found.items())[:2]
        return None, f"{x} has badge {a} but {y} has badge {c}: one value cannot hold both", False
    return next(iter(found)), "", False


def _value(comp: resolved.Component, b: Binding,
           system: resolved.System | None = None) -> tuple[int | None, str, bool]:
    """(the value, "", False), or (None, why it cannot be bound, whether the role is
    absent altogether rather than of another kind)."""
    if b.kind in SERVER_KINDS:
        return _server_value(comp, system, b)
    if b.kind in CAP_KINDS or b.kind == "badge":
        kinds = ("call", "send", "signal") if b.kind == "badge" else (b.kind,)
        other = None
        for kind in kinds:
            cap, found = _cap_for(comp, kind, b.role)
            if cap is not None:
                return (cap.badge if b.kind == "badge" else cap.slot), "", False
            other = other or found
        wanted = "call, send or signal" if b.kind == "badge" else b.kind
        if other is not None:
            return None, (f"'{b.role}' is {_an(other.kind)} cap ({other.name}) of component "
                          f"'{comp.name}', not {_an(wanted)} cap"), False
        return None, f"component '{comp.name}' has no {wanted} cap '{b.role}'", True
    region = _region(comp, b.kind, b.role)
    what = "device" if b.kind.startswith("device") else "memory"
    if region is None:
        return None, f"component '{comp.name}' maps no {what} '{b.role}'", True
    first = region.regs[0].vaddr if what == "device" else region.vaddr
    size = region.regs[0].size if what == "device" else region.size
    return (size if b.kind.endswith("_size") else first), "", False


def _runtime_writes(comp: resolved.Component, image: elfload.ElfImage) -> tuple[list[tuple[int, bytes]], list[str]]:
    """What component_bound.c's symbols receive, and problems with them."""
    writes: list[tuple[int, bytes]] = []
    problems: list[str] = []
    info = image.config_symbols.get(RUNTIME_SYMBOL)
    if info is None:
        return writes, problems
    addr, size = info
    if size != RUNTIME_SIZE:
        problems.append(f"{RUNTIME_SYMBOL} is {size} bytes in {image.path}, expected {RUNTIME_SIZE} "
                        f"(libm6 and the spec compiler disagree on struct m6_component_info)")
        return writes, problems
    heap = next((r for r in comp.memory.regions if r.kind == "heap"), None)
    console = next((c for c in comp.cspace.slots if c.kind == "syscap" and c.syscap == "debug_console"), None)
    tcbs = [c.slot for c in comp.cspace.slots if c.kind in ("self_tcb", "thread")]
    values = {"heap_base": heap.vaddr if heap else 0, "heap_size": heap.size if heap else 0,
              "debug_console": console.slot if console else 0, "cspace_radix": comp.cspace.radix,
              "first_free_slot": len(comp.cspace.slots) + 1, "thread_count": len(tcbs)}
    for name, (offset, width) in RUNTIME_FIELDS.items():
        writes.append((addr + offset, values[name].to_bytes(width, "little")))
    for symbol, data in ((NAME_SYMBOL, comp.name.encode() + b"\0"),
                         (THREADS_SYMBOL, b"".join(s.to_bytes(8, "little") for s in tcbs))):
        where = image.config_symbols.get(symbol)
        if where is None:
            problems.append(f"{RUNTIME_SYMBOL} is bound but {symbol} is missing from {image.path}")
        elif len(data) > where[1]:
            problems.append(f"{symbol} ({where[1]} bytes) is too small for {len(data)} bytes")
        else:
            writes.append((where[0], data))
    return writes, problems


def bind(comp: resolved.Component, image: elfload.ElfImage, manifest: Manifest | None,
         system: resolved.System | None = None) -> tuple[elfload.ElfImage, list[Diagnostic]]:
    """The image with this component's values written into its config section (a copy:
    the image may be shared by other components and systems), and diagnostics at the
    component's `binary` statement for every value that cannot be bound."""
    span = comp.binary_span or comp.span
    where = f"binary \"{comp.binary}\" of component '{comp.name}'"
    diags: list[Diagnostic] = []
    if image.config is None:
        if manifest is not None:
            diags.append(error(f"{where} has a manifest ({manifest.path}) but no {elfload.CONFIG_SECTION} "
                               f"section", span, f"{image.path} declares no M6_CONFIG value "
                               f"(is it linked with libm6's user.ld?)"))
        return image, diags
    writes, problems = _runtime_writes(comp, image)
    for text in problems:
        diags.append(error(f"{where}: {text}", span))
    config_symbols = set(image.config_symbols) - {RUNTIME_SYMBOL, NAME_SYMBOL, THREADS_SYMBOL}
    if manifest is None:
        if config_symbols:
            diags.append(error(f"{where} has config values ({', '.join(sorted(config_symbols))}) but no "
                               f"manifest", span, f"pass --manifest {comp.binary}=PATH "
                               f"(m6_add_component(... MANIFEST file))"))
        return image, diags
    for b in manifest.config:
        sym = image.config_symbols.get(b.symbol)
        if sym is None:
            diags.append(error(f"{where}: manifest {manifest.path} binds \"{b.symbol}\", which is not a "
                               f"symbol of its {elfload.CONFIG_SECTION} section", span,
                               f"declare it with M6_CONFIG in the component's source ({image.path})"))
            continue
        if sym[1] != 8:
            diags.append(error(f"{where}: config value \"{b.symbol}\" is {sym[1]} bytes, expected 8", span,
                               "declare it as M6_CONFIG(uint64_t, ...) or M6_CONFIG(m6_cptr_t, ...)"))
            continue
        value, why, absent = _value(comp, b, system)
        if value is not None and b.max is not None and value > b.max:
            diags.append(error(f"{where}: \"{b.kind} {b.role}\" (config \"{b.symbol}\") is {value}, but the "
                               f"component takes at most {b.max}", span, f"bound by manifest {manifest.path}"))
            continue
        if value is None and b.optional and absent:
            value = 0  # an optional role the system does not give: 0, the null slot
        elif value is None:
            diags.append(error(f"{where} needs \"{b.kind} {b.role}\" (config \"{b.symbol}\"), but {why}",
                               span, f"bound by manifest {manifest.path}"))
            continue
        writes.append((sym[0], value.to_bytes(8, "little")))
    unbound = sorted(config_symbols - {b.symbol for b in manifest.config})
    if unbound:
        diags.append(error(f"{where}: config value \"{unbound[0]}\" has no binding in manifest {manifest.path}",
                           span, "every M6_CONFIG value needs a \"config\" entry"))
    for addr, data in writes:
        if not _mapped(image, addr, len(data)):
            diags.append(error(f"{where}: its {elfload.CONFIG_SECTION} section (0x{addr:x}) is not in a "
                               f"loaded segment of {image.path}", span))
            break
    if diags:
        return image, diags
    return _patched(image, writes), diags


def _mapped(image: elfload.ElfImage, addr: int, size: int) -> bool:
    pages = {p.vaddr for p in image.pages}
    return all(v in pages for v in range(addr & ~(elfload.PAGE_SIZE - 1), addr + size, elfload.PAGE_SIZE))


def _patched(image: elfload.ElfImage, writes: list[tuple[int, bytes]]) -> elfload.ElfImage:
    by_vaddr = {p.vaddr: p for p in image.pages}
    copies: dict[int, elfload.Page] = {}
    for addr, data in writes:
        for i, byte in enumerate(data):
            vaddr = (addr + i) & ~(elfload.PAGE_SIZE - 1)
            page = copies.get(vaddr)
            if page is None:
                old = by_vaddr[vaddr]  # the config section lies in a loaded segment (elfload)
                page = copies[vaddr] = replace(old, data=bytearray(old.data if old.data is not None
                                                                   else bytes(elfload.PAGE_SIZE)))
            assert page.data is not None
            page.data[(addr + i) - vaddr] = byte
    pages = [copies.get(p.vaddr, p) for p in image.pages]
    return replace(image, pages=pages)
