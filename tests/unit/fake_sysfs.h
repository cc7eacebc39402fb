/* fake_sysfs.h - builds a fake /sys tree (PCI devices, drivers, IOMMU groups) under a
 * temporary directory, for the VFIO host-side tests. Header-only. */
#ifndef FAKE_SYSFS_H
#define FAKE_SYSFS_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEV "sys/bus/pci/devices/"

static char fake_root[PATH_MAX];

static void fake_mkpath(const char *rel)
{
	char p[PATH_MAX * 2], *s;

	snprintf(p, sizeof(p), "%s/%s", fake_root, rel);
	for (s = p + strlen(fake_root) + 1; (s = strchr(s, '/')); s++) {
		*s = 0;
		mkdir(p, 0755);
		*s = '/';
	}
	mkdir(p, 0755);
}

static void fake_put(const char *rel, const char *content)
{
	char p[PATH_MAX * 2];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", fake_root, rel);
	f = fopen(p, "w");
	if (!f)
		abort();
	fputs(content, f);
	fclose(f);
}

static void fake_link(const char *target, const char *rel)
{
	char p[PATH_MAX * 2];

	snprintf(p, sizeof(p), "%s/%s", fake_root, rel);
	unlink(p);
	if (symlink(target, p))
		abort();
}

/* A device with IDs 8086:10d3 class 020000, in IOMMU group @group (< 0: none), bound to
 * @driver (NULL: none). */
static void fake_add_dev(const char *bdf, int group, const char *driver)
{
	char rel[256], tgt[256];

	snprintf(rel, sizeof(rel), DEV "%s", bdf);
	fake_mkpath(rel);
	snprintf(rel, sizeof(rel), DEV "%s/vendor", bdf);
	fake_put(rel, "0x8086\n");
	snprintf(rel, sizeof(rel), DEV "%s/device", bdf);
	fake_put(rel, "0x10d3\n");
	snprintf(rel, sizeof(rel), DEV "%s/class", bdf);
	fake_put(rel, "0x020000\n");
	snprintf(rel, sizeof(rel), DEV "%s/driver_override", bdf);
	fake_put(rel, "(null)\n");
	if (group >= 0) {
		snprintf(rel, sizeof(rel), "sys/kernel/iommu_groups/%d/devices", group);
		fake_mkpath(rel);
		snprintf(rel, sizeof(rel), "sys/kernel/iommu_groups/%d/devices/%s", group, bdf);
		fake_link("../../../../bus/pci/devices/x", rel);
		snprintf(tgt, sizeof(tgt), "../../../../kernel/iommu_groups/%d", group);
		snprintf(rel, sizeof(rel), DEV "%s/iommu_group", bdf);
		fake_link(tgt, rel);
	}
	if (driver) {
		snprintf(rel, sizeof(rel), "sys/bus/pci/drivers/%s", driver);
		fake_mkpath(rel);
		snprintf(tgt, sizeof(tgt), "../../drivers/%s", driver);
		snprintf(rel, sizeof(rel), DEV "%s/driver", bdf);
		fake_link(tgt, rel);
	}
}

static int fake_sysfs_new(void)
{
	strcpy(fake_root, "/tmp/vfvm-sysfs-XXXXXX");
	return mkdtemp(fake_root) ? 0 : -1;
}

static int fake_sysfs_free(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fake_root);
	return system(cmd) == 0 ? 0 : -1;
}

#endif
