/* test_cli.c - unit tests of `vfvm run` option parsing (src/cli/cli.c): every option, defaults,
 * both "--opt value" and "--opt=value" forms, and every usage error. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>
#include "cli/cli.h"

#define MAXARGS 80

/* Parse a NULL-terminated list of arguments after "run"; argv strings are writable copies
 * (cli_parse_run splits --module values in place). */
static char store[MAXARGS][128];

static int parse(struct vm_config *cfg, struct err *e, ...)
{
	char *argv[MAXARGS];
	int argc = 0;
	va_list ap;
	const char *a;

	argv[argc++] = strcpy(store[0], "run");
	va_start(ap, e);
	while ((a = va_arg(ap, const char *)) && argc < MAXARGS - 1) {
		snprintf(store[argc], sizeof(store[argc]), "%s", a);
		argv[argc] = store[argc];
		argc++;
	}
	va_end(ap);
	argv[argc] = NULL;
	memset(e, 0, sizeof(*e));
	return cli_parse_run(argc, argv, cfg, e);
}

/* Expect a usage error whose message contains @needle. */
#define BAD(needle, ...) do { \
	struct vm_config c_; struct err e_; \
	assert_int_equal(parse(&c_, &e_, __VA_ARGS__, NULL), -EINVAL); \
	assert_true(e_.usage); \
	if (!strstr(e_.msg, needle)) fail_msg("'%s' not in '%s'", needle, e_.msg); \
} while (0)

static void test_defaults(void **state)
{
	struct vm_config c;
	struct err e;

	(void)state;
	assert_int_equal(parse(&c, &e, "--kernel", "k.elf", NULL), 0);
	assert_string_equal(c.boot.kernel, "k.elf");
	assert_null(c.boot.initrd);
	assert_null(c.boot.cmdline);
	assert_int_equal(c.boot.nmodules, 0);
	assert_int_equal(c.ram_size, 256 * MiB);
	assert_int_equal(c.ncpus, 1);
	assert_false(c.cpuid_compat || c.reboot || c.debug_exit || c.stats);
	assert_true(c.acpi);	/* ACPI is the default machine (docs/acpi.md) */
	assert_int_equal(c.shutdown_timeout, 10);
	assert_null(c.serial);
	assert_int_equal(c.ndevices, 0);
}

static void test_all_options(void **state)
{
	struct vm_config c;
	struct err e;

	(void)state;
	assert_int_equal(parse(&c, &e, "--kernel", "bz", "--initrd", "rd.gz",
			       "--cmdline", "console=ttyS0 quiet", "--memory", "1G", "--cpus", "4",
			       "--cpuid-compat", "--serial", "file:/tmp/out", "--debug-exit",
			       "--reboot", "--stats", "--device", "testdev",
			       "--device", "vfio,host=0000:01:00.0", NULL), 0);
	assert_string_equal(c.boot.kernel, "bz");
	assert_string_equal(c.boot.initrd, "rd.gz");
	assert_string_equal(c.boot.cmdline, "console=ttyS0 quiet");
	assert_int_equal(c.ram_size, GiB);
	assert_int_equal(c.ncpus, 4);
	assert_true(c.cpuid_compat && c.debug_exit && c.reboot && c.stats);
	assert_string_equal(c.serial, "file:/tmp/out");
	assert_int_equal(c.ndevices, 2);
	assert_string_equal(c.devices[0], "testdev");
	assert_string_equal(c.devices[1], "vfio,host=0000:01:00.0");
}

/* --acpi turns the ACPI tables and ECAM on, --no-acpi off; the last one given wins. */
static void test_acpi(void **state)
{
	struct vm_config c;
	struct err e;

	(void)state;
	assert_int_equal(parse(&c, &e, "--kernel", "k", "--acpi", NULL), 0);
	assert_true(c.acpi);
	assert_int_equal(parse(&c, &e, "--kernel", "k", "--no-acpi", NULL), 0);
	assert_false(c.acpi);
	assert_int_equal(parse(&c, &e, "--kernel", "k", "--acpi", "--no-acpi", NULL), 0);
	assert_false(c.acpi);
	assert_int_equal(parse(&c, &e, "--kernel", "k", "--no-acpi", "--acpi", NULL), 0);
	assert_true(c.acpi);
	assert_int_not_equal(parse(&c, &e, "--kernel", "k", "--acpi=1", NULL), 0);
}

/* --test-fault: main-stall only; anything else is bad usage. */
static void test_test_fault(void **state)
{
	struct vm_config c;
	struct err e;

	(void)state;
	assert_int_equal(parse(&c, &e, "--kernel", "k", NULL), 0);
	assert_null(c.test_fault);
	assert_int_equal(parse(&c, &e, "--kernel", "k", "--test-fault", "main-stall", NULL), 0);
	assert_string_equal(c.test_fault, "main-stall");
	assert_int_not_equal(parse(&c, &e, "--kernel", "k", "--test-fault", "crash", NULL), 0);
	assert_true(e.usage);
	assert_non_null(strstr(e.msg, "--test-fault 'crash' is not known"));
}

/* --shutdown-timeout: 0 (stop at once) to 3600 s; anything else is bad usage naming it. */
static void test_shutdown_timeout(void **state)
{
	struct vm_config c;
	struct err e;

	(void)state;
	assert_int_equal(parse(&c, &e, "--kernel", "k", "--shutdown-timeout", "0", NULL), 0);
	assert_int_equal(c.shutdown_timeout, 0);
	assert_int_equal(parse(&c, &e, "--kernel", "k", "--shutdown-timeout=3600", NULL), 0);
	assert_int_equal(c.shutdown_timeout, 3600);
	assert_int_not_equal(parse(&c, &e, "--kernel", "k", "--shutdown-timeout", "3601", NULL), 0);
	assert_true(e.usage);
	assert_non_null(strstr(e.msg, "--shutdown-timeout 3601 is out of range"));
	assert_int_not_equal(parse(&c, &e, "--kernel", "k", "--shutdown-timeout", "-1", NULL), 0);
	assert_non_null(strstr(e.msg, "is not a number of seconds"));
	assert_int_not_equal(parse(&c, &e, "--kernel", "k", "--shutdown-timeout", "5s", NULL), 0);
	assert_int_not_equal(parse(&c, &e, "--kernel", "k", "--shutdown-timeout", NULL), 0);
}

static void test_equals_form(void **state)
{
	struct vm_config c;
	struct err e;

	(void)state;
	assert_int_equal(parse(&c, &e, "--kernel=k", "--memory=64M", "--cpus=2",
			       "--cmdline=a=b c=d", "--serial=none", NULL), 0);
	assert_string_equal(c.boot.kernel, "k");
	assert_int_equal(c.ram_size, 64 * MiB);
	assert_int_equal(c.ncpus, 2);
	assert_string_equal(c.boot.cmdline, "a=b c=d");	/* only the first '=' splits */
	assert_string_equal(c.serial, "none");
}

static void test_modules(void **state)
{
	struct vm_config c;
	struct err e;

	(void)state;
	assert_int_equal(parse(&c, &e, "--kernel", "mb", "--module", "m1.bin",
			       "--module", "m2.bin,arg1 arg2", "--module", "m3,", NULL), 0);
	assert_int_equal(c.boot.nmodules, 3);
	assert_ptr_equal(c.boot.modules, c.modules);
	assert_string_equal(c.modules[0].path, "m1.bin");
	assert_null(c.modules[0].args);
	assert_string_equal(c.modules[1].path, "m2.bin");
	assert_string_equal(c.modules[1].args, "arg1 arg2");
	assert_string_equal(c.modules[2].path, "m3");
	assert_string_equal(c.modules[2].args, "");
}

static void test_module_limit(void **state)
{
	char *argv[2 + 2 * 17 + 1];
	char names[17][16];
	struct vm_config c;
	struct err e = { 0 };
	int argc = 0;

	(void)state;
	argv[argc++] = "run";
	argv[argc++] = "--kernel=k";
	for (int i = 0; i < 16; i++) {
		snprintf(names[i], sizeof(names[i]), "m%d", i);
		argv[argc++] = "--module";
		argv[argc++] = names[i];
	}
	assert_int_equal(cli_parse_run(argc, argv, &c, &e), 0);
	assert_int_equal(c.boot.nmodules, 16);
	snprintf(names[16], sizeof(names[16]), "m16");
	argv[argc++] = "--module";
	argv[argc++] = names[16];
	assert_int_equal(cli_parse_run(argc, argv, &c, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "at most 16"));
}

static void test_device_limit(void **state)
{
	char *argv[2 + 2 * (VM_MAX_DEVICES + 1)];
	struct vm_config c;
	struct err e = { 0 };
	int argc = 0;

	(void)state;
	argv[argc++] = "run";
	argv[argc++] = "--kernel=k";
	for (int i = 0; i <= VM_MAX_DEVICES; i++) {
		argv[argc++] = "--device";
		argv[argc++] = "testdev";
	}
	assert_int_equal(cli_parse_run(argc, argv, &c, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "too many --device"));
}

static void test_memory(void **state)
{
	struct err e;
	uint64_t v;

	(void)state;
	assert_int_equal(cli_parse_memory("2M", &v, &e), 0);
	assert_int_equal(v, 2 * MiB);
	assert_int_equal(cli_parse_memory("1T", &v, &e), 0);
	assert_int_equal(v, 1024 * GiB);
	assert_int_equal(cli_parse_memory("2047K", &v, &e), -EINVAL);
	assert_int_equal(cli_parse_memory("1025G", &v, &e), -EINVAL);
	BAD("out of range", "--kernel", "k", "--memory", "1K");
	BAD("out of range", "--kernel", "k", "--memory", "5T");
	BAD("not a size", "--kernel", "k", "--memory", "0");
	BAD("not a size", "--kernel", "k", "--memory", "garbage");
	BAD("not a size", "--kernel", "k", "--memory", "-256M");
	BAD("not a size", "--kernel", "k", "--memory", "99999999999999999999999G");
	BAD("not a size", "--kernel", "k", "--memory", "");
}

static void test_cpus(void **state)
{
	struct err e;
	unsigned n;

	(void)state;
	assert_int_equal(cli_parse_cpus("1", &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(cli_parse_cpus("64", &n, &e), 0);
	assert_int_equal(n, 64);
	BAD("out of range", "--kernel", "k", "--cpus", "0");
	BAD("out of range", "--kernel", "k", "--cpus", "65");
	BAD("not a number", "--kernel", "k", "--cpus", "abc");
	BAD("not a number", "--kernel", "k", "--cpus", "-1");
	BAD("not a number", "--kernel", "k", "--cpus", "2x");
	BAD("not a number", "--kernel", "k", "--cpus", "");
	BAD("not a number", "--kernel", "k", "--cpus", "99999999999999999999999");
}

static void test_watchdog(void **state)
{
	struct vm_config c;
	struct err e;
	unsigned n;

	(void)state;
	assert_int_equal(cli_parse_watchdog("1", &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(cli_parse_watchdog("3600", &n, &e), 0);
	assert_int_equal(n, 3600);
	assert_int_equal(parse(&c, &e, "--kernel", "k", NULL), 0);
	assert_int_equal(c.watchdog, 0);
	assert_int_equal(parse(&c, &e, "--kernel", "k", "--watchdog=20", NULL), 0);
	assert_int_equal(c.watchdog, 20);
	BAD("out of range", "--kernel", "k", "--watchdog", "0");
	BAD("out of range", "--kernel", "k", "--watchdog", "3601");
	BAD("not a number", "--kernel", "k", "--watchdog", "1s");
	BAD("not a number", "--kernel", "k", "--watchdog", "");
}

/* --viommu[=bypass=on|off] (docs/viommu.md): needs ACPI, refuses virtio-fs. */
static void test_viommu(void **state)
{
	struct vm_config c;
	struct err e;

	(void)state;
	assert_int_equal(parse(&c, &e, "--kernel", "k", NULL), 0);
	assert_false(c.viommu);
	assert_int_equal(parse(&c, &e, "--kernel", "k", "--viommu", NULL), 0);
	assert_true(c.viommu);
	assert_false(c.viommu_bypass);
	assert_int_equal(parse(&c, &e, "--kernel", "k", "--viommu=bypass=on", NULL), 0);
	assert_true(c.viommu_bypass);
	assert_int_equal(parse(&c, &e, "--kernel", "k", "--viommu=bypass=off", NULL), 0);
	assert_false(c.viommu_bypass);
	BAD("--viommu=bypass=maybe: unknown option", "--kernel", "k", "--viommu=bypass=maybe");
	BAD("unexpected argument 'bypass=on'", "--kernel", "k", "--viommu", "bypass=on");
	BAD("--viommu given twice", "--kernel", "k", "--viommu", "--viommu");
	BAD("--viommu needs ACPI", "--kernel", "k", "--viommu", "--no-acpi");
	BAD("--viommu with --share or --vhost-user-fs is not supported", "--kernel", "k",
	    "--viommu", "--vhost-user-fs", "/tmp/s,tag=t");
}

/* --trace FILE / --trace-filter (docs/trace.md): values kept, filter checked at parse time. */
static void test_trace(void **state)
{
	struct vm_config c;
	struct err e;

	(void)state;
	assert_int_equal(parse(&c, &e, "--kernel", "k", NULL), 0);
	assert_null(c.trace);
	assert_null(c.trace_filter);
	assert_int_equal(parse(&c, &e, "--kernel", "k", "--trace", "/tmp/t", NULL), 0);
	assert_string_equal(c.trace, "/tmp/t");
	assert_int_equal(parse(&c, &e, "--kernel", "k", "--trace=-", "--trace-filter",
			       "dev=0000:00:03.0,kind=cfg,msi", NULL), 0);
	assert_string_equal(c.trace, "-");
	assert_string_equal(c.trace_filter, "dev=0000:00:03.0,kind=cfg,msi");
	BAD("--trace needs a file name", "--kernel", "k", "--trace=");
	BAD("--trace needs a value", "--kernel", "k", "--trace");
	BAD("--trace given twice", "--kernel", "k", "--trace", "a", "--trace", "b");
	BAD("unknown kind 'dma'", "--kernel", "k", "--trace", "a", "--trace-filter", "kind=dma");
	BAD("dev=00:3 is not a PCI address", "--kernel", "k", "--trace", "a", "--trace-filter",
	    "dev=00:3");
	BAD("--trace-filter without --trace", "--kernel", "k", "--trace-filter", "kind=cfg");
}

static void test_share(void **state)
{
	struct vm_config c;
	struct err e;

	(void)state;
	assert_int_equal(parse(&c, &e, "--kernel", "k", "--share", "/srv/a",
			       "--share=/srv/b,tag=build", "--vhost-user-fs", "/run/fs.sock,tag=t3",
			       NULL), 0);
	assert_int_equal(c.nfs, 3);
	assert_string_equal(c.fs[0].dir, "/srv/a");
	assert_string_equal(c.fs[0].tag, "share");	/* the first share's default tag */
	assert_null(c.fs[0].sock);
	assert_string_equal(c.fs[1].dir, "/srv/b");
	assert_string_equal(c.fs[1].tag, "build");
	assert_null(c.fs[2].dir);
	assert_string_equal(c.fs[2].sock, "/run/fs.sock");
	assert_string_equal(c.fs[2].tag, "t3");
	BAD("--share needs a directory", "--kernel", "k", "--share", "");
	BAD("unknown option 'cache=none'", "--kernel", "k", "--share", "/srv,cache=none");
	BAD("tag= given twice", "--kernel", "k", "--share", "/srv,tag=a,tag=b");
	BAD("unknown option ''", "--kernel", "k", "--share", "/srv,tag=a,");
	BAD("give the tag", "--kernel", "k", "--vhost-user-fs", "/run/fs.sock");
	BAD("after the first a tag", "--kernel", "k", "--share", "/a", "--share", "/b");
	BAD("used twice", "--kernel", "k", "--share", "/a,tag=x", "--share", "/b,tag=x");
	BAD("1 to 36 printable", "--kernel", "k", "--share", "/a,tag=");
	BAD("1 to 36 printable", "--kernel", "k", "--share",
	    "/a,tag=0123456789012345678901234567890123456");
	BAD("1 to 36 printable", "--kernel", "k", "--share", "/a,tag=a b");
	BAD("at most 4", "--kernel", "k", "--share", "/a,tag=1", "--share", "/a,tag=2",
	    "--share", "/a,tag=3", "--share", "/a,tag=4", "--share", "/a,tag=5");
	BAD("--share with --user is not supported", "--kernel", "k", "--share", "/a",
	    "--user", "nobody");
	/* 36 characters is the most a tag holds (§5.11.4). */
	assert_int_equal(parse(&c, &e, "--kernel", "k", "--share",
			       "/a,tag=012345678901234567890123456789012345", NULL), 0);
}

static void test_serial(void **state)
{
	struct err e;

	(void)state;
	assert_int_equal(cli_parse_serial("stdio", &e), 0);
	assert_int_equal(cli_parse_serial("none", &e), 0);
	assert_int_equal(cli_parse_serial("file:x", &e), 0);
	BAD("--serial", "--kernel", "k", "--serial", "file:");
	BAD("--serial", "--kernel", "k", "--serial", "tcp:1234");
	BAD("--serial", "--kernel", "k", "--serial", "");
}

static void test_errors(void **state)
{
	struct vm_config c;
	struct err e;
	char big[BOOT_CMDLINE_MAX + 1];
	char *argv[] = { "run", "--kernel", "k", "--cmdline", big, NULL };

	(void)state;
	BAD("no kernel", "--memory", "64M");
	assert_int_equal(parse(&c, &e, NULL), -EINVAL);
	assert_non_null(strstr(e.msg, "--kernel"));
	BAD("unknown option '--frobnicate'", "--kernel", "k", "--frobnicate");
	BAD("unknown option '--kern'", "--kern", "k");		/* no prefix matching */
	BAD("unexpected argument 'extra'", "--kernel", "k", "extra");
	BAD("unexpected argument '-m'", "--kernel", "k", "-m", "64M");
	BAD("--memory needs a value", "--kernel", "k", "--memory");
	BAD("--kernel needs a value", "--kernel");
	BAD("--kernel needs a file name", "--kernel", "");
	BAD("--initrd needs a file name", "--kernel", "k", "--initrd=");
	BAD("--kernel given twice", "--kernel", "a", "--kernel", "b");
	BAD("--memory given twice", "--kernel", "a", "--memory", "64M", "--memory=128M");
	BAD("--stats takes no value", "--kernel", "k", "--stats=1");
	BAD("--module needs a file name", "--kernel", "k", "--module", ",args");
	BAD("--device needs a device spec", "--kernel", "k", "--device", "");
	memset(big, 'x', BOOT_CMDLINE_MAX);
	big[BOOT_CMDLINE_MAX] = '\0';
	memset(&e, 0, sizeof(e));
	assert_int_equal(cli_parse_run(5, argv, &c, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "--cmdline is longer"));
	big[BOOT_CMDLINE_MAX - 1] = '\0';
	assert_int_equal(cli_parse_run(5, argv, &c, &e), 0);
}

static int fn_a(int argc, char **argv) { (void)argc; (void)argv; return 7; }

static void test_find(void **state)
{
	static const struct cli_cmd tab[] = {
		{ "run", fn_a, "s", "h" }, { "devices", fn_a, "s", "h" }, { NULL, NULL, NULL, NULL },
	};

	(void)state;
	assert_ptr_equal(cli_find(tab, "run"), &tab[0]);
	assert_ptr_equal(cli_find(tab, "devices"), &tab[1]);
	assert_null(cli_find(tab, "ru"));
	assert_null(cli_find(tab, "runx"));
	assert_null(cli_find(tab, NULL));
	assert_int_equal(cli_find(tab, "run")->fn(0, NULL), 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_options),
		cmocka_unit_test(test_acpi),
		cmocka_unit_test(test_shutdown_timeout),
		cmocka_unit_test(test_test_fault),
		cmocka_unit_test(test_equals_form),
		cmocka_unit_test(test_modules),
		cmocka_unit_test(test_module_limit),
		cmocka_unit_test(test_device_limit),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_cpus),
		cmocka_unit_test(test_watchdog),
		cmocka_unit_test(test_trace),
		cmocka_unit_test(test_viommu),
		cmocka_unit_test(test_share),
		cmocka_unit_test(test_serial),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_find),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
