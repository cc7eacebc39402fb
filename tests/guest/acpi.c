/* acpi.c - with --acpi: finds the RSDP by the legacy scan of 0xE0000-0xFFFFF (ACPI 6.5
 * §5.2.5.1), checks its two checksums, walks the XSDT to the FADT (reset register, X_DSDT and
 * the DSDT's checksum), the MADT (one enabled Local APIC per CPU, the I/O APIC, IRQ0 -> GSI2)
 * and the MCFG, and reads configuration headers through ECAM and through 0xCF8/0xCFC: the same
 * bytes, the extended space of an emulated function 0, an absent one all-ones, a write through
 * one seen through the other (PCI Express Base 5.0 §7.2.2). */
#include "rt.h"

const char guest_name[] = "acpi";

#define ECAM_BASE	0xFED00000u

static uint8_t sum(const uint8_t *p, uint32_t n)
{
	uint8_t s = 0;
	while (n--)
		s += *p++;
	return s;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static const uint8_t *rsdp_scan(void)
{
	for (uint32_t a = 0xE0000; a < 0x100000; a += 16)
		if (!memcmp((const void *)a, "RSD PTR ", 8) && !sum((const uint8_t *)a, 20))
			return (const uint8_t *)a;
	return NULL;
}

/* A table the XSDT points to: below 4 GiB (this guest is 32-bit), good checksum. */
static const uint8_t *table(const uint8_t *xsdt, const char *sig)
{
	uint32_t n = (rd32(xsdt + 4) - 36) / 8;

	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *t = (const uint8_t *)rd32(xsdt + 36 + 8 * i);

		if (rd32(xsdt + 40 + 8 * i) == 0 && !memcmp(t, sig, 4))
			return check(sig, !sum(t, rd32(t + 4)), "checksum wrong") ? t : NULL;
	}
	fail(sig, "not in the XSDT");
	return NULL;
}

static void check_madt(const uint8_t *m, uint32_t cpus)
{
	const uint8_t *e = m + 44, *end = m + rd32(m + 4);
	uint32_t lapics = 0, ids = 0, ioapic = 0, iso0 = 0xFF;

	for (; e + 2 <= end && e[1] >= 2; e += e[1]) {
		if (e[0] == 0 && (rd32(e + 4) & 1)) {
			lapics++;
			ids |= 1u << (e[3] & 31);
		} else if (e[0] == 1) {
			ioapic = rd32(e + 4);
		} else if (e[0] == 2 && e[3] == 0) {
			iso0 = rd32(e + 4);
		}
	}
	check("madt_entries", e == end, "entries end at +%u, table at +%u",
	      (uint32_t)(e - m), (uint32_t)(end - m));
	check("madt_lapics", lapics == cpus && ids == (1u << cpus) - 1, "%u enabled, ids 0x%x",
	      lapics, ids);
	check_eq("madt_ioapic", ioapic, IOAPIC_BASE);
	check_eq("madt_irq0_gsi", iso0, 2);
	check_eq("madt_lapic_addr", rd32(m + 36), LAPIC_BASE);
}

static void check_fadt(const uint8_t *f)
{
	const uint8_t *d = (const uint8_t *)rd32(f + 140);

	check("fadt_flags", (rd32(f + 112) & (1u << 20 | 1u << 10)) == (1u << 20 | 1u << 10),
	      "flags 0x%x: want HW_REDUCED_ACPI and RESET_REG_SUP", rd32(f + 112));
	check("fadt_reset", f[116] == 1 && rd32(f + 120) == 0xCF9 && f[128] == 6,
	      "space %u address 0x%x value %u", f[116], rd32(f + 120), f[128]);
	check("dsdt", rd32(f + 144) == 0 && !memcmp(d, "DSDT", 4) && !sum(d, rd32(d + 4)),
	      "X_DSDT 0x%x: no DSDT with a good checksum", rd32(f + 140));
}

static uint32_t cf8_read(uint32_t bdf, uint32_t off)
{
	outl(0xCF8, 0x80000000u | bdf << 8 | off);
	return inl(0xCFC);
}

static volatile uint8_t *ecam(uint32_t bdf, uint32_t off)
{
	return (volatile uint8_t *)(ECAM_BASE + (bdf << 12) + off);
}

static void check_ecam(void)
{
	static const uint32_t bdfs[2] = { 0 << 3, 1 << 3 };	/* host bridge, testdev */
	uint32_t diff = 0, at = 0;

	for (int i = 0; i < 2; i++) {
		for (uint32_t off = 0; off < 0x40; off += 4) {
			uint32_t c = cf8_read(bdfs[i], off);
			uint32_t e = *(volatile uint32_t *)ecam(bdfs[i], off);
			uint16_t w = *(volatile uint16_t *)ecam(bdfs[i], off + 2);
			uint8_t b = *ecam(bdfs[i], off + 1);

			if (c != e || w != c >> 16 || b != (uint8_t)(c >> 8)) {
				diff++;
				at = bdfs[i] << 12 | off;
			}
		}
	}
	check("ecam_same_as_cf8", !diff, "%u dwords differ, last at ECAM +0x%x", diff, at);
	check_eq("ecam_vendor", *(volatile uint32_t *)ecam(1 << 3, 0), cf8_read(1 << 3, 0));
	check("ecam_present", cf8_read(1 << 3, 0) != 0xFFFFFFFF, "no testdev at 00:01.0");
	check_eq("ecam_extended_zero", *(volatile uint32_t *)ecam(1 << 3, 0x100), 0);
	check_eq("ecam_absent", *(volatile uint32_t *)ecam(31 << 3, 0), 0xFFFFFFFF);
	check_eq("ecam_misaligned", *(volatile uint32_t *)ecam(1 << 3, 0x2), 0xFFFFFFFF);
	/* Interrupt Line (0x3C) is read-write: written through ECAM, read through 0xCFC. */
	*ecam(1 << 3, 0x3C) = 0x5A;
	check_eq("ecam_write", cf8_read(1 << 3, 0x3C) & 0xFF, 0x5A);
}

void guest_main(uint32_t magic, uint32_t info)
{
	uint32_t cpus = cmdline_uint(boot_cmdline(), "cpus", 1);
	const uint8_t *r, *x, *t;

	(void)magic;
	(void)info;
	r = rsdp_scan();
	if (!check("rsdp", r, "no \"RSD PTR \" with a good checksum in 0xE0000-0xFFFFF"))
		return;
	printf("  RSDP at 0x%x, XSDT at 0x%x\n", (uint32_t)r, rd32(r + 24));
	check("rsdp_v2", r[15] == 2 && rd32(r + 20) == 36 && !sum(r, 36) && rd32(r + 28) == 0,
	      "revision %u length %u", r[15], rd32(r + 20));
	x = (const uint8_t *)rd32(r + 24);
	if (!check("xsdt", !memcmp(x, "XSDT", 4) && !sum(x, rd32(x + 4)), "bad XSDT"))
		return;
	if ((t = table(x, "FACP")))
		check_fadt(t);
	if ((t = table(x, "APIC")))
		check_madt(t, cpus);
	if ((t = table(x, "MCFG"))) {
		check("mcfg_alloc", rd32(t + 44) == ECAM_BASE && rd32(t + 48) == 0 && t[54] == 0 &&
		      t[55] == 0, "base 0x%x buses %u-%u", rd32(t + 44), t[54], t[55]);
	}
	check_ecam();
}
