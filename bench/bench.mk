# bench.mk - `make bench`: vfvm vs QEMU microvm on the guests in bench/guest/ (numbers only).
# BENCH_N exits per timed guest run, BENCH_REPS runs of each measurement; see bench/README.md.

BENCH_N		?= 20000
BENCH_REPS	?= 5
BENCH_DIR	:= $(BUILD)/bench
BENCH_GUESTS	:= $(BENCH_DIR)/exit.elf $(BENCH_DIR)/pio-0.elf $(BENCH_DIR)/pio-$(BENCH_N).elf \
		   $(BENCH_DIR)/mmio-0.elf $(BENCH_DIR)/mmio-$(BENCH_N).elf

# A 64-bit object linked at 1 MiB, then rewritten as ELF32: QEMU's Multiboot loader takes
# 32-bit ELF only, and the code switches to long mode itself.
define bench_guest
	@mkdir -p $(dir $@)
	$(CC) -c -DMODE=$(1) -DITERS=$(2) -o $@.o bench/guest/guest.S
	ld -m elf_x86_64 -nostdlib -static -T bench/guest/guest.ld -o $@.64 $@.o
	objcopy -O elf32-i386 $@.64 $@
	@rm -f $@.o $@.64
endef

$(BENCH_DIR)/exit.elf: bench/guest/guest.S bench/guest/guest.ld
	$(call bench_guest,0,0)
$(BENCH_DIR)/pio-%.elf: bench/guest/guest.S bench/guest/guest.ld
	$(call bench_guest,1,$*)
$(BENCH_DIR)/mmio-%.elf: bench/guest/guest.S bench/guest/guest.ld
	$(call bench_guest,2,$*)

$(BENCH_DIR)/bench: bench/bench.c bench/run.c bench/run.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o $@ bench/bench.c bench/run.c

.PHONY: bench bench-guests
bench-guests: $(BENCH_GUESTS)

# vfvm is built if it can be; when it cannot, its rows print n/a and QEMU's still run.
# Without a usable /dev/kvm (`vfvm host --kvm` says none) the benchmarks run in the lab: bench-lab.
bench: $(BENCH_DIR)/bench $(BENCH_GUESTS)
	@if [ ! -c /dev/kvm ] || ! [ -r /dev/kvm -a -w /dev/kvm ]; then \
		echo "bench: this host has no usable /dev/kvm; the benchmarks run inside the lab (make bench-lab)"; \
		exec $(MAKE) --no-print-directory bench-lab; \
	fi; \
	$(MAKE) --no-print-directory $(VFVM) >/dev/null 2>&1 || echo "bench: $(VFVM) does not build"; \
	$(BENCH_DIR)/bench -n $(BENCH_N) -r $(BENCH_REPS) -v $(VFVM) -g $(BENCH_DIR)

# The --viommu VFIO back end's own cost per MAP/UNMAP, kernel excluded (bench/viommu.md).
$(BENCH_DIR)/vfio_viommu: bench/vfio_viommu.c $(BUILD)/libvfvm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libvfvm.a $(LDLIBS)

.PHONY: bench-vfio-viommu
bench-vfio-viommu: $(BENCH_DIR)/vfio_viommu
	@$(BENCH_DIR)/vfio_viommu

# PCI access paths (bench/pci.md): make bench-pci
-include bench/pci.mk

# VFIO passthrough counts in the lab (bench/vfio.md): make bench-vfio. The scenario bench-vfio
# (tools/lab/scenarios/90-bench-vfio.sh, lab_default=no) prints its table as "T|" lines; the
# whole console goes to $(BENCH_DIR)/vfio-console.log (not the lab's shared out/console.log,
# which another lab running in the same tree may overwrite). BENCH_VFIO_LAB_MEM, e.g. 4G, gives
# the lab more RAM (a later -m wins in QEMU) so that bigger --memory sizes fit for the DMA map.
BENCH_VFIO_LAB_MEM ?=

.PHONY: bench-vfio
bench-vfio: lab-image
	@mkdir -p $(BENCH_DIR)
	@echo "bench-vfio: one lab boot, four Linux guest boots under vfvm and the DMA-map runs (1-2 minutes)"
	@st=0; LAB_VERBOSE=1 LAB_QEMU_EXTRA="$(LAB_QEMU_EXTRA) $(if $(BENCH_VFIO_LAB_MEM),-m $(BENCH_VFIO_LAB_MEM))" \
		tools/lab/lab check bench-vfio >$(BENCH_DIR)/vfio-console.log 2>&1 || st=$$?; \
	sed -n 's/^ *bench-vfio| T|//p' $(BENCH_DIR)/vfio-console.log; \
	grep -E '^(PASS|FAIL) |^lab: [0-9]+ passed' $(BENCH_DIR)/vfio-console.log; \
	[ $$st = 0 ] || echo "bench-vfio: the lab failed; console in $(BENCH_DIR)/vfio-console.log"; \
	exit $$st

# vfvm against QEMU inside the lab (tools/lab/scenarios/91-bench-lab.sh, bench/README.md): one
# lab boot, paired and alternating runs, one table of "T|" lines; console in bench-lab-console.log.
.PHONY: bench-lab
bench-lab: lab-image
	@mkdir -p $(BENCH_DIR)
	@echo "bench-lab: one lab boot; tiny guests, then the Linux guest with the nvme under each VMM (2-3 minutes)"
	@st=0; LAB_VERBOSE=1 tools/lab/lab check bench-lab >$(BENCH_DIR)/bench-lab-console.log 2>&1 || st=$$?; \
	sed -n 's/^ *bench-lab| T|//p' $(BENCH_DIR)/bench-lab-console.log; \
	grep -E '^(PASS|FAIL) |^lab: [0-9]+ passed' $(BENCH_DIR)/bench-lab-console.log; \
	[ $$st = 0 ] || echo "bench-lab: the lab failed; console in $(BENCH_DIR)/bench-lab-console.log"; \
	exit $$st

# The multi-vCPU exit benchmark (bench/README.md "Several vCPUs"): bench/guest/smp_exits.c, built
# with the test guests' runtime (tests/guest/lib, tests/guest/guest.mk) as a Multiboot ELF, runs
# in the lab's scenario bench-smp with --cpus 1, 2, 4. BENCH_SMP_LAB_CPUS: the lab's own CPUs (a
# later -smp wins in QEMU), so that vCPUs can run side by side. Numbers only.
BENCH_SMP_LAB_CPUS ?= 4

$(BENCH_DIR)/smp_exits.o: bench/guest/smp_exits.c $(GUEST_DIR)/lib/rt.h
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(BENCH_DIR)/smp-exits.kernel: $(BENCH_DIR)/smp_exits.o $(GUEST_OUT)/lib/mb_elf.o $(GUEST_LIB) \
		$(GUEST_DIR)/lib/guest.ld
	ld $(GUEST_LDFLAGS) -o $@ $(GUEST_OUT)/lib/mb_elf.o $< $(GUEST_LIB)

# The same runs on this host's /dev/kvm (bench/smp-host.sh): BENCH_SMP_REPS rounds of the five
# layouts, BENCH_SMP_ITERS rounds per vCPU; medians. Numbers only.
BENCH_SMP_REPS ?= 7
BENCH_SMP_ITERS ?= 20000

.PHONY: bench-smp-host
bench-smp-host: $(VFVM) $(BENCH_DIR)/smp-exits.kernel
	bench/smp-host.sh $(VFVM) $(BENCH_DIR)/smp-exits.kernel $(BENCH_SMP_REPS) $(BENCH_SMP_ITERS)

.PHONY: bench-smp
bench-smp: lab-image
	@mkdir -p $(BENCH_DIR)
	@echo "bench-smp: one lab boot with $(BENCH_SMP_LAB_CPUS) lab CPUs; the exit guest with 1, 2, 4 vCPUs (a few minutes)"
	@st=0; LAB_VERBOSE=1 LAB_QEMU_EXTRA="$(LAB_QEMU_EXTRA) -smp $(BENCH_SMP_LAB_CPUS)" \
		tools/lab/lab check bench-smp >$(BENCH_DIR)/smp-console.log 2>&1 || st=$$?; \
	sed -n 's/^ *bench-smp| T|//p' $(BENCH_DIR)/smp-console.log; \
	grep -E '^(PASS|FAIL) |^lab: [0-9]+ passed' $(BENCH_DIR)/smp-console.log; \
	[ $$st = 0 ] || echo "bench-smp: the lab failed; console in $(BENCH_DIR)/smp-console.log"; \
	exit $$st

# bench-viommu: the virtio-iommu model's host-side cost (bench/viommu.c; docs/viommu.md).
.PHONY: bench-viommu
$(BENCH_DIR)/viommu: bench/viommu.c $(BUILD)/libvfvm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libvfvm.a $(LDLIBS)
bench-viommu: $(BENCH_DIR)/viommu
	@$(BENCH_DIR)/viommu

# Lab benchmarks paired with QEMU in one lab run, numbers only: virtio-net on a tap (vfvm with
# vhost=on and off, QEMU with vhost; bench/net.md) and the nvme behind a virtio-iommu (vfvm and
# QEMU, none/strict/lazy; bench/viommu-nvme.md). Each prints its own "NAME: ..." lines.
.PHONY: bench-net bench-viommu-nvme
bench-net bench-viommu-nvme: lab-image
	@mkdir -p $(BENCH_DIR)
	@echo "$@: one lab boot; the Linux guest under vfvm and under QEMU (several minutes)"
	@st=0; LAB_VERBOSE=1 LAB_TIMEOUT=2400 tools/lab/lab check $@ >$(BENCH_DIR)/$@-console.log 2>&1 || st=$$?; \
	sed -n 's/^ *$@| \($@: \)/\1/p' $(BENCH_DIR)/$@-console.log; \
	grep -E '^(PASS|FAIL) |^lab: [0-9]+ passed' $(BENCH_DIR)/$@-console.log; \
	[ $$st = 0 ] || echo "$@: the lab failed; console in $(BENCH_DIR)/$@-console.log"; \
	exit $$st
