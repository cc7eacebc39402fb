/* host.c - the host bridge at 00.0 and configuration mechanism #1 (PCI Local Bus 3.0
 * §3.2.2.3.2): the CONFIG_ADDRESS latch at 0xCF8 and the CONFIG_DATA window at 0xCFC-0xCFF. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "pci_dev.h"

#define CF8_ENABLE	0x80000000u
#define CF8_MASK	0x80fffffcu	/* reserved bits 30:24 and bits 1:0 read as 0 */

/*
 * Byte/word accesses to 0xCF8-0xCFB are not CONFIG_ADDRESS accesses (PCI 3.0 §3.2.2.3.2):
 * reads float high, writes go nowhere. The one other register there, the Reset Control
 * Register at 0xCF9, is decoded by the vCPU before the port bus (machine_rcr_io).
 */
static void cf8_other(void *data, unsigned len, bool is_write)
{
	if (!is_write)
		memset(data, 0xff, len);
}

void pci_host_io(void *opaque, uint64_t offset, void *data, unsigned len, bool is_write)
{
	struct pci_bus *b = opaque;
	uint32_t v = 0;

	if (offset < 4) {
		/* Only a DWORD access to 0xCF8 is a CONFIG_ADDRESS access. */
		if (offset != 0 || len != 4) {
			cf8_other(data, len, is_write);
			return;
		}
		if (is_write) {
			memcpy(&b->cf8, data, 4);
			b->cf8 &= CF8_MASK;
		} else {
			memcpy(data, &b->cf8, 4);
		}
		return;
	}
	offset -= 4;
	if (offset + len > 4 || !(b->cf8 & CF8_ENABLE)) {
		/* Enable clear: the data window is not a configuration access. */
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	if (is_write)
		memcpy(&v, data, len);
	pci_config_access(b, (b->cf8 >> 8) & 0xffff, (b->cf8 & 0xfc) + offset, &v, len,
			  is_write);
	if (!is_write)
		memcpy(data, &v, len);
}

int pci_host_bridge_create(struct pci_bus *b)
{
	struct pci_dev *d = pci_dev_new(PCI_HOST_VENDOR, PCI_HOST_DEVICE, 0x06000002, NULL, NULL);
	int r;

	if (!d)
		return -ENOMEM;
	strcpy(d->name, "pci-host");
	/* A host bridge decodes memory and I/O towards the bus from power-on. */
	pci_cfg_set(d, PCI_COMMAND, 2, PCI_CMD_IO | PCI_CMD_MEM);
	pci_cfg_set(d, PCI_STATUS, 2, 0x0280);	/* fast back-to-back, medium DEVSEL timing */
	r = pci_dev_attach(b, d, 0, 0);
	if (r) {
		free(d);
		return r;
	}
	pci_dev_seal(d);
	return 0;
}
