/* fuzz_boot.c - libFuzzer harness for the direct-boot loaders: boot_detect, boot_bzimage
 * (Linux Documentation/arch/x86/boot.rst), boot_vmlinux (ELF64) and boot_multiboot (Multiboot
 * 0.6.96 §3.1: ELF32/ELF64 and the a.out kludge) on fuzzed images, loaded into a 64 MiB guest
 * with a PC e820 map. A loader must never crash (ASan/UBSan watch every access), must fail
 * with a message, or succeed with the whole entry state (RIP, stack, GDT, boot structures,
 * page tables) inside guest RAM, and the zero page or Multiboot information that the kernel
 * will read pointing only into RAM.
 * Input: byte 0 the loader, byte 1 options (initrd, modules, command line), then the image. */
#include "fuzz_input.h"
#include "test_boot_util.h"
#include "core/err.h"

#define RAM_SIZE (64 * MiB)

static struct tguest g;
static uint8_t initrd[3000];
static uint8_t mod1[100];
static char cmdline_long[BOOT_CMDLINE_MAX + 100];

static bool in_ram(uint64_t gpa, uint64_t len)
{
	if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
		return false;
	for (unsigned i = 0; i < g.e820.n; i++) {
		const struct e820_entry *e = &g.e820.e[i];

		if (e->type == E820_RAM && gpa >= e->addr && gpa + len <= e->addr + e->size)
			return true;
	}
	/* The boot structures live below 1 MiB, also in the reserved BIOS area (MP table). */
	return gpa + len <= MEM_HIGH_START;
}

static const char *pick_cmdline(unsigned sel)
{
	switch (sel % 4) {
	case 0: return NULL;
	case 1: return "";
	case 2: return "console=ttyS0 root=/dev/vda rw";
	default: return cmdline_long;
	}
}

/* The zero page as Linux reads it (Documentation/arch/x86/boot.rst, zero-page.rst): the
 * setup header's magic, at most E820_MAX_ENTRIES_ZEROPAGE (128) e820 entries, a command line
 * that is NUL-terminated in RAM, an initrd inside RAM. */
FUZZ_NOCOV static void check_zero_page(const uint8_t *bp)
{
	uint32_t cmd = rd32(bp + 0x228), rd = rd32(bp + 0x218), rds = rd32(bp + 0x21c);

	FUZZ_CHECK(!memcmp(bp + 0x202, "HdrS", 4) && rd16(bp + 0x1fe) == 0xAA55,
		   "setup header magic missing");
	FUZZ_CHECK(bp[0x1e8] <= 128, "%u e820 entries", bp[0x1e8]);
	FUZZ_CHECK(in_ram(cmd, 1) && memchr(g.ram + cmd, 0, RAM_SIZE - cmd),
		   "command line at 0x%x", cmd);
	if (rds)
		FUZZ_CHECK(in_ram(rd, rds), "initrd [0x%x, +0x%x) outside RAM", rd, rds);
}

/* Multiboot 0.6.96 §3.3: what the info's flags announce lies in RAM. */
FUZZ_NOCOV static void check_mbi(const uint8_t *mbi)
{
	uint32_t flags = rd32(mbi);

	if (flags & (1u << 2))
		FUZZ_CHECK(in_ram(rd32(mbi + 16), 1), "cmdline at 0x%x", rd32(mbi + 16));
	if ((flags & (1u << 3)) && rd32(mbi + 20))
		FUZZ_CHECK(in_ram(rd32(mbi + 24), 16ULL * rd32(mbi + 20)), "%u modules at 0x%x",
			   rd32(mbi + 20), rd32(mbi + 24));
	if (flags & (1u << 6))
		FUZZ_CHECK(in_ram(rd32(mbi + 48), rd32(mbi + 44)), "mmap [0x%x, +0x%x)",
			   rd32(mbi + 48), rd32(mbi + 44));
}

static void check_entry(const struct boot_entry *e, enum boot_kind want)
{
	FUZZ_CHECK(e->kind == want, "kind %d, loader %d", e->kind, want);
	FUZZ_CHECK(in_ram(e->rip, 1), "entry point 0x%llx outside RAM",
		   (unsigned long long)e->rip);
	FUZZ_CHECK(in_ram(e->gdt_base, (uint64_t)e->gdt_limit + 1), "GDT 0x%llx+0x%x outside RAM",
		   (unsigned long long)e->gdt_base, e->gdt_limit);
	FUZZ_CHECK(e->cs == 0x10 && e->ds == 0x18, "selectors cs 0x%x ds 0x%x", e->cs, e->ds);
	if (e->mode == BOOT_MODE_LM64)
		FUZZ_CHECK(in_ram(e->cr3, 4096), "CR3 0x%llx outside RAM",
			   (unsigned long long)e->cr3);
	else
		FUZZ_CHECK(e->mode == BOOT_MODE_PM32, "mode %d", e->mode);
	if (want == BOOT_KIND_MULTIBOOT) {
		FUZZ_CHECK(e->rax == 0x2BADB002, "EAX 0x%llx", (unsigned long long)e->rax);
		FUZZ_CHECK(in_ram(e->rbx, 52), "Multiboot info 0x%llx outside RAM",
			   (unsigned long long)e->rbx);
		check_mbi(g.ram + e->rbx);
	} else {
		FUZZ_CHECK(in_ram(e->rsi, 4096), "boot_params 0x%llx outside RAM",
			   (unsigned long long)e->rsi);
		check_zero_page(g.ram + e->rsi);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct boot_blob mods[2] = { { mod1, sizeof(mod1), "mod1 a=1" }, { mod1, 0, "empty" } };
	struct boot_entry e;
	struct err err = { 0 };
	const uint8_t *img = data + 2;
	size_t len = size - 2;
	enum boot_kind kind;
	unsigned opt;
	int r;

	if (!g.ram) {
		tguest_init(&g, RAM_SIZE);
		memset(cmdline_long, 'x', sizeof(cmdline_long) - 1);
	}
	if (size < 2)
		return 0;
	opt = data[1];
	memset(&e, 0xa5, sizeof(e));
	/* Copy so that ASan sees a read past the (exactly sized) image. */
	uint8_t *copy = malloc(len ? len : 1);

	memcpy(copy, img, len);
	kind = boot_detect(copy, len);
	switch (data[0] % 4) {
	case 0:
		r = boot_bzimage(&g.mem, &g.e820, copy, len, opt & 1 ? initrd : NULL,
				 opt & 1 ? sizeof(initrd) : 0, pick_cmdline(opt >> 2), &e, &err);
		kind = BOOT_KIND_BZIMAGE;
		break;
	case 1:
		r = boot_vmlinux(&g.mem, &g.e820, copy, len, opt & 1 ? initrd : NULL,
				 opt & 1 ? sizeof(initrd) : 0, pick_cmdline(opt >> 2), &e, &err);
		kind = BOOT_KIND_VMLINUX;
		break;
	case 2:
		r = boot_multiboot(&g.mem, &g.e820, copy, len, mods, opt & 2 ? 2 : 0,
				   pick_cmdline(opt >> 2), &e, &err);
		kind = BOOT_KIND_MULTIBOOT;
		break;
	default:
		/* What boot_load does after reading the file: the detected format's loader. */
		if (kind == BOOT_KIND_BZIMAGE)
			r = boot_bzimage(&g.mem, &g.e820, copy, len, NULL, 0, "x", &e, &err);
		else if (kind == BOOT_KIND_VMLINUX)
			r = boot_vmlinux(&g.mem, &g.e820, copy, len, NULL, 0, "x", &e, &err);
		else if (kind == BOOT_KIND_MULTIBOOT)
			r = boot_multiboot(&g.mem, &g.e820, copy, len, NULL, 0, "x", &e, &err);
		else
			r = -ENOEXEC, snprintf(err.msg, sizeof(err.msg), "unknown");
		break;
	}
	free(copy);
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "loader %u: %d %s\n", data[0] % 4, r, err.msg);
	FUZZ_CHECK(r <= 0, "loader returned %d", r);
	if (r < 0) {
		FUZZ_CHECK(err.msg[0], "loader failed with %d and no message", r);
		return 0;
	}
	check_entry(&e, kind);
	return 0;
}
