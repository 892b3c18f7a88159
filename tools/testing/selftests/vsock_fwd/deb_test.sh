#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages (scripts/build-deb.sh, in build/deb), installed with
# dpkg -i in the test VM with no module preloaded (run.sh --module none),
# /usr, /etc, /var/lib/dpkg and /var/cache made writable and a small module
# tree (install_lib.sh): the checks of install_test.sh, then dpkg
# --purge leaving nothing behind. KTAP output.
set -uo pipefail

# shellcheck source-path=SCRIPTDIR source=install_lib.sh
. "$(dirname "$0")/install_lib.sh"
debs=$top/build/deb

ktap_print_header
ktap_set_plan 6

t0=$SECONDS
writable_root
rw_root_on /var/lib/dpkg /var/cache || fail "no writable /var/lib/dpkg and /var/cache"
mkdir -p /var/lib/dkms
# The postinst builds the module with DKMS: most of this suite's time.
timed dpkg -i "$debs"/vhost-vsock-fwd-dkms_*_all.deb "$debs"/vsock-fwd_*_amd64.deb \
	> /tmp/dpkg.log 2>&1
ktap_status $? deb.dpkg_install
sed 's/^/# /' /tmp/dpkg.log | tail -n 30

( set -e
  [ -x /usr/sbin/vsock-fwd ] || fail "no /usr/sbin/vsock-fwd"
  [ -f /usr/lib/systemd/system/vsock-fwd.service ] || fail "no unit"
  [ -f /usr/lib/udev/rules.d/70-vsock-fwd.rules ] || fail "no udev rule"
  [ -f /etc/vsock-fwd/rules ] || fail "no rules file"
  grep -q '^ExecStart=/usr/sbin/vsock-fwd ' /usr/lib/systemd/system/vsock-fwd.service ||
	fail "the unit does not run /usr/sbin/vsock-fwd" )
ktap_status $? deb.tool_files

check_installed deb updates/dkms packaged

( set -e
  for p in vsock-fwd vhost-vsock-fwd-dkms; do
	[ "$(dpkg-query -W -f='${Status}' "$p" 2> /dev/null)" = "install ok installed" ] ||
		fail "$p is not installed: nothing to purge"
  done
  dpkg --purge vsock-fwd vhost-vsock-fwd-dkms > /tmp/dpkg-purge.log 2>&1 ||
	fail "dpkg --purge: $(cat /tmp/dpkg-purge.log)"
  nothing_left
  [ ! -e /usr/src/vhost_vsock_fwd-"$(dkms_version)" ] || fail "/usr/src copy left behind"
  [ ! -e /etc/modprobe.d/vhost_vsock_fwd.conf ] || fail "modprobe.d file left behind"
  [ ! -e /etc/vsock-fwd ] || fail "/etc/vsock-fwd left behind"
  [ ! -e /usr/sbin/vsock-fwd ] || fail "vsock-fwd left behind" )
ktap_status $? deb.purge
rw_root_off
echo "# packages: $((SECONDS - t0)) s"
ktap_finished
