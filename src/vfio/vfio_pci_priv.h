/* vfio_pci_priv.h - what vfio_pci.c, vfio_pci_cfg.c and vfio_pci_bar.c share (the interrupts,
 * vfio_pci_irq.c, see only their own struct): struct vfio_pci, the device's config space as the
 * files read and write it, and the entry points of the config virtualisation (vfio_pci_cfg.c)
 * and of the BARs and ROM (vfio_pci_bar.c) that the life cycle (vfio_pci.c) calls. Calls point
 * one way: vfio_pci.c -> vfio_pci_cfg.c, vfio_pci_bar.c. */
#ifndef VFVM_VFIO_PCI_PRIV_H
#define VFVM_VFIO_PCI_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include "core/err.h"
#include "device.h"
#include "extcap.h"
#include "vfio_pci.h"
#include "vfio_pci_irq.h"

struct pci_dev;

#define MAX_AREAS		8
#define MAX_PASSCAPS		8

/* A capability of the device shown to the guest at another offset, read and written live. */
struct passcap {
	unsigned off, dev_off, size;
	uint8_t id;
};

/* The mmap'ed parts of a BAR, handed to the PCI layer as RAM parts (pci_bar_add_ram). */
struct vbar {
	void *map[MAX_AREAS];
	struct vfio_area areas[MAX_AREAS];
	int nareas;
};

struct vfio_pci {
	struct vfio_state *state;
	struct vfio_device dev;
	struct pci_dev *pd;
	struct vbar bars[PCI_NUM_BARS];
	struct passcap caps[MAX_PASSCAPS];
	int ncaps;
	bool rciep;		/* PCIe endpoint shown as a root-complex integrated endpoint */
	unsigned af_off;	/* the hidden Advanced Features capability, 0 if none */
	bool has_ext;		/* extended config space walked (a PCIe device, 4 KiB region) */
	struct extcap_layout ext;	/* what the guest sees at 0x100-0xFFF (extcap.c) */
	bool reset_warned;	/* "no reset method" said once */
	char reset_how[32];	/* host's reset_method, e.g. "flr,bus" (host_dev_reset_method) */
	int resets_done;	/* VFIO_DEVICE_RESETs that succeeded (vfio_pci_resets) */
	int last_reset;		/* what the last VFIO_DEVICE_RESET returned, for the trace */
	const char *quirk;	/* the quiesce quirk run after each reset (quirk.c), or NULL */
	int quirk_result;	/* what it returned last */
	uint8_t *rom;
	struct vfio_pci_irq irq;	/* INTx, MSI, MSI-X (vfio_pci_irq.c) */
};

/* The device's own config space, all-ones when VFIO refuses the read. */
static inline uint32_t dev_cfg(struct vfio_pci *vp, unsigned off, unsigned len)
{
	uint32_t v = 0;

	if (vfio_cfg_read(&vp->dev, off, &v, len))
		return 0xffffffffu >> (32 - 8 * len);
	return v;
}

static inline void dev_cfg_write(struct vfio_pci *vp, unsigned off, unsigned len, uint32_t v)
{
	vfio_cfg_write(&vp->dev, off, &v, len);
}

/* vfio_pci_cfg.c: pci_dev_ops.cfg_read/cfg_write (what the guest reads live, what reaches the
 * device), the capability list rebuilt from the device's (MSI/MSI-X emulated, PM, PCIe and
 * vendor-specific passed through), the extended capabilities walked once (extcap.c). */
void vfio_pci_cfg_read(struct pci_dev *d, unsigned off, unsigned len, uint32_t *val);
void vfio_pci_cfg_write(struct pci_dev *d, unsigned off, unsigned len, uint32_t val);
int vfio_pci_caps_setup(struct vfio_pci *vp, struct err *err);
void vfio_pci_extcaps_setup(struct vfio_pci *vp);

/* vfio_pci_bar.c: pci_dev_ops.bar_access (the trapped part of a BAR), the BARs emulated at the
 * device's sizes, the mmap-able areas laid over as memory slots (MSI-X table and PBA left
 * trapped), the expansion ROM, and the areas unmapped again at teardown. */
void vfio_pci_bar_access(struct pci_dev *d, int bar, uint64_t off, void *data, unsigned len,
			 bool is_write);
int vfio_pci_bars_setup(struct vfio_pci *vp, struct err *err);
int vfio_pci_bar_maps_setup(struct vfio_pci *vp);
int vfio_pci_rom_setup(struct vfio_pci *vp, const struct vfio_pci_opts *o, struct err *err);
void vfio_pci_bar_unmap(struct vfio_pci *vp);

#endif
