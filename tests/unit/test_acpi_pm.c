/* test_acpi_pm.c - the hardware-reduced ACPI platform registers (src/acpi/pm.c): S5 through
 * the sleep control register, other sleep types refused, GED events latched, pulsed and
 * cleared by the read. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "acpi/pm.h"

struct probe {
	int poweroffs;
	int rises, falls, level;
};

static void probe_poweroff(void *opaque)
{
	((struct probe *)opaque)->poweroffs++;
}

static void probe_irq(void *opaque, unsigned pin, int level)
{
	struct probe *p = opaque;

	assert_int_equal(pin, ACPI_PM_GED_GSI);
	if (level && !p->level)
		p->rises++;
	if (!level && p->level)
		p->falls++;
	p->level = level;
}

static const struct acpi_pm_ops ops = { .poweroff = probe_poweroff };

static void setup(struct acpi_pm *pm, struct probe *p)
{
	struct irq_line l = { .set = probe_irq, .opaque = p, .pin = ACPI_PM_GED_GSI };

	memset(p, 0, sizeof(*p));
	acpi_pm_init(pm, &ops, p, &l);
}

static void wr8(struct acpi_pm *pm, unsigned off, uint8_t v)
{
	acpi_pm_io(pm, off, &v, 1, true);
}

static uint8_t rd8(struct acpi_pm *pm, unsigned off)
{
	uint8_t v = 0xaa;

	acpi_pm_io(pm, off, &v, 1, false);
	return v;
}

/* §4.8.3.7: SLP_TYP = \_S5's 5 with SLP_EN powers off; without SLP_EN nothing happens. */
static void test_s5(void **s)
{
	struct acpi_pm pm;
	struct probe p;

	(void)s;
	setup(&pm, &p);
	wr8(&pm, ACPI_PM_SLEEP_CTL, ACPI_PM_SLP_TYP_S5 << 2);
	assert_int_equal(p.poweroffs, 0);
	wr8(&pm, ACPI_PM_SLEEP_CTL, ACPI_PM_SLP_TYP_S5 << 2 | ACPI_PM_SLP_EN);
	assert_int_equal(p.poweroffs, 1);
	assert_int_equal(rd8(&pm, ACPI_PM_SLEEP_STS), 0);
	assert_int_equal(rd8(&pm, ACPI_PM_SLEEP_CTL), 0);
}

/* S1-S4 are not offered: the write is ignored and said once, never a power-off. */
static void test_other_sleep_types(void **s)
{
	struct acpi_pm pm;
	struct probe p;

	(void)s;
	setup(&pm, &p);
	for (unsigned t = 0; t < 8; t++)
		if (t != ACPI_PM_SLP_TYP_S5)
			wr8(&pm, ACPI_PM_SLEEP_CTL, t << 2 | ACPI_PM_SLP_EN);
	assert_int_equal(p.poweroffs, 0);
	assert_true(pm.warned);
}

/* An event pulses the GED interrupt once (edge) and stays latched until _EVT reads it. */
static void test_event(void **s)
{
	struct acpi_pm pm;
	struct probe p;

	(void)s;
	setup(&pm, &p);
	assert_int_equal(rd8(&pm, ACPI_PM_GED_EVT), 0);
	acpi_pm_event(&pm, ACPI_PM_EVT_PWRBTN);
	assert_int_equal(p.rises, 1);
	assert_int_equal(p.falls, 1);
	assert_int_equal(p.level, 0);
	assert_int_equal(rd8(&pm, ACPI_PM_GED_EVT), ACPI_PM_EVT_PWRBTN);
	assert_int_equal(rd8(&pm, ACPI_PM_GED_EVT), 0);
	/* Two presses before the read: one bit, two pulses. */
	acpi_pm_event(&pm, ACPI_PM_EVT_PWRBTN);
	acpi_pm_event(&pm, ACPI_PM_EVT_PWRBTN);
	assert_int_equal(p.rises, 3);
	assert_int_equal(rd8(&pm, ACPI_PM_GED_EVT), ACPI_PM_EVT_PWRBTN);
	/* A reset drops what is pending. */
	acpi_pm_event(&pm, ACPI_PM_EVT_PWRBTN);
	acpi_pm_reset(&pm);
	assert_int_equal(rd8(&pm, ACPI_PM_GED_EVT), 0);
}

/* A 4-byte read from the base reaches each byte register in turn; writes to the event
 * register do nothing. */
static void test_wide_access(void **s)
{
	struct acpi_pm pm;
	struct probe p;
	uint8_t b[4];
	uint32_t v = 0xffffffff;

	(void)s;
	setup(&pm, &p);
	acpi_pm_event(&pm, ACPI_PM_EVT_PWRBTN);
	wr8(&pm, ACPI_PM_GED_EVT, 0);
	memset(b, 0xaa, sizeof(b));
	acpi_pm_io(&pm, 0, b, 3, false);
	assert_int_equal(b[0], 0);
	assert_int_equal(b[1], 0);
	assert_int_equal(b[2], ACPI_PM_EVT_PWRBTN);
	assert_int_equal(b[3], 0xaa);
	acpi_pm_io(&pm, 0, &v, 2, true);	/* SLP_EN with type 7: not S5 */
	assert_int_equal(p.poweroffs, 0);
}

/* No ops and no interrupt line: events and S5 are harmless. */
static void test_no_ops(void **s)
{
	struct acpi_pm pm;

	(void)s;
	acpi_pm_init(&pm, NULL, NULL, NULL);
	acpi_pm_event(&pm, ACPI_PM_EVT_PWRBTN);
	wr8(&pm, ACPI_PM_SLEEP_CTL, ACPI_PM_SLP_TYP_S5 << 2 | ACPI_PM_SLP_EN);
	assert_int_equal(rd8(&pm, ACPI_PM_GED_EVT), ACPI_PM_EVT_PWRBTN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_s5),
		cmocka_unit_test(test_other_sleep_types),
		cmocka_unit_test(test_event),
		cmocka_unit_test(test_wide_access),
		cmocka_unit_test(test_no_ops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
