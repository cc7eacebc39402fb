# 43-vfio-nvme.sh - scenario `vfio-nvme`: the lab's NVMe controller (0000:00:05.0, MSI-X table in
# the register BAR) passed through to the Debian guest kernel under vfvm. Inside the guest the
# nvme driver must bind, a 1 MiB random pattern written to /dev/nvme0n1 with O_DIRECT must read
# back identical after the page cache is dropped, and the nvme interrupts in /proc/interrupts
# must be MSI-X and count up during the I/O, with no I/O timeout in dmesg (a lost interrupt).
# Twice: on the ACPI machine (the default) and with --no-acpi (the MP table machine).
# docs/passthrough-tests.md.
lab_timeout=210
lab_devices=""

VL_BDF=0000:00:05.0
VL_LOG=/tmp/vfio-nvme.log

# vl_initrd, vl_boot, vl_judge (inside the lab; the host reads this file for lab_devices only).
[ -f /lab/scenarios/vfio-linux.lib ] && . /lab/scenarios/vfio-linux.lib

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
# 2048 single-command reads for the host-side trap count (vn_traps): with the doorbells in
# the mapped part of BAR0 none of them reaches vfvm.
up() { cut -d' ' -f1 /proc/uptime | tr -d .; }
t0=$(up)
dd if=/dev/nvme0n1 of=/dev/null bs=4096 count=2048 iflag=direct 2>/dev/null &&
	ok io2048 "2048 4 KiB O_DIRECT reads in $(( ($(up) - t0) * 10 )) ms" ||
	no io2048 "dd of 2048 reads failed"
echo "vt: irqs after: $(irqs)"
# A lost completion interrupt does not fail the I/O: the driver's 30 s timeout polls the CQ
# and goes on ("I/O tag N ... timeout, completion polled"). Only dmesg says it happened.
to=$(dmesg | grep -i 'nvme.*timeout' | head -n 3 | tr '\n' ' ')
[ -z "$to" ] && ok timeouts "no nvme I/O timeout in dmesg" || no timeouts "$to"
EOF
	why=$(vl_initrd /tmp/vfio-nvme.cpio /tmp/nvme-check.sh \
		crct10dif_common crc-t10dif crc64 crc64-rocksoft t10-pi nvme-core nvme) ||
		{ lab_fail "$why"; return; }
	# As an ordinary user, with the seccomp filters on (the default): docs/security.md.
	lab_as_user $VL_BDF >/tmp/as-user.why || { lab_fail "$(cat /tmp/as-user.why)"; return; }
	vl_boot /tmp/vfio-nvme.cpio --device vfio,host=$VL_BDF
	vn_traps
	vl_judge found bound pattern msix irqs io2048 timeouts traps || return
	echo "lab: again with --no-acpi"
	VL_LOG=/tmp/vfio-nvme-noacpi.log
	vl_boot /tmp/vfio-nvme.cpio --device vfio,host=$VL_BDF --no-acpi
	vn_traps
	vl_judge found bound pattern msix irqs io2048 timeouts traps
}

# vn_traps: what vfvm trapped of the nvme BAR over the whole boot (--stats ranges named
# "vfio 0000:00:05.0"): only the MSI-X table and PBA pages, touched when the driver sets up
# and tears down its vectors (196 accesses when measured, bench/vfio.md), never per I/O: the
# guest's 2048 + 32 I/Os would add at least one doorbell write each had BAR0 been trapped.
vn_traps() {
	_h=$(vl_range_hits "vfio $VL_BDF")
	_r=$(grep '^vfvm: \(io\|mmio\) 0x' $VL_LOG | tr ',' '\n' | grep "vfio $VL_BDF" | tr '\n' ';')
	if ! grep -q '^vfvm: exits:' $VL_LOG; then
		echo "vt: FAIL traps: no --stats lines from vfvm" >>$VL_LOG
	elif [ "$_h" -ge 1 ] && [ "$_h" -lt 1024 ]; then
		echo "vt: PASS traps: $_h trapped nvme BAR accesses (MSI-X pages only):$_r" >>$VL_LOG
	else
		echo "vt: FAIL traps: $_h trapped nvme BAR accesses, want 1..1023 (MSI-X set-up only):$_r" >>$VL_LOG
	fi
	grep '^vt: [A-Z]* traps:' $VL_LOG | sed 's/^/    /'
}
