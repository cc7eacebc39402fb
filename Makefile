# vfvm - a KVM virtual machine monitor for VFIO passthrough.
# `make` builds build/vfvm; `make check` runs every test tier; `make run` boots the default guest.

CC	?= gcc
SANITIZE ?= 0
# TSAN=1: ThreadSanitizer build flavour (build-tsan/): `make check TSAN=1` (docs/testing.md).
TSAN	?= 0
# TRACE_OUT=1: the --trace hooks compiled out (build-notrace/), for make bench-trace-cost only.
TRACE_OUT ?= 0
BUILD	:= build$(if $(filter 1,$(SANITIZE)),-san,)$(if $(filter 1,$(TSAN)),-tsan,)$(if $(filter 1,$(TRACE_OUT)),-notrace,)

CFLAGS	:= -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -MMD -MP -iquote src
ifeq ($(TRACE_OUT),1)
CFLAGS	+= -DVFVM_TRACE_OUT
endif
LDFLAGS	:=
LDLIBS	:= -lpthread -lseccomp -luring $(shell pkg-config --libs libpci 2>/dev/null || echo -lpci)
ifeq ($(SANITIZE),1)
CFLAGS	+= -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
	   -DVFVM_SANITIZE
LDFLAGS	+= -fsanitize=address,undefined
endif
ifeq ($(TSAN),1)
ifeq ($(SANITIZE),1)
$(error SANITIZE=1 and TSAN=1 do not combine: ASan and TSan exclude each other)
endif
# -Wno-tsan: TSan does not model fences; the only ones (virtqueue.c, the EVENT_IDX check)
# order vfvm's accesses against the guest's, which TSan cannot see anyway.
CFLAGS	+= -fsanitize=thread -fno-omit-frame-pointer -DVFVM_SANITIZE -Wno-tsan
LDFLAGS	+= -fsanitize=thread
# make check TSAN=1 runs the tiers whose threads TSan sees on this host: the unit tests' (device
# thread, console, vCPU kicks) and, where the host has /dev/kvm, the guest tier's TSan vfvm
# (every thread: vCPUs, device thread, timers). Without host KVM, a TSan vfvm in the lab
# (docs/testing.md: LAB_OUT=tools/lab/out-tsan).
CHECK_TIERS ?= deps-check unit $(if $(wildcard /dev/kvm),guest-check)
endif

SRCS	:= $(shell find src -name '*.c' | sort)
MAIN	:= src/cli/main.c
LIBOBJS	:= $(patsubst %.c,$(BUILD)/%.o,$(filter-out $(MAIN),$(SRCS)))
UNITSRC	:= $(sort $(wildcard tests/unit/test_*.c))
UNITBIN	:= $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNITSRC))
VFVM	:= $(BUILD)/vfvm

.PHONY: all check unit deps-check run deps clean
# The tiers `make check` runs, in order; each prints a closing "tier: N passed, N failed" line.
# deps-check (no include or call circle between source files) is cheap and runs first.
CHECK_TIERS ?= deps-check unit acpi-check cli-check guest-check lab-check lab-freeze-check fuzz-check
all: $(VFVM)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# The system call names the seccomp SIGSYS handler prints (src/core/sandbox_rules.c), from the UAPI
# header: "[0] = \"read\"," per line.
$(BUILD)/gen/syscall_names.h: /usr/include/x86_64-linux-gnu/asm/unistd_64.h
	@mkdir -p $(dir $@)
	echo '#include <asm/unistd_64.h>' | $(CC) -E -dM - | \
		sed -n 's/^#define __NR_\([a-z0-9_]*\) \([0-9]*\)$$/[\2] = "\1",/p' >$@.tmp && mv $@.tmp $@
$(BUILD)/src/core/sandbox_rules.o: CFLAGS += -I$(BUILD)/gen
$(BUILD)/src/core/sandbox_rules.o: $(BUILD)/gen/syscall_names.h

$(BUILD)/libvfvm.a: $(LIBOBJS)
	@rm -f $@.$$$$ && ar rcs $@.$$$$ $^ && mv -f $@.$$$$ $@

$(VFVM): $(BUILD)/src/cli/main.o $(BUILD)/libvfvm.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# vfvm with tests/hooks/testhooks.c linked in: for the lab's proof that the filters are real.
VFVM_HOOKS := $(BUILD)/vfvm-testhooks
$(VFVM_HOOKS): $(BUILD)/src/cli/main.o $(BUILD)/tests/hooks/testhooks.o $(BUILD)/libvfvm.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/unit/%: tests/unit/%.c $(BUILD)/libvfvm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(BUILD)/libvfvm.a -lcmocka $(LDLIBS)

# Unit tests (cmocka): every tests/unit/test_*.c is one binary. test_debian_vmlinux loads the
# installed Debian kernel's vmlinux (tools/lab/lab.mk extracts it; the rule below adds it).
unit: $(UNITBIN)
	@VFVM_VMLINUX=$${VFVM_VMLINUX:-$(UNIT_VMLINUX)} tools/run-unit $(UNITBIN)

# No include or call circle between source files and none up the layers (tools/deps-check;
# docs/architecture.md); tests/deps/selftest first proves the check catches both.
deps-check: $(BUILD)/src/cli/main.o $(LIBOBJS)
	@tests/deps/selftest || { echo "deps-check: 0 passed, 1 failed"; exit 1; }
	@tools/deps-check $(BUILD)

-include tests/guest/guest.mk
-include tests/cli/cli.mk
-include tools/lab/lab.mk
-include bench/bench.mk
-include tests/fuzz/fuzz.mk
-include tests/acpi/acpi.mk

# The Debian vmlinux for the unit tests, where a kernel is installed (lab.mk knows where).
UNIT_VMLINUX := $(if $(LAB_KVER),$(LAB_VMLINUX))
unit: $(UNIT_VMLINUX)

# Every test tier; installs missing Debian packages first. SANITIZE=1 runs them under ASan/UBSan,
# TSAN=1 the structure and unit tiers under ThreadSanitizer.
check: deps
	@$(MAKE) --no-print-directory all
	@tools/check $(MAKE) SANITIZE=$(SANITIZE) TSAN=$(TSAN) -- $(CHECK_TIERS)

deps:
	@tools/install-deps

# tools/run-default first says where the guest runs (here or in the lab) and why, then installs
# missing packages and builds.
run:
	@MAKE="$(MAKE)" tools/run-default

clean:
	rm -rf build build-san build-tsan build-notrace

-include $(shell find $(BUILD) -name '*.d' -type f 2>/dev/null)
