/* vmlinux64_high.c - the vmlinux64 guest with --memory 5G: besides the entry checks, the e820
 * entry at 4 GiB (src/core/mem.h: what does not fit below the 3 GiB PCI hole continues there),
 * that vfvm's boot page tables stop at 4 GiB (docs/boot.md; boot.rst only asks for the
 * kernel, zero page and command line to be mapped), and that the RAM above 4 GiB is real:
 * mapped through the guest's own tables (SDM vol. 3A §4.5), written and read back, with no
 * alias in the low 4 GiB. */
#include "vml64check.h"

const char guest_name[] = "vmlinux64_high";

/* Must equal the --cmdline of vmlinux64_high.args. */
#define EXPECT_CMDLINE "console=ttyS0 mem=5120 initrd_len=5000 initrd_seed=1"

#define HIGH_PDS 4	/* up to 4 GiB of RAM above 4 GiB */

static uint64_t bss_probe[512];
static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[HIGH_PDS][512] __attribute__((aligned(4096)));

/* Own tables: the low 4 GiB exactly as vfvm's PDPT entries 0-3, then 2 MiB pages for
 * [4 GiB, 4 GiB + @high). */
static uint64_t map_high(uint64_t high)
{
	const uint64_t *old_pml4 = (const uint64_t *)(read_cr3() & PTE_ADDR);
	const uint64_t *old_pdpt = (const uint64_t *)(old_pml4[0] & PTE_ADDR);
	uint64_t n = (high + 0x1FFFFF) >> 21;

	if (n > HIGH_PDS * 512)
		n = HIGH_PDS * 512;
	for (unsigned i = 0; i < 4; i++)
		pdpt[i] = old_pdpt[i];
	for (unsigned i = 0; i < HIGH_PDS; i++)
		pdpt[4 + i] = (uint64_t)pd[i] | PTE_P | PTE_RW;
	for (uint64_t i = 0; i < n; i++)
		pd[i / 512][i % 512] = (4 * GIB + (i << 21)) | PTE_P | PTE_RW | PTE_PS;
	pml4[0] = (uint64_t)pdpt | PTE_P | PTE_RW;
	return (uint64_t)pml4;
}

static void check_high(uint32_t mem_mib)
{
	uint64_t ram = (uint64_t)mem_mib << 20, high = ram - 3 * GIB, cr3 = read_cr3();
	uint64_t top = 4 * GIB + high - 8, pa = 0;
	volatile uint64_t *lo0 = (volatile uint64_t *)0x1000, *lo1 = (volatile uint64_t *)_start;
	volatile uint64_t *lo2 = (volatile uint64_t *)(top - 4 * GIB);
	volatile uint64_t *hi0 = (volatile uint64_t *)(4 * GIB + 0x1000);
	volatile uint64_t *hi1 = (volatile uint64_t *)(4 * GIB + (uint64_t)_start);
	volatile uint64_t *hi2 = (volatile uint64_t *)top;
	volatile uint8_t *hb = (volatile uint8_t *)(4 * GIB + 0x12345);
	uint64_t l0 = *lo0, l1 = *lo1, l2 = *lo2, h0, h1, h2;
	uint8_t b;

	/* docs/boot.md: "LM64 page tables: ... 0-4 GiB identity". A finding, not a fault:
	 * Linux's startup_64 builds its own tables before touching memory above 4 GiB. */
	check("pt.ends_at_4g", !pt_translate(cr3, 4 * GIB, false, &pa),
	      "4 GiB is mapped (to 0x%x_%08x): docs/boot.md says 0-4 GiB", HI32(pa), LO32(pa));
	printf("  vfvm's boot page tables map [0, 4 GiB) only; the guest maps [4 GiB, 0x%x_%08x)\n",
	       HI32(top + 8), LO32(top + 8));
	write_cr3(map_high(high));
	check("high.mapped", pt_identity(read_cr3(), 4 * GIB) && pt_identity(read_cr3(), top) &&
			     pt_identity(read_cr3(), (uint64_t)_start),
	      "own page tables do not map 4 GiB..top and the image");
	*hi0 = 0x1122334455667788ull;
	*hi1 = 0x99AABBCCDDEEFF00ull;
	*hi2 = 0x0F1E2D3C4B5A6978ull;
	*hb = 0xA5;
	barrier();
	h0 = *hi0, h1 = *hi1, h2 = *hi2, b = *hb;
	check("high.rw", h0 == 0x1122334455667788ull && h1 == 0x99AABBCCDDEEFF00ull &&
			 h2 == 0x0F1E2D3C4B5A6978ull,
	      "read back 0x%x_%08x 0x%x_%08x 0x%x_%08x", HI32(h0), LO32(h0), HI32(h1), LO32(h1),
	      HI32(h2), LO32(h2));
	check_eq("high.byte", b, 0xA5);
	/* Each high address minus 4 GiB is low RAM that must not have changed (no wrap-around
	 * of the guest-physical address into the first 4 GiB). */
	check("high.no_alias", *lo0 == l0 && *lo1 == l1 && *lo2 == l2,
	      "low memory changed: 0x%x_%08x 0x%x_%08x 0x%x_%08x", HI32(*lo0), LO32(*lo0),
	      HI32(*lo1), LO32(*lo1), HI32(*lo2), LO32(*lo2));
	write_cr3(cr3);
	check("high.back_to_boot_tables", read_cr3() == cr3, "cr3 0x%x", LO32(read_cr3()));
}

void guest_main(uint32_t magic, uint32_t info)
{
	uint64_t bp = entry64_state.rsi;
	static struct memmap m;
	uint32_t mem_mib = cmdline_uint(EXPECT_CMDLINE, "mem", 0);

	(void)magic;
	(void)info;
	vml64_check_bss(bss_probe, 512);
	vml64_check_cpu();
	vml64_check_header(bp, EXPECT_CMDLINE);
	vml64_check_paging(bp);
	vml64_check_e820(bp, mem_mib, &m);
	vml64_check_initrd(bp, &m, mem_mib, cmdline_uint(EXPECT_CMDLINE, "initrd_len", 0),
			   cmdline_uint(EXPECT_CMDLINE, "initrd_seed", 0));
	if (check("e820.high_entry", memmap_is_ram(&m, 4 * GIB, ((uint64_t)mem_mib << 20) - 3 * GIB),
		  "no RAM entry at 4 GiB"))
		check_high(mem_mib);
}
