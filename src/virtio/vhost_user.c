/* vhost_user.c - vhost-user front end: message builders, the socket wire with SCM_RIGHTS, and
 * the request sequences that hand guest memory and virtqueues to a back-end process (the ring
 * hand-over is vhost.c's, shared with vhost-net). */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "virtio/vhost.h"
#include "virtio/vhost_user.h"

void vhu_msg_plain(struct vhu_msg *m, uint32_t request)
{
	memset(m, 0, sizeof(*m));
	m->request = request;
	m->flags = VHU_VERSION;
}

void vhu_msg_u64(struct vhu_msg *m, uint32_t request, uint64_t v)
{
	vhu_msg_plain(m, request);
	m->p.u64 = v;
	m->size = sizeof(m->p.u64);
}

void vhu_msg_state(struct vhu_msg *m, uint32_t request, uint32_t index, uint32_t num)
{
	vhu_msg_plain(m, request);
	m->p.state.index = index;
	m->p.state.num = num;
	m->size = sizeof(m->p.state);
}

void vhu_msg_addr(struct vhu_msg *m, uint32_t index, uint64_t desc, uint64_t used, uint64_t avail)
{
	vhu_msg_plain(m, VHU_SET_VRING_ADDR);
	m->p.addr.index = index;
	m->p.addr.desc = desc;
	m->p.addr.used = used;
	m->p.addr.avail = avail;
	m->size = sizeof(m->p.addr);
}

void vhu_msg_vring_fd(struct vhu_msg *m, uint32_t request, uint32_t index, int fd)
{
	vhu_msg_u64(m, request, index & VHU_VRING_IDX_MASK);
	if (fd < 0) {
		m->p.u64 |= VHU_VRING_NOFD;
		return;
	}
	m->fds[0] = fd;
	m->nfds = 1;
}

int vhu_msg_mem(struct vhu_msg *m, const struct vhu_region *r, const int *fds, unsigned n)
{
	if (n > VHU_MAX_REGIONS)
		return -E2BIG;
	vhu_msg_plain(m, VHU_SET_MEM_TABLE);
	m->p.mem.nregions = n;
	memcpy(m->p.mem.r, r, n * sizeof(*r));
	memcpy(m->fds, fds, n * sizeof(*fds));
	m->nfds = n;
	m->size = 8 + n * sizeof(*r);
	return 0;
}

bool vhu_has_reply(uint32_t request)
{
	return request == VHU_GET_FEATURES || request == VHU_GET_PROTOCOL_FEATURES ||
	       request == VHU_GET_VRING_BASE || request == VHU_GET_QUEUE_NUM;
}

int vhu_reply_check(const struct vhu_msg *req, const struct vhu_msg *rep)
{
	uint32_t want = sizeof(rep->p.u64);

	if (req->request == VHU_GET_VRING_BASE)
		want = sizeof(rep->p.state);
	if ((rep->flags & 3) != VHU_VERSION || !(rep->flags & VHU_FLAG_REPLY))
		return -EPROTO;
	if (rep->request != req->request || rep->size != want)
		return -EPROTO;
	return 0;
}

/* Waits until the socket is ready for @events or the timeout passes. */
static int vhu_wait(struct vhu_conn *c, short events)
{
	struct pollfd p = { .fd = c->fd, .events = events };
	int n;

	do
		n = poll(&p, 1, c->timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ETIMEDOUT;
	if ((p.revents & (POLLERR | POLLNVAL)) || ((p.revents & POLLHUP) && !(p.revents & POLLIN)))
		return events == POLLOUT ? -EPIPE : -ECONNRESET;
	return 0;
}

int vhu_send(struct vhu_conn *c, const struct vhu_msg *m)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VHU_MAX_REGIONS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov[2] = {
		{ .iov_base = (void *)&m->request, .iov_len = VHU_HDR_SIZE },
		{ .iov_base = (void *)&m->p, .iov_len = m->size },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	size_t total = VHU_HDR_SIZE + m->size;
	ssize_t n;
	int r;

	/* The header's three u32 must lie back to back, as they go on the wire. */
	_Static_assert(offsetof(struct vhu_msg, size) == 8, "vhu_msg header layout");
	if (m->size > VHU_PAYLOAD_MAX || m->nfds > VHU_MAX_REGIONS)
		return -EINVAL;
	if (m->nfds) {
		struct cmsghdr *cm;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * m->nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * m->nfds);
		memcpy(CMSG_DATA(cm), m->fds, sizeof(int) * m->nfds);
	}
	r = vhu_wait(c, POLLOUT);
	if (r < 0)
		return r;
	do
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	/* A unix stream socket takes a message this small whole or not at all. */
	return (size_t)n == total ? 0 : -EIO;
}

/* Reads exactly @len bytes, closing any fds that come along. */
static int vhu_read(struct vhu_conn *c, void *buf, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VHU_MAX_REGIONS)];
		struct cmsghdr align;
	} ctl;
	size_t got = 0;

	while (got < len) {
		struct iovec iov = { .iov_base = (char *)buf + got, .iov_len = len - got };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
		struct cmsghdr *cm;
		ssize_t n;
		int r = vhu_wait(c, POLLIN);

		if (r < 0)
			return r;
		n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
				continue;
			for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
				close(fd);
			}
		}
		got += n;
	}
	return 0;
}

int vhu_recv(struct vhu_conn *c, struct vhu_msg *m)
{
	uint32_t hdr[3];
	int r;

	memset(m, 0, sizeof(*m));
	r = vhu_read(c, hdr, sizeof(hdr));
	if (r < 0)
		return r;
	m->request = hdr[0];
	m->flags = hdr[1];
	m->size = hdr[2];
	/* A size beyond any message's payload: the stream cannot be trusted past here. */
	if (m->size > VHU_PAYLOAD_MAX)
		return -EPROTO;
	return m->size ? vhu_read(c, &m->p, m->size) : 0;
}

int vhu_request(struct vhu_conn *c, struct vhu_msg *m, struct vhu_msg *reply)
{
	struct vhu_msg ack;
	bool answered = vhu_has_reply(m->request);
	int r;

	if (!reply)
		reply = &ack;
	if (!answered && (c->protocol & (1ull << VHU_PROTO_F_REPLY_ACK)))
		m->flags |= VHU_FLAG_NEED_REPLY;
	r = vhu_send(c, m);
	if (r < 0)
		return r;
	if (!answered && !(m->flags & VHU_FLAG_NEED_REPLY))
		return 0;
	r = vhu_recv(c, reply);
	if (r < 0)
		return r;
	r = vhu_reply_check(m, reply);
	if (r < 0)
		return r;
	if (!answered && reply->p.u64)
		return -EIO;
	return 0;
}

int vhu_connect(struct vhu_conn *c, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->timeout_ms = VHU_TIMEOUT_MS;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(c->fd);
		c->fd = -1;
		return -e;
	}
	return 0;
}

void vhu_close(struct vhu_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

int vhu_handshake(struct vhu_conn *c)
{
	struct vhu_msg m, rep;
	int r;

	vhu_msg_plain(&m, VHU_SET_OWNER);
	r = vhu_request(c, &m, NULL);
	if (r < 0)
		return r;
	vhu_msg_plain(&m, VHU_GET_FEATURES);
	r = vhu_request(c, &m, &rep);
	if (r < 0)
		return r;
	c->features = rep.p.u64;
	if (!(c->features & (1ull << VHU_F_PROTOCOL_FEATURES)))
		return 0;
	vhu_msg_plain(&m, VHU_GET_PROTOCOL_FEATURES);
	r = vhu_request(c, &m, &rep);
	if (r < 0)
		return r;
	/* Only what this front end implements: acks, so every step's failure is seen. */
	vhu_msg_u64(&m, VHU_SET_PROTOCOL_FEATURES, rep.p.u64 & (1ull << VHU_PROTO_F_REPLY_ACK));
	r = vhu_request(c, &m, NULL);
	if (r < 0)
		return r;
	c->protocol = m.p.u64;
	return 0;
}

int vhu_set_features(struct vhu_conn *c, uint64_t features)
{
	struct vhu_msg m;

	/* PROTOCOL_FEATURES is not a virtio bit; the back end wants it back when it offered it. */
	features |= c->features & (1ull << VHU_F_PROTOCOL_FEATURES);
	vhu_msg_u64(&m, VHU_SET_FEATURES, features);
	return vhu_request(c, &m, NULL);
}

int vhu_set_mem(struct vhu_conn *c, const struct vhu_region *r, const int *fds, unsigned n)
{
	struct vhu_msg m;
	int e = vhu_msg_mem(&m, r, fds, n);

	return e < 0 ? e : vhu_request(c, &m, NULL);
}

/* The ring operations as messages, for the hand-over vhost-net shares (vhost.h). */
static int u_state(void *be, uint32_t req, unsigned i, unsigned num)
{
	struct vhu_msg m;

	vhu_msg_state(&m, req, i, num);
	return vhu_request(be, &m, NULL);
}

static int u_fd(void *be, uint32_t req, unsigned i, int fd)
{
	struct vhu_msg m;

	vhu_msg_vring_fd(&m, req, i, fd);
	return vhu_request(be, &m, NULL);
}

static int u_num(void *be, unsigned i, unsigned num)
{
	return u_state(be, VHU_SET_VRING_NUM, i, num);
}

static int u_base(void *be, unsigned i, unsigned base)
{
	return u_state(be, VHU_SET_VRING_BASE, i, base);
}

static int u_addr(void *be, unsigned i, uint64_t desc, uint64_t used, uint64_t avail)
{
	struct vhu_msg m;

	vhu_msg_addr(&m, i, desc, used, avail);
	return vhu_request(be, &m, NULL);
}

static int u_call(void *be, unsigned i, int fd)
{
	return u_fd(be, VHU_SET_VRING_CALL, i, fd);
}

static int u_kick(void *be, unsigned i, int fd)
{
	return u_fd(be, VHU_SET_VRING_KICK, i, fd);
}

/* With protocol features a ring starts disabled ("Ring states"). */
static int u_enable(void *be, unsigned i)
{
	struct vhu_conn *c = be;

	if (!(c->features & (1ull << VHU_F_PROTOCOL_FEATURES)))
		return 0;
	return u_state(be, VHU_SET_VRING_ENABLE, i, 1);
}

static const struct vhost_vring_ops vhu_vring_ops = {
	.num = u_num, .base = u_base, .addr = u_addr, .call = u_call, .kick = u_kick,
	.enable = u_enable,
};

int vhu_vring_start(struct vhu_conn *c, unsigned index, unsigned num, uint16_t base,
		    const uint64_t uaddr[3], int kick, int call)
{
	const struct vhost_vring r = {
		.index = index, .num = num, .base = base, .desc = uaddr[0], .used = uaddr[1],
		.avail = uaddr[2], .kick = kick, .call = call, .err = -1,
	};
	const char *step;

	return vhost_vring_start(&vhu_vring_ops, c, &r, &step);
}

int vhu_vring_stop(struct vhu_conn *c, unsigned index, uint16_t *base)
{
	struct vhu_msg m, rep;
	int r;

	vhu_msg_state(&m, VHU_GET_VRING_BASE, index, 0);
	r = vhu_request(c, &m, &rep);
	if (r < 0)
		return r;
	if (rep.p.state.index != index)
		return -EPROTO;
	*base = rep.p.state.num;
	return 0;
}
