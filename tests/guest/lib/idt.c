/* idt.c - a flat 32-bit IDT: all 256 vectors are interrupt gates (IF cleared on entry) into
 * isr.S. Exceptions are test failures; other vectors are counted and handed to a handler. */
#include "rt.h"

struct isr_frame {
	uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax;
	uint32_t vector, error;
	uint32_t eip, cs, eflags;
};

struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t zero, type;
	uint16_t off_hi;
} __attribute__((packed));

static struct idt_gate idt[256] __attribute__((aligned(8)));
static irq_handler_t handlers[256];
volatile uint32_t irq_count[256];
extern char isr_stubs[];

void isr_dispatch(struct isr_frame *f);
void isr_dispatch(struct isr_frame *f)
{
	uint32_t v = f->vector & 0xFF;

	if (v < 32) {
		printf("FAIL %s.exception: vector %u error 0x%x at eip 0x%x (eflags 0x%x)\n",
		       guest_name, v, f->error, f->eip, f->eflags);
		debug_exit(1);
	}
	irq_count[v]++;
	if (handlers[v])
		handlers[v](v);
}

void idt_set_handler(unsigned vector, irq_handler_t h)
{
	handlers[vector & 0xFF] = h;
}

void idt_init(void)
{
	struct {
		uint16_t limit;
		uint32_t base;
	} __attribute__((packed)) idtr = { sizeof(idt) - 1, (uint32_t)idt };
	uint16_t cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	for (unsigned i = 0; i < 256; i++) {
		uint32_t a = (uint32_t)isr_stubs + 16 * i;
		idt[i] = (struct idt_gate){ a & 0xFFFF, cs, 0, 0x8E, a >> 16 };
	}
	__asm__ volatile("lidt %0" :: "m"(idtr));
}
