/* test_boot_util.h - helpers for the boot loader unit tests: a malloc'd guest RAM with a
 * PC-like e820 map, and builders of synthetic bzImage / ELF / Multiboot images. */
#ifndef TEST_BOOT_UTIL_H
#define TEST_BOOT_UTIL_H

#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "boot/boot.h"

struct tguest {
	struct guest_mem mem;
	struct e820_table e820;
	uint8_t *ram;
};

/* RAM [0, size) in one host buffer; e820: 0-0x9FC00 RAM, 0x9FC00-1 MiB reserved, 1 MiB-size
 * RAM (size <= 3 GiB in these tests), as the PC layout of src/core/mem.h describes. */
static inline void tguest_init(struct tguest *g, uint64_t size)
{
	memset(g, 0, sizeof(*g));
	g->ram = calloc(1, size);
	g->mem.r[0] = (struct guest_region){ .gpa = 0, .size = size, .hva = g->ram };
	g->mem.n = 1;
	g->mem.ram_size = size;
	g->e820.e[0] = (struct e820_entry){ 0, MEM_EBDA_START, E820_RAM };
	g->e820.e[1] = (struct e820_entry){ MEM_EBDA_START, MEM_HIGH_START - MEM_EBDA_START,
					    E820_RESERVED };
	g->e820.e[2] = (struct e820_entry){ MEM_HIGH_START, size - MEM_HIGH_START, E820_RAM };
	g->e820.e[3] = (struct e820_entry){ MEM_RESERVED_HIGH, MEM_4G - MEM_RESERVED_HIGH,
					    E820_RESERVED };
	g->e820.n = 4;
}

static inline void tguest_free(struct tguest *g)
{
	free(g->ram);
	g->ram = NULL;
}

static inline uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline void wr32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void wr16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void wr64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* A boot protocol 2.15 bzImage with @sects setup sectors (0 = 4) and a protected-mode part
 * of @pm bytes filled with a counting pattern; relocatable, 2 MiB aligned, pref 16 MiB. */
static inline uint8_t *tbz_make(unsigned sects, size_t pm, size_t *len)
{
	size_t setup = ((sects ? sects : 4) + 1) * 512;
	uint8_t *img = calloc(1, setup + pm);

	img[0x1F1] = sects;
	wr32(img + 0x1F4, pm / 16);
	wr16(img + 0x1FA, 0xFFFF);
	wr16(img + 0x1FE, 0xAA55);
	img[0x200] = 0xEB;
	img[0x201] = 0x6A;		/* header ends at 0x26C, as in Linux 6.1 */
	memcpy(img + 0x202, "HdrS", 4);
	wr16(img + 0x206, 0x020F);
	img[0x211] = 0x01;		/* LOADED_HIGH */
	wr32(img + 0x214, 0x100000);
	wr32(img + 0x22C, 0x7FFFFFFF);	/* initrd_addr_max */
	wr32(img + 0x230, 0x200000);	/* kernel_alignment */
	img[0x234] = 1;			/* relocatable_kernel */
	img[0x235] = 21;
	wr32(img + 0x238, 2047);	/* cmdline_size */
	wr64(img + 0x258, 0x1000000);	/* pref_address */
	wr32(img + 0x260, 0x800000);	/* init_size */
	wr32(img + 0x268, 0x12345678);	/* kernel_info_offset: copied through */
	for (size_t i = 0; i < pm; i++)
		img[setup + i] = (uint8_t)(i * 7 + 3);
	*len = setup + pm;
	return img;
}

struct tseg {
	uint64_t vaddr, paddr, filesz, memsz;
};

/* An ELF executable (@is64: ELF64, else ELF32) with @n PT_LOAD segments; segment i's file
 * bytes are (j * 13 + i) and start at file offset 0x1000 + 0x10000 * i (filesz <= 64 KiB). */
static inline uint8_t *telf_make(int is64, unsigned machine, const struct tseg *seg,
				 unsigned n, uint64_t entry, size_t *len)
{
	size_t sz = 0x1000;
	uint8_t *img;

	for (unsigned i = 0; i < n; i++)
		if ((0x1000 + 0x10000 * i) + seg[i].filesz > sz)
			sz = (0x1000 + 0x10000 * i) + seg[i].filesz;
	img = calloc(1, sz);
	memcpy(img, ELFMAG, SELFMAG);
	img[EI_CLASS] = is64 ? ELFCLASS64 : ELFCLASS32;
	img[EI_DATA] = ELFDATA2LSB;
	img[EI_VERSION] = EV_CURRENT;
	if (is64) {
		Elf64_Ehdr eh = { .e_type = ET_EXEC, .e_machine = machine, .e_version = 1,
				  .e_entry = entry, .e_phoff = sizeof(Elf64_Ehdr),
				  .e_ehsize = sizeof(Elf64_Ehdr),
				  .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = n };

		memcpy(eh.e_ident, img, EI_NIDENT);
		memcpy(img, &eh, sizeof(eh));
	} else {
		Elf32_Ehdr eh = { .e_type = ET_EXEC, .e_machine = machine, .e_version = 1,
				  .e_entry = entry, .e_phoff = sizeof(Elf32_Ehdr),
				  .e_ehsize = sizeof(Elf32_Ehdr),
				  .e_phentsize = sizeof(Elf32_Phdr), .e_phnum = n };

		memcpy(eh.e_ident, img, EI_NIDENT);
		memcpy(img, &eh, sizeof(eh));
	}
	for (unsigned i = 0; i < n; i++) {
		uint64_t off = (0x1000 + 0x10000 * i);

		if (is64) {
			Elf64_Phdr ph = { PT_LOAD, PF_R | PF_X, off, seg[i].vaddr, seg[i].paddr,
					  seg[i].filesz, seg[i].memsz, 0x1000 };

			memcpy(img + sizeof(Elf64_Ehdr) + i * sizeof(ph), &ph, sizeof(ph));
		} else {
			Elf32_Phdr ph = { PT_LOAD, off, seg[i].vaddr, seg[i].paddr, seg[i].filesz,
					  seg[i].memsz, PF_R | PF_X, 0x1000 };

			memcpy(img + sizeof(Elf32_Ehdr) + i * sizeof(ph), &ph, sizeof(ph));
		}
		for (uint64_t j = 0; j < seg[i].filesz; j++)
			img[off + j] = (uint8_t)(j * 13 + i);
	}
	*len = sz;
	return img;
}

static inline int tseg_ok(const uint8_t *ram, const struct tseg *s, unsigned i)
{
	for (uint64_t j = 0; j < s->memsz; j++)
		if (ram[s->paddr + j] != (j < s->filesz ? (uint8_t)(j * 13 + i) : 0))
			return 0;
	return 1;
}

#endif
