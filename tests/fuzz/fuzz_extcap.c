/* fuzz_extcap.c - libFuzzer harness for the extended capability walk of a passed-through device
 * (src/vfio/extcap.c): a fuzzed 0x100-0xFFF config space and BAR sizes, one read that may fail.
 * Invariants (abort() on violation): every read is an aligned dword inside 0x100-0xFFC and
 * their number is bounded; the kept capabilities are aligned, inside 4 KiB, of a kept ID and
 * never overlap; the guest's chain from 0x100 (vfvm's copy where extcap_live says so, the
 * device's bytes elsewhere) visits exactly the kept ones in order and ends; a Null head only
 * when 0x100's own capability is not kept.
 * Input: u8 BAR-size selector per BAR (0: none, n: 2^(n+11) bytes), u16 offset of a failing
 * read (0: none), then config bytes from 0x100 on. */
#include <string.h>
#include "fuzz_input.h"
#include "vfio/extcap.h"

struct space {
	uint8_t cfg[4096];
	unsigned fail_at, reads;
};

static int rd(void *ctx, unsigned off, uint32_t *val)
{
	struct space *s = ctx;

	FUZZ_CHECK(off >= 0x100 && off <= 0xffc && !(off & 3), "read at 0x%x", off);
	s->reads++;
	if (off == s->fail_at)
		return -EIO;
	memcpy(val, &s->cfg[off], 4);
	return 0;
}

FUZZ_NOCOV static uint32_t guest(const struct extcap_layout *l, const struct space *s,
				 const uint8_t *copy, unsigned off)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < 4; i++)
		v |= (uint32_t)(extcap_live(l, off + i) ? s->cfg[off + i] : copy[off + i]) << (8 * i);
	return v;
}

FUZZ_NOCOV static void check(const struct extcap_layout *l, const struct space *s)
{
	static uint8_t copy[4096];
	unsigned off = 0x100, k = 0;
	uint32_t h;

	FUZZ_CHECK(s->reads <= EXTCAP_SLOTS + 1 + 8 * l->nwalked, "%u reads for %u entries",
		   s->reads, l->nwalked);
	FUZZ_CHECK(l->nkept <= EXTCAP_MAX_KEPT && l->nkept <= l->nwalked, "%u kept of %u",
		   l->nkept, l->nwalked);
	for (unsigned i = 0; i < l->nkept; i++) {
		const struct extcap *c = &l->kept[i];

		FUZZ_CHECK(c->off >= 0x100 && !(c->off & 3) && c->size >= 8 &&
			   c->off + c->size <= 0x1000, "kept [0x%x, +%u)", c->off, c->size);
		FUZZ_CHECK(extcap_policy(c->id)->action != EXTCAP_HIDE, "hidden ID 0x%x kept", c->id);
		for (unsigned j = i + 1; j < l->nkept; j++)
			FUZZ_CHECK(c->off + c->size <= l->kept[j].off ||
				   l->kept[j].off + l->kept[j].size <= c->off,
				   "kept 0x%x and 0x%x overlap", c->off, l->kept[j].off);
	}
	extcap_fill(l, copy);
	h = guest(l, s, copy, off);
	if (h && (h & 0xffff) == EXTCAP_ID_NULL) {
		FUZZ_CHECK(!(h & 0xfffff) && l->nkept && l->kept[0].off != 0x100,
			   "Null head 0x%08x with %u kept", h, l->nkept);
		off = h >> 20;
		h = guest(l, s, copy, off);
	}
	while (h) {
		FUZZ_CHECK(k < l->nkept && off == l->kept[k].off && (h & 0xffff) == l->kept[k].id,
			   "guest chain entry %u at 0x%x (0x%08x) is not kept[%u]", k, off, h, k);
		k++;
		off = h >> 20;
		if (!off)
			break;
		h = guest(l, s, copy, off);
	}
	FUZZ_CHECK(k == l->nkept, "guest chain has %u of %u kept", k, l->nkept);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct space s;
	struct fin in = { data, size, 0 };
	struct extcap_layout l;
	uint64_t bars[6];

	memset(&s, 0, sizeof(s));
	for (int i = 0; i < 6; i++) {
		unsigned n = fin_u8(&in) % 32;

		bars[i] = n ? 1ull << (n + 11) : 0;
	}
	s.fail_at = fin_u16(&in) & 0xffc;
	if (in.at < in.n)
		memcpy(s.cfg + 0x100, data + in.at,
		       in.n - in.at < 0xf00 ? in.n - in.at : 0xf00);
	extcap_walk(rd, &s, bars, &l);
	check(&l, &s);
	return 0;
}
