# lab.mk - the lab (QEMU TCG + Intel IOMMU + real VFIO inside), included by the top Makefile.
# `make lab-image` builds tools/lab/out/lab.cpio; `make lab-check` runs the scenarios (LAB_SCENARIOS
# names some; default all); `make lab-shell` is the same machine, interactive.

LAB_OUT		:= tools/lab/out
# Empty when no kernel is installed yet (tools/install-deps brings one; lab-image re-reads this).
LAB_KVER	:= $(shell tools/lab/lab kver 2>/dev/null)
LAB_SCENARIOS	?=
LAB_VFVM	?= $(VFVM)
# vfvm with the test hooks (Makefile: VFVM_HOOKS), for the sandbox scenario.
LAB_VFVM_HOOKS	?= $(VFVM_HOOKS)
# The guest kernel: the packaged bzImage and the vmlinux in it (tools/extract-vmlinux).
LAB_BZIMAGE	= /boot/vmlinuz-$(LAB_KVER)
LAB_VMLINUX	:= $(if $(wildcard tools/extract-vmlinux),$(LAB_OUT)/vmlinux)
# The core test guests and their runner (tests/guest/guest.mk: make guests).
LAB_GUESTDIR	:= $(or $(GUEST_OUT),build/guest)
# Only what the runner uses: guests, their sidecars, blobs, itself (not objects, not .elf).
LAB_GUESTFILES	= $(wildcard $(addprefix $(LAB_GUESTDIR)/,*.kernel *.args *.bin run))
LAB_IMAGE_DEPS	= tools/lab/build-image tools/lab/init tools/lab/lib.sh tools/lab/machine.conf \
		  tools/lab/scenario.sh tools/lab/scenarios $(wildcard tools/lab/scenarios/*.sh) \
		  $(wildcard tools/lab/scenarios/*.lib) \
		  $(wildcard $(LAB_BZIMAGE)) $(LAB_VFVM) $(LAB_VFVM_HOOKS) $(LAB_VMLINUX) \
		  $(LAB_OUT)/guest-run.cpio $(LAB_OUT)/guest-shell.cpio \
		  $(LAB_GUESTFILES)
# Files for scenarios that run inside the Linux guest (adds to LAB_IMAGE_DEPS, LAB_EXTRA_FILES).
-include tools/lab/guest/guest.mk

.PHONY: lab-image lab-image-files lab-check lab-freeze-check lab-shell lab-guest soak

# Two steps: the test guests first (when the guest tier exists), then a make that sees them. A
# guest that does not build is left out (the guests scenario then fails), not the whole lab.
lab-image: deps
ifneq ($(wildcard tests/guest/guest.mk),)
	@$(MAKE) --no-print-directory guests || \
		echo "lab: warning: make guests failed; the image gets the test guests that built" >&2
endif
	@$(MAKE) --no-print-directory lab-image-files

lab-image-files: $(LAB_OUT)/lab.cpio

# The scenarios directory is a prerequisite too: its time changes when a scenario is removed.
$(LAB_OUT)/lab.cpio: $(LAB_IMAGE_DEPS)
	@[ -n "$(LAB_KVER)" ] || tools/lab/lab kver
	@mkdir -p $(LAB_OUT)
	@echo "lab: building $@ (kernel $(LAB_KVER))"
	@tools/lab/build-image $@ $(LAB_KVER) $(LAB_VFVM) "$(LAB_GUESTFILES)" \
		$(LAB_BZIMAGE):guest/bzImage $(if $(LAB_VMLINUX),$(LAB_VMLINUX):guest/vmlinux) \
		$(LAB_OUT)/guest-run.cpio:guest/run.cpio $(LAB_OUT)/guest-shell.cpio:guest/shell.cpio \
		$(LAB_VFVM_HOOKS):bin/vfvm-testhooks $(LAB_EXTRA_FILES)

$(LAB_OUT)/vmlinux: tools/extract-vmlinux $(wildcard $(LAB_BZIMAGE))
	@[ -n "$(LAB_KVER)" ] || tools/lab/lab kver
	@mkdir -p $(LAB_OUT)
	tools/extract-vmlinux $(LAB_BZIMAGE) $@

# The Linux guest's initramfs: one that leaves at once (scenario `linux`), one with a shell.
$(LAB_OUT)/guest-run.cpio: tools/mkinitramfs
	@mkdir -p $(LAB_OUT)
	tools/mkinitramfs -o $@ --run 'cat /proc/version'

$(LAB_OUT)/guest-shell.cpio: tools/mkinitramfs
	@mkdir -p $(LAB_OUT)
	tools/mkinitramfs -o $@ --shell

lab-guest: $(LAB_OUT)/guest-shell.cpio $(LAB_OUT)/guest-run.cpio $(LAB_VMLINUX)

lab-check: lab-image
	@tools/lab/lab check $(LAB_SCENARIOS)

# The host's answer to a lab machine that freezes (issue 15; tools/lab/freeze-check): two short
# boots, about a minute.
lab-freeze-check: lab-image
	@tools/lab/freeze-check

# The hostile-guest soak (docs/security.md): minutes, not in make check. SOAK_ROUNDS and
# SOAK_SEEDS change its length (LAB_APPEND carries them into the lab).
soak: lab-image
	@LAB_APPEND="$$LAB_APPEND lab.soak_rounds=$${SOAK_ROUNDS:-300000} lab.soak_seeds=$${SOAK_SEEDS:-4}" \
		tools/lab/lab check soak

lab-shell: lab-image
	@tools/lab/lab shell
