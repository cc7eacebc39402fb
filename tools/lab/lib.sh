# lib.sh - helpers the lab's /init and its scenarios share inside the lab (busybox sh).
# Sourced, not run. A scenario's run() returns 0 to pass; lab_fail records why it did not.

. /lab/machine.conf
. /lab/scenario.sh

LAB_WHY=/tmp/lab-why
VFVM=${VFVM:-/bin/vfvm}

# lab_param NAME: prints the value of NAME=VALUE on the lab's kernel command line.
lab_param() {
	for _w in $(cat /proc/cmdline); do
		case "$_w" in "$1="*) echo "${_w#*=}"; return 0 ;; esac
	done
	return 1
}

# lab.guest_kernel=bzImage (LAB_APPEND on the host) picks the other guest kernel for one run.
guest_kernel=$(lab_param lab.guest_kernel || echo "$guest_kernel")
# lab.acpi=0 (LAB_APPEND=lab.acpi=0 on the host) boots every Linux guest with vfvm's --no-acpi:
# the linux, smp and passthrough scenarios then run on the MP-table machine (docs/acpi.md).
[ "$(lab_param lab.acpi)" = 0 ] && guest_vfvm_args="$guest_vfvm_args --no-acpi"

# lab_fail WHY...: records the reason a scenario fails (printed on its FAIL line); returns 1.
lab_fail() {
	echo "$*" >"$LAB_WHY"
	echo "lab: $*"
	return 1
}

# lab_skip WHY...: the scenario cannot run in this lab (a vfvm without the option it tests, say):
# run() then returns 0 and /init prints "SKIP name: WHY", which the host counts as skipped, never
# as passed.
lab_skip() {
	echo "$*" >/tmp/lab-skip
	echo "lab: SKIP: $*"
}

# lab_vfio_group BDF: prints the IOMMU group number of PCI device BDF.
lab_vfio_group() {
	[ -e "/sys/bus/pci/devices/$1/iommu_group" ] || return 1
	basename "$(readlink "/sys/bus/pci/devices/$1/iommu_group")"
}

# lab_bind BDF: hands PCI device BDF to vfio-pci: unbinds its driver, sets driver_override (so
# only vfio-pci matches it), reprobes. Prints why on failure.
lab_bind() {
	_dev=/sys/bus/pci/devices/$1
	[ -d "$_dev" ] || { echo "no PCI device $1"; return 1; }
	if [ -e "$_dev/driver" ]; then
		[ "$(basename "$(readlink "$_dev/driver")")" = vfio-pci ] && return 0
		echo "$1" >"$_dev/driver/unbind" || { echo "$1: unbind failed"; return 1; }
	fi
	echo vfio-pci >"$_dev/driver_override" || { echo "$1: driver_override failed"; return 1; }
	echo "$1" >/sys/bus/pci/drivers_probe 2>/dev/null
	[ -e "$_dev/driver" ] && [ "$(basename "$(readlink "$_dev/driver")")" = vfio-pci ] ||
		{ echo "$1 ($(cat "$_dev/vendor"):$(cat "$_dev/device")) did not bind to vfio-pci"; return 1; }
	_g=$(lab_vfio_group "$1") || { echo "$1: no IOMMU group (is intel_iommu=on?)"; return 1; }
	[ -c "/dev/vfio/$_g" ] || { echo "$1: no /dev/vfio/$_g"; return 1; }
}

# lab_device_list: prints "NAME BDF" for each device of the machine and of the scenarios.
lab_device_list() {
	device_lines /lab/scenarios | awk '{ printf "%s 0000:00:%s.0\n", $1, $2 }'
}

# lab_guest_dir: where the Linux guest's kernel and modules are: /guest for the lab's own kernel
# (6.1), /guest/SERIES for a scenario that sets lab_kernel=SERIES at its top level (a guest-only
# kernel of machine.conf's lab_guest_kernels, tools/lab/guest-kernel: 6.12).
lab_guest_dir() {
	if [ -n "${lab_kernel:-}" ]; then echo "/guest/$lab_kernel"; else echo /guest; fi
}

# lab_guest_kernel: checks the Linux guest's kernel is in the image; prints its path.
lab_guest_kernel() {
	_k=$(lab_guest_dir)/$guest_kernel
	if [ ! -e "$_k" ] && [ -n "${lab_kernel:-}" ]; then
		echo "no Linux $lab_kernel guest kernel $_k in the lab image (Debian linux-image-$lab_kernel.*-amd64-unsigned: tools/install-deps, then make lab-image)"
		return 1
	fi
	[ -e "$_k" ] || { echo "no guest kernel $_k in the lab image (tools/extract-vmlinux)"; return 1; }
	echo "$_k"
}

# lab_run_linux INITRD [VFVM-ARGS...]: boots the Debian guest kernel under vfvm with INITRD;
# the console is vfvm's stdio. Returns vfvm's exit status. Scenarios run with --watchdog
# $LAB_WATCHDOG (30 s; empty for none, as the interactive `lab guest`): a guest that stops
# gets its state dumped and vfvm exits with status 4, long before the scenario's timeout.
lab_run_linux() {
	_initrd=$1
	shift
	_k=$(lab_guest_kernel) || { echo "$_k"; return 1; }
	_wd=${LAB_WATCHDOG-30}
	guest_vfvm "$VFVM" "$_k" "$_initrd" ${_wd:+--watchdog "$_wd"} "$@"
}

# lab_test_guest NAME: prints the path of core test guest NAME in /guests (make guests).
lab_test_guest() {
	[ -f "/guests/$1.kernel" ] && { echo "/guests/$1.kernel"; return 0; }
	echo "no test guest '$1' in /guests (make guests)"
	return 1
}

# lab_as_user [BDF...]: from here on the scenario's $VFVM runs as the ordinary user vfvm
# (uid 1000, build-image), given only what docs/security.md lists: read/write on /dev/kvm
# (group kvm), on the IOMMU groups of the devices BDF..., and a locked-memory limit
# ($LAB_USER_MEMLOCK KiB, default unlimited) for VFIO's pinning of guest RAM.
lab_as_user() {
	chgrp kvm /dev/kvm && chmod 660 /dev/kvm || { echo "cannot give /dev/kvm to group kvm"; return 1; }
	for _b in "$@"; do
		_g=$(lab_vfio_group "$_b") || { echo "$_b: no IOMMU group"; return 1; }
		chown vfvm "/dev/vfio/$_g" || { echo "cannot give /dev/vfio/$_g to vfvm"; return 1; }
	done
	VFVM_AS_ROOT=${VFVM_AS_ROOT:-$VFVM}
	cat >/tmp/vfvm-as-user <<EOF
#!/bin/sh
ulimit -l \${LAB_USER_MEMLOCK:-unlimited}
exec su -s /bin/sh -c '[ "\$(id -u)" = 1000 ] || { echo "lab: su did not make uid 1000" >&2; exit 1; }; exec $VFVM_AS_ROOT "\$@"' -- vfvm vfvm "\$@"
EOF
	chmod 755 /tmp/vfvm-as-user
	# su's own failure would end in status 1, like the exit guest: check it really runs vfvm.
	_o=$(/tmp/vfvm-as-user --version 2>&1)
	case "$_o" in "vfvm "*) ;; *) echo "su cannot run $VFVM_AS_ROOT as vfvm: $(echo "$_o" | head -n 2 | tr "\n" " ")"; return 1 ;; esac
	VFVM=/tmp/vfvm-as-user
}

# lab_sym ADDR: "function+0xOFF [module]" for a kernel address (ffffffff........, 0x optional),
# from /proc/kallsyms. Only the low 32 bits are compared: awk's numbers are doubles.
lab_sym() {
	awk -v a="$1" 'function hex(s,  i, v) { v = 0; s = tolower(s)
			for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
			return v }
		BEGIN { a = tolower(a); sub(/^0x/, "", a); best = -1
			ok = length(a) == 16 && substr(a, 1, 8) == "ffffffff"; r = hex(substr(a, 9)) }
		ok && $1 ~ /^ffffffff/ && $2 ~ /^[tT]$/ { v = hex(substr($1, 9)); if (v <= r && v > best) { best = v; s = $3; m = $4 } }
		END { if (!ok) print "is not a kernel address"
			else if (best < 0 || r - best >= 1048576) print "is in no known function"
			else printf "is %s+0x%x%s\n", s, r - best, m == "" ? "" : " " m }' /proc/kallsyms
}
