/* pci_reset.c - a guest reset (0xCF9, run with --reboot) puts the PCI devices back to their
 * power-on state: Command 0, vfvm's initial BAR placement, MSI-X off with vectors masked,
 * INTx deasserted, device registers cleared. The test device's RAM BAR is not cleared by a
 * reset, so it carries a marker from the first boot into the second. */
#include "rt.h"
#include "../../src/pci/testdev.h"

const char guest_name[] = "pci_reset";

#define REGS	0xe0000000u
#define MSIX	0xe0001000u
#define RAM	0xe0100000u
#define MARKER	0x5ee0ba11u

static unsigned slot;

static uint32_t cfg_read32(unsigned reg)
{
	outl(0xcf8, 0x80000000u | slot << 11 | reg);
	return inl(0xcfc);
}

static void cfg_write32(unsigned reg, uint32_t v)
{
	outl(0xcf8, 0x80000000u | slot << 11 | reg);
	outl(0xcfc, v);
}

static unsigned find_cap(uint8_t id)
{
	unsigned off = cfg_read32(0x34) & 0xfc;

	for (int n = 0; n < 48 && off >= 0x40; n++) {
		uint32_t h = cfg_read32(off);

		if ((h & 0xff) == id)
			return off;
		off = (h >> 8) & 0xfc;
	}
	return 0;
}

void guest_main(uint32_t magic, uint32_t info)
{
	unsigned msix;
	uint32_t bar1, bar2;

	(void)magic;
	(void)info;
	for (unsigned s = 1; s < 32 && !slot; s++) {
		outl(0xcf8, 0x80000000u | s << 11);
		if (inl(0xcfc) == TESTDEV_ID_VALUE)
			slot = s;
	}
	if (!check("found", slot != 0, "no test device"))
		return;
	msix = find_cap(0x11);
	bar1 = cfg_read32(0x14);
	bar2 = cfg_read32(0x18);
	check_eq("power_on.command", cfg_read32(0x04) & 0xffff, 0);
	check_eq("power_on.msix", cfg_read32(msix) >> 16, TESTDEV_MSIX_VECTORS - 1);
	cfg_write32(0x14, REGS);
	cfg_write32(0x18, RAM);
	cfg_write32(0x1c, 0);
	cfg_write32(0x20, MSIX);
	cfg_write32(0x04, 0x0006);
	if (mmio_read32(RAM) != MARKER) {
		/* First boot: leave everything as far from power-on as possible, then reset. */
		printf("  pci_reset: first boot, BAR1 0x%x BAR2 0x%x; resetting\n", bar1, bar2);
		mmio_write32(RAM, MARKER);
		mmio_write32(RAM + 4, bar1);
		mmio_write32(RAM + 8, bar2);
		mmio_write32(REGS + TESTDEV_SCRATCH, 0x1234);
		mmio_write32(REGS + TESTDEV_INTX, 1);
		cfg_write32(msix, 0x80000000u);
		mmio_write32(MSIX + 12, 0);
		cfg_write32(0x3c, 0x0b);
		outb(0xcf9, 0x06);		/* hard reset (PIIX3 Reset Control Register) */
		fail("reset", "still running after the reset request");
		return;
	}
	mmio_write32(RAM, 0);			/* the next run starts from a first boot again */
	check_eq("second.bar1", mmio_read32(RAM + 4), bar1);
	check_eq("second.bar2", mmio_read32(RAM + 8), bar2);
	check_eq("second.scratch", mmio_read32(REGS + TESTDEV_SCRATCH), 0);
	check_eq("second.intx", mmio_read32(REGS + TESTDEV_INTX), 0);
	check_eq("second.status", (cfg_read32(0x04) >> 16) & 8, 0);
	check_eq("second.msix_off", cfg_read32(msix) >> 31, 0);
	check_eq("second.vector_masked", mmio_read32(MSIX + 12), 1);
	check_eq("second.int_line", cfg_read32(0x3c) & 0xff, 16 + slot % 8);
}
