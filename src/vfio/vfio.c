/* vfio.c - VFIO type1 container and groups (see vfio.h): viability, IOMMU type, DMA mapping
 * of guest RAM at IOVA = GPA, orderly teardown. */
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#include "vfio.h"

static int linux_open(void *ctx, const char *path, int flags)
{
	int fd;

	(void)ctx;
	fd = open(path, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int linux_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	int r;

	(void)ctx;
	r = ioctl(fd, req, arg);
	return r < 0 ? -errno : r;
}

static void linux_close(void *ctx, int fd)
{
	(void)ctx;
	close(fd);
}

static void *linux_mmap(void *ctx, size_t len, int prot, int fd, off_t off)
{
	void *p;

	(void)ctx;
	p = mmap(NULL, len, prot, MAP_SHARED, fd, off);
	return p == MAP_FAILED ? NULL : p;
}

static void linux_munmap(void *ctx, void *addr, size_t len)
{
	(void)ctx;
	munmap(addr, len);
}

static ssize_t linux_pread(void *ctx, int fd, void *buf, size_t n, off_t off)
{
	ssize_t r;

	(void)ctx;
	r = pread(fd, buf, n, off);
	return r < 0 ? -errno : r;
}

static ssize_t linux_pwrite(void *ctx, int fd, const void *buf, size_t n, off_t off)
{
	ssize_t r;

	(void)ctx;
	r = pwrite(fd, buf, n, off);
	return r < 0 ? -errno : r;
}

const struct vfio_sys vfio_sys_linux = {
	.open = linux_open,
	.ioctl = linux_ioctl,
	.close = linux_close,
	.mmap = linux_mmap,
	.munmap = linux_munmap,
	.pread = linux_pread,
	.pwrite = linux_pwrite,
};

#define SYS(c, op, ...) ((c)->sys->op((c)->sys->ctx, __VA_ARGS__))

static const char *root_of(const struct vfio_container *c)
{
	return c->host && c->host->root ? c->host->root : "";
}

int vfio_container_open(struct vfio_container *c, const struct vfio_sys *sys,
			const struct vfio_host *host, struct err *err)
{
	char path[256];
	int r;

	memset(c, 0, sizeof(*c));
	c->sys = sys;
	c->host = host;
	c->fd = -1;
	snprintf(path, sizeof(path), "%s/dev/vfio/vfio", root_of(c));
	r = SYS(c, open, path, O_RDWR);
	if (r == -ENOENT)
		return err_input(err, ENOENT, "%s does not exist: this host has no VFIO; load it "
				 "(modprobe vfio-pci) and enable the IOMMU (intel_iommu=on or "
				 "amd_iommu=on on the host kernel command line)", path);
	if (r < 0)
		return err_set(err, -r, "%s: %s", path, strerror(-r));
	c->fd = r;
	r = SYS(c, ioctl, c->fd, VFIO_GET_API_VERSION, NULL);
	if (r != VFIO_API_VERSION) {
		vfio_container_close(c);
		return err_set(err, EINVAL, "VFIO API version %d, vfvm speaks %d", r,
			       VFIO_API_VERSION);
	}
	r = SYS(c, ioctl, c->fd, VFIO_CHECK_EXTENSION, (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU);
	if (r <= 0) {
		vfio_container_close(c);
		return err_set(err, ENOTSUP, "the host's VFIO has no type1v2 IOMMU backend "
			       "(vfio_iommu_type1 not loaded, or no IOMMU)");
	}
	return 0;
}

static int group_open(struct vfio_container *c, int id, struct err *err)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/dev/vfio/%d", root_of(c), id);
	fd = SYS(c, open, path, O_RDWR);
	if (fd == -EBUSY)
		return err_input(err, EBUSY, "IOMMU group %d (%s) is already in use by another "
				 "program (another VMM?)", id, path);
	if (fd == -ENOENT)
		return err_input(err, ENOENT, "%s does not exist: bind the group's devices to "
				 "vfio-pci first (vfvm bind BDF)", path);
	if (fd < 0)
		return err_set(err, -fd, "%s: %s", path, strerror(-fd));
	return fd;
}

int vfio_group_get(struct vfio_container *c, int id, const struct pci_bdf *passed, int npassed,
		   struct err *err)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	int fd, r;

	for (int i = 0; i < c->ngroups; i++)
		if (c->groups[i].id == id)
			return c->groups[i].fd;
	if (c->ngroups == VFIO_MAX_GROUPS)
		return err_input(err, E2BIG, "too many IOMMU groups (at most %d)",
				 VFIO_MAX_GROUPS);
	if (c->host) {
		r = host_group_check(c->host, id, passed, npassed, err);
		if (r)
			return r;
	}
	fd = group_open(c, id, err);
	if (fd < 0)
		return fd;
	r = SYS(c, ioctl, fd, VFIO_GROUP_GET_STATUS, &st);
	if (r < 0) {
		err_set(err, -r, "IOMMU group %d: VFIO_GROUP_GET_STATUS: %s", id, strerror(-r));
		goto fail;
	}
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		err_input(err, EBUSY, "IOMMU group %d is not viable: every device in it must be "
			  "bound to vfio-pci (see ls /sys/kernel/iommu_groups/%d/devices)", id, id);
		r = -EBUSY;
		goto fail;
	}
	r = SYS(c, ioctl, fd, VFIO_GROUP_SET_CONTAINER, &c->fd);
	if (r < 0) {
		err_set(err, -r, "IOMMU group %d: VFIO_GROUP_SET_CONTAINER: %s", id, strerror(-r));
		goto fail;
	}
	c->groups[c->ngroups].id = id;
	c->groups[c->ngroups].fd = fd;
	c->ngroups++;
	if (c->iommu_set)
		return fd;
	r = SYS(c, ioctl, c->fd, VFIO_SET_IOMMU, (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU);
	if (r < 0)
		return err_set(err, -r, "VFIO_SET_IOMMU(type1v2): %s", strerror(-r));
	c->iommu_set = true;
	return fd;
fail:
	SYS(c, close, fd);
	return r;
}

/* A reserved region other than the MSI doorbell window must not sit on guest RAM. */
static int resv_check(struct vfio_container *c, const struct guest_mem *mem, struct err *err)
{
	struct host_resv resv[32];
	int n;

	if (!c->host)
		return 0;
	for (int g = 0; g < c->ngroups; g++) {
		n = host_group_resv(c->host, c->groups[g].id, resv, 32);
		for (int i = 0; i < n; i++) {
			if (!strcmp(resv[i].type, "msi"))
				continue;
			for (unsigned j = 0; j < mem->n; j++) {
				uint64_t s = mem->r[j].gpa, e = s + mem->r[j].size - 1;

				if (resv[i].end < s || resv[i].start > e)
					continue;
				return err_input(err, EINVAL, "IOMMU group %d reserves "
						 "0x%llx-0x%llx (%s), which is guest RAM; the "
						 "device cannot DMA there: try less --memory",
						 c->groups[g].id,
						 (unsigned long long)resv[i].start,
						 (unsigned long long)resv[i].end, resv[i].type);
			}
		}
	}
	return 0;
}

int vfio_dma_map_ram(struct vfio_container *c, const struct guest_mem *mem, struct err *err)
{
	int r = resv_check(c, mem, err);

	if (r)
		return r;
	for (unsigned i = 0; i < mem->n && c->nmaps < VFIO_MAX_MAPS; i++) {
		struct vfio_iommu_type1_dma_map map = {
			.argsz = sizeof(map),
			.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
			.vaddr = (uintptr_t)mem->r[i].hva,
			.iova = mem->r[i].gpa,
			.size = mem->r[i].size,
		};

		r = SYS(c, ioctl, c->fd, VFIO_IOMMU_MAP_DMA, &map);
		if (r == -ENOMEM)
			return err_input(err, ENOMEM, "VFIO could not pin guest RAM at 0x%llx "
					 "(+%llu MiB): raise the locked-memory limit (ulimit -l) "
					 "to at least %llu KiB", (unsigned long long)map.iova,
					 (unsigned long long)(map.size >> 20),
					 (unsigned long long)(mem->ram_size >> 10));
		if (r < 0)
			return err_set(err, -r, "VFIO_IOMMU_MAP_DMA 0x%llx+0x%llx: %s",
				       (unsigned long long)map.iova,
				       (unsigned long long)map.size, strerror(-r));
		c->maps[c->nmaps].iova = map.iova;
		c->maps[c->nmaps].size = map.size;
		c->nmaps++;
	}
	return 0;
}

void vfio_dma_unmap_ram(struct vfio_container *c)
{
	for (int i = c->nmaps - 1; i >= 0; i--) {
		struct vfio_iommu_type1_dma_unmap unmap = {
			.argsz = sizeof(unmap),
			.iova = c->maps[i].iova,
			.size = c->maps[i].size,
		};

		SYS(c, ioctl, c->fd, VFIO_IOMMU_UNMAP_DMA, &unmap);
	}
	c->nmaps = 0;
}

void vfio_container_close(struct vfio_container *c)
{
	if (!c->sys)
		return;
	vfio_dma_unmap_ram(c);
	for (int i = c->ngroups - 1; i >= 0; i--) {
		SYS(c, ioctl, c->groups[i].fd, VFIO_GROUP_UNSET_CONTAINER, NULL);
		SYS(c, close, c->groups[i].fd);
	}
	c->ngroups = 0;
	if (c->fd >= 0)
		SYS(c, close, c->fd);
	c->fd = -1;
	c->iommu_set = false;
}

/* CAP_IPC_LOCK (bit 14 of CapEff) lifts the limit, as it does for the kernel's accounting. */
static bool has_ipc_lock(void)
{
	char line[256];
	unsigned long long caps = 0;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	fclose(f);
	return caps & (1ULL << 14);
}

int vfio_memlock_check(uint64_t ram_size, struct err *err)
{
	struct rlimit rl;

	if (has_ipc_lock() || getrlimit(RLIMIT_MEMLOCK, &rl) || rl.rlim_cur == RLIM_INFINITY)
		return 0;
	if (rl.rlim_cur >= ram_size)
		return 0;
	return err_input(err, ENOMEM, "the locked-memory limit (RLIMIT_MEMLOCK) is %llu KiB but "
			 "VFIO must pin all %llu KiB of guest RAM: run 'ulimit -l %llu' (or "
			 "unlimited) first, or run as root", (unsigned long long)(rl.rlim_cur >> 10),
			 (unsigned long long)(ram_size >> 10),
			 (unsigned long long)(ram_size >> 10));
}
