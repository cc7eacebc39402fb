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

#endif
