/* virtio_pci.h - the virtio-pci modern transport (virtio 1.2 §4.1): a PCI function with the
 * common, notify, ISR, device and PCI-access configuration capabilities, on which a virtio
 * device type (virtio-rng, ...) plugs its queues and its configuration space. */
#ifndef VFVM_VIRTIO_PCI_H
#define VFVM_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>
#include "pci/pci_dev.h"
#include "virtio/virtqueue.h"

#define VIRTIO_PCI_VENDOR	0x1af4
#define VIRTIO_PCI_DEVICE_BASE	0x1040	/* + virtio device ID (§4.1.2.1) */
#define VIRTIO_MAX_QUEUES	8

/* Device status bits (§2.1). */
#define VIRTIO_S_ACKNOWLEDGE	1
#define VIRTIO_S_DRIVER		2
#define VIRTIO_S_DRIVER_OK	4
#define VIRTIO_S_FEATURES_OK	8
#define VIRTIO_S_NEEDS_RESET	0x40
#define VIRTIO_S_FAILED		0x80

/* Transport feature bits (§6). */
#define VIRTIO_F_INDIRECT_DESC	28
#define VIRTIO_F_EVENT_IDX	29
#define VIRTIO_F_VERSION_1	32

#define VIRTIO_NO_VECTOR	0xffff

/* The BAR holding the four structures (one 16 KiB memory BAR), and the MSI-X BAR. */
#define VIRTIO_BAR		4
#define VIRTIO_BAR_SIZE		0x4000
#define VIRTIO_COMMON_OFF	0x0000
#define VIRTIO_COMMON_LEN	0x003c
#define VIRTIO_ISR_OFF		0x1000
#define VIRTIO_DEVCFG_OFF	0x2000
#define VIRTIO_DEVCFG_MAX	0x1000
#define VIRTIO_NOTIFY_OFF	0x3000
#define VIRTIO_NOTIFY_MULT	4	/* queue q is notified at NOTIFY_OFF + 4 q */
#define VIRTIO_MSIX_BAR		1

struct virtio_pci;

/* What a device type provides. */
struct virtio_dev_ops {
	uint16_t device_id;		/* virtio device ID (§5): 4 = entropy */
	uint32_t pci_class;		/* class code << 8 */
	uint64_t features;		/* device-specific feature bits offered */
	unsigned nqueues;
	uint16_t queue_max;		/* largest Queue Size a queue takes */
	unsigned cfg_len;		/* bytes of device configuration (§4.1.4.6) */
	/* Queues served by another process (vhost-user): the transport offers VERSION_1 and
	 * only those of its own features that @features repeats (what the back end handles). */
	bool external;
	/* Transport features (EVENT_IDX, INDIRECT_DESC) not to offer: a back end that owns some
	 * of the queues (vhost-net) does not implement them. */
	uint64_t transport_off;
	/* Device configuration access (little-endian bytes), cfg_len bounds checked already. */
	void (*cfg_read)(struct virtio_pci *v, unsigned off, void *data, unsigned len);
	void (*cfg_write)(struct virtio_pci *v, unsigned off, const void *data, unsigned len);
	/* Optional: may refuse the driver's feature set (v->guest_features) when it sets
	 * FEATURES_OK (§2.2: dependencies between bits), and applies what was agreed. */
	bool (*features_ok)(struct virtio_pci *v);
	/* Optional: the driver set DRIVER_OK (§3.1.1 step 8), before the queues are looked at:
	 * where a device hands queues to another data path (virtio_queue_hand_over). */
	void (*driver_ok)(struct virtio_pci *v);
	/* Queue @q may have new buffers (a notification, or DRIVER_OK). VM lock held. */
	void (*queue_notify)(struct virtio_pci *v, unsigned q);
	/* The driver reset the device (§2.4): drop in-flight state. */
	void (*reset)(struct virtio_pci *v);
	void (*destroy)(struct virtio_pci *v);
};

struct virtio_pci {
	struct pci_dev *d;
	const struct virtio_dev_ops *ops;
	void *priv;
	const struct guest_mem *mem;
	/* Common configuration (§4.1.4.3). */
	uint32_t dfselect, gfselect;
	uint64_t guest_features;
	uint16_t config_vector;
	uint8_t status;
	uint8_t config_generation;
	uint16_t queue_select;
	uint8_t isr;			/* §4.1.4.5: bit 0 queue, bit 1 configuration change */
	struct virtio_pci_queue {
		struct virtqueue vq;
		uint16_t vector;
		bool enabled;
		/* Handed over (virtio_queue_hand_over): another reader takes its kicks, and the
		 * back end's call eventfd is the interrupt, by irqfd to the vector's GSI while the
		 * vector is unmasked, else through the device thread (virtio_queue_raise). */
		bool external;
		int kickfd;		/* the doorbell's eventfd while external */
		int callfd;
		int call_gsi;		/* the GSI callfd is bound to by irqfd, -1 none */
		bool call_watched;	/* the device thread reads callfd */
		struct virtio_pci *v;	/* for the device thread's callback */
		uint64_t kicks_relayed;	/* trapped notifications passed on to the kick fd */
		uint64_t calls_relayed;	/* calls raised by the device thread (masked, INTx) */
	} q[VIRTIO_MAX_QUEUES];
	uint64_t faults;		/* queues stopped for a driver error, for --stats */
	/* Behind --viommu: the bus's translation when the function was made, and its endpoint
	 * ID (bus 0 requester ID); every queue's addresses are IOVAs then. NULL: none. */
	const struct iommu_dma *dma;
	uint32_t ep;
};

/*
 * Creates the function for @ops on @b (a free slot), with MSI-X (one vector per queue plus one
 * for configuration changes) and INTx; @mem is guest RAM for the queues.
 */
int virtio_pci_create(struct pci_bus *b, const struct virtio_dev_ops *ops, void *priv,
		      const struct guest_mem *mem, struct virtio_pci **out);
/* The features the driver and device agreed on. */
static inline bool virtio_has(const struct virtio_pci *v, unsigned bit)
{
	return v->guest_features >> bit & 1;
}
/* Tells the driver about used buffers on queue @q if it wants to hear (EVENT_IDX, §2.7.10). */
void virtio_queue_interrupt(struct virtio_pci *v, unsigned q);
/* Queue @q's back end put used buffers and decided to tell the driver (it does EVENT_IDX
 * itself): the queue's vector, or INTx. */
void virtio_queue_raise(struct virtio_pci *v, unsigned q);
/* The device configuration changed (§4.1.4.3 config_generation, §4.1.5.3). */
void virtio_config_changed(struct virtio_pci *v);
/*
 * Queue @q's data path moves to another reader (vhost-net): the device thread no longer reads
 * the queue's doorbell, a notification that reaches vfvm is passed on to it, the device's
 * queue_notify is not called for @q, and @callfd (an eventfd the back end signals when the
 * driver is to be interrupted) follows the queue's MSI-X vector, its mask and INTx. Returns the
 * kick eventfd (the doorbell's KVM ioeventfd; the transport's, not to be closed), or -ENOENT
 * for a queue without one (only the first PCI_MAX_DOORBELLS have).
 */
int virtio_queue_hand_over(struct virtio_pci *v, unsigned q, int callfd);
/* The queue comes back to the device model: the doorbell is the device thread's again and
 * callfd is let go of (no irqfd, not watched). Nothing happens for a queue not handed over. */
void virtio_queue_take_back(struct virtio_pci *v, unsigned q);
/* A queue hit a driver error: DEVICE_NEEDS_RESET and a configuration interrupt (§2.1.2). */
void virtio_queue_fault(struct virtio_pci *v, unsigned q);
/*
 * Serve every chain the driver has made available on queue @q, on the caller's thread:
 * @serve handles one chain popped into @c (reads it, writes its device-writable part) and
 * returns the bytes it wrote (the used length vq_push records), or -EPROTO with the queue's
 * fault reason (vq->fault) set, for a chain that breaks the device's rules. A pop or @serve
 * error faults the queue (virtio_queue_fault) and ends the turn; otherwise, once the queue
 * looks empty, it asks for the next kick (EVENT_IDX, §2.7.10) and looks once more so that
 * none is lost, then interrupts the driver once if anything was used.
 */
typedef int64_t virtio_serve_fn(void *arg, struct vq_chain *c);
void virtio_queue_serve(struct virtio_pci *v, unsigned q, struct vq_chain *c,
			virtio_serve_fn *serve, void *arg);

#endif
