# 48-virtio-blk.sh - scenario `virtio-blk`: the Debian guest kernel under vfvm with --disk on a
# 64 MiB raw image in the lab, 2 vCPUs (2 request queues). Boot 1: Debian's virtio_blk driver
# binds 1af4:1042 with MSI-X, /dev/vda has the image's size, serial and queues; mke2fs -t ext4
# (Debian's), files written, unmounted, `reboot -f`. vfvm --reboot restarts the guest; boot 2
# mounts the disk and finds every file intact, then leaves by isa-debug-exit. In the lab,
# e2fsck -fn passes on the image. Then a read-only run (,ro): the guest sees a read-only disk,
# mounts it read-only, its writes are refused, and the image is unchanged (docs/virtio.md).
lab_timeout=240
lab_devices=""

VL_LOG=/tmp/virtio-blk.log
IMG=/tmp/vblk.img
BLK_LIBS="/lib/x86_64-linux-gnu/libext2fs.so.2 /lib/x86_64-linux-gnu/libcom_err.so.2
/lib/x86_64-linux-gnu/libblkid.so.1 /lib/x86_64-linux-gnu/libuuid.so.1 /lib/x86_64-linux-gnu/libe2p.so.2
/lib/x86_64-linux-gnu/libc.so.6 /lib64/ld-linux-x86-64.so.2"

# vl_initrd, vl_boot, vl_judge (inside the lab; the host reads this file for lab_devices only).
[ -f /lab/scenarios/vfio-linux.lib ] && . /lab/scenarios/vfio-linux.lib

# The guest's checks, shared by both runs; $1 is rw or ro.
blk_script() {
	cat <<'EOS'
ok() { echo "vt: PASS $1: $2"; }
no() { echo "vt: FAIL $1: $2"; }
# isa-debug-exit (--debug-exit): a byte to port 0xF4 ends vfvm with status 1.
leave() { echo "vt: DONE"; printf '\000' | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null; }
d=""
for x in /sys/bus/pci/devices/*; do
	[ "$(cat $x/vendor):$(cat $x/device)" = 0x1af4:0x1042 ] && d=$x
done
[ -n "$d" ] || { no found "no 1af4:1042: $(ls /sys/bus/pci/devices | tr '\n' ' ')"; leave; }
ok found "$d, class $(cat $d/class)"
[ -b /dev/vda ] || { no vda "no /dev/vda; $(dmesg | grep -i virtio | tail -n 3 | tr '\n' ' ')"; leave; }
sz=$(cat /sys/block/vda/size) ser=$(cat /sys/block/vda/serial 2>/dev/null)
nq=$(ls -d /sys/block/vda/mq/* | wc -l)
[ "$sz" = 131072 ] && [ "$ser" = vfvm-lab-disk ] && ok disk "/dev/vda: $sz sectors, serial $ser, $nq queues" ||
	no disk "size $sz, serial '$ser', $nq queues"
[ "$nq" = 2 ] && ok mq "$nq request queues" || no mq "$nq request queues, want 2 (--cpus 2)"
mkdir -p /mnt
EOS
	if [ "$1" = rw ]; then
		cat <<'EOS'
if mount -t ext4 /dev/vda /mnt 2>/dev/null; then
	echo "vt: boot 2"
	n=$(ls /mnt/data | wc -l)
	(cd /mnt && md5sum -c sums >/tmp/c 2>&1) && [ "$n" = 65 ] && ok persist "$n files read back, sums $(md5sum </mnt/sums | cut -c1-32)" ||
		no persist "$n files; $(grep -v ': OK' /tmp/c | head -n 3 | tr '\n' ' ')"
	umount /mnt && ok umount "clean" || no umount "umount failed"
	irq=$(grep -i 'virtio' /proc/interrupts | grep -i 'msi' | awk '{ s += $2 + $3 } END { print s + 0 }')
	[ "$irq" -ge 1 ] && ok msix "$irq interrupts on the virtio MSI-X vectors" ||
		no msix "$(grep -i virtio /proc/interrupts | tr '\n' ' ')"
	leave
fi
echo "vt: boot 1"
/vt/mke2fs -q -t ext4 -F /dev/vda >/tmp/mk 2>&1 && ok mkfs "ext4 made" || { no mkfs "$(head -n 3 /tmp/mk | tr '\n' ' ')"; leave; }
mount -t ext4 /dev/vda /mnt || { no mount "$(dmesg | tail -n 3 | tr '\n' ' ')"; leave; }
mkdir /mnt/data
i=0
while [ $i -lt 64 ]; do
	dd if=/dev/urandom of=/mnt/data/f$i bs=4096 count=$((i % 16 + 1)) 2>/dev/null
	i=$((i + 1))
done
dd if=/dev/urandom of=/mnt/data/big bs=1048576 count=8 2>/dev/null
(cd /mnt && md5sum data/* >sums)
n=$(ls /mnt/data | wc -l) sums=$(md5sum </mnt/sums | cut -c1-32)
sync
umount /mnt && ok write "$n files, sums $sums" || no write "umount failed"
EOS
	else
		cat <<'EOS'
[ "$(cat /sys/block/vda/ro)" = 1 ] && ok ro "/sys/block/vda/ro is 1" || no ro "ro $(cat /sys/block/vda/ro)"
mount -t ext4 -o ro,noload /dev/vda /mnt && (cd /mnt && md5sum -c sums >/dev/null 2>&1) &&
	ok read "files intact" || no read "$(dmesg | tail -n 2 | tr '\n' ' ')"
dd if=/dev/zero of=/dev/vda bs=4096 count=1 conv=fsync 2>/dev/null && no refused "a write to /dev/vda succeeded" ||
	ok refused "a write to /dev/vda failed"
mount -o remount,rw /mnt 2>/dev/null && no remount "remounted rw" || ok remount "rw remount refused"
umount /mnt
leave
EOS
	fi
}

# The guest initramfs for run $1: the checks and modules, then Debian's mke2fs with its
# libraries and loader from the lab's own root.
blk_initrd() {
	blk_script "$1" >/tmp/blk-check.sh
	why=$(vl_initrd /tmp/blk-base.cpio /tmp/blk-check.sh virtio_ring virtio virtio_pci_modern_dev \
		virtio_pci_legacy_dev virtio_pci virtio_blk crc16 mbcache jbd2 crc32c_generic ext4) ||
		{ echo "$why"; return 1; }
	rm -rf /tmp/blk-ov && mkdir -p /tmp/blk-ov/vt /tmp/blk-ov/etc
	[ -x /usr/sbin/mke2fs ] || { echo "no /usr/sbin/mke2fs in the lab image (e2fsprogs)"; return 1; }
	cp /usr/sbin/mke2fs /tmp/blk-ov/vt/mke2fs
	cp /etc/mke2fs.conf /tmp/blk-ov/etc/
	# mke2fs's library closure on Debian 12 (the lab has no ldd; guest.mk put these here).
	for lib in $BLK_LIBS; do
		[ -f $lib ] || { echo "no $lib in the lab image (tools/lab/guest/guest.mk)"; return 1; }
		mkdir -p /tmp/blk-ov$(dirname $lib) && cp -L $lib /tmp/blk-ov$lib || return 1
	done
	vl_overlay /tmp/blk-base.cpio /tmp/blk-$1.cpio /tmp/blk-ov
}

run() {
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	[ -x /usr/sbin/e2fsck ] || { lab_fail "no /usr/sbin/e2fsck in the lab image (e2fsprogs)"; return; }
	why=$(blk_initrd rw) || { lab_fail "$why"; return; }
	rm -f $IMG && truncate -s 64M $IMG
	vl_boot /tmp/blk-rw.cpio --cpus 2 --disk $IMG,serial=vfvm-lab-disk --reboot --debug-exit
	_f=""
	for c in found disk mq mkfs write persist umount msix; do
		grep -q "^vt: PASS $c:" $VL_LOG || _f="$_f $c"
	done
	grep -q '^vt: boot 2' $VL_LOG || _f="$_f boot-2"
	s1=$(sed -n 's/^vt: PASS write: .*sums //p' $VL_LOG) s2=$(sed -n 's/^vt: PASS persist: .*sums //p' $VL_LOG)
	[ -n "$s1" ] && [ "$s1" = "$s2" ] || _f="$_f sums($s1/$s2)"
	[ "$(cat $VL_LOG.st)" = 1 ] || _f="$_f vfvm-status($(cat $VL_LOG.st), want 1)"
	/usr/sbin/e2fsck -fn $IMG >/tmp/fsck.log 2>&1 && echo "e2fsck -fn: clean: $(tail -n 1 /tmp/fsck.log)" ||
		{ _f="$_f e2fsck"; sed 's/^/    fsck: /' /tmp/fsck.log | head -n 20; }
	[ -z "$_f" ] || { lab_fail "rw run failed:$_f; $(grep -E '^vt: FAIL' $VL_LOG | head -n 1)"; return; }

	why=$(blk_initrd ro) || { lab_fail "$why"; return; }
	sum=$(md5sum <$IMG)
	vl_boot /tmp/blk-ro.cpio --cpus 2 --disk $IMG,ro,serial=vfvm-lab-disk --debug-exit
	_f=""
	for c in found disk ro read refused remount; do
		grep -q "^vt: PASS $c:" $VL_LOG || _f="$_f $c"
	done
	[ "$(md5sum <$IMG)" = "$sum" ] || _f="$_f image-changed"
	[ "$(cat $VL_LOG.st)" = 1 ] || _f="$_f vfvm-status($(cat $VL_LOG.st), want 1)"
	[ -z "$_f" ] || lab_fail "ro run failed:$_f; $(grep -E '^vt: FAIL' $VL_LOG | head -n 1)"
}
