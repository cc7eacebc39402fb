/* bootinfo_mb.c - checks the Multiboot information structure (Multiboot 0.6.96 §3.3) that
 * the loader built: flags, mem_lower/mem_upper against the RAM size, the memory map, the
 * command line (exact), the modules (length, page alignment, bytes, strings "path args" as
 * GRUB passes them) and the boot loader name. Expectations come from the command line:
 * mem=<MiB> mods=<count>; each module's args carry len=<bytes> seed=<blob seed>. */
#include "bootcheck.h"

const char guest_name[] = "bootinfo_mb";

/* Must equal the --cmdline of bootinfo_mb.args. */
#define EXPECT_CMDLINE "mem=64 mods=2 quoted=\"two words\" last"

extern char __image_start[], _end[];
static uint32_t bss_probe[1024];

struct mb_mod {
	uint32_t start, end, string, reserved;
};

/*
 * GRUB (and QEMU) pass "<kernel path> <args>" as the Multiboot command line, so the exact
 * expectation is: one word naming this kernel file, a space, then EXPECT_CMDLINE.
 */
static void check_cmdline(const char *s)
{
	static const char file[] = "bootinfo_mb.kernel";
	size_t w = 0, fl = sizeof(file) - 1;

	while (s[w] && s[w] != ' ')
		w++;
	check("cmdline", w >= fl && !strncmp(s + w - fl, file, fl) && (w == fl || s[w - fl - 1] == '/') &&
	      s[w] == ' ' && !strcmp(s + w + 1, EXPECT_CMDLINE),
	      "got \"%s\", want \"<path>/%s %s\"", s, file, EXPECT_CMDLINE);
}

static void check_mmap(const uint32_t *mbi, uint32_t mem_mib)
{
	struct memmap m = { .n = 0 };
	uint32_t p = mbi[12], end = mbi[12] + mbi[11];
	bool sizes_ok = true;

	if (!check("flags.mmap", mbi[0] & (1 << 6), "flags 0x%x", mbi[0]))
		return;
	while (p < end && m.n < MAP_MAX) {
		uint32_t size = *(uint32_t *)p;
		const uint8_t *e = (const uint8_t *)p + 4;
		if (size < 20)
			sizes_ok = false;
		memcpy(&m.e[m.n].addr, e, 8);
		memcpy(&m.e[m.n].len, e + 8, 8);
		memcpy(&m.e[m.n].type, e + 16, 4);
		m.n++;
		p += size + 4;
	}
	memmap_print(&m);
	check("mmap.entry_size", sizes_ok && p == end, "size fields do not tile mmap_length %u",
	      mbi[11]);
	memmap_check_sane("mmap.sane", &m);
	check("mmap.low_ram", memmap_is_ram(&m, 0, mbi[1] * 1024u),
	      "mem_lower %u KiB is not RAM in the map", mbi[1]);
	check("mmap.high_ram", memmap_is_ram(&m, 0x100000, mbi[2] * 1024u),
	      "mem_upper %u KiB from 1 MiB is not RAM in the map", mbi[2]);
	check("mmap.image_ram", memmap_is_ram(&m, (uint32_t)__image_start,
					      (uint32_t)_end - (uint32_t)__image_start),
	      "the kernel image is not in RAM");
	memmap_check_vfvm("mmap.vfvm_layout", &m, mem_mib);
}

static void check_module(unsigned i, const struct mb_mod *md, uint32_t prev_end)
{
	char name[32] = "mod0.";
	const char *s = md->string ? (const char *)md->string : "";
	uint32_t len = cmdline_uint(s, "len", 0), seed = cmdline_uint(s, "seed", 0);
	uint32_t n = md->end - md->start;
	size_t first = 0;
	int32_t bad;

	name[3] = '0' + i;
	printf("  module %u: 0x%x-0x%x \"%s\"\n", i, md->start, md->end, s);
#define N(x) (memcpy(name + 5, x, sizeof(x)), name)
	while (s[first] && s[first] != ' ')
		first++;
	check(N("string"), first > 4 && !strncmp(s + first - 4, ".bin", 4) && len,
	      "want \"<path> len=.. seed=..\" (GRUB convention), got \"%s\"", s);
	check(N("length"), n == len, "mod_end - mod_start = %u, want %u", n, len);
	check(N("aligned"), !(md->start & 0xFFF), "mod_start 0x%x not page aligned", md->start);
	check(N("placement"), md->start >= (uint32_t)_end && md->start >= prev_end,
	      "module at 0x%x overlaps the kernel (end 0x%x) or the previous module (end 0x%x)",
	      md->start, (uint32_t)_end, prev_end);
	if (n != len)
		return;
	bad = blob_verify((const uint8_t *)md->start, n, seed);
	check(N("bytes"), bad < 0, "byte %d differs from the blob", bad);
#undef N
}

void guest_main(uint32_t magic, uint32_t info)
{
	const uint32_t *mbi = (const uint32_t *)info;
	const char *cmdline = boot_cmdline();
	uint32_t mem_mib = cmdline_uint(EXPECT_CMDLINE, "mem", 0);
	uint32_t nmods = cmdline_uint(EXPECT_CMDLINE, "mods", 0);
	uint32_t f;
	unsigned i;

	if (!check_eq("magic", magic, MB_BOOT_MAGIC))
		return;
	f = mbi[0];
	printf("  info at 0x%x flags 0x%x mem_lower %u mem_upper %u\n", info, f, mbi[1], mbi[2]);
	check("flags.required", (f & 0x24D) == 0x24D,
	      "flags 0x%x lack mem(0)/cmdline(2)/mods(3)/mmap(6)/loader name(9)", f);
	check("flags.no_aout_and_elf", (f & 0x30) != 0x30, "bits 4 and 5 both set");
	check_eq("mem_lower", mbi[1], 639);	/* [0, 0x9FC00): the EBDA is reserved */
	check_eq("mem_upper", mbi[2], mem_mib * 1024 - 1024);
	for (i = 0; i < sizeof(bss_probe) / 4 && !bss_probe[i]; i++)
		;
	check("bss_zeroed", i == sizeof(bss_probe) / 4, "bss word %u is 0x%x", i, bss_probe[i]);
	check("image_loaded", *(uint32_t *)__image_start == 0x1BADB002,
	      "no Multiboot header at the link address 0x%x", (uint32_t)__image_start);
	printf("  cmdline \"%s\"\n", cmdline);
	check_cmdline(cmdline);
	check_mmap(mbi, mem_mib);
	if (check_eq("mods_count", (f & 8) ? mbi[5] : 0, nmods)) {
		const struct mb_mod *md = (const struct mb_mod *)mbi[6];
		uint32_t prev_end = 0;
		for (i = 0; i < nmods; i++) {
			check_module(i, &md[i], prev_end);
			prev_end = md[i].end;
		}
	}
	if (check("flags.loader_name", f & (1 << 9), "flags 0x%x", f)) {
		const char *ln = (const char *)mbi[16];
		printf("  boot_loader_name \"%s\"\n", ln);
		check("loader_name", !strcmp(ln, "vfvm"), "got \"%s\", want \"vfvm\"", ln);
	}
}
