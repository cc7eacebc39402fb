/* irq.h - the interrupt-line and MSI-message interfaces between device models and controllers.
 * A device holds a struct irq_line and drives it; it never knows what is behind it. */
#ifndef VFVM_IRQ_H
#define VFVM_IRQ_H

#include <stdint.h>

struct irq_line {
	void (*set)(void *opaque, unsigned pin, int level);
	void *opaque;
	unsigned pin;
};

static inline void irq_line_set(const struct irq_line *l, int level)
{
	if (l && l->set)
		l->set(l->opaque, l->pin, level);
}

/* An edge: raise then lower. */
static inline void irq_line_pulse(const struct irq_line *l)
{
	irq_line_set(l, 1);
	irq_line_set(l, 0);
}

/* An MSI message as written by the guest (Intel SDM vol. 3 §11.11). */
struct msi_msg {
	uint64_t addr;
	uint32_t data;
};

#endif
