#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# behaviour.sh [ours|peer...]
#
# What an enclave and the host's applications see, through our module with
# forward {3 -> 2} and through rust-vmm's vhost-device-vsock with
# --forward-cid 1 --forward-listen (build/peer): the rows of the README's
# table. Runs in the test VM booted with --module none, from the top of the
# repository, with the same nested guests and programs as guest-bench.sh:
#
#   vm/run.sh --module none --timeout 1800 -- \
#       tools/testing/selftests/vsock_fwd/bench/behaviour.sh
#
# Prints one "BEHAVIOUR IMPL ROW: WHAT WAS SEEN" line per row and
# implementation, and exits 0 when every step ran (whatever it showed).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../../../.." && pwd)
gbin=$top/build/guest/bin
daemon=$top/build/peer/vhost-device-vsock
vsock_fwd=$top/tools/vsock-fwd/vsock-fwd
module=$here/../vm/module.sh
run_guest=(bash "$here/../guest/run-guest.sh" --quiet --timeout 900)

ENC=10 ENC2=11
# absent parent, SEQPACKET, seen CID, host-opened, mid-stream close, 8 streams
P_ABSENT=7000 P_SEQ=7001 P_IN=7002 P_SEEN=7003 P_CLOSE=7004 P_PAR=7010
PAR=8 PAR_BYTES=4194304 CLOSE_WAIT=60

tmp=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2> /dev/null || true
	done
	wait 2> /dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

impl=''
say() { echo "BEHAVIOUR $impl $*"; }
die() { echo "behaviour.sh: $impl: $*" >&2; exit 1; }
bg() { "$@" & pids+=($!); }

wait_for() {
	local what=$1 i=0 n=$(($2 * 10))
	shift 2
	until "$@"; do
		i=$((i + 1))
		[ $i -lt $n ] || die "timed out waiting for $what"
		sleep 0.1
	done
}
listening() { ss --vsock -ln 2> /dev/null | grep -q ":$1\b"; }
# after TOKEN FILE N: the N lines after the line that is TOKEN (the
# guest's command line, echoed on its console, holds the tokens too).
after() { grep -x -A "$3" -- "$1" "$2" | tail -n "$3"; }
logged() { grep -q -- "$2" "$1" 2> /dev/null; }

# start_daemon CID NAME [--forward-listen PORTS]: a vhost-device-vsock for a
# guest; its vhost-user socket is $tmp/NAME.sock. Fails if it exits.
start_daemon() {
	local cid=$1 name=$2
	shift 2
	"$daemon" --guest-cid "$cid" --socket "$tmp/$name.sock" --forward-cid 1 "$@" \
		> "$tmp/$name.log" 2>&1 &
	pids+=($!)
	local i=0
	until [ -S "$tmp/$name.sock" ]; do
		kill -0 "${pids[-1]}" 2> /dev/null || return 1
		i=$((i + 1))
		[ $i -lt 300 ] || return 1
		sleep 0.1
	done
}

# host_in CID NAME OUT: the host opens a connection to port P_IN at CID
# once guest NAME says it listens; one that comes first is refused
# (through the daemon: reset) and tried again. A reply that never comes
# (the daemon accepted for a guest that is gone) ends it after 30 s.
host_in() {
	local tries=0
	wait_for "the guest's listener" 900 logged "$tmp/$2.out" BH-IN-READY
	until timeout 30 "$gbin/vsock-xfer" -w 10 -t 0.1 ping "$1:$P_IN" > "$3" 2>&1; do
		tries=$((tries + 1))
		[ $tries -lt 5 ] || break
		sleep 0.2
	done
}

# guest_dev CID NAME: run-guest.sh's options for that guest's device.
guest_dev() {
	if [ "$impl" = ours ]; then
		echo "--cid $1"
	else
		echo "--vhost-user $tmp/$2.sock"
	fi
}

one() {
	impl=$1
	local hcid
	"$module" load "$impl" > "$tmp/load" 2>&1 || die "$(cat "$tmp/load")"
	modprobe vsock_diag
	rm -f "$tmp"/*.log "$tmp"/*.out
	if [ "$impl" = ours ]; then
		"$vsock_fwd" set "$ENC" parent 2 > /dev/null
		"$vsock_fwd" set "$ENC2" parent 2 > /dev/null
		hcid=$ENC
	else
		start_daemon "$ENC" enc --forward-listen "$P_IN" || die "daemon: $(cat "$tmp/enc.log")"
		hcid=1
	fi

	# The host's applications.
	bg "$gbin/vsock-xfer" -s recv "$P_SEQ" > "$tmp/seq.out" 2>&1
	bg "$gbin/vsock-echo" -S "$P_SEEN" > "$tmp/seen.out" 2>&1
	# Reads 1 MB of the stream, then socat's next write fails and it exits.
	bg sh -c "socat -u VSOCK-LISTEN:$P_CLOSE - | head -c 1000000 > /dev/null" \
		> "$tmp/close.out" 2>&1
	for ((i = 0; i < PAR; i++)); do
		bg "$gbin/vsock-xfer" recv $((P_PAR + i)) > "$tmp/par$i.out" 2>&1
	done
	for p in "$P_SEQ" "$P_SEEN" "$P_CLOSE" "$P_PAR"; do
		wait_for "a listener on $p" 30 listening "$p"
	done

	local g="echo BH-ABSENT; vsock-xfer ping 3:$P_ABSENT;"
	g+=" echo BH-SEQ; vsock-xfer -s -n 65536 -m 4096 send 3:$P_SEQ;"
	g+=" echo BH-SEEN; vsock-xfer -t 0.1 ping 3:$P_SEEN;"
	g+=" vsock-echo -1 $P_IN & echo BH-IN-READY; wait;"
	# A sender nobody tells that its peer went away would block for ever.
	g+=" echo BH-CLOSE; date +BH-T0=%s; timeout $CLOSE_WAIT vsock-xfer -n 1073741824 send 3:$P_CLOSE;"
	g+=" echo BH-CLOSE-RC=\$?; date +BH-T1=%s;"
	g+=" echo BH-PAR; date +BH-P0=%s;"
	g+=" for i in 0 1 2 3 4 5 6 7; do vsock-xfer -n $PAR_BYTES send 3:\$(($P_PAR + i)) & done; wait;"
	g+=" date +BH-P1=%s"
	# shellcheck disable=SC2046 # the device options are words
	"${run_guest[@]}" $(guest_dev "$ENC" enc) --log "$tmp/enc.out" -- "$g" > "$tmp/enc.err" 2>&1 &
	local gpid=$!
	pids+=("$gpid")

	host_in "$hcid" enc "$tmp/in.out"
	wait "$gpid" || true

	local line
	line=$(after BH-ABSENT "$tmp/enc.out" 1 | grep VSOCK-XFER || echo "no result")
	say "absent-parent: ${line#*: }"
	line=$(after BH-SEQ "$tmp/enc.out" 1 | grep VSOCK-XFER || echo "no result")
	say "seqpacket: guest ${line#VSOCK-XFER-}; host $(head -n 2 "$tmp/seq.out" | tail -n 1)"
	say "host-sees: $(grep -m1 CONNECTED "$tmp/seen.out" || echo nothing)" \
		"(guest $(after BH-SEEN "$tmp/enc.out" 1 | grep -o 'VSOCK-XFER-[A-Z]* [^ ]*' || true))"
	say "enclave-sees: $(grep -m1 VSOCK-ECHO-CONNECTED "$tmp/enc.out" || echo nothing)" \
		"(host: $(tail -n 1 "$tmp/in.out"))"
	local t0 t1
	t0=$(sed -n 's/^BH-T0=//p' "$tmp/enc.out") t1=$(sed -n 's/^BH-T1=//p' "$tmp/enc.out")
	line=$(after BH-CLOSE "$tmp/enc.out" 2 | grep VSOCK-XFER ||
		echo "nothing: still blocked in write() when killed after $CLOSE_WAIT s")
	say "host-closes: guest ${line#VSOCK-XFER-} within $((t1 - t0 + 1)) s"
	t0=$(sed -n 's/^BH-P0=//p' "$tmp/enc.out") t1=$(sed -n 's/^BH-P1=//p' "$tmp/enc.out")
	say "8-streams: $(after BH-PAR "$tmp/enc.out" 100 | grep -c 'VSOCK-XFER-OK sent') of $PAR senders ok," \
		"$(cat "$tmp"/par*.out | grep -c 'VSOCK-XFER-OK received') receivers verified," \
		"$((PAR * PAR_BYTES / 1048576)) MiB in $((t1 - t0)) s"

	# A second enclave, with a service on the same port as the first.
	local dev2=enc2 hcid2=$ENC2
	if [ "$impl" = peer ]; then
		if start_daemon "$ENC2" enc2 --forward-listen "$P_IN"; then
			say "two-enclaves: a second daemon with --forward-listen $P_IN started"
		else
			say "two-enclaves: a second daemon with --forward-listen $P_IN failed:" \
				"$(grep -m1 -i error "$tmp/enc2.log" || tail -n 1 "$tmp/enc2.log")"
			start_daemon "$ENC2" enc2b || die "daemon: $(cat "$tmp/enc2b.log")"
			dev2=enc2b
		fi
		hcid2=1
	fi
	# shellcheck disable=SC2046 # the device options are words
	"${run_guest[@]}" $(guest_dev "$ENC2" "$dev2") --log "$tmp/enc2.out" -- \
		"vsock-echo -1 $P_IN & echo BH-IN-READY; wait; vsock-xfer -t 0.1 ping 3:$P_SEEN" \
		> "$tmp/enc2.err" 2>&1 &
	gpid=$!
	pids+=("$gpid")
	host_in "$hcid2" enc2 "$tmp/in2.out"
	wait "$gpid" || true
	say "two-enclaves: host dials $hcid2:$P_IN for the second: $(tail -n 1 "$tmp/in2.out");" \
		"it sees $(grep -m1 VSOCK-ECHO-CONNECTED "$tmp/enc2.out" || echo nothing)"
	say "two-enclaves: the host service on port $P_SEEN sees" \
		"$(grep CONNECTED "$tmp/seen.out" | sed 's/.*peer=//' | tr '\n' ' ')"


	for p in "${pids[@]}"; do
		kill "$p" 2> /dev/null || true
	done
	wait 2> /dev/null || true
	pids=()
	if [ "$impl" = ours ]; then
		"$vsock_fwd" del "$ENC" > /dev/null
		"$vsock_fwd" del "$ENC2" > /dev/null
	fi
	"$module" unload "$impl" > "$tmp/unload" 2>&1 || die "$(cat "$tmp/unload")"
}

[ -x "$daemon" ] || die "$daemon missing (make peer)"
for m in stock ours peer; do
	"$module" unload "$m"
done
[ $# -gt 0 ] || set -- ours peer
for i in "$@"; do
	one "$i"
done
