/* edu-dma - DMA from guest user space through the guest's own vfio-pci (lab scenarios
 * viommu-ref and viommu-vfio, tools/lab/scenarios/viommu-guest.lib). Run inside the Linux guest
 * on QEMU's edu device (1234:11e8, QEMU docs/specs/edu.rst) bound to vfio-pci behind a
 * virtio-iommu: the IOVAs it maps with VFIO_IOMMU_MAP_DMA are translated by the guest's IOMMU
 * and again by the lab's, so a transfer that arrives intact went through both levels.
 * Usage: edu-dma BDF GROUP [STRAY-IOVA]
 * Prints "PASS NAME: ..." / "FAIL NAME: ..." lines (edu-dma, edu-unmap, edu-stray) and "edu: ..."
 * notes; exits 0 when it ran to the end. STRAY-IOVA: after the checks, one edu-to-RAM DMA aimed at
 * that IOVA, which nothing maps: the caller looks for the fault it must cause. */
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* edu's registers (docs/specs/edu.rst) and its 4 KiB buffer in BAR0. */
#define EDU_ID		0x00
#define EDU_LIVE	0x04
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_CNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_CMD_START	0x1
#define EDU_CMD_TO_RAM	0x2
#define EDU_BUF		0x40000
#define PAGE		4096
/* Bytes per transfer: less than edu's 4 KiB buffer, because QEMU 7.2's edu_check_range is off by one
 * at the buffer's end and calls hw_error (the whole lab QEMU stops) on a full 4096-byte transfer. */
#define XFER		2048
/* Below edu's default 28-bit DMA mask. */
#define IOVA_SRC	0x100000ULL
#define IOVA_DST	(IOVA_SRC + PAGE)

static int dev_fd, cont_fd;
static uint64_t bar0_off, cfg_off;

static void die(const char *what)
{
	printf("FAIL edu-dma: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void wr(uint64_t reg, uint64_t v, size_t n)
{
	if (pwrite(dev_fd, &v, n, (off_t)(bar0_off + reg)) != (ssize_t)n)
		die("BAR0 write");
}

static uint64_t rd(uint64_t reg, size_t n)
{
	uint64_t v = 0;

	if (pread(dev_fd, &v, n, (off_t)(bar0_off + reg)) != (ssize_t)n)
		die("BAR0 read");
	return v;
}

/* One transfer of XFER bytes; 0 when edu cleared its start bit within 5 s. */
static int edu_dma(uint64_t src, uint64_t dst, uint64_t cmd)
{
	wr(EDU_DMA_SRC, src, 8);
	wr(EDU_DMA_DST, dst, 8);
	wr(EDU_DMA_CNT, XFER, 8);
	wr(EDU_DMA_CMD, cmd | EDU_CMD_START, 8);
	for (int i = 0; i < 500; i++) {
		if (!(rd(EDU_DMA_CMD, 8) & EDU_CMD_START))
			return 0;
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	}
	return -1;
}

static int map(int c, void *va, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m), .vaddr = (uintptr_t)va,
		.iova = iova, .size = size,
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE };

	return ioctl(c, VFIO_IOMMU_MAP_DMA, &m);
}

static int unmap(int c, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .iova = iova, .size = size };

	return ioctl(c, VFIO_IOMMU_UNMAP_DMA, &u);
}

static uint64_t region(unsigned int index)
{
	struct vfio_region_info r = { .argsz = sizeof(r), .index = index };

	if (ioctl(dev_fd, VFIO_DEVICE_GET_REGION_INFO, &r) < 0)
		die("VFIO_DEVICE_GET_REGION_INFO");
	return r.offset;
}

/* The container with the group in it, type1 IOMMU set. */
static int open_container(const char *group)
{
	char path[64];
	int c = open("/dev/vfio/vfio", O_RDWR), g;
	struct vfio_group_status st = { .argsz = sizeof(st) };

	snprintf(path, sizeof(path), "/dev/vfio/%s", group);
	g = open(path, O_RDWR);
	if (c < 0 || g < 0)
		die("open /dev/vfio");
	if (ioctl(g, VFIO_GROUP_GET_STATUS, &st) < 0 || !(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		die("group not viable");
	if (ioctl(g, VFIO_GROUP_SET_CONTAINER, &c) < 0)
		die("VFIO_GROUP_SET_CONTAINER");
	if (ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0 &&
	    ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU) < 0)
		die("VFIO_SET_IOMMU");
	cont_fd = c;
	return g;
}

static void bus_master(void)
{
	uint16_t cmd;

	if (pread(dev_fd, &cmd, 2, (off_t)(cfg_off + 4)) != 2)
		die("config read");
	cmd |= 0x6;	/* memory space, bus master */
	if (pwrite(dev_fd, &cmd, 2, (off_t)(cfg_off + 4)) != 2)
		die("config write");
}

/* edu-dma: a page of RAM to edu and back into a second page, both at IOVAs the guest mapped;
 * edu-unmap: after VFIO_IOMMU_UNMAP_DMA of the second page, a transfer to its IOVA must not
 * reach it (iommu.strict=1: the unmap is invalidated before it returns); STRAY: a transfer to
 * an IOVA never mapped (edu-stray says it was issued; the fault is the caller's to find). */
static int transfers(uint64_t stray)
{
	uint8_t *buf = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (buf == MAP_FAILED)
		die("mmap");
	for (int i = 0; i < PAGE; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	memset(buf + PAGE, 0, PAGE);
	/* Two mappings: type1v2 unmaps whole mappings only. */
	if (map(cont_fd, buf, IOVA_SRC, PAGE) < 0 || map(cont_fd, buf + PAGE, IOVA_DST, PAGE) < 0)
		die("VFIO_IOMMU_MAP_DMA");
	if (edu_dma(IOVA_SRC, EDU_BUF, 0) < 0 || edu_dma(EDU_BUF, IOVA_DST, EDU_CMD_TO_RAM) < 0) {
		printf("FAIL edu-dma: edu's DMA engine did not finish in 5 s\n");
		return 1;
	}
	if (memcmp(buf, buf + PAGE, XFER)) {
		printf("FAIL edu-dma: the page edu wrote back differs (byte 0: %#x, want %#x)\n",
		       buf[PAGE], buf[0]);
		return 1;
	}
	printf("PASS edu-dma: 2 KiB RAM -> edu (IOVA %#llx) -> RAM (IOVA %#llx) intact\n",
	       IOVA_SRC, IOVA_DST);
	if (unmap(cont_fd, IOVA_DST, PAGE) < 0)
		die("VFIO_IOMMU_UNMAP_DMA");
	memset(buf + PAGE, 0, PAGE);
	if (edu_dma(EDU_BUF, IOVA_DST, EDU_CMD_TO_RAM) < 0) {
		printf("FAIL edu-unmap: edu's DMA engine did not finish in 5 s\n");
		return 1;
	}
	for (int i = 0; i < XFER; i++)
		if (buf[PAGE + i]) {
			printf("FAIL edu-unmap: a DMA to IOVA %#llx after its UNMAP_DMA wrote the page\n",
			       IOVA_DST);
			return 1;
		}
	printf("PASS edu-unmap: a DMA to IOVA %#llx after its UNMAP_DMA did not reach the page\n",
	       IOVA_DST);
	if (stray) {
		int r = edu_dma(EDU_BUF, stray, EDU_CMD_TO_RAM);

		printf("%s edu-stray: edu-to-RAM DMA to unmapped IOVA %#llx issued, engine %s\n",
		       r ? "FAIL" : "PASS", (unsigned long long)stray, r ? "stuck" : "done");
	}
	unmap(cont_fd, IOVA_SRC, PAGE);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: edu-dma BDF GROUP [STRAY-IOVA]\n");
		return 2;
	}
	/* Whole lines on a console QEMU writes its warnings to as well. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	int g = open_container(argv[2]);

	dev_fd = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, argv[1]);
	if (dev_fd < 0)
		die("VFIO_GROUP_GET_DEVICE_FD");
	bar0_off = region(VFIO_PCI_BAR0_REGION_INDEX);
	cfg_off = region(VFIO_PCI_CONFIG_REGION_INDEX);
	bus_master();
	uint32_t id = (uint32_t)rd(EDU_ID, 4);
	wr(EDU_LIVE, 0x12345678, 4);
	uint32_t live = (uint32_t)rd(EDU_LIVE, 4);
	printf("edu: id %#x, liveness 0x12345678 -> %#x\n", id, live);
	if ((id & 0xffff) != 0x00ed || live != (uint32_t)~0x12345678u) {
		printf("FAIL edu-dma: edu's registers do not answer (id %#x)\n", id);
		return 1;
	}
	return transfers(argc > 3 ? strtoull(argv[3], NULL, 0) : 0);
}
