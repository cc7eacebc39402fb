/* kvm_glue.c - the one place where the PCI models meet the machine: pci_host_ops backed by
 * vm->pio/vm->mmio, KVM memory slots, GSI routes, irqfd, ioeventfd and the device thread. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/kvm.h"
#include "core/mem.h"
#include "core/vm.h"
#include "kvm_glue.h"

static struct vm *vmof(void *o)
{
	return ((struct pci_glue *)o)->vm;
}

static int g_map_io(void *o, bool mmio, uint64_t base, uint64_t len, bus_io_fn fn, void *arg,
		    const char *name)
{
	struct vm *vm = vmof(o);

	return bus_register(mmio ? &vm->mmio : &vm->pio, base, len, fn, arg, name);
}

static void g_unmap_io(void *o, bool mmio, uint64_t base)
{
	struct vm *vm = vmof(o);

	bus_unregister(mmio ? &vm->mmio : &vm->pio, base);
}

static int g_map_ram(void *o, uint64_t gpa, uint64_t size, void *hva)
{
	return kvm_slot_map(vmof(o), gpa, size, hva, false);
}

static void g_unmap_ram(void *o, int slot)
{
	kvm_slot_unmap(vmof(o), slot);
}

static void g_bar_failed(void *o, const struct pci_bar *bar, uint64_t addr, int err)
{
	char what[16];

	(void)o;
	if (bar->index == PCI_ROM_BAR)
		snprintf(what, sizeof(what), "expansion ROM");
	else
		snprintf(what, sizeof(what), "BAR%d", bar->index);
	fprintf(stderr, "vfvm: warning: %s: %s at 0x%llx (%llu bytes) cannot be mapped (%s); "
		"it stays off until the guest moves it or turns decoding off and on\n",
		bar->dev->name, what, (unsigned long long)addr, (unsigned long long)bar->size,
		strerror(-err));
}

/* Not RAM, not the APICs/reserved range, and no other MMIO device (bus.h ranges). */
static bool g_mem_free(void *o, uint64_t gpa, uint64_t len)
{
	struct vm *vm = vmof(o);

	/* The bus's read lock, not vm->lock: ranges may be (un)registered under other locks. */
	return mem_range_is_free(&vm->mem, gpa, len) && !bus_overlaps(&vm->mmio, gpa, len);
}

static void g_intx(void *o, unsigned pin, int level)
{
	struct irq_line l;

	((struct pci_glue *)o)->gsi_line(vmof(o), pin, &l);
	irq_line_set(&l, level);
}

static int g_route_alloc(void *o, const struct msi_msg *m)
{
	return kvm_route_alloc(vmof(o), m);
}

static int g_route_set(void *o, unsigned gsi, const struct msi_msg *m)
{
	return kvm_route_set(vmof(o), gsi, m);
}

static void g_route_free(void *o, unsigned gsi)
{
	kvm_route_free(vmof(o), gsi);
}

static int g_route_commit(void *o)
{
	return kvm_route_commit(vmof(o));
}

static int g_irqfd(void *o, int fd, unsigned gsi, bool deassign)
{
	return kvm_irqfd(vmof(o), fd, gsi, -1, deassign);
}

static int g_signal_msi(void *o, const struct msi_msg *m)
{
	return kvm_signal_msi(vmof(o), m);
}

static int g_ioeventfd(void *o, int fd, uint64_t addr, unsigned len, bool pio,
		       int64_t datamatch, bool deassign)
{
	return kvm_ioeventfd(vmof(o), fd, addr, len, pio, datamatch, deassign);
}

static int g_dma_read(void *o, uint64_t gpa, void *buf, uint64_t len)
{
	return gpa_read(&vmof(o)->mem, gpa, buf, len);
}

static int g_dma_write(void *o, uint64_t gpa, const void *buf, uint64_t len)
{
	return gpa_write(&vmof(o)->mem, gpa, buf, len);
}

static int g_watch(void *o, int fd, void (*cb)(void *arg, uint64_t count), void *arg)
{
	struct pci_glue *g = o;

	if (!g->iot) {
		g->iot = pci_iothread_new(&g->vm->lock);
		if (!g->iot)
			return -ENOMEM;
	}
	return pci_iothread_watch(g->iot, fd, cb, arg);
}

static int g_watch_input(void *o, int fd, void (*cb)(void *arg, uint64_t count), void *arg)
{
	struct pci_glue *g = o;

	if (!g->iot) {
		g->iot = pci_iothread_new(&g->vm->lock);
		if (!g->iot)
			return -ENOMEM;
	}
	return pci_iothread_watch_input(g->iot, fd, cb, arg);
}

static void g_unwatch(void *o, int fd)
{
	struct pci_glue *g = o;

	if (g->iot)
		pci_iothread_unwatch(g->iot, fd);
}

static uint64_t g_exit_count(void *o, bool mmio)
{
	struct vm *vm = vmof(o);

	return atomic_load(mmio ? &vm->stats.exits_mmio : &vm->stats.exits_io);
}

void pci_glue_ops(struct pci_glue *g, struct pci_host_ops *ops)
{
	*ops = (struct pci_host_ops){
		.map_io = g_map_io, .unmap_io = g_unmap_io,
		.map_ram = g_map_ram, .unmap_ram = g_unmap_ram,
		.mem_free = g_mem_free, .intx_set = g_intx,
		.route_alloc = g_route_alloc, .route_set = g_route_set,
		.route_free = g_route_free, .route_commit = g_route_commit,
		.irqfd = g_irqfd, .signal_msi = g_signal_msi, .ioeventfd = g_ioeventfd,
		.dma_read = g_dma_read, .dma_write = g_dma_write,
		.watch_fd = g_watch, .unwatch_fd = g_unwatch, .watch_input = g_watch_input,
		.exit_count = g_exit_count,
		.bar_failed = g_bar_failed,
		.opaque = g,
	};
}
