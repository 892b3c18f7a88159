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
# host forward reaches the guest's server). Prints TAP, one line per case,
# direction and pass.
set -u

# shellcheck source-path=SCRIPTDIR source=e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"
vt=$gbin/vsock_test
tool=$top/tools/vsock-fwd/vsock-fwd
CID=30 PORT=5100 ALIAS=3
GT=600	# seconds for one whole vsock_test run, guest boot included

# Cases vsock_test should not run, each with why; none so far.
skip=()

# The forwarded pass needs our module.
passes=1
[ ! -d /sys/module/vhost_vsock_fwd ] || passes=2

mapfile -t cases < <("$vt" --list | tail -n +2)
echo "TAP version 13"
echo "1..$((2 * passes * ${#cases[@]}))"

# report ROLE HOSTOUT GUESTOUT [WHY]: a case passed if both ends printed
# its "ID - NAME...ok"; vsock_test stops at the first failure, so the cases
# after it were not run. WHY fails them all.
report() {
	local role=$1 c id name why first=
	for c in "${cases[@]}"; do
		id=${c%%$'\t'*} name=${c#*$'\t'}
		why=${4:-}
		if [ -n "$why" ]; then
			:
		elif [ -n "$first" ]; then
			why="not run: case $first failed first"
		elif ! grep -qF -- "$id - $name...ok" "$2" || ! grep -qF -- "$id - $name...ok" "$3"; then
			first=$id
			why="host: $(grep -F -A3 -- "$id - $name..." "$2" | tr '\n' '|') guest: $(grep -F -A3 -- "$id - $name..." "$3" | tr '\n' '|')"
		fi
		result "vsock_test.$role.$id $name" "$why"
	done
}

# run_pass TAG GUEST_PEER: both roles, reported as host_server[_TAG] and
# host_client[_TAG]; the guest knows the test VM as GUEST_PEER.
run_pass() {
	local tag=$1 peer=$2

	# The test VM serves; the guest connects to it as 10.0.2.2.
	timeout $GT "$vt" --mode=server --control-port=$PORT --peer-cid=$CID "${skip[@]}" \
		> "$tmp/server$tag.host" 2>&1 &
	host_pid=$!
	if wait_log "$tmp/server$tag.host" '^Control socket listening' 30; then
		guest_start "server$tag" --cid $CID --net "" --timeout $GT -- \
			"vsock_test --mode=client --control-host=10.0.2.2 --control-port=$PORT --peer-cid=$peer ${skip[*]}"
		guest_wait "server$tag" $((GT + 30)) > /dev/null
	fi
	wait_pid $host_pid 30 > /dev/null
	report "host_server${tag:+_$tag}" "$tmp/server$tag.host" "$tmp/server$tag.log"

	# The guest serves; the test VM connects through the host forward, only
	# once the guest listens (vsock_test does not retry its control connect).
	guest_start "client$tag" --cid $CID --net "hostfwd=tcp:127.0.0.1:$PORT-:$PORT" --timeout $GT -- \
		"vsock_test --mode=server --control-port=$PORT --peer-cid=$peer ${skip[*]}"
	if wait_log "$tmp/client$tag.log" '^Control socket listening' $GT; then
		timeout $GT "$vt" --mode=client --control-host=127.0.0.1 --control-port=$PORT \
			--peer-cid=$CID "${skip[@]}" > "$tmp/client$tag.host" 2>&1
	fi
	guest_wait "client$tag" $((GT + 30)) > /dev/null
	report "host_client${tag:+_$tag}" "$tmp/client$tag.host" "$tmp/client$tag.log"
}

run_pass "" 2
if [ $passes = 2 ]; then
	# A rule by CID: QEMU's SET_GUEST_CID applies it.
	if "$tool" set $CID parent 2 alias $ALIAS > "$tmp/set" 2>&1; then
		run_pass fwd $ALIAS
		"$tool" del $CID > /dev/null 2>&1
	else
		why="vsock-fwd set failed: $(cat "$tmp/set")"
		report host_server_fwd /dev/null /dev/null "$why"
		report host_client_fwd /dev/null /dev/null "$why"
	fi
fi

exit "$failed"
