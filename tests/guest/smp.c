/* smp.c - brings up every AP with INIT-SIPI-SIPI (lib/ap_boot.S trampoline below 1 MiB) and
 * checks that the expected number arrive (cpus=N on the command line), each with a distinct
 * local APIC ID that matches its CPUID leaf 1 initial APIC ID (EBX[31:24]), and that the
 * BSP is APIC ID 0 (MP table, vfvm numbers vCPUs 0..N-1). */
#include "rt.h"

const char guest_name[] = "smp";

#define MAXCPU 32	/* the ID bitmap below is 32 bits */
static volatile uint32_t ap_lapic[MAXCPU], ap_cpuid[MAXCPU], ap_done;

static uint32_t cpuid_apic_id(void)
{
	uint32_t a = 1, b, c = 0, d;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return b >> 24;
}

void ap_main(uint32_t ticket)
{
	ap_lapic[ticket] = lapic_id();
	ap_cpuid[ticket] = cpuid_apic_id();
	__atomic_fetch_add(&ap_done, 1, __ATOMIC_SEQ_CST);
}

void guest_main(uint32_t magic, uint32_t info)
{
	uint32_t want = cmdline_uint(boot_cmdline(), "cpus", 1), seen = 0, n, bsp;
	bool distinct = true, match = true;

	(void)magic, (void)info;
	if (want < 2 || want > MAXCPU)
		return fail("cmdline", "want cpus=2..%u on the command line", MAXCPU);
	lapic_enable(0xFF);
	bsp = lapic_id();
	check_eq("bsp_apic_id", bsp, 0);
	check_eq("bsp_cpuid_apic_id", cpuid_apic_id(), bsp);
	smp_start();
	for (int i = 0; i < 20 && ap_done < want - 1; i++)
		wait_count(&ap_done, want - 1, 50000);	/* up to 1 s */
	delay_us(20000);				/* no extra CPU shows up late */
	n = ap_done;
	printf("  %u APs up (ticket %u), want %u\n", n, ap_ticket, want - 1);
	for (uint32_t i = 0; i < n && i < MAXCPU; i++) {
		printf("  AP %u: LAPIC ID %u, CPUID initial APIC ID %u\n", i, ap_lapic[i],
		       ap_cpuid[i]);
		if (ap_lapic[i] == bsp || ap_lapic[i] >= MAXCPU || (seen & (1ull << ap_lapic[i])))
			distinct = false;
		else
			seen |= 1u << ap_lapic[i];
		if (ap_cpuid[i] != ap_lapic[i])
			match = false;
	}
	check_eq("ap_count", n, want - 1);
	check("distinct_ids", distinct, "APIC IDs repeat or clash with the BSP's");
	check("ids_dense", distinct && seen == (((1u << want) - 1) & ~1u),
	      "AP APIC IDs mask 0x%x, want 1..%u", seen, want - 1);
	check("cpuid_matches_lapic", match, "CPUID leaf 1 EBX[31:24] differs from the LAPIC ID");
}
