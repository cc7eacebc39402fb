# 94-bench-net.sh - scenario `bench-net`: virtio-net on a tap, vfvm (vhost=on, vhost=off) beside
# QEMU (vhost=on) in the same lab run, the same Debian guest kernel and initramfs, the same
# kind of tap (vfvmlab0, 10.0.2.1/24 on the lab side). The guest measures ping round trips to
# the lab (20 at 0.2 s) and guest-to-host throughput (32 MiB from /dev/zero through busybox nc
# into the lab's nc); for vfvm the lab also counts every vCPU exit between two state dumps
# around the traffic and divides by the guest's frames. Numbers, never pass/fail beyond "it
# ran": the lab is nested under TCG, only ratios within one
# run mean anything (bench/net.md; make bench-net).
lab_timeout=900
lab_default=no
lab_devices=""

VL_LOG=/tmp/bench-net.log
NET_IF=vfvmlab0
NET_MAC=52:54:00:12:34:56

[ -f /lab/scenarios/vfio-linux.lib ] && . /lab/scenarios/vfio-linux.lib

bn_script() {
	cat <<'EOS'
ifc=""
for n in /sys/class/net/*; do
	[ "$(basename $n)" = lo ] || ifc=$(basename $n)
done
[ -n "$ifc" ] || { echo "vt: FAIL netdev: none"; exit; }
ip link set $ifc up && ip addr add 10.0.2.15/24 dev $ifc
for i in 1 2 3 4 5 6 7 8 9 10; do
	[ "$(cat /sys/class/net/$ifc/operstate 2>/dev/null)" = up ] && break
	sleep 1
done
echo "vt: READY"
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	ping -c 1 -W 1 10.0.2.1 >/dev/null 2>&1 && break
done
frames() { grep "$ifc:" /proc/net/dev | sed 's/.*://' | awk '{ print $2 + $10 }'; }
t() { cut -d ' ' -f 1 /proc/uptime; }
echo "vt: go"
sleep 2
f0=$(frames)
ping -c 20 -i 0.2 10.0.2.1 >/tmp/p 2>&1
t0=$(t)
dd if=/dev/zero bs=65536 count=512 2>/dev/null | timeout 300 nc 10.0.2.1 5001 >/dev/null
t1=$(t)
f1=$(frames)
echo "vt: traffic-done"
echo "vt: bn: rtt $(sed -n 's/.*= \([0-9.]*\)\/\([0-9.]*\)\/\([0-9.]*\) ms/min \1 avg \2 max \3 ms/p' /tmp/p), $(sed -n 's/.* \([0-9]*\) packets received.*/\1/p' /tmp/p) of 20 replies"
echo "$t0 $t1" | awk '{ d = $2 - $1; if (d <= 0) d = 0.01; printf "vt: bn: guest-to-host 32 MiB in %.2f s, %.1f MB/s\n", d, 33554432 / d / 1e6 }'
echo "vt: bn: frames $((f1 - f0))"
sleep 3
echo "vt: PASS bench: done"
EOS
}

# bn_lab_side: the tap up, the receiver, the dumps around the traffic (vfvm only: @1 = pid
# name to signal, empty for QEMU).
bn_lab_side() {
	vl_tap_up $NET_IF 10.0.2.1 || echo "lab: no $NET_IF"
	rm -f /tmp/bn-hold && mkfifo /tmp/bn-hold
	nc -l -p 5001 </tmp/bn-hold >/dev/null &
	_nc=$!
	exec 3>/tmp/bn-hold
	vl_wait_log '^vt: go' 200 && [ -n "$1" ] && kill -USR1 $(pidof $1) 2>/dev/null
	vl_wait_log '^vt: traffic-done' 400 && [ -n "$1" ] && kill -USR1 $(pidof $1) 2>/dev/null
	vl_wait_log '^never$' 60
	[ -f $VL_LOG.st ] || { echo "lab: still running; ending it"; kill $(pidof ${1:-qemu-system-x86_64}) 2>/dev/null; sleep 2; }
	exec 3>&-
	kill $_nc 2>/dev/null
	wait
}

# bn_vfvm VHOST: one vfvm run; prints its numbers as "bench-net: vfvm vhost=VHOST ...".
bn_vfvm() {
	rm -f $VL_LOG $VL_LOG.st $VL_LOG.err
	{ lab_run_linux /tmp/bn.cpio --net tap,ifname=$NET_IF,mac=$NET_MAC,vhost=$1 --stats \
		--serial file:$VL_LOG </dev/null 2>$VL_LOG.err; echo $? >$VL_LOG.st; } &
	bn_lab_side vfvm
	_fr=$(sed -n 's/^vt: bn: frames //p' $VL_LOG)
	_w=$(grep '^vfvm: vCPU [0-9]*: [0-9]* exits' $VL_LOG.err | awk '
		{ n = $4; if (seen[$3]++) b += n; else a += n }
		END { if (b) print b - a; else print "?" }')
	grep '^vt: bn:' $VL_LOG | sed "s/^vt: bn:/bench-net: vfvm vhost=$1:/"
	echo "bench-net: vfvm vhost=$1: exits in the traffic window ${_w:-?} over ${_fr:-?} frames: $(awk -v p=${_fr:-0} -v e=${_w:-x} 'BEGIN { if (p && e != "?") printf "%.4f", e / p; else print "?" }') exits per frame"
	grep -q '^vt: PASS bench' $VL_LOG || lab_fail "vfvm vhost=$1 did not finish: $(tail -n 3 $VL_LOG.err | tr '\n' ' ')"
}

# romfile=: the lab image has no iPXE ROMs (efi-virtio.rom), and a kernel boot needs none.
bn_qemu() {
	rm -f $VL_LOG $VL_LOG.st
	{ timeout 600 sh -c '. /lab/machine.conf; guest_qemu "$@"' qemu /guest/bzImage /tmp/bn.cpio \
		-netdev tap,id=n0,ifname=$NET_IF,script=no,downscript=no,vhost=on \
		-device virtio-net-pci,netdev=n0,mac=$NET_MAC,romfile= </dev/null 2>&1 | tr -d '\r' >$VL_LOG;
	  echo $? >$VL_LOG.st; } &
	bn_lab_side ""
	grep '^vt: bn:' $VL_LOG | sed 's/^vt: bn:/bench-net: qemu vhost=on:/'
	grep -q '^vt: PASS bench' $VL_LOG || lab_fail "QEMU did not finish: $(tail -n 3 $VL_LOG | tr '\n' ' ')"
}

run() {
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	why=$(vl_net_host vhost) || { lab_fail "$why"; return; }
	bn_script >/tmp/bn-check.sh
	# shellcheck disable=SC2086
	why=$(vl_initrd /tmp/bn.cpio /tmp/bn-check.sh $VL_NET_MODS) || { lab_fail "$why"; return; }
	bn_vfvm on
	bn_vfvm off
	bn_qemu
}
