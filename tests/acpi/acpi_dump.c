/* acpi_dump.c - writes the ACPI tables vfvm builds for a sample machine into DIR/<SIG>.dat,
 * one file per table, for tests/acpi/iasl-check to disassemble and recompile with iasl. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "acpi/acpi.h"
#include "acpi/pm.h"
#include "core/mem.h"

static const char *const names[ACPI_NTABLES] = { "RSDP", "XSDT", "FACP", "APIC", "MCFG",
						 "DSDT", "VIOT" };

static int dump_one(const char *dir, const char *name, const void *p, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.dat", dir, name);
	f = fopen(path, "wb");
	if (!f) {
		fprintf(stderr, "acpi_dump: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (fwrite(p, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "acpi_dump: cannot write %s\n", path);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct acpi_config c = {
		.base = 0xe0000, .ncpus = 2, .ioapic_id = 2,
		.ioapic_addr = MEM_IOAPIC_BASE, .lapic_addr = MEM_LAPIC_BASE,
		.ecam_base = MEM_ECAM_BASE, .ecam_bus_end = 0,
		.mem32_min = MEM_PCI32_START, .mem32_max = MEM_PCI32_END - 1,
		.mem64_min = MEM_4G, .mem64_max = (1ull << 40) - 1,
		.pm_port = ACPI_PM_PORT, .ged_gsi = ACPI_PM_GED_GSI,
		.viot = true, .viommu_bdf = 0x08,	/* --viommu: the virtio-iommu at 00:01.0 */
	};
	struct acpi_blob b;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: acpi_dump DIR\n");
		return 2;
	}
	for (unsigned s = 0; s < ACPI_PCI_SLOTS; s++)
		for (unsigned p = 0; p < 4; p++)
			c.intx_gsi[s][p] = 16 + (s + p) % 8;
	r = acpi_build(&c, &b);
	if (r) {
		fprintf(stderr, "acpi_dump: acpi_build: %s\n", strerror(-r));
		return 1;
	}
	for (int i = 0; i < ACPI_NTABLES && !r; i++)
		r = dump_one(argv[1], names[i], b.buf + b.off[i], b.size[i]);
	acpi_blob_free(&b);
	return r;
}
