/* blk.c - the virtio-blk device (virtio 1.2 §5.2) and its I/O back end: requests are submitted
 * to io_uring straight from guest RAM and completed on the PCI device thread when their CQE
 * arrives; without io_uring, synchronous preadv/pwritev on the notifying thread. */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "virtio/blk.h"
#include "virtio/virtio_pci.h"
#include "core/vm.h"

#define BLK_DIO_ALIGN	512	/* O_DIRECT buffer and length alignment we ensure */

struct virtio_blk;

/* One request in flight: from vq_pop() to vq_push(). */
struct blk_io {
	struct virtio_blk *b;
	unsigned q;
	uint16_t head;
	struct blk_req r;
	unsigned cur;			/* r.iov[cur..] still to transfer (short I/O resumed) */
	uint32_t done;			/* data bytes transferred */
	void *bounce;			/* O_DIRECT and unaligned guest buffers */
	unsigned pending;		/* SQEs not yet completed */
	int err;			/* first error (negative errno) */
	struct blk_io *next;		/* free list */
};

struct virtio_blk {
	struct virtio_pci *v;
	struct virtio_dev_ops ops;	/* per device: nqueues follows --cpus */
	struct blk_image *img;
	struct io_uring ring;
	bool uring;			/* false: the synchronous fallback */
	int efd;			/* io_uring's completion eventfd */
	struct blk_io *ios, *free;
	unsigned inflight;
	bool starved[BLK_MAX_QUEUES];	/* a queue stopped popping for want of a free blk_io */
	bool pushed[BLK_MAX_QUEUES];	/* used entries not yet signalled */
	bool draining;			/* reset: complete without answering the driver */
	uint64_t requests, errors;
};

/* --- completion --- */

static uint32_t io_written(const struct blk_io *io)
{
	/* Bytes the device wrote into the chain (§2.7.8 used.len): data read, and the status. */
	bool wrote = io->r.type == VIRTIO_BLK_T_IN || io->r.type == VIRTIO_BLK_T_GET_ID;

	return (wrote ? io->done : 0) + 1;
}

static void io_finish(struct blk_io *io, uint8_t status)
{
	struct virtio_blk *b = io->b;

	b->errors += status != VIRTIO_BLK_S_OK;
	if (!b->draining) {
		*io->r.status = status;
		vq_push(&b->v->q[io->q].vq, io->head, io_written(io));
		b->pushed[io->q] = true;
	}
	free(io->bounce);
	io->bounce = NULL;
	io->next = b->free;
	b->free = io;
	b->inflight--;
}

/* Bounce buffer → guest buffers after an O_DIRECT read. */
static void bounce_out(struct blk_io *io)
{
	uint32_t off = 0;

	for (unsigned i = 0; i < io->r.niov && off < io->done; i++) {
		size_t l = io->r.iov[i].iov_len;

		if (l > io->done - off)
			l = io->done - off;
		memcpy(io->r.iov[i].iov_base, (uint8_t *)io->bounce + off, l);
		off += l;
	}
}

static bool io_is_rw(const struct blk_io *io)
{
	return io->r.type == VIRTIO_BLK_T_IN || io->r.type == VIRTIO_BLK_T_OUT;
}

static int io_submit(struct blk_io *io);

/* A read or write moved @n bytes: skip them in the iovecs; true if some remain. */
static bool io_advance(struct blk_io *io, uint32_t n)
{
	io->done += n;
	if (io->bounce)
		return io->done < io->r.len;
	while (n && io->cur < io->r.niov) {
		struct iovec *v = &io->r.iov[io->cur];

		if (n < v->iov_len) {
			v->iov_base = (uint8_t *)v->iov_base + n;
			v->iov_len -= n;
			break;
		}
		n -= v->iov_len;
		io->cur++;
	}
	return io->done < io->r.len;
}

static uint8_t io_status(const struct blk_io *io)
{
	if (!io->err)
		return VIRTIO_BLK_S_OK;
	/* A discard the file cannot do loses nothing (§5.2.6.2: its data become undefined). */
	if (io->r.type == VIRTIO_BLK_T_DISCARD && io->err == -EOPNOTSUPP)
		return VIRTIO_BLK_S_OK;
	return io->err == -EOPNOTSUPP ? VIRTIO_BLK_S_UNSUPP : VIRTIO_BLK_S_IOERR;
}

/* One SQE of @io completed with @res (bytes, or a negative errno). */
static void io_complete(struct blk_io *io, int res)
{
	io->pending--;
	if (res < 0 && !io->err)
		io->err = res;
	if (io_is_rw(io) && res >= 0 && !io->err) {
		/* A short transfer (signal, end of a block device): resubmit the rest. */
		if (res == 0)
			io->err = -EIO;
		else if (io_advance(io, res) && io_submit(io))
			io->err = -EIO;
	}
	if (io->pending)
		return;
	if (!io->err && io->bounce && io->r.type == VIRTIO_BLK_T_IN)
		bounce_out(io);
	io_finish(io, io_status(io));
}

/* --- submission --- */

static off_t io_offset(const struct blk_io *io)
{
	return (off_t)(io->r.sector * BLK_SECTOR + io->done);
}

static int extent_mode(const struct blk_io *io, const struct blk_extent *e)
{
	if (io->r.type == VIRTIO_BLK_T_DISCARD || (e->flags & VIRTIO_BLK_WZ_F_UNMAP))
		return FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
	return FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
}

/* The synchronous fallback: the same operations, done now. */
static int sync_rw(struct blk_io *io)
{
	int fd = io->b->img->fd;
	bool in = io->r.type == VIRTIO_BLK_T_IN;
	ssize_t n;

	if (io->bounce) {
		void *p = (uint8_t *)io->bounce + io->done;
		size_t l = io->r.len - io->done;

		n = in ? pread(fd, p, l, io_offset(io)) : pwrite(fd, p, l, io_offset(io));
	} else {
		n = in ? preadv(fd, io->r.iov + io->cur, io->r.niov - io->cur, io_offset(io))
		       : pwritev(fd, io->r.iov + io->cur, io->r.niov - io->cur, io_offset(io));
	}
	return n < 0 ? -errno : (int)n;
}

static void sync_submit(struct blk_io *io)
{
	int fd = io->b->img->fd, r;

	switch (io->r.type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		io->pending++;
		do {
			r = sync_rw(io);
		} while (r == -EINTR);
		io_complete(io, r);	/* resubmits itself (here: loops) on a short transfer */
		return;
	case VIRTIO_BLK_T_FLUSH:
		io->pending++;
		io_complete(io, fdatasync(fd) ? -errno : 0);
		return;
	default:
		io->pending += io->r.next;
		for (unsigned i = 0; i < io->r.next; i++) {
			const struct blk_extent *e = &io->r.ext[i];

			r = fallocate(fd, extent_mode(io, e), (off_t)(e->sector * BLK_SECTOR),
				      (off_t)e->sectors * BLK_SECTOR);
			io_complete(io, r ? -errno : 0);
		}
	}
}

static struct io_uring_sqe *sqe_get(struct virtio_blk *b)
{
	struct io_uring_sqe *s = io_uring_get_sqe(&b->ring);

	if (!s) {
		io_uring_submit(&b->ring);	/* SQ full: push what is there, then retry */
		s = io_uring_get_sqe(&b->ring);
	}
	return s;
}

static void sqe_rw(struct blk_io *io, struct io_uring_sqe *s)
{
	int fd = io->b->img->fd;
	bool in = io->r.type == VIRTIO_BLK_T_IN;

	if (io->bounce) {
		void *p = (uint8_t *)io->bounce + io->done;
		unsigned l = io->r.len - io->done;

		if (in)
			io_uring_prep_read(s, fd, p, l, io_offset(io));
		else
			io_uring_prep_write(s, fd, p, l, io_offset(io));
	} else if (in) {
		io_uring_prep_readv(s, fd, io->r.iov + io->cur, io->r.niov - io->cur,
				    io_offset(io));
	} else {
		io_uring_prep_writev(s, fd, io->r.iov + io->cur, io->r.niov - io->cur,
				     io_offset(io));
	}
}

/* Queues @io's SQEs (submitted by the caller's io_uring_submit). 0, or -EBUSY: no SQE. */
static int uring_submit(struct blk_io *io)
{
	struct virtio_blk *b = io->b;
	unsigned n = io_is_rw(io) || io->r.type == VIRTIO_BLK_T_FLUSH ? 1 : io->r.next;

	for (unsigned i = 0; i < n; i++) {
		struct io_uring_sqe *s = sqe_get(b);

		if (!s)
			return -EBUSY;
		if (io_is_rw(io)) {
			sqe_rw(io, s);
		} else if (io->r.type == VIRTIO_BLK_T_FLUSH) {
			io_uring_prep_fsync(s, b->img->fd, IORING_FSYNC_DATASYNC);
		} else {
			const struct blk_extent *e = &io->r.ext[i];

			io_uring_prep_fallocate(s, b->img->fd, extent_mode(io, e),
						e->sector * BLK_SECTOR,
						(uint64_t)e->sectors * BLK_SECTOR);
		}
		io_uring_sqe_set_data(s, io);
		io->pending++;
	}
	return 0;
}

/* Starts (or resumes) @io's I/O. 0 if under way or finished, negative if it could not be. */
static int io_submit(struct blk_io *io)
{
	if (!io->b->uring) {
		sync_submit(io);	/* a short transfer comes back here through io_complete */
		return 0;
	}
	return uring_submit(io);
}

/* The guest buffers O_DIRECT cannot take (§ open(2) NOTES: aligned address and length). */
static bool needs_bounce(const struct blk_io *io)
{
	if (!io->b->img->o.direct || !io_is_rw(io))
		return false;
	for (unsigned i = 0; i < io->r.niov; i++)
		if ((uintptr_t)io->r.iov[i].iov_base % BLK_DIO_ALIGN ||
		    io->r.iov[i].iov_len % BLK_DIO_ALIGN)
			return true;
	return false;
}

static int bounce_in(struct blk_io *io)
{
	uint32_t off = 0;

	if (posix_memalign(&io->bounce, 4096, io->r.len))
		return -ENOMEM;
	if (io->r.type != VIRTIO_BLK_T_OUT)
		return 0;
	for (unsigned i = 0; i < io->r.niov; i++) {
		memcpy((uint8_t *)io->bounce + off, io->r.iov[i].iov_base, io->r.iov[i].iov_len);
		off += io->r.iov[i].iov_len;
	}
	return 0;
}

static void get_id(struct blk_io *io)
{
	char id[BLK_SERIAL_LEN] = { 0 };
	uint32_t off = 0;

	/* §5.2.6: 20 bytes, NUL-padded; a serial of 20 characters is not terminated. */
	memcpy(id, io->b->img->o.serial, strnlen(io->b->img->o.serial, BLK_SERIAL_LEN));
	for (unsigned i = 0; i < io->r.niov; i++) {
		memcpy(io->r.iov[i].iov_base, id + off, io->r.iov[i].iov_len);
		off += io->r.iov[i].iov_len;
	}
	io->done = off;
}

/* A parsed, valid request: performed now (GET_ID, empty) or handed to the back end. */
static void io_start(struct blk_io *io)
{
	if (io->r.type == VIRTIO_BLK_T_GET_ID) {
		get_id(io);
		io_finish(io, VIRTIO_BLK_S_OK);
		return;
	}
	if (io_is_rw(io) && !io->r.len) {
		io_finish(io, VIRTIO_BLK_S_OK);
		return;
	}
	if (needs_bounce(io) && bounce_in(io)) {
		io_finish(io, VIRTIO_BLK_S_IOERR);
		return;
	}
	if (io_submit(io)) {
		/* No SQE: what was queued completes, then the request answers IOERR. */
		io->err = -EIO;
		if (!io->pending)
			io_finish(io, VIRTIO_BLK_S_IOERR);
	}
}

static struct blk_limits blk_limits(const struct virtio_blk *b)
{
	return (struct blk_limits){
		.sectors = b->img->sectors,
		.ro = b->img->o.ro,
		.discard = virtio_has(b->v, VIRTIO_BLK_F_DISCARD),
		.write_zeroes = virtio_has(b->v, VIRTIO_BLK_F_WRITE_ZEROES),
	};
}

/* Takes one chain off queue @q into a free blk_io: 1 taken, 0 none (empty or no free io),
 * -EPROTO the queue faulted. */
static int blk_take(struct virtio_blk *b, unsigned q, const struct blk_limits *lim)
{
	struct vq_seg segs[BLK_SEG_MAX + 2];
	struct vq_chain c = { .seg = segs, .max_seg = BLK_SEG_MAX + 2 };
	struct virtqueue *vq = &b->v->q[q].vq;
	struct blk_io *io = b->free;
	int r;

	if (!io) {
		b->starved[q] = vq_has_avail(vq);
		return 0;
	}
	r = vq_pop(vq, &c);
	if (r <= 0)
		return r;
	r = blk_parse(&c, lim, &io->r);
	if (r < 0) {
		vq->fault = "a virtio-blk request without a status byte (§5.2.6)";
		return -EPROTO;
	}
	b->free = io->next;
	b->inflight++;
	b->requests++;
	*io = (struct blk_io){ .b = b, .q = q, .head = c.head, .r = io->r };
	if (r != VIRTIO_BLK_S_OK)
		io_finish(io, r);
	else
		io_start(io);
	return 1;
}

/* The driver hears of what was pushed on @q, if it wants to (EVENT_IDX). */
static void blk_signal(struct virtio_blk *b, unsigned q)
{
	if (!b->pushed[q])
		return;
	b->pushed[q] = false;
	virtio_queue_interrupt(b->v, q);
}

static void blk_notify(struct virtio_pci *v, unsigned q)
{
	struct virtio_blk *b = v->priv;
	struct blk_limits lim = blk_limits(b);
	struct virtqueue *vq = &v->q[q].vq;
	int n;

	b->starved[q] = false;
	for (;;) {
		while ((n = blk_take(b, q, &lim)) == 1)
			;
		if (n < 0) {
			virtio_queue_fault(v, q);
			break;
		}
		if (b->starved[q])
			break;
		/* EVENT_IDX: ask for the next kick, then look once more so none is lost. */
		vq_want_notify(vq);
		if (!vq_has_avail(vq))
			break;
	}
	if (b->uring)
		io_uring_submit(&b->ring);
	blk_signal(b, q);
}

/* Reaps every CQE there is; with @wait, until nothing is in flight. */
static void blk_reap(struct virtio_blk *b, bool wait)
{
	struct io_uring_cqe *cqe;

	while (b->inflight) {
		int r = wait ? io_uring_wait_cqe(&b->ring, &cqe) : io_uring_peek_cqe(&b->ring, &cqe);

		if (r == -EINTR)
			continue;
		if (r)
			break;
		struct blk_io *io = io_uring_cqe_get_data(cqe);
		int res = cqe->res;

		io_uring_cqe_seen(&b->ring, cqe);
		io_complete(io, res);
		io_uring_submit(&b->ring);	/* short transfers resubmitted */
	}
}

/* The completion eventfd fired (device thread, VM lock held): answer what completed, and
 * resume the queues that ran out of blk_io. */
static void blk_cq_ready(void *arg, uint64_t count)
{
	struct virtio_blk *b = arg;
	struct virtio_pci *v = b->v;

	(void)count;
	blk_reap(b, false);
	for (unsigned q = 0; q < b->ops.nqueues; q++) {
		blk_signal(b, q);
		if (b->starved[q] && v->q[q].enabled && (v->status & VIRTIO_S_DRIVER_OK) &&
		    !(v->status & VIRTIO_S_NEEDS_RESET))
			blk_notify(v, q);
	}
}

/*
 * §2.4 reset: the driver forgets its requests, but their writes still reach the image first,
 * so nothing the guest may later read back is half there, and no completion lands in memory
 * the driver has reused. The used ring is not touched (vq_reset follows).
 */
static void blk_drain(struct virtio_blk *b)
{
	b->draining = true;
	if (b->uring)
		blk_reap(b, true);
	b->draining = false;
	memset(b->starved, 0, sizeof(b->starved));
	memset(b->pushed, 0, sizeof(b->pushed));
}

static void blk_reset(struct virtio_pci *v)
{
	blk_drain(v->priv);
}

/* --- configuration space (§5.2.4) --- */

static void put(uint8_t *cfg, unsigned off, uint64_t val, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		cfg[off + i] = val >> (8 * i);
}

static void blk_cfg_read(struct virtio_pci *v, unsigned off, void *data, unsigned len)
{
	struct virtio_blk *b = v->priv;
	uint8_t cfg[BLK_CFG_LEN] = { 0 };

	put(cfg, BLK_CFG_CAPACITY, b->img->sectors, 8);
	put(cfg, BLK_CFG_SIZE_MAX, BLK_SIZE_MAX, 4);
	put(cfg, BLK_CFG_SEG_MAX, BLK_SEG_MAX, 4);
	put(cfg, BLK_CFG_BLK_SIZE, BLK_SECTOR, 4);
	put(cfg, BLK_CFG_WRITEBACK, 1, 1);
	put(cfg, BLK_CFG_NUM_QUEUES, b->ops.nqueues, 2);
	put(cfg, BLK_CFG_MAX_DISCARD_SECTORS, BLK_DISCARD_SECTORS_MAX, 4);
	put(cfg, BLK_CFG_MAX_DISCARD_SEG, BLK_DISCARD_SEG_MAX, 4);
	put(cfg, BLK_CFG_DISCARD_ALIGN, 4096 / BLK_SECTOR, 4);
	put(cfg, BLK_CFG_MAX_WZ_SECTORS, BLK_DISCARD_SECTORS_MAX, 4);
	put(cfg, BLK_CFG_MAX_WZ_SEG, BLK_DISCARD_SEG_MAX, 4);
	put(cfg, BLK_CFG_WZ_MAY_UNMAP, 1, 1);
	memcpy(data, cfg + off, len);
}

/* --- creation --- */

static void blk_destroy(struct virtio_pci *v)
{
	struct virtio_blk *b = v->priv;

	blk_drain(b);
	if (b->uring) {
		if (v->d->bus && v->d->bus->ops.unwatch_fd)
			v->d->bus->ops.unwatch_fd(v->d->bus->ops.opaque, b->efd);
		io_uring_queue_exit(&b->ring);
		close(b->efd);
	}
	free(b->ios);
	free(b);
}

static uint64_t blk_features(const struct blk_image *img, unsigned nqueues)
{
	uint64_t f = 1ull << VIRTIO_BLK_F_SIZE_MAX | 1ull << VIRTIO_BLK_F_SEG_MAX |
		     1ull << VIRTIO_BLK_F_BLK_SIZE | 1ull << VIRTIO_BLK_F_FLUSH;

	if (img->o.ro)
		f |= 1ull << VIRTIO_BLK_F_RO;
	else
		f |= 1ull << VIRTIO_BLK_F_DISCARD | 1ull << VIRTIO_BLK_F_WRITE_ZEROES;
	if (nqueues > 1)
		f |= 1ull << VIRTIO_BLK_F_MQ;
	return f;
}

/* io_uring with its completions on an eventfd the device thread watches; false (and one line
 * saying so) when the kernel or a seccomp policy refuses it: then the synchronous fallback. */
static bool blk_uring_init(struct virtio_blk *b, struct pci_bus *bus, unsigned entries)
{
	const struct pci_host_ops *o = &bus->ops;
	int r = io_uring_queue_init(entries, &b->ring, 0);
	const char *why = "io_uring_queue_init";

	if (r)
		goto fail;
	b->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	why = "eventfd";
	if (b->efd < 0) {
		r = -errno;
		goto fail_ring;
	}
	why = "io_uring_register_eventfd";
	if ((r = io_uring_register_eventfd(&b->ring, b->efd)))
		goto fail_efd;
	why = "no device thread";
	r = -ENOSYS;
	if (!o->watch_fd || (r = o->watch_fd(o->opaque, b->efd, blk_cq_ready, b)))
		goto fail_efd;
	return true;
fail_efd:
	close(b->efd);
fail_ring:
	io_uring_queue_exit(&b->ring);
fail:
	fprintf(stderr, "vfvm: virtio-blk %s: io_uring unavailable (%s: %s); using synchronous "
		"preadv/pwritev\n", b->img->o.path, why, strerror(-r));
	return false;
}

int virtio_blk_create(struct vm *vm, struct pci_bus *bus, struct blk_image *img,
		      unsigned nqueues, struct err *err)
{
	struct virtio_blk *b;
	unsigned nio;
	int r;

	if (!vm || !nqueues || nqueues > BLK_MAX_QUEUES || nqueues > VIRTIO_MAX_QUEUES)
		return err_set(err, EINVAL, "virtio-blk: bad set-up");
	b = calloc(1, sizeof(*b));
	nio = nqueues * BLK_QUEUE_SIZE;
	if (!b || !(b->ios = calloc(nio, sizeof(*b->ios)))) {
		free(b);
		return err_set(err, ENOMEM, "virtio-blk: out of memory");
	}
	for (unsigned i = 0; i < nio; i++) {
		b->ios[i].next = b->free;
		b->free = &b->ios[i];
	}
	b->img = img;
	b->ops = (struct virtio_dev_ops){
		.device_id = 2,
		.pci_class = 0x010000,		/* mass storage, SCSI: as QEMU's virtio-blk-pci */
		.features = blk_features(img, nqueues),
		.nqueues = nqueues,
		.queue_max = BLK_QUEUE_SIZE,
		.cfg_len = BLK_CFG_LEN,
		.cfg_read = blk_cfg_read,
		.queue_notify = blk_notify,
		.reset = blk_reset,
		.destroy = blk_destroy,
	};
	b->uring = blk_uring_init(b, bus, nio < 4096 ? nio : 4096);
	r = virtio_pci_create(bus, &b->ops, b, &vm->mem, &b->v);
	if (r) {
		if (b->uring) {
			if (bus->ops.unwatch_fd)
				bus->ops.unwatch_fd(bus->ops.opaque, b->efd);
			io_uring_queue_exit(&b->ring);
			close(b->efd);
		}
		free(b->ios);
		free(b);
		return err_set(err, -r, "virtio-blk: cannot create: %s", strerror(-r));
	}
	snprintf(b->v->d->name, sizeof(b->v->d->name), "virtio-blk");
	return 0;
}
