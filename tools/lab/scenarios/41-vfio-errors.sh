# 41-vfio-errors.sh - scenario `vfio-errors`: every way `--device vfio,host=BDF` can be refused
# ends in one line naming the problem and exit status 2 (bad input), and `vfvm devices`,
# `vfvm bind`, `vfvm unbind` do what they say (docs/passthrough-tests.md).
# The two-function slot 08 is a group that is not viable: both functions share one IOMMU group
# (conventional PCI, multifunction, no ACS: Linux groups the functions together); /init binds
# 08.0 to vfio-pci and 08.1 keeps the kernel's built-in 8250_pci driver ("serial"). The lab
# image has no e1000 module, so pci-serial, whose driver is built in, stands in for it.
lab_timeout=120
lab_devices="
serial-mf	08 -device pci-serial,addr=08.0,multifunction=on -device pci-serial,addr=08.1
"

# Results of the individual checks; run() fails with their names.
VE_FAILED=""
VE_OUT=/tmp/vfio-errors.out

ve_pass() { echo "PASS $1"; }
ve_fail() {
	echo "FAIL $1: $2"
	VE_FAILED="$VE_FAILED $1"
}

# expect_refusal NAME "PHRASE|PHRASE..." VFVM-ARGS...: vfvm must exit with status 2 after
# printing, on one line, every phrase (fixed strings, case-insensitive, '|' separates them).
expect_refusal() {
	_n=$1 _phrases=$2
	shift 2
	"$VFVM" "$@" </dev/null >"$VE_OUT" 2>&1
	_st=$?
	sed 's/^/    /' "$VE_OUT"
	[ "$_st" = 2 ] || { ve_fail "$_n" "exit status $_st, want 2: $(head -n 1 "$VE_OUT")"; return; }
	_line=$(grep -i 'vfvm' "$VE_OUT" | head -n 1)
	# A refusal for another reason must not pass for the one under test.
	case "$_line" in *"unknown device type"* | *"unknown command"*)
		ve_fail "$_n" "this vfvm lacks the feature: $_line"; return ;;
	esac
	_old=$IFS
	IFS='|'
	for _p in $_phrases; do
		IFS=$_old
		echo "$_line" | grep -qiF -- "$_p" ||
			{ ve_fail "$_n" "message lacks '$_p': $_line"; return; }
	done
	IFS=$_old
	ve_pass "$_n"
}

# The driver a device is bound to, "" if none.
ve_driver() {
	[ -e "/sys/bus/pci/devices/$1/driver" ] || return 0
	basename "$(readlink "/sys/bus/pci/devices/$1/driver")"
}

ve_devices() {
	_edu=0000:00:03.0
	_g=$(lab_vfio_group $_edu)
	"$VFVM" devices >"$VE_OUT" 2>&1
	_st=$?
	sed 's/^/    /' "$VE_OUT"
	_l=$(grep "^$_edu " "$VE_OUT")
	[ "$_st" = 0 ] || { ve_fail devices "exit status $_st"; return; }
	# Columns: BDF ID CLASS GROUP DRIVER RESET OK NAME (src/vfio/cmd.c). QEMU's edu has no
	# FLR, PM or bus reset: its reset_method is empty, so RESET says none.
	echo "$_l" | awk -v g="$_g" '$2 == "1234:11e8" && $4 == g && $5 == "vfio-pci" && \
		$6 == "none" && $7 == "yes" { ok = 1 } END { exit !ok }' ||
		{ ve_fail devices "edu line wrong (want 1234:11e8, group $_g, vfio-pci, reset none, yes): $_l"; return; }
	_l=$(grep "^0000:00:08.0 " "$VE_OUT")
	echo "$_l" | grep -q "0000:00:08.1" && echo "$_l" | grep -qw no ||
		{ ve_fail devices.not_viable "08.0 not shown unassignable because of 08.1: $_l"; return; }
	ve_pass devices
}

# The device must be bound to vfio-pci or not, per sysfs, and its group node follow.
ve_bind_roundtrip() {
	_t=0000:00:07.0
	_g=$(lab_vfio_group $_t)
	"$VFVM" unbind $_t </dev/null >"$VE_OUT" 2>&1
	_st=$?
	cat "$VE_OUT"
	_d=$(ve_driver $_t)
	if [ "$_st" != 0 ] || [ "$_d" = vfio-pci ]; then
		ve_fail unbind "status $_st, driver '$_d' after vfvm unbind $_t"
	else
		ve_pass unbind
		echo "    $_t driver after unbind: '${_d:-none}', /dev/vfio/$_g $([ -e /dev/vfio/$_g ] && echo present || echo gone)"
	fi
	# Not on vfio-pci: refused, and the message says how to fix it.
	expect_refusal not_bound "$_t|vfvm bind" run --kernel /guests/exit.kernel --memory 16M \
		--device vfio,host=$_t
	"$VFVM" bind $_t </dev/null >"$VE_OUT" 2>&1
	_st=$?
	cat "$VE_OUT"
	_d=$(ve_driver $_t)
	if [ "$_st" = 0 ] && [ "$_d" = vfio-pci ] && [ -c "/dev/vfio/$_g" ]; then
		ve_pass bind
	else
		ve_fail bind "status $_st, driver '$_d', /dev/vfio/$_g after vfvm bind $_t"
		lab_bind $_t >/dev/null	# leave the lab as it was for the next scenarios
	fi
	# Binding what is already bound is not an error.
	"$VFVM" bind $_t </dev/null >"$VE_OUT" 2>&1 && ve_pass bind.again ||
		ve_fail bind.again "status $?: $(head -n 1 "$VE_OUT")"
	expect_refusal bind.bad_bdf "zz|PCI address" bind zz
	expect_refusal bind.absent "0000:00:1f.7|no such PCI device" bind 0000:00:1f.7
}

# Two vfvm on one device: the second finds the group taken.
ve_in_use() {
	_k=/guests/vfio_edu.kernel
	[ -f $_k ] || { ve_fail in_use "no $_k (make guests)"; return; }
	: >/tmp/vfio-first.out
	"$VFVM" run --kernel $_k --memory 64M --device vfio,host=0000:00:03.0 \
		--cmdline bar_reads=1000000000 </dev/null >/tmp/vfio-first.out 2>&1 &
	_pid=$!
	# The first one has the group once its guest prints (or after 5 s at the latest).
	for _i in 1 2 3 4 5 6 7 8 9 10; do
		grep -q "vfio_edu: boot" /tmp/vfio-first.out && break
		kill -0 $_pid 2>/dev/null || break
		sleep 0.5
	done
	if ! kill -0 $_pid 2>/dev/null; then
		ve_fail in_use "the first vfvm did not stay up: $(grep . /tmp/vfio-first.out | tail -n 1)"
		return
	fi
	expect_refusal in_use "in use" run --kernel /guests/exit.kernel --memory 16M \
		--device vfio,host=0000:00:03.0
	kill $_pid
	wait $_pid 2>/dev/null
}

# A non-root user without CAP_IPC_LOCK whose RLIMIT_MEMLOCK cannot pin guest RAM. Root has
# CAP_IPC_LOCK, which lifts the limit, so this runs as `nobody` with the device nodes opened
# up for the test and closed again afterwards.
ve_memlock() {
	_g=$(lab_vfio_group 0000:00:03.0)
	mkdir -p /etc
	grep -q '^nobody:' /etc/passwd 2>/dev/null ||
		echo 'nobody:x:65534:65534:nobody:/tmp:/bin/sh' >>/etc/passwd
	grep -q '^nogroup:' /etc/group 2>/dev/null || echo 'nogroup:x:65534:' >>/etc/group
	# The lab's root directory comes out of a mktemp -d (mode 0700): open it for the run too.
	_modes=$(stat -c '%a %n' / /dev/kvm /dev/vfio/vfio "/dev/vfio/$_g")
	chmod 0755 /
	chmod 0666 /dev/kvm /dev/vfio/vfio "/dev/vfio/$_g"
	su -s /bin/sh nobody -c "ulimit -l 1024; exec $VFVM run --kernel /guests/exit.kernel \
		--memory 64M --device vfio,host=0000:00:03.0" </dev/null >"$VE_OUT" 2>&1
	_st=$?
	echo "$_modes" | while read -r _m _f; do chmod "$_m" "$_f"; done
	sed 's/^/    /' "$VE_OUT"
	[ "$_st" = 2 ] && grep -qi 'ulimit -l' "$VE_OUT" && grep -q 1024 "$VE_OUT" && ve_pass memlock ||
		ve_fail memlock "as nobody with ulimit -l 1024: status $_st: $(head -n 1 "$VE_OUT")"
}

run() {
	[ -c /dev/vfio/vfio ] || { lab_fail "no /dev/vfio/vfio"; return; }
	[ -f /guests/exit.kernel ] || { lab_fail "no /guests/exit.kernel (make guests)"; return; }
	echo "group of 08.0: $(lab_vfio_group 0000:00:08.0), of 08.1: $(lab_vfio_group 0000:00:08.1);" \
		"08.0 on '$(ve_driver 0000:00:08.0)', 08.1 on '$(ve_driver 0000:00:08.1)'"
	k="--kernel /guests/exit.kernel --memory 16M"
	# shellcheck disable=SC2086
	{
		expect_refusal bad_bdf "zz|address" run $k --device vfio,host=zz
		expect_refusal no_host "host" run $k --device vfio
		expect_refusal absent "0000:00:1f.7|no such PCI device" run $k \
			--device vfio,host=0000:00:1f.7
		expect_refusal not_viable "0000:00:08.1|serial" run $k --device vfio,host=0000:00:08.0
		expect_refusal bad_option "frob" run $k --device vfio,host=0000:00:03.0,frob=1
		expect_refusal bad_slot "addr=40|1 to 31" run $k --device vfio,host=0000:00:03.0,addr=40
		expect_refusal bad_romfile "/nonexistent.rom" run $k \
			--device vfio,host=0000:00:04.0,romfile=/nonexistent.rom
	}
	ve_devices
	ve_bind_roundtrip
	ve_in_use
	ve_memlock
	[ -z "$VE_FAILED" ] || lab_fail "failed:$VE_FAILED"
}
