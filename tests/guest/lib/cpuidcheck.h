/* cpuidcheck.h - the cpuid guests (cpuid.c, cpuid_compat.c differ only in name and .args):
 * what vfvm's CPUID tells a kernel about the platform (Intel SDM vol. 2A "CPUID"; AMD APM
 * vol. 3 appendix E; Linux Documentation/virt/kvm/x86/cpuid.rst), read on the BSP and on
 * every AP. Expectations from the command line: cpus=N (= --cpus), compat=1 (--cpuid-compat). */
#ifndef GUEST_CPUIDCHECK_H
#define GUEST_CPUIDCHECK_H

#include "rt.h"

struct cpuid_regs {
	uint32_t a, b, c, d;
};

static inline struct cpuid_regs cpuid2(uint32_t leaf, uint32_t sub)
{
	struct cpuid_regs r;

	__asm__ volatile("cpuid" : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d)
			 : "a"(leaf), "c"(sub));
	return r;
}

#define BIT(n) (1u << (n))

/* What each CPU reads about itself; the APs fill theirs in ap_main(). */
struct cpu_view {
	uint32_t lapic;		/* LAPIC ID register [31:24] */
	uint32_t leaf1_ebx;	/* [31:24] initial APIC ID */
	uint32_t x2apic[3];	/* leaf 0xB EDX, subleaves 0..2 */
};

static inline void cpu_view_read(struct cpu_view *v, bool has_0b)
{
	v->lapic = lapic_id();
	v->leaf1_ebx = cpuid2(1, 0).b;
	for (unsigned i = 0; i < 3; i++)
		v->x2apic[i] = has_0b ? cpuid2(0xB, i).d : ~0u;
}

/* Bits needed for @n IDs (the shift width of a topology level). */
static inline unsigned id_bits(unsigned n)
{
	unsigned b = 0;

	while ((1u << b) < n)
		b++;
	return b;
}

/* Leaf 0x4000_0000 (cpuid.rst): EBX ECX EDX = "KVMKVMKVM\0\0\0", EAX = highest KVM leaf
 * (KVM_CPUID_FEATURES 0x4000_0001 or above); leaf 1 ECX[31] says a hypervisor is there. */
static inline void cpuid_check_hypervisor(void)
{
	struct cpuid_regs r = cpuid2(0x40000000, 0);

	check("hypervisor_bit", cpuid2(1, 0).c & BIT(31), "leaf 1 ECX 0x%x", cpuid2(1, 0).c);
	check("kvm_signature", r.b == 0x4B4D564B && r.c == 0x564B4D56 && r.d == 0x4D,
	      "EBX ECX EDX 0x%x 0x%x 0x%x, want \"KVMKVMKVM\\0\\0\\0\"", r.b, r.c, r.d);
	check("kvm_max_leaf", r.a >= 0x40000001 && r.a < 0x40000100, "EAX 0x%x", r.a);
}

/*
 * Topology for @cpus single-package CPUs. Leaf 1 (SDM Table 3-8): EDX[28] HTT "more than one
 * logical processor in the package", EBX[23:16] addressable logical processor IDs (>= cpus).
 * Leaf 0xB (SDM "Extended Topology Enumeration", vol. 3A §9.9.1): subleaf 0 level type SMT
 * (1), subleaf 1 type Core (2) whose EBX[15:0] counts every logical processor of the package,
 * level number in ECX[7:0], shift widths in EAX[4:0] wide enough for the IDs below them,
 * subleaf 2 type 0 (invalid) with EBX = 0; EDX = x2APIC ID on every subleaf.
 */
static inline void cpuid_check_topology(unsigned cpus, bool has_0b)
{
	struct cpuid_regs l1 = cpuid2(1, 0), s0, s1, s2;

	if (cpus > 1)
		check("leaf1.htt", l1.d & BIT(28), "EDX 0x%x: HTT clear with %u CPUs", l1.d, cpus);
	else
		check("leaf1.htt", !(l1.d & BIT(28)), "EDX 0x%x: HTT set with 1 CPU", l1.d);
	if (cpus > 1)
		check("leaf1.logical_ids", ((l1.b >> 16) & 0xFF) >= cpus,
		      "EBX[23:16] = %u < %u CPUs", (l1.b >> 16) & 0xFF, cpus);
	check_eq("leaf1.apic_id", l1.b >> 24, lapic_id());
	if (!check("leaf0b.present", has_0b, "max basic leaf 0x%x < 0xB", cpuid2(0, 0).a))
		return;
	s0 = cpuid2(0xB, 0), s1 = cpuid2(0xB, 1), s2 = cpuid2(0xB, 2);
	printf("  leaf 0xB: 0: %x %x %x %x  1: %x %x %x %x  2: %x %x %x %x\n", s0.a, s0.b, s0.c,
	       s0.d, s1.a, s1.b, s1.c, s1.d, s2.a, s2.b, s2.c, s2.d);
	check("leaf0b.smt_level", (s0.c & 0xFFFF) == 0x0100 && (s0.b & 0xFFFF) >= 1,
	      "subleaf 0 ECX 0x%x EBX 0x%x, want type 1 level 0, >= 1 thread", s0.c, s0.b);
	check("leaf0b.core_level", (s1.c & 0xFFFF) == 0x0201 && (s1.b & 0xFFFF) == cpus,
	      "subleaf 1 ECX 0x%x EBX 0x%x, want type 2 level 1, %u logical processors", s1.c,
	      s1.b, cpus);
	check("leaf0b.shifts", (1u << (s0.a & 0x1F)) >= (s0.b & 0xFFFF) &&
			       (s1.a & 0x1F) >= (s0.a & 0x1F) && (s1.a & 0x1F) >= id_bits(cpus),
	      "EAX shifts %u, %u too narrow for %u threads/core, %u CPUs", s0.a & 0x1F,
	      s1.a & 0x1F, s0.b & 0xFFFF, cpus);
	check("leaf0b.end", ((s2.c >> 8) & 0xFF) == 0 && (s2.b & 0xFFFF) == 0 &&
			    (s2.c & 0xFF) == 2,
	      "subleaf 2 ECX 0x%x EBX 0x%x, want type 0 (invalid), level 2, EBX 0", s2.c, s2.b);
	check("leaf0b.x2apic_id", s0.d == lapic_id() && s1.d == lapic_id() && s2.d == lapic_id(),
	      "EDX 0x%x 0x%x 0x%x, want the APIC ID %u", s0.d, s1.d, s2.d, lapic_id());
}

/* AMD (APM vol. 3 E.4.7): 0x8000_0008 ECX[7:0] NC = cores - 1, ECX[15:12] ApicIdSize, 0 or
 * wide enough for the cores' APIC IDs. */
static inline void cpuid_check_amd(unsigned cpus)
{
	struct cpuid_regs v = cpuid2(0, 0), r;

	if (!(v.b == 0x68747541 && v.d == 0x69746E65 && v.c == 0x444D4163))	/* AuthenticAMD */
		return;
	if (cpuid2(0x80000000, 0).a < 0x80000008)
		return;
	r = cpuid2(0x80000008, 0);
	check("amd.nc", (r.c & 0xFF) + 1 == cpus, "0x80000008 ECX 0x%x: NC+1 = %u, want %u",
	      r.c, (r.c & 0xFF) + 1, cpus);
	check("amd.apic_id_size", !((r.c >> 12) & 0xF) || ((r.c >> 12) & 0xF) >= id_bits(cpus),
	      "0x80000008 ECX 0x%x: ApicIdSize %u < %u", r.c, (r.c >> 12) & 0xF, id_bits(cpus));
}

/*
 * --cpuid-compat (docs/cli.md: what this nested KVM cannot emulate at CPL0): leaf 1 ECX
 * CMPXCHG16B (13), XSAVE (26), OSXSAVE (27), AVX (28) clear; leaf 7.0 EBX AVX2 (5) and
 * AVX512F (16) clear; leaf 0xD names no state component (SDM Table 3-8: 0xD.0 EAX/EDX are the
 * supported XCR0 bits, ECX the size for all of them; 0xD.1 EAX XSAVEOPT/XSAVEC/XGETBV1/XSAVES).
 * 0xD.0 EBX is not checked: KVM recomputes it from the current XCR0 (x87 only: 0x240).
 * Without the option nothing is asserted about them (they follow the host), only printed.
 */
static inline void cpuid_check_compat(bool compat)
{
	struct cpuid_regs l1 = cpuid2(1, 0), l7 = { 0, 0, 0, 0 }, ld = { 0, 0, 0, 0 }, ld1 = ld;
	uint32_t max = cpuid2(0, 0).a;

	if (max >= 7)
		l7 = cpuid2(7, 0);
	if (max >= 0xD)
		ld = cpuid2(0xD, 0), ld1 = cpuid2(0xD, 1);
	printf("  leaf 1 ECX 0x%x, leaf 7 EBX 0x%x, leaf 0xD EAX 0x%x (%s)\n", l1.c, l7.b, ld.a,
	       compat ? "--cpuid-compat" : "host features");
	if (!compat)
		return;
	check("compat.leaf1", !(l1.c & (BIT(13) | BIT(26) | BIT(27) | BIT(28))),
	      "leaf 1 ECX 0x%x: CMPXCHG16B/XSAVE/OSXSAVE/AVX not all clear", l1.c);
	check("compat.leaf7", !(l7.b & (BIT(5) | BIT(16))),
	      "leaf 7 EBX 0x%x: AVX2/AVX512F not clear", l7.b);
	check("compat.leaf0d", !ld.a && !ld.c && !ld.d && !ld1.a,
	      "leaf 0xD.0 EAX 0x%x ECX 0x%x EDX 0x%x, 0xD.1 EAX 0x%x: want no state components",
	      ld.a, ld.c, ld.d, ld1.a);
}

/* The guest: each CPU reads its IDs, the BSP runs the checks. */
#define MAXCPU 8
static struct cpu_view views[MAXCPU];
static volatile uint32_t ap_done;
static bool has_0b;

void ap_main(uint32_t ticket)
{
	if (ticket + 1 < MAXCPU)
		cpu_view_read(&views[ticket + 1], has_0b);
	__atomic_fetch_add(&ap_done, 1, __ATOMIC_SEQ_CST);
}

static void check_aps(unsigned cpus)
{
	uint32_t seen = 0;
	bool ok = true, ok0b = true;

	smp_start();
	for (int i = 0; i < 20 && ap_done < cpus - 1; i++)
		wait_count(&ap_done, cpus - 1, 50000);	/* up to 1 s */
	if (!check_eq("ap_count", ap_done, cpus - 1))
		return;
	for (unsigned i = 0; i < cpus; i++) {
		const struct cpu_view *v = &views[i];

		printf("  cpu %u: LAPIC ID %u, leaf 1 APIC ID %u, leaf 0xB x2APIC ID %d %d %d\n", i,
		       v->lapic, v->leaf1_ebx >> 24, (int32_t)v->x2apic[0], (int32_t)v->x2apic[1],
		       (int32_t)v->x2apic[2]);
		if (v->leaf1_ebx >> 24 != v->lapic || v->lapic >= 32 || (seen & BIT(v->lapic)))
			ok = false;
		if (has_0b && (v->x2apic[0] != v->lapic || v->x2apic[1] != v->lapic ||
			       v->x2apic[2] != v->lapic))
			ok0b = false;
		if (v->lapic < 32)
			seen |= BIT(v->lapic);
	}
	check("per_cpu.leaf1", ok && seen == BIT(cpus) - 1,
	      "each CPU's leaf 1 EBX[31:24] must equal its distinct LAPIC ID (0..%u)", cpus - 1);
	if (has_0b)
		check("per_cpu.leaf0b", ok0b,
		      "each CPU's leaf 0xB EDX (subleaves 0-2) must equal its LAPIC ID");
}

void guest_main(uint32_t magic, uint32_t info)
{
	const char *cl = boot_cmdline();
	uint32_t cpus = cmdline_uint(cl, "cpus", 0);
	bool compat = cmdline_uint(cl, "compat", 0);

	(void)magic, (void)info;
	if (cpus < 1 || cpus > MAXCPU)
		return fail("cmdline", "want cpus=1..%u on the command line", MAXCPU);
	lapic_enable(0xFF);
	has_0b = cpuid2(0, 0).a >= 0xB;
	cpuid_check_hypervisor();
	cpuid_check_topology(cpus, has_0b);
	cpuid_check_amd(cpus);
	cpuid_check_compat(compat);
	cpu_view_read(&views[0], has_0b);
	check_eq("bsp_apic_id", views[0].lapic, 0);
	if (cpus > 1)
		check_aps(cpus);
}

#endif
