"""Smaller holes of issue 11, each closed: a device tree dtc cannot compile no longer
skips the RAM budget in silence; a grant target whose CNode is exactly full is warned
about (specs/invalid/cnode_full_grant_target.m6 has the cnode_bits case)."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import REPO, run


def test_a_device_tree_dtc_cannot_compile_is_an_error(tmp_path: Path) -> None:
    plats = tmp_path / "plats"
    shutil.copytree(REPO / "platforms" / "qemu-virt", plats / "qemu-virt")
    (plats / "qemu-virt" / "qemu-virt.dts").write_text("/dts-v1/;\n/ { memory@40000000 { reg = <1 2 3>; ")
    spec = tmp_path / "s.m6"
    # 2 GiB of untyped: far more RAM than qemu-virt has, which only the budget would say.
    spec.write_text('system s on qemu-virt { component a { binary "a" priority 1 '
                    'untyped p1 1 GiB untyped p2 1 GiB } }\n')
    result = run("check", str(spec), "--platform-dir", str(plats))
    assert result.status == 1
    assert "error: cannot read the device tree of platform 'qemu-virt': dtc failed" in result.stderr
    assert "without it the RAM budget cannot be checked" in result.stderr
    assert "needs 2048.0 MiB of RAM" in run("check", str(spec)).stderr  # the real tree: the budget says no


def _grant_target(tmp_path: Path, endpoints: int) -> str:
    eps = " ".join(f"endpoint e{i}" for i in range(endpoints))
    spec = tmp_path / "s.m6"
    spec.write_text(f'system s on qemu-virt {{\n    component box {{ binary "box" priority 2 {eps} }}\n'
                    f'    component c {{ binary "c" priority 1 call box.e0 as B badge 1 grant '
                    + " ".join(f"send box.e{i} as S{i} badge 1" for i in range(1, endpoints)) + " }\n}\n")
    result = run("check", str(spec))
    assert result.status == 0
    return result.stderr


def test_a_grant_target_with_a_free_slot_is_quiet(tmp_path: Path) -> None:
    assert _grant_target(tmp_path, 59) == ""  # 1 + 3 + 59 = 63 of 64 slots


def test_an_automatically_sized_cnode_exactly_full_is_warned_about(tmp_path: Path) -> None:
    err = _grant_target(tmp_path, 60)  # 1 + 3 + 60 = 64 of 64 slots
    assert "warning: component 'box' receives caps through grant but its CNode has no free slot" in err
    assert "give it cnode_bits 7" in err
