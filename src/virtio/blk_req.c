/* blk_req.c - virtio-blk's side that does no I/O: --disk options, opening and locking the image,
 * and parsing a request chain (virtio 1.2 §5.2.6) into what the back end performs. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/optlist.h"
#include "virtio/blk.h"

/* --- --disk PATH[,ro][,cache=none|writeback][,serial=S] --- */

static int opt_apply(const char *spec, const char *opt, size_t n, struct blk_opts *o,
		     struct err *err)
{
	if (n == 2 && !strncmp(opt, "ro", 2)) {
		o->ro = true;
	} else if (n == 10 && !strncmp(opt, "cache=none", n)) {
		o->direct = true;
	} else if (n == 15 && !strncmp(opt, "cache=writeback", n)) {
		o->direct = false;
	} else if (n >= 7 && !strncmp(opt, "serial=", 7)) {
		if (n - 7 > BLK_SERIAL_LEN)
			return err_input(err, EINVAL, "--disk %s: serial is longer than %d "
					 "characters", spec, BLK_SERIAL_LEN);
		for (size_t i = 7; i < n; i++)
			if (opt[i] < 0x21 || opt[i] > 0x7e)
				return err_input(err, EINVAL, "--disk %s: serial may hold only "
						 "printable characters", spec);
		memcpy(o->serial, opt + 7, n - 7);
		o->serial[n - 7] = 0;
	} else {
		return err_input(err, EINVAL, "--disk %s: unknown option '%.*s' (known: ro, "
				 "cache=none, cache=writeback, serial=S)", spec, (int)n, opt);
	}
	return 0;
}

struct blk_opt_ctx {
	const char *spec;
	struct blk_opts *o;
	struct err *err;
};

static int opt_item(void *ctx, const char *p, size_t n)
{
	struct blk_opt_ctx *c = ctx;

	return opt_apply(c->spec, p, n, c->o, c->err) ? -EINVAL : 0;
}

int blk_opts_parse(const char *spec, struct blk_opts *o, struct err *err)
{
	size_t n = optlist_head(spec);
	struct blk_opt_ctx c = { spec, o, err };

	memset(o, 0, sizeof(*o));
	if (!n)
		return err_input(err, EINVAL, "--disk needs an image file, e.g. --disk disk.img");
	if (n >= sizeof(o->path))
		return err_input(err, ENAMETOOLONG, "--disk: the file name is too long");
	memcpy(o->path, spec, n);
	return optlist_each(spec, opt_item, &c);
}

/* --- opening --- */

static int image_size(struct blk_image *img, const struct stat *st, uint64_t *bytes,
		      struct err *err)
{
	const char *path = img->o.path;

	if (S_ISREG(st->st_mode)) {
		*bytes = st->st_size;
		return 0;
	}
	if (S_ISBLK(st->st_mode)) {
		img->is_bdev = true;
		if (ioctl(img->fd, BLKGETSIZE64, bytes) < 0)
			return err_set(err, errno, "--disk %s: cannot read the device's size: %s",
				       path, strerror(errno));
		return 0;
	}
	return err_input(err, EINVAL, "--disk %s is neither a regular file nor a block device",
			 path);
}

/* F_OFD_SETLK (fcntl(2)): the lock is the open file description's, so it holds for as long as
 * the image is open and another vfvm (or QEMU, which locks the same way) is refused. */
static int image_lock(struct blk_image *img, struct err *err)
{
	struct flock fl = { .l_type = img->o.ro ? F_RDLCK : F_WRLCK, .l_whence = SEEK_SET };

	if (!fcntl(img->fd, F_OFD_SETLK, &fl))
		return 0;
	if (errno == EAGAIN || errno == EACCES)
		return err_input(err, EBUSY, "--disk %s is in use: another process has it open%s "
				 "and locked (another vfvm?); stop it%s", img->o.path,
				 img->o.ro ? " read-write" : "", img->o.ro ? "" : ", or use ,ro in both");
	return err_set(err, errno, "--disk %s: cannot lock it: %s", img->o.path, strerror(errno));
}

static int image_open_fd(struct blk_image *img, struct err *err)
{
	const char *path = img->o.path;
	int flags = (img->o.ro ? O_RDONLY : O_RDWR) | O_CLOEXEC | (img->o.direct ? O_DIRECT : 0);

	img->fd = open(path, flags);
	if (img->fd >= 0)
		return 0;
	if (errno == EINVAL && img->o.direct)
		return err_input(err, EINVAL, "--disk %s: cache=none needs O_DIRECT, which its file "
				 "system refuses; use cache=writeback", path);
	if (!img->o.ro && (errno == EACCES || errno == EROFS || errno == EPERM))
		return err_input(err, errno, "--disk %s cannot be opened read-write: %s; add ,ro "
				 "for a read-only disk", path, strerror(errno));
	return err_input(err, errno, "--disk %s: cannot open it: %s", path, strerror(errno));
}

static int image_check(struct blk_image *img, struct err *err)
{
	const char *path = img->o.path;
	struct stat st;
	uint64_t bytes;
	int r;

	if (fstat(img->fd, &st) < 0)
		return err_set(err, errno, "--disk %s: fstat: %s", path, strerror(errno));
	/* Root opens a mode 0444 file read-write all the same; its owner meant it read-only. */
	if (!img->o.ro && S_ISREG(st.st_mode) && !(st.st_mode & 0222))
		return err_input(err, EACCES, "--disk %s is a read-only file (mode %03o); add ,ro "
				 "for a read-only disk", path, st.st_mode & 0777);
	if ((r = image_size(img, &st, &bytes, err)))
		return r;
	if (!bytes)
		return err_input(err, EINVAL, "--disk %s is empty; make it e.g. with truncate -s 1G",
				 path);
	if (bytes % BLK_SECTOR)
		return err_input(err, EINVAL, "--disk %s is %llu bytes, not a multiple of %d; "
				 "resize it (truncate -s)", path, (unsigned long long)bytes,
				 BLK_SECTOR);
	img->sectors = bytes / BLK_SECTOR;
	return image_lock(img, err);
}

int blk_image_open(const char *spec, struct blk_image *img, struct err *err)
{
	int r;

	memset(img, 0, sizeof(*img));
	img->fd = -1;
	if ((r = blk_opts_parse(spec, &img->o, err)) || (r = image_open_fd(img, err)))
		return r;
	r = image_check(img, err);
	if (r)
		blk_image_close(img);
	return r;
}

void blk_image_close(struct blk_image *img)
{
	if (img->fd >= 0)
		close(img->fd);
	img->fd = -1;
}

/* --- requests (§5.2.6) --- */

struct blk_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/* [first, first + count) segments of @c, from byte @skip on, @len bytes, into r->iov. */
static bool iov_build(const struct vq_chain *c, unsigned first, unsigned count, uint32_t skip,
		      uint32_t len, struct blk_req *r)
{
	r->niov = 0;
	r->len = len;
	for (unsigned i = first; i < first + count && len; i++) {
		uint32_t l = c->seg[i].len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		if (r->niov == BLK_SEG_MAX)
			return false;
		l -= skip;
		if (l > len)
			l = len;
		r->iov[r->niov++] = (struct iovec){ (uint8_t *)c->seg[i].hva + skip, l };
		skip = 0;
		len -= l;
	}
	return true;
}

/* Does [sector, sector + count) lie inside the disk? (No overflow for any guest values.) */
static bool in_range(const struct blk_limits *lim, uint64_t sector, uint64_t count)
{
	return sector <= lim->sectors && count <= lim->sectors - sector;
}

static int parse_rw(const struct vq_chain *c, const struct blk_limits *lim, struct blk_req *r,
		    uint32_t out_data, uint32_t in_data)
{
	bool in = r->type == VIRTIO_BLK_T_IN;
	uint32_t len = in ? in_data : out_data;

	/* Data only in the request's direction: a read with readable data, a write with
	 * writable bytes besides the status, is malformed. */
	if ((in ? out_data : in_data) || len % BLK_SECTOR || len > BLK_REQ_MAX)
		return VIRTIO_BLK_S_IOERR;
	if (!in && lim->ro)
		return VIRTIO_BLK_S_IOERR;	/* §5.2.6.2: writes to a read-only device */
	if (!in_range(lim, r->sector, len / BLK_SECTOR))
		return VIRTIO_BLK_S_IOERR;
	if (in ? !iov_build(c, c->nout, c->nseg - c->nout, 0, len, r)
	       : !iov_build(c, 0, c->nout, sizeof(struct blk_hdr), len, r))
		return VIRTIO_BLK_S_IOERR;
	return VIRTIO_BLK_S_OK;
}

static int parse_extents(const struct vq_chain *c, const struct blk_limits *lim,
			 struct blk_req *r, uint32_t out_data, uint32_t in_data)
{
	bool discard = r->type == VIRTIO_BLK_T_DISCARD;

	if (discard ? !lim->discard : !lim->write_zeroes)
		return VIRTIO_BLK_S_UNSUPP;
	if (lim->ro || in_data || !out_data || out_data % 16 ||
	    out_data / 16 > BLK_DISCARD_SEG_MAX)
		return VIRTIO_BLK_S_IOERR;
	r->next = out_data / 16;
	for (unsigned i = 0; i < r->next; i++) {
		uint8_t raw[16];
		struct blk_extent *e = &r->ext[i];

		vq_chain_read(c, sizeof(struct blk_hdr) + 16 * i, raw, 16);
		memcpy(&e->sector, raw, 8);
		memcpy(&e->sectors, raw + 8, 4);
		memcpy(&e->flags, raw + 12, 4);
		e->sector = le64toh(e->sector);
		e->sectors = le32toh(e->sectors);
		e->flags = le32toh(e->flags);
		/* §5.2.6.2: unmap on a discard, or unknown flags, are unsupported. */
		if (e->flags & ~(discard ? 0u : VIRTIO_BLK_WZ_F_UNMAP))
			return VIRTIO_BLK_S_UNSUPP;
		if (e->sectors > BLK_DISCARD_SECTORS_MAX || !in_range(lim, e->sector, e->sectors))
			return VIRTIO_BLK_S_IOERR;
	}
	return VIRTIO_BLK_S_OK;
}

int blk_parse(const struct vq_chain *c, const struct blk_limits *lim, struct blk_req *r)
{
	const struct vq_seg *last = c->nseg > c->nout ? &c->seg[c->nseg - 1] : NULL;
	struct blk_hdr h;
	uint32_t out_data, in_data;

	r->status = last ? (uint8_t *)last->hva + last->len - 1 : NULL;
	r->niov = r->next = 0;
	r->len = 0;
	r->type = ~0u;
	r->sector = 0;
	if (!r->status)
		return -EPROTO;		/* nowhere to answer: the driver broke §5.2.6.1 */
	if (vq_chain_read(c, 0, &h, sizeof(h)) != sizeof(h))
		return VIRTIO_BLK_S_IOERR;
	r->type = le32toh(h.type);
	r->sector = le64toh(h.sector);
	out_data = c->out_len - sizeof(h);
	in_data = c->in_len - 1;
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		return parse_rw(c, lim, r, out_data, in_data);
	case VIRTIO_BLK_T_FLUSH:
		return out_data || in_data ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_GET_ID:
		if (out_data || !in_data)
			return VIRTIO_BLK_S_IOERR;
		iov_build(c, c->nout, c->nseg - c->nout, 0,
			  in_data < BLK_SERIAL_LEN ? in_data : BLK_SERIAL_LEN, r);
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return parse_extents(c, lim, r, out_data, in_data);
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}
