/* multiboot.c - Multiboot v1 kernels (Multiboot Specification 0.6.96 §3): header search,
 * a.out kludge or ELF loading, modules, and the Multiboot information structure. */
#include <elf.h>
#include <errno.h>
#include "loader.h"

#define MB_MAGIC		0x1BADB002U
#define MB_BOOT_MAGIC		0x2BADB002U	/* EAX at entry, §3.2 */
#define MB_SEARCH		8192		/* §3.1.1: header within the first 8192 bytes */
#define MB_FLAG_PAGE_ALIGN	(1U << 0)
#define MB_FLAG_MEMINFO		(1U << 1)
#define MB_FLAG_VIDEO		(1U << 2)
#define MB_FLAG_AOUT		(1U << 16)
#define MB_SUPPORTED_REQUIRED	(MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMINFO)

/* Multiboot information structure (§3.3) flags and offsets. */
#define MBI_MEM			(1U << 0)
#define MBI_CMDLINE		(1U << 2)
#define MBI_MODS		(1U << 3)
#define MBI_MMAP		(1U << 6)
#define MBI_LOADER_NAME		(1U << 9)
#define MBI_FLAGS		0
#define MBI_MEM_LOWER		4
#define MBI_MEM_UPPER		8
#define MBI_CMDLINE_PTR		16
#define MBI_MODS_COUNT		20
#define MBI_MODS_ADDR		24
#define MBI_MMAP_LENGTH		44
#define MBI_MMAP_ADDR		48
#define MBI_LOADER_NAME_PTR	64
#define MBI_SIZE		116	/* up to and including the framebuffer fields */

long boot_mb_find(const uint8_t *img, size_t len)
{
	size_t lim = len < MB_SEARCH ? len : MB_SEARCH;

	for (size_t off = 0; off + 12 <= lim; off += 4)
		if (ld32(img + off) == MB_MAGIC)
			return (long)off;
	return -1;
}

/* Where the kernel went: [start, end) covers every loaded byte including bss. */
struct mb_kernel {
	uint64_t start, end, entry;
};

/* A kernel range must be guest RAM and stay clear of vfvm's own boot structures. */
static int mb_put(const struct guest_mem *mem, const struct e820_table *e820, uint64_t addr,
		  const uint8_t *src, uint64_t filesz, uint64_t memsz, struct mb_kernel *k,
		  struct err *err)
{
	uint8_t *dst;

	if (!memsz)
		return 0;
	if (addr < BOOT_INFO_END || addr + memsz > MEM_4G ||
	    !boot_range_is_ram(mem, e820, addr, memsz))
		return err_input(err, ENOMEM,
				 "Multiboot kernel range [0x%llx, 0x%llx) does not fit in guest RAM "
				 "(above 0x%llx); use a larger --memory",
				 (unsigned long long)addr, (unsigned long long)(addr + memsz),
				 (unsigned long long)BOOT_INFO_END);
	dst = gpa_ptr(mem, addr, memsz);
	memcpy(dst, src, filesz);
	memset(dst + filesz, 0, memsz - filesz);
	if (!k->end || addr < k->start)
		k->start = addr;
	if (addr + memsz > k->end)
		k->end = addr + memsz;
	return 0;
}

/* §3.1.3 address fields (flag bit 16): the file from offset hdr - (header_addr - load_addr)
 * is loaded at load_addr, up to load_end_addr (0: end of file), bss zeroed to bss_end_addr. */
static int mb_load_aout(const struct guest_mem *mem, const struct e820_table *e820,
			const uint8_t *img, size_t len, size_t hdr, struct mb_kernel *k,
			struct err *err)
{
	uint32_t header_addr, load_addr, load_end, bss_end;
	uint64_t off, size, memsz;

	if (hdr + 32 > len)
		return err_input(err, ENOEXEC, "Multiboot header is truncated (address fields)");
	header_addr = ld32(img + hdr + 12);
	load_addr = ld32(img + hdr + 16);
	load_end = ld32(img + hdr + 20);
	bss_end = ld32(img + hdr + 24);
	k->entry = ld32(img + hdr + 28);
	if (load_addr > header_addr || header_addr - load_addr > hdr)
		return err_input(err, ENOEXEC, "Multiboot header_addr 0x%x and load_addr 0x%x "
				 "are inconsistent with the header's file offset 0x%zx",
				 header_addr, load_addr, hdr);
	off = hdr - (header_addr - load_addr);
	size = load_end ? (uint64_t)load_end - load_addr : len - off;
	if (load_end && load_end < load_addr)
		return err_input(err, ENOEXEC, "Multiboot load_end_addr 0x%x is below load_addr 0x%x",
				 load_end, load_addr);
	if (size > len - off)
		return err_input(err, ENOEXEC, "Multiboot kernel is truncated: load_end_addr wants "
				 "%llu bytes from file offset 0x%llx, the file has %zu",
				 (unsigned long long)size, (unsigned long long)off, len);
	memsz = size;
	if (bss_end) {
		if (bss_end < load_addr + size)
			return err_input(err, ENOEXEC, "Multiboot bss_end_addr 0x%x is below the "
					 "loaded image's end 0x%llx", bss_end,
					 (unsigned long long)(load_addr + size));
		memsz = (uint64_t)bss_end - load_addr;
	}
	return mb_put(mem, e820, load_addr, img + off, size, memsz, k, err);
}

/* One program header, whatever the ELF class. */
struct mb_phdr {
	uint32_t type;
	uint64_t offset, vaddr, paddr, filesz, memsz;
};

static void mb_phdr(const uint8_t *img, bool is64, uint64_t at, struct mb_phdr *p)
{
	if (is64) {
		Elf64_Phdr ph;

		memcpy(&ph, img + at, sizeof(ph));
		*p = (struct mb_phdr){ ph.p_type, ph.p_offset, ph.p_vaddr, ph.p_paddr,
				       ph.p_filesz, ph.p_memsz };
	} else {
		Elf32_Phdr ph;

		memcpy(&ph, img + at, sizeof(ph));
		*p = (struct mb_phdr){ ph.p_type, ph.p_offset, ph.p_vaddr, ph.p_paddr,
				       ph.p_filesz, ph.p_memsz };
	}
}

/*
 * ELF kernels: PT_LOAD segments at p_paddr. ELF32 i386 is what the spec means; ELF64 x86-64
 * with every segment and the entry below 4 GiB is accepted as GRUB 2 does. As in GRUB 2, an
 * e_entry inside a segment's virtual range is translated to its physical address.
 */
static int mb_load_elf(const struct guest_mem *mem, const struct e820_table *e820,
		       const uint8_t *img, size_t len, struct mb_kernel *k, struct err *err)
{
	bool is64 = len > EI_CLASS && img[EI_CLASS] == ELFCLASS64;
	uint64_t phoff, entry;
	unsigned phnum, phentsize, machine, type, found = 0;
	int r;

	if (len < sizeof(Elf64_Ehdr) || memcmp(img, ELFMAG, SELFMAG))
		return err_input(err, ENOEXEC, "Multiboot kernel is not ELF and its header has no "
				 "address fields (flag bit 16)");
	if (is64) {
		Elf64_Ehdr eh;

		memcpy(&eh, img, sizeof(eh));
		phoff = eh.e_phoff, phnum = eh.e_phnum, phentsize = eh.e_phentsize;
		machine = eh.e_machine, type = eh.e_type, entry = eh.e_entry;
	} else {
		Elf32_Ehdr eh;

		memcpy(&eh, img, sizeof(eh));
		phoff = eh.e_phoff, phnum = eh.e_phnum, phentsize = eh.e_phentsize;
		machine = eh.e_machine, type = eh.e_type, entry = eh.e_entry;
	}
	if (img[EI_DATA] != ELFDATA2LSB || (img[EI_CLASS] != ELFCLASS32 && !is64) ||
	    machine != (is64 ? EM_X86_64 : EM_386) || type != ET_EXEC)
		return err_input(err, ENOEXEC, "Multiboot ELF kernel is not an i386 (or x86-64) "
				 "executable (class %u, machine %u, type %u)",
				 img[EI_CLASS], machine, type);
	r = boot_elf_phdrs(len, phoff, phnum, phentsize,
			   is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr), err);
	if (r)
		return r;
	k->entry = entry;
	for (unsigned i = 0; i < phnum; i++) {
		struct mb_phdr ph;

		mb_phdr(img, is64, phoff + (uint64_t)i * phentsize, &ph);
		if (ph.type != PT_LOAD || !ph.memsz)
			continue;
		if (ph.filesz > ph.memsz || ph.offset > len || ph.filesz > len - ph.offset)
			return err_input(err, ENOEXEC, "ELF segment %u lies outside the file", i);
		r = mb_put(mem, e820, ph.paddr, img + ph.offset, ph.filesz, ph.memsz, k, err);
		if (r)
			return r;
		if (!found && entry >= ph.vaddr && entry - ph.vaddr < ph.memsz) {
			k->entry = entry - ph.vaddr + ph.paddr;
			found = 1;
		}
	}
	if (!k->end)
		return err_input(err, ENOEXEC, "Multiboot ELF kernel has no loadable segment");
	return 0;
}

/* Header checks (§3.1.2): checksum, and required feature bits 0-15 we can honour. */
static int mb_check(const uint8_t *img, size_t len, long *hdr, uint32_t *flags,
		    struct err *err)
{
	uint32_t sum;

	*hdr = boot_mb_find(img, len);
	if (*hdr < 0)
		return err_input(err, ENOEXEC, "no Multiboot header in the first 8192 bytes");
	*flags = ld32(img + *hdr + 4);
	sum = MB_MAGIC + *flags + ld32(img + *hdr + 8);
	if (sum)
		return err_input(err, ENOEXEC, "bad Multiboot header checksum 0x%08x: magic + "
				 "flags + checksum is 0x%08x, must be 0",
				 ld32(img + *hdr + 8), sum);
	if (*flags & MB_FLAG_VIDEO)
		return err_input(err, ENOTSUP, "Multiboot kernel requires video mode information "
				 "(header flag bit 2), which vfvm cannot provide");
	if (*flags & 0xFFFFU & ~MB_SUPPORTED_REQUIRED)
		return err_input(err, ENOTSUP, "Multiboot kernel requires unknown features "
				 "(header flags 0x%08x)", *flags);
	return 0;
}

/* Bump allocator over [BOOT_INFO_ADDR, BOOT_INFO_END) for the info structure's tables. */
struct mb_area {
	uint64_t next;
};

static uint64_t mb_alloc(struct mb_area *a, uint64_t len, uint64_t align)
{
	uint64_t at = align_up(a->next, align);

	if (at > BOOT_INFO_END || len > BOOT_INFO_END - at)
		return 0;
	a->next = at + len;
	return at;
}

static uint64_t mb_string(const struct guest_mem *mem, struct mb_area *a, const char *s)
{
	size_t len = strlen(s ? s : "") + 1;
	uint64_t at = mb_alloc(a, len, 1);

	if (at && gpa_write(mem, at, s ? s : "", len))
		return 0;
	return at;
}

/* Modules go page-aligned (flag bit 0 or not: always) above the kernel and below the top of
 * low RAM; each entry is {mod_start, mod_end (exclusive, as GRUB), string, reserved}. */
static int mb_modules(const struct guest_mem *mem, const struct e820_table *e820,
		      uint8_t *mbi, struct mb_area *a, const struct boot_blob *mods,
		      unsigned nmods, uint64_t kernel_end, struct err *err)
{
	uint64_t list = mb_alloc(a, 16ULL * (nmods ? nmods : 1), 16);
	uint64_t at = align_up(kernel_end > MEM_HIGH_START ? kernel_end : MEM_HIGH_START,
			       BOOT_PAGE);
	uint64_t top = boot_lowram_top(e820);

	if (!list)
		return err_input(err, E2BIG, "too many Multiboot modules");
	for (unsigned i = 0; i < nmods; i++) {
		uint8_t ent[16] = { 0 };
		uint64_t str = mb_string(mem, a, mods[i].string);

		if (at >= top || mods[i].len > top - at || !boot_range_is_ram(mem, e820, at,
		    mods[i].len ? mods[i].len : 1))
			return err_input(err, ENOMEM, "Multiboot module %u (%s, %zu bytes) does not "
					 "fit in guest memory below 0x%llx; use a larger --memory",
					 i + 1, mods[i].string ? mods[i].string : "", mods[i].len,
					 (unsigned long long)top);
		if (!str)
			return err_input(err, E2BIG, "Multiboot module strings are too long");
		if (mods[i].len)
			memcpy(gpa_ptr(mem, at, mods[i].len), mods[i].data, mods[i].len);
		st32(ent, (uint32_t)at);
		st32(ent + 4, (uint32_t)(at + mods[i].len));
		st32(ent + 8, (uint32_t)str);
		gpa_write(mem, list + 16ULL * i, ent, sizeof(ent));
		at = align_up(at + mods[i].len, BOOT_PAGE);
	}
	st32(mbi + MBI_MODS_COUNT, nmods);
	st32(mbi + MBI_MODS_ADDR, (uint32_t)list);
	return 0;
}

/* The memory map (§3.3): entries of {size = 20, base_addr, length, type}; mmap_addr points to
 * the first entry's size field, mmap_length counts all bytes. Types are e820's (1 = RAM). */
static int mb_mmap(const struct guest_mem *mem, const struct e820_table *e820, uint8_t *mbi,
		   struct mb_area *a)
{
	unsigned n = e820->n < E820_MAX ? e820->n : E820_MAX;
	uint64_t at = mb_alloc(a, 24ULL * n, 8);

	if (!at)
		return -ENOSPC;
	for (unsigned i = 0; i < n; i++) {
		uint8_t ent[24];

		st32(ent, 20);
		st64(ent + 4, e820->e[i].addr);
		st64(ent + 12, e820->e[i].size);
		st32(ent + 20, e820->e[i].type);
		gpa_write(mem, at + 24ULL * i, ent, sizeof(ent));
	}
	st32(mbi + MBI_MMAP_LENGTH, 24 * n);
	st32(mbi + MBI_MMAP_ADDR, (uint32_t)at);
	return 0;
}

static int mb_info(const struct guest_mem *mem, const struct e820_table *e820,
		   const struct boot_blob *mods, unsigned nmods, uint64_t kernel_end,
		   struct err *err)
{
	uint8_t *mbi = gpa_ptr(mem, BOOT_PARAMS_ADDR, BOOT_PAGE);
	struct mb_area a = { BOOT_INFO_ADDR };
	uint64_t conv = boot_conv_mem(e820), top = boot_lowram_top(e820), name;
	int r;

	if (!mbi)
		return err_set(err, EFAULT, "guest memory too small for the Multiboot information");
	memset(mbi, 0, BOOT_PAGE);
	/* mem_lower: KiB from 0 (at most 640); mem_upper: KiB from 1 MiB to the first hole. */
	st32(mbi + MBI_MEM_LOWER, (uint32_t)((conv < 640 * KiB ? conv : 640 * KiB) / KiB));
	st32(mbi + MBI_MEM_UPPER, (uint32_t)(top > MEM_HIGH_START ? (top - MEM_HIGH_START) / KiB
								   : 0));
	st32(mbi + MBI_CMDLINE_PTR, (uint32_t)BOOT_CMDLINE_ADDR);
	r = mb_modules(mem, e820, mbi, &a, mods, nmods, kernel_end, err);
	if (r)
		return r;
	name = mb_string(mem, &a, "vfvm");
	if (mb_mmap(mem, e820, mbi, &a) || !name)
		return err_set(err, ENOSPC, "no room for the Multiboot information tables");
	st32(mbi + MBI_LOADER_NAME_PTR, (uint32_t)name);
	st32(mbi + MBI_FLAGS, MBI_MEM | MBI_CMDLINE | MBI_MODS | MBI_MMAP | MBI_LOADER_NAME);
	return 0;
}

int boot_multiboot(const struct guest_mem *mem, const struct e820_table *e820,
		   const uint8_t *img, size_t len, const struct boot_blob *mods, unsigned nmods,
		   const char *cmdline, struct boot_entry *out, struct err *err)
{
	struct mb_kernel k = { 0 };
	uint32_t flags = 0;
	long hdr = -1;
	int r;

	r = mb_check(img, len, &hdr, &flags, err);
	if (!r)
		r = boot_put_cmdline(mem, cmdline, BOOT_CMDLINE_MAX - 1, err);
	if (r)
		return r;
	if (flags & MB_FLAG_AOUT)
		r = mb_load_aout(mem, e820, img, len, (size_t)hdr, &k, err);
	else
		r = mb_load_elf(mem, e820, img, len, &k, err);
	if (r)
		return r;
	if (k.entry >= MEM_4G || !boot_range_is_ram(mem, e820, k.entry, 1))
		return err_input(err, ENOEXEC, "Multiboot entry point 0x%llx is not in guest RAM",
				 (unsigned long long)k.entry);
	r = mb_info(mem, e820, mods, nmods, k.end, err);
	if (r)
		return r;
	memset(out, 0, sizeof(*out));
	out->kind = BOOT_KIND_MULTIBOOT;
	r = boot_setup_cpu(mem, BOOT_MODE_PM32, out);
	if (r)
		return err_set(err, -r, "guest memory too small for the boot GDT");
	/* §3.2 machine state: EAX magic, EBX the information structure's physical address. */
	out->rip = k.entry;
	out->rax = MB_BOOT_MAGIC;
	out->rbx = BOOT_PARAMS_ADDR;
	return 0;
}
