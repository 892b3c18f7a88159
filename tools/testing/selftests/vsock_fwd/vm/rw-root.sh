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
#   rw_modules_on MOD...
#                       a fresh tmpfs on /lib/modules/$(uname -r) holding
#                       only MODs and what they depend on, the kernel's
#                       modules.builtin* and modules.order, its build and
#                       source links, indexed by depmod: a real module tree
#                       for depmod, modprobe and DKMS, small enough that
#                       depmod takes a second under TCG (Debian's full tree
#                       of 4000 modules takes it ten minutes and more)
#   rw_root_off         unmount them all: the next rw_root_on starts clean
#
# The lower layer is taken from a non-recursive bind mount of / so that the
# tmpfs vm/init.sh put on /var/lib does not hide the host's /var/lib/dpkg.
# The unmounts run a static busybox copied to /run: /usr/bin/umount and its
# libraries, run from the overlay on /usr, would keep /usr busy themselves.

rw_root_base=/run/rw-root
rw_root_dirs=()

rw_root_host() {
	mountpoint -q "$rw_root_base/host" && return
	mkdir -p "$rw_root_base/host" || return
	cp /usr/bin/busybox "$rw_root_base/busybox" || return
	mount --bind / "$rw_root_base/host" || return
	mount --make-private "$rw_root_base/host"
}

rw_root_on() {
	local d n
	rw_root_host || return
	# Loaded already when rw_modules_on's tree, which lacks it, is up.
	[ -d /sys/module/overlay ] || modprobe overlay || return
	for d in "$@"; do
		n=${d//\//_}
		mkdir -p "$rw_root_base/$n" || return
		mount -t tmpfs tmpfs "$rw_root_base/$n" || return
		mkdir "$rw_root_base/$n/upper" "$rw_root_base/$n/work" || return
		# Under vm/init.sh's tmpfs (/var/lib) the directory is not there.
		mkdir -p "$d" || return
		mount -t overlay overlay \
			-o "lowerdir=$rw_root_base/host$d,upperdir=$rw_root_base/$n/upper,workdir=$rw_root_base/$n/work" \
			"$d" || return
		rw_root_dirs+=("$d")
	done
}

rw_modules_on() {
	local kver host dir path f
	kver=$(uname -r)
	rw_root_host || return
	host=$rw_root_base/host
	dir=/lib/modules/$kver
	mount -t tmpfs tmpfs "$dir" || return
	rw_root_dirs+=("$dir")
	for f in modules.builtin modules.builtin.modinfo modules.order build source; do
		cp -a "$host$dir/$f" "$dir/" || return
	done
	# The host's indexes name each module's file and dependencies.
	modprobe -d "$host" -S "$kver" --show-depends -a "$@" > "$rw_root_base/deps" || return
	while read -r f path _; do
		[ "$f" = insmod ] || continue
		path=${path#"$host"}
		install -D -m 0644 "$host$path" "$path" || return
	done < "$rw_root_base/deps"
	depmod "$kver"
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
	local d n i ret=0 umount=("$rw_root_base/busybox" umount)
	for ((i = ${#rw_root_dirs[@]} - 1; i >= 0; i--)); do
		d=${rw_root_dirs[i]}
		n=${d//\//_}
		if ! "${umount[@]}" "$d"; then
			rw_root_holders "$d" >&2
			ret=1
			"${umount[@]}" -l "$d"
		fi
		[ -d "$rw_root_base/$n" ] || continue
		"${umount[@]}" "$rw_root_base/$n" || ret=1
	done
	rw_root_dirs=()
	return $ret
}
