#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the test VM, on the host's root (read-only over 9p). Makes the
# writable places, loads the module under test, runs the command the
# harness left in the results share (/mnt/out) and ends with the success
# token. Anything else - a panic, a WARN (panic_on_warn), a hang - leaves
# no token and the harness fails the run.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp TERM=${TERM:-linux}

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
# What udev would add: bash's process substitution needs /dev/fd.
ln -s /proc/self/fd /dev/fd
ln -s fd/0 /dev/stdin
ln -s fd/1 /dev/stdout
ln -s fd/2 /dev/stderr
# The results share and the repository are parked on /dev while tmpfs goes
# over the writable places: the repository may be a clone in /tmp.
mkdir /dev/.out /dev/.top
mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 out /dev/.out
# shellcheck source=/dev/null
. /dev/.out/env
# The kernel booted and this script runs: whatever fails from here on is
# the run's failure, not a failed boot (run.sh boots again after those).
echo "VSOCKFWD-BOOTED $NONCE" > /dev/console
mount --bind "$TOP" /dev/.top
writable=(/tmp /run /var/tmp /var/log /var/lib /mnt /root)
for d in "${writable[@]}"; do
	mount -t tmpfs tmpfs "$d"
done
mkdir /mnt/out
mount --move /dev/.out /mnt/out
for d in "${writable[@]}"; do
	case "$TOP/" in
	"$d"/*) mkdir -p "$TOP" && mount --move /dev/.top "$TOP" ;;
	esac
done
mountpoint -q /dev/.top && umount /dev/.top
rmdir /dev/.out /dev/.top
# A kernel of our own (run.sh --kernel) has its modules in DIR/modroot:
# put them where modprobe, and the kernel's own requests (ss loading
# vsock_diag), look for them.
if [ -n "${VSOCKFWD_MODROOT:-}" ]; then
	mods=/lib/modules/$(uname -r)
	mount -t tmpfs tmpfs /lib/modules
	mkdir "$mods"
	mount --bind "$VSOCKFWD_MODROOT$mods" "$mods"
fi
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
ip link set lo up 2>/dev/null
hostname vsockfwd-vm
cd "$TOP" || exit 1
module=$TOP/tools/testing/selftests/vsock_fwd/vm/module.sh

finish() {
	echo "VSOCKFWD-DONE $NONCE rc=$1" > /dev/console
	echo "$1" > /mnt/out/rc
	sync
	echo o > /proc/sysrq-trigger
	sleep 10
}

# A kernel complaint that does not panic on its own (e.g. "BUG: sleeping
# function called from invalid context") still fails the run.
kernel_complained() {
	dmesg | grep -E '(BUG:|WARNING:|Oops|general protection|INFO: task .* blocked|Call Trace)' |
		head -20 | grep . && return 0
	return 1
}

# A kernel with kmemleak (the debug tier) reports what leaked during the
# run: what boot left unreferenced is not ours.
kmemleak=/sys/kernel/debug/kmemleak
[ ! -w "$kmemleak" ] || echo clear > "$kmemleak"

# shellcheck disable=SC2153 # MODULE is from the env file, not a typo of module
if [ "$MODULE" != none ] && ! "$module" load "$MODULE"; then
	echo "vm: loading module '$MODULE' failed" > /dev/console
	finish 125
fi

if [ "$INTERACTIVE" = 1 ]; then
	echo "vm: module '$MODULE' loaded; exit the shell to power off" > /dev/console
	setsid -c /bin/bash -i < /dev/console > /dev/console 2>&1
	finish 0
fi

bash /mnt/out/cmd < /dev/null 2>&1 | tee /mnt/out/output > /dev/console
rc=${PIPESTATUS[0]}

# Whatever the command left behind must not keep the module busy.
kill -9 -1 2>/dev/null
sleep 0.2
if [ "$MODULE" != none ] && ! "$module" unload "$MODULE" > /dev/console 2>&1; then
	echo "vm: module '$MODULE' did not unload cleanly" > /dev/console
	[ "$rc" -ne 0 ] || rc=125
fi
# An object counts as leaked once unreferenced for 5 s; the second scan
# confirms the first, as WireGuard's test VM does.
if [ -w "$kmemleak" ]; then
	sleep 6
	echo scan > "$kmemleak"
	echo scan > "$kmemleak"
	if grep -q . "$kmemleak"; then
		head -n 60 "$kmemleak" > /dev/console
		echo "vm: kmemleak found leaks (above); failing the run" > /dev/console
		rc=125
	fi
fi
if kernel_complained > /dev/console; then
	echo "vm: the kernel complained (above); failing the run" > /dev/console
	rc=125
fi
finish "$rc"
