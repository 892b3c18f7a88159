#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The 'make demo' scenario, run inside the test VM with vhost_vsock_fwd
# loaded: this VM stands in for the enclave's parent EC2 instance. An
# enclave image (an EIF written by mkeif: the small guest kernel, a
# Nitro-style init that heartbeats CID 3 port 9000, and the application)
# boots on QEMU's nitro-enclave machine with one option, parent-cid=2, and
# talks to its parent at CID 3 as on EC2. Exits 0 only if every step did
# what it says.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
PATH=$top/tools/vsock-fwd:$top/tools/mkeif:$top/build/guest/bin:$PATH
guest=tools/testing/selftests/vsock_fwd/guest
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

[ -x build/qemu/bin/qemu-system-x86_64 ] || die "no build/qemu: run make qemu"

step "The module"
say "$(lsmod | grep '^vhost_vsock_fwd') (stock vhost_vsock is not loaded)"
say "/dev/vhost-vsock is ours: QEMU uses it unchanged."

step "The enclave image: mkeif, as nitro-cli build-enclave lays one out"
say "kernel build/guest/bzImage, ramdisk 1 the init (nitro-init), ramdisk 2 the"
say "application: its file system under /rootfs, where the init chroots, and"
say "/cmd and /env, as nitro-cli writes them"
"$guest/build-eif.sh" "$work/enclave.eif" -- sh -c \
	"vsock-xfer -w 10 send -n 1048576 3:8000 && vsock-echo -1 5000"
show <(mkeif --describe "$work/enclave.eif" | grep -E '^(section|cmdline|PCR)')

step "The parent side, on this VM (the host applications: parent-cid=2)"
say "vsock-fwd heartbeat: answers the enclave's boot heartbeat on port 9000, as nitro-cli does"
vsock-fwd heartbeat count 1 > "$work/heartbeat.log" 2>&1 &
say "vsock-xfer recv 8000: a parent service the enclave application uses (1 MiB, checksummed)"
vsock-xfer recv 8000 > "$work/xfer.log" 2>&1 &
xfer=$!

step "Boot it: qemu-system-x86_64 -M nitro-enclave,parent-cid=2 -kernel enclave.eif"
say "(QEMU 10.0 with the parent-cid series, build/qemu; nested emulation: the boot takes a while)"
"$guest/run-guest.sh" --quiet --eif "$work/enclave.eif" --nitro "parent-cid=2,enclave-cid=$cid" \
	--mem 256 --timeout 300 --log "$work/enclave.log" &
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

step "What the module did: vsock-fwd show (QEMU set the forward itself: no rule)"
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

step "Done: the EIF booted as on EC2 with one QEMU option, and only ever saw its parent as CID 3"
