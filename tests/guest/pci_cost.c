/* pci_cost.c - what a test-device access costs from a guest: trapped MMIO and port reads,
 * ioeventfd doorbell writes, RAM-BAR and plain RAM reads, timed with the TSC (calibrated
 * against PIT counter 2) and printed as information lines (two leading spaces, docs/testing.md);
 * checks only that the device answers.
 * CPL0 guest code is emulated on the nested development host, so the "no exit" rows show
 * emulation cost there, not hardware speed. */
#include "rt.h"
#include "../../src/pci/testdev.h"

const char guest_name[] = "pci_cost";

#define IO_BASE		0xd000u
#define REGS_BASE	0xe0000000u
#define RAM_BASE	0xe0100000u
#define N		200

static volatile uint32_t plain[N * 16];

static inline uint32_t rdtsc32(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return lo;
}

static void cfg_write32(unsigned s, unsigned reg, uint32_t v)
{
	outl(0xcf8, 0x80000000u | s << 11 | reg);
	outl(0xcfc, v);
}

static uint32_t cfg_read32(unsigned s, unsigned reg)
{
	outl(0xcf8, 0x80000000u | s << 11 | reg);
	return inl(0xcfc);
}

static uint32_t per_us;		/* TSC cycles per microsecond */

static void report(const char *what, uint32_t cycles)
{
	uint32_t ns = per_us ? cycles / N * 1000 / per_us : 0;

	printf("  pci_cost.%s: %u ns per access (%u cycles)\n", what, ns, cycles / N);
}

void guest_main(uint32_t magic, uint32_t info)
{
	unsigned slot = 0;
	uint32_t t0, t, sum = 0;

	(void)magic;
	(void)info;
	for (unsigned s = 1; s < 32 && !slot; s++)
		if (cfg_read32(s, 0) == TESTDEV_ID_VALUE)
			slot = s;
	if (!check("found", slot != 0, "no test device"))
		return;
	cfg_write32(slot, 0x10, IO_BASE);
	cfg_write32(slot, 0x14, REGS_BASE);
	cfg_write32(slot, 0x18, RAM_BASE);
	cfg_write32(slot, 0x1c, 0);
	cfg_write32(slot, 0x04, 0x0007);
	check_eq("id", mmio_read32(REGS_BASE + TESTDEV_ID), TESTDEV_ID_VALUE);
	t0 = rdtsc32();
	pit_wait_ticks(11932);		/* 10 ms */
	per_us = (rdtsc32() - t0) / 10000;
	printf("  pci_cost.tsc: %u MHz\n", per_us);

	t0 = rdtsc32();
	for (int i = 0; i < N; i++)
		sum += mmio_read32(REGS_BASE + TESTDEV_SCRATCH);
	report("mmio_read_trapped", rdtsc32() - t0);
	t0 = rdtsc32();
	for (int i = 0; i < N; i++)
		sum += inl(IO_BASE + TESTDEV_SCRATCH);
	report("pio_read_trapped", rdtsc32() - t0);
	t0 = rdtsc32();
	for (int i = 0; i < N; i++)
		mmio_write32(REGS_BASE + TESTDEV_DOORBELL, 1);
	report("doorbell_mmio_ioeventfd", rdtsc32() - t0);
	t0 = rdtsc32();
	for (int i = 0; i < N; i++)
		outl(IO_BASE + TESTDEV_DOORBELL, 1);
	report("doorbell_pio_ioeventfd", rdtsc32() - t0);
	t0 = rdtsc32();
	for (int i = 0; i < N; i++)
		sum += mmio_read32(RAM_BASE + 64 * i);
	report("ram_bar_read", rdtsc32() - t0);
	t0 = rdtsc32();
	for (int i = 0; i < N; i++)
		sum += plain[16 * i];
	report("guest_ram_read", rdtsc32() - t0);
	(void)sum;
	/* All 400 doorbell writes arrive on the device thread. */
	for (int i = 0; i < 100 && mmio_read32(REGS_BASE + TESTDEV_DOORBELL) < 2 * N; i++)
		delay_us(1000);
	t = mmio_read32(REGS_BASE + TESTDEV_DOORBELL);
	check_eq("rings", t, 2 * N);
}
