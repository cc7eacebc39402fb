/* machine_irq.h - the machine's interrupt wiring: ISA IRQs and GSIs to the PIC and I/O APIC,
 * I/O APIC entries as KVM GSI routes, and the EOI of level-triggered vectors. */
#ifndef VFVM_MACHINE_IRQ_H
#define VFVM_MACHINE_IRQ_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "core/clock.h"
#include "core/irq.h"
#include "legacy/ioapic.h"

#define MACHINE_ISA_IRQS 16

struct vm;

struct machine_irq {
	struct vm *vm;
	struct irq_line isa[MACHINE_ISA_IRQS];	/* ISA IRQ n, for the legacy devices */
	const struct clock_ops *eoi_clock;	/* the EOI poll's timer (machine_irq_eoi_tick) */
	/* I/O APIC pins as last routed, for the EOI fallback (under vm->lock). */
	struct msi_msg pin_msg[IOAPIC_PINS];
	uint32_t pin_routed;			/* pins with a KVM route */
	atomic_uint eoi_wait;			/* level pins delivered, EOI not seen yet */
};

/* The ISA lines and the I/O APIC's ops (@io_ops, opaque @q); @eoi_clock arms the EOI poll. */
void machine_irq_init(struct machine_irq *q, struct vm *vm, const struct clock_ops *eoi_clock,
		      struct ioapic_ops *io_ops);
/* The PIC's INT output (pic_new's callback, opaque the vm): kicks the BSP to inject ExtINT. */
void machine_irq_pic_out(void *opaque, int level);
/* An irq_line driving I/O APIC pin @gsi, and also PIC input @gsi for ISA IRQs (< 16). */
void machine_irq_gsi_line(struct vm *vm, unsigned gsi, struct irq_line *out);
/* vCPU @id has a level-triggered vector outstanding whose EOI it must look for (any thread). */
bool machine_irq_eoi_pending(struct machine_irq *q, unsigned id);
/* On vCPU @id's thread with its LAPIC registers: EOI what the guest has EOI'd. Takes vm->lock. */
void machine_irq_eoi_poll(struct machine_irq *q, unsigned id, const char *lapic_regs);
/* KVM_EXIT_IOAPIC_EOI for @vector. Takes vm->lock. */
void machine_irq_eoi_exit(struct machine_irq *q, uint8_t vector);
/* The EOI poll's timer tick (opaque @q, under vm->lock): kick the vCPUs still waiting. */
void machine_irq_eoi_tick(void *q);
/* Guest reset (under vm->lock): no EOI outstanding. The routes stay: the I/O APIC reset
 * announces its masked pins again. */
void machine_irq_reset(struct machine_irq *q);
/* One line for the state dump (under vm->lock). */
void machine_irq_dump(struct machine_irq *q, FILE *f);

#endif
