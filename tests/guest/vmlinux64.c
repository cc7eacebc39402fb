/* vmlinux64.c - an ELF64 guest (format vmlinux64: ET_EXEC at 16 MiB) booted like a Linux
 * vmlinux through the 64-bit boot protocol (Documentation/arch/x86/boot.rst "64-bit BOOT
 * PROTOCOL", src/boot/vmlinux.c): checks long mode at entry, the identity page tables, and
 * the zero page at RSI (header, cmd_line_ptr, e820, initrd). Run with --memory 128M. */
#include "vml64check.h"

const char guest_name[] = "vmlinux64";

/* Must equal the --cmdline of vmlinux64.args. */
#define EXPECT_CMDLINE "console=ttyS0 mem=128 initrd_len=9001 initrd_seed=3 x=\"a b\""

static uint64_t bss_probe[512];

void guest_main(uint32_t magic, uint32_t info)
{
	uint64_t bp = entry64_state.rsi;
	static struct memmap m;
	uint32_t mem_mib = cmdline_uint(EXPECT_CMDLINE, "mem", 0);

	(void)magic;
	(void)info;
	vml64_check_bss(bss_probe, 512);
	vml64_check_cpu();
	vml64_check_header(bp, EXPECT_CMDLINE);
	vml64_check_paging(bp);
	vml64_check_e820(bp, mem_mib, &m);
	vml64_check_initrd(bp, &m, mem_mib, cmdline_uint(EXPECT_CMDLINE, "initrd_len", 0),
			   cmdline_uint(EXPECT_CMDLINE, "initrd_seed", 0));
}
