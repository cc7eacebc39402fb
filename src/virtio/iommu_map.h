/* iommu_map.h - one virtio-iommu domain's IOVA -> guest-physical mappings (virtio 1.2 §5.13.6.6):
 * an ordered set of non-overlapping intervals in a sorted array open at both ends. Pure. */
#ifndef VFVM_VIRTIO_IOMMU_MAP_H
#define VFVM_VIRTIO_IOMMU_MAP_H

#include <stdint.h>

/* [iova, last] (inclusive, as the spec's virt_start/virt_end) -> [gpa, gpa + last - iova]. */
struct viommu_mapping {
	uint64_t iova, last;
	uint64_t gpa;
	uint32_t flags;			/* IOMMU_READ/WRITE/MMIO (core/iommu.h) */
};

/* The entries are e[0..n), inside an allocation of cap with room kept on both sides, so that
 * an insert or removal moves the shorter side (Linux allocates IOVAs top down: new mappings
 * land below the others, and cost nothing to add there). */
struct viommu_map {
	struct viommu_mapping *e;	/* sorted by iova, no two overlap */
	unsigned n;
	struct viommu_mapping *base;	/* the allocation: e - base free slots before e */
	unsigned cap;
};

void viommu_map_init(struct viommu_map *m);
void viommu_map_free(struct viommu_map *m);
/* Adds [iova, last] -> gpa. -EINVAL if last < iova, -EEXIST if it overlaps a mapping,
 * -ENOMEM. */
int viommu_map_insert(struct viommu_map *m, uint64_t iova, uint64_t last, uint64_t gpa,
		      uint32_t flags);
/* The mapping holding @iova, or NULL. O(log n). */
const struct viommu_mapping *viommu_map_lookup(const struct viommu_map *m, uint64_t iova);
/*
 * The mappings that meet [iova, last]: *first their index, *count how many (0: none). -ERANGE
 * if one of them lies only partly inside (removing the range would split it, §5.13.6.7).
 */
int viommu_map_find(const struct viommu_map *m, uint64_t iova, uint64_t last, unsigned *first,
		    unsigned *count);
/* Removes entries [first, first + count). */
void viommu_map_remove(struct viommu_map *m, unsigned first, unsigned count);

#endif
