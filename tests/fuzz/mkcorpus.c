/* mkcorpus.c - writes the seed corpora of the libFuzzer targets (tests/fuzz/corpus/<target>/)
 * in each harness's input format, so the fuzzers start from inputs that already reach deep
 * states (BARs decoded, MSI-X enabled, kernels loaded...). `make fuzz-corpus` runs it. */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <linux/vfio.h>

static uint8_t buf[65536];
static size_t len;
static const char *root;

static void put(uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n && len < sizeof(buf); i++)
		buf[len++] = (uint8_t)(v >> (8 * i));
}

static void emit(const char *target, const char *name)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, target);
	if (mkdir(path, 0755) && errno != EEXIST)
		goto fail;
	snprintf(path, sizeof(path), "%s/%s/%s", root, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f))
		goto fail;
	len = 0;
	return;
fail:
	perror(path);
	exit(1);
}

/* --- pci_config (fuzz_pci_config.c): op bytes 0 cfg, 3 raw, 4 bar, 5 irq, 7 reset/eoi --- */
enum { DEV_BRIDGE, DEV_TESTDEV, DEV_FZ0, DEV_FZ1 };

static void cfg_wr(unsigned dev, unsigned reg, unsigned len, uint32_t v)
{
	unsigned ctl = (len == 1 ? 0 : len == 2 ? 1 : 2) | (reg & 3) << 2 | 0x10;

	put(0, 1), put(dev, 1), put(reg & 0xfc, 1), put(ctl, 1), put(v, 4);
}

static void cfg_rd(unsigned dev, unsigned reg, unsigned len)
{
	unsigned ctl = (len == 1 ? 0 : len == 2 ? 1 : 2) | (reg & 3) << 2;

	put(0, 1), put(dev, 1), put(reg & 0xfc, 1), put(ctl, 1), put(0, 4);
}

static void bar_acc(unsigned pick, unsigned off, unsigned len, int write, uint64_t v)
{
	put(4, 1), put(pick, 1);
	put((len == 1 ? 0 : len == 2 ? 1 : len == 4 ? 2 : 3) | 4 | (write ? 8 : 0), 1);
	put(off, 4), put(v, 8);
}

/* Size every BAR (all-ones, read back), then place them. */
static void program_bars(unsigned dev, const uint32_t *addr)
{
	for (unsigned i = 0; i < 7; i++) {
		unsigned reg = i == 6 ? 0x30 : 0x10 + 4 * i;

		cfg_wr(dev, reg, 4, 0xffffffff);
		cfg_rd(dev, reg, 4);
		cfg_wr(dev, reg, 4, addr[i]);
	}
	cfg_wr(dev, 0x04, 2, 0x0007);		/* I/O, memory, bus master */
}

/* Message Control enables wherever the capabilities are: MSI bit 0, MSI-X bit 15. */
static void enable_msi_everywhere(unsigned dev, uint32_t ctrl)
{
	for (unsigned reg = 0x40; reg < 0x100; reg += 4)
		cfg_wr(dev, reg + 2, 2, ctrl);
}

static void pci_seeds(void)
{
	static const uint32_t fz0[7] = { 0xc001, 0xd0000000, 0xe000000c, 0, 0xd0010000,
					 0xc101, 0xd0020001 };
	static const uint32_t td[7] = { 0xc201, 0xd0100000, 0xe010000c, 0, 0xd0101000, 0,
					0xd0102001 };
	static const uint32_t clash[7] = { 0xc001, 0xd0000000, 0xd000000c, 0, 0xd0000000,
					   0xc001, 0xd0000001 };

	for (unsigned s = 0; s < 32; s++)		/* enumeration */
		put(0, 1), put(0x80 | s, 1), put(0, 1), put(2, 1), put(0, 4);
	emit("pci_config", "enumerate");

	program_bars(DEV_FZ0, fz0);
	for (unsigned k = 0; k < 8; k++)
		bar_acc(k, 0x10 * k, 4, k & 1, 0x1122334455667788ULL);
	enable_msi_everywhere(DEV_FZ0, 0x8000);
	for (unsigned v = 0; v < 4; v++) {		/* MSI-X table entries through BAR1 */
		for (unsigned k = 0; k < 6; k++)
			bar_acc(k, v * 16, 4, 1, 0xfee00000 + v);
		put(5, 1), put(1, 1), put(v, 1);	/* notify fz.0 */
	}
	put(7, 1), put(0, 1);				/* reset */
	emit("pci_config", "fz0-msix");

	program_bars(DEV_TESTDEV, td);
	enable_msi_everywhere(DEV_TESTDEV, 0x0001);
	for (unsigned k = 0; k < 6; k++)
		bar_acc(k, 0x0c, 4, 1, 1);		/* INTx assert */
	put(7, 1), put(200, 1), put(0, 1);		/* EOI */
	for (unsigned k = 0; k < 6; k++)
		bar_acc(k, 0x10, 4, 1, k);		/* MSI trigger */
	emit("pci_config", "testdev-msi");

	program_bars(DEV_FZ0, clash);
	program_bars(DEV_TESTDEV, clash);
	program_bars(DEV_FZ1, clash);
	cfg_wr(DEV_FZ0, 0x10, 4, 0xfec00000);
	emit("pci_config", "bar-clash");

	enable_msi_everywhere(DEV_FZ1, 0x0071);
	cfg_wr(DEV_FZ1, 0x04, 2, 0x0004);
	for (unsigned v = 0; v < 6; v++)
		put(5, 1), put(2, 1), put(v, 1);
	put(5, 1), put(0x82, 1), put(0, 1);		/* INTx on fz.1 */
	put(5, 1), put(0xc2, 1), put(0, 1);
	put(3, 1), put(0x0d, 1), put(0x12345678, 4);	/* word at 0xCF9 */
	put(6, 1), put(0x0738, 2), put(0xffe, 2), put(0x12, 1), put(0xffffffff, 4);
	emit("pci_config", "fz1-msi-intx");
}


/* --- boot (fuzz_boot.c): loader byte (0 bzImage, 1 vmlinux, 2 Multiboot, 3 detect),
 * options byte (bit 0 initrd, bit 1 modules, bits 2-3 command line), image --- */
static void at16(size_t off, uint16_t v) { memcpy(buf + off, &v, 2); }
static void at32(size_t off, uint32_t v) { memcpy(buf + off, &v, 4); }
static void at64(size_t off, uint64_t v) { memcpy(buf + off, &v, 8); }

/* A boot protocol 2.15 bzImage: 4 setup sectors, 512 bytes of protected-mode code (boot.rst). */
static void bz_image(uint8_t loader, uint8_t opt, uint16_t version)
{
	size_t b = 2;

	memset(buf, 0, 2 + 5 * 512 + 512);
	buf[0] = loader, buf[1] = opt;
	buf[b + 0x1F1] = 4;
	at32(b + 0x1F4, 512 / 16);
	at16(b + 0x1FA, 0xFFFF);
	at16(b + 0x1FE, 0xAA55);
	buf[b + 0x200] = 0xEB, buf[b + 0x201] = 0x6A;
	memcpy(buf + b + 0x202, "HdrS", 4);
	at16(b + 0x206, version);
	buf[b + 0x211] = 0x01;			/* LOADED_HIGH */
	at32(b + 0x214, 0x100000);
	at32(b + 0x22C, 0x7FFFFFFF);		/* initrd_addr_max */
	at32(b + 0x230, 0x200000);		/* kernel_alignment */
	buf[b + 0x234] = 1, buf[b + 0x235] = 21;
	at32(b + 0x238, 2047);			/* cmdline_size */
	at64(b + 0x258, 0x1000000);		/* pref_address */
	at32(b + 0x260, 0x800000);		/* init_size */
	for (size_t i = 0; i < 512; i++)
		buf[b + 5 * 512 + i] = (uint8_t)(i * 7 + 3);
	len = 2 + 5 * 512 + 512;
}

/* An ELF executable with two PT_LOAD segments at file offsets 0x200 and 0x400. */
static void elf_image(uint8_t loader, uint8_t opt, int is64, uint64_t vbase, uint64_t pbase,
		      uint64_t entry)
{
	size_t b = 2;

	memset(buf, 0, 2 + 0x600);
	buf[0] = loader, buf[1] = opt;
	if (is64) {
		Elf64_Ehdr eh = { .e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = 1,
				  .e_entry = entry, .e_phoff = sizeof(eh), .e_ehsize = sizeof(eh),
				  .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 2 };

		for (int i = 0; i < 2; i++) {
			Elf64_Phdr ph = { PT_LOAD, PF_R | PF_X, 0x200 + 0x200 * i,
					  vbase + 0x100000 * i, pbase + 0x100000 * i, 0x200,
					  0x1000, 0x1000 };

			memcpy(buf + b + sizeof(eh) + i * sizeof(ph), &ph, sizeof(ph));
		}
		memcpy(buf + b, &eh, sizeof(eh));
	} else {
		Elf32_Ehdr eh = { .e_type = ET_EXEC, .e_machine = EM_386, .e_version = 1,
				  .e_entry = entry, .e_phoff = sizeof(eh), .e_ehsize = sizeof(eh),
				  .e_phentsize = sizeof(Elf32_Phdr), .e_phnum = 2 };

		for (int i = 0; i < 2; i++) {
			Elf32_Phdr ph = { PT_LOAD, 0x200 + 0x200 * i, vbase + 0x100000 * i,
					  pbase + 0x100000 * i, 0x200, 0x1000, PF_R | PF_X,
					  0x1000 };

			memcpy(buf + b + sizeof(eh) + i * sizeof(ph), &ph, sizeof(ph));
		}
		memcpy(buf + b, &eh, sizeof(eh));
	}
	memcpy(buf + b, ELFMAG, SELFMAG);
	buf[b + EI_CLASS] = is64 ? ELFCLASS64 : ELFCLASS32;
	buf[b + EI_DATA] = ELFDATA2LSB;
	buf[b + EI_VERSION] = EV_CURRENT;
	for (size_t i = 0x200; i < 0x600; i++)
		buf[b + i] = (uint8_t)(i * 13);
	len = 2 + 0x600;
}

/* Multiboot header (§3.1.1) at file offset @hdr with @flags; bit 16: a.out kludge fields. */
static void mb_header(size_t hdr, uint32_t flags)
{
	at32(2 + hdr, 0x1BADB002);
	at32(2 + hdr + 4, flags);
	at32(2 + hdr + 8, -(0x1BADB002 + flags));
	if (flags & 0x10000) {
		at32(2 + hdr + 12, 0x100000 + hdr);	/* header_addr */
		at32(2 + hdr + 16, 0x100000);		/* load_addr */
		at32(2 + hdr + 20, 0x100000 + 0x600);	/* load_end_addr */
		at32(2 + hdr + 24, 0x104000);		/* bss_end_addr */
		at32(2 + hdr + 28, 0x100080);		/* entry_addr */
	}
}

static void boot_seeds(void)
{
	bz_image(0, 0x09, 0x020F), emit("boot", "bzimage-2.15");
	bz_image(0, 0x09, 0x0206), emit("boot", "bzimage-2.06");
	bz_image(0, 0x0c, 0x020F), emit("boot", "bzimage-longcmd");
	bz_image(3, 0x00, 0x020F), emit("boot", "detect-bzimage");
	/* Regression: without an initrd the image's own ramdisk_image/size reached the kernel. */
	bz_image(0, 0x08, 0x020F), at32(2 + 0x218, 0x100000), at32(2 + 0x21C, 0x10000000);
	emit("boot", "regress-bzimage-ramdisk-fields");
	elf_image(1, 0x09, 1, 0xffffffff81000000ULL, 0x1000000, 0xffffffff81000040ULL);
	emit("boot", "vmlinux");
	elf_image(3, 0x00, 1, 0x1000000, 0x1000000, 0x1000000), emit("boot", "detect-vmlinux");
	elf_image(2, 0x0a, 0, 0xC0100000, 0x100000, 0xC0100010);
	mb_header(0x200, 0x3), emit("boot", "multiboot-elf32");
	elf_image(2, 0x00, 1, 0x100000, 0x100000, 0x100020);
	mb_header(0x200, 0x0), emit("boot", "multiboot-elf64");
	memset(buf, 0, 2 + 0x600), buf[0] = 2, buf[1] = 0x0a, len = 2 + 0x600;
	mb_header(0x40, 0x10003), emit("boot", "multiboot-aout");
	memset(buf, 0, 2 + 0x600), buf[0] = 3, buf[1] = 0x02, len = 2 + 0x600;
	mb_header(0x40, 0x10007), emit("boot", "detect-multiboot-video");
}

/* --- legacy (fuzz_legacy.c): op byte % 14 selects the device; see the harness --- */
static void pic_wr(unsigned chip, unsigned a0, uint8_t v)
{
	put(chip, 1), put(a0 ? 0x0c : 0x18, 1), put(v, 4);	/* 1 byte at A0, write */
}

static void pic_init(uint8_t icw4)
{
	pic_wr(0, 0, 0x11), pic_wr(0, 1, 0x20), pic_wr(0, 1, 0x04), pic_wr(0, 1, icw4);
	pic_wr(1, 0, 0x11), pic_wr(1, 1, 0x28), pic_wr(1, 1, 0x02), pic_wr(1, 1, icw4);
	pic_wr(0, 1, 0x00), pic_wr(1, 1, 0x00);			/* OCW1: unmask all */
}

static void irq(unsigned n, int level) { put(3, 1), put(n | (level ? 0x80 : 0), 1); }
static void inta(void) { put(4, 1); }
static void tstep(uint8_t ctl, uint32_t ns) { put(11, 1), put(ctl, 1), put(ns, 4); }

static void ioapic_wr(unsigned win, uint64_t v)
{
	put(5, 1), put(0x0e, 1), put(win, 2), put(v, 8);	/* dword to IOREGSEL / IOWIN */
}

static void ioapic_pin(unsigned pin, uint32_t lo, uint32_t hi)
{
	ioapic_wr(0, 0x10 + 2 * pin), ioapic_wr(1, lo);
	ioapic_wr(0, 0x11 + 2 * pin), ioapic_wr(1, hi);
}

static void pit_wr(unsigned port, uint8_t v) { put(8, 1), put(0x40 | port, 1), put(v, 4); }
static void pit_rd(unsigned port) { put(8, 1), put(port, 1), put(0, 4); }
static void uart_wr(unsigned port, uint8_t v) { put(9, 1), put(0x48 | port, 1), put(v, 4); }
static void uart_rd(unsigned port) { put(9, 1), put(port, 1), put(0, 4); }
static void rtc_wr(uint8_t idx, uint8_t v) { put(10, 1), put(0x42, 1), put(idx, 4);
					     put(10, 1), put(0x43, 1), put(v, 4); }
static void rtc_rd(uint8_t idx) { put(10, 1), put(0x42, 1), put(idx, 4);
				  put(10, 1), put(0x01, 1), put(0, 4); }

static void uart_rx_bytes(unsigned n)
{
	/* ctl bit 7: receive; ctl % 24 bytes (0x80: 8, 0x88: 16, 0x8f: 23) */
	put(9, 1), put(n == 16 ? 0x88 : n == 8 ? 0x80 : 0x8f, 1), put(0, 4);
	for (unsigned i = 0; i < n; i++)
		put('a' + i, 1);
}

static void legacy_seeds(void)
{
	pic_init(0x01);
	irq(1, 1), inta(), pic_wr(0, 0, 0x20), irq(1, 0);
	put(2, 1), put(0x0c, 1), put(0x02, 4);			/* ELCR2: IRQ9 level */
	irq(9, 1), inta(), pic_wr(1, 0, 0x20), pic_wr(0, 0, 0x20), inta(), irq(9, 0);
	pic_wr(0, 0, 0x0b), put(0, 1), put(0x00, 1), put(0, 4);	/* read ISR */
	pic_wr(0, 0, 0x0c), put(0, 1), put(0x00, 1), put(0, 4);	/* poll */
	emit("legacy", "pic");

	pic_init(0x03);						/* auto-EOI */
	irq(3, 1), irq(12, 1), inta(), inta(), inta(), irq(3, 0), inta();
	pic_wr(0, 0, 0xc7), pic_wr(0, 0, 0x68), irq(5, 1), inta();	/* rotate, SMM */
	emit("legacy", "pic-aeoi");

	ioapic_pin(2, 0x30, 0);
	ioapic_pin(4, 0x34, 0x01000000);
	ioapic_pin(9, 0x8039, 0);					/* level */
	put(6, 1), put(0x89, 1), put(7, 1), put(0x39, 1), put(6, 1), put(0x09, 1);
	put(7, 1), put(0x39, 1), ioapic_wr(0, 1), put(5, 1), put(0x0a, 1), put(1, 2), put(0, 8);
	ioapic_wr(0, 0), ioapic_wr(1, 0x0f000000);			/* ID */
	emit("legacy", "ioapic");

	pic_init(0x01);
	ioapic_pin(2, 0x30, 0);
	pit_wr(3, 0x34), pit_wr(0, 0xa9), pit_wr(0, 0x04);		/* mode 2, 1193 */
	tstep(0, 1000000), inta(), pic_wr(0, 0, 0x20), tstep(1, 0), tstep(1, 0);
	pit_wr(3, 0x00), pit_rd(0), pit_rd(0);				/* latch */
	pit_wr(3, 0xb6), pit_wr(2, 0x00), pit_wr(2, 0x10);		/* counter 2, mode 3 */
	put(8, 1), put(0xc0, 1), put(0x03, 4), tstep(0, 5000000);	/* gate, speaker */
	put(8, 1), put(0x80, 1), put(0, 4);
	pit_wr(3, 0xe2), pit_rd(0), pit_wr(3, 0x30), pit_wr(0, 0x01), pit_wr(0, 0x00);
	tstep(0x0e, 100000);						/* count 1, big step */
	emit("legacy", "pit");

	uart_wr(3, 0x80), uart_wr(0, 0x01), uart_wr(1, 0x00), uart_wr(3, 0x03);
	uart_wr(2, 0xc7), uart_wr(1, 0x0f), uart_wr(4, 0x0b);
	uart_rx_bytes(16), uart_rd(2), uart_rd(5), uart_rd(0), uart_rx_bytes(23);
	for (int i = 0; i < 18; i++)
		uart_rd(0);
	uart_wr(0, 'x'), uart_rd(2), uart_wr(4, 0x1b), uart_wr(0, 'y'), uart_rd(0);
	uart_wr(2, 0x00), uart_rx_bytes(8), uart_rd(5), uart_rd(6), uart_wr(7, 0x55), uart_rd(7);
	emit("legacy", "uart");

	rtc_wr(0x0a, 0x26), rtc_wr(0x0b, 0x42), tstep(1, 0), rtc_rd(0x0c), tstep(1, 0);
	rtc_wr(0x01, 0xc0), rtc_wr(0x03, 0xc0), rtc_wr(0x05, 0xc0), rtc_wr(0x0b, 0x32);
	tstep(0x02, 2000000), rtc_rd(0x0c), rtc_rd(0x00), rtc_rd(0x32), rtc_rd(0x34);
	rtc_wr(0x0b, 0x86), rtc_wr(0x00, 0x59), rtc_wr(0x04, 0x23), rtc_wr(0x0b, 0x06);
	tstep(0x0e, 1000000), rtc_rd(0x00), rtc_rd(0x04), rtc_rd(0x0d);
	put(13, 1), put(0, 1);						/* reset */
	emit("legacy", "rtc");
}

/* --- vfio_plan (fuzz_vfio_plan.c): u64 size (log2 unless flags 0x40), u8 flags (1 mmap,
 * 0x80 exclusions inside), u8 page/max, u8 exclusions, {u64 off, u64 size}..., region info --- */
static void plan_head(unsigned log2, uint8_t flags, uint8_t pm, unsigned nex, const uint64_t *ex)
{
	put(log2, 8), put(flags, 1), put(pm, 1), put(nex, 1);
	for (unsigned i = 0; i < 2 * nex; i++)
		put(ex[i], 8);
}

/* struct vfio_region_info (linux/vfio.h), then a sparse-mmap capability with @n areas at
 * offset 32, optionally followed by MSIX_MAPPABLE. */
static void plan_info(unsigned n, const uint64_t *areas, int msix_mappable)
{
	uint32_t sparse_len = 16 + 16 * n;

	put(32 + sparse_len + (msix_mappable ? 8 : 0), 4);	/* argsz */
	put(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_MMAP |
	    (n || msix_mappable ? VFIO_REGION_INFO_FLAG_CAPS : 0), 4);
	put(0, 4), put(n || msix_mappable ? 32 : 0, 4);		/* index, cap_offset */
	put(0, 8), put(0, 8);					/* size, offset */
	put(VFIO_REGION_INFO_CAP_SPARSE_MMAP, 2), put(1, 2);
	put(msix_mappable ? 32 + sparse_len : 0, 4);		/* next */
	put(n, 4), put(0, 4);
	for (unsigned i = 0; i < 2 * n; i++)
		put(areas[i], 8);
	if (msix_mappable)
		put(VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, 2), put(1, 2), put(0, 4);
}

static void vfio_plan_seeds(void)
{
	static const uint64_t nvme_ex[4] = { 0x2000, 0x60, 0x3000, 8 };
	static const uint64_t nvme_sp[4] = { 0, 0x2000, 0x3000, 0x1000 };
	static const uint64_t wrap[2] = { 0xfffffffffffff000ULL, 0x2000 };
	static const uint64_t overlap[4] = { 0, 0x2000, 0x1000, 0x2000 };
	static const uint64_t big_ex[2] = { 0x8000, 0x800 };

	plan_head(14, 0x81, 0x7c, 2, nvme_ex), plan_info(2, nvme_sp, 0);
	emit("vfio_plan", "nvme-sparse");
	plan_head(14, 0x81, 0x7c, 0, NULL), plan_info(2, nvme_sp, 1);
	emit("vfio_plan", "msix-mappable");
	plan_head(20, 0x81, 0x7f, 1, big_ex), plan_info(0, NULL, 0);
	emit("vfio_plan", "whole-64k-pages");
	/* Regressions: a sparse area whose offset + size wraps past 2^64 was kept (it lies
	 * outside the region); overlapping sparse areas became overlapping memory slots. */
	plan_head(14, 0x81, 0x7c, 0, NULL), plan_info(1, wrap, 0);
	emit("vfio_plan", "regress-sparse-wrap");
	plan_head(14, 0x81, 0x7c, 0, NULL), plan_info(2, overlap, 0);
	emit("vfio_plan", "regress-sparse-overlap");
}

/* --- vfio_pci (fuzz_vfio_pci.c): 16 header bytes, capability chain, 256 config bytes,
 * then op byte % 8: 0 config cycle, 3 BAR, 4 host interrupt, 5 EOI, 6 device-side, 7 reset */
static uint8_t vcfg[256];

static void vc16(unsigned off, uint16_t v) { memcpy(vcfg + off, &v, 2); }
static void vc32(unsigned off, uint32_t v) { memcpy(vcfg + off, &v, 4); }

/* Like tests/unit/test_vfio_pci.c's device: PM, MSI (64-bit, maskable, 4), PCIe endpoint,
 * MSI-X (6 vectors, table BAR3+0, PBA BAR3+0x2000), Advanced Features (hidden). */
static void vfio_dev(void)
{
	memset(vcfg, 0, sizeof(vcfg));
	vc16(0x00, 0x8086), vc16(0x02, 0x10d3), vc32(0x08, 0x02000001), vc16(0x06, 0x0010);
	vc32(0x10, 0), vc32(0x18, 1), vc32(0x1c, 0), vc32(0x2c, 0x00011af4);
	vcfg[0x3d] = 1, vcfg[0x34] = 0x40;
	vcfg[0x40] = 0x01, vcfg[0x41] = 0x50, vc16(0x42, 0x0003);
	vcfg[0x50] = 0x05, vcfg[0x51] = 0x70, vc16(0x52, 0x0180 | (2 << 1));
	vcfg[0x70] = 0x10, vcfg[0x71] = 0xa0, vc16(0x72, 0x0002), vc32(0x7c, 0x00003c41);
	vcfg[0xa0] = 0x11, vcfg[0xa1] = 0xb0, vc16(0xa2, 5), vc32(0xa4, 3), vc32(0xa8, 0x2003);
	vcfg[0xb0] = 0x13;
}

static void vfio_head(uint8_t flags, int sparse)
{
	/* BAR0 128K mmap, BAR2 32 B I/O, BAR3 16K mmap; ROM 64K; INTx, 4 MSI, 6 MSI-X */
	put(flags, 1), put(0x80 | 17, 1), put(0, 1), put(5, 1), put(0x80 | 14, 1), put(0, 1);
	put(0, 1), put(16, 1), put(1, 1), put(4, 1), put(6, 2);
	put(sparse ? 3 : 8, 1), put(sparse ? 48 : 0, 1), put(0, 2);
	if (sparse) {	/* BAR3: sparse areas around the MSI-X table page */
		put(VFIO_REGION_INFO_CAP_SPARSE_MMAP, 2), put(1, 2), put(0, 4);
		put(2, 4), put(0, 4), put(0x1000, 8), put(0x1000, 8), put(0x3000, 8), put(0x1000, 8);
	}
	for (unsigned i = 0; i < 256; i++)
		put(vcfg[i], 1);
}

static void vcfg_wr(unsigned reg, unsigned l, uint32_t v)
{
	put(0, 1), put(reg & 0xfc, 1), put((l == 1 ? 0 : l == 2 ? 1 : 2) | (reg & 3) << 2 | 0x10, 1);
	put(v, 4);
}

static void vcfg_rd(unsigned reg)
{
	put(0, 1), put(reg & 0xfc, 1), put(2, 1), put(0, 4);
}

static void vfio_pci_seeds(void)
{
	vfio_dev();
	vfio_head(1, 0);
	for (unsigned r = 0; r < 0x100; r += 4)
		vcfg_rd(r);
	emit("vfio_pci", "walk");

	vfio_head(1, 1);
	vcfg_wr(0x10, 4, 0xffffffff), vcfg_rd(0x10), vcfg_wr(0x10, 4, 0xd0000000);
	vcfg_wr(0x18, 4, 0xffffffff), vcfg_wr(0x18, 4, 0xc001);
	vcfg_wr(0x1c, 4, 0xd0100000), vcfg_wr(0x30, 4, 0xd0200001);
	vcfg_wr(0x04, 2, 0x0007);
	vcfg_wr(0xa2, 2, 0x8000);					/* MSI-X enable */
	for (unsigned k = 0; k < 4; k++)
		put(3, 1), put(k, 1), put(0x0e, 1), put(0x10 * k, 4), put(0xfee00000, 8);
	put(4, 1), put(0, 1), put(4, 1), put(1, 1);
	vcfg_wr(0xa2, 2, 0xc000), vcfg_wr(0xa2, 2, 0x0000);		/* mask, disable */
	vcfg_wr(0x52, 2, 0x0001), put(4, 1), put(0, 1);			/* MSI */
	vcfg_wr(0x04, 2, 0x0003), put(4, 1), put(0, 1), put(5, 1), put(0, 1);	/* INTx */
	put(6, 1), put(0x06, 1), put(0x08, 1), vcfg_rd(0x04);
	vcfg_wr(0x78, 2, 0x8010);						/* FLR */
	put(7, 1), put(0, 1);
	emit("vfio_pci", "program");

	vfio_dev();
	vcfg[0x51] = 0x40;						/* MSI points at PM: a loop */
	vcfg[0xa1] = 0xa1;						/* misaligned */
	vfio_head(0, 0), vcfg_rd(0x34);
	emit("vfio_pci", "cap-loop");

	vfio_dev();
	vcfg[0x0e] = 0x01;						/* a bridge */
	vfio_head(3, 0);
	emit("vfio_pci", "bridge");
}

/* --- extcap (fuzz_extcap.c): u8 BAR size selector x6, u16 failing read, config from 0x100 --- */
static void ext_hdr(unsigned id, unsigned ver, unsigned next)
{
	put(id | ver << 16 | next << 20, 4);
}

static void extcap_seeds(void)
{
	/* The lab's e1000e: AER v2 at 0x100 (0x48 bytes), DSN at 0x140. */
	put(0, 6), put(0, 2);
	ext_hdr(0x0001, 2, 0x140);
	for (unsigned i = 4; i < 0x40; i += 4)
		put(0, 4);
	ext_hdr(0x0003, 1, 0), put(0xff123456, 4), put(0x525400ff, 4);
	emit("extcap", "e1000e");
	/* ReBAR for BAR0 (256 MB: selector 17) and a VSEC, then a loop back to 0x100. */
	put(17, 1), put(0, 5), put(0, 2);
	ext_hdr(0x0015, 1, 0x110), put(0x00fffff0, 4), put(0 | 1 << 5 | 8 << 8, 4), put(0, 4);
	ext_hdr(0x000b, 1, 0x100), put(0x010 << 20 | 0x0001, 4), put(0xdeadbeef, 4), put(0, 4);
	emit("extcap", "rebar-vsec-loop");
}

/* --- virtio_net (fuzz_virtio_net.c): features, queue size exponents, then ops 0 desc,
 * 2 poke, 3 kick, 4 frame on the tap --- */
#define NF(x) (1u << (x))

static void net_head(void)
{
	/* CSUM, GUEST_CSUM, MAC, HOST_TSO4, MRG_RXBUF, STATUS, CTRL_VQ, CTRL_RX, CTRL_MAC_ADDR */
	put(NF(0) | NF(1) | NF(5) | NF(11) | NF(15) | NF(16) | NF(17) | NF(18) | NF(23), 4);
	put(4, 1), put(4, 1), put(4, 1);
}

/* Descriptor @i of queue @q in the buffer area at @off, @len (< 80), @flags, made available
 * if @avail. */
static void net_desc(unsigned q, unsigned i, unsigned off, unsigned len, unsigned flags,
		     unsigned next, int avail)
{
	put(0, 1), put(q, 1), put(i, 1), put(flags | (avail ? 0x40 : 0), 1);
	put(off, 2), put(len, 1), put(next, 1);
}

static void net_poke(unsigned off, const uint8_t *b, unsigned n)
{
	put(2, 1), put(off, 2), put(n, 1);
	for (unsigned i = 0; i < n; i++)
		put(b[i], 1);
}

static void virtio_net_seeds(void)
{
	static const uint8_t hdr_csum[12] = { 1, 0, 0, 0, 0, 0, 34, 0, 16, 0 };
	static const uint8_t promisc[3] = { 0, 0, 1 }, macset[8] = { 1, 1, 2, 0, 0, 0, 0, 9 };
	static const uint8_t table[10] = { 1, 0, 0, 0, 0, 0, 1, 0, 0, 0 };

	net_head();
	net_desc(1, 0, 0, 60, 0, 0, 1);
	net_poke(0, hdr_csum, 12);
	put(3, 1), put(1, 1);
	emit("virtio_net", "tx-csum");

	net_head();
	net_desc(0, 0, 0x100, 79, 2, 0, 1), net_desc(0, 1, 0x200, 79, 2, 0, 1);
	put(4, 1), put(0, 1), put(120, 2);		/* to our MAC, split over two buffers */
	put(4, 1), put(2, 1), put(60, 2);		/* broadcast */
	emit("virtio_net", "rx-merge");

	net_head();
	net_desc(2, 1, 0x410, 1, 1, 2, 0), net_desc(2, 2, 0x420, 1, 2, 0, 0);
	net_desc(2, 0, 0x400, 2, 1, 1, 1);
	net_poke(0x400, promisc, 2), net_poke(0x410, promisc + 2, 1);
	put(3, 1), put(2, 1);
	net_desc(2, 4, 0x440, 8, 1, 5, 0), net_desc(2, 5, 0x460, 1, 2, 0, 0);
	net_desc(2, 3, 0x430, 2, 1, 4, 1);
	net_poke(0x430, macset, 2), net_poke(0x440, macset + 2, 6);
	put(3, 1), put(2, 1);
	net_desc(2, 7, 0x480, 10, 1, 8, 0), net_desc(2, 8, 0x4a0, 1, 2, 0, 0);
	net_desc(2, 6, 0x470, 2, 1, 7, 1);
	net_poke(0x470, (const uint8_t[]){ 1, 0 }, 2), net_poke(0x480, table, 10);
	put(3, 1), put(2, 1);
	emit("virtio_net", "ctrl-promisc-mac-table");
}

/* --- virtio_fs (fuzz_virtio_fs.c): size exponent, then odd = descriptor, even = serve --- */
static void fs_desc(unsigned i, unsigned flags, unsigned off, unsigned len, unsigned next,
		    int avail)
{
	put(1, 1), put(i, 1), put(flags | (avail ? 0x40 : 0), 1), put(off, 2), put(len, 1);
	put(next, 1);
}

static void fs_serve(unsigned op)
{
	put(0, 1), put(8, 1), put(op, 1), put(0x1122334455667788ull, 8);
}

static void virtio_fs_seeds(void)
{
	put(4, 1);
	fs_desc(1, 2, 0x100, 16, 0, 0), fs_desc(0, 1, 0, 40, 1, 1);
	fs_serve(0);					/* LOOKUP */
	emit("virtio_fs", "lookup");

	put(4, 1);
	fs_desc(1, 2, 0x100, 16, 0, 0), fs_desc(0, 1, 0, 40, 1, 1);
	fs_serve(1);					/* FORGET: no reply */
	emit("virtio_fs", "forget");

	put(5, 1);
	fs_desc(3, 2, 0x300, 8, 0, 0), fs_desc(2, 3, 0x200, 8, 3, 0);
	fs_desc(1, 1, 0x100, 24, 2, 0), fs_desc(0, 1, 0, 16, 1, 1);
	fs_serve(4);					/* READ, header and reply split */
	fs_desc(5, 2, 0x500, 15, 0, 0), fs_desc(4, 1, 0x400, 40, 5, 1);
	fs_serve(4);					/* a reply buffer one byte short */
	emit("virtio_fs", "split-short");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mkcorpus DIR\n");
		return 2;
	}
	root = argv[1];
	mkdir(root, 0755);
	pci_seeds();
	boot_seeds();
	legacy_seeds();
	vfio_plan_seeds();
	vfio_pci_seeds();
	extcap_seeds();
	virtio_net_seeds();
	virtio_fs_seeds();
	return 0;
}
