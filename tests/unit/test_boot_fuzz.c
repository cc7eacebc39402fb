/* test_boot_fuzz.c - deterministic corruption of valid bzImage, vmlinux and Multiboot images:
 * every loader must either load or refuse with a message, never touch memory out of bounds
 * (run under `make SANITIZE=1 unit`). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>
#include "test_boot_util.h"

#define ROUNDS 3000

static uint32_t rnd_state = 12345;

static uint32_t rnd(void)
{
	/* xorshift32: reproducible across runs and hosts. */
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/* Overwrite 1-4 header bytes with random values (sometimes extreme ones), maybe cut the file. */
static size_t mutate(uint8_t *img, const uint8_t *orig, size_t len, size_t hot)
{
	static const uint32_t extremes[] = { 0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFF,
					     0x1000, 0x100000 };
	unsigned n = 1 + rnd() % 4;

	memcpy(img, orig, len);
	for (unsigned i = 0; i < n; i++) {
		size_t at = rnd() % (hot - 4);

		if (rnd() % 3)
			img[at] = (uint8_t)rnd();
		else
			wr32(img + (at & ~3UL), extremes[rnd() % 8]);
	}
	if (rnd() % 8 == 0)
		return rnd() % len;
	return len;
}

typedef int (*loader_fn)(struct tguest *g, const uint8_t *img, size_t len, struct err *err);

static int run_bz(struct tguest *g, const uint8_t *img, size_t len, struct err *err)
{
	static const uint8_t initrd[3000];
	struct boot_entry e;

	return boot_bzimage(&g->mem, &g->e820, img, len, initrd, sizeof(initrd), "x", &e, err);
}

static int run_vml(struct tguest *g, const uint8_t *img, size_t len, struct err *err)
{
	static const uint8_t initrd[3000];
	struct boot_entry e;

	return boot_vmlinux(&g->mem, &g->e820, img, len, initrd, sizeof(initrd), "x", &e, err);
}

static int run_mb(struct tguest *g, const uint8_t *img, size_t len, struct err *err)
{
	static const uint8_t m[100];
	struct boot_blob mods[2] = { { m, sizeof(m), "m1" }, { m, 0, "m2 empty" } };
	struct boot_entry e;

	return boot_multiboot(&g->mem, &g->e820, img, len, mods, 2, "k", &e, err);
}

static void fuzz(loader_fn fn, const uint8_t *orig, size_t len, size_t hot)
{
	/* Exact-size buffer so that ASan sees any read past the (possibly cut) file. */
	struct tguest g;
	unsigned ok = 0, refused = 0;

	tguest_init(&g, 32 * MiB);
	assert_int_equal(fn(&g, orig, len, &(struct err){ 0 }), 0);
	for (unsigned i = 0; i < ROUNDS; i++) {
		uint8_t *img = malloc(len);
		size_t n = mutate(img, orig, len, hot);
		uint8_t *cut = malloc(n ? n : 1);
		struct err err = { 0 };
		int r;

		memcpy(cut, img, n);
		r = fn(&g, cut, n, &err);
		if (r == 0) {
			ok++;
		} else {
			refused++;
			assert_true(r < 0);
			assert_true(err.msg[0] != 0);
		}
		free(cut);
		free(img);
	}
	/* Both outcomes must occur, or the mutations are not reaching the checks. */
	assert_true(ok > 0);
	assert_true(refused > 0);
	tguest_free(&g);
}

static void test_fuzz_bzimage(void **state)
{
	size_t len = 0;
	uint8_t *img = tbz_make(4, 0x2000, &len);
	(void)state;

	fuzz(run_bz, img, len, 0x280);
	free(img);
}

static void test_fuzz_vmlinux(void **state)
{
	static const struct tseg s[2] = { { 0xffffffff81000000ULL, 0x1000000, 0x800, 0x1000 },
					  { 0xffffffff81200000ULL, 0x1200000, 0x100, 0x3000 } };
	size_t len = 0;
	uint8_t *img = telf_make(1, EM_X86_64, s, 2, 0x1000000, &len);
	(void)state;

	fuzz(run_vml, img, len, 64 + 2 * 56);
	free(img);
}

static void test_fuzz_multiboot_elf(void **state)
{
	static const struct tseg s[2] = { { 0xC0100000, 0x100000, 0x800, 0x1000 },
					  { 0xC0200000, 0x200000, 0x100, 0x3000 } };
	size_t len = 0;
	uint8_t *img = telf_make(0, EM_386, s, 2, 0xC0100000, &len);
	(void)state;

	wr32(img + 0x1000 + 8, 0x1BADB002);
	wr32(img + 0x1000 + 12, 0x3);
	wr32(img + 0x1000 + 16, -(0x1BADB002U + 3));
	fuzz(run_mb, img, len, 52 + 2 * 32);
	free(img);
}

static void test_fuzz_multiboot_aout(void **state)
{
	uint8_t *img = calloc(1, 0x1000);
	uint32_t flags = 0x10003;
	(void)state;

	wr32(img + 0x20, 0x1BADB002);
	wr32(img + 0x24, flags);
	wr32(img + 0x28, -(0x1BADB002U + flags));
	wr32(img + 0x2C, 0x100020);
	wr32(img + 0x30, 0x100000);
	wr32(img + 0x34, 0x100800);
	wr32(img + 0x38, 0x101000);
	wr32(img + 0x3C, 0x100040);
	fuzz(run_mb, img, 0x1000, 0x44);
	free(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fuzz_bzimage),
		cmocka_unit_test(test_fuzz_vmlinux),
		cmocka_unit_test(test_fuzz_multiboot_elf),
		cmocka_unit_test(test_fuzz_multiboot_aout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
