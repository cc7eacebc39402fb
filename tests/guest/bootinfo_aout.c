/* bootinfo_aout.c - a Multiboot kernel that uses the a.out kludge (flags bit 16, Multiboot
 * 0.6.96 §3.1.3): a flat binary whose header gives the load, bss and entry addresses. Checks
 * that the loader honoured them: entered at entry_addr with the magic, the file loaded at
 * load_addr, [load_end_addr, bss_end_addr) zeroed, and the info structure's memory fields. */
#include "rt.h"

const char guest_name[] = "bootinfo_aout";

extern char __image_start[], __data_end[], _end[], _start[];
static uint32_t bss_probe[2048];
static volatile uint32_t data_probe = 0x5AA5C33C;

void guest_main(uint32_t magic, uint32_t info)
{
	const uint32_t *mbi = (const uint32_t *)info;
	const uint32_t *hdr = (const uint32_t *)__image_start;
	unsigned i;

	if (!check_eq("magic", magic, MB_BOOT_MAGIC))
		return;
	check("header", hdr[0] == 0x1BADB002 && (hdr[1] & 0x10000) && hdr[3] == (uint32_t)hdr,
	      "no a.out-kludge header at load_addr 0x%x", (uint32_t)hdr);
	check_eq("entry_addr", hdr[7], (uint32_t)_start);
	check_eq("data_loaded", data_probe, 0x5AA5C33C);
	for (i = 0; i < sizeof(bss_probe) / 4 && !bss_probe[i]; i++)
		;
	check("bss_zeroed", i == sizeof(bss_probe) / 4, "bss word %u (0x%x) is 0x%x", i,
	      (uint32_t)&bss_probe[i], bss_probe[i]);
	check("flags.mem", mbi[0] & 1, "flags 0x%x", mbi[0]);
	check_eq("mem_upper", mbi[2], cmdline_uint(boot_cmdline(), "mem", 0) * 1024 - 1024);
	check("cmdline", cmdline_uint(boot_cmdline(), "aout", 0) == 1, "got \"%s\"",
	      boot_cmdline());
}
