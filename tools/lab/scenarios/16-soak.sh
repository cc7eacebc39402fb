# 16-soak.sh - scenario `soak` (make soak; not in the default lab-check): the hostile guest
# (tests/guest/hostile.c) for SOAK_ROUNDS rounds per seed, seeds 1..SOAK_SEEDS, with two PCI test
# devices and with QEMU's edu device passed through, vfvm as an ordinary user with its filters
# on. Each run must end in the guest's own DONE and debug exit (status 1): vfvm survived.
lab_timeout=1200
lab_default=no
lab_devices=""

EDU=0000:00:03.0

run() {
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	rounds=$(lab_param lab.soak_rounds || echo 300000)
	seeds=$(lab_param lab.soak_seeds || echo 4)
	why=$(lab_bind $EDU) || { lab_fail "$why"; return; }
	lab_as_user $EDU >/tmp/as-user.why || { lab_fail "$(cat /tmp/as-user.why)"; return; }
	f="" n=0
	for dev in testdev vfio; do
		case $dev in
		testdev) args="--device testdev --device testdev" ;;
		vfio) args="--device testdev --device vfio,host=$EDU" ;;
		esac
		for seed in $(seq 1 "$seeds"); do
			s=$(date +%s)
			# shellcheck disable=SC2086
			"$VFVM" run --kernel /guests/hostile.kernel --memory 32M --debug-exit $args \
				--cmdline "seed=$seed rounds=$rounds" </dev/null >/tmp/soak.log 2>&1
			st=$?
			n=$((n + 1))
			line="$dev seed $seed: status $st after $(($(date +%s) - s)) s"
			if [ "$st" = 1 ] && grep -q '^DONE' /tmp/soak.log && grep -q '^PASS hostile.alive' /tmp/soak.log; then
				echo "soak: PASS $line"
			else
				echo "soak: FAIL $line"
				tail -n 5 /tmp/soak.log | sed 's/^/    /'
				f="$f $dev/$seed"
			fi
		done
	done
	echo "soak: $n runs of $rounds rounds"
	[ -z "$f" ] || lab_fail "hostile guest runs failed:$f"
}
