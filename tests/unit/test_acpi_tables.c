/* test_acpi_tables.c - the ACPI tables: lengths, checksums, pointers and the contents that
 * must agree with the MP table and the memory map (ACPI 6.5 §5.2). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "acpi/acpi.h"
#include "acpi/pm.h"

#define BASE 0xe0000ull

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static void config(struct acpi_config *c, unsigned ncpus)
{
	memset(c, 0, sizeof(*c));
	c->base = BASE;
	c->ncpus = ncpus;
	c->ioapic_id = ncpus <= 15 ? ncpus : 0;
	c->ioapic_addr = 0xfec00000;
	c->lapic_addr = 0xfee00000;
	c->ecam_base = 0xfed00000;
	c->ecam_bus_end = 0;
	c->mem32_min = 0xc0000000;
	c->mem32_max = 0xfebfffff;
	c->mem64_min = 0x100000000ull;
	c->mem64_max = 0xffffffffffull;
	for (unsigned s = 0; s < ACPI_PCI_SLOTS; s++)
		for (unsigned p = 0; p < 4; p++)
			c->intx_gsi[s][p] = 16 + (s + p) % 8;
	c->pm_port = ACPI_PM_PORT;
	c->ged_gsi = ACPI_PM_GED_GSI;
}

/* Table at guest address gpa: inside the blob, its signature, length and checksum. */
static const uint8_t *table_at(const struct acpi_blob *b, uint64_t gpa, const char *sig)
{
	const uint8_t *t;

	assert_true(gpa >= BASE && gpa + 36 <= BASE + b->len);
	t = b->buf + (gpa - BASE);
	assert_memory_equal(t, sig, 4);
	assert_true(gpa + rd32(t + 4) <= BASE + b->len);
	assert_int_equal(acpi_sum(t, rd32(t + 4)), 0);
	return t;
}

static void test_rsdp_xsdt(void **s)
{
	struct acpi_config c;
	struct acpi_blob b;
	const uint8_t *r, *x;
	static const char *sigs[3] = { "FACP", "APIC", "MCFG" };

	(void)s;
	config(&c, 2);
	assert_int_equal(acpi_build(&c, &b), 0);
	assert_true(b.len <= ACPI_MAX_SIZE);
	r = b.buf;
	/* §5.2.5.3: signature, revision 2, length 36, both checksums */
	assert_memory_equal(r, "RSD PTR ", 8);
	assert_int_equal(r[15], 2);
	assert_int_equal(rd32(r + 20), 36);
	assert_int_equal(acpi_sum(r, 20), 0);
	assert_int_equal(acpi_sum(r, 36), 0);
	assert_int_equal(BASE % 16, 0);
	x = table_at(&b, rd64(r + 24), "XSDT");
	assert_int_equal(rd32(x + 4), 36 + 3 * 8);
	for (int i = 0; i < 3; i++)
		table_at(&b, rd64(x + 36 + 8 * i), sigs[i]);
	for (int i = 1; i < ACPI_NTABLES; i++)
		if (b.size[i])
			assert_int_equal(rd32(b.buf + b.off[i] + 4), b.size[i]);
	assert_int_equal(b.size[ACPI_VIOT], 0);		/* no --viommu: no VIOT */
	acpi_blob_free(&b);
}

static void test_fadt(void **s)
{
	struct acpi_config c;
	struct acpi_blob b;
	const uint8_t *f, *d;

	(void)s;
	config(&c, 1);
	assert_int_equal(acpi_build(&c, &b), 0);
	f = table_at(&b, BASE + b.off[ACPI_FADT], "FACP");
	assert_int_equal(rd32(f + 4), 276);
	assert_int_equal(f[8], 6);		/* major revision */
	assert_int_equal(f[131], 5);		/* minor */
	assert_int_equal(rd32(f + 112), (1u << 20) | (1u << 10));	/* HW_REDUCED, RESET_REG_SUP */
	/* RESET_REG: system I/O, 8 bits, byte access, port 0xCF9; value 6 */
	assert_int_equal(f[116], 1);
	assert_int_equal(f[117], 8);
	assert_int_equal(f[119], 1);
	assert_int_equal(rd64(f + 120), 0xcf9);
	assert_int_equal(f[128], 0x06);
	assert_int_equal(rd64(f + 140), BASE + b.off[ACPI_DSDT]);
	assert_int_equal(rd32(f + 40), BASE + b.off[ACPI_DSDT]);
	d = table_at(&b, rd64(f + 140), "DSDT");
	assert_int_equal(d[8], 2);
	/* the AML starts with Name (_S5, ...), then Scope (\_SB) */
	assert_int_equal(d[36], 0x08);
	assert_memory_equal(d + 37, "_S5_", 4);
	/* SLEEP_CONTROL_REG at 244, SLEEP_STATUS_REG at 256 (Table 5.9): ports 0x600, 0x601 */
	assert_int_equal(f[244], 1);
	assert_int_equal(f[245], 8);
	assert_int_equal(f[247], 1);
	assert_int_equal(rd64(f + 248), 0x600);
	assert_int_equal(f[256], 1);
	assert_int_equal(rd64(f + 260), 0x601);
	acpi_blob_free(&b);

	/* Without the PM registers: no sleep registers, and the DSDT opens with \_SB. */
	c.pm_port = 0;
	assert_int_equal(acpi_build(&c, &b), 0);
	f = table_at(&b, BASE + b.off[ACPI_FADT], "FACP");
	assert_int_equal(rd64(f + 248), 0);
	assert_int_equal(rd64(f + 260), 0);
	d = table_at(&b, rd64(f + 140), "DSDT");
	assert_int_equal(d[36], 0x10);
	acpi_blob_free(&b);
}

static const uint8_t *find(const uint8_t *h, size_t hn, const void *n, size_t nn)
{
	for (size_t i = 0; i + nn <= hn; i++)
		if (!memcmp(h + i, n, nn))
			return h + i;
	return NULL;
}

/* The GED (§5.6.9): HID "ACPI0013", its interrupt on ged_gsi edge/high, the event register at
 * pm_port + 2, and _EVT notifying \_SB.PWRB; and the power button PNP0C0C. */
static void test_dsdt_ged(void **s)
{
	struct acpi_config c;
	struct acpi_blob b;
	const uint8_t *d;
	size_t n;
	static const uint8_t hid[] = { 0x08, '_', 'H', 'I', 'D', 0x0d, 'A', 'C', 'P', 'I', '0', '0',
		'1', '3', 0 };
	static const uint8_t irq[] = { 0x89, 0x06, 0x00, 0x03, 0x01, 0x05, 0, 0, 0 };
	static const uint8_t region[] = { 0x5b, 0x80, 'G', 'E', 'D', 'R', 0x01, 0x0b, 0x02, 0x06,
		0x01 };
	static const uint8_t notify[] = { 0x86, 0x5c, 0x2e, '_', 'S', 'B', '_', 'P', 'W', 'R', 'B',
		0x0a, 0x80 };
	static const uint8_t pnp0c0c[] = { 0x0c, 0x41, 0xd0, 0x0c, 0x0c };

	(void)s;
	config(&c, 2);
	assert_int_equal(acpi_build(&c, &b), 0);
	d = b.buf + b.off[ACPI_DSDT];
	n = b.size[ACPI_DSDT];
	assert_non_null(find(d, n, hid, sizeof(hid)));
	assert_non_null(find(d, n, irq, sizeof(irq)));
	assert_non_null(find(d, n, region, sizeof(region)));
	assert_non_null(find(d, n, notify, sizeof(notify)));
	assert_non_null(find(d, n, pnp0c0c, sizeof(pnp0c0c)));
	assert_non_null(find(d, n, "_EVT", 4));
	acpi_blob_free(&b);
}

static void test_madt(void **s)
{
	struct acpi_config c;
	struct acpi_blob b;
	const uint8_t *m, *e, *end;
	unsigned nlapic = 0, nio = 0, niso = 0, nnmi = 0;

	(void)s;
	config(&c, 4);
	assert_int_equal(acpi_build(&c, &b), 0);
	m = table_at(&b, BASE + b.off[ACPI_MADT], "APIC");
	assert_int_equal(rd32(m + 36), 0xfee00000);
	assert_int_equal(rd32(m + 40), 1);	/* PCAT_COMPAT */
	end = m + rd32(m + 4);
	for (e = m + 44; e < end; e += e[1]) {
		assert_true(e[1] >= 2 && e + e[1] <= end);
		switch (e[0]) {
		case 0:
			assert_int_equal(e[1], 8);
			assert_int_equal(e[2], nlapic);		/* UID */
			assert_int_equal(e[3], nlapic);		/* APIC ID */
			assert_int_equal(rd32(e + 4), 1);	/* Enabled */
			nlapic++;
			break;
		case 1:
			assert_int_equal(e[1], 12);
			assert_int_equal(e[2], 4);		/* the MP table's ID for 4 vCPUs */
			assert_int_equal(rd32(e + 4), 0xfec00000);
			assert_int_equal(rd32(e + 8), 0);
			nio++;
			break;
		case 2:
			assert_int_equal(e[1], 10);
			assert_int_equal(e[2], 0);		/* ISA */
			assert_int_equal(e[3], 0);		/* IRQ 0 */
			assert_int_equal(rd32(e + 4), 2);	/* GSI 2 */
			assert_int_equal(e[8] | e[9] << 8, 0);	/* conforms: edge, high */
			niso++;
			break;
		case 4:
			assert_int_equal(e[1], 6);
			assert_int_equal(e[2], 0xff);
			assert_int_equal(e[5], 1);		/* LINT1 */
			nnmi++;
			break;
		default:
			fail_msg("unexpected MADT entry type %u", e[0]);
		}
	}
	assert_ptr_equal(e, end);
	assert_int_equal(nlapic, 4);
	assert_int_equal(nio, 1);
	assert_int_equal(niso, 1);
	assert_int_equal(nnmi, 1);
	acpi_blob_free(&b);
}

static void test_mcfg(void **s)
{
	struct acpi_config c;
	struct acpi_blob b;
	const uint8_t *m;

	(void)s;
	config(&c, 1);
	assert_int_equal(acpi_build(&c, &b), 0);
	m = table_at(&b, BASE + b.off[ACPI_MCFG], "MCFG");
	assert_int_equal(rd32(m + 4), 60);
	assert_int_equal(rd64(m + 44), 0xfed00000);
	assert_int_equal(m[52] | m[53] << 8, 0);	/* segment */
	assert_int_equal(m[54], 0);
	assert_int_equal(m[55], 0);
	acpi_blob_free(&b);
}

/* Every table's checksum for every vCPU count, and the largest fits the BIOS area. */
static void test_all_sizes(void **s)
{
	struct acpi_config c;
	struct acpi_blob b;

	(void)s;
	for (unsigned n = 1; n <= ACPI_MAX_CPUS; n++) {
		config(&c, n);
		assert_int_equal(acpi_build(&c, &b), 0);
		assert_true(b.len <= ACPI_MAX_SIZE);
		for (int i = 1; i < ACPI_NTABLES; i++) {
			if (!b.size[i])
				continue;
			assert_int_equal(b.off[i] % 16, 0);
			assert_true(b.off[i] >= b.off[i - 1] + b.size[i - 1]);
			assert_int_equal(acpi_sum(b.buf + b.off[i], b.size[i]), 0);
		}
		assert_int_equal(rd32(b.buf + b.off[ACPI_MADT] + 4), 44 + 8 * n + 12 + 10 + 6);
		acpi_blob_free(&b);
	}
}

/* The DSDT's _PRT carries c->intx_gsi: find slot 3's INTB# entry in the AML. */
static void test_dsdt_prt(void **s)
{
	struct acpi_config c;
	struct aml a;
	/* Package (4) { 0x0003FFFF, One, Zero, 0x14 } */
	static const uint8_t entry[] = { 0x12, 0x0b, 0x04, 0x0c, 0xff, 0xff, 0x03, 0x00,
		0x01, 0x00, 0x0a, 0x14 };
	static const uint8_t hid[] = { 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x08 };
	int found = 0;

	(void)s;
	config(&c, 1);
	c.intx_gsi[3][1] = 0x14;
	aml_init(&a);
	assert_int_equal(acpi_build_dsdt_aml(&c, &a), 0);
	for (size_t i = 0; i + sizeof(entry) <= a.len; i++)
		found += !memcmp(a.buf + i, entry, sizeof(entry));
	assert_int_equal(found, 1);
	found = 0;
	for (size_t i = 0; i + sizeof(hid) <= a.len; i++)
		found += !memcmp(a.buf + i, hid, sizeof(hid));
	assert_int_equal(found, 1);
	aml_free(&a);
}

static void test_invalid(void **s)
{
	struct acpi_config c;
	struct acpi_blob b;

	(void)s;
	config(&c, 0);
	assert_int_equal(acpi_build(&c, &b), -EINVAL);
	config(&c, ACPI_MAX_CPUS + 1);
	assert_int_equal(acpi_build(&c, &b), -EINVAL);
	config(&c, 1);
	c.ecam_base = 0xfed80000;	/* not 1 MiB aligned */
	assert_int_equal(acpi_build(&c, &b), -EINVAL);
	config(&c, 1);
	c.ecam_bus_end = 1;		/* 2 MiB window at a 1 MiB-aligned base */
	assert_int_equal(acpi_build(&c, &b), -EINVAL);
	config(&c, 1);
	c.base = 0xe0008;
	assert_int_equal(acpi_build(&c, &b), -EINVAL);
	config(&c, 1);
	c.mem32_max = c.mem32_min - 1;
	assert_int_equal(acpi_build(&c, &b), -EINVAL);
	assert_null(b.buf);
}

/* --viommu: the VIOT (ACPI 6.5 §5.2.32) byte for byte, and the XSDT's fourth entry. */
static void test_viot(void **s)
{
	static const uint8_t want[88 - 36] = {
		0x02, 0x00, 0x30, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,	/* 2 nodes from offset 48 */
		/* 48: virtio-pci IOMMU (type 3, 16 bytes), segment 0, BDF 00:01.0 */
		0x03, 0x00, 0x10, 0x00, 0x00, 0x00, 0x08, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
		/* 64: PCI range (type 1, 24 bytes): endpoint 0 = BDF 00:00.0, segment 0..0,
		 * BDF 0x0000..0x00ff (bus 0), output node at 48 */
		0x01, 0x00, 0x18, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0xff, 0x00, 0x30, 0x00, 0, 0, 0, 0, 0, 0,
	};
	struct acpi_config c;
	struct acpi_blob b;
	const uint8_t *x, *v;

	(void)s;
	config(&c, 2);
	c.viot = true;
	c.viommu_bdf = 0x08;
	assert_int_equal(acpi_build(&c, &b), 0);
	x = b.buf + b.off[ACPI_XSDT];
	assert_int_equal(rd32(x + 4), 36 + 4 * 8);
	v = table_at(&b, rd64(x + 36 + 3 * 8), "VIOT");
	assert_int_equal(rd32(v + 4), 88);
	assert_int_equal(v[8], 0);				/* revision 0 */
	assert_int_equal(acpi_sum(v, 88), 0);
	assert_memory_equal(v + 36, want, sizeof(want));
	acpi_blob_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsdp_xsdt),
		cmocka_unit_test(test_viot),
		cmocka_unit_test(test_fadt),
		cmocka_unit_test(test_madt),
		cmocka_unit_test(test_mcfg),
		cmocka_unit_test(test_all_sizes),
		cmocka_unit_test(test_dsdt_prt),
		cmocka_unit_test(test_dsdt_ged),
		cmocka_unit_test(test_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
