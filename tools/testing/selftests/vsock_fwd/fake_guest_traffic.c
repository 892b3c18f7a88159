// SPDX-License-Identifier: GPL-2.0
/*
 * fake_guest: traffic generators. Floods of raw packets, and transfers of
 * the test pattern (fake_guest_pattern.h) between two ends, each a host
 * socket or a fake guest's connection, checked on arrival.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "fake_guest.h"

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
