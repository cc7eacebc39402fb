/* test_pci_ecam.c - ECAM decoding and accesses (PCI Express Base 5.0 §7.2.2): bus/dev/fn/
 * register from the window offset, the 4 KiB space, the same bytes as 0xCF8/0xCFC, and the
 * undefined accesses (misaligned, straddling, 8 bytes) reading all-ones and dropping writes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "test_pci_fake.h"

struct env {
	struct fake f;
	struct pci_bus b;
	struct pci_dev *d;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	e->d = fake_bus_function(&e->f, &e->b, 3);
	assert_non_null(e->d);
	assert_int_equal(pci_bar_init(e->d, 1, 0, 4096, NULL), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	pci_bus_destroy(&e->b);
	free(e);
	return 0;
}

#define ECAM(bus, dev, fn, reg) \
	((uint64_t)(bus) << 20 | (uint64_t)(dev) << 15 | (uint64_t)(fn) << 12 | (reg))

static void test_decode(void **state)
{
	unsigned bdf, reg;

	(void)state;
	assert_true(pci_ecam_decode(ECAM(0, 0, 0, 0), 4, &bdf, &reg));
	assert_int_equal(bdf, 0);
	assert_int_equal(reg, 0);
	assert_true(pci_ecam_decode(ECAM(0xab, 31, 7, 0xffc), 4, &bdf, &reg));
	assert_int_equal(bdf, PCI_BDF(0xab, 31, 7));
	assert_int_equal(reg, 0xffc);
	assert_true(pci_ecam_decode(ECAM(0, 3, 0, 0x101), 1, &bdf, &reg));
	assert_int_equal(bdf, PCI_BDF(0, 3, 0));
	assert_int_equal(reg, 0x101);
	assert_true(pci_ecam_decode(ECAM(0, 3, 0, 0x2e), 2, &bdf, &reg));
	assert_int_equal(reg, 0x2e);
	/* not naturally aligned, 8 bytes, 3 bytes, outside 256 buses */
	assert_false(pci_ecam_decode(ECAM(0, 3, 0, 0x2), 4, &bdf, &reg));
	assert_false(pci_ecam_decode(ECAM(0, 3, 0, 0x1), 2, &bdf, &reg));
	assert_false(pci_ecam_decode(ECAM(0, 3, 0, 0x0), 8, &bdf, &reg));
	assert_false(pci_ecam_decode(ECAM(0, 3, 0, 0x0), 3, &bdf, &reg));
	assert_false(pci_ecam_decode(256ULL << 20, 4, &bdf, &reg));
}

/* The header through ECAM: the same bytes 0xCF8/0xCFC gives, in every access size. */
static void test_same_as_cf8(void **state)
{
	struct env *e = *state;

	for (unsigned off = 0; off < 0x40; off += 4) {
		uint32_t a = 0x80000000u | PCI_BDF(0, 3, 0) << 8 | off, v4 = 0, c = 0;
		uint16_t v2[2];
		uint8_t v1[4];

		pci_host_io(&e->b, 0, &a, 4, true);
		pci_host_io(&e->b, 4, &c, 4, false);
		pci_ecam_io(&e->b, ECAM(0, 3, 0, off), &v4, 4, false);
		assert_int_equal(v4, c);
		for (unsigned i = 0; i < 2; i++)
			pci_ecam_io(&e->b, ECAM(0, 3, 0, off + 2 * i), &v2[i], 2, false);
		for (unsigned i = 0; i < 4; i++)
			pci_ecam_io(&e->b, ECAM(0, 3, 0, off + i), &v1[i], 1, false);
		assert_memory_equal(v2, &c, 4);
		assert_memory_equal(v1, &c, 4);
	}
}

/* Offsets 0x100-0xFFF of an emulated function: no extended capability, reads 0 (PCIe 5.0
 * §7.6.3: a zero header at 0x100 ends the list); an absent function reads all-ones. */
static void test_extended_space(void **state)
{
	struct env *e = *state;
	uint32_t v;

	for (unsigned off = 0x100; off < 0x1000; off += 0x3fc) {
		v = 0xdeadbeef;
		pci_ecam_io(&e->b, ECAM(0, 3, 0, off & ~3u), &v, 4, false);
		assert_int_equal(v, 0);
	}
	v = 0;
	pci_ecam_io(&e->b, ECAM(0, 4, 0, 0), &v, 4, false);
	assert_int_equal(v, 0xffffffff);
	v = 0;
	pci_ecam_io(&e->b, ECAM(1, 3, 0, 0), &v, 4, false);
	assert_int_equal(v, 0xffffffff);
}

/* A write through ECAM lands where 0xCF8/0xCFC reads it: BAR1 (4 KiB) sizing. */
static void test_write(void **state)
{
	struct env *e = *state;
	uint32_t v = 0xffffffff, a = 0x80000000u | PCI_BDF(0, 3, 0) << 8 | 0x14, c = 0;

	pci_ecam_io(&e->b, ECAM(0, 3, 0, 0x14), &v, 4, true);
	pci_host_io(&e->b, 0, &a, 4, true);
	pci_host_io(&e->b, 4, &c, 4, false);
	assert_int_equal(c, 0xfffff000);
}

/* Undefined accesses: all-ones, writes dropped, the first logged and only that one. */
static void test_undefined(void **state)
{
	struct env *e = *state;
	uint64_t q = 0;
	uint32_t v = 0, before = 0, after = 0;
	uint8_t bytes[8];

	pci_ecam_io(&e->b, ECAM(0, 3, 0, 0x14), &before, 4, false);
	assert_false(e->b.ecam_warned);
	/* a dword straddling function 0 and 1 of slot 3 */
	pci_ecam_io(&e->b, ECAM(0, 3, 0, 0xffe), &v, 4, false);
	assert_int_equal(v, 0xffffffff);
	assert_true(e->b.ecam_warned);
	pci_ecam_io(&e->b, ECAM(0, 3, 0, 0x0), &q, 8, false);
	assert_true(q == UINT64_MAX);
	memset(bytes, 0, sizeof(bytes));
	pci_ecam_io(&e->b, ECAM(0, 3, 0, 0x13), bytes, 2, false);
	assert_int_equal(bytes[0] & bytes[1], 0xff);
	assert_int_equal(bytes[2], 0);
	/* misaligned and 8-byte writes do not reach BAR1 */
	v = 0xffffffff;
	pci_ecam_io(&e->b, ECAM(0, 3, 0, 0x15), &v, 4, true);
	q = UINT64_MAX;
	pci_ecam_io(&e->b, ECAM(0, 3, 0, 0x10), &q, 8, true);
	pci_ecam_io(&e->b, ECAM(0, 3, 0, 0x14), &after, 4, false);
	assert_int_equal(after, before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test_setup_teardown(test_same_as_cf8, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extended_space, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_undefined, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
