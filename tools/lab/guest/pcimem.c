/* pcimem.c - runs inside vfvm's Linux guest (static, no driver needed): uses the PCI test device
 * through sysfs (resourceN mmap) to check that its RAM-backed BAR works without VM exits. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Register offsets of BAR1, from src/pci/testdev.h (kept free of vfvm's include path). */
#define REG_ID		0x00
#define REG_SCRATCH	0x08
#define REG_MSI		0x10
#define REG_IRQ_COUNT	0x14
#define REG_MMIO_EXITS	0x40
#define ID_VALUE	0x7e571234u

/* Exits that the guest kernel may cause on its own between two reads of MMIO_EXITS (none are
 * expected: LAPIC/timer are in KVM, the UART is port I/O); the reads themselves are counted. */
#define SLACK		4
#define PROBE_WORDS	64
#define SCRATCH_WRITES	64

/* MSI-X without a driver: entry 0 targets APIC 0 with a vector no Linux IRQ uses, so the guest
 * kernel reports each arrival as "No irq handler for vector" (arch/x86/kernel/irq.c). */
#define MSIX_VECTOR	0xd0
#define MSIX_ADDR	0xfee00000u	/* fixed delivery, physical destination APIC 0 (SDM §11.11.1) */
#define PCI_CAP_MSIX	0x11
#define PCI_CMD_MASTER	0x4

struct bar {
	volatile uint32_t *p;
	size_t size;
};

static int failures;

static void result(int ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void result(int ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("pci-linux: %s %s: ", ok ? "PASS" : "FAIL", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!ok)
		failures++;
}

/* bar_map: mmaps DEV/resourceN whole; the file's size is the BAR size (Linux pci-sysfs.c). */
static int bar_map(const char *dev, int n, struct bar *b)
{
	char path[512];
	struct stat st;
	void *p;
	int fd;

	snprintf(path, sizeof(path), "%s/resource%d", dev, n);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "pcimem: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	p = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		fprintf(stderr, "pcimem: mmap %s: %s\n", path, strerror(errno));
		return -1;
	}
	b->p = p;
	b->size = st.st_size;
	return 0;
}

static uint32_t reg_read(struct bar *regs, unsigned off)
{
	return regs->p[off / 4];
}

static uint32_t pattern(size_t i, uint32_t seed)
{
	return (uint32_t)(i * 2654435761u) ^ seed;
}

/* fill_check: writes a pattern over the first WORDS dwords of the RAM BAR, reads it back;
 * returns the index of the first mismatch, or WORDS. */
static size_t fill_check(struct bar *ram, size_t words, uint32_t seed)
{
	size_t i;

	for (i = 0; i < words; i++)
		ram->p[i] = pattern(i, seed);
	for (i = 0; i < words; i++)
		if (ram->p[i] != pattern(i, seed))
			break;
	return i;
}

/* ram_bar_check: exits around the pattern run, read from the device's MMIO_EXITS register
 * (docs/pci.md): each read of it is one trapped access, counted before it returns. */
static void ram_bar_check(struct bar *regs, struct bar *ram)
{
	size_t words = ram->size / 4, bad;
	uint32_t e0, e1;

	/* A small probe first: if the RAM BAR traps, the full run would take minutes. */
	e0 = reg_read(regs, REG_MMIO_EXITS);
	bad = fill_check(ram, PROBE_WORDS, 0x5a5a5a5a);
	e1 = reg_read(regs, REG_MMIO_EXITS);
	result(bad == PROBE_WORDS, "ram-bar-probe", "%d dword writes+reads, first mismatch %zu",
	       PROBE_WORDS, bad);
	result(e1 - e0 <= SLACK, "ram-bar-probe-exits", "%" PRIu32 " MMIO exits for %d accesses "
	       "(1 is the read of MMIO_EXITS)", e1 - e0, 2 * PROBE_WORDS);
	if (e1 - e0 > SLACK || bad != PROBE_WORDS)
		return;

	e0 = reg_read(regs, REG_MMIO_EXITS);
	bad = fill_check(ram, words, 0xa5c3e10f);
	e1 = reg_read(regs, REG_MMIO_EXITS);
	result(bad == words, "ram-bar-pattern", "%zu dwords (%zu KiB) written and read back, "
	       "first mismatch %zu", words, ram->size / 1024, bad);
	result(e1 - e0 <= SLACK, "ram-bar-exits", "%" PRIu32 " MMIO exits for %zu accesses "
	       "(1 is the read of MMIO_EXITS)", e1 - e0, 2 * words);
	printf("pcimem: ram-bar-accesses %zu\n", 2 * words);
}

/* scratch_check: the control: trapped accesses must show up in the same counter, or the
 * zero above proves nothing. */
static void scratch_check(struct bar *regs)
{
	uint32_t e0, e1, v = 0;
	int i;

	e0 = reg_read(regs, REG_MMIO_EXITS);
	for (i = 0; i < SCRATCH_WRITES; i++)
		regs->p[REG_SCRATCH / 4] = 0x1000u + i;
	v = reg_read(regs, REG_SCRATCH);
	e1 = reg_read(regs, REG_MMIO_EXITS);
	result(v == 0x1000u + SCRATCH_WRITES - 1, "regs-scratch", "SCRATCH reads 0x%" PRIx32
	       " (want 0x%x)", v, 0x1000u + SCRATCH_WRITES - 1);
	result(e1 - e0 >= SCRATCH_WRITES + 2, "regs-exits-counted", "%" PRIu32 " MMIO exits for "
	       "%d trapped accesses (want >= %d)", e1 - e0, SCRATCH_WRITES + 2, SCRATCH_WRITES + 2);
}

static int cfg_read(int fd, unsigned off, void *v, size_t len)
{
	return pread(fd, v, len, off) == (ssize_t)len ? 0 : -1;
}

static int cfg_write(int fd, unsigned off, const void *v, size_t len)
{
	return pwrite(fd, v, len, off) == (ssize_t)len ? 0 : -1;
}

/* msix_cap: walks the capability list (PCI 3.0 §6.7) as a driver would; 0 if not found. */
static unsigned msix_cap(int fd)
{
	uint8_t pos = 0, hdr[2];

	if (cfg_read(fd, 0x34, &pos, 1))
		return 0;
	for (int i = 0; i < 48 && pos >= 0x40; i++) {
		if (cfg_read(fd, pos & ~3u, hdr, 2))
			return 0;
		if (hdr[0] == PCI_CAP_MSIX)
			return pos & ~3u;
		pos = hdr[1];
	}
	return 0;
}

/* msix_check: MSI-X from user space through sysfs (config, resourceN): table entry 0 resets
 * masked (§6.8.2.9), an unmasked trigger is sent, a masked one sets its PBA bit (§6.8.2.10) and
 * is sent when unmasked. The guest kernel's dmesg shows the two arrivals (pci-check.sh). */
static void msix_check(const char *dev, struct bar *regs)
{
	char path[512];
	struct bar tbl, pba;
	uint32_t toff, poff, c0, c1, last, pend, pend2;
	uint16_t cmd, ctl;
	unsigned cap;
	int fd;

	snprintf(path, sizeof(path), "%s/config", dev);
	fd = open(path, O_RDWR);
	cap = fd < 0 ? 0 : msix_cap(fd);
	if (!cap || cfg_read(fd, cap + 4, &toff, 4) || cfg_read(fd, cap + 8, &poff, 4) ||
	    bar_map(dev, toff & 7, &tbl) || bar_map(dev, poff & 7, &pba)) {
		result(0, "msix-setup", "no MSI-X capability or table/PBA BAR in %s", path);
		if (fd >= 0)
			close(fd);
		return;
	}
	toff &= ~7u;
	poff &= ~7u;
	result(tbl.p[toff / 4 + 3] & 1, "msix-reset-masked", "entry 0 Vector Control 0x%" PRIx32
	       " after reset (want Mask set)", tbl.p[toff / 4 + 3]);

	/* Bus Master on (an MSI is a memory write by the function), then entry 0, then enable. */
	ctl = 0x8000;				/* MSI-X Enable, Function Mask clear */
	if (cfg_read(fd, 4, &cmd, 2) || (cmd |= PCI_CMD_MASTER, cfg_write(fd, 4, &cmd, 2))) {
		result(0, "msix-setup", "cannot set Bus Master through %s", path);
		close(fd);
		return;
	}
	tbl.p[toff / 4 + 0] = MSIX_ADDR;
	tbl.p[toff / 4 + 1] = 0;
	tbl.p[toff / 4 + 2] = MSIX_VECTOR;
	tbl.p[toff / 4 + 3] = 0;
	if (cfg_write(fd, cap + 2, &ctl, 2)) {
		result(0, "msix-setup", "cannot set MSI-X Enable through %s", path);
		close(fd);
		return;
	}

	c0 = reg_read(regs, REG_IRQ_COUNT);
	regs->p[REG_MSI / 4] = 0;
	last = reg_read(regs, REG_MSI);
	c1 = reg_read(regs, REG_IRQ_COUNT);
	result(last == 0 && c1 == c0 + 1, "msix-send", "vector 0 unmasked: trigger result %" PRIu32
	       ", IRQ_COUNT %" PRIu32 " -> %" PRIu32, last, c0, c1);

	tbl.p[toff / 4 + 3] = 1;		/* mask entry 0, fire: pending, not sent */
	regs->p[REG_MSI / 4] = 0;
	pend = pba.p[poff / 4];
	tbl.p[toff / 4 + 3] = 0;		/* unmask: the pending message goes out */
	pend2 = pba.p[poff / 4];
	result((pend & 1) && !(pend2 & 1), "msix-pending", "PBA 0x%" PRIx32 " while masked, 0x%"
	       PRIx32 " after unmasking (want bit 0 set, then clear)", pend, pend2);
	printf("pcimem: msix-vector %d sent 2\n", MSIX_VECTOR);

	ctl = 0;				/* leave MSI-X off again */
	cfg_write(fd, cap + 2, &ctl, 2);
	close(fd);
}

int main(int argc, char **argv)
{
	struct bar regs, ram;
	uint32_t id;

	if (argc != 2) {
		fprintf(stderr, "usage: pcimem /sys/bus/pci/devices/DDDD:BB:SS.F\n");
		return 2;
	}
	if (bar_map(argv[1], 1, &regs) || bar_map(argv[1], 2, &ram)) {
		result(0, "bar-mmap", "cannot mmap resource1/resource2 of %s", argv[1]);
		return 1;
	}
	id = reg_read(&regs, REG_ID);
	result(id == ID_VALUE, "regs-id", "BAR1 ID register 0x%08" PRIx32 " (want 0x%08x)", id,
	       ID_VALUE);
	if (id != ID_VALUE)
		return 1;
	result(ram.size >= 4096, "ram-bar-size", "resource2 is %zu bytes", ram.size);
	if (ram.size < 4096)
		return 1;
	ram_bar_check(&regs, &ram);
	scratch_check(&regs);
	msix_check(argv[1], &regs);
	return failures ? 1 : 0;
}
