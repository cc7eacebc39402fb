/* vfio_pci_irq.h - a passed-through function's interrupts: INTx through an eventfd and the
 * I/O APIC, MSI/MSI-X through one eventfd per vector bound with irqfd (docs/passthrough.md). */
#ifndef VFVM_VFIO_PCI_IRQ_H
#define VFVM_VFIO_PCI_IRQ_H

#include <stdbool.h>
#include <stdint.h>
#include "device.h"

struct pci_dev;
struct vfio_pci_irq;

/* Which vector a watched eventfd belongs to. */
struct vfio_vec_ref {
	struct vfio_pci_irq *irq;
	unsigned n;
};

struct vfio_pci_irq {
	struct vfio_device *dev;
	struct pci_dev *pd;	/* the function on vfvm's bus (set once it is built) */
	uint64_t *user_irqs;	/* --stats: interrupts that needed a vfvm thread */
	/* INTx: the kernel signals intx_fd (and masks the line) until we unmask at EOI. */
	int intx_fd;
	bool intx_on;
	/* MSI/MSI-X: one eventfd per vector given to VFIO; bound to the vector's GSI with
	 * irqfd while unmasked, watched by the device thread (sets the pending bit) while not. */
	unsigned irq_index;	/* VFIO_PCI_MSI(X)_IRQ_INDEX when enabled, else ~0 */
	unsigned nfds;
	int *fds;
	int *bound_gsi;		/* GSI each fd is bound to, -1 if none */
	bool *watched;
	bool watch_warned;	/* "cannot watch masked vector" said once */
	struct vfio_vec_ref *refs;
};

/* Nothing enabled yet; @user_irqs counts interrupts a vfvm thread had to forward. */
void vfio_pci_irq_init(struct vfio_pci_irq *q, struct vfio_device *dev, uint64_t *user_irqs);
/* INTx on (if the device has it and the function a pin) / off. */
void vfio_pci_intx_enable(struct vfio_pci_irq *q);
void vfio_pci_intx_disable(struct vfio_pci_irq *q);
/* pci_dev_ops.intx_eoi: the guest EOI'd our pin. */
void vfio_pci_intx_eoi(struct vfio_pci_irq *q);
/* pci_dev_ops.irq_changed: follow the model's MSI/MSI-X state (enable, count, masks). */
void vfio_pci_irq_changed(struct vfio_pci_irq *q);
/* Every MSI/MSI-X eventfd given back and closed. */
void vfio_pci_msi_release(struct vfio_pci_irq *q);

#endif
