/* testdev.c - the vfvm PCI test device: every BAR type, INTx, MSI, MSI-X, an ioeventfd
 * doorbell and a DMA engine; the reference for plugging a device in. Registers: testdev.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "core/mem.h"
#include "devices.h"
#include "testdev.h"

struct testdev {
	struct pci_dev *d;
	void *ram;
	uint64_t ram_size;
	uint32_t scratch, intx, last, irq_count;
	uint64_t dma_src, dma_dst;
	uint32_t dma_len, dma_status, dma_count;
	uint64_t rings;
	uint32_t db_irq;
	uint8_t rom[TESTDEV_ROM_SIZE];
};

static void td_irq(struct testdev *t, unsigned n)
{
	int r = pci_msi_notify(t->d, n);

	if (r == -ENODEV) {		/* neither MSI nor MSI-X on: pulse INTA# */
		pci_intx_set(t->d, true);
		t->intx = 1;
		r = 0;
	}
	t->last = r < 0 ? -r : 0;
	if (r == 0)
		t->irq_count++;
}

static void td_dma(struct testdev *t, uint32_t cmd)
{
	struct pci_host_ops *o = &t->d->bus->ops;
	bool from_dev = cmd & TESTDEV_DMA_FROM_DEV;
	uint64_t dev_off = from_dev ? t->dma_src : t->dma_dst;
	uint64_t gpa = from_dev ? t->dma_dst : t->dma_src;
	unsigned code = 0;
	int r;

	if (!(pci_cfg_get(t->d, PCI_COMMAND, 2) & PCI_CMD_MASTER))
		code = TESTDEV_DMA_E_MASTER;
	else if (!t->dma_len || dev_off >= t->ram_size || t->dma_len > t->ram_size - dev_off)
		code = TESTDEV_DMA_E_RANGE;
	if (!code) {
		/* Guest RAM is checked by the host side: a bad address is an error, not a crash. */
		if (from_dev)
			r = o->dma_write ? o->dma_write(o->opaque, gpa, (uint8_t *)t->ram + dev_off,
							t->dma_len) : -EFAULT;
		else
			r = o->dma_read ? o->dma_read(o->opaque, gpa, (uint8_t *)t->ram + dev_off,
						      t->dma_len) : -EFAULT;
		if (r < 0)
			code = TESTDEV_DMA_E_FAULT;
	}
	t->dma_status = code ? (TESTDEV_DMA_DONE | TESTDEV_DMA_ERROR | code << 8) : TESTDEV_DMA_DONE;
	if (!code)
		t->dma_count++;
	if (cmd & TESTDEV_DMA_IRQ)
		td_irq(t, 0);
}

/* On the device thread (ioeventfd) or, without one, on the vCPU; vm->lock held either way. */
static void td_ring(struct pci_dev *d, uint64_t count)
{
	struct testdev *t = d->priv;

	t->rings += count;
	if (t->db_irq)
		td_irq(t, t->db_irq - 1);
}

static uint32_t exits(struct testdev *t, bool mmio)
{
	struct pci_host_ops *o = &t->d->bus->ops;

	return o->exit_count ? (uint32_t)o->exit_count(o->opaque, mmio) : 0;
}

static uint32_t td_read(struct testdev *t, uint64_t off)
{
	switch (off) {
	case TESTDEV_ID:	return TESTDEV_ID_VALUE;
	case TESTDEV_VERSION:	return TESTDEV_VERSION_VALUE;
	case TESTDEV_SCRATCH:	return t->scratch;
	case TESTDEV_INTX:	return t->intx;
	case TESTDEV_MSI:	return t->last;
	case TESTDEV_IRQ_COUNT:	return t->irq_count;
	case TESTDEV_DOORBELL:	return (uint32_t)t->rings;
	case TESTDEV_DOORBELL_IRQ: return t->db_irq;
	case TESTDEV_DMA_SRC_LO: return (uint32_t)t->dma_src;
	case TESTDEV_DMA_SRC_HI: return t->dma_src >> 32;
	case TESTDEV_DMA_DST_LO: return (uint32_t)t->dma_dst;
	case TESTDEV_DMA_DST_HI: return t->dma_dst >> 32;
	case TESTDEV_DMA_LEN:	return t->dma_len;
	case TESTDEV_DMA_STATUS: return t->dma_status;
	case TESTDEV_DMA_COUNT:	return t->dma_count;
	case TESTDEV_MMIO_EXITS: return exits(t, true);
	case TESTDEV_IO_EXITS:	return exits(t, false);
	default:		return 0;
	}
}

static void set_lo(uint64_t *r, uint32_t v)
{
	*r = (*r & ~0xffffffffULL) | v;
}

static void set_hi(uint64_t *r, uint32_t v)
{
	*r = (*r & 0xffffffffULL) | (uint64_t)v << 32;
}

static void td_write(struct testdev *t, uint64_t off, uint32_t v)
{
	switch (off) {
	case TESTDEV_SCRATCH:	t->scratch = v; break;
	case TESTDEV_INTX:
		t->intx = v & 1;
		pci_intx_set(t->d, t->intx);
		if (t->intx)
			t->irq_count++;
		break;
	case TESTDEV_MSI:	td_irq(t, v); break;
	case TESTDEV_DOORBELL:	td_ring(t->d, 1); break;	/* reached us: no ioeventfd */
	case TESTDEV_DOORBELL_IRQ: t->db_irq = v; break;
	case TESTDEV_DMA_SRC_LO: set_lo(&t->dma_src, v); break;
	case TESTDEV_DMA_SRC_HI: set_hi(&t->dma_src, v); break;
	case TESTDEV_DMA_DST_LO: set_lo(&t->dma_dst, v); break;
	case TESTDEV_DMA_DST_HI: set_hi(&t->dma_dst, v); break;
	case TESTDEV_DMA_LEN:	t->dma_len = v; break;
	case TESTDEV_DMA_CMD:
		if (v & TESTDEV_DMA_START)
			td_dma(t, v);
		break;
	default:		break;	/* read-only or reserved */
	}
}

static void td_bar(struct pci_dev *d, int bar, uint64_t off, void *data, unsigned len,
		   bool is_write)
{
	struct testdev *t = d->priv;
	uint32_t v = 0;

	/* Registers are DWORDs; the MSI-X BAR outside table/PBA reads 0 and ignores writes. */
	if (bar == TESTDEV_BAR_MSIX || len != 4 || (off & 3) ||
	    (bar == TESTDEV_BAR_IO && off >= TESTDEV_IO_SIZE)) {
		if (!is_write)
			memset(data, bar == TESTDEV_BAR_MSIX ? 0 : 0xff, len);
		return;
	}
	if (is_write) {
		memcpy(&v, data, 4);
		td_write(t, off, v);
	} else {
		v = td_read(t, off);
		memcpy(data, &v, 4);
	}
}


static void td_reset(struct pci_dev *d)
{
	struct testdev *t = d->priv;

	t->scratch = t->intx = t->last = t->irq_count = 0;
	t->dma_src = t->dma_dst = 0;
	t->dma_len = t->dma_status = t->dma_count = 0;
	t->rings = 0;
	t->db_irq = 0;
}

static void td_destroy(struct pci_dev *d)
{
	struct testdev *t = d->priv;

	if (t->ram)
		munmap(t->ram, t->ram_size);
	free(t);
}

static const struct pci_dev_ops td_ops = {
	.bar_access = td_bar,
	.reset = td_reset,
	.destroy = td_destroy,
};

static int td_opts(const char *opts, unsigned *nvec, uint64_t *ram, struct err *err)
{
	char buf[256], *save = NULL, *tok;

	if (strlen(opts) >= sizeof(buf))
		return err_input(err, EINVAL, "--device testdev: options too long");
	strcpy(buf, opts);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;

		if (!strncmp(tok, "vectors=", 8)) {
			unsigned long n = strtoul(tok + 8, &end, 0);

			if (*end || end == tok + 8 || n < 1 || n > 128)
				return err_input(err, EINVAL, "--device testdev: vectors=%s: "
						 "want 1 to 128 MSI-X vectors", tok + 8);
			*nvec = n;
		} else if (!strncmp(tok, "ram=", 4)) {
			if (parse_size(tok + 4, ram) || *ram < 4096 || *ram > (1ULL << 30) ||
			    (*ram & (*ram - 1)))
				return err_input(err, EINVAL, "--device testdev: ram=%s: want a power "
						 "of two from 4K to 1G", tok + 4);
		} else {
			return err_input(err, EINVAL, "--device testdev: unknown option '%s' "
					 "(known: vectors=N, ram=SIZE)", tok);
		}
	}
	return 0;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

/*
 * A well-formed (empty) x86 option ROM image, PCI Firmware 3.0 §5.1: the 0x55AA header with
 * the length in 512-byte units, the pointer at 0x18 to the PCI Data Structure ("PCIR": IDs,
 * class, image length, code type 0 = x86, last-image indicator) and a zero byte sum, so that
 * Linux (pci_map_rom) and firmware accept it.
 */
#define ROM_PCIR 0x40

static void td_rom(struct testdev *t)
{
	static const char id[] = "vfvm testdev option ROM";
	uint8_t *r = t->rom, *pcir = t->rom + ROM_PCIR, sum = 0;

	r[0] = 0x55;
	r[1] = 0xaa;
	r[2] = TESTDEV_ROM_SIZE / 512;
	put16(r + 0x18, ROM_PCIR);
	memcpy(r + 0x20, id, sizeof(id));
	memcpy(pcir, "PCIR", 4);
	put16(pcir + 4, TESTDEV_VENDOR);
	put16(pcir + 6, TESTDEV_DEVICE);
	put16(pcir + 0x0a, 0x18);			/* structure length */
	pcir[0x0c] = 3;					/* structure revision (PCI 3.0) */
	pcir[0x0d] = (uint8_t)(TESTDEV_CLASS_REV >> 8);	/* class code, as in config space */
	pcir[0x0e] = (uint8_t)(TESTDEV_CLASS_REV >> 16);
	pcir[0x0f] = (uint8_t)(TESTDEV_CLASS_REV >> 24);
	put16(pcir + 0x10, TESTDEV_ROM_SIZE / 512);	/* image length */
	pcir[0x14] = 0;					/* code type: x86 */
	pcir[0x15] = 0x80;				/* last image */
	for (unsigned i = 0; i < TESTDEV_ROM_SIZE - 1; i++)
		sum += r[i];
	r[TESTDEV_ROM_SIZE - 1] = -sum;
}

static int td_build(struct testdev *t, struct pci_bus *b, unsigned nvec)
{
	struct pci_dev *d = t->d;
	int slot = pci_bus_free_slot(b), r;

	if (slot < 0)
		return slot;
	if ((r = pci_dev_attach(b, d, slot, 0)) ||
	    (r = pci_bar_init(d, TESTDEV_BAR_IO, PCI_BAR_IO, TESTDEV_IO_SIZE, NULL)) ||
	    (r = pci_bar_init(d, TESTDEV_BAR_REGS, 0, TESTDEV_REGS_SIZE, NULL)) ||
	    (r = pci_bar_init(d, TESTDEV_BAR_RAM, PCI_BAR_MEM64 | PCI_BAR_PREFETCH, t->ram_size,
			      t->ram)) ||
	    (r = pci_bar_init(d, TESTDEV_BAR_MSIX, 0, TESTDEV_MSIX_SIZE, NULL)) ||
	    (r = pci_rom_init(d, TESTDEV_ROM_SIZE, t->rom)) ||
	    (r = pci_msi_init(d, TESTDEV_MSI_VECTORS, true, true)) ||
	    (r = pci_cap_add_vendor(d, "vfvm", 4) ? 0 : -ENOSPC) ||
	    (r = pci_msix_init(d, nvec, TESTDEV_BAR_MSIX, TESTDEV_MSIX_TABLE, TESTDEV_BAR_MSIX,
			       TESTDEV_MSIX_PBA)) ||
	    (r = pci_dev_place_bars(d)))
		return r;
	pci_cfg_set(d, PCI_SUBSYS_VENDOR, 2, TESTDEV_VENDOR);
	pci_cfg_set(d, PCI_SUBSYS_ID, 2, 1);
	pci_intx_pin_set(d, 1);
	if ((r = pci_doorbell_add(d, TESTDEV_BAR_REGS, TESTDEV_DOORBELL, 4, -1, td_ring)) ||
	    (r = pci_doorbell_add(d, TESTDEV_BAR_IO, TESTDEV_DOORBELL, 4, -1, td_ring)))
		return r;
	pci_dev_seal(d);
	return 0;
}

int testdev_create(struct vm *vm, struct pci_bus *b, const char *opts, struct err *err)
{
	unsigned nvec = TESTDEV_MSIX_VECTORS;
	uint64_t ram = 1 * MiB;
	struct testdev *t;
	int r;

	(void)vm;
	if ((r = td_opts(opts, &nvec, &ram, err)))
		return r;
	t = calloc(1, sizeof(*t));
	if (!t)
		return err_set(err, ENOMEM, "testdev: out of memory");
	t->ram_size = ram;
	t->ram = mmap(NULL, ram, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
		      MAP_NORESERVE, -1, 0);
	if (t->ram == MAP_FAILED) {
		free(t);
		return err_set(err, errno, "testdev: cannot map %llu bytes of BAR RAM",
			       (unsigned long long)ram);
	}
	td_rom(t);
	t->d = pci_dev_new(TESTDEV_VENDOR, TESTDEV_DEVICE, TESTDEV_CLASS_REV, &td_ops, t);
	if (!t->d) {
		td_destroy(&(struct pci_dev){ .priv = t });
		return err_set(err, ENOMEM, "testdev: out of memory");
	}
	strcpy(t->d->name, "testdev");
	r = td_build(t, b, nvec);
	if (r) {
		/* Attached: the bus frees it at teardown. Otherwise free it here. */
		if (t->d->bus != b) {
			pci_msi_destroy(t->d);
			free(t->d);
			td_destroy(&(struct pci_dev){ .priv = t });
		}
		return err_set(err, -r, "testdev: cannot create: %s", strerror(-r));
	}
	return 0;
}
