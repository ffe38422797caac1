"""Disks: `disk NAME image "KEY" via DEVICE [ro] [size SIZE]`.

A system declares the disk images QEMU attaches, each at the virtio-mmio transport that
the driver serving it holds with a `device` statement, or as the namespace of an NVMe
controller on the PCIe bus, when DEVICE is the driver's claim of NVMe controllers
(`pci [BUS] claims class 0x010802 as DEVICE`: docs/devices.md, "NVMe driver"). The statement changes nothing on
the running system: the driver holds the transport already (its registers and its
interrupt), and a disk is only what the host plugs into it. So it adds no object, cap or
mapping, and the authority analysis is that of the spec without it. What it gives is an
output: the manifest's `disks`, from which cmake/m6_qemu_args.py writes the QEMU
arguments of the system (`-drive ... -device virtio-blk-device,...,bus=virtio-mmio-bus.N`),
so that no test script or run target has to know which transport a driver was given.

QEMU's virt machine numbers its virtio-mmio buses by address: the transport at the lowest
address is virtio-mmio-bus.0 (0x0a000000 on qemu-virt, then +0x200 each). A device given
without `bus=` lands on the highest one, which is why every disk here names its bus.

An NVMe disk is a controller of its own (`-device nvme,drive=NAME,serial=NAME`) that QEMU
places in the root bus's next free slot; the bus component finds it when it enumerates
and hands it to the claim. One disk per claim: the driver drives the first controller its
claim matches. `ro` is refused for NVMe: the driver does not read a namespace's write
protection yet, so a read-only image would fail writes with I/O errors instead of erofs.
"""

from __future__ import annotations

import re

from m6capdl import model, platform, resolved, resources
from m6capdl.diagnostics import Diagnostic, error, line_of

VIRTIO_MMIO = "virtio,mmio"
NVME_CLASS = 0x010802        # PCI class code of NVM Express controllers
QEMU_NVME = (0x1B36, 0x0010)  # QEMU's NVMe controller: vendor, device
SECTOR = 512                 # virtio-blk counts in 512-byte sectors
MAX_DISK_SIZE = 1 << 40      # 1 TiB: any bound will do, so that no size is unbounded
_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*")   # as a file key (files.py)


def transports(tree: platform.DeviceTree) -> list[platform.Node]:
    """The platform's virtio-mmio transports in QEMU's bus order: by address."""
    nodes = [n for n in tree.with_compatible(VIRTIO_MMIO) if tree.regs(n)]
    return sorted(nodes, key=lambda n: tree.regs(n)[0].paddr)


def _claims_nvme(match: model.PciMatch) -> bool:
    """Whether a claim can only match NVMe controllers."""
    if match.kind == "class":
        return match.value.value == NVME_CLASS
    return (match.value.value, match.device.value if match.device is not None else None) == QEMU_NVME


def _objects(comp: model.Component) -> list[tuple[str, str]]:
    """(kind, name) of the component's objects other than devices, in words."""
    kinds = ((model.EndpointStmt, "an endpoint"), (model.NotificationStmt, "a notification"),
             (model.TimerStmt, "a timer"), (model.UntypedStmt, "an untyped pool"),
             (model.ThreadStmt, "a thread"), (model.IrqStmt, "an irq"))
    return [(word, s.name.text) for s in comp.statements for kind, word in kinds if isinstance(s, kind)]


def check(system: model.System, tree: platform.DeviceTree | None, diags: list[Diagnostic]) -> None:
    """Judge every disk statement; record the sound ones in `system.disks` (resolve() hands
    them on to the manifest). Runs after the devices are looked up (comp.devices)."""
    order = {n.path: i for i, n in enumerate(transports(tree))} if tree is not None else {}
    names: dict[str, model.DiskStmt] = {}
    keys: dict[str, model.DiskStmt] = {}
    found: list[resolved.Disk] = []
    for comp in system.components:
        cname = comp.name.text
        devices = {s.name.text: s for s in comp.statements if isinstance(s, model.DeviceStmt)}
        claims = {s.alias.text: s for s in comp.statements if isinstance(s, model.PciClaimStmt)}
        carried: dict[str, model.DiskStmt] = {}  # device name -> the disk it carries
        for stmt in comp.statements:
            if not isinstance(stmt, model.DiskStmt):
                continue
            sound = True
            name = stmt.name.text
            if not name[0].isalpha():
                diags.append(error(f"disk name '{name}' does not start with a letter", stmt.name.span,
                                   "it is the drive's id on QEMU's command line, which must start with a letter"))
                sound = False
            first = names.setdefault(name, stmt)
            if first is not stmt:
                diags.append(error(f"duplicate disk '{name}'", stmt.name.span,
                                   f"first declared at {line_of(first.name.span, stmt.name.span, system.file)}; "
                                   f"a disk's name is its drive's id, unique in the system"))
                sound = False
            if not _KEY.fullmatch(stmt.key):
                diags.append(error(f"invalid image key \"{stmt.key}\"", stmt.key_span,
                                   "use letters, digits and _ . + - (it names the image given with "
                                   "m6_add_system(... DISKS KEY=PATH))"))
                sound = False
            else:
                other = keys.setdefault(stmt.key, stmt)
                if other is not stmt:
                    diags.append(error(f"image \"{stmt.key}\" is attached twice: disk '{other.name.text}' "
                                       f"has it already", stmt.key_span,
                                       f"disk '{other.name.text}' is at "
                                       f"{line_of(other.key_span, stmt.key_span, system.file)}; QEMU locks an "
                                       f"image it writes, so each disk needs an image of its own"))
                    sound = False
            if stmt.size is not None:
                size = stmt.size.value
                if size == 0 or size % SECTOR:
                    diags.append(error(f"disk size {resources.size_text(size)} is not a non-zero multiple "
                                       f"of {SECTOR} bytes", stmt.size.span,
                                       "virtio-blk counts a disk in 512-byte sectors"))
                    sound = False
                elif size > MAX_DISK_SIZE:
                    diags.append(error(f"disk size {resources.size_text(size)} exceeds "
                                       f"{resources.size_text(MAX_DISK_SIZE)}", stmt.size.span))
                    sound = False
            dname = stmt.device.text
            decl = devices.get(dname)
            device = comp.devices.get(dname)
            claim = claims.get(dname)
            if decl is None and claim is not None:
                if not _claims_nvme(claim.match):
                    diags.append(error(f"'{dname}' claims {claim.match.describe()}, not NVMe controllers",
                                       stmt.device.span,
                                       f"a disk on the PCIe bus is an NVMe controller's namespace: claim "
                                       f"'class 0x{NVME_CLASS:06x}' (or QEMU's vendor 0x{QEMU_NVME[0]:04x} "
                                       f"device 0x{QEMU_NVME[1]:04x})"))
                    continue
                if stmt.ro:
                    diags.append(error(f"disk '{name}' on NVMe cannot be ro", stmt.span,
                                       "the NVMe driver does not read a namespace's write protection yet: "
                                       "writes would fail with I/O errors, not erofs"))
                    continue
                first_disk = carried.setdefault(dname, stmt)
                if first_disk is not stmt:
                    diags.append(error(f"claim '{dname}' carries disk '{first_disk.name.text}' already",
                                       stmt.device.span,
                                       f"disk '{first_disk.name.text}' is at "
                                       f"{line_of(first_disk.span, stmt.span, system.file)}; the driver drives "
                                       f"one controller per claim"))
                    continue
                if sound:
                    found.append(resolved.Disk(name, cname, stmt.key, stmt.ro,
                                               stmt.size.value if stmt.size is not None else None, dname, "",
                                               0, -1, stmt.span, kind="nvme"))
                continue
            if decl is None:
                have = sorted(devices)
                kind = next((k for k, n in _objects(comp) if n == dname), None)
                what = f"'{dname}' of component '{cname}' is {kind}, not a device" if kind else \
                    f"component '{cname}' has no device '{dname}'"
                diags.append(error(what, stmt.device.span,
                                   f"a disk is attached through a device of its driver (or its claim of "
                                   f"NVMe controllers): "
                                   + (f"its devices are: {', '.join(have)}" if have else
                                      f"declare one, e.g. 'device {dname} compatible \"{VIRTIO_MMIO}\" index 0'")))
                continue
            if device is None:
                continue  # the device statement has an error of its own
            node = device.node
            if VIRTIO_MMIO not in node.strings("compatible"):
                said = ", ".join(f'"{c}"' for c in node.strings("compatible")) or "none"
                diags.append(error(f"device '{dname}' ('{node.path}') is not a virtio-mmio transport",
                                   stmt.device.span,
                                   f"its compatible strings are {said}; a disk is a virtio-blk device, "
                                   f"attached to a transport compatible with \"{VIRTIO_MMIO}\""))
                continue
            first_disk = carried.setdefault(dname, stmt)
            if first_disk is not stmt:
                diags.append(error(f"device '{dname}' carries disk '{first_disk.name.text}' already",
                                   stmt.device.span,
                                   f"disk '{first_disk.name.text}' is at "
                                   f"{line_of(first_disk.span, stmt.span, system.file)}; a virtio-mmio transport "
                                   f"holds one device: give this disk another transport"))
                continue
            if sound and node.path in order:
                found.append(resolved.Disk(name, cname, stmt.key, stmt.ro,
                                           stmt.size.value if stmt.size is not None else None, dname, node.path,
                                           device.regs[0].paddr, order[node.path], stmt.span))
    system.disks = found
