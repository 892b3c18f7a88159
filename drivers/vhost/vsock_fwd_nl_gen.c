// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/vsock_fwd.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "vsock_fwd_nl_gen.h"

#include <uapi/linux/vsock_fwd.h>

/* Integer value ranges */
static const struct netlink_range_validation vsock_fwd_a_cid_range = {
	.min	= 3ULL,
	.max	= 4294967294ULL,
};

static const struct netlink_range_validation vsock_fwd_a_alias_cid_range = {
	.min	= 3ULL,
	.max	= 4294967294ULL,
};

static const struct netlink_range_validation vsock_fwd_a_target_cid_range = {
	.min	= 2ULL,
	.max	= 4294967294ULL,
};

/* VSOCK_FWD_CMD_DEV_GET - do */
static const struct nla_policy vsock_fwd_dev_get_do_nl_policy[VSOCK_FWD_A_CID + 1] = {
	[VSOCK_FWD_A_CID] = NLA_POLICY_FULL_RANGE(NLA_U32, &vsock_fwd_a_cid_range),
};

/* VSOCK_FWD_CMD_DEV_GET - dump */
static const struct nla_policy vsock_fwd_dev_get_dump_nl_policy[VSOCK_FWD_A_PAD + 1] = {
};

/* VSOCK_FWD_CMD_RULE_GET - do */
static const struct nla_policy vsock_fwd_rule_get_do_nl_policy[VSOCK_FWD_A_CID + 1] = {
	[VSOCK_FWD_A_CID] = NLA_POLICY_FULL_RANGE(NLA_U32, &vsock_fwd_a_cid_range),
};

/* VSOCK_FWD_CMD_RULE_GET - dump */
static const struct nla_policy vsock_fwd_rule_get_dump_nl_policy[VSOCK_FWD_A_PAD + 1] = {
};

/* VSOCK_FWD_CMD_RULE_SET - do */
static const struct nla_policy vsock_fwd_rule_set_nl_policy[VSOCK_FWD_A_FLAGS + 1] = {
	[VSOCK_FWD_A_CID] = NLA_POLICY_FULL_RANGE(NLA_U32, &vsock_fwd_a_cid_range),
	[VSOCK_FWD_A_ALIAS_CID] = NLA_POLICY_FULL_RANGE(NLA_U32, &vsock_fwd_a_alias_cid_range),
	[VSOCK_FWD_A_TARGET_CID] = NLA_POLICY_FULL_RANGE(NLA_U32, &vsock_fwd_a_target_cid_range),
	[VSOCK_FWD_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, 0x1),
};

/* VSOCK_FWD_CMD_RULE_DEL - do */
static const struct nla_policy vsock_fwd_rule_del_nl_policy[VSOCK_FWD_A_CID + 1] = {
	[VSOCK_FWD_A_CID] = NLA_POLICY_FULL_RANGE(NLA_U32, &vsock_fwd_a_cid_range),
};

/* VSOCK_FWD_CMD_DEV_SET - do */
static const struct nla_policy vsock_fwd_dev_set_nl_policy[VSOCK_FWD_A_PARENT_FLAGS + 1] = {
	[VSOCK_FWD_A_CID] = NLA_POLICY_FULL_RANGE(NLA_U32, &vsock_fwd_a_cid_range),
	[VSOCK_FWD_A_PARENT_FLAGS] = NLA_POLICY_MASK(NLA_U32, 0x1),
};

/* Ops table for vsock_fwd */
const struct genl_split_ops vsock_fwd_nl_ops[7] = {
	{
		.cmd		= VSOCK_FWD_CMD_DEV_GET,
		.doit		= vsock_fwd_nl_dev_get_doit,
		.policy		= vsock_fwd_dev_get_do_nl_policy,
		.maxattr	= VSOCK_FWD_A_CID,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= VSOCK_FWD_CMD_DEV_GET,
		.start		= vsock_fwd_nl_dev_get_start,
		.dumpit		= vsock_fwd_nl_dev_get_dumpit,
		.done		= vsock_fwd_nl_dev_get_done,
		.policy		= vsock_fwd_dev_get_dump_nl_policy,
		.maxattr	= VSOCK_FWD_A_PAD,
		.flags		= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= VSOCK_FWD_CMD_RULE_GET,
		.doit		= vsock_fwd_nl_rule_get_doit,
		.policy		= vsock_fwd_rule_get_do_nl_policy,
		.maxattr	= VSOCK_FWD_A_CID,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= VSOCK_FWD_CMD_RULE_GET,
		.dumpit		= vsock_fwd_nl_rule_get_dumpit,
		.policy		= vsock_fwd_rule_get_dump_nl_policy,
		.maxattr	= VSOCK_FWD_A_PAD,
		.flags		= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= VSOCK_FWD_CMD_RULE_SET,
		.doit		= vsock_fwd_nl_rule_set_doit,
		.policy		= vsock_fwd_rule_set_nl_policy,
		.maxattr	= VSOCK_FWD_A_FLAGS,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= VSOCK_FWD_CMD_RULE_DEL,
		.doit		= vsock_fwd_nl_rule_del_doit,
		.policy		= vsock_fwd_rule_del_nl_policy,
		.maxattr	= VSOCK_FWD_A_CID,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= VSOCK_FWD_CMD_DEV_SET,
		.doit		= vsock_fwd_nl_dev_set_doit,
		.policy		= vsock_fwd_dev_set_nl_policy,
		.maxattr	= VSOCK_FWD_A_PARENT_FLAGS,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
};

static const struct genl_multicast_group vsock_fwd_nl_mcgrps[] = {
	[VSOCK_FWD_NLGRP_EVENTS] = { "events", },
};
