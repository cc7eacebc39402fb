/* rt64.h - what the 64-bit guests (format vmlinux64, lib/entry64.S) add to rt.h: the CPU
 * state saved at entry, control registers, MSRs and descriptor tables (Intel SDM vol. 3A). */
#ifndef GUEST_RT64_H
#define GUEST_RT64_H

#include "rt.h"

#if !defined(__x86_64__)
#error "rt64.h is for the 64-bit guests only"
#endif

/* Filled by lib/entry64.S before anything else runs. */
struct entry64_state {
	uint64_t rsi, rsp, rflags;
	uint16_t cs, ds, es, ss, fs, gs;
};
extern struct entry64_state entry64_state;

#define MSR_EFER	0xC0000080u
#define EFER_LME	(1u << 8)
#define EFER_LMA	(1u << 10)
#define CR0_PE		(1ull << 0)
#define CR0_PG		(1ull << 31)
#define CR4_PAE		(1ull << 5)

static inline uint64_t read_cr0(void) { uint64_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr3(void) { uint64_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr4(void) { uint64_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr3(uint64_t v) { __asm__ volatile("mov %0, %%cr3" :: "r"(v) : "memory"); }
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

struct __attribute__((packed)) desc_ptr64 {
	uint16_t limit;
	uint64_t base;
};
static inline void sgdt64(struct desc_ptr64 *d) { __asm__ volatile("sgdt %0" : "=m"(*d)); }

/* Split a 64-bit value for printf's 32-bit %x. */
#define HI32(v) ((uint32_t)((uint64_t)(v) >> 32))
#define LO32(v) ((uint32_t)(uint64_t)(v))

#endif
