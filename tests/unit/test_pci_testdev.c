/* test_pci_testdev.c - the PCI test device (docs/pci.md, src/pci/testdev.h) and the --device
 * table: options, registers through both register BARs, DMA bounds, doorbells on the device
 * thread, interrupts, and reset. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>
#include "test_pci_fake.h"
#include "pci/devices.h"
#include "pci/testdev.h"

struct env {
	struct fake f;
	struct pci_bus b;
	struct pci_dev *d;
	pthread_mutex_t lock;
	struct pci_iothread *iot;
};

static struct env *cur;

static int watch(void *o, int fd, void (*cb)(void *, uint64_t), void *arg)
{
	(void)o;
	return pci_iothread_watch(cur->iot, fd, cb, arg);
}

static void unwatch(void *o, int fd)
{
	(void)o;
	pci_iothread_unwatch(cur->iot, fd);
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct pci_host_ops o;
	struct err err;

	memset(&err, 0, sizeof(err));

	cur = e;
	fake_ops(&e->f, &o);
	pthread_mutex_init(&e->lock, NULL);
	e->iot = pci_iothread_new(&e->lock);
	assert_non_null(e->iot);
	assert_int_equal(pci_iothread_start(e->iot, NULL), 0);
	o.watch_fd = watch;
	o.unwatch_fd = unwatch;
	pci_bus_init(&e->b, &o, 0x200000000ULL);
	assert_int_equal(pci_host_bridge_create(&e->b), 0);
	assert_int_equal(pci_device_create(NULL, &e->b, "testdev", &err), 0);
	e->d = e->b.devs[1][0];
	assert_non_null(e->d);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	pci_iothread_free(e->iot);
	e->b.ops.watch_fd = NULL;
	e->b.ops.unwatch_fd = NULL;
	pci_bus_destroy(&e->b);
	pthread_mutex_destroy(&e->lock);
	free(e);
	return 0;
}

static void enable(struct env *e)
{
	cfg_wr(&e->b, 1, 0, PCI_COMMAND, 2, PCI_CMD_IO | PCI_CMD_MEM | PCI_CMD_MASTER);
}

static uint32_t rd(struct env *e, int bar, uint32_t off)
{
	struct pci_bar *b = &e->d->bars[bar];
	uint32_t v = 0;

	pci_bar_io(b, off, &v, 4, false);
	return v;
}

static void wr(struct env *e, int bar, uint32_t off, uint32_t v)
{
	pci_bar_io(&e->d->bars[bar], off, &v, 4, true);
}

static void test_device_table(void **state)
{
	struct env *e = *state;
	struct err err;

	memset(&err, 0, sizeof(err));

	assert_int_equal(pci_device_create(NULL, &e->b, "nvme", &err), -EINVAL);
	assert_int_equal(err.usage, 1);
	assert_non_null(strstr(err.msg, "unknown device type 'nvme'"));
	assert_non_null(strstr(err.msg, "testdev"));
	const char *bad[] = {
		"testdev,vectors=0", "testdev,vectors=129", "testdev,vectors=", "testdev,vectors=8x",
		"testdev,ram=3K", "testdev,ram=0", "testdev,ram=2G", "testdev,foo=1", "testdev,",
		"testdevx", "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		int r = pci_device_create(NULL, &e->b, bad[i], &err);

		if (!strcmp(bad[i], "testdev,"))	/* empty option list is fine */
			assert_int_equal(r, 0);
		else {
			assert_int_equal(r, -EINVAL);
			assert_int_equal(err.usage, 1);
		}
	}
	assert_int_equal(pci_device_create(NULL, &e->b, "testdev,vectors=128,ram=64K", &err), 0);
	struct pci_dev *d = e->b.devs[3][0];

	assert_non_null(d);
	assert_int_equal(d->msix.nvec, 128);
	assert_int_equal(d->bars[TESTDEV_BAR_RAM].size, 65536);
}

static void test_config_header(void **state)
{
	struct env *e = *state;

	assert_int_equal(cfg_rd(&e->b, 1, 0, 0, 4), TESTDEV_ID_VALUE);
	assert_int_equal(cfg_rd(&e->b, 1, 0, 8, 4), TESTDEV_CLASS_REV);
	assert_int_equal(cfg_rd(&e->b, 1, 0, PCI_SUBSYS_VENDOR, 4), 0x00011234);
	assert_int_equal(cfg_rd(&e->b, 1, 0, PCI_INT_PIN, 1), 1);
	assert_int_equal(cfg_rd(&e->b, 1, 0, PCI_INT_LINE, 1), pci_intx_route(1, 0));
	assert_int_equal(cfg_rd(&e->b, 1, 0, PCI_STATUS, 2) & PCI_STS_CAP_LIST, PCI_STS_CAP_LIST);
	assert_int_not_equal(pci_cap_find(e->d, PCI_CAP_ID_MSI), 0);
	assert_int_not_equal(pci_cap_find(e->d, PCI_CAP_ID_MSIX), 0);
	/* Types of the BARs as the guest sees them. */
	assert_int_equal(cfg_rd(&e->b, 1, 0, 0x10, 4) & 3, 1);
	assert_int_equal(cfg_rd(&e->b, 1, 0, 0x14, 4) & 15, 0);
	assert_int_equal(cfg_rd(&e->b, 1, 0, 0x18, 4) & 15, 0xc);
	assert_int_equal(cfg_rd(&e->b, 1, 0, 0x20, 4) & 15, 0);
	/* The 64-bit prefetchable RAM BAR starts in the 64-bit window. */
	assert_int_equal(pci_bar_addr(e->d, TESTDEV_BAR_RAM), 0x200000000ULL);
	/* ROM: 55 AA through the ROM BAR once enabled. */
	cfg_wr(&e->b, 1, 0, PCI_ROM, 4, 0xd0000001);
	enable(e);
	struct fake_map *m = fake_find(&e->f, true, 0xd0000000);
	uint32_t v = 0;

	assert_non_null(m);
	m->fn(m->arg, 0, &v, 4, false);
	assert_int_equal(v & 0xffffff, 0x04aa55);
}

static void test_registers(void **state)
{
	struct env *e = *state;
	uint16_t w = 0;

	enable(e);
	for (int bar = TESTDEV_BAR_IO; bar <= TESTDEV_BAR_REGS; bar++) {
		assert_int_equal(rd(e, bar, TESTDEV_ID), TESTDEV_ID_VALUE);
		assert_int_equal(rd(e, bar, TESTDEV_VERSION), TESTDEV_VERSION_VALUE);
		wr(e, bar, TESTDEV_SCRATCH, 0x1000 + bar);
		assert_int_equal(rd(e, !bar, TESTDEV_SCRATCH), 0x1000 + bar);
		wr(e, bar, TESTDEV_ID, 0);
		assert_int_equal(rd(e, bar, TESTDEV_ID), TESTDEV_ID_VALUE);
	}
	/* Non-DWORD and misaligned: all-ones, writes dropped. */
	pci_bar_io(&e->d->bars[TESTDEV_BAR_REGS], TESTDEV_ID, &w, 2, false);
	assert_int_equal(w, 0xffff);
	wr(e, TESTDEV_BAR_REGS, TESTDEV_SCRATCH + 1, 5);
	assert_int_equal(rd(e, TESTDEV_BAR_REGS, TESTDEV_SCRATCH), 0x1001);
	assert_int_equal(rd(e, TESTDEV_BAR_REGS, TESTDEV_SCRATCH + 2), 0xffffffff);
	/* Unused registers read 0; past the I/O BAR's end: all-ones. */
	assert_int_equal(rd(e, TESTDEV_BAR_REGS, 0x800), 0);
	assert_int_equal(rd(e, TESTDEV_BAR_IO, 0xffc), 0xffffffff);
	/* The MSI-X BAR outside table/PBA: zeros. */
	assert_int_equal(rd(e, TESTDEV_BAR_MSIX, 0xf00), 0);
}

static void put_ram(struct env *e, uint64_t gpa, const void *p, size_t n)
{
	memcpy(e->f.ram + gpa - 0x10000, p, n);
}

static uint32_t dma(struct env *e, uint64_t src, uint64_t dst, uint32_t len, uint32_t cmd)
{
	wr(e, 1, TESTDEV_DMA_SRC_LO, (uint32_t)src);
	wr(e, 1, TESTDEV_DMA_SRC_HI, src >> 32);
	wr(e, 1, TESTDEV_DMA_DST_LO, (uint32_t)dst);
	wr(e, 1, TESTDEV_DMA_DST_HI, dst >> 32);
	wr(e, 1, TESTDEV_DMA_LEN, len);
	wr(e, 1, TESTDEV_DMA_CMD, TESTDEV_DMA_START | cmd);
	return rd(e, 1, TESTDEV_DMA_STATUS);
}

#define DMA_ERR(code) (TESTDEV_DMA_DONE | TESTDEV_DMA_ERROR | (code) << 8)

static void test_dma(void **state)
{
	struct env *e = *state;
	uint8_t *bar = e->d->bars[TESTDEV_BAR_RAM].ram;
	char msg[] = "through the device and back";

	enable(e);
	put_ram(e, 0x11000, msg, sizeof(msg));
	assert_int_equal(dma(e, 0x11000, 0x100, sizeof(msg), 0), TESTDEV_DMA_DONE);
	assert_memory_equal(bar + 0x100, msg, sizeof(msg));
	assert_int_equal(dma(e, 0x100, 0x18000, sizeof(msg), TESTDEV_DMA_FROM_DEV),
			 TESTDEV_DMA_DONE);
	assert_memory_equal(e->f.ram + 0x8000, msg, sizeof(msg));
	assert_int_equal(rd(e, 1, TESTDEV_DMA_COUNT), 2);
	/* Guest address outside RAM, or wrapping: error, nothing copied. */
	assert_int_equal(dma(e, 0xfffffffffffff000ULL, 0, 0x2000, 0), DMA_ERR(TESTDEV_DMA_E_FAULT));
	assert_int_equal(dma(e, 0x1f000, 0, 0x2000, 0), DMA_ERR(TESTDEV_DMA_E_FAULT));
	assert_int_equal(dma(e, 0, 0x0, 16, TESTDEV_DMA_FROM_DEV), DMA_ERR(TESTDEV_DMA_E_FAULT));
	/* Device side outside the RAM BAR, zero or huge length. */
	assert_int_equal(dma(e, 0x11000, (1 << 20) - 8, 16, 0), DMA_ERR(TESTDEV_DMA_E_RANGE));
	assert_int_equal(dma(e, 0x11000, 1ULL << 40, 16, 0), DMA_ERR(TESTDEV_DMA_E_RANGE));
	assert_int_equal(dma(e, 0x11000, 0, 0, 0), DMA_ERR(TESTDEV_DMA_E_RANGE));
	assert_int_equal(dma(e, 0x11000, 0, 0xffffffff, 0), DMA_ERR(TESTDEV_DMA_E_RANGE));
	/* No Bus Master: refused. */
	cfg_wr(&e->b, 1, 0, PCI_COMMAND, 2, PCI_CMD_MEM);
	assert_int_equal(dma(e, 0x11000, 0, 16, 0), DMA_ERR(TESTDEV_DMA_E_MASTER));
	assert_int_equal(rd(e, 1, TESTDEV_DMA_COUNT), 2);
	/* CMD without START does nothing. */
	enable(e);
	wr(e, 1, TESTDEV_DMA_CMD, 0);
	assert_int_equal(rd(e, 1, TESTDEV_DMA_STATUS), DMA_ERR(TESTDEV_DMA_E_MASTER));
}

static void test_interrupts(void **state)
{
	struct env *e = *state;
	unsigned pin = pci_intx_route(1, 0), msix = pci_cap_find(e->d, PCI_CAP_ID_MSIX);
	uint64_t n;

	enable(e);
	/* INTx: level follows the register. */
	wr(e, 1, TESTDEV_INTX, 1);
	assert_int_equal(e->f.intx[pin], 1);
	assert_int_equal(rd(e, 1, TESTDEV_INTX), 1);
	wr(e, 1, TESTDEV_INTX, 0);
	assert_int_equal(e->f.intx[pin], 0);
	/* No MSI/MSI-X enabled: the trigger falls back to INTx. */
	wr(e, 1, TESTDEV_MSI, 0);
	assert_int_equal(e->f.intx[pin], 1);
	wr(e, 1, TESTDEV_INTX, 0);
	/* MSI-X vector 5 through the table in BAR4, delivered through its irqfd. */
	cfg_wr(&e->b, 1, 0, msix + 2, 2, 0x8000);
	uint64_t a = 0xfee00000;
	uint32_t data = 0x55, ctl = 0;

	pci_bar_io(&e->d->bars[4], 5 * 16, &a, 8, true);
	pci_bar_io(&e->d->bars[4], 5 * 16 + 8, &data, 4, true);
	pci_bar_io(&e->d->bars[4], 5 * 16 + 12, &ctl, 4, true);
	wr(e, 1, TESTDEV_MSI, 5);
	assert_int_equal(rd(e, 1, TESTDEV_MSI), 0);
	int g = e->d->msix.vec[5].gsi;

	assert_true(g >= 24);
	assert_int_equal(e->f.route[g].data, 0x55);
	assert_int_equal(read(e->f.irqfd_of[g], &n, 8), 8);
	assert_int_equal(n, 1);
	/* Vector beyond the table: error reported in the register. */
	wr(e, 1, TESTDEV_MSI, 8);
	assert_int_equal(rd(e, 1, TESTDEV_MSI), EINVAL);
	assert_int_equal(rd(e, 1, TESTDEV_IRQ_COUNT), 3);
}

static void test_doorbell(void **state)
{
	struct env *e = *state;
	uint64_t one = 1;
	int fd = -1;

	/* BARs off: no ioeventfd. */
	for (int i = 0; i < FAKE_MAX; i++)
		assert_false(e->f.ioev[i].live);
	enable(e);
	uint64_t regs = e->d->bars[1].mapped_addr, io = e->d->bars[0].mapped_addr;
	int found = 0;

	for (int i = 0; i < FAKE_MAX; i++) {
		struct fake_ioev *v = &e->f.ioev[i];

		if (!v->live)
			continue;
		found++;
		assert_int_equal(v->len, 4);
		assert_int_equal(v->datamatch, -1);
		if (!v->pio) {
			assert_int_equal(v->addr, regs + TESTDEV_DOORBELL);
			fd = v->fd;
		} else {
			assert_int_equal(v->addr, io + TESTDEV_DOORBELL);
		}
	}
	assert_int_equal(found, 2);
	/* KVM would signal the eventfd; the device thread counts under the lock. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(write(fd, &one, 8), 8);
	uint32_t rings = 0;

	for (int i = 0; i < 200 && rings < 3; i++) {
		pthread_mutex_lock(&e->lock);
		rings = rd(e, 1, TESTDEV_DOORBELL);
		pthread_mutex_unlock(&e->lock);
		if (rings < 3)
			poll(NULL, 0, 5);
	}
	assert_int_equal(rings, 3);
	/* DOORBELL_IRQ: the device thread fires the vector (here: no MSI on -> INTx). */
	wr(e, 1, TESTDEV_DOORBELL_IRQ, 1);
	assert_int_equal(rd(e, 1, TESTDEV_DOORBELL_IRQ), 1);
	assert_int_equal(write(fd, &one, 8), 8);
	unsigned pin = pci_intx_route(1, 0);
	int level = 0;

	for (int i = 0; i < 200 && !level; i++) {
		pthread_mutex_lock(&e->lock);
		level = e->f.intx[pin];
		pthread_mutex_unlock(&e->lock);
		if (!level)
			poll(NULL, 0, 5);
	}
	assert_int_equal(level, 1);
	pthread_mutex_lock(&e->lock);
	wr(e, 1, TESTDEV_INTX, 0);
	wr(e, 1, TESTDEV_DOORBELL_IRQ, 0);
	rings = rd(e, 1, TESTDEV_DOORBELL);
	pthread_mutex_unlock(&e->lock);
	assert_int_equal(rings, 4);
	/* Without the ioeventfd the write reaches the register and still counts. */
	wr(e, 1, TESTDEV_DOORBELL, 1);
	assert_int_equal(rd(e, 1, TESTDEV_DOORBELL), 5);
	/* Moving the BAR moves the ioeventfd. */
	cfg_wr(&e->b, 1, 0, 0x14, 4, 0xd0000000);
	found = 0;
	for (int i = 0; i < FAKE_MAX; i++)
		if (e->f.ioev[i].live && !e->f.ioev[i].pio) {
			assert_int_equal(e->f.ioev[i].addr, 0xd0000000 + TESTDEV_DOORBELL);
			found++;
		}
	assert_int_equal(found, 1);
	cfg_wr(&e->b, 1, 0, PCI_COMMAND, 2, 0);
	for (int i = 0; i < FAKE_MAX; i++)
		assert_false(e->f.ioev[i].live);
}

static uint64_t api_rings;

static void api_ring(struct pci_dev *d, uint64_t count)
{
	(void)d;
	api_rings += count;
}

static void test_doorbell_api(void **state)
{
	struct env *e = *state;
	struct pci_dev *d = pci_dev_new(1, 2, 0, NULL, NULL);
	static uint8_t ram[4096];
	int live = 0;

	assert_int_equal(pci_dev_attach(&e->b, d, 5, 0), 0);
	assert_int_equal(pci_bar_init(d, 0, PCI_BAR_IO, 16, NULL), 0);
	assert_int_equal(pci_bar_init(d, 1, 0, 4096, ram), 0);
	/* Bad BAR, RAM BAR (no exit to catch), outside the BAR, bad length, no callback. */
	assert_int_equal(pci_doorbell_add(d, 2, 0, 4, -1, api_ring), -EINVAL);
	assert_int_equal(pci_doorbell_add(d, 1, 0, 4, -1, api_ring), -EINVAL);
	assert_int_equal(pci_doorbell_add(d, 0, 14, 4, -1, api_ring), -EINVAL);
	assert_int_equal(pci_doorbell_add(d, 0, 16, 1, -1, api_ring), -EINVAL);
	assert_int_equal(pci_doorbell_add(d, 0, 0, 3, -1, api_ring), -EINVAL);
	assert_int_equal(pci_doorbell_add(d, 0, 0, 4, -1, NULL), -EINVAL);
	/* Port doorbell with a data match. */
	assert_int_equal(pci_doorbell_add(d, 0, 8, 2, 0x5, api_ring), 0);
	cfg_wr(&e->b, 5, 0, 0x10, 4, 0xe000);
	cfg_wr(&e->b, 5, 0, PCI_COMMAND, 2, PCI_CMD_IO);
	for (int i = 0; i < FAKE_MAX; i++) {
		struct fake_ioev *v = &e->f.ioev[i];

		if (!v->live)
			continue;
		live++;
		assert_true(v->pio);
		assert_int_equal(v->addr, 0xe008);
		assert_int_equal(v->len, 2);
		assert_int_equal(v->datamatch, 5);
	}
	assert_int_equal(live, 1);
	/* ioeventfd refused (old kernel): the doorbell stays unassigned, writes exit instead. */
	cfg_wr(&e->b, 5, 0, PCI_COMMAND, 2, 0);
	e->f.ioev_fail = 1;
	cfg_wr(&e->b, 5, 0, PCI_COMMAND, 2, PCI_CMD_IO);
	assert_false(d->doorbells[0].assigned);
	assert_true(d->bars[0].mapped);
	/* Limit per device. */
	for (int i = 1; i < PCI_MAX_DOORBELLS; i++)
		assert_int_equal(pci_doorbell_add(d, 0, 0, 1, i, api_ring), 0);
	assert_int_equal(pci_doorbell_add(d, 0, 0, 1, 9, api_ring), -EINVAL);
}

static void test_reset(void **state)
{
	struct env *e = *state;

	enable(e);
	wr(e, 1, TESTDEV_SCRATCH, 7);
	wr(e, 1, TESTDEV_INTX, 1);
	pci_bus_reset(&e->b);
	assert_int_equal(rd(e, 1, TESTDEV_SCRATCH), 0);
	assert_int_equal(rd(e, 1, TESTDEV_INTX), 0);
	assert_int_equal(e->f.intx[pci_intx_route(1, 0)], 0);
	assert_int_equal(cfg_rd(&e->b, 1, 0, PCI_COMMAND, 2), 0);
	assert_int_equal(fake_nmaps(&e->f), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_device_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dma, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interrupts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_doorbell, setup, teardown),
		cmocka_unit_test_setup_teardown(test_doorbell_api, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
