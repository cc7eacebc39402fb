/* test_uart.c - unit tests of the 16550A model against the PC16550D datasheet (register
 * values from §8 and Tables II, IV, V), driven through uart_io() like a guest would. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "legacy/uart.h"

struct fixture {
	struct uart *u;
	int level;		/* current IRQ line level */
	unsigned raises;	/* 0->1 transitions seen */
	uint8_t tx[64];
	unsigned ntx;
	unsigned rx_room;
};

static void fx_irq(void *opaque, unsigned pin, int level)
{
	struct fixture *f = opaque;

	assert_int_equal(pin, 4);
	if (level && !f->level)
		f->raises++;
	f->level = level;
}

static void fx_tx(void *opaque, uint8_t byte)
{
	struct fixture *f = opaque;

	assert_true(f->ntx < sizeof(f->tx));
	f->tx[f->ntx++] = byte;
}

static void fx_rx_room(void *opaque)
{
	struct fixture *f = opaque;

	f->rx_room++;
}

static int setup(void **state)
{
	static struct fixture f;
	struct irq_line irq = { .set = fx_irq, .opaque = &f, .pin = 4 };
	struct uart_ops ops = { .tx = fx_tx, .rx_room = fx_rx_room, .opaque = &f };

	memset(&f, 0, sizeof(f));
	f.u = uart_new(&irq, &ops);
	assert_non_null(f.u);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	uart_free(f->u);
	return 0;
}

static uint8_t rd(struct fixture *f, unsigned off)
{
	uint8_t v = 0x5a;

	uart_io(f->u, off, &v, 1, false);
	return v;
}

static void wr(struct fixture *f, unsigned off, uint8_t v)
{
	uart_io(f->u, off, &v, 1, true);
}

static void rx_bytes(struct fixture *f, const char *s)
{
	size_t n = strlen(s);

	assert_int_equal(uart_rx(f->u, (const uint8_t *)s, n), n);
}

/* Table V: master reset values. */
static void test_reset_values(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rd(f, 1), 0x00);	/* IER */
	assert_int_equal(rd(f, 2), 0x01);	/* IIR: no interrupt, FIFOs off */
	assert_int_equal(rd(f, 3), 0x00);	/* LCR */
	assert_int_equal(rd(f, 4), 0x00);	/* MCR */
	assert_int_equal(rd(f, 5), 0x60);	/* LSR: THRE | TEMT */
	assert_int_equal(rd(f, 6) & 0x0f, 0x00);	/* MSR deltas */
	assert_int_equal(rd(f, 7), 0x00);	/* SCR */
	assert_int_equal(f->level, 0);
}

static void test_scratch_and_masks(void **state)
{
	struct fixture *f = *state;

	wr(f, 7, 0xa5);
	assert_int_equal(rd(f, 7), 0xa5);
	wr(f, 1, 0xff);		/* IER bits 4-7 always 0 */
	assert_int_equal(rd(f, 1), 0x0f);
	wr(f, 4, 0xff);		/* MCR bits 5-7 always 0 */
	assert_int_equal(rd(f, 4), 0x1f);
	wr(f, 3, 0x1b);
	assert_int_equal(rd(f, 3), 0x1b);
}

/* DLAB (LCR7) maps offsets 0/1 to DLL/DLM; the latch survives clearing DLAB. */
static void test_dlab(void **state)
{
	struct fixture *f = *state;

	wr(f, 1, 0x05);			/* IER */
	wr(f, 3, 0x80);
	wr(f, 0, 0x01);			/* DLL: must not transmit */
	wr(f, 1, 0x02);			/* DLM: must not touch IER */
	assert_int_equal(rd(f, 0), 0x01);
	assert_int_equal(rd(f, 1), 0x02);
	assert_int_equal(f->ntx, 0);
	wr(f, 3, 0x03);
	assert_int_equal(rd(f, 1), 0x05);
	wr(f, 3, 0x83);
	assert_int_equal(rd(f, 0), 0x01);
	assert_int_equal(rd(f, 1), 0x02);
	/* IIR is not behind DLAB. */
	assert_int_equal(rd(f, 2) & 0x0f, 0x01);
}

static void test_tx(void **state)
{
	struct fixture *f = *state;

	wr(f, 0, 'h');
	wr(f, 0, 'i');
	assert_int_equal(f->ntx, 2);
	assert_memory_equal(f->tx, "hi", 2);
	assert_int_equal(rd(f, 5) & 0x60, 0x60);
}

/* The dump line (the watchdog's): the registers a console write depends on and the bytes
 * sent, DLAB and loopback named, the count back to 0 on reset. */
static void test_dump(void **state)
{
	struct fixture *f = *state;
	char *buf = NULL;
	size_t len = 0;
	FILE *m;

	wr(f, 0, 'a');
	wr(f, 0, 'b');
	wr(f, 4, 0x18);	/* MCR: LOOP | OUT2 */
	wr(f, 0, 'c');	/* into the receiver, still sent */
	wr(f, 3, 0x83);	/* LCR: DLAB, 8N1 */
	m = open_memstream(&buf, &len);
	assert_non_null(m);
	uart_dump(f->u, "COM1", m);
	uart_reset(f->u);
	uart_dump(f->u, "COM1", m);
	fclose(m);
	assert_non_null(strstr(buf, "vfvm: COM1: LCR 0x83 (DLAB) MCR 0x18 (loopback) IER 0x00 LSR 0x61 "));
	assert_non_null(strstr(buf, "; 3 bytes sent, 1 waiting to be read\n"));
	assert_non_null(strstr(buf, "vfvm: COM1: LCR 0x00 MCR 0x00 IER 0x00 LSR 0x60 FCR 0x00 IIR 0x01 "
				   "IRQ 0; 0 bytes sent, 0 waiting to be read\n"));
	free(buf);
}

/* Non-FIFO mode: one-byte RBR; the second byte overruns (LSR1) and destroys the first
 * (§8.6: "thereby destroying the previous character"); LSR read clears OE. */
static void test_rx_nonfifo_overrun(void **state)
{
	struct fixture *f = *state;
	uint8_t b[2] = { 'a', 'b' };

	assert_int_equal(uart_rx_room(f->u), 1);
	assert_int_equal(uart_rx(f->u, b, 2), 2);
	assert_int_equal(uart_rx_room(f->u), 0);
	assert_int_equal(rd(f, 5), 0x60 | 0x02 | 0x01);	/* DR, OE */
	assert_int_equal(rd(f, 5), 0x60 | 0x01);	/* OE cleared by the read */
	assert_int_equal(rd(f, 0), 'b');
	assert_int_equal(rd(f, 5), 0x60);
	assert_int_equal(f->rx_room, 1);		/* full -> room */
}

/* FIFO mode: 16 bytes, the 17th overruns without destroying the FIFO contents. */
static void test_fifo_fill_overflow(void **state)
{
	struct fixture *f = *state;
	uint8_t b[17];

	for (unsigned i = 0; i < 17; i++)
		b[i] = 'A' + i;
	wr(f, 2, 0x01);
	assert_int_equal(rd(f, 2) & 0xc0, 0xc0);	/* IIR6-7 mirror FCR0 */
	assert_int_equal(uart_rx_room(f->u), 16);
	assert_int_equal(uart_rx(f->u, b, 17), 16);
	assert_int_equal(uart_rx_room(f->u), 0);
	assert_int_equal(rd(f, 5) & 0x03, 0x03);
	for (unsigned i = 0; i < 16; i++) {
		assert_int_equal(rd(f, 5) & 0x01, 1);
		assert_int_equal(rd(f, 0), 'A' + i);
		if (i == 0)
			assert_int_equal(f->rx_room, 1);
	}
	assert_int_equal(rd(f, 5) & 0x01, 0);
	assert_int_equal(f->rx_room, 1);
}

/* FCR1 clears the receive FIFO; clearing FCR0 clears it too and leaves FIFO mode. */
static void test_fifo_clear(void **state)
{
	struct fixture *f = *state;

	wr(f, 2, 0x01);
	rx_bytes(f, "abc");
	wr(f, 2, 0x03);
	assert_int_equal(rd(f, 5) & 0x01, 0);
	assert_int_equal(uart_rx_room(f->u), 16);
	rx_bytes(f, "xyz");
	wr(f, 2, 0x00);
	assert_int_equal(rd(f, 5) & 0x01, 0);
	assert_int_equal(rd(f, 2), 0x01);
	assert_int_equal(uart_rx_room(f->u), 1);
	/* FCR0=0 means the other bits are not programmed. */
	wr(f, 2, 0xc0);
	assert_int_equal(rd(f, 2), 0x01);
}

static void check_trigger(struct fixture *f, uint8_t fcr, unsigned level)
{
	wr(f, 2, fcr | 0x01);
	wr(f, 2, fcr | 0x03);
	wr(f, 1, 0x01);
	for (unsigned n = 1; n <= 16; n++) {
		rx_bytes(f, "z");
		/* Below the trigger level: character timeout (0xC); at/above: data (0x4). */
		assert_int_equal(rd(f, 2), 0xc0 | (n < level ? 0x0c : 0x04));
	}
}

static void test_trigger_levels(void **state)
{
	struct fixture *f = *state;

	wr(f, 4, 0x08);
	check_trigger(f, 0x00, 1);
	check_trigger(f, 0x40, 4);
	check_trigger(f, 0x80, 8);
	check_trigger(f, 0xc0, 14);
	/* Reading below the trigger turns "data available" into the timeout indication. */
	for (unsigned i = 0; i < 3; i++)
		rd(f, 0);
	assert_int_equal(rd(f, 2), 0xcc);
	assert_int_equal(f->level, 1);
	while (rd(f, 5) & 1)
		rd(f, 0);
	assert_int_equal(rd(f, 2), 0xc1);
	assert_int_equal(f->level, 0);
}

/* Table IV priority: line status > rx data > THRE > modem status. */
static void test_iir_priority(void **state)
{
	struct fixture *f = *state;
	uint8_t b[2] = { '1', '2' };

	wr(f, 1, 0x0f);
	/* THRE (THR empty since reset) */
	assert_int_equal(rd(f, 2), 0x02);
	/* IIR read cleared THRE; raise a modem status change via loopback. */
	wr(f, 1, 0x0d);
	wr(f, 1, 0x0f);
	wr(f, 4, 0x10 | 0x02);	/* loopback, RTS -> CTS: DCTS */
	assert_int_equal(rd(f, 2), 0x02);	/* THRE beats MSI */
	assert_int_equal(rd(f, 2), 0x00);	/* now MSI */
	assert_int_equal(uart_rx(f->u, b, 2), 2);	/* data + overrun */
	assert_int_equal(rd(f, 2), 0x06);	/* line status first */
	assert_int_equal(rd(f, 2), 0x06);	/* IIR read does not clear it */
	rd(f, 5);
	assert_int_equal(rd(f, 2), 0x04);	/* then data */
	rd(f, 0);
	assert_int_equal(rd(f, 2), 0x00);	/* then modem status */
	rd(f, 6);
	assert_int_equal(rd(f, 2), 0x01);
}

/* THRE: set when THR empties, cleared by IIR read (when it is the source) or THR write,
 * re-raised on IER.ETBEI 0->1 while THR is empty. */
static void test_thre_semantics(void **state)
{
	struct fixture *f = *state;

	wr(f, 4, 0x08);			/* OUT2 */
	assert_int_equal(f->level, 0);
	wr(f, 1, 0x02);
	assert_int_equal(f->level, 1);
	assert_int_equal(f->raises, 1);
	assert_int_equal(rd(f, 2), 0x02);
	assert_int_equal(f->level, 0);
	assert_int_equal(rd(f, 2), 0x01);	/* cleared by the read */
	/* ETBEI 1 -> 1: nothing new */
	wr(f, 1, 0x02);
	assert_int_equal(rd(f, 2), 0x01);
	/* ETBEI 0 -> 1: re-raised */
	wr(f, 1, 0x00);
	wr(f, 1, 0x02);
	assert_int_equal(f->level, 1);
	assert_int_equal(f->raises, 2);
	/* A THR write clears it and the immediate emptying raises it again: a fresh edge. */
	wr(f, 0, 'x');
	assert_int_equal(f->raises, 3);
	assert_int_equal(f->level, 1);
	assert_int_equal(rd(f, 2), 0x02);
	/* IIR read does not clear THRE when a higher source is reported. */
	wr(f, 0, 'y');
	wr(f, 1, 0x03);
	rx_bytes(f, "r");
	assert_int_equal(rd(f, 2), 0x04);
	rd(f, 0);
	assert_int_equal(rd(f, 2), 0x02);
	assert_int_equal(rd(f, 2), 0x01);
}

/* Loopback: TX goes to RX (ops->tx not called), MCR outputs appear on MSR inputs. */
static void test_loopback(void **state)
{
	struct fixture *f = *state;

	rd(f, 6);
	wr(f, 4, 0x10);
	/* Entering loopback drops the external DCD/DSR/CTS: all three deltas. */
	assert_int_equal(rd(f, 6), 0x0b);
	assert_int_equal(rd(f, 6), 0x00);
	wr(f, 0, 'L');
	assert_int_equal(f->ntx, 0);
	assert_int_equal(rd(f, 5) & 0x01, 1);
	assert_int_equal(rd(f, 0), 'L');
	wr(f, 4, 0x10 | 0x01);		/* DTR -> DSR */
	assert_int_equal(rd(f, 6), 0x20 | 0x02);
	wr(f, 4, 0x10 | 0x02);		/* RTS -> CTS, DSR drops */
	assert_int_equal(rd(f, 6), 0x10 | 0x01 | 0x02);
	wr(f, 4, 0x10 | 0x04);		/* OUT1 -> RI; RI rising edge: no TERI */
	assert_int_equal(rd(f, 6), 0x40 | 0x01);
	wr(f, 4, 0x10);			/* RI falling edge: TERI */
	assert_int_equal(rd(f, 6), 0x04);
	wr(f, 4, 0x10 | 0x08);		/* OUT2 -> DCD */
	assert_int_equal(rd(f, 6), 0x80 | 0x08);
	/* Loopback overrun in non-FIFO mode: the newer byte wins. */
	wr(f, 0, '1');
	wr(f, 0, '2');
	assert_int_equal(rd(f, 5) & 0x03, 0x03);
	assert_int_equal(rd(f, 0), '2');
	/* In FIFO mode the 17th byte is the one lost. */
	wr(f, 2, 0x01);
	for (unsigned i = 0; i < 17; i++)
		wr(f, 0, (uint8_t)('a' + i));
	assert_int_equal(rd(f, 5) & 0x03, 0x03);
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(rd(f, 0), 'a' + i);
	assert_int_equal(rd(f, 5) & 0x01, 0);
	wr(f, 2, 0x00);
	/* Leaving loopback: back to the external inputs. */
	wr(f, 4, 0x00);
	assert_int_equal(rd(f, 6), 0xb0 | 0x01 | 0x02);
	wr(f, 0, 'o');
	assert_int_equal(f->ntx, 1);
	assert_int_equal(f->tx[0], 'o');
}

/* The IRQ line follows "interrupt pending && MCR.OUT2" (PC wiring), not gated by IER alone. */
static void test_out2_gating(void **state)
{
	struct fixture *f = *state;

	wr(f, 1, 0x01);
	rx_bytes(f, "q");
	assert_int_equal(rd(f, 2), 0x04);
	assert_int_equal(f->level, 0);		/* pending but OUT2 clear */
	wr(f, 4, 0x08);
	assert_int_equal(f->level, 1);
	wr(f, 4, 0x00);
	assert_int_equal(f->level, 0);
	wr(f, 4, 0x08);
	assert_int_equal(f->level, 1);
	wr(f, 1, 0x00);				/* masked in IER */
	assert_int_equal(f->level, 0);
	wr(f, 1, 0x01);
	assert_int_equal(f->level, 1);
	rd(f, 0);
	assert_int_equal(f->level, 0);
	/* Loopback forces the OUT2 pin inactive: IIR shows it, the line stays low. */
	wr(f, 4, 0x18);
	wr(f, 0, 'p');
	assert_int_equal(rd(f, 2), 0x04);
	assert_int_equal(f->level, 0);
}

static void test_msi_interrupt(void **state)
{
	struct fixture *f = *state;

	wr(f, 4, 0x08);
	rd(f, 6);
	wr(f, 1, 0x08);
	assert_int_equal(f->level, 0);
	wr(f, 4, 0x18 | 0x01);		/* loopback: line gated, IIR reports */
	assert_int_equal(rd(f, 2), 0x00);
	rd(f, 6);
	assert_int_equal(rd(f, 2), 0x01);
}

/* Wide and out-of-range accesses: bytes past offset 7 read as 0xFF, never fault. */
static void test_wide_access(void **state)
{
	struct fixture *f = *state;
	uint8_t d[4] = { 0 };
	uint32_t v;

	wr(f, 7, 0x42);
	uart_io(f->u, 6, d, 4, false);
	assert_int_equal(d[1], 0x42);
	assert_int_equal(d[2], 0xff);
	assert_int_equal(d[3], 0xff);
	v = 0x11223344;
	uart_io(f->u, 6, &v, 4, true);		/* SCR gets 0x33, the rest dropped */
	assert_int_equal(rd(f, 7), 0x33);
	uart_io(f->u, 100, &v, 4, false);
	assert_int_equal(v, 0xffffffff);
	v = 0;
	uart_io(f->u, UINT64_MAX, &v, 4, true);
	assert_int_equal(f->ntx, 0);
}

static void test_reset_and_null_ops(void **state)
{
	struct fixture *f = *state;
	struct uart *u;
	uint8_t v = 'x';

	wr(f, 2, 0x01);
	rx_bytes(f, "0123456789abcdef");
	wr(f, 4, 0x08);
	wr(f, 1, 0x01);
	assert_int_equal(f->level, 1);
	uart_reset(f->u);
	assert_int_equal(f->level, 0);
	assert_int_equal(f->rx_room, 1);
	assert_int_equal(rd(f, 5), 0x60);
	assert_int_equal(rd(f, 2), 0x01);

	u = uart_new(NULL, NULL);		/* no line, no ops: must not crash */
	assert_non_null(u);
	uart_io(u, 4, &(uint8_t){ 0x08 }, 1, true);
	uart_io(u, 1, &(uint8_t){ 0x0f }, 1, true);
	uart_io(u, 0, &v, 1, true);
	assert_int_equal(uart_rx(u, &v, 1), 1);
	uart_io(u, 0, &v, 1, false);
	assert_int_equal(v, 'x');
	uart_free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reset_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scratch_and_masks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dlab, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dump, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_nonfifo_overrun, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_fill_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_clear, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trigger_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iir_priority, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thre_semantics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loopback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out2_gating, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msi_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wide_access, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_and_null_ops, setup, teardown),
	};

	return cmocka_run_group_tests_name("uart", tests, NULL, NULL);
}
