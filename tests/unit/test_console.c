/* test_console.c - the console against a real UART model, with pipes standing in for the
 * user's stdin/stdout: byte flow both ways, flow control, Ctrl-A escapes, file: output,
 * bad specs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "machine/console.h"

struct fixture {
	pthread_mutex_t lock;
	struct console *c;
	struct uart *u;
	int saved_in, saved_out;
	int in_w;		/* write end feeding the console's stdin */
	int out_r;		/* read end of the console's stdout */
	int quits;
};

static void fx_quit(void *opaque)
{
	struct fixture *f = opaque;

	__atomic_add_fetch(&f->quits, 1, __ATOMIC_SEQ_CST);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static uint8_t uart_reg(struct fixture *f, unsigned off, int wval)
{
	uint8_t v = (uint8_t)wval;

	pthread_mutex_lock(&f->lock);
	uart_io(f->u, off, &v, 1, wval >= 0);
	pthread_mutex_unlock(&f->lock);
	return v;
}

/* Read what the guest would, waiting up to ~2 s for @n bytes. */
static size_t guest_read(struct fixture *f, uint8_t *buf, size_t n)
{
	size_t got = 0;

	for (int tries = 0; got < n && tries < 2000; tries++) {
		while (got < n && (uart_reg(f, 5, -1) & 0x01))
			buf[got++] = uart_reg(f, 0, -1);
		if (got < n)
			sleep_ms(1);
	}
	return got;
}

/* Redirect fds 0 and 1 to pipes and build a console + UART on them. */
static int setup_stdio(void **state)
{
	static struct fixture f;
	struct err err = { 0 };
	struct uart_ops ops;
	int in[2], out[2];

	memset(&f, 0, sizeof(f));
	pthread_mutex_init(&f.lock, NULL);
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	fflush(stdout);
	f.saved_in = dup(0);
	f.saved_out = dup(1);
	dup2(in[0], 0);
	dup2(out[1], 1);
	close(in[0]);
	close(out[1]);
	f.in_w = in[1];
	f.out_r = out[0];
	fcntl(f.out_r, F_SETFL, O_NONBLOCK);
	f.c = console_new("stdio", &f.lock, fx_quit, &f, &err);
	assert_non_null(f.c);
	console_uart_ops(f.c, &ops);
	f.u = uart_new(NULL, &ops);
	assert_non_null(f.u);
	assert_int_equal(console_start(f.c, f.u, NULL), 0);
	*state = &f;
	return 0;
}

static int teardown_stdio(void **state)
{
	struct fixture *f = *state;

	console_free(f->c);
	uart_free(f->u);
	dup2(f->saved_in, 0);
	dup2(f->saved_out, 1);
	close(f->saved_in);
	close(f->saved_out);
	if (f->in_w >= 0)
		close(f->in_w);
	close(f->out_r);
	pthread_mutex_destroy(&f->lock);
	return 0;
}

static void feed(struct fixture *f, const char *s, size_t n)
{
	assert_int_equal(write(f->in_w, s, n), (ssize_t)n);
}

static void test_input_flow(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[8];

	feed(f, "a", 1);
	/* Non-FIFO mode: one byte at a time, the rest held back, never an overrun. */
	assert_int_equal(guest_read(f, buf, 1), 1);
	feed(f, "bcd", 3);
	assert_int_equal(guest_read(f, buf + 1, 3), 3);
	assert_memory_equal(buf, "abcd", 4);
	assert_int_equal(uart_reg(f, 5, -1) & 0x02, 0);
}

/* More input than the 16-byte FIFO holds: the console holds back and resumes on rx_room. */
static void test_input_flow_control(void **state)
{
	struct fixture *f = *state;
	char in[100];
	uint8_t got[100];

	for (unsigned i = 0; i < sizeof(in); i++)
		in[i] = (char)('0' + i % 64);
	uart_reg(f, 2, 0x01);
	feed(f, in, sizeof(in));
	sleep_ms(50);
	/* The FIFO filled up and nothing overran. */
	assert_int_equal(uart_reg(f, 5, -1) & 0x03, 0x01);
	assert_int_equal(uart_rx_room(f->u), 0);
	assert_int_equal(guest_read(f, got, sizeof(got)), sizeof(got));
	assert_memory_equal(got, in, sizeof(in));
	assert_int_equal(uart_reg(f, 5, -1) & 0x02, 0);
}

static void test_escapes(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[8];

	uart_reg(f, 2, 0x01);
	feed(f, "\x01\x01" "k" "\x01" "q", 5);	/* C-a C-a, k, unknown escape C-a q */
	assert_int_equal(guest_read(f, buf, 4), 4);
	assert_memory_equal(buf, "\x01" "k" "\x01" "q", 4);
	assert_int_equal(f->quits, 0);
	feed(f, "\x01" "x" "zz", 4);
	for (int i = 0; i < 1000 && !__atomic_load_n(&f->quits, __ATOMIC_SEQ_CST); i++)
		sleep_ms(1);
	assert_int_equal(f->quits, 1);
	/* Input after the quit escape is not delivered. */
	sleep_ms(20);
	assert_int_equal(uart_reg(f, 5, -1) & 0x01, 0);
}

/* Escape state survives a split read: C-a and x in separate writes. */
static void test_escape_split(void **state)
{
	struct fixture *f = *state;

	feed(f, "\x01", 1);
	sleep_ms(20);
	assert_int_equal(uart_reg(f, 5, -1) & 0x01, 0);
	feed(f, "X", 1);
	for (int i = 0; i < 1000 && !__atomic_load_n(&f->quits, __ATOMIC_SEQ_CST); i++)
		sleep_ms(1);
	assert_int_equal(f->quits, 1);
}

static size_t drain(int fd, char *buf, size_t cap, int wait_ms)
{
	size_t got = 0;

	for (int i = 0; i < wait_ms; i++) {
		ssize_t n = read(fd, buf + got, cap - got);

		if (n > 0)
			got += (size_t)n;
		else
			sleep_ms(1);
	}
	return got;
}

/* Output: a line appears at its newline, a prompt without one shortly after. */
static void test_output(void **state)
{
	struct fixture *f = *state;
	char buf[64];
	ssize_t n;

	uart_reg(f, 0, 'o');
	uart_reg(f, 0, 'k');
	uart_reg(f, 0, '\n');
	n = read(f->out_r, buf, sizeof(buf));
	assert_int_equal(n, 3);
	assert_memory_equal(buf, "ok\n", 3);
	uart_reg(f, 0, '$');
	uart_reg(f, 0, ' ');
	assert_int_equal(drain(f->out_r, buf, sizeof(buf), 200), 2);
	assert_memory_equal(buf, "$ ", 2);
}

/* EOF on stdin: the thread stops reading, output still works, free joins cleanly. */
static void test_stdin_eof(void **state)
{
	struct fixture *f = *state;
	uint8_t b;

	feed(f, "e", 1);
	close(f->in_w);
	f->in_w = -1;
	assert_int_equal(guest_read(f, &b, 1), 1);
	assert_int_equal(b, 'e');
	console_stop(f->c);
	console_stop(f->c);		/* idempotent */
	uart_reg(f, 0, 'z');		/* after stop: buffered, flushed by free */
}

static void test_bad_specs(void **state)
{
	static const char *bad[] = { "", "foo", "file:", "stdio2", "FILE:x", "none " };
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err err = { 0 };

		assert_null(console_new(bad[i], &lock, NULL, NULL, &err));
		assert_int_equal(err.usage, 1);
		assert_non_null(strstr(err.msg, "file:PATH"));
	}
	{
		struct err err = { 0 };

		assert_null(console_new("file:/nonexistent-dir/x/y", &lock, NULL, NULL, &err));
		assert_int_equal(err.usage, 1);
		assert_non_null(strstr(err.msg, "/nonexistent-dir/x/y"));
	}
}

/* file:PATH appends, has no input thread, and flushes everything by console_free. */
static void test_file_output(void **state)
{
	char path[] = "/tmp/vfvm-console-XXXXXX", spec[64], buf[64];
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct err err = { 0 };
	struct uart_ops ops;
	struct console *c;
	struct uart *u;
	int fd = mkstemp(path);
	ssize_t n;
	uint8_t v;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "old\n", 4), 4);
	snprintf(spec, sizeof(spec), "file:%s", path);
	c = console_new(spec, &lock, NULL, NULL, &err);
	assert_non_null(c);
	console_uart_ops(c, &ops);
	u = uart_new(NULL, &ops);
	assert_int_equal(console_start(c, u, NULL), 0);
	for (const char *p = "new\ntail"; *p; p++) {
		v = (uint8_t)*p;
		uart_io(u, 0, &v, 1, true);
	}
	/* The line is in the file already; the tail after console_free. */
	n = pread(fd, buf, sizeof(buf), 0);
	assert_int_equal(n, 8);
	assert_memory_equal(buf, "old\nnew\n", 8);
	console_free(c);
	uart_free(u);
	n = pread(fd, buf, sizeof(buf), 0);
	assert_int_equal(n, 12);
	assert_memory_equal(buf, "old\nnew\ntail", 12);
	close(fd);
	unlink(path);
}

static unsigned thread_count(void)
{
	char line[256];
	unsigned n = 0;
	FILE *f = fopen("/proc/self/status", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Threads: %u", &n) == 1)
			break;
	fclose(f);
	return n;
}

/* Start a stdio console on whatever fd 0 is now; returns the number of threads it added. */
static unsigned start_count_threads(const char *spec)
{
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct err err = { 0 };
	struct uart_ops ops;
	struct console *c;
	struct uart *u;
	unsigned before = thread_count(), added;
	uint8_t v = 'n';

	c = console_new(spec, &lock, NULL, NULL, &err);
	assert_non_null(c);
	console_uart_ops(c, &ops);
	u = uart_new(NULL, &ops);
	assert_int_equal(console_start(c, u, NULL), 0);
	added = thread_count() - before;
	uart_io(u, 0, &v, 1, true);
	console_free(c);
	uart_free(u);
	return added;
}

/* "none" discards output and reads nothing; stdin on /dev/null or closed starts no thread;
 * a pipe does. */
static void test_none_and_devnull(void **state)
{
	int saved = dup(0), null = open("/dev/null", O_RDONLY), p[2];

	(void)state;
	assert_int_equal(start_count_threads("none"), 0);
	dup2(null, 0);
	assert_int_equal(start_count_threads(NULL), 0);
	close(0);
	assert_int_equal(start_count_threads("stdio"), 0);
	assert_int_equal(pipe(p), 0);
	dup2(p[0], 0);
	assert_int_equal(start_count_threads("stdio"), 1);
	close(p[0]);
	close(p[1]);
	dup2(saved, 0);
	close(saved);
	close(null);
	console_free(NULL);
}

/* Ctrl-A H prints the escape help on stderr and sends nothing to the guest. */
static void test_help(void **state)
{
	struct fixture *f = *state;
	int err[2], saved = dup(2);
	char buf[512] = { 0 };

	assert_int_equal(pipe(err), 0);
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	dup2(err[1], 2);
	feed(f, "\x01h", 2);
	drain(err[0], buf, sizeof(buf) - 1, 100);
	dup2(saved, 2);
	close(saved);
	close(err[0]);
	close(err[1]);
	assert_non_null(strstr(buf, "C-a x"));
	assert_int_equal(uart_reg(f, 5, -1) & 0x01, 0);
}

/* Put a pty's slave on fd 0; returns the master, the slave in *slave. */
static int pty_stdin(int *saved, int *slave)
{
	int master;

	assert_int_equal(openpty(&master, slave, NULL, NULL, NULL), 0);
	*saved = dup(0);
	dup2(*slave, 0);
	return master;
}

/* A terminal goes raw (no echo, no line editing, no signals) and comes back on free. */
static void test_tty_raw_and_restore(void **state)
{
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct err err = { 0 };
	struct termios t;
	struct uart_ops ops;
	struct console *c;
	struct uart *u;
	int saved, slave, master = pty_stdin(&saved, &slave);
	uint8_t v = 0;

	(void)state;
	assert_int_equal(tcgetattr(slave, &t), 0);
	assert_true(t.c_lflag & ICANON);
	c = console_new("stdio", &lock, NULL, NULL, &err);
	assert_non_null(c);
	console_uart_ops(c, &ops);
	u = uart_new(NULL, &ops);
	assert_int_equal(console_start(c, u, NULL), 0);
	assert_int_equal(tcgetattr(slave, &t), 0);
	assert_false(t.c_lflag & (ICANON | ECHO | ISIG));
	assert_false(t.c_iflag & ICRNL);
	/* Raw: a single byte arrives without a newline, CR stays CR. */
	assert_int_equal(write(master, "\r", 1), 1);
	for (int i = 0; i < 2000; i++) {
		pthread_mutex_lock(&lock);
		uart_io(u, 5, &v, 1, false);
		if (v & 1)
			uart_io(u, 0, &v, 1, false);
		pthread_mutex_unlock(&lock);
		if (v == '\r')
			break;
		sleep_ms(1);
	}
	assert_int_equal(v, '\r');
	console_free(c);
	uart_free(u);
	assert_int_equal(tcgetattr(slave, &t), 0);
	assert_true(t.c_lflag & ICANON);
	assert_true(t.c_lflag & ECHO);
	dup2(saved, 0);
	close(saved);
	close(slave);
	close(master);
}

/* A process killed by SIGTERM while raw leaves the terminal as it found it. */
static void test_tty_restore_on_signal(void **state)
{
	struct termios t;
	int saved, slave, master = pty_stdin(&saved, &slave), status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
		struct err err = { 0 };
		struct uart_ops ops;
		struct console *c = console_new("stdio", &lock, NULL, NULL, &err);

		console_uart_ops(c, &ops);
		console_start(c, uart_new(NULL, &ops), NULL);
		raise(SIGTERM);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);
	assert_int_equal(tcgetattr(slave, &t), 0);
	assert_true(t.c_lflag & ICANON);
	assert_true(t.c_lflag & ECHO);
	dup2(saved, 0);
	close(saved);
	close(slave);
	close(master);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_input_flow, setup_stdio, teardown_stdio),
		cmocka_unit_test_setup_teardown(test_input_flow_control, setup_stdio,
						teardown_stdio),
		cmocka_unit_test_setup_teardown(test_escapes, setup_stdio, teardown_stdio),
		cmocka_unit_test_setup_teardown(test_escape_split, setup_stdio, teardown_stdio),
		cmocka_unit_test_setup_teardown(test_output, setup_stdio, teardown_stdio),
		cmocka_unit_test_setup_teardown(test_stdin_eof, setup_stdio, teardown_stdio),
		cmocka_unit_test_setup_teardown(test_help, setup_stdio, teardown_stdio),
		cmocka_unit_test(test_bad_specs),
		cmocka_unit_test(test_file_output),
		cmocka_unit_test(test_none_and_devnull),
		cmocka_unit_test(test_tty_raw_and_restore),
		cmocka_unit_test(test_tty_restore_on_signal),
	};

	return cmocka_run_group_tests_name("console", tests, NULL, NULL);
}
