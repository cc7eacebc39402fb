/* host.h - what the host says about a PCI device through sysfs: its IOMMU group, its driver,
 * its IDs, who shares its group. Paths hang off a root so tests can build fake trees. */
#ifndef VFVM_VFIO_HOST_H
#define VFVM_VFIO_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/err.h"

struct pci_bdf {
	uint16_t domain;
	uint8_t bus, dev, fn;
};

#define BDF_STR_LEN 16		/* "0000:00:00.0" + NUL, rounded up */

/* Where the host's sysfs and /dev live ("" for the real ones). */
struct vfio_host {
	const char *root;
};

/* "0000:01:00.0" or "01:00.0"; -EINVAL unless well formed (device <= 0x1f, function <= 7). */
int bdf_parse(const char *s, struct pci_bdf *out);
void bdf_format(const struct pci_bdf *b, char *buf, size_t len);

/* Does the device exist? */
bool host_dev_exists(const struct vfio_host *h, const struct pci_bdf *b);
/* IOMMU group number; -ENOENT when the device has none (no IOMMU enabled). */
int host_dev_group(const struct vfio_host *h, const struct pci_bdf *b);
/* Name of the bound driver into @buf ("" if none); 0 or -errno. */
int host_dev_driver(const struct vfio_host *h, const struct pci_bdf *b, char *buf, size_t len);
/*
 * The resets the host kernel can do for the device, in the order it tries them, from sysfs
 * reset_method (Linux 5.15+, e.g. "flr,bus"); "yes" where only the older "reset" file exists,
 * "none" where neither names a method (VFIO_DEVICE_RESET then fails: docs/passthrough.md).
 */
int host_dev_reset_method(const struct vfio_host *h, const struct pci_bdf *b, char *buf,
			  size_t len);
/* vendor, device and class (24-bit) from sysfs. */
int host_dev_ids(const struct vfio_host *h, const struct pci_bdf *b, uint16_t *vendor,
		 uint16_t *device, uint32_t *class);
/* Devices of IOMMU group @group, sorted; returns the count (up to @max) or -errno. */
int host_group_devices(const struct vfio_host *h, int group, struct pci_bdf *out, int max);

/*
 * Can @group be used when the devices in @passed[] are being assigned? Every device of the
 * group must be passed too or bound to vfio-pci / pci-stub / no driver (the kernel's rule for
 * a viable group). On failure, err_input names the device, its driver and what to do.
 */
int host_group_check(const struct vfio_host *h, int group, const struct pci_bdf *passed,
		     int npassed, struct err *err);

/* Is a [start, end] inclusive range from the group's reserved_regions overlapping @ranges? */
struct host_resv {
	uint64_t start, end;	/* inclusive */
	char type[16];		/* "msi", "direct", "reserved", "direct-relaxable" */
};
/* Parse /sys/kernel/iommu_groups/N/reserved_regions; returns the count or -errno. */
int host_group_resv(const struct vfio_host *h, int group, struct host_resv *out, int max);

/* Move a device to vfio-pci through driver_override (and back with host_unbind). */
int host_bind(const struct vfio_host *h, const struct pci_bdf *b, struct err *err);
int host_unbind(const struct vfio_host *h, const struct pci_bdf *b, struct err *err);

/* Build "<root>/sys/bus/pci/devices/<bdf>/<leaf>" into @buf. */
int host_dev_path(const struct vfio_host *h, const struct pci_bdf *b, const char *leaf,
		  char *buf, size_t len);

#endif
