/* pit.c - the Intel 8254 programmable interval timer (82C54 datasheet) and port 0x61.
 * Counters are computed from elapsed time on every access; no per-tick host timer runs. */
#include <errno.h>
#include <stdlib.h>
#include "core/bus.h"
#include "pit.h"

/*
 * Time model. The counters' CLK input runs at PIT_FREQ_HZ. CLK pulse T (T = 1, 2, ...)
 * happens at epoch + ceil(T * 1e9 / PIT_FREQ_HZ) ns, so "the number of pulses so far" is
 * floor((now - epoch) * PIT_FREQ_HZ / 1e9). Each counter keeps @base, the pulse count at the
 * moment its count was written (or its gate triggered); c = T - base is how many CLK pulses
 * it has seen since. The datasheet's "the count is loaded on the next CLK pulse" is c == 1,
 * so a mode 0 count N makes OUT go high N + 1 pulses after the write (82C54 "Mode 0").
 */
#define NEVER INT64_MAX

struct pit_counter {
	uint8_t ctrl;		/* bits 5..0 of the control word: RW1 RW0 M2 M1 M0 BCD */
	uint8_t mode;		/* 0..5 (modes 6 and 7 are 2 and 3) */
	uint8_t rw;		/* 1 LSB only, 2 MSB only, 3 LSB then MSB */
	bool bcd;
	bool gate;

	uint32_t cr;		/* last count written: 1..65536 (binary) or 1..10000 (BCD) */
	uint32_t count;		/* the count the counting element is working with */
	bool have_count;	/* a count was written since the control word */
	bool running;		/* counting (modes 1/5: triggered; modes 2/3: gate high) */
	int64_t base;		/* CLK pulse count at the write/trigger: c = T - base */
	bool frozen;		/* modes 0/4 with gate low: counting suspended at c = frozen_c */
	int64_t frozen_c;
	uint32_t hold;		/* value read while not running, or before the first load */

	bool pend;		/* modes 2/3: a new count takes over at pulse pend_tick */
	int64_t pend_tick, pend_base;

	bool null_pending;	/* CR written, not yet moved into CE at pulse load_tick */
	int64_t load_tick;

	bool wff;		/* write flip-flop: LSB written, MSB expected */
	uint8_t wlsb;
	bool rff;		/* read flip-flop: next read returns the MSB */
	bool count_latched;
	uint16_t latch;
	bool status_latched;
	uint8_t status;
};

struct pit {
	struct pit_counter c[3];
	struct irq_line irq0;
	struct clock_ops clk;
	uint64_t epoch;		/* ns at which CLK pulse 0 happened */
	int64_t irq_t;		/* OUT0 has been reflected on IRQ0 up to this pulse */
	int irq_level;
	uint64_t armed;		/* deadline asked of the clock, CLOCK_NEVER if none */
	uint8_t port61;		/* bits 0-3 as last written */
	bool refresh;		/* bit 4 of port 0x61 */
	unsigned backlog;	/* IRQ0 edges missed while the host was late, still owed */
};

/*
 * Lost ticks: when the host runs the timer late by several periods, the edges it missed are
 * owed to the guest and paid back one at a time, a quarter period apart (the PIC latches one
 * edge until the guest takes it), as KVM's in-kernel PIT reinjects them: tick-counting
 * guests (calibration loops, jiffies without a clocksource) keep time. At most
 * PIT_BACKLOG_MAX are owed; past that they are dropped (a guest paused for long should not
 * get a storm).
 */
#define PIT_BACKLOG_MAX		200
#define PIT_CATCHUP_MIN		120	/* ~100 us: never closer than this */

static int64_t pit_now(const struct pit *p)
{
	uint64_t now = clock_now(&p->clk);

	if (now < p->epoch)
		return 0;
	return (int64_t)((unsigned __int128)(now - p->epoch) * PIT_FREQ_HZ / 1000000000ULL);
}

static uint64_t pit_tick_ns(const struct pit *p, int64_t t)
{
	return p->epoch + (uint64_t)(((unsigned __int128)t * 1000000000ULL + PIT_FREQ_HZ - 1) /
				     PIT_FREQ_HZ);
}

static uint32_t cnt_modulus(const struct pit_counter *c)
{
	return c->bcd ? 10000 : 65536;
}

static int64_t cnt_elapsed(const struct pit_counter *c, int64_t t)
{
	return c->frozen ? c->frozen_c : t - c->base;
}

/* Apply a mode 2/3 count that was waiting for the end of the period (or half-cycle). */
static void cnt_sync(struct pit_counter *c, int64_t t)
{
	if (c->pend && t >= c->pend_tick) {
		c->count = c->cr;
		c->base = c->pend_base;
		c->pend = false;
	}
}

/* Half-cycle of mode 3: OUT is high for ceil(N/2) pulses and low for floor(N/2). */
static int64_t mode3_high(uint32_t n)
{
	return (n + 1) / 2;
}

/* OUT at pulse t (after cnt_sync). 82C54 datasheet, "Mode Definitions". */
static bool cnt_out(const struct pit_counter *c, int64_t t)
{
	int64_t e, n = c->count;

	if (!c->running)
		return c->mode != 0;	/* mode 0 holds OUT low until its count expires */
	e = cnt_elapsed(c, t);
	switch (c->mode) {
	case 0:
		return e >= n + 1;
	case 1:
		return !(e >= 1 && e <= n);
	case 2:
		return e < 1 || (e - 1) % n != n - 1;
	case 3:
		return e < 1 || (e - 1) % n < mode3_high(c->count);
	default:	/* 4, 5: low for the one pulse after the count reaches 0 */
		return e != n + 1;
	}
}

/* The counting element's value at pulse t (after cnt_sync), 0 .. modulus-1. */
static uint32_t cnt_value(const struct pit_counter *c, int64_t t)
{
	int64_t e, q, h, v, n = c->count, m = cnt_modulus(c);

	if (!c->running)
		return c->hold;
	e = cnt_elapsed(c, t);
	if (e < 1 || t <= c->base)
		return c->hold;	/* CR not yet loaded into CE */
	switch (c->mode) {
	case 2:
		v = n - (e - 1) % n;
		break;
	case 3:
		/* Counts down by two; odd N loads N-1 (82C54 "Mode 3", odd counts). */
		q = (e - 1) % n;
		h = mode3_high(c->count);
		v = (n & ~1LL) - 2 * (q < h ? q : q - h);
		break;
	default:
		v = n - (e - 1);
		break;
	}
	return (uint32_t)(((v % m) + m) % m);
}

/* The first pulse after t at which OUT goes from low to high, or NEVER. */
static int64_t cnt_rise_plain(const struct pit_counter *c, int64_t t)
{
	int64_t e, k, r, n = c->count;

	if (!c->running || c->frozen)
		return NEVER;
	e = t - c->base;
	switch (c->mode) {
	case 0:
	case 1:
		r = c->base + n + 1;
		break;
	case 2:
	case 3:
		if (n < 2)	/* count 1 is illegal in modes 2/3: OUT never toggles */
			return NEVER;
		k = e < 1 ? 1 : (e - 1) / n + 1;
		r = c->base + 1 + k * n;
		break;
	default:
		r = c->base + n + 2;
		break;
	}
	return r > t ? r : NEVER;
}

static int64_t cnt_rise_after(const struct pit_counter *c, int64_t t)
{
	struct pit_counter next;
	int64_t r = cnt_rise_plain(c, t);

	if (!c->pend || r <= c->pend_tick)
		return r;
	next = *c;
	next.count = c->cr;
	next.base = c->pend_base;
	next.pend = false;
	return cnt_rise_plain(&next, t > c->pend_tick ? t : c->pend_tick);
}

/* Control word for this counter: 82C54 "Write Operations": resets the counter's logic. */
static void cnt_control(struct pit_counter *c, uint8_t cw, int64_t t)
{
	cnt_sync(c, t);
	c->hold = cnt_value(c, t);
	c->ctrl = cw & 0x3F;
	c->rw = (cw >> 4) & 3;
	c->mode = (cw >> 1) & 7;
	if (c->mode > 5)
		c->mode -= 4;
	c->bcd = cw & 1;
	c->have_count = false;
	c->running = false;
	c->frozen = false;
	c->pend = false;
	c->null_pending = true;
	c->load_tick = NEVER;
	c->wff = false;
	c->rff = false;
	c->count_latched = false;
	c->status_latched = false;
}

/* Start counting @c->cr from pulse t: it is loaded into CE on the next pulse. */
static void cnt_start(struct pit_counter *c, int64_t t)
{
	c->count = c->cr;
	c->base = t;
	c->running = true;
	c->frozen = false;
	c->pend = false;
	c->load_tick = t + 1;
}

/* A whole new count arrived in CR (82C54 "Mode Definitions": what each mode does then). */
static void cnt_load(struct pit_counter *c, uint32_t n, int64_t t)
{
	int64_t e, q, h;

	c->hold = cnt_value(c, t);
	c->cr = n;
	c->have_count = true;
	c->null_pending = true;
	switch (c->mode) {
	case 0:
	case 4:
		cnt_start(c, t);
		if (!c->gate) {
			/* "If the initial count is written while GATE = 0, it will still be
			 * loaded on the next CLK pulse" (82C54, Mode 0): held at c = 1. */
			c->frozen = true;
			c->frozen_c = 1;
		}
		return;
	case 1:
	case 5:
		/* Waits for (or, if running, until the next) gate trigger. */
		c->load_tick = NEVER;
		return;
	}
	/* Modes 2 and 3. */
	if (!c->gate) {
		c->load_tick = NEVER;
		return;
	}
	e = c->running ? t - c->base : 0;
	if (e < 1) {	/* first count, or the previous one was not even loaded yet */
		cnt_start(c, t);
		return;
	}
	q = (e - 1) % c->count;
	if (c->mode == 2) {
		/* Mode 2: the new count is used at the end of the current period. */
		c->pend_tick = t + (c->count - q);
		c->pend_base = c->pend_tick - 1;
	} else {
		/* Mode 3: the new count is used at the end of the current half-cycle. */
		h = mode3_high(c->count);
		if (q < h) {
			c->pend_tick = t + (h - q);
			c->pend_base = c->pend_tick - 1 - mode3_high(n);
		} else {
			c->pend_tick = t + (c->count - q);
			c->pend_base = c->pend_tick - 1;
		}
	}
	c->pend = true;
	c->load_tick = c->pend_tick;
}

static void cnt_set_gate(struct pit_counter *c, bool gate, int64_t t)
{
	if (gate == c->gate)
		return;
	cnt_sync(c, t);
	c->gate = gate;
	switch (c->mode) {
	case 0:
	case 4:
		/* Gate low suspends counting; high resumes where it stopped. */
		if (!c->running)
			return;
		if (!gate) {
			c->frozen_c = t - c->base;
			c->frozen = true;
		} else {
			c->base = t - c->frozen_c;
			c->frozen = false;
		}
		return;
	case 1:
	case 5:
		/* A rising edge (re)triggers: CR is loaded on the next pulse. */
		if (gate && c->have_count) {
			c->hold = cnt_value(c, t);
			cnt_start(c, t);
		}
		return;
	default:
		/* Modes 2/3: low stops counting and forces OUT high; high reloads. */
		if (!gate) {
			c->hold = cnt_value(c, t);
			c->running = false;
			c->pend = false;
		} else if (c->have_count) {
			cnt_start(c, t);
		}
		return;
	}
}

static uint16_t to_bcd(uint32_t v)
{
	return (uint16_t)((v % 10) | (v / 10 % 10) << 4 | (v / 100 % 10) << 8 |
			  (v / 1000 % 10) << 12);
}

/* A BCD count as written; nibbles above 9 (undefined on the chip) are taken at face value. */
static uint32_t from_bcd(uint16_t v)
{
	return (v & 0xF) + (v >> 4 & 0xF) * 10 + (v >> 8 & 0xF) * 100 + (v >> 12 & 0xF) * 1000;
}

/* Count as read: 16 bits, BCD-encoded in BCD mode. */
static uint16_t cnt_read_value(const struct pit_counter *c, int64_t t)
{
	uint32_t v = cnt_value(c, t);

	return c->bcd ? to_bcd(v) : (uint16_t)v;
}

static void cnt_latch(struct pit_counter *c, int64_t t)
{
	if (c->count_latched)	/* "subsequent latch commands are ignored until read" */
		return;
	cnt_sync(c, t);
	c->latch = cnt_read_value(c, t);
	c->count_latched = true;
	c->rff = false;
}

/* Status byte (82C54 "Read-Back Command", Figure 11): OUT, null count, RW, mode, BCD. */
static void cnt_latch_status(struct pit_counter *c, int64_t t)
{
	bool null;

	if (c->status_latched)
		return;
	cnt_sync(c, t);
	null = c->null_pending && t < c->load_tick;
	c->status = (uint8_t)(cnt_out(c, t) << 7 | null << 6 | c->ctrl);
	c->status_latched = true;
}

static uint8_t cnt_read(struct pit_counter *c, int64_t t)
{
	uint16_t v;
	bool msb;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (c->count_latched) {
		v = c->latch;
	} else {
		cnt_sync(c, t);
		v = cnt_read_value(c, t);
	}
	switch (c->rw) {
	case 1:
		msb = false;
		break;
	case 2:
		msb = true;
		break;
	case 3:
		msb = c->rff;
		c->rff = !c->rff;
		if (msb || !c->count_latched)
			break;
		return (uint8_t)v;	/* latched LSB: the MSB is still to come */
	default:
		return 0xFF;	/* no control word since reset: nothing defined */
	}
	c->count_latched = false;
	return msb ? (uint8_t)(v >> 8) : (uint8_t)v;
}

static void cnt_write(struct pit_counter *c, uint8_t val, int64_t t)
{
	uint16_t raw;
	uint32_t n;

	cnt_sync(c, t);
	switch (c->rw) {
	case 1:
		raw = val;
		break;
	case 2:
		raw = (uint16_t)(val << 8);
		break;
	case 3:
		if (!c->wff) {
			c->wff = true;
			c->wlsb = val;
			if (c->mode == 0 && c->running) {
				/* Mode 0: the first byte stops counting and drives OUT low. */
				c->hold = cnt_value(c, t);
				c->running = false;
				c->pend = false;
			}
			return;
		}
		c->wff = false;
		raw = (uint16_t)(c->wlsb | val << 8);
		break;
	default:
		return;		/* no control word yet: the counter is not programmed */
	}
	n = c->bcd ? from_bcd(raw) % 10000 : raw;
	if (n == 0)
		n = cnt_modulus(c);	/* 0 is the largest count: 2^16, or 10^4 in BCD */
	cnt_load(c, n, t);
}

/* Read-back (82C54 "Read-Back Command"): bit 5 clear latches counts, bit 4 clear status. */
static void pit_readback(struct pit *p, uint8_t cw, int64_t t)
{
	for (unsigned i = 0; i < 3; i++) {
		if (!(cw & (2 << i)))
			continue;
		if (!(cw & 0x10))
			cnt_latch_status(&p->c[i], t);
		if (!(cw & 0x20))
			cnt_latch(&p->c[i], t);
	}
}

static void pit_control(struct pit *p, uint8_t cw, int64_t t)
{
	unsigned sc = cw >> 6;

	if (sc == 3) {
		pit_readback(p, cw, t);
		return;
	}
	if (!(cw & 0x30)) {
		cnt_latch(&p->c[sc], t);
		return;
	}
	cnt_control(&p->c[sc], cw, t);
}

static void pit_set_irq(struct pit *p, int level)
{
	if (level == p->irq_level)
		return;
	p->irq_level = level;
	irq_line_set(&p->irq0, level);
}

/*
 * Reflect OUT0 on IRQ0 for the pulses (irq_t, t]. The PIC latches rising edges; if one or
 * more rising edges happened since the last look, one edge is delivered now and the others
 * go on the backlog (paid back by pit_tick); the phase stays on the counter's own grid
 * because it is derived from the programmed time, not from now. True if an edge went out.
 */
static void pit_pulse(struct pit *p)
{
	if (p->irq_level)
		pit_set_irq(p, 0);
	pit_set_irq(p, 1);
}

static bool pit_irq_catch_up(struct pit *p, int64_t t)
{
	struct pit_counter *c = &p->c[0];
	bool edge = false;
	int64_t r, x;

	if (t > p->irq_t && (r = cnt_rise_after(c, p->irq_t)) <= t) {
		/* Count the further rises in (r, t]: each one the guest did not see. */
		for (x = r; p->backlog < PIT_BACKLOG_MAX; p->backlog++) {
			x = cnt_rise_after(c, x);
			if (x == NEVER || x > t)
				break;
		}
		pit_pulse(p);
		edge = true;
	}
	p->irq_t = t > p->irq_t ? t : p->irq_t;
	cnt_sync(c, t);
	return edge;
}

/* After counter 0's state is current at t: drive IRQ0 with OUT0 and arm the next rise. */
static void pit_irq_rearm(struct pit *p, int64_t t)
{
	struct pit_counter *c = &p->c[0];
	int64_t r = cnt_rise_after(c, t);
	uint64_t dl = r == NEVER ? CLOCK_NEVER : pit_tick_ns(p, r);

	if (p->backlog && r == NEVER)
		p->backlog = 0;		/* counter 0 stopped: nothing periodic to make up */
	if (p->backlog) {
		/* The next owed edge a quarter period from now, unless a real one comes first. */
		int64_t gap = (r - t) / 4 > PIT_CATCHUP_MIN ? (r - t) / 4 : PIT_CATCHUP_MIN;
		uint64_t cdl = pit_tick_ns(p, t + gap);

		if (cdl < dl)
			dl = cdl;
	}
	pit_set_irq(p, cnt_out(c, t));
	if (dl != p->armed) {
		p->armed = dl;
		clock_arm(&p->clk, dl);
	}
}

static uint8_t pit_read_byte(struct pit *p, unsigned port, int64_t t)
{
	if (port == 3)
		return 0xFF;	/* the control word register cannot be read */
	return cnt_read(&p->c[port], t);
}

static void pit_write_byte(struct pit *p, unsigned port, uint8_t val, int64_t t)
{
	/* Reprogramming counter 0 cancels what the old period still owed. */
	if (port == 0 || (port == 3 && (val >> 6) == 0))
		p->backlog = 0;
	if (port == 3)
		pit_control(p, val, t);
	else
		cnt_write(&p->c[port], val, t);
}

/* One port access at CLK pulse t: the context bus_bytewise hands the byte handlers. */
struct pit_access {
	struct pit *p;
	int64_t t;
};

static uint8_t pit_port_read(void *ctx, unsigned port)
{
	struct pit_access *a = ctx;

	return pit_read_byte(a->p, port, a->t);
}

static void pit_port_write(void *ctx, unsigned port, uint8_t v)
{
	struct pit_access *a = ctx;

	pit_write_byte(a->p, port, v, a->t);
}

void pit_io(void *opaque, uint64_t off, void *data, unsigned len, bool is_write)
{
	struct pit_access a = { opaque, pit_now(opaque) };

	pit_irq_catch_up(a.p, a.t);
	/* A wider access is what an ISA bus would do with it: one byte per port. */
	bus_bytewise(off, data, len, is_write, 4, pit_port_read, pit_port_write, &a);
	pit_irq_rearm(a.p, a.t);
}

/*
 * Port 0x61 (PC/AT system control port B): bit 0 gate 2, bit 1 speaker data, bits 2-3
 * parity-check enables (stored), bit 4 refresh toggle, bit 5 OUT2, bits 6-7 NMI causes (0).
 * Real boards toggle bit 4 every 15 us; here every read toggles it, which is what the
 * firmware and Linux loops that poll it need to make progress.
 */
static uint8_t port61_read(void *ctx, unsigned port)
{
	struct pit_access *a = ctx;
	struct pit *p = a->p;

	(void)port;
	cnt_sync(&p->c[2], a->t);
	p->refresh = !p->refresh;
	return (uint8_t)(p->port61 | p->refresh << 4 | cnt_out(&p->c[2], a->t) << 5);
}

static void port61_write(void *ctx, unsigned port, uint8_t v)
{
	struct pit_access *a = ctx;

	(void)port;
	a->p->port61 = v & 0x0F;
	cnt_set_gate(&a->p->c[2], v & 1, a->t);
}

void pit_port61_io(void *opaque, uint64_t off, void *data, unsigned len, bool is_write)
{
	struct pit_access a = { opaque, pit_now(opaque) };

	/* Guests poll this port in tight loops: deliver a due IRQ0 edge now rather than
	 * wait for the host timer thread. */
	pit_irq_catch_up(a.p, a.t);
	bus_bytewise(off, data, len, is_write, 1, port61_read, port61_write, &a);
	pit_irq_rearm(a.p, a.t);
}

void pit_tick(struct pit *p)
{
	int64_t t = pit_now(p);

	p->armed = CLOCK_NEVER;	/* the deadline fired */
	if (!pit_irq_catch_up(p, t) && p->backlog) {
		p->backlog--;
		pit_pulse(p);
	}
	pit_irq_rearm(p, t);
}

/*
 * Power-on: the datasheet leaves mode, count and OUT undefined. With no BIOS to program
 * counter 0 for 18.2 Hz, all three counters wait for a control word (reads return 0xFF),
 * OUT0 is low, IRQ0 is not armed; gates 0 and 1 are tied high, gate 2 follows port 0x61.
 */
void pit_reset(struct pit *p)
{
	for (unsigned i = 0; i < 3; i++) {
		struct pit_counter *c = &p->c[i];

		*c = (struct pit_counter){ .gate = i != 2, .load_tick = NEVER };
	}
	p->epoch = clock_now(&p->clk);
	p->irq_t = 0;
	p->backlog = 0;
	p->port61 = 0;
	p->refresh = false;
	pit_set_irq(p, 0);
	p->armed = CLOCK_NEVER;
	clock_arm(&p->clk, CLOCK_NEVER);
}

struct pit *pit_new(const struct irq_line *irq0, const struct clock_ops *clk)
{
	struct pit *p;

	if (!clk || !clk->now_ns)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	if (irq0)
		p->irq0 = *irq0;
	p->clk = *clk;
	p->irq_level = -1;	/* force the first pit_set_irq() through */
	pit_reset(p);
	return p;
}

void pit_free(struct pit *p)
{
	free(p);
}

void pit_dump(const struct pit *p, FILE *f)
{
	for (int i = 0; i < 3; i++) {
		const struct pit_counter *c = &p->c[i];

		fprintf(f, "vfvm: PIT counter %d: mode %u count %u gate %d running %d\n", i,
			c->mode, c->cr, c->gate, c->running);
	}
	fprintf(f, "vfvm: PIT: IRQ0 level %d, backlog %u, %s\n", p->irq_level, p->backlog,
		p->armed == CLOCK_NEVER ? "no deadline armed" : "deadline armed");
}
