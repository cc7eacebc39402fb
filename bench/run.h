/* run.h - what the benchmark drivers (bench.c, pcibench.c) share: running a VMM once and
 * measuring it, and the median of a series. */
#ifndef VFVM_BENCH_RUN_H
#define VFVM_BENCH_RUN_H

#include <stddef.h>

#define RUN_TIMEOUT_S	300

struct run {
	double wall_s;
	double cpu_s;		/* user + system time of the VMM process */
	long maxrss_kb;
	int status;		/* exit status, or 128+signal */
};

/*
 * Run @argv with stdin and stdout on /dev/null; wall time from fork to reaped exit, CPU time
 * and peak RSS from wait4. stderr goes to /dev/null, or with @err into @err (NUL-terminated,
 * at most @errlen - 1 bytes). A run still going after RUN_TIMEOUT_S is killed. 0 or -errno.
 */
int run_cmd(char *const argv[], char *err, size_t errlen, struct run *r);
double median(double *v, unsigned n);

#endif
