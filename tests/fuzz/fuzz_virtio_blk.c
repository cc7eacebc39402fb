/* fuzz_virtio_blk.c - libFuzzer harness for the virtio-blk request parser (src/virtio/blk_req.c,
 * virtio 1.2 §5.2.6): chains of guest buffers whose layout, directions, header, extents and the
 * disk's capacity all come from the input. Whatever the parser accepts must name only bytes of
 * the chain, in the right direction, whole sectors inside the disk; whatever it refuses must
 * still have its status byte (or be a chain without one). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz_input.h"
#include "virtio/blk.h"

#define RAM	8192u
#define MAXSEG	(BLK_SEG_MAX + 2)

static struct vq_seg segs[MAXSEG];
static struct blk_req req;

/* Is [p, p + len) inside one segment of @c of direction @w? */
FUZZ_NOCOV static int in_chain(const struct vq_chain *c, const uint8_t *p, size_t len, int w)
{
	for (unsigned i = 0; i < c->nseg; i++) {
		const uint8_t *s = c->seg[i].hva;

		if (c->seg[i].write == w && p >= s && p + len <= s + c->seg[i].len)
			return 1;
	}
	return 0;
}

FUZZ_NOCOV static void check(const struct vq_chain *c, const struct blk_limits *lim, int r)
{
	uint64_t total = 0;
	int w = req.type == VIRTIO_BLK_T_IN || req.type == VIRTIO_BLK_T_GET_ID;

	FUZZ_CHECK(r == -EPROTO || r == VIRTIO_BLK_S_OK || r == VIRTIO_BLK_S_IOERR ||
		   r == VIRTIO_BLK_S_UNSUPP, "result %d", r);
	FUZZ_CHECK((r == -EPROTO) == (c->in_len == 0), "status-less chain: %d", r);
	if (r == -EPROTO)
		return;
	FUZZ_CHECK(in_chain(c, req.status, 1, 1), "status byte outside the writable part");
	if (r != VIRTIO_BLK_S_OK)
		return;
	FUZZ_CHECK(req.niov <= BLK_SEG_MAX, "niov %u", req.niov);
	for (unsigned i = 0; i < req.niov; i++) {
		const uint8_t *p = req.iov[i].iov_base;

		FUZZ_CHECK(req.iov[i].iov_len && in_chain(c, p, req.iov[i].iov_len, w),
			   "iov %u outside the chain", i);
		total += req.iov[i].iov_len;
	}
	FUZZ_CHECK(total == req.len, "iov total %llu, len %u", (unsigned long long)total, req.len);
	if (req.type == VIRTIO_BLK_T_IN || req.type == VIRTIO_BLK_T_OUT) {
		FUZZ_CHECK(req.len % BLK_SECTOR == 0 && req.len <= BLK_REQ_MAX, "len %u", req.len);
		FUZZ_CHECK(req.sector <= lim->sectors &&
			   req.len / BLK_SECTOR <= lim->sectors - req.sector, "beyond capacity");
		FUZZ_CHECK(!(lim->ro && req.type == VIRTIO_BLK_T_OUT), "a write on a ro disk");
	}
	if (req.type == VIRTIO_BLK_T_DISCARD || req.type == VIRTIO_BLK_T_WRITE_ZEROES) {
		FUZZ_CHECK(!lim->ro && req.next >= 1 && req.next <= BLK_DISCARD_SEG_MAX, "extents");
		for (unsigned i = 0; i < req.next; i++)
			FUZZ_CHECK(req.ext[i].sector <= lim->sectors &&
				   req.ext[i].sectors <= lim->sectors - req.ext[i].sector,
				   "extent %u beyond capacity", i);
	}
}

/* Near the disk's end half of the time: where the range checks matter. */
static uint64_t pick_sector(struct fin *in, const struct blk_limits *lim)
{
	uint8_t m = fin_u8(in);

	if (m & 1)
		return fin_u64(in);
	return lim->sectors - (m >> 1) % 8;
}

/* What the readable part carries: a header whose type is mostly a real one, then extents;
 * scattered over the readable buffers in order, as a driver would lay it out. */
static void fill_readable(const struct vq_chain *c, struct fin *in, const struct blk_limits *lim)
{
	static const uint32_t types[] = { VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_FLUSH,
		VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_DISCARD, VIRTIO_BLK_T_WRITE_ZEROES };
	uint8_t stream[16 + 16 * (BLK_DISCARD_SEG_MAX + 1)];
	uint8_t t = fin_u8(in);
	uint32_t type = t < 6 * 40 ? types[t % 6] : fin_u32(in), off = 0;
	uint64_t sector = pick_sector(in, lim);

	memcpy(stream, &type, 4);
	memset(stream + 4, 0, 4);
	memcpy(stream + 8, &sector, 8);
	for (unsigned i = 16; i < sizeof(stream); i += 16) {
		uint64_t es = pick_sector(in, lim);
		uint32_t n = fin_u8(in) & 1 ? fin_u32(in) : fin_u8(in) % 16, fl = fin_u8(in) % 4;

		memcpy(stream + i, &es, 8);
		memcpy(stream + i + 8, &n, 4);
		memcpy(stream + i + 12, &fl, 4);
	}
	for (unsigned i = 0; i < c->nout && off < sizeof(stream); i++) {
		uint32_t l = c->seg[i].len < sizeof(stream) - off ? c->seg[i].len
								   : sizeof(stream) - off;

		memcpy(c->seg[i].hva, stream + off, l);
		off += l;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size, 0 };
	struct vq_chain c = { .seg = segs, .max_seg = MAXSEG };
	uint8_t cfg = fin_u8(&in);
	struct blk_limits lim = {
		.sectors = cfg & 1 ? fin_u64(&in) : fin_u8(&in),
		.ro = cfg & 2, .discard = cfg & 4, .write_zeroes = cfg & 8,
	};
	uint8_t *ram = malloc(RAM);
	unsigned nseg = fin_u8(&in) % (MAXSEG + 1);

	if (!ram)
		return 0;
	memset(ram, 0xa5, RAM);
	for (unsigned i = 0; i < nseg; i++) {
		uint8_t k = fin_u8(&in);
		/* Mostly sector-sized buffers at sector offsets, as Linux makes them. */
		uint16_t off = k & 2 ? fin_u16(&in) % RAM : 512 * (fin_u8(&in) % 16);
		uint16_t len = k & 4 ? 1 + fin_u16(&in) % (RAM - off) :
			       k & 8 ? 16 : k & 16 ? 1 : 512 * (1 + (k >> 5) % 4);
		int w = k & 1;

		if (len > RAM - off)
			len = RAM - off;

		/* Readable ones first, as vq_pop hands them out (§2.7.4.2). */
		if (w || c.nseg > c.nout) {
			segs[c.nseg++] = (struct vq_seg){ ram + off, len, true };
			c.in_len += len;
		} else {
			segs[c.nseg++] = (struct vq_seg){ ram + off, len, false };
			c.out_len += len;
			c.nout++;
		}
	}
	fill_readable(&c, &in, &lim);
	check(&c, &lim, blk_parse(&c, &lim, &req));
	free(ram);
	return 0;
}
