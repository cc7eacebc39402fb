/* fs_req.c - vfvm's own answer to FUSE requests on a virtio-fs queue whose back end died
 * (virtio 1.2 §5.11.6): the request's unique copied into a fuse_out_header carrying an error. */
#include <string.h>
#include "virtio/fs_req.h"
#include "virtio/le.h"

uint32_t fs_req_fail(const struct vq_chain *c, int32_t error)
{
	uint8_t in[FUSE_IN_HDR_LEN], out[FUSE_OUT_HDR_LEN];
	uint32_t opcode;

	if (vq_chain_read(c, 0, in, sizeof(in)) != sizeof(in))
		return 0;
	opcode = le_ld32(in + 4);
	if (opcode == FUSE_OP_FORGET || opcode == FUSE_OP_BATCH_FORGET)
		return 0;
	if (c->in_len < sizeof(out))
		return 0;
	le_st32(out, sizeof(out));
	le_st32(out + 4, (uint32_t)error);
	memcpy(out + 8, in + 8, 8);		/* unique, as the driver wrote it */
	return vq_chain_write(c, 0, out, sizeof(out));
}
