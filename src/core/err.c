/* err.c - formatting of the one-line user-facing error messages (see err.h). */
#include "core/err.h"

static int err_vset(struct err *e, int usage, int errnum, const char *fmt, va_list ap)
{
	if (e) {
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		e->usage = usage;
	}
	return errnum > 0 ? -errnum : errnum;
}

int err_set(struct err *e, int errnum, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = err_vset(e, 0, errnum, fmt, ap);
	va_end(ap);
	return r;
}

int err_input(struct err *e, int errnum, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = err_vset(e, 1, errnum, fmt, ap);
	va_end(ap);
	return r;
}
