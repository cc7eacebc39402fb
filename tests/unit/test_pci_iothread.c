/* test_pci_iothread.c - the PCI device thread (src/pci/iothread.c): callbacks run under the VM
 * lock, and never for a watch that was removed while the thread waited for that lock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include "pci/pci_dev.h"

/* What a device's callback argument stands for (an MSI vector's vecref, a doorbell). */
struct target {
	pthread_mutex_t *lock;
	atomic_int released;		/* set under the lock when the owner frees it */
	atomic_int calls, calls_released, calls_unlocked;
	atomic_ullong total;
};

static void on_event(void *arg, uint64_t count)
{
	struct target *t = arg;

	if (pthread_mutex_trylock(t->lock) == 0) {
		/* Not held by the device thread: the callback ran outside the VM lock. */
		atomic_fetch_add(&t->calls_unlocked, 1);
		pthread_mutex_unlock(t->lock);
	}
	if (atomic_load(&t->released))
		atomic_fetch_add(&t->calls_released, 1);
	atomic_fetch_add(&t->calls, 1);
	atomic_fetch_add(&t->total, count);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)ms * 1000000L };

	nanosleep(&ts, NULL);
}

static bool wait_calls(struct target *t, int n)
{
	for (int i = 0; i < 2000 && atomic_load(&t->calls) < n; i++)
		sleep_ms(1);
	return atomic_load(&t->calls) >= n;
}

static void test_callback_under_lock(void **state)
{
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct target t = { .lock = &lock };
	struct pci_iothread *iot = pci_iothread_new(&lock);
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint64_t v = 3;

	(void)state;
	assert_non_null(iot);
	assert_int_equal(pci_iothread_start(iot, NULL), 0);
	assert_int_equal(pci_iothread_watch(iot, fd, on_event, &t), 0);
	assert_int_equal(write(fd, &v, sizeof(v)), sizeof(v));
	assert_true(wait_calls(&t, 1));
	assert_int_equal(atomic_load(&t.total), 3);
	assert_int_equal(atomic_load(&t.calls_unlocked), 0);
	pci_iothread_unwatch(iot, fd);
	pci_iothread_free(iot);
	close(fd);
}

/* An input watch (a tap): nothing is read before the callback, which reads what it wants;
 * while data remain it is called again. */
struct input {
	pthread_mutex_t *lock;
	int fd;
	atomic_int calls, locked_ok;
	char got[8];
	atomic_int ngot;
};

static void on_input(void *arg, uint64_t count)
{
	struct input *in = arg;
	int n = atomic_load(&in->ngot);

	if (pthread_mutex_trylock(in->lock) != 0 && count == 0)
		atomic_fetch_add(&in->locked_ok, 1);
	else if (count == 0)
		pthread_mutex_unlock(in->lock);
	if (n < 8 && read(in->fd, in->got + n, 1) == 1)
		atomic_fetch_add(&in->ngot, 1);
	atomic_fetch_add(&in->calls, 1);
}

static void test_input_watch(void **state)
{
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct pci_iothread *iot = pci_iothread_new(&lock);
	int p[2];
	struct input in = { .lock = &lock };

	(void)state;
	assert_non_null(iot);
	assert_int_equal(pipe(p), 0);
	in.fd = p[0];
	assert_int_equal(pci_iothread_start(iot, NULL), 0);
	assert_int_equal(pci_iothread_watch_input(iot, p[0], on_input, &in), 0);
	assert_int_equal(write(p[1], "abc", 3), 3);
	for (int i = 0; i < 2000 && atomic_load(&in.ngot) < 3; i++)
		sleep_ms(1);
	/* One byte per call: three calls, each under the lock, the bytes in order. */
	assert_int_equal(atomic_load(&in.ngot), 3);
	assert_memory_equal(in.got, "abc", 3);
	assert_int_equal(atomic_load(&in.calls), 3);
	assert_int_equal(atomic_load(&in.locked_ok), 3);
	pci_iothread_unwatch(iot, p[0]);
	assert_int_equal(write(p[1], "d", 1), 1);
	sleep_ms(50);
	assert_int_equal(atomic_load(&in.calls), 3);
	pci_iothread_free(iot);
	close(p[0]);
	close(p[1]);
}

/*
 * Issue 16 item 1: a vCPU holding the VM lock removes a watch and frees its argument (MSI-X
 * disabled, a vector changed) while the device thread, woken by that fd, waits for the lock.
 * Once it gets the lock the callback must not run: its argument is gone.
 */
static void test_no_callback_after_unwatch(void **state)
{
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct target t = { .lock = &lock };
	struct pci_iothread *iot = pci_iothread_new(&lock);
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t v = 1;

	(void)state;
	assert_non_null(iot);
	assert_int_equal(pci_iothread_start(iot, NULL), 0);
	assert_int_equal(pci_iothread_watch(iot, fd, on_event, &t), 0);
	pthread_mutex_lock(&lock);
	assert_int_equal(write(fd, &v, sizeof(v)), sizeof(v));
	/* Let the device thread wake for it and reach the lock (it may or may not have read the
	 * eventfd by then: both orders must be safe). */
	for (int i = 0; i < 200 && poll(&p, 1, 0) == 1; i++)
		sleep_ms(1);
	sleep_ms(50);
	pci_iothread_unwatch(iot, fd);
	atomic_store(&t.released, 1);
	pthread_mutex_unlock(&lock);
	sleep_ms(100);
	assert_int_equal(atomic_load(&t.calls_released), 0);
	pci_iothread_free(iot);
	close(fd);
}

/* The fd number of a removed watch reused by a new one: the new callback gets the new count. */
static void test_fd_reuse_goes_to_new_watch(void **state)
{
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct target a = { .lock = &lock }, b = { .lock = &lock };
	struct pci_iothread *iot = pci_iothread_new(&lock);
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), fd2;
	uint64_t v = 5;

	(void)state;
	assert_non_null(iot);
	assert_int_equal(pci_iothread_start(iot, NULL), 0);
	assert_int_equal(pci_iothread_watch(iot, fd, on_event, &a), 0);
	pci_iothread_unwatch(iot, fd);
	close(fd);
	fd2 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_int_equal(pci_iothread_watch(iot, fd2, on_event, &b), 0);
	assert_int_equal(write(fd2, &v, sizeof(v)), sizeof(v));
	assert_true(wait_calls(&b, 1));
	assert_int_equal(atomic_load(&b.total), 5);
	assert_int_equal(atomic_load(&a.calls), 0);
	pci_iothread_unwatch(iot, fd2);
	pci_iothread_free(iot);
	close(fd2);
}

/* More watches than the 64 slots there once were (a large MSI-X table, all masked): each
 * one is taken, and each fires into its own callback. */
static void test_many_watches(void **state)
{
	enum { N = 512 };
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static struct target t[N];
	static int fd[N];
	struct pci_iothread *iot = pci_iothread_new(&lock);
	uint64_t v = 1;

	(void)state;
	assert_non_null(iot);
	assert_int_equal(pci_iothread_start(iot, NULL), 0);
	for (int i = 0; i < N; i++) {
		t[i] = (struct target){ .lock = &lock };
		fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		assert_true(fd[i] >= 0);
		assert_int_equal(pci_iothread_watch(iot, fd[i], on_event, &t[i]), 0);
	}
	assert_int_equal(write(fd[N - 1], &v, sizeof(v)), sizeof(v));
	assert_int_equal(write(fd[100], &v, sizeof(v)), sizeof(v));
	assert_true(wait_calls(&t[N - 1], 1));
	assert_true(wait_calls(&t[100], 1));
	assert_int_equal(atomic_load(&t[0].calls), 0);
	for (int i = 0; i < N; i++) {
		pci_iothread_unwatch(iot, fd[i]);
		close(fd[i]);
	}
	pci_iothread_free(iot);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_callback_under_lock),
		cmocka_unit_test(test_no_callback_after_unwatch),
		cmocka_unit_test(test_fd_reuse_goes_to_new_watch),
		cmocka_unit_test(test_many_watches),
		cmocka_unit_test(test_input_watch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
