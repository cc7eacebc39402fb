# 92-bench-blk.sh - scenario `bench-blk`: virtio-blk throughput, vfvm beside QEMU in the same lab
# run, the same Debian guest kernel and initramfs, the same 96 MiB raw image (cache=writeback
# both). The guest times with busybox dd and O_DIRECT (no guest page cache): 4 KiB reads at
# queue depth 1 and 32 (32 dd's at once on disjoint ranges; sequential, busybox has no random
# I/O), 1 MiB sequential reads and writes; plus the disk's interrupts, and for vfvm the trapped
# accesses to its BAR (kicks that did not go by ioeventfd). Numbers, never pass/fail: the lab
# is nested under TCG, so only ratios within one run mean anything (bench/README.md).
lab_timeout=600
lab_default=no
lab_devices=""

VL_LOG=/tmp/bench-blk.log
IMG=/tmp/bench-blk.img

[ -f /lab/scenarios/vfio-linux.lib ] && . /lab/scenarios/vfio-linux.lib

run() {
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	cat >/tmp/bb-check.sh <<'EOS'
t() { cut -d ' ' -f 1 /proc/uptime; }
irqs() { grep -i virtio /proc/interrupts | awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i } END { print s + 0 }'; }
[ -b /dev/vda ] || { echo "vt: FAIL vda: no /dev/vda"; exit; }
# bl NAME BYTES CMD...: prints "bl: NAME seconds MB/s ops/s interrupts".
bl() {
	n=$1 bytes=$2 ops=$3
	shift 3
	i0=$(irqs) t0=$(t)
	"$@"
	t1=$(t) i1=$(irqs)
	echo "$n $t0 $t1 $bytes $ops $((i1 - i0))" | awk '{ d = $3 - $2; if (d <= 0) d = 0.01;
		printf "vt: bl: %s %.2f s, %.1f MB/s, %d ops/s, %d interrupts\n", $1, d, $4 / d / 1e6, $5 / d, $6 }'
}
qd32() {
	j=0
	while [ $j -lt 32 ]; do
		dd if=/dev/vda of=/dev/null bs=4096 count=250 skip=$((j * 500)) iflag=direct 2>/dev/null &
		j=$((j + 1))
	done
	wait
}
bl seq-write-1M $((64 << 20)) 64 dd if=/dev/zero of=/dev/vda bs=1048576 count=64 oflag=direct 2>/dev/null
bl seq-read-1M $((64 << 20)) 64 dd if=/dev/vda of=/dev/null bs=1048576 count=64 iflag=direct 2>/dev/null
bl read-4k-qd1 $((4000 * 4096)) 4000 dd if=/dev/vda of=/dev/null bs=4096 count=4000 iflag=direct 2>/dev/null
bl read-4k-qd32 $((8000 * 4096)) 8000 qd32
echo "vt: PASS bench: done"
EOS
	why=$(vl_initrd /tmp/bb.cpio /tmp/bb-check.sh virtio_ring virtio virtio_pci_modern_dev \
		virtio_pci_legacy_dev virtio_pci virtio_blk) || { lab_fail "$why"; return; }
	rm -f $IMG && truncate -s 96M $IMG
	vl_boot /tmp/bb.cpio --disk $IMG
	cp $VL_LOG /tmp/bench-blk-vfvm.log
	echo "bench-blk: vfvm: trapped BAR accesses (all, set-up included): $(vl_range_hits 'virtio-blk')"
	rm -f $IMG && truncate -s 96M $IMG
	{ timeout 300 sh -c '. /lab/machine.conf; guest_qemu "$@"' qemu /guest/bzImage /tmp/bb.cpio \
		-drive file=$IMG,if=virtio,format=raw,cache=writeback </dev/null 2>&1; } | tr -d '\r' \
		>/tmp/bench-blk-qemu.log
	echo "bench-blk: results (vfvm, then QEMU, same run):"
	grep '^vt: bl:' /tmp/bench-blk-vfvm.log | sed 's/^vt: bl:/  vfvm/'
	grep '^vt: bl:' /tmp/bench-blk-qemu.log | sed 's/^vt: bl:/  qemu/'
	grep -q '^vt: PASS bench' /tmp/bench-blk-vfvm.log || lab_fail "vfvm run did not finish"
	grep -q '^vt: PASS bench' /tmp/bench-blk-qemu.log || lab_fail "QEMU run did not finish: $(tail -n 2 /tmp/bench-blk-qemu.log)"
}
