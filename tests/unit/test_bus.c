/* test_bus.c - unit tests of the address-range bus (src/core/bus.h): registration and overlap
 * rules, lookup at range edges, dispatch offsets, unclaimed accesses, unregistration, the
 * lock each handler runs under, and accesses racing a range that moves (a BAR). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include "core/bus.h"

struct rec {
	uint64_t off;
	unsigned len;
	bool write;
	unsigned calls;
	uint32_t val;
};

static void rec_io(void *opaque, uint64_t off, void *data, unsigned len, bool is_write)
{
	struct rec *r = opaque;

	r->off = off;
	r->len = len;
	r->write = is_write;
	r->calls++;
	if (is_write)
		memcpy(&r->val, data, len > 4 ? 4 : len);
	else
		memset(data, 0x5a, len);
}

static void test_register_overlap(void **state)
{
	struct bus b;
	struct rec r = { 0 };

	(void)state;
	bus_init(&b);
	assert_int_equal(bus_register(&b, 0x100, 0x10, rec_io, &r, "a"), 0);
	/* Every kind of overlap is refused: same, inside, covering, left edge, right edge. */
	assert_int_equal(bus_register(&b, 0x100, 0x10, rec_io, &r, "x"), -EEXIST);
	assert_int_equal(bus_register(&b, 0x104, 0x2, rec_io, &r, "x"), -EEXIST);
	assert_int_equal(bus_register(&b, 0xf0, 0x100, rec_io, &r, "x"), -EEXIST);
	assert_int_equal(bus_register(&b, 0xf8, 0x9, rec_io, &r, "x"), -EEXIST);
	assert_int_equal(bus_register(&b, 0x10f, 0x1, rec_io, &r, "x"), -EEXIST);
	/* Adjacent on both sides is fine. */
	assert_int_equal(bus_register(&b, 0xf0, 0x10, rec_io, &r, "below"), 0);
	assert_int_equal(bus_register(&b, 0x110, 0x10, rec_io, &r, "above"), 0);
	assert_int_equal(b.n, 3);
	/* Kept sorted whatever the registration order. */
	assert_true(b.ranges[0].base == 0xf0 && b.ranges[1].base == 0x100 &&
		    b.ranges[2].base == 0x110);
	bus_free(&b);
}

static void test_register_invalid(void **state)
{
	struct bus b;
	struct rec r = { 0 };

	(void)state;
	bus_init(&b);
	assert_int_equal(bus_register(&b, 0x100, 0, rec_io, &r, "zero"), -EINVAL);
	assert_int_equal(bus_register(&b, UINT64_MAX - 3, 8, rec_io, &r, "wrap"), -EINVAL);
	/* The very last bytes of the address space are fine. */
	assert_int_equal(bus_register(&b, UINT64_MAX - 3, 4, rec_io, &r, "top"), 0);
	assert_non_null(bus_find(&b, UINT64_MAX));
	bus_free(&b);
}

static void test_find_edges(void **state)
{
	struct bus b;
	struct rec r = { 0 };

	(void)state;
	bus_init(&b);
	assert_null(bus_find(&b, 0));
	bus_register(&b, 0x3f8, 8, rec_io, &r, "com1");
	bus_register(&b, 0x20, 2, rec_io, &r, "pic");
	assert_null(bus_find(&b, 0x3f7));
	assert_string_equal(bus_find(&b, 0x3f8)->name, "com1");
	assert_string_equal(bus_find(&b, 0x3ff)->name, "com1");
	assert_null(bus_find(&b, 0x400));
	assert_string_equal(bus_find(&b, 0x21)->name, "pic");
	assert_null(bus_find(&b, 0x22));
	assert_null(bus_find(&b, 0x1f));
	bus_free(&b);
}

static void test_many_ranges(void **state)
{
	struct bus b;
	struct rec r = { 0 };

	(void)state;
	bus_init(&b);
	/* Registered in a scrambled order, more than the initial capacity. */
	for (unsigned i = 0; i < 200; i++)
		assert_int_equal(bus_register(&b, ((i * 37) % 200) * 0x10, 8, rec_io, &r, "r"), 0);
	for (unsigned i = 0; i < 200; i++) {
		assert_non_null(bus_find(&b, i * 0x10 + 7));
		assert_null(bus_find(&b, i * 0x10 + 8));
	}
	for (size_t i = 1; i < b.n; i++)
		assert_true(b.ranges[i - 1].base < b.ranges[i].base);
	bus_free(&b);
}

static void test_access_dispatch(void **state)
{
	struct bus b;
	struct rec r = { 0 };
	uint32_t v = 0x12345678;
	uint8_t buf[8];

	(void)state;
	bus_init(&b);
	bus_register(&b, 0x1000, 0x100, rec_io, &r, "dev");
	assert_true(bus_access(&b, 0x1010, &v, 4, true));
	assert_int_equal(r.off, 0x10);
	assert_int_equal(r.len, 4);
	assert_true(r.write);
	assert_int_equal(r.val, 0x12345678);
	assert_true(bus_access(&b, 0x10f8, buf, 8, false));
	assert_int_equal(r.off, 0xf8);
	assert_int_equal(buf[7], 0x5a);
	assert_int_equal(r.calls, 2);
	assert_int_equal(b.unclaimed_reads + b.unclaimed_writes, 0);
	bus_free(&b);
}

static void test_unclaimed(void **state)
{
	struct bus b;
	struct rec r = { 0 };
	uint32_t v = 0;
	uint8_t w = 7;

	(void)state;
	bus_init(&b);
	bus_register(&b, 0x1000, 0x10, rec_io, &r, "dev");
	/* Nothing there: reads are all-ones, writes dropped, counted separately. */
	assert_false(bus_access(&b, 0x2000, &v, 4, false));
	assert_int_equal(v, 0xffffffff);
	assert_false(bus_access(&b, 0x2000, &w, 1, true));
	/* Straddling the end of a range is not claimed: the device is not called. */
	v = 0;
	assert_false(bus_access(&b, 0x100e, &v, 4, false));
	assert_int_equal(v, 0xffffffff);
	assert_false(bus_access(&b, 0xffe, &v, 4, true));
	assert_int_equal(r.calls, 0);
	assert_int_equal(b.unclaimed_reads, 2);
	assert_int_equal(b.unclaimed_writes, 2);
	bus_free(&b);
}

static void test_unregister(void **state)
{
	struct bus b;
	struct rec r = { 0 };
	uint8_t x;

	(void)state;
	bus_init(&b);
	bus_register(&b, 0x10, 4, rec_io, &r, "a");
	bus_register(&b, 0x20, 4, rec_io, &r, "b");
	bus_register(&b, 0x30, 4, rec_io, &r, "c");
	/* Only the exact base unregisters. */
	assert_int_equal(bus_unregister(&b, 0x21), -ENOENT);
	assert_int_equal(bus_unregister(&b, 0x40), -ENOENT);
	assert_int_equal(bus_unregister(&b, 0x20), 0);
	assert_int_equal(bus_unregister(&b, 0x20), -ENOENT);
	assert_null(bus_find(&b, 0x20));
	assert_false(bus_access(&b, 0x20, &x, 1, false));
	assert_string_equal(bus_find(&b, 0x10)->name, "a");
	assert_string_equal(bus_find(&b, 0x33)->name, "c");
	/* The freed range can be taken again (BAR relocation). */
	assert_int_equal(bus_register(&b, 0x1c, 0x14, rec_io, &r, "moved"), 0);
	assert_int_equal(bus_unregister(&b, 0x10), 0);
	assert_int_equal(bus_unregister(&b, 0x30), 0);
	assert_int_equal(b.n, 1);
	bus_free(&b);
}

/* A handler that records which of two locks it found held (trylock fails on a held mutex). */
struct lockrec {
	pthread_mutex_t *mine, *other;
	unsigned calls, mine_held, other_held;
};

static bool held(pthread_mutex_t *m)
{
	if (pthread_mutex_trylock(m) == EBUSY)
		return true;
	pthread_mutex_unlock(m);
	return false;
}

static void lock_io(void *opaque, uint64_t off, void *data, unsigned len, bool is_write)
{
	struct lockrec *r = opaque;

	(void)off, (void)data, (void)len, (void)is_write;
	r->calls++;
	r->mine_held += held(r->mine);
	r->other_held += held(r->other);
}

/* Each range runs under its own lock, a range registered without one under the default. */
static void test_access_locks(void **state)
{
	pthread_mutex_t dev = PTHREAD_MUTEX_INITIALIZER, dflt = PTHREAD_MUTEX_INITIALIZER;
	struct lockrec a = { .mine = &dev, .other = &dflt }, b = { .mine = &dflt, .other = &dev };
	struct bus bus;
	uint8_t x = 0;

	(void)state;
	bus_init(&bus);
	bus_set_default_lock(&bus, &dflt);
	assert_int_equal(bus_register_locked(&bus, 0x40, 4, lock_io, &a, "dev", &dev), 0);
	assert_int_equal(bus_register(&bus, 0x20, 2, lock_io, &b, "platform"), 0);
	assert_true(bus_access(&bus, 0x41, &x, 1, true));
	assert_true(bus_access(&bus, 0x20, &x, 1, false));
	assert_true(a.calls == 1 && a.mine_held == 1 && a.other_held == 0);
	assert_true(b.calls == 1 && b.mine_held == 1 && b.other_held == 0);
	/* Neither lock is left held, nor taken for an unclaimed access. */
	assert_false(bus_access(&bus, 0x60, &x, 1, false));
	assert_false(held(&dev));
	assert_false(held(&dflt));
	bus_free(&bus);
}

#define RACE_ROUNDS 20000

struct racer {
	struct bus *bus;
	uint64_t addr;
	unsigned calls;		/* under lock */
	pthread_mutex_t lock;
};

static void race_io(void *opaque, uint64_t off, void *data, unsigned len, bool is_write)
{
	struct racer *r = opaque;

	(void)off, (void)len, (void)is_write;
	r->calls++;
	memset(data, 0, len);
}

static void *race_thread(void *arg)
{
	struct racer *r = arg;
	uint32_t v;

	for (unsigned i = 0; i < RACE_ROUNDS; i++)
		bus_access(r->bus, r->addr, &v, 4, false);
	return NULL;
}

/*
 * Two "vCPUs" on two devices with their own locks while a third thread moves a BAR-like range
 * back and forth (unregister + register, as bar.c does): every access reaches its handler, and
 * (under make TSAN=1) nothing races.
 */
static void test_access_races_remap(void **state)
{
	struct bus bus;
	struct racer r[2];
	struct rec moving = { 0 };
	pthread_t t[2];

	(void)state;
	bus_init(&bus);
	for (int i = 0; i < 2; i++) {
		r[i] = (struct racer){ .bus = &bus, .addr = 0x1000 + 0x100 * (uint64_t)i };
		pthread_mutex_init(&r[i].lock, NULL);
		assert_int_equal(bus_register_locked(&bus, r[i].addr, 4, race_io, &r[i], "dev",
						     &r[i].lock), 0);
	}
	assert_int_equal(bus_register(&bus, 0x800, 0x10, rec_io, &moving, "bar"), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, race_thread, &r[i]), 0);
	for (unsigned i = 0; i < RACE_ROUNDS / 10; i++) {
		uint64_t from = i % 2 ? 0x2000 : 0x800, to = i % 2 ? 0x800 : 0x2000;

		assert_int_equal(bus_unregister(&bus, from), 0);
		assert_int_equal(bus_register(&bus, to, 0x10, rec_io, &moving, "bar"), 0);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(r[i].calls, RACE_ROUNDS);
		pthread_mutex_destroy(&r[i].lock);
	}
	assert_int_equal(bus.n, 3);
	bus_free(&bus);
}

static void test_overlaps(void **state)
{
	struct bus b;
	struct rec r = { 0 };

	(void)state;
	bus_init(&b);
	assert_false(bus_overlaps(&b, 0, 0x1000));
	bus_register(&b, 0x100, 0x10, rec_io, &r, "a");
	assert_true(bus_overlaps(&b, 0x10f, 1));
	assert_true(bus_overlaps(&b, 0xf0, 0x11));
	assert_false(bus_overlaps(&b, 0xf0, 0x10));	/* adjacent below */
	assert_false(bus_overlaps(&b, 0x110, 0x10));	/* adjacent above */
	bus_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_overlap),
		cmocka_unit_test(test_register_invalid),
		cmocka_unit_test(test_find_edges),
		cmocka_unit_test(test_many_ranges),
		cmocka_unit_test(test_access_dispatch),
		cmocka_unit_test(test_unclaimed),
		cmocka_unit_test(test_unregister),
		cmocka_unit_test(test_access_locks),
		cmocka_unit_test(test_access_races_remap),
		cmocka_unit_test(test_overlaps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
