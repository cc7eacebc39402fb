/* test_vfio_viommu.c - the VFIO back end of --viommu against the fake kernel: a container per
 * group, attach/detach/map/unmap, bypass, shared domains and groups, limits, unwinding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "fake_vfio.h"
#include "fake_sysfs.h"
#include "vfio/vfio_viommu.h"

#define HVA0 0x7f0000000000ULL
#define HVA1 0x7f1000000000ULL
#define EP_A 0x08	/* 00:01.0, group 3 */
#define EP_B 0x10	/* 00:02.0, group 5 */
#define EP_C 0x18	/* 00:03.0, group 3 too */
#define RW (IOMMU_READ | IOMMU_WRITE)

struct t {
	struct fake_vfio f;
	struct vfio_sys sys;
	struct guest_mem mem;
	struct vfio_viommu v;
	struct err e;
};

static const struct iommu_backend_ops *ops = &vfio_viommu_ops;

/* RAM as two regions, the second right after the first (so a range may span both). */
static void mem_two(struct guest_mem *m)
{
	memset(m, 0, sizeof(*m));
	m->n = 2;
	m->r[0] = (struct guest_region){ .gpa = 0, .size = 1 * MiB, .hva = (void *)HVA0 };
	m->r[1] = (struct guest_region){ .gpa = 1 * MiB, .size = 3 * MiB, .hva = (void *)HVA1 };
	m->ram_size = 4 * MiB;
}

static void t_init(struct t *t)
{
	struct pci_bdf b = { 0, 1, 0, 0 };

	memset(t, 0, sizeof(*t));
	fake_vfio_init(&t->f, &t->sys);
	mem_two(&t->mem);
	vfio_viommu_init(&t->v, &t->sys, NULL, &t->mem);
	assert_int_equal(vfio_viommu_group_get(&t->v, 3, &b, 1, &t->e), FAKE_GROUP_FD + 3);
	assert_int_equal(vfio_viommu_group_get(&t->v, 5, &b, 1, &t->e), FAKE_GROUP_FD + 5);
	assert_int_equal(vfio_viommu_ep_add(&t->v, EP_A, 3, &t->e), 0);
	assert_int_equal(vfio_viommu_ep_add(&t->v, EP_B, 5, &t->e), 0);
	assert_int_equal(vfio_viommu_ep_add(&t->v, EP_C, 3, &t->e), 0);
}

/* Nothing pinned and every fd closed after the VM. */
static void t_close(struct t *t)
{
	vfio_viommu_close(&t->v);
	assert_int_equal(t->f.nlive, 0);
	assert_int_equal(t->f.open_fds, 0);
	vfio_viommu_close(&t->v);	/* twice is harmless */
}

static int live_in(const struct t *t, int group)
{
	return fake_live_in(&t->f, t->f.group_container[group]);
}

static const struct fake_dma *live_at(const struct t *t, int group, uint64_t iova)
{
	for (int i = 0; i < t->f.nlive; i++)
		if (t->f.live[i].fd == t->f.group_container[group] && t->f.live[i].iova == iova)
			return &t->f.live[i];
	return NULL;
}

static void test_containers(void **state)
{
	struct t t;
	struct pci_bdf b = { 0, 1, 0, 0 };

	(void)state;
	t_init(&t);
	/* Each group in a type1v2 container of its own; the same group again is not reopened. */
	assert_int_equal(t.f.containers, 2);
	assert_int_not_equal(t.f.group_container[3], t.f.group_container[5]);
	assert_int_equal(t.f.iommu_type, VFIO_TYPE1v2_IOMMU);
	assert_int_equal(vfio_viommu_group_get(&t.v, 3, &b, 1, &t.e), FAKE_GROUP_FD + 3);
	assert_int_equal(t.f.containers, 2);
	assert_int_equal(t.f.open_fds, 4);
	/* At boot nothing is mapped: the devices reach nothing. */
	assert_int_equal(t.f.nlive, 0);
	assert_int_equal(t.f.map_calls, 0);
	assert_true(ops->owns(&t.v, EP_A));
	assert_true(ops->owns(&t.v, EP_C));
	assert_false(ops->owns(&t.v, 0x20));
	assert_int_equal(ops->attach(&t.v, 0x20, 1, false), -ENOENT);
	assert_int_equal(ops->detach(&t.v, 0x20), -ENOENT);
	assert_int_equal(ops->detach(&t.v, EP_A), -EINVAL);	/* not attached */
	assert_int_equal(vfio_viommu_ep_add(&t.v, EP_A, 3, &t.e), -EEXIST);
	assert_int_equal(vfio_viommu_ep_add(&t.v, 0x20, 9, &t.e), -ENOENT);
	t_close(&t);
	assert_int_equal(t.f.unset_containers, 2);
}

static void test_group_open_fails(void **state)
{
	struct t t;
	struct pci_bdf b = { 0, 1, 0, 0 };

	(void)state;
	memset(&t, 0, sizeof(t));
	fake_vfio_init(&t.f, &t.sys);
	mem_two(&t.mem);
	vfio_viommu_init(&t.v, &t.sys, NULL, &t.mem);
	t.f.group_viable[4] = 0;
	assert_int_equal(vfio_viommu_group_get(&t.v, 4, &b, 1, &t.e), -EBUSY);
	assert_int_equal(t.f.open_fds, 0);
	t.f.info_err = -ENOTTY;
	assert_int_equal(vfio_viommu_group_get(&t.v, 6, &b, 1, &t.e), -ENOTTY);
	assert_non_null(strstr(t.e.msg, "VFIO_IOMMU_GET_INFO"));
	assert_int_equal(t.f.open_fds, 0);
	assert_int_equal(t.v.ngroups, 0);
	t.f.info_err = 0;
	t.f.api_version = -1;
	assert_int_equal(vfio_viommu_group_get(&t.v, 6, &b, 1, &t.e), -ENOENT);
	t_close(&t);
}

static void test_map_unmap(void **state)
{
	struct t t;
	const struct fake_dma *d;

	(void)state;
	t_init(&t);
	assert_int_equal(ops->attach(&t.v, EP_A, 1, false), 0);
	assert_int_equal(t.f.nlive, 0);		/* attach maps nothing itself */
	assert_int_equal(ops->map(&t.v, 1, 0x10000, 0x200000, 0x2000, RW), 0);
	assert_int_equal(ops->map(&t.v, 1, 0x20000, 0x3000, 0x1000, IOMMU_READ), 0);
	assert_int_equal(live_in(&t, 3), 2);
	assert_int_equal(live_in(&t, 5), 0);
	d = live_at(&t, 3, 0x10000);
	assert_non_null(d);
	assert_int_equal(d->size, 0x2000);
	assert_int_equal(d->vaddr, HVA1 + 0x100000);	/* gpa 2 MiB is 1 MiB into region 1 */
	assert_int_equal(d->flags, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
	d = live_at(&t, 3, 0x20000);
	assert_non_null(d);
	assert_int_equal(d->vaddr, HVA0 + 0x3000);
	assert_int_equal(d->flags, VFIO_DMA_MAP_FLAG_READ);
	assert_int_equal(ops->map(&t.v, 1, 0x30000, 0x4000, 0x1000, IOMMU_WRITE), 0);
	assert_int_equal(live_at(&t, 3, 0x30000)->flags, VFIO_DMA_MAP_FLAG_WRITE);
	/* Another domain with no VFIO endpoint: nothing for the back end to do. */
	assert_int_equal(ops->map(&t.v, 2, 0x10000, 0x0, 0x1000, RW), 0);
	assert_int_equal(t.f.nlive, 3);
	/* MMIO has no pinnable memory behind it; no rights maps nothing. */
	assert_int_equal(ops->map(&t.v, 1, 0x40000, 0x5000, 0x1000, IOMMU_MMIO | RW), -EINVAL);
	assert_int_equal(ops->map(&t.v, 1, 0x40000, 0x5000, 0x1000, 0), 0);
	assert_int_equal(t.f.nlive, 3);
	/* Outside RAM, empty, wrapping. */
	assert_int_equal(ops->map(&t.v, 1, 0x40000, 4 * MiB, 0x1000, RW), -EINVAL);
	assert_int_equal(ops->map(&t.v, 1, 0x40000, 4 * MiB - 0x1000, 0x2000, RW), -EINVAL);
	assert_int_equal(ops->map(&t.v, 1, 0x40000, 0, 0, RW), -EINVAL);
	assert_int_equal(ops->map(&t.v, 1, ~0xfffULL, 0, 0x2000, RW), -EINVAL);
	assert_int_equal(t.f.nlive, 3);
	/* Overlapping what the container holds with something else: the kernel would refuse. */
	assert_int_equal(ops->map(&t.v, 1, 0x11000, 0x0, 0x1000, RW), -EEXIST);
	/* Unmap: exactly what the range covers; nothing there is fine; splitting is not. */
	assert_int_equal(ops->unmap(&t.v, 1, 0x10000, 0x1000), -EINVAL);
	assert_int_equal(ops->unmap(&t.v, 1, 0x11000, 0x1000), -EINVAL);
	assert_int_equal(live_in(&t, 3), 3);
	assert_int_equal(ops->unmap(&t.v, 1, 0x10000, 0x2000), 0);
	assert_null(live_at(&t, 3, 0x10000));
	assert_int_equal(ops->unmap(&t.v, 1, 0x50000, 0x1000), 0);
	assert_int_equal(ops->unmap(&t.v, 1, 0x0, 0), -EINVAL);
	/* One range over two mappings removes both. */
	assert_int_equal(ops->unmap(&t.v, 1, 0x0, 0x100000), 0);
	assert_int_equal(t.f.nlive, 0);
	assert_int_equal(t.v.groups[0].nmaps, 0);
	assert_int_equal(ops->map(&t.v, 1, 0x10000, 0x200000, 0x2000, RW), 0);
	t_close(&t);	/* the VM ends with the mapping in place: it is unmapped */
}

static void test_two_groups_one_domain(void **state)
{
	struct t t;
	int calls;

	(void)state;
	t_init(&t);
	assert_int_equal(ops->attach(&t.v, EP_A, 7, false), 0);
	assert_int_equal(ops->map(&t.v, 7, 0x100000, 0x100000, 0x10000, RW), 0);
	/* Group 5 joins; the model replays the domain: only the new container gets it. */
	assert_int_equal(ops->attach(&t.v, EP_B, 7, false), 0);
	calls = t.f.map_calls;
	assert_int_equal(ops->map(&t.v, 7, 0x100000, 0x100000, 0x10000, RW), 0);
	assert_int_equal(t.f.map_calls, calls + 1);
	assert_int_equal(live_in(&t, 3), 1);
	assert_int_equal(live_in(&t, 5), 1);
	assert_int_equal(live_at(&t, 5, 0x100000)->vaddr, HVA1);
	/* A new map reaches both containers; an unmap leaves both. */
	assert_int_equal(ops->map(&t.v, 7, 0x0, 0x0, 0x1000, IOMMU_READ), 0);
	assert_int_equal(live_in(&t, 3), 2);
	assert_int_equal(live_in(&t, 5), 2);
	assert_int_equal(ops->unmap(&t.v, 7, 0x100000, 0x10000), 0);
	assert_int_equal(live_in(&t, 3), 1);
	assert_int_equal(live_in(&t, 5), 1);
	/* Group 5 leaves: its container empties, group 3's keeps its mapping. */
	assert_int_equal(ops->detach(&t.v, EP_B), 0);
	assert_int_equal(live_in(&t, 5), 0);
	assert_int_equal(live_in(&t, 3), 1);
	assert_int_equal(ops->map(&t.v, 7, 0x2000, 0x2000, 0x1000, RW), 0);
	assert_int_equal(live_in(&t, 5), 0);
	assert_int_equal(live_in(&t, 3), 2);
	t_close(&t);
}

static void test_same_group(void **state)
{
	struct t t;

	(void)state;
	t_init(&t);
	assert_int_equal(ops->attach(&t.v, EP_A, 1, false), 0);
	assert_int_equal(ops->map(&t.v, 1, 0x0, 0x0, 0x1000, RW), 0);
	/* EP_C shares group 3 with EP_A: one container, so one domain. */
	assert_int_equal(ops->attach(&t.v, EP_C, 2, false), -EBUSY);
	assert_int_equal(ops->attach(&t.v, EP_C, 1, true), -EINVAL);
	assert_int_equal(ops->attach(&t.v, EP_C, 1, false), 0);
	assert_int_equal(ops->attach(&t.v, EP_A, 2, false), -EBUSY);
	/* The replay for EP_C finds the mapping there already. */
	assert_int_equal(ops->map(&t.v, 1, 0x0, 0x0, 0x1000, RW), 0);
	assert_int_equal(live_in(&t, 3), 1);
	/* The container stays while one of its endpoints is in the domain. */
	assert_int_equal(ops->detach(&t.v, EP_A), 0);
	assert_int_equal(live_in(&t, 3), 1);
	assert_int_equal(ops->attach(&t.v, EP_A, 2, false), -EBUSY);
	assert_int_equal(ops->detach(&t.v, EP_C), 0);
	assert_int_equal(live_in(&t, 3), 0);
	/* Now the group may go elsewhere. */
	assert_int_equal(ops->attach(&t.v, EP_C, 2, false), 0);
	assert_int_equal(ops->map(&t.v, 1, 0x0, 0x0, 0x1000, RW), 0);
	assert_int_equal(live_in(&t, 3), 0);
	t_close(&t);
}

static void test_move_domain(void **state)
{
	struct t t;

	(void)state;
	t_init(&t);
	assert_int_equal(ops->attach(&t.v, EP_B, 1, false), 0);
	assert_int_equal(ops->map(&t.v, 1, 0x0, 0x0, 0x4000, RW), 0);
	/* ATTACH to another domain leaves the old one first (virtio 1.2 §5.13.6, ATTACH). */
	assert_int_equal(ops->attach(&t.v, EP_B, 2, false), 0);
	assert_int_equal(live_in(&t, 5), 0);
	assert_int_equal(ops->map(&t.v, 1, 0x8000, 0x8000, 0x1000, RW), 0);
	assert_int_equal(live_in(&t, 5), 0);
	assert_int_equal(ops->map(&t.v, 2, 0x8000, 0x8000, 0x1000, RW), 0);
	assert_int_equal(live_in(&t, 5), 1);
	/* The same domain again changes nothing. */
	assert_int_equal(ops->attach(&t.v, EP_B, 2, false), 0);
	assert_int_equal(live_in(&t, 5), 1);
	t_close(&t);
}

static void test_bypass(void **state)
{
	struct t t;
	const struct fake_dma *d;

	(void)state;
	t_init(&t);
	assert_int_equal(ops->attach(&t.v, EP_A, 4, true), 0);
	/* All of RAM at IOVA = GPA, one mapping per region. */
	assert_int_equal(live_in(&t, 3), 2);
	d = live_at(&t, 3, 0);
	assert_non_null(d);
	assert_int_equal(d->size, 1 * MiB);
	assert_int_equal(d->vaddr, HVA0);
	d = live_at(&t, 3, 1 * MiB);
	assert_non_null(d);
	assert_int_equal(d->size, 3 * MiB);
	assert_int_equal(d->vaddr, HVA1);
	/* A bypass domain takes no mappings. */
	assert_int_equal(ops->map(&t.v, 4, 0x10000000, 0x0, 0x1000, RW), -EINVAL);
	assert_int_equal(ops->unmap(&t.v, 4, 0x0, 0x1000), -EINVAL);
	/* Group 5 joins the bypass domain too, then leaves it. */
	assert_int_equal(ops->attach(&t.v, EP_B, 4, true), 0);
	assert_int_equal(live_in(&t, 5), 2);
	assert_int_equal(ops->detach(&t.v, EP_B), 0);
	assert_int_equal(live_in(&t, 5), 0);
	/* Leaving bypass for a translated domain: RAM is unmapped. */
	assert_int_equal(ops->attach(&t.v, EP_A, 5, false), 0);
	assert_int_equal(live_in(&t, 3), 0);
	assert_int_equal(ops->attach(&t.v, EP_A, 4, true), 0);
	assert_int_equal(live_in(&t, 3), 2);
	t_close(&t);	/* bypass maps are unmapped at the end too */
}

static void test_span_regions(void **state)
{
	struct t t;
	const struct fake_dma *d;

	(void)state;
	t_init(&t);
	assert_int_equal(ops->attach(&t.v, EP_A, 1, false), 0);
	assert_int_equal(ops->attach(&t.v, EP_B, 1, false), 0);
	/* gpa [1 MiB - 4 KiB, 1 MiB + 8 KiB): two host mappings, in each container. */
	assert_int_equal(ops->map(&t.v, 1, 0x40000000, 1 * MiB - 0x1000, 0x3000, RW), 0);
	assert_int_equal(live_in(&t, 3), 2);
	assert_int_equal(live_in(&t, 5), 2);
	d = live_at(&t, 3, 0x40000000);
	assert_non_null(d);
	assert_int_equal(d->size, 0x1000);
	assert_int_equal(d->vaddr, HVA0 + 1 * MiB - 0x1000);
	d = live_at(&t, 3, 0x40001000);
	assert_non_null(d);
	assert_int_equal(d->size, 0x2000);
	assert_int_equal(d->vaddr, HVA1);
	/* Replayed as a whole: nothing new. */
	assert_int_equal(ops->map(&t.v, 1, 0x40000000, 1 * MiB - 0x1000, 0x3000, RW), 0);
	assert_int_equal(t.f.nlive, 4);
	/* The guest's one mapping goes in one unmap. */
	assert_int_equal(ops->unmap(&t.v, 1, 0x40000000, 0x3000), 0);
	assert_int_equal(t.f.nlive, 0);
	t_close(&t);
}

static void test_unwind(void **state)
{
	struct t t;

	(void)state;
	t_init(&t);
	assert_int_equal(ops->attach(&t.v, EP_A, 1, false), 0);
	assert_int_equal(ops->attach(&t.v, EP_B, 1, false), 0);
	/* The second piece of a range over two regions fails: the first is unmapped again. */
	t.f.map_fail_at = t.f.map_calls + 2;
	t.f.map_fail_err = -EFAULT;
	assert_int_equal(ops->map(&t.v, 1, 0x40000000, 1 * MiB - 0x1000, 0x3000, RW), -EFAULT);
	assert_int_equal(t.f.nlive, 0);
	assert_non_null(strstr(t.v.err.msg, "VFIO_IOMMU_MAP_DMA"));
	/* Group 5's container fails after group 3's mapped: group 3's goes again. */
	t.f.map_fail_at = t.f.map_calls + 2;
	t.f.map_fail_err = -ENOMEM;
	assert_int_equal(ops->map(&t.v, 1, 0x0, 0x0, 0x1000, RW), -ENOMEM);
	assert_int_equal(t.f.nlive, 0);
	assert_int_equal(t.v.groups[0].nmaps, 0);
	assert_int_equal(t.v.groups[1].nmaps, 0);
	/* A replay that fails in the new container leaves the old one's mapping alone. */
	t.f.map_fail_at = 0;
	assert_int_equal(ops->map(&t.v, 1, 0x0, 0x0, 0x1000, RW), 0);
	assert_int_equal(ops->detach(&t.v, EP_B), 0);
	assert_int_equal(ops->attach(&t.v, EP_B, 1, false), 0);
	t.f.map_fail_at = t.f.map_calls + 1;
	assert_int_equal(ops->map(&t.v, 1, 0x0, 0x0, 0x1000, RW), -ENOMEM);
	assert_int_equal(live_in(&t, 3), 1);
	assert_int_equal(live_in(&t, 5), 0);
	/* Bypass that fails on its second region: nothing left, the group not attached. */
	t.f.map_fail_at = t.f.map_calls + 2;
	assert_int_equal(ops->attach(&t.v, EP_B, 9, true), -ENOMEM);
	assert_int_equal(live_in(&t, 5), 0);
	assert_false(t.v.groups[1].attached);
	assert_int_equal(ops->map(&t.v, 9, 0x0, 0x0, 0x1000, RW), 0);
	assert_int_equal(live_in(&t, 5), 0);
	/* An unmap the kernel refuses: still recorded (still pinned), unmapped at the end. */
	t.f.unmap_fail_at = t.f.unmap_calls + 1;
	assert_int_equal(ops->unmap(&t.v, 1, 0x0, 0x1000), -EIO);
	assert_int_equal(live_in(&t, 3), 1);
	assert_int_equal(t.v.groups[0].nmaps, 1);
	t_close(&t);
}

static void test_dma_limit(void **state)
{
	struct t t;
	int calls;

	(void)state;
	memset(&t, 0, sizeof(t));
	fake_vfio_init(&t.f, &t.sys);
	t.f.dma_limit = 3;
	mem_two(&t.mem);
	vfio_viommu_init(&t.v, &t.sys, NULL, &t.mem);
	assert_int_equal(vfio_viommu_group_get(&t.v, 3, NULL, 0, &t.e), FAKE_GROUP_FD + 3);
	assert_int_equal(t.v.groups[0].dma_limit, 3);
	assert_int_equal(vfio_viommu_ep_add(&t.v, EP_A, 3, &t.e), 0);
	assert_int_equal(ops->attach(&t.v, EP_A, 1, false), 0);
	assert_int_equal(ops->map(&t.v, 1, 0x0, 0x0, 0x1000, RW), 0);
	assert_int_equal(ops->map(&t.v, 1, 0x1000, 0x1000, 0x1000, RW), 0);
	calls = t.f.map_calls;
	/* Two pieces with one entry left: refused before the kernel is asked. */
	assert_int_equal(ops->map(&t.v, 1, 0x10000, 1 * MiB - 0x1000, 0x2000, RW), -ENOSPC);
	assert_int_equal(t.f.map_calls, calls);
	assert_int_equal(ops->map(&t.v, 1, 0x2000, 0x2000, 0x1000, RW), 0);
	assert_int_equal(ops->map(&t.v, 1, 0x3000, 0x3000, 0x1000, RW), -ENOSPC);
	assert_int_equal(t.f.map_calls, calls + 1);
	/* Freed entries count again. */
	assert_int_equal(ops->unmap(&t.v, 1, 0x0, 0x1000), 0);
	assert_int_equal(ops->map(&t.v, 1, 0x3000, 0x3000, 0x1000, RW), 0);
	assert_int_equal(ops->detach(&t.v, EP_A), 0);
	assert_int_equal(t.f.nlive, 0);
	t_close(&t);

	/* A kernel without the DMA_AVAIL capability: its own -ENOSPC gets through. */
	memset(&t, 0, sizeof(t));
	fake_vfio_init(&t.f, &t.sys);
	t.f.dma_limit = 1;
	t.f.no_dma_avail_cap = 1;
	mem_two(&t.mem);
	vfio_viommu_init(&t.v, &t.sys, NULL, &t.mem);
	assert_int_equal(vfio_viommu_group_get(&t.v, 3, NULL, 0, &t.e), FAKE_GROUP_FD + 3);
	assert_int_equal(t.v.groups[0].dma_limit, UINT32_MAX);
	assert_int_equal(vfio_viommu_ep_add(&t.v, EP_A, 3, &t.e), 0);
	assert_int_equal(ops->attach(&t.v, EP_A, 1, true), -ENOSPC);
	assert_int_equal(t.f.nlive, 0);
	assert_int_equal(ops->attach(&t.v, EP_A, 1, false), 0);
	assert_int_equal(ops->map(&t.v, 1, 0x0, 0x0, 0x1000, RW), 0);
	assert_int_equal(ops->map(&t.v, 1, 0x1000, 0x1000, 0x1000, RW), -ENOSPC);
	assert_int_equal(t.v.groups[0].nmaps, 1);
	t_close(&t);

	/* DMA_AVAIL behind a long IOVA-range capability: found in the chain, also when the
	 * chain is longer than the first GET_INFO's buffer (asked again with the size needed). */
	for (uint32_t n = 2; n <= 64; n += 62) {
		memset(&t, 0, sizeof(t));
		fake_vfio_init(&t.f, &t.sys);
		t.f.dma_limit = 7;
		t.f.iova_ranges = n;
		mem_two(&t.mem);
		vfio_viommu_init(&t.v, &t.sys, NULL, &t.mem);
		assert_int_equal(vfio_viommu_group_get(&t.v, 3, NULL, 0, &t.e), FAKE_GROUP_FD + 3);
		assert_int_equal(t.v.groups[0].dma_limit, 7);
		t_close(&t);
	}
}

/* A guest reset empties every container and detaches every endpoint. */
static void test_reset(void **state)
{
	struct t t;

	(void)state;
	t_init(&t);
	assert_int_equal(ops->attach(&t.v, EP_A, 1, false), 0);
	assert_int_equal(ops->attach(&t.v, EP_C, 1, false), 0);
	assert_int_equal(ops->attach(&t.v, EP_B, 2, true), 0);
	assert_int_equal(ops->map(&t.v, 1, 0x0, 0x0, 0x1000, RW), 0);
	assert_int_equal(t.f.nlive, 3);
	assert_int_equal(vfio_viommu_reset(&t.v), 0);
	assert_int_equal(t.f.nlive, 0);
	assert_int_equal(ops->detach(&t.v, EP_A), -EINVAL);	/* detached already */
	assert_int_equal(ops->map(&t.v, 1, 0x0, 0x0, 0x1000, RW), 0);
	assert_int_equal(t.f.nlive, 0);
	/* EP_C's group may go anywhere now. */
	assert_int_equal(ops->attach(&t.v, EP_C, 3, false), 0);
	assert_int_equal(ops->map(&t.v, 3, 0x0, 0x0, 0x1000, RW), 0);
	assert_int_equal(live_in(&t, 3), 1);
	/* A refused unmap is said, the rest still goes. */
	assert_int_equal(ops->attach(&t.v, EP_B, 3, false), 0);
	assert_int_equal(ops->map(&t.v, 3, 0x0, 0x0, 0x1000, RW), 0);
	t.f.unmap_fail_at = t.f.unmap_calls + 1;
	assert_int_equal(vfio_viommu_reset(&t.v), -EIO);
	assert_int_equal(t.f.nlive, 1);			/* still there: close tries again */
	/* Refused at close too: left to the container's release (type1 unmaps it then). */
	t.f.unmap_fail_at = t.f.unmap_calls + 1;
	vfio_viommu_close(&t.v);
	assert_int_equal(t.f.nlive, 1);
	assert_int_equal(t.f.open_fds, 0);
	assert_int_equal(t.v.ngroups, 0);
}

static void test_bypass_limit(void **state)
{
	struct t t;

	(void)state;
	memset(&t, 0, sizeof(t));
	fake_vfio_init(&t.f, &t.sys);
	t.f.dma_limit = 1;	/* RAM is two regions */
	mem_two(&t.mem);
	vfio_viommu_init(&t.v, &t.sys, NULL, &t.mem);
	assert_int_equal(vfio_viommu_group_get(&t.v, 3, NULL, 0, &t.e), FAKE_GROUP_FD + 3);
	assert_int_equal(vfio_viommu_ep_add(&t.v, EP_A, 3, &t.e), 0);
	assert_int_equal(ops->attach(&t.v, EP_A, 1, true), -ENOSPC);
	assert_int_equal(t.f.map_calls, 0);
	assert_false(t.v.groups[0].attached);
	t_close(&t);
}

static void test_pgsizes(void **state)
{
	struct fake_vfio f;
	struct vfio_sys sys;
	struct guest_mem mem;
	struct vfio_viommu v;
	struct err e;

	(void)state;
	fake_vfio_init(&f, &sys);
	mem_two(&mem);
	vfio_viommu_init(&v, &sys, NULL, &mem);
	assert_int_equal(vfio_viommu_pgsizes(&v), 0);
	f.pgsizes = 0x40201000;		/* 4 KiB, 2 MiB, 1 GiB */
	assert_int_equal(vfio_viommu_group_get(&v, 3, NULL, 0, &e), FAKE_GROUP_FD + 3);
	assert_int_equal(vfio_viommu_pgsizes(&v), 0x40201000);
	f.pgsizes = ~0xfffULL;
	assert_int_equal(vfio_viommu_group_get(&v, 5, NULL, 0, &e), FAKE_GROUP_FD + 5);
	assert_int_equal(vfio_viommu_pgsizes(&v), 0x40201000);
	f.pgsizes = ~0xffffULL;		/* a 64 KiB granule: 4 KiB pages no longer work */
	assert_int_equal(vfio_viommu_group_get(&v, 6, NULL, 0, &e), FAKE_GROUP_FD + 6);
	assert_int_equal(vfio_viommu_pgsizes(&v), 0x40200000);
	vfio_viommu_close(&v);
	assert_int_equal(f.open_fds, 0);
}

struct resv_seen {
	uint64_t start[4], end[4];
	char type[4][16];
	int n;
};

static int resv_cb(void *arg, uint64_t start, uint64_t end, const char *type)
{
	struct resv_seen *s = arg;

	if (s->n == 4)
		return -E2BIG;
	s->start[s->n] = start;
	s->end[s->n] = end;
	snprintf(s->type[s->n], sizeof(s->type[0]), "%s", type);
	s->n++;
	return 0;
}

static void test_resv(void **state)
{
	struct fake_vfio f;
	struct vfio_sys sys;
	struct guest_mem mem;
	struct vfio_viommu v;
	struct vfio_host host;
	struct resv_seen seen = { 0 };
	struct pci_bdf b = { 0, 1, 0, 0 };
	struct err e;

	(void)state;
	assert_int_equal(fake_sysfs_new(), 0);
	host.root = fake_root;
	fake_add_dev("0000:01:00.0", 7, "vfio-pci");
	fake_put("sys/kernel/iommu_groups/7/reserved_regions",
		 "0x00000000fee00000 0x00000000feefffff msi\n"
		 "0x00000000000a0000 0x00000000000bffff direct\n");
	fake_vfio_init(&f, &sys);
	mem_two(&mem);
	vfio_viommu_init(&v, &sys, &host, &mem);
	assert_int_equal(vfio_viommu_group_get(&v, 7, &b, 1, &e), FAKE_GROUP_FD + 7);
	assert_int_equal(vfio_viommu_ep_add(&v, EP_A, 7, &e), 0);
	assert_int_equal(vfio_viommu_resv(&v, EP_A, resv_cb, &seen), 2);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.start[0], 0xfee00000);
	assert_int_equal(seen.end[0], 0xfeefffff);
	assert_string_equal(seen.type[0], "msi");
	assert_int_equal(seen.start[1], 0xa0000);
	assert_string_equal(seen.type[1], "direct");
	assert_int_equal(vfio_viommu_resv(&v, EP_B, resv_cb, &seen), -ENOENT);
	seen.n = 4;	/* the callback's error stops the walk */
	assert_int_equal(vfio_viommu_resv(&v, EP_A, resv_cb, &seen), -E2BIG);
	vfio_viommu_close(&v);
	assert_int_equal(f.open_fds, 0);
	assert_int_equal(fake_sysfs_free(), 0);
}

/* The tree is an AVL tree in iova order: returns its height, fails the test otherwise. */
static int tree_check(const struct vfio_viommu_map *n, uint64_t *next, unsigned *count)
{
	int l, r;

	if (!n)
		return 0;
	l = tree_check(n->left, next, count);
	assert_true(n->iova >= *next);		/* sorted, no overlap */
	*next = n->iova + n->size;
	(*count)++;
	r = tree_check(n->right, next, count);
	assert_true(l - r <= 1 && r - l <= 1);
	assert_int_equal(n->height, 1 + (l > r ? l : r));
	return n->height;
}

/* A fixed-seed random sequence of maps and unmaps, compared with a page array: the back end's
 * answers, its record and the fake kernel's mappings agree with it after every step. Guest
 * page p is at gpa p * 4 KiB, so a mapping over page 256 spans the two RAM regions: it is two
 * pieces, which the array keeps as two mappings (the back end knows pieces only). */
static void test_random(void **state)
{
	enum { PAGES = 512 };
	static int owner[PAGES];	/* 0: free, else the mapping's first page + 1 */
	static unsigned len[PAGES];
	struct t t;
	unsigned live = 0;

	(void)state;
	memset(owner, 0, sizeof(owner));
	t_init(&t);
	assert_int_equal(ops->attach(&t.v, EP_A, 1, false), 0);
	srand(20261207);
	for (int step = 0; step < 4000; step++) {
		unsigned a = (unsigned)rand() % PAGES, n = 1 + (unsigned)rand() % 8, b, i, k;
		uint64_t iova = 0x40000000ULL + a * 0x1000ULL, next = 0, count = 0;
		bool busy = false, split = false;
		unsigned cnt = 0;

		b = a + n > PAGES ? PAGES : a + n;
		for (i = a; i < b; i++)
			busy |= owner[i] != 0;
		if (rand() % 2) {
			int r = ops->map(&t.v, 1, iova, a * 0x1000ULL, (b - a) * 0x1000ULL, RW);

			/* The same mapping again is the model's replay: nothing changes. */
			unsigned cut = a < 256 && b > 256 ? 256 : b;
			bool same = owner[a] == (int)a + 1 && len[a] == cut - a;

			if (cut != b)
				same &= owner[cut] == (int)cut + 1 && len[cut] == b - cut;

			assert_int_equal(r, busy && !same ? -EEXIST : 0);
			if (!busy) {
				for (i = a; i < b; i++)
					owner[i] = (int)(i < cut ? a : cut) + 1;
				len[a] = cut - a;
				if (cut != b)
					len[cut] = b - cut;
				live += cut == b ? 1 : 2;
			}
		} else {
			unsigned s = owner[b - 1] ? (unsigned)owner[b - 1] - 1 : 0;

			split = (owner[a] && owner[a] != (int)a + 1) ||
				(owner[b - 1] && s + len[s] > b);
			assert_int_equal(ops->unmap(&t.v, 1, iova, (b - a) * 0x1000ULL),
					 split ? -EINVAL : 0);
			for (i = a; i < b && !split; i = k) {
				k = i + 1;
				if (owner[i] == (int)i + 1) {
					k = i + len[i];
					memset(&owner[i], 0, len[i] * sizeof(owner[0]));
					live--;
				}
			}
		}
		tree_check(t.v.groups[0].maps, &next, &cnt);
		count = cnt;
		assert_int_equal(count, live);
		assert_int_equal(t.v.groups[0].nmaps, live);
		assert_int_equal(live_in(&t, 3), live);
	}
	t_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_containers),
		cmocka_unit_test(test_group_open_fails),
		cmocka_unit_test(test_map_unmap),
		cmocka_unit_test(test_two_groups_one_domain),
		cmocka_unit_test(test_same_group),
		cmocka_unit_test(test_move_domain),
		cmocka_unit_test(test_bypass),
		cmocka_unit_test(test_span_regions),
		cmocka_unit_test(test_unwind),
		cmocka_unit_test(test_dma_limit),
		cmocka_unit_test(test_bypass_limit),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_pgsizes),
		cmocka_unit_test(test_resv),
		cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
