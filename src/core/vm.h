/* vm.h - struct vm: everything one virtual machine owns hangs off it (no global state).
 * The core (kvm.c, vcpu.c, machine.c) owns this file; other subsystems keep a pointer here. */
#ifndef VFVM_VM_H
#define VFVM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "boot/boot.h"
#include "core/bus.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/sandbox.h"

#define VM_MAX_CPUS 64
#define VM_MAX_DEVICES 32
#define VM_MAX_DISKS 8
#define VM_MAX_FS 4
#define VM_MAX_NETS 4

struct pic;
struct ioapic;
struct pit;
struct rtc;
struct uart;
struct console;
struct vcpu;
struct pci_bus;
struct vfio_vm;
struct kvm_irq_routing;
struct machine;
struct kvm_cpuid2;
struct blk_image;
struct virtiofsd;
struct tap;
struct trace;
struct viommu;

#define VM_MAX_SLOTS 512

/* What the user asked for (filled by cli.c, consumed by machine.c). */
struct vm_config {
	struct boot_config boot;
	struct boot_module modules[16];
	uint64_t ram_size;
	unsigned ncpus;
	bool cpuid_compat;
	bool reboot;		/* restart the guest on reset instead of exiting */
	bool debug_exit;	/* isa-debug-exit at 0xF4 */
	bool acpi;		/* --acpi: ACPI tables and ECAM (docs/acpi.md) */
	bool stats;		/* print exit counters at exit */
	unsigned watchdog;	/* seconds without a vCPU exit before the dump; 0 = off */
	const char *test_fault;	/* --test-fault NAME (testing only, docs/testing.md) */
	unsigned shutdown_timeout;	/* SIGINT/SIGTERM: seconds the guest has after the power button */
	const char *serial;	/* NULL/"stdio": stdin/stdout; "file:PATH" */
	const char *devices[VM_MAX_DEVICES];	/* raw --device arguments, for pci/vfio */
	unsigned ndevices;
	const char *disks[VM_MAX_DISKS];	/* raw --disk arguments (src/virtio/blk.h) */
	unsigned ndisks;
	/* --share HOSTDIR[,tag=T] (dir set) and --vhost-user-fs SOCKET,tag=T (sock set). */
	struct { const char *dir, *sock; char tag[40]; } fs[VM_MAX_FS];
	unsigned nfs;
	const char *nets[VM_MAX_NETS];		/* raw --net arguments (src/net/tap.h) */
	unsigned nnets;
	enum sandbox_mode seccomp;	/* --seccomp (docs/security.md) */
	const char *user;		/* --user NAME: drop root before the guest runs */
	const char *trace;		/* --trace FILE ("-": stderr); NULL: off (docs/trace.md) */
	const char *trace_filter;	/* --trace-filter, checked by cli.c, parsed again here */
	bool viommu;		/* --viommu: a virtio-iommu in front of bus 0 (docs/viommu.md) */
	bool viommu_bypass;	/* --viommu=bypass=on: unattached endpoints reach all RAM */
};

/* Exit counters (--stats). Updated atomically from vCPU threads. */
struct vm_stats {
	atomic_uint_fast64_t exits_io, exits_mmio, exits_hlt, exits_irq_window, exits_eoi,
		exits_other, unclaimed_reads, unclaimed_writes;
	/* Exits that show guest progress (all but kicks, KVM_EXIT_INTR): the watchdog's clock. */
	atomic_uint_fast64_t progress;
};

struct vm {
	struct vm_config cfg;
	int kvm_fd, vm_fd;
	int vcpu_mmap_size;
	struct guest_mem mem;
	struct e820_table e820;
	struct boot_entry entry;

	pthread_mutex_t lock;		/* held around every device access */
	struct bus pio, mmio;
	struct vm_stats stats;

	struct vcpu *vcpus[VM_MAX_CPUS];
	unsigned ncpus;

	struct pic *pic;
	struct ioapic *ioapic;
	struct pit *pit;
	struct rtc *rtc;
	struct uart *uart[4];
	struct console *console;
	struct pci_bus *pci;		/* issue 4 */
	struct vfio_vm *vfio;		/* VFIO container and devices (src/vfio/vfio_vm.c) */
	struct sandbox *sandbox;	/* the threads' seccomp filters (sandbox.c) */
	struct trace *trace;		/* --trace writer, NULL when off (trace.c) */
	struct viommu *viommu;		/* --viommu: the device's table (src/virtio/iommu.c) */
	struct blk_image *disks[VM_MAX_DISKS];	/* --disk images, open and locked */
	struct virtiofsd *fsd[VM_MAX_FS];	/* --share daemons, started by machine.c */
	struct tap *taps[VM_MAX_NETS];		/* --net taps until their device owns them */
	int boot_fds[BOOT_KEEP_FDS];	/* kernel/initrd/modules kept open for --reboot */

	struct kvm_irq_routing *routes;	/* staged GSI routing table (kvm.c) */
	unsigned long gsi_used[4096 / (8 * sizeof(unsigned long))];

	atomic_int exit_requested;	/* set by reset/debug-exit/signals: vCPUs stop */
	atomic_int exit_status;
	atomic_int reset_requested;

	/* Core-private state (kvm.c, vcpu.c, machine.c). */
	struct machine *machine;	/* threads, timers, event fds (machine.c) */
	pthread_mutex_t kvm_lock;	/* guards routes, gsi_used, slot_used (kvm.c) */
	unsigned routes_cap;		/* entries allocated in *routes */
	unsigned max_gsi;		/* KVM_CAP_IRQ_ROUTING, capped at 4096 */
	unsigned long slot_used[VM_MAX_SLOTS / (8 * sizeof(unsigned long))];
	unsigned max_slots;		/* KVM_CAP_NR_MEMSLOTS, capped at VM_MAX_SLOTS */
	struct kvm_cpuid2 *cpuid;	/* KVM_GET_SUPPORTED_CPUID, fixed up per vCPU */
};

#endif
