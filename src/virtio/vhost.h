/* vhost.h - the kernel's vhost-net data path (linux/vhost.h UAPI, /dev/vhost-net) behind a
 * replaceable ioctl layer, and the vring hand-over that vhost-net and vhost-user share. */
#ifndef VFVM_VIRTIO_VHOST_H
#define VFVM_VIRTIO_VHOST_H

#include <stdbool.h>
#include <stdint.h>

struct guest_mem;

#define VHOST_NET_PATH		"/dev/vhost-net"
#define VHOST_NET_QUEUES	2	/* receiveq1 and transmitq1; controlq stays in vfvm */
#define VHOST_MAX_REGIONS	8

/* One ring as a back end takes it (addresses in vfvm's own address space). */
struct vhost_vring {
	unsigned index, num;
	uint16_t base;			/* the first available index the back end reads */
	uint64_t desc, avail, used;
	int kick, call, err;		/* eventfds; err < 0: none */
};

/* How a back end is handed a ring: vhost-net by ioctl, vhost-user by message. Each returns 0
 * or a negative errno; err and enable may be NULL. */
struct vhost_vring_ops {
	int (*num)(void *be, unsigned i, unsigned num);
	int (*base)(void *be, unsigned i, unsigned base);
	int (*addr)(void *be, unsigned i, uint64_t desc, uint64_t used, uint64_t avail);
	int (*call)(void *be, unsigned i, int fd);
	int (*err)(void *be, unsigned i, int fd);
	int (*kick)(void *be, unsigned i, int fd);
	int (*enable)(void *be, unsigned i);
};

/*
 * The hand-over in one order for both: NUM, BASE, ADDR, CALL, ERR, KICK, then enable (vhost-user
 * SET_VRING_ENABLE, vhost-net SET_BACKEND). The call fd goes before the kick because a ring
 * starts with its kick (vhost-user.rst "Starting and stopping rings") and vhost-net may serve
 * it at once: an interrupt with no call fd would be lost. *@step names a step that failed.
 */
int vhost_vring_start(const struct vhost_vring_ops *o, void *be, const struct vhost_vring *r,
		      const char **step);

/* One guest RAM region: guest address, size, vfvm's address, and its memfd (or -1). */
struct vhost_region {
	uint64_t gpa, size, uaddr;
	int fd;
};

/* Guest RAM as regions: the count, or -E2BIG beyond @max. */
int vhost_regions(const struct guest_mem *m, struct vhost_region *r, unsigned max);

/* --- vhost-net --- */

/* The ioctl layer: the kernel's, or a fake in the unit tests. */
struct vhost_kernel_ops {
	int (*ioctl)(void *ctx, int fd, unsigned long req, void *arg);	/* 0 or -errno */
	void *ctx;
};

extern const struct vhost_kernel_ops vhost_kernel_real;

enum vhost_net_state { VHOST_NET_IDLE, VHOST_NET_RUNNING };

struct vhost_net {
	int fd;				/* /dev/vhost-net, owned */
	const struct vhost_kernel_ops *k;
	uint64_t features;		/* VHOST_GET_FEATURES */
	enum vhost_net_state state;
	bool started[VHOST_NET_QUEUES];	/* rings the kernel has (until stopped) */
	bool attached[VHOST_NET_QUEUES];	/* rings with the tap as back end */
	uint16_t last_base[VHOST_NET_QUEUES];	/* GET_VRING_BASE at the last stop */
};

/* The feature bits vhost-net's data path implements and must agree to (drivers/vhost/net.c
 * VHOST_NET_FEATURES): ring layout, notification suppression, mergeable receive buffers. */
uint64_t vhost_net_ring_features(void);

/* Takes @fd (open /dev/vhost-net) and asks the kernel for it: SET_OWNER, GET_FEATURES. The fd
 * is the vhost_net's from here on, also on failure (then closed). */
int vhost_net_init(struct vhost_net *h, int fd, const struct vhost_kernel_ops *k);
/* Opens @path (O_RDWR) and vhost_net_init()s it: -errno of the open, or of the set-up. */
int vhost_net_open(struct vhost_net *h, const char *path);
/*
 * The data path on: SET_FEATURES (@features, only bits the kernel offered), SET_MEM_TABLE (@mem),
 * then each of the @n rings with @tapfd as its back end. On failure everything started is
 * stopped again and *@step names what failed.
 */
int vhost_net_start(struct vhost_net *h, uint64_t features, const struct guest_mem *mem,
		    const struct vhost_vring *r, unsigned n, int tapfd, const char **step);
/* The data path off: the tap detached from every ring (SET_BACKEND -1), each ring stopped
 * (GET_VRING_BASE, into last_base) and its kick, call and err fds unset (-1). Returns the first
 * error; every step is tried. */
int vhost_net_stop(struct vhost_net *h);
/* Stops if running and closes the fd. */
void vhost_net_close(struct vhost_net *h);

#endif
