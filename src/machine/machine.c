/* machine.c - the PC-like machine: guest RAM and KVM slots, the legacy devices (PIC, I/O APIC,
 * PIT, RTC, UARTs, reset and debug-exit ports; their interrupt wiring is machine_irq.c), PCI,
 * the MP table, the vCPUs, and the main thread's event loop (timers, signals, requests). */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "boot/boot.h"
#include "machine/console.h"
#include "core/cpuid.h"
#include "core/kvm.h"
#include "legacy/ioapic.h"
#include "legacy/pic.h"
#include "legacy/pit.h"
#include "legacy/rtc.h"
#include "legacy/uart.h"
#include "machine/machine.h"
#include "machine/machine_acpi.h"
#include "machine/machine_irq.h"
#include "machine/machine_watch.h"
#include "machine/machine_tables.h"
#include "machine/mptable.h"
#include "pci/pci.h"
#include "core/trace.h"
#include "core/vcpu.h"
#include "net/tap.h"
#include "virtio/blk.h"
#include "virtio/virtiofsd.h"

#define RCR_SYS_RST 0x02	/* 0xCF9 Reset Control Register (Intel PIIX3/ICH datasheets) */
#define RCR_RST_CPU 0x04

enum { TIMER_PIT, TIMER_RTC, TIMER_EOI, TIMER_NR };

struct mtimer {
	struct vm *vm;
	int fd;
	void (*tick)(void *dev);
	void *dev;
	pthread_mutex_t *lock;	/* the device's lock, held around tick */
	struct clock_ops ops;
};

struct machine {
	int epfd, evfd, sigfd;
	struct mtimer timers[TIMER_NR];
	struct machine_irq irq;
	struct machine_acpi acpi;
	/* SIGINT/SIGTERM pressed the power button: the signal, and when to stop regardless
	 * (CLOCK_MONOTONIC ns; 0 = not pressed). Main thread only. */
	int stop_signo;
	int64_t stop_deadline;
	/*
	 * Device locks (docs/architecture.md "Threads and locking"): the PIT (with port 0x61),
	 * the RTC and each UART are touched by vCPUs, their timer or the console thread under
	 * their own lock; their interrupt lines then take vm->lock. Lock order: device lock,
	 * vm->lock, vm->kvm_lock.
	 */
	pthread_mutex_t pit_lock, rtc_lock, uart_lock[2];
	struct err fail;
	atomic_int failed;
	atomic_int reset_exit;	/* reset without --reboot: say so at exit */
	char reset_why[64];	/* what asked for it, written before reset_exit */
	uint8_t rcr;
	struct machine_watch watch;	/* --watchdog's thread and the state dump */
};

/* --- requests from any thread --- */

static void machine_notify(struct vm *vm)
{
	uint64_t one = 1;

	if (vm->machine && vm->machine->evfd >= 0 &&
	    write(vm->machine->evfd, &one, sizeof(one)) < 0) {
		/* The counter cannot overflow with one write per request; nothing to do. */
	}
	for (unsigned i = 0; i < vm->ncpus; i++)
		vcpu_kick(vm->vcpus[i]);
}

void machine_exit(struct vm *vm, int status)
{
	int zero = 0;

	if (atomic_compare_exchange_strong(&vm->exit_requested, &zero, 1))
		atomic_store(&vm->exit_status, status);
	machine_notify(vm);
}

static void machine_vfail(struct vm *vm, const char *fmt, va_list ap)
{
	struct machine *m = vm->machine;
	int zero = 0;

	if (atomic_compare_exchange_strong(&m->failed, &zero, 1))
		vsnprintf(m->fail.msg, sizeof(m->fail.msg), fmt, ap);
	machine_exit(vm, 1);
}

void machine_fail(struct vm *vm, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	machine_vfail(vm, fmt, ap);
	va_end(ap);
}

void machine_reset(struct vm *vm, const char *why)
{
	if (!vm->cfg.reboot) {
		int zero = 0;

		/* Only say "reset" if the reset is what ends the VM (first request wins). */
		if (atomic_compare_exchange_strong(&vm->exit_requested, &zero, 1)) {
			atomic_store(&vm->exit_status, 0);
			snprintf(vm->machine->reset_why, sizeof(vm->machine->reset_why), "%s", why);
			atomic_store(&vm->machine->reset_exit, 1);
		}
		machine_notify(vm);
		return;
	}
	atomic_store(&vm->reset_requested, 1);
	machine_notify(vm);
}

/* --- small port devices --- */

/* Reset Control Register at port 0xCF9, byte accesses only (the vCPU routes them here through
 * vcpu_ops because the PCI host bridge owns the dword at 0xCF8). Called with vm->lock held. */
static void machine_rcr_io(struct vm *vm, uint8_t *data, bool is_write)
{
	struct machine *m = vm->machine;

	if (!is_write) {
		*data = m->rcr;
		return;
	}
	/* RST_CPU going 0→1 resets; SYS_RST picks hard vs soft, both are a full reset here. */
	if ((*data & RCR_RST_CPU) && !(m->rcr & RCR_RST_CPU)) {
		m->rcr = 0;
		machine_reset(vm, "0xCF9 RST_CPU");
		return;
	}
	m->rcr = *data & RCR_SYS_RST;
}

/*
 * 8042 status/command port, only as far as resets need it: command 0xFE pulses the CPU reset
 * line (Linux's reboot=k). Status reads 0xFD: input buffer empty (bit 1 clear), so a reboot's
 * kb_wait() does not spin, and output buffer full with 0xFF data at 0x60 (unclaimed), so a
 * guest's probe sees no controller after 16 reads instead of timing out on a command
 * (Linux: "i8042: No controller found" at once, not 1.2 s of emulated waiting).
 */
static void kbd_io(void *opaque, uint64_t off, void *data, unsigned len, bool is_write)
{
	(void)off;
	if (is_write && *(uint8_t *)data == 0xfe)
		machine_reset(opaque, "8042 command 0xFE");
	else if (!is_write)
		memset(data, 0xfd, len);
}

static void debug_exit_io(void *opaque, uint64_t off, void *data, unsigned len, bool is_write)
{
	uint32_t v = 0;

	(void)off;
	if (!is_write) {
		memset(data, 0, len);
		return;
	}
	memcpy(&v, data, len > 4 ? 4 : len);
	/* QEMU's isa-debug-exit: exit((value << 1) | 1). */
	machine_exit(opaque, (int)((v << 1) | 1));
}

static void sink_io(void *opaque, uint64_t off, void *data, unsigned len, bool is_write)
{
	(void)opaque;
	(void)off;
	if (!is_write)
		memset(data, 0xff, len);	/* port 0x80 (POST codes): an I/O delay, nothing behind */
}

/* --- timers: one timerfd per clock_ops user, served by the main thread --- */

static uint64_t mclock_now(void *opaque)
{
	struct timespec ts;

	(void)opaque;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void mclock_arm(void *opaque, uint64_t deadline)
{
	struct mtimer *t = opaque;
	struct itimerspec its = { 0 };

	if (deadline != CLOCK_NEVER) {
		if (!deadline)
			deadline = 1;	/* 0 would disarm */
		its.it_value.tv_sec = (time_t)(deadline / 1000000000ULL);
		its.it_value.tv_nsec = (long)(deadline % 1000000000ULL);
	}
	timerfd_settime(t->fd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void tick_pit(void *dev) { pit_tick(dev); }
static void tick_rtc(void *dev) { rtc_tick(dev); }

static int machine_timers(struct vm *vm, struct err *err)
{
	struct machine *m = vm->machine;

	for (int i = 0; i < TIMER_NR; i++) {
		struct mtimer *t = &m->timers[i];
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = t };

		t->vm = vm;
		t->ops = (struct clock_ops){ .now_ns = mclock_now, .arm = mclock_arm, .opaque = t };
		t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (t->fd < 0 || epoll_ctl(m->epfd, EPOLL_CTL_ADD, t->fd, &ev) < 0)
			return err_set(err, errno, "timerfd: %s", strerror(errno));
	}
	m->timers[TIMER_PIT].tick = tick_pit;
	m->timers[TIMER_PIT].lock = &m->pit_lock;
	m->timers[TIMER_RTC].tick = tick_rtc;
	m->timers[TIMER_RTC].lock = &m->rtc_lock;
	m->timers[TIMER_EOI].tick = machine_irq_eoi_tick;
	m->timers[TIMER_EOI].dev = &m->irq;
	m->timers[TIMER_EOI].lock = &vm->lock;
	return 0;
}

/* --- setup --- */

/* Lazily backed either way: pages cost nothing until the guest touches them. */
static int machine_ram_region(const struct guest_mem *mem, struct guest_region *g)
{
	void *p;

	g->fd = -1;
	if (!mem->shared) {
		p = mmap(NULL, g->size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			return -errno;
		g->hva = p;
		return 0;
	}
	g->fd = memfd_create("vfvm-ram", MFD_CLOEXEC);
	if (g->fd < 0)
		return -errno;
	if (ftruncate(g->fd, g->size) < 0)
		return -errno;
	p = mmap(NULL, g->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, g->fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	g->hva = p;
	return 0;
}

static int machine_ram(struct vm *vm, struct err *err)
{
	struct guest_mem *mem = &vm->mem;

	if (mem_layout(mem, vm->cfg.ram_size))
		return err_input(err, EINVAL, "--memory: at least 2 MiB of RAM is needed");
	/* A vhost-user back end maps guest RAM too: then it is memfd-backed and shared. */
	mem->shared = vm->cfg.nfs > 0;
	for (unsigned i = 0; i < mem->n; i++) {
		int r = machine_ram_region(mem, &mem->r[i]);

		if (r < 0)
			return err_set(err, -r, "cannot reserve %llu MiB of guest RAM: %s",
				       (unsigned long long)(mem->r[i].size / MiB), strerror(-r));
	}
	mem_e820(mem, &vm->e820);
	return 0;
}

static int machine_slots(struct vm *vm, struct err *err)
{
	for (unsigned i = 0; i < vm->mem.n; i++) {
		const struct guest_region *r = &vm->mem.r[i];
		int s = kvm_slot_map(vm, r->gpa, r->size, r->hva, false);

		if (s < 0)
			return err_set(err, -s, "KVM_SET_USER_MEMORY_REGION: %s", strerror(-s));
	}
	return 0;
}

/* A range under the platform lock (vm->lock) or, with @lock, under its device's own. */
static int reg_locked(struct bus *b, uint64_t base, uint64_t len, bus_io_fn fn, void *opaque,
		      const char *name, pthread_mutex_t *lock, struct err *err)
{
	int r = bus_register_locked(b, base, len, fn, opaque, name, lock);

	return r ? err_set(err, -r, "cannot place %s at %#llx", name,
			   (unsigned long long)base) : 0;
}

static int reg(struct bus *b, uint64_t base, uint64_t len, bus_io_fn fn, void *opaque,
	       const char *name, struct err *err)
{
	return reg_locked(b, base, len, fn, opaque, name, NULL, err);
}

static int machine_uarts(struct vm *vm, struct err *err)
{
	static const struct { uint16_t port; uint8_t irq; } com[2] = { { 0x3f8, 4 }, { 0x2f8, 3 } };
	struct uart_ops ops = { 0 };
	int r;

	console_uart_ops(vm->console, &ops);
	for (int i = 0; i < 2; i++) {
		struct uart_ops none = { 0 };	/* COM2: output dropped, no input */

		vm->uart[i] = uart_new(&vm->machine->irq.isa[com[i].irq], i ? &none : &ops);
		if (!vm->uart[i])
			return err_set(err, ENOMEM, "out of memory for the UART");
		r = reg_locked(&vm->pio, com[i].port, 8, uart_io, vm->uart[i], i ? "COM2" : "COM1",
			       &vm->machine->uart_lock[i], err);
		if (r)
			return r;
	}
	return 0;
}

static int machine_legacy(struct vm *vm, struct err *err)
{
	struct machine *m = vm->machine;
	struct ioapic_ops io_ops;
	int r;

	machine_irq_init(&m->irq, vm, &m->timers[TIMER_EOI].ops, &io_ops);
	vm->pic = pic_new(machine_irq_pic_out, vm);
	vm->ioapic = ioapic_new(&io_ops, mptable_ioapic_id(vm->ncpus));
	m->timers[TIMER_PIT].dev = vm->pit = pit_new(&m->irq.isa[0], &m->timers[TIMER_PIT].ops);
	m->timers[TIMER_RTC].dev = vm->rtc = rtc_new(&m->irq.isa[8], &m->timers[TIMER_RTC].ops,
						     vm->cfg.ram_size);
	if (!vm->pic || !vm->ioapic || !vm->pit || !vm->rtc)
		return err_set(err, ENOMEM, "out of memory for the legacy devices");
	if ((r = reg(&vm->pio, 0x20, 2, pic_master_io, vm->pic, "PIC master", err)) ||
	    (r = reg(&vm->pio, 0xa0, 2, pic_slave_io, vm->pic, "PIC slave", err)) ||
	    (r = reg(&vm->pio, 0x4d0, 2, pic_elcr_io, vm->pic, "ELCR", err)) ||
	    (r = reg_locked(&vm->pio, 0x40, 4, pit_io, vm->pit, "PIT", &m->pit_lock, err)) ||
	    (r = reg_locked(&vm->pio, 0x61, 1, pit_port61_io, vm->pit, "port 0x61", &m->pit_lock,
			    err)) ||
	    (r = reg_locked(&vm->pio, 0x70, 2, rtc_io, vm->rtc, "RTC", &m->rtc_lock, err)) ||
	    (r = reg(&vm->pio, 0x64, 1, kbd_io, vm, "8042 reset", err)) ||
	    (r = reg(&vm->pio, 0x80, 1, sink_io, vm, "port 0x80", err)) ||
	    (r = reg(&vm->mmio, MEM_IOAPIC_BASE, 0x1000, ioapic_mmio, vm->ioapic, "I/O APIC", err)))
		return r;
	if (vm->cfg.debug_exit &&
	    (r = reg(&vm->pio, 0xf4, 4, debug_exit_io, vm, "isa-debug-exit", err)))
		return r;
	return machine_uarts(vm, err);
}

/* KVM's in-kernel LAPIC implements the TSC-deadline timer mode (SDM vol. 3A §11.5.4.1) but
 * KVM_GET_SUPPORTED_CPUID does not list it; KVM_CAP_TSC_DEADLINE_TIMER says it may be
 * offered (QEMU does the same). Linux then needs no LAPIC timer calibration against the
 * PIT, which is unreliable at emulated speed ("APIC timer disabled due to verification
 * failure"). */
static void machine_cpuid_tsc_deadline(struct vm *vm, struct kvm_cpuid2 *c)
{
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) <= 0)
		return;
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == 1)
			c->entries[i].ecx |= 1u << 24;
}

static int machine_cpuid(struct vm *vm, struct err *err)
{
	for (unsigned n = 128; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

		if (!c)
			return err_set(err, ENOMEM, "out of memory for CPUID");
		c->nent = n;
		if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			machine_cpuid_tsc_deadline(vm, c);
			vm->cpuid = c;
			return 0;
		}
		free(c);
		if (errno != E2BIG)
			break;
	}
	return err_set(err, errno, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
}

static bool machine_eoi_pending(struct vm *vm, unsigned id)
{
	return machine_irq_eoi_pending(&vm->machine->irq, id);
}

static void machine_eoi_poll(struct vm *vm, unsigned id, const char *lapic_regs)
{
	machine_irq_eoi_poll(&vm->machine->irq, id, lapic_regs);
}

static void machine_eoi_exit(struct vm *vm, uint8_t vector)
{
	machine_irq_eoi_exit(&vm->machine->irq, vector);
}

/* What the vCPU threads call here (vcpu.h): the machine hands it to them at creation. */
static bool machine_extint_pending(struct vm *vm)
{
	return vm->pic && pic_int_pending(vm->pic);
}

static int machine_extint_ack(struct vm *vm)
{
	return vm->pic ? pic_intack(vm->pic) : -1;
}

static const struct vcpu_ops machine_vcpu_ops = {
	.rcr_io = machine_rcr_io,
	.extint_pending = machine_extint_pending,
	.extint_ack = machine_extint_ack,
	.eoi_exit = machine_eoi_exit,
	.eoi_pending = machine_eoi_pending,
	.eoi_poll = machine_eoi_poll,
	.reset = machine_reset,
	.exit = machine_exit,
	.fail = machine_vfail,
};

static int machine_vcpus(struct vm *vm, struct err *err)
{
	int r;

	for (unsigned i = 0; i < vm->ncpus; i++) {
		vm->vcpus[i] = vcpu_new(vm, i, &machine_vcpu_ops, err);
		if (!vm->vcpus[i])
			return -EIO;
		r = vcpu_reset(vm->vcpus[i], err);
		if (r)
			return r;
	}
	return 0;
}

static void kick_handler(int sig)
{
	(void)sig;	/* only there so that the kick signal never kills the process */
}

/* SIGINT/SIGTERM/SIGUSR1 go to the signalfd, the kick signal to KVM_RUN only: block all four in
 * every thread (threads inherit this mask). */
static int machine_signals(struct vm *vm, struct err *err)
{
	struct machine *m = vm->machine;
	struct sigaction sa = { .sa_handler = kick_handler };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &m->sigfd };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);	/* dump the VM's state (machine_dump) */
	sigaddset(&set, SIGCHLD);	/* a --share virtiofsd ended (machine_reap) */
	m->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	sigaddset(&set, vcpu_kick_signal());
	sigaction(vcpu_kick_signal(), &sa, NULL);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (m->sigfd < 0 || epoll_ctl(m->epfd, EPOLL_CTL_ADD, m->sigfd, &ev) < 0)
		return err_set(err, errno, "signalfd: %s", strerror(errno));
	ev.data.ptr = &m->evfd;
	if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, m->evfd, &ev) < 0)
		return err_set(err, errno, "epoll: %s", strerror(errno));
	return 0;
}

static void quit_cb(void *opaque)
{
	machine_exit(opaque, 0);
}

/* The guest wrote S5 to the ACPI sleep control register (a vCPU thread, under vm->lock). */
static void machine_poweroff(void *opaque)
{
	fprintf(stderr, "vfvm: guest powered off (ACPI S5)\n");
	machine_exit(opaque, 0);
}

static const struct acpi_pm_ops machine_pm_ops = { .poweroff = machine_poweroff };

static int machine_boot(struct vm *vm, struct err *err)
{
	vm->cfg.boot.modules = vm->cfg.modules;
	/* A --reboot rereads the files: keep them open (no open(2) under the filter). */
	vm->cfg.boot.keep_fds = vm->cfg.reboot ? vm->boot_fds : NULL;
	return boot_load(&vm->mem, &vm->e820, &vm->cfg.boot, &vm->entry, err);
}

/*
 * Set-up is over: become --user while still single-threaded (glibc makes setuid process-wide
 * by signalling every thread), then start the console and device threads, each under its
 * filter. The main thread's own filter goes on in machine_loop(), before the first vCPU.
 */
static int machine_lockdown(struct vm *vm, struct err *err)
{
	int r;

	if (vm->cfg.user && (r = sandbox_drop_user(vm->cfg.user, err)))
		return r;
	r = console_start(vm->console, vm->uart[0], vm->sandbox);
	if (r)
		return err_set(err, -r, "cannot start the console: %s", strerror(-r));
	return pci_start(vm, err);
}

/* --disk images opened and locked with the other input files: a missing, locked or badly
 * sized image is bad input (exit 2), found before /dev/kvm is opened. */
static int machine_disks(struct vm *vm, struct err *err)
{
	for (unsigned i = 0; i < vm->cfg.ndisks; i++) {
		struct blk_image *img = calloc(1, sizeof(*img));
		int r;

		if (!img)
			return err_set(err, ENOMEM, "out of memory for --disk");
		r = blk_image_open(vm->cfg.disks[i], img, err);
		if (r) {
			free(img);
			return r;
		}
		vm->disks[i] = img;
	}
	return 0;
}

/* --share: each directory's virtiofsd started (as root, before any filter) and listening;
 * --vhost-user-fs sockets are connected later, by the device. */
static int machine_shares(struct vm *vm, struct err *err)
{
	char bin[256];

	for (unsigned i = 0; i < vm->cfg.nfs; i++) {
		int r;

		if (!vm->cfg.fs[i].dir)
			continue;
		if (virtiofsd_find(getenv("PATH"), bin, sizeof(bin)) < 0)
			return err_set(err, ENOENT, "--share %s: no virtiofsd (neither on PATH nor "
				       "/usr/lib/qemu/virtiofsd); install qemu-system-common or "
				       "virtiofsd", vm->cfg.fs[i].dir);
		vm->fsd[i] = calloc(1, sizeof(*vm->fsd[i]));
		if (!vm->fsd[i])
			return err_set(err, ENOMEM, "out of memory for --share");
		r = virtiofsd_start(vm->fsd[i], bin, vm->cfg.fs[i].dir, err);
		if (r < 0)
			return r;
		vm->cfg.fs[i].sock = vm->fsd[i]->sock;
	}
	return 0;
}

/* --net taps made (or attached to) with the other input files, before /dev/kvm: no
 * /dev/net/tun or no CAP_NET_ADMIN is found before anything else is acquired. */
static int machine_nets(struct vm *vm, struct err *err)
{
	for (unsigned i = 0; i < vm->cfg.nnets; i++) {
		struct net_opts o;
		int r;

		if ((r = net_opts_parse(vm->cfg.nets[i], &o, err)))
			return r;
		if ((r = tap_open(&o, &vm->taps[i], err)))
			return r;
	}
	return 0;
}

/* --trace: opened with the other input files, long before any thread's filter goes on. */
static int machine_trace(struct vm *vm, struct err *err)
{
	struct trace_filter f = { 0 };
	int r;

	if (!vm->cfg.trace)
		return 0;
	if (vm->cfg.trace_filter && (r = trace_filter_parse(vm->cfg.trace_filter, &f, err)))
		return r;
	vm->trace = calloc(1, sizeof(*vm->trace));
	if (!vm->trace)
		return err_set(err, ENOMEM, "out of memory");
	if ((r = trace_open(vm->trace, vm->cfg.trace, &f, err))) {
		free(vm->trace);
		vm->trace = NULL;
	}
	return r;
}

static int machine_setup(struct vm *vm, struct err *err)
{
	struct machine *m = vm->machine;
	int r;

	m->epfd = epoll_create1(EPOLL_CLOEXEC);
	m->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (m->epfd < 0 || m->evfd < 0 || machine_watch_open(&m->watch))
		return err_set(err, errno, "epoll/eventfd: %s", strerror(errno));
	/* Everything that can be bad input is checked before /dev/kvm is opened. */
	if ((r = machine_trace(vm, err)) ||
	    (r = machine_signals(vm, err)) || (r = machine_ram(vm, err)) ||
	    (r = machine_boot(vm, err)) || (r = machine_disks(vm, err)) ||
	    (r = machine_shares(vm, err)) ||
	    (r = machine_nets(vm, err)))
		return r;
	if (vm->cfg.user && (r = sandbox_user_check(vm->cfg.user, err)))
		return r;
	vm->console = console_new(vm->cfg.serial, &m->uart_lock[0], quit_cb, vm, err);
	if (!vm->console)
		return -EINVAL;
	vm->sandbox = sandbox_new(vm->cfg.seccomp, err);
	if (!vm->sandbox)
		return -EIO;
	if ((r = kvm_vm_create(vm, err)) || (r = machine_slots(vm, err)) ||
	    (r = machine_timers(vm, err)) || (r = machine_legacy(vm, err)) ||
	    (r = machine_acpi_setup(vm, &vm->machine->acpi, &machine_pm_ops, err)) ||
	    (r = machine_cpuid(vm, err)) ||	/* before PCI: its window needs phys bits */
	    (r = pci_setup(vm, machine_irq_gsi_line, err)) || (r = machine_tables_write(vm, err)) ||
	    (r = machine_vcpus(vm, err)))
		return r;
	return machine_lockdown(vm, err);
}

/* --- running --- */

static void machine_stop_vcpus(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ncpus; i++)
		vcpu_kick(vm->vcpus[i]);
	for (unsigned i = 0; i < vm->ncpus; i++)
		vcpu_join(vm->vcpus[i]);
}

static int machine_start_vcpus(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ncpus; i++) {
		int r = vcpu_start(vm->vcpus[i]);

		if (r) {
			machine_fail(vm, "cannot start the vCPU %u thread: %s", i, strerror(-r));
			return r;
		}
	}
	return 0;
}

/* Guest reset with --reboot: devices to power-on state, fresh RAM, kernel reloaded. */
static void machine_reboot(struct vm *vm)
{
	struct machine *m = vm->machine;
	struct err err = { 0 };

	machine_stop_vcpus(vm);
	pthread_mutex_lock(&vm->lock);
	pic_reset(vm->pic);
	ioapic_reset(vm->ioapic);
	vm->machine->rcr = 0;
	machine_irq_reset(&vm->machine->irq);
	machine_acpi_reset(&vm->machine->acpi);
	pthread_mutex_unlock(&vm->lock);
	/* Each under its own lock (their lines take vm->lock inside: the lock order). */
	pthread_mutex_lock(&m->pit_lock);
	pit_reset(vm->pit);
	pthread_mutex_unlock(&m->pit_lock);
	for (int i = 0; i < 2; i++) {
		pthread_mutex_lock(&m->uart_lock[i]);
		uart_reset(vm->uart[i]);
		pthread_mutex_unlock(&m->uart_lock[i]);
	}
	pthread_mutex_lock(&m->rtc_lock);
	rtc_reset(vm->rtc);
	pthread_mutex_unlock(&m->rtc_lock);
	pci_reset(vm);
	/*
	 * Fresh zero pages for the next boot, except with VFIO: its IOMMU mappings pin the
	 * current pages, and dropping them would leave the device DMAing into pages the guest
	 * no longer sees. RAM then keeps its contents across the reset, as on real hardware.
	 */
	for (unsigned i = 0; i < vm->mem.n && !vm->vfio && !vm->mem.shared; i++)
		madvise(vm->mem.r[i].hva, vm->mem.r[i].size, MADV_DONTNEED);
	if (machine_boot(vm, &err) || machine_tables_write(vm, &err)) {
		machine_fail(vm, "reboot: %s", err.msg);
		return;
	}
	for (unsigned i = 0; i < vm->ncpus; i++) {
		if (vcpu_reset(vm->vcpus[i], &err)) {
			machine_fail(vm, "reboot: %s", err.msg);
			return;
		}
	}
	atomic_store(&vm->reset_requested, 0);
	machine_start_vcpus(vm);
}

/* The UARTs and the console for the dump: a guest whose console stops while it still exits
 * (issue 15) shows here whether it still writes THR, and where those bytes went. */
static bool machine_dump_serial(struct vm *vm, const struct timespec *deadline)
{
	struct machine *m = vm->machine;
	bool ok = true;

	for (int i = 0; i < 2; i++) {
		const char *name = i ? "COM2" : "COM1";

		if (!vm->uart[i])
			continue;
		if (pthread_mutex_timedlock(&m->uart_lock[i], deadline)) {
			fprintf(stderr, "vfvm: %s's lock held elsewhere for over 1 s: %s not dumped\n",
				name, name);
			machine_watch_owner(&m->watch, &m->uart_lock[i], name);
			ok = false;
			continue;
		}
		uart_dump(vm->uart[i], name, stderr);
		pthread_mutex_unlock(&m->uart_lock[i]);
	}
	fprintf(stderr, "vfvm: console: %ld bytes from COM1 not written out yet\n",
		console_pending(vm->console));
	return ok;
}

/*
 * The devices' part of the state dump (machine_watch.c prints the vCPUs first): the interrupt
 * controllers under vm->lock, then the PIT under its own lock (first in the lock order, so
 * not inside vm->lock), then each UART under its own (machine_dump_serial). A lock that does
 * not come by @deadline is itself the finding.
 */
static bool machine_dump_devices(struct vm *vm, const struct timespec *deadline)
{
	struct machine *m = vm->machine;

	if (pthread_mutex_timedlock(&vm->lock, deadline)) {
		fprintf(stderr, "vfvm: vm->lock held elsewhere for over 1 s: devices not dumped\n");
		machine_watch_owner(&m->watch, &vm->lock, "vm->lock");
		return false;
	}
	pic_dump(vm->pic, stderr);
	ioapic_dump(vm->ioapic, stderr);
	machine_irq_dump(&m->irq, stderr);
	pci_dump(vm, stderr);
	kvm_routes_dump(vm, stderr);
	pthread_mutex_unlock(&vm->lock);
	if (pthread_mutex_timedlock(&m->pit_lock, deadline)) {
		fprintf(stderr, "vfvm: the PIT's lock held elsewhere for over 1 s: PIT not dumped\n");
		machine_watch_owner(&m->watch, &m->pit_lock, "the PIT's lock");
		return false;
	}
	pit_dump(vm->pit, stderr);
	pthread_mutex_unlock(&m->pit_lock);
	return machine_dump_serial(vm, deadline);
}

/* A --share daemon that ends while the guest runs is said once; the guest's requests on that
 * share then fail with EIO (the device answers them, docs/virtio.md), vfvm goes on. */
static void machine_reap(struct vm *vm)
{
	for (unsigned i = 0; i < VM_MAX_FS; i++) {
		struct virtiofsd *d = vm->fsd[i];
		int st;

		if (!d || d->pid <= 0 || waitpid(d->pid, &st, WNOHANG) != d->pid)
			continue;
		d->pid = 0;
		fprintf(stderr, "vfvm: --share %s: virtiofsd exited (%s %d) while the guest ran; "
			"the guest's requests on the share fail with EIO from now on\n", vm->cfg.fs[i].dir,
			WIFEXITED(st) ? "status" : "signal",
			WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	}
}

/*
 * SIGINT/SIGTERM: with --acpi and a guest that listens to its power button, press it and
 * give the guest --shutdown-timeout seconds to power off (S5 then ends vfvm with status 0);
 * a second signal, the timeout, or a guest that does not listen end vfvm at once with
 * 128 + the signal, as without ACPI.
 */
static void machine_stop_signal(struct vm *vm, int signo)
{
	struct machine *m = vm->machine;
	unsigned t = vm->cfg.shutdown_timeout;

	if (m->stop_deadline || !t || !machine_acpi_power_button(vm, &m->acpi)) {
		machine_exit(vm, 128 + signo);
		return;
	}
	m->stop_signo = signo;
	m->stop_deadline = (int64_t)mclock_now(NULL) + (int64_t)t * 1000000000;
	fprintf(stderr, "vfvm: %s: pressed the guest's ACPI power button; it has %u s to power "
		"off (the signal again stops it at once)\n", signo == SIGINT ? "SIGINT" : "SIGTERM", t);
}

static void machine_stop_check(struct vm *vm)
{
	struct machine *m = vm->machine;

	if (!m->stop_deadline || (int64_t)mclock_now(NULL) < m->stop_deadline)
		return;
	fprintf(stderr, "vfvm: the guest did not power off within %u s of the power button; "
		"stopping it\n", vm->cfg.shutdown_timeout);
	machine_exit(vm, 128 + m->stop_signo);
}

static void machine_event(struct vm *vm, void *ptr)
{
	struct machine *m = vm->machine;
	uint64_t v;

	if (ptr == &m->evfd) {
		if (read(m->evfd, &v, sizeof(v)) < 0) {
			/* EAGAIN: already drained */
		}
	} else if (ptr == &m->sigfd) {
		struct signalfd_siginfo si;

		if (read(m->sigfd, &si, sizeof(si)) != sizeof(si))
			return;
		if (si.ssi_signo == SIGUSR1)
			machine_watch_dump(&m->watch, "SIGUSR1");
		else if (si.ssi_signo == SIGCHLD)
			machine_reap(vm);
		else
			machine_stop_signal(vm, (int)si.ssi_signo);
	} else {
		struct mtimer *t = ptr;

		if (read(t->fd, &v, sizeof(v)) == sizeof(v) && t->tick && t->dev) {
			pthread_mutex_lock(t->lock);
			t->tick(t->dev);
			pthread_mutex_unlock(t->lock);
		}
	}
}

/*
 * --test-fault main-stall (testing only, docs/testing.md): the main thread takes vm->lock and
 * never gives it back, the hang --watchdog must explain (tests/guest/watchdog_main.args).
 */
static void machine_test_fault(struct vm *vm)
{
	if (!vm->cfg.test_fault || strcmp(vm->cfg.test_fault, "main-stall"))
		return;
	fprintf(stderr, "vfvm: --test-fault main-stall: the main thread takes vm->lock and stops\n");
	pthread_mutex_lock(&vm->lock);
	for (;;)
		poll(NULL, 0, -1);
}

static void machine_loop(struct vm *vm)
{
	struct machine *m = vm->machine;
	struct epoll_event evs[8];
	int r;

	r = sandbox_enter(vm->sandbox, SB_MAIN);
	if (r) {
		machine_fail(vm, "seccomp: cannot install the main thread's filter: %s",
			     strerror(-r));
		return;
	}
	if (machine_start_vcpus(vm))
		return;
	r = machine_watch_start(&m->watch);
	if (r) {
		machine_fail(vm, "cannot start the watchdog thread: %s", strerror(-r));
		return;
	}
	machine_test_fault(vm);
	while (!atomic_load(&vm->exit_requested)) {
		bool tick = vm->cfg.watchdog || m->stop_deadline;
		int n = epoll_wait(m->epfd, evs, 8, tick ? 1000 : -1);

		machine_watch_beat(&m->watch);
		for (int i = 0; i < n; i++)
			machine_event(vm, evs[i].data.ptr);
		machine_stop_check(vm);
		if (!atomic_load(&vm->exit_requested) && atomic_load(&vm->reset_requested))
			machine_reboot(vm);
	}
	machine_watch_stop(&m->watch);
}

/* Which handlers the exits went to, e.g. to show that a passed-through BAR traps only its
 * MSI-X page. Ranges unregistered before exit (a moved BAR's old range) are not listed. */
static void machine_print_ranges(const char *space, struct bus *b)
{
	bool any = false;

	/* The bus's read lock and atomic loads: bus_access() counts hits under neither vm->lock
	 * nor the handler's lock, and a vCPU thread that has ended is not joined yet. */
	pthread_rwlock_rdlock(&b->rw);
	for (size_t i = 0; i < b->n; i++) {
		const struct bus_range *r = &b->ranges[i];
		uint64_t hits = __atomic_load_n(&r->hits, __ATOMIC_RELAXED);

		if (!hits)
			continue;
		fprintf(stderr, "%s%s 0x%llx+0x%llx %s %llu", any ? ", " : "vfvm: ", space,
			(unsigned long long)r->base, (unsigned long long)r->len,
			r->name ? r->name : "?", (unsigned long long)hits);
		any = true;
	}
	pthread_rwlock_unlock(&b->rw);
	if (any)
		fputc('\n', stderr);
}

static void machine_print_stats(struct vm *vm)
{
	struct vm_stats *s = &vm->stats;

	fprintf(stderr, "vfvm: exits: io %llu, mmio %llu, hlt %llu, irq-window %llu, eoi %llu, "
		"other %llu; unclaimed reads %llu, writes %llu\n",
		(unsigned long long)s->exits_io, (unsigned long long)s->exits_mmio,
		(unsigned long long)s->exits_hlt, (unsigned long long)s->exits_irq_window,
		(unsigned long long)s->exits_eoi, (unsigned long long)s->exits_other,
		(unsigned long long)s->unclaimed_reads, (unsigned long long)s->unclaimed_writes);
}

static void machine_teardown(struct vm *vm)
{
	struct machine *m = vm->machine;

	machine_stop_vcpus(vm);
	console_free(vm->console);
	pci_teardown(vm);
	/* After the devices closed their sockets (QEMU's virtiofsd then exits by itself). */
	for (unsigned i = 0; i < VM_MAX_FS; i++) {
		if (!vm->fsd[i])
			continue;
		virtiofsd_stop(vm->fsd[i]);
		free(vm->fsd[i]);
	}
	for (unsigned i = 0; i < VM_MAX_DISKS; i++) {
		if (!vm->disks[i])
			continue;
		blk_image_close(vm->disks[i]);
		free(vm->disks[i]);
	}
	for (unsigned i = 0; i < VM_MAX_NETS; i++)
		tap_close(vm->taps[i]);		/* those no device took over */
	for (unsigned i = 0; i < vm->ncpus; i++)
		vcpu_free(vm->vcpus[i]);
	for (int i = 0; i < 2; i++)
		if (vm->uart[i])
			uart_free(vm->uart[i]);
	if (vm->rtc)
		rtc_free(vm->rtc);
	if (vm->pit)
		pit_free(vm->pit);
	if (vm->ioapic)
		ioapic_free(vm->ioapic);
	if (vm->pic)
		pic_free(vm->pic);
	kvm_vm_destroy(vm);
	for (unsigned i = 0; i < vm->mem.n; i++) {
		if (vm->mem.r[i].hva)
			munmap(vm->mem.r[i].hva, vm->mem.r[i].size);
		if (vm->mem.shared && vm->mem.r[i].fd >= 0)
			close(vm->mem.r[i].fd);
	}
	for (int i = 0; i < TIMER_NR; i++)
		if (m->timers[i].fd >= 0)
			close(m->timers[i].fd);
	if (m->sigfd >= 0)
		close(m->sigfd);
	if (m->evfd >= 0)
		close(m->evfd);
	machine_watch_close(&m->watch);
	if (m->epfd >= 0)
		close(m->epfd);
	bus_free(&vm->pio);
	bus_free(&vm->mmio);
	free(vm->cpuid);
	for (int i = 0; i < BOOT_KEEP_FDS; i++)
		if (vm->boot_fds[i] >= 0)
			close(vm->boot_fds[i]);
	sandbox_free(vm->sandbox);
	pthread_mutex_destroy(&m->pit_lock);
	pthread_mutex_destroy(&m->rtc_lock);
	for (int i = 0; i < 2; i++)
		pthread_mutex_destroy(&m->uart_lock[i]);
	if (vm->trace) {
		trace_close(vm->trace);
		free(vm->trace);
		vm->trace = NULL;
	}
	pthread_mutex_destroy(&vm->lock);
}

/*
 * vm->lock is recursive: a device's interrupt line takes it, and lines are raised both by
 * devices under their own lock (PIT, RTC, UARTs) and by code already under it (PCI INTx).
 */
static void machine_locks_init(struct vm *vm)
{
	struct machine *m = vm->machine;
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&vm->lock, &a);
	pthread_mutexattr_destroy(&a);
	pthread_mutex_init(&m->pit_lock, NULL);
	pthread_mutex_init(&m->rtc_lock, NULL);
	for (int i = 0; i < 2; i++)
		pthread_mutex_init(&m->uart_lock[i], NULL);
}

int machine_run(const struct vm_config *cfg, struct err *err)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	struct machine *m = calloc(1, sizeof(*m));
	bool ran;
	int r;

	if (!vm || !m) {
		free(vm);
		free(m);
		return err_set(err, ENOMEM, "out of memory");
	}
	vm->cfg = *cfg;
	vm->ncpus = cfg->ncpus;
	vm->machine = m;
	vm->kvm_fd = vm->vm_fd = -1;
	for (int i = 0; i < BOOT_KEEP_FDS; i++)
		vm->boot_fds[i] = -1;
	m->epfd = m->evfd = m->sigfd = -1;
	machine_watch_init(&m->watch, vm, machine_dump_devices, machine_exit);
	for (int i = 0; i < TIMER_NR; i++)
		m->timers[i].fd = -1;
	machine_locks_init(vm);
	bus_init(&vm->pio);
	bus_init(&vm->mmio);
	/* What a range registered without its own lock runs under: the platform lock. */
	bus_set_default_lock(&vm->pio, &vm->lock);
	bus_set_default_lock(&vm->mmio, &vm->lock);
	r = machine_setup(vm, err);
	ran = r == 0;
	if (ran) {
		machine_loop(vm);
		r = atomic_load(&vm->exit_status);
	}
	if (ran && vm->cfg.stats) {
		/* Before teardown, while the devices' ranges are still registered. */
		pthread_mutex_lock(&vm->lock);
		machine_print_ranges("mmio", &vm->mmio);
		machine_print_ranges("io", &vm->pio);
		pthread_mutex_unlock(&vm->lock);
	}
	machine_teardown(vm);
	if (r >= 0 && atomic_load(&m->failed)) {
		*err = m->fail;
		r = -EIO;
	}
	if (r >= 0 && atomic_load(&m->reset_exit))
		fprintf(stderr, "vfvm: guest requested a reset (%s); exiting\n",
			m->reset_why);
	if (ran && vm->cfg.stats)
		machine_print_stats(vm);
	free(m);
	free(vm);
	return r;
}
