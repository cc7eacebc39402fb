/* iommu_req.c - the virtio-iommu's requests (virtio 1.2 §5.13.6: ATTACH, DETACH, MAP, UNMAP,
 * PROBE), its DMA translation for emulated endpoints and its fault events; docs/viommu.md. */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "virtio/le.h"
#include "virtio/iommu.h"
#include "core/trace.h"

#define HEAD_LEN	4	/* struct virtio_iommu_req_head */
#define TAIL_LEN	4	/* struct virtio_iommu_req_tail */

/* A trace line of kind viommu for function @bdf; off, one branch (docs/trace.md). */
#define viommu_trace(vi, bdf, ...) do {							\
	if (trace_unlikely((vi)->trace))						\
		trace_emit((vi)->trace, TRACE_VIOMMU, (bdf), TRACE_NO_HOST, __VA_ARGS__);	\
} while (0)

static int translate(void *opaque, uint32_t ep, uint64_t iova, uint64_t *len, bool write,
		     uint64_t *gpa);

int viommu_init(struct viommu *vi, const struct guest_mem *mem, bool bypass)
{
	memset(vi, 0, sizeof(*vi));
	if (pthread_mutex_init(&vi->lock, NULL))
		return -ENOMEM;
	vi->mem = mem;
	vi->page_size_mask = 0xfffffffffffff000ull;	/* 4 KiB and every larger power of 2 */
	vi->input_start = 0;
	vi->input_end = UINT64_MAX;
	vi->domain_start = 0;
	vi->domain_end = UINT32_MAX;
	vi->probe_size = 512;
	vi->bypass = vi->bypass_default = bypass;
	vi->max_mappings = VIOMMU_MAX_MAPPINGS;
	vi->dma = (struct iommu_dma){ .translate = translate, .opaque = vi };
	/* §5.13.6.8.2: the MSI doorbell is not translated on x86 (the LAPIC decodes it). */
	return viommu_add_resv(vi, VIOMMU_MSI_START, VIOMMU_MSI_END, VIOMMU_RESV_MEM_T_MSI);
}

static void dom_free(struct viommu *vi, unsigned i)
{
	struct viommu_domain *d = vi->doms[i];

	vi->nmappings -= d->map.n;
	viommu_map_free(&d->map);
	free(d);
	vi->doms[i] = vi->doms[--vi->ndoms];
}

void viommu_reset(struct viommu *vi)
{
	pthread_mutex_lock(&vi->lock);
	for (unsigned ep = 0; ep < VIOMMU_MAX_EPS; ep++) {
		if (vi->eps[ep].dom && vi->eps[ep].backend && vi->be)
			vi->be->detach(vi->be_opaque, ep);
		vi->eps[ep].dom = NULL;
	}
	while (vi->ndoms)
		dom_free(vi, 0);
	vi->bypass = vi->bypass_default;
	vi->bypass_config = false;
	pthread_mutex_unlock(&vi->lock);
}

void viommu_fini(struct viommu *vi)
{
	viommu_reset(vi);
	free(vi->doms);
	pthread_mutex_destroy(&vi->lock);
}

int viommu_add_endpoint(struct viommu *vi, uint32_t ep)
{
	if (ep >= VIOMMU_MAX_EPS)
		return -ERANGE;
	vi->eps[ep].present = true;
	vi->eps[ep].backend = vi->be && vi->be->owns(vi->be_opaque, ep);
	return 0;
}

void viommu_set_page_size_mask(struct viommu *vi, uint64_t mask)
{
	if (mask)
		vi->page_size_mask = mask;
}

int viommu_add_resv(struct viommu *vi, uint64_t start, uint64_t end, uint8_t subtype)
{
	if (vi->nresv == VIOMMU_MAX_RESV)
		return -ENOSPC;
	if (end < start)
		return -EINVAL;
	vi->resv[vi->nresv++] = (struct viommu_resv){ start, end, subtype };
	return 0;
}

void viommu_set_backend(struct viommu *vi, const struct iommu_backend_ops *ops, void *opaque,
			unsigned limit)
{
	vi->be = ops;
	vi->be_opaque = opaque;
	if (limit && limit < vi->max_mappings)
		vi->max_mappings = limit;
	for (unsigned ep = 0; ep < VIOMMU_MAX_EPS; ep++)
		if (vi->eps[ep].present)
			vi->eps[ep].backend = ops && ops->owns(opaque, ep);
}

/* A back end's -errno as a status (core/iommu.h). */
static uint8_t be_status(int r)
{
	switch (r) {
	case 0:
		return VIOMMU_S_OK;
	case -ENOENT:
		return VIOMMU_S_NOENT;
	case -EINVAL:
		return VIOMMU_S_INVAL;
	case -ENOSPC:
		return VIOMMU_S_NOMEM;
	default:
		return VIOMMU_S_DEVERR;
	}
}

static bool dom_has_backend_ep(const struct viommu *vi, const struct viommu_domain *d)
{
	if (!vi->be)
		return false;
	for (unsigned ep = 0; ep < VIOMMU_MAX_EPS; ep++)
		if (vi->eps[ep].dom == d && vi->eps[ep].backend)
			return true;
	return false;
}

static struct viommu_domain *dom_find(const struct viommu *vi, uint32_t id, unsigned *idx)
{
	for (unsigned i = 0; i < vi->ndoms; i++)
		if (vi->doms[i]->id == id) {
			if (idx)
				*idx = i;
			return vi->doms[i];
		}
	return NULL;
}

static struct viommu_domain *dom_new(struct viommu *vi, uint32_t id, bool bypass)
{
	struct viommu_domain *d;

	if (vi->ndoms == vi->doms_cap) {
		unsigned cap = vi->doms_cap ? 2 * vi->doms_cap : 8;
		struct viommu_domain **n = realloc(vi->doms, cap * sizeof(*n));

		if (!n)
			return NULL;
		vi->doms = n;
		vi->doms_cap = cap;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->id = id;
	d->bypass = bypass;
	viommu_map_init(&d->map);
	vi->doms[vi->ndoms++] = d;
	return d;
}

/* @ep leaves its domain; the domain goes with its last endpoint (§5.13.6.5). */
static void ep_detach(struct viommu *vi, uint32_t ep)
{
	struct viommu_domain *d = vi->eps[ep].dom;
	unsigned i;

	if (!d)
		return;
	if (vi->eps[ep].backend && vi->be)
		vi->be->detach(vi->be_opaque, ep);
	vi->eps[ep].dom = NULL;
	viommu_trace(vi, ep, "\"ev\":\"detach\",\"domain\":%u",
		   d->id);
	if (--d->neps == 0 && dom_find(vi, d->id, &i))
		dom_free(vi, i);
}

/* Replays @d's mappings into the back end for a newly attached endpoint (core/iommu.h). */
static int be_replay(struct viommu *vi, const struct viommu_domain *d)
{
	for (unsigned i = 0; i < d->map.n; i++) {
		const struct viommu_mapping *m = &d->map.e[i];
		int r = vi->be->map(vi->be_opaque, d->id, m->iova, m->gpa, m->last - m->iova + 1,
				    m->flags);

		if (r)
			return r;
	}
	return 0;
}

/* §5.13.6.4 ATTACH: domain, endpoint, flags, reserved. */
static uint8_t req_attach(struct viommu *vi, const uint8_t *b)
{
	uint32_t id = le_ld32(b), ep = le_ld32(b + 4), flags = le_ld32(b + 8);
	bool bypass = flags & VIOMMU_ATTACH_F_BYPASS;
	struct viommu_domain *d;
	int r;

	if (id < vi->domain_start || id > vi->domain_end)
		return VIOMMU_S_RANGE;
	if (ep >= VIOMMU_MAX_EPS || !vi->eps[ep].present)
		return VIOMMU_S_NOENT;
	if (flags & ~VIOMMU_ATTACH_F_BYPASS || (bypass && !vi->bypass_config))
		return VIOMMU_S_INVAL;
	d = dom_find(vi, id, NULL);
	if (d && d->bypass != bypass)
		return VIOMMU_S_INVAL;	/* a domain is either bypass or mapped, never both */
	if (d && vi->eps[ep].dom == d)
		return VIOMMU_S_OK;
	/* §5.13.6.4: an endpoint attached elsewhere leaves that domain first. */
	ep_detach(vi, ep);
	if (!d) {
		d = dom_new(vi, id, bypass);
		if (!d)
			return VIOMMU_S_NOMEM;
	}
	if (vi->eps[ep].backend && vi->be) {
		r = vi->be->attach(vi->be_opaque, ep, id, bypass);
		if (!r && !bypass && (r = be_replay(vi, d)))
			vi->be->detach(vi->be_opaque, ep);
		if (r) {
			unsigned i;

			if (!d->neps && dom_find(vi, id, &i))
				dom_free(vi, i);
			return be_status(r);
		}
	}
	d->neps++;
	vi->eps[ep].dom = d;
	viommu_trace(vi, ep,
		   "\"ev\":\"attach\",\"domain\":%u,\"flags\":\"0x%x\"", id, flags);
	return VIOMMU_S_OK;
}

/* §5.13.6.5 DETACH: domain, endpoint, reserved. */
static uint8_t req_detach(struct viommu *vi, const uint8_t *b)
{
	uint32_t id = le_ld32(b), ep = le_ld32(b + 4);

	if (ep >= VIOMMU_MAX_EPS || !vi->eps[ep].present)
		return VIOMMU_S_NOENT;
	if (!vi->eps[ep].dom || vi->eps[ep].dom->id != id)
		return VIOMMU_S_INVAL;
	ep_detach(vi, ep);
	return VIOMMU_S_OK;
}

/* The smallest page size: what every address and size must be aligned to (§5.13.6.6). */
static uint64_t granule(const struct viommu *vi)
{
	return vi->page_size_mask & -vi->page_size_mask;
}

/* MAP's checks before anything changes (§5.13.6.6); docs/viommu.md lists the choices. */
static uint8_t map_check(const struct viommu *vi, const struct viommu_domain *d, uint64_t va,
			 uint64_t last, uint64_t pa, uint32_t flags)
{
	uint64_t g = granule(vi) - 1, size = last - va + 1;

	if (d->bypass)
		return VIOMMU_S_INVAL;
	if (flags & ~VIOMMU_MAP_F_MASK || last < va)
		return VIOMMU_S_INVAL;
	if (flags & IOMMU_MMIO)
		return VIOMMU_S_UNSUPP;		/* VIRTIO_IOMMU_F_MMIO is not offered */
	if ((va | pa | (last + 1)) & g)
		return VIOMMU_S_RANGE;
	if (va < vi->input_start || last > vi->input_end)
		return VIOMMU_S_RANGE;
	/* Only guest RAM is a DMA target: anything else is a bad output address. */
	if (!size || !gpa_ptr(vi->mem, pa, size))
		return VIOMMU_S_FAULT;
	if (vi->nmappings >= vi->max_mappings)
		return VIOMMU_S_NOMEM;
	return VIOMMU_S_OK;
}

/* §5.13.6.6 MAP: domain, virt_start, virt_end, phys_start, flags. */
static uint8_t req_map(struct viommu *vi, const uint8_t *b)
{
	uint32_t id = le_ld32(b), flags = le_ld32(b + 28);
	uint64_t va = le_ld64(b + 4), last = le_ld64(b + 12), pa = le_ld64(b + 20);
	struct viommu_domain *d = dom_find(vi, id, NULL);
	unsigned first, n;
	uint8_t st;
	int r;

	if (!d)
		return VIOMMU_S_NOENT;
	st = map_check(vi, d, va, last, pa, flags);
	if (st)
		return st;
	r = viommu_map_insert(&d->map, va, last, pa, flags);
	if (r)
		return r == -EEXIST ? VIOMMU_S_INVAL : VIOMMU_S_NOMEM;
	if (dom_has_backend_ep(vi, d)) {
		r = vi->be->map(vi->be_opaque, id, va, pa, last - va + 1, flags);
		if (r) {
			viommu_map_find(&d->map, va, va, &first, &n);
			viommu_map_remove(&d->map, first, n);
			return be_status(r);
		}
	}
	vi->nmappings++;
	viommu_trace(vi, vi->devfn,
		   "\"ev\":\"map\",\"domain\":%u,\"iova\":\"0x%" PRIx64 "\",\"gpa\":\"0x%" PRIx64
		   "\",\"size\":\"0x%" PRIx64 "\",\"flags\":\"0x%x\"", id, va, pa, last - va + 1, flags);
	return VIOMMU_S_OK;
}

/* Back end first, for each mapping; the table loses those the back end let go of. */
static uint8_t unmap_range(struct viommu *vi, struct viommu_domain *d, unsigned first,
			   unsigned n)
{
	unsigned done = 0;
	uint8_t st = VIOMMU_S_OK;

	if (dom_has_backend_ep(vi, d))
		for (; done < n; done++) {
			const struct viommu_mapping *m = &d->map.e[first + done];
			int r = vi->be->unmap(vi->be_opaque, d->id, m->iova, m->last - m->iova + 1);

			if (r) {
				st = be_status(r);
				break;
			}
		}
	else
		done = n;
	viommu_map_remove(&d->map, first, done);
	vi->nmappings -= done;
	return st;
}

/* §5.13.6.7 UNMAP: domain, virt_start, virt_end, reserved. */
static uint8_t req_unmap(struct viommu *vi, const uint8_t *b)
{
	uint32_t id = le_ld32(b);
	uint64_t va = le_ld64(b + 4), last = le_ld64(b + 12);
	struct viommu_domain *d = dom_find(vi, id, NULL);
	unsigned first, n;

	if (!d)
		return VIOMMU_S_NOENT;
	if (d->bypass || last < va)
		return VIOMMU_S_INVAL;
	/* Splitting a mapping: RANGE and nothing removed. Nothing mapped there: OK. */
	if (viommu_map_find(&d->map, va, last, &first, &n))
		return VIOMMU_S_RANGE;
	viommu_trace(vi, vi->devfn,
		   "\"ev\":\"unmap\",\"domain\":%u,\"iova\":\"0x%" PRIx64 "\",\"size\":\"0x%"
		   PRIx64 "\",\"mappings\":%u", id, va, last - va + 1, n);
	return n ? unmap_range(vi, d, first, n) : VIOMMU_S_OK;
}

/* §5.13.6.8 PROBE: one RESV_MEM property per reserved region into @props (probe_size bytes,
 * zeroed: the rest reads as VIRTIO_IOMMU_PROBE_T_NONE). */
static uint8_t req_probe(struct viommu *vi, const uint8_t *b, uint8_t *props)
{
	uint32_t ep = le_ld32(b);
	size_t off = 0;

	if (ep >= VIOMMU_MAX_EPS || !vi->eps[ep].present)
		return VIOMMU_S_NOENT;
	for (unsigned i = 0; i < vi->nresv && off + VIOMMU_RESV_PROP_LEN <= vi->probe_size; i++) {
		uint8_t *p = props + off;

		le_st16(p, VIOMMU_PROBE_T_RESV_MEM);
		le_st16(p + 2, VIOMMU_RESV_PROP_LEN - 4);	/* the body's length (§5.13.6.8) */
		p[4] = vi->resv[i].subtype;
		le_st64(p + 8, vi->resv[i].start);
		le_st64(p + 16, vi->resv[i].end);
		off += VIOMMU_RESV_PROP_LEN;
	}
	return VIOMMU_S_OK;
}

/* Bytes after the head each request type reads (§5.13.6.4-8), 0 for an unknown type. */
static size_t body_len(uint8_t type)
{
	static const uint8_t len[] = { [VIOMMU_T_ATTACH] = 16, [VIOMMU_T_DETACH] = 16,
				       [VIOMMU_T_MAP] = 32, [VIOMMU_T_UNMAP] = 24,
				       [VIOMMU_T_PROBE] = 68 };

	return type < sizeof(len) ? len[type] : 0;
}

static uint8_t req_dispatch(struct viommu *vi, const uint8_t *req, size_t req_len,
			    uint8_t *props)
{
	uint8_t type = req[0];
	size_t need = body_len(type);

	if (!need)
		return VIOMMU_S_UNSUPP;
	if (req_len < HEAD_LEN + need)
		return VIOMMU_S_IOERR;	/* the request is cut short: it cannot be read */
	req += HEAD_LEN;
	switch (type) {
	case VIOMMU_T_ATTACH:
		return req_attach(vi, req);
	case VIOMMU_T_DETACH:
		return req_detach(vi, req);
	case VIOMMU_T_MAP:
		return req_map(vi, req);
	case VIOMMU_T_UNMAP:
		return req_unmap(vi, req);
	default:
		return props ? req_probe(vi, req, props) : VIOMMU_S_INVAL;
	}
}

size_t viommu_request(struct viommu *vi, const uint8_t *req, size_t req_len, uint8_t *resp,
		      size_t resp_len)
{
	size_t want = TAIL_LEN;
	uint8_t *props = NULL, st;

	if (resp_len < TAIL_LEN)
		return 0;		/* no room for even the status: nothing to say */
	if (req_len >= HEAD_LEN && req[0] == VIOMMU_T_PROBE) {
		want += vi->probe_size;
		if (resp_len >= want) {
			props = resp;
			memset(props, 0, vi->probe_size);
		}
	}
	if (resp_len > want)
		resp_len = want;
	pthread_mutex_lock(&vi->lock);
	vi->requests++;
	st = req_len < HEAD_LEN ? VIOMMU_S_IOERR : req_dispatch(vi, req, req_len, props);
	pthread_mutex_unlock(&vi->lock);
	memset(resp + resp_len - TAIL_LEN, 0, TAIL_LEN);
	resp[resp_len - TAIL_LEN] = st;
	return resp_len;
}

void viommu_fault(struct viommu *vi, uint32_t ep, uint64_t iova, uint8_t reason, bool write)
{
	uint8_t ev[VIOMMU_FAULT_LEN] = { reason };
	uint32_t flags = VIOMMU_FAULT_F_ADDRESS | (write ? VIOMMU_FAULT_F_WRITE :
						   VIOMMU_FAULT_F_READ);
	bool sent;

	le_st32(ev + 4, flags);
	le_st32(ev + 8, ep);
	le_st64(ev + 16, iova);
	vi->faults++;
	sent = vi->post_event && vi->post_event(vi, ev);
	if (!sent)
		vi->faults_dropped++;
	viommu_trace(vi, ep,
		   "\"ev\":\"fault\",\"reason\":%u,\"iova\":\"0x%" PRIx64 "\",\"flags\":\"0x%x\","
		   "\"delivered\":%s", reason, iova, flags, sent ? "true" : "false");
}

/* iommu_dma.translate for emulated endpoints (core/iommu.h). */
static int translate(void *opaque, uint32_t ep, uint64_t iova, uint64_t *len, bool write,
		     uint64_t *gpa)
{
	struct viommu *vi = opaque;
	const struct viommu_mapping *m;
	struct viommu_domain *d;
	uint64_t avail;
	int r = 0;

	pthread_mutex_lock(&vi->lock);
	d = ep < VIOMMU_MAX_EPS ? vi->eps[ep].dom : NULL;
	if (!d) {
		/* Not attached: config.bypass decides (§5.13.5, §5.13.4). */
		if (vi->bypass) {
			*gpa = iova;
			goto out;
		}
		viommu_fault(vi, ep, iova, VIOMMU_FAULT_R_DOMAIN, write);
		r = -EFAULT;
		goto out;
	}
	if (d->bypass) {
		*gpa = iova;
		goto out;
	}
	m = viommu_map_lookup(&d->map, iova);
	if (!m || !(m->flags & (write ? IOMMU_WRITE : IOMMU_READ))) {
		viommu_fault(vi, ep, iova, VIOMMU_FAULT_R_MAPPING, write);
		r = -EFAULT;
		goto out;
	}
	*gpa = m->gpa + (iova - m->iova);
	avail = m->last - iova + 1;		/* 0: the mapping runs to 2^64 */
	if (avail && avail < *len)
		*len = avail;
out:
	pthread_mutex_unlock(&vi->lock);
	return r;
}

void viommu_cfg_read(struct viommu *vi, unsigned off, void *data, unsigned len)
{
	uint8_t c[VIOMMU_CFG_LEN] = { 0 };

	le_st64(c, vi->page_size_mask);
	le_st64(c + 8, vi->input_start);
	le_st64(c + 16, vi->input_end);
	le_st32(c + 24, vi->domain_start);
	le_st32(c + 28, vi->domain_end);
	le_st32(c + 32, vi->probe_size);
	c[36] = vi->bypass;
	if (off < sizeof(c))
		memcpy(data, c + off, len > sizeof(c) - off ? sizeof(c) - off : len);
}
