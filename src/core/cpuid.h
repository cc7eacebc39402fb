/* cpuid.h - the CPUID the guest sees: KVM's supported set with the topology (APIC IDs, core
 * counts) filled in, and, with --cpuid-compat, features this nested KVM cannot run masked. */
#ifndef VFVM_CPUID_H
#define VFVM_CPUID_H

#include <linux/kvm.h>
#include <stdbool.h>

/*
 * Adjust @c (from KVM_GET_SUPPORTED_CPUID) in place for vCPU @apic_id of @ncpus.
 * @compat masks XSAVE/AVX*, CMPXCHG16B and the like (../shared/PLATFORM.md).
 */
void cpuid_fixup(struct kvm_cpuid2 *c, unsigned apic_id, unsigned ncpus, bool compat);

/*
 * Make sure the extended-topology leaf 0xB has its SMT, core and terminating subleaves
 * (0-2): some KVMs list only subleaf 0, and a guest then sees every CPU as its own package.
 * Appends the missing entries (values are filled by cpuid_fixup) while c->nent < @cap.
 */
void cpuid_add_topology(struct kvm_cpuid2 *c, unsigned cap);

/* The guest's physical address width: leaf 0x80000008 EAX[7:0], or 36 without that leaf
 * (SDM vol. 3A §4.1.4: MAXPHYADDR is 36 when CPUID does not report it). */
unsigned cpuid_phys_bits(const struct kvm_cpuid2 *c);

#endif
