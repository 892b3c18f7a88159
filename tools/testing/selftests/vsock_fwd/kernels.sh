#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kernels.sh [VERSION...]
#
# The kernel matrix, as KTAP: build the module against Debian's source of
# each VERSION (default: 6.12, the 6.18 LTS and the newest 7.x), prepared
# once in the cache by scripts/kernel-tree.sh, then again with sparse (C=2)
# and W=1, which must print no diagnostic from our files. The builds run on
# a copy of the module's sources in build/kernels/<version>, so that the
# checkout's own build is left alone.
#
# The trees are configured, not necessarily built (the newest 7.x is, for
# the test VM, by check.sh): without Module.symvers modpost cannot tell a
# missing export (such as 7.0 unexporting virtio_transport_stream_allow)
# from a symbol it was not told about. So each symbol the module needs must
# be exported somewhere in the tree's sources instead; the exports are
# listed once per tree.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=ktap_lib.sh
. "$here/ktap_lib.sh"
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(6.12 6.18 7)

# The symbols the tree $1 exports: names, and NAME## prefixes of macros.
exports() {
	local list=$1/.vsock-fwd-exports
	if [ ! -s "$list" ]; then
		grep -rhoE --include='*.c' --include='*.h' --include='*.S' \
			--exclude-dir=Documentation --exclude-dir=tools --exclude-dir=samples \
			'\b(__)?EXPORT_(PER_CPU_)?(SYMBOL|STATIC_CALL|THUNK)(_TRAMP|_GPL|_NS|_NS_GPL|_FOR_MODULES)?\(\s*\w+( ?##)?' \
			"$1" |
			sed -E 's/^EXPORT_[A-Z_]*STATIC_CALL[A-Z_]*\(\s*/__SCT__/; s/^[^(]*\(\s*//; s/ ?##$/*/' |
			sort -u > "$list.tmp" && mv "$list.tmp" "$list"
	fi
	cat "$list"
}

# The undefined symbols of object $1 that tree $2 does not export.
unexported() {
	nm -u "$1" | awk '{ print $2 }' | sort -u |
		awk 'NR == FNR { if (sub(/\*$/, "")) pre[$0]; else ex[$0]; next }
		     $0 == "__this_module" || $0 in ex { next }
		     { for (p in pre) if (index($0, p) == 1) next; print }' \
		    <(exports "$2") -
}

ktap_print_header
ktap_set_plan $((${#versions[@]} * 2))
for v in "${versions[@]}"; do
	t0=$SECONDS
	if ! tree=$("$top/scripts/kernel-tree.sh" "$v" 2> "$top/build/kernels-$v.log"); then
		sed 's/^/# /' "$top/build/kernels-$v.log"
		for what in build sparse_w1; do
			echo "# no tree"
			ktap_test_fail "kernels.$v.$what"
		done
		continue
	fi
	# The tree's directory is <version>-<config>.
	ver=${tree##*/}
	ver=${ver%-*}
	echo "# linux $ver: tree ready in $((SECONDS - t0)) s ($tree)"
	src=$top/build/kernels/$ver
	"$top/scripts/module-tree.sh" "$src"
	kmake() { nice make -C "$tree" M="$src" VHOST_SRC="$tree" KBUILD_MODPOST_WARN=1 "$@"; }

	t0=$SECONDS
	if log=$(kmake modules 2>&1) &&
	   missing=$(unexported "$src/vhost_vsock_fwd.o" "$tree") && [ -z "$missing" ]; then
		echo "# built in $((SECONDS - t0)) s"
		ktap_test_pass "kernels.$ver.build"
	else
		[ -z "${missing:-}" ] || echo "# not exported: ${missing//$'\n'/ }"
		grep -E 'error|warning' <<< "$log" | sed 's/^/# /'
		ktap_test_fail "kernels.$ver.build"
	fi

	t0=$SECONDS
	kmake clean > /dev/null 2>&1
	if sparse=$("$top/scripts/sparse.sh" "$tree" 2>> "$top/build/kernels-$v.log"); then
		log=$(kmake C=2 CHECK="$sparse" W=1 modules 2>&1)
		status=$?
	else
		log=$(cat "$top/build/kernels-$v.log")
		status=1
	fi
	diag=$(grep -E "^($src/|\./)?(drivers/vhost|include/uapi)/[^:]*:[0-9]+:[0-9]+: (warning|error)" <<< "$log")
	if [ $status -eq 0 ] && [ -z "$diag" ]; then
		echo "# checked in $((SECONDS - t0)) s"
		ktap_test_pass "kernels.$ver.sparse_w1"
	else
		printf '%s\n' "${diag:-$log}" | sed 's/^/# /'
		ktap_test_fail "kernels.$ver.sparse_w1"
	fi
done
ktap_finished
