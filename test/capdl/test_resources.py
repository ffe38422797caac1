"""Shared memory, devices, IRQs, heaps, CNode sizing, device untyped; graph and why."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import run

SPEC = Path(__file__).resolve().parent / "specs" / "valid" / "drivers.m6"


@pytest.fixture
def built(fixture_elf: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    elfs = [a for b in ("uart", "app", "vault", "keeper") for a in ("--elf", f"{b}={fixture_elf}")]
    result = run("build", str(SPEC), *elfs, "--out", str(out))
    assert (result.status, result.stderr) == (0, "")
    return out


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def test_device_frames_and_irqs(built: Path) -> None:
    m = _manifest(built)
    objects = {o["name"]: o for o in m["objects"]}
    uart = next(c for c in m["components"] if c["name"] == "uart")
    frames = {f["vaddr"]: f for f in uart["memory_map"]["frames"]}
    assert frames[0x100000000]["source"] == "M6_BT_FRAME_DEVICE"
    assert objects["uart.frame@0x100000000"]["paddr"] == 0x9000000
    slots = {s["name"]: s for s in uart["slots"]}
    assert slots["CAP_SERIAL_IRQ"]["type"] == "M6_OBJ_IRQ_HANDLER" and slots["CAP_SERIAL_IRQ"]["badge"] == 33
    assert slots["CAP_SERIAL_IRQ"]["object"] is None
    assert slots["CAP_SPARE"]["badge"] == 40 | 1 << 32  # edge-triggered
    assert uart["cspace_radix"] == 8
    ecam = objects["uart.untyped_ecam"]
    assert (ecam["type"], ecam["size_bits"], ecam["source"], ecam["paddr"]) == (
        "M6_OBJ_UNTYPED", 28, "M6_BT_FRAME_DEVICE", 0x4010000000)
    text = (built / "boot_tables.c").read_text()
    assert re.search(r'"uart\.frame@0x100000000", M6_OBJ_FRAME, 12, M6_BT_FRAME_DEVICE, 0, 0x9000000ull', text)
    assert "M6_OBJ_IRQ_HANDLER, M6_BT_NO_OBJECT, M6_RIGHTS_ALL, 0, 0x100000028ull" in text


def test_shared_memory_is_one_set_of_frames(built: Path) -> None:
    m = _manifest(built)
    maps = [mp for mp in m["mappings"] if mp["object"].startswith("memory.ring@")]
    by_vspace: dict[str, list] = {}
    for mp in maps:
        by_vspace.setdefault(mp["vspace"], []).append(mp)
    assert sorted(by_vspace) == ["app.vspace", "uart.vspace"]
    assert len(by_vspace["app.vspace"]) == len(by_vspace["uart.vspace"]) == 16
    assert {tuple(mp["rights"]) for mp in by_vspace["app.vspace"]} == {("M6_RIGHT_READ",)}
    assert {tuple(mp["rights"]) for mp in by_vspace["uart.vspace"]} == {("M6_RIGHT_READ", "M6_RIGHT_WRITE")}
    assert sorted(mp["object"] for mp in by_vspace["app.vspace"]) == sorted(mp["object"] for mp in by_vspace["uart.vspace"])
    fw = [mp for mp in m["mappings"] if mp["object"].startswith("memory.firmware@")]
    assert [mp["vaddr"] for mp in fw] == [0x20000000, 0x20001000]


def test_headers(built: Path) -> None:
    defs = dict(re.findall(r"^#define (\w+)[ \t]*(\S*)", (built / "include" / "uart" / "m6_caps.h").read_text(), re.M))
    assert defs["M6_DEVICE_SERIAL_VADDR"] == "0x100000000" and defs["M6_DEVICE_SERIAL_PADDR"] == "0x9000000"
    assert defs["M6_DEVICE_SERIAL_IRQ"] == "33" and defs["M6_DEVICE_RTC_IRQ"] == "34"
    assert defs["M6_MEM_RX_SIZE"] == "0x10000" and defs["M6_MEM_FIRMWARE_VADDR"] == "0x20000000"
    assert defs["M6_HEAP_SIZE"] == "0x10000" and defs["M6_UNTYPED_ECAM_BITS"] == "28"
    assert defs["M6_UNTYPED_ECAM_PADDR"] == "0x4010000000"
    app = dict(re.findall(r"^#define (\w+)[ \t]*(\S*)", (built / "include" / "app" / "m6_caps.h").read_text(), re.M))
    # virtio_mmio@a003e00 is the 32nd: its registers are at offset 0xe00 of its page.
    assert app["M6_DEVICE_DISK_PADDR"] == "0xa003e00"
    assert int(app["M6_DEVICE_DISK_VADDR"], 16) % 4096 == 0xE00


def test_why(capsys: pytest.CaptureFixture[str]) -> None:
    from m6capdl import cli
    assert cli.main(["why", str(SPEC), "app", "uart"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("'app' can reach component 'uart':\n")
    assert cli.main(["why", str(SPEC), "app", "vault"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("'app' can reach component 'vault':\n  - 'app' holds its device 'disk' (line 26)\n"
                          "  - device app.disk ('/virtio_mmio@a003e00') masters DMA with no IOMMU in front of it")
    assert cli.main(["why", str(SPEC), "keeper", "uart"]) == 0
    assert capsys.readouterr().out == "'keeper' cannot reach component 'uart'.\n"
    assert cli.main(["why", str(SPEC), "vault", "keeper"]) == 0  # keeper's send cap has no grant
    assert capsys.readouterr().out == "'vault' cannot reach component 'keeper'.\n"
    assert cli.main(["why", str(SPEC), "app", "memory:ring"]) == 0
    assert "holds a mapping of memory 'ring' (r)" in capsys.readouterr().out
    assert cli.main(["why", str(SPEC), "app", "nobody"], err=__import__("io").StringIO()) == 1


def test_graph(tmp_path: Path) -> None:
    result = run("graph", str(SPEC), "--dot", str(tmp_path / "g.dot"))
    assert (result.status, result.stderr) == (0, "")
    dot = (tmp_path / "g.dot").read_text()
    assert dot.startswith('digraph "drivers" {') and '"app" -> "uart.log" [label="call b1"' in dot
    assert '"memory.ring"' in dot and "cluster_vault" in dot
    if shutil.which("dot"):
        assert run("graph", str(SPEC), "--svg", str(tmp_path / "g.svg")).status == 0
        assert (tmp_path / "g.svg").read_text().lstrip().startswith(("<?xml", "<svg"))


def test_include(tmp_path: Path) -> None:
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "server.m6").write_text(
        'component server { binary "server" priority 9 endpoint ep }\ninclude "more.m6"\n')
    (tmp_path / "parts" / "more.m6").write_text('memory shared 8 KiB\n')
    spec = tmp_path / "top.m6"
    spec.write_text('system s on qemu-virt {\n    include "parts/server.m6"\n'
                    '    component client { binary "client" priority 1 call server.ep as S map shared r }\n}\n')
    assert run("headers", str(spec), "--out", str(tmp_path / "o")).status == 0
    assert (tmp_path / "o" / "include" / "server" / "m6_caps.h").is_file()
    assert "M6_MEM_SHARED_VADDR" in (tmp_path / "o" / "include" / "client" / "m6_caps.h").read_text()


def test_devices_sharing_a_page_map_it_once(fixture_elf: Path, tmp_path: Path) -> None:
    # Slots 0 and 1 of virtio-mmio share the page at 0xa000000; slot 8 has a page of its own.
    spec = tmp_path / "s.m6"
    spec.write_text('system s on qemu-virt { component blk { binary "blk" priority 200\n'
                    '    device d0 compatible "virtio,mmio" index 0 heap 8 KiB\n'
                    '    device d1 compatible "virtio,mmio" index 1\n'
                    '    device d8 compatible "virtio,mmio" index 8 } }\n')
    out = tmp_path / "out"
    result = run("build", str(spec), "--elf", f"blk={fixture_elf}", "--out", str(out))
    assert (result.status, result.stderr) == (0, "")
    defs = dict(re.findall(r"^#define (\w+)[ \t]*(\S*)", (out / "include" / "blk" / "m6_caps.h").read_text(), re.M))
    d0, d1, d8 = (int(defs[f"M6_DEVICE_{n}_VADDR"], 16) for n in ("D0", "D1", "D8"))
    assert d1 == d0 + 0x200 and d8 % 4096 == 0 and d8 != d0 & ~0xfff
    device_frames = [o for o in _manifest(out)["objects"] if o.get("source") == "M6_BT_FRAME_DEVICE"]
    assert sorted(o["paddr"] for o in device_frames) == [0xa000000, 0xa001000]
