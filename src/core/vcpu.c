/* vcpu.c - vCPU creation (CPUID, LAPIC LINT0/LINT1), the boot register state, and the
 * KVM_RUN loop: exit dispatch onto the buses, ExtINT injection from the PIC into the BSP,
 * kicks with a signal that is only unblocked inside KVM_RUN (KVM_SET_SIGNAL_MASK). */
#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "core/cpuid.h"
#include "core/dump.h"
#include "core/kvm_stats.h"
#include "core/vcpu.h"

#define VCPU_STACK_SIZE (256 * 1024)

/* LAPIC register offsets (SDM vol. 3A Table 11-1) and LVT delivery modes (§11.5.1). */
#define APIC_LVT0	0x350
#define APIC_LVT1	0x360
#define APIC_MODE_NMI	(4 << 8)
#define APIC_MODE_EXTINT (7 << 8)

/* KVM paravirtual MSRs that point into guest memory: zeroed on reset so that a rebooted
 * guest's fresh RAM is not written by the previous kernel's kvmclock/steal-time setup. */
static const uint32_t vcpu_pv_msrs[] = {
	0x11, 0x12,				/* MSR_KVM_WALL_CLOCK, MSR_KVM_SYSTEM_TIME */
	0x4b564d00, 0x4b564d01,			/* ..._NEW */
	0x4b564d02, 0x4b564d03, 0x4b564d04,	/* async PF, steal time, PV EOI */
};

struct vcpu {
	struct vm *vm;
	const struct vcpu_ops *ops;
	unsigned id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	/* Kicks may come from any thread: @running is read and the signal sent under
	 * @kick_lock, and cleared under it before the join, so no kick hits a joined thread. */
	pthread_mutex_t kick_lock;
	bool running;
	/* Power-on state, restored on guest reset. */
	struct kvm_regs regs0;
	struct kvm_sregs sregs0;
	struct kvm_lapic_state lapic0;
	struct kvm_mp_state mp0;
	/* Watchdog dump: requested by any thread (vcpu_dump), answered by this vCPU's thread,
	 * the only one that can read its registers without waiting for KVM_RUN to return. */
	struct dump_ring ring;
	atomic_int dump_req;
	sem_t dump_done;
	/* KVM's own counters of what it delivered without an exit to vfvm (kvm_stats.h). */
	struct kvm_stats stats;
	atomic_int tid;		/* gettid() of the vCPU thread, once it runs */
};

int vcpu_kick_signal(void)
{
	return SIGUSR2;	/* SIGUSR1 is the user's: dump the VM's state (machine.c) */
}

static int vcpu_set_cpuid(struct vcpu *v, struct err *err)
{
	struct kvm_cpuid2 *src = v->vm->cpuid;
	size_t sz = sizeof(*src) + src->nent * sizeof(src->entries[0]);
	unsigned extra = 3;	/* room for the leaf 0xB subleaves cpuid_add_topology() adds */
	struct kvm_cpuid2 *c = malloc(sz + extra * sizeof(src->entries[0]));
	int r = 0;

	if (!c)
		return err_set(err, ENOMEM, "out of memory for CPUID");
	memcpy(c, src, sz);
	cpuid_add_topology(c, src->nent + extra);
	cpuid_fixup(c, v->id, v->vm->ncpus, v->vm->cfg.cpuid_compat);
	if (ioctl(v->fd, KVM_SET_CPUID2, c) < 0)
		r = err_set(err, errno, "KVM_SET_CPUID2: %s", strerror(errno));
	free(c);
	return r;
}

/* LINT0 = ExtINT (the 8259A's INTR), LINT1 = NMI: the virtual-wire mode of MPS 1.4 §3.6.2.2
 * and what a PC BIOS leaves on the BSP (SDM vol. 3A §11.5.1). */
static int vcpu_setup_lapic(struct vcpu *v, struct err *err)
{
	struct kvm_lapic_state s;

	if (ioctl(v->fd, KVM_GET_LAPIC, &s) < 0)
		return err_set(err, errno, "KVM_GET_LAPIC: %s", strerror(errno));
	*(uint32_t *)&s.regs[APIC_LVT0] = APIC_MODE_EXTINT;
	*(uint32_t *)&s.regs[APIC_LVT1] = APIC_MODE_NMI;
	if (ioctl(v->fd, KVM_SET_LAPIC, &s) < 0)
		return err_set(err, errno, "KVM_SET_LAPIC: %s", strerror(errno));
	return 0;
}

static int vcpu_save_state(struct vcpu *v, struct err *err)
{
	if (ioctl(v->fd, KVM_GET_REGS, &v->regs0) < 0 ||
	    ioctl(v->fd, KVM_GET_SREGS, &v->sregs0) < 0 ||
	    ioctl(v->fd, KVM_GET_LAPIC, &v->lapic0) < 0 ||
	    ioctl(v->fd, KVM_GET_MP_STATE, &v->mp0) < 0)
		return err_set(err, errno, "vCPU %u: saving power-on state: %s", v->id,
			       strerror(errno));
	return 0;
}

static int vcpu_set_signal_mask(struct vcpu *v, struct err *err)
{
	struct {
		struct kvm_signal_mask m;
		uint8_t set[8];		/* the kernel's sigset_t is 64 bits on x86-64 */
	} km = { .m.len = 8 };
	sigset_t cur;

	/* Inside KVM_RUN: the thread's mask minus the kick signal. */
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	sigdelset(&cur, vcpu_kick_signal());
	memcpy(km.set, &cur, 8);
	if (ioctl(v->fd, KVM_SET_SIGNAL_MASK, &km) < 0)
		return err_set(err, errno, "KVM_SET_SIGNAL_MASK: %s", strerror(errno));
	return 0;
}

struct vcpu *vcpu_new(struct vm *vm, unsigned id, const struct vcpu_ops *ops,
		      struct err *err)
{
	struct vcpu *v = calloc(1, sizeof(*v));

	if (!v) {
		err_set(err, ENOMEM, "out of memory for vCPU %u", id);
		return NULL;
	}
	v->vm = vm;
	v->ops = ops;
	v->id = id;
	v->run = MAP_FAILED;
	v->stats.fd = -1;
	pthread_mutex_init(&v->kick_lock, NULL);
	sem_init(&v->dump_done, 0, 0);
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (v->fd < 0) {
		err_set(err, errno, "KVM_CREATE_VCPU %u: %s", id, strerror(errno));
		goto fail;
	}
	v->run = mmap(NULL, vm->vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		err_set(err, errno, "mmap of vCPU %u: %s", id, strerror(errno));
		goto fail;
	}
	/* Without binary statistics (Linux < 5.14) the watchdog counts exits only. */
	kvm_stats_open(&v->stats, v->fd, kvm_stats_progress_names, kvm_stats_progress_count);
	if (vcpu_set_cpuid(v, err) || (id == 0 && vcpu_setup_lapic(v, err)) ||
	    vcpu_set_signal_mask(v, err) || vcpu_save_state(v, err))
		goto fail;
	return v;
fail:
	vcpu_free(v);
	return NULL;
}

void vcpu_free(struct vcpu *v)
{
	if (!v)
		return;
	if (v->run != MAP_FAILED)
		munmap(v->run, v->vm->vcpu_mmap_size);
	kvm_stats_close(&v->stats);
	if (v->fd >= 0)
		close(v->fd);
	pthread_mutex_destroy(&v->kick_lock);
	sem_destroy(&v->dump_done);
	free(v);
}

static void seg_flat(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code64)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .dpl = 0, .db = code64 ? 0 : 1, .s = 1, .l = code64 ? 1 : 0,
		.g = 1,
	};
}

/* The entry state of struct boot_entry (Linux boot.rst "32-bit/64-bit boot protocol",
 * Multiboot 0.6.96 §3.2 "Machine state"): flat segments from the loader's GDT. */
static int vcpu_boot_state(struct vcpu *v, struct err *err)
{
	const struct boot_entry *e = &v->vm->entry;
	bool lm = e->mode == BOOT_MODE_LM64;
	struct kvm_sregs s = v->sregs0;
	struct kvm_regs r = { .rflags = 2, .rip = e->rip, .rsp = e->rsp, .rax = e->rax,
			      .rbx = e->rbx, .rsi = e->rsi };

	seg_flat(&s.cs, e->cs ? e->cs : 0x10, 0xb, lm);
	seg_flat(&s.ds, e->ds ? e->ds : 0x18, 0x3, false);
	s.es = s.fs = s.gs = s.ss = s.ds;
	/* A busy 32/64-bit TSS: VM entry checks TR even though no task switch ever happens. */
	s.tr = (struct kvm_segment){ .limit = 0x67, .type = 0xb, .present = 1 };
	s.gdt.base = e->gdt_base;
	s.gdt.limit = e->gdt_limit;
	s.cr0 = 0x11;			/* PE | ET */
	if (lm) {
		s.cr0 |= 0x80000000;	/* PG */
		s.cr3 = e->cr3;
		s.cr4 |= 0x20;		/* PAE */
		s.efer |= 0x500;	/* LME | LMA */
	}
	if (ioctl(v->fd, KVM_SET_SREGS, &s) < 0 || ioctl(v->fd, KVM_SET_REGS, &r) < 0)
		return err_set(err, errno, "setting the boot registers: %s", strerror(errno));
	return 0;
}

int vcpu_reset(struct vcpu *v, struct err *err)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[sizeof(vcpu_pv_msrs) / sizeof(vcpu_pv_msrs[0])];
	} msrs = { .h.nmsrs = sizeof(vcpu_pv_msrs) / sizeof(vcpu_pv_msrs[0]) };
	/* No exception, interrupt or NMI injected or pending (KVM_GET_VCPU_EVENTS of a fresh
	 * vCPU costs ~2 ms on the nested host, so the power-on events are written, not saved). */
	struct kvm_vcpu_events ev = { .flags = KVM_VCPUEVENT_VALID_NMI_PENDING };

	for (unsigned i = 0; i < msrs.h.nmsrs; i++)
		msrs.e[i].index = vcpu_pv_msrs[i];
	/* KVM_SET_MSRS stops at the first MSR it does not know; that is fine for PV MSRs. */
	ioctl(v->fd, KVM_SET_MSRS, &msrs);
	if (ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev) < 0 ||
	    ioctl(v->fd, KVM_SET_REGS, &v->regs0) < 0 ||
	    ioctl(v->fd, KVM_SET_SREGS, &v->sregs0) < 0 ||
	    ioctl(v->fd, KVM_SET_LAPIC, &v->lapic0) < 0 ||
	    ioctl(v->fd, KVM_SET_MP_STATE, &v->mp0) < 0)
		return err_set(err, errno, "vCPU %u: reset: %s", v->id, strerror(errno));
	v->run->request_interrupt_window = 0;
	return v->id == 0 ? vcpu_boot_state(v, err) : 0;
}

/* --- the run loop --- */

static void vcpu_eat_kicks(void)
{
	sigset_t set;
	struct timespec zero = { 0, 0 };

	sigemptyset(&set);
	sigaddset(&set, vcpu_kick_signal());
	while (sigtimedwait(&set, NULL, &zero) > 0)
		;
}

/* ExtINT: only the BSP's LINT0 is wired to the PIC. KVM accepts a vector when the vCPU
 * can take it now; otherwise it exits (IRQ_WINDOW_OPEN) as soon as it can. */
static void vcpu_pic_inject(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct kvm_run *run = v->run;

	pthread_mutex_lock(&vm->lock);
	if (!v->ops->extint_pending(vm)) {
		run->request_interrupt_window = 0;
	} else if (run->ready_for_interrupt_injection && run->if_flag) {
		int vec = v->ops->extint_ack(vm);

		if (vec >= 0) {
			struct kvm_interrupt irq = { .irq = (uint32_t)vec };

			ioctl(v->fd, KVM_INTERRUPT, &irq);
		}
		run->request_interrupt_window = v->ops->extint_pending(vm);
	} else {
		run->request_interrupt_window = 1;
	}
	pthread_mutex_unlock(&vm->lock);
}

static void vcpu_io(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct kvm_run *run = v->run;
	uint8_t *p = (uint8_t *)run + run->io.data_offset;
	bool wr = run->io.direction == KVM_EXIT_IO_OUT;
	unsigned size = run->io.size;

	atomic_fetch_add(&vm->stats.exits_io, 1);
	if (size != 1 && size != 2 && size != 4)
		return;
	/* count > 1 for rep ins/outs: the data area holds count items back to back. */
	if (run->io.data_offset + (uint64_t)size * run->io.count > (uint64_t)vm->vcpu_mmap_size)
		return;
	/* bus_access takes the lock of the device it reaches (bus.h). */
	for (unsigned i = 0; i < run->io.count; i++, p += size) {
		if (run->io.port == 0xcf9 && size == 1) {
			pthread_mutex_lock(&vm->lock);
			v->ops->rcr_io(vm, p, wr);
			pthread_mutex_unlock(&vm->lock);
		} else if (!bus_access(&vm->pio, run->io.port, p, size, wr)) {
			atomic_fetch_add(wr ? &vm->stats.unclaimed_writes :
					 &vm->stats.unclaimed_reads, 1);
		}
	}
}

static void vcpu_mmio(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct kvm_run *run = v->run;
	unsigned len = run->mmio.len;

	atomic_fetch_add(&vm->stats.exits_mmio, 1);
	if (len != 1 && len != 2 && len != 4 && len != 8) {
		if (!run->mmio.is_write)
			memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
		return;
	}
	if (!bus_access(&vm->mmio, run->mmio.phys_addr, run->mmio.data, len, run->mmio.is_write))
		atomic_fetch_add(run->mmio.is_write ? &vm->stats.unclaimed_writes :
				 &vm->stats.unclaimed_reads, 1);
}

static void vcpu_fail(struct vcpu *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void vcpu_fail(struct vcpu *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	v->ops->fail(v->vm, fmt, ap);
	va_end(ap);
}

static uint64_t vcpu_rip(struct vcpu *v)
{
	struct kvm_regs r;

	return ioctl(v->fd, KVM_GET_REGS, &r) < 0 ? 0 : r.rip;
}

static void vcpu_dump_self(struct vcpu *v);

/*
 * KVM_EXIT_SHUTDOWN. Without --reboot the triple fault ends vfvm, and is then a guest crash
 * worth its evidence: each vCPU's state goes to stderr while the others still run (on SVM KVM
 * has already reset this vCPU's registers, svm.c shutdown_interception, so its last exits are
 * what tells), and the exit line names the vCPU.
 */
static void vcpu_shutdown(struct vcpu *v)
{
	struct vm *vm = v->vm;
	char why[48];

	snprintf(why, sizeof(why), "triple fault on vCPU %u", v->id);
	if (!vm->cfg.reboot && !atomic_load(&vm->exit_requested)) {
		fprintf(stderr, "vfvm: vCPU %u: triple fault (KVM_EXIT_SHUTDOWN); state of every "
			"vCPU follows\n", v->id);
		vcpu_dump_self(v);
		for (unsigned i = 0; i < vm->ncpus; i++)
			if (vm->vcpus[i] != v && !vcpu_dump(vm->vcpus[i], 1000))
				fprintf(stderr, "vfvm: vCPU %u: no answer within 1 s\n", i);
	}
	v->ops->reset(vm, why);
}

/* Returns false when the thread must stop. */
static bool vcpu_dispatch(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct kvm_run *run = v->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu_io(v);
		return true;
	case KVM_EXIT_MMIO:
		vcpu_mmio(v);
		return true;
	case KVM_EXIT_IOAPIC_EOI:
		atomic_fetch_add(&vm->stats.exits_eoi, 1);
		v->ops->eoi_exit(vm, run->eoi.vector);
		return true;
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		atomic_fetch_add(&vm->stats.exits_irq_window, 1);
		return true;
	case KVM_EXIT_HLT:
		atomic_fetch_add(&vm->stats.exits_hlt, 1);
		return true;
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_SHUTDOWN:
		/* Triple fault: a PC resets (SDM vol. 3A §6.15, shutdown → INIT via the chipset). */
		atomic_fetch_add(&vm->stats.exits_other, 1);
		vcpu_shutdown(v);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		atomic_fetch_add(&vm->stats.exits_other, 1);
		if (run->system_event.type == KVM_SYSTEM_EVENT_RESET)
			v->ops->reset(vm, "KVM system event");
		else
			v->ops->exit(vm, 0);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		atomic_fetch_add(&vm->stats.exits_other, 1);
		vcpu_fail(v, "vCPU %u: KVM exit INTERNAL_ERROR, suberror %u%s, at RIP %#" PRIx64
			  "%s", v->id, run->internal.suberror,
			  run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ?
			  " (instruction emulation failed)" : "", vcpu_rip(v),
			  run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ?
			  "; try --cpuid-compat" : "");
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		atomic_fetch_add(&vm->stats.exits_other, 1);
		vcpu_fail(v, "vCPU %u: KVM exit FAIL_ENTRY, hardware reason %#llx, at RIP %#"
			  PRIx64, v->id,
			  (unsigned long long)run->fail_entry.hardware_entry_failure_reason,
			  vcpu_rip(v));
		return false;
	default:
		atomic_fetch_add(&vm->stats.exits_other, 1);
		vcpu_fail(v, "vCPU %u: unexpected KVM exit %s (%u) at RIP %#" PRIx64, v->id,
			  dump_exit_name(run->exit_reason), run->exit_reason, vcpu_rip(v));
		return false;
	}
}

static bool vcpu_should_stop(struct vcpu *v)
{
	return atomic_load(&v->vm->exit_requested) || atomic_load(&v->vm->reset_requested);
}

static void vcpu_eoi_poll(struct vcpu *v)
{
	struct kvm_lapic_state s;

	if (ioctl(v->fd, KVM_GET_LAPIC, &s) == 0)
		v->ops->eoi_poll(v->vm, v->id, s.regs);
}

static uint64_t vcpu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Every exit but a kick goes into the ring and counts as progress for the watchdog. */
static void vcpu_note_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	struct dump_exit e = { .reason = run->exit_reason, .ns = vcpu_now_ns() };

	if (run->exit_reason == KVM_EXIT_INTR)
		return;
	if (run->exit_reason == KVM_EXIT_IO) {
		e.addr = run->io.port;
		e.write = run->io.direction == KVM_EXIT_IO_OUT;
	} else if (run->exit_reason == KVM_EXIT_MMIO) {
		e.addr = run->mmio.phys_addr;
		e.write = run->mmio.is_write;
	} else if (run->exit_reason == KVM_EXIT_IOAPIC_EOI) {
		e.addr = run->eoi.vector;
	}
	dump_ring_add(&v->ring, &e);
	atomic_fetch_add(&v->vm->stats.progress, 1);
}

/* "vfvm: vCPU 0: in KVM: irq_injections 123, nmi_injections 0, halt_wakeup 45". */
static void vcpu_dump_stats(struct vcpu *v)
{
	if (!v->stats.n) {
		fprintf(stderr, "vfvm: vCPU %u: in KVM: no binary statistics (KVM_GET_STATS_FD)\n",
			v->id);
		return;
	}
	fprintf(stderr, "vfvm: vCPU %u: in KVM:", v->id);
	for (unsigned i = 0; i < v->stats.n; i++)
		fprintf(stderr, "%s %s %llu", i ? "," : "", v->stats.name[i],
			(unsigned long long)kvm_stats_get(&v->stats, i));
	fputc('\n', stderr);
}

int vcpu_tid(const struct vcpu *v)
{
	return atomic_load(&v->tid);
}

uint64_t vcpu_progress(const struct vcpu *v)
{
	return kvm_stats_sum(&v->stats);
}

static void vcpu_dump_self(struct vcpu *v)
{
	struct dump_vcpu_state s;

	memset(&s, 0, sizeof(s));
	if (ioctl(v->fd, KVM_GET_REGS, &s.regs) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s.sregs) < 0 ||
	    ioctl(v->fd, KVM_GET_VCPU_EVENTS, &s.events) < 0 ||
	    ioctl(v->fd, KVM_GET_LAPIC, &s.lapic) < 0 || ioctl(v->fd, KVM_GET_MP_STATE, &s.mp) < 0)
		s.err = errno;
	dump_vcpu(stderr, v->id, &s);
	vcpu_dump_stats(v);
	dump_exits(stderr, v->id, &v->ring, vcpu_now_ns());
	fflush(stderr);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;

	atomic_store(&v->tid, (int)gettid());
	while (!vcpu_should_stop(v)) {
		if (atomic_exchange(&v->dump_req, 0)) {
			vcpu_dump_self(v);
			sem_post(&v->dump_done);
		}
		if (v->ops->eoi_pending(v->vm, v->id))
			vcpu_eoi_poll(v);
		if (v->id == 0)
			vcpu_pic_inject(v);
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				/* Kicked: the signal stays pending once KVM_RUN restores the
				 * blocking mask, so take it off here (as QEMU's kvm_eat_signals). */
				vcpu_eat_kicks();
				continue;
			}
			vcpu_fail(v, "vCPU %u: KVM_RUN: %s", v->id, strerror(errno));
			break;
		}
		vcpu_note_exit(v);
		if (!vcpu_dispatch(v))
			break;
	}
	return NULL;
}

int vcpu_start(struct vcpu *v)
{
	pthread_attr_t a;
	int r;

	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, VCPU_STACK_SIZE);
	pthread_mutex_lock(&v->kick_lock);
	/* The thread runs guest-controlled exits: it is filtered before its first KVM_RUN. */
	r = sandbox_thread_start(&v->thread, &a, vcpu_thread, v, v->vm->sandbox, SB_VCPU);
	v->running = r == 0;
	pthread_mutex_unlock(&v->kick_lock);
	pthread_attr_destroy(&a);
	return r;
}

void vcpu_join(struct vcpu *v)
{
	bool running;

	if (!v)
		return;
	pthread_mutex_lock(&v->kick_lock);
	running = v->running;
	v->running = false;
	pthread_mutex_unlock(&v->kick_lock);
	if (running)
		pthread_join(v->thread, NULL);
}

void vcpu_kick(struct vcpu *v)
{
	if (!v)
		return;
	pthread_mutex_lock(&v->kick_lock);
	if (v->running && !pthread_equal(v->thread, pthread_self()))
		pthread_kill(v->thread, vcpu_kick_signal());
	pthread_mutex_unlock(&v->kick_lock);
}

bool vcpu_dump(struct vcpu *v, unsigned timeout_ms)
{
	struct timespec ts;
	bool running;

	pthread_mutex_lock(&v->kick_lock);
	running = v->running;
	pthread_mutex_unlock(&v->kick_lock);
	if (!running)
		return false;
	atomic_store(&v->dump_req, 1);
	vcpu_kick(v);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (sem_timedwait(&v->dump_done, &ts) < 0)
		if (errno != EINTR)
			return false;
	return true;
}
