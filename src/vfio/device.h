/* device.h - one VFIO device: its regions (BARs, ROM, config) with their mmap capabilities,
 * its interrupts, config-space access, reset, and the plan of which BAR parts are mapped
 * into the guest and which stay trapped. Through struct vfio_sys, so fakes can stand in. */
#ifndef VFVM_VFIO_DEVICE_H
#define VFVM_VFIO_DEVICE_H

#include <linux/vfio.h>
#include <stdbool.h>
#include <stdint.h>
#include "vfio.h"

#define VFIO_MAX_SPARSE 16

struct vfio_area {
	uint64_t off, size;
};

struct vfio_region {
	uint32_t flags;		/* VFIO_REGION_INFO_FLAG_* */
	uint64_t size;
	uint64_t offset;	/* file offset for pread/pwrite/mmap */
	int nsparse;		/* -1: no sparse-mmap capability */
	struct vfio_area sparse[VFIO_MAX_SPARSE];
};

struct vfio_device {
	const struct vfio_sys *sys;
	int fd;
	char name[BDF_STR_LEN];
	uint32_t flags;
	uint32_t num_regions, num_irqs;
	struct vfio_region regions[VFIO_PCI_NUM_REGIONS];
	uint32_t irq_count[VFIO_PCI_NUM_IRQS];
	uint32_t irq_flags[VFIO_PCI_NUM_IRQS];
};

/* Get the device fd from its group and read its region and interrupt information. */
int vfio_device_open(struct vfio_device *d, const struct vfio_sys *sys, int group_fd,
		     const struct pci_bdf *b, struct err *err);
void vfio_device_close(struct vfio_device *d);

/* Parse a region-info capability chain (exposed for tests). */
void vfio_region_caps(struct vfio_region *r, const struct vfio_region_info *info, size_t len);

/* Config space through the config region: 0 or -errno (short transfers are -EIO). */
int vfio_cfg_read(const struct vfio_device *d, unsigned off, void *buf, unsigned len);
int vfio_cfg_write(const struct vfio_device *d, unsigned off, const void *buf, unsigned len);
/* Trapped BAR / ROM access through the region's file offset. */
int vfio_region_read(const struct vfio_device *d, int index, uint64_t off, void *buf,
		     unsigned len);
int vfio_region_write(const struct vfio_device *d, int index, uint64_t off, const void *buf,
		      unsigned len);

/* VFIO_DEVICE_RESET when the device supports it (-ENOTTY otherwise). */
int vfio_device_reset(const struct vfio_device *d);

/*
 * Interrupts (VFIO_DEVICE_SET_IRQS). vfio_irq_set_fds: trigger eventfds for vectors
 * [start, start+count) of @index (-1 in @fds leaves that vector without one).
 * vfio_irq_disable: tear the whole index down. vfio_intx_unmask: unmask INTx after the
 * guest's EOI. (VFIO's unmask *eventfd* exists to pair with KVM's resampling irqfd, which
 * a split irqchip does not offer: vfvm sees the EOI itself, so an ioctl does it.)
 */
int vfio_irq_set_fds(const struct vfio_device *d, unsigned index, unsigned start,
		     unsigned count, const int *fds);
int vfio_irq_disable(const struct vfio_device *d, unsigned index);
int vfio_intx_unmask(const struct vfio_device *d);

/*
 * Which page-aligned parts of BAR region @r can be mmap'ed into the guest: the region's
 * sparse areas (or all of it when mmap-able without them), shrunk to whole pages of size
 * @page, minus @nexcl excluded ranges rounded out to pages (the MSI-X table and PBA, which
 * vfvm emulates even when the kernel would let them be mapped). Everything else in the BAR
 * is trapped. Returns the number of areas written to @out (at most @max).
 */
int vfio_bar_plan(const struct vfio_region *r, const struct vfio_area *excl, int nexcl,
		  uint64_t page, struct vfio_area *out, int max);

#endif
