/* boot.h - direct kernel boot without firmware: detect the image type from its contents and
 * load a Linux bzImage, a Linux vmlinux ELF, or a Multiboot v1 kernel into guest RAM. */
#ifndef VFVM_BOOT_H
#define VFVM_BOOT_H

#include <stddef.h>
#include <stdint.h>
#include "core/err.h"
#include "core/mem.h"

struct boot_module {
	const char *path;
	const char *args;	/* NULL: none; Multiboot passes "path args" as the module string */
};

struct boot_config {
	const char *kernel;
	const char *initrd;		/* Linux only; NULL for none */
	const char *cmdline;		/* NULL: empty */
	const struct boot_module *modules;	/* Multiboot only */
	unsigned nmodules;
	/* NULL: every boot_load() opens the files by name. Else BOOT_KEEP_FDS descriptors
	 * (kernel, initrd, modules 0..15; -1 before the first load) that boot_load() opens once
	 * and keeps, so a --reboot rereads them without open(2); the caller closes them. */
	int *keep_fds;
};

#define BOOT_KEEP_FDS (2 + 16)

enum boot_kind { BOOT_KIND_UNKNOWN, BOOT_KIND_BZIMAGE, BOOT_KIND_VMLINUX, BOOT_KIND_MULTIBOOT };

enum boot_mode {
	BOOT_MODE_PM32,		/* flat 32-bit protected mode, paging off */
	BOOT_MODE_LM64,		/* 64-bit long mode, identity-mapped low 4 GiB */
};

/* The BSP's state at the kernel's entry point. The GDT (and page tables for LM64) are
 * already in guest memory; the vCPU code loads the matching hidden segment state. */
struct boot_entry {
	enum boot_kind kind;
	enum boot_mode mode;
	uint64_t rip;
	uint64_t rsp;
	uint64_t rax, rbx, rsi;	/* Multiboot: EAX magic, EBX info; Linux: ESI/RSI boot_params */
	uint64_t gdt_base;
	uint16_t gdt_limit;
	uint16_t cs, ds;	/* selectors: 0x10 and 0x18 */
	uint64_t cr3;		/* LM64 only */
};

/* Linux entries: boot_params.acpi_rsdp_addr = @rsdp (zero-page.rst, 0x070), so the kernel
 * needs no scan. Other kinds have no such field: nothing is written. */
int boot_set_acpi_rsdp(const struct guest_mem *mem, const struct boot_entry *e, uint64_t rsdp);

/* Guess from the first bytes of a file (needs at least 8 KiB or the whole file). */
enum boot_kind boot_detect(const uint8_t *img, size_t len);

/*
 * Load cfg->kernel (and initrd, command line, modules) into @mem, build the boot protocol's
 * structures (boot_params with @e820 / Multiboot info), and describe the entry state.
 * Bad input (unreadable file, not a kernel, truncated, too old, does not fit...) returns a
 * negative errno with an err_input() message; nothing is left half-done that matters since
 * the caller exits.
 */
int boot_load(const struct guest_mem *mem, const struct e820_table *e820,
	      const struct boot_config *cfg, struct boot_entry *out, struct err *err);

/* Per-format loaders, on an image already in memory (unit-testable without files). */
int boot_bzimage(const struct guest_mem *mem, const struct e820_table *e820,
		 const uint8_t *img, size_t len, const uint8_t *initrd, size_t initrd_len,
		 const char *cmdline, struct boot_entry *out, struct err *err);
int boot_vmlinux(const struct guest_mem *mem, const struct e820_table *e820,
		 const uint8_t *img, size_t len, const uint8_t *initrd, size_t initrd_len,
		 const char *cmdline, struct boot_entry *out, struct err *err);

struct boot_blob {
	const uint8_t *data;
	size_t len;
	const char *string;	/* Multiboot module string */
};

int boot_multiboot(const struct guest_mem *mem, const struct e820_table *e820,
		   const uint8_t *img, size_t len, const struct boot_blob *mods, unsigned nmods,
		   const char *cmdline, struct boot_entry *out, struct err *err);

#endif
