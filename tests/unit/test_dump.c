/* test_dump.c - the watchdog's state dump (src/core/dump.c) and the device models' dump functions
 * (pic_dump, ioapic_dump, pit_dump): what a stuck guest's dump must show, from plain state. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "core/dump.h"
#include "legacy/ioapic.h"
#include "legacy/pic.h"
#include "legacy/pit.h"

/* Output of fn into a string (freed by the caller). */
#define CAPTURE(buf, call) do { \
	size_t n_; FILE *f = open_memstream(&(buf), &n_); \
	assert_non_null(f); call; fclose(f); \
} while (0)

#define HAS(buf, needle) do { \
	if (!strstr((buf), (needle))) fail_msg("'%s' not in:\n%s", (needle), (buf)); \
} while (0)

static void set_apic(struct kvm_lapic_state *l, unsigned off, uint32_t v)
{
	memcpy(l->regs + off, &v, 4);
}

static void test_vcpu(void **state)
{
	struct dump_vcpu_state s;
	char *out;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.regs.rip = 0x100123;
	s.regs.rflags = 0x2;		/* IF clear: cli */
	s.sregs.cr0 = 0x80000011;
	s.sregs.cr3 = 0x1000;
	s.sregs.cr4 = 0x20;
	s.mp.mp_state = KVM_MP_STATE_HALTED;
	s.events.interrupt.injected = 1;
	s.events.interrupt.nr = 0x30;
	set_apic(&s.lapic, 0x80, 0x20);			/* TPR */
	set_apic(&s.lapic, 0x100 + 0x10, 1u << 0);	/* ISR vector 0x20 */
	set_apic(&s.lapic, 0x200 + 0x70, 1u << 12);	/* IRR vector 0xec */
	set_apic(&s.lapic, 0x200 + 0x10, 1u << 1);	/* IRR vector 0x21 */
	CAPTURE(out, dump_vcpu(f, 1, &s));
	HAS(out, "vfvm: vCPU 1: RIP 0x100123 ");
	HAS(out, " IF=0 CR0 0x80000011 CR3 0x1000 CR4 0x20 HALTED");
	HAS(out, "injected interrupt 48");
	HAS(out, "LAPIC TPR 0x20 ");
	HAS(out, " ISR=0x20 IRR=0x21,0xec TMR=-");
	free(out);
	s.regs.rflags = 0x202;
	CAPTURE(out, dump_vcpu(f, 0, &s));
	HAS(out, " IF=1 ");
	free(out);
	s.err = 4;	/* EINTR */
	CAPTURE(out, dump_vcpu(f, 0, &s));
	HAS(out, "vfvm: vCPU 0: cannot read its state");
	free(out);
}

static void test_exits_ring(void **state)
{
	struct dump_ring r = { 0 };
	struct dump_exit e = { .reason = KVM_EXIT_IO, .addr = 0x3f8, .write = 1,
			       .ns = 1000000000ULL };
	char *out;

	(void)state;
	CAPTURE(out, dump_exits(f, 0, &r, 0));
	HAS(out, "vfvm: vCPU 0: 0 exits; the last 0");
	free(out);
	dump_ring_add(&r, &e);
	for (unsigned i = 0; i < DUMP_EXITS + 3; i++) {
		e = (struct dump_exit){ .reason = KVM_EXIT_MMIO, .addr = 0xfec00000 + i,
					.ns = 2000000000ULL };
		dump_ring_add(&r, &e);
	}
	e = (struct dump_exit){ .reason = KVM_EXIT_IOAPIC_EOI, .addr = 0x31, .ns = 2500000000ULL };
	dump_ring_add(&r, &e);
	CAPTURE(out, dump_exits(f, 2, &r, 3000000000ULL));
	HAS(out, "vfvm: vCPU 2: 21 exits; the last 16, oldest first:");
	/* The IO exit and the oldest MMIO ones fell out of the ring; the newest are there. */
	assert_null(strstr(out, "IO write 0x3f8"));
	assert_null(strstr(out, "0xfec00003,"));
	HAS(out, "vfvm:   MMIO read 0xfec00004, 1000 ms ago\n");
	HAS(out, "vfvm:   IOAPIC_EOI vector 0x31, 500 ms ago\n");
	/* Oldest first: the EOI is the last line. */
	assert_true(strstr(out, "0xfec00012") < strstr(out, "IOAPIC_EOI"));
	free(out);
	assert_string_equal(dump_exit_name(KVM_EXIT_HLT), "HLT");
	assert_string_equal(dump_exit_name(9999), "unknown");
}

static void no_int(void *o, int level) { (void)o; (void)level; }

static void test_pic(void **state)
{
	struct pic *p = pic_new(no_int, NULL);
	uint8_t v;
	char *out;

	(void)state;
	/* ICW1-4 on the master: vectors 0x20, then mask all but IR0 (OCW1). */
	v = 0x11; pic_master_io(p, 0, &v, 1, true);
	v = 0x20; pic_master_io(p, 1, &v, 1, true);
	v = 0x04; pic_master_io(p, 1, &v, 1, true);
	v = 0x01; pic_master_io(p, 1, &v, 1, true);
	v = 0xfe; pic_master_io(p, 1, &v, 1, true);
	pic_set_irq(p, 0, 1);
	CAPTURE(out, pic_dump(p, f));
	HAS(out, "vfvm: PIC master: IRR 0x01 ISR 0x00 IMR 0xfe input 0x01");
	HAS(out, "base 0x20");
	HAS(out, "INT high");
	HAS(out, "vfvm: PIC slave: ");
	free(out);
	pic_free(p);
}

static void no_route(void *o, unsigned pin, const struct msi_msg *m, bool masked)
{
	(void)o; (void)pin; (void)m; (void)masked;
}

static void no_fire(void *o, unsigned pin) { (void)o; (void)pin; }

static void ioapic_reg(struct ioapic *io, uint32_t reg, uint32_t val)
{
	ioapic_mmio(io, 0x00, &reg, 4, true);
	ioapic_mmio(io, 0x10, &val, 4, true);
}

static void test_ioapic(void **state)
{
	struct ioapic_ops ops = { no_route, no_fire, NULL };
	struct ioapic *io = ioapic_new(&ops, 2);
	char *out;

	(void)state;
	/* Pin 11: vector 0x31, level, unmasked, destination 1; the line high, so remote IRR. */
	ioapic_reg(io, 0x10 + 2 * 11 + 1, 1u << 24);
	ioapic_reg(io, 0x10 + 2 * 11, 0x31 | (1u << 15));
	ioapic_set_irq(io, 11, 1);
	CAPTURE(out, ioapic_dump(io, f));
	HAS(out, "vfvm: IOAPIC: id 2, pins asserted 0x800");
	HAS(out, "vfvm: IOAPIC pin 11: vector 0x31 level remote-IRR dest 0x1, line high");
	/* Masked and low pins are left out. */
	assert_null(strstr(out, "pin 3:"));
	free(out);
	ioapic_free(io);
}

static uint64_t zero_now(void *o) { (void)o; return 0; }
static void no_arm(void *o, uint64_t dl) { (void)o; (void)dl; }
static void no_set(void *o, unsigned pin, int level) { (void)o; (void)pin; (void)level; }

static void test_pit(void **state)
{
	struct irq_line irq = { .set = no_set };
	struct clock_ops clk = { zero_now, no_arm, NULL };
	struct pit *p = pit_new(&irq, &clk);
	uint8_t v;
	char *out;

	(void)state;
	/* Counter 0, LSB then MSB, mode 2, count 11932 (100 Hz, as Linux's PIT tick). */
	v = 0x34; pit_io(p, 3, &v, 1, true);
	v = 11932 & 0xff; pit_io(p, 0, &v, 1, true);
	v = 11932 >> 8; pit_io(p, 0, &v, 1, true);
	CAPTURE(out, pit_dump(p, f));
	HAS(out, "vfvm: PIT counter 0: mode 2 count 11932 gate 1 running 1");
	HAS(out, "vfvm: PIT: IRQ0 level");
	HAS(out, "deadline armed");
	free(out);
	pit_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vcpu),
		cmocka_unit_test(test_exits_ring),
		cmocka_unit_test(test_pic),
		cmocka_unit_test(test_ioapic),
		cmocka_unit_test(test_pit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
