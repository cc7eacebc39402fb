/* pcibench.c - `make bench-pci`: cost of each PCI access path of vfvm's test device, from the
 * guests of bench/guest/pci.S (T(N) - T(0) over N accesses), and of the same paths in QEMU
 * (`-M pc` with its edu device) where QEMU has them. Numbers only (bench/pci.md). */
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
	int qemu;		/* QEMU has it: bench/guest/pci.S built with QEMU_EDU */
	const char *name;
} paths[] = {
	{ 7, 0, "RAM-BAR read (memory slot, baseline)" },
	{ 1, 1, "config read (outl 0xCF8 + inl 0xCFC)" },
	{ 4, 0, "trapped port read (BAR0)" },
	{ 2, 1, "trapped MMIO read (BAR1; QEMU: edu BAR0)" },
	{ 3, 1, "trapped MMIO write (BAR1; QEMU: edu BAR0)" },
	{ 6, 0, "doorbell write, port ioeventfd (BAR0)" },
	{ 5, 0, "doorbell write, MMIO ioeventfd (BAR1)" },
	{ 9, 0, "MSI-X trigger, vector masked (exit, PBA)" },
	{ 8, 0, "MSI-X trigger, irqfd delivery (exit, eventfd)" },
};

struct opts {
	const char *vfvm, *qemu, *dir;
	unsigned long n;
	unsigned reps;
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

/* run_vmm: one run of @guest under vfvm, or QEMU if @qemu; stderr goes to a pipe only when
 * @stats (vfvm's --stats; parsing costs time). */
static int run_vmm(const struct opts *o, int qemu, const char *guest, int stats, struct run *r)
{
	char *vfvm_argv[] = { (char *)o->vfvm, "run", "--kernel", (char *)guest, "--memory", "128M",
			      "--serial", "none", "--debug-exit", "--device", "testdev",
			      stats ? "--stats" : NULL, NULL };
	/* qboot instead of SeaBIOS: SeaBIOS takes ~20 s here (ring 0 is emulated). */
	char *qemu_argv[] = { (char *)o->qemu, "-accel", "kvm", "-cpu", "host,-arch-capabilities",
			      "-M", "pc", "-bios", "qboot.rom", "-nodefaults", "-no-user-config",
			      "-nographic", "-m", "128M", "-device",
			      "isa-debug-exit,iobase=0xf4,iosize=4", "-device", "edu,addr=03.0",
			      "-kernel", (char *)guest, NULL };
	char **argv = qemu ? qemu_argv : vfvm_argv;
	struct rusage ru = { 0 };
	int pfd[2] = { -1, -1 }, status;
	double t0;
	pid_t pid;

	stats = stats && !qemu;
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
		dup2(stats && !qemu ? pfd[1] : null, 2);
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

/* measure: (median T(N) - median T(0)) / N of wall and CPU time, in µs, for @mode under vfvm
 * or QEMU; T(0) and T(N) runs alternate so load changes hit both. -1 on a failed run. */
static int measure(const struct opts *o, int qemu, int mode, double *wall_us, double *cpu_us)
{
	double w0[MAX_REPS], wn[MAX_REPS], c0[MAX_REPS], cn[MAX_REPS];
	char g0[4096], gn[4096];
	struct run r;

	snprintf(g0, sizeof(g0), "%s/%spci%d-0.elf", o->dir, qemu ? "q" : "", mode);
	snprintf(gn, sizeof(gn), "%s/%spci%d-%lu.elf", o->dir, qemu ? "q" : "", mode, o->n);
	for (unsigned i = 0; i < o->reps; i++) {
		if (run_vmm(o, qemu, g0, 0, &r) || r.status != 1)
			return -1;
		w0[i] = r.wall_s;
		c0[i] = r.cpu_s;
		if (run_vmm(o, qemu, gn, 0, &r) || r.status != 1)
			return -1;
		wn[i] = r.wall_s;
		cn[i] = r.cpu_s;
	}
	*wall_us = (median(wn, o->reps) - median(w0, o->reps)) / o->n * 1e6;
	*cpu_us = (median(cn, o->reps) - median(c0, o->reps)) / o->n * 1e6;
	return 0;
}

/* bench_path: prints one table row: vfvm's exits per access (one --stats run of each guest,
 * which also shows whether the guest works), its costs, and QEMU's where it has the path. */
static void bench_path(const struct opts *o, const struct path *p)
{
	char g0[4096], gn[4096], q[64] = "– | –";
	double w, c, qw, qc;
	struct run s0, sn;

	snprintf(g0, sizeof(g0), "%s/pci%d-0.elf", o->dir, p->mode);
	snprintf(gn, sizeof(gn), "%s/pci%d-%lu.elf", o->dir, p->mode, o->n);
	if (run_vmm(o, 0, g0, 1, &s0) || run_vmm(o, 0, gn, 1, &sn) ||
	    s0.status != 1 || sn.status != 1) {
		printf("| %s | n/a (vfvm exit status %d/%d; 1 expected) | | | | |\n", p->name,
		       s0.status, sn.status);
		return;
	}
	if (o->qemu && p->qemu) {
		if (measure(o, 1, p->mode, &qw, &qc))
			snprintf(q, sizeof(q), "n/a | n/a");
		else
			snprintf(q, sizeof(q), "%.2f | %.2f", qw, qc);
	}
	if (measure(o, 0, p->mode, &w, &c)) {
		printf("| %s | n/a (a vfvm run failed) | | | %s |\n", p->name, q);
		return;
	}
	printf("| %s | %.2f / %.2f | %.2f | %.2f | %s |\n", p->name,
	       (double)(sn.exits_io - s0.exits_io) / o->n,
	       (double)(sn.exits_mmio - s0.exits_mmio) / o->n, w, c, q);
	fflush(stdout);
}

static void usage(void)
{
	fprintf(stderr, "usage: pcibench -v VFVM -g GUESTDIR [-q QEMU] [-n N] [-r REPS]\n"
		"  GUESTDIR holds pciM-0.elf and pciM-N.elf for every MODE M of bench/guest/pci.S,\n"
		"  and with -q qpciM-0.elf, qpciM-N.elf (QEMU_EDU) for MODEs 1-3\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct opts o = { .n = 20000, .reps = 5 };
	struct sigaction sa = { .sa_handler = on_alarm };
	int c;

	while ((c = getopt(argc, argv, "v:q:g:n:r:")) != -1) {
		switch (c) {
		case 'v': o.vfvm = optarg; break;
		case 'q': o.qemu = optarg; break;
		case 'g': o.dir = optarg; break;
		case 'n': o.n = strtoul(optarg, NULL, 0); break;
		case 'r': o.reps = (unsigned)strtoul(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (!o.vfvm || !o.dir || o.n == 0 || o.reps == 0 || o.reps > MAX_REPS)
		usage();
	sigaction(SIGALRM, &sa, NULL);
	printf("N=%lu accesses per run, %u runs of T(0) and T(N) each, medians; µs per access\n\n",
	       o.n, o.reps);
	printf("| Path | vfvm exits per access (io / mmio) | vfvm wall | vfvm CPU | QEMU wall | QEMU CPU |\n");
	printf("|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		bench_path(&o, &paths[i]);
	return 0;
}
