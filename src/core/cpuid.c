/* cpuid.c - the guest's CPUID: KVM's supported set with the topology of @ncpus single-thread
 * cores in one package written in (leaves 1, 4, 0xB, 0x1F, and AMD 0x8000_0008/1D/1E), the
 * hypervisor bit, and --cpuid-compat masking of what this nested KVM cannot emulate at CPL0. */
#include <stdint.h>
#include <stddef.h>
#include "core/cpuid.h"

#define BIT(n) (1U << (n))

/* Leaf 1 (Intel SDM vol. 2A, CPUID, Table 3-10/3-11). */
#define C1_ECX_PCLMUL	BIT(1)
#define C1_ECX_FMA	BIT(12)
#define C1_ECX_CX16	BIT(13)
#define C1_ECX_PCID	BIT(17)
#define C1_ECX_AES	BIT(25)
#define C1_ECX_XSAVE	BIT(26)
#define C1_ECX_OSXSAVE	BIT(27)
#define C1_ECX_AVX	BIT(28)
#define C1_ECX_F16C	BIT(29)
#define C1_ECX_RDRAND	BIT(30)
#define C1_ECX_HYPERVISOR BIT(31)
#define C1_EDX_HTT	BIT(28)

/* Leaf 7 subleaf 0 (SDM vol. 2A Table 3-8). */
#define C7_EBX_FSGSBASE	BIT(0)
#define C7_EBX_SGX	BIT(2)
#define C7_EBX_HLE	BIT(4)
#define C7_EBX_AVX2	BIT(5)
#define C7_EBX_INVPCID	BIT(10)
#define C7_EBX_RTM	BIT(11)
#define C7_EBX_MPX	BIT(14)
#define C7_EBX_AVX512	(BIT(16) | BIT(17) | BIT(21) | BIT(26) | BIT(27) | BIT(28) | \
			 BIT(30) | BIT(31))	/* F, DQ, IFMA, PF, ER, CD, BW, VL */
#define C7_EBX_RDSEED	BIT(18)
#define C7_EBX_CLWB	BIT(24)
#define C7_EBX_SHA	BIT(29)
#define C7_ECX_AVX512	(BIT(1) | BIT(6) | BIT(11) | BIT(12) | BIT(14))	/* VBMI, VBMI2, VNNI, BITALG, VPOPCNTDQ */
#define C7_ECX_PKU	(BIT(3) | BIT(4))	/* PKU, OSPKE */
#define C7_ECX_GFNI	BIT(8)
#define C7_ECX_VAES	BIT(9)
#define C7_ECX_VPCLMUL	BIT(10)
#define C7_ECX_MOVDIR	(BIT(27) | BIT(28))	/* MOVDIRI, MOVDIR64B */
#define C7_EDX_AVX512	(BIT(2) | BIT(3) | BIT(8) | BIT(23))	/* 4VNNIW, 4FMAPS, VP2INTERSECT, FP16 */
#define C7_EDX_AMX	(BIT(22) | BIT(24) | BIT(25))
#define C7_1_EAX_AVX	(BIT(4) | BIT(5))	/* AVX-VNNI, AVX512_BF16 */

/* AMD 0x8000_0001 ECX (AMD APM vol. 3, E.4.2). */
#define C81_ECX_XOP	BIT(11)
#define C81_ECX_FMA4	BIT(16)

/* Bits needed to number @n things: ceil(log2(n)). */
static unsigned order(unsigned n)
{
	unsigned b = 0;

	while ((1U << b) < n)
		b++;
	return b;
}

static void fix_leaf1(struct kvm_cpuid_entry2 *e, unsigned apic_id, unsigned ncpus, bool compat)
{
	unsigned ids = 1U << order(ncpus);

	/* EBX[31:24] initial APIC ID, EBX[23:16] addressable logical processor IDs. */
	e->ebx = (e->ebx & 0xffff) | (ids & 0xff) << 16 | (apic_id & 0xff) << 24;
	if (ncpus > 1)
		e->edx |= C1_EDX_HTT;
	else
		e->edx &= ~C1_EDX_HTT;
	e->ecx |= C1_ECX_HYPERVISOR;
	if (compat)
		e->ecx &= ~(C1_ECX_PCLMUL | C1_ECX_FMA | C1_ECX_CX16 | C1_ECX_PCID | C1_ECX_AES |
			    C1_ECX_XSAVE | C1_ECX_OSXSAVE | C1_ECX_AVX | C1_ECX_F16C |
			    C1_ECX_RDRAND);
}

static void fix_leaf7(struct kvm_cpuid_entry2 *e)
{
	if (e->index == 0) {
		e->ebx &= ~(C7_EBX_FSGSBASE | C7_EBX_SGX | C7_EBX_HLE | C7_EBX_AVX2 |
			    C7_EBX_INVPCID | C7_EBX_RTM | C7_EBX_MPX | C7_EBX_AVX512 |
			    C7_EBX_RDSEED | C7_EBX_CLWB | C7_EBX_SHA);
		e->ecx &= ~(C7_ECX_AVX512 | C7_ECX_PKU | C7_ECX_GFNI | C7_ECX_VAES |
			    C7_ECX_VPCLMUL | C7_ECX_MOVDIR);
		e->edx &= ~(C7_EDX_AVX512 | C7_EDX_AMX);
	} else if (e->index == 1) {
		e->eax &= ~C7_1_EAX_AVX;
	}
}

/* Deterministic cache parameters (leaf 4 Intel, 0x8000_001D AMD): EAX[25:14] logical
 * processors sharing the cache - 1; EAX[31:26] (leaf 4 only) core IDs in the package - 1. */
static void fix_cache(struct kvm_cpuid_entry2 *e, unsigned ncpus, bool intel)
{
	unsigned level = (e->eax >> 5) & 7;
	unsigned ids = 1U << order(ncpus);
	unsigned share = level >= 3 ? ids - 1 : 0;

	if (!(e->eax & 0x1f))	/* type 0: no more caches */
		return;
	e->eax = (e->eax & 0x3fff) | (share & 0xfff) << 14;
	if (intel)
		e->eax |= ((ids - 1) & 0x3f) << 26;
}

/* Extended topology (leaf 0xB / 0x1F, SDM vol. 3A §9.9): level 0 SMT (1 thread per core),
 * level 1 core (@ncpus cores), then the invalid level; EDX is the x2APIC ID everywhere. */
static void fix_topology(struct kvm_cpuid_entry2 *e, unsigned apic_id, unsigned ncpus)
{
	e->edx = apic_id;
	switch (e->index) {
	case 0:
		e->eax = 0;
		e->ebx = 1;
		e->ecx = 1 << 8;
		break;
	case 1:
		e->eax = order(ncpus);
		e->ebx = ncpus;
		e->ecx = 1 | 2 << 8;
		break;
	default:
		e->eax = e->ebx = 0;
		e->ecx = e->index & 0xff;
		break;
	}
}

static struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx)
{
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == idx)
			return &c->entries[i];
	return NULL;
}

unsigned cpuid_phys_bits(const struct kvm_cpuid2 *c)
{
	for (unsigned i = 0; c && i < c->nent; i++)
		if (c->entries[i].function == 0x80000008 && (c->entries[i].eax & 0xff))
			return c->entries[i].eax & 0xff;
	return 36;
}

void cpuid_add_topology(struct kvm_cpuid2 *c, unsigned cap)
{
	const struct kvm_cpuid_entry2 *leaf0 = cpuid_find(c, 0, 0);

	/* Only where leaf 0xB is in range of the maximum basic leaf (SDM vol. 2A CPUID). */
	if (!leaf0 || leaf0->eax < 0xb)
		return;
	for (uint32_t idx = 0; idx < 3 && c->nent < cap; idx++) {
		if (cpuid_find(c, 0xb, idx))
			continue;
		c->entries[c->nent++] = (struct kvm_cpuid_entry2){
			.function = 0xb,
			.index = idx,
			.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
		};
	}
}

void cpuid_fixup(struct kvm_cpuid2 *c, unsigned apic_id, unsigned ncpus, bool compat)
{
	bool intel = true;

	if (!ncpus)
		ncpus = 1;
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == 0)
			intel = c->entries[i].ebx == 0x756e6547;	/* "Genu" */
	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1:
			fix_leaf1(e, apic_id, ncpus, compat);
			break;
		case 4:
			fix_cache(e, ncpus, true);
			break;
		case 7:
			if (compat)
				fix_leaf7(e);
			break;
		case 0xb:
		case 0x1f:
			fix_topology(e, apic_id, ncpus);
			break;
		case 0xd:
			/* XSAVE state enumeration: nothing to enumerate without XSAVE. */
			if (compat)
				e->eax = e->ebx = e->ecx = e->edx = 0;
			break;
		case 0x80000001:
			if (compat)
				e->ecx &= ~(C81_ECX_XOP | C81_ECX_FMA4);
			break;
		case 0x80000008:
			/* AMD: ECX[15:12] APIC ID bits for cores, ECX[7:0] cores - 1 (APM E.4.7). */
			if (!intel)
				e->ecx = (e->ecx & ~0xf0ffU) | order(ncpus) << 12 |
					 ((ncpus - 1) & 0xff);
			break;
		case 0x8000001d:
			fix_cache(e, ncpus, false);
			break;
		case 0x8000001e:
			/* AMD: EAX extended APIC ID, EBX core ID with 1 thread/core, ECX node 0. */
			e->eax = apic_id;
			e->ebx = apic_id & 0xff;
			e->ecx = 0;
			break;
		}
	}
}
