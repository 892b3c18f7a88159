#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The install path as an administrator takes it, in the test VM with no
# module preloaded (run.sh --module none), /usr and /etc made writable for
# the run and /lib/modules/$(uname -r) a small tree of the vhost and vsock
# modules (vm/rw-root.sh): 'make install', then separately DKMS, each
# followed by what must then work - modprobe, the modprobe.d file that
# makes ours the vhost_vsock that gets loaded, the autoload when a VMM
# opens /dev/vhost-vsock, modprobe -r - and 'dkms remove' leaving nothing.
# KTAP output.
#
# INSTALL_TEST_PARTS=LIST runs only those parts (make, dkms).
set -uo pipefail

# shellcheck source-path=SCRIPTDIR source=install_lib.sh
. "$(dirname "$0")/install_lib.sh"

part_make() {
	local t0=$SECONDS
	writable_root
	make -s -C "$top" install > /tmp/make-install.log 2>&1
	ktap_status $? install.make_install
	sed 's/^/# /' /tmp/make-install.log
	[ -x /usr/local/sbin/vsock-fwd ] && [ -f /usr/local/share/man/man8/vsock-fwd.8 ]
	ktap_status $? install.make_install_tool
	check_installed install.make updates no
	rw_root_off
	echo "# make install part: $((SECONDS - t0)) s"
}

part_dkms() {
	local t0=$SECONDS m
	m=vhost_vsock_fwd/$(dkms_version)
	writable_root
	( set -e
	  mkdir -p /var/lib/dkms
	  timed make -s -C "$top" install-dkms
	  timed dkms add "$m"
	  timed dkms build "$m" -k "$kver"
	  timed dkms install "$m" -k "$kver" ) > /tmp/dkms.log 2>&1
	ktap_status $? install.dkms_add_build_install
	sed 's/^/# /' /tmp/dkms.log | tail -n 30
	check_installed install.dkms updates/dkms no
	( set -e
	  dkms remove "$m" --all > /tmp/dkms-remove.log 2>&1 || fail "dkms remove: $(cat /tmp/dkms-remove.log)"
	  nothing_left )
	ktap_status $? install.dkms_remove
	rw_root_off
	echo "# dkms part: $((SECONDS - t0)) s"
}

parts=${INSTALL_TEST_PARTS:-make dkms}
ktap_print_header
# Five results each.
# shellcheck disable=SC2086 # the parts are words
set -- $parts
ktap_set_plan $((5 * $#))
for part in $parts; do
	case "$part" in
	make) part_make ;;
	dkms) part_dkms ;;
	*) echo "install_test: no part $part" >&2; exit 2 ;;
	esac
done
ktap_finished
