/* virtiofsd.h - a virtiofsd of vfvm's own for `--share`: found, started on a socket in a private
 * directory, waited for, and stopped (with its socket) whatever way the VM ends. */
#ifndef VFVM_VIRTIOFSD_H
#define VFVM_VIRTIOFSD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "core/err.h"

/* The two daemons' command lines differ: QEMU's C virtiofsd (Debian 12: /usr/lib/qemu/virtiofsd
 * from qemu-system-common) takes -o options, the standalone Rust daemon long options. */
enum virtiofsd_flavor { VIRTIOFSD_C, VIRTIOFSD_RUST };

#define VIRTIOFSD_ARGS_MAX	12

struct virtiofsd {
	pid_t pid;			/* 0: not running */
	int pidfd;			/* signals go to this process only */
	char dir[64];			/* private directory holding the socket */
	char sock[108];			/* sun_path */
	char bin[256];
	enum virtiofsd_flavor flavor;
};

/* A `virtiofsd` on PATH is preferred (the maintained Rust daemon), then QEMU's. @path (the
 * PATH value, may be NULL) is a parameter so that the choice is unit-tested. -ENOENT. */
int virtiofsd_find(const char *path, char *bin, size_t n);
/* The daemon's argv for @flavor (NULL-terminated, pointing into @buf); @chroot_sandbox for
 * hosts where its namespace sandbox cannot work. */
int virtiofsd_argv(enum virtiofsd_flavor f, const char *bin, const char *sock, const char *dir,
		   bool chroot_sandbox, char *buf, size_t n, char *argv[VIRTIOFSD_ARGS_MAX]);
/* Is / still the initramfs (rootfs) in @mounts (a /proc/self/mounts format file)? */
bool virtiofsd_on_rootfs(const char *mounts);
/* Starts @bin sharing @dir and waits (up to 5 s) for its socket to take connections. A daemon
 * that exits first is an error naming its status; its own message is on stderr above. */
int virtiofsd_start(struct virtiofsd *d, const char *bin, const char *dir, struct err *e);
/* SIGTERM, then SIGKILL after 2 s; the socket and its directory removed. Idempotent. */
void virtiofsd_stop(struct virtiofsd *d);

#endif
