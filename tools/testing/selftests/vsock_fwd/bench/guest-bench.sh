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
# Every connection but the throughput to the guest is opened by the guest
# (as an enclave opens them): throughput from the guest with 4 KiB and
# 64 KiB writes (vsock_perf --sender, the host's vsock_perf receiving),
# 1-byte round trips and connections per second (vsock-xfer ping and conn
# against vsock-echo -S). Throughput to the guest is the host's vsock_perf
# sending to the guest's receiver: at the guest's CID, or for the peer at
# the daemon's forward-listen port. Throughput counts at the receiver;
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
# g2h: 4 KiB and 64 KiB, h2g likewise, the echo server.
P_G2H4=5201 P_G2H64=5211 P_H2G4=5203 P_H2G64=5213 P_ECHO=5202

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

# wait_for WHAT SECS CMD...: until CMD succeeds, polling.
wait_for() {
	local what=$1 i=0 n=$(($2 * 10))
	shift 2
	until "$@"; do
		i=$((i + 1))
		[ $i -lt $n ] || error "timed out waiting for $what"
		sleep 0.1
	done
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

# Gbit/s as vsock_perf prints it -> MB/s.
gbps_mb() { awk -v g="$1" 'BEGIN { printf "%.3f\n", g * 125 }'; }
per() { awk -v d="$1" -v n="$2" -v k="$3" 'BEGIN { printf "%.3f\n", d / 1000 / (n / k) }'; }

modprobe vsock_diag
guest_dev=(--cid "$CID")
case "$case" in
l2_fwd)
	"$vsock_fwd" set "$CID" parent 2 > "$tmp/fwd" 2>&1 || error "vsock-fwd set: $(cat "$tmp/fwd")"
	;;
l2_peer)
	[ -x "$daemon" ] || error "$daemon missing (make peer)"
	modprobe vsock_loopback
	"$daemon" --guest-cid "$CID" --socket "$tmp/vu.sock" --forward-cid 1 \
		--forward-listen "$P_H2G4+$P_H2G64" > "$tmp/daemon.log" 2>&1 &
	dpid=$!
	pids+=("$dpid")
	wait_for "the daemon's socket" 30 test -S "$tmp/vu.sock"
	guest_dev=(--vhost-user "$tmp/vu.sock")
	;;
esac

# The host's applications, listening before the guest boots.
"$gbin/vsock_perf" --port "$P_G2H4" > "$tmp/g2h4" 2>&1 &
g2h4=$!
"$gbin/vsock_perf" --port "$P_G2H64" > "$tmp/g2h64" 2>&1 &
g2h64=$!
"$gbin/vsock-echo" -S "$P_ECHO" > "$tmp/echo" 2>&1 &
pids+=("$g2h4" "$g2h64" $!)
for p in "$P_G2H4" "$P_G2H64" "$P_ECHO"; do
	wait_for "a listener on port $p" 30 listening "$p"
done

# The guest: receivers for the host's senders first, then its own senders,
# round trips and connections. The kernel command line carries it, so it
# is short and has no double quotes.
perf=/bin/vsock_perf
gcmd="$perf --port $P_H2G4 >/tmp/h4 & $perf --port $P_H2G64 >/tmp/h64 &"
gcmd+=" echo GB-H2G-READY; wait; sed 's/^/GB-H4 /' /tmp/h4; sed 's/^/GB-H64 /' /tmp/h64;"
gcmd+=" $perf --sender $dst --port $P_G2H4 --bytes $bytes --buf-size 4096 >/dev/null &&"
gcmd+=" $perf --sender $dst --port $P_G2H64 --bytes $bytes --buf-size 65536 >/dev/null &&"
gcmd+=" vsock-xfer -t $secs ping $dst:$P_ECHO && vsock-xfer -t $secs conn $dst:$P_ECHO"
"${run_guest[@]}" "${guest_dev[@]}" --log "$tmp/guest.log" -- "$gcmd" > "$tmp/guest.err" 2>&1 &
gpid=$!
pids+=("$gpid")

wait_for "the guest's receivers" 1200 logged GB-H2G-READY
# The receivers listen right after the token: a sender that comes too early
# is refused (or, through the daemon, reset) and tries again.
h2g() {
	local port=$1 size=$2 tries=0
	until "$gbin/vsock_perf" --sender "$hcid" --port "$port" --bytes "$bytes" \
		--buf-size "$size" > "$tmp/h2g.$port" 2>&1; do
		tries=$((tries + 1))
		[ $tries -lt 50 ] || error "h2g to port $port: $(tail -n 2 "$tmp/h2g.$port" | tr '\n' ' ')"
		sleep 0.1
	done
}
c0=$(host_cpu)
h2g "$P_H2G4" 4096
c1=$(host_cpu)
h2g "$P_H2G64" 65536
c2=$(host_cpu)
wait "$g2h4" || error "g2h 4k receiver: $(tail -n 2 "$tmp/g2h4" | tr '\n' ' ')"
c3=$(host_cpu)
wait "$g2h64" || error "g2h 64k receiver: $(tail -n 2 "$tmp/g2h64" | tr '\n' ' ')"
c4=$(host_cpu)
wait_for "the round trips" 1200 logged VSOCK-XFER-PING
c5=$(host_cpu)
wait_for "the connections" 1200 logged VSOCK-XFER-CONN
c6=$(host_cpu)
rc=0
wait "$gpid" || rc=$?
[ $rc -eq 0 ] || error "guest exited with $rc: $(grep -E 'FAIL|rror' "$tmp/guest.log" | head -n 3 | tr '\n' ' ') $(tail -n 3 "$tmp/guest.err" | tr '\n' ' ')"

mb=$(awk -v b="$bytes" 'BEGIN { print b / 1e6 }')
rx() { sed -n "s/^$1rx performance: \([0-9.]*\) Gbits\/s.*/\1/p" "$2" | tail -n 1; }
v=$(rx 'GB-H4 ' "$tmp/guest.log"); [ -n "$v" ] || error "no h2g 4k result"
sample h2g_4k "$(gbps_mb "$v")"
v=$(rx 'GB-H64 ' "$tmp/guest.log"); [ -n "$v" ] || error "no h2g 64k result"
sample h2g_64k "$(gbps_mb "$v")"
v=$(rx '' "$tmp/g2h4"); [ -n "$v" ] || error "no g2h 4k result"
sample g2h_4k "$(gbps_mb "$v")"
v=$(rx '' "$tmp/g2h64"); [ -n "$v" ] || error "no g2h 64k result"
sample g2h_64k "$(gbps_mb "$v")"
read -r n p50 p99 <<< "$(sed -n 's/.*VSOCK-XFER-PING n=\([0-9]*\) p50_us=\([0-9.]*\) p99_us=\([0-9.]*\).*/\1 \2 \3/p' "$tmp/guest.log")"
sample lat_p50 "$p50"
sample lat_p99 "$p99"
# Round trips counted from the first, warm-up included, as the CPU was.
sample cpu_lat "$(per $((c5 - c4)) $((n + 20)) 1)"
read -r n rate <<< "$(sed -n 's/.*VSOCK-XFER-CONN n=\([0-9]*\) seconds=[0-9.]* rate=\([0-9.]*\).*/\1 \2/p' "$tmp/guest.log")"
sample conn_rate "$rate"
sample cpu_conn "$(per $((c6 - c5)) "$n" 1)"
sample cpu_h2g_4k "$(per $((c1 - c0)) "$mb" 1)"
sample cpu_h2g_64k "$(per $((c2 - c1)) "$mb" 1)"
sample cpu_g2h_4k "$(per $((c3 - c2)) "$mb" 1)"
sample cpu_g2h_64k "$(per $((c4 - c3)) "$mb" 1)"
