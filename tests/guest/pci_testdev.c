/* pci_testdev.c - the PCI layer seen from a guest: enumerates bus 0 through 0xCF8/0xCFC,
 * sizes and moves the test device's BARs, talks to it through each BAR, checks the RAM BAR
 * and the doorbell cause no exits, round-trips DMA, and receives INTx, MSI and MSI-X. */
#include "rt.h"
#include "../../src/pci/testdev.h"

const char guest_name[] = "pci_testdev";

#define IO_BASE		0xd000u
#define REGS_BASE	0xe0000000u
#define MSIX_BASE	0xe0001000u
#define RAM_BASE	0xe0100000u	/* the 64-bit BAR moved below 4 GiB */
#define V_INTX		0x40
#define V_MSI		0x41
#define V_MSIX		0x42

static unsigned slot;

static uint32_t cfg_addr(unsigned s, unsigned reg)
{
	return 0x80000000u | s << 11 | (reg & 0xfc);
}

static uint32_t cfg_read32(unsigned s, unsigned reg)
{
	outl(0xcf8, cfg_addr(s, reg));
	return inl(0xcfc);
}

static uint16_t cfg_read16(unsigned s, unsigned reg)
{
	outl(0xcf8, cfg_addr(s, reg));
	return inw(0xcfc + (reg & 2));
}

static uint8_t cfg_read8(unsigned s, unsigned reg)
{
	outl(0xcf8, cfg_addr(s, reg));
	return inb(0xcfc + (reg & 3));
}

static void cfg_write32(unsigned s, unsigned reg, uint32_t v)
{
	outl(0xcf8, cfg_addr(s, reg));
	outl(0xcfc, v);
}

static void cfg_write16(unsigned s, unsigned reg, uint16_t v)
{
	outl(0xcf8, cfg_addr(s, reg));
	outw(0xcfc + (reg & 2), v);
}

static uint32_t reg(uint32_t off) { return mmio_read32(REGS_BASE + off); }
static void reg_w(uint32_t off, uint32_t v) { mmio_write32(REGS_BASE + off, v); }

static unsigned find_cap(unsigned s, uint8_t id)
{
	unsigned off = cfg_read8(s, 0x34) & 0xfc;

	for (int n = 0; n < 48 && off >= 0x40; n++) {
		if (cfg_read8(s, off) == id)
			return off;
		off = cfg_read8(s, off + 1) & 0xfc;
	}
	return 0;
}

static bool wait_irq(unsigned vector, uint32_t before)
{
	for (int i = 0; i < 200000; i++) {
		if (irq_count[vector] != before)
			return true;
		cpu_relax();
	}
	return false;
}

static void enumerate(void)
{
	unsigned n = 0;

	check_eq("bridge.id", cfg_read32(0, 0), 0x12378086);
	check_eq("bridge.class", cfg_read32(0, 8) >> 8, 0x060000);
	check_eq("latch", (outl(0xcf8, 0x80000000u), inl(0xcf8)), 0x80000000u);
	slot = 0;
	for (unsigned s = 0; s < 32; s++) {
		uint32_t id = cfg_read32(s, 0);

		if (id == 0xffffffffu)
			continue;
		n++;
		if (id == TESTDEV_ID_VALUE)
			slot = s;
	}
	check("found", slot != 0, "no test device on bus 0");
	check_eq("ndevices", n, 2);
	outl(0xcf8, 0x80000000u | 1 << 8);	/* 00.1: single-function bridge */
	check_eq("absent_fn", inl(0xcfc), 0xffffffffu);
	outl(0xcf8, 0);			/* enable bit clear: no config cycle */
	check_eq("disabled", inl(0xcfc), 0xffffffffu);
}

static uint32_t bar_size(unsigned b, uint32_t *type)
{
	unsigned r = 0x10 + 4 * b;
	uint32_t old = cfg_read32(slot, r), v;

	cfg_write32(slot, r, 0xffffffffu);
	v = cfg_read32(slot, r);
	cfg_write32(slot, r, old);
	*type = v & ((v & 1) ? 3 : 15);
	return ~(v & ((v & 1) ? ~3u : ~15u)) + 1;
}

static void size_and_move(void)
{
	uint32_t t;

	cfg_write16(slot, 4, 0);
	check_eq("bar0.size", bar_size(0, &t), TESTDEV_IO_SIZE);
	check_eq("bar0.type", t, 1);
	check_eq("bar1.size", bar_size(1, &t), TESTDEV_REGS_SIZE);
	check_eq("bar1.type", t, 0);
	check_eq("bar2.size", bar_size(2, &t), 1u << 20);
	check_eq("bar2.type", t, 0xc);		/* 64-bit prefetchable */
	check_eq("bar4.size", bar_size(4, &t), TESTDEV_MSIX_SIZE);
	check_eq("bar5", cfg_read32(slot, 0x24), 0);
	/* vfvm's placement is naturally aligned and inside the windows. */
	uint32_t b1 = cfg_read32(slot, 0x14) & ~15u;

	check("placed", b1 >= 0xc0000000u && b1 < 0xfec00000u && !(b1 & 0xfff), "BAR1 at 0x%x", b1);
	cfg_write32(slot, 0x10, IO_BASE);
	cfg_write32(slot, 0x14, REGS_BASE);
	cfg_write32(slot, 0x18, RAM_BASE);
	cfg_write32(slot, 0x1c, 0);
	cfg_write32(slot, 0x20, MSIX_BASE);
	cfg_write16(slot, 4, 0x0007);	/* I/O, memory, bus master */
	check_eq("moved", cfg_read32(slot, 0x14), REGS_BASE);
}

static void talk(void)
{
	check_eq("mmio.id", reg(TESTDEV_ID), TESTDEV_ID_VALUE);
	check_eq("mmio.version", reg(TESTDEV_VERSION), TESTDEV_VERSION_VALUE);
	check_eq("io.id", inl(IO_BASE + TESTDEV_ID), TESTDEV_ID_VALUE);
	reg_w(TESTDEV_SCRATCH, 0xdeadbeef);
	check_eq("scratch", inl(IO_BASE + TESTDEV_SCRATCH), 0xdeadbeef);
	outl(IO_BASE + TESTDEV_SCRATCH, 0x12345678);
	check_eq("scratch2", reg(TESTDEV_SCRATCH), 0x12345678);
	/* Memory decoding off: the BAR is gone. */
	cfg_write16(slot, 4, 0x0005);
	check_eq("mem_off", reg(TESTDEV_ID), 0xffffffffu);
	cfg_write16(slot, 4, 0x0007);
	check_eq("mem_on", reg(TESTDEV_ID), TESTDEV_ID_VALUE);
}

static void ram_bar(void)
{
	volatile uint32_t *ram = (volatile uint32_t *)RAM_BASE;
	uint32_t e0, e1, bad = 0;

	e0 = reg(TESTDEV_MMIO_EXITS);
	for (uint32_t i = 0; i < 256; i++)
		ram[i * 1024] = i * 0x01010101u ^ 0xa5a5a5a5u;
	for (uint32_t i = 0; i < 256; i++)
		bad += ram[i * 1024] != (i * 0x01010101u ^ 0xa5a5a5a5u);
	e1 = reg(TESTDEV_MMIO_EXITS);
	check_eq("ram.readback", bad, 0);
	/* 512 accesses to the RAM BAR, one MMIO exit: the counter read itself. */
	check_eq("ram.no_exits", e1 - e0, 1);
}

static uint8_t buf_a[4096] __attribute__((aligned(4096)));
static uint8_t buf_b[4096] __attribute__((aligned(4096)));

static uint32_t dma(uint32_t src, uint32_t dst, uint32_t len, uint32_t cmd)
{
	reg_w(TESTDEV_DMA_SRC_LO, src);
	reg_w(TESTDEV_DMA_SRC_HI, 0);
	reg_w(TESTDEV_DMA_DST_LO, dst);
	reg_w(TESTDEV_DMA_DST_HI, 0);
	reg_w(TESTDEV_DMA_LEN, len);
	reg_w(TESTDEV_DMA_CMD, TESTDEV_DMA_START | cmd);
	return reg(TESTDEV_DMA_STATUS);
}

static void dma_test(void)
{
	uint32_t st;

	/* check_eq() evaluates its arguments twice: run each DMA once, outside it. */
	for (int i = 0; i < 4096; i++)
		buf_a[i] = i * 7 + 3;
	st = dma((uint32_t)buf_a, 0x2000, 4096, 0);
	check_eq("dma.to_dev", st, TESTDEV_DMA_DONE);
	check("dma.in_bar", !memcmp((void *)(RAM_BASE + 0x2000), buf_a, 4096), "BAR differs");
	st = dma(0x2000, (uint32_t)buf_b, 4096, TESTDEV_DMA_FROM_DEV);
	check_eq("dma.from_dev", st, TESTDEV_DMA_DONE);
	check("dma.roundtrip", !memcmp(buf_a, buf_b, 4096), "buffers differ");
	check_eq("dma.count", reg(TESTDEV_DMA_COUNT), 2);
	st = dma(0xf0000000u, 0, 4096, 0);
	check_eq("dma.bad_gpa", st, TESTDEV_DMA_DONE | TESTDEV_DMA_ERROR | TESTDEV_DMA_E_FAULT << 8);
	st = dma((uint32_t)buf_a, 0xff000, 0x2000, 0);
	check_eq("dma.bad_len", st, TESTDEV_DMA_DONE | TESTDEV_DMA_ERROR | TESTDEV_DMA_E_RANGE << 8);
	cfg_write16(slot, 4, 0x0003);
	st = dma((uint32_t)buf_a, 0, 16, 0);
	check_eq("dma.no_master", st, TESTDEV_DMA_DONE | TESTDEV_DMA_ERROR | TESTDEV_DMA_E_MASTER << 8);
	cfg_write16(slot, 4, 0x0007);
	check_eq("dma.count_after", reg(TESTDEV_DMA_COUNT), 2);
}

static void doorbell(void)
{
	uint32_t e0, e1, n = 0;

	e0 = reg(TESTDEV_MMIO_EXITS);
	for (int i = 0; i < 3; i++)
		reg_w(TESTDEV_DOORBELL, 1);
	e1 = reg(TESTDEV_MMIO_EXITS);
	check_eq("doorbell.no_exits", e1 - e0, 1);
	for (int i = 0; i < 1000 && (n = reg(TESTDEV_DOORBELL)) < 3; i++)
		delay_us(100);
	check_eq("doorbell.rings", n, 3);
	outl(IO_BASE + TESTDEV_DOORBELL, 1);
	for (int i = 0; i < 1000 && (n = reg(TESTDEV_DOORBELL)) < 4; i++)
		delay_us(100);
	check_eq("doorbell.io", n, 4);
}

static void intx_handler(uint32_t v)
{
	(void)v;
	reg_w(TESTDEV_INTX, 0);		/* deassert before EOI: level-triggered */
	lapic_eoi();
}

static void eoi_handler(uint32_t v)
{
	(void)v;
	lapic_eoi();
}

static void interrupts(void)
{
	unsigned line = cfg_read8(slot, 0x3c), msi, msix;
	uint32_t c;

	check_eq("intx.pin", cfg_read8(slot, 0x3d), 1);
	check_eq("intx.line", line, 16 + slot % 8);
	pic_set_mask(0xffff);
	lapic_enable(0xff);
	idt_set_handler(V_INTX, intx_handler);
	idt_set_handler(V_MSI, eoi_handler);
	idt_set_handler(V_MSIX, eoi_handler);
	/* Level, active low (the MP table's PCI convention), fixed, physical, CPU 0. */
	ioapic_set_entry(line, V_INTX | 1u << 15 | 1u << 13);
	sti();
	c = irq_count[V_INTX];
	reg_w(TESTDEV_INTX, 1);
	check("intx", wait_irq(V_INTX, c), "no interrupt on pin %u", line);
	check_eq("intx.status", cfg_read16(slot, 6) & 8, 0);
	/* INTx Disable: asserting does not reach the pin, Status still shows it. */
	cfg_write16(slot, 4, 0x0407);
	c = irq_count[V_INTX];
	reg_w(TESTDEV_INTX, 1);
	check_eq("intx.status_set", cfg_read16(slot, 6) & 8, 8);
	check("intx.disabled", !wait_irq(V_INTX, c), "interrupt despite INTx Disable");
	reg_w(TESTDEV_INTX, 0);
	cfg_write16(slot, 4, 0x0007);

	msi = find_cap(slot, 0x05);
	check("msi.cap", msi != 0, "no MSI capability");
	cfg_write32(slot, msi + 4, 0xfee00000u);
	cfg_write32(slot, msi + 8, 0);
	cfg_write16(slot, msi + 12, V_MSI);
	cfg_write16(slot, msi + 2, 1);
	c = irq_count[V_MSI];
	reg_w(TESTDEV_MSI, 0);
	check("msi", wait_irq(V_MSI, c), "no MSI");
	/* Masked: pending bit, delivered at unmask. */
	cfg_write32(slot, msi + 0x10, 1);
	c = irq_count[V_MSI];
	reg_w(TESTDEV_MSI, 0);
	check("msi.masked", !wait_irq(V_MSI, c), "MSI despite mask");
	check_eq("msi.pending", cfg_read32(slot, msi + 0x14), 1);
	cfg_write32(slot, msi + 0x10, 0);
	check("msi.unmask", wait_irq(V_MSI, c), "pending MSI not delivered");
	cfg_write16(slot, msi + 2, 0);

	msix = find_cap(slot, 0x11);
	check("msix.cap", msix != 0, "no MSI-X capability");
	check_eq("msix.table", cfg_read32(slot, msix + 4), TESTDEV_MSIX_TABLE | TESTDEV_BAR_MSIX);
	cfg_write16(slot, msix + 2, 0xc000);		/* enable + function mask */
	for (unsigned v = 2; v <= 3; v++) {
		mmio_write32(MSIX_BASE + v * 16, 0xfee00000u);
		mmio_write32(MSIX_BASE + v * 16 + 4, 0);
		mmio_write32(MSIX_BASE + v * 16 + 8, V_MSIX);
	}
	mmio_write32(MSIX_BASE + 2 * 16 + 12, 0);	/* unmask vector 2 */
	cfg_write16(slot, msix + 2, 0x8000);
	c = irq_count[V_MSIX];
	reg_w(TESTDEV_MSI, 2);
	check("msix", wait_irq(V_MSIX, c), "no MSI-X");
	c = irq_count[V_MSIX];
	reg_w(TESTDEV_MSI, 3);				/* vector 3 still masked */
	check("msix.masked", !wait_irq(V_MSIX, c), "MSI-X despite mask");
	check_eq("msix.pba", mmio_read32(MSIX_BASE + TESTDEV_MSIX_PBA), 1u << 3);
	mmio_write32(MSIX_BASE + 3 * 16 + 12, 0);
	check("msix.unmask", wait_irq(V_MSIX, c), "pending MSI-X not delivered");
	check_eq("msix.pba_clear", mmio_read32(MSIX_BASE + TESTDEV_MSIX_PBA), 0);
	/* Doorbell -> device thread -> vector 2 through its irqfd: one exit (the counter read). */
	uint32_t e0, e1;

	reg_w(TESTDEV_DOORBELL_IRQ, 3);
	c = irq_count[V_MSIX];
	e0 = reg(TESTDEV_MMIO_EXITS);
	reg_w(TESTDEV_DOORBELL, 1);
	check("doorbell_msix", wait_irq(V_MSIX, c), "no MSI-X from the device thread");
	e1 = reg(TESTDEV_MMIO_EXITS);
	check_eq("doorbell_msix.exits", e1 - e0, 1);
	reg_w(TESTDEV_DOORBELL_IRQ, 0);
	cli();
}

void guest_main(uint32_t magic, uint32_t info)
{
	(void)magic;
	(void)info;
	enumerate();
	if (!slot)
		return;
	size_and_move();
	talk();
	ram_bar();
	dma_test();
	doorbell();
	interrupts();
}
