#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# guest/build-initramfs.sh SRC OUT
#
# Build the initramfs of the end-to-end test guests, OUT/initramfs.cpio:
# nitro-init as /init, busybox (the busybox-static package) for the shell
# and utilities, our static helpers vsock-echo and vsock-xfer, and
# upstream's vsock_test from the extracted linux-source SRC,
# linked statically; and nsm-pcr, linked dynamically against libcbor
# (Debian ships no static libcbor), with the shared libraries it loads.
# The programs are also left in OUT/bin, where they run in the test VM as
# well. For enclave images (build-eif.sh), the same split as nitro-cli's:
# OUT/bootstrap.cpio holds only the init, OUT/rootfs.cpio the rest under
# /rootfs, the user's file system the init chroots into. Skipped when
# nothing it is built from changed. It is not compressed: unpacking gzip costs a nested guest
# seconds at every boot, reading 6 MB more costs QEMU nothing.
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 SRC OUT" >&2
	exit 2
fi
src=$(realpath "$1")
out=$(realpath -m "$2")
here=$(dirname "$(realpath "$0")")
vsock=$src/tools/testing/vsock
busybox=/bin/busybox
libcbor=$(realpath /usr/lib/x86_64-linux-gnu/libcbor.so)
work=$out/initramfs
bin=$out/bin

if [ ! -f "$vsock/vsock_test.c" ] || [ ! -f "$src/usr/gen_init_cpio.c" ]; then
	echo "error: $src is not a kernel source tree; run 'make source'" >&2
	exit 1
fi
if ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
	echo "error: $busybox is not a static busybox; install busybox-static" >&2
	exit 1
fi
if [ ! -f "$libcbor" ]; then
	echo "error: no libcbor.so; install libcbor-dev (make deps)" >&2
	exit 1
fi
mkdir -p "$out"
exec 9>"$out/.initramfs.lock"
flock 9

inputs=$( {
	make -s -C "$src" kernelversion
	gcc --version | head -n1
	cat "$0" "$here"/*.c "$here"/*.h "$here/../fake_guest_pattern.h" \
		"$busybox" "$libcbor" "$src/usr/gen_init_cpio.c" \
		"$vsock"/*.c "$vsock"/*.h "$vsock"/Makefile
} | sha256sum | cut -d' ' -f1)
if [ -f "$out/initramfs.cpio" ] && [ "$(cat "$out/initramfs.inputs" 2>/dev/null)" = "$inputs" ]; then
	echo "  GUEST   initramfs is up to date: $out/initramfs.cpio"
	exit 0
fi
start=$SECONDS
rm -rf "$work"
mkdir -p "$work" "$bin"

echo "  GUEST   initramfs: helpers (nitro-init vsock-echo vsock-xfer vsock-rebind)"
for prog in nitro-init vsock-echo vsock-xfer vsock-rebind; do
	gcc -static -s -O2 -Wall -Wextra -Werror -Wno-unused-parameter \
		-o "$bin/$prog" "$here/$prog.c" "$here/vsock-util.c"
done

# Upstream's Makefile, run from a directory laid out like the source tree
# so that its relative include paths (../../include for tools/include,
# ../../../usr/include for the uapi headers of this very kernel) resolve;
# VPATH finds the sources and LDFLAGS links statically. The uapi headers
# come from 'make headers' into that layout: the build machine's may be
# older than what vsock_test uses.
echo "  GUEST   initramfs: vsock_test from $(basename "$src") (static)"
vt=$work/vsock/tools/testing/vsock
mkdir -p "$vt" "$work/vsock/tools"
ln -s "$src/tools/include" "$work/vsock/tools/include"
log=$work/vsock.log
if ! { make -C "$src" O="$work/vsock" ARCH=x86_64 headers &&
       make -C "$vt" -f "$vsock/Makefile" VPATH="$vsock" LDFLAGS="-static -s" \
		vsock_test; } >"$log" 2>&1; then
	tail -n 30 "$log" >&2
	echo "error: building vsock_test failed; full log: $log" >&2
	exit 1
fi
# Static glibc warns that getaddrinfo() may need NSS at run time: not for
# the numeric addresses the control channel uses.
cp "$vt/vsock_test" "$bin/"

# /dev/nsm's uapi header is only in the headers of this very kernel.
echo "  GUEST   initramfs: nsm-pcr (libcbor)"
gcc -s -O2 -Wall -Wextra -Werror -I"$work/vsock/usr/include" \
	-o "$bin/nsm-pcr" "$here/nsm-pcr.c" -lcbor
# The shared objects it loads, each at the path the dynamic linker uses.
libs=$(ldd "$bin/nsm-pcr" | grep -o '/[^ ]*')

echo "  GUEST   initramfs: packing"
gcc -O2 -o "$work/gen_init_cpio" "$src/usr/gen_init_cpio.c"
# The init's own: what the kernel needs to start it.
boot_list() {
	for d in /dev /proc /sys; do
		echo "dir $d 0755 0 0"
	done
	echo "dir /tmp 1777 0 0"
	# The kernel opens it for init's stdin/out/err before devtmpfs exists.
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "file /init $bin/nitro-init 0755 0 0"
}
# The user's file system: the shell, the tools, the test programs.
user_list() {
	for d in /bin /sbin /usr /usr/bin /usr/sbin /dev /proc /sys /root /run; do
		echo "dir $d 0755 0 0"
	done
	echo "dir /tmp 1777 0 0"
	echo "file /bin/busybox $busybox 0755 0 0"
	for prog in vsock-echo vsock-xfer vsock-rebind vsock_test nsm-pcr; do
		echo "file /bin/$prog $bin/$prog 0755 0 0"
	done
	# Directories (with their parents) sort before files, parents first.
	for lib in $libs; do
		d=$(dirname "$lib")
		while [ "$d" != / ]; do
			echo "dir $d 0755 0 0"
			d=$(dirname "$d")
		done
		echo "file $lib $(realpath "$lib") 0755 0 0"
	done | sort -u
	"$busybox" --list-full | grep / | grep -vx 'bin/busybox' |
		sed 's|^\(.*\)$|slink /\1 /bin/busybox 0777 0 0|'
}
# pack NAME: OUT/NAME.cpio from the list on standard input.
pack() {
	cat > "$work/$1.list"
	"$work/gen_init_cpio" -t 0 "$work/$1.list" >"$out/$1.cpio.tmp"
	mv "$out/$1.cpio.tmp" "$out/$1.cpio"
}
# Both in one for the plain guests: the same entries once, directories
# first, parents before children.
{ boot_list; user_list; } | LC_ALL=C sort -u | pack initramfs
{ boot_list; echo "dir /rootfs 0755 0 0"; } | pack bootstrap
{ echo "dir /rootfs 0755 0 0"; user_list | sed -E 's#^([a-z]+) /#\1 /rootfs/#'; } | pack rootfs
echo "$inputs" >"$out/initramfs.inputs"
echo "  GUEST   initramfs built in $((SECONDS - start))s: $out/initramfs.cpio ($(($(stat -c %s "$out/initramfs.cpio") / 1024)) KiB)"
