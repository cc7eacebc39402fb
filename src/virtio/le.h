/* le.h - little-endian loads and stores at any alignment: virtio's structures in guest
 * memory are little-endian (virtio 1.2 §1.4) and need not be aligned for the host. */
#ifndef VFVM_VIRTIO_LE_H
#define VFVM_VIRTIO_LE_H

#include <endian.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t le_ld16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return le16toh(v);
}

static inline uint32_t le_ld32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static inline uint64_t le_ld64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

static inline void le_st16(uint8_t *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, 2);
}

static inline void le_st32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static inline void le_st64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

#endif
