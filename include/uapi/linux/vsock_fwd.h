/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/vsock_fwd.yaml */
/* YNL-GEN uapi header */

#ifndef _UAPI_LINUX_VSOCK_FWD_H
#define _UAPI_LINUX_VSOCK_FWD_H

#define VSOCK_FWD_GENL_NAME	"vsock_fwd"
#define VSOCK_FWD_GENL_VERSION	1

/**
 * enum vsock_fwd_forward_flags
 * @VHOST_VSOCK_FORWARD_F_STRICT: the guest may talk to its parent only
 */
enum vsock_fwd_forward_flags {
	VHOST_VSOCK_FORWARD_F_STRICT = 1,
};

/**
 * enum vsock_fwd_parent_flags
 * @VHOST_VSOCK_PARENT_F_ACCEPT: the device may be the parent of guests whose
 *   rules name it
 */
enum vsock_fwd_parent_flags {
	VHOST_VSOCK_PARENT_F_ACCEPT = 1,
};

/**
 * enum vsock_fwd_source - where the forward in force on a device came from
 * @VSOCK_FWD_SOURCE_NONE: no forward
 * @VSOCK_FWD_SOURCE_IOCTL: VHOST_VSOCK_SET_FORWARD on the device
 * @VSOCK_FWD_SOURCE_RULE: a rule of this family
 */
enum vsock_fwd_source {
	VSOCK_FWD_SOURCE_NONE,
	VSOCK_FWD_SOURCE_IOCTL,
	VSOCK_FWD_SOURCE_RULE,
};

enum vsock_fwd_attr {
	VSOCK_FWD_A_PAD = 1,
	VSOCK_FWD_A_CID,
	VSOCK_FWD_A_PID,
	VSOCK_FWD_A_COMM,
	VSOCK_FWD_A_RUNNING,
	VSOCK_FWD_A_FEATURES,
	VSOCK_FWD_A_ALIAS_CID,
	VSOCK_FWD_A_TARGET_CID,
	VSOCK_FWD_A_FLAGS,
	VSOCK_FWD_A_SOURCE,
	VSOCK_FWD_A_STATS,
	VSOCK_FWD_A_PARENT_FLAGS,

	__VSOCK_FWD_A_MAX,
	VSOCK_FWD_A_MAX = (__VSOCK_FWD_A_MAX - 1)
};

enum vsock_fwd_stats_attr {
	VSOCK_FWD_STATS_A_PAD = 1,
	VSOCK_FWD_STATS_A_OUT_PKTS,
	VSOCK_FWD_STATS_A_OUT_BYTES,
	VSOCK_FWD_STATS_A_IN_PKTS,
	VSOCK_FWD_STATS_A_IN_BYTES,
	VSOCK_FWD_STATS_A_REFUSED_PKTS,
	VSOCK_FWD_STATS_A_REFUSED_BYTES,
	VSOCK_FWD_STATS_A_UNREACHABLE_PKTS,
	VSOCK_FWD_STATS_A_UNREACHABLE_BYTES,
	VSOCK_FWD_STATS_A_UNTRACKED_PKTS,
	VSOCK_FWD_STATS_A_UNTRACKED_BYTES,
	VSOCK_FWD_STATS_A_OVERRUN_PKTS,
	VSOCK_FWD_STATS_A_OVERRUN_BYTES,
	VSOCK_FWD_STATS_A_LIMIT_PKTS,
	VSOCK_FWD_STATS_A_LIMIT_BYTES,

	__VSOCK_FWD_STATS_A_MAX,
	VSOCK_FWD_STATS_A_MAX = (__VSOCK_FWD_STATS_A_MAX - 1)
};

enum vsock_fwd_cmd {
	VSOCK_FWD_CMD_DEV_GET = 1,
	VSOCK_FWD_CMD_RULE_GET,
	VSOCK_FWD_CMD_RULE_SET,
	VSOCK_FWD_CMD_RULE_DEL,
	VSOCK_FWD_CMD_DEV_NEW,
	VSOCK_FWD_CMD_DEV_DEL,
	VSOCK_FWD_CMD_FWD_CHANGE,
	VSOCK_FWD_CMD_DEV_SET,

	__VSOCK_FWD_CMD_MAX,
	VSOCK_FWD_CMD_MAX = (__VSOCK_FWD_CMD_MAX - 1)
};

#define VSOCK_FWD_GENL_MCGRP_EVENTS	"events"

#endif /* _UAPI_LINUX_VSOCK_FWD_H */
