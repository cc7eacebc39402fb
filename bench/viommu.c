/* viommu.c - host-side cost of the virtio-iommu model (src/virtio/iommu_req.c): a MAP + UNMAP
 * request round trip per 4 KiB and per 2 MiB page, and one translate(), with 0, 1000 and 10000
 * other mappings in the domain, the page above them all, below them all or in their middle (the
 * sorted array's worst case: half of it moves); no guest, no back end (the VFIO ioctls come on top). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "virtio/iommu.h"

#define ROUNDS	200000

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static uint8_t req(struct viommu *vi, uint8_t type, uint64_t va, uint64_t last, uint64_t pa)
{
	uint8_t r[36] = { type }, tail[4];
	uint32_t dom = 1, flags = 3;

	memcpy(r + 4, &dom, 4);
	memcpy(r + 8, &va, 8);
	memcpy(r + 16, &last, 8);
	memcpy(r + 24, &pa, 8);
	memcpy(r + 32, &flags, 4);
	viommu_request(vi, r, type == VIOMMU_T_MAP ? 36 : 28, tail, 4);
	return tail[0];
}

static void run(struct viommu *vi, unsigned others, uint64_t page, uint64_t va)
{
	uint64_t len = 8, gpa;
	double t0, t1, t2;

	for (unsigned i = 0; i < others; i++)
		if (req(vi, VIOMMU_T_MAP, (uint64_t)(i + 1) << 22, ((uint64_t)(i + 1) << 22) + 0xfff, 0))
			exit(1);
	t0 = now();
	for (unsigned i = 0; i < ROUNDS; i++)
		if (req(vi, VIOMMU_T_MAP, va, va + page - 1, 0) ||
		    req(vi, VIOMMU_T_UNMAP, va, va + page - 1, 0))
			exit(1);
	t1 = now();
	req(vi, VIOMMU_T_MAP, va, va + page - 1, 0);
	for (unsigned i = 0; i < ROUNDS; i++)
		if (vi->dma.translate(vi->dma.opaque, 0x10, va + (i & 0xfff), &len, false, &gpa))
			exit(1);
	t2 = now();
	printf("%6u other mappings, %4llu KiB page %s: map+unmap %6.0f ns, translate %5.1f ns\n",
	       others, (unsigned long long)page >> 10, va == 0 ? "below them" : va >> 40 ? "above them" : "among them",
	       (t1 - t0) / ROUNDS * 1e9,
	       (t2 - t1) / ROUNDS * 1e9);
	req(vi, VIOMMU_T_UNMAP, 0, UINT64_MAX, 0);
}

int main(void)
{
	static uint8_t ram[4 << 20];
	struct guest_mem mem = { .n = 1 };
	struct viommu vi;
	uint8_t a[20] = { VIOMMU_T_ATTACH, 0, 0, 0, 1, 0, 0, 0, 0x10 }, tail[4];

	mem.r[0] = (struct guest_region){ .gpa = 0, .size = sizeof(ram), .hva = ram };
	if (viommu_init(&vi, &mem, false) || viommu_add_endpoint(&vi, 0x10))
		return 1;
	viommu_request(&vi, a, sizeof(a), tail, 4);
	if (tail[0])
		return 1;
	for (unsigned others = 0; others <= 10000; others = others ? others * 10 : 1000) {
		run(&vi, others, 4096, 0x100000000000ull);
		run(&vi, others, 2 << 20, 0x100000000000ull);
		run(&vi, others, 4096, 0);
		/* The worst case now: the middle, where either side is half the array. */
		run(&vi, others, 4096, ((uint64_t)others / 2 << 22) + 0x1000);
	}
	viommu_fini(&vi);
	return 0;
}
