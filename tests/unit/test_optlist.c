/* test_optlist.c - unit tests of the comma-separated option lists (src/core/optlist.c) that --disk,
 * --net and --share share: the head, every item in order (empty ones too), stopping early. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "core/optlist.h"

struct seen {
	char items[8][16];
	unsigned n;
	unsigned stop_at;		/* return 7 at this item (1-based); 0: never */
};

static int collect(void *ctx, const char *p, size_t n)
{
	struct seen *s = ctx;

	memcpy(s->items[s->n], p, n);
	s->items[s->n][n] = '\0';
	return ++s->n == s->stop_at ? 7 : 0;
}

static void test_items(void **state)
{
	struct seen s = { .n = 0 };

	(void)state;
	assert_int_equal(optlist_head("tap,ifname=x,mac=y"), 3);
	assert_int_equal(optlist_head("disk.img"), 8);
	assert_int_equal(optlist_head(",ro"), 0);
	assert_int_equal(optlist_each("tap,ifname=x,,vhost=on,", collect, &s), 0);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.items[0], "ifname=x");
	assert_string_equal(s.items[1], "");		/* "a,,b": an empty item, as before */
	assert_string_equal(s.items[2], "vhost=on");
	assert_string_equal(s.items[3], "");		/* a trailing comma */
	memset(&s, 0, sizeof(s));
	assert_int_equal(optlist_each("disk.img", collect, &s), 0);
	assert_int_equal(s.n, 0);
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	assert_int_equal(optlist_each("x,a,b,c", collect, &s), 7);
	assert_int_equal(s.n, 2);			/* c never seen */
}

static void test_key(void **state)
{
	(void)state;
	assert_true(optlist_key("tag=x", 5, "tag="));
	assert_true(optlist_key("tag=", 4, "tag="));
	assert_false(optlist_key("tag", 3, "tag="));
	assert_false(optlist_key("tag=x,y", 3, "tag="));	/* only the item's n bytes count */
	assert_false(optlist_key("tog=x", 5, "tag="));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_items),
		cmocka_unit_test(test_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
