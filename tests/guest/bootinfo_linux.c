/* bootinfo_linux.c - a bzImage-format guest (lib/linux_setup.S + this payload at 1 MiB)
 * entered through the 32-bit boot protocol; checks the boot_params the loader filled
 * (Documentation/arch/x86/boot.rst, "zero page" offsets): the copied setup header,
 * type_of_loader, loadflags, cmd_line_ptr (exact string), the e820 table (0x1E8, 0x2D0),
 * and the initrd (ramdisk_image/ramdisk_size at 0x218/0x21C: placement and bytes).
 * Expectations: mem=<MiB> initrd_len=<bytes> initrd_seed=<seed> on the command line. */
#include "bootcheck.h"

const char guest_name[] = "bootinfo_linux";

/* Must equal the --cmdline of bootinfo_linux.args. */
#define EXPECT_CMDLINE "console=ttyS0 mem=5120 initrd_len=9001 initrd_seed=3 x=\"a b\""

extern char __image_start[], _end[];

#define BP8(o)  (*(const uint8_t *)(bp + (o)))
#define BP16(o) (*(const uint16_t *)(bp + (o)))
#define BP32(o) (*(const uint32_t *)(bp + (o)))

static void check_e820(uint32_t bp, uint32_t mem_mib)
{
	struct memmap m = { .n = BP8(0x1E8) };
	const uint8_t *t = (const uint8_t *)(bp + 0x2D0);

	if (!check("e820.count", m.n >= 2 && m.n <= 128, "e820_entries = %u", m.n))
		return;
	if (m.n > MAP_MAX)
		m.n = MAP_MAX;
	for (unsigned i = 0; i < m.n; i++) {
		memcpy(&m.e[i].addr, t + 20 * i, 8);
		memcpy(&m.e[i].len, t + 20 * i + 8, 8);
		memcpy(&m.e[i].type, t + 20 * i + 16, 4);
	}
	memmap_print(&m);
	memmap_check_sane("e820.sane", &m);
	check("e820.low_ram", memmap_is_ram(&m, 0, 0x9F000), "[0, 0x9F000) is not RAM");
	/* Below the 3 GiB PCI hole; the rest at 4 GiB (the same split in QEMU -M pc). Slack of
	 * 1 MiB at the top for firmware that reserves some (SeaBIOS). */
	uint64_t ram = (uint64_t)mem_mib << 20, low = ram < 0xC0000000ULL ? ram : 0xC0000000ULL;
	check("e820.high_ram", memmap_is_ram(&m, 0x100000, low - 0x200000),
	      "less than min(mem, 3 GiB) - 2 MiB of RAM from 1 MiB");
	if (ram > low)
		check("e820.above_4g", memmap_is_ram(&m, 0x100000000ULL, ram - low),
		      "the %u MiB above 3 GiB are not RAM at 4 GiB", (uint32_t)((ram - low) >> 20));
	check("e820.image_ram", memmap_is_ram(&m, (uint32_t)__image_start,
					      (uint32_t)_end - (uint32_t)__image_start),
	      "the kernel image is not in RAM");
	memmap_check_vfvm("e820.vfvm_layout", &m, mem_mib);
	if (BP32(0x218))
		check("initrd.in_ram", memmap_is_ram(&m, BP32(0x218), BP32(0x21C)),
		      "initrd 0x%x+0x%x is not RAM", BP32(0x218), BP32(0x21C));
}

static void check_initrd(uint32_t bp, uint32_t mem_mib)
{
	uint64_t ram = (uint64_t)mem_mib << 20;
	uint32_t top = ram < 0xC0000000ULL ? (uint32_t)ram - 1 : 0xBFFFFFFFu;
	uint32_t img = BP32(0x218), size = BP32(0x21C);
	uint32_t want = cmdline_uint(EXPECT_CMDLINE, "initrd_len", 0);
	uint32_t init_size = BP32(0x260), max = BP32(0x22C);
	int32_t bad;

	printf("  initrd 0x%x size %u (init_size 0x%x, initrd_addr_max 0x%x)\n", img, size,
	       init_size, max);
	check("initrd.ext_fields", !BP32(0x0C0) && !BP32(0x0C4),
	      "ext_ramdisk_image/size 0x%x/0x%x for an initrd below 4 GiB", BP32(0x0C0), BP32(0x0C4));
	if (!check("initrd.size", size == want, "ramdisk_size %u, want %u", size, want))
		return;
	check("initrd.aligned", img && !(img & 0xFFF), "ramdisk_image 0x%x", img);
	check("initrd.above_kernel", img >= 0x100000 + init_size && img >= (uint32_t)_end,
	      "ramdisk_image 0x%x inside the kernel's [0x100000, +init_size 0x%x)", img, init_size);
	check("initrd.below_max", img + size - 1 <= max, "initrd ends at 0x%x > initrd_addr_max",
	      img + size - 1);
	/* boot.rst: "the initrd should typically be located as high in memory as possible"; 1 MiB
	 * of slack for what firmware keeps at the top of low RAM (SeaBIOS: 128 KiB). */
	if (top > max)
		top = max;
	check("initrd.high", img + size > top + 1 - 0x100000,
	      "initrd ends at 0x%x, more than 1 MiB below min(initrd_addr_max, low RAM top) 0x%x",
	      img + size - 1, top);
	bad = blob_verify((const uint8_t *)img, size,
			  cmdline_uint(EXPECT_CMDLINE, "initrd_seed", 0));
	check("initrd.bytes", bad < 0, "byte %d differs from the blob", bad);
}

void guest_main(uint32_t magic, uint32_t info)
{
	uint32_t bp = info;
	const char *cmdline;
	uint32_t mem_mib = cmdline_uint(EXPECT_CMDLINE, "mem", 0);

	if (!check_eq("entry", magic, LINUX_BOOT_MAGIC))
		return;
	printf("  boot_params at 0x%x, version 0x%x, type_of_loader 0x%x, loadflags 0x%x\n", bp,
	       BP16(0x206), BP8(0x210), BP8(0x211));
	check("header.magic", BP32(0x202) == 0x53726448 && BP16(0x1FE) == 0xAA55,
	      "HdrS 0x%x boot_flag 0x%x", BP32(0x202), BP16(0x1FE));
	check_eq("header.version", BP16(0x206), 0x020A);
	check_eq("header.setup_sects", BP8(0x1F1), 1);
	check_eq("header.code32_start", BP32(0x214), 0x100000);
	check_eq("header.cmdline_size", BP32(0x238), 2047);
	check("header.init_size", BP32(0x260) >= (uint32_t)_end - 0x100000, "init_size 0x%x",
	      BP32(0x260));
	check_eq("type_of_loader", BP8(0x210), 0xFF);
	check("loadflags.loaded_high", BP8(0x211) & 0x01, "loadflags 0x%x", BP8(0x211));
	check("loadflags.heap", !(BP8(0x211) & 0x80) || BP16(0x224),
	      "CAN_USE_HEAP set but heap_end_ptr is 0");
	check_eq("vid_mode", BP16(0x1FA), 0xFFFF);
	cmdline = boot_cmdline();
	printf("  cmd_line_ptr 0x%x \"%s\"\n", BP32(0x228), cmdline);
	check("cmdline", !strcmp(cmdline, EXPECT_CMDLINE), "got \"%s\", want \"%s\"", cmdline,
	      EXPECT_CMDLINE);
	check("cmdline.placement", BP32(0x228) + strlen(cmdline) < 0xA0000,
	      "cmd_line_ptr 0x%x not below 0xA0000", BP32(0x228));
	check_e820(bp, mem_mib);
	check_initrd(bp, mem_mib);
}
