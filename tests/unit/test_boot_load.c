/* test_boot_load.c - boot_load() and boot_detect(): files, kind detection from contents,
 * option/kind mismatches, GRUB-style Multiboot strings, and their error messages. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>
#include "test_boot_util.h"

static char dir[] = "/tmp/vfvm-boot-XXXXXX";

static const char *tpath(const char *name)
{
	static char buf[16][256];
	static unsigned n;
	char *p = buf[n++ % 16];	/* enough for the paths one test holds at once */

	snprintf(p, 256, "%s/%s", dir, name);
	return p;
}

static void tsave(const char *name, const void *p, size_t len)
{
	FILE *f = fopen(tpath(name), "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, len, f), len);
	fclose(f);
}

static int setup(void **state)
{
	static const struct tseg seg = { 0xffffffff81000000ULL, 0x1000000, 0x100, 0x100 };
	size_t len = 0;
	uint8_t *img;
	uint8_t mb[256] = { 0 };
	uint32_t flags = 0x10000;
	(void)state;

	if (!mkdtemp(dir))
		return -1;
	img = tbz_make(4, 0x1000, &len);
	tsave("bz", img, len);
	free(img);
	img = telf_make(1, EM_X86_64, &seg, 1, 0x1000000, &len);
	tsave("vmlinux", img, len);
	free(img);
	wr32(mb, 0x1BADB002);
	wr32(mb + 4, flags);
	wr32(mb + 8, -(0x1BADB002 + flags));
	wr32(mb + 12, 0x100000);
	wr32(mb + 16, 0x100000);
	wr32(mb + 28, 0x100020);
	tsave("mb", mb, sizeof(mb));
	tsave("mod", "module-bytes", 12);
	tsave("text", "hello\n", 6);
	return 0;
}

static int teardown(void **state)
{
	const char *names[] = { "bz", "vmlinux", "mb", "mod", "text" };
	(void)state;

	for (unsigned i = 0; i < 5; i++)
		unlink(tpath(names[i]));
	return rmdir(dir);
}

static int load(struct tguest *g, const struct boot_config *cfg, struct boot_entry *e,
		struct err *err)
{
	tguest_init(g, 64 * MiB);
	memset(err, 0, sizeof(*err));
	return boot_load(&g->mem, &g->e820, cfg, e, err);
}

static void test_detect(void **state)
{
	uint8_t buf[0x300] = { 0 };
	(void)state;

	assert_int_equal(boot_detect(buf, sizeof(buf)), BOOT_KIND_UNKNOWN);
	assert_int_equal(boot_detect(buf, 0), BOOT_KIND_UNKNOWN);
	wr16(buf + 0x1FE, 0xAA55);
	assert_int_equal(boot_detect(buf, sizeof(buf)), BOOT_KIND_UNKNOWN);	/* no HdrS */
	memcpy(buf + 0x202, "HdrS", 4);
	assert_int_equal(boot_detect(buf, sizeof(buf)), BOOT_KIND_BZIMAGE);
	assert_int_equal(boot_detect(buf, 0x205), BOOT_KIND_UNKNOWN);	/* cut short */
	memset(buf, 0, sizeof(buf));
	memcpy(buf, ELFMAG, 4);
	buf[EI_CLASS] = ELFCLASS64;
	wr16(buf + 18, EM_X86_64);
	assert_int_equal(boot_detect(buf, sizeof(buf)), BOOT_KIND_VMLINUX);
	wr16(buf + 18, EM_386);
	assert_int_equal(boot_detect(buf, sizeof(buf)), BOOT_KIND_UNKNOWN);
	/* A Multiboot header makes any ELF a Multiboot kernel. */
	wr16(buf + 18, EM_X86_64);
	wr32(buf + 0x100, 0x1BADB002);
	assert_int_equal(boot_detect(buf, sizeof(buf)), BOOT_KIND_MULTIBOOT);
}

static void test_kinds(void **state)
{
	struct boot_module mod = { tpath("mod"), "x=1 y" };
	struct boot_config cfg = { .kernel = tpath("bz"), .cmdline = "quiet" };
	struct tguest g;
	struct boot_entry e;
	struct err err;
	uint8_t *mbi, *ml;
	char want[512];
	(void)state;

	assert_int_equal(load(&g, &cfg, &e, &err), 0);
	assert_int_equal(e.kind, BOOT_KIND_BZIMAGE);
	assert_string_equal((char *)g.ram + BOOT_CMDLINE_ADDR, "quiet");
	tguest_free(&g);
	cfg.kernel = tpath("vmlinux");
	cfg.initrd = tpath("mod");
	assert_int_equal(load(&g, &cfg, &e, &err), 0);
	assert_int_equal(e.kind, BOOT_KIND_VMLINUX);
	assert_memory_equal(g.ram + rd32(g.ram + BOOT_PARAMS_ADDR + 0x218), "module-bytes", 12);
	tguest_free(&g);
	/* Multiboot: GRUB's strings, "file args" for the kernel and each module. */
	cfg = (struct boot_config){ .kernel = tpath("mb"), .cmdline = "a b", .modules = &mod,
				    .nmodules = 1 };
	assert_int_equal(load(&g, &cfg, &e, &err), 0);
	assert_int_equal(e.kind, BOOT_KIND_MULTIBOOT);
	mbi = g.ram + BOOT_PARAMS_ADDR;
	snprintf(want, sizeof(want), "%s a b", tpath("mb"));
	assert_string_equal((char *)g.ram + rd32(mbi + 16), want);
	ml = g.ram + rd32(mbi + 24);
	assert_memory_equal(g.ram + rd32(ml), "module-bytes", 12);
	assert_int_equal(rd32(ml + 4) - rd32(ml), 12);
	snprintf(want, sizeof(want), "%s x=1 y", tpath("mod"));
	assert_string_equal((char *)g.ram + rd32(ml + 8), want);
	tguest_free(&g);
	/* No arguments: the file name alone. */
	mod.args = NULL;
	cfg.cmdline = NULL;
	assert_int_equal(load(&g, &cfg, &e, &err), 0);
	ml = g.ram + rd32(g.ram + BOOT_PARAMS_ADDR + 24);
	assert_string_equal((char *)g.ram + rd32(ml + 8), tpath("mod"));
	assert_string_equal((char *)g.ram + rd32(g.ram + BOOT_PARAMS_ADDR + 16), tpath("mb"));
	tguest_free(&g);
}

static void expect(const struct boot_config *cfg, int want, const char *w1, const char *w2)
{
	struct tguest g;
	struct boot_entry e;
	struct err err;

	assert_int_equal(load(&g, cfg, &e, &err), want);
	assert_int_equal(err.usage, 1);
	if (!strstr(err.msg, w1) || (w2 && !strstr(err.msg, w2)))
		fail_msg("message \"%s\" lacks \"%s\"/\"%s\"", err.msg, w1, w2 ? w2 : "");
	tguest_free(&g);
}

static void test_errors(void **state)
{
	struct boot_module mod = { tpath("mod"), NULL };
	struct boot_module nomod = { tpath("nothere"), NULL };
	(void)state;

	expect(&(struct boot_config){ .kernel = NULL }, -EINVAL, "--kernel", NULL);
	expect(&(struct boot_config){ .kernel = tpath("nothere") }, -ENOENT, "nothere",
	       "No such file");
	expect(&(struct boot_config){ .kernel = dir }, -EISDIR, "cannot read", "directory");
	expect(&(struct boot_config){ .kernel = tpath("text") }, -ENOEXEC, "not a kernel",
	       "Multiboot");
	expect(&(struct boot_config){ .kernel = "/dev/null" }, -ENOEXEC, "not a kernel", NULL);
	expect(&(struct boot_config){ .kernel = tpath("mb"), .initrd = tpath("mod") }, -EINVAL,
	       "--initrd", "--module");
	expect(&(struct boot_config){ .kernel = tpath("bz"), .modules = &mod, .nmodules = 1 },
	       -EINVAL, "--module", "bzImage");
	expect(&(struct boot_config){ .kernel = tpath("vmlinux"), .modules = &mod,
				      .nmodules = 1 }, -EINVAL, "--module", "vmlinux");
	expect(&(struct boot_config){ .kernel = tpath("bz"), .initrd = tpath("nothere") },
	       -ENOENT, "initrd", "nothere");
	expect(&(struct boot_config){ .kernel = tpath("mb"), .modules = &nomod, .nmodules = 1 },
	       -ENOENT, "module", "nothere");
}

/* A file larger than guest RAM is refused without reading it all. */
static void test_too_large(void **state)
{
	struct tguest g;
	struct boot_entry e;
	struct err err = { 0 };
	struct boot_config cfg = { .kernel = tpath("bz") };
	(void)state;

	tguest_init(&g, 4096);
	assert_int_equal(boot_load(&g.mem, &g.e820, &cfg, &e, &err), -EFBIG);
	assert_non_null(strstr(err.msg, "larger than guest RAM"));
	tguest_free(&g);
}

/* --reboot under the seccomp filter or after --user: the second load rereads the files from
 * the descriptors the first kept, even when the names are gone (no open(2) then). */
static void test_keep_fds(void **state)
{
	int fds[BOOT_KEEP_FDS];
	struct boot_config cfg = { .kernel = tpath("kbz"), .initrd = tpath("kinit"),
				   .cmdline = "again", .keep_fds = fds };
	size_t len = 0;
	uint8_t *img = tbz_make(4, 0x1000, &len);
	struct tguest g;
	struct boot_entry e;
	struct err err;
	(void)state;

	for (int i = 0; i < BOOT_KEEP_FDS; i++)
		fds[i] = -1;
	tsave("kbz", img, len);
	free(img);
	tsave("kinit", "initrd-bytes", 12);
	assert_int_equal(load(&g, &cfg, &e, &err), 0);
	tguest_free(&g);
	assert_true(fds[0] >= 0 && fds[1] >= 0);
	assert_int_equal(unlink(tpath("kbz")), 0);
	assert_int_equal(unlink(tpath("kinit")), 0);
	assert_int_equal(load(&g, &cfg, &e, &err), 0);
	assert_int_equal(e.kind, BOOT_KIND_BZIMAGE);
	assert_memory_equal(g.ram + rd32(g.ram + BOOT_PARAMS_ADDR + 0x218), "initrd-bytes", 12);
	tguest_free(&g);
	/* Without kept descriptors the same second load fails: the names are gone. */
	cfg.keep_fds = NULL;
	assert_int_equal(load(&g, &cfg, &e, &err), -ENOENT);
	tguest_free(&g);
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_keep_fds),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
