/* fuzz_virtio_fs.c - libFuzzer harness for the answers vfvm gives on a virtio-fs queue whose
 * vhost-user back end died (src/virtio/fs_req.c, virtio 1.2 §5.11.6): hostile rings and chains
 * (vq_pop), FUSE headers of any opcode split over buffers of any size. Every chain popped must
 * come back with a fuse_out_header (len 16, -EIO, the request's unique) in its first writable
 * bytes, or with length 0 exactly when it has no whole fuse_in_header, is a FORGET or has no
 * room; nothing outside the writable buffers (and the used ring) may change. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz_input.h"
#include "test_vring.h"
#include "virtio/fs_req.h"

#define RAM	8192u		/* descriptors 0-0xfff, driver area 0x1000, device area 0x1400 */
#define BUFS	0x1800u		/* requests mostly here */

static struct vq_seg segs[64];
static uint8_t before[RAM];

/* Where the driver's headers go: a FUSE header stream laid over the readable buffers. */
static void fill_request(const struct vq_chain *c, struct fin *in)
{
	static const uint32_t ops[] = { 1, 2, 3, 14, 15, 16, 26, 42 };	/* LOOKUP ... */
	uint8_t h[FUSE_IN_HDR_LEN] = { 0 };
	uint32_t op = fin_u8(in), len = FUSE_IN_HDR_LEN, off = 0;
	uint64_t unique = fin_u64(in);

	op = op < 200 ? ops[op % 8] : fin_u32(in);
	memcpy(h, &len, 4);
	memcpy(h + 4, &op, 4);
	memcpy(h + 8, &unique, 8);
	for (unsigned i = 0; i < c->nout && off < sizeof(h); i++) {
		uint32_t l = c->seg[i].len < sizeof(h) - off ? c->seg[i].len : sizeof(h) - off;

		memcpy(c->seg[i].hva, h + off, l);
		off += l;
	}
}

/* The answer @r to chain @c, whose readable part held @h (@whole: all of it) before. */
FUZZ_NOCOV static void check_answer(const struct vq_chain *c, const uint8_t *h, bool whole,
				    uint32_t r)
{
	uint32_t op, olen;
	int32_t err;
	const uint8_t *o = c->seg[c->nout].hva;

	memcpy(&op, h + 4, 4);
	if (!whole || op == FUSE_OP_FORGET || op == FUSE_OP_BATCH_FORGET ||
	    c->in_len < FUSE_OUT_HDR_LEN) {
		FUZZ_CHECK(r == 0, "answered %u bytes to a chain with no room or no request", r);
		return;
	}
	FUZZ_CHECK(r == FUSE_OUT_HDR_LEN, "answer of %u bytes", r);
	/* In one buffer the reply reads back as written; spread over buffers that a hostile
	 * driver may have made overlap, it need not. */
	if (c->seg[c->nout].len < FUSE_OUT_HDR_LEN)
		return;
	memcpy(&olen, o, 4);
	memcpy(&err, o + 4, 4);
	FUZZ_CHECK(olen == FUSE_OUT_HDR_LEN && err == -EIO, "reply len %u error %d", olen, err);
	FUZZ_CHECK(!memcmp(o + 8, h + 8, 8), "the reply's unique is not the request's");
}

FUZZ_NOCOV static bool in_writable(const uint8_t *ram, const struct vq_chain *c, size_t at)
{
	for (unsigned i = c->nout; i < c->nseg; i++) {
		size_t s = (size_t)((uint8_t *)c->seg[i].hva - ram);

		if (at >= s && at < s + c->seg[i].len)
			return true;
	}
	return false;
}

/* Only the writable buffers and the used ring may have changed. */
FUZZ_NOCOV static void check_untouched(const uint8_t *ram, const struct vq_chain *c)
{
	for (size_t i = 0; i < RAM; i++)
		FUZZ_CHECK(ram[i] == before[i] || in_writable(ram, c, i),
			   "byte %#zx changed outside the reply buffers", i);
}

static void op_desc(uint8_t *ram, const struct virtqueue *vq, struct fin *in)
{
	uint8_t i = fin_u8(in) % vq->size, ctl = fin_u8(in);
	uint64_t addr = ctl & 8 ? fin_u16(in) % (RAM + 64) : BUFS + fin_u16(in) % (RAM - BUFS);
	uint32_t len = ctl & 0x80 ? fin_u16(in) : fin_u8(in) % 72;
	uint16_t flags = ctl & 7, next = fin_u8(in);

	virtio_fake_desc(ram + 16 * i, addr, len, flags, next);
	if (ctl & 0x40)
		virtio_fake_offer(ram + vq->avail_gpa, vq->size, i);
}

/* The device's turn: pop, answer, push, as fs_serve_dead does through virtio_queue_serve. */
static int op_serve(uint8_t *ram, struct virtqueue *vq, struct fin *in)
{
	struct vq_chain c = { .seg = segs, .max_seg = 1 + fin_u8(in) % 64 };
	uint8_t h[FUSE_IN_HDR_LEN];
	int r = vq_pop(vq, &c);
	uint32_t n;
	bool whole;

	if (r != 1)
		return r;
	fill_request(&c, in);
	whole = vq_chain_read(&c, 0, h, sizeof(h)) == sizeof(h);
	memcpy(before, ram, RAM);
	n = fs_req_fail(&c, -EIO);
	check_answer(&c, h, whole, n);
	check_untouched(ram, &c);
	vq_push(vq, c.head, n);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size, 0 };
	struct guest_mem mem = { .n = 1 };
	struct virtqueue vq = { 0 };
	uint8_t *ram = calloc(1, RAM), cfg = fin_u8(&in);

	if (!ram)
		return 0;
	mem.r[0] = (struct guest_region){ .gpa = 0, .size = RAM, .hva = ram };
	mem.ram_size = RAM;
	vq.size = 1u << (cfg % 9);
	vq.event_idx = cfg & 0x10;
	vq.indirect = cfg & 0x20;
	vq.avail_gpa = 0x1000;
	vq.used_gpa = 0x1400;
	if (vq_enable(&vq, &mem))
		goto out;
	for (unsigned step = 0; step < 512 && fin_more(&in); step++) {
		if (fin_u8(&in) & 1)
			op_desc(ram, &vq, &in);
		else if (op_serve(ram, &vq, &in) < 0)
			break;		/* the queue faulted: it stays stopped until a reset */
	}
out:
	free(ram);
	return 0;
}
