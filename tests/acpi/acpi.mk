# acpi.mk - `make acpi-check`: the ACPI tables vfvm builds, disassembled and compiled back by
# Debian's iasl (acpica-tools) without an error (tests/acpi/iasl-check; docs/acpi.md).
.PHONY: acpi-check
ACPI_DUMP := $(BUILD)/tests/acpi/acpi_dump

$(ACPI_DUMP): tests/acpi/acpi_dump.c $(BUILD)/libvfvm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libvfvm.a $(LDLIBS)

acpi-check: $(ACPI_DUMP)
	@tests/acpi/iasl-check $(ACPI_DUMP) $(BUILD)/tests/acpi/work
