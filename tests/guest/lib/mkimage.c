/* mkimage.c - host tool of the guest build: turns a guest's 32-bit ELF into the flat binary
 * of the Multiboot a.out kludge, or into a bzImage-format file (real-mode setup sectors
 * from linux_setup.S + the flat payload; boot.rst fields setup_sects, syssize, init_size),
 * and writes the deterministic test blobs (modules, initrd) the guests verify. */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what)
{
	fprintf(stderr, "mkimage: %s\n", what);
	exit(1);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		die(path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, n + 1);
	if (!buf || fread(buf, 1, n, f) != (size_t)n)
		die(path);
	fclose(f);
	*len = n;
	return buf;
}

static void spit(const char *path, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(a, 1, alen, f) != alen || (blen && fwrite(b, 1, blen, f) != blen) ||
	    fclose(f))
		die(path);
}

/* Flatten the PT_LOAD segments: [base, base+filelen) from the file, memend = end of .bss. */
static uint8_t *flatten(const char *path, size_t *flen, uint32_t *base, uint32_t *memend,
			uint32_t *entry)
{
	size_t len;
	uint8_t *elf = slurp(path, &len), *out;
	Elf32_Ehdr *eh = (Elf32_Ehdr *)elf;
	uint32_t lo = UINT32_MAX, fhi = 0, mhi = 0;

	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS32 || eh->e_phoff + eh->e_phnum * sizeof(Elf32_Phdr) > len)
		die("not a 32-bit ELF");
	Elf32_Phdr *ph = (Elf32_Phdr *)(elf + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || !ph[i].p_memsz)
			continue;
		if (ph[i].p_paddr < lo)
			lo = ph[i].p_paddr;
		if (ph[i].p_filesz && ph[i].p_paddr + ph[i].p_filesz > fhi)
			fhi = ph[i].p_paddr + ph[i].p_filesz;
		if (ph[i].p_paddr + ph[i].p_memsz > mhi)
			mhi = ph[i].p_paddr + ph[i].p_memsz;
	}
	if (lo == UINT32_MAX || fhi <= lo)
		die("no loadable segments");
	out = calloc(1, fhi - lo);
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || !ph[i].p_filesz)
			continue;
		if (ph[i].p_offset + ph[i].p_filesz > len)
			die("truncated segment");
		memcpy(out + ph[i].p_paddr - lo, elf + ph[i].p_offset, ph[i].p_filesz);
	}
	*flen = fhi - lo;
	*base = lo;
	*memend = mhi;
	*entry = eh->e_entry;
	free(elf);
	return out;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

int main(int argc, char **argv)
{
	size_t flen, slen;
	uint32_t base, memend, entry;
	uint8_t *flat, *setup;

	if (argc == 4 && !strcmp(argv[1], "flat")) {
		flat = flatten(argv[2], &flen, &base, &memend, &entry);
		spit(argv[3], flat, flen, NULL, 0);
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "bzimage")) {
		setup = slurp(argv[2], &slen);
		if (slen < 1024 || slen % 512 || slen > 512 * 64 || memcmp(setup + 0x202, "HdrS", 4))
			die("bad setup sectors");
		flat = flatten(argv[3], &flen, &base, &memend, &entry);
		if (base != 0x100000 || entry != base)
			die("payload must start with its entry at 0x100000");
		setup[0x1F1] = slen / 512 - 1;
		put32(setup + 0x1F4, (flen + 15) / 16);
		put32(setup + 0x260, (memend - base + 4095) & ~4095u);
		spit(argv[4], setup, slen, flat, flen);
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "blob")) {
		/* Same xorshift32 stream as blob_byte() in rt.c. */
		size_t n = strtoul(argv[2], NULL, 0);
		uint32_t x = (uint32_t)strtoul(argv[3], NULL, 0) * 2654435761u + 1;
		uint8_t *b = malloc(n ? n : 1);
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			b[i] = x >> 24;
		}
		spit(argv[4], b, n, NULL, 0);
		return 0;
	}
	fprintf(stderr, "usage: mkimage flat ELF OUT | bzimage SETUP ELF OUT | blob LEN SEED OUT\n");
	return 2;
}
