/* bus.c - sorted, non-overlapping address ranges with binary-search dispatch (see bus.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "core/bus.h"

void bus_init(struct bus *b)
{
	pthread_rwlockattr_t a;

	memset(b, 0, sizeof(*b));
	/* Writers first: a vCPU moving a BAR must not starve behind other vCPUs' lookups (no
	 * thread takes the read lock twice, which writer preference would deadlock). */
	pthread_rwlockattr_init(&a);
	pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&b->rw, &a);
	pthread_rwlockattr_destroy(&a);
}

void bus_set_default_lock(struct bus *b, pthread_mutex_t *lock)
{
	b->dflt = lock;
}

void bus_free(struct bus *b)
{
	free(b->ranges);
	pthread_rwlock_destroy(&b->rw);
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

static int range_insert(struct bus *b, uint64_t base, uint64_t len, bus_io_fn fn, void *opaque,
			const char *name, pthread_mutex_t *lock)
{
	size_t i;

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
					   .name = name, .lock = lock };
	b->n++;
	return 0;
}

int bus_register_locked(struct bus *b, uint64_t base, uint64_t len, bus_io_fn fn, void *opaque,
			const char *name, pthread_mutex_t *lock)
{
	int r;

	if (!len || !fn || base + len - 1 < base)
		return -EINVAL;
	pthread_rwlock_wrlock(&b->rw);
	r = range_insert(b, base, len, fn, opaque, name, lock);
	pthread_rwlock_unlock(&b->rw);
	return r;
}

int bus_register(struct bus *b, uint64_t base, uint64_t len, bus_io_fn fn, void *opaque,
		 const char *name)
{
	return bus_register_locked(b, base, len, fn, opaque, name, NULL);
}

bool bus_overlaps(struct bus *b, uint64_t base, uint64_t len)
{
	bool hit = false;

	pthread_rwlock_rdlock(&b->rw);
	for (size_t i = 0; i < b->n && !hit; i++)
		hit = base < b->ranges[i].base + b->ranges[i].len && b->ranges[i].base < base + len;
	pthread_rwlock_unlock(&b->rw);
	return hit;
}

int bus_unregister(struct bus *b, uint64_t base)
{
	size_t i;
	int r = -ENOENT;

	pthread_rwlock_wrlock(&b->rw);
	i = bus_upper(b, base);
	if (i && b->ranges[i - 1].base == base) {
		i--;
		memmove(&b->ranges[i], &b->ranges[i + 1], (b->n - i - 1) * sizeof(*b->ranges));
		b->n--;
		r = 0;
	}
	pthread_rwlock_unlock(&b->rw);
	return r;
}

bool bus_access(struct bus *b, uint64_t addr, void *data, unsigned len, bool is_write)
{
	struct bus_range *r, hit;
	pthread_mutex_t *lock;

	/* Copy the range out under the read lock: a vCPU moving a BAR may (un)register ranges
	 * meanwhile, and the handler must not run with the bus locked (it may be that vCPU). */
	pthread_rwlock_rdlock(&b->rw);
	/* bus_find hands out const ranges; this bus is ours to count on. */
	r = len ? (struct bus_range *)bus_find(b, addr) : NULL;
	/* The whole access must fit in the range: (addr - base) + len <= range len. */
	if (r && len <= r->len - (addr - r->base)) {
		__atomic_fetch_add(&r->hits, 1, __ATOMIC_RELAXED);
		hit = *r;
		pthread_rwlock_unlock(&b->rw);
		lock = hit.lock ? hit.lock : b->dflt;
		if (lock)
			pthread_mutex_lock(lock);
		hit.fn(hit.opaque, addr - hit.base, data, len, is_write);
		if (lock)
			pthread_mutex_unlock(lock);
		return true;
	}
	pthread_rwlock_unlock(&b->rw);
	if (is_write) {
		__atomic_fetch_add(&b->unclaimed_writes, 1, __ATOMIC_RELAXED);
	} else {
		memset(data, 0xff, len);
		__atomic_fetch_add(&b->unclaimed_reads, 1, __ATOMIC_RELAXED);
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
