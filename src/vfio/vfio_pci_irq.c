/* vfio_pci_irq.c - a passed-through function's interrupts: INTx by an eventfd the device thread
 * watches (the kernel masks the line, vfvm unmasks it at the guest's EOI), MSI/MSI-X by one
 * eventfd per vector, bound to the vector's GSI with irqfd while unmasked. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "pci/pci_dev.h"
#include "vfio_pci_irq.h"

void vfio_pci_irq_init(struct vfio_pci_irq *q, struct vfio_device *dev, uint64_t *user_irqs)
{
	memset(q, 0, sizeof(*q));
	q->dev = dev;
	q->user_irqs = user_irqs;
	q->intx_fd = -1;
	q->irq_index = ~0u;
}

/* kind "vfio": a VFIO_DEVICE_SET_IRQS vfvm made (docs/trace.md). */
static int traced_irqs(struct vfio_pci_irq *q, const char *action, unsigned index,
		       unsigned count, int r)
{
	static const char *const names[] = { "intx", "msi", "msix", "err", "req" };

	pci_trace(q->pd, TRACE_VFIO, "\"ev\":\"set-irqs\",\"index\":\"%s\",\"action\":\"%s\","
		  "\"start\":0,\"count\":%u,\"result\":%d", index < 5 ? names[index] : "?",
		  action, count, r);
	return r;
}

/* --- INTx: the kernel masks the line when it fires; vfvm unmasks it at the guest's EOI --- */

static void intx_fired(void *arg, uint64_t count)
{
	struct vfio_pci_irq *q = arg;

	(void)count;
	(*q->user_irqs)++;
	pci_intx_set(q->pd, true);
}

void vfio_pci_intx_enable(struct vfio_pci_irq *q)
{
	struct pci_host_ops *o = &q->pd->bus->ops;

	if (q->intx_on || !q->dev->irq_count[VFIO_PCI_INTX_IRQ_INDEX] ||
	    !q->pd->cfg[PCI_INT_PIN] || !o->watch_fd)
		return;
	q->intx_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->intx_fd < 0)
		return;
	if (traced_irqs(q, "trigger", VFIO_PCI_INTX_IRQ_INDEX, 1,
			vfio_irq_set_fds(q->dev, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &q->intx_fd)) ||
	    o->watch_fd(o->opaque, q->intx_fd, intx_fired, q)) {
		vfio_irq_disable(q->dev, VFIO_PCI_INTX_IRQ_INDEX);
		close(q->intx_fd);
		q->intx_fd = -1;
		return;
	}
	q->intx_on = true;
}

void vfio_pci_intx_disable(struct vfio_pci_irq *q)
{
	struct pci_host_ops *o = &q->pd->bus->ops;

	if (!q->intx_on)
		return;
	traced_irqs(q, "disable", VFIO_PCI_INTX_IRQ_INDEX, 0,
		    vfio_irq_disable(q->dev, VFIO_PCI_INTX_IRQ_INDEX));
	if (o->unwatch_fd)
		o->unwatch_fd(o->opaque, q->intx_fd);
	close(q->intx_fd);
	q->intx_fd = -1;
	q->intx_on = false;
	pci_intx_set(q->pd, false);
}

/* The guest EOI'd the level interrupt on our pin: drop the line, let the device raise it
 * again (VFIO re-signals at once if the device still asserts INTx). */
void vfio_pci_intx_eoi(struct vfio_pci_irq *q)
{
	struct pci_dev *d = q->pd;
	int r;

	if (!q->intx_on || !d->intx_level)
		return;
	pci_intx_set(d, false);
	r = vfio_intx_unmask(q->dev);
	pci_trace(d, TRACE_INTX, "\"ev\":\"eoi-unmask\",\"result\":%d", r);
}

/* --- MSI / MSI-X: VFIO signals our eventfds; KVM's irqfd carries them to the guest --- */

static void vec_fired(void *arg, uint64_t count)
{
	struct vfio_vec_ref *ref = arg;

	(void)count;
	(*ref->irq->user_irqs)++;
	/* Masked: the model sets the pending bit; unmasked without a route: it injects. */
	pci_msi_notify(ref->irq->pd, ref->n);
}

static void msi_unbind(struct vfio_pci_irq *q, unsigned i)
{
	struct pci_host_ops *o = &q->pd->bus->ops;

	if (q->bound_gsi[i] >= 0 && o->irqfd)
		o->irqfd(o->opaque, q->fds[i], q->bound_gsi[i], true);
	q->bound_gsi[i] = -1;
	if (q->watched[i] && o->unwatch_fd)
		o->unwatch_fd(o->opaque, q->fds[i]);
	q->watched[i] = false;
}

void vfio_pci_msi_release(struct vfio_pci_irq *q)
{
	if (q->irq_index < VFIO_PCI_NUM_IRQS)
		traced_irqs(q, "disable", q->irq_index, 0, vfio_irq_disable(q->dev, q->irq_index));
	for (unsigned i = 0; i < q->nfds; i++) {
		msi_unbind(q, i);
		close(q->fds[i]);
	}
	free(q->fds);
	free(q->bound_gsi);
	free(q->watched);
	free(q->refs);
	q->refs = NULL;
	q->fds = NULL;
	q->bound_gsi = NULL;
	q->watched = NULL;
	q->nfds = 0;
	q->irq_index = ~0u;
}

static int msi_alloc(struct vfio_pci_irq *q, unsigned index, unsigned n)
{
	q->fds = calloc(n, sizeof(int));
	q->bound_gsi = calloc(n, sizeof(int));
	q->watched = calloc(n, sizeof(bool));
	q->refs = calloc(n, sizeof(struct vfio_vec_ref));
	if (!q->fds || !q->bound_gsi || !q->watched || !q->refs)
		goto fail;
	for (unsigned i = 0; i < n; i++) {
		struct vfio_vec_ref *ref = &q->refs[i];

		q->bound_gsi[i] = -1;
		q->fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ref->irq = q;
		ref->n = i;
		if (q->fds[i] < 0) {
			q->nfds = i;
			goto fail;
		}
	}
	q->nfds = n;
	/* vfio-pci takes one interrupt type at a time: INTx off while MSI(-X) is on. */
	vfio_pci_intx_disable(q);
	if (traced_irqs(q, "trigger", index, n, vfio_irq_set_fds(q->dev, index, 0, n, q->fds)))
		goto fail;
	q->irq_index = index;
	return 0;
fail:
	vfio_pci_msi_release(q);
	vfio_pci_intx_enable(q);
	return -EIO;
}

/*
 * A masked (or unrouted) vector's eventfd is watched so that its interrupt sets the PBA bit
 * (PCI 3.0 §6.8.2.9). If that cannot be done the interrupt would vanish: say so, once per
 * device, rather than lose it without a word.
 */
static void msi_watch(struct vfio_pci_irq *q, unsigned i)
{
	struct pci_host_ops *o = &q->pd->bus->ops;
	int r = o->watch_fd(o->opaque, q->fds[i], vec_fired, &q->refs[i]);

	q->watched[i] = r == 0;
	if (!r || q->watch_warned)
		return;
	q->watch_warned = true;
	fprintf(stderr, "vfvm: warning: %s: cannot watch masked vector %u (%s); its interrupts "
		"while masked are lost\n", q->dev->name, i, strerror(-r));
}

static bool vec_masked(const struct pci_dev *d, bool msix, unsigned i)
{
	return msix ? pci_msix_vec_masked(d, i) : pci_msi_vec_masked(d, i);
}

static int vec_gsi(const struct pci_dev *d, bool msix, unsigned i)
{
	return msix ? d->msix.vec[i].gsi : d->msi.vec[i].gsi;
}

void vfio_pci_irq_changed(struct vfio_pci_irq *q)
{
	struct pci_dev *d = q->pd;
	struct pci_host_ops *o = &q->pd->bus->ops;
	bool msix = d->msix.cap && d->msix.active;
	unsigned index = ~0u, n = 0;

	if (msix) {
		index = VFIO_PCI_MSIX_IRQ_INDEX;
		n = d->msix.nvec;
	} else if (d->msi.cap && d->msi.nactive) {
		index = VFIO_PCI_MSI_IRQ_INDEX;
		n = d->msi.nactive;
	}
	if (index != q->irq_index || n != q->nfds) {
		vfio_pci_msi_release(q);
		if (index == ~0u) {
			vfio_pci_intx_enable(q);
			return;
		}
		if (msi_alloc(q, index, n))
			return;
	}
	for (unsigned i = 0; i < n; i++) {
		int gsi = vec_gsi(d, msix, i);
		bool want = !vec_masked(d, msix, i) && gsi >= 0 && o->irqfd;

		if (q->bound_gsi[i] >= 0 && (!want || q->bound_gsi[i] != gsi))
			msi_unbind(q, i);
		if (want && q->bound_gsi[i] < 0) {
			if (q->watched[i] && o->unwatch_fd)
				o->unwatch_fd(o->opaque, q->fds[i]);
			q->watched[i] = false;
			if (!o->irqfd(o->opaque, q->fds[i], gsi, false))
				q->bound_gsi[i] = gsi;
		}
		if (q->bound_gsi[i] < 0 && !q->watched[i] && o->watch_fd)
			msi_watch(q, i);
	}
}
