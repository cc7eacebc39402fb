/* bench.c - `make bench`: times vfvm against QEMU microvm on the guests in bench/guest/ and
 * prints a table of medians. Numbers only, never pass/fail (bench/README.md). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "run.h"

#define MAX_REPS	1000


struct opts {
	unsigned long n;
	unsigned reps;
	const char *vfvm, *qemu, *guests;
};

enum vmm { VFVM, QEMU, NVMM };
static const char *const vmm_name[NVMM] = { "vfvm", "qemu" };

/* Build the command line of @vmm booting @guest. */
static void vmm_argv(const struct opts *o, enum vmm v, const char *guest, char **argv)
{
	static char *const q[] = { "-accel", "kvm", "-cpu", "host,-arch-capabilities",
				   "-M", "microvm", "-nodefaults", "-no-user-config",
				   "-nographic", "-m", "128M", "-device",
				   "isa-debug-exit,iobase=0xf4,iosize=4", "-kernel", NULL };
	unsigned i = 0;

	if (v == VFVM) {
		argv[i++] = (char *)o->vfvm;
		argv[i++] = "run";
		argv[i++] = "--kernel";
		argv[i++] = (char *)guest;
		argv[i++] = "--memory";
		argv[i++] = "128M";
		argv[i++] = "--serial";
		argv[i++] = "none";
		argv[i++] = "--debug-exit";
	} else {
		argv[i++] = (char *)o->qemu;
		for (unsigned k = 0; q[k]; k++)
			argv[i++] = q[k];
		argv[i++] = (char *)guest;
	}
	argv[i] = NULL;
}

struct series {
	double wall[MAX_REPS];
	double rss[MAX_REPS];
	double cpu[MAX_REPS];
	unsigned n;
	int bad_status;		/* last unexpected exit status, 0 if none */
};

/* One run; a guest that wrote 0 to isa-debug-exit ends with status (0 << 1) | 1 = 1. */
static void sample(const struct opts *o, enum vmm v, const char *guest, struct series *s)
{
	char *argv[32];
	struct run r = { 0 };

	if (v == VFVM && access(o->vfvm, X_OK))
		return;
	vmm_argv(o, v, guest, argv);
	if (run_cmd(argv, NULL, 0, &r) < 0 || r.status != 1) {
		s->bad_status = r.status ? r.status : -1;
		return;
	}
	s->wall[s->n] = r.wall_s;
	s->rss[s->n] = (double)r.maxrss_kb;
	s->cpu[s->n] = r.cpu_s;
	s->n++;
}

static void guest_path(const struct opts *o, char *buf, size_t len, const char *kind,
		       unsigned long n)
{
	if (!strcmp(kind, "exit"))
		snprintf(buf, len, "%s/exit.elf", o->guests);
	else
		snprintf(buf, len, "%s/%s-%lu.elf", o->guests, kind, n);
}

static void print_unavailable(const char *what, enum vmm v, const struct series *s)
{
	if (s->bad_status)
		printf("%-28s %-6s n/a (exit status %d)\n", what, vmm_name[v], s->bad_status);
	else
		printf("%-28s %-6s n/a (not run)\n", what, vmm_name[v]);
}

/* (1) process start to exit for a guest that exits at once, alternating the VMMs. */
static void bench_startup(const struct opts *o)
{
	static struct series s[NVMM];
	double wall[NVMM] = { 0 }, rss[NVMM] = { 0 };
	char guest[4096];

	guest_path(o, guest, sizeof(guest), "exit", 0);
	for (unsigned i = 0; i < o->reps; i++)
		for (int v = 0; v < NVMM; v++)
			sample(o, v, guest, &s[v]);
	printf("\n(1) start to exit, guest exits at once (%u runs each, medians)\n", o->reps);
	printf("%-28s %-6s %12s %14s\n", "", "vmm", "wall ms", "peak RSS KiB");
	for (int v = 0; v < NVMM; v++) {
		if (!s[v].n) {
			print_unavailable("startup", v, &s[v]);
			continue;
		}
		wall[v] = median(s[v].wall, s[v].n);
		rss[v] = median(s[v].rss, s[v].n);
		printf("%-28s %-6s %12.2f %14.0f\n", "startup", vmm_name[v], wall[v] * 1e3, rss[v]);
	}
	if (s[VFVM].n && s[QEMU].n)
		printf("%-28s %-6s %12.2f %14.2f\n", "ratio vfvm/qemu", "",
		       wall[VFVM] / wall[QEMU], rss[VFVM] / rss[QEMU]);
}

/* (2) one exit's cost: (median T(N) - median T(0)) / N, the VMMs alternating. */
static void bench_exits(const struct opts *o, const char *kind)
{
	static struct series s0[NVMM], sn[NVMM];
	char g0[4096], gn[4096];
	double us[NVMM] = { 0 }, cpu_us[NVMM] = { 0 };

	memset(s0, 0, sizeof(s0));
	memset(sn, 0, sizeof(sn));
	guest_path(o, g0, sizeof(g0), kind, 0);
	guest_path(o, gn, sizeof(gn), kind, o->n);
	for (unsigned i = 0; i < o->reps; i++)
		for (int v = 0; v < NVMM; v++) {
			sample(o, v, g0, &s0[v]);
			sample(o, v, gn, &sn[v]);
		}
	printf("\n(2) %s exit from CPL3, N=%lu (%u runs each, medians)\n", kind, o->n, o->reps);
	printf("%-28s %-6s %12s %12s %12s %12s\n", "", "vmm", "T(0) ms", "T(N) ms", "us/exit",
	       "cpu us/exit");
	for (int v = 0; v < NVMM; v++) {
		double t0, tn, c0, cn;

		if (!s0[v].n || !sn[v].n) {
			print_unavailable(kind, v, s0[v].n ? &sn[v] : &s0[v]);
			continue;
		}
		t0 = median(s0[v].wall, s0[v].n);
		tn = median(sn[v].wall, sn[v].n);
		c0 = median(s0[v].cpu, s0[v].n);
		cn = median(sn[v].cpu, sn[v].n);
		us[v] = o->n ? (tn - t0) / o->n * 1e6 : 0;
		cpu_us[v] = o->n ? (cn - c0) / o->n * 1e6 : 0;
		printf("%-28s %-6s %12.2f %12.2f %12.2f %12.2f\n", kind, vmm_name[v], t0 * 1e3,
		       tn * 1e3, us[v], cpu_us[v]);
	}
	if (s0[VFVM].n && sn[VFVM].n && s0[QEMU].n && sn[QEMU].n && us[QEMU] > 0)
		printf("%-28s %-6s %12s %12s %12.2f %12.2f\n", "ratio vfvm/qemu", "", "", "",
		       us[VFVM] / us[QEMU], cpu_us[QEMU] > 0 ? cpu_us[VFVM] / cpu_us[QEMU] : 0);
}

static void usage(void)
{
	fprintf(stderr, "usage: bench [-n N] [-r REPS] [-v VFVM] [-q QEMU] -g GUESTDIR\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct opts o = { .n = 20000, .reps = 5, .vfvm = "build/vfvm",
			  .qemu = "qemu-system-x86_64", .guests = NULL };
	int c;

	while ((c = getopt(argc, argv, "n:r:v:q:g:")) != -1) {
		switch (c) {
		case 'n': o.n = strtoul(optarg, NULL, 0); break;
		case 'r': o.reps = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'v': o.vfvm = optarg; break;
		case 'q': o.qemu = optarg; break;
		case 'g': o.guests = optarg; break;
		default: usage();
		}
	}
	if (!o.guests || o.reps < 1 || o.reps > MAX_REPS || o.n > 0x7fffffff)
		usage();
	/* QEMU exits with status 1 when -kernel is missing, which is also the debug-exit
	 * status of a good run: check the guests first. */
	for (unsigned i = 0; i < 5; i++) {
		static const char *const kinds[] = { "exit", "pio", "pio", "mmio", "mmio" };
		char g[4096];

		guest_path(&o, g, sizeof(g), kinds[i], i % 2 ? 0 : o.n);
		if (access(g, R_OK)) {
			fprintf(stderr, "bench: %s missing; build it with 'make bench-guests "
				"BENCH_N=%lu'\n", g, o.n);
			return 2;
		}
	}
	printf("vfvm: %s%s\nqemu: %s -accel kvm -M microvm\n", o.vfvm,
	       access(o.vfvm, X_OK) ? " (missing: its rows are n/a)" : "", o.qemu);
	bench_startup(&o);
	bench_exits(&o, "pio");
	bench_exits(&o, "mmio");
	return 0;
}
