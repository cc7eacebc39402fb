/* pci.h - what the machine asks of the PCI layer: build the bus and every --device, describe
 * the PCI windows for the ACPI tables, reset and tear down. The PCI layer owns the rest of src/pci/. */
#ifndef VFVM_PCI_H
#define VFVM_PCI_H

#include <stdio.h>
#include "core/err.h"
#include "acpi/acpi.h"

struct vm;

/*
 * Create the host bridge (0xCF8/0xCFC, and with --acpi the ECAM window at MEM_ECAM_BASE)
 * and each device named in vm->cfg.devices[] ("testdev",
 * "vfio,host=0000:01:00.0", ...). Called once, after the legacy devices, before the vCPUs run.
 * Unknown or malformed device specs: err_input, -EINVAL.
 */
struct irq_line;
/* The machine's interrupt lines: an irq_line driving GSI @gsi (PCI INTx uses 16-23). */
typedef void pci_gsi_line_fn(struct vm *vm, unsigned gsi, struct irq_line *out);
int pci_setup(struct vm *vm, pci_gsi_line_fn *gsi_line, struct err *err);
/* The PCI windows, bus range, ECAM and INTx routing the ACPI tables describe. */
void pci_acpi_config(struct vm *vm, struct acpi_config *cfg);
/* Guest reset: devices to power-on state, BARs unmapped, interrupts torn down. */
void pci_reset(struct vm *vm);
/* End of set-up: start the device thread (after --user, under its seccomp filter). */
int pci_start(struct vm *vm, struct err *err);

/* The state dump (--watchdog, SIGUSR1; caller holds vm->lock): each function's MSI/MSI-X
 * vectors, their messages and routes (msi.c). */
void pci_dump(struct vm *vm, FILE *f);

/* Exit: release everything (safe after a failed pci_setup). */
void pci_teardown(struct vm *vm);

#endif
