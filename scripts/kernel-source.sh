#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/kernel-source.sh VERSION DIR
#
# Extract Debian's linux-source-6.12 into DIR, after checking that it is the
# upstream VERSION (e.g. 6.12.117) of the kernel we build against: the
# private drivers/vhost/vhost.h, checkpatch.pl, the kselftest headers,
# upstream's vsock_test and the guest kernel all come from there.
set -euo pipefail

want=$1
dir=$2
tarball=/usr/src/linux-source-6.12.tar.xz

[ -f "$dir/.extracted" ] && exit 0

have=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
if [ -z "$have" ] || [ ! -f "$tarball" ]; then
	echo "error: linux-source-6.12 is not installed; run 'make deps' or 'apt-get install linux-source-6.12'" >&2
	exit 1
fi
if [ "${have%%-*}" != "$want" ]; then
	echo "error: linux-source-6.12 is $have but the kernel is $want;" \
	     "install the matching source: apt-get install linux-source-6.12=$want-<debian revision> (see 'apt-cache madison linux-source-6.12')" >&2
	exit 1
fi

echo "  EXTRACT $tarball -> $dir" >&2
rm -rf "$dir.tmp"
mkdir -p "$dir.tmp"
tar -xJf "$tarball" -C "$dir.tmp" --strip-components=1
rm -rf "$dir"
mv "$dir.tmp" "$dir"
touch "$dir/.extracted"
