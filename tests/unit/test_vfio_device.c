/* test_vfio_device.c - a VFIO device against a fake kernel: region info with capability
 * chains, config access bounds, interrupts, reset, and the BAR mmap plan (sparse areas,
 * MSI-X table/PBA pages trapped, sub-page BARs trapped). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "fake_vfio.h"
#include "vfio/device.h"

#define PAGE 4096ULL

static void sparse_chain(struct fake_vfio *f, int region, const struct vfio_area *a, int n,
			 bool msix_mappable)
{
	struct vfio_region_info_cap_sparse_mmap *s = (void *)f->cap_chain;
	uint32_t len = sizeof(*s) + n * sizeof(s->areas[0]);

	memset(f->cap_chain, 0, sizeof(f->cap_chain));
	s->header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
	s->header.version = 1;
	s->nr_areas = n;
	for (int i = 0; i < n; i++) {
		s->areas[i].offset = a[i].off;
		s->areas[i].size = a[i].size;
	}
	if (msix_mappable) {
		struct vfio_info_cap_header *h = (void *)(f->cap_chain + len);

		/* next offsets count from the start of the region info */
		s->header.next = sizeof(struct vfio_region_info) + len;
		h->id = VFIO_REGION_INFO_CAP_MSIX_MAPPABLE;
		h->version = 1;
		len += sizeof(*h);
	}
	f->cap_region = region;
	f->cap_len = len;
}

static void test_open(void **state)
{
	struct fake_vfio f;
	struct vfio_sys sys;
	struct vfio_device d;
	struct pci_bdf b = { 0, 1, 0, 0 };
	struct err e = { 0 };
	struct vfio_area a[2] = { { 0, 0x2000 }, { 0x3000, 0x1000 } };

	(void)state;
	fake_vfio_init(&f, &sys);
	f.regions[0].size = 0x4000;
	f.regions[0].offset = 0;
	f.regions[0].flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_MMAP;
	f.irq_count[VFIO_PCI_MSIX_IRQ_INDEX] = 65;
	sparse_chain(&f, 0, a, 2, true);
	assert_int_equal(vfio_device_open(&d, &sys, FAKE_GROUP_FD, &b, &e), 0);
	assert_string_equal(d.name, "0000:01:00.0");
	assert_int_equal(d.regions[0].size, 0x4000);
	assert_int_equal(d.regions[0].nsparse, 2);
	assert_int_equal(d.regions[0].sparse[1].off, 0x3000);
	assert_int_equal(d.regions[1].size, 0);		/* BAR1 absent */
	assert_int_equal(d.regions[VFIO_PCI_CONFIG_REGION_INDEX].nsparse, -1);
	assert_int_equal(d.irq_count[VFIO_PCI_MSIX_IRQ_INDEX], 65);
	vfio_device_close(&d);
	assert_int_equal(f.open_fds, 0);

	/* Busy device, non-PCI device. */
	f.dev_open_err = -EBUSY;
	assert_int_equal(vfio_device_open(&d, &sys, FAKE_GROUP_FD, &b, &e), -EBUSY);
	assert_true(e.usage);
	assert_non_null(strstr(e.msg, "already in use"));
	f.dev_open_err = 0;
	f.dev_flags = VFIO_DEVICE_FLAGS_PLATFORM;
	assert_int_equal(vfio_device_open(&d, &sys, FAKE_GROUP_FD, &b, &e), -EINVAL);
	assert_int_equal(f.open_fds, 0);
}

static void test_caps_malformed(void **state)
{
	uint8_t buf[sizeof(struct vfio_region_info) + 64] __attribute__((aligned(8))) = { 0 };
	struct vfio_region_info *info = (void *)buf;
	struct vfio_info_cap_header *h = (void *)(info + 1);
	struct vfio_region r = { .size = 0x1000 };

	(void)state;
	/* A chain that points at itself must not loop; one that runs off the end is cut. */
	info->flags = VFIO_REGION_INFO_FLAG_CAPS;
	info->cap_offset = sizeof(*info);
	h->id = VFIO_REGION_INFO_CAP_MSIX_MAPPABLE;
	h->next = sizeof(*info);
	vfio_region_caps(&r, info, sizeof(buf));	/* returns */
	assert_int_equal(r.nsparse, -1);
	info->cap_offset = sizeof(buf) - 8;	/* header would run off the end */
	vfio_region_caps(&r, info, sizeof(buf));
	assert_int_equal(r.nsparse, -1);
	/* Sparse areas beyond the region are dropped, and a huge nr_areas is clamped. */
	{
		struct vfio_region_info_cap_sparse_mmap *s = (void *)(info + 1);

		memset(s, 0, 64);
		info->cap_offset = sizeof(*info);
		s->header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
		s->nr_areas = 1000000;
		s->areas[0].offset = 0;
		s->areas[0].size = 0x1000;
		s->areas[1].offset = 0x800;
		s->areas[1].size = 0x1000;	/* past the end of the 4 KiB region */
		vfio_region_caps(&r, info, sizeof(buf));
		assert_int_equal(r.nsparse, 1);
		assert_int_equal(r.sparse[0].size, 0x1000);
	}
}

static void test_cfg_and_irqs(void **state)
{
	struct fake_vfio f;
	struct vfio_sys sys;
	struct vfio_device d;
	struct pci_bdf b = { 0, 1, 0, 0 };
	struct err e = { 0 };
	uint32_t v = 0;
	int fds[3] = { 10, -1, 12 };

	(void)state;
	fake_vfio_init(&f, &sys);
	f.config[0] = 0x86;
	f.config[1] = 0x80;
	f.irq_count[VFIO_PCI_MSIX_IRQ_INDEX] = 3;
	f.irq_count[VFIO_PCI_INTX_IRQ_INDEX] = 1;
	assert_int_equal(vfio_device_open(&d, &sys, FAKE_GROUP_FD, &b, &e), 0);
	assert_int_equal(vfio_cfg_read(&d, 0, &v, 2), 0);
	assert_int_equal(v, 0x8086);
	v = 0x1234;
	assert_int_equal(vfio_cfg_write(&d, 0x40, &v, 4), 0);
	assert_int_equal(f.config[0x40], 0x34);
	assert_int_equal(vfio_cfg_read(&d, 4095, &v, 2), -EINVAL);	/* crosses the end */
	assert_int_equal(vfio_cfg_read(&d, 4096, &v, 1), -EINVAL);
	assert_int_equal(vfio_region_read(&d, 9, 0, &v, 4), -EINVAL);
	assert_int_equal(vfio_region_read(&d, 0, 0, &v, 4), -EINVAL);	/* absent BAR */

	assert_int_equal(vfio_irq_set_fds(&d, VFIO_PCI_MSIX_IRQ_INDEX, 0, 3, fds), 0);
	assert_int_equal(f.irq_set_flags, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER);
	assert_int_equal(f.irq_set_count, 3);
	assert_int_equal(f.irq_set_fds[1], -1);
	assert_int_equal(f.irq_set_fds[2], 12);
	assert_int_equal(vfio_irq_set_fds(&d, VFIO_PCI_MSIX_IRQ_INDEX, 2, 2, fds), -EINVAL);
	assert_int_equal(vfio_irq_disable(&d, VFIO_PCI_MSIX_IRQ_INDEX), 0);
	assert_int_equal(f.irq_set_count, 0);
	assert_int_equal(f.irq_set_flags, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER);
	assert_int_equal(vfio_intx_unmask(&d), 0);
	assert_int_equal(f.irq_set_flags, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK);
	assert_int_equal(vfio_device_reset(&d), 0);
	assert_int_equal(f.resets, 1);
	d.flags &= ~VFIO_DEVICE_FLAGS_RESET;
	assert_int_equal(vfio_device_reset(&d), -ENOTTY);
	vfio_device_close(&d);
}

static void test_bar_plan(void **state)
{
	struct vfio_region r = { .flags = VFIO_REGION_INFO_FLAG_MMAP, .size = 0x4000,
				 .nsparse = -1 };
	struct vfio_area out[8];
	/* NVMe-like: registers at 0, MSI-X table at 0x2000, PBA at 0x3000 in the same BAR. */
	struct vfio_area msix[2] = { { 0x2000, 0x100 }, { 0x3000, 0x8 } };
	struct vfio_area mid[1] = { { 0x1800, 0x1000 } };

	(void)state;
	assert_int_equal(vfio_bar_plan(&r, msix, 2, PAGE, out, 8), 1);
	assert_int_equal(out[0].off, 0);
	assert_int_equal(out[0].size, 0x2000);
	/* No MSI-X in this BAR: all of it. */
	assert_int_equal(vfio_bar_plan(&r, NULL, 0, PAGE, out, 8), 1);
	assert_int_equal(out[0].size, 0x4000);
	/* An exclusion straddling pages removes both pages and splits the BAR. */
	assert_int_equal(vfio_bar_plan(&r, mid, 1, PAGE, out, 8), 2);
	assert_int_equal(out[0].off, 0);
	assert_int_equal(out[0].size, 0x1000);
	assert_int_equal(out[1].off, 0x3000);
	assert_int_equal(out[1].size, 0x1000);
	/* Sub-page BARs and non-mmap-able BARs are trapped entirely. */
	r.size = 0x100;
	assert_int_equal(vfio_bar_plan(&r, NULL, 0, PAGE, out, 8), 0);
	r.size = 0x4000;
	r.flags = 0;
	assert_int_equal(vfio_bar_plan(&r, NULL, 0, PAGE, out, 8), 0);
	/* Sparse areas from the kernel are honoured and shrunk to whole pages. */
	r.flags = VFIO_REGION_INFO_FLAG_MMAP;
	r.nsparse = 2;
	r.sparse[0] = (struct vfio_area){ 0x0, 0x1800 };
	r.sparse[1] = (struct vfio_area){ 0x3000, 0x1000 };
	assert_int_equal(vfio_bar_plan(&r, NULL, 0, PAGE, out, 8), 2);
	assert_int_equal(out[0].size, 0x1000);
	assert_int_equal(out[1].off, 0x3000);
	/* The output bound is respected. */
	r.nsparse = -1;
	assert_int_equal(vfio_bar_plan(&r, mid, 1, PAGE, out, 1), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_caps_malformed),
		cmocka_unit_test(test_cfg_and_irqs),
		cmocka_unit_test(test_bar_plan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
