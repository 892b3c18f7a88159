#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/sparse.sh KDIR
#
# Print Debian's newest sparse, built once from source into
# ${VSOCK_FWD_CACHE:-/var/cache/vhost-vsock-fwd}/sparse/, after checking
# that the kernel tree KDIR accepts it (its scripts/checker-valid.sh).
# Bookworm's and trixie's sparse 0.6.4 is too old for new kernels: 7.x
# needs __typeof_unqual__, and 6.19's MODULE_INFO() is a "bad constant
# expression" to it. Sid's binary package needs a newer glibc than
# bookworm's, hence the build.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kdir=${1:?usage: sparse.sh KDIR}
cache=${VSOCK_FWD_CACHE:-/var/cache/vhost-vsock-fwd}/sparse

valid() {
	[ ! -f "$kdir/scripts/checker-valid.sh" ] ||
		[ "$(sh "$kdir/scripts/checker-valid.sh" "$1" 2>/dev/null)" = 1 ]
}

debver=$("$top/scripts/debian-apt.sh" apt-cache showsrc sparse 2>/dev/null |
	 awk '/^Version:/ { print $2 }' | sort -Vr | head -n1)
dir=$cache/$debver
mkdir -p "$cache"
exec 9> "$dir.lock"
flock 9
if [ ! -x "$dir/sparse" ]; then
	echo "  SPARSE  build Debian's sparse $debver -> $dir" >&2
	rm -rf "$dir" "$dir.dl"
	mkdir -p "$dir.dl"
	cd "$dir.dl"
	"$top/scripts/debian-apt.sh" apt-get -qq source --download-only "sparse=$debver" >&2
	dpkg-source --no-check -x ./*.dsc src > /dev/null
	# Debian's patches name a compiler of their own suite: use ours.
	nice make -s -C src -j"$(nproc)" CC=gcc HAVE_LLVM=no HAVE_GTK=no \
		HAVE_SQLITE=no HAVE_LIBXML=no sparse >&2
	mkdir -p "$dir.tmp"
	cp src/sparse "$dir.tmp/"
	cd /
	rm -rf "$dir.dl"
	mv "$dir.tmp" "$dir"
fi
if ! valid "$dir/sparse"; then
	echo "sparse: $kdir does not accept Debian's sparse $debver" >&2
	exit 1
fi
echo "$dir/sparse"
