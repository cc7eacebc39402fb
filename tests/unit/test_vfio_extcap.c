/* test_vfio_extcap.c - the extended capability walk and rebuild (src/vfio/extcap.c) on synthetic
 * 4 KiB config spaces, through the read callback vfio_pci.c uses: a chain that loops, points
 * below 0x100 or into another capability or past 4 KiB, a hidden first capability, all hidden,
 * DSN kept with the right next pointer, unaligned next pointers masked, Resizable BAR showing
 * only the current size, the policy table, and what the guest reads byte by byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>
#include "vfio/extcap.h"

struct space {
	uint8_t cfg[4096];
	unsigned fail_at;	/* a read of this dword fails (0: none) */
	unsigned reads;
};

static int rd(void *ctx, unsigned off, uint32_t *val)
{
	struct space *s = ctx;

	s->reads++;
	assert_true(off >= 0x100 && off <= 0xffc && !(off & 3));
	if (s->fail_at && off == s->fail_at)
		return -EIO;
	memcpy(val, &s->cfg[off], 4);
	return 0;
}

static void put(struct space *s, unsigned off, uint32_t v)
{
	memcpy(&s->cfg[off], &v, 4);
}

static void hdr(struct space *s, unsigned off, unsigned id, unsigned ver, unsigned next)
{
	put(s, off, id | ver << 16 | next << 20);
}

static const uint64_t no_bars[6];

/* What a guest read of dword @off returns: vfvm's copy, or the device's byte where live. */
static uint32_t guest(const struct extcap_layout *l, const struct space *s, unsigned off)
{
	uint8_t copy[4096] = { 0 };
	uint32_t v = 0;

	extcap_fill(l, copy);
	for (unsigned i = 0; i < 4; i++) {
		uint8_t b = extcap_live(l, off + i) ? s->cfg[off + i] : copy[off + i];

		v |= (uint32_t)b << (8 * i);
	}
	return v;
}

static void walk(struct space *s, struct extcap_layout *l)
{
	extcap_walk(rd, s, no_bars, l);
}

static void test_none(void **state)
{
	struct space s = { 0 };
	struct extcap_layout l;

	(void)state;
	walk(&s, &l);
	assert_int_equal(l.nkept, 0);
	assert_int_equal(l.head, 0);
	assert_int_equal(l.problems, 0);
	assert_int_equal(guest(&l, &s, 0x100), 0);
	/* All-ones at 0x100: nothing answers there; no capability, no complaint. */
	memset(s.cfg + 0x100, 0xff, 4096 - 0x100);
	walk(&s, &l);
	assert_int_equal(l.nkept, 0);
	assert_int_equal(l.problems, 0);
	assert_int_equal(guest(&l, &s, 0x100), 0);
	assert_int_equal(guest(&l, &s, 0x200), 0);
}

/* DSN at 0x100, ACS (hidden) at 0x10c, a VSEC at 0x150: DSN's next pointer skips ACS. */
static void test_dsn_kept_next_pointer(void **state)
{
	struct space s = { 0 };
	struct extcap_layout l;

	(void)state;
	hdr(&s, 0x100, EXTCAP_ID_DSN, 1, 0x10c);
	put(&s, 0x104, 0x12345678);
	put(&s, 0x108, 0x9abcdef0);
	hdr(&s, 0x10c, EXTCAP_ID_ACS, 1, 0x150);
	put(&s, 0x110, 0x0000005f);		/* ACS capability + control */
	hdr(&s, 0x150, EXTCAP_ID_VNDR, 1, 0);
	put(&s, 0x154, 0x01010001 | 0x010 << 20);	/* VSEC ID 1, rev 1, length 16 */
	put(&s, 0x158, 0xdeadbeef);
	put(&s, 0x15c, 0x0badcafe);
	walk(&s, &l);
	assert_int_equal(l.problems, 0);
	assert_int_equal(l.nwalked, 3);
	assert_int_equal(l.nkept, 2);
	assert_int_equal(l.kept[0].off, 0x100);
	assert_int_equal(l.kept[0].size, 12);
	assert_int_equal(l.kept[1].off, 0x150);
	assert_int_equal(l.kept[1].size, 16);
	/* The guest's chain: DSN -> VSEC -> end, with the device's values. */
	assert_int_equal(guest(&l, &s, 0x100), EXTCAP_ID_DSN | 1 << 16 | 0x150 << 20);
	assert_int_equal(guest(&l, &s, 0x104), 0x12345678);
	assert_int_equal(guest(&l, &s, 0x108), 0x9abcdef0);
	assert_int_equal(guest(&l, &s, 0x150), EXTCAP_ID_VNDR | 1 << 16);
	assert_int_equal(guest(&l, &s, 0x154), 0x01010001 | 0x010 << 20);
	assert_int_equal(guest(&l, &s, 0x15c), 0x0badcafe);
	/* ACS is gone: its bytes and everything outside the kept ones read 0. */
	assert_int_equal(guest(&l, &s, 0x10c), 0);
	assert_int_equal(guest(&l, &s, 0x110), 0);
	assert_int_equal(guest(&l, &s, 0x160), 0);
	/* Headers come from vfvm's copy, bodies live. */
	assert_false(extcap_live(&l, 0x100));
	assert_false(extcap_live(&l, 0x103));
	assert_true(extcap_live(&l, 0x104));
	assert_true(extcap_live(&l, 0x10b));
	assert_false(extcap_live(&l, 0x10c));
}

/* The lab's e1000e (QEMU): AER at 0x100 (hidden), DSN at 0x140. The head becomes a Null
 * capability pointing at DSN, which stays at its own offset. */
static void test_hidden_first(void **state)
{
	struct space s = { 0 };
	struct extcap_layout l;

	(void)state;
	hdr(&s, 0x100, EXTCAP_ID_AER, 2, 0x140);
	put(&s, 0x104, 0x00100000);		/* uncorrectable status: a host-side error */
	hdr(&s, 0x140, EXTCAP_ID_DSN, 1, 0);
	put(&s, 0x144, 0x00123456);
	put(&s, 0x148, 0x525400ff);
	walk(&s, &l);
	assert_int_equal(l.problems, 0);
	assert_int_equal(l.nkept, 1);
	assert_int_equal(l.head, 0x140u << 20);
	assert_int_equal(guest(&l, &s, 0x100), 0x140u << 20);	/* ID 0, version 0, next 0x140 */
	assert_int_equal(guest(&l, &s, 0x104), 0);		/* AER's status: not shown */
	assert_int_equal(guest(&l, &s, 0x140), EXTCAP_ID_DSN | 1 << 16);
	assert_int_equal(guest(&l, &s, 0x144), 0x00123456);
	assert_int_equal(guest(&l, &s, 0x148), 0x525400ff);
}

/* Every capability hidden: 0x100 reads 0 (no extended capabilities, §7.6.3). */
static void test_all_hidden(void **state)
{
	struct space s = { 0 };
	struct extcap_layout l;

	(void)state;
	hdr(&s, 0x100, EXTCAP_ID_ARI, 1, 0x120);	/* QEMU's nvme with sriov_max_vfs */
	put(&s, 0x104, 0x00000100);
	hdr(&s, 0x120, EXTCAP_ID_SRIOV, 1, 0x160);
	put(&s, 0x12c, 0x00020002);
	hdr(&s, 0x160, EXTCAP_ID_ATS, 1, 0x170);
	hdr(&s, 0x170, EXTCAP_ID_PASID, 1, 0x180);
	hdr(&s, 0x180, EXTCAP_ID_PRI, 1, 0x1a0);
	hdr(&s, 0x1a0, 0x7777, 1, 0);			/* unknown: hidden by default */
	walk(&s, &l);
	assert_int_equal(l.problems, 0);
	assert_int_equal(l.nwalked, 6);
	assert_int_equal(l.nkept, 0);
	assert_int_equal(l.head, 0);
	for (unsigned off = 0x100; off < 0x1000; off += 4)
		assert_int_equal(guest(&l, &s, off), 0);
}

/* The kernel's vfio-pci hides a capability it does not know at the head by zeroing its ID
 * and version and keeping the next pointer: skipped, not taken for "no capabilities". */
static void test_kernel_masked_head(void **state)
{
	struct space s = { 0 };
	struct extcap_layout l;

	(void)state;
	hdr(&s, 0x100, EXTCAP_ID_NULL, 0, 0x200);
	hdr(&s, 0x200, EXTCAP_ID_LTR, 1, 0);
	put(&s, 0x204, 0x10031003);
	walk(&s, &l);
	assert_int_equal(l.problems, 0);
	assert_int_equal(l.nkept, 1);
	assert_int_equal(l.kept[0].size, 8);
	assert_int_equal(guest(&l, &s, 0x100), 0x200u << 20);
	assert_int_equal(guest(&l, &s, 0x200), EXTCAP_ID_LTR | 1 << 16);
	assert_int_equal(guest(&l, &s, 0x204), 0x10031003);
}

static void test_loop(void **state)
{
	struct space s = { 0 };
	struct extcap_layout l;

	(void)state;
	/* DSN -> VSEC -> back to DSN. */
	hdr(&s, 0x100, EXTCAP_ID_DSN, 1, 0x110);
	hdr(&s, 0x110, EXTCAP_ID_VNDR, 1, 0x100);
	put(&s, 0x114, 0x008 << 20);
	walk(&s, &l);
	assert_int_equal(l.problems, 1);
	assert_non_null(strstr(l.why, "loop"));
	assert_non_null(strstr(l.why, "0x110"));
	assert_int_equal(l.nwalked, 2);
	assert_int_equal(l.nkept, 2);
	/* The guest's chain ends: DSN -> VSEC -> 0. */
	assert_int_equal(guest(&l, &s, 0x100) >> 20, 0x110);
	assert_int_equal(guest(&l, &s, 0x110) >> 20, 0);
	/* A capability pointing at itself. */
	memset(&s, 0, sizeof(s));
	hdr(&s, 0x100, EXTCAP_ID_DSN, 1, 0x100);
	walk(&s, &l);
	assert_int_equal(l.problems, 1);
	assert_int_equal(l.nwalked, 1);
	assert_int_equal(guest(&l, &s, 0x100), EXTCAP_ID_DSN | 1 << 16);
}

/* The longest chain there can be, 960 headers 0x100 -> 0x104 -> ... -> 0xffc, is walked whole;
 * closing it into a loop stops at the end with one problem. Reads stay bounded. */
static void test_longest_chain(void **state)
{
	struct space s = { 0 };
	struct extcap_layout l;

	(void)state;
	for (unsigned off = 0x100; off < 0x1000; off += 4)
		hdr(&s, off, 0x7777, 1, off + 4 < 0x1000 ? off + 4 : 0);
	walk(&s, &l);
	assert_int_equal(l.problems, 0);
	assert_int_equal(l.nwalked, EXTCAP_SLOTS);
	assert_int_equal(l.nkept, 0);
	hdr(&s, 0xffc, 0x7777, 1, 0x100);
	s.reads = 0;
	walk(&s, &l);
	assert_int_equal(l.problems, 1);
	assert_non_null(strstr(l.why, "loop"));
	assert_int_equal(l.nwalked, EXTCAP_SLOTS);
	assert_true(s.reads <= EXTCAP_SLOTS + 1);
}

static void test_bad_pointers(void **state)
{
	struct space s = { 0 };
	struct extcap_layout l;

	(void)state;
	/* Below 0x100 (into the conventional space). */
	hdr(&s, 0x100, EXTCAP_ID_DSN, 1, 0x040);
	walk(&s, &l);
	assert_int_equal(l.problems, 1);
	assert_non_null(strstr(l.why, "below 0x100"));
	assert_int_equal(l.nkept, 1);
	assert_int_equal(guest(&l, &s, 0x100), EXTCAP_ID_DSN | 1 << 16);
	/* Bits 1:0 of the pointer are reserved and masked (§7.6.3): 0x143 is 0x140. */
	memset(&s, 0, sizeof(s));
	hdr(&s, 0x100, EXTCAP_ID_DSN, 1, 0x143);
	hdr(&s, 0x140, EXTCAP_ID_LTR, 1, 0);
	walk(&s, &l);
	assert_int_equal(l.problems, 0);
	assert_int_equal(l.nkept, 2);
	assert_int_equal(guest(&l, &s, 0x100) >> 20, 0x140);
	/* A header that cannot be read ends the chain there. */
	s.fail_at = 0x140;
	walk(&s, &l);
	assert_int_equal(l.problems, 1);
	assert_non_null(strstr(l.why, "0x140"));
	assert_int_equal(l.nkept, 1);
	assert_int_equal(guest(&l, &s, 0x100) >> 20, 0);
	/* ... and so does an all-ones one (the device stopped answering). */
	s.fail_at = 0;
	put(&s, 0x140, 0xffffffff);
	walk(&s, &l);
	assert_int_equal(l.problems, 1);
	assert_int_equal(l.nkept, 1);
	/* Nothing readable at 0x100 at all. */
	s.fail_at = 0x100;
	walk(&s, &l);
	assert_int_equal(l.problems, 1);
	assert_int_equal(l.nkept, 0);
	assert_int_equal(l.head, 0);
}

/* A kept capability must fit before the next header and inside 4 KiB, or it is hidden. */
static void test_overlap_and_end(void **state)
{
	struct space s = { 0 };
	struct extcap_layout l;

	(void)state;
	/* DSN is 12 bytes, but the next header sits at 0x108. */
	hdr(&s, 0x100, EXTCAP_ID_DSN, 1, 0x108);
	hdr(&s, 0x108, EXTCAP_ID_LTR, 1, 0);
	walk(&s, &l);
	assert_int_equal(l.problems, 1);
	assert_non_null(strstr(l.why, "0x100"));
	assert_int_equal(l.nkept, 1);
	assert_int_equal(l.kept[0].id, EXTCAP_ID_LTR);
	assert_int_equal(guest(&l, &s, 0x100), 0x108u << 20);
	/* A VSEC whose length runs past 4 KiB. */
	memset(&s, 0, sizeof(s));
	hdr(&s, 0x100, EXTCAP_ID_DSN, 1, 0xff8);
	hdr(&s, 0xff8, EXTCAP_ID_VNDR, 1, 0);
	put(&s, 0xffc, 0x020 << 20);
	walk(&s, &l);
	assert_int_equal(l.problems, 1);
	assert_int_equal(l.nkept, 1);
	assert_int_equal(guest(&l, &s, 0x100) >> 20, 0);
	assert_int_equal(guest(&l, &s, 0xff8), 0);
	/* A VSEC too short to hold its own headers. */
	put(&s, 0xffc, 0x004 << 20);
	walk(&s, &l);
	assert_int_equal(l.problems, 1);
	assert_int_equal(l.nkept, 1);
}

/* Resizable BAR: each entry offers only the current size, and only when vfvm's BAR has it. */
static void test_rebar(void **state)
{
	struct space s = { 0 };
	struct extcap_layout l;
	uint64_t bars[6] = { 256 << 20, 0, 0x4000, 0, 0, 0 };

	(void)state;
	hdr(&s, 0x100, EXTCAP_ID_REBAR, 1, 0x120);
	put(&s, 0x104, 0x00fffff0);		/* BAR0: 1 MB - 512 GB */
	put(&s, 0x108, 0 | 2 << 5 | 8 << 8);	/* BAR0, 2 entries, current 256 MB */
	put(&s, 0x10c, 0x000000f0);		/* BAR2: 1-8 MB */
	put(&s, 0x110, 2 | 0 << 8 | 0x00ff0000);	/* BAR2, current 1 MB, bits 31:16 set */
	hdr(&s, 0x120, EXTCAP_ID_DSN, 1, 0);
	/* BAR2 is 16 KiB in vfvm, not 1 MB: the capability is hidden. */
	extcap_walk(rd, &s, bars, &l);
	assert_int_equal(l.problems, 1);
	assert_non_null(strstr(l.why, "BAR2"));
	assert_int_equal(l.nkept, 1);
	assert_int_equal(l.kept[0].id, EXTCAP_ID_DSN);
	assert_int_equal(guest(&l, &s, 0x100), 0x120u << 20);
	/* With BAR2 at 1 MB it is shown, one size per BAR, and read from vfvm's copy. */
	bars[2] = 1 << 20;
	extcap_walk(rd, &s, bars, &l);
	assert_int_equal(l.problems, 0);
	assert_int_equal(l.nkept, 2);
	assert_int_equal(l.kept[0].size, 4 + 2 * 8);
	assert_int_equal(guest(&l, &s, 0x100), EXTCAP_ID_REBAR | 1 << 16 | 0x120 << 20);
	assert_int_equal(guest(&l, &s, 0x104), 1u << (8 + 4));	/* 256 MB only */
	assert_int_equal(guest(&l, &s, 0x108), 0 | 2 << 5 | 8 << 8);
	assert_int_equal(guest(&l, &s, 0x10c), 1u << 4);		/* 1 MB only */
	assert_int_equal(guest(&l, &s, 0x110), 2);			/* no NBAR, no 31:16 */
	for (unsigned b = 0x100; b < 0x114; b++)
		assert_false(extcap_live(&l, b));
	/* A current size vfvm cannot have shown (above 512 GB) or a bad BAR index. */
	put(&s, 0x108, 0 | 2 << 5 | 20 << 8);
	extcap_walk(rd, &s, bars, &l);
	assert_int_equal(l.problems, 1);
	assert_int_equal(l.nkept, 1);
	put(&s, 0x108, 7 | 2 << 5 | 8 << 8);
	extcap_walk(rd, &s, bars, &l);
	assert_int_equal(l.nkept, 1);
	/* Zero resizable BARs. */
	put(&s, 0x108, 0 | 0 << 5 | 8 << 8);
	extcap_walk(rd, &s, bars, &l);
	assert_int_equal(l.problems, 1);
	assert_int_equal(l.nkept, 1);
}

/* The policy table: one entry per ID, and the decisions docs/passthrough.md states. */
static void test_policy(void **state)
{
	unsigned n;
	const struct extcap_policy *t = extcap_policy_table(&n);
	static const struct { uint16_t id; enum extcap_action a; } want[] = {
		{ EXTCAP_ID_DSN, EXTCAP_PASS_RO }, { EXTCAP_ID_VNDR, EXTCAP_PASS_RO },
		{ EXTCAP_ID_LTR, EXTCAP_PASS_RO }, { EXTCAP_ID_REBAR, EXTCAP_REBAR },
		{ EXTCAP_ID_AER, EXTCAP_HIDE }, { EXTCAP_ID_ACS, EXTCAP_HIDE },
		{ EXTCAP_ID_SRIOV, EXTCAP_HIDE }, { EXTCAP_ID_ATS, EXTCAP_HIDE },
		{ EXTCAP_ID_PRI, EXTCAP_HIDE }, { EXTCAP_ID_PASID, EXTCAP_HIDE },
		{ EXTCAP_ID_ARI, EXTCAP_HIDE }, { EXTCAP_ID_NULL, EXTCAP_HIDE },
		{ 0x7777, EXTCAP_HIDE }, { 0xffff, EXTCAP_HIDE },
	};

	(void)state;
	for (unsigned i = 0; i < n; i++) {
		assert_non_null(t[i].name);
		assert_true(t[i].why && t[i].why[0]);
		for (unsigned j = i + 1; j < n; j++)
			assert_int_not_equal(t[i].id, t[j].id);
	}
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(extcap_policy(want[i].id)->action, want[i].a);
	assert_string_equal(extcap_policy(0x7777)->name, "unknown");
}

/* extcap_fill clears what was there before (a guest reset restores the sealed copy). */
static void test_fill_clears(void **state)
{
	struct space s = { 0 };
	struct extcap_layout l;
	uint8_t copy[4096];

	(void)state;
	memset(copy, 0xaa, sizeof(copy));
	hdr(&s, 0x100, EXTCAP_ID_DSN, 1, 0);
	walk(&s, &l);
	extcap_fill(&l, copy);
	assert_int_equal(copy[0xff], 0xaa);
	assert_int_equal(copy[0x100], EXTCAP_ID_DSN);
	assert_int_equal(copy[0x104], 0);
	assert_int_equal(copy[0xfff], 0);
}

/* A deterministic random walk over many malformed spaces (fixed seed, so it runs in make unit
 * without libFuzzer): headers with random IDs, versions and next pointers at random offsets.
 * After every walk: the kept capabilities are aligned, inside 4 KiB and never overlap; the
 * guest's chain from 0x100 visits exactly them, in order, and ends; no hidden ID is in it; the
 * device was read a bounded number of times. */
static uint32_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x >> 16;
}

static void test_random_spaces(void **state)
{
	static const uint16_t ids[] = { EXTCAP_ID_DSN, EXTCAP_ID_VNDR, EXTCAP_ID_LTR,
					EXTCAP_ID_REBAR, EXTCAP_ID_AER, EXTCAP_ID_SRIOV,
					EXTCAP_ID_NULL, 0x7777 };
	uint64_t x = 0x5eed1234abcdull, bars[6] = { 1 << 20, 0, 256 << 20, 0, 0, 0 };
	struct extcap_layout l;
	struct space s;
	unsigned kept2 = 0, bad = 0, hidden_head = 0;

	(void)state;
	for (int iter = 0; iter < 20000; iter++) {
		unsigned off = 0x100, n = 1 + rnd(&x) % 24, seen_hops = 0;

		memset(&s, 0, sizeof(s));
		for (unsigned b = 0x100; b < 0x1000; b += 4)
			if (rnd(&x) % 4 == 0)
				put(&s, b, rnd(&x) << 16 | rnd(&x));
		for (unsigned i = 0; i < n; i++) {
			unsigned next = rnd(&x) % 8 ? 0x100 + 4 * (rnd(&x) % 960) : rnd(&x) & 0xfff;

			if (i == n - 1 && rnd(&x) % 2)
				next = 0;
			hdr(&s, off, ids[rnd(&x) % 8], rnd(&x) & 0xf, next);
			if (rnd(&x) % 3 == 0)	/* a VSEC length or ReBAR control that may fit */
				put(&s, off + 4 < 0x1000 ? off + 4 : off,
				    (rnd(&x) % 64) << 20 | (rnd(&x) & 0x3fff));
			if (next < 0x100)
				break;
			off = next & 0xffc;
		}
		s.fail_at = rnd(&x) % 16 == 0 ? 0x100 + 4 * (rnd(&x) % 960) : 0;
		s.reads = 0;
		extcap_walk(rd, &s, bars, &l);
		assert_true(s.reads <= EXTCAP_SLOTS + 1 + 8 * l.nwalked);
		assert_true(l.nkept <= EXTCAP_MAX_KEPT && l.nkept <= l.nwalked);
		for (unsigned i = 0; i < l.nkept; i++) {
			const struct extcap *c = &l.kept[i];

			assert_true(c->off >= 0x100 && !(c->off & 3));
			assert_true(c->size >= 8 && c->off + c->size <= 0x1000);
			assert_int_not_equal(extcap_policy(c->id)->action, EXTCAP_HIDE);
			for (unsigned j = i + 1; j < l.nkept; j++)
				assert_true(c->off + c->size <= l.kept[j].off ||
					    l.kept[j].off + l.kept[j].size <= c->off);
		}
		/* The guest's chain. */
		off = 0x100;
		{
			uint32_t h = guest(&l, &s, off);
			unsigned k = 0;

			if (h && (h & 0xffff) == EXTCAP_ID_NULL) {
				assert_int_equal(h & 0xfffff, 0);
				assert_true(l.nkept && l.kept[0].off != 0x100);
				off = h >> 20;
				h = guest(&l, &s, off);
			}
			while (h) {
				assert_true(k < l.nkept);
				assert_int_equal(off, l.kept[k].off);
				assert_int_equal(h & 0xffff, l.kept[k].id);
				k++;
				off = h >> 20;
				if (!off)
					break;
				assert_true(++seen_hops <= EXTCAP_MAX_KEPT);
				h = guest(&l, &s, off);
			}
			assert_int_equal(k, l.nkept);
		}
		kept2 += l.nkept >= 2;
		bad += l.problems > 0;
		hidden_head += l.nkept && l.kept[0].off != 0x100;
	}
	/* The spaces did exercise the interesting cases. */
	print_message("20000 spaces: %u with 2+ kept, %u with a problem, %u with a Null head\n",
		      kept2, bad, hidden_head);
	assert_true(kept2 > 500 && bad > 2000 && hidden_head > 500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_dsn_kept_next_pointer),
		cmocka_unit_test(test_hidden_first),
		cmocka_unit_test(test_all_hidden),
		cmocka_unit_test(test_kernel_masked_head),
		cmocka_unit_test(test_loop),
		cmocka_unit_test(test_longest_chain),
		cmocka_unit_test(test_bad_pointers),
		cmocka_unit_test(test_overlap_and_end),
		cmocka_unit_test(test_rebar),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_fill_clears),
		cmocka_unit_test(test_random_spaces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
