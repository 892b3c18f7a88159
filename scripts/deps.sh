#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install from apt everything the build, the tests, the demo and CI need, and
# record the test kernel version in build/kver. rustc-web and cargo-web are
# Debian 12's Rust toolchain that builds the peer (make peer).
#
# The test kernel is Debian's 6.12: linux-image, linux-headers and
# linux-source-6.12 must be one version. Unless KVER= is given (as
# 6.12.N+deb12-amd64), the newest version that all three packages offer is
# chosen. Quick and silent when everything is already present.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
mkdir -p "$build"

tools=(qemu-system-x86 busybox-static cpio build-essential bc bison flex
       libelf-dev libssl-dev libnl-genl-3-dev libnl-3-dev libjson-c-dev pkg-config sparse
       jq socat kmod xz-utils zstd lz4 perl groff-base rsync
       rustc-web cargo-web libc6-dev patch
       libgnutls28-dev libcbor-dev libjansson-dev zlib1g-dev openssl
       libfdt-dev libglib2.0-dev ninja-build python3-venv python3-setuptools
       dpkg-dev qemu-system-data
       dkms dh-dkms debhelper lintian python3-yaml python3-jsonschema
       libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients)

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

updated=
apt_update() {
	[ -n "$updated" ] && return
	echo "deps: apt-get update" >&2
	$SUDO apt-get update -qq
	updated=1
}

# Version strings of a package that apt can install, newest first.
versions() {
	apt-cache madison "$1" 2>/dev/null | awk -F'|' '{gsub(/ /, "", $2); print $2}'
}

# 6.12.117-1~deb12u1 -> 6.12.117+deb12-amd64
kver_of() {
	echo "${1%%-*}+deb12-amd64"
}

resolve_kver() {
	local v k
	for v in $(versions linux-source-6.12); do
		k=$(kver_of "$v")
		versions "linux-image-$k" | grep -qxF "$v" || continue
		versions "linux-headers-$k" | grep -qxF "$v" || continue
		echo "$v"
		return 0
	done
	return 1
}

installed() {
	dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null |
		awk -v want="${2:-}" '$3 == "installed" && (want == "" || $4 == want) {ok=1} END {exit !ok}'
}

missing=()
for p in "${tools[@]}"; do
	installed "$p" || missing+=("$p")
done

if [ -n "${KVER:-}" ]; then
	pkgver=
	if installed "linux-image-$KVER"; then
		pkgver=$(dpkg-query -W -f='${Version}' "linux-image-$KVER")
	else
		apt_update
		pkgver=$(versions "linux-image-$KVER" | head -n1)
	fi
	if [ -z "$pkgver" ]; then
		echo "deps: no package linux-image-$KVER in apt; give KVER as 6.12.N+deb12-amd64" >&2
		exit 1
	fi
elif [ -s "$build/kver" ] && installed "linux-image-$(cut -d' ' -f1 "$build/kver")"; then
	# Already resolved and installed: keep it, so that re-runs are quick.
	KVER=$(cut -d' ' -f1 "$build/kver")
	pkgver=$(cut -d' ' -f2 "$build/kver")
else
	apt_update
	if ! pkgver=$(resolve_kver); then
		echo "deps: no version of linux-source-6.12 has matching linux-image and linux-headers in apt" >&2
		exit 1
	fi
	KVER=$(kver_of "$pkgver")
fi

installed "linux-image-$KVER" "$pkgver" || missing+=("linux-image-$KVER=$pkgver")
installed "linux-headers-$KVER" "$pkgver" || missing+=("linux-headers-$KVER=$pkgver")
installed linux-source-6.12 "$pkgver" || missing+=("linux-source-6.12=$pkgver")

if [ ${#missing[@]} -gt 0 ]; then
	apt_update
	echo "deps: installing ${missing[*]}" >&2
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends --allow-downgrades "${missing[@]}" >/dev/null
fi

echo "$KVER $pkgver" > "$build/kver.new"
if cmp -s "$build/kver.new" "$build/kver"; then
	rm -f "$build/kver.new"
else
	mv "$build/kver.new" "$build/kver"
fi
echo "deps: test kernel $KVER ($pkgver)" >&2
