// SPDX-License-Identifier: GPL-2.0
/*
 * The host-side virtio-vsock device (/dev/vhost-vsock): its ioctl ABI and
 * its traffic with host AF_VSOCK sockets, driven by fake guests.
 *
 * The same binary runs against stock vhost_vsock and against
 * vhost_vsock_fwd: stock passing shows that a test states upstream
 * behaviour, ours passing shows that the drop-in replacement keeps it.
 * Every test fails unless it saw the behaviour it checks; every wait has a
 * timeout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/sockios.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/vm_sockets.h>

#include "fake_guest.h"
#include "kselftest_harness.h"

/* How long to watch for a packet that must not come. */
#define QUIET_MS	500

/* ---- the device ABI ---- */

TEST(open_close)
{
	int fd = fg_dev_open();

	ASSERT_LE(0, fd) TH_LOG("open %s: %s", FG_DEV_PATH, strerror(-fd));
	ASSERT_EQ(0, close(fd));
}

TEST(set_guest_cid)
{
	static const uint64_t bad[] = {
		VMADDR_CID_HYPERVISOR, VMADDR_CID_LOCAL, VMADDR_CID_HOST,
		VMADDR_CID_ANY, (uint64_t)UINT32_MAX + 1, 1ULL << 40,
		UINT64_MAX,
	};
	uint64_t cid = fg_unique_cid(0);
	unsigned int i;
	int fd;

	fd = fg_dev_open();
	ASSERT_LE(0, fd);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(-EINVAL, fg_set_cid(fd, bad[i]))
			TH_LOG("CID %#llx", (unsigned long long)bad[i]);
	/* No owner is needed; setting the same CID again or a new one works. */
	EXPECT_EQ(0, fg_set_cid(fd, cid));
	EXPECT_EQ(0, fg_set_cid(fd, cid));
	EXPECT_EQ(0, fg_set_cid(fd, cid + 1));
	/* A rejected CID leaves the one in force. */
	EXPECT_EQ(-EINVAL, fg_set_cid(fd, VMADDR_CID_HOST));
	close(fd);
}

TEST(set_guest_cid_in_use)
{
	uint64_t cid = fg_unique_cid(0);
	int a, b, c;

	a = fg_dev_open();
	b = fg_dev_open();
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, fg_set_cid(a, cid));
	EXPECT_EQ(-EADDRINUSE, fg_set_cid(b, cid));
	/* Moving a to another CID frees the first one. */
	ASSERT_EQ(0, fg_set_cid(a, cid + 1));
	EXPECT_EQ(0, fg_set_cid(b, cid));
	EXPECT_EQ(-EADDRINUSE, fg_set_cid(b, cid + 1));
	/* Closing a device frees its CID. */
	close(a);
	c = fg_dev_open();
	ASSERT_LE(0, c);
	EXPECT_EQ(0, fg_set_cid(c, cid + 1));
	close(b);
	close(c);
}

TEST(owner)
{
	struct vhost_memory mem = {};
	int fd, running = 1;
	pid_t pid;
	int status;

	fd = fg_dev_open();
	ASSERT_LE(0, fd);
	/* Everything but the vsock ioctls needs an owner. */
	EXPECT_EQ(-EPERM, fg_ioctl(fd, VHOST_SET_MEM_TABLE, &mem));
	EXPECT_EQ(-EPERM, fg_set_running(fd, 1));
	EXPECT_EQ(-EPERM, fg_set_running(fd, 0));
	ASSERT_EQ(0, fg_ioctl(fd, VHOST_SET_OWNER, NULL));
	EXPECT_EQ(-EBUSY, fg_ioctl(fd, VHOST_SET_OWNER, NULL));
	EXPECT_EQ(0, fg_ioctl(fd, VHOST_SET_MEM_TABLE, &mem));
	/* Stopping a device that never ran is fine for its owner. */
	EXPECT_EQ(0, fg_set_running(fd, 0));

	/* Another process sharing the fd is not the owner. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(fg_ioctl(fd, VHOST_VSOCK_SET_RUNNING, &running) == -EPERM &&
		      fg_ioctl(fd, VHOST_SET_MEM_TABLE, &mem) == -EPERM ?
		      0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	close(fd);
}

TEST(features)
{
	uint64_t f, want = (1ULL << VIRTIO_F_VERSION_1) |
			   (1ULL << VIRTIO_F_ACCESS_PLATFORM) |
			   (1ULL << VIRTIO_VSOCK_F_SEQPACKET);
	unsigned int bit;
	int fd;

	fd = fg_dev_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fg_ioctl(fd, VHOST_GET_FEATURES, &f));
	EXPECT_EQ(want, f & want) TH_LOG("features %#llx",
					 (unsigned long long)f);
	EXPECT_EQ(0, fg_ioctl(fd, VHOST_SET_FEATURES, &f));
	/* Any feature the device did not offer is refused. */
	for (bit = 0; bit < 64; bit++) {
		uint64_t one = 1ULL << bit;

		if (f & one)
			continue;
		EXPECT_EQ(-EOPNOTSUPP, fg_ioctl(fd, VHOST_SET_FEATURES, &one))
			TH_LOG("feature bit %u", bit);
	}

	ASSERT_EQ(0, fg_ioctl(fd, VHOST_GET_BACKEND_FEATURES, &f));
	EXPECT_EQ(1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2, f);
	EXPECT_EQ(0, fg_ioctl(fd, VHOST_SET_BACKEND_FEATURES, &f));
	f = 1ULL << VHOST_BACKEND_F_IOTLB_BATCH;
	EXPECT_EQ(-EOPNOTSUPP, fg_ioctl(fd, VHOST_SET_BACKEND_FEATURES, &f));
	close(fd);
}

/* ---- traffic ---- */

FIXTURE(guest) {
	struct fg_guest *g;
	uint64_t cid;
};

/* A fake guest in *g, running, with a CID of its own in *cid. */
static void guest_start(struct __test_metadata *_metadata,
			struct fg_guest **g, uint64_t *cid)
{
	int ret;

	*cid = fg_unique_cid(0);
	ret = fg_start_cid(*cid, g);
	ASSERT_EQ(0, ret) TH_LOG("fake guest: %s", strerror(-ret));
}

FIXTURE_SETUP(guest)
{
	guest_start(_metadata, &self->g, &self->cid);
}

FIXTURE_TEARDOWN(guest)
{
	if (self->g)
		fg_close(self->g);
}

/* len bytes each way between a guest connection and a host socket. */
static int exchange(struct fg_conn *c, int fd, size_t len)
{
	struct fg_end g = FG_END_GUEST(c), h = FG_END_HOST(fd);
	int ret = fg_transfer(&g, &h, len, 1, TIMEOUT_MS);

	return ret ? ret : fg_transfer(&h, &g, len, 2, TIMEOUT_MS);
}

/* Guest g dials a new host listener: the host end, the listener in *lfd. */
static int dial_host(struct fg_guest *g, struct fg_conn **c, int *lfd)
{
	uint32_t port;
	int ret, fd;

	*lfd = fg_host_listen(SOCK_STREAM, &port);
	if (*lfd < 0)
		return *lfd;
	ret = fg_connect(g, VIRTIO_VSOCK_TYPE_STREAM, VMADDR_CID_HOST, port,
			 TIMEOUT_MS, c);
	fd = ret ? ret : fg_host_accept(*lfd, TIMEOUT_MS, NULL, NULL);
	if (fd >= 0 && fg_host_timeouts(fd, TIMEOUT_MS)) {
		close(fd);
		fd = -EIO;
	}
	if (fd < 0) {
		if (!ret)
			fg_conn_free(*c);
		close(*lfd);
	}
	return fd;
}

/*
 * A connection between the guest and a host socket, as either side dials
 * it: the rows of the fixture dial.
 */
FIXTURE(dial) {
	struct fg_guest *g;
	uint64_t cid;
};

FIXTURE_VARIANT(dial) {
	bool host_dials;
};

FIXTURE_VARIANT_ADD(dial, guest_dials) {
	.host_dials = false,
};

FIXTURE_VARIANT_ADD(dial, host_dials) {
	.host_dials = true,
};

FIXTURE_SETUP(dial)
{
	guest_start(_metadata, &self->g, &self->cid);
}

FIXTURE_TEARDOWN(dial)
{
	fg_close(self->g);
}

#define GUEST_PORT	1234

/*
 * Connect guest g (CID cid) and a host socket of type, dialled by the
 * host or by the guest: the guest's end in *c, the host's returned. Each
 * end sees the other's own address.
 */
static int dial_pair(struct __test_metadata *_metadata, struct fg_guest *g,
		     uint64_t cid, bool host_dials, int type,
		     struct fg_conn **c)
{
	uint16_t vtype = type == SOCK_STREAM ? VIRTIO_VSOCK_TYPE_STREAM :
			 VIRTIO_VSOCK_TYPE_SEQPACKET;
	uint32_t port, peer_port;
	uint64_t peer_cid;
	int lfd, fd;

	if (host_dials) {
		ASSERT_EQ(0, fg_listen(g, vtype, GUEST_PORT));
		fd = fg_host_connect(type, cid, GUEST_PORT, TIMEOUT_MS);
		ASSERT_LE(0, fd) TH_LOG("connect: %s", strerror(-fd));
		ASSERT_EQ(0, fg_accept(g, GUEST_PORT, TIMEOUT_MS, c));
	} else {
		lfd = fg_host_listen(type, &port);
		ASSERT_LE(0, lfd);
		ASSERT_EQ(0, fg_connect(g, vtype, VMADDR_CID_HOST, port,
					TIMEOUT_MS, c));
		fd = fg_host_accept(lfd, TIMEOUT_MS, &peer_cid, &peer_port);
		close(lfd);
		ASSERT_LE(0, fd);
		EXPECT_EQ(cid, peer_cid);
		EXPECT_EQ(fg_conn_local_port(*c), peer_port);
	}
	EXPECT_EQ(FG_HOST_CID, fg_conn_peer_cid(*c));
	ASSERT_EQ(0, fg_host_timeouts(fd, TIMEOUT_MS));
	return fd;
}

/*
 * Data both ways; the guest stops sending: the host reads the end of the
 * stream; the host closes: the guest sees the end of the stream, and the
 * connection closes.
 */
TEST_F_TIMEOUT(dial, stream, 60)
{
	struct fg_conn *c;
	char byte;
	int fd;

	fd = dial_pair(_metadata, self->g, self->cid, variant->host_dials,
		       SOCK_STREAM, &c);
	ASSERT_EQ(0, exchange(c, fd, 100000));
	ASSERT_EQ(0, fg_shutdown(c, VIRTIO_VSOCK_SHUTDOWN_SEND));
	EXPECT_EQ(0, read(fd, &byte, 1));
	close(fd);
	EXPECT_EQ(0, fg_recv(c, &byte, 1, TIMEOUT_MS));
	EXPECT_EQ(0, fg_wait_closed(c, TIMEOUT_MS));
	fg_conn_free(c);
}

TEST_F(guest, host_connects_to_no_listener)
{
	int fd = fg_host_connect(SOCK_STREAM, self->cid, 4321, TIMEOUT_MS);

	/* The guest answers RST, so connect() fails at once. */
	EXPECT_EQ(-ECONNRESET, fd);
	if (fd >= 0)
		close(fd);
}

TEST_F(guest, connect_to_no_listener)
{
	int lfd, unused_port_fd;
	struct fg_conn *c;
	struct fg_pkt *p;
	uint32_t port;
	struct fg_hdr req = {
		.src_cid = self->cid,
		.dst_cid = VMADDR_CID_HOST,
		.src_port = 7777,
		.type = VIRTIO_VSOCK_TYPE_STREAM,
		.op = VIRTIO_VSOCK_OP_REQUEST,
		.buf_alloc = FG_BUF_ALLOC,
	};

	/* A port that was bound once and is free again has no listener. */
	unused_port_fd = fg_host_listen(SOCK_STREAM, &port);
	ASSERT_LE(0, unused_port_fd);
	close(unused_port_fd);

	EXPECT_EQ(-ECONNRESET, fg_connect(self->g, VIRTIO_VSOCK_TYPE_STREAM,
					  VMADDR_CID_HOST, port, TIMEOUT_MS,
					  &c));

	/* The RST is addressed back exactly. */
	req.dst_port = port;
	ASSERT_EQ(0, fg_send_pkt(self->g, &req, NULL, 0, TIMEOUT_MS));
	ASSERT_EQ(0, fg_recv_pkt(self->g, &p, TIMEOUT_MS));
	EXPECT_EQ(VIRTIO_VSOCK_OP_RST, p->hdr.op);
	EXPECT_EQ(VIRTIO_VSOCK_TYPE_STREAM, p->hdr.type);
	EXPECT_EQ(FG_HOST_CID, p->hdr.src_cid);
	EXPECT_EQ(port, p->hdr.src_port);
	EXPECT_EQ(self->cid, p->hdr.dst_cid);
	EXPECT_EQ(7777U, p->hdr.dst_port);
	EXPECT_EQ(0U, p->hdr.len);
	free(p);

	/* A listener of another type refuses too. */
	lfd = fg_host_listen(SOCK_SEQPACKET, &port);
	ASSERT_LE(0, lfd);
	EXPECT_EQ(-ECONNRESET, fg_connect(self->g, VIRTIO_VSOCK_TYPE_STREAM,
					  VMADDR_CID_HOST, port, TIMEOUT_MS,
					  &c));
	close(lfd);
}

/*
 * The device accepts from a guest only packets from its own CID to the
 * host; anything else disappears without an answer, and the device keeps
 * working.
 */
TEST_F_TIMEOUT(guest, misaddressed_dropped, 60)
{
	static const uint64_t bad_dst[] = {
		VMADDR_CID_HYPERVISOR, VMADDR_CID_LOCAL, 3, VMADDR_CID_ANY,
		(uint64_t)VMADDR_CID_HOST << 32 | VMADDR_CID_HOST,
	};
	unsigned char buf[sizeof(struct virtio_vsock_hdr) + 16] = {};
	struct virtio_vsock_hdr *w = (void *)buf;
	struct fg_hdr h = {
		.src_cid = self->cid,
		.dst_cid = VMADDR_CID_HOST,
		.src_port = 8888,
		.type = VIRTIO_VSOCK_TYPE_STREAM,
		.op = VIRTIO_VSOCK_OP_REQUEST,
		.buf_alloc = FG_BUF_ALLOC,
	};
	struct fg_conn *c;
	struct fg_pkt *p;
	uint32_t port;
	unsigned int i;
	int lfd, fd;

	fg_set_auto_rst(self->g, false);
	lfd = fg_host_listen(SOCK_STREAM, &port);
	ASSERT_LE(0, lfd);
	h.dst_port = port;

	/* Spoofed sources: another guest, the host, none. */
	h.src_cid = self->cid + 1;
	ASSERT_EQ(0, fg_send_pkt(self->g, &h, NULL, 0, TIMEOUT_MS));
	h.src_cid = VMADDR_CID_HOST;
	ASSERT_EQ(0, fg_send_pkt(self->g, &h, NULL, 0, TIMEOUT_MS));
	h.src_cid = VMADDR_CID_ANY;
	ASSERT_EQ(0, fg_send_pkt(self->g, &h, NULL, 0, TIMEOUT_MS));
	h.src_cid = self->cid;
	for (i = 0; i < ARRAY_SIZE(bad_dst); i++) {
		h.dst_cid = bad_dst[i];
		ASSERT_EQ(0, fg_send_pkt(self->g, &h, NULL, 0, TIMEOUT_MS));
	}
	h.dst_cid = VMADDR_CID_HOST;

	/* Malformed buffers: shorter than a header; len beyond the buffer. */
	ASSERT_EQ(0, fg_send_buf(self->g, buf, sizeof(*w) - 1));
	w->src_cid = htole64(self->cid);
	w->dst_cid = htole64(VMADDR_CID_HOST);
	w->src_port = htole32(8888);
	w->dst_port = htole32(port);
	w->type = htole16(VIRTIO_VSOCK_TYPE_STREAM);
	w->op = htole16(VIRTIO_VSOCK_OP_REQUEST);
	w->len = htole32(sizeof(buf) - sizeof(*w) + 1);
	ASSERT_EQ(0, fg_send_buf(self->g, buf, sizeof(buf)));

	EXPECT_EQ(-ETIMEDOUT, fg_host_accept(lfd, QUIET_MS, NULL, NULL));
	EXPECT_EQ(-ETIMEDOUT, fg_recv_pkt(self->g, &p, QUIET_MS));

	/* The device still works. */
	fg_set_auto_rst(self->g, true);
	ASSERT_EQ(0, fg_connect(self->g, VIRTIO_VSOCK_TYPE_STREAM,
				VMADDR_CID_HOST, port, TIMEOUT_MS, &c));
	fd = fg_host_accept(lfd, TIMEOUT_MS, NULL, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fg_host_timeouts(fd, TIMEOUT_MS));
	ASSERT_EQ(0, exchange(c, fd, 1000));
	fg_conn_free(c);
	close(fd);
	close(lfd);
}

TEST_F_TIMEOUT(guest, close_resets_host_sockets, 60)
{
	const uint32_t gport = 2345;
	struct fg_conn *c[4];
	int lfd, fd[4], i;
	uint32_t port;

	lfd = fg_host_listen(SOCK_STREAM, &port);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, fg_listen(self->g, VIRTIO_VSOCK_TYPE_STREAM, gport));
	/* Two connections each way. */
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, fg_connect(self->g, VIRTIO_VSOCK_TYPE_STREAM,
					VMADDR_CID_HOST, port, TIMEOUT_MS,
					&c[i]));
		fd[i] = fg_host_accept(lfd, TIMEOUT_MS, NULL, NULL);
		ASSERT_LE(0, fd[i]);
	}
	for (; i < 4; i++) {
		fd[i] = fg_host_connect(SOCK_STREAM, self->cid, gport,
					TIMEOUT_MS);
		ASSERT_LE(0, fd[i]);
		ASSERT_EQ(0, fg_accept(self->g, gport, TIMEOUT_MS, &c[i]));
	}
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, exchange(c[i], fd[i], 10));

	fg_close(self->g);
	self->g = NULL;
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(-ECONNRESET, fg_host_wait_error(fd[i], TIMEOUT_MS))
			TH_LOG("socket %d", i);
		close(fd[i]);
	}
	close(lfd);
}

TEST_F_TIMEOUT(guest, many_connections, 120)
{
	enum { N = 100 };
	struct fg_conn *c[N];
	int lfd, fd[N], i, j;
	uint32_t port, peer_port, id;

	lfd = fg_host_listen(SOCK_STREAM, &port);
	ASSERT_LE(0, lfd);
	/* All open at once: N connects before the host accepts any. */
	for (i = 0; i < N; i++)
		ASSERT_EQ(0, fg_connect(self->g, VIRTIO_VSOCK_TYPE_STREAM,
					VMADDR_CID_HOST, port, TIMEOUT_MS,
					&c[i])) TH_LOG("connection %d", i);
	for (i = 0; i < N; i++) {
		fd[i] = fg_host_accept(lfd, TIMEOUT_MS, NULL, &peer_port);
		ASSERT_LE(0, fd[i]) TH_LOG("accept %d", i);
		ASSERT_EQ(0, fg_host_timeouts(fd[i], TIMEOUT_MS));
		/* Match the host socket to its guest end by port. */
		for (j = 0; j < N; j++)
			if (fg_conn_local_port(c[j]) == peer_port)
				break;
		ASSERT_LT(j, N);
		/* Tell each guest end which host socket it has. */
		id = i;
		ASSERT_EQ((ssize_t)sizeof(id), fg_host_write_all(fd[i], &id, sizeof(id)));
	}
	/* Every guest end echoes its id plus its port back. */
	for (j = 0; j < N; j++) {
		uint32_t msg[2];

		ASSERT_EQ((ssize_t)sizeof(id), fg_recv_all(c[j], &id, sizeof(id),
						  TIMEOUT_MS));
		msg[0] = id;
		msg[1] = fg_conn_local_port(c[j]);
		ASSERT_EQ((ssize_t)sizeof(msg), fg_send(c[j], msg, sizeof(msg),
					       TIMEOUT_MS));
	}
	for (i = 0; i < N; i++) {
		uint32_t msg[2];

		ASSERT_EQ((ssize_t)sizeof(msg), fg_host_read_all(fd[i], msg,
							sizeof(msg)));
		EXPECT_EQ((uint32_t)i, msg[0]);
	}
	for (i = 0; i < N; i++) {
		close(fd[i]);
		fg_conn_free(c[i]);
	}
	close(lfd);
}

#define BULK_LEN	(64UL << 20)

struct bulk {
	struct fg_end from, to;
	int ret;
};

static void *bulk_run(void *arg)
{
	struct bulk *b = arg;

	b->ret = fg_transfer(&b->from, &b->to, BULK_LEN, 1, 60000);
	return NULL;
}

/* 64 MiB each way at once, checksummed at both ends. */
TEST_F_TIMEOUT(guest, bulk_64mib, 600)
{
	struct bulk up, down;
	struct fg_conn *c;
	uint32_t port;
	pthread_t t;
	int lfd, fd;

	lfd = fg_host_listen(SOCK_STREAM, &port);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, fg_connect(self->g, VIRTIO_VSOCK_TYPE_STREAM,
				VMADDR_CID_HOST, port, TIMEOUT_MS, &c));
	fd = fg_host_accept(lfd, TIMEOUT_MS, NULL, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fg_host_timeouts(fd, 60000));
	up.from = down.to = FG_END_GUEST(c);
	up.to = down.from = FG_END_HOST(fd);
	ASSERT_EQ(0, pthread_create(&t, NULL, bulk_run, &up));
	bulk_run(&down);
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(0, up.ret);
	EXPECT_EQ(0, down.ret);
	fg_conn_free(c);
	close(fd);
	close(lfd);
}

/* Message sizes around the packet and buffer limits. */
static const size_t msg_sizes[] = { 1, 100, 4096, 65536, 65537, 200000 };
#define N_MSGS	ARRAY_SIZE(msg_sizes)

/* Messages of these sizes both ways on a SEQPACKET connection. */
static void messages(struct __test_metadata *_metadata, struct fg_conn *c,
		     int fd, const size_t *sizes, unsigned int n)
{
	struct fg_end ge = FG_END_GUEST(c), he = FG_END_HOST(fd);

	EXPECT_EQ(0, fg_transfer_msgs(&ge, &he, sizes, n, TIMEOUT_MS));
	EXPECT_EQ(0, fg_transfer_msgs(&he, &ge, sizes, n, TIMEOUT_MS));
}

TEST_F_TIMEOUT(dial, seqpacket, 120)
{
	struct fg_conn *c;
	int fd;

	ASSERT_TRUE(!!(fg_features(self->g) &
		      (1ULL << VIRTIO_VSOCK_F_SEQPACKET)));
	fd = dial_pair(_metadata, self->g, self->cid, variant->host_dials,
		       SOCK_SEQPACKET, &c);
	messages(_metadata, c, fd, msg_sizes, N_MSGS);
	fg_conn_free(c);
	close(fd);
}

/*
 * Messages that each take the receiver's whole buffer after one that left
 * a little unreported: the sender waits until all of a message fits, so
 * they pass only if the receiver returns the credit of every message it
 * read.
 */
TEST_F_TIMEOUT(dial, seqpacket_full_buffer, 120)
{
	static const size_t sizes[] = {
		1, FG_BUF_ALLOC, FG_BUF_ALLOC / 2 + 1, FG_BUF_ALLOC,
	};
	struct fg_conn *c;
	int fd;

	fd = dial_pair(_metadata, self->g, self->cid, variant->host_dials,
		       SOCK_SEQPACKET, &c);
	messages(_metadata, c, fd, sizes, ARRAY_SIZE(sizes));
	fg_conn_free(c);
	close(fd);
}

/*
 * Messages queued back to back stay apart, and a short read truncates
 * one message without touching the next.
 */
TEST_F_TIMEOUT(guest, seqpacket_boundaries, 120)
{
	struct fg_conn *c;
	char in[8];
	int fd;

	fd = dial_pair(_metadata, self->g, self->cid, false, SOCK_SEQPACKET,
		       &c);
	ASSERT_EQ(3, send(fd, "abc", 3, 0));
	ASSERT_EQ(2, send(fd, "de", 2, 0));
	ASSERT_EQ(3, fg_recv_msg(c, in, 1, NULL, TIMEOUT_MS));
	EXPECT_EQ('a', in[0]);
	ASSERT_EQ(2, fg_recv_msg(c, in, sizeof(in), NULL, TIMEOUT_MS));
	EXPECT_EQ(0, memcmp(in, "de", 2));
	fg_conn_free(c);
	close(fd);
}

/*
 * With VIRTIO_F_ACCESS_PLATFORM the device reaches guest memory through its
 * IOTLB, which the VMM fills over write() and which asks for what it misses
 * over read(), as QEMU with a vIOMMU does.
 */
TEST(iotlb)
{
	struct fg_config cfg = { .cid = fg_unique_cid(0), .iotlb = true };
	struct pollfd pfd = { .events = POLLIN };
	struct fg_guest *g;
	struct fg_conn *c;
	int lfd, fd;
	char byte;

	ASSERT_EQ(0, fg_start(&cfg, &g));
	ASSERT_TRUE(!!(fg_features(g) & (1ULL << VIRTIO_F_ACCESS_PLATFORM)));
	fd = dial_host(g, &c, &lfd);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, exchange(c, fd, 100000));

	/* Without mappings the next packet waits for the VMM's answer. */
	ASSERT_EQ(0, fg_iotlb_unmap(g));
	ASSERT_EQ(1, fg_send(c, "x", 1, TIMEOUT_MS));
	/* TX is virtqueue 1. */
	ASSERT_EQ(0, fg_iotlb_wait_miss(g, 1, TIMEOUT_MS));
	pfd.fd = fd;
	EXPECT_EQ(0, poll(&pfd, 1, QUIET_MS));
	ASSERT_EQ(0, fg_iotlb_map(g));
	ASSERT_EQ(1, read(fd, &byte, 1));
	EXPECT_EQ('x', byte);

	fg_conn_free(c);
	close(fd);
	close(lfd);
	fg_close(g);
}

/*
 * Every buffer of both rings split into a chain of up to FG_MAX_CHAIN
 * descriptors at random points, inside the header too, as a driver may
 * lay them out: streams and messages pass as with one descriptor each.
 */
TEST_F_TIMEOUT(guest, chained_descriptors, 120)
{
	struct fg_config cfg = {
		.cid = fg_unique_cid(1), .chain = FG_MAX_CHAIN,
	};
	struct fg_guest *g;
	struct fg_conn *c;
	int lfd, fd;

	ASSERT_EQ(0, fg_start(&cfg, &g));
	fd = dial_host(g, &c, &lfd);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, exchange(c, fd, 1000000));
	fg_conn_free(c);
	close(fd);
	close(lfd);
	fd = dial_pair(_metadata, g, cfg.cid, true, SOCK_SEQPACKET, &c);
	messages(_metadata, c, fd, msg_sizes, N_MSGS);
	fg_conn_free(c);
	close(fd);
	fg_close(g);
}

/* Without VIRTIO_VSOCK_F_SEQPACKET there is no SEQPACKET either way. */
TEST(seqpacket_needs_feature)
{
	struct fg_config cfg = {
		.cid = fg_unique_cid(0),
		.features_clear = 1ULL << VIRTIO_VSOCK_F_SEQPACKET,
	};
	struct fg_guest *g;
	struct fg_conn *c;
	uint32_t port;
	int lfd;

	ASSERT_EQ(0, fg_start(&cfg, &g));
	ASSERT_EQ(0, fg_listen(g, VIRTIO_VSOCK_TYPE_SEQPACKET, 1000));
	EXPECT_EQ(-ESOCKTNOSUPPORT,
		  fg_host_connect(SOCK_SEQPACKET, cfg.cid, 1000, TIMEOUT_MS));
	lfd = fg_host_listen(SOCK_SEQPACKET, &port);
	ASSERT_LE(0, lfd);
	EXPECT_EQ(-ECONNRESET, fg_connect(g, VIRTIO_VSOCK_TYPE_SEQPACKET,
					  VMADDR_CID_HOST, port, TIMEOUT_MS,
					  &c));
	EXPECT_EQ(-ETIMEDOUT, fg_host_accept(lfd, QUIET_MS, NULL, NULL));
	close(lfd);
	fg_close(g);
}

/*
 * A guest that sends but does not read makes the host queue replies (here
 * RSTs); once they fill as many slots as its TX ring has, the device stops
 * taking its packets instead of queueing more, and catches up when it
 * reads again. Nothing is lost.
 */
TEST_F_TIMEOUT(guest, reply_throttling, 120)
{
	struct fg_flood f = {
		.g = self->g,
		.count = 1000,
		.hdr = {
			.src_cid = self->cid,
			.dst_cid = VMADDR_CID_HOST,
			.src_port = 5555,
			.type = VIRTIO_VSOCK_TYPE_STREAM,
			.op = VIRTIO_VSOCK_OP_REQUEST,
		},
	};
	unsigned int sent, i;
	struct fg_pkt *p;
	int lfd;

	/* A port with no listener, so that every REQUEST gets a RST. */
	lfd = fg_host_listen(SOCK_STREAM, &f.hdr.dst_port);
	ASSERT_LE(0, lfd);
	close(lfd);
	fg_set_auto_rst(self->g, false);
	fg_pause_rx(self->g, true);
	ASSERT_EQ(0, fg_flood_start(&f));
	/*
	 * Exactly: a ring of RSTs delivered, a ring's worth of them queued,
	 * which pauses the TX worker, and a ring of REQUESTs it left. A
	 * stall that only the machine's load caused ends below that.
	 */
	for (i = 0; i < 10; i++) {
		sent = fg_flood_wait_stall(&f, 1000, 60000);
		if (sent >= 3 * FG_RING)
			break;
	}
	TH_LOG("paused after %u of %u packets", sent, f.count);
	EXPECT_EQ(3U * FG_RING, sent);
	EXPECT_EQ(sent, fg_flood_wait_stall(&f, 1000, 60000));

	fg_pause_rx(self->g, false);
	ASSERT_EQ(0, fg_flood_join(&f));
	for (i = 0; i < f.count; i++) {
		ASSERT_EQ(0, fg_recv_pkt(self->g, &p, TIMEOUT_MS))
			TH_LOG("RST %u", i);
		EXPECT_EQ(VIRTIO_VSOCK_OP_RST, p->hdr.op);
		free(p);
	}
}

static int host_outq(int fd)
{
	int n;

	return ioctl(fd, SIOCOUTQ, &n) ? -errno : n;
}

/*
 * Data a host socket sent that the guest never took: SIOCOUTQ counts it
 * while the device holds it, the socket is reset when the device goes, and
 * none of it reaches the next device with that CID.
 */
TEST_F_TIMEOUT(guest, pending_data_on_close, 60)
{
	enum { MSGS = 200, MSG = 1024, RX_BUFS = 128 };
	const uint32_t gport = 4567;
	char msg[MSG] = {};
	struct fg_guest *g2;
	struct fg_conn *c;
	struct fg_pkt *p;
	int fd, i, outq = -1, pending;

	ASSERT_EQ(0, fg_listen(self->g, VIRTIO_VSOCK_TYPE_STREAM, gport));
	fd = fg_host_connect(SOCK_STREAM, self->cid, gport, TIMEOUT_MS);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fg_host_timeouts(fd, TIMEOUT_MS));
	ASSERT_EQ(0, fg_accept(self->g, gport, TIMEOUT_MS, &c));
	EXPECT_EQ(0, host_outq(fd));

	/*
	 * The guest stops reading: its RX_BUFS posted buffers take one
	 * message each, the device has to hold the rest.
	 */
	fg_pause_rx(self->g, true);
	for (i = 0; i < MSGS; i++)
		ASSERT_EQ(MSG, write(fd, msg, MSG));
	for (i = 0; i < 100; i++) {
		outq = host_outq(fd);
		if (outq == (MSGS - RX_BUFS) * MSG)
			break;
		usleep(20000);
	}
	EXPECT_EQ((MSGS - RX_BUFS) * MSG, outq);
	pending = outq;

	fg_close(self->g);
	self->g = NULL;
	EXPECT_EQ(-ECONNRESET, fg_host_wait_error(fd, TIMEOUT_MS));
	/*
	 * Stock vhost_vsock drops the held packets without uncounting them,
	 * so the count stays; it must at least not grow or fail.
	 */
	outq = host_outq(fd);
	TH_LOG("SIOCOUTQ after the device closed: %d", outq);
	EXPECT_LE(0, outq);
	EXPECT_LE(outq, pending);

	ASSERT_EQ(0, fg_start_cid(self->cid, &g2));
	EXPECT_EQ(-ETIMEDOUT, fg_recv_pkt(g2, &p, QUIET_MS));
	fg_close(g2);
	close(fd);
}

/* ---- resources ---- */

/* Kernel memory that is neither page cache nor free (per-CPU lists too). */
static long kernel_used_kb(void)
{
	return fg_meminfo_kb("MemTotal") - fg_meminfo_kb("MemFree") -
		fg_pcp_free_kb() -
		fg_meminfo_kb("Buffers") - fg_meminfo_kb("Cached") -
		fg_meminfo_kb("AnonPages");
}

/* References on whichever vhost-vsock module provides the device. */
static long module_refcnt(void)
{
	static const char * const mods[] = { "vhost_vsock_fwd", "vhost_vsock" };
	char path[64];
	unsigned int i;
	long val = -1;
	FILE *f;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/sys/module/%s/refcnt", mods[i]);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%ld", &val) != 1)
			val = -1;
		fclose(f);
		break;
	}
	return val;
}

static void open_cid_close(struct __test_metadata *_metadata, int n,
			   uint64_t cid)
{
	int i, fd;

	for (i = 0; i < n; i++) {
		fd = fg_dev_open();
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, fg_set_cid(fd, cid));
		ASSERT_EQ(0, close(fd));
	}
}

/*
 * 1000 open/set-CID/close cycles leave no memory and no module reference
 * behind. Each cycle allocates tens of KiB (the device with its
 * virtqueues), so a leak shows far above the tolerance.
 */
/* No setup; a fixture only for TEST_F_TIMEOUT(), as TCG is slow. */
FIXTURE(slow) {};
FIXTURE_SETUP(slow) {}
FIXTURE_TEARDOWN(slow) {}

TEST_F_TIMEOUT(slow, open_close_cycles, 600)
{
	enum { CYCLES = 1000, SLAB_TOL_KB = 4096, USED_TOL_KB = 16384 };
	long refcnt, slab, used, refcnt_now = 0, slab_now = 0, used_now = 0;
	int i;

	/* Warm up caches, then measure. */
	open_cid_close(_metadata, 50, fg_unique_cid(0));
	refcnt = module_refcnt();
	ASSERT_LE(0, refcnt);
	slab = fg_meminfo_kb("Slab");
	used = kernel_used_kb();

	open_cid_close(_metadata, CYCLES, fg_unique_cid(0));

	/*
	 * RCU and the freeing of worker tasks lag behind a little; host
	 * sockets of earlier tests that linger until their close timeout
	 * may drop module references meanwhile, hence "at most".
	 */
	for (i = 0; i < 10; i++) {
		refcnt_now = module_refcnt();
		slab_now = fg_meminfo_kb("Slab");
		used_now = kernel_used_kb();
		if (refcnt_now <= refcnt && slab_now - slab < SLAB_TOL_KB &&
		    used_now - used < USED_TOL_KB)
			break;
		sleep(1);
	}
	TH_LOG("refcnt %ld -> %ld, Slab %+ld kB, kernel used %+ld kB after %d cycles",
	       refcnt, refcnt_now, slab_now - slab, used_now - used, CYCLES);
	EXPECT_LE(refcnt_now, refcnt);
	EXPECT_LT(slab_now - slab, SLAB_TOL_KB);
	EXPECT_LT(used_now - used, USED_TOL_KB);
}

TEST_HARNESS_MAIN
