// SPDX-License-Identifier: GPL-2.0-only
/*
 * vhost_vsock_fwd: the forwarding policy.
 *
 * vsock_fwd_route_tx() decides every packet a guest sends and
 * vsock_fwd_route_from_host() every packet the host sends to a guest: these
 * two are the whole policy, each one O(1) look at the device's own route and
 * at most one at another device found by CID.
 *
 * Between two guests the host stands where the Nitro hypervisor stands and
 * keeps each guest safe from the other:
 *
 * - Reachability needs consent on both ends: the child's forward names the
 *   parent (CAP_NET_ADMIN), and the parent's device accepts children
 *   (VHOST_VSOCK_PARENT_F_ACCEPT, CAP_NET_ADMIN). The consent belongs to the
 *   open device, not to its CID.
 * - Only connections opened through the forward pass. The child's device
 *   tracks each one exactly, from the REQUEST that opened it to the RST that
 *   ends it, keyed by both ends' ports; max_conns bounds the table. Once a
 *   connection is shut down both ways, only its RST may still pass. Any
 *   other packet between the two is dropped and counted, and answered with
 *   an RST unless it is one, so that its stream does not hang.
 * - No guest stalls another. The packets one end of a pair has waiting in
 *   the other's RX queue are charged to the pair, each direction up to
 *   VSOCK_FWD_RX_BUDGET; beyond it the receiver loses the connection the
 *   packet belongs to (its sender gets an RST). The sender's TX never
 *   waits for it, and a parent's other children keep their own budgets.
 * - When either end goes away, or the forward changes, every connection
 *   between the two is reset at both ends at once; a connection whose
 *   packet finds the other end stopped, at both ends too.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/virtio_vsock.h>
#include <net/af_vsock.h>

#include "vsock_fwd_route.h"

/*
 * Truesize of the packets one end of a child/parent pair may have waiting
 * in the other's RX queue: 16 default credit windows of 256 KiB in 64 KiB
 * packets (128 KiB of truesize each). A guest that reads its RX ring never
 * comes near it.
 */
#define VSOCK_FWD_RX_BUDGET	(8 << 20)

static unsigned int max_conns = 1024;
module_param(max_conns, uint, 0644);
MODULE_PARM_DESC(max_conns,
		 "Connections one guest may have open with its guest parent (default 1024)");

/**
 * struct vsock_fwd_conn_key - a connection between a child and its parent
 * @port: the child's port
 * @peer_port: the parent's port
 */
struct vsock_fwd_conn_key {
	u32 port;
	u32 peer_port;
};

/* VIRTIO_VSOCK_SHUTDOWN_* of the child, then of the parent, in ->shut. */
#define VSOCK_FWD_SHUT_PARENT_SHIFT	2

/**
 * struct vsock_fwd_conn - a connection opened through a forward to a guest
 * @node: link in the child's &vsock_fwd_node.conns
 * @key: both ends' ports
 * @type: VIRTIO_VSOCK_TYPE_* of the REQUEST that opened it
 * @shut: the SHUTDOWN flags each end sent, the parent's shifted by
 *	VSOCK_FWD_SHUT_PARENT_SHIFT
 * @rcu: frees the entry after lockless lookups are done with it
 */
struct vsock_fwd_conn {
	struct rhash_head node;
	struct vsock_fwd_conn_key key;
	u16 type;
	/* Atomic: the TX workers of both ends update it. */
	atomic_t shut;
	struct rcu_head rcu;
};

static const struct rhashtable_params vsock_fwd_conn_params = {
	.key_len = sizeof(struct vsock_fwd_conn_key),
	.key_offset = offsetof(struct vsock_fwd_conn, key),
	.head_offset = offsetof(struct vsock_fwd_conn, node),
	.automatic_shrinking = true,
};

/**
 * struct vsock_fwd_skb_cb - control block of a packet queued to a guest by
 *	another guest
 * @vsock: the virtio-vsock control block, which must come first
 * @budget: the &vsock_fwd_node.up_charged or .down_charged this packet is
 *	counted in
 * @pair: the child whose @budget it is; the packet holds a reference on it
 */
struct vsock_fwd_skb_cb {
	struct virtio_vsock_skb_cb vsock;
	atomic_t *budget;
	struct vsock_fwd_node *pair;
};

#define VSOCK_FWD_SKB_CB(skb) ((struct vsock_fwd_skb_cb *)((skb)->cb))
static_assert(sizeof(struct vsock_fwd_skb_cb) <= sizeof_field(struct sk_buff, cb));

static void vsock_fwd_count(struct vsock_fwd_node *node,
			    enum vsock_fwd_stat stat, u32 bytes)
{
	struct vsock_fwd_pcpu_stats *s = get_cpu_ptr(node->stats);
	unsigned long flags;

	flags = u64_stats_update_begin_irqsave(&s->syncp);
	u64_stats_inc(&s->pkts[stat]);
	u64_stats_add(&s->bytes[stat], bytes);
	u64_stats_update_end_irqrestore(&s->syncp, flags);
	put_cpu_ptr(node->stats);
}

static struct vsock_fwd_route *vsock_fwd_route_locked(struct vsock_fwd_node *node)
{
	return rcu_dereference_protected(node->route,
					 lockdep_is_held(&vsock_fwd_mutex));
}

/* An empty packet, for vsock_fwd_fill_rst(). */
struct sk_buff *vsock_fwd_alloc_pkt(gfp_t gfp)
{
	return virtio_vsock_alloc_linear_skb(VIRTIO_VSOCK_SKB_HEADROOM, gfp);
}

/* Make @skb a reset from @src_cid:@src_port to @dst_cid:@dst_port. */
void vsock_fwd_fill_rst(struct sk_buff *skb, u32 src_cid, u32 src_port,
			u32 dst_cid, u32 dst_port, u16 type)
{
	struct virtio_vsock_hdr *hdr = virtio_vsock_hdr(skb);

	memset(hdr, 0, sizeof(*hdr));
	hdr->src_cid = cpu_to_le64(src_cid);
	hdr->src_port = cpu_to_le32(src_port);
	hdr->dst_cid = cpu_to_le64(dst_cid);
	hdr->dst_port = cpu_to_le32(dst_port);
	hdr->type = cpu_to_le16(type);
	hdr->op = cpu_to_le16(VIRTIO_VSOCK_OP_RST);
}

/* A reset from @src_cid:@src_port to @dst_cid:@dst_port. */
struct sk_buff *vsock_fwd_alloc_rst(u32 src_cid, u32 src_port, u32 dst_cid,
				    u32 dst_port, u16 type, gfp_t gfp)
{
	struct sk_buff *skb = vsock_fwd_alloc_pkt(gfp);

	if (skb)
		vsock_fwd_fill_rst(skb, src_cid, src_port, dst_cid, dst_port,
				   type);
	return skb;
}

/* ---- the receive budget of packets from other guests ---- */

/* A packet between two guests leaves its receiver's queue. */
static void vsock_fwd_uncharge(struct sk_buff *skb)
{
	struct vsock_fwd_skb_cb *cb = VSOCK_FWD_SKB_CB(skb);

	atomic_sub(skb->truesize, cb->budget);
	vsock_fwd_node_put(cb->pair);
}

/*
 * Charge @skb, going to @to, to the budget of @child's pair in its
 * direction; false, counted as @to's overrun, if it does not fit.
 */
static bool vsock_fwd_charge(struct vsock_fwd_node *to,
			     struct vsock_fwd_node *child, bool up,
			     struct sk_buff *skb)
{
	atomic_t *budget = up ? &child->up_charged : &child->down_charged;

	if (atomic_add_return(skb->truesize, budget) > VSOCK_FWD_RX_BUDGET) {
		atomic_sub(skb->truesize, budget);
		vsock_fwd_count(to, VSOCK_FWD_STAT_OVERRUN, skb->len);
		return false;
	}
	VSOCK_FWD_SKB_CB(skb)->budget = budget;
	VSOCK_FWD_SKB_CB(skb)->pair = child;
	vsock_fwd_node_hold(child);
	skb->destructor = vsock_fwd_uncharge;
	return true;
}

/*
 * Queue a reset we make up to one end of @child's pair, @up for the
 * parent, within the pair's budget. Under RCU.
 */
static void vsock_fwd_send_rst(struct vsock_fwd_node *to,
			       struct vsock_fwd_node *child, bool up,
			       u32 src_cid, u32 src_port, u32 dst_port,
			       u16 type)
{
	struct sk_buff *skb;

	skb = vsock_fwd_alloc_rst(src_cid, src_port, to->guest_cid, dst_port,
				  type, GFP_ATOMIC);
	if (!skb)
		return;
	if (!vsock_fwd_charge(to, child, up, skb)) {
		kfree_skb(skb);
		return;
	}
	vsock_fwd_node_queue(to, skb);
}

/* ---- connections between a child and its guest parent ---- */

static bool vsock_fwd_conn_reserve(struct vsock_fwd_node *child)
{
	int n = atomic_read(&child->nr_conns);

	do {
		if (n >= READ_ONCE(max_conns))
			return false;
	} while (!atomic_try_cmpxchg(&child->nr_conns, &n, n + 1));
	return true;
}

/* Take @conn out of the table; false if someone else did first. */
static bool vsock_fwd_conn_remove(struct vsock_fwd_node *child,
				  struct vsock_fwd_conn *conn)
{
	if (rhashtable_remove_fast(&child->conns, &conn->node,
				   vsock_fwd_conn_params))
		return false;
	atomic_dec(&child->nr_conns);
	kfree_rcu(conn, rcu);
	return true;
}

/* The connection a REQUEST opens, new or reopened. Under RCU. */
static struct vsock_fwd_conn *
vsock_fwd_conn_open(struct vsock_fwd_node *child,
		    const struct vsock_fwd_conn_key *key, u16 type)
{
	struct vsock_fwd_conn *conn, *old;

	conn = rhashtable_lookup(&child->conns, key, vsock_fwd_conn_params);
	if (conn)
		goto reopen;

	if (!vsock_fwd_conn_reserve(child))
		return NULL;
	conn = kzalloc(sizeof(*conn), GFP_ATOMIC);
	if (!conn)
		goto err_unreserve;
	conn->key = *key;
	conn->type = type;

	old = rhashtable_lookup_get_insert_fast(&child->conns, &conn->node,
						vsock_fwd_conn_params);
	if (!old)
		return conn;
	kfree(conn);
	if (IS_ERR(old))
		goto err_unreserve;
	/* Both ends sent a REQUEST with the same ports at once. */
	atomic_dec(&child->nr_conns);
	conn = old;
reopen:
	/* A new connection on the ports of one that did not end cleanly. */
	conn->type = type;
	atomic_set(&conn->shut, 0);
	return conn;

err_unreserve:
	atomic_dec(&child->nr_conns);
	return NULL;
}

/* Whether both directions of @conn are shut down. */
static bool vsock_fwd_conn_closed(const struct vsock_fwd_conn *conn)
{
	unsigned int shut = atomic_read(&conn->shut);
	unsigned int child = shut, parent = shut >> VSOCK_FWD_SHUT_PARENT_SHIFT;

	return ((child & VIRTIO_VSOCK_SHUTDOWN_SEND) ||
		(parent & VIRTIO_VSOCK_SHUTDOWN_RCV)) &&
	       ((parent & VIRTIO_VSOCK_SHUTDOWN_SEND) ||
		(child & VIRTIO_VSOCK_SHUTDOWN_RCV));
}

/*
 * End every connection of @child with its parent: the child gets a reset
 * from @alias unless it is 0, and @parent, unless NULL, one from
 * @child_cid, the CID the parent knows the child by. Under vsock_fwd_mutex,
 * which keeps both nodes alive, and after a grace period since either end
 * of the connections could be found by the fast path, so that no new one
 * is opened behind the walk.
 */
static void vsock_fwd_conns_reset(struct vsock_fwd_node *child, u32 child_cid,
				  u32 alias, struct vsock_fwd_node *parent)
{
	struct rhashtable_iter iter;
	struct vsock_fwd_conn *conn;

	lockdep_assert_held(&vsock_fwd_mutex);

	rhashtable_walk_enter(&child->conns, &iter);
	rhashtable_walk_start(&iter);
	while ((conn = rhashtable_walk_next(&iter))) {
		if (IS_ERR(conn))
			continue;	/* -EAGAIN: resized, go on */
		if (!vsock_fwd_conn_remove(child, conn))
			continue;
		if (alias)
			vsock_fwd_send_rst(child, child, false, alias,
					   conn->key.peer_port,
					   conn->key.port, conn->type);
		if (parent)
			vsock_fwd_send_rst(parent, child, true, child_cid,
					   conn->key.port, conn->key.peer_port,
					   conn->type);
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
}

/* The key of the connection of a packet from the child, or to it. */
static struct vsock_fwd_conn_key
vsock_fwd_conn_key_of(const struct virtio_vsock_hdr *hdr, bool from_child)
{
	u32 src_port = le32_to_cpu(hdr->src_port);
	u32 dst_port = le32_to_cpu(hdr->dst_port);

	return (struct vsock_fwd_conn_key) {
		.port = from_child ? src_port : dst_port,
		.peer_port = from_child ? dst_port : src_port,
	};
}

/*
 * A packet of @child's pair could not reach @to, which is stopped: the
 * connection it belongs to ends at both ends, as when an end goes away.
 * The sender gets its reset in answer; @to gets one queued, which it reads
 * once it runs again. Under RCU.
 */
static void vsock_fwd_conn_cut(struct vsock_fwd_node *child,
			       struct vsock_fwd_node *to, u32 alias,
			       const struct virtio_vsock_hdr *hdr,
			       bool from_child)
{
	struct vsock_fwd_conn_key key = vsock_fwd_conn_key_of(hdr, from_child);
	struct vsock_fwd_conn *conn;

	conn = rhashtable_lookup(&child->conns, &key, vsock_fwd_conn_params);
	if (!conn || !vsock_fwd_conn_remove(child, conn))
		return;
	vsock_fwd_send_rst(to, child, from_child,
			   from_child ? child->guest_cid : alias,
			   le32_to_cpu(hdr->src_port),
			   le32_to_cpu(hdr->dst_port), conn->type);
}

/*
 * A packet between @child, which knows its parent as @alias, and that
 * parent: let it through if it belongs to a connection opened through the
 * forward (or opens one), and charge it to the pair. Under RCU.
 */
static enum vsock_fwd_verdict
vsock_fwd_track(struct vsock_fwd_node *child, struct vsock_fwd_node *parent,
		u32 alias, struct sk_buff *skb, bool from_child,
		struct vsock_fwd_node **peerp)
{
	struct vsock_fwd_node *to = from_child ? parent : child;
	struct vsock_fwd_node *from = from_child ? child : parent;
	struct virtio_vsock_hdr *hdr = virtio_vsock_hdr(skb);
	u32 src_port = le32_to_cpu(hdr->src_port);
	u32 dst_port = le32_to_cpu(hdr->dst_port);
	u16 type = le16_to_cpu(hdr->type);
	u16 op = le16_to_cpu(hdr->op);
	struct vsock_fwd_conn_key key = vsock_fwd_conn_key_of(hdr, from_child);
	struct vsock_fwd_conn *conn;
	struct sk_buff *rst;
	unsigned int shut;

	if (op == VIRTIO_VSOCK_OP_REQUEST) {
		conn = vsock_fwd_conn_open(child, &key, type);
		if (!conn) {
			vsock_fwd_count(child, VSOCK_FWD_STAT_LIMIT, skb->len);
			return VSOCK_FWD_RESET;
		}
	} else {
		conn = rhashtable_lookup(&child->conns, &key,
					 vsock_fwd_conn_params);
		if (!conn || conn->type != type) {
			vsock_fwd_count(from, VSOCK_FWD_STAT_UNTRACKED,
					skb->len);
			return op == VIRTIO_VSOCK_OP_RST ? VSOCK_FWD_DROP :
			       VSOCK_FWD_RESET;
		}
		if (op == VIRTIO_VSOCK_OP_RST) {
			vsock_fwd_conn_remove(child, conn);
		} else if (vsock_fwd_conn_closed(conn)) {
			/* Only the reset that ends it may follow. */
			vsock_fwd_count(from, VSOCK_FWD_STAT_UNTRACKED,
					skb->len);
			return VSOCK_FWD_DROP;
		} else if (op == VIRTIO_VSOCK_OP_SHUTDOWN) {
			shut = le32_to_cpu(hdr->flags) &
			       (VIRTIO_VSOCK_SHUTDOWN_RCV |
				VIRTIO_VSOCK_SHUTDOWN_SEND);
			atomic_or(from_child ? shut :
				  shut << VSOCK_FWD_SHUT_PARENT_SHIFT,
				  &conn->shut);
		}
	}

	if (!vsock_fwd_charge(to, child, from_child, skb)) {
		/*
		 * The receiver does not drain: it loses this connection. The
		 * sender gets a reset as a reply; the receiver one beyond the
		 * budget, which costs at most one per connection whose
		 * REQUEST the budget took, so it stays bounded.
		 */
		if (op == VIRTIO_VSOCK_OP_RST ||
		    !vsock_fwd_conn_remove(child, conn))
			return VSOCK_FWD_DROP;
		rst = vsock_fwd_alloc_rst(from_child ? child->guest_cid : alias,
					  src_port, to->guest_cid, dst_port,
					  type, GFP_ATOMIC);
		if (rst)
			vsock_fwd_node_queue(to, rst);
		return VSOCK_FWD_RESET;
	}

	vsock_fwd_count(child, from_child ? VSOCK_FWD_STAT_OUT :
			VSOCK_FWD_STAT_IN, skb->len);
	*peerp = to;
	return VSOCK_FWD_GUEST;
}

/* ---- the decisions ---- */

/* Whether @node takes children now. */
static bool vsock_fwd_is_parent(struct vsock_fwd_node *node)
{
	return READ_ONCE(node->parent_flags) & VHOST_VSOCK_PARENT_F_ACCEPT;
}

/* A strict guest hears from its parent only. Under RCU. */
static bool vsock_fwd_accepts(struct vsock_fwd_node *peer, u64 src)
{
	const struct vsock_fwd_route *rt = rcu_dereference(peer->route);

	return !(rt->flags & VHOST_VSOCK_FORWARD_F_STRICT) || rt->target == src;
}

/**
 * vsock_fwd_route_tx() - the forwarding decision for a packet a guest sent
 * @node: the sender
 * @skb: the packet; its header is rewritten when it passes
 * @peerp: on %VSOCK_FWD_GUEST, the guest to queue it to
 *
 * Context: under RCU, which keeps *@peerp alive until the packet is queued.
 * Return: the verdict.
 */
enum vsock_fwd_verdict vsock_fwd_route_tx(struct vsock_fwd_node *node,
					  struct sk_buff *skb,
					  struct vsock_fwd_node **peerp)
{
	const struct vsock_fwd_route *rt = rcu_dereference(node->route);
	struct virtio_vsock_hdr *hdr = virtio_vsock_hdr(skb);
	u32 cid = READ_ONCE(node->guest_cid);
	u64 src = le64_to_cpu(hdr->src_cid);
	u64 dst = le64_to_cpu(hdr->dst_cid);
	const struct vsock_fwd_route *peer_rt;
	enum vsock_fwd_verdict verdict;
	struct vsock_fwd_node *peer;

	/* A guest may only send from its own CID, once it has one. */
	if (!cid || src != cid)
		return VSOCK_FWD_DROP;

	if (rt->target && dst == rt->alias) {
		/* To the parent. */
		if (rt->target == VMADDR_CID_HOST) {
			hdr->dst_cid = cpu_to_le64(VMADDR_CID_HOST);
			vsock_fwd_count(node, VSOCK_FWD_STAT_OUT, skb->len);
			return VSOCK_FWD_HOST;
		}
		peer = vsock_fwd_node_lookup(node, rt->target);
		if (!peer || !vsock_fwd_node_running(peer) ||
		    !vsock_fwd_is_parent(peer)) {
			vsock_fwd_count(node, VSOCK_FWD_STAT_UNREACHABLE,
					skb->len);
			if (peer && !vsock_fwd_node_running(peer))
				vsock_fwd_conn_cut(node, peer, rt->alias, hdr,
						   true);
			return VSOCK_FWD_RESET;
		}
		if (!vsock_fwd_accepts(peer, src)) {
			vsock_fwd_count(node, VSOCK_FWD_STAT_REFUSED, skb->len);
			return VSOCK_FWD_RESET;
		}
		verdict = vsock_fwd_track(node, peer, rt->alias, skb, true,
					  peerp);
		/* Rewritten only now: a reset must come from the alias. */
		if (verdict == VSOCK_FWD_GUEST)
			hdr->dst_cid = cpu_to_le64(rt->target);
		return verdict;
	}

	/*
	 * A strict guest talks to its parent only. A guest whose parent is
	 * the host knows it as the alias only: replies would come from
	 * there, so a stream dialled to CID 2 could not work.
	 */
	if ((rt->target && (rt->flags & VHOST_VSOCK_FORWARD_F_STRICT)) ||
	    (rt->target == VMADDR_CID_HOST && dst == VMADDR_CID_HOST)) {
		vsock_fwd_count(node, VSOCK_FWD_STAT_REFUSED, skb->len);
		return VSOCK_FWD_RESET;
	}

	/* A stream to an alias that was since dropped. */
	if (rt->stale_alias && dst == rt->stale_alias) {
		vsock_fwd_count(node, VSOCK_FWD_STAT_UNREACHABLE, skb->len);
		return VSOCK_FWD_RESET;
	}

	if (dst == VMADDR_CID_HOST)
		return VSOCK_FWD_HOST;

	/*
	 * Between guests, only a parent that accepts children reaches a
	 * child that names it, which sees it as the alias.
	 */
	peer = dst < U32_MAX ? vsock_fwd_node_lookup(node, dst) : NULL;
	if (!peer)
		return VSOCK_FWD_DROP;
	peer_rt = rcu_dereference(peer->route);
	if (peer_rt->target != src || !vsock_fwd_is_parent(node))
		return VSOCK_FWD_DROP;
	if (!vsock_fwd_node_running(peer)) {
		vsock_fwd_count(peer, VSOCK_FWD_STAT_UNREACHABLE, skb->len);
		vsock_fwd_conn_cut(peer, peer, peer_rt->alias, hdr, false);
		return VSOCK_FWD_RESET;
	}
	verdict = vsock_fwd_track(peer, node, peer_rt->alias, skb, false,
				  peerp);
	if (verdict == VSOCK_FWD_GUEST)
		hdr->src_cid = cpu_to_le64(peer_rt->alias);
	return verdict;
}

/**
 * vsock_fwd_route_from_host() - the forwarding decision for a packet from
 *	the host to a guest
 * @node: the guest
 * @skb: the packet; its source is rewritten to the alias when the host is
 *	the guest's parent
 *
 * Context: under RCU.
 * Return: false if the packet must not reach the guest.
 */
bool vsock_fwd_route_from_host(struct vsock_fwd_node *node,
			       struct sk_buff *skb)
{
	const struct vsock_fwd_route *rt = rcu_dereference(node->route);

	if (rt->target == VMADDR_CID_HOST) {
		/* The host is the parent: the guest knows it as the alias. */
		virtio_vsock_hdr(skb)->src_cid = cpu_to_le64(rt->alias);
		vsock_fwd_count(node, VSOCK_FWD_STAT_IN, skb->len);
		return true;
	}
	if (rt->target && (rt->flags & VHOST_VSOCK_FORWARD_F_STRICT)) {
		/* Only the parent, another guest, may talk to it. */
		vsock_fwd_count(node, VSOCK_FWD_STAT_REFUSED, skb->len);
		return false;
	}
	return true;
}

/* ---- changes, under vsock_fwd_mutex ---- */

/**
 * vsock_fwd_check_forward() - the checks of a forward that do not depend on
 *	the guest's CID
 * @fwd: the forward
 *
 * Return: 0 or -EINVAL.
 */
int vsock_fwd_check_forward(const struct vhost_vsock_forward *fwd)
{
	if (!fwd->target_cid)
		return fwd->alias_cid || fwd->flags || fwd->reserved ?
		       -EINVAL : 0;

	if ((fwd->flags & ~VHOST_VSOCK_FORWARD_F_ALL) || fwd->reserved)
		return -EINVAL;
	if (fwd->alias_cid <= VMADDR_CID_HOST || fwd->alias_cid >= U32_MAX)
		return -EINVAL;
	if (fwd->target_cid == VMADDR_CID_LOCAL || fwd->target_cid >= U32_MAX)
		return -EINVAL;
	return 0;
}

/* The guest parent of @node, if it has one that is still there. */
static struct vsock_fwd_node *vsock_fwd_parent(struct vsock_fwd_node *node,
					       const struct vsock_fwd_route *rt)
{
	if (!rt->target || rt->target == VMADDR_CID_HOST)
		return NULL;
	return vsock_fwd_node_lookup(node, rt->target);
}

/*
 * Whether the guest's streams with host sockets cannot go on under @rt
 * after @old: the host becomes its parent (streams dialled to CID 2 would
 * hear from the alias from now on), stops being it or changes its alias
 * (streams with the old alias), or a strict guest parent shuts the host
 * out.
 */
static bool vsock_fwd_host_streams_cut(const struct vsock_fwd_route *old,
				       const struct vsock_fwd_route *rt)
{
	bool old_host = old->target == VMADDR_CID_HOST;
	bool new_host = rt->target == VMADDR_CID_HOST;

	if (old_host != new_host)
		return true;
	if (old_host)
		return old->alias != rt->alias;
	return rt->target && (rt->flags & VHOST_VSOCK_FORWARD_F_STRICT) &&
	       !(old->target && (old->flags & VHOST_VSOCK_FORWARD_F_STRICT));
}

/*
 * Replace the forward of @node, already checked by
 * vsock_fwd_check_forward(). Streams the change cuts off end with a reset
 * at both ends: host sockets and connections with a guest parent.
 */
static int vsock_fwd_set_route(struct vsock_fwd_node *node,
			       const struct vhost_vsock_forward *fwd)
{
	struct vsock_fwd_route *old = vsock_fwd_route_locked(node);
	struct vsock_fwd_route *rt;
	bool cut_host;

	if (node->guest_cid &&
	    (fwd->alias_cid == node->guest_cid ||
	     fwd->target_cid == node->guest_cid))
		return -EINVAL;

	if (old->alias == fwd->alias_cid && old->target == fwd->target_cid &&
	    old->flags == fwd->flags)
		return 0;

	rt = kzalloc(sizeof(*rt), GFP_KERNEL);
	if (!rt)
		return -ENOMEM;

	rt->alias = fwd->alias_cid;
	rt->target = fwd->target_cid;
	rt->flags = fwd->flags;
	rt->stale_alias = old->alias != rt->alias ? old->alias :
			  old->stale_alias;
	cut_host = node->guest_cid && vsock_fwd_host_streams_cut(old, rt);
	/* Their resets, before anything changes: none may be lost. */
	if (cut_host && vsock_fwd_prepare_host_resets(node)) {
		kfree(rt);
		return -ENOMEM;
	}
	rcu_assign_pointer(node->route, rt);
	/*
	 * What the old route carried is reset below; wait until no packet
	 * is routed by it any more, so that nothing opens behind the reset.
	 */
	if (old->target)
		synchronize_rcu();

	if (cut_host)
		vsock_fwd_reset_host_streams(node,
					     old->target == VMADDR_CID_HOST ?
					     old->alias : VMADDR_CID_HOST);
	if (old->target != rt->target || old->alias != rt->alias)
		vsock_fwd_conns_reset(node, node->guest_cid, old->alias,
				      vsock_fwd_parent(node, old));

	kfree_rcu(old, rcu);
	return 0;
}

/**
 * vsock_fwd_change_route() - set the forward of a device and where it came
 *	from, and announce a change
 * @node: the device's node
 * @fwd: the forward, checked by vsock_fwd_check_forward()
 * @source: &enum vsock_fwd_source
 *
 * Context: under vsock_fwd_mutex.
 * Return: 0, -EINVAL for the guest's own CID, -ENOMEM.
 */
int vsock_fwd_change_route(struct vsock_fwd_node *node,
			   const struct vhost_vsock_forward *fwd, u8 source)
{
	const struct vsock_fwd_route *old = vsock_fwd_route_locked(node);
	int ret;

	lockdep_assert_held(&vsock_fwd_mutex);

	ret = vsock_fwd_set_route(node, fwd);
	if (ret)
		return ret;
	if (!fwd->target_cid)
		source = VSOCK_FWD_SOURCE_NONE;
	if (old == vsock_fwd_route_locked(node) && source == node->fwd_source)
		return 0;
	node->fwd_source = source;
	vsock_fwd_node_changed(node);
	return 0;
}

/* What VHOST_VSOCK_GET_FORWARD returns. */
void vsock_fwd_get_forward(struct vsock_fwd_node *node,
			   struct vhost_vsock_forward *fwd)
{
	const struct vsock_fwd_route *rt;

	rcu_read_lock();
	rt = rcu_dereference(node->route);
	*fwd = (struct vhost_vsock_forward) {
		.alias_cid = rt->alias,
		.target_cid = rt->target,
		.flags = rt->flags,
	};
	rcu_read_unlock();
}

struct vsock_fwd_children_reset {
	struct vsock_fwd_node *parent;
	u32 parent_cid;
	bool rst_parent;
};

static void vsock_fwd_reset_child(struct vsock_fwd_node *child, void *arg)
{
	const struct vsock_fwd_children_reset *r = arg;
	const struct vsock_fwd_route *rt = vsock_fwd_route_locked(child);

	if (child != r->parent && rt->target == r->parent_cid)
		vsock_fwd_conns_reset(child, child->guest_cid, rt->alias,
				      r->rst_parent ? r->parent : NULL);
}

/*
 * End the connections of every child of @parent, which has @parent_cid,
 * at the child's end, and at @parent's too if @rst_parent. Under
 * vsock_fwd_mutex, after a grace period since the fast path could last
 * find @parent as a parent.
 */
static void vsock_fwd_reset_children(struct vsock_fwd_node *parent,
				     u32 parent_cid, bool rst_parent)
{
	struct vsock_fwd_children_reset r = {
		.parent = parent,
		.parent_cid = parent_cid,
		.rst_parent = rst_parent,
	};

	vsock_fwd_node_walk(parent, vsock_fwd_reset_child, &r);
}

/**
 * vsock_fwd_set_parent_flags() - whether other guests may reach this one
 *	through their forwards
 * @node: the device's node
 * @flags: VHOST_VSOCK_PARENT_F_*, checked by the caller, as is the
 *	capability to set them
 *
 * Withdrawing the consent resets every connection with the children.
 *
 * Context: under vsock_fwd_mutex.
 * Return: 0.
 */
int vsock_fwd_set_parent_flags(struct vsock_fwd_node *node, u32 flags)
{
	lockdep_assert_held(&vsock_fwd_mutex);

	if (flags == node->parent_flags)
		return 0;
	WRITE_ONCE(node->parent_flags, flags);
	if (node->guest_cid && !(flags & VHOST_VSOCK_PARENT_F_ACCEPT)) {
		synchronize_rcu();
		vsock_fwd_reset_children(node, node->guest_cid, true);
	}
	vsock_fwd_node_changed(node);
	return 0;
}

/**
 * vsock_fwd_cid_left() - a device gave up its guest CID
 * @node: the device's node, no longer found by @cid
 * @cid: the CID it had
 * @gone: the device is closing: it gets no resets itself
 *
 * Every connection between the guest and its guest parent or its children
 * ends at both ends: the other end's sockets are connected to @cid.
 *
 * Context: under vsock_fwd_mutex, after a grace period since @node could
 * be found by @cid.
 */
void vsock_fwd_cid_left(struct vsock_fwd_node *node, u32 cid, bool gone)
{
	const struct vsock_fwd_route *rt = vsock_fwd_route_locked(node);

	lockdep_assert_held(&vsock_fwd_mutex);

	vsock_fwd_conns_reset(node, cid, gone ? 0 : rt->alias,
			      vsock_fwd_parent(node, rt));
	vsock_fwd_reset_children(node, cid, !gone);
}

/**
 * vsock_fwd_node_init() - the forwarding state of a new device: no CID, no
 *	forward, no children
 * @node: zeroed
 *
 * Return: 0 or -ENOMEM.
 */
int vsock_fwd_node_init(struct vsock_fwd_node *node)
{
	struct vsock_fwd_route *route;
	int cpu, ret;

	node->stats = alloc_percpu(struct vsock_fwd_pcpu_stats);
	if (!node->stats)
		return -ENOMEM;
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(node->stats, cpu)->syncp);

	/* Forwarding off: the fast path never sees a NULL route. */
	route = kzalloc(sizeof(*route), GFP_KERNEL);
	if (!route) {
		ret = -ENOMEM;
		goto err_free_stats;
	}
	RCU_INIT_POINTER(node->route, route);

	ret = rhashtable_init(&node->conns, &vsock_fwd_conn_params);
	if (ret)
		goto err_free_route;
	return 0;

err_free_route:
	kfree(route);
err_free_stats:
	free_percpu(node->stats);
	return ret;
}

static void vsock_fwd_conn_free(void *ptr, void *arg)
{
	kfree(ptr);
}

/**
 * vsock_fwd_node_release() - drop the connection table of a closing device
 * @node: no longer found by anyone, its connections reset, its TX stopped
 *
 * Context: process.
 */
void vsock_fwd_node_release(struct vsock_fwd_node *node)
{
	rhashtable_free_and_destroy(&node->conns, vsock_fwd_conn_free, NULL);
}

/**
 * vsock_fwd_node_free() - free the rest, once the last packet charged to
 *	the device's pair has left its queue
 * @node: released
 *
 * Context: any but hard IRQ: packet destructors call it.
 */
void vsock_fwd_node_free(struct vsock_fwd_node *node)
{
	kfree(rcu_dereference_protected(node->route, true));
	free_percpu(node->stats);
}

/**
 * vsock_fwd_node_fill_info() - the forwarding part of a device's snapshot
 * @node: the device's node
 * @info: filled in
 *
 * Context: under vsock_fwd_mutex.
 */
void vsock_fwd_node_fill_info(struct vsock_fwd_node *node,
			      struct vsock_fwd_dev_info *info)
{
	int cpu, i;

	info->guest_cid = node->guest_cid;
	vsock_fwd_get_forward(node, &info->fwd);
	info->fwd_source = node->fwd_source;
	info->parent_flags = node->parent_flags;

	for_each_possible_cpu(cpu) {
		const struct vsock_fwd_pcpu_stats *s;
		u64 pkts[VSOCK_FWD_NR_STATS], bytes[VSOCK_FWD_NR_STATS];
		unsigned int start;

		s = per_cpu_ptr(node->stats, cpu);
		do {
			start = u64_stats_fetch_begin(&s->syncp);
			for (i = 0; i < VSOCK_FWD_NR_STATS; i++) {
				pkts[i] = u64_stats_read(&s->pkts[i]);
				bytes[i] = u64_stats_read(&s->bytes[i]);
			}
		} while (u64_stats_fetch_retry(&s->syncp, start));

		for (i = 0; i < VSOCK_FWD_NR_STATS; i++) {
			info->pkts[i] += pkts[i];
			info->bytes[i] += bytes[i];
		}
	}
}
