/* tap.h - --net tap: the option syntax, the tap device (/dev/net/tun with IFF_VNET_HDR) and the
 * packet back end virtio-net uses on it. */
#ifndef VFVM_NET_TAP_H
#define VFVM_NET_TAP_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include "core/err.h"

struct pci_bus;
struct guest_mem;
struct virtio_net;

enum net_vhost { NET_VHOST_AUTO, NET_VHOST_ON, NET_VHOST_OFF };

struct net_opts {
	char ifname[IFNAMSIZ];		/* "" : the kernel names it (vfvm%d) */
	uint8_t mac[6];
	bool mac_set;
	enum net_vhost vhost;
};

/* "tap[,ifname=NAME][,mac=MAC][,vhost=on|off]": err_input (exit status 2) for anything else. */
int net_opts_parse(const char *spec, struct net_opts *o, struct err *err);
/* "52:54:00:12:34:56": 0, or -EINVAL for anything but six hex pairs; a multicast or all-zero
 * address is -EDOM (a NIC cannot have one). */
int net_mac_parse(const char *s, uint8_t mac[6]);
/* A locally administered unicast MAC from @seed (the VM's kernel path) and @index, the same
 * every run of the same command line. */
void net_mac_derive(const char *seed, unsigned index, uint8_t mac[6]);

struct tap;

/* Opens /dev/net/tun and creates the tap (or attaches to the existing one named ifname=),
 * with the 12-byte virtio-net header and no offloads yet. One line in @err and the fd closed
 * on failure: no /dev/net/tun, no CAP_NET_ADMIN, a name in use or not a tap. */
int tap_open(const struct net_opts *o, struct tap **out, struct err *err);
const char *tap_ifname(const struct tap *t);
int tap_fd(const struct tap *t);
void tap_close(struct tap *t);
/* The virtio-net function for @t on @b: with @vh (an initialised, malloc'd struct vhost_net)
 * the kernel's vhost-net data path from DRIVER_OK, without it the user-space one on the device
 * thread. The device owns @t and @vh from here on, also when this fails. */
struct vhost_net;
int tap_net_create(struct tap *t, struct pci_bus *b, const struct guest_mem *mem,
		   const uint8_t mac[6], struct vhost_net *vh, struct virtio_net **out);
/* --net's vhost= at set-up (before any seccomp filter): for vhost=on or the default, opens
 * /dev/vhost-net (@path) and makes it this process's (SET_OWNER, GET_FEATURES) into *@out.
 * vhost=on without a usable one: one line in @err naming it and what to do, -errno. The
 * default without one: one line on stderr saying so, 0 and *@out NULL (the user-space path);
 * so is vhost=off. */
int net_vhost_open(const struct net_opts *o, const char *spec, const char *path,
		   struct vhost_net **out, struct err *err);

#endif
