# cli.mk - `make cli-check`: the bad-input CLI suite (tests/cli/run.sh) against build/vfvm
# (CLI_VFVM=PATH tests another binary).
.PHONY: cli-check
CLI_VFVM ?= $(VFVM)
CLI_MKBAD := $(BUILD)/tests/cli/mkbad
CLI_HOLDLOCK := $(BUILD)/tests/cli/holdlock

$(CLI_MKBAD): tests/cli/mkbad.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -o $@ $<

$(CLI_HOLDLOCK): tests/cli/holdlock.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -o $@ $<

cli-check: $(CLI_VFVM) $(CLI_MKBAD) $(CLI_HOLDLOCK)
	@tests/cli/run.sh $(CLI_VFVM) $(CLI_MKBAD) $(BUILD)/tests/cli/work $(CLI_HOLDLOCK)
