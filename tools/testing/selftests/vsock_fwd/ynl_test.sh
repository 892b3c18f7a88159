#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The family's YNL spec (Documentation/netlink/specs/vsock_fwd.yaml) against
# the module, in the test VM with our module loaded (run.sh --module ours):
# the kernel's own YNL CLI (tools/net/ynl/cli.py of the extracted source)
# validates the spec, sets and deletes rules, dumps rules and devices, and
# watches the events group; each answer must be what '"$tool" -j' says.
# KTAP output.
# shellcheck disable=SC2317 # run through ktap_case
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=ktap_lib.sh
. "$here/ktap_lib.sh"
bin=${SELFTESTS_OUTPUT:-$top/build/selftests}
tmp=$(mktemp -d)
tool=$top/tools/vsock-fwd/vsock-fwd
spec=$top/Documentation/netlink/specs/vsock_fwd.yaml
schema=$KSRC/Documentation/netlink/genetlink-legacy.yaml
ynl=(python3 "$KSRC/tools/net/ynl/cli.py" --spec "$spec" --schema "$schema" --output-json)

ktap_print_header
ktap_set_plan 6
fail() { echo "# $*"; return 1; }
# same A B: two JSON documents, equal.
same() {
	jq -e -n --argjson a "$1" --argjson b "$2" '$a == $b' > /dev/null ||
		fail "differ: $1 vs $2"
}

# The rules as "$tool" -j shows them, in the spec's terms.
tool_rules() {
	"$tool" -j rules | jq -c 'map({cid, "alias-cid": .alias_cid,
		"target-cid": .target_cid, flags}) | sort_by(.cid)'
}
# YNL's dump of rule-get, flags as a number.
ynl_rules() {
	"${ynl[@]}" --dump rule-get | jq -c 'map(.flags |= (if type == "array"
		then (if index("strict") then 1 else 0 end) else . end)) | sort_by(.cid)'
}

spec_valid() {
	"${ynl[@]}" --list-ops > "$tmp/ops" || fail "cli.py rejects the spec"
	for op in dev-get rule-get rule-set rule-del dev-set; do
		grep -q "^$op " "$tmp/ops" || fail "no op $op: $(cat "$tmp/ops")"
	done
}

rule_set_dump() {
	"${ynl[@]}" --do rule-set --json '{"cid": 100, "target-cid": 2, "alias-cid": 5, "flags": ["strict"]}' > /dev/null ||
		fail "rule-set 100 failed"
	"${ynl[@]}" --do rule-set --json '{"cid": 101, "target-cid": 20}' > /dev/null ||
		fail "rule-set 101 failed"
	same "$(ynl_rules)" "$(tool_rules)"
	same "$(tool_rules)" '[{"cid": 100, "alias-cid": 5, "target-cid": 2, "flags": 1},
		{"cid": 101, "alias-cid": 3, "target-cid": 20, "flags": 0}]'
	# Out of the spec's range: refused by the module's policy.
	! "${ynl[@]}" --do rule-set --json '{"cid": 2, "target-cid": 2}' > /dev/null 2>&1 ||
		fail "rule-set for CID 2 accepted"
}

rule_del() {
	"${ynl[@]}" --do rule-del --json '{"cid": 101}' > /dev/null || fail "rule-del failed"
	same "$(ynl_rules)" "$(tool_rules)"
	same "$(tool_rules | jq -c 'map(.cid)')" '[100]'
	"${ynl[@]}" --do rule-del --json '{"cid": 100}' > /dev/null || fail "rule-del failed"
}

# The dumps take no attribute: their generated policies refuse any.
dump_rejects_attrs() {
	local op
	for op in rule-get dev-get; do
		! "${ynl[@]}" --dump "$op" --json '{"cid": 100}' > "$tmp/err" 2>&1 ||
			fail "$op dump with a CID accepted"
		grep -q -- "-22\|Invalid argument\|EINVAL" "$tmp/err" ||
			fail "$op dump: not EINVAL: $(cat "$tmp/err")"
	done
}

# A fake guest with CID 10 for the device tests, driven through a coprocess.
guest_start() {
	local line
	coproc GUEST { exec "$bin/fwd_nl_guests" -c 10 2>&1; }
	read -r -t 120 -u "${GUEST[0]}" line
	[ "$line" = ready ] || fail "fake guest did not start: $line"
}

dev_dump() {
	local y t
	guest_start
	y=$("${ynl[@]}" --dump dev-get | jq -c 'map({cid, pid, comm,
		running: (.running == 1), features})')
	t=$("$tool" -j show | jq -c 'map({cid, pid, comm, running, features})')
	same "$y" "$t"
	same "$(jq -c 'map(.cid)' <<< "$y")" '[10]'
	y=$("${ynl[@]}" --do dev-get --json '{"cid": 10}' | jq -c '{cid, pid}')
	same "$y" "$("$tool" -j show 10 | jq -c '.[0] | {cid, pid}')"
	echo quit >&"${GUEST[1]}"
	wait "$GUEST_PID"
}

# The events group, with the kernel's YNL library as cli.py uses it (the
# 6.12 cli.py cannot take a notification in the middle of a --do): it
# subscribes, says so, and prints the notifications once it has two.
watch_events() {
	python3 - "$KSRC/tools/net/ynl" "$spec" "$schema" <<-'PY'
	import json, select, sys
	sys.path.insert(0, sys.argv[1])
	from lib import YnlFamily
	ynl = YnlFamily(sys.argv[2], sys.argv[3])
	ynl.ntf_subscribe("events")
	print("subscribed", flush=True)
	while len(ynl.async_msg_queue) < 2:
	    select.select([ynl.sock], [], [])
	    ynl.check_ntf()
	# Flags decode to sets, which cli.py's encoder writes as lists.
	print(json.dumps(ynl.async_msg_queue[:2], default=sorted), flush=True)
	PY
}

events() {
	local line q watch
	guest_start
	# Not a second coproc: bash keeps one at a time.
	exec {watch}< <(watch_events 2>&1)
	read -r -t 120 -u "$watch" line
	[ "$line" = subscribed ] || fail "watcher: $line"
	"${ynl[@]}" --do rule-set --json '{"cid": 10, "target-cid": 2, "flags": ["strict"]}' \
		> /dev/null || fail "rule-set failed"
	"$tool" -j show 10 > "$tmp/show.json"
	"${ynl[@]}" --do rule-del --json '{"cid": 10}' > /dev/null || fail "rule-del failed"
	read -r -t 120 -u "$watch" q || fail "no notifications"
	exec {watch}<&-
	same "$(jq -c '[.[] | .name]' <<< "$q")" '["fwd-change", "fwd-change"]'
	same "$(jq -c '.[0].msg | {cid, "target-cid", "alias-cid", source}' <<< "$q")" \
		"$(jq -c '.[0] | {cid, "target-cid": .forward.target_cid,
			"alias-cid": .forward.alias_cid, source: .forward.source}' "$tmp/show.json")"
	echo quit >&"${GUEST[1]}"
	wait "$GUEST_PID"
}

for t in spec_valid rule_set_dump rule_del dump_rejects_attrs dev_dump events; do
	ktap_case "ynl.$t" "$t"
done
rm -rf "$tmp"
ktap_finished
