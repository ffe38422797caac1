"""The parsed form of a system spec: plain dataclasses, one per construct.

The parser keeps every statement in source order, including duplicates and
nonsense values, and leaves judging them to checks.py. That way one run can report
every problem, and the cap slot order (declaration order) falls out of the list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from m6capdl.diagnostics import Span


@dataclass(frozen=True)
class Ident:
    """A name together with where it was written."""

    text: str
    span: Span


@dataclass(frozen=True)
class Number:
    value: int
    span: Span
    text: str = ""  # as written, for messages


@dataclass(frozen=True)
class Statement:
    """Base of every statement inside a component; `span` covers the whole statement
    when it sits on one line, else its keyword."""

    span: Span

    keyword = ""


@dataclass(frozen=True)
class BinaryStmt(Statement):
    name: str
    name_span: Span

    keyword = "binary"


@dataclass(frozen=True)
class PriorityStmt(Statement):
    value: Number

    keyword = "priority"


@dataclass(frozen=True)
class StackStmt(Statement):
    size: Number  # in bytes, unit already applied; span covers number and unit

    keyword = "stack"


@dataclass(frozen=True)
class EndpointStmt(Statement):
    name: Ident

    keyword = "endpoint"


@dataclass(frozen=True)
class EndpointCapStmt(Statement):
    """`call c.e as N badge b` or `send c.e as N [badge b]`."""

    kind: str  # "call" or "send"
    component: Ident
    endpoint: Ident
    alias: Ident
    badge: Number | None
    grant: bool = False  # the holder may pass caps to the receiver
    # `window SIZE`: memory shared by the caller and the server alone (windows.py); the
    # grammar takes it on `send` too, and checks refuse it there.
    window: Number | None = None

    @property
    def keyword(self) -> str:  # type: ignore[override]
        return self.kind


@dataclass(frozen=True)
class SyscapStmt(Statement):
    name: Ident

    keyword = "syscap"


@dataclass(frozen=True)
class MaxPriorityStmt(Statement):
    value: Number

    keyword = "max_priority"


@dataclass(frozen=True)
class MaxTimesliceStmt(Statement):
    """The longest timeslice (microseconds) the main thread may give any thread."""
    value: Number

    keyword = "max_timeslice"


@dataclass(frozen=True)
class CpuStmt(Statement):
    """The CPU (index, 0 = the boot CPU) a thread runs on; at component level, the CPU of
    every thread of the component that says none."""
    value: Number

    keyword = "cpu"


@dataclass(frozen=True)
class LinuxStmt(Statement):
    """Marks a thread (or the main thread, at component level) as running Linux binaries."""

    keyword = "linux"


@dataclass(frozen=True)
class UntypedStmt(Statement):
    name: Ident
    size: Number  # bytes, unit applied
    paddr: Number | None = None  # `at PADDR`: device untyped (MMIO outside RAM)

    keyword = "untyped"


@dataclass(frozen=True)
class MapStmt(Statement):
    """`map MEM [rights] [at VADDR] [as NAME]`: map a system memory region."""

    memory: Ident
    rights: Ident | None
    vaddr: Number | None
    alias: Ident | None

    keyword = "map"

    @property
    def name(self) -> Ident:
        return self.alias or self.memory


@dataclass(frozen=True)
class WindowMapStmt(MapStmt):
    """The mapping of a call's window (windows.py adds it, never the parser): in the caller
    (`endpoint` None), or in the server, where `endpoint` and `badge` say whose it is."""

    client: str = ""        # the calling component
    cap: str = ""           # its call cap's name as written (`as N`)
    endpoint: str | None = None
    badge: int = 0


@dataclass(frozen=True)
class HeapStmt(Statement):
    size: Number

    keyword = "heap"


@dataclass(frozen=True)
class DeviceStmt(Statement):
    """`device NAME "/path"` or `device NAME compatible "str" [index N]`."""

    name: Ident
    path: str | None
    compatible: str | None
    selector_span: Span
    index: Number | None

    keyword = "device"


@dataclass(frozen=True)
class IrqStmt(Statement):
    number: Number
    name: Ident
    edge: bool

    keyword = "irq"


@dataclass(frozen=True)
class ArgsStmt(Statement):
    """`args "a" "b" ...`: the strings main() gets after argv[0], the component's name."""

    values: tuple[str, ...]
    value_spans: tuple[Span, ...]

    keyword = "args"


@dataclass(frozen=True)
class AsidPoolStmt(Statement):
    """`asid_pool COUNT`: an ASIDPool of COUNT ASIDs, for VSpaces made at run time."""

    count: Number

    keyword = "asid_pool"


@dataclass(frozen=True)
class MountStmt(Statement):
    """`mount "PATH" tmpfs [SIZE] | initrd MAPPING | remote CAP [ro]` (mounts.py)."""

    path: str
    path_span: Span
    kind: str               # "tmpfs", "initrd" or "remote"
    kind_span: Span
    size: Number | None     # tmpfs: its limit in bytes (unit applied); None: the default
    target: Ident | None    # initrd: a mapping of the component; remote: a call cap's name
    ro: bool

    keyword = "mount"


@dataclass(frozen=True)
class DiskStmt(Statement):
    """`disk NAME image "KEY" via DEVICE [ro] [size SIZE]` (disks.py): a disk image QEMU
    attaches to the virtio-mmio transport of the component's device DEVICE."""

    name: Ident
    key: str                # the image's key: m6_add_system(... DISKS KEY=PATH)
    key_span: Span
    device: Ident           # a `device` statement of the component
    ro: bool
    size: Number | None     # bytes, unit applied: the size the image must have

    keyword = "disk"


@dataclass(frozen=True)
class PciMatch:
    """What a PCI claim (or an assertion) names: `class C` (the 24-bit class code) or
    `vendor V [device D]`."""

    kind: str               # "class" or "vendor"
    value: Number           # the class code, or the vendor ID
    device: Number | None   # vendor: the device ID, None: any device of the vendor
    span: Span

    def describe(self) -> str:
        if self.kind == "class":
            return f"class 0x{self.value.value:06x}"
        if self.device is None:
            return f"vendor 0x{self.value.value:04x}"
        return f"vendor 0x{self.value.value:04x} device 0x{self.device.value:04x}"

    def overlaps(self, other: PciMatch) -> bool:
        """Whether one function could match both: equal classes, a vendor and that
        vendor's device (or the same device), or a class and a vendor rule (the class of
        a vendor's devices is not known before boot)."""
        if self.kind != other.kind:
            return True
        if self.kind == "class":
            return self.value.value == other.value.value
        if self.value.value != other.value.value:
            return False
        return self.device is None or other.device is None or self.device.value == other.device.value


@dataclass(frozen=True)
class PciClaimStmt(Statement):
    """`pci [BUS] claims MATCH as NAME` (pci.py): a call cap NAME to the bus's endpoint,
    with a badge of the compiler's that the bus's table maps to MATCH."""

    bus: Ident | None       # None: the system's only bus
    match: PciMatch
    alias: Ident

    keyword = "pci"


@dataclass(frozen=True)
class PciBusStmt(Statement):
    """`pci_bus ENDPOINT`: this component is a PCI bus serving claims on ENDPOINT."""

    endpoint: Ident

    keyword = "pci_bus"


@dataclass(frozen=True)
class CNodeBitsStmt(Statement):
    value: Number

    keyword = "cnode_bits"


@dataclass(frozen=True)
class NotificationStmt(Statement):
    name: Ident

    keyword = "notification"


@dataclass(frozen=True)
class TimerStmt(Statement):
    """`timer NAME`: a Timer object owned by the component (sleeps, timeouts)."""

    name: Ident

    keyword = "timer"


@dataclass(frozen=True)
class SignalStmt(Statement):
    """`signal c.n as N badge b`: a WRITE cap to another component's notification. The
    grammar takes it without a badge; checks.py requires a non-zero one."""

    component: Ident
    notification: Ident
    alias: Ident
    badge: Number | None

    keyword = "signal"


@dataclass(frozen=True)
class FaultStmt(Statement):
    """`fault c.e [badge b]`: where the faults of a thread (or of every thread of a
    component without a `fault` of its own) are delivered."""

    component: Ident
    endpoint: Ident
    badge: Number | None

    keyword = "fault"


@dataclass(frozen=True)
class RestartStmt(FaultStmt):
    """`restart by c.e`: the component's faults (and exits) go to endpoint `e` of its
    supervisor `c`, which rebuilds and restarts it (docs/supervision.md). A fault statement
    whose badge the compiler chooses (resolved.py): every check on `fault` applies."""

    keyword = "restart"


@dataclass(frozen=True)
class EntryStmt(Statement):
    symbol: str
    symbol_span: Span

    keyword = "entry"


@dataclass(frozen=True)
class ThreadStmt(Statement):
    """`thread NAME { ... }`: one more thread in the component's address space."""

    name: Ident
    statements: tuple[Statement, ...]

    keyword = "thread"

    def first(self, kind: type[Statement]) -> Statement | None:
        for stmt in self.statements:
            if isinstance(stmt, kind):
                return stmt
        return None


@dataclass(frozen=True)
class MemoryDecl:
    """`memory NAME SIZE [rights]` at system level."""

    span: Span
    name: Ident
    size: Number
    rights: Ident | None  # the most any mapping may ask for; default rw (a file's: r)
    # `memory NAME file "KEY"`: its contents are the file given as --file KEY=PATH, mapped
    # in place from the boot image (files.py fills in `path`, `length` and `size`).
    file: str | None = None
    file_span: Span | None = None
    path: str = ""
    length: int = 0       # the file's exact length in bytes

    @property
    def max_rights(self) -> str:
        """The most any mapping may ask for."""
        if self.rights is not None:
            return self.rights.text
        return "r" if self.file is not None else "rw"


@dataclass(frozen=True)
class ChannelDecl:
    """`channel NAME from PRODUCER to CONSUMER depth N [data SIZE]` at system level: a
    queue in memory both components map, and a notification each that the other signals
    (channels.py expands it into those statements)."""

    span: Span
    name: Ident
    producer: Ident
    consumer: Ident
    depth: Number
    data: Number | None  # bytes, unit applied; None: no data area


@dataclass(frozen=True)
class Include:
    span: Span
    path: str
    path_span: Span


@dataclass(frozen=True)
class Target:
    """What an assertion talks about: a component, one of its objects, or a memory region."""

    component: Ident | None
    name: Ident | None
    memory: Ident | None
    span: Span
    pci: PciMatch | None = None  # `pci MATCH`: the PCI functions matching it

    def describe(self) -> str:
        if self.pci is not None:
            return f"PCI functions matching {self.pci.describe()}"
        if self.memory is not None:
            return f"memory '{self.memory.text}'"
        assert self.component is not None
        if self.name is not None:
            return f"'{self.component.text}.{self.name.text}'"
        return f"component '{self.component.text}'"


@dataclass(frozen=True)
class Assertion:
    span: Span
    subject: Ident
    negative: bool  # `cannot reach`
    target: Target


@dataclass
class Component:
    name: Ident
    statements: list[Statement] = field(default_factory=list)
    # Filled by checks.py: each `device` statement's name -> its device-tree node, and the
    # system's memory declarations: resolve() reads them (resolved.py).
    devices: dict[str, Any] = field(default_factory=dict)
    memories: dict[str, MemoryDecl] = field(default_factory=dict)
    # Filled by resources.mark_dma: the objects of this component that can master DMA with
    # no IOMMU in front of them ("device_X", "untyped_X"), each with why, in words.
    dma: dict[str, str] = field(default_factory=dict)

    def first(self, kind: type[Statement]) -> Statement | None:
        for stmt in self.statements:
            if isinstance(stmt, kind):
                return stmt
        return None

    @property
    def binary(self) -> str:
        stmt = self.first(BinaryStmt)
        assert isinstance(stmt, BinaryStmt), "checked before layout"
        return stmt.name

    @property
    def priority(self) -> int:
        stmt = self.first(PriorityStmt)
        assert isinstance(stmt, PriorityStmt), "checked before layout"
        return stmt.value.value

    @property
    def stack_size(self) -> int:
        stmt = self.first(StackStmt)
        return stmt.size.value if isinstance(stmt, StackStmt) else DEFAULT_STACK_SIZE

    @property
    def max_priority(self) -> int:
        stmt = self.first(MaxPriorityStmt)
        return stmt.value.value if isinstance(stmt, MaxPriorityStmt) else self.priority

    @property
    def max_timeslice(self) -> int:
        """Microseconds; 0: the kernel's default timeslice."""
        stmt = self.first(MaxTimesliceStmt)
        return stmt.value.value if isinstance(stmt, MaxTimesliceStmt) else 0

    @property
    def endpoints(self) -> list[EndpointStmt]:
        return [s for s in self.statements if isinstance(s, EndpointStmt)]

    @property
    def notifications(self) -> list[NotificationStmt]:
        return [s for s in self.statements if isinstance(s, NotificationStmt)]

    @property
    def timers(self) -> list[TimerStmt]:
        return [s for s in self.statements if isinstance(s, TimerStmt)]

    @property
    def threads(self) -> list[ThreadStmt]:
        return [s for s in self.statements if isinstance(s, ThreadStmt)]


@dataclass
class System:
    name: Ident
    platform: Ident
    components: list[Component] = field(default_factory=list)
    memories: list[MemoryDecl] = field(default_factory=list)
    assertions: list[Assertion] = field(default_factory=list)
    includes: list[Include] = field(default_factory=list)
    channels: list[ChannelDecl] = field(default_factory=list)
    # Set once channels.expand() has added each channel's statements (checking twice
    # must not add them twice).
    channels_expanded: bool = field(default=False, compare=False)
    # The channels without errors, expanded (resolve() records them).
    sound_channels: list[ChannelDecl] = field(default_factory=list, compare=False)
    # Set once windows.expand() has added each window's memory and mappings.
    windows_expanded: bool = field(default=False, compare=False)
    # Set once pci.expand() has given each sound claim its call cap; the sound claims as
    # (claimant, its statement, the bus component's name, the badge).
    pci_expanded: bool = field(default=False, compare=False)
    pci_claims: list[Any] = field(default_factory=list, compare=False)
    # The sound `disk` statements, as resolved.Disk records (disks.check fills it).
    disks: list[Any] = field(default_factory=list, compare=False)
    # How the top-level spec is named (its spans carry no file name): for hints that point
    # into it from an included file. Set by the CLI.
    file: str = field(default="", compare=False)

    def component(self, name: str) -> Component | None:
        for comp in self.components:
            if comp.name.text == name:
                return comp
        return None


DEFAULT_STACK_SIZE = 16 * 1024
