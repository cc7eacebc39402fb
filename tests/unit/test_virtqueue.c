/* test_virtqueue.c - unit tests of the split virtqueue (src/virtio/virtqueue.c, virtio 1.2 §2.7):
 * set-up checks, chains direct and indirect, wrapped indexes, EVENT_IDX and NO_INTERRUPT, and
 * every malformed chain a guest can write, each of which must stop the queue with a reason. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>
#include "virtio/virtqueue.h"

#define RAM	(1u << 20)
#define QSZ	8
#define DESC	0x1000u		/* the three areas, as a driver would place them */
#define AVAIL	0x2000u
#define USED	0x3000u
#define BUF	0x10000u
#define BIG_GPA	0x100000000ull	/* a second region: 8 GiB never touched, for length sums */

static uint8_t *ram;
static struct guest_mem mem;
static struct virtqueue vq;
static struct vq_seg segs[16];
static struct vq_chain ch;
static uint16_t avail_idx;

static int setup(void **state)
{
	(void)state;
	ram = calloc(1, RAM);
	if (!ram)
		return -1;
	memset(&mem, 0, sizeof(mem));
	mem.r[0] = (struct guest_region){ .gpa = 0, .size = RAM, .hva = ram };
	/* Only pointer arithmetic reaches this one: chain_add never touches buffers. */
	mem.r[1] = (struct guest_region){ .gpa = BIG_GPA, .size = 8ull << 30, .hva = ram };
	mem.n = 2;
	memset(&vq, 0, sizeof(vq));
	vq.size = QSZ;
	vq.desc_gpa = DESC;
	vq.avail_gpa = AVAIL;
	vq.used_gpa = USED;
	vq.indirect = true;
	avail_idx = 0;
	ch = (struct vq_chain){ .seg = segs, .max_seg = 16 };
	return vq_enable(&vq, &mem);
}

static int teardown(void **state)
{
	(void)state;
	free(ram);
	return 0;
}

static void put16(uint64_t gpa, uint16_t v) { memcpy(ram + gpa, &v, 2); }
static uint16_t get16(uint64_t gpa) { uint16_t v; memcpy(&v, ram + gpa, 2); return v; }
static uint32_t get32(uint64_t gpa) { uint32_t v; memcpy(&v, ram + gpa, 4); return v; }

/* Descriptor @i of the table at @table. */
static void desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		 uint16_t next)
{
	uint8_t *p = ram + table + 16 * i;

	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

/* Makes the chain at @head available, as the driver does (§2.7.13). */
static void offer(uint16_t head)
{
	put16(AVAIL + 4 + 2 * (avail_idx % QSZ), head);
	avail_idx++;
	put16(AVAIL + 2, avail_idx);
}

static void expect_fault(const char *what)
{
	assert_int_equal(vq_pop(&vq, &ch), -EPROTO);
	assert_non_null(vq.fault);
	assert_non_null(strstr(vq.fault, what));
	/* The queue stays stopped, and pushes do nothing, until a reset. */
	assert_int_equal(vq_pop(&vq, &ch), -EPROTO);
	vq_push(&vq, 0, 1);
	assert_int_equal(get16(USED + 2), 0);
}

static void test_enable(void **state)
{
	static const uint16_t bad_sizes[] = { 0, 3, 6, 100 };

	(void)state;
	for (unsigned i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
		vq.size = bad_sizes[i];
		assert_int_equal(vq_enable(&vq, &mem), -EINVAL);
		assert_false(vq.ready);
		assert_non_null(strstr(vq.fault, "power of 2"));
	}
	vq.size = 32768;
	vq.desc_gpa = 0;
	vq.avail_gpa = 0x80000;
	vq.used_gpa = 0x90000;
	assert_int_equal(vq_enable(&vq, &mem), 0);	/* 512 KiB of descriptors fits */
	vq.size = QSZ;
	vq.desc_gpa = DESC + 8;
	assert_int_equal(vq_enable(&vq, &mem), -EINVAL);
	assert_non_null(strstr(vq.fault, "aligned"));
	vq.desc_gpa = DESC;
	vq.avail_gpa = AVAIL + 1;
	assert_int_equal(vq_enable(&vq, &mem), -EINVAL);
	vq.avail_gpa = AVAIL;
	vq.used_gpa = USED + 2;
	assert_int_equal(vq_enable(&vq, &mem), -EINVAL);
	vq.used_gpa = RAM - 8;				/* runs off the end of RAM */
	assert_int_equal(vq_enable(&vq, &mem), -EINVAL);
	assert_non_null(strstr(vq.fault, "outside guest RAM"));
	assert_null(vq.desc);
	vq.used_gpa = USED;
	assert_int_equal(vq_enable(&vq, &mem), 0);
	assert_true(vq.ready);
	assert_null(vq.fault);
}

/* A request as virtio-blk's: header out, data out, status in; read and answered. */
static void test_chain(void **state)
{
	uint8_t buf[12], st = 0x5a;

	(void)state;
	assert_int_equal(vq_pop(&vq, &ch), 0);		/* empty */
	memcpy(ram + BUF, "header", 6);
	memcpy(ram + BUF + 0x100, "payload", 7);
	desc(DESC, 3, BUF, 6, VIRTQ_DESC_F_NEXT, 5);
	desc(DESC, 5, BUF + 0x100, 7, VIRTQ_DESC_F_NEXT, 1);
	desc(DESC, 1, BUF + 0x200, 1, VIRTQ_DESC_F_WRITE, 0);
	offer(3);
	assert_int_equal(vq_pop(&vq, &ch), 1);
	assert_int_equal(ch.head, 3);
	assert_int_equal(ch.nseg, 3);
	assert_int_equal(ch.nout, 2);
	assert_int_equal(ch.out_len, 13);
	assert_int_equal(ch.in_len, 1);
	assert_int_equal(vq_chain_read(&ch, 0, buf, sizeof(buf)), 12);
	assert_memory_equal(buf, "headerpayloa", 12);
	assert_int_equal(vq_chain_read(&ch, 8, buf, 100), 5);	/* across the boundary, clipped */
	assert_memory_equal(buf, "yload", 5);
	assert_int_equal(vq_chain_write(&ch, 0, &st, 1), 1);
	assert_int_equal(vq_chain_write(&ch, 1, &st, 1), 0);	/* no room past the in part */
	assert_int_equal(ram[BUF + 0x200], 0x5a);
	vq_push(&vq, ch.head, 1);
	assert_int_equal(get16(USED + 2), 1);
	assert_int_equal(get32(USED + 4), 3);
	assert_int_equal(get32(USED + 8), 1);
	assert_int_equal(vq_pop(&vq, &ch), 0);
}

/* Indexes are free-running 16-bit counters (§2.7.6): they wrap past 65535. */
static void test_wrap(void **state)
{
	(void)state;
	vq.last_avail = avail_idx = 65534;
	vq.used_idx = 65534;
	desc(DESC, 0, BUF, 4, 0, 0);
	for (int i = 0; i < 4; i++)
		offer(0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(vq_pop(&vq, &ch), 1);
		vq_push(&vq, ch.head, 0);
	}
	assert_int_equal(vq_pop(&vq, &ch), 0);
	assert_int_equal(vq.last_avail, 2);
	assert_int_equal(get16(USED + 2), 2);
	/* Entry 65535 went to slot 7, entry 0 to slot 0. */
	assert_int_equal(get32(USED + 4 + 8 * 7), 0);
}

static void test_indirect(void **state)
{
	const uint64_t table = 0x8000;

	(void)state;
	desc(table, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 2);
	desc(table, 2, BUF + 0x100, 512, VIRTQ_DESC_F_NEXT, 1);
	desc(table, 1, BUF + 0x400, 1, VIRTQ_DESC_F_WRITE, 0);
	desc(DESC, 4, table, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(4);
	assert_int_equal(vq_pop(&vq, &ch), 1);
	assert_int_equal(ch.head, 4);
	assert_int_equal(ch.nseg, 3);
	assert_int_equal(ch.out_len, 528);
	assert_int_equal(ch.in_len, 1);
	/* Direct descriptors before the indirect one are part of the chain too. */
	desc(DESC, 6, BUF + 0x800, 8, VIRTQ_DESC_F_NEXT, 4);
	offer(6);
	assert_int_equal(vq_pop(&vq, &ch), 1);
	assert_int_equal(ch.nseg, 4);
	assert_int_equal(ch.out_len, 536);
	/* An empty buffer is skipped, not an error. */
	desc(DESC, 0, BUF, 0, VIRTQ_DESC_F_NEXT, 1);
	desc(DESC, 1, BUF, 4, 0, 0);
	offer(0);
	assert_int_equal(vq_pop(&vq, &ch), 1);
	assert_int_equal(ch.nseg, 1);
}

static void test_bad_loop(void **state)
{
	(void)state;
	desc(DESC, 0, BUF, 4, VIRTQ_DESC_F_NEXT, 1);
	desc(DESC, 1, BUF, 4, VIRTQ_DESC_F_NEXT, 0);
	offer(0);
	expect_fault("loops");
	/* vq_reset() and a new enable bring it back, as a device reset does (§2.4). */
	vq_reset(&vq);
	assert_null(vq.fault);
	assert_int_equal(vq_enable(&vq, &mem), 0);
}

static void test_bad_self_loop_indirect(void **state)
{
	(void)state;
	desc(0x8000, 0, BUF, 4, VIRTQ_DESC_F_NEXT, 0);		/* table entry pointing at itself */
	desc(DESC, 0, 0x8000, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_fault("loops");
}

static void test_bad_index(void **state)
{
	(void)state;
	desc(DESC, 0, BUF, 4, VIRTQ_DESC_F_NEXT, QSZ);
	offer(0);
	expect_fault("index lies past the table");
}

static void test_bad_head(void **state)
{
	(void)state;
	offer(QSZ + 2);
	expect_fault("names no descriptor");
}

static void test_bad_avail_idx(void **state)
{
	(void)state;
	put16(AVAIL + 2, QSZ + 1);			/* more entries than the ring has */
	expect_fault("more than a queue ahead");
}

static void test_bad_outside(void **state)
{
	(void)state;
	desc(DESC, 0, RAM - 2, 4, 0, 0);		/* straddles the end of RAM */
	offer(0);
	expect_fault("outside guest RAM");
}

static void test_bad_outside_hole(void **state)
{
	(void)state;
	desc(DESC, 0, 0xfebf0000, 16, 0, 0);		/* a BAR in the PCI hole, not RAM */
	offer(0);
	expect_fault("outside guest RAM");
}

static void test_bad_order(void **state)
{
	(void)state;
	desc(DESC, 0, BUF, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	desc(DESC, 1, BUF, 4, 0, 0);
	offer(0);
	expect_fault("readable buffer follows a device-writable");
}

static void test_bad_nested(void **state)
{
	(void)state;
	desc(0x8000, 0, 0x9000, 16, VIRTQ_DESC_F_INDIRECT, 0);
	desc(DESC, 0, 0x8000, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_fault("inside an indirect table");
}

static void test_bad_indirect_next(void **state)
{
	(void)state;
	desc(DESC, 0, 0x8000, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	offer(0);
	expect_fault("VIRTQ_DESC_F_NEXT");
}

static void test_bad_indirect_len(void **state)
{
	(void)state;
	desc(DESC, 0, 0x8000, 24, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_fault("multiple of 16");
}

static void test_bad_indirect_outside(void **state)
{
	(void)state;
	desc(DESC, 0, RAM - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_fault("indirect table lies outside");
}

static void test_bad_indirect_unnegotiated(void **state)
{
	(void)state;
	vq.indirect = false;
	desc(DESC, 0, 0x8000, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_fault("VIRTIO_F_INDIRECT_DESC");
}

static void test_bad_too_many(void **state)
{
	(void)state;
	ch.max_seg = 2;
	desc(DESC, 0, BUF, 4, VIRTQ_DESC_F_NEXT, 1);
	desc(DESC, 1, BUF, 4, VIRTQ_DESC_F_NEXT, 2);
	desc(DESC, 2, BUF, 4, 0, 0);
	offer(0);
	expect_fault("more buffers than the device accepts");
}

static void test_bad_overflow(void **state)
{
	(void)state;
	desc(DESC, 0, BIG_GPA, 0xc0000000u, VIRTQ_DESC_F_NEXT, 1);
	desc(DESC, 1, BIG_GPA, 0xc0000000u, 0, 0);
	offer(0);
	expect_fault("past 4 GiB");
}

/* §2.7.10: with EVENT_IDX the driver says in used_event which used index it wants to hear of. */
static void test_event_idx(void **state)
{
	const uint64_t used_event = AVAIL + 4 + 2 * QSZ, avail_event = USED + 4 + 8 * QSZ;

	(void)state;
	vq.event_idx = true;
	desc(DESC, 0, BUF, 4, 0, 0);
	for (int i = 0; i < 4; i++)
		offer(0);
	put16(used_event, 0);
	assert_int_equal(vq_pop(&vq, &ch), 1);
	vq_push(&vq, 0, 0);				/* used idx 1: crosses used_event 0 */
	assert_true(vq_should_notify(&vq));
	assert_int_equal(vq_pop(&vq, &ch), 1);
	vq_push(&vq, 0, 0);				/* used idx 2: used_event still 0 */
	assert_false(vq_should_notify(&vq));
	put16(used_event, 3);
	assert_int_equal(vq_pop(&vq, &ch), 1);
	vq_push(&vq, 0, 0);				/* 3: not past 3 yet */
	assert_false(vq_should_notify(&vq));
	assert_int_equal(vq_pop(&vq, &ch), 1);
	vq_push(&vq, 0, 0);				/* 4: entry 3 is now used */
	assert_true(vq_should_notify(&vq));
	vq_want_notify(&vq);
	assert_int_equal(get16(avail_event), 4);
}

/* vq_rewind gives back popped chains (a frame needing more buffers than there are): they pop
 * again in the same order; vq_avail_count and vq_want_notify_ahead count past them. */
static void test_rewind(void **state)
{
	(void)state;
	vq.event_idx = true;
	desc(DESC, 0, BUF, 64, VIRTQ_DESC_F_WRITE, 0);
	desc(DESC, 1, BUF + 64, 64, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	offer(1);
	assert_int_equal(vq_avail_count(&vq), 2);
	assert_int_equal(vq_pop(&vq, &ch), 1);
	assert_int_equal(ch.head, 0);
	assert_int_equal(vq_pop(&vq, &ch), 1);
	assert_int_equal(vq_avail_count(&vq), 0);
	vq_rewind(&vq, 2);
	assert_int_equal(vq_avail_count(&vq), 2);
	vq_want_notify_ahead(&vq, 2);
	assert_int_equal(get16(USED + 4 + 8 * QSZ), 2);	/* avail_event: the next new entry */
	assert_int_equal(vq_pop(&vq, &ch), 1);
	assert_int_equal(ch.head, 0);
	assert_int_equal(vq_pop(&vq, &ch), 1);
	assert_int_equal(ch.head, 1);
	assert_int_equal(vq_pop(&vq, &ch), 0);
}

static void test_no_interrupt(void **state)
{
	(void)state;
	desc(DESC, 0, BUF, 4, 0, 0);
	offer(0);
	assert_int_equal(vq_pop(&vq, &ch), 1);
	vq_push(&vq, 0, 0);
	assert_true(vq_should_notify(&vq));
	put16(AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
	assert_false(vq_should_notify(&vq));
	vq_want_notify(&vq);				/* without EVENT_IDX: writes nothing */
	assert_int_equal(get16(USED + 4 + 8 * QSZ), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_enable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rewind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_indirect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_self_loop_indirect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_head, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_avail_idx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_outside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_outside_hole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_nested, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_indirect_next, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_indirect_len, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_indirect_outside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_indirect_unnegotiated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_too_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event_idx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_interrupt, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
