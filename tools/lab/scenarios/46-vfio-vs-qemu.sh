# 46-vfio-vs-qemu.sh - scenario `vfio-vs-qemu`: the same Debian guest sees the lab's nvme
# (0000:00:05.0) and e1000e (00:04.0) passed through by vfvm and by QEMU's vfio-pci
# (`qemu-system-x86_64 -accel kvm -M q35 -device vfio-pci,host=...`, machine.conf's guest_qemu); the guest's `lspci -vvv -xxx`
# of each device, normalised (vq_norm), must be the same in both, except for the differences
# listed in vfio-vs-qemu.allow, each of which docs/passthrough.md ("Compared with QEMU")
# must explain by its id. lab.vq_qemu_opts=OPTS (LAB_APPEND) adds ,OPTS to QEMU's vfio-pci
# device, to show that a difference not on the list fails (docs/passthrough-tests.md).
lab_timeout=240
lab_devices=""

# The devices compared, BDF,VENDOR:DEVICE, all passed through in the same boot: the nvme by
# default; lab.vq_devs=BDF,ID+BDF,ID... (LAB_APPEND) compares others, e.g. the e1000e
# (0000:00:04.0,8086:10d3), which does not pass yet (docs/passthrough.md section 9).
VQ_DEVS="0000:00:05.0,1b36:0010"
VQ_DIR=/tmp/vfio-vs-qemu
VQ_ALLOW=/lab/scenarios/vfio-vs-qemu.allow
VQ_DOC=/lab/passthrough.md

# vl_overlay (inside the lab; the host reads this file for lab_devices only).
[ -f /lab/scenarios/vfio-linux.lib ] && . /lab/scenarios/vfio-linux.lib

# vq_initrd OUT: /guest/pci.cpio (Debian's lspci with its libraries, pci.ids) with a second
# archive whose /init prints the device's lspci -vvv -xxx between two marks and resets.
vq_initrd() {
	_ov=$VQ_DIR/overlay
	rm -rf $_ov && mkdir -p $_ov
	_ids=$(for _d in $VQ_DEVS; do echo ${_d#*,}; done | tr "\n" " ")
	cat >$_ov/init <<EOI
#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
dmesg -n 1
for id in $_ids; do
	echo "vq: BEGIN \$id"
	/pci/bin/lspci -vvv -xxx -d \$id
	echo "vq: END \$id"
done
reboot -f
EOI
	chmod 755 $_ov/init
	vl_overlay /guest/pci.cpio "$1" $_ov
}

# vq_norm LOG ID: the lspci lines of device ID, each prefixed with ID, between the marks, with what is the VMM's choice and not the
# device's masked: the bus address, BAR and MSI addresses, the IRQ number, capability offsets.
# The -xxx dump becomes one line per byte: the header (0x00-0x3f) as "cfg OFFSET VALUE", BARs
# by their flag bits only, and each capability as "cap ID +REL VALUE" for the bytes of its
# structure (PCI 3.0 6.7, 6.8; PCIe 7.8), found by walking the list from 0x34, so that a
# capability moved to another offset is compared by content and a difference names its byte.
vq_norm() {
	tr -d '\r' <"$1" | sed -n "/^vq: BEGIN $2/,/^vq: END $2/p" | grep -v '^vq: \|libkmod' | awk '
	function hex(s,   i, v) {
		for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v
	}
	function caplen(id, off,   c) {
		if (id == 1) return 8
		if (id == 0x11) return 12
		if (id == 0x10) return 0x3c
		if (id == 9) return b[off + 2]
		# MSI: 64-bit address (Message Control bit 7), per-vector masking (bit 8): mask and pending
		if (id == 5) return (and_(b[off + 2], 0x80) ? 14 : 10) + (b[off + 3] % 2 ? 10 : 0)
		return 4
	}
	function and_(x, m) { return int(x / m) % 2 }
	/^[0-9a-f][0-9a-f]: / && NF == 17 {
		base = hex(substr($1, 1, 2))
		for (i = 2; i <= 17; i++) b[base + i - 2] = hex($i)
		ndump++
		next
	}
	/^[0-9a-f]+:[0-9a-f]+\.[0-9a-f] / { sub(/^[^ ]+ /, "BDF "); print; next }
	{
		gsub(/Memory at [0-9a-f]+/, "Memory at ADDR")
		gsub(/I\/O ports at [0-9a-f]+/, "I/O ports at ADDR")
		gsub(/Expansion ROM at [0-9a-f]+/, "Expansion ROM at ADDR")
		gsub(/routed to IRQ [0-9]+/, "routed to IRQ N")
		gsub(/Address: [0-9a-f]+  Data: [0-9a-f]+/, "Address: A  Data: D")
		sub(/Capabilities: \[[0-9a-f]+\]/, "Capabilities: [OFF]")
		sub(/^[ \t]+/, "")
		if ($0 != "") print
	}
	END {
		if (!ndump) exit
		for (o = 0; o < 0x40; o++) {
			if (o >= 0x10 && o < 0x28) {		# BARs: flags of each dword only
				if (o % 4 == 0) printf "cfg 0x%02x bar-flags %x\n", o, b[o] % 16
				continue
			}
			if (o > 0x30 && o < 0x34) continue	# expansion ROM address (0x30: enable bit)
			if (o == 0x34 || o == 0x3c) continue	# capability pointer, interrupt line
			printf "cfg 0x%02x %02x\n", o, b[o]
		}
		for (p = b[0x34]; p >= 0x40 && p < 0x100 && !seen[p]++; p = b[p + 1]) {
			id = b[p]; n = caplen(id, p)
			for (i = 0; i < n; i++) if (i != 1) printf "cap %02x +%02x %02x\n", id, i, b[p + i]
		}
	}' | sort | sed "s/^/$2 /"
}

# vq_check VFVM QEMU: the differences of the two normalised views, each "-" (vfvm) or "+" (QEMU)
# line matched against the allow list's patterns; prints the unexplained ones.
vq_check() {
	diff "$1" "$2" | grep '^[-+][^-+]' >$VQ_DIR/diff
	awk -F '\t' 'FNR == NR { if ($0 !~ /^#/ && NF >= 2) { pat[++n] = $2; id[n] = $1 } next }
	{
		for (i = 1; i <= n; i++) if ($0 ~ pat[i]) { used[id[i]]++; next }
		print "unexplained: " $0
	}
	END { for (x in used) print "allowed " x ": " used[x] " line(s)" }' \
		$VQ_ALLOW $VQ_DIR/diff
}

run() {
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	command -v qemu-system-x86_64 >/dev/null || { lab_fail "no qemu-system-x86_64 in the lab image"; return; }
	[ -f /guest/pci.cpio ] || { lab_fail "no /guest/pci.cpio in the lab image"; return; }
	rm -rf $VQ_DIR && mkdir -p $VQ_DIR
	_p=$(lab_param lab.vq_devs) && VQ_DEVS=$(echo "$_p" | tr + ' ')
	# Every id of the allow list must be explained in docs/passthrough.md.
	for _id in $(grep -v '^#' $VQ_ALLOW | cut -f 1); do
		grep -q "\`$_id\`" $VQ_DOC || { lab_fail "allow-list id $_id not explained in docs/passthrough.md"; return; }
	done
	vq_initrd $VQ_DIR/initrd.cpio
	_k=$(lab_guest_kernel) || { lab_fail "$_k"; return; }
	_s=$(date +%s)
	_va="" _qa=""
	_o=$(lab_param lab.vq_qemu_opts) && echo "QEMU's vfio-pci gets ,$_o (lab.vq_qemu_opts)"
	for _d in $VQ_DEVS; do
		_va="$_va --device vfio,host=${_d%,*}" _qa="$_qa -device vfio-pci,host=${_d%,*}${_o:+,$_o}"
	done
	guest_vfvm "$VFVM" "$_k" $VQ_DIR/initrd.cpio $_va </dev/null \
		>$VQ_DIR/vfvm.log 2>&1
	echo "vfvm: status $? after $(($(date +%s) - _s)) s"
	_s=$(date +%s)
	timeout 180 sh -c '. /lab/machine.conf; guest_qemu "$@"' qemu /guest/bzImage \
		$VQ_DIR/initrd.cpio $_qa </dev/null \
		>$VQ_DIR/qemu.log 2>&1
	echo "qemu: status $? after $(($(date +%s) - _s)) s"
	for _v in vfvm qemu; do
		: >$VQ_DIR/$_v.norm
		for _d in $VQ_DEVS; do
			vq_norm $VQ_DIR/$_v.log ${_d#*,} >>$VQ_DIR/$_v.norm
			grep -q "^${_d#*,} cfg 0x00 " $VQ_DIR/$_v.norm || {
				lab_fail "no lspci of ${_d#*,} from the guest under $_v: $(grep . $VQ_DIR/$_v.log | tail -n 1)"
				tail -n 20 $VQ_DIR/$_v.log
				return 1
			}
		done
	done
	echo "the guest's lspci -vvv -xxx under vfvm:"
	tr -d '\r' <$VQ_DIR/vfvm.log | sed -n '/^vq: BEGIN/,/^vq: END/p' | sed 's/^/    /'
	vq_check $VQ_DIR/vfvm.norm $VQ_DIR/qemu.norm >$VQ_DIR/verdict
	echo "differences (- vfvm, + QEMU):"
	sed 's/^/    /' $VQ_DIR/diff
	cat $VQ_DIR/verdict
	_n=$(grep -c '^unexplained: ' $VQ_DIR/verdict)
	[ "$_n" = 0 ] || lab_fail "$_n difference(s) from QEMU's view not in vfio-vs-qemu.allow: $(grep '^unexplained: ' $VQ_DIR/verdict | head -n 3 | tr '\n' ' ')"
}
