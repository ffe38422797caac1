"""Windows: `call C.E as N [badge B] [grant] window SIZE`, checked and expanded.

A window is memory that a caller and a server share and no one else maps: the caller
puts a request's paths and data there and names them by (offset, length) in the message,
the server answers there (libm6/interfaces/vfs.idl, fs.idl). Like a channel
(channels.py), it is sugar for what the language has, so every later pass (region
placement, the mapped-page count, the RAM budget, the authority analysis, the graph)
sees exactly what it grants:

* `memory window.X.N SIZE rw` (X the caller, N its cap): a name no spec can write (names
  have no '.'), so it collides with nothing, and diagnostics, `why` and graphs show it as
  such; `assert A cannot reach memory window.X.N` names it;
* in the caller, after its own statements: `map window.X.N rw` (header
  M6_WINDOW_N_VADDR, M6_WINDOW_N_SIZE);
* in the server C, after its own statements: `map window.X.N rw`, one per windowed
  caller, recorded with the endpoint and the badge (header M6_WINDOWS_E, a table the
  server finds a caller's window in by the badge of its message).

The server tells windows apart by badge only, so the badges of an endpoint with windows
are checked here too (check_badges, on the resolved model).
"""

from __future__ import annotations

from m6capdl import model, resolved, resources
from m6capdl.diagnostics import Diagnostic, error, line_of
from m6capdl.layout import MAX_REGION_SIZE, PAGE_SIZE

PREFIX = "window"


def memory_name(client: str, cap: str) -> str:
    """The system memory region of the window of `client`'s call cap `cap`."""
    return f"{PREFIX}.{client}.{cap}"


def expand(system: model.System) -> list[Diagnostic]:
    """Check the windows and add the memory and mappings of the sound ones (once per model)."""
    if system.windows_expanded:
        return []
    system.windows_expanded = True
    diags: list[Diagnostic] = []
    done: set[str] = set()
    seen: set[str] = set()
    for comp in system.components:
        if comp.name.text in seen:
            continue  # a duplicate component: reported, and not checked further
        seen.add(comp.name.text)
        for stmt in list(comp.statements):
            if not isinstance(stmt, model.EndpointCapStmt) or stmt.window is None:
                continue
            if _check(system, comp, stmt, diags):
                name = memory_name(comp.name.text, stmt.alias.text)
                if name not in done:  # (a second cap of one name is reported as such)
                    done.add(name)
                    _expand(system, comp, stmt, name)
    return diags


def _check(system: model.System, comp: model.Component, stmt: model.EndpointCapStmt,
           diags: list[Diagnostic]) -> bool:
    assert stmt.window is not None
    ok = True
    size = stmt.window.value
    if stmt.kind != "call":
        diags.append(error(f"'{stmt.kind}' cap '{stmt.alias.text}' has a window: windows go with 'call' only",
                           stmt.window.span,
                           f"the server answers a call in the caller's window, and a '{stmt.kind}' waits for "
                           f"no answer: use 'call {stmt.component.text}.{stmt.endpoint.text} as "
                           f"{stmt.alias.text} ... window {resources.size_text(size)}'"))
        ok = False
    if size == 0 or size % PAGE_SIZE:
        diags.append(error(f"window size {resources.size_text(size)} is not a non-zero multiple of 4 KiB",
                           stmt.window.span, "a window is memory shared in whole 4 KiB pages"))
        ok = False
    elif size > MAX_REGION_SIZE:
        diags.append(error(f"window size {resources.size_text(size)} exceeds {resources.size_text(MAX_REGION_SIZE)}",
                           stmt.window.span))
        ok = False
    if stmt.component.text == comp.name.text:
        diags.append(error(f"component '{comp.name.text}' calls its own endpoint "
                           f"'{stmt.endpoint.text}' with a window", stmt.window.span,
                           "a window is memory a caller shares with a server in another component; "
                           "the threads of one component share all its memory already"))
        ok = False
    server = system.component(stmt.component.text)
    if server is None or not any(isinstance(s, model.EndpointStmt) and s.name.text == stmt.endpoint.text
                                 for s in server.statements):
        ok = False  # the unknown reference is reported where caps are checked
    return ok


def _expand(system: model.System, comp: model.Component, stmt: model.EndpointCapStmt, name: str) -> None:
    assert stmt.window is not None
    span = stmt.span
    ident = model.Ident(name, stmt.window.span)
    system.memories.append(model.MemoryDecl(span, ident, stmt.window, None))
    badge = stmt.badge.value if stmt.badge is not None else 0
    comp.statements.append(model.WindowMapStmt(span, ident, None, None, None, client=comp.name.text,
                                               cap=stmt.alias.text, badge=badge))
    server = system.component(stmt.component.text)
    assert server is not None
    server.statements.append(model.WindowMapStmt(span, ident, None, None, None, client=comp.name.text,
                                                 cap=stmt.alias.text, endpoint=stmt.endpoint.text, badge=badge))


def _where(cap: resolved.Cap, other: resolved.Cap, file: str) -> str:
    assert cap.span is not None and other.span is not None
    return line_of(other.span, cap.badge_span or cap.span, file)


def check_badges(system: resolved.System) -> list[Diagnostic]:
    """A server finds a caller's window by the badge of the message: at an endpoint with
    windows, a window's badge must be the window's alone. Errors: two windowed caps with
    one badge (the server could not tell their windows apart), a cap of another component
    with a window's badge (its messages would be taken for the window owner's, and served
    in that window), and a cap of another component without a badge (its holder may mint
    it any badge, a window's included). The server's own caps fool only itself."""
    diags: list[Diagnostic] = []
    caps: dict[resolved.Obj, list[tuple[str, resolved.Cap]]] = {}
    for comp in system.components:
        for cap in comp.cspace.slots:
            if cap.kind in ("call", "send") and cap.obj is not None and cap.obj.owner != comp.name:
                caps.setdefault(cap.obj, []).append((comp.name, cap))
    for ep, holders in caps.items():
        windows = [(holder, cap) for holder, cap in holders if cap.window]
        if not windows:
            continue
        name = f"{ep.owner}.{ep.name}"
        for i, (holder, cap) in enumerate(holders):
            where = cap.badge_span or cap.span
            assert where is not None
            clash = next(((owner, other) for owner, other in holders[:i] if other.badge == cap.badge
                          and (cap.window and other.window or (cap.window or other.window) and owner != holder)),
                         None)
            if clash is not None:
                owner, other = clash
                if cap.window and other.window:
                    diags.append(error(
                        f"windowed callers '{owner}' ({other.name}) and '{holder}' ({cap.name}) of {name} "
                        f"share badge {_badge(cap.badge)}", where,
                        f"'{ep.owner}' finds a caller's window by the badge of its message, so it could not "
                        f"tell their windows apart (the cap of '{owner}' is at {_where(cap, other, system.file)}): "
                        f"give each its own badge"))
                else:
                    (plain_holder, plain), (win_holder, win) = ((holder, cap), clash) if other.window else \
                        (clash, (holder, cap))
                    diags.append(error(
                        f"'{plain_holder}' holds a '{plain.kind}' cap to {name} with badge {_badge(cap.badge)}, "
                        f"the badge of the window of '{win_holder}' ({win.name})", where,
                        f"'{ep.owner}' would take its messages for those of '{win_holder}' and serve them in that "
                        f"window (the other cap is at {_where(cap, other, system.file)}): give the caps "
                        f"different badges"))
                continue
            if cap.badge != 0:
                continue
            minted = next(((o, w) for o, w in windows if o != holder and w.badge != 0), None)
            if minted is not None:
                diags.append(error(
                    f"'{holder}' holds an unbadged '{cap.kind}' cap to {name}, which has windowed callers", where,
                    f"its holder may mint an unbadged cap any badge, that of the window of '{minted[0]}' "
                    f"({minted[1].name}, declared at {_where(cap, minted[1], system.file)}) included, and be "
                    f"served in that window: give the cap a badge"))
    return diags


def _badge(value: int) -> str:
    return f"0x{value:x}" if value > 9 else str(value)
