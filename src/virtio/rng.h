/* rng.h - virtio-rng (virtio 1.2 §5.4), the --device virtio-rng type. */
#ifndef VFVM_VIRTIO_RNG_H
#define VFVM_VIRTIO_RNG_H

#include "core/err.h"
#include "pci/pci_dev.h"

struct vm;

/* --device virtio-rng: one virtio-pci function with a single request queue. */
int virtio_rng_create(struct vm *vm, struct pci_bus *b, const char *opts, struct err *err);

#endif
