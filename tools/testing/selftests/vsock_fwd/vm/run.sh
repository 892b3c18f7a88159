#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh [options] -- CMD [ARGS...]
#
# Boot the test kernel in QEMU and run CMD in it, from the top of the
# repository; only vm/init.sh's success token counts. The options and the
# exit status: usage() below.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../../../.." && pwd)
build=$top/build

module=ours timeout=600 mem=2048 smp='' append='' output='' keep='' quiet=0 interactive=0
icount=0 kdir='' ko=$top/vhost_vsock_fwd.ko
usage() {
	cat >&2 <<-'EOF'
	run.sh [options] -- CMD [ARGS...]

	Boot the test kernel (Debian 6.12, from 'make deps') in QEMU with this
	machine's root shared read-only over 9p, load the module under test, run
	CMD from the top of the repository and exit with its status. The run
	fails by default: only the success token that vm/init.sh prints after CMD
	counts. A panic, an oops, a WARN (panic_on_warn=1), a kernel complaint in
	dmesg, a module that does not unload or a hang gives no token. A kernel
	that dies before vm/init.sh runs is booted once more, once.

	  --module ours|stock|none   module to load (default: ours)
	  --timeout SEC              kill the VM after SEC seconds (default: 600)
	  --mem MB, --smp N          VM size (default: 2048, 2)
	  --append ARGS              more kernel command line (slub_debug=FZPU...)
	  --output FILE              also write CMD's output (without the kernel's
	                             console messages) to FILE
	  --keep DIR                 copy the files CMD leaves in /mnt/out/keep
	                             (logs of a benchmark) to DIR
	  --quiet                    do not print the console while it runs
	  --interactive              a shell on the console instead of CMD
	  --kernel DIR               boot DIR/bzImage (vm/debug/build-kernel.sh)
	                             instead of Debian's kernel: 9p root without an
	                             initramfs, modules from DIR/modroot
	  --ko FILE                  our module, built for that kernel
	  --icount                   guest time counts instructions while the
	                             guest runs, and the host's time while it
	                             waits (QEMU -icount, one host thread, one
	                             vCPU): slower, but the host's load no longer
	                             shows in what the guest computes

	Exit status: CMD's, 124 on timeout, 125 when the VM gave no success token.
	ACCEL=kvm:tcg uses KVM where it really works; the default is TCG.
	EOF
	exit 2
}
while [ $# -gt 0 ]; do
	case "$1" in
	--module) module=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--output) output=$2; shift 2 ;;
	--keep) keep=$2; shift 2 ;;
	--quiet) quiet=1; shift ;;
	--interactive) interactive=1; shift ;;
	--icount) icount=1; shift ;;
	--kernel) kdir=$(realpath "$2"); shift 2 ;;
	--ko) ko=$(realpath "$2"); shift 2 ;;
	--) shift; break ;;
	*) usage ;;
	esac
done
case "$module" in ours|stock|none) ;; *) usage ;; esac
# QEMU 7.2 crashed the guest twice in long runs with two vCPUs under icount,
# with impossible RFLAGS in the register dump; one vCPU never did.
if [ $icount = 1 ] && [ "${smp:-1}" != 1 ]; then
	echo "run.sh: --icount runs one vCPU (QEMU's TCG faulted with more)" >&2
	exit 2
fi
[ -n "$smp" ] || smp=$((icount ? 1 : 2))
[ $# -gt 0 ] || [ $interactive = 1 ] || usage

if [ "$module" = ours ] && [ ! -f "$ko" ]; then
	echo "run.sh: $ko not built; run 'make'" >&2
	exit 2
fi
mkdir -p "$build/vm"
if [ -n "$kdir" ]; then
	kernel=$kdir/bzImage
	[ -r "$kernel" ] || { echo "run.sh: $kernel missing" >&2; exit 2; }
	boot_args=(-kernel "$kernel")
	root="root=hostroot rootfstype=9p ro init=$here/init.sh"
	root+=" rootflags=trans=virtio,version=9p2000.L,msize=524288,cache=loose"
else
	kver=$(cut -d' ' -f1 "$build/kver" 2>/dev/null || true)
	[ -n "$kver" ] || { echo "run.sh: no test kernel recorded; run 'make deps'" >&2; exit 2; }
	kernel=/boot/vmlinuz-$kver
	[ -r "$kernel" ] || { echo "run.sh: $kernel missing; run 'make deps'" >&2; exit 2; }
	initrd=$build/vm/initramfs-$kver.cpio.gz
	if [ ! -f "$initrd" ] || [ "$here/initramfs-init" -nt "$initrd" ] ||
	   [ "$here/mkinitramfs.sh" -nt "$initrd" ]; then
		"$here/mkinitramfs.sh" "$kver" "$initrd"
	fi
	boot_args=(-kernel "$kernel" -initrd "$initrd")
	root="vsockfwd.init=$here/init.sh"
fi

out=$(mktemp -d "$build/vm/run.XXXXXX")
trap 'rm -rf "$out"' EXIT
nonce=$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
{
	printf 'TOP=%q\nMODULE=%q\nNONCE=%q\nINTERACTIVE=%q\n' \
		"$top" "$module" "$nonce" "$interactive"
	printf 'export VSOCKFWD_KO=%q\n' "$ko"
	[ -z "$kdir" ] || printf 'export VSOCKFWD_MODROOT=%q\n' "$kdir/modroot"
	# The top Makefile's kernel source, where the suites take the
	# kernel's ktap_helpers.sh from (ktap_lib.sh).
	[ -z "${KSRC:-}" ] || printf 'export KSRC=%q\n' "$(realpath -m "$KSRC")"
} > "$out/env"
[ -z "$keep" ] || mkdir "$out/keep"
printf '%q ' "$@" > "$out/cmd"
echo >> "$out/cmd"

cmdline="console=ttyS0 panic_on_warn=1 oops=panic panic=-1 quiet"
cmdline+=" $root${append:+ $append}"

# sleep=on: while the vCPU idles, waiting on the host (a 9p read of the
# root), guest time follows the host's clock. With sleep=off it jumped to
# each pending timer at once, so every 9p wait fired the guest's timeouts:
# a 0.6 s read took 10 s of guest time (the harness's icount_io_wait).
if [ $icount = 1 ]; then
	accel=(-machine q35 -accel "tcg,thread=single" -icount "shift=0,sleep=on")
else
	accel=(-machine "q35,accel=${ACCEL:-tcg}")
fi
qemu=(qemu-system-x86_64
	"${accel[@]}" -cpu max -m "$mem" -smp "$smp"
	-no-reboot -nodefaults -display none -monitor none
	"${boot_args[@]}" -append "$cmdline"
	-fsdev "local,id=root,path=/,readonly=on,security_model=none,multidevs=remap"
	-device "virtio-9p-pci,fsdev=root,mount_tag=hostroot"
	-fsdev "local,id=out,path=$out,security_model=none"
	-device "virtio-9p-pci,fsdev=out,mount_tag=out"
	-device virtio-rng-pci)

if [ $interactive = 1 ]; then
	exec "${qemu[@]}" -serial mon:stdio
fi

# A kernel that dies before init.sh runs has not run anything of ours: TCG
# on two vCPUs rarely breaks the kernel's own early code patching ("Oops:
# int3" at a static key while booting). Boot once more after that, and
# only after that; a second failure fails the run as any other does.
boot() {
	set +e
	if [ $quiet = 1 ]; then
		timeout -k 5 "$timeout" "${qemu[@]}" -serial stdio < /dev/null > "$out/console" 2>&1
		status=$?
	else
		timeout -k 5 "$timeout" "${qemu[@]}" -serial stdio < /dev/null 2>&1 | tee "$out/console"
		status=${PIPESTATUS[0]}
	fi
	set -e
}
boot
if [ "$status" -ne 124 ] && [ "$status" -ne 137 ] &&
   ! grep -q "^VSOCKFWD-BOOTED $nonce" "$out/console"; then
	echo "run.sh: the kernel died before init ran; console tail, then booting again:" >&2
	tail -n 20 "$out/console" >&2
	boot
fi

[ -z "$output" ] || cp "$out/output" "$output" 2>/dev/null || : > "$output"
if [ -n "$keep" ]; then
	mkdir -p "$keep"
	cp -r "$out/keep/." "$keep/"
fi

if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
	echo "run.sh: timeout after ${timeout}s" >&2
	exit 124
fi
rc=$(sed -n "s/^VSOCKFWD-DONE $nonce rc=\([0-9]*\).*/\1/p" "$out/console" | tail -n1)
if [ -z "$rc" ]; then
	echo "run.sh: no success token from the VM (panic, WARN or failed boot); console tail:" >&2
	tail -n 40 "$out/console" >&2
	exit 125
fi
if [ "$rc" -eq 125 ]; then
	echo "run.sh: the VM failed the run (module load or unload, or a kernel complaint); console tail:" >&2
	tail -n 40 "$out/console" >&2
fi
exit "$rc"
