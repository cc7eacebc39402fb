/* msi.c - MSI and MSI-X (PCI Local Bus 3.0 §6.8): capabilities, the MSI-X table and PBA,
 * per-vector masking with pending bits, and the vectors' GSI routes bound to eventfds (irqfd). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "pci_dev.h"

#define MSI_CTRL_ENABLE		0x0001
#define MSI_CTRL_64		0x0080
#define MSI_CTRL_MASKABLE	0x0100
#define MSIX_CTRL_FMASK		0x4000
#define MSIX_CTRL_ENABLE	0x8000
#define MSIX_ENTRY		16
#define MSIX_VEC_MASKED		0x1

static const struct pci_part msi_part;

/* --- shared: one vector's route and eventfd --- */

static void irq_changed(struct pci_dev *d)
{
	if (d->ops && d->ops->irq_changed)
		d->ops->irq_changed(d);
}

static void vec_init(struct pci_msix_vec *v)
{
	memset(v, 0, sizeof(*v));
	v->gsi = -1;
	v->efd = -1;
}

static void vec_release(struct pci_host_ops *o, struct pci_msix_vec *v)
{
	if (v->efd >= 0) {
		if (v->gsi >= 0 && o->irqfd)
			o->irqfd(o->opaque, v->efd, v->gsi, true);
		close(v->efd);
	}
	if (v->gsi >= 0 && o->route_free)
		o->route_free(o->opaque, v->gsi);
	vec_init(v);
}

/* Give @v a route carrying @m; returns true if the routing table changed (commit needed). */
static bool vec_route(struct pci_host_ops *o, struct pci_msix_vec *v, struct msi_msg m)
{
	if (v->gsi >= 0) {
		if (v->msg.addr == m.addr && v->msg.data == m.data)
			return false;
		if (o->route_set && o->route_set(o->opaque, v->gsi, &m) < 0)
			return false;
		v->msg = m;
		return true;
	}
	if (!o->route_alloc)
		return false;
	v->gsi = o->route_alloc(o->opaque, &m);
	if (v->gsi < 0) {
		v->gsi = -1;		/* out of GSIs: delivery falls back to signal_msi */
		return false;
	}
	v->msg = m;
	return true;
}

/* After the commit: bind an eventfd to each new route so others can fire it without us. */
static void vec_bind(struct pci_host_ops *o, struct pci_msix_vec *v)
{
	if (v->gsi < 0 || v->efd >= 0 || !o->irqfd)
		return;
	v->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (v->efd < 0)
		return;
	if (o->irqfd(o->opaque, v->efd, v->gsi, false) < 0) {
		close(v->efd);
		v->efd = -1;
	}
}

static void commit(struct pci_host_ops *o)
{
	if (o->route_commit)
		o->route_commit(o->opaque);
}

static int vec_fire(struct pci_dev *d, struct pci_msix_vec *v, struct msi_msg m)
{
	struct pci_host_ops *o = &d->bus->ops;
	uint64_t one = 1;

	if (v->efd >= 0 && v->msg.addr == m.addr && v->msg.data == m.data)
		return write(v->efd, &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
	if (o->signal_msi)
		return o->signal_msi(o->opaque, &m);
	d->msi_dropped++;
	return -ENODEV;
}

/* --- MSI --- */

static unsigned msi_off_data(const struct pci_msi *m)
{
	return m->cap + (m->is64 ? 0x0c : 0x08);
}

static unsigned msi_off_mask(const struct pci_msi *m)
{
	return m->cap + (m->is64 ? 0x10 : 0x0c);
}

int pci_msi_init(struct pci_dev *d, unsigned nvec, bool is64, bool maskable)
{
	struct pci_msi *m = &d->msi;
	unsigned size = (is64 ? 14 : 10) + (maskable ? 10 : 0), mmc = 0;
	uint32_t allmask;

	if (m->cap || !nvec || nvec > PCI_MSI_MAX || (nvec & (nvec - 1)))
		return -EINVAL;
	while ((1u << mmc) < nvec)
		mmc++;
	m->cap = pci_cap_add(d, PCI_CAP_ID_MSI, size);
	if (!m->cap)
		return -ENOSPC;
	m->nvec_max = nvec;
	m->is64 = is64;
	m->maskable = maskable;
	for (unsigned i = 0; i < PCI_MSI_MAX; i++)
		vec_init(&m->vec[i]);
	pci_cfg_set(d, m->cap + 2, 2, (mmc << 1) | (is64 ? MSI_CTRL_64 : 0) |
		    (maskable ? MSI_CTRL_MASKABLE : 0));
	/* Enable and Multiple Message Enable are the writable control bits (§6.8.1.3). */
	pci_wmask_set(d, m->cap + 2, 2, MSI_CTRL_ENABLE | 0x0070);
	pci_wmask_set(d, m->cap + 4, 4, 0xfffffffc);	/* DWORD aligned address */
	if (is64)
		pci_wmask_set(d, m->cap + 8, 4, 0xffffffff);
	pci_wmask_set(d, msi_off_data(m), 2, 0xffff);
	allmask = nvec == 32 ? 0xffffffffu : (1u << nvec) - 1;
	if (maskable)
		pci_wmask_set(d, msi_off_mask(m), 4, allmask);	/* pending bits stay RO */
	pci_part_add(d, PCI_PART_MSI, &msi_part);
	return 0;
}

struct msi_msg pci_msi_msg(const struct pci_dev *d, unsigned n)
{
	const struct pci_msi *m = &d->msi;
	unsigned nact = m->nactive ? m->nactive : 1;
	struct msi_msg msg;
	uint16_t data = pci_cfg_get(d, msi_off_data(m), 2);

	msg.addr = pci_cfg_get(d, m->cap + 4, 4);
	if (m->is64)
		msg.addr |= (uint64_t)pci_cfg_get(d, m->cap + 8, 4) << 32;
	/* §6.8.3.2: with 2^k vectors the function modifies the low k bits of Message Data. */
	msg.data = (data & ~(nact - 1)) | (n & (nact - 1));
	return msg;
}

static void msi_pending_write(struct pci_dev *d)
{
	if (d->msi.maskable)
		pci_cfg_set(d, msi_off_mask(&d->msi) + 4, 4, d->msi.pending);
}

static void msi_release(struct pci_dev *d)
{
	struct pci_msi *m = &d->msi;
	bool had = m->nactive;

	for (unsigned i = 0; i < m->nactive; i++)
		vec_release(&d->bus->ops, &m->vec[i]);
	m->nactive = 0;
	m->pending = 0;
	msi_pending_write(d);
	if (had)
		commit(&d->bus->ops);
}

bool pci_msi_vec_masked(const struct pci_dev *d, unsigned n)
{
	return d->msi.maskable && (pci_cfg_get(d, msi_off_mask(&d->msi), 4) >> n & 1);
}

static void msi_sync(struct pci_dev *d)
{
	struct pci_msi *m = &d->msi;
	struct pci_host_ops *o = &d->bus->ops;
	uint16_t ctrl = pci_cfg_get(d, m->cap + 2, 2);
	unsigned mme = (ctrl >> 4) & 7, want = 0;
	bool changed = false;

	if (ctrl & MSI_CTRL_ENABLE)
		want = mme >= 6 ? m->nvec_max : (1u << mme);
	if (want > m->nvec_max)	/* MME above MMC is undefined (§6.8.1.3): clamp */
		want = m->nvec_max;
	if (want != m->nactive)
		msi_release(d);
	m->nactive = want;
	for (unsigned i = 0; i < want; i++)
		changed |= vec_route(o, &m->vec[i], pci_msi_msg(d, i));
	if (changed)
		commit(o);
	for (unsigned i = 0; i < want; i++)
		vec_bind(o, &m->vec[i]);
	/* Unmasked vectors with a pending message send it now (§6.8.3.4). */
	for (unsigned i = 0; i < want; i++) {
		if ((m->pending >> i & 1) && !pci_msi_vec_masked(d, i)) {
			m->pending &= ~(1u << i);
			vec_fire(d, &m->vec[i], pci_msi_msg(d, i));
		}
	}
	msi_pending_write(d);
}

static int msi_notify(struct pci_dev *d, unsigned n)
{
	struct pci_msi *m = &d->msi;

	if (n >= m->nactive)
		return -EINVAL;
	if (pci_msi_vec_masked(d, n)) {
		m->pending |= 1u << n;
		msi_pending_write(d);
		return 0;
	}
	return vec_fire(d, &m->vec[n], pci_msi_msg(d, n));
}

/* --- MSI-X --- */

static unsigned pba_bytes(unsigned nvec)
{
	return ((nvec + 63) / 64) * 8;
}

int pci_msix_init(struct pci_dev *d, unsigned nvec, int table_bar, uint32_t table_off,
		  int pba_bar, uint32_t pba_off)
{
	struct pci_msix *x = &d->msix;
	uint64_t tend = (uint64_t)table_off + nvec * MSIX_ENTRY;
	uint64_t pend = (uint64_t)pba_off + pba_bytes(nvec);

	if (x->cap || !nvec || nvec > PCI_MSIX_MAX || table_bar < 0 || table_bar >= PCI_NUM_BARS ||
	    pba_bar < 0 || pba_bar >= PCI_NUM_BARS || (table_off & 7) || (pba_off & 7))
		return -EINVAL;
	/* Both structures lie inside implemented, trapped memory BARs (§6.8.2.4/5). */
	if (!d->bars[table_bar].size || !d->bars[pba_bar].size ||
	    (d->bars[table_bar].flags & PCI_BAR_IO) || (d->bars[pba_bar].flags & PCI_BAR_IO) ||
	    d->bars[table_bar].ram || d->bars[pba_bar].ram ||
	    tend > d->bars[table_bar].size || pend > d->bars[pba_bar].size)
		return -EINVAL;
	if (table_bar == pba_bar && table_off < pend && pba_off < tend)
		return -EINVAL;
	/* They must trap: not inside a RAM-backed part of the BAR. */
	if (pci_bar_ram_overlaps(d, table_bar, table_off, tend - table_off) ||
	    pci_bar_ram_overlaps(d, pba_bar, pba_off, pend - pba_off))
		return -EINVAL;
	x->table = calloc(nvec, MSIX_ENTRY);
	x->pba = calloc(pba_bytes(nvec) / 8, 8);
	x->vec = calloc(nvec, sizeof(*x->vec));
	if (!x->table || !x->pba || !x->vec)
		goto fail;
	x->cap = pci_cap_add(d, PCI_CAP_ID_MSIX, 12);
	if (!x->cap)
		goto fail;
	x->nvec = nvec;
	x->table_bar = table_bar;
	x->pba_bar = pba_bar;
	x->table_off = table_off;
	x->pba_off = pba_off;
	for (unsigned i = 0; i < nvec; i++) {
		vec_init(&x->vec[i]);
		x->table[i * MSIX_ENTRY + 12] = MSIX_VEC_MASKED;	/* §6.8.2.9 */
	}
	pci_cfg_set(d, x->cap + 2, 2, nvec - 1);
	pci_wmask_set(d, x->cap + 2, 2, MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK);
	pci_cfg_set(d, x->cap + 4, 4, table_off | table_bar);
	pci_cfg_set(d, x->cap + 8, 4, pba_off | pba_bar);
	pci_part_add(d, PCI_PART_MSI, &msi_part);
	return 0;
fail:
	free(x->table);
	free(x->pba);
	free(x->vec);
	x->table = NULL;
	x->pba = NULL;
	x->vec = NULL;
	return -ENOMEM;
}

static uint16_t msix_ctrl(const struct pci_dev *d)
{
	return pci_cfg_get(d, d->msix.cap + 2, 2);
}

struct msi_msg pci_msix_msg(const struct pci_dev *d, unsigned n)
{
	const uint8_t *e = d->msix.table + n * MSIX_ENTRY;
	struct msi_msg m;

	memcpy(&m.addr, e, 8);
	memcpy(&m.data, e + 8, 4);
	return m;
}

bool pci_msix_pending(const struct pci_dev *d, unsigned n)
{
	return n < d->msix.nvec && (d->msix.pba[n / 64] >> (n % 64) & 1);
}

bool pci_msix_vec_masked(const struct pci_dev *d, unsigned n)
{
	return (msix_ctrl(d) & MSIX_CTRL_FMASK) ||
	       (d->msix.table[n * MSIX_ENTRY + 12] & MSIX_VEC_MASKED);
}

static void msix_release(struct pci_dev *d)
{
	struct pci_msix *x = &d->msix;

	if (!x->active)
		return;
	for (unsigned i = 0; i < x->nvec; i++)
		vec_release(&d->bus->ops, &x->vec[i]);
	x->active = false;
	commit(&d->bus->ops);
}

/*
 * Bring vectors in line with the table: a vector gets its route the first time it is enabled
 * and unmasked (so a 2048-entry table costs nothing until used), routes follow address/data
 * at unmask, and pending messages go out when the vector becomes unmasked (§6.8.2.9).
 */
static void msix_sync(struct pci_dev *d, unsigned first, unsigned count)
{
	struct pci_msix *x = &d->msix;
	struct pci_host_ops *o = &d->bus->ops;
	bool changed = false;

	if (!(msix_ctrl(d) & MSIX_CTRL_ENABLE)) {
		msix_release(d);
		return;
	}
	x->active = true;
	for (unsigned i = first; i < first + count; i++)
		if (!pci_msix_vec_masked(d, i))
			changed |= vec_route(o, &x->vec[i], pci_msix_msg(d, i));
	if (changed)
		commit(o);
	for (unsigned i = first; i < first + count; i++) {
		if (pci_msix_vec_masked(d, i))
			continue;
		vec_bind(o, &x->vec[i]);
		if (pci_msix_pending(d, i)) {
			x->pba[i / 64] &= ~(1ULL << (i % 64));
			vec_fire(d, &x->vec[i], pci_msix_msg(d, i));
		}
	}
}

static int msix_notify(struct pci_dev *d, unsigned n)
{
	struct pci_msix *x = &d->msix;

	if (n >= x->nvec)
		return -EINVAL;
	if (pci_msix_vec_masked(d, n)) {
		x->pba[n / 64] |= 1ULL << (n % 64);
		return 0;
	}
	return vec_fire(d, &x->vec[n], pci_msix_msg(d, n));
}

static void table_access(struct pci_dev *d, uint64_t rel, void *data, unsigned len,
			 bool is_write)
{
	struct pci_msix *x = &d->msix;
	unsigned n = rel / MSIX_ENTRY;
	uint8_t *e = x->table + rel;

	if (!is_write) {
		memcpy(data, e, len);
		return;
	}
	for (unsigned i = 0; i < len; i++) {
		unsigned col = (rel + i) % MSIX_ENTRY;
		uint8_t v = ((uint8_t *)data)[i];

		/* Vector Control: only the Mask bit is implemented, the rest reserved (RO 0). */
		if (col >= 12)
			v = col == 12 ? (v & MSIX_VEC_MASKED) : 0;
		e[i] = v;
	}
	msix_sync(d, n, 1);
}

bool pci_msix_bar_access(struct pci_dev *d, int bar, uint64_t off, void *data, unsigned len,
			 bool is_write)
{
	struct pci_msix *x = &d->msix;
	uint64_t tsize = (uint64_t)x->nvec * MSIX_ENTRY, psize = pba_bytes(x->nvec), rel;
	bool in_table, in_pba;

	if (!x->cap)
		return false;
	in_table = bar == x->table_bar && off >= x->table_off && off - x->table_off < tsize;
	in_pba = bar == x->pba_bar && off >= x->pba_off && off - x->pba_off < psize;
	if (!in_table && !in_pba)
		return false;
	rel = off - (in_table ? x->table_off : x->pba_off);
	/* §6.8.2: only aligned DWORD and QWORD accesses are defined; ignore the rest. */
	if ((len != 4 && len != 8) || (rel & (len - 1)) ||
	    rel + len > (in_table ? tsize : psize)) {
		if (!is_write)
			memset(data, 0xff, len);
		return true;
	}
	if (in_table) {
		bool was = is_write && trace_unlikely(d->bus->trace) &&
			   pci_msix_vec_masked(d, rel / MSIX_ENTRY);

		table_access(d, rel, data, len, is_write);
		/* kind "msi": a vector's mask bit changed (Vector Control, §6.8.2.9). */
		if (is_write && trace_unlikely(d->bus->trace) &&
		    was != pci_msix_vec_masked(d, rel / MSIX_ENTRY)) {
			struct msi_msg m = pci_msix_msg(d, rel / MSIX_ENTRY);

			pci_trace(d, TRACE_MSI, "\"type\":\"msix\",\"ev\":\"%s\",\"vec\":%u,"
				  "\"addr\":\"%#llx\",\"data\":\"%#x\"", was ? "unmask" : "mask",
				  (unsigned)(rel / MSIX_ENTRY), (unsigned long long)m.addr, m.data);
		}
		if (is_write)
			irq_changed(d);
		return true;
	}
	if (!is_write)			/* the PBA is read-only; writes are dropped */
		memcpy(data, (uint8_t *)x->pba + rel, len);
	return true;
}

/* Must [off, off+len) of BAR @bar keep trapping? The MSI-X table and PBA do (§6.8.2). */
static bool msix_traps(const struct pci_dev *d, int bar, uint64_t off, uint64_t len)
{
	const struct pci_msix *x = &d->msix;

	if (!x->cap)
		return false;
	return (bar == x->table_bar && off < x->table_off + x->nvec * (uint64_t)MSIX_ENTRY &&
		x->table_off < off + len) ||
	       (bar == x->pba_bar && off < x->pba_off + pba_bytes(x->nvec) && x->pba_off < off + len);
}

/* --- the state dump --- */

/*
 * An MSI is a DWORD write to 0xFEEx_xxxx: address bits 19:12 the destination, data bits 7:0
 * the vector and 10:8 the delivery mode (Intel SDM Vol. 3A §11.11, "Message Signalled
 * Interrupts"; §10.11 in older editions). Vectors 0-31 are the exceptions' (§6.2): 0-15 the
 * LAPIC refuses (Receive Illegal Vector), 16-31 it delivers, and the CPU runs the exception's
 * handler as if the fault had happened, without the error code some of them expect.
 */
const char *pci_msi_msg_problem(struct msi_msg m)
{
	unsigned vector = m.data & 0xff, mode = (m.data >> 8) & 7;

	if ((m.addr & ~0xfffffULL) != 0xfee00000ULL)
		return "address outside 0xFEExxxxx: a memory write, not an interrupt";
	switch (mode) {
	case 0: case 1:		/* fixed, lowest priority */
		if (vector < 16)
			return "vector below 16: illegal, the LAPIC drops it";
		if (vector < 32)
			return "vector 16-31: delivered to an exception handler";
		return NULL;
	case 2:
		return "delivery mode SMI";
	case 4:
		return "delivery mode NMI";
	case 5:
		return "delivery mode INIT";
	case 7:
		return "delivery mode ExtINT";
	default:
		return "reserved delivery mode";
	}
}

static void dump_vec(const struct pci_dev *d, FILE *f, const char *type, unsigned n,
		     struct msi_msg m, bool masked, bool pending, const struct pci_msix_vec *v)
{
	const char *bad = pci_msi_msg_problem(m);
	bool stale = v->gsi >= 0 && (v->msg.addr != m.addr || v->msg.data != m.data);

	fprintf(f, "vfvm: %s %s vector %u: addr %#llx data %#x (vector %#x, dest %#x)%s%s",
		d->name, type, n, (unsigned long long)m.addr, m.data, m.data & 0xff,
		(unsigned)(m.addr >> 12) & 0xff, masked ? " masked" : "", pending ? " pending" : "");
	if (v->gsi >= 0)
		fprintf(f, "; GSI %d carries addr %#llx data %#x%s, eventfd %s", v->gsi,
			(unsigned long long)v->msg.addr, v->msg.data,
			stale ? " (not what the table holds)" : "", v->efd >= 0 ? "bound" : "none");
	else
		fprintf(f, "; no route");
	if (bad && (!masked || v->gsi >= 0))
		fprintf(f, "; WARNING: %s", bad);
	fputc('\n', f);
}

void pci_msi_dump(const struct pci_dev *d, FILE *f)
{
	const struct pci_msix *x = &d->msix;
	const struct pci_msi *m = &d->msi;

	if (m->cap && m->nactive) {
		fprintf(f, "vfvm: %s MSI enabled, %u vector(s), %llu dropped\n", d->name, m->nactive,
			(unsigned long long)d->msi_dropped);
		for (unsigned i = 0; i < m->nactive; i++)
			dump_vec(d, f, "MSI", i, pci_msi_msg(d, i), pci_msi_vec_masked(d, i),
				 m->pending >> i & 1, &m->vec[i]);
	}
	if (x->cap && x->table) {
		uint16_t ctrl = msix_ctrl(d);
		unsigned quiet = 0;

		if (!(ctrl & MSIX_CTRL_ENABLE) && !x->active)
			return;
		fprintf(f, "vfvm: %s MSI-X %s%s, %u vector(s), %llu dropped\n", d->name,
			ctrl & MSIX_CTRL_ENABLE ? "enabled" : "disabled",
			ctrl & MSIX_CTRL_FMASK ? " function-masked" : "", x->nvec,
			(unsigned long long)d->msi_dropped);
		for (unsigned i = 0; i < x->nvec; i++) {
			bool masked = pci_msix_vec_masked(d, i), pend = pci_msix_pending(d, i);

			if (masked && !pend && x->vec[i].gsi < 0) {
				quiet++;
				continue;
			}
			dump_vec(d, f, "MSI-X", i, pci_msix_msg(d, i), masked, pend, &x->vec[i]);
		}
		if (quiet)
			fprintf(f, "vfvm: %s MSI-X: %u more vector(s) masked, unrouted, not pending\n",
				d->name, quiet);
	}
}

/* --- entry points --- */

static bool overlaps(unsigned off, unsigned len, unsigned start, unsigned size)
{
	return off < start + size && start < off + len;
}

/* A config write touching either capability: routes follow, and MSI(-X) Enable gates INTx. */
/* kind "msi" after a config write to a capability: its state (docs/trace.md). */
static void trace_caps(struct pci_dev *d, unsigned msi_was, bool msix_was)
{
	if (d->msi.cap) {
		struct msi_msg m = pci_msi_msg(d, 0);
		unsigned now = d->msi.nactive;

		pci_trace(d, TRACE_MSI, "\"type\":\"msi\",\"ev\":\"%s\",\"vectors\":%u,"
			  "\"addr\":\"%#llx\",\"data\":\"%#x\",\"mask\":\"%#x\"",
			  now && !msi_was ? "enable" : !now && msi_was ? "disable" : "update",
			  now, (unsigned long long)m.addr, m.data,
			  d->msi.maskable ? pci_cfg_get(d, msi_off_mask(&d->msi), 4) : 0);
	}
	if (d->msix.cap)
		pci_trace(d, TRACE_MSI, "\"type\":\"msix\",\"ev\":\"%s\",\"vectors\":%u,"
			  "\"fmask\":%s", d->msix.active && !msix_was ? "enable" :
			  !d->msix.active && msix_was ? "disable" : "update", d->msix.nvec,
			  msix_ctrl(d) & MSIX_CTRL_FMASK ? "true" : "false");
}

static void msi_cfg_written(struct pci_dev *d, unsigned off, unsigned len, uint16_t old_cmd)
{
	unsigned msi_was = d->msi.nactive;
	bool msix_was = d->msix.active;

	(void)old_cmd;
	if (!(d->msi.cap && overlaps(off, len, d->msi.cap, 24)) &&
	    !(d->msix.cap && overlaps(off, len, d->msix.cap, 12)))
		return;
	if (d->msi.cap)
		msi_sync(d);
	if (d->msix.cap)
		msix_sync(d, 0, d->msix.nvec);
	if (trace_unlikely(d->bus->trace))
		trace_caps(d, msi_was, msix_was);
	irq_changed(d);
	pci_intx_set(d, d->intx_level);
}

bool pci_msi_enabled(const struct pci_dev *d)
{
	return (d->msix.cap && (msix_ctrl(d) & MSIX_CTRL_ENABLE)) ||
	       (d->msi.cap && (pci_cfg_get(d, d->msi.cap + 2, 2) & MSI_CTRL_ENABLE));
}

int pci_msi_notify(struct pci_dev *d, unsigned n)
{
	bool msix = d->msix.cap && (msix_ctrl(d) & MSIX_CTRL_ENABLE);
	bool msi = d->msi.cap && (pci_cfg_get(d, d->msi.cap + 2, 2) & MSI_CTRL_ENABLE);

	if (!msix && !msi)
		return -ENODEV;		/* the device may use INTx instead */
	/* MSI is a memory write by the function: nothing goes out without Bus Master (§6.2.2). */
	if (!(pci_cfg_get(d, PCI_COMMAND, 2) & PCI_CMD_MASTER)) {
		d->msi_dropped++;
		return -EIO;
	}
	return msix ? msix_notify(d, n) : msi_notify(d, n);
}

/* Release all MSI/MSI-X routes (MSI(-X) Enable cleared / reset). */
static void msi_release_all(struct pci_dev *d)
{
	if (!d->bus)
		return;
	if (d->msi.cap)
		msi_release(d);
	if (d->msix.cap)
		msix_release(d);
	irq_changed(d);
}

/* Power-on: no routes, MSI-X vectors masked (§6.8.2.9), nothing pending. */
static void msi_reset(struct pci_dev *d)
{
	struct pci_msix *x = &d->msix;

	msi_release_all(d);
	if (x->table) {
		memset(x->table, 0, x->nvec * MSIX_ENTRY);
		for (unsigned i = 0; i < x->nvec; i++)
			x->table[i * MSIX_ENTRY + 12] = MSIX_VEC_MASKED;
		memset(x->pba, 0, pba_bytes(x->nvec));
	}
	d->msi.pending = 0;
}

static void msi_part_destroy(struct pci_dev *d)
{
	msi_release_all(d);
	pci_msi_destroy(d);
}

void pci_msi_destroy(struct pci_dev *d)
{
	free(d->msix.table);
	free(d->msix.pba);
	free(d->msix.vec);
	d->msix.table = NULL;
	d->msix.pba = NULL;
	d->msix.vec = NULL;
}

static const struct pci_part msi_part = {
	.cfg_written = msi_cfg_written,
	.intx_off = pci_msi_enabled,
	.reset = msi_reset,
	.destroy = msi_part_destroy,
	.bar_access = pci_msix_bar_access,
	.bar_traps = msix_traps,
};
