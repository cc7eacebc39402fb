/* quirk.c - device-specific quiescing after a reset: a reset method the kernel offers is not
 * always a reset (Linux keeps PCI_DEV_FLAGS_NO_PM_RESET quirks for devices whose D3hot->D0
 * does nothing), and a function that keeps its DMA running DMAs into the next guest's RAM
 * the moment that guest turns Bus Master on (issue 15: the lab's e1000e). */
#include <errno.h>
#include <stddef.h>
#include "quirk.h"

/*
 * Intel 82574 (8086:10d3; QEMU's e1000e models it). Offsets and bits from the 82574 GbE
 * Controller Datasheet §10.2 (Linux drivers/net/ethernet/intel/e1000e/regs.h, defines.h):
 * CTRL.RST (bit 26) is the software reset, RCTL.EN (bit 1) and TCTL.EN (bit 1) the receive
 * and transmit units, IMC masks interrupt causes, ICR clears them on read.
 */
#define E1000_CTRL	0x0000
#define E1000_STATUS	0x0008
#define E1000_ICR	0x00c0
#define E1000_IMC	0x00d8
#define E1000_RCTL	0x0100
#define E1000_TCTL	0x0400
#define E1000_CTRL_RST	(1u << 26)
#define E1000_TCTL_PSP	0x00000008u	/* pad short packets: the value the driver leaves */

static int r32(const struct vfio_device *d, uint64_t off, uint32_t *v)
{
	return vfio_region_read(d, VFIO_PCI_BAR0_REGION_INDEX, off, v, 4);
}

static int w32(const struct vfio_device *d, uint64_t off, uint32_t v)
{
	return vfio_region_write(d, VFIO_PCI_BAR0_REGION_INDEX, off, &v, 4);
}

/*
 * The sequence of Linux's e1000_reset_hw_82571(): mask every interrupt, receive unit off,
 * transmit unit off, flush with a read, wait 10 ms for DMA in flight, software reset, wait,
 * mask again and clear what is pending. QEMU 7.2's e1000e resets only the MAC address on
 * CTRL.RST, so the explicit RCTL/TCTL writes are what stop its DMA there.
 */
static int e1000e_quiesce(const struct vfio_device *d, vfio_quirk_sleep_fn *sleep)
{
	uint32_t v;
	int r;

	if ((r = w32(d, E1000_IMC, 0xffffffffu)) || (r = w32(d, E1000_RCTL, 0)) ||
	    (r = w32(d, E1000_TCTL, E1000_TCTL_PSP)) || (r = r32(d, E1000_STATUS, &v)))
		return r;
	sleep(10000);
	if ((r = r32(d, E1000_CTRL, &v)) || (r = w32(d, E1000_CTRL, v | E1000_CTRL_RST)))
		return r;
	sleep(10000);
	if ((r = w32(d, E1000_IMC, 0xffffffffu)) || (r = r32(d, E1000_ICR, &v)))
		return r;
	return 0;
}

static const struct {
	uint16_t vendor, device;
	const char *name;
	int (*quiesce)(const struct vfio_device *d, vfio_quirk_sleep_fn *sleep);
} quirks[] = {
	{ 0x8086, 0x10d3, "e1000e-rx-tx-off", e1000e_quiesce },
};

const char *vfio_quirk_name(uint16_t vendor, uint16_t device)
{
	for (size_t i = 0; i < sizeof(quirks) / sizeof(quirks[0]); i++)
		if (quirks[i].vendor == vendor && quirks[i].device == device)
			return quirks[i].name;
	return NULL;
}

const char *vfio_quirk_quiesce(const struct vfio_device *d, uint16_t vendor, uint16_t device,
			       vfio_quirk_sleep_fn *sleep, int *result)
{
	for (size_t i = 0; i < sizeof(quirks) / sizeof(quirks[0]); i++) {
		if (quirks[i].vendor != vendor || quirks[i].device != device)
			continue;
		/* BAR0 must be a memory region the registers fit in. */
		*result = d->regions[VFIO_PCI_BAR0_REGION_INDEX].size < E1000_TCTL + 4 ? -ENODEV :
			  quirks[i].quiesce(d, sleep);
		return quirks[i].name;
	}
	*result = 0;
	return NULL;
}
