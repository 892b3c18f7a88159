#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# guest/build-eif.sh OUT.eif [-e VAR=VALUE]... [-d DIR] -- ARG...
#
# An enclave image of the test guest, laid out as nitro-cli lays out one:
# the kernel (DIR/bzImage, default build/guest) with Nitro's kernel command
# line, a first ramdisk with the init alone (DIR/bootstrap.cpio:
# nitro-init), and a second ramdisk with the application: the user's file
# system under /rootfs (DIR/rootfs.cpio: busybox and the test programs),
# which the init makes the root, /cmd, its command one argument per line
# (ARG...), and /env, its environment one VAR=VALUE per line. Written with
# tools/mkeif.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../../../.." && pwd)
dir=$top/build/guest
out=${1:?usage: build-eif.sh OUT.eif [-e VAR=VALUE]... [-d DIR] -- ARG...}
shift
env=()
while [ $# -gt 0 ]; do
	case "$1" in
	-e) env+=("$2"); shift 2 ;;
	-d) dir=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "build-eif.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
[ $# -gt 0 ] || { echo "build-eif.sh: no application command" >&2; exit 2; }

# nitro-cli's x86_64 command line, and what the tests need on top: a WARN
# or an oops ends the enclave, and loglevel=5 keeps warnings visible.
cmdline="reboot=k panic=30 pci=off nomodules console=ttyS0 random.trust_cpu=on"
cmdline+=" loglevel=5 panic_on_warn=1 oops=panic"

app=$(mktemp -d)
trap 'rm -rf "$app"' EXIT
printf '%s\n' "$@" > "$app/cmd"
: > "$app/env"
[ ${#env[@]} -eq 0 ] || printf '%s\n' "${env[@]}" > "$app/env"
# One ramdisk of two archives: the kernel unpacks them one after the other.
cp "$dir/rootfs.cpio" "$app/app.cpio"
(cd "$app" && printf '%s\n' cmd env | cpio --quiet -o -H newc -R 0:0 >> "$app/app.cpio")
"$top/tools/mkeif/mkeif" -o "$out" --kernel "$dir/bzImage" --cmdline "$cmdline" \
	--ramdisk "$dir/bootstrap.cpio" --ramdisk "$app/app.cpio"
