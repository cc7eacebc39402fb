/* vml64check.h - the checks of the 64-bit boot protocol guests (vmlinux64*.c): CPU state at
 * the entry (Documentation/arch/x86/boot.rst "64-bit BOOT PROTOCOL"), the identity page
 * tables (SDM vol. 3A §4.5, 4-level paging), and the zero page vfvm builds from scratch. */
#ifndef GUEST_VML64CHECK_H
#define GUEST_VML64CHECK_H

#include "bootcheck.h"
#include "rt64.h"

extern char __image_start[], __bss_start[], _end[], _start[];

#define GIB		0x40000000ull
#define PTE_P		0x1ull
#define PTE_RW		0x2ull
#define PTE_PS		0x80ull
#define PTE_ADDR	0x000FFFFFFFFFF000ull

#define BP8(o)  (*(const volatile uint8_t *)(bp + (o)))
#define BP16(o) (*(const volatile uint16_t *)(bp + (o)))
#define BP32(o) (*(const volatile uint32_t *)(bp + (o)))

/*
 * Walk the 4-level tables at @cr3 for @va (SDM vol. 3A §4.5: PML4E, PDPTE with PS = 1 GiB
 * page, PDE with PS = 2 MiB page, PTE). Returns true and the physical address if present
 * (and writable at every level when @need_rw); the tables are read through the identity
 * map, which the walk itself checks as it goes for the addresses it is asked about.
 */
static inline bool pt_translate(uint64_t cr3, uint64_t va, bool need_rw, uint64_t *pa)
{
	uint64_t t = cr3 & PTE_ADDR;

	for (int shift = 39; shift >= 12; shift -= 9) {
		uint64_t e = ((const volatile uint64_t *)t)[(va >> shift) & 511];

		if (!(e & PTE_P) || (need_rw && !(e & PTE_RW)))
			return false;
		if (shift == 12 || ((shift == 30 || shift == 21) && (e & PTE_PS))) {
			uint64_t mask = (1ull << shift) - 1;

			*pa = (e & PTE_ADDR & ~mask) | (va & mask);
			return true;
		}
		t = e & PTE_ADDR;
	}
	return false;
}

static inline bool pt_identity(uint64_t cr3, uint64_t va)
{
	uint64_t pa;

	return pt_translate(cr3, va, true, &pa) && pa == va;
}

/* boot.rst: "CS must be __BOOT_CS and DS, ES, SS must be __BOOT_DS" (0x10, 0x18), 64-bit code
 * (L = 1, D = 0, SDM vol. 3A §3.4.5), paging and long mode on, interrupts disabled. */
static inline void vml64_check_cpu(void)
{
	const struct entry64_state *s = &entry64_state;
	struct desc_ptr64 gdt;
	uint64_t cs_desc, ds_desc, efer = rdmsr(MSR_EFER), cr0 = read_cr0(), cr4 = read_cr4();

	printf("  entry: cs 0x%x ds 0x%x es 0x%x ss 0x%x fs 0x%x gs 0x%x rflags 0x%x rsp 0x%x_%08x\n",
	       s->cs, s->ds, s->es, s->ss, s->fs, s->gs, LO32(s->rflags), HI32(s->rsp),
	       LO32(s->rsp));
	printf("  cr0 0x%x cr3 0x%x_%08x cr4 0x%x efer 0x%x\n", LO32(cr0), HI32(read_cr3()),
	       LO32(read_cr3()), LO32(cr4), LO32(efer));
	check_eq("cpu.cs", s->cs, 0x10);
	check("cpu.data_segs", s->ds == 0x18 && s->es == 0x18 && s->ss == 0x18,
	      "ds 0x%x es 0x%x ss 0x%x, want 0x18", s->ds, s->es, s->ss);
	sgdt64(&gdt);
	if (!check("cpu.gdt", gdt.limit >= 0x1F, "GDT limit 0x%x does not reach 0x18", gdt.limit))
		return;
	cs_desc = ((const uint64_t *)gdt.base)[s->cs >> 3];
	ds_desc = ((const uint64_t *)gdt.base)[s->ds >> 3];
	/* Code descriptor: P (47), S (44), type code (43), L (53) set, D (54) clear, DPL 0. */
	check("cpu.cs_long", (cs_desc & (1ull << 47 | 1ull << 44 | 1ull << 43 | 1ull << 53 |
					 1ull << 54 | 3ull << 45)) ==
			     (1ull << 47 | 1ull << 44 | 1ull << 43 | 1ull << 53),
	      "CS descriptor 0x%x_%08x is not a present DPL0 64-bit code segment",
	      HI32(cs_desc), LO32(cs_desc));
	/* boot.rst: "both descriptors must be 4G flat segment; __BOOT_CS must have execute/read
	 * permission": readable (41), limit 0xFFFFF with G (55), base 0. */
	check("cpu.cs_flat_readable", (cs_desc & (1ull << 41)) &&
				      (cs_desc & 0x000F00000000FFFFull) == 0x000F00000000FFFFull &&
				      (cs_desc & (1ull << 55)) && !(cs_desc & 0xFF0000FFFFFF0000ull),
	      "CS descriptor 0x%x_%08x is not flat readable code", HI32(cs_desc), LO32(cs_desc));
	/* Data descriptor: P, S, data (43 clear), writable (41); flat 4 GiB (boot.rst). */
	check("cpu.ds_flat", (ds_desc & (1ull << 47 | 1ull << 44 | 1ull << 43 | 1ull << 41)) ==
			     (1ull << 47 | 1ull << 44 | 1ull << 41) &&
			     (ds_desc & 0x000F00000000FFFFull) == 0x000F00000000FFFFull &&
			     (ds_desc & (1ull << 55)) && !(ds_desc & 0xFF0000FFFFFF0000ull),
	      "DS descriptor 0x%x_%08x is not flat writable data", HI32(ds_desc), LO32(ds_desc));
	check("cpu.cr0", (cr0 & (CR0_PE | CR0_PG)) == (CR0_PE | CR0_PG), "cr0 0x%x", LO32(cr0));
	check("cpu.cr4_pae", cr4 & CR4_PAE, "cr4 0x%x", LO32(cr4));
	check("cpu.efer", (efer & (EFER_LME | EFER_LMA)) == (EFER_LME | EFER_LMA), "efer 0x%x",
	      LO32(efer));
	check("cpu.interrupts_off", !(s->rflags & 0x200), "rflags 0x%x has IF", LO32(s->rflags));
}

/* boot.rst: "the range with setup_header.init_size from start address of loaded kernel and
 * zero page and command line buffer get ident mapping"; vfvm documents 0-4 GiB (boot.md). */
static inline void vml64_check_paging(uint64_t bp)
{
	uint64_t cr3 = read_cr3(), rsp;
	const char *cl = (const char *)(uint64_t)BP32(0x228);
	uint64_t bad = ~0ull;

	__asm__ volatile("mov %%rsp, %0" : "=r"(rsp));
	check("pt.kernel", pt_identity(cr3, (uint64_t)_start) &&
			   pt_identity(cr3, (uint64_t)_end - 1) && pt_identity(cr3, rsp),
	      "kernel image or stack not identity-mapped writable");
	check("pt.zero_page", pt_identity(cr3, bp) && pt_identity(cr3, bp + 4095),
	      "boot_params 0x%x not identity-mapped", LO32(bp));
	check("pt.cmdline", pt_identity(cr3, (uint64_t)cl) &&
			    pt_identity(cr3, (uint64_t)cl + strlen(cl)),
	      "command line at 0x%x not identity-mapped", LO32((uint64_t)cl));
	check("pt.tables", pt_identity(cr3, cr3 & PTE_ADDR), "CR3 0x%x not identity-mapped",
	      LO32(cr3));
	/* Every 2 MiB of the first 4 GiB, and its last byte (a walk per 2 MiB: a 4 KiB
	 * mapping with holes inside a 2 MiB range would go unseen, but vfvm maps 2 MiB pages). */
	for (uint64_t a = 0; a < 4 * GIB && bad == ~0ull; a += 0x200000)
		if (!pt_identity(cr3, a))
			bad = a;
	if (bad == ~0ull && !pt_identity(cr3, 4 * GIB - 1))
		bad = 4 * GIB - 1;
	check("pt.identity_4g", bad == ~0ull, "0x%x_%08x is not identity-mapped", HI32(bad),
	      LO32(bad));
}

/* The loader zeroes p_memsz beyond p_filesz (ELF gABI, PT_LOAD); @probe is in .bss and never
 * written by the guest. */
static inline void vml64_check_bss(const volatile uint64_t *probe, unsigned n)
{
	unsigned i = 0;

	while (i < n && !probe[i])
		i++;
	check("elf.bss_zero", i == n, "word %u of .bss is 0x%x", i, LO32(probe[i]));
	check("elf.loaded_at_paddr", (uint64_t)_start == 0x1000000 && *(const uint8_t *)_start == 0x48,
	      "_start 0x%x byte 0x%x", LO32((uint64_t)_start), *(const uint8_t *)_start);
}

static inline void vml64_check_header(uint64_t bp, const char *want_cmdline)
{
	const char *cl = boot_cmdline();

	printf("  boot_params at 0x%x_%08x, version 0x%x, type_of_loader 0x%x, loadflags 0x%x\n",
	       HI32(bp), LO32(bp), BP16(0x206), BP8(0x210), BP8(0x211));
	check("zp.rsi_page", !(bp & 0xFFF) && bp < 0xA0000 && bp >= 0x1000,
	      "boot_params at 0x%x_%08x, want a page in low memory", HI32(bp), LO32(bp));
	check("zp.magic", BP32(0x202) == 0x53726448 && BP16(0x1FE) == 0xAA55,
	      "HdrS 0x%x boot_flag 0x%x", BP32(0x202), BP16(0x1FE));
	/* cmdline_size exists from 2.06; 64-bit entry from 2.12 (xloadflags). */
	check("zp.version", BP16(0x206) >= 0x020C, "version 0x%x < 2.12", BP16(0x206));
	check_eq("zp.type_of_loader", BP8(0x210), 0xFF);
	check("zp.loaded_high", BP8(0x211) & 0x01, "loadflags 0x%x", BP8(0x211));
	check("zp.heap", !(BP8(0x211) & 0x80) || BP16(0x224), "CAN_USE_HEAP but heap_end_ptr 0");
	check_eq("zp.sentinel", BP8(0x1EF), 0);
	check_eq("zp.ext_cmd_line_ptr", BP32(0x0C8), 0);
	printf("  cmd_line_ptr 0x%x \"%s\"\n", BP32(0x228), cl);
	check("zp.cmdline", !strcmp(cl, want_cmdline), "got \"%s\", want \"%s\"", cl, want_cmdline);
	check("zp.cmdline_size", BP32(0x238) >= strlen(want_cmdline), "cmdline_size %u < %u",
	      BP32(0x238), (uint32_t)strlen(want_cmdline));
	check("zp.cmdline_placement", BP32(0x228) >= 0x1000 && BP32(0x228) + strlen(cl) < 0xA0000,
	      "cmd_line_ptr 0x%x not in low memory", BP32(0x228));
}

/* e820 at 0x2D0, count at 0x1E8 (boot.rst zero page); exactly vfvm's layout (src/core/mem.h). */
static inline void vml64_check_e820(uint64_t bp, uint32_t mem_mib, struct memmap *m)
{
	const uint8_t *t = (const uint8_t *)(bp + 0x2D0);
	uint64_t ram = (uint64_t)mem_mib << 20;

	m->n = BP8(0x1E8);
	if (!check("e820.count", m->n >= 2 && m->n <= 128, "e820_entries = %u", m->n))
		return;
	if (m->n > MAP_MAX)
		m->n = MAP_MAX;
	for (unsigned i = 0; i < m->n; i++) {
		memcpy(&m->e[i].addr, t + 20 * i, 8);
		memcpy(&m->e[i].len, t + 20 * i + 8, 8);
		memcpy(&m->e[i].type, t + 20 * i + 16, 4);
	}
	memmap_print(m);
	memmap_check_sane("e820.sane", m);
	check("e820.image_ram", memmap_is_ram(m, (uint64_t)__image_start,
					      (uint64_t)_end - (uint64_t)__image_start),
	      "the kernel image is not in RAM");
	if (ram > 3 * GIB)
		check("e820.above_4g", memmap_is_ram(m, 4 * GIB, ram - 3 * GIB),
		      "the %u MiB above 3 GiB are not RAM at 4 GiB",
		      (uint32_t)((ram - 3 * GIB) >> 20));
	memmap_check_vfvm("e820.vfvm_layout", m, mem_mib);
}

/* ramdisk_image/size at 0x218/0x21C, ext_* at 0x0C0/0x0C4, initrd_addr_max at 0x22C. */
static inline void vml64_check_initrd(uint64_t bp, const struct memmap *m, uint32_t mem_mib,
				      uint32_t want_len, uint32_t seed)
{
	uint64_t ram = (uint64_t)mem_mib << 20;
	uint64_t img = BP32(0x218) | (uint64_t)BP32(0x0C0) << 32;
	uint64_t size = BP32(0x21C) | (uint64_t)BP32(0x0C4) << 32;
	uint64_t max = BP32(0x22C), top = ram < 3 * GIB ? ram - 1 : 3 * GIB - 1;
	int32_t bad;

	printf("  initrd 0x%x_%08x size %u (initrd_addr_max 0x%x)\n", HI32(img), LO32(img),
	       LO32(size), LO32(max));
	if (!check("initrd.size", size == want_len, "ramdisk_size %u, want %u", LO32(size),
		   want_len))
		return;
	check("initrd.aligned", img && !(img & 0xFFF), "ramdisk_image 0x%x", LO32(img));
	check("initrd.above_kernel", img >= (uint64_t)_end, "ramdisk_image 0x%x below _end 0x%x",
	      LO32(img), LO32((uint64_t)_end));
	check("initrd.below_max", max && img + size - 1 <= max,
	      "initrd ends at 0x%x > initrd_addr_max 0x%x", LO32(img + size - 1), LO32(max));
	check("initrd.in_ram", memmap_is_ram(m, img, size), "initrd 0x%x+0x%x is not RAM",
	      LO32(img), LO32(size));
	/* boot.rst: "as high in memory as possible"; within 1 MiB of the highest place. */
	if (top > max)
		top = max;
	check("initrd.high", img + size > top + 1 - 0x100000,
	      "initrd ends at 0x%x, more than 1 MiB below 0x%x", LO32(img + size - 1), LO32(top));
	check("initrd.mapped", pt_identity(read_cr3(), img) &&
			       pt_identity(read_cr3(), img + size - 1),
	      "initrd not identity-mapped");
	bad = blob_verify((const uint8_t *)img, LO32(size), seed);
	check("initrd.bytes", bad < 0, "byte %d differs from the blob", bad);
}

/* boot.rst ramdisk_image/ramdisk_size: "set to zero if there is no initrd". */
static inline void vml64_check_no_initrd(uint64_t bp)
{
	check("initrd.none", !BP32(0x218) && !BP32(0x21C) && !BP32(0x0C0) && !BP32(0x0C4),
	      "ramdisk_image 0x%x size 0x%x ext 0x%x/0x%x without --initrd", BP32(0x218),
	      BP32(0x21C), BP32(0x0C0), BP32(0x0C4));
}

#endif
