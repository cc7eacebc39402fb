/* rng.c - virtio-rng, the entropy device (virtio 1.2 §5.4): every buffer the driver offers is
 * filled from the host's getrandom(2), so a guest never waits for entropy at boot. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "virtio/rng.h"
#include "virtio/virtio_pci.h"
#include "core/vm.h"

#define RNG_QUEUE_SIZE	256
#define RNG_MAX_SEGS	64
#define RNG_MAX_BYTES	(64 * 1024)	/* per request: a guest cannot make one call take long */

struct virtio_rng {
	struct virtio_pci *v;
	uint64_t bytes, requests;
};

/* Fills the chain's writable part; the byte count written. */
static uint32_t rng_fill(struct vq_chain *c)
{
	uint32_t done = 0;

	for (unsigned i = c->nout; i < c->nseg && done < RNG_MAX_BYTES; i++) {
		uint32_t want = c->seg[i].len, got = 0;

		if (want > RNG_MAX_BYTES - done)
			want = RNG_MAX_BYTES - done;
		while (got < want) {
			ssize_t n = getrandom((uint8_t *)c->seg[i].hva + got, want - got, 0);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return done + got;
			got += n;
		}
		done += got;
	}
	return done;
}

static int64_t rng_serve(void *arg, struct vq_chain *c)
{
	struct virtio_rng *r = arg;
	uint32_t len = rng_fill(c);

	r->bytes += len;
	r->requests++;
	return len;
}

static void rng_notify(struct virtio_pci *v, unsigned q)
{
	struct vq_seg segs[RNG_MAX_SEGS];
	struct vq_chain c = { .seg = segs, .max_seg = RNG_MAX_SEGS };

	virtio_queue_serve(v, q, &c, rng_serve, v->priv);
}

static void rng_destroy(struct virtio_pci *v)
{
	free(v->priv);
}

static const struct virtio_dev_ops rng_ops = {
	.device_id = 4,
	.pci_class = 0xff000000,		/* "other", as QEMU's virtio-rng-pci */
	.nqueues = 1,
	.queue_max = RNG_QUEUE_SIZE,
	.queue_notify = rng_notify,
	.destroy = rng_destroy,
};

int virtio_rng_create(struct vm *vm, struct pci_bus *b, const char *opts, struct err *err)
{
	struct virtio_rng *r;
	int ret;

	if (*opts)
		return err_input(err, EINVAL, "--device virtio-rng: unknown option '%s' (it takes "
				 "none)", opts);
	if (!vm)
		return err_set(err, EINVAL, "virtio-rng: no guest memory");
	r = calloc(1, sizeof(*r));
	if (!r)
		return err_set(err, ENOMEM, "virtio-rng: out of memory");
	ret = virtio_pci_create(b, &rng_ops, r, &vm->mem, &r->v);
	if (ret) {
		free(r);
		return err_set(err, -ret, "virtio-rng: cannot create: %s", strerror(-ret));
	}
	strcpy(r->v->d->name, "virtio-rng");
	return 0;
}
