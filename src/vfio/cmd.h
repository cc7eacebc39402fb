/* cmd.h - the host-side subcommands: `vfvm devices`, `vfvm bind BDF`, `vfvm unbind BDF`. */
#ifndef VFVM_VFIO_CMD_H
#define VFVM_VFIO_CMD_H

#include <stdio.h>
#include "host.h"

/* Each returns the process exit status (0, 1 runtime, 2 bad usage). */
int vfio_cmd_devices(int argc, char **argv);
int vfio_cmd_bind(int argc, char **argv);
int vfio_cmd_unbind(int argc, char **argv);

extern const char vfio_devices_help[], vfio_bind_help[], vfio_unbind_help[];

/* Why the device cannot be assigned as it is ("" if it can); exposed for tests. */
void vfio_assignable(const struct vfio_host *h, const struct pci_bdf *b, char *why, size_t len);
/* The `vfvm devices` table for the host under @h, names from @names (may be NULL). */
int vfio_list(const struct vfio_host *h, FILE *out,
	      const char *(*names)(void *ctx, uint16_t ven, uint16_t dev, char *buf, size_t len),
	      void *ctx);

#endif
