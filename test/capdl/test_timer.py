"""`timer NAME`: a kernel Timer object and its cap; and the system description header
(m6_system.h) that `headers` writes beside the per-binary ones. Golden files in golden/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import REPO, run

VALID = REPO / "test" / "capdl" / "specs" / "valid"
GOLDEN = REPO / "test" / "capdl" / "golden"


@pytest.fixture
def headers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Generated files name the spec as given: run from its directory for stable output.
    monkeypatch.chdir(VALID)
    assert run("headers", "timer.m6", "--out", str(tmp_path)).status == 0
    return tmp_path / "include"


@pytest.mark.parametrize("generated, golden", [
    ("sleeper/m6_caps.h", "timer_sleeper_m6_caps.h"),
    ("m6_system.h", "timer_m6_system.h"),
])
def test_golden_headers(headers: Path, generated: str, golden: str) -> None:
    assert (headers / generated).read_text() == (GOLDEN / golden).read_text()


def test_timer_objects_and_caps(threads_elf: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("build", str(VALID / "timer.m6"), "--elf", f"sleeper={threads_elf}",
                 "--elf", f"server={threads_elf}", "--out", str(out))
    assert (result.status, result.stderr) == (0, "")
    manifest = json.loads((out / "manifest.json").read_text())
    timers = [o["name"] for o in manifest["objects"] if o["type"] == "M6_OBJ_TIMER"]
    assert timers == ["sleeper.timer_tick", "sleeper.timer_alarm"]
    sleeper = manifest["components"][0]
    slots = {s["name"]: s for s in sleeper["slots"]}
    assert slots["CAP_TICK"] == {"slot": 4, "name": "CAP_TICK", "type": "M6_OBJ_TIMER",
                                 "object": "sleeper.timer_tick", "rights": ["M6_RIGHTS_ALL"], "badge": 0}
    assert slots["CAP_ALARM"]["slot"] == 6
    assert "M6_OBJ_TIMER, " in (out / "boot_tables.c").read_text()


def test_timer_in_authority_analysis(tmp_path: Path) -> None:
    spec = tmp_path / "s.m6"
    spec.write_text("""system s on qemu-virt {
    component a { binary "a" priority 1 timer t call b.ep as B }
    component b { binary "b" priority 1 endpoint ep }
    assert b cannot reach a.t
    assert a can reach a.t
}
""")
    result = run("check", str(spec))
    assert (result.status, result.stderr) == (0, "")


def test_timer_counts_in_budget_and_cnode(tmp_path: Path) -> None:
    # 61 timers + 3 self caps + the null slot = 65 slots: the CNode grows to radix 7.
    timers = " ".join(f"timer t{i}" for i in range(61))
    spec = tmp_path / "s.m6"
    spec.write_text(f'system s on qemu-virt {{ component a {{ binary "a" priority 1 {timers} }} }}')
    assert run("headers", str(spec), "--out", str(tmp_path / "o")).status == 0
    text = (tmp_path / "o" / "include" / "a" / "m6_caps.h").read_text()
    assert "#define M6_CSPACE_RADIX                  7" in text
    assert "#define CAP_T60                  64 /* timer 't60' */" in text
