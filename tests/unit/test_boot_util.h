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
 * RAM (size <= 3 GiB in these tests), as the PC layout of src/mem.h describes. */
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

#endif
