/* fuzz_legacy.c - libFuzzer harness for the legacy devices, wired as the machine wires them:
 * the 8259A pair with its ELCR, the 82093AA I/O APIC, the 8254 PIT (and port 0x61), the
 * 16550A UART and the MC146818 RTC, their interrupt lines going to both the PIC and the
 * I/O APIC, their timers on a fake clock the input advances. The input is a stream of
 * operations (port and MMIO accesses of any size, interrupt inputs, INTA cycles, EOIs,
 * received bytes, time steps, resets). Cheap invariants after each step (abort() on
 * violation):
 *  - PIC: pic_intack() returns -1 or a vector whose T7-T3 are one chip's ICW2 (8259A
 *    datasheet, "Initialization Command Words"), tracked by a shadow of the ICW sequence;
 *    the INT output callback agrees with pic_int_pending();
 *  - I/O APIC: only pins 0-23 are routed or fired, and never a pin reported masked;
 *  - UART: the receive FIFO never holds more than 16 bytes (PC16550D §8.5);
 *  - PIT/RTC: a timer callback leaves its next deadline in the future (no busy loop). */
#include <stdbool.h>
#include <string.h>
#include "fuzz_input.h"
#include "legacy/pic.h"
#include "legacy/ioapic.h"
#include "legacy/pit.h"
#include "legacy/rtc.h"
#include "legacy/uart.h"
#include "core/mem.h"

struct timer {
	struct ctx *c;
	uint64_t deadline;
};

/* What the harness knows of a chip's initialisation (mirrors the ICW1-ICW4 sequence). */
struct icw_shadow {
	enum { SH_DONE, SH_ICW2, SH_ICW3, SH_ICW4 } state;
	uint8_t icw1, base;
};

struct ctx {
	uint64_t now;
	struct timer pit_t, rtc_t;
	struct pic *pic;
	struct ioapic *io;
	struct pit *pit;
	struct uart *uart;
	struct rtc *rtc;
	int int_out;
	bool masked[IOAPIC_PINS];
	struct icw_shadow sh[2];
	unsigned tx;
};

static struct ctx c;

FUZZ_NOCOV static uint64_t clk_now(void *o)
{
	return ((struct timer *)o)->c->now;
}

FUZZ_NOCOV static void clk_arm(void *o, uint64_t deadline)
{
	((struct timer *)o)->deadline = deadline;
}

static void int_out(void *o, int level)
{
	((struct ctx *)o)->int_out = level;
}

/* ISA IRQ n: PIC input n; I/O APIC pin n, except IRQ0 on pin 2 (MP table override). */
static void isa_irq(void *o, unsigned pin, int level)
{
	struct ctx *x = o;

	pic_set_irq(x->pic, pin, level);
	ioapic_set_irq(x->io, pin ? pin : 2, level);
}

static void io_route(void *o, unsigned pin, const struct msi_msg *msg, bool masked)
{
	struct ctx *x = o;

	(void)msg;
	FUZZ_CHECK(pin < IOAPIC_PINS, "I/O APIC routed pin %u", pin);
	x->masked[pin] = masked;
}

static void io_fire(void *o, unsigned pin)
{
	struct ctx *x = o;

	FUZZ_CHECK(pin < IOAPIC_PINS, "I/O APIC fired pin %u", pin);
	FUZZ_CHECK(!x->masked[pin], "I/O APIC fired masked pin %u", pin);
}

static void uart_tx(void *o, uint8_t byte)
{
	(void)byte;
	((struct ctx *)o)->tx++;
}

static void ctx_init(void)
{
	static const struct ioapic_ops ioops = { io_route, io_fire, &c };
	static const struct uart_ops uops = { uart_tx, NULL, &c };
	struct irq_line irq0 = { isa_irq, &c, 0 }, irq4 = { isa_irq, &c, 4 },
			irq8 = { isa_irq, &c, 8 };
	struct clock_ops pclk = { clk_now, clk_arm, &c.pit_t }, rclk = { clk_now, clk_arm, &c.rtc_t };

	memset(&c, 0, sizeof(c));
	c.now = 1000000000ULL;
	c.pit_t = (struct timer){ &c, CLOCK_NEVER };
	c.rtc_t = (struct timer){ &c, CLOCK_NEVER };
	c.pic = pic_new(int_out, &c);
	c.io = ioapic_new(&ioops, 0);
	c.pit = pit_new(&irq0, &pclk);
	c.uart = uart_new(&irq4, &uops);
	c.rtc = rtc_new(&irq8, &rclk, 256 * MiB);
	if (!c.pic || !c.io || !c.pit || !c.uart || !c.rtc)
		abort();
	for (unsigned i = 0; i < IOAPIC_PINS; i++)
		c.masked[i] = true;		/* 82093AA §3.2.4: entries reset masked */
	rtc_set_wall_ns(c.rtc, 1700000000LL * 1000000000LL);
}

static void ctx_free(void)
{
	pic_free(c.pic);
	ioapic_free(c.io);
	pit_free(c.pit);
	uart_free(c.uart);
	rtc_free(c.rtc);
}

/* Follow the ICW sequence byte by byte as chip_io sees it (A0 = port). */
FUZZ_NOCOV static void shadow_write(struct icw_shadow *s, unsigned a0, uint8_t v)
{
	if (!a0) {
		if (v & 0x10)			/* ICW1 */
			*s = (struct icw_shadow){ SH_ICW2, v, s->base };
		return;
	}
	switch (s->state) {
	case SH_ICW2:
		s->base = v & 0xf8;
		s->state = !(s->icw1 & 0x02) ? SH_ICW3 : (s->icw1 & 0x01) ? SH_ICW4 : SH_DONE;
		break;
	case SH_ICW3:
		s->state = (s->icw1 & 0x01) ? SH_ICW4 : SH_DONE;
		break;
	case SH_ICW4:
		s->state = SH_DONE;
		break;
	case SH_DONE:
		break;
	}
}

static const unsigned lens[4] = { 1, 2, 4, 8 };

static void op_pic(struct fin *in, unsigned which)
{
	uint8_t ctl = fin_u8(in);
	uint32_t v = fin_u32(in);
	unsigned len = lens[ctl % 3], off = (ctl >> 2) & 1;
	bool wr = ctl & 8;

	if (which == 2) {
		pic_elcr_io(c.pic, off, &v, len, wr);
		return;
	}
	if (wr)
		for (unsigned i = 0; i < len && off + i <= 1; i++)
			shadow_write(&c.sh[which], off + i, v >> (8 * i));
	(which ? pic_slave_io : pic_master_io)(c.pic, off, &v, len, wr);
}

FUZZ_NOCOV static void check_vector(int v)
{
	FUZZ_CHECK(v == -1 || (v >= 0 && v < 256 && ((v & 0xf8) == c.sh[0].base ||
						     (v & 0xf8) == c.sh[1].base)),
		   "INTA vector %d, bases 0x%02x 0x%02x", v, c.sh[0].base, c.sh[1].base);
}

static void op_ioapic(struct fin *in)
{
	uint8_t ctl = fin_u8(in);
	uint16_t off = fin_u16(in);
	uint64_t v = fin_u64(in);
	unsigned len = lens[ctl & 3];

	if (ctl & 4)				/* the two registers: IOREGSEL, IOWIN */
		off = (off & 1) ? 0x10 : 0x00;
	else
		off %= 0x1000 - len + 1;
	ioapic_mmio(c.io, off, &v, len, ctl & 8);
}

/* Run the timers that are due, as the machine's one-shot timerfd would: a deadline that
 * fired is consumed, and the tick arms the next one if it wants one. */
static void run_timers(void)
{
	for (int i = 0; i < 4 && c.pit_t.deadline <= c.now; i++) {
		c.pit_t.deadline = CLOCK_NEVER;
		pit_tick(c.pit);
		FUZZ_CHECK(c.pit_t.deadline > c.now, "PIT re-armed at %llu, now %llu",
			   (unsigned long long)c.pit_t.deadline, (unsigned long long)c.now);
	}
	for (int i = 0; i < 4 && c.rtc_t.deadline <= c.now; i++) {
		c.rtc_t.deadline = CLOCK_NEVER;
		rtc_tick(c.rtc);
		FUZZ_CHECK(c.rtc_t.deadline > c.now, "RTC re-armed at %llu, now %llu",
			   (unsigned long long)c.rtc_t.deadline, (unsigned long long)c.now);
	}
}

static void op_time(struct fin *in)
{
	uint8_t ctl = fin_u8(in);
	uint32_t d = fin_u32(in);

	/* Steps from nanoseconds to ~70 minutes, and straight to the next deadline. */
	if (ctl & 1)
		c.now = c.pit_t.deadline < c.rtc_t.deadline ? c.pit_t.deadline : c.rtc_t.deadline;
	if (c.now == CLOCK_NEVER)
		c.now = 1000000000ULL;
	c.now += (uint64_t)d << (ctl >> 1 & 0x7 ? 10 : 0);
	run_timers();
}

static void op_uart(struct fin *in)
{
	uint8_t ctl = fin_u8(in);
	uint32_t v = fin_u32(in);

	if (ctl & 0x80) {
		uint8_t bytes[24];
		size_t n = ctl % 24, room = uart_rx_room(c.uart), got;

		for (size_t i = 0; i < n; i++)
			bytes[i] = fin_u8(in);
		got = uart_rx(c.uart, bytes, n);
		/* Character mode takes every byte, each overrunning the last (uart.h). */
		FUZZ_CHECK(room <= 16 && got <= n, "uart_rx took %zu of %zu, room %zu", got, n, room);
		FUZZ_CHECK(uart_rx_room(c.uart) <= 16 && uart_rx_room(c.uart) <= room &&
			   (got <= room || uart_rx_room(c.uart) == 0),
			   "receive FIFO room %zu after taking %zu of %zu, room %zu",
			   uart_rx_room(c.uart), got, n, room);
		return;
	}
	uart_io(c.uart, ctl & 7, &v, lens[(ctl >> 3) % 3], ctl & 0x40);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size, 0 };

	ctx_init();
	while (fin_more(&in)) {
		uint8_t op = fin_u8(&in);

		switch (op % 14) {
		case 0: case 1: case 2: op_pic(&in, op % 14); break;
		case 3: {
			uint8_t a = fin_u8(&in);

			pic_set_irq(c.pic, a % 16, a >> 7);
			break;
		}
		case 4:
			check_vector(pic_intack(c.pic));
			break;
		case 5: op_ioapic(&in); break;
		case 6: {
			uint8_t a = fin_u8(&in);

			ioapic_set_irq(c.io, a % IOAPIC_PINS, a >> 7);
			break;
		}
		case 7: ioapic_eoi(c.io, fin_u8(&in)); break;
		case 8: {
			uint8_t ctl = fin_u8(&in);
			uint32_t v = fin_u32(&in);

			if (ctl & 0x80)
				pit_port61_io(c.pit, 0, &v, 1, ctl & 0x40);
			else
				pit_io(c.pit, ctl & 3, &v, lens[(ctl >> 2) % 3], ctl & 0x40);
			break;
		}
		case 9: op_uart(&in); break;
		case 10: {
			uint8_t ctl = fin_u8(&in);
			uint32_t v = fin_u32(&in);

			rtc_io(c.rtc, ctl & 1, &v, lens[(ctl >> 1) % 3], ctl & 0x40);
			break;
		}
		case 11: case 12: op_time(&in); break;
		default:
			if (fin_u8(&in) < 16) {
				pic_reset(c.pic);
				ioapic_reset(c.io);
				pit_reset(c.pit);
				uart_reset(c.uart);
				rtc_reset(c.rtc);
				memset(c.sh, 0, sizeof(c.sh));
				/* 82093AA §3.2.4: redirection entries come out of reset masked */
				for (unsigned i = 0; i < IOAPIC_PINS; i++)
					c.masked[i] = true;
			}
			break;
		}
		FUZZ_CHECK(uart_rx_room(c.uart) <= 16, "receive FIFO room %zu",
			   uart_rx_room(c.uart));
		FUZZ_CHECK(c.int_out == pic_int_pending(c.pic), "PIC INT output %d, pending %d",
			   c.int_out, pic_int_pending(c.pic));
	}
	ctx_free();
	return 0;
}
