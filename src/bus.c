/* bus.c - sorted, non-overlapping address ranges with binary-search dispatch (see bus.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "bus.h"

void bus_init(struct bus *b)
{
	memset(b, 0, sizeof(*b));
}

void bus_free(struct bus *b)
{
	free(b->ranges);
	bus_init(b);
}

/* Index of the first range whose base is > addr. */
static size_t bus_upper(const struct bus *b, uint64_t addr)
{
	size_t lo = 0, hi = b->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (b->ranges[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct bus_range *bus_find(const struct bus *b, uint64_t addr)
{
	size_t i = bus_upper(b, addr);
	const struct bus_range *r;

	if (!i)
		return NULL;
	r = &b->ranges[i - 1];
	return addr - r->base < r->len ? r : NULL;
}

int bus_register(struct bus *b, uint64_t base, uint64_t len, bus_io_fn fn, void *opaque,
		 const char *name)
{
	size_t i;

	if (!len || !fn || base + len - 1 < base)
		return -EINVAL;
	i = bus_upper(b, base);
	/* Previous range must end before @base, the next one must start after our end. */
	if (i && base - b->ranges[i - 1].base < b->ranges[i - 1].len)
		return -EEXIST;
	if (i < b->n && b->ranges[i].base <= base + len - 1)
		return -EEXIST;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		struct bus_range *nr = realloc(b->ranges, cap * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		b->ranges = nr;
		b->cap = cap;
	}
	memmove(&b->ranges[i + 1], &b->ranges[i], (b->n - i) * sizeof(*b->ranges));
	b->ranges[i] = (struct bus_range){ .base = base, .len = len, .fn = fn, .opaque = opaque,
					   .name = name };
	b->n++;
	return 0;
}

int bus_unregister(struct bus *b, uint64_t base)
{
	size_t i = bus_upper(b, base);

	if (!i || b->ranges[i - 1].base != base)
		return -ENOENT;
	i--;
	memmove(&b->ranges[i], &b->ranges[i + 1], (b->n - i - 1) * sizeof(*b->ranges));
	b->n--;
	return 0;
}

bool bus_access(struct bus *b, uint64_t addr, void *data, unsigned len, bool is_write)
{
	/* bus_find hands out const ranges; this bus is ours to count on. */
	struct bus_range *r = len ? (struct bus_range *)bus_find(b, addr) : NULL;

	/* The whole access must fit in the range: (addr - base) + len <= range len. */
	if (r && len <= r->len - (addr - r->base)) {
		r->hits++;
		r->fn(r->opaque, addr - r->base, data, len, is_write);
		return true;
	}
	if (is_write) {
		b->unclaimed_writes++;
	} else {
		memset(data, 0xff, len);
		b->unclaimed_reads++;
	}
	return false;
}

void bus_bytewise(uint64_t off, void *data, unsigned len, bool is_write, unsigned nports,
		  uint8_t (*rd)(void *ctx, unsigned port),
		  void (*wr)(void *ctx, unsigned port, uint8_t v), void *ctx)
{
	uint8_t *b = data;

	for (unsigned i = 0; i < len; i++) {
		/* off + i < nports, written so that it cannot wrap */
		if (off >= nports || i >= nports - off) {
			if (!is_write)
				b[i] = 0xff;
			continue;
		}
		if (is_write)
			wr(ctx, (unsigned)(off + i), b[i]);
		else
			b[i] = rd(ctx, (unsigned)(off + i));
	}
}
