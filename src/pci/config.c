/* config.c - the PCI bus and configuration space model: functions on bus 0, per-byte write
 * masks (RO/RW/W1C), Command/Status semantics, the capability list and INTx wiring. BARs, MSI
 * and doorbells are parts it reaches only through their hooks (struct pci_part). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "pci_dev.h"

void pci_bus_init(struct pci_bus *b, const struct pci_host_ops *ops, uint64_t mem64_start)
{
	memset(b, 0, sizeof(*b));
	if (ops)
		b->ops = *ops;
	/*
	 * Initial placement windows. I/O: 0xC000-0xFFFF, above every legacy ISA port. 32-bit:
	 * the PCI hole up to the I/O APIC. 64-bit: from mem_pci64_start(), 64 GiB until pci_bus_set_phys_bits() widens it.
	 */
	b->io_next = 0xc000;
	b->io_end = 0x10000;
	b->mem32_next = 0xc0000000ULL;
	b->mem32_end = 0xfec00000ULL;
	b->mem64_next = mem64_start;
	b->mem64_end = mem64_start + (64ULL << 30);
	/* Memory BARs decode only below this (40-bit guest-physical addresses, 1 TiB). */
	b->addr_limit = 1ULL << 40;
	if (b->addr_limit < b->mem64_end)
		b->addr_limit = b->mem64_end;
}

void pci_bus_set_phys_bits(struct pci_bus *b, unsigned bits)
{
	uint64_t top;

	if (bits < 32 || bits > 52)
		return;		/* not a usable width (52: the architectural maximum) */
	top = 1ULL << bits;
	if (top <= b->mem64_next)
		return;
	b->mem64_end = top;
	b->addr_limit = top;
}

void pci_bus_destroy(struct pci_bus *b)
{
	for (unsigned s = 0; s < PCI_SLOTS; s++) {
		for (unsigned f = 0; f < PCI_FUNCS; f++) {
			struct pci_dev *d = b->devs[s][f];

			if (!d)
				continue;
			/* MSI routes released, then BARs unmapped, then doorbells closed. */
			for (int id = 0; id < PCI_PARTS; id++)
				if (d->parts[id] && d->parts[id]->destroy)
					d->parts[id]->destroy(d);
			if (d->ops && d->ops->destroy)
				d->ops->destroy(d);
			b->devs[s][f] = NULL;
			free(d);
		}
	}
}

uint32_t pci_cfg_get(const struct pci_dev *d, unsigned off, unsigned len)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < len && off + i < PCI_CFG_EXT_SIZE; i++)
		v |= (uint32_t)d->cfg[off + i] << (8 * i);
	return v;
}

static void bytes_set(uint8_t *a, unsigned off, unsigned len, uint32_t v)
{
	for (unsigned i = 0; i < len && off + i < PCI_CFG_EXT_SIZE; i++)
		a[off + i] = v >> (8 * i);
}

void pci_cfg_set(struct pci_dev *d, unsigned off, unsigned len, uint32_t v)
{
	bytes_set(d->cfg, off, len, v);
}

void pci_wmask_set(struct pci_dev *d, unsigned off, unsigned len, uint32_t v)
{
	bytes_set(d->wmask, off, len, v);
}

void pci_w1c_set(struct pci_dev *d, unsigned off, unsigned len, uint32_t v)
{
	bytes_set(d->w1c, off, len, v);
}

struct pci_dev *pci_dev_new(uint16_t vendor, uint16_t device, uint32_t class_rev,
			    const struct pci_dev_ops *ops, void *priv)
{
	struct pci_dev *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->ops = ops;
	d->priv = priv;
	d->host_bdf = TRACE_NO_HOST;
	d->cap_next = 0x40;
	d->msix.table_bar = d->msix.pba_bar = -1;
	for (int i = 0; i <= PCI_NUM_BARS; i++) {
		d->bars[i].dev = d;
		d->bars[i].index = i;
		d->bars[i].slot = -1;
	}
	pci_cfg_set(d, PCI_VENDOR_ID, 2, vendor);
	pci_cfg_set(d, PCI_DEVICE_ID, 2, device);
	pci_cfg_set(d, PCI_REVISION, 4, class_rev);
	/* §6.2.2: the Command bits a simple function implements; the rest are hardwired 0. */
	pci_wmask_set(d, PCI_COMMAND, 2, PCI_CMD_IO | PCI_CMD_MEM | PCI_CMD_MASTER |
		      PCI_CMD_PARITY | PCI_CMD_SERR | PCI_CMD_INTX_DISABLE);
	/* §6.2.3: error bits of Status are RW1C, the rest read-only. */
	pci_w1c_set(d, PCI_STATUS, 2, PCI_STS_W1C);
	pci_wmask_set(d, PCI_CACHE_LINE, 1, 0xff);
	pci_wmask_set(d, PCI_LATENCY, 1, 0xff);
	/* §6.2.4: Interrupt Line is a scratch register for the OS. */
	pci_wmask_set(d, PCI_INT_LINE, 1, 0xff);
	return d;
}

void pci_part_add(struct pci_dev *d, enum pci_part_id id, const struct pci_part *p)
{
	d->parts[id] = p;
	if (d->bus)
		d->bus->parts[id] = p;
}

int pci_dev_attach(struct pci_bus *b, struct pci_dev *d, unsigned slot, unsigned fn)
{
	if (slot >= PCI_SLOTS || fn >= PCI_FUNCS)
		return -EINVAL;
	if (b->devs[slot][fn])
		return -EEXIST;
	d->bus = b;
	d->slot = slot;
	d->fn = fn;
	b->devs[slot][fn] = d;
	for (int id = 0; id < PCI_PARTS; id++)
		if (d->parts[id])
			b->parts[id] = d->parts[id];
	return 0;
}

int pci_bus_free_slot(const struct pci_bus *b)
{
	for (unsigned s = 1; s < PCI_SLOTS; s++)
		if (!b->devs[s][0])
			return s;
	return -ENOSPC;
}

struct pci_dev *pci_bus_lookup(const struct pci_bus *b, unsigned bdf)
{
	unsigned bus = bdf >> 8, slot = (bdf >> 3) & 31, fn = bdf & 7;
	struct pci_dev *f0;

	if (bus != 0)
		return NULL;
	f0 = b->devs[slot][0];
	if (!f0)
		return NULL;
	/* §6.2.1: functions 1-7 exist only if function 0 says it is multi-function. */
	if (fn && !(f0->cfg[PCI_HEADER_TYPE] & PCI_HDR_MULTIFUNC))
		return NULL;
	return b->devs[slot][fn];
}

static bool overlaps(unsigned off, unsigned len, unsigned start, unsigned size)
{
	return off < start + size && start < off + len;
}

static void cfg_write_bytes(struct pci_dev *d, unsigned off, unsigned len, uint32_t val)
{
	for (unsigned i = 0; i < len; i++) {
		uint8_t v = val >> (8 * i), wm = d->wmask[off + i], c = d->w1c[off + i];

		d->cfg[off + i] = (d->cfg[off + i] & ~wm) | (v & wm);
		d->cfg[off + i] &= ~(v & c);
	}
}

static const char *const cfg_how_names[] = {
	[PCI_CFG_EMULATED] = "emulated", [PCI_CFG_DEVICE] = "device",
	[PCI_CFG_READONLY] = "read-only", [PCI_CFG_DROPPED] = "dropped",
};

/* kind "cfg": one event per config access that reached a function (docs/trace.md). */
static void trace_cfg(struct pci_dev *d, unsigned off, unsigned len, uint32_t v, bool is_write)
{
	pci_trace(d, TRACE_CFG, "\"op\":\"%s\",\"off\":%u,\"size\":%u,\"val\":\"%#x\",\"how\":\"%s\"",
		  is_write ? "write" : "read", off, len, v,
		  cfg_how_names[d->cfg_how <= PCI_CFG_DROPPED ? d->cfg_how : PCI_CFG_EMULATED]);
}

static bool cfg_writable(const struct pci_dev *d, unsigned off, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		if (d->wmask[off + i] | d->w1c[off + i])
			return true;
	return false;
}

bool pci_config_access(struct pci_bus *b, unsigned bdf, unsigned off, uint32_t *data,
		       unsigned len, bool is_write)
{
	struct pci_dev *d = pci_bus_lookup(b, bdf);
	uint16_t old_cmd;

	if (!d || (len != 1 && len != 2 && len != 4) || off >= PCI_CFG_EXT_SIZE ||
	    (off & 3) + len > 4) {
		if (!is_write)
			*data = len >= 4 ? 0xffffffffu : (1u << (8 * (len & 3))) - 1;
		/* An absent function has no "dev" to name; a bad access to a present one does. */
		if (trace_unlikely(b->trace) && d) {
			d->cfg_how = PCI_CFG_DROPPED;
			trace_cfg(d, off, len, *data, is_write);
		}
		return false;
	}
	/* The device's hooks say PCI_CFG_DEVICE when they pass bytes to or from hardware. */
	d->cfg_how = PCI_CFG_EMULATED;
	if (!is_write) {
		*data = pci_cfg_get(d, off, len);
		if (d->ops && d->ops->cfg_read)
			d->ops->cfg_read(d, off, len, data);
		if (trace_unlikely(b->trace))
			trace_cfg(d, off, len, *data, false);
		return true;
	}
	if (trace_unlikely(b->trace) && !cfg_writable(d, off, len))
		d->cfg_how = PCI_CFG_READONLY;
	old_cmd = pci_cfg_get(d, PCI_COMMAND, 2);
	cfg_write_bytes(d, off, len, *data);
	if (overlaps(off, len, PCI_COMMAND, 2) &&
	    ((pci_cfg_get(d, PCI_COMMAND, 2) ^ old_cmd) & PCI_CMD_INTX_DISABLE))
		pci_intx_set(d, d->intx_level);
	/* The BARs follow Command and BAR writes, MSI(-X) its capabilities' (one dword: never
	 * both in one access). */
	for (int id = 0; id < PCI_PARTS; id++)
		if (d->parts[id] && d->parts[id]->cfg_written)
			d->parts[id]->cfg_written(d, off, len, old_cmd);
	if (d->ops && d->ops->cfg_write)
		d->ops->cfg_write(d, off, len, *data);
	if (trace_unlikely(b->trace))
		trace_cfg(d, off, len, *data, true);
	return true;
}

void pci_cap_place(struct pci_dev *d, unsigned off)
{
	d->cap_at = off;
}

/* The dwords [off, off + size) of config space, one bit each. */
static uint64_t cap_dword_mask(unsigned off, unsigned size)
{
	unsigned first = off / 4, n = (size + 3) / 4;

	return (n >= 64 ? ~0ull : ((1ull << n) - 1)) << first;
}

unsigned pci_cap_add(struct pci_dev *d, uint8_t id, unsigned size)
{
	unsigned off = d->cap_at ? d->cap_at : (d->cap_next + 3) & ~3u;
	uint64_t mask;

	d->cap_at = 0;
	/* Capabilities live above the header, dword aligned (PCI 3.0 §6.7). */
	if (size < 2 || off < PCI_CAP_MIN || (off & 3) || off + size > PCI_CFG_SIZE)
		return 0;
	/* A placed capability may not land on another's bytes: a device whose own list loops or
	 * overlaps (a passed-through one, say) must not make ours loop (PCI 3.0 §6.7). */
	mask = cap_dword_mask(off, size);
	if (d->cap_dwords & mask)
		return 0;
	d->cap_dwords |= mask;
	d->cfg[off] = id;
	d->cfg[off + 1] = 0;
	if (d->cap_last)
		d->cfg[d->cap_last + 1] = off;
	else
		d->cfg[PCI_CAP_PTR] = off;
	d->cap_last = off;
	if (off + size > d->cap_next)
		d->cap_next = off + size;
	d->cfg[PCI_STATUS] |= PCI_STS_CAP_LIST;
	return off;
}

unsigned pci_cap_add_vendor(struct pci_dev *d, const void *data, unsigned len)
{
	/* Vendor-specific (§6.7, Appendix H): ID, next, length of the whole capability, data. */
	unsigned off = pci_cap_add(d, PCI_CAP_ID_VNDR, 3 + len);

	if (!off)
		return 0;
	d->cfg[off + 2] = 3 + len;
	memcpy(d->cfg + off + 3, data, len);
	return off;
}

unsigned pci_cap_find(const struct pci_dev *d, uint8_t id)
{
	unsigned off;

	if (!(d->cfg[PCI_STATUS] & PCI_STS_CAP_LIST))
		return 0;
	off = d->cfg[PCI_CAP_PTR] & ~3u;
	/* At most 48 capabilities fit in 192 bytes: a longer walk is a loop (§6.7). */
	for (int n = 0; n < 48 && off >= 0x40; n++) {
		if (d->cfg[off] == id)
			return off;
		off = d->cfg[off + 1] & ~3u;
	}
	return 0;
}

void pci_dev_seal(struct pci_dev *d)
{
	memcpy(d->cfg_init, d->cfg, PCI_CFG_SIZE);
}

void pci_dev_reset(struct pci_dev *d)
{
	if (d->bus)
		pci_trace(d, TRACE_RESET, "\"ev\":\"vm-reset\"");
	for (int id = 0; id < PCI_PARTS; id++)
		if (d->parts[id] && d->parts[id]->reset)
			d->parts[id]->reset(d);
	pci_intx_set(d, false);
	memcpy(d->cfg, d->cfg_init, PCI_CFG_SIZE);
	if (d->ops && d->ops->reset)
		d->ops->reset(d);
}

void pci_bus_reset(struct pci_bus *b)
{
	b->cf8 = 0;
	for (unsigned s = 0; s < PCI_SLOTS; s++)
		for (unsigned f = 0; f < PCI_FUNCS; f++)
			if (b->devs[s][f])
				pci_dev_reset(b->devs[s][f]);
	/* The BARs decode what the restored Command and BARs say. */
	for (int id = 0; id < PCI_PARTS; id++)
		if (b->parts[id] && b->parts[id]->bus_reset)
			b->parts[id]->bus_reset(b);
}

unsigned pci_intx_route(unsigned slot, unsigned intx)
{
	/*
	 * The PCI-to-PCI Bridge Architecture 1.2 §9.1 swizzle (device + pin) rotated over the
	 * eight pins 16-23 instead of four, so neighbouring slots' INTA# do not share a pin.
	 */
	return PCI_INTX_PIN_BASE + (slot + intx) % PCI_INTX_PINS;
}

void pci_bus_intx_eoi(struct pci_bus *b, unsigned apic_pin)
{
	for (unsigned s = 0; s < PCI_SLOTS; s++) {
		for (unsigned f = 0; f < PCI_FUNCS; f++) {
			struct pci_dev *d = b->devs[s][f];
			unsigned intx = d ? d->cfg[PCI_INT_PIN] : 0;

			if (intx < 1 || intx > 4 || !d->ops || !d->ops->intx_eoi ||
			    pci_intx_route(s, intx - 1) != apic_pin)
				continue;
			d->ops->intx_eoi(d);
		}
	}
}

void pci_intx_pin_set(struct pci_dev *d, unsigned intx)
{
	d->cfg[PCI_INT_PIN] = intx > 4 ? 0 : intx;
	if (d->bus && intx >= 1 && intx <= 4)
		d->cfg[PCI_INT_LINE] = pci_intx_route(d->slot, intx - 1);
}

/* §6.8: a function with MSI or MSI-X enabled must not use INTx. */
static bool intx_held_off(const struct pci_dev *d)
{
	for (int id = 0; id < PCI_PARTS; id++)
		if (d->parts[id] && d->parts[id]->intx_off && d->parts[id]->intx_off(d))
			return true;
	return false;
}

void pci_intx_set(struct pci_dev *d, bool level)
{
	struct pci_bus *b = d->bus;
	unsigned intx = d->cfg[PCI_INT_PIN], pin;
	bool want;

	d->intx_level = level;
	/* §6.2.3: Interrupt Status follows the device's INTx state regardless of INTx Disable. */
	if (level)
		d->cfg[PCI_STATUS] |= PCI_STS_INTX;
	else
		d->cfg[PCI_STATUS] &= ~PCI_STS_INTX;
	want = level && intx >= 1 && intx <= 4 && !intx_held_off(d) &&
	       !(pci_cfg_get(d, PCI_COMMAND, 2) & PCI_CMD_INTX_DISABLE);
	if (want == d->intx_asserted || !b)
		return;
	d->intx_asserted = want;
	pci_trace(d, TRACE_INTX, "\"ev\":\"%s\",\"gsi\":%u", want ? "assert" : "deassert",
		  want ? pci_intx_route(d->slot, intx - 1) : PCI_INTX_PIN_BASE + d->intx_apic_pin);
	/* Deassert the pin that was asserted, even if the pin register changed since. */
	if (want)
		d->intx_apic_pin = pci_intx_route(d->slot, intx - 1) - PCI_INTX_PIN_BASE;
	pin = d->intx_apic_pin;
	if (want) {
		if (b->intx_count[pin]++ == 0 && b->ops.intx_set)
			b->ops.intx_set(b->ops.opaque, PCI_INTX_PIN_BASE + pin, 1);
	} else {
		if (--b->intx_count[pin] == 0 && b->ops.intx_set)
			b->ops.intx_set(b->ops.opaque, PCI_INTX_PIN_BASE + pin, 0);
	}
}
