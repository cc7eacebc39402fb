/* sandbox.h - least privilege for `vfvm run`: dropping root (--user) and one seccomp allow-list
 * per thread role, built with libseccomp during set-up and installed by each thread itself. */
#ifndef VFVM_SANDBOX_H
#define VFVM_SANDBOX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "core/err.h"

/* Which thread a filter is for (docs/security.md lists what each may do and why). */
enum sandbox_role { SB_MAIN, SB_VCPU, SB_IO, SB_CONSOLE, SB_NR };

enum sandbox_mode {
	SANDBOX_ON,	/* a call outside the list: one line naming it, then SIGSYS kills vfvm */
	SANDBOX_LOG,	/* allowed, but the kernel logs it (dmesg/audit: "type=1326 ... syscall=N") */
	SANDBOX_OFF,	/* no filter: unsafe with an untrusted guest */
};

/* How an allow-list entry constrains the arguments. */
enum sb_check {
	SB_ANY,		/* any arguments */
	SB_IOCTL,	/* ioctl whose request (arg 1) equals .arg */
	SB_NOEXEC,	/* mmap/mprotect whose prot (arg 2) lacks PROT_EXEC */
	SB_THREAD,	/* clone whose flags (arg 0) include CLONE_THREAD: threads, never processes */
	SB_ENOSYS,	/* refused with ENOSYS, not killed (clone3: glibc then falls back to clone) */
};

struct sb_rule {
	unsigned roles;		/* bit (1 << role) for each role that may make the call */
	enum sb_check check;
	long nr;		/* system call number (x86-64) */
	unsigned long arg;	/* SB_IOCTL: the request */
	const char *name;	/* for docs, tests and error messages */
};

/* The allow-list, in table order: rules[i] for i < *n. Pure data, for unit tests and docs. */
const struct sb_rule *sandbox_rules(unsigned *n);

/* Whether @role may make system call @nr with @args (the table's logic without a kernel,
 * for unit tests). SB_MAIN includes SB_VCPU: the main thread starts the vCPU threads (again
 * on every --reboot), a thread inherits its creator's filter and stacked filters intersect. */
bool sandbox_allows(enum sandbox_role role, long nr, const unsigned long args[6]);

/* "read", "ioctl", ... for a system call number; "?" when unknown. Async-signal-safe. */
const char *sandbox_syscall_name(long nr);

/* The name of @role ("main", "vcpu", "io", "console"). */
const char *sandbox_role_name(enum sandbox_role role);

/* Parse --seccomp's value: on, log, off. */
int sandbox_parse_mode(const char *s, enum sandbox_mode *out, struct err *err);

struct sandbox;

/*
 * Compile the filters for every role (nothing is installed yet), set PR_SET_NO_NEW_PRIVS and
 * the SIGSYS handler that names a forbidden call. Returns NULL with @err set on failure;
 * with SANDBOX_OFF returns a sandbox whose sandbox_enter() does nothing.
 */
struct sandbox *sandbox_new(enum sandbox_mode mode, struct err *err);
void sandbox_free(struct sandbox *sb);

/* Install @role's filter on the calling thread (irreversible). NULL @sb: nothing. Returns 0
 * or a negative errno. */
int sandbox_enter(const struct sandbox *sb, enum sandbox_role role);

/*
 * pthread_create() whose new thread first installs @role's filter (no-op for a NULL or off
 * @sb), then runs @fn(@arg). Returns 0, or a negative errno (the thread could not be made, or
 * could not install its filter and has been joined): a thread never runs unfiltered.
 */
int sandbox_thread_start(pthread_t *thread, const pthread_attr_t *attr, void *(*fn)(void *),
			 void *arg, const struct sandbox *sb, enum sandbox_role role);

/* Called by each thread right after its filter is on: a no-op in vfvm, a forbidden call in
 * the test build (tests/hooks/testhooks.c). */
void sandbox_test_hook(enum sandbox_role role);

/*
 * --user NAME: look the user up, then switch the whole process to its uid, gid and groups.
 * Call while vfvm is still single-threaded (glibc broadcasts setuid to every thread, and a
 * thread already under its filter may not make that call). Bad name or not root: err_input.
 */
int sandbox_drop_user(const char *name, struct err *err);
/* The checks of sandbox_drop_user() without the switch: bad input is found before set-up. */
int sandbox_user_check(const char *name, struct err *err);

#endif
