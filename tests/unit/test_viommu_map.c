/* test_viommu_map.c - unit tests of the virtio-iommu mapping table (src/virtio/iommu_map.c):
 * edge cases, then 100k fixed-seed random inserts/removes/lookups against a per-page array. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>
#include "virtio/iommu_map.h"

#define PAGES	512u		/* the model's IOVA space, in pages of 1 (units) */
#define OPS	100000u

static void test_edges(void **state)
{
	struct viommu_map m;
	unsigned first, count;

	(void)state;
	viommu_map_init(&m);
	assert_int_equal(viommu_map_insert(&m, 10, 9, 0, 1), -EINVAL);
	assert_int_equal(viommu_map_insert(&m, 0x1000, 0x1fff, 0x5000, 3), 0);
	assert_int_equal(viommu_map_insert(&m, 0x1fff, 0x2fff, 0, 3), -EEXIST);	/* one byte */
	assert_int_equal(viommu_map_insert(&m, 0, 0x1000, 0, 3), -EEXIST);
	assert_int_equal(viommu_map_insert(&m, 0, 0xfff, 0, 1), 0);		/* touches */
	assert_int_equal(viommu_map_insert(&m, 0xfffffffffffff000ull, UINT64_MAX, 7, 2), 0);
	assert_int_equal(m.n, 3);
	assert_null(viommu_map_lookup(&m, 0x2000));
	assert_int_equal(viommu_map_lookup(&m, 0x1800)->gpa, 0x5000);
	assert_int_equal(viommu_map_lookup(&m, UINT64_MAX)->gpa, 7);
	/* Nothing in range: no error, nothing found. */
	assert_int_equal(viommu_map_find(&m, 0x2000, 0x3fff, &first, &count), 0);
	assert_int_equal(count, 0);
	/* Splitting: -ERANGE; covering both: two. */
	assert_int_equal(viommu_map_find(&m, 0x1000, 0x17ff, &first, &count), -ERANGE);
	assert_int_equal(viommu_map_find(&m, 0x800, 0x1fff, &first, &count), -ERANGE);
	assert_int_equal(viommu_map_find(&m, 0, 0x2fff, &first, &count), 0);
	assert_int_equal(first, 0);
	assert_int_equal(count, 2);
	viommu_map_remove(&m, first, count);
	assert_int_equal(m.n, 1);
	assert_null(viommu_map_lookup(&m, 0x1000));
	viommu_map_remove(&m, 5, 1);		/* past the end: nothing */
	assert_int_equal(m.n, 1);
	viommu_map_free(&m);
	assert_int_equal(m.n, 0);
}

/* The model: per page the id of the mapping holding it (0: none), and each id's extent. */
struct model {
	unsigned owner[PAGES];
	struct { unsigned start, end; uint64_t gpa; } ext[PAGES + 1];
	unsigned next_id;
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void check_insert(struct viommu_map *m, struct model *md, unsigned a, unsigned len,
			 uint64_t gpa)
{
	bool free_run = true;
	int r;

	for (unsigned p = a; p < a + len; p++)
		if (md->owner[p])
			free_run = false;
	r = viommu_map_insert(m, a, a + len - 1, gpa, 1);
	assert_int_equal(r, free_run ? 0 : -EEXIST);
	if (r)
		return;
	md->next_id = md->next_id % PAGES + 1;
	while (md->ext[md->next_id].end)	/* a free id: at most PAGES mappings live */
		md->next_id = md->next_id % PAGES + 1;
	md->ext[md->next_id].start = a;
	md->ext[md->next_id].end = a + len;
	md->ext[md->next_id].gpa = gpa;
	for (unsigned p = a; p < a + len; p++)
		md->owner[p] = md->next_id;
}

static void check_remove(struct viommu_map *m, struct model *md, unsigned a, unsigned len)
{
	unsigned first, count, ids = 0;
	bool split = false;
	int r;

	for (unsigned p = a; p < a + len; p++) {
		unsigned id = md->owner[p];

		if (!id || (p > a && md->owner[p - 1] == id))
			continue;
		ids++;
		if (md->ext[id].start < a || md->ext[id].end > a + len)
			split = true;
	}
	r = viommu_map_find(m, a, a + len - 1, &first, &count);
	assert_int_equal(r, split ? -ERANGE : 0);
	assert_int_equal(count, ids);
	if (r)
		return;
	viommu_map_remove(m, first, count);
	for (unsigned p = a; p < a + len; p++) {
		md->ext[md->owner[p]].end = 0;
		md->owner[p] = 0;
	}
}

static void check_lookup(const struct viommu_map *m, const struct model *md, unsigned p)
{
	const struct viommu_mapping *e = viommu_map_lookup(m, p);
	unsigned id = md->owner[p];

	if (!id) {
		assert_null(e);
		return;
	}
	assert_non_null(e);
	assert_int_equal(e->iova, md->ext[id].start);
	assert_int_equal(e->last, md->ext[id].end - 1);
	assert_int_equal(e->gpa, md->ext[id].gpa);
}

static void check_sorted(const struct viommu_map *m)
{
	for (unsigned i = 1; i < m->n; i++)
		assert_true(m->e[i - 1].last < m->e[i].iova);
}

static void test_random(void **state)
{
	static struct model md;
	struct viommu_map m;
	uint64_t seed = 0x5eed1234abcdULL;
	unsigned inserted = 0, removed = 0;

	(void)state;
	memset(&md, 0, sizeof(md));
	viommu_map_init(&m);
	for (unsigned op = 0; op < OPS; op++) {
		unsigned kind = rnd(&seed) % 3, a = rnd(&seed) % PAGES;
		unsigned len = 1 + rnd(&seed) % (rnd(&seed) % 4 ? 8 : 64);

		if (a + len > PAGES)
			len = PAGES - a;
		if (kind == 0) {
			unsigned before = m.n;

			check_insert(&m, &md, a, len, rnd(&seed) & ~0xfffull);
			inserted += m.n > before;
		} else if (kind == 1) {
			unsigned before = m.n;

			check_remove(&m, &md, a, len);
			removed += before - m.n;
		} else {
			check_lookup(&m, &md, a);
		}
		if (op % 1024 == 0)
			check_sorted(&m);
	}
	for (unsigned p = 0; p < PAGES; p++)
		check_lookup(&m, &md, p);
	check_sorted(&m);
	/* The sequence really exercised both paths. */
	assert_true(inserted > 1000);
	assert_true(removed > 1000);
	viommu_map_free(&m);
}

/* The array is open at both ends: top-down allocation (each new mapping below the others)
 * keeps it sorted, and a FIFO of mappings (new ones below, oldest removed from the top) does
 * not make the allocation grow without bound. */
static void test_both_ends(void **state)
{
	struct viommu_map m;
	unsigned first, count;

	(void)state;
	viommu_map_init(&m);
	for (unsigned i = 0; i < 10000; i++)
		assert_int_equal(viommu_map_insert(&m, (uint64_t)(10000 - i) << 12,
						   ((uint64_t)(10000 - i) << 12) + 0xfff, i, 1), 0);
	check_sorted(&m);
	assert_int_equal(m.e[0].iova, 1ull << 12);
	viommu_map_free(&m);
	for (unsigned i = 0; i < 100000; i++) {
		uint64_t va = (uint64_t)(200000 - i) << 12;

		assert_int_equal(viommu_map_insert(&m, va, va + 0xfff, 0, 1), 0);
		if (m.n > 10) {
			va = m.e[m.n - 1].iova;
			assert_int_equal(viommu_map_find(&m, va, va + 0xfff, &first, &count), 0);
			assert_int_equal(count, 1);
			assert_int_equal(first, m.n - 1);
			viommu_map_remove(&m, first, count);
		}
	}
	assert_int_equal(m.n, 10);
	assert_true(m.cap <= 64);
	check_sorted(&m);
	viommu_map_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_both_ends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
