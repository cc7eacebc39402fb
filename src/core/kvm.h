/* kvm.h - thin wrappers over the KVM VM ioctls that the machine and its glue code use:
 * memory slots, the GSI routing table (shared by the I/O APIC and MSI/MSI-X), irqfd,
 * ioeventfd, MSI injection. Device models never include this; glue code adapts it. */
#ifndef VFVM_KVM_H
#define VFVM_KVM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "core/irq.h"

struct vm;
struct err;

/*
 * Open /dev/kvm, check the API, create the VM with the split irqchip (24 I/O APIC pins), the
 * TSS and identity-map pages, and an empty routing table. Fills vm->kvm_fd, vm->vm_fd.
 */
int kvm_vm_create(struct vm *vm, struct err *err);
/* Close the VM and /dev/kvm, free the routing table (safe after a failed create). */
void kvm_vm_destroy(struct vm *vm);

/* Map host memory @hva at guest-physical @gpa as a memory slot; returns the slot id (>= 0). */
int kvm_slot_map(struct vm *vm, uint64_t gpa, uint64_t size, void *hva, bool readonly);
/* Remove a slot made by kvm_slot_map(). */
int kvm_slot_unmap(struct vm *vm, int slot);

/*
 * GSI routing: GSIs 0-23 are the I/O APIC's pins (MSI routes, KVM split irqchip), GSIs from 24
 * up are handed out for MSI/MSI-X vectors and reused after kvm_route_free().
 * Changes are staged and reach KVM on kvm_route_commit() (one KVM_SET_GSI_ROUTING).
 */
int kvm_route_set(struct vm *vm, unsigned gsi, const struct msi_msg *msg);
int kvm_route_clear(struct vm *vm, unsigned gsi);
int kvm_route_alloc(struct vm *vm, const struct msi_msg *msg);	/* returns the GSI */
void kvm_route_free(struct vm *vm, unsigned gsi);
int kvm_route_commit(struct vm *vm);
/* The state dump: every GSI route as staged (the MSI users commit each change at once). */
void kvm_routes_dump(struct vm *vm, FILE *f);

/* KVM_IRQ_LINE on @gsi (for MSI routes: level 1 sends the message). */
int kvm_irq_line(struct vm *vm, unsigned gsi, int level);
/* KVM_IRQFD: bind (or with @deassign, unbind) eventfd @fd to @gsi; @resample_fd < 0 for none. */
int kvm_irqfd(struct vm *vm, int fd, unsigned gsi, int resample_fd, bool deassign);
/* KVM_IOEVENTFD on port I/O (@pio) or MMIO; @datamatch < 0 matches any value. */
int kvm_ioeventfd(struct vm *vm, int fd, uint64_t addr, unsigned len, bool pio,
		  int64_t datamatch, bool deassign);
/* KVM_SIGNAL_MSI. */
int kvm_signal_msi(struct vm *vm, const struct msi_msg *msg);

#endif
