/* vfio_pci.c - a VFIO device as a function on vfvm's PCI bus: options, creation (host
 * checks, group and container, the function built and attached), reset, teardown (see
 * vfio_pci.h and docs/passthrough.md). The model is QEMU's hw/vfio/pci.c in spirit: emulate
 * what the guest must not touch, forward the rest live. Config-space virtualisation is
 * vfio_pci_cfg.c, BARs and ROM vfio_pci_bar.c, interrupts (INTx, MSI, MSI-X forwarding)
 * vfio_pci_irq.c; vfio_pci_priv.h is what they share. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include "pci/pci_dev.h"
#include "vfio_pci_priv.h"
#include "vfio_viommu.h"
#include "quirk.h"

/* --- option parsing --- */

int vfio_pci_parse(char *opts, struct vfio_pci_opts *o, struct err *err)
{
	char *save = NULL, *tok;
	bool have_host = false;

	memset(o, 0, sizeof(*o));
	o->rombar = true;
	o->slot = -1;
	for (tok = strtok_r(opts, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *v = strchr(tok, '=');

		if (!v)
			return err_input(err, EINVAL, "--device vfio: '%s' is not KEY=VALUE "
					 "(host=BDF, rombar=0|1, romfile=PATH, addr=SLOT)", tok);
		*v++ = 0;
		if (!strcmp(tok, "host")) {
			if (bdf_parse(v, &o->host))
				return err_input(err, EINVAL, "--device vfio: host=%s is not a PCI "
						 "address; write it as 0000:01:00.0 (see vfvm "
						 "devices)", v);
			have_host = true;
		} else if (!strcmp(tok, "rombar") && (!strcmp(v, "0") || !strcmp(v, "1"))) {
			o->rombar = v[0] == '1';
		} else if (!strcmp(tok, "romfile") && *v) {
			o->romfile = v;
		} else if (!strcmp(tok, "addr")) {
			char *end;
			long s = strtol(v, &end, 0);

			if (*end || end == v || s < 1 || s >= PCI_SLOTS)
				return err_input(err, EINVAL, "--device vfio: addr=%s: give a slot "
						 "number from 1 to 31", v);
			o->slot = (int)s;
		} else {
			return err_input(err, EINVAL, "--device vfio: unknown option %s=%s (known: "
					 "host=BDF, rombar=0|1, romfile=PATH, addr=SLOT)", tok, v);
		}
	}
	if (!have_host)
		return err_input(err, EINVAL, "--device vfio needs host=BDF, e.g. --device "
				 "vfio,host=0000:01:00.0");
	return 0;
}

int vfio_state_add_passed(struct vfio_state *s, const struct pci_bdf *b, struct err *err)
{
	char name[BDF_STR_LEN];

	bdf_format(b, name, sizeof(name));
	for (int i = 0; i < s->npassed; i++)
		if (!memcmp(&s->passed[i], b, sizeof(*b)))
			return err_input(err, EINVAL, "%s is given twice with --device vfio", name);
	if (s->npassed == VFIO_MAX_DEVICES)
		return err_input(err, E2BIG, "too many VFIO devices (at most %d)",
				 VFIO_MAX_DEVICES);
	s->passed[s->npassed++] = *b;
	return 0;
}
/* Files vfvm keeps open besides interrupt eventfds: KVM, VFIO, disks, epoll, timers, ... */
#define VFIO_FD_RESERVE 256

/*
 * Each MSI/MSI-X vector costs two eventfds while enabled (the one VFIO signals, and the one
 * bound to the vector's KVM route), all opened at once when the guest enables the capability:
 * a 2048-vector device needs 4096 besides the rest, over the usual soft limit of 1024. Check
 * up front, raise the soft limit to the hard one when that is enough (vfvm uses no select()),
 * and refuse the device with the number needed when it is not (issue 16 item 4).
 */
static int fd_budget(struct vfio_state *s, struct vfio_pci *vp, struct err *err)
{
	unsigned nvec = vp->pd->msix.nvec > vp->pd->msi.nvec_max ?
			vp->pd->msix.nvec : vp->pd->msi.nvec_max;
	unsigned long long need;
	struct rlimit rl;

	s->irq_fds += 2 * nvec;
	need = s->irq_fds + VFIO_FD_RESERVE;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return err_set(err, errno, "getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
	if (need <= rl.rlim_cur)
		return 0;
	if (need > rl.rlim_max)
		return err_set(err, EMFILE, "%s: its %u interrupt vectors need about %llu open files "
			       "in all, over the hard limit of %llu; raise it (ulimit -Hn %llu as "
			       "root, or LimitNOFILE=%llu)", vp->dev.name, nvec, need,
			       (unsigned long long)rl.rlim_max, need, need);
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		return err_set(err, errno, "%s: raising the open-file limit to %llu: %s",
			       vp->dev.name, (unsigned long long)rl.rlim_max, strerror(errno));
	return 0;
}


/* pci_dev_ops of the function: the interrupt side is vfio_pci_irq.c. */
static void vfio_intx_eoi(struct pci_dev *d)
{
	struct vfio_pci *vp = d->priv;

	vfio_pci_intx_eoi(&vp->irq);
}

static void vfio_irq_changed(struct pci_dev *d)
{
	struct vfio_pci *vp = d->priv;

	vfio_pci_irq_changed(&vp->irq);
}

/* --- life cycle --- */

/*
 * Stop the device and reset it. Bus master, memory and I/O decoding go off on the device
 * itself first (vfvm's copy of Command is restored separately): a device without a reset
 * method would otherwise keep DMAing into the next boot's RAM (QEMU's vfio_pci_pre_reset
 * does the same). VFIO_DEVICE_RESET runs whichever reset the kernel has for it (FLR, PM
 * D3hot->D0, slot or bus); without one the device is only quiesced, and vfvm says so once.
 */
static void quirk_sleep(unsigned usec)
{
	struct timespec ts = { .tv_sec = usec / 1000000, .tv_nsec = (long)(usec % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

/*
 * A reset method is not always a reset: the lab's e1000e (QEMU 7.2) offers PM D3hot->D0,
 * which leaves its receive unit on with the previous guest's ring, so the next guest's first
 * Bus Master write let it DMA received frames into whatever that ring address now holds
 * (issue 15). Devices with a quirk (quirk.c) are stopped through their own registers after
 * every reset: memory decoding on for it, bus master still off, Command restored after.
 */
static void vfio_quirk(struct vfio_pci *vp)
{
	uint16_t ven = dev_cfg(vp, PCI_VENDOR_ID, 2), dev = dev_cfg(vp, PCI_DEVICE_ID, 2);
	uint16_t cmd;

	vp->quirk = vfio_quirk_name(ven, dev);
	if (!vp->quirk)
		return;
	cmd = dev_cfg(vp, PCI_COMMAND, 2);
	dev_cfg_write(vp, PCI_COMMAND, 2, (cmd & ~PCI_CMD_MASTER) | PCI_CMD_MEM);
	vfio_quirk_quiesce(&vp->dev, ven, dev, quirk_sleep, &vp->quirk_result);
	dev_cfg_write(vp, PCI_COMMAND, 2, cmd);
}

static void vfio_hw_reset(struct vfio_pci *vp)
{
	uint16_t cmd = dev_cfg(vp, PCI_COMMAND, 2);
	int r;

	dev_cfg_write(vp, PCI_COMMAND, 2, cmd & ~(PCI_CMD_MASTER | PCI_CMD_MEM | PCI_CMD_IO));
	r = vfio_device_reset(&vp->dev);
	vfio_quirk(vp);
	/* At start the function is not on the bus yet: vfio_pci_create traces that one. */
	if (vp->pd && vp->pd->bus)
		pci_trace(vp->pd, TRACE_RESET, "\"ev\":\"vfio-reset\",\"methods\":\"%s\","
			  "\"result\":%d,\"quirk\":\"%s\",\"quirk_result\":%d", vp->reset_how,
			  r, vp->quirk ? vp->quirk : "none", vp->quirk_result);
	vp->last_reset = r;
	if (!r) {
		vp->resets_done++;
		return;
	}
	if (vp->reset_warned)
		return;
	vp->reset_warned = true;
	fprintf(stderr, "vfvm: warning: %s: %s (sysfs reset_method: %s); only bus master and "
		"decoding were turned off, its other state carries over into the guest\n",
		vp->dev.name, r == -ENOTTY ?
		"the host has no reset method for it (no FLR, PM or bus reset)" : strerror(-r),
		vp->reset_how);
}

static void vfio_dev_reset(struct pci_dev *d)
{
	struct vfio_pci *vp = d->priv;

	vfio_pci_msi_release(&vp->irq);
	vfio_pci_intx_disable(&vp->irq);
	vfio_hw_reset(vp);
	vfio_pci_intx_enable(&vp->irq);
}

void vfio_state_print_resets(const struct vfio_state *s, FILE *out)
{
	for (int i = 0; i < s->ndevs; i++)
		if (s->devs[i])
			fprintf(out, "vfvm: vfio %s: %d reset(s) done; the host's methods, in the "
				"order the kernel tries them: %s\n", s->devs[i]->dev.name,
				s->devs[i]->resets_done, s->devs[i]->reset_how);
		else if (s->reset_note[i][0])
			fprintf(out, "vfvm: vfio %s\n", s->reset_note[i]);
}

int vfio_pci_resets(const struct pci_dev *pd)
{
	const struct vfio_pci *vp = pd->priv;

	return vp->resets_done;
}

/* Quiesce: no DMA (bus master off), no interrupts, BAR maps gone, device closed. */
static void vfio_pci_free(struct vfio_pci *vp)
{
	if (vp->dev.fd >= 0) {
		uint16_t cmd = dev_cfg(vp, PCI_COMMAND, 2);

		dev_cfg_write(vp, PCI_COMMAND, 2, cmd & ~(PCI_CMD_MASTER | PCI_CMD_MEM |
							  PCI_CMD_IO));
	}
	if (vp->pd && vp->pd->bus) {
		vfio_pci_msi_release(&vp->irq);
		vfio_pci_intx_disable(&vp->irq);
	}
	vfio_pci_bar_unmap(vp);
	vfio_device_close(&vp->dev);
	free(vp->rom);
	free(vp);
}

static void vfio_dev_destroy(struct pci_dev *d)
{
	struct vfio_pci *vp = d->priv;
	struct vfio_state *s = vp->state;

	for (int i = 0; i < s->ndevs; i++) {
		if (s->devs[i] != vp)
			continue;
		s->devs[i] = NULL;
		/* Kept for --stats, printed after the bus (and so this device) is gone. */
		snprintf(s->reset_note[i], sizeof(s->reset_note[i]), "%s: %d reset(s) done; the "
			 "host's methods, in the order the kernel tries them: %s", vp->dev.name,
			 vp->resets_done, vp->reset_how);
	}
	vfio_pci_free(vp);
	d->priv = NULL;
}

static const struct pci_dev_ops vfio_pci_dev_ops = {
	.cfg_read = vfio_pci_cfg_read,
	.cfg_write = vfio_pci_cfg_write,
	.bar_access = vfio_pci_bar_access,
	.irq_changed = vfio_irq_changed,
	.intx_eoi = vfio_intx_eoi,
	.reset = vfio_dev_reset,
	.destroy = vfio_dev_destroy,
};

/* --- creation --- */

static int check_host_device(struct vfio_state *s, const struct pci_bdf *b, const char *name,
			     struct err *err)
{
	char drv[64];
	int group;

	if (!host_dev_exists(&s->host, b))
		return err_input(err, ENODEV, "%s: no such PCI device on this host (see vfvm "
				 "devices)", name);
	if (host_dev_driver(&s->host, b, drv, sizeof(drv)) == 0 && strcmp(drv, "vfio-pci"))
		return err_input(err, EBUSY, "%s is %s%s, not to vfio-pci; run: vfvm bind %s",
				 name, drv[0] ? "bound to " : "bound to no driver",
				 drv[0] ? drv : "", name);
	group = host_dev_group(&s->host, b);
	if (group == -ENOENT)
		return err_input(err, ENODEV, "%s has no IOMMU group: the host IOMMU is off; boot "
				 "the host with intel_iommu=on (Intel) or amd_iommu=on (AMD)",
				 name);
	if (group < 0)
		return err_set(err, -group, "%s: cannot read its IOMMU group: %s", name,
			       strerror(-group));
	return group;
}

static int open_group(struct vfio_state *s, int group, struct err *err)
{
	int gfd, r;

	if (!s->open) {
		r = vfio_memlock_check(s->ram_size, err);
		if (r)
			return r;
		r = s->viommu ? 0 : vfio_container_open(&s->container, s->sys, &s->host, err);
		if (r)
			return r;
		s->open = true;
	}
	if (s->viommu)
		gfd = vfio_viommu_group_get(s->viommu, group, s->passed, s->npassed, err);
	else
		gfd = vfio_group_get(&s->container, group, s->passed, s->npassed, err);
	if (gfd < 0)
		return gfd;
	for (int i = 0; i < s->ngroups_told; i++)
		if (s->groups_told[i] == gfd)
			return gfd;
	if (s->kvm_group_add) {
		r = s->kvm_group_add(s->kvm_opaque, gfd);
		if (r)
			return err_set(err, -r, "IOMMU group %d: KVM-VFIO device: %s", group,
				       strerror(-r));
	}
	s->groups_told[s->ngroups_told++] = gfd;
	return gfd;
}

/* kind "vfio" (and the start-up "reset"): what VFIO_DEVICE_GET_INFO, GET_REGION_INFO and
 * GET_IRQ_INFO said, and what the guest-visible BARs became (docs/trace.md). */
static void trace_setup(struct vfio_pci *vp)
{
	struct pci_dev *pd = vp->pd;

	pci_trace(pd, TRACE_VFIO, "\"ev\":\"device\",\"flags\":\"%#x\",\"regions\":%u,"
		  "\"irqs\":%u", vp->dev.flags, vp->dev.num_regions, vp->dev.num_irqs);
	for (unsigned i = 0; i < VFIO_PCI_NUM_REGIONS && i < vp->dev.num_regions; i++) {
		const struct vfio_region *r = &vp->dev.regions[i];

		if (!r->size)
			continue;
		pci_trace(pd, TRACE_VFIO, "\"ev\":\"region\",\"index\":%u,\"size\":\"%#llx\","
			  "\"offset\":\"%#llx\",\"flags\":\"%#x\",\"mmap\":%s,\"sparse\":%d,"
			  "\"mapped_areas\":%d", i, (unsigned long long)r->size,
			  (unsigned long long)r->offset, r->flags,
			  r->flags & VFIO_REGION_INFO_FLAG_MMAP ? "true" : "false", r->nsparse,
			  i < PCI_NUM_BARS ? vp->bars[i].nareas : 0);
	}
	for (unsigned i = 0; i < VFIO_PCI_NUM_IRQS && i < vp->dev.num_irqs; i++)
		pci_trace(pd, TRACE_VFIO, "\"ev\":\"irq-info\",\"index\":%u,\"count\":%u,"
			  "\"flags\":\"%#x\"", i, vp->dev.irq_count[i], vp->dev.irq_flags[i]);
	pci_trace(pd, TRACE_RESET, "\"ev\":\"vfio-reset\",\"at\":\"start\",\"methods\":\"%s\","
		  "\"result\":%d,\"quirk\":\"%s\",\"quirk_result\":%d", vp->reset_how,
		  vp->last_reset, vp->quirk ? vp->quirk : "none", vp->quirk_result);
}

/* Identity and the header registers that come from the device as they are. */
static struct pci_dev *build_function(struct vfio_pci *vp)
{
	uint32_t class_rev = dev_cfg(vp, PCI_REVISION, 4);
	struct pci_dev *pd;

	pd = pci_dev_new(dev_cfg(vp, PCI_VENDOR_ID, 2), dev_cfg(vp, PCI_DEVICE_ID, 2), class_rev,
			 &vfio_pci_dev_ops, vp);
	if (!pd)
		return NULL;
	pci_cfg_set(pd, PCI_SUBSYS_VENDOR, 4, dev_cfg(vp, PCI_SUBSYS_VENDOR, 4));
	pci_cfg_set(pd, 0x3e, 2, dev_cfg(vp, 0x3e, 2));		/* Min_Gnt, Max_Lat */
	snprintf(pd->name, sizeof(pd->name), "vfio %s", vp->dev.name);
	if (vp->dev.irq_count[VFIO_PCI_INTX_IRQ_INDEX]) {
		unsigned pin = dev_cfg(vp, PCI_INT_PIN, 1);

		if (pin >= 1 && pin <= 4)
			pci_intx_pin_set(pd, pin);
	}
	return pd;
}

struct pci_dev *vfio_pci_create(struct vfio_state *s, struct pci_bus *bus,
				const struct vfio_pci_opts *o, struct err *err)
{
	struct vfio_pci *vp;
	char name[BDF_STR_LEN];
	int group, gfd, slot, r;

	bdf_format(&o->host, name, sizeof(name));
	if (s->ndevs == VFIO_MAX_DEVICES) {
		err_input(err, E2BIG, "too many VFIO devices (at most %d)", VFIO_MAX_DEVICES);
		return NULL;
	}
	group = check_host_device(s, &o->host, name, err);
	if (group < 0)
		return NULL;
	gfd = open_group(s, group, err);
	if (gfd < 0)
		return NULL;
	vp = calloc(1, sizeof(*vp));
	if (!vp) {
		err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	vp->state = s;
	vfio_pci_irq_init(&vp->irq, &vp->dev, &s->user_irqs);
	if (vfio_device_open(&vp->dev, s->sys, gfd, &o->host, err))
		goto fail;
	if (host_dev_reset_method(&s->host, &o->host, vp->reset_how, sizeof(vp->reset_how)))
		snprintf(vp->reset_how, sizeof(vp->reset_how), "unknown");
	/* Start from a clean device (issue: reset before the guest starts). */
	vfio_hw_reset(vp);
	vp->pd = build_function(vp);
	if (!vp->pd) {
		err_set(err, ENOMEM, "out of memory");
		goto fail;
	}
	vp->irq.pd = vp->pd;
	if (vfio_pci_bars_setup(vp, err) || vfio_pci_caps_setup(vp, err) || fd_budget(s, vp, err) ||
	    vfio_pci_rom_setup(vp, o, err) || vfio_pci_bar_maps_setup(vp))
		goto fail_pd;
	vfio_pci_extcaps_setup(vp);
	slot = o->slot >= 0 ? o->slot : pci_bus_free_slot(bus);
	if (slot < 0) {
		err_input(err, ENOSPC, "%s: no free PCI slot left", name);
		goto fail_pd;
	}
	/* The endpoint the guest's virtio-iommu names it by: its requester ID on bus 0. */
	if (s->viommu && vfio_viommu_ep_add(s->viommu, PCI_BDF(0, slot, 0), group, err))
		goto fail_pd;
	r = pci_dev_attach(bus, vp->pd, slot, 0);
	if (r) {
		err_input(err, -r, "%s: PCI slot %d is %s", name, slot,
			  r == -EEXIST ? "already taken (choose another addr=)" : "invalid");
		goto fail_ep;
	}
	vp->pd->host_bdf = o->host.domain << 16 | o->host.bus << 8 | o->host.dev << 3 | o->host.fn;
	if (trace_unlikely(bus->trace))
		trace_setup(vp);
	/* Interrupt Line (the I/O APIC pin, as firmware would write it) needs the slot. */
	pci_intx_pin_set(vp->pd, vp->pd->cfg[PCI_INT_PIN]);
	pci_dev_seal(vp->pd);
	vfio_pci_intx_enable(&vp->irq);
	s->devs[s->ndevs++] = vp;
	return vp->pd;
fail_ep:
	if (s->viommu)
		vfio_viommu_ep_del(s->viommu, PCI_BDF(0, slot, 0));
fail_pd:
	pci_msi_destroy(vp->pd);
	free(vp->pd);
	vp->pd = NULL;
fail:
	vfio_pci_free(vp);
	return NULL;
}

int vfio_pci_place(struct pci_dev *pd, struct err *err)
{
	struct vfio_pci *vp = pd->priv;
	int big = 0, r = pci_dev_place_bars(pd);

	if (r) {
		for (int i = 1; i < PCI_NUM_BARS; i++)
			if (pd->bars[i].size > pd->bars[big].size)
				big = i;
		return err_input(err, ENOSPC, "--device vfio,host=%s: its BARs do not fit "
				 "vfvm's PCI windows (the largest, BAR%d, is %llu MiB; 32-bit window "
				 "below 0xfec00000, 64-bit window up to 0x%llx, the guest's physical "
				 "address limit); pass fewer or smaller devices", vp->dev.name, big,
				 (unsigned long long)(pd->bars[big].size >> 20),
				 (unsigned long long)pd->bus->mem64_end);
	}
	/* The power-on state a guest reset restores includes this placement. */
	pci_dev_seal(pd);
	return 0;
}

/*
 * The DMA the devices may do without --viommu: every range of guest RAM the container maps at
 * IOVA = GPA (one VFIO_IOMMU_MAP_DMA each, before the guest runs), one trace line per range
 * for each passed-through function, so that a trace narrowed to one device (dev=) says what
 * that device can reach. With --viommu the guest's own MAPs are the `viommu` `map` lines.
 */
static void vfio_state_trace_maps(const struct vfio_state *s)
{
	for (int d = 0; d < s->ndevs; d++)
		for (int i = 0; i < s->container.nmaps; i++)
			pci_trace(s->devs[d]->pd, TRACE_VFIO, "\"ev\":\"dma-map\",\"iova\":\"%#llx\","
				  "\"size\":\"%#llx\",\"flags\":\"rw\",\"result\":0",
				  (unsigned long long)s->container.maps[i].iova,
				  (unsigned long long)s->container.maps[i].size);
}

int vfio_state_map_ram(struct vfio_state *s, const struct guest_mem *mem, struct err *err)
{
	struct timespec t0, t1;
	int r;

	if (!s->open || s->viommu)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = vfio_dma_map_ram(&s->container, mem, err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s->dma_map_ns = (t1.tv_sec - t0.tv_sec) * 1000000000ULL + t1.tv_nsec - t0.tv_nsec;
	vfio_state_trace_maps(s);
	return r;
}

void vfio_state_close(struct vfio_state *s)
{
	if (!s->open)
		return;
	vfio_container_close(&s->container);
	if (s->viommu)
		vfio_viommu_close(s->viommu);
	s->open = false;
	s->ngroups_told = 0;
}
