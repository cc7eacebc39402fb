# guest.mk - extra files for the lab image that scenarios run inside vfvm's Linux guest; included
# by tools/lab/lab.mk, which passes $(LAB_EXTRA_FILES) (FILE:DEST pairs) to build-image.
# Now: the pci-linux scenario's guest initramfs (Debian's lspci, a static helper, a check script).

LAB_GUEST_SRC	:= tools/lab/guest
# lspci is dynamic (Debian has no static libpci): it goes in with the libraries ldd names, at
# those paths, and pci.ids for the names. pcimem is static (Debian's libc6-dev has libc.a).
LAB_LSPCI	:= /usr/bin/lspci
LAB_PCI_IDS	:= $(firstword $(wildcard /usr/share/misc/pci.ids /usr/share/hwdata/pci.ids))

$(LAB_OUT)/pcimem: $(LAB_GUEST_SRC)/pcimem.c
	@mkdir -p $(LAB_OUT)
	$(CC) -std=gnu11 -Wall -Wextra -Werror -O2 -static -o $@ $<

$(LAB_OUT)/guest-pci.cpio: tools/mkinitramfs $(LAB_OUT)/pcimem $(LAB_GUEST_SRC)/pci-check.sh \
		$(LAB_GUEST_SRC)/guest.mk
	@mkdir -p $(LAB_OUT)
	@[ -x $(LAB_LSPCI) ] || { echo "lab: no $(LAB_LSPCI) (Debian pciutils; tools/install-deps)" >&2; exit 1; }
	@rm -rf $@.root && mkdir -p $@.root/pci/bin $@.root/usr/share/misc
	cp $(LAB_OUT)/pcimem $@.root/pci/pcimem
	cp $(LAB_GUEST_SRC)/pci-check.sh $@.root/pci/check.sh
	cp $(LAB_LSPCI) $@.root/pci/bin/lspci
	$(if $(LAB_PCI_IDS),cp $(LAB_PCI_IDS) $@.root/usr/share/misc/pci.ids)
	@# -L: ldd names symlinks (libpci.so.3, the loader); the image needs the files.
	for lib in $$(ldd $(LAB_LSPCI) | awk '$$2 == "=>" && $$3 ~ /^\// { print $$3 } $$1 ~ /^\// { print $$1 }'); do \
		mkdir -p $@.root$$(dirname $$lib) && cp -L $$lib $@.root$$lib || exit 1; \
	done
	tools/mkinitramfs -o $@ --run 'sh /pci/check.sh' \
		$$(cd $@.root && for d in *; do [ $$d = usr ] || echo "--add $@.root/$$d:$$d"; done) \
		--add $@.root/usr/share:usr/share
	@rm -rf $@.root

LAB_IMAGE_DEPS	+= $(LAB_OUT)/guest-pci.cpio
LAB_EXTRA_FILES	+= $(LAB_OUT)/guest-pci.cpio:guest/pci.cpio

# Driver modules for the VFIO passthrough scenarios (tools/lab/scenarios/43-vfio-nvme.sh,
# 44-vfio-e1000e.sh) and the virtio ones (47-virtio-rng.sh): the Linux guest under vfvm loads nvme (after its dependencies, in this
# order) and e1000e, the lab itself e1000e for the peer NIC. Plain .ko as Debian 6.1 ships them
# (build-image skips files that do not exist).
LAB_VFIO_KMOD	= /lib/modules/$(LAB_KVER)/kernel
LAB_VFIO_MODS	= crypto/crct10dif_common lib/crc-t10dif lib/crc64 lib/crc64-rocksoft block/t10-pi \
		  drivers/nvme/host/nvme-core drivers/nvme/host/nvme \
		  drivers/net/ethernet/intel/e1000e/e1000e \
		  drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_modern_dev \
		  drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci \
		  drivers/char/hw_random/virtio-rng \
		  drivers/block/virtio_blk lib/crc16 fs/mbcache fs/jbd2/jbd2 crypto/crc32c_generic \
		  fs/ext4/ext4 fs/fuse/fuse fs/fuse/virtiofs net/core/failover drivers/net/net_failover \
		  drivers/net/virtio_net drivers/acpi/button drivers/input/evdev
LAB_EXTRA_FILES	+= $(foreach m,$(LAB_VFIO_MODS),$(LAB_VFIO_KMOD)/$(m).ko:guest/modules/$(notdir $(m)).ko)

# virtio-blk (tools/lab/scenarios/48-virtio-blk.sh): Debian's mke2fs and e2fsck (e2fsprogs) with
# their libraries, at their own paths, so the lab checks the image with e2fsck -fn and the
# scenario copies mke2fs into the guest's initramfs (busybox's mke2fs makes ext2 only).
LAB_E2FS_BINS	:= /usr/sbin/mke2fs /usr/sbin/e2fsck /etc/mke2fs.conf
LAB_E2FS_LIBS	:= $(sort $(shell ldd /usr/sbin/mke2fs /usr/sbin/e2fsck 2>/dev/null | \
		     awk '$$2 == "=>" && $$3 ~ /^\// { print $$3 }'))
LAB_IMAGE_DEPS	+= $(wildcard $(LAB_E2FS_BINS))
LAB_EXTRA_FILES	+= $(foreach f,$(LAB_E2FS_BINS),$(f):$(f:/%=%)) \
		   $(foreach l,$(LAB_E2FS_LIBS),$(realpath $(l)):$(l:/%=%))

# bench-lab (tools/lab/scenarios/91-bench-lab.sh, bench/README.md): the timing helper and the
# bench guests (bench/bench.mk builds them) under /bench. LAB_BENCH_N exits per PIO/MMIO guest.
LAB_BENCH_N	:= 5000
LAB_BENCH_DIR	:= $(BUILD)/bench
LAB_BENCH_FILES	:= $(LAB_BENCH_DIR)/labtime $(LAB_BENCH_DIR)/exit.elf $(LAB_BENCH_DIR)/pio-0.elf \
		   $(LAB_BENCH_DIR)/pio-$(LAB_BENCH_N).elf $(LAB_BENCH_DIR)/mmio-0.elf \
		   $(LAB_BENCH_DIR)/mmio-$(LAB_BENCH_N).elf $(LAB_BENCH_DIR)/smp-exits.kernel

$(LAB_BENCH_DIR)/labtime: bench/labtime.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -Wall -Wextra -Werror -O2 -static -o $@ $<

LAB_IMAGE_DEPS	+= $(LAB_BENCH_FILES)
LAB_EXTRA_FILES	+= $(foreach f,$(LAB_BENCH_FILES),$(f):bench/$(notdir $(f)))
LAB_IMAGE_DEPS	+= docs/passthrough.md tools/lab/scenarios/vfio-vs-qemu.allow
LAB_EXTRA_FILES	+= docs/passthrough.md:lab/passthrough.md

# The second guest kernel, Debian's 6.12 (machine.conf: lab_guest_kernels; docs/lab.md, "Guest
# kernels"): at /guest/6.12/ in the image, with the modules below and their dependencies
# (tools/lab/guest-kernel), when linux-image-6.12.*-amd64-unsigned is installed (tools/install-deps)
# under LAB_KERNEL_ROOT (default /; a `dpkg -x` of the .deb, depmod -b'd, does as well). Without
# it the image has no /guest/6.12 and the scenarios with lab_kernel=6.12 fail saying so.
LAB_KERNEL_ROOT	?= /
LAB_K612_VER	:= $(shell LAB_KERNEL_ROOT=$(LAB_KERNEL_ROOT) tools/lab/lab kver 6.12 2>/dev/null)
LAB_K612_MODS	:= virtio_iommu vfio vfio_pci vfio_iommu_type1 nvme e1000e virtio_blk virtio_net \
		   virtio_rng
ifneq ($(LAB_K612_VER),)
$(LAB_OUT)/k6.12/version: tools/lab/guest-kernel tools/extract-vmlinux tools/lab/guest/guest.mk \
		$(LAB_KERNEL_ROOT)/boot/vmlinuz-$(LAB_K612_VER)
	@mkdir -p $(LAB_OUT)
	tools/lab/guest-kernel $(LAB_OUT)/k6.12 $(LAB_K612_VER) $(LAB_KERNEL_ROOT) $(LAB_K612_MODS)
LAB_IMAGE_DEPS	+= $(LAB_OUT)/k6.12/version
LAB_EXTRA_FILES	+= $(LAB_OUT)/k6.12:guest/6.12
endif

# The viommu scenarios' DMA from guest user space (tools/lab/scenarios/viommu-guest.lib):
# static, copied into the guest's initramfs by the scenario (VL_FILES).
$(LAB_OUT)/edu-dma: $(LAB_GUEST_SRC)/edu-dma.c
	@mkdir -p $(LAB_OUT)
	$(CC) -std=gnu11 -Wall -Wextra -Werror -O2 -static -o $@ $<
LAB_IMAGE_DEPS	+= $(LAB_OUT)/edu-dma
LAB_EXTRA_FILES	+= $(LAB_OUT)/edu-dma:guest/edu-dma
