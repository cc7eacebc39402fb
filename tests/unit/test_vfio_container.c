/* test_vfio_container.c - the VFIO container against a fake kernel: API checks, group
 * viability and sharing, DMA mapping at IOVA = GPA, reserved regions, teardown, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "fake_vfio.h"

static struct guest_mem two_regions(void)
{
	struct guest_mem m = { 0 };

	m.n = 2;
	m.r[0].gpa = 0;
	m.r[0].size = 3ULL << 30;
	m.r[0].hva = (void *)0x7f0000000000ULL;
	m.r[1].gpa = 1ULL << 32;
	m.r[1].size = 1ULL << 30;
	m.r[1].hva = (void *)0x7f1000000000ULL;
	m.ram_size = 4ULL << 30;
	return m;
}

static void test_open_errors(void **state)
{
	struct fake_vfio f;
	struct vfio_sys sys;
	struct vfio_container c;
	struct err e = { 0 };

	(void)state;
	fake_vfio_init(&f, &sys);
	f.api_version = -1;	/* no /dev/vfio/vfio */
	assert_int_equal(vfio_container_open(&c, &sys, NULL, &e), -ENOENT);
	assert_true(e.usage);
	assert_non_null(strstr(e.msg, "intel_iommu=on"));

	fake_vfio_init(&f, &sys);
	f.api_version = 1;
	assert_int_equal(vfio_container_open(&c, &sys, NULL, &e), -EINVAL);
	assert_int_equal(f.open_fds, 0);

	fake_vfio_init(&f, &sys);
	f.type1v2 = 0;
	assert_int_equal(vfio_container_open(&c, &sys, NULL, &e), -ENOTSUP);
	assert_non_null(strstr(e.msg, "type1v2"));
	assert_int_equal(f.open_fds, 0);
}

static void test_groups(void **state)
{
	struct fake_vfio f;
	struct vfio_sys sys;
	struct vfio_container c;
	struct err e = { 0 };
	struct pci_bdf b = { 0, 1, 0, 0 };

	(void)state;
	fake_vfio_init(&f, &sys);
	assert_int_equal(vfio_container_open(&c, &sys, NULL, &e), 0);
	assert_int_equal(vfio_group_get(&c, 7, &b, 1, &e), FAKE_GROUP_FD + 7);
	assert_int_equal(f.iommu_type, VFIO_TYPE1v2_IOMMU);
	/* The same group again: same fd, not opened twice. */
	assert_int_equal(vfio_group_get(&c, 7, &b, 1, &e), FAKE_GROUP_FD + 7);
	assert_int_equal(f.open_fds, 2);
	/* A group another program holds. */
	f.group_open_err[8] = -EBUSY;
	assert_int_equal(vfio_group_get(&c, 8, &b, 1, &e), -EBUSY);
	assert_true(e.usage);
	assert_non_null(strstr(e.msg, "already in use"));
	/* A group with no /dev/vfio node: its device is not bound to vfio-pci. */
	f.group_open_err[9] = -ENOENT;
	assert_int_equal(vfio_group_get(&c, 9, &b, 1, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "vfio-pci"));
	/* A group the kernel says is not viable is closed again. */
	f.group_viable[10] = 0;
	assert_int_equal(vfio_group_get(&c, 10, &b, 1, &e), -EBUSY);
	assert_non_null(strstr(e.msg, "not viable"));
	assert_int_equal(f.open_fds, 2);
	vfio_container_close(&c);
	assert_int_equal(f.open_fds, 0);
	assert_int_equal(f.unset_containers, 1);
}

static void test_dma_map(void **state)
{
	struct fake_vfio f;
	struct vfio_sys sys;
	struct vfio_container c;
	struct err e = { 0 };
	struct pci_bdf b = { 0, 1, 0, 0 };
	struct guest_mem m = two_regions();

	(void)state;
	fake_vfio_init(&f, &sys);
	assert_int_equal(vfio_container_open(&c, &sys, NULL, &e), 0);
	assert_int_equal(vfio_group_get(&c, 3, &b, 1, &e), FAKE_GROUP_FD + 3);
	assert_int_equal(vfio_dma_map_ram(&c, &m, &e), 0);
	assert_int_equal(f.nmaps, 2);
	assert_int_equal(f.maps[0].iova, 0);
	assert_int_equal(f.maps[0].size, 3ULL << 30);
	assert_int_equal(f.maps[0].vaddr, 0x7f0000000000ULL);
	assert_int_equal(f.maps[1].iova, 1ULL << 32);
	vfio_container_close(&c);
	assert_int_equal(f.unmaps, 2);
	assert_int_equal(f.open_fds, 0);
	/* Pinning fails: the message says how much locked memory is needed. */
	fake_vfio_init(&f, &sys);
	f.map_err = -ENOMEM;
	assert_int_equal(vfio_container_open(&c, &sys, NULL, &e), 0);
	assert_int_equal(vfio_group_get(&c, 3, &b, 1, &e), FAKE_GROUP_FD + 3);
	assert_int_equal(vfio_dma_map_ram(&c, &m, &e), -ENOMEM);
	assert_non_null(strstr(e.msg, "ulimit -l"));
	assert_non_null(strstr(e.msg, "4194304 KiB"));
	vfio_container_close(&c);
	assert_int_equal(f.unmaps, 0);
	assert_int_equal(f.open_fds, 0);
	vfio_container_close(&c);	/* twice is harmless */
}

static void test_memlock(void **state)
{
	struct err e = { 0 };

	(void)state;
	/* Root with CAP_IPC_LOCK or an unlimited limit passes; 1 KiB of RAM always fits. */
	assert_int_equal(vfio_memlock_check(1024, &e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_dma_map),
		cmocka_unit_test(test_memlock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
