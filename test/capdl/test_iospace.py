"""`syscap iospace_control`: IOSpaceControl, the kernel singleton that binds IOSpaces to SMMU
stream IDs (docs/kernel.md, IOSpaces). Only a component whose spec says so gets it, with
the write right its invocations need."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run

SPEC = """\
system iospaces on qemu-virt {
    component bus {
        binary   "bus"
        priority 100
        untyped  mem 1 MiB
        syscap   iospace_control
    }
    component driver {
        binary   "driver"
        priority 50
    }
}
"""


def test_iospace_control_cap(fixture_elf: Path, tmp_path: Path) -> None:
    spec = tmp_path / "iospace.m6"
    spec.write_text(SPEC)
    out = tmp_path / "out"
    result = run("build", str(spec), "--elf", f"bus={fixture_elf}", "--elf",
                 f"driver={fixture_elf}", "--out", str(out))
    assert (result.status, result.stderr) == (0, "")
    manifest = json.loads((out / "manifest.json").read_text())
    slots = {s["name"]: s for s in manifest["components"][0]["slots"]}
    cap = slots["CAP_IOSPACE_CONTROL"]
    assert (cap["type"], cap["object"], cap["rights"]) == (
        "M6_OBJ_IOSPACE_CONTROL", None, ["M6_RIGHT_WRITE"])
    driver = {s["name"] for s in manifest["components"][1]["slots"]}
    assert not any("IOSPACE" in name for name in driver)  # none by default
    assert "M6_OBJ_IOSPACE_CONTROL, M6_BT_NO_OBJECT, M6_RIGHT_WRITE" in (
        out / "boot_tables.c").read_text()
    header = (out / "include" / "bus" / "m6_caps.h").read_text()
    assert "CAP_IOSPACE_CONTROL" in header and "syscap iospace_control" in header
