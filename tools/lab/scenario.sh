# scenario.sh - the scenario files' conventions, shared by the host side (tools/lab/lab, in
# $here) and the lab's /init (as /lab/scenario.sh). Sourced, not run; POSIX sh and busybox sh.
# A scenario file NN-name.sh sets lab_timeout and lab_devices at its top level and defines run().

# scenario_name FILE: 10-devices.sh -> devices
scenario_name() {
	_n=$(basename "$1" .sh)
	echo "${_n#[0-9]*-}"
}

# scenario_timeout FILE: the scenario's lab_timeout in seconds (300 when it sets none).
scenario_timeout() {
	(lab_timeout=300; . "$1"; echo "$lab_timeout")
}

# scenario_default FILE: true unless FILE sets lab_default=no at its top level (a benchmark, say):
# such a scenario runs only when named (LAB_SCENARIOS=name), not in a bare `make lab-check`.
scenario_default() {
	[ "$(lab_default=yes; . "$1"; echo "$lab_default")" != no ]
}

# device_lines DIR: the devices of machine.conf ($lab_devices) and of every scenario in DIR, one
# "NAME SLOT QEMU-ARGS..." a line; the lab has them all, whichever scenarios run.
device_lines() {
	{
		echo "$lab_devices"
		for _s in "$1"/*.sh; do
			(lab_devices=""; . "$_s"; echo "$lab_devices")
		done
	} | awk 'NF >= 3 && $1 !~ /^#/'
}
