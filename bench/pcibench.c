/* pcibench.c - `make bench-pci`: cost of each PCI access path of vfvm's test device, from the
 * guests of bench/guest/pci.S (T(N) - T(0) over N accesses). Numbers only (bench/pci.md). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_REPS	101
#define RUN_TIMEOUT_S	300

/* MODE numbers of bench/guest/pci.S */
static const struct path {
	int mode;
	const char *name;
} paths[] = {
	{ 7, "RAM-BAR read (memory slot, baseline)" },
	{ 1, "config read (outl 0xCF8 + inl 0xCFC)" },
	{ 4, "trapped port read (BAR0)" },
	{ 2, "trapped MMIO read (BAR1)" },
	{ 3, "trapped MMIO write (BAR1)" },
	{ 6, "doorbell write, port ioeventfd (BAR0)" },
	{ 5, "doorbell write, MMIO ioeventfd (BAR1)" },
	{ 9, "MSI-X trigger, vector masked (exit, PBA)" },
	{ 8, "MSI-X trigger, irqfd delivery (exit, eventfd)" },
};

struct run {
	double wall_s, cpu_s;
	long exits_io, exits_mmio;	/* from --stats, -1 if not parsed */
	int status;
};

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

/* run_vfvm: one run of @guest; stderr goes to a pipe only when @stats (parsing costs time). */
static int run_vfvm(const char *vfvm, const char *guest, int stats, struct run *r)
{
	char *argv[] = { (char *)vfvm, "run", "--kernel", (char *)guest, "--memory", "128M",
			 "--serial", "none", "--debug-exit", "--device", "testdev",
			 stats ? "--stats" : NULL, NULL };
	struct rusage ru = { 0 };
	int pfd[2] = { -1, -1 }, status;
	double t0;
	pid_t pid;

	if (stats && pipe(pfd) < 0)
		return -errno;
	t0 = now_s();
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(stats ? pfd[1] : null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	r->exits_io = r->exits_mmio = -1;
	timed_out = 0;
	alarm(RUN_TIMEOUT_S);
	if (stats) {
		char buf[4096];
		ssize_t n, len = 0;
		const char *p;

		close(pfd[1]);
		while ((n = read(pfd[0], buf + len, sizeof(buf) - 1 - len)) > 0)
			len += n;
		close(pfd[0]);
		buf[len] = 0;
		p = strstr(buf, "vfvm: exits: io ");
		if (p)
			sscanf(p, "vfvm: exits: io %ld, mmio %ld", &r->exits_io, &r->exits_mmio);
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
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* bench_path: alternates T(0) and T(N) runs so load changes hit both; prints one table row. */
static void bench_path(const char *vfvm, const char *dir, unsigned long n, unsigned reps,
		       const struct path *p)
{
	double w0[MAX_REPS], wn[MAX_REPS], c0[MAX_REPS], cn[MAX_REPS];
	char g0[4096], gn[4096];
	struct run s0, sn, r;

	snprintf(g0, sizeof(g0), "%s/pci%d-0.elf", dir, p->mode);
	snprintf(gn, sizeof(gn), "%s/pci%d-%lu.elf", dir, p->mode, n);
	/* One run of each with --stats: the exits per access, and whether the guest works. */
	if (run_vfvm(vfvm, g0, 1, &s0) || run_vfvm(vfvm, gn, 1, &sn) ||
	    s0.status != 1 || sn.status != 1) {
		printf("| %s | n/a (vfvm exit status %d/%d; 1 expected) | | |\n", p->name,
		       s0.status, sn.status);
		return;
	}
	for (unsigned i = 0; i < reps; i++) {
		if (run_vfvm(vfvm, g0, 0, &r) || r.status != 1)
			goto fail;
		w0[i] = r.wall_s;
		c0[i] = r.cpu_s;
		if (run_vfvm(vfvm, gn, 0, &r) || r.status != 1)
			goto fail;
		wn[i] = r.wall_s;
		cn[i] = r.cpu_s;
	}
	printf("| %s | %.2f / %.2f | %.2f | %.2f |\n", p->name,
	       (double)(sn.exits_io - s0.exits_io) / n, (double)(sn.exits_mmio - s0.exits_mmio) / n,
	       (median(wn, reps) - median(w0, reps)) / n * 1e6,
	       (median(cn, reps) - median(c0, reps)) / n * 1e6);
	fflush(stdout);
	return;
fail:
	printf("| %s | n/a (a run exited with status %d) | | |\n", p->name, r.status);
}

static void usage(void)
{
	fprintf(stderr, "usage: pcibench -v VFVM -g GUESTDIR [-n N] [-r REPS]\n"
		"  GUESTDIR holds pciM-0.elf and pciM-N.elf for every MODE M of bench/guest/pci.S\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *vfvm = NULL, *dir = NULL;
	unsigned long n = 20000;
	unsigned reps = 5;
	struct sigaction sa = { .sa_handler = on_alarm };
	int c;

	while ((c = getopt(argc, argv, "v:g:n:r:")) != -1) {
		switch (c) {
		case 'v': vfvm = optarg; break;
		case 'g': dir = optarg; break;
		case 'n': n = strtoul(optarg, NULL, 0); break;
		case 'r': reps = (unsigned)strtoul(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (!vfvm || !dir || n == 0 || reps == 0 || reps > MAX_REPS)
		usage();
	sigaction(SIGALRM, &sa, NULL);
	printf("N=%lu accesses per run, %u runs of T(0) and T(N) each, medians\n\n", n, reps);
	printf("| Path | exits to vfvm per access (io / mmio) | wall µs | CPU µs |\n");
	printf("|---|---|---|---|\n");
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		bench_path(vfvm, dir, n, reps, &paths[i]);
	return 0;
}
