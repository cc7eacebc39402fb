/* test_vfio_host.c - sysfs queries, group viability, reserved regions and bind/unbind on a
 * fake sysfs tree built in a temporary directory. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "vfio/cmd.h"
#include "vfio/host.h"
#include "fake_sysfs.h"

#define root fake_root
#define put fake_put
#define mkpath fake_mkpath
#define add_dev fake_add_dev

static char *get(const char *rel)
{
	static char buf[256];
	char p[PATH_MAX * 2];
	FILE *f;
	size_t n;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static int setup(void **state)
{
	(void)state;
	assert_int_equal(fake_sysfs_new(), 0);
	add_dev("0000:01:00.0", 7, "vfio-pci");
	add_dev("0000:01:00.1", 7, "snd_hda_intel");
	add_dev("0000:02:00.0", 9, "e1000e");
	add_dev("0000:03:00.0", -1, NULL);
	add_dev("0000:04:00.0", 11, NULL);
	mkpath("sys/bus/pci/drivers/vfio-pci");
	put("sys/bus/pci/drivers_probe", "");
	put("sys/kernel/iommu_groups/7/reserved_regions",
	    "0x00000000fee00000 0x00000000feefffff msi\n"
	    "0x0000000000000000 0x0000000000000fff direct\n"
	    "garbage line\n");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return fake_sysfs_free();
}

static void test_bdf_parse(void **state)
{
	struct pci_bdf b;
	char s[BDF_STR_LEN];

	(void)state;
	assert_int_equal(bdf_parse("0000:01:00.0", &b), 0);
	assert_int_equal(b.bus, 1);
	assert_int_equal(bdf_parse("abcd:ff:1f.7", &b), 0);
	assert_int_equal(b.domain, 0xabcd);
	assert_int_equal(b.bus, 0xff);
	assert_int_equal(b.dev, 0x1f);
	assert_int_equal(b.fn, 7);
	bdf_format(&b, s, sizeof(s));
	assert_string_equal(s, "abcd:ff:1f.7");
	assert_int_equal(bdf_parse("02:03.4", &b), 0);
	assert_int_equal(b.domain, 0);
	assert_int_equal(b.dev, 3);
	assert_int_equal(b.fn, 4);
	assert_int_equal(bdf_parse("0000:01:20.0", &b), -EINVAL);	/* device > 31 */
	assert_int_equal(bdf_parse("0000:01:00.8", &b), -EINVAL);	/* function > 7 */
	assert_int_equal(bdf_parse("0000:01:00.0x", &b), -EINVAL);
	assert_int_equal(bdf_parse("1:0.0", &b), -EINVAL);
	assert_int_equal(bdf_parse("", &b), -EINVAL);
	assert_int_equal(bdf_parse("zz:00.0", &b), -EINVAL);
	assert_int_equal(bdf_parse(NULL, &b), -EINVAL);
}

static void test_queries(void **state)
{
	struct vfio_host h = { root };
	struct pci_bdf b, devs[8];
	uint16_t v, d;
	uint32_t c;
	char drv[32];

	(void)state;
	bdf_parse("0000:01:00.0", &b);
	assert_true(host_dev_exists(&h, &b));
	assert_int_equal(host_dev_group(&h, &b), 7);
	assert_int_equal(host_dev_driver(&h, &b, drv, sizeof(drv)), 0);
	assert_string_equal(drv, "vfio-pci");
	assert_int_equal(host_dev_ids(&h, &b, &v, &d, &c), 0);
	assert_int_equal(v, 0x8086);
	assert_int_equal(d, 0x10d3);
	assert_int_equal(c, 0x020000);
	assert_int_equal(host_group_devices(&h, 7, devs, 8), 2);
	assert_int_equal(devs[0].fn, 0);
	assert_int_equal(devs[1].fn, 1);
	bdf_parse("0000:03:00.0", &b);
	assert_int_equal(host_dev_group(&h, &b), -ENOENT);	/* no IOMMU */
	assert_int_equal(host_dev_driver(&h, &b, drv, sizeof(drv)), 0);
	assert_string_equal(drv, "");
	bdf_parse("0000:09:00.0", &b);
	assert_false(host_dev_exists(&h, &b));
	assert_true(host_group_devices(&h, 99, devs, 8) < 0);
}

static void test_group_check(void **state)
{
	struct vfio_host h = { root };
	struct pci_bdf p[2];
	struct err e = { 0 };

	(void)state;
	bdf_parse("0000:01:00.0", &p[0]);
	assert_int_equal(host_group_check(&h, 7, p, 1, &e), -EBUSY);
	assert_true(e.usage);
	assert_non_null(strstr(e.msg, "0000:01:00.1"));
	assert_non_null(strstr(e.msg, "snd_hda_intel"));
	assert_non_null(strstr(e.msg, "group 7"));
	/* Passing the other function too makes the group usable. */
	bdf_parse("0000:01:00.1", &p[1]);
	assert_int_equal(host_group_check(&h, 7, p, 2, &e), 0);
	/* A driverless device keeps its group viable. */
	bdf_parse("0000:04:00.0", &p[0]);
	assert_int_equal(host_group_check(&h, 11, p, 1, &e), 0);
}

static void test_resv(void **state)
{
	struct vfio_host h = { root };
	struct host_resv r[4];

	(void)state;
	assert_int_equal(host_group_resv(&h, 7, r, 4), 2);
	assert_int_equal(r[0].start, 0xfee00000ULL);
	assert_int_equal(r[0].end, 0xfeefffffULL);
	assert_string_equal(r[0].type, "msi");
	assert_string_equal(r[1].type, "direct");
	assert_int_equal(host_group_resv(&h, 9, r, 4), 0);	/* no file: none */
	assert_int_equal(host_group_resv(&h, 7, r, 1), 1);
}

static void test_bind(void **state)
{
	struct vfio_host h = { root };
	struct pci_bdf b;
	struct err e = { 0 };

	(void)state;
	/* Already on vfio-pci: nothing to do. */
	bdf_parse("0000:01:00.0", &b);
	assert_int_equal(host_bind(&h, &b, &e), 0);
	/* The fake kernel does not re-probe, so the bind is written but reported as not taken. */
	bdf_parse("0000:02:00.0", &b);
	put(DEV "0000:02:00.0/driver/unbind", "");
	assert_int_equal(host_bind(&h, &b, &e), -EIO);
	assert_string_equal(get(DEV "0000:02:00.0/driver_override"), "vfio-pci");
	assert_string_equal(get(DEV "0000:02:00.0/driver/unbind"), "0000:02:00.0");
	assert_string_equal(get("sys/bus/pci/drivers_probe"), "0000:02:00.0");
	assert_int_equal(host_unbind(&h, &b, &e), 0);
	assert_string_equal(get(DEV "0000:02:00.0/driver_override"), "\n");
	bdf_parse("0000:0a:00.0", &b);
	assert_int_equal(host_bind(&h, &b, &e), -ENODEV);
	assert_true(e.usage);
	assert_non_null(strstr(e.msg, "0000:0a:00.0"));
}

static void test_assignable(void **state)
{
	struct vfio_host h = { root };
	struct pci_bdf b;
	char why[160], *out = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	bdf_parse("0000:01:00.0", &b);	/* on vfio-pci, but shares group 7 with audio */
	vfio_assignable(&h, &b, why, sizeof(why));
	assert_string_equal(why, "group 7 also holds 0000:01:00.1 (snd_hda_intel)");
	bdf_parse("0000:02:00.0", &b);
	vfio_assignable(&h, &b, why, sizeof(why));
	assert_string_equal(why, "bound to e1000e (vfvm bind 0000:02:00.0)");
	bdf_parse("0000:03:00.0", &b);
	vfio_assignable(&h, &b, why, sizeof(why));
	assert_non_null(strstr(why, "no IOMMU group"));
	put(DEV "0000:04:00.0/class", "0x060400\n");
	bdf_parse("0000:04:00.0", &b);
	vfio_assignable(&h, &b, why, sizeof(why));
	assert_string_equal(why, "a bridge");
	add_dev("0000:05:00.0", 12, "vfio-pci");
	bdf_parse("0000:05:00.0", &b);
	vfio_assignable(&h, &b, why, sizeof(why));
	assert_string_equal(why, "");
	/* Which resets the host can do: reset_method (5.15+), the older reset file, nothing. */
	put(DEV "0000:05:00.0/reset_method", "flr bus\n");
	put(DEV "0000:02:00.0/reset", "");
	bdf_parse("0000:05:00.0", &b);
	assert_int_equal(host_dev_reset_method(&h, &b, why, sizeof(why)), 0);
	assert_string_equal(why, "flr,bus");
	f = open_memstream(&out, &len);
	assert_int_equal(vfio_list(&h, f, NULL, NULL), 0);
	fclose(f);
	assert_non_null(strstr(out, "0000:05:00.0  8086:10d3 0200   12    vfio-pci       flr,bus   yes"));
	assert_non_null(strstr(out, "0000:02:00.0  8086:10d3 0200   9     e1000e         yes       no"));
	assert_non_null(strstr(out, "0000:01:00.0  8086:10d3 0200   7     vfio-pci       none      "));
	assert_true(strstr(out, "0000:01:00.0") < strstr(out, "0000:05:00.0"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bdf_parse),
		cmocka_unit_test_setup_teardown(test_queries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_assignable, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
