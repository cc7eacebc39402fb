/* net.c - virtio-net (virtio 1.2 §5.1): configuration, features, the receive queue with and
 * without mergeable buffers, the transmit queue and the control queue, over a packet back end;
 * or, with vhost-net, the receive and transmit queues handed to the kernel at DRIVER_OK. */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "virtio/net.h"
#include "virtio/vhost.h"
#include "virtio/virtio_pci.h"

#define VNET_MAX_SEGS	256
#define VNET_RX_BUF	(VNET_HDR_LEN + VNET_MAX_FRAME)
#define VNET_RX_BUDGET	256		/* frames per vnet_rx call: the VM lock is held */
#define VNET_CTRL_MAX	(2 + 2 * (4 + 6 * 256))	/* class, command, two full MAC tables */

#define F(bit)		(1ull << VIRTIO_NET_F_##bit)
#define VNET_FEATURES	(F(CSUM) | F(GUEST_CSUM) | F(MAC) | F(GUEST_TSO4) | F(GUEST_TSO6) | \
			 F(HOST_TSO4) | F(HOST_TSO6) | F(MRG_RXBUF) | F(STATUS) | F(CTRL_VQ) | \
			 F(CTRL_RX) | F(CTRL_MAC_ADDR))

struct vnet_mac_table {
	unsigned n;
	bool overflow;			/* more than VNET_MAC_TABLE_MAX: accept the whole kind */
	uint8_t mac[VNET_MAC_TABLE_MAX][6];
};

struct virtio_net {
	struct virtio_pci *v;
	struct virtio_dev_ops ops;	/* vnet_ops, with what vhost-net lacks taken out */
	/* vhost-net: the kernel's data path for receiveq1/transmitq1 (NULL: user space). */
	struct vhost_net *vh;
	bool vh_running;
	bool vh_broken;			/* refused once: user space for the rest of the run */
	int vcall[VHOST_NET_QUEUES];	/* the kernel's call eventfds, the queues' interrupts */
	struct vnet_verr {		/* the kernel's error eventfds, watched */
		struct virtio_net *n;
		unsigned q;
		int fd;
		bool watched;
	} verr[VHOST_NET_QUEUES];
	uint64_t vh_starts;
	const struct vnet_backend_ops *be_ops;
	void *be;
	uint8_t mac[6];
	/* Receive filter (§5.1.6.5.1, §5.1.6.5.2); everything passes until the driver says. */
	bool promisc, allmulti;
	struct vnet_mac_table uc, mc;
	/* A frame read from the back end that found no room yet: kept, not lost. */
	uint8_t *rxbuf;
	uint32_t rx_pending;
	bool rx_waiting;		/* the back end's input is being watched */
	uint16_t rx_tried;		/* chains the pending frame was found too big for */
	bool print_stats;
	struct vq_seg segs[VNET_MAX_SEGS];
	struct vq_seg first_segs[VNET_MAX_SEGS];
	struct { uint16_t head; uint32_t len; } used[VNET_QUEUE_SIZE];
	uint8_t ctrl_buf[VNET_CTRL_MAX];
	struct vnet_stats st;
};

static uint16_t le16(uint16_t v)
{
	return le16toh(v);
}

/* --- headers --- */

/* gso_type's base type needs the feature @tso4/@tso6 (ECN and UDP are never offered). */
static int hdr_gso_check(const struct vnet_hdr *h, uint64_t f, unsigned tso4, unsigned tso6)
{
	switch (h->gso_type) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return 0;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		return f >> tso4 & 1 ? 0 : -EINVAL;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		return f >> tso6 & 1 ? 0 : -EINVAL;
	default:
		return -EINVAL;		/* UDP, ECN, unknown */
	}
}

int vnet_hdr_check_tx(const struct vnet_hdr *h, uint64_t f, uint32_t frame_len)
{
	/* §5.1.6.2.1: NEEDS_CSUM only with VIRTIO_NET_F_CSUM, the checksum inside the frame. */
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (!(f & F(CSUM)))
			return -EINVAL;
		if ((uint32_t)le16(h->csum_start) + le16(h->csum_offset) + 2 > frame_len)
			return -EINVAL;
	}
	/* GSO needs the HOST_TSO feature and a partial checksum to finish (§5.1.6.2.1). */
	if (h->gso_type != VIRTIO_NET_HDR_GSO_NONE &&
	    (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || !le16(h->gso_size)))
		return -EINVAL;
	return hdr_gso_check(h, f, VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_HOST_TSO6);
}

int vnet_hdr_fix_rx(struct vnet_hdr *h, uint64_t f)
{
	/* §5.1.6.4.1: without GUEST_CSUM flags are 0; a partial checksum cannot be handed on. */
	if (!(f & F(GUEST_CSUM))) {
		if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
			return -EINVAL;
		h->flags = 0;
	}
	h->flags &= VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID;
	return hdr_gso_check(h, f, VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_TSO6);
}

/* --- receive filter --- */

static bool table_has(const struct vnet_mac_table *t, const uint8_t *mac)
{
	if (t->overflow)
		return true;
	for (unsigned i = 0; i < t->n; i++)
		if (!memcmp(t->mac[i], mac, 6))
			return true;
	return false;
}

static bool rx_accept(const struct virtio_net *n, const uint8_t *dst)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	if (n->promisc || !memcmp(dst, bcast, 6))
		return true;
	if (dst[0] & 1)
		return n->allmulti || table_has(&n->mc, dst);
	return !memcmp(dst, n->mac, 6) || table_has(&n->uc, dst);
}

/* --- receive (§5.1.6.3, §5.1.6.4) --- */

static void rx_fault(struct virtio_net *n, const char *why)
{
	n->v->q[VNET_RXQ].vq.fault = why;
	virtio_queue_fault(n->v, VNET_RXQ);
}

/* The pending frame into one chain (no MRG_RXBUF): 1 delivered, 0 dropped, -EAGAIN none. */
static int rx_single(struct virtio_net *n, struct virtqueue *vq)
{
	struct vq_chain c = { .seg = n->segs, .max_seg = VNET_MAX_SEGS };
	int r = vq_pop(vq, &c);

	if (r < 0) {
		virtio_queue_fault(n->v, VNET_RXQ);
		return r;
	}
	if (!r) {
		n->rx_tried = 0;
		return -EAGAIN;
	}
	if (c.in_len < n->rx_pending) {
		/* §5.1.6.3.1 says how big buffers must be; one that is not keeps its buffer. */
		vq_rewind(vq, 1);
		n->st.rx_dropped++;
		return 0;
	}
	vq_chain_write(&c, 0, n->rxbuf, n->rx_pending);
	vq_push(vq, c.head, n->rx_pending);
	return 1;
}

/* The pending frame over as many chains as it takes (§5.1.6.4: num_buffers). */
static int rx_merge(struct virtio_net *n, struct virtqueue *vq)
{
	struct vq_chain first = { .seg = n->first_segs, .max_seg = VNET_MAX_SEGS };
	struct vq_chain c = { .seg = n->segs, .max_seg = VNET_MAX_SEGS };
	uint32_t off = 0;
	uint16_t nb = 0, le;

	while (off < n->rx_pending) {
		struct vq_chain *cur = nb ? &c : &first;
		int r;
		uint32_t len;

		if (nb == vq->size || nb == VNET_QUEUE_SIZE) {
			vq_rewind(vq, nb);	/* the whole queue cannot hold it: dropped */
			return 0;
		}
		r = vq_pop(vq, cur);
		if (r < 0) {
			virtio_queue_fault(n->v, VNET_RXQ);
			return r;
		}
		if (!r) {
			vq_rewind(vq, nb);
			n->rx_tried = nb;
			return -EAGAIN;
		}
		/* §5.1.6.3.1: every mergeable buffer holds at least the header. */
		if (cur->in_len < VNET_HDR_LEN || cur->nout) {
			rx_fault(n, "a receive buffer is smaller than the 12-byte header or "
				 "device-readable");
			return -EPROTO;
		}
		len = vq_chain_write(cur, 0, n->rxbuf + off, n->rx_pending - off);
		n->used[nb].head = cur->head;
		n->used[nb++].len = len;
		off += len;
	}
	le = htole16(nb);
	vq_chain_write(&first, offsetof(struct vnet_hdr, num_buffers), &le, 2);
	for (unsigned i = 0; i < nb; i++)
		vq_push(vq, n->used[i].head, n->used[i].len);
	return 1;
}

/* The pending frame to the guest: 1 delivered, 0 dropped, -EAGAIN no room, -EPROTO. */
static int rx_deliver(struct virtio_net *n)
{
	struct virtqueue *vq = &n->v->q[VNET_RXQ].vq;
	struct vnet_hdr *h = (struct vnet_hdr *)n->rxbuf;
	uint64_t f = n->v->guest_features;

	/* A runt, or offloads the guest did not take (the back end was told, §5.1.6.4.1). */
	if (n->rx_pending < VNET_HDR_LEN + 14 || vnet_hdr_fix_rx(h, f)) {
		n->st.rx_dropped++;
		return 0;
	}
	if (!rx_accept(n, n->rxbuf + VNET_HDR_LEN)) {
		n->st.rx_filtered++;
		return 0;
	}
	h->num_buffers = htole16(1);
	if (f & F(MRG_RXBUF))
		return rx_merge(n, vq);
	return rx_single(n, vq);
}

static bool rx_ready(struct virtio_net *n)
{
	struct virtio_pci *v = n->v;

	return (v->status & VIRTIO_S_DRIVER_OK) && !(v->status & VIRTIO_S_NEEDS_RESET) &&
	       v->q[VNET_RXQ].enabled;
}

static void rx_wait(struct virtio_net *n, bool on)
{
	if (n->rx_waiting == on)
		return;
	n->rx_waiting = on;
	if (n->be_ops->rx_wait)
		n->be_ops->rx_wait(n->be, on);
}

/* No room (the rx_tried chains available are too few): stop watching the back end until the
 * driver adds buffers, asking it to say so (EVENT_IDX, §2.7.10); true if some came already. */
static bool rx_stall(struct virtio_net *n)
{
	struct virtqueue *vq = &n->v->q[VNET_RXQ].vq;

	vq_want_notify_ahead(vq, n->rx_tried);
	if (vq_avail_count(vq) > n->rx_tried)
		return true;
	rx_wait(n, false);
	return false;
}

void vnet_rx(struct virtio_net *n)
{
	bool pushed = false;

	if (!rx_ready(n) || n->vh_running) {
		rx_wait(n, false);
		return;
	}
	rx_wait(n, true);
	for (unsigned budget = VNET_RX_BUDGET; budget; budget--) {
		int r;

		/* No buffer, no read: a frame read now could only wait. */
		if (!n->rx_pending && !vq_has_avail(&n->v->q[VNET_RXQ].vq)) {
			n->rx_tried = 0;
			if (rx_stall(n))
				continue;
			break;
		}
		if (!n->rx_pending) {
			ssize_t got = n->be_ops->recv(n->be, n->rxbuf, VNET_RX_BUF);

			if (got <= 0)
				break;		/* -EAGAIN: nothing more; errors: the back end says */
			n->rx_pending = got;
		}
		r = rx_deliver(n);
		if (r == -EAGAIN) {
			if (rx_stall(n))
				continue;
			break;
		}
		if (r < 0) {
			rx_wait(n, false);	/* the queue stopped until a reset */
			break;
		}
		if (r) {
			n->st.rx_packets++;
			n->st.rx_bytes += n->rx_pending - VNET_HDR_LEN;
			pushed = true;
		}
		n->rx_pending = 0;
	}
	if (pushed)
		virtio_queue_interrupt(n->v, VNET_RXQ);
}

/* --- transmit (§5.1.6.2) --- */

/* The chain's readable bytes from @off as an iovec after iov[0]; the entry count. */
static int chain_iov(const struct vq_chain *c, uint32_t off, struct iovec *iov, int max)
{
	int k = 1;

	for (unsigned i = 0; i < c->nout && k < max; i++) {
		if (off >= c->seg[i].len) {
			off -= c->seg[i].len;
			continue;
		}
		iov[k].iov_base = (uint8_t *)c->seg[i].hva + off;
		iov[k++].iov_len = c->seg[i].len - off;
		off = 0;
	}
	return k;
}

/* One chain: its header copied (the guest may change it after the check) and checked. */
static void tx_one(struct virtio_net *n, const struct vq_chain *c)
{
	struct iovec iov[VNET_MAX_SEGS + 1];
	struct vnet_hdr h;
	uint32_t frame = c->out_len - VNET_HDR_LEN;
	int k;

	if (c->out_len < VNET_HDR_LEN + 14 || frame > VNET_MAX_FRAME || c->nseg > c->nout ||
	    vq_chain_read(c, 0, &h, VNET_HDR_LEN) != VNET_HDR_LEN ||
	    vnet_hdr_check_tx(&h, n->v->guest_features, frame)) {
		n->st.tx_dropped++;
		return;
	}
	h.flags &= VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h.num_buffers = 0;
	iov[0] = (struct iovec){ .iov_base = &h, .iov_len = VNET_HDR_LEN };
	k = chain_iov(c, VNET_HDR_LEN, iov, VNET_MAX_SEGS + 1);
	if (n->be_ops->send(n->be, iov, k) < 0) {
		n->st.tx_dropped++;
		return;
	}
	n->st.tx_packets++;
	n->st.tx_bytes += frame;
}

/* A transmitted chain is used with nothing written into it (§5.1.6.2). */
static int64_t tx_serve(void *arg, struct vq_chain *c)
{
	tx_one(arg, c);
	return 0;
}

static void tx_notify(struct virtio_net *n)
{
	struct vq_chain c = { .seg = n->segs, .max_seg = VNET_MAX_SEGS };

	virtio_queue_serve(n->v, VNET_TXQ, &c, tx_serve, n);
}

/* --- control queue (§5.1.6.5) --- */

/* struct virtio_net_ctrl_mac: le32 entries, then entries MACs; the bytes taken, or -EINVAL. */
static int ctrl_mac_table(const uint8_t *p, uint32_t len, struct vnet_mac_table *t)
{
	uint32_t e;

	if (len < 4)
		return -EINVAL;
	memcpy(&e, p, 4);
	e = le32toh(e);
	if (e > (len - 4) / 6)
		return -EINVAL;
	t->n = e > VNET_MAC_TABLE_MAX ? 0 : e;
	t->overflow = e > VNET_MAC_TABLE_MAX;
	if (!t->overflow)
		memcpy(t->mac, p + 4, 6 * e);
	return 4 + 6 * e;
}

static uint8_t ctrl_mac(struct virtio_net *n, uint8_t cmd, const uint8_t *p, uint32_t len)
{
	struct vnet_mac_table uc, mc;
	int a, b;

	if (cmd == VIRTIO_NET_CTRL_MAC_ADDR_SET) {
		if (!virtio_has(n->v, VIRTIO_NET_F_CTRL_MAC_ADDR) || len != 6)
			return VIRTIO_NET_ERR;
		memcpy(n->mac, p, 6);
		return VIRTIO_NET_OK;
	}
	if (cmd != VIRTIO_NET_CTRL_MAC_TABLE_SET || !virtio_has(n->v, VIRTIO_NET_F_CTRL_RX))
		return VIRTIO_NET_ERR;
	/* Two tables back to back, unicast then multicast, nothing after (§5.1.6.5.2). */
	if ((a = ctrl_mac_table(p, len, &uc)) < 0 ||
	    (b = ctrl_mac_table(p + a, len - a, &mc)) < 0 || (uint32_t)(a + b) != len)
		return VIRTIO_NET_ERR;
	n->uc = uc;
	n->mc = mc;
	return VIRTIO_NET_OK;
}

static uint8_t ctrl_rx(struct virtio_net *n, uint8_t cmd, const uint8_t *p, uint32_t len)
{
	if (!virtio_has(n->v, VIRTIO_NET_F_CTRL_RX) || len != 1)
		return VIRTIO_NET_ERR;
	if (cmd == VIRTIO_NET_CTRL_RX_PROMISC)
		n->promisc = p[0];
	else if (cmd == VIRTIO_NET_CTRL_RX_ALLMULTI)
		n->allmulti = p[0];
	else
		return VIRTIO_NET_ERR;	/* ALLUNI, NOMULTI...: VIRTIO_NET_F_CTRL_RX_EXTRA */
	return VIRTIO_NET_OK;
}

static uint8_t ctrl_cmd(struct virtio_net *n, const struct vq_chain *c)
{
	uint8_t *buf = n->ctrl_buf;
	uint32_t len = c->out_len;

	if (len < 2 || len > sizeof(n->ctrl_buf))
		return VIRTIO_NET_ERR;
	vq_chain_read(c, 0, buf, len);
	switch (buf[0]) {
	case VIRTIO_NET_CTRL_RX:
		return ctrl_rx(n, buf[1], buf + 2, len - 2);
	case VIRTIO_NET_CTRL_MAC:
		return ctrl_mac(n, buf[1], buf + 2, len - 2);
	default:
		return VIRTIO_NET_ERR;
	}
}

static int64_t ctrl_serve(void *arg, struct vq_chain *c)
{
	struct virtio_net *n = arg;
	uint8_t ack;

	/* §5.1.6.5: the ack is the last device-writable byte; none: a broken chain. */
	if (!c->in_len) {
		n->v->q[VNET_CTRLQ].vq.fault = "a control command has no device-writable ack byte";
		return -EPROTO;
	}
	ack = ctrl_cmd(n, c);
	vq_chain_write(c, c->in_len - 1, &ack, 1);
	if (ack == VIRTIO_NET_OK)
		n->st.ctrl_ok++;
	else
		n->st.ctrl_err++;
	return 1;
}

/* EVENT_IDX matters here: Linux kicks the next command only if avail_event asks (§2.7.10). */
static void ctrl_notify(struct virtio_net *n)
{
	struct vq_chain c = { .seg = n->segs, .max_seg = VNET_MAX_SEGS };

	virtio_queue_serve(n->v, VNET_CTRLQ, &c, ctrl_serve, n);
}

/* --- vhost-net: the kernel's data path (drivers/vhost/net.c) --- */

bool vnet_vhost_running(const struct virtio_net *n)
{
	return n->vh_running;
}

/* The rings back from the kernel: the tap detached, GET_VRING_BASE, the queues vfvm's again. */
static void vnet_vhost_stop(struct virtio_net *n)
{
	uint64_t c;
	int r;

	if (!n->vh_running)
		return;
	n->vh_running = false;
	r = vhost_net_stop(n->vh);
	if (r < 0)
		fprintf(stderr, "vfvm: %s: vhost-net did not give the rings back cleanly: %s\n",
			n->v->d->name, strerror(-r));
	for (unsigned q = 0; q < VHOST_NET_QUEUES; q++) {
		virtio_queue_take_back(n->v, q);
		/* A call the kernel made after the last interrupt went out is stale now. */
		while (read(n->vcall[q], &c, sizeof(c)) == sizeof(c))
			;
	}
}

/* DRIVER_OK (§3.1.1): the enabled receive and transmit queues to the kernel; the tap is
 * vhost-net's back end from now on. A refusal is one line and the user-space path. */
static void vnet_driver_ok(struct virtio_pci *v)
{
	struct virtio_net *n = v->priv;
	struct vhost_vring r[VHOST_NET_QUEUES];
	const char *step = "the tap";
	unsigned k = 0;
	int e = -EBADF, fd;

	if (!n->vh || n->vh_broken || n->vh_running)
		return;
	fd = n->be_ops->fd ? n->be_ops->fd(n->be) : -1;
	if (fd < 0)
		goto fail;
	for (unsigned q = VNET_RXQ; q <= VNET_TXQ; q++) {
		struct virtqueue *vq = &v->q[q].vq;
		int kick;

		if (!v->q[q].enabled)
			continue;
		kick = virtio_queue_hand_over(v, q, n->vcall[q]);
		if (kick < 0) {
			e = kick;
			step = "the queue's doorbell";
			goto fail;
		}
		r[k++] = (struct vhost_vring){
			.index = q, .num = vq->size, .base = vq->last_avail,
			.desc = (uint64_t)(uintptr_t)vq->desc, .avail = (uint64_t)(uintptr_t)vq->avail,
			.used = (uint64_t)(uintptr_t)vq->used, .kick = kick, .call = n->vcall[q],
			.err = n->verr[q].fd,
		};
	}
	rx_wait(n, false);		/* the tap is the kernel's to read now */
	e = vhost_net_start(n->vh, v->guest_features, v->mem, r, k, fd, &step);
	if (e < 0)
		goto fail;
	n->vh_running = true;
	n->vh_starts++;
	return;
fail:
	for (unsigned q = 0; q < VHOST_NET_QUEUES; q++)
		virtio_queue_take_back(v, q);
	n->vh_broken = true;
	fprintf(stderr, "vfvm: %s: vhost-net refused the rings at %s: %s; the device uses the "
		"user-space data path from now on\n", v->d->name, step ? step : "?", strerror(-e));
}

/* The kernel found the guest's ring unusable (vhost.c vq_err: a bad index, descriptor or
 * address): as a fault of vfvm's own virtqueue code, DEVICE_NEEDS_RESET (§2.1.2). */
static void vnet_vhost_err(void *arg, uint64_t count)
{
	struct vnet_verr *e = arg;
	struct virtio_net *n = e->n;
	unsigned q = e->q;

	(void)count;
	if (!n->vh_running)
		return;
	n->v->q[q].vq.fault = "vhost-net could not use the ring (a bad index, descriptor or "
			      "buffer address)";
	virtio_queue_fault(n->v, q);
}

/* The eventfds the kernel signals; the error ones watched by the device thread. */
static int vnet_vhost_fds(struct virtio_net *n, struct pci_bus *b)
{
	for (unsigned q = 0; q < VHOST_NET_QUEUES; q++) {
		struct vnet_verr *e = &n->verr[q];

		n->vcall[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		e->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (n->vcall[q] < 0 || e->fd < 0)
			return -errno;
		e->n = n;
		e->q = q;
		if (b->ops.watch_fd && b->ops.watch_fd(b->ops.opaque, e->fd, vnet_vhost_err, e) == 0)
			e->watched = true;
	}
	return 0;
}

static void vnet_vhost_free(struct virtio_net *n, struct pci_bus *b)
{
	for (unsigned q = 0; q < VHOST_NET_QUEUES; q++) {
		struct vnet_verr *e = &n->verr[q];

		if (e->watched && b && b->ops.unwatch_fd)
			b->ops.unwatch_fd(b->ops.opaque, e->fd);
		e->watched = false;
		if (n->vcall[q] >= 0)
			close(n->vcall[q]);
		if (e->fd >= 0)
			close(e->fd);
		n->vcall[q] = e->fd = -1;
	}
	if (n->vh) {
		vhost_net_close(n->vh);
		free(n->vh);
		n->vh = NULL;
	}
}

/* --- the transport's callbacks --- */

static void vnet_notify(struct virtio_pci *v, unsigned q)
{
	struct virtio_net *n = v->priv;

	if (n->vh_running && q != VNET_CTRLQ)
		return;		/* the kernel's (the transport does not call for them anyway) */
	switch (q) {
	case VNET_RXQ:
		/* New receive buffers: a kept frame goes first, and the back end is watched
		 * again (vnet_rx turns the watch off only while there is no room). */
		vnet_rx(n);
		break;
	case VNET_TXQ:
		tx_notify(n);
		break;
	case VNET_CTRLQ:
		if (virtio_has(v, VIRTIO_NET_F_CTRL_VQ))
			ctrl_notify(n);
		break;
	}
}

static void vnet_cfg_read(struct virtio_pci *v, unsigned off, void *data, unsigned len)
{
	struct virtio_net *n = v->priv;
	uint8_t cfg[VNET_CFG_LEN];
	uint16_t s = htole16(VIRTIO_NET_S_LINK_UP), pairs = htole16(1);

	memcpy(cfg + VNET_CFG_MAC, n->mac, 6);
	memcpy(cfg + VNET_CFG_STATUS, &s, 2);
	memcpy(cfg + VNET_CFG_MAX_PAIRS, &pairs, 2);
	memcpy(data, cfg + off, len);
}

/* §5.1.3.1: the dependencies between feature bits; then the back end learns the offloads. */
static bool vnet_features_ok(struct virtio_pci *v)
{
	struct virtio_net *n = v->priv;
	uint64_t f = v->guest_features;

	if ((f & (F(GUEST_TSO4) | F(GUEST_TSO6))) && !(f & F(GUEST_CSUM)))
		return false;
	if ((f & (F(HOST_TSO4) | F(HOST_TSO6))) && !(f & F(CSUM)))
		return false;
	if ((f & (F(CTRL_RX) | F(CTRL_MAC_ADDR))) && !(f & F(CTRL_VQ)))
		return false;
	if (n->be_ops->set_offload && n->be_ops->set_offload(n->be, f))
		return false;
	return true;
}

static void vnet_reset(struct virtio_pci *v)
{
	struct virtio_net *n = v->priv;

	if (!n)
		return;
	vnet_vhost_stop(n);		/* §2.4: the kernel lets go of the rings first */
	rx_wait(n, false);
	n->rx_pending = 0;
	n->promisc = true;
	n->allmulti = false;
	n->uc.n = n->mc.n = 0;
	n->uc.overflow = n->mc.overflow = false;
}

static void vnet_free(struct virtio_net *n, struct pci_bus *b)
{
	vnet_vhost_free(n, b);
	if (n->be_ops->destroy)
		n->be_ops->destroy(n->be);
	free(n->rxbuf);
	free(n);
}

static void vnet_destroy(struct virtio_pci *v)
{
	struct virtio_net *n = v->priv;
	const struct vnet_stats *s = &n->st;

	if (n->print_stats)
		fprintf(stderr, "vfvm: %s: rx %llu frames %llu bytes (dropped %llu, filtered %llu), "
			"tx %llu frames %llu bytes (dropped %llu), control ok %llu err %llu\n",
			v->d->name, (unsigned long long)s->rx_packets,
			(unsigned long long)s->rx_bytes, (unsigned long long)s->rx_dropped,
			(unsigned long long)s->rx_filtered, (unsigned long long)s->tx_packets,
			(unsigned long long)s->tx_bytes, (unsigned long long)s->tx_dropped,
			(unsigned long long)s->ctrl_ok, (unsigned long long)s->ctrl_err);
	/* What passed through vfvm's threads for the kernel's rings: 0 is the goal. */
	if (n->print_stats && n->vh)
		fprintf(stderr, "vfvm: %s: vhost-net started %llu times%s; kicks relayed by vfvm "
			"rx %llu tx %llu, interrupts relayed by vfvm rx %llu tx %llu\n",
			v->d->name, (unsigned long long)n->vh_starts,
			n->vh_broken ? " (refused: user-space data path)" : "",
			(unsigned long long)v->q[VNET_RXQ].kicks_relayed,
			(unsigned long long)v->q[VNET_TXQ].kicks_relayed,
			(unsigned long long)v->q[VNET_RXQ].calls_relayed,
			(unsigned long long)v->q[VNET_TXQ].calls_relayed);
	vnet_vhost_stop(n);
	rx_wait(n, false);
	vnet_free(n, v->d->bus);
}

static const struct virtio_dev_ops vnet_ops_template = {
	.device_id = 1,
	.pci_class = 0x02000000,	/* Ethernet controller */
	.features = VNET_FEATURES,
	.nqueues = 3,			/* receiveq1, transmitq1, controlq (§5.1.2) */
	.queue_max = VNET_QUEUE_SIZE,
	.cfg_len = VNET_CFG_LEN,
	.cfg_read = vnet_cfg_read,
	.features_ok = vnet_features_ok,
	.driver_ok = vnet_driver_ok,
	.queue_notify = vnet_notify,
	.reset = vnet_reset,
	.destroy = vnet_destroy,
};

/* With vhost-net, offer only the ring features the kernel implements (VHOST_GET_FEATURES):
 * MRG_RXBUF, EVENT_IDX and INDIRECT_DESC are decided by who owns the rings. The offloads stay:
 * the tap does them for vhost-net too (TUNSETOFFLOAD at FEATURES_OK). */
static void vnet_vhost_features(struct virtio_net *n)
{
	uint64_t hf = n->vh->features;

	if (!(hf & F(MRG_RXBUF)))
		n->ops.features &= ~F(MRG_RXBUF);
	n->ops.transport_off = (1ull << VIRTIO_F_EVENT_IDX | 1ull << VIRTIO_F_INDIRECT_DESC) & ~hf;
}

int virtio_net_create(struct pci_bus *b, const struct guest_mem *mem, const uint8_t mac[6],
		      const struct vnet_backend_ops *ops, void *be, struct vhost_net *vh,
		      struct virtio_net **out)
{
	struct virtio_net *n = calloc(1, sizeof(*n));
	int r;

	if (!n) {
		if (ops->destroy)
			ops->destroy(be);
		if (vh) {
			vhost_net_close(vh);
			free(vh);
		}
		return -ENOMEM;
	}
	n->be_ops = ops;
	n->be = be;
	n->vh = vh;
	n->ops = vnet_ops_template;
	for (unsigned q = 0; q < VHOST_NET_QUEUES; q++)
		n->vcall[q] = n->verr[q].fd = -1;
	memcpy(n->mac, mac, 6);
	n->promisc = true;
	n->rxbuf = malloc(VNET_RX_BUF);
	if (!n->rxbuf) {
		vnet_free(n, NULL);
		return -ENOMEM;
	}
	if (vh) {
		vnet_vhost_features(n);
		if ((r = vnet_vhost_fds(n, b)) < 0) {
			vnet_free(n, b);
			return r;
		}
	}
	r = virtio_pci_create(b, &n->ops, n, mem, &n->v);
	if (r) {
		vnet_free(n, b);
		return r;
	}
	strcpy(n->v->d->name, "virtio-net");
	*out = n;
	return 0;
}

const struct vnet_stats *vnet_stats(const struct virtio_net *n)
{
	return &n->st;
}

void vnet_print_stats_at_exit(struct virtio_net *n, bool on)
{
	n->print_stats = on;
}

struct virtio_pci *vnet_transport(struct virtio_net *n)
{
	return n->v;
}
