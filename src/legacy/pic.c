/* pic.c - the cascaded Intel 8259A pair (8259A datasheet, order 231468) and the PIIX/ICH
 * edge/level control registers (ELCR, PIIX3 datasheet §2.4.11, ICH9 §13.5.3.x). */
#include <stdlib.h>
#include <string.h>
#include "core/bus.h"
#include "legacy/pic.h"

#define PIC_CASCADE_IR	2		/* the slave's INT drives master IR2 on every PC */

/* ICW1 (A0=0, D4=1) */
#define ICW1_IC4	0x01		/* ICW4 follows */
#define ICW1_SNGL	0x02		/* single 8259A, no ICW3 */
#define ICW1_SEL	0x10
/* ICW4 */
#define ICW4_UPM	0x01		/* 8086/8088 mode */
#define ICW4_AEOI	0x02
#define ICW4_SFNM	0x10		/* special fully nested mode (master only) */
/* OCW3 (A0=0, D4=0, D3=1) */
#define OCW3_SEL	0x08
#define OCW3_RIS	0x01
#define OCW3_RR		0x02
#define OCW3_P		0x04
#define OCW3_SMM	0x20
#define OCW3_ESMM	0x40

/* Forced-edge inputs: IRQ0 (PIT), 1 (keyboard), 2 (cascade), 8 (RTC), 13 (FPU). The PIIX
 * datasheet marks these ELCR bits reserved, read 0; the ICH datasheets the same. */
#define ELCR1_MASK	0xF8
#define ELCR2_MASK	0xDE

enum { INIT_DONE, INIT_ICW2, INIT_ICW3, INIT_ICW4 };

struct pic_chip {
	uint8_t irr, isr, imr;
	uint8_t input;		/* current level of the IR pins (edge detection, level IRR) */
	uint8_t elcr, elcr_mask;
	uint8_t icw1, icw3, icw4;
	uint8_t vbase;		/* ICW2 T7-T3 */
	uint8_t lowest;		/* the IR with the lowest priority; 7 after ICW1 */
	uint8_t init;		/* which ICW the next A0=1 write is */
	bool rotate_aeoi, read_isr, poll, smm;
	bool master;
};

struct pic {
	struct pic_chip c[2];
	bool int_level;		/* master INT output */
	bool int_seen;		/* INT has been high since the last INTA cycle */
	void (*int_out)(void *opaque, int level);
	void *opaque;
};

/* The IR at priority @prio (0 highest): the one after the lowest-priority IR is highest. */
static unsigned chip_irq_at(const struct pic_chip *c, unsigned prio)
{
	return (c->lowest + 1 + prio) & 7;
}

/* IRs that have a slave behind them: only meaningful on a master in cascade mode. */
static uint8_t chip_cascades(const struct pic_chip *c)
{
	if (!c->master || (c->icw1 & ICW1_SNGL))
		return 0;
	return c->icw3;
}

/*
 * The priority resolver: the highest-priority unmasked request that the in-service levels
 * let through, or -1.
 * - Fully nested mode: an in-service level blocks itself and every lower level.
 * - Special fully nested mode (ICW4 SFNM, master): a cascade IR in service does not block a
 *   new request on that same IR, so a higher-priority slave input gets through (datasheet
 *   "Special Fully Nested Mode").
 * - Special mask mode: "enables interrupts from all other levels (lower as well as higher)
 *   that are not masked" - in-service bits block only their own level.
 */
static int chip_resolve(const struct pic_chip *c)
{
	uint8_t req = c->irr & ~c->imr;
	uint8_t sfnm = (c->icw4 & ICW4_SFNM) ? chip_cascades(c) : 0;

	if (!req)
		return -1;
	for (unsigned prio = 0; prio < 8; prio++) {
		unsigned irq = chip_irq_at(c, prio);
		uint8_t bit = 1u << irq;

		if (c->smm) {
			if ((req & bit) && !(c->isr & bit))
				return irq;
			continue;
		}
		if (c->isr & bit)
			return (sfnm & req & bit) ? (int)irq : -1;
		if (req & bit)
			return irq;
	}
	return -1;
}

/* The in-service level a non-specific EOI clears: the highest-priority one; in special mask
 * mode an IS bit masked in the IMR is skipped (datasheet "Special Mask Mode"). */
static int chip_eoi_target(const struct pic_chip *c)
{
	uint8_t isr = c->smm ? c->isr & ~c->imr : c->isr;

	for (unsigned prio = 0; prio < 8; prio++) {
		unsigned irq = chip_irq_at(c, prio);

		if (isr & (1u << irq))
			return irq;
	}
	return -1;
}

/* First INTA pulse: set the IS bit and reset the IRR bit. A level-sensitive IRR bit follows
 * its input instead; the IS bit keeps it from re-interrupting until the EOI. */
static void chip_ack(struct pic_chip *c, unsigned irq)
{
	uint8_t bit = 1u << irq;

	if (!(c->elcr & bit))
		c->irr &= ~bit;
	c->isr |= bit;
}

/* End of the last INTA pulse: automatic EOI, with rotation if OCW2 asked for it. */
static void chip_aeoi(struct pic_chip *c, unsigned irq)
{
	if (!(c->icw4 & ICW4_AEOI))
		return;
	c->isr &= ~(1u << irq);
	if (c->rotate_aeoi)
		c->lowest = irq;
}

/* An IR pin changes level. Edge: a rising edge latches IRR. Level: IRR is the input. */
static void chip_set_input(struct pic_chip *c, unsigned irq, bool level)
{
	uint8_t bit = 1u << irq;

	if (c->elcr & bit)
		c->irr = level ? c->irr | bit : c->irr & ~bit;
	else if (level && !(c->input & bit))
		c->irr |= bit;
	c->input = level ? c->input | bit : c->input & ~bit;
}

/* Propagate the slave's INT to master IR2 and the master's INT to the callback. */
static void pic_update(struct pic *p)
{
	struct pic_chip *m = &p->c[0];
	bool level;

	chip_set_input(m, PIC_CASCADE_IR, chip_resolve(&p->c[1]) >= 0);
	level = chip_resolve(m) >= 0;
	if (level)
		p->int_seen = true;
	if (level == p->int_level)
		return;
	p->int_level = level;
	if (p->int_out)
		p->int_out(p->opaque, level);
}

/*
 * ICW1 (datasheet "Initialization Command Words"): edge sense reset (an edge input must make
 * a new low-to-high transition), IMR cleared, IR7 lowest priority, special mask mode off,
 * status read set to IRR, ICW4 functions zero if IC4=0. The datasheet is silent on ISR and
 * the poll/rotate-in-AEOI flags; they are cleared so a re-initialised chip (kexec) has no
 * stale in-service level. LTIM (D3) is ignored: on PIIX/ICH the ELCR replaces it.
 */
static void chip_icw1(struct pic_chip *c, uint8_t v)
{
	c->icw1 = v;
	c->init = INIT_ICW2;
	c->irr = c->input & c->elcr;
	c->isr = 0;
	c->imr = 0;
	c->lowest = 7;
	c->smm = false;
	c->read_isr = false;
	c->poll = false;
	c->rotate_aeoi = false;
	if (!(v & ICW1_IC4))
		c->icw4 = 0;
}

/* ICW2-ICW4 in sequence: ICW3 only in cascade mode, ICW4 only if IC4. */
static void chip_icw(struct pic_chip *c, uint8_t v)
{
	switch (c->init) {
	case INIT_ICW2:
		/* 8086 mode: T7-T3 of the vector; A10-A8 of MCS-80 mode are not modelled */
		c->vbase = v & 0xF8;
		if (!(c->icw1 & ICW1_SNGL))
			c->init = INIT_ICW3;
		else
			c->init = (c->icw1 & ICW1_IC4) ? INIT_ICW4 : INIT_DONE;
		break;
	case INIT_ICW3:
		c->icw3 = c->master ? v : v & 7;
		c->init = (c->icw1 & ICW1_IC4) ? INIT_ICW4 : INIT_DONE;
		break;
	case INIT_ICW4:
		c->icw4 = v & 0x1F;
		c->init = INIT_DONE;
		break;
	}
}

/* OCW2: R, SL, EOI in D7-D5, the level L2-L0 in D2-D0 (datasheet Figure 8). */
static void chip_ocw2(struct pic_chip *c, uint8_t v)
{
	unsigned level = v & 7;
	int irq;

	switch (v >> 5) {
	case 0:	/* rotate in automatic EOI mode (clear) */
		c->rotate_aeoi = false;
		break;
	case 4:	/* rotate in automatic EOI mode (set) */
		c->rotate_aeoi = true;
		break;
	case 1:	/* non-specific EOI */
	case 5:	/* rotate on non-specific EOI */
		irq = chip_eoi_target(c);
		if (irq < 0)
			break;
		c->isr &= ~(1u << irq);
		if (v & 0x80)
			c->lowest = irq;
		break;
	case 3:	/* specific EOI */
		c->isr &= ~(1u << level);
		break;
	case 7:	/* rotate on specific EOI */
		c->isr &= ~(1u << level);
		c->lowest = level;
		break;
	case 6:	/* set priority: L2-L0 becomes the lowest */
		c->lowest = level;
		break;
	default: /* 2: no operation */
		break;
	}
}

static void chip_ocw3(struct pic_chip *c, uint8_t v)
{
	if (v & OCW3_P)
		c->poll = true;
	if (v & OCW3_RR)
		c->read_isr = v & OCW3_RIS;
	if (v & OCW3_ESMM)
		c->smm = v & OCW3_SMM;
}

static void chip_write(struct pic_chip *c, unsigned a0, uint8_t v)
{
	if (a0) {
		if (c->init != INIT_DONE)
			chip_icw(c, v);
		else
			c->imr = v;	/* OCW1 */
		return;
	}
	if (v & ICW1_SEL)
		chip_icw1(c, v);
	else if (v & OCW3_SEL)
		chip_ocw3(c, v);
	else
		chip_ocw2(c, v);
}

/*
 * Poll command: the next RD is an interrupt acknowledge for this chip alone; it returns
 * 0x80 | the highest-priority level requesting service, or 0 if none (datasheet "The Poll
 * Command"). Like an INTA it sets the IS bit and honours automatic EOI.
 */
static uint8_t chip_poll(struct pic_chip *c)
{
	int irq = chip_resolve(c);

	if (irq < 0)
		return 0;
	chip_ack(c, irq);
	chip_aeoi(c, irq);
	return 0x80 | irq;
}

static uint8_t chip_read(struct pic_chip *c, unsigned a0)
{
	if (c->poll) {
		c->poll = false;
		return chip_poll(c);
	}
	if (a0)
		return c->imr;
	return c->read_isr ? c->isr : c->irr;
}

static uint8_t chip_port_read(void *ctx, unsigned a0)
{
	return chip_read(ctx, a0);
}

static void chip_port_write(void *ctx, unsigned a0, uint8_t v)
{
	chip_write(ctx, a0, v);
}

/* Byte-wise dispatch: a 16-bit access to the base port is A0=0 then A0=1. */
static void chip_io(struct pic *p, struct pic_chip *c, uint64_t off, void *data, unsigned len,
		    bool is_write)
{
	bus_bytewise(off, data, len, is_write, 2, chip_port_read, chip_port_write, c);
	pic_update(p);
}

void pic_master_io(void *opaque, uint64_t off, void *data, unsigned len, bool is_write)
{
	struct pic *p = opaque;

	chip_io(p, &p->c[0], off, data, len, is_write);
}

void pic_slave_io(void *opaque, uint64_t off, void *data, unsigned len, bool is_write)
{
	struct pic *p = opaque;

	chip_io(p, &p->c[1], off, data, len, is_write);
}

/* An input switched between edge and level: a level input's IRR is its line; a new edge
 * input must see a fresh low-to-high transition, as after ICW1. */
static void chip_write_elcr(struct pic_chip *c, uint8_t v)
{
	uint8_t elcr = v & c->elcr_mask;

	c->irr = (c->irr & ~(c->elcr | elcr)) | (c->input & elcr);
	c->elcr = elcr;
}

static uint8_t elcr_read(void *ctx, unsigned port)
{
	struct pic *p = ctx;

	return p->c[port].elcr;
}

static void elcr_write(void *ctx, unsigned port, uint8_t v)
{
	struct pic *p = ctx;

	chip_write_elcr(&p->c[port], v);
}

void pic_elcr_io(void *opaque, uint64_t off, void *data, unsigned len, bool is_write)
{
	struct pic *p = opaque;

	bus_bytewise(off, data, len, is_write, 2, elcr_read, elcr_write, p);
	pic_update(p);
}

void pic_set_irq(struct pic *p, unsigned irq, int level)
{
	/* IR2 of the master is wired to the slave's INT, not to the ISA bus */
	if (irq >= 16 || irq == PIC_CASCADE_IR)
		return;
	chip_set_input(&p->c[irq >> 3], irq & 7, level != 0);
	pic_update(p);
}

bool pic_int_pending(const struct pic *p)
{
	return p->int_level;
}

/*
 * The INTA sequence (datasheet "Interrupt Sequence", 8086 mode). The master resolves; if the
 * winner is a cascade IR the slave supplies the vector. A request that went away before
 * INTA gives the chip's IR7 vector without setting an IS bit; for a slave the master has
 * already acknowledged IR2, so its IS bit is set and the spurious IRQ15 still needs a master
 * EOI.
 */
int pic_intack(struct pic *p)
{
	struct pic_chip *m = &p->c[0], *s = &p->c[1];
	bool seen = p->int_seen;
	int irq, sirq, vec;

	p->int_seen = false;
	irq = chip_resolve(m);
	if (irq < 0) {
		pic_update(p);
		return seen ? m->vbase | 7 : -1;
	}
	chip_ack(m, irq);
	if (irq == PIC_CASCADE_IR && (chip_cascades(m) & (1u << irq))) {
		sirq = chip_resolve(s);
		if (sirq < 0) {
			vec = s->vbase | 7;
		} else {
			chip_ack(s, sirq);
			chip_aeoi(s, sirq);
			vec = s->vbase | sirq;
		}
		/* The slave's INT is re-evaluated after the INTA cycle: if it still requests
		 * (automatic EOI, more pending) the master sees a new edge on IR2. */
		m->input &= ~(1u << PIC_CASCADE_IR);
	} else {
		vec = m->vbase | irq;
	}
	chip_aeoi(m, irq);
	pic_update(p);
	return vec;
}

static void chip_reset(struct pic_chip *c, bool master)
{
	uint8_t input = c->input;

	memset(c, 0, sizeof(*c));
	c->input = input;	/* the wires keep their level across a reset */
	c->master = master;
	c->elcr_mask = master ? ELCR1_MASK : ELCR2_MASK;
	c->imr = 0xFF;
	c->lowest = 7;
	c->icw1 = ICW1_IC4;
	c->icw3 = master ? 1u << PIC_CASCADE_IR : PIC_CASCADE_IR;
	c->icw4 = ICW4_UPM;
}

/*
 * The datasheet leaves the state before ICW1 undefined. vfvm powers up as PC firmware's
 * wiring expects (cascade on IR2, 8086 mode, all inputs edge) with every input masked and
 * vector base 0, so an uninitialised PIC can never inject a vector that collides with a CPU
 * exception.
 */
void pic_reset(struct pic *p)
{
	chip_reset(&p->c[0], true);
	chip_reset(&p->c[1], false);
	p->int_seen = false;
	pic_update(p);
}

struct pic *pic_new(void (*int_out)(void *opaque, int level), void *opaque)
{
	struct pic *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->int_out = int_out;
	p->opaque = opaque;
	pic_reset(p);
	return p;
}

void pic_free(struct pic *p)
{
	free(p);
}

void pic_dump(const struct pic *p, FILE *f)
{
	for (int i = 0; i < 2; i++) {
		const struct pic_chip *c = &p->c[i];

		fprintf(f, "vfvm: PIC %s: IRR 0x%02x ISR 0x%02x IMR 0x%02x input 0x%02x ELCR 0x%02x "
			"base 0x%02x init %u%s\n", i ? "slave" : "master", c->irr, c->isr, c->imr,
			c->input, c->elcr, c->vbase, c->init,
			i ? "" : (p->int_level ? ", INT high" : ", INT low"));
	}
}
