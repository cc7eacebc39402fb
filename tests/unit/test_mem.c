/* test_mem.c - unit tests of the guest memory map (src/core/mem.h): RAM layout around the 32-bit
 * PCI hole, the e820 table (sorted, reserved EBDA/BIOS and 0xFEC00000-4G), gpa_ptr bounds,
 * the 64-bit PCI window, and the size parser. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>
#include "core/mem.h"

static void check_e820_sane(const struct e820_table *t)
{
	for (unsigned i = 0; i < t->n; i++) {
		assert_true(t->e[i].size > 0);
		assert_true(t->e[i].type == E820_RAM || t->e[i].type == E820_RESERVED);
		if (i)
			assert_true(t->e[i - 1].addr + t->e[i - 1].size <= t->e[i].addr);
	}
}

static uint64_t e820_ram(const struct e820_table *t)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < t->n; i++)
		if (t->e[i].type == E820_RAM)
			sum += t->e[i].size;
	return sum;
}

static void expect(const struct e820_entry *e, uint64_t addr, uint64_t size, uint32_t type)
{
	assert_int_equal(e->addr, addr);
	assert_int_equal(e->size, size);
	assert_int_equal(e->type, type);
}

static void test_layout_2m(void **state)
{
	struct guest_mem m;
	struct e820_table t;

	(void)state;
	assert_int_equal(mem_layout(&m, 2 * MiB), 0);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.r[0].gpa, 0);
	assert_int_equal(m.r[0].size, 2 * MiB);
	assert_int_equal(m.ram_size, 2 * MiB);
	mem_e820(&m, &t);
	check_e820_sane(&t);
	assert_int_equal(t.n, 4);
	expect(&t.e[0], 0, 0x9fc00, E820_RAM);
	expect(&t.e[1], 0x9fc00, 0x100000 - 0x9fc00, E820_RESERVED);
	expect(&t.e[2], 0x100000, 1 * MiB, E820_RAM);
	expect(&t.e[3], 0xfec00000, 0x1400000, E820_RESERVED);
	/* The EBDA..1 MiB part is RAM-backed but reserved, so the guest sees 0x60400 less. */
	assert_int_equal(e820_ram(&t), 2 * MiB - 0x60400);
}

static void test_layout_256m(void **state)
{
	struct guest_mem m;
	struct e820_table t;

	(void)state;
	assert_int_equal(mem_layout(&m, 256 * MiB), 0);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.r[0].size, 256 * MiB);
	mem_e820(&m, &t);
	check_e820_sane(&t);
	expect(&t.e[2], 0x100000, 255 * MiB, E820_RAM);
	assert_int_equal(mem_pci64_start(&m), 4 * GiB);
}

static void test_layout_3g(void **state)
{
	struct guest_mem m;
	struct e820_table t;

	(void)state;
	/* Exactly fills the space below the hole: nothing above 4 GiB. */
	assert_int_equal(mem_layout(&m, 3 * GiB), 0);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.r[0].size, 3 * GiB);
	mem_e820(&m, &t);
	check_e820_sane(&t);
	assert_int_equal(t.n, 4);
	expect(&t.e[2], 0x100000, 3 * GiB - MiB, E820_RAM);
	assert_int_equal(mem_pci64_start(&m), 4 * GiB);
}

static void test_layout_4g(void **state)
{
	struct guest_mem m;
	struct e820_table t;

	(void)state;
	assert_int_equal(mem_layout(&m, 4 * GiB), 0);
	assert_int_equal(m.n, 2);
	assert_int_equal(m.r[0].gpa, 0);
	assert_int_equal(m.r[0].size, 3 * GiB);
	assert_int_equal(m.r[1].gpa, 4 * GiB);
	assert_int_equal(m.r[1].size, 1 * GiB);
	mem_e820(&m, &t);
	check_e820_sane(&t);
	assert_int_equal(t.n, 5);
	expect(&t.e[3], 0xfec00000, 0x1400000, E820_RESERVED);
	expect(&t.e[4], 4 * GiB, 1 * GiB, E820_RAM);
	assert_int_equal(mem_pci64_start(&m), 5 * GiB);
}

static void test_layout_8g(void **state)
{
	struct guest_mem m;
	struct e820_table t;

	(void)state;
	assert_int_equal(mem_layout(&m, 8 * GiB + 4 * KiB), 0);
	assert_int_equal(m.r[1].size, 5 * GiB + 4 * KiB);
	mem_e820(&m, &t);
	check_e820_sane(&t);
	assert_int_equal(e820_ram(&t), 8 * GiB + 4 * KiB - 0x60400);
	/* Above all RAM, rounded up to 1 GiB. */
	assert_int_equal(mem_pci64_start(&m), 10 * GiB);
}

static void test_layout_too_small(void **state)
{
	struct guest_mem m;

	(void)state;
	assert_int_equal(mem_layout(&m, 2 * MiB - 1), -EINVAL);
	assert_int_equal(mem_layout(&m, 0), -EINVAL);
}

static void test_gpa_ptr(void **state)
{
	static uint8_t low[2 * MiB];
	static uint8_t high[4096];
	struct guest_mem m = {
		.r = { { 0, sizeof(low), low }, { 4 * GiB, sizeof(high), high } },
		.n = 2,
	};
	uint32_t v = 0xdeadbeef, out = 0;

	(void)state;
	assert_ptr_equal(gpa_ptr(&m, 0, 1), low);
	assert_ptr_equal(gpa_ptr(&m, 0x1000, 16), low + 0x1000);
	assert_ptr_equal(gpa_ptr(&m, sizeof(low) - 4, 4), low + sizeof(low) - 4);
	assert_null(gpa_ptr(&m, sizeof(low) - 4, 5));		/* runs past the end */
	assert_null(gpa_ptr(&m, sizeof(low), 1));		/* just past the end */
	assert_null(gpa_ptr(&m, 3 * GiB, 1));			/* the hole */
	assert_ptr_equal(gpa_ptr(&m, 4 * GiB + 8, 8), high + 8);
	assert_null(gpa_ptr(&m, 4 * GiB, sizeof(high) + 1));
	assert_null(gpa_ptr(&m, 0x1000, UINT64_MAX));		/* no wrap-around */
	assert_null(gpa_ptr(&m, UINT64_MAX, 2));
	assert_int_equal(gpa_write(&m, 0x100, &v, 4), 0);
	assert_int_equal(gpa_read(&m, 0x100, &out, 4), 0);
	assert_int_equal(out, 0xdeadbeef);
	assert_int_equal(gpa_write(&m, sizeof(low) - 2, &v, 4), -EFAULT);
	assert_int_equal(gpa_read(&m, 0xc0000000, &out, 4), -EFAULT);
}

static void test_range_is_free(void **state)
{
	struct guest_mem m;

	(void)state;
	mem_layout(&m, 4 * GiB);
	assert_false(mem_range_is_free(&m, 0, 4096));
	assert_true(mem_range_is_free(&m, MEM_PCI32_START, 0x1000000));
	assert_true(mem_range_is_free(&m, MEM_PCI32_END - 4096, 4096));
	assert_false(mem_range_is_free(&m, MEM_PCI32_END - 4096, 8192));	/* I/O APIC page */
	assert_false(mem_range_is_free(&m, MEM_LAPIC_BASE, 4096));
	assert_false(mem_range_is_free(&m, 4 * GiB + GiB - 1, 2));		/* high RAM end */
	assert_true(mem_range_is_free(&m, 5 * GiB, GiB));
	assert_false(mem_range_is_free(&m, 5 * GiB, 0));
	assert_false(mem_range_is_free(&m, UINT64_MAX - 10, 100));
}

static void test_parse_size(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(parse_size("1048576", &v), 0);
	assert_int_equal(v, 1048576);
	assert_int_equal(parse_size("64K", &v), 0);
	assert_int_equal(v, 64 * KiB);
	assert_int_equal(parse_size("512M", &v), 0);
	assert_int_equal(v, 512 * MiB);
	assert_int_equal(parse_size("512m", &v), 0);
	assert_int_equal(v, 512 * MiB);
	assert_int_equal(parse_size("1G", &v), 0);
	assert_int_equal(v, GiB);
	assert_int_equal(parse_size("2T", &v), 0);
	assert_int_equal(v, 2048 * GiB);
	assert_int_equal(parse_size("18446744073709551615", &v), 0);
	assert_int_equal(v, UINT64_MAX);
	v = 42;
	/* Garbage, signs, spaces, empty, zero, double suffix, overflow: all refused. */
	static const char *bad[] = {
		"", "M", "abc", "12abc", "-1", "+1", " 1", "1 ", "0", "0M", "1MM", "1MB", "1.5G",
		"0x100", "18446744073709551616", "99999999999999999999999", "17179869184G",
		"16777216T",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse_size(bad[i], &v), -EINVAL);
	assert_int_equal(parse_size(NULL, &v), -EINVAL);
	assert_int_equal(v, 42);	/* untouched on error */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_2m),
		cmocka_unit_test(test_layout_256m),
		cmocka_unit_test(test_layout_3g),
		cmocka_unit_test(test_layout_4g),
		cmocka_unit_test(test_layout_8g),
		cmocka_unit_test(test_layout_too_small),
		cmocka_unit_test(test_gpa_ptr),
		cmocka_unit_test(test_range_is_free),
		cmocka_unit_test(test_parse_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
