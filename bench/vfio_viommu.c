/* viommu.c - `make bench-viommu`: what the --viommu VFIO back end itself costs per guest
 * MAP/UNMAP (its record of mappings and the ioctl path), with a kernel that answers at once. */
#include <errno.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "vfio/vfio_viommu.h"

/* A VFIO that says yes to everything (include/uapi/linux/vfio.h answers only). */
static int null_open(void *ctx, const char *path, int flags)
{
	(void)ctx, (void)flags;
	return strstr(path, "/dev/vfio/vfio") ? 100 : 200;
}

static int null_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	(void)ctx, (void)fd;
	switch (req) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_CHECK_EXTENSION:
		return 1;
	case VFIO_GROUP_GET_STATUS:
		((struct vfio_group_status *)arg)->flags = VFIO_GROUP_FLAGS_VIABLE;
		return 0;
	case VFIO_IOMMU_GET_INFO: {
		struct vfio_iommu_type1_info *i = arg;

		i->flags = VFIO_IOMMU_INFO_PGSIZES;
		i->iova_pgsizes = ~0xfffULL;
		return 0;
	}
	}
	return 0;	/* MAP_DMA and UNMAP_DMA: UNMAP leaves argsz/size as asked */
}

static void null_close(void *ctx, int fd)
{
	(void)ctx, (void)fd;
}

static const struct vfio_sys null_sys = {
	.open = null_open, .ioctl = null_ioctl, .close = null_close,
};

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);	/* CPU time: the host is shared */
	return t.tv_sec * 1e9 + t.tv_nsec;
}

/* @n mappings of @page bytes in a shuffled order (fixed seed), then unmapped in another. */
static void run(unsigned n, uint64_t page, int groups)
{
	static struct vfio_viommu v;
	static struct guest_mem mem;
	const struct iommu_backend_ops *ops = &vfio_viommu_ops;
	uint64_t *iova = malloc(n * sizeof(*iova));
	double t0, t1, t2;
	struct err e;

	mem.n = 1;
	mem.r[0] = (struct guest_region){ .gpa = 0, .size = (uint64_t)n * page,
					  .hva = (void *)0x7f0000000000ULL };
	vfio_viommu_init(&v, &null_sys, NULL, &mem);
	for (int g = 0; g < groups; g++) {
		vfio_viommu_group_get(&v, g + 1, NULL, 0, &e);
		vfio_viommu_ep_add(&v, 8 * (g + 1), g + 1, &e);
		ops->attach(&v, 8 * (g + 1), 1, false);
	}
	srand(12);
	for (unsigned i = 0; i < n; i++)
		iova[i] = (uint64_t)i * page;
	for (unsigned i = n - 1; i > 0; i--) {
		unsigned j = (unsigned)rand() % (i + 1);
		uint64_t x = iova[i];

		iova[i] = iova[j];
		iova[j] = x;
	}
	t0 = now_ns();
	for (unsigned i = 0; i < n; i++)
		if (ops->map(&v, 1, iova[i] + (1ULL << 40), iova[i], page, IOMMU_WRITE))
			abort();
	t1 = now_ns();
	for (unsigned i = 0; i < n; i++)
		if (ops->unmap(&v, 1, iova[(i * 7919ULL) % n] + (1ULL << 40), page))
			abort();
	t2 = now_ns();
	for (int g = 0; g < groups; g++)
		if (v.groups[g].nmaps)
			abort();
	printf("| %6u | %4llu KiB | %d | %7.0f | %7.0f |\n", n, (unsigned long long)(page >> 10),
	       groups, (t1 - t0) / n, (t2 - t1) / n);
	vfio_viommu_close(&v);
	free(iova);
}

int main(void)
{
	printf("| mappings | page | groups in the domain | ns per map | ns per unmap |\n");
	printf("|---|---|---|---|---|\n");
	run(1024, 4096, 1);
	run(16384, 4096, 1);
	run(65535, 4096, 1);
	run(65535, 4096, 2);
	run(1024, 2 << 20, 1);
	return 0;
}
