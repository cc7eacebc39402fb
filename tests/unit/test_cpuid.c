/* test_cpuid.c - unit tests of cpuid_fixup() (src/core/cpuid.c): topology fields of leaves 1, 4,
 * 0xB and AMD 0x8000_0008/1E per the Intel SDM vol. 2A CPUID and AMD APM vol. 3 appendix E,
 * the hypervisor bit, the paravirtual leaves kept, and the --cpuid-compat masks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "core/cpuid.h"

#define NENT 24

static struct kvm_cpuid2 *mk(bool intel)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + NENT * sizeof(c->entries[0]));
	struct kvm_cpuid_entry2 *e = c->entries;
	unsigned n = 0;

	/* Leaf 0: vendor in EBX/EDX/ECX. */
	e[n++] = (struct kvm_cpuid_entry2){ .function = 0, .eax = 0x1f,
		.ebx = intel ? 0x756e6547 : 0x68747541 };
	/* Leaf 1 as a real CPU reports it: APIC ID 5, 16 logical, every feature bit on. */
	e[n++] = (struct kvm_cpuid_entry2){ .function = 1, .eax = 0x806f8,
		.ebx = 5u << 24 | 16u << 16 | 8u << 8 | 0x12, .ecx = 0x7ffafbff, .edx = 0xffffffff };
	/* Leaf 4: L1d, L1i, L2, L3, end. EAX[7:5] level, EAX[4:0] type. */
	for (unsigned i = 0; i < 5; i++) {
		static const unsigned lvl[] = { 1, 1, 2, 3, 0 };
		static const unsigned type[] = { 1, 2, 3, 3, 0 };
		e[n++] = (struct kvm_cpuid_entry2){ .function = 4, .index = i,
			.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
			.eax = type[i] ? (lvl[i] << 5 | type[i] | 0xffffc000u) : 0, .ebx = 0x3f };
	}
	e[n++] = (struct kvm_cpuid_entry2){ .function = 7, .index = 0, .eax = 1,
		.ebx = 0xffffffff, .ecx = 0xffffffff, .edx = 0xffffffff };
	e[n++] = (struct kvm_cpuid_entry2){ .function = 7, .index = 1, .eax = 0xffffffff };
	for (unsigned i = 0; i < 3; i++)
		e[n++] = (struct kvm_cpuid_entry2){ .function = 0xb, .index = i,
			.eax = 7, .ebx = 99, .ecx = 0x1234, .edx = 42 };
	e[n++] = (struct kvm_cpuid_entry2){ .function = 0xd, .index = 0, .eax = 0x2e7,
		.ebx = 0x988, .ecx = 0x988 };
	e[n++] = (struct kvm_cpuid_entry2){ .function = 0xd, .index = 1, .eax = 0xf };
	e[n++] = (struct kvm_cpuid_entry2){ .function = 0x40000000, .eax = 0x40000001,
		.ebx = 0x4b4d564b };
	e[n++] = (struct kvm_cpuid_entry2){ .function = 0x40000001, .eax = 0x01007afb };
	e[n++] = (struct kvm_cpuid_entry2){ .function = 0x80000001, .ecx = 0xffffffff,
		.edx = 0xffffffff };
	e[n++] = (struct kvm_cpuid_entry2){ .function = 0x80000008, .eax = 0x3030,
		.ecx = 0x700f };
	e[n++] = (struct kvm_cpuid_entry2){ .function = 0x8000001e, .eax = 77, .ebx = 0x101,
		.ecx = 0x3 };
	c->nent = n;
	return c;
}

static struct kvm_cpuid_entry2 *get(struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx)
{
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == idx)
			return &c->entries[i];
	fail_msg("leaf %#x.%u missing", fn, idx);
	return NULL;
}

static void test_leaf1_topology(void **state)
{
	struct kvm_cpuid2 *c = mk(true);
	struct kvm_cpuid_entry2 *e;

	(void)state;
	cpuid_fixup(c, 3, 6, false);
	e = get(c, 1, 0);
	assert_int_equal(e->ebx >> 24, 3);		/* initial APIC ID */
	assert_int_equal((e->ebx >> 16) & 0xff, 8);	/* 6 cores need 3 ID bits: 8 IDs */
	assert_int_equal(e->ebx & 0xffff, 8u << 8 | 0x12);	/* CLFLUSH size, brand kept */
	assert_true(e->edx & (1u << 28));		/* HTT: EBX[23:16] valid */
	assert_true(e->ecx & (1u << 31));		/* hypervisor */
	assert_true(e->ecx & (1u << 26));		/* XSAVE kept without compat */
	free(c);

	c = mk(true);
	cpuid_fixup(c, 0, 1, false);
	e = get(c, 1, 0);
	assert_int_equal(e->ebx >> 24, 0);
	assert_int_equal((e->ebx >> 16) & 0xff, 1);
	assert_false(e->edx & (1u << 28));		/* one logical processor: no HTT */
	free(c);
}

static void test_leaf4(void **state)
{
	struct kvm_cpuid2 *c = mk(true);

	(void)state;
	cpuid_fixup(c, 1, 4, false);
	for (unsigned i = 0; i < 4; i++) {
		struct kvm_cpuid_entry2 *e = get(c, 4, i);
		unsigned level = (e->eax >> 5) & 7;

		assert_int_equal(e->eax >> 26, 3);	/* 4 cores per package - 1 */
		/* L1/L2 private to the (single-thread) core, L3 shared by all 4. */
		assert_int_equal((e->eax >> 14) & 0xfff, level == 3 ? 3 : 0);
		assert_int_equal(e->eax & 0x3fff, level << 5 | (i == 0 ? 1 : i == 1 ? 2 : 3));
	}
	assert_int_equal(get(c, 4, 4)->eax, 0);		/* terminator untouched */
	free(c);
}

static void test_leaf_b(void **state)
{
	struct kvm_cpuid2 *c = mk(true);
	struct kvm_cpuid_entry2 *e;

	(void)state;
	cpuid_fixup(c, 5, 6, false);
	e = get(c, 0xb, 0);				/* SMT level: 1 thread, shift 0 */
	assert_int_equal(e->eax, 0);
	assert_int_equal(e->ebx, 1);
	assert_int_equal(e->ecx, 1u << 8 | 0);
	assert_int_equal(e->edx, 5);
	e = get(c, 0xb, 1);				/* core level: 6 cores, shift 3 */
	assert_int_equal(e->eax, 3);
	assert_int_equal(e->ebx, 6);
	assert_int_equal(e->ecx, 2u << 8 | 1);
	assert_int_equal(e->edx, 5);
	e = get(c, 0xb, 2);				/* invalid level ends the list */
	assert_int_equal(e->eax, 0);
	assert_int_equal(e->ebx, 0);
	assert_int_equal(e->ecx, 2);
	assert_int_equal(e->edx, 5);
	free(c);
}

/* A KVM that lists only subleaf 0 of leaf 0xB: the core and end levels are added. */
static void test_leaf_b_added(void **state)
{
	struct kvm_cpuid2 *c = mk(true);
	struct kvm_cpuid_entry2 *e;
	unsigned n0;

	(void)state;
	/* Drop subleaves 1 and 2 as the nested KVM here does. */
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == 0xb && c->entries[i].index > 0)
			c->entries[i--] = c->entries[--c->nent];
	n0 = c->nent;
	for (unsigned i = 0; i < c->nent; i++)
		assert_false(c->entries[i].function == 0xb && c->entries[i].index == 1);
	cpuid_add_topology(c, NENT);
	assert_int_equal(c->nent, n0 + 2);
	cpuid_add_topology(c, NENT);			/* idempotent */
	assert_int_equal(c->nent, n0 + 2);
	cpuid_fixup(c, 2, 3, false);
	e = get(c, 0xb, 1);
	assert_non_null(e);
	assert_true(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
	assert_int_equal(e->ecx, 1 | 2 << 8);		/* level 1, type core */
	assert_int_equal(e->ebx, 3);			/* 3 logical processors */
	assert_int_equal(e->eax, 2);			/* x2APIC ID shift for 3 cores */
	assert_int_equal(e->edx, 2);
	e = get(c, 0xb, 2);
	assert_non_null(e);
	assert_int_equal(e->ecx, 2);			/* level 2, type 0: invalid, the end */
	assert_int_equal(e->ebx, 0);
	/* No room: nothing is written past the capacity. */
	c->nent = n0 - 1;
	get(c, 0xb, 0)->function = 0x99;
	cpuid_add_topology(c, n0);
	assert_int_equal(c->nent, n0);
	/* A CPU whose maximum basic leaf is below 0xB gets no leaf 0xB. */
	c->nent = n0 - 1;
	get(c, 0, 0)->eax = 0xa;
	cpuid_add_topology(c, NENT);
	assert_int_equal(c->nent, n0 - 1);
	free(c);
}

/* The guest's physical address width: 0x80000008 EAX[7:0] (0x30 = 48 in mk), else 36. */
static void test_phys_bits(void **state)
{
	struct kvm_cpuid2 *c = mk(true);

	(void)state;
	assert_int_equal(cpuid_phys_bits(c), 48);
	get(c, 0x80000008, 0)->eax = 0x3027;		/* a 39-bit client CPU */
	assert_int_equal(cpuid_phys_bits(c), 39);
	get(c, 0x80000008, 0)->function = 0x80000007;
	assert_int_equal(cpuid_phys_bits(c), 36);
	assert_int_equal(cpuid_phys_bits(NULL), 36);
	free(c);
}

static void test_amd_topology(void **state)
{
	struct kvm_cpuid2 *c = mk(false);
	struct kvm_cpuid_entry2 *e;

	(void)state;
	cpuid_fixup(c, 2, 3, false);
	e = get(c, 0x80000008, 0);
	assert_int_equal(e->ecx & 0xff, 2);		/* NC: cores - 1 */
	assert_int_equal((e->ecx >> 12) & 0xf, 2);	/* ApicIdCoreIdSize */
	assert_int_equal(e->eax, 0x3030);		/* address sizes untouched */
	e = get(c, 0x8000001e, 0);
	assert_int_equal(e->eax, 2);			/* extended APIC ID */
	assert_int_equal(e->ebx, 2);			/* core 2, 1 thread per core */
	assert_int_equal(e->ecx, 0);
	free(c);
}

static void test_pv_leaves_kept(void **state)
{
	struct kvm_cpuid2 *c = mk(true);

	(void)state;
	cpuid_fixup(c, 0, 2, true);
	assert_int_equal(get(c, 0x40000000, 0)->ebx, 0x4b4d564b);	/* "KVMK" */
	assert_int_equal(get(c, 0x40000001, 0)->eax, 0x01007afb);	/* kvmclock etc. */
	free(c);
}

static void test_compat_masks(void **state)
{
	struct kvm_cpuid2 *c = mk(true);
	struct kvm_cpuid_entry2 *e;

	(void)state;
	cpuid_fixup(c, 0, 1, true);
	e = get(c, 1, 0);
	/* FMA 12, CX16 13, XSAVE 26, OSXSAVE 27, AVX 28, F16C 29 (SDM Table 3-10). */
	for (unsigned b = 12; b <= 13; b++)
		assert_false(e->ecx & (1u << b));
	for (unsigned b = 26; b <= 29; b++)
		assert_false(e->ecx & (1u << b));
	assert_true(e->ecx & (1u << 0));		/* SSE3 stays */
	assert_true(e->ecx & (1u << 19));		/* SSE4.1 stays */
	assert_int_equal(e->edx, 0xffffffff & ~(1u << 28));	/* FXSR, SSE... stay; HTT off (1 CPU) */
	e = get(c, 7, 0);
	assert_false(e->ebx & (1u << 5));		/* AVX2 */
	assert_false(e->ebx & (1u << 16));		/* AVX512F */
	assert_false(e->ebx & (1u << 31));		/* AVX512VL */
	assert_false(e->ebx & (1u << 0));		/* FSGSBASE */
	assert_true(e->ebx & (1u << 3));		/* BMI1 stays */
	assert_true(e->ebx & (1u << 7));		/* SMEP stays */
	assert_true(e->ebx & (1u << 9));		/* ERMS stays */
	assert_false(e->ecx & (1u << 1));		/* AVX512_VBMI */
	assert_false(e->edx & (1u << 23));		/* AVX512_FP16 */
	assert_false(get(c, 7, 1)->eax & (1u << 4));	/* AVX-VNNI */
	/* Leaf 0xD: no XSAVE state components at all. */
	e = get(c, 0xd, 0);
	assert_int_equal(e->eax | e->ebx | e->ecx | e->edx, 0);
	assert_int_equal(get(c, 0xd, 1)->eax, 0);	/* XSAVEOPT/XSAVEC/XSAVES */
	assert_false(get(c, 0x80000001, 0)->ecx & (1u << 16));	/* FMA4 */
	free(c);

	/* Without compat nothing of that is touched. */
	c = mk(true);
	cpuid_fixup(c, 0, 1, false);
	assert_int_equal(get(c, 7, 0)->ebx, 0xffffffff);
	assert_int_equal(get(c, 0xd, 0)->eax, 0x2e7);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leaf1_topology),
		cmocka_unit_test(test_leaf4),
		cmocka_unit_test(test_leaf_b),
		cmocka_unit_test(test_leaf_b_added),
		cmocka_unit_test(test_amd_topology),
		cmocka_unit_test(test_phys_bits),
		cmocka_unit_test(test_pv_leaves_kept),
		cmocka_unit_test(test_compat_masks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
