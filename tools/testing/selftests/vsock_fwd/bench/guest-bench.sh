#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# guest-bench.sh --case CASE --round N [--bytes N] [--time S]
#
# One real-guest case of the benchmark, run by bench.sh in the test VM
# with the case's module loaded: the project's guest kernel boots as a
# nested guest (guest/run-guest.sh, CID 10) and measures with upstream's
# vsock_perf and with vsock-xfer against host applications in the test VM.
# Prints "sample CASE METRIC ROUND VALUE" lines as vsock_fwd_bench run
# does, and "error CASE TEXT" for what failed.
#
#   l2_stock  stock vhost_vsock, the guest connects to CID 2
#   l2_fwd    vhost_vsock_fwd, forward {3 -> 2} (vsock-fwd set 10 parent 2),
#             the guest connects to CID 3
#   l2_peer   rust-vmm's vhost-device-vsock (build/peer, make peer)
#             --forward-cid 1 --forward-listen, QEMU's
#             vhost-user-vsock-device on a shared memfd; the guest connects
#             to CID 3 and the daemon reaches the host applications over
#             vsock_loopback, the way it reaches them anywhere
#
# The guest opens every connection, as an enclave does: throughput from the
# guest with 4 KiB and 64 KiB writes (vsock_perf --sender, the host's
# vsock_perf receiving), to the guest likewise (vsock-xfer -r: the host
# sends zeros, the guest counts them; not vsock_perf, whose sender must
# connect to the guest, which through the daemon resets: it writes before
# the guest accepted, see the README), 1-byte round trips and connections
# per second (vsock-xfer ping and conn against vsock-echo -S). Throughput
# counts at the receiver;
# cpu_* is the CPU time of the host side of the path per MB, round trip or
# connection: the vhost workers (threads "vhost-PID" of QEMU) or the
# daemon's threads, from schedstat, taken between the steps of the run.
#
#   --bytes N  bytes per throughput measurement (default 4194304)
#   --time S   seconds of round trips and of connections (default 2)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../../../.." && pwd)
gbin=$top/build/guest/bin
daemon=$top/build/peer/vhost-device-vsock
vsock_fwd=$top/tools/vsock-fwd/vsock-fwd
run_guest=(bash "$here/../guest/run-guest.sh" --quiet --timeout 1800)

CID=10
# g2h: 4 KiB and 64 KiB, h2g likewise, the echo server, the guest's end.
P_G2H4=5201 P_G2H64=5211 P_H2G4=5203 P_H2G64=5213 P_ECHO=5202 P_END=5204

case='' round='' bytes=4194304 secs=2
usage() { sed -n '4,34p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	--case) case=$2; shift 2 ;;
	--round) round=$2; shift 2 ;;
	--bytes) bytes=$2; shift 2 ;;
	--time) secs=$2; shift 2 ;;
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

error() { echo "error $case $*"; exit 0; }
sample() { echo "sample $case $1 $round $2"; }

# wait_for WHAT SECS CMD...: until CMD succeeds, polling; an error if the
# guest, once started, ended first.
gpid=''
wait_for() {
	local what=$1 i=0 n=$(($2 * 10))
	shift 2
	until "$@"; do
		i=$((i + 1))
		[ $i -lt $n ] || error "timed out waiting for $what"
		[ -z "$gpid" ] || running "$gpid" ||
			error "the guest ended before $what: $(guest_why)"
		sleep 0.1
	done
}
# wait_step PID WHAT: a host application's end, which must be a success.
exited() { ! running "$1"; }
wait_step() {
	wait_for "$2" 1200 exited "$1"
	wait "$1" || error "$2: $(tail -n 2 "$tmp/$3" | tr '\n' ' ')"
}
guest_why() {
	echo "$(grep -E 'FAIL|rror' "$tmp/guest.log" | head -n 3 | tr '\n' ' ') $(tail -n 3 "$tmp/guest.err" | tr '\n' ' ')"
}
listening() { ss --vsock -ln 2> /dev/null | grep -q ":$1\b"; }
logged() { grep -q -- "$1" "$tmp/guest.log" 2> /dev/null; }
running() { kill -0 "$1" 2> /dev/null; }

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

# The nested guest cannot calibrate its TSC against the PIT under TCG
# ("tsc: Unable to calibrate against PIT") and falls back to jiffies: 4 ms
# steps in every time it takes. Its TSC is QEMU's host ticks, the test
# VM's own TSC, whose frequency the test VM knows.
l1_tsc_khz() {
	dmesg | sed -n -e 's/.*tsc: Refined TSC clocksource calibration: \([0-9]*\)\.\([0-9]*\) MHz.*/\1\2/p' \
		-e 's/.*tsc: Detected \([0-9]*\)\.\([0-9]*\) MHz processor.*/\1\2/p' | tail -n 1
}

# Gbit/s as vsock_perf prints it -> MB/s.
gbps_mb() { awk -v g="$1" 'BEGIN { printf "%.3f\n", g * 125 }'; }
# per NS COUNT: microseconds per unit.
per() { awk -v d="$1" -v n="$2" 'BEGIN { printf "%.3f\n", d / 1000 / n }'; }

modprobe vsock_diag
khz=$(l1_tsc_khz)
[ -n "$khz" ] || error "the test VM's TSC frequency is not in its log"
guest_dev=(--cid "$CID" --append "tsc_early_khz=$khz tsc=reliable")
case "$case" in
l2_fwd)
	"$vsock_fwd" set "$CID" parent 2 > "$tmp/fwd" 2>&1 || error "vsock-fwd set: $(cat "$tmp/fwd")"
	;;
l2_peer)
	[ -x "$daemon" ] || error "$daemon missing (make peer)"
	modprobe vsock_loopback
	"$daemon" --guest-cid "$CID" --socket "$tmp/vu.sock" --forward-cid 1 \
		--forward-listen "$P_END" > "$tmp/daemon.log" 2>&1 &
	dpid=$!
	pids+=("$dpid")
	wait_for "the daemon's socket" 30 test -S "$tmp/vu.sock"
	guest_dev=(--vhost-user "$tmp/vu.sock" "${guest_dev[@]:2}")
	;;
esac

# The host's applications, listening before the guest boots.
"$gbin/vsock_perf" --port "$P_G2H4" > "$tmp/g2h4" 2>&1 &
g2h4=$!
"$gbin/vsock_perf" --port "$P_G2H64" > "$tmp/g2h64" 2>&1 &
g2h64=$!
"$gbin/vsock-echo" -S "$P_ECHO" > "$tmp/echo" 2>&1 &
pids+=("$g2h4" "$g2h64" $!)
"$gbin/vsock-xfer" -r -n "$bytes" -m 4096 send "$P_H2G4" > "$tmp/h2g4" 2>&1 &
h2g4=$!
"$gbin/vsock-xfer" -r -n "$bytes" -m 65536 send "$P_H2G64" > "$tmp/h2g64" 2>&1 &
h2g64=$!
pids+=("$h2g4" "$h2g64")
for p in "$P_G2H4" "$P_G2H64" "$P_ECHO" "$P_H2G4" "$P_H2G64"; do
	wait_for "a listener on port $p" 30 listening "$p"
done

# The guest, one step after the other. The kernel command line carries it,
# so it is short and has no double quotes.
perf=/bin/vsock_perf
gcmd="vsock-xfer -r recv $dst:$P_H2G4 && vsock-xfer -r recv $dst:$P_H2G64 &&"
gcmd+=" $perf --sender $dst --port $P_G2H4 --bytes $bytes --buf-size 4096 >/dev/null &&"
gcmd+=" $perf --sender $dst --port $P_G2H64 --bytes $bytes --buf-size 65536 >/dev/null &&"
gcmd+=" vsock-xfer -t $secs ping $dst:$P_ECHO && vsock-xfer -t $secs conn $dst:$P_ECHO &&"
# Then it waits for the host: its vhost worker, a thread of QEMU, must still
# be there when the host takes the last CPU time.
gcmd+=" vsock-echo -1 $P_END"
c0=$(host_cpu)
"${run_guest[@]}" "${guest_dev[@]}" --log "$tmp/guest.log" -- "$gcmd" > "$tmp/guest.err" 2>&1 &
gpid=$!
pids+=("$gpid")

wait_step "$h2g4" "the h2g 4k sender" h2g4
c1=$(host_cpu)
wait_step "$h2g64" "the h2g 64k sender" h2g64
c2=$(host_cpu)
wait_step "$g2h4" "the g2h 4k receiver" g2h4
c3=$(host_cpu)
wait_step "$g2h64" "the g2h 64k receiver" g2h64
c4=$(host_cpu)
wait_for "the round trips" 1200 logged VSOCK-XFER-PING
c5=$(host_cpu)
wait_for "the connections" 1200 logged VSOCK-XFER-CONN
c6=$(host_cpu)
wait_for "the guest's last listener" 600 logged "VSOCK-ECHO-LISTENING port=$P_END"
"$gbin/vsock-xfer" -t 0.01 ping "$hcid:$P_END" > "$tmp/end" 2>&1 ||
	error "ending the guest: $(cat "$tmp/end")"
rc=0
wait "$gpid" || rc=$?
[ $rc -eq 0 ] || error "guest exited with $rc: $(guest_why)"

mb=$(awk -v b="$bytes" 'BEGIN { print b / 1e6 }')
# The guest's two receivers, in order: MB/s.
grep 'VSOCK-XFER-OK received=' "$tmp/guest.log" |
	sed 's/.*received=\([0-9]*\) .* seconds=\([0-9.]*\).*/\1 \2/' > "$tmp/h2g"
[ "$(wc -l < "$tmp/h2g")" = 2 ] || error "no h2g results"
sample h2g_4k "$(awk 'NR == 1 { printf "%.3f\n", $1 / $2 / 1e6 }' "$tmp/h2g")"
sample h2g_64k "$(awk 'NR == 2 { printf "%.3f\n", $1 / $2 / 1e6 }' "$tmp/h2g")"
rx() { sed -n "s/^rx performance: \([0-9.]*\) Gbits\/s.*/\1/p" "$1" | tail -n 1; }
v=$(rx "$tmp/g2h4"); [ -n "$v" ] || error "no g2h 4k result"
sample g2h_4k "$(gbps_mb "$v")"
v=$(rx "$tmp/g2h64"); [ -n "$v" ] || error "no g2h 64k result"
sample g2h_64k "$(gbps_mb "$v")"
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
