#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Upstream's tools/testing/vsock/vsock_test (built static from the same
# linux-source as the guest) between the test VM and a real guest, in both
# roles: the test VM as server with the guest as client, then the reverse.
# Runs against whichever module the test VM loaded, so that 'make check'
# compares ours with stock vhost_vsock; the guest has no forward, so ours
# must behave exactly like stock. With ours, both roles run once more with
# the guest forwarded to the test VM (vsock-fwd set CID parent 2): the guest
# dials and sees its peer as CID 3, the test VM sees the guest's own CID,
# and every case must still pass through the rewrite. The control channel
# is TCP over QEMU user networking (the test VM is 10.0.2.2 to the guest; a
# host forward reaches the guest's server). Prints KTAP, one result per case,
# direction and pass, one for both ends' exit status (a vsock_test that
# exits non-zero, a guest that panics after its last result) and two for
# vsock-rebind, which replaces the case skipped below.
set -u

# shellcheck source-path=SCRIPTDIR source=e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"
vt=$gbin/vsock_test
tool=$top/tools/vsock-fwd/vsock-fwd
CID=30 PORT=5100 ALIAS=3
RPORT=5300	# vsock-rebind, and RPORT + 1 its client's bound port
GT=600	# seconds for one whole vsock_test run, guest boot included

rebind=$gbin/vsock-rebind

# Cases vsock_test should not run, each with why (reported as SKIP).
#
# 21 "SOCK_STREAM double bind connect" races by design: its server writes
# LISTENING on the TCP control channel as soon as the client's SHUTDOWN
# arrives, and the client then binds the same port again, which works only
# if the server's RST (sent on that SHUTDOWN) was handled first in the
# client's kernel. The RST comes by virtio-vsock, handled in a guest
# workqueue; LISTENING by virtio-net, handled in softirq; nothing orders
# them. Under load (stress-ng --cpu 2 beside, load average 11), the case
# alone, host as server, 40 runs in one guest boot, ftrace in the test VM:
# stock vhost_vsock failed 3 of 40 and ours 3 of 40 ("bind: Address
# already in use", the host's "accept timed out"). Both put the RST in the
# RX ring and signal it a median 0.3 ms (stock) / 0.45 ms (ours) after the
# SHUTDOWN, LISTENING goes out at 1.3 / 1.1 ms, and each failed once with
# the RST signalled before LISTENING was written: the order is lost in the
# guest, not in the device. Upstream (linux-source-7.3) still has it.
# vsock-rebind checks the same kernel behaviour, waiting for the RST with
# SO_LINGER instead of racing it.
declare -A skip_why=(
	[21]="races by design (vsock_test.sh); vsock-rebind checks it instead"
)
skip=()
for id in "${!skip_why[@]}"; do
	skip+=(--skip "$id")
done

# The forwarded pass needs our module.
passes=1
[ ! -d /sys/module/vhost_vsock_fwd ] || passes=2

mapfile -t cases < <("$vt" --list | tail -n +2)
ktap_print_header
ktap_set_plan $((2 * passes * (${#cases[@]} + 2)))

# report ROLE HOSTOUT GUESTNAME HOSTRC GUESTRC [WHY]: a case passed if
# both ends printed its "ID - NAME...ok", a skipped one if both printed
# "skipped"; vsock_test stops at the first failure, so the cases after it
# were not run. Then both vsock_tests must have exited 0, and the guest
# (run-guest.sh's GUESTRC) must not have timed out or complained (125: a
# panic, WARN or BUG on its console, also after the last result). WHY
# fails them all.
report() {
	local role=$1 host=$2 guest=$tmp/$3.log c id name why first='' grc
	for c in "${cases[@]}"; do
		id=${c%%$'\t'*} name=${c#*$'\t'}
		why=${6:-}
		if [ -n "$why" ]; then
			:
		elif [ -n "$first" ]; then
			why="not run: case $first failed first"
		elif [ -n "${skip_why[$id]:-}" ]; then
			if grep -qF -- "$id - $name...skipped" "$host" && grep -qF -- "$id - $name...skipped" "$guest"; then
				echo "# ${skip_why[$id]}"
				ktap_test_skip "vsock_test.$role.$id $name"
				continue
			fi
			why="not skipped by both ends"
		elif ! grep -qF -- "$id - $name...ok" "$host" || ! grep -qF -- "$id - $name...ok" "$guest"; then
			first=$id
			why="host: $(grep -F -A3 -- "$id - $name..." "$host" | tr '\n' '|') guest: $(grep -F -A3 -- "$id - $name..." "$guest" | tr '\n' '|')"
		fi
		ktap_check "vsock_test.$role.$id $name" "$why"
	done
	why=${6:-}
	if [ -z "$why" ]; then
		[ "$4" = 0 ] || why="host vsock_test exit status $4; "
		grc=$(sed -n 's/^VSOCK-TEST-EXIT \([0-9]*\)$/\1/p' "$guest")
		[ "$grc" = 0 ] || why+="guest vsock_test exit status ${grc:-unknown}; "
		[ "$5" != 124 ] && [ "$5" != 125 ] || why+="guest run exit status $5; $(why_of "$3")"
	fi
	ktap_check "vsock_test.$role.exit_status" "$why"
}

# rebind_report ROLE HOSTOUT GUESTNAME HOSTRC GUESTRC [WHY]: vsock-rebind's
# verdict; GUESTRC is the guest's run, which ends with vsock-rebind's.
rebind_report() {
	local why=${6:-}
	if [ -z "$why" ]; then
		why=$(has "$2" '^VSOCK-REBIND-OK ')
		why+=$(has "$tmp/$3.log" '^VSOCK-REBIND-OK ')
		[ "$4" = 0 ] || why+="host vsock-rebind exit status $4; "
		[ "$5" = 0 ] || why+="guest exit status $5; $(why_of "$3")"
	fi
	ktap_check "vsock_test.$1.rebind" "$why"
}

# run_pass TAG GUEST_PEER: both roles, reported as host_server[_TAG] and
# host_client[_TAG]; the guest knows the test VM as GUEST_PEER. vsock-rebind
# runs after vsock_test in the same guest boot, on its own port.
run_pass() {
	local tag=$1 peer=$2 role hrc grc rrc

	# The test VM serves; the guest connects to it as 10.0.2.2.
	role=host_server${tag:+_$tag}
	timeout $GT "$rebind" server $RPORT > "$tmp/$role.rebind" 2>&1 &
	rebind_pid=$!
	timeout $GT "$vt" --mode=server --control-port=$PORT --peer-cid=$CID "${skip[@]}" \
		> "$tmp/$role.host" 2>&1 &
	host_pid=$!
	grc=255
	if wait_log "$tmp/$role.host" '^Control socket listening' 30 &&
	   wait_log "$tmp/$role.rebind" '^VSOCK-REBIND-LISTENING' 30; then
		guest_start "$role" --cid $CID --net "" --timeout $GT -- \
			"vsock_test --mode=client --control-host=10.0.2.2 --control-port=$PORT --peer-cid=$peer ${skip[*]}; echo VSOCK-TEST-EXIT \$?; vsock-rebind client $peer:$RPORT $((RPORT + 1))"
		guest_wait "$role" $((GT + 30)) > /dev/null
		grc=$?
	fi
	wait_pid $host_pid 30 > /dev/null
	hrc=$?
	wait_pid $rebind_pid 30 > /dev/null
	rrc=$?
	report "$role" "$tmp/$role.host" "$role" $hrc $grc
	rebind_report "$role" "$tmp/$role.rebind" "$role" $rrc $grc

	# The guest serves; the test VM connects through the host forward, only
	# once the guest listens (vsock_test does not retry its control connect).
	role=host_client${tag:+_$tag}
	guest_start "$role" --cid $CID --net "hostfwd=tcp:127.0.0.1:$PORT-:$PORT" --timeout $GT -- \
		"vsock-rebind server $RPORT & vsock_test --mode=server --control-port=$PORT --peer-cid=$peer ${skip[*]}; echo VSOCK-TEST-EXIT \$?; wait \$!"
	hrc=255 rrc=255
	if wait_log "$tmp/$role.log" '^Control socket listening' $GT; then
		timeout $GT "$vt" --mode=client --control-host=127.0.0.1 --control-port=$PORT \
			--peer-cid=$CID "${skip[@]}" > "$tmp/$role.host" 2>&1
		hrc=$?
		if wait_log "$tmp/$role.log" '^VSOCK-REBIND-LISTENING' 30; then
			timeout $GT "$rebind" client $CID:$RPORT $((RPORT + 1)) > "$tmp/$role.rebind" 2>&1
			rrc=$?
		fi
	fi
	guest_wait "$role" $((GT + 30)) > /dev/null
	grc=$?
	report "$role" "$tmp/$role.host" "$role" $hrc $grc
	rebind_report "$role" "$tmp/$role.rebind" "$role" $rrc $grc
}

run_pass "" 2
if [ $passes = 2 ]; then
	# A rule by CID: QEMU's SET_GUEST_CID applies it.
	if "$tool" set $CID parent 2 alias $ALIAS > "$tmp/set" 2>&1; then
		run_pass fwd $ALIAS
		"$tool" del $CID > /dev/null 2>&1
	else
		why="vsock-fwd set failed: $(cat "$tmp/set")"
		for role in host_server_fwd host_client_fwd; do
			report $role /dev/null $role 0 0 "$why"
			rebind_report $role /dev/null $role 0 0 "$why"
		done
	fi
fi

ktap_finished
