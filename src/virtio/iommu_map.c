/* iommu_map.c - a virtio-iommu domain's mappings as a sorted array of disjoint intervals:
 * binary search for lookups, memmove for insert/remove (domains hold thousands, not millions). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "virtio/iommu_map.h"

void viommu_map_init(struct viommu_map *m)
{
	memset(m, 0, sizeof(*m));
}

void viommu_map_free(struct viommu_map *m)
{
	free(m->e);
	viommu_map_init(m);
}

/* Index of the first mapping whose last >= @iova (n if none). */
static unsigned map_first_from(const struct viommu_map *m, uint64_t iova)
{
	unsigned lo = 0, hi = m->n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (m->e[mid].last < iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int map_grow(struct viommu_map *m)
{
	unsigned cap = m->cap ? 2 * m->cap : 16;
	struct viommu_mapping *e;

	if (cap < m->cap)
		return -ENOMEM;
	e = realloc(m->e, (size_t)cap * sizeof(*e));
	if (!e)
		return -ENOMEM;
	m->e = e;
	m->cap = cap;
	return 0;
}

int viommu_map_insert(struct viommu_map *m, uint64_t iova, uint64_t last, uint64_t gpa,
		      uint32_t flags)
{
	unsigned i;

	if (last < iova)
		return -EINVAL;
	i = map_first_from(m, iova);
	if (i < m->n && m->e[i].iova <= last)
		return -EEXIST;
	if (m->n == m->cap && map_grow(m))
		return -ENOMEM;
	memmove(&m->e[i + 1], &m->e[i], (size_t)(m->n - i) * sizeof(*m->e));
	m->e[i] = (struct viommu_mapping){ .iova = iova, .last = last, .gpa = gpa,
					   .flags = flags };
	m->n++;
	return 0;
}

const struct viommu_mapping *viommu_map_lookup(const struct viommu_map *m, uint64_t iova)
{
	unsigned i = map_first_from(m, iova);

	return i < m->n && m->e[i].iova <= iova ? &m->e[i] : NULL;
}

int viommu_map_find(const struct viommu_map *m, uint64_t iova, uint64_t last, unsigned *first,
		    unsigned *count)
{
	unsigned i = map_first_from(m, iova), j = i;

	while (j < m->n && m->e[j].iova <= last)
		j++;
	*first = i;
	*count = j - i;
	if (j > i && (m->e[i].iova < iova || m->e[j - 1].last > last))
		return -ERANGE;
	return 0;
}

void viommu_map_remove(struct viommu_map *m, unsigned first, unsigned count)
{
	if (first >= m->n || !count)
		return;
	if (count > m->n - first)
		count = m->n - first;
	memmove(&m->e[first], &m->e[first + count],
		(size_t)(m->n - first - count) * sizeof(*m->e));
	m->n -= count;
}
