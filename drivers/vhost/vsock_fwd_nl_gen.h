/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/vsock_fwd.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_VSOCK_FWD_GEN_H
#define _LINUX_VSOCK_FWD_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/vsock_fwd.h>

/* Ops table for vsock_fwd */
extern const struct genl_split_ops vsock_fwd_nl_ops[7];

int vsock_fwd_nl_dev_get_start(struct netlink_callback *cb);
int vsock_fwd_nl_dev_get_done(struct netlink_callback *cb);

int vsock_fwd_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info);
int vsock_fwd_nl_dev_get_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb);
int vsock_fwd_nl_rule_get_doit(struct sk_buff *skb, struct genl_info *info);
int vsock_fwd_nl_rule_get_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb);
int vsock_fwd_nl_rule_set_doit(struct sk_buff *skb, struct genl_info *info);
int vsock_fwd_nl_rule_del_doit(struct sk_buff *skb, struct genl_info *info);
int vsock_fwd_nl_dev_set_doit(struct sk_buff *skb, struct genl_info *info);

enum {
	VSOCK_FWD_NLGRP_EVENTS,
};

#endif /* _LINUX_VSOCK_FWD_GEN_H */
