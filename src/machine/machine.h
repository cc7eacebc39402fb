/* machine.h - the PC-like machine: builds struct vm from a vm_config (KVM VM, RAM, legacy
 * devices, PCI, boot), runs it to the end, and the small services vCPU threads call. */
#ifndef VFVM_MACHINE_H
#define VFVM_MACHINE_H

#include <stdbool.h>
#include <stdint.h>
#include "core/irq.h"
#include "core/vm.h"
#include "machine/machine_watch.h"	/* MACHINE_EXIT_WATCHDOG */

/*
 * Build and run the VM described by @cfg. Returns the process exit status (debug-exit
 * status, 0 for reset without --reboot, MACHINE_EXIT_WATCHDOG, 130/143 for SIGINT/SIGTERM), or a negative errno
 * with @err filled (err->usage set for bad input).
 */
int machine_run(const struct vm_config *cfg, struct err *err);

/* Stop the VM with process exit status @status (the first request wins). Any thread. */
void machine_exit(struct vm *vm, int status);
/* Stop the VM because of an error in a vCPU: message for main(), exit status 1. */
void machine_fail(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The guest asked for a reset (0x64, 0xCF9, triple fault): reboot or exit per --reboot. @why
 * ("8042 command 0xFE", "triple fault on vCPU 1", ...) is said at exit when the reset ends
 * vfvm (copied: it may be the caller's buffer). */
void machine_reset(struct vm *vm, const char *why);

#endif
