# 93-bench-smp.sh - scenario `bench-smp` (not in a bare `make lab-check`; `make bench-smp` runs it):
# the multi-vCPU exit benchmark. bench/guest/smp_exits.c under vfvm with --cpus 1, 2 and 4, each
# vCPU hammering a different emulated device (RTC, PCI config, PIT, the test device's MMIO BAR);
# exits per second per vCPU and in total, from the guest's TSC windows calibrated against the
# PIT; then the same vCPU counts all on the RTC (same=1), the control for what one lock costs.
# Numbers only, never pass/fail on speed: it fails only when a run does not complete. Every
# result line starts with "T|" for bench/bench.mk. Lab times are TCG times (bench/README.md).
lab_timeout=600
lab_default=no
lab_devices=""

BS_DIR=/tmp/bench-smp
BS_REPS=2			# runs of each layout (LAB_APPEND=lab.bench_smp_reps=N: N)
BS_ITERS=5000			# rounds per vCPU (2, 2, 3, 1 exits a round)

# bs_table FILE: each vCPU's exits/s in one run, from the guest's "T|smp" lines (the TSC rate
# from its PIT calibration: tsc cycles over pit_ticks of 1.193182 MHz).
bs_table() {
	awk '
	/^T\|smp cal / { hz = ($6 * 4294967296 + $7) * 1193182 / $4; next }
	/^T\|smp cpus / {
		n = $3; k = $5; e = $9
		t0 = $11 * 4294967296 + $12; t1 = $14 * 4294967296 + $15
		printf "T|  --cpus %d  vCPU %d  %-13s %8d exits  %9.0f exits/s\n", n, k, $7, e, e * hz / (t1 - t0)
	}
	' "$1"
}

# bs_total FILE: all vCPUs' exits over the window from the first start to the last end.
bs_total() {
	awk '
	/^T\|smp cal / { hz = ($6 * 4294967296 + $7) * 1193182 / $4; next }
	/^T\|smp cpus / {
		n = $3; t0 = $11 * 4294967296 + $12; t1 = $14 * 4294967296 + $15
		if (lo == "" || t0 < lo) lo = t0
		if (hi == "" || t1 > hi) hi = t1
		e += $9
	}
	END { if (e && hi > lo) printf "T|  --cpus %d  all vCPUs      %8d exits  %9.0f exits/s (first start to last end)\n", n, e, e * hz / (hi - lo) }
	' "$1"
}

# bs_wait PID RAW: vfvm's status. A run takes seconds; one still going after BS_LIMIT s is stuck:
# SIGUSR1 has vfvm dump every vCPU's registers and last exits into RAW (docs/cli.md), then it is
# stopped (status 143).
BS_LIMIT=60
bs_wait() {
	_t=0
	while kill -0 $1 2>/dev/null && [ $_t -lt $BS_LIMIT ]; do
		sleep 1
		_t=$((_t + 1))
	done
	if kill -0 $1 2>/dev/null; then
		echo "bench-smp: still running after $BS_LIMIT s: state dump (SIGUSR1), then SIGTERM" >>$2
		kill -USR1 $1
		sleep 8
		kill $1 2>/dev/null
	fi
	wait $1
}

run() {
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	[ -f /bench/smp-exits.kernel ] || { lab_fail "no /bench/smp-exits.kernel in the lab image"; return; }
	BS_REPS=$(lab_param lab.bench_smp_reps || echo $BS_REPS)
	rm -rf $BS_DIR && mkdir -p $BS_DIR
	bad=""
	echo "T|multi-vCPU exits: vfvm in the lab ($(grep -c ^processor /proc/cpuinfo) lab CPUs, TCG), $BS_ITERS rounds per vCPU, $BS_REPS runs each"
	echo "T|vCPU 0: RTC 0x70/0x71; 1: PCI config 0xCF8/0xCFC; 2: PIT latch+read; 3: testdev MMIO BAR read"
	# A heartbeat on the console (not a T| line): if it stops too, the whole lab is stuck, not vfvm.
	(while sleep 10; do echo "bench-smp: alive, lab uptime $(cut -d' ' -f1 /proc/uptime)"; done) &
	hb=$!
	for r in $(seq 1 $BS_REPS); do
		for c in 1:0 2:0 4:0 2:1 4:1; do
			n=${c%:*} same=${c#*:}
			f=$BS_DIR/run-$n-$same-$r
			echo "bench-smp: run $r --cpus $n same=$same"
			"$VFVM" run --kernel /bench/smp-exits.kernel --memory 32M --cpus $n \
				--device testdev --debug-exit --serial stdio --stats \
				--cmdline "cpus=$n iters=$BS_ITERS same=$same" </dev/null >$f.raw 2>&1 &
			bs_wait $! $f.raw
			st=$?
			tr -d '\r' <$f.raw >$f
			if [ $st != 1 ] || grep -q '^FAIL' $f; then
				bad="$bad cpus=$n,same=$same/run$r(status $st)"
				# The whole output: the guest's lines and vfvm's (a triple fault
				# dumps every vCPU), the evidence of a run that did not complete.
				echo "T|run $r, --cpus $n, same=$same did not complete (status $st):"
				head -200 $f
				continue
			fi
			echo "T|run $r, --cpus $n$([ $same = 1 ] && echo ', all on the RTC (same=1)'):"
			bs_table $f
			bs_total $f
		done
	done
	kill $hb
	[ -z "$bad" ] || lab_fail "runs that did not complete:$bad"
}
