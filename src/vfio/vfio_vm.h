/* vfio_vm.h - VFIO inside a running vfvm: the --device vfio type and its VM-wide state. */
#ifndef VFVM_VFIO_VM_H
#define VFVM_VFIO_VM_H

#include <stdint.h>
#include "core/err.h"
#include "core/iommu.h"

struct vm;
struct pci_bus;

/* What the machine hands the virtio-iommu model for the VFIO endpoints (--viommu). */
struct vfio_viommu_backend {
	const struct iommu_backend_ops *ops;
	void *opaque;
	/* The page sizes every group's container maps (the model's page_size_mask); 0 when no
	 * VFIO device is passed. */
	uint64_t pgsizes;
	/* The host reserved regions of endpoint @ep's group (PROBE): @fn per region, @end
	 * inclusive, @type "msi", "direct", "reserved" or "direct-relaxable"; returns the count,
	 * -ENOENT for an endpoint that is not VFIO's. */
	int (*resv)(void *opaque, uint32_t ep,
		    int (*fn)(void *arg, uint64_t start, uint64_t end, const char *type),
		    void *arg);
	/* Guest reset: every VFIO endpoint detached, nothing mapped (vfio_viommu_reset). */
	int (*reset)(void *opaque);
};

/* The "vfio" row of the PCI device table: --device vfio,host=BDF[,...]. */
int vfio_device_create(struct vm *vm, struct pci_bus *b, const char *opts, struct err *err);
/* After every device: DMA-map guest RAM for the VFIO container (no-op without VFIO). */
int vfio_vm_map_ram(struct vm *vm, struct err *err);
/*
 * --viommu (cfg.viommu): fill @out for the model. Call after every --device is created (the
 * groups' containers are open then, so the page sizes are known); valid until vfio_vm_close.
 * -EINVAL without cfg.viommu.
 */
int vfio_viommu_setup(struct vm *vm, struct vfio_viommu_backend *out, struct err *err);
/* After the PCI bus is torn down: close the container (unmaps DMA), the KVM-VFIO device. */
void vfio_vm_close(struct vm *vm);

#endif
