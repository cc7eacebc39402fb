/* uart.c - COM1 as a 16550A (PC16550D datasheet): scratch register, LSR bits, loopback
 * (§8.7: MSR follows MCR), the 16-byte FIFOs and overrun, IIR priorities (line status >
 * received data > THR empty, §8.4 Table 4) and the THRE interrupt on IRQ4 through the PIC.
 * Results are gathered with the port in loopback or with interrupts on, and printed after. */
#include "rt.h"

const char guest_name[] = "uart";

#define COM1 0x3F8
#define RBR (COM1 + 0)
#define THR (COM1 + 0)
#define IER (COM1 + 1)
#define IIR (COM1 + 2)
#define FCR (COM1 + 2)
#define LCR (COM1 + 3)
#define MCR (COM1 + 4)
#define LSR (COM1 + 5)
#define MSR (COM1 + 6)
#define SCR (COM1 + 7)

static volatile uint8_t irq_iir;

static void h_irq4(uint32_t vec)
{
	(void)vec;
	irq_iir = inb(IIR);	/* reading IIR with THRE as the source clears it */
	pic_eoi(4);
}

struct results {
	uint8_t scr, lsr_idle, lsr_dr, rbr, lsr_after;
	uint8_t msr_all, msr_dtr;
	uint8_t iir_fifo, fifo_lsr17, fifo_bad, fifo_lsr_end;
	uint8_t lsr_oe, rbr_oe;
	uint8_t iir_none, iir_thre, iir_after_read, iir_rda, iir_thre2, iir_rls, iir_rda2,
		iir_thre3;
	uint16_t irr_loop;
};

static void gather(struct results *r)
{
	(void)inb(LSR);
	outb(SCR, 0xA5);
	r->scr = inb(SCR);
	r->lsr_idle = inb(LSR);

	outb(FCR, 0x00);
	outb(MCR, 0x10);			/* loopback */
	outb(THR, 0x55);
	r->lsr_dr = inb(LSR);
	r->rbr = inb(RBR);
	r->lsr_after = inb(LSR);
	outb(MCR, 0x1F);
	r->msr_all = inb(MSR) & 0xF0;
	outb(MCR, 0x11);
	r->msr_dtr = inb(MSR) & 0xF0;

	/* FIFO: 16 bytes fit, the 17th overruns and is lost. */
	outb(FCR, 0x07);
	r->iir_fifo = inb(IIR);
	for (int i = 0; i < 17; i++)
		outb(THR, 0x30 + i);
	r->fifo_lsr17 = inb(LSR);
	r->fifo_bad = 0xFF;
	for (int i = 0; i < 16; i++)
		if (inb(RBR) != 0x30 + i && r->fifo_bad == 0xFF)
			r->fifo_bad = i;
	r->fifo_lsr_end = inb(LSR);

	/* No FIFO: a second byte before the first is read overruns RBR (OE), keeping the new. */
	outb(FCR, 0x06);
	outb(FCR, 0x00);
	outb(THR, 0x11);
	outb(THR, 0x22);
	r->lsr_oe = inb(LSR);
	r->rbr_oe = inb(RBR);

	/* IIR (interrupt output is off in loopback, the identification is not). */
	outb(IER, 0x00);
	r->iir_none = inb(IIR);
	outb(IER, 0x02);
	r->iir_thre = inb(IIR);
	r->iir_after_read = inb(IIR);
	outb(IER, 0x07);
	outb(THR, 0x33);
	r->iir_rda = inb(IIR);
	r->irr_loop = pic_read_irr();
	(void)inb(RBR);
	r->iir_thre2 = inb(IIR);
	outb(THR, 0x44);
	outb(THR, 0x45);			/* overrun */
	r->iir_rls = inb(IIR);
	(void)inb(LSR);
	r->iir_rda2 = inb(IIR);
	(void)inb(RBR);
	r->iir_thre3 = inb(IIR);
	outb(IER, 0x00);
	outb(MCR, 0x03);
	(void)inb(LSR);
	(void)inb(RBR);
}

static void report(const struct results *r)
{
	check_eq("scratch", r->scr, 0xA5);
	check("lsr_idle", (r->lsr_idle & 0x61) == 0x60, "LSR 0x%x, want THRE|TEMT, no DR", r->lsr_idle);
	check("loopback_dr", r->lsr_dr & 0x01, "LSR 0x%x after a loopback byte", r->lsr_dr);
	check_eq("loopback_byte", r->rbr, 0x55);
	check("dr_cleared", !(r->lsr_after & 0x01), "LSR 0x%x after reading RBR", r->lsr_after);
	check_eq("loopback_msr_all", r->msr_all, 0xF0);
	check_eq("loopback_msr_dtr_dsr", r->msr_dtr, 0x20);
	check_eq("fifo_enabled_iir", r->iir_fifo & 0xC0, 0xC0);
	check("fifo_overrun", (r->fifo_lsr17 & 0x03) == 0x03, "LSR 0x%x after 17 bytes, want DR|OE",
	      r->fifo_lsr17);
	check("fifo_16_bytes", r->fifo_bad == 0xFF, "byte %u of 16 differs", r->fifo_bad);
	check("fifo_empty", !(r->fifo_lsr_end & 0x03), "LSR 0x%x after 16 reads", r->fifo_lsr_end);
	check("overrun_nofifo", (r->lsr_oe & 0x03) == 0x03, "LSR 0x%x, want DR|OE", r->lsr_oe);
	check_eq("overrun_keeps_new", r->rbr_oe, 0x22);
	check_eq("iir_none", r->iir_none, 0x01);
	check_eq("iir_thre", r->iir_thre, 0x02);
	check_eq("iir_thre_cleared_by_read", r->iir_after_read, 0x01);
	check_eq("iir_rda_over_thre", r->iir_rda, 0x04);
	check("loopback_no_irq", !(r->irr_loop & 0x10),
	      "IRR 0x%x: IRQ4 raised in loopback (§8.7 forces OUT2 inactive)", r->irr_loop);
	check_eq("iir_thre_after_rda", r->iir_thre2, 0x02);
	check_eq("iir_rls_highest", r->iir_rls, 0x06);
	check_eq("iir_rda_after_rls", r->iir_rda2, 0x04);
	check_eq("iir_thre_last", r->iir_thre3, 0x02);
}

static void test_thre_irq(void)
{
	uint32_t n;

	irq_iir = 0;
	cli();
	outb(MCR, 0x0B);			/* DTR RTS OUT2: INTR reaches IRQ4 */
	pic_set_mask(0xFFFB & ~0x10);
	outb(IER, 0x02);
	sti();
	for (int i = 0; i < 2000 && !irq_count[PIC_BASE_MASTER + 4]; i++)
		(void)inb(0x21);
	for (int i = 0; i < 200; i++)		/* no second interrupt once IIR was read */
		(void)inb(0x21);
	cli();
	n = irq_count[PIC_BASE_MASTER + 4];
	outb(IER, 0x00);
	pic_set_mask(0xFFFB);
	outb(MCR, 0x03);
	check_eq("thre_irq4_once", n, 1);
	check_eq("thre_irq4_iir", irq_iir, 0x02);
}

void guest_main(uint32_t magic, uint32_t info)
{
	struct results r;

	(void)magic, (void)info;
	pit_stop();
	pic_init(PIC_BASE_MASTER, PIC_BASE_SLAVE, false);
	idt_set_handler(PIC_BASE_MASTER + 4, h_irq4);
	gather(&r);
	report(&r);
	test_thre_irq();
}
