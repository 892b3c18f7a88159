# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # the variables are for the caller
#
# Sourced by guest-bench.sh and behaviour.sh: what both do around nested
# guests in the test VM. The caller sets -euo pipefail and defines
# fail TEXT (what a step that cannot go on does; it must not return).
#
#   tmp, pids, bg CMD...        a scratch directory, background processes
#                               that the exit trap kills
#   start_guest NAME [OPTS...] [-- CMD]
#                               a nested guest (guest/run-guest.sh OPTS),
#                               its console in $tmp/NAME.log; sets gpid.
#                               The exit trap kills it with its QEMU.
#   wait_for WHAT SECS CMD...   poll CMD every 0.1 s; fail after SECS
#                               seconds, or when the last guest started
#                               ended
#   clock                       run-guest.sh options giving the nested
#                               guest the test VM's TSC frequency
#   start_daemon NAME CID [OPTS...]
#                               a vhost-device-vsock for guest CID (with
#                               PEER_WINDOW for a guest that writes more
#                               than 32 KiB at once), its
#                               vhost-user socket $tmp/NAME.sock, its log
#                               (RUST_LOG=debug) $tmp/NAME.log; sets dpid
#   daemon_state PID            what that daemon is doing (for a stall)
#   keep FILE NAME              copy FILE to the --logs directory as NAME

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../../../../.." && pwd)
gbin=$top/build/guest/bin
daemon=$top/build/peer/vhost-device-vsock
vsock_fwd=$top/tools/vsock-fwd/vsock-fwd
logs=''

tmp=$(mktemp -d)
pids=() guests=()
cleanup() {
	local p
	for p in "${guests[@]}"; do
		kill -- -"$p" 2> /dev/null || true
	done
	for p in "${pids[@]}"; do
		kill "$p" 2> /dev/null || true
	done
	wait 2> /dev/null || true
	guests=() pids=()
	rm -rf "$tmp"
}
trap cleanup EXIT
bg() { "$@" & pids+=($!); }

running() { kill -0 "$1" 2> /dev/null; }
listening() { ss --vsock -ln 2> /dev/null | grep -q ":$1\b"; }
logged() { grep -q -- "$2" "$1" 2> /dev/null; }
# said FILE TOKEN: a line that is exactly TOKEN (a guest's command line,
# echoed on its console, holds its tokens too).
said() { grep -qx -- "$2" "$1" 2> /dev/null; }

# A background job of this script is not a process group leader, so setsid
# makes the guest's own group without forking: $! is its leader.
gpid='' glog='' gerr=''
start_guest() {
	local name=$1
	shift
	glog=$tmp/$name.log gerr=$tmp/$name.err
	setsid bash "$here/../guest/run-guest.sh" --quiet --timeout 3600 \
		--log "$glog" "$@" > "$gerr" 2>&1 &
	gpid=$!
	guests+=("$gpid")
}
guest_why() {
	echo "$(grep -E 'FAIL|rror' "$glog" | head -n 3 | tr '\n' ' ')" \
		"$(tail -n 3 "$gerr" | tr '\n' ' ')"
}
# Time limits count the test VM's clock (under icount, its instructions).
wait_for() {
	local what=$1 limit=$2
	local end=$((SECONDS + limit))
	shift 2
	until "$@"; do
		[ $SECONDS -lt $end ] || fail "timed out waiting for $what ($limit s)"
		[ -z "$gpid" ] || running "$gpid" ||
			fail "the guest ended before $what: $(guest_why)"
		sleep 0.1
	done
}

# The nested guest cannot calibrate its TSC against the PIT under TCG
# ("tsc: Unable to calibrate against PIT") and falls back to jiffies: 4 ms
# steps in every time it takes. Its TSC is QEMU's host ticks, the test
# VM's own TSC, whose frequency the test VM knows.
khz=$(dmesg | sed -n -e 's/.*tsc: Refined TSC clocksource calibration: \([0-9]*\)\.\([0-9]*\) MHz.*/\1\2/p' \
	-e 's/.*tsc: Detected \([0-9]*\)\.\([0-9]*\) MHz processor.*/\1\2/p' | tail -n 1)
clock=(--append "tsc_early_khz=${khz:?no TSC frequency in the test VM log} tsc=reliable")

# The daemon's parser (virtio-vsock 0.8) takes a TX packet's payload from
# one descriptor only. The guest kernel (6.12.117, with Linux commit
# 6693731487a8) builds a packet whose skb would exceed
# SKB_WITH_OVERHEAD(32 KiB), i.e. more than 32404 bytes of payload, from
# page fragments, one descriptor each: the daemon fails it with
# DescriptorLengthTooSmall, drops the payload and never returns the
# descriptors, and the stream stalls for ever (README, "the hang"). A
# packet is never larger than the credit the daemon grants, its
# --tx-buffer-size, so a window below that limit keeps every packet whole.
PEER_WINDOW=(--tx-buffer-size 32256)

dpid=''
start_daemon() {
	local name=$1 cid=$2 i=0
	shift 2
	[ -x "$daemon" ] || fail "$daemon missing (make peer)"
	RUST_LOG=debug "$daemon" --guest-cid "$cid" --socket "$tmp/$name.sock" \
		--forward-cid 1 "$@" > "$tmp/$name.log" 2>&1 &
	dpid=$!
	pids+=("$dpid")
	until [ -S "$tmp/$name.sock" ]; do
		running "$dpid" || return 1
		i=$((i + 1))
		[ $i -lt 300 ] || return 1
		sleep 0.1
	done
}

# Which of its sockets the daemon's epoll still watches: a connection's
# socket that is missing there is one whose data it no longer reads.
daemon_state() {
	local d=$1 f t
	echo "== vsock sockets (ss --vsock -anep)"
	ss --vsock -anep 2> /dev/null || true
	echo "== the daemon's descriptors"
	for f in /proc/"$d"/fd/*; do
		echo "fd ${f##*/} -> $(readlink "$f" 2> /dev/null)"
	done
	echo "== its epoll sets (tfd: a watched fd; events: its mask in hex)"
	for f in /proc/"$d"/fdinfo/*; do
		grep -q '^tfd:' "$f" 2> /dev/null || continue
		echo "epoll fd ${f##*/}:"
		grep '^tfd:' "$f"
	done
	echo "== its threads (name, state, wchan, syscall)"
	for t in /proc/"$d"/task/*; do
		echo "$(cat "$t/comm") $(cut -d' ' -f3 "$t/stat") $(cat "$t/wchan")" \
			"$(cut -d' ' -f1 "$t/syscall")"
	done 2> /dev/null
}

keep() {
	[ -z "$logs" ] || cp "$1" "$logs/$2" 2> /dev/null || true
}
