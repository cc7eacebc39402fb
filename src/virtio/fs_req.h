/* fs_req.h - the FUSE replies vfvm itself gives on the virtio-fs queues (virtio 1.2 §5.11.6)
 * once the vhost-user back end is gone: every request fails, none is left unanswered. */
#ifndef VFVM_FS_REQ_H
#define VFVM_FS_REQ_H

#include <stdint.h>
#include "virtio/virtqueue.h"

/* struct fuse_in_header and struct fuse_out_header (linux/fuse.h), little-endian on the wire. */
#define FUSE_IN_HDR_LEN		40
#define FUSE_OUT_HDR_LEN	16
#define FUSE_OP_FORGET		2	/* no reply (fuse.h: "FORGET has no reply") */
#define FUSE_OP_BATCH_FORGET	42

/*
 * Answers the request in chain @c with FUSE error @error (negative errno, -EIO): a
 * fuse_out_header with len 16, @error and the request's unique, at the start of the writable
 * part. Returns the bytes written (the used length): 16, or 0 for a FORGET, a chain without
 * a whole fuse_in_header to read or without 16 bytes to write (nothing to say it in).
 */
uint32_t fs_req_fail(const struct vq_chain *c, int32_t error);

#endif
