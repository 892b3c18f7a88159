#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The enclave developer's path: enclave images (EIFs written by mkeif from
# the test guest, guest/build-eif.sh) booted on QEMU's nitro-enclave machine
# with the parent-cid series (build/qemu), in the test VM. With our module
# loaded: the host's applications as the parent (parent-cid=2), a parent VM
# (parent-cid=P, its device accept-children=on), two enclaves sharing one
# parent, a device a launcher configured (vhostfd=), the PCRs the enclave
# reads from its NSM device. With the stock module: QEMU refuses to start
# and names ours. With either: vsock= together with parent-cid= is refused.
# With --vhost-user (make check-nitro, which builds what it needs): also the
# machine's old vhost-user path (vsock=, with the vhost-device-vsock peer
# built by make peer) on QEMU with and without the series.
# Prints KTAP.
set -u
vu=0
[ "${1:-}" != --vhost-user ] || vu=1

# shellcheck source-path=SCRIPTDIR source=e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"
tool=$top/tools/vsock-fwd/vsock-fwd
launch=$top/build/selftests/guest-launch
xfer=$gbin/vsock-xfer
mkeif=$top/tools/mkeif/mkeif
qemu=$top/build/qemu/bin/qemu-system-x86_64
qemu_stock=$top/build/qemu-stock/bin/qemu-system-x86_64
peer=$top/build/peer/vhost-device-vsock
build_eif=$top/tools/testing/selftests/vsock_fwd/guest/build-eif.sh
ENC=16 ENC2=17 PARENT=20 PENC=21 FD_ENC=22 VU=24
GT=240	# seconds a guest may take, boot included (nested TCG)
MIB=1048576

ktap_print_header
[ -x "$qemu" ] || ktap_exit_fail_msg "$qemu missing: run make qemu"
if lsmod | grep -q '^vhost_vsock_fwd '; then
	module=ours
	ktap_set_plan $((9 + 2 * vu))
else
	module=stock
	ktap_set_plan $((4 + 2 * vu))
fi

# eif NAME ARG...: build $tmp/NAME.eif whose application is ARG...
eif() {
	local name=$1
	shift
	"$build_eif" "$tmp/$name.eif" -- "$@" > "$tmp/$name.mkeif" 2>&1 ||
		echo "# mkeif $name: $(cat "$tmp/$name.mkeif")"
}

# enclave_start NAME NITRO-OPTS: boot $tmp/NAME.eif on -M nitro-enclave.
enclave_start() {
	guest_start "$1" --eif "$tmp/$1.eif" --nitro "$2" --mem 256 --timeout $GT
}

# finish NAME: wait for the guest; a non-zero exit status goes to $why.
finish() {
	local st
	guest_wait "$1" $((GT + 30))
	st=$?
	[ $st -eq 0 ] || why+="$1 exit $st; $(why_of "$1"); "
}

# refused NAME PATTERN QEMU-ARG...: QEMU, booting an empty enclave with
# QEMU-ARG..., must exit on its own, not 0, saying PATTERN; sets $why.
refused() {
	local name=$1 pattern=$2 st
	shift 2
	eif "$name" true
	"$qemu" "$@" -nodefaults -display none -m 256 -kernel "$tmp/$name.eif" \
		> "$tmp/$name.out" 2>&1 &
	wait_pid $! 60
	st=$?
	why=
	[ $st -ne 0 ] && [ $st -ne 124 ] || why="QEMU exit status $st; "
	why+=$(has "$tmp/$name.out" "$pattern")
}

# Refused with either module: vsock= is the vhost-user path, parent-cid=
# the in-kernel one; QEMU must say so before it starts anything.
refused both "'vsock' machine option .* cannot be used with 'parent-cid'" \
	-M nitro-enclave,parent-cid=2,vsock=c,accel=tcg -chardev null,id=c
ktap_check nitro.vsock_and_parent_cid_refused "$why"

# (f) The vhost-user path the machine had before the series, unchanged:
# vhost-device-vsock forwards the enclave's connections to CID 1 (the
# loopback transport), where the heartbeat responder and the parent's
# service listen; 1 MiB each way. On QEMU with the series, and on the same
# QEMU without it (make qemu-stock) when it is there. The enclave writes
# 16 KiB at a time: the guest kernel (6.12.117, with Linux's 6693731487a8)
# sends a packet of more than about 32 KiB from page fragments, one
# descriptor each, and the daemon's virtio-vsock crate (0.8) takes the data
# of a TX packet from one descriptor only: it logs "error reading TX
# packet: DescriptorLengthTooSmall", drops the packet without returning its
# descriptor, and the stream stalls (rust-vmm/vm-virtio issue 216).
vhost_user() { # NAME QEMU
	local name=$1 bin=$2 d i
	[ $vu = 1 ] || return 0
	if [ ! -x "$peer" ] || [ ! -x "$bin" ]; then
		ktap_check "nitro.$name" "$peer or $bin missing: run make peer qemu-stock"
		return
	fi
	modprobe vsock_loopback 2> /dev/null
	"$peer" --vm "guest-cid=$VU,socket=$tmp/$name.sock,forward-cid=1,forward-listen=5000" \
		> "$tmp/$name.peer" 2>&1 &
	d=$!
	"$tool" heartbeat count 1 > "$tmp/$name.hb" 2>&1 &
	hb=$!
	{ "$xfer" recv 8000 && "$xfer" send 8000; } > "$tmp/$name.svc" 2>&1 &
	svc=$!
	eif "$name" sh -c "vsock-xfer -w 30 -m 16384 send 3:8000 && vsock-xfer -w 30 recv 3:8000"
	for ((i = 0; i < 50; i++)); do
		[ -S "$tmp/$name.sock" ] && break
		sleep 0.2
	done
	launcher=(env "QEMU=$bin")
	guest_start "$name" --eif "$tmp/$name.eif" --mem 256 --timeout $GT \
		--nitro vsock=c --qemu-arg -chardev \
		--qemu-arg "socket,id=c,path=$tmp/$name.sock"
	launcher=()
	why=
	finish "$name"
	wait_pid $svc 30 || why+="parent service failed: $(tr '\n' '|' < "$tmp/$name.svc"); "
	why+=$(has "$tmp/$name.log" '^NITRO-HEARTBEAT-OK cid=3 port=9000')
	why+=$(has "$tmp/$name.hb" '^heartbeat from enclave cid ')
	why+=$(has "$tmp/$name.log" "^VSOCK-XFER-OK sent=$MIB .* peer=3:8000")
	why+=$(has "$tmp/$name.log" "^VSOCK-XFER-OK received=$MIB .* peer=3:8000")
	[ -z "$why" ] || why+="daemon: $(tail -n 5 "$tmp/$name.peer" | tr '\n' '|'); "
	kill $hb $d 2> /dev/null
	ktap_check "nitro.$name" "$why"
}

if [ $module = stock ]; then
	# The stock module answers VHOST_VSOCK_SET_FORWARD with ENOBUFS.
	refused stock 'needs the vhost_vsock_fwd module' -M nitro-enclave,parent-cid=2,accel=tcg
	ktap_check nitro.stock_module_refused_naming_ours "$why"
	# The project's launcher and tool say it as QEMU does.
	"$launch" 10 3 2 strict -- true > "$tmp/launch.out" 2>&1
	st=$?
	why=
	[ $st -eq 1 ] || why="guest-launch exit status $st; "
	why+=$(has "$tmp/launch.out" 'needs the vhost_vsock_fwd module, which /dev/vhost-vsock is not \(.*\); load vhost_vsock_fwd in place of vhost_vsock')
	ktap_check nitro.stock_launcher_names_ours "$why"
	"$tool" show > "$tmp/tool.out" 2>&1
	st=$?
	why=
	[ $st -eq 3 ] || why="vsock-fwd exit status $st; "
	why+=$(has "$tmp/tool.out" 'needs the vhost_vsock_fwd module, which /dev/vhost-vsock is not .*; load vhost_vsock_fwd in place of vhost_vsock')
	ktap_check nitro.stock_tool_names_ours "$why"
	vhost_user vhost_user_with_series "$qemu"
	vhost_user vhost_user_without_series "$qemu_stock"
	ktap_finished
fi

# (a) parent-cid=2: the host's applications are the parent. The heartbeat,
# 1 MiB to the parent's service at 3:8000 and 1 MiB back from it, then the
# host connects in and the enclave must see the connection come from 3.
eif host sh -c "vsock-xfer -w 30 send 3:8000 && vsock-xfer -w 30 recv 3:8000 && vsock-xfer recv 5000"
"$tool" heartbeat count 1 > "$tmp/host.hb" 2>&1 &
hb=$!
{ "$xfer" recv 8000 && "$xfer" -n $MIB send 8000; } > "$tmp/host.svc" 2>&1 &
svc=$!
enclave_start host parent-cid=2,enclave-cid=$ENC
dup=none
if wait_log "$tmp/host.log" '^VSOCK-XFER-LISTENING port=5000' $GT "${guest_pid[host]}"; then
	# While it waits: a second enclave with the default CID, 16, which
	# this one holds, must fail at once.
	"$qemu" -M nitro-enclave,parent-cid=2,accel=tcg -nodefaults -display none \
		-m 256 -kernel "$tmp/host.eif" > "$tmp/dup.out" 2>&1 &
	wait_pid $! 60
	dup=$?
	"$xfer" send $ENC:5000 > "$tmp/host.in" 2>&1
fi
why=
finish host
wait_pid $svc 30 || why+="parent service failed: $(tr '\n' '|' < "$tmp/host.svc"); "
why+=$(has "$tmp/host.log" '^NITRO-HEARTBEAT-OK cid=3 port=9000')
why+=$(has "$tmp/host.hb" "^heartbeat from enclave cid $ENC ")
why+=$(has "$tmp/host.log" "^VSOCK-XFER-OK sent=$MIB .* peer=3:8000")
why+=$(has "$tmp/host.log" "^VSOCK-XFER-OK received=$MIB .* peer=3:8000")
ktap_check nitro.parent_cid_2_heartbeat_and_1mib_each_way "$why"
kill $hb 2> /dev/null
why=$(has "$tmp/host.log" '^VSOCK-XFER-OK received=.* peer=3:')
why+=$(has "$tmp/host.in" "^VSOCK-XFER-OK sent=.* peer=$ENC:5000")
ktap_check nitro.host_connects_in_enclave_sees_cid_3 "$why"
why=
[ "$dup" != none ] && [ "$dup" -ne 0 ] && [ "$dup" -ne 124 ] || why="QEMU exit status $dup; "
why+=$(has "$tmp/dup.out" 'unable to set guest cid: Address already in use')
ktap_check nitro.default_enclave_cid_16_in_use_refused "$why"

# (b) parent-cid=P: a parent VM, whose own device accepts children (our
# QEMU's accept-children=on, CAP_NET_ADMIN). It answers the heartbeat,
# takes 1 MiB from the enclave, then connects into it. It must listen
# before the enclave boots: the enclave's init does not retry.
launcher=(env "QEMU=$qemu")
guest_start parent --cid $PARENT --vsock-opts accept-children=on --timeout $GT -- \
	"vsock-echo 9000 & vsock-xfer recv 8000 && vsock-xfer -w 120 send $PENC:5000"
launcher=()
why=
if wait_log "$tmp/parent.log" '^VSOCK-ECHO-LISTENING port=9000' $GT "${guest_pid[parent]}"; then
	eif penc sh -c "vsock-xfer -w 30 send 3:8000 && vsock-xfer recv 5000"
	enclave_start penc parent-cid=$PARENT,enclave-cid=$PENC
	finish penc
else
	why+="the parent VM never listened: $(why_of parent); "
fi
finish parent
why+=$(has "$tmp/penc.log" '^NITRO-HEARTBEAT-OK cid=3 port=9000')
why+=$(has "$tmp/penc.log" "^VSOCK-XFER-OK sent=$MIB .* peer=3:8000")
why+=$(has "$tmp/parent.log" "^VSOCK-XFER-OK received=$MIB .* peer=$PENC:")
why+=$(has "$tmp/penc.log" '^VSOCK-XFER-OK received=.* peer=3:')
ktap_check nitro.parent_vm_both_directions "$why"

# (c) Two enclaves share the host as their parent, at once.
"$tool" heartbeat count 2 > "$tmp/two.hb" 2>&1 &
hb=$!
"$xfer" recv 8001 > "$tmp/one.svc" 2>&1 &
svc1=$!
"$xfer" recv 8002 > "$tmp/two.svc" 2>&1 &
svc2=$!
eif one vsock-xfer -w 30 send 3:8001
eif two vsock-xfer -w 30 send 3:8002
enclave_start one parent-cid=2,enclave-cid=$ENC
enclave_start two parent-cid=2,enclave-cid=$ENC2
why=
finish one
finish two
wait_pid $svc1 30 || why+="8001: $(tr '\n' '|' < "$tmp/one.svc"); "
wait_pid $svc2 30 || why+="8002: $(tr '\n' '|' < "$tmp/two.svc"); "
why+=$(has "$tmp/one.svc" "^VSOCK-XFER-OK received=$MIB .* peer=$ENC:")
why+=$(has "$tmp/two.svc" "^VSOCK-XFER-OK received=$MIB .* peer=$ENC2:")
why+=$(has "$tmp/two.hb" "^heartbeat from enclave cid $ENC ")
why+=$(has "$tmp/two.hb" "^heartbeat from enclave cid $ENC2 ")
kill $hb 2> /dev/null
ktap_check nitro.two_enclaves_share_one_parent "$why"

# (d) A launcher configured the device and hands it over: vhostfd= alone
# selects the in-kernel device, with the launcher's forward.
eif fd true
"$tool" heartbeat count 1 > "$tmp/fd.hb" 2>&1 &
hb=$!
launcher=("$launch" 10 3 2 strict --)
enclave_start fd vhostfd=10,enclave-cid=$FD_ENC
launcher=()
why=
finish fd
kill $hb 2> /dev/null
why+=$(has "$tmp/fd.log" '^NITRO-HEARTBEAT-OK cid=3 port=9000')
why+=$(has "$tmp/fd.hb" "^heartbeat from enclave cid $FD_ENC ")
ktap_check nitro.vhostfd_from_a_launcher "$why"

# (e) The enclave reads PCR0..2 from its NSM device (nsm-pcr, the guest's
# libcbor client); they must be what mkeif --describe computes. It runs in
# its own file system, as a real enclave's application does: the init's
# ramdisk is gone from its view.
if [ -x "$gbin/nsm-pcr" ]; then
	eif pcr sh -c "nsm-pcr 0 1 2; [ ! -e /init ] && [ ! -e /rootfs ] && [ -c /dev/nsm ] && echo ENCLAVE-IN-ROOTFS"
	"$tool" heartbeat count 1 > /dev/null 2>&1 &
	hb=$!
	enclave_start pcr parent-cid=2,enclave-cid=$ENC
	why=
	finish pcr
	kill $hb 2> /dev/null
	for i in 0 1 2; do
		want=$("$mkeif" --describe "$tmp/pcr.eif" | sed -n "s/^PCR$i //p")
		[ -n "$want" ] || why+="mkeif --describe gave no PCR$i; "
		why+=$(has "$tmp/pcr.log" "^PCR$i $want\$")
	done
	ktap_check nitro.enclave_reads_its_pcrs_from_nsm "$why"
	ktap_check nitro.enclave_runs_in_its_rootfs "$(has "$tmp/pcr.log" '^ENCLAVE-IN-ROOTFS')"
else
	ktap_check nitro.enclave_reads_its_pcrs_from_nsm "no nsm-pcr in build/guest/bin: run make guest"
	ktap_check nitro.enclave_runs_in_its_rootfs "no nsm-pcr in build/guest/bin: run make guest"
fi

vhost_user vhost_user_with_series "$qemu"
vhost_user vhost_user_without_series "$qemu_stock"

ktap_finished
