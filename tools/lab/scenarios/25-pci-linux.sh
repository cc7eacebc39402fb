# 25-pci-linux.sh - scenario `pci-linux`: the Debian guest kernel under vfvm with `--device testdev`
# enumerates the PCI bus; inside, lspci -vv -nn and sysfs must show the host bridge and the test
# device (IDs, BARs, capabilities, IRQ), and the RAM-backed BAR must work through sysfs mmap without
# MMIO exits. One boot; the guest side is tools/lab/guest/ (pci-check.sh, pcimem.c).
lab_timeout=90
lab_devices=""

# The checks the guest must report as PASS (pci-check.sh and pcimem print them); one missing is a
# failure too, so a guest that dies half-way cannot pass.
PCI_LINUX_CHECKS="dmesg-bars bridge-sysfs testdev-sysfs lspci-before-enable enable lspci-runs lspci-bridge
lspci-testdev lspci-subsystem lspci-command lspci-bar0 lspci-bar1 lspci-bar2 lspci-bar4 lspci-rom
lspci-msi lspci-vendor-cap lspci-msix lspci-irq regs-id ram-bar-size ram-bar-probe
ram-bar-probe-exits ram-bar-pattern ram-bar-exits regs-scratch regs-exits-counted
msix-reset-masked msix-send msix-pending msix-guest-irq"

run() {
	log=/tmp/pci-linux.log
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	[ -f /guest/pci.cpio ] || { lab_fail "no /guest/pci.cpio in the lab image (tools/lab/guest/guest.mk)"; return; }
	start=$(date +%s)
	{ lab_run_linux /guest/pci.cpio --device testdev --stats </dev/null 2>&1
		echo $? >/tmp/pci-linux-status; } | tr -d '\r' | tee "$log"
	st=$(cat /tmp/pci-linux-status)
	echo "pci-linux: vfvm exited with status $st after $(($(date +%s) - start)) s"

	failed=""
	for c in $PCI_LINUX_CHECKS; do
		grep -q "^pci-linux: PASS $c:" "$log" || failed="$failed $c"
	done
	# vfvm's own count over the whole run (--stats) must stay below the RAM-BAR accesses alone:
	# had they trapped, each would be an MMIO exit.
	mmio=$(sed -n 's/^vfvm: exits: io [0-9]*, mmio \([0-9]*\),.*/\1/p' "$log")
	acc=$(sed -n 's/^pcimem: ram-bar-accesses \([0-9]*\)$/\1/p' "$log")
	if [ -n "$mmio" ] && [ -n "$acc" ] && [ "$mmio" -lt "$acc" ]; then
		echo "pci-linux: PASS stats-mmio: --stats: $mmio MMIO exits in the whole run, $acc RAM-BAR accesses"
	else
		echo "pci-linux: FAIL stats-mmio: --stats: ${mmio:-no} MMIO exits, ${acc:-no} RAM-BAR accesses"
		failed="$failed stats-mmio"
	fi
	[ "$st" = 0 ] || failed="$failed vfvm-status"
	if ! grep -q '^pci-linux: DONE' "$log"; then
		lab_fail "the guest did not finish its checks; failed:$failed; vfvm status $st; last line: $(grep -v '^vfvm: exits' "$log" | grep . | tail -n 1)"
		return
	fi
	[ -z "$failed" ] && return 0
	lab_fail "failed:$failed; vfvm status $st"
}
