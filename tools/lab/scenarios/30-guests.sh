# 30-guests.sh - scenario `guests`: the core test guests (make guests) pass inside the lab too, run
# by their own runner, tests/guest/run, with VFVM pointing at the lab's vfvm.
# lab.guests=NAME,NAME (LAB_APPEND on the host) runs only those guests, verbosely.
lab_timeout=240
lab_devices=""

run() {
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	[ -f /guests/run ] || { lab_fail "no /guests/run in the lab image (make guests)"; return; }
	names=$(lab_param lab.guests | tr , ' ')
	[ -n "$names" ] && export GUEST_VERBOSE=1
	# shellcheck disable=SC2086 # the names are words
	{ VFVM=$VFVM sh /guests/run /guests $names </dev/null; echo $? >/tmp/guests-status; } |
		tee /tmp/guests.log
	[ "$(cat /tmp/guests-status)" = 0 ] && return
	lab_fail "$(grep '^guest: ' /tmp/guests.log | tail -n 1 | sed 's/^guest: //'):" \
		"$(sed -n 's/^FAIL \([^:]*\):.*/\1/p' /tmp/guests.log | tr '\n' ' ')"
}
