/* bar.c - Base Address Registers (PCI Local Bus 3.0 §6.2.5): declaration and sizing masks,
 * vfvm's initial placement, and (re)mapping whenever the guest moves a BAR or flips Command.
 * The parts with regions inside BARs (MSI-X, doorbells) are reached through struct pci_part. */
#include <errno.h>
#include <string.h>
#include "pci_dev.h"

static const struct pci_part bar_part;

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static unsigned bar_reg(int i)
{
	return i == PCI_ROM_BAR ? PCI_ROM : PCI_BAR0 + 4 * i;
}

int pci_bar_init(struct pci_dev *d, int i, uint8_t flags, uint64_t size, void *ram)
{
	bool io = flags & PCI_BAR_IO, m64 = flags & PCI_BAR_MEM64;
	uint64_t mask = ~(size - 1);

	if (i < 0 || i >= PCI_NUM_BARS || (m64 && i + 1 >= PCI_NUM_BARS) || !is_pow2(size))
		return -EINVAL;
	if (d->bars[i].size || (i > 0 && (d->bars[i - 1].flags & PCI_BAR_MEM64)) ||
	    (m64 && d->bars[i + 1].size))
		return -EEXIST;
	if (io && (m64 || (flags & PCI_BAR_PREFETCH) || ram || size < 4 || size > 0x4000))
		return -EINVAL;
	/* §6.2.5.1: memory BARs are at least 16 bytes; a 32-bit one at most 2 GiB. */
	if (!io && (size < 16 || (!m64 && size > (1ULL << 31))))
		return -EINVAL;
	/* A memory slot maps whole pages. */
	if (ram && size < 4096)
		return -EINVAL;
	pci_part_add(d, PCI_PART_BAR, &bar_part);
	d->bars[i].size = size;
	d->bars[i].flags = flags & (PCI_BAR_IO | PCI_BAR_MEM64 | PCI_BAR_PREFETCH);
	d->bars[i].ram = ram;
	pci_cfg_set(d, bar_reg(i), 4, d->bars[i].flags);
	pci_wmask_set(d, bar_reg(i), 4, (uint32_t)mask & (io ? ~3u : ~15u));
	if (m64) {
		pci_cfg_set(d, bar_reg(i + 1), 4, 0);
		pci_wmask_set(d, bar_reg(i + 1), 4, mask >> 32);
	}
	return 0;
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

bool pci_bar_ram_overlaps(const struct pci_dev *d, int i, uint64_t off, uint64_t len)
{
	const struct pci_bar *bar = &d->bars[i];

	for (unsigned k = 0; k < bar->nsub; k++)
		if (ranges_overlap(off, len, bar->sub[k].off, bar->sub[k].size))
			return true;
	return false;
}

/* Does a part need [off, off+len) of BAR @i to keep trapping (MSI-X structures, doorbells)? */
static bool part_traps(const struct pci_dev *d, int i, uint64_t off, uint64_t len)
{
	for (int id = 0; id < PCI_PARTS; id++)
		if (d->parts[id] && d->parts[id]->bar_traps &&
		    d->parts[id]->bar_traps(d, i, off, len))
			return true;
	return false;
}

int pci_bar_add_ram(struct pci_dev *d, int i, uint64_t off, uint64_t size, void *hva)
{
	struct pci_bar *bar;

	if (i < 0 || i >= PCI_NUM_BARS || !hva)
		return -EINVAL;
	bar = &d->bars[i];
	if (!bar->size || bar->ram || (bar->flags & PCI_BAR_IO) || bar->size < 4096 ||
	    !size || ((off | size | (uintptr_t)hva) & 4095) || off >= bar->size ||
	    size > bar->size - off || pci_bar_ram_overlaps(d, i, off, size))
		return -EINVAL;
	if (part_traps(d, i, off, size))
		return -EINVAL;
	if (bar->nsub >= PCI_BAR_MAX_RAM)
		return -ENOSPC;
	bar->sub[bar->nsub++] = (struct pci_bar_ram){ off, size, hva, -1 };
	return 0;
}

int pci_rom_init(struct pci_dev *d, uint64_t size, const uint8_t *data)
{
	if (!is_pow2(size) || size < 2048 || size > (16u << 20) || !data)
		return -EINVAL;
	pci_part_add(d, PCI_PART_BAR, &bar_part);
	d->bars[PCI_ROM_BAR].size = size;
	d->bars[PCI_ROM_BAR].rom = data;
	/* §6.2.5.2: address bits 31:11 and the enable bit 0 are writable. */
	pci_wmask_set(d, PCI_ROM, 4, ((uint32_t)~(size - 1) & 0xfffff800u) | PCI_ROM_ENABLE);
	return 0;
}

uint64_t pci_bar_addr(const struct pci_dev *d, int i)
{
	uint32_t lo = pci_cfg_get(d, bar_reg(i), 4);
	const struct pci_bar *bar = &d->bars[i];

	if (i == PCI_ROM_BAR)
		return lo & 0xfffff800u;
	if (bar->flags & PCI_BAR_IO)
		return lo & ~3u;
	if (bar->flags & PCI_BAR_MEM64)
		return (lo & ~15ULL) | ((uint64_t)pci_cfg_get(d, bar_reg(i + 1), 4) << 32);
	return lo & ~15u;
}

static void bar_addr_set(struct pci_dev *d, int i, uint64_t a)
{
	struct pci_bar *bar = &d->bars[i];

	if (i == PCI_ROM_BAR) {
		pci_cfg_set(d, PCI_ROM, 4, (uint32_t)a);
		return;
	}
	pci_cfg_set(d, bar_reg(i), 4, (uint32_t)a | bar->flags);
	if (bar->flags & PCI_BAR_MEM64)
		pci_cfg_set(d, bar_reg(i + 1), 4, a >> 32);
}

static int place(uint64_t *next, uint64_t end, uint64_t size, uint64_t *out)
{
	uint64_t a = (*next + size - 1) & ~(size - 1);

	if (a < *next || a + size > end || a + size < a)
		return -ENOSPC;
	*out = a;
	*next = a + size;
	return 0;
}

int pci_dev_place_bars(struct pci_dev *d)
{
	struct pci_bus *b = d->bus;

	for (int i = 0; i <= PCI_NUM_BARS; i++) {
		struct pci_bar *bar = &d->bars[i];
		uint64_t a;
		int r;

		if (!bar->size)
			continue;
		/*
		 * 64-bit prefetchable BARs go above 4 GiB, as firmware does (§6.2.5.1); other
		 * memory BARs below, where a bridge's non-prefetchable window (32-bit only) can
		 * reach them. A 64-bit non-prefetchable BAR that does not fit below 4 GiB goes
		 * above (a root-bus device needs no bridge window).
		 */
		if (bar->flags & PCI_BAR_IO)
			r = place(&b->io_next, b->io_end, bar->size, &a);
		else if ((bar->flags & PCI_BAR_MEM64) && (bar->flags & PCI_BAR_PREFETCH))
			r = place(&b->mem64_next, b->mem64_end, bar->size, &a);
		else if ((r = place(&b->mem32_next, b->mem32_end, bar->size, &a)) &&
			 (bar->flags & PCI_BAR_MEM64))
			r = place(&b->mem64_next, b->mem64_end, bar->size, &a);
		if (r)
			return r;
		bar_addr_set(d, i, a);
	}
	return 0;
}

/* What should BAR @bar decode now? False: nothing (disabled, unprogrammed, or absurd). */
static bool bar_want(const struct pci_bar *bar, uint64_t *addr)
{
	const struct pci_dev *d = bar->dev;
	uint16_t cmd = pci_cfg_get(d, PCI_COMMAND, 2);
	uint32_t lo, lomask;
	uint64_t a;

	if (!bar->size)
		return false;
	if (bar->index == PCI_ROM_BAR) {
		/* §6.2.5.2: the ROM decodes only with both Memory Space and ROM enable set. */
		if (!(cmd & PCI_CMD_MEM) || !(d->cfg[PCI_ROM] & PCI_ROM_ENABLE))
			return false;
	} else if (!(cmd & ((bar->flags & PCI_BAR_IO) ? PCI_CMD_IO : PCI_CMD_MEM))) {
		return false;
	}
	a = pci_bar_addr(d, bar->index);
	if (!a || a + bar->size < a)
		return false;
	/*
	 * All writable address bits of the low dword set: the guest is half-way through sizing
	 * (PCI 3.0 §6.2.5.1); never map that (for a 32-bit BAR it would end at 4 GiB).
	 */
	lo = pci_cfg_get(d, bar_reg(bar->index), 4);
	memcpy(&lomask, &d->wmask[bar_reg(bar->index)], 4);	/* little-endian host */
	if (bar->index == PCI_ROM_BAR)
		lomask &= ~(uint32_t)PCI_ROM_ENABLE;
	if (lomask && (lo & lomask) == lomask)
		return false;
	if (bar->flags & PCI_BAR_IO) {
		if (a + bar->size > 0x10000)	/* x86 port space is 64 KiB */
			return false;
	} else if (a + bar->size > d->bus->addr_limit) {
		return false;
	}
	*addr = a;
	return true;
}

static bool same_space(const struct pci_bar *x, const struct pci_bar *y)
{
	return !(x->flags & PCI_BAR_IO) == !(y->flags & PCI_BAR_IO);
}

#define BARS_PER_FN (PCI_NUM_BARS + 1)

/* Walk every implemented BAR (and ROM) on the bus: *pos starts at 0; NULL at the end. */
static struct pci_bar *bar_next(struct pci_bus *b, unsigned *pos)
{
	for (; *pos < PCI_SLOTS * PCI_FUNCS * BARS_PER_FN; (*pos)++) {
		unsigned fn = *pos / BARS_PER_FN, i = *pos % BARS_PER_FN;
		struct pci_dev *d = b->devs[fn / PCI_FUNCS][fn % PCI_FUNCS];

		if (!d) {
			*pos = (fn + 1) * BARS_PER_FN - 1;	/* skip the empty function */
			continue;
		}
		if (d->bars[i].size) {
			(*pos)++;
			return &d->bars[i];
		}
	}
	return NULL;
}

/* Does [a, a+size) collide with an active BAR (other than @self) of the same space? */
static bool bar_conflict(struct pci_bus *b, const struct pci_bar *self, uint64_t a)
{
	const struct pci_bar *o;

	for (unsigned p = 0; (o = bar_next(b, &p));) {
		if (o == self || !o->mapped || !same_space(o, self))
			continue;
		if (a < o->mapped_addr + o->size && o->mapped_addr < a + self->size)
			return true;
	}
	return false;
}

/* kind "bar": a trapped access, after it was handled (@by: who took it; docs/trace.md). */
static void trace_access(const struct pci_bar *bar, uint64_t off, const void *data,
			 unsigned len, bool is_write, const char *by)
{
	uint64_t v = 0;

	memcpy(&v, data, len < sizeof(v) ? len : sizeof(v));
	pci_trace(bar->dev, TRACE_BAR, "\"ev\":\"access\",\"bar\":%d,\"op\":\"%s\",\"off\":\"%#llx\","
		  "\"size\":%u,\"val\":\"%#llx\",\"by\":\"%s\"", bar->index,
		  is_write ? "write" : "read", (unsigned long long)off, len,
		  (unsigned long long)v, by);
}

/* kind "bar": a BAR starts or stops decoding at @a (@r: 0 or why it could not). */
static void trace_map(const struct pci_bar *bar, const char *ev, uint64_t a, int r)
{
	pci_trace(bar->dev, TRACE_BAR, "\"ev\":\"%s\",\"bar\":%d,\"addr\":\"%#llx\","
		  "\"size\":\"%#llx\",\"space\":\"%s\",\"backing\":\"%s\",\"ram_parts\":%u,"
		  "\"result\":%d", ev, bar->index, (unsigned long long)a,
		  (unsigned long long)bar->size, bar->flags & PCI_BAR_IO ? "io" : "mem",
		  bar->ram ? "ram" : bar->index == PCI_ROM_BAR ? "rom" : "trap", bar->nsub, r);
}

/* The bus handler of every trapped BAR: the parts' regions (MSI-X) first, then the device. */
static void bar_io(void *opaque, uint64_t off, void *data, unsigned len, bool is_write)
{
	struct pci_bar *bar = opaque;
	struct pci_dev *d = bar->dev;

	if (bar->index == PCI_ROM_BAR) {
		/* Read-only contents; writes are dropped (§6.3.1). */
		if (!is_write) {
			if (off < bar->size && len <= bar->size - off)
				memcpy(data, bar->rom + off, len);
			else
				memset(data, 0xff, len);
		}
		return;
	}
	for (int id = 0; id < PCI_PARTS; id++)
		if (d->parts[id] && d->parts[id]->bar_access &&
		    d->parts[id]->bar_access(d, bar->index, off, data, len, is_write)) {
			if (trace_unlikely(d->bus->trace))
				trace_access(bar, off, data, len, is_write, id == PCI_PART_MSI ?
					     "msix" : "part");
			return;
		}
	if (d->ops && d->ops->bar_access)
		d->ops->bar_access(d, bar->index, off, data, len, is_write);
	else if (!is_write)
		memset(data, 0xff, len);
	if (trace_unlikely(d->bus->trace))
		trace_access(bar, off, data, len, is_write, d->ops && d->ops->bar_access ?
			     "device" : "unclaimed");
}

void pci_bar_io(struct pci_bar *bar, uint64_t off, void *data, unsigned len, bool is_write)
{
	bar_io(bar, off, data, len, is_write);
}

static void subs_unmap(struct pci_bus *b, struct pci_bar *bar)
{
	struct pci_host_ops *o = &b->ops;

	for (unsigned k = 0; k < bar->nsub; k++) {
		if (bar->sub[k].slot >= 0 && o->unmap_ram)
			o->unmap_ram(o->opaque, bar->sub[k].slot);
		bar->sub[k].slot = -1;
	}
}

/* The RAM-backed parts of a trapped BAR: slots over the trapped range (slots win in KVM). */
static int subs_map(struct pci_bus *b, struct pci_bar *bar, uint64_t a)
{
	struct pci_host_ops *o = &b->ops;

	for (unsigned k = 0; k < bar->nsub && o->map_ram; k++) {
		int r = o->map_ram(o->opaque, a + bar->sub[k].off, bar->sub[k].size,
				   bar->sub[k].hva);

		if (r < 0) {
			subs_unmap(b, bar);
			return r;
		}
		bar->sub[k].slot = r;
	}
	return 0;
}

static int bar_map(struct pci_bus *b, struct pci_bar *bar, uint64_t a)
{
	struct pci_host_ops *o = &b->ops;
	bool io = bar->flags & PCI_BAR_IO;
	int r = 0;

	if (!io && o->mem_free && !o->mem_free(o->opaque, a, bar->size))
		return -EBUSY;
	if (bar->ram) {
		r = o->map_ram ? o->map_ram(o->opaque, a, bar->size, bar->ram) : 0;
		if (r < 0)
			return r;
		bar->slot = r;
	} else {
		if (o->map_io) {
			r = o->map_io(o->opaque, !io, a, bar->size, bar_io, bar, bar->dev->name);
			if (r < 0)
				return r;
		}
		r = subs_map(b, bar, a);
		if (r < 0) {
			if (o->unmap_io)
				o->unmap_io(o->opaque, !io, a);
			return r;
		}
	}
	bar->mapped = true;
	bar->mapped_addr = a;
	return 0;
}

static void bar_unmap(struct pci_bus *b, struct pci_bar *bar)
{
	struct pci_host_ops *o = &b->ops;

	if (!bar->mapped)
		return;
	if (bar->ram) {
		if (o->unmap_ram && bar->slot >= 0)
			o->unmap_ram(o->opaque, bar->slot);
		bar->slot = -1;
	} else {
		subs_unmap(b, bar);
		if (o->unmap_io)
			o->unmap_io(o->opaque, !(bar->flags & PCI_BAR_IO), bar->mapped_addr);
	}
	bar->mapped = false;
}

/* Tell @d's parts (doorbells) that its BARs moved. */
static void bars_moved(struct pci_dev *d)
{
	for (int id = 0; id < PCI_PARTS; id++)
		if (d->parts[id] && d->parts[id]->bars_moved)
			d->parts[id]->bars_moved(d);
}

/* Bus teardown: unmap every BAR of @d. */
static void bars_destroy(struct pci_dev *d)
{
	for (int i = 0; i <= PCI_NUM_BARS; i++)
		bar_unmap(d->bus, &d->bars[i]);
	bars_moved(d);
}

/*
 * Map a BAR the guest decodes. Over RAM or another device (-EBUSY) it stays off by design, as
 * a colliding BAR does; any other failure is the host's (no KVM slot left, no memory) and is
 * reported through bar_failed, never dropped (issue 16 item 5).
 */
static void bar_try_map(struct pci_bus *b, struct pci_bar *bar, uint64_t a)
{
	int r = bar_map(b, bar, a);

	if (trace_unlikely(b->trace))
		trace_map(bar, "map", a, r);
	if (r && r != -EBUSY && b->ops.bar_failed)
		b->ops.bar_failed(b->ops.opaque, bar, a, r);
}

void pci_bus_remap(struct pci_bus *b)
{
	struct pci_bar *bar;
	uint64_t a;
	unsigned p;

	/* First take down what moved or was disabled, so that its old range is free ... */
	for (p = 0; (bar = bar_next(b, &p));)
		if (bar->mapped && (!bar_want(bar, &a) || a != bar->mapped_addr)) {
			if (trace_unlikely(b->trace))
				trace_map(bar, "unmap", bar->mapped_addr, 0);
			bar_unmap(b, bar);
		}
	/* ... then map what is wanted; a BAR colliding with an active one stays off. */
	for (p = 0; (bar = bar_next(b, &p));)
		if (!bar->mapped && bar_want(bar, &a) && !bar_conflict(b, bar, a))
			bar_try_map(b, bar, a);
	for (unsigned s = 0; s < PCI_SLOTS; s++)
		for (unsigned f = 0; f < PCI_FUNCS; f++)
			if (b->devs[s][f])
				bars_moved(b->devs[s][f]);
}

static bool overlaps(unsigned off, unsigned len, unsigned start, unsigned size)
{
	return off < start + size && start < off + len;
}

/* A BAR, the ROM BAR or Command's decode bits written: the bus decodes anew (§6.2.2). */
static void bars_cfg_written(struct pci_dev *d, unsigned off, unsigned len, uint16_t old_cmd)
{
	bool decode = overlaps(off, len, PCI_COMMAND, 2) &&
		      ((pci_cfg_get(d, PCI_COMMAND, 2) ^ old_cmd) & (PCI_CMD_IO | PCI_CMD_MEM));

	if (decode || overlaps(off, len, PCI_BAR0, 24) || overlaps(off, len, PCI_ROM, 4))
		pci_bus_remap(d->bus);
}

static const struct pci_part bar_part = {
	.cfg_written = bars_cfg_written,
	.bus_reset = pci_bus_remap,
	.destroy = bars_destroy,
};
