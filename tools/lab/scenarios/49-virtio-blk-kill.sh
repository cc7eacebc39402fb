# 49-virtio-blk-kill.sh - scenario `virtio-blk-kill`: what the guest saw acknowledged survives a
# SIGKILL of vfvm. The Debian guest writes numbered 4 KiB blocks to /dev/vda, each with
# `dd conv=fsync` (the write, then a virtio FLUSH), and prints "vt: acked N" after each; the lab
# kills vfvm with SIGKILL mid-loop and then every acknowledged block must be on the image with its
# number. Meanwhile a second vfvm on the same image is refused (its OFD lock, exit 2), and after
# the kill a new vfvm may take it (the lock died with the process). docs/virtio.md.
lab_timeout=180
lab_devices=""

VL_LOG=/tmp/virtio-blk-kill.log
IMG=/tmp/vblk-kill.img

[ -f /lab/scenarios/vfio-linux.lib ] && . /lab/scenarios/vfio-linux.lib

# Waits up to $2 s for a line matching $1 in $VL_LOG.
kill_wait() {
	_n=0
	while ! grep -q "$1" $VL_LOG 2>/dev/null; do
		_n=$((_n + 1))
		[ $_n -gt $(($2 * 5)) ] && return 1
		sleep 0.2
	done
}

run() {
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	cat >/tmp/kill-check.sh <<'EOS'
[ -b /dev/vda ] || { echo "vt: FAIL vda: no /dev/vda"; exit; }
i=0
while [ $i -lt 100000 ]; do
	printf 'vfvm-seq-%08d\n' $i | dd of=/dev/vda bs=4096 seek=$i conv=sync,fsync 2>/dev/null ||
		{ echo "vt: FAIL write $i"; exit; }
	echo "vt: acked $i"
	i=$((i + 1))
done
EOS
	why=$(vl_initrd /tmp/kill.cpio /tmp/kill-check.sh virtio_ring virtio virtio_pci_modern_dev \
		virtio_pci_legacy_dev virtio_pci virtio_blk) || { lab_fail "$why"; return; }
	rm -f $IMG && truncate -s 512M $IMG
	# vfvm's own pid, for the kill: a wrapper that execs it.
	printf '#!/bin/sh\necho $$ >/tmp/vfvm-kill.pid\nexec %s "$@"\n' "$VFVM" >/tmp/vfvm-pid
	chmod 755 /tmp/vfvm-pid
	rm -f /tmp/vfvm-kill.pid $VL_LOG
	VFVM=/tmp/vfvm-pid lab_run_linux /tmp/kill.cpio --disk $IMG </dev/null 2>&1 | tr -d '\r' >$VL_LOG &
	kill_wait '^vt: acked 20$' 90 || { lab_fail "the guest did not ack 20 writes; $(grep -E '^vt: FAIL' $VL_LOG | head -n 1)"; return; }
	pid=$(cat /tmp/vfvm-kill.pid)
	# The image is locked while that vfvm runs: a second one is refused.
	"$VFVM" run --kernel "$(lab_guest_kernel)" --disk $IMG >/tmp/second.out 2>&1 </dev/null
	st2=$?
	kill_wait '^vt: acked 60$' 90
	kill -9 "$pid"
	wait
	last=$(sed -n 's/^vt: acked \([0-9]*\)$/\1/p' $VL_LOG | tail -n 1)
	echo "vfvm $pid killed by SIGKILL after ack $last"
	echo "second vfvm meanwhile: status $st2: $(head -n 1 /tmp/second.out)"
	[ "$st2" = 2 ] && grep -q "is in use" /tmp/second.out || { lab_fail "a second vfvm on the image was not refused: status $st2"; return; }
	bad=""
	i=0
	while [ $i -le "${last:--1}" ]; do
		want=$(printf 'vfvm-seq-%08d' $i)
		got=$(dd if=$IMG bs=4096 skip=$i count=1 2>/dev/null | head -c 17)
		[ "$got" = "$want" ] || bad="$bad $i"
		i=$((i + 1))
	done
	[ -n "$last" ] && [ "$last" -ge 20 ] || { lab_fail "only '$last' writes acknowledged"; return; }
	[ -z "$bad" ] || { lab_fail "acknowledged blocks missing from the image:$bad"; return; }
	echo "all $((last + 1)) acknowledged blocks on the image"
	# The lock went with the killed process: the image can be opened again (exit 1 here is the
	# guest kernel panicking without a root file system; what matters is that the disk opened).
	"$VFVM" run --kernel "$(lab_guest_kernel)" --memory 64M --disk $IMG --cmdline panic=-1 \
		--watchdog 5 >/tmp/third.out 2>&1 </dev/null &
	t=$!
	sleep 3
	kill $t 2>/dev/null
	wait $t 2>/dev/null
	grep -q "is in use" /tmp/third.out && lab_fail "the lock outlived the killed vfvm: $(head -n 1 /tmp/third.out)"
	return 0
}
