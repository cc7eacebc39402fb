/* pci_irq.c - `make bench-pci`: the sender's cost of one MSI through vfvm's two delivery paths,
 * an eventfd bound with KVM_IRQFD to a GSI route (kvm_route_alloc) and KVM_SIGNAL_MSI
 * (kvm_signal_msi), on a real VM of vfvm's own kvm.c. Numbers only (bench/pci.md). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "core/err.h"
#include "core/kvm.h"
#include "core/vm.h"

#define LAPIC_SVR	0xf0		/* Spurious-Interrupt Vector Register (SDM vol. 3 §11.9) */
#define LAPIC_SVR_ENABLE 0x100
#define LAPIC_IRR	0x200		/* 8 registers, 16 bytes apart */
#define VECTOR		0x40

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* vcpu_lapic_on: a vCPU whose LAPIC is software-enabled, so the messages are accepted (into
 * the IRR; the vCPU never runs, so they are coalesced there, which is the cheap case). */
static int vcpu_lapic_on(struct vm *vm)
{
	struct kvm_lapic_state s;
	int fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, KVM_GET_LAPIC, &s) < 0)
		return -errno;
	*(uint32_t *)&s.regs[LAPIC_SVR] |= LAPIC_SVR_ENABLE | 0xff;
	if (ioctl(fd, KVM_SET_LAPIC, &s) < 0)
		return -errno;
	return fd;
}

/* irr_take: whether vector @vec is pending in the IRR (SDM vol. 3 §11.8.4); clears the IRR, so
 * each path's messages are seen to arrive on their own. */
static int irr_take(int vcpu_fd, unsigned vec)
{
	struct kvm_lapic_state s;
	uint32_t *irr;
	int set;

	if (ioctl(vcpu_fd, KVM_GET_LAPIC, &s) < 0)
		return -errno;
	irr = (uint32_t *)&s.regs[LAPIC_IRR + (vec / 32) * 0x10];
	set = (*irr >> (vec % 32)) & 1;
	for (unsigned i = 0; i < 8; i++)
		*(uint32_t *)&s.regs[LAPIC_IRR + i * 0x10] = 0;
	if (ioctl(vcpu_fd, KVM_SET_LAPIC, &s) < 0)
		return -errno;
	return set;
}

/* bench: times @n messages down each path on @vm; prints two table rows. */
static int bench(struct vm *vm, int vcpu, unsigned long n)
{
	struct msi_msg msg = { .addr = 0xfee00000, .data = VECTOR };	/* fixed, to APIC 0 */
	double t0, t_irqfd, t_signal;
	int gsi, efd, r = -1, got_irqfd, got_signal;
	uint64_t one = 1;

	gsi = kvm_route_alloc(vm, &msg);
	if (gsi < 0 || kvm_route_commit(vm))
		return -1;
	efd = eventfd(0, EFD_NONBLOCK);
	if (efd < 0)
		return -1;
	if (kvm_irqfd(vm, efd, gsi, -1, false))
		goto out_close;
	t0 = now_s();
	for (unsigned long i = 0; i < n; i++)
		if (write(efd, &one, sizeof(one)) != sizeof(one))
			goto out_unbind;
	t_irqfd = now_s() - t0;
	/* The irqfd may inject from a work item rather than in write(): let it run. */
	usleep(100000);
	got_irqfd = irr_take(vcpu, VECTOR);
	t0 = now_s();
	for (unsigned long i = 0; i < n; i++)
		if (kvm_signal_msi(vm, &msg))
			goto out_unbind;
	t_signal = now_s() - t0;
	got_signal = irr_take(vcpu, VECTOR);
	if (got_irqfd != 1 || got_signal != 1)
		printf("pci_irq: vector 0x%x not seen in the IRR (irqfd %d, KVM_SIGNAL_MSI %d)\n",
		       VECTOR, got_irqfd, got_signal);
	printf("| MSI sent with write() to an irqfd (GSI %d) | %.2f |\n", gsi, t_irqfd / n * 1e6);
	printf("| MSI sent with KVM_SIGNAL_MSI | %.2f |\n", t_signal / n * 1e6);
	r = 0;
out_unbind:
	kvm_irqfd(vm, efd, gsi, -1, true);
out_close:
	close(efd);
	return r;
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 200000;
	struct err err = { { 0 }, 0 };
	struct vm *vm;
	int vcpu, r, status = 1;

	if (n == 0) {
		fprintf(stderr, "usage: pci_irq [N]\n");
		return 2;
	}
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return 1;
	if (kvm_vm_create(vm, &err)) {
		fprintf(stderr, "pci_irq: %s\n", err.msg);
		goto out_vm;
	}
	vcpu = vcpu_lapic_on(vm);
	if (vcpu < 0 || (r = irr_take(vcpu, VECTOR)) < 0) {
		fprintf(stderr, "pci_irq: vCPU/LAPIC: %s\n", strerror(vcpu < 0 ? -vcpu : -r));
		goto out_vcpu;
	}
	if (bench(vm, vcpu, n))
		fprintf(stderr, "pci_irq: route/irqfd/eventfd failed: %s\n", strerror(errno));
	else
		status = 0;
out_vcpu:
	if (vcpu >= 0)
		close(vcpu);
out_vm:
	kvm_vm_destroy(vm);
	free(vm);
	return status;
}
