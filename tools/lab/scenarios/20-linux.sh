# 20-linux.sh - scenario `linux`: vfvm boots the Debian guest kernel (machine.conf: guest_kernel)
# with the busybox guest initramfs inside the lab; its /init prints the marker and leaves with
# `reboot -f`, on which vfvm (without --reboot) must exit with status 0. vfvm runs as the
# ordinary user vfvm with its seccomp filters on (docs/security.md).
lab_timeout=120
lab_devices=""

run() {
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	[ -x "$VFVM" ] || { lab_fail "no $VFVM in the lab image"; return; }
	k=$(lab_guest_kernel) || { lab_fail "$k"; return; }
	# As an ordinary user, with the seccomp filters on (the default): docs/security.md.
	lab_as_user >/tmp/as-user.why || { lab_fail "$(cat /tmp/as-user.why)"; return; }
	echo "vfvm: $k, $guest_mem, $guest_append; as user vfvm (uid 1000), seccomp on"
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
