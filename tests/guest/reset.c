/* reset.c - the three ways a PC guest resets itself, each run with --reboot: the reset
 * control register 0xCF9 (PIIX3 §4.1.5: bit 2 after bit 1 = hard reset), the 8042's pulse
 * command 0xFE at port 0x64, and a triple fault (SDM vol. 3 §6.15, #DF: shutdown). The boot
 * number is kept in CMOS RAM, which survives a reset as on a PC (battery-backed). After each
 * reset the guest checks it booted afresh: Multiboot entry state again, devices back to
 * their reset state (I/O APIC entries masked: 82093AA §3.2.4, bit 16 = 1 after reset). */
#include "rt.h"

const char guest_name[] = "reset";

#define CMOS_MARK 0x4E		/* 0xA5 while the test runs */
#define CMOS_STAGE 0x4F

static uint8_t cmos_read(uint8_t i)
{
	outb(0x70, i);
	return inb(0x71);
}

static void cmos_write(uint8_t i, uint8_t v)
{
	outb(0x70, i);
	outb(0x71, v);
}

/* Leave some state behind that a reset must undo. */
static void dirty(void)
{
	ioapic_set_entry(2, 0x40);
	ioapic_set_entry(4, 0x41 | (1u << 15));
}

static void check_fresh(uint32_t magic, unsigned stage)
{
	uint64_t e2 = ioapic_get_entry(2), e4 = ioapic_get_entry(4);
	char name[] = "bootN.fresh_entry";
	char ioa[] = "bootN.ioapic_masked";

	name[4] = ioa[4] = '0' + stage;
	check(name, magic == MB_BOOT_MAGIC && cmdline_uint(boot_cmdline(), "reset", 0) == 1,
	      "magic 0x%x cmdline \"%s\"", magic, boot_cmdline());
	check(ioa, (e2 & 0x10000) && (e4 & 0x10000), "pin 2 0x%x, pin 4 0x%x after the reset",
	      (uint32_t)e2, (uint32_t)e4);
}

static void __attribute__((noreturn)) triple_fault(void)
{
	static const struct {
		uint16_t limit;
		uint32_t base;
	} __attribute__((packed)) empty = { 0, 0 };

	__asm__ volatile("cli; lidt %0; ud2" :: "m"(empty));
	__builtin_unreachable();
}

static void expect_reset(const char *name)
{
	delay_us(50000);
	fail(name, "still running 50 ms after the reset request");
	cmos_write(CMOS_MARK, 0);
	done();
}

void guest_main(uint32_t magic, uint32_t info)
{
	unsigned stage = cmos_read(CMOS_MARK) == 0xA5 ? cmos_read(CMOS_STAGE) : 0;

	(void)info;
	printf("  boot %u\n", stage + 1);
	switch (stage) {
	case 0:
		check_eq("boot1.magic", magic, MB_BOOT_MAGIC);
		cmos_write(CMOS_MARK, 0xA5);
		cmos_write(CMOS_STAGE, 1);
		dirty();
		outb(0xCF9, 0x02);
		outb(0xCF9, 0x06);		/* hard reset */
		return expect_reset("cf9_reset");
	case 1:
		check_fresh(magic, 2);
		cmos_write(CMOS_STAGE, 2);
		dirty();
		outb(0x64, 0xFE);		/* 8042: pulse the reset line */
		return expect_reset("kbc_reset");
	case 2:
		check_fresh(magic, 3);
		cmos_write(CMOS_STAGE, 3);
		dirty();
		triple_fault();
	case 3:
		check_fresh(magic, 4);
		cmos_write(CMOS_MARK, 0);
		return;
	default:
		cmos_write(CMOS_MARK, 0);
		fail("stage", "CMOS says boot %u", stage + 1);
	}
}
