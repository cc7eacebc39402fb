/* vmlinux.c - Linux vmlinux (ELF64 x86-64) through the 64-bit boot protocol (boot.rst
 * "64-bit BOOT PROTOCOL"): PT_LOAD segments at p_paddr, a zero page built from scratch. */
#include <elf.h>
#include <errno.h>
#include "loader.h"

/* What a bzImage of the same kernel would have said (arch/x86/boot/header.S). */
#define VML_PROTOCOL		0x020F
#define VML_INITRD_ADDR_MAX	0x7FFFFFFFULL
#define VML_ALIGN		0x200000U
#define VML_CMDLINE_SIZE	(BOOT_CMDLINE_MAX - 1)

int boot_elf_phdrs(size_t len, uint64_t phoff, unsigned phnum, unsigned phentsize,
		   size_t want, struct err *err)
{
	if (!phnum || phentsize != want || phoff > len ||
	    (uint64_t)phnum * phentsize > len - phoff)
		return err_input(err, ENOEXEC, "ELF program headers are missing or truncated");
	return 0;
}

static int vml_check(const uint8_t *img, size_t len, struct err *err)
{
	Elf64_Ehdr eh;

	if (len < sizeof(eh) || memcmp(img, ELFMAG, SELFMAG))
		return err_input(err, ENOEXEC, "not an ELF file");
	memcpy(&eh, img, sizeof(eh));
	if (img[EI_CLASS] != ELFCLASS64 || img[EI_DATA] != ELFDATA2LSB ||
	    eh.e_machine != EM_X86_64)
		return err_input(err, ENOEXEC,
				 "ELF kernel is not 64-bit x86-64 (class %u, machine %u) and has "
				 "no Multiboot header", img[EI_CLASS], eh.e_machine);
	if (eh.e_type != ET_EXEC)
		return err_input(err, ENOEXEC, "ELF kernel is not an executable (e_type %u)",
				 eh.e_type);
	return boot_elf_phdrs(len, eh.e_phoff, eh.e_phnum, eh.e_phentsize,
			      sizeof(Elf64_Phdr), err);
}

static bool vml_in_segment(const uint8_t *img, const Elf64_Ehdr *eh, uint64_t pa)
{
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, img + eh->e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_LOAD && pa >= ph.p_paddr && pa - ph.p_paddr < ph.p_memsz)
			return true;
	}
	return false;
}

/* Copy each PT_LOAD to p_paddr, zero its bss; report the highest end and the entry's
 * physical address (e_entry is translated from p_vaddr if it falls in a segment). */
static int vml_load(const struct guest_mem *mem, const struct e820_table *e820,
		    const uint8_t *img, size_t len, uint64_t *end, uint64_t *entry,
		    struct err *err)
{
	Elf64_Ehdr eh;
	bool found = false;

	memcpy(&eh, img, sizeof(eh));
	*end = 0;
	*entry = eh.e_entry;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		uint8_t *dst;

		memcpy(&ph, img + eh.e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		if (ph.p_filesz > ph.p_memsz || ph.p_offset > len || ph.p_filesz > len - ph.p_offset)
			return err_input(err, ENOEXEC, "ELF segment %u lies outside the file", i);
		if (ph.p_paddr < MEM_HIGH_START ||
		    !boot_range_is_ram(mem, e820, ph.p_paddr, ph.p_memsz))
			return err_input(err, ENOMEM,
					 "ELF segment %u [0x%llx, +0x%llx) is not in guest RAM above "
					 "1 MiB; use a larger --memory", i,
					 (unsigned long long)ph.p_paddr,
					 (unsigned long long)ph.p_memsz);
		dst = gpa_ptr(mem, ph.p_paddr, ph.p_memsz);
		memcpy(dst, img + ph.p_offset, ph.p_filesz);
		memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
		if (ph.p_paddr + ph.p_memsz > *end)
			*end = ph.p_paddr + ph.p_memsz;
		if (!found && eh.e_entry >= ph.p_vaddr && eh.e_entry - ph.p_vaddr < ph.p_memsz) {
			*entry = eh.e_entry - ph.p_vaddr + ph.p_paddr;
			found = true;
		}
	}
	if (!*end)
		return err_input(err, ENOEXEC, "ELF kernel has no loadable segment");
	if (!vml_in_segment(img, &eh, *entry))
		return err_input(err, ENOEXEC, "ELF entry point 0x%llx is not in a loaded segment",
				 (unsigned long long)eh.e_entry);
	return 0;
}

/* boot.rst "64-bit BOOT PROTOCOL": the loader fills the setup header fields a bzImage
 * would carry, plus the ones a loader writes. */
static void vml_params(uint8_t *bp, const struct e820_table *e820)
{
	memset(bp, 0, BP_SIZE);
	st16(bp + HDR_BOOT_FLAG, 0xAA55);
	st32(bp + HDR_MAGIC, HDR_MAGIC_VALUE);
	st16(bp + HDR_VERSION, VML_PROTOCOL);
	st16(bp + HDR_VID_MODE, 0xFFFF);
	bp[HDR_TYPE_OF_LOADER] = 0xFF;
	bp[HDR_LOADFLAGS] = LOADFLAG_LOADED_HIGH | LOADFLAG_CAN_USE_HEAP;
	st16(bp + HDR_HEAP_END_PTR, 0xFE00);
	st32(bp + HDR_CMD_LINE_PTR, (uint32_t)BOOT_CMDLINE_ADDR);
	st32(bp + HDR_CMDLINE_SIZE, VML_CMDLINE_SIZE);
	st32(bp + HDR_INITRD_ADDR_MAX, (uint32_t)VML_INITRD_ADDR_MAX);
	st32(bp + HDR_KERNEL_ALIGNMENT, VML_ALIGN);
	boot_params_e820(bp, e820);
}

int boot_vmlinux(const struct guest_mem *mem, const struct e820_table *e820,
		 const uint8_t *img, size_t len, const uint8_t *initrd, size_t initrd_len,
		 const char *cmdline, struct boot_entry *out, struct err *err)
{
	uint64_t end = 0, entry = 0;
	uint8_t *bp;
	int r;

	r = vml_check(img, len, err);
	if (r)
		return r;
	bp = gpa_ptr(mem, BOOT_PARAMS_ADDR, BP_SIZE);
	if (!bp)
		return err_set(err, EFAULT, "guest memory too small for boot_params");
	r = boot_put_cmdline(mem, cmdline, VML_CMDLINE_SIZE, err);
	if (!r)
		r = vml_load(mem, e820, img, len, &end, &entry, err);
	if (r)
		return r;
	vml_params(bp, e820);
	r = boot_linux_initrd(mem, e820, bp, initrd, initrd_len, end, VML_INITRD_ADDR_MAX, err);
	if (r)
		return r;
	memset(out, 0, sizeof(*out));
	out->kind = BOOT_KIND_VMLINUX;
	r = boot_setup_cpu(mem, BOOT_MODE_LM64, out);
	if (r)
		return err_set(err, -r, "guest memory too small for the boot page tables");
	out->rip = entry;
	out->rsi = BOOT_PARAMS_ADDR;
	return 0;
}
