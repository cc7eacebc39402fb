/* smp_exits.c - the multi-vCPU exit benchmark guest (bench/README.md, `make bench-smp`): each of
 * cpus=N vCPUs (1-4) hammers a different emulated device for iters=M rounds and the guest prints
 * each vCPU's exit count and TSC window, plus a TSC calibration against the PIT; the lab scenario
 * bench-smp turns them into exits per second. Numbers only: it fails only if a vCPU never ran.
 * Devices: vCPU 0 the RTC index/data ports (2 exits a round), 1 PCI config 0xCF8/0xCFC (2),
 * 2 a PIT counter latch and read (3), 3 a read of the PCI test device's trapped MMIO BAR (1).
 * same=1: every vCPU on the RTC instead, the control that shows what one lock costs: with a
 * VM-wide lock both layouts serialise alike, with per-device locks only this one should. */
#include "rt.h"

const char guest_name[] = "smp_exits";

#define MAXCPU		4
#define CAL_TICKS	59659u		/* 50 ms of the 1.193182 MHz PIT */
#define TESTDEV_VENDOR	0x1234
#define TESTDEV_DEVICE	0x7e57

struct cpu_run {
	uint64_t t0, t1;
	uint32_t exits;
};

static volatile uint32_t ready, finished, go;
static volatile struct cpu_run runs[MAXCPU];
static uint32_t iters, testdev_bar, same;

static const char *const dev_name[MAXCPU] = { "rtc", "pci-config", "pit", "testdev-mmio" };

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static uint32_t cfg_read(uint32_t bdf, unsigned off)
{
	outl(0xCF8, 0x80000000u | (bdf << 8) | off);
	return inl(0xCFC);
}

/* The test device's register BAR (BAR1, 32-bit MMIO) with Memory Space decoding turned on. */
static uint32_t testdev_find(void)
{
	for (uint32_t slot = 0; slot < 32; slot++) {
		uint32_t bdf = slot << 3;

		if (cfg_read(bdf, 0) != (TESTDEV_DEVICE << 16 | TESTDEV_VENDOR))
			continue;
		outl(0xCF8, 0x80000000u | (bdf << 8) | 0x04);
		outl(0xCFC, (inl(0xCFC) & 0xffff) | 0x2);	/* Command: Memory Space */
		return cfg_read(bdf, 0x14) & ~0xfu;
	}
	return 0;
}

/* One round on vCPU @cpu's device; returns the exits it made. */
static uint32_t round_on(unsigned cpu)
{
	switch (cpu) {
	case 0:
		outb(0x70, 0x00);		/* RTC seconds (MC146818A), NMI left enabled */
		(void)inb(0x71);
		return 2;
	case 1:
		(void)cfg_read(0, 0);		/* host bridge vendor/device */
		return 2;
	case 2:
		outb(0x43, 0x00);		/* counter latch, counter 0 (8254 §"Counter Latch") */
		(void)inb(0x40);
		(void)inb(0x40);
		return 3;
	default:
		(void)mmio_read32(testdev_bar);	/* TESTDEV_ID */
		return 1;
	}
}

static void hammer(unsigned cpu)
{
	uint32_t exits = 0;
	uint64_t t0;

	__atomic_fetch_add(&ready, 1, __ATOMIC_SEQ_CST);
	while (!go)
		cpu_relax();
	t0 = rdtsc();
	for (uint32_t i = 0; i < iters; i++)
		exits += round_on(same ? 0 : cpu);
	runs[cpu].t1 = rdtsc();
	runs[cpu].t0 = t0;
	runs[cpu].exits = exits;
	__atomic_fetch_add(&finished, 1, __ATOMIC_SEQ_CST);
}

void ap_main(uint32_t ticket)
{
	if (ticket + 1 < MAXCPU)
		hammer(ticket + 1);
}

static void print_u64(const char *key, uint64_t v)
{
	printf(" %s %u %u", key, (uint32_t)(v >> 32), (uint32_t)v);
}

void guest_main(uint32_t magic, uint32_t info)
{
	uint32_t n = cmdline_uint(boot_cmdline(), "cpus", 1);
	uint64_t c0, c1;

	(void)magic, (void)info;
	iters = cmdline_uint(boot_cmdline(), "iters", 5000);
	same = cmdline_uint(boot_cmdline(), "same", 0);
	if (n < 1 || n > MAXCPU)
		return fail("cmdline", "want cpus=1..%u", MAXCPU);
	if (n == MAXCPU && !same && !(testdev_bar = testdev_find()))
		return fail("testdev", "cpus=4 needs --device testdev");
	/* The TSC's rate, against the PIT (counter 2, polled at port 0x61), before the run. */
	c0 = rdtsc();
	pit_wait_ticks(CAL_TICKS);
	c1 = rdtsc();
	lapic_enable(0xFF);
	if (n > 1)
		smp_start();
	for (int i = 0; i < 40 && ready < n - 1; i++)
		wait_count(&ready, n - 1, 50000);
	if (!check("aps_ready", ready == n - 1, "%u of %u APs came up", ready, n - 1))
		done();
	go = 1;
	hammer(0);
	/* Wait on the TSC, not the PIT: polling port 0x61 would be exits beside the others'. */
	for (uint64_t end = rdtsc() + (c1 - c0) * 20 * 240; finished < n && rdtsc() < end;)
		cpu_relax();				/* up to 4 minutes */
	check("cpus_finished", finished == n, "%u of %u vCPUs finished", finished, n);
	printf("T|smp cal pit_ticks %u", CAL_TICKS);
	print_u64("tsc", c1 - c0);
	printf("\n");
	for (unsigned k = 0; k < n && k < finished; k++) {
		printf("T|smp cpus %u cpu %u dev %s exits %u", n, k, dev_name[same ? 0 : k],
		       runs[k].exits);
		print_u64("t0", runs[k].t0);
		print_u64("t1", runs[k].t1);
		printf("\n");
	}
}
