/* tap.c - --net tap: options, the tap device (tun/tap with IFF_VNET_HDR, whose frames carry the
 * same 12-byte header virtio-net does, virtio 1.2 §5.1.6) and the user-space packet back end. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>
#include "net/tap.h"
#include "core/optlist.h"
#include "pci/pci_dev.h"
#include "virtio/net.h"
#include "virtio/vhost.h"
#include "virtio/virtio_pci.h"

#define TUN_PATH	"/dev/net/tun"

struct tap {
	int fd;
	char ifname[IFNAMSIZ];
	/* Set when the device is made: where input is watched, whom it goes to. */
	const struct pci_host_ops *host;
	struct virtio_net *dev;
	bool watched;
	bool watch_failed;
};

/* --- options --- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int net_mac_parse(const char *s, uint8_t mac[6])
{
	static const uint8_t zero[6];

	for (int i = 0; i < 6; i++, s += 3) {
		int hi = hexval(s[0]), lo = hi < 0 ? -1 : hexval(s[1]);

		if (hi < 0 || lo < 0 || s[2] != (i == 5 ? '\0' : ':'))
			return -EINVAL;
		mac[i] = hi << 4 | lo;
	}
	return (mac[0] & 1) || !memcmp(mac, zero, 6) ? -EDOM : 0;
}

void net_mac_derive(const char *seed, unsigned index, uint8_t mac[6])
{
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a, 64 bits */

	for (const char *p = seed ? seed : ""; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
	h = (h ^ index) * 0x100000001b3ull;
	for (int i = 0; i < 6; i++)
		mac[i] = h >> (8 * i);
	/* IEEE 802: bit 1 of the first octet = locally administered, bit 0 clear = unicast. */
	mac[0] = (mac[0] & 0xfc) | 0x02;
}

static bool ifname_ok(const char *s, size_t n)
{
	if (!n || n >= IFNAMSIZ)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || s[i] == '%' || s[i] <= ' ' || s[i] == 0x7f)
			return false;
	return !(n == 1 && s[0] == '.') && !(n == 2 && !strncmp(s, "..", 2));
}

static int opt_apply(const char *spec, const char *p, size_t n, struct net_opts *o,
		     struct err *err)
{
	char mac[18];

	if (n > 7 && !strncmp(p, "ifname=", 7)) {
		if (!ifname_ok(p + 7, n - 7))
			return err_input(err, EINVAL, "--net %s: ifname '%.*s' is not an interface "
					 "name (1 to %d characters, no '/', ':' or spaces)", spec,
					 (int)(n - 7), p + 7, IFNAMSIZ - 1);
		memcpy(o->ifname, p + 7, n - 7);
		o->ifname[n - 7] = '\0';
		return 0;
	}
	if (n >= 4 && !strncmp(p, "mac=", 4)) {
		int r = -EINVAL;

		if (n - 4 < sizeof(mac)) {
			memcpy(mac, p + 4, n - 4);
			mac[n - 4] = '\0';
			r = net_mac_parse(mac, o->mac);
		}
		if (r == -EDOM)
			return err_input(err, EINVAL, "--net %s: mac=%.*s is a multicast or zero "
					 "address; a NIC needs a unicast one (first octet even), "
					 "e.g. 52:54:00:12:34:56", spec, (int)(n - 4), p + 4);
		if (r)
			return err_input(err, EINVAL, "--net %s: mac=%.*s is not a MAC address; use "
					 "six hex pairs, e.g. mac=52:54:00:12:34:56", spec,
					 (int)(n - 4), p + 4);
		o->mac_set = true;
		return 0;
	}
	if (n == 8 && !strncmp(p, "vhost=on", 8)) {
		o->vhost = NET_VHOST_ON;
		return 0;
	}
	if (n == 9 && !strncmp(p, "vhost=off", 9)) {
		o->vhost = NET_VHOST_OFF;
		return 0;
	}
	return err_input(err, EINVAL, "--net %s: unknown option '%.*s' (known: ifname=NAME, "
			 "mac=MAC, vhost=on|off)", spec, (int)n, p);
}

struct net_opt_ctx {
	const char *spec;
	struct net_opts *o;
	struct err *err;
};

static int opt_item(void *ctx, const char *p, size_t n)
{
	struct net_opt_ctx *c = ctx;

	return opt_apply(c->spec, p, n, c->o, c->err) ? -EINVAL : 0;
}

int net_opts_parse(const char *spec, struct net_opts *o, struct err *err)
{
	size_t n = optlist_head(spec);
	struct net_opt_ctx c = { spec, o, err };

	memset(o, 0, sizeof(*o));
	if (n != 3 || strncmp(spec, "tap", 3))
		return err_input(err, EINVAL, "--net %s: unknown network back end '%.*s'; use "
				 "--net tap[,ifname=NAME][,mac=MAC][,vhost=on|off]", spec, (int)n,
				 spec);
	return optlist_each(spec, opt_item, &c);
}

/* --- the tap --- */

static int tap_open_tun(struct err *err)
{
	int fd = open(TUN_PATH, O_RDWR | O_CLOEXEC | O_NONBLOCK);

	if (fd >= 0)
		return fd;
	if (errno == ENOENT || errno == ENXIO || errno == ENODEV)
		return err_set(err, errno, "--net tap: %s does not exist (%s); load the tun module "
			       "(modprobe tun) or run vfvm where the host has it", TUN_PATH,
			       strerror(errno));
	return err_set(err, errno, "--net tap: cannot open %s: %s; run vfvm as root or give "
		       "its user access to %s", TUN_PATH, strerror(errno), TUN_PATH);
}

static int tap_setiff(int fd, const char *name, char *got, struct err *err)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	unsigned feats = 0;

	if (ioctl(fd, TUNGETFEATURES, &feats) == 0 && !(feats & IFF_VNET_HDR))
		return err_set(err, ENOTSUP, "--net tap: this kernel's tun driver has no "
			       "IFF_VNET_HDR; vfvm needs a kernel from 2.6.27 on");
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", *name ? name : "vfvm%d");
	if (ioctl(fd, TUNSETIFF, &ifr) == 0) {
		memcpy(got, ifr.ifr_name, IFNAMSIZ);
		got[IFNAMSIZ - 1] = '\0';
		return 0;
	}
	if (errno == EPERM)
		return err_set(err, EPERM, "--net tap: creating tap '%s' needs CAP_NET_ADMIN; run "
			       "vfvm as root, or create it for your user first (ip tuntap add "
			       "NAME mode tap user USER vnet_hdr) and pass ifname=NAME",
			       *name ? name : "vfvm%d");
	if (errno == EBUSY)
		return err_set(err, EBUSY, "--net tap: tap '%s' is in use by another program (or "
			       "was made without vnet_hdr); stop it or pick another ifname", name);
	if (errno == EINVAL)
		return err_set(err, EINVAL, "--net tap: '%s' exists and is not a tap (a tun "
			       "device, or another kind of interface); pick another ifname", name);
	return err_set(err, errno, "--net tap: cannot create tap '%s': %s",
		       *name ? name : "vfvm%d", strerror(errno));
}

int tap_open(const struct net_opts *o, struct tap **out, struct err *err)
{
	struct tap *t = calloc(1, sizeof(*t));
	int hdr = VNET_HDR_LEN, r;

	if (!t)
		return err_set(err, ENOMEM, "--net tap: out of memory");
	t->fd = tap_open_tun(err);
	if (t->fd < 0) {
		r = t->fd;
		goto fail_free;
	}
	if ((r = tap_setiff(t->fd, o->ifname, t->ifname, err)))
		goto fail_close;
	/* The header is 12 bytes with VERSION_1 (§5.1.6); the tap's default is 10. */
	if (ioctl(t->fd, TUNSETVNETHDRSZ, &hdr) || ioctl(t->fd, TUNSETOFFLOAD, 0)) {
		r = err_set(err, errno, "--net tap: tap '%s' refuses the virtio-net header "
			    "settings: %s", t->ifname, strerror(errno));
		goto fail_close;
	}
	*out = t;
	return 0;
fail_close:
	close(t->fd);
fail_free:
	free(t);
	return r;
}

const char *tap_ifname(const struct tap *t)
{
	return t->ifname;
}

int tap_fd(const struct tap *t)
{
	return t->fd;
}

void tap_close(struct tap *t)
{
	if (!t)
		return;
	if (t->watched && t->host && t->host->unwatch_fd)
		t->host->unwatch_fd(t->host->opaque, t->fd);
	/* Not persistent: the kernel removes a tap vfvm created with its last fd. */
	close(t->fd);
	free(t);
}

/* --- the packet back end --- */

static ssize_t tap_recv(void *be, void *buf, size_t len)
{
	struct tap *t = be;
	ssize_t n;

	do
		n = read(t->fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static ssize_t tap_send(void *be, const struct iovec *iov, int iovcnt)
{
	struct tap *t = be;
	ssize_t n;

	do
		n = writev(t->fd, iov, iovcnt);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/* What the guest takes on receive becomes what the tap may hand us (TUNSETOFFLOAD). */
static int tap_offload(void *be, uint64_t f)
{
	struct tap *t = be;
	unsigned off = 0;

	if (f >> VIRTIO_NET_F_GUEST_CSUM & 1) {
		off |= TUN_F_CSUM;
		if (f >> VIRTIO_NET_F_GUEST_TSO4 & 1)
			off |= TUN_F_TSO4;
		if (f >> VIRTIO_NET_F_GUEST_TSO6 & 1)
			off |= TUN_F_TSO6;
	}
	return ioctl(t->fd, TUNSETOFFLOAD, off) ? -errno : 0;
}

static void tap_input(void *arg, uint64_t count)
{
	struct tap *t = arg;

	(void)count;
	vnet_rx(t->dev);
}

static void tap_rx_wait(void *be, bool on)
{
	struct tap *t = be;
	int r;

	if (!t->host || on == t->watched)
		return;
	if (!on) {
		/* At tear-down the device thread is gone and its ops with it (pci_teardown). */
		if (t->host->unwatch_fd)
			t->host->unwatch_fd(t->host->opaque, t->fd);
		t->watched = false;
		return;
	}
	r = t->host->watch_input ? t->host->watch_input(t->host->opaque, t->fd, tap_input, t)
				 : -ENOSYS;
	t->watched = r == 0;
	if (r && !t->watch_failed) {
		t->watch_failed = true;
		fprintf(stderr, "vfvm: virtio-net %s: cannot watch the tap for input: %s; the "
			"guest receives nothing\n", t->ifname, strerror(-r));
	}
}

static void tap_be_destroy(void *be)
{
	tap_close(be);
}

static int tap_be_fd(void *be)
{
	return tap_fd(be);
}

static const struct vnet_backend_ops tap_be_ops = {
	.recv = tap_recv,
	.send = tap_send,
	.set_offload = tap_offload,
	.rx_wait = tap_rx_wait,
	.fd = tap_be_fd,
	.destroy = tap_be_destroy,
};

int tap_net_create(struct tap *t, struct pci_bus *b, const struct guest_mem *mem,
		   const uint8_t mac[6], struct vhost_net *vh, struct virtio_net **out)
{
	int r;

	t->host = &b->ops;
	r = virtio_net_create(b, mem, mac, &tap_be_ops, t, vh, out);
	if (r)
		return r;
	t->dev = *out;
	snprintf(vnet_transport(*out)->d->name, sizeof(vnet_transport(*out)->d->name),
		 "virtio-net %s", t->ifname);
	return 0;
}

/* --- vhost-net --- */

static int vhost_refused(const char *spec, const char *path, int e, struct err *err)
{
	if (e == -ENOENT || e == -ENXIO || e == -ENODEV)
		return err_set(err, -e, "--net %s: %s does not exist (%s); load the vhost_net "
			       "module (modprobe vhost_net), or use vhost=off", spec, path,
			       strerror(-e));
	if (e == -EACCES || e == -EPERM)
		return err_set(err, -e, "--net %s: cannot open %s: %s; run vfvm as root or give "
			       "its user access to %s, or use vhost=off", spec, path, strerror(-e),
			       path);
	if (e == -EPROTO)
		return err_set(err, EPROTO, "--net %s: %s does not offer VIRTIO_F_VERSION_1 (a "
			       "kernel older than 4.0); use vhost=off", spec, path);
	return err_set(err, -e, "--net %s: %s refused to be set up: %s; use vhost=off", spec, path,
		       strerror(-e));
}

int net_vhost_open(const struct net_opts *o, const char *spec, const char *path,
		   struct vhost_net **out, struct err *err)
{
	struct vhost_net *h;
	int e;

	*out = NULL;
	if (o->vhost == NET_VHOST_OFF)
		return 0;
	h = calloc(1, sizeof(*h));
	if (!h)
		return err_set(err, ENOMEM, "--net %s: out of memory", spec);
	e = vhost_net_open(h, path);
	/* The virtio 1.x header and ring layout are all vfvm speaks (§5.1.6). */
	if (e == 0 && !(h->features >> 32 & 1)) {
		vhost_net_close(h);
		e = -EPROTO;
	}
	if (e == 0) {
		*out = h;
		return 0;
	}
	free(h);
	if (o->vhost == NET_VHOST_ON)
		return vhost_refused(spec, path, e, err);
	fprintf(stderr, "vfvm: --net %s: %s unavailable (%s); using the user-space data path "
		"(modprobe vhost_net for the kernel's)\n", spec, path, strerror(-e));
	return 0;
}
