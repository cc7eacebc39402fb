/* machine_acpi.h - the machine's ACPI side (docs/acpi.md): the tables written at boot, the
 * sleep and GED registers behind the power button and S5, and the power-button request
 * SIGINT/SIGTERM make. */
#ifndef VFVM_MACHINE_ACPI_H
#define VFVM_MACHINE_ACPI_H

#include <stdbool.h>
#include "acpi/pm.h"
#include "core/err.h"

struct vm;

struct machine_acpi {
	struct acpi_pm pm;
};

/* With --acpi: the sleep and GED ports on vm->pio and the GED's GSI line; @ops (opaque:
 * the vm) is what S5 calls, on a vCPU thread under vm->lock. */
int machine_acpi_setup(struct vm *vm, struct machine_acpi *a, const struct acpi_pm_ops *ops,
		       struct err *err);
/* Write the ACPI tables at BOOT_ACPI_ADDR and point the boot protocol at the RSDP. */
int machine_acpi_tables(struct vm *vm, struct err *err);
/* Press the guest's power button. False when nothing in the guest listens (no --acpi, or
 * the GED's I/O APIC pin masked: no OS has claimed its interrupt). Main thread. */
bool machine_acpi_power_button(struct vm *vm, struct machine_acpi *a);
/* Guest reset (under vm->lock). */
void machine_acpi_reset(struct machine_acpi *a);

#endif
