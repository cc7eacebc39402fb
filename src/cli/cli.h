/* cli.h - command-line parsing for `vfvm run` as pure functions (unit-tested in
 * tests/unit/test_cli.c), and the subcommand table type main.c dispatches through. */
#ifndef VFVM_CLI_H
#define VFVM_CLI_H

#include <stdint.h>
#include "core/err.h"
#include "core/vm.h"

#define CLI_MAX_MODULES 16
#define CLI_MAX_WATCHDOG 3600	/* seconds */
#define CLI_MAX_SHUTDOWN_TIMEOUT 3600
#define CLI_DEFAULT_SHUTDOWN_TIMEOUT 10	/* seconds a guest has after the power button */
#define CLI_MIN_MEMORY (2 * MiB)
#define CLI_MAX_MEMORY (1024 * GiB)
#define CLI_DEFAULT_MEMORY (256 * MiB)
/* Sanitizer builds log instead of killing: ASan's, LSan's and TSan's own run-time calls (LSan's
 * stop-the-world clone and ptrace at exit) are not vfvm's and are in no allow-list. */
#ifdef VFVM_SANITIZE
#define CLI_DEFAULT_SECCOMP SANDBOX_LOG
#else
#define CLI_DEFAULT_SECCOMP SANDBOX_ON
#endif

/* One subcommand: `vfvm NAME ...` calls fn(argc, argv) with argv[0] == NAME. */
struct cli_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;	/* one line for `vfvm --help` */
	const char *help;	/* full text for `vfvm help NAME` */
};

/* The entry of @tab (terminated by a NULL name) called @name, or NULL. */
const struct cli_cmd *cli_find(const struct cli_cmd *tab, const char *name);

/*
 * Parse the options of `vfvm run` (argv[0] is "run") into @cfg, which gets defaults first.
 * Strings in @cfg point into argv; a "--module FILE,ARGS" argument is split in place.
 * Returns 0, or -EINVAL with err_input() naming the bad option.
 */
int cli_parse_run(int argc, char **argv, struct vm_config *cfg, struct err *err);

/* Single-option parsers (exposed for tests). */
int cli_parse_memory(const char *s, uint64_t *out, struct err *err);
int cli_parse_cpus(const char *s, unsigned *out, struct err *err);
/* --watchdog: whole seconds, 1..CLI_MAX_WATCHDOG. */
int cli_parse_watchdog(const char *s, unsigned *out, struct err *err);
/* --shutdown-timeout SECONDS: 0 to CLI_MAX_SHUTDOWN_TIMEOUT. */
int cli_parse_shutdown_timeout(const char *s, unsigned *out, struct err *err);
int cli_parse_serial(const char *s, struct err *err);
int cli_parse_module(char *s, struct boot_module *m, struct err *err);

extern const char cli_run_help[];

#endif
