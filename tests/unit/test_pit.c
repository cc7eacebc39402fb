/* test_pit.c - unit tests of the 8254 PIT and port 0x61 against the Intel 82C54 datasheet,
 * driven by a fake clock (CLK pulse T happens at ceil(T * 1e9 / 1193182) ns) and a fake IRQ0. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "legacy/pit.h"

struct fake {
	uint64_t now;
	uint64_t armed;
	unsigned narm;
	int level;
	unsigned rises;
	unsigned sets;
};

static uint64_t fake_now(void *o)
{
	return ((struct fake *)o)->now;
}

static void fake_arm(void *o, uint64_t dl)
{
	struct fake *f = o;

	f->armed = dl;
	f->narm++;
}

static void fake_set(void *o, unsigned pin, int level)
{
	struct fake *f = o;

	assert_int_equal(pin, 0);
	if (level && !f->level)
		f->rises++;
	f->level = level;
	f->sets++;
}

struct ctx {
	struct fake f;
	struct pit *p;
};

/* ns of CLK pulse t (the pit's epoch is 0: the fake clock reads 0 at pit_new). */
static uint64_t tick_ns(uint64_t t)
{
	return (t * 1000000000ULL + PIT_FREQ_HZ - 1) / PIT_FREQ_HZ;
}

static void at(struct ctx *c, uint64_t t)
{
	c->f.now = tick_ns(t);
}

/* The armed deadline fired: the clock forgets it and calls pit_tick(). */
static void fire(struct ctx *c)
{
	c->f.armed = CLOCK_NEVER;
	pit_tick(c->p);
}

static void outb(struct ctx *c, unsigned port, uint8_t v)
{
	if (port == 0x61)
		pit_port61_io(c->p, 0, &v, 1, true);
	else
		pit_io(c->p, port - 0x40, &v, 1, true);
}

static uint8_t inb(struct ctx *c, unsigned port)
{
	uint8_t v = 0x5A;

	if (port == 0x61)
		pit_port61_io(c->p, 0, &v, 1, false);
	else
		pit_io(c->p, port - 0x40, &v, 1, false);
	return v;
}

/* Latch and read a counter's count (RW = LSB then MSB). */
static unsigned rd16(struct ctx *c, unsigned ctr)
{
	unsigned lo, hi;

	outb(c, 0x43, (uint8_t)(ctr << 6));
	lo = inb(c, 0x40 + ctr);
	hi = inb(c, 0x40 + ctr);
	return lo | hi << 8;
}

/* Read-back status of one counter. */
static uint8_t status(struct ctx *c, unsigned ctr)
{
	outb(c, 0x43, (uint8_t)(0xE0 | 2 << ctr));
	return inb(c, 0x40 + ctr);
}

static bool out2(struct ctx *c)
{
	return inb(c, 0x61) & 0x20;
}

static void prog(struct ctx *c, unsigned ctr, uint8_t cw, unsigned count)
{
	outb(c, 0x43, (uint8_t)(ctr << 6 | cw));
	outb(c, 0x40 + ctr, count & 0xFF);
	outb(c, 0x40 + ctr, count >> 8);
}

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct clock_ops clk = { fake_now, fake_arm, &c->f };
	struct irq_line irq = { fake_set, &c->f, 0 };

	c->p = pit_new(&irq, &clk);
	assert_non_null(c->p);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	pit_free(c->p);
	free(c);
	return 0;
}

static void test_reset_state(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(c->f.level, 0);
	assert_int_equal(c->f.armed, CLOCK_NEVER);
	/* No control word yet: counters read 0xFF, writes are ignored. */
	assert_int_equal(inb(c, 0x40), 0xFF);
	outb(c, 0x40, 0x12);
	assert_int_equal(c->f.armed, CLOCK_NEVER);
	/* Gate 2 low, OUT2 low, speaker off. */
	assert_int_equal(inb(c, 0x61) & 0x23, 0);
}

/* Mode 0: OUT low after the control word, high N+1 pulses after the count write. */
static void test_mode0_waveform(void **state)
{
	struct ctx *c = *state;

	at(c, 100);
	outb(c, 0x43, 0x30);		/* counter 0, LSB/MSB, mode 0, binary */
	assert_int_equal(status(c, 0) & 0xC0, 0x40);	/* OUT low, null count */
	outb(c, 0x40, 10);
	assert_int_equal(c->f.armed, CLOCK_NEVER);	/* half a count: nothing armed */
	outb(c, 0x40, 0);
	assert_int_equal(c->f.armed, tick_ns(111));
	assert_int_equal(status(c, 0), 0x40 | 0x30);	/* not loaded yet */
	at(c, 101);
	assert_int_equal(status(c, 0), 0x30);		/* loaded: null count clear */
	assert_int_equal(rd16(c, 0), 10);
	at(c, 105);
	assert_int_equal(rd16(c, 0), 6);
	at(c, 110);
	assert_int_equal(rd16(c, 0), 1);
	assert_int_equal(status(c, 0) & 0x80, 0);
	assert_int_equal(c->f.level, 0);
	at(c, 111);
	fire(c);
	assert_int_equal(c->f.level, 1);
	assert_int_equal(c->f.rises, 1);
	assert_int_equal(rd16(c, 0), 0);
	assert_int_equal(status(c, 0) & 0x80, 0x80);
	/* One-shot: nothing more to arm; the counter wraps and keeps counting. */
	assert_int_equal(c->f.armed, CLOCK_NEVER);
	at(c, 113);
	assert_int_equal(rd16(c, 0), 0xFFFE);
	assert_int_equal(c->f.level, 1);
	/* A new control word drives OUT low at once. */
	outb(c, 0x43, 0x30);
	assert_int_equal(c->f.level, 0);
}

/* Mode 0, RW=3: the first byte stops counting (OUT low), the second restarts. */
static void test_mode0_first_byte_stops(void **state)
{
	struct ctx *c = *state;

	outb(c, 0x61, 1);
	prog(c, 2, 0x30, 5);
	at(c, 7);
	assert_true(out2(c));		/* 6 pulses after the write */
	outb(c, 0x42, 3);		/* LSB: counting stops, OUT low */
	assert_false(out2(c));
	at(c, 20);
	assert_false(out2(c));
	assert_int_equal(rd16(c, 2), 0xFFFF);	/* held where it stopped: 5 - 6 wrapped */
}

/* Mode 2: OUT low for one pulse when the count is 1; period N. */
static void test_mode2_waveform(void **state)
{
	struct ctx *c = *state;
	const unsigned cnt[] = { 4, 3, 2, 1, 4, 3, 2, 1 };
	const bool out[] = { 1, 1, 1, 0, 1, 1, 1, 0 };

	outb(c, 0x61, 1);
	at(c, 50);
	prog(c, 2, 0x34, 4);
	assert_true(out2(c));
	for (unsigned i = 0; i < 8; i++) {
		at(c, 51 + i);
		assert_int_equal(rd16(c, 2), cnt[i]);
		assert_int_equal(out2(c), out[i]);
	}
}

/* Mode 3, even count: high N/2, low N/2, counting down by two. */
static void test_mode3_even(void **state)
{
	struct ctx *c = *state;
	const unsigned cnt[] = { 6, 4, 2, 6, 4, 2, 6 };
	const bool out[] = { 1, 1, 1, 0, 0, 0, 1 };

	outb(c, 0x61, 1);
	prog(c, 2, 0x36, 6);
	for (unsigned i = 0; i < 7; i++) {
		at(c, 1 + i);
		assert_int_equal(rd16(c, 2), cnt[i]);
		assert_int_equal(out2(c), out[i]);
	}
}

/* Mode 3, odd count: N-1 loaded, high (N+1)/2 pulses, low (N-1)/2. */
static void test_mode3_odd(void **state)
{
	struct ctx *c = *state;
	const unsigned cnt[] = { 4, 2, 0, 4, 2, 4, 2, 0, 4 };
	const bool out[] = { 1, 1, 1, 0, 0, 1, 1, 1, 0 };

	outb(c, 0x61, 1);
	prog(c, 2, 0x36, 5);
	for (unsigned i = 0; i < 9; i++) {
		at(c, 1 + i);
		assert_int_equal(rd16(c, 2), cnt[i]);
		assert_int_equal(out2(c), out[i]);
	}
}

/* Mode 4: OUT low for exactly one pulse, N+1 pulses after the write; the count wraps. */
static void test_mode4_strobe(void **state)
{
	struct ctx *c = *state;
	const unsigned cnt[] = { 3, 2, 1, 0, 0xFFFF, 0xFFFE };
	const bool out[] = { 1, 1, 1, 0, 1, 1 };

	outb(c, 0x61, 1);
	prog(c, 2, 0x38, 3);
	assert_true(out2(c));
	for (unsigned i = 0; i < 6; i++) {
		at(c, 1 + i);
		assert_int_equal(rd16(c, 2), cnt[i]);
		assert_int_equal(out2(c), out[i]);
	}
}

/* Mode 1: the gate's rising edge starts a one-shot (OUT low N pulses); retriggerable. */
static void test_mode1_one_shot(void **state)
{
	struct ctx *c = *state;

	prog(c, 2, 0x32, 3);
	at(c, 10);
	assert_true(out2(c));
	assert_int_equal(status(c, 2) & 0x40, 0x40);	/* CR not loaded: no trigger yet */
	outb(c, 0x61, 1);			/* trigger at pulse 10 */
	at(c, 11);
	assert_false(out2(c));
	assert_int_equal(rd16(c, 2), 3);
	assert_int_equal(status(c, 2) & 0x40, 0);
	at(c, 13);
	assert_false(out2(c));
	assert_int_equal(rd16(c, 2), 1);
	at(c, 14);
	assert_true(out2(c));
	assert_int_equal(rd16(c, 2), 0);
	/* Retrigger while low extends the pulse. */
	outb(c, 0x61, 0);
	outb(c, 0x61, 1);			/* trigger at 14 */
	at(c, 16);
	outb(c, 0x61, 0);
	outb(c, 0x61, 1);			/* retrigger at 16 */
	at(c, 19);
	assert_false(out2(c));
	at(c, 20);
	assert_true(out2(c));
}

/* Mode 5: the gate's rising edge starts the count; OUT low one pulse at terminal count. */
static void test_mode5_strobe(void **state)
{
	struct ctx *c = *state;
	const bool out[] = { 1, 1, 0, 1 };

	prog(c, 2, 0x3A, 2);
	at(c, 30);
	assert_true(out2(c));
	outb(c, 0x61, 1);
	for (unsigned i = 0; i < 4; i++) {
		at(c, 31 + i);
		assert_int_equal(out2(c), out[i]);
	}
}

/* Gate low suspends mode 0 counting; gate low in mode 2 forces OUT high, high reloads. */
static void test_gate(void **state)
{
	struct ctx *c = *state;

	outb(c, 0x61, 1);
	prog(c, 2, 0x30, 10);
	at(c, 5);
	assert_int_equal(rd16(c, 2), 6);
	outb(c, 0x61, 0);
	at(c, 500);
	assert_int_equal(rd16(c, 2), 6);
	assert_false(out2(c));
	outb(c, 0x61, 1);
	at(c, 505);
	assert_false(out2(c));
	at(c, 506);			/* 5 + 6 = 11 pulses counted */
	assert_true(out2(c));

	prog(c, 2, 0x34, 4);		/* mode 2 at pulse 506 */
	at(c, 510);
	assert_false(out2(c));		/* count 1 */
	outb(c, 0x61, 0);
	assert_true(out2(c));		/* forced high */
	at(c, 520);
	assert_int_equal(rd16(c, 2), 1);	/* stopped */
	outb(c, 0x61, 1);		/* reload on the next pulse */
	at(c, 521);
	assert_int_equal(rd16(c, 2), 4);
	at(c, 524);
	assert_false(out2(c));

	at(c, 600);
	/* Mode 0 written with the gate low: loaded on the next pulse, then held; OUT goes
	 * high N pulses after the gate rises (82C54, Mode 0). */
	outb(c, 0x61, 0);
	prog(c, 2, 0x30, 0x1234);
	assert_int_not_equal(rd16(c, 2), 0x1234);	/* not loaded yet: old value */
	at(c, 1000);
	assert_int_equal(status(c, 2), 0x30);		/* loaded: null count clear */
	assert_int_equal(rd16(c, 2), 0x1234);
	outb(c, 0x61, 1);
	at(c, 1000 + 0x1233);
	assert_false(out2(c));
	assert_int_equal(rd16(c, 2), 1);
	at(c, 1000 + 0x1234);
	assert_true(out2(c));
}

/* BCD: counts are decimal; 0 means 10000. */
static void test_bcd(void **state)
{
	struct ctx *c = *state;

	outb(c, 0x61, 1);
	prog(c, 2, 0x31, 0x0100);
	at(c, 1);
	assert_int_equal(rd16(c, 2), 0x0100);
	at(c, 2);
	assert_int_equal(rd16(c, 2), 0x0099);
	at(c, 101);
	assert_int_equal(rd16(c, 2), 0x0000);
	assert_true(out2(c));
	at(c, 102);
	assert_int_equal(rd16(c, 2), 0x9999);	/* wraps in decimal */

	at(c, 200);
	prog(c, 2, 0x31, 0);			/* 10000 */
	at(c, 201);
	assert_int_equal(rd16(c, 2), 0x0000);
	at(c, 202);
	assert_int_equal(rd16(c, 2), 0x9999);
	at(c, 10200);
	assert_false(out2(c));
	at(c, 10201);
	assert_true(out2(c));
	/* Not decimal nibbles: undefined on the chip; must not crash, stays decimal. */
	prog(c, 2, 0x31, 0xFFFF);
	at(c, 10203);
	assert_true((rd16(c, 2) & 0xF) <= 9);
}

/* Binary count 0 is 65536. */
static void test_count_zero(void **state)
{
	struct ctx *c = *state;

	outb(c, 0x61, 1);
	prog(c, 2, 0x30, 0);
	at(c, 1);
	assert_int_equal(rd16(c, 2), 0);
	at(c, 2);
	assert_int_equal(rd16(c, 2), 0xFFFF);
	at(c, 65536);
	assert_false(out2(c));
	at(c, 65537);
	assert_true(out2(c));
}

/* RW = LSB only, MSB only, LSB then MSB, with the read flip-flop. */
static void test_access_modes(void **state)
{
	struct ctx *c = *state;

	outb(c, 0x61, 1);
	outb(c, 0x43, 0x90);			/* counter 2, LSB only, mode 0 */
	outb(c, 0x42, 0x20);
	at(c, 1);
	assert_int_equal(inb(c, 0x42), 0x20);
	assert_int_equal(inb(c, 0x42), 0x20);	/* no flip-flop */
	assert_int_equal(status(c, 2) & 0x3F, 0x10);

	at(c, 10);
	outb(c, 0x43, 0xA0);			/* MSB only */
	outb(c, 0x42, 0x02);			/* count 0x200 */
	at(c, 11);
	assert_int_equal(inb(c, 0x42), 0x02);
	at(c, 12);
	assert_int_equal(inb(c, 0x42), 0x01);	/* 0x1FF */

	at(c, 20);
	outb(c, 0x43, 0xB0);			/* LSB then MSB */
	outb(c, 0x42, 0x34);
	outb(c, 0x42, 0x12);
	at(c, 21);
	assert_int_equal(inb(c, 0x42), 0x34);
	at(c, 22);
	assert_int_equal(inb(c, 0x42), 0x12);	/* MSB of 0x1233 */
	assert_int_equal(inb(c, 0x42), 0x33);	/* flip-flop back to LSB */
	/* A control word resets the write flip-flop: half-written count is dropped. */
	outb(c, 0x42, 0x99);
	outb(c, 0x43, 0xB0);
	outb(c, 0x42, 0x05);
	outb(c, 0x42, 0x00);
	at(c, 23);
	assert_int_equal(rd16(c, 2), 5);
}

/* Counter latch: the value is frozen until read; a second latch before reading is ignored. */
static void test_latch(void **state)
{
	struct ctx *c = *state;

	outb(c, 0x61, 1);
	prog(c, 2, 0x30, 1000);
	at(c, 11);
	outb(c, 0x43, 0x80);			/* latch counter 2: 990 */
	at(c, 51);
	outb(c, 0x43, 0x80);			/* ignored */
	assert_int_equal(inb(c, 0x42), 990 & 0xFF);
	at(c, 61);
	assert_int_equal(inb(c, 0x42), 990 >> 8);
	assert_int_equal(rd16(c, 2), 940);	/* live again */
}

/* Read-back: several counters at once, status first then count. */
static void test_readback(void **state)
{
	struct ctx *c = *state;

	at(c, 1000);
	prog(c, 0, 0x34, 100);			/* mode 2 */
	outb(c, 0x43, 0x3C);			/* counter 0 again: mode 6 = mode 2, X bit kept */
	outb(c, 0x40, 100);
	outb(c, 0x40, 0);
	outb(c, 0x61, 1);
	prog(c, 2, 0xB0, 50);			/* mode 0 */
	outb(c, 0x43, 0xC0 | 0x08 | 0x02);	/* latch count + status of counters 0, 2 */
	assert_int_equal(inb(c, 0x40), 0x80 | 0x40 | 0x3C);	/* OUT high, null count */
	at(c, 1001);
	assert_int_equal(inb(c, 0x40), 0);	/* count latched before load: held value */
	assert_int_equal(inb(c, 0x40), 0);
	assert_int_equal(inb(c, 0x42), 0x40 | 0x30);		/* OUT low, null count */
	at(c, 1010);
	assert_int_equal(inb(c, 0x42), 0);
	assert_int_equal(inb(c, 0x42), 0);
	/* Status only. */
	outb(c, 0x43, 0xE8);
	assert_int_equal(inb(c, 0x42), 0x30);			/* loaded: null count clear */
	assert_int_equal(rd16(c, 2), 41);
	/* Count only. */
	outb(c, 0x43, 0xD2);
	at(c, 1020);
	assert_int_equal(inb(c, 0x40), 100 - (1010 - 1000 - 1));	/* latched at 1010 */
	assert_int_equal(inb(c, 0x40), 0);
	/* Status of mode 2 after loading: 0x3C, OUT high. */
	assert_int_equal(status(c, 0), 0x80 | 0x3C);
}

/* A new mode 2 count takes over at the end of the current period. */
static void test_mode2_reload_at_period_end(void **state)
{
	struct ctx *c = *state;

	outb(c, 0x61, 1);
	prog(c, 2, 0x34, 10);
	at(c, 3);				/* count 8 */
	outb(c, 0x42, 5);
	outb(c, 0x42, 0);
	assert_int_equal(status(c, 2) & 0x40, 0x40);	/* null count until the reload */
	at(c, 10);
	assert_int_equal(rd16(c, 2), 1);
	assert_false(out2(c));
	at(c, 11);
	assert_int_equal(rd16(c, 2), 5);
	assert_true(out2(c));
	assert_int_equal(status(c, 2) & 0x40, 0);
	at(c, 15);
	assert_false(out2(c));
}

static void test_port61(void **state)
{
	struct ctx *c = *state;
	uint8_t a, b;

	outb(c, 0x61, 0x03);
	a = inb(c, 0x61);
	b = inb(c, 0x61);
	assert_int_equal(a & 0x0F, 0x03);
	assert_int_equal((a ^ b) & 0x10, 0x10);	/* refresh toggles on each read */
	assert_int_equal(a & 0xC0, 0);
	outb(c, 0x61, 0xFE);			/* upper bits are not writable, gate off */
	assert_int_equal(inb(c, 0x61) & 0xCF, 0x0E);
}

/* Linux pit_calibrate_tsc(): counter 2, mode 0, poll OUT2 on port 0x61. */
static void test_linux_calibration(void **state)
{
	struct ctx *c = *state;
	unsigned latch = 1193182 / 20;	/* 50 ms */

	at(c, 7);
	outb(c, 0x61, (inb(c, 0x61) & ~0x02) | 0x01);
	outb(c, 0x43, 0xB0);
	outb(c, 0x42, latch & 0xFF);
	outb(c, 0x42, latch >> 8);
	at(c, 7 + latch);
	assert_false(out2(c));
	at(c, 8 + latch);
	assert_true(out2(c));
	assert_int_equal(c->f.rises, 0);	/* counter 2 never touches IRQ0 */
}

/* Linux quick_pit_calibrate(): counter 2, mode 0, count 0xFFFF, unlatched LSB+MSB reads
 * whose MSB must step down once every 256 pulses. */
static void test_linux_quick_calibrate(void **state)
{
	struct ctx *c = *state;

	outb(c, 0x61, (inb(c, 0x61) & ~0x02) | 0x01);
	outb(c, 0x43, 0xB0);
	outb(c, 0x42, 0xFF);
	outb(c, 0x42, 0xFF);
	for (unsigned k = 1; k < 255; k++) {
		/* Pulse p shows 0xFFFF - (p - 1): at 256k the LSB is 0x00, one pulse later the
		 * MSB has stepped to 0xFF - k and the LSB is 0xFF. */
		at(c, 256ULL * k);
		assert_int_equal(inb(c, 0x42), 0x00);
		assert_int_equal(inb(c, 0x42), 0xFF - k + 1);
		at(c, 256ULL * k + 1);
		assert_int_equal(inb(c, 0x42), 0xFF);
		assert_int_equal(inb(c, 0x42), 0xFF - k);
	}
}

/* Mode 2 on counter 0 at 100 Hz for 10 simulated seconds, the host always on time. */
static void test_irq0_rate(void **state)
{
	struct ctx *c = *state;
	const unsigned n = 11932;
	const uint64_t end = 10 * PIT_FREQ_HZ;
	unsigned ticks = 0;

	prog(c, 0, 0x34, n);
	/* The control word takes OUT0 from its reset level (low) to high: a real edge. */
	assert_int_equal(c->f.rises, 1);
	c->f.rises = 0;
	while (c->f.armed != CLOCK_NEVER && c->f.armed <= tick_ns(end)) {
		c->f.now = c->f.armed;
		fire(c);
		ticks++;
		/* Each wake-up is exactly at a period boundary: 1 + k*n pulses. */
		assert_int_equal((c->f.now * PIT_FREQ_HZ / 1000000000 - 1) % n, 0);
	}
	/* Rising edges at pulses 1 + k*n, k >= 1: (end - 1) / n of them. */
	assert_int_equal(c->f.rises, (end - 1) / n);
	assert_int_equal(ticks, (end - 1) / n);
	assert_int_equal(c->f.level, 1);
}

/* Mode 3 at 1 kHz: one edge per period; OUT0's level is what IRQ0 shows. */
static void test_irq0_mode3(void **state)
{
	struct ctx *c = *state;

	prog(c, 0, 0x36, 1193);
	c->f.rises = 0;		/* the control word's edge (OUT0 low to high) */
	for (unsigned i = 0; i < 1000; i++) {
		c->f.now = c->f.armed;
		fire(c);
	}
	assert_int_equal(c->f.rises, 1000);
	/* Half-way through a period, a port access shows the low half on the line. */
	at(c, 1 + 1000 * 1193ULL + 700);
	assert_int_equal(rd16(c, 0), 1192 - 2 * (700 - 597));
	assert_int_equal(c->f.level, 0);
}

/*
 * Late by 50 periods: one edge at once, the 49 missed ones are owed and paid back a quarter
 * period apart between the real ones, until every period has had its edge.
 */
static void test_irq0_catch_up(void **state)
{
	struct ctx *c = *state;
	const unsigned n = 1193;
	unsigned wakeups = 0;

	prog(c, 0, 0x34, n);
	c->f.rises = 0;
	assert_int_equal(c->f.armed, tick_ns(1 + n));
	at(c, 1 + 50 * n + 17);
	fire(c);
	assert_int_equal(c->f.rises, 1);
	/* The next owed edge comes a quarter of the remaining period later, before the real. */
	assert_int_equal(c->f.armed, tick_ns(1 + 50 * n + 17 + (n - 17) / 4));
	/* Run on time for 100 more periods: 150 edges in all, one per period. */
	while (c->f.armed <= tick_ns(1 + 150 * n)) {
		c->f.now = c->f.armed;
		fire(c);
		wakeups++;
	}
	assert_int_equal(c->f.rises, 150);
	assert_int_equal(wakeups, 49 + 100);
	/* Paid back: the deadline is on the period grid again. */
	assert_int_equal(c->f.armed, tick_ns(1 + 151 * n));
	/* A spurious tick delivers nothing and keeps the deadline. */
	fire(c);
	assert_int_equal(c->f.rises, 150);
	assert_int_equal(c->f.armed, tick_ns(1 + 151 * n));
}

/* Late by 100000 periods (a paused host): at most PIT_BACKLOG_MAX (200) are owed. */
static void test_irq0_backlog_bounded(void **state)
{
	struct ctx *c = *state;
	const unsigned n = 1193;

	prog(c, 0, 0x34, n);
	c->f.rises = 0;
	at(c, 1 + 100000ULL * n + 5);
	fire(c);
	/* 200 owed edges at 4 per period take 50 periods; run 60 (10 real edges more). */
	while (c->f.armed <= tick_ns(1 + 100060ULL * n)) {
		c->f.now = c->f.armed;
		fire(c);
	}
	assert_int_equal(c->f.rises, 1 + 200 + 60);
	/* Reprogramming counter 0 forgets what is owed. */
	at(c, 1 + 200000ULL * n + 5);
	fire(c);
	prog(c, 0, 0x34, n);
	assert_true(c->f.armed >= tick_ns(1 + 200000ULL * n + n));
}

/* Any PIT port access, port 0x61 included, delivers a due IRQ0 edge without the timer. */
static void test_irq0_on_access(void **state)
{
	struct ctx *c = *state;

	prog(c, 0, 0x34, 100);
	c->f.rises = 0;
	at(c, 101);
	inb(c, 0x61);
	assert_int_equal(c->f.rises, 1);
	at(c, 201);
	inb(c, 0x40);
	assert_int_equal(c->f.rises, 2);
	assert_int_equal(c->f.armed, tick_ns(301));
}

/* Counter 0 idle (one-shot done, or reprogrammed without a count): the clock is unarmed. */
static void test_irq0_unarm(void **state)
{
	struct ctx *c = *state;

	prog(c, 0, 0x34, 100);
	assert_int_not_equal(c->f.armed, CLOCK_NEVER);
	outb(c, 0x43, 0x34);
	assert_int_equal(c->f.armed, CLOCK_NEVER);
	prog(c, 0, 0x34, 1);			/* illegal count 1: OUT never toggles */
	assert_int_equal(c->f.armed, CLOCK_NEVER);
	prog(c, 0, 0x32, 100);			/* mode 1: gate 0 is tied high, no trigger */
	assert_int_equal(c->f.armed, CLOCK_NEVER);
	pit_reset(c->p);
	assert_int_equal(c->f.armed, CLOCK_NEVER);
}

/* Out-of-range and wide accesses. */
static void test_bad_access(void **state)
{
	struct ctx *c = *state;
	uint8_t buf[4] = { 0, 0, 0, 0 };

	assert_int_equal(inb(c, 0x43), 0xFF);	/* the control word cannot be read */
	outb(c, 0x61, 1);
	prog(c, 2, 0x34, 0x1234);
	at(c, 1);
	/* A 16-bit read at 0x42 reads 0x42 then 0x43 (0xFF). */
	pit_io(c->p, 2, buf, 2, false);
	assert_int_equal(buf[0], 0x34);
	assert_int_equal(buf[1], 0xFF);
	/* Beyond the range: reads 0xFF, writes dropped. */
	pit_io(c->p, 3, buf, 4, false);
	assert_int_equal(buf[1], 0xFF);
	assert_int_equal(buf[3], 0xFF);
	pit_port61_io(c->p, 0, buf, 2, false);
	assert_int_equal(buf[1], 0xFF);
	buf[0] = 0x30;
	pit_io(c->p, 4, buf, 1, true);
	assert_int_equal(rd16(c, 2) != 0xFFFF, 1);
	/* Counter 1 gate is tied high: mode 3 runs. */
	prog(c, 1, 0x36, 18);
	at(c, 2);
	assert_int_equal(rd16(c, 1), 18);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)
		T(test_reset_state), T(test_mode0_waveform), T(test_mode0_first_byte_stops),
		T(test_mode2_waveform), T(test_mode3_even), T(test_mode3_odd),
		T(test_mode4_strobe), T(test_mode1_one_shot), T(test_mode5_strobe),
		T(test_gate), T(test_bcd), T(test_count_zero), T(test_access_modes),
		T(test_latch), T(test_readback), T(test_mode2_reload_at_period_end),
		T(test_port61), T(test_linux_calibration), T(test_linux_quick_calibrate),
		T(test_irq0_rate),
		T(test_irq0_mode3), T(test_irq0_catch_up), T(test_irq0_backlog_bounded), T(test_irq0_unarm),
		T(test_irq0_on_access),
		T(test_bad_access),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
