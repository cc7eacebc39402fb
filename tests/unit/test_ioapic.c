/* test_ioapic.c - unit tests of the 82093AA I/O APIC model against its datasheet (§3.0-3.2:
 * IOREGSEL/IOWIN, ID/version/arbitration, redirection entries) and the MSI format of the
 * Intel SDM vol.3 §11.11, driven through the MMIO handler like a guest would. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "legacy/ioapic.h"

struct fixture {
	struct ioapic *io;
	unsigned routes;			/* route() calls */
	unsigned route_calls[IOAPIC_PINS];
	struct msi_msg msg[IOAPIC_PINS];	/* last route per pin */
	bool masked[IOAPIC_PINS];
	unsigned fires;
	unsigned fire_calls[IOAPIC_PINS];
};

static void fx_route(void *opaque, unsigned pin, const struct msi_msg *msg, bool masked)
{
	struct fixture *f = opaque;

	assert_true(pin < IOAPIC_PINS);
	f->routes++;
	f->route_calls[pin]++;
	f->msg[pin] = *msg;
	f->masked[pin] = masked;
}

static void fx_fire(void *opaque, unsigned pin)
{
	struct fixture *f = opaque;

	assert_true(pin < IOAPIC_PINS);
	/* the message delivered must be the one routed: never fire a masked route */
	assert_false(f->masked[pin]);
	f->fires++;
	f->fire_calls[pin]++;
}

static void wr32(struct fixture *f, uint64_t off, uint32_t v)
{
	ioapic_mmio(f->io, off, &v, 4, true);
}

static uint32_t rd32(struct fixture *f, uint64_t off)
{
	uint32_t v = 0xDEADBEEF;

	ioapic_mmio(f->io, off, &v, 4, false);
	return v;
}

static void reg_write(struct fixture *f, uint8_t reg, uint32_t v)
{
	wr32(f, 0x00, reg);
	wr32(f, 0x10, v);
}

static uint32_t reg_read(struct fixture *f, uint8_t reg)
{
	wr32(f, 0x00, reg);
	return rd32(f, 0x10);
}

static void rte_write(struct fixture *f, unsigned pin, uint64_t v)
{
	reg_write(f, 0x11 + 2 * pin, v >> 32);
	reg_write(f, 0x10 + 2 * pin, (uint32_t)v);
}

static uint64_t rte_read(struct fixture *f, unsigned pin)
{
	return (uint64_t)reg_read(f, 0x11 + 2 * pin) << 32 | reg_read(f, 0x10 + 2 * pin);
}

/* Entry fields (§3.2.4) */
#define MASKED		(1ULL << 16)
#define LEVEL		(1ULL << 15)
#define REMOTE_IRR	(1ULL << 14)
#define ACTIVE_LOW	(1ULL << 13)
#define LOGICAL		(1ULL << 11)
#define DM(x)		((uint64_t)(x) << 8)
#define DEST(x)		((uint64_t)(x) << 56)

static int setup(void **state)
{
	static struct fixture f;
	struct ioapic_ops ops = { .route = fx_route, .fire = fx_fire, .opaque = &f };

	memset(&f, 0, sizeof(f));
	f.io = ioapic_new(&ops, 2);
	assert_non_null(f.io);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ioapic_free(f->io);
	return 0;
}

static void test_new_state(void **state)
{
	struct fixture *f = *state;

	/* every pin announced once, masked */
	assert_int_equal(f->routes, IOAPIC_PINS);
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		assert_int_equal(f->route_calls[pin], 1);
		assert_true(f->masked[pin]);
		assert_int_equal(rte_read(f, pin), MASKED);
	}
	assert_int_equal(reg_read(f, 0x00), 0x02000000);
	assert_int_equal(reg_read(f, 0x01), 0x00170011);	/* version 0x11, 24 entries */
	assert_int_equal(reg_read(f, 0x02), 0x02000000);
	assert_int_equal(f->fires, 0);
}

static void test_id_version_arb(void **state)
{
	struct fixture *f = *state;

	reg_write(f, 0x00, 0xFFFFFFFF);
	assert_int_equal(reg_read(f, 0x00), 0x0F000000);	/* only bits 27:24 */
	assert_int_equal(reg_read(f, 0x02), 0x0F000000);	/* loaded from the ID */
	reg_write(f, 0x00, 0x05000000);
	assert_int_equal(reg_read(f, 0x00), 0x05000000);
	assert_int_equal(reg_read(f, 0x02), 0x05000000);
	reg_write(f, 0x01, 0xFFFFFFFF);				/* read-only */
	assert_int_equal(reg_read(f, 0x01), 0x00170011);
	reg_write(f, 0x02, 0x0A000000);				/* read-only */
	assert_int_equal(reg_read(f, 0x02), 0x05000000);
	assert_int_equal(f->routes, IOAPIC_PINS);
}

static void test_id_truncated(void **state)
{
	struct fixture *f = *state;
	struct ioapic_ops ops = { .route = fx_route, .fire = fx_fire, .opaque = f };
	struct ioapic *io = ioapic_new(&ops, 0x25);

	assert_non_null(io);
	ioapic_free(f->io);
	f->io = io;
	assert_int_equal(reg_read(f, 0x00), 0x05000000);
	/* no ops at all is allowed too */
	io = ioapic_new(NULL, 1);
	assert_non_null(io);
	ioapic_set_irq(io, 0, 1);
	ioapic_free(io);
}

static void test_ioregsel(void **state)
{
	struct fixture *f = *state;

	wr32(f, 0x00, 0x12345678);
	assert_int_equal(rd32(f, 0x00), 0x78);
	/* undefined registers read 0 and ignore writes */
	static const uint8_t undef[] = { 0x03, 0x0F, 0x40, 0x41, 0x80, 0xFF };
	for (unsigned i = 0; i < sizeof(undef); i++) {
		reg_write(f, undef[i], 0xFFFFFFFF);
		assert_int_equal(reg_read(f, undef[i]), 0);
	}
	assert_int_equal(f->routes, IOAPIC_PINS);
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		assert_int_equal(rte_read(f, pin), MASKED);
}

static void test_rte_bits(void **state)
{
	struct fixture *f = *state;

	/* writable: vector, delivery mode, dest mode, polarity, trigger, mask, destination;
	 * delivery status, remote IRR and reserved bits read 0 */
	reg_write(f, 0x10 + 2 * 5, 0xFFFFFFFF);
	assert_int_equal(reg_read(f, 0x10 + 2 * 5), 0x0001AFFF);
	reg_write(f, 0x11 + 2 * 5, 0xFFFFFFFF);
	assert_int_equal(reg_read(f, 0x11 + 2 * 5), 0xFF000000);
	/* halves are independent */
	reg_write(f, 0x10 + 2 * 5, 0x00000030);
	assert_int_equal(rte_read(f, 5), 0xFF00000000000030ULL);
	/* neighbours untouched */
	assert_int_equal(rte_read(f, 4), MASKED);
	assert_int_equal(rte_read(f, 6), MASKED);
	/* last entry (registers 0x3E/0x3F) */
	rte_write(f, 23, DEST(7) | 0x99);
	assert_int_equal(rte_read(f, 23), DEST(7) | 0x99);
}

static void test_msi_translation(void **state)
{
	struct fixture *f = *state;
	static const struct {
		uint64_t rte;
		uint64_t addr;
		uint32_t data;
	} cases[] = {
		{ 0x31 | DEST(3),			0xFEE03000, 0x0031 },	/* fixed, physical */
		{ 0x31 | DEST(0xFF),			0xFEEFF000, 0x0031 },	/* 8-bit APIC ID */
		{ 0x41 | DEST(0xA5) | LOGICAL,		0xFEEA5004, 0x0041 },	/* logical */
		{ 0x42 | DM(1) | LOGICAL | DEST(0x0F),	0xFEE0F004, 0x0142 },	/* lowest prio */
		{ 0x00 | DM(2),				0xFEE00000, 0x0200 },	/* SMI */
		{ 0x00 | DM(4) | DEST(1),		0xFEE01000, 0x0400 },	/* NMI */
		{ 0x00 | DM(5) | DEST(2),		0xFEE02000, 0x0500 },	/* INIT */
		{ 0x00 | DM(7),				0xFEE00000, 0x0700 },	/* ExtINT */
		{ 0x51 | LEVEL,				0xFEE00000, 0xC051 },	/* level fixed */
		{ 0x52 | LEVEL | DM(1),			0xFEE00000, 0xC152 },	/* level lowest */
		{ 0x53 | LEVEL | DM(4),			0xFEE00000, 0x0453 },	/* NMI: always edge */
		{ 0x54 | LEVEL | DM(7),			0xFEE00000, 0x0754 },	/* ExtINT: edge */
		{ 0x55 | ACTIVE_LOW,			0xFEE00000, 0x0055 },	/* polarity: wire */
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rte_write(f, 9, cases[i].rte);
		assert_int_equal(f->msg[9].addr, cases[i].addr);
		assert_int_equal(f->msg[9].data, cases[i].data);
		assert_false(f->masked[9]);
		rte_write(f, 9, cases[i].rte | MASKED);
		assert_int_equal(f->msg[9].addr, cases[i].addr);
		assert_int_equal(f->msg[9].data, cases[i].data);
		assert_true(f->masked[9]);
	}
}

static void test_reserved_delivery_modes(void **state)
{
	struct fixture *f = *state;

	rte_write(f, 3, 0x30 | DM(3));
	assert_true(f->masked[3]);
	ioapic_set_irq(f->io, 3, 1);
	assert_int_equal(f->fires, 0);
	ioapic_set_irq(f->io, 3, 0);
	rte_write(f, 3, 0x30 | DM(6) | LEVEL);
	assert_true(f->masked[3]);
	ioapic_set_irq(f->io, 3, 1);
	assert_int_equal(f->fires, 0);
	assert_int_equal(rte_read(f, 3) & REMOTE_IRR, 0);
}

static void test_route_on_change_only(void **state)
{
	struct fixture *f = *state;
	unsigned before = f->routes;

	reg_write(f, 0x10 + 2 * 7, 0x00000040);			/* unmask, vector 0x40 */
	assert_int_equal(f->routes, before + 1);
	assert_int_equal(f->route_calls[7], 2);
	reg_write(f, 0x10 + 2 * 7, 0x00000040);			/* same value */
	assert_int_equal(f->routes, before + 1);
	reg_write(f, 0x11 + 2 * 7, 0x01000000);			/* destination */
	assert_int_equal(f->routes, before + 2);
	assert_int_equal(f->msg[7].addr, 0xFEE01000);
	reg_write(f, 0x11 + 2 * 7, 0x01FFFFFF);			/* reserved bits only */
	assert_int_equal(f->routes, before + 2);
	reg_write(f, 0x10 + 2 * 7, 0x00002040);			/* polarity */
	assert_int_equal(f->routes, before + 3);
	/* reading never routes */
	rte_read(f, 7);
	assert_int_equal(f->routes, before + 3);
}

static void test_edge(void **state)
{
	struct fixture *f = *state;

	rte_write(f, 4, 0x34);
	ioapic_set_irq(f->io, 4, 1);
	assert_int_equal(f->fire_calls[4], 1);
	ioapic_set_irq(f->io, 4, 1);				/* no edge */
	assert_int_equal(f->fire_calls[4], 1);
	ioapic_set_irq(f->io, 4, 0);
	assert_int_equal(f->fire_calls[4], 1);
	ioapic_set_irq(f->io, 4, 1);
	assert_int_equal(f->fire_calls[4], 2);
	assert_int_equal(rte_read(f, 4) & REMOTE_IRR, 0);	/* edge: no remote IRR */
	/* EOI does nothing to edge entries */
	ioapic_eoi(f->io, 0x34);
	assert_int_equal(f->fire_calls[4], 2);
	assert_int_equal(f->fires, 2);
}

static void test_edge_masked_lost(void **state)
{
	struct fixture *f = *state;

	rte_write(f, 4, 0x34 | MASKED);
	ioapic_set_irq(f->io, 4, 1);
	ioapic_set_irq(f->io, 4, 0);
	ioapic_set_irq(f->io, 4, 1);
	assert_int_equal(f->fires, 0);
	rte_write(f, 4, 0x34);					/* unmask: edge was lost */
	assert_int_equal(f->fires, 0);
	ioapic_set_irq(f->io, 4, 0);
	ioapic_set_irq(f->io, 4, 1);
	assert_int_equal(f->fire_calls[4], 1);
}

static void test_level_remote_irr(void **state)
{
	struct fixture *f = *state;

	rte_write(f, 16, 0x61 | LEVEL | ACTIVE_LOW);
	ioapic_set_irq(f->io, 16, 1);
	assert_int_equal(f->fire_calls[16], 1);
	assert_int_equal(rte_read(f, 16) & REMOTE_IRR, REMOTE_IRR);
	ioapic_set_irq(f->io, 16, 1);
	ioapic_set_irq(f->io, 16, 0);
	ioapic_set_irq(f->io, 16, 1);				/* remote IRR still set */
	assert_int_equal(f->fire_calls[16], 1);
	/* remote IRR is read-only: writing the entry with it clear keeps it */
	reg_write(f, 0x10 + 2 * 16, 0x61 | LEVEL | ACTIVE_LOW);
	assert_int_equal(rte_read(f, 16) & REMOTE_IRR, REMOTE_IRR);
	assert_int_equal(f->fire_calls[16], 1);
	/* another vector's EOI does not touch it */
	ioapic_eoi(f->io, 0x62);
	assert_int_equal(rte_read(f, 16) & REMOTE_IRR, REMOTE_IRR);
	/* EOI with the line still asserted: delivered again */
	ioapic_eoi(f->io, 0x61);
	assert_int_equal(f->fire_calls[16], 2);
	assert_int_equal(rte_read(f, 16) & REMOTE_IRR, REMOTE_IRR);
	/* line drops, EOI: idle */
	ioapic_set_irq(f->io, 16, 0);
	ioapic_eoi(f->io, 0x61);
	assert_int_equal(f->fire_calls[16], 2);
	assert_int_equal(rte_read(f, 16) & REMOTE_IRR, 0);
	/* remote IRR cannot be set by software */
	reg_write(f, 0x10 + 2 * 16, 0x61 | LEVEL | REMOTE_IRR);
	assert_int_equal(rte_read(f, 16) & REMOTE_IRR, 0);
	ioapic_set_irq(f->io, 16, 1);
	assert_int_equal(f->fire_calls[16], 3);
	assert_int_equal(f->fires, 3);
}

static void test_eoi_shared_vector(void **state)
{
	struct fixture *f = *state;

	rte_write(f, 17, 0x70 | LEVEL);
	rte_write(f, 18, 0x70 | LEVEL);
	rte_write(f, 19, 0x70);				/* edge, same vector */
	ioapic_set_irq(f->io, 17, 1);
	ioapic_set_irq(f->io, 18, 1);
	ioapic_set_irq(f->io, 19, 1);
	assert_int_equal(f->fires, 3);
	ioapic_set_irq(f->io, 18, 0);
	ioapic_eoi(f->io, 0x70);
	/* both remote IRRs cleared; only the still-asserted 17 re-delivers */
	assert_int_equal(f->fire_calls[17], 2);
	assert_int_equal(f->fire_calls[18], 1);
	assert_int_equal(f->fire_calls[19], 1);
	assert_int_equal(rte_read(f, 18) & REMOTE_IRR, 0);
	assert_int_equal(rte_read(f, 17) & REMOTE_IRR, REMOTE_IRR);
}

/* An EOI notifier like VFIO INTx's: it lowers the line before re-delivery is considered. */
struct eoi_rec {
	struct fixture *f;
	unsigned calls[IOAPIC_PINS];
	bool lower;
};

static void fx_eoi(void *opaque, unsigned pin)
{
	struct eoi_rec *r = opaque;

	assert_true(pin < IOAPIC_PINS);
	r->calls[pin]++;
	if (r->lower)
		ioapic_set_irq(r->f->io, pin, 0);
}

static void test_eoi_notifier(void **state)
{
	struct fixture *f = *state;
	struct eoi_rec r = { .f = f, .lower = true };

	ioapic_set_eoi_notifier(f->io, fx_eoi, &r);
	rte_write(f, 16, 0xA0 | LEVEL);
	rte_write(f, 17, 0xA0 | LEVEL);
	rte_write(f, 18, 0xA0);				/* edge: not notified */
	rte_write(f, 19, 0xA1 | LEVEL);			/* other vector */
	ioapic_set_irq(f->io, 16, 1);
	assert_int_equal(f->fire_calls[16], 1);
	ioapic_eoi(f->io, 0xA0);
	/* 17 is notified too although its remote IRR is clear (irqfd-injected) */
	assert_int_equal(r.calls[16], 1);
	assert_int_equal(r.calls[17], 1);
	assert_int_equal(r.calls[18], 0);
	assert_int_equal(r.calls[19], 0);
	/* the notifier lowered the line: no re-delivery, remote IRR clear */
	assert_int_equal(f->fire_calls[16], 1);
	assert_int_equal(rte_read(f, 16) & REMOTE_IRR, 0);
	/* a line its owner keeps asserted is delivered again after the EOI */
	r.lower = false;
	ioapic_set_irq(f->io, 16, 1);
	assert_int_equal(f->fire_calls[16], 2);
	ioapic_eoi(f->io, 0xA0);
	assert_int_equal(f->fire_calls[16], 3);
	ioapic_set_eoi_notifier(f->io, NULL, NULL);
	ioapic_eoi(f->io, 0xA0);
	assert_int_equal(r.calls[16], 2);
	assert_int_equal(f->fire_calls[16], 4);
}

static void test_level_masked(void **state)
{
	struct fixture *f = *state;

	rte_write(f, 20, 0x80 | LEVEL | MASKED);
	ioapic_set_irq(f->io, 20, 1);
	assert_int_equal(f->fires, 0);
	assert_int_equal(rte_read(f, 20) & REMOTE_IRR, 0);
	reg_write(f, 0x10 + 2 * 20, 0x80 | LEVEL);		/* unmask while asserted */
	assert_int_equal(f->fire_calls[20], 1);
	assert_int_equal(rte_read(f, 20) & REMOTE_IRR, REMOTE_IRR);
	/* masked, EOI'd while still asserted: held until unmasked */
	reg_write(f, 0x10 + 2 * 20, 0x80 | LEVEL | MASKED);
	ioapic_eoi(f->io, 0x80);
	assert_int_equal(f->fire_calls[20], 1);
	assert_int_equal(rte_read(f, 20) & REMOTE_IRR, 0);
	reg_write(f, 0x10 + 2 * 20, 0x80 | LEVEL);
	assert_int_equal(f->fire_calls[20], 2);
	/* a level line that went away while masked is not delivered */
	reg_write(f, 0x10 + 2 * 20, 0x80 | LEVEL | MASKED);
	ioapic_eoi(f->io, 0x80);
	ioapic_set_irq(f->io, 20, 0);
	reg_write(f, 0x10 + 2 * 20, 0x80 | LEVEL);
	assert_int_equal(f->fire_calls[20], 2);
}

static void test_trigger_switch(void **state)
{
	struct fixture *f = *state;

	rte_write(f, 10, 0x90 | LEVEL);
	ioapic_set_irq(f->io, 10, 1);
	assert_int_equal(rte_read(f, 10) & REMOTE_IRR, REMOTE_IRR);
	/* to edge: remote IRR is meaningless there and is dropped; no delivery */
	reg_write(f, 0x10 + 2 * 10, 0x90);
	assert_int_equal(rte_read(f, 10) & REMOTE_IRR, 0);
	assert_int_equal(f->fire_calls[10], 1);
	assert_int_equal(f->msg[10].data, 0x90);
	/* back to level with the line still asserted: delivered */
	reg_write(f, 0x10 + 2 * 10, 0x90 | LEVEL);
	assert_int_equal(f->fire_calls[10], 2);
	assert_int_equal(f->msg[10].data, 0xC090);
}

static void test_nmi_is_edge(void **state)
{
	struct fixture *f = *state;

	/* NMI, INIT, SMI, ExtINT are always edge even with the trigger bit set */
	rte_write(f, 2, LEVEL | DM(4));
	ioapic_set_irq(f->io, 2, 1);
	assert_int_equal(f->fire_calls[2], 1);
	assert_int_equal(rte_read(f, 2) & REMOTE_IRR, 0);
	ioapic_set_irq(f->io, 2, 1);
	ioapic_eoi(f->io, 0);
	assert_int_equal(f->fire_calls[2], 1);
	ioapic_set_irq(f->io, 2, 0);
	ioapic_set_irq(f->io, 2, 1);
	assert_int_equal(f->fire_calls[2], 2);
	/* ExtINT on pin 0 (virtual wire through the I/O APIC) */
	rte_write(f, 0, DM(7));
	ioapic_set_irq(f->io, 0, 1);
	assert_int_equal(f->fire_calls[0], 1);
}

static void test_bad_access(void **state)
{
	struct fixture *f = *state;
	uint64_t q;
	uint16_t w;
	uint8_t b;

	rte_write(f, 1, 0x21);
	wr32(f, 0x00, 0x12);
	/* wrong sizes at the two registers: writes ignored, reads 0 */
	b = 0x10;
	ioapic_mmio(f->io, 0x00, &b, 1, true);
	assert_int_equal(rd32(f, 0x00), 0x12);
	w = 0xFFFF;
	ioapic_mmio(f->io, 0x10, &w, 2, true);
	q = ~0ULL;
	ioapic_mmio(f->io, 0x10, &q, 8, true);
	assert_int_equal(rte_read(f, 1), 0x21);
	b = 0xAA;
	ioapic_mmio(f->io, 0x00, &b, 1, false);
	assert_int_equal(b, 0);
	w = 0xAAAA;
	ioapic_mmio(f->io, 0x10, &w, 2, false);
	assert_int_equal(w, 0);
	q = ~0ULL;
	ioapic_mmio(f->io, 0x10, &q, 8, false);
	assert_int_equal(q, 0);
	/* other offsets: unaligned, the later EOI register (0x40), the end of the page */
	static const uint64_t offs[] = { 0x01, 0x04, 0x0C, 0x11, 0x14, 0x20, 0x40, 0xFFC };
	for (unsigned i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		wr32(f, 0x00, 0x12);
		wr32(f, offs[i], 0x10);
		assert_int_equal(rd32(f, offs[i]), 0);
		assert_int_equal(rd32(f, 0x00), 0x12);
		assert_int_equal(rte_read(f, 1), 0x21);
	}
	/* an EOI-register write must not clear remote IRR either */
	rte_write(f, 1, 0x21 | LEVEL);
	ioapic_set_irq(f->io, 1, 1);
	wr32(f, 0x40, 0x21);
	assert_int_equal(rte_read(f, 1) & REMOTE_IRR, REMOTE_IRR);
}

static void test_bad_pin(void **state)
{
	struct fixture *f = *state;

	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		rte_write(f, pin, 0x30 + pin);
	ioapic_set_irq(f->io, IOAPIC_PINS, 1);
	ioapic_set_irq(f->io, 32, 1);
	ioapic_set_irq(f->io, 0xFFFFFFFFu, 1);
	assert_int_equal(f->fires, 0);
	/* registers past the table (0x40 = pin 24's low half) */
	reg_write(f, 0x40, 0x55);
	assert_int_equal(reg_read(f, 0x40), 0);
}

static void test_reset(void **state)
{
	struct fixture *f = *state;

	reg_write(f, 0x00, 0x09000000);
	rte_write(f, 5, 0x45 | LEVEL | DEST(1));
	ioapic_set_irq(f->io, 5, 1);
	assert_int_equal(f->fires, 1);
	memset(f->route_calls, 0, sizeof(f->route_calls));
	ioapic_reset(f->io);
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		assert_int_equal(f->route_calls[pin], 1);
		assert_true(f->masked[pin]);
		assert_int_equal(rte_read(f, pin), MASKED);
	}
	assert_int_equal(reg_read(f, 0x00), 0x02000000);
	assert_int_equal(reg_read(f, 0x02), 0x02000000);
	wr32(f, 0x00, 0x10);
	ioapic_reset(f->io);
	assert_int_equal(rd32(f, 0x00), 0);
	/* the line is still high: unmasking a level entry delivers it */
	rte_write(f, 5, 0x45 | LEVEL);
	assert_int_equal(f->fires, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_new_state),
		T(test_id_version_arb),
		T(test_id_truncated),
		T(test_ioregsel),
		T(test_rte_bits),
		T(test_msi_translation),
		T(test_reserved_delivery_modes),
		T(test_route_on_change_only),
		T(test_edge),
		T(test_edge_masked_lost),
		T(test_level_remote_irr),
		T(test_eoi_shared_vector),
		T(test_eoi_notifier),
		T(test_level_masked),
		T(test_trigger_switch),
		T(test_nmi_is_edge),
		T(test_bad_access),
		T(test_bad_pin),
		T(test_reset),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
