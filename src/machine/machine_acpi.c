/* machine_acpi.c - the machine's ACPI side: the tables of src/acpi filled from the machine,
 * and the sleep/GED registers (src/acpi/pm.c) wired to the ports, the GED's GSI and the
 * machine's exit. docs/acpi.md. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include "acpi/acpi.h"
#include "boot/boot.h"
#include "machine/machine_acpi.h"
#include "machine/machine_irq.h"
#include "core/mem.h"
#include "machine/mptable.h"
#include "pci/pci.h"
#include "core/vm.h"

int machine_acpi_setup(struct vm *vm, struct machine_acpi *a, const struct acpi_pm_ops *ops,
		       struct err *err)
{
	struct irq_line ged;
	int r;

	if (!vm->cfg.acpi)
		return 0;
	machine_irq_gsi_line(vm, ACPI_PM_GED_GSI, &ged);
	acpi_pm_init(&a->pm, ops, vm, &ged);
	r = bus_register(&vm->pio, ACPI_PM_PORT, ACPI_PM_LEN, acpi_pm_io, &a->pm, "ACPI PM/GED");
	return r ? err_set(err, -r, "cannot register the ACPI ports: %s", strerror(-r)) : 0;
}

/*
 * The tables at BOOT_ACPI_ADDR (e820-reserved BIOS area, where the RSDP scan of ACPI 6.5
 * §5.2.5.1 looks), describing what the MP table does; rewritten on every boot so a guest
 * that scribbled over them gets them back after a reset.
 */
int machine_acpi_tables(struct vm *vm, struct err *err)
{
	struct acpi_config c = {
		.base = BOOT_ACPI_ADDR, .ncpus = vm->ncpus,
		.ioapic_id = mptable_ioapic_id(vm->ncpus),
		.ioapic_addr = (uint32_t)MEM_IOAPIC_BASE, .lapic_addr = (uint32_t)MEM_LAPIC_BASE,
		.pm_port = ACPI_PM_PORT, .ged_gsi = ACPI_PM_GED_GSI,
	};
	struct acpi_blob b;
	int r;

	pci_acpi_config(vm, &c);
	r = acpi_build(&c, &b);
	if (r)
		return err_set(err, -r, "cannot build the ACPI tables: %s", strerror(-r));
	r = gpa_write(&vm->mem, BOOT_ACPI_ADDR, b.buf, b.len);
	acpi_blob_free(&b);
	if (!r)
		r = boot_set_acpi_rsdp(&vm->mem, &vm->entry, BOOT_ACPI_ADDR);
	return r ? err_set(err, -r, "cannot write the ACPI tables: %s", strerror(-r)) : 0;
}

bool machine_acpi_power_button(struct vm *vm, struct machine_acpi *a)
{
	bool listening;

	if (!vm->cfg.acpi)
		return false;
	pthread_mutex_lock(&vm->lock);
	listening = !ioapic_pin_masked(vm->ioapic, ACPI_PM_GED_GSI);
	if (listening)
		acpi_pm_event(&a->pm, ACPI_PM_EVT_PWRBTN);
	pthread_mutex_unlock(&vm->lock);
	return listening;
}

void machine_acpi_reset(struct machine_acpi *a)
{
	acpi_pm_reset(&a->pm);
}
