/* robust.c - a guest that does what a buggy or hostile kernel might, and checks that vfvm
 * keeps running and answers sanely: unclaimed ports and MMIO (reads float high: all ones),
 * wrong access sizes on 8-bit devices, garbage control words, out-of-range register
 * indexes, and string I/O (rep outsb/insb: one exit with count > 1) through COM1 in
 * loopback. Reaching DONE is the main check: vfvm must neither crash nor stop the VM.
 * Avoided on purpose: 0xF4 (debug exit), 0x64/0xCF9 (reset), 0x3F8 outside loopback
 * (the console). */
#include "rt.h"

const char guest_name[] = "robust";

#define COM1 0x3F8

static void test_unclaimed(void)
{
	uint8_t b = inb(0x250);
	uint16_t w = inw(0x254);
	uint32_t l = inl(0x258);
	uint32_t m = mmio_read32(0xF0000000u);	/* in the PCI hole, where neither vfvm nor QEMU -M pc puts a BAR here */

	outb(0x250, 0x5A);
	outl(0x258, 0xDEADBEEF);
	mmio_write32(0xF0000000u, 0xDEADBEEF);
	check("unclaimed_port_reads_ones", b == 0xFF && w == 0xFFFF && l == 0xFFFFFFFFu,
	      "inb 0x%x inw 0x%x inl 0x%x", b, w, l);
	check("unclaimed_mmio_reads_ones", m == 0xFFFFFFFFu && mmio_read32(0xF0000000u) == m,
	      "read 0x%x", m);
}

/* Wrong sizes and garbage on the legacy devices, then they must still work. */
static void test_garbage(void)
{
	uint16_t mask;

	cli();
	(void)inw(0x20);
	(void)inl(0x40);
	outw(0x42, 0xFFFF);
	outb(0x43, 0xFF);			/* read-back of nothing */
	outb(0x43, 0xC0);			/* read-back with no counter selected */
	for (int i = 0; i < 4; i++)
		(void)inb(0x40 + i);
	outl(0x70, 0xFFFFFFFFu);
	(void)inb(0x71);
	outb(0x70, 0x7F);
	(void)inb(0x71);
	outw(0x4D0, 0xFFFF);
	outw(0x4D0, 0x0000);
	/* I/O APIC: index beyond the table, odd sizes. */
	mmio_write32(IOAPIC_BASE, 0xFF);
	(void)mmio_read32(IOAPIC_BASE + 0x10);
	mmio_write32(IOAPIC_BASE + 0x10, 0x12345678);
	*(volatile uint8_t *)(IOAPIC_BASE + 0x11) = 0xAA;
	(void)*(volatile uint16_t *)(IOAPIC_BASE + 0x12);
	(void)mmio_read32(IOAPIC_BASE + 0x40);
	/* An 8259A init sequence cut short by another ICW1, then a proper one. */
	outb(0x20, 0x11);
	outb(0x21, 0x20);
	outb(0x20, 0x11);
	pic_init(PIC_BASE_MASTER, PIC_BASE_SLAVE, false);
	pic_set_mask(0xA5FB);
	mask = pic_get_mask();
	pic_set_mask(0xFFFB);
	check_eq("pic_after_garbage", mask, 0xA5FB);
	pit_stop();
	delay_us(1000);
	pass("pit_after_garbage");
}

/* rep outsb / rep insb: KVM_EXIT_IO with count > 1, through the UART in FIFO loopback. */
static void test_string_io(void)
{
	static const char msg[] = "string-io";
	char got[sizeof(msg)] = { 0 };
	uint32_t n = sizeof(msg) - 1;
	const char *s = msg;
	char *d = got;
	uint8_t lsr;

	outb(COM1 + 2, 0x07);			/* FIFO on, cleared */
	outb(COM1 + 4, 0x10);			/* loopback */
	__asm__ volatile("cld; rep outsb" : "+S"(s), "+c"(n) : "d"(COM1) : "memory");
	n = sizeof(msg) - 1;
	__asm__ volatile("cld; rep insb" : "+D"(d), "+c"(n) : "d"(COM1) : "memory");
	lsr = inb(COM1 + 5);
	outb(COM1 + 4, 0x03);
	outb(COM1 + 2, 0x00);
	check("rep_outsb_insb", !memcmp(got, msg, sizeof(msg) - 1), "read back \"%s\"", got);
	check("rep_insb_drained", !(lsr & 1), "LSR 0x%x: data left in the FIFO", lsr);
}

void guest_main(uint32_t magic, uint32_t info)
{
	(void)magic, (void)info;
	test_unclaimed();
	test_garbage();
	test_string_io();
}
