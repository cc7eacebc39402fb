/* kvm_glue.h - struct pci_glue: the PCI bus as the machine holds it (vm->pci points at .bus),
 * with the KVM-backed pci_host_ops of kvm_glue.c. */
#ifndef VFVM_PCI_KVM_GLUE_H
#define VFVM_PCI_KVM_GLUE_H

#include "pci.h"
#include "pci_dev.h"

struct vm;

struct pci_glue {
	struct pci_bus bus;		/* first: vm->pci == &glue->bus */
	struct vm *vm;
	pci_gsi_line_fn *gsi_line;	/* the machine's GSI lines, given to pci_setup() */
	struct pci_iothread *iot;	/* made by the first watch or pci_start() */
	bool cf8_registered;
	bool ecam_registered;
};

void pci_glue_ops(struct pci_glue *g, struct pci_host_ops *ops);

#endif
