#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm-bench.sh [--realtime] [RUN.SH OPTIONS...] [-- BENCH.SH OPTIONS...]
#
# On the host: boots the test VM without a module under test (vm/run.sh
# --module none, by default with --timeout 3600 --icount), runs bench.sh
# there and leaves the JSON it prints in build/bench.json, all of its
# output in build/bench/output.txt and the real guests' logs in
# build/bench/logs/. Without --cases for bench.sh it runs
# every case, the real guests too (--cases all). Needs vhost_vsock_fwd.ko,
# build/bench/, the guest (make guest) and the peer (make peer) built.
# Under icount the host's load does not reach the
# ratios (README.md); --realtime measures with the real-time clock and two
# vCPUs instead.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../../../.." && pwd)
out=$top/build/bench/output.txt
json=$top/build/bench.json
logs=$top/build/bench/logs

run_opts=(--timeout 3600)
icount=(--icount)
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	case "$1" in
	--realtime) icount=() ;;
	*) run_opts+=("$1") ;;
	esac
	shift
done
run_opts+=("${icount[@]}")
[ $# -eq 0 ] || shift
[[ " $* " == *" --cases "* ]] || set -- --cases all "$@"

mkdir -p "$(dirname "$out")"
rm -rf "$json" "$logs"
# The console shows the progress and the table; the JSON goes to its file.
set +e
"$here/../vm/run.sh" "${run_opts[@]}" --module none --output "$out" --keep "$logs" -- \
	"$here/bench.sh" --label "run.sh ${run_opts[*]}" --logs /mnt/out/keep "$@" |
	grep -v 'BENCH-JSON '
rc=${PIPESTATUS[0]}
set -e

sed -n 's/^BENCH-JSON //p' "$out" > "$json.tmp"
if [ -s "$json.tmp" ]; then
	mv "$json.tmp" "$json"
	echo "vm-bench.sh: wrote ${json#"$top"/}"
else
	rm -f "$json.tmp"
	echo "vm-bench.sh: no JSON in the output (exit status $rc)" >&2
	[ "$rc" -ne 0 ] || rc=1
fi
exit "$rc"
