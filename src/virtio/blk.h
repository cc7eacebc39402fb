/* blk.h - virtio-blk (virtio 1.2 §5.2): --disk images (option parsing, opening, locking), the
 * request parser kept apart from the I/O (unit tests and the fuzzer drive it), and the device. */
#ifndef VFVM_VIRTIO_BLK_H
#define VFVM_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include "core/err.h"
#include "pci/pci_dev.h"
#include "virtio/virtqueue.h"

struct vm;

#define BLK_SECTOR		512
#define BLK_SERIAL_LEN		20	/* §5.2.6: GET_ID returns 20 bytes */
#define BLK_QUEUE_SIZE		128
#define BLK_SEG_MAX		(BLK_QUEUE_SIZE - 2)	/* data segments: header and status apart */
#define BLK_SIZE_MAX		(1u << 20)	/* size_max: largest data segment we advertise */
#define BLK_REQ_MAX		(32u << 20)	/* bytes of data in one IN/OUT request */
#define BLK_DISCARD_SEG_MAX	16	/* max_discard_seg, max_write_zeroes_seg */
#define BLK_DISCARD_SECTORS_MAX	(1u << 22)	/* 2 GiB per segment */
#define BLK_MAX_QUEUES		8

/* Request types (§5.2.6). */
#define VIRTIO_BLK_T_IN		0
#define VIRTIO_BLK_T_OUT	1
#define VIRTIO_BLK_T_FLUSH	4
#define VIRTIO_BLK_T_GET_ID	8
#define VIRTIO_BLK_T_DISCARD	11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
/* Status byte values. */
#define VIRTIO_BLK_S_OK		0
#define VIRTIO_BLK_S_IOERR	1
#define VIRTIO_BLK_S_UNSUPP	2
/* Feature bits (§5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX	1
#define VIRTIO_BLK_F_SEG_MAX	2
#define VIRTIO_BLK_F_RO		5
#define VIRTIO_BLK_F_BLK_SIZE	6
#define VIRTIO_BLK_F_FLUSH	9
#define VIRTIO_BLK_F_MQ		12
#define VIRTIO_BLK_F_DISCARD	13
#define VIRTIO_BLK_F_WRITE_ZEROES 14
/* struct virtio_blk_discard_write_zeroes flags. */
#define VIRTIO_BLK_WZ_F_UNMAP	1

/* Device configuration layout (§5.2.4), the offsets vfvm fills. */
#define BLK_CFG_CAPACITY	0
#define BLK_CFG_SIZE_MAX	8
#define BLK_CFG_SEG_MAX		12
#define BLK_CFG_BLK_SIZE	20
#define BLK_CFG_WRITEBACK	32
#define BLK_CFG_NUM_QUEUES	34
#define BLK_CFG_MAX_DISCARD_SECTORS 36
#define BLK_CFG_MAX_DISCARD_SEG	40
#define BLK_CFG_DISCARD_ALIGN	44
#define BLK_CFG_MAX_WZ_SECTORS	48
#define BLK_CFG_MAX_WZ_SEG	52
#define BLK_CFG_WZ_MAY_UNMAP	56
#define BLK_CFG_LEN		60

/* --disk PATH[,ro][,cache=none|writeback][,serial=S], as parsed (no file touched). */
struct blk_opts {
	char path[4096];
	bool ro;
	bool direct;			/* cache=none: O_DIRECT */
	char serial[BLK_SERIAL_LEN + 1];
};

/* An opened, locked image: what the device serves. */
struct blk_image {
	struct blk_opts o;
	int fd;
	uint64_t sectors;
	bool is_bdev;
};

/* Parses a --disk value; bad syntax: err_input naming the option. */
int blk_opts_parse(const char *spec, struct blk_opts *o, struct err *err);
/*
 * Opens and locks (OFD: read lock for ro, write lock for rw, so a second vfvm is refused) the
 * image named by @spec. Missing, empty, not a multiple of 512 bytes, read-only file with rw
 * asked, locked, O_DIRECT refused: err_input (exit status 2), fd closed.
 */
int blk_image_open(const char *spec, struct blk_image *img, struct err *err);
void blk_image_close(struct blk_image *img);

/* One extent of a DISCARD or WRITE_ZEROES request (struct virtio_blk_discard_write_zeroes). */
struct blk_extent {
	uint64_t sector;
	uint32_t sectors;
	uint32_t flags;
};

/* What the parser needs to know of the device and the negotiation. */
struct blk_limits {
	uint64_t sectors;		/* capacity */
	bool ro;
	bool discard, write_zeroes;	/* negotiated */
};

/* A request, parsed from a chain: where its data and its status byte are. */
struct blk_req {
	uint32_t type;
	uint64_t sector;
	uint8_t *status;		/* the status byte (last writable byte), NULL: none */
	struct iovec iov[BLK_SEG_MAX];	/* IN/OUT/GET_ID data, in guest RAM */
	unsigned niov;
	uint32_t len;			/* data bytes */
	struct blk_extent ext[BLK_DISCARD_SEG_MAX];
	unsigned next;
};

/*
 * Parses the chain @c into @r. Returns VIRTIO_BLK_S_OK when the request is to be performed,
 * VIRTIO_BLK_S_IOERR or VIRTIO_BLK_S_UNSUPP when it is to be answered at once with that status
 * (r->status set), or -EPROTO when the chain has no status byte to answer in (no writable
 * byte at its end): then the queue needs a reset.
 */
int blk_parse(const struct vq_chain *c, const struct blk_limits *lim, struct blk_req *r);

/* --disk: a virtio-pci function for @img (kept by the caller, closed after the device) with
 * @nqueues request queues (1..BLK_MAX_QUEUES; the feature MQ when more than one). */
int virtio_blk_create(struct vm *vm, struct pci_bus *b, struct blk_image *img, unsigned nqueues,
		      struct err *err);

#endif
