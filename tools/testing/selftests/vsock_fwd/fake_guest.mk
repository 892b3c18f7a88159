# SPDX-License-Identifier: GPL-2.0
#
# The fake-guest library, built once as $(FG_OUTPUT)/libfake_guest.a (by
# default build/selftests) for the selftests (Makefile) and the benchmark
# (bench/Makefile), which both include this: whichever builds first, the
# other finds it up to date. It has its own flags, so that it is the same
# object whichever of them builds it.

FG_DIR := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
FG_TOP := $(abspath $(FG_DIR)/../../../..)
FG_OUTPUT ?= $(FG_TOP)/build/selftests
FG_LIB := $(FG_OUTPUT)/libfake_guest.a
FG_OBJS := $(patsubst %,$(FG_OUTPUT)/fake_guest_%.o,vmm conn host traffic)
FG_HDRS := $(wildcard $(FG_DIR)/fake_guest*.h)
FG_CFLAGS := -Wall -Wextra -O2 -g -pthread -I$(FG_DIR) -I$(FG_TOP)/include/uapi

$(FG_OUTPUT)/fake_guest_%.o: $(FG_DIR)/fake_guest_%.c $(FG_HDRS)
	@mkdir -p $(@D)
	$(CC) $(FG_CFLAGS) -c -o $@ $<

$(FG_LIB): $(FG_OBJS)
	rm -f $@
	$(AR) rcs $@ $^
