/* fuzz_virtqueue.c - libFuzzer harness for the split virtqueue (src/virtio/virtqueue.c): guest
 * RAM, the rings and the descriptors all come from the input, and the driver keeps rewriting
 * them between the device's pops and pushes. Nothing may be read or written outside guest RAM
 * (ASan watches the exact allocation), and every chain handed out must hold what it claims. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz_input.h"
#include "test_vring.h"
#include "virtio/virtqueue.h"

#define RAM	8192u		/* descriptors 0-0xfff, driver area 0x1000, device area 0x1400 */

static struct vq_seg segs[64];

FUZZ_NOCOV static void check_chain(const uint8_t *ram, const struct vq_chain *c)
{
	uint64_t out = 0, in = 0;

	FUZZ_CHECK(c->nseg <= c->max_seg && c->nout <= c->nseg, "nseg %u nout %u", c->nseg,
		   c->nout);
	for (unsigned i = 0; i < c->nseg; i++) {
		const uint8_t *p = c->seg[i].hva;

		FUZZ_CHECK(p >= ram && c->seg[i].len && c->seg[i].len <= RAM &&
			   p + c->seg[i].len <= ram + RAM, "segment %u outside RAM", i);
		FUZZ_CHECK(c->seg[i].write == (i >= c->nout), "segment %u out of order", i);
		*(c->seg[i].write ? &in : &out) += c->seg[i].len;
	}
	FUZZ_CHECK(out == c->out_len && in == c->in_len, "lengths %u/%u", c->out_len, c->in_len);
}

/* The driver's usual move: one descriptor written, maybe its chain made available (§2.7.13). */
static void op_offer(uint8_t *ram, const struct virtqueue *vq, struct fin *in)
{
	uint8_t i = fin_u8(in) % vq->size, ctl = fin_u8(in);
	uint64_t addr = fin_u16(in) % (RAM + 64);	/* now and then just past the end */
	uint32_t len = fin_u16(in);
	uint16_t flags = ctl & 7, next = fin_u8(in);

	if (ctl & 0x80)
		len %= 64;
	virtio_fake_desc(ram + 16 * i, addr, len, flags, next);
	if (ctl & 0x40)
		virtio_fake_offer(ram + vq->avail_gpa, vq->size, i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size, 0 };
	struct guest_mem mem = { .n = 1 };
	struct virtqueue vq = { 0 };
	struct vq_chain c = { .seg = segs };
	uint8_t *ram = calloc(1, RAM), tmp[64];
	uint8_t cfg = fin_u8(&in);

	if (!ram)
		return 0;
	mem.r[0] = (struct guest_region){ .gpa = 0, .size = RAM, .hva = ram };
	mem.ram_size = RAM;
	vq.size = 1u << (cfg % 9);
	vq.event_idx = cfg & 0x10;
	vq.indirect = cfg & 0x20;
	vq.desc_gpa = 0;
	vq.avail_gpa = 0x1000;
	vq.used_gpa = 0x1400;
	if (vq_enable(&vq, &mem))
		goto out;
	while (fin_more(&in)) {
		uint8_t op = fin_u8(&in);
		int r;

		c.max_seg = 1 + op % 64;
		switch (op >> 5) {
		case 0: case 1:
			r = vq_pop(&vq, &c);
			FUZZ_CHECK(r >= -EPROTO && r <= 1, "vq_pop %d", r);
			FUZZ_CHECK((r == -EPROTO) == (vq.fault != NULL), "fault %p", (void *)vq.fault);
			if (r == 1) {
				check_chain(ram, &c);
				vq_chain_read(&c, fin_u8(&in), tmp, sizeof(tmp));
				vq_chain_write(&c, fin_u8(&in), tmp, fin_u8(&in) % sizeof(tmp));
			}
			break;
		case 2:
			vq_push(&vq, fin_u16(&in), fin_u32(&in));
			break;
		case 3:
			vq_should_notify(&vq);
			break;
		case 4:
			vq_want_notify(&vq);
			break;
		case 5: case 6:
			op_offer(ram, &vq, &in);
			break;
		default: {
			/* The driver, writing anywhere while the device works. */
			uint16_t at = fin_u16(&in) % (RAM - 8);
			uint64_t v = fin_u64(&in);

			memcpy(ram + at, &v, 8);
			break;
		}
		}
	}
out:
	free(ram);
	return 0;
}
