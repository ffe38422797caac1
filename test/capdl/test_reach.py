"""The reach rules (docs/spec-language.md, Authority analysis): DMA masters, grant caps
(a fault endpoint chosen at run time needs one), the faulter's channel to its handler.
The negative cases are specs/invalid/assert_fails_*.m6; the positive ones are
specs/valid/reach.m6, plain_caps.m6 and dma.m6."""

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


def test_a_plain_call_cap_gives_the_server_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    """The kernel names a fault endpoint only through a cap with GRANT (TCB_CONFIGURE), so
    a client's plain call cap cannot put it under its server's control."""
    assert _why(capsys, VALID / "reach.m6", "server", "client") == "'server' cannot reach component 'client'.\n"
    assert _why(capsys, VALID / "reach.m6", "uart", "client") == "'uart' cannot reach component 'client'.\n"
    assert _why(capsys, VALID / "reach.m6", "client", "uart.RX") == "'client' cannot reach 'uart.RX'.\n"
    for server, client in (("server", "client"), ("logger", "app.pool"), ("spy", "app2"), ("s2", "s1.DEV"),
                           ("sup", "w.pool")):
        what = f"'{client}'" if "." in client else f"component '{client}'"
        assert _why(capsys, VALID / "plain_caps.m6", server, client) == f"'{server}' cannot reach {what}.\n"


def test_why_explains_a_grant_cap_to_a_server(capsys: pytest.CaptureFixture[str]) -> None:
    assert _why(capsys, VALID / "reach.m6", "vmm", "guest") == (
        "'vmm' can reach component 'guest':\n"
        "  - 'guest' holds a 'call' cap with grant to vmm.ctl (CAP_VMM) (line 17)\n"
        "  - so 'guest' can pass 'vmm' any cap it holds through vmm.ctl, its CNode and TCB included, or make "
        "vmm.ctl its threads' fault endpoint (TCB_CONFIGURE takes a cap with grant): either way 'vmm' can "
        "control 'guest'\n"
        "  - 'guest' holds its own CNode (M6_CAP_SELF_CNODE)\n")


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
