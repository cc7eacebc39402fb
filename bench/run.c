/* run.c - runs one VMM process for the benchmark drivers and measures it (see run.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "run.h"

/* Set by SIGALRM: the run is over its time (a signal handler can only reach a static). */
static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Read the child's stderr until EOF (or the alarm interrupts the read). */
static void read_all(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len - 1 && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += n;
	buf[got] = 0;
}

int run_cmd(char *const argv[], char *err, size_t errlen, struct run *r)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct rusage ru = { 0 };
	int pfd[2] = { -1, -1 }, status;
	double t0;
	pid_t pid;

	if (err && (!errlen || pipe(pfd) < 0))
		return err ? -errno : -EINVAL;
	sigaction(SIGALRM, &sa, NULL);
	t0 = now_s();
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(err ? pfd[1] : null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	timed_out = 0;
	alarm(RUN_TIMEOUT_S);
	if (err) {
		close(pfd[1]);
		read_all(pfd[0], err, errlen);
		close(pfd[0]);
		if (timed_out)		/* the read was interrupted by the alarm */
			kill(pid, SIGKILL);
	}
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR)
			return -errno;
		if (timed_out)
			kill(pid, SIGKILL);
	}
	alarm(0);
	r->wall_s = now_s() - t0;
	r->cpu_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		   ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	r->maxrss_kb = ru.ru_maxrss;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
