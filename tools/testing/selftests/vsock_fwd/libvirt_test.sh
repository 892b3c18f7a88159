#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# An unmodified libvirt, in the test VM with our module loaded (run.sh
# --module ours): a transient TCG domain (q35, the small test guest) with
# <vsock model='virtio'><cid auto='no' address='16'/></vsock>, configured
# only with 'vsock-fwd set 16 parent 2', sends the Nitro heartbeat to 3:9000
# and gets it back from 'vsock-fwd heartbeat' on this host. KTAP output.
#
# systemd is not PID 1 in the VM: libvirtd runs as a daemon of its own,
# with a qemu.conf (on a writable /etc, vm/rw-root.sh) that runs QEMU as
# root without a security driver or cgroups, since the VM has no
# libvirt-qemu user (libvirt-daemon-system is not installed), no cgroup
# hierarchy and no AppArmor.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=vm/rw-root.sh
. "$here/vm/rw-root.sh"
guest=$top/build/guest
tool=$top/tools/vsock-fwd/vsock-fwd
cid=16
tmp=$(mktemp -d)
virsh=(virsh -q -c qemu:///system)

# shellcheck source-path=SCRIPTDIR source=ktap_lib.sh
. "$here/ktap_lib.sh"
ktap_print_header
ktap_set_plan 2
fail() { echo "# $*"; return 1; }

start_libvirtd() {
	local i
	rw_root_on /etc /var/cache || fail "no writable /etc and /var/cache"
	# What libvirt-daemon-system's postinst creates: the QEMU driver
	# resolves its built-in user and group libvirt-qemu before it reads
	# qemu.conf, and without them libvirtd exits ("Failed to parse user
	# 'libvirt-qemu'", "Driver state initialization failed").
	getent group libvirt-qemu > /dev/null || groupadd -r libvirt-qemu
	getent passwd libvirt-qemu > /dev/null ||
		useradd -r -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
	# No virtlogd (started by systemd's socket on a host): QEMU's output
	# goes to a file.
	cat >> /etc/libvirt/qemu.conf <<-'CONF'
	user = "root"
	group = "root"
	dynamic_ownership = 0
	security_driver = "none"
	cgroup_controllers = [ ]
	stdio_handler = "file"
	CONF
	mkdir -p /var/lib/libvirt/qemu /var/log/libvirt/qemu
	libvirtd -d || fail "libvirtd does not start"
	# It exits if a driver fails to initialize: say so rather than wait.
	# Ready when it answers; it probes QEMU first, slow under TCG.
	for i in $(seq 300); do
		"${virsh[@]}" version > /dev/null 2>&1 && return 0
		pgrep -x libvirtd > /dev/null || fail "libvirtd exited"
		sleep 1
	done
	fail "libvirtd did not answer in 300 s"
}

domain_xml() {
	cat <<-XML
	<domain type='qemu'>
	  <name>enclave</name>
	  <memory unit='MiB'>128</memory>
	  <vcpu>1</vcpu>
	  <os>
	    <type arch='x86_64' machine='q35'>hvm</type>
	    <kernel>$guest/bzImage</kernel>
	    <initrd>$guest/initramfs.cpio</initrd>
	    <cmdline>console=ttyS0 loglevel=5 panic_on_warn=1 oops=panic guest.heartbeat=3 guest.cmd="true"</cmdline>
	  </os>
	  <on_poweroff>destroy</on_poweroff>
	  <on_reboot>destroy</on_reboot>
	  <on_crash>destroy</on_crash>
	  <devices>
	    <serial type='file'><source path='$tmp/console.log'/></serial>
	    <controller type='usb' model='none'/>
	    <memballoon model='none'/>
	    <vsock model='virtio'><cid auto='no' address='$cid'/></vsock>
	  </devices>
	</domain>
	XML
}

heartbeat() {
	local i hb
	"$tool" set "$cid" parent 2 || fail "vsock-fwd set failed"
	"$tool" heartbeat 9000 count 1 > "$tmp/heartbeat.log" 2>&1 &
	hb=$!
	domain_xml > "$tmp/enclave.xml"
	"${virsh[@]}" create "$tmp/enclave.xml" || fail "virsh create failed"
	"$tool" -j show "$cid" > "$tmp/show.json" || fail "no device with CID $cid"
	sed 's/^/# /' "$tmp/show.json"
	jq -e '.[0].forward.source == "rule" and .[0].forward.target_cid == 2' \
		"$tmp/show.json" > /dev/null || fail "the rule is not in force on libvirt's device"
	# The guest powers off after its command: the domain goes away.
	for i in $(seq 900); do
		"${virsh[@]}" domstate enclave > /dev/null 2>&1 || break
		sleep 1
	done
	sed 's/^/#   /' "$tmp/console.log" | tail -n 15
	grep -q '^NITRO-INIT-EXIT 0' "$tmp/console.log" || fail "no NITRO-INIT-EXIT 0 from the guest"
	wait "$hb" || fail "vsock-fwd heartbeat failed: $(cat "$tmp/heartbeat.log")"
	sed 's/^/# /' "$tmp/heartbeat.log"
}

t0=$SECONDS
ktap_case libvirt.libvirtd_starts start_libvirtd
echo "# libvirtd up after $((SECONDS - t0)) s"
t0=$SECONDS
ktap_case libvirt.domain_heartbeats_host heartbeat
echo "# domain run: $((SECONDS - t0)) s"
"${virsh[@]}" destroy enclave > /dev/null 2>&1
kill "$(cat /run/libvirtd.pid 2> /dev/null)" 2> /dev/null
"$tool" del "$cid"
rw_root_off
rm -rf "$tmp"
ktap_finished
