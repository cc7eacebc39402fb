/* mkcorpus.c - writes the seed corpora of the libFuzzer targets (tests/fuzz/corpus/<target>/)
 * in each harness's input format, so the fuzzers start from inputs that already reach deep
 * states (BARs decoded, MSI-X enabled, kernels loaded...). `make fuzz-corpus` runs it. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mkcorpus DIR\n");
		return 2;
	}
	root = argv[1];
	mkdir(root, 0755);
	pci_seeds();
	return 0;
}
