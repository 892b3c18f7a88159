/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vhost_vsock_fwd: the interface between the device (vsock_fwd.c) and its
 * generic netlink control plane (vsock_fwd_netlink.c).
 */
#ifndef _VHOST_VSOCK_FWD_NETLINK_H
#define _VHOST_VSOCK_FWD_NETLINK_H

#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/types.h>
#include <linux/vhost_fwd.h>

struct netlink_ext_ack;

/**
 * struct vsock_fwd_dev_info - a snapshot of one device for the control plane
 * @cid: guest CID
 * @pid: owner's thread group id in the namespace asked for, 0 without owner
 * @comm: owner's command name, empty without owner
 * @running: VHOST_VSOCK_SET_RUNNING started the device
 * @features: virtio features acknowledged by the VMM
 * @fwd: the forward in force; @fwd.target_cid is 0 when it is off
 * @source: where @fwd came from, &enum vsock_fwd_source
 * @stats: counters, indexed by &enum vsock_fwd_stat; index 0 and 1 unused
 */
struct vsock_fwd_dev_info {
	u32 cid;
	pid_t pid;
	char comm[TASK_COMM_LEN];
	bool running;
	u64 features;
	struct vhost_vsock_forward fwd;
	u32 source;
	u64 stats[VSOCK_FWD_STAT_MAX + 1];
};

/* Provided by the device, vsock_fwd.c. */

/**
 * vsock_fwd_dev_info_next() - the device with the lowest guest CID >= @cid
 * @cid: where to start
 * @ns: PID namespace in which to report the owner
 * @info: filled in on success
 *
 * Lets the control plane walk the devices in CID order without holding a
 * lock across calls.
 *
 * Context: process context; takes the device table lock.
 * Return: 0, or -ENOENT when there is no such device.
 */
int vsock_fwd_dev_info_next(u32 cid, struct pid_namespace *ns,
			    struct vsock_fwd_dev_info *info);

/**
 * vsock_fwd_dev_apply_rule() - apply or withdraw a rule on a live device
 * @cid: guest CID of the device
 * @fwd: the rule's forward, or NULL to withdraw it: the device's forward
 *	is then turned off if it came from a rule, and kept if from the ioctl
 * @extack: for an error message
 *
 * The device's forward changes from its next packet on and a
 * %VSOCK_FWD_CMD_FWD_CHANGE notification is sent when it changed.
 *
 * Context: process context; takes the device table lock.
 * Return: 0, -ENODEV when no device has @cid, or -EINVAL.
 */
int vsock_fwd_dev_apply_rule(u32 cid, const struct vhost_vsock_forward *fwd,
			     struct netlink_ext_ack *extack);

/* Provided by the control plane, vsock_fwd_netlink.c. */

int vsock_fwd_netlink_init(void);
void vsock_fwd_netlink_exit(void);
bool vsock_fwd_rule_lookup(u32 cid, struct vhost_vsock_forward *fwd);
bool vsock_fwd_notify_wanted(void);
void vsock_fwd_notify(u8 cmd, const struct vsock_fwd_dev_info *info);

#endif /* _VHOST_VSOCK_FWD_NETLINK_H */
