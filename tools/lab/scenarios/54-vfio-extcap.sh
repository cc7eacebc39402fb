# 54-vfio-extcap.sh - scenario `vfio-extcap`: the PCI Express extended capabilities (config
# 0x100-0xFFF) of passed-through devices, read by the Debian guest through vfvm's ECAM (--acpi).
# The lab's e1000e (QEMU 7.2: AER at 0x100, Device Serial Number at 0x140), its nvme (none) and
# an nvme with SR-IOV added here (ARI at 0x100, SR-IOV at 0x120) go to one guest at their lab
# addresses. The lab walks each device's chain in its own config space; the guest must see
# exactly the capabilities docs/passthrough.md section 4a keeps (DSN, Vendor-Specific, LTR,
# Resizable BAR), at the lab's offsets and with the lab's contents, none of the hidden ones, a
# Null capability at 0x100 pointing at the first kept one when 0x100's is hidden, and a zero
# header when nothing is kept; lspci -vvv in the guest must agree. Then the same guest runs
# under QEMU's vfio-pci (machine.conf's guest_qemu, q35): its chains must be the lab's minus
# what QEMU drops (ID 0, SR-IOV, ARI), the difference docs/passthrough.md section 4a describes.
lab_timeout=240
lab_devices="
nvme-sriov	0a -device nvme-subsys,id=extsub -device nvme,addr=0a.0,serial=extcap01,subsys=extsub,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2,max_ioqpairs=6,msix_qsize=4
"

EC_DEVS="e1000e=0000:00:04.0 nvme=0000:00:05.0 nvmesriov=0000:00:0a.0"
VL_LOG=/tmp/vfio-extcap.log

# vl_initrd, vl_boot, vl_judge (inside the lab; the host reads this file for lab_devices only).
[ -f /lab/scenarios/vfio-linux.lib ] && . /lab/scenarios/vfio-linux.lib

# The chain walker both sides use (busybox sh): "OFF ID VER" per entry, hex; at most 64 hops,
# stops at a next pointer below 0x100 (PCIe Base 5.0 §7.6.3 header: ID 15:0, version 19:16,
# next 31:20, bits 1:0 of next masked).
EC_LIB='
ec_dw() { printf "%08x" $((0x$(od -An -tx4 -j $(($2)) -N 4 $1 | tr -d " \n"))); }
ec_walk() {
	_o=256 _n=0
	while [ $_o -ge 256 ] && [ $_n -lt 64 ]; do
		_h=$((0x$(ec_dw $1 $_o)))
		[ $_h = 0 ] && break
		printf "%03x:%04x:%x\n" $_o $((_h & 0xffff)) $(((_h >> 16) & 0xf))
		_o=$(((_h >> 20) & 0xffc)) _n=$((_n + 1))
	done
}
'
eval "$EC_LIB"

# ec_qemu NAME BDF: the chain QEMU's vfio_add_ext_cap shows: all but IDs 0, SR-IOV and ARI
# (and a ReBAR it cannot reduce: none here), a Null head when 0x100's is dropped; "-" for none.
ec_qemu() {
	_c="" _first=1
	for _e in $(ec_walk /sys/bus/pci/devices/$2/config); do
		case $(echo $_e | cut -d: -f2) in
		0000|0010|000e) ;;
		*)	[ $_first = 1 ] && [ ${_e%%:*} != 100 ] && _c="100:0000:0"
			_c="$_c $_e" _first=0 ;;
		esac
	done
	echo "$1 $(echo ${_c:--} | tr ' ' ,)"
}

# ec_expect NAME BDF: the guest's chain by the policy (kept: DSN 0003, VSEC 000b, LTR 0018,
# ReBAR 0015), with a Null head when the lab's 0x100 holds a hidden one; "-" for none. Then
# the body dwords of the kept ones as OFF=VALUE.
ec_expect() {
	_cfg=/sys/bus/pci/devices/$2/config _c="" _v="" _first=1
	for _e in $(ec_walk $_cfg); do
		_off=${_e%%:*} _id=$(echo $_e | cut -d: -f2)
		case $_id in
		0003|000b|0018|0015)
			[ $_first = 1 ] && [ $_off != 100 ] && _c="100:0000:0"
			_c="$_c $_e"
			_v="$_v $(printf %03x $((0x$_off + 4)))=$(ec_dw $_cfg $((0x$_off + 4)))"
			[ $_id = 0003 ] && _v="$_v $(printf %03x $((0x$_off + 8)))=$(ec_dw $_cfg $((0x$_off + 8)))"
			_first=0 ;;
		esac
	done
	echo "$1 $2 $(echo ${_c:--} | tr ' ' ,) $(echo ${_v:--} | tr ' ' ,)"
}

run() {
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	[ -f /guest/pci.cpio ] || { lab_fail "no /guest/pci.cpio (lspci) in the lab image"; return; }
	: >/tmp/ec-expect
	: >/tmp/ec-qemu
	args="--acpi" qargs=""
	for d in $EC_DEVS; do
		n=${d%%=*} b=${d#*=}
		[ -d /sys/bus/pci/devices/$b ] || { lab_fail "no $n at $b in the lab"; return; }
		sz=$(wc -c </sys/bus/pci/devices/$b/config)
		echo "lab: $n $b config $sz bytes, extended capabilities: $(ec_walk /sys/bus/pci/devices/$b/config | tr '\n' ' ')"
		[ "$sz" = 4096 ] || { lab_fail "the lab reads only $sz bytes of $b's config"; return; }
		ec_expect $n $b >>/tmp/ec-expect
		ec_qemu $n $b >>/tmp/ec-qemu
		s=${b#0000:00:}
		args="$args --device vfio,host=$b,addr=$((0x${s%.0}))"
		qargs="$qargs -device vfio-pci,host=$b,addr=${s%.0}.0"
	done
	sed 's/^/lab: expect /' /tmp/ec-expect
	# lspci's form of a serial number (ls-ecaps.c): the high dword's bytes, then the low's.
	dsn=$(awk '$1 == "e1000e" { print $4 }' /tmp/ec-expect | tr , '\n' | sed 's/.*=//' |
		{ read lo; read hi; echo "$hi$lo" | sed 's/\(..\)/\1-/g; s/-$//'; })
	{
		echo "$EC_LIB"
		echo "EXPECT='$(cat /tmp/ec-expect)'"
		echo "DSN=$dsn"
		cat <<'EOS'
ok() { echo "vt: PASS $1: $2"; }
no() { echo "vt: FAIL $1: $2"; }
echo "$EXPECT" | while read n b chain vals; do
	cfg=/sys/bus/pci/devices/$b/config
	[ -f $cfg ] || { no size_$n "no $b on the guest's bus: $(ls /sys/bus/pci/devices | tr '\n' ' ')"; continue; }
	sz=$(wc -c <$cfg)
	[ "$sz" = 4096 ] && ok size_$n "$b config is 4096 bytes (ECAM)" || no size_$n "$b config is $sz bytes"
	got=$(ec_walk $cfg | tr '\n' , | sed 's/,$//')
	echo "vt: WALK $n ${got:--}"
	[ "$chain" = - ] && want="" || want=$chain
	if [ "$got" = "$want" ]; then
		ok chain_$n "${got:-no extended capability} (0x100 reads $(ec_dw $cfg 256))"
	else
		no chain_$n "guest walks '$got', policy wants '$want'"
	fi
	bad=""
	for v in $(echo $vals | tr , ' '); do
		[ "$v" = - ] && continue
		[ "$(ec_dw $cfg $((0x${v%%=*})))" = "${v#*=}" ] || bad="$bad ${v%%=*}=$(ec_dw $cfg $((0x${v%%=*}))) (lab ${v#*=})"
	done
	[ -z "$bad" ] && ok values_$n "kept capabilities read as in the lab: ${vals}" || no values_$n "$bad"
done
# Debian's lspci (pci.cpio's; busybox's applet has no -vvv).
/pci/bin/lspci -vvv -s 00:04.0 >/tmp/lspci 2>&1
/pci/bin/lspci -vvv -s 00:0a.0 >>/tmp/lspci 2>&1
grep -E '^[0-9]|Capabilities: \[1|Device Serial' /tmp/lspci
if grep -q "Device Serial Number $DSN" /tmp/lspci && ! grep -qE 'Advanced Error|Alternative Routing|Single Root' /tmp/lspci; then
	ok lspci "Device Serial Number $DSN on the e1000e; no AER, ARI or SR-IOV"
else
	no lspci "$(grep -E 'Capabilities: \[1' /tmp/lspci | tr '\n' ' ') (want DSN $DSN)"
	head -n 5 /tmp/lspci
fi
EOS
	} >/tmp/extcap-check.sh
	why=$(VL_BASE=/guest/pci.cpio vl_initrd /tmp/vfio-extcap.cpio /tmp/extcap-check.sh) ||
		{ lab_fail "$why"; return; }
	vl_boot /tmp/vfio-extcap.cpio $args
	grep 'extended capabilities' $VL_LOG
	vl_judge size_e1000e chain_e1000e values_e1000e size_nvme chain_nvme values_nvme \
		size_nvmesriov chain_nvmesriov values_nvmesriov lspci || return
	# The reference: QEMU's vfio-pci, the same guest and devices (q35 + SeaBIOS: MCFG too).
	_s=$(date +%s)
	timeout 180 sh -c '. /lab/machine.conf; guest_qemu "$@"' qemu /guest/bzImage \
		/tmp/vfio-extcap.cpio $qargs </dev/null 2>&1 | tr -d '\r' >/tmp/vfio-extcap-qemu.log
	echo "qemu: done after $(($(date +%s) - _s)) s"
	grep -E '^vt: WALK|Capabilities: \[1' /tmp/vfio-extcap-qemu.log | sed 's/^/    qemu: /'
	bad=""
	while read n want; do
		got=$(sed -n "s/^vt: WALK $n //p" /tmp/vfio-extcap-qemu.log)
		[ "$got" = "$want" ] || bad="$bad $n: QEMU shows '$got', expected '$want';"
	done </tmp/ec-qemu
	[ -z "$bad" ] || lab_fail "QEMU's view is not the one docs/passthrough.md 4a describes:$bad"
}
