/* iommu_map.c - a virtio-iommu domain's mappings as a sorted array of disjoint intervals:
 * binary search for lookups; insert/remove move the shorter side of the array. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "virtio/iommu_map.h"

void viommu_map_init(struct viommu_map *m)
{
	memset(m, 0, sizeof(*m));
}

void viommu_map_free(struct viommu_map *m)
{
	free(m->base);
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

/* Free slots before and after the entries. */
static unsigned map_room_front(const struct viommu_map *m)
{
	return (unsigned)(m->e - m->base);
}

static unsigned map_room_back(const struct viommu_map *m)
{
	return m->cap - map_room_front(m) - m->n;
}

/* Room on both sides: the entries re-centred in place while they fill at most half of the
 * allocation (a FIFO of mappings must not grow it forever), else in one twice as large. */
static int map_regrow(struct viommu_map *m)
{
	unsigned cap = m->cap < 8 ? 16 : 2 * m->cap;
	struct viommu_mapping *b;

	if (m->cap >= 16 && m->n <= m->cap / 2) {
		b = m->base + (m->cap - m->n) / 2;
		memmove(b, m->e, (size_t)m->n * sizeof(*b));
		m->e = b;
		return 0;
	}

	if (cap < m->cap || cap > UINT32_MAX / 2)
		return -ENOMEM;
	b = malloc((size_t)cap * sizeof(*b));
	if (!b)
		return -ENOMEM;
	if (m->n)
		memcpy(b + (cap - m->n) / 2, m->e, (size_t)m->n * sizeof(*b));
	free(m->base);
	m->base = b;
	m->e = b + (cap - m->n) / 2;
	m->cap = cap;
	return 0;
}

int viommu_map_insert(struct viommu_map *m, uint64_t iova, uint64_t last, uint64_t gpa,
		      uint32_t flags)
{
	bool front;
	unsigned i;

	if (last < iova)
		return -EINVAL;
	i = map_first_from(m, iova);
	if (i < m->n && m->e[i].iova <= last)
		return -EEXIST;
	/* Move the shorter side; where that side has no room left, grow and re-centre. */
	front = i < m->n - i;
	if ((front ? map_room_front(m) : map_room_back(m)) == 0 && map_regrow(m))
		return -ENOMEM;
	if (front) {
		memmove(m->e - 1, m->e, (size_t)i * sizeof(*m->e));
		m->e--;
	} else {
		memmove(&m->e[i + 1], &m->e[i], (size_t)(m->n - i) * sizeof(*m->e));
	}
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
	if (first < m->n - first - count) {
		/* Fewer entries before the range than after it: those move up. */
		memmove(m->e + count, m->e, (size_t)first * sizeof(*m->e));
		m->e += count;
	} else {
		memmove(&m->e[first], &m->e[first + count],
			(size_t)(m->n - first - count) * sizeof(*m->e));
	}
	m->n -= count;
}
