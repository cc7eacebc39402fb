# 42-vfio-reboot.sh - scenario `vfio-reboot`: the vfio_edu guest under `vfvm run --reboot` with
# edu passed through. Boot 1 runs every edu check, leaves MSI and Bus Master on, and resets
# through port 0xCF9 (0x06); boot 2 (counted in CMOS RAM, which a reset keeps) must find the
# device's config space reset (Command 0, MSI disabled: PCI 3.0 §6.2.2, §6.8.1.3), edu idle, and
# the whole set of checks - MSI and DMA included - passing again. docs/passthrough-tests.md.
lab_timeout=120
lab_devices=""

EDU=0000:00:03.0

run() {
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	[ -f /guests/vfio_edu.kernel ] || { lab_fail "no /guests/vfio_edu.kernel (make guests)"; return; }
	# What the host kernel can do to reset edu (6.1: empty when it has no FLR/PM/bus reset).
	echo "edu $EDU reset_method: '$(cat /sys/bus/pci/devices/$EDU/reset_method 2>/dev/null)'"
	log=/tmp/edu-reboot.log
	s=$(date +%s)
	{ "$VFVM" run --kernel /guests/vfio_edu.kernel --memory 64M --device vfio,host=$EDU \
		--reboot --debug-exit --cmdline reboot=1 </dev/null 2>&1; echo $? >$log.st; } |
		tr -d '\r' >$log
	st=$(cat $log.st)
	sed 's/^/    /' $log
	echo "vfio-reboot: vfvm status $st after $(($(date +%s) - s)) s"
	grep -q '^vfio_edu: resetting' $log || { lab_fail "boot 1 did not reach the reset; $(grep '^FAIL' $log | head -n 1)"; return; }
	grep -q '^vfio_edu: boot 2' $log || { lab_fail "no second boot after the reset (vfvm status $st)"; return; }
	f=$(grep '^FAIL' $log | head -n 3 | tr '\n' ' ')
	[ -z "$f" ] || { lab_fail "$f"; return; }
	[ "$(grep -c '^DONE' $log)" = 1 ] || { lab_fail "want one DONE line (boot 2), got $(grep -c '^DONE' $log)"; return; }
	[ "$st" = 1 ] || lab_fail "vfvm status $st, want 1 (debug-exit 0)"
}
