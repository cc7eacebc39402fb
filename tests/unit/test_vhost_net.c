/* test_vhost_net.c - unit tests of vhost-net (src/virtio/vhost.c) against a fake kernel (the
 * ioctl layer replaced): the ring hand-over order shared with vhost-user, every ioctl's
 * arguments, every failure and what is undone; then virtio-net on the fake PCI host with the
 * fake kernel: features, DRIVER_OK handing the queues over, the call eventfd following the
 * MSI-X vector and its mask, reset giving the rings back, a refusal falling back to user space;
 * and --net's vhost= at set-up (src/net/tap.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "test_virtio_fake.h"
#include "core/mem.h"
#include "net/tap.h"
#include "virtio/net.h"
#include "virtio/vhost.h"

/* --- the fake kernel --- */

#define LOG_MAX 64

struct kcall {
	unsigned long req;
	unsigned index;
	uint64_t a, b, c;		/* num / fd / addresses / features, by request */
};

struct fake_kernel {
	struct kcall log[LOG_MAX];
	unsigned n;
	unsigned fail_at;		/* the fail_at-th call (1-based) fails; 0: none */
	int fail_err;
	uint64_t features;		/* what GET_FEATURES says */
	struct vhost_memory_region mem[8];
	unsigned nmem;
};

static struct fake_kernel fk;

static int fk_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	struct fake_kernel *k = ctx;
	struct kcall c = { .req = req };

	(void)fd;
	switch (req) {
	case VHOST_GET_FEATURES:
		*(uint64_t *)arg = k->features;
		break;
	case VHOST_SET_FEATURES:
		c.a = *(uint64_t *)arg;
		break;
	case VHOST_SET_MEM_TABLE: {
		struct vhost_memory *m = arg;

		k->nmem = m->nregions;
		memcpy(k->mem, m->regions, m->nregions * sizeof(m->regions[0]));
		c.a = m->nregions;
		break;
	}
	case VHOST_SET_VRING_NUM: case VHOST_SET_VRING_BASE: {
		struct vhost_vring_state *s = arg;

		c.index = s->index;
		c.a = s->num;
		break;
	}
	case VHOST_GET_VRING_BASE: {
		struct vhost_vring_state *s = arg;

		c.index = s->index;
		s->num = 100 + s->index;
		break;
	}
	case VHOST_SET_VRING_ADDR: {
		struct vhost_vring_addr *a = arg;

		c.index = a->index;
		c.a = a->desc_user_addr;
		c.b = a->avail_user_addr;
		c.c = a->used_user_addr;
		break;
	}
	case VHOST_SET_VRING_KICK: case VHOST_SET_VRING_CALL: case VHOST_SET_VRING_ERR:
	case VHOST_NET_SET_BACKEND: {
		struct vhost_vring_file *f = arg;

		c.index = f->index;
		c.a = (uint64_t)(int64_t)f->fd;
		break;
	}
	default:
		break;
	}
	if (k->n < LOG_MAX)
		k->log[k->n] = c;
	k->n++;
	if (k->fail_at && k->n == k->fail_at)
		return k->fail_err;
	return 0;
}

static const struct vhost_kernel_ops fk_ops = { .ioctl = fk_ioctl, .ctx = &fk };

static void fk_reset(uint64_t features)
{
	memset(&fk, 0, sizeof(fk));
	fk.features = features;
	fk.fail_err = -EIO;
}

static int fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

#define VF_RING	((1ull << 15) | (1ull << 28) | (1ull << 29) | (1ull << 32))

static void test_init(void **state)
{
	struct vhost_net h;
	int fd = eventfd(0, EFD_CLOEXEC);

	(void)state;
	fk_reset(VF_RING | 1ull << 27);
	assert_int_equal(vhost_net_init(&h, fd, &fk_ops), 0);
	assert_int_equal(fk.n, 2);
	assert_int_equal(fk.log[0].req, VHOST_SET_OWNER);
	assert_int_equal(fk.log[1].req, VHOST_GET_FEATURES);
	assert_true(h.features == (VF_RING | 1ull << 27));
	assert_int_equal(h.state, VHOST_NET_IDLE);
	vhost_net_close(&h);
	assert_false(fd_open(fd));
	assert_int_equal(h.fd, -1);
	vhost_net_close(&h);			/* twice: nothing */

	/* SET_OWNER refused (another process owns it: EBUSY), then GET_FEATURES: fd closed. */
	for (unsigned at = 1; at <= 2; at++) {
		fk_reset(VF_RING);
		fk.fail_at = at;
		fk.fail_err = -EBUSY;
		fd = eventfd(0, EFD_CLOEXEC);
		assert_int_equal(vhost_net_init(&h, fd, &fk_ops), -EBUSY);
		assert_false(fd_open(fd));
		assert_int_equal(h.fd, -1);
	}
	assert_int_equal(vhost_net_open(&h, "/nonexistent/vhost-net"), -ENOENT);
	assert_int_equal(h.fd, -1);
}

/* A ring as virtio-net hands it over. */
static struct vhost_vring ring(unsigned q)
{
	return (struct vhost_vring){
		.index = q, .num = 256, .base = 3 * q, .desc = 0x1000 + q, .avail = 0x2000 + q,
		.used = 0x3000 + q, .kick = 10 + q, .call = 20 + q, .err = 30 + q,
	};
}

static unsigned char ram_a[4096], ram_b[4096];

static void two_regions(struct guest_mem *m)
{
	memset(m, 0, sizeof(*m));
	m->r[0] = (struct guest_region){ .gpa = 0, .size = 0xc0000000, .hva = ram_a, .fd = 5 };
	m->r[1] = (struct guest_region){ .gpa = 1ull << 32, .size = 1ull << 30, .hva = ram_b,
					 .fd = 6 };
	m->n = 2;
}

/* The sequence of one ring, from log entry @at. */
static void check_ring_log(unsigned at, unsigned q)
{
	struct vhost_vring r = ring(q);
	const struct kcall *l = &fk.log[at];

	assert_int_equal(l[0].req, VHOST_SET_VRING_NUM);
	assert_int_equal(l[0].index, q);
	assert_int_equal(l[0].a, 256);
	assert_int_equal(l[1].req, VHOST_SET_VRING_BASE);
	assert_int_equal(l[1].a, r.base);
	assert_int_equal(l[2].req, VHOST_SET_VRING_ADDR);
	assert_true(l[2].a == r.desc && l[2].b == r.avail && l[2].c == r.used);
	assert_int_equal(l[3].req, VHOST_SET_VRING_CALL);
	assert_int_equal(l[3].a, r.call);
	assert_int_equal(l[4].req, VHOST_SET_VRING_ERR);
	assert_int_equal(l[4].a, r.err);
	assert_int_equal(l[5].req, VHOST_SET_VRING_KICK);
	assert_int_equal(l[5].a, r.kick);
	assert_int_equal(l[6].req, VHOST_NET_SET_BACKEND);
	assert_int_equal(l[6].index, q);
	assert_int_equal(l[6].a, 77);
	for (unsigned i = 0; i < 7; i++)
		assert_int_equal(l[i].index, q);
}

static void test_start_stop(void **state)
{
	struct vhost_net h;
	struct guest_mem m;
	struct vhost_vring r[2] = { ring(0), ring(1) };
	const char *step = "x";

	(void)state;
	two_regions(&m);
	fk_reset(VF_RING | 1ull << 27);
	assert_int_equal(vhost_net_init(&h, eventfd(0, EFD_CLOEXEC), &fk_ops), 0);
	fk.n = 0;
	/* The driver's bits: only the ones the kernel offered reach SET_FEATURES. */
	assert_int_equal(vhost_net_start(&h, VF_RING | 1 | 1ull << 5 | 1ull << 17, &m, r, 2, 77,
					 &step), 0);
	assert_null(step);
	assert_int_equal(h.state, VHOST_NET_RUNNING);
	assert_int_equal(fk.n, 2 + 2 * 7);
	assert_int_equal(fk.log[0].req, VHOST_SET_FEATURES);
	assert_true(fk.log[0].a == VF_RING);
	assert_int_equal(fk.log[1].req, VHOST_SET_MEM_TABLE);
	assert_int_equal(fk.nmem, 2);
	assert_true(fk.mem[0].guest_phys_addr == 0 && fk.mem[0].memory_size == 0xc0000000 &&
		    fk.mem[0].userspace_addr == (uintptr_t)ram_a);
	assert_true(fk.mem[1].guest_phys_addr == 1ull << 32 &&
		    fk.mem[1].userspace_addr == (uintptr_t)ram_b);
	check_ring_log(2, 0);
	check_ring_log(9, 1);
	/* Twice: refused, nothing sent. */
	fk.n = 0;
	assert_int_equal(vhost_net_start(&h, VF_RING, &m, r, 2, 77, &step), -EBUSY);
	assert_int_equal(fk.n, 0);

	/* Stop: both backends off first, then per ring GET_VRING_BASE and the fds unset. */
	assert_int_equal(vhost_net_stop(&h), 0);
	assert_int_equal(fk.n, 2 + 2 * 4);
	assert_int_equal(fk.log[0].req, VHOST_NET_SET_BACKEND);
	assert_int_equal(fk.log[0].index, 0);
	assert_true(fk.log[0].a == (uint64_t)-1);
	assert_int_equal(fk.log[1].req, VHOST_NET_SET_BACKEND);
	assert_int_equal(fk.log[1].index, 1);
	for (unsigned q = 0; q < 2; q++) {
		const struct kcall *l = &fk.log[2 + 4 * q];

		assert_int_equal(l[0].req, VHOST_GET_VRING_BASE);
		assert_int_equal(l[1].req, VHOST_SET_VRING_KICK);
		assert_int_equal(l[2].req, VHOST_SET_VRING_CALL);
		assert_int_equal(l[3].req, VHOST_SET_VRING_ERR);
		for (unsigned i = 0; i < 4; i++)
			assert_int_equal(l[i].index, q);
		assert_true(l[1].a == (uint64_t)-1 && l[2].a == (uint64_t)-1 &&
			    l[3].a == (uint64_t)-1);
		assert_int_equal(h.last_base[q], 100 + q);
	}
	assert_int_equal(h.state, VHOST_NET_IDLE);
	fk.n = 0;
	assert_int_equal(vhost_net_stop(&h), 0);	/* idle: nothing */
	assert_int_equal(fk.n, 0);
	/* Started again after a stop (a driver's re-init). */
	assert_int_equal(vhost_net_start(&h, VF_RING, &m, r, 2, 77, &step), 0);
	fk.n = 0;
	vhost_net_close(&h);				/* running: stopped first */
	assert_int_equal(fk.n, 10);
	assert_int_equal(fk.log[0].req, VHOST_NET_SET_BACKEND);
}

/* Every ioctl of a start failing in turn: the error and its step come back, and what was
 * handed over is taken back (the tap detached from the rings that had it, each started ring
 * stopped), so the device can fall back to user space with nothing left in the kernel. */
static void test_start_failures(void **state)
{
	static const char *const steps[] = {
		"SET_FEATURES", "SET_MEM_TABLE",
		"SET_VRING_NUM", "SET_VRING_BASE", "SET_VRING_ADDR", "SET_VRING_CALL",
		"SET_VRING_ERR", "SET_VRING_KICK", "VHOST_NET_SET_BACKEND",
		"SET_VRING_NUM", "SET_VRING_BASE", "SET_VRING_ADDR", "SET_VRING_CALL",
		"SET_VRING_ERR", "SET_VRING_KICK", "VHOST_NET_SET_BACKEND",
	};
	struct vhost_vring r[2] = { ring(0), ring(1) };
	struct guest_mem m;

	(void)state;
	two_regions(&m);
	for (unsigned at = 1; at <= 16; at++) {
		struct vhost_net h;
		const char *step = NULL;
		unsigned started, attached, gets = 0, unbinds = 0;

		fk_reset(VF_RING);
		assert_int_equal(vhost_net_init(&h, eventfd(0, EFD_CLOEXEC), &fk_ops), 0);
		fk.n = 0;
		fk.fail_at = at;
		fk.fail_err = -EFAULT;
		assert_int_equal(vhost_net_start(&h, VF_RING, &m, r, 2, 77, &step), -EFAULT);
		assert_non_null(step);
		assert_string_equal(step, steps[at - 1]);
		assert_int_equal(h.state, VHOST_NET_IDLE);
		/* What had been handed over when it failed. */
		started = at <= 2 ? 0 : at <= 9 ? 1 : 2;	/* rx from its NUM, tx from its */
		attached = at <= 9 ? 0 : 1;			/* rx's SET_BACKEND is call 9 */
		for (unsigned i = at; i < fk.n && i < LOG_MAX; i++) {
			if (fk.log[i].req == VHOST_GET_VRING_BASE)
				gets++;
			if (fk.log[i].req == VHOST_NET_SET_BACKEND && fk.log[i].a == (uint64_t)-1)
				unbinds++;
		}
		assert_int_equal(gets, started);
		assert_int_equal(unbinds, attached);
		for (unsigned q = 0; q < 2; q++)
			assert_false(h.started[q] || h.attached[q]);
		fk.n = 0;
		fk.fail_at = 0;
		vhost_net_close(&h);
		assert_int_equal(fk.n, 0);		/* nothing left to stop */
	}
	/* Too many regions for the table: refused before any ioctl. */
	{
		struct vhost_net h;
		struct guest_mem big = { .n = VHOST_MAX_REGIONS + 1 };
		const char *step;

		fk_reset(VF_RING);
		assert_int_equal(vhost_net_init(&h, eventfd(0, EFD_CLOEXEC), &fk_ops), 0);
		fk.n = 0;
		assert_int_equal(vhost_net_start(&h, VF_RING, &big, r, 2, 77, &step), -E2BIG);
		assert_string_equal(step, "SET_MEM_TABLE");
		assert_int_equal(fk.n, 1);		/* SET_FEATURES only */
		vhost_net_close(&h);
	}
}

/* A stop whose ioctls fail: every step is still tried, the first error returned. */
static void test_stop_failures(void **state)
{
	struct vhost_vring r[2] = { ring(0), ring(1) };
	struct guest_mem m;

	(void)state;
	two_regions(&m);
	for (unsigned at = 1; at <= 10; at++) {
		struct vhost_net h;
		const char *step;

		fk_reset(VF_RING);
		assert_int_equal(vhost_net_init(&h, eventfd(0, EFD_CLOEXEC), &fk_ops), 0);
		assert_int_equal(vhost_net_start(&h, VF_RING, &m, r, 2, 77, &step), 0);
		fk.n = 0;
		fk.fail_at = at;
		fk.fail_err = -ENODEV;
		assert_int_equal(vhost_net_stop(&h), -ENODEV);
		assert_int_equal(fk.n, 10);
		assert_int_equal(h.state, VHOST_NET_IDLE);
		fk.fail_at = 0;
		vhost_net_close(&h);
	}
}

/* --- the shared hand-over order, with a back end that is not the kernel (vhost-user's shape) */

struct rec {
	char order[16];
	unsigned n;
	int fail;			/* the op letter that fails */
};

static int rec_op(void *be, char op)
{
	struct rec *r = be;

	r->order[r->n++] = op;
	return r->fail == op ? -EPIPE : 0;
}

static int r_num(void *be, unsigned i, unsigned num) { (void)i; (void)num; return rec_op(be, 'N'); }
static int r_base(void *be, unsigned i, unsigned b) { (void)i; (void)b; return rec_op(be, 'B'); }
static int r_addr(void *be, unsigned i, uint64_t d, uint64_t u, uint64_t a)
{
	(void)i; (void)d; (void)u; (void)a;
	return rec_op(be, 'A');
}
static int r_call(void *be, unsigned i, int fd) { (void)i; (void)fd; return rec_op(be, 'C'); }
static int r_err(void *be, unsigned i, int fd) { (void)i; (void)fd; return rec_op(be, 'E'); }
static int r_kick(void *be, unsigned i, int fd) { (void)i; (void)fd; return rec_op(be, 'K'); }
static int r_enable(void *be, unsigned i) { (void)i; return rec_op(be, 'Y'); }

static void test_vring_order(void **state)
{
	const struct vhost_vring_ops full = { r_num, r_base, r_addr, r_call, r_err, r_kick, r_enable };
	const struct vhost_vring_ops bare = { r_num, r_base, r_addr, r_call, NULL, r_kick, NULL };
	struct vhost_vring v = ring(0);
	struct rec r = { .fail = 0 };
	const char *step;

	(void)state;
	assert_int_equal(vhost_vring_start(&full, &r, &v, &step), 0);
	assert_string_equal(r.order, "NBACEKY");
	assert_null(step);
	memset(&r, 0, sizeof(r));
	v.err = -1;				/* no error fd: SET_VRING_ERR left out */
	assert_int_equal(vhost_vring_start(&full, &r, &v, &step), 0);
	assert_string_equal(r.order, "NBACKY");
	memset(&r, 0, sizeof(r));
	v.err = 3;				/* no err/enable ops (vhost-user without them) */
	assert_int_equal(vhost_vring_start(&bare, &r, &v, &step), 0);
	assert_string_equal(r.order, "NBACK");
	/* Each step failing stops there. */
	for (const char *p = "NBACEKY"; *p; p++) {
		memset(&r, 0, sizeof(r));
		r.fail = *p;
		assert_int_equal(vhost_vring_start(&full, &r, &v, &step), -EPIPE);
		assert_int_equal(r.order[r.n - 1], *p);
		assert_non_null(step);
	}
}

static void test_regions(void **state)
{
	struct guest_mem m;
	struct vhost_region r[2];

	(void)state;
	two_regions(&m);
	assert_int_equal(vhost_regions(&m, r, 2), 2);
	assert_true(r[1].gpa == 1ull << 32 && r[1].size == 1ull << 30 &&
		    r[1].uaddr == (uintptr_t)ram_b);
	assert_int_equal(r[0].fd, -1);		/* private RAM: no fd to pass */
	m.shared = true;
	assert_int_equal(vhost_regions(&m, r, 2), 2);
	assert_int_equal(r[0].fd, 5);
	assert_int_equal(r[1].fd, 6);
	assert_int_equal(vhost_regions(&m, r, 1), -E2BIG);
	assert_true(vhost_net_ring_features() == VF_RING);
}

/* --- --net vhost= at set-up --- */

static void test_net_vhost_open(void **state)
{
	struct net_opts o;
	struct vhost_net *h = (void *)1;
	struct err e = { .msg = "" };

	(void)state;
	assert_int_equal(net_opts_parse("tap,vhost=off", &o, &e), 0);
	assert_int_equal(net_vhost_open(&o, "tap,vhost=off", "/nonexistent/vhost-net", &h, &e), 0);
	assert_null(h);
	assert_string_equal(e.msg, "");
	/* The default without the device: the user-space path (one line on stderr). */
	assert_int_equal(net_opts_parse("tap", &o, &e), 0);
	h = (void *)1;
	assert_int_equal(net_vhost_open(&o, "tap", "/nonexistent/vhost-net", &h, &e), 0);
	assert_null(h);
	assert_string_equal(e.msg, "");
	/* vhost=on without it: one line naming it and what to do; a runtime error (exit 1). */
	assert_int_equal(net_opts_parse("tap,vhost=on", &o, &e), 0);
	assert_int_equal(net_vhost_open(&o, "tap,vhost=on", "/nonexistent/vhost-net", &h, &e),
			 -ENOENT);
	assert_null(h);
	assert_non_null(strstr(e.msg, "/nonexistent/vhost-net does not exist"));
	assert_non_null(strstr(e.msg, "modprobe vhost_net"));
	assert_null(strchr(e.msg, '\n'));
	assert_int_equal(e.usage, 0);
	/* A file that is not vhost-net (SET_OWNER fails): refused with vhost=on. */
	memset(&e, 0, sizeof(e));
	assert_true(net_vhost_open(&o, "tap,vhost=on", "/dev/null", &h, &e) < 0);
	assert_null(h);
	assert_non_null(strstr(e.msg, "/dev/null"));
	assert_non_null(strstr(e.msg, "vhost=off"));
}

/* --- virtio-net with vhost-net on the fake PCI host --- */

#define RAM	(1u << 20)
#define QBASE(q) (0x1000u + 0x4000u * (q))
#define QSIZE	16
#define SLOT	1

static const uint8_t MAC[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

struct watch {
	int fd;
	void (*cb)(void *arg, uint64_t count);
	void *arg;
};

static struct fake f;
static struct pci_bus bus;
static struct vm vm;
static uint8_t *ram;
static struct pci_dev *d;
static struct virtio_net *net;
static struct watch watches[32];
static unsigned sent, destroyed;

static int w_watch(void *o, int fd, void (*cb)(void *arg, uint64_t count), void *arg)
{
	(void)o;
	for (unsigned i = 0; i < 32; i++) {
		if (watches[i].cb)
			continue;
		watches[i] = (struct watch){ fd, cb, arg };
		return 0;
	}
	return -ENOSPC;
}

static void w_unwatch(void *o, int fd)
{
	(void)o;
	for (unsigned i = 0; i < 32; i++)
		if (watches[i].cb && watches[i].fd == fd)
			watches[i] = (struct watch){ 0 };
}

static bool watched(int fd)
{
	for (unsigned i = 0; i < 32; i++)
		if (watches[i].cb && watches[i].fd == fd)
			return true;
	return false;
}

/* The device thread: reads @fd's count and runs its callback, as iothread.c does. */
static bool run_watch(int fd)
{
	uint64_t c;

	for (unsigned i = 0; i < 32; i++) {
		if (!watches[i].cb || watches[i].fd != fd)
			continue;
		if (read(fd, &c, sizeof(c)) != sizeof(c))
			return false;
		watches[i].cb(watches[i].arg, c);
		return true;
	}
	return false;
}

static ssize_t be_recv(void *p, void *buf, size_t len)
{
	(void)p; (void)buf; (void)len;
	return -EAGAIN;
}

static ssize_t be_send(void *p, const struct iovec *iov, int n)
{
	(void)p; (void)iov; (void)n;
	sent++;
	return 60;
}

static int be_fd(void *p)
{
	(void)p;
	return 77;
}

static void be_destroy(void *p)
{
	(void)p;
	destroyed++;
}

static const struct vnet_backend_ops be_ops = {
	.recv = be_recv, .send = be_send, .fd = be_fd, .destroy = be_destroy,
};

static int make_dev(uint64_t kfeatures)
{
	struct pci_host_ops o;
	struct vhost_net *h = calloc(1, sizeof(*h));

	if (!h || virtio_fake_ram(&vm, &ram, RAM))
		return -1;
	memset(watches, 0, sizeof(watches));
	sent = destroyed = 0;
	fake_ops(&f, &o);
	o.watch_fd = w_watch;
	o.unwatch_fd = w_unwatch;
	fk_reset(kfeatures);
	if (virtio_fake_bus(&bus, &o) ||
	    vhost_net_init(h, eventfd(0, EFD_CLOEXEC), &fk_ops) ||
	    virtio_net_create(&bus, &vm.mem, MAC, &be_ops, NULL, h, &net))
		return -1;
	d = virtio_fake_function(&bus, SLOT);
	return d ? 0 : -1;
}

static int setup(void **state)
{
	(void)state;
	return make_dev(VF_RING | 1ull << 27);
}

static int teardown(void **state)
{
	(void)state;
	pci_bus_destroy(&bus);
	assert_int_equal(destroyed, 1);
	free(ram);
	return 0;
}

static uint32_t rd(unsigned off, unsigned len) { return virtio_fake_rd(d, off, len); }
static void wr(unsigned off, unsigned len, uint32_t v) { virtio_fake_wr(d, off, len, v); }

#define S_ALL (VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK)

static void msix_vector(unsigned n, bool masked)
{
	uint32_t lo = 0xfee00000, hi = 0, data = 0x40 + n, ctrl = masked;

	pci_msix_bar_access(d, VIRTIO_MSIX_BAR, 16 * n, &lo, 4, true);
	pci_msix_bar_access(d, VIRTIO_MSIX_BAR, 16 * n + 4, &hi, 4, true);
	pci_msix_bar_access(d, VIRTIO_MSIX_BAR, 16 * n + 8, &data, 4, true);
	pci_msix_bar_access(d, VIRTIO_MSIX_BAR, 16 * n + 12, &ctrl, 4, true);
}

/* As Linux does: MSI-X on, vectors 0 (config), 1 (rx), 2 (tx) unmasked, queues, DRIVER_OK. */
static void start(uint32_t feat, bool msix)
{
	assert_int_equal(virtio_fake_negotiate(d, feat | 1ull << 32) & VIRTIO_S_FEATURES_OK,
			 VIRTIO_S_FEATURES_OK);
	if (msix) {
		cfg_wr(&bus, SLOT, 0, d->msix.cap + 2, 2, 0x8000);
		for (unsigned n = 0; n < 3; n++)
			msix_vector(n, false);
		wr(0x10, 2, 0);
	}
	for (unsigned q = 0; q < 3; q++)
		virtio_fake_queue(d, q, QSIZE, QBASE(q), QBASE(q) + 0x1000, QBASE(q) + 0x2000,
				  !msix ? -1 : q < 2 ? (int)q + 1 : VIRTIO_NO_VECTOR);
	fk.n = 0;
	wr(0x14, 1, S_ALL | VIRTIO_S_DRIVER_OK);
}

static int callfd(unsigned q)
{
	return ((struct virtio_pci *)d->priv)->q[q].callfd;
}

static void test_features_offered(void **state)
{
	(void)state;
	wr(0x00, 4, 0);
	assert_true(rd(0x04, 4) & 1u << VIRTIO_NET_F_MRG_RXBUF);
	assert_true(rd(0x04, 4) & 1u << VIRTIO_F_EVENT_IDX);
	assert_true(rd(0x04, 4) & 1u << VIRTIO_F_INDIRECT_DESC);
	pci_bus_destroy(&bus);
	free(ram);
	/* A kernel without MRG_RXBUF, EVENT_IDX and INDIRECT_DESC: none of them offered; the
	 * offloads the tap does and the control queue stay. */
	assert_int_equal(make_dev(1ull << 32), 0);
	wr(0x00, 4, 0);
	assert_false(rd(0x04, 4) & 1u << VIRTIO_NET_F_MRG_RXBUF);
	assert_false(rd(0x04, 4) & 1u << VIRTIO_F_EVENT_IDX);
	assert_false(rd(0x04, 4) & 1u << VIRTIO_F_INDIRECT_DESC);
	assert_true(rd(0x04, 4) & 1u << VIRTIO_NET_F_CSUM);
	assert_true(rd(0x04, 4) & 1u << VIRTIO_NET_F_CTRL_VQ);
	wr(0x00, 4, 1);
	assert_int_equal(rd(0x04, 4), 1);		/* VERSION_1 */
}

static void test_driver_ok_hands_over(void **state)
{
	struct virtio_pci *v;
	int kick0, kick1, gsi1, gsi2, cf0, cf1;
	uint64_t one = 1;

	(void)state;
	v = d->priv;
	start(1u << VIRTIO_NET_F_MRG_RXBUF | 1u << VIRTIO_NET_F_CTRL_VQ, true);
	assert_true(vnet_vhost_running(net));
	cf0 = callfd(0);
	cf1 = callfd(1);
	assert_true(cf0 >= 0 && cf1 >= 0 && cf0 != cf1);
	/* The kernel got the rings: features (ring bits only), memory, rx then tx. */
	assert_int_equal(fk.n, 2 + 2 * 7);
	assert_true(fk.log[0].a == (1ull << 15 | 1ull << 32));
	kick0 = v->q[0].kickfd;
	kick1 = v->q[1].kickfd;
	assert_int_equal(kick0, d->doorbells[0].efd);
	assert_int_equal(kick1, d->doorbells[1].efd);
	assert_int_equal(fk.log[7].a, kick0);
	assert_int_equal(fk.log[14].a, kick1);
	assert_true(fk.log[4].a == (uintptr_t)(ram + QBASE(0)));
	/* vfvm's device thread no longer reads the rx/tx doorbells; the control queue's it does. */
	assert_false(watched(kick0));
	assert_false(watched(kick1));
	assert_true(watched(d->doorbells[2].efd));
	/* Calls go by irqfd to the vectors' GSIs, not through vfvm. */
	gsi1 = d->msix.vec[1].gsi;
	gsi2 = d->msix.vec[2].gsi;
	assert_true(gsi1 >= 24 && gsi2 >= 24);
	assert_int_equal(f.irqfd_of[gsi1], callfd(0));
	assert_int_equal(f.irqfd_of[gsi2], callfd(1));
	assert_false(watched(callfd(0)));
	/* A trapped notification (no ioeventfd) is passed on to the kernel's kick fd; the
	 * device model's queue code is not run for it. */
	wr(VIRTIO_NOTIFY_OFF + VIRTIO_NOTIFY_MULT * 1, 2, 1);
	assert_int_equal(v->q[1].kicks_relayed, 1);
	assert_int_equal(sent, 0);
	{
		uint64_t c = 0;

		assert_int_equal(read(kick1, &c, sizeof(c)), sizeof(c));
		assert_int_equal(c, 1);
	}
	/* Masking the rx vector: the irqfd goes, the device thread watches the call fd, and a
	 * call sets the vector's pending bit instead of interrupting. */
	msix_vector(1, true);
	assert_int_not_equal(f.irqfd_of[gsi1], cf0);
	assert_true(watched(callfd(0)));
	assert_int_equal(write(callfd(0), &one, 8), 8);
	assert_true(run_watch(callfd(0)));
	assert_true(pci_msix_pending(d, 1));
	assert_int_equal(v->q[0].calls_relayed, 1);
	/* Unmasked: the pending message goes out, the irqfd is back, the watch gone. */
	msix_vector(1, false);
	assert_false(pci_msix_pending(d, 1));
	assert_int_equal(f.irqfd_of[d->msix.vec[1].gsi], callfd(0));
	assert_false(watched(callfd(0)));
	/* The function mask does the same for every vector. */
	cfg_wr(&bus, SLOT, 0, d->msix.cap + 2, 2, 0xc000);
	assert_true(watched(callfd(0)) && watched(callfd(1)));
	cfg_wr(&bus, SLOT, 0, d->msix.cap + 2, 2, 0x8000);
	assert_false(watched(callfd(0)) || watched(callfd(1)));
	/* The driver moves tx to vector 1: its call follows. */
	wr(0x16, 2, 1);
	wr(0x1a, 2, 1);
	assert_false(watched(callfd(1)));
	assert_int_equal(f.irqfd_of[d->msix.vec[1].gsi], callfd(1));
	/* NO_VECTOR: watched (and dropped there, §4.1.5.1.2). */
	wr(0x1a, 2, VIRTIO_NO_VECTOR);
	assert_true(watched(callfd(1)));
	/* MSI-X off: the device thread raises INTx and the ISR. */
	wr(0x1a, 2, 2);
	cfg_wr(&bus, SLOT, 0, d->msix.cap + 2, 2, 0);
	assert_true(watched(callfd(0)) && watched(callfd(1)));
	assert_int_equal(write(callfd(1), &one, 8), 8);
	assert_true(run_watch(callfd(1)));
	assert_int_equal(rd(VIRTIO_ISR_OFF, 1), 1);
	/* Reset: the tap detached, rings stopped and given back; the doorbells are vfvm's. */
	fk.n = 0;
	wr(0x14, 1, 0);
	assert_false(vnet_vhost_running(net));
	assert_int_equal(fk.n, 10);
	assert_int_equal(fk.log[0].req, VHOST_NET_SET_BACKEND);
	assert_int_equal(fk.log[2].req, VHOST_GET_VRING_BASE);
	assert_true(watched(kick0) && watched(kick1));
	assert_false(v->q[0].external || v->q[1].external);
	assert_int_equal(v->q[0].callfd, -1);
	/* The call eventfds are neither watched nor bound any more. */
	for (unsigned g = 0; g < 64; g++)
		assert_true(f.irqfd_of[g] != cf0 && f.irqfd_of[g] != cf1);
	assert_false(watched(cf0) || watched(cf1));
	/* The driver starts again: handed over again. */
	start(1u << VIRTIO_NET_F_MRG_RXBUF, true);
	assert_true(vnet_vhost_running(net));
	assert_int_equal(fk.n, 2 + 2 * 7);
}

/* The kernel refusing the rings: one line, the queues stay vfvm's, frames go by user space. */
static void test_refused_falls_back(void **state)
{
	struct virtio_pci *v;
	uint8_t *p;
	uint16_t head = 0, idx = 1;
	uint64_t addr = 0x20000;
	uint32_t len = 100;
	uint16_t flags = 0;

	(void)state;
	v = d->priv;
	wr(0x14, 1, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
	wr(0x08, 4, 1);
	wr(0x0c, 4, 1);
	wr(0x14, 1, S_ALL);
	for (unsigned q = 0; q < 3; q++) {
		wr(0x16, 2, q);
		wr(0x18, 2, QSIZE);
		wr(0x20, 4, QBASE(q));
		wr(0x28, 4, QBASE(q) + 0x1000);
		wr(0x30, 4, QBASE(q) + 0x2000);
		wr(0x1c, 2, 1);
	}
	fk.n = 0;
	fk.fail_at = 3;			/* SET_VRING_NUM of rx */
	wr(0x14, 1, S_ALL | VIRTIO_S_DRIVER_OK);
	assert_false(vnet_vhost_running(net));
	assert_false(v->q[0].external || v->q[1].external);
	assert_true(watched(d->doorbells[0].efd) && watched(d->doorbells[1].efd));
	/* The undoing: GET_VRING_BASE of the ring that was started (rx), no SET_BACKEND. */
	assert_int_equal(fk.log[3].req, VHOST_GET_VRING_BASE);
	/* A transmit now goes through vfvm's own path. */
	p = ram + QBASE(1);
	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(ram + QBASE(1) + 0x1000 + 4, &head, 2);
	memcpy(ram + QBASE(1) + 0x1000 + 2, &idx, 2);
	wr(VIRTIO_NOTIFY_OFF + VIRTIO_NOTIFY_MULT * 1, 2, 1);
	assert_int_equal(sent, 1);
	/* Refused once: later inits stay in user space, no more ioctls. */
	fk.n = 0;
	wr(0x14, 1, 0);
	start(0, false);
	assert_false(vnet_vhost_running(net));
	assert_int_equal(fk.n, 0);
}

/* A ring error the kernel reports: DEVICE_NEEDS_RESET, as vfvm's own ring checks do. */
static void test_ring_error(void **state)
{
	struct virtio_pci *v;
	uint64_t one = 1;
	int efd = -1;

	(void)state;
	v = d->priv;
	start(0, true);
	assert_true(vnet_vhost_running(net));
	efd = (int)fk.log[6].a;			/* rx's SET_VRING_ERR */
	assert_int_equal(fk.log[6].req, VHOST_SET_VRING_ERR);
	assert_true(watched(efd));
	assert_int_equal(write(efd, &one, 8), 8);
	assert_true(run_watch(efd));
	assert_true(rd(0x14, 1) & VIRTIO_S_NEEDS_RESET);
	assert_int_equal(v->faults, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_start_stop),
		cmocka_unit_test(test_start_failures),
		cmocka_unit_test(test_stop_failures),
		cmocka_unit_test(test_vring_order),
		cmocka_unit_test(test_regions),
		cmocka_unit_test(test_net_vhost_open),
		cmocka_unit_test_setup_teardown(test_features_offered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_driver_ok_hands_over, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_falls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ring_error, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
