/* device.c - a VFIO device's regions, interrupts, config access, reset and BAR mmap plan
 * (see device.h; include/uapi/linux/vfio.h for the ioctls). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "device.h"

#define SYS(d, op, ...) ((d)->sys->op((d)->sys->ctx, __VA_ARGS__))

/* Does [off, off+size) (inside the region) overlap a sparse area kept already? Overlapping
 * areas would become overlapping memory slots, which KVM refuses. */
static bool sparse_overlaps(const struct vfio_region *r, uint64_t off, uint64_t size)
{
	for (int i = 0; i < r->nsparse; i++)
		if (off < r->sparse[i].off + r->sparse[i].size && r->sparse[i].off < off + size)
			return true;
	return false;
}

void vfio_region_caps(struct vfio_region *r, const struct vfio_region_info *info, size_t len)
{
	uint32_t off = info->cap_offset;
	int hops = 0;

	r->nsparse = -1;
	if (!(info->flags & VFIO_REGION_INFO_FLAG_CAPS))
		return;
	/* Each header's next is an offset from the start of the info; 0 ends the chain. The
	 * kernel aligns capabilities to 8 bytes (vfio_info_cap_add); anything else is junk. */
	while (off && !(off & 7) && off + sizeof(struct vfio_info_cap_header) <= len &&
	       hops++ < 32) {
		const struct vfio_info_cap_header *h = (const void *)((const char *)info + off);

		if (h->id == VFIO_REGION_INFO_CAP_SPARSE_MMAP &&
		    off + sizeof(struct vfio_region_info_cap_sparse_mmap) <= len) {
			const struct vfio_region_info_cap_sparse_mmap *s = (const void *)h;
			uint32_t n = s->nr_areas;

			if (off + sizeof(*s) + (uint64_t)n * sizeof(s->areas[0]) > len)
				n = (len - off - sizeof(*s)) / sizeof(s->areas[0]);
			r->nsparse = 0;
			for (uint32_t i = 0; i < n && r->nsparse < VFIO_MAX_SPARSE; i++) {
				/* offset + size may wrap: compare without adding */
				if (!s->areas[i].size || s->areas[i].offset > r->size ||
				    s->areas[i].size > r->size - s->areas[i].offset ||
				    sparse_overlaps(r, s->areas[i].offset, s->areas[i].size))
					continue;
				r->sparse[r->nsparse].off = s->areas[i].offset;
				r->sparse[r->nsparse].size = s->areas[i].size;
				r->nsparse++;
			}
		}
		/* VFIO_REGION_INFO_CAP_MSIX_MAPPABLE is not needed: vfvm emulates the MSI-X
		 * table and PBA and always traps their pages (docs/passthrough.md §3). */
		if (h->next <= off)
			break;
		off = h->next;
	}
}

static int region_info(struct vfio_device *d, unsigned index, struct err *err)
{
	struct vfio_region_info *info;
	size_t len = sizeof(*info);
	int r;

	info = calloc(1, len);
	if (!info)
		return err_set(err, ENOMEM, "out of memory");
	for (;;) {
		info->argsz = len;
		info->index = index;
		r = SYS(d, ioctl, d->fd, VFIO_DEVICE_GET_REGION_INFO, info);
		if (r < 0 || info->argsz <= len)
			break;
		/* The kernel wants room for the capability chain: ask again with it. */
		len = info->argsz;
		free(info);
		info = calloc(1, len);
		if (!info)
			return err_set(err, ENOMEM, "out of memory");
	}
	if (r < 0) {
		free(info);
		if (r == -EINVAL)	/* index not implemented (e.g. VGA) */
			return 0;
		return err_set(err, -r, "%s: region %u info: %s", d->name, index, strerror(-r));
	}
	d->regions[index].flags = info->flags;
	d->regions[index].size = info->size;
	d->regions[index].offset = info->offset;
	vfio_region_caps(&d->regions[index], info, len);
	free(info);
	return 0;
}

int vfio_device_open(struct vfio_device *d, const struct vfio_sys *sys, int group_fd,
		     const struct pci_bdf *b, struct err *err)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	int r;

	memset(d, 0, sizeof(*d));
	d->sys = sys;
	bdf_format(b, d->name, sizeof(d->name));
	r = SYS(d, ioctl, group_fd, VFIO_GROUP_GET_DEVICE_FD, d->name);
	if (r < 0) {
		d->fd = -1;
		if (r == -EBUSY)
			return err_input(err, EBUSY, "%s: already in use (opened by another "
					 "program?)", d->name);
		return err_set(err, -r, "%s: VFIO_GROUP_GET_DEVICE_FD: %s", d->name, strerror(-r));
	}
	d->fd = r;
	r = SYS(d, ioctl, d->fd, VFIO_DEVICE_GET_INFO, &info);
	if (r < 0) {
		err_set(err, -r, "%s: VFIO_DEVICE_GET_INFO: %s", d->name, strerror(-r));
		goto fail;
	}
	if (!(info.flags & VFIO_DEVICE_FLAGS_PCI)) {
		r = err_input(err, EINVAL, "%s: not a PCI device", d->name);
		goto fail;
	}
	d->flags = info.flags;
	d->num_regions = info.num_regions;
	d->num_irqs = info.num_irqs;
	for (unsigned i = 0; i < VFIO_PCI_NUM_REGIONS && i < info.num_regions; i++) {
		r = region_info(d, i, err);
		if (r)
			goto fail;
	}
	if (!d->regions[VFIO_PCI_CONFIG_REGION_INDEX].size) {
		r = err_set(err, EINVAL, "%s: no config-space region", d->name);
		goto fail;
	}
	for (unsigned i = 0; i < VFIO_PCI_NUM_IRQS && i < info.num_irqs; i++) {
		struct vfio_irq_info irq = { .argsz = sizeof(irq), .index = i };

		if (SYS(d, ioctl, d->fd, VFIO_DEVICE_GET_IRQ_INFO, &irq) < 0)
			continue;
		d->irq_count[i] = irq.count;
		d->irq_flags[i] = irq.flags;
	}
	return 0;
fail:
	vfio_device_close(d);
	return r;
}

void vfio_device_close(struct vfio_device *d)
{
	if (d->sys && d->fd >= 0)
		SYS(d, close, d->fd);
	d->fd = -1;
}

static int region_rw(const struct vfio_device *d, int index, uint64_t off, void *buf,
		     unsigned len, bool write)
{
	const struct vfio_region *r;
	ssize_t n;

	if (index < 0 || index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	r = &d->regions[index];
	if (off >= r->size || len > r->size - off)
		return -EINVAL;
	if (write)
		n = SYS(d, pwrite, d->fd, buf, len, r->offset + off);
	else
		n = SYS(d, pread, d->fd, buf, len, r->offset + off);
	if (n < 0)
		return (int)n;
	return (unsigned)n == len ? 0 : -EIO;
}

int vfio_region_read(const struct vfio_device *d, int index, uint64_t off, void *buf,
		     unsigned len)
{
	return region_rw(d, index, off, buf, len, false);
}

int vfio_region_write(const struct vfio_device *d, int index, uint64_t off, const void *buf,
		      unsigned len)
{
	return region_rw(d, index, off, (void *)buf, len, true);
}

int vfio_cfg_read(const struct vfio_device *d, unsigned off, void *buf, unsigned len)
{
	return region_rw(d, VFIO_PCI_CONFIG_REGION_INDEX, off, buf, len, false);
}

int vfio_cfg_write(const struct vfio_device *d, unsigned off, const void *buf, unsigned len)
{
	return region_rw(d, VFIO_PCI_CONFIG_REGION_INDEX, off, (void *)buf, len, true);
}

int vfio_device_reset(const struct vfio_device *d)
{
	if (!(d->flags & VFIO_DEVICE_FLAGS_RESET))
		return -ENOTTY;
	return SYS(d, ioctl, d->fd, VFIO_DEVICE_RESET, NULL);
}

static int set_irqs(const struct vfio_device *d, uint32_t flags, unsigned index, unsigned start,
		    unsigned count, const int *fds)
{
	size_t len = sizeof(struct vfio_irq_set) + (fds ? count * sizeof(int) : 0);
	struct vfio_irq_set *s;
	int r;

	if (index >= VFIO_PCI_NUM_IRQS || (count && start + count > d->irq_count[index]))
		return -EINVAL;
	s = calloc(1, len);
	if (!s)
		return -ENOMEM;
	s->argsz = len;
	s->flags = flags;
	s->index = index;
	s->start = start;
	s->count = count;
	if (fds)
		memcpy(s->data, fds, count * sizeof(int));
	r = SYS(d, ioctl, d->fd, VFIO_DEVICE_SET_IRQS, s);
	free(s);
	return r < 0 ? r : 0;
}

int vfio_irq_set_fds(const struct vfio_device *d, unsigned index, unsigned start,
		     unsigned count, const int *fds)
{
	return set_irqs(d, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, index, start,
			count, fds);
}

int vfio_irq_disable(const struct vfio_device *d, unsigned index)
{
	return set_irqs(d, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, index, 0, 0,
			NULL);
}

int vfio_intx_unmask(const struct vfio_device *d)
{
	return set_irqs(d, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
			VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL);
}

/* Append [off, off+size) minus the excluded ranges to @out. */
static int area_subtract(uint64_t off, uint64_t size, const struct vfio_area *excl, int nexcl,
			 struct vfio_area *out, int n, int max)
{
	uint64_t end = off + size;

	for (int i = 0; i < nexcl; i++) {
		uint64_t es = excl[i].off, ee = excl[i].off + excl[i].size;

		if (ee <= off || es >= end)
			continue;
		if (es > off)
			n = area_subtract(off, es - off, excl, nexcl, out, n, max);
		if (ee < end)
			n = area_subtract(ee, end - ee, excl, nexcl, out, n, max);
		return n;
	}
	if (size && n < max) {
		out[n].off = off;
		out[n].size = size;
		n++;
	}
	return n;
}

int vfio_bar_plan(const struct vfio_region *r, const struct vfio_area *excl, int nexcl,
		  uint64_t page, struct vfio_area *out, int max)
{
	struct vfio_area ex[8], whole = { 0, r->size };
	const struct vfio_area *areas = &whole;
	int nareas = 1, n = 0;

	if (!(r->flags & VFIO_REGION_INFO_FLAG_MMAP) || r->size < page)
		return 0;	/* sub-page or not mmap-able: all trapped */
	if (r->nsparse >= 0) {
		areas = r->sparse;
		nareas = r->nsparse;
	}
	/* The MSI-X table and PBA stay trapped (vfvm emulates them) unless the kernel says
	 * they may be mapped AND the caller passes no exclusions; pages are the unit of mmap. */
	if (nexcl > 8)
		nexcl = 8;
	for (int i = 0; i < nexcl; i++) {
		ex[i].off = excl[i].off & ~(page - 1);
		ex[i].size = ((excl[i].off + excl[i].size + page - 1) & ~(page - 1)) - ex[i].off;
	}
	for (int i = 0; i < nareas; i++) {
		uint64_t s = (areas[i].off + page - 1) & ~(page - 1);
		uint64_t e = (areas[i].off + areas[i].size) & ~(page - 1);

		if (e > s)
			n = area_subtract(s, e - s, ex, nexcl, out, n, max);
	}
	return n;
}
