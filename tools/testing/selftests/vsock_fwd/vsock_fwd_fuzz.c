// SPDX-License-Identifier: GPL-2.0
/*
 * vsock_fwd_fuzz: a seeded, bounded fuzzer of vhost_vsock_fwd on fake
 * guests. Four fake guests and host sockets do random well-formed and
 * malformed things -- raw headers with any op, type, flags and length,
 * descriptors of odd sizes, buffers chained over up to FG_MAX_CHAIN
 * descriptors split anywhere, forwards and parent consent set and withdrawn,
 * netlink requests (rules set and deleted, random commands and attributes)
 * in bursts, devices stopped and restarted, guests closed with streams
 * open, and VMMs killed mid-stream -- while checked transfers run.
 *
 * Invariants, each a failure of the run:
 *  - a transfer that was not reset delivers exactly what was sent, and a
 *    transfer ends (completes or is reset) within XFER_MS of silence;
 *  - data read before a reset is a prefix of what was sent;
 *  - every socket whose peer went away (closed, reset, killed) reports its
 *    end or a reset within CLOSE_MS;
 *  - no guest receives a packet addressed to another CID;
 *  - once all is closed, Slab and MemAvailable come back within
 *    SLAB_TOL_KB and AVAIL_TOL_KB of where they were after a warm-up;
 *    MemAvailable with the free pages on per-CPU lists, which an idle
 *    CPU keeps (up to its pcp "high", ~28 MB a CPU in the test VM)
 *    however long one waits.
 * The harness adds: no kernel report (panic_on_warn, the dmesg scan) and
 * a module that unloads.
 *
 * The seed fixes the sequence of actions; thread timing is not replayed,
 * so a failure found with a seed may need a few replays to recur.
 *
 *   vsock_fwd_fuzz [--seed N]... [--iterations N] [--verbose]
 *
 * Each --seed is a run of its own, from fresh guests and a new memory
 * baseline, with three TAP results; without one, a seed from the clock.
 * Every run first prints its seed and the command that replays it.
 * 'make check' runs the fixed seeds of the fuzz line in ./suites. A random
 * seed by hand, in the test VM as 'make check' runs it:
 *
 *   tools/testing/selftests/vsock_fwd/vm/run.sh --module ours \
 *	--append 'slub_debug=FZPU kfence.sample_interval=10' -- \
 *	build/selftests/vsock_fwd_fuzz --iterations 100 --verbose
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/vhost.h>
#include <linux/vhost_fwd.h>
#include <linux/vm_sockets.h>

#include "fake_guest.h"

#define NG		4
#define NPOOL		8
#define HOST_PORT	7000	/* + type: host listeners */
#define GUEST_PORT	7100	/* + type: every guest listens there */
#define CONNECT_MS	5000
#define XFER_MS		30000
#define CLOSE_MS	30000
#define SLAB_TOL_KB	4096
/*
 * What is left once the per-CPU lists count as free: at most 3.3 MB over
 * the fuzz suite's seeds (the fuzzer's own heap and page tables, per-CPU
 * vmstat deltas of up to 24 pages a CPU per counter); 8 MB of leak fails.
 */
#define AVAIL_TOL_KB	8192
#define STREAM		VIRTIO_VSOCK_TYPE_STREAM
#define SEQPACKET	VIRTIO_VSOCK_TYPE_SEQPACKET
#define MAX_SEEDS	64

/*
 * The actions follow from rng; the shapes of the guests' descriptor
 * chains from shape_rng, a stream of its own, so that chains leave the
 * actions of every seed as they were before.
 */
static uint64_t rng, shape_rng;
static unsigned int iter, violations, verbose;
static const char *prog;

static uint64_t rnd_from(uint64_t *r)
{
	/* xorshift64*: the whole run follows from the seed. */
	*r ^= *r >> 12;
	*r ^= *r << 25;
	*r ^= *r >> 27;
	return *r * 2685821657736338717ULL;
}

static uint64_t rnd(void)
{
	return rnd_from(&rng);
}

static uint32_t below(uint32_t n)
{
	return n ? rnd() % n : 0;
}

static void violation(const char *fmt, ...)
{
	va_list ap;

	violations++;
	printf("# VIOLATION at iteration %u: ", iter);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void note(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	printf("# %u: ", iter);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* ---- guests and host listeners ---- */

static struct fg_guest *guest[NG];
static uint64_t cid[NG];
static int host_lfd[3];	/* by type */
/* What happened, for the summary. */
static unsigned int n_xfer_ok, n_xfer_reset, n_conn_fail, n_kill, n_close;

static const uint64_t odd_cid[] = {
	0, 1, 2, 3, 4, VMADDR_CID_ANY, 1ULL << 32, ~0ULL,
};
#define N_ODD_CID	(sizeof(odd_cid) / sizeof(odd_cid[0]))

static uint64_t rnd_cid(void)
{
	return below(4) ? cid[below(NG)] : odd_cid[below(N_ODD_CID)];
}

static void guest_start(unsigned int i)
{
	static const uint32_t rx_bufs[] = { 0, 0, 4096, 1500 };
	uint64_t shape = rnd_from(&shape_rng);
	struct fg_config cfg = {
		.cid = cid[i],
		.rx_buf = rx_bufs[below(4)],
		.iotlb = !below(8),
		/* Sometimes no SEQPACKET (feature bit 1). */
		.features_clear = below(6) ? 0 : 1ULL << 1,
		/* Half the guests chain their buffers. */
		.chain = shape & 1 ? 1 + (shape >> 1) % FG_MAX_CHAIN : 1,
		.chain_seed = shape,
	};
	int ret;

	ret = fg_start(&cfg, &guest[i]);
	if (ret) {
		guest[i] = NULL;
		note("start guest %u: %d", i, ret);
		return;
	}
	fg_listen(guest[i], STREAM, GUEST_PORT + STREAM);
	fg_listen(guest[i], SEQPACKET, GUEST_PORT + SEQPACKET);
	note("started guest %u cid %llu rx_buf %u chain %u", i,
	     (unsigned long long)cid[i], cfg.rx_buf, cfg.chain);
}

/* ---- open streams: a pool, and how their ends must end ---- */

struct stream {
	struct fg_end end[2];
	int g[2];		/* guest index of each end, -1: host */
	bool used;
};

static struct stream pool[NPOOL];

/*
 * The peer of this end went away: it must see the end of the stream or a
 * reset within CLOSE_MS, after whatever data was still queued.
 */
static void expect_end(const struct fg_end *e, const char *why)
{
	char buf[4096];
	ssize_t n;

	if (e->fd >= 0) {
		do
			n = fg_end_recv(e, buf, sizeof(buf), CLOSE_MS);
		while (n > 0);
		if (n != 0 && n != -ECONNRESET && n != -EPIPE &&
		    n != -ENOTCONN)
			violation("host socket after %s: %zd", why, n);
		return;
	}
	if (fg_wait_closed(e->c, CLOSE_MS))
		violation("guest connection not closed after %s", why);
}

/* Whether this end has seen its stream end (a reset, or the peer's close). */
static bool end_ended(const struct fg_end *e)
{
	ssize_t n;
	char c;

	if (e->fd < 0)
		return fg_wait_closed(e->c, 0) == 0;
	n = recv(e->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n < 0 && (errno == ECONNRESET || errno == ENOTCONN));
}

static void end_free(struct fg_end *e)
{
	if (e->fd >= 0)
		close(e->fd);
	else
		fg_conn_free(e->c);
}

/* Close one end of a pooled stream and check the other. */
static void stream_close(struct stream *s, unsigned int which)
{
	note("closing the end on %d of a stream with %d", s->g[which],
	     s->g[!which]);
	end_free(&s->end[which]);
	expect_end(&s->end[!which], "its peer closed");
	end_free(&s->end[!which]);
	s->used = false;
}

/* Guest i is closing: streams with one end there lose that end. */
static void guest_close(unsigned int i)
{
	unsigned int k, j;

	if (!guest[i])
		return;
	if (fg_misaddressed(guest[i]))
		violation("guest %u got %u misaddressed packets", i,
			  fg_misaddressed(guest[i]));
	fg_close(guest[i]);
	guest[i] = NULL;
	n_close++;
	for (k = 0; k < NPOOL; k++) {
		struct stream *s = &pool[k];

		if (!s->used)
			continue;
		for (j = 0; j < 2; j++)
			if (s->g[j] == (int)i)
				break;
		if (j == 2)
			continue;
		if (s->g[!j] != (int)i) {
			expect_end(&s->end[!j], "its device closed");
			end_free(&s->end[!j]);
		}
		s->used = false;
	}
}

/* ---- connections ---- */

static int host_accept_from(int type, uint32_t port)
{
	uint32_t pport;
	int i, fd;

	/* Forged REQUESTs may have queued connections of their own. */
	for (i = 0; i < 8; i++) {
		fd = fg_host_accept(host_lfd[type], CONNECT_MS, NULL, &pport);
		if (fd < 0)
			return fd;
		if (pport == port)
			return fd;
		close(fd);
	}
	return -ETIMEDOUT;
}

static int guest_accept_from(unsigned int h, int type, uint32_t port,
			     struct fg_conn **cp)
{
	int i, ret;

	for (i = 0; i < 8; i++) {
		ret = fg_accept(guest[h], GUEST_PORT + type, CONNECT_MS, cp);
		if (ret)
			return ret;
		if (fg_conn_peer_port(*cp) == port)
			return 0;
		fg_conn_free(*cp);
	}
	return -ETIMEDOUT;
}

static int guest_index(uint64_t c)
{
	unsigned int i;

	for (i = 0; i < NG; i++)
		if (guest[i] && cid[i] == c)
			return i;
	return -1;
}

/*
 * Open a stream of this type between random ends; fills s (end[0] is the
 * side that connected). Returns 0 or a negative errno (no stream).
 */
static int stream_open(struct stream *s, int type)
{
	unsigned int a = below(NG), k;
	static const int kinds[] = { 0, 0, 1, 1, 1, 1, 2, 2, 3 };
	struct fg_conn *c, *pc;
	int kind = kinds[below(9)], h, fd, ret;

	for (k = 0; k < NG && !guest[a]; k++)
		a = (a + 1) % NG;
	if (!guest[a])
		return -ENODEV;
	s->g[0] = a;
	if (kind == 0 || kind == 1) {
		/* To the host directly, or to the alias. */
		struct vhost_vsock_forward f = { 0 };
		uint64_t dst = VMADDR_CID_HOST, target = VMADDR_CID_HOST;

		if (kind == 1) {
			/* No forward: the alias is the host's own CID. */
			fg_ioctl(fg_fd(guest[a]), VHOST_VSOCK_GET_FORWARD, &f);
			if (f.alias_cid) {
				dst = f.alias_cid;
				target = f.target_cid;
			}
		}
		h = target == VMADDR_CID_HOST ? -1 : guest_index(target);
		if (target != VMADDR_CID_HOST && h < 0)
			return -ENOENT;
		ret = fg_connect(guest[a], type, dst,
				 h < 0 ? HOST_PORT + type : GUEST_PORT + type,
				 CONNECT_MS, &c);
		if (ret)
			return ret;
		s->end[0] = FG_END_GUEST(c);
		s->g[1] = h;
		if (h < 0) {
			fd = host_accept_from(type, fg_conn_local_port(c));
			if (fd >= 0 && fg_host_timeouts(fd, XFER_MS) == 0) {
				s->end[1] = FG_END_HOST(fd);
				return 0;
			}
			ret = fd < 0 ? fd : -EIO;
			if (fd >= 0)
				close(fd);
		} else {
			ret = guest_accept_from(h, type, fg_conn_local_port(c),
						&pc);
			if (!ret) {
				s->end[1] = FG_END_GUEST(pc);
				return 0;
			}
		}
		fg_conn_free(c);
		return ret;
	}
	if (kind == 2) {
		/* From the host to the guest. */
		struct sockaddr_vm sa;
		socklen_t sl = sizeof(sa);

		fd = fg_host_connect(type == STREAM ? SOCK_STREAM :
				     SOCK_SEQPACKET, cid[a], GUEST_PORT + type,
				     CONNECT_MS);
		if (fd < 0)
			return fd;
		if (getsockname(fd, (struct sockaddr *)&sa, &sl) ||
		    fg_host_timeouts(fd, XFER_MS) ||
		    guest_accept_from(a, type, sa.svm_port, &pc)) {
			close(fd);
			return -EIO;
		}
		s->end[0] = FG_END_HOST(fd);
		s->g[0] = -1;
		s->end[1] = FG_END_GUEST(pc);
		s->g[1] = a;
		return 0;
	}
	/* Guest to guest by CID: no route unless the forward gives one. */
	h = below(NG);
	if (!guest[h] || h == (int)a)
		return -ENOENT;
	ret = fg_connect(guest[a], type, cid[h], GUEST_PORT + type,
			 CONNECT_MS, &c);
	if (ret)
		return ret;
	ret = guest_accept_from(h, type, fg_conn_local_port(c), &pc);
	if (ret) {
		fg_conn_free(c);
		return ret;
	}
	s->end[0] = FG_END_GUEST(c);
	s->end[1] = FG_END_GUEST(pc);
	s->g[1] = h;
	return 0;
}

/* ---- netlink ---- */

static int nl_fd = -1, nl_events = -1;
static uint16_t nl_family;
static uint32_t nl_seq;

struct nl_msg {
	union {
		struct nlmsghdr nlh;
		char buf[1024];
	};
};

static void nl_put(struct nl_msg *m, uint16_t type, const void *data,
		   uint16_t len)
{
	struct nlattr *a = (void *)(m->buf + NLMSG_ALIGN(m->nlh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	m->nlh.nlmsg_len = NLMSG_ALIGN(m->nlh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static void nl_u32(struct nl_msg *m, uint16_t type, uint32_t v)
{
	nl_put(m, type, &v, sizeof(v));
}

static void nl_init(struct nl_msg *m, uint16_t type, uint8_t cmd,
		    uint16_t flags)
{
	struct genlmsghdr *g = NLMSG_DATA(&m->nlh);

	memset(m, 0, sizeof(*m));
	m->nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	m->nlh.nlmsg_type = type;
	m->nlh.nlmsg_flags = NLM_F_REQUEST | flags;
	m->nlh.nlmsg_seq = ++nl_seq;
	g->cmd = cmd;
	g->version = VSOCK_FWD_GENL_VERSION;
}

/* Read what is there, without waiting: replies are not checked. */
static void nl_drain(int fd)
{
	char buf[16384];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

static int nl_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[4096];
	struct nl_msg m;
	struct nlattr *a;
	ssize_t n;
	int len, grp = 0;

	nl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl_fd < 0)
		return -errno;
	nl_init(&m, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	((struct genlmsghdr *)NLMSG_DATA(&m.nlh))->version = 1;
	nl_put(&m, CTRL_ATTR_FAMILY_NAME, VSOCK_FWD_GENL_NAME,
	       sizeof(VSOCK_FWD_GENL_NAME));
	if (sendto(nl_fd, &m, m.nlh.nlmsg_len, 0, (void *)&sa, sizeof(sa)) < 0)
		return -errno;
	n = recv(nl_fd, buf, sizeof(buf), 0);
	if (n < (ssize_t)NLMSG_LENGTH(GENL_HDRLEN) ||
	    ((struct nlmsghdr *)buf)->nlmsg_type == NLMSG_ERROR)
		return -ENOENT;
	len = n - NLMSG_LENGTH(GENL_HDRLEN);
	a = (void *)(buf + NLMSG_LENGTH(GENL_HDRLEN));
	for (; len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= len;
	     len -= NLA_ALIGN(a->nla_len),
	     a = (void *)((char *)a + NLA_ALIGN(a->nla_len))) {
		if (a->nla_type == CTRL_ATTR_FAMILY_ID)
			nl_family = *(uint16_t *)((char *)a + NLA_HDRLEN);
		if (a->nla_type == CTRL_ATTR_MCAST_GROUPS) {
			/* The family has one group: its first entry's id. */
			struct nlattr *e = (void *)((char *)a + NLA_HDRLEN);
			struct nlattr *f = (void *)((char *)e + NLA_HDRLEN);
			int el = e->nla_len - NLA_HDRLEN;

			for (; el >= NLA_HDRLEN && f->nla_len >= NLA_HDRLEN;
			     el -= NLA_ALIGN(f->nla_len),
			     f = (void *)((char *)f + NLA_ALIGN(f->nla_len)))
				if (f->nla_type == CTRL_ATTR_MCAST_GRP_ID)
					grp = *(uint32_t *)((char *)f +
							    NLA_HDRLEN);
		}
	}
	if (!nl_family)
		return -ENOENT;
	/* A listener that is read only now and then, and may overrun. */
	nl_events = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
			   NETLINK_GENERIC);
	if (nl_events < 0 || !grp ||
	    setsockopt(nl_events, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp,
		       sizeof(grp)))
		return -EIO;
	return 0;
}

/* One request: mostly well-formed rule and device changes, some junk. */
static void nl_request(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	static const uint64_t targets[] = { 0, 2, 3 };
	struct nl_msg m;
	unsigned int i, n;
	uint32_t v;

	switch (below(6)) {
	case 0:
	case 1:
		nl_init(&m, nl_family, VSOCK_FWD_CMD_RULE_SET, NLM_F_ACK);
		v = rnd_cid();
		nl_u32(&m, VSOCK_FWD_A_CID, v);
		n = below(2) ? rnd_cid() : targets[below(3)];
		nl_u32(&m, VSOCK_FWD_A_TARGET_CID, n);
		note("rule set %u -> %u", v, n);
		if (below(2))
			nl_u32(&m, VSOCK_FWD_A_ALIAS_CID,
			       below(4) ? 3 : rnd_cid());
		if (below(2))
			nl_u32(&m, VSOCK_FWD_A_FLAGS, below(4));
		break;
	case 2:
		nl_init(&m, nl_family, VSOCK_FWD_CMD_RULE_DEL, NLM_F_ACK);
		v = rnd_cid();
		nl_u32(&m, VSOCK_FWD_A_CID, v);
		note("rule del %u", v);
		break;
	case 3:
		nl_init(&m, nl_family, VSOCK_FWD_CMD_DEV_SET, NLM_F_ACK);
		v = rnd_cid();
		nl_u32(&m, VSOCK_FWD_A_CID, v);
		n = below(3);
		nl_u32(&m, VSOCK_FWD_A_PARENT_FLAGS, n);
		note("dev set %u parent flags %u", v, n);
		break;
	case 4:
		nl_init(&m, nl_family, below(2) ? VSOCK_FWD_CMD_DEV_GET :
			VSOCK_FWD_CMD_RULE_GET,
			below(2) ? NLM_F_DUMP : NLM_F_ACK);
		if (below(2))
			nl_u32(&m, VSOCK_FWD_A_CID, rnd_cid());
		break;
	default:
		/* Any command, any flags, attributes of any type and size. */
		nl_init(&m, below(8) ? nl_family : (uint16_t)below(0x20),
			below(__VSOCK_FWD_CMD_MAX + 3), below(0x10000));
		((struct genlmsghdr *)NLMSG_DATA(&m.nlh))->version = below(3);
		n = below(6);
		for (i = 0; i < n; i++) {
			unsigned char junk[64];
			uint16_t len = below(2) ? 4 : below(sizeof(junk));

			v = rnd_cid();
			memcpy(junk, &v, sizeof(v));
			fg_pattern(junk + 4, sizeof(junk) - 4, rnd(), 0);
			nl_put(&m, below(__VSOCK_FWD_A_MAX + 3) |
			       (below(8) ? 0 : NLA_F_NESTED), junk, len);
		}
		if (!below(8))	/* a length that lies */
			m.nlh.nlmsg_len -= below(m.nlh.nlmsg_len);
		break;
	}
	sendto(nl_fd, &m, m.nlh.nlmsg_len, MSG_DONTWAIT, (void *)&sa,
	       sizeof(sa));
}

/*
 * What a run leaves behind that the next one would meet, its guests having
 * the same CIDs: rules, which outlive devices (deleted by every CID the
 * run may have named), and connections waiting in the host listeners.
 */
static void leftovers_clear(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct nl_msg m;
	unsigned int i;
	int fd;

	for (i = 0; i < NG + N_ODD_CID; i++) {
		nl_init(&m, nl_family, VSOCK_FWD_CMD_RULE_DEL, NLM_F_ACK);
		nl_u32(&m, VSOCK_FWD_A_CID, i < NG ? cid[i] : odd_cid[i - NG]);
		sendto(nl_fd, &m, m.nlh.nlmsg_len, 0, (void *)&sa, sizeof(sa));
		nl_drain(nl_fd);
	}
	for (i = STREAM; i <= SEQPACKET; i++)
		while ((fd = fg_host_accept(host_lfd[i], 0, NULL, NULL)) >= 0)
			close(fd);
}

/* ---- the actions ---- */

/* Mostly forwards that route, to the host or a sibling; some invalid. */
static void act_forward(void)
{
	static const uint64_t aliases[] = { 3, 3, 3, 4, 1, 0 };
	struct vhost_vsock_forward f = { 0 };
	unsigned int i = below(NG);

	if (!guest[i])
		return;
	switch (below(8)) {
	case 0:
		break;
	case 1:
	case 2:
		f.alias_cid = aliases[below(6)];
		f.target_cid = rnd_cid();
		f.flags = below(4);
		f.reserved = below(4) ? 0 : 1;
		break;
	default:
		f.alias_cid = 3;
		f.target_cid = below(2) ? VMADDR_CID_HOST : cid[below(NG)];
		f.flags = below(3) ? 0 : VHOST_VSOCK_FORWARD_F_STRICT;
		break;
	}
	note("guest %u forward %llu -> %llu flags %u: %d", i,
	     (unsigned long long)f.alias_cid,
	     (unsigned long long)f.target_cid, f.flags,
	     fg_ioctl(fg_fd(guest[i]), VHOST_VSOCK_SET_FORWARD, &f));
}

static void act_parent(void)
{
	static const uint32_t flags[] = {
		VHOST_VSOCK_PARENT_F_ACCEPT, VHOST_VSOCK_PARENT_F_ACCEPT, 0, 2,
	};
	struct vhost_vsock_parent p = { .flags = flags[below(4)] };
	unsigned int i = below(NG);

	if (guest[i])
		note("guest %u parent flags %u: %d", i, p.flags,
		     fg_ioctl(fg_fd(guest[i]), VHOST_VSOCK_SET_PARENT, &p));
}

static void act_netlink(void)
{
	unsigned int i, n = 1 + below(64);

	for (i = 0; i < n; i++) {
		nl_request();
		if (!below(8))
			nl_drain(nl_fd);
	}
	nl_drain(nl_fd);
	note("%u netlink requests", n);
	if (below(2))
		nl_drain(nl_events);
}

/* Packets no connection expects, from ports no connection uses. */
static void act_raw(void)
{
	static const uint32_t ports[] = { 0, 1, 1023, VMADDR_PORT_ANY };
	static const uint32_t lens[] = {
		0, 1, 4096, FG_MAX_PKT_PAYLOAD, FG_MAX_PKT_PAYLOAD + 1,
		UINT32_MAX,
	};
	unsigned int i = below(NG), n = 1 + below(16), k;
	static unsigned char payload[FG_MAX_PKT_PAYLOAD + 1];
	struct fg_pkt *p;

	if (!guest[i])
		return;
	for (k = 0; k < n; k++) {
		struct fg_hdr h = {
			.src_cid = below(4) ? cid[i] : rnd_cid(),
			.dst_cid = below(3) ? 3 : rnd_cid(),
			.src_port = below(2) ? 0x40000000 + below(256) :
				ports[below(4)],
			.dst_port = below(2) ? GUEST_PORT + below(3) :
				below(2) ? HOST_PORT + below(3) : rnd(),
			.type = below(4),
			.op = below(VIRTIO_VSOCK_OP_CREDIT_REQUEST + 3),
			.flags = below(2) ? below(4) : rnd(),
			.buf_alloc = below(2) ? FG_BUF_ALLOC : rnd(),
			.fwd_cnt = rnd(),
		};
		size_t len = below(2) ? below(256) : lens[below(6)];

		if (len > sizeof(payload))
			len = below(sizeof(payload));
		h.len = below(4) ? len : lens[below(6)];
		fg_send_pkt(guest[i], &h, payload, len, 1000);
	}
	note("guest %u sent %u raw packets", i, n);
	/* The RSTs and RESPONSEs that came back are not checked. */
	while (fg_recv_pkt(guest[i], &p, 0) == 0)
		free(p);
}

/* One descriptor of an odd size: shorter than a header, or lying. */
static void act_buf(void)
{
	unsigned char buf[512];
	unsigned int i = below(NG);

	if (!guest[i])
		return;
	fg_pattern(buf, sizeof(buf), rnd(), 0);
	note("guest %u sent a buffer: %d", i,
	     fg_send_buf(guest[i], buf, below(sizeof(buf))));
}

static void act_stop_restart(void)
{
	unsigned int i = below(NG);

	if (!guest[i])
		return;
	note("guest %u stopped and restarted", i);
	fg_set_running(fg_fd(guest[i]), 0);
	usleep(below(50000));
	fg_set_running(fg_fd(guest[i]), 1);
}

static void act_pause_rx(void)
{
	unsigned int i = below(NG);

	if (!guest[i])
		return;
	note("guest %u paused RX", i);
	fg_pause_rx(guest[i], true);
	usleep(below(200000));
	fg_pause_rx(guest[i], false);
}

/* Actions that free nothing a running transfer uses. */
static void act_background(void)
{
	switch (below(8)) {
	case 0: act_forward(); break;
	case 1: act_parent(); break;
	case 2: act_netlink(); break;
	case 3: act_raw(); break;
	case 4: act_buf(); break;
	case 5: act_stop_restart(); break;
	case 6: act_pause_rx(); break;
	default: break;
	}
}

struct xfer {
	struct stream s;
	int type;
	size_t len;
	uint64_t seed;
	int ret;
	pthread_t t;
};

static void *xfer_run(void *arg)
{
	struct xfer *x = arg;
	unsigned int dir = x->seed & 1;

	if (x->type == STREAM) {
		x->ret = fg_transfer(&x->s.end[dir], &x->s.end[!dir], x->len,
				     x->seed, XFER_MS);
	} else {
		size_t sizes[4];
		unsigned int i;

		for (i = 0; i < 4; i++)
			sizes[i] = 1 + (x->seed >> (8 * i)) % (x->len + 1);
		x->ret = fg_transfer_msgs(&x->s.end[dir], &x->s.end[!dir],
					  sizes, 4, XFER_MS);
		/*
		 * A message cut short by a reset reads as a short one (a
		 * host socket reads 0 at the end): only a receiver whose
		 * stream goes on has seen a corrupt message.
		 */
		if (x->ret == -EBADMSG && end_ended(&x->s.end[!dir]))
			x->ret = -ECONNRESET;
	}
	return NULL;
}

/*
 * A checked transfer while other actions run. Only -EBADMSG (corrupt
 * data) and a timeout (neither delivered nor reset: -ETIMEDOUT on a
 * guest, -EAGAIN on a host socket) break an invariant.
 */
static void act_transfer(void)
{
	struct xfer x = {
		.type = below(3) ? STREAM : SEQPACKET,
		.seed = rnd(),
	};
	unsigned int k, n = below(6);
	int ret;

	x.len = x.type == STREAM ? 1 + below(1 << (1 + below(19))) :
		1 + below(FG_BUF_ALLOC - 1);
	ret = stream_open(&x.s, x.type);
	if (ret) {
		n_conn_fail++;
		note("no stream: %d", ret);
		return;
	}
	if (pthread_create(&x.t, NULL, xfer_run, &x)) {
		violation("pthread_create");
		return;
	}
	for (k = 0; k < n; k++)
		act_background();
	pthread_join(x.t, NULL);
	note("transfer type %d len %zu seed %llu ends %d,%d: %d", x.type,
	     x.len, (unsigned long long)x.seed, x.s.g[0], x.s.g[1], x.ret);
	if (x.ret == -EBADMSG || x.ret == -ETIMEDOUT || x.ret == -EAGAIN)
		violation("transfer type %d of %zu bytes between %d and %d: %s",
			  x.type, x.len, x.s.g[0], x.s.g[1],
			  x.ret == -EBADMSG ? "data corrupted" :
			  "neither delivered nor reset");
	if (x.ret)
		n_xfer_reset++;
	else
		n_xfer_ok++;
	stream_close(&x.s, below(2));
}

/* Open a stream, leave data unread in it, and keep it in the pool. */
static void act_pool_open(void)
{
	unsigned char buf[8192];
	struct stream *s = NULL;
	unsigned int k;

	for (k = 0; k < NPOOL; k++)
		if (!pool[k].used)
			s = &pool[k];
	if (!s || stream_open(s, STREAM))
		return;
	s->used = true;
	fg_pattern(buf, sizeof(buf), rnd(), 0);
	fg_end_send(&s->end[below(2)], buf, below(sizeof(buf)), 1000);
}

static void act_pool_close(void)
{
	struct stream *s = &pool[below(NPOOL)];

	if (s->used)
		stream_close(s, below(2));
}

/*
 * A VMM that dies mid-stream: a child process runs a guest (its own CID,
 * maybe forwarded to the host) that streams the pattern to a host
 * listener until it is killed. What the host read before the reset must
 * be the pattern's prefix, and the reset must come.
 */
static void act_kill(void)
{
	uint64_t seed = rnd(), pos = 0;
	bool fwd = below(2);
	unsigned char buf[16384], want[16384];
	uint32_t port;
	pid_t pid;
	ssize_t n;
	int fd, pfd[2];

	if (pipe(pfd))
		return;
	pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		struct vhost_vsock_forward f = { .alias_cid = 3,
						 .target_cid = 2 };
		struct fg_guest *g;
		struct fg_conn *c;
		uint64_t off = 0;

		close(pfd[0]);
		if (fg_start_cid(fg_unique_cid(0), &g))
			_exit(1);
		if (fwd)
			fg_ioctl(fg_fd(g), VHOST_VSOCK_SET_FORWARD, &f);
		if (fg_connect(g, STREAM, fwd ? 3 : 2, HOST_PORT + STREAM,
			       CONNECT_MS, &c))
			_exit(1);
		port = fg_conn_local_port(c);
		if (write(pfd[1], &port, sizeof(port)) != sizeof(port))
			_exit(1);
		for (;;) {
			fg_pattern(buf, sizeof(buf), seed, off);
			if (fg_send(c, buf, sizeof(buf), -1) < 0)
				_exit(1);
			off += sizeof(buf);
		}
	}
	close(pfd[1]);
	if (read(pfd[0], &port, sizeof(port)) != sizeof(port)) {
		n_conn_fail++;
		goto out;
	}
	fd = host_accept_from(STREAM, port);
	if (fd < 0 || fg_host_timeouts(fd, CLOSE_MS)) {
		n_conn_fail++;
		if (fd >= 0)
			close(fd);
		goto out;
	}
	/*
	 * Maybe read a little (-EAGAIN: not yet), kill the VMM now or
	 * after the first check, and read to the reset.
	 */
	n = below(3) ? recv(fd, buf, sizeof(buf), 0) : -EAGAIN;
	if (!below(3)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = 0;
		n_kill++;
	}
	for (;;) {
		if (n > 0) {
			fg_pattern(want, n, seed, pos);
			if (memcmp(buf, want, n)) {
				violation("data before a kill corrupted at %llu",
					  (unsigned long long)pos);
				break;
			}
			pos += n;
		} else if (n == 0 || (n == -1 && errno == ECONNRESET)) {
			break;
		} else if (n == -1) {
			violation("host socket of a killed guest: errno %d",
				  errno);
			break;
		}
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			pid = 0;
			n_kill++;
		}
		n = recv(fd, buf, sizeof(buf), 0);
	}
	close(fd);
out:
	close(pfd[0]);
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/* Close a device with whatever it has open, and mostly start it again. */
static void act_guest(void)
{
	unsigned int i = below(NG);

	guest_close(i);
	if (below(4))
		guest_start(i);
}

static void step(void)
{
	unsigned int r = below(32);

	if (r < 8)
		act_transfer();
	else if (r < 11)
		act_guest();
	else if (r < 13)
		act_pool_open();
	else if (r < 14)
		act_pool_close();
	else if (r < 15)
		act_kill();
	else
		act_background();
}

static void close_all(void)
{
	unsigned int i;

	for (i = 0; i < NPOOL; i++)
		if (pool[i].used)
			stream_close(&pool[i], below(2));
	for (i = 0; i < NG; i++)
		guest_close(i);
}

/*
 * One run from seed: results 3 * t + 1 to 3 * t + 3 of the TAP plan.
 * Returns how many of them failed.
 */
static unsigned int fuzz(unsigned long long seed, unsigned int iterations,
			 unsigned int t)
{
	long slab0, avail0, pcp0, slab = 0, avail = 0, pcp = 0;
	unsigned int i, during;
	bool mem_ok = false;

	rng = seed ? seed : 1;
	iter = 0;
	shape_rng = ~seed ? ~seed : 1;
	violations = 0;
	n_xfer_ok = n_xfer_reset = n_conn_fail = n_kill = n_close = 0;
	printf("# seed %llu iterations %u (replay: %s --seed %llu --iterations %u)\n",
	       seed, iterations, prog, seed, iterations);

	/* Warm up the caches the run will use, then measure. */
	for (i = 0; i < NG; i++)
		guest_start(i);
	close_all();
	leftovers_clear();
	slab0 = fg_meminfo_kb("Slab");
	pcp0 = fg_pcp_free_kb();
	avail0 = fg_mem_available_kb();

	for (i = 0; i < NG; i++)
		guest_start(i);
	for (iter = 0; iter < iterations; iter++)
		step();
	during = violations;
	close_all();
	nl_drain(nl_events);
	printf("# %u transfers whole, %u reset, %u streams not opened, %u guests closed, %u VMMs killed\n",
	       n_xfer_ok, n_xfer_reset, n_conn_fail, n_close, n_kill);
	printf("%sok %u invariants during the run (seed %llu)\n",
	       during ? "not " : "", 3 * t + 1, seed);
	printf("%sok %u every socket ended when all closed (seed %llu)\n",
	       violations != during ? "not " : "", 3 * t + 2, seed);

	/* RCU and deferred work free a little later. */
	for (i = 0; i < 20 && !mem_ok; i++) {
		if (i)
			sleep(1);
		slab = fg_meminfo_kb("Slab");
		pcp = fg_pcp_free_kb();
		avail = fg_mem_available_kb();
		mem_ok = avail0 >= 0 && avail >= 0 &&
			 slab - slab0 < SLAB_TOL_KB &&
			 avail0 - avail < AVAIL_TOL_KB;
	}
	printf("# Slab %+ld kB (tolerance %d), MemAvailable+per-CPU free %+ld kB (tolerance -%d; per-CPU %+ld kB)\n",
	       slab - slab0, SLAB_TOL_KB, avail - avail0, AVAIL_TOL_KB,
	       pcp - pcp0);
	printf("%sok %u memory back to its level (seed %llu)\n",
	       mem_ok ? "" : "not ", 3 * t + 3, seed);
	return !!during + (violations != during) + !mem_ok;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ }
	};
	unsigned long long seeds[MAX_SEEDS];
	unsigned int iterations = 200, nseeds = 0, i, failed = 0;
	struct timespec ts;
	int o;

	prog = argv[0];
	while ((o = getopt_long(argc, argv, "s:n:v", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			if (nseeds == MAX_SEEDS) {
				fprintf(stderr, "at most %d seeds\n", MAX_SEEDS);
				return 2;
			}
			seeds[nseeds++] = strtoull(optarg, NULL, 0);
			break;
		case 'n': iterations = strtoul(optarg, NULL, 0); break;
		case 'v': verbose = 1; break;
		default:
			fprintf(stderr, "usage: %s [--seed N]... [--iterations N] [--verbose]\n",
				argv[0]);
			return 2;
		}
	}
	if (!nseeds) {
		clock_gettime(CLOCK_REALTIME, &ts);
		seeds[nseeds++] = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	printf("TAP version 13\n1..%u\n", 3 * nseeds);

	for (i = 0; i < NG; i++)
		cid[i] = fg_unique_cid(i);
	for (i = STREAM; i <= SEQPACKET; i++) {
		uint32_t port = HOST_PORT + i;

		host_lfd[i] = fg_host_listen_on(i == STREAM ? SOCK_STREAM :
						 SOCK_SEQPACKET, port);
		if (host_lfd[i] < 0) {
			printf("Bail out! host listener: %d\n", host_lfd[i]);
			return 1;
		}
	}
	o = nl_open();
	if (o) {
		printf("Bail out! netlink family %s: %d\n",
		       VSOCK_FWD_GENL_NAME, o);
		return 1;
	}

	for (i = 0; i < nseeds; i++)
		failed += fuzz(seeds[i], iterations, i);

	close(nl_fd);
	close(nl_events);
	close(host_lfd[STREAM]);
	close(host_lfd[SEQPACKET]);
	return failed != 0;
}
