#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# guest-bench.sh --case CASE --round N [--bytes N] [--time S] [--logs DIR]
#
# One real-guest case of the benchmark, run by bench.sh in the test VM
# with the case's module loaded: the project's guest kernel boots as a
# nested guest (guest/run-guest.sh, CID 10) and measures with vsock-xfer
# and vsock-echo against host applications in the test VM.
# Prints "sample CASE METRIC ROUND VALUE" lines as vsock_fwd_bench run
# does, and "error CASE TEXT" for what failed.
#
#   l2_stock  stock vhost_vsock, the guest connects to CID 2
#   l2_fwd    vhost_vsock_fwd, forward {3 -> 2} (vsock-fwd set 10 parent 2),
#             the guest connects to CID 3
#   l2_peer   rust-vmm's vhost-device-vsock (build/peer, make peer)
#             --forward-cid 1 --forward-listen --tx-buffer-size 32256
#             (l2-lib.sh: larger ones hang at 64 KiB writes), QEMU's
#             vhost-user-vsock-device on a shared memfd; the guest connects
#             to CID 3 and the daemon reaches the host applications over
#             vsock_loopback, the way it reaches them anywhere
#
# The guest opens every connection, as an enclave does: throughput from the
# guest with 4 KiB and 64 KiB writes and to the guest likewise (vsock-xfer
# -r: zeros, counted by the receiver up to the length the sender
# announced), 1-byte round trips and connections per second (vsock-xfer
# ping and conn against vsock-echo -S). Not upstream's vsock_perf: its
# sender must connect to the guest when the guest receives, which through
# the daemon resets (it writes before the guest accepted, see the README),
# and its receiver stops at the sender's shutdown after one more read,
# leaving what is still queued uncounted (a 64 KiB short count in 1 of 3
# l2_fwd rounds). Throughput counts at the receiver;
# cpu_* is the CPU time of the host side of the path per MB, round trip or
# connection: the vhost workers (threads "vhost-PID" of QEMU) or the
# daemon's threads, from schedstat, taken between the steps of the run.
#
#   --bytes N  bytes per throughput measurement (default 4194304)
#   --time S   seconds of round trips and of connections (default 2)
#   --logs DIR keep the guest's console and the daemon's log (RUST_LOG=debug)
#              there, and for a step that failed what the path was doing
#
# Every step has a time limit in the test VM's clock: the guest's boot
# 900 s, a throughput step 120 s + 1 s per 2 MB, the round trips and the
# connections 120 s + --time; one that runs out is an error line.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=l2-lib.sh
. "$(dirname "$0")/l2-lib.sh"

CID=10
# g2h: 4 KiB and 64 KiB, h2g likewise, the echo server, the guest's end.
P_G2H4=5201 P_G2H64=5211 P_H2G4=5203 P_H2G64=5213 P_ECHO=5202 P_END=5204

case='' round='' bytes=4194304 secs=2
usage() { sed -n '4,46p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	--case) case=$2; shift 2 ;;
	--round) round=$2; shift 2 ;;
	--bytes) bytes=$2; shift 2 ;;
	--time) secs=$2; shift 2 ;;
	--logs) logs=$2; shift 2 ;;
	*) usage ;;
	esac
done
[ -n "$round" ] || usage
case "$case" in
l2_stock) dst=2 hcid=$CID ;;
l2_fwd) dst=3 hcid=$CID ;;
l2_peer) dst=3 hcid=1 ;;
*) usage ;;
esac
name=$case-r$round

sample() { echo "sample $case $1 $round $2"; }
# A step that failed or ran out of time: what the path was doing then, and
# the logs, go to the --logs directory.
fail() {
	{
		echo "$*"
		[ -z "$dpid" ] || daemon_state "$dpid"
		echo "== the host's echo server (wchan, syscall)"
		cat /proc/"$echo_pid"/wchan /proc/"$echo_pid"/syscall 2> /dev/null || true
		local f
		for f in h2g4 h2g64 g2h4 g2h64 echo end; do
			[ -s "$tmp/$f" ] && echo "== the host's $f: $(tail -n 3 "$tmp/$f")"
		done
	} > "$tmp/failure"
	keep "$tmp/failure" "$name-failure.txt"
	keep "$tmp/guest.log" "$name-guest.log"
	[ -z "$dpid" ] || keep "$tmp/daemon.log" "$name-daemon.log"
	echo "error $case $*${logs:+ (logs: $name-*)}"
	exit 0
}
echo_pid=''

# Time limits in the test VM's time: the nested guest's boot, and each step
# after it. Throughput through the slowest path here is above 2 MB/s.
BOOT_S=900 STEP_S=$((120 + bytes / 2000000)) TALK_S=$((120 + secs))

# CPU time in ns of the host side of the path.
if [ "$case" = l2_peer ]; then
	host_cpu() {
		cat /proc/"$dpid"/task/*/schedstat 2> /dev/null |
			awk '{ s += $1 } END { printf "%d\n", s }'
	}
else
	host_cpu() {
		local t comm s=0 ns
		for t in /proc/[0-9]*/task/*; do
			read -r comm < "$t/comm" 2> /dev/null || continue
			[[ $comm == vhost-* ]] || continue
			read -r ns _ < "$t/schedstat" 2> /dev/null || continue
			s=$((s + ns))
		done
		echo "$s"
	}
fi

# per NS COUNT: microseconds per unit.
per() { awk -v d="$1" -v n="$2" 'BEGIN { printf "%.3f\n", d / 1000 / n }'; }
# A host application's end, which must be a success.
exited() { ! running "$1"; }
wait_exit() {
	wait_for "$2" "$STEP_S" exited "$1"
	wait "$1" || fail "$2: $(tail -n 2 "$tmp/$3" | tr '\n' ' ')"
}
# A host receiver ("VSOCK-XFER-OK received=N ... seconds=S") exits 0 only
# with all the sender announced; N must also be what was asked for.
received() {
	grep -q "^VSOCK-XFER-OK received=$bytes " "$tmp/$1" ||
		fail "the $1 receiver: $(tail -n 1 "$tmp/$1")"
}

modprobe vsock_diag
guest_dev=(--cid "$CID" "${clock[@]}")
case "$case" in
l2_fwd)
	"$vsock_fwd" set "$CID" parent 2 > "$tmp/fwd" 2>&1 || fail "vsock-fwd set: $(cat "$tmp/fwd")"
	;;
l2_peer)
	modprobe vsock_loopback
	start_daemon daemon "$CID" "${PEER_WINDOW[@]}" --forward-listen "$P_END" ||
		fail "the daemon did not start: $(tail -n 3 "$tmp/daemon.log")"
	guest_dev=(--vhost-user "$tmp/daemon.sock" "${guest_dev[@]:2}")
	;;
esac

# The host's applications, listening before the guest boots.
bg "$gbin/vsock-xfer" -r recv "$P_G2H4" > "$tmp/g2h4" 2>&1
g2h4=$!
bg "$gbin/vsock-xfer" -r recv "$P_G2H64" > "$tmp/g2h64" 2>&1
g2h64=$!
bg "$gbin/vsock-echo" -S "$P_ECHO" > "$tmp/echo" 2>&1
echo_pid=$!
bg "$gbin/vsock-xfer" -r -n "$bytes" -m 4096 send "$P_H2G4" > "$tmp/h2g4" 2>&1
h2g4=$!
bg "$gbin/vsock-xfer" -r -n "$bytes" -m 65536 send "$P_H2G64" > "$tmp/h2g64" 2>&1
h2g64=$!
for p in "$P_G2H4" "$P_G2H64" "$P_ECHO" "$P_H2G4" "$P_H2G64"; do
	wait_for "a listener on port $p" 30 listening "$p"
done

# The guest, one step after the other, idle for a second before each: the
# host takes the CPU time of the path while the guest sleeps, so the
# 0.1 s at which it polls does not count into a step. The kernel command
# line carries it, so it is short and has no double quotes.
gcmd="echo L2-RUN; sleep 1; vsock-xfer -r recv $dst:$P_H2G4 && sleep 1 &&"
gcmd+=" vsock-xfer -r recv $dst:$P_H2G64 && sleep 1 &&"
gcmd+=" vsock-xfer -r -n $bytes -m 4096 send $dst:$P_G2H4 && sleep 1 &&"
gcmd+=" vsock-xfer -r -n $bytes -m 65536 send $dst:$P_G2H64 && sleep 1 &&"
gcmd+=" vsock-xfer -t $secs ping $dst:$P_ECHO && sleep 1 && vsock-xfer -t $secs conn $dst:$P_ECHO &&"
# Then it waits for the host: its vhost worker, a thread of QEMU, must still
# be there when the host takes the last CPU time.
gcmd+=" vsock-echo -1 $P_END"
start_guest guest "${guest_dev[@]}" -- "$gcmd"

wait_for "the guest's boot" "$BOOT_S" said "$tmp/guest.log" L2-RUN
c0=$(host_cpu)
wait_exit "$h2g4" "the h2g 4k sender" h2g4
c1=$(host_cpu)
wait_exit "$h2g64" "the h2g 64k sender" h2g64
c2=$(host_cpu)
wait_exit "$g2h4" "the g2h 4k receiver" g2h4
received g2h4
c3=$(host_cpu)
wait_exit "$g2h64" "the g2h 64k receiver" g2h64
received g2h64
c4=$(host_cpu)
wait_for "the round trips" "$TALK_S" logged "$tmp/guest.log" VSOCK-XFER-PING
c5=$(host_cpu)
wait_for "the connections" "$TALK_S" logged "$tmp/guest.log" VSOCK-XFER-CONN
c6=$(host_cpu)
wait_for "the guest's last listener" "$TALK_S" logged "$tmp/guest.log" \
	"VSOCK-ECHO-LISTENING port=$P_END"
# A connection without data ends the guest's vsock-echo -1: through the
# daemon, one whose host end writes before the guest accepted is reset.
socat -u /dev/null "VSOCK-CONNECT:$hcid:$P_END" > "$tmp/end" 2>&1 ||
	fail "ending the guest: $(cat "$tmp/end")"
rc=0
wait "$gpid" || rc=$?
gpid=''
[ $rc -eq 0 ] || fail "guest exited with $rc: $(guest_why)"
[ "$case" != l2_peer ] || keep "$tmp/daemon.log" "$name-daemon.log"

mb=$(awk -v b="$bytes" 'BEGIN { print b / 1e6 }')
# The guest's two receivers, in order: MB/s.
grep 'VSOCK-XFER-OK received=' "$tmp/guest.log" |
	sed 's/.*received=\([0-9]*\) .* seconds=\([0-9.]*\).*/\1 \2/' > "$tmp/h2g"
[ "$(wc -l < "$tmp/h2g")" = 2 ] || fail "no h2g results"
sample h2g_4k "$(awk 'NR == 1 { printf "%.3f\n", $1 / $2 / 1e6 }' "$tmp/h2g")"
sample h2g_64k "$(awk 'NR == 2 { printf "%.3f\n", $1 / $2 / 1e6 }' "$tmp/h2g")"
rx() {
	sed -n 's/^VSOCK-XFER-OK received=\([0-9]*\) .* seconds=\([0-9.]*\).*/\1 \2/p' "$tmp/$1" |
		awk '{ printf "%.3f\n", $1 / $2 / 1e6 }'
}
sample g2h_4k "$(rx g2h4)"
sample g2h_64k "$(rx g2h64)"
read -r n p50 p99 <<< "$(sed -n 's/.*VSOCK-XFER-PING n=\([0-9]*\) p50_us=\([0-9.]*\) p99_us=\([0-9.]*\).*/\1 \2 \3/p' "$tmp/guest.log")"
sample lat_p50 "$p50"
sample lat_p99 "$p99"
# Round trips counted from the first, warm-up included, as the CPU was.
sample cpu_lat "$(per $((c5 - c4)) $((n + 20)))"
read -r n rate <<< "$(sed -n 's/.*VSOCK-XFER-CONN n=\([0-9]*\) seconds=[0-9.]* rate=\([0-9.]*\).*/\1 \2/p' "$tmp/guest.log")"
sample conn_rate "$rate"
sample cpu_conn "$(per $((c6 - c5)) "$n")"
sample cpu_h2g_4k "$(per $((c1 - c0)) "$mb")"
sample cpu_h2g_64k "$(per $((c2 - c1)) "$mb")"
sample cpu_g2h_4k "$(per $((c3 - c2)) "$mb")"
sample cpu_g2h_64k "$(per $((c4 - c3)) "$mb")"
