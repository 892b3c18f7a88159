#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# behaviour.sh [--logs DIR] [ours|peer...]
#
# What an enclave and the host's applications see, through our module with
# forward {3 -> 2} and through rust-vmm's vhost-device-vsock with
# --forward-cid 1 --forward-listen (build/peer): the rows of the README's
# table. The first enclave's daemon has the benchmark's window
# (PEER_WINDOW, l2-lib.sh), the second enclave's the default, and that one
# writes 64 KiB at once: the row "large-writes". Runs in the test VM booted with --module none, from the top of the
# repository, with the same nested guests and programs as guest-bench.sh:
#
#   vm/run.sh --module none --icount --timeout 3600 -- \
#       tools/testing/selftests/vsock_fwd/bench/behaviour.sh
#
# Prints one "BEHAVIOUR IMPL ROW: WHAT WAS SEEN" line per row and
# implementation, and exits 0 when every step ran (whatever it showed).
# Every step in a guest has a time limit (LIMIT seconds), so one that
# hangs is a row that says so. --logs DIR keeps the consoles and the
# daemons' logs (RUST_LOG=debug) there.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=l2-lib.sh
. "$(dirname "$0")/l2-lib.sh"
module=$here/../vm/module.sh

ENC=10 ENC2=11
# absent parent, SEQPACKET, seen CID, host-opened, mid-stream close, 64 KiB
# writes, 8 streams
P_ABSENT=7000 P_SEQ=7001 P_IN=7002 P_SEEN=7003 P_CLOSE=7004 P_BIG=7005 P_PAR=7010
PAR=8 PAR_BYTES=4194304 LIMIT=60

impl=''
say() { echo "BEHAVIOUR $impl $*"; }
fail() { echo "behaviour.sh: $impl: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case "$1" in
	--logs) logs=$2; shift 2 ;;
	*) break ;;
	esac
done

# after TOKEN FILE N: the N lines after the line that is TOKEN (the
# guest's command line, echoed on its console, holds the tokens too).
after() { grep -x -A "$3" -- "$1" "$2" | tail -n "$3"; }
# result TOKEN FILE: the tool's line in the step TOKEN began, or that it
# ran out of time (timeout's status 143).
result() {
	local lines
	lines=$(awk -v t="$1" '$0 == t { on = 1; next } on && /^RC=/ { print; exit } on' "$2")
	grep -m1 VSOCK-XFER <<< "$lines" ||
		echo "nothing within $LIMIT s (${lines##*$'\n'})"
}
# step TOKEN CMD: a guest step with its time limit, and its exit status.
step() { echo "echo $1; timeout $LIMIT $2; echo RC=\$?;"; }

# host_in CID NAME OUT: the host opens a connection to port P_IN at CID
# once guest NAME says it listens; one that comes first is refused
# (through the daemon: reset) and tried again.
host_in() {
	local tries=0
	wait_for "the guest's listener" 900 said "$tmp/$2.log" BH-IN-READY
	until timeout "$LIMIT" "$gbin/vsock-xfer" -w 10 -t 0.1 ping "$1:$P_IN" > "$3" 2>&1; do
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

# end_guest NAME DAEMON: wait for it, keep its console and its daemon's log.
end_guest() {
	wait "$gpid" || true
	gpid=''
	keep "$tmp/$1.log" "behaviour-$impl-$1.log"
	[ "$impl" = ours ] || keep "$tmp/$2.log" "behaviour-$impl-$2.log"
}

one() {
	impl=$1
	local hcid
	"$module" load "$impl" > "$tmp/load" 2>&1 || fail "$(cat "$tmp/load")"
	modprobe vsock_diag
	if [ "$impl" = ours ]; then
		"$vsock_fwd" set "$ENC" parent 2 > /dev/null
		"$vsock_fwd" set "$ENC2" parent 2 > /dev/null
		hcid=$ENC
	else
		start_daemon enc-daemon "$ENC" "${PEER_WINDOW[@]}" --forward-listen "$P_IN" ||
			fail "daemon: $(cat "$tmp/enc-daemon.log")"
		hcid=1
	fi

	# The host's applications.
	bg "$gbin/vsock-xfer" -s recv "$P_SEQ" > "$tmp/seq.out" 2>&1
	bg "$gbin/vsock-echo" -S "$P_SEEN" > "$tmp/seen.out" 2>&1
	bg "$gbin/vsock-xfer" recv "$P_BIG" > "$tmp/big.out" 2>&1
	# Reads 1 MB of the stream, then socat's next write fails and it exits.
	bg sh -c "socat -u VSOCK-LISTEN:$P_CLOSE - | head -c 1000000 > /dev/null" \
		> "$tmp/close.out" 2>&1
	for ((i = 0; i < PAR; i++)); do
		bg "$gbin/vsock-xfer" recv $((P_PAR + i)) > "$tmp/par$i.out" 2>&1
	done
	for p in "$P_SEQ" "$P_SEEN" "$P_CLOSE" "$P_BIG" "$P_PAR"; do
		wait_for "a listener on $p" 30 listening "$p"
	done

	local g
	g="$(step BH-ABSENT "vsock-xfer ping 3:$P_ABSENT")"
	g+=" $(step BH-SEQ "vsock-xfer -s -n 65536 -m 4096 send 3:$P_SEQ")"
	g+=" $(step BH-SEEN "vsock-xfer -t 0.1 ping 3:$P_SEEN")"
	g+=" timeout $LIMIT vsock-echo -1 $P_IN & echo BH-IN-READY; wait;"
	g+=" date +BH-T0=%s; $(step BH-CLOSE "vsock-xfer -n 1073741824 send 3:$P_CLOSE")"
	g+=" date +BH-T1=%s; echo BH-PAR; date +BH-P0=%s;"
	g+=" for i in 0 1 2 3 4 5 6 7; do timeout $LIMIT vsock-xfer -n $PAR_BYTES send 3:\$(($P_PAR + i)) & done; wait;"
	g+=" date +BH-P1=%s"
	# shellcheck disable=SC2046 # the device options are words
	start_guest enc $(guest_dev "$ENC" enc-daemon) "${clock[@]}" -- "$g"
	host_in "$hcid" enc "$tmp/in.out"
	end_guest enc enc-daemon

	local out=$tmp/enc.log line t0 t1
	line=$(result BH-ABSENT "$out")
	say "absent-parent: ${line#*: }"
	line=$(result BH-SEQ "$out")
	say "seqpacket: guest ${line#VSOCK-XFER-}; host $(head -n 2 "$tmp/seq.out" | tail -n 1)"
	say "host-sees: $(grep -m1 CONNECTED "$tmp/seen.out" || echo nothing)" \
		"(guest $(result BH-SEEN "$out" | grep -o '^VSOCK-XFER-[A-Z]* [^ ]*\|^nothing.*'))"
	say "enclave-sees: $(grep -m1 VSOCK-ECHO-CONNECTED "$out" || echo nothing)" \
		"(host: $(tail -n 1 "$tmp/in.out"))"
	t0=$(sed -n 's/^BH-T0=//p' "$out") t1=$(sed -n 's/^BH-T1=//p' "$out")
	line=$(result BH-CLOSE "$out")
	say "host-closes: guest ${line#VSOCK-XFER-} within $((t1 - t0 + 1)) s"
	t0=$(sed -n 's/^BH-P0=//p' "$out") t1=$(sed -n 's/^BH-P1=//p' "$out")
	say "8-streams: $(after BH-PAR "$out" 100 | grep -c 'VSOCK-XFER-OK sent') of $PAR senders ok," \
		"$(cat "$tmp"/par*.out | grep -c 'VSOCK-XFER-OK received') receivers verified," \
		"$((PAR * PAR_BYTES / 1048576)) MiB in $((t1 - t0)) s"

	# A second enclave, with a service on the same port as the first, and
	# for the peer a daemon with its default window.
	local dev2=enc2-daemon hcid2=$ENC2
	if [ "$impl" = peer ]; then
		if start_daemon enc2-daemon "$ENC2" --forward-listen "$P_IN"; then
			say "two-enclaves: a second daemon with --forward-listen $P_IN started"
		else
			say "two-enclaves: a second daemon with --forward-listen $P_IN failed:" \
				"$(grep -m1 -i error "$tmp/enc2-daemon.log" || tail -n 1 "$tmp/enc2-daemon.log")"
			start_daemon enc2b-daemon "$ENC2" || fail "daemon: $(cat "$tmp/enc2b-daemon.log")"
			dev2=enc2b-daemon
		fi
		hcid2=1
	fi
	# shellcheck disable=SC2046 # the device options are words
	start_guest enc2 $(guest_dev "$ENC2" "$dev2") "${clock[@]}" -- \
		"timeout $LIMIT vsock-echo -1 $P_IN & echo BH-IN-READY; wait; $(step BH-SEEN2 "vsock-xfer -t 0.1 ping 3:$P_SEEN") $(step BH-BIG "vsock-xfer -n 1048576 -m 65536 send 3:$P_BIG")"
	host_in "$hcid2" enc2 "$tmp/in2.out"
	end_guest enc2 "$dev2"
	say "two-enclaves: host dials $hcid2:$P_IN for the second: $(tail -n 1 "$tmp/in2.out");" \
		"it sees $(grep -m1 VSOCK-ECHO-CONNECTED "$tmp/enc2.log" || echo nothing)"
	say "two-enclaves: the host service on port $P_SEEN sees" \
		"$(grep CONNECTED "$tmp/seen.out" | sed 's/.*peer=//' | tr '\n' ' ')"
	line=$(result BH-BIG "$tmp/enc2.log")
	local daemon_said=''
	[ "$impl" = ours ] || daemon_said="; daemon: $(grep -m1 -o 'error reading TX packet: .*' \
		"$tmp/$dev2.log" || echo nothing)"
	say "large-writes: 1 MiB in 64 KiB writes: guest ${line#VSOCK-XFER-};" \
		"host $(tail -n 1 "$tmp/big.out")$daemon_said"

	cleanup
	tmp=$(mktemp -d)
	if [ "$impl" = ours ]; then
		"$vsock_fwd" del "$ENC" > /dev/null
		"$vsock_fwd" del "$ENC2" > /dev/null
	fi
	"$module" unload "$impl" > "$tmp/unload" 2>&1 || fail "$(cat "$tmp/unload")"
}

for m in stock ours peer; do
	"$module" unload "$m"
done
[ $# -gt 0 ] || set -- ours peer
for i in "$@"; do
	one "$i"
done
