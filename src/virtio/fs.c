/* fs.c - virtio-fs (virtio 1.2 §5.11): vfvm presents the PCI function and its configuration
 * (tag, one request queue); the queues themselves are handed to a vhost-user back end at
 * DRIVER_OK, which reads the guest's FUSE requests from shared guest RAM and answers there.
 * Kicks go from KVM's ioeventfd to the back end, calls by irqfd to the queue's MSI-X vector
 * (virtio_queue_hand_over, as vhost-net's): no vfvm thread in between. */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "core/mem.h"
#include "pci/pci_dev.h"
#include "virtio/fs.h"
#include "virtio/fs_req.h"
#include "virtio/le.h"
#include "virtio/vhost.h"
#include "virtio/vhost_user.h"
#include "virtio/virtio_pci.h"

#define FS_DEVICE_ID	26
#define FS_CFG_LEN	40	/* tag[36], le32 num_request_queues (§5.11.4) */

struct fs_queue {
	struct virtio_fs *fs;
	unsigned index;
	int call;		/* the eventfd the back end signals (its kick is the doorbell's) */
	bool started;
};

struct virtio_fs {
	struct virtio_pci *v;
	struct virtio_dev_ops ops;
	const struct guest_mem *mem;
	struct pci_bus *bus;
	struct vhu_conn conn;
	bool conn_watched;	/* the device thread sees the socket close */
	bool quiet;		/* the machine reports the daemon's end (--share) */
	char tag[FS_TAG_MAX + 1];
	struct fs_queue q[FS_QUEUES];
	bool started;		/* memory table and rings handed over */
	bool dead;		/* the back end failed: said once, vfvm answers the queues */
	struct vq_seg seg[FS_QUEUE_SIZE];	/* a chain vfvm answers (fs_serve_dead) */
};

int virtio_fs_tag_check(const char *tag)
{
	size_t n = strlen(tag);

	if (!n || n > FS_TAG_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (tag[i] <= ' ' || tag[i] > '~' || tag[i] == ',')
			return -EINVAL;
	return 0;
}

static void fs_cfg_read(struct virtio_pci *v, unsigned off, void *data, unsigned len)
{
	struct virtio_fs *fs = v->priv;
	uint8_t cfg[FS_CFG_LEN] = { 0 };
	uint32_t nreq = FS_QUEUES - 1;

	memcpy(cfg, fs->tag, strlen(fs->tag));
	memcpy(cfg + FS_TAG_MAX, &nreq, sizeof(nreq));
	memcpy(data, cfg + off, len);
}

/* A request the back end can no longer answer: FUSE error -EIO (§5.11.6.1). */
static int64_t fs_serve_dead(void *arg, struct vq_chain *c)
{
	(void)arg;
	return fs_req_fail(c, -EIO);
}

static void fs_queue_serve_dead(struct virtio_fs *fs, unsigned q)
{
	struct vq_chain c = { .seg = fs->seg, .max_seg = FS_QUEUE_SIZE };

	if (fs->v->q[q].enabled && fs->v->q[q].vq.ready)
		virtio_queue_serve(fs->v, q, &c, fs_serve_dead, fs);
}

/*
 * Queue @q comes back from the dead back end. What it had taken and not used (in flight) is
 * in the available ring from the used ring's index on, in order for a back end that answers
 * in order (virtiofsd without a thread pool, as vfvm starts it); vfvm answers those and every
 * later request itself.
 */
static void fs_queue_reclaim(struct virtio_fs *fs, unsigned q)
{
	struct virtqueue *vq = &fs->v->q[q].vq;
	uint64_t c;

	if (!fs->q[q].started)
		return;
	fs->q[q].started = false;
	virtio_queue_take_back(fs->v, q);
	while (read(fs->q[q].call, &c, sizeof(c)) == sizeof(c))
		;
	if (!vq->ready)
		return;
	vq->used_idx = le_ld16(vq->used + 2);
	vq->last_avail = vq->used_idx;
	vq->signalled_valid = false;
	fs_queue_serve_dead(fs, q);
}

static void fs_unwatch(struct virtio_fs *fs)
{
	if (fs->conn_watched && fs->bus->ops.unwatch_fd)
		fs->bus->ops.unwatch_fd(fs->bus->ops.opaque, fs->conn.fd);
	fs->conn_watched = false;
}

/* One line, once (unless the machine says it for its own daemon): the guest's requests on
 * the share fail from now on, vfvm goes on. */
static bool fs_say_dead(struct virtio_fs *fs, const char *what, int r)
{
	if (fs->dead)
		return false;
	fs->dead = true;
	fs_unwatch(fs);
	if (!fs->quiet || r != -ECONNRESET)
		fprintf(stderr, "vfvm: virtio-fs %s: the vhost-user back end failed at %s: %s; "
			"the guest's requests on the share fail with EIO from now on (restart "
			"the VM to get it back)\n", fs->tag, what, strerror(-r));
	return true;
}

/* The back end is gone: its queues come back and vfvm answers them. */
static void fs_fail(struct virtio_fs *fs, const char *what, int r)
{
	if (!fs_say_dead(fs, what, r))
		return;
	for (unsigned i = 0; i < FS_QUEUES; i++)
		fs_queue_reclaim(fs, i);
}

/* The socket is readable: a back end never speaks unasked on it, so this is its end (EOF,
 * an error) or a message out of turn; either way it is gone. Device thread, VM lock held. */
static void fs_conn_event(void *arg, uint64_t count)
{
	struct virtio_fs *fs = arg;
	char b;
	struct iovec iov = { &b, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	/* recvmsg, not recv (recvfrom): the device thread's seccomp list has only the former. */
	ssize_t n = recvmsg(fs->conn.fd, &mh, MSG_PEEK | MSG_DONTWAIT);

	(void)count;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	fs_fail(fs, n > 0 ? "a message out of turn" : "its socket", n > 0 ? -EPROTO :
		n == 0 ? -ECONNRESET : -errno);
}

/* Notifications reach the device model only for queues vfvm serves: once the back end died,
 * or before it had them (§3.1.1: a driver may kick before DRIVER_OK). */
static void fs_notify(struct virtio_pci *v, unsigned q)
{
	struct virtio_fs *fs = v->priv;

	if (fs->dead)
		fs_queue_serve_dead(fs, q);
}

static int fs_mem_table(struct virtio_fs *fs)
{
	struct vhost_region g[VHU_MAX_REGIONS];
	struct vhu_region r[VHU_MAX_REGIONS];
	int fds[VHU_MAX_REGIONS], n = vhost_regions(fs->mem, g, VHU_MAX_REGIONS);

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		r[i] = (struct vhu_region){ g[i].gpa, g[i].size, g[i].uaddr, 0 };
		fds[i] = g[i].fd;
	}
	return vhu_set_mem(&fs->conn, r, fds, n);
}

/* The ring of queue @q, given in vfvm's own addresses (the back end maps the same memfds). */
static int fs_queue_start(struct virtio_fs *fs, struct fs_queue *q)
{
	const struct virtqueue *vq = &fs->v->q[q->index].vq;
	uint64_t ua[3] = {
		(uint64_t)(uintptr_t)vq->desc, (uint64_t)(uintptr_t)vq->used,
		(uint64_t)(uintptr_t)vq->avail,
	};
	int kick = virtio_queue_hand_over(fs->v, q->index, q->call), r;

	if (kick < 0)
		return kick;
	q->started = true;		/* GET_VRING_BASE at reset even if this fails half-way */
	r = vhu_vring_start(&fs->conn, q->index, vq->size, 0, ua, kick, q->call);
	return r;
}

static int fs_start(struct virtio_fs *fs)
{
	int r = vhu_set_features(&fs->conn, fs->v->guest_features);

	if (r < 0) {
		fs_fail(fs, "SET_FEATURES", r);
		return r;
	}
	r = fs_mem_table(fs);
	if (r < 0) {
		fs_fail(fs, "SET_MEM_TABLE", r);
		return r;
	}
	for (unsigned i = 0; i < FS_QUEUES; i++) {
		if (!fs->v->q[i].enabled || !fs->v->q[i].vq.ready)
			continue;
		r = fs_queue_start(fs, &fs->q[i]);
		if (r < 0) {
			fs_fail(fs, "the queue set-up", r);
			return r;
		}
	}
	fs->started = true;
	return 0;
}

/* DRIVER_OK (§3.1.1): the memory table and the enabled rings to the back end. */
static void fs_driver_ok(struct virtio_pci *v)
{
	struct virtio_fs *fs = v->priv;

	if (!fs->dead && !fs->started)
		fs_start(fs);
}

/* §2.4 reset: the back end gives the rings back (GET_VRING_BASE stops each one), and the
 * queues come back to the transport. */
static void fs_reset(struct virtio_pci *v)
{
	struct virtio_fs *fs = v->priv;
	uint64_t c;

	for (unsigned i = 0; i < FS_QUEUES; i++) {
		uint16_t base;
		int r;

		if (!fs->q[i].started)
			continue;
		fs->q[i].started = false;
		r = fs->dead ? 0 : vhu_vring_stop(&fs->conn, i, &base);
		if (r < 0)
			fs_say_dead(fs, "GET_VRING_BASE", r);	/* the rings are reset anyway */
		virtio_queue_take_back(v, i);
		while (read(fs->q[i].call, &c, sizeof(c)) == sizeof(c))
			;		/* a call after the last interrupt is stale now */
	}
	fs->started = false;
}

static void fs_free(struct virtio_fs *fs)
{
	fs_unwatch(fs);
	for (unsigned i = 0; i < FS_QUEUES; i++) {
		if (fs->v)
			virtio_queue_take_back(fs->v, i);
		if (fs->q[i].call >= 0)
			close(fs->q[i].call);
	}
	vhu_close(&fs->conn);
	free(fs);
}

static void fs_destroy(struct virtio_pci *v)
{
	fs_free(v->priv);
}

static int fs_queues(struct virtio_fs *fs, struct err *err)
{
	for (unsigned i = 0; i < FS_QUEUES; i++) {
		struct fs_queue *q = &fs->q[i];

		q->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (q->call < 0)
			return err_set(err, errno, "virtio-fs: eventfd: %s", strerror(errno));
	}
	return 0;
}

/* What the device offers: INDIRECT and EVENT_IDX only where the back end does them. */
static uint64_t fs_features(const struct virtio_fs *fs)
{
	return fs->conn.features & (1ull << VIRTIO_F_INDIRECT_DESC | 1ull << VIRTIO_F_EVENT_IDX);
}

static int fs_connect(struct virtio_fs *fs, const char *sock, struct err *err)
{
	int r = vhu_connect(&fs->conn, sock);

	if (r < 0)
		return err_set(err, -r, "virtio-fs %s: cannot connect to the vhost-user socket "
			       "%s: %s; is its daemon running?", fs->tag, sock, strerror(-r));
	r = vhu_handshake(&fs->conn);
	if (r < 0)
		return err_set(err, -r, "virtio-fs %s: the vhost-user back end at %s did not "
			       "answer the handshake: %s", fs->tag, sock, strerror(-r));
	if (!(fs->conn.features & (1ull << VIRTIO_F_VERSION_1)))
		return err_set(err, EPROTO, "virtio-fs %s: the back end at %s does not offer "
			       "VIRTIO_F_VERSION_1", fs->tag, sock);
	if (fs->bus->ops.watch_input &&
	    fs->bus->ops.watch_input(fs->bus->ops.opaque, fs->conn.fd, fs_conn_event, fs) == 0)
		fs->conn_watched = true;
	return 0;
}

int virtio_fs_create(struct pci_bus *bus, const struct guest_mem *mem, const char *sock,
		     const char *tag, bool quiet, struct err *err)
{
	struct virtio_fs *fs;
	int r;

	if (virtio_fs_tag_check(tag) < 0)
		return err_input(err, EINVAL, "virtio-fs: tag '%s': 1 to %d printable characters, "
				 "no spaces or commas", tag, FS_TAG_MAX);
	if (!mem->shared)
		return err_set(err, EINVAL, "virtio-fs: guest RAM is not shared");
	fs = calloc(1, sizeof(*fs));
	if (!fs)
		return err_set(err, ENOMEM, "virtio-fs: out of memory");
	fs->mem = mem;
	fs->bus = bus;
	fs->quiet = quiet;
	fs->conn.fd = -1;
	snprintf(fs->tag, sizeof(fs->tag), "%s", tag);
	for (unsigned i = 0; i < FS_QUEUES; i++)
		fs->q[i] = (struct fs_queue){ .fs = fs, .index = i, .call = -1 };
	r = fs_connect(fs, sock, err);
	if (r == 0)
		r = fs_queues(fs, err);
	if (r < 0)
		goto fail;
	fs->ops = (struct virtio_dev_ops){
		.device_id = FS_DEVICE_ID,
		.pci_class = 0x018000,		/* mass storage, other */
		.features = fs_features(fs),
		.nqueues = FS_QUEUES,
		.queue_max = FS_QUEUE_SIZE,
		.cfg_len = FS_CFG_LEN,
		.external = true,
		.cfg_read = fs_cfg_read,
		.driver_ok = fs_driver_ok,
		.queue_notify = fs_notify,
		.reset = fs_reset,
		.destroy = fs_destroy,
	};
	r = virtio_pci_create(bus, &fs->ops, fs, mem, &fs->v);
	if (r < 0) {
		err_set(err, -r, "virtio-fs %s: cannot create the PCI function: %s", tag,
			strerror(-r));
		goto fail;
	}
	return 0;
fail:
	fs_free(fs);
	return r;
}
