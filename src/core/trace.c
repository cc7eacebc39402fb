/* trace.c - the --trace writer: the filter parser, the JSON line builder (RFC 8259) and one
 * write(2) per line, so lines from vCPU and device threads never interleave (docs/trace.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "core/trace.h"

static const char *const kind_names[TRACE_KINDS] = {
	[TRACE_CFG] = "cfg", [TRACE_MSI] = "msi", [TRACE_INTX] = "intx",
	[TRACE_RESET] = "reset", [TRACE_VFIO] = "vfio", [TRACE_BAR] = "bar",
	[TRACE_VIOMMU] = "viommu",
};

const char *trace_kind_name(enum trace_kind k)
{
	return (unsigned)k < TRACE_KINDS ? kind_names[k] : "?";
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int hex_field(const char *s, size_t n, unsigned max, unsigned *out)
{
	unsigned v = 0;

	if (!n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -EINVAL;
		v = v * 16 + d;
		if (v > max)
			return -EINVAL;
	}
	*out = v;
	return 0;
}

int trace_bdf_parse(const char *s, uint32_t *out)
{
	/* [DDDD:]BB:SS.F, as lspci and sysfs write it (PCI Firmware 3.0 segment:bus:dev.fn). */
	const char *dot = strrchr(s, '.'), *c2, *c1 = NULL;
	unsigned dom = 0, bus, dev, fn;

	if (!dot)
		return -EINVAL;
	c2 = memrchr(s, ':', dot - s);
	if (!c2)
		return -EINVAL;
	if (c2 > s)
		c1 = memrchr(s, ':', c2 - s);
	if (c1 && (hex_field(s, c1 - s, 0xffff, &dom) || c1 - s != 4))
		return -EINVAL;
	if (hex_field(c1 ? c1 + 1 : s, c2 - (c1 ? c1 + 1 : s), 0xff, &bus) ||
	    hex_field(c2 + 1, dot - c2 - 1, 0x1f, &dev) ||
	    hex_field(dot + 1, strlen(dot + 1), 7, &fn))
		return -EINVAL;
	*out = dom << 16 | bus << 8 | dev << 3 | fn;
	return 0;
}

static int kind_parse(const char *p, size_t n, unsigned *bits)
{
	for (int k = 0; k < TRACE_KINDS; k++)
		if (strlen(kind_names[k]) == n && !strncmp(kind_names[k], p, n)) {
			*bits |= 1u << k;
			return 0;
		}
	return -EINVAL;
}

int trace_filter_parse(const char *s, struct trace_filter *f, struct err *err)
{
	const char *p = s;
	bool in_kind = false;

	memset(f, 0, sizeof(*f));
	if (!*s)
		return err_input(err, EINVAL, "--trace-filter is empty; use e.g. "
				 "dev=0000:00:03.0,kind=cfg,msi");
	for (;;) {
		size_t n = strcspn(p, ",");
		char item[64];

		if (!n)
			return err_input(err, EINVAL, "--trace-filter '%s': empty item; items are "
					 "dev=BDF and kind=K[,K...]", s);
		snprintf(item, sizeof(item), "%.*s", (int)(n < 63 ? n : 63), p);
		if (n > 4 && !strncmp(p, "dev=", 4)) {
			uint32_t bdf;

			in_kind = false;
			if (n >= 63 || trace_bdf_parse(item + 4, &bdf))
				return err_input(err, EINVAL, "--trace-filter: dev=%s is not a PCI "
						 "address; write it as 0000:00:03.0", item + 4);
			if (f->ndev == TRACE_MAX_DEVS)
				return err_input(err, EINVAL, "--trace-filter: more than %d dev= "
						 "items", TRACE_MAX_DEVS);
			f->dev[f->ndev++] = bdf;
		} else if (n > 5 && !strncmp(p, "kind=", 5)) {
			in_kind = true;
			if (kind_parse(p + 5, n - 5, &f->kinds))
				goto bad_kind;
		} else if (in_kind && !memchr(p, '=', n)) {
			if (kind_parse(p, n, &f->kinds))
				goto bad_kind;
		} else {
			return err_input(err, EINVAL, "--trace-filter: unknown item '%s'; items are "
					 "dev=BDF and kind=K[,K...]", item);
		}
		if (!p[n])
			return 0;
		p += n + 1;
		continue;
bad_kind:
		return err_input(err, EINVAL, "--trace-filter: unknown kind '%s'; kinds are cfg, "
				 "msi, intx, reset, vfio, bar, viommu", strchr(item, '=') ?
				 strchr(item, '=') + 1 : item);
	}
}

int trace_open(struct trace *t, const char *path, const struct trace_filter *f, struct err *err)
{
	memset(t, 0, sizeof(*t));
	if (f)
		t->f = *f;
	if (!strcmp(path, "-")) {
		t->fd = STDERR_FILENO;
	} else {
		/* O_APPEND: each write(2) lands whole at the end, whoever else writes the file. */
		t->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
		if (t->fd < 0)
			return err_input(err, errno, "--trace %s: %s", path, strerror(errno));
		t->own_fd = true;
	}
	t->t0 = now_ns();
	return 0;
}

void trace_close(struct trace *t)
{
	if (t->own_fd && t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	t->own_fd = false;
}

bool trace_wants(const struct trace *t, enum trace_kind k, uint32_t bdf, int64_t host)
{
	if (t->f.kinds && !(t->f.kinds >> k & 1))
		return false;
	if (!t->f.ndev)
		return true;
	for (unsigned i = 0; i < t->f.ndev; i++)
		if (t->f.dev[i] == bdf || (host >= 0 && t->f.dev[i] == (uint32_t)host))
			return true;
	return false;
}

size_t trace_json_str(char *dst, size_t n, const char *s)
{
	size_t o = 0;

	if (n < 3) {
		if (n)
			dst[0] = 0;
		return 0;
	}
	dst[o++] = '"';
	for (; *s; s++) {
		unsigned char c = *s;
		char esc[8];
		size_t l;

		if (c == '"' || c == '\\')
			l = snprintf(esc, sizeof(esc), "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			l = snprintf(esc, sizeof(esc), "\\u%04x", c);
		else
			esc[0] = c, l = 1;
		if (o + l + 2 > n)	/* room for the closing quote and NUL */
			break;
		memcpy(dst + o, esc, l);
		o += l;
	}
	dst[o++] = '"';
	dst[o] = 0;
	return o;
}

int trace_line(char *buf, size_t n, uint64_t ns, uint32_t bdf, int64_t host, enum trace_kind k,
	       const char *fields)
{
	char hs[32] = "";
	int head, len;

	if (host >= 0)
		snprintf(hs, sizeof(hs), ",\"host\":\"%04x:%02x:%02x.%x\"",
			 (unsigned)(host >> 16) & 0xffff, (unsigned)(host >> 8) & 0xff,
			 (unsigned)(host >> 3) & 0x1f, (unsigned)host & 7);
	head = snprintf(buf, n, "{\"t\":%llu,\"dev\":\"0000:%02x:%02x.%x\"%s,\"kind\":\"%s\"",
			(unsigned long long)ns, (bdf >> 8) & 0xff, (bdf >> 3) & 0x1f, bdf & 7, hs,
			trace_kind_name(k));
	if (head < 0 || (size_t)head + sizeof(",\"truncated\":true}\n") > n)
		return -EINVAL;
	if (fields && *fields) {
		len = snprintf(buf + head, n - head, ",%s}\n", fields);
		if (len > 0 && (size_t)len < n - head)
			return head + len;
	} else {
		return head + snprintf(buf + head, n - head, "}\n");
	}
	return head + snprintf(buf + head, n - head, ",\"truncated\":true}\n");
}

void trace_emit(struct trace *t, enum trace_kind k, uint32_t bdf, int64_t host,
		const char *fmt, ...)
{
	char fields[TRACE_LINE_MAX], line[TRACE_LINE_MAX];
	uint64_t ns = now_ns() - t->t0;
	va_list ap;
	int len, f;
	ssize_t w;

	if (!trace_wants(t, k, bdf, host))
		return;
	va_start(ap, fmt);
	f = vsnprintf(fields, sizeof(fields), fmt, ap);
	va_end(ap);
	/* A cut field list is not JSON: trace_line says truncated instead. */
	len = trace_line(line, sizeof(line), ns, bdf, host, k,
			 f >= 0 && (size_t)f < sizeof(fields) ? fields : "\"truncated\":true");
	if (len < 0)
		return;
	/* One write(2) per line: never a second call for a remainder, which another thread's
	 * line could precede. Short or failed writes are counted, not retried. */
	do
		w = write(t->fd, line, len);
	while (w < 0 && errno == EINTR);
	if (w == len)
		atomic_fetch_add(&t->lines, 1);
	else
		atomic_fetch_add(&t->lost, 1);
}
