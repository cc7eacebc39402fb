/* pci_bars.c - BAR relocation rules seen from a guest with two test devices: an overlapping
 * BAR stays off until the conflict goes away, BARs never cover RAM or the LAPIC, the RAM BAR
 * keeps its contents when moved, a half-sized 64-bit BAR maps nothing, the ROM reads 55 AA. */
#include "rt.h"
#include "../../src/pci/testdev.h"

const char guest_name[] = "pci_bars";

#define A_REGS	0xe0000000u
#define B_REGS	0xe0002000u
#define RAM1	0xe0100000u
#define RAM2	0xe0400000u
#define ROM	0xe0800000u
#define FREE_RAM 0x01000000u	/* 16 MiB: guest RAM nobody uses */

static uint32_t cfg_read32(unsigned s, unsigned reg)
{
	outl(0xcf8, 0x80000000u | s << 11 | reg);
	return inl(0xcfc);
}

static void cfg_write32(unsigned s, unsigned reg, uint32_t v)
{
	outl(0xcf8, 0x80000000u | s << 11 | reg);
	outl(0xcfc, v);
}

static uint32_t rd(uint32_t a) { return mmio_read32(a); }

void guest_main(uint32_t magic, uint32_t info)
{
	unsigned a = 0, b = 0;
	uint32_t v, lapic_ver = lapic_read(LAPIC_VER);

	(void)magic;
	(void)info;
	for (unsigned s = 1; s < 32; s++) {
		if (cfg_read32(s, 0) != TESTDEV_ID_VALUE)
			continue;
		if (!a)
			a = s;
		else if (!b)
			b = s;
	}
	if (!check("two_devices", a && b, "found slots %u and %u", a, b))
		return;
	cfg_write32(a, 0x14, A_REGS);
	cfg_write32(b, 0x14, B_REGS);
	cfg_write32(a, 0x04, 0x0002);
	cfg_write32(b, 0x04, 0x0002);
	mmio_write32(A_REGS + TESTDEV_SCRATCH, 0xaaaa);
	mmio_write32(B_REGS + TESTDEV_SCRATCH, 0xbbbb);
	check_eq("a", rd(A_REGS + TESTDEV_SCRATCH), 0xaaaa);
	check_eq("b", rd(B_REGS + TESTDEV_SCRATCH), 0xbbbb);

	/* B onto A: A keeps decoding, B is off; B's old address is empty. */
	cfg_write32(b, 0x14, A_REGS);
	check_eq("overlap.a_wins", rd(A_REGS + TESTDEV_SCRATCH), 0xaaaa);
	check_eq("overlap.old_gone", rd(B_REGS + TESTDEV_SCRATCH), 0xffffffffu);
	/* A moves away: B takes the address. */
	cfg_write32(a, 0x14, B_REGS);
	check_eq("overlap.b_active", rd(A_REGS + TESTDEV_SCRATCH), 0xbbbb);
	check_eq("overlap.a_moved", rd(B_REGS + TESTDEV_SCRATCH), 0xaaaa);

	/* Into guest RAM: stays off, RAM unchanged. */
	*(volatile uint32_t *)FREE_RAM = 0x12345678;
	cfg_write32(a, 0x14, FREE_RAM);
	check_eq("ram.untouched", rd(FREE_RAM), 0x12345678);
	check_eq("ram.bar_off", rd(B_REGS + TESTDEV_SCRATCH), 0xffffffffu);
	/* Onto the LAPIC: stays off, the LAPIC still answers. */
	cfg_write32(a, 0x14, 0xfee00000u);
	check_eq("lapic.intact", lapic_read(LAPIC_VER), lapic_ver);
	cfg_write32(a, 0x14, B_REGS);
	check_eq("back", rd(B_REGS + TESTDEV_SCRATCH), 0xaaaa);

	/* RAM BAR: contents follow the BAR. */
	cfg_write32(a, 0x18, RAM1);
	cfg_write32(a, 0x1c, 0);
	for (uint32_t i = 0; i < 64; i++)
		mmio_write32(RAM1 + i * 4096, 0xc0de0000u + i);
	cfg_write32(a, 0x18, RAM2);
	v = 0;
	for (uint32_t i = 0; i < 64; i++)
		v += rd(RAM2 + i * 4096) != 0xc0de0000u + i;
	check_eq("rambar.moved", v, 0);
	check_eq("rambar.old_gone", rd(RAM1), 0xffffffffu);
	/* Half-way through sizing the low dword with decoding on: nothing at 0xFFF00000. */
	cfg_write32(a, 0x18, 0xffffffffu);
	check_eq("rambar.sizing", cfg_read32(a, 0x18), 0xfff0000cu);
	check_eq("rambar.sizing_off", rd(RAM2), 0xffffffffu);
	check_eq("rambar.lapic", lapic_read(LAPIC_VER), lapic_ver);
	cfg_write32(a, 0x18, RAM2);
	check_eq("rambar.restored", rd(RAM2), 0xc0de0000u);
	/* Memory decoding off and on again: same contents, no slot churn visible. */
	cfg_write32(a, 0x04, 0);
	check_eq("rambar.cmd_off", rd(RAM2), 0xffffffffu);
	cfg_write32(a, 0x04, 0x0002);
	check_eq("rambar.cmd_on", rd(RAM2 + 4096), 0xc0de0001u);

	/* Expansion ROM: size, enable bit, 55 AA. */
	cfg_write32(a, 0x30, 0xffffffffu);
	check_eq("rom.size", cfg_read32(a, 0x30), 0xfffff801u);
	cfg_write32(a, 0x30, ROM);
	check_eq("rom.disabled", rd(ROM), 0xffffffffu);
	cfg_write32(a, 0x30, ROM | 1);
	check_eq("rom.sig", rd(ROM) & 0xffffff, 0x04aa55);
	mmio_write32(ROM, 0);
	check_eq("rom.readonly", rd(ROM) & 0xffff, 0xaa55);
}
