// SPDX-License-Identifier: GPL-2.0
/*
 * vhost_vsock_fwd: the vsock_fwd generic netlink family.
 *
 * A VM started by an unmodified VMM never calls VHOST_VSOCK_SET_FORWARD.
 * This family gives an administrator the same control keyed by guest CID:
 * a rule for a CID is applied at once to the device that has that CID, and
 * later to any device that takes it. It also lists the devices with their
 * owner, state, forward and counters, and announces devices appearing and
 * vanishing and forwards changing on the "events" multicast group.
 *
 * Changing rules needs CAP_NET_ADMIN (GENL_ADMIN_PERM); reading and
 * listening do not.
 *
 * From 7.0 vsock has network namespaces, and each has a control plane of
 * its own: the rules of a namespace apply to the devices opened in it, its
 * commands see and change those devices only, its events go to its own
 * listeners, and CAP_NET_ADMIN is checked in the user namespace that owns
 * it (GENL_UNS_ADMIN_PERM). So the owner of an unprivileged user namespace
 * configures the guests of its network namespaces, which can reach
 * nothing outside them through a forward. Before 7.0 every device belongs
 * to the initial namespace, and the family lives there only.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/limits.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vhost_fwd.h>
#include <linux/xarray.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/netlink.h>
#include <net/netns/generic.h>

#include "compat/compat.h"
#include "vsock_fwd.h"
#include "vsock_fwd_netlink.h"

/* Fewer rules than this; each is a few dozen bytes. */
#define VSOCK_FWD_MAX_RULES	65536

/* The Nitro Enclave parent CID: the alias of a rule that names none. */
#define VSOCK_FWD_DEFAULT_ALIAS	3

/**
 * struct vsock_fwd_rule - a forward to give the device that has a guest CID
 * @rcu: frees the rule after readers under rcu_read_lock() are done
 * @fwd: the forward; never off
 */
struct vsock_fwd_rule {
	struct rcu_head rcu;
	struct vhost_vsock_forward fwd;
};

/**
 * struct vsock_fwd_net - the rules of one network namespace
 * @rules: rules by guest CID. Changes hold @mutex, and so does the rule
 *	dump. vsock_fwd_rule_lookup() reads under rcu_read_lock() only,
 *	because the device calls it with its own locks held while the rule
 *	commands call into the device with @mutex held. A replaced or deleted
 *	rule is freed after a grace period.
 * @mutex: serializes changes of @rules
 * @nr_rules: entries in @rules
 */
struct vsock_fwd_net {
	struct xarray rules;
	/* Protects what the rule commands change. */
	struct mutex mutex;
	/* Under @mutex. */
	unsigned int nr_rules;
};

static unsigned int vsock_fwd_net_id __read_mostly;

static struct vsock_fwd_net *vsock_fwd_net(struct net *net)
{
	return net_generic(net, vsock_fwd_net_id);
}

/*
 * The policies, the ops table and the multicast groups, generated from
 * Documentation/netlink/specs/vsock_fwd.yaml (scripts/ynl-regen.sh). Part
 * of this file rather than an object of its own: a genetlink-legacy
 * family's group table is static in the generated source, and the family
 * that registers it is here (the generator writes one only for "genetlink"
 * families, which name their attributes differently from this uapi).
 */
#include "vsock_fwd_nl_gen.c"

static struct genl_family vsock_fwd_family;

/**
 * vsock_fwd_rule_lookup() - the rule for a guest CID
 * @net: the namespace of the device
 * @cid: guest CID
 * @fwd: the rule's forward, when there is one
 *
 * Called by the device when it takes a guest CID, after it can be found by
 * that CID, so that a rule set at the same time reaches it either way.
 *
 * Context: any; takes no lock.
 * Return: whether there is a rule for @cid.
 */
bool vsock_fwd_rule_lookup(struct net *net, u32 cid,
			   struct vhost_vsock_forward *fwd)
{
	struct vsock_fwd_rule *rule;
	bool found = false;

	rcu_read_lock();
	rule = xa_load(&vsock_fwd_net(net)->rules, cid);
	if (rule) {
		*fwd = rule->fwd;
		found = true;
	}
	rcu_read_unlock();
	return found;
}

static int vsock_fwd_put_forward(struct sk_buff *skb,
				 const struct vhost_vsock_forward *fwd)
{
	if (nla_put_u32(skb, VSOCK_FWD_A_ALIAS_CID, fwd->alias_cid) ||
	    nla_put_u32(skb, VSOCK_FWD_A_TARGET_CID, fwd->target_cid) ||
	    nla_put_u32(skb, VSOCK_FWD_A_FLAGS, fwd->flags))
		return -EMSGSIZE;
	return 0;
}

static int vsock_fwd_put_stats(struct sk_buff *skb,
			       const struct vsock_fwd_dev_info *info)
{
	static const struct {
		u16 pkts, bytes;
	} attr[VSOCK_FWD_NR_STATS] = {
		[VSOCK_FWD_STAT_OUT] = { VSOCK_FWD_STATS_A_OUT_PKTS,
					 VSOCK_FWD_STATS_A_OUT_BYTES },
		[VSOCK_FWD_STAT_IN] = { VSOCK_FWD_STATS_A_IN_PKTS,
					VSOCK_FWD_STATS_A_IN_BYTES },
		[VSOCK_FWD_STAT_REFUSED] = { VSOCK_FWD_STATS_A_REFUSED_PKTS,
					     VSOCK_FWD_STATS_A_REFUSED_BYTES },
		[VSOCK_FWD_STAT_UNREACHABLE] = {
			VSOCK_FWD_STATS_A_UNREACHABLE_PKTS,
			VSOCK_FWD_STATS_A_UNREACHABLE_BYTES },
		[VSOCK_FWD_STAT_UNTRACKED] = {
			VSOCK_FWD_STATS_A_UNTRACKED_PKTS,
			VSOCK_FWD_STATS_A_UNTRACKED_BYTES },
		[VSOCK_FWD_STAT_OVERRUN] = { VSOCK_FWD_STATS_A_OVERRUN_PKTS,
					     VSOCK_FWD_STATS_A_OVERRUN_BYTES },
		[VSOCK_FWD_STAT_LIMIT] = { VSOCK_FWD_STATS_A_LIMIT_PKTS,
					   VSOCK_FWD_STATS_A_LIMIT_BYTES },
	};
	struct nlattr *nest;
	int i;

	nest = nla_nest_start(skb, VSOCK_FWD_A_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < VSOCK_FWD_NR_STATS; i++) {
		if (nla_put_u64_64bit(skb, attr[i].pkts, info->pkts[i],
				      VSOCK_FWD_STATS_A_PAD) ||
		    nla_put_u64_64bit(skb, attr[i].bytes, info->bytes[i],
				      VSOCK_FWD_STATS_A_PAD)) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* One device message: CMD with the device's attributes. */
static int vsock_fwd_fill_dev(struct sk_buff *skb, u32 portid, u32 seq,
			      int flags, u8 cmd,
			      const struct vsock_fwd_dev_info *info)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &vsock_fwd_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;

	if (nla_put_u32(skb, VSOCK_FWD_A_CID, info->guest_cid))
		goto cancel_msg;
	if (cmd == VSOCK_FWD_CMD_DEV_DEL)
		goto end_msg;

	if (info->owner_pid &&
	    (nla_put_u32(skb, VSOCK_FWD_A_PID, info->owner_pid) ||
	     nla_put_string(skb, VSOCK_FWD_A_COMM, info->owner_comm)))
		goto cancel_msg;
	if (nla_put_u8(skb, VSOCK_FWD_A_RUNNING, info->running) ||
	    nla_put_u64_64bit(skb, VSOCK_FWD_A_FEATURES, info->features,
			      VSOCK_FWD_A_PAD) ||
	    nla_put_u32(skb, VSOCK_FWD_A_SOURCE, info->fwd_source) ||
	    nla_put_u32(skb, VSOCK_FWD_A_PARENT_FLAGS, info->parent_flags))
		goto cancel_msg;
	if (info->fwd.target_cid && vsock_fwd_put_forward(skb, &info->fwd))
		goto cancel_msg;
	if (vsock_fwd_put_stats(skb, info))
		goto cancel_msg;

end_msg:
	genlmsg_end(skb, hdr);
	return 0;

cancel_msg:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/**
 * vsock_fwd_notify_wanted() - whether anyone listens to the events group
 *	in a namespace
 * @net: the namespace
 *
 * Lets the device skip building a snapshot nobody will read.
 *
 * Return: true when the events group has listeners in @net.
 */
bool vsock_fwd_notify_wanted(struct net *net)
{
	return genl_has_listeners(&vsock_fwd_family, net,
				  VSOCK_FWD_NLGRP_EVENTS);
}

/**
 * vsock_fwd_notify() - announce a device event on the events group
 * @net: the namespace of the device, whose listeners only hear of it
 * @cmd: %VSOCK_FWD_CMD_DEV_NEW, %VSOCK_FWD_CMD_DEV_DEL or
 *	%VSOCK_FWD_CMD_FWD_CHANGE
 * @info: the device
 *
 * A notification that cannot be allocated is lost; listeners see a gap in
 * nothing but the event stream, and a dump tells the truth.
 *
 * Context: process context, may sleep.
 */
void vsock_fwd_notify(struct net *net, u8 cmd,
		      const struct vsock_fwd_dev_info *info)
{
	struct sk_buff *skb;

	if (!vsock_fwd_notify_wanted(net))
		return;

	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	if (vsock_fwd_fill_dev(skb, 0, 0, 0, cmd, info)) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_multicast_netns(&vsock_fwd_family, net, skb, 0,
				VSOCK_FWD_NLGRP_EVENTS, GFP_KERNEL);
}

int vsock_fwd_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vsock_fwd_dev_info dev;
	struct sk_buff *msg;
	u32 cid;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, VSOCK_FWD_A_CID))
		return -EINVAL;
	cid = nla_get_u32(info->attrs[VSOCK_FWD_A_CID]);

	err = vsock_fwd_get_dev_info(genl_info_net(info), cid, &dev);
	if (err) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack,
					info->attrs[VSOCK_FWD_A_CID],
					"no device has guest CID %u", cid);
		return -ENODEV;
	}

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	err = vsock_fwd_fill_dev(msg, info->snd_portid, info->snd_seq, 0,
				 VSOCK_FWD_CMD_DEV_GET, &dev);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

/**
 * struct vsock_fwd_dev_dump - where a device dump stands, in cb->ctx
 * @cids: guest CIDs of the devices when the dump started, ascending
 * @nr: number of entries in @cids
 * @pos: the next entry to dump
 *
 * The devices of the dumping socket's namespace are dumped in CID order
 * from that snapshot; a device that is gone by the time its turn comes is
 * skipped.
 */
struct vsock_fwd_dev_dump {
	u32 *cids;
	unsigned int nr;
	unsigned int pos;
};

/* Room in vsock_fwd_dev_dump::cids, filled under the device table lock. */
struct vsock_fwd_cid_list {
	struct vsock_fwd_dev_walk walk;
	u32 *cids;
	unsigned int nr;
	unsigned int size;
};

static int vsock_fwd_count_dev(struct vsock_fwd_dev_walk *walk,
			       const struct vsock_fwd_dev_info *info)
{
	struct vsock_fwd_cid_list *list =
		container_of(walk, struct vsock_fwd_cid_list, walk);

	if (info->guest_cid)
		list->size++;
	return 0;
}

static int vsock_fwd_list_dev(struct vsock_fwd_dev_walk *walk,
			      const struct vsock_fwd_dev_info *info)
{
	struct vsock_fwd_cid_list *list =
		container_of(walk, struct vsock_fwd_cid_list, walk);

	if (!info->guest_cid)
		return 0;
	/* Devices that took a CID since the count wait for the next dump. */
	if (list->nr == list->size)
		return 1;
	list->cids[list->nr++] = info->guest_cid;
	return 0;
}

static int vsock_fwd_cmp_cid(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

int vsock_fwd_nl_dev_get_start(struct netlink_callback *cb)
{
	struct vsock_fwd_dev_dump *dump = (void *)cb->ctx;
	struct vsock_fwd_cid_list list = {
		.walk.fn = vsock_fwd_count_dev,
	};
	struct net *net = sock_net(cb->skb->sk);
	int err;

	NL_ASSERT_CTX_FITS(struct vsock_fwd_dev_dump);

	err = vsock_fwd_walk_devs(net, &list.walk);
	if (err)
		return err;
	if (!list.size)
		return 0;
	list.cids = kvmalloc_array(list.size, sizeof(*list.cids), GFP_KERNEL);
	if (!list.cids)
		return -ENOMEM;
	list.walk.fn = vsock_fwd_list_dev;
	err = vsock_fwd_walk_devs(net, &list.walk);
	if (err < 0) {
		kvfree(list.cids);
		return err;
	}
	sort(list.cids, list.nr, sizeof(*list.cids), vsock_fwd_cmp_cid, NULL);

	dump->cids = list.cids;
	dump->nr = list.nr;
	dump->pos = 0;
	return 0;
}

int vsock_fwd_nl_dev_get_done(struct netlink_callback *cb)
{
	struct vsock_fwd_dev_dump *dump = (void *)cb->ctx;

	kvfree(dump->cids);
	return 0;
}

int vsock_fwd_nl_dev_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct vsock_fwd_dev_dump *dump = (void *)cb->ctx;
	struct vsock_fwd_dev_info dev;
	int err = 0;

	for (; dump->pos < dump->nr; dump->pos++) {
		if (vsock_fwd_get_dev_info(sock_net(skb->sk),
					   dump->cids[dump->pos], &dev))
			continue;
		err = vsock_fwd_fill_dev(skb, NETLINK_CB(cb->skb).portid,
					 cb->nlh->nlmsg_seq, NLM_F_MULTI,
					 VSOCK_FWD_CMD_DEV_GET, &dev);
		if (err)
			break;
	}

	/* A full buffer ends this part of the dump; the next resumes. */
	if (err == -EMSGSIZE && skb->len)
		return skb->len;
	return err ? err : skb->len;
}

static int vsock_fwd_fill_rule(struct sk_buff *skb, u32 portid, u32 seq,
			       int flags, u32 cid,
			       const struct vhost_vsock_forward *fwd)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &vsock_fwd_family, flags,
			  VSOCK_FWD_CMD_RULE_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, VSOCK_FWD_A_CID, cid) ||
	    vsock_fwd_put_forward(skb, fwd)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

int vsock_fwd_nl_rule_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vhost_vsock_forward fwd;
	struct sk_buff *msg;
	u32 cid;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, VSOCK_FWD_A_CID))
		return -EINVAL;
	cid = nla_get_u32(info->attrs[VSOCK_FWD_A_CID]);

	if (!vsock_fwd_rule_lookup(genl_info_net(info), cid, &fwd)) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack,
					info->attrs[VSOCK_FWD_A_CID],
					"no rule for guest CID %u", cid);
		return -ENOENT;
	}

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	err = vsock_fwd_fill_rule(msg, info->snd_portid, info->snd_seq, 0,
				  cid, &fwd);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

/* cb->args[0]: the lowest guest CID not dumped yet. */
int vsock_fwd_nl_rule_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct vsock_fwd_net *vn = vsock_fwd_net(sock_net(skb->sk));
	struct vsock_fwd_rule *rule;
	unsigned long cid;
	int err = 0;

	mutex_lock(&vn->mutex);
	xa_for_each_start(&vn->rules, cid, rule, cb->args[0]) {
		err = vsock_fwd_fill_rule(skb, NETLINK_CB(cb->skb).portid,
					  cb->nlh->nlmsg_seq, NLM_F_MULTI,
					  cid, &rule->fwd);
		if (err)
			break;
		cb->args[0] = cid + 1;
	}
	mutex_unlock(&vn->mutex);

	if (err == -EMSGSIZE && skb->len)
		return skb->len;
	return err ? err : skb->len;
}

int vsock_fwd_nl_rule_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vsock_fwd_net *vn = vsock_fwd_net(genl_info_net(info));
	struct vsock_fwd_rule *rule, *old;
	struct nlattr **attrs = info->attrs;
	u32 cid;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, VSOCK_FWD_A_CID) ||
	    GENL_REQ_ATTR_CHECK(info, VSOCK_FWD_A_TARGET_CID))
		return -EINVAL;
	cid = nla_get_u32(attrs[VSOCK_FWD_A_CID]);

	rule = kzalloc(sizeof(*rule), GFP_KERNEL_ACCOUNT);
	if (!rule)
		return -ENOMEM;
	rule->fwd.target_cid = nla_get_u32(attrs[VSOCK_FWD_A_TARGET_CID]);
	rule->fwd.alias_cid = VSOCK_FWD_DEFAULT_ALIAS;
	if (attrs[VSOCK_FWD_A_ALIAS_CID])
		rule->fwd.alias_cid = nla_get_u32(attrs[VSOCK_FWD_A_ALIAS_CID]);
	if (attrs[VSOCK_FWD_A_FLAGS])
		rule->fwd.flags = nla_get_u32(attrs[VSOCK_FWD_A_FLAGS]);

	/* The ranges are in the policy; the rest is relative to the CID. */
	if (rule->fwd.alias_cid == cid) {
		NL_SET_ERR_MSG_ATTR(info->extack, attrs[VSOCK_FWD_A_ALIAS_CID] ?:
				    attrs[VSOCK_FWD_A_CID],
				    "the alias CID is the guest's own CID");
		err = -EINVAL;
		goto free_rule;
	}
	if (rule->fwd.target_cid == cid) {
		NL_SET_ERR_MSG_ATTR(info->extack, attrs[VSOCK_FWD_A_TARGET_CID],
				    "the target CID is the guest's own CID");
		err = -EINVAL;
		goto free_rule;
	}

	mutex_lock(&vn->mutex);
	old = xa_load(&vn->rules, cid);
	if (!old && vn->nr_rules >= VSOCK_FWD_MAX_RULES) {
		NL_SET_ERR_MSG_FMT(info->extack,
				   "too many rules (%u); delete unused ones",
				   vn->nr_rules);
		err = -ENOSPC;
		goto unlock_rules;
	}
	/* Stored first, so that a device taking the CID now finds it. */
	err = xa_err(xa_store(&vn->rules, cid, rule, GFP_KERNEL_ACCOUNT));
	if (err)
		goto unlock_rules;

	err = vsock_fwd_apply_rule(genl_info_net(info), cid, &rule->fwd);
	if (err == -EPERM) {
		NL_SET_ERR_MSG_FMT(info->extack,
				   "guest CID %u: device opened without CAP_NET_ADMIN, no guest target",
				   cid);
		goto restore_old_rule;
	}
	if (err == -EINVAL)
		NL_SET_ERR_MSG_FMT(info->extack,
				   "the device with guest CID %u refused the forward",
				   cid);
	if (err && err != -ENODEV)
		goto restore_old_rule;

	if (old)
		kfree_rcu(old, rcu);
	else
		vn->nr_rules++;
	mutex_unlock(&vn->mutex);
	return 0;

restore_old_rule:
	if (old)
		xa_store(&vn->rules, cid, old, GFP_KERNEL);
	else
		xa_erase(&vn->rules, cid);
	mutex_unlock(&vn->mutex);
	/* A device taking the CID may have read it meanwhile. */
	kfree_rcu(rule, rcu);
	return err;

unlock_rules:
	mutex_unlock(&vn->mutex);
free_rule:
	kfree(rule);
	return err;
}

int vsock_fwd_nl_rule_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vsock_fwd_net *vn = vsock_fwd_net(genl_info_net(info));
	struct vsock_fwd_rule *rule;
	u32 cid;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, VSOCK_FWD_A_CID))
		return -EINVAL;
	cid = nla_get_u32(info->attrs[VSOCK_FWD_A_CID]);

	mutex_lock(&vn->mutex);
	rule = xa_load(&vn->rules, cid);
	if (!rule) {
		mutex_unlock(&vn->mutex);
		NL_SET_ERR_MSG_ATTR_FMT(info->extack,
					info->attrs[VSOCK_FWD_A_CID],
					"no rule for guest CID %u", cid);
		return -ENOENT;
	}
	/*
	 * Reserved, not erased: a device taking the CID now finds no rule,
	 * and if the device keeps its forward (no memory to turn it off),
	 * the rule goes back into its slot without allocating.
	 */
	xa_cmpxchg(&vn->rules, cid, rule, XA_ZERO_ENTRY, GFP_KERNEL);
	err = vsock_fwd_apply_rule(genl_info_net(info), cid, NULL);
	if (err && err != -ENODEV) {
		xa_store(&vn->rules, cid, rule, GFP_KERNEL);
		mutex_unlock(&vn->mutex);
		return err;
	}
	xa_erase(&vn->rules, cid);
	vn->nr_rules--;
	mutex_unlock(&vn->mutex);
	kfree_rcu(rule, rcu);
	return 0;
}

/*
 * Consent to be a parent goes to the device that holds the CID now, never to
 * a later one: no rule keeps it.
 */
int vsock_fwd_nl_dev_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	u32 cid;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, VSOCK_FWD_A_CID) ||
	    GENL_REQ_ATTR_CHECK(info, VSOCK_FWD_A_PARENT_FLAGS))
		return -EINVAL;
	cid = nla_get_u32(info->attrs[VSOCK_FWD_A_CID]);

	err = vsock_fwd_set_parent(genl_info_net(info), cid,
				   nla_get_u32(info->attrs[VSOCK_FWD_A_PARENT_FLAGS]));
	if (err == -ENODEV)
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, info->attrs[VSOCK_FWD_A_CID],
					"no device with guest CID %u", cid);
	return err;
}

/*
 * Rule commands are serialized by their namespace's mutex and device reads
 * by the device's own lock, so the family needs no genl_mutex.
 */
static struct genl_family vsock_fwd_family __ro_after_init = {
	.name		= VSOCK_FWD_GENL_NAME,
	.version	= VSOCK_FWD_GENL_VERSION,
	.module		= THIS_MODULE,
	.netnsok	= VSOCK_FWD_NETNS,
	.parallel_ops	= true,
	.split_ops	= vsock_fwd_nl_ops,
	.n_split_ops	= ARRAY_SIZE(vsock_fwd_nl_ops),
	.mcgrps		= vsock_fwd_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(vsock_fwd_nl_mcgrps),
};

static int __net_init vsock_fwd_net_init(struct net *net)
{
	struct vsock_fwd_net *vn = vsock_fwd_net(net);

	xa_init(&vn->rules);
	mutex_init(&vn->mutex);
	return 0;
}

/*
 * The namespace is gone: no command runs in it, and no device is left in
 * it to look its rules up (each holds its namespace).
 */
static void __net_exit vsock_fwd_net_exit(struct net *net)
{
	struct vsock_fwd_net *vn = vsock_fwd_net(net);
	struct vsock_fwd_rule *rule;
	unsigned long cid;

	xa_for_each(&vn->rules, cid, rule)
		kfree(rule);
	xa_destroy(&vn->rules);
}

static struct pernet_operations vsock_fwd_net_ops = {
	.init	= vsock_fwd_net_init,
	.exit	= vsock_fwd_net_exit,
	.id	= &vsock_fwd_net_id,
	.size	= sizeof(struct vsock_fwd_net),
};

/**
 * vsock_fwd_netlink_init() - register the vsock_fwd family
 *
 * Called by module init before the device is registered, so that the
 * device can look up rules and notify from its first open.
 *
 * Return: 0 or a negative errno.
 */
int __init vsock_fwd_netlink_init(void)
{
	int err;

	err = register_pernet_subsys(&vsock_fwd_net_ops);
	if (err)
		return err;
	err = genl_register_family(&vsock_fwd_family);
	if (err) {
		pr_err("cannot register generic netlink family %s: %d\n",
		       VSOCK_FWD_GENL_NAME, err);
		unregister_pernet_subsys(&vsock_fwd_net_ops);
	}
	return err;
}

/**
 * vsock_fwd_netlink_exit() - unregister the family and drop every rule
 *
 * Called by module exit after the device is gone.
 */
void vsock_fwd_netlink_exit(void)
{
	genl_unregister_family(&vsock_fwd_family);
	/* No command runs any more and no device looks rules up. */
	unregister_pernet_subsys(&vsock_fwd_net_ops);
}
