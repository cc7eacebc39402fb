/* test_kvm_stats.c - the KVM binary statistics parser (kvm_stats.c) on files built here in
 * the layout of Documentation/virt/kvm/api.rst §4.133: header, descriptors, data. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <string.h>
#include "core/kvm_stats.h"

#define NAME_SIZE 48
#define STRIDE (sizeof(struct kvm_stats_desc) + NAME_SIZE)

struct file {
	uint8_t b[4096];
	size_t len;
};

/* A file with @n descriptors named @names, each a u64 at data offset 8*i, id block first. */
static void file_make(struct file *f, const char *const *names, unsigned n, uint32_t flags)
{
	struct kvm_stats_header h = {
		.name_size = NAME_SIZE, .num_desc = n, .id_offset = sizeof(h),
		.desc_offset = sizeof(h) + NAME_SIZE,
	};

	memset(f, 0, sizeof(*f));
	h.data_offset = h.desc_offset + n * STRIDE;
	memcpy(f->b, &h, sizeof(h));
	strcpy((char *)f->b + h.id_offset, "kvm-1234/vcpu-0");
	for (unsigned i = 0; i < n; i++) {
		struct kvm_stats_desc d = { .flags = flags, .size = 1, .offset = 8 * i };
		uint8_t *at = f->b + h.desc_offset + i * STRIDE;

		memcpy(at, &d, sizeof(d));
		strcpy((char *)at + sizeof(d), names[i]);
	}
	f->len = h.data_offset + 8 * n;
}

static const char *const kvm_names[] = {
	"halt_successful_poll", "halt_wakeup", "exits", "irq_injections", "nmi_injections",
};

static void test_finds_in_asked_order(void **state)
{
	struct file f;
	struct kvm_stats s = { .fd = -1 };
	size_t data = sizeof(struct kvm_stats_header) + NAME_SIZE + 5 * STRIDE;

	(void)state;
	file_make(&f, kvm_names, 5, KVM_STATS_TYPE_CUMULATIVE);
	assert_int_equal(kvm_stats_desc_end(f.b, f.len), data);
	assert_int_equal(kvm_stats_parse(f.b, f.len, kvm_stats_progress_names,
					 kvm_stats_progress_count, &s), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.name[0], "irq_injections");
	assert_int_equal(s.off[0], data + 8 * 3);
	assert_string_equal(s.name[1], "nmi_injections");
	assert_int_equal(s.off[1], data + 8 * 4);
	assert_string_equal(s.name[2], "halt_wakeup");
	assert_int_equal(s.off[2], data + 8 * 1);
}

/* An older kernel without one of the counters: the others still count. */
static void test_missing_name_is_left_out(void **state)
{
	static const char *const few[] = { "exits", "irq_injections" };
	struct file f;
	struct kvm_stats s = { .fd = -1 };

	(void)state;
	file_make(&f, few, 2, KVM_STATS_TYPE_CUMULATIVE);
	assert_int_equal(kvm_stats_parse(f.b, f.len, kvm_stats_progress_names,
					 kvm_stats_progress_count, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.name[0], "irq_injections");
}

/* A gauge or histogram of the same name is not an event count: not summed. */
static void test_non_cumulative_ignored(void **state)
{
	struct file f;
	struct kvm_stats s = { .fd = -1 };

	(void)state;
	file_make(&f, kvm_names, 5, KVM_STATS_TYPE_INSTANT);
	assert_int_equal(kvm_stats_parse(f.b, f.len, kvm_stats_progress_names,
					 kvm_stats_progress_count, &s), 0);
	assert_int_equal(s.n, 0);
}

static void test_truncated_and_bad_headers(void **state)
{
	struct file f;
	struct kvm_stats s = { .fd = -1 };
	struct kvm_stats_header h;

	(void)state;
	file_make(&f, kvm_names, 5, KVM_STATS_TYPE_CUMULATIVE);
	/* Cut inside the last descriptor. */
	assert_int_equal(kvm_stats_parse(f.b, kvm_stats_desc_end(f.b, f.len) - 1,
					 kvm_stats_progress_names, kvm_stats_progress_count, &s),
			 -EINVAL);
	assert_int_equal(s.n, 0);
	assert_int_equal(kvm_stats_parse(f.b, 10, kvm_stats_progress_names, 1, &s), -EINVAL);
	assert_int_equal(kvm_stats_desc_end(f.b, 10), 0);
	/* Descriptors said to lie past the end of anything readable. */
	memcpy(&h, f.b, sizeof(h));
	h.desc_offset = 0xFFFFFFF0u;
	memcpy(f.b, &h, sizeof(h));
	assert_int_equal(kvm_stats_parse(f.b, f.len, kvm_stats_progress_names, 1, &s), -EINVAL);
	/* Absurd counts and name sizes are refused before any allocation is sized by them. */
	h.desc_offset = sizeof(h) + NAME_SIZE;
	h.num_desc = 1u << 30;
	memcpy(f.b, &h, sizeof(h));
	assert_int_equal(kvm_stats_desc_end(f.b, f.len), 0);
	h.num_desc = 5;
	h.name_size = 0;
	memcpy(f.b, &h, sizeof(h));
	assert_int_equal(kvm_stats_desc_end(f.b, f.len), 0);
	/* More names asked for than kvm_stats holds. */
	file_make(&f, kvm_names, 5, KVM_STATS_TYPE_CUMULATIVE);
	assert_int_equal(kvm_stats_parse(f.b, f.len, kvm_names, KVM_STATS_MAX + 1, &s), -EINVAL);
}

/* A name that fills name_size with no NUL would make strcmp read the next descriptor. */
static void test_unterminated_name(void **state)
{
	struct file f;
	struct kvm_stats s = { .fd = -1 };
	size_t at = sizeof(struct kvm_stats_header) + NAME_SIZE + sizeof(struct kvm_stats_desc);

	(void)state;
	file_make(&f, kvm_names, 5, KVM_STATS_TYPE_CUMULATIVE);
	memset(f.b + at, 'x', NAME_SIZE);
	assert_int_equal(kvm_stats_parse(f.b, f.len, kvm_stats_progress_names,
					 kvm_stats_progress_count, &s), -EINVAL);
	assert_int_equal(s.n, 0);
}

/* Without a statistics file (no KVM, Linux < 5.14) every read is 0 and close is harmless. */
static void test_closed_reads_zero(void **state)
{
	struct kvm_stats s = { .fd = -1, .n = 0 };

	(void)state;
	assert_int_equal(kvm_stats_sum(&s), 0);
	assert_int_equal(kvm_stats_get(&s, 0), 0);
	kvm_stats_close(&s);
	assert_int_equal(s.fd, -1);
	assert_true(kvm_stats_open(&s, -1, kvm_stats_progress_names, 1) < 0);
	assert_int_equal(s.fd, -1);
	assert_int_equal(kvm_stats_sum(&s), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_finds_in_asked_order),
		cmocka_unit_test(test_missing_name_is_left_out),
		cmocka_unit_test(test_non_cumulative_ignored),
		cmocka_unit_test(test_truncated_and_bad_headers),
		cmocka_unit_test(test_unterminated_name),
		cmocka_unit_test(test_closed_reads_zero),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
