# 95-bench-viommu-nvme.sh - scenario `bench-viommu-nvme` (issue 12's NVMe rows): the lab's
# nvme passed through to the Debian 6.12 guest (lab_kernel=6.12) and read with O_DIRECT, in
# 4 KiB requests (one map and one unmap each behind a vIOMMU: the IOMMU's cost) and in 128 KiB
# requests (the data's), under vfvm without a vIOMMU, vfvm --viommu with iommu.strict=1 and with lazy
# invalidation (iommu.strict=0), and QEMU's virtio-iommu-pci the same three ways, in one lab
# run, the same kernel and initramfs. Numbers, never pass/fail beyond "it ran": the lab is
# nested under TCG, only ratios within one run mean anything (bench/viommu-nvme.md).
# lab.bv_n4k=N, lab.bv_n128k=N and lab.bv_passes=N (LAB_APPEND) change the request counts per
# pass (2048 and 256) and the passes (8).
lab_timeout=1500
lab_default=no
lab_devices=""
lab_kernel=6.12

BV_NVME=0000:00:05.0
BV_DIR=/tmp/bench-viommu

# vl_initrd, vl_boot, vl_qemu_boot (inside the lab; the host reads this file for lab_devices only).
[ -f /lab/scenarios/vfio-linux.lib ] && . /lab/scenarios/vfio-linux.lib

# bv_script N4K N128K PASSES: the guest's side. A warm-up pass, then each size PASSES times
# over the disk's first N requests (8 MiB and 32 MiB of the 64 MiB disk), timed from
# /proc/uptime (10 ms steps; each size takes seconds) and printed as "vt: bv: ..." lines.
bv_script() {
	cat <<EOS
n4k=$1 n128k=$2 passes=$3
EOS
	cat <<'EOS'
for i in $(seq 1 150); do [ -b /dev/nvme0n1 ] && break; sleep 0.2; done
[ -b /dev/nvme0n1 ] || { echo "vt: FAIL bench: no /dev/nvme0n1: $(dmesg | grep -i nvme | tail -n 2 | tr '\n' ' ')"; exit; }
ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
dd if=/dev/nvme0n1 of=/dev/null bs=4096 count=256 iflag=direct 2>/dev/null
for spec in 4096:$n4k 131072:$n128k; do
	bs=${spec%:*} n=${spec#*:}
	t0=$(ms)
	for p in $(seq 1 $passes); do
		dd if=/dev/nvme0n1 of=/dev/null bs=$bs count=$n iflag=direct 2>/tmp/dd.err ||
			{ echo "vt: FAIL bench: dd bs=$bs: $(cat /tmp/dd.err)"; exit; }
	done
	t1=$(ms)
	echo "$bs $((n * passes)) $t0 $t1" | awk '{ d = ($4 - $3) / 1000; if (d <= 0) d = 0.01
		printf "vt: bv: %d KiB: %d reads in %.2f s, %.0f reads/s, %.2f MB/s\n", $1 / 1024, $2, d, $2 / d, $1 * $2 / d / 1e6 }'
done
f=$(dmesg | grep -ciE 'fault from EP|nvme.*timeout')
echo "vt: bv: faults or timeouts in dmesg: $f"
[ "$f" = 0 ] && echo "vt: PASS bench: ran" || echo "vt: FAIL bench: $f faults or timeouts: $(dmesg | grep -iE 'fault from EP|nvme.*timeout' | head -n 1)"
EOS
}

# bv_run NAME VMM STRICT VIOMMU: one boot; its numbers as "bench-viommu-nvme: NAME: ..." lines, kept
# in $BV_DIR/results for the ratios.
bv_run() {
	_name=$1 _vmm=$2 _strict=$3 _viommu=$4
	VL_LOG=$BV_DIR/$_name.log
	_ga=$guest_append
	[ -z "$_strict" ] || guest_append="$guest_append iommu.strict=$_strict"
	_s=$(date +%s)
	if [ "$_vmm" = vfvm ]; then
		# shellcheck disable=SC2086
		vl_boot $BV_DIR/bench.cpio $_viommu --device vfio,host=$BV_NVME >/dev/null
	else
		# shellcheck disable=SC2086
		VL_QEMU_TIMEOUT=600 vl_qemu_boot $BV_DIR/bench.cpio $_viommu -device vfio-pci,host=$BV_NVME >/dev/null
	fi
	guest_append=$_ga
	_st=$(cat $VL_LOG.st 2>/dev/null)
	if grep -q '^vt: PASS bench:' $VL_LOG && [ "$_st" = 0 ]; then
		grep '^vt: bv: [0-9]* KiB' $VL_LOG | sed "s/^vt: bv:/bench-viommu-nvme: $_name:/" | tee -a $BV_DIR/results
		echo "bench-viommu-nvme: $_name: boot to exit $(($(date +%s) - _s)) s"
	else
		echo "bench-viommu-nvme: $_name: did not run (status $_st): $(grep -E '^vt: FAIL' $VL_LOG | head -n 1)$(grep . $VL_LOG | tail -n 1)"
		BV_BAD="$BV_BAD $_name"
	fi
}

# bv_ratio A B SIZE: "bench-viommu-nvme: A/B at SIZE KiB: reads/s ratio R".
bv_ratio() {
	awk -v a="$1" -v b="$2" -v k="$3" '
		$2 == a ":" && $3 == k { ra = $10 } $2 == b ":" && $3 == k { rb = $10 }
		END { if (ra && rb) printf "bench-viommu-nvme: %s / %s, %s KiB reads/s: %.2f\n", a, b, k, ra / rb }' \
		$BV_DIR/results
}

run() {
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	command -v qemu-system-x86_64 >/dev/null || { lab_fail "no qemu-system-x86_64 in the lab image"; return; }
	_k=$(lab_guest_kernel) || { lab_fail "$_k"; return; }
	rm -rf $BV_DIR && mkdir -p $BV_DIR
	: >$BV_DIR/results
	_n4=$(lab_param lab.bv_n4k || echo 2048)
	_n128=$(lab_param lab.bv_n128k || echo 256)
	_np=$(lab_param lab.bv_passes || echo 8)
	bv_script "$_n4" "$_n128" "$_np" >$BV_DIR/bench.sh
	_w=$(vl_initrd $BV_DIR/bench.cpio $BV_DIR/bench.sh virtio_iommu nvme) || { lab_fail "$_w"; return; }
	echo "guest kernel $(cat "$(lab_guest_dir)/version"); nvme $BV_NVME; $_np passes of $_n4 reads of 4 KiB, of $_n128 of 128 KiB"
	BV_BAD=""
	# Interleaved, so that a drift of the host's speed during the run hits both VMMs alike.
	bv_run vfvm-none vfvm "" ""
	bv_run qemu-none qemu "" ""
	bv_run vfvm-strict vfvm 1 --viommu
	bv_run qemu-strict qemu 1 "-device virtio-iommu-pci"
	bv_run vfvm-lazy vfvm 0 --viommu
	bv_run qemu-lazy qemu 0 "-device virtio-iommu-pci"
	for k in 4 128; do
		bv_ratio vfvm-strict vfvm-none $k
		bv_ratio vfvm-lazy vfvm-none $k
		bv_ratio vfvm-none qemu-none $k
		bv_ratio vfvm-strict qemu-strict $k
		bv_ratio vfvm-lazy qemu-lazy $k
	done
	[ -z "$BV_BAD" ] || lab_fail "did not run:$BV_BAD"
}
