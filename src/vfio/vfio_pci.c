/* vfio_pci.c - a VFIO device as a function on vfvm's PCI bus (see vfio_pci.h and
 * docs/passthrough.md for which config register does what). The model is QEMU's
 * hw/vfio/pci.c in spirit: emulate what the guest must not touch, forward the rest live.
 * Its interrupts (INTx, MSI, MSI-X forwarding) are vfio_pci_irq.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "pci/pci_dev.h"
#include "extcap.h"
#include "quirk.h"
#include "vfio_pci.h"
#include "vfio_pci_irq.h"

#define PAGE_SIZE_4K		4096ULL
#define MAX_AREAS		8
#define MAX_PASSCAPS		8

#define PCI_CAP_ID_PM		0x01
#define PCI_EXP_FLAGS		0x02	/* in the PCIe capability (PCIe base 4.0 §7.5.3) */
#define PCI_EXP_DEVCTL		0x08
#define PCI_EXP_DEVCTL_FLR	0x8000
#define PCI_EXP_LNKCAP		0x0c
#define PCI_EXP_LNKSTA_END	0x14
#define PCI_EXP_TYPE_ENDPOINT	0x0
#define PCI_EXP_TYPE_LEG_END	0x1
#define PCI_EXP_TYPE_RC_END	0x9

/* A capability of the device shown to the guest at another offset, read and written live. */
struct passcap {
	unsigned off, dev_off, size;
	uint8_t id;
};

/* The mmap'ed parts of a BAR, handed to the PCI layer as RAM parts (pci_bar_add_ram). */
struct vbar {
	void *map[MAX_AREAS];
	struct vfio_area areas[MAX_AREAS];
	int nareas;
};

struct vfio_pci {
	struct vfio_state *state;
	struct vfio_device dev;
	struct pci_dev *pd;
	struct vbar bars[PCI_NUM_BARS];
	struct passcap caps[MAX_PASSCAPS];
	int ncaps;
	bool rciep;		/* PCIe endpoint shown as a root-complex integrated endpoint */
	unsigned af_off;	/* the hidden Advanced Features capability, 0 if none */
	bool has_ext;		/* extended config space walked (a PCIe device, 4 KiB region) */
	struct extcap_layout ext;	/* what the guest sees at 0x100-0xFFF (extcap.c) */
	bool reset_warned;	/* "no reset method" said once */
	char reset_how[32];	/* host's reset_method, e.g. "flr,bus" (host_dev_reset_method) */
	int resets_done;	/* VFIO_DEVICE_RESETs that succeeded (vfio_pci_resets) */
	int last_reset;		/* what the last VFIO_DEVICE_RESET returned, for the trace */
	const char *quirk;	/* the quiesce quirk run after each reset (quirk.c), or NULL */
	int quirk_result;	/* what it returned last */
	uint8_t *rom;
	struct vfio_pci_irq irq;	/* INTx, MSI, MSI-X (vfio_pci_irq.c) */
};

/* --- option parsing --- */

int vfio_pci_parse(char *opts, struct vfio_pci_opts *o, struct err *err)
{
	char *save = NULL, *tok;
	bool have_host = false;

	memset(o, 0, sizeof(*o));
	o->rombar = true;
	o->slot = -1;
	for (tok = strtok_r(opts, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *v = strchr(tok, '=');

		if (!v)
			return err_input(err, EINVAL, "--device vfio: '%s' is not KEY=VALUE "
					 "(host=BDF, rombar=0|1, romfile=PATH, addr=SLOT)", tok);
		*v++ = 0;
		if (!strcmp(tok, "host")) {
			if (bdf_parse(v, &o->host))
				return err_input(err, EINVAL, "--device vfio: host=%s is not a PCI "
						 "address; write it as 0000:01:00.0 (see vfvm "
						 "devices)", v);
			have_host = true;
		} else if (!strcmp(tok, "rombar") && (!strcmp(v, "0") || !strcmp(v, "1"))) {
			o->rombar = v[0] == '1';
		} else if (!strcmp(tok, "romfile") && *v) {
			o->romfile = v;
		} else if (!strcmp(tok, "addr")) {
			char *end;
			long s = strtol(v, &end, 0);

			if (*end || end == v || s < 1 || s >= PCI_SLOTS)
				return err_input(err, EINVAL, "--device vfio: addr=%s: give a slot "
						 "number from 1 to 31", v);
			o->slot = (int)s;
		} else {
			return err_input(err, EINVAL, "--device vfio: unknown option %s=%s (known: "
					 "host=BDF, rombar=0|1, romfile=PATH, addr=SLOT)", tok, v);
		}
	}
	if (!have_host)
		return err_input(err, EINVAL, "--device vfio needs host=BDF, e.g. --device "
				 "vfio,host=0000:01:00.0");
	return 0;
}

int vfio_state_add_passed(struct vfio_state *s, const struct pci_bdf *b, struct err *err)
{
	char name[BDF_STR_LEN];

	bdf_format(b, name, sizeof(name));
	for (int i = 0; i < s->npassed; i++)
		if (!memcmp(&s->passed[i], b, sizeof(*b)))
			return err_input(err, EINVAL, "%s is given twice with --device vfio", name);
	if (s->npassed == VFIO_MAX_DEVICES)
		return err_input(err, E2BIG, "too many VFIO devices (at most %d)",
				 VFIO_MAX_DEVICES);
	s->passed[s->npassed++] = *b;
	return 0;
}

/* --- config space --- */

static uint32_t dev_cfg(struct vfio_pci *vp, unsigned off, unsigned len)
{
	uint32_t v = 0;

	if (vfio_cfg_read(&vp->dev, off, &v, len))
		return 0xffffffffu >> (32 - 8 * len);
	return v;
}

static void dev_cfg_write(struct vfio_pci *vp, unsigned off, unsigned len, uint32_t v)
{
	vfio_cfg_write(&vp->dev, off, &v, len);
}

static const struct passcap *passcap_at(const struct vfio_pci *vp, unsigned off)
{
	for (int i = 0; i < vp->ncaps; i++)
		if (off >= vp->caps[i].off && off < vp->caps[i].off + vp->caps[i].size)
			return &vp->caps[i];
	return NULL;
}

/* Is byte @rel of a passed-through PCIe capability virtualised (kept in our copy)? */
static bool pcie_byte_virtual(const struct vfio_pci *vp, unsigned rel)
{
	/* Flags (device/port type), and for an RCiEP the link registers (§7.5.3: not
	 * implemented by root-complex integrated endpoints). */
	if (rel == PCI_EXP_FLAGS)
		return vp->rciep;
	return vp->rciep && rel >= PCI_EXP_LNKCAP && rel < PCI_EXP_LNKSTA_END;
}

/* Is byte @b in vfvm's own MSI or MSI-X capability (emulated, never the device's)? */
static bool in_msi_cap(const struct pci_dev *d, unsigned b)
{
	unsigned msi = (d->msi.is64 ? 14 : 10) + (d->msi.maskable ? 10 : 0);

	return (d->msi.cap && b >= d->msi.cap && b < d->msi.cap + msi) ||
	       (d->msix.cap && b >= d->msix.cap && b < d->msix.cap + 12);
}

/* A device-specific byte: above the header, in none of the capabilities vfvm shows. Such
 * bytes are the device's (tg3 at 0x68/0x78, Intel graphics at 0x5C/0xFC read them at fixed
 * offsets), read and written through as QEMU does. */
static bool dev_specific(const struct vfio_pci *vp, unsigned b)
{
	return b >= PCI_CAP_MIN && b < PCI_CFG_SIZE && !passcap_at(vp, b) &&
	       !in_msi_cap(vp->pd, b);
}

static void vfio_cfg_read_hook(struct pci_dev *d, unsigned off, unsigned len, uint32_t *val)
{
	struct vfio_pci *vp = d->priv;
	uint32_t out = *val;

	for (unsigned i = 0; i < len; i++) {
		unsigned b = off + i;
		const struct passcap *pc = passcap_at(vp, b);
		uint32_t byte;

		if (b >= PCI_CFG_SIZE) {
			/* Extended space: the bodies of the capabilities passed read-only come
			 * live from the device; headers, virtualised registers and everything
			 * hidden are vfvm's copy (extcap_fill), zeros for a device without any. */
			if (!vp->has_ext || !extcap_live(&vp->ext, b))
				continue;
			byte = dev_cfg(vp, b, 1);
		} else if (b == PCI_STATUS) {
			/* Live from the device, but the capability-list bit is ours. */
			byte = (dev_cfg(vp, b, 1) & ~PCI_STS_CAP_LIST) |
			       (d->cfg[b] & PCI_STS_CAP_LIST);
		} else if (b == PCI_STATUS + 1 || dev_specific(vp, b)) {
			byte = dev_cfg(vp, b, 1);
		} else if (pc && b >= pc->off + 2 &&
			   !(pc->id == PCI_CAP_ID_EXP && pcie_byte_virtual(vp, b - pc->off))) {
			byte = dev_cfg(vp, pc->dev_off + (b - pc->off), 1);
		} else {
			continue;
		}
		out = (out & ~(0xffu << (8 * i))) | (byte << (8 * i));
		d->cfg_how = PCI_CFG_DEVICE;	/* at least one byte live from the device */
	}
	*val = out;
}

/* The Command bits the device itself must see (PCI 3.0 §6.2.2). */
#define CMD_FORWARD (PCI_CMD_IO | PCI_CMD_MEM | PCI_CMD_MASTER | PCI_CMD_PARITY | \
		     PCI_CMD_SERR | PCI_CMD_INTX_DISABLE)

static void vfio_cfg_write_hook(struct pci_dev *d, unsigned off, unsigned len, uint32_t val)
{
	struct vfio_pci *vp = d->priv;

	/* Extended space: every write dropped (docs/passthrough.md 4a). */
	if (off >= PCI_CFG_SIZE)
		d->cfg_how = PCI_CFG_DROPPED;

	for (unsigned i = 0; i < len; i++) {
		unsigned b = off + i;
		uint8_t byte = val >> (8 * i);
		const struct passcap *pc = passcap_at(vp, b);

		/* Extended space (0x100-0xFFF): every capability shown there is read-only and the
		 * rest is hidden, so no guest write reaches the device (docs/passthrough.md 4a). */
		if (b >= PCI_CFG_SIZE)
			continue;
		if (b == PCI_COMMAND || b == PCI_COMMAND + 1) {
			uint16_t cmd = dev_cfg(vp, PCI_COMMAND, 2) & ~CMD_FORWARD;

			cmd |= pci_cfg_get(d, PCI_COMMAND, 2) & CMD_FORWARD;
			dev_cfg_write(vp, PCI_COMMAND, 2, cmd);
			d->cfg_how = PCI_CFG_DEVICE;
		} else if (b == PCI_STATUS || b == PCI_STATUS + 1) {
			/* Write-1-to-clear error bits go to the device; the rest are RO. */
			uint8_t w1c = b == PCI_STATUS ? (PCI_STS_W1C & 0xff) : (PCI_STS_W1C >> 8);

			if (byte & w1c) {
				dev_cfg_write(vp, b, 1, byte & w1c);
				d->cfg_how = PCI_CFG_DEVICE;
			}
		} else if (dev_specific(vp, b)) {
			/* Not the hidden Advanced Features capability: its Initiate FLR would
			 * reset the device behind vfvm's back (PCI AF ECN, offset 5 bit 0). */
			if (!vp->af_off || b < vp->af_off || b >= vp->af_off + 6) {
				dev_cfg_write(vp, b, 1, byte);
				d->cfg_how = PCI_CFG_DEVICE;
			}
		} else if (pc && b >= pc->off + 2) {
			unsigned rel = b - pc->off;

			if (pc->id == PCI_CAP_ID_EXP && pcie_byte_virtual(vp, rel))
				continue;
			/* A guest-initiated FLR would reset the device behind vfvm's back. */
			if (pc->id == PCI_CAP_ID_EXP && rel == PCI_EXP_DEVCTL + 1 &&
			    (byte & (PCI_EXP_DEVCTL_FLR >> 8))) {
				byte &= ~(PCI_EXP_DEVCTL_FLR >> 8);
				pci_trace(d, TRACE_RESET, "\"ev\":\"flr\",\"by\":\"guest\","
					  "\"result\":\"dropped\"");
			}
			dev_cfg_write(vp, pc->dev_off + rel, 1, byte);
			d->cfg_how = PCI_CFG_DEVICE;
		}
	}
}

/* Size of a capability we pass through, or 0 to hide it. */
static unsigned passcap_size(struct vfio_pci *vp, uint8_t id, unsigned dev_off)
{
	switch (id) {
	case PCI_CAP_ID_PM:
		return 8;
	case PCI_CAP_ID_EXP: {
		/* Version 2 capabilities have the second register set (§7.5.3); a version 1
		 * endpoint's may end at the end of config space (e1000e: at 0xE0). */
		unsigned n = (dev_cfg(vp, dev_off + PCI_EXP_FLAGS, 2) & 0xf) >= 2 ? 0x3c : 0x24;

		return dev_off + n > PCI_CFG_SIZE ? PCI_CFG_SIZE - dev_off : n;
	}
	case PCI_CAP_ID_VNDR: {
		unsigned n = dev_cfg(vp, dev_off + 2, 1);

		return n >= 3 ? n : 0;
	}
	}
	return 0;
}

static int setup_msi(struct vfio_pci *vp, unsigned dev_off)
{
	uint16_t ctrl = dev_cfg(vp, dev_off + 2, 2);
	unsigned nvec = 1u << ((ctrl >> 1) & 7);

	if (nvec > PCI_MSI_MAX)
		nvec = PCI_MSI_MAX;
	if (!vp->dev.irq_count[VFIO_PCI_MSI_IRQ_INDEX])
		return 0;	/* the host cannot do MSI for it: hide the capability */
	if (nvec > vp->dev.irq_count[VFIO_PCI_MSI_IRQ_INDEX])
		nvec = vp->dev.irq_count[VFIO_PCI_MSI_IRQ_INDEX];
	while (nvec & (nvec - 1))
		nvec &= nvec - 1;
	return pci_msi_init(vp->pd, nvec, ctrl & 0x80, ctrl & 0x100);
}

static int setup_msix(struct vfio_pci *vp, unsigned dev_off)
{
	uint16_t ctrl = dev_cfg(vp, dev_off + 2, 2);
	uint32_t table = dev_cfg(vp, dev_off + 4, 4), pba = dev_cfg(vp, dev_off + 8, 4);
	unsigned nvec = (ctrl & 0x7ff) + 1;

	if (!vp->dev.irq_count[VFIO_PCI_MSIX_IRQ_INDEX])
		return 0;
	if (nvec > vp->dev.irq_count[VFIO_PCI_MSIX_IRQ_INDEX])
		nvec = vp->dev.irq_count[VFIO_PCI_MSIX_IRQ_INDEX];
	return pci_msix_init(vp->pd, nvec, table & 7, table & ~7u, pba & 7, pba & ~7u);
}

/*
 * vfvm's bus is a conventional root bus with no root port above the device, so a PCIe
 * (legacy) endpoint is shown as a root-complex integrated endpoint, which has no link
 * registers (PCIe base 4.0 §7.5.3.2, §7.5.3.6); QEMU does the same on its root bus.
 */
static void setup_pcie(struct vfio_pci *vp, const struct passcap *pc)
{
	uint8_t *flags = &vp->pd->cfg[pc->off + PCI_EXP_FLAGS];
	unsigned type = *flags >> 4;

	if (type != PCI_EXP_TYPE_ENDPOINT && type != PCI_EXP_TYPE_LEG_END)
		return;
	*flags = (*flags & 0x0f) | (PCI_EXP_TYPE_RC_END << 4);
	memset(&vp->pd->cfg[pc->off + PCI_EXP_LNKCAP], 0, PCI_EXP_LNKSTA_END - PCI_EXP_LNKCAP);
	vp->rciep = true;
}

/* Files vfvm keeps open besides interrupt eventfds: KVM, VFIO, disks, epoll, timers, ... */
#define VFIO_FD_RESERVE 256

/*
 * Each MSI/MSI-X vector costs two eventfds while enabled (the one VFIO signals, and the one
 * bound to the vector's KVM route), all opened at once when the guest enables the capability:
 * a 2048-vector device needs 4096 besides the rest, over the usual soft limit of 1024. Check
 * up front, raise the soft limit to the hard one when that is enough (vfvm uses no select()),
 * and refuse the device with the number needed when it is not (issue 16 item 4).
 */
static int fd_budget(struct vfio_state *s, struct vfio_pci *vp, struct err *err)
{
	unsigned nvec = vp->pd->msix.nvec > vp->pd->msi.nvec_max ?
			vp->pd->msix.nvec : vp->pd->msi.nvec_max;
	unsigned long long need;
	struct rlimit rl;

	s->irq_fds += 2 * nvec;
	need = s->irq_fds + VFIO_FD_RESERVE;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return err_set(err, errno, "getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
	if (need <= rl.rlim_cur)
		return 0;
	if (need > rl.rlim_max)
		return err_set(err, EMFILE, "%s: its %u interrupt vectors need about %llu open files "
			       "in all, over the hard limit of %llu; raise it (ulimit -Hn %llu as "
			       "root, or LimitNOFILE=%llu)", vp->dev.name, nvec, need,
			       (unsigned long long)rl.rlim_max, need, need);
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		return err_set(err, errno, "%s: raising the open-file limit to %llu: %s",
			       vp->dev.name, (unsigned long long)rl.rlim_max, strerror(errno));
	return 0;
}

/* Walk the device's capability list and rebuild it at the device's own offsets: MSI and MSI-X
 * emulated, PM, PCIe and vendor-specific passed through, everything else hidden by leaving it
 * out of the list only (docs/passthrough.md). */
/* Where the capability after the one at @off starts in config space (by offset, not by list
 * order), or the end of config space: a capability we size by its version must not be taken
 * to cover its neighbour's bytes. */
static unsigned cap_limit(struct vfio_pci *vp, unsigned off)
{
	unsigned c = dev_cfg(vp, PCI_CAP_PTR, 1) & ~3u, lim = PCI_CFG_SIZE;

	for (int hops = 0; c >= PCI_CAP_MIN && c < PCI_CFG_SIZE && hops < 48; hops++) {
		if (c > off && c < lim)
			lim = c;
		c = dev_cfg(vp, c + 1, 1) & ~3u;
	}
	return lim;
}

static int setup_caps(struct vfio_pci *vp, struct err *err)
{
	unsigned off = dev_cfg(vp, PCI_CAP_PTR, 1) & ~3u;
	uint64_t seen = 0;
	int r = 0;

	if (!(dev_cfg(vp, PCI_STATUS, 2) & PCI_STS_CAP_LIST))
		return 0;
	/* A device's list that comes back to an offset has shown all it has: stop there (the
	 * copy keeps the device's offsets, so following the loop would make ours loop too). */
	while (off >= 0x40 && off < PCI_CFG_SIZE && !(seen >> (off / 4) & 1)) {
		uint8_t id = dev_cfg(vp, off, 1);
		unsigned next = dev_cfg(vp, off + 1, 1) & ~3u, size, ours;

		seen |= 1ull << (off / 4);

		pci_cap_place(vp->pd, off);
		if (id == PCI_CAP_ID_AF)
			vp->af_off = off;
		if (id == PCI_CAP_ID_MSI) {
			r = setup_msi(vp, off);
		} else if (id == PCI_CAP_ID_MSIX) {
			r = setup_msix(vp, off);
		} else if ((size = passcap_size(vp, id, off)) && vp->ncaps < MAX_PASSCAPS &&
			   off + size <= PCI_CFG_SIZE) {
			if (off + size > cap_limit(vp, off))
				size = cap_limit(vp, off) - off;
			ours = pci_cap_add(vp->pd, id, size);
			if (ours) {
				struct passcap *pc = &vp->caps[vp->ncaps++];

				pc->off = ours;
				pc->dev_off = off;
				pc->size = size;
				pc->id = id;
				for (unsigned i = 2; i < size; i++)
					vp->pd->cfg[ours + i] = dev_cfg(vp, off + i, 1);
				if (id == PCI_CAP_ID_EXP)
					setup_pcie(vp, pc);
			}
		}
		pci_cap_place(vp->pd, 0);
		if (r)
			return err_set(err, -r, "%s: cannot set up capability 0x%02x at 0x%02x: %s",
				       vp->dev.name, id, off, strerror(-r));
		off = next;
	}
	return 0;
}

/* The device's config dword at @off, for the extended capability walk (extcap.h). */
static int ext_read(void *ctx, unsigned off, uint32_t *val)
{
	struct vfio_pci *vp = ctx;

	return vfio_cfg_read(&vp->dev, off, val, 4);
}

/*
 * The extended capabilities (PCIe Base 5.0 §7.6) the guest sees through vfvm's ECAM: walked
 * from 0x100 once, here, by extcap.c's policy. Only for a PCI Express function whose VFIO
 * config region covers 4 KiB (as QEMU, which adds none to a conventional device): otherwise
 * 0x100-0xFFF read 0. A malformed chain is cut where it goes wrong, said once.
 */
static void setup_extcaps(struct vfio_pci *vp)
{
	uint64_t bar_size[PCI_NUM_BARS];
	bool express = false;

	for (int i = 0; i < vp->ncaps; i++)
		express |= vp->caps[i].id == PCI_CAP_ID_EXP;
	if (!express || vp->dev.regions[VFIO_PCI_CONFIG_REGION_INDEX].size < PCI_CFG_EXT_SIZE)
		return;
	for (int i = 0; i < PCI_NUM_BARS; i++)
		bar_size[i] = vp->pd->bars[i].size;
	extcap_walk(ext_read, vp, bar_size, &vp->ext);
	extcap_fill(&vp->ext, vp->pd->cfg);
	vp->has_ext = true;
	if (vp->ext.problems)
		fprintf(stderr, "vfvm: warning: %s: extended capabilities: %s%s; the guest sees "
			"%u of the %u walked\n", vp->dev.name, vp->ext.why,
			vp->ext.problems > 1 ? " (and more problems after it)" : "",
			vp->ext.nkept, vp->ext.nwalked);
}

/* --- BARs: trapped as a whole, with the mmap-able areas laid over as memory slots --- */

static void vfio_bar_access(struct pci_dev *d, int bar, uint64_t off, void *data, unsigned len,
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
static int setup_bar_maps(struct vfio_pci *vp)
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

static int setup_bars(struct vfio_pci *vp, struct err *err)
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
static int setup_rom(struct vfio_pci *vp, const struct vfio_pci_opts *o, struct err *err)
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

/* pci_dev_ops of the function: the interrupt side is vfio_pci_irq.c. */
static void vfio_intx_eoi(struct pci_dev *d)
{
	struct vfio_pci *vp = d->priv;

	vfio_pci_intx_eoi(&vp->irq);
}

static void vfio_irq_changed(struct pci_dev *d)
{
	struct vfio_pci *vp = d->priv;

	vfio_pci_irq_changed(&vp->irq);
}

/* --- life cycle --- */

/*
 * Stop the device and reset it. Bus master, memory and I/O decoding go off on the device
 * itself first (vfvm's copy of Command is restored separately): a device without a reset
 * method would otherwise keep DMAing into the next boot's RAM (QEMU's vfio_pci_pre_reset
 * does the same). VFIO_DEVICE_RESET runs whichever reset the kernel has for it (FLR, PM
 * D3hot->D0, slot or bus); without one the device is only quiesced, and vfvm says so once.
 */
static void quirk_sleep(unsigned usec)
{
	struct timespec ts = { .tv_sec = usec / 1000000, .tv_nsec = (long)(usec % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

/*
 * A reset method is not always a reset: the lab's e1000e (QEMU 7.2) offers PM D3hot->D0,
 * which leaves its receive unit on with the previous guest's ring, so the next guest's first
 * Bus Master write let it DMA received frames into whatever that ring address now holds
 * (issue 15). Devices with a quirk (quirk.c) are stopped through their own registers after
 * every reset: memory decoding on for it, bus master still off, Command restored after.
 */
static void vfio_quirk(struct vfio_pci *vp)
{
	uint16_t ven = dev_cfg(vp, PCI_VENDOR_ID, 2), dev = dev_cfg(vp, PCI_DEVICE_ID, 2);
	uint16_t cmd;

	vp->quirk = vfio_quirk_name(ven, dev);
	if (!vp->quirk)
		return;
	cmd = dev_cfg(vp, PCI_COMMAND, 2);
	dev_cfg_write(vp, PCI_COMMAND, 2, (cmd & ~PCI_CMD_MASTER) | PCI_CMD_MEM);
	vfio_quirk_quiesce(&vp->dev, ven, dev, quirk_sleep, &vp->quirk_result);
	dev_cfg_write(vp, PCI_COMMAND, 2, cmd);
}

static void vfio_hw_reset(struct vfio_pci *vp)
{
	uint16_t cmd = dev_cfg(vp, PCI_COMMAND, 2);
	int r;

	dev_cfg_write(vp, PCI_COMMAND, 2, cmd & ~(PCI_CMD_MASTER | PCI_CMD_MEM | PCI_CMD_IO));
	r = vfio_device_reset(&vp->dev);
	vfio_quirk(vp);
	/* At start the function is not on the bus yet: vfio_pci_create traces that one. */
	if (vp->pd && vp->pd->bus)
		pci_trace(vp->pd, TRACE_RESET, "\"ev\":\"vfio-reset\",\"methods\":\"%s\","
			  "\"result\":%d,\"quirk\":\"%s\",\"quirk_result\":%d", vp->reset_how,
			  r, vp->quirk ? vp->quirk : "none", vp->quirk_result);
	vp->last_reset = r;
	if (!r) {
		vp->resets_done++;
		return;
	}
	if (vp->reset_warned)
		return;
	vp->reset_warned = true;
	fprintf(stderr, "vfvm: warning: %s: %s (sysfs reset_method: %s); only bus master and "
		"decoding were turned off, its other state carries over into the guest\n",
		vp->dev.name, r == -ENOTTY ?
		"the host has no reset method for it (no FLR, PM or bus reset)" : strerror(-r),
		vp->reset_how);
}

static void vfio_dev_reset(struct pci_dev *d)
{
	struct vfio_pci *vp = d->priv;

	vfio_pci_msi_release(&vp->irq);
	vfio_pci_intx_disable(&vp->irq);
	vfio_hw_reset(vp);
	vfio_pci_intx_enable(&vp->irq);
}

void vfio_state_print_resets(const struct vfio_state *s, FILE *out)
{
	for (int i = 0; i < s->ndevs; i++)
		if (s->devs[i])
			fprintf(out, "vfvm: vfio %s: %d reset(s) done; the host's methods, in the "
				"order the kernel tries them: %s\n", s->devs[i]->dev.name,
				s->devs[i]->resets_done, s->devs[i]->reset_how);
		else if (s->reset_note[i][0])
			fprintf(out, "vfvm: vfio %s\n", s->reset_note[i]);
}

int vfio_pci_resets(const struct pci_dev *pd)
{
	const struct vfio_pci *vp = pd->priv;

	return vp->resets_done;
}

/* Quiesce: no DMA (bus master off), no interrupts, BAR maps gone, device closed. */
static void vfio_pci_free(struct vfio_pci *vp)
{
	const struct vfio_sys *sys = vp->dev.sys;

	if (vp->dev.fd >= 0) {
		uint16_t cmd = dev_cfg(vp, PCI_COMMAND, 2);

		dev_cfg_write(vp, PCI_COMMAND, 2, cmd & ~(PCI_CMD_MASTER | PCI_CMD_MEM |
							  PCI_CMD_IO));
	}
	if (vp->pd && vp->pd->bus) {
		vfio_pci_msi_release(&vp->irq);
		vfio_pci_intx_disable(&vp->irq);
	}
	for (int i = 0; i < PCI_NUM_BARS; i++)
		for (int a = 0; a < vp->bars[i].nareas; a++)
			if (vp->bars[i].map[a] && sys && sys->munmap)
				sys->munmap(sys->ctx, vp->bars[i].map[a], vp->bars[i].areas[a].size);
	vfio_device_close(&vp->dev);
	free(vp->rom);
	free(vp);
}

static void vfio_dev_destroy(struct pci_dev *d)
{
	struct vfio_pci *vp = d->priv;
	struct vfio_state *s = vp->state;

	for (int i = 0; i < s->ndevs; i++) {
		if (s->devs[i] != vp)
			continue;
		s->devs[i] = NULL;
		/* Kept for --stats, printed after the bus (and so this device) is gone. */
		snprintf(s->reset_note[i], sizeof(s->reset_note[i]), "%s: %d reset(s) done; the "
			 "host's methods, in the order the kernel tries them: %s", vp->dev.name,
			 vp->resets_done, vp->reset_how);
	}
	vfio_pci_free(vp);
	d->priv = NULL;
}

static const struct pci_dev_ops vfio_pci_dev_ops = {
	.cfg_read = vfio_cfg_read_hook,
	.cfg_write = vfio_cfg_write_hook,
	.bar_access = vfio_bar_access,
	.irq_changed = vfio_irq_changed,
	.intx_eoi = vfio_intx_eoi,
	.reset = vfio_dev_reset,
	.destroy = vfio_dev_destroy,
};

/* --- creation --- */

static int check_host_device(struct vfio_state *s, const struct pci_bdf *b, const char *name,
			     struct err *err)
{
	char drv[64];
	int group;

	if (!host_dev_exists(&s->host, b))
		return err_input(err, ENODEV, "%s: no such PCI device on this host (see vfvm "
				 "devices)", name);
	if (host_dev_driver(&s->host, b, drv, sizeof(drv)) == 0 && strcmp(drv, "vfio-pci"))
		return err_input(err, EBUSY, "%s is %s%s, not to vfio-pci; run: vfvm bind %s",
				 name, drv[0] ? "bound to " : "bound to no driver",
				 drv[0] ? drv : "", name);
	group = host_dev_group(&s->host, b);
	if (group == -ENOENT)
		return err_input(err, ENODEV, "%s has no IOMMU group: the host IOMMU is off; boot "
				 "the host with intel_iommu=on (Intel) or amd_iommu=on (AMD)",
				 name);
	if (group < 0)
		return err_set(err, -group, "%s: cannot read its IOMMU group: %s", name,
			       strerror(-group));
	return group;
}

static int open_group(struct vfio_state *s, int group, struct err *err)
{
	int gfd, r;

	if (!s->open) {
		r = vfio_memlock_check(s->ram_size, err);
		if (r)
			return r;
		r = vfio_container_open(&s->container, s->sys, &s->host, err);
		if (r)
			return r;
		s->open = true;
	}
	gfd = vfio_group_get(&s->container, group, s->passed, s->npassed, err);
	if (gfd < 0)
		return gfd;
	for (int i = 0; i < s->ngroups_told; i++)
		if (s->groups_told[i] == gfd)
			return gfd;
	if (s->kvm_group_add) {
		r = s->kvm_group_add(s->kvm_opaque, gfd);
		if (r)
			return err_set(err, -r, "IOMMU group %d: KVM-VFIO device: %s", group,
				       strerror(-r));
	}
	s->groups_told[s->ngroups_told++] = gfd;
	return gfd;
}

/* kind "vfio" (and the start-up "reset"): what VFIO_DEVICE_GET_INFO, GET_REGION_INFO and
 * GET_IRQ_INFO said, and what the guest-visible BARs became (docs/trace.md). */
static void trace_setup(struct vfio_pci *vp)
{
	struct pci_dev *pd = vp->pd;

	pci_trace(pd, TRACE_VFIO, "\"ev\":\"device\",\"flags\":\"%#x\",\"regions\":%u,"
		  "\"irqs\":%u", vp->dev.flags, vp->dev.num_regions, vp->dev.num_irqs);
	for (unsigned i = 0; i < VFIO_PCI_NUM_REGIONS && i < vp->dev.num_regions; i++) {
		const struct vfio_region *r = &vp->dev.regions[i];

		if (!r->size)
			continue;
		pci_trace(pd, TRACE_VFIO, "\"ev\":\"region\",\"index\":%u,\"size\":\"%#llx\","
			  "\"offset\":\"%#llx\",\"flags\":\"%#x\",\"mmap\":%s,\"sparse\":%d,"
			  "\"mapped_areas\":%d", i, (unsigned long long)r->size,
			  (unsigned long long)r->offset, r->flags,
			  r->flags & VFIO_REGION_INFO_FLAG_MMAP ? "true" : "false", r->nsparse,
			  i < PCI_NUM_BARS ? vp->bars[i].nareas : 0);
	}
	for (unsigned i = 0; i < VFIO_PCI_NUM_IRQS && i < vp->dev.num_irqs; i++)
		pci_trace(pd, TRACE_VFIO, "\"ev\":\"irq-info\",\"index\":%u,\"count\":%u,"
			  "\"flags\":\"%#x\"", i, vp->dev.irq_count[i], vp->dev.irq_flags[i]);
	pci_trace(pd, TRACE_RESET, "\"ev\":\"vfio-reset\",\"at\":\"start\",\"methods\":\"%s\","
		  "\"result\":%d,\"quirk\":\"%s\",\"quirk_result\":%d", vp->reset_how,
		  vp->last_reset, vp->quirk ? vp->quirk : "none", vp->quirk_result);
}

/* Identity and the header registers that come from the device as they are. */
static struct pci_dev *build_function(struct vfio_pci *vp)
{
	uint32_t class_rev = dev_cfg(vp, PCI_REVISION, 4);
	struct pci_dev *pd;

	pd = pci_dev_new(dev_cfg(vp, PCI_VENDOR_ID, 2), dev_cfg(vp, PCI_DEVICE_ID, 2), class_rev,
			 &vfio_pci_dev_ops, vp);
	if (!pd)
		return NULL;
	pci_cfg_set(pd, PCI_SUBSYS_VENDOR, 4, dev_cfg(vp, PCI_SUBSYS_VENDOR, 4));
	pci_cfg_set(pd, 0x3e, 2, dev_cfg(vp, 0x3e, 2));		/* Min_Gnt, Max_Lat */
	snprintf(pd->name, sizeof(pd->name), "vfio %s", vp->dev.name);
	if (vp->dev.irq_count[VFIO_PCI_INTX_IRQ_INDEX]) {
		unsigned pin = dev_cfg(vp, PCI_INT_PIN, 1);

		if (pin >= 1 && pin <= 4)
			pci_intx_pin_set(pd, pin);
	}
	return pd;
}

struct pci_dev *vfio_pci_create(struct vfio_state *s, struct pci_bus *bus,
				const struct vfio_pci_opts *o, struct err *err)
{
	struct vfio_pci *vp;
	char name[BDF_STR_LEN];
	int group, gfd, slot, r;

	bdf_format(&o->host, name, sizeof(name));
	if (s->ndevs == VFIO_MAX_DEVICES) {
		err_input(err, E2BIG, "too many VFIO devices (at most %d)", VFIO_MAX_DEVICES);
		return NULL;
	}
	group = check_host_device(s, &o->host, name, err);
	if (group < 0)
		return NULL;
	gfd = open_group(s, group, err);
	if (gfd < 0)
		return NULL;
	vp = calloc(1, sizeof(*vp));
	if (!vp) {
		err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	vp->state = s;
	vfio_pci_irq_init(&vp->irq, &vp->dev, &s->user_irqs);
	if (vfio_device_open(&vp->dev, s->sys, gfd, &o->host, err))
		goto fail;
	if (host_dev_reset_method(&s->host, &o->host, vp->reset_how, sizeof(vp->reset_how)))
		snprintf(vp->reset_how, sizeof(vp->reset_how), "unknown");
	/* Start from a clean device (issue: reset before the guest starts). */
	vfio_hw_reset(vp);
	vp->pd = build_function(vp);
	if (!vp->pd) {
		err_set(err, ENOMEM, "out of memory");
		goto fail;
	}
	vp->irq.pd = vp->pd;
	if (setup_bars(vp, err) || setup_caps(vp, err) || fd_budget(s, vp, err) ||
	    setup_rom(vp, o, err) || setup_bar_maps(vp))
		goto fail_pd;
	setup_extcaps(vp);
	slot = o->slot >= 0 ? o->slot : pci_bus_free_slot(bus);
	if (slot < 0) {
		err_input(err, ENOSPC, "%s: no free PCI slot left", name);
		goto fail_pd;
	}
	r = pci_dev_attach(bus, vp->pd, slot, 0);
	if (r) {
		err_input(err, -r, "%s: PCI slot %d is %s", name, slot,
			  r == -EEXIST ? "already taken (choose another addr=)" : "invalid");
		goto fail_pd;
	}
	vp->pd->host_bdf = o->host.domain << 16 | o->host.bus << 8 | o->host.dev << 3 | o->host.fn;
	if (trace_unlikely(bus->trace))
		trace_setup(vp);
	/* Interrupt Line (the I/O APIC pin, as firmware would write it) needs the slot. */
	pci_intx_pin_set(vp->pd, vp->pd->cfg[PCI_INT_PIN]);
	pci_dev_seal(vp->pd);
	vfio_pci_intx_enable(&vp->irq);
	s->devs[s->ndevs++] = vp;
	return vp->pd;
fail_pd:
	pci_msi_destroy(vp->pd);
	free(vp->pd);
	vp->pd = NULL;
fail:
	vfio_pci_free(vp);
	return NULL;
}

int vfio_pci_place(struct pci_dev *pd, struct err *err)
{
	struct vfio_pci *vp = pd->priv;
	int big = 0, r = pci_dev_place_bars(pd);

	if (r) {
		for (int i = 1; i < PCI_NUM_BARS; i++)
			if (pd->bars[i].size > pd->bars[big].size)
				big = i;
		return err_input(err, ENOSPC, "--device vfio,host=%s: its BARs do not fit "
				 "vfvm's PCI windows (the largest, BAR%d, is %llu MiB; 32-bit window "
				 "below 0xfec00000, 64-bit window up to 0x%llx, the guest's physical "
				 "address limit); pass fewer or smaller devices", vp->dev.name, big,
				 (unsigned long long)(pd->bars[big].size >> 20),
				 (unsigned long long)pd->bus->mem64_end);
	}
	/* The power-on state a guest reset restores includes this placement. */
	pci_dev_seal(pd);
	return 0;
}

int vfio_state_map_ram(struct vfio_state *s, const struct guest_mem *mem, struct err *err)
{
	struct timespec t0, t1;
	int r;

	if (!s->open)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = vfio_dma_map_ram(&s->container, mem, err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s->dma_map_ns = (t1.tv_sec - t0.tv_sec) * 1000000000ULL + t1.tv_nsec - t0.tv_nsec;
	return r;
}

void vfio_state_close(struct vfio_state *s)
{
	if (!s->open)
		return;
	vfio_container_close(&s->container);
	s->open = false;
	s->ngroups_told = 0;
}
