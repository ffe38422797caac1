"""PCI claims (docs/spec-language.md, "PCI"; capdl/m6capdl/pci.py): `pci_bus E` makes a
bus, `pci [BUS] claims MATCH as NAME` a badged call cap to it and a row of the bus's
table; the checks, the header table, the bus's grant right and the authority analysis."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest

from conftest import REPO, run
from m6capdl import cli

BUS = """    component bus {
        binary "pcie"
        priority 100
        endpoint pci
        pci_bus pci
        untyped mem32 256 MiB at 0x10000000
    }
"""


def spec(body: str, bus: str = BUS) -> str:
    return "system s on qemu-virt {\n" + bus + body + "}\n"


def driver(name: str, *lines: str) -> str:
    inner = "".join(f"        {line}\n" for line in lines)
    return f"    component {name} {{\n        binary \"{name}\"\n        priority 50\n{inner}    }}\n"


def _check(tmp_path: Path, text: str) -> tuple[int, str]:
    path = tmp_path / "spec.m6"
    path.write_text(text)
    result = run("check", str(path))
    return result.status, result.stderr.replace(str(path), "spec.m6")


def _headers(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "spec.m6"
    path.write_text(text)
    out = tmp_path / "out"
    result = run("headers", str(path), "--out", str(out))
    assert (result.status, result.stderr) == (0, "")
    return {p.parent.name: p.read_text() for p in (out / "include").glob("*/m6_caps.h")}


def test_claims_become_badged_caps_and_the_bus_table(tmp_path: Path) -> None:
    headers = _headers(tmp_path, spec(
        driver("disk", "pci bus claims vendor 0x1b36 device 0x0010 as NVME")
        + driver("nic", "pci claims vendor 0x1af4 device 0x1041 as NIC", "pci claims vendor 0x8086 as INTEL")))
    assert re.search(r"#define CAP_NVME +\d+ /\* call bus\.pci, badge 1 \*/", headers["disk"])
    assert re.search(r"#define CAP_NIC +\d+ /\* call bus\.pci, badge 2 \*/", headers["nic"])
    assert re.search(r"#define CAP_INTEL +\d+ /\* call bus\.pci, badge 3 \*/", headers["nic"])
    bus = headers["pcie"]
    assert "#define M6_PCI_BUS_ENDPOINT      CAP_PCI" in bus
    assert re.search(r"#define M6_PCI_CLAIMS_COUNT +3\n", bus)
    assert ("{{0x1, 3, 0x1b36, 0x10, 0x0}, {0x2, 3, 0x1af4, 0x1041, 0x0}, {0x3, 2, 0x8086, 0x0, 0x0}}"
            in bus)
    assert "#include <m6/spec_tables.h>" in bus
    # The window's address, for the bus's compile-time check against the device tree.
    assert re.search(r"#define M6_UNTYPED_MEM32_PADDR +0x10000000", bus)


def test_claim_badges_skip_those_written(tmp_path: Path) -> None:
    headers = _headers(tmp_path, spec(
        driver("a", "call bus.pci as RAW badge 1", "pci claims class 0x010802 as NVME")))
    assert re.search(r"#define CAP_NVME +\d+ /\* call bus\.pci, badge 2 \*/", headers["a"])


def test_the_bus_receives_with_grant(tmp_path: Path) -> None:
    """The bus answers claims with caps: the kernel lets a reply carry one only when the
    server received through a cap with GRANT (docs/abi.md); no other server gets it."""
    path = tmp_path / "spec.m6"
    path.write_text(spec(driver("a", "pci claims class 0x010802 as NVME", "endpoint plain")))
    from m6capdl import checks, parser
    system = parser.parse_file(path) if hasattr(parser, "parse_file") else parser.parse(path.read_text(), str(path))
    diags, model_ = checks.check_and_resolve(system, Path(__file__).resolve().parents[2] / "platforms")
    assert not [d for d in diags if d.severity.name == "ERROR"]
    rights = {(c.name, cap.name): cap.rights for c in model_.components for cap in c.cspace.slots}
    assert rights[("bus", "CAP_PCI")] == ("M6_RIGHT_READ", "M6_RIGHT_GRANT")
    assert rights[("a", "CAP_PLAIN")] == ("M6_RIGHT_READ",)
    assert rights[("a", "CAP_NVME")] == ("M6_RIGHT_WRITE", "M6_RIGHT_GRANT_REPLY")


ERRORS = [
    ("unknown bus", spec(driver("a", "pci nobus claims class 0x010802 as X")),
     "spec.m6:12:13: error: unknown PCI bus 'nobus'",
     "hint: no component has that name; the system's buses: 'bus'"),
    ("not a bus", spec(driver("a", "pci b claims class 0x010802 as X") + driver("b")),
     "spec.m6:12:13: error: component 'b' is not a PCI bus",
     "hint: a bus declares 'pci_bus ENDPOINT'; the system's buses: 'bus'"),
    ("no bus at all", spec(driver("a", "pci claims class 0x010802 as X"), bus=""),
     "spec.m6:5:9: error: PCI claim 'X' names no bus, and the system has none", "hint: a bus component"),
    ("two buses, none named",
     spec(driver("a", "pci claims class 0x010802 as X"),
          bus=BUS + BUS.replace("component bus", "component bus2").replace('"pcie"', '"pcie2"')
          .replace("at 0x10000000", "at 0x20000000")),
     "error: PCI claim 'X' names no bus, and the system has several",
     "hint: name one: 'pci BUS claims ...'; the buses are 'bus', 'bus2'"),
    ("same class twice", spec(driver("a", "pci claims class 0x010802 as X") + driver("b", "pci claims class 0x010802 as Y")),
     "spec.m6:17:20: error: the claims of 'a' (X: class 0x010802) and 'b' (Y: class 0x010802) on bus 'bus' overlap",
     "hint: a function could match both (the other claim is at line 12), and a function has one driver: make the "
     "rules disjoint"),
    ("a vendor and one of its devices",
     spec(driver("a", "pci claims vendor 0x1af4 as X", "pci claims vendor 0x1af4 device 0x1041 as Y")),
     "spec.m6:13:20: error: the claims of 'a' (X: vendor 0x1af4) and 'a' (Y: vendor 0x1af4 device 0x1041) on bus "
     "'bus' overlap", "a vendor rule without 'device' covers every device of that vendor"),
    ("a class and a vendor",
     spec(driver("a", "pci claims class 0x010802 as X") + driver("b", "pci claims vendor 0x1b36 device 0x10 as Y")),
     "error: the claims of 'a' (X: class 0x010802) and 'b' (Y: vendor 0x1b36 device 0x0010) on bus 'bus' overlap",
     "a class rule and a vendor rule may meet on one device, so name both by 'vendor V device D' or both by class"),
    ("the bus claims", spec("", bus=BUS.replace("pci_bus pci", "pci_bus pci\n        pci claims class 1 as X")),
     "error: bus 'bus' claims a PCI function from itself", "hint: the bus holds every function already"),
    ("pci_bus without its endpoint", spec(driver("a", "pci claims class 1 as X"), bus=BUS.replace("endpoint pci\n", "")),
     "error: 'pci_bus pci': component 'bus' declares no endpoint 'pci'", "hint: declare it: 'endpoint pci'"),
    ("class too wide", spec(driver("a", "pci claims class 0x1010802 as X")),
     "error: class code 0x1010802 does not fit 24 bits", "hint: a class code is base class"),
    ("vendor 0xffff", spec(driver("a", "pci claims vendor 0xffff as X")),
     "error: vendor ID 0xffff is no vendor", "hint: vendor IDs are 0x0001 to 0xfffe"),
    ("device too wide", spec(driver("a", "pci claims vendor 0x1af4 device 0x10000 as X")),
     "error: device ID 0x10000 does not fit 16 bits", ""),
    ("two pci_bus", spec("", bus=BUS.replace("pci_bus pci", "pci_bus pci\n        pci_bus pci")),
     "error: component 'bus' has more than one 'pci_bus'", "the first is at line 6"),
]


@pytest.mark.parametrize("text,first,hint", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_claim_errors(tmp_path: Path, text: str, first: str, hint: str) -> None:
    status, err = _check(tmp_path, text)
    assert status == 1
    assert first in err, err
    assert hint in err, err


def test_assert_a_component_cannot_reach_a_pci_device(tmp_path: Path) -> None:
    text = spec(driver("disk", "pci claims class 0x010802 as NVME") + driver("rng", "pci claims class 0xff00 as RNG")
                + driver("bystander", "call bus.pci as RAW badge 77")
                + "    assert bystander cannot reach pci class 0x010802\n"
                "    assert bystander cannot reach pci vendor 0x1b36\n"
                "    assert disk can reach pci class 0x010802\n")
    assert _check(tmp_path, text) == (0, "")


def _without_an_iommu(tmp_path: Path) -> Path:
    """qemu-virt started without `iommu=smmuv3`: nothing stands between a PCIe bus master
    and RAM."""
    plats = tmp_path / "plats"
    shutil.copytree(REPO / "platforms" / "qemu-virt", plats / "qemu-virt")
    toml = plats / "qemu-virt" / "devices.toml"
    text = toml.read_text()
    at = text.index('compatible = "pci-host-ecam-generic"')
    assert "iommu = true" in text[at:]
    toml.write_text(text[:at] + text[at:].replace("iommu = true", "iommu = false", 1))
    return plats


def test_a_claimant_masters_dma_without_an_iommu(tmp_path: Path) -> None:
    """Without an IOMMU (devices.toml `iommu = false` for the host bridge) the driver of any
    PCI function can make it write anywhere, the bus's memory and every component included."""
    path = tmp_path / "spec.m6"
    path.write_text(spec(driver("disk", "pci claims class 0x010802 as NVME")
                         + driver("rng", "pci claims class 0xff00 as RNG") + driver("other")
                         + "    assert rng cannot reach pci class 0x010802\n"
                           "    assert disk cannot reach other\n"))
    result = run("check", str(path), "--platform-dir", str(_without_an_iommu(tmp_path)))
    err = result.stderr
    assert result.status == 1
    assert "error: assertion failed: 'rng' can reach PCI functions matching class 0x010802" in err
    assert "error: assertion failed: 'disk' can reach component 'other'" in err
    assert ("its claim RNG on the PCI functions matching class 0x00ff00 through 'bus' hands it their BARs and bus "
            "mastering, and the bus's windows master DMA with no IOMMU in front of them") in err


def test_behind_the_smmu_a_claimant_reaches_only_what_it_maps(tmp_path: Path) -> None:
    """qemu-virt as platform.cmake starts it (`iommu=smmuv3`, devices.toml `iommu = true`):
    a function's DMA reaches what its driver maps into its IOSpace, the driver's own frames,
    so a claim gives no path to other components or to other claims' functions."""
    text = spec(driver("disk", "pci claims class 0x010802 as NVME")
                + driver("rng", "pci claims class 0xff00 as RNG") + driver("other")
                + "    assert disk cannot reach other\n"
                  "    assert disk cannot reach rng\n"
                  "    assert rng cannot reach pci class 0x010802\n"
                  "    assert disk cannot reach pci class 0x00ff00\n"
                  "    assert rng can reach pci class 0x00ff00\n")
    assert _check(tmp_path, text) == (0, "")


def test_a_class_rule_may_match_any_vendor(tmp_path: Path) -> None:
    path = tmp_path / "spec.m6"
    path.write_text(spec(driver("rng", "pci claims class 0xff00 as RNG")
                         + "    assert rng cannot reach pci vendor 0x1b36 device 0x0010\n"))
    result = run("check", str(path))
    assert result.status == 1
    # A class rule may match a device of any vendor: the analysis cannot rule it out.
    assert "error: assertion failed: 'rng' can reach PCI functions matching vendor 0x1b36 device 0x0010" in result.stderr
    assert ("'rng' holds a claim on the PCI functions matching class 0x00ff00 on bus 'bus' (CAP_RNG, badge 1)"
            in result.stderr)


def test_controlling_the_bus_reaches_every_device(tmp_path: Path) -> None:
    """The bus's window untyped is every function's BARs: whoever controls the bus (here its
    fault handler) reaches them all, claimed or not."""
    bus = BUS.replace("pci_bus pci", "pci_bus pci\n        fault sup.faults")
    text = spec(driver("sup", "endpoint faults") + "    assert sup cannot reach pci class 0x020000\n", bus=bus)
    status, err = _check(tmp_path, text)
    assert status == 1
    assert "error: assertion failed: 'sup' can reach PCI functions matching class 0x020000" in err
    assert "its untyped pool 'mem32'" in err


def test_a_pci_target_needs_a_bus(tmp_path: Path) -> None:
    status, err = _check(tmp_path, spec(driver("a") + "    assert a cannot reach pci class 1\n", bus=""))
    assert status == 1
    assert "error: the system has no PCI bus (a component with 'pci_bus ENDPOINT')" in err


def test_why_and_graph_show_claims(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "spec.m6"
    path.write_text(spec(driver("disk", "pci claims class 0x010802 as NVME") + driver("other")))
    assert cli.main(["why", str(path), "disk", "pci:class:0x010802"], err=io.StringIO()) == 0
    out = capsys.readouterr().out
    assert out.startswith("'disk' can reach PCI functions matching class 0x010802:\n")
    assert cli.main(["why", str(path), "other", "pci:class:0x010802"], err=io.StringIO()) == 0
    assert capsys.readouterr().out == "'other' cannot reach PCI functions matching class 0x010802.\n"
    err = io.StringIO()
    assert cli.main(["why", str(path), "other", "pci:klass:1"], err=err) == 1
    assert "'pci:klass:1' is not a PCI target" in err.getvalue()
    assert cli.main(["graph", str(path)], err=io.StringIO()) == 0
    assert '"disk" -> "bus.pci" [label="may claim PCI class 0x010802 (b1)", style=solid];' in capsys.readouterr().out
