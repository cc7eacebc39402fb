/* fake_vfio.h - a fake VFIO kernel behind struct vfio_sys for unit tests: containers, groups
 * and devices whose answers the test sets, and a log of what vfvm asked. Header-only. */
#ifndef FAKE_VFIO_H
#define FAKE_VFIO_H

#include <errno.h>
#include <stdbool.h>
#include <linux/vfio.h>
#include <stdlib.h>
#include <string.h>
#include "vfio/vfio.h"

#define FAKE_CONTAINER_FD 100	/* + how many containers were opened before */
#define FAKE_GROUP_FD 200	/* + group number */
#define FAKE_MAX_LOG 64
#define FAKE_MAX_LIVE 256

/* A DMA mapping the fake IOMMU holds, as type1 does: until UNMAP_DMA removes it (closing the
 * container does not, so a test sees what vfvm forgot to unmap). */
struct fake_dma {
	int fd;			/* the container's */
	uint64_t iova, size, vaddr;
	uint32_t flags;
};

struct fake_vfio {
	int api_version;
	int type1v2;
	int group_open_err[64];		/* per group: -errno returned by open */
	int group_viable[64];
	int map_err;			/* -errno for VFIO_IOMMU_MAP_DMA */
	int map_calls, map_fail_at;	/* MAP_DMA number map_fail_at (1-based) fails with */
	int map_fail_err;		/* ... this -errno (e.g. -EFAULT) */
	int unmap_calls, unmap_fail_at;	/* UNMAP_DMA number unmap_fail_at fails with -EIO */
	int containers;			/* containers opened */
	int group_container[64];	/* the container fd each group was set to */
	struct fake_dma live[FAKE_MAX_LIVE];	/* every container's mappings */
	int nlive;
	uint32_t dma_limit;		/* mappings per container (type1 dma_entry_limit) */
	int no_dma_avail_cap;		/* GET_INFO without VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL */
	uint64_t pgsizes;		/* GET_INFO iova_pgsizes */
	int info_err;			/* -errno for VFIO_IOMMU_GET_INFO */
	uint32_t iova_ranges;		/* IOVA-range capability's ranges (before DMA_AVAIL) */
	int open_fds;
	unsigned long log_req[FAKE_MAX_LOG];
	long log_arg[FAKE_MAX_LOG];	/* group/iova of interest */
	int nlog;
	struct { uint64_t iova, size, vaddr; } maps[8];
	int nmaps;
	int unmaps;
	int unset_containers;
	int iommu_type;
	/* The device behind VFIO_GROUP_GET_DEVICE_FD. */
	int dev_open_err;
	uint32_t dev_flags;
	struct vfio_region_info regions[VFIO_PCI_NUM_REGIONS];
	/* Optional capability chain for one region (appended after the info). */
	int cap_region;
	uint8_t cap_chain[256] __attribute__((aligned(8)));
	uint32_t cap_len;
	uint32_t irq_count[VFIO_PCI_NUM_IRQS];
	uint8_t config[4096];
	/* The expansion ROM behind fake_rom(): read as vfio-pci does, -EIO while the device's
	 * Command register has memory decoding off. */
	uint8_t rom[8192];
	int rom_reads_refused;
	/* Last VFIO_DEVICE_SET_IRQS. */
	uint32_t irq_set_flags, irq_set_index, irq_set_start, irq_set_count;
	int irq_set_fds[2048];	/* PCI 3.0 §6.8.2: at most 2048 MSI-X vectors */
	int resets;
	uint16_t cmd_at_reset;	/* Command register when VFIO_DEVICE_RESET came */
	int mmaps;		/* live mappings */
	int mmap_fail;		/* mmap refuses (returns NULL) when set */
	int unmask_count;	/* INTx unmasks */
	/* The first 4 KiB of BAR0 (region 0, at regions[0].offset), refused like vfio-pci does
	 * (-EIO) while memory decoding is off. A write of bit 26 at 0 (e1000e CTRL.RST) is
	 * counted and self-clears; the Command register at each BAR0 write is ORed up. */
	uint8_t bar0[4096];
	int bar0_refused, bar0_writes, bar0_resets;
	uint16_t cmd_at_bar0_writes;
};

#define FAKE_DEVICE_FD 300

static void fake_log(struct fake_vfio *f, unsigned long req, long arg)
{
	if (f->nlog < FAKE_MAX_LOG) {
		f->log_req[f->nlog] = req;
		f->log_arg[f->nlog] = arg;
		f->nlog++;
	}
}

static int fake_live_in(const struct fake_vfio *f, int fd)
{
	int n = 0;

	for (int i = 0; i < f->nlive; i++)
		n += f->live[i].fd == fd;
	return n;
}

/* type1's checks (drivers/vfio/vfio_iommu_type1.c vfio_dma_do_map): rights, alignment, no
 * overlap (-EEXIST), dma_avail (-ENOSPC). */
static int fake_dma_add(struct fake_vfio *f, int fd, const struct vfio_iommu_type1_dma_map *m)
{
	if (++f->map_calls == f->map_fail_at)
		return f->map_fail_err;
	if (!(m->flags & (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)) || !m->size ||
	    ((m->iova | m->size | m->vaddr) & 0xfff))
		return -EINVAL;
	for (int i = 0; i < f->nlive; i++)
		if (f->live[i].fd == fd && m->iova < f->live[i].iova + f->live[i].size &&
		    f->live[i].iova < m->iova + m->size)
			return -EEXIST;
	if ((uint32_t)fake_live_in(f, fd) >= f->dma_limit || f->nlive == FAKE_MAX_LIVE)
		return -ENOSPC;
	f->live[f->nlive++] = (struct fake_dma){ fd, m->iova, m->size, m->vaddr, m->flags };
	return 0;
}

/* type1v2: every mapping inside the range goes, one that sticks out is -EINVAL; the size
 * unmapped is written back. */
static int fake_dma_remove(struct fake_vfio *f, int fd, struct vfio_iommu_type1_dma_unmap *u)
{
	uint64_t done = 0;

	for (int i = 0; i < f->nlive; i++) {
		struct fake_dma *d = &f->live[i];

		if (d->fd != fd || d->iova >= u->iova + u->size || u->iova >= d->iova + d->size)
			continue;
		if (d->iova < u->iova || d->iova + d->size > u->iova + u->size)
			return -EINVAL;
	}
	for (int i = 0; i < f->nlive; i++) {
		struct fake_dma *d = &f->live[i];

		if (d->fd != fd || d->iova < u->iova || d->iova + d->size > u->iova + u->size)
			continue;
		done += d->size;
		f->live[i--] = f->live[--f->nlive];
	}
	u->size = done;
	return 0;
}

/* Page sizes, and after the info (when argsz leaves room for them, else only the size they
 * need) an IOVA-range capability of @iova_ranges ranges, if any, and DMA_AVAIL. */
static int fake_iommu_info(struct fake_vfio *f, int fd, struct vfio_iommu_type1_info *info)
{
	struct vfio_iommu_type1_info_dma_avail *cap;
	struct vfio_iommu_type1_info_cap_iova_range *ranges;
	uint32_t rlen = f->iova_ranges ? sizeof(*ranges) + f->iova_ranges * 16 : 0;
	uint32_t need = sizeof(*info) + rlen + sizeof(*cap), argsz = info->argsz;

	if (f->info_err)
		return f->info_err;
	info->flags = VFIO_IOMMU_INFO_PGSIZES;
	info->iova_pgsizes = f->pgsizes;
	info->cap_offset = 0;
	if (f->no_dma_avail_cap) {
		info->argsz = sizeof(*info);
		return 0;
	}
	info->flags |= VFIO_IOMMU_INFO_CAPS;
	info->argsz = need;
	if (argsz < need)
		return 0;
	ranges = (void *)(info + 1);
	cap = (void *)((uint8_t *)(info + 1) + rlen);
	if (rlen) {
		memset(ranges, 0, rlen);
		ranges->header.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE;
		ranges->header.version = 1;
		ranges->header.next = sizeof(*info) + rlen;
		ranges->nr_iovas = f->iova_ranges;
	}
	cap->header.id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL;
	cap->header.version = 1;
	cap->header.next = 0;
	cap->avail = f->dma_limit - fake_live_in(f, fd);
	info->cap_offset = sizeof(*info);
	return 0;
}

static int fake_open(void *ctx, const char *path, int flags)
{
	struct fake_vfio *f = ctx;
	const char *p = strstr(path, "/dev/vfio/");
	int g;

	(void)flags;
	if (!p)
		return -ENOENT;
	p += strlen("/dev/vfio/");
	if (!strcmp(p, "vfio")) {
		if (f->api_version < 0)
			return -ENOENT;
		f->open_fds++;
		return FAKE_CONTAINER_FD + f->containers++;
	}
	g = atoi(p);
	if (g < 0 || g >= 64)
		return -ENOENT;
	if (f->group_open_err[g])
		return f->group_open_err[g];
	f->open_fds++;
	return FAKE_GROUP_FD + g;
}

static int fake_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	struct fake_vfio *f = ctx;

	fake_log(f, req, fd);
	switch (req) {
	case VFIO_GET_API_VERSION:
		return f->api_version;
	case VFIO_CHECK_EXTENSION:
		return (uintptr_t)arg == VFIO_TYPE1v2_IOMMU ? f->type1v2 : 0;
	case VFIO_GROUP_GET_STATUS: {
		struct vfio_group_status *st = arg;

		st->flags = f->group_viable[fd - FAKE_GROUP_FD] ? VFIO_GROUP_FLAGS_VIABLE : 0;
		return 0;
	}
	case VFIO_GROUP_SET_CONTAINER: {
		int c = *(int *)arg;

		if (c < FAKE_CONTAINER_FD || c >= FAKE_CONTAINER_FD + f->containers)
			return -EINVAL;
		f->group_container[fd - FAKE_GROUP_FD] = c;
		return 0;
	}
	case VFIO_IOMMU_GET_INFO:
		return fake_iommu_info(f, fd, arg);
	case VFIO_GROUP_UNSET_CONTAINER:
		f->unset_containers++;
		return 0;
	case VFIO_SET_IOMMU:
		f->iommu_type = (int)(uintptr_t)arg;
		return 0;
	case VFIO_IOMMU_MAP_DMA: {
		struct vfio_iommu_type1_dma_map *m = arg;
		int r;

		if (f->map_err)
			return f->map_err;
		r = fake_dma_add(f, fd, m);
		if (r)
			return r;
		if (f->nmaps < 8) {
			f->maps[f->nmaps].iova = m->iova;
			f->maps[f->nmaps].size = m->size;
			f->maps[f->nmaps].vaddr = m->vaddr;
			f->nmaps++;
		}
		return 0;
	}
	case VFIO_GROUP_GET_DEVICE_FD:
		if (f->dev_open_err)
			return f->dev_open_err;
		f->open_fds++;
		return FAKE_DEVICE_FD;
	case VFIO_DEVICE_GET_INFO: {
		struct vfio_device_info *di = arg;

		di->flags = f->dev_flags;
		di->num_regions = VFIO_PCI_NUM_REGIONS;
		di->num_irqs = VFIO_PCI_NUM_IRQS;
		return 0;
	}
	case VFIO_DEVICE_GET_REGION_INFO: {
		struct vfio_region_info *ri = arg;
		uint32_t idx = ri->index, argsz = ri->argsz;

		if (idx >= VFIO_PCI_NUM_REGIONS || !f->regions[idx].size)
			return -EINVAL;
		*ri = f->regions[idx];
		ri->index = idx;
		ri->argsz = sizeof(*ri);
		if ((int)idx == f->cap_region && f->cap_len) {
			ri->flags |= VFIO_REGION_INFO_FLAG_CAPS;
			ri->argsz = sizeof(*ri) + f->cap_len;
			if (argsz >= ri->argsz) {
				ri->cap_offset = sizeof(*ri);
				memcpy(ri + 1, f->cap_chain, f->cap_len);
			}
		}
		return 0;
	}
	case VFIO_DEVICE_GET_IRQ_INFO: {
		struct vfio_irq_info *ii = arg;

		ii->count = ii->index < VFIO_PCI_NUM_IRQS ? f->irq_count[ii->index] : 0;
		ii->flags = VFIO_IRQ_INFO_EVENTFD;
		return 0;
	}
	case VFIO_DEVICE_SET_IRQS: {
		struct vfio_irq_set *s = arg;

		f->irq_set_flags = s->flags;
		f->irq_set_index = s->index;
		f->irq_set_start = s->start;
		f->irq_set_count = s->count;
		if ((s->flags & VFIO_IRQ_SET_DATA_EVENTFD) && s->count <= 2048)
			memcpy(f->irq_set_fds, s->data, s->count * sizeof(int));
		if (s->flags & VFIO_IRQ_SET_ACTION_UNMASK)
			f->unmask_count++;
		return 0;
	}
	case VFIO_DEVICE_RESET:
		f->resets++;
		f->cmd_at_reset = f->config[4] | f->config[5] << 8;
		return 0;
	case VFIO_IOMMU_UNMAP_DMA:
		if (++f->unmap_calls == f->unmap_fail_at)
			return -EIO;
		f->unmaps++;
		return fake_dma_remove(f, fd, arg);
	}
	return -ENOTTY;
}

static void fake_close(void *ctx, int fd)
{
	struct fake_vfio *f = ctx;

	(void)fd;
	f->open_fds--;
}

#define FAKE_CFG_OFFSET 0x70000000000ULL
#define FAKE_ROM_OFFSET 0x80000000000ULL

/* A BAR0 access inside fake_vfio.bar0? Then *@r is what pread/pwrite return. */
static bool fake_bar0(struct fake_vfio *f, void *buf, size_t n, off_t off, bool write,
		      ssize_t *r)
{
	uint64_t base = f->regions[0].offset, rel = (uint64_t)off - base;

	if (!f->regions[0].size || (uint64_t)off < base || rel + n > sizeof(f->bar0))
		return false;
	if (!(f->config[0x04] & 0x02)) {	/* Command: Memory Space */
		f->bar0_refused++;
		*r = -EIO;
		return true;
	}
	if (!write) {
		memcpy(buf, f->bar0 + rel, n);
	} else {
		uint32_t v = 0;

		memcpy(f->bar0 + rel, buf, n);
		f->bar0_writes++;
		f->cmd_at_bar0_writes |= f->config[0x04] | f->config[0x05] << 8;
		memcpy(&v, f->bar0, 4);
		if (rel == 0 && (v & (1u << 26))) {
			f->bar0_resets++;
			v &= ~(1u << 26);
			memcpy(f->bar0, &v, 4);
		}
	}
	*r = (ssize_t)n;
	return true;
}

static ssize_t fake_pread(void *ctx, int fd, void *buf, size_t n, off_t off)
{
	struct fake_vfio *f = ctx;
	ssize_t r;

	if (fd == FAKE_DEVICE_FD && fake_bar0(f, buf, n, off, false, &r))
		return r;

	if (fd == FAKE_DEVICE_FD && (uint64_t)off >= FAKE_ROM_OFFSET &&
	    (uint64_t)off - FAKE_ROM_OFFSET + n <= sizeof(f->rom)) {
		if (!(f->config[0x04] & 0x02)) {	/* Command: Memory Space */
			f->rom_reads_refused++;
			return -EIO;
		}
		memcpy(buf, f->rom + (off - FAKE_ROM_OFFSET), n);
		return n;
	}
	if (fd != FAKE_DEVICE_FD || (uint64_t)off < FAKE_CFG_OFFSET ||
	    (uint64_t)off - FAKE_CFG_OFFSET + n > sizeof(f->config))
		return -EIO;
	memcpy(buf, f->config + (off - FAKE_CFG_OFFSET), n);
	return n;
}

static ssize_t fake_pwrite(void *ctx, int fd, const void *buf, size_t n, off_t off)
{
	struct fake_vfio *f = ctx;
	ssize_t r;

	if (fd == FAKE_DEVICE_FD && fake_bar0(f, (void *)buf, n, off, true, &r))
		return r;

	if (fd != FAKE_DEVICE_FD || (uint64_t)off < FAKE_CFG_OFFSET ||
	    (uint64_t)off - FAKE_CFG_OFFSET + n > sizeof(f->config))
		return -EIO;
	memcpy(f->config + (off - FAKE_CFG_OFFSET), buf, n);
	return n;
}

static void *fake_mmap(void *ctx, size_t len, int prot, int fd, off_t off)
{
	struct fake_vfio *f = ctx;
	void *p;

	(void)prot;
	(void)fd;
	(void)off;
	if (f->mmap_fail || posix_memalign(&p, 4096, len))
		return NULL;
	memset(p, 0, len);
	f->mmaps++;
	return p;
}

static void fake_munmap(void *ctx, void *addr, size_t len)
{
	struct fake_vfio *f = ctx;

	(void)len;
	free(addr);
	f->mmaps--;
}

static void fake_vfio_init(struct fake_vfio *f, struct vfio_sys *sys)
{
	memset(f, 0, sizeof(*f));
	f->api_version = VFIO_API_VERSION;
	f->type1v2 = 1;
	for (int i = 0; i < 64; i++)
		f->group_viable[i] = 1;
	memset(sys, 0, sizeof(*sys));
	sys->open = fake_open;
	sys->ioctl = fake_ioctl;
	sys->close = fake_close;
	sys->pread = fake_pread;
	sys->pwrite = fake_pwrite;
	sys->mmap = fake_mmap;
	sys->munmap = fake_munmap;
	f->dev_flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
	f->regions[VFIO_PCI_CONFIG_REGION_INDEX].size = 4096;
	f->regions[VFIO_PCI_CONFIG_REGION_INDEX].offset = FAKE_CFG_OFFSET;
	f->regions[VFIO_PCI_CONFIG_REGION_INDEX].flags = VFIO_REGION_INFO_FLAG_READ |
							 VFIO_REGION_INFO_FLAG_WRITE;
	f->cap_region = -1;
	f->dma_limit = 65535;
	f->pgsizes = ~0xfffULL;	/* 4 KiB and every larger power of two, as VT-d says */
	sys->ctx = f;
}

#endif
