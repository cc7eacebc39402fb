/* console.c - the user's end of the serial line: stdin (raw when a terminal) into a UART,
 * the UART's output to stdout or a file, Ctrl-A escapes (X quit, H help, Ctrl-A itself). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>
#include "machine/console.h"
#include "core/sandbox.h"

#define CONSOLE_ESCAPE	0x01	/* Ctrl-A */
#define CONSOLE_OBUF	4096
#define CONSOLE_IBUF	256
#define CONSOLE_FLUSH_MS 10	/* output without a newline waits at most this long */

enum console_kind { CONSOLE_STDIO, CONSOLE_FILE, CONSOLE_NONE };

struct console {
	enum console_kind kind;
	pthread_mutex_t *lock;		/* COM1's lock, around uart_rx() */
	void (*quit)(void *opaque);
	void *quit_opaque;
	struct uart *uart;

	int out_fd;			/* -1: output discarded */
	bool out_owned;
	pthread_mutex_t out_lock;	/* obuf: tx runs on vCPU threads, flushes on the input thread */
	char obuf[CONSOLE_OBUF];
	size_t olen;

	int in_fd;			/* -1: no input */
	int evfd;			/* wakes the input thread: stop, rx_room, output pending */
	pthread_t thread;
	bool thread_started;
	atomic_bool stop;
	bool in_eof, quitting, escape;
	uint8_t ibuf[CONSOLE_IBUF];	/* input held back while the receive FIFO is full */
	size_t ioff, ilen;
	bool tty_owner;			/* this console put the terminal in raw mode */
};

/*
 * The terminal's original settings. These are process-wide on purpose: there is one
 * controlling terminal per process, and console_restore_tty() must work from a signal
 * handler or a fatal-error path that has no pointer to any struct (so no argument can
 * carry them). Written once before the terminal goes raw, only read afterwards.
 */
static struct termios console_saved_tty;
static volatile sig_atomic_t console_tty_saved;

void console_restore_tty(void)
{
	/* tcsetattr() is async-signal-safe (POSIX.1-2008 §2.4.3). */
	if (console_tty_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &console_saved_tty);
}

static void console_fatal_signal(int sig)
{
	int saved = errno;

	console_restore_tty();
	/* SA_RESETHAND put the default action back; re-raise to die the usual way. */
	raise(sig);
	errno = saved;
}

/*
 * Restore the terminal on every way out: exit() through atexit, and signals that kill by
 * default. A handler is only installed where the disposition is still the default, so a
 * handler of the machine's own wins; vfvm's machine blocks SIGINT/SIGTERM and reads them
 * from a signalfd, so those end in the normal teardown (console_free) instead. The
 * atexit registration is process-wide like the saved termios, hence the pthread_once.
 */
static void console_atexit(void)
{
	console_restore_tty();
}

static void console_register_atexit(void)
{
	atexit(console_atexit);
}

static void console_install_restore(void)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGABRT, SIGSEGV,
				    SIGBUS, SIGFPE, SIGILL };
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct sigaction sa = { .sa_handler = console_fatal_signal,
				.sa_flags = SA_RESETHAND | SA_NODEFER };

	pthread_once(&once, console_register_atexit);
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction old;

		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL &&
		    !(old.sa_flags & SA_SIGINFO))
			sigaction(sigs[i], &sa, NULL);
	}
}

/* Raw mode as cfmakeraw(3), but OPOST stays on so our own messages print normally. */
static void console_tty_raw(struct console *c)
{
	struct termios t;

	if (tcgetattr(STDIN_FILENO, &t) < 0)
		return;
	if (!console_tty_saved) {
		console_saved_tty = t;
		console_tty_saved = 1;
	}
	console_install_restore();
	t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	t.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag &= ~(CSIZE | PARENB);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0)
		c->tty_owner = true;
}

/* Write all of @buf; errors (a closed pipe, a full disk) drop the output, never the VM. */
static void console_write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

static void console_flush_locked(struct console *c)
{
	if (c->olen && c->out_fd >= 0)
		console_write_all(c->out_fd, c->obuf, c->olen);
	c->olen = 0;
}

static void console_wake(struct console *c)
{
	uint64_t one = 1;

	if (c->evfd >= 0 && write(c->evfd, &one, sizeof(one)) < 0) {
		/* The counter cannot overflow in practice; a failed wake only delays output. */
	}
}

/* uart_ops.tx: runs on a vCPU thread with COM1's lock held. */
static void console_tx(void *opaque, uint8_t byte)
{
	struct console *c = opaque;
	bool wake;

	if (c->out_fd < 0)
		return;
	pthread_mutex_lock(&c->out_lock);
	wake = c->olen == 0;
	c->obuf[c->olen++] = (char)byte;
	if (byte == '\n' || c->olen == sizeof(c->obuf)) {
		console_flush_locked(c);
		wake = false;
	}
	pthread_mutex_unlock(&c->out_lock);
	/* Text without a newline yet (a prompt): the input thread flushes it shortly. */
	if (wake && c->thread_started)
		console_wake(c);
}

/* uart_ops.rx_room: runs with COM1's lock held; only pokes the input thread. */
static void console_rx_room(void *opaque)
{
	console_wake(opaque);
}

void console_uart_ops(struct console *c, struct uart_ops *ops)
{
	ops->tx = console_tx;
	ops->rx_room = console_rx_room;
	ops->opaque = c;
}

static void console_help(void)
{
	static const char help[] =
		"\r\nvfvm console escapes:\r\n"
		"  C-a x    quit vfvm\r\n"
		"  C-a h    print this help\r\n"
		"  C-a C-a  send C-a to the guest\r\n";

	console_write_all(STDERR_FILENO, help, sizeof(help) - 1);
}

/* Add one byte for the guest to the held-back input (room is checked by the caller). */
static void console_queue(struct console *c, uint8_t byte)
{
	c->ibuf[c->ilen++] = byte;
}

/* Handle the escape sequences in freshly read input; the rest goes to the guest. */
static void console_input(struct console *c, const uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n && !c->quitting; i++) {
		uint8_t b = buf[i];

		if (!c->escape) {
			if (b == CONSOLE_ESCAPE)
				c->escape = true;
			else
				console_queue(c, b);
			continue;
		}
		c->escape = false;
		switch (b) {
		case 'x':
		case 'X':
			c->quitting = true;
			if (c->quit)
				c->quit(c->quit_opaque);
			break;
		case 'h':
		case 'H':
			console_help();
			break;
		case CONSOLE_ESCAPE:
			console_queue(c, b);
			break;
		default:
			/* Not an escape: pass both bytes, nothing typed is lost. */
			console_queue(c, CONSOLE_ESCAPE);
			console_queue(c, b);
			break;
		}
	}
}

/* Push held-back input into the receive FIFO as far as it has room (never overrun). */
static void console_push(struct console *c)
{
	size_t room, n;

	if (c->ioff == c->ilen)
		return;
	pthread_mutex_lock(c->lock);
	room = uart_rx_room(c->uart);
	n = c->ilen - c->ioff;
	if (n > room)
		n = room;
	if (n)
		c->ioff += uart_rx(c->uart, c->ibuf + c->ioff, n);
	pthread_mutex_unlock(c->lock);
	if (c->ioff == c->ilen)
		c->ioff = c->ilen = 0;
}

static void console_read_stdin(struct console *c)
{
	/* Room for each byte and the extra Ctrl-A of an unknown escape. */
	uint8_t buf[CONSOLE_IBUF / 2];
	ssize_t n = read(c->in_fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		c->in_eof = true;
		return;
	}
	console_input(c, buf, (size_t)n);
}

static void *console_thread(void *opaque)
{
	struct console *c = opaque;

	while (!atomic_load(&c->stop)) {
		struct pollfd pfd[2] = { { .fd = c->evfd, .events = POLLIN },
					 { .fd = -1, .events = POLLIN } };
		int timeout = -1, r;
		bool pending_out;

		/* Read more only when everything read so far reached the guest. */
		if (!c->in_eof && !c->quitting && c->ilen == 0)
			pfd[1].fd = c->in_fd;
		pthread_mutex_lock(&c->out_lock);
		pending_out = c->olen != 0;
		pthread_mutex_unlock(&c->out_lock);
		if (pending_out)
			timeout = CONSOLE_FLUSH_MS;
		r = poll(pfd, 2, timeout);
		if (r < 0 && errno != EINTR)
			break;
		/* Output that waited through this poll (up to CONSOLE_FLUSH_MS) goes out now,
		 * even when input keeps the poll from timing out. */
		if (pending_out) {
			pthread_mutex_lock(&c->out_lock);
			console_flush_locked(c);
			pthread_mutex_unlock(&c->out_lock);
		}
		if (pfd[0].revents & POLLIN) {
			uint64_t v;

			if (read(c->evfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				break;
		}
		if (pfd[1].revents & POLLNVAL)
			c->in_eof = true;	/* stdin was closed under us */
		else if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))
			console_read_stdin(c);
		console_push(c);
	}
	return NULL;
}

/* stdin that is closed or /dev/null gives no input and gets no thread. */
static bool console_stdin_usable(void)
{
	struct stat st, null;

	if (fcntl(STDIN_FILENO, F_GETFD) < 0)
		return false;
	if (fstat(STDIN_FILENO, &st) < 0)
		return false;
	if (S_ISCHR(st.st_mode) && stat("/dev/null", &null) == 0 && S_ISCHR(null.st_mode) &&
	    st.st_rdev == null.st_rdev)
		return false;
	return true;
}

static int console_parse(struct console *c, const char *spec, struct err *err)
{
	if (!spec || !strcmp(spec, "stdio")) {
		c->kind = CONSOLE_STDIO;
		c->out_fd = STDOUT_FILENO;
		c->in_fd = console_stdin_usable() ? STDIN_FILENO : -1;
		return 0;
	}
	if (!strcmp(spec, "none")) {
		c->kind = CONSOLE_NONE;
		return 0;
	}
	if (!strncmp(spec, "file:", 5) && spec[5]) {
		c->kind = CONSOLE_FILE;
		c->out_fd = open(spec + 5, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (c->out_fd < 0)
			return err_input(err, errno, "cannot open serial output file '%s': %s",
					 spec + 5, strerror(errno));
		c->out_owned = true;
		return 0;
	}
	return err_input(err, EINVAL,
			 "bad serial console '%s': expected 'stdio', 'none' or 'file:PATH'", spec);
}

struct console *console_new(const char *spec, pthread_mutex_t *lock,
			    void (*quit)(void *opaque), void *quit_opaque, struct err *err)
{
	struct console *c = calloc(1, sizeof(*c));

	if (!c) {
		err_set(err, ENOMEM, "out of memory for the console");
		return NULL;
	}
	c->lock = lock;
	c->quit = quit;
	c->quit_opaque = quit_opaque;
	c->out_fd = -1;
	c->in_fd = -1;
	c->evfd = -1;
	if (console_parse(c, spec, err) < 0)
		goto fail;
	if (pthread_mutex_init(&c->out_lock, NULL)) {
		err_set(err, ENOMEM, "cannot create the console output lock");
		goto fail_fd;
	}
	return c;

fail_fd:
	if (c->out_owned)
		close(c->out_fd);
fail:
	free(c);
	return NULL;
}

int console_start(struct console *c, struct uart *u, const struct sandbox *sb)
{
	int r;

	c->uart = u;
	if (c->in_fd < 0 || !u || !c->lock)
		return 0;
	c->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->evfd < 0)
		return -errno;
	if (isatty(c->in_fd))
		console_tty_raw(c);
	r = sandbox_thread_start(&c->thread, NULL, console_thread, c, sb, SB_CONSOLE);
	if (r) {
		console_restore_tty();
		close(c->evfd);
		c->evfd = -1;
		return r;
	}
	c->thread_started = true;
	return 0;
}

void console_stop(struct console *c)
{
	if (!c)
		return;
	if (c->thread_started) {
		atomic_store(&c->stop, true);
		console_wake(c);
		if (pthread_equal(pthread_self(), c->thread))
			pthread_detach(c->thread);	/* called from quit() on the thread itself */
		else
			pthread_join(c->thread, NULL);
		c->thread_started = false;
	}
	pthread_mutex_lock(&c->out_lock);
	console_flush_locked(c);
	pthread_mutex_unlock(&c->out_lock);
	if (c->tty_owner) {
		console_restore_tty();
		console_tty_saved = 0;
		c->tty_owner = false;
	}
}

void console_free(struct console *c)
{
	if (!c)
		return;
	console_stop(c);
	if (c->evfd >= 0)
		close(c->evfd);
	if (c->out_owned)
		close(c->out_fd);
	pthread_mutex_destroy(&c->out_lock);
	free(c);
}

/*
 * For the watchdog's dump: the bytes the guest sent that are not written out yet, written out
 * first if @flush. -1 when the output lock is busy: a vCPU stuck in a write holds it, and the
 * dump must not wait on a console that may be what is stuck.
 */
static long console_held(struct console *c, bool flush)
{
	long n;

	if (!c)
		return 0;
	if (pthread_mutex_trylock(&c->out_lock))
		return -1;
	n = (long)c->olen;
	if (flush)
		console_flush_locked(c);
	pthread_mutex_unlock(&c->out_lock);
	return n;
}

long console_pending(struct console *c)
{
	return console_held(c, false);
}

/*
 * Before a state dump: with no input thread, text without a newline waits for the next
 * newline, a full buffer or the end; written out here, a stopped guest's last words come
 * before the dump, not after (issue 15: "activating TP" hid the rest of its line).
 */
long console_flush_unfinished(struct console *c)
{
	return console_held(c, true);
}
