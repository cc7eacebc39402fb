/* fuzz_vfio_pci.c - libFuzzer harness for the config-space virtualisation of a VFIO device
 * (src/vfio/vfio_pci_cfg.c, the function built by vfio_pci.c): a device whose config space,
 * regions (sizes, mmap flag, capability chain), ROM and interrupt counts come from the input,
 * behind the fake VFIO kernel of tests/unit/fake_vfio.h and a fake sysfs; vfio_pci_create()
 * builds its function on a PCI bus with the fake host of test_pci_fake.h. Then a stream of
 * guest config cycles (0xCF8/0xCFC), trapped BAR accesses, host interrupts, EOIs, changes the
 * device makes to its own config space, and resets. Invariants (abort() on violation): the
 * capability list the guest walks is well formed (PCI 3.0 §6.7: pointers dword-aligned in
 * 0x40-0xFC, no loop);
 * mapped BARs aligned, clear of RAM and of each other; routes and mappings accounted for;
 * after reset and close no mapping, GSI, mmap, VFIO fd or eventfd is left.
 * Input: 16 header bytes (see struct hdr), the region capability chain, 256 bytes of
 * config space, then operations. */
#include <limits.h>
#include "fuzz_pci_check.h"
#include "fake_sysfs.h"
#include "fake_vfio.h"
#include "vfio/vfio_pci.h"

#define HOST_BDF "0000:01:00.0"

struct hdr {
	uint8_t flags;		/* bit 0: device reset supported, bit 1: rombar=0 */
	uint8_t bar[6];		/* bits 4-0: log2 region size (0: none), bit 7: mmap-able */
	uint8_t rom;		/* log2 ROM region size (0: none) */
	uint8_t intx, msi;	/* interrupt counts */
	uint16_t msix;
	uint8_t cap_region;	/* which region carries the capability chain (>= 8: none) */
	uint8_t cap_len;
	uint8_t pad[2];
};

struct watch {
	int fd;
	void (*cb)(void *arg, uint64_t count);
	void *arg;
};

static struct fake f;
static struct pci_host_ops ops;
static struct pci_bus bus;
static struct fake_vfio fk;
static struct vfio_sys sys;
static struct vfio_state st;
static struct watch watches[64];
static int nwatch;

static int h_watch(void *o, int fd, void (*cb)(void *, uint64_t), void *arg)
{
	(void)o;
	if (nwatch == 64)
		return -ENOSPC;
	watches[nwatch++] = (struct watch){ fd, cb, arg };
	return 0;
}

static void h_unwatch(void *o, int fd)
{
	(void)o;
	for (int i = 0; i < nwatch; i++)
		if (watches[i].fd == fd)
			watches[i] = watches[--nwatch];
}

static void cleanup(void)
{
	fake_sysfs_free();
}

static void once(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	if (fake_sysfs_new())
		abort();
	fake_add_dev(HOST_BDF, 5, "vfio-pci");
	atexit(cleanup);
}

static void device_from(const struct hdr *h, const uint8_t *caps, const uint8_t *cfg)
{
	fake_vfio_init(&fk, &sys);
	if (!(h->flags & 1))
		fk.dev_flags &= ~VFIO_DEVICE_FLAGS_RESET;
	for (int i = 0; i < 7; i++) {
		unsigned lg = (i < 6 ? h->bar[i] : h->rom) & 0x1f;

		if (!lg)
			continue;
		/* up to 1 MiB: the fake kernel backs mmaps with memory */
		fk.regions[i].size = 1ULL << (lg > 20 ? 20 : lg);
		fk.regions[i].offset = (uint64_t)(i + 1) << 40;
		fk.regions[i].flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
				      (i < 6 && (h->bar[i] & 0x80) ? VFIO_REGION_INFO_FLAG_MMAP : 0);
	}
	if (h->cap_region < 8 && h->cap_len) {
		fk.cap_region = h->cap_region;
		fk.cap_len = h->cap_len & ~7u;
		memcpy(fk.cap_chain, caps, h->cap_len);
	}
	fk.irq_count[VFIO_PCI_INTX_IRQ_INDEX] = h->intx & 1;
	fk.irq_count[VFIO_PCI_MSI_IRQ_INDEX] = h->msi % 33;
	fk.irq_count[VFIO_PCI_MSIX_IRQ_INDEX] = h->msix % 2049;
	memcpy(fk.config, cfg, 256);
}

/* The capability list as the guest walks it through config reads. */
FUZZ_NOCOV static void check_caps(struct pci_dev *d)
{
	unsigned bdf = PCI_BDF(0, d->slot, d->fn), seen[64 / 32] = { 0 }, hops = 0;
	uint32_t v = 0;

	pci_config_access(&bus, bdf, PCI_STATUS, &v, 2, false);
	if (!(v & PCI_STS_CAP_LIST))
		return;
	pci_config_access(&bus, bdf, PCI_CAP_PTR, &v, 1, false);
	for (unsigned p = v; p; hops++) {
		FUZZ_CHECK(p >= 0x40 && p <= 0xfc && !(p & 3), "capability pointer 0x%x", p);
		FUZZ_CHECK(!(seen[p / 4 / 32] >> (p / 4 % 32) & 1), "capability loop at 0x%x", p);
		seen[p / 4 / 32] |= 1u << (p / 4 % 32);
		pci_config_access(&bus, bdf, p + 1, &v, 1, false);
		p = v;
	}
}

static const unsigned lens[4] = { 1, 2, 4, 8 };

static void op_cfg(struct pci_dev *d, struct fin *in)
{
	uint8_t reg = fin_u8(in), ctl = fin_u8(in);
	uint32_t v = fin_u32(in), a;
	unsigned len = lens[ctl % 3], off = (ctl >> 2) & 3;

	a = 0x80000000u | d->slot << 11 | d->fn << 8 | (reg & 0xfc);
	if (ctl & 0x40)
		a |= (uint32_t)(reg & 0xf) << 24;	/* extended register bits */
	if (off + len > 4)
		off = 4 - len;
	pci_host_io(&bus, 0, &a, 4, true);
	pci_host_io(&bus, 4 + off, &v, len, ctl & 0x10);
}

static void op_bar(struct fin *in)
{
	uint8_t pick = fin_u8(in), ctl = fin_u8(in);
	uint32_t off = fin_u32(in);
	uint64_t v = fin_u64(in);
	unsigned len = lens[ctl & 3], live = 0, want;
	struct fake_map *m = NULL;

	for (int i = 0; i < FAKE_MAX; i++)
		live += f.maps[i].live && !f.maps[i].ram;
	if (!live)
		return;
	want = pick % live;
	for (int i = 0; i < FAKE_MAX && !m; i++)
		if (f.maps[i].live && !f.maps[i].ram && !want--)
			m = &f.maps[i];
	if (m->len < len)
		return;
	off %= m->len - len + 1;
	if (ctl & 4)
		off &= ~(len - 1);
	m->fn(m->arg, off, &v, len, ctl & 8);
}

static void run(struct pci_dev *d, struct fin *in)
{
	while (fin_more(in)) {
		uint8_t op = fin_u8(in);

		switch (op % 8) {
		case 0: case 1: case 2: op_cfg(d, in); break;
		case 3: op_bar(in); break;
		case 4: {
			/* The host device interrupts: the eventfd's watcher runs. */
			uint8_t k = fin_u8(in);

			if (nwatch)
				watches[k % nwatch].cb(watches[k % nwatch].arg, 1);
			break;
		}
		case 5: pci_bus_intx_eoi(&bus, fin_u8(in) % PCI_INTX_PINS); break;
		case 6: {
			/* The device changes its own registers (Status, PM, pending bits...). */
			uint8_t off = fin_u8(in), v = fin_u8(in);

			fk.config[off] = v;
			break;
		}
		default:
			if (fin_u8(in) < 32)
				pci_bus_reset(&bus);
			break;
		}
		check_caps(d);
		fpc_check_bus(&f, &bus, &d, 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size, 0 };
	struct hdr h;
	struct vfio_pci_opts o;
	struct err err = { 0 };
	char spec[64];
	uint8_t caps[256] = { 0 }, cfg[256] = { 0 };
	unsigned fds = fuzz_open_fds();
	struct pci_dev *d;

	once();
	if (size < sizeof(h))
		return 0;
	memcpy(&h, data, sizeof(h));
	in.at = sizeof(h);
	for (unsigned i = 0; i < h.cap_len; i++)
		caps[i] = fin_u8(&in);
	for (unsigned i = 0; i < 256; i++)
		cfg[i] = fin_u8(&in);
	device_from(&h, caps, cfg);

	fake_ops(&f, &ops);
	ops.watch_fd = h_watch;
	ops.unwatch_fd = h_unwatch;
	nwatch = 0;
	pci_bus_init(&bus, &ops, 1ULL << 36);
	memset(&st, 0, sizeof(st));
	st.host.root = fake_root;
	st.sys = &sys;
	st.ram_size = 1 << 20;
	snprintf(spec, sizeof(spec), "host=" HOST_BDF "%s", h.flags & 2 ? ",rombar=0" : "");
	if (vfio_pci_parse(spec, &o, &err) || vfio_state_add_passed(&st, &o.host, &err))
		abort();
	d = vfio_pci_create(&st, &bus, &o, &err);
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "vfio_pci_create: %s\n", d ? "ok" : err.msg);
	if (d) {
		(void)pci_dev_place_bars(d);	/* may find no room: BARs stay off */
		check_caps(d);
		fpc_check_bus(&f, &bus, &d, 1);
		run(d, &in);
		pci_bus_reset(&bus);
		fpc_check_bus(&f, &bus, &d, 1);
		FUZZ_CHECK(fake_nmaps(&f) == 0, "%d bus mappings after reset", fake_nmaps(&f));
		FUZZ_CHECK(fpc_gsis_used(&f) == 0, "%u GSIs after reset", fpc_gsis_used(&f));
	} else {
		FUZZ_CHECK(err.msg[0], "vfio_pci_create failed without a message");
	}
	pci_bus_destroy(&bus);
	vfio_state_close(&st);
	FUZZ_CHECK(fake_nmaps(&f) == 0, "%d bus mappings after teardown", fake_nmaps(&f));
	FUZZ_CHECK(fk.mmaps == 0, "%d region mmaps left", fk.mmaps);
	FUZZ_CHECK(fk.open_fds == 0, "%d VFIO fds left open", fk.open_fds);
	FUZZ_CHECK(nwatch == 0, "%d eventfds still watched", nwatch);
	FUZZ_CHECK(fuzz_open_fds() == fds, "%u fds open after teardown, %u before",
		   fuzz_open_fds(), fds);
	return 0;
}
