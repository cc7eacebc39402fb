# 22-linux-acpi.sh - scenario `linux-acpi`: the Debian guest kernel under vfvm --acpi --cpus 2.
# Linux must take vfvm's ACPI tables (RSDP, XSDT, FADT, MADT, MCFG, DSDT: docs/acpi.md), bring
# up both CPUs from the MADT, use ECAM ("PCI: MMCONFIG ... reserved as ACPI motherboard
# resource" or "as E820 entry") for the extended configuration space and find \_SB.PCI0 as
# its host bridge, with the windows and the COM ports the DSDT lists.
lab_timeout=90
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
		ext_ecam acpi_errors
}
