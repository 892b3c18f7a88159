#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Persistent rules, in the test VM with no module preloaded (run.sh --module
# none) and /usr and /etc made writable (vm/rw-root.sh): the tool is
# installed with its udev rule and systemd unit, /etc/vsock-fwd/rules
# holds good lines and bad ones, and the module is loaded, unloaded and
# loaded again under a running systemd-udevd. KTAP output.
#
# systemd is not PID 1 in the test VM, so this checks the two halves of
# what it does on a host: udev tags the module's appearance with
# SYSTEMD_WANTS=vsock-fwd.service on each load, and the unit's ExecStart
# (run here as systemd would) applies the good lines and reports the bad
# ones with file and line.
# shellcheck disable=SC2317 # the cases run by name from the loop at the end
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=vm/rw-root.sh
. "$here/vm/rw-root.sh"
module=$here/vm/module.sh
unit=/usr/local/lib/systemd/system/vsock-fwd.service
rules=/etc/vsock-fwd/rules
tmp=$(mktemp -d)

# shellcheck source-path=SCRIPTDIR source=ktap_lib.sh
. "$here/ktap_lib.sh"
ktap_print_header
ktap_set_plan 5
fail() { echo "# $*"; return 1; }

install_tool() {
	rw_root_on /usr /etc || fail "no writable /usr and /etc"
	make -s -C "$top/tools/vsock-fwd" install > "$tmp/install.log" 2>&1 ||
		fail "make install: $(cat "$tmp/install.log")"
	[ -f "$unit" ] || fail "$unit not installed"
	[ -f /usr/local/lib/udev/rules.d/70-vsock-fwd.rules ] || fail "udev rule not installed"
	! grep -q '^[^#]' "$rules" || fail "the installed $rules is not all comments"
	# Lines 5 and 8 are wrong, 9 is refused by the module (no device
	# with CID 99 to accept); the others must still be applied.
	cat > "$rules" <<-'RULES'
	# enclaves of this host
	set 16 parent 2 strict   # the first enclave
	set 17 parent 2 alias 5

	set 18 parent two
	set 19 parent 20
	set 21 parent 2
	frobnicate 22
	accept 99
	del 21
	RULES
	/lib/systemd/systemd-udevd --daemon || fail "systemd-udevd does not start"
}

# What systemd does when udev asks for vsock-fwd.service: the unit's
# condition, then its ExecStart.
run_unit() {
	local cond line
	cond=$(sed -n 's/^ConditionPathExists=//p' "$unit")
	[ "$cond" = "$rules" ] || fail "unit's condition is '$cond', not $rules"
	line=$(sed -n 's/^ExecStart=//p' "$unit")
	read -ra cmd <<< "$line"
	"${cmd[@]}"
}

# Load the module and check that udev asked for the unit.
load_tagged() {
	local props
	"$module" load ours || fail "insmod failed"
	udevadm settle || fail "udevadm settle failed"
	props=$(udevadm info -q property -p /module/vhost_vsock_fwd) ||
		fail "udev has no record of the module"
	grep -qx 'SYSTEMD_WANTS=vsock-fwd.service' <<< "$props" ||
		fail "no SYSTEMD_WANTS=vsock-fwd.service: $props"
	grep -q '^TAGS=.*:systemd:' <<< "$props" || fail "not tagged for systemd: $props"
}

# The unit applied the good lines and named the bad ones.
applied() {
	local out=$tmp/unit.err
	if run_unit 2> "$out"; then
		fail "a rules file with bad lines gave success"
	fi
	sed 's/^/#   /' "$out"
	grep -q "^vsock-fwd: $rules:5: " "$out" || fail "line 5 not reported"
	grep -q "^vsock-fwd: $rules:8: " "$out" || fail "line 8 not reported"
	grep -q "^vsock-fwd: $rules:9: " "$out" || fail "line 9 not reported"
	[ "$(grep -c "^vsock-fwd: $rules:" "$out")" -eq 3 ] || fail "more than three lines reported"
	vsock-fwd -j rules > "$tmp/rules.json" || fail "vsock-fwd rules failed"
	jq -e '[.[] | [.cid, .target_cid, .alias_cid, .strict]] ==
		[[16, 2, 3, true], [17, 2, 5, false], [19, 20, 3, false]]' \
		"$tmp/rules.json" > /dev/null || fail "rules in force: $(cat "$tmp/rules.json")"
}

first_load() {
	load_tagged && applied
}

reload() {
	"$module" unload ours || fail "rmmod failed"
	[ ! -d /sys/module/vhost_vsock_fwd ] || fail "module still loaded"
	load_tagged && applied
}

missing_file() {
	rm "$rules"
	# systemd skips the unit: its condition fails.
	[ ! -e "$(sed -n 's/^ConditionPathExists=//p' "$unit")" ] || fail "condition still true"
}

keep_going_only_with_batch() {
	local err
	if err=$(vsock-fwd -k rules 2>&1); then
		fail "-k without -b accepted"
	fi
	grep -q -- "-k goes with -b" <<< "$err" || fail "unexpected: $err"
}

for t in install_tool first_load reload missing_file keep_going_only_with_batch; do
	ktap_case "rules.$t" "$t"
done
udevadm control --exit
"$module" unload ours
rw_root_off
rm -rf "$tmp"
ktap_finished
