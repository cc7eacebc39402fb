/* mem.c - the guest-physical memory map (RAM around the 32-bit PCI hole), the e820 table
 * built from it, bounds-checked guest-memory access, and the --memory size parser. */
#include <errno.h>
#include <string.h>
#include "core/mem.h"

void *gpa_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < m->n; i++) {
		const struct guest_region *r = &m->r[i];

		if (gpa < r->gpa || gpa - r->gpa >= r->size)
			continue;
		/* Written so that no sum can wrap: len must fit in what is left of the region. */
		if (len > r->size - (gpa - r->gpa) || !r->hva)
			return NULL;
		return (uint8_t *)r->hva + (gpa - r->gpa);
	}
	return NULL;
}

int gpa_write(const struct guest_mem *m, uint64_t gpa, const void *src, uint64_t len)
{
	void *p = gpa_ptr(m, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(p, src, len);
	return 0;
}

int gpa_read(const struct guest_mem *m, uint64_t gpa, void *dst, uint64_t len)
{
	const void *p = gpa_ptr(m, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

int mem_layout(struct guest_mem *m, uint64_t ram_size)
{
	uint64_t low;

	if (ram_size < 2 * MiB)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->ram_size = ram_size;
	low = ram_size < MEM_HOLE_START ? ram_size : MEM_HOLE_START;
	m->r[0] = (struct guest_region){ .gpa = 0, .size = low };
	m->n = 1;
	if (ram_size > low) {
		/* What does not fit below the PCI hole is relocated above 4 GiB, as on a PC. */
		m->r[1] = (struct guest_region){ .gpa = MEM_4G, .size = ram_size - low };
		m->n = 2;
	}
	return 0;
}

uint64_t mem_pci64_start(const struct guest_mem *m)
{
	uint64_t end = MEM_4G;

	for (unsigned i = 0; i < m->n; i++)
		if (m->r[i].gpa + m->r[i].size > end)
			end = m->r[i].gpa + m->r[i].size;
	return (end + GiB - 1) & ~(GiB - 1);
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

bool mem_range_is_free(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	if (!len || gpa + len < gpa)
		return false;
	for (unsigned i = 0; i < m->n; i++)
		if (overlaps(gpa, len, m->r[i].gpa, m->r[i].size))
			return false;
	/* I/O APIC, LAPIC and the flash/BIOS area live in [0xFEC00000, 4 GiB). */
	return !overlaps(gpa, len, MEM_RESERVED_HIGH, MEM_4G - MEM_RESERVED_HIGH);
}

static void e820_add(struct e820_table *t, uint64_t addr, uint64_t size, uint32_t type)
{
	if (!size || t->n >= E820_MAX)
		return;
	t->e[t->n++] = (struct e820_entry){ .addr = addr, .size = size, .type = type };
}

void mem_e820(const struct guest_mem *m, struct e820_table *t)
{
	uint64_t low = m->n ? m->r[0].size : 0;

	memset(t, 0, sizeof(*t));
	/* Conventional memory up to the EBDA; the EBDA, VGA hole and BIOS area are reserved so
	 * that a guest never allocates over the MP table at BOOT_MPTABLE_ADDR (MPS 1.4 §4). */
	e820_add(t, 0, MEM_EBDA_START, E820_RAM);
	e820_add(t, MEM_EBDA_START, MEM_HIGH_START - MEM_EBDA_START, E820_RESERVED);
	if (low > MEM_HIGH_START)
		e820_add(t, MEM_HIGH_START, low - MEM_HIGH_START, E820_RAM);
	e820_add(t, MEM_RESERVED_HIGH, MEM_4G - MEM_RESERVED_HIGH, E820_RESERVED);
	for (unsigned i = 1; i < m->n; i++)
		e820_add(t, m->r[i].gpa, m->r[i].size, E820_RAM);
}

int parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0, mult = 1;
	const char *p = s;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	switch (*p) {
	case '\0': break;
	case 'k': case 'K': mult = KiB; p++; break;
	case 'm': case 'M': mult = MiB; p++; break;
	case 'g': case 'G': mult = GiB; p++; break;
	case 't': case 'T': mult = 1024 * GiB; p++; break;
	default: return -EINVAL;
	}
	if (*p || !v || v > UINT64_MAX / mult)
		return -EINVAL;
	*out = v * mult;
	return 0;
}
