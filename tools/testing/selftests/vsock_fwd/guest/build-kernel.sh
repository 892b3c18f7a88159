#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# guest/build-kernel.sh SRC OUT
#
# Build the small guest kernel of the end-to-end tests: tinyconfig plus
# kernel.config, from the extracted linux-source SRC, out of tree in
# OUT/kernel, installed as OUT/bzImage. Skipped when OUT/bzImage was built
# from the same fragment, source version and script; a changed fragment
# rebuilds incrementally, a changed source version from scratch. Each
# bzImage is also kept in ${VSOCK_FWD_CACHE:-/var/cache/vhost-vsock-fwd}/
# guest-kernel, keyed by those inputs, so that a new checkout on the same
# machine (CI) takes it from there.
#
# It takes minutes, so it prints one line per stage and a progress line
# rather than kbuild's thousand; the full log is OUT/kernel.log.
#
# JOBS=N overrides the parallelism (default: all CPUs, at nice 10).
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 SRC OUT" >&2
	exit 2
fi
src=$(realpath "$1")
out=$(realpath -m "$2")
here=$(dirname "$(realpath "$0")")
lib=$here/../kbuild_lib.sh
# shellcheck source=SCRIPTDIR/../kbuild_lib.sh
. "$lib"
fragment=$here/kernel.config
kb=$out/kernel
log=$out/kernel.log
jobs=${JOBS:-$(nproc)}
# Steps (kbuild's CC, LD, AR... lines) of a full build of this config, for
# the percentage; a rebuild after a fragment change needs fewer.
total=1320

if [ ! -f "$src/Makefile" ] || [ ! -x "$src/scripts/kconfig/merge_config.sh" ]; then
	echo "error: $src is not a kernel source tree; run 'make source'" >&2
	exit 1
fi
if ! command -v lz4 >/dev/null; then
	echo "error: the guest kernel is LZ4-compressed; install lz4 (apt-get install lz4)" >&2
	exit 1
fi
mkdir -p "$out"

# One build at a time per OUT ('make check' and 'make demo' may race).
exec 9>"$out/.kernel.lock"
flock 9

kmake() {
	nice -n 10 make -C "$src" O="$kb" ARCH=x86_64 "$@"
}

version=$(make -s -C "$src" kernelversion)
inputs="$version $(cat "$fragment" "$0" "$lib" | sha256sum | cut -d' ' -f1)"
if [ -f "$out/bzImage" ] && [ "$(cat "$out/bzImage.inputs" 2>/dev/null)" = "$inputs" ]; then
	echo "  GUEST   kernel $version is up to date: $out/bzImage"
	exit 0
fi
cached=${VSOCK_FWD_CACHE:-/var/cache/vhost-vsock-fwd}/guest-kernel/$(sha256sum <<<"$inputs" | cut -c1-16)
if [ -f "$cached/bzImage" ]; then
	cp "$cached/bzImage" "$out/bzImage.tmp"
	mv "$out/bzImage.tmp" "$out/bzImage"
	echo "$inputs" >"$out/bzImage.inputs"
	echo "  GUEST   kernel $version from the cache: $cached"
	exit 0
fi

# Objects of another kernel version are no use: start afresh.
if [ "$(cat "$out/kernel.version" 2>/dev/null)" != "$version" ]; then
	rm -rf "$kb"
fi
mkdir -p "$kb"
echo "$version" >"$out/kernel.version"
start=$SECONDS

echo "  GUEST   kernel $version: configuring (tinyconfig + $(basename "$fragment"))"
{
	kmake tinyconfig
	(cd "$kb" && "$src/scripts/kconfig/merge_config.sh" -m -O "$kb" .config "$fragment")
	# allnoconfig, not olddefconfig: what the fragment makes visible (all
	# of networking, say) stays off unless asked for, as in tinyconfig.
	cp "$kb/.config" "$kb/merged.config"
	kmake KCONFIG_ALLCONFIG="$kb/merged.config" allnoconfig
} >"$log" 2>&1 || {
	tail -n 30 "$log" >&2
	echo "error: configuring the guest kernel failed; full log: $log" >&2
	exit 1
}

if ! kbuild_check_config "$fragment" "$kb/.config"; then
	echo "error: the guest kernel config does not satisfy $fragment (a dependency is missing)" >&2
	exit 1
fi

echo "  GUEST   kernel $version: compiling with $jobs jobs (a few minutes; log: $log)"

if ! kmake -j"$jobs" bzImage 2>&1 | kbuild_progress GUEST "$total" "$log"; then
	grep -E -B2 -A8 'error|Error' "$log" | tail -n 40 >&2 || tail -n 40 "$log" >&2
	echo "error: building the guest kernel failed; full log: $log" >&2
	exit 1
fi
cp "$kb/arch/x86/boot/bzImage" "$out/bzImage.tmp"
mv "$out/bzImage.tmp" "$out/bzImage"
echo "$inputs" >"$out/bzImage.inputs"
if mkdir -p "$cached" 2>/dev/null; then
	cp "$out/bzImage" "$cached/bzImage.tmp" && mv "$cached/bzImage.tmp" "$cached/bzImage"
fi
echo "  GUEST   kernel $version built in $((SECONDS - start))s: $out/bzImage ($(($(stat -c %s "$out/bzImage") / 1024)) KiB)"
