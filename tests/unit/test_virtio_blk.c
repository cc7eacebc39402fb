/* test_virtio_blk.c - unit tests of virtio-blk (src/virtio/blk.c, blk_req.c; virtio 1.2 §5.2):
 * --disk options and image checks, the request parser's every status, the configuration
 * layout, feature negotiation (RO, MQ), and requests served through a queue on the fake PCI
 * host by io_uring (completed only when the device thread reaps them) and by the fallback. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>
#include "test_virtio_fake.h"
#include "virtio/blk.h"
#include "virtio/iommu.h"
#include "virtio/virtio_pci.h"
#include "core/vm.h"

#define RAM	(1u << 20)
#define DESC	0x1000u
#define AVAIL	0x2000u
#define USED	0x3000u
#define HDR	0x8000u
#define STATUS	0x8100u
#define BUF	0x10000u
#define SLOT	1
#define SECTORS	2048	/* 1 MiB image */

static struct fake f;
static struct pci_bus bus;
static struct vm vm;
static uint8_t *ram;
static struct pci_dev *d;
static struct blk_image img;
static char path[64];
/* The fake device thread: the first fd watched is io_uring's completion eventfd (blk.c sets
 * it up before the transport adds its doorbells, which the fake does not fire). */
static int watched_fd = -1;
static void (*watched_cb)(void *, uint64_t);
static void *watched_arg;

static int fake_watch(void *o, int fd, void (*cb)(void *, uint64_t), void *arg)
{
	(void)o;
	if (watched_fd >= 0)
		return 0;
	watched_fd = fd;
	watched_cb = cb;
	watched_arg = arg;
	return 0;
}

static void fake_unwatch(void *o, int fd)
{
	(void)o;
	if (fd == watched_fd)
		watched_fd = -1;
}

static struct viommu vio;		/* setup_viommu(): the disk is endpoint SLOT << 3 */
static bool with_viommu;

static int mkimage(const char *opts)
{
	struct err err = { 0 };
	char spec[128];
	int fd;

	strcpy(path, "/tmp/vfvm-blk-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || ftruncate(fd, SECTORS * BLK_SECTOR))
		return -1;
	close(fd);
	snprintf(spec, sizeof(spec), "%s%s", path, opts);
	if (blk_image_open(spec, &img, &err)) {
		print_error("blk_image_open: %s\n", err.msg);
		return -1;
	}
	return 0;
}

/* A virtio-blk function on the fake host with @nq queues; @thread: io_uring's completions
 * watched (else the synchronous fallback). */
static int dev_setup(const char *opts, unsigned nq, bool thread)
{
	struct pci_host_ops o;
	struct err err = { 0 };

	if (virtio_fake_ram(&vm, &ram, RAM) || mkimage(opts))
		return -1;
	fake_ops(&f, &o);
	if (thread) {
		o.watch_fd = fake_watch;
		o.unwatch_fd = fake_unwatch;
	}
	watched_fd = -1;
	if (virtio_fake_bus(&bus, &o))
		return -1;
	if (with_viommu) {
		if (viommu_init(&vio, &vm.mem, false) || viommu_add_endpoint(&vio, SLOT << 3))
			return -1;
		bus.dma = &vio.dma;
	}
	if (virtio_blk_create(&vm, &bus, &img, nq, &err)) {
		print_error("virtio_blk_create: %s\n", err.msg);
		return -1;
	}
	d = virtio_fake_function(&bus, SLOT);
	return d ? 0 : -1;
}

static int setup_uring(void **state) { (void)state; return dev_setup("", 1, true); }
static int setup_sync(void **state) { (void)state; return dev_setup("", 1, false); }
static int setup_ro(void **state) { (void)state; return dev_setup(",ro,serial=vfvm-disk-1", 1, true); }
static int setup_direct(void **state) { (void)state; return dev_setup(",cache=none", 1, true); }
static int setup_mq(void **state) { (void)state; return dev_setup("", 4, true); }
static int setup_viommu(void **state)
{
	(void)state;
	with_viommu = true;
	return dev_setup("", 1, true);
}

static int teardown(void **state)
{
	(void)state;
	pci_bus_destroy(&bus);
	if (with_viommu)
		viommu_fini(&vio);
	with_viommu = false;
	blk_image_close(&img);
	unlink(path);
	free(ram);
	return 0;
}

static uint32_t rd(unsigned off, unsigned len) { return virtio_fake_rd(d, off, len); }
static void wr(unsigned off, unsigned len, uint32_t v) { virtio_fake_wr(d, off, len, v); }

static uint64_t dev_features(void)
{
	uint64_t lo, hi;

	wr(0x00, 4, 0);
	lo = rd(0x04, 4);
	wr(0x00, 4, 1);
	hi = rd(0x04, 4);
	return hi << 32 | lo;
}

/* Driver set-up (§3.1.1) accepting @feat, queue 0 of 8 entries, DRIVER_OK. */
static void start(uint64_t feat)
{
	assert_true(virtio_fake_negotiate(d, feat) & VIRTIO_S_FEATURES_OK);
	virtio_fake_queue(d, 0, 8, DESC, AVAIL, USED, -1);
	wr(0x14, 1, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK |
	   VIRTIO_S_DRIVER_OK);
}

static void desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	virtio_fake_desc(ram + DESC + 16 * i, addr, len, flags, next);
}

static uint16_t used_idx(void)
{
	uint16_t v;

	memcpy(&v, ram + USED + 2, 2);
	return v;
}

/* Header at HDR, @len bytes of data at BUF (device-writable for IN), status at STATUS;
 * made available and notified. */
static uint32_t split_len;	/* request_split(): the data in two buffers */
static uint64_t split_buf;

static void request_at(uint32_t type, uint64_t sector, uint32_t len, uint64_t buf)
{
	uint16_t idx;
	bool in = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;

	memcpy(ram + HDR, &type, 4);
	memset(ram + HDR + 4, 0, 4);
	memcpy(ram + HDR + 8, &sector, 8);
	ram[STATUS] = 0xee;
	desc(0, HDR, 16, VIRTQ_DESC_F_NEXT, len ? 1 : 2);
	desc(1, buf, split_len ? split_len : len, VIRTQ_DESC_F_NEXT | (in ? VIRTQ_DESC_F_WRITE : 0),
	     split_len ? 3 : 2);
	desc(3, split_buf, len - split_len, VIRTQ_DESC_F_NEXT | (in ? VIRTQ_DESC_F_WRITE : 0), 2);
	desc(2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	memcpy(&idx, ram + AVAIL + 2, 2);
	memcpy(ram + AVAIL + 4 + 2 * (idx % 8), &(uint16_t){ 0 }, 2);
	idx++;
	memcpy(ram + AVAIL + 2, &idx, 2);
	wr(VIRTIO_NOTIFY_OFF, 2, 0);
}

static void request(uint32_t type, uint64_t sector, uint32_t len)
{
	request_at(type, sector, len, BUF);
}

/* What the device thread does when io_uring's eventfd fires; false if it never did. */
static bool reap(void)
{
	struct pollfd p = { .fd = watched_fd, .events = POLLIN };
	uint64_t n;

	if (watched_fd < 0 || poll(&p, 1, 5000) != 1)
		return false;
	if (read(watched_fd, &n, 8) != 8)
		return false;
	watched_cb(watched_arg, n);
	return true;
}

/* Until the used index reaches @want (reaping as the device thread would). */
static void wait_used(uint16_t want)
{
	for (int i = 0; i < 20 && used_idx() != want; i++)
		if (watched_fd >= 0)
			assert_true(reap());
	assert_int_equal(used_idx(), want);
}

static uint32_t used_len(unsigned i)
{
	uint32_t v;

	memcpy(&v, ram + USED + 4 + 8 * i + 4, 4);
	return v;
}

/* --- --disk options and images --- */

static void test_opts(void **state)
{
	struct blk_opts o;
	struct err err = { 0 };

	(void)state;
	assert_int_equal(blk_opts_parse("a.img", &o, &err), 0);
	assert_string_equal(o.path, "a.img");
	assert_false(o.ro || o.direct);
	assert_int_equal(blk_opts_parse("b.img,ro,cache=none,serial=S1", &o, &err), 0);
	assert_true(o.ro && o.direct);
	assert_string_equal(o.serial, "S1");
	assert_int_equal(blk_opts_parse("b.img,cache=none,cache=writeback", &o, &err), 0);
	assert_false(o.direct);
	assert_int_equal(blk_opts_parse("", &o, &err), -EINVAL);
	assert_int_equal(err.usage, 1);
	assert_int_equal(blk_opts_parse("a,rw", &o, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "unknown option 'rw'"));
	assert_int_equal(blk_opts_parse("a,serial=123456789012345678901", &o, &err), -EINVAL);
	assert_int_equal(blk_opts_parse("a,serial=has space", &o, &err), -EINVAL);
	assert_int_equal(blk_opts_parse("a,serial=12345678901234567890", &o, &err), 0);
}

static void test_image_checks(void **state)
{
	char p[] = "/tmp/vfvm-blk-XXXXXX", spec[64];
	struct blk_image a, b, c;
	struct err err = { 0 };
	int fd = mkstemp(p);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(blk_image_open(p, &a, &err), -EINVAL);		/* empty */
	assert_non_null(strstr(err.msg, "is empty"));
	assert_int_equal(ftruncate(fd, 4097), 0);
	assert_int_equal(blk_image_open(p, &a, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "4097 bytes, not a multiple of 512"));
	assert_int_equal(ftruncate(fd, 8192), 0);
	assert_int_equal(blk_image_open(p, &a, &err), 0);
	assert_int_equal(a.sectors, 16);
	/* The OFD lock: a second open is refused, rw or ro, in this process as in another. */
	assert_int_equal(blk_image_open(p, &b, &err), -EBUSY);
	assert_int_equal(err.usage, 1);
	snprintf(spec, sizeof(spec), "%s,ro", p);
	assert_int_equal(blk_image_open(spec, &b, &err), -EBUSY);
	blk_image_close(&a);
	/* Read locks share; a writer is then refused. */
	assert_int_equal(blk_image_open(spec, &a, &err), 0);
	assert_int_equal(blk_image_open(spec, &b, &err), 0);
	assert_int_equal(blk_image_open(p, &c, &err), -EBUSY);
	blk_image_close(&b);
	assert_int_equal(fchmod(fd, 0444), 0);
	blk_image_close(&a);
	assert_int_equal(blk_image_open(p, &a, &err), -EACCES);
	assert_non_null(strstr(err.msg, "read-only file"));
	assert_int_equal(blk_image_open(spec, &a, &err), 0);
	blk_image_close(&a);
	close(fd);
	unlink(p);
	assert_int_equal(blk_image_open(p, &a, &err), -ENOENT);
	assert_int_equal(err.usage, 1);
}

/* --- the parser --- */

static uint8_t hdr[16], data[4096], st[4];
static struct vq_seg segs[8];
static struct vq_chain ch = { .seg = segs, .max_seg = 8 };
static const struct blk_limits lim = { .sectors = 100, .discard = true, .write_zeroes = true };
static struct blk_req req;

static void chain_reset(uint32_t type, uint64_t sector)
{
	memcpy(hdr, &type, 4);
	memset(hdr + 4, 0, 4);
	memcpy(hdr + 8, &sector, 8);
	ch.nseg = ch.nout = 0;
	ch.out_len = ch.in_len = 0;
}

static void seg(void *p, uint32_t len, bool w)
{
	segs[ch.nseg++] = (struct vq_seg){ p, len, w };
	if (w)
		ch.in_len += len;
	else
		ch.out_len += len, ch.nout++;
}

static void test_parse_rw(void **state)
{
	(void)state;
	chain_reset(VIRTIO_BLK_T_IN, 99);
	seg(hdr, 16, false), seg(data, 512, true), seg(st, 1, true);
	assert_int_equal(blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_OK);
	assert_ptr_equal(req.status, st);
	assert_int_equal(req.niov, 1);
	assert_ptr_equal(req.iov[0].iov_base, data);
	assert_int_equal(req.len, 512);
	/* Status in the same buffer as the data: the last writable byte. */
	chain_reset(VIRTIO_BLK_T_IN, 0);
	seg(hdr, 16, false), seg(data, 1025, true);
	assert_int_equal(blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_OK);
	assert_ptr_equal(req.status, data + 1024);
	assert_int_equal(req.len, 1024);
	/* A write whose header and data share a buffer, data split over two. */
	chain_reset(VIRTIO_BLK_T_OUT, 1);
	memcpy(data, hdr, 16);
	seg(data, 16 + 100, false), seg(data + 1000, 412, false), seg(st, 1, true);
	assert_int_equal(blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_OK);
	assert_int_equal(req.niov, 2);
	assert_ptr_equal(req.iov[0].iov_base, data + 16);
	assert_int_equal(req.iov[0].iov_len, 100);
	assert_int_equal(req.iov[1].iov_len, 412);
	assert_int_equal(req.sector, 1);
}

static void test_parse_errors(void **state)
{
	(void)state;
	/* No writable byte at all: nowhere to put a status, the queue needs a reset. */
	chain_reset(VIRTIO_BLK_T_IN, 0);
	seg(hdr, 16, false), seg(data, 512, false);
	assert_int_equal(blk_parse(&ch, &lim, &req), -EPROTO);
	/* A short header. */
	chain_reset(VIRTIO_BLK_T_IN, 0);
	seg(hdr, 8, false), seg(st, 1, true);
	assert_int_equal(blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_IOERR);
	assert_ptr_equal(req.status, st);
	/* Beyond capacity: one past the end, wrapping sector arithmetic, a straddle. */
	for (uint64_t s = 0; s < 3; s++) {
		uint64_t sector = s == 0 ? 100 : s == 1 ? UINT64_MAX : 99;

		chain_reset(VIRTIO_BLK_T_IN, sector);
		seg(hdr, 16, false), seg(data, 1024 >> (s == 0), true), seg(st, 1, true);
		assert_int_equal(blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_IOERR);
	}
	/* Wrong directions: a read with readable data, a write with writable data. */
	chain_reset(VIRTIO_BLK_T_IN, 0);
	seg(hdr, 16, false), seg(data, 512, false), seg(st, 1, true);
	assert_int_equal(blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_IOERR);
	chain_reset(VIRTIO_BLK_T_OUT, 0);
	seg(hdr, 16, false), seg(data, 512, true), seg(st, 1, true);
	assert_int_equal(blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_IOERR);
	/* Not whole sectors. */
	chain_reset(VIRTIO_BLK_T_OUT, 0);
	seg(hdr, 16, false), seg(data, 511, false), seg(st, 1, true);
	assert_int_equal(blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_IOERR);
	/* A flush carrying data. */
	chain_reset(VIRTIO_BLK_T_FLUSH, 0);
	seg(hdr, 16, false), seg(data, 512, false), seg(st, 1, true);
	assert_int_equal(blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_IOERR);
	chain_reset(VIRTIO_BLK_T_FLUSH, 0);
	seg(hdr, 16, false), seg(st, 1, true);
	assert_int_equal(blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_OK);
	/* Unknown types, and a GET_ID without room. */
	chain_reset(99, 0);
	seg(hdr, 16, false), seg(st, 1, true);
	assert_int_equal(blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_UNSUPP);
	chain_reset(VIRTIO_BLK_T_GET_ID, 0);
	seg(hdr, 16, false), seg(st, 1, true);
	assert_int_equal(blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_IOERR);
	chain_reset(VIRTIO_BLK_T_GET_ID, 0);
	seg(hdr, 16, false), seg(data, 64, true), seg(st, 1, true);
	assert_int_equal(blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_OK);
	assert_int_equal(req.len, BLK_SERIAL_LEN);
}

static void test_parse_ro(void **state)
{
	struct blk_limits ro = lim;

	(void)state;
	ro.ro = true;
	chain_reset(VIRTIO_BLK_T_OUT, 0);
	seg(hdr, 16, false), seg(data, 512, false), seg(st, 1, true);
	assert_int_equal(blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_OK);
	assert_int_equal(blk_parse(&ch, &ro, &req), VIRTIO_BLK_S_IOERR);	/* §5.2.6.2 */
	chain_reset(VIRTIO_BLK_T_IN, 0);
	seg(hdr, 16, false), seg(data, 512, true), seg(st, 1, true);
	assert_int_equal(blk_parse(&ch, &ro, &req), VIRTIO_BLK_S_OK);
}

static void extent(unsigned i, uint64_t sector, uint32_t n, uint32_t flags)
{
	memcpy(data + 16 * i, &sector, 8);
	memcpy(data + 16 * i + 8, &n, 4);
	memcpy(data + 16 * i + 12, &flags, 4);
}

static void test_parse_extents(void **state)
{
	struct blk_limits none = lim;

	(void)state;
	none.discard = none.write_zeroes = false;
	extent(0, 0, 8, 0);
	extent(1, 90, 10, 0);
	chain_reset(VIRTIO_BLK_T_DISCARD, 0);
	seg(hdr, 16, false), seg(data, 32, false), seg(st, 1, true);
	assert_int_equal(blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_OK);
	assert_int_equal(req.next, 2);
	assert_int_equal(req.ext[1].sector, 90);
	assert_int_equal(req.ext[1].sectors, 10);
	assert_int_equal(blk_parse(&ch, &none, &req), VIRTIO_BLK_S_UNSUPP);	/* not negotiated */
	extent(1, 91, 10, 0);						/* past the end */
	assert_int_equal(blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_IOERR);
	extent(1, 90, 10, VIRTIO_BLK_WZ_F_UNMAP);			/* unmap on a discard */
	assert_int_equal(blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_UNSUPP);
	chain_reset(VIRTIO_BLK_T_WRITE_ZEROES, 0);
	seg(hdr, 16, false), seg(data, 32, false), seg(st, 1, true);
	assert_int_equal(blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_OK);	/* unmap allowed */
	extent(1, 90, 10, 2);						/* a reserved flag */
	assert_int_equal(blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_UNSUPP);
	chain_reset(VIRTIO_BLK_T_WRITE_ZEROES, 0);
	seg(hdr, 16, false), seg(data, 24, false), seg(st, 1, true);	/* not whole extents */
	assert_int_equal(blk_parse(&ch, &lim, &req), VIRTIO_BLK_S_IOERR);
}

/* --- the device --- */

static uint32_t devcfg(unsigned off, unsigned len)
{
	return rd(VIRTIO_DEVCFG_OFF + off, len);
}

static void test_config(void **state)
{
	uint64_t feat = dev_features();

	(void)state;
	assert_int_equal(cfg_rd(&bus, SLOT, 0, 0, 4), 0x10421af4);	/* 0x1040 + 2 */
	assert_int_equal(devcfg(BLK_CFG_CAPACITY, 4), SECTORS);
	assert_int_equal(devcfg(BLK_CFG_CAPACITY + 4, 4), 0);
	assert_int_equal(devcfg(BLK_CFG_SEG_MAX, 4), BLK_SEG_MAX);
	assert_int_equal(devcfg(BLK_CFG_SIZE_MAX, 4), BLK_SIZE_MAX);
	assert_int_equal(devcfg(BLK_CFG_BLK_SIZE, 4), 512);
	assert_int_equal(devcfg(BLK_CFG_NUM_QUEUES, 2), 1);
	assert_int_equal(devcfg(BLK_CFG_MAX_DISCARD_SEG, 4), BLK_DISCARD_SEG_MAX);
	assert_int_equal(devcfg(BLK_CFG_MAX_WZ_SECTORS, 4), BLK_DISCARD_SECTORS_MAX);
	assert_int_equal(devcfg(BLK_CFG_WZ_MAY_UNMAP, 1), 1);
	assert_int_equal(devcfg(BLK_CFG_LEN, 4), 0);			/* past the end */
	assert_true(feat >> VIRTIO_BLK_F_FLUSH & 1);
	assert_true(feat >> VIRTIO_BLK_F_DISCARD & 1);
	assert_true(feat >> VIRTIO_BLK_F_WRITE_ZEROES & 1);
	assert_true(feat >> VIRTIO_BLK_F_SEG_MAX & 1);
	assert_true(feat >> VIRTIO_BLK_F_BLK_SIZE & 1);
	assert_false(feat >> VIRTIO_BLK_F_RO & 1);
	assert_false(feat >> VIRTIO_BLK_F_MQ & 1);
	assert_true(feat >> VIRTIO_F_EVENT_IDX & 1);
	assert_true(feat >> VIRTIO_F_INDIRECT_DESC & 1);
	assert_int_equal(rd(0x12, 2), 1);
}

static void test_mq(void **state)
{
	(void)state;
	assert_true(dev_features() >> VIRTIO_BLK_F_MQ & 1);
	assert_int_equal(devcfg(BLK_CFG_NUM_QUEUES, 2), 4);
	assert_int_equal(rd(0x12, 2), 4);			/* common num_queues */
	assert_int_equal(d->msix.nvec, 5);
}

/* A write, then the read of it, through the queue; the data must be on the image. */
static void roundtrip(uint16_t base)
{
	uint8_t back[1024];
	int fd = open(path, O_RDONLY);

	for (unsigned i = 0; i < 1024; i++)
		ram[BUF + i] = i * 7;
	request(VIRTIO_BLK_T_OUT, 5, 1024);
	wait_used(base + 1);
	assert_int_equal(ram[STATUS], VIRTIO_BLK_S_OK);
	assert_int_equal(used_len(base), 1);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, back, 1024, 5 * 512), 1024);
	close(fd);
	assert_memory_equal(back, ram + BUF, 1024);
	memset(ram + BUF, 0, 1024);
	request(VIRTIO_BLK_T_IN, 5, 1024);
	wait_used(base + 2);
	assert_int_equal(ram[STATUS], VIRTIO_BLK_S_OK);
	assert_int_equal(used_len(base + 1), 1025);
	assert_memory_equal(back, ram + BUF, 1024);
	request(VIRTIO_BLK_T_FLUSH, 0, 0);
	wait_used(base + 3);
	assert_int_equal(ram[STATUS], VIRTIO_BLK_S_OK);
}

static void test_io_uring(void **state)
{
	(void)state;
	assert_true(watched_fd >= 0);		/* io_uring, completions on the device thread */
	start(1ull << VIRTIO_F_VERSION_1);
	/* The used entry is written when the I/O completed, by the device thread: not at the
	 * notification (the write is to a file, so it is done by then, but unreaped). */
	request(VIRTIO_BLK_T_OUT, 0, 512);
	assert_int_equal(used_idx(), 0);
	assert_int_equal(ram[STATUS], 0xee);
	wait_used(1);
	assert_int_equal(ram[STATUS], VIRTIO_BLK_S_OK);
	roundtrip(1);
}

static void test_fallback(void **state)
{
	(void)state;
	assert_int_equal(watched_fd, -1);	/* no device thread: preadv/pwritev */
	start(1ull << VIRTIO_F_VERSION_1);
	roundtrip(0);
}

/* One virtio-iommu request (src/virtio/iommu_req.c) as the guest's driver sends it. */
static uint8_t vio_req(uint8_t type, uint32_t dom, uint64_t a, uint64_t b, uint64_t c)
{
	uint8_t r[36] = { type }, tail[4] = { 0xff };

	memcpy(r + 4, &dom, 4);
	memcpy(r + 8, &a, 8);		/* ATTACH: endpoint, flags 0; MAP: virt_start */
	memcpy(r + 16, &b, 8);
	memcpy(r + 24, &c, 8);
	memcpy(r + 32, &(uint32_t){ IOMMU_READ | IOMMU_WRITE }, 4);
	viommu_request(&vio, r, type == VIOMMU_T_MAP ? 36 : 20, tail, 4);
	return tail[0];
}

/* Behind --viommu: the rings at IOVA = GPA, the data at IOVA 0x80000000 -> GPA BUF; a write and
 * a read through the mapping, then a data buffer nobody mapped: the request fails, the device
 * needs a reset, the viommu counts a fault, and the disk image is untouched by it. */
static void test_behind_viommu(void **state)
{
	uint8_t back[512];
	int fd;

	(void)state;
	assert_int_equal(vio_req(VIOMMU_T_ATTACH, 1, SLOT << 3, 0, 0), VIOMMU_S_OK);
	assert_int_equal(vio_req(VIOMMU_T_MAP, 1, 0, 0xffff, 0), VIOMMU_S_OK);
	assert_int_equal(vio_req(VIOMMU_T_MAP, 1, 0x80000000, 0x8000ffff, BUF), VIOMMU_S_OK);
	start(1ull << VIRTIO_F_VERSION_1);
	assert_int_equal(rd(0x14, 1) & VIRTIO_S_NEEDS_RESET, 0);
	for (unsigned i = 0; i < 512; i++)
		ram[BUF + i] = (uint8_t)(i * 7 + 3);
	request_at(VIRTIO_BLK_T_OUT, 4, 512, 0x80000000);
	wait_used(1);
	assert_int_equal(ram[STATUS], VIRTIO_BLK_S_OK);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, back, 512, 4 * 512), 512);
	close(fd);
	assert_memory_equal(back, ram + BUF, 512);
	request_at(VIRTIO_BLK_T_IN, 4, 512, 0x80001000);
	wait_used(2);
	assert_int_equal(ram[STATUS], VIRTIO_BLK_S_OK);
	assert_memory_equal(ram + BUF + 0x1000, ram + BUF, 512);
	assert_int_equal(vio.faults, 0);
	/* A stray DMA address. */
	request_at(VIRTIO_BLK_T_IN, 4, 512, 0x90000000);
	assert_int_equal(used_idx(), 2);
	assert_int_equal(rd(0x14, 1) & VIRTIO_S_NEEDS_RESET, VIRTIO_S_NEEDS_RESET);
	assert_int_equal(vio.faults, 1);
	assert_int_equal(vio.faults_dropped, 1);	/* no event queue here */
}

/* Like request_at(), the data in two buffers: @len1 bytes at @buf, then the rest at @buf2. */
static void request_split(uint32_t type, uint64_t sector, uint32_t len, uint64_t buf,
			  uint32_t len1, uint64_t buf2)
{
	split_len = len1;
	split_buf = buf2;
	request_at(type, sector, len, buf);
	split_len = 0;
}

/* cache=none: O_DIRECT; guest buffers whose address or length is not a multiple of 512 go
 * through an aligned bounce buffer (O_DIRECT itself refuses them with EINVAL). */
static void test_direct(void **state)
{
	uint8_t back[1024];
	int fd;

	(void)state;
	assert_true(img.o.direct);
	start(1ull << VIRTIO_F_VERSION_1);
	roundtrip(0);
	for (unsigned i = 0; i < 100; i++)
		ram[BUF + 3 + i] = i * 13 + 1;
	for (unsigned i = 0; i < 924; i++)
		ram[BUF + 0x2001 + i] = i * 7 + 5;
	/* 1024 bytes as 100 at BUF + 3 and 924 at BUF + 0x2001. */
	request_split(VIRTIO_BLK_T_OUT, 7, 1024, BUF + 3, 100, BUF + 0x2001);
	wait_used(4);
	assert_int_equal(ram[STATUS], VIRTIO_BLK_S_OK);
	fd = open(path, O_RDONLY);
	assert_int_equal(pread(fd, back, 1024, 7 * 512), 1024);
	close(fd);
	assert_memory_equal(back, ram + BUF + 3, 100);
	assert_memory_equal(back + 100, ram + BUF + 0x2001, 924);
	request_split(VIRTIO_BLK_T_IN, 7, 1024, BUF + 0x1005, 700, BUF + 0x3003);
	wait_used(5);
	assert_int_equal(ram[STATUS], VIRTIO_BLK_S_OK);
	assert_int_equal(used_len(4), 1025);
	assert_memory_equal(ram + BUF + 0x1005, back, 700);
	assert_memory_equal(ram + BUF + 0x3003, back + 700, 324);
}

static void test_ro_disk(void **state)
{
	uint64_t feat = dev_features();

	(void)state;
	assert_true(feat >> VIRTIO_BLK_F_RO & 1);
	assert_false(feat >> VIRTIO_BLK_F_DISCARD & 1);
	start(1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_BLK_F_RO);
	request(VIRTIO_BLK_T_OUT, 0, 512);
	wait_used(1);
	assert_int_equal(ram[STATUS], VIRTIO_BLK_S_IOERR);
	request(VIRTIO_BLK_T_GET_ID, 0, 20);
	wait_used(2);
	assert_int_equal(ram[STATUS], VIRTIO_BLK_S_OK);
	assert_memory_equal(ram + BUF, "vfvm-disk-1\0\0\0\0\0\0\0\0", 20);
	assert_int_equal(used_len(1), 21);
	request(VIRTIO_BLK_T_IN, SECTORS, 512);		/* beyond capacity */
	wait_used(3);
	assert_int_equal(ram[STATUS], VIRTIO_BLK_S_IOERR);
	request(VIRTIO_BLK_T_DISCARD, 0, 0);		/* not offered on a ro disk */
	wait_used(4);
	assert_int_equal(ram[STATUS], VIRTIO_BLK_S_UNSUPP);
}

static void test_discard_zeroes(void **state)
{
	uint8_t back[512];
	int fd;

	(void)state;
	start(1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_BLK_F_DISCARD |
	      1ull << VIRTIO_BLK_F_WRITE_ZEROES);
	memset(ram + BUF, 0xab, 4096);
	request(VIRTIO_BLK_T_OUT, 8, 4096);
	wait_used(1);
	memset(ram + BUF, 0, 32);
	memcpy(ram + BUF, &(uint64_t){ 8 }, 8);
	memcpy(ram + BUF + 8, &(uint32_t){ 1 }, 4);
	request(VIRTIO_BLK_T_WRITE_ZEROES, 0, 16);
	wait_used(2);
	assert_int_equal(ram[STATUS], VIRTIO_BLK_S_OK);
	fd = open(path, O_RDONLY);
	assert_int_equal(pread(fd, back, 512, 8 * 512), 512);
	assert_int_equal(back[0] | back[511], 0);
	assert_int_equal(pread(fd, back, 512, 9 * 512), 512);
	assert_int_equal(back[0], 0xab);
	close(fd);
	memcpy(ram + BUF, &(uint64_t){ 9 }, 8);
	request(VIRTIO_BLK_T_DISCARD, 0, 16);
	wait_used(3);
	assert_int_equal(ram[STATUS], VIRTIO_BLK_S_OK);
}

/* A chain with no status byte: DEVICE_NEEDS_RESET (§2.1.2), nothing answered. */
static void test_no_status(void **state)
{
	(void)state;
	start(1ull << VIRTIO_F_VERSION_1);
	desc(0, HDR, 16, 0, 0);
	memcpy(ram + AVAIL + 4, &(uint16_t){ 0 }, 2);
	memcpy(ram + AVAIL + 2, &(uint16_t){ 1 }, 2);
	wr(VIRTIO_NOTIFY_OFF, 2, 0);
	assert_true(rd(0x14, 1) & VIRTIO_S_NEEDS_RESET);
	assert_int_equal(used_idx(), 0);
	wr(0x14, 1, 0);
	assert_int_equal(rd(0x14, 1), 0);
}

/* A reset with a request in flight: its write still reaches the image, and the driver's used
 * ring is left alone (§2.4). */
static void test_reset_drains(void **state)
{
	uint8_t back[512];
	int fd;

	(void)state;
	start(1ull << VIRTIO_F_VERSION_1);
	memset(ram + BUF, 0x5a, 512);
	request(VIRTIO_BLK_T_OUT, 3, 512);
	wr(0x14, 1, 0);
	assert_int_equal(used_idx(), 0);
	assert_int_equal(ram[STATUS], 0xee);
	fd = open(path, O_RDONLY);
	assert_int_equal(pread(fd, back, 512, 3 * 512), 512);
	close(fd);
	assert_int_equal(back[0], 0x5a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opts),
		cmocka_unit_test(test_image_checks),
		cmocka_unit_test(test_parse_rw),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_ro),
		cmocka_unit_test(test_parse_extents),
		cmocka_unit_test_setup_teardown(test_config, setup_uring, teardown),
		cmocka_unit_test_setup_teardown(test_mq, setup_mq, teardown),
		cmocka_unit_test_setup_teardown(test_io_uring, setup_uring, teardown),
		cmocka_unit_test_setup_teardown(test_fallback, setup_sync, teardown),
		cmocka_unit_test_setup_teardown(test_behind_viommu, setup_viommu, teardown),
		cmocka_unit_test_setup_teardown(test_ro_disk, setup_ro, teardown),
		cmocka_unit_test_setup_teardown(test_direct, setup_direct, teardown),
		cmocka_unit_test_setup_teardown(test_discard_zeroes, setup_uring, teardown),
		cmocka_unit_test_setup_teardown(test_no_status, setup_uring, teardown),
		cmocka_unit_test_setup_teardown(test_reset_drains, setup_uring, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
