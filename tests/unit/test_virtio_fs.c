/* test_virtio_fs.c - virtio-fs (src/virtio/fs.c) on the fake PCI host with a fake vhost-user back
 * end on a unix socket: at DRIVER_OK the rings go over with the doorbells' own eventfds as
 * kicks and call eventfds bound by irqfd to the queues' MSI-X vectors (the hand-over vhost-net
 * uses too); a reset stops them (GET_VRING_BASE) and gives the doorbells back; a back end
 * that dies leaves vfvm answering every request with FUSE error -EIO. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "test_pci_fake.h"
#include "core/mem.h"
#include "virtio/fs.h"
#include "virtio/fs_req.h"
#include "virtio/vhost_user.h"
#include "virtio/virtio_pci.h"
#include "core/vm.h"

#define RAM	(1u << 20)
#define QBASE(q) (0x1000u + 0x4000u * (q))
#define QSIZE	16
#define SLOT	1

/* --- the fake back end: records each request and the fd that came with it --- */

struct be_rec {
	uint32_t req, index;
	int fd;
};

struct fake_backend {
	int lfd, cfd;
	pthread_t thread;
	pthread_mutex_t lock;
	struct be_rec rec[64];
	unsigned n;
	char dir[64], path[96];
};

static struct fake_backend fb;

static void be_reply(int fd, uint32_t req, const void *p, uint32_t size)
{
	uint8_t buf[64];
	uint32_t hdr[3] = { req, VHU_VERSION | VHU_FLAG_REPLY, size };

	memcpy(buf, hdr, 12);
	memcpy(buf + 12, p, size);
	assert_int_equal(write(fd, buf, 12 + size), 12 + size);
}

static void *be_main(void *arg)
{
	struct fake_backend *b = arg;

	b->cfd = accept(b->lfd, NULL, NULL);
	for (;;) {
		uint8_t buf[512];
		char ctl[CMSG_SPACE(8 * sizeof(int))];
		struct iovec iov = { buf, 12 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
				     .msg_controllen = sizeof(ctl) };
		struct cmsghdr *cm;
		uint32_t hdr[3], index = 0;
		int fd = -1;

		if (recvmsg(b->cfd, &mh, MSG_WAITALL) != 12)
			break;
		memcpy(hdr, buf, 12);
		cm = CMSG_FIRSTHDR(&mh);
		if (cm && cm->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(cm), sizeof(int));
		if (hdr[2] && (hdr[2] > sizeof(buf) ||
			       recv(b->cfd, buf, hdr[2], MSG_WAITALL) != (ssize_t)hdr[2]))
			break;
		if (hdr[2] >= 4)
			memcpy(&index, buf, 4);
		pthread_mutex_lock(&b->lock);
		if (b->n < 64)
			b->rec[b->n++] = (struct be_rec){ hdr[0], index & 0xff, fd };
		pthread_mutex_unlock(&b->lock);
		if (hdr[0] == VHU_GET_FEATURES) {
			uint64_t f = 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_F_EVENT_IDX;

			be_reply(b->cfd, hdr[0], &f, 8);
		} else if (hdr[0] == VHU_GET_VRING_BASE) {
			uint32_t st[2] = { index, 5 };

			be_reply(b->cfd, hdr[0], st, 8);
		}
	}
	return NULL;
}

static void be_start(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	memset(&fb, 0, sizeof(fb));
	pthread_mutex_init(&fb.lock, NULL);
	snprintf(fb.dir, sizeof(fb.dir), "/tmp/vfvm-test-fs.XXXXXX");
	assert_non_null(mkdtemp(fb.dir));
	snprintf(fb.path, sizeof(fb.path), "%s/sock", fb.dir);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", fb.path);
	fb.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(fb.lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fb.lfd, 1), 0);
	assert_int_equal(pthread_create(&fb.thread, NULL, be_main, &fb), 0);
}

static void be_stop(void)
{
	if (!pthread_equal(fb.thread, pthread_self()))
		pthread_join(fb.thread, NULL);
	for (unsigned i = 0; i < fb.n && i < 64; i++)
		if (fb.rec[i].fd >= 0)
			close(fb.rec[i].fd);
	close(fb.cfd);
	close(fb.lfd);
	unlink(fb.path);
	rmdir(fb.dir);
}

/* The fd of the @k-th request @req for ring @index (waiting for the thread), or -1. */
static int be_fd(uint32_t req, uint32_t index)
{
	for (int tries = 0; tries < 200; tries++) {
		pthread_mutex_lock(&fb.lock);
		for (unsigned i = 0; i < fb.n; i++) {
			if (fb.rec[i].req == req && fb.rec[i].index == index) {
				int fd = fb.rec[i].fd;

				pthread_mutex_unlock(&fb.lock);
				return fd;
			}
		}
		pthread_mutex_unlock(&fb.lock);
		usleep(10000);
	}
	return -1;
}

static unsigned be_count(uint32_t req)
{
	unsigned c = 0;

	pthread_mutex_lock(&fb.lock);
	for (unsigned i = 0; i < fb.n; i++)
		c += fb.rec[i].req == req;
	pthread_mutex_unlock(&fb.lock);
	return c;
}

/* --- the fake PCI host, with a device thread's watch list --- */

static struct fake f;
static struct pci_bus bus;
static struct vm vm;
static uint8_t *ram;
static struct pci_dev *d;
static int watched_fds[32];

static int w_watch(void *o, int fd, void (*cb)(void *arg, uint64_t count), void *arg)
{
	(void)o; (void)cb; (void)arg;
	for (unsigned i = 0; i < 32; i++) {
		if (watched_fds[i] < 0) {
			watched_fds[i] = fd;
			return 0;
		}
	}
	return -ENOSPC;
}

static void w_unwatch(void *o, int fd)
{
	(void)o;
	for (unsigned i = 0; i < 32; i++)
		if (watched_fds[i] == fd)
			watched_fds[i] = -1;
}

static bool watched(int fd)
{
	for (unsigned i = 0; i < 32; i++)
		if (watched_fds[i] == fd)
			return true;
	return false;
}

static void wr(unsigned off, unsigned len, uint32_t v)
{
	d->ops->bar_access(d, VIRTIO_BAR, off, &v, len, true);
}

static void msix_vector(unsigned n)
{
	uint32_t lo = 0xfee00000, hi = 0, data = 0x40 + n, ctrl = 0;

	pci_msix_bar_access(d, VIRTIO_MSIX_BAR, 16 * n, &lo, 4, true);
	pci_msix_bar_access(d, VIRTIO_MSIX_BAR, 16 * n + 4, &hi, 4, true);
	pci_msix_bar_access(d, VIRTIO_MSIX_BAR, 16 * n + 8, &data, 4, true);
	pci_msix_bar_access(d, VIRTIO_MSIX_BAR, 16 * n + 12, &ctrl, 4, true);
}

static int memfd = -1;
static struct virtio_pci *v;
/* The socket's watch (watch_input): what the device thread would call when it is readable. */
static struct { int fd; void (*cb)(void *arg, uint64_t count); void *arg; } in_watch;

static int w_watch_input(void *o, int fd, void (*cb)(void *arg, uint64_t count), void *arg)
{
	(void)o;
	in_watch.fd = fd;
	in_watch.cb = cb;
	in_watch.arg = arg;
	return 0;
}

static void w_unwatch_any(void *o, int fd)
{
	if (in_watch.fd == fd)
		in_watch.fd = -1;
	w_unwatch(o, fd);
}

/* Shared RAM, the bus, the fake back end, the function and a driver up to DRIVER_OK. */
static void fs_up(void)
{
	struct pci_host_ops o;
	struct err e = { .msg = "" };

	for (unsigned i = 0; i < 32; i++)
		watched_fds[i] = -1;
	in_watch.fd = -1;
	memfd = memfd_create("vfvm-test-fs", MFD_CLOEXEC);
	assert_true(memfd >= 0);
	assert_int_equal(ftruncate(memfd, RAM), 0);
	ram = mmap(NULL, RAM, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	assert_true(ram != MAP_FAILED);
	memset(&vm, 0, sizeof(vm));
	vm.mem.r[0] = (struct guest_region){ .gpa = 0, .size = RAM, .hva = ram, .fd = memfd };
	vm.mem.n = 1;
	vm.mem.shared = true;
	fake_ops(&f, &o);
	o.watch_fd = w_watch;
	o.watch_input = w_watch_input;
	o.unwatch_fd = w_unwatch_any;
	pci_bus_init(&bus, &o, 0x200000000ULL);
	assert_int_equal(pci_host_bridge_create(&bus), 0);
	be_start();
	assert_int_equal(virtio_fs_create(&bus, &vm.mem, fb.path, "share", false, &e), 0);
	d = bus.devs[SLOT][0];
	assert_non_null(d);
	v = d->priv;
	cfg_wr(&bus, SLOT, 0, PCI_COMMAND, 2, PCI_CMD_MEM | PCI_CMD_MASTER);
	/* The driver: VERSION_1, MSI-X with vectors 1 and 2 for the queues, DRIVER_OK. */
	wr(0x14, 1, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
	wr(0x08, 4, 1);
	wr(0x0c, 4, 1);
	wr(0x14, 1, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK);
	cfg_wr(&bus, SLOT, 0, d->msix.cap + 2, 2, 0x8000);
	for (unsigned n = 0; n < 3; n++)
		msix_vector(n);
	for (unsigned q = 0; q < FS_QUEUES; q++) {
		wr(0x16, 2, q);
		wr(0x18, 2, QSIZE);
		wr(0x20, 4, QBASE(q));
		wr(0x28, 4, QBASE(q) + 0x1000);
		wr(0x30, 4, QBASE(q) + 0x2000);
		wr(0x1a, 2, q + 1);
		wr(0x1c, 2, 1);
	}
	assert_true(watched(d->doorbells[0].efd) && watched(d->doorbells[1].efd));
	wr(0x14, 1, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK |
	   VIRTIO_S_DRIVER_OK);
}

static void fs_down(void)
{
	pci_bus_destroy(&bus);
	be_stop();
	munmap(ram, RAM);
	close(memfd);
}

static void test_hand_over(void **state)
{
	uint64_t one = 1, c = 0;
	int kick[2];

	(void)state;
	fs_up();
	assert_true(in_watch.fd >= 0);		/* the socket, for the back end's end */
	/* The back end's kick fd for each ring is the doorbell's eventfd (KVM's ioeventfd):
	 * a write to what it got is a count on the doorbell, and vfvm no longer reads it. */
	for (unsigned q = 0; q < FS_QUEUES; q++) {
		kick[q] = be_fd(VHU_SET_VRING_KICK, q);
		assert_true(kick[q] >= 0);
		assert_int_equal(write(kick[q], &one, 8), 8);
		assert_int_equal(read(d->doorbells[q].efd, &c, 8), 8);
		assert_int_equal(c, 1);
		assert_false(watched(d->doorbells[q].efd));
		/* Its call eventfd: bound by irqfd to the queue's vector, not watched. */
		assert_true(v->q[q].external);
		assert_int_equal(f.irqfd_of[d->msix.vec[q + 1].gsi], v->q[q].callfd);
		assert_false(watched(v->q[q].callfd));
		assert_true(be_fd(VHU_SET_VRING_CALL, q) >= 0);
	}
	/* Reset: GET_VRING_BASE per ring, the doorbells vfvm's again. */
	wr(0x14, 1, 0);
	assert_int_equal(be_count(VHU_GET_VRING_BASE), FS_QUEUES);
	for (unsigned q = 0; q < FS_QUEUES; q++) {
		assert_false(v->q[q].external);
		assert_true(watched(d->doorbells[q].efd));
	}
	fs_down();
}

/* Request @unique with @opcode, 40 readable + @wlen writable bytes, as chain @head of queue @q
 * (descriptors 2 head, 2 head + 1), made available. */
static void fuse_req(unsigned q, uint16_t head, uint32_t opcode, uint64_t unique, uint32_t wlen)
{
	uint8_t *desc = ram + QBASE(q), *avail = desc + 0x1000, *in = ram + 0x10000 + 0x100 * head;
	uint64_t a_in = 0x10000 + 0x100 * head, a_out = a_in + 0x40;
	uint16_t flags = 1, nx = head + 1, idx;
	uint32_t len = 40;

	memset(in, 0, 0x100);
	memcpy(in, &len, 4);
	memcpy(in + 4, &opcode, 4);
	memcpy(in + 8, &unique, 8);
	memset(in + 0x40, 0xee, 0x40);
	memcpy(desc + 16 * head, &a_in, 8);
	memcpy(desc + 16 * head + 8, &len, 4);
	memcpy(desc + 16 * head + 12, &flags, 2);
	memcpy(desc + 16 * head + 14, &nx, 2);
	flags = 2;
	memcpy(desc + 16 * nx, &a_out, 8);
	memcpy(desc + 16 * nx + 8, &wlen, 4);
	memcpy(desc + 16 * nx + 12, &flags, 2);
	memcpy(&idx, avail + 2, 2);
	memcpy(avail + 4 + 2 * (idx % QSIZE), &head, 2);
	idx++;
	memcpy(avail + 2, &idx, 2);
}

static uint16_t used_idx(unsigned q)
{
	uint16_t i;

	memcpy(&i, ram + QBASE(q) + 0x2000 + 2, 2);
	return i;
}

/* Used entry @i of queue @q is chain @head with @len bytes, and with a reply: -EIO, @unique. */
static void check_used(unsigned q, unsigned i, uint16_t head, uint32_t len, uint64_t unique)
{
	uint8_t *u = ram + QBASE(q) + 0x2000 + 4 + 8 * i, *out = ram + 0x10040 + 0x100 * head;
	uint32_t id, ulen, olen;
	int32_t err;
	uint64_t uq;

	memcpy(&id, u, 4);
	memcpy(&ulen, u + 4, 4);
	assert_int_equal(id, head);
	assert_int_equal(ulen, len);
	if (!len)
		return;
	memcpy(&olen, out, 4);
	memcpy(&err, out + 4, 4);
	memcpy(&uq, out + 8, 8);
	assert_int_equal(olen, 16);
	assert_int_equal(err, -EIO);
	assert_int_equal(uq, unique);
}

/* The back end closes its socket (virtiofsd killed) with a request in flight: that one and
 * every later one are answered with FUSE error -EIO, a FORGET with nothing; the doorbells are
 * vfvm's again and the socket is no longer watched. */
static void test_backend_dies(void **state)
{
	(void)state;
	fs_up();
	assert_true(be_fd(VHU_SET_VRING_KICK, 1) >= 0);
	fuse_req(1, 0, 1 /* LOOKUP */, 0x1234567890ull, 0x40);	/* taken, never answered */
	shutdown(fb.cfd, SHUT_RDWR);
	pthread_join(fb.thread, NULL);
	fb.thread = pthread_self();
	assert_true(in_watch.fd >= 0);
	in_watch.cb(in_watch.arg, 0);			/* the device thread sees the end */
	assert_int_equal(in_watch.fd, -1);
	assert_int_equal(used_idx(1), 1);
	check_used(1, 0, 0, 16, 0x1234567890ull);
	for (unsigned q = 0; q < FS_QUEUES; q++) {
		assert_false(v->q[q].external);
		assert_true(watched(d->doorbells[q].efd));
	}
	/* Later requests: a read on the request queue, a FORGET and a too short reply buffer. */
	fuse_req(1, 2, 15 /* READ */, 77, 0x40);
	fuse_req(1, 4, 15, 78, 8);
	wr(VIRTIO_NOTIFY_OFF + VIRTIO_NOTIFY_MULT, 2, 1);
	assert_int_equal(used_idx(1), 3);
	check_used(1, 1, 2, 16, 77);
	check_used(1, 2, 4, 0, 0);
	fuse_req(0, 0, FUSE_OP_FORGET, 5, 0x40);
	wr(VIRTIO_NOTIFY_OFF, 2, 0);
	assert_int_equal(used_idx(0), 1);
	check_used(0, 0, 0, 0, 0);
	/* A reset and a new start do not go back to the dead back end. */
	wr(0x14, 1, 0);
	fs_down();
}

/* fs_req_fail on its own: the reply's layout, FORGETs and chains too short either way. */
static void test_req_fail(void **state)
{
	uint8_t in[48] = { 0 }, out[32];
	struct vq_seg seg[2] = { { in, 40, false }, { out, 32, true } };
	struct vq_chain c = { .seg = seg, .nseg = 2, .nout = 1, .out_len = 40, .in_len = 32 };
	uint64_t unique = 0xfeedfacecafebeefull;
	uint32_t op = 3, olen;
	int32_t err;

	(void)state;
	memcpy(in + 4, &op, 4);
	memcpy(in + 8, &unique, 8);
	memset(out, 0xaa, sizeof(out));
	assert_int_equal(fs_req_fail(&c, -EIO), 16);
	memcpy(&olen, out, 4);
	memcpy(&err, out + 4, 4);
	assert_int_equal(olen, 16);
	assert_int_equal(err, -EIO);
	assert_memory_equal(out + 8, &unique, 8);
	assert_int_equal(out[16], 0xaa);
	op = FUSE_OP_BATCH_FORGET;
	memcpy(in + 4, &op, 4);
	assert_int_equal(fs_req_fail(&c, -EIO), 0);
	op = 3;
	memcpy(in + 4, &op, 4);
	seg[0].len = c.out_len = 39;
	assert_int_equal(fs_req_fail(&c, -EIO), 0);
	seg[0].len = c.out_len = 40;
	seg[1].len = c.in_len = 15;
	assert_int_equal(fs_req_fail(&c, -EIO), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hand_over),
		cmocka_unit_test(test_backend_dies),
		cmocka_unit_test(test_req_fail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
