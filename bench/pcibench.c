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
#include "run.h"

#define MAX_REPS	101

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

/* A run's exit counts from vfvm's --stats, -1 if not parsed. */
struct exits {
	long io, mmio;
};

/* run_vmm: one run of @guest under vfvm, or QEMU if @qemu; with @x (vfvm only) also its
 * --stats exit counts (reading stderr costs time, so measured runs go without). */
static int run_vmm(const struct opts *o, int qemu, const char *guest, struct exits *x,
		   struct run *r)
{
	char *vfvm_argv[] = { (char *)o->vfvm, "run", "--kernel", (char *)guest, "--memory", "128M",
			      "--serial", "none", "--debug-exit", "--device", "testdev",
			      x ? "--stats" : NULL, NULL };
	/* qboot instead of SeaBIOS: SeaBIOS takes ~20 s here (ring 0 is emulated). */
	char *qemu_argv[] = { (char *)o->qemu, "-accel", "kvm", "-cpu", "host,-arch-capabilities",
			      "-M", "pc", "-bios", "qboot.rom", "-nodefaults", "-no-user-config",
			      "-nographic", "-m", "128M", "-device",
			      "isa-debug-exit,iobase=0xf4,iosize=4", "-device", "edu,addr=03.0",
			      "-kernel", (char *)guest, NULL };
	char buf[4096];
	const char *p;
	int ret;

	if (qemu)
		return run_cmd(qemu_argv, NULL, 0, r);
	ret = run_cmd(vfvm_argv, x ? buf : NULL, sizeof(buf), r);
	if (ret || !x)
		return ret;
	x->io = x->mmio = -1;
	p = strstr(buf, "vfvm: exits: io ");
	if (p)
		sscanf(p, "vfvm: exits: io %ld, mmio %ld", &x->io, &x->mmio);
	return 0;
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
		if (run_vmm(o, qemu, g0, NULL, &r) || r.status != 1)
			return -1;
		w0[i] = r.wall_s;
		c0[i] = r.cpu_s;
		if (run_vmm(o, qemu, gn, NULL, &r) || r.status != 1)
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
	struct run s0 = { 0 }, sn = { 0 };
	struct exits x0, xn;

	snprintf(g0, sizeof(g0), "%s/pci%d-0.elf", o->dir, p->mode);
	snprintf(gn, sizeof(gn), "%s/pci%d-%lu.elf", o->dir, p->mode, o->n);
	if (run_vmm(o, 0, g0, &x0, &s0) || run_vmm(o, 0, gn, &xn, &sn) ||
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
	       (double)(xn.io - x0.io) / o->n, (double)(xn.mmio - x0.mmio) / o->n, w, c, q);
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
	printf("N=%lu accesses per run, %u runs of T(0) and T(N) each, medians; µs per access\n\n",
	       o.n, o.reps);
	printf("| Path | vfvm exits per access (io / mmio) | vfvm wall | vfvm CPU | QEMU wall | QEMU CPU |\n");
	printf("|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		bench_path(&o, &paths[i]);
	return 0;
}
