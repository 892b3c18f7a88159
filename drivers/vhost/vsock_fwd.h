/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vhost_vsock_fwd: interface between the device and its control planes.
 *
 * The ioctls of drivers/vhost/vsock_fwd.c configure the device they are
 * issued on. A control plane that knows guests by CID only (the vsock_fwd
 * generic netlink family) uses the functions below instead, each in one
 * network namespace: it sees and changes the devices of that namespace
 * only. They take the device table mutex themselves and must not be called
 * with it held; they do not check capabilities, the caller does.
 */
#ifndef _DRIVERS_VHOST_VSOCK_FWD_H
#define _DRIVERS_VHOST_VSOCK_FWD_H

#include <linux/sched.h>
#include <linux/types.h>
#include <linux/vhost_fwd.h>

struct net;

/**
 * enum vsock_fwd_stat - what the per-device counters count
 * @VSOCK_FWD_STAT_OUT: packets the guest sent to its alias, delivered to
 *	the target
 * @VSOCK_FWD_STAT_IN: packets from the target delivered to the guest with
 *	the alias as source
 * @VSOCK_FWD_STAT_REFUSED: packets refused by policy (F_STRICT, the host
 *	dialled directly while it is the parent), answered with a reset
 * @VSOCK_FWD_STAT_UNREACHABLE: packets answered with a reset because the
 *	target guest is absent, not running or does not accept children, or
 *	the route they belong to was changed
 * @VSOCK_FWD_STAT_UNTRACKED: packets this guest sent to or from its guest
 *	parent outside any connection opened through the forward, dropped
 * @VSOCK_FWD_STAT_OVERRUN: packets from other guests dropped because this
 *	guest left too much of them in its RX queue; their connections end
 * @VSOCK_FWD_STAT_LIMIT: connection requests between this guest and its
 *	guest parent refused because the device tracks max_conns already
 * @VSOCK_FWD_NR_STATS: number of counters
 */
enum vsock_fwd_stat {
	VSOCK_FWD_STAT_OUT,
	VSOCK_FWD_STAT_IN,
	VSOCK_FWD_STAT_REFUSED,
	VSOCK_FWD_STAT_UNREACHABLE,
	VSOCK_FWD_STAT_UNTRACKED,
	VSOCK_FWD_STAT_OVERRUN,
	VSOCK_FWD_STAT_LIMIT,
	VSOCK_FWD_NR_STATS,
};

/**
 * struct vsock_fwd_dev_info - a snapshot of one device
 * @guest_cid: CID of the guest, 0 while none is set
 * @running: VHOST_VSOCK_SET_RUNNING is in effect
 * @fwd: the forward in force, all zero when off
 * @pkts: packets counted per &enum vsock_fwd_stat
 * @bytes: payload bytes of those packets
 * @owner_pid: process that called VHOST_SET_OWNER, in the caller's PID
 *	namespace; 0 before
 * @owner_comm: its command name then
 * @features: virtio features acknowledged by the VMM
 * @fwd_source: where @fwd came from, &enum vsock_fwd_source
 * @parent_flags: VHOST_VSOCK_PARENT_F_* in force
 */
struct vsock_fwd_dev_info {
	u32 guest_cid;
	bool running;
	struct vhost_vsock_forward fwd;
	u64 pkts[VSOCK_FWD_NR_STATS];
	u64 bytes[VSOCK_FWD_NR_STATS];
	pid_t owner_pid;
	char owner_comm[TASK_COMM_LEN];
	u64 features;
	u8 fwd_source;
	u32 parent_flags;
};

/**
 * struct vsock_fwd_dev_walk - a walk over all devices
 * @fn: called for each device, under the device table mutex, with the walk
 *	it belongs to (embed it to pass context); non-zero stops the walk
 */
struct vsock_fwd_dev_walk {
	int (*fn)(struct vsock_fwd_dev_walk *walk,
		  const struct vsock_fwd_dev_info *info);
};

int vsock_fwd_apply_rule(struct net *net, u32 guest_cid,
			 const struct vhost_vsock_forward *fwd);
int vsock_fwd_set_parent(struct net *net, u32 guest_cid, u32 flags);
int vsock_fwd_get_dev_info(struct net *net, u32 guest_cid,
			   struct vsock_fwd_dev_info *info);
int vsock_fwd_walk_devs(struct net *net, struct vsock_fwd_dev_walk *walk);

#endif /* _DRIVERS_VHOST_VSOCK_FWD_H */
