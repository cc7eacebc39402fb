/* pit.h - the 8254 programmable interval timer at 0x40-0x43, and port 0x61 (gate 2,
 * speaker, OUT2). Counter 0's OUT drives IRQ0. Timed by a struct clock_ops. */
#ifndef VFVM_PIT_H
#define VFVM_PIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "core/clock.h"
#include "core/irq.h"

#define PIT_FREQ_HZ 1193182ULL

struct pit;

/* @irq0 is driven with OUT0's level; @clk arms the next OUT0 transition. */
struct pit *pit_new(const struct irq_line *irq0, const struct clock_ops *clk);
void pit_free(struct pit *p);
/* Bus handlers: counters and control word at 0x40 (len 4); port 0x61 (len 1). */
void pit_io(void *opaque, uint64_t off, void *data, unsigned len, bool is_write);
void pit_port61_io(void *opaque, uint64_t off, void *data, unsigned len, bool is_write);
/* The armed deadline passed: bring OUT0 (and IRQ0) up to date and re-arm. */
void pit_tick(struct pit *p);
void pit_reset(struct pit *p);

/* "vfvm: PIT ..." lines: each counter's mode and count, IRQ0's level, the armed deadline. */
void pit_dump(const struct pit *p, FILE *f);
#endif
