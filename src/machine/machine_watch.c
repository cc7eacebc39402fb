/* machine_watch.c - the watchdog thread (--watchdog: no guest progress, or a main thread that
 * stopped coming round its loop) and the state dump it and SIGUSR1 print. docs/testing.md. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "core/sandbox.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "machine/console.h"
#include "machine/machine_watch.h"

static uint64_t watch_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * The state dump (--watchdog, SIGUSR1), on the main thread: each vCPU prints itself on its
 * own thread (vcpu_dump), then the interrupt controllers and the PIT under vm->lock. A vCPU
 * or a lock that does not answer within a second is itself the finding (a thread stuck
 * outside KVM_RUN, a lock never released), so the dump says so and goes on.
 */
/* Which of vfvm's threads kernel thread @tid is, in words. */
static const char *watch_tid_name(struct machine_watch *w, int tid, char *buf, size_t n)
{
	struct vm *vm = w->vm;

	if (tid == w->main_tid)
		return "the main thread";
	for (unsigned i = 0; i < vm->ncpus; i++) {
		if (vm->vcpus[i] && vcpu_tid(vm->vcpus[i]) == tid) {
			snprintf(buf, n, "vCPU %u's thread", i);
			return buf;
		}
	}
	return "a device or console thread";
}

/*
 * Who holds vm->lock: glibc's mutex records its holder's TID (nptl's pthread_mutex_lock
 * stores it in __data.__owner for every mutex type). Read without the lock, for the dump
 * only: it tells a lock-order deadlock (two threads waiting on each other) from a thread
 * that took the lock and went on to block elsewhere.
 */
void machine_watch_owner(struct machine_watch *w, pthread_mutex_t *lock, const char *name)
{
#ifdef __GLIBC__
	int tid = __atomic_load_n(&lock->__data.__owner, __ATOMIC_RELAXED);
	char buf[32];

	if (tid)
		fprintf(stderr, "vfvm: %s is held by TID %d, %s\n", name, tid,
			watch_tid_name(w, tid, buf, sizeof(buf)));
	else
		fprintf(stderr, "vfvm: %s is free\n", name);
#else
	(void)w, (void)lock, (void)name;
#endif
}

static void watch_dump_locked(struct machine_watch *w, const char *why)
{
	struct vm *vm = w->vm;
	struct timespec ts;
	long held = console_flush_unfinished(vm->console);

	/* The guest's last words had no newline: the dump starts on a line of its own. */
	if (held > 0)
		fputc('\n', stderr);
	fprintf(stderr, "vfvm: --- state dump (%s) ---\n", why);
	if (held > 0)
		fprintf(stderr, "vfvm: console: the guest's unfinished line (%ld bytes) is written out "
			"above\n", held);
	else if (held < 0)
		fprintf(stderr, "vfvm: console: its output lock is busy (a vCPU stuck writing the "
			"guest's output?)\n");
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (!vcpu_dump(vm->vcpus[i], 1000))
			fprintf(stderr, "vfvm: vCPU %u: no answer within 1 s (not in KVM_RUN: "
				"waiting for a device's lock or inside a device?)\n", i);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 1;
	w->dump_devices(vm, &ts);
	fprintf(stderr, "vfvm: --- end of state dump ---\n");
	fflush(stderr);
}

void machine_watch_dump(struct machine_watch *w, const char *why)
{
	pthread_mutex_lock(&w->dump_lock);
	watch_dump_locked(w, why);
	pthread_mutex_unlock(&w->dump_lock);
}

/*
 * --watchdog: no progress for cfg.watchdog seconds. Progress is an exit to vfvm (every exit
 * but a kick: vm_stats.progress, which console output also moves) or an event KVM delivered
 * on its own (vcpu_progress: interrupts injected, wake-ups from HLT). Exits alone are not
 * enough: a Linux guest doing passthrough I/O (doorbells in mapped BARs, MSI-X by irqfd, the
 * timer in the in-kernel LAPIC) makes none for as long as the I/O lasts.
 */
struct watchdog {
	uint64_t seen, since_ns;
};

static void watch_progress(struct machine_watch *mw, struct watchdog *w)
{
	struct vm *vm = mw->vm;
	uint64_t p = atomic_load(&vm->stats.progress), now = watch_now();

	for (unsigned i = 0; i < vm->ncpus; i++)
		p += vcpu_progress(vm->vcpus[i]);

	if (p != w->seen || !w->since_ns) {
		w->seen = p;
		w->since_ns = now;
		return;
	}
	if (now - w->since_ns < vm->cfg.watchdog * 1000000000ULL)
		return;
	machine_watch_dump(mw, "watchdog");
	fprintf(stderr, "vfvm: watchdog: no vCPU exit and no interrupt delivered for %u s, the guest "
		"is stuck (state above); "
		"exiting with status %d\n", vm->cfg.watchdog, MACHINE_EXIT_WATCHDOG);
	mw->exit(vm, MACHINE_EXIT_WATCHDOG);
}

/*
 * The main thread has not come round its event loop (which wakes at least once a second
 * with --watchdog) for cfg.watchdog + MACHINE_MAIN_GRACE seconds: it is blocked, most likely
 * on a lock. Nothing can tear the VM down any more (teardown is the main thread's), so after
 * the dump the process ends at once: taps vfvm created and memfds go with it, virtiofsd gets
 * its parent-death signal.
 */
#define MACHINE_MAIN_GRACE 5

static void watch_main_stuck(struct machine_watch *w, uint64_t ns)
{
	fprintf(stderr, "vfvm: watchdog: the main thread (TID %d) has not run its event loop for "
		"%llu s\n", w->main_tid, (unsigned long long)(ns / 1000000000));
	machine_watch_owner(w, &w->vm->lock, "vm->lock");
	machine_watch_dump(w, "watchdog: main thread stuck");
	fprintf(stderr, "vfvm: watchdog: vfvm is stuck (state above); exiting with status %d "
		"without teardown\n", MACHINE_EXIT_WATCHDOG);
	fflush(stderr);
	_exit(MACHINE_EXIT_WATCHDOG);
}

/* --watchdog's thread: once a second, the guest's progress and the main loop's heartbeat;
 * ends when the stop eventfd is written. */
static void *watch_main(void *arg)
{
	struct machine_watch *mw = arg;
	struct vm *vm = mw->vm;
	struct watchdog w = { 0 };
	struct pollfd p = { .fd = mw->fd, .events = POLLIN };
	uint64_t beats = atomic_load(&mw->beats), beat_ns = watch_now();
	uint64_t grace = (vm->cfg.watchdog + MACHINE_MAIN_GRACE) * 1000000000ULL;

	for (;;) {
		int n = poll(&p, 1, 1000);
		uint64_t now = watch_now(), b = atomic_load(&mw->beats);

		if (n > 0 || (n < 0 && errno != EINTR))
			break;
		if (b != beats) {
			beats = b;
			beat_ns = now;
		} else if (now - beat_ns >= grace) {
			watch_main_stuck(mw, now - beat_ns);
		}
		if (!atomic_load(&vm->exit_requested))
			watch_progress(mw, &w);
	}
	return NULL;
}

void machine_watch_init(struct machine_watch *w, struct vm *vm, machine_watch_dump_fn *dump,
			machine_watch_exit_fn *exit)
{
	*w = (struct machine_watch){ .vm = vm, .dump_devices = dump, .exit = exit, .fd = -1 };
	pthread_mutex_init(&w->dump_lock, NULL);
}

int machine_watch_open(struct machine_watch *w)
{
	w->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return w->fd < 0 ? -errno : 0;
}

int machine_watch_start(struct machine_watch *w)
{
	struct vm *vm = w->vm;
	int r;

	w->main_tid = (int)gettid();
	if (!vm->cfg.watchdog)
		return 0;
	r = sandbox_thread_start(&w->thread, NULL, watch_main, w, vm->sandbox, SB_MAIN);
	if (r)
		return r;
	w->running = true;
	return 0;
}

void machine_watch_stop(struct machine_watch *w)
{
	uint64_t one = 1;

	if (!w->running)
		return;
	if (write(w->fd, &one, sizeof(one)) < 0) {
		/* an eventfd write of 1 cannot fail here; join regardless */
	}
	pthread_join(w->thread, NULL);
	w->running = false;
}

void machine_watch_close(struct machine_watch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	pthread_mutex_destroy(&w->dump_lock);
}
