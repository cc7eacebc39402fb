# pci.mk - `make bench-pci`: the cost of each PCI access path of vfvm's test device (bench/pci.md).
# Included by bench/bench.mk; uses its BENCH_N, BENCH_REPS, BENCH_DIR. Numbers only.

# MODEs of bench/guest/pci.S: 1 config read ... 9 MSI-X masked (see the file).
BENCH_PCI_MODES	:= 1 2 3 4 5 6 7 8 9
BENCH_PCI_GUESTS := $(foreach m,$(BENCH_PCI_MODES),$(BENCH_DIR)/pci$(m)-0.elf \
		    $(BENCH_DIR)/pci$(m)-$(BENCH_N).elf)
# The same guest built for QEMU's edu device (QEMU_EDU): the paths QEMU has too.
BENCH_PCI_QMODES := 1 2 3
BENCH_PCI_GUESTS += $(foreach m,$(BENCH_PCI_QMODES),$(BENCH_DIR)/qpci$(m)-0.elf \
		    $(BENCH_DIR)/qpci$(m)-$(BENCH_N).elf)
# QEMU to compare with; empty: vfvm only.
BENCH_PCI_QEMU	?= $(shell command -v qemu-system-x86_64)

# Built like bench.mk's guests: a 64-bit object at 1 MiB, rewritten as ELF32 for Multiboot.
define bench_pci_rule
$(BENCH_DIR)/$(2)pci$(1)-%.elf: bench/guest/pci.S bench/guest/guest.ld
	@mkdir -p $$(dir $$@)
	$$(CC) -c $(3) -DMODE=$(1) -DITERS=$$* -o $$@.o bench/guest/pci.S
	ld -m elf_x86_64 -nostdlib -static -T bench/guest/guest.ld -o $$@.64 $$@.o
	objcopy -O elf32-i386 $$@.64 $$@
	@rm -f $$@.o $$@.64
endef
$(foreach m,$(BENCH_PCI_MODES),$(eval $(call bench_pci_rule,$(m),,)))
$(foreach m,$(BENCH_PCI_QMODES),$(eval $(call bench_pci_rule,$(m),q,-DQEMU_EDU)))

$(BENCH_DIR)/pcibench: bench/pcibench.c bench/run.c bench/run.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o $@ bench/pcibench.c bench/run.c

# The host side of MSI delivery on a VM of vfvm's own kvm.c (irqfd vs KVM_SIGNAL_MSI).
$(BENCH_DIR)/pci_irq: bench/pci_irq.c $(BUILD)/libvfvm.a
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -iquote src $(LDFLAGS) -o $@ $< \
		$(BUILD)/libvfvm.a $(LDLIBS)

BENCH_IRQ_N	?= 200000

.PHONY: bench-pci
bench-pci: $(BENCH_DIR)/pcibench $(BENCH_PCI_GUESTS)
	-@$(MAKE) --no-print-directory $(VFVM) >/dev/null 2>&1 || echo "bench-pci: $(VFVM) does not build"
	@$(BENCH_DIR)/pcibench -n $(BENCH_N) -r $(BENCH_REPS) -v $(VFVM) -g $(BENCH_DIR) \
		$(if $(BENCH_PCI_QEMU),-q $(BENCH_PCI_QEMU))
	-@$(MAKE) --no-print-directory $(BENCH_DIR)/pci_irq >/dev/null 2>&1 || \
		echo "bench-pci: $(BENCH_DIR)/pci_irq does not build"
	@echo; echo "MSI send cost on the host, $(BENCH_IRQ_N) messages, vCPU not running"; echo
	@echo "| Path | µs per message |"; echo "|---|---|"
	-@$(BENCH_DIR)/pci_irq $(BENCH_IRQ_N)

# The --trace hooks' cost when off (docs/trace.md, "Cost when off"): bench-pci's vfvm rows for
# build/vfvm (hooks in, --trace not given) and build-notrace/vfvm (TRACE_OUT=1: every hook
# compiled out), alternating BENCH_TRACE_ROUNDS times. QEMU is left out. Needs /dev/kvm.
BENCH_TRACE_ROUNDS ?= 3
.PHONY: bench-trace-cost
bench-trace-cost: $(BENCH_DIR)/pcibench $(BENCH_PCI_GUESTS) $(VFVM)
	@$(MAKE) --no-print-directory TRACE_OUT=1 build-notrace/vfvm >/dev/null
	@for r in $$(seq 1 $(BENCH_TRACE_ROUNDS)); do \
		for v in $(VFVM) build-notrace/vfvm; do \
			echo "== round $$r: $$v"; \
			$(BENCH_DIR)/pcibench -n $(BENCH_N) -r $(BENCH_REPS) -v $$v -g $(BENCH_DIR); \
		done; \
	done
