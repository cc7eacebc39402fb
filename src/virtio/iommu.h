/* iommu.h - the virtio-iommu device (virtio 1.2 §5.13, --viommu, docs/viommu.md): the guest's
 * domains and mappings, its requests, the DMA translation of emulated endpoints, fault events. */
#ifndef VFVM_VIRTIO_IOMMU_H
#define VFVM_VIRTIO_IOMMU_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/err.h"
#include "core/iommu.h"
#include "core/mem.h"
#include "virtio/iommu_map.h"

#define VIOMMU_DEVICE_ID	23		/* §5.13.1; PCI 0x1af4:0x1057 */
/* Feature bits (§5.13.3). */
#define VIOMMU_F_INPUT_RANGE	0
#define VIOMMU_F_DOMAIN_RANGE	1
#define VIOMMU_F_MAP_UNMAP	2
#define VIOMMU_F_BYPASS		3
#define VIOMMU_F_PROBE		4
#define VIOMMU_F_MMIO		5
#define VIOMMU_F_BYPASS_CONFIG	6
/* Request types and status codes (§5.13.6). */
#define VIOMMU_T_ATTACH		1
#define VIOMMU_T_DETACH		2
#define VIOMMU_T_MAP		3
#define VIOMMU_T_UNMAP		4
#define VIOMMU_T_PROBE		5
#define VIOMMU_S_OK		0
#define VIOMMU_S_IOERR		1
#define VIOMMU_S_UNSUPP		2
#define VIOMMU_S_DEVERR		3
#define VIOMMU_S_INVAL		4
#define VIOMMU_S_RANGE		5
#define VIOMMU_S_NOENT		6
#define VIOMMU_S_FAULT		7
#define VIOMMU_S_NOMEM		8
#define VIOMMU_ATTACH_F_BYPASS	1u
#define VIOMMU_MAP_F_MASK	7u		/* READ | WRITE | MMIO (= IOMMU_* of core/iommu.h) */
/* PROBE properties (§5.13.6.8). */
#define VIOMMU_PROBE_T_RESV_MEM	1
#define VIOMMU_RESV_MEM_T_RESERVED 0
#define VIOMMU_RESV_MEM_T_MSI	1
#define VIOMMU_RESV_PROP_LEN	24		/* 4 header + 20 body: one RESV_MEM property */
/* Fault event (§5.13.6.9). */
#define VIOMMU_FAULT_R_UNKNOWN	0
#define VIOMMU_FAULT_R_DOMAIN	1
#define VIOMMU_FAULT_R_MAPPING	2
#define VIOMMU_FAULT_F_READ	1u
#define VIOMMU_FAULT_F_WRITE	2u
#define VIOMMU_FAULT_F_ADDRESS	0x100u
#define VIOMMU_FAULT_LEN	24

#define VIOMMU_MAX_EPS		256		/* endpoint IDs: bus 0 requester IDs (VIOT range) */
#define VIOMMU_MAX_RESV		16
#define VIOMMU_MAX_MAPPINGS	65535		/* default limit; VFIO's dma_entry_limit default */
#define VIOMMU_MSI_START	0xfee00000ull
#define VIOMMU_MSI_END		0xfeefffffull
#define VIOMMU_CFG_LEN		40		/* struct virtio_iommu_config (§5.13.4) */

struct trace;
struct virtio_pci;
struct pci_bus;
struct vm;

struct viommu_domain {
	uint32_t id;
	bool bypass;			/* VIRTIO_IOMMU_ATTACH_F_BYPASS: IOVA = GPA */
	unsigned neps;			/* endpoints attached */
	struct viommu_map map;
};

struct viommu_ep {
	bool present;			/* an endpoint behind the viommu (viommu_add_endpoint) */
	bool backend;			/* owned by the back end (VFIO), not emulated */
	struct viommu_domain *dom;	/* NULL: not attached */
};

struct viommu_resv {
	uint64_t start, end;		/* inclusive */
	uint8_t subtype;		/* VIOMMU_RESV_MEM_T_* */
};

struct viommu {
	pthread_mutex_t lock;		/* the tables; taken by requests and translate() */
	const struct guest_mem *mem;
	struct trace *trace;		/* NULL: off */
	/* Configuration (§5.13.4). */
	uint64_t page_size_mask;
	uint64_t input_start, input_end;
	uint32_t domain_start, domain_end;
	uint32_t probe_size;
	uint8_t bypass;			/* config.bypass as the driver sees it */
	uint8_t bypass_default;		/* --viommu=bypass=on: 1; back to it at reset */
	bool bypass_config;		/* VIRTIO_IOMMU_F_BYPASS_CONFIG negotiated */
	unsigned max_mappings;		/* over all domains: more -> NOMEM; a back end lowers it */
	unsigned nmappings;
	struct viommu_domain **doms;
	unsigned ndoms, doms_cap;
	struct viommu_ep eps[VIOMMU_MAX_EPS];
	struct viommu_resv resv[VIOMMU_MAX_RESV];
	unsigned nresv;
	const struct iommu_backend_ops *be;
	void *be_opaque;
	struct iommu_dma dma;		/* what emulated endpoints translate through */
	/* Delivers a fault event (VIOMMU_FAULT_LEN bytes) on the event queue; false: no buffer.
	 * Set by the device (viommu_create) or a test. Called with lock held. */
	bool (*post_event)(struct viommu *vi, const uint8_t *ev);
	void *post_opaque;
	struct virtio_pci *v;		/* the device (NULL in unit tests of the table) */
	unsigned devfn;			/* its bus 0 devfn, for the VIOT */
	/* Counters (--stats, tests). */
	uint64_t requests, faults, faults_dropped;
};

/* The table with its defaults: 4 KiB pages, 64-bit input range, 32-bit domain IDs, bypass off
 * unless @bypass, the MSI window reserved. */
int viommu_init(struct viommu *vi, const struct guest_mem *mem, bool bypass);
void viommu_fini(struct viommu *vi);
/* Endpoint @ep (bus 0 requester ID) sits behind the viommu. -ERANGE past VIOMMU_MAX_EPS. */
int viommu_add_endpoint(struct viommu *vi, uint32_t ep);
/* The host IOMMU's page sizes (VFIO iova_pgsizes): the mask the guest sees (§5.13.4). */
void viommu_set_page_size_mask(struct viommu *vi, uint64_t mask);
/* A reserved region every PROBE reports (host reserved_regions); -ENOSPC when full. */
int viommu_add_resv(struct viommu *vi, uint64_t start, uint64_t end, uint8_t subtype);
/* The back end for the endpoints it owns(); @limit lowers max_mappings (0: unchanged). */
void viommu_set_backend(struct viommu *vi, const struct iommu_backend_ops *ops, void *opaque,
			unsigned limit);
/*
 * One request (§5.13.6): @req the device-readable bytes, @resp the device-writable ones, where
 * the tail (and a PROBE's properties) go. Returns the bytes written to @resp. Never fails: every
 * error is a status. Takes the lock.
 */
size_t viommu_request(struct viommu *vi, const uint8_t *req, size_t req_len, uint8_t *resp,
		      size_t resp_len);
/* A DMA of endpoint @ep at @iova missed (@reason VIOMMU_FAULT_R_*): a fault event on the event
 * queue (dropped and counted when the driver gave no buffer) and a trace line. Lock held. */
void viommu_fault(struct viommu *vi, uint32_t ep, uint64_t iova, uint8_t reason, bool write);
/* Device reset (§2.4): every endpoint detached, every domain gone, bypass at its default. */
void viommu_reset(struct viommu *vi);
/* The device configuration bytes (§5.13.4), little-endian, @len from @off. */
void viommu_cfg_read(struct viommu *vi, unsigned off, void *data, unsigned len);

/*
 * The virtio-pci function on @b ("--viommu[=bypass=on]", @opts "" or "bypass=on|off"): its
 * table in *@out (owned by the device, freed with it). err_input for bad options.
 */
int viommu_create(struct vm *vm, struct pci_bus *b, const char *opts, struct viommu **out,
		  struct err *err);

#endif
