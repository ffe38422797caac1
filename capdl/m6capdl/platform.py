"""What the compiler knows of a platform: its device tree (RAM, devices, interrupts).

A platform directory `platforms/NAME/` may hold `NAME.dts`, the device tree the machine
boots with. It is compiled with `dtc` and read with pylibfdt once per run. Properties are
walked, never probed by name: pylibfdt 1.6 aborts the interpreter at exit after many
lookups of missing properties.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from m6capdl.diagnostics import FileError

GIC_SPI_BASE, GIC_PPI_BASE = 32, 16
MAX_INTERRUPT_ID = 1019  # GIC: 1020..1023 are special
# Physical addresses: 48 bits, the most AArch64 translation tables with 4 KiB pages can
# address (without FEAT_LPA2). No platform description says otherwise today.
PHYS_ADDR_BITS = 48

# What the kernel drives itself (kernel/core/main.c finds them in the DTB by these
# compatible strings): never handed to a component. The PL011 is not among them: the
# kernel's early debug console writes to it, but a component may drive it (examples/shell).
KERNEL_DEVICES: dict[str, str] = {
    "arm,gic-v3": "the interrupt controller (GICv3 distributor and redistributors)",
    "arm,armv8-timer": "the architected timer (the kernel's tick and Timer objects)",
    "arm,armv7-timer": "the architected timer (the kernel's tick and Timer objects)",
    "arm,psci-1.0": "the PSCI firmware interface (power off, reset)",
    "arm,psci-0.2": "the PSCI firmware interface (power off, reset)",
    "arm,psci": "the PSCI firmware interface (power off, reset)",
}


@dataclass
class Node:
    path: str
    props: dict[str, bytes]
    parent: Node | None
    children: list[Node] = field(default_factory=list)

    def cells(self, name: str) -> list[int]:
        data = self.props.get(name, b"")
        return [int.from_bytes(data[i:i + 4], "big") for i in range(0, len(data) - 3, 4)]

    def strings(self, name: str) -> list[str]:
        data = self.props.get(name)
        if data is None:
            return []
        return [s.decode("utf-8", "replace") for s in data.rstrip(b"\0").split(b"\0")]

    def int_prop(self, name: str, default: int) -> int:
        cells = self.cells(name)
        return cells[0] if cells else default


@dataclass(frozen=True)
class Reg:
    paddr: int
    size: int


@dataclass(frozen=True)
class Interrupt:
    id: int          # GIC interrupt ID
    edge: bool

    @property
    def badge(self) -> int:
        """How an IRQ_HANDLER boot cap encodes it: the ID, bit 32 for edge-triggered."""
        return self.id | (1 << 32 if self.edge else 0)


@dataclass(frozen=True)
class Device:
    node: Node
    regs: tuple[Reg, ...]
    interrupts: tuple[Interrupt, ...]
    problem: str | None = None  # why its interrupts could not be read, if so


class DeviceTree:
    def __init__(self, root: Node) -> None:
        self.root = root
        self.nodes: dict[str, Node] = {}
        self.by_phandle: dict[int, Node] = {}
        stack = [root]
        while stack:
            node = stack.pop()
            self.nodes[node.path] = node
            for key in ("phandle", "linux,phandle"):
                if key in node.props:
                    self.by_phandle[node.cells(key)[0]] = node
            stack.extend(reversed(node.children))

    def memory(self) -> list[Reg]:
        """RAM banks: the `reg` of every node with device_type = "memory"."""
        banks: list[Reg] = []
        for node in self.nodes.values():
            if node.strings("device_type") == ["memory"]:
                banks.extend(self.regs(node))
        return sorted(banks, key=lambda r: r.paddr)

    def kernel_owned(self, node: Node) -> str | None:
        """What the node is, if the kernel owns it: one of KERNEL_DEVICES, any interrupt
        controller, or a part of one (the GIC's ITS)."""
        cur: Node | None = node
        while cur is not None and cur.parent is not None:
            what = next((KERNEL_DEVICES[c] for c in cur.strings("compatible") if c in KERNEL_DEVICES), None)
            if what is None and "interrupt-controller" in cur.props:
                what = "an interrupt controller"
            if what is not None:
                return what if cur is node else f"part of {what}"
            cur = cur.parent
        return None

    def with_compatible(self, compatible: str) -> list[Node]:
        return [n for n in self.nodes.values() if compatible in n.strings("compatible")]

    def regs(self, node: Node) -> list[Reg]:
        parent = node.parent
        acells = parent.int_prop("#address-cells", 2) if parent else 2
        scells = parent.int_prop("#size-cells", 1) if parent else 1
        cells = node.cells("reg")
        step = acells + scells
        out = []
        for i in range(0, len(cells) - step + 1, step if step else 1):
            out.append(Reg(_join(cells[i:i + acells]), _join(cells[i + acells:i + step])))
            if not step:
                break
        return out

    def bus_windows(self, node: Node) -> list[Reg]:
        """The parent-bus side of a bus node's `ranges` (a PCIe host bridge's I/O and
        memory windows, where its devices' BARs appear)."""
        parent = node.parent
        child_cells = node.int_prop("#address-cells", 2)
        parent_cells = parent.int_prop("#address-cells", 2) if parent else 2
        size_cells = node.int_prop("#size-cells", 1)
        step = child_cells + parent_cells + size_cells
        cells = node.cells("ranges")
        out = []
        for i in range(0, len(cells) - step + 1, step if step else 1):
            paddr = _join(cells[i + child_cells:i + child_cells + parent_cells])
            size = _join(cells[i + child_cells + parent_cells:i + step])
            if size:
                out.append(Reg(paddr, size))
            if not step:
                break
        return out

    def interrupt_parent(self, node: Node) -> Node | None:
        cur: Node | None = node
        while cur is not None:
            if "interrupt-parent" in cur.props:
                return self.by_phandle.get(cur.cells("interrupt-parent")[0])
            cur = cur.parent
        return None

    def device(self, node: Node) -> Device:
        regs = tuple(self.regs(node))
        if "interrupts" not in node.props:
            return Device(node, regs, ())
        gic = self.interrupt_parent(node)
        if gic is None or not any(c.startswith(("arm,gic", "arm,cortex-a15-gic")) for c in gic.strings("compatible")):
            return Device(node, regs, (), "its interrupt controller is not a GIC")
        ncells = gic.int_prop("#interrupt-cells", 3)
        cells = node.cells("interrupts")
        if ncells < 3:
            return Device(node, regs, (), "its interrupt specifiers are not GIC triples")
        irqs = []
        for i in range(0, len(cells) - ncells + 1, ncells):
            kind, number, flags = cells[i:i + 3]
            base = GIC_SPI_BASE if kind == 0 else GIC_PPI_BASE
            irqs.append(Interrupt(base + number, bool(flags & 0x3)))
        return Device(node, regs, tuple(irqs))


def _join(cells: list[int]) -> int:
    value = 0
    for cell in cells:
        value = (value << 32) | cell
    return value


@dataclass(frozen=True)
class DmaRule:
    """A kind of device that masters DMA (platforms/P/devices.toml, [[dma]])."""

    compatible: str
    what: str
    iommu: bool


def devices_path(platform_dir: Path, platform: str) -> Path:
    return platform_dir / platform / "devices.toml"


@functools.lru_cache(maxsize=8)
def load_dma_rules(path: Path) -> tuple[DmaRule, ...]:
    """The [[dma]] entries of a platform's devices.toml; none if the platform has no such
    file. FileError if it cannot be read or says something else than documented."""
    if not path.is_file():
        return ()
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise FileError(str(path), exc.strerror or str(exc)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise FileError(str(path), f"not valid TOML ({exc})") from None
    unknown = sorted(set(data) - {"dma"})
    if unknown:
        raise FileError(str(path), f"unknown table '{unknown[0]}' (known: dma)")
    rules = []
    entries = data.get("dma", [])
    if not isinstance(entries, list):
        raise FileError(str(path), "'dma' must be an array of tables ([[dma]])")
    for i, entry in enumerate(entries):
        where = f"[[dma]] entry {i + 1}"
        if not isinstance(entry, dict):
            raise FileError(str(path), f"{where} is not a table")
        extra = sorted(set(entry) - {"compatible", "what", "iommu"})
        if extra:
            raise FileError(str(path), f"{where}: unknown key '{extra[0]}' (known: compatible, what, iommu)")
        compatible, what, iommu = entry.get("compatible"), entry.get("what", ""), entry.get("iommu", False)
        if not isinstance(compatible, str) or not compatible:
            raise FileError(str(path), f"{where}: 'compatible' must be a non-empty string")
        if not isinstance(what, str) or not isinstance(iommu, bool):
            raise FileError(str(path), f"{where}: 'what' must be a string and 'iommu' true or false")
        rules.append(DmaRule(compatible, what or "it masters DMA", iommu))
    return tuple(rules)


MAX_CPUS = 8  # the kernel's compile-time maximum (kernel/include/kernel/scheduler.h)


@functools.lru_cache(maxsize=8)
def load_cpu_count(platform_dir: Path, platform: str) -> int:
    """`cpus` of a platform's machine.toml: how many CPUs it can have (1 without the file).
    FileError if it cannot be read or says something else than documented."""
    path = platform_dir / platform / "machine.toml"
    if not path.is_file():
        return 1
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise FileError(str(path), exc.strerror or str(exc)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise FileError(str(path), f"not valid TOML ({exc})") from None
    unknown = sorted(set(data) - {"cpus"})
    if unknown:
        raise FileError(str(path), f"unknown key '{unknown[0]}' (known: cpus)")
    cpus = data.get("cpus", 1)
    if not isinstance(cpus, int) or isinstance(cpus, bool) or not 1 <= cpus <= MAX_CPUS:
        raise FileError(str(path), f"'cpus' must be a whole number from 1 to {MAX_CPUS}")
    return cpus


def dma_rule(rules: tuple[DmaRule, ...], node: Node) -> DmaRule | None:
    """The rule that makes `node` a DMA master, if one does."""
    compatibles = node.strings("compatible")
    return next((r for r in rules if r.compatible in compatibles), None)


def dts_path(platform_dir: Path, platform: str) -> Path:
    return platform_dir / platform / f"{platform}.dts"


@functools.lru_cache(maxsize=8)
def load_tree(path: Path) -> DeviceTree:
    """Compile `path` (.dts) with dtc and read it. FileError on any problem."""
    import libfdt  # imported here: a spec without devices should not need it

    dtc = shutil.which("dtc")
    if dtc is None:
        raise FileError(str(path), "dtc (device-tree-compiler) is not installed")
    proc = subprocess.run([dtc, "-q", "-I", "dts", "-O", "dtb", str(path)], capture_output=True)
    if proc.returncode != 0:
        first = proc.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
        raise FileError(str(path), "dtc failed: " + (first[0] if first else f"status {proc.returncode}"))
    try:
        fdt = libfdt.Fdt(proc.stdout)
        return DeviceTree(_walk(fdt, 0, "/", None))
    except libfdt.FdtException as exc:
        raise FileError(str(path), f"malformed device tree ({exc})") from None


def _walk(fdt: object, offset: int, path: str, parent: Node | None) -> Node:
    import libfdt

    quiet = [libfdt.NOTFOUND]
    props: dict[str, bytes] = {}
    poff = fdt.first_property_offset(offset, quiet)  # type: ignore[attr-defined]
    while poff >= 0:
        prop = fdt.get_property_by_offset(poff)  # type: ignore[attr-defined]
        props[prop.name] = bytes(prop)
        poff = fdt.next_property_offset(poff, quiet)  # type: ignore[attr-defined]
    node = Node(path, props, parent)
    child = fdt.first_subnode(offset, quiet)  # type: ignore[attr-defined]
    while child >= 0:
        name = fdt.get_name(child)  # type: ignore[attr-defined]
        node.children.append(_walk(fdt, child, path.rstrip("/") + "/" + name, node))
        child = fdt.next_subnode(child, quiet)  # type: ignore[attr-defined]
    return node


def ram_in(banks: list[Reg], paddr: int, size: int) -> bool:
    return any(paddr < b.paddr + b.size and b.paddr < paddr + size for b in banks)
