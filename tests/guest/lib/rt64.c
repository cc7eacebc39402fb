/* rt64.c - the 64-bit guests' side of the runtime (rt.c itself is compiled 64-bit too): a
 * long-mode IDT whose 32 exception gates report the fault and exit (SDM vol. 3A §6.14.1,
 * 16-byte interrupt gates). External interrupts are never enabled in these guests. */
#include "rt64.h"

volatile uint32_t irq_count[256];

struct __attribute__((packed)) gate64 {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, zero;
};

static struct gate64 idt64[32] __attribute__((aligned(16)));
extern const uint64_t exc64_stubs[32];

void exc64_report(const uint64_t *f);
void exc64_report(const uint64_t *f)
{
	uint64_t cr2;

	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	printf("FAIL %s.exception: vector %u error 0x%x at rip 0x%x_%08x (cr2 0x%x_%08x)\n",
	       guest_name, LO32(f[0]), LO32(f[1]), HI32(f[2]), LO32(f[2]), HI32(cr2), LO32(cr2));
	debug_exit(1);
}

void idt_init(void)
{
	struct desc_ptr64 d = { sizeof(idt64) - 1, (uint64_t)idt64 };
	uint16_t cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	for (unsigned i = 0; i < 32; i++) {
		uint64_t a = exc64_stubs[i];

		idt64[i] = (struct gate64){ .off0 = (uint16_t)a, .sel = cs, .type = 0x8E,
					    .off1 = (uint16_t)(a >> 16), .off2 = (uint32_t)(a >> 32) };
	}
	__asm__ volatile("lidt %0" :: "m"(d));
}

/* Vectors above 31 are never enabled in a 64-bit guest; the handler would not be called. */
void idt_set_handler(unsigned vector, irq_handler_t h)
{
	(void)h;
	fail("idt", "vector %u: the 64-bit runtime has no interrupt handlers", vector);
}
