/* bootcheck.h - checks shared by the boot-information guests: a memory map (Multiboot mmap
 * or boot_params e820) must be sorted and non-overlapping and match vfvm's layout
 * (src/core/mem.h: RAM [0, 0x9FC00), reserved [0x9FC00, 1 MiB), RAM [1 MiB, min(ram, 3 GiB)),
 * reserved [0xFEC00000, 4 GiB), RAM above 4 GiB), and loaded blobs must hold the bytes of
 * the build's generator (mkimage.c blob). */
#ifndef GUEST_BOOTCHECK_H
#define GUEST_BOOTCHECK_H

#include "rt.h"

struct map_entry {
	uint64_t addr, len;
	uint32_t type;
};

#define MAP_MAX 64
struct memmap {
	struct map_entry e[MAP_MAX];
	unsigned n;
};

static inline void memmap_print(const struct memmap *m)
{
	for (unsigned i = 0; i < m->n; i++)
		printf("  map[%u] 0x%08x%08x +0x%08x%08x type %u\n", i,
		       (uint32_t)(m->e[i].addr >> 32), (uint32_t)m->e[i].addr,
		       (uint32_t)(m->e[i].len >> 32), (uint32_t)m->e[i].len, m->e[i].type);
}

/* Sorted, non-overlapping, no empty entries. */
static inline void memmap_check_sane(const char *name, const struct memmap *m)
{
	for (unsigned i = 0; i < m->n; i++) {
		if (!m->e[i].len)
			return fail(name, "entry %u is empty", i);
		if (i && m->e[i].addr < m->e[i - 1].addr + m->e[i - 1].len)
			return fail(name, "entry %u overlaps or is out of order", i);
	}
	check(name, m->n >= 2, "only %u entries", m->n);
}

/* Is [a, a+len) inside one RAM entry? */
static inline bool memmap_is_ram(const struct memmap *m, uint64_t a, uint64_t len)
{
	for (unsigned i = 0; i < m->n; i++)
		if (m->e[i].type == 1 && a >= m->e[i].addr && a + len <= m->e[i].addr + m->e[i].len)
			return true;
	return false;
}

/* The exact vfvm layout for @ram_mib MiB of RAM: what does not fit below the 3 GiB hole
 * continues at 4 GiB (src/core/mem.h). */
static inline void memmap_check_vfvm(const char *name, const struct memmap *m, uint32_t ram_mib)
{
	uint64_t ram = (uint64_t)ram_mib << 20, low = ram < 0xC0000000ULL ? ram : 0xC0000000ULL;
	const struct map_entry want[] = {
		{ 0, 0x9FC00, 1 },
		{ 0x9FC00, 0x100000 - 0x9FC00, 2 },
		{ 0x100000, low - 0x100000, 1 },
		{ 0xFEC00000, 0x100000000ULL - 0xFEC00000, 2 },
		{ 0x100000000ULL, ram - low, 1 },
	};
	unsigned n = sizeof(want) / sizeof(want[0]) - (ram == low);

	if (m->n != n)
		return fail(name, "%u entries, want %u", m->n, n);
	for (unsigned i = 0; i < n; i++)
		if (m->e[i].addr != want[i].addr || m->e[i].len != want[i].len ||
		    m->e[i].type != want[i].type)
			return fail(name, "entry %u is 0x%x_%08x+0x%x_%08x type %u, want "
				    "0x%x_%08x+0x%x_%08x type %u", i,
				    (uint32_t)(m->e[i].addr >> 32), (uint32_t)m->e[i].addr,
				    (uint32_t)(m->e[i].len >> 32), (uint32_t)m->e[i].len, m->e[i].type,
				    (uint32_t)(want[i].addr >> 32), (uint32_t)want[i].addr,
				    (uint32_t)(want[i].len >> 32), (uint32_t)want[i].len, want[i].type);
	pass(name);
}

/* Compare @len bytes at @p with the blob stream of @seed; returns the first bad offset or -1. */
static inline int32_t blob_verify(const uint8_t *p, uint32_t len, uint32_t seed)
{
	uint32_t x = blob_seed(seed);
	for (uint32_t i = 0; i < len; i++)
		if (p[i] != blob_byte(&x))
			return (int32_t)i;
	return -1;
}

#endif
