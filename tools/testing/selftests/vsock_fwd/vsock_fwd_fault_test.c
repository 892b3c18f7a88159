// SPDX-License-Identifier: GPL-2.0
/*
 * The module's allocation failures, on the debug kernel (make check-debug):
 * every allocation made with the module's code on the stack (its own, and
 * what it asks of vhost, vsock and netlink) is made to fail in turn, the
 * 1st, the 2nd, ... until the operation makes no more. /proc/TID/fail-nth
 * picks the task and the allocation; failslab and fail_page_alloc count
 * only allocations whose stack trace passes through the module's text
 * (require-start/require-end).
 *
 * Each failure must give a clean result: the precise errno (ENOMEM) and the
 * state from before, or the documented fate of a packet the device could
 * not take; a bystander stream must carry data afterwards. The harness then
 * fails the run on a WARN, a leak (kmemleak) or a module that does not
 * unload.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/vhost.h>
#include <linux/vhost_fwd.h>
#include <linux/vm_sockets.h>

#include "fake_guest.h"
#include "kselftest_harness.h"

/* A REQUEST the device dropped leaves the connect to time out. */
#define DROPPED_MS	2000
#define ALIAS		3ULL
#define PORT		9000
#define STREAM		VIRTIO_VSOCK_TYPE_STREAM
/* More failures than any operation here has allocations: a loop. */
#define MAX_SITES	400U
/* Each case fails a few hundred allocations under KASAN in TCG. */
#define CASE_TIMEOUT_S	900
/* Decremented by each injected failure; read to count them. */
#define TIMES		1000000
#define TOOL		"tools/vsock-fwd/vsock-fwd"

static const char *const attrs[] = { "failslab", "fail_page_alloc" };

static int write_str(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -errno;
	ret = fputs(s, f) < 0 ? -EIO : 0;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

/* A number in a file, in any base: kernel addresses need all 64 bits. */
static unsigned long long read_ull(const char *path)
{
	unsigned long long v = ULLONG_MAX;
	char buf[32];
	FILE *f = fopen(path, "r");

	if (!f)
		return v;
	if (fgets(buf, sizeof(buf), f))
		v = strtoull(buf, NULL, 0);
	fclose(f);
	return v;
}

static int set_attr(const char *attr, const char *file, unsigned long long v)
{
	char path[128], val[32];

	snprintf(path, sizeof(path), "/sys/kernel/debug/%s/%s", attr, file);
	snprintf(val, sizeof(val), "%llu", v);
	return write_str(path, val);
}

/*
 * Where a kernel function starts and the next symbol, from /proc/kallsyms:
 * the function's return addresses are within.
 */
static int kernel_function(const char *name, unsigned long long *start,
			   unsigned long long *end)
{
	char line[256], sym[128], type;
	unsigned long long addr;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return -errno;
	*start = 0;
	*end = ULLONG_MAX;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %127s", &addr, &type, sym) != 3)
			continue;
		if (!strcmp(sym, name))
			*start = addr;
	}
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %127s", &addr, &type, sym) == 3 &&
		    addr > *start && addr < *end)
			*end = addr;
	}
	fclose(f);
	return *start && *end != ULLONG_MAX ? 0 : -ENOENT;
}

/*
 * Both fault attributes: nothing fails on its own (probability 0), only
 * what fail-nth asks for, sleeping allocations and single pages included,
 * quietly (a stack dump would read as a kernel complaint), and only with
 * the module's text on the stack. Not under a page fault: an ioctl that
 * touches the rings' user memory first faults it in, and a failure there
 * is an EFAULT where a real shortage calls the OOM killer.
 */
static int faults_setup(void)
{
	unsigned long long fault_start = 0, fault_end = 0;
	const char *mod = "/sys/module/vhost_vsock_fwd";
	unsigned long long text, size;
	char path[128];
	unsigned int i;
	int ret = 0;

	snprintf(path, sizeof(path), "%s/sections/.text", mod);
	text = read_ull(path);
	snprintf(path, sizeof(path), "%s/coresize", mod);
	size = read_ull(path);
	if (text == ULLONG_MAX || size == ULLONG_MAX ||
	    kernel_function("handle_mm_fault", &fault_start, &fault_end))
		return -ENOENT;
	for (i = 0; i < ARRAY_SIZE(attrs) && !ret; i++) {
		ret = set_attr(attrs[i], "probability", 0) ?:
		      set_attr(attrs[i], "times", TIMES) ?:
		      set_attr(attrs[i], "verbose", 0) ?:
		      set_attr(attrs[i], "ignore-gfp-wait", 0) ?:
		      set_attr(attrs[i], "stacktrace-depth", 32) ?:
		      /* Text first, data after it: the text is within. */
		      set_attr(attrs[i], "require-start", text) ?:
		      set_attr(attrs[i], "require-end", text + size) ?:
		      set_attr(attrs[i], "reject-start", fault_start) ?:
		      set_attr(attrs[i], "reject-end", fault_end);
	}
	return ret ?: set_attr("fail_page_alloc", "min-order", 0) ?:
		      set_attr("fail_page_alloc", "ignore-gfp-highmem", 0);
}

/* Failures injected so far. */
static long long injected(void)
{
	char path[128];
	long long n = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(attrs); i++) {
		snprintf(path, sizeof(path), "/sys/kernel/debug/%s/times",
			 attrs[i]);
		n += TIMES - (long long)read_ull(path);
	}
	return n;
}

/* The n-th allocation of task tid in the module's code fails (0: none). */
static int arm(pid_t tid, unsigned int n)
{
	char path[64], val[16];

	snprintf(path, sizeof(path), "/proc/self/task/%d/fail-nth", tid);
	if (access(path, F_OK))
		snprintf(path, sizeof(path), "/proc/%d/task/%d/fail-nth", tid,
			 tid);
	snprintf(val, sizeof(val), "%u", n);
	return write_str(path, val);
}

/* The tid of this process's vhost worker (vhost-PID) not in before. */
static pid_t new_worker(const char *before)
{
	char comm[32], want[32], path[300];
	struct dirent *d;
	pid_t tid = -1;
	DIR *dir;

	snprintf(want, sizeof(want), "vhost-%d\n", getpid());
	dir = opendir("/proc/self/task");
	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		FILE *f;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
			 d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strcmp(comm, want) &&
		    !strstr(before, d->d_name))
			tid = atoi(d->d_name);
		fclose(f);
	}
	closedir(dir);
	return tid;
}

/* The task ids of this process, " 1 2 3 ", for new_worker(). */
static void tasks(char *buf, size_t len)
{
	struct dirent *d;
	size_t n = 1;
	DIR *dir;

	buf[0] = ' ';
	buf[1] = '\0';
	dir = opendir("/proc/self/task");
	if (!dir)
		return;
	while ((d = readdir(dir)) && n + strlen(d->d_name) + 2 < len)
		n += sprintf(buf + n, "%s ", d->d_name);
	closedir(dir);
}

/* Start a guest and find its vhost worker's tid. */
static pid_t start_guest(uint64_t cid, struct fg_guest **gp)
{
	char before[4096];

	tasks(before, sizeof(before));
	if (fg_start_cid(cid, gp))
		return -1;
	return new_worker(before);
}

/*
 * Run the CLI with args, the n-th allocation in the module's code failing
 * for it (0: none): its exit status, and what it printed in out.
 */
static int tool(unsigned int n, char *out, size_t len, const char *fmt, ...)
{
	int go[2], res[2], status;
	char cmd[256], *argv[16], *save;
	unsigned int argc = 0;
	size_t got = 0;
	ssize_t r;
	va_list ap;
	pid_t pid;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	argv[argc++] = TOOL;
	for (argv[argc] = strtok_r(cmd, " ", &save); argv[argc] && argc < 15;
	     argv[++argc] = strtok_r(NULL, " ", &save))
		;
	argv[argc] = NULL;

	if (pipe(go) || pipe(res))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		char c;

		dup2(res[1], STDOUT_FILENO);
		dup2(res[1], STDERR_FILENO);
		close(res[0]);
		close(go[1]);
		/* Armed by the parent, which knows our tid before we run. */
		if (read(go[0], &c, 1) != 1)
			_exit(126);
		execv(TOOL, argv);
		_exit(127);
	}
	close(res[1]);
	close(go[0]);
	if (arm(pid, n) || write(go[1], "g", 1) != 1)
		kill(pid, SIGKILL);
	close(go[1]);
	while (got + 1 < len && (r = read(res[0], out + got, len - 1 - got)) > 0)
		got += r;
	out[got] = '\0';
	close(res[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int get_fwd(struct fg_guest *g, struct vhost_vsock_forward *f)
{
	return fg_ioctl(fg_fd(g), VHOST_VSOCK_GET_FORWARD, f);
}

static int set_fwd(struct fg_guest *g, uint64_t alias, uint64_t target)
{
	struct vhost_vsock_forward f = {
		.alias_cid = alias,
		.target_cid = target,
	};

	return fg_ioctl(fg_fd(g), VHOST_VSOCK_SET_FORWARD, &f);
}

/* What each run of an operation gave, for the log. */
struct tally {
	unsigned int sites, clean_err, tolerated;
};

/* The failure EACH_FAILURE asks for now, for operations that arm a task. */
static unsigned int cur_n;

/*
 * Run op(ctx) with the n-th allocation of task tid in the module's code
 * failing (tid 0: op arms the task it starts, with cur_n), n = 1, 2, ...
 * until a run needs no failure; check(_metadata, ctx, ret, failed, n)
 * judges each run and undoes it. Returns the tally.
 */
#define EACH_FAILURE(tid, op, check, ctx) ({				\
	struct tally __t = { 0 };					\
	unsigned int __n;						\
	for (__n = 1; __n <= MAX_SITES; __n++) {			\
		long long __before = injected();			\
		bool __failed;						\
		int __ret;						\
									\
		cur_n = __n;						\
		if (tid)						\
			ASSERT_EQ(0, arm(tid, __n));			\
		__ret = op(ctx);					\
		if (tid)						\
			ASSERT_EQ(0, arm(tid, 0));			\
		__failed = injected() != __before;			\
		check(_metadata, ctx, __ret, __failed, __n);		\
		if (!__failed)						\
			break;						\
		__t.sites++;						\
		if (__ret)						\
			__t.clean_err++;				\
		else							\
			__t.tolerated++;				\
	}								\
	ASSERT_GE(MAX_SITES, __n);					\
	TH_LOG("%u allocations failed in turn: %u errors, %u tolerated", \
	       __t.sites, __t.clean_err, __t.tolerated);		\
	__t;								\
})

FIXTURE(alloc) {
	/* The bystander: a guest's stream with the host, intact throughout. */
	struct fg_guest *b;
	struct fg_conn *bc;
	int bfd, lfd;
	/* The guests a case starts, closed by the teardown. */
	struct fg_guest *g[2];
	/* Host sockets of a case. */
	int hfd, hlfd;
	struct fg_conn *c;
};

FIXTURE_SETUP(alloc)
{
	uint32_t port;

	self->bfd = self->hfd = self->hlfd = self->lfd = -1;
	ASSERT_EQ(0, faults_setup()) TH_LOG("no failslab/fail_page_alloc in debugfs");
	ASSERT_EQ(0, fg_start_cid(fg_unique_cid(3), &self->b));
	self->lfd = fg_host_listen(SOCK_STREAM, &port);
	ASSERT_LE(0, self->lfd);
	ASSERT_EQ(0, fg_connect(self->b, STREAM, FG_HOST_CID, port,
				TIMEOUT_MS, &self->bc));
	self->bfd = fg_host_accept(self->lfd, TIMEOUT_MS, NULL, NULL);
	ASSERT_LE(0, self->bfd);
	ASSERT_EQ(0, fg_host_timeouts(self->bfd, TIMEOUT_MS));
}

FIXTURE_TEARDOWN(alloc)
{
	struct fg_end h = FG_END_HOST(self->bfd), g = FG_END_GUEST(self->bc);
	unsigned int i;

	/* Whatever failed, the bystander's stream carries data both ways. */
	if (self->bc) {
		EXPECT_EQ(0, fg_transfer(&g, &h, 100000, 1, TIMEOUT_MS));
		EXPECT_EQ(0, fg_transfer(&h, &g, 100000, 2, TIMEOUT_MS));
	}
	if (self->c)
		fg_conn_free(self->c);
	for (i = 0; i < 2; i++)
		if (self->g[i])
			fg_close(self->g[i]);
	if (self->hfd >= 0)
		close(self->hfd);
	if (self->hlfd >= 0)
		close(self->hlfd);
	if (self->bfd >= 0)
		close(self->bfd);
	if (self->b)
		fg_close(self->b);
	if (self->lfd >= 0)
		close(self->lfd);
	tool(0, (char[256]){ 0 }, 256, "del %llu",
	     (unsigned long long)fg_unique_cid(0));
}

/* ---- opening and setting up a device ---- */

static int open_guest(void *ctx)
{
	struct fg_guest **gp = ctx;

	fg_failed_ioctl = 0;
	return fg_start_cid(fg_unique_cid(0), gp);
}

static void open_check(struct __test_metadata *_metadata, void *ctx, int ret,
		       bool failed, unsigned int n)
{
	struct fg_guest **gp = ctx;

	/*
	 * Stock vhost's vhost_set_memory() answers every failure, its
	 * GFP_ATOMIC vhost_iotlb_add_range() included, with EFAULT: not
	 * ours to make precise.
	 */
	if (ret == -EFAULT && fg_failed_ioctl == VHOST_SET_MEM_TABLE)
		ret = -ENOMEM;
	if (ret != -ENOMEM) {
		ASSERT_EQ(0, ret) TH_LOG("failure %u: %s", n, strerror(-ret));
	}
	if (!ret) {
		fg_close(*gp);
		*gp = NULL;
	}
}

/*
 * Open, owner, features, memory table, rings, CID, running: each fails
 * with ENOMEM or copes, and the next device takes the CID.
 */
TEST_F_TIMEOUT(alloc, device_open, CASE_TIMEOUT_S)
{
	struct tally t = EACH_FAILURE(gettid(), open_guest, open_check,
				      &self->g[0]);

	EXPECT_LT(0U, t.sites);
	ASSERT_EQ(0, open_guest(&self->g[0]));
}

/* A rule applies when the device takes the CID, or the CID is refused. */
TEST_F_TIMEOUT(alloc, rule_applied_at_set_cid, CASE_TIMEOUT_S)
{
	struct vhost_vsock_forward f;
	char out[256];

	ASSERT_EQ(0, tool(0, out, sizeof(out), "set %llu parent 2",
			  (unsigned long long)fg_unique_cid(0))) TH_LOG("%s", out);
	EACH_FAILURE(gettid(), open_guest, open_check, &self->g[0]);
	ASSERT_EQ(0, open_guest(&self->g[0]));
	ASSERT_EQ(0, get_fwd(self->g[0], &f));
	EXPECT_EQ(ALIAS, f.alias_cid);
	EXPECT_EQ(FG_HOST_CID, f.target_cid);
}

/* ---- changing the forward under a stream ---- */

struct route_ctx {
	FIXTURE_DATA(alloc) *self;
	uint64_t target;
};

/* A stream the guest dialled to its alias, the host being its parent. */
static void alias_stream(struct __test_metadata *_metadata,
			 FIXTURE_DATA(alloc) *self)
{
	struct sockaddr_vm a;
	socklen_t alen = sizeof(a);
	uint32_t port;

	if (self->hlfd < 0) {
		self->hlfd = fg_host_listen(SOCK_STREAM, &port);
		ASSERT_LE(0, self->hlfd);
	}
	ASSERT_EQ(0, getsockname(self->hlfd, (struct sockaddr *)&a, &alen));
	ASSERT_EQ(0, set_fwd(self->g[0], ALIAS, FG_HOST_CID));
	ASSERT_EQ(0, fg_connect(self->g[0], STREAM, ALIAS, a.svm_port,
				TIMEOUT_MS, &self->c));
	self->hfd = fg_host_accept(self->hlfd, TIMEOUT_MS, NULL, NULL);
	ASSERT_LE(0, self->hfd);
	ASSERT_EQ(0, fg_host_timeouts(self->hfd, TIMEOUT_MS));
}

/* The host end of a stream ended: end of stream or reset. */
static bool host_ended(int fd)
{
	char c;
	ssize_t r;

	if (fg_host_wait_readable(fd, TIMEOUT_MS))
		return false;
	r = read(fd, &c, 1);
	return !r || (r < 0 && errno == ECONNRESET);
}

static int change_route(void *ctx)
{
	struct route_ctx *r = ctx;

	return set_fwd(r->self->g[0], ALIAS, r->target);
}

static void route_check(struct __test_metadata *_metadata, void *ctx, int ret,
			bool failed, unsigned int n)
{
	FIXTURE_DATA(alloc) *self = ((struct route_ctx *)ctx)->self;
	struct fg_end h = FG_END_HOST(self->hfd), g = FG_END_GUEST(self->c);
	struct vhost_vsock_forward f;

	ASSERT_EQ(0, get_fwd(self->g[0], &f));
	if (ret) {
		/* Refused: the forward and its stream are as they were. */
		ASSERT_EQ(-ENOMEM, ret) TH_LOG("failure %u", n);
		EXPECT_EQ(FG_HOST_CID, f.target_cid) TH_LOG("failure %u", n);
		EXPECT_EQ(0, fg_transfer(&g, &h, 1000, n, TIMEOUT_MS))
			TH_LOG("failure %u", n);
	} else {
		/* Changed: the stream it carried is reset at both ends. */
		EXPECT_EQ(((struct route_ctx *)ctx)->target, f.target_cid);
		EXPECT_TRUE(host_ended(self->hfd))
			TH_LOG("failure %u: the host end was not reset", n);
		EXPECT_TRUE(!fg_wait_closed(self->c, TIMEOUT_MS) &&
			    fg_conn_was_reset(self->c))
			TH_LOG("failure %u: the guest end was not reset", n);
	}
	fg_conn_free(self->c);
	self->c = NULL;
	close(self->hfd);
	self->hfd = -1;
	if (failed)
		alias_stream(_metadata, self);
}

/* VHOST_VSOCK_SET_FORWARD from the host to a guest parent. */
TEST_F_TIMEOUT(alloc, set_forward, CASE_TIMEOUT_S)
{
	struct route_ctx r = { .self = self, .target = fg_unique_cid(1) };
	struct tally t;

	ASSERT_LE(0, start_guest(fg_unique_cid(0), &self->g[0]));
	ASSERT_LE(0, start_guest(fg_unique_cid(1), &self->g[1]));
	alias_stream(_metadata, self);
	t = EACH_FAILURE(gettid(), change_route, route_check, &r);
	EXPECT_LT(0U, t.sites);
}

/* ---- netlink ---- */

struct nl_ctx {
	FIXTURE_DATA(alloc) *self;
	const char *args;
	char out[512];
};

static int nl_op(void *ctx)
{
	struct nl_ctx *c = ctx;

	return tool(cur_n, c->out, sizeof(c->out), c->args,
		    (unsigned long long)fg_unique_cid(0));
}

static bool has_rule(void)
{
	char out[1024], cid[24];

	snprintf(cid, sizeof(cid), "%llu",
		 (unsigned long long)fg_unique_cid(0));
	return !tool(0, out, sizeof(out), "rules") && strstr(out, cid);
}

/*
 * A request fails with ENOMEM and the tool says so, or succeeds; either way
 * the rule and the device's forward agree with the answer.
 */
static void nl_check(struct __test_metadata *_metadata, void *ctx, int ret,
		     bool failed, unsigned int n)
{
	struct nl_ctx *c = ctx;
	struct vhost_vsock_forward f = { 0 };
	bool set = !strncmp(c->args, "set", 3), del = !strncmp(c->args, "del", 3);
	bool want_rule;

	if (ret) {
		EXPECT_NE(NULL, strstr(c->out, strerror(ENOMEM)))
			TH_LOG("failure %u: exit %d: %s", n, ret, c->out);
	}
	if (!set && !del)
		return;
	/* set: the rule is there if it succeeded; del: if it failed. */
	want_rule = set ? !ret : !!ret;
	EXPECT_EQ(want_rule, has_rule()) TH_LOG("failure %u: %s", n, c->out);
	ASSERT_EQ(0, get_fwd(c->self->g[0], &f));
	EXPECT_EQ(want_rule ? FG_HOST_CID : 0, f.target_cid)
		TH_LOG("failure %u: forward %llu", n,
		       (unsigned long long)f.target_cid);
	/* Back to where the request started. */
	if (set && !ret)
		ASSERT_EQ(0, tool(0, c->out, sizeof(c->out), "del %llu",
				  (unsigned long long)fg_unique_cid(0)));
	if (del && !ret)
		ASSERT_EQ(0, tool(0, c->out, sizeof(c->out), "set %llu parent 2",
				  (unsigned long long)fg_unique_cid(0)));
}

static void nl_case(struct __test_metadata *_metadata,
		    FIXTURE_DATA(alloc) *self, const char *args)
{
	struct nl_ctx c = { .self = self, .args = args };
	struct tally t;

	t = EACH_FAILURE(0, nl_op, nl_check, &c);
	if (!strncmp(args, "set", 3) || !strncmp(args, "del", 3))
		EXPECT_LT(0U, t.sites);
}

TEST_F_TIMEOUT(alloc, netlink_rule_set, CASE_TIMEOUT_S)
{
	ASSERT_LE(0, start_guest(fg_unique_cid(0), &self->g[0]));
	nl_case(_metadata, self, "set %llu parent 2");
}

TEST_F_TIMEOUT(alloc, netlink_rule_del, CASE_TIMEOUT_S)
{
	char out[256];

	ASSERT_LE(0, start_guest(fg_unique_cid(0), &self->g[0]));
	ASSERT_EQ(0, tool(0, out, sizeof(out), "set %llu parent 2",
			  (unsigned long long)fg_unique_cid(0))) TH_LOG("%s", out);
	nl_case(_metadata, self, "del %llu");
}

/* Replies and dumps, and the parent consent (DEV_SET). */
TEST_F_TIMEOUT(alloc, netlink_replies, CASE_TIMEOUT_S)
{
	static const char *const reqs[] = {
		"show %llu", "show", "rules", "accept %llu",
	};
	unsigned int i;
	char out[256];

	ASSERT_LE(0, start_guest(fg_unique_cid(0), &self->g[0]));
	ASSERT_EQ(0, tool(0, out, sizeof(out), "set %llu parent 2",
			  (unsigned long long)fg_unique_cid(0))) TH_LOG("%s", out);
	for (i = 0; i < ARRAY_SIZE(reqs); i++) {
		TH_LOG("%s", reqs[i]);
		nl_case(_metadata, self, reqs[i]);
	}
}

/* ---- packets queued to a guest ---- */

struct conn_ctx {
	FIXTURE_DATA(alloc) *self;
	uint64_t dst;
	uint32_t port;
};

/* The host dials the guest: the host's send path is in our code. */
static int host_dial(void *ctx)
{
	struct conn_ctx *c = ctx;
	int fd = fg_host_connect(SOCK_STREAM, c->dst, c->port, DROPPED_MS);

	if (fd >= 0)
		c->self->hfd = fd;
	return fd < 0 ? fd : 0;
}

static void host_dial_check(struct __test_metadata *_metadata, void *ctx,
			    int ret, bool failed, unsigned int n)
{
	FIXTURE_DATA(alloc) *self = ((struct conn_ctx *)ctx)->self;

	/* The send path allocates nothing it cannot do without. */
	ASSERT_EQ(0, ret) TH_LOG("failure %u: %s", n, strerror(-ret));
	close(self->hfd);
	self->hfd = -1;
}

TEST_F_TIMEOUT(alloc, host_to_guest, CASE_TIMEOUT_S)
{
	struct conn_ctx c = { .self = self, .dst = fg_unique_cid(0),
			      .port = PORT };

	ASSERT_LE(0, start_guest(fg_unique_cid(0), &self->g[0]));
	ASSERT_EQ(0, fg_listen(self->g[0], STREAM, PORT));
	EACH_FAILURE(gettid(), host_dial, host_dial_check, &c);
}

/* The guest dials: what its vhost worker allocates fails. */
static int guest_dial(void *ctx)
{
	struct conn_ctx *c = ctx;

	return fg_connect(c->self->g[0], STREAM, c->dst, c->port, DROPPED_MS,
			  &c->self->c);
}

/*
 * The host end of the guest's connection c. A REQUEST whose RESPONSE could
 * not be allocated left an accepted socket the guest never heard of
 * (af_vsock ignores that error, stock vhost_vsock alike): skip those.
 */
static int host_accept(int lfd, struct fg_conn *c)
{
	uint32_t port;
	int fd;

	for (;;) {
		fd = fg_host_accept(lfd, TIMEOUT_MS, NULL, &port);
		if (fd < 0 || port == fg_conn_local_port(c))
			return fd;
		close(fd);
	}
}

/*
 * A REQUEST the device could not read is dropped, as stock vhost_vsock
 * drops it (the guest's connect times out); one the forward could not
 * track is answered with RST.
 */
static void guest_dial_check(struct __test_metadata *_metadata, void *ctx,
			     int ret, bool failed, unsigned int n)
{
	FIXTURE_DATA(alloc) *self = ((struct conn_ctx *)ctx)->self;
	struct fg_conn *pc;

	if (ret && ret != -ETIMEDOUT) {
		ASSERT_EQ(-ECONNRESET, ret) TH_LOG("failure %u", n);
	}
	if (!ret) {
		struct fg_end a = FG_END_GUEST(self->c);
		struct fg_end b;

		if (self->g[1]) {
			ASSERT_EQ(0, fg_accept(self->g[1], PORT, TIMEOUT_MS, &pc));
			b = FG_END_GUEST(pc);
		} else {
			self->hfd = host_accept(self->hlfd, self->c);
			ASSERT_LE(0, self->hfd);
			ASSERT_EQ(0, fg_host_timeouts(self->hfd, TIMEOUT_MS));
			b = FG_END_HOST(self->hfd);
		}
		EXPECT_EQ(0, fg_transfer(&a, &b, 1000, n, TIMEOUT_MS));
		fg_reset(self->c);
		if (self->g[1]) {
			fg_conn_free(pc);
		} else {
			close(self->hfd);
			self->hfd = -1;
		}
	}
	if (self->c)
		fg_conn_free(self->c);
	self->c = NULL;
}

/* Through the forward to a guest parent: tracked, queued to the parent. */
TEST_F_TIMEOUT(alloc, guest_to_guest, CASE_TIMEOUT_S)
{
	struct conn_ctx c = { .self = self, .dst = ALIAS, .port = PORT };
	struct tally t;
	pid_t worker;

	worker = start_guest(fg_unique_cid(0), &self->g[0]);
	ASSERT_LT(0, worker);
	ASSERT_LE(0, start_guest(fg_unique_cid(1), &self->g[1]));
	ASSERT_EQ(0, tool(0, (char[256]){ 0 }, 256, "accept %llu",
			  (unsigned long long)fg_unique_cid(1)));
	ASSERT_EQ(0, set_fwd(self->g[0], ALIAS, fg_unique_cid(1)));
	ASSERT_EQ(0, fg_listen(self->g[1], STREAM, PORT));
	t = EACH_FAILURE(worker, guest_dial, guest_dial_check, &c);
	EXPECT_LT(0U, t.sites);
}

/* To the host: the host's vsock core answers from our worker. */
TEST_F_TIMEOUT(alloc, guest_to_host, CASE_TIMEOUT_S)
{
	struct conn_ctx c = { .self = self, .dst = FG_HOST_CID };
	struct tally t;
	pid_t worker;

	worker = start_guest(fg_unique_cid(0), &self->g[0]);
	ASSERT_LT(0, worker);
	self->hlfd = fg_host_listen(SOCK_STREAM, &c.port);
	ASSERT_LE(0, self->hlfd);
	t = EACH_FAILURE(worker, guest_dial, guest_dial_check, &c);
	EXPECT_LT(0U, t.sites);
}

TEST_HARNESS_MAIN
