/* sandbox_rules.c - the seccomp allow-lists of vfvm's threads as one table (pure data and its
 * logic, unit-tested without a kernel); sandbox.c compiles it with libseccomp. */
#include <errno.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <linux/vfio.h>
#include <linux/vhost.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include "core/sandbox.h"

#define M (1u << SB_MAIN)
#define V (1u << SB_VCPU)
#define I (1u << SB_IO)
#define C (1u << SB_CONSOLE)
#define ALL (M | V | I | C)

#define SC(roles, call) { roles, SB_ANY, SYS_##call, 0, #call }
#define SCX(roles, call, check) { roles, check, SYS_##call, 0, #call }
#define IOC(roles, req) { roles, SB_IOCTL, SYS_ioctl, req, #req }

/*
 * Who needs what, and why (docs/security.md has the same in prose):
 * - every thread allocates (glibc malloc: brk, mmap, munmap, madvise, mremap, never PROT_EXEC),
 *   takes locks (futex), writes errors and the console (write), and exits;
 * - vCPU threads run the guest and serve its exits: KVM_RUN, the interrupt ioctls, the ones a
 *   guest's programming of MSI/MSI-X or of BARs needs (routing, irqfd, ioeventfd, memory slots,
 *   VFIO SET_IRQS), VFIO config/BAR access by pread/pwrite, and arming the PIT/RTC timerfds;
 * - the device thread (IO) waits on eventfds and raises interrupts;
 * - the console thread polls stdin and feeds the UART, which may raise an interrupt;
 * - the main thread serves timers and signals, resets everything on --reboot (the vCPU reset
 *   ioctls, VFIO reset), starts vCPU threads (clone with CLONE_THREAD only) and tears down.
 * - with --viommu the guest's MAP/UNMAP requests become VFIO_IOMMU_MAP_DMA/UNMAP_DMA on the
 *   vCPU or the device thread that serves the virtio-iommu request queue's kick (src/vfio/vfio_viommu.c);
 * Set-up-only calls (open, KVM_CREATE_*, VFIO_IOMMU_GET_INFO, ...) are in no list: the filters
 * go on when set-up is over. execve, socket, open... are in no list at all.
 */
static const struct sb_rule sb_rules[] = {
	SC(ALL, read), SC(ALL, write), SC(ALL, close), SC(ALL, futex), SC(ALL, rt_sigreturn),
	SC(ALL, rt_sigprocmask), SC(ALL, exit), SC(ALL, exit_group), SC(ALL, brk),
	SC(ALL, madvise), SC(ALL, munmap), SC(ALL, mremap),
	SCX(ALL, mmap, SB_NOEXEC), SCX(ALL, mprotect, SB_NOEXEC),
	SC(ALL, clock_gettime), SC(ALL, clock_nanosleep), SC(ALL, nanosleep), SC(ALL, getpid),
	SC(ALL, gettid), SC(ALL, tgkill), SC(ALL, restart_syscall), SC(ALL, sched_yield),
	SC(ALL, fstat), SC(ALL, newfstatat), SC(ALL, lseek),
	SCX(ALL, clone3, SB_ENOSYS),

	SC(M | I, epoll_wait), SC(M | I, epoll_pwait), SC(C, poll), SC(C, ppoll),
	SC(V, rt_sigtimedwait),
	SC(M | V | I | C, timerfd_settime),
	SC(M | V | I, pread64), SC(M | V | I, pwrite64),
	SC(M | V | I, eventfd2), SC(M | V | I, epoll_ctl),
	/* virtio-rng fills its buffers on whichever thread serves the queue's notification. */
	SC(V | I, getrandom),
	/* virtio-blk submits to io_uring from the thread that took the queue's notification and
	 * reaps on the device thread; reset drains (waits) on a vCPU or the main thread. Without
	 * io_uring it does the I/O itself with these (src/virtio/blk.c). */
	SC(V | I, io_uring_enter),
	SC(V | I, preadv), SC(V | I, pwritev), SC(V | I, fdatasync), SC(V | I, fallocate),
	/* virtio-fs hands its rings to the vhost-user back end at DRIVER_OK (a vCPU, or the
	 * device thread) and takes them back at reset (also the main thread's --reboot): one
	 * request and its answer on the already connected socket (src/virtio/vhost_user.c). */
	SC(M | V | I, sendmsg), SC(M | V | I, recvmsg), SC(M | V | I, poll),
	/* Stopping --share's virtiofsd at tear-down (by its pidfd: kill(2), which could signal
	 * any process, stays out), and removing its socket. */
	SC(M, pidfd_send_signal), SC(M, wait4), SC(M, unlink), SC(M, rmdir),
	/* virtio-net on a tap: frames sent (writev) from the thread that took the transmit
	 * queue's notification and read (read) on the device thread; the offloads the guest
	 * negotiated are set (TUNSETOFFLOAD) on the vCPU that wrote FEATURES_OK. */
	SC(V | I, writev), IOC(V, TUNSETOFFLOAD),
	/* vhost-net takes the receive and transmit rings at DRIVER_OK and gives them back at a
	 * reset (a vCPU's status write; the main thread's --reboot and tear-down); /dev/vhost-net
	 * was opened and made vfvm's (SET_OWNER, GET_FEATURES) during set-up (src/virtio/vhost.c). */
	IOC(V, VHOST_SET_FEATURES), IOC(V, VHOST_SET_MEM_TABLE), IOC(V, VHOST_SET_VRING_NUM),
	IOC(V, VHOST_SET_VRING_BASE), IOC(V, VHOST_SET_VRING_ADDR), IOC(V, VHOST_SET_VRING_CALL),
	IOC(V, VHOST_SET_VRING_ERR), IOC(V, VHOST_SET_VRING_KICK), IOC(V, VHOST_NET_SET_BACKEND),
	IOC(V, VHOST_GET_VRING_BASE),

	/* Raising interrupts: from whichever thread a device model runs on. */
	IOC(ALL, KVM_IRQ_LINE), IOC(ALL, KVM_SIGNAL_MSI),
	/* The guest running and its exits. */
	IOC(V, KVM_RUN), IOC(V, KVM_GET_LAPIC), IOC(V, KVM_INTERRUPT), IOC(V, KVM_GET_REGS),
	IOC(V, KVM_GET_SREGS), IOC(V, KVM_GET_MP_STATE), IOC(V, KVM_GET_VCPU_EVENTS),
	/* What the guest's programming of PCI devices changes (MSI/MSI-X, BARs, doorbells). */
	IOC(V | I, KVM_SET_GSI_ROUTING), IOC(V | I, KVM_IRQFD), IOC(V, KVM_IOEVENTFD),
	IOC(V, KVM_SET_USER_MEMORY_REGION), IOC(V | I, VFIO_DEVICE_SET_IRQS),
	IOC(V, VFIO_DEVICE_RESET),
	/* --viommu: the guest's mappings (and the main thread's tear-down unmaps them). */
	IOC(V | I, VFIO_IOMMU_MAP_DMA), IOC(V | I, VFIO_IOMMU_UNMAP_DMA),
	/* --reboot and tear-down, on the main thread only. */
	IOC(M, KVM_SET_REGS), IOC(M, KVM_SET_SREGS), IOC(M, KVM_SET_LAPIC), IOC(M, KVM_SET_MSRS),
	IOC(M, KVM_SET_MP_STATE), IOC(M, KVM_SET_VCPU_EVENTS),
	IOC(M, VFIO_GROUP_UNSET_CONTAINER), IOC(M, TCGETS), IOC(M, TCSETS), IOC(M, TCSETSW),
	SCX(M, clone, SB_THREAD), SC(M, set_robust_list), SC(M, rseq), SC(M, seccomp),
	SC(M, sigaltstack),
};

const struct sb_rule *sandbox_rules(unsigned *n)
{
	*n = sizeof(sb_rules) / sizeof(sb_rules[0]);
	return sb_rules;
}

static unsigned sb_effective(enum sandbox_role role)
{
	return role == SB_MAIN ? (M | V) : 1u << role;
}

static bool sb_match(const struct sb_rule *r, const unsigned long args[6])
{
	switch (r->check) {
	case SB_ANY:
		return true;
	case SB_IOCTL:
		/* The kernel takes the request as an unsigned int (ioctl(2)). */
		return (args[1] & 0xffffffffUL) == r->arg;
	case SB_NOEXEC:
		return !(args[2] & PROT_EXEC);
	case SB_THREAD:
		return args[0] & CLONE_THREAD;
	case SB_ENOSYS:
		return false;	/* refused (without killing): not "allowed" */
	}
	return false;
}

bool sandbox_allows(enum sandbox_role role, long nr, const unsigned long args[6])
{
	unsigned n, bit;
	const struct sb_rule *r = sandbox_rules(&n);

	if ((unsigned)role >= SB_NR)
		return false;
	bit = sb_effective(role);
	for (unsigned i = 0; i < n; i++)
		if ((r[i].roles & bit) && r[i].nr == nr && sb_match(&r[i], args))
			return true;
	return false;
}

const char *sandbox_role_name(enum sandbox_role role)
{
	static const char *const names[SB_NR] = {
		[SB_MAIN] = "main", [SB_VCPU] = "vcpu", [SB_IO] = "io", [SB_CONSOLE] = "console",
	};

	return (unsigned)role < SB_NR ? names[role] : "?";
}

/* Generated from <asm/unistd_64.h> at build time (Makefile): the SIGSYS handler may not
 * allocate, so it cannot ask libseccomp (seccomp_syscall_resolve_num_arch strdup()s). */
static const char *const sb_names[] = {
#include "syscall_names.h"
};

const char *sandbox_syscall_name(long nr)
{
	if (nr < 0 || nr >= (long)(sizeof(sb_names) / sizeof(sb_names[0])) || !sb_names[nr])
		return "?";
	return sb_names[nr];
}

int sandbox_parse_mode(const char *s, enum sandbox_mode *out, struct err *err)
{
	if (!strcmp(s, "on"))
		*out = SANDBOX_ON;
	else if (!strcmp(s, "log"))
		*out = SANDBOX_LOG;
	else if (!strcmp(s, "off"))
		*out = SANDBOX_OFF;
	else
		return err_input(err, EINVAL, "--seccomp '%s' is not valid; use on, log or off", s);
	return 0;
}
