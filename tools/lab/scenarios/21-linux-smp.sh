# 21-linux-smp.sh - scenario `linux-smp`: the Debian guest kernel under vfvm with --cpus 2. Linux
# must find both CPUs in vfvm's MP table, start the AP through the in-kernel LAPIC's INIT/SIPI,
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
if ! dmesg | grep -q 'ACPI (MADT) for SMP'; then
	dmesg | grep -q 'MPTABLE\|MP-table\|found SMP MP-table' && ok mptable "$(dmesg | grep -i 'MP-table' | head -n 1)" ||
		no mptable "no MP-table line in dmesg"
else
	ok mptable "vfvm --acpi: $(dmesg | grep 'ACPI (MADT) for SMP' | head -n 1)"
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
	vl_judge cpus smpboot mptable local_timers ioapic
}
