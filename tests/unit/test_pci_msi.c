/* test_pci_msi.c - MSI and MSI-X (PCI Local Bus 3.0 §6.8): capability registers, routes and
 * irqfds per vector, masking with pending bits, route updates, GSI reuse, table access rules. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "test_pci_fake.h"

static unsigned irq_changes;

static void on_irq_changed(struct pci_dev *d)
{
	(void)d;
	irq_changes++;
}

static const struct pci_dev_ops hook_ops = { .irq_changed = on_irq_changed };

struct env {
	struct fake f;
	struct pci_bus b;
	struct pci_dev *d;
	unsigned msi, msix;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct pci_host_ops o;

	fake_ops(&e->f, &o);
	pci_bus_init(&e->b, &o, 0x200000000ULL);
	e->d = pci_dev_new(0x1234, 0x5678, 0xff000001, &hook_ops, NULL);
	assert_int_equal(pci_dev_attach(&e->b, e->d, 2, 0), 0);
	assert_int_equal(pci_bar_init(e->d, 1, 0, 4096, NULL), 0);
	assert_int_equal(pci_bar_init(e->d, 4, 0, 4096, NULL), 0);
	assert_int_equal(pci_msi_init(e->d, 4, true, true), 0);
	assert_int_equal(pci_msix_init(e->d, 8, 4, 0, 4, 0x800), 0);
	e->msi = pci_cap_find(e->d, PCI_CAP_ID_MSI);
	e->msix = pci_cap_find(e->d, PCI_CAP_ID_MSIX);
	cfg_wr(&e->b, 2, 0, PCI_COMMAND, 2, PCI_CMD_MASTER | PCI_CMD_MEM);
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

/* How many times the eventfd bound to @gsi was signalled since the last call. */
static uint64_t fired(struct env *e, int gsi)
{
	uint64_t n = 0;

	if (gsi < 0 || e->f.irqfd_of[gsi] < 0)
		return 0;
	if (read(e->f.irqfd_of[gsi], &n, 8) != 8)
		return 0;
	return n;
}

static void test_msi_cap_layout(void **state)
{
	struct env *e = *state;

	assert_int_equal(e->msi, 0x40);
	/* 64-bit, per-vector masking, MMC = 2 (4 vectors). */
	assert_int_equal(cfg_rd(&e->b, 2, 0, e->msi + 2, 2), 0x0184);
	cfg_wr(&e->b, 2, 0, e->msi + 2, 2, 0xffff);
	/* Only Enable and MME are writable. */
	assert_int_equal(cfg_rd(&e->b, 2, 0, e->msi + 2, 2), 0x01f5);
	cfg_wr(&e->b, 2, 0, e->msi + 2, 2, 0);
	cfg_wr(&e->b, 2, 0, e->msi + 4, 4, 0xffffffff);
	assert_int_equal(cfg_rd(&e->b, 2, 0, e->msi + 4, 4), 0xfffffffc);
	/* Mask bits only for the 4 vectors; pending read-only. */
	cfg_wr(&e->b, 2, 0, e->msi + 0x10, 4, 0xffffffff);
	assert_int_equal(cfg_rd(&e->b, 2, 0, e->msi + 0x10, 4), 0xf);
	cfg_wr(&e->b, 2, 0, e->msi + 0x14, 4, 0xffffffff);
	assert_int_equal(cfg_rd(&e->b, 2, 0, e->msi + 0x14, 4), 0);
	assert_int_equal(pci_msi_init(e->d, 4, true, true), -EINVAL);
}

static void test_msi_init_rejects(void **state)
{
	struct pci_dev *d = pci_dev_new(1, 2, 0, NULL, NULL);

	(void)state;
	assert_int_equal(pci_msi_init(d, 0, true, true), -EINVAL);
	assert_int_equal(pci_msi_init(d, 3, true, true), -EINVAL);
	assert_int_equal(pci_msi_init(d, 64, true, true), -EINVAL);
	assert_int_equal(pci_msi_init(d, 32, false, false), 0);
	/* 32-bit, no masking: control says MMC 5, no 64, no mask. */
	assert_int_equal(pci_cfg_get(d, 0x42, 2), 0x000a);
	free(d);
}

static void test_msi_32bit(void **state)
{
	struct env *e = *state;
	struct pci_dev *d = pci_dev_new(1, 2, 0, NULL, NULL);
	unsigned c;
	int g;

	assert_int_equal(pci_dev_attach(&e->b, d, 7, 0), 0);
	assert_int_equal(pci_msi_init(d, 2, false, true), 0);
	c = pci_cap_find(d, PCI_CAP_ID_MSI);
	/* 32-bit layout (§6.8.1): address +4, data +8, mask +0xC, pending +0x10. */
	assert_int_equal(cfg_rd(&e->b, 7, 0, c + 2, 2), 0x0102);
	cfg_wr(&e->b, 7, 0, PCI_COMMAND, 2, PCI_CMD_MASTER);
	cfg_wr(&e->b, 7, 0, c + 4, 4, 0xfee0100c);
	cfg_wr(&e->b, 7, 0, c + 8, 2, 0x0052);
	cfg_wr(&e->b, 7, 0, c + 0xc, 4, 0xffffffff);
	assert_int_equal(cfg_rd(&e->b, 7, 0, c + 0xc, 4), 3);
	cfg_wr(&e->b, 7, 0, c + 2, 2, 0x0011);
	g = d->msi.vec[1].gsi;
	assert_true(g >= 24);
	assert_int_equal(e->f.route[g].addr, 0xfee0100c);
	assert_int_equal(e->f.route[g].data, 0x0053);
	assert_int_equal(pci_msi_notify(d, 1), 0);
	assert_int_equal(fired(e, g), 0);
	assert_int_equal(cfg_rd(&e->b, 7, 0, c + 0x10, 4), 2);
	cfg_wr(&e->b, 7, 0, c + 0xc, 4, 1);
	assert_int_equal(fired(e, g), 1);
	assert_int_equal(cfg_rd(&e->b, 7, 0, c + 0x10, 4), 0);
}

static void test_msi_enable_routes(void **state)
{
	struct env *e = *state;
	struct msi_msg m;
	int g0, g3;

	cfg_wr(&e->b, 2, 0, e->msi + 4, 4, 0xfee00000);
	cfg_wr(&e->b, 2, 0, e->msi + 8, 4, 0);
	cfg_wr(&e->b, 2, 0, e->msi + 0xc, 2, 0x4041);
	assert_int_equal(e->f.route_allocs, 0);
	/* Enable with MME = 2 (4 vectors): four routes, one commit. */
	unsigned c0 = e->f.commits;

	cfg_wr(&e->b, 2, 0, e->msi + 2, 2, 0x0021);
	assert_int_equal(e->d->msi.nactive, 4);
	assert_int_equal(e->f.route_allocs, 4);
	assert_int_equal(e->f.commits, c0 + 1);
	g0 = e->d->msi.vec[0].gsi;
	g3 = e->d->msi.vec[3].gsi;
	assert_true(g0 >= 24);
	/* Vector n replaces the low log2(4) bits of the data (§6.8.3.2). */
	assert_int_equal(e->f.route[g0].data, 0x4040);
	assert_int_equal(e->f.route[g3].data, 0x4043);
	assert_int_equal(e->f.route[g3].addr, 0xfee00000);
	m = pci_msi_msg(e->d, 1);
	assert_int_equal(m.data, 0x4041);
	/* Firing goes through the irqfd. */
	assert_int_equal(pci_msi_notify(e->d, 3), 0);
	assert_int_equal(fired(e, g3), 1);
	assert_int_equal(pci_msi_notify(e->d, 4), -EINVAL);
	/* Address rewrite: routes follow with one commit. */
	c0 = e->f.commits;
	cfg_wr(&e->b, 2, 0, e->msi + 4, 4, 0xfee01000);
	assert_int_equal(e->f.route[g3].addr, 0xfee01000);
	assert_int_equal(e->f.commits, c0 + 1);
	/* Writing the same value again: no commit. */
	cfg_wr(&e->b, 2, 0, e->msi + 4, 4, 0xfee01000);
	assert_int_equal(e->f.commits, c0 + 1);
	/* Disable frees the GSIs; re-enable gets them back. */
	cfg_wr(&e->b, 2, 0, e->msi + 2, 2, 0x0020);
	assert_false(e->f.gsi_used[g0]);
	assert_int_equal(e->f.irqfd_of[g0], -1);
	assert_int_equal(pci_msi_notify(e->d, 0), -ENODEV);
	cfg_wr(&e->b, 2, 0, e->msi + 2, 2, 0x0001);
	assert_int_equal(e->d->msi.nactive, 1);
	assert_int_equal(e->d->msi.vec[0].gsi, g0);
	/* MME above MMC (undefined): clamped to 4 vectors. */
	cfg_wr(&e->b, 2, 0, e->msi + 2, 2, 0x0051);
	assert_int_equal(e->d->msi.nactive, 4);
}

static void test_msi_mask_pending(void **state)
{
	struct env *e = *state;
	int g;

	cfg_wr(&e->b, 2, 0, e->msi + 4, 4, 0xfee00000);
	cfg_wr(&e->b, 2, 0, e->msi + 0x10, 4, 0x2);
	cfg_wr(&e->b, 2, 0, e->msi + 2, 2, 0x0011);	/* 2 vectors */
	g = e->d->msi.vec[1].gsi;
	assert_int_equal(pci_msi_notify(e->d, 1), 0);
	assert_int_equal(fired(e, g), 0);
	assert_int_equal(cfg_rd(&e->b, 2, 0, e->msi + 0x14, 4), 0x2);
	/* Unmask: the pending message goes out, pending clears. */
	cfg_wr(&e->b, 2, 0, e->msi + 0x10, 4, 0x0);
	assert_int_equal(fired(e, g), 1);
	assert_int_equal(cfg_rd(&e->b, 2, 0, e->msi + 0x14, 4), 0);
	/* Bus Master off: nothing sent. */
	cfg_wr(&e->b, 2, 0, PCI_COMMAND, 2, PCI_CMD_MEM);
	assert_int_equal(pci_msi_notify(e->d, 1), -EIO);
	assert_int_equal(fired(e, g), 0);
	assert_int_equal(e->d->msi_dropped, 1);
}

static void test_msix_cap(void **state)
{
	struct env *e = *state;

	assert_int_equal(cfg_rd(&e->b, 2, 0, e->msix + 2, 2), 7);
	assert_int_equal(cfg_rd(&e->b, 2, 0, e->msix + 4, 4), 0x4);
	assert_int_equal(cfg_rd(&e->b, 2, 0, e->msix + 8, 4), 0x804);
	cfg_wr(&e->b, 2, 0, e->msix + 2, 2, 0xffff);
	assert_int_equal(cfg_rd(&e->b, 2, 0, e->msix + 2, 2), 0xc007);
	cfg_wr(&e->b, 2, 0, e->msix + 4, 4, 0);
	assert_int_equal(cfg_rd(&e->b, 2, 0, e->msix + 4, 4), 0x4);
}

static void test_msix_init_rejects(void **state)
{
	struct pci_dev *d = pci_dev_new(1, 2, 0, NULL, NULL);
	static uint8_t ram[8192];

	(void)state;
	assert_int_equal(pci_bar_init(d, 0, 0, 4096, NULL), 0);
	assert_int_equal(pci_bar_init(d, 1, PCI_BAR_IO, 256, NULL), 0);
	assert_int_equal(pci_bar_init(d, 2, 0, 8192, ram), 0);
	assert_int_equal(pci_msix_init(d, 0, 0, 0, 0, 0x800), -EINVAL);
	assert_int_equal(pci_msix_init(d, 2049, 0, 0, 0, 0x800), -EINVAL);
	assert_int_equal(pci_msix_init(d, 4096, 0, 0, 0, 0x800), -EINVAL);
	assert_int_equal(pci_msix_init(d, 256, 0, 0, 0, 0x800), -EINVAL);	/* table > BAR */
	assert_int_equal(pci_msix_init(d, 8, 0, 0, 0, 0x40), -EINVAL);	/* overlap */
	assert_int_equal(pci_msix_init(d, 8, 1, 0, 0, 0x800), -EINVAL);	/* I/O BAR */
	assert_int_equal(pci_msix_init(d, 8, 2, 0, 0, 0x800), -EINVAL);	/* RAM BAR */
	assert_int_equal(pci_msix_init(d, 8, 3, 0, 0, 0x800), -EINVAL);	/* no BAR */
	assert_int_equal(pci_msix_init(d, 8, 7, 0, 0, 0x800), -EINVAL);
	assert_int_equal(pci_msix_init(d, 8, 0, 4, 0, 0x800), -EINVAL);	/* unaligned */
	assert_int_equal(pci_msix_init(d, 128, 0, 0, 0, 0x800), 0);
	pci_msi_destroy(d);
	free(d);
}

static void tbl(struct env *e, uint64_t off, uint64_t v, unsigned len, bool w, uint64_t *out)
{
	uint64_t x = v;

	if (!pci_msix_bar_access(e->d, 4, off, &x, len, w))
		fail_msg("not claimed");
	if (out)
		*out = x;
}

static void vec_program(struct env *e, unsigned n, uint64_t addr, uint32_t data)
{
	tbl(e, n * 16, addr, 8, true, NULL);
	tbl(e, n * 16 + 8, data, 4, true, NULL);
}

static void test_msix_table_access(void **state)
{
	struct env *e = *state;
	uint64_t v;

	/* Reset state: all vectors masked, zero. */
	tbl(e, 12, 0, 4, false, &v);
	assert_int_equal(v & 0xffffffff, 1);
	tbl(e, 0, 0, 8, false, &v);
	assert_int_equal(v, 0);
	/* DWORD and QWORD writes/reads. */
	tbl(e, 16, 0xfee00000, 4, true, NULL);
	tbl(e, 20, 0x1, 4, true, NULL);
	tbl(e, 16, 0, 8, false, &v);
	assert_int_equal(v, 0x1fee00000ULL);
	tbl(e, 24, 0xffffffff00000099ULL, 8, true, NULL);	/* data + control */
	tbl(e, 24, 0, 8, false, &v);
	assert_int_equal(v, 0x0000000100000099ULL);	/* reserved control bits RO 0 */
	/* Byte/word and misaligned accesses: ignored, read all-ones. */
	v = 0;
	tbl(e, 16, 0x55, 1, true, NULL);
	tbl(e, 18, 0x55, 2, true, NULL);
	tbl(e, 20, 0x55, 8, true, NULL);	/* QWORD not 8-aligned */
	tbl(e, 16, 0, 8, false, &v);
	assert_int_equal(v, 0x1fee00000ULL);
	tbl(e, 16, 0, 1, false, &v);
	assert_int_equal(v & 0xff, 0xff);
	tbl(e, 17, 0, 4, false, &v);
	assert_int_equal(v & 0xffffffff, 0xffffffff);
	tbl(e, 20, 0, 8, false, &v);
	assert_int_equal(v, ~0ULL);
	/* Beyond the table and PBA: not MSI-X, left to the device. */
	v = 0;
	assert_false(pci_msix_bar_access(e->d, 4, 8 * 16, &v, 4, false));
	assert_false(pci_msix_bar_access(e->d, 4, 0x808, &v, 4, false));
	assert_false(pci_msix_bar_access(e->d, 1, 0, &v, 4, false));
	/* PBA: read-only. */
	tbl(e, 0x800, ~0ULL, 8, true, NULL);
	tbl(e, 0x800, 0, 8, false, &v);
	assert_int_equal(v, 0);
	tbl(e, 0x804, 0, 4, false, &v);
	assert_int_equal(v & 0xffffffff, 0);
	/* Through the mapped BAR, the same handler answers. */
	assert_int_equal(pci_dev_place_bars(e->d), 0);
	pci_bus_remap(&e->b);
	struct fake_map *m = fake_find(&e->f, true, e->d->bars[4].mapped_addr);
	uint32_t d32 = 0;

	assert_non_null(m);
	m->fn(m->arg, 24, &d32, 4, false);
	assert_int_equal(d32, 0x99);
}

static void test_msix_mask_pending(void **state)
{
	struct env *e = *state;
	uint64_t v;
	int g;

	vec_program(e, 3, 0xfee00000, 0x31);
	/* Not enabled: nothing. */
	assert_int_equal(pci_msi_notify(e->d, 3), -ENODEV);
	cfg_wr(&e->b, 2, 0, e->msix + 2, 2, 0x8000);
	/* Vector masked: no route yet, firing sets the PBA bit. */
	assert_int_equal(e->d->msix.vec[3].gsi, -1);
	assert_int_equal(pci_msi_notify(e->d, 3), 0);
	assert_true(pci_msix_pending(e->d, 3));
	tbl(e, 0x800, 0, 8, false, &v);
	assert_int_equal(v, 0x8);
	/* Unmask: route made, pending message delivered through the irqfd, bit cleared. */
	tbl(e, 3 * 16 + 12, 0, 4, true, NULL);
	g = e->d->msix.vec[3].gsi;
	assert_true(g >= 24);
	assert_int_equal(e->f.route[g].data, 0x31);
	assert_int_equal(fired(e, g), 1);
	assert_false(pci_msix_pending(e->d, 3));
	assert_int_equal(pci_msi_notify(e->d, 3), 0);
	assert_int_equal(fired(e, g), 1);
	/* Function mask: pending again, delivered when it clears. */
	cfg_wr(&e->b, 2, 0, e->msix + 2, 2, 0xc000);
	assert_int_equal(pci_msi_notify(e->d, 3), 0);
	assert_int_equal(fired(e, g), 0);
	assert_true(pci_msix_pending(e->d, 3));
	cfg_wr(&e->b, 2, 0, e->msix + 2, 2, 0x8000);
	assert_int_equal(fired(e, g), 1);
	assert_false(pci_msix_pending(e->d, 3));
	/* MSI-X takes precedence over MSI; out-of-range vectors refused. */
	assert_int_equal(pci_msi_notify(e->d, 8), -EINVAL);
	assert_int_equal(pci_msi_notify(e->d, 100000), -EINVAL);
}

static void test_msix_route_update_and_reuse(void **state)
{
	struct env *e = *state;
	unsigned c0;
	int g1, g2;

	cfg_wr(&e->b, 2, 0, e->msix + 2, 2, 0x8000);
	vec_program(e, 1, 0xfee00000, 0x41);
	vec_program(e, 2, 0xfee00000, 0x42);
	tbl(e, 1 * 16 + 12, 0, 4, true, NULL);
	tbl(e, 2 * 16 + 12, 0, 4, true, NULL);
	g1 = e->d->msix.vec[1].gsi;
	g2 = e->d->msix.vec[2].gsi;
	assert_true(g1 >= 24 && g2 >= 24 && g1 != g2);
	/* The way Linux reprograms: mask, write address/data, unmask -> one commit. */
	c0 = e->f.commits;
	tbl(e, 1 * 16 + 12, 1, 4, true, NULL);
	vec_program(e, 1, 0xfee02000, 0x51);
	assert_int_equal(e->f.commits, c0);
	assert_int_equal(e->f.route[g1].data, 0x41);	/* masked: not yet */
	tbl(e, 1 * 16 + 12, 0, 4, true, NULL);
	assert_int_equal(e->f.commits, c0 + 1);
	assert_int_equal(e->f.route[g1].data, 0x51);
	assert_int_equal(e->f.route[g1].addr, 0xfee02000);
	assert_int_equal(e->d->msix.vec[1].gsi, g1);
	/* Rewrite while unmasked: route follows immediately. */
	tbl(e, 1 * 16 + 8, 0x61, 4, true, NULL);
	assert_int_equal(e->f.route[g1].data, 0x61);
	/* Disable: GSIs freed, irqfds unbound; re-enable reuses them. */
	cfg_wr(&e->b, 2, 0, e->msix + 2, 2, 0);
	assert_false(e->f.gsi_used[g1]);
	assert_false(e->f.gsi_used[g2]);
	assert_int_equal(e->f.irqfd_of[g1], -1);
	assert_int_equal(e->d->msix.vec[1].gsi, -1);
	cfg_wr(&e->b, 2, 0, e->msix + 2, 2, 0x8000);
	assert_int_equal(e->d->msix.vec[1].gsi, g1 < g2 ? g1 : g2);
	/* Out of GSIs: delivery falls back to signal_msi with the right message. */
	for (int g = 24; g < 64; g++)
		e->f.gsi_used[g] = true;
	vec_program(e, 5, 0xfee00000, 0x77);
	tbl(e, 5 * 16 + 12, 0, 4, true, NULL);
	assert_int_equal(e->d->msix.vec[5].gsi, -1);
	assert_int_equal(pci_msi_notify(e->d, 5), 0);
	assert_int_equal(e->f.signals, 1);
	assert_int_equal(e->f.last_signal.data, 0x77);
}

static void test_msi_gates_intx(void **state)
{
	struct env *e = *state;
	unsigned pin = pci_intx_route(2, 0);

	pci_intx_pin_set(e->d, 1);
	pci_intx_set(e->d, true);
	assert_int_equal(e->f.intx[pin], 1);
	/* Enabling MSI-X (or MSI) takes the function off its INTx pin (§6.8)... */
	cfg_wr(&e->b, 2, 0, e->msix + 2, 2, 0x8000);
	assert_int_equal(e->f.intx[pin], 0);
	assert_true(cfg_rd(&e->b, 2, 0, PCI_STATUS, 2) & PCI_STS_INTX);
	pci_intx_set(e->d, true);
	assert_int_equal(e->f.intx[pin], 0);
	/* ... and disabling it puts a still-pending INTx back. */
	cfg_wr(&e->b, 2, 0, e->msix + 2, 2, 0);
	assert_int_equal(e->f.intx[pin], 1);
	cfg_wr(&e->b, 2, 0, e->msi + 2, 2, 1);
	assert_int_equal(e->f.intx[pin], 0);
	cfg_wr(&e->b, 2, 0, e->msi + 2, 2, 0);
	assert_int_equal(e->f.intx[pin], 1);
	pci_intx_set(e->d, false);
	assert_int_equal(e->f.intx[pin], 0);
}

static void test_irq_changed_hook(void **state)
{
	struct env *e = *state;
	unsigned n0 = irq_changes;

	cfg_wr(&e->b, 2, 0, e->msix + 2, 2, 0x8000);
	assert_int_equal(irq_changes, n0 + 1);
	vec_program(e, 0, 0xfee00000, 0x41);		/* two table writes */
	assert_int_equal(irq_changes, n0 + 3);
	uint64_t v;

	tbl(e, 0, 0, 8, false, &v);			/* reads do not count */
	assert_int_equal(irq_changes, n0 + 3);
	cfg_wr(&e->b, 2, 0, PCI_CACHE_LINE, 1, 0x10);	/* unrelated config write */
	assert_int_equal(irq_changes, n0 + 3);
	pci_dev_reset(e->d);
	assert_int_equal(irq_changes, n0 + 4);
}

static void test_reset_releases(void **state)
{
	struct env *e = *state;
	int g;

	pci_dev_seal(e->d);
	cfg_wr(&e->b, 2, 0, PCI_COMMAND, 2, PCI_CMD_MASTER | PCI_CMD_MEM);
	cfg_wr(&e->b, 2, 0, e->msix + 2, 2, 0x8000);
	vec_program(e, 0, 0xfee00000, 0x41);
	tbl(e, 12, 0, 4, true, NULL);
	g = e->d->msix.vec[0].gsi;
	assert_true(e->f.gsi_used[g]);
	pci_bus_reset(&e->b);
	assert_false(e->f.gsi_used[g]);
	uint64_t v;

	tbl(e, 12, 0, 4, false, &v);
	assert_int_equal(v & 0xffffffff, 1);
	assert_int_equal(cfg_rd(&e->b, 2, 0, e->msix + 2, 2), 7);
}

/* The state dump's reading of a message (Intel SDM Vol. 3A §11.11; vectors 0-31, §6.2). */
static void test_msg_problem(void **state)
{
	(void)state;
	assert_null(pci_msi_msg_problem((struct msi_msg){ 0xfee00000, 0x41 }));
	assert_null(pci_msi_msg_problem((struct msi_msg){ 0xfee01000, 0x1ec }));	/* lowest prio */
	assert_non_null(strstr(pci_msi_msg_problem((struct msi_msg){ 0xfee00000, 0x0e }),
			       "below 16"));
	assert_non_null(strstr(pci_msi_msg_problem((struct msi_msg){ 0xfee00000, 0x1f }),
			       "exception"));
	assert_non_null(strstr(pci_msi_msg_problem((struct msi_msg){ 0xfee00000, 0x400 }),
			       "NMI"));
	assert_non_null(strstr(pci_msi_msg_problem((struct msi_msg){ 0xffffffff82358dc0ULL, 0x41 }),
			       "memory write"));
}

/* The dump: a line per unmasked, routed or pending vector, what its route carries, and a
 * warning for an exception vector; masked, idle ones are counted. */
static void test_msix_dump(void **state)
{
	struct env *e = *state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	cfg_wr(&e->b, 2, 0, e->msix + 2, 2, 0x8000);
	vec_program(e, 0, 0xfee00000, 0x26);
	tbl(e, 12, 0, 4, true, NULL);			/* unmask 0 */
	vec_program(e, 1, 0xfee00000, 0x0e);
	tbl(e, 16 + 12, 0, 4, true, NULL);		/* unmask 1: vector 14 */
	vec_program(e, 2, 0xfee00000, 0x27);
	assert_int_equal(pci_msi_notify(e->d, 2), 0);	/* masked: pending */
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	pci_msi_dump(e->d, f);
	fclose(f);
	assert_non_null(strstr(buf, "MSI-X enabled, 8 vector(s)"));
	assert_non_null(strstr(buf, "MSI-X vector 0: addr 0xfee00000 data 0x26 (vector 0x26, "
			       "dest 0); GSI"));
	assert_non_null(strstr(buf, "carries addr 0xfee00000 data 0x26, eventfd bound\n"));
	assert_non_null(strstr(buf, "vector 1: addr 0xfee00000 data 0xe"));
	assert_non_null(strstr(buf, "WARNING: vector below 16"));
	assert_non_null(strstr(buf, "vector 2: addr 0xfee00000 data 0x27 (vector 0x27, dest 0) "
			       "masked pending; no route\n"));
	assert_non_null(strstr(buf, "5 more vector(s) masked"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_msi_cap_layout, setup, teardown),
		cmocka_unit_test(test_msi_init_rejects),
		cmocka_unit_test_setup_teardown(test_msi_32bit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msi_enable_routes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msi_mask_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msix_cap, setup, teardown),
		cmocka_unit_test(test_msix_init_rejects),
		cmocka_unit_test_setup_teardown(test_msix_table_access, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msix_mask_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msix_route_update_and_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msi_gates_intx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_irq_changed_hook, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_releases, setup, teardown),
		cmocka_unit_test(test_msg_problem),
		cmocka_unit_test_setup_teardown(test_msix_dump, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
