# 50-virtio-blk-root.sh - scenario `virtio-blk-root`: the Debian guest's root file system on a
# virtio-blk disk. The lab makes an ext4 image holding busybox and an /sbin/init (Debian's
# mke2fs -d); the guest boots with root=/dev/vda and a small initramfs that, as Debian's
# initramfs-tools does, loads virtio_blk and ext4, mounts the root= device and switch_roots to
# its /sbin/init. That init must run as PID 1 with / on /dev/vda (ext4, rw) and write a file;
# after vfvm exits, e2fsck -fn on the image passes (docs/virtio.md, "Booting from a disk").
lab_timeout=150
lab_devices=""

VL_LOG=/tmp/virtio-blk-root.log
IMG=/tmp/vblk-root.img

[ -f /lab/scenarios/vfio-linux.lib ] && . /lab/scenarios/vfio-linux.lib

MODS="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk crc16
mbcache jbd2 crc32c_generic ext4"

run() {
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	[ -x /usr/sbin/mke2fs ] && [ -x /usr/sbin/e2fsck ] || { lab_fail "no mke2fs/e2fsck in the lab image"; return; }
	# The root file system: static busybox and an init that reports where / is.
	r=/tmp/rootfs
	rm -rf $r && mkdir -p $r/bin $r/sbin $r/proc $r/sys $r/dev $r/tmp
	cp /bin/busybox $r/bin/busybox
	for a in sh mount umount cat echo awk dd printf sync grep; do ln -s busybox $r/bin/$a; done
	cat >$r/sbin/init <<'EOF'
#!/bin/sh
mount -t proc proc /proc
echo "vt: root init pid $$, / is $(awk '$2 == "/" { print $1, $3, substr($4, 1, 2) }' /proc/mounts)"
echo "written by the root file system's init" >/from-root && sync && echo "vt: root wrote /from-root"
echo "vt: DONE"
printf '\000' | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
EOF
	chmod 755 $r/sbin/init
	rm -f $IMG && truncate -s 32M $IMG
	/usr/sbin/mke2fs -q -t ext4 -d $r -F $IMG || { lab_fail "mke2fs -d failed"; return; }
	# The initramfs: modules, then mount root= and switch_root (busybox, as PID 1).
	ov=/tmp/root-ov
	rm -rf $ov && mkdir -p $ov/vt
	for m in $MODS; do
		cp /guest/modules/$m.ko $ov/vt/ || { lab_fail "no /guest/modules/$m.ko"; return; }
	done
	echo $MODS >$ov/vt/modules
	cat >$ov/init <<'EOF'
#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo VFVM-GUEST-INIT-OK
for m in $(cat /vt/modules); do insmod /vt/$m.ko || echo "vt: FAIL insmod $m"; done
root=$(sed -n 's/.*root=\([^ ]*\).*/\1/p' /proc/cmdline)
echo "vt: initramfs: root=$root"
mkdir -p /newroot
mount -t ext4 -o rw "$root" /newroot || { echo "vt: FAIL mount $root"; reboot -f; }
umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot /sbin/init
EOF
	chmod 755 $ov/init
	vl_overlay /guest/run.cpio /tmp/root.cpio $ov
	guest_append="$guest_append root=/dev/vda"
	vl_boot /tmp/root.cpio --disk $IMG --debug-exit
	_f=""
	grep -q '^vt: root init pid 1, / is /dev/vda ext4 rw$' $VL_LOG || _f="$_f root-init"
	grep -q '^vt: root wrote /from-root' $VL_LOG || _f="$_f write"
	[ "$(cat $VL_LOG.st)" = 1 ] || _f="$_f vfvm-status($(cat $VL_LOG.st), want 1)"
	/usr/sbin/e2fsck -fn $IMG >/tmp/fsck-root.log 2>&1 && echo "e2fsck -fn: clean: $(tail -n 1 /tmp/fsck-root.log)" ||
		{ _f="$_f e2fsck"; sed 's/^/    fsck: /' /tmp/fsck-root.log | head -n 20; }
	[ -z "$_f" ] || lab_fail "failed:$_f; $(grep -E '^vt: (FAIL|root)' $VL_LOG | head -n 1)"
}
