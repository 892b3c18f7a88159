#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm/debug/build-kernel.sh SRC LINK
#
# Build the debug test kernel (KASAN, lockdep, kmemleak, fault injection:
# 'make allnoconfig' with debug.config) from the extracted linux-source
# SRC, once per machine: into
# ${VSOCK_FWD_CACHE:-/var/cache/vhost-vsock-fwd}/debug-kernel/KEY, where
# KEY hashes the source version, debug.config and this script, with LINK
# (build/debug-kernel) a symlink to it. The directory then holds
#   bzImage        the kernel
#   obj/           the build tree, KDIR= for building modules against it
#   modroot/       its modules (modprobe -d), vhost_vsock among them
#   build.time     seconds the build took
# The build runs at nice 19 with JOBS (default: all CPUs) jobs; its log is
# KEY/build.log, and a line per 10% of the compile goes to stdout.
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 SRC LINK" >&2
	exit 2
fi
src=$(realpath "$1")
link=$(realpath -m -s "$2")
here=$(dirname "$(realpath "$0")")
lib=$here/../../kbuild_lib.sh
# shellcheck source=SCRIPTDIR/../../kbuild_lib.sh
. "$lib"
fragment=$here/debug.config
# What the suites need of any kernel they run on (kselftest's config).
tests=$here/../../config
jobs=${JOBS:-$(nproc)}
# kbuild steps of a full build of this config (1856), for the percentage.
total=1860

if [ ! -f "$src/Makefile" ] || [ ! -f "$src/scripts/kconfig/Makefile" ]; then
	echo "error: $src is not a kernel source tree; run 'make source'" >&2
	exit 1
fi
version=$(make -s -C "$src" kernelversion)
key=$(printf '%s\n' "$version" "$(cat "$tests" "$fragment" "$0" "$lib" | sha256sum)" |
	sha256sum | cut -c1-16)
cache=${VSOCK_FWD_CACHE:-/var/cache/vhost-vsock-fwd}/debug-kernel
out=$cache/$key
mkdir -p "$cache" "$(dirname "$link")"
ln -sfn "$out" "$link"

# One build at a time per key ('make check-debug' in two checkouts).
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9
kb=$out/obj
log=$out/build.log
kmake() {
	nice -n 19 make -C "$src" O="$kb" ARCH=x86_64 "$@"
}
if [ -f "$out/build.time" ]; then
	# obj/Makefile includes the source tree that built it, which may be
	# another checkout, since deleted: point it at SRC, the same version.
	kmake outputmakefile >/dev/null
	echo "  DEBUG   kernel $version is up to date: $out"
	exit 0
fi
start=$SECONDS
echo "  DEBUG   kernel $version: configuring (log: $log)"
cat "$tests" "$fragment" >"$out/allconfig"
{
	kmake KCONFIG_ALLCONFIG="$out/allconfig" allnoconfig
} >"$log" 2>&1 || {
	tail -n 30 "$log" >&2
	echo "error: configuring the debug kernel failed; full log: $log" >&2
	exit 1
}

bad=0
kbuild_check_config "$tests" "$kb/.config" || bad=1
kbuild_check_config "$fragment" "$kb/.config" || bad=1
[ $bad = 0 ] || exit 1

echo "  DEBUG   kernel $version: compiling with $jobs jobs at nice 19 (minutes on idle cores, an hour on busy ones)"
if ! kmake -j"$jobs" bzImage modules 2>&1 | kbuild_progress DEBUG "$total" "$log"; then
	grep -E -B2 -A8 'error|Error' "$log" | tail -n 40 >&2 || tail -n 40 "$log" >&2
	echo "error: building the debug kernel failed; full log: $log" >&2
	exit 1
fi
rm -rf "$out/modroot"
kmake INSTALL_MOD_PATH="$out/modroot" modules_install >>"$log" 2>&1
cp "$kb/arch/x86/boot/bzImage" "$out/bzImage"
echo $((SECONDS - start)) >"$out/build.time"
echo "  DEBUG   kernel $version built in $((SECONDS - start)) s: $out"
