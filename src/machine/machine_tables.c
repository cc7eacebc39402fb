/* machine_tables.c - the guest-visible firmware tables a boot gets: the MP table always, with
 * the PCI INTx entries of the devices present, and the ACPI tables (machine_acpi.c) unless --no-acpi. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "core/vm.h"
#include "machine/machine_acpi.h"
#include "machine/machine_tables.h"
#include "machine/mptable.h"
#include "pci/pci_dev.h"

void machine_tables_pci_intx(struct vm *vm, struct mptable_config *cfg)
{
	struct pci_bus *b = vm->pci;

	if (!b)
		return;
	for (unsigned s = 0; s < PCI_SLOTS; s++) {
		bool seen[4] = { false };

		for (unsigned f = 0; f < PCI_FUNCS; f++) {
			struct pci_dev *d = pci_bus_lookup(b, PCI_BDF(0, s, f));
			unsigned pin = d ? d->cfg[PCI_INT_PIN] : 0;

			if (pin < 1 || pin > 4 || seen[pin - 1])
				continue;
			seen[pin - 1] = true;
			if (cfg->npci_intx >= MPTABLE_MAX_PCI_INTX)
				return;
			/* MPS 1.4 §4.3.4: one I/O interrupt entry per (device, INTx#). */
			cfg->pci_intx[cfg->npci_intx++] = (struct mptable_pci_intx){
				.slot = s, .pin = pin - 1, .ioapic_pin = pci_intx_route(s, pin - 1),
			};
		}
	}
}

static int machine_mptable(struct vm *vm, struct err *err)
{
	struct mptable_config *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return err_set(err, ENOMEM, "out of memory for the MP table");
	c->ncpus = vm->ncpus;
	c->ioapic_id = mptable_ioapic_id(vm->ncpus);
	machine_tables_pci_intx(vm, c);
	r = mptable_write(&vm->mem, c);
	free(c);
	return r ? err_set(err, -r, "cannot write the MP table: %s", strerror(-r)) : 0;
}

/* The MP table always (acpi=off guests, Multiboot kernels), ACPI with --acpi. */
int machine_tables_write(struct vm *vm, struct err *err)
{
	int r = machine_mptable(vm, err);

	return r || !vm->cfg.acpi ? r : machine_acpi_tables(vm, err);
}

