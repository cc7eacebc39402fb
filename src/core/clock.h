/* clock.h - the time interface for timer-driven device models (PIT, RTC).
 * The machine backs it with CLOCK_MONOTONIC and a timerfd; unit tests with a fake clock. */
#ifndef VFVM_CLOCK_H
#define VFVM_CLOCK_H

#include <stdint.h>

#define CLOCK_NEVER UINT64_MAX

struct clock_ops {
	/* Current time in nanoseconds on a monotonic clock. */
	uint64_t (*now_ns)(void *opaque);
	/*
	 * Ask to be called back (the device's tick function, on the main thread under the lock
	 * its bus ranges run under: machine.c) at absolute time @deadline_ns; CLOCK_NEVER
	 * disarms. Replaces any earlier request of the same device.
	 */
	void (*arm)(void *opaque, uint64_t deadline_ns);
	void *opaque;
};

static inline uint64_t clock_now(const struct clock_ops *c)
{
	return c->now_ns(c->opaque);
}

static inline void clock_arm(const struct clock_ops *c, uint64_t deadline_ns)
{
	if (c->arm)
		c->arm(c->opaque, deadline_ns);
}

#endif
