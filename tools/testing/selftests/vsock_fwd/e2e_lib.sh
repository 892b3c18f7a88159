# SPDX-License-Identifier: GPL-2.0
#
# Helpers of the suites that boot real guests (guest/run-guest.sh) inside
# the test VM: e2e_test.sh and vsock_test.sh. Sourced; sets $top, $tmp,
# $gbin (the guest's static programs, which run in the test VM as well)
# and an EXIT trap, and brings the KTAP helpers (ktap_lib.sh).
# shellcheck shell=bash disable=SC2034 # the variables are for the sourcing scripts

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)
cd "$top" || exit 1
# shellcheck source-path=SCRIPTDIR source=ktap_lib.sh
. "$top/tools/testing/selftests/vsock_fwd/ktap_lib.sh"
gbin=$top/build/guest/bin
tmp=$(mktemp -d)
# Through bash: run-guest.sh need not carry its executable bit.
run_guest=(bash "$top/tools/testing/selftests/vsock_fwd/guest/run-guest.sh" --quiet)
declare -A guest_pid
# A command guest_start puts in front of run-guest.sh, e.g. one that hands
# QEMU a prepared /dev/vhost-vsock fd; empty for most guests.
launcher=()

# guest_start NAME RUN-GUEST-ARGS...: boot a guest in the background; its
# console goes to $tmp/NAME.log, run-guest.sh's own messages to NAME.err.
guest_start() {
	local name=$1
	shift
	"${launcher[@]}" "${run_guest[@]}" --log "$tmp/$name.log" "$@" > "$tmp/$name.err" 2>&1 &
	guest_pid[$name]=$!
}

# wait_pid PID SECS: PID's exit status; 124 (and PID killed) if it is still
# running after SECS.
wait_pid() {
	local i=0
	while kill -0 "$1" 2> /dev/null; do
		if [ $i -ge $(($2 * 5)) ]; then
			kill "$1" 2> /dev/null
			return 124
		fi
		sleep 0.2
		i=$((i + 1))
	done
	wait "$1"
}

# guest_wait NAME SECS: the guest's exit status (run-guest.sh's). Every
# guest has its own --timeout too, so SECS only guards against a hung QEMU.
guest_wait() { wait_pid "${guest_pid[$1]}" "$2"; }

# wait_log FILE PATTERN SECS [PID]: wait until FILE has a line matching
# PATTERN (grep -E); the guests print tokens when they are ready for a peer.
# Gives up at once when PID (the guest writing FILE) has ended.
wait_log() {
	local i=0
	until grep -qE -- "$2" "$1" 2> /dev/null; do
		[ $i -lt $(($3 * 5)) ] || return 1
		[ -z "${4:-}" ] || kill -0 "$4" 2> /dev/null || return 1
		sleep 0.2
		i=$((i + 1))
	done
}

# has FILE PATTERN: FILE has a line matching PATTERN, else say so.
has() {
	grep -qE -- "$2" "$1" 2> /dev/null ||
		{ echo "no '$2' in $(basename "$1"): $(tail -n 8 "$1" 2> /dev/null | tr '\n' '|'); "; return 1; }
}

# why_of NAME: what a failed guest left, for the KTAP comment.
why_of() {
	echo "$1: $(tr '\n' '|' < "$tmp/$1.err") console: $(grep -E 'NITRO|VSOCK|ECHO|XFER' "$tmp/$1.log" 2> /dev/null | tr '\n' '|')"
}

# No wait here: a guest's QEMU ends by its own --timeout at the latest.
e2e_cleanup() {
	jobs -p | xargs -r kill 2> /dev/null
	rm -rf "$tmp"
}
trap e2e_cleanup EXIT
