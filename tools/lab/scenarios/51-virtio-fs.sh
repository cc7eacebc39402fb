# 51-virtio-fs.sh - scenario `virtio-fs`: the Debian guest kernel under vfvm with --share of a lab
# directory (vfvm starts Debian's virtiofsd and hands it guest RAM and the queues by vhost-user).
# The guest's virtiofs driver binds 1af4:105a, mounts the tag, reads a file the lab wrote (and a
# 4 MiB one whose sum it compares), writes a file and a 4 MiB one; after vfvm exits the lab reads
# both with their sums, finds no virtiofsd left running and no socket left behind. A second run
# SIGKILLs virtiofsd while the guest has the share mounted: vfvm must say so in one line and go
# on, the guest's next requests on the share (cat of a new name, ls) must fail with EIO instead
# of hanging, and the guest must still end it. Then --share of a missing directory must fail at once with status 2
# and a line naming it (docs/virtio.md).
lab_timeout=150
lab_devices=""

VL_LOG=/tmp/virtio-fs.log
SHARE=/tmp/vfs-share

# vl_initrd, vl_boot, vl_judge (inside the lab; the host reads this file for lab_devices only).
[ -f /lab/scenarios/vfio-linux.lib ] && . /lab/scenarios/vfio-linux.lib

run() {
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	[ -x /usr/lib/qemu/virtiofsd ] || { lab_fail "no /usr/lib/qemu/virtiofsd in the lab image"; return; }
	rm -rf $SHARE && mkdir -p $SHARE
	echo "written in the lab" >$SHARE/hello.txt
	dd if=/dev/urandom of=$SHARE/big bs=1048576 count=4 2>/dev/null
	want=$(md5sum <$SHARE/big | cut -c1-32)
	cat >/tmp/fs-check.sh <<EOS
want=$want
EOS
	cat >>/tmp/fs-check.sh <<'EOS'
ok() { echo "vt: PASS $1: $2"; }
no() { echo "vt: FAIL $1: $2"; }
d=""
for x in /sys/bus/pci/devices/*; do
	[ "$(cat $x/vendor):$(cat $x/device)" = 0x1af4:0x105a ] && d=$x
done
[ -n "$d" ] || { no found "no 1af4:105a: $(ls /sys/bus/pci/devices | tr '\n' ' ')"; exit; }
ok found "$d, class $(cat $d/class)"
mkdir -p /mnt
mount -t virtiofs share /mnt 2>/tmp/m || { no mount "$(cat /tmp/m) $(dmesg | tail -n 3 | tr '\n' ' ')"; exit; }
ok mount "$(grep virtiofs /proc/mounts)"
[ "$(cat /mnt/hello.txt)" = "written in the lab" ] && ok read "hello.txt: $(cat /mnt/hello.txt)" ||
	no read "hello.txt: '$(cat /mnt/hello.txt 2>&1)'"
got=$(md5sum </mnt/big | cut -c1-32)
[ "$got" = "$want" ] && ok bigread "4 MiB read, md5 $got" || no bigread "md5 $got, want $want"
echo "written in the guest" >/mnt/from-guest.txt && ok write "from-guest.txt" || no write "$(dmesg | tail -n 2 | tr '\n' ' ')"
dd if=/dev/urandom of=/mnt/gbig bs=1048576 count=4 2>/dev/null
echo "vt: gsum $(md5sum </mnt/gbig | cut -c1-32)"
ls /mnt/missing-file 2>/dev/null && no enoent "a missing file was found" || ok enoent "a missing file is not there"
umount /mnt && ok umount "clean" || no umount "$(dmesg | tail -n 2 | tr '\n' ' ')"
irq=$(grep -i 'virtio' /proc/interrupts | grep -i 'msi' | awk '{ s += $2 } END { print s + 0 }')
[ "$irq" -ge 1 ] && ok msix "$irq interrupts on the virtio MSI-X vectors" || no msix "$(grep -i virtio /proc/interrupts | tr '\n' ' ')"
EOS
	why=$(vl_initrd /tmp/fs.cpio /tmp/fs-check.sh virtio_ring virtio virtio_pci_modern_dev \
		virtio_pci_legacy_dev virtio_pci fuse virtiofs) || { lab_fail "$why"; return; }
	# As root: vfvm starts virtiofsd, which needs root for its sandbox (--share with --user
	# is refused; docs/virtio.md).
	vl_boot /tmp/fs.cpio --share $SHARE
	vl_judge found mount read bigread write enoent umount msix || return
	_f=""
	[ "$(cat $SHARE/from-guest.txt 2>/dev/null)" = "written in the guest" ] || _f="$_f from-guest.txt"
	gsum=$(sed -n 's/^vt: gsum //p' $VL_LOG) lsum=$(md5sum <$SHARE/gbig 2>/dev/null | cut -c1-32)
	[ -n "$gsum" ] && [ "$gsum" = "$lsum" ] && echo "gbig: md5 $lsum in the guest and in the lab" ||
		_f="$_f gbig($gsum/$lsum)"
	for p in /proc/[0-9]*; do
		[ "$(cat $p/comm 2>/dev/null)" = virtiofsd ] && _f="$_f virtiofsd-left-running(${p#/proc/})"
	done
	ls -d /tmp/vfvm-fs.* 2>/dev/null && _f="$_f socket-dir-left"
	[ -z "$_f" ] || { lab_fail "after the guest:$_f"; return; }
	# SIGKILL of virtiofsd while the guest has the share mounted: vfvm says so and goes on, the
	# guest's requests then fail with EIO, it still ends vfvm by isa-debug-exit; nothing is left.
	cat >/tmp/fs-kill.sh <<'EOS'
ok() { echo "vt: PASS $1: $2"; }
no() { echo "vt: FAIL $1: $2"; }
leave() { echo "vt: DONE"; printf '\000' | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null; }
mkdir -p /mnt
mount -t virtiofs share /mnt || { no mount "$(dmesg | tail -n 3 | tr '\n' ' ')"; leave; }
ok mount "mounted"
touch /mnt/ready
# The lab kills the daemon now; vfvm then answers every request itself with EIO. A name the
# guest never looked up needs a LOOKUP (no cache can answer it): it must fail, not hang.
sleep 6
out=$(cat /mnt/never-looked-up 2>&1); st=$?
case "$out" in
*"I/O error"*|*"Input/output error"*) ok eio "status $st: $out" ;;
*) no eio "status $st: $out" ;;
esac
out=$(ls /mnt 2>&1); st=$?
[ $st != 0 ] && ok eio-ls "status $st: $out" || no eio-ls "ls succeeded: $out"
ok after "the guest ran on after the kill"
leave
EOS
	why=$(vl_initrd /tmp/fs-kill.cpio /tmp/fs-kill.sh virtio_ring virtio virtio_pci_modern_dev \
		virtio_pci_legacy_dev virtio_pci fuse virtiofs) || { lab_fail "$why"; return; }
	rm -f $SHARE/ready
	( for i in $(seq 1 200); do
		if [ -e $SHARE/ready ]; then
			for p in /proc/[0-9]*; do
				[ "$(cat $p/comm 2>/dev/null)" = virtiofsd ] && kill -9 ${p#/proc/} &&
					echo "lab: virtiofsd (pid ${p#/proc/}) killed"
			done
			break
		fi
		sleep 0.2
	done ) &
	killer=$!
	vl_boot /tmp/fs-kill.cpio --share $SHARE --debug-exit
	wait $killer
	_f=""
	for c in mount eio eio-ls after; do grep -q "^vt: PASS $c:" $VL_LOG || _f="$_f $c"; done
	grep "^vt: FAIL" $VL_LOG
	# One line for the daemon's end, none more from the device about its closed socket.
	grep -q 'virtiofsd exited (signal 9) while the guest ran; the guest.s requests on the share fail with EIO' \
		$VL_LOG || _f="$_f no-vfvm-line"
	grep -q 'vhost-user back end failed' $VL_LOG && _f="$_f second-vfvm-line"
	[ "$(cat $VL_LOG.st)" = 1 ] || _f="$_f vfvm-status($(cat $VL_LOG.st), want 1)"
	ls -d /tmp/vfvm-fs.* 2>/dev/null && _f="$_f socket-dir-left"
	[ -z "$_f" ] || { lab_fail "virtiofsd killed:$_f"; return; }
	# Bad input: a missing directory, before any guest runs.
	out=$("$VFVM" run --kernel /guests/exit.kernel --share /tmp/no-such-dir 2>&1); st=$?
	echo "missing directory: status $st: $out"
	[ $st = 2 ] && echo "$out" | grep -q "no-such-dir" || lab_fail "--share of a missing directory: status $st, '$out'"
}
