/* ecam.c - the PCI Express Enhanced Configuration Access Mechanism (PCI Express Base 5.0
 * §7.2.2): a memory window, 4 KiB per function, onto pci_config_access(). */
#include <stdio.h>
#include <string.h>
#include "pci_dev.h"

/*
 * §7.2.2, Table 7-1: address bits 27:20 the bus, 19:15 the device, 14:12 the function,
 * 11:0 the register. §7.2.2.2: software must access naturally aligned 1, 2 or 4 bytes;
 * anything else (8 bytes, a misaligned access, which is also what could straddle two
 * functions) is not a configuration access.
 */
bool pci_ecam_decode(uint64_t off, unsigned len, unsigned *bdf, unsigned *reg)
{
	if ((len != 1 && len != 2 && len != 4) || (off & (len - 1)) || off >= PCI_ECAM_MAX)
		return false;
	*bdf = (unsigned)(off >> 12);		/* bus << 8 | dev << 3 | fn */
	*reg = (unsigned)(off & 0xfff);
	return true;
}

/* The undefined accesses: reads float high (as an absent function's do), writes go nowhere;
 * said once per VM, since a guest can repeat one at will. */
static void pci_ecam_bad(struct pci_bus *b, uint64_t off, void *data, unsigned len,
			 bool is_write)
{
	if (!is_write)
		memset(data, 0xff, len);
	if (b->ecam_warned)
		return;
	b->ecam_warned = true;
	fprintf(stderr, "vfvm: ECAM: guest %s of %u bytes at offset %#llx is not a naturally "
		"aligned 1/2/4-byte access; %s (said once)\n", is_write ? "write" : "read", len,
		(unsigned long long)off, is_write ? "dropped" : "read as all-ones");
}

void pci_ecam_io(void *opaque, uint64_t off, void *data, unsigned len, bool is_write)
{
	struct pci_bus *b = opaque;
	unsigned bdf, reg;
	uint32_t v = 0;

	if (!pci_ecam_decode(off, len, &bdf, &reg)) {
		pci_ecam_bad(b, off, data, len, is_write);
		return;
	}
	if (is_write)
		memcpy(&v, data, len);
	pci_config_access(b, bdf, reg, &v, len, is_write);
	if (!is_write)
		memcpy(data, &v, len);
}
