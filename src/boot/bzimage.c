/* bzimage.c - Linux bzImage through the 32-bit boot protocol (Documentation/arch/x86/boot.rst):
 * the protected-mode kernel at its load address, a zero page with the setup header. */
#include <errno.h>
#include "loader.h"

#define BZ_MIN_VERSION	0x0206	/* cmdline_size exists from 2.06 on */
#define BZ_HEAP_END	0xFE00	/* heap_end_ptr: end of the setup heap/stack minus 0x200 */

struct bz {
	uint16_t version;
	size_t setup_size;	/* real-mode part: (setup_sects + 1) * 512 */
	uint64_t kernel_size;	/* protected-mode part: syssize * 16 */
	uint64_t load;		/* where the protected-mode part goes */
	uint64_t end;		/* nothing else may go below this: load/runtime + init_size */
};

static int bz_check(const uint8_t *img, size_t len, struct bz *bz, struct err *err)
{
	unsigned sects;

	if (len < 0x264 || ld16(img + HDR_BOOT_FLAG) != 0xAA55 ||
	    ld32(img + HDR_MAGIC) != HDR_MAGIC_VALUE)
		return err_input(err, ENOEXEC, "not a bzImage: no \"HdrS\" setup header");
	bz->version = ld16(img + HDR_VERSION);
	if (bz->version < BZ_MIN_VERSION)
		return err_input(err, ENOEXEC,
				 "bzImage boot protocol %u.%02u is too old; vfvm needs 2.06 or later",
				 bz->version >> 8, bz->version & 0xFF);
	/* boot.rst: the setup header ends at 0x202 + the jump's offset byte (0x201); it must hold
	 * the 2.06 fields read here, the magic among them, or the zero page would lack them. */
	if (HDR_MAGIC + (size_t)img[HDR_JUMP + 1] < HDR_CMDLINE_SIZE + 4)
		return err_input(err, ENOEXEC,
				 "bzImage setup header ends at 0x%x (the jump at 0x200), before the "
				 "boot protocol 2.06 fields end at 0x%x",
				 HDR_MAGIC + img[HDR_JUMP + 1], HDR_CMDLINE_SIZE + 4);
	if (!(img[HDR_LOADFLAGS] & LOADFLAG_LOADED_HIGH))
		return err_input(err, ENOEXEC, "zImage (not LOADED_HIGH) kernels are not supported");
	sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;	/* boot.rst: 0 means 4 */
	bz->setup_size = (size_t)(sects + 1) * 512;
	bz->kernel_size = (uint64_t)ld32(img + HDR_SYSSIZE) * 16;
	if (!bz->kernel_size || len < bz->setup_size || len - bz->setup_size < bz->kernel_size)
		return err_input(err, ENOEXEC,
				 "bzImage is truncated: %zu bytes, its header says %llu",
				 len, (unsigned long long)(bz->setup_size + bz->kernel_size));
	return 0;
}

/*
 * Where the protected-mode kernel goes. boot.rst: a relocatable kernel (2.05+) may be loaded
 * at any kernel_alignment-aligned address; pref_address (2.10+) is where it would rather be
 * (no relocation needed). A non-relocatable bzImage is loaded at 0x100000 and decompresses
 * itself to pref_address (its LOAD_PHYSICAL_ADDR), so init_size is counted from there.
 * init_size: memory from the runtime start the kernel needs before it reads the memory map.
 */
static int bz_place(const struct guest_mem *mem, const struct e820_table *e820,
		    const uint8_t *img, struct bz *bz, struct err *err)
{
	bool reloc = img[HDR_RELOCATABLE] != 0;
	uint64_t align = ld32(img + HDR_KERNEL_ALIGNMENT);
	uint64_t pref = bz->version >= 0x020A ? ld64(img + HDR_PREF_ADDRESS) : 0;
	uint64_t init = bz->version >= 0x020A ? ld32(img + HDR_INIT_SIZE) : 0;
	uint64_t runtime;

	if (init < bz->kernel_size)
		init = bz->kernel_size;
	if (!reloc) {
		bz->load = MEM_HIGH_START;
		runtime = pref > MEM_HIGH_START ? pref : MEM_HIGH_START;
	} else {
		if (!align || (align & (align - 1)) || align > GiB)
			return err_input(err, ENOEXEC,
					 "bzImage kernel_alignment 0x%llx is not a power of two",
					 (unsigned long long)align);
		bz->load = align_up(MEM_HIGH_START, align);
		if (pref >= MEM_HIGH_START && !(pref & (align - 1)) && pref < MEM_4G &&
		    boot_range_is_ram(mem, e820, pref, init))
			bz->load = pref;
		runtime = bz->load;
	}
	/* runtime >= load, so [load, end) covers both the image and the init_size area. */
	bz->end = runtime + init;
	if (!boot_range_is_ram(mem, e820, bz->load, bz->end - bz->load))
		return err_input(err, ENOMEM,
				 "kernel needs %llu bytes of RAM from 0x%llx; use a larger --memory",
				 (unsigned long long)(bz->end - bz->load),
				 (unsigned long long)bz->load);
	return 0;
}

/* The zero page: zeroed, with the file's setup header (0x1F1 up to 0x202 + the jump's
 * offset byte at 0x201) copied in and the loader-written fields (boot.rst "Details of
 * header fields": vid_mode, type_of_loader, loadflags, heap_end_ptr, cmd_line_ptr). */
static void bz_params(uint8_t *bp, const uint8_t *img, const struct bz *bz)
{
	size_t hdr_end = 0x202 + (size_t)img[0x201];

	if (hdr_end > bz->setup_size)
		hdr_end = bz->setup_size;
	memset(bp, 0, BP_SIZE);
	memcpy(bp + BP_HDR, img + BP_HDR, hdr_end - BP_HDR);
	st16(bp + HDR_VID_MODE, 0xFFFF);	/* "normal" */
	bp[HDR_TYPE_OF_LOADER] = 0xFF;		/* undefined boot loader */
	bp[HDR_LOADFLAGS] = (bp[HDR_LOADFLAGS] & LOADFLAG_LOADED_HIGH) | LOADFLAG_CAN_USE_HEAP;
	st16(bp + HDR_HEAP_END_PTR, BZ_HEAP_END);
	st32(bp + HDR_CODE32_START, (uint32_t)bz->load);
	st32(bp + HDR_CMD_LINE_PTR, (uint32_t)BOOT_CMDLINE_ADDR);
	st32(bp + BP_EXT_CMD_LINE_PTR, 0);
}

int boot_bzimage(const struct guest_mem *mem, const struct e820_table *e820,
		 const uint8_t *img, size_t len, const uint8_t *initrd, size_t initrd_len,
		 const char *cmdline, struct boot_entry *out, struct err *err)
{
	struct bz bz = { 0 };
	uint8_t *bp;
	uint64_t addr_max;
	int r;

	r = bz_check(img, len, &bz, err);
	if (!r)
		r = bz_place(mem, e820, img, &bz, err);
	if (r)
		return r;
	bp = gpa_ptr(mem, BOOT_PARAMS_ADDR, BP_SIZE);
	if (!bp)
		return err_set(err, EFAULT, "guest memory too small for boot_params");
	r = boot_put_cmdline(mem, cmdline, ld32(img + HDR_CMDLINE_SIZE), err);
	if (r)
		return r;
	memcpy(gpa_ptr(mem, bz.load, bz.kernel_size), img + bz.setup_size, bz.kernel_size);
	bz_params(bp, img, &bz);
	boot_params_e820(bp, e820);
	/* Before 2.03 the limit was fixed at 0x37FFFFFF; we require 2.06, so the field is set. */
	addr_max = ld32(img + HDR_INITRD_ADDR_MAX);
	r = boot_linux_initrd(mem, e820, bp, initrd, initrd_len, bz.end, addr_max, err);
	if (r)
		return r;
	memset(out, 0, sizeof(*out));
	out->kind = BOOT_KIND_BZIMAGE;
	r = boot_setup_cpu(mem, BOOT_MODE_PM32, out);
	if (r)
		return err_set(err, -r, "guest memory too small for the boot GDT");
	/* boot.rst "32-bit BOOT PROTOCOL": %esi = boot_params, %ebp = %edi = %ebx = 0. */
	out->rip = bz.load;
	out->rsi = BOOT_PARAMS_ADDR;
	return 0;
}
