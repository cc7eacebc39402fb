/* console.h - the user's side of the serial port: stdin (raw mode when a terminal, restored
 * on every exit path) into a UART, the UART's output to stdout or a file, Ctrl-A X to quit. */
#ifndef VFVM_CONSOLE_H
#define VFVM_CONSOLE_H

#include <pthread.h>
#include <stdint.h>
#include "core/err.h"
#include "legacy/uart.h"

struct console;

/*
 * @spec: NULL or "stdio" (stdin/stdout), "file:PATH" (output appended to PATH, no input),
 * "none". @lock is COM1's device lock, taken around uart_rx(). @quit is called (without the lock)
 * when the user types Ctrl-A X. Bad @spec: err_input and -EINVAL.
 */
struct console *console_new(const char *spec, pthread_mutex_t *lock,
			    void (*quit)(void *opaque), void *quit_opaque, struct err *err);
/* The uart_ops that connect @u's output and flow control to this console. */
void console_uart_ops(struct console *c, struct uart_ops *ops);
struct sandbox;
/* Start the input thread feeding @u (after the UART exists), under @sb's console filter
 * (NULL: none). */
int console_start(struct console *c, struct uart *u, const struct sandbox *sb);
/* Bytes the guest sent that are not written out yet; -1 if the output lock is busy. */
long console_pending(struct console *c);
/* Write out the bytes held for want of a newline (before a state dump); how many, or -1 if
 * the output lock is busy. */
long console_flush_unfinished(struct console *c);
/* Stop the input thread, flush output, restore the terminal. Safe to call any number of
 * times (also from a fatal path before console_free); the console stays valid. */
void console_stop(struct console *c);
/* console_stop(), then release @c. NULL is ignored; @c is invalid afterwards. */
void console_free(struct console *c);
/* Restore the terminal only (async-signal-safe; for fatal paths). */
void console_restore_tty(void);

#endif
