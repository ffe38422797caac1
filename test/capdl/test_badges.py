"""Badges on endpoints that also receive faults (specs/invalid/badge_*.m6 are the errors):
what stays allowed."""

from __future__ import annotations

from pathlib import Path

from conftest import run


def _check(tmp_path: Path, body: str) -> tuple[int, str]:
    spec = tmp_path / "s.m6"
    spec.write_text("system s on qemu-virt {\n" + body + "}\n")
    result = run("check", str(spec))
    return result.status, result.stderr


def test_badges_that_differ_from_every_fault_badge(tmp_path: Path) -> None:
    assert _check(tmp_path, """
    component sup { binary "sup" priority 3 endpoint ctl call sup.ctl as SELF badge 7 }
    component worker { binary "worker" priority 2 fault sup.ctl badge 7 call sup.ctl as SUP badge 7 }
    component c1 { binary "c1" priority 1 call sup.ctl as SUP badge 1 }
    component c2 { binary "c2" priority 1 send sup.ctl as SUP badge 2 }
""") == (0, "")  # the owner and the faulter itself may use the fault badge: they fool no one else


def test_unbadged_caps_are_fine_where_no_fault_arrives(tmp_path: Path) -> None:
    assert _check(tmp_path, """
    component server { binary "server" priority 3 endpoint ep }
    component c1 { binary "c1" priority 1 call server.ep as S }
""") == (0, "")


def test_replicas_with_one_badge_are_a_warning_only(tmp_path: Path) -> None:
    status, err = _check(tmp_path, """
    component server { binary "server" priority 3 endpoint ep }
    component c1 { binary "c" priority 1 call server.ep as S badge 4 }
    component c2 { binary "c" priority 1 call server.ep as S badge 4 }
""")
    assert status == 0
    assert "warning: 'c2' and 'c1' both hold caps to server.ep with badge 4" in err
