/* fuzz_pci_check.h - invariants of a PCI bus behind the fake host of tests/unit/
 * test_pci_fake.h, shared by the PCI and VFIO harnesses: mapped BARs naturally aligned, in
 * the 64 KiB port space or clear of RAM and the APICs, never overlapping each other; bus
 * mappings, GSI routes and INTx pin counts all accounted for. */
#ifndef FUZZ_PCI_CHECK_H
#define FUZZ_PCI_CHECK_H

#include "fuzz_input.h"
#include "test_pci_fake.h"

FUZZ_NOCOV static bool fpc_overlaps(const struct pci_bar *x, const struct pci_bar *y)
{
	return x->mapped_addr < y->mapped_addr + y->size &&
	       y->mapped_addr < x->mapped_addr + x->size;
}

FUZZ_NOCOV static void fpc_check_bar(struct fake *f, struct pci_dev *const *devs, int ndevs,
				     const struct pci_bar *x)
{
	bool io = x->flags & PCI_BAR_IO;

	FUZZ_CHECK(x->size && !(x->mapped_addr & (x->size - 1)) && x->mapped_addr,
		   "%s BAR%d at 0x%llx size 0x%llx not naturally aligned", x->dev->name,
		   x->index, (unsigned long long)x->mapped_addr, (unsigned long long)x->size);
	if (io)
		FUZZ_CHECK(x->mapped_addr + x->size <= 0x10000, "%s I/O BAR%d past 64 KiB",
			   x->dev->name, x->index);
	else
		FUZZ_CHECK(fake_mem_free(f, x->mapped_addr, x->size),
			   "%s BAR%d at 0x%llx overlaps RAM or the APICs", x->dev->name, x->index,
			   (unsigned long long)x->mapped_addr);
	for (int k = 0; k < ndevs; k++)
		for (int j = 0; j <= PCI_NUM_BARS; j++) {
			const struct pci_bar *y = &devs[k]->bars[j];

			if (y == x || !y->mapped || !io != !(y->flags & PCI_BAR_IO))
				continue;
			FUZZ_CHECK(!fpc_overlaps(x, y), "%s BAR%d and %s BAR%d overlap at 0x%llx",
				   x->dev->name, x->index, y->dev->name, y->index,
				   (unsigned long long)x->mapped_addr);
		}
}

FUZZ_NOCOV static unsigned fpc_gsis_used(const struct fake *f)
{
	unsigned n = 0;

	for (int g = 0; g < 64; g++)
		n += f->gsi_used[g];
	return n;
}

FUZZ_NOCOV static void fpc_check_bus(struct fake *f, const struct pci_bus *b,
				     struct pci_dev *const *devs, int ndevs)
{
	unsigned mapped = 0, vecs = 0, intx[PCI_INTX_PINS] = { 0 };

	for (int k = 0; k < ndevs; k++) {
		const struct pci_dev *d = devs[k];

		for (int i = 0; i <= PCI_NUM_BARS; i++) {
			if (!d->bars[i].mapped)
				continue;
			fpc_check_bar(f, devs, ndevs, &d->bars[i]);
			mapped += 1 + (d->bars[i].ram ? 0 : d->bars[i].nsub);
		}
		for (unsigned v = 0; v < d->msix.nvec; v++)
			vecs += d->msix.vec[v].gsi >= 0;
		for (unsigned v = 0; v < d->msi.nactive; v++)
			vecs += d->msi.vec[v].gsi >= 0;
		if (d->intx_asserted)
			intx[d->intx_apic_pin]++;
	}
	FUZZ_CHECK(fake_nmaps(f) == (int)mapped, "%d bus mappings for %u mapped BARs",
		   fake_nmaps(f), mapped);
	FUZZ_CHECK(fpc_gsis_used(f) == vecs, "%u GSIs allocated for %u vectors",
		   fpc_gsis_used(f), vecs);
	for (int p = 0; p < PCI_INTX_PINS; p++) {
		FUZZ_CHECK(b->intx_count[p] == intx[p], "INTx pin %d counts %u, %u asserted", p,
			   b->intx_count[p], intx[p]);
		FUZZ_CHECK(f->intx[PCI_INTX_PIN_BASE + p] == (intx[p] > 0),
			   "I/O APIC pin %d level %d with %u sources", PCI_INTX_PIN_BASE + p,
			   f->intx[PCI_INTX_PIN_BASE + p], intx[p]);
	}
}

#endif
