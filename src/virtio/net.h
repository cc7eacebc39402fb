/* net.h - virtio-net (virtio 1.2 §5.1): the device model, a state machine between the
 * virtio-pci transport and a packet back end (a tap, or a fake in the unit tests). */
#ifndef VFVM_VIRTIO_NET_H
#define VFVM_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include "pci/pci_dev.h"
#include "virtio/virtqueue.h"

struct guest_mem;
struct virtio_net;
struct vhost_net;

/* Feature bits (§5.1.3). */
#define VIRTIO_NET_F_CSUM		0
#define VIRTIO_NET_F_GUEST_CSUM		1
#define VIRTIO_NET_F_MAC		5
#define VIRTIO_NET_F_GUEST_TSO4		7
#define VIRTIO_NET_F_GUEST_TSO6		8
#define VIRTIO_NET_F_GUEST_ECN		9
#define VIRTIO_NET_F_GUEST_UFO		10
#define VIRTIO_NET_F_HOST_TSO4		11
#define VIRTIO_NET_F_HOST_TSO6		12
#define VIRTIO_NET_F_HOST_ECN		13
#define VIRTIO_NET_F_HOST_UFO		14
#define VIRTIO_NET_F_MRG_RXBUF		15
#define VIRTIO_NET_F_STATUS		16
#define VIRTIO_NET_F_CTRL_VQ		17
#define VIRTIO_NET_F_CTRL_RX		18
#define VIRTIO_NET_F_CTRL_MAC_ADDR	23

/* struct virtio_net_hdr (§5.1.6): 12 bytes with VERSION_1 (num_buffers always there). */
#define VNET_HDR_LEN			12
#define VIRTIO_NET_HDR_F_NEEDS_CSUM	1
#define VIRTIO_NET_HDR_F_DATA_VALID	2
#define VIRTIO_NET_HDR_GSO_NONE		0
#define VIRTIO_NET_HDR_GSO_TCPV4	1
#define VIRTIO_NET_HDR_GSO_UDP		3
#define VIRTIO_NET_HDR_GSO_TCPV6	4
#define VIRTIO_NET_HDR_GSO_ECN		0x80

struct vnet_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;		/* little-endian, as every field below */
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
} __attribute__((packed));

/* Control queue (§5.1.6.5). */
#define VIRTIO_NET_OK			0
#define VIRTIO_NET_ERR			1
#define VIRTIO_NET_CTRL_RX		0
#define VIRTIO_NET_CTRL_RX_PROMISC	0
#define VIRTIO_NET_CTRL_RX_ALLMULTI	1
#define VIRTIO_NET_CTRL_MAC		1
#define VIRTIO_NET_CTRL_MAC_TABLE_SET	0
#define VIRTIO_NET_CTRL_MAC_ADDR_SET	1

/* Configuration (§5.1.4): mac, status, max_virtqueue_pairs. */
#define VNET_CFG_MAC			0
#define VNET_CFG_STATUS			6
#define VNET_CFG_MAX_PAIRS		8
#define VNET_CFG_LEN			10
#define VIRTIO_NET_S_LINK_UP		1

#define VNET_RXQ			0
#define VNET_TXQ			1
#define VNET_CTRLQ			2
#define VNET_QUEUE_SIZE			256
#define VNET_MAX_FRAME			65550	/* a 64 KiB GSO frame with Ethernet header and VLAN tag */
#define VNET_MAC_TABLE_MAX		64	/* filter entries kept per kind; more: accept that kind */

/* The packet back end. Frames carry the 12-byte header in front (IFF_VNET_HDR layout). */
struct vnet_backend_ops {
	/* One frame into @buf (up to @len bytes): its length, -EAGAIN when there is none. */
	ssize_t (*recv)(void *be, void *buf, size_t len);
	/* One frame out, gathered from @iov: bytes sent or negative errno (then it is dropped). */
	ssize_t (*send)(void *be, const struct iovec *iov, int iovcnt);
	/* Optional: the guest can take these offloads on receive (VIRTIO_NET_F_GUEST_*). */
	int (*set_offload)(void *be, uint64_t guest_features);
	/* Optional: whether the device wants to hear of input (vnet_rx); off while the guest
	 * has no receive buffers, so a readable back end does not spin the device thread. */
	void (*rx_wait)(void *be, bool on);
	/* Optional: the tap's fd, for vhost-net (VHOST_NET_SET_BACKEND); -1 if there is none. */
	int (*fd)(void *be);
	void (*destroy)(void *be);
};

struct vnet_stats {
	uint64_t rx_packets, rx_bytes, rx_dropped, rx_filtered;
	uint64_t tx_packets, tx_bytes, tx_dropped, ctrl_ok, ctrl_err;
};

/*
 * One virtio-pci function for a network device with MAC @mac on @b, its frames going to and
 * coming from the back end @be (which the device owns from here on, also on failure). With
 * @vh (an initialised vhost_net, owned by the device from here on too, also on failure) the
 * receive and transmit queues go to the kernel at DRIVER_OK and the features offered are those
 * vhost-net agrees to; NULL: the user-space data path.
 */
int virtio_net_create(struct pci_bus *b, const struct guest_mem *mem, const uint8_t mac[6],
		      const struct vnet_backend_ops *ops, void *be, struct vhost_net *vh,
		      struct virtio_net **out);
/* Is the kernel's data path carrying the frames now? */
bool vnet_vhost_running(const struct virtio_net *n);
/* The back end has input (device thread, VM lock held): deliver what the guest has room for. */
void vnet_rx(struct virtio_net *n);
const struct vnet_stats *vnet_stats(const struct virtio_net *n);
/* --stats: the device prints its counters in one line on stderr when it is destroyed. */
void vnet_print_stats_at_exit(struct virtio_net *n, bool on);
struct virtio_pci *vnet_transport(struct virtio_net *n);

/* Header checks, exposed for the unit tests: 0, or -EINVAL for a header the negotiated
 * features @f do not allow (§5.1.6.2.1 for transmit, §5.1.6.4.1 for receive). */
int vnet_hdr_check_tx(const struct vnet_hdr *h, uint64_t f, uint32_t frame_len);
int vnet_hdr_fix_rx(struct vnet_hdr *h, uint64_t f);

#endif
