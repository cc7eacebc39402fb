/* virtiofsd.c - starting and stopping the virtiofsd that serves `--share HOSTDIR` (the daemon
 * does the file system; vfvm only owns its life and its socket). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "virtio/virtiofsd.h"

#define VIRTIOFSD_QEMU	"/usr/lib/qemu/virtiofsd"

int virtiofsd_find(const char *path, char *bin, size_t n)
{
	const char *p = path;

	while (p && *p) {
		const char *end = strchrnul(p, ':');
		int len = snprintf(bin, n, "%.*s/virtiofsd", (int)(end - p), p);

		if (end > p && len > 0 && (size_t)len < n && access(bin, X_OK) == 0)
			return 0;
		p = *end ? end + 1 : end;
	}
	if (access(VIRTIOFSD_QEMU, X_OK) != 0)
		return -ENOENT;
	if (snprintf(bin, n, "%s", VIRTIOFSD_QEMU) >= (int)n)
		return -ENAMETOOLONG;
	return 0;
}

/* Appends one formatted argument to @buf and @argv. */
static int arg_add(char **argv, unsigned *argc, char *buf, size_t n, size_t *used,
		   const char *fmt, const char *s)
{
	int len = snprintf(buf + *used, n - *used, fmt, s);

	if (len < 0 || (size_t)len >= n - *used || *argc + 1 >= VIRTIOFSD_ARGS_MAX)
		return -ENAMETOOLONG;
	argv[(*argc)++] = buf + *used;
	*used += len + 1;
	return 0;
}

bool virtiofsd_on_rootfs(const char *mounts)
{
	char line[512];
	bool r = false;
	FILE *f = fopen(mounts, "re");

	if (!f)
		return false;
	/* The last mount on / is the one in effect: "rootfs / rootfs rw 0 0" only if nothing was
	 * mounted over it (an initramfs system, as the lab). */
	while (fgets(line, sizeof(line), f)) {
		char dev[128], at[256], type[64];

		if (sscanf(line, "%127s %255s %63s", dev, at, type) == 3 && !strcmp(at, "/"))
			r = !strcmp(type, "rootfs");
	}
	fclose(f);
	return r;
}

int virtiofsd_argv(enum virtiofsd_flavor f, const char *bin, const char *sock, const char *dir,
		   bool chroot_sandbox, char *buf, size_t n, char *argv[VIRTIOFSD_ARGS_MAX])
{
	unsigned argc = 0;
	size_t used = 0;
	int r = 0;

	r |= arg_add(argv, &argc, buf, n, &used, "%s", bin);
	r |= arg_add(argv, &argc, buf, n, &used, "--socket-path=%s", sock);
	if (f == VIRTIOFSD_C) {
		/* -f: stay in the foreground, so that vfvm's child is the daemon it stops. */
		r |= arg_add(argv, &argc, buf, n, &used, "%s", "-f");
		r |= arg_add(argv, &argc, buf, n, &used, "-osource=%s", dir);
		r |= arg_add(argv, &argc, buf, n, &used, "%s", "-ocache=auto");
		if (chroot_sandbox)
			r |= arg_add(argv, &argc, buf, n, &used, "%s", "-osandbox=chroot");
	} else {
		r |= arg_add(argv, &argc, buf, n, &used, "--shared-dir=%s", dir);
		r |= arg_add(argv, &argc, buf, n, &used, "%s", "--cache=auto");
		if (chroot_sandbox)
			r |= arg_add(argv, &argc, buf, n, &used, "%s", "--sandbox=chroot");
	}
	argv[argc] = NULL;
	return r ? -ENAMETOOLONG : 0;
}

/* QEMU's daemon is the one at its Debian path; any other `virtiofsd` is taken for the Rust one,
 * which is what distributions ship under that name now. */
static enum virtiofsd_flavor flavor_of(const char *bin)
{
	return strcmp(bin, VIRTIOFSD_QEMU) == 0 ? VIRTIOFSD_C : VIRTIOFSD_RUST;
}

static void child_exec(char *const argv[])
{
	sigset_t none;

	/* vfvm blocks the signals its signalfd takes; the daemon must get SIGTERM (below, and
	 * from virtiofsd_stop) and would inherit the mask through exec. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	/* The daemon must not outlive a vfvm that is killed outright. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	execv(argv[0], argv);
	fprintf(stderr, "vfvm: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Waits for the socket; -ECHILD (with the status in @e) if the daemon died first. */
static int wait_ready(struct virtiofsd *d, struct err *e)
{
	for (int i = 0; i < 500; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		int st;

		/* No probe connection: the C daemon serves one front end and then exits, so the
		 * socket file existing is the sign it listens (it binds, listens, then waits). */
		if (access(d->sock, F_OK) == 0)
			return 0;
		if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
			d->pid = 0;
			return err_set(e, ECHILD, "%s exited with status %d before its socket was "
				       "up (its message is above)", d->bin,
				       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		}
		nanosleep(&ts, NULL);
	}
	return err_set(e, ETIMEDOUT, "%s did not open its socket %s within 5 s", d->bin, d->sock);
}

int virtiofsd_start(struct virtiofsd *d, const char *bin, const char *dir, struct err *e)
{
	char buf[1024], *argv[VIRTIOFSD_ARGS_MAX];
	struct stat st;
	int r;

	memset(d, 0, sizeof(*d));
	d->pidfd = -1;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return err_input(e, ENOTDIR, "--share %s: no such directory; give an existing "
				 "host directory", dir);
	snprintf(d->bin, sizeof(d->bin), "%s", bin);
	d->flavor = flavor_of(bin);
	snprintf(d->dir, sizeof(d->dir), "/tmp/vfvm-fs.XXXXXX");
	if (!mkdtemp(d->dir))
		return err_set(e, errno, "cannot make a directory for virtiofsd's socket: %s",
			       strerror(errno));
	snprintf(d->sock, sizeof(d->sock), "%s/fs.sock", d->dir);
	/* The daemon's default sandbox pivot_root()s into the share, which an initramfs root
	 * cannot do (EINVAL); chroot is its documented choice for such systems and containers. */
	r = virtiofsd_argv(d->flavor, d->bin, d->sock, dir, virtiofsd_on_rootfs("/proc/self/mounts"),
			   buf, sizeof(buf), argv);
	if (r < 0) {
		err_input(e, -r, "--share %s: path too long", dir);
		goto fail;
	}
	d->pid = fork();
	if (d->pid < 0) {
		r = err_set(e, errno, "cannot start %s: %s", bin, strerror(errno));
		d->pid = 0;
		goto fail;
	}
	if (d->pid == 0)
		child_exec(argv);
	d->pidfd = pidfd_open(d->pid, 0);
	if (d->pidfd < 0) {
		r = err_set(e, errno, "pidfd_open of %s: %s", bin, strerror(errno));
		kill(d->pid, SIGKILL);	/* still unfiltered here */
		waitpid(d->pid, NULL, 0);
		d->pid = 0;
		goto fail;
	}
	r = wait_ready(d, e);
	if (r < 0)
		goto fail;
	return 0;
fail:
	virtiofsd_stop(d);
	return r;
}

void virtiofsd_stop(struct virtiofsd *d)
{
	if (d->pid > 0) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		int st, i;

		pidfd_send_signal(d->pidfd, SIGTERM, NULL, 0);
		for (i = 0; i < 200 && waitpid(d->pid, &st, WNOHANG) == 0; i++)
			nanosleep(&ts, NULL);
		if (i == 200) {
			pidfd_send_signal(d->pidfd, SIGKILL, NULL, 0);
			waitpid(d->pid, &st, 0);
		}
		d->pid = 0;
	}
	if (d->pidfd >= 0)
		close(d->pidfd);
	d->pidfd = -1;
	if (d->sock[0])
		unlink(d->sock);
	if (d->dir[0])
		rmdir(d->dir);
	d->sock[0] = d->dir[0] = '\0';
}
