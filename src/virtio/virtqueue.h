/* virtqueue.h - split virtqueues (virtio 1.2 §2.7), the device's side: walking the descriptor
 * chains the driver makes available, returning them on the used ring, notification suppression. */
#ifndef VFVM_VIRTQUEUE_H
#define VFVM_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include "core/iommu.h"
#include "core/mem.h"

#define VQ_MAX_SIZE		32768	/* §2.7: the largest Queue Size of a split virtqueue */

/* Descriptor flags (§2.7.5). */
#define VIRTQ_DESC_F_NEXT	1
#define VIRTQ_DESC_F_WRITE	2
#define VIRTQ_DESC_F_INDIRECT	4
/* Ring flags (§2.7.6, §2.7.8). */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY	1

/* One buffer of a chain, already translated: [hva, hva + len) lies inside guest RAM. */
struct vq_seg {
	void *hva;
	uint32_t len;
	bool write;			/* device-writable (VIRTQ_DESC_F_WRITE) */
};

/* A chain popped from the available ring: out (device-readable) segments first, then in. */
struct vq_chain {
	uint16_t head;			/* to give back with vq_push() */
	unsigned nseg;
	unsigned nout;			/* the first nout segments are device-readable */
	uint32_t out_len;		/* bytes the device may read */
	uint32_t in_len;		/* bytes the device may write */
	struct vq_seg *seg;		/* caller's array of max_seg entries */
	unsigned max_seg;
};

struct virtqueue {
	/* Set by the transport from the driver's writes (§4.1.4.3), then vq_enable(). */
	uint16_t size;			/* power of 2, 1..VQ_MAX_SIZE */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	bool event_idx;			/* VIRTIO_F_EVENT_IDX negotiated */
	bool indirect;			/* VIRTIO_F_INDIRECT_DESC negotiated */
	/* Behind a virtio-iommu (--viommu): every ring and buffer address is an IOVA of
	 * endpoint @ep, translated by @dma; NULL (the default) means IOVA = GPA. Kept by reset. */
	const struct iommu_dma *dma;
	uint32_t ep;
	/* State, after vq_enable(). */
	bool ready;
	const struct guest_mem *mem;
	uint8_t *desc, *avail, *used;	/* host views of the three areas */
	uint16_t last_avail;		/* next available-ring entry to take */
	uint16_t used_idx;		/* next used-ring entry to fill */
	uint16_t signalled;		/* used_idx when the driver was last notified */
	bool signalled_valid;
	/* Why the queue stopped: a driver error (§2.1.2 wants NEEDS_RESET); NULL while healthy. */
	const char *fault;
};

/*
 * Checks size, alignment (§2.7: descriptors 16, available ring 2, used ring 4 bytes) and that
 * the three areas lie in guest RAM (with @dma: are mapped, each contiguous in guest RAM; the
 * host views are taken now, see docs/viommu.md), then makes the queue ready with its indexes at 0.
 * -EINVAL (vq->fault says why) if not.
 */
int vq_enable(struct virtqueue *vq, const struct guest_mem *mem);
/* Back to the reset state (§2.4): not ready, indexes 0, the addresses kept for the transport. */
void vq_reset(struct virtqueue *vq);

/*
 * Takes the next available chain into @c (c->seg and c->max_seg set by the caller).
 * Returns 1 with a chain, 0 when the ring is empty, -EPROTO when the driver broke the rules:
 * an index past the ring, a loop or a chain longer than the queue, a buffer outside guest RAM,
 * a readable buffer after a writable one, an address the IOMMU does not map (with @dma), a nested or malformed indirect table, lengths whose
 * sum overflows, or more segments than c->max_seg. Then vq->fault names the fault and the queue
 * stays stopped (every later call returns -EPROTO) until vq_reset().
 */
int vq_pop(struct virtqueue *vq, struct vq_chain *c);
/* Gives back the last @n chains vq_pop() took and nobody pushed, to be popped again (a device
 * that needs several buffers for one packet and found too few, virtio 1.2 §5.1.6.4). */
void vq_rewind(struct virtqueue *vq, uint16_t n);
/* Has the driver made entries available that vq_pop() has not taken? */
bool vq_has_avail(const struct virtqueue *vq);
/* Puts @head back on the used ring with @len bytes written (§2.7.8), visible to the driver. */
void vq_push(struct virtqueue *vq, uint16_t head, uint32_t len);
/* Should the driver be interrupted for what was pushed since the last true answer?
 * (§2.7.7.2: used_event with EVENT_IDX, VIRTQ_AVAIL_F_NO_INTERRUPT without.) */
bool vq_should_notify(struct virtqueue *vq);
/* With EVENT_IDX, asks the driver to notify once it makes entry last_avail available
 * (avail_event, §2.7.10); call before re-checking the ring so no notification is lost. */
void vq_want_notify(struct virtqueue *vq);
/* As vq_want_notify, but for entry last_avail + @ahead: a device that looked at @ahead
 * entries, found them too few and rewound them wants to hear of the next one. */
void vq_want_notify_ahead(struct virtqueue *vq, uint16_t ahead);
/* Entries the driver made available that vq_pop() has not taken. */
uint16_t vq_avail_count(const struct virtqueue *vq);
/* The chain's readable bytes from @off into @dst (up to @len); the count copied. */
uint32_t vq_chain_read(const struct vq_chain *c, uint32_t off, void *dst, uint32_t len);
/* @len bytes of @src into the chain's writable part at @off; the count copied. */
uint32_t vq_chain_write(const struct vq_chain *c, uint32_t off, const void *src, uint32_t len);

#endif
