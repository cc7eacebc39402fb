/* test_boot_vmlinux.c - the vmlinux (ELF64) loader against boot.rst "64-bit BOOT PROTOCOL":
 * segments at p_paddr, entry, long-mode page tables and GDT, the zero page built from scratch. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>
#include "test_boot_util.h"

#define KVA 0xffffffff81000000ULL

static const struct tseg segs[] = {
	{ KVA, 0x1000000, 0x3000, 0x3000 },
	{ KVA + 0x200000, 0x1200000, 0x1800, 0x5000 },	/* with bss */
};

static void test_segments_and_entry(void **state)
{
	struct tguest g;
	struct boot_entry e;
	struct err err = { 0 };
	size_t len = 0;
	uint8_t *img = telf_make(1, EM_X86_64, segs, 2, 0x1000000, &len), *bp;
	(void)state;

	tguest_init(&g, 64 * MiB);
	memset(g.ram + 0x1200000, 0xAA, 0x5000);	/* bss must be zeroed */
	assert_int_equal(boot_vmlinux(&g.mem, &g.e820, img, len, NULL, 0, "root=/dev/vda", &e,
				      &err), 0);
	assert_true(tseg_ok(g.ram, &segs[0], 0));
	assert_true(tseg_ok(g.ram, &segs[1], 1));
	assert_int_equal(e.kind, BOOT_KIND_VMLINUX);
	assert_int_equal(e.mode, BOOT_MODE_LM64);
	assert_int_equal(e.rip, 0x1000000);
	assert_int_equal(e.rsi, BOOT_PARAMS_ADDR);
	assert_int_equal(e.cs, 0x10);
	assert_int_equal(e.ds, 0x18);
	assert_int_equal(e.cr3, BOOT_PT_ADDR);
	/* 64-bit code segment: L=1, D=0 (Intel SDM Vol. 3 §3.4.5). */
	assert_int_equal(rd64(g.ram + BOOT_GDT_ADDR + 0x10), 0x00AF9B000000FFFFULL);
	assert_int_equal(rd64(g.ram + BOOT_GDT_ADDR + 0x18), 0x00CF93000000FFFFULL);
	/* Identity map of 4 GiB with 2 MiB pages. */
	assert_int_equal(rd64(g.ram + BOOT_PT_ADDR), (BOOT_PT_ADDR + 0x1000) | 3);
	assert_int_equal(rd64(g.ram + BOOT_PT_ADDR + 8), 0);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(rd64(g.ram + BOOT_PT_ADDR + 0x1000 + 8 * i),
				 (BOOT_PT_ADDR + 0x2000 + 0x1000 * i) | 3);
	assert_int_equal(rd64(g.ram + BOOT_PT_ADDR + 0x1000 + 32), 0);
	assert_int_equal(rd64(g.ram + BOOT_PT_ADDR + 0x2000), 0x83);
	assert_int_equal(rd64(g.ram + BOOT_PT_ADDR + 0x2000 + 8 * 8), 0x1000083);
	/* last 2 MiB page below 4 GiB: PD 3, entry 511 */
	assert_int_equal(rd64(g.ram + BOOT_PT_ADDR + 0x5000 + 8 * 511), 0xFFE00083ULL);
	/* The zero page. */
	bp = g.ram + BOOT_PARAMS_ADDR;
	assert_int_equal(rd16(bp + 0x1FE), 0xAA55);
	assert_memory_equal(bp + 0x202, "HdrS", 4);
	assert_int_equal(rd16(bp + 0x206), 0x020F);
	assert_int_equal(bp[0x210], 0xFF);
	assert_int_equal(bp[0x211] & 0x81, 0x81);
	assert_int_equal(rd32(bp + 0x228), 0x20000);
	assert_string_equal((char *)g.ram + 0x20000, "root=/dev/vda");
	assert_true(rd32(bp + 0x238) >= 2047);
	assert_int_equal(rd32(bp + 0x230), 0x200000);
	assert_int_equal(rd16(bp + 0x1FA), 0xFFFF);
	assert_int_equal(bp[0x1E8], 4);
	assert_int_equal(rd64(bp + 0x2D0 + 40), 0x100000);
	assert_int_equal(rd64(bp + 0x2D0 + 48), 63 * MiB);
	assert_int_equal(rd32(bp + 0x218), 0);
	free(img);
	tguest_free(&g);
}

/* e_entry given as a virtual address inside a segment: translated to its p_paddr. */
static void test_virtual_entry(void **state)
{
	struct tguest g;
	struct boot_entry e;
	struct err err = { 0 };
	size_t len = 0;
	uint8_t *img = telf_make(1, EM_X86_64, segs, 2, KVA + 0x200010, &len);
	(void)state;

	tguest_init(&g, 64 * MiB);
	assert_int_equal(boot_vmlinux(&g.mem, &g.e820, img, len, NULL, 0, NULL, &e, &err), 0);
	assert_int_equal(e.rip, 0x1200010);
	free(img);
	/* An entry outside every segment is refused. */
	img = telf_make(1, EM_X86_64, segs, 2, 0x5000000, &len);
	assert_int_equal(boot_vmlinux(&g.mem, &g.e820, img, len, NULL, 0, NULL, &e, &err),
			 -ENOEXEC);
	assert_non_null(strstr(err.msg, "entry"));
	free(img);
	tguest_free(&g);
}

/* initrd above the kernel's end, at the top of low RAM. */
static void test_initrd(void **state)
{
	struct tguest g;
	struct boot_entry e;
	struct err err = { 0 };
	size_t len = 0;
	uint8_t *img = telf_make(1, EM_X86_64, segs, 2, 0x1000000, &len), initrd[5000];
	uint32_t at;
	(void)state;

	memset(initrd, 0x42, sizeof(initrd));
	tguest_init(&g, 64 * MiB);
	assert_int_equal(boot_vmlinux(&g.mem, &g.e820, img, len, initrd, sizeof(initrd), NULL,
				      &e, &err), 0);
	at = rd32(g.ram + BOOT_PARAMS_ADDR + 0x218);
	assert_int_equal(at, 64 * MiB - 8192);
	assert_int_equal(rd32(g.ram + BOOT_PARAMS_ADDR + 0x21C), sizeof(initrd));
	assert_memory_equal(g.ram + at, initrd, sizeof(initrd));
	tguest_free(&g);
	/* Kernel ends at 0x1205000; RAM 0x1206000: a 5000-byte initrd does not fit. */
	tguest_init(&g, 0x1206000);
	assert_int_equal(boot_vmlinux(&g.mem, &g.e820, img, len, initrd, sizeof(initrd), NULL,
				      &e, &err), -ENOMEM);
	assert_int_equal(err.usage, 1);
	assert_non_null(strstr(err.msg, "initrd"));
	free(img);
	tguest_free(&g);
}

static void expect_refused(const uint8_t *img, size_t len, int want, const char *word)
{
	struct tguest g;
	struct boot_entry e;
	struct err err = { 0 };

	tguest_init(&g, 64 * MiB);
	assert_int_equal(boot_vmlinux(&g.mem, &g.e820, img, len, NULL, 0, NULL, &e, &err), want);
	assert_int_equal(err.usage, 1);
	assert_non_null(strstr(err.msg, word));
	tguest_free(&g);
}

static void test_bad_elf(void **state)
{
	size_t len = 0;
	uint8_t *img;
	Elf64_Phdr ph;
	(void)state;

	img = telf_make(0, EM_386, segs, 1, 0x1000000, &len);
	expect_refused(img, len, -ENOEXEC, "64-bit");
	free(img);
	img = telf_make(1, EM_AARCH64, segs, 1, 0x1000000, &len);
	expect_refused(img, len, -ENOEXEC, "x86-64");
	free(img);
	img = telf_make(1, EM_X86_64, segs, 1, 0x1000000, &len);
	wr16(img + 16, ET_DYN);
	expect_refused(img, len, -ENOEXEC, "executable");
	wr16(img + 16, ET_EXEC);
	expect_refused(img, 100, -ENOEXEC, "program headers");	/* truncated */
	expect_refused(img, 0x2000, -ENOEXEC, "outside the file");
	memcpy(&ph, img + 64, sizeof(ph));
	ph.p_filesz = ph.p_memsz + 1;
	memcpy(img + 64, &ph, sizeof(ph));
	expect_refused(img, len, -ENOEXEC, "outside the file");
	free(img);
	/* A segment beyond RAM, and one in the first MiB. */
	{
		struct tseg big = { KVA, 0x3F00000, 0x1000, 0x200000 };
		struct tseg low = { 0x1000, 0x1000, 0x100, 0x100 };

		img = telf_make(1, EM_X86_64, &big, 1, 0x3F00000, &len);
		expect_refused(img, len, -ENOMEM, "--memory");
		free(img);
		img = telf_make(1, EM_X86_64, &low, 1, 0x1000, &len);
		expect_refused(img, len, -ENOMEM, "1 MiB");
		free(img);
	}
	expect_refused((const uint8_t *)"hello world, not an ELF file at all......................"
		       "..................", 70, -ENOEXEC, "ELF");
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

/* A real vmlinux (VFVM_VMLINUX, e.g. from tools/extract-vmlinux): entry is physical. */
static void test_debian_vmlinux(void **state)
{
	const char *path = getenv("VFVM_VMLINUX");
	struct tguest g;
	struct boot_entry e;
	struct err err = { 0 };
	size_t len = 0;
	uint8_t *img = path ? read_all(path, &len) : NULL;
	(void)state;

	if (!img) {
		/* tools/run-unit shows this reason in the closing lines. */
		printf("SKIP test_debian_vmlinux: %s\n", path ? "VFVM_VMLINUX is unreadable" :
		       "VFVM_VMLINUX not set (make unit sets it when linux-image-amd64 is installed)");
		skip();
	}
	tguest_init(&g, 256 * MiB);
	assert_int_equal(boot_vmlinux(&g.mem, &g.e820, img, len, NULL, 0, "console=ttyS0", &e,
				      &err), 0);
	assert_int_equal(e.rip, 0x1000000);
	assert_memory_equal(g.ram + 0x1000000, img + 0x200000, 0x1000);
	free(img);
	tguest_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_segments_and_entry),
		cmocka_unit_test(test_virtual_entry),
		cmocka_unit_test(test_initrd),
		cmocka_unit_test(test_bad_elf),
		cmocka_unit_test(test_debian_vmlinux),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
