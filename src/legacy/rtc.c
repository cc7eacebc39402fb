/* rtc.c - the Motorola MC146818A real-time clock and CMOS RAM at ports 0x70/0x71.
 * Time is the host's wall clock (UTC) plus an offset the guest sets; events are lazy. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include "core/bus.h"
#include "core/mem.h"
#include "rtc.h"

/* Register numbers and bits (MC146818A datasheet, "Register A" .. "Register D"). */
enum {
	RTC_SEC = 0, RTC_SEC_ALARM = 1, RTC_MIN = 2, RTC_MIN_ALARM = 3, RTC_HOUR = 4,
	RTC_HOUR_ALARM = 5, RTC_WDAY = 6, RTC_MDAY = 7, RTC_MONTH = 8, RTC_YEAR = 9,
	RTC_REG_A = 0x0A, RTC_REG_B = 0x0B, RTC_REG_C = 0x0C, RTC_REG_D = 0x0D,
	CMOS_CENTURY = 0x32,
};

#define A_UIP		0x80
#define A_DV_SHIFT	4
#define A_DV_32K	2	/* DV2-0 = 010: 32.768 kHz time base, divider running */
#define A_RS		0x0F
#define B_SET		0x80
#define B_PIE		0x40
#define B_AIE		0x20
#define B_UIE		0x10
#define B_SQWE		0x08
#define B_DM		0x04	/* 1: binary, 0: BCD */
#define B_24H		0x02
#define C_IRQF		0x80
#define C_PF		0x40
#define C_AF		0x20
#define C_UF		0x10
#define C_FLAGS		0x70	/* PF AF UF, same positions as PIE AIE UIE */
#define D_VRT		0x80

#define NS		1000000000LL
#define UIP_NS		244000LL	/* UIP is high 244 us before each update */
#define DAY		86400LL
#define RTC_MAX_SEC	8000000000LL	/* |seconds since 1970| with room for int64 ns */

struct rtc {
	struct irq_line irq;
	struct clock_ops clk;
	uint8_t cmos[128];
	uint8_t index;
	bool nmi_disabled;	/* bit 7 of the index port: stored; NMIs are not modelled */
	int64_t offset;		/* guest wall-clock ns = clock_now() + offset (divider phase) */
	int64_t last;		/* guest ns up to which PF/UF/AF are current */
	bool frozen;		/* SET, or divider stopped: cmos[0..9] hold the time */
	int irq_level;
	uint64_t armed;
};

static int64_t fdiv(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

static int64_t rtc_guest_ns(const struct rtc *r)
{
	return (int64_t)clock_now(&r->clk) + r->offset;
}

static bool rtc_divider_on(const struct rtc *r)
{
	return (r->cmos[RTC_REG_A] >> A_DV_SHIFT & 7) == A_DV_32K;
}

static uint8_t bin2bcd(unsigned v)
{
	return (uint8_t)((v / 10 % 10) << 4 | v % 10);
}

static unsigned bcd2bin(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0xF);
}

/* A time field as the data mode of register B wants it. */
static uint8_t rtc_enc(const struct rtc *r, unsigned v)
{
	return r->cmos[RTC_REG_B] & B_DM ? (uint8_t)v : bin2bcd(v);
}

static unsigned rtc_dec(const struct rtc *r, uint8_t v)
{
	return r->cmos[RTC_REG_B] & B_DM ? v : bcd2bin(v);
}

/* Hours: 0-23, or 1-12 with bit 7 for PM in 12-hour mode. */
static uint8_t rtc_enc_hour(const struct rtc *r, unsigned h)
{
	unsigned h12 = h % 12 ? h % 12 : 12;

	if (r->cmos[RTC_REG_B] & B_24H)
		return rtc_enc(r, h);
	return (uint8_t)(rtc_enc(r, h12) | (h >= 12 ? 0x80 : 0));
}

static unsigned rtc_dec_hour(const struct rtc *r, uint8_t v)
{
	unsigned h;

	if (r->cmos[RTC_REG_B] & B_24H)
		return rtc_dec(r, v);
	h = rtc_dec(r, v & 0x7F) % 12;
	return v & 0x80 ? h + 12 : h;
}

/* Put time @sec (seconds since 1970, UTC) into registers 0-9 and the century byte. */
static void rtc_store_time(struct rtc *r, int64_t sec)
{
	time_t t = (time_t)sec;
	struct tm tm;
	unsigned year;

	if (!gmtime_r(&t, &tm))
		return;
	year = (unsigned)(tm.tm_year + 1900);
	r->cmos[RTC_SEC] = rtc_enc(r, (unsigned)tm.tm_sec);
	r->cmos[RTC_MIN] = rtc_enc(r, (unsigned)tm.tm_min);
	r->cmos[RTC_HOUR] = rtc_enc_hour(r, (unsigned)tm.tm_hour);
	r->cmos[RTC_WDAY] = rtc_enc(r, (unsigned)tm.tm_wday + 1);	/* 1 = Sunday */
	r->cmos[RTC_MDAY] = rtc_enc(r, (unsigned)tm.tm_mday);
	r->cmos[RTC_MONTH] = rtc_enc(r, (unsigned)tm.tm_mon + 1);
	r->cmos[RTC_YEAR] = rtc_enc(r, year % 100);
	r->cmos[CMOS_CENTURY] = bin2bcd(year / 100 % 100);	/* IBM convention: always BCD */
}

/*
 * The time in registers 0-9 and the century byte, as seconds since 1970. Whatever the guest
 * wrote is accepted: out-of-range fields roll over (timegm normalises). Day of week is not
 * an input: it is derived from the date.
 */
static int rtc_load_time(const struct rtc *r, int64_t *sec)
{
	struct tm tm = {
		.tm_sec = (int)rtc_dec(r, r->cmos[RTC_SEC]),
		.tm_min = (int)rtc_dec(r, r->cmos[RTC_MIN]),
		.tm_hour = (int)rtc_dec_hour(r, r->cmos[RTC_HOUR]),
		.tm_mday = (int)rtc_dec(r, r->cmos[RTC_MDAY]),
		.tm_mon = (int)rtc_dec(r, r->cmos[RTC_MONTH]) - 1,
		.tm_year = (int)(bcd2bin(r->cmos[CMOS_CENTURY]) * 100 +
				 rtc_dec(r, r->cmos[RTC_YEAR])) - 1900,
	};
	time_t t = timegm(&tm);

	/* Guest time is kept in int64 ns: years 1717-2223 are representable with margin.
	 * A time outside (e.g. century 0x99) is refused and the clock keeps its time. */
	if (t == (time_t)-1 || t < -RTC_MAX_SEC || t > RTC_MAX_SEC)
		return -ERANGE;
	*sec = (int64_t)t;
	return 0;
}

/* Periodic interrupt period in 32.768 kHz cycles for RS3-0 (datasheet Table 3); 0: none. */
static int64_t rtc_period(const struct rtc *r)
{
	unsigned rs = r->cmos[RTC_REG_A] & A_RS;

	if (!rs)
		return 0;
	return rs < 3 ? 1LL << (rs + 6) : 1LL << (rs - 1);
}

static int64_t ns_to_32k(int64_t ns)
{
	__int128 v = (__int128)ns * 32768;

	return (int64_t)(v / NS - (v % NS < 0));
}

/* Does the alarm (registers 1, 3, 5; 0xC0-0xFF = don't care) match second @s? */
static bool rtc_alarm_match(const struct rtc *r, int64_t s)
{
	int64_t d = s - fdiv(s, DAY) * DAY;
	uint8_t want[3] = { r->cmos[RTC_SEC_ALARM], r->cmos[RTC_MIN_ALARM],
			    r->cmos[RTC_HOUR_ALARM] };
	uint8_t have[3] = { rtc_enc(r, (unsigned)(d % 60)), rtc_enc(r, (unsigned)(d / 60 % 60)),
			    rtc_enc_hour(r, (unsigned)(d / 3600)) };

	for (unsigned i = 0; i < 3; i++)
		if ((want[i] & 0xC0) != 0xC0 && want[i] != have[i])
			return false;
	return true;
}

static void rtc_set_irq(struct rtc *r, int level)
{
	if (level == r->irq_level)
		return;
	r->irq_level = level;
	irq_line_set(&r->irq, level);
}

/* IRQF = PF&PIE | AF&AIE | UF&UIE; the IRQ8 line follows it (the PIC sees the edge). */
static void rtc_update_irq(struct rtc *r)
{
	if (r->cmos[RTC_REG_C] & r->cmos[RTC_REG_B] & C_FLAGS)
		r->cmos[RTC_REG_C] |= C_IRQF;
	rtc_set_irq(r, !!(r->cmos[RTC_REG_C] & C_IRQF));
}

/*
 * Bring PF, UF and AF up to now. Flags are set whether or not their interrupts are enabled
 * (datasheet "Register C"). Updates (UF, alarm check) happen at each second boundary
 * unless SET is 1; periodic flags need only the divider.
 */
static void rtc_catch_up(struct rtc *r)
{
	int64_t g = rtc_guest_ns(r), a = r->last, p = rtc_period(r), s, sa, sg;

	r->last = g;
	if (g <= a || !rtc_divider_on(r))
		return;
	if (p && fdiv(ns_to_32k(g), p) != fdiv(ns_to_32k(a), p))
		r->cmos[RTC_REG_C] |= C_PF;
	if (r->cmos[RTC_REG_B] & B_SET)
		return;
	sa = fdiv(a, NS);
	sg = fdiv(g, NS);
	if (sg == sa)
		return;
	r->cmos[RTC_REG_C] |= C_UF;
	/* A day holds every possible alarm time: a longer gap need not be walked. */
	for (s = sg - sa > DAY ? sg - DAY + 1 : sa + 1; s <= sg; s++) {
		if (rtc_alarm_match(r, s)) {
			r->cmos[RTC_REG_C] |= C_AF;
			break;
		}
	}
}

/*
 * Arm the clock for the next event that can raise IRQ8. With IRQF already set no event can
 * make a new edge until register C is read, so nothing is armed: a guest that does not
 * acknowledge costs no wake-ups. An enabled alarm is checked at each second.
 */
static void rtc_rearm(struct rtc *r)
{
	int64_t g = rtc_guest_ns(r), p = rtc_period(r), next = INT64_MAX, t;
	uint8_t b = r->cmos[RTC_REG_B];
	uint64_t dl = CLOCK_NEVER;

	if (!(r->cmos[RTC_REG_C] & C_IRQF) && rtc_divider_on(r)) {
		if ((b & B_PIE) && p) {
			t = (fdiv(ns_to_32k(g), p) + 1) * p;
			next = (int64_t)(((__int128)t * NS + 32767) / 32768);
		}
		if ((b & (B_UIE | B_AIE)) && !(b & B_SET)) {
			t = (fdiv(g, NS) + 1) * NS;
			next = t < next ? t : next;
		}
	}
	if (next != INT64_MAX)
		dl = next - r->offset < 0 ? 0 : (uint64_t)(next - r->offset);
	if (dl != r->armed) {
		r->armed = dl;
		clock_arm(&r->clk, dl);
	}
}

/* Registers 0-9 as of now (nothing to do while frozen: they hold the time). */
static void rtc_refresh(struct rtc *r)
{
	if (!r->frozen)
		rtc_store_time(r, fdiv(rtc_guest_ns(r), NS));
}

/* Re-derive the offset from registers 0-9, putting guest time at second + @frac_ns. */
static void rtc_resync(struct rtc *r, int64_t frac_ns)
{
	int64_t sec;

	if (rtc_load_time(r, &sec) == 0)
		r->offset = sec * NS + frac_ns - (int64_t)clock_now(&r->clk);
	r->last = rtc_guest_ns(r);
}

/*
 * Time runs when SET is 0 and the divider is at 32.768 kHz. Entering the frozen state
 * snapshots the time into the registers; leaving it restarts from them. After a divider
 * reset the first update comes 500 ms later (datasheet "Divider Chain Reset"); after SET
 * the divider phase (where in the second we are) is kept.
 */
static void rtc_apply_freeze(struct rtc *r, bool divider_was_on)
{
	bool frozen = (r->cmos[RTC_REG_B] & B_SET) || !rtc_divider_on(r);
	int64_t g = rtc_guest_ns(r);

	if (frozen == r->frozen)
		return;
	if (frozen) {
		rtc_store_time(r, fdiv(g, NS));
		r->frozen = true;
		return;
	}
	r->frozen = false;
	rtc_resync(r, divider_was_on ? g - fdiv(g, NS) * NS : NS / 2);
}

/* IBM AT convention: 0x2E/0x2F hold the big-endian sum of bytes 0x10-0x2D. */
static void rtc_checksum(struct rtc *r)
{
	unsigned sum = 0;

	for (unsigned i = 0x10; i <= 0x2D; i++)
		sum += r->cmos[i];
	r->cmos[0x2E] = (uint8_t)(sum >> 8);
	r->cmos[0x2F] = (uint8_t)sum;
}

static uint8_t rtc_read_reg(struct rtc *r, unsigned idx)
{
	uint8_t v;
	int64_t g;

	switch (idx) {
	case RTC_SEC: case RTC_MIN: case RTC_HOUR: case RTC_WDAY:
	case RTC_MDAY: case RTC_MONTH: case RTC_YEAR: case CMOS_CENTURY:
		rtc_refresh(r);
		return r->cmos[idx];
	case RTC_REG_A:
		g = rtc_guest_ns(r);
		v = r->cmos[RTC_REG_A];
		if (!r->frozen && g - fdiv(g, NS) * NS >= NS - UIP_NS)
			v |= A_UIP;
		return v;
	case RTC_REG_C:
		/* Read-to-clear; IRQ8 goes inactive (datasheet "Register C"). */
		rtc_catch_up(r);
		rtc_update_irq(r);
		v = r->cmos[RTC_REG_C];
		r->cmos[RTC_REG_C] = 0;
		rtc_set_irq(r, 0);
		return v;
	case RTC_REG_D:
		return D_VRT;	/* the battery is good */
	default:
		return r->cmos[idx];
	}
}

static void rtc_write_b(struct rtc *r, uint8_t v)
{
	if (v & B_SET)
		v &= (uint8_t)~B_UIE;	/* SET clears UIE (datasheet "Register B", UIE) */
	r->cmos[RTC_REG_B] = v;
	rtc_apply_freeze(r, true);
}

static void rtc_write_reg(struct rtc *r, unsigned idx, uint8_t v)
{
	bool div_on = rtc_divider_on(r);

	switch (idx) {
	case RTC_SEC: case RTC_MIN: case RTC_HOUR: case RTC_WDAY:
	case RTC_MDAY: case RTC_MONTH: case RTC_YEAR: case CMOS_CENTURY:
		if (r->frozen) {
			r->cmos[idx] = v;
			return;
		}
		/* Setting one field while the clock runs: keep the others and the phase. */
		rtc_refresh(r);
		r->cmos[idx] = v;
		rtc_resync(r, rtc_guest_ns(r) - fdiv(rtc_guest_ns(r), NS) * NS);
		return;
	case RTC_REG_A:
		r->cmos[RTC_REG_A] = v & (uint8_t)~A_UIP;	/* UIP is read-only */
		rtc_apply_freeze(r, div_on);
		return;
	case RTC_REG_B:
		rtc_write_b(r, v);
		return;
	case RTC_REG_C:
	case RTC_REG_D:
		return;		/* read-only */
	default:
		r->cmos[idx] = v;
		if (idx >= 0x10 && idx <= 0x2D)
			rtc_checksum(r);
		return;
	}
}

static void rtc_data_io(struct rtc *r, uint8_t *b, bool is_write)
{
	rtc_catch_up(r);
	if (is_write)
		rtc_write_reg(r, r->index, *b);
	else
		*b = rtc_read_reg(r, r->index);
	rtc_update_irq(r);
	rtc_rearm(r);
}

/* Port 0x70 (index, write-only: reads float) and 0x71 (data). */
static uint8_t rtc_port_read(void *ctx, unsigned port)
{
	uint8_t v = 0xFF;

	if (port == 1)
		rtc_data_io(ctx, &v, false);
	return v;
}

static void rtc_port_write(void *ctx, unsigned port, uint8_t v)
{
	struct rtc *r = ctx;

	if (port == 1) {
		rtc_data_io(r, &v, true);
		return;
	}
	r->index = v & 0x7F;
	r->nmi_disabled = v & 0x80;
}

void rtc_io(void *opaque, uint64_t off, void *data, unsigned len, bool is_write)
{
	bus_bytewise(off, data, len, is_write, 2, rtc_port_read, rtc_port_write, opaque);
}

void rtc_tick(struct rtc *r)
{
	r->armed = CLOCK_NEVER;
	rtc_catch_up(r);
	rtc_update_irq(r);
	rtc_rearm(r);
}

/*
 * MC146818A RESET pin: clears PIE, AIE, UIE, SQWE and IRQF, PF, AF, UF and releases IRQ;
 * the time, the calendar, registers A and the rest of B, and the RAM are battery-backed.
 */
void rtc_reset(struct rtc *r)
{
	rtc_catch_up(r);
	r->cmos[RTC_REG_B] &= (uint8_t)~(B_PIE | B_AIE | B_UIE | B_SQWE);
	r->cmos[RTC_REG_C] = 0;
	rtc_set_irq(r, 0);
	rtc_rearm(r);
}

void rtc_set_wall_ns(struct rtc *r, int64_t unix_ns)
{
	r->offset = unix_ns - (int64_t)clock_now(&r->clk);
	r->last = unix_ns;
	if (r->frozen)
		rtc_store_time(r, fdiv(unix_ns, NS));
	rtc_rearm(r);
}

void rtc_cmos_set(struct rtc *r, unsigned idx, uint8_t val)
{
	if (idx < 0x0E || idx >= sizeof(r->cmos) || idx == CMOS_CENTURY)
		return;
	r->cmos[idx] = val;
	if (idx >= 0x10 && idx <= 0x2D)
		rtc_checksum(r);
}

static void rtc_put16(struct rtc *r, unsigned idx, uint64_t v)
{
	if (v > 0xFFFF)
		v = 0xFFFF;
	r->cmos[idx] = (uint8_t)v;
	r->cmos[idx + 1] = (uint8_t)(v >> 8);
}

/*
 * What a PC BIOS leaves in CMOS RAM (IBM AT Technical Reference; the extended bytes as
 * SeaBIOS reads them from QEMU): no floppy, an FPU, base memory 640 KiB, extended memory
 * in KiB, memory above 16 MiB and above 4 GiB in 64 KiB units.
 */
static void rtc_cmos_init(struct rtc *r, uint64_t ram_size)
{
	uint64_t below = ram_size < MEM_HOLE_START ? ram_size : MEM_HOLE_START;
	uint64_t above = ram_size - below;
	uint64_t ext = below > MiB ? (below - MiB) / KiB : 0;
	uint64_t hi16 = below > 16 * MiB ? (below - 16 * MiB) / (64 * KiB) : 0;
	uint64_t hi4g = above / (64 * KiB);

	r->cmos[0x10] = 0x00;		/* no floppy drives */
	r->cmos[0x14] = 0x02;		/* no floppy, math coprocessor, VGA, 0 drives */
	rtc_put16(r, 0x15, 640);	/* base memory, KiB */
	rtc_put16(r, 0x17, ext);	/* extended memory above 1 MiB, KiB */
	rtc_put16(r, 0x30, ext);	/* the same, as POST found it */
	rtc_put16(r, 0x34, hi16);	/* above 16 MiB, 64 KiB units */
	if (hi4g > 0xFFFFFF)
		hi4g = 0xFFFFFF;
	r->cmos[0x5B] = (uint8_t)hi4g;	/* above 4 GiB, 64 KiB units, 24 bits */
	r->cmos[0x5C] = (uint8_t)(hi4g >> 8);
	r->cmos[0x5D] = (uint8_t)(hi4g >> 16);
	rtc_checksum(r);
}

struct rtc *rtc_new(const struct irq_line *irq8, const struct clock_ops *clk, uint64_t ram_size)
{
	struct timespec ts;
	struct rtc *r;

	if (!clk || !clk->now_ns)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	if (irq8)
		r->irq = *irq8;
	r->clk = *clk;
	r->armed = CLOCK_NEVER;
	r->irq_level = -1;
	/* The state a BIOS leaves: 32.768 kHz, 1024 Hz rate, 24-hour BCD, no interrupts. */
	r->cmos[RTC_REG_A] = A_DV_32K << A_DV_SHIFT | 0x6;
	r->cmos[RTC_REG_B] = B_24H;
	r->cmos[RTC_REG_D] = D_VRT;
	rtc_cmos_init(r, ram_size);
	clock_gettime(CLOCK_REALTIME, &ts);
	rtc_set_wall_ns(r, (int64_t)ts.tv_sec * NS + ts.tv_nsec);
	rtc_set_irq(r, 0);
	return r;
}

void rtc_free(struct rtc *r)
{
	free(r);
}
