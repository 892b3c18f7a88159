#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# module.sh load|unload|name ours|stock|peer
#
# Loads or unloads the vhost-vsock module under test inside the test VM:
# 'ours' is vhost_vsock_fwd.ko from the top of the repository, 'stock' is
# the test kernel's vhost_vsock. Both need vhost and the virtio vsock
# transport, which modprobe loads from the test kernel. 'peer' is what the
# userspace daemon vhost-device-vsock needs to reach host applications:
# vsock_loopback. For a kernel of our own (run.sh --kernel) VSOCKFWD_KO is
# our module built against it; init.sh put its modules in /lib/modules.
set -euo pipefail

top=$(cd "$(dirname "$0")/../../../../.." && pwd)

name() {
	case "$1" in
	ours) echo vhost_vsock_fwd ;;
	stock) echo vhost_vsock ;;
	peer) echo vsock_loopback ;;
	*) echo "module.sh: unknown module '$1' (ours, stock or peer)" >&2; return 2 ;;
	esac
}

load() {
	case "$1" in
	ours)
		modprobe -a vhost vmw_vsock_virtio_transport_common
		insmod "${VSOCKFWD_KO:-$top/vhost_vsock_fwd.ko}"
		;;
	stock)
		modprobe vhost_vsock
		;;
	peer)
		modprobe vsock_loopback
		;;
	*)
		name "$1"
		;;
	esac
}

# Sockets closing in the background hold a reference on the transport for
# up to the vsock close timeout (8 s): retry for a while before failing.
unload() {
	local mod tries=0
	mod=$(name "$1")
	[ -d "/sys/module/$mod" ] || return 0
	until rmmod "$mod" 2>/dev/null; do
		tries=$((tries + 1))
		if [ $tries -ge 30 ]; then
			echo "module.sh: rmmod $mod failed (refcnt $(cat "/sys/module/$mod/refcnt"))" >&2
			rmmod "$mod"
			return 1
		fi
		sleep 0.5
	done
}

[ $# -eq 2 ] || { echo "usage: module.sh load|unload|name ours|stock|peer" >&2; exit 2; }
case "$1" in
load|unload|name) "$1" "$2" ;;
*) echo "usage: module.sh load|unload|name ours|stock|peer" >&2; exit 2 ;;
esac
