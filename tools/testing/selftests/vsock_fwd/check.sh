#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh check|debug: the body of 'make check' and 'make check-debug',
# after deps and the build. Every case is reported as PASS, FAIL or SKIP;
# the last line is "N passed, N failed, N skipped". A suite whose VM run
# did not end with its success token counts as a failure of its own.
#
#   check  the style gates, the kernel matrix, mkeif, vsock-fwd's command
#          line, the harness's own tests, the suites of ./suites marked
#          'std' on Debian's kernel, then those marked 'newest' on the
#          newest 7.x kernel Debian offers, built from its source, then
#          on the debug kernel its harness tests and the suites marked
#          'debug-ci'
#   debug  on the debug kernel: its harness tests and the suites marked
#          'debug-ci' or 'debug'
#
# Needs KSRC, KDIR and VHOST_SRC in the environment (the top Makefile),
# and for the debug kernel DEBUG_KERNEL (vm/debug/build-kernel.sh's
# directory) and DEBUG_KO (our module built for it). There vm/init.sh also
# fails a run on any kmemleak report.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../../.." && pwd)
run=$here/vm/run.sh
case "${1:-}" in
check) logs=$top/build/check ;;
debug) logs=$top/build/check-debug ;;
*) echo "usage: $0 check|debug" >&2; exit 2 ;;
esac
rm -rf "$logs"
mkdir -p "$logs"

# On Debian's kernel the suites run with SLUB debugging (red zones,
# poisoning, sanity checks) and KFENCE sampling: they report a use after
# free or an overflow as a "BUG", which panic_on_warn turns into a failed
# run. The debug kernel has KASAN instead; KASAN, lockdep and kmemleak
# slow TCG down by about this factor, by which its suites' timeouts and
# the fake-guest tests' hang bounds (VSOCK_FWD_SLOWDOWN) are stretched.
std_append='slub_debug=FZPU kfence.sample_interval=10'
debug_slowdown=3

pass=0 fail=0 skip=0
start=$SECONDS

report() { # STATUS NAME [LOG]
	case "$1" in
	PASS) pass=$((pass + 1)) ;;
	FAIL) fail=$((fail + 1)) ;;
	SKIP) skip=$((skip + 1)) ;;
	esac
	printf '%-4s  %s\n' "$1" "$2"
	if [ "$1" = FAIL ] && [ -n "${3:-}" ] && [ -s "$3" ]; then
		tail -n 40 "$3" | sed 's/^/      | /'
	fi
}

# Count the TAP results in FILE under PREFIX; prints the number of results
# and sets tap_failed when any failed.
tap() { # PREFIX FILE LOG
	local line name n=0
	tap_failed=0
	while IFS= read -r line; do
		case "$line" in
		"ok "*"# SKIP"*)
			name=${line#ok * }
			report SKIP "$1/${name%% # SKIP*}" ;;
		"ok "*)
			name=${line#ok * }
			report PASS "$1/$name" ;;
		"not ok "*)
			name=${line#not ok * }
			report FAIL "$1/${name%% #*}" "$3"
			tap_failed=1 ;;
		*) continue ;;
		esac
		n=$((n + 1))
	done < <(grep -E '^(not )?ok [0-9]+ ' "$2")
	tap_count=$n
}

# complete NAME FILE LOG: FILE's TAP plan ("1..N") must match the number of
# results tap() counted in it; else NAME fails. Returns 1 then.
complete() {
	local plan
	plan=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$2" | head -n1)
	[ "$tap_count" -gt 0 ] && [ "${plan:-0}" -eq "$tap_count" ] && return 0
	echo "$tap_count of ${plan:-?} results" >> "$3"
	report FAIL "$1" "$3"
	return 1
}

# vm_start SUITE MODULE TIMEOUT CMD...: boot the VM of one suite run in the
# background (its pid in vm_pid); vm_finish then judges it. The run fails
# as MODULE/SUITE/vm_run unless the VM gave its success token, CMD exited
# 0 or reported the failure, and the results match the plan.
vm_start() {
	local suite=$1 m=$2 timeout=$3 log=$logs/$1-$2 vm=()
	shift 3
	# A command starting with --icount runs where guest time counts
	# instructions.
	if [ "$1" = --icount ]; then
		vm=(--icount)
		shift
	fi
	[ "$slowdown" -eq 1 ] || set -- env VSOCK_FWD_SLOWDOWN="$slowdown" "$@"
	: > "$log.tap"
	"$run" --quiet --module "$m" --timeout "$timeout" "${vm[@]}" \
		"${kernel[@]}" --append "$append" --output "$log.tap" -- "$@" > "$log.console" 2>&1 &
	vm_pid=$!
}

# vm_finish PID SUITE MODULE: wait for the run and report each of its TAP
# results. Returns 1 if anything failed.
vm_finish() {
	local suite=$2 m=$3 log=$logs/$2-$3 rc
	wait "$1"
	rc=$?
	cat "$log.tap" >> "$log.console"
	tap "$m/$suite" "$log.tap" "$log.console"
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 125 ] ||
	   { [ "$rc" -ne 0 ] && [ "$tap_failed" -eq 0 ]; }; then
		echo "vm run exit status $rc" >> "$log.console"
		report FAIL "$m/$suite/vm_run" "$log.console"
		return 1
	fi
	complete "$m/$suite/vm_run" "$log.tap" "$log.console" || return 1
	return "$tap_failed"
}

# run_suite SUITE MODULE TIMEOUT CMD...: one VM boot running CMD, judged.
run_suite() {
	vm_start "$@"
	vm_finish "$vm_pid" "$1" "$2"
}

# The style gates.
style_gates() {
	echo "== style"
	"$here/style.sh" "$KSRC" "$KDIR" "$VHOST_SRC" > "$logs/style.tap" 2>&1
	tap style "$logs/style.tap" "$logs/style.tap"
	complete style/incomplete "$logs/style.tap" "$logs/style.tap"
}

# The module against Debian's 6.12, 6.18 LTS and newest 7.x sources.
kernel_matrix() {
	echo "== kernels"
	"$here/kernels.sh" > "$logs/kernels.tap" 2>&1
	tap kernels "$logs/kernels.tap" "$logs/kernels.tap"
	[ "$tap_count" -eq 6 ] || report FAIL "kernels/incomplete" "$logs/kernels.tap"
}

# Host-side tests that need no VM.
mkeif_tests() {
	local plan
	echo "== mkeif"
	"$top/tools/mkeif/mkeif_test.sh" > "$logs/mkeif.tap" 2>&1
	tap mkeif "$logs/mkeif.tap" "$logs/mkeif.tap"
	plan=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$logs/mkeif.tap")
	if [ "$tap_count" -eq 0 ] || [ "${plan:-0}" -ne "$tap_count" ]; then
		report FAIL "mkeif/incomplete" "$logs/mkeif.tap"
	fi
}

# vsock-fwd's command line needs no VM.
cli_tests() {
	local plan
	echo "== cli"
	KSRC=$KSRC "$here/cli_test.sh" > "$logs/cli.tap" 2>&1
	tap cli "$logs/cli.tap" "$logs/cli.tap"
	plan=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$logs/cli.tap" | head -n1)
	if [ "$tap_count" -eq 0 ] || [ "${plan:-0}" -ne "$tap_count" ]; then
		report FAIL "cli/incomplete" "$logs/cli.tap"
	fi
}

# expect NAME STATUS ARGS...: run.sh ARGS on the current kernel must exit
# with STATUS.
expect() {
	local name=$1 want=$2 got
	shift 2
	"$run" --quiet "${kernel[@]}" "$@" > "$logs/harness-$name.log" 2>&1
	got=$?
	if [ "$got" -eq "$want" ]; then
		report PASS "harness/$name"
	else
		echo "expected exit status $want, got $got" >> "$logs/harness-$name.log"
		report FAIL "harness/$name" "$logs/harness-$name.log"
	fi
}

# A suite is judged by run_suite: it must pass a complete plan and fail
# one that gives fewer results than it promised.
expect_suite() { # NAME pass|fail CMD...
	local name=$1 want=$2 verdicts=$logs/harness-$1.verdicts got=pass
	shift 2
	: > "$verdicts"
	( report() { echo "$1 $2" >> "$verdicts"; }
	  run_suite "harness-$name" none 300 "$@" )
	! grep -q '^FAIL' "$verdicts" || got=fail
	if [ "$got" = "$want" ]; then
		report PASS "harness/$name"
	else
		echo "expected the suite to $want, it did $got: $(tr '\n' '|' < "$verdicts")" >> "$logs/harness-$name-none.console"
		report FAIL "harness/$name" "$logs/harness-$name-none.console"
	fi
}

# warn_modules KDIR: build the harness's self-test modules (vm/warn) for
# the kernel of KDIR into $warn, a tree of links of its own, so that the
# objects of two kernels never mix.
warn_modules() {
	rm -rf "$warn"
	mkdir -p "$warn"
	ln -s "$here"/vm/warn/* "$warn"/
	make -s -C "$1" M="$warn" modules > "$logs/$(basename "$warn")-build.log" 2>&1 ||
		report FAIL "harness/build_warn_modules" "$logs/$(basename "$warn")-build.log"
}

# The harness must fail a run unless the success token arrives.
std_harness() {
	echo "== harness"
	warn_modules "$KDIR"
	expect exit_status 3 --module none -- sh -c 'exit 3'
	expect panic_fails 125 --module none -- sh -c 'echo c > /proc/sysrq-trigger'
	expect warn_fails 125 --module none -- insmod "$warn/warn_on_load.ko"
	expect uaf_fails 125 --module none --append "$append" -- \
		insmod "$warn/uaf_on_load.ko"
	# A kernel that dies before init.sh gets one more boot, then fails too.
	expect boot_failure_fails 125 --module none \
		--append vsockfwd.init=/nonexistent -- true
	expect hang_times_out 124 --module none --timeout 25 -- sleep 600
	# Guest time under --icount must not run ahead while the guest waits
	# on the host: reading 150 MB over 9p takes about a second.
	expect icount_io_wait 0 --module none --icount -- \
		sh -c 'timeout 10 cat /usr/src/linux-source-6.12.tar.xz > /dev/null'
	expect module_loads 0 --module ours -- test -c /dev/vhost-vsock
	# A complaint that does not panic, and a module that cannot unload
	# (held open by a module, so killing every process cannot help).
	expect bug_line_fails 125 --module none -- \
		sh -c 'echo "BUG: vsock_fwd harness self-test, must fail the run" > /dev/kmsg'
	expect module_held_fails 125 --module ours -- insmod "$warn/hold_on_load.ko"
	expect_suite tap_plan_complete pass sh -c 'echo 1..2; echo ok 1 one; echo ok 2 two'
	expect_suite tap_plan_short_fails fail sh -c 'echo 1..2; echo ok 1 one'
}

# What only the debug kernel catches must fail a run on it: KASAN's use
# after free, kmemleak's leak, lockdep's inversion; and it must boot and
# run both modules at all.
debug_harness() {
	echo "== harness (debug kernel)"
	warn_modules "$DEBUG_KERNEL/obj"
	expect debug_exit_status 3 --module none -- sh -c 'exit 3'
	expect debug_module_loads 0 --module ours -- test -c /dev/vhost-vsock
	expect debug_stock_loads 0 --module stock -- test -c /dev/vhost-vsock
	expect debug_warn_fails 125 --module none -- insmod "$warn/warn_on_load.ko"
	expect debug_kasan_uaf_fails 125 --module none -- insmod "$warn/uaf_on_load.ko"
	expect debug_kmemleak_fails 125 --module none -- insmod "$warn/leak_on_load.ko"
	expect debug_lockdep_fails 125 --module none -- \
		insmod "$warn/lock_inversion_on_load.ko"
}

# suites TIER...: every suite of ./suites marked with one of the TIERs,
# one VM boot each, against each module it lists. A run under --icount
# takes one host thread and its results do not depend on the host's load,
# so two of them run at a time; any other run has the machine to itself.
# Results are reported in the order of ./suites.
suites() {
	local suite tiers modules timeout cmd m want
	flight=()
	while read -r suite tiers modules timeout cmd; do
		case "$suite" in ""|\#*) continue ;; esac
		for want in "$@" none; do
			case ",$tiers," in *",$want,"*) break ;; esac
		done
		[ "$want" != none ] || continue
		timeout=$((timeout * slowdown))
		for m in ${modules//,/ }; do
			case "$cmd" in
			--icount*) [ "${#flight[@]}" -lt 2 ] || land ;;
			*) while [ "${#flight[@]}" -gt 0 ]; do land; done ;;
			esac
			# shellcheck disable=SC2086
			vm_start "$suite$suffix" "$m" "$timeout" $cmd
			flight+=("$vm_pid $suite$suffix $m $SECONDS")
		done
	done < "$here/suites"
	while [ "${#flight[@]}" -gt 0 ]; do land; done
}

# land: judge the oldest run in flight.
land() {
	local pid suite m t0
	read -r pid suite m t0 <<< "${flight[0]}"
	flight=("${flight[@]:1}")
	echo "== $suite ($m)"
	vm_finish "$pid" "$suite" "$m"
	echo "   ($((SECONDS - t0)) s)"
}

# The kernel the next runs boot: Debian's, the debug kernel, or the
# newest 7.x (suffix: what the suites' names say of it).
std_kernel() {
	kernel=() append=$std_append warn=$top/build/warn suffix='' slowdown=1
}
debug_kernel() {
	kernel=(--kernel "$DEBUG_KERNEL" --ko "$DEBUG_KO") append=''
	warn=$top/build/debug-warn suffix=-debug slowdown=$debug_slowdown
}
# The matrix's tree of the newest 7.x (scripts/kernel-tree.sh --boot:
# built once into the cache), with our module as kernels.sh built it there.
newest_kernel() {
	local tree ver t0=$SECONDS
	echo "== linux 7.x"
	tree=$("$top/scripts/kernel-tree.sh" --boot 7 2> "$logs/linux-7.log") || {
		report FAIL "linux-7/build" "$logs/linux-7.log"
		return 1
	}
	ver=${tree##*/}
	ver=${ver%-*}
	echo "   (linux $ver ready in $((SECONDS - t0)) s)"
	kernel=(--kernel "$tree" --ko "$top/build/kernels/$ver/vhost_vsock_fwd.ko")
	append=$std_append warn='' suffix=-$ver slowdown=1
}

all_logs=$logs
if [ "$1" = check ]; then
	style_gates
	kernel_matrix
	mkeif_tests
	cli_tests
	std_kernel
	std_harness
	suites std
	! newest_kernel || suites newest
	debug_kernel
	debug_harness
	suites debug-ci
else
	debug_kernel
	debug_harness
	suites debug-ci debug
fi

echo "== done in $(((SECONDS - start) / 60)) min $(((SECONDS - start) % 60)) s; logs in ${all_logs#"$top"/}/"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
