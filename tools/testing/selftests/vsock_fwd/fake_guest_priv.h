/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fake_guest's private state, shared by its parts: a guest, its rings and
 * its connections, and the few functions one part calls in another.
 *
 * Locking: everything in a guest (rings, connections, queues) is under
 * g->lock; g->cond is broadcast whenever the pump changed anything a caller
 * may wait for.
 */
#ifndef FAKE_GUEST_PRIV_H
#define FAKE_GUEST_PRIV_H

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <linux/virtio_ring.h>

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

static inline struct timespec fg_deadline(int timeout_ms)
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
static inline int fg_wait(struct fg_guest *g, const struct timespec *deadline)
{
	int ret = pthread_cond_timedwait(&g->cond, &g->lock, deadline);

	return ret == ETIMEDOUT ? -ETIMEDOUT : 0;
}

static inline void fg_pktq_init(struct fg_pktq *q)
{
	q->head = NULL;
	q->tail = &q->head;
	q->count = 0;
}

static inline void fg_pktq_add(struct fg_pktq *q, struct fg_pkt *p)
{
	p->next = NULL;
	*q->tail = p;
	q->tail = &p->next;
	q->count++;
}

static inline struct fg_pkt *fg_pktq_pop(struct fg_pktq *q)
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

static inline void fg_pktq_purge(struct fg_pktq *q)
{
	struct fg_pkt *p;

	while ((p = fg_pktq_pop(q)))
		free(p);
}


/* fake_guest_vmm.c: send a packet (g->lock held; see there). */
int fg_xmit(struct fg_guest *g, const struct fg_hdr *h, const void *payload,
	    size_t len, const struct timespec *deadline);
void fg_wake_pump(struct fg_guest *g);

/* fake_guest_conn.c: a received packet to its connection or listener. */
void fg_dispatch(struct fg_guest *g, struct fg_pkt *p);
void fg_conn_unlink(struct fg_conn *c);

#endif /* FAKE_GUEST_PRIV_H */
