"""The authority analysis against a plain fixed point of the reach rules, on random
systems: the fast analysis (one look per strongly connected component, no redundant
edges) must say "cannot reach" exactly when the rules do. A "cannot reach" that is wrong
is the one mistake the analysis may never make."""

from __future__ import annotations

import random

import pytest

from m6capdl import authority, model, resolved
from m6capdl.diagnostics import Span

_S = Span(1, 1)


def _id(text: str) -> model.Ident:
    return model.Ident(text, _S)


def _random_system(rng: random.Random, n: int) -> model.System:
    system = model.System(_id("s"), _id("qemu-virt"))
    names = [f"c{i}" for i in range(n)]
    system.memories = [model.MemoryDecl(_S, _id("m0"), model.Number(4096, _S), None)]
    for name in names:
        stmts: list[model.Statement] = [model.EndpointStmt(_S, _id("ep"))]
        for k in range(rng.randrange(3)):
            kind = rng.choice(["call", "send"])
            stmts.append(model.EndpointCapStmt(_S, kind, _id(rng.choice(names)), _id("ep"), _id(f"x{k}"), None,
                                               rng.random() < 0.2))
        if rng.random() < 0.15:
            stmts.append(model.FaultStmt(_S, _id(rng.choice(names)), _id("ep"), None))
        if rng.random() < 0.1:
            stmts.append(model.MapStmt(_S, _id("m0"), None, None, None))
        comp = model.Component(_id(name), stmts)
        if rng.random() < 0.05:
            # A DMA master is a device the component declares (resolve() makes the object).
            comp.statements.append(model.DeviceStmt(_S, _id("d"), "/dma", None, _S, None))
            comp.dma["device_d"] = "a test DMA master"
        system.components.append(comp)
    return system


def _fixed_point(system: model.System, graph: authority.Graph) -> dict[str, set[str]]:
    """reach[c] straight from the rules: c gets all a component it takes holds; holding a
    control object takes its owner; a grant cap to X.E lets X take the holder (a plain
    call or send cap gives X nothing: the kernel names a fault endpoint only through a
    cap with grant);
    a fault handler takes the faulter; a DMA master takes everyone."""
    names = [c.name.text for c in system.components]
    takes: dict[str, set[str]] = {c: set() for c in names}
    for comp in system.components:
        for stmt in comp.statements:
            if isinstance(stmt, model.FaultStmt) and stmt.component.text != comp.name.text:
                takes[stmt.component.text].add(comp.name.text)
        if comp.dma:
            takes[comp.name.text].update(names)
    while True:
        reach = {c: set(graph.direct[c]) for c in names}
        changed = True
        while changed:
            changed = False
            for c in names:
                for g in list(takes[c]):
                    if not reach[g] <= reach[c]:
                        reach[c] |= reach[g]
                        changed = True
        grew = False
        for c in names:
            for obj in reach[c]:
                owner = obj.partition(".")[0]
                if owner not in takes or owner == c:
                    continue
                role = obj.partition(".")[2]
                if role.endswith("+grant"):
                    if c not in takes[owner]:
                        takes[owner].add(c)
                        grew = True
                elif role.split("_", 1)[0] in ("cnode", "vspace", "tcb"):
                    if owner not in takes[c]:
                        takes[c].add(owner)
                        grew = True
        if not grew:
            return reach


@pytest.mark.parametrize("seed", range(40))
def test_analysis_matches_the_rules(seed: int) -> None:
    rng = random.Random(seed)
    system = _random_system(rng, rng.randrange(2, 14))
    model_ = resolved.resolve(system)
    graph = authority.build(model_)
    reach = _fixed_point(system, graph)
    for a in graph.components:
        for b in graph.components:
            if a == b:
                continue
            target = model.Target(_id(b), None, None, _S)
            objs = authority.target_objects(graph, model_, target)
            assert isinstance(objs, set)
            expected = bool(reach[a] & objs)
            assert bool(authority.explain(graph, a, objs)) == expected, (seed, a, b)
        objs = {"memory.m0"}
        assert bool(authority.explain(graph, a, objs)) == bool(reach[a] & objs), (seed, a, "m0")
