/* iommu.h - the guest-programmed IOMMU's contract (--viommu, docs/viommu.md): what the
 * virtio-iommu model (src/virtio/iommu.c) asks of the endpoints behind it, and how an emulated
 * device turns a DMA address into guest memory. A leaf: no layer above it is included. */
#ifndef VFVM_IOMMU_H
#define VFVM_IOMMU_H

#include <stdbool.h>
#include <stdint.h>

/* Access rights of a mapping (virtio 1.2 §5.13.6.6: VIRTIO_IOMMU_MAP_F_READ/WRITE/MMIO). */
#define IOMMU_READ	0x1u
#define IOMMU_WRITE	0x2u
#define IOMMU_MMIO	0x4u

/*
 * A back end that makes the guest's domains real for the endpoints it owns (the VFIO
 * back end, src/vfio/vfio_viommu.c: one host container per IOMMU group). The model keeps the
 * authoritative domain/mapping table and calls these after it has validated a request, so a
 * back end sees only aligned, non-overlapping ranges inside guest RAM. All return 0 or -errno;
 * the model turns -errno into the request's status (-ENOENT → NOENT, -EINVAL → INVAL,
 * -ENOSPC → NOMEM (host's dma_entry_limit), anything else → DEVERR). Called under the
 * viommu's lock, on a vCPU thread (the request queue's kick).
 */
struct iommu_backend_ops {
	/* Does the back end own endpoint @ep (a PCI requester ID, bus<<8 | devfn)? */
	bool (*owns)(void *opaque, uint32_t ep);
	/*
	 * Endpoint @ep joins @domain, whose current mappings are replayed by the model with
	 * map() right after (so attach itself maps nothing). @bypass: the domain is a bypass
	 * domain (VIRTIO_IOMMU_ATTACH_F_BYPASS): all of guest RAM at IOVA = GPA. An endpoint
	 * that shares its host IOMMU group with another one in a different domain: -EBUSY.
	 */
	int (*attach)(void *opaque, uint32_t ep, uint32_t domain, bool bypass);
	/* Endpoint @ep leaves its domain: afterwards it reaches nothing (its mappings are gone). */
	int (*detach)(void *opaque, uint32_t ep);
	/* In @domain's address space, [iova, iova + size) → guest-physical @gpa, IOMMU_* @flags.
	 * For every endpoint of the back end attached to @domain. */
	int (*map)(void *opaque, uint32_t domain, uint64_t iova, uint64_t gpa, uint64_t size,
		   uint32_t flags);
	/* Remove exactly the mapping(s) the model says cover [iova, iova + size). */
	int (*unmap)(void *opaque, uint32_t domain, uint64_t iova, uint64_t size);
};

/*
 * How an emulated device (virtio-blk, testdev) resolves a DMA address: NULL means no
 * IOMMU (IOVA = GPA, the default). With --viommu, translate() looks @iova up in the domain of
 * endpoint @ep; it returns 0 and the guest-physical address of @iova with *@len shortened to
 * what is contiguous, or -EFAULT when nothing (or nothing with the @write right) is mapped,
 * after which the model reports a fault event on its event queue (§5.13.6.9) and in the trace.
 */
struct iommu_dma {
	int (*translate)(void *opaque, uint32_t ep, uint64_t iova, uint64_t *len, bool write,
			 uint64_t *gpa);
	void *opaque;
};

#endif
