/* doorbell.c - device doorbells as KVM ioeventfds: a guest write to the doorbell completes
 * inside KVM and only signals an eventfd, which the device thread turns into a ring() call. */
#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "pci_dev.h"

static const struct pci_part doorbell_part;
static void doorbells_sync(struct pci_dev *d);

static void doorbell_cb(void *arg, uint64_t count)
{
	struct pci_doorbell *db = arg;

	db->ring(db->dev, count);
}

int pci_doorbell_add(struct pci_dev *d, int bar, uint64_t off, unsigned len, int64_t datamatch,
		     void (*ring)(struct pci_dev *d, uint64_t count))
{
	struct pci_host_ops *o = &d->bus->ops;
	struct pci_doorbell *db;

	if (d->ndoorbells >= PCI_MAX_DOORBELLS || bar < 0 || bar >= PCI_NUM_BARS || !ring ||
	    !d->bars[bar].size || d->bars[bar].ram || (len != 1 && len != 2 && len != 4 &&
	    len != 8) || off >= d->bars[bar].size || len > d->bars[bar].size - off ||
	    pci_bar_ram_overlaps(d, bar, off, len))
		return -EINVAL;
	db = &d->doorbells[d->ndoorbells];
	db->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (db->efd < 0)
		return -errno;
	db->dev = d;
	db->bar = bar;
	db->off = off;
	db->len = len;
	db->datamatch = datamatch;
	db->ring = ring;
	db->assigned = false;
	db->watched = false;
	if (o->watch_fd) {
		int r = o->watch_fd(o->opaque, db->efd, doorbell_cb, db);

		if (r < 0) {
			close(db->efd);
			return r;
		}
		db->watched = true;
	}
	d->ndoorbells++;
	pci_part_add(d, PCI_PART_DOORBELL, &doorbell_part);
	doorbells_sync(d);
	return 0;
}

int pci_doorbell_external(struct pci_dev *d, unsigned i, bool external)
{
	struct pci_host_ops *o = &d->bus->ops;
	struct pci_doorbell *db;

	if (i >= d->ndoorbells)
		return -ENOENT;
	db = &d->doorbells[i];
	if (external && db->watched) {
		if (o->unwatch_fd)
			o->unwatch_fd(o->opaque, db->efd);
		db->watched = false;
	} else if (!external && !db->watched && o->watch_fd) {
		/* A count the other reader left unread is served at once (epoll sees it). */
		db->watched = o->watch_fd(o->opaque, db->efd, doorbell_cb, db) == 0;
	}
	return db->efd;
}

/* (Re)assign every doorbell of @d to where its BAR is mapped now. */
static void doorbells_sync(struct pci_dev *d)
{
	struct pci_host_ops *o = &d->bus->ops;

	for (unsigned i = 0; i < d->ndoorbells; i++) {
		struct pci_doorbell *db = &d->doorbells[i];
		struct pci_bar *bar = &d->bars[db->bar];
		uint64_t a = bar->mapped_addr + db->off;
		bool pio = bar->flags & PCI_BAR_IO;

		if (db->assigned && (!bar->mapped || a != db->assigned_addr)) {
			if (o->ioeventfd)
				o->ioeventfd(o->opaque, db->efd, db->assigned_addr, db->len, pio,
					     db->datamatch, true);
			db->assigned = false;
		}
		if (!db->assigned && bar->mapped && o->ioeventfd &&
		    o->ioeventfd(o->opaque, db->efd, a, db->len, pio, db->datamatch, false) == 0) {
			db->assigned = true;
			db->assigned_addr = a;
		}
	}
}

static void doorbells_destroy(struct pci_dev *d)
{
	struct pci_host_ops *o = &d->bus->ops;

	for (unsigned i = 0; i < d->ndoorbells; i++) {
		struct pci_doorbell *db = &d->doorbells[i];

		if (db->assigned && o->ioeventfd)
			o->ioeventfd(o->opaque, db->efd, db->assigned_addr, db->len,
				     d->bars[db->bar].flags & PCI_BAR_IO, db->datamatch, true);
		if (db->watched && o->unwatch_fd)
			o->unwatch_fd(o->opaque, db->efd);
		close(db->efd);
	}
	d->ndoorbells = 0;
}

/* A RAM-backed part over a doorbell would take the writes meant for the ioeventfd. */
static bool doorbells_trap(const struct pci_dev *d, int bar, uint64_t off, uint64_t len)
{
	for (unsigned k = 0; k < d->ndoorbells; k++)
		if (d->doorbells[k].bar == bar && off < d->doorbells[k].off + d->doorbells[k].len &&
		    d->doorbells[k].off < off + len)
			return true;
	return false;
}

static const struct pci_part doorbell_part = {
	.destroy = doorbells_destroy,
	.bar_traps = doorbells_trap,
	.bars_moved = doorbells_sync,
};
