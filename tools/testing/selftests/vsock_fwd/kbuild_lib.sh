#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What the two test kernels' builds share (guest/build-kernel.sh,
# vm/debug/build-kernel.sh); sourced, and hashed into their cache keys.

# kbuild_check_config FRAGMENT DOTCONFIG: Kconfig drops what it cannot
# satisfy without a word, so every line of FRAGMENT must be in DOTCONFIG.
# Names each one that is not, with what DOTCONFIG has instead; returns 1
# if any.
kbuild_check_config() {
	local name line sym got bad=0
	name=$(basename "$1")
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			sym=${line%%=*} ;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			sym=${sym%% *} ;;
		*)
			continue ;;
		esac
		if ! grep -qxF "$line" "$2"; then
			got=$(grep -E "^$sym=|^# $sym is not set" "$2" || echo "(absent)")
			echo "error: $name asks for '$line', the .config has '$got'" >&2
			bad=1
		fi
	done <"$1"
	return "$bad"
}

# kbuild_progress TAG TOTAL LOG: read kbuild's output, append it to LOG,
# and show its steps (CC, LD, AR... lines) as a percentage of TOTAL:
# rewritten in place on a terminal, else one line per 10%, for a build
# that takes minutes.
kbuild_progress() {
	local tag=$1 total=$2 log=$3 n=0 last=-1 pct line t0=$SECONDS
	while IFS= read -r line; do
		echo "$line" >>"$log"
		case $line in
		"  "[A-Z]*) n=$((n + 1)) ;;
		*) continue ;;
		esac
		pct=$((n * 100 / total))
		[ "$pct" -le 99 ] || pct=99
		if [ -t 1 ]; then
			printf '\r  %-7s [%2d%%] %5ds  %-60.60s' "$tag" "$pct" $((SECONDS - t0)) "${line#  }"
		elif [ $((pct / 10)) -ne "$last" ]; then
			last=$((pct / 10))
			printf '  %-7s [%2d%%] %5ds  %s\n' "$tag" "$pct" $((SECONDS - t0)) "${line#  }"
		fi
	done
	[ ! -t 1 ] || printf '\r%80s\r' ''
	echo "$n steps in $((SECONDS - t0)) s" >>"$log"
}
