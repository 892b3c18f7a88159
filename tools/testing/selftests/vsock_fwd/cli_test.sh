#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cli_test.sh: the command line of vsock-fwd, on the host, without the
# module: every argument it refuses (exit 2, and what it says), every
# argument it takes (it gets as far as netlink), and its --help against
# the synopsis and options of vsock-fwd(8). Prints KTAP.
#
# The tool runs in a network namespace of its own (unshare -rn), where the
# vsock_fwd family, not netns-aware, does not exist even if the module is
# loaded: a command line that parses exits 3 (module not loaded), and no
# command can change anything. Netlink itself is netlink_test.sh's, in the
# test VM. Needs the built tool (or VSOCK_FWD=the one to test), unshare
# (util-linux), groff, and the kernel's source for ktap_helpers.sh
# (ktap_lib.sh).
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../../.." && pwd)
tool=${VSOCK_FWD:-$top/tools/vsock-fwd/vsock-fwd}
man=$top/tools/vsock-fwd/vsock-fwd.8
# shellcheck source-path=SCRIPTDIR source=ktap_lib.sh
. "$here/ktap_lib.sh"

# The results, printed after the plan once all are known.
names=() whys=()
result() { # NAME WHY (empty: passed)
	names+=("cli.$1")
	whys+=("$2")
}

nomodule="the kernel has no 'vsock_fwd' netlink family: the module is not loaded; load it with 'modprobe vhost_vsock_fwd'"

# t NAME EXIT MESSAGE ARGS...: 'vsock-fwd ARGS' exits EXIT and first says
# "vsock-fwd: MESSAGE" (nothing if MESSAGE is empty), then, for a usage
# error other than an unreadable batch file, where help is.
t() {
	local name=$1 want=$2 msg=$3 err got why=
	shift 3
	err=$(unshare -rn "$tool" "$@" 2>&1 > /dev/null)
	got=$?
	if [ "$got" -ne "$want" ]; then
		why="exit $got, not $want"
	elif [ "${err%%$'\n'*}" != "${msg:+vsock-fwd: $msg}" ]; then
		why="said something else"
	elif [ "$want" -eq 2 ] && [ "${msg#batch: }" = "$msg" ] &&
	     ! grep -qxF "Try 'vsock-fwd --help'." <<< "$err"; then
		why="no pointer to --help"
	fi
	result "$name" "${why:+vsock-fwd $*: $why: $err}"
}

range="(3 to 4294967294)"

# Numbers: CIDs, through show, then each other kind of number.
t cid_reserved 2 "show: CID '2' is out of range $range" show 2
t cid_zero 2 "show: CID '0' is out of range $range" show 0
t cid_any 2 "show: CID '4294967295' is out of range $range" show 4294967295
t cid_overflow 2 "show: CID '4294967296' is out of range $range" show 4294967296
t cid_overflow_u64 2 "show: CID '99999999999999999999' is out of range $range" \
	show 99999999999999999999
t cid_hex_overflow 2 "show: CID '0x100000003' is out of range $range" show 0x100000003
t cid_negative 2 "show: CID '-5' is negative" show -5
t cid_plus 2 "show: CID '+5' is not a number" show +5
t cid_blank 2 "show: CID ' 5' is not a number" show ' 5'
t cid_empty 2 "show: CID is empty" show ''
t cid_word 2 "show: CID 'ten' is not a number" show ten
t cid_trailing 2 "show: CID '12x' is not a number: trailing 'x'" show 12x
t cid_trailing_blank 2 "show: CID '12 ' is not a number: trailing ' '" show '12 '
t cid_hex_prefix_only 2 "show: CID '0x' is not a number: trailing 'x'" show 0x
t cid_leading_zero 2 "show: CID '010' has a leading 0: write it in decimal, or in hexadecimal with 0x" show 010
t cid_option_after_command 2 \
	"show: CID '-j' is not a number (options go before the command)" show -j
t cid_lowest 3 "$nomodule" show 3
t cid_highest 3 "$nomodule" show 4294967294
t cid_hex 3 "$nomodule" show 0xfffffffe
t parent_reserved 2 "set: parent '1' is out of range (2 to 4294967294)" set 5 parent 1
t parent_negative 2 "set: parent '-2' is negative" set 5 parent -2
t parent_host 3 "$nomodule" set 5 parent 2
t alias_reserved 2 "set: alias '2' is out of range $range" set 5 parent 2 alias 2
t alias_trailing 2 "set: alias '4k' is not a number: trailing 'k'" set 5 parent 2 alias 4k
t port_zero 2 "heartbeat: port '0' is out of range (1 to 4294967294)" heartbeat 0
t port_any 2 "heartbeat: port '4294967295' is out of range (1 to 4294967294)" \
	heartbeat 4294967295
t port_trailing 2 "heartbeat: port '9000x' is not a number: trailing 'x'" heartbeat 9000x
t count_zero 2 "heartbeat: count '0' is out of range (1 to 4294967295)" heartbeat count 0
t count_negative 2 "heartbeat: count '-1' is negative" heartbeat 9000 count -1
t count_overflow 2 "heartbeat: count '4294967296' is out of range (1 to 4294967295)" \
	heartbeat count 4294967296

# The words of each command.
t set_nothing 2 "set: missing the guest CID" set
t set_no_parent 2 "set: missing 'parent TARGET'" set 5
t set_not_parent 2 "set: expected 'parent', not 'target'" set 5 target 2
t set_parent_no_cid 2 "set: 'parent' needs a CID" set 5 parent
t set_alias_no_cid 2 "set: 'alias' needs a CID" set 5 parent 2 alias
t set_alias_twice 2 "set: 'alias' given twice" set 5 parent 2 alias 4 alias 6
t set_strict_twice 2 "set: 'strict' given twice" set 5 parent 2 strict strict
t set_unknown_word 2 "set: unexpected 'sticky'" set 5 parent 2 sticky
t set_own_parent 2 "set: the guest's own CID 5 cannot be its alias or parent" set 5 parent 5
t set_own_alias 2 "set: the guest's own CID 5 cannot be its alias or parent" \
	set 5 parent 2 alias 5
t set_everything 3 "$nomodule" set 5 parent 7 strict alias 4
t del_nothing 2 "del: missing the guest CID" del
t del_two 2 "del: unexpected '6'" del 5 6
t delete_alias 3 "$nomodule" delete 5
t accept_nothing 2 "accept: missing the guest CID" accept
t accept_maybe 2 "accept: expected 'on' or 'off', not 'maybe'" accept 5 maybe
t accept_three 2 "accept: unexpected 'on'" accept 5 off on
t accept_on 3 "$nomodule" accept 5 on
t accept_off 3 "$nomodule" accept 5 off
t show_two 2 "show: unexpected '6'" show 5 6
t show_all 3 "$nomodule" show
t list_alias 3 "$nomodule" list
t rules_word 2 "rules: unexpected 'all'" rules all
t rules 3 "$nomodule" rules
t monitor_word 2 "monitor: unexpected 'now'" monitor now
t monitor 3 "$nomodule" monitor
t heartbeat_count_no_number 2 "heartbeat: 'count' needs a number" heartbeat count
t heartbeat_port_after_count 2 "heartbeat: unexpected '9000'" heartbeat count 1 9000
t heartbeat_unknown_word 2 "heartbeat: unexpected 'forever'" heartbeat 9000 forever
t unknown_command 2 "unknown command 'frobnicate'" frobnicate
t no_command 2 "no command given"

# Options and batches.
t unknown_option 2 "unknown option '--frob'" --frob show
t unknown_short_option 2 "unknown option '-x'" -jx show
t option_with_argument 2 "option '--json=yes' takes no argument" --json=yes show
t batch_no_file 2 "-b/--batch needs a FILE" -b
t batch_long_no_file 2 "-b/--batch needs a FILE" --batch
t batch_twice 2 "-b given twice" -b /dev/null -b /dev/null
t keep_going_alone 2 "-k goes with -b" -k show
t batch_and_command 2 "a command and -b cannot go together" -b /dev/null rules
t batch_unreadable 2 "batch: /nonexistent: No such file or directory" -b /nonexistent
t batch_empty 0 "" -b /dev/null
batch() { # NAME EXIT MESSAGE LINES [OPTIONS]: a batch from standard input
	local name=$1 want=$2 msg=$3 lines=$4
	shift 4
	t "$name" "$want" "$msg" "$@" -b - <<< "$lines"
}
batch batch_names_line 2 "-:3: set: unexpected 'sticky'" \
	$'# rules\n\nset 5 parent 2 sticky\nset 6 parent 2'
batch batch_refuses_show 2 "-:1: 'show' cannot be batched: only set, del and accept can" 'show'
batch batch_too_many_words 2 "-:1: too many words" "set 5 parent 2$(printf ' strict%.0s' {1..14})"
batch batch_comment_only 0 "" '# nothing'
batch batch_then_netlink 3 "-:2: $nomodule" $'# a\nset 5 parent 2 strict'

# -k: every bad line is reported, the status is the first one's.
err=$(unshare -rn "$tool" -k -b - 2>&1 <<< $'del 2\ndel x\naccept 5 maybe')
got=$?
why=
[ "$got" -eq 2 ] || why="exit $got, not 2"
[ "$(grep -c "^vsock-fwd: -:[123]: " <<< "$err")" -eq 3 ] || why+=" not three lines reported"
result keep_going_reports_each_line "${why:+$why: $err}"

# --help and help, against the man page: the synopses of the commands
# (in the help, a line's text up to two blanks) are the same, and each
# option of the help is in the man page.
help=$("$tool" --help)
why=
[ "$help" = "$("$tool" help)" ] || why="'help' is not '--help'"
[ "$("$tool" -V)" = "vsock-fwd 1.0" ] || why+=" -V: $("$tool" -V)"
page=$(groff -man -Tascii -rLL=200n -P-cbou "$man" 2> /dev/null)
synopsis=$(sed -n '/^SYNOPSIS/,/^DESCRIPTION/s/^ *vsock-fwd \([a-z].*\)/\1/p' <<< "$page")
[ "$(wc -l <<< "$synopsis")" -eq 7 ] || why+=" not 7 commands in the man page: $synopsis"
d=$(diff <(echo "$synopsis") <(sed -n 's/^  \([a-z].*\)/\1/p' <<< "$help" | sed 's/  .*//'))
[ -z "$d" ] || why+=" synopses differ (< man page, > help): $d;"
while read -r opt; do
	grep -q -- "^ *$opt" <<< "$page" || why+=" man page has no '$opt';"
done < <(sed -n 's/^  \(-[a-zA-Z], --[a-z-]*\).*/\1/p' <<< "$help")
result help_matches_man_page "$why"

ktap_print_header
ktap_set_plan "${#names[@]}"
for i in "${!names[@]}"; do
	ktap_check "${names[i]}" "${whys[i]}"
done
ktap_finished
