"""The resolved model (resolved.py): names resolved to objects, defaults filled in, and
the back ends reading it rather than the statements."""

from __future__ import annotations

import dataclasses

from conftest import REPO
from m6capdl import authority, checks, graph, model, parser, resolved
from m6capdl.diagnostics import Span

SPEC = """system s on qemu-virt {
    component server {
        binary "server" priority 100
        endpoint ep
        endpoint faults
        notification ready
    }
    component client {
        binary "client" priority 50 max_priority 80 stack 32 KiB
        call server.ep as SERVER badge 7 grant
        send server.ep as PLAIN badge 0
        signal server.ready as READY badge 2
        fault server.faults badge 9
        thread worker { entry "worker" priority 60 }
        thread own { entry "own" priority 70 fault server.faults badge 10 }
        syscap debug_console
    }
}
"""


def _model(text: str = SPEC) -> resolved.System:
    system = parser.parse(text)
    diags, model_ = checks.check_and_resolve(system, REPO / "platforms")
    assert not [d for d in diags if d.severity.value == "error"], diags
    return model_


def test_caps_name_the_objects_themselves() -> None:
    m = _model()
    server, client = m.component("server"), m.component("client")
    assert server is not None and client is not None
    caps = {cap.name: cap for cap in client.cspace.slots}
    ep = server.by_name["ep"]
    assert caps["CAP_SERVER"].obj is ep and caps["CAP_PLAIN"].obj is ep
    assert ep.key == "server.ep_ep" and ep.kind == "endpoint" and ep.owner == "server"
    assert (caps["CAP_SERVER"].slot, caps["CAP_SERVER"].badge, caps["CAP_SERVER"].grant) == (4, 7, True)
    assert caps["CAP_SERVER"].rights == ("M6_RIGHT_WRITE", "M6_RIGHT_GRANT_REPLY", "M6_RIGHT_GRANT")
    assert not caps["CAP_PLAIN"].grant
    assert caps["CAP_READY"].obj is server.by_name["ready"]
    assert caps["CAP_DEBUG_CONSOLE"].obj is m.syscaps["debug_console"]
    assert caps["M6_CAP_SELF_CNODE"].obj is client.cnode and caps["M6_CAP_SELF_TCB"].obj is client.tcb
    assert caps["CAP_THREAD_WORKER"].obj is client.threads[1].tcb


def test_defaults_are_filled_in() -> None:
    m = _model()
    server, client = m.component("server"), m.component("client")
    assert server is not None and client is not None
    main, worker, own = client.threads
    assert (main.priority, main.max_priority, main.stack_size) == (50, 80, 32 * 1024)
    assert (worker.max_priority, worker.stack_size) == (60, 16 * 1024)  # its priority; the default stack
    assert server.threads[0].max_priority == 100 and server.threads[0].fault is None
    faults = server.by_name["faults"]
    # A thread without a `fault` of its own has the component's; `own` has its own badge.
    assert main.fault is not None and main.fault.obj is faults and main.fault.badge == 9
    assert worker.fault is main.fault
    assert own.fault is not None and own.fault.obj is faults and own.fault.badge == 10


def test_an_unresolved_reference_is_none() -> None:
    """resolve() runs on specs with errors (checks need the layout): what does not resolve
    is None, never a crash."""
    system = parser.parse("""system s on qemu-virt {
        component a { call b.nope as X send zz.ep as Y fault b.nope thread t { } } }""")
    m = resolved.resolve(system)
    comp = m.component("a")
    assert comp is not None
    assert [c.obj for c in comp.cspace.slots if c.kind in ("call", "send")] == [None, None]
    assert comp.faults[0].obj is None and comp.binary == "" and comp.threads[1].entry_symbol is None


def test_authority_reads_the_rights_of_the_caps() -> None:
    """The grant rule follows the GRANT right of the cap in the CNode: the same model
    without it gives the server nothing over the client."""
    m = _model(SPEC.replace("fault server.faults badge 9", "").replace(
        "thread own { entry \"own\" priority 70 fault server.faults badge 10 }", ""))
    target = model.Target(model.Ident("client", Span(1, 1)), None, None, Span(1, 1))
    g = authority.build(m)
    assert authority.explain(g, "server", authority.target_objects(g, m, target))  # type: ignore[arg-type]
    client = m.component("client")
    assert client is not None
    client.cspace = dataclasses.replace(client.cspace, slots=tuple(
        dataclasses.replace(c, rights=tuple(r for r in c.rights if r != "M6_RIGHT_GRANT"))
        for c in client.cspace.slots))
    g = authority.build(m)
    assert not authority.explain(g, "server", authority.target_objects(g, m, target))  # type: ignore[arg-type]


def test_graph_shows_a_badge_written_as_zero() -> None:
    dot = graph.to_dot(_model())
    assert '"client" -> "server.ep" [label="send b0", style=solid];' in dot
    assert '"client" -> "server.ep" [label="call b7 +grant", style=solid];' in dot
    assert '"client" -> "server.faults" [label="faults", style=dotted' in dot


def test_checks_do_not_depend_on_the_back_ends() -> None:
    assert "emit" not in vars(checks) and "graph" not in vars(checks)
