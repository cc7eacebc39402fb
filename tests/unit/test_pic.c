/* test_pic.c - unit tests of the 8259A pair and ELCR against the Intel 8259A datasheet
 * (ICW1-4, OCW1-3, priority, EOI/rotation, poll, special mask, cascade, spurious IR7) and
 * the PIIX ELCR, driven through the port handlers like a guest would. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "legacy/pic.h"

struct fixture {
	struct pic *p;
	int level;		/* last INT level reported */
	unsigned calls;		/* int_out invocations */
};

static void fx_int(void *opaque, int level)
{
	struct fixture *f = opaque;

	/* the callback fires only on changes */
	assert_int_not_equal(level, f->level);
	f->level = level;
	f->calls++;
}

static void io(struct fixture *f, uint16_t port, void *data, unsigned len, bool wr)
{
	if (port >= 0x4D0)
		pic_elcr_io(f->p, port - 0x4D0, data, len, wr);
	else if (port >= 0xA0)
		pic_slave_io(f->p, port - 0xA0, data, len, wr);
	else
		pic_master_io(f->p, port - 0x20, data, len, wr);
}

static void outb(struct fixture *f, uint16_t port, uint8_t v)
{
	io(f, port, &v, 1, true);
}

static uint8_t inb(struct fixture *f, uint16_t port)
{
	uint8_t v = 0x5A;

	io(f, port, &v, 1, false);
	return v;
}

static void outw(struct fixture *f, uint16_t port, uint16_t v)
{
	io(f, port, &v, 2, true);
}

static uint16_t inw(struct fixture *f, uint16_t port)
{
	uint16_t v = 0x5A5A;

	io(f, port, &v, 2, false);
	return v;
}

/* OCW3 read-register helpers (A0=0) */
static uint8_t irr(struct fixture *f, uint16_t base)
{
	outb(f, base, 0x0A);
	return inb(f, base);
}

static uint8_t isr(struct fixture *f, uint16_t base)
{
	uint8_t v;

	outb(f, base, 0x0B);
	v = inb(f, base);
	outb(f, base, 0x0A);
	return v;
}

/* The sequence Linux's init_8259A uses: cascade, ICW4 8086 mode, vectors 0x20/0x28. */
static void init_chip(struct fixture *f, uint16_t base, uint8_t vec, uint8_t icw3, uint8_t icw4)
{
	outb(f, base, 0x11);
	outb(f, base + 1, vec);
	outb(f, base + 1, icw3);
	outb(f, base + 1, icw4);
	outb(f, base + 1, 0x00);
}

static void init_pc(struct fixture *f, uint8_t icw4_master, uint8_t icw4_slave)
{
	init_chip(f, 0x20, 0x20, 0x04, icw4_master);
	init_chip(f, 0xA0, 0x28, 0x02, icw4_slave);
}

static int setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	f.p = pic_new(fx_int, &f);
	assert_non_null(f.p);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pic_free(f->p);
	return 0;
}

static void test_power_on(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(inb(f, 0x21), 0xFF);
	assert_int_equal(inb(f, 0xA1), 0xFF);
	assert_int_equal(irr(f, 0x20), 0);
	assert_int_equal(isr(f, 0x20), 0);
	assert_int_equal(inb(f, 0x4D0), 0);
	assert_int_equal(inb(f, 0x4D1), 0);
	/* every input masked: a request is latched in IRR but raises no INT */
	pic_set_irq(f->p, 1, 1);
	assert_int_equal(irr(f, 0x20), 0x02);
	assert_false(pic_int_pending(f->p));
	assert_int_equal(f->calls, 0);
	assert_int_equal(pic_intack(f->p), -1);
}

static void test_icw_cascade_ic4(void **state)
{
	struct fixture *f = *state;

	outb(f, 0x21, 0x55);
	outb(f, 0x20, 0x11);		/* ICW1: edge, cascade, IC4 */
	assert_int_equal(inb(f, 0x21), 0x00);	/* ICW1 clears the IMR */
	outb(f, 0x21, 0x27);		/* ICW2: T7-T3 = 0x20, low bits ignored */
	assert_int_equal(inb(f, 0x21), 0x00);
	outb(f, 0x21, 0x04);		/* ICW3 */
	assert_int_equal(inb(f, 0x21), 0x00);
	outb(f, 0x21, 0x01);		/* ICW4 */
	assert_int_equal(inb(f, 0x21), 0x00);
	outb(f, 0x21, 0xAB);		/* OCW1 */
	assert_int_equal(inb(f, 0x21), 0xAB);
	outb(f, 0x21, 0xFE);
	pic_set_irq(f->p, 0, 1);
	assert_true(pic_int_pending(f->p));
	assert_int_equal(pic_intack(f->p), 0x20);
}

static void test_icw_single_no_ic4(void **state)
{
	struct fixture *f = *state;

	/* SNGL=1, IC4=0: ICW2 only, then the next A0=1 write is OCW1 */
	outb(f, 0x20, 0x12);
	outb(f, 0x21, 0x40);
	outb(f, 0x21, 0xF3);
	assert_int_equal(inb(f, 0x21), 0xF3);
	outb(f, 0x21, 0x00);
	/* single mode: IR2 is an ordinary input, the master supplies base+2 */
	init_chip(f, 0xA0, 0x28, 0x02, 0x01);
	pic_set_irq(f->p, 9, 1);
	assert_true(pic_int_pending(f->p));
	assert_int_equal(pic_intack(f->p), 0x42);
	assert_int_equal(isr(f, 0xA0), 0);
	assert_int_equal(isr(f, 0x20), 0x04);
	/* IC4=0 zeroes ICW4: no automatic EOI even though nothing was said */
	outb(f, 0x20, 0x20);
	assert_int_equal(isr(f, 0x20), 0);
}

static void test_icw_cascade_no_ic4(void **state)
{
	struct fixture *f = *state;

	/* cascade, IC4=0: ICW2, ICW3, then OCW1 */
	outb(f, 0x20, 0x10);
	outb(f, 0x21, 0x08);
	outb(f, 0x21, 0x04);
	outb(f, 0x21, 0x7F);
	assert_int_equal(inb(f, 0x21), 0x7F);
}

static void test_icw_ac_icw4_aeoi_previous_cleared(void **state)
{
	struct fixture *f = *state;

	/* ICW4 with AEOI, then re-init with IC4=0: AEOI must be off again */
	init_pc(f, 0x03, 0x01);
	pic_set_irq(f->p, 3, 1);
	assert_int_equal(pic_intack(f->p), 0x23);
	assert_int_equal(isr(f, 0x20), 0);
	outb(f, 0x20, 0x10);
	outb(f, 0x21, 0x20);
	outb(f, 0x21, 0x04);
	pic_set_irq(f->p, 3, 0);
	pic_set_irq(f->p, 3, 1);
	assert_int_equal(pic_intack(f->p), 0x23);
	assert_int_equal(isr(f, 0x20), 0x08);
}

static void test_icw1_resets_state(void **state)
{
	struct fixture *f = *state;

	init_pc(f, 0x01, 0x01);
	pic_set_irq(f->p, 3, 1);
	assert_int_equal(pic_intack(f->p), 0x23);
	pic_set_irq(f->p, 4, 1);		/* edge latched, blocked behind IR3 */
	outb(f, 0x20, 0xC5);			/* set priority: IR5 lowest */
	outb(f, 0x21, 0x10);
	outb(f, 0x20, 0x68);			/* special mask mode */
	outb(f, 0x20, 0x0B);			/* read ISR */
	/* ICW1 again */
	outb(f, 0x20, 0x11);
	outb(f, 0x21, 0x20);
	outb(f, 0x21, 0x04);
	outb(f, 0x21, 0x01);
	assert_int_equal(inb(f, 0x21), 0x00);	/* IMR cleared */
	assert_int_equal(inb(f, 0x20), 0x00);	/* status read is IRR again; edge sense reset */
	assert_int_equal(isr(f, 0x20), 0x00);
	assert_false(pic_int_pending(f->p));
	/* inputs 3 and 4 are still high: no new request without a low-to-high transition */
	pic_set_irq(f->p, 4, 1);
	assert_false(pic_int_pending(f->p));
	pic_set_irq(f->p, 4, 0);
	pic_set_irq(f->p, 6, 1);
	pic_set_irq(f->p, 4, 1);
	/* IR7 lowest again: IR4 beats IR6 (after "IR5 lowest" IR6 would have won) */
	assert_int_equal(pic_intack(f->p), 0x24);
}

static void test_edge_trigger(void **state)
{
	struct fixture *f = *state;

	init_pc(f, 0x01, 0x01);
	pic_set_irq(f->p, 4, 1);
	assert_int_equal(irr(f, 0x20), 0x10);
	assert_true(pic_int_pending(f->p));
	assert_int_equal(f->calls, 1);
	pic_set_irq(f->p, 4, 1);		/* no edge */
	assert_int_equal(f->calls, 1);
	assert_int_equal(pic_intack(f->p), 0x24);
	assert_int_equal(f->calls, 2);
	assert_false(pic_int_pending(f->p));
	assert_int_equal(irr(f, 0x20), 0x00);
	assert_int_equal(isr(f, 0x20), 0x10);
	outb(f, 0x20, 0x20);
	/* input still high: no second interrupt until it drops and rises */
	pic_set_irq(f->p, 4, 1);
	assert_false(pic_int_pending(f->p));
	pic_set_irq(f->p, 4, 0);
	assert_false(pic_int_pending(f->p));
	pic_set_irq(f->p, 4, 1);
	assert_true(pic_int_pending(f->p));
	/* a pulse (raise, lower) stays latched */
	assert_int_equal(pic_intack(f->p), 0x24);
	outb(f, 0x20, 0x20);
	pic_set_irq(f->p, 4, 0);
	pic_set_irq(f->p, 5, 1);
	pic_set_irq(f->p, 5, 0);
	assert_int_equal(irr(f, 0x20), 0x20);
	assert_int_equal(pic_intack(f->p), 0x25);
}

static void test_edge_reraise_while_in_service(void **state)
{
	struct fixture *f = *state;

	init_pc(f, 0x01, 0x01);
	pic_set_irq(f->p, 3, 1);
	assert_int_equal(pic_intack(f->p), 0x23);
	pic_set_irq(f->p, 3, 0);
	pic_set_irq(f->p, 3, 1);
	/* latched, but its own level is in service */
	assert_int_equal(irr(f, 0x20), 0x08);
	assert_false(pic_int_pending(f->p));
	outb(f, 0x20, 0x20);
	assert_true(pic_int_pending(f->p));
	assert_int_equal(pic_intack(f->p), 0x23);
}

static void test_imr_masks(void **state)
{
	struct fixture *f = *state;

	init_pc(f, 0x01, 0x01);
	outb(f, 0x21, 0x08);
	pic_set_irq(f->p, 3, 1);
	assert_int_equal(irr(f, 0x20), 0x08);	/* IRR is not affected by the mask */
	assert_false(pic_int_pending(f->p));
	outb(f, 0x21, 0x00);
	assert_true(pic_int_pending(f->p));
	assert_int_equal(pic_intack(f->p), 0x23);
}

static void test_fully_nested(void **state)
{
	struct fixture *f = *state;

	init_pc(f, 0x01, 0x01);
	pic_set_irq(f->p, 5, 1);
	pic_set_irq(f->p, 3, 1);
	assert_int_equal(pic_intack(f->p), 0x23);
	/* IR5 is lower than IR3 in service: blocked */
	assert_false(pic_int_pending(f->p));
	/* IR1 is higher: nests */
	pic_set_irq(f->p, 1, 1);
	assert_true(pic_int_pending(f->p));
	assert_int_equal(pic_intack(f->p), 0x21);
	assert_int_equal(isr(f, 0x20), 0x0A);
	/* non-specific EOI resets the highest-priority IS bit (IR1) */
	outb(f, 0x20, 0x20);
	assert_int_equal(isr(f, 0x20), 0x08);
	assert_false(pic_int_pending(f->p));
	outb(f, 0x20, 0x20);
	assert_int_equal(isr(f, 0x20), 0x00);
	assert_int_equal(pic_intack(f->p), 0x25);
}

static void test_specific_eoi(void **state)
{
	struct fixture *f = *state;

	init_pc(f, 0x01, 0x01);
	pic_set_irq(f->p, 3, 1);
	assert_int_equal(pic_intack(f->p), 0x23);
	pic_set_irq(f->p, 1, 1);
	assert_int_equal(pic_intack(f->p), 0x21);
	outb(f, 0x20, 0x63);			/* specific EOI IR3 */
	assert_int_equal(isr(f, 0x20), 0x02);
	outb(f, 0x20, 0x66);			/* specific EOI of a level not in service */
	assert_int_equal(isr(f, 0x20), 0x02);
	outb(f, 0x20, 0x40);			/* OCW2 no-op */
	assert_int_equal(isr(f, 0x20), 0x02);
	outb(f, 0x20, 0x61);
	assert_int_equal(isr(f, 0x20), 0x00);
	/* non-specific EOI with nothing in service does nothing */
	outb(f, 0x20, 0x20);
	assert_int_equal(isr(f, 0x20), 0x00);
}

static void test_rotate_nonspecific(void **state)
{
	struct fixture *f = *state;

	init_pc(f, 0x01, 0x01);
	pic_set_irq(f->p, 3, 1);
	assert_int_equal(pic_intack(f->p), 0x23);
	outb(f, 0x20, 0xA0);			/* rotate on non-specific EOI: IR3 lowest */
	assert_int_equal(isr(f, 0x20), 0x00);
	/* priority now 4,5,6,7,0,1,2,3 */
	pic_set_irq(f->p, 3, 0);
	pic_set_irq(f->p, 1, 1);
	pic_set_irq(f->p, 6, 1);
	assert_int_equal(pic_intack(f->p), 0x26);
	/* IR1 is below IR6 now: blocked while IR6 is in service */
	assert_false(pic_int_pending(f->p));
	outb(f, 0x20, 0xA0);			/* IR6 lowest: 7,0,1,... */
	assert_int_equal(pic_intack(f->p), 0x21);
	/* rotate with nothing in service changes nothing */
	outb(f, 0x20, 0x20);
	outb(f, 0x20, 0xA0);
	pic_set_irq(f->p, 0, 1);
	pic_set_irq(f->p, 7, 1);
	assert_int_equal(pic_intack(f->p), 0x27);
}

static void test_set_priority(void **state)
{
	struct fixture *f = *state;

	init_pc(f, 0x01, 0x01);
	outb(f, 0x20, 0xC4);			/* IR4 lowest, IR5 highest */
	pic_set_irq(f->p, 0, 1);
	pic_set_irq(f->p, 4, 1);
	pic_set_irq(f->p, 5, 1);
	assert_int_equal(pic_intack(f->p), 0x25);
	/* IR0 and IR4 are lower than IR5 */
	assert_false(pic_int_pending(f->p));
	outb(f, 0x20, 0x20);
	assert_int_equal(pic_intack(f->p), 0x20);
	outb(f, 0x20, 0x20);
	assert_int_equal(pic_intack(f->p), 0x24);
	assert_int_equal(isr(f, 0x20), 0x10);
}

static void test_rotate_specific(void **state)
{
	struct fixture *f = *state;

	init_pc(f, 0x01, 0x01);
	pic_set_irq(f->p, 6, 1);
	assert_int_equal(pic_intack(f->p), 0x26);
	pic_set_irq(f->p, 1, 1);
	assert_int_equal(pic_intack(f->p), 0x21);
	outb(f, 0x20, 0xE6);			/* rotate on specific EOI IR6 */
	assert_int_equal(isr(f, 0x20), 0x02);
	outb(f, 0x20, 0x61);
	/* IR6 lowest: IR7 highest, beats IR0 */
	pic_set_irq(f->p, 0, 1);
	pic_set_irq(f->p, 7, 1);
	assert_int_equal(pic_intack(f->p), 0x27);
}

static void test_aeoi(void **state)
{
	struct fixture *f = *state;

	init_pc(f, 0x03, 0x01);
	pic_set_irq(f->p, 3, 1);
	pic_set_irq(f->p, 5, 1);
	assert_int_equal(pic_intack(f->p), 0x23);
	assert_int_equal(isr(f, 0x20), 0x00);
	/* no EOI needed: the lower IR5 follows right away */
	assert_true(pic_int_pending(f->p));
	assert_int_equal(pic_intack(f->p), 0x25);
	assert_false(pic_int_pending(f->p));
}

static void test_rotate_in_aeoi(void **state)
{
	struct fixture *f = *state;

	init_pc(f, 0x03, 0x01);
	outb(f, 0x20, 0x80);			/* rotate in AEOI mode: set */
	pic_set_irq(f->p, 3, 1);
	assert_int_equal(pic_intack(f->p), 0x23);
	/* IR3 is now lowest: IR4 beats IR1 */
	pic_set_irq(f->p, 1, 1);
	pic_set_irq(f->p, 4, 1);
	assert_int_equal(pic_intack(f->p), 0x24);
	/* IR4 lowest now: IR5.. then IR1 */
	outb(f, 0x20, 0x00);			/* rotate in AEOI mode: clear */
	pic_set_irq(f->p, 6, 1);
	assert_int_equal(pic_intack(f->p), 0x26);
	/* no rotation: IR4 stays lowest, so IR5 beats IR7 (after rotation IR7 would win) */
	pic_set_irq(f->p, 7, 1);
	pic_set_irq(f->p, 5, 1);
	assert_int_equal(pic_intack(f->p), 0x25);
}

static void test_read_register_select(void **state)
{
	struct fixture *f = *state;

	init_pc(f, 0x01, 0x01);
	pic_set_irq(f->p, 3, 1);
	assert_int_equal(pic_intack(f->p), 0x23);
	pic_set_irq(f->p, 5, 1);
	outb(f, 0x20, 0x0B);
	assert_int_equal(inb(f, 0x20), 0x08);
	outb(f, 0x20, 0x08);			/* RR=0: selection unchanged */
	assert_int_equal(inb(f, 0x20), 0x08);
	outb(f, 0x20, 0x0A);
	assert_int_equal(inb(f, 0x20), 0x20);
	assert_int_equal(inb(f, 0x20), 0x20);
	/* A0=1 always reads the IMR */
	outb(f, 0x21, 0x5A);
	assert_int_equal(inb(f, 0x21), 0x5A);
}

static void test_poll(void **state)
{
	struct fixture *f = *state;

	init_pc(f, 0x01, 0x01);
	outb(f, 0x20, 0x0C);			/* poll, nothing pending */
	assert_int_equal(inb(f, 0x20), 0x00);
	pic_set_irq(f->p, 3, 1);
	pic_set_irq(f->p, 6, 1);
	outb(f, 0x20, 0x0C);
	assert_int_equal(inb(f, 0x20), 0x83);	/* I=1, level 3 */
	assert_int_equal(isr(f, 0x20), 0x08);	/* treated as INTA: IS set, IRR reset */
	assert_int_equal(irr(f, 0x20), 0x40);
	/* only the next read polls */
	assert_int_equal(inb(f, 0x20), 0x40);
	outb(f, 0x20, 0x20);
	/* the poll read may come from A0=1 too */
	outb(f, 0x20, 0x0C);
	assert_int_equal(inb(f, 0x21), 0x86);
	outb(f, 0x20, 0x20);
	/* slave poll gives its own level */
	pic_set_irq(f->p, 13, 1);
	outb(f, 0xA0, 0x0C);
	assert_int_equal(inb(f, 0xA0), 0x85);
	assert_int_equal(isr(f, 0xA0), 0x20);
	/* poll honours priority against the in-service level */
	pic_set_irq(f->p, 14, 1);
	outb(f, 0xA0, 0x0C);
	assert_int_equal(inb(f, 0xA0), 0x00);
}

static void test_special_mask(void **state)
{
	struct fixture *f = *state;

	init_pc(f, 0x01, 0x01);
	pic_set_irq(f->p, 3, 1);
	assert_int_equal(pic_intack(f->p), 0x23);
	pic_set_irq(f->p, 5, 1);
	assert_false(pic_int_pending(f->p));
	outb(f, 0x21, 0x08);			/* mask own level */
	assert_false(pic_int_pending(f->p));	/* plain masking does not unblock */
	outb(f, 0x20, 0x68);			/* set special mask mode */
	assert_true(pic_int_pending(f->p));
	assert_int_equal(pic_intack(f->p), 0x25);
	assert_int_equal(isr(f, 0x20), 0x28);
	/* non-specific EOI skips the masked IS bit 3 and clears 5 */
	outb(f, 0x20, 0x20);
	assert_int_equal(isr(f, 0x20), 0x08);
	outb(f, 0x20, 0x48);			/* reset special mask mode */
	pic_set_irq(f->p, 6, 1);
	assert_false(pic_int_pending(f->p));
	outb(f, 0x20, 0x28);			/* ESMM=0: SMM bit ignored */
	assert_false(pic_int_pending(f->p));
	outb(f, 0x20, 0x20);
	assert_int_equal(isr(f, 0x20), 0x00);
	assert_int_equal(pic_intack(f->p), 0x26);
}

static void test_special_mask_unmasked_isr(void **state)
{
	struct fixture *f = *state;

	/* datasheet: SMM enables all other unmasked levels, lower as well as higher; an
	 * unmasked level in service blocks only itself */
	init_pc(f, 0x01, 0x01);
	outb(f, 0x20, 0x68);
	pic_set_irq(f->p, 1, 1);
	assert_int_equal(pic_intack(f->p), 0x21);
	pic_set_irq(f->p, 5, 1);
	assert_int_equal(pic_intack(f->p), 0x25);
	pic_set_irq(f->p, 1, 0);
	pic_set_irq(f->p, 1, 1);
	assert_false(pic_int_pending(f->p));
	outb(f, 0x20, 0x61);
	assert_int_equal(pic_intack(f->p), 0x21);
}

static void test_cascade(void **state)
{
	struct fixture *f = *state;

	init_pc(f, 0x01, 0x01);
	pic_set_irq(f->p, 10, 1);
	assert_int_equal(irr(f, 0xA0), 0x04);
	assert_int_equal(irr(f, 0x20), 0x04);
	assert_true(pic_int_pending(f->p));
	assert_int_equal(pic_intack(f->p), 0x2A);
	assert_int_equal(isr(f, 0x20), 0x04);
	assert_int_equal(isr(f, 0xA0), 0x04);
	assert_int_equal(irr(f, 0x20), 0x00);
	/* a lower slave input waits behind both in-service bits */
	pic_set_irq(f->p, 12, 1);
	assert_false(pic_int_pending(f->p));
	outb(f, 0xA0, 0x20);			/* slave EOI first, like Linux */
	assert_int_equal(isr(f, 0xA0), 0x00);
	assert_int_equal(irr(f, 0x20), 0x04);	/* slave INT re-latched on IR2 */
	assert_false(pic_int_pending(f->p));	/* master IR2 still in service */
	outb(f, 0x20, 0x20);
	assert_true(pic_int_pending(f->p));
	assert_int_equal(pic_intack(f->p), 0x2C);
	/* master EOI first this time */
	outb(f, 0x20, 0x20);
	assert_false(pic_int_pending(f->p));
	outb(f, 0xA0, 0x20);
	assert_false(pic_int_pending(f->p));
	/* a master input above IR2 nests over a slave interrupt */
	pic_set_irq(f->p, 9, 1);
	assert_int_equal(pic_intack(f->p), 0x29);
	pic_set_irq(f->p, 1, 1);
	assert_int_equal(pic_intack(f->p), 0x21);
	pic_set_irq(f->p, 4, 1);
	assert_false(pic_int_pending(f->p));
}

static void test_cascade_slave_masked_by_master(void **state)
{
	struct fixture *f = *state;

	init_pc(f, 0x01, 0x01);
	outb(f, 0x21, 0x04);			/* mask IR2 on the master */
	pic_set_irq(f->p, 11, 1);
	assert_false(pic_int_pending(f->p));
	outb(f, 0x21, 0x00);
	assert_int_equal(pic_intack(f->p), 0x2B);
}

static void test_cascade_not_in_icw3(void **state)
{
	struct fixture *f = *state;

	/* cascade mode but ICW3 says no slave on IR2: the master answers base+2 */
	init_chip(f, 0x20, 0x20, 0x00, 0x01);
	init_chip(f, 0xA0, 0x28, 0x02, 0x01);
	pic_set_irq(f->p, 9, 1);
	assert_int_equal(pic_intack(f->p), 0x22);
	assert_int_equal(isr(f, 0xA0), 0x00);
}

static void test_cascade_aeoi_multiple(void **state)
{
	struct fixture *f = *state;

	/* slave in AEOI with two requests: the second must not be lost */
	init_pc(f, 0x01, 0x03);
	pic_set_irq(f->p, 9, 1);
	pic_set_irq(f->p, 10, 1);
	assert_int_equal(pic_intack(f->p), 0x29);
	assert_int_equal(isr(f, 0xA0), 0x00);
	assert_false(pic_int_pending(f->p));	/* master IR2 in service */
	outb(f, 0x20, 0x20);
	assert_true(pic_int_pending(f->p));
	assert_int_equal(pic_intack(f->p), 0x2A);
	outb(f, 0x20, 0x20);
	/* both in AEOI: back to back */
	init_pc(f, 0x03, 0x03);
	pic_set_irq(f->p, 9, 0);
	pic_set_irq(f->p, 10, 0);
	pic_set_irq(f->p, 9, 1);
	pic_set_irq(f->p, 10, 1);
	assert_int_equal(pic_intack(f->p), 0x29);
	assert_int_equal(pic_intack(f->p), 0x2A);
	assert_false(pic_int_pending(f->p));
	assert_int_equal(pic_intack(f->p), -1);
}

static void test_sfnm(void **state)
{
	struct fixture *f = *state;

	/* fully nested: a higher slave input waits for the master's IR2 EOI */
	init_pc(f, 0x01, 0x01);
	pic_set_irq(f->p, 12, 1);
	assert_int_equal(pic_intack(f->p), 0x2C);
	pic_set_irq(f->p, 9, 1);
	assert_false(pic_int_pending(f->p));
	/* special fully nested mode on the master: it gets through */
	init_pc(f, 0x11, 0x01);
	pic_set_irq(f->p, 12, 0);
	pic_set_irq(f->p, 9, 0);
	pic_set_irq(f->p, 12, 1);
	assert_int_equal(pic_intack(f->p), 0x2C);
	pic_set_irq(f->p, 9, 1);
	assert_true(pic_int_pending(f->p));
	assert_int_equal(pic_intack(f->p), 0x29);
	assert_int_equal(isr(f, 0xA0), 0x12);
	/* but a lower slave input still waits, and IR3 on the master too */
	pic_set_irq(f->p, 13, 1);
	pic_set_irq(f->p, 3, 1);
	assert_false(pic_int_pending(f->p));
}

static void test_spurious_irq7(void **state)
{
	struct fixture *f = *state;

	init_pc(f, 0x01, 0x01);
	outb(f, 0x4D0, 0x20);			/* IRQ5 level */
	pic_set_irq(f->p, 5, 1);
	assert_true(pic_int_pending(f->p));
	pic_set_irq(f->p, 5, 0);		/* request gone before INTA */
	assert_false(pic_int_pending(f->p));
	assert_int_equal(f->level, 0);
	assert_int_equal(pic_intack(f->p), 0x27);
	assert_int_equal(isr(f, 0x20), 0x00);
	/* nothing was asserted since: no INTA */
	assert_int_equal(pic_intack(f->p), -1);
	/* masking after INT rose is another way for the request to vanish */
	pic_set_irq(f->p, 6, 1);
	outb(f, 0x21, 0x40);
	assert_int_equal(pic_intack(f->p), 0x27);
	assert_int_equal(isr(f, 0x20), 0x00);
	assert_int_equal(irr(f, 0x20), 0x40);
}

static void test_spurious_irq15(void **state)
{
	struct fixture *f = *state;

	init_pc(f, 0x01, 0x01);
	outb(f, 0x4D1, 0x04);			/* IRQ10 level */
	pic_set_irq(f->p, 10, 1);
	assert_true(pic_int_pending(f->p));
	pic_set_irq(f->p, 10, 0);
	/* master IR2 is edge: its request stays latched */
	assert_true(pic_int_pending(f->p));
	assert_int_equal(pic_intack(f->p), 0x2F);
	assert_int_equal(isr(f, 0xA0), 0x00);	/* no IS bit on the slave */
	assert_int_equal(isr(f, 0x20), 0x04);	/* the master's IR2 was acknowledged */
	outb(f, 0x20, 0x20);
	assert_int_equal(isr(f, 0x20), 0x00);
	assert_false(pic_int_pending(f->p));
}

static void test_level_trigger(void **state)
{
	struct fixture *f = *state;

	init_pc(f, 0x01, 0x01);
	outb(f, 0x4D1, 0x04);			/* IRQ10 level */
	pic_set_irq(f->p, 10, 1);
	assert_int_equal(pic_intack(f->p), 0x2A);
	assert_int_equal(irr(f, 0xA0), 0x04);	/* IRR follows the line, not reset by INTA */
	outb(f, 0xA0, 0x20);
	outb(f, 0x20, 0x20);
	/* still asserted after the EOIs: interrupts again without any edge */
	assert_true(pic_int_pending(f->p));
	assert_int_equal(pic_intack(f->p), 0x2A);
	pic_set_irq(f->p, 10, 0);
	assert_int_equal(irr(f, 0xA0), 0x00);
	outb(f, 0xA0, 0x20);
	outb(f, 0x20, 0x20);
	assert_false(pic_int_pending(f->p));
	/* a level line raised again is seen at once */
	pic_set_irq(f->p, 10, 1);
	assert_true(pic_int_pending(f->p));
	pic_set_irq(f->p, 10, 0);
	assert_int_equal(irr(f, 0xA0), 0x00);
}

static void test_elcr_forced_edge(void **state)
{
	struct fixture *f = *state;

	outb(f, 0x4D0, 0xFF);
	outb(f, 0x4D1, 0xFF);
	assert_int_equal(inb(f, 0x4D0), 0xF8);	/* IRQ0, 1, 2 always edge */
	assert_int_equal(inb(f, 0x4D1), 0xDE);	/* IRQ8, 13 always edge */
	outw(f, 0x4D0, 0x0000);
	assert_int_equal(inw(f, 0x4D0), 0x0000);
	outw(f, 0x4D0, 0xFFFF);
	assert_int_equal(inw(f, 0x4D0), 0xDEF8);
	/* IRQ0, 8 and 13 behave as edge even with their ELCR bits written */
	init_pc(f, 0x01, 0x01);
	assert_int_equal(inw(f, 0x4D0), 0xDEF8);	/* ICW1 does not touch the ELCR */
	static const unsigned edge[] = { 0, 1, 8, 13 };
	for (unsigned i = 0; i < 4; i++) {
		unsigned irq = edge[i];
		uint8_t vec = irq < 8 ? 0x20 + irq : 0x28 + irq - 8;

		pic_set_irq(f->p, irq, 1);
		assert_int_equal(pic_intack(f->p), vec);
		if (irq >= 8)
			outb(f, 0xA0, 0x20);
		outb(f, 0x20, 0x20);
		assert_false(pic_int_pending(f->p));
		pic_set_irq(f->p, irq, 0);
	}
	/* IRQ3 (bit writable) is level now */
	pic_set_irq(f->p, 3, 1);
	assert_int_equal(pic_intack(f->p), 0x23);
	outb(f, 0x20, 0x20);
	assert_true(pic_int_pending(f->p));
}

static void test_elcr_switch(void **state)
{
	struct fixture *f = *state;

	init_pc(f, 0x01, 0x01);
	outb(f, 0x21, 0xFF);
	pic_set_irq(f->p, 5, 1);
	pic_set_irq(f->p, 6, 1);
	pic_set_irq(f->p, 6, 0);
	assert_int_equal(irr(f, 0x20), 0x60);
	outb(f, 0x4D0, 0x60);			/* to level: IRR is the line */
	assert_int_equal(irr(f, 0x20), 0x20);
	outb(f, 0x4D0, 0x00);			/* back to edge: a fresh edge is needed */
	assert_int_equal(irr(f, 0x20), 0x00);
	pic_set_irq(f->p, 5, 0);
	pic_set_irq(f->p, 5, 1);
	assert_int_equal(irr(f, 0x20), 0x20);
}

static void test_16bit_access(void **state)
{
	struct fixture *f = *state;

	init_pc(f, 0x01, 0x01);
	pic_set_irq(f->p, 3, 1);
	assert_int_equal(pic_intack(f->p), 0x23);
	/* low byte to A0=0 (OCW3: read ISR), high byte to A0=1 (OCW1) */
	outw(f, 0x20, 0xA50B);
	assert_int_equal(inb(f, 0x21), 0xA5);
	assert_int_equal(inw(f, 0x20), 0xA508);
	outw(f, 0xA0, 0x3C0A);
	assert_int_equal(inw(f, 0xA0), 0x3C00);
}

static void test_bad_input(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[4] = { 0, 0, 0, 0 };

	init_pc(f, 0x01, 0x01);
	pic_set_irq(f->p, 16, 1);
	pic_set_irq(f->p, 255, 1);
	pic_set_irq(f->p, 0xFFFFFFFFu, 1);
	pic_set_irq(f->p, 2, 1);		/* the cascade input is not an ISA line */
	assert_false(pic_int_pending(f->p));
	assert_int_equal(irr(f, 0x20), 0);
	assert_int_equal(f->calls, 0);
	/* bytes beyond the two ports read all-ones and are not written */
	pic_master_io(f->p, 2, buf, 1, false);
	assert_int_equal(buf[0], 0xFF);
	memset(buf, 0x77, sizeof(buf));
	pic_master_io(f->p, 1, buf, 4, true);	/* IMR; the 3 bytes past A0=1 go nowhere */
	assert_int_equal(irr(f, 0x20), 0);
	assert_int_equal(isr(f, 0x20), 0);
	memset(buf, 0, sizeof(buf));
	pic_master_io(f->p, 1, buf, 4, false);
	assert_int_equal(buf[0], 0x77);
	assert_int_equal(buf[1], 0xFF);
	assert_int_equal(buf[2], 0xFF);
	assert_int_equal(buf[3], 0xFF);
	pic_elcr_io(f->p, 2, buf, 1, true);
	pic_elcr_io(f->p, 5, buf, 1, false);
	assert_int_equal(buf[0], 0xFF);
	pic_slave_io(f->p, 0x1000, buf, 1, false);
	assert_int_equal(buf[0], 0xFF);
}

static void test_reset(void **state)
{
	struct fixture *f = *state;

	init_pc(f, 0x03, 0x01);
	outb(f, 0x4D0, 0x20);
	pic_set_irq(f->p, 5, 1);
	pic_set_irq(f->p, 9, 1);
	assert_true(pic_int_pending(f->p));
	assert_int_equal(pic_intack(f->p), 0x29);	/* IR2 (slave) above IR5 */
	assert_true(pic_int_pending(f->p));
	pic_reset(f->p);
	assert_false(pic_int_pending(f->p));
	assert_int_equal(f->level, 0);
	assert_int_equal(inb(f, 0x21), 0xFF);
	assert_int_equal(inb(f, 0xA1), 0xFF);
	assert_int_equal(inb(f, 0x4D0), 0x00);
	assert_int_equal(isr(f, 0x20), 0x00);
	assert_int_equal(irr(f, 0x20), 0x00);
	assert_int_equal(irr(f, 0xA0), 0x00);
	assert_int_equal(pic_intack(f->p), -1);
	/* and it initialises like new: the high lines need a fresh edge */
	init_pc(f, 0x01, 0x01);
	assert_false(pic_int_pending(f->p));
	pic_set_irq(f->p, 5, 0);
	pic_set_irq(f->p, 5, 1);
	assert_int_equal(pic_intack(f->p), 0x25);
}

static void test_int_callback_changes_only(void **state)
{
	struct fixture *f = *state;

	init_pc(f, 0x01, 0x01);
	pic_set_irq(f->p, 3, 1);
	pic_set_irq(f->p, 4, 1);
	pic_set_irq(f->p, 5, 1);
	assert_int_equal(f->calls, 1);
	outb(f, 0x21, 0x00);
	outb(f, 0x20, 0x0A);
	assert_int_equal(f->calls, 1);
	outb(f, 0x21, 0xFF);
	assert_int_equal(f->calls, 2);
	assert_int_equal(f->level, 0);
	outb(f, 0x21, 0x00);
	assert_int_equal(f->calls, 3);
	assert_int_equal(f->level, 1);
	assert_int_equal(pic_intack(f->p), 0x23);	/* IR4 blocked: INT drops */
	assert_int_equal(f->calls, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_power_on),
		T(test_icw_cascade_ic4),
		T(test_icw_single_no_ic4),
		T(test_icw_cascade_no_ic4),
		T(test_icw_ac_icw4_aeoi_previous_cleared),
		T(test_icw1_resets_state),
		T(test_edge_trigger),
		T(test_edge_reraise_while_in_service),
		T(test_imr_masks),
		T(test_fully_nested),
		T(test_specific_eoi),
		T(test_rotate_nonspecific),
		T(test_set_priority),
		T(test_rotate_specific),
		T(test_aeoi),
		T(test_rotate_in_aeoi),
		T(test_read_register_select),
		T(test_poll),
		T(test_special_mask),
		T(test_special_mask_unmasked_isr),
		T(test_cascade),
		T(test_cascade_slave_masked_by_master),
		T(test_cascade_not_in_icw3),
		T(test_cascade_aeoi_multiple),
		T(test_sfnm),
		T(test_spurious_irq7),
		T(test_spurious_irq15),
		T(test_level_trigger),
		T(test_elcr_forced_edge),
		T(test_elcr_switch),
		T(test_16bit_access),
		T(test_bad_input),
		T(test_reset),
		T(test_int_callback_changes_only),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
