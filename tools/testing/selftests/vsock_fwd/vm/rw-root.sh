#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the install and package tests in the test VM: make parts of the
# host's read-only root writable, as on a real host, for as long as a test
# needs them and no longer.
#
#   rw_root_on DIR...   an overlayfs on each DIR (/usr, /etc, /var/lib/dpkg),
#                       its lower layer the host's directory, its upper a
#                       fresh tmpfs: writes land in the VM's memory only
#   rw_root_off         unmount them all: the next rw_root_on starts clean
#
# The lower layer is taken from a non-recursive bind mount of / so that the
# tmpfs vm/init.sh put on /var/lib does not hide the host's /var/lib/dpkg.

rw_root_base=/run/rw-root
rw_root_dirs=()

rw_root_on() {
	local d n
	if ! mountpoint -q "$rw_root_base/host"; then
		mkdir -p "$rw_root_base/host" || return
		mount --bind / "$rw_root_base/host" || return
		mount --make-private "$rw_root_base/host" || return
	fi
	modprobe overlay || return
	for d in "$@"; do
		n=${d//\//_}
		mkdir -p "$rw_root_base/$n" || return
		mount -t tmpfs tmpfs "$rw_root_base/$n" || return
		mkdir "$rw_root_base/$n/upper" "$rw_root_base/$n/work" || return
		mount -t overlay overlay \
			-o "lowerdir=$rw_root_base/host$d,upperdir=$rw_root_base/$n/upper,workdir=$rw_root_base/$n/work" \
			"$d" || return
		rw_root_dirs+=("$d")
	done
}

# What keeps DIR's overlay busy: files of processes on its device.
rw_root_holders() { # DIR
	local dev hex p
	dev=$(mountpoint -d "$1")
	hex=$(printf '%02x:%02x' "${dev%%:*}" "${dev##*:}")
	echo "rw-root: $1 ($dev) busy; held by:"
	for p in /proc/[0-9]*; do
		if grep -q " $hex " "$p/maps" 2> /dev/null ||
		   stat -L -c '%d' "$p/cwd" "$p/root" "$p"/fd/* 2> /dev/null |
			grep -qx "$(stat -c '%d' "$1")"; then
			echo "  ${p#/proc/} $(tr '\0' ' ' < "$p/cmdline")"
		fi
	done
}

rw_root_off() {
	local d n i ret=0
	for ((i = ${#rw_root_dirs[@]} - 1; i >= 0; i--)); do
		d=${rw_root_dirs[i]}
		n=${d//\//_}
		if ! umount "$d"; then
			rw_root_holders "$d" >&2
			ret=1
			umount -l "$d"
		fi
		umount "$rw_root_base/$n" 2> /dev/null || umount -l "$rw_root_base/$n" || ret=1
	done
	rw_root_dirs=()
	return $ret
}
