/* watchdog_busy.c - a guest that is alive but never exits to vfvm: it halts between periodic
 * LAPIC timer interrupts (all in KVM) for 3 s; --watchdog 1 must not take it for stuck. */
#include "rt.h"

const char guest_name[] = "watchdog_busy";

/* LAPIC timer registers (SDM vol. 3A §11.5.4): LVT timer, initial count, divide config. */
#define LAPIC_LVTT	0x320
#define LAPIC_TMICT	0x380
#define LAPIC_TDCR	0x3E0
#define LVTT_PERIODIC	(1u << 17)
#define VEC_TIMER	0x40
/*
 * KVM's LAPIC timer counts at 1 GHz (its APIC bus cycle is 1 ns): divide by 1 and 10^7 per
 * period is 10 ms, so 300 ticks are 3 s, three watchdog periods of 1 s.
 */
#define TICK_COUNT	10000000u
#define TICKS		300u

static void h_timer(uint32_t vector)
{
	(void)vector;
	lapic_eoi();
}

void guest_main(uint32_t magic, uint32_t info)
{
	(void)magic, (void)info;
	pit_stop();
	pic_init(PIC_BASE_MASTER, PIC_BASE_SLAVE, false);
	pic_set_mask(0xFFFF);
	lapic_enable(0xFF);
	idt_set_handler(VEC_TIMER, h_timer);
	printf("watchdog_busy: %u LAPIC timer ticks with no exit to vfvm\n", TICKS);
	lapic_write(LAPIC_TDCR, 0xB);		/* divide by 1 */
	lapic_write(LAPIC_LVTT, LVTT_PERIODIC | VEC_TIMER);
	lapic_write(LAPIC_TMICT, TICK_COUNT);
	/* Nothing in this loop leaves KVM: HLT, the timer and the EOI are all in-kernel. */
	while (irq_count[VEC_TIMER] < TICKS)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	lapic_write(LAPIC_TMICT, 0);
	lapic_write(LAPIC_LVTT, 1u << 16);
	check("ticks", irq_count[VEC_TIMER] >= TICKS, "%u ticks", irq_count[VEC_TIMER]);
	check_eq("no_spurious", irq_count[0xFF], 0);
}
