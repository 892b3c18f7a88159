#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Upstream's tools/testing/vsock/vsock_test (built static from the same
# linux-source as the guest) between the test VM and a real guest, in both
# roles: the test VM as server with the guest as client, then the reverse.
# Runs against whichever module the test VM loaded, so that 'make check'
# compares ours with stock vhost_vsock; the guest has no forward, so ours
# must behave exactly like stock. The control channel is TCP over QEMU user
# networking (the test VM is 10.0.2.2 to the guest; a host forward reaches
# the guest's server). Prints TAP, one line per case and direction.
set -u

# shellcheck source-path=SCRIPTDIR source=e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"
vt=$gbin/vsock_test
CID=30 PORT=5100
GT=600	# seconds for one whole vsock_test run, guest boot included

# Cases vsock_test should not run, each with why; none so far.
skip=()

mapfile -t cases < <("$vt" --list | tail -n +2)
echo "TAP version 13"
echo "1..$((2 * ${#cases[@]}))"

# report ROLE HOSTOUT GUESTOUT: a case passed if both ends printed its
# "ID - NAME...ok"; vsock_test stops at the first failure, so the cases
# after it were not run.
report() {
	local role=$1 c id name why first=
	for c in "${cases[@]}"; do
		id=${c%%$'\t'*} name=${c#*$'\t'}
		why=
		if [ -n "$first" ]; then
			why="not run: case $first failed first"
		elif ! grep -qF -- "$id - $name...ok" "$2" || ! grep -qF -- "$id - $name...ok" "$3"; then
			first=$id
			why="host: $(grep -F -A3 -- "$id - $name..." "$2" | tr '\n' '|') guest: $(grep -F -A3 -- "$id - $name..." "$3" | tr '\n' '|')"
		fi
		result "vsock_test.$role.$id $name" "$why"
	done
}

# The test VM serves; the guest connects to it as 10.0.2.2.
timeout $GT "$vt" --mode=server --control-port=$PORT --peer-cid=$CID "${skip[@]}" \
	> "$tmp/server.host" 2>&1 &
host_pid=$!
if wait_log "$tmp/server.host" '^Control socket listening' 30; then
	guest_start server --cid $CID --net "" --timeout $GT -- \
		"vsock_test --mode=client --control-host=10.0.2.2 --control-port=$PORT --peer-cid=2 ${skip[*]}"
	guest_wait server $((GT + 30)) > /dev/null
fi
wait_pid $host_pid 30 > /dev/null
report host_server "$tmp/server.host" "$tmp/server.log"

# The guest serves; the test VM connects through the host forward, only
# once the guest listens (vsock_test does not retry its control connect).
guest_start client --cid $CID --net "hostfwd=tcp:127.0.0.1:$PORT-:$PORT" --timeout $GT -- \
	"vsock_test --mode=server --control-port=$PORT --peer-cid=2 ${skip[*]}"
if wait_log "$tmp/client.log" '^Control socket listening' $GT; then
	timeout $GT "$vt" --mode=client --control-host=127.0.0.1 --control-port=$PORT \
		--peer-cid=$CID "${skip[@]}" > "$tmp/client.host" 2>&1
fi
guest_wait client $((GT + 30)) > /dev/null
report host_client "$tmp/client.host" "$tmp/client.log"

exit "$failed"
