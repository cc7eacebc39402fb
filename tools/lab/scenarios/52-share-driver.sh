# 52-share-driver.sh - scenario `share-driver`: the driver developer's loop (docs/passthrough.md).
# The lab's e1000e NIC (0000:00:04.0) is passed through to the Debian guest, whose initramfs has
# no e1000e driver: the module comes from the host through `--share` (virtio-fs), as one just
# built would. The guest mounts the share, insmods e1000e.ko from it, the driver binds the real
# device, brings the link up and pings the lab's peer NIC; the guest writes its dmesg and the
# module's sum back into the share, where the lab reads them after vfvm exits.
lab_timeout=150
lab_devices=""

VL_BDF=0000:00:04.0
VL_PEER=0000:00:09.0
VL_LOG=/tmp/share-driver.log
SHARE=/tmp/share-driver

# vl_initrd, vl_boot, vl_judge, vl_peer (inside the lab; the host reads this file for lab_devices).
[ -f /lab/scenarios/vfio-linux.lib ] && . /lab/scenarios/vfio-linux.lib

run() {
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	[ -f /guest/modules/e1000e.ko ] || { lab_fail "no /guest/modules/e1000e.ko in the lab image"; return; }
	why=$(vl_peer) || { lab_fail "$why"; return; }
	echo "$why"
	# Broadcast frames from the peer for the whole boot (the guest's stack ignores them): a
	# passed-through NIC that was handed over with its receive unit still on (issue 15: the
	# lab's PM reset is none) DMAs each into its stale ring the moment Bus Master comes on.
	ping -q -i 0.05 10.0.9.255 >/dev/null 2>&1 &
	_noise=$!
	rm -rf $SHARE && mkdir -p $SHARE/build
	cp /guest/modules/e1000e.ko $SHARE/build/
	sum=$(md5sum <$SHARE/build/e1000e.ko | cut -c1-32)
	cat >/tmp/share-driver-check.sh <<'EOS'
ok() { echo "vt: PASS $1: $2"; }
no() { echo "vt: FAIL $1: $2"; }
mkdir -p /mnt
mount -t virtiofs share /mnt || { no mount "$(dmesg | tail -n 3 | tr '\n' ' ')"; exit; }
ok mount "the host's build directory on /mnt"
grep -q '^e1000e ' /proc/modules && { no fresh "e1000e is loaded before the test"; exit; }
d=""
for x in /sys/bus/pci/devices/*; do
	[ "$(cat $x/vendor):$(cat $x/device)" = 0x8086:0x10d3 ] && d=$x
done
# The device as vfvm hands it over, before any driver: a reset device has its receive and
# transmit units off (82574 datasheet §10.2: RCTL.EN bit 1, TCTL.EN bit 1) and no rings.
bar=$(($(cut -d' ' -f1 $d/resource | head -n 1)))
echo 1 >$d/enable
regs=""
for r in 0x0 0x8 0xd0 0x100 0x400 0x2800 0x2804 0x2808 0x2810 0x2818 0x3800 0x3808 0x3810 0x3818; do
	regs="$regs $r=$(devmem $((bar + r)) 32)"
done
rctl=$(devmem $((bar + 0x100)) 32) tctl=$(devmem $((bar + 0x400)) 32)
[ $((rctl & 2)) = 0 ] && [ $((tctl & 2)) = 0 ] && ok quiet "receive and transmit off at hand-over" ||
	no quiet "handed over with RCTL $rctl TCTL $tctl: the device DMAs once Bus Master is on"
# Bus Master on for a second with no driver (Command through sysfs config; vfvm forwards it):
# a device handed over receiving moves its ring head (RDH) and counts frames (GPRC, cleared
# on read), each one DMAed into the old ring's address in this guest's memory.
h0=$(devmem $((bar + 0x2810)) 32) g0=$(devmem $((bar + 0x4074)) 32)
printf '\006' | dd of=$d/config bs=1 seek=4 count=1 conv=notrunc 2>/dev/null
sleep 1
h1=$(devmem $((bar + 0x2810)) 32) g1=$(devmem $((bar + 0x4074)) 32)
printf '\002' | dd of=$d/config bs=1 seek=4 count=1 conv=notrunc 2>/dev/null
echo 0 >$d/enable
echo "vt: INFO e1000e before the driver:$regs"
echo "vt: INFO e1000e with Bus Master on for 1 s and no driver: RDH $h0 -> $h1, frames $g0 + $g1"
[ "$h0" = "$h1" ] && [ $((g1)) = 0 ] && ok nodma "no frame DMAed with Bus Master on and no driver" ||
	no nodma "with Bus Master on and no driver: RDH $h0 -> $h1, $((g1)) frames DMAed"
insmod /mnt/build/e1000e.ko || { no insmod "$(dmesg | tail -n 3 | tr '\n' ' ')"; exit; }
ok insmod "e1000e.ko from the share, $(md5sum </mnt/build/e1000e.ko | cut -c1-32)"
for i in $(seq 1 50); do [ -d $d/net ] && break; sleep 0.2; done
drv=$(basename "$(readlink $d/driver)" 2>/dev/null)
if=$(ls $d/net 2>/dev/null | head -n 1)
[ "$drv" = e1000e ] && [ -n "$if" ] && ok bound "driver $drv from the share, interface $if" ||
	{ no bound "driver '$drv', interface '$if'"; exit; }
ip link set lo up
ip addr add 10.0.9.2/24 dev $if
ip link set $if up
for i in $(seq 1 100); do [ "$(cat /sys/class/net/$if/carrier 2>/dev/null)" = 1 ] && break; sleep 0.2; done
ping -c 3 -W 5 10.0.9.1 >/tmp/ping 2>&1
got=$(sed -n 's/.* \([0-9]*\) packets received.*/\1/p' /tmp/ping)
[ "${got:-0}" -ge 1 ] && ok ping "$got of 3 echo replies from the lab's peer NIC" || no ping "no echo reply: $(cat /tmp/ping | tr '\n' ' ')"
dmesg >/mnt/dmesg.txt
md5sum </mnt/build/e1000e.ko | cut -c1-32 >/mnt/guest-sum
umount /mnt && ok umount "clean" || no umount "$(dmesg | tail -n 2 | tr '\n' ' ')"
EOS
	why=$(vl_initrd /tmp/share-driver.cpio /tmp/share-driver-check.sh virtio_ring virtio \
		virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci fuse virtiofs) ||
		{ kill $_noise 2>/dev/null; lab_fail "$why"; return; }
	# The e1000e's MSI-X programming, BAR placement and VFIO interrupt set-up, kept for a FAIL
	# (issue 15: the stops came right after the driver enabled MSI-X).
	_tr=/tmp/share-driver.trace
	vl_boot /tmp/share-driver.cpio --device vfio,host=$VL_BDF --share $SHARE \
		--trace $_tr --trace-filter dev=$VL_BDF,kind=msi,vfio,bar,reset
	echo "trace: $(wc -l <$_tr) lines; msi/vfio lines:"
	grep -v '"ev":"access"' $_tr | grep -E '"kind":"(msi|vfio)"|"ev":"(map|unmap)"' | tail -n 60 | sed 's/^/    /'
	kill $_noise 2>/dev/null
	vl_judge mount quiet nodma insmod bound ping umount || { grep -c '"ev":"access"' $_tr | sed 's/^/trace: bar accesses: /'; return 1; }
	_f=""
	[ "$(cat $SHARE/guest-sum 2>/dev/null)" = "$sum" ] || _f="$_f module-sum($(cat $SHARE/guest-sum 2>/dev/null)/$sum)"
	grep -q 'e1000e.*Intel(R) PRO/1000 Network Connection' $SHARE/dmesg.txt 2>/dev/null ||
		_f="$_f dmesg.txt"
	[ -z "$_f" ] && echo "the guest's dmesg is in the share: $(grep -c e1000e $SHARE/dmesg.txt) e1000e lines" ||
		lab_fail "after the guest:$_f"
}
