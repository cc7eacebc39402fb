/* machine_irq.c - the machine's interrupt wiring: ISA IRQs and GSIs to the PIC and I/O APIC,
 * I/O APIC entries as KVM GSI routes, and the EOI of level-triggered vectors (KVM's exit and
 * the fallback poll). The device models see irq_line and ioapic_ops; this backs them with KVM. */
#include <pthread.h>
#include <string.h>
#include "core/kvm.h"
#include "legacy/pic.h"
#include "machine/machine_irq.h"
#include "core/vcpu.h"
#include "core/vm.h"

#define IOAPIC_PIN_IRQ0 2	/* ISA IRQ0 is wired to I/O APIC pin 2 (MP table override) */
#define EOI_POLL_NS 1000000ULL	/* see machine_irq_eoi_poll() */
#define MSI_DATA_LEVEL (1u << 15)

void machine_irq_pic_out(void *opaque, int level)
{
	struct vm *vm = opaque;

	/* The BSP may sit in KVM_RUN (in-kernel HLT): bring it out so it can inject ExtINT. */
	if (level)
		vcpu_kick(vm->vcpus[0]);
}

static void ioapic_route(void *opaque, unsigned pin, const struct msi_msg *msg, bool masked)
{
	struct machine_irq *q = opaque;
	bool was = pin < IOAPIC_PINS && (q->pin_routed & (1u << pin));

	if (pin >= IOAPIC_PINS)
		return;
	/* KVM_SET_GSI_ROUTING is slow (an SRCU grace period): skip it when nothing changes,
	 * e.g. the 24 masked pins announced at I/O APIC creation and reset. */
	if (masked && !was) {
		q->pin_msg[pin] = *msg;
		return;
	}
	if (was && q->pin_msg[pin].addr == msg->addr && q->pin_msg[pin].data == msg->data)
		return;
	q->pin_msg[pin] = *msg;
	/*
	 * GSI = pin. A pin keeps its route once it has one, masked or not: KVM's split irqchip
	 * intercepts the EOI only of vectors it finds in these routes, and Linux masks a level
	 * pin before its EOI (IRQF_ONESHOT), so dropping the route would lose that EOI and leave
	 * Remote IRR set for good. A masked pin is simply never fired.
	 */
	kvm_route_set(q->vm, pin, msg);
	q->pin_routed |= 1u << pin;
	kvm_route_commit(q->vm);
}

static void ioapic_fire(void *opaque, unsigned pin)
{
	struct machine_irq *q = opaque;

	/* Level 1 on an MSI route sends the message; level 0 would do nothing. */
	kvm_irq_line(q->vm, pin, 1);
	if (pin < IOAPIC_PINS && (q->pin_msg[pin].data & MSI_DATA_LEVEL)) {
		atomic_fetch_or(&q->eoi_wait, 1u << pin);
		clock_arm(q->eoi_clock, clock_now(q->eoi_clock) + EOI_POLL_NS);
	}
}

/*
 * EOI fallback. KVM's split irqchip should report the guest's EOI of a level-triggered
 * I/O APIC vector as KVM_EXIT_IOAPIC_EOI; the nested KVM (PVM) this is developed on does so
 * only now and then (QEMU with kernel_irqchip=split hangs the same way), and a lost EOI
 * leaves remote IRR set forever. So every level-triggered delivery is also followed by
 * polling, whichever of the two sees the EOI first wins: the target vCPU is kicked every EOI_POLL_NS and, on its own thread, looks at its
 * LAPIC; once the vector is neither requested (IRR) nor in service (ISR) the guest has
 * EOI'd it, and the I/O APIC gets ioapic_eoi() (82093AA §3.2.4 remote IRR).
 */
static bool msi_targets(const struct msi_msg *msg, unsigned id)
{
	unsigned dest = (unsigned)(msg->addr >> 12) & 0xff;

	if (msg->addr & (1u << 2))	/* logical: flat model, one bit per CPU (SDM §11.6.2.2) */
		return id >= 8 || (dest & (1u << id));
	return dest == 0xff || dest == id;
}

static bool eoi_pending_locked(struct machine_irq *q, unsigned id)
{
	unsigned wait = atomic_load(&q->eoi_wait);

	for (unsigned pin = 0; wait && pin < IOAPIC_PINS; pin++)
		if ((wait & (1u << pin)) && msi_targets(&q->pin_msg[pin], id))
			return true;
	return false;
}

bool machine_irq_eoi_pending(struct machine_irq *q, unsigned id)
{
	bool r;

	if (!atomic_load(&q->eoi_wait))	/* the common case: no lock */
		return false;
	pthread_mutex_lock(&q->vm->lock);
	r = eoi_pending_locked(q, id);
	pthread_mutex_unlock(&q->vm->lock);
	return r;
}

static bool apic_bit(const char *regs, unsigned base, unsigned vec)
{
	uint32_t w;

	memcpy(&w, regs + base + 0x10 * (vec / 32), 4);
	return w & (1u << (vec % 32));
}

void machine_irq_eoi_poll(struct machine_irq *q, unsigned id, const char *lapic_regs)
{
	struct vm *vm = q->vm;

	pthread_mutex_lock(&vm->lock);
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		unsigned vec = q->pin_msg[pin].data & 0xff;

		if (!(atomic_load(&q->eoi_wait) & (1u << pin)) ||
		    !msi_targets(&q->pin_msg[pin], id))
			continue;
		/* ISR at 0x100, IRR at 0x200 (SDM vol. 3A Table 11-1). */
		if (apic_bit(lapic_regs, 0x100, vec) || apic_bit(lapic_regs, 0x200, vec))
			continue;
		atomic_fetch_and(&q->eoi_wait, ~(1u << pin));
		ioapic_eoi(vm->ioapic, (uint8_t)vec);
	}
	pthread_mutex_unlock(&vm->lock);
}

void machine_irq_eoi_exit(struct machine_irq *q, uint8_t vector)
{
	struct vm *vm = q->vm;

	pthread_mutex_lock(&vm->lock);
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		if ((q->pin_msg[pin].data & 0xff) == vector)
			atomic_fetch_and(&q->eoi_wait, ~(1u << pin));
	if (vm->ioapic)
		ioapic_eoi(vm->ioapic, vector);
	pthread_mutex_unlock(&vm->lock);
}

void machine_irq_eoi_tick(void *opaque)
{
	struct machine_irq *q = opaque;
	struct vm *vm = q->vm;

	if (!atomic_load(&q->eoi_wait))
		return;
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (eoi_pending_locked(q, i))
			vcpu_kick(vm->vcpus[i]);
	clock_arm(q->eoi_clock, clock_now(q->eoi_clock) + EOI_POLL_NS);
}

void machine_irq_reset(struct machine_irq *q)
{
	atomic_store(&q->eoi_wait, 0);
}

void machine_irq_dump(struct machine_irq *q, FILE *f)
{
	fprintf(f, "vfvm: level pins delivered, EOI not yet seen: %#x; pins routed %#x\n",
		atomic_load(&q->eoi_wait), q->pin_routed);
}

/*
 * ISA IRQ n: PIC input n and I/O APIC pin n, except IRQ0 on pin 2 (MPS 1.4 §5, override).
 * The interrupt controllers are the platform's: the line takes vm->lock (recursive, as PCI
 * raises INTx with it held already), after the device's own lock (the PIT's, RTC's, UART's).
 */
static void isa_irq_set(void *opaque, unsigned irq, int level)
{
	struct vm *vm = opaque;

	pthread_mutex_lock(&vm->lock);
	pic_set_irq(vm->pic, irq, level);
	ioapic_set_irq(vm->ioapic, irq == 0 ? IOAPIC_PIN_IRQ0 : irq, level);
	pthread_mutex_unlock(&vm->lock);
}

static void gsi_set(void *opaque, unsigned gsi, int level)
{
	struct vm *vm = opaque;

	pthread_mutex_lock(&vm->lock);
	if (gsi < MACHINE_ISA_IRQS && gsi != 2)
		pic_set_irq(vm->pic, gsi, level);
	if (gsi < IOAPIC_PINS)
		ioapic_set_irq(vm->ioapic, gsi, level);
	pthread_mutex_unlock(&vm->lock);
}

void machine_irq_gsi_line(struct vm *vm, unsigned gsi, struct irq_line *out)
{
	*out = (struct irq_line){ .set = gsi_set, .opaque = vm, .pin = gsi };
}

void machine_irq_init(struct machine_irq *q, struct vm *vm, const struct clock_ops *eoi_clock,
		      struct ioapic_ops *io_ops)
{
	q->vm = vm;
	q->eoi_clock = eoi_clock;
	for (unsigned i = 0; i < MACHINE_ISA_IRQS; i++)
		q->isa[i] = (struct irq_line){ .set = isa_irq_set, .opaque = vm, .pin = i };
	*io_ops = (struct ioapic_ops){ .route = ioapic_route, .fire = ioapic_fire, .opaque = q };
}
