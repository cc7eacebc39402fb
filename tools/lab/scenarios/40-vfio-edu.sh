# 40-vfio-edu.sh - scenario `vfio-edu`: vfvm passes QEMU's edu device (0000:00:03.0) through to
# the vfio_edu test guest (tests/guest/vfio_edu.c): registers, factorial, MSI, DMA through the
# IOMMU all pass; and BAR0 is mapped into the guest, so 10000 BAR0 reads add no MMIO exit
# (vfvm --stats with bar_reads=10000 against bar_reads=0); addr=9 puts it in slot 9.
# A third run with --trace /tmp/edu.trace (docs/trace.md): every line is one JSON object, guest
# RAM is DMA-mapped for the device (vfio dma-map from IOVA 0) before the guest's first config
# write, and its config writes come before the BAR mapping and the MSI enable they lead to.
# See docs/passthrough-tests.md.
lab_timeout=120
lab_devices=""

EDU=0000:00:03.0
# Largest tolerated difference in MMIO exits between the two runs: ~0 if BAR0 is mapped, at
# least 10000 if every read traps.
EDU_EXIT_SLACK=20

# edu_run N LOG: runs the guest with bar_reads=N, output (console and --stats) into LOG,
# vfvm's exit status into LOG.st.
edu_run() {
	_s=$(date +%s)
	{ "$VFVM" run --kernel /guests/vfio_edu.kernel --memory 64M --device vfio,host=$EDU,addr=9 \
		--debug-exit --stats --cmdline "bar_reads=$1" $EDU_EXTRA </dev/null 2>&1
		echo $? >"$2.st"; } |
		tr -d '\r' >"$2"
	sed 's/^/    /' "$2"
	echo "vfio-edu: bar_reads=$1: vfvm status $(cat "$2.st") after $(($(date +%s) - _s)) s"
}

# edu_judge LOG: prints why the guest failed, if it did. It passes with a DONE line, no FAIL
# line, and isa-debug-exit value 0, which vfvm --debug-exit turns into status (0 << 1) | 1 = 1.
edu_judge() {
	if grep -q '^FAIL' "$1"; then
		grep '^FAIL' "$1" | head -n 3 | tr '\n' ' '
	elif ! grep -q '^DONE' "$1"; then
		echo "no DONE line; vfvm status $(cat "$1.st"); last line: $(grep . "$1" | tail -n 1)"
	elif [ "$(cat "$1.st")" != 1 ]; then
		echo "vfvm status $(cat "$1.st"), want 1"
	fi
}

# edu_trace FILE: prints why the trace is wrong, if it is.
edu_trace() {
	[ -s "$1" ] || { echo "no trace written"; return; }
	bad=$(awk '!/^\{"t":[0-9]+,"dev":"0000:00:[0-9a-f][0-9a-f]\.[0-7]"(,"host":"0000:00:03\.0")?,"kind":"(cfg|msi|intx|reset|vfio|bar)"(,"[a-z_]+":("[^"\\]*"|-?[0-9]+|true|false))*\}$/ { n++; if (!l) l = $0 } END { if (n) print n " bad lines, first: " l }' "$1")
	[ -z "$bad" ] || { echo "$bad"; return; }
	cw=$(grep -n '"kind":"cfg","op":"write"' "$1" | head -n 1 | cut -d: -f1)
	bw=$(grep -n '"kind":"cfg","op":"write","off":\(1[6-9]\|2[0-9]\|3[0-9]\),' "$1" | head -n 1 | cut -d: -f1)
	bm=$(grep -n '"kind":"bar","ev":"map","bar":0,.*"result":0' "$1" | head -n 1 | cut -d: -f1)
	me=$(grep -n '"kind":"msi","type":"msi","ev":"enable"' "$1" | head -n 1 | cut -d: -f1)
	si=$(grep -n '"kind":"vfio","ev":"set-irqs","index":"msi","action":"trigger"' "$1" | head -n 1 | cut -d: -f1)
	# Guest RAM from GPA 0 mapped for the device (IOVA = GPA) before the guest runs.
	dm=$(grep -n '"kind":"vfio","ev":"dma-map","iova":"0",.*"result":0' "$1" | head -n 1 | cut -d: -f1)
	echo "vfio-edu: trace $(wc -l <"$1") lines: first cfg write at line $cw, BAR write $bw, BAR0 map $bm, MSI enable $me, SET_IRQS msi $si, RAM DMA map $dm" >&2
	[ -n "$cw" ] && [ -n "$bw" ] && [ -n "$bm" ] && [ -n "$me" ] && [ -n "$si" ] && [ -n "$dm" ] ||
		{ echo "trace lacks an event (cfg write '$cw', BAR write '$bw', BAR0 map '$bm', MSI enable '$me', SET_IRQS '$si', RAM DMA map '$dm')"; return; }
	[ "$dm" -lt "$cw" ] && [ "$cw" -lt "$bm" ] && [ "$bw" -lt "$bm" ] && [ "$cw" -lt "$me" ] && [ "$me" -le "$si" ] ||
		echo "trace out of order: RAM DMA map $dm, cfg write $cw, BAR write $bw, BAR0 map $bm, MSI enable $me, SET_IRQS $si"
}

edu_mmio() {
	sed -n 's/^vfvm: exits: io [0-9]*, mmio \([0-9]*\),.*/\1/p' "$1"
}

run() {
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	[ -f /guests/vfio_edu.kernel ] || { lab_fail "no /guests/vfio_edu.kernel (make guests)"; return; }
	echo "edu $EDU: driver $(basename "$(readlink /sys/bus/pci/devices/$EDU/driver)")," \
		"group $(lab_vfio_group $EDU)"
	edu_run 0 /tmp/edu0.log
	why=$(edu_judge /tmp/edu0.log)
	[ -z "$why" ] || { lab_fail "bar_reads=0: $why"; return; }
	edu_run 10000 /tmp/edu1.log
	why=$(edu_judge /tmp/edu1.log)
	[ -z "$why" ] || { lab_fail "bar_reads=10000: $why"; return; }
	# addr=9: the guest finds edu in slot 9 of vfvm's bus.
	grep -q '^vfio_edu: edu at 00:9.0' /tmp/edu0.log ||
		{ lab_fail "addr=9 not honoured: $(grep '^vfio_edu: edu at' /tmp/edu0.log)"; return; }
	grep -q '^vfio_edu: 10000 BAR0 reads done' /tmp/edu1.log ||
		{ lab_fail "the guest did not report its 10000 BAR0 reads"; return; }
	m0=$(edu_mmio /tmp/edu0.log)
	m1=$(edu_mmio /tmp/edu1.log)
	[ -n "$m0" ] && [ -n "$m1" ] || { lab_fail "no --stats line from vfvm"; return; }
	d=$((m1 - m0))
	echo "vfio-edu: MMIO exits: $m0 with bar_reads=0, $m1 with bar_reads=10000 (difference $d)"
	[ "$d" -le "$EDU_EXIT_SLACK" ] && [ "$d" -ge "-$EDU_EXIT_SLACK" ] ||
		{ lab_fail "10000 BAR0 reads cost $d MMIO exits (BAR0 not mapped into the guest?)"; return; }
	EDU_EXTRA="--trace /tmp/edu.trace" edu_run 0 /tmp/edu2.log
	why=$(edu_judge /tmp/edu2.log)
	[ -z "$why" ] || { lab_fail "with --trace: $why"; return; }
	why=$(edu_trace /tmp/edu.trace)
	grep -E '"kind":"(vfio|reset)"' /tmp/edu.trace | head -n 12 | sed 's/^/    trace| /'
	grep -E '"kind":"(cfg","op":"write|msi|bar|intx)' /tmp/edu.trace | head -n 40 | sed 's/^/    trace| /'
	[ -z "$why" ] || lab_fail "--trace: $why"
}
