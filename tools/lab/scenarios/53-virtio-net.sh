# 53-virtio-net.sh - scenario `virtio-net`: the Debian guest kernel under vfvm with --net tap.
# vfvm creates tap vfvmlab0 in the lab; the lab gives it 10.0.2.1/24, the guest's virtio_net
# (bound to 1af4:1041 with MSI-X, the MAC from --net) comes up as 10.0.2.15/24. The guest
# pings the lab and the lab pings the guest (every reply counted), then 16 MiB go each way
# with busybox nc and both md5 sums are compared on the lab side; vfvm exits 0 and the tap is
# gone after it. Run once per data path: vhost=off (vfvm's device thread) and vhost=on (the
# lab kernel's vhost-net: no frame, kick or interrupt through vfvm, ~0 exits per frame)
# (docs/virtio.md).
lab_timeout=540
lab_devices=""

VL_LOG=/tmp/virtio-net.log
NET_IF=vfvmlab0
NET_MAC=52:54:00:12:34:56
NET_MB=16

# vl_initrd, vl_boot, vl_judge, vl_wait_log, vl_tap_up (inside the lab; the host reads this file
# for lab_devices only).
[ -f /lab/scenarios/vfio-linux.lib ] && . /lab/scenarios/vfio-linux.lib

net_script() {
	cat <<EOS
MB=$NET_MB
EOS
	cat <<'EOS'
ok() { echo "vt: PASS $1: $2"; }
no() { echo "vt: FAIL $1: $2"; }
d=""
for x in /sys/bus/pci/devices/*; do
	[ "$(cat $x/vendor):$(cat $x/device)" = 0x1af4:0x1041 ] && d=$x
done
[ -n "$d" ] || { no found "no 1af4:1041: $(ls /sys/bus/pci/devices | tr '\n' ' ')"; exit; }
ok found "$d, class $(cat $d/class)"
ifc=""
for n in /sys/class/net/*; do
	[ "$(basename $n)" = lo ] || ifc=$(basename $n)
done
[ -n "$ifc" ] || { no netdev "no interface; $(dmesg | grep -i virtio | tail -n 3 | tr '\n' ' ')"; exit; }
v=$(ls $d | grep '^virtio')
ok netdev "$ifc, mac $(cat /sys/class/net/$ifc/address), features $(cat $d/$v/features)"
ip link set $ifc up && ip addr add 10.0.2.15/24 dev $ifc || no up "ip failed"
# operstate follows the carrier through linkwatch, up to a second later.
for i in 1 2 3 4 5 6 7 8 9 10; do
	[ "$(cat /sys/class/net/$ifc/operstate 2>/dev/null)" = up ] && break
	sleep 1
done
[ "$(cat /sys/class/net/$ifc/operstate)" = up ] && ok link "operstate up, carrier $(cat /sys/class/net/$ifc/carrier)" ||
	no link "operstate $(cat /sys/class/net/$ifc/operstate)"
# Our receiver is up before READY; the lab sends once it sees READY. busybox nc ends when
# the peer closes its half, so a receiver's stdin must stay open (a FIFO held by fd 3), or
# its EOF would close the connection before the data came.
mkfifo /tmp/hold
(nc -l -p 5000 </tmp/hold | md5sum >/tmp/rx.sum; echo done >/tmp/rx.done) &
exec 3>/tmp/hold
sleep 1
echo "vt: READY"
for i in 1 2 3 4 5 6 7 8 9 10; do
	ping -c 1 -W 2 10.0.2.1 >/dev/null 2>&1 && break
done
ping -c 5 -W 2 10.0.2.1 >/tmp/ping 2>&1
got=$(sed -n 's/.* \([0-9]*\) packets received.*/\1/p' /tmp/ping)
[ "$got" = 5 ] && ok ping "5 of 5 replies from the lab: $(tail -n 1 /tmp/ping)" || no ping "$(tail -n 2 /tmp/ping | tr '\n' ' ')"
for i in $(seq 1 130); do
	[ -f /tmp/rx.done ] && break
	sleep 1
done
[ -f /tmp/rx.done ] && ok rx "md5 $(cut -c1-32 /tmp/rx.sum)" || no rx "nothing received in 130 s"
dd if=/dev/urandom of=/tmp/tx bs=1048576 count=$MB 2>/dev/null
s=$(md5sum </tmp/tx | cut -c1-32)
echo "vt: tx-start"
timeout 120 nc 10.0.2.1 5001 </tmp/tx >/dev/null; txst=$?
# The lab takes vfvm's exit count now (SIGUSR1); the guest stays quiet meanwhile.
echo "vt: tx-done"
sleep 3
[ $txst = 0 ] && ok tx "$(wc -c </tmp/tx) bytes, md5 $s" || no tx "nc failed"
irq=$(grep -i 'virtio' /proc/interrupts | grep -i 'msi' | awk '{ s += $2 } END { print s + 0 }')
[ "$irq" -ge 1 ] && ok msix "$irq interrupts on the virtio MSI-X vectors" || no msix "$(grep -i virtio /proc/interrupts | tr '\n' ' ')"
ok stats "$(cat /proc/net/dev | grep $ifc | tr -s ' ')"
# The driver let go and bound again: a device reset (§2.4) and a second initialisation, which
# with vhost-net stops the kernel's rings and hands them over afresh.
echo $v >/sys/bus/virtio/drivers/virtio_net/unbind && echo $v >/sys/bus/virtio/drivers/virtio_net/bind || no rebind "unbind/bind failed"
sleep 1
ifc=""
for n in /sys/class/net/*; do
	[ "$(basename $n)" = lo ] || ifc=$(basename $n)
done
ip link set $ifc up && ip addr add 10.0.2.15/24 dev $ifc
for i in 1 2 3 4 5 6 7 8 9 10; do
	[ "$(cat /sys/class/net/$ifc/operstate 2>/dev/null)" = up ] && break
	sleep 1
done
ping -c 3 -W 2 10.0.2.1 >/tmp/ping2 2>&1
got=$(sed -n 's/.* \([0-9]*\) packets received.*/\1/p' /tmp/ping2)
[ "$got" = 3 ] && ok rebind "$ifc again after unbind/bind, 3 of 3 replies" || no rebind "$(tail -n 2 /tmp/ping2 | tr '\n' ' ')"
EOS
}

# net_run VHOST: one boot with --net tap,...,vhost=VHOST; the lab's side of the checks. The
# guest's console goes straight to $VL_LOG (--serial file:, unbuffered), vfvm's stderr to .err.
net_run() {
	rm -f $VL_LOG $VL_LOG.st $VL_LOG.err /tmp/net-rx /tmp/net-lab
	_s=$(date +%s)
	{ lab_run_linux /tmp/net.cpio --net tap,ifname=$NET_IF,mac=$NET_MAC,vhost=$1 --stats \
		--serial file:$VL_LOG </dev/null 2>$VL_LOG.err; echo $? >$VL_LOG.st; } &
	# The tap appears when vfvm starts, long before the guest's driver.
	vl_tap_up $NET_IF 10.0.2.1 | tee -a /tmp/net-lab
	[ -e /sys/class/net/$NET_IF ] ||
		echo "lab: FAIL tap: no $NET_IF after 10 s" | tee -a /tmp/net-lab
	# The receiver's stdin stays open (see the guest's side): a FIFO held by fd 3.
	rm -f /tmp/net-hold && mkfifo /tmp/net-hold
	nc -l -p 5001 </tmp/net-hold >/tmp/net-rx &
	_nc=$!
	exec 3>/tmp/net-hold
	if vl_wait_log '^vt: READY' 150; then
		echo "lab: guest ready after $(($(date +%s) - _s)) s"
		# vfvm's state dump (SIGUSR1) counts every vCPU's exits: once before the pings and
		# transfers, once after, so the exits of the traffic alone are the difference.
		kill -USR1 $(pidof vfvm) 2>/dev/null
		ping -c 5 -W 2 10.0.2.15 >/tmp/net-ping 2>&1
		echo "lab: ping: $(sed -n 's/.* \([0-9]*\) packets received.*/\1/p' /tmp/net-ping) of 5 replies, $(tail -n 1 /tmp/net-ping)" | tee -a /tmp/net-lab
		_t=$(date +%s)
		timeout 120 nc 10.0.2.15 5000 </tmp/net-tx >/dev/null
		echo "lab: sent $(wc -c </tmp/net-tx) bytes in $(($(date +%s) - _t)) s" | tee -a /tmp/net-lab
	else
		echo "lab: the guest never got ready"
	fi
	vl_wait_log '^vt: tx-done' 150 && kill -USR1 $(pidof vfvm) 2>/dev/null
	# The receiver waits for the guest's transfer; a guest that never ends must not hang us.
	vl_wait_log '^never$' 200
	[ -f $VL_LOG.st ] || { echo "lab: vfvm still running; killing it"; kill $(pidof vfvm) 2>/dev/null; sleep 2; }
	exec 3>&-
	kill $_nc 2>/dev/null
	wait
	sed 's/^/    /' $VL_LOG
	sed 's/^/    err: /' $VL_LOG.err
	echo "vfvm exited with status $(cat $VL_LOG.st) after $(($(date +%s) - _s)) s"
	# Exits to vfvm per frame: every exit of the run (boot included) over the frames moved.
	_ex=$(sed -n 's/^vfvm: exits: io \([0-9]*\), mmio \([0-9]*\),.*/\2/p' $VL_LOG.err)
	_fr=$(sed -n 's/.*virtio-net.*: rx \([0-9]*\) frames.*tx \([0-9]*\) frames.*/\1 \2/p' $VL_LOG.err)
	echo "lab: vhost=$1: mmio exits of the whole run ${_ex:-?}, frames rx+tx through vfvm ${_fr:-?}" | tee -a /tmp/net-lab
	# The guest's own count of frames (/proc/net/dev: rx packets field 3, tx packets 11).
	_gp=$(sed -n 's/^vt: PASS stats: *//p' $VL_LOG | sed 's/:/ /' | awk '{ print $3 + $11 }')
	_io=$(sed -n 's/^vfvm: exits: io \([0-9]*\),.*/\1/p' $VL_LOG.err)
	# Exits in the traffic window: the two dumps' per-vCPU totals summed, then differenced.
	_w=$(grep '^vfvm: vCPU [0-9]*: [0-9]* exits' $VL_LOG.err | awk '
		{ n = $4; if (seen[$3]++) b += n; else a += n }
		END { if (b) print b - a; else print "?" }')
	echo "$1 ${_gp:-0} ${_w:-?}" >>/tmp/net-exits
	echo "lab: vhost=$1: guest frames rx+tx ${_gp:-?}; exits of the whole run io ${_io:-?} mmio ${_ex:-?}; exits from the first ping to the end of the transfers ${_w:-?}: $(awk -v p=${_gp:-0} -v e=${_w:-x} 'BEGIN { if (p && e != "?") printf "%.4f", e / p; else print "?" }') exits per frame" | tee -a /tmp/net-lab
	sed -n 's/^vfvm: .*vhost-net started.*/lab: &/p' $VL_LOG.err | tee -a /tmp/net-lab
}

# net_judge VHOST: every check of one run.
net_judge() {
	_f=""
	for _c in found netdev link ping rx tx msix rebind; do
		grep -q "^vt: PASS $_c:" $VL_LOG || _f="$_f $_c"
	done
	grep -q "^vt: PASS netdev: .*mac $NET_MAC" $VL_LOG || _f="$_f mac"
	grep -q "^lab: ping: 5 of 5" /tmp/net-lab || _f="$_f lab-ping"
	_want=$(md5sum </tmp/net-tx | cut -c1-32)
	grep -q "^vt: PASS rx: md5 $_want" $VL_LOG || _f="$_f rx-md5"
	_got=$(md5sum </tmp/net-rx | cut -c1-32)
	[ "$(wc -c </tmp/net-rx)" = $((NET_MB * 1048576)) ] || _f="$_f tx-size($(wc -c </tmp/net-rx))"
	grep -q "^vt: PASS tx: .*md5 $_got" $VL_LOG || _f="$_f tx-md5"
	grep -q '^vt: DONE' $VL_LOG || _f="$_f guest-done"
	[ "$(cat $VL_LOG.st)" = 0 ] || _f="$_f vfvm-status($(cat $VL_LOG.st))"
	[ -e /sys/class/net/$NET_IF ] && _f="$_f tap-left-behind"
	if [ $1 = off ]; then
		grep -q "^vfvm: virtio-net $NET_IF: rx [1-9][0-9]* frames .*tx [1-9][0-9]* frames .*(dropped 0)" $VL_LOG.err ||
			_f="$_f device-stats"
		grep -q "vhost-net\|vhost_net" $VL_LOG.err && _f="$_f vhost-line-with-vhost=off"
	else
		# The kernel moved every frame: vfvm's data path none, no kick or interrupt relayed.
		grep -q "^vfvm: virtio-net $NET_IF: rx 0 frames 0 bytes .*tx 0 frames 0 bytes" $VL_LOG.err ||
			_f="$_f frames-through-vfvm"
		# Twice: the first initialisation and the one after the driver re-bound.
		grep -q "^vfvm: virtio-net $NET_IF: vhost-net started 2 times; kicks relayed by vfvm rx 0 tx 0, interrupts relayed by vfvm rx 0 tx 0" $VL_LOG.err ||
			_f="$_f vhost-relayed($(grep 'vhost-net started' $VL_LOG.err))"
		# Exits per frame while the traffic runs: well under one in twenty (the guest's console
		# lines and the dumps themselves are all there is).
		awk '$1 == "on" { if (!($2 > 1000 && $3 != "?" && $3 * 20 < $2)) exit 1 }' /tmp/net-exits ||
			_f="$_f exits-per-frame($(grep '^on ' /tmp/net-exits))"
	fi
	[ -z "$_f" ] && return 0
	_last=$(grep -E '^vt: FAIL' $VL_LOG | head -n 1)
	lab_fail "vhost=$1 failed:$_f; vfvm status $(cat $VL_LOG.st); $_last"
}

run() {
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	# lab.net_mb=N (LAB_APPEND): N MiB each way instead of 16 (64: the issue's one 64 MiB transfer).
	NET_MB=$(lab_param lab.net_mb || echo $NET_MB)
	why=$(vl_net_host vhost) || { lab_fail "$why"; return; }
	net_script >/tmp/net-check.sh
	# shellcheck disable=SC2086
	why=$(vl_initrd /tmp/net.cpio /tmp/net-check.sh $VL_NET_MODS) || { lab_fail "$why"; return; }
	dd if=/dev/urandom of=/tmp/net-tx bs=1048576 count=$NET_MB 2>/dev/null
	rm -f /tmp/net-exits
	_bad=0
	net_run off
	net_judge off || _bad=1
	net_run on
	net_judge on || _bad=1
	lab_vhost_errors || _bad=1
	return $_bad
}

# vhost=on where the lab has no /dev/vhost-net must be one line naming it, exit 1, no tap left;
# the default there: one info line and the user-space path (vfvm ends at once: no kernel).
lab_vhost_errors() {
	_k="--kernel /guests/exit.kernel --memory 32M --debug-exit --net tap,ifname=$NET_IF"
	# The default with /dev/vhost-net: nothing said; without it: one line, the same ending.
	"${VFVM:-vfvm}" run $_k >/dev/null 2>/tmp/vh.def1
	_st1=$?
	mv /dev/vhost-net /dev/vhost-net.lab
	"${VFVM:-vfvm}" run $_k >/dev/null 2>/tmp/vh.def2
	_st2=$?
	"${VFVM:-vfvm}" run $_k,vhost=on >/tmp/vh.out 2>&1
	_st=$?
	mv /dev/vhost-net.lab /dev/vhost-net
	if [ ! -s /tmp/vh.def1 ] && [ $_st1 = $_st2 ] && [ "$(wc -l </tmp/vh.def2)" = 1 ] &&
		grep -q "^vfvm: --net tap,ifname=$NET_IF: /dev/vhost-net unavailable (No such file or directory); using the user-space data path" /tmp/vh.def2; then
		echo "lab: the default: status $_st1 with /dev/vhost-net and nothing said, $_st2 without and: $(cat /tmp/vh.def2)"
	else
		lab_fail "the default --net: status $_st1 ($(cat /tmp/vh.def1 | tr '\n' ' ')) with /dev/vhost-net, $_st2 ($(cat /tmp/vh.def2 | tr '\n' ' ')) without"
		return 1
	fi
	_n=$(wc -l </tmp/vh.out)
	if [ $_st = 1 ] && [ $_n = 1 ] && grep -q "^vfvm: --net .*vhost=on: /dev/vhost-net does not exist.*modprobe vhost_net" /tmp/vh.out &&
		[ ! -e /sys/class/net/$NET_IF ]; then
		echo "lab: vhost=on without /dev/vhost-net: status 1, $(cat /tmp/vh.out)"
	else
		lab_fail "vhost=on without /dev/vhost-net: status $_st, $_n lines: $(cat /tmp/vh.out | tr '\n' ' ')"
		return 1
	fi
}
