#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/build-deb.sh [OUTDIR]
#
# Build the Debian packages (vhost-vsock-fwd-dkms, vsock-fwd) from the
# working tree with dpkg-buildpackage, in a copy under OUTDIR (default
# build/deb) so that the tree gets no build files, and check them with
# lintian: any lintian tag but the informational ones fails.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build/deb}
src=$out/vhost-vsock-fwd

rm -rf "$out"
mkdir -p "$src"
# The tracked and new files of the tree, not build/ or what it ignores.
git -C "$top" ls-files -z --cached --others --exclude-standard -- . ':!build' |
	(cd "$top" && xargs -0 cp --parents -t "$src")
(cd "$src" && dpkg-buildpackage -us -uc -b > "$out/build.log" 2>&1) || {
	tail -n 40 "$out/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed (log: $out/build.log)" >&2
	exit 1
}
changes=$(ls "$out"/*.changes)
if ! lintian --fail-on warning,error --display-info "$changes" > "$out/lintian.log" 2>&1 ||
   grep -q '^[EW]: ' "$out/lintian.log"; then
	cat "$out/lintian.log" >&2
	echo "build-deb: lintian complains" >&2
	exit 1
fi
cat "$out/lintian.log"
ls "$out"/*.deb
