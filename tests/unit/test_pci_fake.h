/* test_pci_fake.h - a fake pci_host_ops for the PCI unit tests: records bus mappings, memory
 * slots, INTx levels, GSI routes, irqfds and ioeventfds instead of calling KVM. */
#ifndef TEST_PCI_FAKE_H
#define TEST_PCI_FAKE_H

#include <string.h>
#include "pci/pci_dev.h"

#define FAKE_MAX 64

struct fake_map {
	bool live, mmio, ram;
	uint64_t base, len;
	bus_io_fn fn;
	void *arg;
};

struct fake_ioev {
	bool live, pio;
	int fd;
	uint64_t addr;
	unsigned len;
	int64_t datamatch;
};

struct fake {
	struct fake_map maps[FAKE_MAX];
	int intx[24];
	unsigned intx_calls;
	bool gsi_used[64];
	struct msi_msg route[64];
	bool route_live[64];
	int irqfd_of[64];		/* fd bound to gsi, -1 none */
	unsigned commits, route_sets, route_allocs, signals;
	struct msi_msg last_signal;
	struct fake_ioev ioev[FAKE_MAX];
	uint8_t ram[1 << 16];		/* guest RAM: gpa 0x10000 .. 0x20000 */
	int ioev_fail;
	int ram_fail;			/* map_ram fails after this many more successes (0: never) */
	unsigned bar_failed;		/* bar_failed calls */
	int bar_failed_err, bar_failed_index;
	uint64_t bar_failed_addr;
};

static inline struct fake_map *fake_find(struct fake *f, bool mmio, uint64_t addr)
{
	for (int i = 0; i < FAKE_MAX; i++)
		if (f->maps[i].live && f->maps[i].mmio == mmio && addr >= f->maps[i].base &&
		    addr < f->maps[i].base + f->maps[i].len)
			return &f->maps[i];
	return NULL;
}

static inline struct fake_map *fake_find_kind(struct fake *f, bool ram, uint64_t addr)
{
	for (int i = 0; i < FAKE_MAX; i++)
		if (f->maps[i].live && f->maps[i].mmio && f->maps[i].ram == ram &&
		    addr >= f->maps[i].base && addr < f->maps[i].base + f->maps[i].len)
			return &f->maps[i];
	return NULL;
}

static inline int fake_nmaps(struct fake *f)
{
	int n = 0;

	for (int i = 0; i < FAKE_MAX; i++)
		n += f->maps[i].live;
	return n;
}

static int fake_add(struct fake *f, bool mmio, bool ram, uint64_t base, uint64_t len,
		    bus_io_fn fn, void *arg)
{
	for (int i = 0; i < FAKE_MAX; i++) {
		/* Like KVM and bus.c: slots may cover trapped ranges, not other slots. */
		if (f->maps[i].live && f->maps[i].mmio == mmio && f->maps[i].ram == ram &&
		    base < f->maps[i].base + f->maps[i].len && f->maps[i].base < base + len)
			return -EEXIST;
	}
	for (int i = 0; i < FAKE_MAX; i++) {
		if (!f->maps[i].live) {
			f->maps[i] = (struct fake_map){ true, mmio, ram, base, len, fn, arg };
			return i;
		}
	}
	return -ENOSPC;
}

static int fake_map_io(void *o, bool mmio, uint64_t base, uint64_t len, bus_io_fn fn, void *arg,
		       const char *name)
{
	(void)name;
	int r = fake_add(o, mmio, false, base, len, fn, arg);

	return r < 0 ? r : 0;
}

static void fake_unmap_io(void *o, bool mmio, uint64_t base)
{
	struct fake *f = o;

	for (int i = 0; i < FAKE_MAX; i++)
		if (f->maps[i].live && f->maps[i].mmio == mmio && f->maps[i].base == base)
			f->maps[i].live = false;
}

static int fake_map_ram(void *o, uint64_t gpa, uint64_t size, void *hva)
{
	struct fake *f = o;

	(void)hva;
	if (f->ram_fail && --f->ram_fail == 0)
		return -ENOSPC;
	return fake_add(o, true, true, gpa, size, NULL, NULL);
}

static void fake_unmap_ram(void *o, int slot)
{
	((struct fake *)o)->maps[slot].live = false;
}

/* RAM below 3 GiB, reserved [0xFEC00000, 4 GiB), like a 3 GiB guest. */
static bool fake_mem_free(void *o, uint64_t gpa, uint64_t len)
{
	(void)o;
	if (gpa < 0xc0000000ULL)
		return false;
	return !(gpa < 0x100000000ULL && gpa + len > 0xfec00000ULL);
}

static void fake_intx(void *o, unsigned pin, int level)
{
	struct fake *f = o;

	f->intx[pin] = level;
	f->intx_calls++;
}

static int fake_route_alloc(void *o, const struct msi_msg *m)
{
	struct fake *f = o;

	for (int g = 24; g < 64; g++) {
		if (!f->gsi_used[g]) {
			f->gsi_used[g] = true;
			f->route[g] = *m;
			f->route_allocs++;
			return g;
		}
	}
	return -ENOSPC;
}

static int fake_route_set(void *o, unsigned gsi, const struct msi_msg *m)
{
	struct fake *f = o;

	f->route[gsi] = *m;
	f->route_sets++;
	return 0;
}

static void fake_route_free(void *o, unsigned gsi)
{
	((struct fake *)o)->gsi_used[gsi] = false;
}

static int fake_commit(void *o)
{
	((struct fake *)o)->commits++;
	return 0;
}

static int fake_irqfd(void *o, int fd, unsigned gsi, bool deassign)
{
	struct fake *f = o;

	f->irqfd_of[gsi] = deassign ? -1 : fd;
	return 0;
}

static int fake_signal(void *o, const struct msi_msg *m)
{
	struct fake *f = o;

	f->signals++;
	f->last_signal = *m;
	return 0;
}

static int fake_ioeventfd(void *o, int fd, uint64_t addr, unsigned len, bool pio,
			  int64_t datamatch, bool deassign)
{
	struct fake *f = o;

	if (f->ioev_fail)
		return -ENOSYS;
	for (int i = 0; i < FAKE_MAX; i++) {
		struct fake_ioev *e = &f->ioev[i];

		if (deassign && e->live && e->fd == fd && e->addr == addr) {
			e->live = false;
			return 0;
		}
		if (!deassign && !e->live) {
			*e = (struct fake_ioev){ true, pio, fd, addr, len, datamatch };
			return 0;
		}
	}
	return -ENOENT;
}

static int fake_dma_read(void *o, uint64_t gpa, void *buf, uint64_t len)
{
	struct fake *f = o;

	if (gpa < 0x10000 || gpa - 0x10000 > sizeof(f->ram) || len > sizeof(f->ram) - (gpa - 0x10000))
		return -EFAULT;
	memcpy(buf, f->ram + gpa - 0x10000, len);
	return 0;
}

static int fake_dma_write(void *o, uint64_t gpa, const void *buf, uint64_t len)
{
	struct fake *f = o;

	if (gpa < 0x10000 || gpa - 0x10000 > sizeof(f->ram) || len > sizeof(f->ram) - (gpa - 0x10000))
		return -EFAULT;
	memcpy(f->ram + gpa - 0x10000, buf, len);
	return 0;
}

static void fake_bar_failed(void *o, const struct pci_bar *bar, uint64_t addr, int err)
{
	struct fake *f = o;

	f->bar_failed++;
	f->bar_failed_err = err;
	f->bar_failed_index = bar->index;
	f->bar_failed_addr = addr;
}

static inline void fake_ops(struct fake *f, struct pci_host_ops *o)
{
	memset(f, 0, sizeof(*f));
	for (int i = 0; i < 64; i++)
		f->irqfd_of[i] = -1;
	*o = (struct pci_host_ops){
		.map_io = fake_map_io, .unmap_io = fake_unmap_io,
		.map_ram = fake_map_ram, .unmap_ram = fake_unmap_ram,
		.mem_free = fake_mem_free, .intx_set = fake_intx,
		.route_alloc = fake_route_alloc, .route_set = fake_route_set,
		.route_free = fake_route_free, .route_commit = fake_commit,
		.irqfd = fake_irqfd, .signal_msi = fake_signal, .ioeventfd = fake_ioeventfd,
		.dma_read = fake_dma_read, .dma_write = fake_dma_write,
		.bar_failed = fake_bar_failed, .opaque = f,
	};
}

/* Config cycles through 0xCF8/0xCFC the way a guest makes them. */
static inline uint32_t cfg_rd(struct pci_bus *b, unsigned slot, unsigned fn, unsigned reg,
			      unsigned len)
{
	uint32_t a = 0x80000000u | slot << 11 | fn << 8 | (reg & 0xfc), v = 0;

	pci_host_io(b, 0, &a, 4, true);
	pci_host_io(b, 4 + (reg & 3), &v, len, false);
	return v;
}

static inline void cfg_wr(struct pci_bus *b, unsigned slot, unsigned fn, unsigned reg,
			  unsigned len, uint32_t v)
{
	uint32_t a = 0x80000000u | slot << 11 | fn << 8 | (reg & 0xfc);

	pci_host_io(b, 0, &a, 4, true);
	pci_host_io(b, 4 + (reg & 3), &v, len, true);
}

/* The config-space tests' bus: @b on the fake host @f (64-bit window from 8 GiB), its host
 * bridge at slot 0 and a plain function (1234:5678, class 0xff, no ops) attached at @slot,
 * BARs still to be given. The function, or NULL if a step failed. */
static inline struct pci_dev *fake_bus_function(struct fake *f, struct pci_bus *b, unsigned slot)
{
	struct pci_host_ops o;
	struct pci_dev *d;

	fake_ops(f, &o);
	pci_bus_init(b, &o, 0x100000000ULL * 2);
	if (pci_host_bridge_create(b))
		return NULL;
	d = pci_dev_new(0x1234, 0x5678, 0xff000001, NULL, NULL);
	if (!d || pci_dev_attach(b, d, slot, 0))
		return NULL;
	return d;
}

#endif
