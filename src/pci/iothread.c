/* iothread.c - the PCI device thread: epoll over doorbell eventfds, each callback run with the
 * VM lock held, so doorbells are served without stopping a vCPU thread. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "pci_dev.h"
#include "core/sandbox.h"

/* Watch slots to start with; the array doubles when full (a 2048-vector MSI-X device with
 * every vector masked needs 2048, issue 16 item 4). */
#define IOT_INITIAL 64

struct iot_watch {
	int fd;
	void (*cb)(void *arg, uint64_t count);
	void *arg;
	bool input;			/* not an eventfd: the callback reads (a tap) */
};

struct pci_iothread {
	pthread_mutex_t *lock;
	pthread_mutex_t wlock;		/* protects w[] against (un)watch from other threads */
	int epfd, stopfd;
	pthread_t thread;
	bool started;
	struct iot_watch *w;		/* nw slots, free ones with fd -1 */
	int nw;
};

/*
 * The watch is looked up, its eventfd read and its callback run all under the VM lock: a
 * vCPU removes a watch and frees the callback's argument under that lock (msi_release when
 * the guest disables MSI-X or changes a vector), so a watch still present once the lock is
 * held has a live argument, and a removed one is skipped with its count left unread. Taking
 * the lock first also keeps a reused fd number from feeding the old watch (test_pci_iothread).
 * Lock order: VM lock, then wlock (pci_iothread_watch/unwatch run under the VM lock too).
 * Every watched eventfd is EFD_NONBLOCK, so the read never blocks with the lock held.
 */
static void iot_dispatch(struct pci_iothread *t, int fd)
{
	uint64_t count;
	struct iot_watch w = { .fd = -1 };

	pthread_mutex_lock(t->lock);
	pthread_mutex_lock(&t->wlock);
	for (int i = 0; i < t->nw; i++)
		if (t->w[i].fd == fd)
			w = t->w[i];
	pthread_mutex_unlock(&t->wlock);
	if (w.fd >= 0 && w.input)
		w.cb(w.arg, 0);
	else if (w.fd >= 0 && read(fd, &count, sizeof(count)) == sizeof(count))
		w.cb(w.arg, count);
	pthread_mutex_unlock(t->lock);
}

static void *iot_main(void *arg)
{
	struct pci_iothread *t = arg;
	struct epoll_event ev[16];

	for (;;) {
		int n = epoll_wait(t->epfd, ev, 16, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return NULL;
		for (int i = 0; i < n; i++) {
			if (ev[i].data.fd == t->stopfd)
				return NULL;
			iot_dispatch(t, ev[i].data.fd);
		}
	}
}

static int iot_grow(struct pci_iothread *t, int n)
{
	struct iot_watch *w = realloc(t->w, (size_t)n * sizeof(*w));

	if (!w)
		return -ENOMEM;
	for (int i = t->nw; i < n; i++)
		w[i].fd = -1;
	t->w = w;
	t->nw = n;
	return 0;
}

struct pci_iothread *pci_iothread_new(pthread_mutex_t *lock)
{
	struct pci_iothread *t = calloc(1, sizeof(*t));
	struct epoll_event ev = { .events = EPOLLIN };

	if (!t)
		return NULL;
	t->lock = lock;
	pthread_mutex_init(&t->wlock, NULL);
	t->epfd = -1;
	t->stopfd = -1;
	if (iot_grow(t, IOT_INITIAL))
		goto fail;
	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	t->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->epfd < 0 || t->stopfd < 0)
		goto fail;
	ev.data.fd = t->stopfd;
	if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->stopfd, &ev) < 0)
		goto fail;
	return t;
fail:
	pci_iothread_free(t);
	return NULL;
}

int pci_iothread_start(struct pci_iothread *t, const struct sandbox *sb)
{
	int r;

	if (t->started)
		return 0;
	r = sandbox_thread_start(&t->thread, NULL, iot_main, t, sb, SB_IO);
	t->started = r == 0;
	return r;
}

static int iot_watch(struct pci_iothread *t, int fd, void (*cb)(void *arg, uint64_t count),
		     void *arg, bool input)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	int slot = -1;

	pthread_mutex_lock(&t->wlock);
	for (int i = 0; i < t->nw && slot < 0; i++)
		if (t->w[i].fd < 0)
			slot = i;
	if (slot < 0 && t->nw < INT_MAX / 2 && !iot_grow(t, t->nw * 2))
		slot = t->nw / 2;
	if (slot >= 0)
		t->w[slot] = (struct iot_watch){ fd, cb, arg, input };
	pthread_mutex_unlock(&t->wlock);
	if (slot < 0)
		return -ENOMEM;
	if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int r = -errno;

		pci_iothread_unwatch(t, fd);
		return r;
	}
	return 0;
}

int pci_iothread_watch(struct pci_iothread *t, int fd, void (*cb)(void *arg, uint64_t count),
		       void *arg)
{
	return iot_watch(t, fd, cb, arg, false);
}

int pci_iothread_watch_input(struct pci_iothread *t, int fd, void (*cb)(void *arg, uint64_t count),
			     void *arg)
{
	return iot_watch(t, fd, cb, arg, true);
}

void pci_iothread_unwatch(struct pci_iothread *t, int fd)
{
	epoll_ctl(t->epfd, EPOLL_CTL_DEL, fd, NULL);
	pthread_mutex_lock(&t->wlock);
	for (int i = 0; i < t->nw; i++)
		if (t->w[i].fd == fd)
			t->w[i].fd = -1;
	pthread_mutex_unlock(&t->wlock);
}

void pci_iothread_free(struct pci_iothread *t)
{
	uint64_t one = 1;

	if (!t)
		return;
	if (t->started) {
		if (write(t->stopfd, &one, sizeof(one)) == sizeof(one))
			pthread_join(t->thread, NULL);
	}
	if (t->epfd >= 0)
		close(t->epfd);
	if (t->stopfd >= 0)
		close(t->stopfd);
	pthread_mutex_destroy(&t->wlock);
	free(t->w);
	free(t);
}
