/* cpuid_compat.c - the cpuid guest (lib/cpuidcheck.h) with --cpuid-compat and --cpus 3:
 * CMPXCHG16B, XSAVE, AVX, AVX2, AVX-512F hidden and leaf 0xD empty, topology intact. */
#include "cpuidcheck.h"

const char guest_name[] = "cpuid_compat";
