#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Module life cycle, in the test VM with no module preloaded
# (run.sh --module none): load and unload, the refusal to load beside stock
# vhost_vsock, and no unload while a device is open. KTAP output.
# shellcheck disable=SC2317 # the cases run by name from the loop at the end
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../../.." && pwd)
module=$here/vm/module.sh
# The module run.sh --ko gave the VM (the debug kernel has its own build).
ko=${VSOCKFWD_KO:-$top/vhost_vsock_fwd.ko}

# shellcheck source-path=SCRIPTDIR source=ktap_lib.sh
. "$here/ktap_lib.sh"
ktap_print_header
ktap_set_plan 4
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
	ktap_case "module.$t" "$t"
	gone || { rmmod vhost_vsock_fwd vhost_vsock 2> /dev/null; true; }
done
ktap_finished
