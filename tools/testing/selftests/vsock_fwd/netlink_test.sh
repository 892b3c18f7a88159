#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The vsock_fwd generic netlink family and the vsock-fwd tool, in the test
# VM with our module loaded, run from the top of the repository as root.
# Prints KTAP. Needs tools/vsock-fwd/vsock-fwd and, in build/selftests,
# fwd_nl_guests and fwd_nl_raw (fake guests and raw netlink), and jq and
# setpriv.
# shellcheck disable=SC2317 # helpers run through check()
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../../.." && pwd)
cd "$top" || exit 1
# shellcheck source-path=SCRIPTDIR source=ktap_lib.sh
. "$here/ktap_lib.sh"
tool=$top/tools/vsock-fwd/vsock-fwd
bin=${SELFTESTS_OUTPUT:-$top/build/selftests}
guests=$bin/fwd_nl_guests
raw=$bin/fwd_nl_raw
tmp=$(mktemp -d)
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)

# The raw netlink cases fwd_nl_raw prints, in order.
raw_cases=(u8_for_u32 u64_for_u32 nested_flag_on_u32 attr_len_below_header
	attr_len_past_message message_shorter_than_genl_header
	unknown_attr_type attr_not_of_this_command attr_in_dump_request
	set_without_target set_without_cid del_without_cid get_without_cid
	reserved_guest_cid local_target unknown_flag target_is_own_cid
	unknown_parent_flag dev_set_without_flags dev_set_no_device
	reserved_header_field unknown_command notification_as_request
	still_works_after)
ktap_print_header
ktap_set_plan $((14 + ${#raw_cases[@]}))

# check DESC CMD...: run CMD; on failure remember DESC and its output.
why=
check() {
	local desc=$1 out
	shift
	if ! "$@" > "$tmp/check" 2>&1; then
		out=$(head -c 300 "$tmp/check" | tr '\n' ' ')
		why+="${why:+; }$desc${out:+ ($out)}"
		return 1
	fi
}
# finish NAME: the result of the checks since the last one.
finish() {
	ktap_check "netlink.$1" "$why"
	why=
}

# jqt FILE FILTER: FILTER must yield true on FILE (jqs: on all its
# documents as one array).
jqt() {
	[ "$(jq -e "$2" "$1" 2>&1)" = true ] || { echo "jq '$2' on: $(head -c 400 "$1")"; return 1; }
}
jqs() {
	[ "$(jq -s -e "$2" "$1" 2>&1)" = true ] || { echo "jq -s '$2' on: $(head -c 400 "$1")"; return 1; }
}
# rc WANT CMD...: CMD's exit status must be WANT; its output is kept.
rc() {
	local want=$1 got
	shift
	"$@" > "$tmp/out" 2> "$tmp/err"
	got=$?
	[ "$got" -eq "$want" ] || { echo "exit $got, not $want: $(cat "$tmp/err")"; return 1; }
}
grepq() { grep -q -- "$1" "$2" || { echo "no '$1' in: $(head -c 300 "$2")"; return 1; }; }

# Fake guests, driven through a coprocess.
guest_pid=
guest_start() { # ARGS...
	coproc GUEST { exec "$guests" "$@" 2>&1; }
	# shellcheck disable=SC2153 # GUEST_PID is set by coproc GUEST
	guest_pid=$GUEST_PID
	local line
	read -r -t 120 -u "${GUEST[0]}" line
	[ "$line" = ready ] || { echo "fake guests did not start: $line"; return 1; }
}
guest_cmd() { # CMD: prints the answer
	local line
	echo "$1" >&"${GUEST[1]}"
	read -r -t 30 -u "${GUEST[0]}" line
	echo "$line"
}
# hb_listening FILE: wait until the vsock-fwd heartbeat writing FILE
# listens (its first line), so that the enclave's heartbeat can reach it.
hb_listening() {
	for _ in $(seq 300); do
		grep -q listening "$1" 2> /dev/null && return 0
		sleep 0.1
	done
	echo "# vsock-fwd heartbeat never listened: $(head -c 200 "$1")"
	return 1
}
guest_stop() {
	[ -n "$guest_pid" ] || return 0
	echo quit >&"${GUEST[1]}"
	wait "$guest_pid"
	guest_pid=
}

cleanup() {
	guest_stop 2> /dev/null
	jobs -p | xargs -r kill 2> /dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

for f in "$tool" "$guests" "$raw"; do
	[ -x "$f" ] || { echo "# $f missing: run make"; }
done

# 1. The tool's own conventions.
check "--help exits 0" rc 0 "$tool" --help
check "--help lists heartbeat" grepq heartbeat "$tmp/out"
check "unknown command exits 2" rc 2 "$tool" frobnicate
check "bad CID exits 2" rc 2 "$tool" show 2
check "own CID as parent exits 2" rc 2 "$tool" set 10 parent 10
finish cli_usage

# 2. set/rules/del round trip, human.
check "set" rc 0 "$tool" set 100 parent 2 alias 5 strict
check "rules" rc 0 "$tool" rules
check "rules line" grep -qx "100 parent 2 alias 5 strict" "$tmp/out"
check "set replaces" rc 0 "$tool" set 100 parent 7
check "rules" rc 0 "$tool" rules
check "replaced line" grep -qx "100 parent 7 alias 3" "$tmp/out"
check "del" rc 0 "$tool" del 100
check "rules" rc 0 "$tool" rules
check "rules empty" test ! -s "$tmp/out"
check "del again exits 1" rc 1 "$tool" del 100
check "del again says so" grepq "no rule for guest CID 100" "$tmp/err"
finish set_rules_del_human

# 3. The same in JSON, field by field.
check "set" rc 0 "$tool" set 101 parent 2 strict
check "set" rc 0 "$tool" set 102 parent 20 alias 4
"$tool" -j rules > "$tmp/rules.json"
check "two rules" jqt "$tmp/rules.json" 'length == 2'
check "cid" jqt "$tmp/rules.json" '.[0].cid == 101 and .[1].cid == 102'
check "target" jqt "$tmp/rules.json" '.[0].target_cid == 2 and .[1].target_cid == 20'
check "alias" jqt "$tmp/rules.json" '.[0].alias_cid == 3 and .[1].alias_cid == 4'
check "flags" jqt "$tmp/rules.json" '.[0].flags == 1 and .[1].flags == 0'
check "strict" jqt "$tmp/rules.json" '.[0].strict == true and .[1].strict == false'
"$tool" -p rules > "$tmp/pretty.json"
check "pretty is the same JSON" jqt "$tmp/pretty.json" ". == $(cat "$tmp/rules.json")"
check "pretty is indented" test "$(wc -l < "$tmp/pretty.json")" -gt 2
check "del" rc 0 "$tool" del 101
check "del" rc 0 "$tool" del 102
"$tool" -j rules > "$tmp/rules.json"
check "no rules" jqt "$tmp/rules.json" '. == []'
finish set_rules_del_json

# 4. A rule set before its device exists reaches it; monitor watches.
"$tool" -j monitor > "$tmp/monitor" 2>&1 &
monitor=$!
sleep 1
check "set before device" rc 0 "$tool" set 10 parent 2 strict
check "no device yet" rc 1 "$tool" show 10
check "says no device" grepq "no device has guest CID 10" "$tmp/err"
check "start guest" guest_start -c 10
"$tool" -j show 10 > "$tmp/show.json"
check "cid" jqt "$tmp/show.json" 'length == 1 and .[0].cid == 10'
check "owner pid" jqt "$tmp/show.json" ".[0].pid == $guest_pid"
check "owner comm" jqt "$tmp/show.json" '.[0].comm == "fwd_nl_guests"'
check "running" jqt "$tmp/show.json" '.[0].running == true'
check "features" jqt "$tmp/show.json" '.[0].features > 0'
check "forward" jqt "$tmp/show.json" '.[0].forward.target_cid == 2 and .[0].forward.alias_cid == 3'
check "strict" jqt "$tmp/show.json" '.[0].forward.strict == true and .[0].forward.flags == 1'
check "from the rule" jqt "$tmp/show.json" '.[0].forward.source == "rule"'
check "stats" jqt "$tmp/show.json" '.[0].stats | has("out_pkts") and has("unreachable_pkts")'
check "show human" rc 0 "$tool" show
check "human forward" grepq "forward parent 2 alias 3 strict (rule)" "$tmp/out"
check "human owner" grepq "cid 10 pid $guest_pid comm fwd_nl_guests running" "$tmp/out"
finish rule_before_device

# 5. The nobody user may look but not touch.
check "show as nobody" rc 0 "${nobody[@]}" "$tool" show
check "sees cid 10" grepq "cid 10 " "$tmp/out"
check "rules as nobody" rc 0 "${nobody[@]}" "$tool" -j rules
check "set as nobody exits 4" rc 4 "${nobody[@]}" "$tool" set 10 parent 2
check "says CAP_NET_ADMIN" grepq CAP_NET_ADMIN "$tmp/err"
check "del as nobody exits 4" rc 4 "${nobody[@]}" "$tool" del 10
"$tool" -j rules > "$tmp/rules.json"
check "rule unchanged" jqt "$tmp/rules.json" '.[0].cid == 10 and .[0].strict == true'
finish unprivileged_show_not_change

# 6. heartbeat answers the fake enclave at CID 3 (the rule sends it here).
"$tool" -j heartbeat 9000 count 1 > "$tmp/hb" 2>&1 &
hb=$!
hb_listening "$tmp/hb"
ans=$(guest_cmd "hb 3 9000")
check "enclave got 0xB7 back [$ans]" test "$ans" = ok
check "heartbeat exits 0" wait $hb
check "logged the enclave" jqs "$tmp/hb" \
	'.[0].event == "listening" and .[0].port == 9000 and .[1].event == "heartbeat" and .[1].cid == 10 and .[1].ok == true and (.[1].port | type) == "number"'
finish heartbeat_answers_enclave

# 7. Rules change a live device's forwarding, shown by traffic.
"$tool" heartbeat 9000 > "$tmp/hb2" 2>&1 &
hb=$!
hb_listening "$tmp/hb2"
before=$("$tool" -j show 10 | jq '.[0].stats.out_pkts')
check "del" rc 0 "$tool" del 10
ans=$(guest_cmd "connect 3 9000")
check "no forward: parent unreachable [$ans]" test "${ans%% *}" = err
"$tool" -j show 10 > "$tmp/show.json"
check "forward off" jqt "$tmp/show.json" '.[0].forward == null'
check "set on live device" rc 0 "$tool" set 10 parent 2
ans=$(guest_cmd "hb 3 9000")
check "forward: parent answers [$ans]" test "$ans" = ok
"$tool" -j show 10 > "$tmp/show.json"
check "counted out" jqt "$tmp/show.json" ".[0].stats.out_pkts > $before"
check "counted in" jqt "$tmp/show.json" '.[0].stats.in_pkts > 0'
check "set to an absent guest" rc 0 "$tool" set 10 parent 77
ans=$(guest_cmd "connect 3 9000")
check "parent 77 absent: reset [$ans]" test "$ans" = "err ECONNRESET"
check "del" rc 0 "$tool" del 10
ans=$(guest_cmd "connect 3 9000")
check "deleted: unreachable again [$ans]" test "${ans%% *}" = err
kill $hb 2> /dev/null
wait $hb 2> /dev/null
finish rule_changes_live_forwarding

# 8. A forward set by the VMM's ioctl, and rules over it.
ans=$(guest_cmd "fwd 3 2")
check "ioctl [$ans]" test "$ans" = ok
"$tool" -j show 10 > "$tmp/show.json"
check "source ioctl" jqt "$tmp/show.json" '.[0].forward.source == "ioctl" and .[0].forward.target_cid == 2'
check "rule over it" rc 0 "$tool" set 10 parent 2 alias 4 strict
"$tool" -j show 10 > "$tmp/show.json"
check "source rule" jqt "$tmp/show.json" '.[0].forward.source == "rule" and .[0].forward.alias_cid == 4'
ans=$(guest_cmd "fwd 3 2")
check "ioctl again [$ans]" test "$ans" = ok
"$tool" -j show 10 > "$tmp/show.json"
check "ioctl wins again" jqt "$tmp/show.json" '.[0].forward.source == "ioctl" and .[0].forward.alias_cid == 3'
check "del rule" rc 0 "$tool" del 10
"$tool" -j show 10 > "$tmp/show.json"
check "ioctl forward stays" jqt "$tmp/show.json" '.[0].forward.source == "ioctl"'
ans=$(guest_cmd "fwd 0 0")
check "ioctl off [$ans]" test "$ans" = ok
"$tool" -j show 10 > "$tmp/show.json"
check "off" jqt "$tmp/show.json" '.[0].forward == null'
finish ioctl_and_rules

# 9. accept: the live device's consent to be a parent, and the kernel's
# extack message for a CID without a device.
check "accept" rc 0 "$tool" accept 10
"$tool" -j show 10 > "$tmp/show.json"
check "accepts" jqt "$tmp/show.json" '.[0].accepts_children == true'
check "show human" rc 0 "$tool" show 10
check "human accepts" grepq " accepts-children" "$tmp/out"
check "as nobody exits 4" rc 4 "${nobody[@]}" "$tool" accept 10 off
check "accept off" rc 0 "$tool" accept 10 off
"$tool" -j show 10 > "$tmp/show.json"
check "no longer" jqt "$tmp/show.json" '.[0].accepts_children == false'
check "no device exits 1" rc 1 "$tool" accept 99
check "says the kernel's why" grepq "accept 99: no device with guest CID 99" "$tmp/err"
finish accept_parent_consent

# 10. monitor saw the device appear, its forward change, and vanish.
guest_stop
sleep 1
kill $monitor 2> /dev/null
wait $monitor 2> /dev/null
check "one new" jqs "$tmp/monitor" '[.[] | select(.event == "new")] == [.[0]] and .[0].cid == 10'
check "new has owner" jqs "$tmp/monitor" '.[0].pid > 0 and .[0].comm == "fwd_nl_guests"'
check "then the rule's forward" jqs "$tmp/monitor" \
	'.[1].event == "forward" and .[1].forward.source == "rule" and .[1].forward.strict'
check "forward off" jqs "$tmp/monitor" \
	'any(.[]; .event == "forward" and .forward == null)'
check "forward to 77" jqs "$tmp/monitor" \
	'any(.[]; .event == "forward" and .forward.target_cid == 77)'
check "ioctl forward" jqs "$tmp/monitor" \
	'any(.[]; .event == "forward" and .forward.source == "ioctl")'
check "del last" jqs "$tmp/monitor" '.[-1] == {"event": "del", "cid": 10}'
finish monitor_sees_device

# 11. show of a device that does not exist.
check "exits 1" rc 1 "$tool" show 10
check "says what to do" grepq "vsock-fwd show" "$tmp/err"
check "-j exits 1" rc 1 "$tool" -j show 10
check "-j prints no half array" test ! -s "$tmp/out"
finish show_absent_device

# 12. A dump of 500 devices comes back whole and in order.
check "start 500 devices" guest_start -b -c 1000 -n 500
"$tool" -j show > "$tmp/dump.json"
check "500 devices" jqt "$tmp/dump.json" 'length == 500'
check "in CID order" jqt "$tmp/dump.json" '[.[].cid] == [range(1000; 1500)]'
check "each owned" jqt "$tmp/dump.json" "all(.[]; .pid == $guest_pid and .running == false)"
check "human dump" test "$("$tool" show | grep -c '^cid ')" -eq 500
guest_stop
"$tool" -j show > "$tmp/dump.json"
check "all gone" jqt "$tmp/dump.json" '. == []'
finish dump_500_devices_in_order

# 13. Rules in bulk, from a batch: 1500 rules fill several dump messages
# (52 bytes each, in buffers of at most 32 KiB), which must come back whole
# and in order; then a batch from standard input deletes them.
shuf -i 2000-3499 | sed 's/.*/set & parent 2/' > "$tmp/batch"
check "batch of 1500 sets" rc 0 "$tool" -b "$tmp/batch"
"$tool" -j rules > "$tmp/rules.json"
check "1500 rules in order" jqt "$tmp/rules.json" '[.[].cid] == [range(2000; 3500)]'
check "human dump" test "$("$tool" rules | wc -l)" -eq 1500
shuf -i 2000-3499 | sed 's/.*/del &/' > "$tmp/batch"
check "batch of 1500 dels" rc 0 "$tool" -b - < "$tmp/batch"
"$tool" -j rules > "$tmp/rules.json"
check "no rules left" jqt "$tmp/rules.json" '. == []'
finish rule_dump_in_order

# 14. A batch stops at its first failing line and names it; what came
# before has taken effect, nothing after.
printf '# rules\nset 40 parent 2\n\nset 41 parent 2 sticky\nset 42 parent 2\n' > "$tmp/batch"
check "bad line is a usage error" rc 2 "$tool" -b "$tmp/batch"
check "names file and line" grepq "$tmp/batch:4: set: unexpected 'sticky'" "$tmp/err"
"$tool" -j rules > "$tmp/rules.json"
check "only the line before" jqt "$tmp/rules.json" '[.[].cid] == [40]'
printf 'del 40\ndel 40\n' > "$tmp/batch"
check "failed request ends it" rc 1 "$tool" -b "$tmp/batch"
check "says which line" grepq "$tmp/batch:2: del: no rule for guest CID 40" "$tmp/err"
printf 'rules\n' > "$tmp/batch"
check "only changes batch" rc 2 "$tool" -b "$tmp/batch"
check "a command and -b" rc 2 "$tool" -b "$tmp/batch" rules
check "unreadable file" rc 2 "$tool" -b "$tmp/none"
finish batch_stops_at_first_failure

# 15. Hand-made malformed messages get EINVAL (or ERANGE for values out
# of range) and the family keeps working.
"$raw" > "$tmp/raw" 2>&1
for c in "${raw_cases[@]}"; do
	why=
	grep -qx "PASS raw.$c" "$tmp/raw" ||
		why=$(grep "raw.$c" "$tmp/raw" || echo "no result; output: $(head -c 300 "$tmp/raw")")
	ktap_check "netlink.raw_$c" "$why"
done

ktap_finished
