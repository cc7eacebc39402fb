/* vfio_viommu.h - the VFIO back end of the guest-programmed IOMMU (--viommu, docs/viommu.md
 * "VFIO back end"): one type1v2 container per host IOMMU group, mapped as the guest asks. */
#ifndef VFVM_VFIO_VIOMMU_H
#define VFVM_VFIO_VIOMMU_H

#include <stdbool.h>
#include <stdint.h>
#include "core/err.h"
#include "core/iommu.h"
#include "core/mem.h"
#include "vfio.h"

#define VFIO_VIOMMU_MAX_EPS 16		/* VFIO_MAX_DEVICES: one per passed function */

/* One VFIO_IOMMU_MAP_DMA the back end made for the guest (a guest MAP becomes one per RAM
 * region it spans); a node of the container's AVL tree ordered by iova. */
struct vfio_viommu_map {
	uint64_t iova, size, vaddr;
	uint32_t flags;			/* VFIO_DMA_MAP_FLAG_READ/WRITE */
	int height;
	struct vfio_viommu_map *left, *right;
};

/* A host IOMMU group and the container only it is in. */
struct vfio_viommu_group {
	int id;
	struct vfio_container c;	/* c.maps: the bypass maps (all RAM at IOVA = GPA) */
	uint64_t pgsizes;		/* VFIO_IOMMU_GET_INFO iova_pgsizes */
	uint32_t dma_limit;		/* mappings it may hold (DMA_AVAIL at set-up) */
	bool attached;			/* in a guest domain (an endpoint is attached) */
	bool bypass;
	uint32_t domain;
	struct vfio_viommu_map *maps;	/* the guest's mappings: the tree's root */
	unsigned nmaps;
	struct vfio_viommu_map *spare;	/* nodes set aside before the kernel is asked */
	unsigned nspare;
};

/* A guest endpoint (PCI requester ID on vfvm's bus) and the group behind it. */
struct vfio_viommu_ep {
	uint32_t ep;
	int group;			/* index in vfio_viommu.groups */
	bool attached;
};

struct vfio_viommu {
	const struct vfio_sys *sys;
	const struct vfio_host *host;
	const struct guest_mem *mem;
	struct vfio_viommu_group groups[VFIO_MAX_GROUPS];
	int ngroups;
	struct vfio_viommu_ep eps[VFIO_VIOMMU_MAX_EPS];
	int neps;
	struct err err;			/* why the last operation failed (for the trace) */
};

/* The back end's struct iommu_backend_ops; the opaque is the struct vfio_viommu. */
extern const struct iommu_backend_ops vfio_viommu_ops;

void vfio_viommu_init(struct vfio_viommu *v, const struct vfio_sys *sys,
		      const struct vfio_host *host, const struct guest_mem *mem);
/*
 * Open group @id (once; later calls return the same fd) in a container of its own, type1v2,
 * with nothing mapped, and read its page sizes and DMA mapping limit. Returns the group fd.
 */
int vfio_viommu_group_get(struct vfio_viommu *v, int id, const struct pci_bdf *passed,
			  int npassed, struct err *err);
/* Endpoint @ep (bus << 8 | devfn as the guest sees it) is a function of group @id. */
int vfio_viommu_ep_add(struct vfio_viommu *v, uint32_t ep, int id, struct err *err);
/* Forget @ep again (its device did not make it onto the bus; it was never attached). */
void vfio_viommu_ep_del(struct vfio_viommu *v, uint32_t ep);
/*
 * The page sizes every container supports (the AND of their iova_pgsizes, without the sizes
 * below the largest smallest page): the model's page_size_mask. 0 when there is no group.
 */
uint64_t vfio_viommu_pgsizes(const struct vfio_viommu *v);
/*
 * The host reserved regions of @ep's group (/sys/kernel/iommu_groups/N/reserved_regions):
 * @fn(arg, start, end inclusive, type: "msi", "direct", "reserved", "direct-relaxable") for
 * each. Returns how many, -ENOENT for an endpoint the back end does not own, or what @fn
 * returned when it was negative (which stops the walk).
 */
int vfio_viommu_resv(const struct vfio_viommu *v, uint32_t ep,
		     int (*fn)(void *arg, uint64_t start, uint64_t end, const char *type),
		     void *arg);
/*
 * A guest reset (--reboot; the virtio-iommu's own reset): every endpoint detached, every
 * container emptied, so the next boot's devices again reach nothing until it maps. Returns
 * the first unmap the kernel refused (that mapping stays, close tries again), else 0.
 */
int vfio_viommu_reset(struct vfio_viommu *v);
/* Unmap everything, detach the groups, close the containers. Idempotent. */
void vfio_viommu_close(struct vfio_viommu *v);

#endif
