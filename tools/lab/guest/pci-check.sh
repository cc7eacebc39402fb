#!/bin/sh
# pci-check.sh - runs inside vfvm's Linux guest (scenario pci-linux, tools/lab/scenarios/25-pci-linux.sh):
# checks the guest kernel's view of vfvm's PCI bus with lspci -vv -nn and sysfs, then pcimem.
# Prints one "pci-linux: PASS|FAIL NAME: detail" line per check and "pci-linux: DONE" at the end.

# Debian's lspci (dynamic; its libraries at the paths ldd named) is /pci/bin/lspci: busybox's
# own lspci applet has no -vv.
LSPCI=/pci/bin/lspci
# Kernel messages on the console would cut these lines in two (enable prints one, for example).
dmesg -n 1
fails=0
check() { # check NAME DETAIL COMMAND...: PASS if COMMAND succeeds
	_n=$1 _d=$2
	shift 2
	if "$@"; then
		echo "pci-linux: PASS $_n: $_d"
	else
		echo "pci-linux: FAIL $_n: $_d"
		fails=$((fails + 1))
	fi
}
# has PATTERN: the lspci output of the device in $LS has a line matching PATTERN (grep -E)
has() { grep -Eq "$1" "$LS"; }

# What the kernel said about PCI (BAR claims, IRQ routing): shown whatever happens, since it is
# what explains a failure.
echo "pci-linux: dmesg:"
dmesg | grep -Ei 'pci|mp-bios|ioapic|bar [0-9]' | sed 's/^/  dmesg| /'
bad=$(dmesg | grep -Ei 'pci .*(no space|can.t claim|failed to assign|conflict)' | head -n 1)
check dmesg-bars "no BAR claim/assignment failure in dmesg${bad:+: $bad}" [ -z "$bad" ]

# Find the devices in sysfs: the host bridge must be 00:00.0, the test device anywhere on bus 0.
br=/sys/bus/pci/devices/0000:00:00.0
check bridge-sysfs "00:00.0 is $(cat $br/vendor 2>/dev/null):$(cat $br/device 2>/dev/null) (want 0x8086:0x1237)" \
	[ "$(cat $br/vendor 2>/dev/null):$(cat $br/device 2>/dev/null)" = 0x8086:0x1237 ]
td=""
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1234:0x7e57 ] && td=$d
done
check testdev-sysfs "test device 1234:7e57 at ${td:-nowhere} (of: $(ls /sys/bus/pci/devices | tr '\n' ' '))" \
	[ -n "$td" ]
if [ -z "$td" ]; then
	echo "pci-linux: DONE $fails failed"
	exit 1
fi
bdf=$(basename "$td")
slot=$((0x$(echo "$bdf" | cut -d: -f3 | cut -d. -f1)))

# Before anything enables it: vfvm programs the BARs but leaves Command 0 (docs/pci.md, Initial
# placement), as on a machine without firmware; lspci then shows the regions [disabled].
$LSPCI -vv -nn -s "${bdf#0000:}" >/tmp/lspci.before 2>/dev/null
check lspci-before-enable "Command 0 before enable: $(grep -o 'Control: I/O. Mem. BusMaster.' /tmp/lspci.before)" \
	grep -q 'Control: I/O- Mem- BusMaster-' /tmp/lspci.before

# pci_enable_device() through sysfs: sets Command.I/O+Memory and routes INTA# (on x86 the IRQ is
# only looked up in the MP table at enable time), which is what a driver's probe would do.
echo 1 >"$td/enable" 2>/dev/null
check enable "echo 1 > $bdf/enable: enable_cnt $(cat "$td/enable")" [ "$(cat "$td/enable")" -ge 1 ]

echo "pci-linux: lspci -vv -nn:"
$LSPCI -vv -nn 2>/tmp/lspci.err >/tmp/lspci.all
st=$?
sed 's/^/  lspci| /' /tmp/lspci.all
check lspci-runs "lspci exit status $st, $(grep -c . /tmp/lspci.all) lines; $(grep -v libkmod /tmp/lspci.err | head -n 1)" \
	[ $st = 0 ]

LS=/tmp/lspci.bridge
$LSPCI -vv -nn -s 00:00.0 >"$LS" 2>/dev/null
check lspci-bridge "00:00.0 Host bridge [0600] 8086:1237 rev 02" \
	has '^00:00\.0 Host bridge \[0600\]: .*\[8086:1237\] \(rev 02\)'

LS=/tmp/lspci.testdev
$LSPCI -vv -nn -s "${bdf#0000:}" >"$LS" 2>/dev/null
check lspci-testdev "${bdf#0000:} class [ff00] 1234:7e57 rev 01" \
	has "^${bdf#0000:} .*\\[ff00\\]: .*\\[1234:7e57\\] \\(rev 01\\)"
check lspci-subsystem "Subsystem 1234:0001" has 'Subsystem: .*\[1234:0001\]'
check lspci-command "Control: I/O+ Mem+ after enable" has 'Control: I/O\+ Mem\+'
check lspci-bar0 "Region 0: I/O ports, 128 bytes" has 'Region 0: I/O ports at [0-9a-f]+ \[size=128\]'
check lspci-bar1 "Region 1: 32-bit non-prefetchable memory, 4K" \
	has 'Region 1: Memory at [0-9a-f]+ \(32-bit, non-prefetchable\) \[size=4K\]'
check lspci-bar2 "Region 2: 64-bit prefetchable memory, 1M" \
	has 'Region 2: Memory at [0-9a-f]+ \(64-bit, prefetchable\) \[size=1M\]'
check lspci-bar4 "Region 4: 32-bit non-prefetchable memory, 4K (MSI-X)" \
	has 'Region 4: Memory at [0-9a-f]+ \(32-bit, non-prefetchable\) \[size=4K\]'
check lspci-rom "Expansion ROM, 2K" has 'Expansion ROM at [0-9a-f]+ .*\[size=2K\]'
check lspci-msi "[40] MSI: Count=1/4 Maskable+ 64bit+" \
	has 'Capabilities: \[40\] MSI: Enable- Count=1/4 Maskable\+ 64bit\+'
check lspci-vendor-cap "[58] Vendor Specific Information Len=07" \
	has 'Capabilities: \[58\] Vendor Specific Information: Len=07'
check lspci-msix "[60] MSI-X: Count=8, table BAR 4 offset 0, PBA BAR 4 offset 0x800" \
	sh -c "grep -Eq 'Capabilities: \\[60\\] MSI-X: Enable- Count=8 ' $LS &&
		grep -Eq 'Vector table: BAR=4 offset=00000000' $LS &&
		grep -Eq 'PBA: BAR=4 offset=00000800' $LS"
# vfvm routes INTA# of slot S to I/O APIC pin 16 + S mod 8 (docs/pci.md, INTx and the MP table);
# Linux takes it from the MP table (--no-acpi: IRQ = pin) or the DSDT's _PRT (ACPI, the default:
# hardware-reduced, so Linux numbers IRQs dynamically, docs/acpi.md) when the device is
# enabled; /sys/kernel/irq/IRQ/hwirq is then the I/O APIC pin.
want=$((16 + slot % 8))
irq=$(sed -n 's/.*Interrupt: pin A routed to IRQ \([0-9]*\).*/\1/p' "$LS")
pin=$(cat "/sys/kernel/irq/${irq:-x}/hwirq" 2>/dev/null)
chip=$(cat "/sys/kernel/irq/${irq:-x}/chip_name" 2>/dev/null)
check lspci-irq "pin A routed to IRQ ${irq:-?}, $chip pin ${pin:-?} (want pin $want; sysfs irq $(cat "$td/irq"))" \
	[ "${pin:-x}" = "$want" -a "$chip" = IO-APIC -a "$(cat "$td/irq")" = "${irq:-x}" ]

# The expansion ROM through sysfs (Linux maps it, checks the 55 AA header and the "PCIR" data
# structure the header points to at 0x18, PCI Firmware 3.0 §5.1): information only.
echo 1 >"$td/rom" 2>/dev/null
romsz=$(cat "$td/rom" 2>/tmp/rom.err | wc -c)
echo "pci-linux: INFO rom: read $romsz bytes of $bdf/rom; $(head -c 2 "$td/rom" 2>/dev/null | od -An -tx1 | tr -d ' \n') $(cat /tmp/rom.err) $(dmesg | grep -i 'rom' | grep "${bdf}" | tail -n 1)"
echo 0 >"$td/rom" 2>/dev/null

# The RAM-backed BAR through resource2, with the device's own exit counter; then MSI-X from
# user space (pcimem programs table entry 0 with a vector no Linux IRQ owns and fires it twice).
/pci/pcimem "$td" >/tmp/pcimem.out || fails=$((fails + 1))
cat /tmp/pcimem.out
# No driver owns the vector, so the kernel reports each arrival (arch/x86/kernel/irq.c,
# common_interrupt): "common_interrupt: 0.208 No irq handler for vector".
sleep 1
vec=$(sed -n 's/^pcimem: msix-vector \([0-9]*\) sent \([0-9]*\)$/\1 \2/p' /tmp/pcimem.out)
set -- $vec
n=$(dmesg | grep -c "\.${1:-x} No irq handler for vector")
check msix-guest-irq "the guest kernel saw vector ${1:-?} arrive $n times (want ${2:-?}): $(dmesg | grep 'No irq handler' | tail -n 1)" \
	[ -n "$vec" -a "$n" = "${2:-x}" ]

echo "pci-linux: DONE $fails failed"
