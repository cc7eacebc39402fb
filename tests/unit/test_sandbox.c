/* test_sandbox.c - the seccomp allow-lists (table logic, then real filters in forked children:
 * an allowed call works, a forbidden one kills with its name) and --user's checks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <linux/kvm.h>
#include <linux/vfio.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/vhost.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "core/sandbox.h"

static const unsigned long none[6];

static bool allows_ioctl(enum sandbox_role role, unsigned long req)
{
	unsigned long a[6] = { 3, req };

	return sandbox_allows(role, SYS_ioctl, a);
}

static void test_table_roles(void **state)
{
	(void)state;
	assert_true(allows_ioctl(SB_VCPU, KVM_RUN));
	/* The main thread starts vCPU threads and filters stack: it has the vCPU list too. */
	assert_true(allows_ioctl(SB_MAIN, KVM_RUN));
	assert_false(allows_ioctl(SB_IO, KVM_RUN));
	assert_false(allows_ioctl(SB_CONSOLE, KVM_RUN));
	assert_true(allows_ioctl(SB_IO, KVM_SIGNAL_MSI));
	/* vhost-net: the rings at DRIVER_OK and reset (vCPU, and the main thread's --reboot),
	 * never the device thread; SET_OWNER is set-up only. */
	assert_true(allows_ioctl(SB_VCPU, VHOST_NET_SET_BACKEND));
	assert_true(allows_ioctl(SB_MAIN, VHOST_GET_VRING_BASE));
	assert_true(allows_ioctl(SB_VCPU, VHOST_SET_MEM_TABLE));
	assert_false(allows_ioctl(SB_IO, VHOST_SET_VRING_KICK));
	for (int r = 0; r < SB_NR; r++)
		assert_false(allows_ioctl(r, VHOST_SET_OWNER));
	/* --viommu: guest MAP/UNMAP on the vCPU that kicked the queue; tear-down on main. */
	assert_true(allows_ioctl(SB_VCPU, VFIO_IOMMU_MAP_DMA));
	assert_true(allows_ioctl(SB_VCPU, VFIO_IOMMU_UNMAP_DMA));
	assert_true(allows_ioctl(SB_MAIN, VFIO_IOMMU_UNMAP_DMA));
	/* The device thread serves the viommu request queue when its kick is an ioeventfd. */
	assert_true(allows_ioctl(SB_IO, VFIO_IOMMU_MAP_DMA));
	assert_false(allows_ioctl(SB_CONSOLE, VFIO_IOMMU_UNMAP_DMA));
	for (int r = 0; r < SB_NR; r++)
		assert_false(allows_ioctl(r, VFIO_IOMMU_GET_INFO));
	/* Set-up-only ioctls are in no list. */
	for (int r = 0; r < SB_NR; r++) {
		assert_false(allows_ioctl(r, KVM_CREATE_VM));
		assert_false(allows_ioctl(r, KVM_CREATE_VCPU));
		assert_false(allows_ioctl(r, 0));
		assert_true(sandbox_allows(r, SYS_read, none));
		assert_true(sandbox_allows(r, SYS_futex, none));
	}
	assert_true(sandbox_allows(SB_VCPU, SYS_pwrite64, none));
	assert_false(sandbox_allows(SB_CONSOLE, SYS_pwrite64, none));
	assert_false(sandbox_allows(SB_NR, SYS_read, none));
}

static void test_table_never(void **state)
{
	static const long never[] = { SYS_execve, SYS_execveat, SYS_open, SYS_openat, SYS_socket,
				      SYS_connect, SYS_ptrace, SYS_fork, SYS_vfork, SYS_kill,
				      SYS_setuid, SYS_mount, SYS_init_module, SYS_uselib };

	(void)state;
	for (int r = 0; r < SB_NR; r++)
		for (unsigned i = 0; i < sizeof(never) / sizeof(never[0]); i++)
			assert_false(sandbox_allows(r, never[i], none));
}

static void test_table_args(void **state)
{
	unsigned long rw[6] = { 0, 4096, PROT_READ | PROT_WRITE };
	unsigned long rx[6] = { 0, 4096, PROT_READ | PROT_EXEC };
	unsigned long thr[6] = { CLONE_VM | CLONE_THREAD | CLONE_SIGHAND };
	unsigned long proc[6] = { CLONE_VM | SIGCHLD };

	(void)state;
	for (int r = 0; r < SB_NR; r++) {
		assert_true(sandbox_allows(r, SYS_mmap, rw));
		assert_false(sandbox_allows(r, SYS_mmap, rx));
		assert_false(sandbox_allows(r, SYS_mprotect, rx));
		assert_false(sandbox_allows(r, SYS_clone3, none));
	}
	assert_true(sandbox_allows(SB_MAIN, SYS_clone, thr));
	assert_false(sandbox_allows(SB_MAIN, SYS_clone, proc));
	assert_false(sandbox_allows(SB_VCPU, SYS_clone, thr));
}

static void test_names(void **state)
{
	unsigned n;
	const struct sb_rule *r = sandbox_rules(&n);

	(void)state;
	assert_string_equal(sandbox_syscall_name(SYS_read), "read");
	assert_string_equal(sandbox_syscall_name(SYS_ioctl), "ioctl");
	assert_string_equal(sandbox_syscall_name(SYS_socket), "socket");
	assert_string_equal(sandbox_syscall_name(-1), "?");
	assert_string_equal(sandbox_syscall_name(100000), "?");
	assert_string_equal(sandbox_role_name(SB_VCPU), "vcpu");
	/* Every non-ioctl rule's name is the kernel's name for its number. */
	for (unsigned i = 0; i < n; i++)
		if (r[i].check != SB_IOCTL)
			assert_string_equal(sandbox_syscall_name(r[i].nr), r[i].name);
}

static void test_parse_mode(void **state)
{
	enum sandbox_mode m;
	struct err e = { 0 };

	(void)state;
	assert_int_equal(sandbox_parse_mode("on", &m, &e), 0);
	assert_int_equal(m, SANDBOX_ON);
	assert_int_equal(sandbox_parse_mode("log", &m, &e), 0);
	assert_int_equal(m, SANDBOX_LOG);
	assert_int_equal(sandbox_parse_mode("off", &m, &e), 0);
	assert_int_equal(m, SANDBOX_OFF);
	assert_int_equal(sandbox_parse_mode("strict", &m, &e), -EINVAL);
	assert_true(e.usage);
	assert_non_null(strstr(e.msg, "'strict'"));
}

/* Run @fn in a child under @mode's @role filter; returns the wait status, stderr in @out. */
static int in_child(enum sandbox_mode mode, enum sandbox_role role, void (*fn)(void),
		    char *out, size_t cap)
{
	int p[2], status = 0;
	ssize_t n, got = 0;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct err e = { 0 };
		struct sandbox *sb;

		dup2(p[1], STDERR_FILENO);
		close(p[0]);
		sb = sandbox_new(mode, &e);
		if (!sb) {
			fprintf(stderr, "sandbox_new: %s\n", e.msg);
			_exit(90);
		}
		if (sandbox_enter(sb, role))
			_exit(91);
		fn();
		syscall(SYS_exit_group, 0);
	}
	close(p[1]);
	while (got + 1 < (ssize_t)cap && (n = read(p[0], out + got, cap - 1 - got)) > 0)
		got += n;
	out[got] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void call_allowed(void)
{
	char buf[64];
	void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED || write(STDERR_FILENO, "alive\n", 6) != 6)
		syscall(SYS_exit_group, 92);
	snprintf(buf, sizeof(buf), "%p", m);
	munmap(m, 4096);
}

static void call_socket(void)
{
	call_allowed();
	syscall(SYS_socket, 2, 1, 0);
	syscall(SYS_exit_group, 93);	/* not reached: the filter kills first */
}

static void call_create_vm(void)
{
	ioctl(-1, KVM_CREATE_VM, 0);
	syscall(SYS_exit_group, 93);
}

static void call_exec_mmap(void)
{
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	syscall(SYS_exit_group, 93);
}

static void call_getppid(void)
{
	if (syscall(SYS_getppid) <= 0)
		syscall(SYS_exit_group, 94);
}

static void test_filter_allows(void **state)
{
	char out[512];
	int st;

	(void)state;
	for (int r = 0; r < SB_NR; r++) {
		st = in_child(SANDBOX_ON, r, call_allowed, out, sizeof(out));
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
		assert_string_equal(out, "alive\n");
	}
}

static void test_filter_kills_with_name(void **state)
{
	char out[512];
	int st = in_child(SANDBOX_ON, SB_VCPU, call_socket, out, sizeof(out));

	(void)state;
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSYS);
	assert_non_null(strstr(out, "alive\n"));
	assert_non_null(strstr(out, "vfvm: seccomp: the vcpu thread made the forbidden system "
				    "call socket (41)"));
}

static void test_filter_names_ioctl(void **state)
{
	char out[512], want[64];
	int st = in_child(SANDBOX_ON, SB_IO, call_create_vm, out, sizeof(out));

	(void)state;
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSYS);
	snprintf(want, sizeof(want), "ioctl (16, request 0x%lx)", (unsigned long)KVM_CREATE_VM);
	assert_non_null(strstr(out, "the io thread"));
	assert_non_null(strstr(out, want));
}

static void test_filter_no_exec_memory(void **state)
{
	char out[512];
	int st = in_child(SANDBOX_ON, SB_CONSOLE, call_exec_mmap, out, sizeof(out));

	(void)state;
	assert_true(WIFSIGNALED(st));
	assert_non_null(strstr(out, "mmap (9)"));
}

static void test_filter_log_mode(void **state)
{
	char out[512];
	int st;

	(void)state;
	/* getppid is in no list: "log" lets it through (the kernel logs it). */
	st = in_child(SANDBOX_LOG, SB_VCPU, call_getppid, out, sizeof(out));
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	st = in_child(SANDBOX_ON, SB_VCPU, call_getppid, out, sizeof(out));
	assert_true(WIFSIGNALED(st));
	/* "off": no filter at all. */
	st = in_child(SANDBOX_OFF, SB_VCPU, call_socket, out, sizeof(out));
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 93);
}

static void *thread_fn(void *arg)
{
	*(int *)arg = (int)syscall(SYS_getppid);
	return NULL;
}

static void test_thread_start(void **state)
{
	pthread_t t;
	int v = 0;

	(void)state;
	assert_int_equal(sandbox_thread_start(&t, NULL, thread_fn, &v, NULL, SB_IO), 0);
	pthread_join(t, NULL);
	assert_true(v > 0);
}

static void test_user_check(void **state)
{
	struct err e = { 0 };

	(void)state;
	if (geteuid() != 0) {
		assert_int_equal(sandbox_user_check("nobody", &e), -EPERM);
		assert_non_null(strstr(e.msg, "needs vfvm started as root"));
		return;
	}
	assert_int_equal(sandbox_user_check("no-such-user-vfvm", &e), -ENOENT);
	assert_true(e.usage);
	assert_non_null(strstr(e.msg, "no such user"));
	assert_int_equal(sandbox_user_check("root", &e), -EINVAL);
	assert_int_equal(sandbox_user_check("nobody", &e), 0);
}

static void test_drop_user(void **state)
{
	int st;
	pid_t pid;

	(void)state;
	if (geteuid() != 0) {
		printf("SKIP test_drop_user: needs root to drop to 'nobody'\n");
		skip();
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct err e = { 0 };

		if (sandbox_drop_user("nobody", &e))
			_exit(1);
		/* The uid changed for good, and no way back. */
		_exit(getuid() != 0 && geteuid() != 0 && setuid(0) != 0 ? 0 : 2);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_roles),
		cmocka_unit_test(test_table_never),
		cmocka_unit_test(test_table_args),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_parse_mode),
		cmocka_unit_test(test_filter_allows),
		cmocka_unit_test(test_filter_kills_with_name),
		cmocka_unit_test(test_filter_names_ioctl),
		cmocka_unit_test(test_filter_no_exec_memory),
		cmocka_unit_test(test_filter_log_mode),
		cmocka_unit_test(test_thread_start),
		cmocka_unit_test(test_user_check),
		cmocka_unit_test(test_drop_user),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
