/* vfio_pci_cfg.c - a passed-through function's config space as the guest sees it: which
 * bytes are read live from the device and which writes reach it (Command, Status, passed
 * capabilities, device-specific bytes; FLR kept from the guest), the capability list rebuilt
 * at the device's offsets, and the extended capabilities walked once by extcap.c's policy
 * (docs/passthrough.md). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "pci/pci_dev.h"
#include "vfio_pci_priv.h"

#define PCI_CAP_ID_PM		0x01
#define PCI_EXP_FLAGS		0x02	/* in the PCIe capability (PCIe base 4.0 §7.5.3) */
#define PCI_EXP_DEVCTL		0x08
#define PCI_EXP_DEVCTL_FLR	0x8000
#define PCI_EXP_LNKCAP		0x0c
#define PCI_EXP_LNKSTA_END	0x14
#define PCI_EXP_TYPE_ENDPOINT	0x0
#define PCI_EXP_TYPE_LEG_END	0x1
#define PCI_EXP_TYPE_RC_END	0x9

static const struct passcap *passcap_at(const struct vfio_pci *vp, unsigned off)
{
	for (int i = 0; i < vp->ncaps; i++)
		if (off >= vp->caps[i].off && off < vp->caps[i].off + vp->caps[i].size)
			return &vp->caps[i];
	return NULL;
}

/* Is byte @rel of a passed-through PCIe capability virtualised (kept in our copy)? */
static bool pcie_byte_virtual(const struct vfio_pci *vp, unsigned rel)
{
	/* Flags (device/port type), and for an RCiEP the link registers (§7.5.3: not
	 * implemented by root-complex integrated endpoints). */
	if (rel == PCI_EXP_FLAGS)
		return vp->rciep;
	return vp->rciep && rel >= PCI_EXP_LNKCAP && rel < PCI_EXP_LNKSTA_END;
}

/* Is byte @b in vfvm's own MSI or MSI-X capability (emulated, never the device's)? */
static bool in_msi_cap(const struct pci_dev *d, unsigned b)
{
	unsigned msi = (d->msi.is64 ? 14 : 10) + (d->msi.maskable ? 10 : 0);

	return (d->msi.cap && b >= d->msi.cap && b < d->msi.cap + msi) ||
	       (d->msix.cap && b >= d->msix.cap && b < d->msix.cap + 12);
}

/* A device-specific byte: above the header, in none of the capabilities vfvm shows. Such
 * bytes are the device's (tg3 at 0x68/0x78, Intel graphics at 0x5C/0xFC read them at fixed
 * offsets), read and written through as QEMU does. */
static bool dev_specific(const struct vfio_pci *vp, unsigned b)
{
	return b >= PCI_CAP_MIN && b < PCI_CFG_SIZE && !passcap_at(vp, b) &&
	       !in_msi_cap(vp->pd, b);
}

void vfio_pci_cfg_read(struct pci_dev *d, unsigned off, unsigned len, uint32_t *val)
{
	struct vfio_pci *vp = d->priv;
	uint32_t out = *val;

	for (unsigned i = 0; i < len; i++) {
		unsigned b = off + i;
		const struct passcap *pc = passcap_at(vp, b);
		uint32_t byte;

		if (b >= PCI_CFG_SIZE) {
			/* Extended space: the bodies of the capabilities passed read-only come
			 * live from the device; headers, virtualised registers and everything
			 * hidden are vfvm's copy (extcap_fill), zeros for a device without any. */
			if (!vp->has_ext || !extcap_live(&vp->ext, b))
				continue;
			byte = dev_cfg(vp, b, 1);
		} else if (b == PCI_STATUS) {
			/* Live from the device, but the capability-list bit is ours. */
			byte = (dev_cfg(vp, b, 1) & ~PCI_STS_CAP_LIST) |
			       (d->cfg[b] & PCI_STS_CAP_LIST);
		} else if (b == PCI_STATUS + 1 || dev_specific(vp, b)) {
			byte = dev_cfg(vp, b, 1);
		} else if (pc && b >= pc->off + 2 &&
			   !(pc->id == PCI_CAP_ID_EXP && pcie_byte_virtual(vp, b - pc->off))) {
			byte = dev_cfg(vp, pc->dev_off + (b - pc->off), 1);
		} else {
			continue;
		}
		out = (out & ~(0xffu << (8 * i))) | (byte << (8 * i));
		d->cfg_how = PCI_CFG_DEVICE;	/* at least one byte live from the device */
	}
	*val = out;
}

/* The Command bits the device itself must see (PCI 3.0 §6.2.2). */
#define CMD_FORWARD (PCI_CMD_IO | PCI_CMD_MEM | PCI_CMD_MASTER | PCI_CMD_PARITY | \
		     PCI_CMD_SERR | PCI_CMD_INTX_DISABLE)

void vfio_pci_cfg_write(struct pci_dev *d, unsigned off, unsigned len, uint32_t val)
{
	struct vfio_pci *vp = d->priv;

	/* Extended space: every write dropped (docs/passthrough.md 4a). */
	if (off >= PCI_CFG_SIZE)
		d->cfg_how = PCI_CFG_DROPPED;

	for (unsigned i = 0; i < len; i++) {
		unsigned b = off + i;
		uint8_t byte = val >> (8 * i);
		const struct passcap *pc = passcap_at(vp, b);

		/* Extended space (0x100-0xFFF): every capability shown there is read-only and the
		 * rest is hidden, so no guest write reaches the device (docs/passthrough.md 4a). */
		if (b >= PCI_CFG_SIZE)
			continue;
		if (b == PCI_COMMAND || b == PCI_COMMAND + 1) {
			uint16_t cmd = dev_cfg(vp, PCI_COMMAND, 2) & ~CMD_FORWARD;

			cmd |= pci_cfg_get(d, PCI_COMMAND, 2) & CMD_FORWARD;
			dev_cfg_write(vp, PCI_COMMAND, 2, cmd);
			d->cfg_how = PCI_CFG_DEVICE;
		} else if (b == PCI_STATUS || b == PCI_STATUS + 1) {
			/* Write-1-to-clear error bits go to the device; the rest are RO. */
			uint8_t w1c = b == PCI_STATUS ? (PCI_STS_W1C & 0xff) : (PCI_STS_W1C >> 8);

			if (byte & w1c) {
				dev_cfg_write(vp, b, 1, byte & w1c);
				d->cfg_how = PCI_CFG_DEVICE;
			}
		} else if (dev_specific(vp, b)) {
			/* Not the hidden Advanced Features capability: its Initiate FLR would
			 * reset the device behind vfvm's back (PCI AF ECN, offset 5 bit 0). */
			if (!vp->af_off || b < vp->af_off || b >= vp->af_off + 6) {
				dev_cfg_write(vp, b, 1, byte);
				d->cfg_how = PCI_CFG_DEVICE;
			}
		} else if (pc && b >= pc->off + 2) {
			unsigned rel = b - pc->off;

			if (pc->id == PCI_CAP_ID_EXP && pcie_byte_virtual(vp, rel))
				continue;
			/* A guest-initiated FLR would reset the device behind vfvm's back. */
			if (pc->id == PCI_CAP_ID_EXP && rel == PCI_EXP_DEVCTL + 1 &&
			    (byte & (PCI_EXP_DEVCTL_FLR >> 8))) {
				byte &= ~(PCI_EXP_DEVCTL_FLR >> 8);
				pci_trace(d, TRACE_RESET, "\"ev\":\"flr\",\"by\":\"guest\","
					  "\"result\":\"dropped\"");
			}
			dev_cfg_write(vp, pc->dev_off + rel, 1, byte);
			d->cfg_how = PCI_CFG_DEVICE;
		}
	}
}

/* Size of a capability we pass through, or 0 to hide it. */
static unsigned passcap_size(struct vfio_pci *vp, uint8_t id, unsigned dev_off)
{
	switch (id) {
	case PCI_CAP_ID_PM:
		return 8;
	case PCI_CAP_ID_EXP: {
		/* Version 2 capabilities have the second register set (§7.5.3); a version 1
		 * endpoint's may end at the end of config space (e1000e: at 0xE0). */
		unsigned n = (dev_cfg(vp, dev_off + PCI_EXP_FLAGS, 2) & 0xf) >= 2 ? 0x3c : 0x24;

		return dev_off + n > PCI_CFG_SIZE ? PCI_CFG_SIZE - dev_off : n;
	}
	case PCI_CAP_ID_VNDR: {
		unsigned n = dev_cfg(vp, dev_off + 2, 1);

		return n >= 3 ? n : 0;
	}
	}
	return 0;
}

static int setup_msi(struct vfio_pci *vp, unsigned dev_off)
{
	uint16_t ctrl = dev_cfg(vp, dev_off + 2, 2);
	unsigned nvec = 1u << ((ctrl >> 1) & 7);

	if (nvec > PCI_MSI_MAX)
		nvec = PCI_MSI_MAX;
	if (!vp->dev.irq_count[VFIO_PCI_MSI_IRQ_INDEX])
		return 0;	/* the host cannot do MSI for it: hide the capability */
	if (nvec > vp->dev.irq_count[VFIO_PCI_MSI_IRQ_INDEX])
		nvec = vp->dev.irq_count[VFIO_PCI_MSI_IRQ_INDEX];
	while (nvec & (nvec - 1))
		nvec &= nvec - 1;
	return pci_msi_init(vp->pd, nvec, ctrl & 0x80, ctrl & 0x100);
}

static int setup_msix(struct vfio_pci *vp, unsigned dev_off)
{
	uint16_t ctrl = dev_cfg(vp, dev_off + 2, 2);
	uint32_t table = dev_cfg(vp, dev_off + 4, 4), pba = dev_cfg(vp, dev_off + 8, 4);
	unsigned nvec = (ctrl & 0x7ff) + 1;

	if (!vp->dev.irq_count[VFIO_PCI_MSIX_IRQ_INDEX])
		return 0;
	if (nvec > vp->dev.irq_count[VFIO_PCI_MSIX_IRQ_INDEX])
		nvec = vp->dev.irq_count[VFIO_PCI_MSIX_IRQ_INDEX];
	return pci_msix_init(vp->pd, nvec, table & 7, table & ~7u, pba & 7, pba & ~7u);
}

/*
 * vfvm's bus is a conventional root bus with no root port above the device, so a PCIe
 * (legacy) endpoint is shown as a root-complex integrated endpoint, which has no link
 * registers (PCIe base 4.0 §7.5.3.2, §7.5.3.6); QEMU does the same on its root bus.
 */
static void setup_pcie(struct vfio_pci *vp, const struct passcap *pc)
{
	uint8_t *flags = &vp->pd->cfg[pc->off + PCI_EXP_FLAGS];
	unsigned type = *flags >> 4;

	if (type != PCI_EXP_TYPE_ENDPOINT && type != PCI_EXP_TYPE_LEG_END)
		return;
	*flags = (*flags & 0x0f) | (PCI_EXP_TYPE_RC_END << 4);
	memset(&vp->pd->cfg[pc->off + PCI_EXP_LNKCAP], 0, PCI_EXP_LNKSTA_END - PCI_EXP_LNKCAP);
	vp->rciep = true;
}

/* Where the capability after the one at @off starts in config space (by offset, not by list
 * order), or the end of config space: a capability we size by its version must not be taken
 * to cover its neighbour's bytes. */
static unsigned cap_limit(struct vfio_pci *vp, unsigned off)
{
	unsigned c = dev_cfg(vp, PCI_CAP_PTR, 1) & ~3u, lim = PCI_CFG_SIZE;

	for (int hops = 0; c >= PCI_CAP_MIN && c < PCI_CFG_SIZE && hops < 48; hops++) {
		if (c > off && c < lim)
			lim = c;
		c = dev_cfg(vp, c + 1, 1) & ~3u;
	}
	return lim;
}

/* Walk the device's capability list and rebuild it at the device's own offsets: MSI and MSI-X
 * emulated, PM, PCIe and vendor-specific passed through, everything else hidden by leaving it
 * out of the list only (docs/passthrough.md). */
int vfio_pci_caps_setup(struct vfio_pci *vp, struct err *err)
{
	unsigned off = dev_cfg(vp, PCI_CAP_PTR, 1) & ~3u;
	uint64_t seen = 0;
	int r = 0;

	if (!(dev_cfg(vp, PCI_STATUS, 2) & PCI_STS_CAP_LIST))
		return 0;
	/* A device's list that comes back to an offset has shown all it has: stop there (the
	 * copy keeps the device's offsets, so following the loop would make ours loop too). */
	while (off >= 0x40 && off < PCI_CFG_SIZE && !(seen >> (off / 4) & 1)) {
		uint8_t id = dev_cfg(vp, off, 1);
		unsigned next = dev_cfg(vp, off + 1, 1) & ~3u, size, ours;

		seen |= 1ull << (off / 4);

		pci_cap_place(vp->pd, off);
		if (id == PCI_CAP_ID_AF)
			vp->af_off = off;
		if (id == PCI_CAP_ID_MSI) {
			r = setup_msi(vp, off);
		} else if (id == PCI_CAP_ID_MSIX) {
			r = setup_msix(vp, off);
		} else if ((size = passcap_size(vp, id, off)) && vp->ncaps < MAX_PASSCAPS &&
			   off + size <= PCI_CFG_SIZE) {
			if (off + size > cap_limit(vp, off))
				size = cap_limit(vp, off) - off;
			ours = pci_cap_add(vp->pd, id, size);
			if (ours) {
				struct passcap *pc = &vp->caps[vp->ncaps++];

				pc->off = ours;
				pc->dev_off = off;
				pc->size = size;
				pc->id = id;
				for (unsigned i = 2; i < size; i++)
					vp->pd->cfg[ours + i] = dev_cfg(vp, off + i, 1);
				if (id == PCI_CAP_ID_EXP)
					setup_pcie(vp, pc);
			}
		}
		pci_cap_place(vp->pd, 0);
		if (r)
			return err_set(err, -r, "%s: cannot set up capability 0x%02x at 0x%02x: %s",
				       vp->dev.name, id, off, strerror(-r));
		off = next;
	}
	return 0;
}

/* The device's config dword at @off, for the extended capability walk (extcap.h). */
static int ext_read(void *ctx, unsigned off, uint32_t *val)
{
	struct vfio_pci *vp = ctx;

	return vfio_cfg_read(&vp->dev, off, val, 4);
}

/*
 * The extended capabilities (PCIe Base 5.0 §7.6) the guest sees through vfvm's ECAM: walked
 * from 0x100 once, here, by extcap.c's policy. Only for a PCI Express function whose VFIO
 * config region covers 4 KiB (as QEMU, which adds none to a conventional device): otherwise
 * 0x100-0xFFF read 0. A malformed chain is cut where it goes wrong, said once.
 */
void vfio_pci_extcaps_setup(struct vfio_pci *vp)
{
	uint64_t bar_size[PCI_NUM_BARS];
	bool express = false;

	for (int i = 0; i < vp->ncaps; i++)
		express |= vp->caps[i].id == PCI_CAP_ID_EXP;
	if (!express || vp->dev.regions[VFIO_PCI_CONFIG_REGION_INDEX].size < PCI_CFG_EXT_SIZE)
		return;
	for (int i = 0; i < PCI_NUM_BARS; i++)
		bar_size[i] = vp->pd->bars[i].size;
	extcap_walk(ext_read, vp, bar_size, &vp->ext);
	extcap_fill(&vp->ext, vp->pd->cfg);
	vp->has_ext = true;
	if (vp->ext.problems)
		fprintf(stderr, "vfvm: warning: %s: extended capabilities: %s%s; the guest sees "
			"%u of the %u walked\n", vp->dev.name, vp->ext.why,
			vp->ext.problems > 1 ? " (and more problems after it)" : "",
			vp->ext.nkept, vp->ext.nwalked);
}
