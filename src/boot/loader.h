/* loader.h - helpers shared by the boot loaders in src/boot/ (private to that directory):
 * little-endian field access, e820 queries, the boot GDT and identity page tables. */
#ifndef VFVM_BOOT_LOADER_H
#define VFVM_BOOT_LOADER_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "boot.h"

static inline uint16_t ld16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t ld32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t ld64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline void st16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void st32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void st64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

#define BOOT_PAGE 4096ULL

static inline uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }
static inline uint64_t align_down(uint64_t v, uint64_t a) { return v & ~(a - 1); }

/* Is [addr, addr+len) inside one e820 RAM entry and backed by guest memory? */
bool boot_range_is_ram(const struct guest_mem *mem, const struct e820_table *e820,
		       uint64_t addr, uint64_t len);
/* End of the e820 RAM entry that contains 1 MiB (the top of "low" RAM below the PCI hole). */
uint64_t boot_lowram_top(const struct e820_table *e820);
/* Size of the e820 RAM entry that starts at 0 (conventional memory). */
uint64_t boot_conv_mem(const struct e820_table *e820);

/* Write the GDT (0x10 code, 0x18 data; 64-bit code for LM64) and, for LM64, the identity
 * page tables; fill the mode-independent parts of @out. */
int boot_setup_cpu(const struct guest_mem *mem, enum boot_mode mode, struct boot_entry *out);

/* Copy @cmdline (NULL = "") to BOOT_CMDLINE_ADDR with its NUL; @max is the longest length
 * the kernel accepts (bytes, without NUL). */
int boot_put_cmdline(const struct guest_mem *mem, const char *cmdline, uint64_t max,
		     struct err *err);

/* Place @len bytes as high as possible in [lo, hi), page aligned; 0 if it does not fit. */
uint64_t boot_place_high(uint64_t lo, uint64_t hi, uint64_t len);

/* Is the ELF program header table inside the file, non-empty, of entries @want bytes? */
int boot_elf_phdrs(size_t len, uint64_t phoff, unsigned phnum, unsigned phentsize,
		   size_t want, struct err *err);

/* Offset of the Multiboot v1 magic (4-byte aligned, first 8192 bytes), or -1. */
long boot_mb_find(const uint8_t *img, size_t len);

/* Linux zero page (boot_params) offsets, Documentation/arch/x86/zero-page.rst. */
#define BP_ACPI_RSDP_ADDR	0x070
#define BP_EXT_RAMDISK_IMAGE	0x0C0
#define BP_EXT_RAMDISK_SIZE	0x0C4
#define BP_EXT_CMD_LINE_PTR	0x0C8
#define BP_E820_ENTRIES		0x1E8
#define BP_SENTINEL		0x1EF
#define BP_HDR			0x1F1	/* the setup header starts here */
#define BP_E820_TABLE		0x2D0
#define BP_E820_MAX		128
#define BP_SIZE			4096

/* Setup header fields (offsets in the file and in boot_params), boot.rst "THE REAL-MODE
 * KERNEL HEADER". */
#define HDR_SETUP_SECTS		0x1F1
#define HDR_SYSSIZE		0x1F4
#define HDR_VID_MODE		0x1FA
#define HDR_BOOT_FLAG		0x1FE
#define HDR_JUMP		0x200
#define HDR_MAGIC		0x202
#define HDR_VERSION		0x206
#define HDR_TYPE_OF_LOADER	0x210
#define HDR_LOADFLAGS		0x211
#define HDR_CODE32_START	0x214
#define HDR_RAMDISK_IMAGE	0x218
#define HDR_RAMDISK_SIZE	0x21C
#define HDR_HEAP_END_PTR	0x224
#define HDR_CMD_LINE_PTR	0x228
#define HDR_INITRD_ADDR_MAX	0x22C
#define HDR_KERNEL_ALIGNMENT	0x230
#define HDR_RELOCATABLE		0x234
#define HDR_MIN_ALIGNMENT	0x235
#define HDR_XLOADFLAGS		0x236
#define HDR_CMDLINE_SIZE	0x238
#define HDR_PAYLOAD_OFFSET	0x248
#define HDR_PAYLOAD_LENGTH	0x24C
#define HDR_PREF_ADDRESS	0x258
#define HDR_INIT_SIZE		0x260

#define LOADFLAG_LOADED_HIGH	0x01
#define LOADFLAG_CAN_USE_HEAP	0x80
#define HDR_MAGIC_VALUE		0x53726448	/* "HdrS" */

/* Write the e820 table into a zero page. */
void boot_params_e820(uint8_t *bp, const struct e820_table *e820);
/* Place the initrd for a Linux kernel whose image ends at @kernel_end (nothing of it below),
 * below min(@addr_max + 1, top of low RAM); fills ramdisk fields of @bp. */
int boot_linux_initrd(const struct guest_mem *mem, const struct e820_table *e820, uint8_t *bp,
		      const uint8_t *initrd, size_t len, uint64_t kernel_end, uint64_t addr_max,
		      struct err *err);

#endif
