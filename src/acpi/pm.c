/* pm.c - the hardware-reduced ACPI platform's sleep registers (ACPI 6.5 §4.8.3.7) and the
 * Generic Event Device's event register (§5.6.9): S5 powers vfvm's machine off, an event
 * latches a bit the GED's _EVT method reads and pulses the GED's interrupt. */
#include <stdio.h>
#include <string.h>
#include "acpi/pm.h"

void acpi_pm_init(struct acpi_pm *p, const struct acpi_pm_ops *ops, void *opaque,
		  const struct irq_line *ged)
{
	memset(p, 0, sizeof(*p));
	p->ops = ops;
	p->opaque = opaque;
	if (ged)
		p->ged = *ged;
}

/*
 * §4.8.3.7: the OS writes SLP_TYPx (the value of the \_Sx object) with SLP_EN set. vfvm
 * offers S5 only (no \_S1-\_S4), so any other type is a guest bug: logged once, ignored,
 * as a chipset without that state would.
 */
static void acpi_pm_sleep(struct acpi_pm *p, uint8_t v)
{
	unsigned typ = (v >> 2) & 7;

	if (!(v & ACPI_PM_SLP_EN))
		return;
	if (typ == ACPI_PM_SLP_TYP_S5) {
		if (p->ops && p->ops->poweroff)
			p->ops->poweroff(p->opaque);
		return;
	}
	if (!p->warned)
		fprintf(stderr, "vfvm: ACPI: guest asked for sleep type %u, which vfvm does not "
			"offer (S5 only); ignored (said once)\n", typ);
	p->warned = true;
}

void acpi_pm_io(void *opaque, uint64_t off, void *data, unsigned len, bool is_write)
{
	struct acpi_pm *p = opaque;
	uint8_t *b = data;

	/* Byte registers (the FADT's GAS and the GED's Field say ByteAcc); a wider access
	 * reaches each byte in turn, as on an ISA bus. */
	for (unsigned i = 0; i < len; i++, off++) {
		if (is_write) {
			if (off == ACPI_PM_SLEEP_CTL)
				acpi_pm_sleep(p, b[i]);
			continue;	/* WAK_STS is never set: nothing to clear */
		}
		b[i] = 0;
		if (off == ACPI_PM_GED_EVT) {
			b[i] = p->events;
			p->events = 0;
		}
	}
}

void acpi_pm_event(struct acpi_pm *p, uint8_t ev)
{
	p->events |= ev;
	irq_line_pulse(&p->ged);
}

void acpi_pm_reset(struct acpi_pm *p)
{
	p->events = 0;
}
