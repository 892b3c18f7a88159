#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Sourced by install_test.sh and deb_test.sh in the test VM: the writable
# root and module tree they install into (vm/rw-root.sh), and the checks
# every way of installing must pass - modprobe, the modprobe.d file that
# makes ours the vhost_vsock that gets loaded, the autoload when a VMM
# opens /dev/vhost-vsock, modprobe -r, nothing left after removal - each a
# KTAP result (ktap_lib.sh).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../../../.." && pwd)
kver=$(uname -r)
# shellcheck source-path=SCRIPTDIR source=ktap_lib.sh
. "$here/ktap_lib.sh"
# KSRC, the source the module was built against: DKMS builds take
# drivers/vhost/vhost.h from it instead of extracting 1.5 GB of
# linux-source under TCG.
export KSRC
# shellcheck source-path=SCRIPTDIR source=vm/rw-root.sh
. "$here/vm/rw-root.sh"

fail() { echo "# $*"; return 1; }
loaded() { [ -d "/sys/module/$1" ]; }
none_loaded() { ! loaded vhost_vsock_fwd && ! loaded vhost_vsock; }

# modprobe NAME must load ours, from the directory the installer used.
modprobe_loads_ours() { # NAME MODDIR
	local path
	none_loaded || fail "a vhost-vsock module is already loaded"
	path=$(modinfo -n vhost_vsock_fwd) || fail "modinfo does not find vhost_vsock_fwd"
	case "$path" in
	/lib/modules/"$kver"/"$2"/*) ;;
	*) fail "vhost_vsock_fwd is $path, not under /lib/modules/$kver/$2" ;;
	esac
	modprobe "$1" || fail "modprobe $1 failed"
	loaded vhost_vsock_fwd || fail "modprobe $1 did not load vhost_vsock_fwd"
	! loaded vhost_vsock || fail "modprobe $1 loaded stock vhost_vsock"
	[ "$(stat -c '%t:%T' /dev/vhost-vsock)" = a:f1 ] || fail "no /dev/vhost-vsock 10:241"
	modprobe -r vhost_vsock_fwd || fail "modprobe -r vhost_vsock_fwd failed"
	none_loaded || fail "modprobe -r left a module loaded"
}

# What systemd does at boot (kmod-static-nodes.service, then
# systemd-tmpfiles --create --boot for /dev): a node for each devname:
# alias in modules.devname, so that the first open loads the module. The
# kernel then asks modprobe for char-major-10-241.
open_autoloads_ours() {
	local conf=/run/tmpfiles.d/static-nodes.conf
	none_loaded || fail "a vhost-vsock module is already loaded"
	[ ! -e /dev/vhost-vsock ] || fail "/dev/vhost-vsock exists with no module loaded"
	mkdir -p /run/tmpfiles.d
	kmod static-nodes --format=tmpfiles --output="$conf" || fail "kmod static-nodes failed"
	grep -q '^c! /dev/vhost-vsock .* 10:241$' "$conf" ||
		fail "no static node for vhost-vsock: $(cat "$conf")"
	systemd-tmpfiles --create --boot "$conf" || fail "systemd-tmpfiles failed"
	exec 3<> /dev/vhost-vsock || fail "opening /dev/vhost-vsock failed"
	exec 3>&-
	loaded vhost_vsock_fwd || fail "opening /dev/vhost-vsock did not load vhost_vsock_fwd"
	! loaded vhost_vsock || fail "opening /dev/vhost-vsock loaded stock vhost_vsock"
	modprobe -r vhost_vsock_fwd || fail "modprobe -r vhost_vsock_fwd failed"
	rm -f /dev/vhost-vsock "$conf"
}

# The checks of an installed module (MODDIR: where its installer puts it),
# each a KTAP result named PREFIX.check. The modprobe.d file is installed
# by the caller when CONF is "packaged", else here.
check_installed() { # PREFIX MODDIR CONF
	ktap_case "$1.modprobe_vhost_vsock_fwd" modprobe_loads_ours vhost_vsock_fwd "$2"
	if [ "$3" != packaged ]; then
		install -m 0644 "$top/scripts/modprobe.d/vhost_vsock_fwd.conf" /etc/modprobe.d/
	fi
	ktap_case "$1.modprobe_vhost_vsock" modprobe_loads_ours vhost_vsock "$2"
	ktap_case "$1.open_autoloads" open_autoloads_ours
	modprobe -r vhost_vsock_fwd vhost_vsock 2> /dev/null
	rm -f /dev/vhost-vsock
}

# /usr and /etc writable, and a module tree of the stock vhost_vsock and
# its dependencies (ours needs the same): what modprobe must choose from.
writable_root() {
	rw_root_on /usr /etc || fail "no writable /usr and /etc"
	rw_modules_on vhost_vsock || fail "no module tree"
}

# Nothing of the module anywhere in the module tree or modprobe's indexes.
nothing_left() {
	local left
	left=$(find "/lib/modules/$kver" -name 'vhost_vsock_fwd*' 2> /dev/null)
	[ -z "$left" ] || fail "left behind: $left"
	! grep -q vhost_vsock_fwd "/lib/modules/$kver/modules.dep" ||
		fail "modules.dep still names vhost_vsock_fwd"
	! modinfo vhost_vsock_fwd > /dev/null 2>&1 || fail "modinfo still finds vhost_vsock_fwd"
	[ ! -e /var/lib/dkms/vhost_vsock_fwd ] || fail "/var/lib/dkms/vhost_vsock_fwd left behind"
}

# CMD, then how long it took: where an install's time goes under TCG.
timed() {
	local t0=$SECONDS
	"$@" || return
	echo "time: $* $((SECONDS - t0)) s"
}

dkms_version() {
	sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf"
}

