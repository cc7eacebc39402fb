/* cmd.c - `vfvm devices` (host PCI devices, their names from libpci, IOMMU groups, drivers
 * and whether each can be assigned), `vfvm bind` and `vfvm unbind`. */
#include <dirent.h>
#include <errno.h>
#include <pci/pci.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd.h"

const char vfio_devices_help[] =
	"usage: vfvm devices\n"
	"Lists the host's PCI devices: address, vendor:device, class, IOMMU group, driver,\n"
	"whether it can be passed to a guest with --device vfio,host=BDF (and if not, why),\n"
	"and its name.\n";
const char vfio_bind_help[] =
	"usage: vfvm bind BDF\n"
	"Moves a host PCI device to vfio-pci (through driver_override) so it can be passed\n"
	"to a guest. Needs root. Undo with vfvm unbind BDF.\n";
const char vfio_unbind_help[] =
	"usage: vfvm unbind BDF\n"
	"Releases a device from vfio-pci and lets its own driver probe it again.\n";

/* Bridges and host bridges carry the platform; passing them makes no sense (PCI class 06). */
static bool class_is_bridge(uint32_t class)
{
	return (class >> 16) == 0x06;
}

void vfio_assignable(const struct vfio_host *h, const struct pci_bdf *b, char *why, size_t len)
{
	struct pci_bdf devs[64];
	char drv[64], other[64], bdf[BDF_STR_LEN], obdf[BDF_STR_LEN];
	uint16_t v, d;
	uint32_t class = 0;
	int g, n;

	bdf_format(b, bdf, sizeof(bdf));
	why[0] = 0;
	if (!host_dev_ids(h, b, &v, &d, &class) && class_is_bridge(class)) {
		snprintf(why, len, "a bridge");
		return;
	}
	g = host_dev_group(h, b);
	if (g < 0) {
		snprintf(why, len, "no IOMMU group (enable the IOMMU: intel_iommu=on or "
			 "amd_iommu=on)");
		return;
	}
	if (host_dev_driver(h, b, drv, sizeof(drv)) == 0 && strcmp(drv, "vfio-pci")) {
		snprintf(why, len, "bound to %s (vfvm bind %s)", drv[0] ? drv : "no driver", bdf);
		return;
	}
	n = host_group_devices(h, g, devs, 64);
	for (int i = 0; i < n; i++) {
		if (!memcmp(&devs[i], b, sizeof(*b)))
			continue;
		if (host_dev_driver(h, &devs[i], other, sizeof(other)) ||
		    !other[0] || !strcmp(other, "vfio-pci") || !strcmp(other, "pci-stub") ||
		    !strcmp(other, "pcieport"))
			continue;
		bdf_format(&devs[i], obdf, sizeof(obdf));
		snprintf(why, len, "group %d also holds %s (%s)", g, obdf, other);
		return;
	}
}

static int bdf_sort(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int vfio_list(const struct vfio_host *h, FILE *out,
	      const char *(*names)(void *ctx, uint16_t ven, uint16_t dev, char *buf, size_t len),
	      void *ctx)
{
	char path[512], why[160], drv[64], name[256], grp[16], rst[32];
	char *list[1024];
	struct dirent *de;
	int n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices", h->root ? h->root : "");
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir)) && n < 1024) {
		struct pci_bdf b;

		if (!bdf_parse(de->d_name, &b))
			list[n++] = strdup(de->d_name);
	}
	closedir(dir);
	qsort(list, n, sizeof(list[0]), bdf_sort);
	fprintf(out, "%-13s %-9s %-6s %-5s %-14s %-9s %-3s %s\n", "BDF", "ID", "CLASS", "GROUP",
		"DRIVER", "RESET", "OK", "NAME / WHY NOT");
	for (int i = 0; i < n; i++) {
		struct pci_bdf b;
		uint16_t v = 0, d = 0;
		uint32_t class = 0;
		int g;

		if (!list[i] || bdf_parse(list[i], &b))
			continue;
		host_dev_ids(h, &b, &v, &d, &class);
		g = host_dev_group(h, &b);
		snprintf(grp, sizeof(grp), g < 0 ? "-" : "%d", g);
		if (host_dev_driver(h, &b, drv, sizeof(drv)) || !drv[0])
			strcpy(drv, "-");
		if (host_dev_reset_method(h, &b, rst, sizeof(rst)))
			strcpy(rst, "?");
		vfio_assignable(h, &b, why, sizeof(why));
		name[0] = 0;
		if (names)
			names(ctx, v, d, name, sizeof(name));
		fprintf(out, "%-13s %04x:%04x %04x   %-5s %-14s %-9s %-3s %s%s%s\n", list[i], v,
			d, class >> 8, grp, drv, rst, why[0] ? "no" : "yes", name,
			why[0] ? (name[0] ? " — " : "") : "", why);
	}
	for (int i = 0; i < n; i++)
		free(list[i]);
	return 0;
}

static const char *libpci_name(void *ctx, uint16_t ven, uint16_t dev, char *buf, size_t len)
{
	struct pci_access *acc = ctx;

	if (!acc)
		return buf;
	pci_lookup_name(acc, buf, len, PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE, ven, dev);
	return buf;
}

static const struct vfio_host real_host = { "" };

int vfio_cmd_devices(int argc, char **argv)
{
	struct pci_access *acc;
	int r;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "vfvm: devices takes no arguments\n%s", vfio_devices_help);
		return 2;
	}
	acc = pci_alloc();
	if (acc)
		pci_init(acc);
	r = vfio_list(&real_host, stdout, libpci_name, acc);
	if (acc)
		pci_cleanup(acc);
	if (r) {
		fprintf(stderr, "vfvm: cannot list /sys/bus/pci/devices: %s\n", strerror(-r));
		return 1;
	}
	return 0;
}

static int bind_cmd(int argc, char **argv, bool bind)
{
	struct pci_bdf b;
	struct err e = { 0 };
	int r;

	if (argc != 2) {
		fprintf(stderr, "vfvm: %s needs one PCI address, e.g. 0000:01:00.0\n%s", argv[0],
			bind ? vfio_bind_help : vfio_unbind_help);
		return 2;
	}
	if (bdf_parse(argv[1], &b)) {
		fprintf(stderr, "vfvm: '%s' is not a PCI address; write it as 0000:01:00.0 (see "
			"vfvm devices)\n", argv[1]);
		return 2;
	}
	/* Host administration, not guest running: sysfs driver files are root's (security.md). */
	if (geteuid() != 0) {
		fprintf(stderr, "vfvm: %s needs root (it writes the device's sysfs driver files); "
			"run: sudo vfvm %s %s\n", argv[0], argv[0], argv[1]);
		return 1;
	}
	r = bind ? host_bind(&real_host, &b, &e) : host_unbind(&real_host, &b, &e);
	if (r) {
		fprintf(stderr, "vfvm: %s\n", e.msg);
		return e.usage ? 2 : 1;
	}
	return 0;
}

int vfio_cmd_bind(int argc, char **argv)
{
	return bind_cmd(argc, argv, true);
}

int vfio_cmd_unbind(int argc, char **argv)
{
	return bind_cmd(argc, argv, false);
}
