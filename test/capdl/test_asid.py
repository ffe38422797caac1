"""ASIDs in the spec: `asid_pool COUNT` gives a component an ASIDPool (CAP_ASID_POOL) for
the VSpaces it makes at run time, `syscap asid_control` the right to make more pools;
the system's own pool gives every component's VSpace its ASID at boot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import REPO, run
from m6capdl import layout, parser, resolved, resources

VALID = REPO / "test" / "capdl" / "specs" / "valid"
GOLDEN = REPO / "test" / "capdl" / "golden"


def test_golden_header(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(VALID)
    assert run("headers", "asid.m6", "--out", str(tmp_path)).status == 0
    text = (tmp_path / "include" / "vmm" / "m6_caps.h").read_text()
    assert text == (GOLDEN / "asid_vmm_m6_caps.h").read_text()
    plain = (tmp_path / "include" / "plain" / "m6_caps.h").read_text()
    assert "ASID" not in plain  # none by default: neither a pool nor ASIDControl


def test_pools_objects_and_caps(fixture_elf: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("build", str(VALID / "asid.m6"), "--elf", f"vmm={fixture_elf}",
                 "--elf", f"plain={fixture_elf}", "--out", str(out))
    assert (result.status, result.stderr) == (0, "")
    manifest = json.loads((out / "manifest.json").read_text())
    objects = manifest["objects"]
    names = [o["name"] for o in objects]
    # untyped first (largest first), then the pools, before any VSpace takes an ASID
    assert [(o["name"], o["type"], o["size_bits"]) for o in objects[:3]] == [
        ("vmm.untyped_mem", "M6_OBJ_UNTYPED", 20),
        ("system.asid_pool", "M6_OBJ_ASID_POOL", 2),  # one ASID per component
        ("vmm.asid_pool", "M6_OBJ_ASID_POOL", 16)]
    vspaces = [o for o in objects if o["type"] == "M6_OBJ_VSPACE"]
    assert [v["name"] for v in vspaces] == ["vmm.vspace", "plain.vspace"]
    assert all(v["asid_pool"] == "system.asid_pool" and names.index(v["name"]) > 2 for v in vspaces)
    slots = {s["name"]: s for s in manifest["components"][0]["slots"]}
    assert slots["CAP_ASID_POOL"] == {"slot": 5, "name": "CAP_ASID_POOL", "type": "M6_OBJ_ASID_POOL",
                                      "object": "vmm.asid_pool", "rights": ["M6_RIGHTS_ALL"], "badge": 0}
    assert slots["CAP_ASID_CONTROL"] == {"slot": 6, "name": "CAP_ASID_CONTROL", "type": "M6_OBJ_ASID_CONTROL",
                                         "object": None, "rights": ["M6_RIGHT_WRITE"], "badge": 0}
    plain = {s["name"] for s in manifest["components"][1]["slots"]}
    assert not any("ASID" in name for name in plain)
    text = (out / "boot_tables.c").read_text()
    assert '[2] = { "vmm.asid_pool", M6_OBJ_ASID_POOL, 16, 0, 0, 0x0ull },' in text
    vmm_vspace = names.index("vmm.vspace")
    assert f'[{vmm_vspace}] = {{ "vmm.vspace", M6_OBJ_VSPACE, 0, 1, 0, 0x0ull }},' in text
    assert "M6_OBJ_ASID_CONTROL, M6_BT_NO_OBJECT, M6_RIGHT_WRITE" in text


def test_pool_sizes_match_the_kernel() -> None:
    # kernel/include/kernel/asid_pool.h: a 16-byte header and 8 bytes per ASID, rounded
    # up to a power of two, at least 32 bytes
    assert [layout.asid_pool_bytes(n) for n in (1, 2, 14, 16, 255, 1000, 65535)] == \
        [32, 32, 128, 256, 4096, 8192, 1 << 20]


def test_asid_blocks_follow_the_kernels_first_fit() -> None:
    # ASID 0 is nobody's; every pool after the first starts on a multiple of 16
    assert layout.asid_blocks_end([3]) == 4
    assert layout.asid_blocks_end([3, 16]) == 32
    assert layout.asid_blocks_end([15, 1]) == 17
    assert layout.asid_blocks_end([16, 1]) == 33
    assert layout.asid_blocks_end([65535]) == 65536


def test_pools_count_in_the_ram_budget() -> None:
    system = parser.parse((VALID / "asid.m6").read_text())
    needs = {what: n for n, what, _ in resources.ram_needs(system, resolved.resolve(system))}
    assert needs["the system's ASID pool"] == 32
    assert needs["asid_pool of 'vmm'"] == 256
    big = parser.parse("""system s on qemu-virt {
        component a { binary "a" priority 1 untyped m 4 KiB asid_pool 65535 } }""")
    assert {what: n for n, what, _ in resources.ram_needs(big, resolved.resolve(big))}["asid_pool of 'a'"] == 1 << 20


def test_a_pool_that_cannot_be_used_is_a_warning(tmp_path: Path) -> None:
    spec = tmp_path / "s.m6"
    spec.write_text("""system s on qemu-virt {
    component a {
        binary "a"
        priority 1
        asid_pool 4
    }
}
""")
    result = run("check", str(spec))
    assert result.status == 0
    assert result.stderr.replace(str(spec), "s.m6") == """s.m6:5:9: warning: the asid_pool of component 'a' can never be used
    5 |         asid_pool 4
      |         ^~~~~~~~~~~
hint: 'a' has no untyped pool to make VSpaces from: add e.g. 'untyped mem 1 MiB'
"""


def test_many_components_fit_the_asid_space(tmp_path: Path) -> None:
    # 4,000 components' VSpaces (ASIDs 1..4000) and a pool from 4016: 61,000 fit, 61,536
    # would end beyond ASID 65535
    comps = "\n".join(f'component c{i} {{ binary "c" priority 1 }}' for i in range(3999))
    spec = tmp_path / "s.m6"
    spec.write_text(f"""system s on qemu-virt {{
    {comps}
    component big {{ binary "big" priority 1 untyped m 4 KiB asid_pool 61000 }}
}}""")
    assert run("check", str(spec)).status == 0
    spec.write_text(spec.read_text().replace("asid_pool 61000", "asid_pool 61536"))
    result = run("check", str(spec))
    assert result.status == 1
    assert "needs 65551 ASIDs, more than the 65535 a CPU has" in result.stderr
