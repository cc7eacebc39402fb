# 55-net-both.sh - scenario `net-both`: one Debian guest under vfvm with two NICs at once: the
# lab's e1000e (0000:00:04.0, MSI-X) passed through and a virtio-net NIC on a tap vfvm makes
# (--net tap,ifname=vfvmlab1,..., the default data path: vhost-net where /dev/vhost-net opens).
# The lab's peer e1000e (0000:00:09.0, same QEMU hub) gets 10.0.9.1/24 as in vfio-e1000e, the tap
# 10.0.3.1/24; the guest's e1000e and virtio_net drivers bind, both interfaces come up
# (10.0.9.2, 10.0.3.15), and the guest pings both lab addresses at the same time (one ping in
# the background): 10 of 10 replies on each, and each reply counted by the lab's side too (the
# interfaces' rx/tx counters move). Issue 10's "a guest with a passed-through e1000e and
# virtio-net has both interfaces working at once"; docs/virtio.md.
lab_timeout=180
lab_devices=""

VL_BDF=0000:00:04.0
VL_PEER=0000:00:09.0
VL_LOG=/tmp/net-both.log
NB_IF=vfvmlab1
NB_MAC=52:54:00:12:34:57
NB_N=10

# vl_initrd, vl_boot, vl_judge, vl_peer (inside the lab; the host reads this file for lab_devices).
[ -f /lab/scenarios/vfio-linux.lib ] && . /lab/scenarios/vfio-linux.lib

nb_script() {
	echo "N=$NB_N MAC=$NB_MAC"
	cat <<'EOS'
ok() { echo "vt: PASS $1: $2"; }
no() { echo "vt: FAIL $1: $2"; }
pcidev() {
	for x in /sys/bus/pci/devices/*; do
		[ "$(cat $x/vendor):$(cat $x/device)" = $1 ] && echo $x
	done
}
# waitfor SECONDS COMMAND...: polls COMMAND every 0.2 s, at most SECONDS.
waitfor() {
	_n=$(($1 * 5))
	shift
	while [ $_n -gt 0 ]; do
		"$@" && return 0
		sleep 0.2
		_n=$((_n - 1))
	done
	"$@"
}
e=$(pcidev 0x8086:0x10d3)
v=$(pcidev 0x1af4:0x1041)
[ -n "$e" ] && [ -n "$v" ] && ok found "e1000e $e, virtio-net $v" ||
	{ no found "e1000e '$e', virtio-net '$v': $(ls /sys/bus/pci/devices | tr '\n' ' ')"; exit; }
waitfor 10 test -d $e/net
vd=$(ls $v | grep '^virtio')
waitfor 10 test -d $v/$vd/net
eif=$(ls $e/net 2>/dev/null | head -n 1)
vif=$(ls $v/$vd/net 2>/dev/null | head -n 1)
edrv=$(basename "$(readlink $e/driver)" 2>/dev/null)
vdrv=$(basename "$(readlink $v/$vd/driver)" 2>/dev/null)
[ "$edrv" = e1000e ] && [ "$vdrv" = virtio_net ] && [ -n "$eif" ] && [ -n "$vif" ] &&
	ok bound "e1000e drives $eif, virtio_net drives $vif (mac $(cat /sys/class/net/$vif/address))" ||
	{ no bound "e1000e: '$edrv' '$eif', virtio: '$vdrv' '$vif'; $(dmesg | tail -n 5 | tr '\n' ' ')"; exit; }
[ "$(cat /sys/class/net/$vif/address)" = $MAC ] || no mac "$vif has $(cat /sys/class/net/$vif/address), not $MAC"
ip link set lo up
ip addr add 10.0.9.2/24 dev $eif && ip link set $eif up || no up "ip on $eif failed"
ip addr add 10.0.3.15/24 dev $vif && ip link set $vif up || no up "ip on $vif failed"
up() { [ "$(cat /sys/class/net/$1/carrier 2>/dev/null)" = 1 ] && [ "$(cat /sys/class/net/$1/operstate)" = up ]; }
waitfor 20 up $eif; waitfor 10 up $vif
up $eif && up $vif && ok link "$eif and $vif carrier up, operstate up" ||
	{ no link "$eif $(cat /sys/class/net/$eif/operstate), $vif $(cat /sys/class/net/$vif/operstate)"; exit; }
ip route >/tmp/routes
grep -q "10.0.9.0/24 dev $eif" /tmp/routes && grep -q "10.0.3.0/24 dev $vif" /tmp/routes &&
	ok routes "$(tr '\n' ';' </tmp/routes)" || no routes "$(tr '\n' ';' </tmp/routes)"
echo "vt: READY"
# Both paths answer before the count starts (the lab sets up the tap while the guest boots).
waitfor 20 ping -c 1 -W 1 10.0.3.1 >/dev/null 2>&1
waitfor 20 ping -c 1 -W 1 10.0.9.1 >/dev/null 2>&1
ev0=$(cat /sys/class/net/$eif/statistics/rx_packets) vv0=$(cat /sys/class/net/$vif/statistics/rx_packets)
# At the same time: the e1000e's in the background, the virtio-net's in the foreground.
timeout 60 ping -c $N -W 2 10.0.9.1 >/tmp/ping-e 2>&1 &
pe=$!
timeout 60 ping -c $N -W 2 10.0.3.1 >/tmp/ping-v 2>&1
wait $pe
ev1=$(cat /sys/class/net/$eif/statistics/rx_packets) vv1=$(cat /sys/class/net/$vif/statistics/rx_packets)
ge=$(sed -n 's/.* \([0-9]*\) packets received.*/\1/p' /tmp/ping-e)
gv=$(sed -n 's/.* \([0-9]*\) packets received.*/\1/p' /tmp/ping-v)
# Overlap: each ping's first and last reply (icmp_seq 0 and N-1) span the other's replies.
[ "$ge" = $N ] && ok ping-e1000e "$N of $N from 10.0.9.1 over $eif: $(tail -n 1 /tmp/ping-e); rx packets +$((ev1 - ev0))" ||
	no ping-e1000e "$(tail -n 2 /tmp/ping-e | tr '\n' ' ')"
[ "$gv" = $N ] && ok ping-virtio "$N of $N from 10.0.3.1 over $vif: $(tail -n 1 /tmp/ping-v); rx packets +$((vv1 - vv0))" ||
	no ping-virtio "$(tail -n 2 /tmp/ping-v | tr '\n' ' ')"
[ $((ev1 - ev0)) -ge $N ] && [ $((vv1 - vv0)) -ge $N ] && ok counters "$eif rx +$((ev1 - ev0)), $vif rx +$((vv1 - vv0))" ||
	no counters "$eif rx +$((ev1 - ev0)), $vif rx +$((vv1 - vv0))"
echo "vt: pings-done"
# The lab reads its interfaces' counters now (it polls the console once a second); the tap
# goes with vfvm, so the guest stays up a while.
sleep 4
grep -E 'eth|virtio|e1000e' /proc/interrupts
modes=$(for f in $e/msi_irqs/*; do cat $f; done 2>/dev/null | sort -u | tr '\n' ' ')
virq=$(grep -i 'virtio' /proc/interrupts | grep -i 'msi' | awk '{ s += $2 } END { print s + 0 }')
[ "$modes" = "msix " ] && [ "$virq" -ge 1 ] && ok msix "e1000e msi_irqs: $modes; $virq virtio MSI-X interrupts" ||
	no msix "e1000e '$modes', virtio $virq"
EOS
}

# nb_frames IF: the lab interface's frames received plus sent (0 if it has gone).
nb_frames() {
	echo $(($(cat /sys/class/net/$1/statistics/rx_packets 2>/dev/null || echo 0) + $(cat /sys/class/net/$1/statistics/tx_packets 2>/dev/null || echo 0)))
}

run() {
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	why=$(vl_net_host) || { lab_fail "$why"; return; }
	[ -f /guest/modules/e1000e.ko ] || { lab_fail "no /guest/modules/e1000e.ko in the lab image"; return; }
	why=$(vl_peer) || { lab_fail "$why"; return; }
	echo "$why"
	pif=$(ls /sys/bus/pci/devices/$VL_PEER/net | head -n 1)
	nb_script >/tmp/net-both-check.sh
	# shellcheck disable=SC2086
	why=$(vl_initrd /tmp/net-both.cpio /tmp/net-both-check.sh e1000e $VL_NET_MODS) ||
		{ lab_fail "$why"; return; }
	rm -f $VL_LOG $VL_LOG.st
	# vl_boot in the background: the tap appears when vfvm starts, and the lab configures it.
	vl_boot /tmp/net-both.cpio --device vfio,host=$VL_BDF \
		--net tap,ifname=$NB_IF,mac=$NB_MAC &
	_b=$!
	_lf=""
	if ! vl_tap_up $NB_IF 10.0.3.1 "peer $pif as 10.0.9.1"; then
		_lf=" tap"
		echo "lab: no $NB_IF 10 s after vfvm started"
	fi
	_pv0=$(nb_frames $NB_IF) _pe0=$(nb_frames $pif)
	if vl_wait_log '^vt: pings-done' 150; then
		_pv1=$(nb_frames $NB_IF) _pe1=$(nb_frames $pif)
		echo "lab: frames rx+tx during the pings: $NB_IF +$((_pv1 - _pv0)), $pif +$((_pe1 - _pe0))"
		[ $((_pv1 - _pv0)) -ge $((2 * NB_N)) ] || _lf="$_lf lab-tap(+$((_pv1 - _pv0)))"
		[ $((_pe1 - _pe0)) -ge $((2 * NB_N)) ] || _lf="$_lf lab-peer(+$((_pe1 - _pe0)))"
	else
		_lf="$_lf no-pings-done"
	fi
	# vfvm ends with the guest's reboot -f; one that does not is killed, bounded.
	vl_wait_log '^never$' 30
	[ -f $VL_LOG.st ] || { echo "lab: vfvm still running; killing it"; kill $(pidof vfvm) 2>/dev/null; sleep 2; }
	wait $_b
	[ -e /sys/class/net/$NB_IF ] && _lf="$_lf tap-left-behind"
	vl_judge found bound link routes ping-e1000e ping-virtio counters msix || return
	grep -q '^vt: FAIL' $VL_LOG && { lab_fail "$(grep '^vt: FAIL' $VL_LOG | head -n 1)"; return; }
	[ -z "$_lf" ] || lab_fail "lab side:$_lf"
}
