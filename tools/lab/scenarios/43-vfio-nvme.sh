# 43-vfio-nvme.sh - scenario `vfio-nvme`: the lab's NVMe controller (0000:00:05.0, MSI-X table in
# the register BAR) passed through to the Debian guest kernel under vfvm. Inside the guest the
# nvme driver must bind, a 1 MiB random pattern written to /dev/nvme0n1 with O_DIRECT must read
# back identical after the page cache is dropped, and the nvme interrupts in /proc/interrupts
# must be MSI-X and count up during the I/O. docs/passthrough-tests.md.
lab_timeout=420
lab_devices=""

VL_BDF=0000:00:05.0
VL_LOG=/tmp/vfio-nvme.log

# vl_initrd OUT SCRIPT MODULE...: the guest initramfs: /guest/run.cpio with a second archive
# appended that replaces its /init (the kernel unpacks concatenated newc archives in order,
# later files overwriting earlier ones) and carries the modules from /guest/modules, which the
# guest's /init loads in the order given before it runs SCRIPT.
vl_initrd() {
	_out=$1 _script=$2
	shift 2
	_ov=/tmp/vl-overlay
	rm -rf $_ov && mkdir -p $_ov/vt
	for _m in "$@"; do
		[ -f "/guest/modules/$_m.ko" ] || { echo "no /guest/modules/$_m.ko in the lab image"; return 1; }
		cp "/guest/modules/$_m.ko" $_ov/vt/
	done
	echo "$*" >$_ov/vt/modules
	cp "$_script" $_ov/vt/check.sh
	cat >$_ov/init <<'EOF'
#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo VFVM-GUEST-INIT-OK
dmesg -n 1
for m in $(cat /vt/modules); do
	insmod /vt/$m.ko || echo "vt: FAIL insmod: $m: $(dmesg | tail -n 2 | tr '\n' ' ')"
done
sh /vt/check.sh
echo "vt: DONE"
reboot -f
EOF
	chmod 755 $_ov/init
	cp /guest/run.cpio "$_out"
	# Each archive must start 4-byte aligned (init/initramfs.c skips zero padding between).
	_pad=$(( (4 - $(wc -c <"$_out") % 4) % 4 ))
	[ $_pad = 0 ] || head -c $_pad /dev/zero >>"$_out"
	(cd $_ov && find . | cpio -o -H newc 2>/dev/null) >>"$_out"
}

# vl_boot INITRD VFVM-ARGS...: boots the guest; console and --stats to $VL_LOG, status in .st.
vl_boot() {
	_s=$(date +%s)
	{ lab_run_linux "$@" --stats </dev/null 2>&1; echo $? >$VL_LOG.st; } | tr -d '\r' |
		tee $VL_LOG | sed 's/^/    /'
	echo "vfvm exited with status $(cat $VL_LOG.st) after $(($(date +%s) - _s)) s"
}

# vl_judge CHECK...: every CHECK has a "vt: PASS CHECK" line and the guest finished.
vl_judge() {
	_f=""
	for _c in "$@"; do
		grep -q "^vt: PASS $_c:" $VL_LOG || _f="$_f $_c"
	done
	grep -q '^vt: DONE' $VL_LOG || _f="$_f guest-done"
	[ -z "$_f" ] && return 0
	_last=$(grep -E '^vt: FAIL' $VL_LOG | head -n 1)
	[ -n "$_last" ] || _last="last line: $(grep . $VL_LOG | tail -n 1)"
	lab_fail "failed:$_f; vfvm status $(cat $VL_LOG.st); $_last"
}

run() {
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	cat >/tmp/nvme-check.sh <<'EOF'
ok() { echo "vt: PASS $1: $2"; }
no() { echo "vt: FAIL $1: $2"; }
d=""
for x in /sys/bus/pci/devices/*; do
	[ "$(cat $x/vendor):$(cat $x/device)" = 0x1b36:0x0010 ] && d=$x
done
[ -n "$d" ] || { no found "no 1b36:0010 on the guest's bus: $(ls /sys/bus/pci/devices | tr '\n' ' ')"; exit; }
ok found "$d"
for i in $(seq 1 150); do [ -b /dev/nvme0n1 ] && break; sleep 0.2; done
drv=$(basename "$(readlink $d/driver)" 2>/dev/null)
[ "$drv" = nvme ] && [ -b /dev/nvme0n1 ] && ok bound "driver $drv, /dev/nvme0n1" ||
	{ no bound "driver '$drv', /dev/nvme0n1 $(ls /dev/nvme* 2>/dev/null)"; dmesg | tail -n 15; exit; }
irqs() { awk '/nvme/ { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i } END { print s + 0 }' /proc/interrupts; }
i0=$(irqs)
head -c 1048576 /dev/urandom >/tmp/pat
dd if=/tmp/pat of=/dev/nvme0n1 bs=65536 oflag=direct conv=fsync 2>/dev/null
sync
echo 3 >/proc/sys/vm/drop_caches
dd if=/dev/nvme0n1 of=/tmp/back bs=65536 count=16 iflag=direct 2>/dev/null
cmp /tmp/pat /tmp/back && ok pattern "1 MiB written and read back with O_DIRECT" ||
	no pattern "read-back differs: $(cmp /tmp/pat /tmp/back 2>&1 | head -n 1)"
i1=$(irqs)
grep nvme /proc/interrupts
# msi_irqs/<irq> holds "msi" or "msix" (a directory with a mode file before Linux 3.18).
modes=$(for f in $d/msi_irqs/*; do [ -d $f ] && f=$f/mode; cat $f; done 2>/dev/null | sort -u | tr '\n' ' ')
[ "$modes" = "msix " ] && ok msix "msi_irqs mode: $modes" || no msix "msi_irqs mode: '$modes'"
[ "$i1" -gt "$i0" ] && ok irqs "nvme interrupts $i0 -> $i1 across the I/O" ||
	no irqs "nvme interrupts $i0 -> $i1 across the I/O"
EOF
	why=$(vl_initrd /tmp/vfio-nvme.cpio /tmp/nvme-check.sh \
		crct10dif_common crc-t10dif crc64 crc64-rocksoft t10-pi nvme-core nvme) ||
		{ lab_fail "$why"; return; }
	vl_boot /tmp/vfio-nvme.cpio --device vfio,host=$VL_BDF
	vl_judge found bound pattern msix irqs
}
