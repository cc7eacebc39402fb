/* test_virtio_pci.c - unit tests of the virtio-pci modern transport (src/virtio/virtio_pci.c,
 * virtio 1.2 §4.1) with virtio-rng (§5.4) on it, on the fake PCI host: capabilities, feature
 * negotiation, status and reset, a request served through a queue, INTx with the ISR, MSI-X
 * vector checks, and a driver that breaks the rules getting DEVICE_NEEDS_RESET. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>
#include "test_virtio_fake.h"
#include "virtio/rng.h"

#define RAM	(1u << 20)
#define DESC	0x1000u
#define AVAIL	0x2000u
#define USED	0x3000u
#define BUF	0x10000u
#define SLOT	1	/* slot 0 is the host bridge's */

static struct fake f;
static struct pci_bus bus;
static struct vm vm;
static uint8_t *ram;
static struct pci_dev *d;

static int setup(void **state)
{
	struct pci_host_ops o;
	struct err err = { 0 };

	(void)state;
	if (virtio_fake_ram(&vm, &ram, RAM))
		return -1;
	fake_ops(&f, &o);
	if (virtio_fake_bus(&bus, &o))
		return -1;
	if (virtio_rng_create(&vm, &bus, "", &err)) {
		print_error("virtio_rng_create: %s\n", err.msg);
		return -1;
	}
	d = virtio_fake_function(&bus, SLOT);
	return d ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	pci_bus_destroy(&bus);
	free(ram);
	return 0;
}

static uint32_t rd(unsigned off, unsigned len) { return virtio_fake_rd(d, off, len); }
static void wr(unsigned off, unsigned len, uint32_t v) { virtio_fake_wr(d, off, len, v); }

/* The vendor capability of @type: its config offset, or 0. */
static unsigned find_cap(uint8_t type)
{
	for (unsigned c = cfg_rd(&bus, SLOT, 0, PCI_CAP_PTR, 1); c; c = cfg_rd(&bus, SLOT, 0, c + 1, 1))
		if (cfg_rd(&bus, SLOT, 0, c, 1) == 0x09 && cfg_rd(&bus, SLOT, 0, c + 3, 1) == type)
			return c;
	return 0;
}

static void test_identity_caps(void **state)
{
	static const struct { uint8_t type; uint32_t off, len; } want[] = {
		{ 1, VIRTIO_COMMON_OFF, VIRTIO_COMMON_LEN }, { 2, VIRTIO_NOTIFY_OFF, 4 },
		{ 3, VIRTIO_ISR_OFF, 1 },
	};

	(void)state;
	assert_int_equal(cfg_rd(&bus, SLOT, 0, 0, 4), 0x10441af4);	/* §4.1.2.1: 0x1040 + 4 */
	assert_true(cfg_rd(&bus, SLOT, 0, PCI_REVISION, 1) >= 1);
	assert_int_equal(cfg_rd(&bus, SLOT, 0, PCI_SUBSYS_ID, 2), 4);
	for (unsigned i = 0; i < 3; i++) {
		unsigned c = find_cap(want[i].type);

		assert_true(c >= 0x40);
		assert_int_equal(cfg_rd(&bus, SLOT, 0, c + 4, 1), VIRTIO_BAR);
		assert_int_equal(cfg_rd(&bus, SLOT, 0, c + 8, 4), want[i].off);
		assert_int_equal(cfg_rd(&bus, SLOT, 0, c + 12, 4), want[i].len);
	}
	assert_int_equal(cfg_rd(&bus, SLOT, 0, find_cap(2) + 2, 1), 20);	/* cap_len with multiplier */
	assert_int_equal(cfg_rd(&bus, SLOT, 0, find_cap(2) + 16, 4), VIRTIO_NOTIFY_MULT);
	assert_int_equal(find_cap(4), 0);		/* virtio-rng has no device configuration */
	assert_true(find_cap(5) != 0);			/* §4.1.4.9: PCI configuration access */
	assert_int_equal(pci_bar_addr(d, VIRTIO_BAR) >> 32, 2);	/* 64-bit BAR, above 4 GiB */
	assert_int_equal(d->msix.nvec, 2);		/* the queue's and the configuration's */
}

static void negotiate(uint32_t hi)
{
	wr(0x14, 1, VIRTIO_S_ACKNOWLEDGE);
	wr(0x14, 1, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
	wr(0x08, 4, 1);
	wr(0x0c, 4, hi);
	wr(0x14, 1, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK);
}

static void test_features(void **state)
{
	(void)state;
	wr(0x00, 4, 1);
	assert_int_equal(rd(0x04, 4) & 1, 1);		/* VIRTIO_F_VERSION_1, bit 32 */
	wr(0x00, 4, 0);
	assert_int_equal(rd(0x04, 4) >> 28 & 3, 3);	/* INDIRECT_DESC, EVENT_IDX */
	negotiate(0);					/* a legacy driver: no VERSION_1 */
	assert_int_equal(rd(0x14, 1) & VIRTIO_S_FEATURES_OK, 0);
	wr(0x14, 1, 0);					/* reset */
	assert_int_equal(rd(0x14, 1), 0);
	negotiate(1 | 1u << 7);				/* a bit never offered */
	assert_int_equal(rd(0x14, 1) & VIRTIO_S_FEATURES_OK, 0);
	wr(0x14, 1, 0);
	negotiate(1);
	assert_int_equal(rd(0x14, 1) & VIRTIO_S_FEATURES_OK, VIRTIO_S_FEATURES_OK);
	wr(0x0c, 4, 0);					/* after FEATURES_OK: ignored */
	assert_int_equal(rd(0x0c, 4), 1);
	/* A full 64-bit field is read as two halves; wrong widths read 0. */
	assert_int_equal(rd(0x12, 2), 1);		/* num_queues */
	assert_int_equal(rd(0x12, 4), 0);
}

static void setup_queue(uint16_t size, uint64_t desc)
{
	negotiate(1);
	wr(0x16, 2, 0);
	assert_int_equal(rd(0x18, 2), 256);		/* the device's maximum, to start */
	wr(0x18, 2, size);
	wr(0x20, 4, (uint32_t)desc);
	wr(0x24, 4, desc >> 32);
	wr(0x28, 4, AVAIL);
	wr(0x30, 4, USED);
	wr(0x1c, 2, 1);
}

static void offer(uint16_t head)
{
	uint16_t idx;

	memcpy(&idx, ram + AVAIL + 2, 2);
	memcpy(ram + AVAIL + 4 + 2 * (idx % 8), &head, 2);
	idx++;
	memcpy(ram + AVAIL + 2, &idx, 2);
}

static void desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	virtio_fake_desc(ram + DESC + 16 * i, addr, len, flags, next);
}

static void test_request(void **state)
{
	uint16_t used_idx;
	uint32_t id, len;
	unsigned pin;
	int nonzero = 0;

	(void)state;
	setup_queue(8, DESC);
	assert_int_equal(rd(0x1c, 2), 1);
	wr(0x14, 1, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK |
	   VIRTIO_S_DRIVER_OK);
	desc(2, BUF, 64, VIRTQ_DESC_F_WRITE, 0);
	offer(2);
	wr(VIRTIO_NOTIFY_OFF, 2, 0);			/* the trapped path of the notification */
	memcpy(&used_idx, ram + USED + 2, 2);
	memcpy(&id, ram + USED + 4, 4);
	memcpy(&len, ram + USED + 8, 4);
	assert_int_equal(used_idx, 1);
	assert_int_equal(id, 2);
	assert_int_equal(len, 64);
	for (int i = 0; i < 64; i++)
		nonzero += ram[BUF + i] != 0;
	assert_true(nonzero > 32);
	/* No MSI-X: INTx with ISR bit 0; reading the ISR clears both (§4.1.4.5). */
	pin = pci_intx_route(SLOT, 0);
	assert_int_equal(f.intx[pin], 1);
	assert_int_equal(rd(VIRTIO_ISR_OFF, 1), 1);
	assert_int_equal(f.intx[pin], 0);
	assert_int_equal(rd(VIRTIO_ISR_OFF, 1), 0);
	/* Reset: queue off, status 0, the ring left alone. */
	wr(0x14, 1, 0);
	assert_int_equal(rd(0x14, 1), 0);
	assert_int_equal(rd(0x1c, 2), 0);
	assert_int_equal(rd(0x18, 2), 256);
}

static void test_vectors(void **state)
{
	(void)state;
	assert_int_equal(rd(0x10, 2), VIRTIO_NO_VECTOR);
	wr(0x10, 2, 1);
	assert_int_equal(rd(0x10, 2), 1);
	wr(0x10, 2, 2);					/* only vectors 0 and 1 exist */
	assert_int_equal(rd(0x10, 2), VIRTIO_NO_VECTOR);
	wr(0x1a, 2, 0);
	assert_int_equal(rd(0x1a, 2), 0);
	wr(0x1a, 2, 7);
	assert_int_equal(rd(0x1a, 2), VIRTIO_NO_VECTOR);
	wr(0x16, 2, 3);					/* a queue that does not exist */
	assert_int_equal(rd(0x18, 2), 0);
	assert_int_equal(rd(0x1a, 2), VIRTIO_NO_VECTOR);
	wr(0x1c, 2, 1);					/* enabling it does nothing */
	assert_int_equal(rd(0x1c, 2), 0);
}

static void test_bad_queue(void **state)
{
	(void)state;
	setup_queue(8, 0x40000000);			/* descriptors beyond 1 MiB of RAM */
	assert_int_equal(rd(0x1c, 2), 0);
	assert_int_equal(rd(0x14, 1) & VIRTIO_S_NEEDS_RESET, VIRTIO_S_NEEDS_RESET);
	wr(0x14, 1, 0);
	assert_int_equal(rd(0x14, 1), 0);
	setup_queue(6, DESC);				/* not a power of 2 */
	assert_int_equal(rd(0x14, 1) & VIRTIO_S_NEEDS_RESET, VIRTIO_S_NEEDS_RESET);
}

static void test_bad_chain(void **state)
{
	uint16_t used_idx;

	(void)state;
	setup_queue(8, DESC);
	wr(0x14, 1, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK |
	   VIRTIO_S_DRIVER_OK);
	desc(0, BUF, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	desc(1, BUF, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0);	/* a loop */
	offer(0);
	wr(VIRTIO_NOTIFY_OFF, 2, 0);
	assert_int_equal(rd(0x14, 1) & VIRTIO_S_NEEDS_RESET, VIRTIO_S_NEEDS_RESET);
	memcpy(&used_idx, ram + USED + 2, 2);
	assert_int_equal(used_idx, 0);
	/* Further notifications do nothing until the reset; the config change was signalled. */
	assert_int_equal(rd(VIRTIO_ISR_OFF, 1), 2);
	wr(VIRTIO_NOTIFY_OFF, 2, 0);
	wr(0x14, 1, 0);
	assert_int_equal(rd(0x14, 1), 0);
}

/* §4.1.4.9: the driver reads the common configuration through config space alone. */
static void test_pci_cfg_window(void **state)
{
	unsigned c = find_cap(5);

	(void)state;
	cfg_wr(&bus, SLOT, 0, c + 4, 1, VIRTIO_BAR);
	cfg_wr(&bus, SLOT, 0, c + 8, 4, 0x12);		/* num_queues */
	cfg_wr(&bus, SLOT, 0, c + 12, 4, 2);
	assert_int_equal(cfg_rd(&bus, SLOT, 0, c + 16, 2), 1);
	cfg_wr(&bus, SLOT, 0, c + 8, 4, 0x16);		/* queue_select, written through it */
	cfg_wr(&bus, SLOT, 0, c + 16, 4, 3);
	assert_int_equal(rd(0x16, 2), 3);
	cfg_wr(&bus, SLOT, 0, c + 12, 4, 3);		/* a length that is not 1, 2 or 4 */
	assert_int_equal(cfg_rd(&bus, SLOT, 0, c + 16, 4), 3);	/* just the register's bytes */
}

static void test_bad_opts(void **state)
{
	struct err err = { 0 };

	(void)state;
	assert_int_equal(virtio_rng_create(&vm, &bus, "speed=9", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "unknown option 'speed=9'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identity_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_features, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vectors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pci_cfg_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_opts, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
