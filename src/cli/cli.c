/* cli.c - `vfvm run` option parsing: every value is checked here so that bad input ends in
 * one "vfvm: ..." line and exit status 2 before any resource is acquired. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "core/optlist.h"
#include "core/trace.h"
#include "net/tap.h"
#include "virtio/blk.h"
#include "virtio/fs.h"

const char cli_run_help[] =
	"usage: vfvm run --kernel FILE [options]\n"
	"  --kernel FILE        bzImage, vmlinux ELF or Multiboot v1 kernel (required)\n"
	"  --initrd FILE        initial ramdisk (Linux kernels)\n"
	"  --cmdline STR        kernel command line\n"
	"  --module FILE[,ARGS] Multiboot module (repeatable, up to 16)\n"
	"  --memory SIZE        guest RAM, K/M/G/T suffix (default 256M; 2M..1T)\n"
	"  --cpus N             number of vCPUs, 1..64 (default 1)\n"
	"  --cpuid-compat       hide CPU features the nested KVM cannot emulate (XSAVE, AVX...)\n"
	"  --serial SPEC        COM1 backend: stdio (default), file:PATH, none\n"
	"  --debug-exit         isa-debug-exit at port 0xF4: a write of v exits with (v<<1)|1\n"
	"  --acpi, --no-acpi    ACPI tables, ECAM and the power button besides the MP table\n"
	"                       (default: --acpi; --no-acpi: the MP table only)\n"
	"  --shutdown-timeout SECONDS\n"
	"                       SIGINT/SIGTERM press the ACPI power button and wait this long\n"
	"                       for the guest to power off (default 10; 0: stop at once)\n"
	"  --reboot             restart the guest on reset instead of exiting\n"
	"  --stats              print VM exit counters on stderr at exit\n"
	"  --watchdog SECONDS   no exit, no interrupt for SECONDS: print the VM's state, exit 4\n"
	"  --device SPEC        PCI device (repeatable), e.g. testdev, vfio,host=0000:01:00.0\n"
	"  --disk PATH[,ro][,cache=none|writeback][,serial=S]\n"
	"                       virtio-blk disk on a raw image (repeatable, up to 8)\n"
	"  --share DIR[,tag=T]  host directory DIR as virtio-fs (virtiofsd started by vfvm);\n"
	"                       the guest mounts it with mount -t virtiofs T (default tag: share)\n"
	"  --vhost-user-fs SOCKET,tag=T\n"
	"                       virtio-fs served by a virtiofsd already listening on SOCKET\n"
	"  --net tap[,ifname=NAME][,mac=MAC][,vhost=on|off]\n"
	"                       virtio-net NIC on a tap vfvm creates (or the existing NAME)\n"
	"                       (repeatable, up to 4)\n"
	"  --seccomp MODE       per-thread system call filters: on (default), log, off (unsafe)\n"
	"  --user NAME          started as root: become user NAME once set-up is done\n"
	"  --trace FILE         one JSON line per device event into FILE ('-': stderr)\n"
	"  --trace-filter dev=BDF,...,kind=K,...\n"
	"                       only these devices / kinds (cfg msi intx reset vfio bar viommu)\n"
	"  --viommu[=bypass=on] a virtio-iommu (found through the ACPI VIOT) in front of every PCI\n"
	"                       device: DMA reaches only what the guest maps (bypass=on: all RAM\n"
	"                       until the guest attaches the device)\n";

const struct cli_cmd *cli_find(const struct cli_cmd *tab, const char *name)
{
	for (; name && tab->name; tab++)
		if (!strcmp(tab->name, name))
			return tab;
	return NULL;
}

int cli_parse_memory(const char *s, uint64_t *out, struct err *err)
{
	uint64_t v;

	if (parse_size(s, &v))
		return err_input(err, EINVAL, "--memory '%s' is not a size; use e.g. 512M or 2G", s);
	if (v < CLI_MIN_MEMORY || v > CLI_MAX_MEMORY)
		return err_input(err, EINVAL, "--memory '%s' is out of range; use 2M to 1T", s);
	*out = v;
	return 0;
}

int cli_parse_cpus(const char *s, unsigned *out, struct err *err)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		goto bad;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end)
		goto bad;
	if (v < 1 || v > VM_MAX_CPUS)
		return err_input(err, EINVAL, "--cpus %s is out of range; use 1 to %d", s,
				 VM_MAX_CPUS);
	*out = (unsigned)v;
	return 0;
bad:
	return err_input(err, EINVAL, "--cpus '%s' is not a number; use 1 to %d", s,
			 VM_MAX_CPUS);
}

/* A whole number of seconds for option @opt ("--watchdog"), @min..@max. */
static int cli_parse_seconds(const char *opt, const char *s, unsigned min, unsigned max,
			     unsigned *out, struct err *err)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		goto bad;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end)
		goto bad;
	if (v < min || v > max)
		return err_input(err, EINVAL, "%s %s is out of range; use %u to %u seconds",
				 opt, s, min, max);
	*out = (unsigned)v;
	return 0;
bad:
	return err_input(err, EINVAL, "%s '%s' is not a number of seconds; use %u to %u",
			 opt, s, min, max);
}

int cli_parse_watchdog(const char *s, unsigned *out, struct err *err)
{
	return cli_parse_seconds("--watchdog", s, 1, CLI_MAX_WATCHDOG, out, err);
}

int cli_parse_shutdown_timeout(const char *s, unsigned *out, struct err *err)
{
	return cli_parse_seconds("--shutdown-timeout", s, 0, CLI_MAX_SHUTDOWN_TIMEOUT, out, err);
}

int cli_parse_serial(const char *s, struct err *err)
{
	if (!strcmp(s, "stdio") || !strcmp(s, "none"))
		return 0;
	if (!strncmp(s, "file:", 5) && s[5])
		return 0;
	return err_input(err, EINVAL, "--serial '%s' is not valid; use stdio, file:PATH or none", s);
}

int cli_parse_module(char *s, struct boot_module *m, struct err *err)
{
	char *comma = strchr(s, ',');

	if (comma)
		*comma = '\0';
	if (!*s)
		return err_input(err, EINVAL, "--module needs a file name before the arguments");
	m->path = s;
	m->args = comma ? comma + 1 : NULL;
	return 0;
}

/* --disk: the syntax now; the file is opened (and locked) by machine.c before the VM is made. */
static int cli_parse_disk(const char *val, struct vm_config *cfg, struct err *err)
{
	struct blk_opts o;

	if (cfg->ndisks >= VM_MAX_DISKS)
		return err_input(err, E2BIG, "too many --disk options; at most %d", VM_MAX_DISKS);
	if (blk_opts_parse(val, &o, err))
		return -EINVAL;
	cfg->disks[cfg->ndisks++] = val;
	return 0;
}

struct fs_opt_ctx {
	const char *opt, *val;
	size_t head;
	char tag[FS_TAG_MAX + 2];	/* one more than a tag may have: too long is seen */
	bool has_tag;
	struct err *err;
};

static int fs_opt_item(void *ctx, const char *p, size_t n)
{
	struct fs_opt_ctx *c = ctx;

	if (!optlist_key(p, n, "tag="))
		return err_input(c->err, EINVAL, "%s %.*s: unknown option '%.*s'; the only one is "
				 "tag=TAG", c->opt, (int)c->head, c->val, (int)n, p);
	if (c->has_tag)
		return err_input(c->err, EINVAL, "%s %.*s: tag= given twice", c->opt,
				 (int)c->head, c->val);
	n -= 4;
	if (n > FS_TAG_MAX + 1)
		n = FS_TAG_MAX + 1;
	memcpy(c->tag, p + 4, n);
	c->tag[n] = '\0';
	c->has_tag = true;
	return 0;
}

/* --share DIR[,tag=T] and --vhost-user-fs SOCKET,tag=T: one virtio-fs device each. */
static int cli_parse_fs(char *val, bool share, struct vm_config *cfg, struct err *err)
{
	const char *opt = share ? "--share" : "--vhost-user-fs";
	struct fs_opt_ctx c = { .opt = opt, .val = val, .head = optlist_head(val), .err = err };
	const char *tag = NULL;
	unsigned i = cfg->nfs;

	if (i >= VM_MAX_FS)
		return err_input(err, E2BIG, "too many --share/--vhost-user-fs; at most %d",
				 VM_MAX_FS);
	if (optlist_each(val, fs_opt_item, &c))
		return -EINVAL;
	val[c.head] = '\0';
	if (c.has_tag)
		tag = c.tag;
	if (!*val)
		return err_input(err, EINVAL, "%s needs a %s", opt, share ? "directory" : "socket");
	if (!tag && !share)
		return err_input(err, EINVAL, "--vhost-user-fs %s: give the tag the guest mounts, "
				 "e.g. %s,tag=host", val, val);
	if (!tag && i)
		return err_input(err, EINVAL, "%s %s: give each share after the first a tag=TAG",
				 opt, val);
	if (!tag)
		tag = "share";
	if (virtio_fs_tag_check(tag) < 0)
		return err_input(err, EINVAL, "%s %s: tag '%s': 1 to %d printable characters, no "
				 "spaces or commas", opt, val, tag, FS_TAG_MAX);
	for (unsigned j = 0; j < i; j++)
		if (!strcmp(cfg->fs[j].tag, tag))
			return err_input(err, EINVAL, "%s %s: tag '%s' is used twice", opt, val, tag);
	cfg->fs[i].dir = share ? val : NULL;
	cfg->fs[i].sock = share ? NULL : val;
	snprintf(cfg->fs[i].tag, sizeof(cfg->fs[i].tag), "%s", tag);
	cfg->nfs++;
	return 0;
}

/* --net: the syntax now; the tap is opened by machine.c with the other input files. */
static int cli_parse_net(const char *val, struct vm_config *cfg, struct err *err)
{
	struct net_opts o;

	if (cfg->nnets >= VM_MAX_NETS)
		return err_input(err, E2BIG, "too many --net options; at most %d", VM_MAX_NETS);
	if (net_opts_parse(val, &o, err))
		return -EINVAL;
	cfg->nets[cfg->nnets++] = val;
	return 0;
}

static void cli_defaults(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->ram_size = CLI_DEFAULT_MEMORY;
	cfg->ncpus = 1;
	cfg->boot.modules = cfg->modules;
	cfg->seccomp = CLI_DEFAULT_SECCOMP;
	cfg->acpi = true;
	cfg->shutdown_timeout = CLI_DEFAULT_SHUTDOWN_TIMEOUT;
}

enum { OPT_KERNEL, OPT_INITRD, OPT_CMDLINE, OPT_MODULE, OPT_MEMORY, OPT_CPUS, OPT_COMPAT,
       OPT_SERIAL, OPT_DEBUG_EXIT, OPT_REBOOT, OPT_STATS, OPT_DEVICE, OPT_SECCOMP, OPT_USER,
       OPT_WATCHDOG, OPT_DISK, OPT_SHARE, OPT_VHOST_USER_FS, OPT_NET, OPT_ACPI, OPT_NO_ACPI,
       OPT_SHUTDOWN_TIMEOUT, OPT_TEST_FAULT, OPT_TRACE, OPT_TRACE_FILTER, OPT_VIOMMU,
       OPT_NR };

static const struct {
	const char *name;
	bool arg;
	bool repeat;
	bool optional;		/* "--name" or "--name=value" (never "--name value") */
} cli_opts[OPT_NR] = {
	[OPT_KERNEL] = { "kernel", true, false },
	[OPT_INITRD] = { "initrd", true, false },
	[OPT_CMDLINE] = { "cmdline", true, false },
	[OPT_MODULE] = { "module", true, true },
	[OPT_MEMORY] = { "memory", true, false },
	[OPT_CPUS] = { "cpus", true, false },
	[OPT_COMPAT] = { "cpuid-compat", false, false },
	[OPT_SERIAL] = { "serial", true, false },
	[OPT_DEBUG_EXIT] = { "debug-exit", false, false },
	[OPT_REBOOT] = { "reboot", false, false },
	[OPT_STATS] = { "stats", false, false },
	[OPT_DEVICE] = { "device", true, true },
	[OPT_SECCOMP] = { "seccomp", true, false },
	[OPT_USER] = { "user", true, false },
	[OPT_WATCHDOG] = { "watchdog", true, false },
	[OPT_DISK] = { "disk", true, true },
	[OPT_SHARE] = { "share", true, true },
	[OPT_VHOST_USER_FS] = { "vhost-user-fs", true, true },
	[OPT_NET] = { "net", true, true },
	[OPT_ACPI] = { "acpi", false, false },
	[OPT_NO_ACPI] = { "no-acpi", false, false },
	[OPT_SHUTDOWN_TIMEOUT] = { "shutdown-timeout", true, false },
	[OPT_TEST_FAULT] = { "test-fault", true, false },
	[OPT_TRACE] = { "trace", true, false },
	[OPT_TRACE_FILTER] = { "trace-filter", true, false },
	[OPT_VIOMMU] = { "viommu", false, false, true },
};

/* Match "--name" or "--name=value"; returns the option index or -1. */
static int cli_match(const char *a, const char **inline_val)
{
	size_t n;

	*inline_val = NULL;
	if (strncmp(a, "--", 2))
		return -1;
	a += 2;
	n = strcspn(a, "=");
	for (int i = 0; i < OPT_NR; i++) {
		if (strlen(cli_opts[i].name) != n || strncmp(cli_opts[i].name, a, n))
			continue;
		if (a[n] == '=')
			*inline_val = a + n + 1;
		return i;
	}
	return -1;
}

static int cli_apply(int opt, char *val, struct vm_config *cfg, struct err *err)
{
	switch (opt) {
	case OPT_KERNEL:
		if (!*val)
			return err_input(err, EINVAL, "--kernel needs a file name");
		cfg->boot.kernel = val;
		return 0;
	case OPT_INITRD:
		if (!*val)
			return err_input(err, EINVAL, "--initrd needs a file name");
		cfg->boot.initrd = val;
		return 0;
	case OPT_CMDLINE:
		if (strlen(val) >= BOOT_CMDLINE_MAX)
			return err_input(err, EINVAL, "--cmdline is longer than %llu bytes",
					 BOOT_CMDLINE_MAX - 1);
		cfg->boot.cmdline = val;
		return 0;
	case OPT_MODULE:
		if (cfg->boot.nmodules >= CLI_MAX_MODULES)
			return err_input(err, E2BIG, "too many --module options; at most %d",
					 CLI_MAX_MODULES);
		if (cli_parse_module(val, &cfg->modules[cfg->boot.nmodules], err))
			return -EINVAL;
		cfg->boot.nmodules++;
		return 0;
	case OPT_MEMORY:
		return cli_parse_memory(val, &cfg->ram_size, err);
	case OPT_CPUS:
		return cli_parse_cpus(val, &cfg->ncpus, err);
	case OPT_COMPAT:
		cfg->cpuid_compat = true;
		return 0;
	case OPT_SERIAL:
		if (cli_parse_serial(val, err))
			return -EINVAL;
		cfg->serial = val;
		return 0;
	case OPT_DEBUG_EXIT:
		cfg->debug_exit = true;
		return 0;
	case OPT_REBOOT:
		cfg->reboot = true;
		return 0;
	case OPT_ACPI:
	case OPT_NO_ACPI:
		cfg->acpi = opt == OPT_ACPI;
		return 0;
	case OPT_STATS:
		cfg->stats = true;
		return 0;
	case OPT_DEVICE:
		if (cfg->ndevices >= VM_MAX_DEVICES)
			return err_input(err, E2BIG, "too many --device options; at most %d",
					 VM_MAX_DEVICES);
		if (!*val)
			return err_input(err, EINVAL, "--device needs a device spec, e.g. testdev");
		cfg->devices[cfg->ndevices++] = val;
		return 0;
	case OPT_SECCOMP:
		return sandbox_parse_mode(val, &cfg->seccomp, err);
	case OPT_USER:
		if (!*val)
			return err_input(err, EINVAL, "--user needs a user name");
		cfg->user = val;
		return 0;
	case OPT_WATCHDOG:
		return cli_parse_watchdog(val, &cfg->watchdog, err);
	case OPT_TEST_FAULT:
		/* Not in --help: a fault for the tests to provoke (docs/testing.md). */
		if (strcmp(val, "main-stall"))
			return err_input(err, EINVAL, "--test-fault '%s' is not known; the one fault "
					 "is main-stall", val);
		cfg->test_fault = val;
		return 0;
	case OPT_SHUTDOWN_TIMEOUT:
		return cli_parse_shutdown_timeout(val, &cfg->shutdown_timeout, err);
	case OPT_DISK:
		return cli_parse_disk(val, cfg, err);
	case OPT_SHARE:
	case OPT_VHOST_USER_FS:
		return cli_parse_fs(val, opt == OPT_SHARE, cfg, err);
	case OPT_NET:
		return cli_parse_net(val, cfg, err);
	case OPT_TRACE:
		if (!*val)
			return err_input(err, EINVAL, "--trace needs a file name, or - for stderr");
		cfg->trace = val;
		return 0;
	case OPT_VIOMMU:
		cfg->viommu = true;
		if (!val || !strcmp(val, "bypass=off"))
			cfg->viommu_bypass = false;
		else if (!strcmp(val, "bypass=on"))
			cfg->viommu_bypass = true;
		else
			return err_input(err, EINVAL, "--viommu=%s: unknown option; --viommu takes "
					 "bypass=on or bypass=off", val);
		return 0;
	case OPT_TRACE_FILTER: {
		struct trace_filter f;

		if (trace_filter_parse(val, &f, err))
			return -EINVAL;
		cfg->trace_filter = val;
		return 0;
	}
	}
	return err_input(err, EINVAL, "internal: unknown option");
}

/* What --viommu cannot be combined with (docs/viommu.md, "Limits"). */
static int cli_check_viommu(const struct vm_config *cfg, struct err *err)
{
	if (!cfg->viommu)
		return 0;
	/* An x86 guest finds the virtio-iommu only through the ACPI VIOT. */
	if (!cfg->acpi)
		return err_input(err, EINVAL, "--viommu needs ACPI (the guest finds the IOMMU in "
				 "the VIOT table); drop --no-acpi");
	/* virtiofsd and vhost-user read guest memory by guest-physical address. */
	if (cfg->nfs)
		return err_input(err, EINVAL, "--viommu with --share or --vhost-user-fs is not "
				 "supported: the virtio-fs daemon would bypass the IOMMU");
	return 0;
}

static int cli_check_fs(const struct vm_config *cfg, struct err *err)
{
	/* virtiofsd runs as root beside a vfvm that is no longer root: it could not be stopped
	 * or its socket removed by vfvm then. */
	for (unsigned i = 0; i < cfg->nfs; i++)
		if (cfg->user && cfg->fs[i].dir)
			return err_input(err, EINVAL, "--share with --user is not supported; start "
					 "virtiofsd yourself and use --vhost-user-fs SOCKET,tag=%s",
					 cfg->fs[i].tag);
	return 0;
}

int cli_parse_run(int argc, char **argv, struct vm_config *cfg, struct err *err)
{
	bool seen[OPT_NR] = { false };

	cli_defaults(cfg);
	for (int i = 1; i < argc; i++) {
		const char *inl;
		char *val = NULL;
		int opt = cli_match(argv[i], &inl);

		if (opt < 0) {
			if (!strncmp(argv[i], "--", 2))
				return err_input(err, EINVAL, "unknown option '%s'; see 'vfvm help run'",
						 argv[i]);
			return err_input(err, EINVAL, "unexpected argument '%s'; see 'vfvm help run'",
					 argv[i]);
		}
		if (seen[opt] && !cli_opts[opt].repeat)
			return err_input(err, EINVAL, "--%s given twice; give it once",
					 cli_opts[opt].name);
		seen[opt] = true;
		if (cli_opts[opt].arg) {
			if (inl)
				val = argv[i] + (inl - argv[i]);
			else if (i + 1 < argc)
				val = argv[++i];
			else
				return err_input(err, EINVAL, "--%s needs a value; see 'vfvm help run'",
						 cli_opts[opt].name);
		} else if (inl && cli_opts[opt].optional) {
			val = argv[i] + (inl - argv[i]);
		} else if (inl) {
			return err_input(err, EINVAL, "--%s takes no value", cli_opts[opt].name);
		}
		if (cli_apply(opt, val, cfg, err))
			return -EINVAL;
	}
	if (!cfg->boot.kernel)
		return err_input(err, EINVAL, "no kernel given; use --kernel FILE");
	if (cfg->trace_filter && !cfg->trace)
		return err_input(err, EINVAL, "--trace-filter without --trace; add --trace FILE");
	if (cli_check_fs(cfg, err))
		return -EINVAL;
	return cli_check_viommu(cfg, err);
}
