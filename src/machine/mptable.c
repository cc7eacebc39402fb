/* mptable.c - writes the Intel MultiProcessor Specification 1.4 floating pointer and base
 * configuration table (MPS 1.4 chapter 4) at BOOT_MPTABLE_ADDR in the BIOS area. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "machine/mptable.h"

/* MPS 1.4 §4.1, Figure 4-2: the MP floating pointer structure, 16 bytes. */
struct mpf {
	char sig[4];		/* "_MP_" */
	uint32_t physptr;	/* the configuration table */
	uint8_t length;		/* in 16-byte units: 1 */
	uint8_t spec_rev;	/* 4: version 1.4 */
	uint8_t checksum;
	uint8_t feature[5];	/* [0] = 0: table present; [1] bit 7 IMCR: 0 = virtual wire */
} __attribute__((packed));

/* §4.2, Figure 4-4: the configuration table header, 44 bytes. */
struct mpc_header {
	char sig[4];		/* "PCMP" */
	uint16_t length;	/* base table, header included */
	uint8_t spec_rev;
	uint8_t checksum;
	char oem[8];
	char product[12];
	uint32_t oem_ptr;
	uint16_t oem_size;
	uint16_t count;		/* base table entries */
	uint32_t lapic;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __attribute__((packed));

/* §4.3.1, Figure 4-5 (20 bytes). */
struct mpc_cpu {
	uint8_t type;		/* 0 */
	uint8_t apic_id;
	uint8_t apic_ver;
	uint8_t flags;		/* bit 0 EN, bit 1 BP */
	uint32_t signature;	/* CPUID.1:EAX stepping/model/family */
	uint32_t features;	/* CPUID.1:EDX */
	uint32_t reserved[2];
} __attribute__((packed));

/* §4.3.2, Figure 4-6 (8 bytes). */
struct mpc_bus {
	uint8_t type;		/* 1 */
	uint8_t id;
	char name[6];
} __attribute__((packed));

/* §4.3.3, Figure 4-7 (8 bytes). */
struct mpc_ioapic {
	uint8_t type;		/* 2 */
	uint8_t id;
	uint8_t ver;
	uint8_t flags;		/* bit 0 EN */
	uint32_t addr;
} __attribute__((packed));

/* §4.3.4 and §4.3.5, Figures 4-8 and 4-9: I/O and local interrupt assignment (8 bytes). */
struct mpc_intsrc {
	uint8_t type;		/* 3 I/O, 4 local */
	uint8_t irqtype;	/* 0 INT, 1 NMI, 2 SMI, 3 ExtINT */
	uint16_t flags;		/* bits 1:0 polarity, 3:2 trigger mode; 0 = conforms to the bus */
	uint8_t src_bus;
	uint8_t src_irq;
	uint8_t dst_id;		/* I/O APIC id, or local APIC id (0xFF: all) */
	uint8_t dst_pin;	/* INTIN, or LINTIN */
} __attribute__((packed));

_Static_assert(sizeof(struct mpf) == 16, "MPS floating pointer is 16 bytes");
_Static_assert(sizeof(struct mpc_header) == 44, "MPS table header is 44 bytes");
_Static_assert(sizeof(struct mpc_cpu) == 20, "MPS processor entry is 20 bytes");
_Static_assert(sizeof(struct mpc_bus) == 8 && sizeof(struct mpc_ioapic) == 8 &&
	       sizeof(struct mpc_intsrc) == 8, "MPS entries are 8 bytes");

enum { MP_CPU, MP_BUS, MP_IOAPIC, MP_INTSRC, MP_LINTSRC };
enum { MP_INT, MP_NMI, MP_SMI, MP_EXTINT };

#define MP_BUS_PCI	0
#define MP_BUS_ISA	1
#define MP_IRQ_CONFORM	0x0
#define MP_IRQ_PCI	0xF	/* polarity 11 active low, trigger 11 level (Table 4-10) */
#define MP_LAPIC_VER	0x14	/* integrated local APIC (xAPIC) */
#define MP_IOAPIC_VER	0x11	/* 82093AA */
/* A family 6 CPU (model 15, stepping 1) and its CPUID.1:EDX: FPU VME DE PSE TSC MSR PAE MCE
 * CX8 APIC SEP MTRR PGE MCA CMOV PAT PSE36 CLFSH MMX FXSR SSE SSE2. Linux only prints it. */
#define MP_CPU_SIG	0x000006F1
#define MP_CPU_FEATURES	0x078BFBFF
#define MP_ISA_IRQS	16
#define MP_SPACE	(0x100000 - BOOT_MPTABLE_ADDR)	/* up to the end of the BIOS area */

static uint8_t mp_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return (uint8_t)-sum;
}

static size_t mp_table_size(const struct mptable_config *cfg)
{
	return sizeof(struct mpc_header) + cfg->ncpus * sizeof(struct mpc_cpu) +
	       2 * sizeof(struct mpc_bus) + sizeof(struct mpc_ioapic) +
	       (MP_ISA_IRQS - 1 + cfg->npci_intx + 2) * sizeof(struct mpc_intsrc);
}

static int mp_validate(const struct mptable_config *cfg)
{
	if (cfg->ncpus == 0 || cfg->ncpus > MPTABLE_MAX_CPUS)
		return -EINVAL;
	/* The 82093AA's ID register has 4 bits (§3.2.1). APIC IDs share one name space on
	 * the APIC bus (MPS §3.6.1), so below 16 vCPUs the ID must not be a LAPIC's. */
	if (cfg->ioapic_id > 0xF || (cfg->ncpus < 16 && cfg->ioapic_id < cfg->ncpus))
		return -EINVAL;
	if (cfg->npci_intx > MPTABLE_MAX_PCI_INTX)
		return -E2BIG;
	for (unsigned i = 0; i < cfg->npci_intx; i++) {
		const struct mptable_pci_intx *x = &cfg->pci_intx[i];

		if (x->slot > 31 || x->pin > 3 || x->ioapic_pin < 16 || x->ioapic_pin > 23)
			return -EINVAL;
	}
	return 0;
}

static uint8_t *mp_put_intsrc(uint8_t *p, uint8_t type, uint8_t irqtype, uint16_t flags,
			      uint8_t bus, uint8_t irq, uint8_t dst, uint8_t pin)
{
	struct mpc_intsrc e = { type, irqtype, flags, bus, irq, dst, pin };

	memcpy(p, &e, sizeof(e));
	return p + sizeof(e);
}

/*
 * With 16 or more vCPUs every 4-bit ID is a LAPIC's: no collision-free ID exists. The
 * collision only matters on the serial 3-wire APIC bus; xAPIC CPUs (all KVM offers) send
 * interrupts as system-bus messages, and Linux skips the I/O APIC ID check for them
 * (io_apic.c, setup_ioapic_ids_from_mpc: "no meaning without the serial APIC bus"; on
 * x86_64 it wants IDs unique among I/O APICs only). 0 then, as QEMU's MADT always gives.
 */
uint8_t mptable_ioapic_id(unsigned ncpus)
{
	return ncpus <= 0xF ? (uint8_t)ncpus : 0;
}

static uint8_t *mp_put_cpus(uint8_t *p, unsigned ncpus)
{
	for (unsigned i = 0; i < ncpus; i++) {
		struct mpc_cpu e = {
			.type = MP_CPU, .apic_id = (uint8_t)i, .apic_ver = MP_LAPIC_VER,
			.flags = 1 | (i == 0 ? 2 : 0),
			.signature = MP_CPU_SIG, .features = MP_CPU_FEATURES,
		};

		memcpy(p, &e, sizeof(e));
		p += sizeof(e);
	}
	return p;
}

static uint8_t *mp_put_buses_ioapic(uint8_t *p, uint8_t ioapic_id)
{
	struct mpc_bus pci = { MP_BUS, MP_BUS_PCI, "PCI   " };
	struct mpc_bus isa = { MP_BUS, MP_BUS_ISA, "ISA   " };
	struct mpc_ioapic io = { MP_IOAPIC, ioapic_id, MP_IOAPIC_VER, 1,
				 (uint32_t)MEM_IOAPIC_BASE };

	memcpy(p, &pci, sizeof(pci));
	p += sizeof(pci);
	memcpy(p, &isa, sizeof(isa));
	p += sizeof(isa);
	memcpy(p, &io, sizeof(io));
	return p + sizeof(io);
}

/*
 * I/O interrupt assignments. ISA IRQ 0 (the PIT) is wired to INTIN2, the override Linux
 * looks for; IRQ 2 is the 8259 cascade and has no entry; every other ISA IRQ n goes to
 * INTIN n. All ISA entries conform to the ISA bus (edge, active high: MPS §4.3.4 and
 * Table 4-10); IRQ 9 included, since this machine has no ACPI SCI to make it level.
 * PCI INTx: source IRQ = slot << 2 | pin (MPS Appendix D.3), active low, level.
 */
static uint8_t *mp_put_irqs(uint8_t *p, const struct mptable_config *cfg)
{
	for (unsigned irq = 0; irq < MP_ISA_IRQS; irq++) {
		if (irq == 2)
			continue;
		p = mp_put_intsrc(p, MP_INTSRC, MP_INT, MP_IRQ_CONFORM, MP_BUS_ISA, (uint8_t)irq,
				  cfg->ioapic_id, irq == 0 ? 2 : (uint8_t)irq);
	}
	for (unsigned i = 0; i < cfg->npci_intx; i++) {
		const struct mptable_pci_intx *x = &cfg->pci_intx[i];

		p = mp_put_intsrc(p, MP_INTSRC, MP_INT, MP_IRQ_PCI, MP_BUS_PCI,
				  (uint8_t)(x->slot << 2 | x->pin), cfg->ioapic_id, x->ioapic_pin);
	}
	/* Virtual wire: the 8259's INTR on every LINT0 (ExtINT), NMI on every LINT1. */
	p = mp_put_intsrc(p, MP_LINTSRC, MP_EXTINT, MP_IRQ_CONFORM, MP_BUS_ISA, 0, 0xFF, 0);
	return mp_put_intsrc(p, MP_LINTSRC, MP_NMI, MP_IRQ_CONFORM, MP_BUS_ISA, 0, 0xFF, 1);
}

int mptable_write(const struct guest_mem *mem, const struct mptable_config *cfg)
{
	struct mpf mpf = { .sig = "_MP_", .length = 1, .spec_rev = 4 };
	struct mpc_header h = {
		.sig = "PCMP", .spec_rev = 4, .oem = "VFVM    ", .product = "VFVM PC     ",
		.lapic = (uint32_t)MEM_LAPIC_BASE,
	};
	size_t len;
	uint8_t *buf, *p;
	int r;

	r = mp_validate(cfg);
	if (r)
		return r;
	len = mp_table_size(cfg);
	if (sizeof(mpf) + len > MP_SPACE || len > UINT16_MAX)
		return -E2BIG;
	buf = calloc(1, sizeof(mpf) + len);
	if (!buf)
		return -ENOMEM;

	p = buf + sizeof(mpf) + sizeof(h);
	p = mp_put_cpus(p, cfg->ncpus);
	p = mp_put_buses_ioapic(p, cfg->ioapic_id);
	p = mp_put_irqs(p, cfg);

	/* No extended table: it would only restate bus 0's address ranges, which Linux
	 * takes from the PCI host bridge instead (ext_length 0, checksum 0). */
	h.length = (uint16_t)len;
	h.count = (uint16_t)(cfg->ncpus + 3 + MP_ISA_IRQS - 1 + cfg->npci_intx + 2);
	memcpy(buf + sizeof(mpf), &h, sizeof(h));
	buf[sizeof(mpf) + offsetof(struct mpc_header, checksum)] =
		mp_checksum(buf + sizeof(mpf), len);

	/* The floating pointer at 0xF0000 (in the BIOS ROM area Linux scans, MPS §4),
	 * the table right behind it. */
	mpf.physptr = (uint32_t)(BOOT_MPTABLE_ADDR + sizeof(mpf));
	mpf.checksum = mp_checksum(&mpf, sizeof(mpf));
	memcpy(buf, &mpf, sizeof(mpf));

	r = gpa_write(mem, BOOT_MPTABLE_ADDR, buf, sizeof(mpf) + len);
	free(buf);
	return r;
}
