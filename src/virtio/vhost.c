/* vhost.c - vhost-net (Linux drivers/vhost/net.c through the linux/vhost.h UAPI): the kernel
 * moves frames between a tap and the guest's rings, so packets never pass through vfvm. Also
 * the vring hand-over and region table vhost-net and vhost-user share. */
#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "core/mem.h"
#include "virtio/vhost.h"

/* Bit numbers from virtio 1.2 §6 and §5.1.3 (linux/virtio_*.h would clash with our names). */
#define F_MRG_RXBUF	15
#define F_INDIRECT	28
#define F_EVENT_IDX	29
#define F_VERSION_1	32

int vhost_vring_start(const struct vhost_vring_ops *o, void *be, const struct vhost_vring *r,
		      const char **step)
{
	int e;

	*step = "SET_VRING_NUM";
	if ((e = o->num(be, r->index, r->num)) < 0)
		return e;
	*step = "SET_VRING_BASE";
	if ((e = o->base(be, r->index, r->base)) < 0)
		return e;
	*step = "SET_VRING_ADDR";
	if ((e = o->addr(be, r->index, r->desc, r->used, r->avail)) < 0)
		return e;
	*step = "SET_VRING_CALL";
	if ((e = o->call(be, r->index, r->call)) < 0)
		return e;
	*step = "SET_VRING_ERR";
	if (o->err && r->err >= 0 && (e = o->err(be, r->index, r->err)) < 0)
		return e;
	*step = "SET_VRING_KICK";
	if ((e = o->kick(be, r->index, r->kick)) < 0)
		return e;
	*step = "enabling the ring";
	if (o->enable && (e = o->enable(be, r->index)) < 0)
		return e;
	*step = NULL;
	return 0;
}

int vhost_regions(const struct guest_mem *m, struct vhost_region *r, unsigned max)
{
	if (m->n > max)
		return -E2BIG;
	for (unsigned i = 0; i < m->n; i++)
		r[i] = (struct vhost_region){ m->r[i].gpa, m->r[i].size,
					      (uint64_t)(uintptr_t)m->r[i].hva,
					      m->shared ? m->r[i].fd : -1 };
	return m->n;
}

/* --- vhost-net --- */

static int real_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	(void)ctx;
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

const struct vhost_kernel_ops vhost_kernel_real = { .ioctl = real_ioctl };

static int kio(struct vhost_net *h, unsigned long req, void *arg)
{
	return h->k->ioctl(h->k->ctx, h->fd, req, arg);
}

uint64_t vhost_net_ring_features(void)
{
	return 1ull << F_MRG_RXBUF | 1ull << F_INDIRECT | 1ull << F_EVENT_IDX |
	       1ull << F_VERSION_1;
}

int vhost_net_init(struct vhost_net *h, int fd, const struct vhost_kernel_ops *k)
{
	int r;

	memset(h, 0, sizeof(*h));
	h->fd = fd;
	h->k = k;
	/* The kernel's worker takes this process's memory for the guest addresses (vhost.c). */
	if ((r = kio(h, VHOST_SET_OWNER, NULL)) < 0 ||
	    (r = kio(h, VHOST_GET_FEATURES, &h->features)) < 0) {
		close(h->fd);
		h->fd = -1;
		return r;
	}
	return 0;
}

int vhost_net_open(struct vhost_net *h, const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		h->fd = -1;
		return -errno;
	}
	return vhost_net_init(h, fd, &vhost_kernel_real);
}

static int set_mem(struct vhost_net *h, const struct guest_mem *mem)
{
	struct vhost_region reg[VHOST_MAX_REGIONS];
	struct vhost_memory *m;
	int n = vhost_regions(mem, reg, VHOST_MAX_REGIONS), r;

	if (n < 0)
		return n;
	m = calloc(1, sizeof(*m) + n * sizeof(m->regions[0]));
	if (!m)
		return -ENOMEM;
	m->nregions = n;
	for (int i = 0; i < n; i++)
		m->regions[i] = (struct vhost_memory_region){
			.guest_phys_addr = reg[i].gpa, .memory_size = reg[i].size,
			.userspace_addr = reg[i].uaddr,
		};
	r = kio(h, VHOST_SET_MEM_TABLE, m);
	free(m);
	return r;
}

/* The ring operations as ioctls (linux/vhost.h: vhost_vring_state, _addr, _file). */
static int k_state(struct vhost_net *h, unsigned long req, unsigned i, unsigned num)
{
	struct vhost_vring_state s = { .index = i, .num = num };

	return kio(h, req, &s);
}

static int k_file(struct vhost_net *h, unsigned long req, unsigned i, int fd)
{
	struct vhost_vring_file f = { .index = i, .fd = fd };

	return kio(h, req, &f);
}

static int k_num(void *be, unsigned i, unsigned num)
{
	return k_state(be, VHOST_SET_VRING_NUM, i, num);
}

static int k_base(void *be, unsigned i, unsigned base)
{
	return k_state(be, VHOST_SET_VRING_BASE, i, base);
}

static int k_addr(void *be, unsigned i, uint64_t desc, uint64_t used, uint64_t avail)
{
	struct vhost_vring_addr a = {
		.index = i, .desc_user_addr = desc, .used_user_addr = used,
		.avail_user_addr = avail,
	};

	return kio(be, VHOST_SET_VRING_ADDR, &a);
}

static int k_call(void *be, unsigned i, int fd)
{
	return k_file(be, VHOST_SET_VRING_CALL, i, fd);
}

static int k_err(void *be, unsigned i, int fd)
{
	return k_file(be, VHOST_SET_VRING_ERR, i, fd);
}

static int k_kick(void *be, unsigned i, int fd)
{
	return k_file(be, VHOST_SET_VRING_KICK, i, fd);
}

static const struct vhost_vring_ops kernel_vring_ops = {
	.num = k_num, .base = k_base, .addr = k_addr, .call = k_call, .err = k_err,
	.kick = k_kick,
};

int vhost_net_start(struct vhost_net *h, uint64_t features, const struct guest_mem *mem,
		    const struct vhost_vring *r, unsigned n, int tapfd, const char **step)
{
	uint64_t f = features & h->features;
	int e;

	if (h->state != VHOST_NET_IDLE || n > VHOST_NET_QUEUES) {
		*step = "start (already running)";
		return -EBUSY;
	}
	*step = "SET_FEATURES";
	if ((e = kio(h, VHOST_SET_FEATURES, &f)) < 0)
		return e;
	*step = "SET_MEM_TABLE";
	if ((e = set_mem(h, mem)) < 0)
		return e;
	h->state = VHOST_NET_RUNNING;
	for (unsigned q = 0; q < n; q++) {
		if (r[q].index >= VHOST_NET_QUEUES) {
			*step = "a ring index";
			e = -EINVAL;
			goto fail;
		}
		h->started[r[q].index] = true;
		if ((e = vhost_vring_start(&kernel_vring_ops, h, &r[q], step)) < 0)
			goto fail;
		*step = "VHOST_NET_SET_BACKEND";
		if ((e = k_file(h, VHOST_NET_SET_BACKEND, r[q].index, tapfd)) < 0)
			goto fail;
		h->attached[r[q].index] = true;
	}
	*step = NULL;
	return 0;
fail:
	vhost_net_stop(h);
	return e;
}

int vhost_net_stop(struct vhost_net *h)
{
	int first = 0, e;

	if (h->state != VHOST_NET_RUNNING)
		return 0;
	/* The tap off first: no frame is taken from or put on a ring being stopped. */
	for (unsigned q = 0; q < VHOST_NET_QUEUES; q++) {
		if (!h->attached[q])
			continue;
		h->attached[q] = false;
		if ((e = k_file(h, VHOST_NET_SET_BACKEND, q, -1)) < 0 && !first)
			first = e;
	}
	for (unsigned q = 0; q < VHOST_NET_QUEUES; q++) {
		struct vhost_vring_state s = { .index = q };

		if (!h->started[q])
			continue;
		h->started[q] = false;
		if ((e = kio(h, VHOST_GET_VRING_BASE, &s)) < 0 && !first)
			first = e;
		h->last_base[q] = e < 0 ? 0 : s.num;
		/* The eventfds let go of: the kick is vfvm's doorbell again, the call its own. */
		if ((e = k_file(h, VHOST_SET_VRING_KICK, q, -1)) < 0 && !first)
			first = e;
		if ((e = k_file(h, VHOST_SET_VRING_CALL, q, -1)) < 0 && !first)
			first = e;
		if ((e = k_file(h, VHOST_SET_VRING_ERR, q, -1)) < 0 && !first)
			first = e;
	}
	h->state = VHOST_NET_IDLE;
	return first;
}

void vhost_net_close(struct vhost_net *h)
{
	if (h->fd < 0)
		return;
	vhost_net_stop(h);
	close(h->fd);
	h->fd = -1;
}
