// SPDX-License-Identifier: GPL-2.0
/*
 * fwd_nl_raw: malformed requests to the vsock_fwd generic netlink family,
 * hand-built so that every byte is ours. Each must fail with the errno the
 * strict policies promise, and the family must still work afterwards.
 * Prints one "PASS name" or "FAIL name: why" line per case (netlink_test.sh
 * turns them into TAP); exits 0 when all passed. Needs CAP_NET_ADMIN.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/vhost_fwd.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define BUF_SIZE 8192

static int fd, family, failed;
static uint32_t seq = 1;
/* The extack of the last ACK: its message ("" if none), missing attribute. */
static char ack_msg[256];
static int ack_miss;

/* Keep the extended ACK's message and missing-attribute type. */
static void parse_ack(const struct nlmsghdr *h)
{
	const struct nlmsgerr *e = NLMSG_DATA(h);
	const struct nlattr *a;
	int rem;

	ack_msg[0] = '\0';
	ack_miss = -1;
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	/* With NETLINK_CAP_ACK only the request's header is echoed. */
	a = (const struct nlattr *)((const char *)e + sizeof(*e));
	rem = (int)h->nlmsg_len - NLMSG_HDRLEN - (int)sizeof(*e);
	while (rem >= (int)sizeof(*a) && a->nla_len >= sizeof(*a) &&
	       a->nla_len <= rem) {
		const char *data = (const char *)a + NLA_HDRLEN;

		if (a->nla_type == NLMSGERR_ATTR_MSG)
			snprintf(ack_msg, sizeof(ack_msg), "%.*s",
				 (int)(a->nla_len - NLA_HDRLEN), data);
		else if (a->nla_type == NLMSGERR_ATTR_MISS_TYPE)
			ack_miss = *(const uint32_t *)data;
		rem -= NLA_ALIGN(a->nla_len);
		a = (const struct nlattr *)((const char *)a +
					    NLA_ALIGN(a->nla_len));
	}
}

struct msg {
	union {
		struct nlmsghdr nlh;
		char buf[BUF_SIZE];
	};
	size_t len;
};

static void msg_init(struct msg *m, uint16_t type, uint8_t cmd,
		     uint16_t flags)
{
	struct genlmsghdr *g;

	memset(m, 0, sizeof(*m));
	m->nlh.nlmsg_type = type;
	m->nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	m->nlh.nlmsg_seq = seq++;
	g = (struct genlmsghdr *)(m->buf + NLMSG_HDRLEN);
	g->cmd = cmd;
	g->version = VSOCK_FWD_GENL_VERSION;
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
}

/* An attribute of any length; nla_len says len unless it is overridden. */
static void put_raw(struct msg *m, uint16_t type, const void *data,
		    size_t len, int nla_len_override)
{
	struct nlattr *a = (struct nlattr *)(m->buf + m->len);

	a->nla_type = type;
	a->nla_len = nla_len_override >= 0 ? (size_t)nla_len_override :
		     NLA_HDRLEN + len;
	memcpy(m->buf + m->len + NLA_HDRLEN, data, len);
	m->len += NLA_ALIGN(NLA_HDRLEN + len);
}

static void put_u32(struct msg *m, uint16_t type, uint32_t v)
{
	put_raw(m, type, &v, sizeof(v), -1);
}

/*
 * Send and return the errno of the ACK (0 for success). Replies before
 * the ACK (a get) are skipped; *replies counts them.
 */
static int transact(struct msg *m, size_t len, int *replies)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[65536];
	ssize_t n;

	if (replies)
		*replies = 0;
	m->nlh.nlmsg_len = len;
	if (sendto(fd, m->buf, m->len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0)
		return -1000 - errno;
	for (;;) {
		struct nlmsghdr *h;

		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -2000 - errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != m->nlh.nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				parse_ack(h);
				return -((struct nlmsgerr *)NLMSG_DATA(h))->error;
			}
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (replies)
				(*replies)++;
		}
	}
}

static int send_msg(struct msg *m)
{
	return transact(m, m->len, NULL);
}

/*
 * The errno, and what the extended ACK promises: the message, when msg is
 * given, contains it; the missing attribute, when miss >= 0, is that one.
 */
static void expect_ack(const char *name, int got, int want, const char *msg,
		       int miss)
{
	if (got != want) {
		printf("FAIL %s: got %d (%s), expected %d (%s)\n", name, got,
		       got > 0 && got < 1000 ? strerror(got) : "?", want,
		       strerror(want));
		failed = 1;
	} else if (msg && !strstr(ack_msg, msg)) {
		printf("FAIL %s: extack \"%s\", expected \"%s\"\n", name,
		       ack_msg, msg);
		failed = 1;
	} else if (miss >= 0 && ack_miss != miss) {
		printf("FAIL %s: missing attribute %d reported, expected %d\n",
		       name, ack_miss, miss);
		failed = 1;
	} else {
		printf("PASS %s\n", name);
	}
	fflush(stdout);
}

static void expect(const char *name, int got, int want)
{
	expect_ack(name, got, want, NULL, -1);
}

static int resolve_family(void)
{
	struct msg m;
	char buf[8192];
	struct nlmsghdr *h;
	ssize_t n;

	msg_init(&m, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	m.nlh.nlmsg_flags &= ~NLM_F_ACK;
	((struct genlmsghdr *)(m.buf + NLMSG_HDRLEN))->version = 2;
	put_raw(&m, CTRL_ATTR_FAMILY_NAME, VSOCK_FWD_GENL_NAME,
		sizeof(VSOCK_FWD_GENL_NAME), -1);
	m.nlh.nlmsg_len = m.len;
	if (send(fd, m.buf, m.len, 0) < 0)
		return -1;
	n = recv(fd, buf, sizeof(buf), 0);
	h = (struct nlmsghdr *)buf;
	if (n < 0 || !NLMSG_OK(h, n) || h->nlmsg_type == NLMSG_ERROR)
		return -1;
	{
		struct nlattr *a = (struct nlattr *)((char *)NLMSG_DATA(h) +
						     GENL_HDRLEN);
		int rem = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;

		while (rem >= (int)sizeof(*a) && a->nla_len >= sizeof(*a) &&
		       a->nla_len <= rem) {
			if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID)
				return *(uint16_t *)((char *)a + NLA_HDRLEN);
			rem -= NLA_ALIGN(a->nla_len);
			a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
		}
	}
	return -1;
}

int main(void)
{
	struct timeval tv = { .tv_sec = 10 };
	const int one = 1;
	const uint32_t cid = 4242;
	uint64_t u64 = cid;
	uint8_t u8 = 7;
	struct msg m;
	int replies, err;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0) {
		printf("FAIL socket: %s\n", strerror(errno));
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	family = resolve_family();
	if (family < 0) {
		printf("FAIL resolve_family: no %s family\n",
		       VSOCK_FWD_GENL_NAME);
		return 1;
	}

	/* Wrong attribute types: a u8 and a u64 where a u32 belongs. */
	msg_init(&m, family, VSOCK_FWD_CMD_RULE_SET, 0);
	put_raw(&m, VSOCK_FWD_A_CID, &u8, sizeof(u8), -1);
	put_u32(&m, VSOCK_FWD_A_TARGET_CID, 2);
	expect("raw.u8_for_u32", send_msg(&m), EINVAL);

	msg_init(&m, family, VSOCK_FWD_CMD_RULE_SET, 0);
	put_raw(&m, VSOCK_FWD_A_CID, &u64, sizeof(u64), -1);
	put_u32(&m, VSOCK_FWD_A_TARGET_CID, 2);
	expect("raw.u64_for_u32", send_msg(&m), EINVAL);

	/* A nested flag on a plain attribute. */
	msg_init(&m, family, VSOCK_FWD_CMD_RULE_SET, 0);
	put_u32(&m, VSOCK_FWD_A_CID | NLA_F_NESTED, cid);
	put_u32(&m, VSOCK_FWD_A_TARGET_CID, 2);
	expect("raw.nested_flag_on_u32", send_msg(&m), EINVAL);

	/* Short lengths: an attribute header that claims 2 bytes... */
	msg_init(&m, family, VSOCK_FWD_CMD_RULE_SET, 0);
	put_u32(&m, VSOCK_FWD_A_CID, cid);
	put_raw(&m, VSOCK_FWD_A_TARGET_CID, &u64, 4, 2);
	expect("raw.attr_len_below_header", send_msg(&m), EINVAL);

	/* ...an attribute that claims more than the message holds... */
	msg_init(&m, family, VSOCK_FWD_CMD_RULE_SET, 0);
	put_u32(&m, VSOCK_FWD_A_CID, cid);
	put_raw(&m, VSOCK_FWD_A_TARGET_CID, &u64, 4, 64);
	expect("raw.attr_len_past_message", send_msg(&m), EINVAL);

	/* ...and a message too short for its generic netlink header. */
	msg_init(&m, family, VSOCK_FWD_CMD_RULE_SET, 0);
	expect("raw.message_shorter_than_genl_header",
	       transact(&m, NLMSG_HDRLEN + 2, NULL), EINVAL);

	/* Unknown attributes: beyond the family's, and not the command's. */
	msg_init(&m, family, VSOCK_FWD_CMD_RULE_SET, 0);
	put_u32(&m, VSOCK_FWD_A_CID, cid);
	put_u32(&m, VSOCK_FWD_A_TARGET_CID, 2);
	put_u32(&m, 200, 1);
	expect_ack("raw.unknown_attr_type", send_msg(&m), EINVAL,
		   "Unknown attribute type", -1);

	msg_init(&m, family, VSOCK_FWD_CMD_RULE_SET, 0);
	put_u32(&m, VSOCK_FWD_A_CID, cid);
	put_u32(&m, VSOCK_FWD_A_TARGET_CID, 2);
	put_u32(&m, VSOCK_FWD_A_PID, 1);
	expect("raw.attr_not_of_this_command", send_msg(&m), EINVAL);

	msg_init(&m, family, VSOCK_FWD_CMD_DEV_GET, NLM_F_DUMP);
	put_u32(&m, VSOCK_FWD_A_CID, cid);
	expect("raw.attr_in_dump_request", send_msg(&m), EINVAL);

	/* Missing attributes. */
	msg_init(&m, family, VSOCK_FWD_CMD_RULE_SET, 0);
	put_u32(&m, VSOCK_FWD_A_CID, cid);
	expect_ack("raw.set_without_target", send_msg(&m), EINVAL, NULL,
		   VSOCK_FWD_A_TARGET_CID);

	msg_init(&m, family, VSOCK_FWD_CMD_RULE_SET, 0);
	put_u32(&m, VSOCK_FWD_A_TARGET_CID, 2);
	expect_ack("raw.set_without_cid", send_msg(&m), EINVAL, NULL,
		   VSOCK_FWD_A_CID);

	msg_init(&m, family, VSOCK_FWD_CMD_RULE_DEL, 0);
	expect_ack("raw.del_without_cid", send_msg(&m), EINVAL, NULL,
		   VSOCK_FWD_A_CID);

	msg_init(&m, family, VSOCK_FWD_CMD_DEV_GET, 0);
	expect_ack("raw.get_without_cid", send_msg(&m), EINVAL, NULL,
		   VSOCK_FWD_A_CID);

	/* Values out of their policy. */
	msg_init(&m, family, VSOCK_FWD_CMD_RULE_SET, 0);
	put_u32(&m, VSOCK_FWD_A_CID, 2);
	put_u32(&m, VSOCK_FWD_A_TARGET_CID, 2);
	expect_ack("raw.reserved_guest_cid", send_msg(&m), ERANGE,
		   "integer out of range", -1);

	msg_init(&m, family, VSOCK_FWD_CMD_RULE_SET, 0);
	put_u32(&m, VSOCK_FWD_A_CID, cid);
	put_u32(&m, VSOCK_FWD_A_TARGET_CID, 1);
	expect_ack("raw.local_target", send_msg(&m), ERANGE,
		   "integer out of range", -1);

	msg_init(&m, family, VSOCK_FWD_CMD_RULE_SET, 0);
	put_u32(&m, VSOCK_FWD_A_CID, cid);
	put_u32(&m, VSOCK_FWD_A_TARGET_CID, 2);
	put_u32(&m, VSOCK_FWD_A_FLAGS, 0x80);
	expect_ack("raw.unknown_flag", send_msg(&m), EINVAL,
		   "reserved bit set", -1);

	msg_init(&m, family, VSOCK_FWD_CMD_RULE_SET, 0);
	put_u32(&m, VSOCK_FWD_A_CID, cid);
	put_u32(&m, VSOCK_FWD_A_TARGET_CID, cid);
	expect_ack("raw.target_is_own_cid", send_msg(&m), EINVAL,
		   "the target CID is the guest's own CID", -1);

	/* A parent's consent: known flags, for a device that exists. */
	msg_init(&m, family, VSOCK_FWD_CMD_DEV_SET, 0);
	put_u32(&m, VSOCK_FWD_A_CID, cid);
	put_u32(&m, VSOCK_FWD_A_PARENT_FLAGS, 0x80);
	expect_ack("raw.unknown_parent_flag", send_msg(&m), EINVAL,
		   "reserved bit set", -1);

	msg_init(&m, family, VSOCK_FWD_CMD_DEV_SET, 0);
	put_u32(&m, VSOCK_FWD_A_CID, cid);
	expect_ack("raw.dev_set_without_flags", send_msg(&m), EINVAL, NULL,
		   VSOCK_FWD_A_PARENT_FLAGS);

	msg_init(&m, family, VSOCK_FWD_CMD_DEV_SET, 0);
	put_u32(&m, VSOCK_FWD_A_CID, cid);
	put_u32(&m, VSOCK_FWD_A_PARENT_FLAGS, VHOST_VSOCK_PARENT_F_ACCEPT);
	expect_ack("raw.dev_set_no_device", send_msg(&m), ENODEV,
		   "no device with guest CID 4242", -1);

	/* The header: reserved bits, unknown and notification-only commands. */
	msg_init(&m, family, VSOCK_FWD_CMD_RULE_DEL, 0);
	((struct genlmsghdr *)(m.buf + NLMSG_HDRLEN))->reserved = 1;
	put_u32(&m, VSOCK_FWD_A_CID, cid);
	expect("raw.reserved_header_field", send_msg(&m), EINVAL);

	msg_init(&m, family, 99, 0);
	expect("raw.unknown_command", send_msg(&m), EOPNOTSUPP);

	msg_init(&m, family, VSOCK_FWD_CMD_DEV_NEW, 0);
	expect("raw.notification_as_request", send_msg(&m), EOPNOTSUPP);

	/* Still working: a whole rule life cycle. */
	msg_init(&m, family, VSOCK_FWD_CMD_RULE_SET, 0);
	put_u32(&m, VSOCK_FWD_A_CID, cid);
	put_u32(&m, VSOCK_FWD_A_TARGET_CID, 2);
	err = send_msg(&m);
	if (!err) {
		msg_init(&m, family, VSOCK_FWD_CMD_RULE_GET, 0);
		put_u32(&m, VSOCK_FWD_A_CID, cid);
		err = transact(&m, m.len, &replies);
		if (!err && replies != 1)
			err = -3000 - replies;
	}
	if (!err) {
		msg_init(&m, family, VSOCK_FWD_CMD_RULE_DEL, 0);
		put_u32(&m, VSOCK_FWD_A_CID, cid);
		err = send_msg(&m);
	}
	expect("raw.still_works_after", err, 0);

	close(fd);
	return failed;
}
