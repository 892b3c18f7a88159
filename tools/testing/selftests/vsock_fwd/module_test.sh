#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Module life cycle, in the test VM with no module preloaded
# (run.sh --module none): load and unload, the refusal to load beside stock
# vhost_vsock, and no unload while a device is open. TAP output.
# shellcheck disable=SC2317 # the cases run by name from the loop at the end
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../../.." && pwd)
module=$here/vm/module.sh
ko=$top/vhost_vsock_fwd.ko

n=0 failed=0
echo "TAP version 13"
echo "1..4"
result() { # STATUS NAME
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n module.$2"
	else
		echo "not ok $n module.$2"
		failed=1
	fi
}
fail() { echo "# $*"; return 1; }

gone() { [ ! -d /sys/module/vhost_vsock_fwd ] && [ ! -d /sys/module/vhost_vsock ]; }

load_unload() {
	"$module" load ours || fail "insmod failed"
	[ "$(stat -c '%t:%T' /dev/vhost-vsock)" = "a:f1" ] ||
		fail "/dev/vhost-vsock is not char 10:241"
	# Upstream's vsock_test finds the host transport by this symbol name.
	grep -qE '\svhost_transport\s+\[vhost_vsock_fwd\]' /proc/kallsyms ||
		fail "no vhost_transport symbol in vhost_vsock_fwd"
	"$module" unload ours || fail "rmmod failed"
	{ gone && [ ! -e /dev/vhost-vsock ]; } || fail "module or device left behind"
}

refused_beside_stock() {
	local err
	"$module" load stock || fail "stock vhost_vsock does not load"
	dmesg -C
	if err=$(insmod "$ko" 2>&1); then
		fail "insmod succeeded while vhost_vsock is loaded"
	fi
	grep -q "Device or resource busy" <<< "$err" || fail "insmod: '$err', not EBUSY"
	# Its own message, not any line that mentions vhost_vsock.
	dmesg | grep -qF "vhost_vsock_fwd: another host-to-guest vsock transport is loaded; unload vhost_vsock first" ||
		fail "no refusal message naming vhost_vsock: $(dmesg | tail -n 3)"
	[ -c /dev/vhost-vsock ] || fail "stock's device vanished"
	"$module" unload stock || fail "stock does not unload"
	"$module" load ours || fail "ours does not load after stock left"
	"$module" unload ours || fail "rmmod failed"
}

busy_while_open() {
	"$module" load ours || fail "insmod failed"
	exec 3<> /dev/vhost-vsock || fail "open failed"
	if rmmod vhost_vsock_fwd 2> /dev/null; then
		fail "rmmod succeeded with a device open"
	fi
	exec 3>&-
	"$module" unload ours || fail "rmmod failed after close"
}

reload_cycles() {
	local i
	for i in 1 2 3 4 5; do
		"$module" load ours || fail "load $i failed"
		exec 3<> /dev/vhost-vsock || fail "open $i failed"
		exec 3>&-
		"$module" unload ours || fail "unload $i failed"
	done
}

for t in load_unload refused_beside_stock busy_while_open reload_cycles; do
	( set -e; "$t" )
	result $? "$t"
	gone || { rmmod vhost_vsock_fwd vhost_vsock 2> /dev/null; true; }
done
exit $failed
