/* ioapic.c - interrupts through the I/O APIC (82093AA datasheet) with the 8259As masked
 * and the local APIC enabled (SDM vol. 3 §10.4.3): register reads (version, 24 entries),
 * redirection entry read-back, IRQ0 on pin 2 (the ISA IRQ0 -> pin 2 override of the MP
 * table) as an edge, COM1's THRE interrupt on pin 4 as a level interrupt: remote IRR set
 * while in service and cleared by the local APIC's EOI (broadcast to the I/O APIC),
 * re-delivery when the line is still high at EOI, and a level held while masked delivered
 * at unmask. */
#include "rt.h"

const char guest_name[] = "ioapic";

#define COM1 0x3F8
#define VEC_PIT 0x40
#define VEC_UART 0x41
#define RIRR (1u << 14)
#define LEVEL (1u << 15)
#define MASKED (1u << 16)

static volatile uint32_t pit_isr_bit, uart_rirr_in, uart_rirr_after;
static volatile unsigned uart_lower_after = 1;	/* lower the line on the n-th delivery */

static void h_pit(uint32_t vec)
{
	(void)vec;
	pit_isr_bit = lapic_read(LAPIC_ISR + 0x10 * (VEC_PIT / 32)) & (1u << (VEC_PIT % 32));
	lapic_eoi();
}

static void h_uart(uint32_t vec)
{
	(void)vec;
	if (irq_count[VEC_UART] == 1)
		uart_rirr_in = (uint32_t)ioapic_get_entry(4) & RIRR;
	if (irq_count[VEC_UART] >= uart_lower_after)
		outb(COM1 + 1, 0x00);		/* IER off: the line goes low */
	lapic_eoi();
	if (irq_count[VEC_UART] == 1)
		uart_rirr_after = (uint32_t)ioapic_get_entry(4) & RIRR;
}

static void test_registers(void)
{
	uint32_t ver = ioapic_read(1), lver = lapic_read(LAPIC_VER);
	uint64_t e;

	printf("  I/O APIC id 0x%x version 0x%x; LAPIC id %u version 0x%x\n", ioapic_read(0),
	       ver, lapic_id(), lver);
	check_eq("max_redir_entry", (ver >> 16) & 0xFF, 23);
	check("lapic_integrated", (lver & 0xFF) >= 0x10, "LAPIC version 0x%x", lver);
	ioapic_set_entry(10, MASKED | LEVEL | (1u << 13) | 0x55 | (uint64_t)0x0F << 56);
	e = ioapic_get_entry(10);
	ioapic_set_entry(10, MASKED);
	check("redir_readback", (uint32_t)e == (MASKED | LEVEL | (1u << 13) | 0x55) &&
	      (uint32_t)(e >> 32) == 0x0F000000u, "entry 0x%x_%x", (uint32_t)(e >> 32), (uint32_t)e);
}

static void test_pit_edge(void)
{
	uint32_t n, pic = 0;

	ioapic_set_entry(2, VEC_PIT | (uint64_t)lapic_id() << 56);	/* edge, high, fixed */
	pit_periodic(5966);						/* 200 Hz */
	sti();
	pit_wait_ticks(60000);						/* 50 ms */
	cli();
	pit_stop();
	ioapic_set_entry(2, MASKED);
	n = irq_count[VEC_PIT];
	for (int v = 0x20; v < 0x30; v++)
		pic += irq_count[v];
	/* The rate is the pit guest's business: here IRQ0 must arrive repeatedly, on pin 2. */
	check("pin2_irq0", n >= 3 && n <= 15, "%u interrupts at vector 0x%x in 50 ms at 200 Hz", n,
	      VEC_PIT);
	check("pin2_lapic_isr", pit_isr_bit, "vector 0x%x not in service in its handler", VEC_PIT);
	check_eq("no_pic_vectors", pic, 0);
}

static void uart_line(bool high)
{
	outb(COM1 + 4, 0x0B);			/* OUT2: INTR reaches the interrupt line */
	outb(COM1 + 1, high ? 0x02 : 0x00);
}

static void test_uart_level(void)
{
	uint32_t n;

	ioapic_set_entry(4, LEVEL | VEC_UART | (uint64_t)lapic_id() << 56);
	uart_lower_after = 1;
	uart_line(true);
	sti();
	delay_us(5000);
	cli();
	n = irq_count[VEC_UART];
	check_eq("pin4_level_once", n, 1);
	check("pin4_remote_irr_set", uart_rirr_in, "remote IRR clear while in service");
	check("pin4_remote_irr_eoi", !uart_rirr_after, "remote IRR still set after the EOI");
	check("pin4_remote_irr_idle", !(ioapic_get_entry(4) & RIRR), "entry 0x%x",
	      (uint32_t)ioapic_get_entry(4));

	/* EOI with the line still high: the I/O APIC sends it again (82093AA §3.2.4). */
	irq_count[VEC_UART] = 0;
	uart_lower_after = 2;
	uart_line(true);
	sti();
	delay_us(5000);
	cli();
	check_eq("pin4_level_redeliver", irq_count[VEC_UART], 2);

	/* Held high while masked: delivered at unmask. */
	irq_count[VEC_UART] = 0;
	uart_lower_after = 1;
	ioapic_set_entry(4, MASKED | LEVEL | VEC_UART | (uint64_t)lapic_id() << 56);
	uart_line(true);
	sti();
	delay_us(3000);
	n = irq_count[VEC_UART];
	ioapic_set_entry(4, LEVEL | VEC_UART | (uint64_t)lapic_id() << 56);
	delay_us(3000);
	cli();
	check_eq("pin4_masked_none", n, 0);
	check_eq("pin4_unmask_delivers", irq_count[VEC_UART], 1);
	uart_line(false);
	ioapic_set_entry(4, MASKED);
	outb(COM1 + 4, 0x03);
}

void guest_main(uint32_t magic, uint32_t info)
{
	(void)magic, (void)info;
	pit_stop();
	pic_init(PIC_BASE_MASTER, PIC_BASE_SLAVE, false);
	pic_set_mask(0xFFFF);
	lapic_enable(0xFF);
	idt_set_handler(VEC_PIT, h_pit);
	idt_set_handler(VEC_UART, h_uart);
	test_registers();
	test_pit_edge();
	test_uart_level();
	check_eq("no_spurious", irq_count[0xFF], 0);
}
