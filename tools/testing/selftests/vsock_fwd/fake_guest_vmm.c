// SPDX-License-Identifier: GPL-2.0
/*
 * fake_guest: the rings and the VMM side. What QEMU would do for a guest
 * (the device's owner, features, memory table and IOTLB, vrings and their
 * eventfds) and the guest driver's rings: posting buffers, kicks, taking
 * used ones back, and the pump thread that drains them.
 *
 * The device runs on another CPU, so the rings are shared memory: we
 * publish avail entries with a release store of avail->idx (the device
 * reads the entries after it sees the index), read used entries after an
 * acquire load of used->idx, and order our avail->idx store before the
 * read of used->flags with a full barrier (the device's
 * vhost_enable_notify() pairs with it), so that a kick is never lost.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "fake_guest_priv.h"

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
int fg_xmit(struct fg_guest *g, const struct fg_hdr *h,
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

void fg_wake_pump(struct fg_guest *g)
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
