/* machine_watch.h - the machine's watchdog (--watchdog) on a thread of its own, and the state
 * dump it and SIGUSR1 print: vCPUs, who holds which lock, then the machine's devices. */
#ifndef VFVM_MACHINE_WATCH_H
#define VFVM_MACHINE_WATCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* Exit status when --watchdog saw no progress (even, so no debug-exit value gives it). */
#define MACHINE_EXIT_WATCHDOG 4

struct vm;

/*
 * The machine's part of the dump, called with the dump's deadline (CLOCK_REALTIME, for
 * pthread_mutex_timedlock): its interrupt controllers and timers, each under its lock.
 * Returns false if a lock did not come in time (the callback has said which).
 */
typedef bool machine_watch_dump_fn(struct vm *vm, const struct timespec *deadline);

/* The guest is stuck: end the VM with @status (the machine's machine_exit). */
typedef void machine_watch_exit_fn(struct vm *vm, int status);

struct machine_watch {
	struct vm *vm;
	machine_watch_dump_fn *dump_devices;
	machine_watch_exit_fn *exit;
	/* The main loop's heartbeat (machine_watch_beat) and its thread's TID. */
	atomic_uint_fast64_t beats;
	int main_tid;
	int fd;				/* eventfd: written to stop the thread */
	pthread_t thread;
	bool running;
	pthread_mutex_t dump_lock;	/* one dump at a time */
};

/* Before anything can fail: fd -1, the dump lock. */
void machine_watch_init(struct machine_watch *w, struct vm *vm, machine_watch_dump_fn *dump,
			machine_watch_exit_fn *exit);
/* The stop eventfd; -errno. */
int machine_watch_open(struct machine_watch *w);
/* On the main thread, just before its loop: the thread, if vm->cfg.watchdog (-errno). */
int machine_watch_start(struct machine_watch *w);
/* Once per main-loop turn. */
static inline void machine_watch_beat(struct machine_watch *w)
{
	atomic_fetch_add(&w->beats, 1);
}
void machine_watch_stop(struct machine_watch *w);
void machine_watch_close(struct machine_watch *w);
/* Print the state dump to stderr (SIGUSR1, the watchdog). Main or watchdog thread. */
void machine_watch_dump(struct machine_watch *w, const char *why);
/* "vfvm: NAME is held by TID n, vCPU 1's thread" (or free), for a dump callback. */
void machine_watch_owner(struct machine_watch *w, pthread_mutex_t *lock, const char *name);

#endif
