/* fs.h - virtio-fs (virtio 1.2 §5.11): a shared host directory the guest mounts by its tag, the
 * file system served by a vhost-user back end (virtiofsd). */
#ifndef VFVM_VIRTIO_FS_H
#define VFVM_VIRTIO_FS_H

#include <stdbool.h>
#include <stdint.h>
#include "core/err.h"

#define FS_TAG_MAX	36	/* §5.11.4: tag[36], not NUL-terminated when all 36 are used */
#define FS_QUEUES	2	/* hiprio and one request queue */
#define FS_QUEUE_SIZE	1024

struct pci_bus;
struct guest_mem;
struct virtio_fs;

/* Is @tag usable (1..36 bytes, printable, no comma)? -EINVAL otherwise. */
int virtio_fs_tag_check(const char *tag);
/*
 * A virtio-fs function on @bus whose queues the back end at @sock serves (connected and
 * asked for its features now, so that a dead socket is an error before the guest runs). @mem
 * must be shared (memfd) RAM. Should the back end go (its socket closes, a request fails),
 * the device says so in one line (@quiet: not for a closed socket, the machine reports its
 * own daemon's end) and answers every request in flight and after with FUSE error -EIO.
 */
int virtio_fs_create(struct pci_bus *bus, const struct guest_mem *mem, const char *sock,
		     const char *tag, bool quiet, struct err *err);

#endif
