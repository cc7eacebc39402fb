/* test_pci_config.c - PCI configuration mechanism #1, write masks, BAR sizing/placement/
 * relocation, Command toggles, the capability list and INTx (PCI Local Bus 3.0 §3.2.2.3.2, §6). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "test_pci_fake.h"

struct env {
	struct fake f;
	struct pci_bus b;
	struct pci_dev *d;
	uint8_t ram[1 << 20];
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	e->d = fake_bus_function(&e->f, &e->b, 3);
	assert_non_null(e->d);
	assert_int_equal(pci_bar_init(e->d, 0, PCI_BAR_IO, 32, NULL), 0);
	assert_int_equal(pci_bar_init(e->d, 1, 0, 4096, NULL), 0);
	assert_int_equal(pci_bar_init(e->d, 2, PCI_BAR_MEM64 | PCI_BAR_PREFETCH, 1 << 20, e->ram), 0);
	assert_int_equal(pci_bar_init(e->d, 4, PCI_BAR_MEM64, 8192, NULL), 0);
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

static void test_cf8_latch(void **state)
{
	struct env *e = *state;
	uint32_t v = 0xffffffff, r;
	uint16_t w;
	uint8_t by;

	pci_host_io(&e->b, 0, &v, 4, true);
	pci_host_io(&e->b, 0, &r, 4, false);
	/* Reserved bits 30:24 and 1:0 read 0. */
	assert_int_equal(r, 0x80fffffc);
	/* Byte and word accesses are not CONFIG_ADDRESS accesses: latch unchanged, all-ones. */
	by = 0;
	pci_host_io(&e->b, 0, &by, 1, true);
	w = 0;
	pci_host_io(&e->b, 2, &w, 2, true);
	pci_host_io(&e->b, 0, &r, 4, false);
	assert_int_equal(r, 0x80fffffc);
	pci_host_io(&e->b, 1, &by, 1, false);
	assert_int_equal(by, 0xff);
	pci_host_io(&e->b, 2, &w, 2, false);
	assert_int_equal(w, 0xffff);
}

/* A byte write to 0xCF9 (the reset register, decoded before the bus) leaves the latch alone
 * and reads of it float high: nothing behind 0xCF8-0xCFB but CONFIG_ADDRESS. */
static void test_cf9_not_config_address(void **state)
{
	struct env *e = *state;
	uint32_t a = 0x80001800, r = 0;
	uint8_t v = 0x06;

	pci_host_io(&e->b, 0, &a, 4, true);
	pci_host_io(&e->b, 1, &v, 1, true);
	pci_host_io(&e->b, 0, &r, 4, false);
	assert_int_equal(r, 0x80001800);
	pci_host_io(&e->b, 1, &v, 1, false);
	assert_int_equal(v, 0xff);
}

static void test_data_window_sizes(void **state)
{
	struct env *e = *state;

	/* Host bridge 00.0: vendor 8086, device 1237, class 06 00 00. */
	assert_int_equal(cfg_rd(&e->b, 0, 0, 0, 4), 0x12378086);
	assert_int_equal(cfg_rd(&e->b, 0, 0, 8, 4) >> 8, 0x060000);
	assert_int_equal(cfg_rd(&e->b, 3, 0, 0, 4), 0x56781234);
	assert_int_equal(cfg_rd(&e->b, 3, 0, 0, 1), 0x34);
	assert_int_equal(cfg_rd(&e->b, 3, 0, 1, 1), 0x12);
	assert_int_equal(cfg_rd(&e->b, 3, 0, 2, 1), 0x78);
	assert_int_equal(cfg_rd(&e->b, 3, 0, 3, 1), 0x56);
	assert_int_equal(cfg_rd(&e->b, 3, 0, 0, 2), 0x1234);
	assert_int_equal(cfg_rd(&e->b, 3, 0, 1, 2), 0x7812);
	assert_int_equal(cfg_rd(&e->b, 3, 0, 2, 2), 0x5678);
	assert_int_equal(cfg_rd(&e->b, 3, 0, 0x0a, 2), 0xff00);
	/* A word/dword sticking out of the data dword is no access (bus never sends it). */
	uint32_t a = 0x80001800, v = 0;

	pci_host_io(&e->b, 0, &a, 4, true);
	pci_host_io(&e->b, 5, &v, 4, false);
	assert_int_equal(v, 0xffffffff);
	/* Byte writes at each offset of the dword land in the right byte. */
	cfg_wr(&e->b, 3, 0, 0x3c, 1, 0x0b);
	assert_int_equal(cfg_rd(&e->b, 3, 0, 0x3c, 1), 0x0b);
	cfg_wr(&e->b, 3, 0, 0x0d, 1, 0x40);
	assert_int_equal(cfg_rd(&e->b, 3, 0, 0x0c, 4) & 0xff00, 0x4000);
	cfg_wr(&e->b, 3, 0, 0x0c, 2, 0x2010);
	assert_int_equal(cfg_rd(&e->b, 3, 0, 0x0c, 2), 0x2010);
}

static void test_enable_bit_clear(void **state)
{
	struct env *e = *state;
	uint32_t a = 0x00001800 | 0x3c, v = 0x55;

	pci_host_io(&e->b, 0, &a, 4, true);
	pci_host_io(&e->b, 4, &v, 1, true);
	assert_int_equal(e->d->cfg[0x3c], 0);
	pci_host_io(&e->b, 4, &v, 4, false);
	assert_int_equal(v, 0xffffffff);
}

static void test_absent_functions(void **state)
{
	struct env *e = *state;
	struct pci_dev *f1 = pci_dev_new(0x1234, 0x1111, 0xff000000, NULL, NULL);

	assert_int_equal(cfg_rd(&e->b, 5, 0, 0, 4), 0xffffffff);
	assert_int_equal(cfg_rd(&e->b, 31, 7, 0, 2), 0xffff);
	assert_int_equal(cfg_rd(&e->b, 0, 1, 0, 1), 0xff);
	/* Function 1 exists but function 0 is single-function: invisible. */
	assert_int_equal(pci_dev_attach(&e->b, f1, 3, 1), 0);
	assert_int_equal(cfg_rd(&e->b, 3, 1, 0, 4), 0xffffffff);
	e->d->cfg[PCI_HEADER_TYPE] |= PCI_HDR_MULTIFUNC;
	assert_int_equal(cfg_rd(&e->b, 3, 1, 0, 4), 0x11111234);
	/* Bus 1 does not exist. */
	uint32_t a = 0x80010000 | 3 << 11, v;

	pci_host_io(&e->b, 0, &a, 4, true);
	pci_host_io(&e->b, 4, &v, 4, false);
	assert_int_equal(v, 0xffffffff);
	assert_false(pci_config_access(&e->b, PCI_BDF(0, 3, 0), 0xffe, &v, 4, false));
	assert_false(pci_config_access(&e->b, PCI_BDF(0, 3, 0), 4096, &v, 1, false));
	assert_false(pci_config_access(&e->b, PCI_BDF(0, 3, 0), 0, &v, 3, false));
	/* Extended space of a conventional function: 0, read-only. */
	assert_true(pci_config_access(&e->b, PCI_BDF(0, 3, 0), 0x100, &v, 4, false));
	assert_int_equal(v, 0);
	assert_int_equal(pci_dev_attach(&e->b, f1, 3, 1), -EEXIST);
	assert_int_equal(pci_dev_attach(&e->b, f1, 32, 0), -EINVAL);
}

static void test_write_masks(void **state)
{
	struct env *e = *state;

	cfg_wr(&e->b, 3, 0, 0, 4, 0);
	assert_int_equal(cfg_rd(&e->b, 3, 0, 0, 4), 0x56781234);
	cfg_wr(&e->b, 3, 0, 8, 4, 0);
	assert_int_equal(cfg_rd(&e->b, 3, 0, 8, 4), 0xff000001);
	/* Command: only the implemented bits stick. */
	cfg_wr(&e->b, 3, 0, PCI_COMMAND, 2, 0xffff);
	assert_int_equal(cfg_rd(&e->b, 3, 0, PCI_COMMAND, 2), 0x0547);
	cfg_wr(&e->b, 3, 0, PCI_COMMAND, 2, 0);
	/* Status: RW1C error bits, read-only rest. */
	pci_cfg_set(e->d, PCI_STATUS, 2, 0xf900 | PCI_STS_CAP_LIST);
	cfg_wr(&e->b, 3, 0, PCI_STATUS, 2, 0x0100);
	assert_int_equal(cfg_rd(&e->b, 3, 0, PCI_STATUS, 2), 0xf800 | PCI_STS_CAP_LIST);
	cfg_wr(&e->b, 3, 0, PCI_STATUS, 2, 0x0000);
	assert_int_equal(cfg_rd(&e->b, 3, 0, PCI_STATUS, 2), 0xf800 | PCI_STS_CAP_LIST);
	cfg_wr(&e->b, 3, 0, PCI_STATUS, 2, 0xffff);
	assert_int_equal(cfg_rd(&e->b, 3, 0, PCI_STATUS, 2), PCI_STS_CAP_LIST);
	/* A dword write to Command/Status clears Status bits written as 1 only. */
	pci_cfg_set(e->d, PCI_STATUS, 2, 0x8000);
	cfg_wr(&e->b, 3, 0, PCI_COMMAND, 4, 0x40000004);
	assert_int_equal(cfg_rd(&e->b, 3, 0, PCI_COMMAND, 4), 0x80000004);
	/* Interrupt Line RW, Interrupt Pin RO, header type RO, cap pointer RO. */
	pci_intx_pin_set(e->d, 1);
	cfg_wr(&e->b, 3, 0, PCI_INT_LINE, 2, 0x0405);
	assert_int_equal(cfg_rd(&e->b, 3, 0, PCI_INT_LINE, 2), 0x0105);
	cfg_wr(&e->b, 3, 0, PCI_HEADER_TYPE, 1, 0xff);
	assert_int_equal(cfg_rd(&e->b, 3, 0, PCI_HEADER_TYPE, 1), 0);
	cfg_wr(&e->b, 3, 0, PCI_CAP_PTR, 1, 0x40);
	assert_int_equal(cfg_rd(&e->b, 3, 0, PCI_CAP_PTR, 1), 0);
}

static void test_bar_sizing(void **state)
{
	struct env *e = *state;

	for (unsigned r = 0x10; r <= 0x24; r += 4)
		cfg_wr(&e->b, 3, 0, r, 4, 0xffffffff);
	assert_int_equal(cfg_rd(&e->b, 3, 0, 0x10, 4), 0xffffffe1);	/* I/O, 32 bytes */
	assert_int_equal(cfg_rd(&e->b, 3, 0, 0x14, 4), 0xfffff000);	/* mem32, 4 KiB */
	assert_int_equal(cfg_rd(&e->b, 3, 0, 0x18, 4), 0xfff0000c);	/* mem64 pref 1 MiB */
	assert_int_equal(cfg_rd(&e->b, 3, 0, 0x1c, 4), 0xffffffff);
	assert_int_equal(cfg_rd(&e->b, 3, 0, 0x20, 4), 0xffffe004);	/* mem64, 8 KiB */
	assert_int_equal(cfg_rd(&e->b, 3, 0, 0x24, 4), 0xffffffff);
	/* Unimplemented BAR5 / ROM read 0 after all-ones. */
	cfg_wr(&e->b, 3, 0, 0x30, 4, 0xffffffff);
	assert_int_equal(cfg_rd(&e->b, 3, 0, 0x30, 4), 0);
	/* Type bits survive any write. */
	cfg_wr(&e->b, 3, 0, 0x18, 4, 0);
	assert_int_equal(cfg_rd(&e->b, 3, 0, 0x18, 4), 0x0000000c);
	cfg_wr(&e->b, 3, 0, 0x10, 4, 0);
	assert_int_equal(cfg_rd(&e->b, 3, 0, 0x10, 4), 1);
}

static void test_rom_sizing(void **state)
{
	struct env *e = *state;
	static uint8_t rom[4096] = { 0x55, 0xaa };

	assert_int_equal(pci_rom_init(e->d, 4096, rom), 0);
	cfg_wr(&e->b, 3, 0, 0x30, 4, 0xffffffff);
	assert_int_equal(cfg_rd(&e->b, 3, 0, 0x30, 4), 0xfffff001);
	/* Sizing pattern with MEM on maps nothing. */
	cfg_wr(&e->b, 3, 0, PCI_COMMAND, 2, PCI_CMD_MEM);
	assert_false(e->d->bars[PCI_ROM_BAR].mapped);
	cfg_wr(&e->b, 3, 0, 0x30, 4, 0xd0000000);
	assert_false(e->d->bars[PCI_ROM_BAR].mapped);	/* enable bit clear */
	cfg_wr(&e->b, 3, 0, 0x30, 4, 0xd0000001);
	assert_true(e->d->bars[PCI_ROM_BAR].mapped);
	struct fake_map *m = fake_find(&e->f, true, 0xd0000000);
	uint16_t sig = 0;
	uint32_t junk = 0;

	assert_non_null(m);
	m->fn(m->arg, 0, &sig, 2, false);
	assert_int_equal(sig, 0xaa55);
	m->fn(m->arg, 0, &junk, 4, true);	/* read-only */
	m->fn(m->arg, 0, &sig, 2, false);
	assert_int_equal(sig, 0xaa55);
	assert_int_equal(pci_rom_init(e->d, 1024, rom), -EINVAL);
}

static void test_bar_init_rejects(void **state)
{
	struct env *e = *state;
	struct pci_dev *d = pci_dev_new(1, 2, 0, NULL, NULL);

	(void)e;
	assert_int_equal(pci_bar_init(d, 0, PCI_BAR_IO, 3, NULL), -EINVAL);
	assert_int_equal(pci_bar_init(d, 0, PCI_BAR_IO, 2, NULL), -EINVAL);
	assert_int_equal(pci_bar_init(d, 0, 0, 8, NULL), -EINVAL);
	assert_int_equal(pci_bar_init(d, 0, 0, 1ULL << 32, NULL), -EINVAL);
	assert_int_equal(pci_bar_init(d, 5, PCI_BAR_MEM64, 4096, NULL), -EINVAL);
	assert_int_equal(pci_bar_init(d, 6, 0, 4096, NULL), -EINVAL);
	assert_int_equal(pci_bar_init(d, -1, 0, 4096, NULL), -EINVAL);
	assert_int_equal(pci_bar_init(d, 0, 0, 2048, d), -EINVAL);
	assert_int_equal(pci_bar_init(d, 0, PCI_BAR_MEM64, 1ULL << 32, NULL), 0);
	assert_int_equal(pci_bar_init(d, 1, 0, 4096, NULL), -EEXIST);
	assert_int_equal(pci_bar_init(d, 0, 0, 4096, NULL), -EEXIST);
	free(d);
}

static void test_placement(void **state)
{
	struct env *e = *state;

	assert_int_equal(pci_dev_place_bars(e->d), 0);
	uint64_t io = pci_bar_addr(e->d, 0), m32 = pci_bar_addr(e->d, 1);
	uint64_t m64 = pci_bar_addr(e->d, 2), np64 = pci_bar_addr(e->d, 4);

	assert_true(io >= 0xc000 && io + 32 <= 0x10000 && io % 32 == 0);
	assert_true(m32 >= 0xc0000000ULL && m32 + 4096 <= 0xfec00000ULL && m32 % 4096 == 0);
	assert_true(m64 >= 0x200000000ULL && m64 % (1 << 20) == 0);
	/* Non-prefetchable 64-bit BARs stay below 4 GiB. */
	assert_true(np64 >= 0xc0000000ULL && np64 + 8192 <= 0xfec00000ULL && np64 % 8192 == 0);
	assert_false(m32 < np64 + 8192 && np64 < m32 + 4096);
	/* Nothing decodes before the guest sets Command. */
	assert_int_equal(fake_nmaps(&e->f), 0);
	cfg_wr(&e->b, 3, 0, PCI_COMMAND, 2, PCI_CMD_IO);
	assert_non_null(fake_find(&e->f, false, io));
	assert_int_equal(fake_nmaps(&e->f), 1);
	cfg_wr(&e->b, 3, 0, PCI_COMMAND, 2, PCI_CMD_IO | PCI_CMD_MEM);
	assert_int_equal(fake_nmaps(&e->f), 4);
	assert_true(fake_find(&e->f, true, m64)->ram);
	assert_false(fake_find(&e->f, true, m32)->ram);
	cfg_wr(&e->b, 3, 0, PCI_COMMAND, 2, PCI_CMD_MEM);
	assert_null(fake_find(&e->f, false, io));
	assert_int_equal(fake_nmaps(&e->f), 3);
	cfg_wr(&e->b, 3, 0, PCI_COMMAND, 2, 0);
	assert_int_equal(fake_nmaps(&e->f), 0);
}

static void test_window_exhaustion(void **state)
{
	struct env *e = *state;
	struct pci_dev *d = pci_dev_new(1, 2, 0, NULL, NULL);

	assert_int_equal(pci_dev_attach(&e->b, d, 4, 0), 0);
	assert_int_equal(pci_bar_init(d, 0, 0, 1ULL << 31, NULL), 0);
	assert_int_equal(pci_dev_place_bars(d), -ENOSPC);
}

/* A 64-bit non-prefetchable BAR too big for the 32-bit window is placed above 4 GiB. */
static void test_np64_falls_back_high(void **state)
{
	struct env *e = *state;
	struct pci_dev *d = pci_dev_new(1, 2, 0, NULL, NULL);
	uint64_t a;

	assert_int_equal(pci_dev_attach(&e->b, d, 4, 0), 0);
	assert_int_equal(pci_bar_init(d, 0, PCI_BAR_MEM64, 2ULL << 30, NULL), 0);
	assert_int_equal(pci_dev_place_bars(d), 0);
	a = pci_bar_addr(d, 0);
	assert_true(a >= 0x100000000ULL && a % (2ULL << 30) == 0);
}

static void test_relocation_and_overlap(void **state)
{
	struct env *e = *state;
	struct pci_dev *d2 = pci_dev_new(0x1234, 0x9999, 0, NULL, NULL);

	assert_int_equal(pci_dev_attach(&e->b, d2, 4, 0), 0);
	assert_int_equal(pci_bar_init(d2, 0, 0, 4096, NULL), 0);
	assert_int_equal(pci_dev_place_bars(e->d), 0);
	assert_int_equal(pci_dev_place_bars(d2), 0);
	cfg_wr(&e->b, 3, 0, PCI_COMMAND, 2, PCI_CMD_MEM);
	cfg_wr(&e->b, 4, 0, PCI_COMMAND, 2, PCI_CMD_MEM);
	uint64_t a1 = pci_bar_addr(e->d, 1), a2 = pci_bar_addr(d2, 0);

	assert_true(e->d->bars[1].mapped && d2->bars[0].mapped);
	/* Move d's BAR1: old range gone, new one there. */
	cfg_wr(&e->b, 3, 0, 0x14, 4, 0xd0000000);
	assert_null(fake_find(&e->f, true, a1));
	assert_non_null(fake_find(&e->f, true, 0xd0000000));
	assert_int_equal(e->d->bars[1].mapped_addr, 0xd0000000);
	/* Move it on top of d2's BAR: stays inactive, d2 keeps decoding. */
	cfg_wr(&e->b, 3, 0, 0x14, 4, (uint32_t)a2);
	assert_false(e->d->bars[1].mapped);
	assert_true(d2->bars[0].mapped);
	/* Into RAM or onto the LAPIC: inactive. */
	cfg_wr(&e->b, 3, 0, 0x14, 4, 0x00100000);
	assert_false(e->d->bars[1].mapped);
	cfg_wr(&e->b, 3, 0, 0x14, 4, 0xfee00000);
	assert_false(e->d->bars[1].mapped);
	/* Moved away: active again. */
	cfg_wr(&e->b, 3, 0, 0x14, 4, 0xd0001000);
	assert_true(e->d->bars[1].mapped);
	/* Overlapping then the other moves away: re-evaluated, both active. */
	cfg_wr(&e->b, 3, 0, 0x14, 4, (uint32_t)a2);
	assert_false(e->d->bars[1].mapped);
	cfg_wr(&e->b, 4, 0, 0x10, 4, 0xd0008000);
	assert_true(e->d->bars[1].mapped);
	assert_true(d2->bars[0].mapped);
	assert_int_equal(d2->bars[0].mapped_addr, 0xd0008000);
	/* 64-bit BAR: move above 4 GiB with two dword writes. */
	cfg_wr(&e->b, 3, 0, 0x18, 4, 0x00000000);
	cfg_wr(&e->b, 3, 0, 0x1c, 4, 0x3);
	assert_int_equal(e->d->bars[2].mapped_addr, 0x300000000ULL);
	assert_true(fake_find(&e->f, true, 0x300000000ULL)->ram);
	/* Sizing the low dword while decoding (high dword 1): not mapped at 0x1_FFF00000. */
	cfg_wr(&e->b, 3, 0, 0x1c, 4, 0x1);
	assert_int_equal(e->d->bars[2].mapped_addr, 0x100000000ULL);
	cfg_wr(&e->b, 3, 0, 0x18, 4, 0xffffffff);
	assert_false(e->d->bars[2].mapped);
	assert_null(fake_find(&e->f, true, 0x1fff00000ULL));
	/* Both dwords all-ones: absurd, not mapped. */
	cfg_wr(&e->b, 3, 0, 0x1c, 4, 0xffffffff);
	assert_false(e->d->bars[2].mapped);
	cfg_wr(&e->b, 3, 0, 0x18, 4, 0);
	cfg_wr(&e->b, 3, 0, 0x1c, 4, 0x2);
	assert_true(e->d->bars[2].mapped);
	/* I/O BAR above 64 KiB or at 0: inactive. */
	cfg_wr(&e->b, 3, 0, PCI_COMMAND, 2, PCI_CMD_MEM | PCI_CMD_IO);
	assert_true(e->d->bars[0].mapped);
	cfg_wr(&e->b, 3, 0, 0x10, 4, 0x10000);
	assert_false(e->d->bars[0].mapped);
	cfg_wr(&e->b, 3, 0, 0x10, 4, 0);
	assert_false(e->d->bars[0].mapped);
	cfg_wr(&e->b, 3, 0, 0x10, 4, 0xffe0);
	assert_true(e->d->bars[0].mapped);
	/* Word write to half of a BAR moves it too. */
	cfg_wr(&e->b, 3, 0, 0x10, 2, 0xc100);
	assert_int_equal(e->d->bars[0].mapped_addr, 0xc100);
	/* A byte access through the bus handler reaches the device (no ops: all-ones). */
	uint8_t by = 0;

	fake_find(&e->f, false, 0xc100)->fn(fake_find(&e->f, false, 0xc100)->arg, 0, &by, 1, false);
	assert_int_equal(by, 0xff);
}

static void no_ring(struct pci_dev *d, uint64_t count)
{
	(void)d;
	(void)count;
}

static void test_sparse_bar(void **state)
{
	struct env *e = *state;
	struct pci_dev *d = pci_dev_new(0x1234, 0x1111, 0, NULL, NULL);
	static uint8_t mem[3][16384] __attribute__((aligned(4096)));

	assert_int_equal(pci_dev_attach(&e->b, d, 6, 0), 0);
	assert_int_equal(pci_bar_init(d, 0, 0, 65536, NULL), 0);
	assert_int_equal(pci_bar_init(d, 1, PCI_BAR_IO, 256, NULL), 0);
	assert_int_equal(pci_bar_init(d, 2, 0, 2048, NULL), 0);
	/* Rejected: unaligned, outside, overlapping, I/O, too small, unimplemented BAR. */
	assert_int_equal(pci_bar_add_ram(d, 0, 0x100, 4096, mem[0]), -EINVAL);
	assert_int_equal(pci_bar_add_ram(d, 0, 0, 4096, mem[0] + 1), -EINVAL);
	assert_int_equal(pci_bar_add_ram(d, 0, 0xf000, 0x2000, mem[0]), -EINVAL);
	assert_int_equal(pci_bar_add_ram(d, 0, 0, 0, mem[0]), -EINVAL);
	assert_int_equal(pci_bar_add_ram(d, 1, 0, 4096, mem[0]), -EINVAL);
	assert_int_equal(pci_bar_add_ram(d, 2, 0, 4096, mem[0]), -EINVAL);
	assert_int_equal(pci_bar_add_ram(d, 3, 0, 4096, mem[0]), -EINVAL);
	assert_int_equal(pci_bar_add_ram(d, 0, 0, 0x4000, mem[0]), 0);
	assert_int_equal(pci_bar_add_ram(d, 0, 0x3000, 0x2000, mem[1]), -EINVAL);
	assert_int_equal(pci_bar_add_ram(d, 0, 0x8000, 0x4000, mem[1]), 0);
	/* The MSI-X table may not sit in RAM, nor RAM be put over the table. */
	assert_int_equal(pci_msix_init(d, 4, 0, 0x2000, 0, 0xc000), -EINVAL);
	assert_int_equal(pci_msix_init(d, 4, 0, 0x4000, 0, 0x5000), 0);
	assert_int_equal(pci_bar_add_ram(d, 0, 0x4000, 0x1000, mem[2]), -EINVAL);
	assert_int_equal(pci_bar_add_ram(d, 0, 0x5000, 0x1000, mem[2]), -EINVAL);
	assert_int_equal(pci_doorbell_add(d, 0, 0x8000, 4, -1, no_ring), -EINVAL);
	assert_int_equal(pci_doorbell_add(d, 0, 0x7ffc, 4, -1, no_ring), 0);
	assert_int_equal(pci_bar_add_ram(d, 0, 0x7000, 0x1000, mem[2]), -EINVAL);
	/* Decoding: one trapped range over the BAR, one slot per RAM part. */
	cfg_wr(&e->b, 6, 0, 0x10, 4, 0xd0000000);
	cfg_wr(&e->b, 6, 0, PCI_COMMAND, 2, PCI_CMD_MEM);
	assert_int_equal(fake_nmaps(&e->f), 3);
	assert_int_equal(fake_find_kind(&e->f, false, 0xd0000000)->len, 65536);
	assert_int_equal(fake_find_kind(&e->f, true, 0xd0000000)->len, 0x4000);
	assert_int_equal(fake_find_kind(&e->f, true, 0xd0008000)->base, 0xd0008000);
	assert_null(fake_find_kind(&e->f, true, 0xd0004000));
	/* Trapped accesses still reach the MSI-X table. */
	uint32_t v = 0;
	struct fake_map *t = fake_find_kind(&e->f, false, 0xd0000000);

	t->fn(t->arg, 0x4000 + 12, &v, 4, false);
	assert_int_equal(v, 1);
	/* Moving moves every part. */
	cfg_wr(&e->b, 6, 0, 0x10, 4, 0xd0010000);
	assert_int_equal(fake_nmaps(&e->f), 3);
	assert_non_null(fake_find_kind(&e->f, true, 0xd0018000));
	assert_null(fake_find_kind(&e->f, true, 0xd0008000));
	/* A slot that cannot be made: the whole BAR stays off, nothing left behind. */
	cfg_wr(&e->b, 6, 0, PCI_COMMAND, 2, 0);
	assert_int_equal(fake_nmaps(&e->f), 0);
	e->f.ram_fail = 2;
	assert_int_equal(e->f.bar_failed, 0);
	cfg_wr(&e->b, 6, 0, PCI_COMMAND, 2, PCI_CMD_MEM);
	assert_false(d->bars[0].mapped);
	assert_int_equal(fake_nmaps(&e->f), 0);
	/* ... and the host is told which BAR, where and why (issue 16 item 5). */
	assert_int_equal(e->f.bar_failed, 1);
	assert_int_equal(e->f.bar_failed_index, 0);
	assert_int_equal(e->f.bar_failed_addr, 0xd0010000);
	assert_int_equal(e->f.bar_failed_err, -ENOSPC);
	e->f.ram_fail = 0;
	cfg_wr(&e->b, 6, 0, 0x10, 4, 0xd0020000);
	assert_true(d->bars[0].mapped);
	assert_int_equal(fake_nmaps(&e->f), 3);
}

static void test_caps(void **state)
{
	struct env *e = *state;
	unsigned a, b, c;

	assert_int_equal(pci_cap_find(e->d, PCI_CAP_ID_MSI), 0);
	assert_false(cfg_rd(&e->b, 3, 0, PCI_STATUS, 2) & PCI_STS_CAP_LIST);
	a = pci_cap_add(e->d, PCI_CAP_ID_VNDR, 5);
	b = pci_cap_add(e->d, PCI_CAP_ID_MSI, 24);
	c = pci_cap_add(e->d, PCI_CAP_ID_MSIX, 12);
	assert_int_equal(a, 0x40);
	assert_int_equal(b, 0x48);
	assert_int_equal(c, 0x60);
	assert_true(cfg_rd(&e->b, 3, 0, PCI_STATUS, 2) & PCI_STS_CAP_LIST);
	/* Walk it the way a guest does. */
	unsigned off = cfg_rd(&e->b, 3, 0, PCI_CAP_PTR, 1), ids[3], n = 0;

	while (off && n < 3) {
		ids[n++] = cfg_rd(&e->b, 3, 0, off, 1);
		off = cfg_rd(&e->b, 3, 0, off + 1, 1);
	}
	assert_int_equal(n, 3);
	assert_int_equal(off, 0);
	assert_int_equal(ids[0], 0x09);
	assert_int_equal(ids[1], 0x05);
	assert_int_equal(ids[2], 0x11);
	assert_int_equal(pci_cap_find(e->d, PCI_CAP_ID_MSIX), 0x60);
	/* Headers are read-only. */
	cfg_wr(&e->b, 3, 0, 0x48, 2, 0);
	assert_int_equal(cfg_rd(&e->b, 3, 0, 0x48, 2), 0x6005);
	/* Vendor-specific: length byte covers the header, data read-only. */
	unsigned v = pci_cap_add_vendor(e->d, "abc", 3);

	assert_int_equal(v, 0x6c);
	assert_int_equal(cfg_rd(&e->b, 3, 0, 0x61, 1), 0x6c);
	assert_int_equal(cfg_rd(&e->b, 3, 0, v, 4), 0x61060009);
	cfg_wr(&e->b, 3, 0, v + 4, 2, 0);
	assert_int_equal(cfg_rd(&e->b, 3, 0, v + 4, 2), 0x6362);
	/* Too big: refused; a loop in the list terminates. */
	assert_int_equal(pci_cap_add(e->d, PCI_CAP_ID_VNDR, 200), 0);
	e->d->cfg[0x61] = 0x40;
	assert_int_equal(pci_cap_find(e->d, PCI_CAP_ID_EXP), 0);
}

static void test_intx(void **state)
{
	struct env *e = *state;
	struct pci_dev *d2 = pci_dev_new(1, 2, 0, NULL, NULL);
	unsigned pin = pci_intx_route(3, 0);

	/* Slot 3 INTA# and slot 11 INTA# share a pin; slot 4 INTD# too. */
	assert_int_equal(pin, 19);
	assert_int_equal(pci_intx_route(11, 0), 19);
	assert_int_equal(pci_intx_route(4, 3), 23);
	assert_int_equal(pci_intx_route(5, 3), 16);
	assert_int_equal(pci_dev_attach(&e->b, d2, 11, 0), 0);
	pci_intx_pin_set(e->d, 1);
	pci_intx_pin_set(d2, 1);
	assert_int_equal(cfg_rd(&e->b, 3, 0, PCI_INT_LINE, 2), 0x0113);
	pci_intx_set(e->d, true);
	assert_int_equal(e->f.intx[pin], 1);
	assert_true(cfg_rd(&e->b, 3, 0, PCI_STATUS, 2) & PCI_STS_INTX);
	pci_intx_set(d2, true);
	pci_intx_set(e->d, false);
	assert_int_equal(e->f.intx[pin], 1);	/* wired-OR: d2 still holds it */
	assert_false(cfg_rd(&e->b, 3, 0, PCI_STATUS, 2) & PCI_STS_INTX);
	pci_intx_set(d2, false);
	assert_int_equal(e->f.intx[pin], 0);
	/* INTx Disable masks the output but not the Status bit; clearing it re-asserts. */
	cfg_wr(&e->b, 3, 0, PCI_COMMAND, 2, PCI_CMD_INTX_DISABLE);
	pci_intx_set(e->d, true);
	assert_int_equal(e->f.intx[pin], 0);
	assert_true(cfg_rd(&e->b, 3, 0, PCI_STATUS, 2) & PCI_STS_INTX);
	cfg_wr(&e->b, 3, 0, PCI_COMMAND, 2, 0);
	assert_int_equal(e->f.intx[pin], 1);
	cfg_wr(&e->b, 3, 0, PCI_COMMAND, 2, PCI_CMD_INTX_DISABLE);
	assert_int_equal(e->f.intx[pin], 0);
	/* Repeated asserts count once. */
	cfg_wr(&e->b, 3, 0, PCI_COMMAND, 2, 0);
	pci_intx_set(e->d, true);
	pci_intx_set(e->d, false);
	assert_int_equal(e->f.intx[pin], 0);
	/* No pin: never asserted. */
	pci_intx_set(d2, true);
	pci_intx_pin_set(d2, 0);
	pci_intx_set(d2, false);
	pci_intx_set(d2, true);
	assert_int_equal(e->f.intx[pin], 0);
}

static void test_reset(void **state)
{
	struct env *e = *state;
	uint32_t bar1;

	assert_int_equal(pci_dev_place_bars(e->d), 0);
	pci_dev_seal(e->d);
	bar1 = cfg_rd(&e->b, 3, 0, 0x14, 4);
	cfg_wr(&e->b, 3, 0, 0x14, 4, 0xd0000000);
	cfg_wr(&e->b, 3, 0, PCI_COMMAND, 2, PCI_CMD_MEM | PCI_CMD_IO);
	assert_true(fake_nmaps(&e->f) > 0);
	pci_bus_reset(&e->b);
	assert_int_equal(e->b.cf8, 0);
	assert_int_equal(fake_nmaps(&e->f), 0);
	assert_int_equal(cfg_rd(&e->b, 3, 0, 0x14, 4), bar1);
	assert_int_equal(cfg_rd(&e->b, 3, 0, PCI_COMMAND, 2), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cf8_latch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cf9_not_config_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_window_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enable_bit_clear, setup, teardown),
		cmocka_unit_test_setup_teardown(test_absent_functions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_masks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_sizing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rom_sizing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_init_rejects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_placement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_np64_falls_back_high, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_exhaustion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relocation_and_overlap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sparse_bar, setup, teardown),
		cmocka_unit_test_setup_teardown(test_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
