# fuzz.mk - libFuzzer harnesses (tests/fuzz/fuzz_*.c), built with clang against the project
# sources compiled with coverage + ASan/UBSan into build/fuzz/ (docs/fuzzing.md).
# `make fuzz` runs each target FUZZ_SECONDS; `make fuzz-check` is the bounded CI tier.

FUZZ_CC		?= clang
FUZZ_SECONDS	?= 60
FUZZ_CHECK_SECONDS ?= 15
FUZZ_DIR	:= build/fuzz
FUZZ_SAN	:= -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS	:= -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wno-gnu-variable-sized-type-not-at-end \
		   -D_GNU_SOURCE -iquote src $(FUZZ_SAN)
FUZZ_TARGETS	:= $(patsubst tests/fuzz/fuzz_%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_BINS	:= $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_TARGETS))
# The sources the harnesses reach (not the KVM/vCPU/CLI side), so an unrelated file being
# edited elsewhere in the tree does not stop the fuzzers from building. The passed-through
# function is every src/vfio/vfio_pci*.c (options and life cycle, config space, BARs and ROM,
# interrupts): a file split off it is linked without being named here.
FUZZ_SRCS	:= src/core/err.c src/core/mem.c src/core/bus.c src/core/optlist.c src/core/trace.c $(wildcard src/boot/*.c src/legacy/*.c) \
		   $(addprefix src/pci/,bar.c config.c devices.c doorbell.c host.c iothread.c msi.c testdev.c) \
		   $(addprefix src/vfio/,device.c extcap.c host.c quirk.c vfio.c vfio_viommu.c vfio_vm.c) $(wildcard src/vfio/vfio_pci*.c) \
		   $(wildcard src/virtio/*.c)
FUZZ_LIBOBJS	:= $(patsubst %.c,$(FUZZ_DIR)/%.o,$(FUZZ_SRCS))

.PHONY: fuzz fuzz-check fuzz-build fuzz-corpus

$(FUZZ_DIR)/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_DIR)/libvfvm-fuzz.a: $(FUZZ_LIBOBJS)
	@rm -f $@.$$$$ && ar rcs $@.$$$$ $^ && mv -f $@.$$$$ $@

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) $(FUZZ_DIR)/libvfvm-fuzz.a
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Itests/unit -Itests/fuzz -fsanitize=fuzzer -MMD -MP -o $@ $< \
		$(FUZZ_DIR)/libvfvm-fuzz.a $(LDLIBS)

fuzz-build:
	@tools/install-deps
	@$(MAKE) --no-print-directory -j2 $(FUZZ_BINS)

# Regenerate the committed seed corpora (tests/fuzz/corpus/<target>/) from mkcorpus.c.
fuzz-corpus:
	@mkdir -p $(FUZZ_DIR)
	$(CC) -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -iquote src -o $(FUZZ_DIR)/mkcorpus \
		tests/fuzz/mkcorpus.c
	$(FUZZ_DIR)/mkcorpus tests/fuzz/corpus

fuzz: fuzz-build
	@FUZZ_KEEP_CORPUS=1 tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-check: fuzz-build
	@tests/fuzz/run $(FUZZ_CHECK_SECONDS) $(FUZZ_TARGETS)

-include $(shell find $(FUZZ_DIR) -name '*.d' -type f 2>/dev/null)
