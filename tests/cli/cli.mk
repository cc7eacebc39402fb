# cli.mk - `make cli-check`: the bad-input CLI suite (tests/cli/run.sh) against build/vfvm
# (CLI_VFVM=PATH tests another binary).
.PHONY: cli-check
CLI_VFVM ?= $(VFVM)
CLI_MKBAD := $(BUILD)/tests/cli/mkbad

$(CLI_MKBAD): tests/cli/mkbad.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -o $@ $<

cli-check: $(CLI_VFVM) $(CLI_MKBAD)
	@tests/cli/run.sh $(CLI_VFVM) $(CLI_MKBAD) $(BUILD)/tests/cli/work
