/* acpi.h - the ACPI 6.5 tables vfvm gives its guest (RSDP, XSDT, FADT, MADT, MCFG, DSDT,
 * VIOT with --viommu),
 * built into one buffer that the machine copies into the BIOS area; docs/acpi.md. */
#ifndef VFVM_ACPI_ACPI_H
#define VFVM_ACPI_ACPI_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "acpi/aml.h"

#define ACPI_MAX_CPUS	64
#define ACPI_PCI_SLOTS	32
#define ACPI_MAX_SIZE	(64 * 1024)	/* 0xE0000-0xEFFFF: up to the MP table */

/* What the tables describe; filled by the machine from the same sources as the MP table. */
struct acpi_config {
	uint64_t base;		/* guest-physical address of the buffer: the RSDP */
	unsigned ncpus;		/* LAPIC IDs and processor UIDs 0..ncpus-1 */
	uint8_t ioapic_id;
	uint32_t ioapic_addr, lapic_addr;
	uint32_t ecam_base;	/* PCI Express Base 5.0 §7.2.2: 1 MiB per bus */
	uint8_t ecam_bus_end;	/* buses 0..ecam_bus_end */
	uint32_t mem32_min, mem32_max;	/* the 32-bit PCI window, inclusive */
	uint64_t mem64_min, mem64_max;	/* the 64-bit PCI window, inclusive */
	uint8_t intx_gsi[ACPI_PCI_SLOTS][4];	/* INTA#-INTD# of each bus 0 slot */
	/* The sleep and GED registers (acpi/pm.h): 0 for none, then the FADT has no sleep
	 * registers and the DSDT no \_S5, power button or GED. */
	uint16_t pm_port;
	uint8_t ged_gsi;	/* the GED's interrupt, edge-triggered active-high */
	/* --viommu: a VIOT (virtual I/O translation table) puts bus 0's functions behind the
	 * virtio-iommu at viommu_bdf (bus << 8 | devfn); false: no VIOT. */
	bool viot;
	uint16_t viommu_bdf;
};

/* Offsets of each table inside the built buffer (for tests and the dump tool). */
enum acpi_table { ACPI_RSDP, ACPI_XSDT, ACPI_FADT, ACPI_MADT, ACPI_MCFG, ACPI_DSDT,
		  ACPI_VIOT, ACPI_NTABLES };	/* a table not built has size 0 */

struct acpi_blob {
	uint8_t *buf;
	size_t len;
	size_t off[ACPI_NTABLES], size[ACPI_NTABLES];
};

/* Build every table into b->buf (calloc'd; acpi_blob_free). -EINVAL for a config the
 * tables cannot describe, -E2BIG if they outgrow ACPI_MAX_SIZE, -ENOMEM. Pure. */
int acpi_build(const struct acpi_config *c, struct acpi_blob *b);
void acpi_blob_free(struct acpi_blob *b);
/* The DSDT's AML body (ACPI 6.5 §5.2.11.1): \_S5, \_SB.PCI0, COM1, COM2, the ECAM
 * reservation, the power button and the GED. */
int acpi_build_dsdt_aml(const struct acpi_config *c, struct aml *a);
/* 8-bit sum of @len bytes: 0 for a table with a correct checksum (§5.2.6). */
uint8_t acpi_sum(const void *p, size_t len);

#endif
