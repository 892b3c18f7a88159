/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vhost_vsock_fwd: what the generic netlink control plane
 * (vsock_fwd_netlink.c) offers the device (vsock_fwd.c). What the device
 * offers the control plane is in vsock_fwd.h.
 */
#ifndef _VHOST_VSOCK_FWD_NETLINK_H
#define _VHOST_VSOCK_FWD_NETLINK_H

#include <linux/types.h>
#include <linux/vhost_fwd.h>

struct net;
struct vsock_fwd_dev_info;

int vsock_fwd_netlink_init(void);
void vsock_fwd_netlink_exit(void);
bool vsock_fwd_rule_lookup(struct net *net, u32 cid,
			   struct vhost_vsock_forward *fwd);
bool vsock_fwd_notify_wanted(struct net *net);
void vsock_fwd_notify(struct net *net, u8 cmd,
		      const struct vsock_fwd_dev_info *info);

#endif /* _VHOST_VSOCK_FWD_NETLINK_H */
