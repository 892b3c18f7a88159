#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/kernel-tree.sh [--boot] VERSION
#
# Print the path of a kernel source tree of Debian's VERSION, prepared for
# building external modules (allnoconfig, the options of
# scripts/kernel-tree.config, modules_prepare): a full tree, so that
# 'make module KDIR=<it>' finds drivers/vhost/vhost.h in it.
#
# With --boot the tree is also built, at nice 19, for the test VM
# (vm/run.sh --kernel <it>): <it>/bzImage, its modules installed in
# <it>/modroot, and the seconds the build took in <it>/build.time.
#
# VERSION is an upstream version (6.18.15), a series (6.18: the newest
# 6.18.y Debian offers) or a major version (7: the newest 7.x). The tree is
# prepared once in ${VSOCK_FWD_CACHE:-/var/cache/vhost-vsock-fwd}/ksrc/<version>-<config>
# (<config> a hash of the fragment) and again only when the Debian revision
# changes.
# Sources come from Debian's archive (scripts/debian-apt.sh): the
# linux-source-X.Y package when it has the version, else the linux source
# package. Progress goes to stderr, the path alone to stdout.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
boot=0
if [ "${1:-}" = --boot ]; then
	boot=1
	shift
fi
want=${1:?usage: kernel-tree.sh [--boot] VERSION}
cache=${VSOCK_FWD_CACHE:-/var/cache/vhost-vsock-fwd}/ksrc
fragment=$top/scripts/kernel-tree.config
config=$(sha256sum < "$fragment" | cut -c1-12)
apt() { "$top/scripts/debian-apt.sh" "$@"; }

# Debian versions of the linux source package for $want, newest first.
candidates=$(apt apt-cache showsrc linux 2>/dev/null |
	     awk '/^Version:/ { print $2 }' |
	     awk -v w="$want" '{ u = $0; sub(/-.*/, "", u) }
			       u == w || index(u, w ".") == 1' |
	     sort -uVr)
if [ -z "$candidates" ]; then
	echo "kernel-tree: Debian offers no kernel $want" >&2
	exit 1
fi
key_of() { echo "$1 $config"; }

# Unpack Debian's $1 into $2: from linux-source-X.Y when the archive has
# that version of it, else from the source package. Mirrors may lack the
# Debian part of a source package: the upstream tarball is enough for
# vhost.h and the module's headers, Debian's patches do not touch them.
fetch() {
	local debver=$1 dir=$2 series
	series=$(cut -d. -f1,2 <<< "${debver%%-*}")
	mkdir -p "$dir.dl" "$dir"
	cd "$dir.dl"
	if apt apt-cache madison "linux-source-$series" 2>/dev/null |
	   awk -F'|' '$3 ~ / Packages$/ { gsub(/ /, "", $2); print $2 }' |
	   grep -qxF "$debver"; then
		apt apt-get -qq download "linux-source-$series=$debver" >&2 || return 1
		dpkg-deb --fsys-tarfile linux-source-"$series"_*.deb |
			tar -xO --wildcards "./usr/src/linux-source-$series.tar.*" |
			tar -xJ -C "$dir" --strip-components=1
	else
		apt apt-get -qq source --download-only "linux=$debver" >&2 || true
		local dsc=linux_${debver}.dsc
		if [ -f "$dsc" ] && ls linux_"$debver".debian.tar.* > /dev/null 2>&1; then
			rm -rf "$dir"
			dpkg-source --no-check -x "$dsc" "$dir" >&2
		elif [ -f linux_"${debver%%-*}".orig.tar.xz ]; then
			echo "  KTREE   no Debian part of linux $debver in the archive: upstream source" >&2
			tar -xJf linux_"${debver%%-*}".orig.tar.xz -C "$dir" --strip-components=1
		else
			return 1
		fi
	fi
	cd /
	rm -rf "$dir.dl"
}

mkdir -p "$cache"
dir='' prepare=0
for debver in $candidates; do
	d=$cache/${debver%%-*}-$config
	exec 9> "$d.lock"
	flock 9
	if [ "$(cat "$d/.prepared" 2>/dev/null)" = "$(key_of "$debver")" ]; then
		dir=$d
		break
	fi
	# Mirrors lack some versions: remembered for a day.
	[ -z "$(find "$d.missing" -mmin -1440 2> /dev/null)" ] || continue
	echo "  KTREE   linux $debver -> $d" >&2
	rm -rf "$d"
	if fetch "$debver" "$d"; then
		dir=$d
		prepare=1
		break
	fi
	echo "  KTREE   linux $debver is not in the archive" >&2
	rm -rf "$d" "$d.dl"
	touch "$d.missing"
done
if [ -z "$dir" ]; then
	echo "kernel-tree: no version of kernel $want could be downloaded" >&2
	exit 1
fi
cd "$dir"

# Quiet and low priority: other jobs share the machine.
kmake() { nice -n 19 make -s -j"$(nproc)" "$@" >&2; }
if [ $prepare = 1 ]; then
	kmake allnoconfig
	scripts/kconfig/merge_config.sh -m .config "$fragment" >&2
	kmake olddefconfig
	missing=$(grep -v '^#' "$fragment" | grep . | while read -r opt; do
		grep -qxF "$opt" .config || echo "$opt"; done)
	if [ -n "$missing" ]; then
		echo "kernel-tree: linux ${debver%%-*} does not take: $missing" >&2
		exit 1
	fi
	kmake modules_prepare
	rm -f .built
	key_of "$debver" > .prepared
fi
if [ $boot = 1 ] && [ "$(cat .built 2>/dev/null)" != "$(key_of "$debver")" ]; then
	echo "  KTREE   building linux ${debver%%-*} at nice 19 for the test VM" >&2
	t0=$SECONDS
	kmake bzImage modules
	rm -rf modroot
	kmake INSTALL_MOD_PATH="$dir/modroot" modules_install
	cp arch/x86/boot/bzImage bzImage
	echo $((SECONDS - t0)) > build.time
	key_of "$debver" > .built
fi
echo "$dir"
