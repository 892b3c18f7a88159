// SPDX-License-Identifier: GPL-2.0
/*
 * vsock_fwd_bench: the cases and their measurements (run), and the
 * userspace relay that the relay case measures us against.
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
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
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

#include "bench.h"

#define ALIAS_CID	3ULL
#define SOCAT_PORT	9100
/* Poll interval of servers that wait for connections until told to stop. */
#define POLL_MS		100
/* CIDs of the idle devices: far above what fg_unique_cid() hands out. */
#define IDLE_CID_BASE	1000000ULL
#define RX_BUF		(256 * 1024)
#define RELAY_BUF	(64 * 1024)
/* Ping-pong rounds not measured, while caches and the scheduler settle. */
#define LAT_WARMUP	20

/* A's forward to the parent B, whose CID is only known at run time. */
#define TARGET_PARENT	UINT64_MAX

const struct bench_case cases[] = {
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

_Static_assert(ARRAY_SIZE(cases) == NR_CASES, "NR_CASES in bench.h");

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- the environment of one module's measurements ---- */

bool case_selected(const struct case_set *set, unsigned int c)
{
	return set->some ? set->only[c] : cases[c].peer != PEER_GUEST;
}

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

void fail(const char *scope, const char *what, int err)
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

int relay_main(int argc, char **argv)
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
	int tries;
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

bool case_runs(const struct bench_env *env, unsigned int i, bool idle)
{
	return !strcmp(cases[i].module, env->opts->module) &&
	       cases[i].peer != PEER_GUEST && cases[i].idle == idle &&
	       case_selected(&env->opts->cases, i);
}

void run_cases(struct bench_env *env, bool idle)
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

int parse_cases(struct case_set *set, const char *arg)
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
