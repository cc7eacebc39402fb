/* machine_tables.h - write the guest-visible firmware tables (MP, ACPI) for the next boot. */
#ifndef VFVM_MACHINE_TABLES_H
#define VFVM_MACHINE_TABLES_H

#include "core/err.h"

struct vm;
struct mptable_config;

/* Into guest RAM, at every boot and reboot, after the PCI devices exist: their INTx pins
 * are in the MP table. err: ENOMEM, or a table that does not fit. */
int machine_tables_write(struct vm *vm, struct err *err);
/* Append the PCI INTx → I/O APIC pin assignments (MPS 1.4 §4.3.4: one entry per device and
 * INTx# in use) to @cfg. Nothing without a PCI bus. */
void machine_tables_pci_intx(struct vm *vm, struct mptable_config *cfg);

#endif
