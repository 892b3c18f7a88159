#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# module-tree.sh DEST
#
# A fresh copy of the module's sources (Kbuild, drivers/vhost, the uapi
# headers) in DEST, for a build with other options or another kernel
# (M=DEST): its objects and .cmd files never mix with the tree's own build,
# so a test VM using the tree's vhost_vsock_fwd.ko is not disturbed.
set -euo pipefail

dest=$1
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
rm -rf "$dest"
mkdir -p "$dest"
find Kbuild drivers include -type f \( -name Kbuild -o -name 'Kbuild.*' -o -name '*.[ch]' \) \
	-print0 | cpio -0pdm --quiet "$dest"
