/* vfio.h - the VFIO type1 container, its groups and devices, through a small system-call
 * interface (struct vfio_sys) so unit tests can put a fake kernel behind it.
 * Linux Documentation/driver-api/vfio.rst; include/uapi/linux/vfio.h. */
#ifndef VFVM_VFIO_H
#define VFVM_VFIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "core/err.h"
#include "core/mem.h"
#include "host.h"

struct vfio_sys {
	int (*open)(void *ctx, const char *path, int flags);
	int (*ioctl)(void *ctx, int fd, unsigned long req, void *arg);	/* -errno on failure */
	void (*close)(void *ctx, int fd);
	void *(*mmap)(void *ctx, size_t len, int prot, int fd, off_t off);	/* NULL on failure */
	void (*munmap)(void *ctx, void *addr, size_t len);
	ssize_t (*pread)(void *ctx, int fd, void *buf, size_t n, off_t off);
	ssize_t (*pwrite)(void *ctx, int fd, const void *buf, size_t n, off_t off);
	void *ctx;
};

/* The real kernel. */
extern const struct vfio_sys vfio_sys_linux;

#define VFIO_MAX_GROUPS 16
#define VFIO_MAX_MAPS MEM_MAX_REGIONS

struct vfio_group {
	int id;
	int fd;
};

struct vfio_container {
	const struct vfio_sys *sys;
	const struct vfio_host *host;
	int fd;
	struct vfio_group groups[VFIO_MAX_GROUPS];
	int ngroups;
	struct { uint64_t iova, size; } maps[VFIO_MAX_MAPS];
	int nmaps;
	bool iommu_set;
};

/* Open /dev/vfio/vfio and check the API version and type1v2 support. */
int vfio_container_open(struct vfio_container *c, const struct vfio_sys *sys,
			const struct vfio_host *host, struct err *err);
/*
 * Open group @id (once; later calls return the same group), check it is viable, add it to
 * the container and, for the first group, set the type1v2 IOMMU. Returns the group's fd.
 */
int vfio_group_get(struct vfio_container *c, int id, const struct pci_bdf *passed, int npassed,
		   struct err *err);
/*
 * DMA-map all guest RAM at IOVA = guest-physical address, after checking that no group's
 * reserved region (other than the MSI window) overlaps RAM.
 */
int vfio_dma_map_ram(struct vfio_container *c, const struct guest_mem *mem, struct err *err);
/* Undo vfio_dma_map_ram (also what it mapped before it failed). */
void vfio_dma_unmap_ram(struct vfio_container *c);
/* Unmap, detach groups, close everything. Safe on a partly opened container. */
void vfio_container_close(struct vfio_container *c);

/* RLIMIT_MEMLOCK (unless CAP_IPC_LOCK) must cover guest RAM: type1 pins all of it. */
int vfio_memlock_check(uint64_t ram_size, struct err *err);

#endif
