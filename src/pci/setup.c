/* setup.c - PCI layer entry points (placeholder until the PCI layer lands: no devices). */
#include <errno.h>
#include "pci.h"
#include "../vm.h"

int pci_setup(struct vm *vm, struct err *err)
{
	if (vm->cfg.ndevices)
		return err_input(err, EINVAL, "--device %s: PCI devices are not supported yet",
				 vm->cfg.devices[0]);
	return 0;
}

void pci_mptable_intx(struct vm *vm, struct mptable_config *cfg)
{
	(void)vm;
	(void)cfg;
}

void pci_reset(struct vm *vm)
{
	(void)vm;
}

void pci_teardown(struct vm *vm)
{
	(void)vm;
}
