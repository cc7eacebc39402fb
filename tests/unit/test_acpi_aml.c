/* test_acpi_aml.c - AML builder encodings against fixed byte strings (ACPI 6.5 §20.2). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "acpi/aml.h"

static void check(struct aml *a, const uint8_t *want, size_t n)
{
	assert_int_equal(a->err, 0);
	assert_int_equal(a->len, n);
	assert_memory_equal(a->buf, want, n);
	aml_free(a);
}

static void test_pkglength(void **s)
{
	struct aml a;
	static const uint8_t one[] = { 0x3f }, two[] = { 0x41, 0x04 };
	static const uint8_t three[] = { 0x81, 0x00, 0x01 }, four[] = { 0xc2, 0x00, 0x00, 0x01 };

	(void)s;
	aml_init(&a); assert_int_equal(aml_pkglength(&a, 62), 1); check(&a, one, 1);
	aml_init(&a); assert_int_equal(aml_pkglength(&a, 63), 2); check(&a, two, 2);
	aml_init(&a); assert_int_equal(aml_pkglength(&a, 0xffe), 3); check(&a, three, 3);
	aml_init(&a); assert_int_equal(aml_pkglength(&a, 0xffffe), 4); check(&a, four, 4);
}

static void test_integer(void **s)
{
	struct aml a;
	static const uint8_t want[] = { 0x00, 0x01, 0x0a, 0x12, 0x0b, 0x34, 0x12,
		0x0c, 0x78, 0x56, 0x34, 0x12, 0x0e, 8, 7, 6, 5, 4, 3, 2, 1 };

	(void)s;
	aml_init(&a);
	aml_integer(&a, 0);
	aml_integer(&a, 1);
	aml_integer(&a, 0x12);
	aml_integer(&a, 0x1234);
	aml_integer(&a, 0x12345678);
	aml_integer(&a, 0x0102030405060708ull);
	check(&a, want, sizeof(want));
}

static void test_name(void **s)
{
	struct aml a;
	static const uint8_t want[] = { 0x08, '_', 'H', 'I', 'D', 0x08, 'S', 'B', '_', '_' };

	(void)s;
	aml_init(&a);
	aml_name(&a, "_HID");
	aml_name(&a, "SB");
	check(&a, want, sizeof(want));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pkglength),
		cmocka_unit_test(test_integer),
		cmocka_unit_test(test_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
