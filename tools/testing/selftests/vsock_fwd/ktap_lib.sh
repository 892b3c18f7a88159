# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the shell suites for their KTAP: the kernel's own helpers
# (tools/testing/selftests/kselftest/ktap_helpers.sh of KSRC:
# ktap_print_header, ktap_set_plan, ktap_test_pass/fail/skip,
# ktap_finished, whose exit status is 0 only when every planned test passed
# or was skipped), and three of ours on top of them.
#
# KSRC is the top Makefile's: from the environment (vm/run.sh passes it
# into the test VM), else the source 'make deps' extracted for the kernel
# recorded in build/kver, which the test VM sees at the same path whatever
# kernel it boots.
# shellcheck shell=bash

if [ -z "${KSRC:-}" ]; then
	ktap_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)
	read -r KSRC _ < "$ktap_top/build/kver"
	# The Makefile's SRCVER: the kernel release up to its first + or -.
	KSRC=$ktap_top/build/linux-${KSRC%%[+-]*}
fi
# shellcheck source=/dev/null
if ! . "$KSRC/tools/testing/selftests/kselftest/ktap_helpers.sh"; then
	echo "Bail out! no kselftest/ktap_helpers.sh in KSRC=$KSRC: run make deps"
	exit 1
fi

# ktap_status STATUS NAME: NAME passed when STATUS is 0, else failed.
ktap_status() {
	if [ "$1" -eq 0 ]; then
		ktap_test_pass "$2"
	else
		ktap_test_fail "$2"
	fi
}

# ktap_case NAME CMD...: CMD in a subshell with set -e, so that its first
# failing command ends it; its exit status is NAME's result. Not in an
# 'if': there set -e would be off.
ktap_case() {
	local name=$1
	shift
	( set -e; "$@" )
	ktap_status $? "$name"
}

# ktap_check NAME WHY: NAME passed when WHY (what went wrong) is empty, else
# WHY's first 2000 characters as comment lines, then NAME failed.
ktap_check() {
	if [ -z "$2" ]; then
		ktap_test_pass "$1"
	else
		printf '%.2000s\n' "$2" | sed 's/^/# /'
		ktap_test_fail "$1"
	fi
}
