#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end: real guest kernels (build/guest) under Debian's stock QEMU in
# the test VM with our module loaded, each guest an unmodified VMM's
# vhost-vsock device. The enclave guests run nitro-init's boot heartbeat
# (connect 3:9000, 0xB7 both ways) exactly like a Nitro Enclave's init.
# Prints KTAP. Seven guest boots; the VM-to-VM cases run two at a time.
set -u

# shellcheck source-path=SCRIPTDIR source=e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"
tool=$top/tools/vsock-fwd/vsock-fwd
xfer=$gbin/vsock-xfer
launch=$top/build/selftests/guest-launch
# Guest CIDs; the test VM (2) is the parent of the first three.
ENC=16 FD_ENC=17 PCI_ENC=18 PARENT=20 ENC2=21 THIRD=22
GT=240	# seconds a guest may take, boot included (nested TCG)

ktap_print_header
ktap_set_plan 11

# Built by the selftests Makefile: the VM's root is read-only.
[ -x "$launch" ] || ktap_exit_fail_msg "$launch missing: run make"

# finish_guest NAME: wait for the guest (not in a subshell: it must be the
# guest's parent); a non-zero exit status goes to $why.
finish_guest() {
	local st
	guest_wait "$1" $((GT + 30))
	st=$?
	[ $st -eq 0 ] || why+="$1 exit $st; $(why_of "$1"); "
}

# hb_start NAME / hb_check NAME CID TEST: the test VM's heartbeat responder
# around one enclave boot; the enclave's init and the responder must both
# have seen the exchange, and the enclave's application must succeed.
hb_start() {
	"$tool" heartbeat count 1 > "$tmp/$1.hb" 2>&1 &
	hb_pid=$!
}
hb_check() {
	why=
	finish_guest "$1"
	why+=$(has "$tmp/$1.log" '^NITRO-HEARTBEAT-OK cid=3 port=9000')
	why+=$(has "$tmp/$1.hb" "^heartbeat from enclave cid $2 ")
	kill "$hb_pid" 2> /dev/null
	ktap_check "$3" "$why"
}

# (a) A rule set by CID with the tool before QEMU starts; QEMU untouched.
# The test VM then connects into the enclave, which must see the connection
# come from its parent's alias 3, not from CID 2.
"$tool" set $ENC parent 2 > "$tmp/set" 2>&1 || echo "# vsock-fwd set: $(cat "$tmp/set")"
hb_start rule
guest_start rule --cid $ENC --heartbeat 3 --timeout $GT -- 'vsock-xfer recv 5000'
if wait_log "$tmp/rule.log" '^VSOCK-XFER-LISTENING port=5000' $GT; then
	"$xfer" send $ENC:5000 > "$tmp/rule.host" 2>&1
fi
hb_check rule $ENC e2e.rule_by_cid_heartbeat_to_host
why=$(has "$tmp/rule.log" '^VSOCK-XFER-OK received=.* peer=3:')
why+=$(has "$tmp/rule.host" "^VSOCK-XFER-OK sent=.* peer=$ENC:5000")
ktap_check e2e.host_connects_in_enclave_sees_cid_3 "$why"
"$tool" del $ENC > /dev/null 2>&1

# (b) No rule: the forward is set by ioctl on the fd QEMU gets as vhostfd=.
hb_start vhostfd
launcher=("$launch" 10 3 2 --)
guest_start vhostfd --cid $FD_ENC --vhostfd 10 --heartbeat 3 --timeout $GT -- true
launcher=()
hb_check vhostfd $FD_ENC e2e.ioctl_forward_on_vhostfd_heartbeat_to_host

# (c) and (e): a parent VM, accepted as one, and its enclave VM. The parent
# answers the heartbeat with vsock-echo and takes a SEQPACKET transfer from
# the enclave, then connects into the enclave with a stream. It must be
# listening before the enclave boots: nitro-init, like the real one, does
# not retry. First the test VM connects into the enclave: without F_STRICT
# it may (the control of (d)'s strict_host_cannot_reach_enclave).
"$tool" set $ENC2 parent $PARENT > "$tmp/set" 2>&1 || echo "# vsock-fwd set: $(cat "$tmp/set")"
guest_start parent --cid $PARENT --timeout $GT -- \
	"vsock-echo 9000 & vsock-xfer -s recv 5001 && vsock-xfer -w 120 send $ENC2:5000"
wait_log "$tmp/parent.log" '^VSOCK-ECHO-LISTENING port=9000' $GT
# The parent VM's device consents to children (its QEMU runs as root here).
"$tool" accept $PARENT > "$tmp/accept" 2>&1 || echo "# vsock-fwd accept: $(cat "$tmp/accept")"
guest_start enclave --cid $ENC2 --heartbeat 3 --timeout $GT -- \
	'vsock-xfer recv 5002 && vsock-xfer -s -w 60 send 3:5001 && vsock-xfer recv 5000'
if wait_log "$tmp/enclave.log" '^VSOCK-XFER-LISTENING port=5002' $GT; then
	"$xfer" -n 4096 send $ENC2:5002 > "$tmp/enclave.in" 2>&1
fi
why=
finish_guest enclave
finish_guest parent
why_hi=$(has "$tmp/enclave.log" '^VSOCK-XFER-OK received=4096 .* peer=2:')
why_hi+=$(has "$tmp/enclave.in" "^VSOCK-XFER-OK sent=4096 .* peer=$ENC2:5002")
ktap_check e2e.host_reaches_enclave_of_vm_parent_without_strict "$why$why_hi"
why_hb=$(has "$tmp/enclave.log" '^NITRO-HEARTBEAT-OK cid=3 port=9000')
why_hb+=$(has "$tmp/parent.log" "^VSOCK-ECHO-CONNECTED peer=$ENC2:")
ktap_check e2e.enclave_vm_heartbeat_to_parent_vm "$why$why_hb"
why_in=$(has "$tmp/enclave.log" '^VSOCK-XFER-OK received=.* peer=3:')
why_in+=$(has "$tmp/parent.log" "^VSOCK-XFER-OK sent=.* peer=$ENC2:5000")
ktap_check e2e.parent_vm_connects_in_enclave_sees_cid_3 "$why$why_in"
why_sp=$(has "$tmp/enclave.log" '^VSOCK-XFER-OK sent=.* peer=3:5001')
why_sp+=$(has "$tmp/parent.log" "^VSOCK-XFER-OK received=.* peer=$ENC2:")
ktap_check e2e.seqpacket_enclave_vm_to_parent_vm "$why$why_sp"

# (d) F_STRICT, the parent VM gone, a third VM up. The third VM listens on
# 7001 until the test VM's go (a transfer on 7000). The enclave tries the
# third VM and the test VM (which listens on 7002): both must be refused
# with a reset, as F_STRICT promises. The test VM tries to connect into the
# enclave: refused too, where (c) without F_STRICT got in. (A third VM's
# attempt would show nothing: guests that are not parent and child never
# reach each other, strict or not.)
"$tool" set $ENC2 parent $PARENT strict > "$tmp/set" 2>&1 || echo "# vsock-fwd set: $(cat "$tmp/set")"
"$xfer" recv 7002 > "$tmp/strict.host" 2>&1 &
host_listener=$!
guest_start third --cid $THIRD --timeout $GT -- \
	"vsock-echo 7001 & vsock-xfer recv 7000"
wait_log "$tmp/third.log" '^VSOCK-XFER-LISTENING port=7000' $GT &&
	wait_log "$tmp/third.log" '^VSOCK-ECHO-LISTENING port=7001' 10
guest_start strict --cid $ENC2 --timeout $GT -- \
	"vsock-echo 5002 & ! vsock-xfer send $THIRD:7001 && ! vsock-xfer send 2:7002 && sleep 20"
wait_log "$tmp/strict.log" '^VSOCK-ECHO-LISTENING port=5002' $GT &&
	"$xfer" -n 4096 send $ENC2:5002 > "$tmp/strict.in" 2>&1
why=
finish_guest strict
"$xfer" -n 1 send $THIRD:7000 > "$tmp/go" 2>&1
finish_guest third
kill $host_listener 2> /dev/null
# notany FILE PATTERN: FILE must not have PATTERN.
notany() { ! grep -qE -- "$2" "$1" || echo "'$2' in $(basename "$1"); "; }
why_x=$(has "$tmp/strict.log" "^VSOCK-XFER-FAIL send: connect to $THIRD:7001: Connection reset by peer")
why_x+=$(notany "$tmp/third.log" '^VSOCK-ECHO-CONNECTED')
ktap_check e2e.strict_enclave_cannot_reach_third_vm "$why$why_x"
why_h=$(has "$tmp/strict.log" '^VSOCK-XFER-FAIL send: connect to 2:7002: Connection reset by peer')
why_h+=$(notany "$tmp/strict.host" '^VSOCK-XFER-OK')
ktap_check e2e.strict_enclave_cannot_reach_host "$why$why_h"
why_i=$(has "$tmp/strict.in" "^VSOCK-XFER-FAIL send: connect to $ENC2:5002")
why_i+=$(notany "$tmp/strict.log" '^VSOCK-ECHO-CONNECTED')
ktap_check e2e.strict_host_cannot_reach_enclave "$why$why_i"
"$tool" del $ENC2 > /dev/null 2>&1

# (f) Once on q35 with vhost-vsock-pci: the same device behind PCI.
"$tool" set $PCI_ENC parent 2 > "$tmp/set" 2>&1 || echo "# vsock-fwd set: $(cat "$tmp/set")"
hb_start q35
guest_start q35 --machine q35 --cid $PCI_ENC --heartbeat 3 --timeout $GT -- true
hb_check q35 $PCI_ENC e2e.q35_vhost_vsock_pci_heartbeat_to_host
"$tool" del $PCI_ENC > /dev/null 2>&1

ktap_finished
