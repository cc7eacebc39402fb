# 30-guests.sh - scenario `guests`: the core test guests (make guests) pass inside the lab too, run
# by their own runner, tests/guest/run, with VFVM pointing at the lab's vfvm.
lab_timeout=300
lab_devices=""

run() {
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	[ -f /guests/run ] || { lab_fail "no /guests/run in the lab image (make guests)"; return; }
	(cd /guests && VFVM=$VFVM sh ./run) </dev/null
	st=$?
	[ "$st" = 0 ] || lab_fail "tests/guest/run exited with status $st"
}
