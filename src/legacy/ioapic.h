/* ioapic.h - the 82093AA I/O APIC at 0xFEC00000 with 24 pins. Interrupts leave it as MSI
 * messages through the ops below (the machine backs them with KVM GSI routes). */
#ifndef VFVM_IOAPIC_H
#define VFVM_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "core/irq.h"

#define IOAPIC_PINS 24

struct ioapic_ops {
	/*
	 * Pin @pin's redirection entry changed: @msg is the MSI message it now translates to
	 * (trigger mode in data bit 15, as KVM's split irqchip expects), @masked its mask bit
	 * (also true for the reserved delivery modes 011/110, which deliver nothing).
	 */
	void (*route)(void *opaque, unsigned pin, const struct msi_msg *msg, bool masked);
	/* Deliver pin @pin's current message to the local APICs now. */
	void (*fire)(void *opaque, unsigned pin);
	void *opaque;
};

struct ioapic;

/* @id: the I/O APIC ID after reset; the 82093AA ID register keeps only bits 3:0. */
struct ioapic *ioapic_new(const struct ioapic_ops *ops, uint8_t id);
void ioapic_free(struct ioapic *io);
void ioapic_set_irq(struct ioapic *io, unsigned pin, int level);
/* Whether pin @pin's redirection entry is masked (§3.2.4 bit 16); out-of-range pins are. */
bool ioapic_pin_masked(const struct ioapic *io, unsigned pin);
/* A local APIC EOI'd @vector (KVM_EXIT_IOAPIC_EOI): clear remote IRR, re-deliver if still high. */
void ioapic_eoi(struct ioapic *io, uint8_t vector);
/*
 * Optional: @eoi(@opaque, pin) is called from ioapic_eoi() for every level-triggered entry
 * with that vector, whether or not its remote IRR was set (interrupts injected past the
 * I/O APIC, e.g. by a KVM irqfd, do not set it), before remote IRR is cleared and
 * re-delivery is considered: the owner of the line can lower it first (VFIO INTx: deassert,
 * then unmask; with the split irqchip KVM's resamplefd never fires). NULL removes it.
 */
void ioapic_set_eoi_notifier(struct ioapic *io, void (*eoi)(void *opaque, unsigned pin),
			     void *opaque);
/* Bus handler for the 4 KiB MMIO page at MEM_IOAPIC_BASE. */
void ioapic_mmio(void *opaque, uint64_t off, void *data, unsigned len, bool is_write);
void ioapic_reset(struct ioapic *io);

/* "vfvm: IOAPIC ..." lines: the asserted pins, then each unmasked or asserted pin's entry. */
void ioapic_dump(const struct ioapic *io, FILE *f);
#endif
