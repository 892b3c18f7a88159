#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/peer.sh PEER_DIR LINK
#
# Build rust-vmm's vhost-device-vsock, the userspace vhost-user daemon that
# upstream QEMU's nitro-enclave machine uses (the peer the benchmark compares
# us with), with the build script and source tarballs in PEER_DIR
# (../shared/peers/vhost-device-vsock), and make LINK (build/peer) a symlink
# to the result. The build takes minutes, so it is cached outside the
# checkout in ${VSOCK_FWD_CACHE:-/var/cache/vhost-vsock-fwd}/peer/KEY, KEY
# being a hash of everything in PEER_DIR and of the Rust toolchain: CI and
# other checkouts on the machine reuse it.
#
# The toolchain is Debian's rustc-web/cargo-web ('make deps' installs it),
# taken from /usr/bin even when another cargo comes first on PATH, so that
# the key names what built the binary. JOBS=N overrides the parallelism.
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 PEER_DIR LINK" >&2
	exit 2
fi
src=$(realpath "$1")
link=$2
cache=${VSOCK_FWD_CACHE:-/var/cache/vhost-vsock-fwd}/peer
bin=vhost-device-vsock

if [ ! -x "$src/build.sh" ]; then
	echo "error: no peer build script at $src/build.sh" >&2
	exit 1
fi
PATH=/usr/bin:/bin:/usr/sbin:/sbin
if ! command -v cargo >/dev/null || ! command -v rustc >/dev/null; then
	echo "error: Debian's Rust toolchain is missing; run 'make deps' (rustc-web cargo-web)" >&2
	exit 1
fi

key=$({ (cd "$src" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
	rustc --version; cargo --version; } | sha256sum | cut -c1-16)
out=$cache/$key
mkdir -p "$cache"

# One build at a time: two checkouts (or helpers) may ask at once.
exec 9>"$cache/.lock"
flock 9

if [ ! -x "$out/$bin" ]; then
	echo "  PEER    building $bin into $out (minutes; log in $out.log)"
	work=$cache/.work-$key
	rm -rf "$out.tmp"
	mkdir -p "$out.tmp"
	if ! WORKDIR=$work SKIP_TOOLCHAIN_INSTALL=1 JOBS=${JOBS:-$(nproc)} \
		nice -n 10 "$src/build.sh" "$out.tmp" >"$out.log" 2>&1; then
		echo "error: the peer build failed; see $out.log" >&2
		exit 1
	fi
	rm -rf "$out"
	mv "$out.tmp" "$out"
	mv "$out.log" "$out/build.log"
	rm -rf "$work"
fi
"$out/$bin" --version >/dev/null
ln -sfn "$out" "$link"
echo "  PEER    $("$out/$bin" --version): $link/$bin"
