#!/bin/sh
# run.sh - the bad-input CLI suite: runs vfvm with each bad input and checks exit status 2
# and one stderr line "vfvm: ..." naming the problem; then tools/extract-vmlinux refusals and
# gzip/xz round trips. Usage: run.sh VFVM MKBAD WORKDIR HOLDLOCK
set -u
vfvm=$1 mkbad=$2 dir=$3 holdlock=$4
pass=0 fail=0

rm -rf "$dir" && mkdir -p "$dir" && "$mkbad" "$dir" || { echo "cli: cannot make test files"; exit 1; }
mb=$dir/multiboot.bin bz=$dir/bzimage.bin
mkdir -p "$dir/unreadable-dir"
truncate -s 14M "$dir/initrd-14M"
truncate -s 3M "$dir/module-3M"
long=$(head -c 300 /dev/zero | tr '\0' a)

# check NAME PATTERN ARGS...: exit 2, exactly one stderr line, "vfvm: " + PATTERN (grep -E).
check() {
	name=$1 pat=$2
	shift 2
	timeout 20 "$vfvm" "$@" >"$dir/out" 2>"$dir/err" </dev/null
	st=$?
	lines=$(wc -l <"$dir/err")
	if [ "$st" -eq 2 ] && [ "$lines" -eq 1 ] && grep -Eq "^vfvm: .*($pat)" "$dir/err"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $name: status $st, $lines lines, want 2 and 1 line matching '$pat':"
		sed 's/^/    /' "$dir/err" | head -5
	fi
}

# Least privilege (docs/security.md): a bad --seccomp mode, an empty or unknown --user, --user
# as an ordinary user; all found before /dev/kvm is opened.
check "--seccomp strict" "--seccomp 'strict' is not valid; use on, log or off" \
	run --kernel "$mb" --seccomp strict
check "--seccomp twice" "--seccomp given twice" run --kernel "$mb" --seccomp on --seccomp=off
check "--user empty" "--user needs a user name" run --kernel "$mb" --user ""
# --trace / --trace-filter (docs/trace.md): a bad filter is bad usage, found before /dev/kvm.
check "--trace-filter kind" "--trace-filter: unknown kind 'dma'; kinds are cfg, msi, intx" \
	run --kernel "$mb" --trace - --trace-filter dev=0000:00:03.0,kind=cfg,dma
check "--trace-filter dev" "--trace-filter: dev=3 is not a PCI address" \
	run --kernel "$mb" --trace - --trace-filter dev=3
check "--trace-filter alone" "--trace-filter without --trace" \
	run --kernel "$mb" --trace-filter kind=cfg
check "--trace unwritable" "--trace $dir/unreadable-dir/no/such: No such file" \
	run --kernel "$mb" --trace "$dir/unreadable-dir/no/such"
# --viommu (docs/viommu.md): x86 guests find it only through the ACPI VIOT; virtio-fs would
# bypass it; a bad option. All found before /dev/kvm is opened.
check "--viommu --no-acpi" "--viommu needs ACPI \(the guest finds the IOMMU in the VIOT table\)" \
	run --kernel "$mb" --viommu --no-acpi
check "--viommu bad option" "--viommu=bypass=yes: unknown option; --viommu takes bypass=on or bypass=off" \
	run --kernel "$mb" --viommu=bypass=yes
check "--viommu with --vhost-user-fs" "--viommu with --share or --vhost-user-fs is not supported" \
	run --kernel "$mb" --viommu --vhost-user-fs "$dir/sock,tag=t"
# ACPI's power button wait (docs/acpi.md): seconds 0..3600, nothing else.
check "--shutdown-timeout big" "--shutdown-timeout 3601 is out of range; use 0 to 3600 seconds" \
	run --kernel "$mb" --shutdown-timeout 3601
check "--shutdown-timeout word" "--shutdown-timeout 'soon' is not a number of seconds" \
	run --kernel "$mb" --shutdown-timeout soon
check "--acpi with a value" "--acpi takes no value" run --kernel "$mb" --acpi=on
# vfvm bind/unbind as an ordinary user: refused before touching sysfs, saying root is needed.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	# A copy nobody can reach: the build tree may sit under a directory only root can enter.
	nvfvm=$(mktemp /tmp/vfvm-cli.XXXXXX) && cp "$vfvm" "$nvfvm" && chmod 755 "$nvfvm"
	for c in bind unbind; do
		su -s /bin/sh -c "$nvfvm $c 0000:00:00.0" nobody >"$dir/out" 2>"$dir/err" </dev/null
		st=$?
		if [ "$st" = 1 ] && grep -q "^vfvm: $c needs root .*run: sudo vfvm $c 0000:00:00.0" "$dir/err"; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			echo "FAIL: $c as nobody: status $st: $(head -n 2 "$dir/err")"
		fi
	done
	rm -f "$nvfvm"
fi
if [ "$(id -u)" = 0 ]; then
	check "--user unknown" "--user no-such-user-vfvm: no such user" \
		run --kernel "$mb" --user no-such-user-vfvm
	check "--user root" "--user root is root; name an ordinary user" run --kernel "$mb" --user root
else
	check "--user not root" "--user nobody needs vfvm started as root" \
		run --kernel "$mb" --user nobody
fi

check "missing kernel file" "cannot open kernel .*/nonexistent.*No such file" \
	run --kernel "$dir/nonexistent"
check "unreadable kernel" "cannot read kernel .*unreadable-dir.*Is a directory" \
	run --kernel "$dir/unreadable-dir"
check "not a kernel" "notkernel.txt is not a kernel.*bzImage.*vmlinux.*Multiboot" \
	run --kernel "$dir/notkernel.txt"
check "empty kernel" "is not a kernel" run --kernel /dev/null
check "truncated bzImage" "bzImage is truncated" run --kernel "$dir/truncated.bin"
check "boot protocol < 2.06" "protocol 2.04 is too old.*2.06" run --kernel "$dir/oldproto.bin"
check "bad Multiboot checksum" "bad Multiboot header checksum" run --kernel "$dir/badsum.bin"
check "initrd does not fit" "initrd .*does not fit.*--memory" \
	run --kernel "$bz" --initrd "$dir/initrd-14M" --memory 16M
check "missing initrd" "cannot open initrd .*nope" run --kernel "$bz" --initrd "$dir/nope"
check "module does not fit" "module 1 .*module-3M.*does not fit" \
	run --kernel "$mb" --module "$dir/module-3M" --memory 4M
check "missing module" "cannot open module .*nope" run --kernel "$mb" --module "$dir/nope"
check "command line too long" "command line is 300 bytes.*at most 255" \
	run --kernel "$bz" --cmdline "$long"
check "--initrd with Multiboot" "--initrd is for Linux.*Multiboot" \
	run --kernel "$mb" --initrd "$dir/module-3M"
check "--module with Linux" "--module is for Multiboot.*bzImage" \
	run --kernel "$bz" --module "$dir/module-3M"
for m in garbage 0 1K 5T 12Q ""; do
	check "--memory '$m'" "--memory" run --kernel "$mb" --memory "$m"
done
for c in 0 65 abc -1 ""; do
	check "--cpus '$c'" "--cpus" run --kernel "$mb" --cpus "$c"
done
check "unknown option" "unknown option.*--frobnicate" run --kernel "$mb" --frobnicate

# --disk (docs/cli.md): bad syntax, then images that cannot be served, all before /dev/kvm.
truncate -s 1M "$dir/disk.img"
truncate -s 1000 "$dir/disk-odd.img"
: >"$dir/disk-empty.img"
truncate -s 1M "$dir/disk-ro.img" && chmod 444 "$dir/disk-ro.img"
check "--disk empty" "--disk needs an image file" run --kernel "$mb" --disk ""
check "--disk unknown option" "--disk .*unknown option 'cache=unsafe'" \
	run --kernel "$mb" --disk "$dir/disk.img,cache=unsafe"
check "--disk long serial" "serial is longer than 20" \
	run --kernel "$mb" --disk "$dir/disk.img,serial=abcdefghijklmnopqrstu"
check "--disk missing" "--disk .*nope.img: cannot open it: No such file" \
	run --kernel "$mb" --disk "$dir/nope.img"
check "--disk empty file" "disk-empty.img is empty" run --kernel "$mb" --disk "$dir/disk-empty.img"
check "--disk odd size" "disk-odd.img is 1000 bytes, not a multiple of 512" \
	run --kernel "$mb" --disk "$dir/disk-odd.img"
check "--disk read-only file" "disk-ro.img is a read-only file.*add ,ro" \
	run --kernel "$mb" --disk "$dir/disk-ro.img"
check "--disk directory" "is neither a regular file nor a block device" \
	run --kernel "$mb" --disk "$dir/unreadable-dir,ro"
check "--disk twice in one vfvm" "disk.img is in use" \
	run --kernel "$mb" --disk "$dir/disk.img" --disk "$dir/disk.img,ro"
# Another process (as a running vfvm would) holds the image's OFD write lock.
"$holdlock" "$dir/disk.img" 30 >"$dir/hold.out" &
hold=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do grep -q locked "$dir/hold.out" 2>/dev/null && break; sleep 0.2; done
check "--disk locked" "disk.img is in use: another process has it open and locked.*use ,ro in both" \
	run --kernel "$mb" --disk "$dir/disk.img"
check "--disk ro, locked for writing" "disk.img is in use: another process has it open read-write and locked" \
	run --kernel "$mb" --disk "$dir/disk.img,ro"
kill "$hold" 2>/dev/null
wait "$hold" 2>/dev/null
# --share / --vhost-user-fs (docs/virtio.md): a missing directory, a socket nobody listens on.
check "--share missing directory" "--share .*/no-such-dir: no such directory" \
	run --kernel "$mb" --share "$dir/no-such-dir"
check "--share bad tag" "tag 'a b'" run --kernel "$mb" --share "$dir,tag=a b"
# --share with --user: the root daemon would outlive what an unprivileged vfvm can stop; refused
# while parsing (as root or not), naming the way that works.
check "--share with --user" "--share with --user is not supported; start virtiofsd yourself and use --vhost-user-fs SOCKET,tag=share" \
	run --kernel "$mb" --share "$dir" --user nobody
check "--share with --user, tagged" "use --vhost-user-fs SOCKET,tag=src$" \
	run --kernel "$mb" --user nobody --share "$dir,tag=src"
# --net (docs/cli.md): bad syntax is usage (exit 2), all before anything is opened.
check "--net no back end" "--net user: unknown network back end 'user'" run --kernel "$mb" --net user
check "--net unknown option" "--net tap,queues=2: unknown option 'queues=2'" \
	run --kernel "$mb" --net tap,queues=2
check "--net bad mac" "mac=52:54:00:12:34 is not a MAC address" \
	run --kernel "$mb" --net tap,mac=52:54:00:12:34
check "--net multicast mac" "mac=01:00:5e:00:00:01 is a multicast or zero address" \
	run --kernel "$mb" --net tap,mac=01:00:5e:00:00:01
check "--net long ifname" "ifname '0123456789abcdef' is not an interface name" \
	run --kernel "$mb" --net tap,ifname=0123456789abcdef
check "--net bad vhost" "unknown option 'vhost=maybe'" run --kernel "$mb" --net tap,vhost=maybe
check "--net five" "too many --net options; at most 4" \
	run --kernel "$mb" --net tap --net tap --net tap --net tap --net tap
# A tap that cannot be had is a runtime failure (exit 1, one line) and leaves no interface.
# check_rt NAME PATTERN ARGS...: like check, exit status 1.
check_rt() {
	name=$1 pat=$2
	shift 2
	timeout 20 "$@" >"$dir/out" 2>"$dir/err" </dev/null
	st=$?
	lines=$(wc -l <"$dir/err")
	if [ "$st" -eq 1 ] && [ "$lines" -eq 1 ] && grep -Eq "^vfvm: .*($pat)" "$dir/err"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $name: status $st, $lines lines, want 1 and 1 line matching '$pat':"
		sed 's/^/    /' "$dir/err" | head -5
	fi
}
if [ "$(id -u)" = 0 ] && [ -c /dev/net/tun ] && command -v ip >/dev/null && command -v setpriv >/dev/null; then
	check_rt "--net without CAP_NET_ADMIN" "creating tap 'vfvmcli0' needs CAP_NET_ADMIN" \
		setpriv --bounding-set -net_admin --inh-caps -net_admin \
		"$vfvm" run --kernel "$mb" --net tap,ifname=vfvmcli0
	if ip tuntap add vfvmcli1 mode tun 2>/dev/null; then
		check_rt "--net on a tun" "'vfvmcli1' exists and is not a tap" \
			"$vfvm" run --kernel "$mb" --net tap,ifname=vfvmcli1
		ip link del vfvmcli1
	fi
	# Made, then the run fails later (--user is checked after the taps): the tap goes too.
	check "--net, then a bad --user" "--user no-such-user-vfvm: no such user" \
		run --kernel "$mb" --net tap,ifname=vfvmcli2 --user no-such-user-vfvm
	if [ -e /sys/class/net/vfvmcli0 ] || [ -e /sys/class/net/vfvmcli2 ]; then
		fail=$((fail + 1))
		echo "FAIL: --net: a tap was left behind: $(ls /sys/class/net | grep vfvmcli)"
	else
		pass=$((pass + 1))
	fi
fi
check "host: unknown option" "host: unknown option '--frobnicate'" host --frobnicate

# vfvm host --kvm: one line, "native", "emulated" or "none: REASON", and the status that goes
# with it (0 usable, 1 not); and whatever it says must agree with /dev/kvm's presence.
hostcheck() {
	"$vfvm" host --kvm >"$dir/out" 2>"$dir/err" </dev/null
	st=$?
	word=$(cat "$dir/out")
	case "$st:$word" in
	0:native|0:emulated) ok=1 ;;
	"1:none: "?*) ok=1 ;;
	*) ok="" ;;
	esac
	[ -e /dev/kvm ] || case "$word" in "none: /dev/kvm does not exist"*) ;; *) ok="" ;; esac
	if [ -n "$ok" ] && [ "$(wc -l <"$dir/out")" = 1 ] && [ ! -s "$dir/err" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: vfvm host --kvm: status $st, said '$word' (/dev/kvm $([ -e /dev/kvm ] || echo absent))"
	fi
	# The full report: the kvm line first, agreeing with --kvm.
	"$vfvm" host >"$dir/out" 2>"$dir/err" </dev/null
	st2=$?
	first=$(head -n 1 "$dir/out")
	case "$st2:$first" in
	"0:kvm: usable"*|"1:kvm: unusable: "?*) [ "$st2" = "$st" ] && pass=$((pass + 1)) && return ;;
	esac
	fail=$((fail + 1))
	echo "FAIL: vfvm host: status $st2 (--kvm: $st), first line '$first'"
}
hostcheck
check "missing --kernel" "no kernel given.*--kernel" run --memory 64M

# tools/extract-vmlinux: refusals (exit 2, one line), and a round trip through gzip and xz.
xtool=$(dirname "$0")/../../tools/extract-vmlinux
xcheck() {
	name=$1 pat=$2
	shift 2
	"$xtool" "$@" >"$dir/out" 2>"$dir/err"
	st=$?
	if [ "$st" -eq 2 ] && [ "$(wc -l <"$dir/err")" -eq 1 ] &&
	   grep -Eq "^extract-vmlinux: .*($pat)" "$dir/err"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: extract-vmlinux $name: status $st:"
		sed 's/^/    /' "$dir/err" | head -5
	fi
}
# le32 N: N as 4 little-endian bytes.
le32() {
	printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($1 & 255)) $((($1 >> 8) & 255)) \
		$((($1 >> 16) & 255)) $((($1 >> 24) & 255)))"
}
# mkpayload TOOL OUT: bzimage.bin's setup sectors + a TOOL-compressed fake ELF as payload.
mkpayload() {
	printf '\177ELF-fake-vmlinux' >"$dir/fake.elf"
	$1 -c "$dir/fake.elf" >"$dir/payload"
	plen=$(wc -c <"$dir/payload")
	head -c 2560 "$bz" >"$2"
	cat "$dir/payload" >>"$2"
	{ le32 0; le32 "$plen"; } | dd of="$2" bs=1 seek=$((0x248)) conv=notrunc 2>/dev/null
}
xcheck "not a bzImage" "not a bzImage" "$dir/notkernel.txt" "$dir/x.elf"
xcheck "protocol 2.04" "needs 2.08" "$dir/oldproto.bin" "$dir/x.elf"
xcheck "no payload" "outside the file" "$bz" "$dir/x.elf"
xcheck "missing file" "cannot read" "$dir/nonexistent" "$dir/x.elf"
for z in gzip xz; do
	mkpayload $z "$dir/$z.bzimage"
	if "$xtool" "$dir/$z.bzimage" "$dir/$z.elf" 2>"$dir/err" && cmp -s "$dir/$z.elf" "$dir/fake.elf"
	then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: extract-vmlinux of a $z payload:"
		sed 's/^/    /' "$dir/err" | head -5
	fi
done

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
