/* uart.c - the National PC16550D UART (8250-compatible, FIFO mode), as found at COM1-COM4.
 * Register behaviour follows the PC16550D datasheet (June 1995), §8 "Registers". */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "core/bus.h"
#include "legacy/uart.h"

#define UART_FIFO_SIZE	16

/* Register offsets (datasheet Table II). */
enum {
	REG_RBR_THR = 0,	/* DLL when LCR.DLAB */
	REG_IER = 1,		/* DLM when LCR.DLAB */
	REG_IIR_FCR = 2,
	REG_LCR = 3,
	REG_MCR = 4,
	REG_LSR = 5,
	REG_MSR = 6,
	REG_SCR = 7,
};

#define IER_ERBFI	0x01	/* received data available (and timeout) */
#define IER_ETBEI	0x02	/* transmitter holding register empty */
#define IER_ELSI	0x04	/* receiver line status */
#define IER_EDSSI	0x08	/* modem status */
#define IER_MASK	0x0f	/* bits 4-7 are always 0 (§8.3) */

#define IIR_NONE	0x01
#define IIR_MSI		0x00
#define IIR_THRI	0x02
#define IIR_RDI		0x04
#define IIR_RLSI	0x06
#define IIR_TIMEOUT	0x0c
#define IIR_FIFO	0xc0	/* bits 6-7 set when FCR0 = 1 */

#define FCR_ENABLE	0x01
#define FCR_CLEAR_RX	0x02
#define FCR_CLEAR_TX	0x04
#define FCR_DMA		0x08
#define FCR_TRIGGER	0xc0

#define LCR_DLAB	0x80

#define MCR_DTR		0x01
#define MCR_RTS		0x02
#define MCR_OUT1	0x04
#define MCR_OUT2	0x08
#define MCR_LOOP	0x10
#define MCR_MASK	0x1f	/* bits 5-7 are always 0 (§8.7) */

#define LSR_DR		0x01
#define LSR_OE		0x02
#define LSR_PE		0x04
#define LSR_FE		0x08
#define LSR_BI		0x10
#define LSR_THRE	0x20
#define LSR_TEMT	0x40
#define LSR_ERRORS	(LSR_OE | LSR_PE | LSR_FE | LSR_BI)

#define MSR_DCTS	0x01
#define MSR_DDSR	0x02
#define MSR_TERI	0x04
#define MSR_DDCD	0x08
#define MSR_DELTAS	0x0f
#define MSR_CTS		0x10
#define MSR_DSR		0x20
#define MSR_RI		0x40
#define MSR_DCD		0x80

/*
 * Modem inputs when not in loopback: a connected null-modem peer holds DCD, DSR and CTS
 * asserted and never rings. Guests that wait for CTS before sending then just work.
 */
#define MSR_EXTERNAL	(MSR_DCD | MSR_DSR | MSR_CTS)

struct uart {
	struct irq_line irq;
	struct uart_ops ops;

	uint8_t ier, fcr, lcr, mcr, lsr, msr, scr, dll, dlm;
	uint8_t rx[UART_FIFO_SIZE];
	unsigned rx_head, rx_count;
	uint8_t rbr_last;	/* what an RBR read returns when there is nothing to read */
	bool thr_ipending;	/* THRE interrupt latched (§8.4: cleared by IIR read or THR write) */
	int irq_level;
	uint64_t tx_bytes;	/* THR writes since reset (uart_dump: is the guest still sending?) */
};

static unsigned uart_rx_capacity(const struct uart *u)
{
	return (u->fcr & FCR_ENABLE) ? UART_FIFO_SIZE : 1;
}

/* Receive FIFO trigger level, FCR bits 6-7 (datasheet §8.5). */
static unsigned uart_rx_trigger(const struct uart *u)
{
	static const unsigned levels[4] = { 1, 4, 8, 14 };

	if (!(u->fcr & FCR_ENABLE))
		return 1;
	return levels[u->fcr >> 6];
}

/*
 * The highest-priority pending interrupt (datasheet Table IV): receiver line status >
 * received data available / character timeout > THR empty > modem status.
 *
 * Character timeout (IIR 0xC) is, per the datasheet, "at least one character in the FIFO,
 * none received or read for 4 character times". Bytes reach this model in whole batches
 * from uart_rx() and a batch arrives at once, so the model treats the line as idle as soon
 * as the batch is stored: the 4 character times are taken as zero. The timeout is therefore
 * pending whenever the FIFO holds fewer bytes than the trigger level (docs/devices/uart.md).
 */
static uint8_t uart_iir_source(const struct uart *u)
{
	unsigned trig = uart_rx_trigger(u);

	if ((u->ier & IER_ELSI) && (u->lsr & LSR_ERRORS))
		return IIR_RLSI;
	if ((u->ier & IER_ERBFI) && u->rx_count) {
		if (u->rx_count >= trig)
			return IIR_RDI;
		return IIR_TIMEOUT;
	}
	if ((u->ier & IER_ETBEI) && u->thr_ipending)
		return IIR_THRI;
	if ((u->ier & IER_EDSSI) && (u->msr & MSR_DELTAS))
		return IIR_MSI;
	return IIR_NONE;
}

/*
 * On a PC the UART's INTR pin reaches the PIC through a buffer enabled by the OUT2 pin
 * (IBM PC/AT Technical Reference, Asynchronous Communications Adapter); Linux sets MCR.OUT2
 * for that reason. In loopback the datasheet (§8.7, MCR bit 4) forces OUT2 inactive, so
 * the buffer is off too: interrupts are visible in IIR only.
 */
static void uart_update_irq(struct uart *u)
{
	int level = uart_iir_source(u) != IIR_NONE && (u->mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2;

	if (level == u->irq_level)
		return;
	u->irq_level = level;
	irq_line_set(&u->irq, level);
}

/* Recompute the modem status inputs and latch their changes in the delta bits (§8.8). */
static void uart_update_msr(struct uart *u)
{
	uint8_t in = MSR_EXTERNAL, old = u->msr;

	if (u->mcr & MCR_LOOP) {
		/* §8.7: CTS<-RTS, DSR<-DTR, RI<-OUT1, DCD<-OUT2. */
		in = 0;
		if (u->mcr & MCR_RTS)
			in |= MSR_CTS;
		if (u->mcr & MCR_DTR)
			in |= MSR_DSR;
		if (u->mcr & MCR_OUT1)
			in |= MSR_RI;
		if (u->mcr & MCR_OUT2)
			in |= MSR_DCD;
	}
	u->msr = in | (old & MSR_DELTAS);
	if ((in ^ old) & MSR_CTS)
		u->msr |= MSR_DCTS;
	if ((in ^ old) & MSR_DSR)
		u->msr |= MSR_DDSR;
	if ((old & MSR_RI) && !(in & MSR_RI))	/* trailing edge of RI only */
		u->msr |= MSR_TERI;
	if ((in ^ old) & MSR_DCD)
		u->msr |= MSR_DDCD;
}

static void uart_rx_clear(struct uart *u)
{
	bool was_full = u->rx_count >= uart_rx_capacity(u);

	u->rx_head = 0;
	u->rx_count = 0;
	u->lsr &= ~LSR_DR;
	if (was_full && u->ops.rx_room)
		u->ops.rx_room(u->ops.opaque);
}

/*
 * Store one received byte. Overrun (§8.6, LSR1) sets OE either way, but differs by mode: in
 * character mode the new byte replaces the unread one in RBR ("thereby destroying the
 * previous character"); in FIFO mode the byte in the shift register is overwritten and never
 * reaches the full FIFO, so the new byte is the one lost. Returns false when it was lost.
 */
static bool uart_rx_push(struct uart *u, uint8_t byte)
{
	if (u->rx_count >= uart_rx_capacity(u)) {
		u->lsr |= LSR_OE;
		if (u->fcr & FCR_ENABLE)
			return false;
		u->rx[u->rx_head] = byte;
		return true;
	}
	u->rx[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = byte;
	u->rx_count++;
	u->lsr |= LSR_DR;
	return true;
}

static uint8_t uart_read_rbr(struct uart *u)
{
	bool was_full = u->rx_count >= uart_rx_capacity(u);

	if (!u->rx_count)
		return u->rbr_last;
	u->rbr_last = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
	if (!--u->rx_count)
		u->lsr &= ~LSR_DR;
	uart_update_irq(u);
	if (was_full && u->ops.rx_room)
		u->ops.rx_room(u->ops.opaque);
	return u->rbr_last;
}

/*
 * A THR write transmits at once: the byte goes out (or, in loopback, into the receiver)
 * and THR and the shift register are empty again before the guest can look, so LSR.THRE
 * and LSR.TEMT stay set and the transmit FIFO never holds anything. The THRE interrupt
 * is cleared by the write and raised again by the emptying (§8.4), which gives the PIC
 * the edge it needs for the next byte.
 */
static void uart_write_thr(struct uart *u, uint8_t byte)
{
	u->thr_ipending = false;
	u->tx_bytes++;
	uart_update_irq(u);
	if (u->mcr & MCR_LOOP)
		uart_rx_push(u, byte);
	else if (u->ops.tx)
		u->ops.tx(u->ops.opaque, byte);
	u->thr_ipending = true;
	uart_update_irq(u);
}

static void uart_write_ier(struct uart *u, uint8_t val)
{
	uint8_t old = u->ier;

	u->ier = val & IER_MASK;
	/*
	 * §8.4/Table IV: enabling ETBEI while THR is empty raises the THRE interrupt at once.
	 * Linux's serial8250 start_tx relies on this (it only toggles IER.THRI). Disabling it
	 * drops the latched request, so a later re-enable raises a fresh one.
	 */
	if ((u->ier & IER_ETBEI) && !(old & IER_ETBEI) && (u->lsr & LSR_THRE))
		u->thr_ipending = true;
	else if (!(u->ier & IER_ETBEI))
		u->thr_ipending = false;
	uart_update_irq(u);
}

/* FCR (§8.5): FCR0 must be set for the other bits to take effect; changing FCR0 clears
 * both FIFOs. FCR1/FCR2 are self-clearing. */
static void uart_write_fcr(struct uart *u, uint8_t val)
{
	if ((val ^ u->fcr) & FCR_ENABLE) {
		uart_rx_clear(u);
		u->fcr = 0;
	}
	if (!(val & FCR_ENABLE)) {
		u->fcr = 0;
		uart_update_irq(u);
		return;
	}
	if (val & FCR_CLEAR_RX)
		uart_rx_clear(u);
	/* FCR_CLEAR_TX: the transmit FIFO is always empty (see uart_write_thr). */
	u->fcr = val & (FCR_ENABLE | FCR_DMA | FCR_TRIGGER);
	uart_update_irq(u);
}

static void uart_write_mcr(struct uart *u, uint8_t val)
{
	u->mcr = val & MCR_MASK;
	uart_update_msr(u);
	uart_update_irq(u);
}

static uint8_t uart_read_iir(struct uart *u)
{
	uint8_t src = uart_iir_source(u);

	/* §8.4: reading IIR clears a THRE interrupt if it is the one being reported. */
	if (src == IIR_THRI) {
		u->thr_ipending = false;
		uart_update_irq(u);
	}
	return src | ((u->fcr & FCR_ENABLE) ? IIR_FIFO : 0);
}

/* Reading LSR clears OE, PE, FE, BI (§8.6). LSR7 stays 0: no PE/FE/BI is ever received. */
static uint8_t uart_read_lsr(struct uart *u)
{
	uint8_t val = u->lsr;

	u->lsr &= ~LSR_ERRORS;
	uart_update_irq(u);
	return val;
}

static uint8_t uart_read_msr(struct uart *u)
{
	uint8_t val = u->msr;

	u->msr &= ~MSR_DELTAS;
	uart_update_irq(u);
	return val;
}

static uint8_t uart_read(struct uart *u, unsigned off)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (off) {
	case REG_RBR_THR:
		return dlab ? u->dll : uart_read_rbr(u);
	case REG_IER:
		return dlab ? u->dlm : u->ier;
	case REG_IIR_FCR:
		return uart_read_iir(u);
	case REG_LCR:
		return u->lcr;
	case REG_MCR:
		return u->mcr;
	case REG_LSR:
		return uart_read_lsr(u);
	case REG_MSR:
		return uart_read_msr(u);
	case REG_SCR:
		return u->scr;
	}
	return 0xff;
}

static void uart_write(struct uart *u, unsigned off, uint8_t val)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (off) {
	case REG_RBR_THR:
		if (dlab)
			u->dll = val;	/* divisor latch: stored, no effect on speed */
		else
			uart_write_thr(u, val);
		return;
	case REG_IER:
		if (dlab)
			u->dlm = val;
		else
			uart_write_ier(u, val);
		return;
	case REG_IIR_FCR:
		uart_write_fcr(u, val);
		return;
	case REG_LCR:
		u->lcr = val;
		return;
	case REG_MCR:
		uart_write_mcr(u, val);
		return;
	case REG_LSR:
	case REG_MSR:
		/* Writes to LSR/MSR are "for factory testing" (§8.6); ignored as in QEMU. */
		return;
	case REG_SCR:
		u->scr = val;
		return;
	}
}

/*
 * Wider accesses are split into byte accesses at consecutive offsets, the way an 8-bit
 * ISA device sees them; bytes past the 8 registers read as 0xFF (floating bus).
 */
static uint8_t uart_port_read(void *ctx, unsigned reg)
{
	return uart_read(ctx, reg);
}

static void uart_port_write(void *ctx, unsigned reg, uint8_t v)
{
	uart_write(ctx, reg, v);
}

void uart_io(void *opaque, uint64_t off, void *data, unsigned len, bool is_write)
{
	bus_bytewise(off, data, len, is_write, 8, uart_port_read, uart_port_write, opaque);
}

size_t uart_rx(struct uart *u, const uint8_t *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!uart_rx_push(u, buf[i]))
			break;
	uart_update_irq(u);
	return i;
}

size_t uart_rx_room(const struct uart *u)
{
	return uart_rx_capacity(u) - u->rx_count;
}

/* Master reset values (datasheet Table V). The divisor latch is not affected by reset. */
void uart_reset(struct uart *u)
{
	bool was_full = u->rx_count >= uart_rx_capacity(u);

	u->ier = 0;
	u->fcr = 0;
	u->lcr = 0;
	u->mcr = 0;
	u->lsr = LSR_THRE | LSR_TEMT;
	u->msr = MSR_EXTERNAL;
	u->scr = 0;
	u->rx_head = 0;
	u->rx_count = 0;
	u->rbr_last = 0;
	u->thr_ipending = false;
	u->tx_bytes = 0;
	uart_update_irq(u);
	if (was_full && u->ops.rx_room)
		u->ops.rx_room(u->ops.opaque);
}

struct uart *uart_new(const struct irq_line *irq, const struct uart_ops *ops)
{
	struct uart *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	if (irq)
		u->irq = *irq;
	if (ops)
		u->ops = *ops;
	/* A divisor of 12 is 9600 baud from the PC's 1.8432 MHz clock, what BIOSes leave. */
	u->dll = 12;
	uart_reset(u);
	return u;
}

void uart_free(struct uart *u)
{
	free(u);
}

/*
 * One line of state for the watchdog's dump (issue 15): the registers a guest's console
 * write depends on (LCR.DLAB sends THR writes to the divisor latch, MCR.LOOP to the
 * receiver, LSR.THRE is what the guest polls) and how many bytes it has sent, so that two
 * dumps tell whether it still sends. Caller holds the UART's lock.
 */
void uart_dump(const struct uart *u, const char *name, FILE *f)
{
	fprintf(f, "vfvm: %s: LCR 0x%02x%s MCR 0x%02x%s IER 0x%02x LSR 0x%02x FCR 0x%02x IIR 0x%02x "
		"IRQ %d; %llu bytes sent, %u waiting to be read\n", name, u->lcr,
		(u->lcr & LCR_DLAB) ? " (DLAB)" : "", u->mcr, (u->mcr & MCR_LOOP) ? " (loopback)" : "",
		u->ier, u->lsr, u->fcr, uart_iir_source(u) | ((u->fcr & FCR_ENABLE) ? IIR_FIFO : 0),
		u->irq_level, (unsigned long long)u->tx_bytes, u->rx_count);
}
