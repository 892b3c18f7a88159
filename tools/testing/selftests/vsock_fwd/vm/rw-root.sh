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

rw_root_off() {
	local d n i l ret=0
	for ((i = ${#rw_root_dirs[@]} - 1; i >= 0; i--)); do
		d=${rw_root_dirs[i]}
		n=${d//\//_}
		if ! umount "$d"; then
			echo "rw-root: $d busy; mounts and processes:" >&2
			grep -F " $d " /proc/self/mountinfo >&2
			for l in /proc/[0-9]*/exe /proc/[0-9]*/cwd /proc/[0-9]*/root; do
				case "$(readlink "$l")" in
				"$d"/*) echo "$l" >&2 ;;
				esac
			done
			ret=1
		fi
		umount "$rw_root_base/$n" || ret=1
	done
	rw_root_dirs=()
	return $ret
}
