# 45-vfio-ivshmem.sh - scenario `vfio-ivshmem`: ivshmem-plain (0000:00:06.0, a 256 MiB 64-bit
# prefetchable BAR2 backed by a memfd in QEMU) passed through to the Debian guest kernel under
# vfvm. The guest must see BAR2 above 4 GiB with its size and flags in sysfs, read through
# /dev/mem (busybox devmem) the word the lab wrote into the BAR before the run, and write words
# the lab reads back after vfvm exited: both sides touch the same device memory, so the BAR is
# the device's and not a copy. edu (0000:00:03.0, another IOMMU group) is passed to the same VM
# too, and must answer through its BAR0. docs/passthrough-tests.md.
lab_timeout=150
lab_devices=""

VL_BDF=0000:00:06.0
VL_LOG=/tmp/vfio-ivshmem.log
VL_FROM_LAB=0x1abc0ded
VL_FROM_GUEST=0x6e57c0de

# vl_initrd, vl_boot, vl_judge (inside the lab; the host reads this file for lab_devices only).
[ -f /lab/scenarios/vfio-linux.lib ] && . /lab/scenarios/vfio-linux.lib

# vl_lab_bar2: the lab's physical address of the device's BAR2 (sysfs resource, line 3).
vl_lab_bar2() {
	sed -n 3p /sys/bus/pci/devices/$VL_BDF/resource | cut -d' ' -f1
}

run() {
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	bar=$(vl_lab_bar2)
	[ -n "$bar" ] && [ "$((bar))" != 0 ] || { lab_fail "no BAR2 address for $VL_BDF in the lab"; return; }
	devmem $((bar + 0x1000)) 32 $VL_FROM_LAB
	devmem $((bar + 0x2000)) 32 0
	got=$(devmem $((bar + 0x1000)) 32)
	echo "lab: BAR2 at $bar; wrote $VL_FROM_LAB at +0x1000, reads $got"
	[ "$((got))" = "$((VL_FROM_LAB))" ] ||
		{ lab_fail "the lab itself cannot write ivshmem BAR2 through /dev/mem (reads $got)"; return; }
	sed "s/@FROM_LAB@/$VL_FROM_LAB/g; s/@FROM_GUEST@/$VL_FROM_GUEST/g" >/tmp/ivshmem-check.sh <<'EOS'
ok() { echo "vt: PASS $1: $2"; }
no() { echo "vt: FAIL $1: $2"; }
d=""
for x in /sys/bus/pci/devices/*; do
	[ "$(cat $x/vendor):$(cat $x/device)" = 0x1af4:0x1110 ] && d=$x
done
[ -n "$d" ] || { no found "no 1af4:1110 on the guest's bus: $(ls /sys/bus/pci/devices | tr '\n' ' ')"; exit; }
ok found "$d"
set -- $(sed -n 3p $d/resource)
start=$1 end=$2 flags=$3
echo "vt: BAR2 $start-$end flags $flags"
[ $((start >> 32)) -ge 1 ] && ok above4g "BAR2 at $start" || no above4g "BAR2 at $start, below 4 GiB"
[ $((end - start + 1)) = $((256 << 20)) ] && ok size "256 MiB" || no size "size $((end - start + 1))"
# IORESOURCE_MEM_64 (0x100000) and IORESOURCE_PREFETCH (0x2000), include/linux/ioport.h.
[ $((flags & 0x102000)) = $((0x102000)) ] && ok flags "64-bit prefetchable" || no flags "flags $flags"
echo 1 >$d/enable
got=$(devmem $((start + 0x1000)) 32)
[ "$((got))" = "$((@FROM_LAB@))" ] && ok lab-word "read @FROM_LAB@ the lab wrote" ||
	no lab-word "read $got at BAR2+0x1000, the lab wrote @FROM_LAB@"
devmem $((start + 0x2000)) 32 @FROM_GUEST@
last=$((end - 3))
devmem $last 32 0x1a57
a=$(devmem $((start + 0x2000)) 32)
b=$(devmem $last 32)
[ "$((a))" = "$((@FROM_GUEST@))" ] && [ "$((b))" = $((0x1a57)) ] && ok readback "first page and last word" ||
	no readback "read $a and $b back"
# A second passed device in its own IOMMU group, in the same VM (one container, two groups):
# edu's identification register through its BAR0.
e=""
for x in /sys/bus/pci/devices/*; do
	[ "$(cat $x/vendor):$(cat $x/device)" = 0x1234:0x11e8 ] && e=$x
done
if [ -n "$e" ]; then
	echo 1 >$e/enable
	id=$(devmem $(sed -n 1p $e/resource | cut -d' ' -f1) 32)
	[ "$((id))" = $((0x010000ed)) ] && ok second-device "edu at $e, ident $id" ||
		no second-device "edu at $e, ident $id"
else
	no second-device "no 1234:11e8 on the guest's bus"
fi
EOS
	why=$(vl_initrd /tmp/vfio-ivshmem.cpio /tmp/ivshmem-check.sh) || { lab_fail "$why"; return; }
	vl_boot /tmp/vfio-ivshmem.cpio --device vfio,host=$VL_BDF --device vfio,host=0000:00:03.0
	vl_judge found above4g size flags lab-word readback second-device || return
	got=$(devmem $((bar + 0x2000)) 32)
	echo "lab: BAR2+0x2000 after the run: $got"
	[ "$((got))" = "$((VL_FROM_GUEST))" ] ||
		lab_fail "the guest's write is not in the device: the lab reads $got at BAR2+0x2000"
}
