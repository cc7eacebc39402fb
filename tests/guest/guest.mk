# guest.mk - builds the test guests (tests/guest/*.c, each with a tests/guest/<name>.args
# sidecar) into build/guest/<name>.kernel and runs them under vfvm or QEMU (docs/testing.md).
# Included by the top Makefile. Targets: guests, guest-check, guest-check-qemu.

GUEST_DIR	:= tests/guest
GUEST_OUT	:= build/guest
GUEST_NAMES	:= $(sort $(basename $(notdir $(wildcard $(GUEST_DIR)/*.c))))
GUEST_CC	?= $(CC)
# Freestanding 32-bit code with the host compiler: -m32 needs no 32-bit libc or libgcc since
# nothing is linked but our own objects (ld -m elf_i386); no 64-bit divisions in guests.
GUEST_CFLAGS	:= -std=gnu11 -m32 -march=i686 -ffreestanding -nostdlib -fno-pic -fno-pie \
		   -fno-stack-protector -O2 -Wall -Wextra -Werror -mgeneral-regs-only \
		   -fno-tree-loop-distribute-patterns -fno-asynchronous-unwind-tables \
		   -I$(GUEST_DIR)/lib
GUEST_LDFLAGS	:= -m elf_i386 -nostdlib --build-id=none -z noexecstack -z max-page-size=0x1000 --no-warn-rwx-segments \
		   -T $(GUEST_DIR)/lib/guest.ld
GUEST_LIB	:= $(addprefix $(GUEST_OUT)/lib/,rt.o idt.o hw.o isr.o ap_boot.o)
GUEST_MKIMAGE	:= $(GUEST_OUT)/mkimage
# Blobs the guests verify byte by byte: name:length:seed (the runner passes them as modules
# and initrds via @DIR@/<name>.bin in the .args files).
GUEST_BLOBS	:= blob1:5000:1 blob2:8193:2 blob3:9001:3
GUEST_BLOBFILES	:= $(foreach b,$(GUEST_BLOBS),$(GUEST_OUT)/$(word 1,$(subst :, ,$(b))).bin)

guest_fmt = $(or $(shell sed -n 's/^format[ 	]*//p' $(GUEST_DIR)/$(1).args 2>/dev/null),multiboot)

.PHONY: guests guest-check guest-check-qemu
guests: $(foreach g,$(GUEST_NAMES),$(GUEST_OUT)/$(g).kernel $(GUEST_OUT)/$(g).args) \
	$(GUEST_BLOBFILES) $(GUEST_OUT)/run

# Where the guests run (this host's KVM or, without one, the lab) is tools/guest-tier's choice.
guest-check: guests $(VFVM)
	@tools/guest-tier $${VFVM:-$(VFVM)} $(GUEST_OUT) $(MAKE) SANITIZE=$(SANITIZE)

guest-check-qemu: guests
	@$(GUEST_OUT)/run --qemu $(GUEST_OUT)

$(GUEST_OUT)/lib/%.o: $(GUEST_DIR)/lib/%.c $(GUEST_DIR)/lib/rt.h
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_OUT)/lib/%.o: $(GUEST_DIR)/lib/%.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_OUT)/%.o: $(GUEST_DIR)/%.c $(GUEST_DIR)/lib/rt.h $(wildcard $(GUEST_DIR)/lib/*.h)
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_OUT)/lib/setup.bin: $(GUEST_OUT)/lib/linux_setup.o
	ld -m elf_i386 -Ttext=0 --oformat binary -o $@ $<

$(GUEST_MKIMAGE): $(GUEST_DIR)/lib/mkimage.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -o $@ $<

$(GUEST_OUT)/%.args: $(GUEST_DIR)/%.args
	@mkdir -p $(dir $@)
	cp $< $@

$(GUEST_OUT)/run: $(GUEST_DIR)/run
	@mkdir -p $(dir $@)
	cp $< $@

define guest_blob_rule
$(GUEST_OUT)/$(word 1,$(subst :, ,$(1))).bin: $(GUEST_MKIMAGE) $(GUEST_DIR)/guest.mk
	$(GUEST_MKIMAGE) blob $(word 2,$(subst :, ,$(1))) $(word 3,$(subst :, ,$(1))) $$@
endef
$(foreach b,$(GUEST_BLOBS),$(eval $(call guest_blob_rule,$(b))))

# Per guest: <name>.elf linked with the entry stub of its format, then packaged.
GUEST_ENTRY_multiboot	:= mb_elf
GUEST_ENTRY_aout	:= mb_aout
GUEST_ENTRY_bzimage	:= linux_entry
define guest_rule
$(GUEST_OUT)/$(1).elf: $(GUEST_OUT)/$(1).o $(GUEST_OUT)/lib/$(GUEST_ENTRY_$(2)).o $(GUEST_LIB) \
		$(GUEST_DIR)/lib/guest.ld $(GUEST_DIR)/$(1).args
	ld $(GUEST_LDFLAGS) -o $$@ $(GUEST_OUT)/lib/$(GUEST_ENTRY_$(2)).o $(GUEST_OUT)/$(1).o $(GUEST_LIB)
$(GUEST_OUT)/$(1).kernel: $(GUEST_OUT)/$(1).elf $(GUEST_MKIMAGE) $(GUEST_OUT)/lib/setup.bin
	$$(call guest_pack_$(2),$$<,$$@)
endef
guest_pack_multiboot	= cp $(1) $(2)
guest_pack_aout		= $(GUEST_MKIMAGE) flat $(1) $(2)
guest_pack_bzimage	= $(GUEST_MKIMAGE) bzimage $(GUEST_OUT)/lib/setup.bin $(1) $(2)
# The 64-bit guests (format vmlinux64) have their own rules below.
GUEST64_NAMES	:= $(foreach g,$(GUEST_NAMES),$(if $(filter vmlinux64,$(call guest_fmt,$(g))),$(g)))
$(foreach g,$(filter-out $(GUEST64_NAMES),$(GUEST_NAMES)),$(eval $(call guest_rule,$(g),$(call guest_fmt,$(g)))))

# format vmlinux64: an ELF64 ET_EXEC at 16 MiB (lib/guest64.ld) that vfvm boots through the
# 64-bit boot protocol (src/boot/vmlinux.c). The guest and its runtime (lib/entry64.S,
# isr64.S, rt64.c, and rt.c itself) are built as 64-bit code in build/guest/64 and
# build/guest/lib64; nothing from hw.c/idt.c (32-bit only). vfvm only: QEMU's -kernel
# takes no ELF64 (the .args say qemu-skip).
GUEST64_CFLAGS	:= $(filter-out -m32 -march=i686,$(GUEST_CFLAGS)) -m64 -mno-red-zone
GUEST64_LDFLAGS	:= -m elf_x86_64 -nostdlib --build-id=none -z noexecstack -z max-page-size=0x1000 \
		   --no-warn-rwx-segments -T $(GUEST_DIR)/lib/guest64.ld
GUEST64_LIB	:= $(addprefix $(GUEST_OUT)/lib64/,entry64.o isr64.o rt64.o rt.o)

$(GUEST_OUT)/lib64/%.o: $(GUEST_DIR)/lib/%.c $(GUEST_DIR)/lib/rt.h $(GUEST_DIR)/lib/rt64.h
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST64_CFLAGS) -c $< -o $@

$(GUEST_OUT)/lib64/%.o: $(GUEST_DIR)/lib/%.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST64_CFLAGS) -c $< -o $@

define guest64_rule
$(GUEST_OUT)/64/$(1).o: $(GUEST_DIR)/$(1).c $(GUEST_DIR)/lib/rt.h $(GUEST_DIR)/lib/rt64.h \
		$(wildcard $(GUEST_DIR)/lib/*.h)
	@mkdir -p $$(dir $$@)
	$(GUEST_CC) $(GUEST64_CFLAGS) -c $$< -o $$@
$(GUEST_OUT)/$(1).elf: $(GUEST_OUT)/64/$(1).o $(GUEST64_LIB) $(GUEST_DIR)/lib/guest64.ld \
		$(GUEST_DIR)/$(1).args
	ld $(GUEST64_LDFLAGS) -o $$@ $(GUEST64_LIB) $(GUEST_OUT)/64/$(1).o
$(GUEST_OUT)/$(1).kernel: $(GUEST_OUT)/$(1).elf
	cp $$< $$@
endef
$(foreach g,$(GUEST64_NAMES),$(eval $(call guest64_rule,$(g))))
