/* ioapic.c - the Intel 82093AA I/O APIC (datasheet order 290566): IOREGSEL/IOWIN indirect
 * registers and 24 redirection entries, each translated into an MSI message (SDM vol.3 §11.11). */
#include <stdlib.h>
#include <string.h>
#include "legacy/ioapic.h"

/* Memory-mapped registers (datasheet §3.0, Table 1) */
#define IOAPIC_IOREGSEL	0x00
#define IOAPIC_IOWIN	0x10

/* Indirect registers (datasheet Table 2) */
#define IOAPIC_REG_ID		0x00
#define IOAPIC_REG_VER		0x01
#define IOAPIC_REG_ARB		0x02
#define IOAPIC_REG_REDTBL	0x10	/* 0x10 + 2*pin: bits 31:0, +1: bits 63:32 */

/* IOAPICVER (§3.2.2): version 0x11, maximum redirection entry in bits 23:16. QEMU's 0x20
 * advertises the EOI register of later I/O APICs, which the 82093AA does not have. */
#define IOAPIC_VERSION	0x11

/* Redirection table entry (§3.2.4) */
#define RTE_VECTOR	0xFFULL
#define RTE_DELMODE_SHIFT 8
#define RTE_DESTMODE	(1ULL << 11)	/* 1: logical */
#define RTE_DELIVS	(1ULL << 12)	/* read-only: send pending */
#define RTE_POLARITY	(1ULL << 13)	/* 1: active low */
#define RTE_REMOTE_IRR	(1ULL << 14)	/* read-only */
#define RTE_TRIGGER	(1ULL << 15)	/* 1: level */
#define RTE_MASK	(1ULL << 16)
#define RTE_DEST_SHIFT	56
#define RTE_WRITABLE	(0xFF00000000000000ULL | RTE_MASK | RTE_TRIGGER | RTE_POLARITY | \
			 RTE_DESTMODE | 0x7FFULL)

enum {
	DM_FIXED = 0, DM_LOWEST = 1, DM_SMI = 2, DM_NMI = 4, DM_INIT = 5, DM_EXTINT = 7,
};

#define MSI_ADDR_BASE		0xFEE00000ULL
#define MSI_ADDR_DEST_SHIFT	12
#define MSI_ADDR_DM_LOGICAL	(1ULL << 2)
#define MSI_DATA_DELMODE_SHIFT	8
#define MSI_DATA_LEVEL_ASSERT	(1u << 14)
#define MSI_DATA_TRIGGER_LEVEL	(1u << 15)

struct ioapic {
	struct ioapic_ops ops;
	uint8_t reset_id;
	uint8_t id, arb;	/* 4-bit IDs, bits 27:24 of their registers */
	uint8_t regsel;
	uint32_t input;		/* line level of each pin, 1 = asserted */
	uint64_t rte[IOAPIC_PINS];
	void (*eoi_cb)(void *opaque, unsigned pin);
	void *eoi_opaque;
};

bool ioapic_pin_masked(const struct ioapic *io, unsigned pin)
{
	return pin >= IOAPIC_PINS || (io->rte[pin] & RTE_MASK);
}

static unsigned rte_delmode(uint64_t rte)
{
	return (rte >> RTE_DELMODE_SHIFT) & 7;
}

/* Delivery modes 011 and 110 are reserved (§3.2.4): such an entry delivers nothing. */
static bool rte_reserved(uint64_t rte)
{
	unsigned dm = rte_delmode(rte);

	return dm == 3 || dm == 6;
}

/* SMI, NMI, INIT and ExtINT are "always treated as edge triggered" (§3.2.4): only fixed and
 * lowest-priority entries can be level-triggered and use remote IRR. */
static bool rte_level(uint64_t rte)
{
	unsigned dm = rte_delmode(rte);

	return (rte & RTE_TRIGGER) && (dm == DM_FIXED || dm == DM_LOWEST);
}

static bool rte_blocked(uint64_t rte)
{
	return (rte & RTE_MASK) || rte_reserved(rte);
}

/*
 * The MSI message equivalent to an entry (SDM vol.3 §11.11.1-2): destination in address bits
 * 19:12, destination mode in bit 2; vector, delivery mode (same encoding as the entry), and
 * for level-triggered entries trigger mode (bit 15) with level = assert (bit 14) in the data.
 * All 8 destination bits are passed (xAPIC IDs are 8 bits), not only the 4 bits 59:56 the
 * 82093AA decodes in physical mode on the serial APIC bus.
 */
static void rte_msg(uint64_t rte, struct msi_msg *msg)
{
	msg->addr = MSI_ADDR_BASE | (rte >> RTE_DEST_SHIFT) << MSI_ADDR_DEST_SHIFT;
	if (rte & RTE_DESTMODE)
		msg->addr |= MSI_ADDR_DM_LOGICAL;
	msg->data = (rte & RTE_VECTOR) | rte_delmode(rte) << MSI_DATA_DELMODE_SHIFT;
	if (rte_level(rte))
		msg->data |= MSI_DATA_TRIGGER_LEVEL | MSI_DATA_LEVEL_ASSERT;
}

static void ioapic_route(struct ioapic *io, unsigned pin)
{
	struct msi_msg msg;

	if (!io->ops.route)
		return;
	rte_msg(io->rte[pin], &msg);
	io->ops.route(io->ops.opaque, pin, &msg, rte_blocked(io->rte[pin]));
}

static void ioapic_fire(struct ioapic *io, unsigned pin)
{
	if (io->ops.fire)
		io->ops.fire(io->ops.opaque, pin);
}

/* A level-triggered entry delivers while its line is asserted, it is unmasked and remote IRR
 * is clear; remote IRR is then set until the local APIC's EOI (§3.2.4 bit 14). */
static void ioapic_service(struct ioapic *io, unsigned pin)
{
	uint64_t *rte = &io->rte[pin];

	if (!(io->input & (1u << pin)) || !rte_level(*rte) || rte_blocked(*rte))
		return;
	if (*rte & RTE_REMOTE_IRR)
		return;
	*rte |= RTE_REMOTE_IRR;
	ioapic_fire(io, pin);
}

void ioapic_set_irq(struct ioapic *io, unsigned pin, int level)
{
	uint32_t bit;
	bool was;

	if (pin >= IOAPIC_PINS)
		return;
	bit = 1u << pin;
	was = io->input & bit;
	io->input = level ? io->input | bit : io->input & ~bit;
	if (rte_level(io->rte[pin])) {
		ioapic_service(io, pin);
		return;
	}
	/* Edge: a rising edge is delivered if unmasked, lost if masked (§3.2.4 bit 16). */
	if (level && !was && !rte_blocked(io->rte[pin]))
		ioapic_fire(io, pin);
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		uint64_t *rte = &io->rte[pin];

		if ((*rte & RTE_VECTOR) != vector || !rte_level(*rte))
			continue;
		/* the line's owner may lower it now, so it is not delivered again below */
		if (io->eoi_cb)
			io->eoi_cb(io->eoi_opaque, pin);
		if (!(*rte & RTE_REMOTE_IRR))
			continue;
		*rte &= ~RTE_REMOTE_IRR;
		ioapic_service(io, pin);
	}
}

void ioapic_set_eoi_notifier(struct ioapic *io, void (*eoi)(void *opaque, unsigned pin),
			     void *opaque)
{
	io->eoi_cb = eoi;
	io->eoi_opaque = opaque;
}

static void ioapic_write_rte(struct ioapic *io, unsigned pin, bool high, uint32_t v)
{
	uint64_t old = io->rte[pin], rte;

	if (high)
		rte = (old & 0xFFFFFFFFULL) | (uint64_t)v << 32;
	else
		rte = (old & ~0xFFFFFFFFULL) | v;
	rte = (rte & RTE_WRITABLE) | (old & (RTE_REMOTE_IRR | RTE_DELIVS));
	/* Remote IRR is undefined for edge entries; drop it so a later switch back to level
	 * does not start out blocked. */
	if (!rte_level(rte))
		rte &= ~RTE_REMOTE_IRR;
	io->rte[pin] = rte;
	if ((rte ^ old) & RTE_WRITABLE)
		ioapic_route(io, pin);
	/* An unmasked (or newly level) entry whose line is still asserted delivers now. */
	ioapic_service(io, pin);
}

static uint32_t ioapic_read_reg(const struct ioapic *io)
{
	unsigned r = io->regsel;

	switch (r) {
	case IOAPIC_REG_ID:
		return (uint32_t)io->id << 24;
	case IOAPIC_REG_VER:
		return IOAPIC_VERSION | (IOAPIC_PINS - 1) << 16;
	case IOAPIC_REG_ARB:
		return (uint32_t)io->arb << 24;
	}
	if (r < IOAPIC_REG_REDTBL || r >= IOAPIC_REG_REDTBL + 2 * IOAPIC_PINS)
		return 0;
	r -= IOAPIC_REG_REDTBL;
	return r & 1 ? io->rte[r / 2] >> 32 : (uint32_t)io->rte[r / 2];
}

static void ioapic_write_reg(struct ioapic *io, uint32_t v)
{
	unsigned r = io->regsel;

	if (r == IOAPIC_REG_ID) {
		/* §3.2.3: the arbitration ID is loaded when the ID register is written */
		io->id = (v >> 24) & 0xF;
		io->arb = io->id;
		return;
	}
	if (r < IOAPIC_REG_REDTBL || r >= IOAPIC_REG_REDTBL + 2 * IOAPIC_PINS)
		return;	/* version, arbitration: read-only; others do not exist */
	r -= IOAPIC_REG_REDTBL;
	ioapic_write_rte(io, r / 2, r & 1, v);
}

/*
 * Only aligned 32-bit accesses to IOREGSEL (0x00) and IOWIN (0x10) are defined (§3.0: "all
 * APIC registers are accessed using 32 bit loads and stores"). Anything else in the page is
 * ignored on write and reads as 0.
 */
void ioapic_mmio(void *opaque, uint64_t off, void *data, unsigned len, bool is_write)
{
	struct ioapic *io = opaque;
	uint32_t v = 0;

	if (len != 4 || (off != IOAPIC_IOREGSEL && off != IOAPIC_IOWIN)) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	if (is_write) {
		memcpy(&v, data, 4);
		if (off == IOAPIC_IOREGSEL)
			io->regsel = v & 0xFF;
		else
			ioapic_write_reg(io, v);
		return;
	}
	v = off == IOAPIC_IOREGSEL ? io->regsel : ioapic_read_reg(io);
	memcpy(data, &v, 4);
}

/* Every entry masked (§3.2.4 bit 16: "set to 1 on reset"), the rest zero; the lines keep
 * their levels. Every pin's (masked) route is announced. */
void ioapic_reset(struct ioapic *io)
{
	io->id = io->reset_id;
	io->arb = io->reset_id;
	io->regsel = 0;
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		io->rte[pin] = RTE_MASK;
		ioapic_route(io, pin);
	}
}

struct ioapic *ioapic_new(const struct ioapic_ops *ops, uint8_t id)
{
	struct ioapic *io = calloc(1, sizeof(*io));

	if (!io)
		return NULL;
	if (ops)
		io->ops = *ops;
	io->reset_id = id & 0xF;
	ioapic_reset(io);
	return io;
}

void ioapic_free(struct ioapic *io)
{
	free(io);
}

void ioapic_dump(const struct ioapic *io, FILE *f)
{
	fprintf(f, "vfvm: IOAPIC: id %u, pins asserted %#x\n", io->id, io->input);
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		uint64_t r = io->rte[pin];
		bool asserted = io->input & (1u << pin);

		if ((r & RTE_MASK) && !asserted)
			continue;
		fprintf(f, "vfvm: IOAPIC pin %u: vector 0x%02x %s%s%s dest %#x%s\n", pin,
			(unsigned)(r & 0xff), r & RTE_TRIGGER ? "level" : "edge",
			r & RTE_REMOTE_IRR ? " remote-IRR" : "", r & RTE_MASK ? " masked" : "",
			(unsigned)(r >> 56), asserted ? ", line high" : "");
	}
}
