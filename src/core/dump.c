/* dump.c - formats the watchdog's state dump (dump.h): vCPU registers, pending events, the
 * in-kernel LAPIC's priority and vector registers, and the ring of recent exits. */
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>
#include "core/dump.h"

/* LAPIC register offsets (SDM vol. 3A Table 11-1). */
#define APIC_TPR	0x80
#define APIC_PPR	0xa0
#define APIC_SVR	0xf0
#define APIC_ISR	0x100
#define APIC_TMR	0x180
#define APIC_IRR	0x200
#define APIC_LVTT	0x320
#define APIC_LVT0	0x350
#define APIC_TMCCT	0x390

#define RFLAGS_IF	(1u << 9)

static const char *const dump_exit_names[] = {
	[KVM_EXIT_UNKNOWN] = "UNKNOWN", [KVM_EXIT_EXCEPTION] = "EXCEPTION",
	[KVM_EXIT_IO] = "IO", [KVM_EXIT_HYPERCALL] = "HYPERCALL", [KVM_EXIT_DEBUG] = "DEBUG",
	[KVM_EXIT_HLT] = "HLT", [KVM_EXIT_MMIO] = "MMIO",
	[KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN", [KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
	[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY", [KVM_EXIT_INTR] = "INTR",
	[KVM_EXIT_SET_TPR] = "SET_TPR", [KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS",
	[KVM_EXIT_NMI] = "NMI", [KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
	[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT", [KVM_EXIT_IOAPIC_EOI] = "IOAPIC_EOI",
	[KVM_EXIT_HYPERV] = "HYPERV", [KVM_EXIT_X86_RDMSR] = "X86_RDMSR",
	[KVM_EXIT_X86_WRMSR] = "X86_WRMSR", [KVM_EXIT_DIRTY_RING_FULL] = "DIRTY_RING_FULL",
};

const char *dump_exit_name(uint32_t r)
{
	if (r < sizeof(dump_exit_names) / sizeof(dump_exit_names[0]) && dump_exit_names[r])
		return dump_exit_names[r];
	return "unknown";
}

void dump_ring_add(struct dump_ring *r, const struct dump_exit *e)
{
	r->e[r->total % DUMP_EXITS] = *e;
	r->total++;
}

static uint32_t apic_reg(const struct kvm_lapic_state *l, unsigned off)
{
	uint32_t v;

	memcpy(&v, l->regs + off, 4);
	return v;
}

/* The vectors set in a 256-bit LAPIC register (8 words 16 bytes apart), e.g. "0x30 0xec". */
static void dump_vectors(FILE *f, const char *name, const struct kvm_lapic_state *l,
			 unsigned base)
{
	bool any = false;

	fprintf(f, " %s", name);
	for (unsigned v = 0; v < 256; v++) {
		if (!(apic_reg(l, base + 0x10 * (v / 32)) & (1u << (v % 32))))
			continue;
		fprintf(f, "%s%#x", any ? "," : "=", v);
		any = true;
	}
	if (!any)
		fputs("=-", f);
}

static const char *mp_state_name(uint32_t s)
{
	static const char *const n[] = { "RUNNABLE", "UNINITIALIZED", "INIT_RECEIVED", "HALTED",
					 "SIPI_RECEIVED" };

	return s < sizeof(n) / sizeof(n[0]) ? n[s] : "other";
}

void dump_vcpu(FILE *f, unsigned id, const struct dump_vcpu_state *s)
{
	const struct kvm_vcpu_events *ev = &s->events;
	const struct kvm_lapic_state *l = &s->lapic;

	if (s->err) {
		fprintf(f, "vfvm: vCPU %u: cannot read its state: %s\n", id, strerror(s->err));
		return;
	}
	fprintf(f, "vfvm: vCPU %u: RIP %#" PRIx64 " RSP %#" PRIx64 " RFLAGS %#" PRIx64
		" IF=%d CR0 %#" PRIx64 " CR3 %#" PRIx64 " CR4 %#" PRIx64 " %s\n", id,
		(uint64_t)s->regs.rip, (uint64_t)s->regs.rsp, (uint64_t)s->regs.rflags,
		!!(s->regs.rflags & RFLAGS_IF), (uint64_t)s->sregs.cr0, (uint64_t)s->sregs.cr3,
		(uint64_t)s->sregs.cr4, mp_state_name(s->mp.mp_state));
	/* interrupt.shadow: STI/MOV SS blocking (SDM vol. 3C §24.4.2 interruptibility state). */
	fprintf(f, "vfvm: vCPU %u: injected interrupt %s%u, shadow %u, NMI pending %u masked %u, "
		"exception %s%u\n", id, ev->interrupt.injected ? "" : "none/",
		ev->interrupt.nr, ev->interrupt.shadow, ev->nmi.pending, ev->nmi.masked,
		ev->exception.injected ? "" : "none/", ev->exception.nr);
	fprintf(f, "vfvm: vCPU %u: LAPIC TPR %#x PPR %#x SVR %#x LVTT %#x TMCCT %#x LVT0 %#x", id,
		apic_reg(l, APIC_TPR), apic_reg(l, APIC_PPR), apic_reg(l, APIC_SVR),
		apic_reg(l, APIC_LVTT), apic_reg(l, APIC_TMCCT), apic_reg(l, APIC_LVT0));
	dump_vectors(f, "ISR", l, APIC_ISR);
	dump_vectors(f, "IRR", l, APIC_IRR);
	dump_vectors(f, "TMR", l, APIC_TMR);
	fputc('\n', f);
}

void dump_exits(FILE *f, unsigned id, const struct dump_ring *r, uint64_t now_ns)
{
	uint64_t first = r->total > DUMP_EXITS ? r->total - DUMP_EXITS : 0;

	fprintf(f, "vfvm: vCPU %u: %" PRIu64 " exits; the last %" PRIu64 ", oldest first:\n", id,
		r->total, r->total - first);
	for (uint64_t i = first; i < r->total; i++) {
		const struct dump_exit *e = &r->e[i % DUMP_EXITS];
		uint64_t age = now_ns >= e->ns ? (now_ns - e->ns) / 1000000 : 0;

		fprintf(f, "vfvm:   %s", dump_exit_name(e->reason));
		if (e->reason == KVM_EXIT_IO || e->reason == KVM_EXIT_MMIO)
			fprintf(f, " %s %#" PRIx64, e->write ? "write" : "read", e->addr);
		else if (e->reason == KVM_EXIT_IOAPIC_EOI)
			fprintf(f, " vector %#" PRIx64, e->addr);
		fprintf(f, ", %" PRIu64 " ms ago\n", age);
	}
}
