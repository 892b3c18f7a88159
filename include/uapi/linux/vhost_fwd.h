/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vhost_vsock_fwd: CID forwarding for the host side of virtio-vsock.
 *
 * A guest that dials its parent at a fixed CID (an AWS Nitro Enclave dials
 * CID 3) has that traffic re-addressed to the host or to another guest, and
 * the replies are re-addressed so that the guest only ever sees the alias.
 * See Documentation/virt/vsock-fwd.rst.
 */
#ifndef _UAPI_LINUX_VHOST_FWD_H
#define _UAPI_LINUX_VHOST_FWD_H

#include <linux/types.h>
#include <linux/vhost.h>

/**
 * struct vhost_vsock_forward - the forward of one vhost-vsock device
 * @alias_cid: CID the guest dials to reach its parent (3 for Nitro
 *	Enclaves). Must be > 2, < U32_MAX and not the guest's own CID.
 * @target_cid: where packets to @alias_cid really go: 2 (VMADDR_CID_HOST)
 *	delivers to host sockets, any other CID to that guest's device. Must
 *	not be 1, >= U32_MAX or the guest's own CID. 0 turns forwarding off;
 *	all other fields must then be 0. A target other than 2 requires
 *	CAP_NET_ADMIN of the caller, and the target guest's device must
 *	accept children (&struct vhost_vsock_parent). May equal @alias_cid (a
 *	parent that really has that CID).
 * @flags: VHOST_VSOCK_FORWARD_F_* flags; unknown bits are rejected.
 * @reserved: must be 0.
 *
 * Set with VHOST_VSOCK_SET_FORWARD at any time, before VHOST_SET_OWNER
 * included; it applies from the next packet. A forward that a rule of the
 * netlink family set may only be changed with CAP_NET_ADMIN (-EPERM).
 * VHOST_VSOCK_GET_FORWARD returns the forward in force.
 */
struct vhost_vsock_forward {
	__u64 alias_cid;
	__u64 target_cid;
	__u32 flags;
	__u32 reserved;
};

/*
 * The guest may talk to its parent only: packets to any other CID are
 * refused with a reset, and only the target may open connections to it.
 */
#define VHOST_VSOCK_FORWARD_F_STRICT	(1U << 0)
#define VHOST_VSOCK_FORWARD_F_ALL	VHOST_VSOCK_FORWARD_F_STRICT

#define VHOST_VSOCK_SET_FORWARD	_IOW(VHOST_VIRTIO, 0x62, struct vhost_vsock_forward)
#define VHOST_VSOCK_GET_FORWARD	_IOR(VHOST_VIRTIO, 0x63, struct vhost_vsock_forward)

/**
 * struct vhost_vsock_parent - whether a device may be other guests' parent
 * @flags: VHOST_VSOCK_PARENT_F_* flags; unknown bits are rejected.
 * @reserved: must be 0.
 *
 * Reachability between two guests needs consent on both ends: the child's
 * forward names the parent's CID (CAP_NET_ADMIN), and the parent's device
 * accepts children (this, also CAP_NET_ADMIN). The consent belongs to the
 * open device, not to its CID: a process that later takes the same CID on
 * another device is not a parent. Until a device accepts, its would-be
 * children's packets to it are answered with a reset and counted as
 * unreachable. Setting VHOST_VSOCK_PARENT_F_ACCEPT needs CAP_NET_ADMIN;
 * clearing it does not, and resets every connection with its children.
 * Set with VHOST_VSOCK_SET_PARENT at any time; VHOST_VSOCK_GET_PARENT
 * returns what is in force.
 */
struct vhost_vsock_parent {
	__u32 flags;
	__u32 reserved;
};

/* Guests whose forward targets this device's CID may reach it. */
#define VHOST_VSOCK_PARENT_F_ACCEPT	(1U << 0)
#define VHOST_VSOCK_PARENT_F_ALL	VHOST_VSOCK_PARENT_F_ACCEPT

#define VHOST_VSOCK_SET_PARENT	_IOW(VHOST_VIRTIO, 0x64, struct vhost_vsock_parent)
#define VHOST_VSOCK_GET_PARENT	_IOR(VHOST_VIRTIO, 0x65, struct vhost_vsock_parent)

/*
 * Generic netlink family "vsock_fwd": the same control keyed by guest CID,
 * for VMs whose VMM never calls VHOST_VSOCK_SET_FORWARD, and a view of every
 * device. Changes need CAP_NET_ADMIN; reading and listening do not. CIDs are
 * u32 on this interface (vsock CIDs are 32 bits; U32_MAX is VMADDR_CID_ANY).
 */
#define VSOCK_FWD_GENL_NAME		"vsock_fwd"
#define VSOCK_FWD_GENL_VERSION		1
#define VSOCK_FWD_GENL_MCGRP_EVENTS	"events"

/**
 * enum vsock_fwd_cmd - commands of the vsock_fwd family
 * @VSOCK_FWD_CMD_UNSPEC: unused
 * @VSOCK_FWD_CMD_DEV_GET: one device (request %VSOCK_FWD_A_CID) or, as a
 *	dump, every device that has a guest CID, in ascending CID order. Each
 *	reply carries the device attributes (see &enum vsock_fwd_attr).
 * @VSOCK_FWD_CMD_RULE_GET: one rule (request %VSOCK_FWD_A_CID) or, as a
 *	dump, every rule in ascending CID order.
 * @VSOCK_FWD_CMD_RULE_SET: create or replace the rule for guest
 *	%VSOCK_FWD_A_CID (required): %VSOCK_FWD_A_TARGET_CID (required),
 *	%VSOCK_FWD_A_ALIAS_CID (default 3), %VSOCK_FWD_A_FLAGS (default 0).
 *	Applied at once to a device that has that CID, and to any device that
 *	takes the CID later. The same rules as VHOST_VSOCK_SET_FORWARD apply.
 *	Needs CAP_NET_ADMIN.
 * @VSOCK_FWD_CMD_RULE_DEL: delete the rule for %VSOCK_FWD_A_CID. A device
 *	whose forward came from that rule stops forwarding; a forward set by
 *	ioctl stays. Needs CAP_NET_ADMIN.
 * @VSOCK_FWD_CMD_DEV_NEW: notification: a device took a guest CID. Device
 *	attributes.
 * @VSOCK_FWD_CMD_DEV_DEL: notification: a device gave up its guest CID
 *	(closed, or took another CID). %VSOCK_FWD_A_CID only.
 * @VSOCK_FWD_CMD_FWD_CHANGE: notification: the forward in force on a device
 *	changed. Device attributes, without the forward ones when it is off.
 * @VSOCK_FWD_CMD_DEV_SET: change the live device of guest %VSOCK_FWD_A_CID
 *	(required): %VSOCK_FWD_A_PARENT_FLAGS (required), as
 *	VHOST_VSOCK_SET_PARENT on it. Applies to that device only, never to
 *	a later holder of the CID. Needs CAP_NET_ADMIN.
 * @__VSOCK_FWD_CMD_MAX: internal
 * @VSOCK_FWD_CMD_MAX: highest command number
 *
 * Notifications go to the multicast group %VSOCK_FWD_GENL_MCGRP_EVENTS.
 */
enum vsock_fwd_cmd {
	VSOCK_FWD_CMD_UNSPEC,
	VSOCK_FWD_CMD_DEV_GET,
	VSOCK_FWD_CMD_RULE_GET,
	VSOCK_FWD_CMD_RULE_SET,
	VSOCK_FWD_CMD_RULE_DEL,
	VSOCK_FWD_CMD_DEV_NEW,
	VSOCK_FWD_CMD_DEV_DEL,
	VSOCK_FWD_CMD_FWD_CHANGE,
	VSOCK_FWD_CMD_DEV_SET,

	__VSOCK_FWD_CMD_MAX,
	VSOCK_FWD_CMD_MAX = __VSOCK_FWD_CMD_MAX - 1
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

/**
 * enum vsock_fwd_attr - attributes of the vsock_fwd family
 * @VSOCK_FWD_A_UNSPEC: unused
 * @VSOCK_FWD_A_PAD: padding for 64-bit attributes
 * @VSOCK_FWD_A_CID: u32, guest CID (3 .. U32_MAX - 1); the key of devices
 *	and rules
 * @VSOCK_FWD_A_PID: u32, process that owns the device (VHOST_SET_OWNER), in
 *	the PID namespace of the reader (of the process that caused the
 *	event, for notifications); absent without an owner
 * @VSOCK_FWD_A_COMM: string, that process's command name
 * @VSOCK_FWD_A_RUNNING: u8, 1 when VHOST_VSOCK_SET_RUNNING started it
 * @VSOCK_FWD_A_FEATURES: u64, virtio features acknowledged by the VMM
 * @VSOCK_FWD_A_ALIAS_CID: u32, the CID the guest dials to reach its parent
 *	(3 .. U32_MAX - 1)
 * @VSOCK_FWD_A_TARGET_CID: u32, where that traffic goes (2 .. U32_MAX - 1);
 *	absent in a device reply when forwarding is off
 * @VSOCK_FWD_A_FLAGS: u32, VHOST_VSOCK_FORWARD_F_* flags
 * @VSOCK_FWD_A_SOURCE: u32, &enum vsock_fwd_source of the forward in force
 * @VSOCK_FWD_A_STATS: nested, the device's counters (&enum vsock_fwd_stats_attr)
 * @VSOCK_FWD_A_PARENT_FLAGS: u32, VHOST_VSOCK_PARENT_F_* flags of a device
 * @__VSOCK_FWD_A_MAX: internal
 * @VSOCK_FWD_A_MAX: highest attribute number
 */
enum vsock_fwd_attr {
	VSOCK_FWD_A_UNSPEC,
	VSOCK_FWD_A_PAD,
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
	VSOCK_FWD_A_MAX = __VSOCK_FWD_A_MAX - 1
};

/**
 * enum vsock_fwd_stats_attr - counters of a device, all u64, nested in
 *	%VSOCK_FWD_A_STATS; bytes are payload bytes
 * @VSOCK_FWD_STATS_A_UNSPEC: unused
 * @VSOCK_FWD_STATS_A_PAD: padding for 64-bit attributes
 * @VSOCK_FWD_STATS_A_OUT_PKTS: packets the guest sent to its alias,
 *	delivered to the target
 * @VSOCK_FWD_STATS_A_OUT_BYTES: their bytes
 * @VSOCK_FWD_STATS_A_IN_PKTS: packets from the target delivered to the guest
 *	with the alias as source
 * @VSOCK_FWD_STATS_A_IN_BYTES: their bytes
 * @VSOCK_FWD_STATS_A_REFUSED_PKTS: packets refused by policy (strict),
 *	answered with a reset
 * @VSOCK_FWD_STATS_A_REFUSED_BYTES: their bytes
 * @VSOCK_FWD_STATS_A_UNREACHABLE_PKTS: packets answered with a reset because
 *	the target was absent or not running, or their route changed
 * @VSOCK_FWD_STATS_A_UNREACHABLE_BYTES: their bytes
 * @VSOCK_FWD_STATS_A_UNTRACKED_PKTS: packets between this guest and its
 *	guest target that belong to no connection opened through the forward,
 *	dropped (a reset answers those a stream would wait on)
 * @VSOCK_FWD_STATS_A_UNTRACKED_BYTES: their bytes
 * @VSOCK_FWD_STATS_A_OVERRUN_PKTS: packets from another guest dropped, and
 *	their connection reset at both ends, because this guest did not drain
 *	its receive queue
 * @VSOCK_FWD_STATS_A_OVERRUN_BYTES: their bytes
 * @VSOCK_FWD_STATS_A_LIMIT_PKTS: connection requests between this guest and
 *	its guest target refused with a reset because the device already
 *	tracks the max_conns connections the module allows
 * @VSOCK_FWD_STATS_A_LIMIT_BYTES: their bytes
 * @__VSOCK_FWD_STATS_A_MAX: internal
 * @VSOCK_FWD_STATS_A_MAX: highest counter number
 */
enum vsock_fwd_stats_attr {
	VSOCK_FWD_STATS_A_UNSPEC,
	VSOCK_FWD_STATS_A_PAD,
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
	VSOCK_FWD_STATS_A_MAX = __VSOCK_FWD_STATS_A_MAX - 1
};

#endif /* _UAPI_LINUX_VHOST_FWD_H */
