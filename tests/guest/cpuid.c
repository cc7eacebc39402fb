/* cpuid.c - vfvm's CPUID as a kernel sees it with --cpus 2 (lib/cpuidcheck.h): the hypervisor
 * bit and KVM signature leaf (Documentation/virt/kvm/x86/cpuid.rst), the topology of cpus=N
 * single-thread CPUs in one package (leaf 1 HTT/logical IDs, leaf 0xB levels, AMD
 * 0x8000_0008), and on every AP (INIT-SIPI-SIPI) leaf 1 EBX[31:24] and leaf 0xB EDX equal to
 * its LAPIC ID (SDM vol. 3A §9.4.1, §9.9.1). */
#include "cpuidcheck.h"

const char guest_name[] = "cpuid";
