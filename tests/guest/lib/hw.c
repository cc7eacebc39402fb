/* hw.c - helpers for the PC interrupt controllers and timer the guests test: 8259A
 * (ICW1-4, OCW2/3: 8259A datasheet), 8254 (control word, counter 2 gate at port 0x61),
 * local APIC (SDM vol. 3 ch. 10) and I/O APIC (82093AA datasheet §3.0: IOREGSEL/IOWIN). */
#include "rt.h"

/* ICW1: edge, cascade, ICW4 needed; ICW3: slave on IR2 / slave ID 2; ICW4: 8086 mode. */
void pic_init(uint8_t master_vec, uint8_t slave_vec, bool auto_eoi)
{
	uint8_t icw4 = 0x01 | (auto_eoi ? 0x02 : 0);

	outb(0x20, 0x11);
	outb(0x21, master_vec);
	outb(0x21, 0x04);
	outb(0x21, icw4);
	outb(0xA0, 0x11);
	outb(0xA1, slave_vec);
	outb(0xA1, 0x02);
	outb(0xA1, icw4);
	pic_set_mask(0xFFFB);	/* everything masked except the cascade */
}

void pic_set_mask(uint16_t mask)
{
	outb(0x21, mask & 0xFF);
	outb(0xA1, mask >> 8);
}

uint16_t pic_get_mask(void)
{
	return inb(0x21) | (uint16_t)inb(0xA1) << 8;
}

/* OCW2 0x20: non-specific EOI; 0x60|n: specific EOI for level n. */
void pic_eoi(unsigned irq)
{
	if (irq >= 8)
		outb(0xA0, 0x20);
	outb(0x20, 0x20);
}

void pic_specific_eoi(unsigned irq)
{
	if (irq >= 8) {
		outb(0xA0, 0x60 | (irq & 7));
		outb(0x20, 0x60 | 2);
		return;
	}
	outb(0x20, 0x60 | irq);
}

/* OCW3: 0x0A selects IRR, 0x0B ISR for the next read of the command port. */
static uint16_t pic_read_ocw3(uint8_t ocw3)
{
	outb(0x20, ocw3);
	outb(0xA0, ocw3);
	return inb(0x20) | (uint16_t)inb(0xA0) << 8;
}

uint16_t pic_read_irr(void)
{
	return pic_read_ocw3(0x0A);
}

uint16_t pic_read_isr(void)
{
	return pic_read_ocw3(0x0B);
}

/* Counter 0, lobyte/hibyte, mode 2 (rate generator), binary: control word 0x34. */
void pit_periodic(uint16_t divisor)
{
	outb(0x43, 0x34);
	outb(0x40, divisor & 0xFF);
	outb(0x40, divisor >> 8);
}

/* Mode 0 with no count written yet holds OUT0 low: IRQ0 stops. */
void pit_stop(void)
{
	outb(0x43, 0x30);
}

/* Counter 2 in mode 0: OUT2 (port 0x61 bit 5) goes high at terminal count; gate = bit 0,
 * speaker (bit 1) off. A count of 0 means 65536. */
void pit_wait_ticks(uint32_t ticks)
{
	unsigned spin = 10000000;

	if (ticks > 65536)
		ticks = 65536;
	outb(0x61, (inb(0x61) & ~0x03) | 0x01);
	outb(0x43, 0xB0);	/* counter 2, lobyte/hibyte, mode 0 */
	outb(0x42, ticks & 0xFF);
	outb(0x42, (ticks >> 8) & 0xFF);
	while (!(inb(0x61) & 0x20) && --spin)
		;
}

void delay_us(uint32_t us)
{
	while (us) {
		uint32_t chunk = us > 50000 ? 50000 : us;
		/* ticks = us * 1.193182, without 64-bit division */
		uint32_t t = chunk + chunk / 5 - chunk / 147;
		pit_wait_ticks(t ? t : 1);
		us -= chunk;
	}
}

void lapic_enable(uint8_t spurious_vector)
{
	lapic_write(LAPIC_SVR, 0x100 | spurious_vector);
	lapic_write(LAPIC_TPR, 0);
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

uint32_t lapic_id(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}

bool lapic_send_ipi(uint32_t dest, uint32_t lo)
{
	unsigned spin = 100000;

	lapic_write(LAPIC_ICR_HI, dest << 24);
	lapic_write(LAPIC_ICR_LO, lo);
	while ((lapic_read(LAPIC_ICR_LO) & 0x1000) && --spin)
		cpu_relax();
	return spin != 0;
}

uint32_t ioapic_read(uint32_t reg)
{
	mmio_write32(IOAPIC_BASE, reg);
	return mmio_read32(IOAPIC_BASE + 0x10);
}

void ioapic_write(uint32_t reg, uint32_t v)
{
	mmio_write32(IOAPIC_BASE, reg);
	mmio_write32(IOAPIC_BASE + 0x10, v);
}

uint64_t ioapic_get_entry(unsigned pin)
{
	uint32_t lo = ioapic_read(0x10 + 2 * pin);
	uint32_t hi = ioapic_read(0x11 + 2 * pin);
	return (uint64_t)hi << 32 | lo;
}

/* Write the high half first and the low half (with the mask bit) last. */
void ioapic_set_entry(unsigned pin, uint64_t e)
{
	ioapic_write(0x10 + 2 * pin, (uint32_t)e | 0x10000);
	ioapic_write(0x11 + 2 * pin, (uint32_t)(e >> 32));
	ioapic_write(0x10 + 2 * pin, (uint32_t)e);
}

/* Poll until *@v >= @n or about @us microseconds (<= 54 ms) passed on counter 2. Each poll
 * is a port read (a VM exit, where the VMM may inject an interrupt). */
bool wait_count(volatile uint32_t *v, uint32_t n, uint32_t us)
{
	uint32_t t = us + us / 5 - us / 147;

	if (t > 65536)
		t = 65536;
	outb(0x61, (inb(0x61) & ~0x03) | 0x01);
	outb(0x43, 0xB0);
	outb(0x42, t & 0xFF);
	outb(0x42, (t >> 8) & 0xFF);
	while (*v < n)
		if (inb(0x61) & 0x20)
			return *v >= n;
	return true;
}

extern char ap_tramp_start[], ap_tramp_end[];

/* The universal start-up algorithm (SDM vol. 3 §8.4.4.1; MPS 1.4 §B.4): INIT, 10 ms, SIPI,
 * 200 us, SIPI, to all excluding self. The SIPI vector is the trampoline's page number. */
void smp_start(void)
{
	memcpy((void *)AP_TRAMPOLINE, ap_tramp_start, ap_tramp_end - ap_tramp_start);
	lapic_send_ipi(0, 0x000C4500);		/* all-but-self, level assert, INIT */
	delay_us(10000);
	lapic_send_ipi(0, 0x000C4600 | (AP_TRAMPOLINE >> 12));
	delay_us(200);
	lapic_send_ipi(0, 0x000C4600 | (AP_TRAMPOLINE >> 12));
}
