/* vmlinux64_min.c - the vmlinux64 guest at the small end: --memory 32M (the image at 16 MiB,
 * RAM ends 16 MiB above it), no --initrd and no --cmdline. boot.rst: ramdisk_image/size zero
 * without an initrd; cmd_line_ptr still points at a string, here the empty one. */
#include "vml64check.h"

const char guest_name[] = "vmlinux64_min";

/* vmlinux64_min.args: --memory 32M, nothing else. */
#define EXPECT_CMDLINE ""
#define MEM_MIB 32

static uint64_t bss_probe[512];

void guest_main(uint32_t magic, uint32_t info)
{
	uint64_t bp = entry64_state.rsi;
	static struct memmap m;

	(void)magic;
	(void)info;
	vml64_check_bss(bss_probe, 512);
	vml64_check_cpu();
	vml64_check_header(bp, EXPECT_CMDLINE);
	vml64_check_paging(bp);
	vml64_check_e820(bp, MEM_MIB, &m);
	vml64_check_no_initrd(bp);
}
