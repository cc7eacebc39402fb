# 10-devices.sh - scenario `devices`: every device of the lab is bound to vfio-pci and has its
# /dev/vfio/N, KVM works inside the lab (vfvm runs the core `exit` test guest), and `vfvm host`
# says so (KVM native, VFIO type1v2, IOMMU groups).
# A scenario file sets lab_timeout (seconds) and lab_devices (extra devices, machine.conf's format),
# and defines run(), which runs inside the lab under busybox sh with /lab/lib.sh sourced.
lab_timeout=60
lab_devices=""

run() {
	if [ -s /tmp/lab-setup-errors ]; then
		lab_fail "lab setup: $(head -n 1 /tmp/lab-setup-errors)"
		return
	fi
	[ -c /dev/vfio/vfio ] || { lab_fail "no /dev/vfio/vfio (vfio module)"; return; }
	# An empty list (machine.conf unreadable) must not pass for "every device bound".
	[ -s /tmp/lab-devices ] || { lab_fail "no devices in machine.conf or the scenarios"; return; }
	while read -r name bdf; do
		drv=$(basename "$(readlink "/sys/bus/pci/devices/$bdf/driver")")
		[ "$drv" = vfio-pci ] || { lab_fail "$name ($bdf) is on driver '$drv', not vfio-pci"; return; }
		g=$(lab_vfio_group "$bdf") || { lab_fail "$name ($bdf) has no IOMMU group"; return; }
		[ -c "/dev/vfio/$g" ] || { lab_fail "$name ($bdf): no /dev/vfio/$g"; return; }
		echo "$name $bdf $(cat "/sys/bus/pci/devices/$bdf/vendor"):$(cat "/sys/bus/pci/devices/$bdf/device") vfio-pci /dev/vfio/$g"
	done </tmp/lab-devices
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	[ -x "$VFVM" ] || { lab_fail "no $VFVM in the lab image"; return; }
	# vfvm's own host check: KVM usable with ring 0 native (TCG's -cpu max has svm), VFIO
	# type1v2 and IOMMU groups present.
	"$VFVM" host | sed 's/^/host: /'
	k=$("$VFVM" host --kvm)
	[ "$k" = native ] || { lab_fail "vfvm host --kvm says '$k', want native"; return; }
	"$VFVM" host | grep -q '^vfio: API [0-9]*, type1v2 IOMMU supported' ||
		{ lab_fail "vfvm host does not see VFIO type1v2: $("$VFVM" host | grep '^vfio')"; return; }
	"$VFVM" host | grep -q '^iommu: [1-9][0-9]* IOMMU groups' ||
		{ lab_fail "vfvm host sees no IOMMU groups"; return; }
	# The core `exit` guest, judged by its own runner (isa-debug-exit status, DONE line).
	[ -f /guests/run ] || { lab_fail "no /guests/run in the lab image (make guests)"; return; }
	VFVM=$VFVM sh /guests/run /guests exit </dev/null ||
		lab_fail "KVM check: vfvm did not run the exit test guest"
}
