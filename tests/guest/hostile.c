/* hostile.c - a hostile guest: for rounds=N steps from seed=S (cmdline), random writes and reads
 * of every PCI function's configuration space, its BARs, its MSI-X table, the legacy ports and
 * the I/O APIC; then vfvm must still answer: COM1 prints, the debug exit returns our status.
 * Spared on purpose, since hitting them ends the VM legitimately, not by a vfvm bug: COM1
 * (0x3F8-0x3FF, the console), 0xF4-0xF7 (debug exit), 0x64, 0x92 and 0xCF9 (reset), the LAPIC
 * (an INIT IPI to self). Memory accesses stay in the PCI hole (>= 0xC0000000) so that the
 * guest never scribbles over its own RAM. */
#include "rt.h"

const char guest_name[] = "hostile";

#define MAX_FNS 64
#define HOLE 0xC0000000u

struct fn {
	uint32_t bdf;		/* bus 0: dev << 11 | fn << 8 */
};

static struct fn fns[MAX_FNS];
static unsigned nfns;
static uint32_t rng;

static uint32_t rnd(void)
{
	return blob_byte(&rng) | blob_byte(&rng) << 8 | blob_byte(&rng) << 16 |
	       (uint32_t)blob_byte(&rng) << 24;
}

static uint32_t cfg_read(uint32_t bdf, unsigned reg, unsigned size)
{
	outl(0xcf8, 0x80000000u | bdf | (reg & 0xFC));
	switch (size) {
	case 1: return inb(0xcfc + (reg & 3));
	case 2: return inw(0xcfc + (reg & 2));
	default: return inl(0xcfc);
	}
}

static void cfg_write(uint32_t bdf, unsigned reg, unsigned size, uint32_t v)
{
	outl(0xcf8, 0x80000000u | bdf | (reg & 0xFC));
	switch (size) {
	case 1: outb(0xcfc + (reg & 3), v); break;
	case 2: outw(0xcfc + (reg & 2), v); break;
	default: outl(0xcfc, v); break;
	}
}

static void enumerate(void)
{
	for (unsigned d = 0; d < 32; d++) {
		for (unsigned f = 0; f < 8 && nfns < MAX_FNS; f++) {
			uint32_t bdf = d << 11 | f << 8;

			if ((cfg_read(bdf, 0, 4) & 0xFFFF) == 0xFFFF)
				continue;
			fns[nfns++].bdf = bdf;
		}
	}
}

static bool spared_port(uint16_t p)
{
	return (p >= 0x3F8 && p <= 0x3FF) || (p >= 0xF4 && p <= 0xF7) || p == 0x64 || p == 0x92 ||
	       (p >= 0xCF8 && p <= 0xCFF);
}

/* A BAR's current memory address, if it is a memory BAR in the hole; 0 otherwise. */
static uint32_t bar_addr(uint32_t bdf, unsigned bar)
{
	uint32_t v = cfg_read(bdf, 0x10 + 4 * bar, 4);

	if (v & 1)
		return 0;
	v &= ~0xFu;
	return v >= HOLE && v < 0xFEC00000u ? v : 0;
}

static void poke_mem(uint32_t a, bool write)
{
	if (a < HOLE || (a >= 0xFEC00000u && a < 0xFF000000u))
		return;		/* RAM, or the I/O APIC/LAPIC window handled on its own */
	a &= ~3u;
	if (write)
		mmio_write32(a, rnd());
	else
		(void)mmio_read32(a);
}

/* The MSI-X table of @bdf, found by walking its capabilities (PCI 3.0 §6.8.2). */
static void poke_msix(uint32_t bdf)
{
	unsigned cap = cfg_read(bdf, 0x34, 1) & 0xFC;

	for (int n = 0; cap && n < 48; n++, cap = cfg_read(bdf, cap + 1, 1) & 0xFC) {
		uint32_t tab, base;

		if ((cfg_read(bdf, cap, 1)) != 0x11)
			continue;
		if (rnd() & 1)
			cfg_write(bdf, cap + 2, 2, rnd());	/* enable, function mask */
		tab = cfg_read(bdf, cap + 4, 4);
		base = bar_addr(bdf, tab & 7);
		if (base)
			poke_mem(base + (tab & ~7u) + (rnd() & 0x3FF), rnd() & 1);
		return;
	}
}

static void step(void)
{
	uint32_t r = rnd();
	struct fn *f = &fns[(r >> 8) % (nfns ? nfns : 1)];
	unsigned size = 1u << (rnd() % 3);

	switch (r % 8) {
	case 0: case 1:		/* configuration space, any register, any size */
		if (nfns)
			cfg_write(f->bdf, rnd() & 0xFF & ~(size - 1), size, rnd());
		break;
	case 2:
		if (nfns)
			(void)cfg_read(f->bdf, rnd() & 0xFF & ~(size - 1), size);
		break;
	case 3: {		/* wherever a BAR is now */
		uint32_t base = nfns ? bar_addr(f->bdf, rnd() % 6) : 0;

		if (base)
			poke_mem(base + (rnd() & 0xFFFF), rnd() & 1);
		break;
	}
	case 4:
		if (nfns)
			poke_msix(f->bdf);
		break;
	case 5: {		/* legacy ports */
		uint16_t p = rnd() & (rnd() & 1 ? 0x3FF : 0xFFFF);

		if (spared_port(p))
			break;
		if (rnd() & 1)
			outb(p, rnd());
		else
			(void)inb(p);
		break;
	}
	case 6:			/* I/O APIC: index, then data */
		mmio_write32(IOAPIC_BASE, rnd() & 0xFF);
		if (rnd() & 1)
			mmio_write32(IOAPIC_BASE + 0x10, rnd());
		else
			(void)mmio_read32(IOAPIC_BASE + 0x10);
		break;
	case 7:			/* anywhere in the hole */
		poke_mem(HOLE + (rnd() & 0x3FFFFFFFu), rnd() & 1);
		break;
	}
}

void guest_main(uint32_t magic, uint32_t info)
{
	const char *cl = boot_cmdline();
	uint32_t seed = cmdline_uint(cl, "seed", 1), rounds = cmdline_uint(cl, "rounds", 20000);

	(void)magic;
	(void)info;
	cli();
	rng = blob_seed(seed);
	enumerate();
	printf("hostile: seed %u, %u rounds over %u PCI functions\n", seed, rounds, nfns);
	for (uint32_t i = 0; i < rounds; i++) {
		step();
		if ((i & 0xFFFF) == 0xFFFF)
			printf("hostile: %u rounds\n", i + 1);
	}
	/* Still here, and the console still works: vfvm survived. */
	check("alive", true, "after %u rounds", rounds);
	done();
}
