#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh KVER OUT
#
# The test VM's initramfs: static busybox, the modules that mount this
# machine's root over virtio-9p (decompressed, so busybox insmod can load
# them) and an /init that hands over to vm/init.sh on that root.
set -euo pipefail

kver=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)

busybox=$(command -v busybox || true)
if [ -z "$busybox" ] || ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
	busybox=/bin/busybox
fi
[ -x "$busybox" ] || { echo "error: busybox not found; apt-get install busybox-static" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{bin,dev,proc,sys,newroot,lib/modules}
cp "$busybox" "$work/bin/busybox"
for app in sh mount insmod switch_root mkdir cat echo poweroff; do
	ln -s busybox "$work/bin/$app"
done

# 9p and its dependencies, in load order.
: > "$work/lib/modules/order"
for mod in 9pnet_virtio 9p; do
	modprobe -S "$kver" --show-depends "$mod"
done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r ko; do
	name=$(basename "$ko")
	name=${name%.xz}
	name=${name%.zst}
	case "$ko" in
	*.xz) xz -dc "$ko" > "$work/lib/modules/$name" ;;
	*.zst) zstd -qdc "$ko" > "$work/lib/modules/$name" ;;
	*) cp "$ko" "$work/lib/modules/$name" ;;
	esac
	echo "$name" >> "$work/lib/modules/order"
done
[ -s "$work/lib/modules/order" ] || { echo "error: no 9p modules for $kver; install linux-image-$kver" >&2; exit 1; }

cp "$here/initramfs-init" "$work/init"
chmod +x "$work/init"

(cd "$work" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
mv "$out.tmp" "$out"
