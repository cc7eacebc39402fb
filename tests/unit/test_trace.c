/* test_trace.c - unit tests of the --trace writer (src/core/trace.c): the JSON line builder (every
 * kind, escaping, truncation), the --trace-filter parser (good and bad input), the filter's
 * decisions, two threads writing into one pipe without interleaving, and the PCI hooks
 * (config cycles, BAR moves, MSI-X enable and unmask on the test device model). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>
#include "core/trace.h"
#include "pci/pci_dev.h"
#include "test_trace_file.h"

static void test_line_kinds(void **state)
{
	static const char *const want[TRACE_KINDS] = { "cfg", "msi", "intx", "reset", "vfio",
						       "bar", "viommu" };
	char buf[TRACE_LINE_MAX], exp[TRACE_LINE_MAX];

	(void)state;
	for (int k = 0; k < TRACE_KINDS; k++) {
		int n = trace_line(buf, sizeof(buf), 42, PCI_BDF(0, 3, 0), TRACE_NO_HOST, k,
				   "\"x\":1");

		snprintf(exp, sizeof(exp), "{\"t\":42,\"dev\":\"0000:00:03.0\",\"kind\":\"%s\","
			 "\"x\":1}\n", want[k]);
		assert_string_equal(buf, exp);
		assert_int_equal(n, strlen(exp));
		assert_string_equal(trace_kind_name(k), want[k]);
	}
	/* A passed-through function names its host address too; no fields: none. */
	trace_line(buf, sizeof(buf), 7, PCI_BDF(0, 9, 1), 0x2 << 16 | 0x34 << 8 | 5 << 3 | 2, TRACE_BAR, NULL);
	assert_string_equal(buf, "{\"t\":7,\"dev\":\"0000:00:09.1\",\"host\":\"0002:34:05.2\","
			    "\"kind\":\"bar\"}\n");
}

static void test_line_truncated(void **state)
{
	char big[600], buf[TRACE_LINE_MAX];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[0] = '"';
	big[sizeof(big) - 2] = '"';
	big[sizeof(big) - 1] = 0;
	assert_true(trace_line(buf, sizeof(buf), 1, 0, TRACE_NO_HOST, TRACE_CFG, big) > 0);
	assert_non_null(strstr(buf, ",\"truncated\":true}\n"));
	assert_int_equal(buf[strlen(buf) - 1], '\n');
	assert_int_equal(trace_line(buf, 20, 1, 0, TRACE_NO_HOST, TRACE_CFG, "\"x\":1"), -EINVAL);
}

static void test_json_str(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(trace_json_str(buf, sizeof(buf), "plain"), 7);
	assert_string_equal(buf, "\"plain\"");
	trace_json_str(buf, sizeof(buf), "a\"b\\c\nd\x01" "e\x7f");
	assert_string_equal(buf, "\"a\\\"b\\\\c\\u000ad\\u0001e\\u007f\"");
	/* Cut to fit, never inside an escape, always closed. */
	trace_json_str(buf, 8, "\"\"\"\"\"\"");
	assert_string_equal(buf, "\"\\\"\\\"\"");
	trace_json_str(buf, 3, "abc");
	assert_string_equal(buf, "\"\"");
}

static void test_bdf_parse(void **state)
{
	uint32_t v;

	(void)state;
	assert_int_equal(trace_bdf_parse("0000:00:03.0", &v), 0);
	assert_int_equal(v, 3 << 3);
	assert_int_equal(trace_bdf_parse("00:1f.7", &v), 0);
	assert_int_equal(v, 0x1f << 3 | 7);
	assert_int_equal(trace_bdf_parse("abcd:ff:00.1", &v), 0);
	assert_int_equal(v, 0xabcdu << 16 | 0xff << 8 | 1);
	assert_int_equal(trace_bdf_parse("00:20.0", &v), -EINVAL);	/* device 0..31 */
	assert_int_equal(trace_bdf_parse("00:03.8", &v), -EINVAL);
	assert_int_equal(trace_bdf_parse("0:00:03.0", &v), -EINVAL);	/* 4-digit domain */
	assert_int_equal(trace_bdf_parse("100:03.0", &v), -EINVAL);
	assert_int_equal(trace_bdf_parse("00:03", &v), -EINVAL);
	assert_int_equal(trace_bdf_parse("00:g3.0", &v), -EINVAL);
	assert_int_equal(trace_bdf_parse("", &v), -EINVAL);
}

#define BADF(needle, s) do { \
	struct trace_filter f_; struct err e_; \
	assert_int_equal(trace_filter_parse(s, &f_, &e_), -EINVAL); \
	assert_true(e_.usage); \
	if (!strstr(e_.msg, needle)) fail_msg("'%s' not in '%s'", needle, e_.msg); \
} while (0)

static void test_filter_parse(void **state)
{
	struct trace_filter f;
	struct err e;

	(void)state;
	assert_int_equal(trace_filter_parse("dev=0000:00:03.0,kind=cfg,msi", &f, &e), 0);
	assert_int_equal(f.ndev, 1);
	assert_int_equal(f.dev[0], 3 << 3);
	assert_int_equal(f.kinds, 1u << TRACE_CFG | 1u << TRACE_MSI);
	assert_int_equal(trace_filter_parse("kind=bar,dev=00:09.0,dev=0000:00:03.0", &f, &e), 0);
	assert_int_equal(f.ndev, 2);
	assert_int_equal(f.kinds, 1u << TRACE_BAR);
	assert_int_equal(trace_filter_parse("kind=cfg,msi,intx,reset,vfio,bar,viommu", &f, &e), 0);
	assert_int_equal(f.kinds, (1u << TRACE_KINDS) - 1);
	assert_int_equal(trace_filter_parse("dev=00:01.0", &f, &e), 0);
	assert_int_equal(f.kinds, 0);
	BADF("is empty", "");
	BADF("empty item", "kind=cfg,,msi");
	BADF("empty item", "kind=cfg,");
	BADF("unknown kind 'dma'", "kind=cfg,dma");
	BADF("unknown kind 'CFG'", "kind=CFG");
	BADF("unknown item 'cfg'", "cfg");		/* a kind only after kind= */
	BADF("unknown item 'kind='", "kind=");
	BADF("dev=00:03 is not a PCI address", "dev=00:03");
	/* dev= after a kind list ends it. */
	assert_int_equal(trace_filter_parse("kind=cfg,dev=00:03.0,dev=00:04.0", &f, &e), 0);
	assert_int_equal(f.ndev, 2);
	BADF("unknown item 'msi'", "kind=cfg,dev=00:03.0,msi");
	BADF("unknown item 'bus=0'", "bus=0");
	BADF("more than 16 dev=", "dev=00:01.0,dev=00:02.0,dev=00:03.0,dev=00:04.0,dev=00:05.0,"
	     "dev=00:06.0,dev=00:07.0,dev=00:08.0,dev=00:09.0,dev=00:0a.0,dev=00:0b.0,"
	     "dev=00:0c.0,dev=00:0d.0,dev=00:0e.0,dev=00:0f.0,dev=00:10.0,dev=00:11.0");
}

static void test_wants(void **state)
{
	struct trace t = { 0 };
	struct err e;

	(void)state;
	assert_true(trace_wants(&t, TRACE_BAR, 8, TRACE_NO_HOST));
	assert_int_equal(trace_filter_parse("dev=0000:00:03.0,kind=cfg,msi", &t.f, &e), 0);
	assert_true(trace_wants(&t, TRACE_CFG, 3 << 3, TRACE_NO_HOST));
	assert_false(trace_wants(&t, TRACE_BAR, 3 << 3, TRACE_NO_HOST));
	assert_false(trace_wants(&t, TRACE_CFG, 9 << 3, TRACE_NO_HOST));
	/* Guest 00:09.0 passed through from host 0000:00:03.0: matched by its host address. */
	assert_true(trace_wants(&t, TRACE_MSI, 9 << 3, 3 << 3));
}

/* --- the writer: two threads, one pipe, whole lines only --- */
#define LINES_PER_THREAD 20000

struct writer { struct trace *t; unsigned id; };

static void *writer_fn(void *arg)
{
	struct writer *w = arg;

	for (unsigned i = 0; i < LINES_PER_THREAD; i++)
		trace_emit(w->t, TRACE_CFG, w->id << 3, TRACE_NO_HOST,
			   "\"i\":%u,\"pad\":\"%s\"", i, w->id == 1 ?
			   "1111111111111111111111111111111111111111111111111111111111111111" :
			   "2222222222222222222222222222222222222222222222222222222222222222");
	return NULL;
}

struct reader { int fd; unsigned long good, bad, next[3]; };

static void *reader_fn(void *arg)
{
	struct reader *r = arg;
	FILE *f = fdopen(r->fd, "r");
	char line[1024];

	while (fgets(line, sizeof(line), f)) {
		unsigned id, i, n = strlen(line);
		char pad[80];

		if (sscanf(line, "{\"t\":%*u,\"dev\":\"0000:00:%x.0\",\"kind\":\"cfg\",\"i\":%u,"
			   "\"pad\":\"%64[12]\"}", &id, &i, pad) == 3 && (id == 1 || id == 2) &&
		    line[n - 2] == '}' && line[n - 1] == '\n' && strlen(pad) == 64 &&
		    pad[0] == pad[63] && pad[0] == '0' + (int)id && i == r->next[id]) {
			r->next[id]++;
			r->good++;
		} else {
			r->bad++;
		}
	}
	fclose(f);
	return NULL;
}

static void test_two_threads(void **state)
{
	struct trace t = { 0 };
	struct writer w1 = { &t, 1 }, w2 = { &t, 2 };
	struct reader r = { 0 };
	pthread_t a, b, rd;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	t.fd = p[1];
	r.fd = p[0];
	assert_int_equal(pthread_create(&rd, NULL, reader_fn, &r), 0);
	assert_int_equal(pthread_create(&a, NULL, writer_fn, &w1), 0);
	assert_int_equal(pthread_create(&b, NULL, writer_fn, &w2), 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	close(p[1]);
	pthread_join(rd, NULL);
	assert_int_equal(r.bad, 0);
	assert_int_equal(r.good, 2 * LINES_PER_THREAD);
	assert_int_equal(atomic_load(&t.lines), 2 * LINES_PER_THREAD);
	assert_int_equal(atomic_load(&t.lost), 0);
}

static void test_open(void **state)
{
	char path[sizeof(TEST_TRACE_PATH)], buf[256];
	struct trace t;
	struct err e;

	(void)state;
	test_trace_begin(&t, path, NULL);
	trace_emit(&t, TRACE_RESET, 8, TRACE_NO_HOST, "\"ev\":\"vm-reset\"");
	test_trace_end(&t, path, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"dev\":\"0000:00:01.0\",\"kind\":\"reset\",\"ev\":\"vm-reset\"}\n"));
	assert_int_equal(trace_open(&t, "/nonexistent/dir/trace", NULL, &e), -ENOENT);
	assert_true(e.usage);
	assert_non_null(strstr(e.msg, "--trace /nonexistent/dir/trace: No such file"));
}

/* --- PCI hooks: a bare function on a bus with no host ops, traced into a pipe --- */
static int traced_bus(struct pci_bus *b, struct trace *t, struct pci_dev **out)
{
	static uint8_t ram[4096];
	struct pci_dev *d;
	int p[2];

	if (pipe(p))
		return -1;
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	memset(t, 0, sizeof(*t));
	t->fd = p[1];
	pci_bus_init(b, NULL, 1ULL << 32);
	b->trace = t;
	d = pci_dev_new(0x1234, 0x7e57, 0xff000001, NULL, NULL);
	assert_int_equal(pci_bar_init(d, 0, 0, 4096, NULL), 0);
	assert_int_equal(pci_bar_init(d, 2, 0, 4096, ram), 0);
	assert_int_equal(pci_msix_init(d, 2, 0, 0, 0, 0x800), 0);
	assert_int_equal(pci_dev_attach(b, d, 3, 0), 0);
	assert_int_equal(pci_dev_place_bars(d), 0);
	*out = d;
	return p[0];
}

static char *drain(int fd)
{
	static char buf[16384];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);

	buf[n > 0 ? n : 0] = 0;
	return buf;
}

static void test_pci_hooks(void **state)
{
	struct pci_bus b;
	struct pci_dev *d = NULL;
	struct trace t;
	int rfd = traced_bus(&b, &t, &d);
	uint32_t v;
	char *s;

	(void)state;
	v = 0xffffffff;
	pci_config_access(&b, PCI_BDF(0, 3, 0), PCI_BAR0, &v, 4, true);
	pci_config_access(&b, PCI_BDF(0, 3, 0), PCI_BAR0, &v, 4, false);
	v = 0xc0000000;
	pci_config_access(&b, PCI_BDF(0, 3, 0), PCI_BAR0, &v, 4, true);
	v = 0x1234;
	pci_config_access(&b, PCI_BDF(0, 3, 0), PCI_VENDOR_ID, &v, 2, true);
	pci_config_access(&b, PCI_BDF(0, 3, 0), 2, &v, 4, false);
	v = PCI_CMD_MEM;
	pci_config_access(&b, PCI_BDF(0, 3, 0), PCI_COMMAND, &v, 2, true);
	s = drain(rfd);
	assert_non_null(strstr(s, "\"kind\":\"cfg\",\"op\":\"write\",\"off\":16,\"size\":4,"
			       "\"val\":\"0xffffffff\",\"how\":\"emulated\"}\n"));
	assert_non_null(strstr(s, "\"op\":\"read\",\"off\":16,\"size\":4,\"val\":\"0xfffff000\""));
	assert_non_null(strstr(s, "\"op\":\"write\",\"off\":0,\"size\":2,\"val\":\"0x1234\","
			       "\"how\":\"read-only\""));
	assert_non_null(strstr(s, "\"op\":\"read\",\"off\":2,\"size\":4,\"val\":\"0xffffffff\","
			       "\"how\":\"dropped\""));
	assert_non_null(strstr(s, "\"kind\":\"bar\",\"ev\":\"map\",\"bar\":0,"));
	assert_non_null(strstr(s, "\"kind\":\"bar\",\"ev\":\"map\",\"bar\":2,"));
	assert_non_null(strstr(s, "\"backing\":\"ram\""));
	/* MSI-X Enable with the function mask clear, then vector 0 unmasked. */
	{
		unsigned cap = d->msix.cap;
		uint32_t ctrl = 0x8000, zero = 0;

		pci_config_access(&b, PCI_BDF(0, 3, 0), cap + 2, &ctrl, 2, true);
		s = drain(rfd);
		assert_non_null(strstr(s, "\"kind\":\"msi\",\"type\":\"msix\",\"ev\":\"enable\","
				       "\"vectors\":2,\"fmask\":false"));
		pci_bar_io(&d->bars[0], 12, &zero, 4, true);
		s = drain(rfd);
		assert_non_null(strstr(s, "\"kind\":\"msi\",\"type\":\"msix\",\"ev\":\"unmask\","
				       "\"vec\":0"));
		assert_non_null(strstr(s, "\"kind\":\"bar\",\"ev\":\"access\",\"bar\":0,"
				       "\"op\":\"write\",\"off\":\"0xc\",\"size\":4,\"val\":\"0\","
				       "\"by\":\"msix\""));
	}
	pci_intx_pin_set(d, 1);
	pci_intx_set(d, true);
	pci_intx_set(d, false);
	pci_dev_reset(d);
	s = drain(rfd);
	/* MSI-X is on: INTx is held off (§6.8) and nothing is asserted. */
	assert_null(strstr(s, "\"ev\":\"assert\""));
	assert_non_null(strstr(s, "\"kind\":\"reset\",\"ev\":\"vm-reset\"}"));
	pci_intx_pin_set(d, 1);		/* the reset restored the unsealed power-on config */
	pci_intx_set(d, true);
	pci_intx_set(d, false);
	s = drain(rfd);
	assert_non_null(strstr(s, "\"kind\":\"intx\",\"ev\":\"assert\",\"gsi\":19}"));
	assert_non_null(strstr(s, "\"kind\":\"intx\",\"ev\":\"deassert\",\"gsi\":19}"));
	/* A filter on another device: nothing. */
	assert_int_equal(trace_filter_parse("dev=00:04.0", &t.f, &(struct err){ 0 }), 0);
	pci_config_access(&b, PCI_BDF(0, 3, 0), PCI_BAR0, &v, 4, false);
	assert_string_equal(drain(rfd), "");
	/* Off: nothing either. */
	b.trace = NULL;
	memset(&t.f, 0, sizeof(t.f));
	pci_config_access(&b, PCI_BDF(0, 3, 0), PCI_BAR0, &v, 4, false);
	assert_string_equal(drain(rfd), "");
	pci_bus_destroy(&b);
	close(rfd);
	close(t.fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_kinds),
		cmocka_unit_test(test_line_truncated),
		cmocka_unit_test(test_json_str),
		cmocka_unit_test(test_bdf_parse),
		cmocka_unit_test(test_filter_parse),
		cmocka_unit_test(test_wants),
		cmocka_unit_test(test_two_threads),
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_pci_hooks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
