// SPDX-License-Identifier: GPL-2.0
/*
 * CID forwarding of vhost_vsock_fwd (VHOST_VSOCK_SET_FORWARD), driven by
 * fake guests: an enclave E that dials its parent at the alias CID 3, the
 * parent being the host or another guest P, and bystanders X. See
 * Documentation/virt/vsock-fwd.rst for the semantics checked here.
 *
 * A fake guest matches every packet it receives to a connection by the
 * peer's CID, so an enclave connection to CID 3 that works at all proves
 * that everything it received came from 3.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/vhost.h>
#include <linux/vhost_fwd.h>
#include <linux/vm_sockets.h>

#include "fake_guest.h"
#include "kselftest_harness.h"

#define TIMEOUT_MS	10000
/* How long to watch for a packet that must not come. */
#define QUIET_MS	500
#define ALIAS		3ULL
#define PARENT_PORT	9000
#define ENCLAVE_PORT	5000
#define STREAM		VIRTIO_VSOCK_TYPE_STREAM
#define SEQPACKET	VIRTIO_VSOCK_TYPE_SEQPACKET

static int set_fwd(int fd, uint64_t alias, uint64_t target, uint32_t flags)
{
	struct vhost_vsock_forward f = {
		.alias_cid = alias,
		.target_cid = target,
		.flags = flags,
	};

	return fg_ioctl(fd, VHOST_VSOCK_SET_FORWARD, &f);
}

static int set_forward(struct fg_guest *g, uint64_t target, uint32_t flags)
{
	return set_fwd(fg_fd(g), ALIAS, target, flags);
}

/* ---- the ABI ---- */

TEST(forward_einval)
{
	const uint64_t cid = fg_unique_cid(0), other = fg_unique_cid(1);
	static const struct vhost_vsock_forward bad[] = {
		/* Off, with something else set. */
		{ .alias_cid = 3 },
		{ .flags = VHOST_VSOCK_FORWARD_F_STRICT },
		{ .reserved = 1 },
		/* Unknown flags, reserved. */
		{ 3, 2, ~VHOST_VSOCK_FORWARD_F_ALL, 0 },
		{ 3, 2, 0, 1 },
		/* Bad alias. */
		{ 0, 2, 0, 0 }, { 1, 2, 0, 0 }, { 2, 2, 0, 0 },
		{ UINT32_MAX, 2, 0, 0 }, { 1ULL << 32, 2, 0, 0 },
		/* Bad target. */
		{ 3, 1, 0, 0 }, { 3, UINT32_MAX, 0, 0 }, { 3, 1ULL << 32, 0, 0 },
	};
	struct vhost_vsock_forward f;
	unsigned int i;
	int fd, fd2;

	fd = fg_dev_open();
	ASSERT_LE(0, fd);
	/* A new device has no forward. */
	memset(&f, 0xff, sizeof(f));
	ASSERT_EQ(0, fg_ioctl(fd, VHOST_VSOCK_GET_FORWARD, &f));
	EXPECT_EQ(0ULL, f.alias_cid | f.target_cid | f.flags | f.reserved);

	ASSERT_EQ(0, fg_set_cid(fd, cid));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		f = bad[i];
		EXPECT_EQ(-EINVAL, fg_ioctl(fd, VHOST_VSOCK_SET_FORWARD, &f))
			TH_LOG("case %u", i);
	}
	/* The guest's own CID is neither alias nor target. */
	EXPECT_EQ(-EINVAL, set_fwd(fd, cid, 2, 0));
	EXPECT_EQ(-EINVAL, set_fwd(fd, 3, cid, 0));

	/* Valid forwards, set before VHOST_SET_OWNER, read back. */
	ASSERT_EQ(0, set_fwd(fd, 3, 3, 0));
	ASSERT_EQ(0, set_fwd(fd, 3, 2, VHOST_VSOCK_FORWARD_F_STRICT));
	ASSERT_EQ(0, fg_ioctl(fd, VHOST_SET_OWNER, NULL));
	ASSERT_EQ(0, fg_ioctl(fd, VHOST_VSOCK_GET_FORWARD, &f));
	EXPECT_EQ(3ULL, f.alias_cid);
	EXPECT_EQ(2ULL, f.target_cid);
	EXPECT_EQ(VHOST_VSOCK_FORWARD_F_STRICT, f.flags);
	/* A rejected forward leaves the one in force. */
	EXPECT_EQ(-EINVAL, set_fwd(fd, 1, 2, 0));
	ASSERT_EQ(0, fg_ioctl(fd, VHOST_VSOCK_GET_FORWARD, &f));
	EXPECT_EQ(3ULL, f.alias_cid);
	ASSERT_EQ(0, set_fwd(fd, 0, 0, 0));
	ASSERT_EQ(0, fg_ioctl(fd, VHOST_VSOCK_GET_FORWARD, &f));
	EXPECT_EQ(0ULL, f.alias_cid | f.target_cid | f.flags);

	/* The own-CID rule holds when the CID comes after the forward. */
	fd2 = fg_dev_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, set_fwd(fd2, other, 2, 0));
	EXPECT_EQ(-EINVAL, fg_set_cid(fd2, other));
	ASSERT_EQ(0, set_fwd(fd2, 3, other, 0));
	EXPECT_EQ(-EINVAL, fg_set_cid(fd2, other));
	EXPECT_EQ(0, fg_set_cid(fd2, other + 1));
	close(fd2);
	close(fd);
}

static int drop_net_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -errno;
	d[CAP_TO_INDEX(CAP_NET_ADMIN)].effective &= ~CAP_TO_MASK(CAP_NET_ADMIN);
	d[CAP_TO_INDEX(CAP_NET_ADMIN)].permitted &= ~CAP_TO_MASK(CAP_NET_ADMIN);
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

/* Child of forward_needs_net_admin: the exit code says what failed. */
static int no_net_admin_child(uint32_t port)
{
	struct fg_guest *g;
	struct fg_conn *c;

	if (drop_net_admin())
		return 10;
	if (fg_start_cid(fg_unique_cid(0), &g))
		return 11;
	/* A guest target creates reachability between guests. */
	if (set_forward(g, fg_unique_cid(1), 0) != -EPERM)
		return 12;
	/* The host target does not: every guest reaches the host. */
	if (set_forward(g, VMADDR_CID_HOST, 0))
		return 13;
	if (fg_connect(g, STREAM, ALIAS, port, TIMEOUT_MS, &c))
		return 14;
	fg_close(g);
	return 0;
}

TEST(forward_needs_net_admin)
{
	uint32_t port;
	int lfd, fd, status;
	pid_t pid;

	lfd = fg_host_listen(SOCK_STREAM, &port);
	ASSERT_LE(0, lfd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(no_net_admin_child(port));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	fd = fg_host_accept(lfd, TIMEOUT_MS, NULL, NULL);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
	close(lfd);
}

/* ---- traffic ---- */

/* Enclaves e[0..1], parents p[0..1], a bystander x: started on demand. */
FIXTURE(fwd) {
	struct fg_guest *g[4];
};

FIXTURE_SETUP(fwd)
{
	memset(self->g, 0, sizeof(self->g));
}

FIXTURE_TEARDOWN(fwd)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		if (self->g[i])
			fg_close(self->g[i]);
}

/* Start guest n of the fixture in *gp, with the CID fg_unique_cid(n). */
static struct fg_guest *start(struct __test_metadata *_metadata,
			      struct fg_guest **gp, unsigned int n)
{
	int ret = fg_start_cid(fg_unique_cid(n), gp);

	ASSERT_EQ(0, ret) TH_LOG("fake guest %u: %s", n, strerror(-ret));
	return *gp;
}

#define GUEST(n)	start(_metadata, &self->g[n], n)
#define CID(n)		fg_unique_cid(n)

/* Checked data both ways between two ends. */
static int both_ways(struct fg_end a, struct fg_end b, size_t len)
{
	int ret = fg_transfer(&a, &b, len, 1, TIMEOUT_MS);

	return ret ? ret : fg_transfer(&b, &a, len, 2, TIMEOUT_MS);
}

/* The parent end of a connection the enclave dialled to the alias. */
static int host_accept_from(int lfd, uint64_t cid, uint32_t port)
{
	uint32_t peer_port;
	uint64_t peer_cid;
	int fd;

	fd = fg_host_accept(lfd, TIMEOUT_MS, &peer_cid, &peer_port);
	if (fd < 0)
		return fd;
	if (peer_cid != cid || peer_port != port || fg_host_timeouts(fd, TIMEOUT_MS)) {
		close(fd);
		return -EBADMSG;
	}
	return fd;
}

/*
 * The Nitro heartbeat: the enclave sends 0xB7 to 3:9000, the host answers
 * 0xB7. The host sees the enclave's own CID.
 */
TEST_F(fwd, heartbeat)
{
	struct fg_guest *e = GUEST(0);
	unsigned char b = 0xb7;
	struct fg_conn *c;
	int lfd, fd;

	ASSERT_EQ(0, set_forward(e, VMADDR_CID_HOST, 0));
	lfd = fg_host_listen_on(SOCK_STREAM, PARENT_PORT);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, fg_connect(e, STREAM, ALIAS, PARENT_PORT, TIMEOUT_MS, &c));
	fd = host_accept_from(lfd, CID(0), fg_conn_local_port(c));
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, fg_send(c, &b, 1, TIMEOUT_MS));
	b = 0;
	ASSERT_EQ(1, read(fd, &b, 1));
	ASSERT_EQ(0xb7, b);
	ASSERT_EQ(1, write(fd, &b, 1));
	b = 0;
	ASSERT_EQ(1, fg_recv(c, &b, 1, TIMEOUT_MS));
	ASSERT_EQ(0xb7, b);
	/* 1 MiB each way, checked. */
	EXPECT_EQ(0, both_ways(FG_END_GUEST(c), FG_END_HOST(fd), 1 << 20));
	fg_conn_free(c);
	close(fd);
	close(lfd);
}

/* The host connects in; the enclave sees it as the alias. */
TEST_F(fwd, host_connects_from_alias)
{
	struct fg_guest *e = GUEST(0);
	struct fg_conn *c;
	int fd;

	ASSERT_EQ(0, set_forward(e, VMADDR_CID_HOST, 0));
	ASSERT_EQ(0, fg_listen(e, STREAM, ENCLAVE_PORT));
	fd = fg_host_connect(SOCK_STREAM, CID(0), ENCLAVE_PORT, TIMEOUT_MS);
	ASSERT_LE(0, fd) TH_LOG("connect: %s", strerror(-fd));
	ASSERT_EQ(0, fg_host_timeouts(fd, TIMEOUT_MS));
	ASSERT_EQ(0, fg_accept(e, ENCLAVE_PORT, TIMEOUT_MS, &c));
	EXPECT_EQ(ALIAS, fg_conn_peer_cid(c));
	EXPECT_EQ(0, both_ways(FG_END_GUEST(c), FG_END_HOST(fd), 1 << 20));
	fg_conn_free(c);
	close(fd);
}

/*
 * The enclave connects to its parent guest at the alias, the parent to the
 * enclave; the parent sees the enclave's CID, the enclave sees the alias.
 * The parent listens on PARENT_PORT, the enclave on ENCLAVE_PORT.
 */
static void parent_guest(struct __test_metadata *_metadata,
			 struct fg_guest *e, struct fg_guest *p, size_t len)
{
	struct fg_conn *ec, *pc;

	ASSERT_EQ(0, fg_connect(e, STREAM, ALIAS, PARENT_PORT, TIMEOUT_MS,
				&ec));
	ASSERT_EQ(0, fg_accept(p, PARENT_PORT, TIMEOUT_MS, &pc));
	EXPECT_EQ(fg_cid(e), fg_conn_peer_cid(pc));
	EXPECT_EQ(fg_conn_local_port(ec), fg_conn_peer_port(pc));
	EXPECT_EQ(0, both_ways(FG_END_GUEST(ec), FG_END_GUEST(pc), len));
	fg_conn_free(ec);
	fg_conn_free(pc);

	ASSERT_EQ(0, fg_connect(p, STREAM, fg_cid(e), ENCLAVE_PORT,
				TIMEOUT_MS, &pc));
	ASSERT_EQ(0, fg_accept(e, ENCLAVE_PORT, TIMEOUT_MS, &ec));
	EXPECT_EQ(ALIAS, fg_conn_peer_cid(ec));
	EXPECT_EQ(0, both_ways(FG_END_GUEST(ec), FG_END_GUEST(pc), 4096));
	fg_conn_free(ec);
	fg_conn_free(pc);
}

static void listen_both(struct __test_metadata *_metadata,
			struct fg_guest *e, struct fg_guest *p)
{
	ASSERT_EQ(0, fg_listen(p, STREAM, PARENT_PORT));
	ASSERT_EQ(0, fg_listen(e, STREAM, ENCLAVE_PORT));
}

TEST_F(fwd, parent_vm)
{
	struct fg_guest *e = GUEST(0), *p = GUEST(2);

	ASSERT_EQ(0, set_forward(e, CID(2), 0));
	listen_both(_metadata, e, p);
	parent_guest(_metadata, e, p, 1 << 20);
}

/* A parent VM that really has CID 3: routed, nothing rewritten. */
TEST_F(fwd, target_is_alias)
{
	struct fg_guest *e = GUEST(0), *p;

	ASSERT_EQ(0, fg_start_cid(ALIAS, &self->g[2]));
	p = self->g[2];
	ASSERT_EQ(0, set_forward(e, ALIAS, 0));
	listen_both(_metadata, e, p);
	parent_guest(_metadata, e, p, 4096);
}

/* Forward set before the device runs: a launcher configuring the fd. */
TEST_F(fwd, forward_before_running)
{
	struct fg_config cfg = { .cid = CID(0), .no_running = true };
	struct fg_conn *c;
	uint32_t port;
	int lfd, fd;

	ASSERT_EQ(0, fg_start(&cfg, &self->g[0]));
	ASSERT_EQ(0, set_forward(self->g[0], VMADDR_CID_HOST, 0));
	ASSERT_EQ(0, fg_set_running(fg_fd(self->g[0]), 1));
	lfd = fg_host_listen(SOCK_STREAM, &port);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, fg_connect(self->g[0], STREAM, ALIAS, port, TIMEOUT_MS,
				&c));
	fd = host_accept_from(lfd, CID(0), fg_conn_local_port(c));
	ASSERT_LE(0, fd);
	fg_conn_free(c);
	close(fd);
	close(lfd);
}

static const size_t msg_sizes[] = { 1, 4096, 65537, 200000 };
#define N_MSGS	ARRAY_SIZE(msg_sizes)

TEST_F(fwd, seqpacket)
{
	struct fg_guest *e = GUEST(0), *p = GUEST(2);
	struct fg_conn *ec, *pc;
	struct fg_end a, b;
	int lfd, fd;

	/* To the host. */
	ASSERT_EQ(0, set_forward(e, VMADDR_CID_HOST, 0));
	lfd = fg_host_listen_on(SOCK_SEQPACKET, PARENT_PORT);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, fg_connect(e, SEQPACKET, ALIAS, PARENT_PORT, TIMEOUT_MS,
				&ec));
	fd = host_accept_from(lfd, CID(0), fg_conn_local_port(ec));
	ASSERT_LE(0, fd);
	a = FG_END_GUEST(ec);
	b = FG_END_HOST(fd);
	EXPECT_EQ(0, fg_transfer_msgs(&a, &b, msg_sizes, N_MSGS, TIMEOUT_MS));
	EXPECT_EQ(0, fg_transfer_msgs(&b, &a, msg_sizes, N_MSGS, TIMEOUT_MS));
	fg_conn_free(ec);
	close(fd);
	close(lfd);

	/* To a parent guest. */
	ASSERT_EQ(0, set_forward(e, CID(2), 0));
	ASSERT_EQ(0, fg_listen(p, SEQPACKET, PARENT_PORT));
	ASSERT_EQ(0, fg_connect(e, SEQPACKET, ALIAS, PARENT_PORT, TIMEOUT_MS,
				&ec));
	ASSERT_EQ(0, fg_accept(p, PARENT_PORT, TIMEOUT_MS, &pc));
	a = FG_END_GUEST(ec);
	b = FG_END_GUEST(pc);
	EXPECT_EQ(0, fg_transfer_msgs(&a, &b, msg_sizes, N_MSGS, TIMEOUT_MS));
	EXPECT_EQ(0, fg_transfer_msgs(&b, &a, msg_sizes, N_MSGS, TIMEOUT_MS));
	fg_conn_free(ec);
	fg_conn_free(pc);
}

/* An absent or stopped target answers at once with RST, not a timeout. */
TEST_F(fwd, target_unreachable)
{
	struct fg_config cfg = { .cid = CID(2), .no_running = true };
	struct fg_guest *e = GUEST(0);
	struct fg_conn *c;

	ASSERT_EQ(0, set_forward(e, CID(3), 0));
	EXPECT_EQ(-ECONNRESET, fg_connect(e, STREAM, ALIAS, PARENT_PORT,
					  TIMEOUT_MS, &c));
	ASSERT_EQ(0, fg_start(&cfg, &self->g[2]));
	ASSERT_EQ(0, set_forward(e, CID(2), 0));
	EXPECT_EQ(-ECONNRESET, fg_connect(e, STREAM, ALIAS, PARENT_PORT,
					  TIMEOUT_MS, &c));
}

/* The enclave end of a connection got the RST (it may read data first). */
static bool conn_reset(struct fg_conn *c)
{
	return !fg_wait_closed(c, TIMEOUT_MS) && fg_conn_was_reset(c);
}

/*
 * Changing or dropping the forward under a stream to the host ends it
 * with RST at both ends; nothing hangs.
 */
TEST_F(fwd, forward_change_resets_host_streams)
{
	struct fg_guest *e = GUEST(0);
	uint64_t targets[] = { 0, CID(2) };
	struct fg_conn *c;
	uint32_t port;
	int lfd, fd;
	unsigned int i;

	GUEST(2);
	lfd = fg_host_listen(SOCK_STREAM, &port);
	ASSERT_LE(0, lfd);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, set_forward(e, VMADDR_CID_HOST, 0));
		ASSERT_EQ(0, fg_connect(e, STREAM, ALIAS, port, TIMEOUT_MS,
					&c));
		fd = host_accept_from(lfd, CID(0), fg_conn_local_port(c));
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, both_ways(FG_END_GUEST(c), FG_END_HOST(fd), 100));
		ASSERT_EQ(0, targets[i] ? set_forward(e, targets[i], 0) :
			     set_fwd(fg_fd(e), 0, 0, 0));
		EXPECT_EQ(-ECONNRESET, fg_host_wait_error(fd, TIMEOUT_MS))
			TH_LOG("target %llu", (unsigned long long)targets[i]);
		EXPECT_TRUE(conn_reset(c));
		fg_conn_free(c);
		close(fd);
	}
	close(lfd);
}

/* Send a byte on c unless it was reset already. */
static bool send_or_reset(struct fg_conn *c)
{
	const char b = 1;
	ssize_t ret = fg_send(c, &b, 1, TIMEOUT_MS);

	return ret == 1 || ret == -ECONNRESET;
}

/* Forward e to the parent guest p and open a stream e -> p through it. */
static void stream_to_parent(struct __test_metadata *_metadata,
			     struct fg_guest *e, struct fg_guest *p,
			     struct fg_conn **ec, struct fg_conn **pc)
{
	ASSERT_EQ(0, fg_listen(p, STREAM, PARENT_PORT));
	ASSERT_EQ(0, set_forward(e, fg_cid(p), 0));
	ASSERT_EQ(0, fg_connect(e, STREAM, ALIAS, PARENT_PORT, TIMEOUT_MS,
				ec));
	ASSERT_EQ(0, fg_accept(p, PARENT_PORT, TIMEOUT_MS, pc));
}

/*
 * Dropping the forward under a stream to a parent guest ends it with RST
 * at both ends: at once, or at the latest when an end next sends.
 */
TEST_F(fwd, forward_off_resets_guest_streams)
{
	struct fg_guest *e = GUEST(0), *p = GUEST(2);
	struct fg_conn *ec, *pc;

	stream_to_parent(_metadata, e, p, &ec, &pc);
	ASSERT_EQ(0, set_fwd(fg_fd(e), 0, 0, 0));
	EXPECT_TRUE(send_or_reset(ec));
	EXPECT_TRUE(conn_reset(ec));
	EXPECT_TRUE(send_or_reset(pc));
	EXPECT_TRUE(conn_reset(pc));
	fg_conn_free(ec);
	fg_conn_free(pc);
}

/* The target guest goes away under a connection: the enclave gets RST. */
TEST_F(fwd, target_closes)
{
	struct fg_guest *e = GUEST(0), *p = GUEST(2);
	struct fg_conn *ec, *pc;

	stream_to_parent(_metadata, e, p, &ec, &pc);
	fg_close(p);
	self->g[2] = NULL;
	/* An enclave blocked in a read must learn of it, not only a sender. */
	EXPECT_TRUE(conn_reset(ec));
	fg_conn_free(ec);
}

/* A guest that must not reach the other: its connect goes unanswered. */
static void unreachable(struct __test_metadata *_metadata,
			struct fg_guest *from, struct fg_guest *to,
			uint64_t cid, int expect)
{
	struct fg_conn *c;

	ASSERT_EQ(0, fg_listen(to, STREAM, ENCLAVE_PORT + 1));
	EXPECT_EQ(expect, fg_connect(from, STREAM, cid, ENCLAVE_PORT + 1,
				     QUIET_MS, &c));
	EXPECT_EQ(-ETIMEDOUT, fg_accept(to, ENCLAVE_PORT + 1, 0, &c));
}

/* F_STRICT with the host as parent: the enclave talks to the host only. */
TEST_F(fwd, strict_host_parent)
{
	struct fg_guest *e = GUEST(0), *x = GUEST(3);
	struct fg_conn *c;
	uint32_t port;
	int lfd, fd;

	ASSERT_EQ(0, set_forward(e, VMADDR_CID_HOST, VHOST_VSOCK_FORWARD_F_STRICT));
	lfd = fg_host_listen(SOCK_STREAM, &port);
	ASSERT_LE(0, lfd);
	/* Not the host at CID 2, not another guest: refused with RST. */
	EXPECT_EQ(-ECONNRESET, fg_connect(e, STREAM, VMADDR_CID_HOST, port,
					  TIMEOUT_MS, &c));
	EXPECT_EQ(-ETIMEDOUT, fg_host_accept(lfd, 0, NULL, NULL));
	ASSERT_EQ(0, fg_listen(x, STREAM, ENCLAVE_PORT));
	EXPECT_EQ(-ECONNRESET, fg_connect(e, STREAM, CID(3), ENCLAVE_PORT,
					  TIMEOUT_MS, &c));
	/* Another guest cannot connect in. */
	unreachable(_metadata, x, e, CID(0), -ETIMEDOUT);
	/* The parent works both ways. */
	ASSERT_EQ(0, fg_connect(e, STREAM, ALIAS, port, TIMEOUT_MS, &c));
	fd = host_accept_from(lfd, CID(0), fg_conn_local_port(c));
	ASSERT_LE(0, fd);
	fg_conn_free(c);
	close(fd);
	ASSERT_EQ(0, fg_listen(e, STREAM, ENCLAVE_PORT));
	fd = fg_host_connect(SOCK_STREAM, CID(0), ENCLAVE_PORT, TIMEOUT_MS);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fg_accept(e, ENCLAVE_PORT, TIMEOUT_MS, &c));
	fg_conn_free(c);
	close(fd);
	close(lfd);
}

/* F_STRICT with a guest parent: not even the host may connect in. */
TEST_F(fwd, strict_guest_parent)
{
	struct fg_guest *e = GUEST(0), *p = GUEST(2);
	struct fg_conn *c;
	uint32_t port;
	int lfd, fd;

	ASSERT_EQ(0, set_forward(e, CID(2), VHOST_VSOCK_FORWARD_F_STRICT));
	listen_both(_metadata, e, p);
	fd = fg_host_connect(SOCK_STREAM, CID(0), ENCLAVE_PORT, QUIET_MS);
	EXPECT_GT(0, fd);
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(-ETIMEDOUT, fg_accept(e, ENCLAVE_PORT, 0, &c));
	lfd = fg_host_listen(SOCK_STREAM, &port);
	ASSERT_LE(0, lfd);
	EXPECT_EQ(-ECONNRESET, fg_connect(e, STREAM, VMADDR_CID_HOST, port,
					  TIMEOUT_MS, &c));
	close(lfd);
	parent_guest(_metadata, e, p, 4096);
}

/*
 * The control of strict_guest_parent: without F_STRICT the same enclave
 * still reaches the host at CID 2 and the host reaches it, so what refuses
 * them there is the flag.
 */
TEST_F(fwd, guest_parent_not_strict)
{
	struct fg_guest *e = GUEST(0), *p = GUEST(2);
	struct fg_conn *c;
	uint32_t port;
	int lfd, fd;

	ASSERT_EQ(0, set_forward(e, CID(2), 0));
	listen_both(_metadata, e, p);
	fd = fg_host_connect(SOCK_STREAM, CID(0), ENCLAVE_PORT, TIMEOUT_MS);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fg_accept(e, ENCLAVE_PORT, TIMEOUT_MS, &c));
	EXPECT_EQ(0, both_ways(FG_END_HOST(fd), FG_END_GUEST(c), 4096));
	fg_conn_free(c);
	close(fd);
	lfd = fg_host_listen(SOCK_STREAM, &port);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, fg_connect(e, STREAM, VMADDR_CID_HOST, port, TIMEOUT_MS,
				&c));
	fd = host_accept_from(lfd, CID(0), fg_conn_local_port(c));
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, both_ways(FG_END_GUEST(c), FG_END_HOST(fd), 4096));
	fg_conn_free(c);
	close(fd);
	close(lfd);
	parent_guest(_metadata, e, p, 4096);
}

/* A third guest neither reaches the enclave nor is reached by it. */
TEST_F(fwd, isolation)
{
	struct fg_guest *e = GUEST(0), *p = GUEST(2), *x = GUEST(3);

	ASSERT_EQ(0, set_forward(e, CID(2), 0));
	unreachable(_metadata, x, e, CID(0), -ETIMEDOUT);
	unreachable(_metadata, e, x, CID(3), -ETIMEDOUT);
	/* Without a forward of its own, the alias means nothing to x. */
	unreachable(_metadata, x, p, ALIAS, -ETIMEDOUT);
	/* Meanwhile the enclave and its parent work. */
	listen_both(_metadata, e, p);
	parent_guest(_metadata, e, p, 4096);
}

TEST_F(fwd, two_enclaves_one_parent)
{
	struct fg_guest *e0 = GUEST(0), *e1 = GUEST(1), *p = GUEST(2);

	ASSERT_EQ(0, set_forward(e0, CID(2), 0));
	ASSERT_EQ(0, set_forward(e1, CID(2), 0));
	listen_both(_metadata, e0, p);
	ASSERT_EQ(0, fg_listen(e1, STREAM, ENCLAVE_PORT));
	parent_guest(_metadata, e0, p, 65536);
	parent_guest(_metadata, e1, p, 65536);
	/* Siblings do not see each other. */
	unreachable(_metadata, e0, e1, CID(1), -ETIMEDOUT);
}

TEST_F(fwd, two_enclaves_two_parents)
{
	struct fg_guest *e0 = GUEST(0), *e1 = GUEST(1);
	struct fg_guest *p0 = GUEST(2), *p1 = GUEST(3);

	ASSERT_EQ(0, set_forward(e0, CID(2), 0));
	ASSERT_EQ(0, set_forward(e1, CID(3), 0));
	listen_both(_metadata, e0, p0);
	listen_both(_metadata, e1, p1);
	parent_guest(_metadata, e0, p0, 65536);
	parent_guest(_metadata, e1, p1, 65536);
	/* A parent cannot reach the other parent's enclave. */
	unreachable(_metadata, p0, e1, CID(1), -ETIMEDOUT);
}

#define FLOOD_PKTS	4096U
#define FLOOD_PKT	4096
/*
 * An unbounded queue would hold all FLOOD_PKTS: 16 MiB of payload, over
 * 32 MiB of slab in 8 KiB objects (about 4 times that under the SLUB
 * debugging of 'make check'). The bounded one measured 1.1 MiB of slab,
 * 4.1 MiB with SLUB debugging.
 */
#define FLOOD_SLAB_KB	8192

/*
 * An enclave floods a parent that does not read: the host queues a
 * bounded amount, pauses the enclave, and once the parent reads again
 * every byte arrives in order.
 */
TEST_F_TIMEOUT(fwd, flood_paused_not_dropped, 300)
{
	struct fg_guest *e = GUEST(0), *p = GUEST(2);
	struct fg_flood f = {
		.g = e, .count = FLOOD_PKTS, .len = FLOOD_PKT, .seed = 7,
	};
	uint64_t want = FG_CSUM_INIT, got = FG_CSUM_INIT;
	unsigned int sent;
	char *buf = malloc(FLOOD_PKT);
	struct fg_conn *ec, *pc;
	long slab0, slab1;
	size_t done;

	ASSERT_NE(NULL, buf);
	stream_to_parent(_metadata, e, p, &ec, &pc);
	f.hdr = (struct fg_hdr) {
		.src_cid = CID(0),
		.dst_cid = ALIAS,
		.src_port = fg_conn_local_port(ec),
		.dst_port = PARENT_PORT,
		.len = FLOOD_PKT,
		.type = STREAM,
		.op = VIRTIO_VSOCK_OP_RW,
		.buf_alloc = FG_BUF_ALLOC,
	};

	fg_pause_rx(p, true);
	slab0 = fg_meminfo_kb("Slab");
	ASSERT_EQ(0, fg_flood_start(&f));
	sent = fg_flood_wait_stall(&f, 1000, 60000);
	slab1 = fg_meminfo_kb("Slab");
	TH_LOG("paused after %u of %u packets; Slab %+ld kB", sent,
	       FLOOD_PKTS, slab1 - slab0);
	EXPECT_LT(sent, FLOOD_PKTS);
	EXPECT_LT(slab1 - slab0, FLOOD_SLAB_KB);

	fg_pause_rx(p, false);
	for (done = 0; done < (size_t)FLOOD_PKTS * FLOOD_PKT; done += FLOOD_PKT) {
		fg_pattern(buf, FLOOD_PKT, 7, done);
		want = fg_csum(want, buf, FLOOD_PKT);
		ASSERT_EQ(FLOOD_PKT, fg_recv_all(pc, buf, FLOOD_PKT, 60000))
			TH_LOG("at byte %zu", done);
		got = fg_csum(got, buf, FLOOD_PKT);
	}
	EXPECT_EQ(0, fg_flood_join(&f));
	EXPECT_EQ(want, got);
	free(buf);
	fg_conn_free(ec);
	fg_conn_free(pc);
}

TEST_HARNESS_MAIN
