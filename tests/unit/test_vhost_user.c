/* test_vhost_user.c - the vhost-user front end: message bytes and fds on a socketpair, bad
 * replies refused, and a real virtiofsd (Debian's) served FUSE requests through a virtqueue in
 * shared memory, with no guest and no KVM: the whole data path --share hands over. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include "virtio/vhost_user.h"
#include "virtio/virtiofsd.h"

/* ---- the wire ---- */

static void pair(struct vhu_conn *c, int *peer)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	memset(c, 0, sizeof(*c));
	c->fd = sv[0];
	c->timeout_ms = 1000;
	*peer = sv[1];
}

/* Reads what one sendmsg put on the socket, with the fds that came along. */
static size_t peer_read(int peer, uint8_t *buf, size_t n, int *fds, unsigned *nfds)
{
	char ctl[CMSG_SPACE(8 * sizeof(int))];
	struct iovec iov = { buf, n };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			     .msg_controllen = sizeof(ctl) };
	ssize_t got = recvmsg(peer, &mh, 0);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	assert_true(got > 0);
	*nfds = 0;
	if (cm && cm->cmsg_type == SCM_RIGHTS) {
		*nfds = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		memcpy(fds, CMSG_DATA(cm), *nfds * sizeof(int));
	}
	return got;
}

static void test_vring_addr_bytes(void **s)
{
	static const uint8_t want[] = {
		9, 0, 0, 0,  1, 0, 0, 0,  40, 0, 0, 0,		/* SET_VRING_ADDR, v1, 40 bytes */
		2, 0, 0, 0,  0, 0, 0, 0,			/* index 2, flags 0 */
		0x00, 0x10, 0, 0, 0, 0, 0, 0,			/* desc */
		0x00, 0x30, 0, 0, 0, 0, 0, 0,			/* used */
		0x00, 0x20, 0, 0, 0, 0, 0, 0,			/* avail */
		0, 0, 0, 0, 0, 0, 0, 0,				/* log */
	};
	struct vhu_conn c;
	struct vhu_msg m;
	uint8_t buf[128];
	int peer, fds[8];
	unsigned nfds;

	(void)s;
	pair(&c, &peer);
	vhu_msg_addr(&m, 2, 0x1000, 0x3000, 0x2000);
	assert_int_equal(vhu_request(&c, &m, NULL), 0);	/* no REPLY_ACK: no answer awaited */
	assert_int_equal(peer_read(peer, buf, sizeof(buf), fds, &nfds), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(nfds, 0);
	vhu_close(&c);
	close(peer);
}

static void test_kick_fd_and_nofd(void **s)
{
	struct vhu_conn c;
	struct vhu_msg m;
	uint8_t buf[64];
	int peer, fds[8], efd = eventfd(0, EFD_CLOEXEC);
	unsigned nfds;
	uint64_t v;

	(void)s;
	pair(&c, &peer);
	vhu_msg_vring_fd(&m, VHU_SET_VRING_KICK, 1, efd);
	assert_int_equal(vhu_send(&c, &m), 0);
	assert_int_equal(peer_read(peer, buf, sizeof(buf), fds, &nfds), VHU_HDR_SIZE + 8);
	assert_int_equal(buf[0], VHU_SET_VRING_KICK);
	memcpy(&v, buf + VHU_HDR_SIZE, 8);
	assert_int_equal(v, 1);
	assert_int_equal(nfds, 1);
	/* The fd that arrived is the same eventfd: a write on it is seen on ours. */
	v = 5;
	assert_int_equal(write(fds[0], &v, 8), 8);
	assert_int_equal(read(efd, &v, 8), 8);
	assert_int_equal(v, 5);
	close(fds[0]);
	vhu_msg_vring_fd(&m, VHU_SET_VRING_CALL, 3, -1);
	assert_int_equal(vhu_send(&c, &m), 0);
	assert_int_equal(peer_read(peer, buf, sizeof(buf), fds, &nfds), VHU_HDR_SIZE + 8);
	memcpy(&v, buf + VHU_HDR_SIZE, 8);
	assert_int_equal(v, 3 | VHU_VRING_NOFD);
	assert_int_equal(nfds, 0);
	close(efd);
	vhu_close(&c);
	close(peer);
}

static void test_mem_table(void **s)
{
	struct vhu_region r[2] = { { 0, 0x9fc00, 0x7f0000000000, 0 },
				   { 0x100000, 0x100000, 0x7f0000100000, 0x100000 } };
	int fd = eventfd(0, 0), fds[2] = { fd, fd };
	struct vhu_msg m, big;
	struct vhu_region many[9] = { { 0 } };
	int manyfds[9] = { 0 };

	(void)s;
	assert_int_equal(vhu_msg_mem(&m, r, fds, 2), 0);
	assert_int_equal(m.size, 8 + 2 * 32);
	assert_int_equal(m.nfds, 2);
	assert_int_equal(m.p.mem.nregions, 2);
	assert_int_equal(vhu_msg_mem(&big, many, manyfds, 9), -E2BIG);
	close(fd);
}

/* Writes a raw reply on the peer side. */
static void peer_reply(int peer, uint32_t req, uint32_t flags, uint32_t size, uint64_t v)
{
	uint8_t buf[VHU_HDR_SIZE + 8];

	memcpy(buf, &req, 4);
	memcpy(buf + 4, &flags, 4);
	memcpy(buf + 8, &size, 4);
	memcpy(buf + 12, &v, 8);
	assert_int_equal(write(peer, buf, VHU_HDR_SIZE + (size > 8 ? 8 : size)),
			 VHU_HDR_SIZE + (size > 8 ? 8 : size));
}

static void test_bad_replies(void **s)
{
	struct vhu_conn c;
	struct vhu_msg m, rep;
	uint8_t buf[64];
	int peer, fds[8];
	unsigned nfds;

	(void)s;
	pair(&c, &peer);
	/* A good answer. */
	peer_reply(peer, VHU_GET_FEATURES, VHU_VERSION | VHU_FLAG_REPLY, 8, 0x40000001);
	vhu_msg_plain(&m, VHU_GET_FEATURES);
	assert_int_equal(vhu_request(&c, &m, &rep), 0);
	assert_int_equal(rep.p.u64, 0x40000001);
	peer_read(peer, buf, sizeof(buf), fds, &nfds);
	/* No reply flag; another request's answer; a wrong size; a size beyond any payload. */
	peer_reply(peer, VHU_GET_FEATURES, VHU_VERSION, 8, 0);
	assert_int_equal(vhu_request(&c, &m, &rep), -EPROTO);
	peer_read(peer, buf, sizeof(buf), fds, &nfds);
	peer_reply(peer, VHU_GET_QUEUE_NUM, VHU_VERSION | VHU_FLAG_REPLY, 8, 0);
	assert_int_equal(vhu_request(&c, &m, &rep), -EPROTO);
	peer_read(peer, buf, sizeof(buf), fds, &nfds);
	peer_reply(peer, VHU_GET_FEATURES, VHU_VERSION | VHU_FLAG_REPLY, 4, 0);
	assert_int_equal(vhu_request(&c, &m, &rep), -EPROTO);
	peer_read(peer, buf, sizeof(buf), fds, &nfds);
	peer_reply(peer, VHU_GET_FEATURES, VHU_VERSION | VHU_FLAG_REPLY, 0x10000, 0);
	assert_int_equal(vhu_request(&c, &m, &rep), -EPROTO);
	peer_read(peer, buf, sizeof(buf), fds, &nfds);
	vhu_close(&c);
	close(peer);
}

static void test_ack_and_silence(void **s)
{
	struct vhu_conn c;
	struct vhu_msg m;
	uint8_t buf[64];
	int peer, fds[8];
	unsigned nfds;

	(void)s;
	pair(&c, &peer);
	c.protocol = 1ull << VHU_PROTO_F_REPLY_ACK;
	/* With REPLY_ACK a non-zero ack is the back end refusing. */
	peer_reply(peer, VHU_SET_OWNER, VHU_VERSION | VHU_FLAG_REPLY, 8, 1);
	vhu_msg_plain(&m, VHU_SET_OWNER);
	assert_int_equal(vhu_request(&c, &m, NULL), -EIO);
	assert_int_equal(peer_read(peer, buf, sizeof(buf), fds, &nfds), VHU_HDR_SIZE);
	assert_true(buf[4] & VHU_FLAG_NEED_REPLY);
	/* A back end that says nothing: a timeout, not a hang; one that is gone: reset. */
	c.timeout_ms = 100;
	vhu_msg_plain(&m, VHU_GET_FEATURES);
	assert_int_equal(vhu_request(&c, &m, NULL), -ETIMEDOUT);
	close(peer);
	vhu_msg_plain(&m, VHU_GET_FEATURES);
	assert_true(vhu_request(&c, &m, NULL) < 0);
	vhu_close(&c);
	assert_int_equal(vhu_connect(&c, "/nonexistent/vfvm.sock"), -ENOENT);
}

/* ---- virtiofsd: finding it and its command line ---- */

static void test_find_and_argv(void **s)
{
	char bin[256], buf[512], *argv[VIRTIOFSD_ARGS_MAX], dir[] = "/tmp/vfvm-test.XXXXXX";
	char path[300];
	int fd;

	(void)s;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/virtiofsd", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0755);
	assert_true(fd >= 0);
	close(fd);
	/* On PATH first (an empty element and a missing one are skipped). */
	snprintf(buf, sizeof(buf), "::/nonexistent:%s", dir);
	assert_int_equal(virtiofsd_find(buf, bin, sizeof(bin)), 0);
	assert_string_equal(bin, path);
	unlink(path);
	rmdir(dir);
	if (virtiofsd_find("/nonexistent", bin, sizeof(bin)) == 0)
		assert_string_equal(bin, "/usr/lib/qemu/virtiofsd");

	assert_int_equal(virtiofsd_argv(VIRTIOFSD_C, "/usr/lib/qemu/virtiofsd", "/t/fs.sock",
					"/srv/x", false, buf, sizeof(buf), argv), 0);
	assert_string_equal(argv[1], "--socket-path=/t/fs.sock");
	assert_string_equal(argv[2], "-f");
	assert_string_equal(argv[3], "-osource=/srv/x");
	assert_null(argv[5]);
	assert_int_equal(virtiofsd_argv(VIRTIOFSD_C, "/usr/lib/qemu/virtiofsd", "/t/fs.sock",
					"/srv/x", true, buf, sizeof(buf), argv), 0);
	assert_string_equal(argv[5], "-osandbox=chroot");
	assert_null(argv[6]);
	assert_int_equal(virtiofsd_argv(VIRTIOFSD_RUST, "virtiofsd", "/t/fs.sock", "/srv/x",
					true, buf, sizeof(buf), argv), 0);
	assert_string_equal(argv[2], "--shared-dir=/srv/x");
	assert_string_equal(argv[4], "--sandbox=chroot");
	assert_null(argv[5]);
	assert_int_equal(virtiofsd_argv(VIRTIOFSD_C, "v", "/t/fs.sock", "/srv/x", false, buf, 20,
					argv), -ENAMETOOLONG);
}

static void test_rootfs(void **s)
{
	char path[] = "/tmp/vfvm-mounts.XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	(void)s;
	fputs("rootfs / rootfs rw 0 0\nproc /proc proc rw 0 0\n", f);
	fflush(f);
	assert_true(virtiofsd_on_rootfs(path));
	fputs("/dev/vda1 / ext4 rw 0 0\n", f);	/* mounted over the initramfs */
	fclose(f);
	assert_false(virtiofsd_on_rootfs(path));
	unlink(path);
	assert_false(virtiofsd_on_rootfs("/nonexistent"));
}

static void test_share_missing_dir(void **s)
{
	struct virtiofsd d;
	struct err e = { 0 };

	(void)s;
	assert_int_equal(virtiofsd_start(&d, "/bin/true", "/nonexistent/dir", &e), -ENOTDIR);
	assert_true(e.usage);
	assert_non_null(strstr(e.msg, "/nonexistent/dir"));
	/* A daemon that exits at once is named with its status; nothing is left behind. */
	assert_int_equal(virtiofsd_start(&d, "/bin/false", "/tmp", &e), -ECHILD);
	assert_non_null(strstr(e.msg, "status 1"));
	assert_int_equal(d.pid, 0);
	assert_int_equal(d.dir[0], 0);
}

/* vfvm blocks SIGTERM (its signalfd takes it): the daemon must still stop at SIGTERM, not
 * only at the SIGKILL 2 s later, and so must have an empty signal mask. */
static void test_virtiofsd_sigterm(void **s)
{
	struct virtiofsd d;
	struct err e = { 0 };
	struct timespec t0, t1;
	char bin[256], dir[] = "/tmp/vfvm-share.XXXXXX";
	sigset_t set, old;
	double took;

	(void)s;
	if (getuid() != 0 || virtiofsd_find(getenv("PATH"), bin, sizeof(bin)) < 0) {
		printf("SKIP test_virtiofsd_sigterm: needs root and a virtiofsd\n");
		skip();
	}
	assert_non_null(mkdtemp(dir));
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	assert_int_equal(virtiofsd_start(&d, bin, dir, &e), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	virtiofsd_stop(&d);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	took = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	rmdir(dir);
	if (took >= 1.5)
		fail_msg("virtiofsd took %.2f s to stop: SIGTERM did not reach it", took);
}

/* ---- a real virtiofsd: a driver-side split ring in a memfd ---- */

#define QSZ	8
#define MEMSZ	(1 << 20)
#define RING	0x1000		/* desc at RING, avail at RING + 0x100, used at RING + 0x200 */
#define BUFS	0x10000

struct drv {
	uint8_t *mem;
	int memfd, kick, call;
	uint16_t avail_idx, used_seen;
	struct vhu_conn c;
	struct virtiofsd d;
	char dir[64];
};

struct desc { uint64_t addr; uint32_t len; uint16_t flags, next; };

static uint64_t ua(struct drv *v, uint64_t off) { return (uint64_t)(uintptr_t)(v->mem + off); }

/* Posts one request (@in bytes the device reads, @outlen it may write) and waits for it. */
static uint32_t fuse_call(struct drv *v, const void *in, uint32_t inlen, uint32_t outlen)
{
	struct desc *d = (struct desc *)(v->mem + RING);
	uint16_t *avail = (uint16_t *)(v->mem + RING + 0x100);
	volatile uint16_t *used_idx = (uint16_t *)(v->mem + RING + 0x200 + 2);
	uint32_t *used_ring = (uint32_t *)(v->mem + RING + 0x200 + 4);
	struct pollfd p = { .fd = v->call, .events = POLLIN };
	uint64_t one = 1;

	memcpy(v->mem + BUFS, in, inlen);
	memset(v->mem + BUFS + 0x8000, 0, outlen);
	d[0] = (struct desc){ (uint64_t)BUFS, inlen, 1, 1 };		/* NEXT */
	d[1] = (struct desc){ (uint64_t)BUFS + 0x8000, outlen, 2, 0 };	/* WRITE */
	avail[2 + v->avail_idx % QSZ] = 0;
	__atomic_store_n(&avail[1], ++v->avail_idx, __ATOMIC_RELEASE);
	assert_int_equal(write(v->kick, &one, 8), 8);
	while (__atomic_load_n(used_idx, __ATOMIC_ACQUIRE) == v->used_seen) {
		assert_int_equal(poll(&p, 1, 5000), 1);
		assert_int_equal(read(v->call, &one, 8), 8);
	}
	v->used_seen++;
	return used_ring[2 * ((v->used_seen - 1) % QSZ) + 1];
}

static struct fuse_out_header *out_hdr(struct drv *v)
{
	return (struct fuse_out_header *)(v->mem + BUFS + 0x8000);
}

static void in_hdr(struct fuse_in_header *h, uint32_t len, uint32_t op, uint64_t unique,
		   uint64_t node)
{
	memset(h, 0, sizeof(*h));
	h->len = len;
	h->opcode = op;
	h->unique = unique;
	h->nodeid = node;
}

static int drv_setup(void **s)
{
	struct drv *v = calloc(1, sizeof(*v));
	struct vhu_region r = { 0, MEMSZ, 0, 0 };
	struct err e = { 0 };
	char bin[256], file[128];
	uint64_t addrs[3];
	int fd;

	*s = v;
	if (getuid() != 0 || virtiofsd_find(getenv("PATH"), bin, sizeof(bin)) < 0)
		return 0;	/* the test says why it skips */
	snprintf(v->dir, sizeof(v->dir), "/tmp/vfvm-share.XXXXXX");
	assert_non_null(mkdtemp(v->dir));
	snprintf(file, sizeof(file), "%s/hello.txt", v->dir);
	fd = open(file, O_CREAT | O_WRONLY, 0644);
	assert_int_equal(write(fd, "written on the host\n", 20), 20);
	close(fd);
	assert_int_equal(virtiofsd_start(&v->d, bin, v->dir, &e), 0);
	assert_int_equal(vhu_connect(&v->c, v->d.sock), 0);
	assert_int_equal(vhu_handshake(&v->c), 0);
	assert_true(v->c.features & (1ull << 32));	/* VIRTIO_F_VERSION_1 */
	v->memfd = memfd_create("vfvm-test-ram", MFD_CLOEXEC);
	assert_int_equal(ftruncate(v->memfd, MEMSZ), 0);
	v->mem = mmap(NULL, MEMSZ, PROT_READ | PROT_WRITE, MAP_SHARED, v->memfd, 0);
	assert_true(v->mem != MAP_FAILED);
	r.uaddr = ua(v, 0);
	assert_int_equal(vhu_set_features(&v->c, 1ull << 32), 0);
	assert_int_equal(vhu_set_mem(&v->c, &r, &v->memfd, 1), 0);
	v->kick = eventfd(0, EFD_CLOEXEC);
	v->call = eventfd(0, EFD_CLOEXEC);
	addrs[0] = ua(v, RING);
	addrs[1] = ua(v, RING + 0x200);
	addrs[2] = ua(v, RING + 0x100);
	/* Queue 1: the first request queue (queue 0 is hiprio, virtio 1.2 §5.11.2). */
	assert_int_equal(vhu_vring_start(&v->c, 1, QSZ, 0, addrs, v->kick, v->call), 0);
	return 0;
}

static int drv_teardown(void **s)
{
	struct drv *v = *s;
	char file[128];

	vhu_close(&v->c);
	virtiofsd_stop(&v->d);
	if (v->dir[0]) {
		snprintf(file, sizeof(file), "%s/hello.txt", v->dir);
		unlink(file);
		snprintf(file, sizeof(file), "%s/from-guest.txt", v->dir);
		unlink(file);
		rmdir(v->dir);
	}
	if (v->mem)
		munmap(v->mem, MEMSZ);
	free(v);
	return 0;
}

static void fuse_init(struct drv *v)
{
	struct { struct fuse_in_header h; struct fuse_init_in i; } in;
	struct fuse_init_out *o = (struct fuse_init_out *)(out_hdr(v) + 1);
	uint32_t len;

	in_hdr(&in.h, sizeof(in), FUSE_INIT, 1, 0);
	memset(&in.i, 0, sizeof(in.i));
	in.i.major = FUSE_KERNEL_VERSION;
	in.i.minor = 31;
	in.i.max_readahead = 65536;
	len = fuse_call(v, &in, sizeof(in), sizeof(struct fuse_out_header) + sizeof(*o));
	assert_true(len >= sizeof(struct fuse_out_header));
	assert_int_equal(out_hdr(v)->error, 0);
	assert_int_equal(out_hdr(v)->unique, 1);
	assert_int_equal(o->major, 7);
}

static void test_virtiofsd_read(void **s)
{
	struct drv *v = *s;
	struct { struct fuse_in_header h; char name[16]; } lk;
	struct { struct fuse_in_header h; struct fuse_open_in o; } op;
	struct { struct fuse_in_header h; struct fuse_read_in r; } rd;
	uint64_t node, fh;
	uint32_t len;

	if (!v->mem) {
		printf("SKIP test_virtiofsd_read: needs root and a virtiofsd "
		       "(/usr/lib/qemu/virtiofsd from qemu-system-common)\n");
		skip();
	}
	fuse_init(v);
	in_hdr(&lk.h, sizeof(lk.h) + 10, FUSE_LOOKUP, 2, FUSE_ROOT_ID);
	memcpy(lk.name, "hello.txt", 10);
	fuse_call(v, &lk, lk.h.len, sizeof(struct fuse_out_header) + sizeof(struct fuse_entry_out));
	assert_int_equal(out_hdr(v)->error, 0);
	node = ((struct fuse_entry_out *)(out_hdr(v) + 1))->nodeid;
	assert_int_equal(((struct fuse_entry_out *)(out_hdr(v) + 1))->attr.size, 20);
	in_hdr(&op.h, sizeof(op), FUSE_OPEN, 3, node);
	memset(&op.o, 0, sizeof(op.o));
	op.o.flags = O_RDONLY;
	fuse_call(v, &op, sizeof(op), sizeof(struct fuse_out_header) + sizeof(struct fuse_open_out));
	assert_int_equal(out_hdr(v)->error, 0);
	fh = ((struct fuse_open_out *)(out_hdr(v) + 1))->fh;
	in_hdr(&rd.h, sizeof(rd), FUSE_READ, 4, node);
	memset(&rd.r, 0, sizeof(rd.r));
	rd.r.fh = fh;
	rd.r.size = 4096;
	len = fuse_call(v, &rd, sizeof(rd), sizeof(struct fuse_out_header) + 4096);
	assert_int_equal(out_hdr(v)->error, 0);
	assert_int_equal(len, sizeof(struct fuse_out_header) + 20);
	assert_memory_equal(out_hdr(v) + 1, "written on the host\n", 20);
	/* A name that is not there: the daemon's ENOENT reaches the ring. */
	in_hdr(&lk.h, sizeof(lk.h) + 8, FUSE_LOOKUP, 5, FUSE_ROOT_ID);
	memcpy(lk.name, "missing", 8);
	fuse_call(v, &lk, lk.h.len, sizeof(struct fuse_out_header) + sizeof(struct fuse_entry_out));
	assert_int_equal(out_hdr(v)->error, -ENOENT);
}

static void test_virtiofsd_killed(void **s)
{
	struct drv *v = *s;
	struct vhu_msg m;
	struct pollfd hup;
	uint16_t base;

	if (!v->mem) {
		printf("SKIP test_virtiofsd_killed: needs root and a virtiofsd\n");
		skip();
	}
	fuse_init(v);
	/* GET_VRING_BASE stops the ring and says how far the daemon got: one request. */
	assert_int_equal(vhu_vring_stop(&v->c, 1, &base), 0);
	assert_int_equal(base, 1);
	/* SIGKILL of the daemon. QEMU's C virtiofsd serves from a child in its own pid namespace
	 * that follows its parent by PR_SET_PDEATHSIG, so the socket hangs up a moment later:
	 * within the front end's timeout, and from then on every request fails, none hangs. */
	kill(v->d.pid, SIGKILL);
	assert_int_equal(waitpid(v->d.pid, NULL, 0), v->d.pid);
	v->d.pid = 0;
	hup.fd = v->c.fd;
	hup.events = POLLIN;
	assert_int_equal(poll(&hup, 1, VHU_TIMEOUT_MS), 1);
	assert_true(hup.revents & (POLLHUP | POLLIN));
	vhu_msg_plain(&m, VHU_GET_FEATURES);
	assert_true(vhu_request(&v->c, &m, NULL) < 0);
	virtiofsd_stop(&v->d);
	assert_int_equal(access(v->d.sock, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vring_addr_bytes),
		cmocka_unit_test(test_kick_fd_and_nofd),
		cmocka_unit_test(test_mem_table),
		cmocka_unit_test(test_bad_replies),
		cmocka_unit_test(test_ack_and_silence),
		cmocka_unit_test(test_find_and_argv),
		cmocka_unit_test(test_rootfs),
		cmocka_unit_test(test_share_missing_dir),
		cmocka_unit_test(test_virtiofsd_sigterm),
		cmocka_unit_test_setup_teardown(test_virtiofsd_read, drv_setup, drv_teardown),
		cmocka_unit_test_setup_teardown(test_virtiofsd_killed, drv_setup, drv_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
