/* pci_dev.h - the PCI device model inside vfvm: one bus (bus 0), functions with a 4 KiB config
 * space and per-byte write masks, BARs, capabilities, INTx, MSI/MSI-X. No KVM in here: the host
 * side (bus registration, memory slots, GSI routes, irqfd, ioeventfd) is struct pci_host_ops. */
#ifndef VFVM_PCI_DEV_H
#define VFVM_PCI_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <pthread.h>
#include "core/bus.h"
#include "core/irq.h"
#include "core/trace.h"

/* Type 0 configuration header offsets (PCI Local Bus 3.0 §6.1). */
#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_REVISION		0x08
#define PCI_CLASS_PROG		0x09
#define PCI_CLASS_DEVICE	0x0a
#define PCI_CACHE_LINE		0x0c
#define PCI_LATENCY		0x0d
#define PCI_HEADER_TYPE		0x0e
#define PCI_BAR0		0x10
#define PCI_SUBSYS_VENDOR	0x2c
#define PCI_SUBSYS_ID		0x2e
#define PCI_ROM			0x30
#define PCI_CAP_PTR		0x34
#define PCI_CAP_MIN		0x40	/* first byte after the type 0 header */
#define PCI_INT_LINE		0x3c
#define PCI_INT_PIN		0x3d

#define PCI_CMD_IO		0x0001
#define PCI_CMD_MEM		0x0002
#define PCI_CMD_MASTER		0x0004
#define PCI_CMD_PARITY		0x0040
#define PCI_CMD_SERR		0x0100
#define PCI_CMD_INTX_DISABLE	0x0400

#define PCI_STS_INTX		0x0008
#define PCI_STS_CAP_LIST	0x0010
#define PCI_STS_W1C		0xf900	/* bits 8, 11-15: error bits, write 1 to clear (§6.2.3) */

#define PCI_HDR_MULTIFUNC	0x80

#define PCI_BAR_IO		0x1
#define PCI_BAR_MEM64		0x4
#define PCI_BAR_PREFETCH	0x8
#define PCI_ROM_ENABLE		0x1

#define PCI_CAP_ID_MSI		0x05
#define PCI_CAP_ID_VNDR		0x09
#define PCI_CAP_ID_AF		0x13	/* Advanced Features (PCI AF ECN): hidden */
#define PCI_CAP_ID_EXP		0x10
#define PCI_CAP_ID_MSIX		0x11

#define PCI_CFG_SIZE		256	/* conventional PCI */
#define PCI_CFG_EXT_SIZE	4096	/* PCIe extended, reachable through ECAM later */
#define PCI_NUM_BARS		6
#define PCI_ROM_BAR		6	/* index of the expansion ROM in pci_dev.bars[] */
#define PCI_SLOTS		32
#define PCI_FUNCS		8
#define PCI_INTX_PIN_BASE	16	/* I/O APIC pins 16-23 carry PCI INTx */
#define PCI_INTX_PINS		8
#define PCI_MSIX_MAX		2048	/* Table Size is 11 bits (§6.8.2.3) */
#define PCI_MSI_MAX		32

#define PCI_BDF(bus, dev, fn)	(((bus) << 8) | ((dev) << 3) | (fn))

struct pci_dev;
struct pci_bus;
struct iommu_dma;

/*
 * What the model needs from the machine. Every member may be NULL in unit tests except the
 * ones a test exercises. Return values are 0 / negative errno unless noted.
 */
struct pci_bar;

struct pci_host_ops {
	/* Trapped BAR: dispatch accesses to [base, base+len) on the port-I/O or MMIO bus. */
	int (*map_io)(void *opaque, bool mmio, uint64_t base, uint64_t len, bus_io_fn fn,
		      void *arg, const char *name);
	void (*unmap_io)(void *opaque, bool mmio, uint64_t base);
	/* RAM-backed BAR: a memory slot; returns a slot handle >= 0. */
	int (*map_ram)(void *opaque, uint64_t gpa, uint64_t size, void *hva);
	void (*unmap_ram)(void *opaque, int slot);
	/* Is [gpa, gpa+len) free of RAM, the APICs and other non-PCI MMIO? */
	bool (*mem_free)(void *opaque, uint64_t gpa, uint64_t len);
	/* Drive I/O APIC pin @pin (16-23) to @level. */
	void (*intx_set)(void *opaque, unsigned pin, int level);
	/* MSI routes: alloc returns a GSI >= 24 (or negative errno). Commit pushes staged changes. */
	int (*route_alloc)(void *opaque, const struct msi_msg *msg);
	int (*route_set)(void *opaque, unsigned gsi, const struct msi_msg *msg);
	void (*route_free)(void *opaque, unsigned gsi);
	int (*route_commit)(void *opaque);
	int (*irqfd)(void *opaque, int fd, unsigned gsi, bool deassign);
	/* Deliver an MSI without an irqfd (fallback). */
	int (*signal_msi)(void *opaque, const struct msi_msg *msg);
	/* Doorbells: KVM ioeventfd. @datamatch < 0: any value. */
	int (*ioeventfd)(void *opaque, int fd, uint64_t addr, unsigned len, bool pio,
			 int64_t datamatch, bool deassign);
	/* Bus-master DMA into/out of guest RAM; -EFAULT if not entirely RAM. */
	int (*dma_read)(void *opaque, uint64_t gpa, void *buf, uint64_t len);
	int (*dma_write)(void *opaque, uint64_t gpa, const void *buf, uint64_t len);
	/* Watch @fd (an ioeventfd) from the device thread; cb runs under the VM lock. */
	int (*watch_fd)(void *opaque, int fd, void (*cb)(void *arg, uint64_t count), void *arg);
	void (*unwatch_fd)(void *opaque, int fd);
	/* Watch @fd, not an eventfd (a tap), for input: nothing is read for cb, which runs under
	 * the VM lock on the device thread as long as @fd is readable. unwatch_fd ends it. */
	int (*watch_input)(void *opaque, int fd, void (*cb)(void *arg, uint64_t count), void *arg);
	/* Exits to vfvm so far (MMIO or port I/O), for the test device's exit counters. */
	uint64_t (*exit_count)(void *opaque, bool mmio);
	/* A decoding BAR at @addr could not be mapped (map_io/map_ram said @err < 0): it stays
	 * off until moved or re-enabled. Called once per such attempt, for the host to say so. */
	void (*bar_failed)(void *opaque, const struct pci_bar *bar, uint64_t addr, int err);
	void *opaque;
};

/* What the device behind a function provides. All optional. */
struct pci_dev_ops {
	/* After the generic config read of [off, off+len): may replace *val. */
	void (*cfg_read)(struct pci_dev *d, unsigned off, unsigned len, uint32_t *val);
	/* After the generic config write has been applied. */
	void (*cfg_write)(struct pci_dev *d, unsigned off, unsigned len, uint32_t val);
	/* Access to a trapped BAR (offset relative to the BAR). */
	void (*bar_access)(struct pci_dev *d, int bar, uint64_t off, void *data, unsigned len,
			   bool is_write);
	/*
	 * MSI or MSI-X state changed (enable, vector count, routes, masks): for devices whose
	 * interrupts come from elsewhere (VFIO), to re-bind their sources to the vectors' eventfds
	 * (pci_msix_vec.efd) and honour masks. Called after the routes were committed.
	 */
	void (*irq_changed)(struct pci_dev *d);
	/*
	 * The guest EOI'd the level-triggered I/O APIC pin this function's INTx is routed to
	 * (for devices whose INTx comes from elsewhere: VFIO lowers and unmasks the host line).
	 */
	void (*intx_eoi)(struct pci_dev *d);
	/* Power-on state for device-private registers (config space is restored generically). */
	void (*reset)(struct pci_dev *d);
	/* Free device-private state. */
	void (*destroy)(struct pci_dev *d);
};

#define PCI_BAR_MAX_RAM 8

/* A RAM-backed part of an otherwise trapped BAR (e.g. VFIO's mmap-able areas). */
struct pci_bar_ram {
	uint64_t off, size;
	void *hva;
	int slot;
};

struct pci_bar {
	struct pci_dev *dev;
	int index;
	uint64_t size;		/* 0: BAR not implemented */
	uint8_t flags;		/* PCI_BAR_IO / PCI_BAR_MEM64 / PCI_BAR_PREFETCH as in the register */
	void *ram;		/* non-NULL: RAM-backed (memory slot, no exits) */
	const uint8_t *rom;	/* expansion ROM contents (bars[PCI_ROM_BAR] only) */
	bool mapped;
	uint64_t mapped_addr;
	int slot;
	struct pci_bar_ram sub[PCI_BAR_MAX_RAM];	/* trapped BARs: RAM-backed parts */
	unsigned nsub;
};

struct pci_msix_vec {
	int gsi;		/* -1: no route */
	int efd;		/* eventfd bound to gsi with irqfd, -1 if none */
	struct msi_msg msg;	/* what the route carries now */
};

struct pci_msix {
	unsigned cap;		/* config offset of the capability, 0 if none */
	unsigned nvec;
	int table_bar, pba_bar;
	uint32_t table_off, pba_off;
	uint8_t *table;		/* nvec * 16 bytes */
	uint64_t *pba;		/* nvec bits */
	struct pci_msix_vec *vec;
	bool active;		/* routes allocated (MSI-X Enable set) */
};

struct pci_msi {
	unsigned cap;		/* config offset, 0 if none */
	unsigned nvec_max;	/* Multiple Message Capable, as a count */
	bool is64, maskable;
	unsigned nactive;	/* vectors with routes (MSI Enable set) */
	struct pci_msix_vec vec[PCI_MSI_MAX];
	uint32_t pending;
};

struct pci_doorbell {
	struct pci_dev *dev;
	int bar;
	uint64_t off;
	unsigned len;
	int64_t datamatch;
	int efd;
	bool assigned;
	uint64_t assigned_addr;
	bool watched;			/* the device thread reads efd (not while handed over) */
	void (*ring)(struct pci_dev *d, uint64_t count);
};

#define PCI_MAX_DOORBELLS 4

/*
 * The parts of a function built on the config-space core (config.c): BARs (bar.c), MSI/MSI-X
 * (msi.c), doorbells (doorbell.c). config.c and bar.c reach the parts only through these hooks,
 * never by name, so calls between the four files point one way: msi.c and doorbell.c call
 * bar.c and config.c, bar.c calls config.c, config.c calls none of them. A part registers its
 * table with a function when the function first uses it (pci_part_add); hooks run in the order
 * of enum pci_part_id. Every member may be NULL.
 */
enum pci_part_id { PCI_PART_MSI, PCI_PART_BAR, PCI_PART_DOORBELL, PCI_PARTS };

struct pci_part {
	/* config.c: after the generic write of [off, off+len); Command held @old_cmd before. */
	void (*cfg_written)(struct pci_dev *d, unsigned off, unsigned len, uint16_t old_cmd);
	/* config.c: does the part keep the function's INTx deasserted (MSI(-X) Enable, §6.8)? */
	bool (*intx_off)(const struct pci_dev *d);
	/* config.c: power-on state, before config space is restored (pci_dev_reset). */
	void (*reset)(struct pci_dev *d);
	/* config.c: every function on @b was reset (pci_bus_reset); once per part on the bus. */
	void (*bus_reset)(struct pci_bus *b);
	/* config.c: release and free what the part holds (pci_bus_destroy). */
	void (*destroy)(struct pci_dev *d);
	/* bar.c: an access to trapped BAR @bar at @off; true if the part handled it. */
	bool (*bar_access)(struct pci_dev *d, int bar, uint64_t off, void *data, unsigned len,
			   bool is_write);
	/* bar.c: must [off, off+len) of BAR @bar keep trapping (no RAM-backed part over it)? */
	bool (*bar_traps)(const struct pci_dev *d, int bar, uint64_t off, uint64_t len);
	/* bar.c: @d's BARs were mapped, moved or unmapped. */
	void (*bars_moved)(struct pci_dev *d);
};

struct pci_dev {
	struct pci_bus *bus;
	unsigned slot, fn;
	char name[32];
	uint8_t cfg[PCI_CFG_EXT_SIZE];
	uint8_t wmask[PCI_CFG_EXT_SIZE];	/* 1 bits: guest-writable */
	uint8_t w1c[PCI_CFG_EXT_SIZE];		/* 1 bits: write 1 to clear */
	uint8_t cfg_init[PCI_CFG_SIZE];		/* power-on config (pci_dev_reset) */
	unsigned cap_next;			/* next free capability offset */
	unsigned cap_last;			/* offset of the last capability, 0 if none */
	unsigned cap_at;			/* pci_cap_place(): where the next one goes */
	uint64_t cap_dwords;			/* config dwords capabilities occupy, bit per dword */
	struct pci_bar bars[PCI_NUM_BARS + 1];	/* + expansion ROM */
	bool intx_level;			/* device's INTx output before INTx Disable */
	bool intx_asserted;			/* what is counted on the pin */
	unsigned intx_apic_pin;			/* which pin (0-7 from 16) it is counted on */
	struct pci_msi msi;
	struct pci_msix msix;
	struct pci_doorbell doorbells[PCI_MAX_DOORBELLS];
	unsigned ndoorbells;
	uint64_t msi_dropped;			/* interrupts lost (bus master off, no route) */
	const struct pci_part *parts[PCI_PARTS];	/* pci_part_add() */
	int32_t host_bdf;			/* passed through: its host address; else -1 */
	uint8_t cfg_how;			/* enum pci_cfg_how of the access in progress */
	const struct pci_dev_ops *ops;
	void *priv;
};

struct pci_bus {
	struct pci_host_ops ops;
	struct pci_dev *devs[PCI_SLOTS][PCI_FUNCS];
	unsigned intx_count[PCI_INTX_PINS];	/* asserted sources per pin (wired-OR) */
	uint32_t cf8;				/* configuration address latch */
	uint64_t io_next, io_end;		/* initial placement cursors */
	uint64_t mem32_next, mem32_end;
	uint64_t mem64_next, mem64_end;
	uint64_t addr_limit;			/* memory BARs above this stay inactive */
	const struct pci_part *parts[PCI_PARTS];	/* every part some function on the bus has */
	bool ecam_warned;			/* an undefined ECAM access was logged */
	struct trace *trace;			/* --trace, NULL when off (docs/trace.md) */
	/* --viommu: the DMA translation emulated devices created from now on go through
	 * (src/virtio/iommu_req.c); NULL: none, IOVA = GPA. */
	const struct iommu_dma *dma;
};

/* What became of a config access, for the trace's "how" (a device's cfg hooks set it). */
enum pci_cfg_how { PCI_CFG_EMULATED, PCI_CFG_DEVICE, PCI_CFG_READONLY, PCI_CFG_DROPPED };

/* A trace event of function @d, which is on a bus (docs/trace.md): off, this costs one
 * branch on a pointer. */
#define pci_trace(d, kind, ...) do {						\
	struct trace *trace_ = (d)->bus->trace;						\
	if (trace_unlikely(trace_))							\
		trace_emit(trace_, kind, PCI_BDF(0, (d)->slot, (d)->fn), (d)->host_bdf,	\
			   __VA_ARGS__);						\
} while (0)

/* --- ecam.c: PCI Express ECAM (PCI Express Base 5.0 §7.2.2) --- */
#define PCI_ECAM_MAX	(256ULL << 20)	/* 256 buses of 1 MiB */
/* Window offset -> bdf and register; false unless a naturally aligned 1, 2 or 4 bytes. */
bool pci_ecam_decode(uint64_t off, unsigned len, unsigned *bdf, unsigned *reg);
/* The MMIO bus handler of the window (opaque: the pci_bus); undefined accesses read
 * all-ones and drop writes, the first one logged. */
void pci_ecam_io(void *opaque, uint64_t off, void *data, unsigned len, bool is_write);

/* --- config.c: the bus, functions and config space --- */
void pci_bus_init(struct pci_bus *b, const struct pci_host_ops *ops, uint64_t mem64_start);
/* The guest's physical address width (CPUID 0x80000008 EAX[7:0]): the 64-bit window and the
 * decode limit then reach up to 2^@bits, so BARs as large as the guest can address fit. */
void pci_bus_set_phys_bits(struct pci_bus *b, unsigned bits);
/* Frees every function (calls ops->destroy), unmapping BARs and freeing routes. */
void pci_bus_destroy(struct pci_bus *b);
/* Allocate a function with zeroed config and the default type 0 masks. Not yet on the bus. */
struct pci_dev *pci_dev_new(uint16_t vendor, uint16_t device, uint32_t class_rev,
			    const struct pci_dev_ops *ops, void *priv);
/* Give @d part @id (idempotent): its hooks run from now on (struct pci_part). */
void pci_part_add(struct pci_dev *d, enum pci_part_id id, const struct pci_part *p);
/* Put @d on @b at slot/fn; -EEXIST if taken, -EINVAL if out of range. */
int pci_dev_attach(struct pci_bus *b, struct pci_dev *d, unsigned slot, unsigned fn);
/* First free slot >= 1, or -ENOSPC. */
int pci_bus_free_slot(const struct pci_bus *b);
/* The function at bdf, honouring the multi-function bit of function 0; NULL if absent. */
struct pci_dev *pci_bus_lookup(const struct pci_bus *b, unsigned bdf);
/*
 * One configuration access, independent of the mechanism (CF8/CFC now, ECAM later).
 * @len 1, 2 or 4 and [off, off+len) inside one dword of the 4 KiB space. Absent functions
 * and invalid accesses read all-ones; writes to them are dropped. Returns false if dropped.
 */
bool pci_config_access(struct pci_bus *b, unsigned bdf, unsigned off, uint32_t *data,
		       unsigned len, bool is_write);
/* Capability list: adds a capability of @size bytes with id @id, returns its offset (or 0). */
unsigned pci_cap_add(struct pci_dev *d, uint8_t id, unsigned size);
/* Make the next capability added (by pci_cap_add, pci_msi_init, pci_msix_init) go at @off, a
 * dword-aligned offset >= 0x40, instead of after the last: passthrough keeps a device's
 * capabilities where the device has them, since some drivers use fixed offsets. */
void pci_cap_place(struct pci_dev *d, unsigned off);
/* A vendor-specific capability carrying @len read-only bytes of @data; returns its offset. */
unsigned pci_cap_add_vendor(struct pci_dev *d, const void *data, unsigned len);
/* Walk the list: offset of the first capability with @id, 0 if none. Bounded against loops. */
unsigned pci_cap_find(const struct pci_dev *d, uint8_t id);
/* Config helpers (little-endian, no masks). */
uint32_t pci_cfg_get(const struct pci_dev *d, unsigned off, unsigned len);
void pci_cfg_set(struct pci_dev *d, unsigned off, unsigned len, uint32_t v);
void pci_wmask_set(struct pci_dev *d, unsigned off, unsigned len, uint32_t v);
void pci_w1c_set(struct pci_dev *d, unsigned off, unsigned len, uint32_t v);
/* Snapshot the current config as the power-on state (call after building the device). */
void pci_dev_seal(struct pci_dev *d);
/* Power-on: MSI/MSI-X off, BARs unmapped, INTx deasserted, config restored, ops->reset. */
void pci_dev_reset(struct pci_dev *d);
void pci_bus_reset(struct pci_bus *b);
/* INTx: interrupt pin (1 = INTA#), and the level of the device's INTx output. */
void pci_intx_pin_set(struct pci_dev *d, unsigned intx);
void pci_intx_set(struct pci_dev *d, bool level);
/* The I/O APIC pin for @slot's INTx pin @intx (0 = INTA#): the swizzle. */
unsigned pci_intx_route(unsigned slot, unsigned intx);
/* The guest EOI'd I/O APIC pin @apic_pin: tell every function whose INTx is routed there. */
void pci_bus_intx_eoi(struct pci_bus *b, unsigned apic_pin);

/* --- bar.c: BARs, placement and (re)mapping --- */
/*
 * Declare BAR @i: @flags PCI_BAR_IO or memory flags (PCI_BAR_MEM64 uses i and i+1),
 * @size a power of two (I/O 4 B - 16 KiB, memory >= 16 B, 32-bit <= 2 GiB), @ram non-NULL
 * for a RAM-backed memory BAR (>= 4 KiB). -EINVAL for a bad index/size/combination, -EEXIST
 * if the register(s) are already in use.
 */
int pci_bar_init(struct pci_dev *d, int i, uint8_t flags, uint64_t size, void *ram);
/*
 * Back [off, off+size) of trapped memory BAR @i with host memory @hva (a memory slot: no exits
 * there, the rest of the BAR still trapped). Page-aligned, inside the BAR, not overlapping
 * another part, the MSI-X table/PBA or a doorbell. -EINVAL otherwise, -ENOSPC when full.
 */
int pci_bar_add_ram(struct pci_dev *d, int i, uint64_t off, uint64_t size, void *hva);
/* Does [off, off+len) of BAR @i hit one of its RAM-backed parts? */
bool pci_bar_ram_overlaps(const struct pci_dev *d, int i, uint64_t off, uint64_t len);
/* Expansion ROM of @size (power of two >= 2 KiB) showing @data (not copied; must outlive @d). */
int pci_rom_init(struct pci_dev *d, uint64_t size, const uint8_t *data);
/* vfvm's initial placement of every BAR of @d from the bus windows (Command bits stay off). */
int pci_dev_place_bars(struct pci_dev *d);
/* The address the guest programmed into BAR @i (type bits stripped). */
uint64_t pci_bar_addr(const struct pci_dev *d, int i);
/* Recompute what every BAR on the bus should decode and (un)map the difference. */
void pci_bus_remap(struct pci_bus *b);
/* A guest access to a trapped BAR, as the bus delivers it (ROM, the parts' regions such as the
 * MSI-X structures, then the device). */
void pci_bar_io(struct pci_bar *bar, uint64_t off, void *data, unsigned len, bool is_write);

/* --- msi.c: MSI and MSI-X --- */
/* MSI capability with @nvec vectors (1, 2, 4 ... 32), 64-bit address, per-vector masking. */
int pci_msi_init(struct pci_dev *d, unsigned nvec, bool is64, bool maskable);
/* MSI-X capability: @nvec (1..2048) vectors, table and PBA inside BARs (already declared). */
int pci_msix_init(struct pci_dev *d, unsigned nvec, int table_bar, uint32_t table_off,
		  int pba_bar, uint32_t pba_off);
/* A BAR access inside the MSI-X table or PBA? Then handle it and return true. */
bool pci_msix_bar_access(struct pci_dev *d, int bar, uint64_t off, void *data, unsigned len,
			 bool is_write);
/* Is MSI or MSI-X enabled (then INTx is not used, §6.8)? */
bool pci_msi_enabled(const struct pci_dev *d);
/* Fire vector @n: MSI-X if enabled, else MSI; masked vectors set their pending bit. */
int pci_msi_notify(struct pci_dev *d, unsigned n);
/* Free the MSI-X table and PBA (a function that never reached the bus; idempotent). */
void pci_msi_destroy(struct pci_dev *d);
/* The message of MSI-X / MSI vector @n (as programmed). */
struct msi_msg pci_msix_msg(const struct pci_dev *d, unsigned n);
struct msi_msg pci_msi_msg(const struct pci_dev *d, unsigned n);
bool pci_msix_pending(const struct pci_dev *d, unsigned n);
/* Is MSI-X vector @n masked (function mask or its Vector Control mask bit)? */
bool pci_msix_vec_masked(const struct pci_dev *d, unsigned n);
/* Is MSI vector @n masked (per-vector masking capability)? */
bool pci_msi_vec_masked(const struct pci_dev *d, unsigned n);
/*
 * The state dump (--watchdog, SIGUSR1), a line per MSI/MSI-X vector that is unmasked, routed
 * or pending: the message the guest programmed, what its GSI route carries, and a warning
 * for a message KVM would deliver as something else than a fixed interrupt above 31.
 */
void pci_msi_dump(const struct pci_dev *d, FILE *f);
/* What is wrong with MSI message @m as an x86 interrupt (Intel SDM Vol. 3A §11.11), or NULL. */
const char *pci_msi_msg_problem(struct msi_msg m);

/* --- doorbell.c: ioeventfd doorbells inside BARs --- */
/*
 * A doorbell at @off in BAR @bar: writes of @len bytes (matching @datamatch unless < 0) are
 * caught by an ioeventfd and counted on the device thread, which calls @ring under the VM lock.
 */
int pci_doorbell_add(struct pci_dev *d, int bar, uint64_t off, unsigned len, int64_t datamatch,
		     void (*ring)(struct pci_dev *d, uint64_t count));
/*
 * Doorbell @i's eventfd for another reader (vhost-net takes a queue's kicks straight from KVM):
 * with @external the device thread stops reading it, without it reads it again. Returns the fd
 * (still the doorbell's: not to be closed), or -ENOENT when @d has no doorbell @i.
 */
int pci_doorbell_external(struct pci_dev *d, unsigned i, bool external);

/* --- iothread.c: the device thread serving doorbells (epoll over eventfds) --- */
struct pci_iothread;
struct sandbox;
/* A device thread that will run each watched fd's callback with *@lock held. Fds may be
 * watched before it starts; their events wait in its epoll set. */
struct pci_iothread *pci_iothread_new(pthread_mutex_t *lock);
/* Start the thread under @sb's device-thread filter (once; later calls do nothing). */
int pci_iothread_start(struct pci_iothread *t, const struct sandbox *sb);
int pci_iothread_watch(struct pci_iothread *t, int fd, void (*cb)(void *arg, uint64_t count),
		       void *arg);
/* As pci_iothread_watch for an fd that is not an eventfd (a tap): nothing is read before @cb,
 * which must read (or unwatch) while @fd stays readable, or it is called again. */
int pci_iothread_watch_input(struct pci_iothread *t, int fd, void (*cb)(void *arg, uint64_t count),
			     void *arg);
void pci_iothread_unwatch(struct pci_iothread *t, int fd);
/* Stop and join the thread (call without the lock), free everything. NULL is fine. */
void pci_iothread_free(struct pci_iothread *t);

/* --- host.c: configuration mechanism #1 at 0xCF8/0xCFC (PCI 3.0 §3.2.2.3.2) --- */
/* Port access handler for [0xCF8, 0xD00): register with base 0xCF8, opaque = bus. */
void pci_host_io(void *opaque, uint64_t offset, void *data, unsigned len, bool is_write);
/* The host bridge function at 00.0. */
int pci_host_bridge_create(struct pci_bus *b);

#define PCI_HOST_VENDOR	0x8086	/* Intel */
#define PCI_HOST_DEVICE	0x1237	/* 82441FX PMC (i440FX), as QEMU's pc machine */

#endif
