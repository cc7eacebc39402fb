/* test_trace_file.h - a --trace into a fresh temporary file for a unit test, and its text back:
 * test_trace_begin() opens it, test_trace_end() closes it, reads it whole and removes it. */
#ifndef VFVM_TEST_TRACE_FILE_H
#define VFVM_TEST_TRACE_FILE_H

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include "core/trace.h"

#define TEST_TRACE_PATH "/tmp/vfvm-trace-XXXXXX"

/* @path: a char[sizeof(TEST_TRACE_PATH)] that mkstemp fills; @f: the filter (NULL: none). */
static inline void test_trace_begin(struct trace *t, char *path, const struct trace_filter *f)
{
	struct err e = { 0 };
	int fd;

	strcpy(path, TEST_TRACE_PATH);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(trace_open(t, path, f, &e), 0);
}

/* Close @t and put the file's text in @buf (NUL-terminated, at most @n - 1 bytes, at least
 * one); returns its length. */
static inline int test_trace_end(struct trace *t, const char *path, char *buf, size_t n)
{
	int fd, len;

	trace_close(t);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	len = (int)read(fd, buf, n - 1);
	close(fd);
	unlink(path);
	assert_true(len > 0);
	buf[len] = 0;
	return len;
}

#endif
