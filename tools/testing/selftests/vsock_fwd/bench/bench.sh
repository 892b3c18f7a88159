#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh [options]
#
# The benchmark, in the test VM: stock vhost_vsock against ours (and the
# peer), round by round. The options and the output: usage() below.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../../../.." && pwd)
bin=$top/build/bench/vsock_fwd_bench
module=$here/../vm/module.sh

rounds=6 time=1000 sizes=4096,65536 idle=500 cases='' tap=0 json='' label=''
gopts=()
usage() {
	cat >&2 <<-'EOF'
	bench.sh [--quick] [--tap] [--rounds N] [--time MS] [--sizes B,...]
	         [--idle N] [--cases C,...] [--guest-bytes N] [--guest-time S]
	         [--logs DIR] [--json FILE] [--label TEXT]

	Runs in the test VM booted with --module none (vm/run.sh), as root, from
	the top of the repository. Loads stock vhost_vsock and vhost_vsock_fwd
	(and for the peer, vsock_loopback) in turn, ROUNDS times, rotating which
	goes first every round, and measures each with
	build/bench/vsock_fwd_bench and the real-guest cases with guest-bench.sh;
	then prints the table of medians,
	spread and ratios paired by round, and the JSON, each line prefixed with
	"BENCH-JSON " so that the host can take it from the output (the VM's
	root is read-only), or writes it to FILE.

	  --rounds N   stock/ours rounds (default 6)
	  --time MS    length of each measurement (default 1000)
	  --sizes LIST write sizes of the throughput tests (default 4096,65536)
	  --idle N     idle devices of the scaling cases (default 500)
	  --cases LIST only these cases (stock,relay,socat,ours,fwd,g2g,fwd_idle,
	               g2g_idle, and the real guests l2_stock,l2_fwd,l2_peer;
	               "all" is every one); a module none of them uses is not
	               loaded. Without it, the fake-guest cases
	  --guest-bytes N, --guest-time S
	               bytes per throughput measurement, seconds of round trips
	               and of connections, of the real guests (guest-bench.sh)
	  --logs DIR   the real guests' consoles, the daemon's logs and what
	               a step that failed or ran out of time left (guest-bench.sh)
	  --quick      one short round: proves that everything runs (make check)
	  --tap        TAP, one result per case (ran and gave sane numbers)
	  --label TEXT how the VM ran (vm-bench.sh: its run.sh options), for the
	               JSON
	EOF
	exit 2
}
while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) rounds=$2; shift 2 ;;
	--time) time=$2; shift 2 ;;
	--sizes) sizes=$2; shift 2 ;;
	--idle) idle=$2; shift 2 ;;
	--cases) cases=$2; shift 2 ;;
	--json) json=$2; shift 2 ;;
	--label) label=$2; shift 2 ;;
	--guest-bytes) gopts+=(--bytes "$2"); shift 2 ;;
	--guest-time) gopts+=(--time "$2"); shift 2 ;;
	--logs) gopts+=(--logs "$2"); shift 2 ;;
	--quick) rounds=1 time=100; shift ;;
	--tap) tap=1; shift ;;
	*) usage ;;
	esac
done

# Progress goes where TAP consumers ignore it.
say() { echo "# $*"; }

[ -x "$bin" ] || { say "bench.sh: $bin missing (make -C $here)"; exit 2; }
list=$("$bin" modules ${cases:+"$cases"}) || usage
read -ra modules <<< "$list"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
samples=$work/samples
{
	echo "config rounds $rounds"
	echo "config time_ms $time"
	echo "config sizes $sizes"
	echo "config idle $idle"
	echo "config kernel $(uname -r)"
	echo "config cpus $(nproc)"
	[ -z "$cases" ] || echo "config cases $cases"
	[ -z "$label" ] || echo "config label $label"
} > "$samples"

# Neither may hold the host-to-guest transport when the other loads.
for m in stock ours peer; do
	"$module" unload "$m"
done

start=$SECONDS
for ((r = 1; r <= rounds; r++)); do
	# Each module first in turn.
	k=$(((r - 1) % ${#modules[@]}))
	order=("${modules[@]:k}" "${modules[@]:0:k}")
	for m in "${order[@]}"; do
		say "round $r/$rounds: $m ($((SECONDS - start)) s)"
		if ! "$module" load "$m" > "$work/load" 2>&1; then
			echo "error $m loading: $(tr '\n' ' ' < "$work/load")" >> "$samples"
			continue
		fi
		rc=0
		"$bin" run --module "$m" --round "$r" --time "$time" \
			--sizes "$sizes" --idle "$idle" ${cases:+--cases "$cases"} \
			>> "$samples" || rc=$?
		[ $rc -eq 0 ] || echo "error $m run exited with status $rc" >> "$samples"
		for g in $("$bin" guests "$m" ${cases:+"$cases"}); do
			say "round $r/$rounds: $g ($((SECONDS - start)) s)"
			"$here/guest-bench.sh" --case "$g" --round "$r" "${gopts[@]}" \
				>> "$samples" || echo "error $g guest-bench.sh exited with status $?" >> "$samples"
		done
		if ! "$module" unload "$m" > "$work/unload" 2>&1; then
			echo "error $m unloading: $(tr '\n' ' ' < "$work/unload")" >> "$samples"
		fi
	done
done
say "measured in $((SECONDS - start)) s"

# The report fails when a case gave no sane numbers; its JSON still counts.
report=(report --json "$work/bench.json")
[ $tap = 0 ] || report+=(--tap)
rc=0
"$bin" "${report[@]}" < "$samples" || rc=$?
if [ -n "$json" ]; then
	cp "$work/bench.json" "$json"
elif [ $tap = 0 ]; then
	sed 's/^/BENCH-JSON /' "$work/bench.json"
fi
exit $rc
