/* tables.c - the ACPI 6.5 system description tables (§5.2): RSDP, XSDT, FADT, MADT and
 * MCFG around the DSDT, laid out in one buffer with lengths and checksums filled in. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "acpi/acpi.h"
#include "acpi/pm.h"

#define ACPI_OEM_ID	"VFVM  "
#define ACPI_OEM_TABLE	"VFVMPC  "
#define ACPI_CREATOR	"VFVM"
#define ACPI_ALIGN	16

/* §5.2.5.3, Table 5.3: the Root System Description Pointer, revision 2 (36 bytes). */
struct acpi_rsdp {
	char sig[8];		/* "RSD PTR " */
	uint8_t checksum;	/* over the first 20 bytes (the ACPI 1.0 part) */
	char oem_id[6];
	uint8_t revision;	/* 2: ACPI 2.0 and later */
	uint32_t rsdt_addr;
	uint32_t length;
	uint64_t xsdt_addr;
	uint8_t ext_checksum;	/* over all 36 bytes */
	uint8_t reserved[3];
} __attribute__((packed));

/* §5.2.6, Table 5.4: the header every description table starts with (36 bytes). */
struct acpi_sdt {
	char sig[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

/* §5.2.3.2, Table 5.1: Generic Address Structure (12 bytes). */
struct acpi_gas {
	uint8_t space;		/* 0 system memory, 1 system I/O */
	uint8_t bit_width, bit_offset;
	uint8_t access_size;	/* 1 byte */
	uint64_t addr;
} __attribute__((packed));

/* §5.2.9, Table 5.9: the Fixed ACPI Description Table, revision 6 (276 bytes). */
struct acpi_fadt {
	struct acpi_sdt h;
	uint32_t firmware_ctrl, dsdt;
	uint8_t reserved0, pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt, pm1b_evt, pm1a_cnt, pm1b_cnt, pm2_cnt, pm_tmr, gpe0, gpe1;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len, gpe0_len, gpe1_len;
	uint8_t gpe1_base, cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl, x_dsdt;
	struct acpi_gas x_pm1a_evt, x_pm1b_evt, x_pm1a_cnt, x_pm1b_cnt, x_pm2_cnt, x_pm_tmr;
	struct acpi_gas x_gpe0, x_gpe1, sleep_control, sleep_status;
	uint64_t hypervisor_vendor;
} __attribute__((packed));

/* §5.2.12, Table 5.19: MADT header; entries follow. */
struct acpi_madt {
	struct acpi_sdt h;
	uint32_t lapic_addr;
	uint32_t flags;		/* bit 0 PCAT_COMPAT: the 8259s are there too */
} __attribute__((packed));

struct madt_lapic {		/* §5.2.12.2, Table 5.23: type 0, 8 bytes */
	uint8_t type, length, uid, apic_id;
	uint32_t flags;		/* bit 0 Enabled */
} __attribute__((packed));

struct madt_ioapic {		/* §5.2.12.3, Table 5.24: type 1, 12 bytes */
	uint8_t type, length, id, reserved;
	uint32_t addr, gsi_base;
} __attribute__((packed));

struct madt_iso {		/* §5.2.12.5, Table 5.25: type 2, 10 bytes */
	uint8_t type, length, bus, source;
	uint32_t gsi;
	uint16_t flags;		/* MPS INTI flags; 0: conforms to the bus */
} __attribute__((packed));

struct madt_lapic_nmi {		/* §5.2.12.7, Table 5.29: type 4, 6 bytes */
	uint8_t type, length, uid;
	uint16_t flags;
	uint8_t lint;
} __attribute__((packed));

/* PCI Firmware 3.3 §4.1.2, Tables 4-2/4-3: MCFG and one allocation per segment group. */
struct acpi_mcfg {
	struct acpi_sdt h;
	uint8_t reserved[8];
	uint64_t base;
	uint16_t segment;
	uint8_t bus_start, bus_end;
	uint32_t reserved1;
} __attribute__((packed));

/* ACPI 6.5 §5.2.32 (virtio 1.2 §5.13.2 points there), the Virtual I/O Translation Table:
 * the header, then nodes; each node starts with type, reserved, length. */
struct acpi_viot {
	struct acpi_sdt h;
	uint16_t node_count;
	uint16_t node_offset;		/* of the first node, from the table's start */
	uint8_t reserved[8];
} __attribute__((packed));

struct viot_virtio_pci {	/* Table 5.165: type 3, a virtio-pci IOMMU, 16 bytes */
	uint8_t type, reserved;
	uint16_t length;
	uint16_t segment, bdf;
	uint8_t reserved1[8];
} __attribute__((packed));

struct viot_pci_range {		/* Table 5.163: type 1, PCI endpoints, 24 bytes */
	uint8_t type, reserved;
	uint16_t length;
	uint32_t endpoint_start;	/* endpoint ID of bdf_start */
	uint16_t segment_start, segment_end;
	uint16_t bdf_start, bdf_end;
	uint16_t output_node;		/* offset of the IOMMU node in the table */
	uint8_t reserved1[6];
} __attribute__((packed));

#define VIOT_NODE_PCI_RANGE	1
#define VIOT_NODE_VIRTIO_PCI	3
#define VIOT_SIZE (sizeof(struct acpi_viot) + sizeof(struct viot_virtio_pci) +	\
		   sizeof(struct viot_pci_range))

_Static_assert(sizeof(struct acpi_viot) == 48 && sizeof(struct viot_virtio_pci) == 16 &&
	       sizeof(struct viot_pci_range) == 24, "VIOT sizes");
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP 2.0 is 36 bytes");
_Static_assert(sizeof(struct acpi_sdt) == 36, "SDT header is 36 bytes");
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS is 12 bytes");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT revision 6 is 276 bytes");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT X_DSDT at 140");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT Flags at 112");
_Static_assert(offsetof(struct acpi_fadt, reset_reg) == 116, "FADT RESET_REG at 116");
_Static_assert(sizeof(struct madt_lapic) == 8 && sizeof(struct madt_ioapic) == 12 &&
	       sizeof(struct madt_iso) == 10 && sizeof(struct madt_lapic_nmi) == 6,
	       "MADT entry sizes");
_Static_assert(sizeof(struct acpi_mcfg) == 60, "MCFG with one allocation is 60 bytes");

#define FADT_RESET_REG_SUP	(1u << 10)	/* Table 5.10 */
#define FADT_HW_REDUCED_ACPI	(1u << 20)
#define FADT_BOOT_LEGACY	(1u << 0)	/* IAPC_BOOT_ARCH, Table 5.11: ISA devices */
#define FADT_BOOT_NO_VGA	(1u << 2)
#define MADT_PCAT_COMPAT	1u

uint8_t acpi_sum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (len--)
		s += *b++;
	return s;
}

static void acpi_header(struct acpi_sdt *h, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(h->sig, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, ACPI_OEM_ID, 6);
	memcpy(h->oem_table_id, ACPI_OEM_TABLE, 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, ACPI_CREATOR, 4);
	h->creator_revision = 1;
}

/* Fill in the checksum of the table at p (its header has the length). */
static void acpi_finish(uint8_t *p)
{
	struct acpi_sdt *h = (struct acpi_sdt *)p;

	h->checksum = 0;
	h->checksum = (uint8_t)-acpi_sum(p, h->length);
}

static size_t acpi_madt_size(unsigned ncpus)
{
	return sizeof(struct acpi_madt) + ncpus * sizeof(struct madt_lapic) +
	       sizeof(struct madt_ioapic) + sizeof(struct madt_iso) +
	       sizeof(struct madt_lapic_nmi);
}

/*
 * MADT (§5.2.12): what the MP table says (src/machine/mptable.c). One enabled Local APIC per vCPU
 * (UID = APIC ID = index), the I/O APIC with the MP table's ID and address at GSI base 0,
 * ISA IRQ 0 (the PIT) to GSI 2 conforming to the bus (edge, active high); every other ISA
 * IRQ n is GSI n, which needs no override (§5.2.12.5). LINT1 of every processor is NMI.
 */
static void acpi_build_madt(const struct acpi_config *c, uint8_t *p)
{
	struct acpi_madt *m = (struct acpi_madt *)p;
	uint8_t *e = p + sizeof(*m);
	struct madt_ioapic io = { 1, sizeof(io), c->ioapic_id, 0, c->ioapic_addr, 0 };
	struct madt_iso iso = { 2, sizeof(iso), 0, 0, 2, 0 };
	struct madt_lapic_nmi nmi = { 4, sizeof(nmi), 0xff, 0, 1 };

	acpi_header(&m->h, "APIC", acpi_madt_size(c->ncpus), 6);
	m->lapic_addr = c->lapic_addr;
	m->flags = MADT_PCAT_COMPAT;
	for (unsigned i = 0; i < c->ncpus; i++) {
		struct madt_lapic l = { 0, sizeof(l), (uint8_t)i, (uint8_t)i, 1 };

		memcpy(e, &l, sizeof(l));
		e += sizeof(l);
	}
	memcpy(e, &io, sizeof(io));
	e += sizeof(io);
	memcpy(e, &iso, sizeof(iso));
	e += sizeof(iso);
	memcpy(e, &nmi, sizeof(nmi));
	acpi_finish(p);
}

/*
 * FADT (§5.2.9) of a hardware-reduced platform (§4.1): no PM1/GPE blocks, no SCI, no
 * FACS; the fixed registers are the reset register, port 0xCF9 written with 0x06 (hard
 * reset, as vfvm's 0xCF9 implements), and the sleep control/status registers (acpi/pm.h). SCI_INT is ignored on such a platform (§5.2.9); it
 * says 9, the PC's, so that an OS that sets up an SCI anyway does not touch IRQ 0.
 */
static void acpi_build_fadt(const struct acpi_config *c, uint8_t *p, uint64_t dsdt)
{
	struct acpi_fadt *f = (struct acpi_fadt *)p;

	acpi_header(&f->h, "FACP", sizeof(*f), 6);
	f->minor_version = 5;
	f->sci_int = 9;
	f->flags = FADT_HW_REDUCED_ACPI | FADT_RESET_REG_SUP;
	f->iapc_boot_arch = FADT_BOOT_LEGACY | FADT_BOOT_NO_VGA;
	f->reset_reg = (struct acpi_gas){ .space = 1, .bit_width = 8, .access_size = 1,
					  .addr = 0xcf9 };
	f->reset_value = 0x06;
	/* §4.8.3.7: the sleep registers through which the OS enters \_S5 (acpi/pm.h). */
	if (c->pm_port) {
		f->sleep_control = (struct acpi_gas){ .space = 1, .bit_width = 8,
			.access_size = 1, .addr = c->pm_port + ACPI_PM_SLEEP_CTL };
		f->sleep_status = (struct acpi_gas){ .space = 1, .bit_width = 8,
			.access_size = 1, .addr = c->pm_port + ACPI_PM_SLEEP_STS };
	}
	f->dsdt = (uint32_t)dsdt;	/* below 4 GiB: both DSDT fields, §5.2.9 Table 5.9 */
	f->x_dsdt = dsdt;
	acpi_finish(p);
}

static void acpi_build_mcfg(const struct acpi_config *c, uint8_t *p)
{
	struct acpi_mcfg *m = (struct acpi_mcfg *)p;

	acpi_header(&m->h, "MCFG", sizeof(*m), 1);
	m->base = c->ecam_base;
	m->segment = 0;
	m->bus_start = 0;
	m->bus_end = c->ecam_bus_end;
	acpi_finish(p);
}

/*
 * VIOT: the virtio-pci IOMMU node naming the viommu's function, then one PCI range node for
 * bus 0 of segment 0 whose endpoint IDs are the requester IDs (bus << 8 | devfn), the IDs the
 * viommu's requests carry. The viommu itself is in the range; Linux does not translate the
 * IOMMU's own DMA (drivers/acpi/viot.c skips it), as the spec requires (§5.13.2).
 */
static void acpi_build_viot(const struct acpi_config *c, uint8_t *p)
{
	struct acpi_viot *v = (struct acpi_viot *)p;
	struct viot_virtio_pci io = { .type = VIOT_NODE_VIRTIO_PCI, .length = sizeof(io),
				      .segment = 0, .bdf = c->viommu_bdf };
	struct viot_pci_range r = { .type = VIOT_NODE_PCI_RANGE, .length = sizeof(r),
				    .endpoint_start = 0, .segment_start = 0, .segment_end = 0,
				    .bdf_start = 0, .bdf_end = 0x00ff,
				    .output_node = sizeof(*v) };

	acpi_header(&v->h, "VIOT", VIOT_SIZE, 0);
	v->node_count = 2;
	v->node_offset = sizeof(*v);
	memcpy(p + sizeof(*v), &io, sizeof(io));
	memcpy(p + sizeof(*v) + sizeof(io), &r, sizeof(r));
	acpi_finish(p);
}

static int acpi_validate(const struct acpi_config *c)
{
	if (c->ncpus == 0 || c->ncpus > ACPI_MAX_CPUS)
		return -EINVAL;
	if (c->base & (ACPI_ALIGN - 1) || c->base + ACPI_MAX_SIZE > 0x100000000ull)
		return -EINVAL;
	/* §7.2.2: the base is aligned to the window's size, 1 MiB per bus. */
	if (c->ecam_base & ((((uint64_t)c->ecam_bus_end + 1) << 20) - 1))
		return -EINVAL;
	if (c->mem32_max < c->mem32_min || c->mem64_max < c->mem64_min)
		return -EINVAL;
	return 0;
}

static size_t acpi_align(size_t n)
{
	return (n + ACPI_ALIGN - 1) & ~(size_t)(ACPI_ALIGN - 1);
}

/* Offsets of every table in the buffer: RSDP first (16-byte aligned for the legacy scan,
 * §5.2.5.1), then XSDT, FADT, MADT, MCFG, DSDT, VIOT. */
static size_t acpi_layout(struct acpi_blob *b, const struct acpi_config *c, size_t dsdt_len)
{
	size_t sizes[ACPI_NTABLES] = {
		[ACPI_RSDP] = sizeof(struct acpi_rsdp),
		[ACPI_XSDT] = sizeof(struct acpi_sdt) + (c->viot ? 4 : 3) * sizeof(uint64_t),
		[ACPI_FADT] = sizeof(struct acpi_fadt),
		[ACPI_MADT] = acpi_madt_size(c->ncpus),
		[ACPI_MCFG] = sizeof(struct acpi_mcfg),
		[ACPI_DSDT] = sizeof(struct acpi_sdt) + dsdt_len,
		[ACPI_VIOT] = c->viot ? VIOT_SIZE : 0,
	};
	size_t off = 0;

	for (int i = 0; i < ACPI_NTABLES; i++) {
		b->off[i] = off;
		b->size[i] = sizes[i];
		off = acpi_align(off + sizes[i]);
	}
	return off;
}

/* XSDT (§5.2.8): 64-bit pointers to FADT, MADT, MCFG and the VIOT if any (the DSDT hangs off
 * the FADT). */
static void acpi_build_xsdt(const struct acpi_config *c, const struct acpi_blob *b)
{
	uint8_t *p = b->buf + b->off[ACPI_XSDT];
	uint64_t e[4] = { c->base + b->off[ACPI_FADT], c->base + b->off[ACPI_MADT],
			  c->base + b->off[ACPI_MCFG], c->base + b->off[ACPI_VIOT] };

	acpi_header((struct acpi_sdt *)p, "XSDT", b->size[ACPI_XSDT], 1);
	memcpy(p + sizeof(struct acpi_sdt), e, (c->viot ? 4 : 3) * sizeof(uint64_t));
	acpi_finish(p);
}

/* RSDP (§5.2.5.3): revision 2 with the XSDT only; RSDT 0, which a revision 2 RSDP allows
 * an OS to ignore (§5.2.7: "platforms provide an XSDT", OSPM uses it when present). */
static void acpi_build_rsdp(const struct acpi_config *c, const struct acpi_blob *b)
{
	struct acpi_rsdp r = { .sig = { 'R', 'S', 'D', ' ', 'P', 'T', 'R', ' ' },
			       .revision = 2, .length = sizeof(r) };

	memcpy(r.oem_id, ACPI_OEM_ID, 6);
	r.xsdt_addr = c->base + b->off[ACPI_XSDT];
	r.checksum = (uint8_t)-acpi_sum(&r, 20);
	r.ext_checksum = (uint8_t)-acpi_sum(&r, sizeof(r));
	memcpy(b->buf + b->off[ACPI_RSDP], &r, sizeof(r));
}

int acpi_build(const struct acpi_config *c, struct acpi_blob *b)
{
	struct aml dsdt;
	size_t len;
	uint8_t *p;
	int r;

	memset(b, 0, sizeof(*b));
	r = acpi_validate(c);
	if (r)
		return r;
	aml_init(&dsdt);
	r = acpi_build_dsdt_aml(c, &dsdt);
	if (r)
		goto out;
	len = acpi_layout(b, c, dsdt.len);
	r = -E2BIG;
	if (len > ACPI_MAX_SIZE)
		goto out;
	r = -ENOMEM;
	b->buf = calloc(1, len);
	if (!b->buf)
		goto out;
	b->len = len;
	p = b->buf + b->off[ACPI_DSDT];
	/* Revision 2: integers are 64 bits wide (§5.2.11.1), the QWord window needs that. */
	acpi_header((struct acpi_sdt *)p, "DSDT", b->size[ACPI_DSDT], 2);
	memcpy(p + sizeof(struct acpi_sdt), dsdt.buf, dsdt.len);
	acpi_finish(p);
	acpi_build_fadt(c, b->buf + b->off[ACPI_FADT], c->base + b->off[ACPI_DSDT]);
	acpi_build_madt(c, b->buf + b->off[ACPI_MADT]);
	acpi_build_mcfg(c, b->buf + b->off[ACPI_MCFG]);
	if (c->viot)
		acpi_build_viot(c, b->buf + b->off[ACPI_VIOT]);
	acpi_build_xsdt(c, b);
	acpi_build_rsdp(c, b);
	r = 0;
out:
	aml_free(&dsdt);
	return r;
}

void acpi_blob_free(struct acpi_blob *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}
