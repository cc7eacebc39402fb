/* virtio_pci.c - the virtio-pci modern transport (virtio 1.2 §4.1): capabilities, the common
 * configuration registers, feature negotiation, device status and reset, notifications by
 * doorbell (ioeventfd where the host has it), interrupts by MSI-X vector or INTx with the ISR. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "virtio/virtio_pci.h"

/* Capability cfg_type values (§4.1.4). */
#define CAP_COMMON	1
#define CAP_NOTIFY	2
#define CAP_ISR		3
#define CAP_DEVICE	4
#define CAP_PCI_CFG	5

/* Transport features vfvm offers with every device. */
#define TRANSPORT_FEATURES (1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_F_EVENT_IDX | \
			    1ull << VIRTIO_F_INDIRECT_DESC)

static uint64_t dev_features(const struct virtio_pci *v)
{
	if (v->ops->external)
		return v->ops->features | 1ull << VIRTIO_F_VERSION_1;
	return v->ops->features | (TRANSPORT_FEATURES & ~v->ops->transport_off);
}

static unsigned nvectors(const struct virtio_pci *v)
{
	return v->ops->nqueues + 1;	/* one per queue and one for configuration changes */
}

static void intx_update(struct virtio_pci *v)
{
	pci_intx_set(v->d, v->isr != 0);
}

/* Vector @vec, or INTx with ISR bit @isr_bit when MSI-X is off (§4.1.5.1.2, §4.1.4.5). */
static void raise(struct virtio_pci *v, uint16_t vec, uint8_t isr_bit)
{
	int r = pci_msi_notify(v->d, vec);

	if (r != -ENODEV)
		return;		/* MSI-X on: sent, pending on a mask, or NO_VECTOR dropped */
	v->isr |= isr_bit;
	intx_update(v);
}

void virtio_queue_interrupt(struct virtio_pci *v, unsigned q)
{
	if (q >= v->ops->nqueues || !vq_should_notify(&v->q[q].vq))
		return;
	if (v->q[q].vector == VIRTIO_NO_VECTOR && pci_msi_enabled(v->d))
		return;
	raise(v, v->q[q].vector, 1);
}

void virtio_queue_raise(struct virtio_pci *v, unsigned q)
{
	if (q >= v->ops->nqueues)
		return;
	if (v->q[q].vector == VIRTIO_NO_VECTOR && pci_msi_enabled(v->d))
		return;
	raise(v, v->q[q].vector, 1);
}

void virtio_config_changed(struct virtio_pci *v)
{
	v->config_generation++;
	if (v->config_vector == VIRTIO_NO_VECTOR && pci_msi_enabled(v->d))
		return;
	raise(v, v->config_vector, 2);
}

void virtio_queue_fault(struct virtio_pci *v, unsigned q)
{
	fprintf(stderr, "vfvm: %s: queue %u stopped, the driver broke the virtqueue rules: %s; "
		"the device needs a reset\n", v->d->name, q,
		v->q[q].vq.fault ? v->q[q].vq.fault : "?");
	v->faults++;
	if (v->status & VIRTIO_S_NEEDS_RESET)
		return;
	v->status |= VIRTIO_S_NEEDS_RESET;
	if (v->status & VIRTIO_S_DRIVER_OK)
		virtio_config_changed(v);
}

void virtio_queue_serve(struct virtio_pci *v, unsigned q, struct vq_chain *c,
			virtio_serve_fn *serve, void *arg)
{
	struct virtqueue *vq = &v->q[q].vq;
	bool pushed = false;
	int64_t r;

	for (;;) {
		while ((r = vq_pop(vq, c)) == 1) {
			r = serve(arg, c);
			if (r < 0)
				break;
			vq_push(vq, c->head, (uint32_t)r);
			pushed = true;
		}
		if (r < 0) {
			virtio_queue_fault(v, q);
			return;
		}
		vq_want_notify(vq);
		if (!vq_has_avail(vq))
			break;
	}
	if (pushed)
		virtio_queue_interrupt(v, q);
}

/* --- queues handed over to another data path (vhost-net) --- */

/* The back end's call while its vector cannot take an irqfd (masked, MSI-X off, no route):
 * raised as vfvm's own interrupts are, so a masked vector latches its pending bit (§6.8.2.9 of
 * PCI 3.0 via pci_msi_notify) and INTx sets the ISR. Device thread, VM lock held. */
static void call_fired(void *arg, uint64_t count)
{
	struct virtio_pci_queue *vq = arg;
	struct virtio_pci *v = vq->v;

	(void)count;
	vq->calls_relayed++;
	virtio_queue_raise(v, vq - v->q);
}

/* The GSI an unmasked MSI-X vector @vec is routed to, or -1 when calls must go through vfvm. */
static int call_gsi_for(const struct virtio_pci *v, uint16_t vec)
{
	const struct pci_dev *d = v->d;

	if (!d->msix.cap || !d->msix.active || vec >= d->msix.nvec || pci_msix_vec_masked(d, vec))
		return -1;
	return d->msix.vec[vec].gsi;
}

/*
 * Points queue @q's call eventfd where its interrupt goes now: by irqfd straight to the GSI of
 * an unmasked vector (no vfvm thread involved), otherwise watched by the device thread. Moving
 * to the watch, the irqfd goes first (a call in between waits in the eventfd's count, which
 * epoll reports); moving to an irqfd, the watch goes first (KVM injects a count it finds at
 * assignment, virt/kvm/eventfd.c). Called on every MSI-X change and vector write.
 */
static void call_route(struct virtio_pci *v, unsigned q)
{
	struct pci_host_ops *o = &v->d->bus->ops;
	struct virtio_pci_queue *vq = &v->q[q];
	int fd = vq->callfd, gsi;
	bool watch;

	if (!vq->external || fd < 0)
		return;
	gsi = o->irqfd ? call_gsi_for(v, vq->vector) : -1;
	watch = gsi < 0;
	if (vq->call_watched && !watch) {
		if (o->unwatch_fd)
			o->unwatch_fd(o->opaque, fd);
		vq->call_watched = false;
	}
	if (vq->call_gsi != gsi) {
		if (vq->call_gsi >= 0)
			o->irqfd(o->opaque, fd, vq->call_gsi, true);
		vq->call_gsi = -1;
		if (gsi >= 0 && o->irqfd(o->opaque, fd, gsi, false) == 0)
			vq->call_gsi = gsi;
		else if (gsi >= 0)
			watch = true;		/* no irqfd: the device thread it is */
	}
	if (watch && !vq->call_watched && o->watch_fd)
		vq->call_watched = o->watch_fd(o->opaque, fd, call_fired, vq) == 0;
}

static void vp_irq_changed(struct pci_dev *d)
{
	struct virtio_pci *v = d->priv;

	for (unsigned q = 0; q < v->ops->nqueues; q++)
		call_route(v, q);
}

int virtio_queue_hand_over(struct virtio_pci *v, unsigned q, int callfd)
{
	struct virtio_pci_queue *vq;
	int kick;

	if (q >= v->ops->nqueues)
		return -EINVAL;
	vq = &v->q[q];
	if (vq->external)
		return vq->kickfd;
	kick = pci_doorbell_external(v->d, q, true);
	if (kick < 0)
		return kick;
	vq->external = true;
	vq->kickfd = kick;
	vq->callfd = callfd;
	vq->call_gsi = -1;
	vq->call_watched = false;
	call_route(v, q);
	return kick;
}

void virtio_queue_take_back(struct virtio_pci *v, unsigned q)
{
	struct pci_host_ops *o;
	struct virtio_pci_queue *vq;

	if (q >= v->ops->nqueues || !v->q[q].external)
		return;
	o = &v->d->bus->ops;
	vq = &v->q[q];
	if (vq->call_watched && o->unwatch_fd)
		o->unwatch_fd(o->opaque, vq->callfd);
	if (vq->call_gsi >= 0 && o->irqfd)
		o->irqfd(o->opaque, vq->callfd, vq->call_gsi, true);
	vq->call_watched = false;
	vq->call_gsi = -1;
	vq->callfd = -1;
	vq->external = false;
	vq->kickfd = -1;
	pci_doorbell_external(v->d, q, false);
}

/* §2.4: writing 0 to device_status resets the device; so does a PCI-level reset. */
static void virtio_reset(struct virtio_pci *v)
{
	v->dfselect = v->gfselect = 0;
	v->guest_features = 0;
	v->config_vector = VIRTIO_NO_VECTOR;
	v->status = 0;
	v->queue_select = 0;
	v->isr = 0;
	intx_update(v);
	for (unsigned i = 0; i < v->ops->nqueues; i++) {
		struct virtqueue *vq = &v->q[i].vq;

		vq_reset(vq);
		vq->size = v->ops->queue_max;
		vq->desc_gpa = vq->avail_gpa = vq->used_gpa = 0;
		v->q[i].vector = VIRTIO_NO_VECTOR;
		v->q[i].enabled = false;
	}
	if (v->ops->reset)
		v->ops->reset(v);
	/* The device stopped its other data path; whatever it left is taken back here. */
	for (unsigned i = 0; i < v->ops->nqueues; i++)
		virtio_queue_take_back(v, i);
}

static void kick_all(struct virtio_pci *v)
{
	if (!(v->status & VIRTIO_S_DRIVER_OK) || (v->status & VIRTIO_S_NEEDS_RESET))
		return;
	for (unsigned i = 0; i < v->ops->nqueues; i++)
		if (v->q[i].enabled && !v->q[i].external && v->ops->queue_notify)
			v->ops->queue_notify(v, i);
}

/* FEATURES_OK sticks only for a subset of what we offer, with VERSION_1 (§2.2, §6.1). */
static void status_write(struct virtio_pci *v, uint8_t s)
{
	bool driver_ok;

	if (!s) {
		virtio_reset(v);
		return;
	}
	if ((s & VIRTIO_S_FEATURES_OK) && !(v->status & VIRTIO_S_FEATURES_OK) &&
	    ((v->guest_features & ~dev_features(v)) || !virtio_has(v, VIRTIO_F_VERSION_1) ||
	     (v->ops->features_ok && !v->ops->features_ok(v))))
		s &= ~VIRTIO_S_FEATURES_OK;
	/* The driver may not clear bits (§2.1.2) other than by a reset; NEEDS_RESET is ours. */
	driver_ok = (s & VIRTIO_S_DRIVER_OK) && !(v->status & VIRTIO_S_DRIVER_OK);
	v->status |= s;
	if (driver_ok && (v->status & VIRTIO_S_FEATURES_OK) &&
	    !(v->status & VIRTIO_S_NEEDS_RESET) && v->ops->driver_ok)
		v->ops->driver_ok(v);
	kick_all(v);
}

static struct virtqueue *selq(struct virtio_pci *v)
{
	return v->queue_select < v->ops->nqueues ? &v->q[v->queue_select].vq : NULL;
}

static void queue_enable(struct virtio_pci *v)
{
	struct virtqueue *vq = selq(v);
	unsigned q = v->queue_select;

	if (!vq || v->q[q].enabled)
		return;
	vq->event_idx = virtio_has(v, VIRTIO_F_EVENT_IDX);
	vq->indirect = virtio_has(v, VIRTIO_F_INDIRECT_DESC);
	vq->dma = v->dma;
	vq->ep = v->ep;
	if (vq_enable(vq, v->mem)) {
		virtio_queue_fault(v, q);
		return;
	}
	v->q[q].enabled = true;
}

static uint64_t common_read(struct virtio_pci *v, unsigned off)
{
	struct virtqueue *vq = selq(v);
	unsigned q = v->queue_select;

	switch (off) {
	case 0x00: return v->dfselect;
	case 0x04: return v->dfselect < 2 ? (uint32_t)(dev_features(v) >> (32 * v->dfselect)) : 0;
	case 0x08: return v->gfselect;
	case 0x0c: return v->gfselect < 2 ? (uint32_t)(v->guest_features >> (32 * v->gfselect)) : 0;
	case 0x10: return v->config_vector;
	case 0x12: return v->ops->nqueues;
	case 0x14: return v->status;
	case 0x15: return v->config_generation;
	case 0x16: return v->queue_select;
	case 0x18: return vq ? vq->size : 0;
	case 0x1a: return vq ? v->q[q].vector : VIRTIO_NO_VECTOR;
	case 0x1c: return vq ? v->q[q].enabled : 0;
	case 0x1e: return vq ? q : 0;			/* queue_notify_off */
	case 0x20: return vq ? vq->desc_gpa : 0;
	case 0x28: return vq ? vq->avail_gpa : 0;
	case 0x30: return vq ? vq->used_gpa : 0;
	default:   return 0;
	}
}

static uint16_t vector_check(struct virtio_pci *v, uint16_t vec)
{
	/* §4.1.5.1.2: a vector the function does not have reads back as NO_VECTOR. */
	return vec < nvectors(v) ? vec : VIRTIO_NO_VECTOR;
}

static void set_u64_half(uint64_t *r, unsigned half, uint32_t val)
{
	unsigned sh = 32 * half;

	*r = (*r & ~(0xffffffffull << sh)) | (uint64_t)val << sh;
}

static void common_write(struct virtio_pci *v, unsigned off, uint32_t val)
{
	struct virtqueue *vq = selq(v);
	unsigned q = v->queue_select;
	/* Queue set-up registers are the driver's only before the queue is enabled (§4.1.4.3.2). */
	bool qw = vq && !v->q[q].enabled;

	switch (off) {
	case 0x00: v->dfselect = val; break;
	case 0x08: v->gfselect = val; break;
	case 0x0c:
		if (v->gfselect < 2 && !(v->status & VIRTIO_S_FEATURES_OK))
			set_u64_half(&v->guest_features, v->gfselect, val);
		break;
	case 0x10: v->config_vector = vector_check(v, val); break;
	case 0x14: status_write(v, val); break;
	case 0x16: v->queue_select = val; break;
	case 0x18:
		if (qw)
			vq->size = val;		/* checked when enabled */
		break;
	case 0x1a:
		if (vq) {
			v->q[q].vector = vector_check(v, val);
			call_route(v, q);
		}
		break;
	case 0x1c:
		if (val == 1)
			queue_enable(v);
		break;
	case 0x20: case 0x24: if (qw) set_u64_half(&vq->desc_gpa, off == 0x24, val); break;
	case 0x28: case 0x2c: if (qw) set_u64_half(&vq->avail_gpa, off == 0x2c, val); break;
	case 0x30: case 0x34: if (qw) set_u64_half(&vq->used_gpa, off == 0x34, val); break;
	default: break;		/* read-only or reserved */
	}
}

/* Field widths of the common structure: the driver accesses each with its own width
 * (§4.1.3.1); 64-bit fields as two 32-bit halves. */
static unsigned common_width(unsigned off)
{
	if (off < 0x10 || off >= 0x20)
		return 4;
	if (off == 0x14 || off == 0x15)
		return 1;
	return 2;
}

static void common_access(struct virtio_pci *v, unsigned off, void *data, unsigned len,
			  bool is_write)
{
	uint32_t val = 0;

	if (off >= VIRTIO_COMMON_LEN || len != common_width(off) ||
	    (off >= 0x20 && (off & 3))) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	if (is_write) {
		memcpy(&val, data, len);
		common_write(v, off, val);
		return;
	}
	if (off >= 0x20) {
		uint64_t q = common_read(v, off & ~7u);

		val = (off & 4) ? q >> 32 : (uint32_t)q;
	} else {
		val = common_read(v, off);
	}
	memcpy(data, &val, len);
}

static void devcfg_access(struct virtio_pci *v, unsigned off, void *data, unsigned len,
			  bool is_write)
{
	if (off >= v->ops->cfg_len || len > v->ops->cfg_len - off) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	if (is_write) {
		if (v->ops->cfg_write)
			v->ops->cfg_write(v, off, data, len);
	} else if (v->ops->cfg_read) {
		v->ops->cfg_read(v, off, data, len);
	} else {
		memset(data, 0, len);
	}
}

/* A notification (§4.1.5.2) that reached vfvm: no ioeventfd, or decoding changed under it. */
static void notify_write(struct virtio_pci *v, unsigned off)
{
	unsigned q = off / VIRTIO_NOTIFY_MULT;
	uint64_t one = 1;

	if (q < v->ops->nqueues && v->q[q].external) {
		/* Handed over: the other reader gets the kick the ioeventfd would have given. */
		if (write(v->q[q].kickfd, &one, sizeof(one)) == sizeof(one))
			v->q[q].kicks_relayed++;
		return;
	}
	if (q < v->ops->nqueues && v->q[q].enabled && (v->status & VIRTIO_S_DRIVER_OK) &&
	    !(v->status & VIRTIO_S_NEEDS_RESET) && v->ops->queue_notify)
		v->ops->queue_notify(v, q);
}

static void vbar_access(struct virtio_pci *v, uint64_t off, void *data, unsigned len,
			bool is_write)
{
	if (off < VIRTIO_ISR_OFF) {
		common_access(v, off - VIRTIO_COMMON_OFF, data, len, is_write);
	} else if (off < VIRTIO_DEVCFG_OFF) {
		/* §4.1.4.5: reading the ISR status clears it and deasserts INTx. */
		if (is_write)
			return;
		memset(data, 0, len);
		if (off == VIRTIO_ISR_OFF) {
			*(uint8_t *)data = v->isr;
			v->isr = 0;
			intx_update(v);
		}
	} else if (off < VIRTIO_NOTIFY_OFF) {
		devcfg_access(v, off - VIRTIO_DEVCFG_OFF, data, len, is_write);
	} else if (is_write) {
		notify_write(v, off - VIRTIO_NOTIFY_OFF);
	} else {
		memset(data, 0, len);
	}
}

static void vp_bar(struct pci_dev *d, int bar, uint64_t off, void *data, unsigned len,
		   bool is_write)
{
	if (bar == VIRTIO_BAR) {
		vbar_access(d->priv, off, data, len, is_write);
		return;
	}
	if (!is_write)
		memset(data, 0, len);	/* the MSI-X BAR outside its table and PBA */
}

/* The ioeventfd of a queue's notify address fired: any queue may have work, so each one
 * is looked at (cheap: an index comparison when there is nothing). */
static void vp_ring(struct pci_dev *d, uint64_t count)
{
	(void)count;
	kick_all(d->priv);
}

/* --- VIRTIO_PCI_CAP_PCI_CFG (§4.1.4.9): a window onto the BAR through config space --- */

static unsigned pcicfg_off(struct pci_dev *d)
{
	for (unsigned c = pci_cfg_get(d, PCI_CAP_PTR, 1); c; c = pci_cfg_get(d, c + 1, 1))
		if (pci_cfg_get(d, c, 1) == PCI_CAP_ID_VNDR && pci_cfg_get(d, c + 3, 1) == CAP_PCI_CFG)
			return c;
	return 0;
}

/* The window access the driver set up in cap.bar, cap.offset, cap.length, or false. */
static bool pcicfg_window(struct pci_dev *d, unsigned c, uint32_t *off, unsigned *len)
{
	*off = pci_cfg_get(d, c + 8, 4);
	*len = pci_cfg_get(d, c + 12, 4);
	return pci_cfg_get(d, c + 4, 1) == VIRTIO_BAR && (*len == 1 || *len == 2 || *len == 4) &&
	       *off < VIRTIO_BAR_SIZE && *len <= VIRTIO_BAR_SIZE - *off && !(*off & (*len - 1));
}

static void vp_cfg_read(struct pci_dev *d, unsigned off, unsigned len, uint32_t *val)
{
	unsigned c = pcicfg_off(d), wlen;
	uint32_t woff, data = 0;

	if (!c || off + len <= c + 16 || off >= c + 20 || !pcicfg_window(d, c, &woff, &wlen))
		return;
	vbar_access(d->priv, woff, &data, wlen, false);
	if (off >= c + 16)
		*val = (uint32_t)((uint64_t)data >> (8 * (off - c - 16)));
}

static void vp_cfg_write(struct pci_dev *d, unsigned off, unsigned len, uint32_t val)
{
	unsigned c = pcicfg_off(d), wlen;
	uint32_t woff, data;

	(void)val;
	if (!c || off + len <= c + 16 || off >= c + 20 || !pcicfg_window(d, c, &woff, &wlen))
		return;
	data = pci_cfg_get(d, c + 16, 4);
	vbar_access(d->priv, woff, &data, wlen, true);
}

static void vp_reset(struct pci_dev *d)
{
	virtio_reset(d->priv);
}

static void vp_destroy(struct pci_dev *d)
{
	struct virtio_pci *v = d->priv;

	if (v->ops->destroy)
		v->ops->destroy(v);
	free(v);
}

static const struct pci_dev_ops vp_ops = {
	.cfg_read = vp_cfg_read,
	.cfg_write = vp_cfg_write,
	.bar_access = vp_bar,
	.irq_changed = vp_irq_changed,
	.reset = vp_reset,
	.destroy = vp_destroy,
};

/* struct virtio_pci_cap (§4.1.4) after its first three bytes, which pci_cap_add_vendor writes. */
static unsigned add_cap(struct pci_dev *d, uint8_t type, uint8_t bar, uint32_t off, uint32_t len,
			const uint32_t *extra)
{
	uint8_t c[17] = { type, bar };

	memcpy(c + 5, &off, 4);
	memcpy(c + 9, &len, 4);
	if (extra)
		memcpy(c + 13, extra, 4);
	return pci_cap_add_vendor(d, c, extra ? 17 : 13);
}

static int vp_caps(struct virtio_pci *v)
{
	struct pci_dev *d = v->d;
	const uint32_t mult = VIRTIO_NOTIFY_MULT;
	unsigned c;

	if (!add_cap(d, CAP_COMMON, VIRTIO_BAR, VIRTIO_COMMON_OFF, VIRTIO_COMMON_LEN, NULL) ||
	    !add_cap(d, CAP_NOTIFY, VIRTIO_BAR, VIRTIO_NOTIFY_OFF,
		     VIRTIO_NOTIFY_MULT * v->ops->nqueues, &mult) ||
	    !add_cap(d, CAP_ISR, VIRTIO_BAR, VIRTIO_ISR_OFF, 1, NULL) ||
	    (v->ops->cfg_len &&
	     !add_cap(d, CAP_DEVICE, VIRTIO_BAR, VIRTIO_DEVCFG_OFF, v->ops->cfg_len, NULL)))
		return -ENOSPC;
	c = add_cap(d, CAP_PCI_CFG, 0, 0, 0, (const uint32_t[]){ 0 });
	if (!c)
		return -ENOSPC;
	/* The driver picks bar, offset, length and moves data through pci_cfg_data. */
	pci_wmask_set(d, c + 4, 1, 0xff);
	pci_wmask_set(d, c + 8, 4, 0xffffffff);
	pci_wmask_set(d, c + 12, 4, 0xffffffff);
	pci_wmask_set(d, c + 16, 4, 0xffffffff);
	return 0;
}

static int vp_build(struct virtio_pci *v, struct pci_bus *b)
{
	struct pci_dev *d = v->d;
	int slot = pci_bus_free_slot(b), r;

	if (slot < 0)
		return slot;
	if ((r = pci_dev_attach(b, d, slot, 0)) ||
	    (r = pci_bar_init(d, VIRTIO_MSIX_BAR, 0, 0x1000, NULL)) ||
	    (r = pci_bar_init(d, VIRTIO_BAR, PCI_BAR_MEM64 | PCI_BAR_PREFETCH, VIRTIO_BAR_SIZE,
			      NULL)) ||
	    (r = vp_caps(v)) ||
	    (r = pci_msix_init(d, nvectors(v), VIRTIO_MSIX_BAR, 0, VIRTIO_MSIX_BAR, 0x800)) ||
	    (r = pci_dev_place_bars(d)))
		return r;
	pci_cfg_set(d, PCI_SUBSYS_VENDOR, 2, VIRTIO_PCI_VENDOR);
	pci_cfg_set(d, PCI_SUBSYS_ID, 2, v->ops->device_id);
	pci_intx_pin_set(d, 1);
	for (unsigned q = 0; q < v->ops->nqueues && q < PCI_MAX_DOORBELLS; q++)
		if ((r = pci_doorbell_add(d, VIRTIO_BAR, VIRTIO_NOTIFY_OFF + VIRTIO_NOTIFY_MULT * q,
					  2, -1, vp_ring)))
			return r;
	pci_dev_seal(d);
	return 0;
}

/* What a function that failed to be built keeps: nothing of its device type. */
static const struct virtio_dev_ops orphan_ops = { .nqueues = 1 };

int virtio_pci_create(struct pci_bus *b, const struct virtio_dev_ops *ops, void *priv,
		      const struct guest_mem *mem, struct virtio_pci **out)
{
	struct virtio_pci *v;
	int r;

	if (!ops->nqueues || ops->nqueues > VIRTIO_MAX_QUEUES || ops->cfg_len > VIRTIO_DEVCFG_MAX)
		return -EINVAL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->ops = ops;
	v->priv = priv;
	v->mem = mem;
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		v->q[i] = (struct virtio_pci_queue){ .kickfd = -1, .callfd = -1, .call_gsi = -1,
						     .v = v };
	/* §4.1.2.1: modern device IDs 0x1040 + type, revision 1 or more. */
	v->d = pci_dev_new(VIRTIO_PCI_VENDOR, VIRTIO_PCI_DEVICE_BASE + ops->device_id,
			   ops->pci_class | 1, &vp_ops, v);
	if (!v->d) {
		free(v);
		return -ENOMEM;
	}
	virtio_reset(v);
	r = vp_build(v, b);
	if (r) {
		/* @priv stays the caller's. Attached, the function is the bus's to free. */
		v->priv = NULL;
		v->ops = &orphan_ops;
		if (v->d->bus != b) {
			pci_msi_destroy(v->d);
			free(v->d);
			free(v);
		}
		return r;
	}
	v->dma = b->dma;
	v->ep = v->d->slot << 3 | v->d->fn;
	*out = v;
	return 0;
}
