/* pm.h - the registers of vfvm's hardware-reduced ACPI platform: the sleep control and status
 * registers (ACPI 6.5 §4.8.3.7) that power the machine off, and the Generic Event Device's
 * event register (§5.6.9) behind the power button. docs/acpi.md. */
#ifndef VFVM_ACPI_PM_H
#define VFVM_ACPI_PM_H
#include <stdbool.h>
#include <stdint.h>
#include "core/irq.h"

/* Three byte-wide ports from ACPI_PM_PORT, named in the FADT (sleep registers) and the
 * DSDT (the GED's OperationRegion). Clear of the ISA devices and of 0xCF8-0xCFF. */
#define ACPI_PM_PORT		0x600
#define ACPI_PM_LEN		3
#define ACPI_PM_SLEEP_CTL	0	/* write: SLP_TYPx bits 4:2, SLP_EN bit 5 */
#define ACPI_PM_SLEEP_STS	1	/* WAK_STS bit 7 (write 1 to clear); reads 0 */
#define ACPI_PM_GED_EVT		2	/* read: pending events, cleared by the read */

#define ACPI_PM_SLP_TYP_S5	5	/* the value \_S5 hands the OS (dsdt.c) */
#define ACPI_PM_SLP_EN		0x20
#define ACPI_PM_EVT_PWRBTN	0x01	/* GED event bit: the power button was pressed */
/* The GED's interrupt: an ISA pin no vfvm device uses, and not 9, the SCI_INT the FADT
 * names for OSes that set up an SCI even on a hardware-reduced platform. */
#define ACPI_PM_GED_GSI		5

struct acpi_pm_ops {
	void (*poweroff)(void *opaque);	/* the guest entered S5 */
};

struct acpi_pm {
	const struct acpi_pm_ops *ops;
	void *opaque;
	struct irq_line ged;	/* the GED's interrupt, edge-triggered */
	uint8_t events;		/* ACPI_PM_EVT_* raised and not yet read */
	bool warned;		/* an unsupported sleep state was logged */
};

void acpi_pm_init(struct acpi_pm *p, const struct acpi_pm_ops *ops, void *opaque,
		  const struct irq_line *ged);
/* The bus handler of ACPI_PM_PORT..+ACPI_PM_LEN (opaque: the acpi_pm). */
void acpi_pm_io(void *opaque, uint64_t off, void *data, unsigned len, bool is_write);
/* Raise event @ev (ACPI_PM_EVT_*): latch it and pulse the GED interrupt. */
void acpi_pm_event(struct acpi_pm *p, uint8_t ev);
/* Guest reset: no event pending. */
void acpi_pm_reset(struct acpi_pm *p);
#endif
