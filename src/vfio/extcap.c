/* extcap.c - the extended capability chain of a passed-through device: walk it defensively,
 * apply the per-capability policy below (the one place it is written; docs/passthrough.md
 * section 4a explains it), rebuild the next pointers over the hidden entries (extcap.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "extcap.h"

/*
 * The policy, by Extended Capability ID. Read-mostly capabilities whose contents mean the same
 * to the guest as to the host are passed through read-only; those that configure things the
 * host owns (error handling, isolation, the IOMMU, virtual functions, the link) are hidden, as
 * is every ID not listed. Guest writes to 0x100-0xFFF are dropped whatever the entry.
 */
static const struct extcap_policy policy[] = {
	{ EXTCAP_ID_NULL, "Null", EXTCAP_HIDE,
	  "no registers; the kernel's vfio-pci shows a capability it hides as ID 0" },
	{ EXTCAP_ID_AER, "Advanced Error Reporting", EXTCAP_HIDE,
	  "the host's AER driver owns the device's error masks, severities and logs; vfvm has no "
	  "root port to report errors through" },
	{ EXTCAP_ID_VC, "Virtual Channel", EXTCAP_HIDE, "link arbitration is the host's" },
	{ EXTCAP_ID_DSN, "Device Serial Number", EXTCAP_PASS_RO,
	  "a read-only identifier (§7.9.3)" },
	{ EXTCAP_ID_PWR, "Power Budgeting", EXTCAP_HIDE,
	  "its Data Select register would need virtualising; the power budget is the host's" },
	{ EXTCAP_ID_MFVC, "Multi-Function Virtual Channel", EXTCAP_HIDE,
	  "link arbitration is the host's" },
	{ EXTCAP_ID_VC9, "Virtual Channel (MFVC present)", EXTCAP_HIDE,
	  "link arbitration is the host's" },
	{ EXTCAP_ID_VNDR, "Vendor-Specific", EXTCAP_PASS_RO,
	  "vendor data the device's own driver looks for (§7.9.5); read-only" },
	{ EXTCAP_ID_ACS, "Access Control Services", EXTCAP_HIDE,
	  "the isolation the host's IOMMU groups rely on" },
	{ EXTCAP_ID_ARI, "Alternative Routing-ID", EXTCAP_HIDE,
	  "its Next Function Number names functions vfvm does not show (one function at .0)" },
	{ EXTCAP_ID_ATS, "Address Translation Services", EXTCAP_HIDE,
	  "no virtual IOMMU in vfvm: the device would cache the host IOMMU's translations" },
	{ EXTCAP_ID_SRIOV, "SR-IOV", EXTCAP_HIDE,
	  "virtual functions are created by the host (sriov_numvfs); VF BARs are not emulated" },
	{ EXTCAP_ID_MRIOV, "MR-IOV", EXTCAP_HIDE, "as SR-IOV" },
	{ EXTCAP_ID_PRI, "Page Request Interface", EXTCAP_HIDE,
	  "page requests need an IOMMU that serves them for the guest; vfvm has none" },
	{ EXTCAP_ID_REBAR, "Resizable BAR", EXTCAP_REBAR,
	  "shows only each BAR's current size, the size vfvm gave the BAR and maps (§7.8.6); "
	  "BAR Size writes dropped; hidden if a BAR does not match" },
	{ EXTCAP_ID_TPH, "TPH Requester", EXTCAP_HIDE,
	  "steering tags are the host platform's values" },
	{ EXTCAP_ID_LTR, "Latency Tolerance Reporting", EXTCAP_PASS_RO,
	  "the latencies the host programmed, read-only: the guest cannot change host power "
	  "management (§7.8.2)" },
	{ EXTCAP_ID_SECPCI, "Secondary PCI Express", EXTCAP_HIDE, "link equalisation: the host's" },
	{ EXTCAP_ID_PASID, "PASID", EXTCAP_HIDE,
	  "needs an IOMMU with PASID tables for the guest; vfvm has none" },
	{ EXTCAP_ID_DPC, "Downstream Port Containment", EXTCAP_HIDE, "the host's error handling" },
	{ EXTCAP_ID_L1SS, "L1 PM Substates", EXTCAP_HIDE, "link power management: the host's" },
	{ EXTCAP_ID_PTM, "Precision Time Measurement", EXTCAP_HIDE,
	  "needs a PTM root above it; vfvm's bus has no root port" },
	{ EXTCAP_ID_DVSEC, "Designated Vendor-Specific", EXTCAP_HIDE,
	  "may hold control registers (CXL); hidden until a device needs it" },
	{ EXTCAP_ID_DLF, "Data Link Feature", EXTCAP_HIDE, "the host's link" },
	{ EXTCAP_ID_PL16, "Physical Layer 16.0 GT/s", EXTCAP_HIDE, "the host's link" },
	{ EXTCAP_ID_LMR, "Lane Margining at the Receiver", EXTCAP_HIDE, "the host's link" },
};

static const struct extcap_policy unknown = {
	0xffff, "unknown", EXTCAP_HIDE, "vfvm does not know what it holds"
};

const struct extcap_policy *extcap_policy(uint16_t id)
{
	for (unsigned i = 0; i < sizeof(policy) / sizeof(policy[0]); i++)
		if (policy[i].id == id)
			return &policy[i];
	return &unknown;
}

const struct extcap_policy *extcap_policy_table(unsigned *n)
{
	*n = sizeof(policy) / sizeof(policy[0]);
	return policy;
}

/* The header fields (PCIe Base 5.0 §7.6.3): ID [15:0], version [19:16], next [31:20]. The next
 * pointer's bits 1:0 are reserved, "software must mask them" (§7.6.3), so they are. */
#define HDR_ID(h)	((h) & 0xffff)
#define HDR_VER(h)	(((h) >> 16) & 0xf)
#define HDR_NEXT(h)	(((h) >> 20) & 0xffc)
#define HDR(id, ver, next)	((uint32_t)(id) | (uint32_t)(ver) << 16 | (uint32_t)(next) << 20)

/* Resizable BAR (§7.8.6.2, §7.8.6.3): capability bits 23:4 = 1 MB ... 512 GB supported;
 * control bits 2:0 BAR Index, 7:5 Number of Resizable BARs, 13:8 BAR Size (2^(n+20)). */
#define REBAR_CTRL_IDX		0x0007
#define REBAR_CTRL_NBAR(c)	(((c) >> 5) & 7)
#define REBAR_CTRL_NBAR_MASK	0x00e0
#define REBAR_CTRL_SIZE(c)	(((c) >> 8) & 0x3f)
#define REBAR_CTRL_SIZE_MASK	0x3f00
#define REBAR_SIZE_MAX		19	/* 512 GB, capability bit 23: defined in every revision */

struct walk {
	extcap_read_fn rd;
	void *ctx;
	struct extcap_layout *l;
	uint64_t seen[(EXTCAP_SLOTS + 63) / 64];	/* headers met, bit per dword from 0x100 */
};

static void __attribute__((format(printf, 2, 3)))
problem(struct extcap_layout *l, const char *fmt, ...)
{
	va_list ap;

	if (l->problems++)
		return;
	va_start(ap, fmt);
	vsnprintf(l->why, sizeof(l->why), fmt, ap);
	va_end(ap);
}

static bool seen(const struct walk *w, unsigned off)
{
	unsigned i = (off - EXTCAP_BASE) / 4;

	return w->seen[i / 64] >> (i % 64) & 1;
}

static void mark(struct walk *w, unsigned off)
{
	unsigned i = (off - EXTCAP_BASE) / 4;

	w->seen[i / 64] |= 1ull << (i % 64);
}

/* A dword of a capability's body: the reads past a header stay inside 4 KiB whatever the
 * capability's registers say (-ERANGE: the capability does not fit). */
static int body(struct walk *w, unsigned off, uint32_t *val)
{
	if (off > EXTCAP_END - 4)
		return -ERANGE;
	return w->rd(w->ctx, off, val);
}

/* Where the first header after @off lies (by offset, not chain order), or the end of config
 * space: a capability's structure must end before it. */
static unsigned limit_after(const struct walk *w, unsigned off)
{
	for (unsigned o = off + 4; o < EXTCAP_END; o += 4)
		if (seen(w, o))
			return o;
	return EXTCAP_END;
}

/* Virtualise a Resizable BAR capability at @c->off: each entry offers only its BAR's current
 * size, which must be the size vfvm gave the BAR. -EINVAL (hide it) otherwise. */
static int rebar_setup(struct walk *w, struct extcap *c, const uint64_t bar_size[6])
{
	uint32_t ctrl;
	unsigned n;

	if (body(w, c->off + 8, &ctrl)) {
		problem(w->l, "Resizable BAR at 0x%x: its control register is past 4 KiB or "
			"cannot be read; hidden", c->off);
		return -EIO;
	}
	n = REBAR_CTRL_NBAR(ctrl);
	if (n < 1 || n > EXTCAP_REBAR_MAX) {
		problem(w->l, "Resizable BAR at 0x%x: %u resizable BARs (1-6 allowed); hidden",
			c->off, n);
		return -EINVAL;
	}
	c->size = 4 + 8 * n;
	for (unsigned i = 0; i < n; i++) {
		unsigned idx, sz;

		if (body(w, c->off + 8 + 8 * i, &ctrl)) {
			problem(w->l, "Resizable BAR at 0x%x: entry %u is past 4 KiB or cannot be "
				"read; hidden", c->off, i);
			return -EIO;
		}
		idx = ctrl & REBAR_CTRL_IDX;
		sz = REBAR_CTRL_SIZE(ctrl);
		if (idx >= 6 || sz > REBAR_SIZE_MAX || bar_size[idx] != 1ull << (20 + sz)) {
			problem(w->l, "Resizable BAR at 0x%x: BAR%u's current size (encoding %u) is "
				"not the size vfvm maps; capability hidden", c->off, idx, sz);
			return -EINVAL;
		}
		c->rebar[2 * i] = 1u << (sz + 4);
		c->rebar[2 * i + 1] = ctrl & (REBAR_CTRL_IDX | REBAR_CTRL_SIZE_MASK |
					      (i ? 0 : REBAR_CTRL_NBAR_MASK));
	}
	return 0;
}

/* The size of capability @c from its own registers, 0 when they make no sense. */
static unsigned cap_size(struct walk *w, struct extcap *c, const uint64_t bar_size[6])
{
	uint32_t v;

	switch (c->id) {
	case EXTCAP_ID_DSN:
		return 12;	/* header, serial number low and high dwords (§7.9.3) */
	case EXTCAP_ID_LTR:
		return 8;	/* header, max snoop and no-snoop latency (§7.8.2) */
	case EXTCAP_ID_VNDR:
		/* VSEC Length, bits 31:20 of the vendor-specific header, counts both
		 * headers (§7.9.5.2). */
		if (body(w, c->off + 4, &v))
			return 0;
		return (v >> 20) >= 8 ? v >> 20 : 0;
	case EXTCAP_ID_REBAR:
		return rebar_setup(w, c, bar_size) ? 0 : c->size;
	}
	return 0;
}

void extcap_walk(extcap_read_fn rd, void *ctx, const uint64_t bar_size[6],
		 struct extcap_layout *l)
{
	struct walk w = { .rd = rd, .ctx = ctx, .l = l };
	uint16_t order[EXTCAP_SLOTS];
	uint32_t hdrs[EXTCAP_SLOTS], h;
	unsigned off = EXTCAP_BASE, n = 0;

	memset(l, 0, sizeof(*l));
	/* A zero header at 0x100 says there are none (§7.6.3); all-ones, that nothing answers
	 * there (a conventional function behind an ECAM, a device gone). */
	if (rd(ctx, off, &h)) {
		problem(l, "the header at 0x%x cannot be read; none shown", off);
		return;
	}
	if (!h || h == 0xffffffffu)
		return;
	for (;;) {
		unsigned next;

		mark(&w, off);
		order[n] = off;
		hdrs[n++] = h;
		next = HDR_NEXT(h);
		if (!next)
			break;
		if (next < EXTCAP_BASE) {
			problem(l, "the capability at 0x%x points below 0x100 (to 0x%x); the chain "
				"is cut there", off, next);
			break;
		}
		if (seen(&w, next)) {
			problem(l, "the capability at 0x%x points back to 0x%x (a loop); the chain "
				"is cut there", off, next);
			break;
		}
		/* Cannot happen with every header met marked (at most EXTCAP_SLOTS distinct
		 * ones): kept so a walk is bounded even if the marking were wrong. */
		if (n == EXTCAP_SLOTS) {
			problem(l, "the chain is longer than %u entries (at 0x%x)", EXTCAP_SLOTS,
				off);
			break;
		}
		if (rd(ctx, next, &h) || h == 0xffffffffu) {
			problem(l, "the header at 0x%x (after 0x%x) cannot be read; the chain is cut "
				"there", next, off);
			break;
		}
		off = next;
	}
	l->nwalked = n;

	for (unsigned i = 0; i < n; i++) {
		const struct extcap_policy *p = extcap_policy(HDR_ID(hdrs[i]));
		struct extcap *c;
		unsigned size;

		if (p->action == EXTCAP_HIDE)
			continue;
		if (l->nkept == EXTCAP_MAX_KEPT) {
			problem(l, "more than %u capabilities to show; the one at 0x%x and those "
				"after it are hidden", EXTCAP_MAX_KEPT, order[i]);
			break;
		}
		c = &l->kept[l->nkept];
		memset(c, 0, sizeof(*c));
		c->id = HDR_ID(hdrs[i]);
		c->ver = HDR_VER(hdrs[i]);
		c->off = order[i];
		c->action = p->action;
		size = cap_size(&w, c, bar_size);
		if (!size) {
			/* (A Resizable BAR that does not match said why itself.) */
			if (c->id != EXTCAP_ID_REBAR)
				problem(l, "capability 0x%04x at 0x%x: its registers give no valid "
					"size; hidden", c->id, c->off);
			continue;
		}
		if (c->off + size > limit_after(&w, c->off)) {
			problem(l, "capability 0x%04x at 0x%x: its %u bytes run into the next header "
				"or past 4 KiB; hidden", c->id, c->off, size);
			continue;
		}
		c->size = size;
		l->nkept++;
	}
	for (unsigned i = 0; i < l->nkept; i++) {
		struct extcap *c = &l->kept[i];

		c->header = HDR(c->id, c->ver, i + 1 < l->nkept ? l->kept[i + 1].off : 0);
	}
	/*
	 * The head: the first kept capability's own header when it is at 0x100; otherwise a Null
	 * capability (ID 0, version 0) whose next pointer is the first kept one, as the kernel's
	 * vfio-pci and QEMU do; all zero when nothing is kept, which says "none" (§7.6.3).
	 */
	if (l->nkept && l->kept[0].off == EXTCAP_BASE)
		l->head = l->kept[0].header;
	else if (l->nkept)
		l->head = HDR(EXTCAP_ID_NULL, 0, l->kept[0].off);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

void extcap_fill(const struct extcap_layout *l, uint8_t *cfg)
{
	memset(cfg + EXTCAP_BASE, 0, EXTCAP_END - EXTCAP_BASE);
	put32(cfg + EXTCAP_BASE, l->head);
	for (unsigned i = 0; i < l->nkept; i++) {
		const struct extcap *c = &l->kept[i];

		put32(cfg + c->off, c->header);
		if (c->action == EXTCAP_REBAR)
			for (unsigned r = 0; r < (c->size - 4) / 4; r++)
				put32(cfg + c->off + 4 + 4 * r, c->rebar[r]);
	}
}

bool extcap_live(const struct extcap_layout *l, unsigned off)
{
	for (unsigned i = 0; i < l->nkept; i++) {
		const struct extcap *c = &l->kept[i];

		if (off >= c->off && off < c->off + c->size)
			return off >= c->off + 4 && c->action == EXTCAP_PASS_RO;
	}
	return false;
}
