/* test_vring.h - a driver's writes to a split virtqueue in guest RAM (virtio 1.2 §2.7): one
 * descriptor, and a chain's head made available; for the unit tests and the fuzz targets. */
#ifndef TEST_VRING_H
#define TEST_VRING_H

#include <stdint.h>
#include <string.h>

/* Descriptor at @p (§2.7.5: addr, len, flags, next, little-endian as on x86). */
static inline void virtio_fake_desc(uint8_t *p, uint64_t addr, uint32_t len, uint16_t flags,
				    uint16_t next)
{
	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

/* @head into the next slot of the available ring at @avail of a @size-entry queue, then
 * idx + 1 (§2.7.13). */
static inline void virtio_fake_offer(uint8_t *avail, unsigned size, uint16_t head)
{
	uint16_t idx;

	memcpy(&idx, avail + 2, 2);
	memcpy(avail + 4 + 2 * (idx % size), &head, 2);
	idx++;
	memcpy(avail + 2, &idx, 2);
}

#endif
