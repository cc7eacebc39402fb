/* virtqueue.c - split virtqueues (virtio 1.2 §2.7) from the device's side. Everything read
 * here was written by the guest: each index, address and length is checked before use. */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include "virtio/le.h"
#include "virtio/virtqueue.h"

#define DESC_SIZE	16

struct vq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static int vq_fail(struct virtqueue *vq, const char *why)
{
	vq->fault = why;
	return -EPROTO;
}

static uint64_t avail_bytes(uint16_t size)
{
	return 6 + 2ull * size;		/* flags, idx, ring[size], used_event (§2.7.6) */
}

static uint64_t used_bytes(uint16_t size)
{
	return 6 + 8ull * size;		/* flags, idx, ring[size] of {id, len}, avail_event (§2.7.8) */
}

/*
 * Host view of [addr, addr + len): guest-physical, or with vq->dma an IOVA whose translation
 * must be one run of guest RAM (rings and indirect tables are read in place). NULL if not.
 */
static void *vq_area(const struct virtqueue *vq, const struct guest_mem *mem, uint64_t addr,
		     uint64_t len, bool write)
{
	uint64_t gpa0 = 0, done = 0;

	if (!vq->dma)
		return gpa_ptr(mem, addr, len);
	if (addr + len < addr)
		return NULL;
	while (done < len) {
		uint64_t n = len - done, gpa;

		if (vq->dma->translate(vq->dma->opaque, vq->ep, addr + done, &n, write, &gpa))
			return NULL;
		if (!done)
			gpa0 = gpa;
		else if (gpa != gpa0 + done)
			return NULL;	/* contiguous in IOVA, not in guest RAM */
		done += n;
	}
	return gpa_ptr(mem, gpa0, len);
}

int vq_enable(struct virtqueue *vq, const struct guest_mem *mem)
{
	vq_reset(vq);
	if (!vq->size || vq->size > VQ_MAX_SIZE || (vq->size & (vq->size - 1))) {
		vq->fault = "queue size is not a power of 2 up to 32768";
		return -EINVAL;
	}
	/* §2.7 table "Virtqueue Part Alignment". */
	if ((vq->desc_gpa & 15) || (vq->avail_gpa & 1) || (vq->used_gpa & 3)) {
		vq->fault = "a queue area is not aligned (descriptors 16, driver area 2, device "
			    "area 4 bytes)";
		return -EINVAL;
	}
	/* In turn: behind an IOMMU, the first miss is the one fault reported. */
	vq->desc = vq_area(vq, mem, vq->desc_gpa, (uint64_t)DESC_SIZE * vq->size, false);
	vq->avail = vq->desc ? vq_area(vq, mem, vq->avail_gpa, avail_bytes(vq->size), false) : NULL;
	vq->used = vq->avail ? vq_area(vq, mem, vq->used_gpa, used_bytes(vq->size), true) : NULL;
	if (!vq->desc || !vq->avail || !vq->used) {
		vq->desc = vq->avail = vq->used = NULL;
		vq->fault = vq->dma ? "a queue area is not mapped by the IOMMU (or not contiguous "
			    "in guest RAM)" : "a queue area lies outside guest RAM";
		return -EINVAL;
	}
	vq->mem = mem;
	vq->ready = true;
	return 0;
}

void vq_reset(struct virtqueue *vq)
{
	vq->ready = false;
	vq->mem = NULL;
	vq->desc = vq->avail = vq->used = NULL;
	vq->last_avail = vq->used_idx = vq->signalled = 0;
	vq->signalled_valid = false;
	vq->fault = NULL;
}

static void desc_load(const uint8_t *table, unsigned i, struct vq_desc *d)
{
	const uint8_t *p = table + (size_t)i * DESC_SIZE;
	uint64_t a;
	uint32_t l;

	memcpy(&a, p, 8);
	memcpy(&l, p + 8, 4);
	d->addr = le64toh(a);
	d->len = le32toh(l);
	d->flags = le_ld16(p + 12);
	d->next = le_ld16(p + 14);
}

/* [p, p + len) into the chain as one segment. */
static int chain_seg(struct virtqueue *vq, struct vq_chain *c, void *p, uint32_t len, bool write)
{
	if (c->nseg == c->max_seg)
		return vq_fail(vq, "a chain has more buffers than the device accepts");
	c->seg[c->nseg++] = (struct vq_seg){ .hva = p, .len = len, .write = write };
	if (write)
		c->in_len += len;
	else {
		c->nout++;
		c->out_len += len;
	}
	return 0;
}

/* Behind an IOMMU: a buffer becomes one segment per run that is contiguous in guest RAM. */
static int chain_add_dma(struct virtqueue *vq, struct vq_chain *c, const struct vq_desc *d,
			 bool write)
{
	uint64_t done = 0;

	if (d->addr + d->len < d->addr)
		return vq_fail(vq, "a buffer wraps around the address space");
	while (done < d->len) {
		uint64_t n = d->len - done, gpa;
		void *p;

		if (vq->dma->translate(vq->dma->opaque, vq->ep, d->addr + done, &n, write, &gpa))
			return vq_fail(vq, "a buffer is not mapped by the IOMMU");
		p = gpa_ptr(vq->mem, gpa, n);
		if (!p)
			return vq_fail(vq, "a buffer's translation lies outside guest RAM");
		if (chain_seg(vq, c, p, (uint32_t)n, write))
			return -EPROTO;
		done += n;
	}
	return 0;
}

/* One data descriptor into the chain. */
static int chain_add(struct virtqueue *vq, struct vq_chain *c, const struct vq_desc *d)
{
	bool write = d->flags & VIRTQ_DESC_F_WRITE;
	void *p;

	/* §2.7.4.2: device-writable elements come after all device-readable ones. */
	if (!write && c->nseg > c->nout)
		return vq_fail(vq, "a device-readable buffer follows a device-writable one");
	if (!d->len)
		return 0;		/* an empty buffer carries nothing: skipped */
	if ((uint64_t)(write ? c->in_len : c->out_len) + d->len > UINT32_MAX)
		return vq_fail(vq, "a chain's buffer lengths add up past 4 GiB");
	if (vq->dma)
		return chain_add_dma(vq, c, d, write);
	p = gpa_ptr(vq->mem, d->addr, d->len);
	if (!p)
		return vq_fail(vq, "a buffer lies outside guest RAM");
	return chain_seg(vq, c, p, d->len, write);
}

/* Enters the indirect table of @d (§2.7.5.3): replaces *table, *tsize, *i. */
static int chain_indirect(struct virtqueue *vq, const struct vq_desc *d, bool nested,
			  const uint8_t **table, unsigned *tsize)
{
	if (!vq->indirect)
		return vq_fail(vq, "an indirect descriptor without VIRTIO_F_INDIRECT_DESC");
	/* §2.7.5.3.1: no INDIRECT inside a table, never INDIRECT together with NEXT. */
	if (nested)
		return vq_fail(vq, "an indirect descriptor inside an indirect table");
	if (d->flags & VIRTQ_DESC_F_NEXT)
		return vq_fail(vq, "an indirect descriptor with VIRTQ_DESC_F_NEXT");
	if (!d->len || d->len % DESC_SIZE || d->len / DESC_SIZE > VQ_MAX_SIZE)
		return vq_fail(vq, "an indirect table's length is not a multiple of 16 up to 32768 "
			       "descriptors");
	*table = vq_area(vq, vq->mem, d->addr, d->len, false);
	if (!*table)
		return vq_fail(vq, vq->dma ? "an indirect table is not mapped by the IOMMU" :
			       "an indirect table lies outside guest RAM");
	*tsize = d->len / DESC_SIZE;
	return 0;
}

/*
 * Follows the chain from @head. A table of n descriptors can hold a chain of at most n: more
 * means a loop (QEMU and Linux's vhost bound it the same way). Linux's driver puts more than
 * Queue Size buffers in one indirect table, which §2.7.5.3.1 forbids; it is accepted.
 */
static int chain_walk(struct virtqueue *vq, struct vq_chain *c, uint16_t head)
{
	const uint8_t *table = vq->desc;
	unsigned tsize = vq->size, i = head, hops = 0;
	bool nested = false;
	struct vq_desc d;

	c->head = head;
	c->nseg = c->nout = 0;
	c->out_len = c->in_len = 0;
	for (;;) {
		if (i >= tsize)
			return vq_fail(vq, "a descriptor index lies past the table");
		if (++hops > tsize)
			return vq_fail(vq, "a descriptor chain loops or is longer than its table");
		desc_load(table, i, &d);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (chain_indirect(vq, &d, nested, &table, &tsize))
				return -EPROTO;
			nested = true;
			i = 0;
			hops = 0;
			continue;
		}
		if (chain_add(vq, c, &d))
			return -EPROTO;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		i = d.next;
	}
}

int vq_pop(struct virtqueue *vq, struct vq_chain *c)
{
	uint16_t avail_idx, pending, head;

	if (vq->fault)
		return -EPROTO;
	if (!vq->ready)
		return 0;
	/* Acquire: the ring entry and the descriptors were written before idx (§2.7.13). */
	avail_idx = le16toh(__atomic_load_n((uint16_t *)(vq->avail + 2), __ATOMIC_ACQUIRE));
	pending = avail_idx - vq->last_avail;
	if (!pending)
		return 0;
	if (pending > vq->size)
		return vq_fail(vq, "the available index ran more than a queue ahead");
	head = le_ld16(vq->avail + 4 + 2 * (vq->last_avail % vq->size));
	if (head >= vq->size)
		return vq_fail(vq, "an available-ring entry names no descriptor");
	if (chain_walk(vq, c, head))
		return -EPROTO;
	vq->last_avail++;
	return 1;
}

void vq_rewind(struct virtqueue *vq, uint16_t n)
{
	vq->last_avail -= n;
}

bool vq_has_avail(const struct virtqueue *vq)
{
	if (!vq->ready || vq->fault)
		return false;
	return le16toh(__atomic_load_n((uint16_t *)(vq->avail + 2), __ATOMIC_ACQUIRE)) !=
	       vq->last_avail;
}

void vq_push(struct virtqueue *vq, uint16_t head, uint32_t len)
{
	uint8_t *e;

	if (!vq->ready || vq->fault)
		return;
	e = vq->used + 4 + 8 * (vq->used_idx % vq->size);
	le_st32(e, head);
	le_st32(e + 4, len);
	vq->used_idx++;
	/* Release: the element before the index that publishes it (§2.7.8). */
	__atomic_store_n((uint16_t *)(vq->used + 2), htole16(vq->used_idx), __ATOMIC_RELEASE);
}

bool vq_should_notify(struct virtqueue *vq)
{
	uint16_t old = vq->signalled, new = vq->used_idx, ev;
	bool valid = vq->signalled_valid;

	if (!vq->ready || vq->fault)
		return false;
	/* The used index store must be visible before the driver's flags/used_event are read,
	 * or the driver may go to sleep between the two and never be woken (§2.7.7.2). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return !(le_ld16(vq->avail) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	vq->signalled = new;
	vq->signalled_valid = true;
	if (!valid)
		return true;
	ev = le_ld16(vq->avail + 4 + 2 * vq->size);		/* used_event */
	/* Notify when used_event lies in (old, new] (§2.7.10, vring_need_event). */
	return (uint16_t)(new - ev - 1) < (uint16_t)(new - old);
}

void vq_want_notify_ahead(struct virtqueue *vq, uint16_t ahead)
{
	if (!vq->ready || !vq->event_idx)
		return;
	le_st16(vq->used + 4 + 8 * vq->size, vq->last_avail + ahead);	/* avail_event */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void vq_want_notify(struct virtqueue *vq)
{
	vq_want_notify_ahead(vq, 0);
}

uint16_t vq_avail_count(const struct virtqueue *vq)
{
	if (!vq->ready || vq->fault)
		return 0;
	return le16toh(__atomic_load_n((uint16_t *)(vq->avail + 2), __ATOMIC_ACQUIRE)) -
	       vq->last_avail;
}

/* Copies between @buf and the chain's readable (@to_chain false) or writable part. */
static uint32_t chain_copy(const struct vq_chain *c, bool to_chain, uint32_t off, void *buf,
			   uint32_t len)
{
	unsigned first = to_chain ? c->nout : 0, end = to_chain ? c->nseg : c->nout;
	uint32_t done = 0;

	for (unsigned i = first; i < end && done < len; i++) {
		const struct vq_seg *s = &c->seg[i];
		uint32_t n;

		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		n = s->len - off < len - done ? s->len - off : len - done;
		if (to_chain)
			memcpy((uint8_t *)s->hva + off, (uint8_t *)buf + done, n);
		else
			memcpy((uint8_t *)buf + done, (uint8_t *)s->hva + off, n);
		done += n;
		off = 0;
	}
	return done;
}

uint32_t vq_chain_read(const struct vq_chain *c, uint32_t off, void *dst, uint32_t len)
{
	return chain_copy(c, false, off, dst, len);
}

uint32_t vq_chain_write(const struct vq_chain *c, uint32_t off, const void *src, uint32_t len)
{
	return chain_copy(c, true, off, (void *)src, len);
}
