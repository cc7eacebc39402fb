/* test_acpi_aml.c - AML builder encodings against fixed byte strings (ACPI 6.5 §20.2). */
#include <errno.h>
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

static void test_namestring(void **s)
{
	struct aml a;
	static const uint8_t want[] = { 0x5c, '_', 'S', 'B', '_',
		0x5c, 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0',
		0x5c, 0x2f, 0x03, '_', 'S', 'B', '_', 'P', 'C', 'I', '0', 'S', '0', '8', '_',
		'^', '^', 'C', 'O', 'M', '1' };

	(void)s;
	aml_init(&a);
	aml_namestring(&a, "\\_SB");
	aml_namestring(&a, "\\_SB.PCI0");
	aml_namestring(&a, "\\_SB.PCI0.S08");
	aml_namestring(&a, "^^COM1");
	check(&a, want, sizeof(want));

	aml_init(&a); aml_namestring(&a, "1ABC"); assert_int_equal(a.err, -EINVAL); aml_free(&a);
	aml_init(&a); aml_namestring(&a, "_SB..X"); assert_int_equal(a.err, -EINVAL); aml_free(&a);
	aml_init(&a); aml_namestring(&a, "ABCDE"); assert_int_equal(a.err, -EINVAL); aml_free(&a);
	aml_init(&a); aml_namestring(&a, "ab"); assert_int_equal(a.err, -EINVAL); aml_free(&a);
}

static void test_string_eisaid(void **s)
{
	struct aml a;
	static const uint8_t want[] = { 0x0d, 'P', 'C', 'I', 0x00,
		0x0c, 0x41, 0xd0, 0x0a, 0x08,	/* PNP0A08 = 0x080AD041 */
		0x0c, 0x41, 0xd0, 0x05, 0x01,	/* PNP0501 */
		0x0c, 0x41, 0xd0, 0x0c, 0x02 };	/* PNP0C02 */

	(void)s;
	aml_init(&a);
	aml_string(&a, "PCI");
	aml_eisaid(&a, "PNP0A08");
	aml_eisaid(&a, "PNP0501");
	aml_eisaid(&a, "PNP0C02");
	check(&a, want, sizeof(want));
	aml_init(&a); aml_eisaid(&a, "PNP0A0"); assert_int_equal(a.err, -EINVAL); aml_free(&a);
	aml_init(&a); aml_eisaid(&a, "pNP0A08"); assert_int_equal(a.err, -EINVAL); aml_free(&a);
	aml_init(&a); aml_eisaid(&a, "PNP0A0G"); assert_int_equal(a.err, -EINVAL); aml_free(&a);
}

/* Scope (\_SB) { Device (PCI0) { Name (_HID, EisaId ("PNP0A08")) } } */
static void test_scope_device(void **s)
{
	struct aml a;
	size_t sc, dev;
	static const uint8_t want[] = { 0x10, 0x17, 0x5c, '_', 'S', 'B', '_',
		0x5b, 0x82, 0x0f, 'P', 'C', 'I', '0',
		0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x08 };

	(void)s;
	aml_init(&a);
	sc = aml_scope_begin(&a, "\\_SB");
	dev = aml_device_begin(&a, "PCI0");
	aml_name(&a, "_HID");
	aml_eisaid(&a, "PNP0A08");
	aml_end(&a, dev);
	aml_end(&a, sc);
	check(&a, want, sizeof(want));
}

/* Method (_STA, 0, NotSerialized) { Return (0x0F) }, and a serialized one with 2 args. */
static void test_method(void **s)
{
	struct aml a;
	size_t m;
	static const uint8_t want[] = { 0x14, 0x09, '_', 'S', 'T', 'A', 0x00, 0xa4, 0x0a, 0x0f,
		0x14, 0x06, 'F', 'O', 'O', '_', 0x0a };

	(void)s;
	aml_init(&a);
	m = aml_method_begin(&a, "_STA", 0, 0);
	aml_return(&a);
	aml_integer(&a, 0x0f);
	aml_end(&a, m);
	m = aml_method_begin(&a, "FOO", 2, 1);
	aml_end(&a, m);
	check(&a, want, sizeof(want));
	aml_init(&a); aml_method_begin(&a, "X", 8, 0); assert_int_equal(a.err, -EINVAL); aml_free(&a);
}

/* Package () { 0x0001FFFF, Zero, Zero, 0x10 }: a _PRT entry (slot 1, INTA#). */
static void test_package(void **s)
{
	struct aml a;
	size_t p;
	static const uint8_t want[] = { 0x12, 0x0b, 0x04, 0x0c, 0xff, 0xff, 0x01, 0x00,
		0x00, 0x00, 0x0a, 0x10 };

	(void)s;
	aml_init(&a);
	p = aml_package_begin(&a, 4);
	aml_integer(&a, 0x1ffff);
	aml_integer(&a, 0);
	aml_integer(&a, 0);
	aml_integer(&a, 0x10);
	aml_end(&a, p);
	check(&a, want, sizeof(want));
}

/* A body of 70 bytes needs a 2-byte PkgLength: aml_end must move the body up. */
static void test_end_long(void **s)
{
	struct aml a;
	size_t sc;
	uint8_t body[70];

	(void)s;
	memset(body, 0xa5, sizeof(body));
	aml_init(&a);
	sc = aml_scope_begin(&a, "X");
	aml_bytes(&a, body, sizeof(body));
	aml_end(&a, sc);
	assert_int_equal(a.err, 0);
	assert_int_equal(a.len, 1 + 2 + 4 + 70);
	assert_int_equal(a.buf[0], 0x10);
	/* total 76 = 0x4C: 0x40 | 0xC, 0x04 */
	assert_int_equal(a.buf[1], 0x4c);
	assert_int_equal(a.buf[2], 0x04);
	assert_memory_equal(a.buf + 3, "X___", 4);
	assert_memory_equal(a.buf + 7, body, 70);
	aml_free(&a);
}

static void test_buffer(void **s)
{
	struct aml a;
	static const uint8_t want[] = { 0x11, 0x06, 0x0a, 0x03, 1, 2, 3 };

	(void)s;
	aml_init(&a);
	aml_buffer(&a, "\1\2\3", 3);
	check(&a, want, sizeof(want));
}

/* Name (_CRS, ResourceTemplate () { IO (Decode16, 0x3F8, 0x3F8, 0x01, 0x08) IRQNoFlags () {4} }) */
static void test_restemplate_com1(void **s)
{
	struct aml a, r;
	static const uint8_t want[] = { 0x08, '_', 'C', 'R', 'S', 0x11, 0x10, 0x0a, 0x0d,
		0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08,
		0x22, 0x10, 0x00, 0x79, 0x0e };
	uint8_t sum = 0;

	(void)s;
	aml_init(&a);
	aml_init(&r);
	aml_name(&a, "_CRS");
	aml_res_io(&r, 0x3f8, 0x3f8, 1, 8);
	aml_res_irq_noflags(&r, 4);
	aml_restemplate(&a, &r);
	aml_free(&r);
	for (size_t i = 9; i < sizeof(want); i++)
		sum += want[i];
	assert_int_equal(sum, 0);
	check(&a, want, sizeof(want));
	aml_init(&r); aml_res_irq_noflags(&r, 16); assert_int_equal(r.err, -EINVAL); aml_free(&r);
}

static void test_res_descriptors(void **s)
{
	struct aml r;
	/* WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, 0, 0xFF, 0, 0x100) */
	static const uint8_t bus[] = { 0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00,
		0x00, 0x00, 0x00, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x01 };
	/* WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
	 *	   0, 0xD00, 0xFFFF, 0, 0xF300) */
	static const uint8_t io[] = { 0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03,
		0x00, 0x00, 0x00, 0x0d, 0xff, 0xff, 0x00, 0x00, 0x00, 0xf3 };
	/* DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,
	 *		0, 0xC0000000, 0xFEBFFFFF, 0, 0x3EC00000) */
	static const uint8_t m32[] = { 0x87, 0x17, 0x00, 0x00, 0x0c, 0x01,
		0, 0, 0, 0, 0x00, 0x00, 0x00, 0xc0, 0xff, 0xff, 0xbf, 0xfe,
		0, 0, 0, 0, 0x00, 0x00, 0xc0, 0x3e };
	/* QWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Prefetchable, ReadWrite,
	 *		0, 0x100000000, 0x1FFFFFFFF, 0, 0x100000000) */
	static const uint8_t m64[] = { 0x8a, 0x2b, 0x00, 0x00, 0x0c, 0x07,
		0, 0, 0, 0, 0, 0, 0, 0,
		0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
		0xff, 0xff, 0xff, 0xff, 0x01, 0x00, 0x00, 0x00,
		0, 0, 0, 0, 0, 0, 0, 0,
		0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00 };
	/* Interrupt (ResourceConsumer, Level, ActiveLow, Shared) {16}; ... Edge, ActiveHigh,
	 * Exclusive {4}; Memory32Fixed (ReadWrite, 0xB0000000, 0x10000000) */
	static const uint8_t misc[] = { 0x89, 0x06, 0x00, 0x0d, 0x01, 0x10, 0x00, 0x00, 0x00,
		0x89, 0x06, 0x00, 0x03, 0x01, 0x04, 0x00, 0x00, 0x00,
		0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xb0, 0x00, 0x00, 0x00, 0x10 };

	(void)s;
	aml_init(&r); aml_res_word(&r, AML_RES_BUS, 0, 0, 0xff); check(&r, bus, sizeof(bus));
	aml_init(&r); aml_res_word(&r, AML_RES_IO, AML_IO_ENTIRE_RANGE, 0xd00, 0xffff);
	check(&r, io, sizeof(io));
	aml_init(&r);
	aml_res_dword(&r, AML_RES_MEM, AML_MEM_RW | AML_MEM_NONCACHEABLE, 0xc0000000, 0xfebfffff);
	check(&r, m32, sizeof(m32));
	aml_init(&r);
	aml_res_qword(&r, AML_RES_MEM, AML_MEM_RW | AML_MEM_PREFETCHABLE, 0x100000000ull,
		      0x1ffffffffull);
	check(&r, m64, sizeof(m64));
	aml_init(&r);
	aml_res_ext_irq(&r, 16, 1, 1, 1);
	aml_res_ext_irq(&r, 4, 0, 0, 0);
	aml_res_mem32_fixed(&r, 0xb0000000, 0x10000000, 1);
	check(&r, misc, sizeof(misc));
	aml_init(&r); aml_res_dword(&r, AML_RES_MEM, 0, 2, 1); assert_int_equal(r.err, -EINVAL);
	aml_free(&r);
}

/* OperationRegion (GEDR, SystemIO, 0x602, One) and Field (GEDR, ByteAcc, NoLock, Preserve)
 * { GEVT, 8 } (§20.2.5.2), as the GED in the DSDT; a 100-bit field takes two length bytes. */
static void test_opregion_field(void **s)
{
	struct aml a;
	size_t f;
	static const uint8_t want[] = { 0x5b, 0x80, 'G', 'E', 'D', 'R', 0x01, 0x0b, 0x02, 0x06,
		0x01, 0x5b, 0x81, 0x0b, 'G', 'E', 'D', 'R', 0x01, 'G', 'E', 'V', 'T', 0x08 };
	static const uint8_t wide[] = { 'W', 'I', 'D', 'E', 0x44, 0x06 };

	(void)s;
	aml_init(&a);
	aml_opregion(&a, "GEDR", AML_SYSTEM_IO, 0x602, 1);
	f = aml_field_begin(&a, "GEDR");
	aml_field_unit(&a, "GEVT", 8);
	aml_end(&a, f);
	check(&a, want, sizeof(want));
	aml_init(&a); aml_field_unit(&a, "WIDE", 100); check(&a, wide, sizeof(wide));
	aml_init(&a); aml_field_unit(&a, "X", 0); assert_int_equal(a.err, -EINVAL); aml_free(&a);
	aml_init(&a); aml_field_unit(&a, "TOOLONG", 8); assert_int_equal(a.err, -EINVAL);
	aml_free(&a);
}

/* Store (GEVT, Local0); If (And (Local0, One)) { Notify (\_SB.PWRB, 0x80) } (§20.2.5.3/4) */
static void test_if_notify(void **s)
{
	struct aml a;
	size_t i;
	static const uint8_t want[] = { 0x70, 'G', 'E', 'V', 'T', 0x60,
		0xa0, 0x12, 0x7b, 0x60, 0x01, 0x00,
		0x86, 0x5c, 0x2e, '_', 'S', 'B', '_', 'P', 'W', 'R', 'B', 0x0a, 0x80 };

	(void)s;
	aml_init(&a);
	aml_store(&a);
	aml_namestring(&a, "GEVT");
	aml_local(&a, 0);
	i = aml_if_begin(&a);
	aml_and(&a);
	aml_local(&a, 0);
	aml_integer(&a, 1);
	aml_null_target(&a);
	aml_notify(&a, "\\_SB.PWRB", 0x80);
	aml_end(&a, i);
	check(&a, want, sizeof(want));
	aml_init(&a); aml_local(&a, 8); assert_int_equal(a.err, -EINVAL); aml_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pkglength),
		cmocka_unit_test(test_integer),
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_namestring),
		cmocka_unit_test(test_string_eisaid),
		cmocka_unit_test(test_scope_device),
		cmocka_unit_test(test_method),
		cmocka_unit_test(test_package),
		cmocka_unit_test(test_opregion_field),
		cmocka_unit_test(test_if_notify),
		cmocka_unit_test(test_end_long),
		cmocka_unit_test(test_buffer),
		cmocka_unit_test(test_restemplate_com1),
		cmocka_unit_test(test_res_descriptors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
