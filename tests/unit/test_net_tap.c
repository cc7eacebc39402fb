/* test_net_tap.c - unit tests of --net tap (src/net/tap.c): the option syntax, MAC parsing and
 * the derived MAC, and (as root, where /dev/net/tun exists) a tap made, configured for the
 * 12-byte header, given offloads and gone again once closed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "net/tap.h"
#include "virtio/net.h"

static void test_opts(void **state)
{
	struct net_opts o;
	struct err err = { 0 };
	static const uint8_t want[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };

	(void)state;
	assert_int_equal(net_opts_parse("tap", &o, &err), 0);
	assert_string_equal(o.ifname, "");
	assert_false(o.mac_set);
	assert_int_equal(o.vhost, NET_VHOST_AUTO);
	assert_int_equal(net_opts_parse("tap,ifname=tap7,mac=52:54:00:AB:cd:ef,vhost=off", &o,
					&err), 0);
	assert_string_equal(o.ifname, "tap7");
	assert_true(o.mac_set);
	assert_memory_equal(o.mac, want, 6);
	assert_int_equal(o.vhost, NET_VHOST_OFF);
	assert_int_equal(net_opts_parse("tap,vhost=on", &o, &err), 0);
	assert_int_equal(o.vhost, NET_VHOST_ON);

	static const char *const bad[] = {
		"", "tapx", "user", "tap,", "tap,ifname=", "tap,ifname=0123456789abcdef",
		"tap,ifname=a/b", "tap,ifname=a b", "tap,ifname=..", "tap,mac=", "tap,mac=52:54:00",
		"tap,mac=52:54:00:12:34:56:78", "tap,mac=5254.0012.3456", "tap,mac=g2:54:00:12:34:56",
		"tap,mac=01:00:5e:00:00:01", "tap,mac=00:00:00:00:00:00", "tap,vhost=1",
		"tap,vhost", "tap,queues=2",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.usage = 0;
		assert_int_equal(net_opts_parse(bad[i], &o, &err), -EINVAL);
		assert_int_equal(err.usage, 1);			/* exit status 2 */
		assert_non_null(strstr(err.msg, "--net"));
	}
}

static void test_mac(void **state)
{
	uint8_t a[6], b[6], c[6];

	(void)state;
	assert_int_equal(net_mac_parse("02:00:00:00:00:01", a), 0);
	assert_int_equal(net_mac_parse("03:00:00:00:00:01", a), -EDOM);	/* multicast */
	assert_int_equal(net_mac_parse("02:00:00:00:00:01x", a), -EINVAL);
	assert_int_equal(net_mac_parse("02:00:00:00:00:1", a), -EINVAL);
	/* Derived: the same for the same VM and index, different otherwise, always a locally
	 * administered unicast address. */
	net_mac_derive("/boot/vmlinuz", 0, a);
	net_mac_derive("/boot/vmlinuz", 0, b);
	assert_memory_equal(a, b, 6);
	net_mac_derive("/boot/vmlinuz", 1, c);
	assert_memory_not_equal(a, c, 6);
	net_mac_derive("/boot/other", 0, c);
	assert_memory_not_equal(a, c, 6);
	for (unsigned i = 0; i < 64; i++) {
		net_mac_derive("k", i, a);
		assert_int_equal(a[0] & 3, 2);
	}
}

static bool can_tap(void)
{
	return geteuid() == 0 && access("/dev/net/tun", R_OK | W_OK) == 0;
}

static bool if_exists(const char *name)
{
	char p[64];
	struct stat st;

	snprintf(p, sizeof(p), "/sys/class/net/%s", name);
	return stat(p, &st) == 0;
}

static void test_tap_open(void **state)
{
	struct net_opts o;
	struct err err = { 0 };
	struct tap *t, *t2;
	unsigned flags = 0;
	int hdr = 0;
	char name[IFNAMSIZ];

	(void)state;
	if (!can_tap())
		skip();
	assert_int_equal(net_opts_parse("tap", &o, &err), 0);
	assert_int_equal(tap_open(&o, &t, &err), 0);
	snprintf(name, sizeof(name), "%s", tap_ifname(t));
	assert_int_equal(strncmp(name, "vfvm", 4), 0);
	assert_true(if_exists(name));
	assert_int_equal(ioctl(tap_fd(t), TUNGETVNETHDRSZ, &hdr), 0);
	assert_int_equal(hdr, VNET_HDR_LEN);
	{
		struct ifreq ifr = { 0 };

		assert_int_equal(ioctl(tap_fd(t), TUNGETIFF, &ifr), 0);
		flags = ifr.ifr_flags;
	}
	assert_int_equal(flags & (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR),
			 IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
	/* A second open of the same name while the first holds it: one line, "in use". */
	assert_int_equal(net_opts_parse("tap,ifname=vfvmut9", &o, &err), 0);
	assert_int_equal(tap_open(&o, &t2, &err), 0);
	assert_string_equal(tap_ifname(t2), "vfvmut9");
	{
		struct tap *t3;

		assert_true(tap_open(&o, &t3, &err) < 0);
		assert_non_null(strstr(err.msg, "vfvmut9"));
		assert_null(strchr(err.msg, '\n'));
	}
	tap_close(t2);
	tap_close(t);
	/* Not persistent: the interfaces went with their fds. */
	assert_false(if_exists(name));
	assert_false(if_exists("vfvmut9"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opts),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_tap_open),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
