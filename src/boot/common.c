/* common.c - pieces every boot path shares: e820 queries, the boot GDT, the identity-mapped
 * long-mode page tables, the command line, and the Linux zero page's e820 and initrd fields. */
#include <errno.h>
#include "loader.h"

bool boot_range_is_ram(const struct guest_mem *mem, const struct e820_table *e820,
		       uint64_t addr, uint64_t len)
{
	if (!len || addr + len < addr)
		return false;
	for (unsigned i = 0; i < e820->n && i < E820_MAX; i++) {
		const struct e820_entry *e = &e820->e[i];

		if (e->type != E820_RAM || addr < e->addr)
			continue;
		if (addr - e->addr >= e->size || len > e->size - (addr - e->addr))
			continue;
		return gpa_ptr(mem, addr, len) != NULL;
	}
	return false;
}

uint64_t boot_lowram_top(const struct e820_table *e820)
{
	for (unsigned i = 0; i < e820->n && i < E820_MAX; i++) {
		const struct e820_entry *e = &e820->e[i];
		uint64_t end = e->addr + e->size;

		if (e->type == E820_RAM && e->addr <= MEM_HIGH_START && end > MEM_HIGH_START)
			return end > MEM_4G ? MEM_4G : end;
	}
	return 0;
}

uint64_t boot_conv_mem(const struct e820_table *e820)
{
	for (unsigned i = 0; i < e820->n && i < E820_MAX; i++)
		if (e820->e[i].type == E820_RAM && e820->e[i].addr == 0)
			return e820->e[i].size;
	return 0;
}

uint64_t boot_place_high(uint64_t lo, uint64_t hi, uint64_t len)
{
	uint64_t addr;

	if (!len || hi < len || hi - len < lo)
		return 0;
	addr = align_down(hi - len, BOOT_PAGE);
	return addr >= lo ? addr : 0;
}

/*
 * Flat 4 GiB descriptors: base 0, limit 0xFFFFF with G=1. 0x10 is code (type 0xB, execute/
 * read, accessed), 0x18 data (type 0x3, read/write, accessed); D=1 for PM32, L=1 D=0 for the
 * 64-bit code segment (Intel SDM Vol. 3 §3.4.5). boot.rst wants __BOOT_CS = 0x10 and
 * __BOOT_DS = 0x18 for both the 32-bit and the 64-bit boot protocol.
 */
#define GDT_CODE32	0x00CF9B000000FFFFULL
#define GDT_CODE64	0x00AF9B000000FFFFULL
#define GDT_DATA	0x00CF93000000FFFFULL
#define GDT_ENTRIES	4

/* 4 KiB PML4, 4 KiB PDPT and four 4 KiB page directories of 2 MiB pages: 0-4 GiB. */
#define PT_PML4		(BOOT_PT_ADDR)
#define PT_PDPT		(BOOT_PT_ADDR + 0x1000)
#define PT_PD		(BOOT_PT_ADDR + 0x2000)
#define PTE_P		0x1ULL
#define PTE_RW		0x2ULL
#define PTE_PS		0x80ULL

static int boot_write_pagetables(const struct guest_mem *mem)
{
	uint8_t *pml4 = gpa_ptr(mem, PT_PML4, 6 * BOOT_PAGE);
	uint8_t *pdpt, *pd;

	if (!pml4)
		return -EFAULT;
	memset(pml4, 0, 6 * BOOT_PAGE);
	pdpt = pml4 + BOOT_PAGE;
	pd = pdpt + BOOT_PAGE;
	st64(pml4, PT_PDPT | PTE_P | PTE_RW);
	for (unsigned i = 0; i < 4; i++)
		st64(pdpt + 8 * i, (PT_PD + i * BOOT_PAGE) | PTE_P | PTE_RW);
	for (uint64_t i = 0; i < 4 * 512; i++)
		st64(pd + 8 * i, (i << 21) | PTE_P | PTE_RW | PTE_PS);
	return 0;
}

int boot_setup_cpu(const struct guest_mem *mem, enum boot_mode mode, struct boot_entry *out)
{
	uint64_t gdt[GDT_ENTRIES] = { 0, 0, mode == BOOT_MODE_LM64 ? GDT_CODE64 : GDT_CODE32,
				      GDT_DATA };
	int r;

	r = gpa_write(mem, BOOT_GDT_ADDR, gdt, sizeof(gdt));
	if (r)
		return r;
	out->mode = mode;
	out->gdt_base = BOOT_GDT_ADDR;
	out->gdt_limit = sizeof(gdt) - 1;
	out->cs = 0x10;
	out->ds = 0x18;
	out->rsp = BOOT_STACK_TOP;
	out->cr3 = 0;
	if (mode != BOOT_MODE_LM64)
		return 0;
	out->cr3 = PT_PML4;
	return boot_write_pagetables(mem);
}

int boot_put_cmdline(const struct guest_mem *mem, const char *cmdline, uint64_t max,
		     struct err *err)
{
	size_t len = cmdline ? strlen(cmdline) : 0;

	if (max > BOOT_CMDLINE_MAX - 1)
		max = BOOT_CMDLINE_MAX - 1;
	if (len > max)
		return err_input(err, E2BIG,
				 "kernel command line is %zu bytes; the kernel accepts at most %llu",
				 len, (unsigned long long)max);
	if (gpa_write(mem, BOOT_CMDLINE_ADDR, cmdline ? cmdline : "", len + 1))
		return err_set(err, EFAULT, "guest memory too small for the command line");
	return 0;
}

void boot_params_e820(uint8_t *bp, const struct e820_table *e820)
{
	unsigned n = e820->n < BP_E820_MAX ? e820->n : BP_E820_MAX;

	if (n > E820_MAX)
		n = E820_MAX;
	/* struct boot_e820_entry is {u64 addr; u64 size; u32 type} packed: 20 bytes. */
	for (unsigned i = 0; i < n; i++) {
		uint8_t *p = bp + BP_E820_TABLE + 20 * i;

		st64(p, e820->e[i].addr);
		st64(p + 8, e820->e[i].size);
		st32(p + 16, e820->e[i].type);
	}
	bp[BP_E820_ENTRIES] = n;
}

int boot_linux_initrd(const struct guest_mem *mem, const struct e820_table *e820, uint8_t *bp,
		      const uint8_t *initrd, size_t len, uint64_t kernel_end, uint64_t addr_max,
		      struct err *err)
{
	uint64_t top = boot_lowram_top(e820), addr;

	if (!initrd) {
		/* boot.rst: ramdisk_image/size are the loader's to write, zero without an
		 * initrd; a bzImage's own header must not announce one. */
		st32(bp + HDR_RAMDISK_IMAGE, 0);
		st32(bp + HDR_RAMDISK_SIZE, 0);
		return 0;
	}
	if (!len)
		return err_input(err, EINVAL, "initrd is empty");
	/* initrd_addr_max is the highest address the initrd's last byte may occupy. */
	if (addr_max < UINT64_MAX && addr_max + 1 < top)
		top = addr_max + 1;
	addr = boot_place_high(align_up(kernel_end, BOOT_PAGE), top, len);
	if (!addr || !boot_range_is_ram(mem, e820, addr, len))
		return err_input(err, ENOMEM,
				 "initrd (%zu bytes) does not fit in guest memory between the "
				 "kernel's end 0x%llx and 0x%llx; use a larger --memory",
				 len, (unsigned long long)kernel_end, (unsigned long long)top);
	memcpy(gpa_ptr(mem, addr, len), initrd, len);
	st32(bp + HDR_RAMDISK_IMAGE, (uint32_t)addr);
	st32(bp + HDR_RAMDISK_SIZE, (uint32_t)len);
	st32(bp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(addr >> 32));
	st32(bp + BP_EXT_RAMDISK_SIZE, (uint32_t)((uint64_t)len >> 32));
	return 0;
}

int boot_set_acpi_rsdp(const struct guest_mem *mem, const struct boot_entry *e, uint64_t rsdp)
{
	uint8_t *bp;

	if (e->kind != BOOT_KIND_BZIMAGE && e->kind != BOOT_KIND_VMLINUX)
		return 0;
	bp = gpa_ptr(mem, BOOT_PARAMS_ADDR, BP_SIZE);
	if (!bp)
		return -EFAULT;
	st64(bp + BP_ACPI_RSDP_ADDR, rsdp);
	return 0;
}
