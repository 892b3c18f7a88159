#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The 'make demo' scenario, run inside the test VM with vhost_vsock_fwd
# loaded: this VM stands in for the enclave's parent EC2 instance, and an
# enclave VM (the small guest kernel, stock QEMU, guest CID 16) boots with
# a Nitro-style init that heartbeats CID 3 port 9000 before running its
# application. Exits 0 only if every step did what it says.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
PATH=$top/tools/vsock-fwd:$top/build/guest/bin:$PATH
guest=tools/testing/selftests/vsock_fwd/guest/run-guest.sh
work=$(mktemp -d)
cid=16

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say() { printf '   %s\n' "$*"; }
die() { printf '\n\033[1;31mdemo failed: %s\033[0m\n' "$*"; exit 1; }
show() { sed 's/^/   | /' "$@"; }

# wait_for FILE PATTERN SECONDS: until a line of FILE matches PATTERN.
wait_for() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

step "The module"
say "$(lsmod | grep '^vhost_vsock_fwd') (stock vhost_vsock is not loaded)"
say "/dev/vhost-vsock is ours: QEMU uses it unchanged."

step "The parent side, on this VM (CID 2 for the enclave's VMM)"
say "vsock-fwd heartbeat: answers the enclave's boot heartbeat on port 9000, as nitro-cli does"
vsock-fwd heartbeat count 1 > "$work/heartbeat.log" 2>&1 &
say "vsock-xfer recv 8000: a parent service the enclave application uses (1 MiB, checksummed)"
vsock-xfer recv 8000 > "$work/xfer.log" 2>&1 &
xfer=$!

step "Forward the enclave's CID 3 to this host, by rule, before the VM exists"
say "\$ vsock-fwd set $cid parent 2"
vsock-fwd set $cid parent 2
show <(vsock-fwd rules)

step "Boot the enclave VM: stock QEMU, -M microvm -device vhost-vsock-device,guest-cid=$cid"
say "(nested emulation: the boot takes a while)"
"$guest" --quiet --cid $cid --heartbeat 3 --timeout 300 --log "$work/enclave.log" -- \
	"vsock-xfer -w 10 send -n 1048576 3:8000 && vsock-echo -1 5000" &
enclave=$!

wait_for "$work/enclave.log" 'NITRO-HEARTBEAT' 240 || die "the enclave did not boot"
show <(grep -E 'NITRO-HEARTBEAT' "$work/enclave.log")
wait_for "$work/heartbeat.log" 'heartbeat from' 30 || die "no heartbeat reached the host"
say "the host's side of it:"
show "$work/heartbeat.log"
grep -q 'NITRO-HEARTBEAT-OK' "$work/enclave.log" || die "the enclave's heartbeat failed"

step "The enclave application sends 1 MiB to its parent at 3:8000"
wait "$xfer" || die "the transfer failed: $(cat "$work/xfer.log")"
show "$work/xfer.log"

step "What the module did: vsock-fwd show"
show <(vsock-fwd show $cid)
say "and as JSON, for scripts (vsock-fwd -j show $cid | jq .stats):"
show <(vsock-fwd -j show $cid | jq -c '.[0].stats // .stats')

step "The host connects into the enclave: it sees the connection come from CID 3"
reply=
for _ in $(seq 50); do
	reply=$(echo "hello, enclave" | socat -t 5 - VSOCK-CONNECT:$cid:5000 2>/dev/null) && break
	sleep 0.2
done
[ "$reply" = "hello, enclave" ] || die "no echo from the enclave"
say "host sent 'hello, enclave', the enclave echoed '$reply'"
wait "$enclave" || die "the enclave VM failed (status $?)"
say "the enclave's side of it:"
show <(grep -E 'VSOCK-ECHO-(CONNECTED|CLOSED)' "$work/enclave.log")
grep -q 'VSOCK-ECHO-CONNECTED peer=3:' "$work/enclave.log" ||
	die "the enclave saw the host's connection from another CID than 3"

step "Done: the enclave booted as on EC2, and only ever saw its parent as CID 3"
