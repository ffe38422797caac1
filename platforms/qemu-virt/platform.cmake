# QEMU virt: cortex-a72, GICv3, 1 GiB. dtb-randomness=off keeps the DTB identical from
# run to run (no random seeds in /chosen), so boots are reproducible. -nic none: without it
# QEMU adds a default virtio NIC whose option ROM (efi-virtio.rom, Debian's ipxe-qemu) a
# minimal install lacks, and a system gets no device its spec did not ask for.
# iommu=smmuv3: an SMMUv3 in front of PCIe, so a PCI device's DMA reaches only what its
# IOSpace maps (docs/devices.md, "DMA isolation"); devices.toml says so (`iommu = true` for
# the host bridge), and the spec analysis relies on it. M6_QEMU_ARGS_NO_SMMU is the same
# machine without it, for the tests of what happens with no SMMU.
set(M6_QEMU_SYSTEM qemu-system-aarch64)
set(M6_QEMU_ARGS_NO_SMMU
	-M virt,gic-version=3,dtb-randomness=off
	-cpu cortex-a72
	-m 1G
	-nographic
	-nic none
	-no-reboot)
set(M6_QEMU_ARGS
	-M virt,gic-version=3,dtb-randomness=off,iommu=smmuv3
	-cpu cortex-a72
	-m 1G
	-nographic
	-nic none
	-no-reboot)
# CPUs for `make run` and `make debug` (the tests choose their own: one, and 2, 4, 8 in the
# .smpN variants): QEMU's -smp. The kernel starts every CPU the DTB lists.
set(M6_QEMU_CPUS 4)
