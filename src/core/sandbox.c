/* sandbox.c - compiles sandbox_rules.c's table into one BPF program per thread role with
 * libseccomp, installs them thread by thread, names a forbidden call, and drops root (--user). */
#include <errno.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pwd.h>
#include <sched.h>
#include <seccomp.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include "core/sandbox.h"

struct sandbox {
	enum sandbox_mode mode;
	struct sock_fprog prog[SB_NR];
};

/* The SIGSYS handler has no argument to find its thread's role by: the one piece of
 * per-thread state vfvm keeps, written once by sandbox_enter() on that thread. */
static __thread int sb_thread_role = -1;

static size_t sb_put(char *buf, size_t at, size_t cap, const char *s)
{
	while (*s && at + 1 < cap)
		buf[at++] = *s++;
	return at;
}

static size_t sb_put_num(char *buf, size_t at, size_t cap, unsigned long v, unsigned base)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v && n < (int)sizeof(tmp));
	while (n && at + 1 < cap)
		buf[at++] = tmp[--n];
	return at;
}

/* Async-signal-safe: no stdio, no allocation. The second forbidden call is refused too, and
 * with SIGSYS blocked inside its own handler the kernel resets it to the default action:
 * vfvm dies by SIGSYS (status 159 in a shell), as with SECCOMP_RET_KILL_PROCESS. */
static void sb_sigsys(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	char msg[512];
	size_t n = 0;

	(void)sig;
	n = sb_put(msg, n, sizeof(msg), "vfvm: seccomp: the ");
	n = sb_put(msg, n, sizeof(msg), sandbox_role_name(sb_thread_role));
	n = sb_put(msg, n, sizeof(msg), " thread made the forbidden system call ");
	n = sb_put(msg, n, sizeof(msg), sandbox_syscall_name(si->si_syscall));
	n = sb_put(msg, n, sizeof(msg), " (");
	n = sb_put_num(msg, n, sizeof(msg), (unsigned)si->si_syscall, 10);
	if (si->si_syscall == SYS_ioctl) {
		n = sb_put(msg, n, sizeof(msg), ", request 0x");
		n = sb_put_num(msg, n, sizeof(msg),
			       (unsigned long)uc->uc_mcontext.gregs[REG_RSI] & 0xffffffffUL, 16);
	}
	if (si->si_syscall == SYS_openat || si->si_syscall == SYS_open) {
		/* The path names the code that wanted it: worth the risk of a bad pointer in a
		 * process that is about to die anyway. */
		const char *path = (const char *)uc->uc_mcontext.gregs[
			si->si_syscall == SYS_open ? REG_RDI : REG_RSI];

		n = sb_put(msg, n, sizeof(msg), ", ");
		n = sb_put(msg, n, sizeof(msg) - 64, path ? path : "(null)");
	}
	n = sb_put(msg, n, sizeof(msg), "); vfvm is killed. This is a vfvm bug: please report "
		   "it; --seccomp=log finds every such call (docs/security.md)\n");
	if (write(STDERR_FILENO, msg, n) < 0) {
		/* nothing more to say */
	}
	syscall(SYS_uselib, NULL);
	syscall(SYS_exit_group, 1);
}

static int sb_rule_add(scmp_filter_ctx ctx, const struct sb_rule *r)
{
	switch (r->check) {
	case SB_ANY:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, r->nr, 0);
	case SB_IOCTL:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, r->nr, 1,
					SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, r->arg));
	case SB_NOEXEC:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, r->nr, 1,
					SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	case SB_THREAD:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, r->nr, 1,
					SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	case SB_ENOSYS:
		return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), r->nr, 0);
	}
	return -EINVAL;
}

/* libseccomp 2.5 exports BPF to a file descriptor only: a memfd gives it back as bytes. */
static int sb_export(scmp_filter_ctx ctx, struct sock_fprog *out)
{
	int fd = memfd_create("vfvm-seccomp", MFD_CLOEXEC), r;
	off_t len;

	if (fd < 0)
		return -errno;
	r = seccomp_export_bpf(ctx, fd);
	if (r)
		goto out;
	len = lseek(fd, 0, SEEK_END);
	r = -EINVAL;
	if (len <= 0 || len % sizeof(struct sock_filter) || len / sizeof(struct sock_filter) > 0xffff)
		goto out;
	out->filter = malloc(len);
	r = -ENOMEM;
	if (!out->filter)
		goto out;
	r = pread(fd, out->filter, len, 0) == len ? 0 : -EIO;
	out->len = len / sizeof(struct sock_filter);
out:
	close(fd);
	return r;
}

static int sb_compile(enum sandbox_mode mode, enum sandbox_role role, struct sock_fprog *out)
{
	uint32_t deflt = mode == SANDBOX_LOG ? SCMP_ACT_LOG : SCMP_ACT_TRAP;
	scmp_filter_ctx ctx = seccomp_init(deflt);
	const struct sb_rule *rules;
	unsigned n, bit = 1u << role;
	int r = 0;

	if (!ctx)
		return -ENOMEM;
	if (role == SB_MAIN)
		bit |= 1u << SB_VCPU;	/* see sandbox_allows() in sandbox.h */
	rules = sandbox_rules(&n);
	for (unsigned i = 0; i < n && !r; i++)
		if (rules[i].roles & bit)
			r = sb_rule_add(ctx, &rules[i]);
	if (!r)
		r = sb_export(ctx, out);
	seccomp_release(ctx);
	return r;
}

static void *sb_nothing(void *arg)
{
	return arg;
}

static int sb_warm_threads(void)
{
	pthread_t t;
	int r = pthread_create(&t, NULL, sb_nothing, NULL);

	if (r)
		return -r;
	pthread_join(t, NULL);
	return 0;
}

struct sandbox *sandbox_new(enum sandbox_mode mode, struct err *err)
{
	struct sigaction sa = { .sa_sigaction = sb_sigsys, .sa_flags = SA_SIGINFO };
	struct sandbox *sb = calloc(1, sizeof(*sb));
	int r;

	if (!sb) {
		err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	sb->mode = mode;
	if (mode == SANDBOX_OFF)
		return sb;
	for (int i = 0; i < SB_NR; i++) {
		r = sb_compile(mode, i, &sb->prog[i]);
		if (r) {
			err_set(err, -r, "seccomp: cannot build the %s thread's filter: %s",
				sandbox_role_name(i), strerror(-r));
			goto fail;
		}
	}
	/* What glibc does once, lazily, done now so that no list needs it: its own signal
	 * handlers (rt_sigaction) at the first pthread_create(), and the time zone that
	 * gmtime_r()/timegm() (the RTC) load at their first call (openat /etc/localtime). */
	tzset();
	r = sb_warm_threads();
	if (r) {
		err_set(err, -r, "cannot create a thread: %s", strerror(-r));
		goto fail;
	}
	/* Unprivileged filters need no_new_privs; threads inherit it from here. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || sigaction(SIGSYS, &sa, NULL)) {
		err_set(err, errno, "seccomp: %s", strerror(errno));
		goto fail;
	}
	return sb;
fail:
	sandbox_free(sb);
	return NULL;
}

void sandbox_free(struct sandbox *sb)
{
	if (!sb)
		return;
	for (int i = 0; i < SB_NR; i++)
		free(sb->prog[i].filter);
	free(sb);
}

int sandbox_enter(const struct sandbox *sb, enum sandbox_role role)
{
	if (!sb || sb->mode == SANDBOX_OFF)
		return 0;
	if ((unsigned)role >= SB_NR || !sb->prog[role].filter)
		return -EINVAL;
	sb_thread_role = role;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &sb->prog[role]))
		return -errno;
	if (role == SB_MAIN)
		sandbox_test_hook(role);
	return 0;
}

struct sb_start {
	void *(*fn)(void *);
	void *arg;
	const struct sandbox *sb;
	enum sandbox_role role;
	sem_t done;
	int result;
};

/* Does nothing in vfvm; build/vfvm-testhooks (tests/hooks/testhooks.c) replaces it to make a
 * forbidden call from a filtered thread, which proves the filter is on (docs/security.md). */
__attribute__((weak)) void sandbox_test_hook(enum sandbox_role role)
{
	(void)role;
}

static void *sb_trampoline(void *p)
{
	struct sb_start *s = p;
	void *(*fn)(void *) = s->fn;
	void *arg = s->arg;
	enum sandbox_role role = s->role;
	int r = sandbox_enter(s->sb, s->role);

	s->result = r;
	sem_post(&s->done);	/* @s belongs to the creator from here on */
	if (r)
		return NULL;
	sandbox_test_hook(role);
	return fn(arg);
}

int sandbox_thread_start(pthread_t *thread, const pthread_attr_t *attr, void *(*fn)(void *),
			 void *arg, const struct sandbox *sb, enum sandbox_role role)
{
	struct sb_start s = { .fn = fn, .arg = arg, .sb = sb, .role = role };
	int r;

	sem_init(&s.done, 0, 0);
	r = pthread_create(thread, attr, sb_trampoline, &s);
	if (r) {
		sem_destroy(&s.done);
		return -r;
	}
	while (sem_wait(&s.done) && errno == EINTR)
		;
	sem_destroy(&s.done);
	if (s.result)
		pthread_join(*thread, NULL);
	return s.result;
}

int sandbox_user_check(const char *name, struct err *err)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return err_input(err, EPERM, "--user %s needs vfvm started as root; as an ordinary "
				 "user, leave --user out (docs/security.md)", name);
	errno = 0;
	pw = getpwnam(name);
	if (!pw)
		return err_input(err, errno ? errno : ENOENT, "--user %s: no such user", name);
	if (pw->pw_uid == 0)
		return err_input(err, EINVAL, "--user %s is root; name an ordinary user", name);
	return 0;
}

int sandbox_drop_user(const char *name, struct err *err)
{
	struct passwd *pw;
	int r = sandbox_user_check(name, err);

	if (r)
		return r;
	pw = getpwnam(name);
	if (!pw)
		return err_input(err, ENOENT, "--user %s: no such user", name);
	if (initgroups(name, pw->pw_gid) || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid))
		return err_set(err, errno, "--user %s: cannot switch to uid %u: %s", name,
			       (unsigned)pw->pw_uid, strerror(errno));
	/* Make sure it sticks: root must be out of reach now. */
	if (setresuid(0, 0, 0) == 0)
		return err_set(err, EPERM, "--user %s: root could be regained; stopping", name);
	return 0;
}
