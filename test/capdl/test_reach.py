"""The reach rules (docs/spec-language.md, Authority analysis): DMA masters, fault
handlers chosen at run time, the faulter's channel to its handler. The negative cases
are specs/invalid/assert_fails_*.m6; the positive ones are specs/valid/reach.m6 and dma.m6."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from conftest import REPO, run
from m6capdl import cli

VALID = Path(__file__).resolve().parent / "specs" / "valid"


@pytest.mark.parametrize("spec", sorted(VALID.glob("*.m6")), ids=lambda p: p.stem)
def test_valid_specs_check_clean(spec: Path) -> None:
    result = run("check", str(spec))
    assert (result.status, result.stderr) == (0, "")


def _why(capsys: pytest.CaptureFixture[str], spec: Path, source: str, target: str, *extra: str) -> str:
    assert cli.main(["why", str(spec), source, target, *extra], err=io.StringIO()) == 0
    return capsys.readouterr().out


def test_why_explains_the_run_time_fault_handler(capsys: pytest.CaptureFixture[str]) -> None:
    assert _why(capsys, VALID / "reach.m6", "server", "client") == (
        "'server' can reach component 'client':\n"
        "  - 'client' holds a 'call' cap to server.ep (CAP_S) (line 8)\n"
        "  - so 'client' can make server.ep the fault endpoint of its own threads at run time (TCB_CONFIGURE "
        "through its TCB cap, CAP_SELF_TCB): 'server' then receives their faults, rewrites their registers "
        "and controls 'client'\n"
        "  - 'client' holds its own CNode (CAP_SELF_CNODE)\n")
    assert _why(capsys, VALID / "reach.m6", "client", "uart.RX") == "'client' cannot reach 'uart.RX'.\n"


def test_why_explains_the_faulters_channel(capsys: pytest.CaptureFixture[str]) -> None:
    assert _why(capsys, VALID / "reach.m6", "worker", "sup") == (
        "'worker' can reach component 'sup':\n"
        "  - 'worker' holds a channel to sup.faults, its fault handler: each fault of its threads is a "
        "message to it (line 13)\n")


def test_why_explains_dma(capsys: pytest.CaptureFixture[str]) -> None:
    out = _why(capsys, VALID / "dma.m6", "blk", "memory:keys")
    assert out == ("'blk' can reach memory 'keys':\n"
                   "  - 'blk' holds memory 'keys' through DMA: device blk.disk ('/virtio_mmio@a000000') masters "
                   "DMA with no IOMMU in front of it (a virtio-mmio transport: the device reads and writes the "
                   "virtqueues and buffers at whatever physical addresses its driver gives it)\n")
    out = _why(capsys, VALID / "dma.m6", "sup", "flash")
    assert "'sup' receives the faults of 'blk'" in out and "masters DMA" in out


def _platforms(tmp_path: Path, devices: str | None) -> Path:
    plats = tmp_path / "plats"
    shutil.copytree(REPO / "platforms" / "qemu-virt", plats / "qemu-virt")
    toml = plats / "qemu-virt" / "devices.toml"
    if devices is None:
        toml.unlink()
    else:
        toml.write_text(devices)
    return plats


SPEC = """system s on qemu-virt {
    component blk { binary "blk" priority 2 device disk compatible "virtio,mmio" index 0 }
    component vault { binary "vault" priority 1 endpoint secrets call vault.secrets as SELF }
    assert blk cannot reach vault
}
"""


def test_a_device_behind_an_iommu_reaches_only_its_own(tmp_path: Path) -> None:
    spec = tmp_path / "s.m6"
    spec.write_text(SPEC)
    assert "assertion failed: 'blk' can reach component 'vault'" in run("check", str(spec)).stderr
    plats = _platforms(tmp_path, '[[dma]]\ncompatible = "virtio,mmio"\niommu = true\n')
    result = run("check", str(spec), "--platform-dir", str(plats))
    assert (result.status, result.stderr) == (0, "")


def test_a_platform_without_a_device_description_has_no_dma_masters(tmp_path: Path) -> None:
    spec = tmp_path / "s.m6"
    spec.write_text(SPEC)
    result = run("check", str(spec), "--platform-dir", str(_platforms(tmp_path, None)))
    assert (result.status, result.stderr) == (0, "")


@pytest.mark.parametrize("text, message", [
    ("[[dma]\n", "not valid TOML"),
    ("[[dma]]\niommu = true\n", "[[dma]] entry 1: 'compatible' must be a non-empty string"),
    ('[[dma]]\ncompatible = "x"\niommu = "no"\n', "'iommu' true or false"),
    ('[[dma]]\ncompatible = "x"\nbus = 1\n', "unknown key 'bus'"),
    ('[[dmas]]\ncompatible = "x"\n', "unknown table 'dmas'"),
    ('dma = 1\n', "'dma' must be an array of tables"),
])
def test_a_bad_device_description_is_an_error(tmp_path: Path, text: str, message: str) -> None:
    spec = tmp_path / "s.m6"
    spec.write_text(SPEC)
    result = run("check", str(spec), "--platform-dir", str(_platforms(tmp_path, text)))
    assert result.status == 1
    assert "error: cannot read the device description of platform 'qemu-virt': " in result.stderr
    assert message in result.stderr
