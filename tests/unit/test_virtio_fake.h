/* test_virtio_fake.h - the set-up the virtio unit tests share: guest RAM as one region of a
 * struct vm, a PCI bus on the fake host (test_pci_fake.h) with its host bridge, the function
 * at a slot with memory decoding and bus mastering on, and a driver's steps through the
 * common configuration of BAR VIRTIO_BAR (virtio 1.2 §4.1.4.3, §3.1.1). */
#ifndef TEST_VIRTIO_FAKE_H
#define TEST_VIRTIO_FAKE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "test_pci_fake.h"
#include "test_vring.h"
#include "core/vm.h"
#include "virtio/virtio_pci.h"

/* @size bytes of zeroed guest RAM at gpa 0, the only region of @vm (zeroed too). */
static inline int virtio_fake_ram(struct vm *vm, uint8_t **ram, size_t size)
{
	*ram = calloc(1, size);
	if (!*ram)
		return -1;
	memset(vm, 0, sizeof(*vm));
	vm->mem.r[0] = (struct guest_region){ .gpa = 0, .size = size, .hva = *ram };
	vm->mem.n = 1;
	return 0;
}

/* The bus on host ops @o (from fake_ops, perhaps with a device thread added), its bridge. */
static inline int virtio_fake_bus(struct pci_bus *bus, const struct pci_host_ops *o)
{
	pci_bus_init(bus, o, 0x200000000ULL);
	return pci_host_bridge_create(bus);
}

/* The function the device's create put at @slot, decoding memory and mastering; NULL if none. */
static inline struct pci_dev *virtio_fake_function(struct pci_bus *bus, unsigned slot)
{
	struct pci_dev *d = bus->devs[slot][0];

	if (d)
		cfg_wr(bus, slot, 0, PCI_COMMAND, 2, PCI_CMD_MEM | PCI_CMD_MASTER);
	return d;
}

static inline uint32_t virtio_fake_rd(struct pci_dev *d, unsigned off, unsigned len)
{
	uint32_t v = 0;

	d->ops->bar_access(d, VIRTIO_BAR, off, &v, len, false);
	return v;
}

static inline void virtio_fake_wr(struct pci_dev *d, unsigned off, unsigned len, uint32_t v)
{
	d->ops->bar_access(d, VIRTIO_BAR, off, &v, len, true);
}

/* ACKNOWLEDGE, DRIVER, the driver's features @feat (bits 0-63), FEATURES_OK; the status the
 * device shows afterwards (FEATURES_OK cleared if it refused them). */
static inline uint8_t virtio_fake_negotiate(struct pci_dev *d, uint64_t feat)
{
	virtio_fake_wr(d, 0x14, 1, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
	virtio_fake_wr(d, 0x08, 4, 0);
	virtio_fake_wr(d, 0x0c, 4, (uint32_t)feat);
	virtio_fake_wr(d, 0x08, 4, 1);
	virtio_fake_wr(d, 0x0c, 4, feat >> 32);
	virtio_fake_wr(d, 0x14, 1, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK);
	return virtio_fake_rd(d, 0x14, 1);
}

/* Queue @q of @size entries at the three ring addresses, MSI-X vector @vector (none written
 * if < 0), then enabled. */
static inline void virtio_fake_queue(struct pci_dev *d, unsigned q, unsigned size, uint32_t desc,
				     uint32_t avail, uint32_t used, int vector)
{
	virtio_fake_wr(d, 0x16, 2, q);
	virtio_fake_wr(d, 0x18, 2, size);
	virtio_fake_wr(d, 0x20, 4, desc);
	virtio_fake_wr(d, 0x28, 4, avail);
	virtio_fake_wr(d, 0x30, 4, used);
	if (vector >= 0)
		virtio_fake_wr(d, 0x1a, 2, vector);
	virtio_fake_wr(d, 0x1c, 2, 1);
}

/* Descriptor @p (16 bytes in guest RAM, §2.7.5) as the driver writes it. */
#endif
