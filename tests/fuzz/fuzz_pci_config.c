/* fuzz_pci_config.c - libFuzzer harness for the PCI configuration path: configuration
 * mechanism #1 (0xCF8-0xCFF, PCI 3.0 §3.2.2.3.2) through pci_host_io, trapped BAR and MSI-X
 * table/PBA accesses through the handlers the bus would call, interrupts and resets, on a bus
 * with the host bridge, the test device and a two-function device with BARs of every kind,
 * MSI and MSI-X. Invariants after every step (abort() on violation): read-only config bytes
 * unchanged, mapped BARs naturally aligned, clear of RAM and of each other, bus mappings and
 * GSI routes accounted for; after the final reset no mapping and no GSI is left, and after the
 * teardown no file descriptor. */
#include "fuzz_input.h"
#include "fuzz_pci_check.h"
#include "pci/devices.h"
#include "core/err.h"

#define NDEVS 4

struct ctx {
	struct fake f;
	struct pci_host_ops o;
	struct pci_bus b;
	struct pci_dev *d[NDEVS];	/* bridge, testdev, fz.0, fz.1 */
	uint64_t snap[NDEVS][PCI_CFG_SIZE / 8];	/* config after power-on */
	uint64_t ro[NDEVS][PCI_CFG_SIZE / 8];	/* bits neither guest nor device may change */
};

static uint8_t bar_ram[0x1000] __attribute__((aligned(4096)));
static uint8_t sub_ram[0x4000] __attribute__((aligned(4096)));
static uint8_t rom[0x800];

/* Function 0: I/O, 32-bit, 64-bit prefetchable (part RAM-backed), RAM-backed 32-bit BARs,
 * a ROM, 64-bit maskable MSI and MSI-X in BAR1. Function 1: a 1 MiB BAR and 32-bit MSI. */
static struct pci_dev *fz_fn0(struct pci_bus *b)
{
	struct pci_dev *d = pci_dev_new(0x1234, 0xf022, 0xff000000, NULL, NULL);

	if (!d || pci_dev_attach(b, d, 7, 0) ||
	    pci_bar_init(d, 0, PCI_BAR_IO, 256, NULL) ||
	    pci_bar_init(d, 1, 0, 0x1000, NULL) ||
	    pci_bar_init(d, 2, PCI_BAR_MEM64 | PCI_BAR_PREFETCH, 0x10000, NULL) ||
	    pci_bar_add_ram(d, 2, 0x4000, sizeof(sub_ram), sub_ram) ||
	    pci_bar_init(d, 4, 0, sizeof(bar_ram), bar_ram) ||
	    pci_bar_init(d, 5, PCI_BAR_IO, 16, NULL) ||
	    pci_rom_init(d, sizeof(rom), rom) ||
	    pci_msi_init(d, 8, true, true) ||
	    !pci_cap_add_vendor(d, "fuzz", 4) ||
	    pci_msix_init(d, 16, 1, 0, 1, 0x800) ||
	    pci_dev_place_bars(d))
		abort();
	strcpy(d->name, "fz.0");
	d->cfg[PCI_HEADER_TYPE] |= PCI_HDR_MULTIFUNC;
	pci_intx_pin_set(d, 1);
	pci_dev_seal(d);
	return d;
}

static struct pci_dev *fz_fn1(struct pci_bus *b)
{
	struct pci_dev *d = pci_dev_new(0x1234, 0xf023, 0xff000000, NULL, NULL);

	if (!d || pci_dev_attach(b, d, 7, 1) ||
	    pci_bar_init(d, 0, 0, 1 << 20, NULL) ||
	    pci_msi_init(d, 4, false, false) ||
	    pci_dev_place_bars(d))
		abort();
	strcpy(d->name, "fz.1");
	pci_intx_pin_set(d, 2);
	pci_dev_seal(d);
	return d;
}

/* Bits the device itself changes although the guest cannot write them. */
FUZZ_NOCOV static uint8_t dev_driven(const struct pci_dev *d, unsigned off)
{
	unsigned m = d->msi.cap;

	if (off == PCI_STATUS)
		return PCI_STS_INTX;
	/* MSI Pending Bits (§6.8.1.8) at +0x10 (32-bit) or +0x14 (64-bit). */
	if (m && d->msi.maskable && off >= m + (d->msi.is64 ? 0x14 : 0x10) &&
	    off < m + (d->msi.is64 ? 0x18 : 0x14))
		return 0xff;
	return 0;
}

static void ctx_init(struct ctx *c)
{
	struct err err = { 0 };

	fake_ops(&c->f, &c->o);
	pci_bus_init(&c->b, &c->o, 0x200000000ULL);
	if (pci_host_bridge_create(&c->b) ||
	    pci_device_create(NULL, &c->b, "testdev,vectors=5,ram=16K", &err))
		abort();
	c->d[0] = c->b.devs[0][0];
	c->d[1] = c->b.devs[1][0];
	c->d[2] = fz_fn0(&c->b);
	c->d[3] = fz_fn1(&c->b);
	for (int k = 0; k < NDEVS; k++) {
		uint8_t ro[PCI_CFG_SIZE];

		for (unsigned i = 0; i < PCI_CFG_SIZE; i++)
			ro[i] = ~(c->d[k]->wmask[i] | c->d[k]->w1c[i] | dev_driven(c->d[k], i));
		memcpy(c->ro[k], ro, PCI_CFG_SIZE);
		memcpy(c->snap[k], c->d[k]->cfg, PCI_CFG_SIZE);
	}
}

/* Compare a word at a time: this runs after every step. */
FUZZ_NOCOV static void check_ro(const struct ctx *c)
{
	for (int k = 0; k < NDEVS; k++) {
		const struct pci_dev *d = c->d[k];
		uint64_t now[PCI_CFG_SIZE / 8], diff = 0;

		memcpy(now, d->cfg, PCI_CFG_SIZE);
		for (unsigned w = 0; w < PCI_CFG_SIZE / 8; w++)
			diff |= (now[w] ^ c->snap[k][w]) & c->ro[k][w];
		if (!diff)
			continue;
		for (unsigned i = 0; i < PCI_CFG_SIZE; i++) {
			uint8_t was = c->snap[k][i / 8] >> (8 * (i % 8));
			uint8_t ro = c->ro[k][i / 8] >> (8 * (i % 8));

			FUZZ_CHECK(!((d->cfg[i] ^ was) & ro),
				   "%s: read-only config byte 0x%02x changed 0x%02x -> 0x%02x",
				   d->name, i, was, d->cfg[i]);
		}
	}
}

FUZZ_NOCOV static void check_invariants(struct ctx *c)
{
	check_ro(c);
	fpc_check_bus(&c->f, &c->b, c->d, NDEVS);
}

static const unsigned lens[4] = { 1, 2, 4, 8 };

/* A configuration cycle as a guest makes it: address to 0xCF8, data at 0xCFC + (reg & 3). */
static void op_cfg(struct ctx *c, struct fin *in)
{
	uint8_t sel = fin_u8(in), reg = fin_u8(in), ctl = fin_u8(in);
	uint32_t v = fin_u32(in), a;
	unsigned len = lens[ctl % 3], off = (ctl >> 2) & 3;
	const struct pci_dev *d = c->d[sel % NDEVS];

	a = 0x80000000u | d->slot << 11 | d->fn << 8 | (reg & 0xfc);
	if (sel & 0x80)				/* any bus/slot/function */
		a = 0x80000000u | (uint32_t)(sel & 0x7f) << 8 | (reg & 0xfc);
	if (ctl & 0x40)				/* reserved/extended register bits */
		a |= (uint32_t)(reg & 0xf) << 24;
	if (ctl & 0x80)				/* Enable bit clear */
		a &= ~0x80000000u;
	if (off + len > 4)
		off = 4 - len;
	pci_host_io(&c->b, 0, &a, 4, true);
	pci_host_io(&c->b, 4 + off, &v, len, ctl & 0x10);
}

/* Anything at 0xCF8-0xCFF: odd sizes, the latch read back, data without an address. */
static void op_raw(struct ctx *c, struct fin *in)
{
	uint8_t ctl = fin_u8(in);
	uint32_t v = fin_u32(in);
	unsigned len = lens[ctl % 3], off = (ctl >> 2) & 7;

	if (off + len > 8)
		off = 8 - len;
	pci_host_io(&c->b, off, &v, len, ctl & 0x20);
}

/* An access the guest makes to a trapped BAR range, dispatched as the bus would. */
static void op_bar(struct ctx *c, struct fin *in)
{
	uint8_t pick = fin_u8(in), ctl = fin_u8(in);
	uint32_t off = fin_u32(in);
	uint64_t v = fin_u64(in);
	unsigned len = lens[ctl & 3], live = 0, want;
	struct fake_map *m = NULL;

	for (int i = 0; i < FAKE_MAX; i++)
		live += c->f.maps[i].live && !c->f.maps[i].ram;
	if (!live)
		return;
	want = pick % live;
	for (int i = 0; i < FAKE_MAX && !m; i++)
		if (c->f.maps[i].live && !c->f.maps[i].ram && !want--)
			m = &c->f.maps[i];
	if (m->len < len)
		return;
	off %= m->len - len + 1;
	if (ctl & 4)				/* mostly naturally aligned, as drivers do */
		off &= ~(len - 1);
	m->fn(m->arg, off, &v, len, ctl & 8);
}

static void op_irq(struct ctx *c, struct fin *in)
{
	uint8_t ctl = fin_u8(in), n = fin_u8(in);
	struct pci_dev *d = c->d[1 + ctl % 3];

	if (ctl & 0x80)
		pci_intx_set(d, ctl & 0x40);
	else
		pci_msi_notify(d, n % 40);
}

static void op_direct(struct ctx *c, struct fin *in)
{
	uint16_t bdf = fin_u16(in), off = fin_u16(in);
	uint8_t ctl = fin_u8(in);
	uint32_t v = fin_u32(in);

	pci_config_access(&c->b, bdf, off % 5000, &v, ctl % 9, ctl & 0x10);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctx c;
	struct fin in = { data, size, 0 };
	unsigned fds = fuzz_open_fds();

	ctx_init(&c);
	check_invariants(&c);
	while (fin_more(&in)) {
		switch (fin_u8(&in) % 8) {
		case 0: case 1: case 2: op_cfg(&c, &in); break;
		case 3: op_raw(&c, &in); break;
		case 4: op_bar(&c, &in); break;
		case 5: op_irq(&c, &in); break;
		case 6: op_direct(&c, &in); break;
		case 7:
			if (fin_u8(&in) < 32)
				pci_bus_reset(&c.b);
			else
				pci_bus_intx_eoi(&c.b, fin_u8(&in) % 8);
			break;
		}
		check_invariants(&c);
	}
	pci_bus_reset(&c.b);
	check_invariants(&c);
	FUZZ_CHECK(fake_nmaps(&c.f) == 0, "%d bus mappings left after reset", fake_nmaps(&c.f));
	FUZZ_CHECK(fpc_gsis_used(&c.f) == 0, "%u GSIs left after reset", fpc_gsis_used(&c.f));
	pci_bus_destroy(&c.b);
	FUZZ_CHECK(fake_nmaps(&c.f) == 0, "%d bus mappings left after teardown", fake_nmaps(&c.f));
	FUZZ_CHECK(fuzz_open_fds() == fds, "%u fds open after teardown, %u before",
		   fuzz_open_fds(), fds);
	return 0;
}
