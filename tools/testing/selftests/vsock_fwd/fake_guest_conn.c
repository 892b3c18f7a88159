// SPDX-License-Identifier: GPL-2.0
/*
 * fake_guest: the guest's connections. Their state (connecting,
 * established, closed, the peer's shutdown), what the pump answers by
 * itself as a guest kernel does, the credit of both directions
 * (virtio-vsock spec 5.10.6.3), and the stream and SEQPACKET API.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fake_guest_priv.h"

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

void fg_conn_unlink(struct fg_conn *c)
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

void fg_dispatch(struct fg_guest *g, struct fg_pkt *p)
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

/* ---- API ---- */

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
