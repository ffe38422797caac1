"""`disk NAME image "KEY" via DEVICE [ro] [size SIZE]` (disks.py): the manifest lists the
disks with their transport, the spec's authority is unchanged, and cmake/m6_qemu_args.py
turns the manifest and image paths into QEMU's arguments, which attach each disk at the
transport its driver holds (checked on this QEMU). The failing checks are
specs/invalid/disk_*.m6."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO, run
from m6capdl import disks, platform

sys.path.insert(0, str(REPO / "cmake"))
import m6_qemu_args  # noqa: E402

# `disk` is a keyword only where a statement starts: a device and a disk may be called so.
DISKS = """
        disk     disk image "root" via disk
        disk     last image "scratch.img" via end ro size 8 MiB
        disk     middle image "m" via mid
"""
SPEC = """system s on qemu-virt {
    assert app cannot reach drv.main
    component app { binary "app" priority 50 call drv.ep as DRV badge 1 }
    component drv {
        binary   "drv" priority 100
        device   disk "/virtio_mmio@a000000"
        device   end compatible "virtio,mmio" index 31
        device   mid "/virtio_mmio@a001000"
        endpoint ep
        syscap   debug_console@DISKS@
    }
}
"""
WANT = [
    {"name": "disk", "component": "drv", "image_key": "root", "read_only": False, "size": None,
     "device": "disk", "device_path": "/virtio_mmio@a000000", "mmio_base": 0xA000000, "transport": 0,
     "kind": "virtio-blk"},
    {"name": "last", "component": "drv", "image_key": "scratch.img", "read_only": True, "size": 8 << 20,
     "device": "end", "device_path": "/virtio_mmio@a003e00", "mmio_base": 0xA003E00, "transport": 31,
     "kind": "virtio-blk"},
    {"name": "middle", "component": "drv", "image_key": "m", "read_only": False, "size": None,
     "device": "mid", "device_path": "/virtio_mmio@a001000", "mmio_base": 0xA001000, "transport": 8,
     "kind": "virtio-blk"},
]


def _build(tmp_path: Path, elf: Path, text: str, name: str) -> Path:
    spec = tmp_path / f"{name}.m6"
    spec.write_text(text)
    out = tmp_path / name
    result = run("build", str(spec), f"--elf=drv={elf}", f"--elf=app={elf}", "--out", str(out))
    assert result.status == 0, result.stderr
    return out


@pytest.fixture
def built(tmp_path: Path, fixture_elf: Path) -> Path:
    return _build(tmp_path, fixture_elf, SPEC.replace("@DISKS@", DISKS), "with")


def test_manifest_lists_disks(built: Path) -> None:
    manifest = json.loads((built / "manifest.json").read_text())
    assert manifest["disks"] == WANT


def test_transports_in_address_order() -> None:
    tree = platform.load_tree(REPO / "platforms" / "qemu-virt" / "qemu-virt.dts")
    found = [tree.regs(n)[0].paddr for n in disks.transports(tree)]
    assert found == [0xA000000 + 0x200 * i for i in range(32)]


def test_disk_adds_no_authority(tmp_path: Path, fixture_elf: Path, built: Path) -> None:
    """The same spec without its disk statements: every header, the boot tables and the
    manifest (but its disks and the spec's name) are the same, and so is `why`."""
    without = _build(tmp_path, fixture_elf, SPEC.replace("@DISKS@", ""), "without")
    outputs = sorted(p.relative_to(built) for p in built.rglob("*") if p.is_file())
    assert outputs == sorted(p.relative_to(without) for p in without.rglob("*") if p.is_file())
    for rel in outputs:
        a, b = (built / rel).read_bytes(), (without / rel).read_bytes()
        if rel.suffix == ".json":
            ja, jb = json.loads(a), json.loads(b)
            assert (ja.pop("disks"), jb.pop("disks")) == (WANT, [])
            ja.pop("spec"), jb.pop("spec")
            assert ja == jb
        elif rel.suffix in (".h", ".c", ".S"):
            # (They name the spec and the output directory.)
            assert a.decode().replace(str(built), "OUT").replace("with.m6", "X") == \
                b.decode().replace(str(without), "OUT").replace("without.m6", "X"), rel
        else:
            assert a == b, rel


def test_why_is_unchanged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    said = []
    for name, text in (("with", DISKS), ("without", "")):
        spec = tmp_path / f"{name}.m6"
        spec.write_text(SPEC.replace("@DISKS@", text))
        for source, target in (("app", "drv"), ("app", "drv.main"), ("drv", "app")):
            assert run("why", str(spec), source, target).status == 0
        said.append(capsys.readouterr().out)
    assert said[0] == said[1]
    assert "'app' cannot reach 'drv.main'." in said[0]


# ---- cmake/m6_qemu_args.py ---------------------------------------------------------------

def _qemu_file(tmp_path: Path, manifest: Path, images: dict[str, Path]) -> Path:
    out = tmp_path / "s.qemu"
    argv = ["make", str(manifest), *(f"--disk={k}={v}" for k, v in images.items()), "--out", str(out)]
    assert m6_qemu_args.main(argv) == 0
    return out


def _images(tmp_path: Path) -> dict[str, Path]:
    images = {"root": tmp_path / "root,1.img", "scratch.img": tmp_path / "scratch.img", "m": tmp_path / "m.img"}
    for key, path in images.items():
        path.write_bytes(bytes(8 << 20 if key == "scratch.img" else 1 << 20))
    return images


def test_qemu_arguments(tmp_path: Path, built: Path) -> None:
    images = _images(tmp_path)
    desc = m6_qemu_args.load(_qemu_file(tmp_path, built / "manifest.json", images))
    assert desc["system"] == "s"
    expect = [
        "-global", "virtio-mmio.force-legacy=false",
        # A comma in a path is doubled: QEMU splits -drive's value at commas.
        "-drive", f"if=none,id=disk,file={tmp_path}/root,,1.img,format=raw",
        "-device", "virtio-blk-device,drive=disk,bus=virtio-mmio-bus.0",
        "-drive", f"if=none,id=last,file={tmp_path}/scratch.img,format=raw,readonly=on",
        "-device", "virtio-blk-device,drive=last,bus=virtio-mmio-bus.31",
        "-drive", f"if=none,id=middle,file={tmp_path}/m.img,format=raw",
        "-device", "virtio-blk-device,drive=middle,bus=virtio-mmio-bus.8",
    ]
    assert desc["args"] == expect
    assert m6_qemu_args.arguments(desc) == expect
    other = tmp_path / "other.img"
    other.write_bytes(b"x" * 512)
    assert f"if=none,id=middle,file={other},format=raw" in m6_qemu_args.arguments(desc, {"m": str(other)})


def test_qemu_arguments_errors(tmp_path: Path, built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = str(built / "manifest.json")
    out = str(tmp_path / "s.qemu")
    # A key a disk uses with no path: each is named, with the CMake spelling.
    assert m6_qemu_args.main(["make", manifest, "--disk=root=/r.img", "--disk=typo=/t.img", "--out", out]) == 1
    assert capsys.readouterr().err == (
        "m6_qemu_args: error: system 's': disk 'last' of component 'drv' has image \"scratch.img\", and no path "
        "is given for it: pass --disk scratch.img=PATH (CMake: m6_add_system(s ... DISKS scratch.img=PATH))\n"
        "m6_qemu_args: error: system 's': disk 'middle' of component 'drv' has image \"m\", and no path is "
        "given for it: pass --disk m=PATH (CMake: m6_add_system(s ... DISKS m=PATH))\n")
    assert not Path(out).exists()
    # An image need not exist when the file is made (a test makes it later); a key no disk
    # has is a warning.
    assert m6_qemu_args.main(["make", manifest, "--disk=root=/r.img", "--disk=scratch.img=/s.img",
                              "--disk=m=/m.img", "--disk=typo=/t.img", "--out", out]) == 0
    assert capsys.readouterr().err == \
        "m6_qemu_args: warning: --disk typo: no disk of system 's' has image \"typo\"\n"
    # ... but it must exist, with its declared size, when the arguments are asked for.
    assert m6_qemu_args.main(["args", out]) == 1
    assert capsys.readouterr().err == "m6_qemu_args: error: disk 'disk': image /r.img: No such file or directory\n"
    images = _images(tmp_path)
    images["scratch.img"].write_bytes(bytes(4096))
    argv = ["args", out, *(f"--image={k}={v}" for k, v in images.items())]
    assert m6_qemu_args.main(argv) == 1
    assert capsys.readouterr().err == (f"m6_qemu_args: error: disk 'last': image {images['scratch.img']} is "
                                       f"4096 bytes; the spec says size 8388608 bytes\n")
    assert m6_qemu_args.main([*argv, "--image=nope=/x"]) == 1
    assert capsys.readouterr().err == \
        "m6_qemu_args: error: no disk of system 's' has image \"nope\" (its images: m, root, scratch.img)\n"
    assert m6_qemu_args.main(["args", manifest]) == 1
    assert "is not a qemu arguments file of format 1" in capsys.readouterr().err
    assert m6_qemu_args.main(["make", manifest, "--disk=bad key=/x", "--out", out]) == 1
    assert capsys.readouterr().err == "m6_qemu_args: error: --disk bad key=/x: expected KEY=PATH\n"


def test_qemu_args_run_and_print(tmp_path: Path, built: Path) -> None:
    images = _images(tmp_path)
    qemu = _qemu_file(tmp_path, built / "manifest.json", images)
    script = REPO / "cmake" / "m6_qemu_args.py"
    printed = subprocess.run([sys.executable, str(script), "args", str(qemu)], capture_output=True, text=True)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.splitlines() == m6_qemu_args.load(qemu)["args"]
    echo = subprocess.run([sys.executable, str(script), "run", str(qemu), "--", sys.executable, "-c",
                           "import sys; print(len(sys.argv[1:])); sys.exit(3)"], capture_output=True, text=True)
    assert (echo.returncode, echo.stdout) == (3, "14\n")


def _qtree_blk(args: list[str]) -> list[tuple[str, int]]:
    """(drive, transport address) of every virtio-blk device QEMU's `info qtree` shows."""
    qemu = shutil.which("qemu-system-aarch64")
    if qemu is None:
        pytest.skip("qemu-system-aarch64 not installed")
    proc = subprocess.run([qemu, "-M", "virt", "-nodefaults", "-display", "none", "-S", "-monitor", "stdio",
                           *args], input="info qtree\nquit\n", capture_output=True, text=True, timeout=60)
    assert "virtio-blk-device" in proc.stdout, proc.stdout + proc.stderr
    found = []
    current: int | None = None
    for line in proc.stdout.splitlines():
        m = re.match(r"\s+mmio ([0-9a-f]+)/0+200$", line)
        if m:
            current = int(m[1], 16)
        m = re.match(r'\s+drive = "([^"]*)"', line)
        if m and m[1] and current is not None:
            found.append((m[1], current))
    return found


def test_qemu_attaches_each_disk_at_its_transport(tmp_path: Path, built: Path) -> None:
    """On this QEMU: the device of each disk sits on the transport at its mmio_base (a
    device without `bus=` would land on the last one, 0xa003e00)."""
    images = _images(tmp_path)
    desc: dict[str, Any] = m6_qemu_args.load(_qemu_file(tmp_path, built / "manifest.json", images))
    found = _qtree_blk(m6_qemu_args.arguments(desc))
    assert sorted(found) == sorted((d["name"], d["mmio_base"]) for d in WANT)


# ---- NVMe disks: `disk NAME image "KEY" via CLAIM` --------------------------------------

NVME_SPEC = """system n on qemu-virt {
    component bus {
        binary   "bus" priority 200
        untyped  ecam 256 MiB at 0x4010000000
        endpoint pci
        pci_bus  pci
    }
    component drv {
        binary   "drv" priority 100
        pci bus claims class 0x010802 as NVME
        disk     d0 image "disk" via NVME size 1 MiB
    }
}
"""


def test_nvme_disk(tmp_path: Path, fixture_elf: Path) -> None:
    """A disk via the driver's claim of NVMe controllers: in the manifest as kind nvme,
    attached as a controller of its own (no virtio global), and QEMU places it on the
    root bus with the drive (checked on this QEMU)."""
    spec = tmp_path / "n.m6"
    spec.write_text(NVME_SPEC)
    out = tmp_path / "n"
    result = run("build", str(spec), f"--elf=drv={fixture_elf}", f"--elf=bus={fixture_elf}", "--out", str(out))
    assert result.status == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["disks"] == [{
        "name": "d0", "component": "drv", "image_key": "disk", "read_only": False, "size": 1 << 20,
        "device": "NVME", "device_path": "", "mmio_base": 0, "transport": -1, "kind": "nvme"}]
    image = tmp_path / "d,0.img"
    image.write_bytes(bytes(1 << 20))
    desc = m6_qemu_args.load(_qemu_file(tmp_path, out / "manifest.json", {"disk": image}))
    assert desc["args"] == ["-drive", f"if=none,id=d0,file={tmp_path}/d,,0.img,format=raw",
                            "-device", "nvme,drive=d0,serial=d0"]
    qemu = shutil.which("qemu-system-aarch64")
    if qemu is None:
        pytest.skip("qemu-system-aarch64 not installed")
    proc = subprocess.run([qemu, "-M", "virt", "-nodefaults", "-display", "none", "-S", "-monitor", "stdio",
                           *desc["args"]], input="info pci\nquit\n", capture_output=True, text=True, timeout=60)
    assert re.search(r"Bus\s+0, device\s+1, function 0:\s+Class 0264: PCI device 1b36:0010", proc.stdout), \
        proc.stdout + proc.stderr
