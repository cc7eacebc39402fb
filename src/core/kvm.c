/* kvm.c - VM creation (split irqchip, TSS, identity map) and the thin VM-ioctl wrappers of
 * kvm.h: memory slots, the staged GSI routing table, irqfd, ioeventfd, MSI injection. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "core/kvm.h"
#include "core/vm.h"

/* Three pages just below the BIOS flash, inside the e820-reserved [0xFEC00000, 4 GiB):
 * Intel VMX needs them to run real mode / unpaged protected mode (as QEMU places them). */
#define KVM_IDENTITY_MAP_ADDR	0xFEFFC000ULL
#define KVM_TSS_ADDR		0xFEFFD000ULL
#define KVM_IOAPIC_PINS		24
#define KVM_GSI_MAX		4096

#define BITS_PER_UL (8 * sizeof(unsigned long))

static bool bit_test(const unsigned long *map, unsigned n)
{
	return map[n / BITS_PER_UL] & (1UL << (n % BITS_PER_UL));
}

static void bit_assign(unsigned long *map, unsigned n, bool v)
{
	if (v)
		map[n / BITS_PER_UL] |= 1UL << (n % BITS_PER_UL);
	else
		map[n / BITS_PER_UL] &= ~(1UL << (n % BITS_PER_UL));
}

static int kvm_cap(struct vm *vm, long cap)
{
	int r = ioctl(vm->vm_fd >= 0 ? vm->vm_fd : vm->kvm_fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

static int kvm_open_dev(struct vm *vm, struct err *err)
{
	int ver;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		int e = errno;

		if (e == ENOENT)
			return err_set(err, e, "/dev/kvm does not exist; load kvm-intel or kvm-amd "
				       "(and enable virtualization in the firmware)");
		if (e == EACCES || e == EPERM)
			return err_set(err, e, "/dev/kvm: permission denied; add yourself to the "
				       "'kvm' group or run as root");
		return err_set(err, e, "cannot open /dev/kvm: %s", strerror(e));
	}
	ver = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (ver != KVM_API_VERSION)
		return err_set(err, ENOTSUP, "/dev/kvm speaks API version %d; vfvm needs %d",
			       ver, KVM_API_VERSION);
	return 0;
}

static const long kvm_needed_caps[] = {
	KVM_CAP_SPLIT_IRQCHIP, KVM_CAP_IRQ_ROUTING, KVM_CAP_SIGNAL_MSI, KVM_CAP_IRQFD,
	KVM_CAP_IOEVENTFD, KVM_CAP_SET_TSS_ADDR, KVM_CAP_SET_IDENTITY_MAP_ADDR,
	KVM_CAP_USER_MEMORY, KVM_CAP_EXT_CPUID,
};

int kvm_vm_create(struct vm *vm, struct err *err)
{
	struct kvm_enable_cap split = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { KVM_IOAPIC_PINS } };
	uint64_t idmap = KVM_IDENTITY_MAP_ADDR;
	int r;

	vm->vm_fd = vm->kvm_fd = -1;
	pthread_mutex_init(&vm->kvm_lock, NULL);
	r = kvm_open_dev(vm, err);
	if (r)
		return r;
	for (size_t i = 0; i < sizeof(kvm_needed_caps) / sizeof(kvm_needed_caps[0]); i++)
		if (!kvm_cap(vm, kvm_needed_caps[i]))
			return err_set(err, ENOTSUP, "this KVM lacks capability %ld that vfvm needs",
				       kvm_needed_caps[i]);
	vm->vcpu_mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->vcpu_mmap_size < (int)sizeof(struct kvm_run))
		return err_set(err, EIO, "KVM_GET_VCPU_MMAP_SIZE failed");
	do
		vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	while (vm->vm_fd < 0 && errno == EINTR);
	if (vm->vm_fd < 0)
		return err_set(err, errno, "KVM_CREATE_VM: %s", strerror(errno));
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR) < 0 ||
	    ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
		return err_set(err, errno, "KVM_SET_TSS_ADDR/IDENTITY_MAP_ADDR: %s", strerror(errno));
	if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &split) < 0)
		return err_set(err, errno, "KVM_ENABLE_CAP(SPLIT_IRQCHIP): %s", strerror(errno));
	vm->max_gsi = kvm_cap(vm, KVM_CAP_IRQ_ROUTING);
	if (vm->max_gsi > KVM_GSI_MAX)
		vm->max_gsi = KVM_GSI_MAX;
	vm->max_slots = kvm_cap(vm, KVM_CAP_NR_MEMSLOTS);
	if (!vm->max_slots || vm->max_slots > VM_MAX_SLOTS)
		vm->max_slots = VM_MAX_SLOTS;
	/* GSIs 0-23 belong to the I/O APIC pins and are never handed out. */
	for (unsigned i = 0; i < KVM_IOAPIC_PINS; i++)
		bit_assign(vm->gsi_used, i, true);
	return 0;
}

void kvm_vm_destroy(struct vm *vm)
{
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	vm->vm_fd = vm->kvm_fd = -1;
	free(vm->routes);
	vm->routes = NULL;
	vm->routes_cap = 0;
}

/* --- memory slots --- */

int kvm_slot_map(struct vm *vm, uint64_t gpa, uint64_t size, void *hva, bool readonly)
{
	struct kvm_userspace_memory_region r = {
		.flags = readonly ? KVM_MEM_READONLY : 0,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};
	int slot = -ENOSPC;

	if (!size || (gpa | size | (uintptr_t)hva) & 0xfff)
		return -EINVAL;
	pthread_mutex_lock(&vm->kvm_lock);
	for (unsigned i = 0; i < vm->max_slots; i++) {
		if (bit_test(vm->slot_used, i))
			continue;
		r.slot = i;
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
			slot = -errno;
			break;
		}
		bit_assign(vm->slot_used, i, true);
		slot = i;
		break;
	}
	pthread_mutex_unlock(&vm->kvm_lock);
	return slot;
}

int kvm_slot_unmap(struct vm *vm, int slot)
{
	struct kvm_userspace_memory_region r = { .slot = (uint32_t)slot };
	int ret = 0;

	if (slot < 0 || (unsigned)slot >= vm->max_slots)
		return -EINVAL;
	pthread_mutex_lock(&vm->kvm_lock);
	if (!bit_test(vm->slot_used, slot))
		ret = -ENOENT;
	else if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		ret = -errno;
	else
		bit_assign(vm->slot_used, slot, false);
	pthread_mutex_unlock(&vm->kvm_lock);
	return ret;
}

/* --- GSI routing --- */

static struct kvm_irq_routing_entry *route_find(struct vm *vm, unsigned gsi)
{
	for (unsigned i = 0; vm->routes && i < vm->routes->nr; i++)
		if (vm->routes->entries[i].gsi == gsi)
			return &vm->routes->entries[i];
	return NULL;
}

static int route_set_locked(struct vm *vm, unsigned gsi, const struct msi_msg *msg)
{
	struct kvm_irq_routing_entry *e = route_find(vm, gsi);

	if (!e) {
		unsigned nr = vm->routes ? vm->routes->nr : 0;

		if (nr == vm->routes_cap) {
			unsigned cap = vm->routes_cap ? vm->routes_cap * 2 : 32;
			struct kvm_irq_routing *t = realloc(vm->routes, sizeof(*t) +
							    cap * sizeof(t->entries[0]));

			if (!t)
				return -ENOMEM;
			if (!vm->routes)
				t->nr = t->flags = 0;
			vm->routes = t;
			vm->routes_cap = cap;
		}
		e = &vm->routes->entries[vm->routes->nr++];
	}
	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_MSI;
	e->u.msi.address_lo = (uint32_t)msg->addr;
	e->u.msi.address_hi = (uint32_t)(msg->addr >> 32);
	e->u.msi.data = msg->data;
	return 0;
}

static void route_clear_locked(struct vm *vm, unsigned gsi)
{
	struct kvm_irq_routing_entry *e = route_find(vm, gsi);

	if (e)
		*e = vm->routes->entries[--vm->routes->nr];
}

int kvm_route_set(struct vm *vm, unsigned gsi, const struct msi_msg *msg)
{
	int r;

	if (gsi >= vm->max_gsi || !msg)
		return -EINVAL;
	pthread_mutex_lock(&vm->kvm_lock);
	r = route_set_locked(vm, gsi, msg);
	pthread_mutex_unlock(&vm->kvm_lock);
	return r;
}

int kvm_route_clear(struct vm *vm, unsigned gsi)
{
	if (gsi >= vm->max_gsi)
		return -EINVAL;
	pthread_mutex_lock(&vm->kvm_lock);
	route_clear_locked(vm, gsi);
	pthread_mutex_unlock(&vm->kvm_lock);
	return 0;
}

int kvm_route_alloc(struct vm *vm, const struct msi_msg *msg)
{
	int gsi = -ENOSPC;

	if (!msg)
		return -EINVAL;
	pthread_mutex_lock(&vm->kvm_lock);
	for (unsigned i = KVM_IOAPIC_PINS; i < vm->max_gsi; i++) {
		if (bit_test(vm->gsi_used, i))
			continue;
		gsi = route_set_locked(vm, i, msg);
		if (gsi == 0) {
			bit_assign(vm->gsi_used, i, true);
			gsi = (int)i;
		}
		break;
	}
	pthread_mutex_unlock(&vm->kvm_lock);
	return gsi;
}

void kvm_route_free(struct vm *vm, unsigned gsi)
{
	if (gsi < KVM_IOAPIC_PINS || gsi >= vm->max_gsi)
		return;
	pthread_mutex_lock(&vm->kvm_lock);
	route_clear_locked(vm, gsi);
	bit_assign(vm->gsi_used, gsi, false);
	pthread_mutex_unlock(&vm->kvm_lock);
}

int kvm_route_commit(struct vm *vm)
{
	struct kvm_irq_routing empty = { 0 };
	int r = 0;

	pthread_mutex_lock(&vm->kvm_lock);
	if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, vm->routes ? vm->routes : &empty) < 0)
		r = -errno;
	pthread_mutex_unlock(&vm->kvm_lock);
	return r;
}

/* The state dump: the GSI routes, a line each, as staged; KVM_SET_GSI_ROUTING replaces the
 * whole table at each commit, and the MSI users commit every change they stage at once. */
void kvm_routes_dump(struct vm *vm, FILE *f)
{
	pthread_mutex_lock(&vm->kvm_lock);
	fprintf(f, "vfvm: GSI routes: %u\n", vm->routes ? vm->routes->nr : 0);
	for (unsigned i = 0; vm->routes && i < vm->routes->nr; i++) {
		const struct kvm_irq_routing_entry *e = &vm->routes->entries[i];

		if (e->type == KVM_IRQ_ROUTING_MSI)
			fprintf(f, "vfvm:   GSI %u: MSI addr %#llx data %#x (vector %#x)\n", e->gsi,
				(unsigned long long)e->u.msi.address_hi << 32 | e->u.msi.address_lo,
				e->u.msi.data, e->u.msi.data & 0xff);
		else
			fprintf(f, "vfvm:   GSI %u: type %u\n", e->gsi, e->type);
	}
	pthread_mutex_unlock(&vm->kvm_lock);
}

/* --- interrupts and doorbells --- */

int kvm_irq_line(struct vm *vm, unsigned gsi, int level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level ? 1 : 0 };

	return ioctl(vm->vm_fd, KVM_IRQ_LINE, &l) < 0 ? -errno : 0;
}

int kvm_irqfd(struct vm *vm, int fd, unsigned gsi, int resample_fd, bool deassign)
{
	struct kvm_irqfd f = { .fd = (uint32_t)fd, .gsi = gsi };

	if (fd < 0 || gsi >= vm->max_gsi)
		return -EINVAL;
	if (deassign) {
		f.flags = KVM_IRQFD_FLAG_DEASSIGN;
	} else if (resample_fd >= 0) {
		f.flags = KVM_IRQFD_FLAG_RESAMPLE;
		f.resamplefd = (uint32_t)resample_fd;
	}
	return ioctl(vm->vm_fd, KVM_IRQFD, &f) < 0 ? -errno : 0;
}

int kvm_ioeventfd(struct vm *vm, int fd, uint64_t addr, unsigned len, bool pio,
		  int64_t datamatch, bool deassign)
{
	struct kvm_ioeventfd e = { .addr = addr, .len = len, .fd = fd };

	if (fd < 0 || (len != 0 && len != 1 && len != 2 && len != 4 && len != 8))
		return -EINVAL;
	if (pio)
		e.flags |= KVM_IOEVENTFD_FLAG_PIO;
	if (datamatch >= 0) {
		e.flags |= KVM_IOEVENTFD_FLAG_DATAMATCH;
		e.datamatch = (uint64_t)datamatch;
	}
	if (deassign)
		e.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
	return ioctl(vm->vm_fd, KVM_IOEVENTFD, &e) < 0 ? -errno : 0;
}

int kvm_signal_msi(struct vm *vm, const struct msi_msg *msg)
{
	struct kvm_msi m = {
		.address_lo = (uint32_t)msg->addr,
		.address_hi = (uint32_t)(msg->addr >> 32),
		.data = msg->data,
	};
	int r = ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &m);

	/* 0 means the message was blocked (e.g. by a masked LAPIC); not an error here. */
	return r < 0 ? -errno : 0;
}
