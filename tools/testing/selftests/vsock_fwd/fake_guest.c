// SPDX-License-Identifier: GPL-2.0
/*
 * fake_guest: a virtio-vsock guest driver and its VMM in one process.
 * See fake_guest.h for the model and the API.
 *
 * Locking: everything in a guest (rings, connections, queues) is under
 * g->lock; g->cond is broadcast whenever the pump changed anything a caller
 * may wait for. The device runs on another CPU, so the rings are shared
 * memory: we publish avail entries with a release store of avail->idx (the
 * device reads the entries after it sees the index), read used entries
 * after an acquire load of used->idx, and order our avail->idx store before
 * the read of used->flags with a full barrier (the device's
 * vhost_enable_notify() pairs with it), so that a kick is never lost.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <linux/vm_sockets.h>

#include "fake_guest.h"

#define FG_HDR_LEN	sizeof(struct virtio_vsock_hdr)
#define FG_SLOT		(FG_HDR_LEN + FG_MAX_PKT_PAYLOAD)
#define FG_PAGE		4096UL
/* Unclaimed packets kept for fg_recv_pkt(); older ones are dropped. */
#define FG_RAW_MAX	4096
#define FG_FIRST_PORT	50000

enum { FG_RXQ, FG_TXQ, FG_NQ };

enum fg_state { FG_CONNECTING, FG_ESTABLISHED, FG_CLOSED };

struct fg_vq {
	unsigned int num;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t avail_idx;	/* next avail index we publish */
	uint16_t last_used;	/* next used index we consume */
	int kick;
	int call;
};

struct fg_pktq {
	struct fg_pkt *head;
	struct fg_pkt **tail;
	unsigned int count;
};

struct fg_listener {
	struct fg_listener *next;
	uint32_t port;
	uint16_t type;
};

struct fg_conn {
	struct fg_conn *next;
	struct fg_guest *g;
	uint16_t type;
	uint32_t lport;
	uint64_t pcid;
	uint32_t pport;
	enum fg_state state;
	bool reset;		/* the peer sent RST */
	bool unaccepted;	/* waits in fg_accept()'s queue */
	uint32_t peer_shutdown;
	/* Credit (virtio-vsock spec 5.10.6.3). */
	uint32_t tx_cnt;
	uint32_t peer_buf_alloc;
	uint32_t peer_fwd_cnt;
	uint32_t fwd_cnt;
	uint32_t fwd_cnt_sent;
	/* Received payload; rx_off is what was read of the first packet. */
	struct fg_pktq rxq;
	size_t rx_off;
	size_t rx_bytes;
	unsigned int rx_msgs;	/* SEQPACKET: complete messages queued */
};

struct fg_guest {
	int fd;
	uint64_t cid;
	uint64_t features;
	void *arena;
	size_t arena_size;
	unsigned char *slots[FG_NQ];
	struct fg_vq vq[FG_NQ];
	uint16_t tx_free[FG_RING];
	unsigned int tx_nfree;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t pump;
	int wake;		/* eventfd that wakes the pump */
	bool stopping;
	bool rx_paused;
	bool auto_rst;

	struct fg_pktq raw;	/* packets that belong to no connection */
	struct fg_pktq txq;	/* pump replies waiting for a TX slot */
	struct fg_conn *conns;	/* oldest first */
	struct fg_listener *listeners;
	uint32_t next_port;
	unsigned int misaddressed;	/* packets not for g->cid */
	uint32_t rx_buf;		/* bytes of each posted RX buffer */
	unsigned int chain;		/* descriptors per buffer, at most */
	uint64_t chain_rng;		/* where the buffers are split */
};

/* ---- small helpers ---- */

int fg_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

int fg_dev_open(void)
{
	int fd = open(FG_DEV_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int fg_set_cid(int fd, uint64_t cid)
{
	return fg_ioctl(fd, VHOST_VSOCK_SET_GUEST_CID, &cid);
}

int fg_set_running(int fd, int running)
{
	return fg_ioctl(fd, VHOST_VSOCK_SET_RUNNING, &running);
}

static struct timespec fg_deadline(int timeout_ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (timeout_ms < 0) {
		ts.tv_sec += 365 * 24 * 3600;
		return ts;
	}
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

/* Wait on g->cond (g->lock held); -ETIMEDOUT once the deadline passed. */
static int fg_wait(struct fg_guest *g, const struct timespec *deadline)
{
	int ret = pthread_cond_timedwait(&g->cond, &g->lock, deadline);

	return ret == ETIMEDOUT ? -ETIMEDOUT : 0;
}

static void fg_pktq_init(struct fg_pktq *q)
{
	q->head = NULL;
	q->tail = &q->head;
	q->count = 0;
}

static void fg_pktq_add(struct fg_pktq *q, struct fg_pkt *p)
{
	p->next = NULL;
	*q->tail = p;
	q->tail = &p->next;
	q->count++;
}

static struct fg_pkt *fg_pktq_pop(struct fg_pktq *q)
{
	struct fg_pkt *p = q->head;

	if (!p)
		return NULL;
	q->head = p->next;
	if (!q->head)
		q->tail = &q->head;
	q->count--;
	return p;
}

static void fg_pktq_purge(struct fg_pktq *q)
{
	struct fg_pkt *p;

	while ((p = fg_pktq_pop(q)))
		free(p);
}

static void fg_hdr_to_wire(const struct fg_hdr *h, struct virtio_vsock_hdr *w)
{
	w->src_cid = htole64(h->src_cid);
	w->dst_cid = htole64(h->dst_cid);
	w->src_port = htole32(h->src_port);
	w->dst_port = htole32(h->dst_port);
	w->len = htole32(h->len);
	w->type = htole16(h->type);
	w->op = htole16(h->op);
	w->flags = htole32(h->flags);
	w->buf_alloc = htole32(h->buf_alloc);
	w->fwd_cnt = htole32(h->fwd_cnt);
}

static void fg_hdr_from_wire(const struct virtio_vsock_hdr *w, struct fg_hdr *h)
{
	h->src_cid = le64toh(w->src_cid);
	h->dst_cid = le64toh(w->dst_cid);
	h->src_port = le32toh(w->src_port);
	h->dst_port = le32toh(w->dst_port);
	h->len = le32toh(w->len);
	h->type = le16toh(w->type);
	h->op = le16toh(w->op);
	h->flags = le32toh(w->flags);
	h->buf_alloc = le32toh(w->buf_alloc);
	h->fwd_cnt = le32toh(w->fwd_cnt);
}

/* ---- rings ---- */

static void fg_kick(struct fg_vq *vq)
{
	uint64_t one = 1;

	/* Our avail->idx store must be visible before we read used->flags. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (le16toh(__atomic_load_n(&vq->used->flags, __ATOMIC_RELAXED)) &
	    VRING_USED_F_NO_NOTIFY)
		return;
	if (write(vq->kick, &one, sizeof(one)) != sizeof(one))
		abort();	/* an eventfd write cannot fail here */
}

/* Queue descriptor id, without publishing it yet. */
static void fg_vq_add(struct fg_vq *vq, uint16_t id)
{
	vq->avail->ring[vq->avail_idx % vq->num] = htole16(id);
	vq->avail_idx++;
}

static void fg_vq_publish(struct fg_vq *vq)
{
	__atomic_store_n(&vq->avail->idx, htole16(vq->avail_idx),
			 __ATOMIC_RELEASE);
	fg_kick(vq);
}

/* The next used element, or false when the device has given back nothing. */
static bool fg_vq_get_used(struct fg_vq *vq, uint32_t *id, uint32_t *len)
{
	uint16_t idx = le16toh(__atomic_load_n(&vq->used->idx,
					       __ATOMIC_ACQUIRE));
	struct vring_used_elem *e;

	if (idx == vq->last_used)
		return false;
	e = &vq->used->ring[vq->last_used % vq->num];
	*id = le32toh(e->id);
	*len = le32toh(e->len);
	vq->last_used++;
	return true;
}

static uint64_t fg_mix(uint64_t x);

/* How many descriptors the next buffer of len bytes takes, 1 to max. */
static unsigned int fg_chain_len(struct fg_guest *g, size_t len,
				 unsigned int max)
{
	unsigned int n = 1 + fg_mix(g->chain_rng++) % g->chain;

	if (n > max)
		n = max;
	if (n > len)
		n = len ? len : 1;
	return n;
}

/*
 * Lay out the len bytes at buf as the chain of descriptors ids[0..n),
 * split at random points (every piece but an empty buffer's has a byte):
 * a driver may cut a buffer anywhere, even inside the header.
 */
static void fg_chain(struct fg_guest *g, struct fg_vq *vq,
		     const uint16_t *ids, unsigned int n, unsigned char *buf,
		     size_t len, uint16_t flags)
{
	size_t off = 0, piece;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct vring_desc *d = &vq->desc[ids[i]];
		bool last = i == n - 1;

		/* Leave a byte for each piece after this one. */
		piece = last ? len - off :
			1 + fg_mix(g->chain_rng++) % (len - off - (n - 1 - i));
		d->addr = htole64((uintptr_t)(buf + off));
		d->len = htole32(piece);
		d->flags = htole16(flags | (last ? 0 : VRING_DESC_F_NEXT));
		d->next = htole16(last ? 0 : ids[i + 1]);
		off += piece;
	}
}

static void fg_tx_reclaim(struct fg_guest *g)
{
	struct fg_vq *vq = &g->vq[FG_TXQ];
	uint32_t id, len;

	/* The device gives back a chain's head; we walk our own table. */
	while (fg_vq_get_used(vq, &id, &len))
		while (id < FG_RING && g->tx_nfree < FG_RING) {
			g->tx_free[g->tx_nfree++] = id;
			if (!(le16toh(vq->desc[id].flags) & VRING_DESC_F_NEXT))
				break;
			id = le16toh(vq->desc[id].next);
		}
}

/* Put one buffer of len bytes on the TX ring; a TX slot must be free. */
static void fg_tx_post(struct fg_guest *g, const void *hdr, size_t hdr_len,
		       const void *payload, size_t len)
{
	struct fg_vq *vq = &g->vq[FG_TXQ];
	unsigned int n = fg_chain_len(g, hdr_len + len, g->tx_nfree), i;
	uint16_t ids[FG_MAX_CHAIN];
	unsigned char *slot;

	for (i = 0; i < n; i++)
		ids[i] = g->tx_free[--g->tx_nfree];
	slot = g->slots[FG_TXQ] + (size_t)ids[0] * FG_SLOT;
	memcpy(slot, hdr, hdr_len);
	if (len)
		memcpy(slot + hdr_len, payload, len);
	fg_chain(g, vq, ids, n, slot, hdr_len + len, 0);
	fg_vq_add(vq, ids[0]);
	fg_vq_publish(vq);
}

/* Send the pump's queued replies while there are TX slots. */
static void fg_txq_flush(struct fg_guest *g)
{
	struct virtio_vsock_hdr w;
	struct fg_pkt *p;

	while (g->txq.head && g->tx_nfree) {
		p = fg_pktq_pop(&g->txq);
		fg_hdr_to_wire(&p->hdr, &w);
		fg_tx_post(g, &w, sizeof(w), p->data, p->len);
		free(p);
	}
}

/*
 * Send a packet (g->lock held). The pump may not wait for a TX slot (it is
 * the one that frees them), so its packets queue in g->txq instead; API
 * callers wait, behind the queued replies, until the deadline.
 */
static int fg_xmit(struct fg_guest *g, const struct fg_hdr *h,
		   const void *payload, size_t len,
		   const struct timespec *deadline)
{
	struct virtio_vsock_hdr w;
	struct fg_pkt *p;

	if (len > FG_MAX_PKT_PAYLOAD)
		return -EMSGSIZE;
	if (!deadline && (g->txq.head || !g->tx_nfree)) {
		p = malloc(sizeof(*p) + len);
		if (!p)
			return -ENOMEM;
		p->hdr = *h;
		p->len = len;
		if (len)
			memcpy(p->data, payload, len);
		fg_pktq_add(&g->txq, p);
		return 0;
	}
	while (g->txq.head || !g->tx_nfree) {
		fg_tx_reclaim(g);
		fg_txq_flush(g);
		if (!g->txq.head && g->tx_nfree)
			break;
		if (fg_wait(g, deadline))
			return -ETIMEDOUT;
	}
	fg_hdr_to_wire(h, &w);
	fg_tx_post(g, &w, sizeof(w), payload, len);
	return 0;
}

/*
 * Lay out every RX buffer once, each a chain of consecutive descriptors
 * from its head's slot, and post it; a used one is posted again as it is.
 */
static void fg_rx_fill(struct fg_guest *g)
{
	struct fg_vq *vq = &g->vq[FG_RXQ];
	uint16_t ids[FG_MAX_CHAIN];
	unsigned int i, k, n;

	for (i = 0; i < FG_RING; i += n) {
		n = fg_chain_len(g, g->rx_buf, FG_RING - i);
		for (k = 0; k < n; k++)
			ids[k] = i + k;
		fg_chain(g, vq, ids, n, g->slots[FG_RXQ] + (size_t)i * FG_SLOT,
			 g->rx_buf, VRING_DESC_F_WRITE);
		fg_vq_add(vq, i);
	}
	fg_vq_publish(vq);
}

/* ---- connections ---- */

static void fg_conn_hdr(struct fg_conn *c, uint16_t op, uint32_t flags,
			uint32_t len, struct fg_hdr *h)
{
	*h = (struct fg_hdr) {
		.src_cid = c->g->cid,
		.dst_cid = c->pcid,
		.src_port = c->lport,
		.dst_port = c->pport,
		.len = len,
		.type = c->type,
		.op = op,
		.flags = flags,
		.buf_alloc = FG_BUF_ALLOC,
		.fwd_cnt = c->fwd_cnt,
	};
	c->fwd_cnt_sent = c->fwd_cnt;
}

static int fg_conn_xmit(struct fg_conn *c, uint16_t op, uint32_t flags,
			const void *payload, uint32_t len,
			const struct timespec *deadline)
{
	struct fg_hdr h;

	fg_conn_hdr(c, op, flags, len, &h);
	return fg_xmit(c->g, &h, payload, len, deadline);
}

static struct fg_conn *fg_conn_find(struct fg_guest *g, uint32_t lport,
				    uint64_t pcid, uint32_t pport)
{
	struct fg_conn *c;

	for (c = g->conns; c; c = c->next)
		if (c->lport == lport && c->pcid == pcid && c->pport == pport)
			return c;
	return NULL;
}

static struct fg_conn *fg_conn_new(struct fg_guest *g, uint16_t type,
				   uint32_t lport, uint64_t pcid,
				   uint32_t pport)
{
	struct fg_conn *c = calloc(1, sizeof(*c)), **pp;

	if (!c)
		return NULL;
	c->g = g;
	c->type = type;
	c->lport = lport;
	c->pcid = pcid;
	c->pport = pport;
	fg_pktq_init(&c->rxq);
	for (pp = &g->conns; *pp; pp = &(*pp)->next)
		;
	*pp = c;
	return c;
}

static void fg_conn_unlink(struct fg_conn *c)
{
	struct fg_conn **pp;

	for (pp = &c->g->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	fg_pktq_purge(&c->rxq);
	free(c);
}

static void fg_conn_closed(struct fg_conn *c, bool reset)
{
	c->state = FG_CLOSED;
	c->reset |= reset;
}

/* A packet for an existing connection (pump, g->lock held). */
static void fg_conn_rx(struct fg_conn *c, struct fg_pkt *p)
{
	const struct fg_hdr *h = &p->hdr;

	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;

	switch (h->op) {
	case VIRTIO_VSOCK_OP_RESPONSE:
		if (c->state == FG_CONNECTING)
			c->state = FG_ESTABLISHED;
		break;
	case VIRTIO_VSOCK_OP_RST:
		fg_conn_closed(c, true);
		break;
	case VIRTIO_VSOCK_OP_RW:
		if (c->state != FG_ESTABLISHED || !p->len)
			break;
		c->rx_bytes += p->len;
		if (h->flags & VIRTIO_VSOCK_SEQ_EOM)
			c->rx_msgs++;
		fg_pktq_add(&c->rxq, p);
		return;
	case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
		if (c->state == FG_ESTABLISHED)
			fg_conn_xmit(c, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0,
				     NULL, 0, NULL);
		break;
	case VIRTIO_VSOCK_OP_SHUTDOWN:
		c->peer_shutdown |= h->flags & (VIRTIO_VSOCK_SHUTDOWN_RCV |
						VIRTIO_VSOCK_SHUTDOWN_SEND);
		/*
		 * As a guest kernel does: a peer that shut down both ways is
		 * gone, so end the connection with RST; what was received
		 * stays readable.
		 */
		if (c->peer_shutdown == (VIRTIO_VSOCK_SHUTDOWN_RCV |
					 VIRTIO_VSOCK_SHUTDOWN_SEND) &&
		    c->state != FG_CLOSED) {
			fg_conn_xmit(c, VIRTIO_VSOCK_OP_RST, 0, NULL, 0, NULL);
			fg_conn_closed(c, false);
		}
		break;
	}
	free(p);
}

static struct fg_listener *fg_listener_find(struct fg_guest *g, uint32_t port)
{
	struct fg_listener *l;

	for (l = g->listeners; l; l = l->next)
		if (l->port == port)
			return l;
	return NULL;
}

/* RST in answer to a packet that has no connection here. */
static void fg_reply_rst(struct fg_guest *g, const struct fg_hdr *in)
{
	struct fg_hdr h = {
		.src_cid = g->cid,
		.dst_cid = in->src_cid,
		.src_port = in->dst_port,
		.dst_port = in->src_port,
		.type = in->type,
		.op = VIRTIO_VSOCK_OP_RST,
	};

	fg_xmit(g, &h, NULL, 0, NULL);
}

static void fg_dispatch(struct fg_guest *g, struct fg_pkt *p)
{
	const struct fg_hdr *h = &p->hdr;
	struct fg_listener *l;
	struct fg_conn *c;

	c = fg_conn_find(g, h->dst_port, h->src_cid, h->src_port);
	if (c) {
		fg_conn_rx(c, p);
		return;
	}
	l = fg_listener_find(g, h->dst_port);
	if (l && h->op == VIRTIO_VSOCK_OP_REQUEST && h->type == l->type) {
		c = fg_conn_new(g, h->type, h->dst_port, h->src_cid,
				h->src_port);
		if (c) {
			c->state = FG_ESTABLISHED;
			c->unaccepted = true;
			c->peer_buf_alloc = h->buf_alloc;
			c->peer_fwd_cnt = h->fwd_cnt;
			fg_conn_xmit(c, VIRTIO_VSOCK_OP_RESPONSE, 0, NULL, 0,
				     NULL);
			free(p);
			return;
		}
	}
	if (g->auto_rst && h->op != VIRTIO_VSOCK_OP_RST)
		fg_reply_rst(g, h);
	if (g->raw.count >= FG_RAW_MAX)
		free(fg_pktq_pop(&g->raw));
	fg_pktq_add(&g->raw, p);
}

/* Take every filled RX buffer, dispatch it and give the buffer back. */
static void fg_rx_drain(struct fg_guest *g)
{
	struct fg_vq *vq = &g->vq[FG_RXQ];
	uint32_t id, len;
	bool posted = false;

	while (!g->rx_paused && fg_vq_get_used(vq, &id, &len)) {
		unsigned char *slot;
		struct fg_pkt *p;
		size_t plen;

		if (id >= FG_RING)
			continue;
		slot = g->slots[FG_RXQ] + (size_t)id * FG_SLOT;
		plen = len > FG_HDR_LEN ? len - FG_HDR_LEN : 0;
		if (len >= FG_HDR_LEN) {
			p = malloc(sizeof(*p) + plen);
			if (p) {
				fg_hdr_from_wire((void *)slot, &p->hdr);
				if (p->hdr.dst_cid != g->cid)
					__atomic_add_fetch(&g->misaddressed, 1,
							   __ATOMIC_RELAXED);
				if (plen > p->hdr.len)
					plen = p->hdr.len;
				p->len = plen;
				memcpy(p->data, slot + FG_HDR_LEN, plen);
				fg_dispatch(g, p);
			}
		}
		fg_vq_add(vq, id);
		posted = true;
	}
	if (posted)
		fg_vq_publish(vq);
}

static void fg_drain_eventfd(int fd)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) == sizeof(v))
		;
}

static void *fg_pump(void *arg)
{
	struct fg_guest *g = arg;
	struct pollfd pfd[] = {
		{ .fd = g->vq[FG_RXQ].call, .events = POLLIN },
		{ .fd = g->vq[FG_TXQ].call, .events = POLLIN },
		{ .fd = g->wake, .events = POLLIN },
	};
	unsigned int i;

	for (;;) {
		if (poll(pfd, 3, -1) < 0 && errno != EINTR)
			break;
		/*
		 * Reset the eventfds before looking at the rings: a buffer
		 * the device uses after this is signalled again.
		 */
		for (i = 0; i < 3; i++)
			fg_drain_eventfd(pfd[i].fd);
		pthread_mutex_lock(&g->lock);
		if (g->stopping) {
			pthread_mutex_unlock(&g->lock);
			break;
		}
		fg_tx_reclaim(g);
		fg_rx_drain(g);
		fg_txq_flush(g);
		pthread_cond_broadcast(&g->cond);
		pthread_mutex_unlock(&g->lock);
	}
	return NULL;
}

static void fg_wake_pump(struct fg_guest *g)
{
	uint64_t one = 1;

	if (write(g->wake, &one, sizeof(one)) != sizeof(one))
		abort();
}

/* ---- guest setup ---- */

static int fg_setup_vq(struct fg_guest *g, unsigned int idx, void *base)
{
	struct fg_vq *vq = &g->vq[idx];
	struct vhost_vring_state num = { .index = idx, .num = FG_RING };
	struct vhost_vring_state vbase = { .index = idx, .num = 0 };
	struct vhost_vring_addr addr = { .index = idx };
	struct vhost_vring_file kick = { .index = idx };
	struct vhost_vring_file call = { .index = idx };
	int ret;

	vq->num = FG_RING;
	vq->desc = base;
	vq->avail = (void *)((char *)base + FG_PAGE);
	vq->used = (void *)((char *)base + 2 * FG_PAGE);
	vq->kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	vq->call = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (vq->kick < 0 || vq->call < 0)
		return -errno;
	addr.desc_user_addr = (uintptr_t)vq->desc;
	addr.avail_user_addr = (uintptr_t)vq->avail;
	addr.used_user_addr = (uintptr_t)vq->used;
	kick.fd = vq->kick;
	call.fd = vq->call;

	ret = fg_ioctl(g->fd, VHOST_SET_VRING_NUM, &num);
	if (!ret)
		ret = fg_ioctl(g->fd, VHOST_SET_VRING_BASE, &vbase);
	if (!ret)
		ret = fg_ioctl(g->fd, VHOST_SET_VRING_ADDR, &addr);
	if (!ret)
		ret = fg_ioctl(g->fd, VHOST_SET_VRING_KICK, &kick);
	if (!ret)
		ret = fg_ioctl(g->fd, VHOST_SET_VRING_CALL, &call);
	return ret;
}

static int fg_setup(struct fg_guest *g, const struct fg_config *cfg)
{
	struct {
		struct vhost_memory mem;
		struct vhost_memory_region region;
	} mt = {};
	const size_t rings = FG_NQ * 3 * FG_PAGE;
	uint64_t offered, wanted;
	unsigned int i;
	int ret;

	ret = fg_ioctl(g->fd, VHOST_SET_OWNER, NULL);
	if (ret)
		return ret;
	ret = fg_ioctl(g->fd, VHOST_GET_FEATURES, &offered);
	if (ret)
		return ret;
	/* What this driver implements: no event index, no indirect. */
	wanted = (1ULL << VIRTIO_F_VERSION_1) |
		 (1ULL << VIRTIO_VSOCK_F_SEQPACKET);
	if (cfg->iotlb) {
		uint64_t backend = 1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2;

		ret = fg_ioctl(g->fd, VHOST_SET_BACKEND_FEATURES, &backend);
		if (ret)
			return ret;
		wanted |= 1ULL << VIRTIO_F_ACCESS_PLATFORM;
	}
	g->features = offered & ~cfg->features_clear & wanted;
	ret = fg_ioctl(g->fd, VHOST_SET_FEATURES, &g->features);
	if (ret)
		return ret;

	g->arena_size = rings + FG_NQ * ((FG_RING * FG_SLOT + FG_PAGE - 1) &
					 ~(FG_PAGE - 1));
	g->arena = mmap(NULL, g->arena_size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (g->arena == MAP_FAILED) {
		g->arena = NULL;
		return -ENOMEM;
	}
	/* The identity map: guest physical addresses are our pointers. */
	mt.mem.nregions = 1;
	mt.region.guest_phys_addr = (uintptr_t)g->arena;
	mt.region.userspace_addr = (uintptr_t)g->arena;
	mt.region.memory_size = g->arena_size;
	ret = fg_ioctl(g->fd, VHOST_SET_MEM_TABLE, &mt);
	if (!ret && cfg->iotlb)
		ret = fg_iotlb_map(g);
	if (ret)
		return ret;

	g->slots[FG_RXQ] = (unsigned char *)g->arena + rings;
	g->slots[FG_TXQ] = g->slots[FG_RXQ] + (g->arena_size - rings) / 2;
	for (i = 0; i < FG_NQ; i++) {
		ret = fg_setup_vq(g, i, (char *)g->arena + i * 3 * FG_PAGE);
		if (ret)
			return ret;
	}
	fg_rx_fill(g);
	for (i = 0; i < FG_RING; i++)
		g->tx_free[i] = FG_RING - 1 - i;
	g->tx_nfree = FG_RING;

	/* CID 0: a device the VMM runs without ever giving it a CID. */
	if (cfg->cid) {
		ret = fg_set_cid(g->fd, cfg->cid);
		if (ret)
			return ret;
	}
	g->cid = cfg->cid;
	if (!cfg->no_running)
		ret = fg_set_running(g->fd, 1);
	return ret;
}

static void fg_free(struct fg_guest *g)
{
	struct fg_listener *l;
	unsigned int i;

	/* Close the device before unmapping the memory it uses. */
	if (g->fd >= 0)
		close(g->fd);
	for (i = 0; i < FG_NQ; i++) {
		if (g->vq[i].kick >= 0)
			close(g->vq[i].kick);
		if (g->vq[i].call >= 0)
			close(g->vq[i].call);
	}
	if (g->wake >= 0)
		close(g->wake);
	if (g->arena)
		munmap(g->arena, g->arena_size);
	while (g->conns)
		fg_conn_unlink(g->conns);
	while ((l = g->listeners)) {
		g->listeners = l->next;
		free(l);
	}
	fg_pktq_purge(&g->raw);
	fg_pktq_purge(&g->txq);
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

int fg_start(const struct fg_config *cfg, struct fg_guest **gp)
{
	struct fg_guest *g = calloc(1, sizeof(*g));
	pthread_condattr_t ca;
	unsigned int i;
	int ret;

	if (!g)
		return -ENOMEM;
	g->fd = g->wake = -1;
	for (i = 0; i < FG_NQ; i++)
		g->vq[i].kick = g->vq[i].call = -1;
	g->auto_rst = true;
	g->rx_buf = cfg->rx_buf && cfg->rx_buf < FG_SLOT ? cfg->rx_buf : FG_SLOT;
	g->chain = cfg->chain > 1 ? cfg->chain : 1;
	if (g->chain > FG_MAX_CHAIN)
		g->chain = FG_MAX_CHAIN;
	g->chain_rng = cfg->chain_seed;
	g->next_port = FG_FIRST_PORT;
	fg_pktq_init(&g->raw);
	fg_pktq_init(&g->txq);
	pthread_mutex_init(&g->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->cond, &ca);
	pthread_condattr_destroy(&ca);

	g->fd = fg_dev_open();
	if (g->fd < 0) {
		ret = g->fd;
		goto err;
	}
	g->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (g->wake < 0) {
		ret = -errno;
		goto err;
	}
	ret = fg_setup(g, cfg);
	if (ret)
		goto err;
	ret = -pthread_create(&g->pump, NULL, fg_pump, g);
	if (ret)
		goto err;
	*gp = g;
	return 0;
err:
	fg_free(g);
	return ret;
}

int fg_start_cid(uint64_t cid, struct fg_guest **gp)
{
	struct fg_config cfg = { .cid = cid };

	return fg_start(&cfg, gp);
}

unsigned int fg_misaddressed(struct fg_guest *g)
{
	return __atomic_load_n(&g->misaddressed, __ATOMIC_RELAXED);
}

uint64_t fg_unique_cid(unsigned int n)
{
	return 10000 + (uint64_t)(getpid() % 100000) * 4 + n;
}

void fg_close(struct fg_guest *g)
{
	pthread_mutex_lock(&g->lock);
	g->stopping = true;
	pthread_mutex_unlock(&g->lock);
	fg_wake_pump(g);
	pthread_join(g->pump, NULL);
	fg_free(g);
}

int fg_fd(const struct fg_guest *g)
{
	return g->fd;
}

uint64_t fg_cid(const struct fg_guest *g)
{
	return g->cid;
}

uint64_t fg_features(const struct fg_guest *g)
{
	return g->features;
}

void fg_set_auto_rst(struct fg_guest *g, bool on)
{
	pthread_mutex_lock(&g->lock);
	g->auto_rst = on;
	pthread_mutex_unlock(&g->lock);
}

void fg_pause_rx(struct fg_guest *g, bool paused)
{
	pthread_mutex_lock(&g->lock);
	g->rx_paused = paused;
	pthread_mutex_unlock(&g->lock);
	fg_wake_pump(g);
}

static int fg_iotlb_msg(struct fg_guest *g, uint8_t type)
{
	struct vhost_msg_v2 msg = {
		.type = VHOST_IOTLB_MSG_V2,
		.iotlb = {
			.iova = (uintptr_t)g->arena,
			.size = g->arena_size,
			.uaddr = (uintptr_t)g->arena,
			.perm = VHOST_ACCESS_RW,
			.type = type,
		},
	};
	ssize_t n = write(g->fd, &msg, sizeof(msg));

	if (n < 0)
		return -errno;
	return n == sizeof(msg) ? 0 : -EIO;
}

int fg_iotlb_map(struct fg_guest *g)
{
	return fg_iotlb_msg(g, VHOST_IOTLB_UPDATE);
}

int fg_iotlb_unmap(struct fg_guest *g)
{
	return fg_iotlb_msg(g, VHOST_IOTLB_INVALIDATE);
}

static bool fg_in(uint64_t addr, const void *start, size_t len)
{
	return addr >= (uintptr_t)start && addr - (uintptr_t)start < len;
}

int fg_iotlb_wait_miss(struct fg_guest *g, unsigned int vq, int timeout_ms)
{
	struct pollfd pfd = { .fd = g->fd, .events = POLLIN };
	struct vhost_msg_v2 msg;
	ssize_t n;

	if (vq >= FG_NQ)
		return -EINVAL;
	for (;;) {
		n = poll(&pfd, 1, timeout_ms);
		if (n <= 0)
			return n ? -errno : -ETIMEDOUT;
		n = read(g->fd, &msg, sizeof(msg));
		if (n < 0)
			return -errno;
		if (n != sizeof(msg) || msg.type != VHOST_IOTLB_MSG_V2 ||
		    msg.iotlb.type != VHOST_IOTLB_MISS ||
		    !fg_in(msg.iotlb.iova, g->arena, g->arena_size))
			return -EBADMSG;
		if (fg_in(msg.iotlb.iova, g->vq[vq].desc, 3 * FG_PAGE) ||
		    fg_in(msg.iotlb.iova, g->slots[vq], FG_RING * FG_SLOT))
			return 0;
	}
}

/* ---- raw packets ---- */

int fg_send_pkt(struct fg_guest *g, const struct fg_hdr *hdr,
		const void *payload, size_t len, int timeout_ms)
{
	struct timespec deadline = fg_deadline(timeout_ms);
	int ret;

	pthread_mutex_lock(&g->lock);
	ret = fg_xmit(g, hdr, payload, len, &deadline);
	pthread_mutex_unlock(&g->lock);
	return ret;
}

int fg_send_buf(struct fg_guest *g, const void *buf, size_t len)
{
	struct timespec deadline = fg_deadline(5000);
	int ret = 0;

	if (len > FG_SLOT)
		return -EMSGSIZE;
	pthread_mutex_lock(&g->lock);
	while (!g->tx_nfree) {
		fg_tx_reclaim(g);
		if (!g->tx_nfree && fg_wait(g, &deadline)) {
			ret = -ETIMEDOUT;
			goto out;
		}
	}
	fg_tx_post(g, buf, len, NULL, 0);
out:
	pthread_mutex_unlock(&g->lock);
	return ret;
}

int fg_recv_pkt(struct fg_guest *g, struct fg_pkt **pp, int timeout_ms)
{
	struct timespec deadline = fg_deadline(timeout_ms);
	int ret = 0;

	pthread_mutex_lock(&g->lock);
	while (!(*pp = fg_pktq_pop(&g->raw)) && !ret)
		ret = fg_wait(g, &deadline);
	pthread_mutex_unlock(&g->lock);
	return *pp ? 0 : ret;
}

/* ---- connections, API ---- */

static uint32_t fg_credit(const struct fg_conn *c)
{
	uint32_t inflight = c->tx_cnt - c->peer_fwd_cnt;

	return inflight >= c->peer_buf_alloc ? 0 :
		c->peer_buf_alloc - inflight;
}

static int fg_conn_send_err(const struct fg_conn *c)
{
	if (c->state == FG_ESTABLISHED &&
	    !(c->peer_shutdown & VIRTIO_VSOCK_SHUTDOWN_RCV))
		return 0;
	return c->reset ? -ECONNRESET : -EPIPE;
}

int fg_connect(struct fg_guest *g, uint16_t type, uint64_t cid,
	       uint32_t port, int timeout_ms, struct fg_conn **cp)
{
	struct timespec deadline = fg_deadline(timeout_ms);
	struct fg_conn *c;
	int ret;

	pthread_mutex_lock(&g->lock);
	c = fg_conn_new(g, type, g->next_port++, cid, port);
	if (!c) {
		ret = -ENOMEM;
		goto out;
	}
	c->state = FG_CONNECTING;
	ret = fg_conn_xmit(c, VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0, &deadline);
	while (!ret && c->state == FG_CONNECTING)
		ret = fg_wait(g, &deadline);
	if (!ret && c->state != FG_ESTABLISHED)
		ret = c->reset ? -ECONNRESET : -ECONNREFUSED;
	if (ret) {
		/* Tell the peer, in case its RESPONSE is still on the way. */
		if (c->state != FG_CLOSED)
			fg_conn_xmit(c, VIRTIO_VSOCK_OP_RST, 0, NULL, 0, NULL);
		fg_conn_unlink(c);
		goto out;
	}
	*cp = c;
out:
	pthread_mutex_unlock(&g->lock);
	return ret;
}

int fg_listen(struct fg_guest *g, uint16_t type, uint32_t port)
{
	struct fg_listener *l;
	int ret = 0;

	pthread_mutex_lock(&g->lock);
	if (fg_listener_find(g, port)) {
		ret = -EADDRINUSE;
		goto out;
	}
	l = malloc(sizeof(*l));
	if (!l) {
		ret = -ENOMEM;
		goto out;
	}
	l->port = port;
	l->type = type;
	l->next = g->listeners;
	g->listeners = l;
out:
	pthread_mutex_unlock(&g->lock);
	return ret;
}

int fg_accept(struct fg_guest *g, uint32_t port, int timeout_ms,
	      struct fg_conn **cp)
{
	struct timespec deadline = fg_deadline(timeout_ms);
	struct fg_conn *c = NULL;
	int ret = 0;

	pthread_mutex_lock(&g->lock);
	while (!ret) {
		for (c = g->conns; c; c = c->next)
			if (c->unaccepted && c->lport == port)
				break;
		if (c)
			break;
		ret = fg_wait(g, &deadline);
	}
	if (c) {
		c->unaccepted = false;
		*cp = c;
	}
	pthread_mutex_unlock(&g->lock);
	return ret;
}

/* Send len bytes as packets within the credit; the last gets eom_flags. */
static ssize_t fg_conn_send(struct fg_conn *c, const void *buf, size_t len,
			    uint32_t eom_flags, int timeout_ms)
{
	struct timespec deadline = fg_deadline(timeout_ms);
	struct fg_guest *g = c->g;
	size_t sent = 0;
	int ret = 0;

	pthread_mutex_lock(&g->lock);
	do {
		uint32_t credit, n, flags;

		ret = fg_conn_send_err(c);
		if (ret)
			break;
		credit = fg_credit(c);
		if (!credit && len) {
			ret = fg_wait(g, &deadline);
			continue;
		}
		n = len - sent;
		if (n > credit)
			n = credit;
		if (n > FG_MAX_PKT_PAYLOAD)
			n = FG_MAX_PKT_PAYLOAD;
		flags = sent + n == len ? eom_flags : 0;
		ret = fg_conn_xmit(c, VIRTIO_VSOCK_OP_RW, flags,
				   (const char *)buf + sent, n, &deadline);
		if (ret)
			break;
		c->tx_cnt += n;
		sent += n;
	} while (!ret && sent < len);
	pthread_mutex_unlock(&g->lock);
	return ret ? ret : (ssize_t)sent;
}

ssize_t fg_send(struct fg_conn *c, const void *buf, size_t len,
		int timeout_ms)
{
	return fg_conn_send(c, buf, len, 0, timeout_ms);
}

ssize_t fg_send_msg(struct fg_conn *c, const void *buf, size_t len, bool eor,
		    int timeout_ms)
{
	uint32_t flags = VIRTIO_VSOCK_SEQ_EOM;

	if (eor)
		flags |= VIRTIO_VSOCK_SEQ_EOR;
	return fg_conn_send(c, buf, len, flags, timeout_ms);
}

/*
 * Account n consumed bytes and tell the peer once a quarter of our buffer
 * is free again: often enough that a sender never stalls on a reader that
 * keeps up, rarely enough not to double the packet count. At the end of a
 * SEQPACKET message (msg_end) tell it all, as Linux does: its sender waits
 * until a whole message fits, and the next one may need all the buffer.
 */
static void fg_conn_consumed(struct fg_conn *c, size_t n, bool msg_end)
{
	uint32_t unsent;

	c->fwd_cnt += n;
	c->rx_bytes -= n;
	unsent = c->fwd_cnt - c->fwd_cnt_sent;
	if (c->state == FG_ESTABLISHED &&
	    (unsent >= FG_BUF_ALLOC / 4 || (msg_end && unsent)))
		fg_conn_xmit(c, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, NULL, 0,
			     NULL);
}

/* 0 when data (or a message) can be read, else why not. */
static int fg_conn_recv_wait(struct fg_conn *c, bool msg,
			     const struct timespec *deadline)
{
	int ret = 0;

	while (!ret && !(msg ? c->rx_msgs : c->rx_bytes)) {
		if (c->state == FG_CLOSED ||
		    (c->peer_shutdown & VIRTIO_VSOCK_SHUTDOWN_SEND))
			return c->reset ? -ECONNRESET : 1;
		ret = fg_wait(c->g, deadline);
	}
	return ret;
}

ssize_t fg_recv(struct fg_conn *c, void *buf, size_t len, int timeout_ms)
{
	struct timespec deadline = fg_deadline(timeout_ms);
	struct fg_guest *g = c->g;
	size_t done = 0;
	ssize_t ret;

	pthread_mutex_lock(&g->lock);
	ret = fg_conn_recv_wait(c, false, &deadline);
	if (ret) {
		ret = ret > 0 ? 0 : ret;
		goto out;
	}
	while (done < len && c->rxq.head) {
		struct fg_pkt *p = c->rxq.head;
		size_t n = p->len - c->rx_off;

		if (n > len - done)
			n = len - done;
		memcpy((char *)buf + done, p->data + c->rx_off, n);
		done += n;
		c->rx_off += n;
		if (c->rx_off == p->len) {
			free(fg_pktq_pop(&c->rxq));
			c->rx_off = 0;
		}
	}
	fg_conn_consumed(c, done, false);
	ret = done;
out:
	pthread_mutex_unlock(&g->lock);
	return ret;
}

ssize_t fg_recv_all(struct fg_conn *c, void *buf, size_t len, int timeout_ms)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = fg_recv(c, (char *)buf + done, len - done, timeout_ms);
		if (n < 0)
			return n;
		if (!n)
			return -EPIPE;
		done += n;
	}
	return done;
}

ssize_t fg_recv_msg(struct fg_conn *c, void *buf, size_t len,
		    uint32_t *flags, int timeout_ms)
{
	struct timespec deadline = fg_deadline(timeout_ms);
	struct fg_guest *g = c->g;
	size_t total = 0;
	struct fg_pkt *p;
	ssize_t ret;

	pthread_mutex_lock(&g->lock);
	ret = fg_conn_recv_wait(c, true, &deadline);
	if (ret) {
		ret = ret > 0 ? 0 : ret;
		goto out;
	}
	for (;;) {
		bool eom;
		size_t n;

		p = fg_pktq_pop(&c->rxq);
		n = total < len ? len - total : 0;
		if (n > p->len)
			n = p->len;
		memcpy((char *)buf + total, p->data, n);
		total += p->len;
		eom = p->hdr.flags & VIRTIO_VSOCK_SEQ_EOM;
		if (eom && flags)
			*flags = p->hdr.flags;
		fg_conn_consumed(c, p->len, eom);
		free(p);
		if (eom)
			break;
	}
	c->rx_msgs--;
	ret = total;
out:
	pthread_mutex_unlock(&g->lock);
	return ret;
}

int fg_shutdown(struct fg_conn *c, uint32_t flags)
{
	struct timespec deadline = fg_deadline(5000);
	int ret;

	pthread_mutex_lock(&c->g->lock);
	ret = fg_conn_xmit(c, VIRTIO_VSOCK_OP_SHUTDOWN, flags, NULL, 0,
			   &deadline);
	pthread_mutex_unlock(&c->g->lock);
	return ret;
}

int fg_reset(struct fg_conn *c)
{
	struct timespec deadline = fg_deadline(5000);
	int ret;

	pthread_mutex_lock(&c->g->lock);
	ret = fg_conn_xmit(c, VIRTIO_VSOCK_OP_RST, 0, NULL, 0, &deadline);
	fg_conn_closed(c, false);
	pthread_mutex_unlock(&c->g->lock);
	return ret;
}

int fg_wait_closed(struct fg_conn *c, int timeout_ms)
{
	struct timespec deadline = fg_deadline(timeout_ms);
	int ret = 0;

	pthread_mutex_lock(&c->g->lock);
	while (!ret && c->state != FG_CLOSED)
		ret = fg_wait(c->g, &deadline);
	pthread_mutex_unlock(&c->g->lock);
	return ret;
}

void fg_conn_free(struct fg_conn *c)
{
	struct fg_guest *g = c->g;

	pthread_mutex_lock(&g->lock);
	if (c->state != FG_CLOSED)
		fg_conn_xmit(c, VIRTIO_VSOCK_OP_RST, 0, NULL, 0, NULL);
	fg_conn_unlink(c);
	pthread_mutex_unlock(&g->lock);
	/* The pump sends what fg_conn_xmit() queued. */
	fg_wake_pump(g);
}

uint32_t fg_conn_local_port(const struct fg_conn *c)
{
	return c->lport;
}

uint64_t fg_conn_peer_cid(const struct fg_conn *c)
{
	return c->pcid;
}

uint32_t fg_conn_peer_port(const struct fg_conn *c)
{
	return c->pport;
}

bool fg_conn_was_reset(struct fg_conn *c)
{
	bool reset;

	pthread_mutex_lock(&c->g->lock);
	reset = c->reset;
	pthread_mutex_unlock(&c->g->lock);
	return reset;
}

/* ---- floods ---- */

static void *fg_flood_run(void *arg)
{
	struct fg_flood *f = arg;
	char *buf = malloc(f->len ? f->len : 1);
	unsigned int i;

	f->ret = buf ? 0 : -ENOMEM;
	for (i = 0; !f->ret && i < f->count; i++) {
		fg_pattern(buf, f->len, f->seed, (uint64_t)i * f->len);
		f->ret = fg_send_pkt(f->g, &f->hdr, buf, f->len, 60000);
		if (!f->ret)
			__atomic_store_n(&f->sent, i + 1, __ATOMIC_RELEASE);
	}
	free(buf);
	return NULL;
}

int fg_flood_start(struct fg_flood *f)
{
	f->sent = 0;
	f->ret = 0;
	return -pthread_create(&f->thread, NULL, fg_flood_run, f);
}

unsigned int fg_flood_wait_stall(struct fg_flood *f, int stall_ms,
				 int timeout_ms)
{
	unsigned int last = 0, now = 0;
	int waited;

	for (waited = 0; waited < timeout_ms; waited += stall_ms) {
		usleep(stall_ms * 1000);
		now = __atomic_load_n(&f->sent, __ATOMIC_ACQUIRE);
		if ((now == last && now) || now == f->count)
			break;
		last = now;
	}
	return now;
}

int fg_flood_join(struct fg_flood *f)
{
	pthread_join(f->thread, NULL);
	return f->ret;
}

long long fg_dev_counter(uint64_t cid, const char *name)
{
	char cmd[128], buf[8192], key[64], *p;
	size_t n;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "tools/vsock-fwd/vsock-fwd -j show %llu",
		 (unsigned long long)cid);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	pclose(f);
	buf[n] = '\0';
	snprintf(key, sizeof(key), "\"%s\":", name);
	p = strstr(buf, key);
	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

long fg_meminfo_kb(const char *key)
{
	size_t klen = strlen(key);
	char line[256];
	long val = -1;
	FILE *f;

	f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			val = atol(line + klen + 1);
			break;
		}
	fclose(f);
	return val;
}

/*
 * Free pages on the per-CPU lists (/proc/zoneinfo's "count:" of each
 * pageset), in kB: MemFree leaves them out, and a CPU that goes idle may
 * hold tens of MB there until its next allocation, however long one waits.
 */
long fg_pcp_free_kb(void)
{
	char line[256];
	long pages = 0;
	FILE *f;

	f = fopen("/proc/zoneinfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		const char *p = line + strspn(line, " ");

		if (!strncmp(p, "count:", 6))
			pages += atol(p + 6);
	}
	fclose(f);
	return pages * (sysconf(_SC_PAGESIZE) / 1024);
}

/* MemAvailable with the free pages on per-CPU lists, in kB. */
long fg_mem_available_kb(void)
{
	long pcp = fg_pcp_free_kb();

	return pcp < 0 ? -1 : fg_meminfo_kb("MemAvailable") + pcp;
}

/* ---- test data ---- */

static uint64_t fg_mix(uint64_t x)
{
	/* splitmix64 */
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

void fg_pattern(void *buf, size_t len, uint64_t seed, uint64_t pos)
{
	unsigned char *b = buf;
	uint64_t w;

	while (len) {
		size_t off = pos % 8, n = 8 - off;

		if (n > len)
			n = len;
		w = htole64(fg_mix(seed ^ (pos / 8)));
		memcpy(b, (unsigned char *)&w + off, n);
		b += n;
		pos += n;
		len -= n;
	}
}

uint64_t fg_csum(uint64_t csum, const void *buf, size_t len)
{
	const unsigned char *b = buf;

	while (len--)
		csum = (csum ^ *b++) * 0x100000001b3ULL;
	return csum;
}

/* ---- either end ---- */

ssize_t fg_end_send(const struct fg_end *e, const void *buf, size_t len,
		    int timeout_ms)
{
	if (e->fd < 0)
		return fg_send(e->c, buf, len, timeout_ms);
	return fg_host_write_all(e->fd, buf, len);
}

ssize_t fg_end_recv(const struct fg_end *e, void *buf, size_t len,
		    int timeout_ms)
{
	ssize_t n;

	if (e->fd < 0)
		return fg_recv(e->c, buf, len, timeout_ms);
	n = read(e->fd, buf, len);
	return n < 0 ? -errno : n;
}

ssize_t fg_end_send_msg(const struct fg_end *e, const void *buf, size_t len,
			bool eor, int timeout_ms)
{
	ssize_t n;

	if (e->fd < 0)
		return fg_send_msg(e->c, buf, len, eor, timeout_ms);
	n = send(e->fd, buf, len, eor ? MSG_EOR : 0);
	return n < 0 ? -errno : n;
}

ssize_t fg_end_recv_msg(const struct fg_end *e, void *buf, size_t len,
			bool *eor, int timeout_ms)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	uint32_t flags = 0;
	ssize_t n;

	if (e->fd < 0) {
		n = fg_recv_msg(e->c, buf, len, &flags, timeout_ms);
		*eor = flags & VIRTIO_VSOCK_SEQ_EOR;
		return n;
	}
	/* MSG_TRUNC: the full length, as fg_recv_msg() returns it. */
	n = recvmsg(e->fd, &mh, MSG_TRUNC);
	*eor = mh.msg_flags & MSG_EOR;
	return n < 0 ? -errno : n;
}

int fg_transfer_msgs(const struct fg_end *from, const struct fg_end *to,
		     const size_t *sizes, unsigned int n, int timeout_ms)
{
	unsigned char *out = malloc(FG_BUF_ALLOC);
	unsigned char *in = malloc(FG_BUF_ALLOC + 1);
	unsigned int i;
	ssize_t ret = out && in ? 0 : -ENOMEM;
	bool eor;

	for (i = 0; !ret && i < n; i++) {
		fg_pattern(out, sizes[i], i, 0);
		ret = fg_end_send_msg(from, out, sizes[i], i & 1, timeout_ms);
		if (ret < 0)
			break;
		/* One byte more than sent shows a merged message. */
		ret = fg_end_recv_msg(to, in, sizes[i] + 1, &eor, timeout_ms);
		if (ret < 0)
			break;
		ret = (size_t)ret != sizes[i] || eor != (i & 1) ||
		      memcmp(out, in, sizes[i]) ? -EBADMSG : 0;
	}
	free(out);
	free(in);
	return ret;
}

#define FG_XFER_CHUNK	(1UL << 20)

struct fg_xfer {
	const struct fg_end *end;
	size_t len;
	uint64_t seed;
	int timeout_ms;
	uint64_t csum;
	ssize_t ret;
};

static void *fg_xfer_send(void *arg)
{
	struct fg_xfer *x = arg;
	char *buf = malloc(FG_XFER_CHUNK);
	size_t done, n;

	x->csum = FG_CSUM_INIT;
	x->ret = buf ? 0 : -ENOMEM;
	for (done = 0; !x->ret && done < x->len; done += n) {
		n = x->len - done < FG_XFER_CHUNK ? x->len - done :
			FG_XFER_CHUNK;
		fg_pattern(buf, n, x->seed, done);
		x->csum = fg_csum(x->csum, buf, n);
		x->ret = fg_end_send(x->end, buf, n, x->timeout_ms);
		if (x->ret > 0)
			x->ret = 0;
	}
	free(buf);
	return NULL;
}

int fg_transfer(const struct fg_end *from, const struct fg_end *to,
		size_t len, uint64_t seed, int timeout_ms)
{
	struct fg_xfer x = {
		.end = from, .len = len, .seed = seed, .timeout_ms = timeout_ms,
	};
	char *buf = malloc(FG_XFER_CHUNK);
	uint64_t csum = FG_CSUM_INIT;
	size_t done = 0;
	pthread_t t;
	ssize_t n = 0;
	int ret;

	if (!buf)
		return -ENOMEM;
	ret = -pthread_create(&t, NULL, fg_xfer_send, &x);
	if (ret) {
		free(buf);
		return ret;
	}
	while (done < len) {
		n = len - done < FG_XFER_CHUNK ? len - done : FG_XFER_CHUNK;
		n = fg_end_recv(to, buf, n, timeout_ms);
		if (n <= 0)
			break;
		csum = fg_csum(csum, buf, n);
		done += n;
	}
	pthread_join(t, NULL);
	free(buf);
	if (x.ret)
		return x.ret;
	if (done < len)
		return n < 0 ? n : -EPIPE;
	return csum == x.csum ? 0 : -EBADMSG;
}

/* ---- host side ---- */

int fg_host_timeouts(int fd, int timeout_ms)
{
	struct timeval tv = {
		.tv_sec = timeout_ms / 1000,
		.tv_usec = (timeout_ms % 1000) * 1000,
	};

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return -errno;
	return 0;
}

int fg_host_listen_on(int type, uint32_t port)
{
	struct sockaddr_vm sa = {
		.svm_family = AF_VSOCK,
		.svm_cid = VMADDR_CID_ANY,
		.svm_port = port,
	};
	int fd, ret;

	fd = socket(AF_VSOCK, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 128)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

int fg_host_listen(int type, uint32_t *port)
{
	struct sockaddr_vm sa;
	socklen_t salen = sizeof(sa);
	int fd, ret;

	fd = fg_host_listen_on(type, VMADDR_PORT_ANY);
	if (fd < 0)
		return fd;
	if (getsockname(fd, (struct sockaddr *)&sa, &salen)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	*port = sa.svm_port;
	return fd;
}

int fg_host_wait_readable(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, timeout_ms) == 1 ? 0 : -ETIMEDOUT;
}

int fg_host_wait_error(int fd, int timeout_ms)
{
	char byte;

	if (fg_host_wait_readable(fd, timeout_ms))
		return -ETIMEDOUT;
	return read(fd, &byte, 1) < 0 ? -errno : 0;
}

int fg_host_accept(int lfd, int timeout_ms, uint64_t *peer_cid,
		   uint32_t *peer_port)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	struct sockaddr_vm sa;
	socklen_t salen = sizeof(sa);
	int fd, ret;

	ret = poll(&pfd, 1, timeout_ms);
	if (ret < 0)
		return -errno;
	if (!ret)
		return -ETIMEDOUT;
	fd = accept4(lfd, (struct sockaddr *)&sa, &salen, SOCK_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (peer_cid)
		*peer_cid = sa.svm_cid;
	if (peer_port)
		*peer_port = sa.svm_port;
	return fd;
}

int fg_host_connect(int type, uint64_t cid, uint32_t port, int timeout_ms)
{
	struct sockaddr_vm sa = {
		.svm_family = AF_VSOCK,
		.svm_cid = cid,
		.svm_port = port,
	};
	struct timeval tv = {
		.tv_sec = timeout_ms / 1000,
		.tv_usec = (timeout_ms % 1000) * 1000,
	};
	int fd, ret;

	fd = socket(AF_VSOCK, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* The vsock connect timeout, not SO_SNDTIMEO, bounds connect(). */
	if (setsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_CONNECT_TIMEOUT,
		       &tv, sizeof(tv)) ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

ssize_t fg_host_read_all(int fd, void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = read(fd, (char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -EPIPE;
		done += n;
	}
	return done;
}

ssize_t fg_host_write_all(int fd, const void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = write(fd, (const char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		done += n;
	}
	return done;
}
