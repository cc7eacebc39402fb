/* test_boot_bzimage.c - the bzImage loader against Documentation/arch/x86/boot.rst: zero page
 * fields, load address, initrd placement and limits, command line limit, errors. */
#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>
#include "test_boot_util.h"

#define PM_SIZE 0x10000

static uint8_t *bp_of(struct tguest *g) { return g->ram + BOOT_PARAMS_ADDR; }

static void test_header_fields(void **state)
{
	struct tguest g;
	struct boot_entry e;
	struct err err = { 0 };
	size_t len = 0;
	uint8_t *img = tbz_make(4, PM_SIZE, &len), *bp;
	(void)state;

	tguest_init(&g, 64 * MiB);
	memset(g.ram + BOOT_PARAMS_ADDR, 0xCC, 4096);	/* must come back zeroed */
	assert_int_equal(boot_bzimage(&g.mem, &g.e820, img, len, NULL, 0, "console=ttyS0", &e,
				      &err), 0);
	bp = bp_of(&g);
	/* The setup header 0x1F1..0x26C is the file's, except the loader-written fields. */
	assert_int_equal(bp[0x1F1], 4);
	assert_int_equal(rd32(bp + 0x1F4), PM_SIZE / 16);
	assert_int_equal(rd16(bp + 0x1FE), 0xAA55);
	assert_memory_equal(bp + 0x202, "HdrS", 4);
	assert_int_equal(rd16(bp + 0x206), 0x020F);
	assert_int_equal(rd32(bp + 0x268), 0x12345678);
	assert_int_equal(rd32(bp + 0x22C), 0x7FFFFFFF);
	assert_int_equal(bp[0x26C], 0);		/* beyond the header: zero */
	assert_int_equal(bp[0x000], 0);
	assert_int_equal(bp[0x1EF], 0);		/* sentinel */
	assert_int_equal(rd16(bp + 0x1FA), 0xFFFF);	/* vid_mode normal */
	assert_int_equal(bp[0x210], 0xFF);		/* type_of_loader */
	assert_int_equal(bp[0x211], 0x81);		/* LOADED_HIGH | CAN_USE_HEAP */
	assert_int_equal(rd16(bp + 0x224), 0xFE00);	/* heap_end_ptr */
	assert_int_equal(rd32(bp + 0x228), 0x20000);	/* cmd_line_ptr */
	assert_string_equal((char *)g.ram + 0x20000, "console=ttyS0");
	assert_int_equal(rd32(bp + 0x218), 0);		/* no initrd */
	assert_int_equal(rd32(bp + 0x21C), 0);
	/* Relocatable, pref_address 16 MiB fits: loaded there, code32_start follows. */
	assert_int_equal(rd32(bp + 0x214), 0x1000000);
	assert_memory_equal(g.ram + 0x1000000, img + 5 * 512, PM_SIZE);
	/* e820 */
	assert_int_equal(bp[0x1E8], 4);
	assert_int_equal(rd64(bp + 0x2D0), 0);
	assert_int_equal(rd64(bp + 0x2D0 + 8), 0x9FC00);
	assert_int_equal(rd32(bp + 0x2D0 + 16), 1);
	assert_int_equal(rd64(bp + 0x2D0 + 20), 0x9FC00);
	assert_int_equal(rd32(bp + 0x2D0 + 36), 2);
	assert_int_equal(rd64(bp + 0x2D0 + 40), 0x100000);
	assert_int_equal(rd64(bp + 0x2D0 + 48), 63 * MiB);
	assert_int_equal(rd32(bp + 0x2D0 + 56), 1);
	assert_int_equal(rd64(bp + 0x2D0 + 60), 0xFEC00000);
	/* Entry: 32-bit protocol, boot.rst "32-bit BOOT PROTOCOL". */
	assert_int_equal(e.kind, BOOT_KIND_BZIMAGE);
	assert_int_equal(e.mode, BOOT_MODE_PM32);
	assert_int_equal(e.rip, 0x1000000);
	assert_int_equal(e.rsi, BOOT_PARAMS_ADDR);
	assert_int_equal(e.rbx, 0);
	assert_int_equal(e.cs, 0x10);
	assert_int_equal(e.ds, 0x18);
	assert_int_equal(e.gdt_base, BOOT_GDT_ADDR);
	assert_int_equal(e.gdt_limit, 31);
	/* Flat 4 GiB 32-bit code (type 0xB, D=1, G=1) and data (type 0x3). */
	assert_int_equal(rd64(g.ram + BOOT_GDT_ADDR + 0x10), 0x00CF9B000000FFFFULL);
	assert_int_equal(rd64(g.ram + BOOT_GDT_ADDR + 0x18), 0x00CF93000000FFFFULL);
	free(img);
	tguest_free(&g);
}

/* setup_sects 0 means 4 (boot.rst). */
static void test_setup_sects_zero(void **state)
{
	struct tguest g;
	struct boot_entry e;
	struct err err = { 0 };
	size_t len = 0;
	uint8_t *img = tbz_make(0, PM_SIZE, &len);
	(void)state;

	tguest_init(&g, 64 * MiB);
	assert_int_equal(len, 5 * 512 + PM_SIZE);
	assert_int_equal(boot_bzimage(&g.mem, &g.e820, img, len, NULL, 0, NULL, &e, &err), 0);
	assert_memory_equal(g.ram + 0x1000000, img + 5 * 512, PM_SIZE);
	assert_int_equal(g.ram[0x20000], 0);	/* empty command line */
	free(img);
	tguest_free(&g);
}

/* Not relocatable: the protected-mode kernel goes to 0x100000. */
static void test_not_relocatable(void **state)
{
	struct tguest g;
	struct boot_entry e;
	struct err err = { 0 };
	size_t len = 0;
	uint8_t *img = tbz_make(4, PM_SIZE, &len);
	(void)state;

	img[0x234] = 0;
	tguest_init(&g, 64 * MiB);
	assert_int_equal(boot_bzimage(&g.mem, &g.e820, img, len, NULL, 0, NULL, &e, &err), 0);
	assert_int_equal(e.rip, 0x100000);
	assert_int_equal(rd32(bp_of(&g) + 0x214), 0x100000);
	assert_memory_equal(g.ram + 0x100000, img + 5 * 512, PM_SIZE);
	free(img);
	tguest_free(&g);
}

/* Relocatable, but pref_address + init_size does not fit: lowest kernel_alignment-aligned
 * address at or above 1 MiB. */
static void test_pref_does_not_fit(void **state)
{
	struct tguest g;
	struct boot_entry e;
	struct err err = { 0 };
	size_t len = 0;
	uint8_t *img = tbz_make(4, PM_SIZE, &len);
	(void)state;

	tguest_init(&g, 20 * MiB);	/* 16 MiB + 8 MiB init_size > 20 MiB */
	assert_int_equal(boot_bzimage(&g.mem, &g.e820, img, len, NULL, 0, NULL, &e, &err), 0);
	assert_int_equal(e.rip, 0x200000);
	assert_memory_equal(g.ram + 0x200000, img + 5 * 512, PM_SIZE);
	/* kernel_alignment 4 MiB: 0x400000. */
	wr32(img + 0x230, 0x400000);
	assert_int_equal(boot_bzimage(&g.mem, &g.e820, img, len, NULL, 0, NULL, &e, &err), 0);
	assert_int_equal(e.rip, 0x400000);
	/* Not a power of two: refused. */
	wr32(img + 0x230, 0x300000);
	assert_int_equal(boot_bzimage(&g.mem, &g.e820, img, len, NULL, 0, NULL, &e, &err),
			 -ENOEXEC);
	assert_non_null(strstr(err.msg, "kernel_alignment"));
	free(img);
	tguest_free(&g);
}

/* Too little RAM for init_size anywhere. */
static void test_kernel_too_large(void **state)
{
	struct tguest g;
	struct boot_entry e;
	struct err err = { 0 };
	size_t len = 0;
	uint8_t *img = tbz_make(4, PM_SIZE, &len);
	(void)state;

	wr32(img + 0x260, 0x2000000);	/* init_size 32 MiB */
	tguest_init(&g, 16 * MiB);
	assert_int_equal(boot_bzimage(&g.mem, &g.e820, img, len, NULL, 0, NULL, &e, &err),
			 -ENOMEM);
	assert_int_equal(err.usage, 1);
	assert_non_null(strstr(err.msg, "--memory"));
	free(img);
	tguest_free(&g);
}

/* initrd: as high as possible, page aligned, below min(initrd_addr_max + 1, low RAM top). */
static void test_initrd_placement(void **state)
{
	struct tguest g;
	struct boot_entry e;
	struct err err = { 0 };
	size_t len, ilen = 3 * 4096 + 100;
	uint8_t *img = tbz_make(4, PM_SIZE, &len), *bp;
	uint8_t *initrd = malloc(ilen);
	uint32_t at;
	(void)state;

	for (size_t i = 0; i < ilen; i++)
		initrd[i] = (uint8_t)(i ^ 0x5A);
	tguest_init(&g, 64 * MiB);
	assert_int_equal(boot_bzimage(&g.mem, &g.e820, img, len, initrd, ilen, NULL, &e, &err),
			 0);
	bp = bp_of(&g);
	at = rd32(bp + 0x218);
	assert_int_equal(at, (64 * MiB - ilen) & ~0xFFFULL);
	assert_int_equal(rd32(bp + 0x21C), ilen);
	assert_int_equal(rd32(bp + 0xC0), 0);	/* ext_ramdisk_image */
	assert_int_equal(rd32(bp + 0xC4), 0);
	assert_memory_equal(g.ram + at, initrd, ilen);

	/* initrd_addr_max below the top of RAM: the last byte must be <= it. */
	wr32(img + 0x22C, 0x1FFFFFF);
	assert_int_equal(boot_bzimage(&g.mem, &g.e820, img, len, initrd, ilen, NULL, &e, &err),
			 0);
	at = rd32(bp + 0x218);
	assert_int_equal(at, (0x2000000 - ilen) & ~0xFFFULL);
	assert_true(at + ilen - 1 <= 0x1FFFFFF);
	free(initrd);
	free(img);
	tguest_free(&g);
}

/* An initrd that does not fit above load + init_size: bad input. */
static void test_initrd_too_large(void **state)
{
	struct tguest g;
	struct boot_entry e;
	struct err err = { 0 };
	size_t len, ilen;
	uint8_t *img = tbz_make(4, PM_SIZE, &len), *initrd;
	(void)state;

	tguest_init(&g, 32 * MiB);	/* kernel at 16 MiB, init_size 8 MiB: 8 MiB left */
	ilen = 8 * MiB;
	initrd = calloc(1, ilen);
	assert_int_equal(boot_bzimage(&g.mem, &g.e820, img, len, initrd, ilen, NULL, &e, &err),
			 0);
	assert_int_equal(rd32(bp_of(&g) + 0x218), 24 * MiB);
	free(initrd);
	ilen = 8 * MiB + 1;
	initrd = calloc(1, ilen);
	memset(&err, 0, sizeof(err));
	assert_int_equal(boot_bzimage(&g.mem, &g.e820, img, len, initrd, ilen, NULL, &e, &err),
			 -ENOMEM);
	assert_int_equal(err.usage, 1);
	assert_non_null(strstr(err.msg, "initrd"));
	assert_non_null(strstr(err.msg, "does not fit"));
	free(initrd);
	free(img);
	tguest_free(&g);
}

/* cmdline_size (2.06+) is the longest command line without its NUL. */
static void test_cmdline_limit(void **state)
{
	struct tguest g;
	struct boot_entry e;
	struct err err = { 0 };
	size_t len = 0;
	uint8_t *img = tbz_make(4, PM_SIZE, &len);
	char line[2049];
	(void)state;

	tguest_init(&g, 64 * MiB);
	memset(line, 'a', sizeof(line));
	line[2047] = 0;
	assert_int_equal(boot_bzimage(&g.mem, &g.e820, img, len, NULL, 0, line, &e, &err), 0);
	assert_int_equal(strlen((char *)g.ram + 0x20000), 2047);
	line[2047] = 'a';
	line[2048] = 0;
	assert_int_equal(boot_bzimage(&g.mem, &g.e820, img, len, NULL, 0, line, &e, &err), -E2BIG);
	assert_int_equal(err.usage, 1);
	assert_non_null(strstr(err.msg, "2048"));
	assert_non_null(strstr(err.msg, "2047"));
	free(img);
	tguest_free(&g);
}

static void test_old_protocol(void **state)
{
	struct tguest g;
	struct boot_entry e;
	struct err err = { 0 };
	size_t len = 0;
	uint8_t *img = tbz_make(4, PM_SIZE, &len);
	(void)state;

	tguest_init(&g, 64 * MiB);
	wr16(img + 0x206, 0x0205);
	assert_int_equal(boot_bzimage(&g.mem, &g.e820, img, len, NULL, 0, NULL, &e, &err),
			 -ENOEXEC);
	assert_int_equal(err.usage, 1);
	assert_non_null(strstr(err.msg, "2.05"));
	assert_non_null(strstr(err.msg, "2.06"));
	wr16(img + 0x206, 0x0206);
	assert_int_equal(boot_bzimage(&g.mem, &g.e820, img, len, NULL, 0, NULL, &e, &err), 0);
	/* zImage (LOADED_HIGH clear) */
	img[0x211] = 0;
	assert_int_equal(boot_bzimage(&g.mem, &g.e820, img, len, NULL, 0, NULL, &e, &err),
			 -ENOEXEC);
	assert_non_null(strstr(err.msg, "zImage"));
	free(img);
	tguest_free(&g);
}

/* A jump offset (0x201) that ends the setup header before the 2.06 fields: before this was
 * checked, such an image loaded and its zero page lacked "HdrS" (fuzz_boot, 2026-12-07). */
static void test_short_header(void **state)
{
	struct tguest g;
	struct boot_entry e;
	struct err err = { 0 };
	size_t len = 0;
	uint8_t *img = tbz_make(4, PM_SIZE, &len);
	(void)state;

	tguest_init(&g, 64 * MiB);
	img[0x201] = 0;
	assert_int_equal(boot_bzimage(&g.mem, &g.e820, img, len, NULL, 0, NULL, &e, &err),
			 -ENOEXEC);
	assert_int_equal(err.usage, 1);
	assert_non_null(strstr(err.msg, "ends at 0x202"));
	img[0x201] = 0x3A;	/* 0x23C: exactly through cmdline_size */
	assert_int_equal(boot_bzimage(&g.mem, &g.e820, img, len, NULL, 0, NULL, &e, &err), 0);
	assert_memory_equal(g.ram + e.rsi + 0x202, "HdrS", 4);
	free(img);
	tguest_free(&g);
}

static void test_truncated(void **state)
{
	struct tguest g;
	struct boot_entry e;
	struct err err = { 0 };
	size_t len = 0;
	uint8_t *img = tbz_make(4, PM_SIZE, &len);
	(void)state;

	tguest_init(&g, 64 * MiB);
	assert_int_equal(boot_bzimage(&g.mem, &g.e820, img, len - 1, NULL, 0, NULL, &e, &err),
			 -ENOEXEC);
	assert_int_equal(err.usage, 1);
	assert_non_null(strstr(err.msg, "truncated"));
	/* Cut inside the setup sectors, and inside the header. */
	assert_int_equal(boot_bzimage(&g.mem, &g.e820, img, 0x400, NULL, 0, NULL, &e, &err),
			 -ENOEXEC);
	assert_int_equal(boot_bzimage(&g.mem, &g.e820, img, 0x210, NULL, 0, NULL, &e, &err),
			 -ENOEXEC);
	/* No HdrS */
	img[0x202] = 'X';
	assert_int_equal(boot_bzimage(&g.mem, &g.e820, img, len, NULL, 0, NULL, &e, &err),
			 -ENOEXEC);
	assert_non_null(strstr(err.msg, "HdrS"));
	free(img);
	tguest_free(&g);
}

static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n);
	if (fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

/* A Debian kernel's bzImage: $VFVM_BZIMAGE, else the last /boot/vmlinuz-* (any version). */
static const char *debian_bzimage(char *buf, size_t len)
{
	glob_t gl;

	if (getenv("VFVM_BZIMAGE"))
		return getenv("VFVM_BZIMAGE");
	if (glob("/boot/vmlinuz-*", 0, NULL, &gl) || !gl.gl_pathc)
		return "/boot/vmlinuz";
	snprintf(buf, len, "%s", gl.gl_pathv[gl.gl_pathc - 1]);
	globfree(&gl);
	return buf;
}

/* The Debian bzImage, when installed: relocatable to its pref_address, protocol 2.15. */
static void test_debian_bzimage(void **state)
{
	char pathbuf[256];
	const char *path = debian_bzimage(pathbuf, sizeof(pathbuf));
	struct tguest g;
	struct boot_entry e;
	struct err err = { 0 };
	size_t len = 0;
	uint8_t *img = read_all(path, &len), *bp;
	unsigned setup;
	(void)state;

	if (!img) {
		printf("SKIP test_debian_bzimage: no %s (install linux-image-amd64)\n", path);
		skip();
	}
	tguest_init(&g, 256 * MiB);
	assert_int_equal(boot_bzimage(&g.mem, &g.e820, img, len, NULL, 0, "console=ttyS0", &e,
				      &err), 0);
	bp = bp_of(&g);
	setup = (img[0x1F1] + 1) * 512;
	assert_true(rd16(bp + 0x206) >= 0x020A);
	assert_int_equal(e.rip, rd64(img + 0x258));	/* pref_address */
	assert_int_equal(rd32(bp + 0x214), e.rip);
	/* syssize * 16 bytes; Debian appends a signature after them, which stays out. */
	assert_true(rd32(img + 0x1F4) * 16ULL <= len - setup);
	assert_memory_equal(g.ram + e.rip, img + setup, rd32(img + 0x1F4) * 16ULL);
	assert_int_equal(bp[0x210], 0xFF);
	free(img);
	tguest_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_fields),
		cmocka_unit_test(test_setup_sects_zero),
		cmocka_unit_test(test_not_relocatable),
		cmocka_unit_test(test_pref_does_not_fit),
		cmocka_unit_test(test_kernel_too_large),
		cmocka_unit_test(test_initrd_placement),
		cmocka_unit_test(test_initrd_too_large),
		cmocka_unit_test(test_cmdline_limit),
		cmocka_unit_test(test_old_protocol),
		cmocka_unit_test(test_short_header),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_debian_bzimage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
