# 21-linux-smp.sh - scenario `linux-smp`: the Debian guest kernel under vfvm with --cpus 2, on
# both machines: ACPI (the default; Linux finds the CPUs in the MADT) and --no-acpi (the MP
# table). Linux must find both CPUs, start the AP through the in-kernel LAPIC's INIT/SIPI,
# run its local timer on both CPUs and route device interrupts through vfvm's I/O APIC.
# In the default run again since 2026-12-06 (docs/lab.md: it was opt-in after a stop of the
# whole lab machine before AP bring-up, issue 15, which has not recurred since).
lab_timeout=150
lab_devices=""

VL_LOG=/tmp/linux-smp.log

# vl_initrd, vl_boot, vl_judge (inside the lab; the host reads this file for lab_devices only).
[ -f /lab/scenarios/vfio-linux.lib ] && . /lab/scenarios/vfio-linux.lib

run() {
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	cat >/tmp/smp-check.sh <<'EOF'
ok() { echo "vt: PASS $1: $2"; }
no() { echo "vt: FAIL $1: $2"; }
n=$(grep -c ^processor /proc/cpuinfo)
[ "$n" = 2 ] && ok cpus "$n CPUs online" || no cpus "$n CPUs online, want 2"
t=$(dmesg | grep -o 'Total of [0-9]* processors activated')
[ "$t" = "Total of 2 processors activated" ] && ok smpboot "$t" ||
	no smpboot "'$t'; $(dmesg | grep -iE 'smp|apic' | tail -n 4 | tr '\n' ' ')"
# Which table the CPUs came from: the MADT on the ACPI machine, the MP table with --no-acpi.
if [ "${mode:-}" = noacpi ]; then
	dmesg | grep -q 'MPTABLE\|MP-table\|found SMP MP-table' && ok smp_table "$(dmesg | grep -i 'MP-table' | head -n 1)" ||
		no smp_table "--no-acpi: no MP-table line in dmesg"
	dmesg | grep -q 'ACPI: RSDP' && no no_acpi "--no-acpi, yet: $(dmesg | grep 'ACPI: RSDP')" ||
		ok no_acpi "no ACPI tables found"
else
	dmesg | grep -q 'ACPI (MADT) for SMP' && ok smp_table "$(dmesg | grep 'ACPI (MADT) for SMP' | head -n 1)" ||
		no smp_table "ACPI machine: no 'Using ACPI (MADT) for SMP' in dmesg"
	ok no_acpi "(ACPI machine)"
fi
sleep 1
set -- $(awk '/LOC:/ { print $2, $3 }' /proc/interrupts)
[ "${1:-0}" -gt 0 ] && [ "${2:-0}" -gt 0 ] && ok local_timers "LOC: $1 $2" ||
	no local_timers "LOC: '${1:-}' '${2:-}'"
io=$(grep -c 'IO-APIC' /proc/interrupts)
[ "$io" -gt 0 ] && ok ioapic "$io interrupt lines through the IO-APIC" || no ioapic "none in /proc/interrupts"
grep -E 'LOC|IO-APIC' /proc/interrupts
EOF
	why=$(vl_initrd /tmp/linux-smp.cpio /tmp/smp-check.sh) || { lab_fail "$why"; return; }
	vl_boot /tmp/linux-smp.cpio --cpus 2
	vl_judge cpus smpboot smp_table no_acpi local_timers ioapic || return
	# The same on the MP-table machine; mode=noacpi tells the check.
	{ echo mode=noacpi; cat /tmp/smp-check.sh; } >/tmp/smp-check-noacpi.sh
	why=$(vl_initrd /tmp/linux-smp-noacpi.cpio /tmp/smp-check-noacpi.sh) || { lab_fail "$why"; return; }
	VL_LOG=/tmp/linux-smp-noacpi.log
	vl_boot /tmp/linux-smp-noacpi.cpio --cpus 2 --no-acpi
	vl_judge cpus smpboot smp_table no_acpi local_timers ioapic
}
