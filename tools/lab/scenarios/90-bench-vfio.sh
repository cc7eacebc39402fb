# 90-bench-vfio.sh - scenario `bench-vfio` (not run by a bare `make lab-check`; `make bench-vfio`
# runs it): counts, not times, of VFIO passthrough in the lab. bench/vfio.md has method and results.
# (1) vfvm exits per NVMe I/O: the Debian guest with the lab's nvme (0000:00:05.0) passed through
#     boots twice, once doing VB_N O_DIRECT 4 KiB reads and VB_N writes, once doing none; the
#     difference of vfvm's --stats counts, divided by 2*VB_N, is what one I/O costs in exits;
#     KVM's own counters (debugfs), read when the guest prints its marks around the I/O, give
#     the VM exits that KVM handles without vfvm as well.
# (2) the guest's nvme interrupts (/proc/interrupts) across that I/O against vfvm's count of
#     interrupts that needed one of its threads: the rest went host -> guest by irqfd.
#     The same again with the guest on INTx (pci=nomsi), which vfvm must carry: the contrast.
# (3) the DMA-map time of guest RAM for several --memory sizes (meaningless under TCG; printed).
# Every result line starts with "T|" so that bench/bench.mk can pick the table out of the console.
lab_timeout=420
lab_default=no
lab_devices=""

VB_BDF=0000:00:05.0
VB_N=2048
VB_DIR=/tmp/bench-vfio
VB_MODULES="crct10dif_common crc-t10dif crc64 crc64-rocksoft t10-pi nvme-core nvme"
# Sizes tried for the DMA-map time; one within 128 MiB of the lab's MemAvailable is skipped,
# since VFIO pins every page and the lab's OOM killer would end the run.
VB_SIZES="256M 512M 1G 1536M 2G"
VB_DMA_REPS=2

# vb_guest_script: runs inside the guest: waits for /dev/nvme0n1, then does $(cat /vt/n) reads
# and as many writes, 4 KiB each with O_DIRECT (one NVMe command each, no page cache), and
# prints the nvme interrupt counts before, between and after.
vb_guest_script() {
	cat <<'EOF'
n=$(cat /vt/n)
for i in $(seq 1 150); do [ -b /dev/nvme0n1 ] && break; sleep 0.2; done
[ -b /dev/nvme0n1 ] || { echo "vb: FAIL no /dev/nvme0n1"; exit; }
irqs() { awk '/nvme/ { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i } END { print s + 0 }' /proc/interrupts; }
# The marks let the lab sample KVM's own exit counts around the I/O (vb_kvm_watch); the
# sleeps give it time to see each mark before the guest moves on.
echo "vb: mark A"
sleep 2
i0=$(irqs)
dd if=/dev/nvme0n1 of=/dev/null bs=4096 count=$n iflag=direct 2>/dev/null
i1=$(irqs)
dd if=/dev/zero of=/dev/nvme0n1 bs=4096 count=$n oflag=direct 2>/dev/null
i2=$(irqs)
echo "vb: mark B"
sleep 2
# Fixed width: the two runs must print the same number of characters, or the difference of
# UART exits (tens per character) would be counted as the I/O's.
printf 'vb: irqs %8d %8d %8d %8d\n' $n $i0 $i1 $i2
grep nvme /proc/interrupts | sed 's/^/vb: /'
EOF
}

# vb_initrd OUT N: /guest/run.cpio with a second archive appended whose /init replaces the first
# one's (the kernel unpacks concatenated newc archives in order; later files win), as in
# 43-vfio-nvme.sh; it loads the nvme modules and runs vb_guest_script with N in /vt/n.
vb_initrd() {
	_ov=$VB_DIR/overlay
	rm -rf $_ov && mkdir -p $_ov/vt
	for _m in $VB_MODULES; do
		[ -f "/guest/modules/$_m.ko" ] || { echo "no /guest/modules/$_m.ko in the lab image"; return 1; }
		cp "/guest/modules/$_m.ko" $_ov/vt/
	done
	echo "$2" >$_ov/vt/n
	vb_guest_script >$_ov/vt/bench.sh
	cat >$_ov/init <<EOF
#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
dmesg -n 1
for m in $VB_MODULES; do insmod /vt/\$m.ko || echo "vb: FAIL insmod \$m"; done
sh /vt/bench.sh
echo "vb: DONE"
reboot -f
EOF
	chmod 755 $_ov/init
	cp /guest/run.cpio "$1"
	# Each archive must start 4-byte aligned (init/initramfs.c skips zero padding between).
	_pad=$(( (4 - $(wc -c <"$1") % 4) % 4 ))
	[ $_pad = 0 ] || head -c $_pad /dev/zero >>"$1"
	(cd $_ov && find . | cpio -o -H newc 2>/dev/null) >>"$1"
}

# vb_kv LOG: the counts of one run as "KEY<tab>VALUE" lines: vfvm's exit totals, its per-range
# hits, its VFIO line, and the guest's nvme interrupts across the I/O.
vb_kv() {
	awk '
	function pairs(s, pre,   n, a, i, k, v) {
		n = split(s, a, /, /)
		for (i = 1; i <= n; i++) {
			k = a[i]; v = k
			sub(/ [0-9]+$/, "", k); sub(/.* /, "", v)
			if (v ~ /^[0-9]+$/) print pre k "\t" v
		}
	}
	/^vfvm: exits: / {
		s = $0; sub(/^vfvm: exits: /, "", s); sub(/;.*/, "", s)
		pairs(s, "exits ")
	}
	/^vfvm: (io|mmio) 0x/ { s = $0; sub(/^vfvm: /, "", s); pairs(s, "range ") }
	/^vfvm: vfio: / {
		s = $0; sub(/ interrupts needed.*/, "", s); sub(/.* /, "", s)
		print "vfio-user-irqs\t" s
	}
	/^vb: irqs / { print "guest-irqs\t" ($6 - $4); print "guest-irqs-total\t" $6 }
	' "$1"
}

# vb_boot TAG N [PARAM...]: one guest boot doing N reads and N writes, PARAMs added to the
# guest's kernel command line; its log in $VB_DIR/run-TAG.log, its counts in kv-TAG.
vb_boot() {
	_tag=$1 _n=$2
	shift 2
	_log=$VB_DIR/run-$_tag.log
	vb_initrd $VB_DIR/bench-$_n.cpio "$_n" || return 1
	_s=$(date +%s)
	rm -f $VB_DIR/kvm-$_tag.*
	vb_kvm_watch $_log.raw $VB_DIR/kvm-$_tag &
	_w=$!
	# guest_vfvm (machine.conf) reads guest_append; the subshell keeps the change to this run.
	# Straight into a file (no pipe that buffers), so that vb_kvm_watch sees the marks at once.
	(guest_append="$guest_append $*"
	 lab_run_linux $VB_DIR/bench-$_n.cpio --device vfio,host=$VB_BDF --stats \
		</dev/null >$_log.raw 2>&1)
	echo "vfvm status $?" >>$_log.raw
	kill $_w 2>/dev/null
	wait $_w 2>/dev/null
	tr -d '\r' <$_log.raw >"$_log"
	echo "guest run $_tag (N=$_n${*:+, guest $*}): $(($(date +%s) - _s)) s, $(tail -n 1 "$_log")"
	grep -E '^(vfvm|vb):' "$_log" | sed 's/^/    /'
	grep -q '^vb: irqs ' "$_log" && grep -q '^vfvm: exits:' "$_log" ||
		{ echo "no counts from run $_tag: $(grep . "$_log" | tail -n 1)"; return 1; }
	vb_kv "$_log" >$VB_DIR/kv-$_tag
	[ -s $VB_DIR/kvm-$_tag.A ] && [ -s $VB_DIR/kvm-$_tag.B ] &&
		awk -F '\t' 'FNR == NR { a[$1] = $2; next } { print $1 "\t" ($2 - a[$1]) }' \
			$VB_DIR/kvm-$_tag.A $VB_DIR/kvm-$_tag.B >>$VB_DIR/kv-$_tag
	return 0
}

# vb_kvm_stats: KVM's own exit counters, summed over the live VMs (only vfvm's runs here):
# every VM exit, whether KVM handles it in the kernel or returns to vfvm.
VB_KVM=/sys/kernel/debug/kvm
vb_kvm_stats() {
	for _f in exits halt_exits irq_exits irq_window_exits io_exits mmio_exits irq_injections; do
		[ -r $VB_KVM/$_f ] && printf 'kvm %s\t%s\n' $_f "$(cat $VB_KVM/$_f)"
	done
}

# vb_kvm_watch LOG OUT: samples vb_kvm_stats into OUT.A when the guest prints "vb: mark A" to
# LOG (before its I/O) and into OUT.B at "vb: mark B" (after).
vb_kvm_watch() {
	[ -r $VB_KVM/exits ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null
	[ -r $VB_KVM/exits ] || return 0
	while :; do
		if [ ! -f $2.A ]; then
			grep -q '^vb: mark A' $1 2>/dev/null && vb_kvm_stats >$2.A
		elif grep -q '^vb: mark B' $1; then
			vb_kvm_stats >$2.B
			return 0
		fi
		sleep 0.2
	done
}

# vb_table BASE RUN N TITLE: the exits table and the interrupt lines from $VB_DIR/kv-BASE (no
# I/O) and kv-RUN (N reads and N writes).
vb_table() {
	awk -F '\t' -v n="$3" -v title="$4" '
	function seen(x) { if (!(x in k)) { k[x] = 1; ord[++no] = x } }
	FNR == NR { b[$1] = $2; seen($1); next }
	{ r[$1] = $2; seen($1) }
	function row(name, x, y) {
		printf "T|%-44s %9d %9d %9d %8.3f\n", name, x, y, y - x, (y - x) / (2 * n)
	}
	END {
		ios = 2 * n
		printf "T|%s: vfvm exits per NVMe I/O, %d reads + %d writes of 4 KiB, O_DIRECT (%d I/Os)\n",
			title, n, n, ios
		printf "T|%-44s %9s %9s %9s %8s\n", "vfvm exits", "no I/O", "I/O run", "diff", "per I/O"
		for (x in k) if (x ~ /^exits /) { tb += b[x]; tr += r[x] }
		row("total (all kinds)", tb, tr)
		# The console output of the guest is interrupt-driven: how many characters each THRE
		# interrupt finds queued depends on timing, so the count of COM1 wobbles by up to ~150 per boot.
		c = "range io 0x3f8+0x8 COM1"
		row("total without COM1 (console; timing noise)", tb - b[c], tr - r[c])
		split("io mmio hlt irq-window eoi other", kinds, " ")
		for (i = 1; i <= 6; i++) row("  " kinds[i], b["exits " kinds[i]], r["exits " kinds[i]])
		for (x in k) if (x ~ /^range / && x ~ /vfio/) { nb += b[x]; nr += r[x] }
		row("nvme BAR ranges (vfio " bdf ")", nb, nr)
		printf "T|%-44s\n", "by range (ranges with hits in either run):"
		for (i = 1; i <= no; i++) if (ord[i] ~ /^range /) {
			y = ord[i]; sub(/^range /, "", y); row("  " y, b[ord[i]], r[ord[i]])
		}
		printf "T|%-44s\n", "KVM exit counts between the marks (in-kernel and to vfvm):"
		for (i = 1; i <= no; i++) if (ord[i] ~ /^kvm /) {
			y = ord[i]; sub(/^kvm /, "", y); row("  " y, b[ord[i]], r[ord[i]]); nk++
		}
		if (!nk) printf "T|  n/a (no /sys/kernel/debug/kvm, or a mark was missed)\n"
		gi = r["guest-irqs"] - b["guest-irqs"]; ui = r["vfio-user-irqs"] - b["vfio-user-irqs"]
		printf "T|\n"
		printf "T|interrupts: guest nvme (/proc/interrupts) across the I/O: %d (no-I/O run: %d);" \
			" since boot: %d (no-I/O run: %d)\n", r["guest-irqs"], b["guest-irqs"],
			r["guest-irqs-total"], b["guest-irqs-total"]
		printf "T|interrupts that needed a vfvm thread: %d in the I/O run, %d without, diff %d\n",
			r["vfio-user-irqs"], b["vfio-user-irqs"], ui
		if (gi > 0)
			printf "T|share of the I/O interrupts that went host -> guest by irqfd without vfvm: %.1f %%\n",
				100 * (gi - ui) / gi
		printf "T|\n"
	}' bdf=$VB_BDF $VB_DIR/kv-$1 $VB_DIR/kv-$2
}

# vb_dma: the DMA-map time for each of VB_SIZES that fits, with the core `exit` test guest
# (vfvm maps all guest RAM before the guest runs; the guest leaves at once through
# isa-debug-exit, so vfvm's status is 1 = (0 << 1) | 1).
vb_dma() {
	_g=$(lab_test_guest exit) || { echo "T|DMA map: $_g"; return 1; }
	_avail=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
	echo "T|DMA-map of guest RAM (VFIO_IOMMU_MAP_DMA; TCG time, not a host's); lab MemAvailable $_avail MiB"
	printf "T|%-12s %12s %12s  %s\n" "--memory" "ms" "ms/GiB" "vfvm status"
	for _m in $VB_SIZES; do
		_mib=$(echo $_m | awk '/G$/ { print $0 * 1024; next } { print $0 + 0 }')
		if [ $((_mib + 128)) -ge "$_avail" ]; then
			printf "T|%-12s %12s %12s  %s\n" "$_m" - - "skipped: not 128 MiB below the lab's MemAvailable"
			continue
		fi
		_row=""
		for _r in $(seq 1 $VB_DMA_REPS); do
			timeout 120 "$VFVM" run --kernel "$_g" --memory "$_m" --device vfio,host=$VB_BDF \
				--debug-exit --stats </dev/null >$VB_DIR/dma.log 2>&1
			_st=$?
			_ms=$(sed -n 's/^vfvm: vfio: .* in \([0-9.]*\) ms (.*/\1/p' $VB_DIR/dma.log)
			[ -n "$_ms" ] || { _row="$_row status $_st: $(grep . $VB_DIR/dma.log | tail -n 1);"; continue; }
			printf "T|%-12s %12s %12s  %s\n" "$_m" "$_ms" \
				"$(awk -v ms=$_ms -v mib=$_mib 'BEGIN { printf "%.1f", ms * 1024 / mib }')" "$_st"
		done
		[ -z "$_row" ] || printf "T|%-12s %12s %12s %s\n" "$_m" - - "$_row"
	done
}

run() {
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	rm -rf $VB_DIR && mkdir -p $VB_DIR
	vb_boot msi0 0 || { lab_fail "the run without I/O gave no counts"; return; }
	vb_boot msi $VB_N || { lab_fail "the run with $VB_N reads and writes gave no counts"; return; }
	vb_table msi0 msi $VB_N "MSI-X (the guest's default)"
	# The contrast: INTx, which vfvm has to carry (docs/passthrough.md section 6), shows that the
	# counts above are zero because MSI-X bypasses vfvm, not because nothing is counted.
	vb_boot intx0 0 pci=nomsi || { lab_fail "the INTx run without I/O gave no counts"; return; }
	vb_boot intx $VB_N pci=nomsi || { lab_fail "the INTx run with I/O gave no counts"; return; }
	vb_table intx0 intx $VB_N "INTx (guest pci=nomsi)"
	vb_dma
}
