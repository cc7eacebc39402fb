/* dsdt.c - the DSDT's AML (ACPI 6.5 §5.2.11.1): the PCI Express host bridge \_SB.PCI0, the
 * two COM ports, the motherboard resource that reserves the ECAM window, and \_S5 with the
 * power button behind a Generic Event Device. */
#include <errno.h>
#include <stdio.h>
#include "acpi/acpi.h"
#include "acpi/pm.h"

/* Name (n, EisaId (id)) */
static void dsdt_name_eisaid(struct aml *a, const char *n, const char *id)
{
	aml_name(a, n);
	aml_eisaid(a, id);
}

static void dsdt_name_int(struct aml *a, const char *n, uint64_t v)
{
	aml_name(a, n);
	aml_integer(a, v);
}

/*
 * The bridge's _CRS (§6.2.2, PCI Firmware 3.3 §4.1.4): what the root bridge decodes for
 * its children. Bus 0 only (vfvm has no bridges); I/O everywhere but the configuration
 * ports 0xCF8-0xCFF, which the bridge itself owns (as on a PC); the 32- and 64-bit windows
 * src/pci places BARs in. The ECAM window is not in it: it is the bridge's own register
 * space and is reserved by the PNP0C02 device instead (PCI Firmware 3.3 §4.1.2).
 */
static void dsdt_pci_crs(const struct acpi_config *c, struct aml *a)
{
	struct aml r;

	aml_init(&r);
	aml_res_word(&r, AML_RES_BUS, 0, 0, c->ecam_bus_end);
	aml_res_word(&r, AML_RES_IO, AML_IO_ENTIRE_RANGE, 0x0000, 0x0cf7);
	aml_res_word(&r, AML_RES_IO, AML_IO_ENTIRE_RANGE, 0x0d00, 0xffff);
	aml_res_dword(&r, AML_RES_MEM, AML_MEM_RW | AML_MEM_NONCACHEABLE, c->mem32_min,
		      c->mem32_max);
	aml_res_qword(&r, AML_RES_MEM, AML_MEM_RW | AML_MEM_PREFETCHABLE, c->mem64_min,
		      c->mem64_max);
	aml_name(a, "_CRS");
	aml_restemplate(a, &r);
	aml_free(&r);
}

/*
 * _PRT (§6.2.13): every slot's INTA#-INTD# to the I/O APIC pin src/pci wires it to
 * (c->intx_gsi, from pci_intx_route(), the pins the MP table lists); Source 0: a GSI, not a
 * link device. All 32x4 entries, so a function that appears later is routed too.
 */
static void dsdt_pci_prt(const struct acpi_config *c, struct aml *a)
{
	size_t prt;

	aml_name(a, "_PRT");
	prt = aml_package_begin(a, ACPI_PCI_SLOTS * 4);
	for (unsigned s = 0; s < ACPI_PCI_SLOTS; s++) {
		for (unsigned pin = 0; pin < 4; pin++) {
			size_t e = aml_package_begin(a, 4);

			aml_integer(a, (uint64_t)s << 16 | 0xffff);	/* any function */
			aml_integer(a, pin);
			aml_integer(a, 0);
			aml_integer(a, c->intx_gsi[s][pin]);
			aml_end(a, e);
		}
	}
	aml_end(a, prt);
}

static void dsdt_pci0(const struct acpi_config *c, struct aml *a)
{
	size_t dev = aml_device_begin(a, "PCI0");

	/* PCI Firmware 3.3 §4.1.5: a PCI Express root bridge is PNP0A08, compatible PNP0A03. */
	dsdt_name_eisaid(a, "_HID", "PNP0A08");
	dsdt_name_eisaid(a, "_CID", "PNP0A03");
	dsdt_name_int(a, "_SEG", 0);
	dsdt_name_int(a, "_BBN", 0);
	dsdt_name_int(a, "_UID", 0);
	dsdt_pci_crs(c, a);
	dsdt_pci_prt(c, a);
	aml_end(a, dev);
}

/* A 16550 (PNP0501) at @port, edge-triggered active-high ISA IRQ @irq, as the MP table. */
static void dsdt_com(struct aml *a, const char *name, unsigned uid, uint16_t port, unsigned irq)
{
	size_t dev = aml_device_begin(a, name);
	struct aml r;

	dsdt_name_eisaid(a, "_HID", "PNP0501");
	dsdt_name_int(a, "_UID", uid);
	aml_init(&r);
	aml_res_io(&r, port, port, 1, 8);
	aml_res_irq_noflags(&r, irq);
	aml_name(a, "_CRS");
	aml_restemplate(a, &r);
	aml_free(&r);
	aml_end(a, dev);
}

/* PCI Firmware 3.3 §4.1.2: the ECAM range must be reserved by a motherboard resource
 * (PNP0C02) for an OS to trust MCFG; Linux checks this ("reserved as ACPI motherboard
 * resource"). */
static void dsdt_mres(const struct acpi_config *c, struct aml *a)
{
	size_t dev = aml_device_begin(a, "MRES");
	struct aml r;

	dsdt_name_eisaid(a, "_HID", "PNP0C02");
	dsdt_name_int(a, "_UID", 0);
	aml_init(&r);
	aml_res_mem32_fixed(&r, c->ecam_base, ((uint32_t)c->ecam_bus_end + 1) << 20, 0);
	aml_name(a, "_CRS");
	aml_restemplate(a, &r);
	aml_free(&r);
	aml_end(a, dev);
}

/* §7.4.2.5: \_S5 (soft off) gives the value the OS writes to SLP_TYPx; on a
 * hardware-reduced platform only the first element is used (§4.8.3.7). */
static void dsdt_s5(struct aml *a)
{
	size_t p;

	aml_name(a, "_S5");
	p = aml_package_begin(a, 2);
	aml_integer(a, ACPI_PM_SLP_TYP_S5);
	aml_integer(a, 0);
	aml_end(a, p);
}

/* §4.8.2.2.1.2: a control-method power button (PNP0C0C); Notify 0x80 means "pressed". */
static void dsdt_pwrb(struct aml *a)
{
	size_t dev = aml_device_begin(a, "PWRB");

	dsdt_name_eisaid(a, "_HID", "PNP0C0C");
	dsdt_name_int(a, "_UID", 0);
	aml_end(a, dev);
}

/*
 * §5.6.9: the Generic Event Device (ACPI0013) of a hardware-reduced platform. Its one
 * interrupt calls _EVT, which reads the event register (read clears it, acpi/pm.c) and
 * notifies the power button when its bit is set:
 *   OperationRegion (GEDR, SystemIO, pm_port + 2, 1)
 *   Field (GEDR, ByteAcc, NoLock, Preserve) { GEVT, 8 }
 *   Method (_EVT, 1, Serialized) { Local0 = GEVT
 *                                  If (Local0 & 1) { Notify (\_SB.PWRB, 0x80) } }
 */
static void dsdt_ged(const struct acpi_config *c, struct aml *a)
{
	size_t dev = aml_device_begin(a, "GED0"), m, f, i;
	struct aml r;

	aml_name(a, "_HID");
	aml_string(a, "ACPI0013");
	dsdt_name_int(a, "_UID", 0);
	aml_init(&r);
	aml_res_ext_irq(&r, c->ged_gsi, 0, 0, 0);
	aml_name(a, "_CRS");
	aml_restemplate(a, &r);
	aml_free(&r);
	aml_opregion(a, "GEDR", AML_SYSTEM_IO, c->pm_port + ACPI_PM_GED_EVT, 1);
	f = aml_field_begin(a, "GEDR");
	aml_field_unit(a, "GEVT", 8);
	aml_end(a, f);
	m = aml_method_begin(a, "_EVT", 1, 1);
	aml_store(a);
	aml_namestring(a, "GEVT");
	aml_local(a, 0);
	i = aml_if_begin(a);
	aml_and(a);
	aml_local(a, 0);
	aml_integer(a, ACPI_PM_EVT_PWRBTN);
	aml_null_target(a);
	aml_notify(a, "\\_SB.PWRB", 0x80);
	aml_end(a, i);
	aml_end(a, m);
	aml_end(a, dev);
}

int acpi_build_dsdt_aml(const struct acpi_config *c, struct aml *a)
{
	size_t sb;

	if (c->pm_port)
		dsdt_s5(a);
	sb = aml_scope_begin(a, "\\_SB");
	dsdt_pci0(c, a);
	dsdt_com(a, "COM1", 1, 0x3f8, 4);
	dsdt_com(a, "COM2", 2, 0x2f8, 3);
	dsdt_mres(c, a);
	if (c->pm_port) {
		dsdt_pwrb(a);
		dsdt_ged(c, a);
	}
	aml_end(a, sb);
	return a->err;
}
