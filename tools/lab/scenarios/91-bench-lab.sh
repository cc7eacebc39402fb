# 91-bench-lab.sh - scenario `bench-lab` (not in a bare `make lab-check`; `make bench-lab` runs
# it): vfvm against QEMU (`qemu-system-x86_64 -accel kvm`) inside the lab, paired and alternating,
# with the lab's KVM counters (debugfs) for both. Rows: start to exit of the bench `exit` guest;
# cost per PIO and per MMIO exit (bench/guest, N exits at CPL3); the Debian guest's boot to /init;
# an NVMe passthrough I/O loop (exits per I/O, interrupts by path, guest-visible IOPS).
# Times are TCG times: meaningful only as ratios within one run (bench/README.md). Every result
# line starts with "T|" for bench/bench.mk.
lab_timeout=480
lab_default=no
lab_devices=""

BL_DIR=/tmp/bench-lab
BL_REPS=3			# runs of each tiny guest per VMM
BL_N=5000			# exits per PIO/MMIO guest (LAB_BENCH_N in tools/lab/guest/guest.mk)
BL_IO=512			# reads and as many writes, 4 KiB O_DIRECT, per Linux boot
BL_BDF=0000:00:05.0
BL_KVM=/sys/kernel/debug/kvm
BL_MODULES="crct10dif_common crc-t10dif crc64 crc64-rocksoft t10-pi nvme-core nvme"

[ -f /lab/scenarios/vfio-linux.lib ] && . /lab/scenarios/vfio-linux.lib

# bl_kvm: KVM's exit counters summed over live VMs (one at a time here): "exits io mmio".
bl_kvm() {
	echo "$(cat $BL_KVM/exits) $(cat $BL_KVM/io_exits) $(cat $BL_KVM/mmio_exits)"
}

# bl_tiny VMM GUEST OUT: one run of a bench guest; appends "wall cpu rss status".
bl_tiny() {
	if [ $1 = vfvm ]; then
		/bench/labtime $BL_DIR/t "$VFVM" run --kernel "$2" --memory 128M --serial none \
			--debug-exit </dev/null >/dev/null 2>&1
	else
		/bench/labtime $BL_DIR/t qemu-system-x86_64 -accel kvm -cpu host -M microvm \
			-nodefaults -no-user-config -display none -m 128M \
			-device isa-debug-exit,iobase=0xf4,iosize=4 -kernel "$2" </dev/null >/dev/null 2>&1
	fi
	cat $BL_DIR/t >>"$3"
}

# bl_med FILE COLUMN: the median of COLUMN over the runs that ended with status 1.
bl_med() {
	awk -v c=$2 '$4 == 1 { print $c }' "$1" | sort -n |
		awk '{ v[NR] = $1 } END { if (!NR) print "n/a"; else print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# bl_row NAME UNIT VFVM QEMU: one table line with the ratio vfvm/QEMU.
bl_row() {
	awk -v n="$1" -v u="$2" -v a="$3" -v b="$4" 'BEGIN {
		if (a ~ /\.[0-9][0-9][0-9]/) a = sprintf("%.2f", a)
		if (b ~ /\.[0-9][0-9][0-9]/) b = sprintf("%.2f", b)
		r = (a ~ /^[0-9.e+-]+$/ && b ~ /^[0-9.e+-]+$/ && b + 0 != 0) ? sprintf("%.2f", a / b) : "n/a"
		printf "T|%-44s %-6s %10s %10s %7s\n", n, u, a, b, r }'
}

# bl_uexits VMM GUEST: exits to the VMM (KVM_RUN returning to user space) of one untimed run,
# counted with the kvm:kvm_userspace_exit tracepoint: KVM's debugfs counters die with the VM.
BL_TR=/sys/kernel/debug/tracing
bl_uexits() {
	[ -w $BL_TR/events/kvm/kvm_userspace_exit/enable ] || { echo n/a; return; }
	echo 0 >$BL_TR/tracing_on; echo >$BL_TR/trace
	echo 4096 >$BL_TR/buffer_size_kb
	echo 1 >$BL_TR/events/kvm/kvm_userspace_exit/enable; echo 1 >$BL_TR/tracing_on
	bl_tiny $1 $2 $BL_DIR/untimed
	echo 0 >$BL_TR/tracing_on; echo 0 >$BL_TR/events/kvm/kvm_userspace_exit/enable
	grep -c kvm_userspace_exit $BL_TR/trace
}

bl_tiny_all() {
	for _r in $(seq 1 $BL_REPS); do
		# Alternate which VMM goes first, so a slow moment hits both alike.
		_order="vfvm qemu"; [ $((_r % 2)) = 0 ] && _order="qemu vfvm"
		for _g in exit pio-0 pio-$BL_N mmio-0 mmio-$BL_N; do
			for _v in $_order; do bl_tiny $_v /bench/$_g.elf $BL_DIR/$_v-$_g; done
		done
	done
}

# bl_watch LOG OUT: lab uptime when the guest's marker appears, KVM counters at "bl: mark A/B".
bl_watch() {
	while :; do
		[ -f $2.init ] || ! grep -q "^$guest_marker" $1 2>/dev/null || cut -d ' ' -f 1 /proc/uptime >$2.init
		if [ ! -f $2.A ]; then
			grep -q '^bl: mark A' $1 2>/dev/null && bl_kvm >$2.A
		elif grep -q '^bl: mark B' $1; then
			bl_kvm >$2.B
			return 0
		fi
		sleep 0.1
	done
}

bl_guest_script() {
	cat <<EOF
n=$BL_IO
EOF
	cat <<'EOF'
dmesg | sed -n 's/^\[ *\([0-9.]*\)\] Run \/init as init process.*/bl: kernel-to-init \1/p'
for i in $(seq 1 150); do [ -b /dev/nvme0n1 ] && break; sleep 0.2; done
[ -b /dev/nvme0n1 ] || { echo "bl: FAIL no /dev/nvme0n1"; exit; }
irqs() { awk '/nvme/ { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i } END { print s + 0 }' /proc/interrupts; }
echo "bl: mark A"
sleep 1
i0=$(irqs); t0=$(cut -d ' ' -f 1 /proc/uptime)
dd if=/dev/nvme0n1 of=/dev/null bs=4096 count=$n iflag=direct 2>/dev/null
dd if=/dev/zero of=/dev/nvme0n1 bs=4096 count=$n oflag=direct 2>/dev/null
t1=$(cut -d ' ' -f 1 /proc/uptime); i1=$(irqs)
echo "bl: mark B"
sleep 1
echo "bl: io $((2 * n)) $t0 $t1 $i0 $i1"
EOF
}

# bl_linux VMM: one boot of the Debian guest with the nvme passed through; "key value" lines in
# $BL_DIR/VMM.kv.
bl_linux() {
	_log=$BL_DIR/$1.log
	rm -f $BL_DIR/$1.w.*
	: >$_log
	bl_watch $_log $BL_DIR/$1.w &
	_w=$!
	_t0=$(cut -d ' ' -f 1 /proc/uptime)
	if [ $1 = vfvm ]; then
		_k=$(lab_guest_kernel)
		timeout 240 /bench/labtime $BL_DIR/$1.t "$VFVM" run --memory "$guest_mem" --kernel "$_k" \
			--initrd $BL_DIR/linux.cpio --cmdline "$guest_append" --device vfio,host=$BL_BDF \
			--stats </dev/null >$_log 2>&1
	else
		timeout 240 /bench/labtime $BL_DIR/$1.t sh -c '. /lab/machine.conf; guest_qemu "$@"' qemu \
			/guest/bzImage $BL_DIR/linux.cpio -device vfio-pci,host=$BL_BDF \
			-trace vfio_msi_interrupt -trace vfio_intx_interrupt -D $BL_DIR/qemu.trace \
			</dev/null >$_log 2>&1
	fi
	kill $_w 2>/dev/null; wait $_w 2>/dev/null
	tr -d '\r' <$_log >$_log.txt
	{
		echo "wall $(cut -d ' ' -f 1 $BL_DIR/$1.t 2>/dev/null)"
		[ -f $BL_DIR/$1.w.init ] && echo "to-init $(awk -v a=$_t0 '{ print $1 - a }' $BL_DIR/$1.w.init)"
		sed -n 's/^bl: kernel-to-init /kernel-to-init /p' $_log.txt
		sed -n 's/^bl: io \(.*\)/\1/p' $_log.txt | awk '{ print "ios " $1; print "iotime " $3 - $2; print "guest-irqs " $5 - $4 }'
		[ -s $BL_DIR/$1.w.A ] && [ -s $BL_DIR/$1.w.B ] && echo $(cat $BL_DIR/$1.w.A $BL_DIR/$1.w.B) |
			awk '{ print "kvm-exits " $4 - $1; print "kvm-io " $5 - $2; print "kvm-mmio " $6 - $3 }'
		if [ $1 = vfvm ]; then
			sed -n 's/^vfvm: vfio: .* \([0-9]*\) interrupts needed a vfvm thread.*/user-irqs \1/p' $_log.txt
		else
			echo "user-irqs $(grep -c 'vfio_msi_interrupt\|vfio_intx_interrupt' $BL_DIR/qemu.trace 2>/dev/null)"
		fi
	} >$BL_DIR/$1.kv
	echo "$1: Linux boot with nvme, $(tr '\n' ' ' <$BL_DIR/$1.kv)"
}

bl_kv() { awk -v k=$2 '$1 == k { print $2 }' $BL_DIR/$1.kv; }

# bl_ratio_row NAME UNIT KEY: a row from the two Linux boots' KEY.
bl_kv_row() { bl_row "$1" "$2" "$(bl_kv vfvm $3)" "$(bl_kv qemu $3)"; }

# bl_per VMM NUM-KEY DEN-KEY FMT: NUM/DEN of one Linux boot, n/a when either is missing.
bl_per() {
	awk -v a="$(bl_kv $1 $2)" -v b="$(bl_kv $1 $3)" -v f="$4" \
		'BEGIN { if (a != "" && b + 0 > 0) printf f "\n", a / b; else print "n/a" }'
}

# bl_exit_cost KIND COLUMN VMM: (median T(N) - median T(0)) / N in microseconds.
bl_exit_cost() {
	awk -v a="$(bl_med $BL_DIR/$3-$1-0 $2)" -v b="$(bl_med $BL_DIR/$3-$1-$BL_N $2)" -v n=$BL_N \
		'BEGIN { if (a == "n/a" || b == "n/a") print "n/a"; else printf "%.1f\n", (b - a) * 1e6 / n }'
}

run() {
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	[ -x /bench/labtime ] || { lab_fail "no /bench/labtime in the lab image"; return; }
	[ -r $BL_KVM/exits ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null
	[ -r $BL_KVM/exits ] || { lab_fail "no $BL_KVM/exits (debugfs)"; return; }
	rm -rf $BL_DIR && mkdir -p $BL_DIR
	bl_guest_script >$BL_DIR/script.sh
	why=$(vl_initrd $BL_DIR/linux.cpio $BL_DIR/script.sh $BL_MODULES) || { lab_fail "$why"; return; }
	bl_tiny_all
	bl_linux vfvm
	bl_linux qemu
	for _v in vfvm qemu; do
		for _g in exit pio-0 pio-$BL_N mmio-0 mmio-$BL_N; do
			echo "$_v $_g (wall cpu rss status): $(tr '\n' ';' <$BL_DIR/$_v-$_g)"
		done
	done
	echo "T|vfvm vs QEMU inside the lab (TCG: times only as ratios within this run); tiny guests $BL_REPS runs each, medians"
	printf "T|%-44s %-6s %10s %10s %7s\n" "" unit vfvm qemu ratio
	bl_row "exit guest: start to exit, wall" ms "$(bl_med $BL_DIR/vfvm-exit 1 | awk '{ print $1 * 1000 }')" \
		"$(bl_med $BL_DIR/qemu-exit 1 | awk '{ print $1 * 1000 }')"
	bl_row "exit guest: peak RSS" KiB "$(bl_med $BL_DIR/vfvm-exit 3)" "$(bl_med $BL_DIR/qemu-exit 3)"
	for _k in pio mmio; do
		bl_row "$_k exit (N=$BL_N): wall per exit" us "$(bl_exit_cost $_k 1 vfvm)" "$(bl_exit_cost $_k 1 qemu)"
		bl_row "$_k exit (N=$BL_N): CPU per exit" us "$(bl_exit_cost $_k 2 vfvm)" "$(bl_exit_cost $_k 2 qemu)"
		bl_row "$_k guest N run: exits to the VMM" count "$(bl_uexits vfvm /bench/$_k-$BL_N.elf)" \
			"$(bl_uexits qemu /bench/$_k-$BL_N.elf)"
	done
	bl_kv_row "Linux+nvme: VMM start to /init, wall" s to-init
	bl_kv_row "Linux+nvme: kernel start to /init (dmesg)" s kernel-to-init
	bl_kv_row "Linux+nvme: VMM start to exit, wall" s wall
	bl_row "nvme loop ($(bl_kv vfvm ios) x 4 KiB O_DIRECT, QD1): IOPS" "1/s" \
		"$(bl_per vfvm ios iotime %.0f)" "$(bl_per qemu ios iotime %.0f)"
	bl_row "nvme loop: KVM exits per I/O (all kinds)" count \
		"$(bl_per vfvm kvm-exits ios %.2f)" "$(bl_per qemu kvm-exits ios %.2f)"
	bl_kv_row "nvme loop: KVM io exits (whole window)" count kvm-io
	bl_kv_row "nvme loop: KVM mmio exits (whole window)" count kvm-mmio
	bl_kv_row "nvme loop: guest nvme interrupts" count guest-irqs
	bl_kv_row "nvme boot: interrupts via a VMM thread" count user-irqs
	echo "T|(a VMM thread: vfvm's --stats count, QEMU's vfio_msi/intx_interrupt trace events; all other"
	echo "T| interrupts went host -> guest by irqfd. The loop's window includes 1 s of guest idle.)"
	[ "$(bl_med $BL_DIR/vfvm-exit 1)" != n/a ] && [ "$(bl_med $BL_DIR/qemu-exit 1)" != n/a ] ||
		lab_fail "a VMM did not run the exit guest (statuses vfvm: $(cut -d ' ' -f 4 $BL_DIR/vfvm-exit | tr '\n' ' ')qemu: $(cut -d ' ' -f 4 $BL_DIR/qemu-exit | tr '\n' ' '))"
}
