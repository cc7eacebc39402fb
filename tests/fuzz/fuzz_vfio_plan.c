/* fuzz_vfio_plan.c - libFuzzer harness for what vfvm reads from the VFIO kernel about a BAR
 * region: vfio_region_caps() on a fuzzed VFIO_DEVICE_GET_REGION_INFO answer (the info and its
 * capability chain, linux/vfio.h: sparse-mmap areas, MSI-X mappable), then vfio_bar_plan() on
 * that region with fuzzed exclusions (the MSI-X table and PBA) and page size. Invariants
 * (abort() on violation): every sparse area kept lies inside the region; every planned area
 * is page-aligned, non-empty, inside the region and inside one mmap-able area, disjoint from
 * the other planned areas and from every exclusion; no more areas than asked for.
 * Input: u64 region size, u8 flags, u8 page/max, u8 exclusion count, exclusions (u64 offset,
 * u64 size each), then the region info with its capability chain. */
#include <string.h>
#include "fuzz_input.h"
#include "vfio/device.h"

#define MAX_EXCL 10

static bool inside(uint64_t off, uint64_t size, uint64_t aoff, uint64_t asize)
{
	return off >= aoff && off - aoff <= asize && size <= asize - (off - aoff);
}

static bool overlap(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
	/* [a, a+as) and [b, b+bs) without overflow */
	return as && bs && (a < b ? b - a < as : a - b < bs);
}

FUZZ_NOCOV static void check_region(const struct vfio_region *r)
{
	FUZZ_CHECK(r->nsparse >= -1 && r->nsparse <= VFIO_MAX_SPARSE, "nsparse %d", r->nsparse);
	for (int i = 0; i < r->nsparse; i++)
		FUZZ_CHECK(r->sparse[i].size && inside(r->sparse[i].off, r->sparse[i].size, 0, r->size),
			   "sparse area %d [0x%llx, +0x%llx) outside region of 0x%llx", i,
			   (unsigned long long)r->sparse[i].off,
			   (unsigned long long)r->sparse[i].size, (unsigned long long)r->size);
}

FUZZ_NOCOV static void check_plan(const struct vfio_region *r, const struct vfio_area *ex,
				  int nex, uint64_t page, const struct vfio_area *out, int n,
				  int max)
{
	FUZZ_CHECK(n >= 0 && n <= max, "%d areas, max %d", n, max);
	for (int i = 0; i < n; i++) {
		const struct vfio_area *a = &out[i];
		bool in_mmap = false;

		FUZZ_CHECK(a->size && !(a->off & (page - 1)) && !(a->size & (page - 1)),
			   "area [0x%llx, +0x%llx) not whole pages of 0x%llx",
			   (unsigned long long)a->off, (unsigned long long)a->size,
			   (unsigned long long)page);
		FUZZ_CHECK(inside(a->off, a->size, 0, r->size),
			   "area [0x%llx, +0x%llx) outside region of 0x%llx",
			   (unsigned long long)a->off, (unsigned long long)a->size,
			   (unsigned long long)r->size);
		if (r->nsparse < 0)
			in_mmap = true;
		for (int j = 0; j < r->nsparse && !in_mmap; j++)
			in_mmap = inside(a->off, a->size, r->sparse[j].off, r->sparse[j].size);
		FUZZ_CHECK(in_mmap, "area [0x%llx, +0x%llx) not inside a sparse-mmap area",
			   (unsigned long long)a->off, (unsigned long long)a->size);
		for (int j = 0; j < nex; j++)
			FUZZ_CHECK(!overlap(a->off, a->size, ex[j].off, ex[j].size),
				   "area [0x%llx, +0x%llx) overlaps exclusion [0x%llx, +0x%llx)",
				   (unsigned long long)a->off, (unsigned long long)a->size,
				   (unsigned long long)ex[j].off, (unsigned long long)ex[j].size);
		for (int j = 0; j < i; j++)
			FUZZ_CHECK(!overlap(a->off, a->size, out[j].off, out[j].size),
				   "areas %d and %d overlap", i, j);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size, 0 };
	struct vfio_region r;
	struct vfio_area ex[MAX_EXCL], out[32];
	struct vfio_region_info *info;
	uint64_t rsize = fin_u64(&in), page;
	uint8_t flags = fin_u8(&in), pm = fin_u8(&in);
	int nex = fin_u8(&in) % (MAX_EXCL + 1), max = 1 + (pm >> 2) % 32, n;
	size_t len;

	for (int i = 0; i < nex; i++) {
		ex[i].off = fin_u64(&in);
		ex[i].size = fin_u64(&in);
		/* vfvm's exclusions: an MSI-X table or PBA, at most 2048 * 16 bytes, at the
		 * 32-bit offset the capability gives (PCI 3.0 §6.8.2.4), mostly inside the BAR */
		ex[i].size %= 0x8001;
		ex[i].off = (uint32_t)ex[i].off & ~7u;
		if (flags & 0x80)
			ex[i].off %= rsize ? rsize : 1;
	}
	page = (pm & 3) == 3 ? 0x10000 : 0x1000;
	/* Mostly a power of two, as BARs are; else any size up to 2^63, the largest BAR
	 * (PCI 3.0 §6.2.5.1). Region sizes near 2^64 do not come from the kernel. */
	if (!(flags & 0x40))
		rsize = rsize & 0x3f ? 1ULL << (rsize & 0x3f) : 0;
	else
		rsize &= (1ULL << 63) - 1;
	/* The info buffer exactly as long as the kernel's answer, aligned like calloc's. */
	len = in.at < size ? size - in.at : 0;
	if (len < sizeof(*info))
		len = sizeof(*info);
	info = calloc(1, len);
	if (!info)
		abort();
	if (in.at < size)
		memcpy(info, data + in.at, size - in.at < len ? size - in.at : len);
	memset(&r, 0, sizeof(r));
	r.size = rsize;
	r.flags = (flags & 1 ? VFIO_REGION_INFO_FLAG_MMAP : 0) | VFIO_REGION_INFO_FLAG_READ;
	vfio_region_caps(&r, info, len);
	free(info);
	check_region(&r);
	if (getenv("FUZZ_VERBOSE"))
		for (int i = 0; i < r.nsparse; i++)
			fprintf(stderr, "sparse %d: 0x%llx +0x%llx\n", i,
				(unsigned long long)r.sparse[i].off,
				(unsigned long long)r.sparse[i].size);
	/* What vfio_pci_bar.c passes: no exclusions when the kernel lets MSI-X be mapped. */
	n = vfio_bar_plan(&r, ex, nex, page, out, max);
	check_plan(&r, ex, nex > 8 ? 8 : nex, page, out, n, max);
	return 0;
}
