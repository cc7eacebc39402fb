/* vcpu.h - one KVM vCPU and its thread: creation with CPUID and LAPIC setup, the boot
 * register state, the KVM_RUN loop with exit dispatch and ExtINT injection, and kicks. */
#ifndef VFVM_VCPU_H
#define VFVM_VCPU_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include "core/vm.h"

struct vcpu;

/*
 * What a vCPU thread calls in the layer that created it (the machine), handed over at
 * creation so that the vCPU never calls up by name. All are called on the vCPU's thread.
 */
struct vcpu_ops {
	/* Byte access to port 0xCF9 (Reset Control Register), with vm->lock held. */
	void (*rcr_io)(struct vm *vm, uint8_t *data, bool is_write);
	/* ExtINT (the BSP's LINT0, from the 8259A): is a vector pending, and acknowledge it (its
	 * vector, or negative for none: a spurious IRQ). With vm->lock held. */
	bool (*extint_pending)(struct vm *vm);
	int (*extint_ack)(struct vm *vm);
	/* KVM_EXIT_IOAPIC_EOI for @vector. */
	void (*eoi_exit)(struct vm *vm, uint8_t vector);
	/* EOI fallback: does vCPU @id have a level-triggered vector outstanding; check it
	 * against the vCPU's LAPIC registers (KVM_GET_LAPIC). */
	bool (*eoi_pending)(struct vm *vm, unsigned id);
	void (*eoi_poll)(struct vm *vm, unsigned id, const char *lapic_regs);
	/* The guest reset (triple fault, KVM system event; @why says which, for the exit
	 * line); stop with @status; stop with an error message. The vCPU thread ends after
	 * each. */
	void (*reset)(struct vm *vm, const char *why);
	void (*exit)(struct vm *vm, int status);
	void (*fail)(struct vm *vm, const char *fmt, va_list ap);
};

/* Create vCPU @id (APIC ID @id) with its CPUID; saves its power-on state for resets. @ops
 * must outlive the vCPU. */
struct vcpu *vcpu_new(struct vm *vm, unsigned id, const struct vcpu_ops *ops,
		      struct err *err);
void vcpu_free(struct vcpu *v);
/* Power-on state (saved at creation); for the BSP then the entry state from vm->entry. */
int vcpu_reset(struct vcpu *v, struct err *err);
/* Start / join the vCPU thread. The thread ends when vm->exit_requested or reset_requested. */
int vcpu_start(struct vcpu *v);
void vcpu_join(struct vcpu *v);
/* Bring the vCPU out of KVM_RUN (no-op if it is not running; never lost if it is about to). */
void vcpu_kick(struct vcpu *v);
/*
 * Have the vCPU thread print its registers, LAPIC and last exits on stderr (dump.h), and wait
 * up to @timeout_ms for it. False if it did not answer: not running, or stuck outside
 * KVM_RUN (e.g. waiting for a device's lock).
 */
bool vcpu_dump(struct vcpu *v, unsigned timeout_ms);
/*
 * Events KVM handled for this vCPU without an exit to vfvm (interrupts and NMIs injected,
 * wake-ups from HLT: kvm_stats.h), callable from any thread; 0 where KVM has no statistics.
 */
uint64_t vcpu_progress(const struct vcpu *v);
/* The vCPU thread's kernel thread ID, 0 before it runs (for the watchdog's lock owner). */
int vcpu_tid(const struct vcpu *v);
/* Signal used for kicks; blocked in every thread outside KVM_RUN. */
int vcpu_kick_signal(void);

#endif
