# 22-linux-acpi.sh - scenario `linux-acpi`: the Debian guest kernel under vfvm --acpi --cpus 2.
# Linux must take vfvm's ACPI tables (RSDP, XSDT, FADT, MADT, MCFG, DSDT: docs/acpi.md), bring
# up both CPUs from the MADT, use ECAM ("PCI: MMCONFIG ... reserved as ACPI motherboard
# resource" or "as E820 entry") for the extended configuration space and find \_SB.PCI0 as
# its host bridge, with the windows and the COM ports the DSDT lists. Then SIGTERM to vfvm
# presses the power button (GED -> PNP0C0C -> an input event) and the guest's `poweroff`
# (S5) ends vfvm with status 0; a guest that ignores the button is stopped after
# --shutdown-timeout with 128 + SIGTERM.
lab_timeout=150
lab_devices=""

VL_LOG=/tmp/linux-acpi.log

[ -f /lab/scenarios/vfio-linux.lib ] && . /lab/scenarios/vfio-linux.lib

run() {
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	cat >/tmp/acpi-check.sh <<'EOF2'
ok() { echo "vt: PASS $1: $2"; }
no() { echo "vt: FAIL $1: $2"; }
has() { dmesg | grep -E "$2" | head -n 1 | grep . >/tmp/hit && ok "$1" "$(cat /tmp/hit)" ||
	no "$1" "no '$2' in dmesg; $(dmesg | grep -iE "$3" | tail -n 3 | tr '\n' ' ')"; }
dmesg | grep -iE 'acpi|mmconfig|pnp0a08|pci0' | head -n 40
has rsdp 'ACPI: RSDP 0x00000000000E0000' 'acpi'
has mcfg 'ACPI: MCFG 0x' 'acpi'
has madt 'ACPI: APIC 0x' 'acpi'
has dsdt 'ACPI: DSDT 0x' 'acpi'
has madt_smp 'Using ACPI \(MADT\) for SMP' 'smp|apic'
has mmconfig 'PCI: MMCONFIG at \[mem 0xfed00000-0xfedfffff\] reserved' 'mmconfig|ecam'
has host_bridge 'PCI Root Bridge \[PCI0\]' 'pci0|pnp0a0'
has root_window 'pci_bus 0000:00: root bus resource \[mem 0xc0000000-0xfebfffff' 'root bus'
# The FADT is hardware-reduced (docs/acpi.md): Linux then has no legacy PIC and numbers the
# ISA interrupts dynamically, so COM1 shows as "irq = 25" or so; what matters is that its
# interrupt is the I/O APIC's pin 4, as the DSDT's _CRS and the MADT say.
has serial 'ttyS0 at I/O 0x3f8 \(irq = [0-9]*' 'ttyS|serial'
grep -E 'IO-APIC +4-edge +ttyS0' /proc/interrupts >/tmp/hit && ok serial_gsi "$(tr -s ' ' </tmp/hit)" ||
	no serial_gsi "no 'IO-APIC 4-edge ttyS0' in /proc/interrupts; $(grep -E 'ttyS|IO-APIC +4-' /proc/interrupts | tr -s ' ')"
t=$(dmesg | grep -o 'Total of [0-9]* processors activated')
[ "$t" = "Total of 2 processors activated" ] && ok smpboot "$t" || no smpboot "'$t'"
# Linux keeps type 1 (0xCF8) for offsets below 256 and takes ECAM for the rest; without a
# usable MMCONFIG it says it falls back to type 1 for the extended space too.
if dmesg | grep -q 'configuration type 1 for extended access'; then
	no ext_ecam "$(dmesg | grep 'configuration type 1 for extended access')"
else
	ok ext_ecam "extended configuration space through ECAM"
fi
if dmesg | grep -qiE 'ACPI (Error|BIOS Error|Exception)'; then
	no acpi_errors "$(dmesg | grep -iE 'ACPI (Error|BIOS Error|Exception)' | head -n 3 | tr '\n' ' ')"
else
	ok acpi_errors "no ACPI Error/Exception in dmesg"
fi
EOF2
	why=$(vl_initrd /tmp/linux-acpi.cpio /tmp/acpi-check.sh) || { lab_fail "$why"; return; }
	vl_boot /tmp/linux-acpi.cpio --cpus 2 --acpi
	vl_judge rsdp mcfg madt dsdt madt_smp mmconfig host_bridge root_window serial serial_gsi smpboot \
		ext_ecam acpi_errors || return
	acpi_button || return
	acpi_ignored
}

# The guest's side of the power button: find the button's input device (button.ko, evdev.ko),
# say READY, wait for one input event (the press) and power off. Without button.ko (the
# ignored case) there is no such device: it says READY and sleeps.
cat >/tmp/acpi-button.sh <<'EOF2'
grep -E 'IO-APIC +5-edge +ACPI:Ged' /proc/interrupts >/tmp/hit &&
	echo "vt: PASS ged_irq: $(tr -s ' ' </tmp/hit)" ||
	echo "vt: FAIL ged_irq: no 'IO-APIC 5-edge ACPI:Ged' in /proc/interrupts"
dev=""
for e in /sys/class/input/event*; do
	[ "$(cat $e/device/name 2>/dev/null)" = "Power Button" ] && dev=/dev/input/${e##*/}
done
if [ -z "$dev" ]; then
	echo "vt: READY (no Power Button input device)"
	sleep 120
	exit
fi
echo "vt: READY $dev"
dd if=$dev of=/dev/null bs=24 count=1 2>/dev/null
echo "vt: PASS button: an input event on $dev ($(cat /sys/class/input/${dev##*/}/device/name))"
poweroff -f
EOF2

# acpi_boot_signal LOG VFVM-ARGS...: boots /tmp/linux-acpi-btn.cpio in the background, waits
# for the guest's READY, sends SIGTERM to vfvm and waits for it; the seconds from the signal
# to vfvm's exit go to $LOG.secs.
acpi_boot_signal() {
	VL_LOG=$1
	shift
	rm -f $VL_LOG $VL_LOG.st
	vl_boot /tmp/linux-acpi-btn.cpio "$@" &
	_b=$!
	for _i in $(seq 1 120); do
		grep -q '^vt: READY' $VL_LOG 2>/dev/null && break
		[ -f $VL_LOG.st ] && break
		sleep 1
	done
	_t0=$(date +%s)
	kill -TERM $(pidof vfvm) 2>/dev/null
	wait $_b
	echo $(($(date +%s) - _t0)) >$VL_LOG.secs
	echo "lab: vfvm ended $(cat $VL_LOG.secs) s after SIGTERM, status $(cat $VL_LOG.st)"
}

acpi_button() {
	why=$(vl_initrd /tmp/linux-acpi-btn.cpio /tmp/acpi-button.sh button evdev) ||
		{ lab_fail "$why"; return; }
	acpi_boot_signal /tmp/linux-acpi-btn.log --cpus 2
	_f=""
	grep -q '^vt: PASS ged_irq' $VL_LOG || _f="$_f ged_irq"
	grep -q "^vfvm: SIGTERM: pressed the guest's ACPI power button" $VL_LOG || _f="$_f pressed"
	grep -q '^vt: PASS button' $VL_LOG || _f="$_f button"
	grep -q '^vfvm: guest powered off (ACPI S5)' $VL_LOG || _f="$_f s5"
	[ "$(cat $VL_LOG.st)" = 0 ] || _f="$_f status"
	[ "$(cat $VL_LOG.secs)" -lt 10 ] || _f="$_f in-time"
	[ -z "$_f" ] && return 0
	lab_fail "power button:$_f; $(grep -E '^vt: FAIL|^vfvm: ' $VL_LOG | head -n 3 | tr '\n' ' ')"
}

# No button driver: the GED still claims its interrupt, nothing acts on the press, and vfvm
# stops the guest itself after --shutdown-timeout 2, with 128 + SIGTERM = 143.
acpi_ignored() {
	why=$(vl_initrd /tmp/linux-acpi-btn.cpio /tmp/acpi-button.sh) || { lab_fail "$why"; return; }
	acpi_boot_signal /tmp/linux-acpi-ign.log --shutdown-timeout 2
	_f=""
	grep -q "^vfvm: SIGTERM: pressed the guest's ACPI power button; it has 2 s" $VL_LOG ||
		_f="$_f pressed"
	grep -q '^vfvm: the guest did not power off within 2 s' $VL_LOG || _f="$_f timeout"
	[ "$(cat $VL_LOG.st)" = 143 ] || _f="$_f status"
	[ "$(cat $VL_LOG.secs)" -ge 2 ] && [ "$(cat $VL_LOG.secs)" -lt 8 ] || _f="$_f timing"
	[ -z "$_f" ] && return 0
	lab_fail "ignored button:$_f; $(grep -E '^vt: FAIL|^vfvm: ' $VL_LOG | head -n 3 | tr '\n' ' ')"
}
