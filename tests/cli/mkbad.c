/* mkbad.c - writes the kernels the CLI bad-input suite feeds to vfvm (tests/cli/run.sh):
 * a valid Multiboot and a valid bzImage to pair with bad options, and broken images. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MB_MAGIC 0x1BADB002U

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static int save(const char *dir, const char *name, const uint8_t *p, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len || fclose(f)) {
		perror(path);
		return 1;
	}
	return 0;
}

/* Multiboot a.out-kludge kernel at 1 MiB: "cli; hlt; jmp $-2". */
static size_t mb_kernel(uint8_t *img, uint32_t sum_delta)
{
	uint32_t flags = 0x10003;

	memset(img, 0, 4096);
	put32(img + 0, MB_MAGIC);
	put32(img + 4, flags);
	put32(img + 8, -(MB_MAGIC + flags) + sum_delta);
	put32(img + 12, 0x100000);		/* header_addr */
	put32(img + 16, 0x100000);		/* load_addr */
	put32(img + 20, 0);			/* load_end_addr: whole file */
	put32(img + 24, 0);			/* bss_end_addr: none */
	put32(img + 28, 0x100020);		/* entry_addr */
	memcpy(img + 32, "\xfa\xf4\xeb\xfd", 4);
	return 4096;
}

/* bzImage, protocol @version, relocatable, cmdline_size 255, init_size 1 MiB; 64 KiB of
 * protected-mode "hlt" but syssize may claim more (@syssize_extra paragraphs). */
static size_t bz_kernel(uint8_t *img, uint16_t version, uint32_t syssize_extra)
{
	size_t setup = 5 * 512, pm = 0x10000;

	memset(img, 0, setup + pm);
	img[0x1F1] = 4;
	put32(img + 0x1F4, pm / 16 + syssize_extra);
	put16(img + 0x1FE, 0xAA55);
	img[0x200] = 0xEB;
	img[0x201] = 0x6A;
	memcpy(img + 0x202, "HdrS", 4);
	put16(img + 0x206, version);
	img[0x211] = 0x01;
	put32(img + 0x214, 0x100000);
	put32(img + 0x22C, 0x7FFFFFFF);
	put32(img + 0x230, 0x200000);
	img[0x234] = 1;
	put32(img + 0x238, 255);
	put64(img + 0x258, 0x1000000);
	put32(img + 0x260, 0x100000);
	memset(img + setup, 0xF4, pm);
	return setup + pm;
}

int main(int argc, char **argv)
{
	static uint8_t img[5 * 512 + 0x10000];
	const char *txt = "this is a text file, not a kernel\n";
	const char *d = argc > 1 ? argv[1] : ".";
	int r = 0;

	r |= save(d, "multiboot.bin", img, mb_kernel(img, 0));
	r |= save(d, "badsum.bin", img, mb_kernel(img, 1));
	r |= save(d, "bzimage.bin", img, bz_kernel(img, 0x020F, 0));
	r |= save(d, "truncated.bin", img, bz_kernel(img, 0x020F, 0x1000));
	r |= save(d, "oldproto.bin", img, bz_kernel(img, 0x0204, 0));
	r |= save(d, "notkernel.txt", (const uint8_t *)txt, strlen(txt));
	return r;
}
