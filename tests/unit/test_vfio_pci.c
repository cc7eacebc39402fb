/* test_vfio_pci.c - a passed-through device on vfvm's PCI bus, with a fake VFIO kernel and
 * fake host: config virtualisation (live Status, forwarded Command, rebuilt capability list,
 * PCIe endpoint shown as RCiEP, FLR dropped), BAR mmap plan around the MSI-X table, MSI-X
 * eventfds bound with irqfd only while unmasked, INTx unmasked at EOI, option errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "fake_sysfs.h"
#include "fake_vfio.h"
#include "pci/pci_dev.h"
#include "test_trace_file.h"
#include "vfio/vfio_pci.h"
#include "vfio/vfio_viommu.h"

/* --- the fake host side of the PCI bus --- */
struct fake_host {
	int intx[24];
	int next_gsi;
	int bound[8192];	/* gsi per fd, -1 none */
	int binds, unbinds;
	struct { int fd; void (*cb)(void *, uint64_t); void *arg; } watch[4096];
	int nwatch;
	int watch_err;		/* what h_watch returns when not 0 (a full device thread) */
	int rams;
};

static struct fake_host fh;

static int h_map_io(void *o, bool mmio, uint64_t base, uint64_t len, bus_io_fn fn, void *arg,
		    const char *name)
{
	(void)o; (void)mmio; (void)base; (void)len; (void)fn; (void)arg; (void)name;
	return 0;
}

static void h_unmap_io(void *o, bool mmio, uint64_t base)
{
	(void)o; (void)mmio; (void)base;
}

static int h_map_ram(void *o, uint64_t gpa, uint64_t size, void *hva)
{
	(void)o; (void)gpa; (void)size; (void)hva;
	return fh.rams++;
}

static void h_unmap_ram(void *o, int slot)
{
	(void)o; (void)slot;
	fh.rams--;
}

static bool h_mem_free(void *o, uint64_t gpa, uint64_t len)
{
	(void)o; (void)gpa; (void)len;
	return true;
}

static void h_intx(void *o, unsigned pin, int level)
{
	(void)o;
	fh.intx[pin] = level;
}

static int h_route_alloc(void *o, const struct msi_msg *m)
{
	(void)o; (void)m;
	return fh.next_gsi++;
}

static int h_route_set(void *o, unsigned gsi, const struct msi_msg *m)
{
	(void)o; (void)gsi; (void)m;
	return 0;
}

static void h_route_free(void *o, unsigned gsi)
{
	(void)o; (void)gsi;
}

static int h_commit(void *o)
{
	(void)o;
	return 0;
}

static int h_irqfd(void *o, int fd, unsigned gsi, bool deassign)
{
	(void)o;
	if (deassign)
		fh.unbinds++;
	else
		fh.binds++;
	if (fd < 8192)
		fh.bound[fd] = deassign ? -1 : (int)gsi;
	return 0;
}

static int h_watch(void *o, int fd, void (*cb)(void *, uint64_t), void *arg)
{
	(void)o;
	if (fh.watch_err)
		return fh.watch_err;
	assert_true(fh.nwatch < 4096);
	fh.watch[fh.nwatch].fd = fd;
	fh.watch[fh.nwatch].cb = cb;
	fh.watch[fh.nwatch].arg = arg;
	fh.nwatch++;
	return 0;
}

static void h_unwatch(void *o, int fd)
{
	(void)o;
	for (int i = 0; i < fh.nwatch; i++)
		if (fh.watch[i].fd == fd)
			fh.watch[i] = fh.watch[--fh.nwatch];
}

static bool watched(int fd)
{
	for (int i = 0; i < fh.nwatch; i++)
		if (fh.watch[i].fd == fd)
			return true;
	return false;
}

static void fire(int fd)
{
	for (int i = 0; i < fh.nwatch; i++)
		if (fh.watch[i].fd == fd)
			fh.watch[i].cb(fh.watch[i].arg, 1);
}

static const struct pci_host_ops host_ops = {
	.map_io = h_map_io, .unmap_io = h_unmap_io, .map_ram = h_map_ram,
	.unmap_ram = h_unmap_ram, .mem_free = h_mem_free, .intx_set = h_intx,
	.route_alloc = h_route_alloc, .route_set = h_route_set, .route_free = h_route_free,
	.route_commit = h_commit, .irqfd = h_irqfd, .watch_fd = h_watch,
	.unwatch_fd = h_unwatch,
};

/* --- a device: registers in BAR0, I/O BAR2, MSI-X table/PBA in BAR3 --- */
static struct fake_vfio fk;
static struct vfio_sys sys;
static struct vfio_state st;
static struct pci_bus bus;

static void cfg16(unsigned off, uint16_t v) { memcpy(&fk.config[off], &v, 2); }
static void cfg32(unsigned off, uint32_t v) { memcpy(&fk.config[off], &v, 4); }

static void region(int i, uint64_t size, bool mmap)
{
	fk.regions[i].size = size;
	fk.regions[i].offset = (uint64_t)(i + 1) << 40;
	fk.regions[i].flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
			      (mmap ? VFIO_REGION_INFO_FLAG_MMAP : 0);
}

static void make_device(void)
{
	fake_vfio_init(&fk, &sys);
	cfg16(0x00, 0x8086);
	cfg16(0x02, 0x10d3);
	cfg32(0x08, 0x02000001);		/* class 020000, rev 1 */
	cfg16(0x06, 0x0010);			/* capability list */
	cfg32(0x10, 0x00000000);		/* BAR0 32-bit memory */
	cfg32(0x18, 0x00000001);		/* BAR2 I/O */
	cfg32(0x1c, 0x00000000);		/* BAR3 32-bit memory */
	cfg32(0x2c, 0x00011af4);		/* subsystem */
	fk.config[0x3d] = 1;			/* INTA# */
	fk.config[0x34] = 0x40;
	/* PM at 0x40 */
	fk.config[0x40] = 0x01; fk.config[0x41] = 0x50;
	cfg16(0x42, 0x0003); cfg16(0x44, 0x0000);
	/* MSI at 0x50: 64-bit, maskable, 4 vectors capable */
	fk.config[0x50] = 0x05; fk.config[0x51] = 0x70;
	cfg16(0x52, 0x0180 | (2 << 1));
	/* PCIe v2 endpoint at 0x70 */
	fk.config[0x70] = 0x10; fk.config[0x71] = 0xa0;
	cfg16(0x72, 0x0002);			/* version 2, type 0 (endpoint) */
	cfg32(0x7c, 0x00003c41);		/* link capabilities */
	/* MSI-X at 0xa0: 6 vectors, table BAR3+0, PBA BAR3+0x2000 */
	fk.config[0xa0] = 0x11; fk.config[0xa1] = 0xb0;
	cfg16(0xa2, 5);
	cfg32(0xa4, 0x00000003);
	cfg32(0xa8, 0x00002003);
	/* Advanced Features at 0xb0: hidden */
	fk.config[0xb0] = 0x13; fk.config[0xb1] = 0x00;
	region(0, 0x20000, true);
	region(2, 0x20, false);
	region(3, 0x4000, true);
	fk.irq_count[VFIO_PCI_INTX_IRQ_INDEX] = 1;
	fk.irq_count[VFIO_PCI_MSI_IRQ_INDEX] = 4;
	fk.irq_count[VFIO_PCI_MSIX_IRQ_INDEX] = 6;
}

static int setup(void **state)
{
	(void)state;
	memset(&fh, 0, sizeof(fh));
	memset(fh.bound, -1, sizeof(fh.bound));
	fh.next_gsi = 24;
	make_device();
	if (fake_sysfs_new())
		return -1;
	fake_add_dev("0000:01:00.0", 5, "vfio-pci");
	fake_add_dev("0000:02:00.0", 6, "e1000e");
	fake_add_dev("0000:03:00.0", -1, "vfio-pci");
	memset(&st, 0, sizeof(st));
	st.host.root = fake_root;
	st.sys = &sys;
	st.ram_size = 1 << 20;
	pci_bus_init(&bus, &host_ops, 1ULL << 36);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pci_bus_destroy(&bus);
	vfio_state_close(&st);
	return fake_sysfs_free();
}

static struct pci_dev *create(const char *host)
{
	struct vfio_pci_opts o;
	struct err e = { 0 };
	char buf[64];
	struct pci_dev *d;

	snprintf(buf, sizeof(buf), "host=%s", host);
	assert_int_equal(vfio_pci_parse(buf, &o, &e), 0);
	vfio_state_add_passed(&st, &o.host, &e);
	d = vfio_pci_create(&st, &bus, &o, &e);
	if (!d)
		print_error("%s\n", e.msg);
	return d;
}

static uint32_t cfg_read(struct pci_dev *d, unsigned off, unsigned len)
{
	uint32_t v = 0;

	pci_config_access(&bus, PCI_BDF(0, d->slot, 0), off, &v, len, false);
	return v;
}

static void cfg_write(struct pci_dev *d, unsigned off, unsigned len, uint32_t v)
{
	pci_config_access(&bus, PCI_BDF(0, d->slot, 0), off, &v, len, true);
}

static void test_config(void **state)
{
	struct pci_dev *d;
	unsigned exp;

	(void)state;
	d = create("0000:01:00.0");
	assert_non_null(d);
	assert_int_equal(fk.resets, 1);			/* reset before the guest starts */
	assert_int_equal(cfg_read(d, 0x00, 4), 0x10d38086);
	assert_int_equal(cfg_read(d, 0x08, 4), 0x02000001);
	assert_int_equal(cfg_read(d, 0x2c, 4), 0x00011af4);
	assert_int_equal(cfg_read(d, 0x3d, 1), 1);
	/* Interrupt Line: the I/O APIC pin INTA# of this slot is wired to, as firmware writes. */
	assert_int_equal(cfg_read(d, 0x3c, 1), pci_intx_route(d->slot, 0));
	/* The capability list: PM, MSI, PCIe, MSI-X kept; Advanced Features hidden. */
	assert_true(pci_cap_find(d, 0x01));
	assert_true(pci_cap_find(d, 0x05));
	assert_true(pci_cap_find(d, 0x11));
	assert_int_equal(pci_cap_find(d, 0x13), 0);
	exp = pci_cap_find(d, 0x10);
	assert_true(exp);
	/* PCIe endpoint on vfvm's root bus: shown as an RCiEP without link registers. */
	assert_int_equal((cfg_read(d, exp + 2, 2) >> 4) & 0xf, 0x9);
	assert_int_equal(cfg_read(d, exp + 0x0c, 4), 0);
	/* Status is live from the device, with our capability-list bit. */
	cfg16(0x06, 0x8000);
	assert_int_equal(cfg_read(d, 0x06, 2), 0x8010);
	/* Writing 1 to an error bit reaches the device. */
	cfg_write(d, 0x06, 2, 0x8000);
	assert_int_equal(fk.config[0x07], 0x80);
	/* Command: forwarded bits reach the device. */
	cfg_write(d, 0x04, 2, 0x0407);
	assert_int_equal(fk.config[0x04] | fk.config[0x05] << 8, 0x0407);
	cfg_write(d, 0x04, 2, 0x0000);
	assert_int_equal(fk.config[0x04], 0);
	/* PM control/status is read live and written through. */
	{
		unsigned pm = pci_cap_find(d, 0x01);

		cfg16(0x44, 0x0003);
		assert_int_equal(cfg_read(d, pm + 4, 2), 0x0003);
		cfg_write(d, pm + 4, 2, 0x0000);
		assert_int_equal(fk.config[0x44], 0);
	}
	/* Initiate FLR (Device Control bit 15) never reaches the device. */
	cfg_write(d, exp + 8, 2, 0x8000 | 0x0010);
	assert_int_equal(fk.config[0x70 + 8], 0x10);
	assert_int_equal(fk.config[0x70 + 9] & 0x80, 0);
}

/* Issue 16 item 3: capabilities stay at the device's offsets, a hidden one is only unlinked,
 * and device-specific bytes (tg3 at 0x68/0x78, i915 at 0x5C/0xFC) read and write through. */
static void test_config_layout(void **state)
{
	struct pci_dev *d;
	unsigned exp;

	(void)state;
	/* Device-specific registers between and after the capabilities. */
	cfg32(0x48, 0x11223344);		/* between PM (0x40-0x47) and MSI (0x50) */
	cfg32(0xc8, 0xa5a55a5a);		/* after Advanced Features (0xb0-0xb5) */
	cfg32(0xfc, 0xcafef00d);
	/* Advanced Features at 0xb0 (hidden): length 6, capabilities FLR|TP. */
	fk.config[0xb2] = 0x06; fk.config[0xb3] = 0x03;
	d = create("0000:01:00.0");
	assert_non_null(d);
	/* The list, in the device's order, at the device's offsets; AF left out of it. */
	assert_int_equal(cfg_read(d, 0x34, 1), 0x40);
	assert_int_equal(cfg_read(d, 0x40, 2), 0x5001);
	assert_int_equal(cfg_read(d, 0x50, 2), 0x7005);
	assert_int_equal(cfg_read(d, 0x70, 2), 0xa010);
	assert_int_equal(cfg_read(d, 0xa0, 2), 0x0011);	/* MSI-X, last: AF unlinked */
	exp = pci_cap_find(d, 0x10);
	assert_int_equal(exp, 0x70);
	assert_int_equal(pci_cap_find(d, 0x11), 0xa0);
	/* Device-specific bytes read through, at any size. */
	assert_int_equal(cfg_read(d, 0x48, 4), 0x11223344);
	assert_int_equal(cfg_read(d, 0x4a, 2), 0x1122);
	assert_int_equal(cfg_read(d, 0xc8, 4), 0xa5a55a5a);
	assert_int_equal(cfg_read(d, 0xfc, 4), 0xcafef00d);
	/* The hidden capability's bytes are the device's too, just not in the list. */
	assert_int_equal(cfg_read(d, 0xb0, 1), 0x13);
	/* ... and writes reach the device. */
	cfg_write(d, 0x48, 4, 0xdeadbeef);
	assert_int_equal(fk.config[0x48] | (uint32_t)fk.config[0x4b] << 24, 0xefu | 0xdeu << 24);
	cfg_write(d, 0xfd, 1, 0x77);
	assert_int_equal(fk.config[0xfd], 0x77);
	/* Except AF's Initiate FLR, which would reset the device behind vfvm's back. */
	cfg_write(d, 0xb4, 2, 0x0001);
	assert_int_equal(fk.config[0xb4], 0);
	/* MSI stays vfvm's own: a write to its control reaches our model, not the device. */
	cfg_write(d, 0x52, 2, 0x0001);
	assert_int_equal(cfg_read(d, 0x52, 2) & 1, 1);
	assert_int_equal(fk.config[0x52] & 1, 0);
}

/* The device's ROM is read after the start-up reset turned memory decoding off, which vfio-pci
 * answers with -EIO (the lab's e1000e lost its ROM so): vfvm turns decoding on for the read. */
static void test_rom_after_reset(void **state)
{
	struct pci_dev *d;

	(void)state;
	fk.regions[VFIO_PCI_ROM_REGION_INDEX].size = 4096;
	fk.regions[VFIO_PCI_ROM_REGION_INDEX].offset = FAKE_ROM_OFFSET;
	fk.regions[VFIO_PCI_ROM_REGION_INDEX].flags = VFIO_REGION_INFO_FLAG_READ;
	fk.rom[0] = 0x55; fk.rom[1] = 0xaa; fk.rom[4095] = 0x5a;
	cfg16(0x04, 0x0006);			/* memory and bus master on, as firmware left it */
	d = create("0000:01:00.0");
	assert_non_null(d);
	assert_int_equal(fk.rom_reads_refused, 0);
	assert_int_equal(d->bars[PCI_ROM_BAR].size, 4096);
	assert_int_equal(d->bars[PCI_ROM_BAR].rom[0], 0x55);
	assert_int_equal(d->bars[PCI_ROM_BAR].rom[1], 0xaa);
	assert_int_equal(d->bars[PCI_ROM_BAR].rom[4095], 0x5a);
	/* The reset's quiet state is kept: decoding and bus master off again. */
	assert_int_equal(fk.config[0x04] & 0x07, 0);
}

/* Walk the guest's view of the list: it must end, without revisiting an offset. */
static unsigned cap_walk(struct pci_dev *d, unsigned *offs, unsigned max)
{
	unsigned n = 0;

	for (unsigned p = cfg_read(d, 0x34, 1); p; p = cfg_read(d, p + 1, 1)) {
		for (unsigned i = 0; i < n; i++)
			assert_int_not_equal(offs[i], p);
		assert_true(n < max);
		offs[n++] = p;
	}
	return n;
}

/* A device whose list loops back (MSI-X -> MSI) or whose capability sits inside an emulated
 * one (vendor-specific at 0x54, within MSI's 0x50-0x67) must not give the guest a loop. */
static void test_config_loop(void **state)
{
	struct pci_dev *d;
	unsigned offs[16], n;

	(void)state;
	fk.config[0xa1] = 0x50;			/* MSI-X -> MSI again */
	d = create("0000:01:00.0");
	assert_non_null(d);
	n = cap_walk(d, offs, 16);
	assert_int_equal(n, 4);
	assert_int_equal(offs[3], 0xa0);
	teardown(state);
	setup(state);
	fk.config[0x51] = 0x54;			/* MSI -> vendor-specific at 0x54 -> PCIe */
	fk.config[0x54] = 0x09; fk.config[0x55] = 0x70; fk.config[0x56] = 0x08;
	d = create("0000:01:00.0");
	assert_non_null(d);
	n = cap_walk(d, offs, 16);
	assert_int_equal(n, 4);			/* PM, MSI, PCIe, MSI-X: the overlapping one hidden */
	assert_int_equal(cfg_read(d, 0x50, 1), 0x05);
	assert_int_equal(cfg_read(d, 0x51, 1), 0x70);
}

/* Issue 11: the extended capabilities through ECAM offsets. The lab's e1000e has AER at 0x100
 * and DSN at 0x140; here an SR-IOV capability follows. AER and SR-IOV are hidden (0x100 becomes
 * a Null capability pointing at DSN), DSN reads the device's serial, and no guest write to
 * 0x100-0xFFF reaches the device. A conventional device shows none, whatever its region has. */
static void test_extcaps(void **state)
{
	struct pci_dev *d;
	uint8_t before[4096];

	(void)state;
	cfg32(0x100, 0x0001 | 2 << 16 | 0x140 << 20);	/* AER v2 -> 0x140 */
	cfg32(0x104, 0x00100000);			/* uncorrectable error status */
	cfg32(0x140, 0x0003 | 1 << 16 | 0x160 << 20);	/* DSN v1 -> 0x160 */
	cfg32(0x144, 0x00123456);
	cfg32(0x148, 0x525400ff);
	cfg32(0x160, 0x0010 | 1 << 16);			/* SR-IOV v1, end */
	cfg32(0x168, 0x00000001);			/* SR-IOV control: VF Enable */
	cfg32(0x800, 0xfeedface);			/* bytes in no capability */
	d = create("0000:01:00.0");
	assert_non_null(d);
	assert_int_equal(cfg_read(d, 0x100, 4), 0x140 << 20);
	assert_int_equal(cfg_read(d, 0x104, 4), 0);
	assert_int_equal(cfg_read(d, 0x140, 4), 0x0003 | 1 << 16);	/* next: SR-IOV skipped */
	assert_int_equal(cfg_read(d, 0x144, 4), 0x00123456);
	assert_int_equal(cfg_read(d, 0x148, 2), 0x00ff);
	assert_int_equal(cfg_read(d, 0x14a, 2), 0x5254);
	assert_int_equal(cfg_read(d, 0x160, 4), 0);
	assert_int_equal(cfg_read(d, 0x168, 4), 0);
	assert_int_equal(cfg_read(d, 0x800, 4), 0);
	/* The body is live: what the device says now. */
	cfg32(0x144, 0x00654321);
	assert_int_equal(cfg_read(d, 0x144, 4), 0x00654321);
	/* Writes anywhere in the extended space are dropped: hidden, read-only or unused. */
	memcpy(before, fk.config, sizeof(before));
	cfg_write(d, 0x104, 4, 0xffffffff);		/* AER status: W1C on the device */
	cfg_write(d, 0x144, 4, 0);
	cfg_write(d, 0x168, 2, 0);			/* SR-IOV VF Enable off */
	cfg_write(d, 0x100, 4, 0xffffffff);
	cfg_write(d, 0xffc, 1, 0x55);
	assert_memory_equal(before + 0x100, fk.config + 0x100, 4096 - 0x100);
	assert_int_equal(cfg_read(d, 0x100, 4), 0x140 << 20);
	/* A guest reset restores the same view. */
	pci_dev_reset(d);
	assert_int_equal(cfg_read(d, 0x100, 4), 0x140 << 20);
	assert_int_equal(cfg_read(d, 0x140, 4), 0x0003 | 1 << 16);
	teardown(state);
	setup(state);
	/* No PCIe capability in the device's list (MSI-X -> end): extended space reads 0. */
	fk.config[0x51] = 0xa0;
	cfg32(0x100, 0x0003 | 1 << 16);
	cfg32(0x104, 0x00123456);
	d = create("0000:01:00.0");
	assert_non_null(d);
	assert_int_equal(cfg_read(d, 0x100, 4), 0);
	assert_int_equal(cfg_read(d, 0x104, 4), 0);
	teardown(state);
	setup(state);
	/* A chain that loops: the device still comes up, the chain ends in the guest's view. */
	cfg32(0x100, 0x0003 | 1 << 16 | 0x10c << 20);
	cfg32(0x10c, 0x0018 | 1 << 16 | 0x100 << 20);	/* LTR -> back to DSN */
	d = create("0000:01:00.0");
	assert_non_null(d);
	assert_int_equal(cfg_read(d, 0x100, 4), 0x0003 | 1 << 16 | 0x10c << 20);
	assert_int_equal(cfg_read(d, 0x10c, 4), 0x0018 | 1 << 16);
}

/* A version 1 PCIe capability near the end of config space (the e1000e's at 0xE0) is shown,
 * clipped to the 256 bytes, not dropped. */
static void test_config_pcie_v1_at_end(void **state)
{
	struct pci_dev *d;

	(void)state;
	fk.config[0xa1] = 0xe0;			/* MSI-X -> PCIe v1 at 0xe0 */
	fk.config[0xe0] = 0x10; fk.config[0xe1] = 0x00;
	cfg16(0xe2, 0x0001);			/* version 1 endpoint */
	fk.config[0x71] = 0xa0;
	fk.config[0x70] = 0x09;			/* the v2 one at 0x70 made vendor-specific */
	fk.config[0x72] = 0x04;
	d = create("0000:01:00.0");
	assert_non_null(d);
	assert_int_equal(pci_cap_find(d, 0x10), 0xe0);
	assert_int_equal((cfg_read(d, 0xe2, 2) >> 4) & 0xf, 0x9);	/* shown as RCiEP */
}

static void test_bars(void **state)
{
	struct pci_dev *d;

	(void)state;
	d = create("0000:01:00.0");
	assert_non_null(d);
	assert_int_equal(d->bars[0].size, 0x20000);
	assert_int_equal(d->bars[2].size, 0x20);
	assert_true(d->bars[2].flags & PCI_BAR_IO);
	assert_int_equal(d->bars[3].size, 0x4000);
	/* BAR0 fully mapped; BAR3 mapped around the MSI-X table (page 0) and PBA (page 2). */
	assert_int_equal(d->bars[0].nsub, 1);
	assert_int_equal(d->bars[0].sub[0].size, 0x20000);
	assert_int_equal(d->bars[3].nsub, 2);
	assert_int_equal(d->bars[3].sub[0].off, 0x1000);
	assert_int_equal(d->bars[3].sub[1].off, 0x3000);
	assert_int_equal(d->bars[2].nsub, 0);		/* I/O: trapped */
	assert_int_equal(fk.mmaps, 3);
}

static void test_msix(void **state)
{
	struct pci_dev *d;
	unsigned cap;
	uint32_t v;
	int fd3;

	(void)state;
	d = create("0000:01:00.0");
	assert_non_null(d);
	assert_int_equal(fk.irq_set_index, VFIO_PCI_INTX_IRQ_INDEX);	/* INTx armed */
	cap = pci_cap_find(d, 0x11);
	cfg_write(d, 0x04, 2, PCI_CMD_MEM | PCI_CMD_MASTER);
	/* Program vector 3 and unmask it, then enable MSI-X. */
	v = 0xfee00000;
	assert_true(pci_msix_bar_access(d, 3, 3 * 16, &v, 4, true));
	v = 0x41;
	assert_true(pci_msix_bar_access(d, 3, 3 * 16 + 8, &v, 4, true));
	v = 0;
	assert_true(pci_msix_bar_access(d, 3, 3 * 16 + 12, &v, 4, true));
	cfg_write(d, cap + 2, 2, 0x8000);
	assert_int_equal(fk.irq_set_index, VFIO_PCI_MSIX_IRQ_INDEX);
	assert_int_equal(fk.irq_set_count, 6);
	fd3 = fk.irq_set_fds[3];
	assert_true(fd3 >= 0);
	/* Vector 3 is unmasked: its eventfd goes straight to KVM; the masked ones are watched. */
	assert_int_equal(fh.bound[fd3], d->msix.vec[3].gsi);
	assert_false(watched(fd3));
	assert_true(watched(fk.irq_set_fds[0]));
	assert_int_equal(fh.bound[fk.irq_set_fds[0]], -1);
	/* Mask vector 3: unbound and watched; a device interrupt then sets its PBA bit. */
	v = 1;
	pci_msix_bar_access(d, 3, 3 * 16 + 12, &v, 4, true);
	assert_int_equal(fh.bound[fd3], -1);
	assert_true(watched(fd3));
	fire(fd3);
	assert_true(pci_msix_pending(d, 3));
	/* Unmask: bound again, pending delivered by the model. */
	v = 0;
	pci_msix_bar_access(d, 3, 3 * 16 + 12, &v, 4, true);
	assert_int_equal(fh.bound[fd3], d->msix.vec[3].gsi);
	assert_false(pci_msix_pending(d, 3));
	/* Disable MSI-X: VFIO's MSI-X torn down, INTx back. */
	cfg_write(d, cap + 2, 2, 0x0000);
	assert_int_equal(fk.irq_set_index, VFIO_PCI_INTX_IRQ_INDEX);
	assert_int_equal(fh.bound[fd3], -1);
}

static void test_intx(void **state)
{
	struct pci_dev *d;
	unsigned pin;
	int fd;

	(void)state;
	d = create("0000:01:00.0");
	assert_non_null(d);
	fd = fk.irq_set_fds[0];
	assert_true(watched(fd));
	pin = pci_intx_route(d->slot, 0);
	fire(fd);
	assert_int_equal(fh.intx[pin], 1);
	assert_int_equal(fk.unmask_count, 0);
	/* The guest's EOI lowers the line and unmasks the host's. */
	pci_bus_intx_eoi(&bus, pin);
	assert_int_equal(fh.intx[pin], 0);
	assert_int_equal(fk.unmask_count, 1);
	/* An EOI with nothing pending unmasks nothing. */
	pci_bus_intx_eoi(&bus, pin);
	assert_int_equal(fk.unmask_count, 1);
}

static void test_teardown(void **state)
{
	struct pci_dev *d;

	(void)state;
	d = create("0000:01:00.0");
	assert_non_null(d);
	cfg_write(d, 0x04, 2, PCI_CMD_MEM | PCI_CMD_MASTER);
	pci_bus_destroy(&bus);
	/* Bus master and decoding off, maps gone, device closed (only container+group left). */
	assert_int_equal(fk.config[0x04] & 0x7, 0);
	assert_int_equal(fk.mmaps, 0);
	vfio_state_close(&st);
	assert_int_equal(fk.open_fds, 0);
	pci_bus_init(&bus, &host_ops, 1ULL << 36);
}

/* --viommu: the group gets a container of its own with nothing mapped at start, the function
 * is an endpoint by its guest requester ID, and tear-down unmaps what the guest mapped. */
static void test_viommu(void **state)
{
	static struct vfio_viommu vi;
	static struct guest_mem mem = {
		.n = 1, .r = { { .gpa = 0, .size = 1 << 20, .hva = (void *)0x7f0000000000ULL } },
		.ram_size = 1 << 20,
	};
	const struct iommu_backend_ops *ops = &vfio_viommu_ops;
	struct err e = { 0 };
	struct pci_dev *d;
	uint32_t ep;

	(void)state;
	vfio_viommu_init(&vi, &sys, &st.host, &mem);
	st.viommu = &vi;
	d = create("0000:01:00.0");
	assert_non_null(d);
	assert_null(st.container.sys);			/* no VM-wide container */
	assert_int_equal(fk.containers, 1);
	assert_int_equal(fk.group_container[5], FAKE_CONTAINER_FD);
	assert_int_equal(vfio_state_map_ram(&st, &mem, &e), 0);
	assert_int_equal(fk.nlive, 0);			/* the device reaches nothing yet */
	ep = PCI_BDF(0, d->slot, 0);
	assert_true(ops->owns(&vi, ep));
	assert_false(ops->owns(&vi, PCI_BDF(0, d->slot + 1, 0)));
	assert_int_equal(ops->attach(&vi, ep, 1, false), 0);
	assert_int_equal(ops->map(&vi, 1, 0x10000, 0x1000, 0x1000, IOMMU_READ), 0);
	assert_int_equal(fk.nlive, 1);
	assert_int_equal(fk.live[0].vaddr, 0x7f0000001000ULL);
	/* The bus refuses the function: its endpoint is not left behind. */
	fake_add_dev("0000:04:00.0", 8, "vfio-pci");
	{
		struct vfio_pci_opts o;
		char buf[] = "host=0000:04:00.0";

		assert_int_equal(vfio_pci_parse(buf, &o, &e), 0);
		o.slot = PCI_SLOTS;
		vfio_state_add_passed(&st, &o.host, &e);
		assert_null(vfio_pci_create(&st, &bus, &o, &e));
		assert_non_null(strstr(e.msg, "invalid"));
		assert_int_equal(vi.neps, 1);
		assert_false(ops->owns(&vi, PCI_BDF(0, PCI_SLOTS, 0)));
	}
	pci_bus_destroy(&bus);
	vfio_state_close(&st);
	assert_int_equal(fk.nlive, 0);
	assert_int_equal(fk.open_fds, 0);
	pci_bus_init(&bus, &host_ops, 1ULL << 36);
}

/* --trace: the container's mappings of guest RAM (IOVA = GPA, before the guest runs) are one
 * vfio dma-map line per range for each passed-through function (docs/trace.md). */
static void test_trace_dma_map(void **state)
{
	static struct guest_mem mem = {
		.n = 2, .r = { { .gpa = 0, .size = 0x80000, .hva = (void *)0x7f0000000000ULL },
			       { .gpa = 0x100000, .size = 0x80000, .hva = (void *)0x7f0000100000ULL } },
		.ram_size = 0x100000,
	};
	char path[sizeof(TEST_TRACE_PATH)], buf[4096];
	struct trace t;
	struct err e = { 0 };

	(void)state;
	test_trace_begin(&t, path, NULL);
	bus.trace = &t;
	assert_non_null(create("0000:01:00.0"));
	assert_int_equal(vfio_state_map_ram(&st, &mem, &e), 0);
	bus.trace = NULL;
	test_trace_end(&t, path, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"host\":\"0000:01:00.0\",\"kind\":\"vfio\",\"ev\":\"dma-map\","
				   "\"iova\":\"0\",\"size\":\"0x80000\",\"flags\":\"rw\",\"result\":0}\n"));
	assert_non_null(strstr(buf, "\"ev\":\"dma-map\",\"iova\":\"0x100000\",\"size\":\"0x80000\","));
}

static void test_errors(void **state)
{
	struct vfio_pci_opts o;
	struct err e = { 0 };
	char buf[128];

	(void)state;
	strcpy(buf, "rombar=0");
	assert_int_equal(vfio_pci_parse(buf, &o, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "needs host=BDF"));
	strcpy(buf, "host=zz");
	assert_int_equal(vfio_pci_parse(buf, &o, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "0000:01:00.0"));
	strcpy(buf, "host=01:00.0,speed=9");
	assert_int_equal(vfio_pci_parse(buf, &o, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "unknown option speed=9"));
	strcpy(buf, "host=01:00.0,addr=32");
	assert_int_equal(vfio_pci_parse(buf, &o, &e), -EINVAL);
	strcpy(buf, "host=01:00.0,rombar=2");
	assert_int_equal(vfio_pci_parse(buf, &o, &e), -EINVAL);
	strcpy(buf, "host=01:00.0,rombar=0,addr=5,romfile=/x");
	assert_int_equal(vfio_pci_parse(buf, &o, &e), 0);
	assert_false(o.rombar);
	assert_int_equal(o.slot, 5);
	assert_string_equal(o.romfile, "/x");
	/* Host-side refusals, each naming the fix. */
	assert_null(create("0000:02:00.0"));		/* bound to e1000e */
	assert_null(create("0000:03:00.0"));		/* no IOMMU group */
	assert_null(create("0000:09:00.0"));		/* absent */
	{
		struct pci_bdf b;

		bdf_parse("0000:01:00.0", &b);
		assert_int_equal(vfio_state_add_passed(&st, &b, &e), 0);
		assert_int_equal(vfio_state_add_passed(&st, &b, &e), -EINVAL);
		assert_non_null(strstr(e.msg, "twice"));
	}
}

/* vfvm places the BARs; a BAR larger than its windows is refused, naming the BAR. */
static void test_place(void **state)
{
	struct pci_dev *d;
	struct err e = { 0 };

	(void)state;
	d = create("0000:01:00.0");
	assert_non_null(d);
	assert_int_equal(vfio_pci_place(d, &e), 0);
	assert_true(pci_bar_addr(d, 0) >= 0xc0000000ULL);
	/* The placement is what a guest reset restores. */
	cfg_write(d, 0x10, 4, 0xd0000000);
	pci_dev_reset(d);
	assert_int_equal(cfg_read(d, 0x10, 4) & ~0xfu, pci_bar_addr(d, 0));
	assert_true(pci_bar_addr(d, 0) != 0xd0000000);
}

/* Every reset turns bus master and decoding off on the device before VFIO_DEVICE_RESET,
 * counts only resets that ran, and a device with no reset method is still quiesced. */
static void test_reset(void **state)
{
	struct pci_dev *d;

	(void)state;
	cfg16(PCI_COMMAND, PCI_CMD_MASTER | PCI_CMD_MEM | PCI_CMD_IO);	/* left on by a guest */
	d = create("0000:01:00.0");
	assert_non_null(d);
	assert_int_equal(fk.resets, 1);
	assert_int_equal(fk.cmd_at_reset & 7, 0);
	assert_int_equal(vfio_pci_resets(d), 1);
	cfg_write(d, PCI_COMMAND, 2, PCI_CMD_MASTER | PCI_CMD_MEM | PCI_CMD_IO);
	assert_int_equal(fk.config[PCI_COMMAND] & 7, 7);
	pci_dev_reset(d);
	assert_int_equal(fk.resets, 2);
	assert_int_equal(fk.cmd_at_reset & 7, 0);
	assert_int_equal(fk.config[PCI_COMMAND] & 7, 0);
	assert_int_equal(vfio_pci_resets(d), 2);
}

static void test_reset_none(void **state)
{
	struct pci_dev *d;

	(void)state;
	fk.dev_flags = VFIO_DEVICE_FLAGS_PCI;			/* like the lab's edu */
	cfg16(PCI_COMMAND, PCI_CMD_MASTER | PCI_CMD_MEM);
	d = create("0000:01:00.0");
	assert_non_null(d);
	assert_int_equal(fk.resets, 0);
	assert_int_equal(vfio_pci_resets(d), 0);
	assert_int_equal(fk.config[PCI_COMMAND] & 7, 0);
	cfg_write(d, PCI_COMMAND, 2, PCI_CMD_MASTER | PCI_CMD_MEM);
	pci_dev_reset(d);
	assert_int_equal(fk.config[PCI_COMMAND] & 7, 0);
	assert_int_equal(vfio_pci_resets(d), 0);
}

static uint32_t bar0_reg(unsigned off)
{
	uint32_t v;

	memcpy(&v, &fk.bar0[off], 4);
	return v;
}

static void bar0_set(unsigned off, uint32_t v)
{
	memcpy(&fk.bar0[off], &v, 4);
}

/*
 * Issue 15: a reset method that is no reset. The lab's e1000e (8086:10d3, QEMU 7.2) offers
 * only PM D3hot->D0, which left it as the previous guest had it (measured: RCTL 0x04008002,
 * receive on, ring at 0x061AC000), so the next guest's Bus Master let it DMA frames into
 * whatever that address held. After each reset vfvm stops its receive and transmit units
 * and masks its interrupts (82574 datasheet §10.2), with memory decoding on for that only
 * and never bus master, and leaves Command as it was.
 */
static void test_reset_quirk_e1000e(void **state)
{
	struct pci_dev *d;

	(void)state;
	bar0_set(0x100, 0x04008002);		/* RCTL: EN, as the last guest left it */
	bar0_set(0x400, 0x0103f0fa);		/* TCTL: EN */
	bar0_set(0xd8, 0);			/* IMC */
	d = create("0000:01:00.0");
	assert_non_null(d);
	assert_int_equal(fk.bar0_refused, 0);
	assert_int_equal(bar0_reg(0x100) & 2, 0);
	assert_int_equal(bar0_reg(0x400) & 2, 0);
	assert_int_equal(bar0_reg(0xd8), 0xffffffff);
	assert_int_equal(fk.bar0_resets, 1);	/* CTRL.RST */
	assert_int_equal(fk.cmd_at_bar0_writes & PCI_CMD_MASTER, 0);
	assert_int_equal(fk.config[PCI_COMMAND] & 7, 0);
	/* A guest reset (pci_dev_reset) quiesces it again. */
	cfg_write(d, PCI_COMMAND, 2, PCI_CMD_MASTER | PCI_CMD_MEM);
	bar0_set(0x100, 0x04008002);
	pci_dev_reset(d);
	assert_int_equal(bar0_reg(0x100) & 2, 0);
	assert_int_equal(fk.bar0_resets, 2);
	assert_int_equal(fk.config[PCI_COMMAND] & 7, 0);
}

/* Other devices' BARs are not touched at reset. */
static void test_reset_quirk_other(void **state)
{
	struct pci_dev *d;

	(void)state;
	cfg16(0x02, 0x10d4);
	bar0_set(0x100, 0x04008002);
	d = create("0000:01:00.0");
	assert_non_null(d);
	assert_int_equal(fk.bar0_writes, 0);
	assert_int_equal(bar0_reg(0x100), 0x04008002);
}

static void test_place_too_big(void **state)
{
	struct pci_dev *d;
	struct err e = { 0 };

	(void)state;
	region(0, 1ULL << 31, false);		/* a 2 GiB 32-bit BAR: more than the 32-bit window */
	d = create("0000:01:00.0");
	assert_non_null(d);
	assert_int_equal(vfio_pci_place(d, &e), -ENOSPC);
	assert_true(e.usage);
	assert_string_equal(e.msg, "--device vfio,host=0000:01:00.0: its BARs do not fit vfvm's "
			    "PCI windows (the largest, BAR0, is 2048 MiB; 32-bit window below "
			    "0xfec00000, 64-bit window up to 0x2000000000, the guest's physical "
			    "address limit); pass fewer or smaller devices");
}

/* A GPU-sized 128 GiB 64-bit prefetchable BAR: refused by the default 64 GiB window with a
 * message naming its end, placed once the window reaches the guest's 40 physical bits. */
static void test_place_128g(void **state)
{
	struct pci_dev *d;
	struct err e = { 0 };

	(void)state;
	cfg32(0x10, 0x0000000c);		/* BAR0 64-bit prefetchable memory */
	region(0, 128ULL << 30, false);
	d = create("0000:01:00.0");
	assert_non_null(d);
	assert_int_equal(vfio_pci_place(d, &e), -ENOSPC);
	assert_non_null(strstr(e.msg, "BAR0, is 131072 MiB"));
	assert_non_null(strstr(e.msg, "64-bit window up to 0x2000000000"));
	pci_bus_destroy(&bus);
	vfio_state_close(&st);
	pci_bus_init(&bus, &host_ops, 1ULL << 36);
	pci_bus_set_phys_bits(&bus, 40);
	d = create("0000:01:00.0");
	assert_non_null(d);
	assert_int_equal(vfio_pci_place(d, &e), 0);
	assert_int_equal(pci_bar_addr(d, 0), 128ULL << 30);	/* naturally aligned */
	assert_int_equal(cfg_read(d, 0x14, 4), 128ULL << 30 >> 32);
	/* Memory decoding on: it decodes (below the 2^40 limit), so the BAR is mapped. */
	cfg_write(d, PCI_COMMAND, 2, PCI_CMD_MEM);
	assert_true(d->bars[0].mapped);
	assert_int_equal(d->bars[0].mapped_addr, 128ULL << 30);
}

static void test_error_messages(void **state)
{
	struct vfio_pci_opts o = { .rombar = true, .slot = -1 };
	struct err e = { 0 };

	(void)state;
	bdf_parse("0000:02:00.0", &o.host);
	assert_null(vfio_pci_create(&st, &bus, &o, &e));
	assert_string_equal(e.msg, "0000:02:00.0 is bound to e1000e, not to vfio-pci; run: "
			    "vfvm bind 0000:02:00.0");
	assert_true(e.usage);
	bdf_parse("0000:03:00.0", &o.host);
	assert_null(vfio_pci_create(&st, &bus, &o, &e));
	assert_non_null(strstr(e.msg, "intel_iommu=on"));
	fk.api_version = -1;				/* no /dev/vfio/vfio */
	bdf_parse("0000:01:00.0", &o.host);
	assert_null(vfio_pci_create(&st, &bus, &o, &e));
	assert_non_null(strstr(e.msg, "modprobe vfio-pci"));
}

/* The device of make_device() with a 2048-vector MSI-X table (PBA at 0x8000 in BAR3). */
static void make_big_msix(void)
{
	cfg16(0xa2, 2047);
	cfg32(0xa8, 0x00008003);
	region(3, 0x10000, true);
	fk.irq_count[VFIO_PCI_MSIX_IRQ_INDEX] = 2048;
}

/*
 * Issue 16 item 4: 2048 vectors are 4096 eventfds once MSI-X is on, past a soft open-file
 * limit of 1024. vfvm raises the soft limit to the hard one when the device is created, and
 * every vector then gets its eventfd and (masked) its watch.
 */
static void test_msix_2048(void **state)
{
	struct rlimit old, rl;
	struct pci_dev *d;
	unsigned cap;

	(void)state;
	make_big_msix();
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	if (old.rlim_max < 8192) {
		print_message("SKIP test_msix_2048: hard RLIMIT_NOFILE %llu < 8192\n",
			      (unsigned long long)old.rlim_max);
		skip();
	}
	rl = (struct rlimit){ .rlim_cur = 1024, .rlim_max = old.rlim_max };
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	d = create("0000:01:00.0");
	assert_non_null(d);
	assert_int_equal(d->msix.nvec, 2048);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	assert_int_equal(rl.rlim_cur, old.rlim_max);
	cap = pci_cap_find(d, 0x11);
	cfg_write(d, 0x04, 2, PCI_CMD_MEM | PCI_CMD_MASTER);
	cfg_write(d, cap + 2, 2, 0x8000);
	assert_int_equal(fk.irq_set_index, VFIO_PCI_MSIX_IRQ_INDEX);
	assert_int_equal(fk.irq_set_count, 2048);
	assert_true(fk.irq_set_fds[2047] >= 0);
	assert_true(watched(fk.irq_set_fds[0]));
	assert_true(watched(fk.irq_set_fds[2047]));
	assert_int_equal(fh.nwatch, 2048);		/* every vector (INTx's watch went) */
	cfg_write(d, cap + 2, 2, 0x0000);
	assert_int_equal(fk.irq_set_index, VFIO_PCI_INTX_IRQ_INDEX);
	setrlimit(RLIMIT_NOFILE, &old);
}

/* Where even the hard limit is too low, the device is refused with the number needed. */
static void test_msix_fd_limit_refused(void **state)
{
	pid_t pid;
	int st_;

	(void)state;
	make_big_msix();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { .rlim_cur = 1024, .rlim_max = 1024 };
		struct vfio_pci_opts o;
		struct err e = { 0 };
		char buf[] = "host=0000:01:00.0";

		if (setrlimit(RLIMIT_NOFILE, &rl) || vfio_pci_parse(buf, &o, &e))
			_exit(10);
		vfio_state_add_passed(&st, &o.host, &e);
		if (vfio_pci_create(&st, &bus, &o, &e))
			_exit(11);
		_exit(strstr(e.msg, "0000:01:00.0: its 2048 interrupt vectors need about 4352 open "
			  "files in all, over the hard limit of 1024; raise it (ulimit -Hn 4352") ?
		      0 : 12);
	}
	assert_int_equal(waitpid(pid, &st_, 0), pid);
	assert_true(WIFEXITED(st_));
	assert_int_equal(WEXITSTATUS(st_), 0);
}

/* A masked vector that the device thread cannot watch: one warning naming the device. */
static void test_msix_watch_failure_said(void **state)
{
	struct pci_dev *d;
	unsigned cap;
	char out[512] = "";
	FILE *f = tmpfile();
	int saved = dup(2);

	(void)state;
	d = create("0000:01:00.0");
	assert_non_null(d);
	cap = pci_cap_find(d, 0x11);
	cfg_write(d, 0x04, 2, PCI_CMD_MEM | PCI_CMD_MASTER);
	fh.watch_err = -ENOMEM;
	fflush(stderr);
	dup2(fileno(f), 2);
	cfg_write(d, cap + 2, 2, 0x8000);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(f);
	out[fread(out, 1, sizeof(out) - 1, f)] = 0;
	fclose(f);
	fh.watch_err = 0;
	assert_int_equal(fk.irq_set_index, VFIO_PCI_MSIX_IRQ_INDEX);
	assert_non_null(strstr(out, "vfvm: warning: 0000:01:00.0: cannot watch masked vector 0 "
			   "(Cannot allocate memory); its interrupts while masked are lost\n"));
	/* Once per device, not once per vector. */
	assert_null(strstr(strstr(out, "lost") + 4, "cannot watch"));
	cfg_write(d, cap + 2, 2, 0x0000);
}

/* A BAR whose mmap is refused still works, trapped, and vfvm says so (issue 16 item 5). */
static void test_bar_mmap_refused_said(void **state)
{
	char out[512] = "";
	FILE *f = tmpfile();
	int saved = dup(2);
	struct pci_dev *d;

	(void)state;
	fk.mmap_fail = 1;
	fflush(stderr);
	dup2(fileno(f), 2);
	d = create("0000:01:00.0");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(f);
	out[fread(out, 1, sizeof(out) - 1, f)] = 0;
	fclose(f);
	assert_non_null(d);
	assert_int_equal(d->bars[0].nsub, 0);
	assert_non_null(strstr(out, "vfvm: warning: 0000:01:00.0: BAR0 0x0+0x20000 cannot be "
			   "mmapped; it is trapped instead (each access an exit to vfvm)\n"));
}

/* --stats says which resets the host can do and how many were done (issue 16 item 2). */
static void test_reset_method_reported(void **state)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	fake_put("sys/bus/pci/devices/0000:01:00.0/reset_method", "flr bus\n");
	assert_non_null(create("0000:01:00.0"));
	f = open_memstream(&out, &len);
	vfio_state_print_resets(&st, f);
	fclose(f);
	assert_string_equal(out, "vfvm: vfio 0000:01:00.0: 1 reset(s) done; the host's methods, "
			    "in the order the kernel tries them: flr,bus\n");
	free(out);
	/* The same once the device is gone with the bus, as at vfvm's exit (the lab saw a NULL
	 * dereference there). */
	pci_bus_destroy(&bus);
	pci_bus_init(&bus, &host_ops, 1ULL << 36);
	f = open_memstream(&out, &len);
	vfio_state_print_resets(&st, f);
	fclose(f);
	assert_string_equal(out, "vfvm: vfio 0000:01:00.0: 1 reset(s) done; the host's methods, "
			    "in the order the kernel tries them: flr,bus\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_quirk_e1000e, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_quirk_other, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_pcie_v1_at_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extcaps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rom_after_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bars, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_teardown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_viommu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trace_dma_map, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_place, setup, teardown),
		cmocka_unit_test_setup_teardown(test_place_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_place_128g, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_none, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msix_2048, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msix_fd_limit_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msix_watch_failure_said, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_mmap_refused_said, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_method_reported, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
