/* test_boot_multiboot.c - the Multiboot v1 loader against the Multiboot Specification 0.6.96:
 * header checks (§3.1), a.out kludge and ELF loading, machine state (§3.2), info (§3.3). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>
#include "test_boot_util.h"

#define MB_MAGIC 0x1BADB002U
#define HDR_OFF 0x40
#define CODE 0x2000

/* Raw image: Multiboot header at HDR_OFF with address fields (flag 16), loaded at 1 MiB. */
static uint8_t *aout_make(uint32_t flags, uint32_t load_end, uint32_t bss_end, size_t *len)
{
	uint8_t *img = calloc(1, CODE);

	for (unsigned i = 0; i < CODE; i++)
		img[i] = (uint8_t)(i * 5 + 1);
	wr32(img + HDR_OFF, MB_MAGIC);
	wr32(img + HDR_OFF + 4, flags);
	wr32(img + HDR_OFF + 8, -(MB_MAGIC + flags));
	wr32(img + HDR_OFF + 12, 0x100000 + HDR_OFF);	/* header_addr */
	wr32(img + HDR_OFF + 16, 0x100000);		/* load_addr */
	wr32(img + HDR_OFF + 20, load_end);
	wr32(img + HDR_OFF + 24, bss_end);
	wr32(img + HDR_OFF + 28, 0x100080);		/* entry_addr */
	*len = CODE;
	return img;
}

static void test_aout_and_info(void **state)
{
	struct tguest g;
	struct boot_entry e;
	struct err err = { 0 };
	size_t len = 0;
	uint8_t *img = aout_make(0x10003, 0x100000 + CODE, 0x100000 + CODE + 0x3000, &len);
	uint8_t *mbi, *ml, m1[100], m2[5000];
	struct boot_blob mods[2] = { { m1, sizeof(m1), "/boot/mod1 a=1" },
				     { m2, sizeof(m2), "mod2" } };
	uint32_t mmap, mlen, m1s, m2s;
	(void)state;

	memset(m1, 0x11, sizeof(m1));
	memset(m2, 0x22, sizeof(m2));
	tguest_init(&g, 64 * MiB);
	memset(g.ram + 0x100000 + CODE, 0xEE, 0x3000);
	assert_int_equal(boot_multiboot(&g.mem, &g.e820, img, len, mods, 2, "k.elf x=y", &e,
					&err), 0);
	assert_memory_equal(g.ram + 0x100000, img, CODE);
	for (unsigned i = 0; i < 0x3000; i++)
		assert_int_equal(g.ram[0x100000 + CODE + i], 0);	/* bss */
	/* §3.2 machine state. */
	assert_int_equal(e.kind, BOOT_KIND_MULTIBOOT);
	assert_int_equal(e.mode, BOOT_MODE_PM32);
	assert_int_equal(e.rip, 0x100080);
	assert_int_equal(e.rax, 0x2BADB002);
	assert_int_equal(e.rbx, BOOT_PARAMS_ADDR);
	assert_int_equal(e.cs, 0x10);
	assert_int_equal(e.ds, 0x18);
	assert_int_equal(rd64(g.ram + BOOT_GDT_ADDR + 0x10), 0x00CF9B000000FFFFULL);
	/* §3.3 information structure. */
	mbi = g.ram + BOOT_PARAMS_ADDR;
	assert_int_equal(rd32(mbi), (1 << 0) | (1 << 2) | (1 << 3) | (1 << 6) | (1 << 9));
	assert_int_equal(rd32(mbi + 4), 639);			/* mem_lower: 0x9FC00 */
	assert_int_equal(rd32(mbi + 8), 63 * 1024);		/* mem_upper: 1 MiB..64 MiB */
	assert_string_equal((char *)g.ram + rd32(mbi + 16), "k.elf x=y");
	assert_string_equal((char *)g.ram + rd32(mbi + 64), "vfvm");
	/* Modules: page aligned, above the kernel (and its bss), in order, mod_end exclusive. */
	assert_int_equal(rd32(mbi + 20), 2);
	ml = g.ram + rd32(mbi + 24);
	m1s = rd32(ml);
	m2s = rd32(ml + 16);
	assert_int_equal(m1s, 0x100000 + CODE + 0x3000);
	assert_int_equal(m1s & 0xFFF, 0);
	assert_int_equal(rd32(ml + 4), m1s + sizeof(m1));
	assert_string_equal((char *)g.ram + rd32(ml + 8), "/boot/mod1 a=1");
	assert_int_equal(m2s, m1s + 0x1000);
	assert_int_equal(rd32(ml + 20), m2s + sizeof(m2));
	assert_string_equal((char *)g.ram + rd32(ml + 24), "mod2");
	assert_memory_equal(g.ram + m1s, m1, sizeof(m1));
	assert_memory_equal(g.ram + m2s, m2, sizeof(m2));
	/* mmap: one 24-byte record (size = 20) per e820 entry, same values. */
	mlen = rd32(mbi + 44);
	mmap = rd32(mbi + 48);
	assert_int_equal(mlen, 4 * 24);
	for (unsigned i = 0; i < 4; i++) {
		const uint8_t *r = g.ram + mmap + 24 * i;

		assert_int_equal(rd32(r), 20);
		assert_int_equal(rd64(r + 4), g.e820.e[i].addr);
		assert_int_equal(rd64(r + 12), g.e820.e[i].size);
		assert_int_equal(rd32(r + 20), g.e820.e[i].type);
	}
	/* The tables live in the info area, clear of the kernel. */
	assert_true(mmap >= BOOT_INFO_ADDR && mmap + mlen <= BOOT_INFO_END);
	free(img);
	tguest_free(&g);
}

/* load_end_addr 0: load to the end of the file; bss_end_addr 0: no bss. */
static void test_aout_defaults(void **state)
{
	struct tguest g;
	struct boot_entry e;
	struct err err = { 0 };
	size_t len = 0;
	uint8_t *img = aout_make(0x10000, 0, 0, &len), *mbi;
	(void)state;

	tguest_init(&g, 8 * MiB);
	memset(g.ram + 0x100000 + CODE, 0xEE, 16);
	assert_int_equal(boot_multiboot(&g.mem, &g.e820, img, len, NULL, 0, NULL, &e, &err), 0);
	assert_memory_equal(g.ram + 0x100000, img, CODE);
	assert_int_equal(g.ram[0x100000 + CODE], 0xEE);	/* untouched */
	mbi = g.ram + BOOT_PARAMS_ADDR;
	assert_int_equal(rd32(mbi + 8), 7 * 1024);
	assert_int_equal(rd32(mbi + 20), 0);
	assert_string_equal((char *)g.ram + rd32(mbi + 16), "");
	free(img);
	tguest_free(&g);
}

/* A header at a non-zero load offset: file offset = header offset - (header_addr - load_addr). */
static void test_aout_offset(void **state)
{
	struct tguest g;
	struct boot_entry e;
	struct err err = { 0 };
	size_t len = 0;
	uint8_t *img = aout_make(0x10000, 0x100000 + 0x1000, 0, &len);
	(void)state;

	wr32(img + HDR_OFF + 12, 0x200000 + 0x20);	/* header 0x20 bytes into the load */
	wr32(img + HDR_OFF + 16, 0x200000);
	wr32(img + HDR_OFF + 20, 0x200000 + 0x1000);
	wr32(img + HDR_OFF + 28, 0x200000);
	tguest_init(&g, 8 * MiB);
	assert_int_equal(boot_multiboot(&g.mem, &g.e820, img, len, NULL, 0, NULL, &e, &err), 0);
	assert_memory_equal(g.ram + 0x200000, img + HDR_OFF - 0x20, 0x1000);
	assert_int_equal(e.rip, 0x200000);
	free(img);
	tguest_free(&g);
}

/* ELF32 kernel with the header inside its first segment; e_entry virtual (higher half). */
static uint8_t *elf_mb_make(int is64, uint32_t flags, uint64_t entry, struct tseg *s,
			    size_t *len)
{
	uint8_t *img = telf_make(is64, is64 ? EM_X86_64 : EM_386, s, 2, entry, len);

	wr32(img + 0x1000 + 8, MB_MAGIC);
	wr32(img + 0x1000 + 12, flags);
	wr32(img + 0x1000 + 16, -(MB_MAGIC + flags));
	return img;
}

static void test_elf32(void **state)
{
	struct tguest g;
	struct boot_entry e;
	struct err err = { 0 };
	struct tseg s[2] = { { 0xC0100000, 0x100000, 0x800, 0x1000 },
			     { 0xC0200000, 0x200000, 0x100, 0x2000 } };
	size_t len = 0;
	uint8_t *img = elf_mb_make(0, 0x3, 0xC0100010, s, &len), *mbi;
	(void)state;

	tguest_init(&g, 16 * MiB);
	assert_int_equal(boot_detect(img, len), BOOT_KIND_MULTIBOOT);
	assert_int_equal(boot_multiboot(&g.mem, &g.e820, img, len, NULL, 0, NULL, &e, &err), 0);
	/* Segment bytes (header bytes included) at p_paddr, bss zeroed. */
	assert_memory_equal(g.ram + 0x100000, img + 0x1000, 0x800);
	assert_int_equal(g.ram[0x100800], 0);
	assert_memory_equal(g.ram + 0x200000, img + 0x11000, 0x100);
	assert_int_equal(e.rip, 0x100010);	/* GRUB 2: virtual entry -> physical */
	mbi = g.ram + BOOT_PARAMS_ADDR;
	assert_int_equal(rd32(mbi + 8), 15 * 1024);
	free(img);
	/* Physical entry (no segment's vaddr range contains it) is used as is. */
	s[0].vaddr = 0x100000;
	s[1].vaddr = 0x200000;
	img = elf_mb_make(0, 0x3, 0x200004, s, &len);
	assert_int_equal(boot_multiboot(&g.mem, &g.e820, img, len, NULL, 0, NULL, &e, &err), 0);
	assert_int_equal(e.rip, 0x200004);
	free(img);
	tguest_free(&g);
}

/* ELF64 with 32-bit reachable segments (as GRUB 2 accepts); PM32 entry all the same. */
static void test_elf64(void **state)
{
	struct tguest g;
	struct boot_entry e;
	struct err err = { 0 };
	struct tseg s[2] = { { 0x100000, 0x100000, 0x800, 0x1000 },
			     { 0x200000, 0x200000, 0x100, 0x2000 } };
	size_t len = 0;
	uint8_t *img = elf_mb_make(1, 0x0, 0x100020, s, &len);
	(void)state;

	tguest_init(&g, 16 * MiB);
	assert_int_equal(boot_detect(img, len), BOOT_KIND_MULTIBOOT);
	assert_int_equal(boot_multiboot(&g.mem, &g.e820, img, len, NULL, 0, NULL, &e, &err), 0);
	assert_int_equal(e.mode, BOOT_MODE_PM32);
	assert_int_equal(e.rip, 0x100020);
	assert_true(tseg_ok(g.ram, &s[1], 1));
	free(img);
	/* A segment above 4 GiB cannot be reached in 32-bit mode. */
	s[1].paddr = 0x100000000ULL;
	img = elf_mb_make(1, 0x0, 0x100020, s, &len);
	assert_int_equal(boot_multiboot(&g.mem, &g.e820, img, len, NULL, 0, NULL, &e, &err),
			 -ENOMEM);
	free(img);
	tguest_free(&g);
}

static void expect_refused(const uint8_t *img, size_t len, const struct boot_blob *mods,
			   unsigned n, uint64_t ram, int want, const char *word)
{
	struct tguest g;
	struct boot_entry e;
	struct err err = { 0 };

	tguest_init(&g, ram);
	assert_int_equal(boot_multiboot(&g.mem, &g.e820, img, len, mods, n, NULL, &e, &err),
			 want);
	assert_int_equal(err.usage, 1);
	if (!strstr(err.msg, word))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, word);
	tguest_free(&g);
}

static void test_header_errors(void **state)
{
	size_t len = 0;
	uint8_t *img = aout_make(0x10000, 0, 0, &len);
	(void)state;

	wr32(img + HDR_OFF + 8, rd32(img + HDR_OFF + 8) + 1);
	expect_refused(img, len, NULL, 0, 8 * MiB, -ENOEXEC, "checksum");
	free(img);
	/* Bit 2 (video mode) is required but unavailable; bit 3 is unknown: refuse (§3.1.2). */
	img = aout_make(0x10004, 0, 0, &len);
	expect_refused(img, len, NULL, 0, 8 * MiB, -ENOTSUP, "video");
	free(img);
	img = aout_make(0x10008, 0, 0, &len);
	expect_refused(img, len, NULL, 0, 8 * MiB, -ENOTSUP, "0x00010008");
	free(img);
	/* Optional unknown bits (17-31) are ignored. */
	img = aout_make(0x80010000, 0, 0, &len);
	{
		struct tguest g;
		struct boot_entry e;
		struct err err = { 0 };

		tguest_init(&g, 8 * MiB);
		assert_int_equal(boot_multiboot(&g.mem, &g.e820, img, len, NULL, 0, NULL, &e,
						&err), 0);
		tguest_free(&g);
	}
	free(img);
	/* No header in the first 8192 bytes (one at 8192 does not count). */
	img = calloc(1, 16384);
	wr32(img + 8192, MB_MAGIC);
	wr32(img + 8192 + 4, 0);
	wr32(img + 8192 + 8, -MB_MAGIC);
	assert_int_equal(boot_detect(img, 16384), BOOT_KIND_UNKNOWN);
	expect_refused(img, 16384, NULL, 0, 8 * MiB, -ENOEXEC, "no Multiboot header");
	/* Not 4-byte aligned: not found either. */
	wr32(img + 4098, MB_MAGIC);
	assert_int_equal(boot_detect(img, 16384), BOOT_KIND_UNKNOWN);
	free(img);
	/* Neither ELF nor address fields. */
	img = aout_make(0x0, 0, 0, &len);
	expect_refused(img, len, NULL, 0, 8 * MiB, -ENOEXEC, "flag bit 16");
	free(img);
}

static void test_load_errors(void **state)
{
	size_t len = 0;
	uint8_t *img;
	uint8_t mod[0x3000] = { 0 };
	struct boot_blob m = { mod, sizeof(mod), "big.mod" };
	(void)state;

	/* load_end_addr beyond the file: truncated. */
	img = aout_make(0x10000, 0x100000 + CODE + 1, 0, &len);
	expect_refused(img, len, NULL, 0, 8 * MiB, -ENOEXEC, "truncated");
	free(img);
	/* bss_end below load_end. */
	img = aout_make(0x10000, 0x100000 + CODE, 0x100000 + 4, &len);
	expect_refused(img, len, NULL, 0, 8 * MiB, -ENOEXEC, "bss_end_addr");
	free(img);
	/* header_addr below load_addr. */
	img = aout_make(0x10000, 0, 0, &len);
	wr32(img + HDR_OFF + 16, 0x200000);
	expect_refused(img, len, NULL, 0, 8 * MiB, -ENOEXEC, "load_addr");
	free(img);
	/* Kernel (with bss) larger than RAM. */
	img = aout_make(0x10000, 0, 0x100000 + 8 * MiB, &len);
	expect_refused(img, len, NULL, 0, 8 * MiB, -ENOMEM, "--memory");
	free(img);
	/* Kernel over vfvm's boot structures. */
	img = aout_make(0x10000, 0, 0, &len);
	wr32(img + HDR_OFF + 12, 0x8000 + HDR_OFF);
	wr32(img + HDR_OFF + 16, 0x8000);
	expect_refused(img, len, NULL, 0, 8 * MiB, -ENOMEM, "0x90000");
	free(img);
	/* A module that does not fit: kernel ends at 0x102000, RAM 0x104000. */
	img = aout_make(0x10000, 0, 0, &len);
	expect_refused(img, len, &m, 1, 0x104000, -ENOMEM, "big.mod");
	m.len = 0x2000;		/* exactly fits */
	{
		struct tguest g;
		struct boot_entry e;
		struct err err = { 0 };

		tguest_init(&g, 0x104000);
		assert_int_equal(boot_multiboot(&g.mem, &g.e820, img, len, &m, 1, NULL, &e, &err),
				 0);
		tguest_free(&g);
	}
	free(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aout_and_info),
		cmocka_unit_test(test_aout_defaults),
		cmocka_unit_test(test_aout_offset),
		cmocka_unit_test(test_elf32),
		cmocka_unit_test(test_elf64),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_load_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
