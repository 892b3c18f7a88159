// SPDX-License-Identifier: GPL-2.0
/*
 * vsock_fwd_bench: what CID forwarding costs against stock vhost_vsock, and
 * what routing between guests in the kernel wins against a userspace relay.
 *
 * Fake guests (fake_guest.h) stand in for the VMs, so both modules drive the
 * very same guest driver and only the host side differs. On an emulated
 * machine absolute numbers mean nothing; the ratios of runs interleaved in
 * one boot do, and bench.sh arranges those:
 *
 *   vsock_fwd_bench run --module stock|ours --round N [--time MS]
 *                       [--sizes BYTES,...] [--idle N] [--cases C,...]
 *	measures every case of the loaded module (or those of --cases that
 *	are the module's) and prints one line
 *	"sample CASE METRIC ROUND VALUE" per result, and "error SCOPE TEXT"
 *	for whatever failed (SCOPE is a case or a module)
 *   vsock_fwd_bench report [--tap] [--json FILE] < SAMPLES
 *	medians, spread and ratios paired by round, checked against the
 *	targets, as a table and as JSON, and whether each case gave sane
 *	numbers (as TAP with --tap); fails if one did not. SAMPLES may also
 *	hold "config KEY VALUE" lines, copied to the JSON
 *   vsock_fwd_bench modules [CASE,...]
 *	the modules those cases (or all) need, in the order stock, ours, peer
 *   vsock_fwd_bench guests MODULE [CASE,...]
 *	the real-guest cases of MODULE among those cases, which
 *	guest-bench.sh measures (run skips them)
 *   vsock_fwd_bench relay FD CID PORT
 *	the userspace relay that run starts: accepts connections on the
 *	listening vsock socket FD and relays each to CID:PORT
 *
 * The guest A plays the VM (or the enclave): it always opens the
 * connections. Its peer is a host socket, or the fake guest B (the parent
 * VM), reached through A's forward or through the relay.
 *
 * Metrics, each on a fresh connection: throughput from A (g2h_SIZE) and to
 * A (h2g_SIZE) in MB/s, counted by the receiver, for each write size;
 * 1-byte ping-pong round trips from A (lat_p50, lat_p99, in us); and
 * connections per second (conn_rate: connect, one byte, close). With each
 * comes cpu_*: the CPU time the host side of the path spent per MB, round
 * trip or connection, which shows whether the device's own work changed
 * when a ratio of the others moves. Throughput also has vmcpu_*, the CPU
 * time of the whole VM per MB, the fake guests' own work included: where
 * the CPUs are the bottleneck, throughput ratios follow its ratios.
 *
 * The l2_* cases are real nested guests against the userspace daemon that
 * is the alternative to this module (guest-bench.sh); only the report
 * knows them here. They run when --cases names them ("all" is every case).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/vhost.h>
#include <linux/vhost_fwd.h>
#include <linux/vm_sockets.h>

#include "fake_guest.h"

#define STREAM		VIRTIO_VSOCK_TYPE_STREAM
#define ALIAS_CID	3ULL
#define PARENT_PORT	9000
#define SOCAT_PORT	9100
#define TIMEOUT_MS	10000
/* Poll interval of servers that wait for connections until told to stop. */
#define POLL_MS		100
/* CIDs of the idle devices: far above what fg_unique_cid() hands out. */
#define IDLE_CID_BASE	1000000ULL
#define MAX_SIZES	8
#define RX_BUF		(256 * 1024)
#define RELAY_BUF	(64 * 1024)
/* Ping-pong rounds not measured, while caches and the scheduler settle. */
#define LAT_WARMUP	20

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- cases and metrics ---- */

enum peer_kind {
	PEER_HOST,	/* a host socket */
	PEER_PARENT,	/* guest B, through A's forward */
	PEER_RELAY,	/* guest B, through our userspace relay */
	PEER_SOCAT,	/* guest B, through socat */
	PEER_GUEST,	/* a real guest: guest-bench.sh measures it */
};

/* A's forward to the parent B, whose CID is only known at run time. */
#define TARGET_PARENT	UINT64_MAX

struct bench_case {
	const char *name;
	const char *module;
	const char *desc;
	enum peer_kind peer;
	uint64_t target;	/* A's forward: 0 for none */
	bool idle;		/* measured with the idle devices open */
};

static const struct bench_case cases[] = {
	{ "stock", "stock", "stock vhost_vsock, guest -> CID 2",
	  PEER_HOST, 0, false },
	{ "relay", "stock", "stock, guest -> userspace relay -> guest",
	  PEER_RELAY, 0, false },
	{ "socat", "stock", "stock, guest -> socat (a fork per connection) -> guest",
	  PEER_SOCAT, 0, false },
	{ "ours", "ours", "vhost_vsock_fwd, no forward, guest -> CID 2",
	  PEER_HOST, 0, false },
	{ "fwd", "ours", "vhost_vsock_fwd, guest -> CID 3 forwarded to host",
	  PEER_HOST, VMADDR_CID_HOST, false },
	{ "g2g", "ours", "vhost_vsock_fwd, enclave -> CID 3 forwarded to parent guest",
	  PEER_PARENT, TARGET_PARENT, false },
	{ "fwd_idle", "ours", "fwd, with the idle devices holding CIDs",
	  PEER_HOST, VMADDR_CID_HOST, true },
	{ "g2g_idle", "ours", "g2g, with the idle devices holding CIDs",
	  PEER_PARENT, TARGET_PARENT, true },
	{ "l2_stock", "stock", "real guest, stock vhost_vsock, guest -> CID 2",
	  PEER_GUEST, 0, false },
	{ "l2_fwd", "ours", "real guest, vhost_vsock_fwd {3 -> 2}, guest -> CID 3",
	  PEER_GUEST, 0, false },
	{ "l2_peer", "peer", "real guest, vhost-device-vsock --forward-cid, guest -> CID 3",
	  PEER_GUEST, 0, false },
};

#define NR_CASES	ARRAY_SIZE(cases)

enum better { HIGHER, LOWER };

/* What a metric is, from its name as run prints it. */
static void metric_kind(const char *metric, const char **unit,
			enum better *better)
{
	if (!strcmp(metric, "cpu_lat")) {
		*unit = "us/rtt";
		*better = LOWER;
	} else if (!strcmp(metric, "cpu_conn")) {
		*unit = "us/conn";
		*better = LOWER;
	} else if (!strncmp(metric, "cpu_", 4) ||
		   !strncmp(metric, "vmcpu_", 6)) {
		*unit = "us/MB";
		*better = LOWER;
	} else if (!strncmp(metric, "lat_", 4)) {
		*unit = "us";
		*better = LOWER;
	} else if (!strcmp(metric, "conn_rate")) {
		*unit = "conn/s";
		*better = HIGHER;
	} else {
		*unit = "MB/s";
		*better = HIGHER;
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile (0..1) of v[0..n), which gets sorted; n > 0. */
static double quantile(double *v, size_t n, double q)
{
	size_t i;

	qsort(v, n, sizeof(*v), cmp_double);
	i = (size_t)ceil(q * n);
	return v[i ? i - 1 : 0];
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- run: the environment of one module's measurements ---- */

/*
 * A selection of cases (--cases); when none is named, those with fake
 * guests: the real guests take minutes.
 */
struct case_set {
	bool only[NR_CASES];
	bool some;
};

static bool case_selected(const struct case_set *set, unsigned int c)
{
	return set->some ? set->only[c] : cases[c].peer != PEER_GUEST;
}

struct run_opts {
	const char *module;
	unsigned int round;
	unsigned int time_ms;
	size_t sizes[MAX_SIZES];
	unsigned int nsizes;
	unsigned int idle;
	struct case_set cases;
};

struct bench_env {
	const struct run_opts *opts;
	struct fg_guest *a;	/* the VM or enclave, which connects */
	struct fg_guest *b;	/* the parent VM, which listens */
	int host_lfd;
	uint32_t host_port;
	pid_t relay;
	uint32_t relay_port;
	int *idle_fds;
	unsigned int nidle;
};

/* One connection of A and its peer's end. */
struct bench_pair {
	struct fg_conn *a;
	struct fg_end peer;
};

static void put_sample(const struct bench_env *env, const char *cname,
		       const char *metric, double value)
{
	printf("sample %s %s %u %.6g\n", cname, metric, env->opts->round,
	       value);
	fflush(stdout);
}

static void fail(const char *scope, const char *what, int err)
{
	printf("error %s %s: %s\n", scope, what, strerror(err < 0 ? -err : err));
	fflush(stdout);
}

static uint64_t a_dst_cid(const struct bench_case *bc)
{
	return bc->target ? ALIAS_CID : VMADDR_CID_HOST;
}

static uint32_t a_dst_port(const struct bench_env *env,
			   const struct bench_case *bc)
{
	switch (bc->peer) {
	case PEER_HOST:
		return env->host_port;
	case PEER_RELAY:
	case PEER_SOCAT:
		return env->relay_port;
	default:
		return PARENT_PORT;
	}
}

static int set_forward(struct bench_env *env, uint64_t target)
{
	struct vhost_vsock_parent p = { .flags = VHOST_VSOCK_PARENT_F_ACCEPT };
	struct vhost_vsock_forward f = {};
	int ret;

	if (target) {
		f.alias_cid = ALIAS_CID;
		f.target_cid = target == TARGET_PARENT ? fg_cid(env->b) :
			       target;
	}
	/* A guest parent consents to its child. */
	if (target == TARGET_PARENT) {
		ret = fg_ioctl(fg_fd(env->b), VHOST_VSOCK_SET_PARENT, &p);
		if (ret)
			return ret;
	}
	return fg_ioctl(fg_fd(env->a), VHOST_VSOCK_SET_FORWARD, &f);
}

/* A connects; the peer end is accepted where the case says. */
static int pair_open(struct bench_env *env, const struct bench_case *bc,
		     struct bench_pair *p)
{
	int ret, fd;

	ret = fg_connect(env->a, STREAM, a_dst_cid(bc), a_dst_port(env, bc),
			 TIMEOUT_MS, &p->a);
	if (ret)
		return ret;
	if (bc->peer == PEER_HOST) {
		fd = fg_host_accept(env->host_lfd, TIMEOUT_MS, NULL, NULL);
		ret = fd < 0 ? fd : fg_host_timeouts(fd, TIMEOUT_MS);
		if (fd >= 0 && ret)
			close(fd);
		p->peer = FG_END_HOST(fd);
	} else {
		p->peer = FG_END_GUEST(NULL);
		ret = fg_accept(env->b, PARENT_PORT, TIMEOUT_MS, &p->peer.c);
	}
	if (ret)
		fg_conn_free(p->a);
	return ret;
}

/*
 * Tear down without leaving a host socket to linger in its close timeout,
 * which would keep the module busy: the peer closes fully, then A resets
 * whatever is left, which also ends the relay's sockets.
 */
static void pair_close(struct bench_pair *p)
{
	if (p->peer.fd >= 0) {
		close(p->peer.fd);
		fg_wait_closed(p->a, POLL_MS);
		fg_conn_free(p->a);
		return;
	}
	fg_shutdown(p->peer.c, VIRTIO_VSOCK_SHUTDOWN_RCV |
		    VIRTIO_VSOCK_SHUTDOWN_SEND);
	fg_wait_closed(p->a, POLL_MS);
	fg_conn_free(p->a);
	fg_wait_closed(p->peer.c, TIMEOUT_MS);
	fg_conn_free(p->peer.c);
}

static int end_shutdown_send(const struct fg_end *e)
{
	if (e->fd >= 0)
		return shutdown(e->fd, SHUT_WR) ? -errno : 0;
	return fg_shutdown(e->c, VIRTIO_VSOCK_SHUTDOWN_SEND);
}

/* ---- CPU time of the host side ---- */

/*
 * Run time in ns of the vhost workers, which since Linux 6.4 are threads
 * "vhost-PID" of the device's owner, that is of this process. schedstat
 * counts it exactly, where utime and stime come in ticks.
 */
static uint64_t vhost_run_ns(void)
{
	char path[300], comm[32];
	unsigned long long ns;
	struct dirent *de;
	uint64_t sum = 0;
	DIR *d = opendir("/proc/self/task");
	FILE *f;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
			 de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = 0;
		fclose(f);
		if (strncmp(comm, "vhost-", 6))
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/schedstat",
			 de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%llu", &ns) == 1)
			sum += ns;
		fclose(f);
	}
	closedir(d);
	return sum;
}

/*
 * From /proc/PID/stat: the parent, the CPU time in ns of the process, its
 * ended threads included, and that of its children it waited for. In
 * ticks, but a relay needs many per measurement.
 */
static int proc_stat(pid_t pid, pid_t *ppid, uint64_t *self,
		     uint64_t *children)
{
	unsigned long long ut, st, cut, cst;
	char path[64], buf[1024], *p;
	uint64_t tick = 1000000000ULL / sysconf(_SC_CLK_TCK);
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* The fields after the command name, which may hold anything. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu",
			 ppid, &ut, &st, &cut, &cst) != 5)
		return -EINVAL;
	*self = (ut + st) * tick;
	*children = (cut + cst) * tick;
	return 0;
}

/*
 * CPU time in ns of a relay and of its children, running or ended: socat
 * forks one per connection.
 */
static uint64_t relay_run_ns(pid_t relay)
{
	uint64_t self, children, sum;
	struct dirent *de;
	pid_t pid, ppid;
	DIR *d;

	if (proc_stat(relay, &ppid, &self, &children))
		return 0;
	sum = self + children;
	d = opendir("/proc");
	if (!d)
		return sum;
	while ((de = readdir(d))) {
		pid = atoi(de->d_name);
		if (pid > 0 && pid != relay &&
		    !proc_stat(pid, &ppid, &self, &children) && ppid == relay)
			sum += self;
	}
	closedir(d);
	return sum;
}

/*
 * CPU time of the host side of the data path, in ns: the vhost workers and
 * the relay. The system calls on host sockets are left out: they belong to
 * the applications at the ends, as the fake guests' work does, and run the
 * same code under both modules but for the transport's send_pkt (the
 * destination's lookup and, forwarding, the source rewrite).
 */
static uint64_t host_cpu_ns(const struct bench_env *env)
{
	uint64_t ns = vhost_run_ns();

	if (env->relay)
		ns += relay_run_ns(env->relay);
	return ns;
}

/*
 * Busy CPU time of the whole VM in ns, summed over its CPUs, from the first
 * line of /proc/stat: everything but idle and iowait. In ticks.
 */
static uint64_t vm_cpu_ns(void)
{
	unsigned long long v[8];
	uint64_t tick = 1000000000ULL / sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (!f)
		return 0;
	/* user nice system idle iowait irq softirq steal */
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
		   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n != 8)
		return 0;
	return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) * tick;
}

/* ---- throughput ---- */

struct tput_sender {
	const struct fg_end *end;
	size_t wsize;
	double until;
	uint64_t bytes;
	int ret;
};

/* Write wsize-byte buffers until the deadline, then end the stream. */
static void *tput_send(void *arg)
{
	struct tput_sender *s = arg;
	char *buf = calloc(1, s->wsize);
	ssize_t n;

	s->ret = buf ? 0 : -ENOMEM;
	while (!s->ret && now_s() < s->until) {
		n = fg_end_send(s->end, buf, s->wsize, TIMEOUT_MS);
		if (n < 0)
			s->ret = n;
		else
			s->bytes += n;
	}
	if (!s->ret)
		s->ret = end_shutdown_send(s->end);
	free(buf);
	return NULL;
}

/*
 * MB/s from @from to @to, counted by the receiver up to the end of the
 * stream, and the CPU time per MB of the host side and of the whole VM.
 */
static int tput(const struct bench_env *env, const struct fg_end *from,
		const struct fg_end *to, size_t wsize, double *mbps,
		double *cpu, double *vmcpu)
{
	struct tput_sender s = { .end = from, .wsize = wsize };
	char *buf = malloc(RX_BUF);
	uint64_t got = 0, c0, vm0;
	double t0, t1;
	pthread_t t;
	ssize_t n = 0;
	int ret;

	if (!buf)
		return -ENOMEM;
	c0 = host_cpu_ns(env);
	vm0 = vm_cpu_ns();
	t0 = now_s();
	s.until = t0 + env->opts->time_ms / 1000.0;
	ret = -pthread_create(&t, NULL, tput_send, &s);
	if (ret) {
		free(buf);
		return ret;
	}
	while ((n = fg_end_recv(to, buf, RX_BUF, TIMEOUT_MS)) > 0)
		got += n;
	t1 = now_s();
	*mbps = got / (t1 - t0) / 1e6;
	*cpu = (host_cpu_ns(env) - c0) / 1e3 / (got / 1e6);
	*vmcpu = (vm_cpu_ns() - vm0) / 1e3 / (got / 1e6);
	pthread_join(t, NULL);
	free(buf);
	if (s.ret)
		return s.ret;
	if (n < 0)
		return n;
	/* Whatever was written must have arrived, or the number is a lie. */
	if (got != s.bytes || !got)
		return -EIO;
	return 0;
}

/* ---- latency ---- */

/* Echo each byte back until the stream ends. */
static void *echo_server(void *arg)
{
	const struct fg_end *e = arg;
	char c;

	while (fg_end_recv(e, &c, 1, TIMEOUT_MS) == 1 &&
	       fg_end_send(e, &c, 1, TIMEOUT_MS) == 1)
		;
	return NULL;
}

/*
 * 1-byte ping-pong from A: the median and p99 of the round trips, in us,
 * and the host side's CPU time per round trip.
 */
static int latency(const struct bench_env *env, struct bench_pair *p,
		   double *p50, double *p99, double *cpu)
{
	const struct fg_end a = FG_END_GUEST(p->a);
	size_t n = 0, cap = 1024, i;
	double until, t0, *rtt;
	uint64_t c0;
	pthread_t t;
	char c = 0;
	int ret;

	rtt = malloc(cap * sizeof(*rtt));
	if (!rtt)
		return -ENOMEM;
	ret = -pthread_create(&t, NULL, echo_server, &p->peer);
	if (ret) {
		free(rtt);
		return ret;
	}
	c0 = host_cpu_ns(env);
	until = now_s() + env->opts->time_ms / 1000.0;
	/* At least a few samples however short the time. */
	for (i = 0; !ret && (now_s() < until || n < 10); i++) {
		t0 = now_s();
		ret = fg_end_send(&a, &c, 1, TIMEOUT_MS);
		if (ret == 1)
			ret = fg_end_recv(&a, &c, 1, TIMEOUT_MS);
		if (ret != 1) {
			ret = ret < 0 ? ret : -EPIPE;
			break;
		}
		ret = 0;
		if (i < LAT_WARMUP)
			continue;
		if (n == cap) {
			double *r = realloc(rtt, 2 * cap * sizeof(*rtt));

			if (!r) {
				ret = -ENOMEM;
				break;
			}
			rtt = r;
			cap *= 2;
		}
		rtt[n++] = (now_s() - t0) * 1e6;
	}
	*cpu = (host_cpu_ns(env) - c0) / 1e3 / i;
	end_shutdown_send(&a);
	pthread_join(t, NULL);
	if (!ret) {
		*p99 = quantile(rtt, n, 0.99);
		*p50 = median(rtt, n);
	}
	free(rtt);
	return ret;
}

/* ---- connection setup rate ---- */

struct conn_server {
	const struct bench_env *env;
	const struct bench_case *bc;
	bool stop;		/* set by the client, atomically */
	unsigned long count;
	int ret;
};

/* Each connection: read the byte, then close, which ends the client's. */
static void *conn_serve(void *arg)
{
	struct conn_server *s = arg;
	struct fg_conn *c;
	char byte;
	int fd, ret;

	while (!s->ret) {
		if (s->bc->peer == PEER_HOST) {
			fd = fg_host_accept(s->env->host_lfd, POLL_MS, NULL,
					    NULL);
			if (fd == -ETIMEDOUT) {
				if (__atomic_load_n(&s->stop, __ATOMIC_RELAXED))
					break;
				continue;
			}
			if (fd < 0) {
				s->ret = fd;
				break;
			}
			ret = fg_host_timeouts(fd, TIMEOUT_MS);
			if (!ret)
				ret = fg_host_read_all(fd, &byte, 1);
			close(fd);
		} else {
			ret = fg_accept(s->env->b, PARENT_PORT, POLL_MS, &c);
			if (ret == -ETIMEDOUT) {
				if (__atomic_load_n(&s->stop, __ATOMIC_RELAXED))
					break;
				continue;
			}
			if (ret) {
				s->ret = ret;
				break;
			}
			ret = fg_recv_all(c, &byte, 1, TIMEOUT_MS);
			fg_shutdown(c, VIRTIO_VSOCK_SHUTDOWN_RCV |
				    VIRTIO_VSOCK_SHUTDOWN_SEND);
			fg_wait_closed(c, TIMEOUT_MS);
			fg_conn_free(c);
		}
		if (ret < 0)
			s->ret = ret;
		else
			s->count++;
	}
	return NULL;
}

/*
 * Connections per second (connect, send one byte, wait for the close), and
 * the host side's CPU time per connection.
 */
static int conn_rate(const struct bench_env *env, const struct bench_case *bc,
		     double *rate, double *cpu)
{
	struct conn_server s = { .env = env, .bc = bc };
	unsigned long count = 0;
	double t0, until;
	uint64_t c0;
	struct fg_conn *c;
	pthread_t t;
	char byte = 0;
	ssize_t n;
	int ret;

	ret = -pthread_create(&t, NULL, conn_serve, &s);
	if (ret)
		return ret;
	c0 = host_cpu_ns(env);
	t0 = now_s();
	until = t0 + env->opts->time_ms / 1000.0;
	do {
		ret = fg_connect(env->a, STREAM, a_dst_cid(bc),
				 a_dst_port(env, bc), TIMEOUT_MS, &c);
		if (ret)
			break;
		n = fg_send(c, &byte, 1, TIMEOUT_MS);
		/* The server closes: end of stream, or a reset. */
		if (n == 1)
			n = fg_recv(c, &byte, 1, TIMEOUT_MS);
		fg_conn_free(c);
		if (n && n != -ECONNRESET) {
			ret = n < 0 ? n : -EPROTO;
			break;
		}
		count++;
	} while (now_s() < until);
	*rate = count / (now_s() - t0);
	*cpu = (host_cpu_ns(env) - c0) / 1e3 / (count ? count : 1);
	__atomic_store_n(&s.stop, true, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	if (!ret)
		ret = s.ret;
	if (!ret && s.count != count)
		ret = -EIO;
	return ret;
}

/* ---- one case ---- */

static void size_name(char *buf, size_t len, const char *dir, size_t size)
{
	if (size % 1024)
		snprintf(buf, len, "%s_%zu", dir, size);
	else
		snprintf(buf, len, "%s_%zuk", dir, size / 1024);
}

/* Every metric of a case on a fresh connection each. */
static void run_case(struct bench_env *env, const struct bench_case *bc)
{
	const struct run_opts *o = env->opts;
	char metric[32], cpu_metric[40];
	struct bench_pair p;
	double v, v99, cpu, vmcpu;
	struct fg_end a;
	unsigned int i, dir;
	int ret;

	/* Stock vhost_vsock knows no forward, and has none to clear. */
	ret = strcmp(bc->module, "ours") ? 0 : set_forward(env, bc->target);
	if (ret) {
		fail(bc->name, "VHOST_VSOCK_SET_FORWARD", ret);
		return;
	}
	for (dir = 0; dir < 2; dir++) {
		for (i = 0; i < o->nsizes; i++) {
			size_name(metric, sizeof(metric), dir ? "h2g" : "g2h",
				  o->sizes[i]);
			ret = pair_open(env, bc, &p);
			if (ret) {
				fail(bc->name, "connect", ret);
				return;
			}
			a = FG_END_GUEST(p.a);
			ret = tput(env, dir ? &p.peer : &a, dir ? &a : &p.peer,
				   o->sizes[i], &v, &cpu, &vmcpu);
			pair_close(&p);
			if (ret) {
				fail(bc->name, metric, ret);
				continue;
			}
			put_sample(env, bc->name, metric, v);
			snprintf(cpu_metric, sizeof(cpu_metric), "cpu_%s",
				 metric);
			put_sample(env, bc->name, cpu_metric, cpu);
			snprintf(cpu_metric, sizeof(cpu_metric), "vmcpu_%s",
				 metric);
			put_sample(env, bc->name, cpu_metric, vmcpu);
		}
	}

	ret = pair_open(env, bc, &p);
	if (ret) {
		fail(bc->name, "connect", ret);
		return;
	}
	ret = latency(env, &p, &v, &v99, &cpu);
	pair_close(&p);
	if (ret) {
		fail(bc->name, "latency", ret);
	} else {
		put_sample(env, bc->name, "lat_p50", v);
		put_sample(env, bc->name, "lat_p99", v99);
		put_sample(env, bc->name, "cpu_lat", cpu);
	}

	ret = conn_rate(env, bc, &v, &cpu);
	if (ret) {
		fail(bc->name, "conn_rate", ret);
	} else {
		put_sample(env, bc->name, "conn_rate", v);
		put_sample(env, bc->name, "cpu_conn", cpu);
	}
}

/* ---- the relay ---- */

struct relay_dir {
	int from, to;
};

/* Copy one direction; pass its end on, as a relay must for half-closes. */
static void *relay_copy(void *arg)
{
	struct relay_dir *d = arg;
	char *buf = malloc(RELAY_BUF);
	ssize_t n;

	while (buf && (n = read(d->from, buf, RELAY_BUF)) > 0)
		if (fg_host_write_all(d->to, buf, n) < 0)
			break;
	shutdown(d->to, SHUT_WR);
	free(buf);
	return NULL;
}

/* One relayed connection: a thread per direction, like socat's processes. */
static void *relay_conn(void *arg)
{
	struct relay_dir *d = arg;
	struct relay_dir back = { .from = d->to, .to = d->from };
	pthread_t t;

	if (!pthread_create(&t, NULL, relay_copy, d)) {
		relay_copy(&back);
		pthread_join(t, NULL);
	}
	close(d->from);
	close(d->to);
	free(d);
	return NULL;
}

static int relay_main(int argc, char **argv)
{
	uint64_t cid;
	uint32_t port;
	pthread_t t;
	int lfd;

	if (argc != 5)
		return 2;
	lfd = atoi(argv[2]);
	cid = strtoull(argv[3], NULL, 0);
	port = strtoul(argv[4], NULL, 0);
	for (;;) {
		struct relay_dir *d = malloc(sizeof(*d));

		if (!d)
			return 1;
		d->from = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (d->from < 0) {
			free(d);
			continue;
		}
		d->to = fg_host_connect(SOCK_STREAM, cid, port, TIMEOUT_MS);
		if (d->to < 0 || pthread_create(&t, NULL, relay_conn, d)) {
			if (d->to >= 0)
				close(d->to);
			close(d->from);
			free(d);
			continue;
		}
		pthread_detach(t);
	}
}

/*
 * Start a relay as a process group of its own, as a real one would run:
 * ours, with the listening socket as the only descriptor it inherits, or
 * socat as people run it.
 */
static int relay_spawn(struct bench_env *env, const struct bench_case *bc)
{
	char fd_arg[16], cid_arg[24], port_arg[16];
	char listen_arg[64], connect_arg[64];
	char *const relay_argv[] = { "vsock_fwd_bench", "relay", fd_arg,
				     cid_arg, port_arg, NULL };
	char *const socat_argv[] = { "socat", listen_arg, connect_arg, NULL };
	posix_spawnattr_t attr;
	int lfd = -1, ret;

	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
	if (bc->peer == PEER_SOCAT) {
		env->relay_port = SOCAT_PORT;
		snprintf(listen_arg, sizeof(listen_arg),
			 "VSOCK-LISTEN:%u,fork,reuseaddr", SOCAT_PORT);
		snprintf(connect_arg, sizeof(connect_arg),
			 "VSOCK-CONNECT:%llu:%u",
			 (unsigned long long)fg_cid(env->b), PARENT_PORT);
		ret = -posix_spawnp(&env->relay, "socat", NULL, &attr,
				    socat_argv, environ);
	} else {
		lfd = fg_host_listen(SOCK_STREAM, &env->relay_port);
		ret = lfd < 0 ? lfd : 0;
		if (!ret && fcntl(lfd, F_SETFD, 0))
			ret = -errno;
		snprintf(fd_arg, sizeof(fd_arg), "%d", lfd);
		snprintf(cid_arg, sizeof(cid_arg), "%llu",
			 (unsigned long long)fg_cid(env->b));
		snprintf(port_arg, sizeof(port_arg), "%u", PARENT_PORT);
		if (!ret)
			ret = -posix_spawn(&env->relay, "/proc/self/exe", NULL,
					   &attr, relay_argv, environ);
		if (lfd >= 0)
			close(lfd);
	}
	posix_spawnattr_destroy(&attr);
	if (ret)
		env->relay = 0;
	return ret;
}

static void relay_stop(struct bench_env *env)
{
	/* socat's children too. */
	kill(-env->relay, SIGKILL);
	waitpid(env->relay, NULL, 0);
	env->relay = 0;
}

/* Start a relay and wait until a connection goes through it. */
static int relay_start(struct bench_env *env, const struct bench_case *bc)
{
	struct bench_pair p;
	unsigned int tries;
	int ret;

	ret = relay_spawn(env, bc);
	if (ret)
		return ret;
	/* Until socat listens, the host resets connections to its port. */
	for (tries = 0; tries < TIMEOUT_MS / 10; tries++) {
		ret = pair_open(env, bc, &p);
		if (ret != -ECONNRESET)
			break;
		usleep(10000);
	}
	if (ret) {
		relay_stop(env);
		return ret;
	}
	pair_close(&p);
	return 0;
}

/* ---- idle devices ---- */

/* Devices that hold a CID and nothing else: longer hash chains. */
static int idle_open(struct bench_env *env)
{
	unsigned int n = env->opts->idle;
	struct rlimit rl;
	int fd, ret;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < n + 256) {
		rl.rlim_cur = n + 256;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			return -errno;
	}
	env->idle_fds = calloc(n ? n : 1, sizeof(int));
	if (!env->idle_fds)
		return -ENOMEM;
	for (env->nidle = 0; env->nidle < n; env->nidle++) {
		fd = fg_dev_open();
		if (fd < 0)
			return fd;
		env->idle_fds[env->nidle] = fd;
		ret = fg_set_cid(fd, IDLE_CID_BASE + env->nidle);
		if (ret) {
			close(fd);
			return ret;
		}
	}
	return 0;
}

static void idle_close(struct bench_env *env)
{
	while (env->nidle)
		close(env->idle_fds[--env->nidle]);
	free(env->idle_fds);
	env->idle_fds = NULL;
}

/* ---- run ---- */

/* Whether case @i is to run now: the module's, of this half, selected. */
static bool case_runs(const struct bench_env *env, unsigned int i, bool idle)
{
	return !strcmp(cases[i].module, env->opts->module) &&
	       cases[i].peer != PEER_GUEST && cases[i].idle == idle &&
	       case_selected(&env->opts->cases, i);
}

static void run_cases(struct bench_env *env, bool idle)
{
	unsigned int i;
	int ret;

	for (i = 0; i < NR_CASES && !case_runs(env, i, idle); i++)
		;
	if (i == NR_CASES)
		return;
	if (idle) {
		ret = idle_open(env);
		if (ret) {
			fail(env->opts->module, "opening the idle devices", ret);
			idle_close(env);
			return;
		}
	}
	for (i = 0; i < NR_CASES; i++) {
		const struct bench_case *bc = &cases[i];

		if (!case_runs(env, i, idle))
			continue;
		if (bc->peer == PEER_RELAY || bc->peer == PEER_SOCAT) {
			ret = relay_start(env, bc);
			if (ret) {
				fail(bc->name, "starting the relay", ret);
				continue;
			}
		}
		run_case(env, bc);
		if (env->relay)
			relay_stop(env);
	}
	if (idle)
		idle_close(env);
}

static int parse_sizes(struct run_opts *o, const char *arg)
{
	char *copy = strdup(arg), *tok, *save = NULL, *end;
	unsigned long v;

	o->nsizes = 0;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		v = strtoul(tok, &end, 0);
		if (*end || !v || v > FG_BUF_ALLOC || o->nsizes == MAX_SIZES) {
			free(copy);
			return -EINVAL;
		}
		o->sizes[o->nsizes++] = v;
	}
	free(copy);
	return o->nsizes ? 0 : -EINVAL;
}

/* --cases: a comma-separated list of case names. */
static int parse_cases(struct case_set *set, const char *arg)
{
	char *copy = strdup(arg), *tok, *save = NULL;
	unsigned int i;
	int ret = 0;

	for (tok = strtok_r(copy, ",", &save); tok && !ret;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "all")) {
			for (i = 0; i < NR_CASES; i++)
				set->only[i] = set->some = true;
			continue;
		}
		for (i = 0; i < NR_CASES && strcmp(cases[i].name, tok); i++)
			;
		if (i == NR_CASES)
			ret = -EINVAL;
		else
			set->only[i] = set->some = true;
	}
	free(copy);
	return set->some ? ret : -EINVAL;
}

static int run_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "module", required_argument, NULL, 'm' },
		{ "round", required_argument, NULL, 'r' },
		{ "time", required_argument, NULL, 't' },
		{ "sizes", required_argument, NULL, 's' },
		{ "idle", required_argument, NULL, 'i' },
		{ "cases", required_argument, NULL, 'c' },
		{}
	};
	struct run_opts o = {
		.time_ms = 1000, .sizes = { 4096, 65536 }, .nsizes = 2,
		.idle = 500,
	};
	struct bench_env env = { .opts = &o, .host_lfd = -1 };
	bool bad = false;
	unsigned int i;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'm':
			o.module = optarg;
			break;
		case 'r':
			o.round = atoi(optarg);
			break;
		case 't':
			o.time_ms = atoi(optarg);
			break;
		case 's':
			bad |= parse_sizes(&o, optarg) != 0;
			break;
		case 'i':
			o.idle = atoi(optarg);
			break;
		case 'c':
			bad |= parse_cases(&o.cases, optarg) != 0;
			break;
		default:
			bad = true;
		}
	}
	if (bad || optind != argc || !o.module || !o.time_ms ||
	    (strcmp(o.module, "stock") && strcmp(o.module, "ours") &&
	     strcmp(o.module, "peer"))) {
		fprintf(stderr, "usage: vsock_fwd_bench run --module stock|ours|peer [--round N]\n"
			"           [--time MS] [--sizes B,...] [--idle N] [--cases C,...]\n");
		return 2;
	}
	/* Nothing to set up when only real guests were asked for. */
	for (i = 0; i < NR_CASES; i++)
		if (case_runs(&env, i, false) || case_runs(&env, i, true))
			break;
	if (i == NR_CASES)
		return 0;
	/* A write to a socket the peer reset must fail, not kill us. */
	signal(SIGPIPE, SIG_IGN);

	ret = fg_start_cid(fg_unique_cid(0), &env.a);
	if (!ret)
		ret = fg_start_cid(fg_unique_cid(1), &env.b);
	if (!ret)
		ret = fg_listen(env.b, STREAM, PARENT_PORT);
	if (!ret) {
		env.host_lfd = fg_host_listen(SOCK_STREAM, &env.host_port);
		ret = env.host_lfd < 0 ? env.host_lfd : 0;
	}
	if (ret) {
		fail(o.module, "setting up the guests", ret);
	} else {
		/*
		 * Alternate which half goes first, so that a trend over the
		 * boot does not favour one.
		 */
		run_cases(&env, o.round % 2 == 0);
		run_cases(&env, o.round % 2 != 0);
	}
	if (env.host_lfd >= 0)
		close(env.host_lfd);
	if (env.b)
		fg_close(env.b);
	if (env.a)
		fg_close(env.a);
	return ret ? 1 : 0;
}

/* ---- report ---- */

struct sample {
	unsigned int c;		/* index in cases[] */
	unsigned int m;		/* index in metrics[] */
	unsigned int round;
	double v;
};

#define MAX_METRICS	(3 * 2 * MAX_SIZES + 2 * 3)
#define MAX_SAMPLES	16384
#define MAX_LINES	256

static struct {
	char *metrics[MAX_METRICS];
	unsigned int nmetrics;
	struct sample s[MAX_SAMPLES];
	unsigned int n;
	char *config[MAX_LINES][2];
	unsigned int nconfig;
	char *errors[MAX_LINES][2];	/* scope, text */
	unsigned int nerrors;
	unsigned int max_round;
	struct case_set cases;	/* "config cases": the cases that ran */
} rep;

/* Pairs of cases whose per-round ratios are reported, and their targets. */
enum target_kind { INFO, WITHIN, TIMES };

struct comparison {
	const char *num, *den;
	const char *what;
	enum target_kind kind;
	double target;		/* WITHIN: tolerance; TIMES: factor */
	bool conn_too;		/* the target also covers conn_rate */
};

static const struct comparison comparisons[] = {
	{ "ours", "stock", "module, no forward, vs stock", INFO, 0, false },
	{ "fwd", "stock", "forwarded to host vs stock", WITHIN, 0.02, false },
	{ "fwd", "ours", "forward vs no forward (same module)", INFO, 0, false },
	{ "g2g", "relay", "guest-to-guest vs userspace relay", TIMES, 3, true },
	{ "g2g", "socat", "guest-to-guest vs socat", TIMES, 3, true },
	{ "fwd_idle", "fwd", "fwd with idle devices vs without", WITHIN, 0.02, true },
	{ "g2g_idle", "g2g", "g2g with idle devices vs without", WITHIN, 0.02, true },
	{ "l2_fwd", "l2_stock", "real guest: forwarded vs stock", INFO, 0, false },
	{ "l2_fwd", "l2_peer", "real guest: ours vs vhost-device-vsock", TIMES, 3, true },
};

#define NR_COMPARISONS	ARRAY_SIZE(comparisons)

struct stats {
	unsigned int n;
	double median, min, max;
};

static int case_index(const char *name)
{
	unsigned int i;

	for (i = 0; i < NR_CASES; i++)
		if (!strcmp(cases[i].name, name))
			return i;
	return -1;
}

static int metric_index(const char *name, bool add)
{
	unsigned int i;

	for (i = 0; i < rep.nmetrics; i++)
		if (!strcmp(rep.metrics[i], name))
			return i;
	if (!add || rep.nmetrics == MAX_METRICS)
		return -1;
	rep.metrics[rep.nmetrics] = strdup(name);
	return rep.nmetrics++;
}

static void stats_of(double *v, unsigned int n, struct stats *st)
{
	st->n = n;
	if (!n)
		return;
	st->median = median(v, n);
	st->min = v[0];
	st->max = v[n - 1];
}

static void case_stats(unsigned int c, unsigned int m, struct stats *st)
{
	double v[MAX_SAMPLES];
	unsigned int i, n = 0;

	for (i = 0; i < rep.n; i++)
		if (rep.s[i].c == c && rep.s[i].m == m)
			v[n++] = rep.s[i].v;
	stats_of(v, n, st);
}

/* The value of case c, metric m in a round; false if there is none. */
static bool round_value(unsigned int c, unsigned int m, unsigned int round,
			double *v)
{
	unsigned int i;

	for (i = 0; i < rep.n; i++) {
		if (rep.s[i].c == c && rep.s[i].m == m &&
		    rep.s[i].round == round) {
			*v = rep.s[i].v;
			return true;
		}
	}
	return false;
}

/* Ratios num/den paired by round, so slow drifts of the VM cancel out. */
static void ratio_stats(const struct comparison *cmp, unsigned int m,
			struct stats *st)
{
	int num = case_index(cmp->num), den = case_index(cmp->den);
	double v[MAX_SAMPLES], x, y;
	unsigned int r, n = 0;

	for (r = 0; r <= rep.max_round; r++)
		if (round_value(num, m, r, &x) && round_value(den, m, r, &y) &&
		    y > 0)
			v[n++] = x / y;
	stats_of(v, n, st);
}

/*
 * Whether the comparison's target covers a metric at all: the CPU times
 * only explain the others.
 */
static bool target_covers(const struct comparison *cmp, const char *metric)
{
	if (cmp->kind == INFO || !strncmp(metric, "cpu_", 4) ||
	    !strncmp(metric, "vmcpu_", 6))
		return false;
	return cmp->conn_too || strcmp(metric, "conn_rate");
}

static bool target_met(const struct comparison *cmp, const char *metric,
		       double ratio)
{
	enum better better;
	const char *unit;

	metric_kind(metric, &unit, &better);
	if (cmp->kind == WITHIN)
		return better == HIGHER ? ratio >= 1 - cmp->target :
					  ratio <= 1 + cmp->target;
	return better == HIGHER ? ratio >= cmp->target :
				  ratio <= 1 / cmp->target;
}

static int read_samples(FILE *in)
{
	char line[512], a[128], b[128], text[384];
	unsigned int round;
	double v;
	int c, m;

	while (fgets(line, sizeof(line), in)) {
		line[strcspn(line, "\n")] = 0;
		if (sscanf(line, "sample %127s %127s %u %lf", a, b, &round,
			   &v) == 4) {
			c = case_index(a);
			m = metric_index(b, true);
			if (c < 0 || m < 0 || rep.n == MAX_SAMPLES)
				return -EINVAL;
			rep.s[rep.n++] = (struct sample){ c, m, round, v };
			if (round > rep.max_round)
				rep.max_round = round;
		} else if (sscanf(line, "config %127s %383[^\n]", a, text) == 2) {
			if (rep.nconfig == MAX_LINES)
				return -EINVAL;
			rep.config[rep.nconfig][0] = strdup(a);
			rep.config[rep.nconfig++][1] = strdup(text);
			if (!strcmp(a, "cases") &&
			    parse_cases(&rep.cases, text))
				return -EINVAL;
		} else if (sscanf(line, "error %127s %383[^\n]", a, text) == 2) {
			if (rep.nerrors == MAX_LINES)
				return -EINVAL;
			rep.errors[rep.nerrors][0] = strdup(a);
			rep.errors[rep.nerrors++][1] = strdup(text);
		}
	}
	return 0;
}

/* A case is sane when every metric has a positive, finite value per round. */
static const char *case_insane(unsigned int c, char *why, size_t len)
{
	unsigned int e, m, i, n;

	for (e = 0; e < rep.nerrors; e++) {
		if (!strcmp(rep.errors[e][0], cases[c].name) ||
		    !strcmp(rep.errors[e][0], cases[c].module)) {
			snprintf(why, len, "%s", rep.errors[e][1]);
			return why;
		}
	}
	if (!rep.nmetrics) {
		snprintf(why, len, "no results at all");
		return why;
	}
	for (m = 0; m < rep.nmetrics; m++) {
		for (i = n = 0; i < rep.n; i++) {
			if (rep.s[i].c != c || rep.s[i].m != m)
				continue;
			if (!isfinite(rep.s[i].v) || rep.s[i].v <= 0) {
				snprintf(why, len, "%s = %g", rep.metrics[m],
					 rep.s[i].v);
				return why;
			}
			n++;
		}
		if (!n) {
			snprintf(why, len, "no %s", rep.metrics[m]);
			return why;
		}
	}
	return NULL;
}

/*
 * Whether each case that ran gave sane numbers, as TAP or as complaints
 * only. The cases not asked for are not results: a default run never asks
 * for the real guests, which take minutes.
 */
static unsigned int print_verdicts(bool tap)
{
	unsigned int c, n = 0, failed = 0;
	char why[400];

	for (c = 0; c < NR_CASES; c++)
		n += case_selected(&rep.cases, c);
	if (tap)
		printf("TAP version 13\n1..%u\n", n);
	for (c = 0, n = 0; c < NR_CASES; c++) {
		if (!case_selected(&rep.cases, c))
			continue;
		n++;
		if (case_insane(c, why, sizeof(why))) {
			failed++;
			printf("%s%s: %s\n", tap ? "# " : "case ",
			       cases[c].name, why);
			if (tap)
				printf("not ok %u bench.%s\n", n,
				       cases[c].name);
		} else if (tap) {
			printf("ok %u bench.%s\n", n, cases[c].name);
		}
	}
	return failed;
}

/* "1234" or "12.3" or "0.123": about four significant digits. */
static void fmt_value(char *buf, size_t len, double v)
{
	snprintf(buf, len, v >= 100 ? "%.0f" : v >= 10 ? "%.1f" :
		 v >= 1 ? "%.2f" : "%.3f", v);
}

static void print_table(const char *pfx)
{
	char val[32], cell[64];
	struct stats st;
	unsigned int c, m, k;

	printf("%scases (median over rounds, +-half the min..max spread):\n", pfx);
	for (c = 0; c < NR_CASES; c++)
		if (case_selected(&rep.cases, c))
			printf("%s  %-9s %s\n", pfx, cases[c].name,
			       cases[c].desc);
	printf("%s\n%s%-16s", pfx, pfx, "metric");
	for (c = 0; c < NR_CASES; c++)
		if (case_selected(&rep.cases, c))
			printf(" %14s", cases[c].name);
	printf("\n");
	for (m = 0; m < rep.nmetrics; m++) {
		enum better better;
		const char *unit;

		metric_kind(rep.metrics[m], &unit, &better);
		snprintf(cell, sizeof(cell), "%s %s", rep.metrics[m], unit);
		printf("%s%-16s", pfx, cell);
		for (c = 0; c < NR_CASES; c++) {
			if (!case_selected(&rep.cases, c))
				continue;
			case_stats(c, m, &st);
			if (!st.n) {
				printf(" %14s", "-");
				continue;
			}
			fmt_value(val, sizeof(val), st.median);
			snprintf(cell, sizeof(cell), "%s+-%.0f%%", val,
				 50 * (st.max - st.min) / st.median);
			printf(" %14s", cell);
		}
		printf("\n");
	}

	printf("%s\n%sratios (median of per-round ratios [min..max]); * = target missed:\n",
	       pfx, pfx);
	for (k = 0; k < NR_COMPARISONS; k++) {
		const struct comparison *cmp = &comparisons[k];

		printf("%s  %s/%s: %s", pfx, cmp->num, cmp->den, cmp->what);
		if (cmp->kind == WITHIN)
			printf("; target within %.0f%%", 100 * cmp->target);
		else if (cmp->kind == TIMES)
			printf("; target %.0fx better", cmp->target);
		if (cmp->kind != INFO && !cmp->conn_too)
			printf(" (throughput, latency)");
		printf("\n");
	}
	printf("%s\n%s%-16s", pfx, pfx, "metric");
	for (k = 0; k < NR_COMPARISONS; k++) {
		snprintf(cell, sizeof(cell), "%s/%s", comparisons[k].num,
			 comparisons[k].den);
		printf(" %19s", cell);
	}
	printf("\n");
	for (m = 0; m < rep.nmetrics; m++) {
		printf("%s%-16s", pfx, rep.metrics[m]);
		for (k = 0; k < NR_COMPARISONS; k++) {
			const struct comparison *cmp = &comparisons[k];

			ratio_stats(cmp, m, &st);
			if (!st.n) {
				printf(" %19s", "-");
				continue;
			}
			snprintf(cell, sizeof(cell), "%s%.3f [%.2f..%.2f]",
				 target_covers(cmp, rep.metrics[m]) &&
				 !target_met(cmp, rep.metrics[m], st.median) ?
				 "*" : "", st.median, st.min, st.max);
			printf(" %19s", cell);
		}
		printf("\n");
	}
	for (k = 0; k < rep.nerrors; k++)
		printf("%serror: %s: %s\n", pfx, rep.errors[k][0],
		       rep.errors[k][1]);
}

/* The members of a stats object, which the caller opens and closes. */
static void json_stats(FILE *f, const struct stats *st)
{
	fprintf(f, "\"n\": %u, \"median\": %.6g, \"min\": %.6g, \"max\": %.6g",
		st->n, st->median, st->min, st->max);
}

/* A JSON string: config values and errors come from outside. */
static void json_str(FILE *f, const char *str)
{
	fputc('"', f);
	for (; *str; str++) {
		if (*str == '"' || *str == '\\')
			fprintf(f, "\\%c", *str);
		else if ((unsigned char)*str < 0x20)
			fprintf(f, "\\u%04x", *str);
		else
			fputc(*str, f);
	}
	fputc('"', f);
}

/* Names of cases, metrics and comparisons are plain words. */
static int write_json(const char *path)
{
	FILE *f = fopen(path, "w");
	unsigned int c, m, k, i, n;
	struct stats st;

	if (!f)
		return -errno;
	fprintf(f, "{\n  \"config\": {");
	for (k = 0; k < rep.nconfig; k++) {
		fprintf(f, "%s\n    ", k ? "," : "");
		json_str(f, rep.config[k][0]);
		fprintf(f, ": ");
		json_str(f, rep.config[k][1]);
	}
	fprintf(f, "\n  },\n  \"metrics\": {");
	for (m = 0; m < rep.nmetrics; m++) {
		enum better better;
		const char *unit;

		metric_kind(rep.metrics[m], &unit, &better);
		fprintf(f, "%s\n    \"%s\": {\"unit\": \"%s\", \"better\": \"%s\"}",
			m ? "," : "", rep.metrics[m], unit,
			better == HIGHER ? "higher" : "lower");
	}
	fprintf(f, "\n  },\n  \"cases\": {");
	for (c = 0; c < NR_CASES; c++) {
		fprintf(f, "%s\n    \"%s\": {\"module\": \"%s\", \"desc\": \"%s\"",
			c ? "," : "", cases[c].name, cases[c].module,
			cases[c].desc);
		for (m = 0; m < rep.nmetrics; m++) {
			case_stats(c, m, &st);
			if (!st.n)
				continue;
			fprintf(f, ",\n      \"%s\": {", rep.metrics[m]);
			json_stats(f, &st);
			/* The raw samples as [round, value], for a later look. */
			fprintf(f, ", \"samples\": [");
			for (i = n = 0; i < rep.n; i++)
				if (rep.s[i].c == c && rep.s[i].m == m)
					fprintf(f, "%s[%u, %.6g]", n++ ? ", " : "",
						rep.s[i].round, rep.s[i].v);
			fprintf(f, "]}");
		}
		fprintf(f, "\n    }");
	}
	fprintf(f, "\n  },\n  \"ratios\": {");
	for (k = 0; k < NR_COMPARISONS; k++) {
		const struct comparison *cmp = &comparisons[k];

		fprintf(f, "%s\n    \"%s/%s\": {\"what\": \"%s\"", k ? "," : "",
			cmp->num, cmp->den, cmp->what);
		if (cmp->kind != INFO)
			fprintf(f, ", \"target\": \"%s %g\"",
				cmp->kind == WITHIN ? "within" : "times",
				cmp->target);
		for (m = 0; m < rep.nmetrics; m++) {
			ratio_stats(cmp, m, &st);
			if (!st.n)
				continue;
			fprintf(f, ",\n      \"%s\": {", rep.metrics[m]);
			json_stats(f, &st);
			if (target_covers(cmp, rep.metrics[m]))
				fprintf(f, ", \"target_met\": %s",
					target_met(cmp, rep.metrics[m],
						   st.median) ? "true" : "false");
			fprintf(f, "}");
		}
		fprintf(f, "\n    }");
	}
	fprintf(f, "\n  },\n  \"errors\": [");
	for (k = 0; k < rep.nerrors; k++) {
		fprintf(f, "%s\n    {\"scope\": ", k ? "," : "");
		json_str(f, rep.errors[k][0]);
		fprintf(f, ", \"error\": ");
		json_str(f, rep.errors[k][1]);
		fprintf(f, "}");
	}
	fprintf(f, "\n  ]\n}\n");
	return fclose(f) ? -errno : 0;
}

static int report_main(int argc, char **argv)
{
	const char *json = NULL;
	unsigned int failed;
	bool tap = false;
	int i, ret;

	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--tap"))
			tap = true;
		else if (!strcmp(argv[i], "--json") && i + 1 < argc)
			json = argv[++i];
		else
			break;
	}
	if (i != argc) {
		fprintf(stderr, "usage: %s report [--tap] [--json FILE] < SAMPLES\n",
			argv[0]);
		return 2;
	}
	ret = read_samples(stdin);
	if (ret) {
		fprintf(stderr, "report: too many or malformed samples\n");
		return 1;
	}
	print_table(tap ? "# " : "");
	failed = print_verdicts(tap);
	if (json) {
		ret = write_json(json);
		if (ret) {
			fprintf(stderr, "report: %s: %s\n", json, strerror(-ret));
			return 1;
		}
	}
	return failed ? 1 : 0;
}

/* The modules that the cases of LIST (all cases without one) need. */
static int modules_main(int argc, char **argv)
{
	static const char *const modules[] = { "stock", "ours", "peer" };
	struct case_set set = {};
	unsigned int c, m;
	bool first = true;

	if (argc > 3 || (argc == 3 && parse_cases(&set, argv[2]))) {
		fprintf(stderr, "usage: vsock_fwd_bench modules [CASE,...]\n");
		return 2;
	}
	for (m = 0; m < ARRAY_SIZE(modules); m++) {
		for (c = 0; c < NR_CASES; c++)
			if (case_selected(&set, c) &&
			    !strcmp(cases[c].module, modules[m]))
				break;
		if (c < NR_CASES) {
			printf("%s%s", first ? "" : " ", modules[m]);
			first = false;
		}
	}
	printf("\n");
	return 0;
}

/* The real-guest cases of a module among LIST (or all cases). */
static int guests_main(int argc, char **argv)
{
	struct case_set set = {};
	unsigned int c;

	if (argc < 3 || argc > 4 || (argc == 4 && parse_cases(&set, argv[3]))) {
		fprintf(stderr, "usage: vsock_fwd_bench guests MODULE [CASE,...]\n");
		return 2;
	}
	for (c = 0; c < NR_CASES; c++)
		if (cases[c].peer == PEER_GUEST &&
		    !strcmp(cases[c].module, argv[2]) &&
		    (argc == 3 || set.only[c]))
			printf("%s\n", cases[c].name);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return run_main(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "modules"))
		return modules_main(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "guests"))
		return guests_main(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "report"))
		return report_main(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "relay"))
		return relay_main(argc, argv);
	fprintf(stderr, "usage: %s run|report|modules|guests|relay ... (see the source)\n",
		argv[0]);
	return 2;
}
