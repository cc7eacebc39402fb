# 15-sandbox.sh - scenario `sandbox`: vfvm's least privilege (docs/security.md). It runs as an
# ordinary user; started as root with --user it drops to that user, and every one of its threads
# is under a seccomp filter with no_new_privs; a forbidden call (vfvm-testhooks) kills it with a
# line naming the call, --seccomp=log lets it through to the kernel log, off has no filter; too
# low a locked-memory limit for VFIO and bad --user values end in one line and status 2; the
# hostile guest does not bring down vfvm with a device passed through.
lab_timeout=180
lab_devices=""

EDU=0000:00:03.0
SB_LOG=/tmp/sandbox.log

# sb_exit_guest VFVM ARGS...: the exit guest (it leaves at once through isa-debug-exit with 0,
# status 1); output to $SB_LOG, prints the status.
sb_exit_guest() {
	_v=$1
	shift
	"$_v" run --kernel /guests/${SB_GUEST:-exit}.kernel --memory 32M --debug-exit "$@" </dev/null >$SB_LOG 2>&1
	echo $?
}

# sb_threads PID: waits for vfvm PID to be past set-up, then prints one line per thread:
# "TID Uid Seccomp NoNewPrivs" (from /proc/PID/task/TID/status).
sb_threads() {
	for _i in $(seq 1 100); do
		_n=$(ls /proc/$1/task 2>/dev/null | wc -l)
		grep -q '^Seccomp:[[:space:]]*2' /proc/$1/status 2>/dev/null && [ "$_n" -ge 3 ] && break
		sleep 0.1
	done
	sleep 0.5
	for _t in /proc/$1/task/*; do
		echo "$(basename $_t) $(awk '/^Uid:/ { u = $2 } /^Seccomp:/ { s = $2 }
			/^NoNewPrivs:/ { n = $2 } END { print u, s, n }' $_t/status)"
	done
}

run() {
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	[ -x /bin/vfvm-testhooks ] || { lab_fail "no /bin/vfvm-testhooks in the lab image"; return; }
	f=""
	root_vfvm=$VFVM

	# 1. Started as root with --user: every thread (main, vCPU, device thread) runs as uid
	#    1000 under a filter (Seccomp 2) with no_new_privs, while the Linux guest boots.
	k=$(lab_guest_kernel) || { lab_fail "$k"; return; }
	chgrp kvm /dev/kvm && chmod 660 /dev/kvm
	"$root_vfvm" run --memory 256M --kernel "$k" --initrd /guest/run.cpio \
		--cmdline "$guest_append" --device testdev --user vfvm </dev/null >/tmp/sb-linux.log 2>&1 &
	pid=$!
	sb_threads $pid >/tmp/sb-threads
	wait $pid
	st=$?
	sed 's/^/    thread /' /tmp/sb-threads
	n=$(wc -l </tmp/sb-threads)
	bad=$(awk '$2 != 1000 || $3 != 2 || $4 != 1' /tmp/sb-threads | tr '\n' ';')
	if [ "$n" -lt 3 ] || [ -n "$bad" ] || [ "$st" != 0 ]; then
		f="$f user-threads($n threads, bad: $bad status $st)"
		tail -n 5 /tmp/sb-linux.log | sed 's/^/    /'
	else
		echo "sandbox: PASS user-threads: $n threads, all uid 1000, Seccomp 2, NoNewPrivs 1"
	fi

	# 2. A forbidden call from each kind of thread kills vfvm by SIGSYS, naming the call.
	for role in main vcpu io; do
		st=$(VFVM_TEST_FORBIDDEN=$role sb_exit_guest /bin/vfvm-testhooks --device testdev)
		if [ "$st" = 159 ] && grep -q "seccomp: the $role thread made the forbidden system call socket (41)" $SB_LOG; then
			echo "sandbox: PASS forbidden-$role: status 159, $(grep seccomp $SB_LOG | cut -c1-90)"
		else
			f="$f forbidden-$role(status $st: $(tail -n 1 $SB_LOG))"
		fi
	done

	# 3. --seccomp=log: the same call goes through and the kernel logs it (audit type 1326);
	#    --seccomp=off: no filter, no log line. Both finish normally.
	before=$(dmesg | grep -c 'type=1326.*syscall=41 ')
	st=$(VFVM_TEST_FORBIDDEN=vcpu sb_exit_guest /bin/vfvm-testhooks --seccomp=log)
	after=$(dmesg | grep -c 'type=1326.*syscall=41 ')
	if [ "$st" = 1 ] && grep -q '^DONE' $SB_LOG && [ "$after" -gt "$before" ]; then
		echo "sandbox: PASS log: status 1, kernel log: $(dmesg | grep 'type=1326.*syscall=41 ' | tail -n 1 | cut -c1-100)"
	else
		f="$f log(status $st, type=1326 lines $before -> $after)"
	fi
	st=$(VFVM_TEST_FORBIDDEN=vcpu sb_exit_guest /bin/vfvm-testhooks --seccomp=off)
	[ "$st" = 1 ] && grep -q '^DONE' $SB_LOG && ! grep -q seccomp $SB_LOG && echo "sandbox: PASS off: status 1" ||
		f="$f off(status $st)"

	# 4. As an ordinary user (no --user): the exit guest runs; VFIO with a 1 MiB locked-memory
	#    limit is refused up front with the number and the command.
	lab_as_user >/tmp/as-user.why || { lab_fail "$(cat /tmp/as-user.why)"; return; }
	st=$(sb_exit_guest "$VFVM")
	[ "$st" = 1 ] && grep -q '^DONE' $SB_LOG && echo "sandbox: PASS as-user: exit guest, status 1" ||
		f="$f as-user(status $st: $(tail -n 1 $SB_LOG))"
	why=$(lab_bind $EDU) || { lab_fail "$why"; return; }
	lab_as_user $EDU >/tmp/as-user.why || { lab_fail "$(cat /tmp/as-user.why)"; return; }
	st=$(LAB_USER_MEMLOCK=1024 sb_exit_guest /tmp/vfvm-as-user --device vfio,host=$EDU)
	if [ "$st" = 2 ] && grep -q "RLIMIT_MEMLOCK.*ulimit -l 32768" $SB_LOG; then
		echo "sandbox: PASS memlock: status 2, $(cut -c1-100 $SB_LOG | tail -n 1)"
	else
		f="$f memlock(status $st: $(tail -n 1 $SB_LOG))"
	fi

	# 5. The hostile guest (tests/guest/hostile.c) against a passed-through device, as the
	#    ordinary user with the filters on: vfvm survives (make soak runs it for longer).
	st=$(SB_GUEST=hostile sb_exit_guest "$VFVM" --device testdev --device vfio,host=$EDU \
		--cmdline "seed=7 rounds=20000")
	if [ "$st" = 1 ] && grep -q '^PASS hostile.alive' $SB_LOG; then
		echo "sandbox: PASS hostile-vfio: $(grep '^hostile: seed' $SB_LOG)"
	else
		f="$f hostile-vfio(status $st: $(tail -n 1 $SB_LOG))"
	fi

	# 6. --user errors: unknown user, and --user when not root.
	st=$(sb_exit_guest "$root_vfvm" --user no-such-user)
	[ "$st" = 2 ] && grep -q "no such user" $SB_LOG && echo "sandbox: PASS user-unknown" ||
		f="$f user-unknown(status $st: $(tail -n 1 $SB_LOG))"
	st=$(sb_exit_guest "$VFVM" --user vfvm)
	[ "$st" = 2 ] && grep -q "needs vfvm started as root" $SB_LOG &&
		echo "sandbox: PASS user-not-root" || f="$f user-not-root(status $st: $(tail -n 1 $SB_LOG))"

	[ -z "$f" ] || lab_fail "failed:$f"
}
