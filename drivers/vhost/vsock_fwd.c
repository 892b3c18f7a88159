// SPDX-License-Identifier: GPL-2.0-only
/*
 * vhost_vsock_fwd: host side of virtio-vsock on vhost, with CID forwarding
 *
 * A drop-in replacement for drivers/vhost/vsock.c: the same /dev/vhost-vsock
 * ABI, plus a per-device forward set with VHOST_VSOCK_SET_FORWARD. A guest
 * that dials its alias CID (3 for an AWS Nitro Enclave) reaches the host or
 * another guest, its target, and sees every packet from the target as coming
 * from the alias. See Documentation/virt/vsock-fwd.rst.
 *
 * The device is upstream's, with the same names where the code is the same;
 * the forwarding policy is in vsock_fwd_route.c. The device calls it on
 * every packet a guest sends (vsock_fwd_route_tx()) and on every packet the
 * host sends to a guest (vsock_fwd_route_from_host()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/capability.h>
#include <linux/hashtable.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/vhost.h>
#include <linux/vhost_fwd.h>
#include <linux/virtio_vsock.h>
#include <linux/vmalloc.h>
#include <net/af_vsock.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "vhost.h"
#include "compat/compat.h"
#include "vsock_fwd.h"
#include "vsock_fwd_netlink.h"
#include "vsock_fwd_route.h"

/* Bytes moved by one run of a virtqueue handler before it yields, so that
 * one guest cannot starve the others.
 */
#define VSOCK_FWD_WEIGHT	0x80000
/* Packets moved by one run before it yields: bounds small-packet floods. */
#define VSOCK_FWD_PKT_WEIGHT	256

/* 6.19 made VHOST_FEATURES a list of feature bits. */
#ifdef VHOST_FEATURES_U64
static const int vsock_fwd_feature_bits[] = {
	VHOST_FEATURES,
	VIRTIO_F_ACCESS_PLATFORM,
	VIRTIO_VSOCK_F_SEQPACKET,
};

#define VSOCK_FWD_FEATURES VHOST_FEATURES_U64(vsock_fwd_feature_bits, 0)
#else
#define VSOCK_FWD_FEATURES (VHOST_FEATURES |				\
			    BIT_ULL(VIRTIO_F_ACCESS_PLATFORM) |		\
			    BIT_ULL(VIRTIO_VSOCK_F_SEQPACKET))
#endif

enum {
	VSOCK_FWD_BACKEND_FEATURES = 1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2,
};

/**
 * struct vhost_vsock - one open /dev/vhost-vsock, the host end of a guest
 * @dev: the vhost device
 * @vqs: RX (host to guest) and TX (guest to host) virtqueues
 * @hash: link in vsock_fwd_table while the guest has a CID
 * @fwd: the guest's CID and everything forwarding knows of it
 * @send_pkt_work: moves @send_pkt_queue into the RX ring
 * @send_pkt_queue: packets for the guest, from the host and other guests
 * @queued_replies: reply packets in @send_pkt_queue. The guest's TX pauses
 *	while they fill its TX ring, so it cannot make us queue without bound.
 * @running: VHOST_VSOCK_SET_RUNNING is in effect
 * @seqpacket_allow: the guest negotiated VIRTIO_VSOCK_F_SEQPACKET
 * @opener_admin: the device was opened with CAP_NET_ADMIN in @net: a rule
 *	may give it a guest target
 * @net: network namespace of the opener, where its CID lives and whose
 *	rules apply to it; the initial one on kernels whose vsock has no
 *	namespaces
 * @users: the open file, and each packet charged to the budget of its pair
 *	with its guest parent
 * @owner: thread group that called VHOST_SET_OWNER, NULL before
 * @owner_comm: its command name then
 */
struct vhost_vsock {
	struct vhost_dev dev;
	struct vhost_virtqueue vqs[2];

	/* Written under vsock_fwd_mutex, walked under RCU. */
	struct hlist_node hash;
	/* See struct vsock_fwd_node for the rule of each field. */
	struct vsock_fwd_node fwd;

	struct vhost_work send_pkt_work;
	/* Has its own lock. */
	struct sk_buff_head send_pkt_queue;

	/* Atomic; also read by the TX worker to decide whether to pause. */
	atomic_t queued_replies;

	/* Written under dev.mutex, read with READ_ONCE() by other devices. */
	bool running;
	/* Written under dev.mutex, read unlocked by the transport. */
	bool seqpacket_allow;
	/* Set at open. */
	bool opener_admin;
	struct net *net;
	refcount_t users;

	/* Set once under vsock_fwd_mutex, read under it; put at release. */
	struct pid *owner;
	char owner_comm[TASK_COMM_LEN];
};

/* All devices that have a guest CID, keyed by it. */
DEFINE_MUTEX(vsock_fwd_mutex);
static DEFINE_READ_MOSTLY_HASHTABLE(vsock_fwd_table, 8);

/*
 * Devices opened and not yet freed. Packets charged to a pair keep its
 * device, and their destructor is our code: none may be left at unload.
 */
static atomic_t vsock_fwd_nr_devs = ATOMIC_INIT(0);

static struct virtio_transport vhost_transport;

/*
 * The device of @guest_cid as seen from @net, as upstream's vhost finds it.
 * Caller holds rcu_read_lock() or vsock_fwd_mutex; the device may only be
 * used within that section.
 */
static struct vhost_vsock *vhost_vsock_get(u32 guest_cid, struct net *net)
{
	struct vhost_vsock *vsock;

	hash_for_each_possible_rcu(vsock_fwd_table, vsock, hash, guest_cid,
				   lockdep_is_held(&vsock_fwd_mutex)) {
		if (vsock->fwd.guest_cid == guest_cid &&
		    vsock_net_check_mode(net, vsock->net))
			return vsock;
	}
	return NULL;
}

/*
 * The device of @guest_cid that belongs to @net. Forwards and the control
 * plane of a namespace reach the devices of that namespace only, whatever
 * its mode. Same context as vhost_vsock_get().
 */
static struct vhost_vsock *vsock_fwd_get_own(u32 guest_cid, struct net *net)
{
	struct vhost_vsock *vsock;

	hash_for_each_possible_rcu(vsock_fwd_table, vsock, hash, guest_cid,
				   lockdep_is_held(&vsock_fwd_mutex)) {
		if (vsock->fwd.guest_cid == guest_cid && net_eq(vsock->net, net))
			return vsock;
	}
	return NULL;
}

static struct vhost_vsock *vsock_fwd_of(struct vsock_fwd_node *node)
{
	return container_of(node, struct vhost_vsock, fwd);
}

/* For the policy: the device of @guest_cid in the namespace of @from. */
struct vsock_fwd_node *vsock_fwd_node_lookup(struct vsock_fwd_node *from,
					     u32 guest_cid)
{
	struct vhost_vsock *vsock;

	vsock = vsock_fwd_get_own(guest_cid, vsock_fwd_of(from)->net);
	return vsock ? &vsock->fwd : NULL;
}

bool vsock_fwd_node_running(struct vsock_fwd_node *node)
{
	return READ_ONCE(vsock_fwd_of(node)->running);
}

/*
 * Call @fn on every device that has a CID in the namespace of @from, the
 * only ones a forward of @from can involve; under vsock_fwd_mutex.
 */
void vsock_fwd_node_walk(struct vsock_fwd_node *from,
			 void (*fn)(struct vsock_fwd_node *node, void *arg),
			 void *arg)
{
	struct net *net = vsock_fwd_of(from)->net;
	struct vhost_vsock *vsock;
	int bkt;

	lockdep_assert_held(&vsock_fwd_mutex);
	hash_for_each(vsock_fwd_table, bkt, vsock, hash) {
		if (net_eq(vsock->net, net))
			fn(&vsock->fwd, arg);
	}
}

static void vhost_vsock_free(struct vhost_vsock *vsock)
{
	vsock_fwd_node_free(&vsock->fwd);
	put_net(vsock->net);
	kvfree(vsock);
	atomic_dec(&vsock_fwd_nr_devs);
}

/* For the policy: packets charged to a guest's pair keep its device. */
void vsock_fwd_node_hold(struct vsock_fwd_node *node)
{
	refcount_inc(&vsock_fwd_of(node)->users);
}

void vsock_fwd_node_put(struct vsock_fwd_node *node)
{
	struct vhost_vsock *vsock = vsock_fwd_of(node);

	if (refcount_dec_and_test(&vsock->users))
		vhost_vsock_free(vsock);
}

/* ---- host and other guests to this guest: the RX ring ---- */

static void vsock_fwd_queue_rx(struct vhost_vsock *vsock, struct sk_buff *skb)
{
	if (virtio_vsock_skb_reply(skb))
		atomic_inc(&vsock->queued_replies);
	virtio_vsock_skb_queue_tail(&vsock->send_pkt_queue, skb);
	vhost_vq_work_queue(&vsock->vqs[VSOCK_VQ_RX], &vsock->send_pkt_work);
}

/* For the policy: queue a packet for the guest. */
void vsock_fwd_node_queue(struct vsock_fwd_node *node, struct sk_buff *skb)
{
	/* Taps saw it leave its sender; they also see it reach this guest. */
	virtio_vsock_skb_clear_tap_delivered(skb);
	vsock_fwd_queue_rx(vsock_fwd_of(node), skb);
}

/* Queue a reset we make up for the guest. */
static void vsock_fwd_queue_rst(struct vhost_vsock *vsock, struct sk_buff *skb)
{
	/* Bounded by queued_replies like the resets the host sends. */
	virtio_vsock_skb_set_reply(skb);
	vsock_fwd_queue_rx(vsock, skb);
}

/* Answer a packet of the guest with a reset from where it was sent to. */
static void vsock_fwd_reset_guest(struct vhost_vsock *vsock,
				  const struct virtio_vsock_hdr *hdr)
{
	struct sk_buff *skb;

	if (le16_to_cpu(hdr->op) == VIRTIO_VSOCK_OP_RST)
		return;

	skb = vsock_fwd_alloc_rst(le64_to_cpu(hdr->dst_cid),
				  le32_to_cpu(hdr->dst_port),
				  vsock->fwd.guest_cid,
				  le32_to_cpu(hdr->src_port),
				  le16_to_cpu(hdr->type), GFP_KERNEL);
	if (skb)
		vsock_fwd_queue_rst(vsock, skb);
}

/* A packet left the send queue, sent or not. */
static void vsock_fwd_rx_done(struct vhost_vsock *vsock, struct sk_buff *skb,
			      bool *restart_tx)
{
	if (virtio_vsock_skb_reply(skb) &&
	    atomic_dec_return(&vsock->queued_replies) + 1 ==
	    vsock->vqs[VSOCK_VQ_TX].num)
		*restart_tx = true;
}

/*
 * Copy as much of @skb from its current offset as fits into the guest
 * buffer at @vq->iov, with its header. Returns the bytes written or a
 * negative error after reporting it on the virtqueue.
 */
static int vsock_fwd_copy_to_guest(struct vhost_virtqueue *vq,
				   struct sk_buff *skb,
				   unsigned int out, unsigned int in)
{
	struct virtio_vsock_hdr *hdr = virtio_vsock_hdr(skb);
	u32 offset = VIRTIO_VSOCK_SKB_CB(skb)->offset;
	size_t payload_len = skb->len - offset;
	struct iov_iter iter;
	u32 restore = 0;
	size_t buf_len;

	if (out) {
		vq_err(vq, "Expected 0 output buffers, got %u\n", out);
		return -EINVAL;
	}

	buf_len = iov_length(vq->iov, in);
	if (buf_len < sizeof(*hdr)) {
		vq_err(vq, "Buffer len [%zu] too small\n", buf_len);
		return -EINVAL;
	}
	iov_iter_init(&iter, ITER_DEST, vq->iov, in, buf_len);

	if (payload_len > buf_len - sizeof(*hdr)) {
		payload_len = buf_len - sizeof(*hdr);
		/*
		 * The packet is split over several buffers, each with a copy
		 * of the header: only the last piece may end the message.
		 */
		if (le32_to_cpu(hdr->flags) & VIRTIO_VSOCK_SEQ_EOM)
			restore = le32_to_cpu(hdr->flags) &
				  (VIRTIO_VSOCK_SEQ_EOM | VIRTIO_VSOCK_SEQ_EOR);
		hdr->flags &= ~cpu_to_le32(restore);
	}
	hdr->len = cpu_to_le32(payload_len);

	if (copy_to_iter(hdr, sizeof(*hdr), &iter) != sizeof(*hdr)) {
		vq_err(vq, "Faulted on copying pkt hdr\n");
		return -EFAULT;
	}
	if (skb_copy_datagram_iter(skb, offset, &iter, payload_len)) {
		vq_err(vq, "Faulted on copying pkt buf\n");
		return -EFAULT;
	}

	virtio_transport_deliver_tap_pkt(skb);

	hdr->flags |= cpu_to_le32(restore);
	VIRTIO_VSOCK_SKB_CB(skb)->offset += payload_len;
	return sizeof(*hdr) + payload_len;
}

static void vhost_transport_do_send_pkt(struct vhost_vsock *vsock)
{
	struct vhost_virtqueue *vq = &vsock->vqs[VSOCK_VQ_RX];
	int pkts = 0, total_len = 0;
	bool restart_tx = false;
	bool added = false;

	mutex_lock(&vq->mutex);

	if (!vhost_vq_get_backend(vq) || !vq_meta_prefetch(vq))
		goto out_unlock;

	/* We are draining the ring anyway: no need for guest kicks. */
	vhost_disable_notify(&vsock->dev, vq);

	do {
		unsigned int out, in;
		struct sk_buff *skb;
		int head, len;

		skb = virtio_vsock_skb_dequeue(&vsock->send_pkt_queue);
		if (!skb) {
			vhost_enable_notify(&vsock->dev, vq);
			break;
		}

		head = vhost_get_vq_desc(vq, vq->iov, ARRAY_SIZE(vq->iov),
					 &out, &in, NULL, NULL);
		if (head < 0) {
			virtio_vsock_skb_queue_head(&vsock->send_pkt_queue, skb);
			break;
		}
		if (head == vq->num) {
			virtio_vsock_skb_queue_head(&vsock->send_pkt_queue, skb);
			/* Buffers may have come in while re-enabling kicks. */
			if (unlikely(vhost_enable_notify(&vsock->dev, vq))) {
				vhost_disable_notify(&vsock->dev, vq);
				continue;
			}
			break;
		}

		len = vsock_fwd_copy_to_guest(vq, skb, out, in);
		if (len < 0) {
			vsock_fwd_rx_done(vsock, skb, &restart_tx);
			kfree_skb(skb);
			break;
		}

		vhost_add_used(vq, head, len);
		added = true;
		total_len += len - sizeof(struct virtio_vsock_hdr);

		if (VIRTIO_VSOCK_SKB_CB(skb)->offset < skb->len) {
			/* The rest goes into the next buffer, and to taps. */
			virtio_vsock_skb_clear_tap_delivered(skb);
			virtio_vsock_skb_queue_head(&vsock->send_pkt_queue, skb);
		} else {
			vsock_fwd_rx_done(vsock, skb, &restart_tx);
			virtio_transport_consume_skb_sent(skb, true);
		}
	} while (likely(!vhost_exceeds_weight(vq, ++pkts, total_len)));

	if (added)
		vhost_signal(&vsock->dev, vq);

out_unlock:
	mutex_unlock(&vq->mutex);

	if (restart_tx)
		vhost_poll_queue(&vsock->vqs[VSOCK_VQ_TX].poll);
}

static void vhost_transport_send_pkt_work(struct vhost_work *work)
{
	vhost_transport_do_send_pkt(container_of(work, struct vhost_vsock,
						 send_pkt_work));
}

static void vhost_vsock_handle_rx_kick(struct vhost_work *work)
{
	struct vhost_virtqueue *vq = container_of(work, struct vhost_virtqueue,
						  poll.work);

	vhost_transport_do_send_pkt(container_of(vq->dev, struct vhost_vsock, dev));
}

/* ---- the vsock transport: host sockets ---- */

static u32 vhost_transport_get_local_cid(void)
{
	return VMADDR_CID_HOST;
}

/* @net is the namespace of the sending socket. */
static int vhost_transport_send_pkt(struct sk_buff *skb, struct net *net)
{
	struct virtio_vsock_hdr *hdr = virtio_vsock_hdr(skb);
	struct vhost_vsock *vsock;
	int len = skb->len;
	int ret = len;

	rcu_read_lock();
	vsock = vhost_vsock_get(le64_to_cpu(hdr->dst_cid), net);
	if (!vsock) {
		ret = -ENODEV;
		goto out_free;
	}
	if (!vsock_fwd_route_from_host(&vsock->fwd, skb)) {
		ret = -ECONNREFUSED;
		goto out_free;
	}
	vsock_fwd_queue_rx(vsock, skb);
	rcu_read_unlock();
	return len;

out_free:
	rcu_read_unlock();
	kfree_skb(skb);
	return ret;
}

static int vhost_transport_cancel_pkt(struct vsock_sock *vsk)
{
	struct vhost_virtqueue *tx_vq;
	struct vhost_vsock *vsock;
	int cnt, left;

	rcu_read_lock();
	vsock = vhost_vsock_get(vsk->remote_addr.svm_cid,
				sock_net(sk_vsock(vsk)));
	if (!vsock) {
		rcu_read_unlock();
		return -ENODEV;
	}

	cnt = virtio_transport_purge_skbs(vsk, &vsock->send_pkt_queue);
	if (cnt) {
		tx_vq = &vsock->vqs[VSOCK_VQ_TX];
		left = atomic_sub_return(cnt, &vsock->queued_replies);
		/* The guest's TX may have paused on these replies. */
		if (left + cnt >= tx_vq->num && left < tx_vq->num)
			vhost_poll_queue(&tx_vq->poll);
	}
	rcu_read_unlock();
	return 0;
}

static bool vsock_fwd_seqpacket_allow(u32 remote_cid, struct net *net)
{
	struct vhost_vsock *vsock;
	bool allow = false;

	rcu_read_lock();
	vsock = vhost_vsock_get(remote_cid, net);
	if (vsock)
		allow = READ_ONCE(vsock->seqpacket_allow);
	rcu_read_unlock();

	return allow;
}

#ifdef COMPAT_NO_VSOCK_NETNS
/* Before 7.0 the transport learnt neither the socket nor its namespace. */
static int vhost_transport_send_pkt_compat(struct sk_buff *skb)
{
	return vhost_transport_send_pkt(skb, NULL);
}

static bool vhost_transport_seqpacket_allow(u32 remote_cid)
{
	return vsock_fwd_seqpacket_allow(remote_cid, NULL);
}
#else
static bool vhost_transport_seqpacket_allow(struct vsock_sock *vsk,
					    u32 remote_cid)
{
	return vsock_fwd_seqpacket_allow(remote_cid, sock_net(sk_vsock(vsk)));
}

static bool vhost_transport_has_remote_cid(struct vsock_sock *vsk, u32 cid)
{
	bool found;

	rcu_read_lock();
	found = vhost_vsock_get(cid, sock_net(sk_vsock(vsk)));
	rcu_read_unlock();
	return found;
}

/* As upstream's: the namespace mode was checked by the lookups. */
static bool vhost_transport_stream_allow(struct vsock_sock *vsk, u32 cid,
					 u32 port)
{
	return true;
}
#endif

static bool vhost_transport_msgzerocopy_allow(void)
{
	return true;
}

/* Named like upstream's: tools such as vsock_test look for it by name. */
static struct virtio_transport vhost_transport = {
	.transport = {
		.module                   = THIS_MODULE,

		.get_local_cid            = vhost_transport_get_local_cid,
#ifndef COMPAT_NO_VSOCK_NETNS
		.has_remote_cid           = vhost_transport_has_remote_cid,
#endif

		.init                     = virtio_transport_do_socket_init,
		.destruct                 = virtio_transport_destruct,
		.release                  = virtio_transport_release,
		.connect                  = virtio_transport_connect,
		.shutdown                 = virtio_transport_shutdown,
		.cancel_pkt               = vhost_transport_cancel_pkt,

		.dgram_enqueue            = virtio_transport_dgram_enqueue,
		.dgram_dequeue            = virtio_transport_dgram_dequeue,
		.dgram_bind               = virtio_transport_dgram_bind,
		.dgram_allow              = virtio_transport_dgram_allow,

		.stream_enqueue           = virtio_transport_stream_enqueue,
		.stream_dequeue           = virtio_transport_stream_dequeue,
		.stream_has_data          = virtio_transport_stream_has_data,
		.stream_has_space         = virtio_transport_stream_has_space,
		.stream_rcvhiwat          = virtio_transport_stream_rcvhiwat,
		.stream_is_active         = virtio_transport_stream_is_active,
#ifdef COMPAT_NO_VSOCK_NETNS
		.stream_allow             = virtio_transport_stream_allow,
#else
		.stream_allow             = vhost_transport_stream_allow,
#endif

		.seqpacket_dequeue        = virtio_transport_seqpacket_dequeue,
		.seqpacket_enqueue        = virtio_transport_seqpacket_enqueue,
		.seqpacket_allow          = vhost_transport_seqpacket_allow,
		.seqpacket_has_data       = virtio_transport_seqpacket_has_data,

		.msgzerocopy_allow        = vhost_transport_msgzerocopy_allow,

		.notify_poll_in           = virtio_transport_notify_poll_in,
		.notify_poll_out          = virtio_transport_notify_poll_out,
		.notify_recv_init         = virtio_transport_notify_recv_init,
		.notify_recv_pre_block    = virtio_transport_notify_recv_pre_block,
		.notify_recv_pre_dequeue  = virtio_transport_notify_recv_pre_dequeue,
		.notify_recv_post_dequeue = virtio_transport_notify_recv_post_dequeue,
		.notify_send_init         = virtio_transport_notify_send_init,
		.notify_send_pre_block    = virtio_transport_notify_send_pre_block,
		.notify_send_pre_enqueue  = virtio_transport_notify_send_pre_enqueue,
		.notify_send_post_enqueue = virtio_transport_notify_send_post_enqueue,
		.notify_buffer_size       = virtio_transport_notify_buffer_size,
		.notify_set_rcvlowat      = virtio_transport_notify_set_rcvlowat,

		.unsent_bytes             = virtio_transport_unsent_bytes,

		.read_skb                 = virtio_transport_read_skb,
	},

#ifdef COMPAT_NO_VSOCK_NETNS
	.send_pkt = vhost_transport_send_pkt_compat,
#else
	.send_pkt = vhost_transport_send_pkt,
#endif
};

/*
 * For vsock_for_each_connected_socket(), which holds vsock_table_lock: that
 * keeps the socket alive, and like upstream we do without its lock to reset
 * a host socket whose guest went away. A pending close timeout is left to
 * reset the socket itself.
 */
static void vhost_vsock_reset_orphans(struct sock *sk)
{
	struct vsock_sock *vsk = vsock_sk(sk);
	bool orphan;

	rcu_read_lock();
	orphan = !vhost_vsock_get(vsk->remote_addr.svm_cid, sock_net(sk));
	rcu_read_unlock();

	if (orphan && !vsk->close_work_scheduled) {
		sock_set_flag(sk, SOCK_DONE);
		vsk->peer_shutdown = SHUTDOWN_MASK;
		sk->sk_state = SS_UNCONNECTED;
		sk->sk_err = ECONNRESET;
		sk_error_report(sk);
	}
}

/*
 * The streams of a guest whose route to the host is being dropped, and the
 * old alias, for vsock_fwd_collect_host_stream(); under vsock_fwd_mutex.
 * Their resets come from a pool filled before the route changed: under
 * vsock_table_lock only GFP_ATOMIC is left, and a host socket whose reset
 * could not be allocated would stay established forever.
 */
static struct vhost_vsock *vsock_fwd_resetting;
static u32 vsock_fwd_resetting_alias;
static unsigned int vsock_fwd_resetting_count;
static struct sk_buff_head vsock_fwd_rst_pool;
static struct sk_buff_head vsock_fwd_host_resets;

/* Whether @sk is a host socket connected to the guest being reset. */
static bool vsock_fwd_resetting_stream(struct sock *sk)
{
	struct vsock_sock *vsk = vsock_sk(sk);
	struct vhost_vsock *vsock = vsock_fwd_resetting;

	return vsk->remote_addr.svm_cid == vsock->fwd.guest_cid &&
	       vsock_net_check_mode(sock_net(sk), vsock->net);
}

static void vsock_fwd_count_host_stream(struct sock *sk)
{
	if (vsock_fwd_resetting_stream(sk))
		vsock_fwd_resetting_count++;
}

/* A reset from the pool; atomic for a stream opened since it was filled. */
static struct sk_buff *vsock_fwd_pool_rst(u32 src_cid, u32 src_port,
					  u32 dst_cid, u32 dst_port, u16 type)
{
	struct sk_buff *skb = __skb_dequeue(&vsock_fwd_rst_pool);

	if (!skb)
		return vsock_fwd_alloc_rst(src_cid, src_port, dst_cid,
					   dst_port, type, GFP_ATOMIC);
	vsock_fwd_fill_rst(skb, src_cid, src_port, dst_cid, dst_port, type);
	return skb;
}

/**
 * vsock_fwd_prepare_host_resets() - allocate the resets of the streams
 *	between a guest and host sockets, before a route change cuts them
 * @node: the guest
 *
 * Context: under vsock_fwd_mutex, followed by
 * vsock_fwd_reset_host_streams(); sleeps.
 * Return: 0 or -ENOMEM.
 */
int vsock_fwd_prepare_host_resets(struct vsock_fwd_node *node)
{
	struct sk_buff *skb;
	unsigned int i;

	lockdep_assert_held(&vsock_fwd_mutex);

	vsock_fwd_resetting = vsock_fwd_of(node);
	vsock_fwd_resetting_count = 0;
	vsock_for_each_connected_socket(&vhost_transport.transport,
					vsock_fwd_count_host_stream);
	vsock_fwd_resetting = NULL;

	/* One for each end of each stream. */
	for (i = 0; i < 2 * vsock_fwd_resetting_count; i++) {
		skb = vsock_fwd_alloc_pkt(GFP_KERNEL);
		if (!skb) {
			__skb_queue_purge(&vsock_fwd_rst_pool);
			return -ENOMEM;
		}
		__skb_queue_tail(&vsock_fwd_rst_pool, skb);
	}
	return 0;
}

/*
 * For vsock_for_each_connected_socket(), under vsock_table_lock: the guest
 * end of each stream of the route being dropped gets a reset from the old
 * alias, and the host end one from the guest, collected to go through the
 * transport's receive path, which takes the socket's lock, once the table
 * lock is released.
 */
static void vsock_fwd_collect_host_stream(struct sock *sk)
{
	struct vhost_vsock *vsock = vsock_fwd_resetting;
	struct vsock_sock *vsk = vsock_sk(sk);
	struct sk_buff *skb;
	u16 type;

	if (!vsock_fwd_resetting_stream(sk))
		return;

	type = sk->sk_type == SOCK_SEQPACKET ? VIRTIO_VSOCK_TYPE_SEQPACKET :
	       VIRTIO_VSOCK_TYPE_STREAM;
	skb = vsock_fwd_pool_rst(vsock_fwd_resetting_alias,
				 vsk->local_addr.svm_port, vsock->fwd.guest_cid,
				 vsk->remote_addr.svm_port, type);
	if (skb)
		vsock_fwd_queue_rst(vsock, skb);
	skb = vsock_fwd_pool_rst(vsock->fwd.guest_cid, vsk->remote_addr.svm_port,
				 VMADDR_CID_HOST, vsk->local_addr.svm_port,
				 type);
	if (skb)
		__skb_queue_tail(&vsock_fwd_host_resets, skb);
}

/**
 * vsock_fwd_reset_host_streams() - end the streams between a guest and host
 *	sockets that a change of its route cuts off
 * @node: the guest
 * @alias: the CID the guest knew the host by: the old alias, or 2
 *
 * Context: under vsock_fwd_mutex; sleeps.
 */
void vsock_fwd_reset_host_streams(struct vsock_fwd_node *node, u32 alias)
{
	struct sk_buff *skb;

	lockdep_assert_held(&vsock_fwd_mutex);

	vsock_fwd_resetting = vsock_fwd_of(node);
	vsock_fwd_resetting_alias = alias;
	vsock_for_each_connected_socket(&vhost_transport.transport,
					vsock_fwd_collect_host_stream);
	vsock_fwd_resetting = NULL;
	/* Streams closed since the pool was filled leave some unused. */
	__skb_queue_purge(&vsock_fwd_rst_pool);

	while ((skb = __skb_dequeue(&vsock_fwd_host_resets)))
		virtio_transport_recv_pkt(&vhost_transport, skb,
					  vsock_fwd_of(node)->net);
}

/* ---- this guest to the host and other guests: the TX ring ---- */

static void vsock_fwd_deliver(struct vhost_vsock *vsock, struct sk_buff *skb)
{
	struct vsock_fwd_node *peer = NULL;
	enum vsock_fwd_verdict verdict;

	rcu_read_lock();
	verdict = vsock_fwd_route_tx(&vsock->fwd, skb, &peer);
	if (verdict == VSOCK_FWD_GUEST)
		vsock_fwd_node_queue(peer, skb);
	rcu_read_unlock();

	switch (verdict) {
	case VSOCK_FWD_HOST:
		/* Takes the socket lock: not under RCU. */
		virtio_transport_recv_pkt(&vhost_transport, skb, vsock->net);
		break;
	case VSOCK_FWD_GUEST:
		break;
	case VSOCK_FWD_RESET:
		vsock_fwd_reset_guest(vsock, virtio_vsock_hdr(skb));
		kfree_skb(skb);
		break;
	case VSOCK_FWD_DROP:
		kfree_skb(skb);
		break;
	}
}

/* Read the packet at @vq->iov into a new skb, or return NULL if malformed. */
static struct sk_buff *vhost_vsock_alloc_skb(struct vhost_virtqueue *vq,
					     unsigned int out, unsigned int in)
{
	struct virtio_vsock_hdr *hdr;
	struct iov_iter iter;
	struct sk_buff *skb;
	size_t payload_len;
	size_t len;

	if (in) {
		vq_err(vq, "Expected 0 input buffers, got %u\n", in);
		return NULL;
	}

	len = iov_length(vq->iov, out);
	if (len < VIRTIO_VSOCK_SKB_HEADROOM ||
	    len > VIRTIO_VSOCK_MAX_PKT_BUF_SIZE + VIRTIO_VSOCK_SKB_HEADROOM)
		return NULL;

	skb = virtio_vsock_alloc_skb(len, GFP_KERNEL);
	if (!skb)
		return NULL;

	iov_iter_init(&iter, ITER_SOURCE, vq->iov, out, len);

	hdr = virtio_vsock_hdr(skb);
	if (copy_from_iter(hdr, sizeof(*hdr), &iter) != sizeof(*hdr)) {
		vq_err(vq, "Expected %zu bytes for pkt->hdr\n", sizeof(*hdr));
		goto err_free;
	}

	payload_len = le32_to_cpu(hdr->len);
	if (!payload_len)
		return skb;

	/* The header may not claim more than the buffer holds. */
	if (payload_len > len - sizeof(*hdr))
		goto err_free;

	virtio_vsock_skb_put(skb, payload_len);
	if (skb_copy_datagram_from_iter(skb, 0, &iter, payload_len)) {
		vq_err(vq, "Failed to copy %zu byte payload\n", payload_len);
		goto err_free;
	}
	return skb;

err_free:
	kfree_skb(skb);
	return NULL;
}

/*
 * Whether the guest may send more: each packet it sends may make the host
 * queue a reply to it. What it sends to other guests is charged to them.
 */
static bool vhost_vsock_more_replies(struct vhost_vsock *vsock)
{
	struct vhost_virtqueue *vq = &vsock->vqs[VSOCK_VQ_TX];

	/* Pairs with the atomic read-modify-writes of whoever drains them. */
	smp_rmb();
	return atomic_read(&vsock->queued_replies) < vq->num;
}

static void vhost_vsock_handle_tx_kick(struct vhost_work *work)
{
	struct vhost_virtqueue *vq = container_of(work, struct vhost_virtqueue,
						  poll.work);
	struct vhost_vsock *vsock = container_of(vq->dev, struct vhost_vsock,
						 dev);
	int head, pkts = 0, total_len = 0;
	unsigned int out, in;
	struct sk_buff *skb;
	bool added = false;

	mutex_lock(&vq->mutex);

	if (!vhost_vq_get_backend(vq) || !vq_meta_prefetch(vq))
		goto out_unlock;

	vhost_disable_notify(&vsock->dev, vq);
	do {
		/*
		 * Paused: guest kicks stay off, and whoever drains our
		 * replies requeues us.
		 */
		if (!vhost_vsock_more_replies(vsock))
			break;

		head = vhost_get_vq_desc(vq, vq->iov, ARRAY_SIZE(vq->iov),
					 &out, &in, NULL, NULL);
		if (head < 0)
			break;
		if (head == vq->num) {
			if (unlikely(vhost_enable_notify(&vsock->dev, vq))) {
				vhost_disable_notify(&vsock->dev, vq);
				continue;
			}
			break;
		}

		skb = vhost_vsock_alloc_skb(vq, out, in);
		if (unlikely(!skb)) {
			vq_err(vq, "Faulted on pkt\n");
			continue;
		}

		total_len += sizeof(struct virtio_vsock_hdr) + skb->len;
		virtio_transport_deliver_tap_pkt(skb);
		vsock_fwd_deliver(vsock, skb);

		vhost_add_used(vq, head, 0);
		added = true;
	} while (likely(!vhost_exceeds_weight(vq, ++pkts, total_len)));

	if (added)
		vhost_signal(&vsock->dev, vq);

out_unlock:
	mutex_unlock(&vq->mutex);
}

/* ---- device control ---- */

static int vhost_vsock_start(struct vhost_vsock *vsock)
{
	struct vhost_virtqueue *vq;
	size_t i;
	int ret;

	mutex_lock(&vsock->dev.mutex);

	ret = vhost_dev_check_owner(&vsock->dev);
	if (ret)
		goto out_unlock;

	for (i = 0; i < ARRAY_SIZE(vsock->vqs); i++) {
		vq = &vsock->vqs[i];

		mutex_lock(&vq->mutex);
		if (!vhost_vq_access_ok(vq)) {
			ret = -EFAULT;
			goto err_clear_backends;
		}
		if (!vhost_vq_get_backend(vq)) {
			vhost_vq_set_backend(vq, vsock);
			ret = vhost_vq_init_access(vq);
			if (ret)
				goto err_clear_backends;
		}
		mutex_unlock(&vq->mutex);
	}

	WRITE_ONCE(vsock->running, true);
	/* Send what was queued for the guest before it ran. */
	vhost_vq_work_queue(&vsock->vqs[VSOCK_VQ_RX], &vsock->send_pkt_work);
	/*
	 * And look at its TX ring: a kick that came while it was stopped
	 * found no backend, and its TX may have paused on replies that
	 * were purged meanwhile.
	 */
	vhost_poll_queue(&vsock->vqs[VSOCK_VQ_TX].poll);
	mutex_unlock(&vsock->dev.mutex);
	return 0;

err_clear_backends:
	/* @vq is the one whose mutex we hold. */
	vhost_vq_set_backend(vq, NULL);
	mutex_unlock(&vq->mutex);
	for (i = 0; i < ARRAY_SIZE(vsock->vqs); i++) {
		vq = &vsock->vqs[i];

		mutex_lock(&vq->mutex);
		vhost_vq_set_backend(vq, NULL);
		mutex_unlock(&vq->mutex);
	}
out_unlock:
	mutex_unlock(&vsock->dev.mutex);
	return ret;
}

static int vhost_vsock_stop(struct vhost_vsock *vsock, bool check_owner)
{
	size_t i;
	int ret = 0;

	mutex_lock(&vsock->dev.mutex);

	if (check_owner) {
		ret = vhost_dev_check_owner(&vsock->dev);
		if (ret)
			goto out_unlock;
	}

	WRITE_ONCE(vsock->running, false);
	for (i = 0; i < ARRAY_SIZE(vsock->vqs); i++) {
		struct vhost_virtqueue *vq = &vsock->vqs[i];

		mutex_lock(&vq->mutex);
		vhost_vq_set_backend(vq, NULL);
		mutex_unlock(&vq->mutex);
	}

out_unlock:
	mutex_unlock(&vsock->dev.mutex);
	return ret;
}

static void vsock_fwd_fill_info(struct vhost_vsock *vsock,
				struct vsock_fwd_dev_info *info);

/* Tell the vsock_fwd netlink listeners; under vsock_fwd_mutex. */
static void vsock_fwd_notify_dev(struct vhost_vsock *vsock, u8 cmd, u32 cid)
{
	struct vsock_fwd_dev_info info = { .guest_cid = cid };

	lockdep_assert_held(&vsock_fwd_mutex);
	if (!vsock_fwd_notify_wanted(vsock->net))
		return;
	if (cmd != VSOCK_FWD_CMD_DEV_DEL)
		vsock_fwd_fill_info(vsock, &info);
	vsock_fwd_notify(vsock->net, cmd, &info);
}

/* For the policy: the forward or the parent flags changed. */
void vsock_fwd_node_changed(struct vsock_fwd_node *node)
{
	if (node->guest_cid)
		vsock_fwd_notify_dev(vsock_fwd_of(node),
				     VSOCK_FWD_CMD_FWD_CHANGE,
				     node->guest_cid);
}

/*
 * A rule's guest target gives reachability to whatever device holds the CID:
 * only to one a privileged VMM opened, so that a CID is not a credential.
 */
static int vsock_fwd_rule_allowed(struct vhost_vsock *vsock,
				  const struct vhost_vsock_forward *rule)
{
	if (rule->target_cid != VMADDR_CID_HOST && !vsock->opener_admin)
		return -EPERM;
	return 0;
}

static int vhost_vsock_set_cid(struct vhost_vsock *vsock, u64 guest_cid)
{
	static const struct vhost_vsock_forward off;
	struct vsock_fwd_node *node = &vsock->fwd;
	struct vhost_vsock_forward fwd;
	struct vhost_vsock_forward rule;
	struct vhost_vsock *other;
	bool has_rule;
	u32 old_cid;
	int ret = 0;

	/* Reserved CIDs, and 64-bit CIDs, which vsock does not support. */
	if (guest_cid <= VMADDR_CID_HOST || guest_cid >= U32_MAX)
		return -EINVAL;

	/* Taken by the guest-to-host transport (we are a nested VM). */
	if (vsock_find_cid(guest_cid))
		return -EADDRINUSE;

	mutex_lock(&vsock_fwd_mutex);

	old_cid = node->guest_cid;
	if (old_cid == guest_cid)
		goto out_unlock;

	other = vhost_vsock_get(guest_cid, vsock->net);
	if (other) {
		ret = -EADDRINUSE;
		goto out_unlock;
	}

	/* The forward may not point at the guest itself. */
	vsock_fwd_get_forward(node, &fwd);
	if (guest_cid == fwd.alias_cid || guest_cid == fwd.target_cid) {
		ret = -EINVAL;
		goto out_unlock;
	}

	/*
	 * A rule for the CID applies, or the device does not get the CID:
	 * the administrator's rule is never silently left out.
	 */
	has_rule = vsock_fwd_rule_lookup(vsock->net, guest_cid, &rule);
	if (has_rule) {
		ret = vsock_fwd_rule_allowed(vsock, &rule);
		if (ret)
			goto out_unlock;
	}

	if (old_cid) {
		hash_del_rcu(&vsock->hash);
		/* Nobody opens a connection with the old CID after this. */
		synchronize_rcu();
		vsock_fwd_cid_left(node, old_cid, false);
	}
	WRITE_ONCE(node->guest_cid, guest_cid);
	hash_add_rcu(vsock_fwd_table, &vsock->hash, guest_cid);
	if (old_cid)
		vsock_fwd_notify_dev(vsock, VSOCK_FWD_CMD_DEV_DEL, old_cid);
	vsock_fwd_notify_dev(vsock, VSOCK_FWD_CMD_DEV_NEW, guest_cid);

	/* A rule belongs to a CID: the new one's applies, the old one's goes. */
	if (has_rule)
		ret = vsock_fwd_change_route(node, &rule, VSOCK_FWD_SOURCE_RULE);
	else if (node->fwd_source == VSOCK_FWD_SOURCE_RULE)
		ret = vsock_fwd_change_route(node, &off, VSOCK_FWD_SOURCE_NONE);
	if (ret)
		goto err_restore_cid;
	mutex_unlock(&vsock_fwd_mutex);
	return 0;

err_restore_cid:
	vsock_fwd_notify_dev(vsock, VSOCK_FWD_CMD_DEV_DEL, guest_cid);
	hash_del_rcu(&vsock->hash);
	WRITE_ONCE(node->guest_cid, old_cid);
	if (old_cid) {
		hash_add_rcu(vsock_fwd_table, &vsock->hash, old_cid);
		vsock_fwd_notify_dev(vsock, VSOCK_FWD_CMD_DEV_NEW, old_cid);
	}
out_unlock:
	mutex_unlock(&vsock_fwd_mutex);
	return ret;
}

static int vsock_fwd_ioctl_set_forward(struct vhost_vsock *vsock,
				       void __user *argp)
{
	struct vhost_vsock_forward fwd;
	bool admin;
	int ret;

	if (copy_from_user(&fwd, argp, sizeof(fwd)))
		return -EFAULT;

	ret = vsock_fwd_check_forward(&fwd);
	if (ret)
		return ret;

	/*
	 * Checked on the caller, not the opener, so that dropping the
	 * capability counts: a guest target creates reachability between
	 * guests, and an administrator's rule outranks an unprivileged VMM.
	 */
	admin = ns_capable(vsock->net->user_ns, CAP_NET_ADMIN);
	if (fwd.target_cid && fwd.target_cid != VMADDR_CID_HOST && !admin)
		return -EPERM;

	mutex_lock(&vsock_fwd_mutex);
	if (vsock->fwd.fwd_source == VSOCK_FWD_SOURCE_RULE && !admin)
		ret = -EPERM;
	else
		ret = vsock_fwd_change_route(&vsock->fwd, &fwd,
					     VSOCK_FWD_SOURCE_IOCTL);
	mutex_unlock(&vsock_fwd_mutex);
	return ret;
}

static int vsock_fwd_ioctl_set_parent(struct vhost_vsock *vsock,
				      void __user *argp)
{
	struct vhost_vsock_parent parent;
	int ret;

	if (copy_from_user(&parent, argp, sizeof(parent)))
		return -EFAULT;
	if ((parent.flags & ~VHOST_VSOCK_PARENT_F_ALL) || parent.reserved)
		return -EINVAL;
	/* Consent to be reached by other guests; withdrawing it is free. */
	if ((parent.flags & VHOST_VSOCK_PARENT_F_ACCEPT) &&
	    !ns_capable(vsock->net->user_ns, CAP_NET_ADMIN))
		return -EPERM;

	mutex_lock(&vsock_fwd_mutex);
	ret = vsock_fwd_set_parent_flags(&vsock->fwd, parent.flags);
	mutex_unlock(&vsock_fwd_mutex);
	return ret;
}

static int vhost_vsock_set_features(struct vhost_vsock *vsock, u64 features)
{
	size_t i;

	if (features & ~VSOCK_FWD_FEATURES)
		return -EOPNOTSUPP;

	mutex_lock(&vsock->dev.mutex);

	if ((features & (1ULL << VHOST_F_LOG_ALL)) &&
	    !vhost_log_access_ok(&vsock->dev))
		goto err_unlock;

	if (features & (1ULL << VIRTIO_F_ACCESS_PLATFORM)) {
		if (vhost_init_device_iotlb(&vsock->dev))
			goto err_unlock;
	} else {
		vhost_clear_device_iotlb(&vsock->dev);
	}

	WRITE_ONCE(vsock->seqpacket_allow,
		   !!(features & (1ULL << VIRTIO_VSOCK_F_SEQPACKET)));

	for (i = 0; i < ARRAY_SIZE(vsock->vqs); i++) {
		struct vhost_virtqueue *vq = &vsock->vqs[i];

		mutex_lock(&vq->mutex);
		vq->acked_features = features;
		mutex_unlock(&vq->mutex);
	}
	mutex_unlock(&vsock->dev.mutex);
	return 0;

err_unlock:
	mutex_unlock(&vsock->dev.mutex);
	return -EFAULT;
}

/* For the control plane: who runs this device. */
static void vsock_fwd_set_owner(struct vhost_vsock *vsock)
{
	mutex_lock(&vsock_fwd_mutex);
	if (!vsock->owner) {
		vsock->owner = get_task_pid(current, PIDTYPE_TGID);
		get_task_comm(vsock->owner_comm, current);
	}
	mutex_unlock(&vsock_fwd_mutex);
}

static long vhost_vsock_dev_ioctl(struct file *f, unsigned int ioctl,
				  unsigned long arg)
{
	struct vhost_vsock *vsock = f->private_data;
	void __user *argp = (void __user *)arg;
	struct vhost_vsock_parent parent;
	struct vhost_vsock_forward fwd;
	u64 guest_cid;
	u64 features;
	int start;
	long r;

	switch (ioctl) {
	case VHOST_VSOCK_SET_GUEST_CID:
		if (copy_from_user(&guest_cid, argp, sizeof(guest_cid)))
			return -EFAULT;
		return vhost_vsock_set_cid(vsock, guest_cid);
	case VHOST_VSOCK_SET_RUNNING:
		if (copy_from_user(&start, argp, sizeof(start)))
			return -EFAULT;
		if (start)
			return vhost_vsock_start(vsock);
		return vhost_vsock_stop(vsock, true);
	case VHOST_VSOCK_SET_FORWARD:
		return vsock_fwd_ioctl_set_forward(vsock, argp);
	case VHOST_VSOCK_GET_FORWARD:
		vsock_fwd_get_forward(&vsock->fwd, &fwd);
		if (copy_to_user(argp, &fwd, sizeof(fwd)))
			return -EFAULT;
		return 0;
	case VHOST_VSOCK_SET_PARENT:
		return vsock_fwd_ioctl_set_parent(vsock, argp);
	case VHOST_VSOCK_GET_PARENT:
		parent = (struct vhost_vsock_parent) {
			.flags = READ_ONCE(vsock->fwd.parent_flags),
		};
		if (copy_to_user(argp, &parent, sizeof(parent)))
			return -EFAULT;
		return 0;
	case VHOST_GET_FEATURES:
		features = VSOCK_FWD_FEATURES;
		if (copy_to_user(argp, &features, sizeof(features)))
			return -EFAULT;
		return 0;
	case VHOST_SET_FEATURES:
		if (copy_from_user(&features, argp, sizeof(features)))
			return -EFAULT;
		return vhost_vsock_set_features(vsock, features);
	case VHOST_GET_BACKEND_FEATURES:
		features = VSOCK_FWD_BACKEND_FEATURES;
		if (copy_to_user(argp, &features, sizeof(features)))
			return -EFAULT;
		return 0;
	case VHOST_SET_BACKEND_FEATURES:
		if (copy_from_user(&features, argp, sizeof(features)))
			return -EFAULT;
		if (features & ~VSOCK_FWD_BACKEND_FEATURES)
			return -EOPNOTSUPP;
		vhost_set_backend_features(&vsock->dev, features);
		return 0;
	default:
		mutex_lock(&vsock->dev.mutex);
		r = vhost_dev_ioctl(&vsock->dev, ioctl, argp);
		if (r == -ENOIOCTLCMD)
			r = vhost_vring_ioctl(&vsock->dev, ioctl, argp);
		else
			vhost_dev_flush(&vsock->dev);
		mutex_unlock(&vsock->dev.mutex);
		if (ioctl == VHOST_SET_OWNER && !r)
			vsock_fwd_set_owner(vsock);
		return r;
	}
}

static int vhost_vsock_dev_open(struct inode *inode, struct file *file)
{
	struct vhost_virtqueue **vqs;
	struct vhost_vsock *vsock;
	int ret;

	/* Large (two virtqueues): may come from vmalloc. */
	vsock = kvzalloc(sizeof(*vsock), GFP_KERNEL | __GFP_RETRY_MAYFAIL);
	if (!vsock)
		return -ENOMEM;

	ret = vsock_fwd_node_init(&vsock->fwd);
	if (ret)
		goto err_free_dev;

	vqs = kmalloc_array(ARRAY_SIZE(vsock->vqs), sizeof(*vqs), GFP_KERNEL);
	if (!vqs) {
		ret = -ENOMEM;
		goto err_destroy_node;
	}

	atomic_set(&vsock->queued_replies, 0);
	vsock->net = get_net(vsock_fwd_opener_net());
	refcount_set(&vsock->users, 1);
	vsock->opener_admin = file_ns_capable(file, vsock->net->user_ns,
					      CAP_NET_ADMIN);

	vqs[VSOCK_VQ_TX] = &vsock->vqs[VSOCK_VQ_TX];
	vqs[VSOCK_VQ_RX] = &vsock->vqs[VSOCK_VQ_RX];
	vsock->vqs[VSOCK_VQ_TX].handle_kick = vhost_vsock_handle_tx_kick;
	vsock->vqs[VSOCK_VQ_RX].handle_kick = vhost_vsock_handle_rx_kick;
	vhost_dev_init(&vsock->dev, vqs, ARRAY_SIZE(vsock->vqs), UIO_MAXIOV,
		       VSOCK_FWD_PKT_WEIGHT, VSOCK_FWD_WEIGHT, true, NULL);

	skb_queue_head_init(&vsock->send_pkt_queue);
	vhost_work_init(&vsock->send_pkt_work, vhost_transport_send_pkt_work);
	file->private_data = vsock;
	atomic_inc(&vsock_fwd_nr_devs);
	return 0;

err_destroy_node:
	vsock_fwd_node_release(&vsock->fwd);
	vsock_fwd_node_free(&vsock->fwd);
err_free_dev:
	kvfree(vsock);
	return ret;
}

static int vhost_vsock_dev_release(struct inode *inode, struct file *file)
{
	struct vhost_vsock *vsock = file->private_data;

	/*
	 * Cannot fail without the owner check. Nothing the guest sends is
	 * routed after this, so no connection opens behind the resets.
	 */
	vhost_vsock_stop(vsock, false);
	vhost_dev_flush(&vsock->dev);

	mutex_lock(&vsock_fwd_mutex);
	if (vsock->fwd.guest_cid) {
		hash_del_rcu(&vsock->hash);
		/*
		 * Nobody finds us, so nobody queues to us or opens a
		 * connection with us, once these readers are gone.
		 */
		synchronize_rcu();
		vsock_fwd_cid_left(&vsock->fwd, vsock->fwd.guest_cid, true);
		vsock_fwd_notify_dev(vsock, VSOCK_FWD_CMD_DEV_DEL,
				     vsock->fwd.guest_cid);
	}
	put_pid(vsock->owner);
	vsock->owner = NULL;
	mutex_unlock(&vsock_fwd_mutex);

	/* Scanning every socket is slow, but release is rare. */
	vsock_for_each_connected_socket(&vhost_transport.transport,
					vhost_vsock_reset_orphans);

	vhost_dev_stop(&vsock->dev);

	/* Uncharges what other guests queued to us. */
	virtio_vsock_skb_queue_purge(&vsock->send_pkt_queue);

	vhost_dev_cleanup(&vsock->dev);
	kfree(vsock->dev.vqs);
	vsock_fwd_node_release(&vsock->fwd);
	/* Our packets still queued to our parent keep the rest alive. */
	vsock_fwd_node_put(&vsock->fwd);
	return 0;
}

static ssize_t vhost_vsock_chr_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct file *file = iocb->ki_filp;
	struct vhost_vsock *vsock = file->private_data;

	return vhost_chr_read_iter(&vsock->dev, to, file->f_flags & O_NONBLOCK);
}

static ssize_t vhost_vsock_chr_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct vhost_vsock *vsock = iocb->ki_filp->private_data;

	return vhost_chr_write_iter(&vsock->dev, from);
}

static __poll_t vhost_vsock_chr_poll(struct file *file, poll_table *wait)
{
	struct vhost_vsock *vsock = file->private_data;

	return vhost_chr_poll(file, &vsock->dev, wait);
}

static const struct file_operations vhost_vsock_fops = {
	.owner          = THIS_MODULE,
	.open           = vhost_vsock_dev_open,
	.release        = vhost_vsock_dev_release,
	.llseek         = noop_llseek,
	.unlocked_ioctl = vhost_vsock_dev_ioctl,
	.compat_ioctl   = compat_ptr_ioctl,
	.read_iter      = vhost_vsock_chr_read_iter,
	.write_iter     = vhost_vsock_chr_write_iter,
	.poll           = vhost_vsock_chr_poll,
};

static struct miscdevice vhost_vsock_misc = {
	.minor = VHOST_VSOCK_MINOR,
	.name = "vhost-vsock",
	.fops = &vhost_vsock_fops,
};

/* ---- interface for control planes, see vsock_fwd.h ---- */

/**
 * vsock_fwd_apply_rule() - give a guest's device the forward of a rule
 * @net: the namespace of the rule
 * @guest_cid: the guest
 * @fwd: the rule's forward, already checked; NULL when the rule is deleted,
 *	which turns the forward off if it came from a rule
 *
 * Return: 0, -ENODEV if no device has @guest_cid, or an error of
 * VHOST_VSOCK_SET_FORWARD.
 */
int vsock_fwd_apply_rule(struct net *net, u32 guest_cid,
			 const struct vhost_vsock_forward *fwd)
{
	static const struct vhost_vsock_forward off;
	struct vhost_vsock *vsock;
	int ret = 0;

	if (fwd) {
		ret = vsock_fwd_check_forward(fwd);
		if (ret)
			return ret;
	}

	mutex_lock(&vsock_fwd_mutex);
	vsock = vsock_fwd_get_own(guest_cid, net);
	if (!vsock)
		ret = -ENODEV;
	else if (fwd)
		ret = vsock_fwd_rule_allowed(vsock, fwd) ?:
		      vsock_fwd_change_route(&vsock->fwd, fwd,
					     VSOCK_FWD_SOURCE_RULE);
	else if (vsock->fwd.fwd_source == VSOCK_FWD_SOURCE_RULE)
		ret = vsock_fwd_change_route(&vsock->fwd, &off,
					     VSOCK_FWD_SOURCE_NONE);
	mutex_unlock(&vsock_fwd_mutex);
	return ret;
}

/**
 * vsock_fwd_set_parent() - VHOST_VSOCK_SET_PARENT on the device of a guest
 * @net: the namespace of the device
 * @guest_cid: the guest
 * @flags: VHOST_VSOCK_PARENT_F_*, already checked, as is the capability
 *
 * Return: 0, or -ENODEV if no device has @guest_cid.
 */
int vsock_fwd_set_parent(struct net *net, u32 guest_cid, u32 flags)
{
	struct vhost_vsock *vsock;
	int ret;

	mutex_lock(&vsock_fwd_mutex);
	vsock = vsock_fwd_get_own(guest_cid, net);
	ret = vsock ? vsock_fwd_set_parent_flags(&vsock->fwd, flags) : -ENODEV;
	mutex_unlock(&vsock_fwd_mutex);
	return ret;
}

/* Under vsock_fwd_mutex, which keeps @vsock in the table. */
static void vsock_fwd_fill_info(struct vhost_vsock *vsock,
				struct vsock_fwd_dev_info *info)
{
	memset(info, 0, sizeof(*info));
	vsock_fwd_node_fill_info(&vsock->fwd, info);
	info->running = READ_ONCE(vsock->running);
	info->features = READ_ONCE(vsock->vqs[VSOCK_VQ_TX].acked_features);
	if (vsock->owner) {
		info->owner_pid = pid_vnr(vsock->owner);
		strscpy(info->owner_comm, vsock->owner_comm);
	}
}

/**
 * vsock_fwd_get_dev_info() - describe the device of a guest
 * @net: the namespace of the device
 * @guest_cid: the guest
 * @info: filled in on success
 *
 * Return: 0, or -ENODEV if no device has @guest_cid.
 */
int vsock_fwd_get_dev_info(struct net *net, u32 guest_cid,
			   struct vsock_fwd_dev_info *info)
{
	struct vhost_vsock *vsock;
	int ret = -ENODEV;

	mutex_lock(&vsock_fwd_mutex);
	vsock = vsock_fwd_get_own(guest_cid, net);
	if (vsock) {
		vsock_fwd_fill_info(vsock, info);
		ret = 0;
	}
	mutex_unlock(&vsock_fwd_mutex);
	return ret;
}

/**
 * vsock_fwd_walk_devs() - describe every device that has a guest CID in a
 *	namespace
 * @net: the namespace
 * @walk: its @fn is called for each device
 *
 * Return: 0, -ENOMEM, or the non-zero value @walk->fn stopped with.
 */
int vsock_fwd_walk_devs(struct net *net, struct vsock_fwd_dev_walk *walk)
{
	struct vsock_fwd_dev_info *info;
	struct vhost_vsock *vsock;
	int bkt, ret = 0;

	info = kmalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return -ENOMEM;

	mutex_lock(&vsock_fwd_mutex);
	hash_for_each(vsock_fwd_table, bkt, vsock, hash) {
		if (!net_eq(vsock->net, net))
			continue;
		vsock_fwd_fill_info(vsock, info);
		ret = walk->fn(walk, info);
		if (ret)
			break;
	}
	mutex_unlock(&vsock_fwd_mutex);

	kfree(info);
	return ret;
}

static int __init vhost_vsock_init(void)
{
	int ret;

	skb_queue_head_init(&vsock_fwd_host_resets);
	skb_queue_head_init(&vsock_fwd_rst_pool);
	ret = vsock_core_register(&vhost_transport.transport,
				  VSOCK_TRANSPORT_F_H2G);
	if (ret == -EBUSY) {
		pr_err("another host-to-guest vsock transport is loaded; unload vhost_vsock first (rmmod vhost_vsock)\n");
		return ret;
	}
	if (ret)
		return ret;

	ret = vsock_fwd_netlink_init();
	if (ret)
		goto err_unregister_transport;

	ret = misc_register(&vhost_vsock_misc);
	if (ret)
		goto err_exit_netlink;
	return 0;

err_exit_netlink:
	vsock_fwd_netlink_exit();
err_unregister_transport:
	vsock_core_unregister(&vhost_transport.transport);
	return ret;
}

static void __exit vhost_vsock_exit(void)
{
	misc_deregister(&vhost_vsock_misc);
	vsock_fwd_netlink_exit();
	vsock_core_unregister(&vhost_transport.transport);
	/* A leaked packet or reference: a use-after-unload to come. */
	WARN(atomic_read(&vsock_fwd_nr_devs), "vhost_vsock_fwd: %d devices leaked\n",
	     atomic_read(&vsock_fwd_nr_devs));
}

module_init(vhost_vsock_init);
module_exit(vhost_vsock_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vhost transport for vsock, with CID forwarding");
MODULE_ALIAS_MISCDEV(VHOST_VSOCK_MINOR);
MODULE_ALIAS("devname:vhost-vsock");
