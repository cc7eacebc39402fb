# 47-virtio-rng.sh - scenario `virtio-rng`: the Debian guest kernel under vfvm with --device
# virtio-rng. Its own virtio_pci driver must bind the modern transport (1af4:1044, MSI-X) and
# virtio-rng must become the current hwrng; reads of /dev/hwrng return bytes that are not all
# alike, the queue's interrupts arrive by MSI-X, and vfvm ends with status 0 (docs/virtio.md).
lab_timeout=90
lab_devices=""

VL_LOG=/tmp/virtio-rng.log

# vl_initrd, vl_boot, vl_judge (inside the lab; the host reads this file for lab_devices only).
[ -f /lab/scenarios/vfio-linux.lib ] && . /lab/scenarios/vfio-linux.lib

run() {
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	cat >/tmp/rng-check.sh <<'EOS'
ok() { echo "vt: PASS $1: $2"; }
no() { echo "vt: FAIL $1: $2"; }
d=""
for x in /sys/bus/pci/devices/*; do
	[ "$(cat $x/vendor):$(cat $x/device)" = 0x1af4:0x1044 ] && d=$x
done
[ -n "$d" ] || { no found "no 1af4:1044 on the guest's bus: $(ls /sys/bus/pci/devices | tr '\n' ' ')"; exit; }
ok found "$d, revision $(cat $d/revision), class $(cat $d/class)"
drv=$(basename "$(readlink $d/driver)")
[ "$drv" = virtio-pci ] && ok bound "virtio-pci" || no bound "driver '$drv'; $(dmesg | grep -i virtio | tail -n 3 | tr '\n' ' ')"
cur=$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)
case "$cur" in virtio_rng*) ok current "rng_current $cur" ;; *) no current "rng_current '$cur'" ;; esac
dd if=/dev/hwrng of=/tmp/r bs=512 count=8 2>/dev/null
n=$(wc -c </tmp/r)
distinct=$(od -An -v -tx1 /tmp/r | tr ' ' '\n' | grep . | sort -u | wc -l)
[ "$n" = 4096 ] && [ "$distinct" -ge 200 ] && ok read "$n bytes, $distinct distinct byte values" ||
	no read "$n bytes, $distinct distinct byte values"
irq=$(grep -i 'virtio' /proc/interrupts | grep -i 'msi' | awk '{ s += $2 } END { print s + 0 }')
[ "$irq" -ge 1 ] && ok msix "$irq interrupts on the virtio MSI-X vectors" ||
	no msix "$(grep -i virtio /proc/interrupts | tr '\n' ' ')"
EOS
	why=$(vl_initrd /tmp/virtio-rng.cpio /tmp/rng-check.sh virtio_ring virtio virtio_pci_modern_dev \
		virtio_pci_legacy_dev virtio_pci virtio-rng) || { lab_fail "$why"; return; }
	vl_boot /tmp/virtio-rng.cpio --device virtio-rng
	vl_judge found bound current read msix
}
