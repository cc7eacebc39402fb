/* pic.h - the cascaded 8259A pair (master at 0x20, slave at 0xA0 on master IR2) with the
 * ELCR at 0x4D0/0x4D1. Pure state machine: its INT output is a callback. */
#ifndef VFVM_PIC_H
#define VFVM_PIC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct pic;

/* @int_out is called, with vm->lock held, whenever the master's INT output changes level. */
struct pic *pic_new(void (*int_out)(void *opaque, int level), void *opaque);
void pic_free(struct pic *p);
/* Drive ISA input @irq (0-15); edge or level per the ELCR. */
void pic_set_irq(struct pic *p, unsigned irq, int level);
/* Level of the master's INT output. */
bool pic_int_pending(const struct pic *p);
/*
 * The CPU's INTA cycle: returns the vector to inject (spurious IRQ7/IRQ15 vectors when the
 * request went away), updating IRR/ISR (and auto-EOI). -1 if INT has not been asserted since
 * the last INTA (nothing the CPU could have sampled); if it was asserted and dropped again
 * the 8259A answers with its IR7 vector. Call it only when pic_int_pending() to avoid those.
 */
int pic_intack(struct pic *p);
/* Bus handlers: master at 0x20 (len 2), slave at 0xA0 (len 2), ELCR at 0x4D0 (len 2). */
void pic_master_io(void *opaque, uint64_t off, void *data, unsigned len, bool is_write);
void pic_slave_io(void *opaque, uint64_t off, void *data, unsigned len, bool is_write);
void pic_elcr_io(void *opaque, uint64_t off, void *data, unsigned len, bool is_write);
/* Reset both chips to the power-on state (guest reboot). */
void pic_reset(struct pic *p);

/* One "vfvm: PIC ..." line per chip: IRR ISR IMR, input levels, ELCR, vector base (watchdog). */
void pic_dump(const struct pic *p, FILE *f);
#endif
