/* setup.c - PCI layer entry points (pci.h): the host bridge at 0xCF8, the --device table,
 * the PCI side of the ACPI tables, reset and teardown. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "pci.h"
#include "core/vm.h"
#include "devices.h"
#include "kvm_glue.h"
#include "legacy/ioapic.h"
#include "vfio/vfio_vm.h"
#include "net/tap.h"
#include "virtio/blk.h"
#include "virtio/fs.h"
#include "virtio/iommu.h"
#include "virtio/net.h"
#include "virtio/vhost.h"
#include "core/cpuid.h"

/* A level-triggered I/O APIC pin was EOI'd: devices with external INTx (VFIO) unmask it. */
static void pci_ioapic_eoi(void *opaque, unsigned pin)
{
	if (pin >= PCI_INTX_PIN_BASE && pin < PCI_INTX_PIN_BASE + PCI_INTX_PINS)
		pci_bus_intx_eoi(opaque, pin);
}

static struct pci_glue *glue(struct vm *vm)
{
	return (struct pci_glue *)vm->pci;
}

/* One virtio-net function per --net, on the tap machine.c opened; the device owns it now. */
static int pci_nets(struct vm *vm, struct pci_bus *b, struct err *err)
{
	for (unsigned i = 0; i < vm->cfg.nnets; i++) {
		struct tap *t = vm->taps[i];
		struct virtio_net *n;
		struct vhost_net *vh;
		struct net_opts o;
		int r;

		if (!t || net_opts_parse(vm->cfg.nets[i], &o, err))
			return err_set(err, EINVAL, "--net %s: no tap", vm->cfg.nets[i]);
		/* vhost-net reads the rings by guest-physical address: past the viommu. */
		if (vm->cfg.viommu && o.vhost == NET_VHOST_ON)
			return err_input(err, EINVAL, "--net %s: vhost=on with --viommu is not "
					 "supported (vhost-net would bypass the IOMMU); use vhost=off",
					 vm->cfg.nets[i]);
		if (vm->cfg.viommu)
			o.vhost = NET_VHOST_OFF;
		if (!o.mac_set)
			net_mac_derive(vm->cfg.boot.kernel, i, o.mac);
		/* vhost-net: opened and made this process's (SET_OWNER) here, still single-threaded
		 * and before any seccomp filter; the default falls back with one line. */
		if ((r = net_vhost_open(&o, vm->cfg.nets[i], VHOST_NET_PATH, &vh, err)))
			return r;
		vm->taps[i] = NULL;
		r = tap_net_create(t, b, &vm->mem, o.mac, vh, &n);
		if (r)
			return err_set(err, -r, "--net %s: cannot create the virtio-net device: %s",
				       vm->cfg.nets[i], strerror(-r));
		vnet_print_stats_at_exit(n, vm->cfg.stats);
	}
	return 0;
}

/* --viommu: the virtio-iommu first, so that every device made after it is behind it. */
static int pci_viommu(struct vm *vm, struct pci_bus *b, struct err *err)
{
	int r;

	if (!vm->cfg.viommu)
		return 0;
	r = viommu_create(vm, b, vm->cfg.viommu_bypass ? "bypass=on" : "", &vm->viommu, err);
	if (r)
		return r;
	b->dma = &vm->viommu->dma;
	return 0;
}

/* A host reserved region of a VFIO endpoint's group, reported by every PROBE (§5.13.6.8). */
static int pci_viommu_resv(void *arg, uint64_t start, uint64_t end, const char *type)
{
	uint8_t t = !strcmp(type, "msi") ? VIOMMU_RESV_MEM_T_MSI : VIOMMU_RESV_MEM_T_RESERVED;

	return viommu_add_resv(arg, start, end, t);
}

/*
 * With passed-through devices behind the viommu, the VFIO back end (src/vfio/vfio_viommu.c)
 * makes the guest's domains real for them: its ops, the host's page sizes as the
 * page_size_mask, and its groups' reserved regions for PROBE.
 */
static int pci_viommu_vfio(struct vm *vm, struct err *err)
{
	struct vfio_viommu_backend be;
	int r;

	if (!vm->vfio)
		return 0;
	if (vm->cfg.viommu_bypass)
		return err_input(err, EINVAL, "--viommu=bypass=on with a passed-through device: "
				 "unattached VFIO endpoints cannot bypass (docs/viommu.md); drop "
				 "bypass=on, the guest can still attach a bypass domain");
	r = vfio_viommu_setup(vm, &be, err);
	if (r)
		return r;
	viommu_set_backend(vm->viommu, be.ops, be.opaque, 0);
	if (be.pgsizes)
		viommu_set_page_size_mask(vm->viommu, be.pgsizes);
	for (unsigned s = 0; s < PCI_SLOTS; s++) {
		r = be.resv(be.opaque, s << 3, pci_viommu_resv, vm->viommu);
		if (r < 0 && r != -ENOENT)
			return err_set(err, -r, "--viommu: the host reserved regions do not fit "
				       "the PROBE table: %s", strerror(-r));
	}
	return 0;
}

/* Every other function on bus 0 becomes an endpoint of the viommu (the VIOT's range). */
static int pci_viommu_endpoints(struct vm *vm, struct pci_bus *b, struct err *err)
{
	int r;

	if (!vm->viommu)
		return 0;
	r = pci_viommu_vfio(vm, err);
	if (r)
		return r;
	for (unsigned s = 0; s < PCI_SLOTS; s++)
		for (unsigned fn = 0; fn < PCI_FUNCS; fn++) {
			struct pci_dev *d = b->devs[s][fn];

			if (!d || (s << 3 | fn) == vm->viommu->devfn)
				continue;
			/* A VFIO function the back end does not own would DMA past the guest's
			 * mappings: never let that pass silently. */
			if (d->host_bdf >= 0 && (!vm->viommu->be ||
						 !vm->viommu->be->owns(vm->viommu->be_opaque, s << 3 | fn)))
				return err_set(err, EINVAL, "--viommu: passed-through %s is not "
					       "behind the VFIO back end", d->name);
			viommu_add_endpoint(vm->viommu, s << 3 | fn);
		}
	return 0;
}

int pci_setup(struct vm *vm, pci_gsi_line_fn *gsi_line, struct err *err)
{
	struct pci_glue *g = calloc(1, sizeof(*g));
	struct pci_host_ops ops;
	int r;

	if (!g)
		return err_set(err, ENOMEM, "PCI: out of memory");
	g->vm = vm;
	g->gsi_line = gsi_line;
	pci_glue_ops(g, &ops);
	pci_bus_init(&g->bus, &ops, mem_pci64_start(&vm->mem));
	/* 64-bit BARs (GPU apertures of 32-128 GiB and more) up to what the guest addresses. */
	pci_bus_set_phys_bits(&g->bus, cpuid_phys_bits(vm->cpuid));
	g->bus.trace = vm->trace;	/* NULL when --trace is off: one branch per hook */
	vm->pci = &g->bus;
	r = pci_host_bridge_create(&g->bus);
	if (r)
		return err_set(err, -r, "PCI: cannot create the host bridge: %s", strerror(-r));
	r = bus_register(&vm->pio, 0xcf8, 8, pci_host_io, &g->bus, "pci-config");
	if (r)
		return err_set(err, -r, "PCI: ports 0xCF8-0xCFF are taken: %s", strerror(-r));
	g->cf8_registered = true;
	if (vm->cfg.acpi) {
		/* Bus 0 only, 1 MiB: vfvm has no bridges (docs/pci.md, "ECAM"). */
		r = bus_register(&vm->mmio, MEM_ECAM_BASE, MEM_ECAM_SIZE, pci_ecam_io, &g->bus,
				 "pci-ecam");
		if (r)
			return err_set(err, -r, "PCI: cannot place ECAM at %#llx: %s",
				       (unsigned long long)MEM_ECAM_BASE, strerror(-r));
		g->ecam_registered = true;
	}
	if (vm->ioapic)
		ioapic_set_eoi_notifier(vm->ioapic, pci_ioapic_eoi, &g->bus);
	if ((r = pci_viommu(vm, &g->bus, err)))
		return r;
	for (unsigned i = 0; i < vm->cfg.ndevices; i++) {
		r = pci_device_create(vm, &g->bus, vm->cfg.devices[i], err);
		if (r)
			return r;
	}
	/* One request queue per vCPU (virtio 1.2 §5.2.5, VIRTIO_BLK_F_MQ), up to 8. */
	for (unsigned i = 0; i < vm->cfg.ndisks; i++) {
		unsigned nq = vm->ncpus < BLK_MAX_QUEUES ? vm->ncpus : BLK_MAX_QUEUES;

		r = virtio_blk_create(vm, &g->bus, vm->disks[i], nq ? nq : 1, err);
		if (r)
			return r;
	}
	for (unsigned i = 0; i < vm->cfg.nfs; i++) {
		r = virtio_fs_create(&g->bus, &vm->mem, vm->cfg.fs[i].sock, vm->cfg.fs[i].tag,
				     vm->cfg.fs[i].dir != NULL, err);
		if (r)
			return r;
	}
	if ((r = pci_nets(vm, &g->bus, err)))
		return r;
	if ((r = pci_viommu_endpoints(vm, &g->bus, err)))
		return r;
	/* Passed-through devices DMA into guest RAM through the IOMMU: map it all now. */
	return vfio_vm_map_ram(vm, err);
}

int pci_start(struct vm *vm, struct err *err)
{
	struct pci_glue *g = glue(vm);
	int r;

	/* Made now, by the main thread, before any filter: a vCPU thread (whose filter has no
	 * clone) would otherwise create it on a guest's first MSI-X programming. */
	if (!g || (!vm->cfg.ndevices && !vm->cfg.ndisks && !vm->cfg.nfs && !vm->cfg.nnets &&
		   !vm->cfg.viommu))
		return 0;
	if (!g->iot)
		g->iot = pci_iothread_new(&vm->lock);
	if (!g->iot)
		return err_set(err, ENOMEM, "PCI: cannot create the device thread");
	r = pci_iothread_start(g->iot, vm->sandbox);
	return r ? err_set(err, -r, "PCI: cannot start the device thread: %s", strerror(-r)) : 0;
}

void pci_acpi_config(struct vm *vm, struct acpi_config *cfg)
{
	struct pci_bus *b = vm->pci;

	cfg->ecam_base = (uint32_t)MEM_ECAM_BASE;
	cfg->ecam_bus_end = (uint8_t)((MEM_ECAM_SIZE >> 20) - 1);
	cfg->mem32_min = (uint32_t)MEM_PCI32_START;
	cfg->mem32_max = (uint32_t)(MEM_PCI32_END - 1);
	cfg->mem64_min = mem_pci64_start(&vm->mem);
	cfg->mem64_max = b ? b->mem64_end - 1 : cfg->mem64_min + (64ULL << 30) - 1;
	for (unsigned s = 0; s < ACPI_PCI_SLOTS; s++)
		for (unsigned pin = 0; pin < 4; pin++)
			cfg->intx_gsi[s][pin] = (uint8_t)pci_intx_route(s, pin);
	/* --viommu: the VIOT puts bus 0 behind it (src/acpi/tables.c). */
	cfg->viot = vm->viommu != NULL;
	cfg->viommu_bdf = vm->viommu ? (uint16_t)vm->viommu->devfn : 0;
}

void pci_reset(struct vm *vm)
{
	if (!vm->pci)
		return;
	/* The device thread may be inside a doorbell handler: take the lock like it does. */
	pthread_mutex_lock(&vm->lock);
	pci_bus_reset(vm->pci);
	pthread_mutex_unlock(&vm->lock);
}

void pci_dump(struct vm *vm, FILE *f)
{
	struct pci_glue *g = glue(vm);

	if (!g)
		return;
	for (unsigned s = 0; s < PCI_SLOTS; s++)
		for (unsigned fn = 0; fn < PCI_FUNCS; fn++)
			if (g->bus.devs[s][fn])
				pci_msi_dump(g->bus.devs[s][fn], f);
}

void pci_teardown(struct vm *vm)
{
	struct pci_glue *g = glue(vm);

	if (!g)
		return;
	/* Stop the device thread first: nothing may call into a device being freed. */
	pci_iothread_free(g->iot);
	g->iot = NULL;
	g->bus.ops.watch_fd = NULL;
	g->bus.ops.unwatch_fd = NULL;
	g->bus.ops.watch_input = NULL;
	pci_bus_destroy(&g->bus);	/* the viommu's table goes with its function */
	vm->viommu = NULL;
	if (g->cf8_registered)
		bus_unregister(&vm->pio, 0xcf8);
	if (g->ecam_registered)
		bus_unregister(&vm->mmio, MEM_ECAM_BASE);
	vm->pci = NULL;
	free(g);
	vfio_vm_close(vm);
}
