/* host.c - sysfs queries about host PCI devices and their IOMMU groups (see host.h).
 * Linux ABI: Documentation/ABI/testing/sysfs-bus-pci, sysfs-kernel-iommu_groups. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "host.h"

int bdf_parse(const char *s, struct pci_bdf *out)
{
	unsigned dom = 0, bus, dev, fn;
	int n = 0;

	if (!s)
		return -EINVAL;
	if (sscanf(s, "%4x:%2x:%2x.%1u%n", &dom, &bus, &dev, &fn, &n) == 4 && !s[n] && n == 12)
		goto ok;
	dom = 0;
	n = 0;
	if (sscanf(s, "%2x:%2x.%1u%n", &bus, &dev, &fn, &n) == 3 && !s[n] && n == 7)
		goto ok;
	return -EINVAL;
ok:
	if (dev > 0x1f || fn > 7)
		return -EINVAL;
	out->domain = dom;
	out->bus = bus;
	out->dev = dev;
	out->fn = fn;
	return 0;
}

void bdf_format(const struct pci_bdf *b, char *buf, size_t len)
{
	snprintf(buf, len, "%04x:%02x:%02x.%u", b->domain, b->bus, b->dev, b->fn);
}

int host_dev_path(const struct vfio_host *h, const struct pci_bdf *b, const char *leaf,
		  char *buf, size_t len)
{
	char bdf[BDF_STR_LEN];
	int n;

	bdf_format(b, bdf, sizeof(bdf));
	n = snprintf(buf, len, "%s/sys/bus/pci/devices/%s%s%s", h->root ? h->root : "", bdf,
		     leaf ? "/" : "", leaf ? leaf : "");
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

bool host_dev_exists(const struct vfio_host *h, const struct pci_bdf *b)
{
	char path[PATH_MAX];

	return !host_dev_path(h, b, NULL, path, sizeof(path)) && !access(path, F_OK);
}

/* The last component of the symlink @leaf of the device, e.g. "vfio-pci" for "driver". */
static int dev_link_name(const struct vfio_host *h, const struct pci_bdf *b, const char *leaf,
			 char *buf, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;
	int r;

	r = host_dev_path(h, b, leaf, path, sizeof(path));
	if (r)
		return r;
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = 0;
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= len)
		return -ENAMETOOLONG;
	strcpy(buf, base);
	return 0;
}

int host_dev_group(const struct vfio_host *h, const struct pci_bdf *b)
{
	char name[32], *end;
	long g;
	int r;

	r = dev_link_name(h, b, "iommu_group", name, sizeof(name));
	if (r)
		return r == -ENOENT ? -ENOENT : r;
	g = strtol(name, &end, 10);
	if (*end || g < 0 || g > INT_MAX)
		return -EINVAL;
	return (int)g;
}

int host_dev_driver(const struct vfio_host *h, const struct pci_bdf *b, char *buf, size_t len)
{
	int r = dev_link_name(h, b, "driver", buf, len);

	if (r == -ENOENT) {
		if (len)
			buf[0] = 0;
		return 0;
	}
	return r;
}

int host_dev_reset_method(const struct vfio_host *h, const struct pci_bdf *b, char *buf,
			  size_t len)
{
	char path[512];
	FILE *f;
	size_t n;
	int r;

	if (!len)
		return -EINVAL;
	buf[0] = 0;
	r = host_dev_path(h, b, "reset_method", path, sizeof(path));
	if (r)
		return r;
	f = fopen(path, "re");
	if (!f) {
		/* Before Linux 5.15 only the "reset" file says that some method exists. */
		r = host_dev_path(h, b, "reset", path, sizeof(path));
		if (!r && access(path, F_OK) == 0) {
			snprintf(buf, len, "yes");
			return 0;
		}
		snprintf(buf, len, "none");
		return 0;
	}
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	for (char *p = buf; *p; p++)
		if (*p == ' ')
			*p = ',';
	if (!buf[0])
		snprintf(buf, len, "none");
	return 0;
}

static int read_hex(const char *path, unsigned long *out)
{
	char buf[64], *end;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -EINVAL;
	buf[n] = 0;
	errno = 0;
	*out = strtoul(buf, &end, 16);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

static int dev_read_hex(const struct vfio_host *h, const struct pci_bdf *b, const char *leaf,
			unsigned long *out)
{
	char path[PATH_MAX];
	int r = host_dev_path(h, b, leaf, path, sizeof(path));

	return r ? r : read_hex(path, out);
}

int host_dev_ids(const struct vfio_host *h, const struct pci_bdf *b, uint16_t *vendor,
		 uint16_t *device, uint32_t *class)
{
	unsigned long v, d, c;
	int r;

	r = dev_read_hex(h, b, "vendor", &v);
	if (!r)
		r = dev_read_hex(h, b, "device", &d);
	if (!r)
		r = dev_read_hex(h, b, "class", &c);
	if (r)
		return r;
	*vendor = v;
	*device = d;
	*class = c & 0xffffff;
	return 0;
}

static int bdf_cmp(const void *a, const void *b)
{
	const struct pci_bdf *x = a, *y = b;
	uint32_t kx = (uint32_t)x->domain << 16 | x->bus << 8 | x->dev << 3 | x->fn;
	uint32_t ky = (uint32_t)y->domain << 16 | y->bus << 8 | y->dev << 3 | y->fn;

	return kx < ky ? -1 : kx > ky;
}

int host_group_devices(const struct vfio_host *h, int group, struct pci_bdf *out, int max)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/sys/kernel/iommu_groups/%d/devices",
		 h->root ? h->root : "", group);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct pci_bdf b;

		if (de->d_name[0] == '.' || bdf_parse(de->d_name, &b))
			continue;
		if (n < max)
			out[n] = b;
		n++;
	}
	closedir(d);
	if (n > max)
		n = max;
	qsort(out, n, sizeof(*out), bdf_cmp);
	return n;
}

static bool bdf_in(const struct pci_bdf *b, const struct pci_bdf *set, int n)
{
	for (int i = 0; i < n; i++)
		if (!bdf_cmp(b, &set[i]))
			return true;
	return false;
}

/* Drivers that keep a group viable (drivers/vfio/group.c: vfio-pci, pci-stub, none). */
static bool driver_is_harmless(const char *drv)
{
	return !drv[0] || !strcmp(drv, "vfio-pci") || !strcmp(drv, "pci-stub") ||
	       !strcmp(drv, "pcieport");
}

int host_group_check(const struct vfio_host *h, int group, const struct pci_bdf *passed,
		     int npassed, struct err *err)
{
	struct pci_bdf devs[64];
	char drv[64], bdf[BDF_STR_LEN], who[BDF_STR_LEN];
	int n, r;

	n = host_group_devices(h, group, devs, 64);
	if (n < 0)
		return err_set(err, -n, "IOMMU group %d: cannot list its devices: %s", group,
			       strerror(-n));
	bdf_format(&passed[0], who, sizeof(who));
	for (int i = 0; i < n; i++) {
		r = host_dev_driver(h, &devs[i], drv, sizeof(drv));
		if (r)
			return err_set(err, -r, "IOMMU group %d: cannot read driver: %s", group,
				       strerror(-r));
		if (driver_is_harmless(drv) || bdf_in(&devs[i], passed, npassed))
			continue;
		bdf_format(&devs[i], bdf, sizeof(bdf));
		return err_input(err, EBUSY,
				 "%s: IOMMU group %d also holds %s, which is bound to %s; bind it "
				 "to vfio-pci (vfvm bind %s) or pass it too", who, group, bdf, drv,
				 bdf);
	}
	return 0;
}

int host_group_resv(const struct vfio_host *h, int group, struct host_resv *out, int max)
{
	char path[PATH_MAX], line[256];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/sys/kernel/iommu_groups/%d/reserved_regions",
		 h->root ? h->root : "", group);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e;
		char type[16];

		if (sscanf(line, "%llx %llx %15s", &s, &e, type) != 3 || e < s)
			continue;
		if (n < max) {
			out[n].start = s;
			out[n].end = e;
			snprintf(out[n].type, sizeof(out[n].type), "%s", type);
		}
		n++;
	}
	fclose(f);
	return n > max ? max : n;
}

static int write_str(const char *path, const char *s)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	if (n < 0)
		return -errno;
	return 0;
}

static int bus_write(const struct vfio_host *h, const char *leaf, const char *s)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/sys/bus/pci/%s", h->root ? h->root : "", leaf);
	return write_str(path, s);
}

/* Unbind the current driver, if any. */
static int dev_unbind_driver(const struct vfio_host *h, const struct pci_bdf *b)
{
	char path[PATH_MAX], bdf[BDF_STR_LEN];
	int r;

	r = host_dev_path(h, b, "driver/unbind", path, sizeof(path));
	if (r)
		return r;
	if (access(path, F_OK))
		return 0;
	bdf_format(b, bdf, sizeof(bdf));
	return write_str(path, bdf);
}

int host_bind(const struct vfio_host *h, const struct pci_bdf *b, struct err *err)
{
	char path[PATH_MAX], bdf[BDF_STR_LEN], drv[64];
	int r;

	bdf_format(b, bdf, sizeof(bdf));
	if (!host_dev_exists(h, b))
		return err_input(err, ENODEV, "%s: no such PCI device on this host (see vfvm "
				 "devices)", bdf);
	r = host_dev_driver(h, b, drv, sizeof(drv));
	if (!r && !strcmp(drv, "vfio-pci"))
		return 0;
	snprintf(path, sizeof(path), "%s/sys/bus/pci/drivers/vfio-pci", h->root ? h->root : "");
	if (access(path, F_OK))
		return err_set(err, ENOENT, "%s: the vfio-pci driver is not loaded; run: "
			       "modprobe vfio-pci", bdf);
	r = host_dev_path(h, b, "driver_override", path, sizeof(path));
	if (!r)
		r = write_str(path, "vfio-pci");
	if (!r)
		r = dev_unbind_driver(h, b);
	if (!r)
		r = bus_write(h, "drivers_probe", bdf);
	if (r)
		return err_set(err, -r, "%s: binding to vfio-pci failed: %s", bdf, strerror(-r));
	r = host_dev_driver(h, b, drv, sizeof(drv));
	if (r || strcmp(drv, "vfio-pci"))
		return err_set(err, EIO, "%s: still not bound to vfio-pci after probing (driver "
			       "'%s'); see dmesg", bdf, drv);
	return 0;
}

int host_unbind(const struct vfio_host *h, const struct pci_bdf *b, struct err *err)
{
	char path[PATH_MAX], bdf[BDF_STR_LEN];
	int r;

	bdf_format(b, bdf, sizeof(bdf));
	if (!host_dev_exists(h, b))
		return err_input(err, ENODEV, "%s: no such PCI device on this host (see vfvm "
				 "devices)", bdf);
	/* An empty driver_override lets the normal ID match pick the device's own driver. */
	r = host_dev_path(h, b, "driver_override", path, sizeof(path));
	if (!r)
		r = write_str(path, "\n");
	if (!r)
		r = dev_unbind_driver(h, b);
	if (!r)
		r = bus_write(h, "drivers_probe", bdf);
	if (r)
		return err_set(err, -r, "%s: unbinding from vfio-pci failed: %s", bdf,
			       strerror(-r));
	return 0;
}
