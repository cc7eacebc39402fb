/* vfio_vm.c - VFIO in a running vfvm: the --device vfio,... type, the KVM-VFIO device that
 * is told about each group, DMA mapping of guest RAM, teardown. The glue between struct vm
 * and the KVM-free code in vfio_pci*.c. */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "pci/devices.h"
#include "core/vm.h"
#include "vfio_pci.h"
#include "vfio_viommu.h"
#include "vfio_vm.h"

struct vfio_vm {
	struct vfio_state s;
	struct vfio_viommu viommu;	/* --viommu: a container per group (s.viommu) */
	struct vm *vm;
	int kvm_dev_fd;
};

/* KVM_DEV_TYPE_VFIO: KVM learns which groups the VM uses (coherent DMA, posted interrupts). */
static int kvm_group_add(void *opaque, int group_fd)
{
	struct vfio_vm *v = opaque;
	struct kvm_device_attr attr = {
		.group = KVM_DEV_VFIO_GROUP,
		.attr = KVM_DEV_VFIO_GROUP_ADD,
		.addr = (uintptr_t)&group_fd,
	};

	if (v->kvm_dev_fd < 0) {
		struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };

		if (ioctl(v->vm->vm_fd, KVM_CREATE_DEVICE, &cd) < 0)
			return -errno;
		v->kvm_dev_fd = cd.fd;
	}
	return ioctl(v->kvm_dev_fd, KVM_SET_DEVICE_ATTR, &attr) < 0 ? -errno : 0;
}

/* Every host= on the command line, so that group viability counts them all as passed. */
static int prescan(struct vfio_vm *v, struct err *err)
{
	for (unsigned i = 0; i < v->vm->cfg.ndevices; i++) {
		const char *spec = v->vm->cfg.devices[i];
		struct vfio_pci_opts o;
		char buf[512];
		int r;

		if (strncmp(spec, "vfio,", 5))
			continue;
		snprintf(buf, sizeof(buf), "%s", spec + 5);
		r = vfio_pci_parse(buf, &o, err);
		if (!r)
			r = vfio_state_add_passed(&v->s, &o.host, err);
		if (r)
			return r;
	}
	return 0;
}

static struct vfio_vm *vfio_vm_get(struct vm *vm, struct err *err)
{
	struct vfio_vm *v = vm->vfio;

	if (v)
		return v;
	v = calloc(1, sizeof(*v));
	if (!v) {
		err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	v->vm = vm;
	v->kvm_dev_fd = -1;
	v->s.host.root = "";
	v->s.sys = &vfio_sys_linux;
	v->s.kvm_group_add = kvm_group_add;
	v->s.kvm_opaque = v;
	v->s.ram_size = vm->mem.ram_size;
	if (vm->cfg.viommu) {
		vfio_viommu_init(&v->viommu, v->s.sys, &v->s.host, &vm->mem);
		v->s.viommu = &v->viommu;
	}
	vm->vfio = v;
	if (prescan(v, err))
		return NULL;
	return v;
}

int vfio_device_create(struct vm *vm, struct pci_bus *b, const char *opts, struct err *err)
{
	struct vfio_pci_opts o;
	struct pci_dev *pd;
	struct vfio_vm *v;
	char buf[512];
	int r;

	if (!vm)
		return err_input(err, EINVAL, "--device vfio needs a VM");
	snprintf(buf, sizeof(buf), "%s", opts);
	r = vfio_pci_parse(buf, &o, err);
	if (r)
		return r;
	v = vfio_vm_get(vm, err);
	if (!v)
		return -EINVAL;
	pd = vfio_pci_create(&v->s, b, &o, err);
	if (!pd)
		return -EINVAL;
	return vfio_pci_place(pd, err);
}

int vfio_vm_map_ram(struct vm *vm, struct err *err)
{
	struct vfio_vm *v = vm->vfio;

	return v ? vfio_state_map_ram(&v->s, &vm->mem, err) : 0;
}

/* --stats with --viommu: what the guest still had mapped when the VM ended. */
static void viommu_stats(const struct vfio_vm *v)
{
	unsigned maps = 0;

	for (int i = 0; i < v->viommu.ngroups; i++)
		maps += v->viommu.groups[i].nmaps;
	fprintf(stderr, "vfvm: vfio: %d device(s) behind --viommu in %d IOMMU group(s), a "
		"container each; %u guest mapping(s) left at exit, unmapped now\n", v->s.ndevs,
		v->viommu.ngroups, maps);
}

static int viommu_resv(void *opaque, uint32_t ep,
		       int (*fn)(void *arg, uint64_t start, uint64_t end, const char *type),
		       void *arg)
{
	return vfio_viommu_resv(opaque, ep, fn, arg);
}

static int viommu_reset(void *opaque)
{
	return vfio_viommu_reset(opaque);
}

int vfio_viommu_setup(struct vm *vm, struct vfio_viommu_backend *out, struct err *err)
{
	struct vfio_vm *v;

	if (!vm->cfg.viommu)
		return err_set(err, EINVAL, "vfio: viommu back end asked for without --viommu");
	v = vfio_vm_get(vm, err);
	if (!v)
		return -EINVAL;
	out->ops = &vfio_viommu_ops;
	out->opaque = &v->viommu;
	out->pgsizes = vfio_viommu_pgsizes(&v->viommu);
	out->resv = viommu_resv;
	out->reset = viommu_reset;
	return 0;
}

void vfio_vm_close(struct vm *vm)
{
	struct vfio_vm *v = vm->vfio;

	if (!v)
		return;
	if (vm->cfg.stats && v->s.open && v->s.viommu)
		viommu_stats(v);
	else if (vm->cfg.stats && v->s.open)
		fprintf(stderr, "vfvm: vfio: %d device(s); DMA-mapped %llu MiB of guest RAM in "
			"%.1f ms (%.1f ms/GiB); %llu interrupts needed a vfvm thread (INTx, masked "
			"or unrouted vectors), the rest went host -> guest by irqfd\n",
			v->s.ndevs, (unsigned long long)(vm->mem.ram_size >> 20),
			v->s.dma_map_ns / 1e6,
			v->s.dma_map_ns / 1e6 / ((double)vm->mem.ram_size / (1ULL << 30)),
			(unsigned long long)v->s.user_irqs);
	if (vm->cfg.stats && v->s.open)
		vfio_state_print_resets(&v->s, stderr);
	vfio_state_close(&v->s);
	if (v->kvm_dev_fd >= 0)
		close(v->kvm_dev_fd);
	free(v);
	vm->vfio = NULL;
}
