"""PCI claims: `pci [BUS] claims MATCH as NAME` in a driver, `pci_bus ENDPOINT` in the bus.

Which driver may claim which PCI function is decided here, at build time, so the
authority analysis sees every grant (docs/spec-language.md, "PCI"). A claim is sugar for
what the language has plus one table:

* in the claimant, after its own statements: `call BUS.ENDPOINT as NAME badge B`, B a
  badge the compiler picks (distinct on that endpoint);
* in the bus's m6_caps.h: M6_PCI_CLAIMS, the table badge -> match rule the bus serves
  the claim protocol (libm6/interfaces/pci.idl) by; a badge in no row gets nothing;
* the bus's endpoint cap gets GRANT besides READ: it answers claims with caps (BAR
  frames, IRQHandlers), which the kernel lets a server do only through a receive cap with
  GRANT (docs/abi.md, "Cap transfer").

Checks: the bus exists and is a bus (or, unnamed, is the system's only one), the bus's
endpoint exists, the values fit their fields, and no two claims on one bus can match the
same function (each function has at most one driver, known before boot).
"""

from __future__ import annotations

from dataclasses import dataclass

from m6capdl import model
from m6capdl.diagnostics import Diagnostic, error, line_of

# struct m6_pci_claim.kind (<m6/spec_tables.h>)
MATCH_CLASS = 1
MATCH_VENDOR = 2
MATCH_DEVICE = 3


@dataclass(frozen=True)
class Claim:
    """A sound claim, as expand() accepted it."""

    claimant: str
    stmt: model.PciClaimStmt
    bus: str
    endpoint: str
    badge: int

    @property
    def match(self) -> model.PciMatch:
        return self.stmt.match

    def row(self) -> tuple[int, int, int, int, int]:
        """(badge, kind, vendor, device, class) as the bus's table has it."""
        m = self.match
        if m.kind == "class":
            return (self.badge, MATCH_CLASS, 0, 0, m.value.value)
        if m.device is None:
            return (self.badge, MATCH_VENDOR, m.value.value, 0, 0)
        return (self.badge, MATCH_DEVICE, m.value.value, m.device.value, 0)


def buses(system: model.System) -> dict[str, model.PciBusStmt]:
    """Bus component name -> its (first) `pci_bus` statement."""
    out: dict[str, model.PciBusStmt] = {}
    for comp in system.components:
        for stmt in comp.statements:
            if isinstance(stmt, model.PciBusStmt):
                out.setdefault(comp.name.text, stmt)
    return out


def check_match(match: model.PciMatch, diags: list[Diagnostic]) -> bool:
    ok = True
    if match.kind == "class" and match.value.value > 0xFFFFFF:
        diags.append(error(f"class code {match.value.text} does not fit 24 bits", match.value.span,
                           "a class code is base class, subclass and programming interface: "
                           "0x010802 is an NVMe controller"))
        ok = False
    if match.kind == "vendor":
        if match.value.value >= 0xFFFF or match.value.value == 0:
            diags.append(error(f"vendor ID {match.value.text} is no vendor", match.value.span,
                               "vendor IDs are 0x0001 to 0xfffe (0xffff is what an empty slot reads)"))
            ok = False
        if match.device is not None and match.device.value > 0xFFFF:
            diags.append(error(f"device ID {match.device.text} does not fit 16 bits", match.device.span))
            ok = False
    return ok


def expand(system: model.System) -> list[Diagnostic]:
    """Check the buses and claims and give each sound claim its call cap (once per model)."""
    if system.pci_expanded:
        return []
    system.pci_expanded = True
    diags: list[Diagnostic] = []
    found = buses(system)
    for comp in system.components:
        stmts = [s for s in comp.statements if isinstance(s, model.PciBusStmt)]
        for extra in stmts[1:]:
            diags.append(error(f"component '{comp.name.text}' has more than one 'pci_bus'", extra.span,
                               f"the first is at {line_of(stmts[0].span, extra.span, system.file)}: a bus "
                               f"serves claims on one endpoint"))
        if stmts and not any(isinstance(s, model.EndpointStmt) and s.name.text == stmts[0].endpoint.text
                             for s in comp.statements):
            diags.append(error(f"'pci_bus {stmts[0].endpoint.text}': component '{comp.name.text}' declares "
                               f"no endpoint '{stmts[0].endpoint.text}'", stmts[0].endpoint.span,
                               f"declare it: 'endpoint {stmts[0].endpoint.text}'"))
            found.pop(comp.name.text, None)
    used: dict[str, set[int]] = {}  # bus -> badges taken on its endpoint
    for comp in system.components:
        for stmt in comp.statements:
            if isinstance(stmt, model.EndpointCapStmt) and stmt.component.text in found and \
                    stmt.endpoint.text == found[stmt.component.text].endpoint.text and stmt.badge is not None:
                used.setdefault(stmt.component.text, set()).add(stmt.badge.value)
    accepted: list[Claim] = []
    for comp in system.components:
        for stmt in list(comp.statements):
            if not isinstance(stmt, model.PciClaimStmt):
                continue
            bus = _bus_of(system, comp, stmt, found, diags)
            if not check_match(stmt.match, diags) or bus is None:
                continue
            clash = next((c for c in accepted if c.bus == bus and c.match.overlaps(stmt.match)), None)
            if clash is not None:
                diags.append(error(
                    f"the claims of '{clash.claimant}' ({clash.stmt.alias.text}: {clash.match.describe()}) and "
                    f"'{comp.name.text}' ({stmt.alias.text}: {stmt.match.describe()}) on bus '{bus}' overlap",
                    stmt.match.span,
                    f"a function could match both (the other claim is at "
                    f"{line_of(clash.stmt.span, stmt.span, system.file)}), and a function has one driver: "
                    + ("a class rule and a vendor rule may meet on one device, so name both by 'vendor V "
                       "device D' or both by class" if clash.match.kind != stmt.match.kind
                       else "make the rules disjoint (a vendor rule without 'device' covers every device "
                            "of that vendor)")))
                continue
            taken = used.setdefault(bus, set())
            badge = 1
            while badge in taken:
                badge += 1
            taken.add(badge)
            ep = found[bus].endpoint
            claim = Claim(comp.name.text, stmt, bus, ep.text, badge)
            accepted.append(claim)
            where = stmt.bus.span if stmt.bus is not None else stmt.span
            comp.statements.append(model.EndpointCapStmt(
                stmt.span, "call", model.Ident(bus, where), model.Ident(ep.text, where), stmt.alias,
                model.Number(badge, stmt.match.span, str(badge))))
    system.pci_claims = accepted
    return diags


def _bus_of(system: model.System, comp: model.Component, stmt: model.PciClaimStmt,
            found: dict[str, model.PciBusStmt], diags: list[Diagnostic]) -> str | None:
    names = ", ".join(f"'{b}'" for b in sorted(found)) or "none"
    if stmt.bus is None:
        if len(found) == 1:
            bus = next(iter(found))
        elif not found:
            diags.append(error(f"PCI claim '{stmt.alias.text}' names no bus, and the system has none",
                               stmt.span, "a bus component serves claims on an endpoint it names with "
                                          "'pci_bus ENDPOINT' (components/drivers/pcie)"))
            return None
        else:
            diags.append(error(f"PCI claim '{stmt.alias.text}' names no bus, and the system has several",
                               stmt.span, f"name one: 'pci BUS claims ...'; the buses are {names}"))
            return None
    else:
        bus = stmt.bus.text
        if bus not in found:
            known = system.component(bus) is not None
            diags.append(error(
                f"component '{bus}' is not a PCI bus" if known else f"unknown PCI bus '{bus}'", stmt.bus.span,
                ("a bus declares 'pci_bus ENDPOINT'" if known else "no component has that name")
                + f"; the system's buses: {names}"))
            return None
    if bus == comp.name.text:
        diags.append(error(f"bus '{bus}' claims a PCI function from itself", stmt.span,
                           "the bus holds every function already; claims are for drivers"))
        return None
    return bus
