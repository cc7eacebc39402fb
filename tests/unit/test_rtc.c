/* test_rtc.c - unit tests of the MC146818A RTC and CMOS RAM against the datasheet, with a
 * fake monotonic clock and the wall clock pinned to 2024-02-29 13:45:30.5 UTC (a Thursday). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "legacy/rtc.h"
#include "core/mem.h"

#define NS 1000000000ULL
#define T0 1709214330LL		/* 2024-02-29 13:45:30 UTC */
#define MONO0 (5 * NS)		/* the fake monotonic clock at the start */

struct fake {
	uint64_t now;
	uint64_t armed;
	int level;
	unsigned rises;
};

static uint64_t fake_now(void *o)
{
	return ((struct fake *)o)->now;
}

static void fake_arm(void *o, uint64_t dl)
{
	((struct fake *)o)->armed = dl;
}

static void fake_set(void *o, unsigned pin, int level)
{
	struct fake *f = o;

	assert_int_equal(pin, 8);
	if (level && !f->level)
		f->rises++;
	f->level = level;
}

struct ctx {
	struct fake f;
	struct rtc *r;
};

static struct rtc *mk(struct ctx *c, uint64_t ram)
{
	struct clock_ops clk = { fake_now, fake_arm, &c->f };
	struct irq_line irq = { fake_set, &c->f, 8 };

	c->f.now = MONO0;
	c->f.armed = CLOCK_NEVER;
	return rtc_new(&irq, &clk, ram);
}

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	c->r = mk(c, 256 * MiB);
	assert_non_null(c->r);
	rtc_set_wall_ns(c->r, T0 * (int64_t)NS + (int64_t)NS / 2);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	rtc_free(c->r);
	free(c);
	return 0;
}

/* Advance the fake clock by @ns. */
static void adv(struct ctx *c, uint64_t ns)
{
	c->f.now += ns;
}

static uint8_t rd(struct ctx *c, uint8_t idx)
{
	uint8_t v = idx;

	rtc_io(c->r, 0, &v, 1, true);
	rtc_io(c->r, 1, &v, 1, false);
	return v;
}

static void wr(struct ctx *c, uint8_t idx, uint8_t val)
{
	rtc_io(c->r, 0, &idx, 1, true);
	rtc_io(c->r, 1, &val, 1, true);
}

static void fire(struct ctx *c)
{
	c->f.now = c->f.armed;
	c->f.armed = CLOCK_NEVER;
	rtc_tick(c->r);
}

static void test_defaults_bcd_24h(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(rd(c, 0x0A), 0x26);	/* 32.768 kHz, 1024 Hz, UIP clear mid-second */
	assert_int_equal(rd(c, 0x0B), 0x02);	/* 24-hour, BCD */
	assert_int_equal(rd(c, 0x0C), 0x00);
	assert_int_equal(rd(c, 0x0D), 0x80);	/* VRT */
	assert_int_equal(rd(c, 0), 0x30);
	assert_int_equal(rd(c, 2), 0x45);
	assert_int_equal(rd(c, 4), 0x13);
	assert_int_equal(rd(c, 6), 0x05);	/* Thursday, 1 = Sunday */
	assert_int_equal(rd(c, 7), 0x29);
	assert_int_equal(rd(c, 8), 0x02);
	assert_int_equal(rd(c, 9), 0x24);
	assert_int_equal(rd(c, 0x32), 0x20);	/* century, BCD */
	assert_int_equal(c->f.armed, CLOCK_NEVER);	/* no interrupt enabled */
	/* The clock runs: 30.5 s + 30 s = 01:00.5 past 13:45 */
	adv(c, 30 * NS);
	assert_int_equal(rd(c, 0), 0x00);
	assert_int_equal(rd(c, 2), 0x46);
}

static void test_binary_12h(void **state)
{
	struct ctx *c = *state;

	wr(c, 0x0B, 0x04);			/* binary, 12-hour */
	assert_int_equal(rd(c, 0), 30);
	assert_int_equal(rd(c, 2), 45);
	assert_int_equal(rd(c, 4), 0x81);	/* 1 PM */
	assert_int_equal(rd(c, 9), 24);
	assert_int_equal(rd(c, 0x32), 0x20);	/* century stays BCD */
	rtc_set_wall_ns(c->r, (T0 - 13 * 3600) * (int64_t)NS);	/* 00:45:30 */
	assert_int_equal(rd(c, 4), 12);		/* 12 AM */
	wr(c, 0x0B, 0x00);			/* BCD, 12-hour */
	assert_int_equal(rd(c, 4), 0x12);
	rtc_set_wall_ns(c->r, (T0 - 3600) * (int64_t)NS);	/* 12:45:30 */
	assert_int_equal(rd(c, 4), 0x92);	/* 12 PM */
	rtc_set_wall_ns(c->r, (T0 + 10 * 3600) * (int64_t)NS);	/* 23:45:30 */
	assert_int_equal(rd(c, 4), 0x91);	/* 11 PM */
	wr(c, 0x0B, 0x06);
	assert_int_equal(rd(c, 4), 23);
}

/* UIP is 1 during the 244 us before each update, 0 otherwise and while SET=1. */
static void test_uip(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(rd(c, 0x0A) & 0x80, 0);	/* at .5 s */
	adv(c, NS / 2 - 245000);			/* 245 us before the update */
	assert_int_equal(rd(c, 0x0A) & 0x80, 0);
	adv(c, 2000);					/* 243 us before */
	assert_int_equal(rd(c, 0x0A), 0x80 | 0x26);
	assert_int_equal(rd(c, 0), 0x30);		/* not updated yet */
	adv(c, 243000);					/* the update */
	assert_int_equal(rd(c, 0x0A) & 0x80, 0);
	assert_int_equal(rd(c, 0), 0x31);
	adv(c, NS - 100000);
	assert_int_equal(rd(c, 0x0A) & 0x80, 0x80);
	wr(c, 0x0B, 0x82);				/* SET: no updates, no UIP */
	assert_int_equal(rd(c, 0x0A) & 0x80, 0);
}

/* SET freezes the registers; the time written then is kept as an offset from host time. */
static void test_set(void **state)
{
	struct ctx *c = *state;

	wr(c, 0x0B, 0x12);			/* UIE */
	wr(c, 0x0B, 0x92);			/* SET clears UIE */
	assert_int_equal(rd(c, 0x0B), 0x82);
	adv(c, 5 * NS);
	assert_int_equal(rd(c, 0), 0x30);	/* frozen */
	wr(c, 0, 0x00);
	wr(c, 2, 0x00);
	wr(c, 4, 0x00);
	wr(c, 7, 0x01);
	wr(c, 8, 0x01);
	wr(c, 9, 0x30);
	adv(c, 3 * NS);
	assert_int_equal(rd(c, 9), 0x30);
	assert_int_equal(rd(c, 0x0C) & 0x10, 0);	/* no update while SET */
	wr(c, 0x0B, 0x02);			/* run from 2030-01-01 00:00:00.5 */
	assert_int_equal(rd(c, 6), 0x03);	/* derived: a Tuesday */
	adv(c, 61 * NS);
	assert_int_equal(rd(c, 0), 0x01);
	assert_int_equal(rd(c, 2), 0x01);
	assert_int_equal(rd(c, 4), 0x00);
	assert_int_equal(rd(c, 9), 0x30);
	assert_int_equal(rd(c, 0x32), 0x20);
	/* Same time 61 s later, the phase kept: UIP 244 us before the next whole second. */
	adv(c, NS / 2 - 100000);
	assert_int_equal(rd(c, 0x0A) & 0x80, 0x80);
}

/* Writing one field while the clock runs changes only that field. */
static void test_write_running(void **state)
{
	struct ctx *c = *state;

	wr(c, 2, 0x10);
	assert_int_equal(rd(c, 2), 0x10);
	assert_int_equal(rd(c, 4), 0x13);
	adv(c, 2 * NS);
	assert_int_equal(rd(c, 0), 0x32);
	assert_int_equal(rd(c, 2), 0x10);
	/* The century register is part of the time. */
	wr(c, 0x32, 0x21);
	assert_int_equal(rd(c, 9), 0x24);
	assert_int_equal(rd(c, 0x32), 0x21);
}

/* Register C: flags set whether or not enabled, IRQF only when enabled, read-to-clear. */
static void test_reg_c(void **state)
{
	struct ctx *c = *state;

	adv(c, NS);
	assert_int_equal(rd(c, 0x0C), 0x50);	/* PF, UF without PIE/UIE: no IRQF, no IRQ */
	assert_int_equal(rd(c, 0x0C), 0x00);
	wr(c, 0x0A, 0x20);			/* RS = 0: no periodic flag from here */
	adv(c, NS);
	assert_int_equal(rd(c, 0x0C), 0x10);
	assert_int_equal(rd(c, 0x0C), 0x00);
	assert_int_equal(c->f.rises, 0);
	wr(c, 0x0B, 0x12);			/* UIE */
	assert_int_equal(c->f.armed, MONO0 + 2 * NS + NS / 2);	/* the next update */
	fire(c);
	assert_int_equal(c->f.level, 1);
	assert_int_equal(c->f.rises, 1);
	assert_int_equal(c->f.armed, CLOCK_NEVER);	/* IRQF set: nothing until C is read */
	adv(c, 3 * NS);
	assert_int_equal(rd(c, 0x0C), 0x90);
	assert_int_equal(c->f.level, 0);
	assert_int_equal(rd(c, 0x0C), 0x00);
	assert_int_not_equal(c->f.armed, CLOCK_NEVER);
	/* Enabling an interrupt whose flag is already set raises IRQF at once. */
	wr(c, 0x0B, 0x02);
	adv(c, NS);
	wr(c, 0x0B, 0x12);
	assert_int_equal(c->f.level, 1);
	wr(c, 0x0C, 0x00);			/* read-only */
	assert_int_equal(rd(c, 0x0C), 0x90);
	wr(c, 0x0D, 0x00);
	assert_int_equal(rd(c, 0x0D), 0x80);
}

/* Periodic interrupts at the rate register A selects, one IRQ8 edge per period. */
static unsigned count_periodic(struct ctx *c, uint8_t a, uint64_t span)
{
	uint64_t end = c->f.now + span;
	unsigned n = 0;

	c->f.rises = 0;
	wr(c, 0x0A, a);
	wr(c, 0x0B, 0x42);			/* PIE */
	while (c->f.armed <= end) {
		fire(c);
		assert_int_equal(c->f.level, 1);
		assert_int_equal(rd(c, 0x0C) & 0xE0, 0xC0);	/* IRQF PF (UF on seconds) */
		n++;
	}
	wr(c, 0x0B, 0x02);
	assert_int_equal(c->f.rises, n);
	return n;
}

static void test_periodic(void **state)
{
	struct ctx *c = *state;

	/* The wall clock is at x.5 s: every rate divides it exactly. */
	assert_int_equal(count_periodic(c, 0x26, NS), 1024);
	assert_int_equal(count_periodic(c, 0x2F, 10 * NS), 20);		/* 2 Hz */
	assert_int_equal(count_periodic(c, 0x21, NS), 256);		/* RS=1: 3.90625 ms */
	assert_int_equal(count_periodic(c, 0x23, NS / 8), 1024);	/* 8192 Hz */
	/* RS=0: no periodic interrupt. */
	wr(c, 0x0A, 0x20);
	wr(c, 0x0B, 0x42);
	assert_int_equal(c->f.armed, CLOCK_NEVER);
	/* The flag is set even without PIE. */
	wr(c, 0x0B, 0x02);
	wr(c, 0x0A, 0x26);
	rd(c, 0x0C);
	adv(c, NS / 1024 + 1);
	assert_int_equal(rd(c, 0x0C) & 0x40, 0x40);
}

/* Alarm at 13:45:35 fires with the update that reaches it; 0xC0+ is "don't care". */
static void test_alarm(void **state)
{
	struct ctx *c = *state;
	unsigned n = 0;

	wr(c, 0x0A, 0x20);			/* no periodic flag */
	wr(c, 1, 0x35);
	wr(c, 3, 0x45);
	wr(c, 5, 0x13);
	wr(c, 0x0B, 0x22);			/* AIE */
	while (!c->f.level) {
		fire(c);
		n++;
	}
	assert_int_equal(n, 5);
	assert_int_equal(rd(c, 0), 0x35);
	assert_int_equal(rd(c, 0x0C), 0xB0);	/* IRQF AF UF */
	/* Every second with don't-care fields. */
	wr(c, 1, 0xFF);
	wr(c, 3, 0xC0);
	wr(c, 5, 0xC0);
	fire(c);
	assert_int_equal(rd(c, 0x0C), 0xB0);
	/* Missed while nobody looked: found when C is read, a day later. */
	wr(c, 0x0B, 0x02);
	wr(c, 1, 0x00);
	wr(c, 3, 0x00);
	wr(c, 5, 0x07);
	rd(c, 0x0C);
	adv(c, 86400 * NS);
	assert_int_equal(rd(c, 0x0C), 0x30);
}

/* Divider reset (DV = 11x) stops the clock; the first update comes 500 ms after restart. */
static void test_divider(void **state)
{
	struct ctx *c = *state;

	wr(c, 0x0A, 0x76);
	adv(c, 10 * NS);
	assert_int_equal(rd(c, 0), 0x30);
	assert_int_equal(rd(c, 0x0A), 0x76);
	wr(c, 0x0A, 0x26);
	adv(c, NS / 2 - 1000);
	assert_int_equal(rd(c, 0), 0x30);
	adv(c, 1000);
	assert_int_equal(rd(c, 0), 0x31);
}

static void test_index_port(void **state)
{
	struct ctx *c = *state;
	uint8_t v[2] = { 0x8D, 0 };

	rtc_io(c->r, 0, v, 1, true);		/* NMI disable + register D */
	rtc_io(c->r, 1, v, 1, false);
	assert_int_equal(v[0], 0x80);
	rtc_io(c->r, 0, v, 1, false);
	assert_int_equal(v[0], 0xFF);		/* write-only */
	v[0] = 0x7F;
	v[1] = 0xA5;
	rtc_io(c->r, 0, v, 2, true);		/* a 16-bit write: index then data */
	assert_int_equal(rd(c, 0x7F), 0xA5);
	rtc_io(c->r, 2, v, 1, false);		/* outside the range */
	assert_int_equal(v[0], 0xFF);
}

/* Garbage written during SET is taken without harm (out-of-range fields roll over). */
static void test_bad_time(void **state)
{
	struct ctx *c = *state;
	uint8_t s;

	wr(c, 0x0B, 0x82);
	for (uint8_t i = 0; i < 10; i++)
		wr(c, i, 0xFF);
	wr(c, 0x32, 0xFF);
	wr(c, 0x0B, 0x02);
	adv(c, 2 * NS);
	s = rd(c, 0);
	assert_true((s & 0xF) <= 9 && (s >> 4) <= 5);
	assert_true(rd(c, 8) >= 1 && rd(c, 8) <= 0x12);
	/* Century 165 is beyond what is kept: refused, the old time goes on. */
	assert_int_equal(rd(c, 0x32), 0x20);
	assert_int_equal(rd(c, 9), 0x24);
	assert_int_equal(rd(c, 8), 0x02);
	/* Month 13 of 2024 rolls over to January 2025. */
	wr(c, 0x0B, 0x82);
	wr(c, 8, 0x13);
	wr(c, 0x0B, 0x02);
	assert_int_equal(rd(c, 8), 0x01);
	assert_int_equal(rd(c, 9), 0x25);
	assert_int_equal(rd(c, 7), 0x29);
}

static void check_cmos(struct ctx *c, const uint8_t *want, const uint8_t *idx, unsigned n)
{
	unsigned sum = 0;

	for (unsigned i = 0; i < n; i++)
		assert_int_equal(rd(c, idx[i]), want[i]);
	for (unsigned i = 0x10; i <= 0x2D; i++)
		sum += rd(c, (uint8_t)i);
	assert_int_equal(rd(c, 0x2E) << 8 | rd(c, 0x2F), sum);
}

static void test_cmos_256m(void **state)
{
	struct ctx *c = *state;
	/* 640 KiB base; 255 MiB extended is over 0xFFFF KiB; (256 - 16) MiB / 64 KiB = 0x0F00. */
	static const uint8_t idx[] = { 0x10, 0x14, 0x15, 0x16, 0x17, 0x18, 0x30, 0x31, 0x34,
				       0x35, 0x5B, 0x5C, 0x5D };
	static const uint8_t want[] = { 0x00, 0x02, 0x80, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x00,
					0x0F, 0x00, 0x00, 0x00 };

	check_cmos(c, want, idx, sizeof(idx));
}

static void test_cmos_6g(void **state)
{
	struct ctx *c = *state;
	/* 3 GiB below the hole: (3072 - 16) MiB / 64 KiB = 0xBF00; 3 GiB above 4 GiB = 0xC000. */
	static const uint8_t idx[] = { 0x15, 0x16, 0x17, 0x18, 0x34, 0x35, 0x5B, 0x5C, 0x5D };
	static const uint8_t want[] = { 0x80, 0x02, 0xFF, 0xFF, 0x00, 0xBF, 0x00, 0xC0, 0x00 };

	rtc_free(c->r);
	c->r = mk(c, 6 * GiB);
	check_cmos(c, want, idx, sizeof(idx));
}

static void test_cmos_small(void **state)
{
	struct ctx *c = *state;
	/* 16 MiB: 15 MiB extended = 15360 KiB = 0x3C00; nothing above 16 MiB. */
	static const uint8_t idx[] = { 0x17, 0x18, 0x30, 0x31, 0x34, 0x35 };
	static const uint8_t want[] = { 0x00, 0x3C, 0x00, 0x3C, 0x00, 0x00 };

	rtc_free(c->r);
	c->r = mk(c, 16 * MiB);
	check_cmos(c, want, idx, sizeof(idx));
	rtc_cmos_set(c->r, 0x2D, 0x11);		/* the checksum follows */
	check_cmos(c, want, idx, sizeof(idx));
	rtc_cmos_set(c->r, 0x05, 0x11);		/* not RAM: ignored */
	assert_int_equal(rd(c, 5), 0);
}

/* RESET: enables and flags cleared, IRQ8 released, clock, format and RAM untouched. */
static void test_reset(void **state)
{
	struct ctx *c = *state;

	wr(c, 0x0B, 0x7C);			/* PIE AIE UIE SQWE, binary, 12-hour */
	wr(c, 0x40, 0x5A);
	fire(c);
	assert_int_equal(c->f.level, 1);
	rtc_reset(c->r);
	assert_int_equal(c->f.level, 0);
	assert_int_equal(c->f.armed, CLOCK_NEVER);
	assert_int_equal(rd(c, 0x0B), 0x04);
	assert_int_equal(rd(c, 0x0C), 0x00);
	assert_int_equal(rd(c, 0x0A), 0x26);
	assert_int_equal(rd(c, 0x40), 0x5A);
	assert_int_equal(rd(c, 0), 30);		/* the first event was a periodic one */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)
		T(test_defaults_bcd_24h), T(test_binary_12h), T(test_uip), T(test_set),
		T(test_write_running), T(test_reg_c), T(test_periodic), T(test_alarm),
		T(test_divider), T(test_index_port), T(test_bad_time), T(test_cmos_256m),
		T(test_cmos_6g), T(test_cmos_small), T(test_reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
