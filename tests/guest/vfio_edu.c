/* vfio_edu.c - QEMU's edu device (1234:11e8, QEMU docs/specs/edu.rst) seen from a guest, for
 * passthrough with --device vfio: BAR0 registers, factorial unit, MSI, DMA through the IOMMU,
 * BAR0 reads that must not exit (bar_reads=N), and a reset round trip (reboot=1). */
#include "rt.h"

const char guest_name[] = "vfio_edu";

#define EDU_ID		0x11e81234u	/* device:vendor as config dword 0 reads */
#define EDU_BAR_SIZE	(1u << 20)	/* edu.c: memory_region_init_io(..., 1 * MiB) */
#define EDU_BAR_FALLBACK 0xe0000000u	/* only if nobody placed BAR0 (address 0) */
/* BAR0 registers (edu.rst "MMIO area spec"). */
#define EDU_IDENT	0x00		/* 0xRRrr00edu: major.minor version, 0xed */
#define EDU_IDENT_VALUE	0x010000edu
#define EDU_LIVE	0x04		/* reads back the inverse of what was written */
#define EDU_FACT	0x08
#define EDU_STATUS	0x20		/* bit 0 computing (RO), bit 7 IRQ on factorial done */
#define EDU_ST_BUSY	0x01
#define EDU_ST_IRQFACT	0x80
#define EDU_IRQ_STATUS	0x24
#define EDU_IRQ_RAISE	0x60
#define EDU_IRQ_ACK	0x64
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_CNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_DMA_RUN	0x1
#define EDU_DMA_TO_RAM	0x2		/* direction 1: device buffer -> RAM */
#define EDU_DMA_IRQ	0x4		/* raise 0x100 in IRQ status when done */
#define EDU_DMA_BUF	0x40000u	/* device address of edu's 4 KiB buffer */
#define EDU_FACT_IRQ	0x001
#define EDU_DMA_IRQBIT	0x100
#define V_EDU		0x51
/* CMOS RAM byte counting boots across a reset (MC146818: RAM from 0x0E; 0x40+ unused by QEMU's
 * pc machine and by vfvm). CMOS survives a system reset, guest RAM (under vfvm) does not. */
#define CMOS_BOOT	0x4a
#define BOOT_MAGIC	0xb1
#define CMOS_BAR0	0x4b		/* 0x4b-0x4e: BAR0 as boot 1 found it */

static unsigned slot = 32;
static uint32_t bar0;
static volatile uint32_t edu_irq_seen;	/* IRQ status the handler found (OR of all) */

static uint32_t cfg_addr(unsigned reg) { return 0x80000000u | slot << 11 | (reg & 0xfc); }

static uint32_t cfg_read32(unsigned reg)
{
	outl(0xcf8, cfg_addr(reg));
	return inl(0xcfc);
}

static uint16_t cfg_read16(unsigned reg)
{
	outl(0xcf8, cfg_addr(reg));
	return inw(0xcfc + (reg & 2));
}

static uint8_t cfg_read8(unsigned reg)
{
	outl(0xcf8, cfg_addr(reg));
	return inb(0xcfc + (reg & 3));
}

static void cfg_write32(unsigned reg, uint32_t v)
{
	outl(0xcf8, cfg_addr(reg));
	outl(0xcfc, v);
}

static void cfg_write16(unsigned reg, uint16_t v)
{
	outl(0xcf8, cfg_addr(reg));
	outw(0xcfc + (reg & 2), v);
}

static uint32_t edu_r(uint32_t off) { return mmio_read32(bar0 + off); }
static void edu_w(uint32_t off, uint32_t v) { mmio_write32(bar0 + off, v); }

static uint8_t cmos_read(uint8_t idx)
{
	outb(0x70, idx);
	return inb(0x71);
}

static void cmos_write(uint8_t idx, uint8_t v)
{
	outb(0x70, idx);
	outb(0x71, v);
}

/* Capability list walk (PCI Local Bus 3.0 §6.7), bounded against loops. */
static unsigned find_cap(uint8_t id)
{
	unsigned off;

	if (!(cfg_read16(0x06) & 0x10))
		return 0;
	off = cfg_read8(0x34) & 0xfc;
	for (int n = 0; n < 48 && off >= 0x40; n++) {
		if (cfg_read8(off) == id)
			return off;
		off = cfg_read8(off + 1) & 0xfc;
	}
	return 0;
}

/* Polls @reg until (value & mask) == 0, up to @ms milliseconds; false on timeout. */
static bool edu_wait_clear(uint32_t reg, uint32_t mask, uint32_t ms)
{
	for (uint32_t i = 0; i < ms * 10; i++) {
		if (!(edu_r(reg) & mask))
			return true;
		delay_us(100);
	}
	return !(edu_r(reg) & mask);
}

static bool wait_irq(uint32_t before, uint32_t ms)
{
	for (uint32_t i = 0; i < ms * 10; i++) {
		if (irq_count[V_EDU] != before)
			return true;
		delay_us(100);
	}
	return irq_count[V_EDU] != before;
}

static bool find_edu(void)
{
	for (unsigned s = 0; s < 32; s++) {
		outl(0xcf8, 0x80000000u | s << 11);
		if (inl(0xcfc) == EDU_ID) {
			slot = s;
			return true;
		}
	}
	return false;
}

/* BAR0: 1 MiB, 32-bit, non-prefetchable memory (pci_register_bar(..., SPACE_MEMORY)). */
static void setup_bar(bool save)
{
	uint32_t old = cfg_read32(0x10), sz;

	if (save)
		for (int i = 0; i < 4; i++)
			cmos_write(CMOS_BAR0 + i, old >> (8 * i));

	cfg_write16(0x04, 0);
	cfg_write32(0x10, 0xffffffffu);
	sz = cfg_read32(0x10);
	cfg_write32(0x10, old);
	check_eq("bar0.sizing", sz, ~(EDU_BAR_SIZE - 1));
	bar0 = old & ~0xfu;
	if (!bar0) {
		cfg_write32(0x10, EDU_BAR_FALLBACK);
		bar0 = cfg_read32(0x10) & ~0xfu;
	}
	check("bar0.placed", bar0 && !(bar0 & (EDU_BAR_SIZE - 1)) && bar0 < 0xfec00000u,
	      "BAR0 at 0x%x", bar0);
	cfg_write16(0x04, 0x0006);	/* Memory Space + Bus Master (PCI 3.0 §6.2.2) */
	check_eq("command", cfg_read16(0x04) & 0x6, 0x6);
}

static void registers(void)
{
	check_eq("ident", edu_r(EDU_IDENT), EDU_IDENT_VALUE);
	edu_w(EDU_LIVE, 0x12345678);
	check_eq("liveness", edu_r(EDU_LIVE), ~0x12345678u);
	edu_w(EDU_LIVE, 0);
	check_eq("liveness0", edu_r(EDU_LIVE), 0xffffffffu);
}

static uint32_t factorial(uint32_t n)
{
	edu_w(EDU_FACT, n);
	if (!edu_wait_clear(EDU_STATUS, EDU_ST_BUSY, 1000))
		return 0xdead0000u;
	return edu_r(EDU_FACT);
}

static void fact_unit(void)
{
	uint32_t f;

	/* check_eq() evaluates its arguments twice: compute once, outside it. */
	f = factorial(5);
	check_eq("fact5", f, 120);
	f = factorial(10);
	check_eq("fact10", f, 3628800);
	f = factorial(0);
	check_eq("fact0", f, 1);
	check_eq("status", edu_r(EDU_STATUS) & EDU_ST_BUSY, 0);
}

static void edu_handler(uint32_t v)
{
	uint32_t st = edu_r(EDU_IRQ_STATUS);

	(void)v;
	edu_irq_seen |= st;
	edu_w(EDU_IRQ_ACK, st);	/* MSI is edge: ack before EOI so a new raise sends again */
	lapic_eoi();
}

static void msi_setup(void)
{
	unsigned msi = find_cap(0x05);
	uint16_t ctl;

	if (!check("msi.cap", msi != 0, "no MSI capability"))
		return;
	ctl = cfg_read16(msi + 2);
	/* edu.c: msi_init(pdev, 0, 1, true, false): 1 vector, 64-bit, no per-vector mask. */
	check_eq("msi.ctl", ctl & 0x1ff, 0x080);
	/* Firmware (SeaBIOS under QEMU) may leave the 8259s on vectors 8-15 with the PIT
	 * running: move them out of the exception range and mask every line. */
	pic_init(0x20, 0x28, false);
	pic_set_mask(0xffff);
	lapic_enable(0xff);
	idt_set_handler(V_EDU, edu_handler);
	/* Message Address: 0xFEE, destination APIC ID in bits 19:12 (SDM vol. 3 §10.11.1). */
	cfg_write32(msi + 4, 0xfee00000u | lapic_id() << 12);
	cfg_write32(msi + 8, 0);
	cfg_write16(msi + 12, V_EDU);		/* fixed, edge, vector */
	cfg_write16(msi + 2, ctl | 1);
	check_eq("msi.enabled", cfg_read16(msi + 2) & 1, 1);
	sti();
}

static void irqs(void)
{
	uint32_t c = irq_count[V_EDU], f;

	edu_irq_seen = 0;
	edu_w(EDU_IRQ_RAISE, 0x00c0ffee);
	check("msi.raise", wait_irq(c, 1000), "no MSI after a write to 0x60");
	check_eq("msi.status_seen", edu_irq_seen, 0x00c0ffee);
	check_eq("irq.acked", edu_r(EDU_IRQ_STATUS), 0);
	check_eq("msi.count", irq_count[V_EDU] - c, 1);
	/* Factorial done with status bit 7 set raises 0x001. */
	c = irq_count[V_EDU];
	edu_irq_seen = 0;
	edu_w(EDU_STATUS, EDU_ST_IRQFACT);
	f = factorial(7);
	check_eq("fact7_irq", f, 5040);
	check("msi.fact", wait_irq(c, 1000), "no MSI after the factorial");
	check_eq("msi.fact_status", edu_irq_seen, EDU_FACT_IRQ);
	edu_w(EDU_STATUS, 0);
	check_eq("status.irqfact_off", edu_r(EDU_STATUS), 0);
}

/* edu's DMA mask is 28 bits: the buffers (in the image, loaded near 1 MiB) are below 256 MiB.
 * QEMU 7.2's edu_check_range() wants the transfer's end strictly below 0x41000 and calls
 * hw_error() (QEMU aborts, the lab with it) otherwise: transfers stay short of the buffer end. */
#define DMA_LEN		0xc00
static uint8_t buf_a[4096] __attribute__((aligned(4096)));
static uint8_t buf_b[4096] __attribute__((aligned(4096)));

/* One edu DMA; the engine runs from a 100 ms timer (edu_dma_timer): wait up to 3 s. */
static bool dma(uint32_t src, uint32_t dst, uint32_t len, uint32_t cmd)
{
	edu_w(EDU_DMA_SRC, src);
	edu_w(EDU_DMA_SRC + 4, 0);
	edu_w(EDU_DMA_DST, dst);
	edu_w(EDU_DMA_DST + 4, 0);
	edu_w(EDU_DMA_CNT, len);
	edu_w(EDU_DMA_CMD, EDU_DMA_RUN | cmd);
	return edu_wait_clear(EDU_DMA_CMD, EDU_DMA_RUN, 3000);
}

static void dma_test(uint32_t seed)
{
	uint32_t c, s = blob_seed(seed);
	bool ok;

	if ((uint32_t)buf_b + sizeof(buf_b) > (1u << 28)) {
		fail("dma.below_256m", "buffers at 0x%x", (uint32_t)buf_a);
		return;
	}
	for (int i = 0; i < DMA_LEN; i++)
		buf_a[i] = blob_byte(&s);
	memset(buf_b, 0, sizeof(buf_b));
	edu_w(EDU_DMA_SRC, 0x1000);
	check_eq("dma.src_reg", edu_r(EDU_DMA_SRC), 0x1000);
	c = irq_count[V_EDU];
	edu_irq_seen = 0;
	ok = dma((uint32_t)buf_a, EDU_DMA_BUF, DMA_LEN, EDU_DMA_IRQ);
	check("dma.to_dev", ok, "command 0x%x still running after 3 s", edu_r(EDU_DMA_CMD));
	check("dma.to_dev_irq", wait_irq(c, 500), "no MSI after the DMA");
	check_eq("dma.irq_status", edu_irq_seen, EDU_DMA_IRQBIT);
	ok = dma(EDU_DMA_BUF, (uint32_t)buf_b, DMA_LEN, EDU_DMA_TO_RAM);
	check("dma.to_ram", ok, "command 0x%x still running after 3 s", edu_r(EDU_DMA_CMD));
	check("dma.roundtrip", !memcmp(buf_a, buf_b, DMA_LEN) && buf_b[DMA_LEN] == 0, "buffers differ (first bytes %x %x)",
	      buf_a[0], buf_b[0]);
	/* A part of the device buffer to a second place: offsets work both ways. */
	memset(buf_b, 0, sizeof(buf_b));
	ok = dma(EDU_DMA_BUF + 0x800, (uint32_t)buf_b + 0x100, 0x200, EDU_DMA_TO_RAM);
	check("dma.partial", ok && !memcmp(buf_b + 0x100, buf_a + 0x800, 0x200) &&
	      buf_b[0xff] == 0 && buf_b[0x300] == 0, "partial copy wrong");
}

/* N reads of the identification register: with BAR0 mapped into the guest they cost no exit,
 * which the lab scenario checks through vfvm --stats (N=10000 against N=0). */
static void bar_reads(uint32_t n)
{
	uint32_t bad = 0;

	for (uint32_t i = 0; i < n; i++)
		bad += edu_r(EDU_IDENT) != EDU_IDENT_VALUE;
	check_eq("bar_reads", bad, 0);
	printf("vfio_edu: %u BAR0 reads done\n", n);
}

/*
 * INTx: with MSI off, edu asserts INTA# on a raise until it is acked (edu.c edu_raise_irq:
 * pci_set_irq when MSI is disabled). Interrupt Line says which I/O APIC pin firmware (or
 * vfvm) routed it to; the entry is level-triggered, active low as the MP table/ACPI say of
 * PCI. The handler acks the device, then EOIs: under VFIO that EOI is what unmasks the host
 * line, so the second raise arriving proves the whole path (trigger eventfd -> pin, guest
 * EOI -> KVM_EXIT_IOAPIC_EOI -> unmask).
 */
#define V_INTX		0x52

static void intx_handler(uint32_t v)
{
	uint32_t st = edu_r(EDU_IRQ_STATUS);

	(void)v;
	edu_irq_seen |= st;
	edu_w(EDU_IRQ_ACK, st);		/* drops INTA# before the EOI */
	lapic_eoi();
}

static bool wait_vec(unsigned vec, uint32_t before, uint32_t ms)
{
	for (uint32_t i = 0; i < ms * 10 && irq_count[vec] == before; i++)
		delay_us(100);
	return irq_count[vec] != before;
}

static void intx_test(void)
{
	unsigned msi = find_cap(0x05), line = cfg_read8(0x3c);

	check_eq("intx.pin", cfg_read8(0x3d), 1);	/* INTA# */
	if (!check("intx.line", line < 24, "Interrupt Line %u is no I/O APIC pin", line))
		return;
	cli();
	if (msi)
		cfg_write16(msi + 2, cfg_read16(msi + 2) & ~1);
	cfg_write16(0x04, cfg_read16(0x04) & ~0x0400);	/* INTx Disable off */
	idt_set_handler(V_INTX, intx_handler);
	ioapic_set_entry(line, V_INTX | 1u << 15 | 1u << 13 | (uint64_t)lapic_id() << 56);
	sti();
	for (uint32_t round = 1; round <= 2; round++) {
		uint32_t c = irq_count[V_INTX];

		edu_irq_seen = 0;
		edu_w(EDU_IRQ_RAISE, 0x1000 + round);
		check(round == 1 ? "intx.raise" : "intx.again_after_eoi", wait_vec(V_INTX, c, 1000),
		      "no INTx on I/O APIC pin %u after raise %u", line, round);
		check_eq(round == 1 ? "intx.status" : "intx.status2", edu_irq_seen, 0x1000 + round);
		delay_us(2000);
		check_eq(round == 1 ? "intx.once" : "intx.once2", irq_count[V_INTX] - c, 1);
	}
	ioapic_set_entry(line, 1u << 16);		/* masked */
}

static void all_checks(uint32_t seed, bool save_bar)
{
	setup_bar(save_bar);
	registers();
	fact_unit();
	msi_setup();
	irqs();
	dma_test(seed);
	intx_test();
}

/* After the reset: what a reset must have restored before we touch anything (PCI 3.0 §6.2.2:
 * Command resets to 0; §6.8.1.3: MSI Enable resets to 0), and what edu.c says of its state. */
static void after_reset(void)
{
	unsigned msi = find_cap(0x05);

	uint32_t was = 0;

	for (int i = 0; i < 4; i++)
		was |= (uint32_t)cmos_read(CMOS_BAR0 + i) << (8 * i);
	/* vfvm (like firmware at power-on) places the BARs before the kernel runs: a reset must
	 * give the guest the placement a cold boot gives, not unassigned BARs. */
	check_eq("reset.bar0", cfg_read32(0x10) & ~0xfu, was);
	check_eq("reset.command", cfg_read16(0x04) & 0x7, 0);
	check("reset.msi_off", msi && !(cfg_read16(msi + 2) & 1), "MSI enable 0x%x after reset",
	      msi ? cfg_read16(msi + 2) : 0);
	bar0 = cfg_read32(0x10) & ~0xfu;
	if (bar0) {
		cfg_write16(0x04, 0x0002);
		check_eq("reset.busy", edu_r(EDU_STATUS), 0);
		check_eq("reset.irq_status", edu_r(EDU_IRQ_STATUS), 0);
		check_eq("reset.dma_idle", edu_r(EDU_DMA_CMD) & EDU_DMA_RUN, 0);
		printf("vfio_edu: after reset liveness 0x%x fact 0x%x\n", edu_r(EDU_LIVE),
		       edu_r(EDU_FACT));
		cfg_write16(0x04, 0);
	}
}

void guest_main(uint32_t magic, uint32_t info)
{
	const char *cl = boot_cmdline();
	uint32_t reboot = cmdline_uint(cl, "reboot", 0);
	unsigned boot = 1;

	(void)magic;
	(void)info;
	if (reboot && cmos_read(CMOS_BOOT) == BOOT_MAGIC)
		boot = 2;
	printf("vfio_edu: boot %u\n", boot);
	if (!check("found", find_edu(), "no 1234:11e8 on bus 0"))
		return;
	printf("vfio_edu: edu at 00:%x.0\n", slot);
	if (boot == 2) {
		cmos_write(CMOS_BOOT, 0);
		after_reset();
	}
	all_checks(boot, reboot && boot == 1);
	bar_reads(cmdline_uint(cl, "bar_reads", 0));
	if (reboot && boot == 1) {
		/* Leave the device busy-looking: MSI on, liveness changed, then reset. */
		edu_w(EDU_LIVE, 0x0f0f0f0f);
		cmos_write(CMOS_BOOT, BOOT_MAGIC);
		printf("vfio_edu: resetting (0xCF9 <- 0x06)\n");
		cli();
		outb(0xcf9, 0x06);	/* PIIX3/ICH Reset Control: SYS_RST | RST_CPU */
		for (;;)
			__asm__ volatile("hlt");
	}
}
