/* vfio_pci.h - a host PCI device passed through with VFIO, as a function on vfvm's PCI bus:
 * virtualised config space, BARs as memory slots (MSI-X pages trapped), MSI/MSI-X through
 * irqfd, INTx through eventfds and the I/O APIC, reset and teardown. */
#ifndef VFVM_VFIO_PCI_H
#define VFVM_VFIO_PCI_H

#include <stdbool.h>
#include <stdio.h>
#include "core/err.h"
#include "core/mem.h"
#include "device.h"
#include "vfio.h"

struct pci_bus;
struct pci_dev;

#define VFIO_MAX_DEVICES 16

/* --device vfio,host=BDF[,rombar=0|1][,romfile=PATH][,addr=SLOT] */
struct vfio_pci_opts {
	struct pci_bdf host;
	bool rombar;
	const char *romfile;
	int slot;		/* -1: first free */
};

struct vfio_pci;
struct vfio_viommu;

/* Per-VM VFIO state: one container for every assigned device, or with --viommu one per
 * IOMMU group, mapped as the guest asks (vfio_viommu.c). */
struct vfio_state {
	struct vfio_host host;
	const struct vfio_sys *sys;
	struct vfio_container container;	/* unused with viommu */
	struct vfio_viommu *viommu;		/* --viommu: the groups' containers; else NULL */
	bool open;
	struct pci_bdf passed[VFIO_MAX_DEVICES];	/* every host= of the command line */
	int npassed;
	struct vfio_pci *devs[VFIO_MAX_DEVICES];
	int ndevs;
	int groups_told[VFIO_MAX_GROUPS];		/* group fds given to KVM-VFIO */
	int ngroups_told;
	/* The KVM-VFIO device (KVM_DEV_VFIO_GROUP_ADD); NULL in tests. */
	int (*kvm_group_add)(void *opaque, int group_fd);
	void *kvm_opaque;
	uint64_t ram_size;
	/* --stats' reset line of each device already destroyed (vfio_state_print_resets). */
	char reset_note[VFIO_MAX_DEVICES][128];
	/* Eventfds the devices' MSI/MSI-X vectors may hold at once (2 per vector): fd_budget. */
	unsigned irq_fds;
	/* --stats: how long DMA-mapping guest RAM took, and interrupts that needed a vfvm
	 * thread (INTx, and MSI/MSI-X vectors that fired while masked or without a route). */
	uint64_t dma_map_ns;
	uint64_t user_irqs;
};

/* Parse the option string after "vfio,"; err_input on anything malformed. */
int vfio_pci_parse(char *opts, struct vfio_pci_opts *o, struct err *err);

/* Register the host= of every device up front so group viability sees all of them. */
int vfio_state_add_passed(struct vfio_state *s, const struct pci_bdf *b, struct err *err);

/*
 * Open the device (container and group on first use), build its virtual function and attach
 * it to @bus. BARs are placed by the caller (pci_dev_place_bars). Returns the function.
 */
struct pci_dev *vfio_pci_create(struct vfio_state *s, struct pci_bus *bus,
				const struct vfio_pci_opts *o, struct err *err);
/*
 * vfvm's initial placement of the function's BARs, and the power-on state a guest reset
 * returns to. -ENOSPC with err_input naming the largest BAR if they do not fit the windows.
 */
int vfio_pci_place(struct pci_dev *pd, struct err *err);
/* DMA-map guest RAM for the container (after every device is created); with viommu nothing
 * is mapped until the guest maps it. */
int vfio_state_map_ram(struct vfio_state *s, const struct guest_mem *mem, struct err *err);
/* Quiesce every device (bus master off, interrupts off), unmap, close (the viommu's
 * containers too). Idempotent. */
void vfio_state_close(struct vfio_state *s);

/* How many VFIO_DEVICE_RESETs of @pd succeeded (start-up and guest resets); 0 when the host
 * has no reset method for it (vfvm then warned once and only quiesced it). */
int vfio_pci_resets(const struct pci_dev *pd);
/* --stats: per device, the resets done and the host's reset methods (FLR, PM, bus, ...). */
void vfio_state_print_resets(const struct vfio_state *s, FILE *out);

#endif
