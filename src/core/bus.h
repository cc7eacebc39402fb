/* bus.h - address-range dispatch for port-I/O and MMIO exits, one handler signature for both.
 * Ranges are kept sorted, lookups are O(log n) under the bus's read lock; each handler runs
 * under its range's device lock (or the bus's default lock), not under the bus's. */
#ifndef VFVM_BUS_H
#define VFVM_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>

/*
 * A device's access handler. @offset is relative to the base the range was registered at,
 * @data points to @len bytes (1, 2, 4 or 8; little-endian), filled by the handler on reads.
 * Handlers run with their range's lock held (bus_register_locked; else the bus's default
 * lock, vm->lock) and must not take it again.
 */
typedef void (*bus_io_fn)(void *opaque, uint64_t offset, void *data, unsigned len, bool is_write);

struct bus_range {
	uint64_t base;
	uint64_t len;
	bus_io_fn fn;
	void *opaque;
	const char *name;
	pthread_mutex_t *lock;	/* held around fn; NULL: the bus's default lock */
	uint64_t hits;		/* accesses dispatched to it (--stats), atomic */
};

struct bus {
	struct bus_range *ranges;	/* sorted by base, never overlapping */
	size_t n, cap;
	pthread_rwlock_t rw;		/* ranges: read for lookups, write for (un)register */
	pthread_mutex_t *dflt;		/* lock of ranges registered without one (may be NULL) */
	uint64_t unclaimed_reads;	/* atomic */
	uint64_t unclaimed_writes;
};

void bus_init(struct bus *b);
/* The lock held around handlers of ranges registered with bus_register (vm->lock). */
void bus_set_default_lock(struct bus *b, pthread_mutex_t *lock);
void bus_free(struct bus *b);
/* -EINVAL for len 0 or a range wrapping past 2^64, -EEXIST if it overlaps a registered range. */
int bus_register(struct bus *b, uint64_t base, uint64_t len, bus_io_fn fn, void *opaque,
		 const char *name);
/* The same with the device's own @lock held around @fn (lock order: device, then vm->lock). */
int bus_register_locked(struct bus *b, uint64_t base, uint64_t len, bus_io_fn fn, void *opaque,
			const char *name, pthread_mutex_t *lock);
/* Removes the range registered at exactly @base; -ENOENT if there is none. */
int bus_unregister(struct bus *b, uint64_t base);
/* Whether any range overlaps [base, base+len), under the read lock (any thread, no handler's
 * lock needed). */
bool bus_overlaps(struct bus *b, uint64_t base, uint64_t len);
/* The range holding @addr, or NULL. Unlocked: for set-up, tests and --stats only. */
const struct bus_range *bus_find(const struct bus *b, uint64_t addr);
/*
 * Dispatch one access. It is claimed when [addr, addr+len) lies inside one range; then the
 * handler runs under the range's lock and true is returned. Otherwise a read returns all-ones, a write is dropped,
 * the matching counter goes up, and false is returned.
 */
bool bus_access(struct bus *b, uint64_t addr, void *data, unsigned len, bool is_write);

/*
 * ISA byte lanes: an access of @len bytes at offset @off to a device with @nports byte-wide
 * ports is one byte access per port, lowest first; bytes beyond the last port read all-ones
 * (the floating bus) and are dropped on write. The legacy devices' handlers use this.
 */
void bus_bytewise(uint64_t off, void *data, unsigned len, bool is_write, unsigned nports,
		  uint8_t (*rd)(void *ctx, unsigned port),
		  void (*wr)(void *ctx, unsigned port, uint8_t v), void *ctx);

#endif
