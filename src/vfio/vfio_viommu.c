/* vfio_viommu.c - the VFIO back end of --viommu (docs/viommu.md "VFIO back end"): each host
 * IOMMU group in a type1v2 container of its own whose DMA mappings follow the guest's domain. */
#include <errno.h>
#include <linux/vfio.h>
#include <stdlib.h>
#include <string.h>
#include "vfio_viommu.h"

#define SYS(v, op, ...) ((v)->sys->op((v)->sys->ctx, __VA_ARGS__))
#define RESV_MAX 32

/* One piece of a guest mapping that lies in one RAM region: one VFIO_IOMMU_MAP_DMA. */
struct piece {
	uint64_t iova, size, vaddr;
};

void vfio_viommu_init(struct vfio_viommu *v, const struct vfio_sys *sys,
		      const struct vfio_host *host, const struct guest_mem *mem)
{
	memset(v, 0, sizeof(*v));
	v->sys = sys;
	v->host = host;
	v->mem = mem;
}

static struct vfio_viommu_group *group_find(struct vfio_viommu *v, int id)
{
	for (int i = 0; i < v->ngroups; i++)
		if (v->groups[i].id == id)
			return &v->groups[i];
	return NULL;
}

static struct vfio_viommu_ep *ep_find(const struct vfio_viommu *v, uint32_t ep)
{
	for (int i = 0; i < v->neps; i++)
		if (v->eps[i].ep == ep)
			return (struct vfio_viommu_ep *)&v->eps[i];
	return NULL;
}

/* The capability chain after struct vfio_iommu_type1_info: each header's next is an offset
 * from the start of the info, 8-byte aligned, 0 ends it (include/uapi/linux/vfio.h). */
static void info_caps(struct vfio_viommu_group *g, const uint8_t *buf, size_t len)
{
	const struct vfio_iommu_type1_info *info = (const void *)buf;
	uint32_t off = info->cap_offset;

	if (!(info->flags & VFIO_IOMMU_INFO_CAPS))
		return;
	for (int hops = 0; off && !(off & 7) && hops < 16; hops++) {
		const struct vfio_info_cap_header *h = (const void *)(buf + off);

		if (off + sizeof(*h) > len)
			return;
		if (h->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL &&
		    off + sizeof(struct vfio_iommu_type1_info_dma_avail) <= len)
			g->dma_limit = ((const struct vfio_iommu_type1_info_dma_avail *)h)->avail;
		off = h->next;
	}
}

/*
 * VFIO_IOMMU_GET_INFO after the group is in the container (the IOMMU domain exists only then):
 * iova_pgsizes, and VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL (Linux 5.10+): how many mappings the
 * container may still hold, vfio_iommu_type1's dma_entry_limit (65535 by default) while it
 * holds none. Without that capability the kernel's own -ENOSPC is the limit.
 */
static int group_info(struct vfio_viommu *v, struct vfio_viommu_group *g)
{
	uint64_t store[64] = { 0 };
	struct vfio_iommu_type1_info *info = (void *)store;
	uint32_t need;
	int r;

	info->argsz = sizeof(store);
	r = SYS(v, ioctl, g->c.fd, VFIO_IOMMU_GET_INFO, info);
	if (r < 0)
		return r;
	/* Type1 always reports page sizes; 4 KiB is the smallest any host IOMMU maps. */
	g->pgsizes = info->flags & VFIO_IOMMU_INFO_PGSIZES ? info->iova_pgsizes : 4096;
	g->dma_limit = UINT32_MAX;
	need = info->argsz;
	if (need <= sizeof(store)) {
		info_caps(g, (const uint8_t *)store, need);
		return 0;
	}
	/* The capabilities did not fit (many IOVA ranges): the kernel said how much they need. */
	info = calloc(1, need);
	if (!info)
		return -ENOMEM;
	info->argsz = need;
	r = SYS(v, ioctl, g->c.fd, VFIO_IOMMU_GET_INFO, info);
	if (r >= 0 && info->argsz <= need)
		info_caps(g, (const uint8_t *)info, need);
	free(info);
	return r < 0 ? r : 0;
}

int vfio_viommu_group_get(struct vfio_viommu *v, int id, const struct pci_bdf *passed,
			  int npassed, struct err *err)
{
	struct vfio_viommu_group *g = group_find(v, id);
	int fd, r;

	if (g)
		return g->c.groups[0].fd;
	if (v->ngroups == VFIO_MAX_GROUPS)
		return err_input(err, E2BIG, "too many IOMMU groups (at most %d)",
				 VFIO_MAX_GROUPS);
	g = &v->groups[v->ngroups];
	memset(g, 0, sizeof(*g));
	g->id = id;
	r = vfio_container_open(&g->c, v->sys, v->host, err);
	if (r)
		return r;
	fd = vfio_group_get(&g->c, id, passed, npassed, err);
	if (fd < 0) {
		r = fd;
		goto fail;
	}
	r = group_info(v, g);
	if (r) {
		err_set(err, -r, "IOMMU group %d: VFIO_IOMMU_GET_INFO: %s", id, strerror(-r));
		goto fail;
	}
	v->ngroups++;
	return fd;
fail:
	vfio_container_close(&g->c);
	return r;
}

int vfio_viommu_ep_add(struct vfio_viommu *v, uint32_t ep, int id, struct err *err)
{
	struct vfio_viommu_group *g = group_find(v, id);

	if (!g)
		return err_set(err, ENOENT, "viommu: IOMMU group %d is not open", id);
	if (ep_find(v, ep))
		return err_set(err, EEXIST, "viommu: endpoint %#x added twice", ep);
	if (v->neps == VFIO_VIOMMU_MAX_EPS)
		return err_input(err, E2BIG, "viommu: too many VFIO endpoints (at most %d)",
				 VFIO_VIOMMU_MAX_EPS);
	v->eps[v->neps].ep = ep;
	v->eps[v->neps].group = (int)(g - v->groups);
	v->eps[v->neps].attached = false;
	v->neps++;
	return 0;
}

void vfio_viommu_ep_del(struct vfio_viommu *v, uint32_t ep)
{
	struct vfio_viommu_ep *e = ep_find(v, ep);

	if (!e || e->attached)
		return;
	*e = v->eps[--v->neps];
}

/* --- the record of a container's mappings: an AVL tree by iova, never overlapping --- */

typedef struct vfio_viommu_map node_t;

static int height(const node_t *n)
{
	return n ? n->height : 0;
}

static void fix_height(node_t *n)
{
	int l = height(n->left), r = height(n->right);

	n->height = 1 + (l > r ? l : r);
}

static node_t *rotate_right(node_t *y)
{
	node_t *x = y->left;

	y->left = x->right;
	x->right = y;
	fix_height(y);
	fix_height(x);
	return x;
}

static node_t *rotate_left(node_t *x)
{
	node_t *y = x->right;

	x->right = y->left;
	y->left = x;
	fix_height(x);
	fix_height(y);
	return y;
}

static node_t *rebalance(node_t *n)
{
	int b;

	fix_height(n);
	b = height(n->left) - height(n->right);
	if (b > 1) {
		if (height(n->left->left) < height(n->left->right))
			n->left = rotate_left(n->left);
		return rotate_right(n);
	}
	if (b < -1) {
		if (height(n->right->right) < height(n->right->left))
			n->right = rotate_right(n->right);
		return rotate_left(n);
	}
	return n;
}

static node_t *tree_insert(node_t *root, node_t *n)
{
	if (!root) {
		n->left = n->right = NULL;
		n->height = 1;
		return n;
	}
	if (n->iova < root->iova)
		root->left = tree_insert(root->left, n);
	else
		root->right = tree_insert(root->right, n);
	return rebalance(root);
}

static node_t *tree_take_min(node_t *root, node_t **min)
{
	if (!root->left) {
		*min = root;
		return root->right;
	}
	root->left = tree_take_min(root->left, min);
	return rebalance(root);
}

/* Unlink the node starting at @iova (the caller frees it). */
static node_t *tree_remove(node_t *root, uint64_t iova)
{
	node_t *m;

	if (!root)
		return NULL;
	if (iova < root->iova) {
		root->left = tree_remove(root->left, iova);
	} else if (iova > root->iova) {
		root->right = tree_remove(root->right, iova);
	} else {
		if (!root->right)
			return root->left;
		m = NULL;
		root->right = tree_take_min(root->right, &m);
		m->left = root->left;
		m->right = root->right;
		return rebalance(m);
	}
	return rebalance(root);
}

/* The first mapping that ends at or after @iova (mappings never overlap, so their ends are
 * in the same order as their starts). */
static node_t *rec_lower(const struct vfio_viommu_group *g, uint64_t iova)
{
	node_t *n = g->maps, *best = NULL;

	while (n) {
		if (n->iova + (n->size - 1) < iova) {
			n = n->right;
		} else {
			best = n;
			n = n->left;
		}
	}
	return best;
}

static node_t *rec_next(const struct vfio_viommu_group *g, const node_t *m)
{
	uint64_t last = m->iova + (m->size - 1);

	return last == UINT64_MAX ? NULL : rec_lower(g, last + 1);
}

/* Room for @n more records, so that a mapping the kernel made is always recorded. */
static int rec_reserve(struct vfio_viommu_group *g, unsigned n)
{
	while (g->nspare < n) {
		node_t *m = calloc(1, sizeof(*m));

		if (!m)
			return -ENOMEM;
		m->right = g->spare;
		g->spare = m;
		g->nspare++;
	}
	return 0;
}

static void rec_insert(struct vfio_viommu_group *g, const struct piece *p, uint32_t flags)
{
	node_t *m = g->spare;

	g->spare = m->right;
	g->nspare--;
	*m = (node_t){ .iova = p->iova, .size = p->size, .vaddr = p->vaddr, .flags = flags };
	g->maps = tree_insert(g->maps, m);
	g->nmaps++;
}

static void rec_remove(struct vfio_viommu_group *g, node_t *m)
{
	g->maps = tree_remove(g->maps, m->iova);
	free(m);
	g->nmaps--;
}

/* Is piece @p recorded as it is (1), not at all and nothing overlaps it (0), or does another
 * mapping overlap it (-EEXIST)? */
static int rec_match(const struct vfio_viommu_group *g, const struct piece *p, uint32_t flags)
{
	const node_t *m = rec_lower(g, p->iova);

	if (!m || m->iova > p->iova + (p->size - 1))
		return 0;
	if (m->iova == p->iova && m->size == p->size && m->vaddr == p->vaddr &&
	    m->flags == flags)
		return 1;
	return -EEXIST;
}

/* --- the kernel's side: include/uapi/linux/vfio.h, VFIO_IOMMU_MAP_DMA / UNMAP_DMA --- */

static int dma_map(struct vfio_viommu *v, struct vfio_viommu_group *g, const struct piece *p,
		   uint32_t flags)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = flags,
		.vaddr = p->vaddr,
		.iova = p->iova,
		.size = p->size,
	};
	int r = SYS(v, ioctl, g->c.fd, VFIO_IOMMU_MAP_DMA, &map);

	if (r < 0)
		err_set(&v->err, -r, "IOMMU group %d: VFIO_IOMMU_MAP_DMA 0x%llx+0x%llx: %s", g->id,
			(unsigned long long)p->iova, (unsigned long long)p->size, strerror(-r));
	return r < 0 ? r : 0;
}

/* The kernel says how much it unmapped; with type1v2 an exact range comes back whole. */
static int dma_unmap(struct vfio_viommu *v, struct vfio_viommu_group *g, uint64_t iova,
		     uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = size,
	};
	int r = SYS(v, ioctl, g->c.fd, VFIO_IOMMU_UNMAP_DMA, &unmap);

	if (!r && unmap.size != size)
		r = -EIO;
	if (r < 0)
		err_set(&v->err, -r, "IOMMU group %d: VFIO_IOMMU_UNMAP_DMA 0x%llx+0x%llx: %s",
			g->id, (unsigned long long)iova, (unsigned long long)size, strerror(-r));
	return r < 0 ? r : 0;
}

/* Unmap record @m; it stays recorded (still mapped) when the kernel refuses. */
static int rec_unmap(struct vfio_viommu *v, struct vfio_viommu_group *g, node_t *m)
{
	int r = dma_unmap(v, g, m->iova, m->size);

	if (!r)
		rec_remove(g, m);
	return r;
}

/* Everything the guest and bypass mapped in @g's container goes; @g leaves its domain. A
 * mapping the kernel refuses to unmap stays recorded, and close tries it again. */
static int group_clear(struct vfio_viommu *v, struct vfio_viommu_group *g)
{
	node_t *m = rec_lower(g, 0), *next;
	int r, first = 0;

	while (m) {
		next = rec_next(g, m);
		r = rec_unmap(v, g, m);
		first = first ? first : r;
		m = next;
	}
	vfio_dma_unmap_ram(&g->c);
	g->attached = false;
	g->bypass = false;
	return first;
}

/* --- the back-end operations (core/iommu.h) --- */

static bool group_others_attached(const struct vfio_viommu *v, const struct vfio_viommu_ep *e)
{
	for (int i = 0; i < v->neps; i++)
		if (&v->eps[i] != e && v->eps[i].group == e->group && v->eps[i].attached)
			return true;
	return false;
}

static bool in_domain(const struct vfio_viommu_group *g, uint32_t domain)
{
	return g->attached && g->domain == domain;
}

static bool viommu_owns(void *opaque, uint32_t ep)
{
	return ep_find(opaque, ep) != NULL;
}

/* A bypass domain: all of guest RAM at IOVA = GPA, as without --viommu (vfio_dma_map_ram). */
static int group_bypass(struct vfio_viommu *v, struct vfio_viommu_group *g)
{
	int r;

	if ((uint64_t)g->nmaps + v->mem->n > g->dma_limit)
		return -ENOSPC;
	r = vfio_dma_map_ram(&g->c, v->mem, &v->err);
	if (r)
		vfio_dma_unmap_ram(&g->c);
	return r;
}

/*
 * The container is the group's: all its endpoints share one domain. An endpoint attached
 * elsewhere moves (virtio 1.2 §5.13.6, ATTACH request: it leaves its old domain first)
 * unless another endpoint of its group stays there (-EBUSY).
 */
static int viommu_attach(void *opaque, uint32_t ep, uint32_t domain, bool bypass)
{
	struct vfio_viommu *v = opaque;
	struct vfio_viommu_ep *e = ep_find(v, ep);
	struct vfio_viommu_group *g;
	int r;

	if (!e)
		return -ENOENT;
	g = &v->groups[e->group];
	if (in_domain(g, domain)) {
		if (g->bypass != bypass)
			return -EINVAL;
		e->attached = true;
		return 0;
	}
	if (g->attached) {
		if (group_others_attached(v, e))
			return -EBUSY;
		e->attached = false;
		r = group_clear(v, g);
		if (r)
			return r;
	}
	if (bypass) {
		r = group_bypass(v, g);
		if (r)
			return r;
	}
	g->domain = domain;
	g->bypass = bypass;
	g->attached = true;
	e->attached = true;
	return 0;
}

/* The group's container empties once its last endpoint has left: the host IOMMU cannot keep
 * two functions of one group apart (docs/viommu.md, limits). */
static int viommu_detach(void *opaque, uint32_t ep)
{
	struct vfio_viommu *v = opaque;
	struct vfio_viommu_ep *e = ep_find(v, ep);

	if (!e)
		return -ENOENT;
	if (!e->attached)
		return -EINVAL;
	e->attached = false;
	if (group_others_attached(v, e))
		return 0;
	return group_clear(v, &v->groups[e->group]);
}

static const struct guest_region *region_of(const struct guest_mem *m, uint64_t gpa)
{
	for (unsigned i = 0; i < m->n; i++)
		if (gpa >= m->r[i].gpa && gpa - m->r[i].gpa < m->r[i].size)
			return &m->r[i];
	return NULL;
}

/* Guest-physical [gpa, gpa + size) split where the RAM regions (host mappings) end. */
static int pieces_of(const struct guest_mem *m, uint64_t iova, uint64_t gpa, uint64_t size,
		     struct piece *out)
{
	int n = 0;

	if (!size || iova + (size - 1) < iova || gpa + (size - 1) < gpa)
		return -EINVAL;
	while (size) {
		const struct guest_region *r = region_of(m, gpa);
		uint64_t len;

		if (!r || n == MEM_MAX_REGIONS)
			return -EINVAL;
		len = r->gpa + r->size - gpa;
		len = len < size ? len : size;
		out[n++] = (struct piece){ iova, len, (uintptr_t)r->hva + (gpa - r->gpa) };
		iova += len;
		gpa += len;
		size -= len;
	}
	return n;
}

static void pieces_unmap(struct vfio_viommu *v, struct vfio_viommu_group *g,
			 const struct piece *p, int n)
{
	for (int i = 0; i < n; i++) {
		node_t *m = rec_lower(g, p[i].iova);

		if (m && m->iova == p[i].iova)
			rec_unmap(v, g, m);
	}
}

/*
 * Map the pieces in @g's container: 1 when it mapped them, 0 when they were there already
 * (the model replays a domain's mappings when a group joins it, and the other containers of
 * the domain have them), -errno with nothing left of this call mapped.
 */
static int group_map(struct vfio_viommu *v, struct vfio_viommu_group *g, const struct piece *p,
		     int n, uint32_t flags)
{
	int i, r, have = 0;

	for (i = 0; i < n; i++) {
		r = rec_match(g, &p[i], flags);
		if (r < 0)
			return r;
		have += r;
	}
	if (have == n)
		return 0;
	if (have)
		return -EEXIST;
	if ((uint64_t)g->nmaps + g->c.nmaps + n > g->dma_limit)
		return -ENOSPC;
	r = rec_reserve(g, n);
	if (r)
		return r;
	for (i = 0; i < n; i++) {
		r = dma_map(v, g, &p[i], flags);
		if (r)
			goto unwind;
		rec_insert(g, &p[i], flags);
	}
	return 1;
unwind:
	pieces_unmap(v, g, p, i);
	return r;
}

/* IOMMU_READ/WRITE as VFIO_DMA_MAP_FLAG_READ/WRITE. IOMMU_MMIO (a guest doorbell or BAR) has
 * no process memory behind it for type1 to pin: -EINVAL. */
static int dma_flags(uint32_t flags, uint32_t *out)
{
	if (flags & ~(IOMMU_READ | IOMMU_WRITE))
		return -EINVAL;
	*out = (flags & IOMMU_READ ? VFIO_DMA_MAP_FLAG_READ : 0) |
	       (flags & IOMMU_WRITE ? VFIO_DMA_MAP_FLAG_WRITE : 0);
	return 0;
}

static int viommu_map(void *opaque, uint32_t domain, uint64_t iova, uint64_t gpa,
		      uint64_t size, uint32_t flags)
{
	struct vfio_viommu *v = opaque;
	struct piece p[MEM_MAX_REGIONS];
	bool added[VFIO_MAX_GROUPS] = { false };
	uint32_t vflags;
	int i, n, r;

	r = dma_flags(flags, &vflags);
	if (r)
		return r;
	n = pieces_of(v->mem, iova, gpa, size, p);
	if (n < 0)
		return n;
	/* No rights: the device reaches nothing there, as if it were not mapped (type1 refuses
	 * a mapping without READ or WRITE). */
	if (!vflags)
		return 0;
	for (i = 0; i < v->ngroups; i++) {
		struct vfio_viommu_group *g = &v->groups[i];

		if (!in_domain(g, domain))
			continue;
		r = g->bypass ? -EINVAL : group_map(v, g, p, n, vflags);
		if (r < 0)
			goto unwind;
		added[i] = r;
	}
	return 0;
unwind:
	while (i--)
		if (added[i])
			pieces_unmap(v, &v->groups[i], p, n);
	return r;
}

/* Does a mapping stick out of [iova, last]? Such an unmap would split it: type1v2 refuses. */
static bool rec_straddles(const struct vfio_viommu_group *g, uint64_t iova, uint64_t last)
{
	const node_t *m = rec_lower(g, iova);

	if (m && m->iova < iova)
		return true;
	for (; m && m->iova <= last; m = rec_next(g, m))
		if (m->iova + (m->size - 1) > last)
			return true;
	return false;
}

static int group_unmap(struct vfio_viommu *v, struct vfio_viommu_group *g, uint64_t iova,
		       uint64_t last)
{
	node_t *m = rec_lower(g, iova), *next;
	int r, first = 0;

	while (m && m->iova <= last) {
		next = rec_next(g, m);
		r = rec_unmap(v, g, m);
		first = first ? first : r;
		m = next;
	}
	return first;
}

static int viommu_unmap(void *opaque, uint32_t domain, uint64_t iova, uint64_t size)
{
	struct vfio_viommu *v = opaque;
	uint64_t last = iova + (size - 1);
	int r, first = 0;

	if (!size || last < iova)
		return -EINVAL;
	for (int i = 0; i < v->ngroups; i++) {
		const struct vfio_viommu_group *g = &v->groups[i];

		if (in_domain(g, domain) && (g->bypass || rec_straddles(g, iova, last)))
			return -EINVAL;
	}
	for (int i = 0; i < v->ngroups; i++) {
		if (!in_domain(&v->groups[i], domain))
			continue;
		r = group_unmap(v, &v->groups[i], iova, last);
		first = first ? first : r;
	}
	return first;
}

const struct iommu_backend_ops vfio_viommu_ops = {
	.owns = viommu_owns,
	.attach = viommu_attach,
	.detach = viommu_detach,
	.map = viommu_map,
	.unmap = viommu_unmap,
};

/* --- what the model tells the guest --- */

uint64_t vfio_viommu_pgsizes(const struct vfio_viommu *v)
{
	uint64_t mask = ~0ULL, min = 0;

	if (!v->ngroups)
		return 0;
	for (int i = 0; i < v->ngroups; i++) {
		uint64_t p = v->groups[i].pgsizes;

		mask &= p;
		if ((p & -p) > min)
			min = p & -p;
	}
	return min ? mask & ~(min - 1) : 0;
}

int vfio_viommu_resv(const struct vfio_viommu *v, uint32_t ep,
		     int (*fn)(void *arg, uint64_t start, uint64_t end, const char *type),
		     void *arg)
{
	const struct vfio_viommu_ep *e = ep_find(v, ep);
	struct host_resv resv[RESV_MAX];
	int n, r;

	if (!e)
		return -ENOENT;
	if (!v->host)
		return 0;
	n = host_group_resv(v->host, v->groups[e->group].id, resv, RESV_MAX);
	for (int i = 0; i < n; i++) {
		r = fn(arg, resv[i].start, resv[i].end, resv[i].type);
		if (r < 0)
			return r;
	}
	return n;
}

int vfio_viommu_reset(struct vfio_viommu *v)
{
	int r, first = 0;

	for (int i = 0; i < v->neps; i++)
		v->eps[i].attached = false;
	for (int i = 0; i < v->ngroups; i++) {
		r = group_clear(v, &v->groups[i]);
		first = first ? first : r;
	}
	return first;
}

void vfio_viommu_close(struct vfio_viommu *v)
{
	for (int i = v->ngroups - 1; i >= 0; i--) {
		struct vfio_viommu_group *g = &v->groups[i];

		group_clear(v, g);
		/* What the kernel still refused goes with the container (type1's release). */
		vfio_container_close(&g->c);
		while (g->maps)
			rec_remove(g, g->maps);
		while (g->spare) {
			node_t *m = g->spare;

			g->spare = m->right;
			free(m);
		}
		g->nspare = 0;
	}
	v->ngroups = 0;
	v->neps = 0;
}
