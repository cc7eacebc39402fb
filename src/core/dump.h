/* dump.h - the watchdog's state dump (--watchdog, SIGUSR1): formatting of a vCPU's registers,
 * LAPIC and recent exits from plain KVM structs, so it is unit-tested without KVM. */
#ifndef VFVM_DUMP_H
#define VFVM_DUMP_H

#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>

#define DUMP_EXITS 16	/* exits kept per vCPU */

struct dump_exit {
	uint32_t reason;	/* KVM_EXIT_* */
	uint64_t addr;		/* port (IO), guest-physical address (MMIO), vector (EOI) */
	uint8_t write;
	uint64_t ns;		/* CLOCK_MONOTONIC */
};

/* The last DUMP_EXITS exits of one vCPU; written and read by that vCPU's thread only. */
struct dump_ring {
	struct dump_exit e[DUMP_EXITS];
	uint64_t total;
};

/* Everything the vCPU thread reads of itself for the dump. */
struct dump_vcpu_state {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_vcpu_events events;
	struct kvm_lapic_state lapic;
	struct kvm_mp_state mp;
	int err;		/* 0, or the errno of the first ioctl that failed */
};

const char *dump_exit_name(uint32_t reason);
void dump_ring_add(struct dump_ring *r, const struct dump_exit *e);
/* "vCPU N: RIP ... IF=... CR0 ... / events / LAPIC TPR ISR IRR ..." lines. */
void dump_vcpu(FILE *f, unsigned id, const struct dump_vcpu_state *s);
/* The ring, oldest first, each with its age relative to @now_ns. */
void dump_exits(FILE *f, unsigned id, const struct dump_ring *r, uint64_t now_ns);

#endif
