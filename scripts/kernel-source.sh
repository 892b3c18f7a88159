#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/kernel-source.sh extract VERSION DIR
#	Extract Debian's linux-source-X.Y into DIR, after checking that it is
#	the upstream VERSION (e.g. 6.12.117) of the kernel we build against.
# scripts/kernel-source.sh check VERSION SRC
#	Check that SRC is a kernel source tree of VERSION with
#	drivers/vhost/vhost.h, the private header whose struct layouts drift
#	between versions and that headers packages do not ship.
#
# Both fail with a message that says which source to install.
set -euo pipefail

cmd=$1 want=$2 dir=$3
series=$(cut -d. -f1,2 <<< "$want")
pkg=linux-source-$series

howto() {
	echo "  Give KSRC= the source tree of the running kernel: Debian and Ubuntu:" \
	     "apt-get install $pkg (version $want), or apt-get source linux;" \
	     "Fedora, RHEL: the kernel source RPM, prepared (rpmbuild -bp);" \
	     "otherwise a git checkout of v$want with the distribution's patches." >&2
}

# The upstream version of the source tree $1 (its top Makefile).
version_of() {
	awk -F' *= *' '$1 == "VERSION" { v = $2 } $1 == "PATCHLEVEL" { p = $2 }
		       $1 == "SUBLEVEL" { s = $2 }
		       END { if (v != "") print v "." p "." s }' "$1/Makefile" 2>/dev/null
}

case "$cmd" in
check)
	if [ ! -f "$dir/drivers/vhost/vhost.h" ]; then
		echo "error: no drivers/vhost/vhost.h in $dir: the module needs the kernel's full source." >&2
		howto
		exit 1
	fi
	have=$(version_of "$dir")
	if [ "$have" != "$want" ]; then
		echo "error: $dir is the source of linux ${have:-?} but the kernel is $want;" \
		     "vhost.h must match the kernel exactly." >&2
		howto
		exit 1
	fi
	;;
extract)
	[ -f "$dir/.extracted" ] && exit 0
	tarball=/usr/src/$pkg.tar.xz
	have=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || true)
	if [ -z "$have" ] || [ ! -f "$tarball" ]; then
		echo "error: the source of linux $want is needed (drivers/vhost/vhost.h) and $pkg is not installed." >&2
		howto
		exit 1
	fi
	if [ "${have%%-*}" != "$want" ]; then
		echo "error: $pkg is $have but the kernel is $want; install the matching source:" \
		     "apt-get install $pkg=$want-<debian revision> (see 'apt-cache madison $pkg')" >&2
		exit 1
	fi
	echo "  EXTRACT $tarball -> $dir" >&2
	rm -rf "$dir.tmp"
	mkdir -p "$dir.tmp"
	tar -xJf "$tarball" -C "$dir.tmp" --strip-components=1
	rm -rf "$dir"
	mv "$dir.tmp" "$dir"
	touch "$dir/.extracted"
	;;
*)
	echo "usage: kernel-source.sh extract|check VERSION DIR" >&2
	exit 2
	;;
esac
