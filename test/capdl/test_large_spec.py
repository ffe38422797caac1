"""The generated large spec (gen_large_spec.py): it checks clean at 1,000 components, and
a small one builds (stand-in ELFs) with the objects of every kind it promises. The
compile time is measured by bench_large_spec.py, not here."""

from __future__ import annotations

import json
from pathlib import Path

import bench_large_spec
import gen_large_spec
from conftest import run


def test_thousand_components_check_clean(tmp_path: Path) -> None:
    spec = gen_large_spec.generate(1000, tmp_path)
    result = run("check", str(spec))
    assert (result.status, result.stderr) == (0, "")
    text = "".join(p.read_text() for p in tmp_path.glob("*.m6"))
    assert text.count("component ") == 1000
    assert '#define LARGE_PAIRS 499' in (tmp_path / "large_counts.h").read_text()


def test_small_build_has_every_kind(tmp_path: Path, clang: str) -> None:
    spec = gen_large_spec.generate(12, tmp_path / "spec")
    elfs = bench_large_spec.stand_in_elfs(tmp_path)
    args = ["build", str(spec), "--out", str(tmp_path / "out")]
    for name, path in elfs.items():
        args += ["--elf", f"{name}={path}"]
    result = run(*args)
    assert (result.status, result.stderr) == (0, "")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert len(manifest["components"]) == 12
    types = {o["type"] for o in manifest["objects"]}
    assert {"M6_OBJ_TCB", "M6_OBJ_CNODE", "M6_OBJ_VSPACE", "M6_OBJ_ENDPOINT", "M6_OBJ_NOTIFICATION",
            "M6_OBJ_UNTYPED", "M6_OBJ_PAGE_TABLE", "M6_OBJ_FRAME"} <= types
    sources = {o.get("source") for o in manifest["objects"]}
    assert "M6_BT_FRAME_DEVICE" in sources  # the sink's RTC
    threads = [t for c in manifest["components"] for t in c["threads"]]
    assert any("M6_TCB_FLAG_LINUX_ABI" in t["flags"] for t in threads)
    assert sum(t["fault_endpoint"] == "sink.ep_faults" for t in threads) == 5 + 1  # clients, lx0
    slots = {s["name"] for c in manifest["components"] for s in c["slots"]}
    assert {"CAP_IRQ_CONTROL", "CAP_SYSTEM_INFO", "CAP_SPARE_IRQ", "CAP_RTC_IRQ", "CAP_POOL"} <= slots
