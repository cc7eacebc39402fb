/* devices.c - the table of --device types and the dispatch from a --device argument to the
 * type's create function (testdev now; "vfio,host=BDF" is one more row). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "devices.h"
#include "vfio/vfio_vm.h"
#include "virtio/rng.h"

static const struct pci_device_type pci_types[] = {
	{ "testdev", "the vfvm PCI test device: testdev[,vectors=N][,ram=SIZE]", testdev_create },
	{ "vfio", "a host device through VFIO: vfio,host=BDF[,rombar=0|1][,romfile=PATH][,addr=SLOT]",
	  vfio_device_create },
	{ "virtio-rng", "virtio entropy device (virtio-pci modern), filled from getrandom(2): virtio-rng",
	  virtio_rng_create },
};

int pci_device_create(struct vm *vm, struct pci_bus *b, const char *spec, struct err *err)
{
	size_t n = strcspn(spec, ",");
	char known[256] = "";

	for (size_t i = 0; i < sizeof(pci_types) / sizeof(pci_types[0]); i++) {
		if (strlen(pci_types[i].name) == n && !strncmp(spec, pci_types[i].name, n))
			return pci_types[i].create(vm, b, spec[n] ? spec + n + 1 : "", err);
		snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s",
			 i ? ", " : "", pci_types[i].name);
	}
	return err_input(err, EINVAL, "--device %s: unknown device type '%.*s' (known: %s)",
			 spec, (int)n, spec, known);
}
