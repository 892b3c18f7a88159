# SPDX-License-Identifier: GPL-2.0
#
# vhost_vsock_fwd: the module, its tools and its tests.
#
#   make deps        install what everything below needs (apt)
#   make             build vhost_vsock_fwd.ko and the tools
#   make install     install the module (modules_install) and vsock-fwd
#   make deb         Debian packages in build/deb (dpkg-buildpackage, lintian)
#   make install-dkms  install the module's source for DKMS under
#                    $(DESTDIR)/usr/src/vhost_vsock_fwd-VERSION
#   make ynl-gen     regenerate the netlink family's uapi enums, policies
#                    and ops from its YNL spec (the kernel's ynl-gen-c)
#   make demo        deps, build, and an enclave (an EIF on QEMU's
#                    nitro-enclave machine) heartbeating its parent
#   make qemu        QEMU 10.0 with the parent-cid series (tools/qemu), built
#                    once into the cache; build/qemu links to it
#   make qemu-stock  the same QEMU without the series (build/qemu-stock)
#   make check       deps, build, style checks, the VM test suites, some of
#                    them again on the newest 7.x kernel, built from source,
#                    and on the debug kernel (below)
#   make check-nitro the nitro suite, with the machine's vhost-user path too
#   make check-install the install suite with DKMS, and the Debian packages
#   make check-debug the VM test suites on a debug kernel (KASAN, lockdep,
#                    kmemleak, fault injection), built once per machine into
#                    the cache
#   make bench       the benchmark against stock vhost_vsock (build/bench.json);
#                    BENCH_ARGS='-- --rounds 12' to tune it
#   make peer        build rust-vmm's vhost-device-vsock, the userspace daemon
#                    the benchmark compares us with (build/peer, cached)
#   make vm-shell    a shell in the test VM with our module loaded
#   make clean
#
# The module is built against Debian's 6.12 test kernel recorded by
# 'make deps' in build/kver, or against KVER= (an installed kernel's
# release) or KDIR= (a kernel build tree), 6.12 or newer. It needs the
# kernel's drivers/vhost/vhost.h: from KDIR when that is a full source tree,
# else from KSRC= (the matching source: Debian's linux-source-*, a distro's
# source tree, a git checkout), else from Debian's linux-source-X.Y
# extracted into build/.

TOP := $(CURDIR)
BUILD := $(TOP)/build
SELFTESTS := $(TOP)/tools/testing/selftests/vsock_fwd
# The peer's build script and sources, shared beside the checkout.
PEER_SRC ?= $(TOP)/../shared/peers/vhost-device-vsock

KVER ?= $(firstword $(shell cat $(BUILD)/kver 2>/dev/null))
KDIR ?= /lib/modules/$(KVER)/build

# The kernel release of KDIR, and its upstream version (6.12.117).
KREL = $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)
SRCVER = $(firstword $(subst +, ,$(subst -, ,$(KREL))))

# The oldest kernel whose APIs the compat layer covers (6.1 would need
# eleven more, see drivers/vhost/compat/).
KMIN := 6.12

# KSRC also gives the tools and tests their kernel sources (checkpatch, the
# kselftest headers, vsock_test, the guest kernel).
ifneq ($(filter command line environment,$(origin KSRC)),)
VHOST_SRC = $(KSRC)
SOURCE_CMD = check
else
KSRC = $(BUILD)/linux-$(SRCVER)
SOURCE_CMD = extract
ifneq ($(wildcard $(KDIR)/drivers/vhost/vhost.h),)
VHOST_SRC := $(KDIR)
else
VHOST_SRC = $(KSRC)
endif
endif

MODULE := vhost_vsock_fwd.ko
KMAKE = $(MAKE) -C $(KDIR) M=$(TOP) VHOST_SRC=$(VHOST_SRC)

.PHONY: all module tools install install-dkms deb ynl-gen deps check check-vm check-nitro \
	check-install check-debug debug-module demo demo-vm bench guest peer style vm-shell \
	clean kdir source qemu qemu-stock

all: module tools

kdir:
	@if [ -z "$(KVER)$(filter command line environment,$(origin KDIR))" ]; then \
		echo "error: no test kernel recorded; run 'make deps' first, or give KVER= or KDIR=" >&2; exit 1; fi
	@if [ ! -f $(KDIR)/Makefile ]; then \
		echo "error: no kernel build tree at $(KDIR); install linux-headers-$(KVER) (make deps)" >&2; exit 1; fi
	@if [ -z "$(SRCVER)" ]; then \
		echo "error: $(KDIR) is not a prepared kernel tree (no include/config/kernel.release); run make modules_prepare there" >&2; exit 1; fi
	@if ! printf '%s\n' $(KMIN) $(SRCVER) | sort -V -C; then \
		echo "error: linux $(SRCVER) is too old: vhost_vsock_fwd needs linux $(KMIN) or newer" >&2; exit 1; fi

source: kdir
	@$(TOP)/scripts/kernel-source.sh $(SOURCE_CMD) $(SRCVER) $(KSRC)

module: kdir $(if $(filter $(KDIR),$(VHOST_SRC)),,source)
	$(KMAKE) modules

tools: source
	$(MAKE) -C $(TOP)/tools/vsock-fwd
	$(MAKE) -C $(TOP)/tools/mkeif
	$(MAKE) -C $(SELFTESTS) KSRC=$(KSRC)
	$(MAKE) -C $(SELFTESTS)/bench

# No rebuild here: 'sudo make install' after 'make' must not build as root
# in the user's tree.
install:
	@[ -f $(MODULE) ] || { echo "error: $(MODULE) not built; run 'make' first" >&2; exit 1; }
	$(KMAKE) modules_install
	@# Kbuild skips depmod without System.map, which headers packages lack.
	depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KREL)
	$(MAKE) -C $(TOP)/tools/vsock-fwd install
	$(MAKE) -C $(TOP)/tools/mkeif install

# What 'dkms add' and the -dkms package need to build the module: the
# version is dkms.conf's.
DKMS_VERSION = $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' $(TOP)/dkms.conf)
DKMS_DIR = $(DESTDIR)/usr/src/vhost_vsock_fwd-$(DKMS_VERSION)
DKMS_FILES := Kbuild Makefile dkms.conf scripts/kernel-source.sh \
	$(patsubst $(TOP)/%,%,$(wildcard $(TOP)/include/uapi/linux/*.h \
		$(TOP)/drivers/vhost/*.[ch] $(TOP)/drivers/vhost/compat/*))

install-dkms:
	cd $(TOP) && for f in $(DKMS_FILES); do \
		install -D -m 0644 $$f $(DKMS_DIR)/$$f || exit; done
	chmod 0755 $(DKMS_DIR)/scripts/kernel-source.sh

deb:
	@$(TOP)/scripts/build-deb.sh

# 'make style' checks that the committed files are what this gives.
ynl-gen: source
	@$(TOP)/scripts/ynl-regen.sh $(KSRC)

deps:
	@$(TOP)/scripts/deps.sh

style: source
	$(SELFTESTS)/style.sh $(KSRC) $(KDIR) $(VHOST_SRC)

# deps may record the test kernel only now: the rest runs in a new make.
check: deps
	@$(MAKE) --no-print-directory check-vm

CHECK_ENV = KSRC=$(KSRC) KDIR=$(KDIR) VHOST_SRC=$(VHOST_SRC) \
	DEBUG_KERNEL=$(DEBUG_KERNEL) DEBUG_KO=$(DEBUG_MOD)/$(MODULE)

check-vm: all guest qemu debug-module
	@$(CHECK_ENV) $(SELFTESTS)/check.sh check

# The nitro suite (make check runs it too: EIFs on the nitro-enclave machine
# of the QEMU 10.0 build, against ours and stock), here with the machine's
# vhost-user path as well: through the peer, on QEMU with and without the
# series. The peer's source is not part of the tree (PEER_SRC).
check-nitro: all guest qemu qemu-stock peer
	$(SELFTESTS)/vm/run.sh --module ours --icount --timeout 2400 -- \
		$(SELFTESTS)/nitro_test.sh --vhost-user
	$(SELFTESTS)/vm/run.sh --module stock --icount --timeout 2400 -- \
		$(SELFTESTS)/nitro_test.sh --vhost-user

# make check runs the install suite's make install part; this adds DKMS
# from the tree (make install-dkms, dkms add/build/install/remove) and the
# Debian packages installed in the VM, whose DKMS compiles the module too.
check-install: all deb
	$(SELFTESTS)/vm/run.sh --module none --timeout 3000 -- \
		$(SELFTESTS)/install_test.sh
	$(SELFTESTS)/vm/run.sh --module none --timeout 3000 -- \
		$(SELFTESTS)/deb_test.sh

# The debug kernel, and our module built against it in a copy of the
# sources (scripts/module-tree.sh), apart from the normal build.
DEBUG_KERNEL := $(BUILD)/debug-kernel
DEBUG_MOD := $(BUILD)/debug-module

check-debug: deps
	@$(MAKE) --no-print-directory debug-module tools guest
	@$(CHECK_ENV) $(SELFTESTS)/check.sh debug

debug-module: source
	@$(SELFTESTS)/vm/debug/build-kernel.sh $(KSRC) $(DEBUG_KERNEL)
	$(TOP)/scripts/module-tree.sh $(DEBUG_MOD)
	$(MAKE) -C $(DEBUG_KERNEL)/obj M=$(DEBUG_MOD) VHOST_SRC=$(KSRC) modules

demo: deps
	@$(MAKE) --no-print-directory demo-vm

demo-vm: all guest qemu
	@echo "Booting the test VM (Debian's 6.12 kernel in QEMU) with vhost_vsock_fwd loaded..."
	@$(SELFTESTS)/vm/run.sh --module ours --timeout 900 -- scripts/demo-vm.sh

bench: all guest peer
	$(SELFTESTS)/bench/vm-bench.sh $(BENCH_ARGS)

# The small kernel and initramfs of the end-to-end tests' guests.
guest: source
	@$(SELFTESTS)/guest/build-kernel.sh $(KSRC) $(BUILD)/guest
	@$(SELFTESTS)/guest/build-initramfs.sh $(KSRC) $(BUILD)/guest

# Not part of deps' 'make all': only the benchmark needs it.
peer:
	@$(TOP)/scripts/peer.sh $(PEER_SRC) $(BUILD)/peer

# QEMU's cache key covers the series and the configuration: a rebuild only
# when either, or Debian's QEMU 10.0 version, changes.
qemu:
	@$(TOP)/tools/qemu/build.sh $(BUILD)/qemu

qemu-stock:
	@$(TOP)/tools/qemu/build.sh --no-series $(BUILD)/qemu-stock

vm-shell: all
	$(SELFTESTS)/vm/run.sh --module ours --interactive

clean:
	-[ ! -f $(KDIR)/Makefile ] || $(KMAKE) clean
	-[ ! -f $(KDIR)/Makefile ] || $(MAKE) -C $(KDIR) M=$(SELFTESTS)/vm/warn clean
	-$(MAKE) -C $(TOP)/tools/vsock-fwd clean
	-$(MAKE) -C $(TOP)/tools/mkeif clean
	-$(MAKE) -C $(SELFTESTS) KSRC=$(KSRC) clean
	-$(MAKE) -C $(SELFTESTS)/bench clean
	rm -rf $(BUILD)
