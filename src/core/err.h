/* err.h - error reporting: negative errno inside, one human line at the edge.
 * A function that fails fills a struct err with a sentence naming the thing that is wrong
 * and returns -errno; main() prints "vfvm: <msg>" and exits 2 (bad input) or 1 (runtime). */
#ifndef VFVM_ERR_H
#define VFVM_ERR_H

#include <stdarg.h>
#include <stdio.h>

struct err {
	char msg[512];
	int usage;		/* 1: the user's input is at fault (exit status 2) */
};

/* Record a runtime failure; returns -errnum (errnum is a positive errno). */
int err_set(struct err *e, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Record bad user input (exit status 2); returns -errnum. */
int err_input(struct err *e, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
