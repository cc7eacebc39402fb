/* test_pci_fuzz.c - a bounded, deterministic fuzz of the PCI config-space path: a fixed-seed
 * random sequence of config cycles (every size/offset, all-ones, window addresses), BAR and
 * MSI-X table accesses, interrupt triggers and resets, checking invariants after each step:
 * read-only identity bits unchanged, active BARs aligned, inside the 64 KiB port space or
 * clear of RAM, never overlapping; bus mappings, GSIs and INTx counts consistent. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <dirent.h>
#include <cmocka.h>
#include "test_pci_fake.h"
#include "pci/devices.h"

#define STEPS 200000

static uint32_t rng_state = 0x2545f491;

static uint32_t rnd(void)
{
	uint32_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return rng_state = x;
}

struct snap {
	uint8_t id[4], hdr, cap, bar_type[7];
};

static struct pci_dev *devs[4];
static unsigned ndevs;
static struct snap snaps[4];

static void snapshot(struct pci_dev *d, struct snap *s)
{
	memcpy(s->id, d->cfg, 4);
	s->hdr = d->cfg[PCI_HEADER_TYPE];
	s->cap = d->cfg[PCI_CAP_PTR];
	memset(s->bar_type, 0, sizeof(s->bar_type));
	for (int i = 0; i < PCI_NUM_BARS; i++)
		if (d->bars[i].size)
			s->bar_type[i] = d->cfg[PCI_BAR0 + 4 * i] & ((d->bars[i].flags & PCI_BAR_IO) ? 3 : 15);
}

static uint32_t interesting(void)
{
	static const uint32_t v[] = {
		0xffffffff, 0, 0xc0000000, 0xd0000000, 0xd0001000, 0xfec00000, 0xfee00000,
		0xc000, 0xc040, 0xfff0, 0x10000, 0x1, 0x2, 0x3, 0x7, 0x0407, 0x8000, 0xc000,
		0x4000, 0x0021, 0x0071, 0xfffff000, 0x00100000,
	};

	return (rnd() & 1) ? v[rnd() % (sizeof(v) / sizeof(v[0]))] : rnd();
}

static void check_invariants(struct fake *f, struct pci_bus *b)
{
	unsigned mapped = 0, gsis = 0, vecs = 0, intx[PCI_INTX_PINS] = { 0 };

	for (unsigned k = 0; k < ndevs; k++) {
		struct pci_dev *d = devs[k];
		struct snap s;

		snapshot(d, &s);
		assert_memory_equal(&s, &snaps[k], sizeof(s));
		for (int i = 0; i <= PCI_NUM_BARS; i++) {
			struct pci_bar *x = &d->bars[i];

			if (!x->mapped)
				continue;
			mapped += 1 + (x->ram ? 0 : x->nsub);
			assert_int_equal(x->mapped_addr & (x->size - 1), 0);
			assert_int_not_equal(x->mapped_addr, 0);
			if (x->flags & PCI_BAR_IO)
				assert_true(x->mapped_addr + x->size <= 0x10000);
			else
				assert_true(fake_mem_free(f, x->mapped_addr, x->size));
			for (unsigned k2 = 0; k2 < ndevs; k2++)
				for (int j = 0; j <= PCI_NUM_BARS; j++) {
					struct pci_bar *y = &devs[k2]->bars[j];

					if (y == x || !y->mapped ||
					    !(x->flags & PCI_BAR_IO) != !(y->flags & PCI_BAR_IO))
						continue;
					assert_false(x->mapped_addr < y->mapped_addr + y->size &&
						     y->mapped_addr < x->mapped_addr + x->size);
				}
		}
		for (unsigned v = 0; v < d->msix.nvec; v++)
			vecs += d->msix.vec[v].gsi >= 0;
		for (unsigned v = 0; v < d->msi.nactive; v++)
			vecs += d->msi.vec[v].gsi >= 0;
		if (d->intx_asserted)
			intx[d->intx_apic_pin]++;
	}
	assert_int_equal(fake_nmaps(f), mapped);
	for (int g = 0; g < 64; g++)
		gsis += f->gsi_used[g];
	assert_int_equal(gsis, vecs);
	for (int p = 0; p < PCI_INTX_PINS; p++) {
		assert_int_equal(b->intx_count[p], intx[p]);
		assert_int_equal(f->intx[PCI_INTX_PIN_BASE + p], intx[p] > 0);
	}
}

static void step(struct fake *f, struct pci_bus *b)
{
	unsigned op = rnd() % 100;
	struct pci_dev *d = devs[rnd() % ndevs];
	uint64_t v = interesting() | (uint64_t)interesting() << 32;

	if (op < 55) {
		/* A config cycle through 0xCF8/0xCFC, any size at any offset of the dword. */
		static const unsigned lens[] = { 1, 2, 4 };
		unsigned len = lens[rnd() % 3], off = rnd() % 4, reg, slot;
		uint32_t a;

		if (off + len > 4)
			off = 0;
		reg = (rnd() & 1) ? rnd() % 0x40 : rnd() % 256;
		slot = (rnd() & 7) ? d->slot : rnd() % 32;
		a = 0x80000000u | slot << 11 | ((rnd() & 15) ? 0 : rnd() % 8) << 8 | (reg & 0xfc);
		if (!(rnd() % 50))
			a ^= 0x80000000u;
		pci_host_io(b, 0, &a, 4, true);
		pci_host_io(b, 4 + off, &v, len, rnd() % 4 != 0);
	} else if (op < 60) {
		/* Mechanism-independent path with nonsense offsets and sizes. */
		uint32_t x = (uint32_t)v;

		pci_config_access(b, rnd() & 0xffff, rnd() % 5000, &x, rnd() % 9, rnd() & 1);
	} else if (op < 63) {
		/* Byte/word junk at 0xCF8-0xCFB. */
		pci_host_io(b, rnd() % 4, &v, 1 + (rnd() & 1), rnd() & 1);
	} else if (op < 85) {
		/* A guest access to an active BAR, any length, any offset inside it. */
		int i = rnd() % (PCI_NUM_BARS + 1);
		static const unsigned lens[] = { 1, 2, 4, 8 };
		unsigned len = lens[rnd() % 4];

		if (!d->bars[i].mapped || d->bars[i].ram || d->bars[i].size < 8)
			return;
		pci_bar_io(&d->bars[i], rnd() % (d->bars[i].size - len + 1), &v, len, rnd() & 1);
	} else if (op < 93) {
		/* MSI-X table/PBA: aligned and not. */
		if (d->msix.cap)
			pci_msix_bar_access(d, d->msix.table_bar, rnd() % 0x1000, &v, 1u << (rnd() % 4),
					    rnd() & 1);
	} else if (op < 99) {
		pci_msi_notify(d, rnd() % 12);
		if (!(rnd() % 4))
			pci_intx_set(d, rnd() & 1);
	} else {
		pci_bus_reset(b);
	}
	(void)f;
}

static unsigned open_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	unsigned n = 0;

	assert_non_null(dir);
	while (readdir(dir))
		n++;
	closedir(dir);
	return n;
}

static uint8_t sparse[0x4000] __attribute__((aligned(4096)));

static void test_fuzz(void **state)
{
	unsigned fds0 = open_fds();
	struct fake f;
	struct pci_host_ops o;
	struct pci_bus b;
	struct err err;
	struct pci_dev *plain;

	(void)state;
	memset(&err, 0, sizeof(err));
	fake_ops(&f, &o);
	pci_bus_init(&b, &o, 0x200000000ULL);
	assert_int_equal(pci_host_bridge_create(&b), 0);
	assert_int_equal(pci_device_create(NULL, &b, "testdev", &err), 0);
	assert_int_equal(pci_device_create(NULL, &b, "testdev,vectors=3,ram=8K", &err), 0);
	/* A plain device with only 32-bit BARs, to collide with the others. */
	plain = pci_dev_new(0x1234, 0x0001, 0xff000000, NULL, NULL);
	assert_int_equal(pci_dev_attach(&b, plain, 9, 0), 0);
	assert_int_equal(pci_bar_init(plain, 0, 0, 4096, NULL), 0);
	assert_int_equal(pci_bar_init(plain, 1, PCI_BAR_IO, 64, NULL), 0);
	assert_int_equal(pci_bar_init(plain, 5, PCI_BAR_PREFETCH, 1 << 16, NULL), 0);
	assert_int_equal(pci_bar_add_ram(plain, 5, 0x4000, 0x4000, sparse), 0);
	assert_int_equal(pci_msi_init(plain, 32, false, true), 0);
	pci_intx_pin_set(plain, 4);
	pci_dev_seal(plain);
	devs[0] = b.devs[0][0];
	devs[1] = b.devs[1][0];
	devs[2] = b.devs[2][0];
	devs[3] = plain;
	ndevs = 4;
	for (unsigned k = 0; k < ndevs; k++)
		snapshot(devs[k], &snaps[k]);
	unsigned with_maps = 0;

	for (int i = 0; i < STEPS; i++) {
		step(&f, &b);
		check_invariants(&f, &b);
		with_maps += fake_nmaps(&f) > 0;
	}
	/* The sequence must have reached the interesting states, or it proves nothing. */
	print_message("steps with BARs mapped %u, routes %u, commits %u, intx changes %u\n",
		      with_maps, f.route_allocs, f.commits, f.intx_calls);
	assert_true(with_maps > STEPS / 10);
	assert_true(f.route_allocs > 100);
	assert_true(f.intx_calls > 100);
	pci_bus_destroy(&b);
	assert_int_equal(fake_nmaps(&f), 0);
	/* Every eventfd (vectors, doorbells) was closed again. */
	assert_int_equal(open_fds(), fds0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
