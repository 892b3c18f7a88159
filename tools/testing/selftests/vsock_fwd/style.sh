#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# style.sh KSRC KDIR VHOST_SRC
#
# The style gates, as KTAP: checkpatch.pl --strict on every kernel source
# and uapi header of ours; a build with sparse (C=2) and W=1 that must print
# no diagnostic from our files; shellcheck on every shell script; and every
# userspace C file compiled warning-free with the profile below; and the
# netlink code generated from the YNL spec current.
set -uo pipefail

KSRC=$1 kdir=$2 vhost_src=$3
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../../.." && pwd)
cd "$top" || exit 1
# shellcheck source-path=SCRIPTDIR source=ktap_lib.sh
. "$here/ktap_lib.sh"

files=$(ls drivers/vhost/*.[ch] drivers/vhost/compat/*.h include/uapi/linux/*.h \
	tools/testing/selftests/vsock_fwd/vm/warn/*_on_load.c 2>/dev/null)
ktap_print_header
ktap_set_plan 5

# shellcheck disable=SC2086
if out=$(perl "$KSRC/scripts/checkpatch.pl" --no-tree --strict --terse \
		--show-types -f $files 2>&1) && ! grep -qE 'ERROR|WARNING|CHECK' <<< "$out"; then
	ktap_test_pass style.checkpatch_strict
else
	echo "# ${out//$'\n'/$'\n'# }"
	ktap_test_fail style.checkpatch_strict
fi

# In a fresh copy, so that sparse and W=1 see every file and the tree's own
# vhost_vsock_fwd.ko, which a test VM may be using, stays.
src=$top/build/style-module
"$top/scripts/module-tree.sh" "$src"
log=$(make -C "$kdir" M="$src" VHOST_SRC="$vhost_src" C=2 CHECK=sparse W=1 modules 2>&1)
status=$?
diag=$(grep -E "^($src/|\./)?(drivers/vhost|include/uapi)/[^:]*:[0-9]+:[0-9]+: (warning|error)" <<< "$log")
if [ $status -eq 0 ] && [ -z "$diag" ]; then
	ktap_test_pass style.sparse_w1
else
	out=${diag:-$log}
	echo "# ${out//$'\n'/$'\n'# }"
	ktap_test_fail style.sparse_w1
fi

# Every shell script: *.sh and anything else that starts with a shell's #!,
# outside build/. shellcheck's default severity (style and up), following
# sourced files; a finding is silenced only in the script, with why.
mapfile -t scripts < <(find . -path ./build -prune -o -path ./.git -prune -o -type f \
	\( -name '*.sh' -o -exec sh -c 'head -c 64 "$1" | grep -qE "^#!(/usr)?/bin/(env )?(ba)?sh"' _ {} \; \) \
	-print | sort)
if [ ${#scripts[@]} -gt 0 ] && out=$(shellcheck -x "${scripts[@]}" 2>&1); then
	echo "# shellcheck: ${#scripts[@]} scripts clean"
	ktap_test_pass style.shellcheck
else
	echo "# ${out//$'\n'/$'\n'# }"
	ktap_test_fail style.shellcheck
fi

# Userspace C: every .c outside the kernel module, its test modules, what
# Kbuild generates for them (*.mod.c) and build/, with gnu11 and this warning profile as errors. Not
# -Wmissing-prototypes: kselftest_harness.h defines global functions. Not
# unused-parameter (library callbacks) nor clobbered (the harness's
# setjmp). The kernel's uapi headers come after the system's: only what
# the system lacks (linux/nsm.h) is taken from there.
cflags=(-fsyntax-only -std=gnu11 -Wall -Wextra -Wshadow -Wformat=2 -Wundef
	-Wstrict-prototypes -Wpointer-arith -Wvla -Werror
	-Wno-unused-parameter -Wno-clobbered -pthread
	-Itools/testing/selftests/vsock_fwd -Iinclude/uapi
	-I"$KSRC/tools/testing/selftests"
	-idirafter "$KSRC/include/uapi")
mapfile -t csrc < <(find . -path ./build -prune -o -path ./drivers -prune -o \
	-path ./tools/testing/selftests/vsock_fwd/vm/warn -prune -o \
	-name '*.mod.c' -prune -o -type f -name '*.c' -print | sort)
# shellcheck disable=SC2207 # pkg-config prints words
cflags+=($(pkg-config --cflags libnl-genl-3.0 json-c))
out=
for f in "${csrc[@]}"; do
	out+=$(gcc "${cflags[@]}" "$f" 2>&1) || out+=$'\n'"$f: failed"
done
if [ ${#csrc[@]} -gt 0 ] && [ -z "$out" ]; then
	echo "# ${#csrc[@]} userspace C files clean with ${cflags[*]}"
	ktap_test_pass style.userspace_c
else
	echo "# ${out//$'\n'/$'\n'# }"
	ktap_test_fail style.userspace_c
fi

# The netlink code generated from the family's YNL spec is what the spec
# and the kernel's ynl-gen-c give today: a spec edit needs 'make ynl-gen'.
if out=$("$top/scripts/ynl-regen.sh" --check "$KSRC" 2>&1); then
	ktap_test_pass style.ynl_generated
else
	echo "# ${out//$'\n'/$'\n'# }"
	ktap_test_fail style.ynl_generated
fi
ktap_finished
