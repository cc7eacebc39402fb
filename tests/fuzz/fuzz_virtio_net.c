/* fuzz_virtio_net.c - libFuzzer harness for virtio-net's user-space data path (src/virtio/net.c,
 * virtio 1.2 §5.1) on the fake PCI host: the features, the three rings, their descriptors,
 * the frames a fake tap delivers (headers, destinations, lengths), transmit headers, control
 * commands (§5.1.6.5) and resets all come from the input. The device may touch only guest
 * RAM (ASan watches the exact allocation), hand the tap only bytes of guest RAM, give back
 * only chains it was offered, and leave no fd behind. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz_input.h"
#include "test_virtio_fake.h"
#include "virtio/net.h"

#define RAM	0x10000u
#define QBASE(q) (0x4000u * (q))	/* descriptors; +0x1000 avail, +0x2000 used */
#define BUFS	0xc000u			/* buffers mostly here */
#define SLOT	1

static const uint8_t MAC[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

struct fz {
	uint8_t *ram;
	struct pci_dev *d;
	struct virtio_net *net;
	struct fin *in;
	uint16_t qsize[3];
	uint32_t offered[3];		/* chains made available since the last reset */
	uint16_t used_base[3];
	uint8_t frame[2048];
	size_t frame_len;		/* the tap's one pending frame, 0 none */
};

static struct fz z;

static ssize_t be_recv(void *p, void *buf, size_t len)
{
	size_t n = z.frame_len;

	(void)p;
	if (!n)
		return -EAGAIN;
	z.frame_len = 0;
	if (n > len)
		return -EMSGSIZE;
	memcpy(buf, z.frame, n);
	return (ssize_t)n;
}

FUZZ_NOCOV static ssize_t be_send(void *p, const struct iovec *iov, int n)
{
	size_t total = 0;

	(void)p;
	/* iov[0]: the device's own copy of the checked header (§5.1.6.2), not the guest's. */
	FUZZ_CHECK(n >= 1 && iov[0].iov_len == VNET_HDR_LEN, "iovcnt %d", n);
	{
		const struct vnet_hdr *h = iov[0].iov_base;

		FUZZ_CHECK((const uint8_t *)h + VNET_HDR_LEN <= z.ram ||
			   (const uint8_t *)h >= z.ram + RAM, "the header is guest memory");
		FUZZ_CHECK(!(h->flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM) && !h->num_buffers,
			   "header flags %#x num_buffers %u", h->flags, h->num_buffers);
	}
	total = VNET_HDR_LEN;
	for (int i = 1; i < n; i++) {
		const uint8_t *b = iov[i].iov_base;

		FUZZ_CHECK(b >= z.ram && iov[i].iov_len <= RAM && b + iov[i].iov_len <= z.ram + RAM,
			   "tx iov %d outside guest RAM", i);
		total += iov[i].iov_len;
	}
	FUZZ_CHECK(total >= VNET_HDR_LEN && total <= VNET_HDR_LEN + VNET_MAX_FRAME,
		   "tx frame of %zu bytes", total);
	return (ssize_t)total;
}

static void be_destroy(void *p)
{
	(void)p;
}

static const struct vnet_backend_ops be_ops = {
	.recv = be_recv, .send = be_send, .destroy = be_destroy,
};

static uint16_t ld16(uint32_t gpa)
{
	uint16_t v;

	memcpy(&v, z.ram + gpa, 2);
	return v;
}

/* Every chain given back was offered, its head a descriptor of the queue. */
FUZZ_NOCOV static void check_used(void)
{
	for (unsigned q = 0; q < 3; q++) {
		uint16_t n = ld16(QBASE(q) + 0x2000 + 2) - z.used_base[q];

		if (!z.qsize[q])
			continue;
		FUZZ_CHECK(n <= z.offered[q], "queue %u: %u used, %u offered", q, n, z.offered[q]);
		for (uint16_t i = 0; i < n && i < z.qsize[q]; i++) {
			uint32_t id;

			memcpy(&id, z.ram + QBASE(q) + 0x2000 + 4 + 8 * ((z.used_base[q] + i) %
								     z.qsize[q]), 4);
			FUZZ_CHECK(id < z.qsize[q], "queue %u: used id %u", q, id);
		}
	}
}

/* Features from the input (VERSION_1 always), the queues at sizes from it, DRIVER_OK. */
static void op_start(void)
{
	uint64_t feat = fin_u32(z.in) | 1ull << 32;

	virtio_fake_negotiate(z.d, feat);
	for (unsigned q = 0; q < 3; q++) {
		z.qsize[q] = 1u << (fin_u8(z.in) % 9);
		memset(z.ram + QBASE(q) + 0x1000, 0, 0x2000);
		virtio_fake_queue(z.d, q, z.qsize[q], QBASE(q), QBASE(q) + 0x1000,
				  QBASE(q) + 0x2000, -1);
		z.offered[q] = 0;
		z.used_base[q] = 0;
	}
	virtio_fake_wr(z.d, 0x14, 1, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER |
		       VIRTIO_S_FEATURES_OK | VIRTIO_S_DRIVER_OK);
}

static void op_desc(void)
{
	unsigned q = fin_u8(z.in) % 3;
	uint8_t i = fin_u8(z.in) % z.qsize[q], ctl = fin_u8(z.in);
	/* Buffers in the buffer area, across RAM's end or far outside; never over the rings
	 * (a driver may do that, but then what the checks read is its own business). */
	uint64_t addr = ctl & 8 ? RAM - 64 + fin_u8(z.in) : ctl & 0x20 ? fin_u64(z.in) | 1ull << 40 :
			BUFS + fin_u16(z.in) % (RAM - BUFS);
	uint32_t len = ctl & 0x80 ? fin_u16(z.in) : fin_u8(z.in) % 80;

	virtio_fake_desc(z.ram + QBASE(q) + 16 * i, addr, len, ctl & 7, fin_u8(z.in));
	if (!(ctl & 0x40))
		return;
	virtio_fake_offer(z.ram + QBASE(q) + 0x1000, z.qsize[q], i);
	z.offered[q]++;
}

/* Bytes into the buffer area: transmit headers, control commands and their tables. */
static void op_poke(void)
{
	uint32_t at = BUFS + fin_u16(z.in) % (RAM - BUFS);
	unsigned n = fin_u8(z.in) % 32;

	for (unsigned i = 0; i < n && at + i < RAM; i++)
		z.ram[at + i] = fin_u8(z.in);
}

/* A frame on the tap: a header from the input, a destination the filters care about. */
static void op_frame(void)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t k = fin_u8(z.in);
	size_t n = fin_u16(z.in) % sizeof(z.frame);

	memset(z.frame, 0, sizeof(z.frame));
	for (unsigned i = 0; i < VNET_HDR_LEN && k & 1; i++)
		z.frame[i] = fin_u8(z.in);
	if (n >= VNET_HDR_LEN + 6)
		memcpy(z.frame + VNET_HDR_LEN, k & 2 ? bcast : MAC, 6);
	if (n >= VNET_HDR_LEN + 6 && k & 4)
		z.frame[VNET_HDR_LEN] = fin_u8(z.in);		/* multicast bit, another host */
	z.frame_len = n;
	vnet_rx(z.net);
}

static void op_one(uint8_t op)
{
	switch (op % 8) {
	case 0: case 1:
		op_desc();
		break;
	case 2:
		op_poke();
		break;
	case 3: {
		unsigned q = fin_u8(z.in) % 3;

		virtio_fake_wr(z.d, VIRTIO_NOTIFY_OFF + VIRTIO_NOTIFY_MULT * q, 2, q);
		break;
	}
	case 4:
		op_frame();
		break;
	case 5:
		vnet_rx(z.net);
		break;
	case 6: {
		uint8_t off = fin_u8(z.in) % VNET_CFG_LEN;

		(void)virtio_fake_rd(z.d, VIRTIO_DEVCFG_OFF + off, 1);
		break;
	}
	default:
		if (fin_u8(z.in) % 8 == 0) {	/* a reset, then the driver starts again */
			virtio_fake_wr(z.d, 0x14, 1, 0);
			op_start();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size, 0 };
	static struct fake f;
	static struct pci_bus bus;
	static struct vm vm;
	struct pci_host_ops o;
	unsigned fds = fuzz_open_fds();

	memset(&z, 0, sizeof(z));
	z.in = &in;
	if (virtio_fake_ram(&vm, &z.ram, RAM))
		abort();
	fake_ops(&f, &o);
	if (virtio_fake_bus(&bus, &o) ||
	    virtio_net_create(&bus, &vm.mem, MAC, &be_ops, NULL, NULL, &z.net))
		abort();
	z.d = virtio_fake_function(&bus, SLOT);
	if (!z.d)
		abort();
	op_start();
	for (unsigned step = 0; step < 256 && fin_more(&in); step++) {
		op_one(fin_u8(&in));
		check_used();
	}
	pci_bus_destroy(&bus);
	free(z.ram);
	FUZZ_CHECK(fuzz_open_fds() == fds, "fds %u, were %u", fuzz_open_fds(), fds);
	return 0;
}
