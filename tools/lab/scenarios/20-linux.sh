# 20-linux.sh - scenario `linux`: vfvm boots the Debian guest kernel (machine.conf: guest_kernel)
# with the busybox guest initramfs inside the lab; its /init prints the marker and leaves with
# `reboot -f`, on which vfvm (without --reboot) must exit with status 0.
lab_timeout=60
lab_devices=""

run() {
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	[ -x "$VFVM" ] || { lab_fail "no $VFVM in the lab image"; return; }
	k=$(lab_guest_kernel) || { lab_fail "$k"; return; }
	echo "vfvm: $k, $guest_mem, $guest_append"
	start=$(date +%s)
	{ lab_run_linux /guest/run.cpio </dev/null 2>&1; echo $? >/tmp/linux-status; } | tee /tmp/linux.log
	st=$(cat /tmp/linux-status)
	echo "linux: vfvm exited with status $st after $(($(date +%s) - start)) s"
	if ! grep -q "^$guest_marker" /tmp/linux.log; then
		lab_fail "no $guest_marker from the guest; vfvm status $st; last guest line: $(grep . /tmp/linux.log | tail -n 1 | tr -d '\r')"
		return
	fi
	[ "$st" = 0 ] || { lab_fail "the guest's /init ran but vfvm exited with status $st"; return; }
}
