/* devices.h - the --device types the PCI layer knows: a table of {name, create}, so new types
 * (vfio,host=BDF) plug in by adding one row in setup.c. */
#ifndef VFVM_PCI_DEVICES_H
#define VFVM_PCI_DEVICES_H

#include "core/err.h"
#include "pci_dev.h"

struct vm;

struct pci_device_type {
	const char *name;
	const char *help;
	/* @opts: what follows "name," in the --device argument ("" if nothing). @vm may be NULL
	 * in unit tests. Bad options: err_input and -EINVAL. */
	int (*create)(struct vm *vm, struct pci_bus *b, const char *opts, struct err *err);
};

/* Create the device named by one --device argument on @b. */
int pci_device_create(struct vm *vm, struct pci_bus *b, const char *spec, struct err *err);

/* testdev.c */
int testdev_create(struct vm *vm, struct pci_bus *b, const char *opts, struct err *err);

#endif
