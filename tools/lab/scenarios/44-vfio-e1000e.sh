# 44-vfio-e1000e.sh - scenario `vfio-e1000e`: the lab's e1000e NIC (0000:00:04.0, MSI-X) passed
# through to the Debian guest kernel under vfvm. Its peer is a second e1000e on the same QEMU hub
# (0000:00:09.0), which this scenario takes back from vfio-pci and gives to the lab kernel's own
# e1000e driver with 10.0.9.1/24; the guest's e1000e driver must bind, bring the link up with
# 10.0.9.2/24 and ping the lab through the hub; its option ROM must read as in the lab. Nothing
# leaves QEMU. docs/passthrough-tests.md.
lab_timeout=150
lab_devices="
e1000e-peer	09 -netdev hubport,id=labnet9,hubid=0 -device e1000e,addr=09.0,netdev=labnet9
"

VL_BDF=0000:00:04.0
VL_PEER=0000:00:09.0
VL_LOG=/tmp/vfio-e1000e.log

# vl_initrd, vl_boot, vl_judge (inside the lab; the host reads this file for lab_devices only).
[ -f /lab/scenarios/vfio-linux.lib ] && . /lab/scenarios/vfio-linux.lib

run() {
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	[ -f /guest/modules/e1000e.ko ] || { lab_fail "no /guest/modules/e1000e.ko in the lab image"; return; }
	why=$(vl_peer) || { lab_fail "$why"; return; }
	echo "$why"
	# The option ROM (QEMU's efi-e1000e.rom) as the lab reads it, for the guest to compare.
	echo 1 >/sys/bus/pci/devices/$VL_BDF/rom
	rom=$(md5sum </sys/bus/pci/devices/$VL_BDF/rom | cut -d' ' -f1)
	echo 0 >/sys/bus/pci/devices/$VL_BDF/rom
	echo "lab: $VL_BDF option ROM md5 $rom"
	sed "s/@ROM_MD5@/$rom/g" >/tmp/e1000e-check.sh <<'EOS'
ok() { echo "vt: PASS $1: $2"; }
no() { echo "vt: FAIL $1: $2"; }
d=""
for x in /sys/bus/pci/devices/*; do
	[ "$(cat $x/vendor):$(cat $x/device)" = 0x8086:0x10d3 ] && d=$x
done
[ -n "$d" ] || { no found "no 8086:10d3 on the guest's bus: $(ls /sys/bus/pci/devices | tr '\n' ' ')"; exit; }
ok found "$d"
for i in $(seq 1 50); do [ -d $d/net ] && break; sleep 0.2; done
drv=$(basename "$(readlink $d/driver)" 2>/dev/null)
if=$(ls $d/net 2>/dev/null | head -n 1)
[ "$drv" = e1000e ] && [ -n "$if" ] && ok bound "driver $drv, interface $if" ||
	{ no bound "driver '$drv', interface '$if'"; dmesg | tail -n 15; exit; }
ip link set lo up
ip addr add 10.0.9.2/24 dev $if
ip link set $if up
for i in $(seq 1 100); do [ "$(cat /sys/class/net/$if/carrier 2>/dev/null)" = 1 ] && break; sleep 0.2; done
[ "$(cat /sys/class/net/$if/carrier 2>/dev/null)" = 1 ] && ok link "carrier up, $(cat /sys/class/net/$if/speed 2>/dev/null) Mb/s" ||
	{ no link "no carrier on $if after 20 s"; exit; }
# msi_irqs/<irq> holds "msi" or "msix" (a directory with a mode file before Linux 3.18).
modes=$(for f in $d/msi_irqs/*; do [ -d $f ] && f=$f/mode; cat $f; done 2>/dev/null | sort -u | tr '\n' ' ')
[ "$modes" = "msix " ] && ok msix "msi_irqs mode: $modes" || no msix "msi_irqs mode: '$modes'"
# rombar=1 (the default): the ROM BAR shows the device's own ROM, signature 55 AA (PCI
# Firmware 3.0 §5.1), the same bytes the lab reads.
echo 1 >$d/rom
sig=$(head -c 2 $d/rom | od -An -tx1 | tr -d ' \n')
md5=$(md5sum <$d/rom | cut -d' ' -f1)
[ "$sig" = 55aa ] && [ "$md5" = @ROM_MD5@ ] && ok rom "signature $sig, md5 $md5 as in the lab" ||
	no rom "signature '$sig', md5 $md5; the lab's is @ROM_MD5@"
echo 0 >$d/rom
ping -c 3 -W 5 10.0.9.1 >/tmp/ping 2>&1
cat /tmp/ping
got=$(sed -n 's/.* \([0-9]*\) packets received.*/\1/p' /tmp/ping)
[ "${got:-0}" -ge 1 ] && ok ping "$got of 3 echo replies from 10.0.9.1" || no ping "no echo reply from 10.0.9.1"
grep -E 'eth|e1000e' /proc/interrupts
EOS
	why=$(vl_initrd /tmp/vfio-e1000e.cpio /tmp/e1000e-check.sh e1000e) || { lab_fail "$why"; return; }
	vl_boot /tmp/vfio-e1000e.cpio --device vfio,host=$VL_BDF
	vl_judge found bound link msix rom ping
}
