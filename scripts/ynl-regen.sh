#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/ynl-regen.sh [--check] KSRC
#
# Generate the vsock_fwd family's code from its YNL spec,
# Documentation/netlink/specs/vsock_fwd.yaml, with the ynl-gen-c.py of the
# kernel source KSRC, as upstream families are generated:
#
#   include/uapi/linux/vsock_fwd.h      the uapi enums and defines
#   drivers/vhost/vsock_fwd_nl_gen.h    the handlers' prototypes
#   drivers/vhost/vsock_fwd_nl_gen.c    the policies, ops and groups
#
# The handlers stay hand-written (drivers/vhost/vsock_fwd_netlink.c).
# --check writes nothing and fails when a committed file differs from
# what the spec gives: the style gate that keeps them current.
set -euo pipefail

check=0
if [ "${1:-}" = --check ]; then
	check=1
	shift
fi
[ $# -eq 1 ] || { echo "usage: ynl-regen.sh [--check] KSRC" >&2; exit 2; }
ksrc=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
spec=Documentation/netlink/specs/vsock_fwd.yaml
gen=$ksrc/tools/net/ynl/ynl-gen-c.py
# genetlink-legacy, not genetlink-c: only its schema has uns-admin-perm.
schema=$ksrc/Documentation/netlink/genetlink-legacy.yaml
if [ ! -f "$gen" ] || [ ! -f "$schema" ]; then
	echo "ynl-regen: no ynl-gen-c.py or genetlink-legacy.yaml in $ksrc" >&2
	exit 2
fi

# ynl-gen-c.py finds the schema beside the spec's directory and names the
# spec in its marker relative to the tree that holds MAINTAINERS: a
# scratch tree shaped like the kernel's gives both, and the marker names
# the spec's path in this repository.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/tree/$(dirname "$spec")" "$tmp/out"
: > "$tmp/tree/MAINTAINERS"
cp "$schema" "$tmp/tree/Documentation/netlink/"
cp "$top/$spec" "$tmp/tree/$spec"

# FILE MODE KIND
outputs=(
	"include/uapi/linux/vsock_fwd.h uapi header"
	"drivers/vhost/vsock_fwd_nl_gen.h kernel header"
	"drivers/vhost/vsock_fwd_nl_gen.c kernel source"
)
stale=0
for o in "${outputs[@]}"; do
	read -r file mode kind <<< "$o"
	# The source names its header by the output's name.
	out=$tmp/out/$(basename "$file")
	(cd "$tmp/tree" && python3 "$gen" --mode "$mode" "--$kind" --spec "$spec" -o "$out")
	if [ $check = 1 ]; then
		if ! diff -u "$top/$file" "$out" > "$tmp/diff"; then
			echo "ynl-regen: $file is not what $spec gives; run make ynl-gen" >&2
			cat "$tmp/diff" >&2
			stale=1
		fi
	elif ! cmp -s "$out" "$top/$file"; then
		cp "$out" "$top/$file"
		echo "  GEN     $file"
	fi
done
exit $stale
