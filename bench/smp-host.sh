#!/bin/sh
# smp-host.sh - the multi-vCPU exit benchmark (bench/README.md "Several vCPUs") on this host's
# /dev/kvm instead of in the lab: the lab scenario's runs (tools/lab/scenarios/93-bench-smp.sh,
# whose bs_table, bs_total and bs_wait it reuses) with --cpus 1, 2, 4, different devices and
# same=1, REPS rounds, then the median of each layout's "all vCPUs" exits/s and of each vCPU's.
# Numbers only: it fails only when a run does not complete.
# Usage: bench/smp-host.sh VFVM KERNEL [REPS [ITERS]]
set -u
VFVM=$1 KERNEL=$2 REPS=${3:-5} ITERS=${4:-20000}
. "$(dirname "$0")/../tools/lab/scenarios/93-bench-smp.sh"
DIR=$(mktemp -d /tmp/bench-smp-host.XXXXXX)
bad=""

# median FILE: the median of the numbers in FILE, one a line.
median() {
	sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

[ -c /dev/kvm ] || { echo "bench-smp-host: no /dev/kvm"; exit 1; }
echo "bench-smp-host: $REPS rounds, $ITERS rounds per vCPU, load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$REPS"); do
	for c in 1:0 2:0 4:0 2:1 4:1; do
		n=${c%:*} same=${c#*:}
		f=$DIR/run-$n-$same-$r
		"$VFVM" run --kernel "$KERNEL" --memory 32M --cpus $n --device testdev --debug-exit \
			--serial stdio --cmdline "cpus=$n iters=$ITERS same=$same" </dev/null >$f.raw 2>&1 &
		bs_wait $! $f.raw
		st=$?
		tr -d '\r' <$f.raw >$f
		if [ $st != 1 ] || grep -q '^FAIL' $f; then
			bad="$bad cpus=$n,same=$same/run$r(status $st)"
			continue
		fi
		bs_total $f | awk '{ print $8 }' >>$DIR/all-$n-$same
		bs_table $f | awk '{ print $5, $(NF - 1) }' | while read k v; do
			echo "$v" >>$DIR/cpu-$n-$same-$k
		done
	done
done
echo "bench-smp-host: done, load $(cut -d' ' -f1-3 /proc/loadavg)"
for c in 1:0 2:0 4:0 2:1 4:1; do
	n=${c%:*} same=${c#*:}
	[ -f $DIR/all-$n-$same ] || continue
	per=""
	for k in 0 1 2 3; do
		[ -f $DIR/cpu-$n-$same-$k ] && per="$per $(median $DIR/cpu-$n-$same-$k)"
	done
	printf "T|--cpus %d same=%d: all %s exits/s (median of %d; per vCPU:%s)\n" $n $same \
		"$(median $DIR/all-$n-$same)" "$(wc -l <$DIR/all-$n-$same)" "$per"
done
rm -rf "$DIR"
[ -z "$bad" ] || { echo "bench-smp-host: runs that did not complete:$bad"; exit 1; }
