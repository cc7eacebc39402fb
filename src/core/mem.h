/* mem.h - the guest-physical memory map: RAM around the 32-bit PCI hole, fixed addresses of
 * the boot structures, and the e820 table. Pure data; the KVM slots are made in kvm.c. */
#ifndef VFVM_MEM_H
#define VFVM_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KiB 1024ULL
#define MiB (1024ULL * KiB)
#define GiB (1024ULL * MiB)

/*
 * Guest-physical memory map (docs/architecture.md has the picture):
 *   0          .. 0x9FC00     RAM (boot structures in the first 640 KiB, see BOOT_* below)
 *   0x9FC00    .. 0x100000    RAM, but e820-reserved (EBDA, VGA hole, BIOS area: MP table)
 *   0x100000   .. min(ram, 3 GiB)                  RAM
 *   MEM_HOLE_START (3 GiB) .. 4 GiB                the 32-bit PCI hole: no RAM
 *       MEM_PCI32_START .. MEM_PCI32_END           32-bit PCI MMIO window (an e820 gap)
 *       0xFEC00000 .. 4 GiB                        e820-reserved: I/O APIC, LAPIC, flash
 *   4 GiB .. 4 GiB + (ram - 3 GiB)                 RAM that did not fit below the hole
 *   after that, 1 GiB aligned                      64-bit PCI MMIO window
 */
#define MEM_HOLE_START		0xC0000000ULL
#define MEM_4G			0x100000000ULL
#define MEM_PCI32_START		0xC0000000ULL
#define MEM_PCI32_END		0xFEC00000ULL	/* exclusive */
#define MEM_IOAPIC_BASE		0xFEC00000ULL
#define MEM_ECAM_BASE		0xFED00000ULL	/* ECAM, bus 0 only: 1 MiB (--acpi; docs/pci.md) */
#define MEM_ECAM_SIZE		0x100000ULL
#define MEM_LAPIC_BASE		0xFEE00000ULL
#define MEM_RESERVED_HIGH	0xFEC00000ULL	/* [this, 4 GiB) is e820-reserved */
#define MEM_EBDA_START		0x9FC00ULL
#define MEM_HIGH_START		0x100000ULL	/* 1 MiB */

/* Fixed guest-physical addresses of boot structures (below the EBDA, or in the e820-reserved
 * BIOS area 0xE0000-0xFFFFF where the MP and ACPI RSDP scans look). */
#define BOOT_GDT_ADDR		0x0500ULL	/* GDT: 0x10 code, 0x18 data (Linux boot.rst) */
#define BOOT_PARAMS_ADDR	0x7000ULL	/* Linux zero page / Multiboot info, 4 KiB */
#define BOOT_STACK_TOP		0x8ff0ULL	/* initial stack for guests that want one */
#define BOOT_PT_ADDR		0x9000ULL	/* long-mode identity page tables, 0x9000-0xEFFF */
#define BOOT_CMDLINE_ADDR	0x20000ULL	/* kernel command line, up to BOOT_CMDLINE_MAX */
#define BOOT_CMDLINE_MAX	(64 * KiB)
#define BOOT_INFO_ADDR		0x30000ULL	/* Multiboot mmap, module list, strings... */
#define BOOT_INFO_END		0x90000ULL
#define BOOT_MPTABLE_ADDR	0xF0000ULL	/* MP floating pointer + config table (MPS 1.4 §4) */
#define BOOT_ACPI_ADDR		0xE0000ULL	/* --acpi: RSDP, then the tables, below the MP table */

#define MEM_MAX_REGIONS 4

struct guest_region {
	uint64_t gpa;
	uint64_t size;
	void *hva;
	int fd;			/* the memfd behind it when guest_mem.shared */
};

struct guest_mem {
	struct guest_region r[MEM_MAX_REGIONS];
	unsigned n;
	uint64_t ram_size;	/* total RAM in bytes */
	bool shared;		/* memfd-backed, MAP_SHARED: a vhost-user back end maps it too */
};

/* Host pointer to guest-physical [gpa, gpa+len), or NULL unless it lies inside one region. */
void *gpa_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len);
/* Copy in/out of guest RAM; -EFAULT unless the range is inside one region. */
int gpa_write(const struct guest_mem *m, uint64_t gpa, const void *src, uint64_t len);
int gpa_read(const struct guest_mem *m, uint64_t gpa, void *dst, uint64_t len);

/* Fill m->r[].gpa/size for @ram_size bytes (hva left NULL). -EINVAL if ram_size < 2 MiB. */
int mem_layout(struct guest_mem *m, uint64_t ram_size);
/* Lowest address of the 64-bit PCI window: above all RAM and 4 GiB, 1 GiB aligned. */
uint64_t mem_pci64_start(const struct guest_mem *m);
/* Is [gpa, gpa+len) clear of RAM, the I/O APIC/LAPIC pages and the reserved high range? */
bool mem_range_is_free(const struct guest_mem *m, uint64_t gpa, uint64_t len);

#define E820_RAM	1
#define E820_RESERVED	2
#define E820_MAX	32

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

struct e820_table {
	struct e820_entry e[E820_MAX];
	unsigned n;
};

/* The guest's e820 map for the layout in @m, sorted, non-overlapping. */
void mem_e820(const struct guest_mem *m, struct e820_table *t);

/* Parse "512M", "1G", "1048576", "64K" (binary units) into bytes; -EINVAL if malformed/zero/overflow. */
int parse_size(const char *s, uint64_t *out);

#endif
