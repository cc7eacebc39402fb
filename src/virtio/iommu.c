/* iommu.c - the virtio-iommu device on the virtio-pci transport (virtio 1.2 §5.13): its request
 * and event queues, configuration and options; the requests themselves are iommu_req.c's. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "virtio/iommu.h"
#include "virtio/virtio_pci.h"
#include "core/vm.h"

#define VIOMMU_QUEUE_SIZE	64
#define VIOMMU_MAX_SEGS		16
#define VIOMMU_REQ_MAX		128	/* the longest request (PROBE) is 72 bytes */
#define VIOMMU_Q_REQUEST	0
#define VIOMMU_Q_EVENT		1

/* §5.13.3: what vfvm offers (not F_MMIO, nor the legacy F_BYPASS, superseded by
 * F_BYPASS_CONFIG). */
#define VIOMMU_FEATURES	(1ull << VIOMMU_F_INPUT_RANGE | 1ull << VIOMMU_F_DOMAIN_RANGE |	\
			 1ull << VIOMMU_F_MAP_UNMAP | 1ull << VIOMMU_F_PROBE |		\
			 1ull << VIOMMU_F_BYPASS_CONFIG)

struct viommu_dev {
	struct viommu vi;
	uint8_t req[VIOMMU_REQ_MAX];
	uint8_t resp[4 + 4096];		/* a PROBE's properties (probe_size) and tail */
};

static int64_t viommu_serve(void *arg, struct vq_chain *c)
{
	struct viommu_dev *dv = arg;
	uint32_t rlen = c->in_len < sizeof(dv->resp) ? c->in_len : sizeof(dv->resp);
	uint32_t qlen = vq_chain_read(c, 0, dv->req, sizeof(dv->req));
	size_t n = viommu_request(&dv->vi, dv->req, qlen, dv->resp, rlen);

	vq_chain_write(c, 0, dv->resp, (uint32_t)n);
	return (int64_t)n;
}

static void viommu_notify(struct virtio_pci *v, unsigned q)
{
	struct vq_seg segs[VIOMMU_MAX_SEGS];
	struct vq_chain c = { .seg = segs, .max_seg = VIOMMU_MAX_SEGS };

	if (q != VIOMMU_Q_REQUEST)
		return;		/* event buffers wait for a fault (viommu_post_event) */
	virtio_queue_serve(v, q, &c, viommu_serve, v->priv);
}

/* A fault event into the driver's next event buffer (§5.13.6.9). vi->lock held. */
static bool viommu_post_event(struct viommu *vi, const uint8_t *ev)
{
	struct virtio_pci *v = vi->v;
	struct vq_seg segs[VIOMMU_MAX_SEGS];
	struct vq_chain c = { .seg = segs, .max_seg = VIOMMU_MAX_SEGS };
	struct virtqueue *vq = &v->q[VIOMMU_Q_EVENT].vq;
	int n;

	if (!(v->status & VIRTIO_S_DRIVER_OK) || (v->status & VIRTIO_S_NEEDS_RESET))
		return false;
	n = vq_pop(vq, &c);
	if (n < 0)
		virtio_queue_fault(v, VIOMMU_Q_EVENT);
	if (n != 1)
		return false;
	if (c.in_len < VIOMMU_FAULT_LEN) {
		vq_push(vq, c.head, 0);		/* too small to hold an event: given back empty */
		virtio_queue_interrupt(v, VIOMMU_Q_EVENT);
		return false;
	}
	vq_chain_write(&c, 0, ev, VIOMMU_FAULT_LEN);
	vq_push(vq, c.head, VIOMMU_FAULT_LEN);
	virtio_queue_interrupt(v, VIOMMU_Q_EVENT);
	return true;
}

static void viommu_cfg_rd(struct virtio_pci *v, unsigned off, void *data, unsigned len)
{
	struct viommu_dev *dv = v->priv;

	pthread_mutex_lock(&dv->vi.lock);
	viommu_cfg_read(&dv->vi, off, data, len);
	pthread_mutex_unlock(&dv->vi.lock);
}

/* §5.13.4: only bypass is writable, and only with VIRTIO_IOMMU_F_BYPASS_CONFIG. */
static void viommu_cfg_wr(struct virtio_pci *v, unsigned off, const void *data, unsigned len)
{
	struct viommu_dev *dv = v->priv;

	if (off != 36 || len != 1 || !virtio_has(v, VIOMMU_F_BYPASS_CONFIG))
		return;
	pthread_mutex_lock(&dv->vi.lock);
	dv->vi.bypass = *(const uint8_t *)data ? 1 : 0;
	pthread_mutex_unlock(&dv->vi.lock);
}

static bool viommu_features_ok(struct virtio_pci *v)
{
	struct viommu_dev *dv = v->priv;

	pthread_mutex_lock(&dv->vi.lock);
	dv->vi.bypass_config = virtio_has(v, VIOMMU_F_BYPASS_CONFIG);
	pthread_mutex_unlock(&dv->vi.lock);
	return true;
}

static void viommu_dev_reset(struct virtio_pci *v)
{
	struct viommu_dev *dv = v->priv;

	if (dv)
		viommu_reset(&dv->vi);
}

static void viommu_destroy(struct virtio_pci *v)
{
	struct viommu_dev *dv = v->priv;

	if (!dv)
		return;
	viommu_fini(&dv->vi);
	free(dv);
}

static const struct virtio_dev_ops viommu_ops = {
	.device_id = VIOMMU_DEVICE_ID,
	.pci_class = 0x08060000,		/* base 08 sub 06: IOMMU (PCI code and ID 1.12) */
	.features = VIOMMU_FEATURES,
	.nqueues = 2,
	.queue_max = VIOMMU_QUEUE_SIZE,
	.cfg_len = VIOMMU_CFG_LEN,
	.cfg_read = viommu_cfg_rd,
	.cfg_write = viommu_cfg_wr,
	.features_ok = viommu_features_ok,
	.queue_notify = viommu_notify,
	.reset = viommu_dev_reset,
	.destroy = viommu_destroy,
};

/* "" or "bypass=on|off". */
static int viommu_opts(const char *opts, bool *bypass, struct err *err)
{
	if (!*opts || !strcmp(opts, "bypass=off"))
		*bypass = false;
	else if (!strcmp(opts, "bypass=on"))
		*bypass = true;
	else
		return err_input(err, EINVAL, "--viommu: unknown option '%s' (it takes bypass=on "
				 "or bypass=off)", opts);
	return 0;
}

int viommu_create(struct vm *vm, struct pci_bus *b, const char *opts, struct viommu **out,
		  struct err *err)
{
	struct viommu_dev *dv;
	bool bypass = false;
	int r;

	if ((r = viommu_opts(opts, &bypass, err)))
		return r;
	dv = calloc(1, sizeof(*dv));
	if (!dv)
		return err_set(err, ENOMEM, "virtio-iommu: out of memory");
	r = viommu_init(&dv->vi, &vm->mem, bypass);
	if (r) {
		free(dv);
		return err_set(err, -r, "virtio-iommu: cannot initialise: %s", strerror(-r));
	}
	dv->vi.trace = vm->trace;
	dv->vi.post_event = viommu_post_event;
	_Static_assert(sizeof(((struct viommu_dev *)0)->resp) >= 4 + 512, "probe_size fits");
	r = virtio_pci_create(b, &viommu_ops, dv, &vm->mem, &dv->vi.v);
	if (r) {
		viommu_fini(&dv->vi);
		free(dv);
		return err_set(err, -r, "virtio-iommu: cannot create: %s", strerror(-r));
	}
	strcpy(dv->vi.v->d->name, "virtio-iommu");
	dv->vi.devfn = dv->vi.v->d->slot << 3 | dv->vi.v->d->fn;
	*out = &dv->vi;
	return 0;
}
