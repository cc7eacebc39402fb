/* test_virtio_net.c - unit tests of virtio-net (src/virtio/net.c, virtio 1.2 §5.1) on the
 * fake PCI host with a fake packet back end: configuration, feature dependencies, the header
 * checks, receive with and without mergeable buffers, transmit, the control queue and the
 * chains a broken driver offers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>
#include "test_virtio_fake.h"
#include "virtio/net.h"

#define RAM	(1u << 20)
#define QBASE(q) (0x1000u + 0x4000u * (q))	/* descriptors; +0x1000 avail, +0x2000 used */
#define QSIZE	16
#define BUF	0x20000u
#define SLOT	1

static const uint8_t MAC[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

/* The fake back end: frames queued for recv, the last frame sent. */
struct fake_be {
	uint8_t in[32][2048];
	size_t in_len[32];
	unsigned nin, next;
	uint8_t out[4096];
	size_t out_len;
	unsigned sent;
	uint64_t offload;
	int offload_calls;
	bool waiting;
	int destroyed;
};

static struct fake f;
static struct pci_bus bus;
static struct vm vm;
static uint8_t *ram;
static struct pci_dev *d;
static struct virtio_net *net;
static struct fake_be be;

static ssize_t be_recv(void *p, void *buf, size_t len)
{
	struct fake_be *b = p;

	if (b->next == b->nin)
		return -EAGAIN;
	if (b->in_len[b->next] > len)
		return -EMSGSIZE;
	memcpy(buf, b->in[b->next], b->in_len[b->next]);
	return b->in_len[b->next++];
}

static ssize_t be_send(void *p, const struct iovec *iov, int n)
{
	struct fake_be *b = p;

	b->out_len = 0;
	for (int i = 0; i < n; i++) {
		memcpy(b->out + b->out_len, iov[i].iov_base, iov[i].iov_len);
		b->out_len += iov[i].iov_len;
	}
	b->sent++;
	return b->out_len;
}

static int be_offload(void *p, uint64_t features)
{
	struct fake_be *b = p;

	b->offload = features;
	b->offload_calls++;
	return 0;
}

static void be_wait(void *p, bool on)
{
	((struct fake_be *)p)->waiting = on;
}

static void be_destroy(void *p)
{
	((struct fake_be *)p)->destroyed++;
}

static const struct vnet_backend_ops be_ops = {
	.recv = be_recv, .send = be_send, .set_offload = be_offload, .rx_wait = be_wait,
	.destroy = be_destroy,
};

static int setup(void **state)
{
	struct pci_host_ops o;

	(void)state;
	if (virtio_fake_ram(&vm, &ram, RAM))
		return -1;
	memset(&be, 0, sizeof(be));
	fake_ops(&f, &o);
	if (virtio_fake_bus(&bus, &o) ||
	    virtio_net_create(&bus, &vm.mem, MAC, &be_ops, &be, NULL, &net))
		return -1;
	d = virtio_fake_function(&bus, SLOT);
	return d ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	pci_bus_destroy(&bus);
	assert_int_equal(be.destroyed, 1);
	free(ram);
	return 0;
}

static uint32_t rd(unsigned off, unsigned len) { return virtio_fake_rd(d, off, len); }
static void wr(unsigned off, unsigned len, uint32_t v) { virtio_fake_wr(d, off, len, v); }

#define S_ALL (VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK)

/* Negotiates @feat (device bits) + VERSION_1; the status afterwards. */
static uint8_t negotiate(uint32_t feat)
{
	return virtio_fake_negotiate(d, feat | 1ull << 32);
}

static void queue_on(unsigned q)
{
	virtio_fake_queue(d, q, QSIZE, QBASE(q), QBASE(q) + 0x1000, QBASE(q) + 0x2000, -1);
}

/* Features, all three queues, DRIVER_OK. */
static void start(uint32_t feat)
{
	assert_int_equal(negotiate(feat) & VIRTIO_S_FEATURES_OK, VIRTIO_S_FEATURES_OK);
	for (unsigned q = 0; q < 3; q++) {
		memset(ram + QBASE(q) + 0x1000, 0, 0x2000);	/* rings from an earlier run */
		queue_on(q);
	}
	wr(0x14, 1, S_ALL | VIRTIO_S_DRIVER_OK);
}

static void desc(unsigned q, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		 uint16_t next)
{
	virtio_fake_desc(ram + QBASE(q) + 16 * i, addr, len, flags, next);
}

static void offer(unsigned q, uint16_t head)
{
	uint8_t *avail = ram + QBASE(q) + 0x1000;
	uint16_t idx;

	memcpy(&idx, avail + 2, 2);
	memcpy(avail + 4 + 2 * (idx % QSIZE), &head, 2);
	idx++;
	memcpy(avail + 2, &idx, 2);
}

static void kick(unsigned q)
{
	wr(VIRTIO_NOTIFY_OFF + VIRTIO_NOTIFY_MULT * q, 2, q);
}

static uint16_t used_idx(unsigned q)
{
	uint16_t v;

	memcpy(&v, ram + QBASE(q) + 0x2000 + 2, 2);
	return v;
}

static void used(unsigned q, unsigned i, uint32_t *id, uint32_t *len)
{
	memcpy(id, ram + QBASE(q) + 0x2000 + 4 + 8 * i, 4);
	memcpy(len, ram + QBASE(q) + 0x2000 + 8 + 8 * i, 4);
}

/* A frame for the back end to deliver: header, destination @dst, @len bytes in all. */
static void frame_in(const uint8_t *dst, size_t len, uint8_t fill)
{
	uint8_t *p = be.in[be.nin];

	memset(p, 0, VNET_HDR_LEN);
	memcpy(p + VNET_HDR_LEN, dst, 6);
	memset(p + VNET_HDR_LEN + 6, fill, len - VNET_HDR_LEN - 6);
	be.in_len[be.nin++] = len;
}

#define BIT(x) (1u << VIRTIO_NET_F_##x)

static void test_config_features(void **state)
{
	(void)state;
	assert_int_equal(cfg_rd(&bus, SLOT, 0, 0, 4), 0x10411af4);	/* §4.1.2.1: 0x1040 + 1 */
	assert_int_equal(cfg_rd(&bus, SLOT, 0, PCI_CLASS_DEVICE, 2), 0x0200);
	assert_int_equal(d->msix.nvec, 4);
	assert_int_equal(rd(0x12, 2), 3);
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(rd(VIRTIO_DEVCFG_OFF + i, 1), MAC[i]);
	assert_int_equal(rd(VIRTIO_DEVCFG_OFF + VNET_CFG_STATUS, 2), VIRTIO_NET_S_LINK_UP);
	assert_int_equal(rd(VIRTIO_DEVCFG_OFF + VNET_CFG_MAX_PAIRS, 2), 1);
	assert_int_equal(rd(VIRTIO_DEVCFG_OFF + VNET_CFG_LEN, 1), 0);	/* past the end */
	wr(0x00, 4, 0);
	assert_int_equal(rd(0x04, 4) & 0xffffff, BIT(CSUM) | BIT(GUEST_CSUM) | BIT(MAC) |
			 BIT(GUEST_TSO4) | BIT(GUEST_TSO6) | BIT(HOST_TSO4) | BIT(HOST_TSO6) |
			 BIT(MRG_RXBUF) | BIT(STATUS) | BIT(CTRL_VQ) | BIT(CTRL_RX) |
			 BIT(CTRL_MAC_ADDR));
	/* §5.1.3.1 dependencies: each violation keeps FEATURES_OK off. */
	assert_int_equal(negotiate(BIT(GUEST_TSO4)) & VIRTIO_S_FEATURES_OK, 0);
	wr(0x14, 1, 0);
	assert_int_equal(negotiate(BIT(HOST_TSO6)) & VIRTIO_S_FEATURES_OK, 0);
	wr(0x14, 1, 0);
	assert_int_equal(negotiate(BIT(CTRL_RX)) & VIRTIO_S_FEATURES_OK, 0);
	wr(0x14, 1, 0);
	assert_int_equal(be.offload_calls, 0);
	assert_int_equal(negotiate(BIT(GUEST_CSUM) | BIT(GUEST_TSO4)) & VIRTIO_S_FEATURES_OK,
			 VIRTIO_S_FEATURES_OK);
	assert_int_equal(be.offload_calls, 1);
	assert_int_equal(be.offload & 0xffffffff, BIT(GUEST_CSUM) | BIT(GUEST_TSO4));
}

static void test_hdr_checks(void **state)
{
	struct vnet_hdr h = { 0 };
	uint64_t all = (uint64_t)-1;

	(void)state;
	assert_int_equal(vnet_hdr_check_tx(&h, 0, 60), 0);
	h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h.csum_start = htole16(34);
	h.csum_offset = htole16(16);
	assert_int_equal(vnet_hdr_check_tx(&h, 0, 60), -EINVAL);		/* no CSUM */
	assert_int_equal(vnet_hdr_check_tx(&h, BIT(CSUM), 60), 0);
	assert_int_equal(vnet_hdr_check_tx(&h, BIT(CSUM), 51), -EINVAL);	/* past the frame */
	h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	h.gso_size = htole16(1448);
	assert_int_equal(vnet_hdr_check_tx(&h, BIT(CSUM), 60), -EINVAL);	/* no HOST_TSO4 */
	assert_int_equal(vnet_hdr_check_tx(&h, BIT(CSUM) | BIT(HOST_TSO4), 60), 0);
	h.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	assert_int_equal(vnet_hdr_check_tx(&h, BIT(CSUM) | BIT(HOST_TSO4), 60), -EINVAL);
	h.gso_type = VIRTIO_NET_HDR_GSO_UDP;
	assert_int_equal(vnet_hdr_check_tx(&h, all, 60), -EINVAL);		/* never offered */
	h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN;
	assert_int_equal(vnet_hdr_check_tx(&h, all, 60), -EINVAL);
	h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	h.gso_size = 0;
	assert_int_equal(vnet_hdr_check_tx(&h, all, 60), -EINVAL);		/* GSO, no size */
	h.flags = 0;
	h.gso_size = htole16(1448);
	assert_int_equal(vnet_hdr_check_tx(&h, all, 60), -EINVAL);		/* GSO, no csum */

	/* Receive: DATA_VALID is dropped without GUEST_CSUM, NEEDS_CSUM refused. */
	memset(&h, 0, sizeof(h));
	h.flags = VIRTIO_NET_HDR_F_DATA_VALID | 0x80;
	assert_int_equal(vnet_hdr_fix_rx(&h, 0), 0);
	assert_int_equal(h.flags, 0);
	h.flags = VIRTIO_NET_HDR_F_DATA_VALID | 0x80;
	assert_int_equal(vnet_hdr_fix_rx(&h, BIT(GUEST_CSUM)), 0);
	assert_int_equal(h.flags, VIRTIO_NET_HDR_F_DATA_VALID);
	h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	assert_int_equal(vnet_hdr_fix_rx(&h, 0), -EINVAL);
	h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	assert_int_equal(vnet_hdr_fix_rx(&h, BIT(GUEST_CSUM) | BIT(GUEST_TSO4)), -EINVAL);
	assert_int_equal(vnet_hdr_fix_rx(&h, BIT(GUEST_CSUM) | BIT(GUEST_TSO6)), 0);
}

static void test_rx_single(void **state)
{
	(void)state;
	start(BIT(MAC) | BIT(STATUS));
	assert_false(be.waiting);			/* no buffers yet */
	desc(0, 0, BUF, 64, VIRTQ_DESC_F_WRITE, 0);		/* too small for 112 bytes */
	desc(0, 1, BUF + 0x1000, 1526, VIRTQ_DESC_F_WRITE, 0);
	offer(0, 0);
	kick(0);
	assert_true(be.waiting);
	frame_in(MAC, 112, 0xab);
	vnet_rx(net);
	/* The small buffer stays the driver's; the frame is dropped, not queued forever. */
	assert_int_equal(used_idx(0), 0);
	assert_int_equal(vnet_stats(net)->rx_dropped, 1);
	/* It is rewound: with a big one behind it, the next frame still stops at it. */
	offer(0, 1);
	frame_in(MAC, 112, 0xcd);
	vnet_rx(net);
	assert_int_equal(used_idx(0), 0);
	assert_int_equal(vnet_stats(net)->rx_dropped, 2);
}

static void test_rx_fits(void **state)
{
	uint32_t id, len;
	uint16_t nb;

	(void)state;
	start(BIT(MAC));
	desc(0, 3, BUF, 1526, VIRTQ_DESC_F_WRITE, 0);
	offer(0, 3);
	kick(0);
	frame_in(MAC, 112, 0xab);
	vnet_rx(net);
	assert_int_equal(used_idx(0), 1);
	used(0, 0, &id, &len);
	assert_int_equal(id, 3);
	assert_int_equal(len, 112);
	memcpy(&nb, ram + BUF + 10, 2);
	assert_int_equal(nb, 1);
	assert_memory_equal(ram + BUF + VNET_HDR_LEN, MAC, 6);
	assert_int_equal(ram[BUF + 111], 0xab);
	assert_int_equal(vnet_stats(net)->rx_packets, 1);
	assert_int_equal(vnet_stats(net)->rx_bytes, 100);
	/* Queue empty now: the back end's next frame is kept and the watch turned off. */
	frame_in(MAC, 200, 0x11);
	vnet_rx(net);
	assert_false(be.waiting);
	assert_int_equal(used_idx(0), 1);
	desc(0, 4, BUF + 0x1000, 1526, VIRTQ_DESC_F_WRITE, 0);
	offer(0, 4);
	kick(0);
	assert_int_equal(used_idx(0), 2);
	used(0, 1, &id, &len);
	assert_int_equal(id, 4);
	assert_int_equal(len, 200);
	assert_int_equal(ram[BUF + 0x1000 + 199], 0x11);
	assert_false(be.waiting);			/* every buffer used: not watching */
}

static void test_rx_mergeable(void **state)
{
	uint32_t id, len;
	uint16_t nb;
	uint8_t *p;

	(void)state;
	start(BIT(MAC) | BIT(MRG_RXBUF));
	/* A 2012-byte frame (header included) over 1000-byte buffers: 3 of them. */
	desc(0, 0, BUF, 1000, VIRTQ_DESC_F_WRITE, 0);
	desc(0, 1, BUF + 0x1000, 1000, VIRTQ_DESC_F_WRITE, 0);
	offer(0, 0);
	offer(0, 1);
	kick(0);
	frame_in(MAC, 2012, 0);
	p = be.in[0];
	for (unsigned i = VNET_HDR_LEN + 6; i < 2012; i++)
		p[i] = i * 7;
	vnet_rx(net);
	assert_int_equal(used_idx(0), 0);		/* two are not enough: all rewound */
	assert_false(be.waiting);
	desc(0, 2, BUF + 0x2000, 1000, VIRTQ_DESC_F_WRITE, 0);
	offer(0, 2);
	kick(0);
	assert_int_equal(used_idx(0), 3);
	for (unsigned i = 0; i < 3; i++) {
		used(0, i, &id, &len);
		assert_int_equal(id, i);
		assert_int_equal(len, i < 2 ? 1000 : 12);
	}
	memcpy(&nb, ram + BUF + 10, 2);
	assert_int_equal(nb, 3);
	assert_memory_equal(ram + BUF + VNET_HDR_LEN, p + VNET_HDR_LEN, 1000 - VNET_HDR_LEN);
	assert_memory_equal(ram + BUF + 0x1000, p + 1000, 1000);
	assert_memory_equal(ram + BUF + 0x2000, p + 2000, 12);
	assert_false(be.waiting);			/* every buffer used: not watching */
}

static void test_rx_bad_buffer(void **state)
{
	(void)state;
	start(BIT(MAC) | BIT(MRG_RXBUF));
	desc(0, 0, BUF, 8, VIRTQ_DESC_F_WRITE, 0);	/* smaller than the header */
	offer(0, 0);
	kick(0);
	frame_in(MAC, 100, 0);
	vnet_rx(net);
	assert_int_equal(used_idx(0), 0);
	assert_true(rd(0x14, 1) & VIRTIO_S_NEEDS_RESET);
	assert_false(be.waiting);
	vnet_rx(net);					/* stopped: the back end is left alone */
	assert_int_equal(be.next, 1);
	wr(0x14, 1, 0);					/* a reset brings it back */
	start(BIT(MAC));
	assert_false(rd(0x14, 1) & VIRTIO_S_NEEDS_RESET);
}

static void test_tx(void **state)
{
	uint8_t hdr[VNET_HDR_LEN] = { VIRTIO_NET_HDR_F_DATA_VALID }, frame[60];
	uint32_t id, len;

	(void)state;
	start(BIT(MAC) | BIT(CSUM));
	for (unsigned i = 0; i < sizeof(frame); i++)
		frame[i] = i;
	hdr[10] = 7;					/* num_buffers: the device's to set */
	memcpy(ram + BUF, hdr, sizeof(hdr));
	memcpy(ram + BUF + 0x100, frame, sizeof(frame));
	desc(1, 0, BUF, VNET_HDR_LEN, VIRTQ_DESC_F_NEXT, 1);
	desc(1, 1, BUF + 0x100, 60, 0, 0);
	offer(1, 0);
	kick(1);
	assert_int_equal(used_idx(1), 1);
	used(1, 0, &id, &len);
	assert_int_equal(id, 0);
	assert_int_equal(len, 0);
	assert_int_equal(be.sent, 1);
	assert_int_equal(be.out_len, 72);
	assert_int_equal(be.out[0], 0);			/* DATA_VALID means nothing on transmit */
	assert_int_equal(be.out[10], 0);
	assert_memory_equal(be.out + VNET_HDR_LEN, frame, 60);
	/* Header and frame in one buffer, NEEDS_CSUM with CSUM negotiated: passed on. */
	ram[BUF + 0x200] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	ram[BUF + 0x206] = 34;				/* csum_start */
	ram[BUF + 0x208] = 16;				/* csum_offset */
	desc(1, 2, BUF + 0x200, 72, 0, 0);
	offer(1, 2);
	kick(1);
	assert_int_equal(be.sent, 2);
	assert_int_equal(be.out[0], VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(vnet_stats(net)->tx_packets, 2);
	assert_int_equal(vnet_stats(net)->tx_bytes, 120);
}

static void test_tx_bad(void **state)
{
	(void)state;
	start(BIT(MAC));
	/* Only a header; NEEDS_CSUM without CSUM; GSO not negotiated; a writable buffer. */
	desc(1, 0, BUF, VNET_HDR_LEN, 0, 0);
	ram[BUF + 0x100] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	desc(1, 1, BUF + 0x100, 72, 0, 0);
	ram[BUF + 0x201] = VIRTIO_NET_HDR_GSO_TCPV4;
	desc(1, 2, BUF + 0x200, 72, 0, 0);
	desc(1, 3, BUF + 0x300, 72, VIRTQ_DESC_F_NEXT, 4);
	desc(1, 4, BUF + 0x400, 8, VIRTQ_DESC_F_WRITE, 0);
	for (unsigned i = 0; i < 4; i++)
		offer(1, i);
	kick(1);
	assert_int_equal(used_idx(1), 4);		/* each one given back */
	assert_int_equal(be.sent, 0);
	assert_int_equal(vnet_stats(net)->tx_dropped, 4);
	assert_false(rd(0x14, 1) & VIRTIO_S_NEEDS_RESET);
	/* A chain that loops is a broken ring: the queue stops. */
	desc(1, 5, BUF, 72, VIRTQ_DESC_F_NEXT, 5);
	offer(1, 5);
	kick(1);
	assert_true(rd(0x14, 1) & VIRTIO_S_NEEDS_RESET);
}

/* A control command at BUF + 0x100 * @slot: @cmd (class, command, data) and an ack byte. */
static uint8_t ctrl(unsigned slot, const void *cmd, uint32_t len)
{
	uint16_t before = used_idx(2);
	uint64_t a = BUF + 0x800 * slot;

	memcpy(ram + a, cmd, len);
	ram[a + 0x7ff] = 0xee;
	desc(2, 2 * slot, a, len, VIRTQ_DESC_F_NEXT, 2 * slot + 1);
	desc(2, 2 * slot + 1, a + 0x7ff, 1, VIRTQ_DESC_F_WRITE, 0);
	offer(2, 2 * slot);
	kick(2);
	assert_int_equal(used_idx(2), before + 1);
	return ram[a + 0x7ff];
}

static void test_ctrl(void **state)
{
	static const uint8_t other[6] = { 0x52, 0x54, 0, 0, 0, 9 };
	static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };
	uint8_t promisc_off[3] = { VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, 0 };
	uint8_t set_mac[8] = { VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET };
	uint8_t table[2 + 4 + 4 + 6] = { VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET };
	uint8_t bad_table[2 + 4 + 4] = { VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, 1 };
	uint8_t unknown[3] = { 9, 0, 0 }, long_rx[4] = { VIRTIO_NET_CTRL_RX, 0, 0, 0 };

	(void)state;
	start(BIT(MAC) | BIT(CTRL_VQ) | BIT(CTRL_RX) | BIT(CTRL_MAC_ADDR));
	for (unsigned i = 0; i < 8; i++)
		desc(0, i, BUF + 0x10000 + 0x800 * i, 1526, VIRTQ_DESC_F_WRITE, 0);
	for (unsigned i = 0; i < 8; i++)
		offer(0, i);
	kick(0);
	/* Promiscuous until told otherwise. */
	frame_in(other, 60, 0);
	vnet_rx(net);
	assert_int_equal(used_idx(0), 1);
	assert_int_equal(ctrl(0, promisc_off, 3), VIRTIO_NET_OK);
	frame_in(other, 60, 0);
	frame_in(mcast, 60, 0);
	frame_in(MAC, 60, 0);
	vnet_rx(net);
	assert_int_equal(used_idx(0), 2);		/* only the one to our MAC */
	assert_int_equal(vnet_stats(net)->rx_filtered, 2);
	/* A multicast table with mcast in it (and an empty unicast one). */
	table[6] = 1;
	memcpy(table + 10, mcast, 6);
	assert_int_equal(ctrl(1, table, sizeof(table)), VIRTIO_NET_OK);
	frame_in(mcast, 60, 0);
	vnet_rx(net);
	assert_int_equal(used_idx(0), 3);
	/* MAC_ADDR_SET: the filter and the configuration follow. */
	memcpy(set_mac + 2, other, 6);
	assert_int_equal(ctrl(2, set_mac, 8), VIRTIO_NET_OK);
	assert_int_equal(rd(VIRTIO_DEVCFG_OFF + 5, 1), 9);
	frame_in(other, 60, 0);
	vnet_rx(net);
	assert_int_equal(used_idx(0), 4);
	/* Malformed: a table claiming more entries than sent, a 7-byte MAC, an unknown class,
	 * RX data of two bytes, no command at all. */
	assert_int_equal(ctrl(3, bad_table, sizeof(bad_table)), VIRTIO_NET_ERR);
	assert_int_equal(ctrl(4, set_mac, 7), VIRTIO_NET_ERR);
	assert_int_equal(ctrl(5, unknown, 3), VIRTIO_NET_ERR);
	assert_int_equal(ctrl(6, long_rx, 4), VIRTIO_NET_ERR);
	assert_int_equal(ctrl(7, unknown, 1), VIRTIO_NET_ERR);
	assert_int_equal(vnet_stats(net)->ctrl_ok, 3);
	assert_int_equal(vnet_stats(net)->ctrl_err, 5);
	/* A reset makes it promiscuous again. */
	wr(0x14, 1, 0);
	start(BIT(MAC) | BIT(CTRL_VQ) | BIT(CTRL_RX));
	desc(0, 0, BUF, 1526, VIRTQ_DESC_F_WRITE, 0);
	offer(0, 0);
	kick(0);
	frame_in(other, 60, 0);
	frame_in(mcast, 60, 0);
	vnet_rx(net);
	assert_int_equal(used_idx(0), 1);
}

static void test_ctrl_unnegotiated(void **state)
{
	uint8_t promisc_off[3] = { VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, 0 };
	uint8_t set_mac[8] = { VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET };

	(void)state;
	start(BIT(MAC) | BIT(CTRL_VQ));
	assert_int_equal(ctrl(0, promisc_off, 3), VIRTIO_NET_ERR);	/* no CTRL_RX */
	assert_int_equal(ctrl(1, set_mac, 8), VIRTIO_NET_ERR);		/* no CTRL_MAC_ADDR */
	/* No ack byte at all: a broken chain. */
	desc(2, 4, BUF, 3, 0, 0);
	offer(2, 4);
	kick(2);
	assert_true(rd(0x14, 1) & VIRTIO_S_NEEDS_RESET);
}

static uint16_t avail_event(unsigned q)
{
	uint16_t v;

	memcpy(&v, ram + QBASE(q) + 0x2000 + 4 + 8 * QSIZE, 2);
	return v;
}

/* With EVENT_IDX the driver notifies only when avail_event asks (§2.7.10): every queue must
 * keep asking, or Linux's control commands (which it busy-waits for) are never seen. */
static void test_event_idx(void **state)
{
	uint8_t promisc_off[3] = { VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, 0 };
	uint8_t hdr[VNET_HDR_LEN + 60] = { 0 };

	(void)state;
	start(BIT(MAC) | BIT(CTRL_VQ) | BIT(CTRL_RX) | BIT(MRG_RXBUF) | 1u << VIRTIO_F_EVENT_IDX);
	assert_int_equal(ctrl(0, promisc_off, 3), VIRTIO_NET_OK);
	assert_int_equal(avail_event(2), 1);
	assert_int_equal(ctrl(1, promisc_off, 3), VIRTIO_NET_OK);
	assert_int_equal(avail_event(2), 2);
	memcpy(ram + BUF, hdr, sizeof(hdr));
	desc(1, 0, BUF, sizeof(hdr), 0, 0);
	offer(1, 0);
	kick(1);
	assert_int_equal(avail_event(1), 1);
	/* Receive: one buffer too few for a 2012-byte frame: asks for the entry after it. */
	desc(0, 0, BUF + 0x1000, 1000, VIRTQ_DESC_F_WRITE, 0);
	offer(0, 0);
	kick(0);
	frame_in(MAC, 2012, 0);
	vnet_rx(net);
	assert_int_equal(used_idx(0), 0);
	assert_int_equal(avail_event(0), 1);
	assert_false(be.waiting);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config_features, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hdr_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_single, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_fits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_mergeable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_bad_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctrl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctrl_unnegotiated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event_idx, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
