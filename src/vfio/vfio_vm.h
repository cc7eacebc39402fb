/* vfio_vm.h - VFIO inside a running vfvm: the --device vfio type and its VM-wide state. */
#ifndef VFVM_VFIO_VM_H
#define VFVM_VFIO_VM_H

#include "core/err.h"

struct vm;
struct pci_bus;

/* The "vfio" row of the PCI device table: --device vfio,host=BDF[,...]. */
int vfio_device_create(struct vm *vm, struct pci_bus *b, const char *opts, struct err *err);
/* After every device: DMA-map guest RAM for the VFIO container (no-op without VFIO). */
int vfio_vm_map_ram(struct vm *vm, struct err *err);
/* After the PCI bus is torn down: close the container (unmaps DMA), the KVM-VFIO device. */
void vfio_vm_close(struct vm *vm);

#endif
