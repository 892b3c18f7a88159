// SPDX-License-Identifier: GPL-2.0
/*
 * vhost_vsock_fwd in vsock network namespaces (Linux 7.0 on), driven by
 * fake guests and host sockets in several namespaces of one process: each
 * thread may be in a namespace of its own, and a device or socket belongs
 * to the namespace its opener was in.
 *
 * Namespace modes (net/vmw_vsock/af_vsock.c): the initial namespace is
 * "global"; a namespace made by one whose child_ns_mode is "local" is
 * local, with a CID space of its own that nothing outside reaches. Global
 * namespaces share one CID space, but forwards never leave their own
 * namespace in either mode, and every namespace has its own netlink
 * control plane. Skipped on kernels whose vsock has no namespaces.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/vhost.h>
#include <linux/vhost_fwd.h>
#include <linux/vm_sockets.h>

#include "fake_guest.h"
#include "kselftest_harness.h"

/* How long to watch for a packet or an event that must not come. */
#define QUIET_MS	500
#define PORT		9000
#define ALIAS		3ULL
#define STREAM		VIRTIO_VSOCK_TYPE_STREAM
#define TOOL		"tools/vsock-fwd/vsock-fwd"
#define CHILD_MODE	"/proc/sys/net/vsock/child_ns_mode"
#define NOBODY		65534

static int write_file(const char *path, const char *text)
{
	ssize_t n, len = strlen(text);
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	close(fd);
	return n == len ? 0 : -EIO;
}

/* Enter a new network namespace: an fd for it, or -errno. */
static int ns_new(void)
{
	int fd;

	if (unshare(CLONE_NEWNET))
		return -errno;
	fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int ns_enter(int fd)
{
	return setns(fd, CLONE_NEWNET) ? -errno : 0;
}

/*
 * Run a command made from fmt in this thread's namespaces: its wait
 * status, and the first line it printed in buf.
 */
static int __attribute__((format(printf, 3, 4)))
sh(char *buf, size_t size, const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	FILE *f;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	if (!f)
		return -errno;
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return pclose(f);
}

static int set_fwd(struct fg_guest *g, uint64_t target)
{
	struct vhost_vsock_forward f = {
		.alias_cid = ALIAS,
		.target_cid = target,
	};

	return fg_ioctl(fg_fd(g), VHOST_VSOCK_SET_FORWARD, &f);
}

static int set_parent(struct fg_guest *g)
{
	struct vhost_vsock_parent p = { .flags = VHOST_VSOCK_PARENT_F_ACCEPT };

	return fg_ioctl(fg_fd(g), VHOST_VSOCK_SET_PARENT, &p);
}

static uint64_t fwd_target(struct fg_guest *g)
{
	struct vhost_vsock_forward f;

	if (fg_ioctl(fg_fd(g), VHOST_VSOCK_GET_FORWARD, &f))
		return UINT64_MAX;
	return f.target_cid;
}

/*
 * The initial namespace, a global one made by it (its child_ns_mode is
 * left alone: it is write-once for the whole boot), and two local ones
 * made by a third whose children are local. Guests g[], host sockets fd[].
 */
FIXTURE(netns) {
	int init, global, a, b;
	struct fg_guest *g[4];
	int fd[4];
};

static void namespaces_open(struct __test_metadata *_metadata,
			    FIXTURE_DATA(netns) *self)
{
	char mode[16];
	int m, i;

	self->init = self->global = self->a = self->b = -1;
	memset(self->g, 0, sizeof(self->g));
	for (i = 0; i < 4; i++)
		self->fd[i] = -1;
	if (access(CHILD_MODE, F_OK))
		SKIP(return, "vsock has no network namespaces here (Linux 7.0 on)");

	self->init = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->init);
	self->global = ns_new();
	ASSERT_LE(0, self->global);
	ASSERT_EQ(0, sh(mode, sizeof(mode), "cat /proc/sys/net/vsock/ns_mode"));
	ASSERT_STREQ("global", mode);
	ASSERT_EQ(0, ns_enter(self->init));
	m = ns_new();
	ASSERT_LE(0, m);
	ASSERT_EQ(0, write_file(CHILD_MODE, "local"));
	self->a = ns_new();
	ASSERT_LE(0, self->a);
	ASSERT_EQ(0, sh(mode, sizeof(mode), "cat /proc/sys/net/vsock/ns_mode"));
	ASSERT_STREQ("local", mode);
	ASSERT_EQ(0, ns_enter(m));
	self->b = ns_new();
	ASSERT_LE(0, self->b);
	close(m);
	ASSERT_EQ(0, ns_enter(self->init));
}

static void namespaces_close(struct __test_metadata *_metadata,
			     FIXTURE_DATA(netns) *self)
{
	int i;

	for (i = 0; i < 4; i++) {
		if (self->g[i]) {
			EXPECT_EQ(0U, fg_misaddressed(self->g[i]));
			fg_close(self->g[i]);
		}
		if (self->fd[i] >= 0)
			close(self->fd[i]);
	}
	if (self->init >= 0)
		ns_enter(self->init);
	close(self->init);
	close(self->global);
	close(self->a);
	close(self->b);
}

FIXTURE_SETUP(netns)
{
	namespaces_open(_metadata, self);
}

FIXTURE_TEARDOWN(netns)
{
	namespaces_close(_metadata, self);
}

/* Guest n with CID cid in the namespace ns. */
static struct fg_guest *guest_in(struct __test_metadata *_metadata,
				 FIXTURE_DATA(netns) *self, int ns,
				 unsigned int n, uint64_t cid)
{
	int ret;

	ASSERT_EQ(0, ns_enter(ns));
	ret = fg_start_cid(cid, &self->g[n]);
	ASSERT_EQ(0, ret) TH_LOG("guest %u: %s", n, strerror(-ret));
	return self->g[n];
}

#define GUEST(ns, n, cid)	guest_in(_metadata, self, self->ns, n, cid)
#define CID(n)			fg_unique_cid(n)

/* Host socket n, listening in the namespace ns: its port. */
static uint32_t listen_in(struct __test_metadata *_metadata,
			  FIXTURE_DATA(netns) *self, int ns, unsigned int n)
{
	uint32_t port;

	ASSERT_EQ(0, ns_enter(ns));
	self->fd[n] = fg_host_listen(SOCK_STREAM, &port);
	ASSERT_LE(0, self->fd[n]);
	return port;
}

#define LISTEN(ns, n)		listen_in(_metadata, self, self->ns, n)

/*
 * Two local namespaces give guests the same CID; each guest and each host
 * socket reaches only its own namespace's, and the initial namespace
 * reaches neither guest.
 */
TEST_F(netns, same_cid_two_namespaces)
{
	const uint64_t cid = CID(0);
	struct fg_guest *ga, *gb;
	struct fg_conn *c;
	uint64_t peer;
	uint32_t port;
	int fd;

	ga = GUEST(a, 0, cid);
	ASSERT_EQ(0, fg_listen(ga, STREAM, PORT));
	port = LISTEN(a, 0);
	gb = GUEST(b, 1, cid);
	ASSERT_EQ(0, fg_listen(gb, STREAM, PORT));

	/* Nothing listens on port in b: b's guest is refused. */
	EXPECT_EQ(-ECONNRESET, fg_connect(gb, STREAM, VMADDR_CID_HOST, port,
					  TIMEOUT_MS, &c));
	/* A host socket in b reaches b's guest. */
	fd = fg_host_connect(SOCK_STREAM, cid, PORT, TIMEOUT_MS);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(0, fg_accept(gb, PORT, TIMEOUT_MS, &c));
	if (!_metadata->exit_code)
		fg_conn_free(c);
	EXPECT_EQ(-ETIMEDOUT, fg_accept(ga, PORT, QUIET_MS, &c));

	/* And the same in a. */
	ASSERT_EQ(0, ns_enter(self->a));
	ASSERT_EQ(0, fg_connect(ga, STREAM, VMADDR_CID_HOST, port, TIMEOUT_MS,
				&c));
	fg_conn_free(c);
	fd = fg_host_accept(self->fd[0], TIMEOUT_MS, &peer, NULL);
	EXPECT_LE(0, fd);
	EXPECT_EQ(cid, peer);
	if (fd >= 0)
		close(fd);
	fd = fg_host_connect(SOCK_STREAM, cid, PORT, TIMEOUT_MS);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(0, fg_accept(ga, PORT, TIMEOUT_MS, &c));
	if (!_metadata->exit_code)
		fg_conn_free(c);
	EXPECT_EQ(-ETIMEDOUT, fg_accept(gb, PORT, QUIET_MS, &c));

	/* The initial namespace is global: it reaches no local guest. */
	ASSERT_EQ(0, ns_enter(self->init));
	fd = fg_host_connect(SOCK_STREAM, cid, PORT, TIMEOUT_MS);
	EXPECT_GT(0, fd);
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(-ETIMEDOUT, fg_accept(ga, PORT, QUIET_MS, &c));
	EXPECT_EQ(-ETIMEDOUT, fg_accept(gb, PORT, QUIET_MS, &c));
}

/*
 * A forward to a guest target reaches the target in its own namespace
 * only: a parent with that CID elsewhere is unreachable (reset, counted),
 * in global namespaces, which share their CIDs, as in local ones.
 */
static void forward_stays(struct __test_metadata *_metadata,
			  FIXTURE_DATA(netns) *self, int parent_ns,
			  int child_ns)
{
	struct fg_guest *p, *e;
	struct fg_conn *c;

	p = guest_in(_metadata, self, parent_ns, 1, CID(1));
	ASSERT_EQ(0, set_parent(p));
	ASSERT_EQ(0, fg_listen(p, STREAM, PORT));
	e = guest_in(_metadata, self, child_ns, 0, CID(0));
	ASSERT_EQ(0, set_fwd(e, CID(1)));
	EXPECT_EQ(-ECONNRESET, fg_connect(e, STREAM, ALIAS, PORT, TIMEOUT_MS,
					  &c));
	EXPECT_EQ(-ETIMEDOUT, fg_accept(p, PORT, QUIET_MS, &c));
	EXPECT_EQ(1, fg_dev_counter(CID(0), "unreachable_pkts"));

	/* The control: a parent in the child's namespace is reached. */
	p = guest_in(_metadata, self, child_ns, 2, CID(2));
	ASSERT_EQ(0, set_parent(p));
	ASSERT_EQ(0, fg_listen(p, STREAM, PORT));
	ASSERT_EQ(0, set_fwd(e, CID(2)));
	ASSERT_EQ(0, fg_connect(e, STREAM, ALIAS, PORT, TIMEOUT_MS, &c));
	fg_conn_free(c);
	EXPECT_EQ(0, fg_accept(p, PORT, TIMEOUT_MS, &c));
	if (!_metadata->exit_code)
		fg_conn_free(c);
}

/* The same namespaces; a row says which two hold the parent and the child. */
FIXTURE(netns_forward) {
	FIXTURE_DATA(netns) ns;
};

FIXTURE_VARIANT(netns_forward) {
	bool local;
};

/* The initial namespace and the global one it made. */
FIXTURE_VARIANT_ADD(netns_forward, global) {
	.local = false,
};

/* Two local namespaces. */
FIXTURE_VARIANT_ADD(netns_forward, local) {
	.local = true,
};

FIXTURE_SETUP(netns_forward)
{
	namespaces_open(_metadata, &self->ns);
}

FIXTURE_TEARDOWN(netns_forward)
{
	namespaces_close(_metadata, &self->ns);
}

TEST_F(netns_forward, stays_in_namespace)
{
	if (variant->local)
		forward_stays(_metadata, &self->ns, self->ns.b, self->ns.a);
	else
		forward_stays(_metadata, &self->ns, self->ns.init,
			      self->ns.global);
}

/*
 * A device with the CID of a parent, in another namespace, goes away: the
 * streams of that parent's children in the parent's namespace go on.
 */
TEST_F(netns, other_namespace_leaves)
{
	struct fg_guest *p, *e;
	struct fg_conn *ce, *cp;
	char b = 0;

	p = GUEST(a, 1, CID(1));
	ASSERT_EQ(0, set_parent(p));
	ASSERT_EQ(0, fg_listen(p, STREAM, PORT));
	e = GUEST(a, 0, CID(0));
	ASSERT_EQ(0, set_fwd(e, CID(1)));
	ASSERT_EQ(0, fg_connect(e, STREAM, ALIAS, PORT, TIMEOUT_MS, &ce));
	ASSERT_EQ(0, fg_accept(p, PORT, TIMEOUT_MS, &cp));

	GUEST(b, 2, CID(1));
	fg_close(self->g[2]);
	self->g[2] = NULL;

	EXPECT_EQ(1, fg_send(ce, "x", 1, TIMEOUT_MS));
	EXPECT_EQ(1, fg_recv(cp, &b, 1, TIMEOUT_MS));
	EXPECT_EQ('x', b);
	EXPECT_EQ(1, fg_send(cp, "y", 1, TIMEOUT_MS));
	EXPECT_EQ(1, fg_recv(ce, &b, 1, TIMEOUT_MS));
	EXPECT_EQ('y', b);
	EXPECT_FALSE(fg_conn_was_reset(ce));
	EXPECT_FALSE(fg_conn_was_reset(cp));
	fg_conn_free(ce);
	fg_conn_free(cp);
}

/* The guest CIDs a device dump shows in this thread's namespace. */
static int dump_cids(char *buf, size_t size)
{
	return sh(buf, size, TOOL " -j show | jq -c '[.[].cid]'");
}

/* The CIDs of the rules of this thread's namespace. */
static int rule_cids(char *buf, size_t size)
{
	return sh(buf, size, TOOL " -j rules | jq -c '[.[].cid]'");
}

/* netlink in a namespace lists, and changes, that namespace's devices only. */
TEST_F(netns, netlink_sees_own_namespace)
{
	char want[64], got[256];

	GUEST(a, 0, CID(0));
	GUEST(b, 1, CID(0));
	GUEST(b, 2, CID(1));

	ASSERT_EQ(0, ns_enter(self->a));
	EXPECT_EQ(0, dump_cids(got, sizeof(got)));
	snprintf(want, sizeof(want), "[%llu]", (unsigned long long)CID(0));
	EXPECT_STREQ(want, got);
	ASSERT_EQ(0, ns_enter(self->b));
	EXPECT_EQ(0, dump_cids(got, sizeof(got)));
	snprintf(want, sizeof(want), "[%llu,%llu]", (unsigned long long)CID(0),
		 (unsigned long long)CID(1));
	EXPECT_STREQ(want, got);
	ASSERT_EQ(0, ns_enter(self->global));
	EXPECT_EQ(0, dump_cids(got, sizeof(got)));
	EXPECT_STREQ("[]", got);

	/* A rule in a: a's guest gets it, b's with the same CID does not. */
	ASSERT_EQ(0, ns_enter(self->a));
	EXPECT_EQ(0, sh(got, sizeof(got), TOOL " set %llu parent 2",
			(unsigned long long)CID(0)));
	EXPECT_EQ(2ULL, fwd_target(self->g[0]));
	EXPECT_EQ(0ULL, fwd_target(self->g[1]));
	EXPECT_EQ(0, rule_cids(got, sizeof(got)));
	snprintf(want, sizeof(want), "[%llu]", (unsigned long long)CID(0));
	EXPECT_STREQ(want, got);
	ASSERT_EQ(0, ns_enter(self->b));
	EXPECT_EQ(0, rule_cids(got, sizeof(got)));
	EXPECT_STREQ("[]", got);
	/* Nor does a see or change b's devices. */
	ASSERT_EQ(0, ns_enter(self->a));
	EXPECT_NE(0, sh(got, sizeof(got), TOOL " accept %llu 2>&1",
			(unsigned long long)CID(1)));
	EXPECT_NE(0, sh(got, sizeof(got), TOOL " show %llu 2>&1",
			(unsigned long long)CID(1)));

	/* A guest taking the CID later gets its own namespace's rule only. */
	fg_close(self->g[0]);
	self->g[0] = NULL;
	GUEST(a, 0, CID(0));
	EXPECT_EQ(2ULL, fwd_target(self->g[0]));
	fg_close(self->g[1]);
	self->g[1] = NULL;
	GUEST(b, 1, CID(0));
	EXPECT_EQ(0ULL, fwd_target(self->g[1]));
	ASSERT_EQ(0, ns_enter(self->a));
	EXPECT_EQ(0, sh(got, sizeof(got), TOOL " del %llu",
			(unsigned long long)CID(0)));
	EXPECT_EQ(0ULL, fwd_target(self->g[0]));
}

/*
 * Whether process pid sleeps in recvmsg(): 'vsock-fwd monitor' does so only
 * in its event loop, once it joined the events group (its earlier requests
 * have their answers queued by the time it reads them).
 */
static bool waits_in_recvmsg(pid_t pid)
{
	char path[64], buf[256], *state;
	bool sleeping, in_recvmsg;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	state = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	sleeping = state && state[1] == ' ' && state[2] == 'S';
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	in_recvmsg = fgets(buf, sizeof(buf), f) &&
		     !strncmp(buf, "47 ", 3); /* __NR_recvmsg on x86_64 */
	fclose(f);
	return sleeping && in_recvmsg;
}

/*
 * 'vsock-fwd -j monitor' in the namespace ns, listening: its pid, its
 * output in *out.
 */
static pid_t monitor(int ns, int *out)
{
	int p[2], waited;
	pid_t pid;

	if (ns_enter(ns) || pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (!pid) {
		dup2(p[1], 1);
		execl(TOOL, TOOL, "-j", "monitor", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	*out = p[0];
	for (waited = 0; !waits_in_recvmsg(pid); waited += 10) {
		if (waited >= TIMEOUT_MS)
			return -1;
		usleep(10000);
	}
	return pid;
}

/* Whether the monitor printed a line naming cid within timeout_ms. */
static bool heard_of(int fd, uint64_t cid, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[4096], key[32];
	ssize_t n;

	snprintf(key, sizeof(key), "\"cid\":%llu", (unsigned long long)cid);
	while (poll(&pfd, 1, timeout_ms) == 1) {
		n = read(fd, buf, sizeof(buf) - 1);
		if (n <= 0)
			return false;
		buf[n] = '\0';
		if (strstr(buf, key))
			return true;
	}
	return false;
}

/* Events go to listeners in the device's namespace only. */
TEST_F(netns, events_stay_in_namespace)
{
	int out_a, out_b, status;
	pid_t ma, mb;

	ma = monitor(self->a, &out_a);
	ASSERT_LT(0, ma);
	mb = monitor(self->b, &out_b);
	ASSERT_LT(0, mb);

	GUEST(a, 2, CID(2));
	EXPECT_TRUE(heard_of(out_a, CID(2), TIMEOUT_MS));
	EXPECT_FALSE(heard_of(out_b, CID(2), QUIET_MS));
	GUEST(b, 3, CID(3));
	EXPECT_TRUE(heard_of(out_b, CID(3), TIMEOUT_MS));
	EXPECT_FALSE(heard_of(out_a, CID(3), QUIET_MS));

	kill(ma, SIGTERM);
	kill(mb, SIGTERM);
	waitpid(ma, &status, 0);
	waitpid(mb, &status, 0);
	close(out_a);
	close(out_b);
}

/*
 * In a child: become nobody, then the root of a new user namespace (and of
 * a new network namespace with it when netns), so that what runs there has
 * every capability in that user namespace and none outside.
 */
static int become_userns_root(bool netns)
{
	char map[32];
	int ret;

	/*
	 * Changing credentials makes the process undumpable, and its
	 * /proc/self files root's: it could not write its own ID maps.
	 */
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY) || prctl(PR_SET_DUMPABLE, 1))
		return -errno;
	if (unshare(CLONE_NEWUSER | (netns ? CLONE_NEWNET : 0))) {
		ret = -errno;
		fprintf(stderr, "# unshare: %s\n", strerror(-ret));
		return ret;
	}
	snprintf(map, sizeof(map), "0 %d 1", NOBODY);
	ret = write_file("/proc/self/setgroups", "deny") ?:
	      write_file("/proc/self/uid_map", map) ?:
	      write_file("/proc/self/gid_map", map);
	if (ret)
		fprintf(stderr, "# id maps: %s\n", strerror(-ret));
	return ret;
}

/*
 * The owner of an unprivileged user namespace configures the network
 * namespaces it owns: rules, forwards between its guests, consent to be a
 * parent. What it configures cannot reach outside them.
 */
static int userns_owner_child(void)
{
	struct fg_guest *e, *p;
	struct fg_conn *c;
	char out[256];

	if (become_userns_root(true))
		return 10;
	if (sh(out, sizeof(out), TOOL " set %llu parent 2",
	       (unsigned long long)CID(0)))
		return 11;
	if (fg_start_cid(CID(0), &e))
		return 12;
	if (fwd_target(e) != VMADDR_CID_HOST)
		return 13;
	if (fg_start_cid(CID(1), &p))
		return 14;
	if (set_parent(p) || fg_listen(p, STREAM, PORT))
		return 15;
	/* A guest target outranks a rule only with CAP_NET_ADMIN: here. */
	if (set_fwd(e, CID(1)))
		return 16;
	if (fg_connect(e, STREAM, ALIAS, PORT, TIMEOUT_MS, &c))
		return 17;
	fg_conn_free(c);
	fg_close(e);
	fg_close(p);
	return 0;
}

/*
 * The same owner has no say in the initial network namespace: neither its
 * rules nor a guest target for a device opened there.
 */
static int userns_owner_outside_child(void)
{
	struct vhost_vsock_forward f = { .alias_cid = ALIAS };
	char out[256];
	int ret, fd;

	fd = fg_dev_open();
	if (fd < 0)
		return 20;
	if (become_userns_root(false))
		return 21;
	ret = sh(out, sizeof(out), TOOL " set %llu parent 2 2>&1",
		 (unsigned long long)CID(0));
	if (!WIFEXITED(ret) || WEXITSTATUS(ret) != 4)
		return 22;
	f.target_cid = CID(1);
	if (fg_ioctl(fd, VHOST_VSOCK_SET_FORWARD, &f) != -EPERM)
		return 23;
	/* The host as the target needs no capability. */
	f.target_cid = VMADDR_CID_HOST;
	if (fg_ioctl(fd, VHOST_VSOCK_SET_FORWARD, &f))
		return 24;
	close(fd);
	return 0;
}

static int run_child(int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid)
		_exit(fn());
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST_F(netns, userns_owner_configures_own_namespace)
{
	struct stat st;

	/* Devices for whom the administrator lets open them. */
	ASSERT_EQ(0, stat(FG_DEV_PATH, &st));
	ASSERT_EQ(0, chmod(FG_DEV_PATH, 0666));
	EXPECT_EQ(0, run_child(userns_owner_child));
	EXPECT_EQ(0, run_child(userns_owner_outside_child));
	ASSERT_EQ(0, chmod(FG_DEV_PATH, st.st_mode & 07777));
}

TEST_HARNESS_MAIN
