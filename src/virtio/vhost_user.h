/* vhost_user.h - the front-end side of the vhost-user protocol (QEMU docs/interop/vhost-user.rst):
 * requests over a unix stream socket, file descriptors passed with SCM_RIGHTS, for devices whose
 * data path runs in another process (virtio-fs in virtiofsd). */
#ifndef VFVM_VHOST_USER_H
#define VFVM_VHOST_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Front-end message types (vhost-user.rst "Front-end message types"). */
enum vhu_request {
	VHU_GET_FEATURES = 1,
	VHU_SET_FEATURES = 2,
	VHU_SET_OWNER = 3,
	VHU_RESET_OWNER = 4,
	VHU_SET_MEM_TABLE = 5,
	VHU_SET_VRING_NUM = 8,
	VHU_SET_VRING_ADDR = 9,
	VHU_SET_VRING_BASE = 10,
	VHU_GET_VRING_BASE = 11,
	VHU_SET_VRING_KICK = 12,
	VHU_SET_VRING_CALL = 13,
	VHU_SET_VRING_ERR = 14,
	VHU_GET_PROTOCOL_FEATURES = 15,
	VHU_SET_PROTOCOL_FEATURES = 16,
	VHU_GET_QUEUE_NUM = 17,
	VHU_SET_VRING_ENABLE = 18,
	VHU_REQUEST_MAX = 19,
};

/* "Feature bits": bit 30 of GET_FEATURES says the back-end speaks protocol features. */
#define VHU_F_PROTOCOL_FEATURES	30
/* "Protocol features" this front end uses. */
#define VHU_PROTO_F_MQ		0
#define VHU_PROTO_F_REPLY_ACK	3

/* The header: request, flags, payload size, all u32 little-endian ("Message format"). */
#define VHU_HDR_SIZE		12
#define VHU_VERSION		0x1	/* flags bits 0-1 */
#define VHU_FLAG_REPLY		(1u << 2)
#define VHU_FLAG_NEED_REPLY	(1u << 3)
/* SET_VRING_KICK/CALL/ERR payload: bits 0-7 the index, bit 8 "no file descriptor". */
#define VHU_VRING_IDX_MASK	0xffu
#define VHU_VRING_NOFD		(1u << 8)

#define VHU_MAX_REGIONS		8	/* VHOST_MEMORY_BASELINE_NREGIONS */
#define VHU_TIMEOUT_MS		5000	/* a back end that does not answer in this is dead */

/* "Memory region description": guest address, size, the address in the front end's own
 * space (what vring addresses are given in), and the offset into the region's fd. */
struct vhu_region {
	uint64_t gpa, size, uaddr, mmap_offset;
};

struct vhu_vring_state {
	uint32_t index, num;
};

struct vhu_vring_addr {
	uint32_t index, flags;
	uint64_t desc, used, avail, log;
};

struct vhu_msg {
	uint32_t request, flags, size;
	union {
		uint64_t u64;
		struct vhu_vring_state state;
		struct vhu_vring_addr addr;
		struct {
			uint32_t nregions, padding;
			struct vhu_region r[VHU_MAX_REGIONS];
		} mem;
	} p;
	int fds[VHU_MAX_REGIONS];
	unsigned nfds;
};

#define VHU_PAYLOAD_MAX	sizeof(((struct vhu_msg *)0)->p)

struct vhu_conn {
	int fd;
	uint64_t features;	/* the back end's virtio + vhost-user feature bits */
	uint64_t protocol;	/* protocol features both sides use */
	int timeout_ms;
};

/* Message builders: pure, they only fill @m. */
void vhu_msg_plain(struct vhu_msg *m, uint32_t request);
void vhu_msg_u64(struct vhu_msg *m, uint32_t request, uint64_t v);
void vhu_msg_state(struct vhu_msg *m, uint32_t request, uint32_t index, uint32_t num);
void vhu_msg_addr(struct vhu_msg *m, uint32_t index, uint64_t desc, uint64_t used, uint64_t avail);
/* SET_VRING_KICK/CALL/ERR with @fd, or with the no-fd bit when @fd < 0. */
void vhu_msg_vring_fd(struct vhu_msg *m, uint32_t request, uint32_t index, int fd);
/* SET_MEM_TABLE; -E2BIG beyond VHU_MAX_REGIONS. */
int vhu_msg_mem(struct vhu_msg *m, const struct vhu_region *r, const int *fds, unsigned n);

/* Whether the back end answers @request by itself (the GET_* requests). */
bool vhu_has_reply(uint32_t request);
/* Checks a reply against the request it answers: the reply flag and version, the same
 * request, the payload size the request type has. 0 or -EPROTO. */
int vhu_reply_check(const struct vhu_msg *req, const struct vhu_msg *rep);

/* The wire: a message out with its fds (MSG_NOSIGNAL: a dead peer is -EPIPE, never SIGPIPE),
 * one in (fds the back end sends are closed: no reply this front end reads carries any). A
 * peer that closes is -ECONNRESET, one silent for timeout_ms -ETIMEDOUT. */
int vhu_send(struct vhu_conn *c, const struct vhu_msg *m);
int vhu_recv(struct vhu_conn *c, struct vhu_msg *m);

/* One request: sends @m and, for GET_* (or with REPLY_ACK for the rest), waits for its
 * answer; @reply may be NULL when the answer is only an ack. A back end's non-zero ack is
 * -EIO. */
int vhu_request(struct vhu_conn *c, struct vhu_msg *m, struct vhu_msg *reply);

/* Connects to a back end's socket. */
int vhu_connect(struct vhu_conn *c, const char *path);
void vhu_close(struct vhu_conn *c);

/* SET_OWNER, GET_FEATURES, and the protocol features (REPLY_ACK when offered). */
int vhu_handshake(struct vhu_conn *c);
/* SET_FEATURES: the features the driver accepted, plus PROTOCOL_FEATURES when offered. */
int vhu_set_features(struct vhu_conn *c, uint64_t features);
int vhu_set_mem(struct vhu_conn *c, const struct vhu_region *r, const int *fds, unsigned n);
/* A queue's ring handed over (addresses in the front end's space), then enabled. */
int vhu_vring_start(struct vhu_conn *c, unsigned index, unsigned num, uint16_t base,
		    const uint64_t uaddr[3], int kick, int call);
/* GET_VRING_BASE: stops the ring and returns where the back end got to. */
int vhu_vring_stop(struct vhu_conn *c, unsigned index, uint16_t *base);

#endif
