#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# style.sh KSRC KDIR VHOST_SRC
#
# The kernel style gates, as TAP: checkpatch.pl --strict on every kernel
# source and uapi header of ours, and a build with sparse (C=2) and W=1
# that must print no diagnostic from our files.
set -uo pipefail

ksrc=$1 kdir=$2 vhost_src=$3
top=$(cd "$(dirname "$0")/../../../.." && pwd)
cd "$top"

files=$(ls drivers/vhost/*.[ch] drivers/vhost/compat/*.h include/uapi/linux/*.h \
	tools/testing/selftests/vsock_fwd/vm/warn/*_on_load.c 2>/dev/null)
n=0 failed=0
echo "TAP version 13"
echo "1..2"

n=$((n + 1))
# shellcheck disable=SC2086
if out=$(perl "$ksrc/scripts/checkpatch.pl" --no-tree --strict --terse \
		--show-types -f $files 2>&1) && ! grep -qE 'ERROR|WARNING|CHECK' <<< "$out"; then
	echo "ok $n style.checkpatch_strict"
else
	sed 's/^/# /' <<< "$out"
	echo "not ok $n style.checkpatch_strict"
	failed=1
fi

n=$((n + 1))
# Force a full rebuild so that sparse and W=1 see every file.
make -C "$kdir" M="$top" VHOST_SRC="$vhost_src" clean > /dev/null 2>&1
log=$(make -C "$kdir" M="$top" VHOST_SRC="$vhost_src" C=2 CHECK=sparse W=1 modules 2>&1)
status=$?
diag=$(grep -E "^($top/|\./)?(drivers/vhost|include/uapi)/[^:]*:[0-9]+:[0-9]+: (warning|error)" <<< "$log")
if [ $status -eq 0 ] && [ -z "$diag" ]; then
	echo "ok $n style.sparse_w1"
else
	sed 's/^/# /' <<< "${diag:-$log}"
	echo "not ok $n style.sparse_w1"
	failed=1
fi
exit $failed
