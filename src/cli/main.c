/* main.c - the vfvm command: subcommands dispatched through a table (run, VFIO's devices,
 * bind, unbind, the host check, help), exit statuses 0/1/2 and the guest's own. */
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/hostcheck.h"
#include "machine/machine.h"
#include "vfio/cmd.h"

#define VFVM_VERSION "0.1"

static int cmd_run(int argc, char **argv);
static int cmd_help(int argc, char **argv);

static const struct cli_cmd commands[] = {
	{ "run", cmd_run, "boot a kernel in a new VM", cli_run_help },
	{ "host", hostcheck_cmd, "check that this host can run guests (KVM, VFIO, IOMMU)",
	  hostcheck_help },
	{ "devices", vfio_cmd_devices, "list host PCI devices and whether each can be passed",
	  vfio_devices_help },
	{ "bind", vfio_cmd_bind, "move a host PCI device to vfio-pci", vfio_bind_help },
	{ "unbind", vfio_cmd_unbind, "give a device back to its own driver", vfio_unbind_help },
	{ "help", cmd_help, "show help for a command",
	  "usage: vfvm help [COMMAND]\n" },
	{ NULL, NULL, NULL, NULL },
};

/* Bad usage: one line on stderr, exit status 2. */
static int usage_error(const struct err *e)
{
	fprintf(stderr, "vfvm: %s\n", e->msg);
	return 2;
}

static void print_usage(FILE *f)
{
	fprintf(f, "usage: vfvm COMMAND [options]\n"
		"       vfvm --help | --version\n\ncommands:\n");
	for (const struct cli_cmd *c = commands; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f, "\n'vfvm help COMMAND' shows a command's options.\n"
		"exit status: 0 success (or guest reset), 1 runtime failure, 2 bad usage,\n"
		"             (v<<1)|1 after a guest write of v to the debug-exit port\n");
}

static int cmd_help(int argc, char **argv)
{
	const struct cli_cmd *c;
	struct err e;

	if (argc < 2) {
		print_usage(stdout);
		return 0;
	}
	c = cli_find(commands, argv[1]);
	if (!c || argc > 2) {
		err_input(&e, 22, "no command '%s'; see 'vfvm --help'", argv[argc > 2 ? 2 : 1]);
		return usage_error(&e);
	}
	fputs(c->help, stdout);
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	struct vm_config cfg;
	struct err e = { 0 };
	int r;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(cli_run_help, stdout);
			return 0;
		}
	}
	if (cli_parse_run(argc, argv, &cfg, &e))
		return usage_error(&e);
	r = machine_run(&cfg, &e);
	if (r >= 0)
		return r;
	fprintf(stderr, "vfvm: %s\n", e.msg[0] ? e.msg : "unknown failure");
	return e.usage ? 2 : 1;
}

int main(int argc, char **argv)
{
	const struct cli_cmd *c;
	struct err e;

	if (argc < 2) {
		err_input(&e, 22, "no command given; see 'vfvm --help'");
		return usage_error(&e);
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		print_usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("vfvm %s\n", VFVM_VERSION);
		return 0;
	}
	c = cli_find(commands, argv[1]);
	if (!c) {
		err_input(&e, 22, "unknown command '%s'; see 'vfvm --help'", argv[1]);
		return usage_error(&e);
	}
	return c->fn(argc - 1, argv + 1);
}
