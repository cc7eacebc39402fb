/* fuzz_viommu.c - libFuzzer harness for the virtio-iommu's request parser and tables
 * (src/virtio/iommu_req.c, iommu_map.c): a sequence of requests of any length with fields
 * from the input, a back end that fails when the input says, translations in between. After
 * each step the tables must hold together: sorted disjoint mappings inside guest RAM, counts
 * that add up, endpoints in live domains, a status the spec defines. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz_input.h"
#include "virtio/iommu.h"

#define RAM	(1u << 20)

static uint8_t *ram;
static int be_fail;			/* the next back-end call's result */

static bool be_owns(void *o, uint32_t ep)
{
	(void)o;
	return ep == 0x18;
}

static int be_ret(void)
{
	int r = be_fail;

	be_fail = 0;
	return r;
}

static int be_attach(void *o, uint32_t ep, uint32_t d, bool b)
{
	(void)o, (void)ep, (void)d, (void)b;
	return be_ret();
}

static int be_detach(void *o, uint32_t ep)
{
	(void)o, (void)ep;
	return 0;
}

static int be_map(void *o, uint32_t d, uint64_t iova, uint64_t gpa, uint64_t size, uint32_t f)
{
	(void)o, (void)d, (void)f;
	FUZZ_CHECK(size && gpa + size <= RAM && !((iova | gpa | size) & 0xfff),
		   "back end got iova %#llx gpa %#llx size %#llx", (unsigned long long)iova,
		   (unsigned long long)gpa, (unsigned long long)size);
	return be_ret();
}

static int be_unmap(void *o, uint32_t d, uint64_t iova, uint64_t size)
{
	(void)o, (void)d, (void)iova, (void)size;
	return be_ret();
}

static const struct iommu_backend_ops be_ops = {
	.owns = be_owns, .attach = be_attach, .detach = be_detach, .map = be_map,
	.unmap = be_unmap,
};

static bool post(struct viommu *vi, const uint8_t *ev)
{
	(void)vi;
	FUZZ_CHECK(ev[0] <= VIOMMU_FAULT_R_MAPPING, "fault reason %u", ev[0]);
	return true;
}

FUZZ_NOCOV static void check_tables(const struct viommu *vi)
{
	unsigned total = 0;

	for (unsigned i = 0; i < vi->ndoms; i++) {
		const struct viommu_domain *d = vi->doms[i];
		unsigned neps = 0;

		for (unsigned j = 0; j < d->map.n; j++) {
			const struct viommu_mapping *m = &d->map.e[j];

			FUZZ_CHECK(m->last >= m->iova, "mapping %u inverted", j);
			FUZZ_CHECK(!j || d->map.e[j - 1].last < m->iova, "mappings overlap");
			FUZZ_CHECK(m->gpa + (m->last - m->iova) < RAM, "mapping past RAM");
		}
		for (unsigned ep = 0; ep < VIOMMU_MAX_EPS; ep++)
			neps += vi->eps[ep].dom == d;
		FUZZ_CHECK(neps == d->neps && neps, "domain %u: %u endpoints, says %u", d->id,
			   neps, d->neps);
		FUZZ_CHECK(!d->bypass || !d->map.n, "a bypass domain with mappings");
		total += d->map.n;
	}
	FUZZ_CHECK(total == vi->nmappings && total <= vi->max_mappings, "%u mappings, says %u",
		   total, vi->nmappings);
}

/* An address near the interesting ones: page-aligned mostly, small, or anything. */
static uint64_t addr(struct fin *in)
{
	uint8_t k = fin_u8(in);

	if (k < 160)
		return (uint64_t)(k % 64) << 12;
	if (k < 240)
		return fin_u16(in);
	return fin_u64(in);
}

static void one_request(struct viommu *vi, struct fin *in)
{
	static const uint32_t eps[] = { 0x00, 0x08, 0x10, 0x18, 0x100 };
	uint8_t req[96] = { 0 }, resp[4 + 512];
	uint8_t type = fin_u8(in) % 7, ctl = fin_u8(in);
	size_t qlen = ctl & 0x80 ? fin_u8(in) % sizeof(req) : sizeof(req);
	size_t rlen = ctl & 0x40 ? fin_u16(in) % sizeof(resp) : (type == 5 ? 516 : 4);
	uint64_t va = addr(in), end = va + addr(in) - 1;
	size_t n;

	req[0] = type;
	memcpy(req + 4, &(uint32_t){ fin_u8(in) % 4 }, 4);		/* domain */
	memcpy(req + 8, &eps[fin_u8(in) % 5], 4);			/* endpoint / virt_start */
	if (type == VIOMMU_T_MAP || type == VIOMMU_T_UNMAP) {
		memcpy(req + 8, &va, 8);
		memcpy(req + 16, &end, 8);
		memcpy(req + 24, &(uint64_t){ addr(in) }, 8);		/* phys_start */
		memcpy(req + 32, &(uint32_t){ fin_u8(in) % 9 }, 4);	/* flags */
	} else if (type == VIOMMU_T_PROBE) {
		memcpy(req + 4, &eps[fin_u8(in) % 5], 4);
	} else {
		memcpy(req + 12, &(uint32_t){ fin_u8(in) % 3 }, 4);	/* attach flags */
	}
	if (ctl & 0x20)
		be_fail = -(int)(fin_u8(in) % 40);
	vi->bypass_config = ctl & 0x10;
	n = viommu_request(vi, req, qlen, resp, rlen);
	FUZZ_CHECK(n == 0 ? rlen < 4 : n <= rlen && resp[n - 4] <= VIOMMU_S_NOMEM,
		   "request wrote %zu of %zu", n, rlen);
}

FUZZ_NOCOV static void one_translate(struct viommu *vi, struct fin *in)
{
	uint64_t iova = addr(in), len = 1 + fin_u16(in), want = len, gpa = 0;
	uint32_t ep = fin_u8(in) % 4 * 8;
	int r = vi->dma.translate(vi->dma.opaque, ep, iova, &len, fin_u8(in) & 1, &gpa);

	FUZZ_CHECK(r == 0 || r == -EFAULT, "translate returned %d", r);
	FUZZ_CHECK(len && len <= want, "translate length %llu of %llu",
		   (unsigned long long)len, (unsigned long long)want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size, 0 };
	struct guest_mem mem = { .n = 1 };
	static struct viommu vi;

	if (!ram && !(ram = calloc(1, RAM)))
		abort();
	mem.r[0] = (struct guest_region){ .gpa = 0, .size = RAM, .hva = ram };
	if (viommu_init(&vi, &mem, fin_u8(&in) & 1))
		abort();
	vi.post_event = post;
	for (uint32_t ep = 0; ep < 0x20; ep += 8)
		viommu_add_endpoint(&vi, ep);
	viommu_set_backend(&vi, &be_ops, NULL, 1 + fin_u8(&in) % 64);
	for (unsigned step = 0; step < 256 && fin_more(&in); step++) {
		if (fin_u8(&in) & 1)
			one_request(&vi, &in);
		else
			one_translate(&vi, &in);
		check_tables(&vi);
	}
	viommu_fini(&vi);
	return 0;
}
