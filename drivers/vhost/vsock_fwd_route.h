/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vhost_vsock_fwd: the forwarding policy (vsock_fwd_route.c) and what it
 * needs of the device (vsock_fwd.c).
 *
 * Each device embeds a struct vsock_fwd_node: the guest's CID, the forward
 * in force, whether the guest accepts children, the connections between
 * the guest and its guest parent, and the counters. The device asks the
 * policy about every packet (vsock_fwd_route_tx(), vsock_fwd_route_from_host())
 * and tells it about control operations; the policy finds other devices and
 * queues packets for guests through the device's functions below.
 */
#ifndef _DRIVERS_VHOST_VSOCK_FWD_ROUTE_H
#define _DRIVERS_VHOST_VSOCK_FWD_ROUTE_H

#include <linux/atomic.h>
#include <linux/mutex.h>
#include <linux/rhashtable-types.h>
#include <linux/skbuff.h>
#include <linux/types.h>
#include <linux/u64_stats_sync.h>
#include <linux/vhost_fwd.h>

#include "vsock_fwd.h"

/**
 * struct vsock_fwd_route - the forward of one device
 * @alias: CID the guest dials to reach its parent; 0 when off
 * @target: where @alias really is, VMADDR_CID_HOST or a guest; 0 when off
 * @flags: VHOST_VSOCK_FORWARD_F_*
 * @stale_alias: alias of an earlier forward that this one dropped. Its
 *	streams were reset when it was dropped; a packet the guest still
 *	sends there gets a reset too, in case that reset could not be queued.
 * @rcu: frees a replaced route once the fast path is done with it
 *
 * Never modified once published: a change publishes a new route.
 */
struct vsock_fwd_route {
	u32 alias;
	u32 target;
	u32 flags;
	u32 stale_alias;
	struct rcu_head rcu;
};

/**
 * struct vsock_fwd_pcpu_stats - per-CPU part of a device's counters
 * @pkts: packets per &enum vsock_fwd_stat
 * @bytes: payload bytes per &enum vsock_fwd_stat
 * @syncp: makes the 64-bit counters readable on 32-bit hosts
 */
struct vsock_fwd_pcpu_stats {
	u64_stats_t pkts[VSOCK_FWD_NR_STATS];
	u64_stats_t bytes[VSOCK_FWD_NR_STATS];
	struct u64_stats_sync syncp;
};

/**
 * struct vsock_fwd_node - the forwarding state of one device
 * @guest_cid: the guest's CID, 0 while unset
 * @route: the forward in force, never NULL
 * @fwd_source: where @route came from, &enum vsock_fwd_source
 * @parent_flags: VHOST_VSOCK_PARENT_F_*: may other guests' forwards reach
 *	this guest
 * @conns: connections between this guest and its guest target (&struct
 *	vsock_fwd_conn), keyed by both ends' ports. Only a child has any.
 * @nr_conns: entries in @conns; at most the max_conns module parameter
 * @up_charged: truesize of this guest's packets waiting in its guest
 *	parent's RX queue, at most VSOCK_FWD_RX_BUDGET
 * @down_charged: the same for the parent's packets in this guest's queue
 * @stats: the counters, per CPU
 */
struct vsock_fwd_node {
	/* Written under vsock_fwd_mutex; the fast path reads it unlocked. */
	u32 guest_cid;
	/* Replaced under vsock_fwd_mutex, read under RCU. */
	struct vsock_fwd_route __rcu *route;
	/* Under vsock_fwd_mutex. */
	u8 fwd_source;
	/* Written under vsock_fwd_mutex, read with READ_ONCE(). */
	u32 parent_flags;
	/* Synchronizes itself: lookups under RCU, changes on its bucket locks. */
	struct rhashtable conns;
	/* Atomic: both ends' TX workers open and end connections. */
	atomic_t nr_conns;
	/* Atomic: charged by senders' TX workers, uncharged as packets leave. */
	atomic_t up_charged;
	atomic_t down_charged;
	/* Each CPU updates its own, readers sum them. */
	struct vsock_fwd_pcpu_stats __percpu *stats;
};

/**
 * enum vsock_fwd_verdict - what to do with a packet a guest sent
 * @VSOCK_FWD_DROP: drop it silently, as upstream does with misaddressed
 *	packets
 * @VSOCK_FWD_HOST: deliver it to host sockets
 * @VSOCK_FWD_GUEST: queue it to the guest vsock_fwd_route_tx() named; it is
 *	charged to the budget of the pair already
 * @VSOCK_FWD_RESET: drop it and answer with a reset
 */
enum vsock_fwd_verdict {
	VSOCK_FWD_DROP,
	VSOCK_FWD_HOST,
	VSOCK_FWD_GUEST,
	VSOCK_FWD_RESET,
};

/* Serializes every change of CIDs, routes and parent flags. */
extern struct mutex vsock_fwd_mutex;

/* The device side, in vsock_fwd.c. */
struct vsock_fwd_node *vsock_fwd_node_lookup(struct vsock_fwd_node *from,
					     u32 guest_cid);
bool vsock_fwd_node_running(struct vsock_fwd_node *node);
void vsock_fwd_node_queue(struct vsock_fwd_node *node, struct sk_buff *skb);
int vsock_fwd_prepare_host_resets(struct vsock_fwd_node *node);
void vsock_fwd_reset_host_streams(struct vsock_fwd_node *node, u32 alias);
void vsock_fwd_node_changed(struct vsock_fwd_node *node);
void vsock_fwd_node_walk(struct vsock_fwd_node *from,
			 void (*fn)(struct vsock_fwd_node *node, void *arg),
			 void *arg);
void vsock_fwd_node_hold(struct vsock_fwd_node *node);
void vsock_fwd_node_put(struct vsock_fwd_node *node);

/* The policy, in vsock_fwd_route.c. */
int vsock_fwd_node_init(struct vsock_fwd_node *node);
void vsock_fwd_node_release(struct vsock_fwd_node *node);
void vsock_fwd_node_free(struct vsock_fwd_node *node);
void vsock_fwd_node_fill_info(struct vsock_fwd_node *node,
			      struct vsock_fwd_dev_info *info);
struct sk_buff *vsock_fwd_alloc_pkt(gfp_t gfp);
void vsock_fwd_fill_rst(struct sk_buff *skb, u32 src_cid, u32 src_port,
			u32 dst_cid, u32 dst_port, u16 type);
struct sk_buff *vsock_fwd_alloc_rst(u32 src_cid, u32 src_port, u32 dst_cid,
				    u32 dst_port, u16 type, gfp_t gfp);
enum vsock_fwd_verdict vsock_fwd_route_tx(struct vsock_fwd_node *node,
					  struct sk_buff *skb,
					  struct vsock_fwd_node **peerp);
bool vsock_fwd_route_from_host(struct vsock_fwd_node *node,
			       struct sk_buff *skb);
int vsock_fwd_check_forward(const struct vhost_vsock_forward *fwd);
int vsock_fwd_change_route(struct vsock_fwd_node *node,
			   const struct vhost_vsock_forward *fwd, u8 source);
void vsock_fwd_get_forward(struct vsock_fwd_node *node,
			   struct vhost_vsock_forward *fwd);
int vsock_fwd_set_parent_flags(struct vsock_fwd_node *node, u32 flags);
void vsock_fwd_cid_left(struct vsock_fwd_node *node, u32 cid, bool gone);

#endif /* _DRIVERS_VHOST_VSOCK_FWD_ROUTE_H */
