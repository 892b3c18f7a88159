#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the minimal qemu-system-x86_64 of 'make qemu': Debian 13's QEMU 10.0
# source, fetched with apt from the Debian mirror this machine already uses,
# with the patch series of patches/series applied, configured for the
# nitro-enclave machine only (vsock-fwd.mak). Built once per machine into
#
#   ${VSOCK_FWD_CACHE:-/var/cache/vhost-vsock-fwd}/qemu/<version>-<hash>
#
# where <hash> covers the series, the configure options (configure.args) and
# the devices file (vsock-fwd.mak), and linked from OUT (build/qemu). Prints
# nothing and returns at once when that build exists.
#
#   tools/qemu/build.sh [--no-series] OUT
#
# --no-series builds the same QEMU without the series (key suffix -stock),
# to show that the series changes nothing for the unpatched machine.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${VSOCK_FWD_CACHE:-/var/cache/vhost-vsock-fwd}/qemu
series=1
suffix=''
if [ "${1:-}" = --no-series ]; then
	series=''
	suffix=-stock
	shift
fi
out=$(realpath -m -s "${1:?usage: build.sh [--no-series] OUT}")

log() { printf 'qemu: %s\n' "$*" >&2; }

# A private apt configuration: Debian 13's source index and
# bookworm-backports' binary index (for meson >= 1.5, which QEMU 10.0
# needs), with the mirror of this machine's own Debian entries. Nothing is
# installed from them and the system's apt configuration is left alone.
apt_dir=$cache/apt
setup_apt() {
	local mirror
	[ -f "$apt_dir/apt.conf" ] && return
	mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources 2>/dev/null |
		grep -E '^(URIs:|deb )' | grep -oE 'https?://[^ ]+/debian/?' |
		head -n1 || true)
	if [ -z "$mirror" ]; then
		log "no Debian mirror in this machine's apt sources"
		exit 1
	fi
	mkdir -p "$apt_dir"/{lists/partial,archives/partial}
	cat > "$apt_dir/sources.list" <<-SRC
	deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main
	deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm-backports main
	SRC
	cat > "$apt_dir/apt.conf.new" <<-CONF
	Dir::Etc::SourceList "$apt_dir/sources.list";
	Dir::Etc::SourceParts "/dev/null";
	Dir::State::Lists "$apt_dir/lists";
	Dir::State::status "/dev/null";
	Dir::Cache::Archives "$apt_dir/archives";
	Dir::Cache::pkgcache "";
	Dir::Cache::srcpkgcache "";
	APT::Architecture "amd64";
	APT::Sandbox::User "root";
	CONF
	APT_CONFIG=$apt_dir/apt.conf.new apt-get update -qq
	mv "$apt_dir/apt.conf.new" "$apt_dir/apt.conf"
}
papt() { APT_CONFIG=$apt_dir/apt.conf "$@"; }

setup_apt
# The newest 10.0.x source Debian 13 offers, e.g. 1:10.0.13+ds-0+deb13u1.
debver=$(papt apt-cache showsrc qemu | awk '$1 == "Version:" {print $2}' |
	grep -E '^1:10\.0\.' | sort -V | tail -n1)
if [ -z "$debver" ]; then
	log "Debian 13's sources offer no QEMU 10.0"
	exit 1
fi
upver=${debver#1:}
upver=${upver%%+*}

inputs() {
	cat "$here/configure.args" "$here/vsock-fwd.mak"
	if [ -n "$series" ]; then
		local p
		while read -r p; do
			cat "$here/patches/$p"
		done < <(grep -v '^#' "$here/patches/series")
	fi
}
key=$upver-$(inputs | sha256sum | cut -c1-12)$suffix
dest=$cache/$key

link() {
	mkdir -p "$(dirname "$out")"
	ln -sfn "$dest" "$out.new"
	mv -T "$out.new" "$out"
}

if [ -x "$dest/bin/qemu-system-x86_64" ]; then
	link
	exit 0
fi

log "building QEMU $upver (Debian $debver) into $dest"
work=$dest.tmp
rm -rf "$work"
mkdir -p "$work/src" "$work/tools"
(cd "$work/src" && papt apt-get source -qq --download-only "qemu=$debver")
# Debian's source as Debian builds it: its patches applied (among them the
# one that drops pycotap, a test-only Python module Debian 12 lacks).
srcdir=$work/src/qemu
dpkg-source -q -x "$work"/src/qemu_*.dsc "$srcdir" > "$work/source.log" 2>&1
if [ -n "$series" ]; then
	while read -r p; do
		log "applying $p"
		patch -s -p1 -d "$srcdir" < "$here/patches/$p"
	done < <(grep -v '^#' "$here/patches/series")
fi
cp "$here/vsock-fwd.mak" "$srcdir/configs/devices/x86_64-softmmu/"

# meson from bookworm-backports, unpacked, not installed.
rm -f "$apt_dir"/archives/meson_*.deb
(cd "$apt_dir/archives" && papt apt-get download -qq meson)
dpkg-deb -x "$apt_dir"/archives/meson_*.deb "$work/tools"
export PYTHONPATH=$work/tools/usr/lib/python3/dist-packages

# The +ds tarball carries no firmware: the microvm BIOS (bios-microvm.bin)
# and linuxboot_dma.bin come from Debian's qemu-system-data.
mkdir -p "$work/build"
cd "$work/build"
mapfile -t args < <(grep -v '^#' "$here/configure.args")
"$srcdir/configure" --prefix="$dest" --firmwarepath=/usr/share/qemu \
	--python=/usr/bin/python3 "${args[@]}" > "$work/configure.log"
# Only what is installed: QEMU's default target also builds its unit,
# qtest and softfloat tests: 2180 steps, 1304 without.
nice ninja -j"$(nproc)" qemu-system-x86_64 trace/trace-events-all > "$work/make.log"
rm -rf "$dest"
pyvenv/bin/meson install --no-rebuild > "$work/install.log"
"$dest/bin/qemu-system-x86_64" --version | head -n1 >&2
rm -rf "$work"
link
