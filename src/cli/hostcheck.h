/* hostcheck.h - `vfvm host`: whether this host can run vfvm guests (KVM, ring 0, VFIO). */
#ifndef VFVM_HOSTCHECK_H
#define VFVM_HOSTCHECK_H

/* The subcommand; argv[0] is "host". Exit status 0 if KVM is usable, 1 if not, 2 bad usage. */
int hostcheck_cmd(int argc, char **argv);

extern const char hostcheck_help[];

#endif
