/* vfio_pci_bar.c - a passed-through function's BARs and expansion ROM: each BAR emulated at
 * the device's size and trapped as a whole, its mmap-able areas (all but the MSI-X table and
 * PBA pages) laid over as memory slots, the ROM from romfile= or read once from the device
 * (docs/passthrough.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "pci/pci_dev.h"
#include "vfio_pci_priv.h"

/* --- BARs: trapped as a whole, with the mmap-able areas laid over as memory slots --- */

void vfio_pci_bar_access(struct pci_dev *d, int bar, uint64_t off, void *data, unsigned len,
			 bool is_write)
{
	struct vfio_pci *vp = d->priv;
	int r;

	if (is_write)
		r = vfio_region_write(&vp->dev, bar, off, data, len);
	else
		r = vfio_region_read(&vp->dev, bar, off, data, len);
	if (r && !is_write)
		memset(data, 0xff, len);
}

/* The MSI-X table and PBA ranges inside BAR @bar, to be left trapped. */
static int msix_exclusions(struct vfio_pci *vp, int bar, struct vfio_area *ex)
{
	const struct pci_msix *x = &vp->pd->msix;
	int n = 0;

	if (!x->cap)
		return 0;
	if (x->table_bar == bar)
		ex[n++] = (struct vfio_area){ x->table_off, (uint64_t)x->nvec * 16 };
	if (x->pba_bar == bar)
		ex[n++] = (struct vfio_area){ x->pba_off, ((x->nvec + 63) / 64) * 8 };
	return n;
}

/* Map what can be mapped of each memory BAR; the PCI layer lays it over the trapped BAR. */
int vfio_pci_bar_maps_setup(struct vfio_pci *vp)
{
	const struct vfio_sys *sys = vp->dev.sys;
	uint64_t page = sysconf(_SC_PAGESIZE);

	for (int i = 0; i < PCI_NUM_BARS; i++) {
		const struct vfio_region *r = &vp->dev.regions[i];
		struct vbar *vb = &vp->bars[i];
		struct vfio_area ex[2];
		int nex;

		if (!vp->pd->bars[i].size || (vp->pd->bars[i].flags & PCI_BAR_IO) || !sys->mmap)
			continue;
		nex = msix_exclusions(vp, i, ex);
		vb->nareas = vfio_bar_plan(r, ex, nex, page, vb->areas, MAX_AREAS);
		for (int a = 0; a < vb->nareas; a++) {
			int prot = PROT_READ | (r->flags & VFIO_REGION_INFO_FLAG_WRITE ?
						PROT_WRITE : 0);

			vb->map[a] = sys->mmap(sys->ctx, vb->areas[a].size, prot, vp->dev.fd,
					       r->offset + vb->areas[a].off);
			/* Not mappable after all, or refused: this area stays trapped, which
			 * works but costs an exit per access, so say so (issue 16 item 5). */
			if (!vb->map[a] || pci_bar_add_ram(vp->pd, i, vb->areas[a].off,
							   vb->areas[a].size, vb->map[a])) {
				if (vb->map[a] && sys->munmap)
					sys->munmap(sys->ctx, vb->map[a], vb->areas[a].size);
				fprintf(stderr, "vfvm: warning: %s: BAR%d 0x%llx+0x%llx %s; it is "
					"trapped instead (each access an exit to vfvm)\n",
					vp->dev.name, i, (unsigned long long)vb->areas[a].off,
					(unsigned long long)vb->areas[a].size,
					vb->map[a] ? "cannot be a memory slot" : "cannot be mmapped");
				vb->nareas = a;
				break;
			}
		}
	}
	return 0;
}

int vfio_pci_bars_setup(struct vfio_pci *vp, struct err *err)
{
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		const struct vfio_region *r = &vp->dev.regions[i];
		uint32_t reg = dev_cfg(vp, PCI_BAR0 + 4 * i, 4);
		uint8_t flags;
		int ret;

		if (!r->size)
			continue;
		if (reg & PCI_BAR_IO)
			flags = PCI_BAR_IO;
		else
			flags = (((reg >> 1) & 3) == 2 ? PCI_BAR_MEM64 : 0) | (reg & PCI_BAR_PREFETCH);
		ret = pci_bar_init(vp->pd, i, flags, r->size, NULL);
		if (ret)
			return err_set(err, -ret, "%s: BAR%d (%llu bytes, flags 0x%x) cannot be "
				       "emulated: %s", vp->dev.name, i,
				       (unsigned long long)r->size, flags, strerror(-ret));
		if (flags & PCI_BAR_MEM64)
			i++;
	}
	return 0;
}

static int read_file(const char *path, uint8_t **out, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || st.st_size <= 0 || st.st_size > (16 << 20)) {
		r = -EINVAL;
		goto out;
	}
	*len = st.st_size;
	*out = malloc(*len);
	if (!*out) {
		r = -ENOMEM;
		goto out;
	}
	if (read(fd, *out, *len) != (ssize_t)*len) {
		free(*out);
		*out = NULL;
		r = -EIO;
	}
out:
	close(fd);
	return r;
}

/* The expansion ROM: from romfile=, or read once from the device; rombar=0 hides it. */
int vfio_pci_rom_setup(struct vfio_pci *vp, const struct vfio_pci_opts *o, struct err *err)
{
	const struct vfio_region *r = &vp->dev.regions[VFIO_PCI_ROM_REGION_INDEX];
	uint64_t size = 2048;
	size_t len = 0;
	uint8_t *data = NULL;
	int ret;

	if (!o->rombar)
		return 0;
	if (o->romfile) {
		ret = read_file(o->romfile, &data, &len);
		if (ret)
			return err_input(err, -ret, "%s: romfile=%s: %s", vp->dev.name, o->romfile,
					 strerror(-ret));
	} else if (r->size) {
		len = r->size;
		data = malloc(len);
		if (!data)
			return err_set(err, ENOMEM, "out of memory");
		/* vfio-pci refuses ROM reads (-EIO) while the device's memory decoding is off, and
		 * the start-up reset turned it off: on for the read only, no bus master. */
		uint16_t cmd = dev_cfg(vp, PCI_COMMAND, 2);

		dev_cfg_write(vp, PCI_COMMAND, 2, (cmd & ~PCI_CMD_MASTER) | PCI_CMD_MEM);
		ret = vfio_region_read(&vp->dev, VFIO_PCI_ROM_REGION_INDEX, 0, data, len);
		dev_cfg_write(vp, PCI_COMMAND, 2, cmd);
		if (ret) {
			/* Many devices have a ROM BAR but no readable ROM: show none. */
			free(data);
			return 0;
		}
	} else {
		return 0;
	}
	while (size < len)
		size <<= 1;
	vp->rom = calloc(1, size);
	if (!vp->rom) {
		free(data);
		return err_set(err, ENOMEM, "out of memory");
	}
	memcpy(vp->rom, data, len);
	memset(vp->rom + len, 0xff, size - len);
	free(data);
	ret = pci_rom_init(vp->pd, size, vp->rom);
	if (ret)
		return err_set(err, -ret, "%s: expansion ROM of %llu bytes: %s", vp->dev.name,
			       (unsigned long long)size, strerror(-ret));
	return 0;
}

/* The BAR areas vfio_pci_bar_maps_setup mapped, unmapped (teardown). */
void vfio_pci_bar_unmap(struct vfio_pci *vp)
{
	const struct vfio_sys *sys = vp->dev.sys;

	for (int i = 0; i < PCI_NUM_BARS; i++)
		for (int a = 0; a < vp->bars[i].nareas; a++)
			if (vp->bars[i].map[a] && sys && sys->munmap)
				sys->munmap(sys->ctx, vp->bars[i].map[a], vp->bars[i].areas[a].size);
}
