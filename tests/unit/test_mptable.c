/* test_mptable.c - parses the MP table back the way Linux's arch/x86/kernel/mpparse.c does
 * (scan for "_MP_", checksums, lengths, entry walk) and checks every field against MPS 1.4. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>
#include "machine/mptable.h"
#include "legacy/ioapic.h"

#define LOW (1 * MiB)

struct ctx {
	struct guest_mem mem;
	uint8_t *ram;
	struct mptable_config cfg;
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	c->ram = calloc(1, LOW);
	c->mem.r[0] = (struct guest_region){ .gpa = 0, .size = LOW, .hva = c->ram };
	c->mem.n = 1;
	c->mem.ram_size = LOW;
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	free(c->ram);
	free(c);
	return 0;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)(p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24);
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

/* smp_scan_config(): 16-byte aligned "_MP_", length 1, spec 1 or 4, checksum 0. */
static const uint8_t *find_mpf(const uint8_t *ram, uint32_t base, uint32_t len)
{
	for (uint32_t a = base; a + 16 <= base + len; a += 16) {
		const uint8_t *p = ram + a;

		if (memcmp(p, "_MP_", 4) || p[8] != 1 || sum(p, 16) != 0)
			continue;
		if (p[9] != 1 && p[9] != 4)
			continue;
		return p;
	}
	return NULL;
}

static void check_intsrc(const uint8_t *e, uint8_t type, uint8_t irqtype, uint16_t flags,
			 uint8_t bus, uint8_t irq, uint8_t dst, uint8_t pin)
{
	assert_int_equal(e[0], type);
	assert_int_equal(e[1], irqtype);
	assert_int_equal(le16(e + 2), flags);
	assert_int_equal(e[4], bus);
	assert_int_equal(e[5], irq);
	assert_int_equal(e[6], dst);
	assert_int_equal(e[7], pin);
}

/* Parse and check everything for c->cfg. */
static void parse(struct ctx *c)
{
	const struct mptable_config *cfg = &c->cfg;
	const uint8_t *f, *h, *e, *end;
	uint32_t phys;
	unsigned len, count, n = 0, ncpu = 0, nbus = 0, nio = 0, nint = 0, nlint = 0;

	/* Linux scans 0-1 KiB, 639-640 KiB and the BIOS ROM 0xF0000-0xFFFFF. */
	assert_null(find_mpf(c->ram, 0, 1024));
	assert_null(find_mpf(c->ram, 639 * 1024, 1024));
	f = find_mpf(c->ram, 0xF0000, 0x10000);
	assert_non_null(f);
	assert_ptr_equal(f, c->ram + BOOT_MPTABLE_ADDR);
	assert_int_equal(f[9], 4);			/* MPS 1.4 */
	assert_int_equal(f[11], 0);			/* a configuration table is present */
	assert_int_equal(f[12], 0);			/* IMCR absent: virtual wire mode */
	assert_int_equal(f[13] | f[14] | f[15], 0);
	phys = le32(f + 4);
	assert_int_equal(phys, 0xF0010);

	/* smp_check_mpc(). */
	h = c->ram + phys;
	assert_memory_equal(h, "PCMP", 4);
	len = le16(h + 4);
	assert_true(len >= 44 && phys + len <= 0x100000);
	assert_int_equal(h[6], 4);
	assert_int_equal(sum(h, len), 0);
	assert_memory_equal(h + 8, "VFVM    ", 8);
	assert_memory_equal(h + 16, "VFVM PC     ", 12);
	assert_int_equal(le32(h + 28), 0);		/* no OEM table */
	assert_int_equal(le16(h + 32), 0);
	count = le16(h + 34);
	assert_int_equal(le32(h + 36), 0xFEE00000);
	assert_int_equal(le16(h + 40), 0);		/* no extended table */
	assert_int_equal(h[42], 0);
	assert_int_equal(h[43], 0);

	/* smp_read_mpc(): walk the entries; they come sorted by type (MPS §4.3). */
	e = h + 44;
	end = h + len;
	while (e < end) {
		switch (e[0]) {
		case 0:
			assert_true(e + 20 <= end);
			assert_int_equal(nbus + nio + nint + nlint, 0);
			assert_int_equal(e[1], ncpu);		/* APIC ID */
			assert_int_equal(e[2], 0x14);
			assert_int_equal(e[3], ncpu == 0 ? 3 : 1);	/* EN, BP on CPU 0 */
			assert_int_equal((le32(e + 4) >> 8) & 0xF, 6);	/* family 6 */
			assert_int_equal(le32(e + 8) & (1 << 9), 1 << 9);	/* APIC */
			assert_int_equal(le32(e + 12) | le32(e + 16), 0);
			ncpu++;
			e += 20;
			break;
		case 1:
			assert_int_equal(nio + nint + nlint, 0);
			assert_int_equal(e[1], nbus);
			assert_memory_equal(e + 2, nbus == 0 ? "PCI   " : "ISA   ", 6);
			nbus++;
			e += 8;
			break;
		case 2:
			assert_int_equal(nint + nlint, 0);
			assert_int_equal(e[1], cfg->ioapic_id);
			assert_int_equal(e[2], 0x11);
			assert_int_equal(e[3], 1);
			assert_int_equal(le32(e + 4), 0xFEC00000);
			nio++;
			e += 8;
			break;
		case 3:
			assert_int_equal(nlint, 0);
			if (nint < 15) {
				/* ISA IRQ 0 -> INTIN2; 1, 3..15 -> same; conforming. */
				unsigned irq = nint <= 1 ? nint : nint + 1;	/* skip 2 */

				check_intsrc(e, 3, 0, 0, 1, (uint8_t)irq, cfg->ioapic_id,
					     irq == 0 ? 2 : (uint8_t)irq);
			} else {
				const struct mptable_pci_intx *x = &cfg->pci_intx[nint - 15];

				check_intsrc(e, 3, 0, 0xF, 0, (uint8_t)(x->slot << 2 | x->pin),
					     cfg->ioapic_id, x->ioapic_pin);
			}
			nint++;
			e += 8;
			break;
		case 4:
			check_intsrc(e, 4, nlint == 0 ? 3 : 1, 0, 1, 0, 0xFF, (uint8_t)nlint);
			nlint++;
			e += 8;
			break;
		default:
			fail_msg("unknown entry type %u", e[0]);
		}
		n++;
	}
	assert_ptr_equal(e, end);
	assert_int_equal(n, count);
	assert_int_equal(ncpu, cfg->ncpus);
	assert_int_equal(nbus, 2);
	assert_int_equal(nio, 1);
	assert_int_equal(nint, 15 + cfg->npci_intx);
	assert_int_equal(nlint, 2);
	assert_int_equal(len, 44 + 20 * cfg->ncpus + 8 * (2 + 1 + 15 + cfg->npci_intx + 2));
}

static void test_one_cpu(void **state)
{
	struct ctx *c = *state;

	c->cfg.ncpus = 1;
	c->cfg.ioapic_id = 1;
	assert_int_equal(mptable_write(&c->mem, &c->cfg), 0);
	parse(c);
}

static void test_two_cpus_pci(void **state)
{
	struct ctx *c = *state;

	c->cfg.ncpus = 2;
	c->cfg.ioapic_id = 2;
	c->cfg.npci_intx = 3;
	c->cfg.pci_intx[0] = (struct mptable_pci_intx){ 1, 0, 16 };
	c->cfg.pci_intx[1] = (struct mptable_pci_intx){ 2, 1, 17 };
	c->cfg.pci_intx[2] = (struct mptable_pci_intx){ 31, 3, 23 };
	assert_int_equal(mptable_write(&c->mem, &c->cfg), 0);
	parse(c);
	/* slot 31 INTD#: (31 << 2) | 3 = 127, the highest PCI source IRQ. */
	assert_int_equal(c->ram[0xF0010 + 44 + 2 * 20 + 3 * 8 + 17 * 8 + 5], 127);
}

static void test_64_cpus_full(void **state)
{
	struct ctx *c = *state;

	c->cfg.ncpus = 64;
	c->cfg.ioapic_id = mptable_ioapic_id(64);
	c->cfg.npci_intx = MPTABLE_MAX_PCI_INTX;
	for (unsigned i = 0; i < MPTABLE_MAX_PCI_INTX; i++)
		c->cfg.pci_intx[i] = (struct mptable_pci_intx){
			(uint8_t)(i / 4), (uint8_t)(i % 4), (uint8_t)(16 + (i / 4 + i % 4) % 8) };
	assert_int_equal(mptable_write(&c->mem, &c->cfg), 0);
	parse(c);
}

static uint32_t ioapic_id_reg(struct ioapic *io)
{
	uint32_t sel = 0, v = 0;

	ioapic_mmio(io, 0x00, &sel, 4, true);
	ioapic_mmio(io, 0x10, &v, 4, false);
	return v;
}

/* For every --cpus, the MP table's I/O APIC ID is what the I/O APIC's ID register holds,
 * and below 16 vCPUs it is no LAPIC's (MPS §3.6.1); 17 vCPUs as the case past 4 bits. */
static void test_ioapic_id_agrees(void **state)
{
	struct ctx *c = *state;

	for (unsigned n = 1; n <= MPTABLE_MAX_CPUS; n++) {
		uint8_t id = mptable_ioapic_id(n);
		struct ioapic *io = ioapic_new(NULL, id);

		assert_non_null(io);
		c->cfg.ncpus = n;
		c->cfg.ioapic_id = id;
		assert_int_equal(mptable_write(&c->mem, &c->cfg), 0);
		parse(c);
		assert_int_equal(ioapic_id_reg(io) >> 24, id);
		if (n < 16)
			assert_true(id >= n);
		ioapic_free(io);
	}
	assert_int_equal(mptable_ioapic_id(15), 15);
	assert_int_equal(mptable_ioapic_id(17), 0);
}

/* Bad configurations are refused and nothing is written. */
static void test_bad_config(void **state)
{
	struct ctx *c = *state;
	static const uint8_t zero[64];
	struct mptable_config *k = &c->cfg;

	k->ncpus = 0;
	k->ioapic_id = 1;
	assert_int_equal(mptable_write(&c->mem, k), -EINVAL);
	k->ncpus = 65;
	k->ioapic_id = 0;
	assert_int_equal(mptable_write(&c->mem, k), -EINVAL);
	k->ncpus = 4;
	k->ioapic_id = 16;			/* does not fit the 4-bit ID register */
	assert_int_equal(mptable_write(&c->mem, k), -EINVAL);
	k->ncpus = 17;
	k->ioapic_id = 17;
	assert_int_equal(mptable_write(&c->mem, k), -EINVAL);
	k->ncpus = 4;
	k->ioapic_id = 3;			/* collides with CPU 3's APIC ID */
	assert_int_equal(mptable_write(&c->mem, k), -EINVAL);
	k->ioapic_id = 0xFF;
	assert_int_equal(mptable_write(&c->mem, k), -EINVAL);
	k->ioapic_id = 4;
	k->npci_intx = MPTABLE_MAX_PCI_INTX + 1;
	assert_int_equal(mptable_write(&c->mem, k), -E2BIG);
	k->npci_intx = 1;
	k->pci_intx[0] = (struct mptable_pci_intx){ 32, 0, 16 };
	assert_int_equal(mptable_write(&c->mem, k), -EINVAL);
	k->pci_intx[0] = (struct mptable_pci_intx){ 1, 4, 16 };
	assert_int_equal(mptable_write(&c->mem, k), -EINVAL);
	k->pci_intx[0] = (struct mptable_pci_intx){ 1, 0, 15 };
	assert_int_equal(mptable_write(&c->mem, k), -EINVAL);
	k->pci_intx[0] = (struct mptable_pci_intx){ 1, 0, 24 };
	assert_int_equal(mptable_write(&c->mem, k), -EINVAL);
	assert_memory_equal(c->ram + BOOT_MPTABLE_ADDR, zero, sizeof(zero));
	/* Guest memory that does not reach the BIOS area. */
	k->pci_intx[0] = (struct mptable_pci_intx){ 1, 0, 16 };
	c->mem.r[0].size = 512 * KiB;
	assert_int_equal(mptable_write(&c->mem, k), -EFAULT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_cpu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_cpus_pci, setup, teardown),
		cmocka_unit_test_setup_teardown(test_64_cpus_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ioapic_id_agrees, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
