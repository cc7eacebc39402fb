/* uart.h - the 8250/16550A UART (COM1 0x3F8 IRQ4, COM2 0x2F8 IRQ3, ...). Bytes leave
 * through ops->tx; bytes arrive through uart_rx(). */
#ifndef VFVM_UART_H
#define VFVM_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "core/irq.h"

struct uart_ops {
	/* The guest transmitted @byte (not called in loopback mode). */
	void (*tx)(void *opaque, uint8_t byte);
	/* The receive FIFO has room again after being full (the console may push more). */
	void (*rx_room)(void *opaque);
	void *opaque;
};

struct uart;

struct uart *uart_new(const struct irq_line *irq, const struct uart_ops *ops);
void uart_free(struct uart *u);
/* Bus handler for the 8 ports at the UART's base. */
void uart_io(void *opaque, uint64_t off, void *data, unsigned len, bool is_write);
/* Push received bytes; returns how many fitted in the receive FIFO (16 in FIFO mode, else 1).
 * Past that is an overrun (LSR.OE): in FIFO mode the first byte that does not fit is lost
 * and the rest are not taken; in character mode each new byte replaces the unread one. */
size_t uart_rx(struct uart *u, const uint8_t *buf, size_t n);
/* How many bytes uart_rx() can take now without overrun (bytes past that set LSR.OE). */
size_t uart_rx_room(const struct uart *u);
void uart_reset(struct uart *u);
/* One "vfvm: NAME: LCR ... bytes sent" line (the watchdog's dump); caller holds the UART's lock. */
void uart_dump(const struct uart *u, const char *name, FILE *f);

#endif
