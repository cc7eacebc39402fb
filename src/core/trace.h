/* trace.h - --trace FILE: one JSON object per line per device event (config cycles, MSI/MSI-X,
 * INTx, resets, VFIO set-up, BARs), filtered by --trace-filter; schema in docs/trace.md.
 * A leaf: it calls nothing of vfvm but err.c, so every layer may emit into it. */
#ifndef VFVM_TRACE_H
#define VFVM_TRACE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/err.h"

#ifdef VFVM_TRACE_OUT
/* make bench-trace-cost only (TRACE_OUT=1, build-notrace/): every hook compiled out, the
 * baseline that "off" is measured against (docs/trace.md, "Cost when off"). */
#define trace_unlikely(x) ((void)(x), 0)
#else
#define trace_unlikely(x) __builtin_expect(!!(x), 0)
#endif

/* The "kind" of an event; also the filter's kind= names, in this order. */
enum trace_kind { TRACE_CFG, TRACE_MSI, TRACE_INTX, TRACE_RESET, TRACE_VFIO, TRACE_BAR,
		  TRACE_VIOMMU, TRACE_KINDS };

#define TRACE_MAX_DEVS 16
#define TRACE_LINE_MAX 512	/* < PIPE_BUF: one write(2) is one line, even into a pipe */
#define TRACE_NO_HOST (-1)	/* host_bdf of a function that is not passed through */

/* --trace-filter dev=BDF,...,kind=K,K...: no dev= means every device, no kind= every kind. */
struct trace_filter {
	unsigned kinds;			/* bit per enum trace_kind; 0: all */
	unsigned ndev;
	uint32_t dev[TRACE_MAX_DEVS];	/* domain << 16 | bus << 8 | dev << 3 | fn */
};

struct trace {
	int fd;
	bool own_fd;			/* opened here (not stderr): closed by trace_close */
	uint64_t t0;			/* CLOCK_MONOTONIC ns at trace_open: "t" counts from it */
	struct trace_filter f;
	atomic_uint_fast64_t lines, lost;	/* written / short or failed writes */
};

/* "dev=0000:00:03.0,kind=cfg,msi": after kind= every item without '=' is one more kind.
 * -EINVAL with err_input() naming the bad item. */
int trace_filter_parse(const char *s, struct trace_filter *f, struct err *err);
/* "0000:00:03.0" or "00:03.0" -> domain << 16 | bus << 8 | devfn; -EINVAL if not one. */
int trace_bdf_parse(const char *s, uint32_t *out);
/* Open @path ("-": stderr) for writing, truncated; t0 = now. err_input on failure. */
int trace_open(struct trace *t, const char *path, const struct trace_filter *f, struct err *err);
void trace_close(struct trace *t);
/* Does the filter let kind @k of guest function @bdf (bus 0: dev << 3 | fn) through? A passed-
 * through function also matches on its host address @host (TRACE_NO_HOST if none). */
bool trace_wants(const struct trace *t, enum trace_kind k, uint32_t bdf, int64_t host);
const char *trace_kind_name(enum trace_kind k);

/*
 * Build one line into @buf: {"t":NS,"dev":"0000:00:SS.F"[,"host":"DDDD:BB:SS.F"],"kind":"K"
 * [,FIELDS]}\n. @fields is the inside of a JSON object (already valid JSON members, may be
 * empty or NULL). A line that would not fit in @n carries "truncated":true instead of
 * @fields. Returns the length (always < @n, NUL-terminated), or -EINVAL if @n is too small
 * for even that.
 */
int trace_line(char *buf, size_t n, uint64_t ns, uint32_t bdf, int64_t host, enum trace_kind k,
	       const char *fields);
/* @s as a JSON string with its quotes (RFC 8259 §7: ", \ and control characters escaped),
 * cut to fit @n (always terminated). Returns the length written. */
size_t trace_json_str(char *dst, size_t n, const char *s);
/* If trace_wants(): format the fields with @fmt (printf) and write the line with one
 * write(2). Safe from any thread. */
void trace_emit(struct trace *t, enum trace_kind k, uint32_t bdf, int64_t host,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
