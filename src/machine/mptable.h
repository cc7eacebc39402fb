/* mptable.h - the Intel MultiProcessor Specification 1.4 table: CPUs, the I/O APIC, the ISA
 * and PCI buses and their interrupt assignments, so guests find them without ACPI. */
#ifndef VFVM_MPTABLE_H
#define VFVM_MPTABLE_H

#include <stdint.h>
#include "core/mem.h"

#define MPTABLE_MAX_CPUS 64
#define MPTABLE_MAX_PCI_INTX 128

struct mptable_pci_intx {
	uint8_t slot;		/* PCI device number on bus 0 */
	uint8_t pin;		/* 0 = INTA# .. 3 = INTD# */
	uint8_t ioapic_pin;	/* 16-23 */
};

struct mptable_config {
	unsigned ncpus;		/* APIC IDs 0..ncpus-1, CPU 0 the BSP */
	uint8_t ioapic_id;	/* 4 bits: mptable_ioapic_id(ncpus) */
	unsigned npci_intx;
	struct mptable_pci_intx pci_intx[MPTABLE_MAX_PCI_INTX];
};

/* The I/O APIC ID for @ncpus vCPUs (LAPIC IDs 0..ncpus-1), the same in the table and the
 * 82093AA's 4-bit ID register: ncpus while that fits in 4 bits, else 0 (see mptable.c). */
uint8_t mptable_ioapic_id(unsigned ncpus);

/* Write the floating pointer and configuration table at BOOT_MPTABLE_ADDR. -E2BIG if too big. */
int mptable_write(const struct guest_mem *mem, const struct mptable_config *cfg);

#endif
