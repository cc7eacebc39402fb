/* quirk.h - device-specific quiescing after a reset, for functions whose host reset leaves
 * their DMA engines running (docs/passthrough.md §3, docs/testing.md issue 15). */
#ifndef VFVM_VFIO_QUIRK_H
#define VFVM_VFIO_QUIRK_H

#include <stdint.h>
#include "device.h"

/* Ops a quirk needs besides region access: sleeping (tests pass a no-op). */
typedef void vfio_quirk_sleep_fn(unsigned usec);

/* The name of @vendor:@device's quiesce quirk, or NULL when it has none. */
const char *vfio_quirk_name(uint16_t vendor, uint16_t device);
/*
 * After VFIO_DEVICE_RESET (or instead of a reset the host lacks): stop @vendor:@device's
 * receive and transmit DMA and mask its interrupts through its registers, as its driver does
 * before a software reset. The caller has memory decoding on and bus master off. Returns the
 * quirk's name, or NULL when the device has none; *@result is 0 or the first -errno.
 */
const char *vfio_quirk_quiesce(const struct vfio_device *d, uint16_t vendor, uint16_t device,
			       vfio_quirk_sleep_fn *sleep, int *result);

#endif
