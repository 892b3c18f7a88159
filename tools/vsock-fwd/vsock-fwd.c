// SPDX-License-Identifier: GPL-2.0
/*
 * vsock-fwd: configure and watch vhost_vsock_fwd over its generic netlink
 * family (vsock_fwd), and stand in for a Nitro Enclave's parent.
 *
 * Exit status (stable, see vsock-fwd(8)):
 *   0  success
 *   1  the request failed (no such device or rule, invalid forward, ...)
 *   2  usage error
 *   3  the module is not loaded (no vsock_fwd family)
 *   4  permission denied (changes need CAP_NET_ADMIN)
 *   5  system error (netlink or vsock socket, out of memory)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/vm_sockets.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include <linux/vhost_fwd.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define VERSION "1.0"

enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_NOMODULE = 3,
	EXIT_PERM = 4,
	EXIT_SYSTEM = 5,
};

#define NITRO_PARENT_CID	3
#define HEARTBEAT_PORT		9000
#define HEARTBEAT_BYTE		0xb7

static const char *prog = "vsock-fwd";
static bool json, pretty;
/* In a batch (-b): the file and line being run, for messages. */
static const char *batch_file;
static unsigned int batch_line;
/* -k: a bad line of a batch does not stop the lines after it. */
static bool keep_going;

/* ---- messages ---- */

static void prefix(void)
{
	fprintf(stderr, "%s: ", prog);
	if (batch_file)
		fprintf(stderr, "%s:%u: ", batch_file, batch_line);
}

static void __attribute__((format(printf, 1, 2))) error(const char *fmt, ...)
{
	va_list ap;

	prefix();
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	prefix();
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", prog);
	return EXIT_USAGE;
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: %s [OPTIONS] COMMAND [ARGS]\n"
"\n"
"Configure CID forwarding of vhost_vsock_fwd devices by guest CID, list\n"
"them, and answer the Nitro Enclave boot heartbeat.\n"
"\n"
"Commands:\n"
"  show [CID]                 devices (all, or the one with guest CID)\n"
"  set CID parent TARGET [alias ALIAS] [strict]\n"
"                             rule: guest CID's traffic to ALIAS (default 3)\n"
"                             goes to TARGET (2 = this host, or a guest CID);\n"
"                             strict: the guest may talk to its parent only\n"
"  del CID                    delete the rule for guest CID\n"
"  accept CID [on|off]        the live guest CID may (or may no longer) be\n"
"                             the parent of guests whose rules name it\n"
"  rules                      list the rules\n"
"  monitor                    print devices appearing and vanishing and\n"
"                             forwards changing, until interrupted\n"
"  heartbeat [PORT] [count N] answer enclaves' boot heartbeat on vsock PORT\n"
"                             (default 9000); stop after N if given\n"
"\n"
"Options:\n"
"  -b, --batch FILE  run the set, del and accept commands in FILE (- for\n"
"                    standard input), one per line, over one netlink\n"
"                    socket; stop at the first that fails\n"
"  -k, --keep-going  in a batch, go on after a line that fails (its own\n"
"                    error: usage, or the request refused)\n"
"  -j, --json        JSON output\n"
"  -p, --pretty      indented JSON (implies -j)\n"
"  -h, --help        this help\n"
"  -V, --version     version\n"
"\n"
"Changing rules needs CAP_NET_ADMIN. Exit status: 0 success, 1 request\n"
"failed, 2 usage error, 3 module not loaded, 4 permission denied,\n"
"5 system error. See vsock-fwd(8).\n", prog);
}

/* ---- a small JSON writer, in the spirit of iproute2's json_print ---- */

static int jdepth;
static bool jfirst = true;

static void jnewline(void)
{
	int i;

	if (!pretty)
		return;
	putchar('\n');
	for (i = 0; i < jdepth; i++)
		fputs("    ", stdout);
}

static void jsep(void)
{
	if (!jfirst)
		putchar(',');
	if (jdepth)
		jnewline();
	jfirst = false;
}

static void jstr_raw(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void jkey(const char *key)
{
	jsep();
	if (key) {
		jstr_raw(key);
		fputs(pretty ? ": " : ":", stdout);
	}
}

static void jopen(const char *key, char c)
{
	jkey(key);
	putchar(c);
	jdepth++;
	jfirst = true;
}

static void jclose(char c)
{
	jdepth--;
	if (!jfirst)
		jnewline();
	putchar(c);
	jfirst = false;
}

static void jobj(const char *key)   { jopen(key, '{'); }
static void jobj_end(void)          { jclose('}'); }
static void jarr(const char *key)   { jopen(key, '['); }
static void jarr_end(void)          { jclose(']'); }

static void jstr(const char *key, const char *v)
{
	jkey(key);
	jstr_raw(v);
}

static void ju64(const char *key, uint64_t v)
{
	jkey(key);
	printf("%" PRIu64, v);
}

static void jbool(const char *key, bool v)
{
	jkey(key);
	fputs(v ? "true" : "false", stdout);
}

static void jnull(const char *key)
{
	jkey(key);
	fputs("null", stdout);
}

/* End of one JSON document (a line). */
static void jdone(void)
{
	putchar('\n');
	jfirst = true;
	fflush(stdout);
}

/* ---- netlink ---- */

struct request {
	int err;		/* errno from the kernel, 0 if none */
	char msg[256];		/* its extack message, if any */
	int count;		/* replies handled */
	int (*handle)(struct nlattr **tb, uint8_t cmd, void *arg);
	void *arg;
};

static struct nl_sock *sk;
static int family;

static const char *source_name(uint32_t source)
{
	switch (source) {
	case VSOCK_FWD_SOURCE_NONE:
		return "none";
	case VSOCK_FWD_SOURCE_IOCTL:
		return "ioctl";
	case VSOCK_FWD_SOURCE_RULE:
		return "rule";
	}
	return "unknown";
}

static int valid_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *gnlh = nlmsg_data(nlh);
	struct nlattr *tb[VSOCK_FWD_A_MAX + 1];
	struct request *req = arg;

	if (nlh->nlmsg_type != family)
		return NL_SKIP;
	if (genlmsg_parse(nlh, 0, tb, VSOCK_FWD_A_MAX, NULL) < 0)
		return NL_SKIP;
	req->count++;
	if (req->handle)
		return req->handle(tb, gnlh->cmd, req->arg);
	return NL_OK;
}

/* Keeps the kernel's errno and extack message. */
static int error_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct request *req = arg;
	struct nlattr *attr;
	size_t off;
	int rem;

	(void)nla;
	req->err = -e->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	off = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (NLMSG_HDRLEN + off > nlh->nlmsg_len)
		return NL_STOP;
	rem = nlh->nlmsg_len - NLMSG_HDRLEN - off;
	nla_for_each_attr(attr, (struct nlattr *)((char *)e + off), rem, rem) {
		if (nla_type(attr) == NLMSGERR_ATTR_MSG)
			snprintf(req->msg, sizeof(req->msg), "%.*s",
				 nla_len(attr), (char *)nla_data(attr));
	}
	return NL_STOP;
}

/* Connect once; the commands of a batch share the socket. */
static int nl_open(void)
{
	int one = 1;

	if (sk)
		return EXIT_OK;
	sk = nl_socket_alloc();
	if (!sk) {
		error("out of memory");
		return EXIT_SYSTEM;
	}
	if (genl_connect(sk)) {
		error("cannot open a generic netlink socket: %s",
		      strerror(errno));
		return EXIT_SYSTEM;
	}
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));
	family = genl_ctrl_resolve(sk, VSOCK_FWD_GENL_NAME);
	/* The stock module holds /dev/vhost-vsock: ours cannot load beside it. */
	if (family < 0 && !access("/sys/module/vhost_vsock", F_OK)) {
		error("forwarding needs the vhost_vsock_fwd module, which /dev/vhost-vsock is not (the stock vhost_vsock is loaded); load vhost_vsock_fwd in place of vhost_vsock");
		return EXIT_NOMODULE;
	}
	if (family < 0) {
		error("the kernel has no '%s' netlink family: the module is not loaded; load it with 'modprobe vhost_vsock_fwd'",
		      VSOCK_FWD_GENL_NAME);
		return EXIT_NOMODULE;
	}
	return EXIT_OK;
}

static struct nl_msg *new_msg(uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, flags,
			 cmd, VSOCK_FWD_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/*
 * Send msg (freed) and handle the replies until the ACK or the end of the
 * dump. Returns 0 or a positive errno, the kernel's one in req->err.
 */
static int transact(struct nl_msg *msg, struct request *req)
{
	bool dump = nlmsg_hdr(msg)->nlmsg_flags & NLM_F_DUMP;
	int err;

	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, valid_cb, req);
	nl_socket_modify_err_cb(sk, NL_CB_CUSTOM, error_cb, req);
	err = nl_send_auto(sk, msg);
	nlmsg_free(msg);
	if (err < 0) {
		error("cannot send to the kernel: %s", nl_geterror(err));
		return EIO;
	}
	err = dump ? nl_recvmsgs_default(sk) : nl_wait_for_ack(sk);
	if (req->err)
		return req->err;
	if (err < 0) {
		error("netlink: %s", nl_geterror(err));
		return EIO;
	}
	return 0;
}

/*
 * transact() for a request whose replies print as a list, with --json one
 * array: closed on success; on failure left open and its line ended.
 */
static int transact_list(struct nl_msg *msg, struct request *req)
{
	int err;

	if (json)
		jarr(NULL);
	err = transact(msg, req);
	if (err) {
		if (json)
			printf("\n");
		return err;
	}
	if (json) {
		jarr_end();
		jdone();
	}
	return 0;
}

/* The exit status for a kernel error, after saying what to do about it. */
static int request_failed(const struct request *req, const char *what)
{
	switch (req->err) {
	case EPERM:
	case EACCES:
		error("%s: permission denied; changing rules needs CAP_NET_ADMIN (run as root, e.g. with sudo)",
		      what);
		return EXIT_PERM;
	case EIO:
		return EXIT_SYSTEM;
	}
	if (req->msg[0])
		error("%s: %s", what, req->msg);
	else
		error("%s: %s", what, strerror(req->err));
	return EXIT_FAILED;
}

/* ---- arguments ---- */

static bool parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *v)
{
	unsigned long long x;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || *end || x < min || x > max)
		return false;
	*v = x;
	return true;
}

static bool parse_cid(const char *s, uint32_t *cid)
{
	return parse_u32(s, 3, UINT32_MAX - 1, cid);
}

/* ---- show ---- */

static const struct {
	int attr;
	const char *name;
} stat_names[] = {
	{ VSOCK_FWD_STATS_A_OUT_PKTS, "out_pkts" },
	{ VSOCK_FWD_STATS_A_OUT_BYTES, "out_bytes" },
	{ VSOCK_FWD_STATS_A_IN_PKTS, "in_pkts" },
	{ VSOCK_FWD_STATS_A_IN_BYTES, "in_bytes" },
	{ VSOCK_FWD_STATS_A_REFUSED_PKTS, "refused_pkts" },
	{ VSOCK_FWD_STATS_A_REFUSED_BYTES, "refused_bytes" },
	{ VSOCK_FWD_STATS_A_UNREACHABLE_PKTS, "unreachable_pkts" },
	{ VSOCK_FWD_STATS_A_UNREACHABLE_BYTES, "unreachable_bytes" },
	{ VSOCK_FWD_STATS_A_UNTRACKED_PKTS, "untracked_pkts" },
	{ VSOCK_FWD_STATS_A_UNTRACKED_BYTES, "untracked_bytes" },
	{ VSOCK_FWD_STATS_A_OVERRUN_PKTS, "overrun_pkts" },
	{ VSOCK_FWD_STATS_A_OVERRUN_BYTES, "overrun_bytes" },
	{ VSOCK_FWD_STATS_A_LIMIT_PKTS, "limit_pkts" },
	{ VSOCK_FWD_STATS_A_LIMIT_BYTES, "limit_bytes" },
};

static uint32_t get_u32(struct nlattr **tb, int attr)
{
	return tb[attr] ? nla_get_u32(tb[attr]) : 0;
}

static void print_forward_human(struct nlattr **tb)
{
	uint32_t flags = get_u32(tb, VSOCK_FWD_A_FLAGS);

	printf("parent %u alias %u", get_u32(tb, VSOCK_FWD_A_TARGET_CID),
	       get_u32(tb, VSOCK_FWD_A_ALIAS_CID));
	if (flags & VHOST_VSOCK_FORWARD_F_STRICT)
		printf(" strict");
	flags &= ~VHOST_VSOCK_FORWARD_F_STRICT;
	if (flags)
		printf(" flags 0x%x", flags);
}

static void print_forward_json(struct nlattr **tb)
{
	uint32_t flags = get_u32(tb, VSOCK_FWD_A_FLAGS);

	ju64("target_cid", get_u32(tb, VSOCK_FWD_A_TARGET_CID));
	ju64("alias_cid", get_u32(tb, VSOCK_FWD_A_ALIAS_CID));
	ju64("flags", flags);
	jbool("strict", flags & VHOST_VSOCK_FORWARD_F_STRICT);
}

/* The fields of a device, as JSON members or one human line (two). */
static void print_dev(struct nlattr **tb)
{
	struct nlattr *st[VSOCK_FWD_STATS_A_MAX + 1] = {};
	uint32_t source = get_u32(tb, VSOCK_FWD_A_SOURCE);
	bool fwd = tb[VSOCK_FWD_A_TARGET_CID];
	size_t i;

	if (tb[VSOCK_FWD_A_STATS])
		nla_parse_nested(st, VSOCK_FWD_STATS_A_MAX,
				 tb[VSOCK_FWD_A_STATS], NULL);

	if (json) {
		ju64("cid", get_u32(tb, VSOCK_FWD_A_CID));
		if (tb[VSOCK_FWD_A_PID])
			ju64("pid", get_u32(tb, VSOCK_FWD_A_PID));
		else
			jnull("pid");
		if (tb[VSOCK_FWD_A_COMM])
			jstr("comm", nla_get_string(tb[VSOCK_FWD_A_COMM]));
		else
			jnull("comm");
		jbool("running", tb[VSOCK_FWD_A_RUNNING] &&
		      nla_get_u8(tb[VSOCK_FWD_A_RUNNING]));
		ju64("features", tb[VSOCK_FWD_A_FEATURES] ?
		     nla_get_u64(tb[VSOCK_FWD_A_FEATURES]) : 0);
		jbool("accepts_children", get_u32(tb, VSOCK_FWD_A_PARENT_FLAGS) &
		      VHOST_VSOCK_PARENT_F_ACCEPT);
		if (fwd) {
			jobj("forward");
			print_forward_json(tb);
			jstr("source", source_name(source));
			jobj_end();
		} else {
			jnull("forward");
		}
		jobj("stats");
		for (i = 0; i < sizeof(stat_names) / sizeof(stat_names[0]); i++)
			ju64(stat_names[i].name, st[stat_names[i].attr] ?
			     nla_get_u64(st[stat_names[i].attr]) : 0);
		jobj_end();
		return;
	}

	printf("cid %u", get_u32(tb, VSOCK_FWD_A_CID));
	if (tb[VSOCK_FWD_A_PID])
		printf(" pid %u comm %s", get_u32(tb, VSOCK_FWD_A_PID),
		       tb[VSOCK_FWD_A_COMM] ?
		       nla_get_string(tb[VSOCK_FWD_A_COMM]) : "?");
	if (tb[VSOCK_FWD_A_RUNNING] && nla_get_u8(tb[VSOCK_FWD_A_RUNNING]))
		printf(" running");
	else
		printf(" stopped");
	if (tb[VSOCK_FWD_A_FEATURES])
		printf(" features 0x%" PRIx64,
		       (uint64_t)nla_get_u64(tb[VSOCK_FWD_A_FEATURES]));
	if (get_u32(tb, VSOCK_FWD_A_PARENT_FLAGS) & VHOST_VSOCK_PARENT_F_ACCEPT)
		printf(" accepts-children");
	printf("\n    forward ");
	if (fwd) {
		print_forward_human(tb);
		printf(" (%s)", source_name(source));
	} else {
		printf("off");
	}
	printf("\n    ");
	for (i = 0; i < sizeof(stat_names) / sizeof(stat_names[0]); i++)
		printf("%s%s %" PRIu64, i ? " " : "", stat_names[i].name,
		       st[stat_names[i].attr] ?
		       (uint64_t)nla_get_u64(st[stat_names[i].attr]) : 0);
	putchar('\n');
}

static int show_one(struct nlattr **tb, uint8_t cmd, void *arg)
{
	(void)cmd;
	(void)arg;
	if (!tb[VSOCK_FWD_A_CID])
		return NL_SKIP;
	if (json)
		jobj(NULL);
	print_dev(tb);
	if (json)
		jobj_end();
	return NL_OK;
}

static int cmd_show(int argc, char **argv)
{
	int ret;
	struct request req = { .handle = show_one };
	struct nl_msg *msg;
	uint32_t cid = 0;

	if (argc > 1)
		return usage_error("show: too many arguments");
	if (argc == 1 && !parse_cid(argv[0], &cid))
		return usage_error("show: '%s' is not a guest CID (3 to 4294967294)",
				   argv[0]);

	ret = nl_open();
	if (ret)
		return ret;
	msg = new_msg(VSOCK_FWD_CMD_DEV_GET, cid ? 0 : NLM_F_DUMP);
	if (!msg || (cid && nla_put_u32(msg, VSOCK_FWD_A_CID, cid))) {
		error("out of memory");
		return EXIT_SYSTEM;
	}
	if (transact_list(msg, &req)) {
		if (req.err == ENODEV) {
			error("no device has guest CID %u; 'vsock-fwd show' lists the devices",
			      cid);
			return EXIT_FAILED;
		}
		return request_failed(&req, "show");
	}
	return EXIT_OK;
}

/* ---- rules ---- */

static int rule_one(struct nlattr **tb, uint8_t cmd, void *arg)
{
	(void)cmd;
	(void)arg;
	if (!tb[VSOCK_FWD_A_CID])
		return NL_SKIP;
	if (json) {
		jobj(NULL);
		ju64("cid", get_u32(tb, VSOCK_FWD_A_CID));
		print_forward_json(tb);
		jobj_end();
	} else {
		printf("%u ", get_u32(tb, VSOCK_FWD_A_CID));
		print_forward_human(tb);
		putchar('\n');
	}
	return NL_OK;
}

static int cmd_rules(int argc, char **argv)
{
	int ret;
	struct request req = { .handle = rule_one };
	struct nl_msg *msg;

	(void)argv;
	if (argc)
		return usage_error("rules: too many arguments");
	ret = nl_open();
	if (ret)
		return ret;
	msg = new_msg(VSOCK_FWD_CMD_RULE_GET, NLM_F_DUMP);
	if (!msg) {
		error("out of memory");
		return EXIT_SYSTEM;
	}
	if (transact_list(msg, &req))
		return request_failed(&req, "rules");
	return EXIT_OK;
}

static int cmd_set(int argc, char **argv)
{
	int ret;
	uint32_t cid, target, alias = NITRO_PARENT_CID, flags = 0;
	struct request req = {};
	struct nl_msg *msg;
	char what[64];
	int i;

	if (argc < 3 || strcmp(argv[1], "parent"))
		return usage_error("set: expected 'set CID parent TARGET [alias CID] [strict]'");
	if (!parse_cid(argv[0], &cid))
		return usage_error("set: '%s' is not a guest CID (3 to 4294967294)",
				   argv[0]);
	if (!parse_u32(argv[2], 2, UINT32_MAX - 1, &target))
		return usage_error("set: parent '%s' is not 2 (this host) or a guest CID",
				   argv[2]);
	for (i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "strict")) {
			flags |= VHOST_VSOCK_FORWARD_F_STRICT;
		} else if (!strcmp(argv[i], "alias") && i + 1 < argc) {
			if (!parse_cid(argv[++i], &alias))
				return usage_error("set: alias '%s' is not a CID (3 to 4294967294)",
						   argv[i]);
		} else {
			return usage_error("set: unexpected '%s'", argv[i]);
		}
	}
	if (alias == cid || target == cid)
		return usage_error("set: the guest's own CID %u cannot be its alias or parent",
				   cid);

	ret = nl_open();
	if (ret)
		return ret;
	msg = new_msg(VSOCK_FWD_CMD_RULE_SET, 0);
	if (!msg || nla_put_u32(msg, VSOCK_FWD_A_CID, cid) ||
	    nla_put_u32(msg, VSOCK_FWD_A_TARGET_CID, target) ||
	    nla_put_u32(msg, VSOCK_FWD_A_ALIAS_CID, alias) ||
	    nla_put_u32(msg, VSOCK_FWD_A_FLAGS, flags)) {
		error("out of memory");
		return EXIT_SYSTEM;
	}
	if (transact(msg, &req)) {
		snprintf(what, sizeof(what), "set %u", cid);
		return request_failed(&req, what);
	}
	return EXIT_OK;
}

static int cmd_del(int argc, char **argv)
{
	int ret;
	struct request req = {};
	struct nl_msg *msg;
	uint32_t cid;
	char what[64];

	if (argc != 1)
		return usage_error("del: expected 'del CID'");
	if (!parse_cid(argv[0], &cid))
		return usage_error("del: '%s' is not a guest CID (3 to 4294967294)",
				   argv[0]);
	ret = nl_open();
	if (ret)
		return ret;
	msg = new_msg(VSOCK_FWD_CMD_RULE_DEL, 0);
	if (!msg || nla_put_u32(msg, VSOCK_FWD_A_CID, cid)) {
		error("out of memory");
		return EXIT_SYSTEM;
	}
	if (transact(msg, &req)) {
		if (req.err == ENOENT) {
			error("del: no rule for guest CID %u; 'vsock-fwd rules' lists them",
			      cid);
			return EXIT_FAILED;
		}
		snprintf(what, sizeof(what), "del %u", cid);
		return request_failed(&req, what);
	}
	return EXIT_OK;
}

/* ---- monitor ---- */

static int event_one(struct nlattr **tb, uint8_t cmd, void *arg)
{
	const char *event;

	(void)arg;
	switch (cmd) {
	case VSOCK_FWD_CMD_DEV_NEW:
		event = "new";
		break;
	case VSOCK_FWD_CMD_DEV_DEL:
		event = "del";
		break;
	case VSOCK_FWD_CMD_FWD_CHANGE:
		event = "forward";
		break;
	default:
		return NL_SKIP;
	}
	if (json) {
		jobj(NULL);
		jstr("event", event);
		if (cmd == VSOCK_FWD_CMD_DEV_DEL)
			ju64("cid", get_u32(tb, VSOCK_FWD_A_CID));
		else
			print_dev(tb);
		jobj_end();
		jdone();
		return NL_OK;
	}
	if (cmd == VSOCK_FWD_CMD_DEV_DEL) {
		printf("del cid %u\n", get_u32(tb, VSOCK_FWD_A_CID));
	} else {
		printf("%s ", event);
		print_dev(tb);
	}
	fflush(stdout);
	return NL_OK;
}

static int cmd_monitor(int argc, char **argv)
{
	int ret;
	struct request req = { .handle = event_one };
	int grp, err;

	(void)argv;
	if (argc)
		return usage_error("monitor: too many arguments");
	ret = nl_open();
	if (ret)
		return ret;
	grp = genl_ctrl_resolve_grp(sk, VSOCK_FWD_GENL_NAME,
				    VSOCK_FWD_GENL_MCGRP_EVENTS);
	if (grp < 0) {
		error("monitor: no '%s' group in the '%s' family; is the module up to date?",
		      VSOCK_FWD_GENL_MCGRP_EVENTS, VSOCK_FWD_GENL_NAME);
		return EXIT_FAILED;
	}
	nl_socket_disable_seq_check(sk);
	err = nl_socket_add_membership(sk, grp);
	if (err) {
		error("monitor: cannot join the events group: %s",
		      nl_geterror(err));
		return EXIT_SYSTEM;
	}
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, valid_cb, &req);
	for (;;) {
		err = nl_recvmsgs_default(sk);
		if (err < 0 && err != -NLE_INTR && err != -NLE_NOMEM) {
			error("monitor: %s", nl_geterror(err));
			return EXIT_SYSTEM;
		}
	}
}

/* ---- heartbeat ---- */

static void log_heartbeat(const struct sockaddr_vm *peer, bool ok, int byte)
{
	if (json) {
		jobj(NULL);
		jstr("event", "heartbeat");
		ju64("cid", peer->svm_cid);
		ju64("port", peer->svm_port);
		jbool("ok", ok);
		if (!ok && byte >= 0)
			ju64("byte", byte);
		jobj_end();
		jdone();
		return;
	}
	if (ok)
		printf("heartbeat from enclave cid %u port %u\n",
		       peer->svm_cid, peer->svm_port);
	else if (byte >= 0)
		printf("bad heartbeat 0x%02x from cid %u port %u (expected 0x%02x)\n",
		       byte, peer->svm_cid, peer->svm_port, HEARTBEAT_BYTE);
	else
		printf("no heartbeat from cid %u port %u\n",
		       peer->svm_cid, peer->svm_port);
	fflush(stdout);
}

static int cmd_heartbeat(int argc, char **argv)
{
	struct sockaddr_vm addr = {
		.svm_family = AF_VSOCK,
		.svm_cid = VMADDR_CID_ANY,
		.svm_port = HEARTBEAT_PORT,
	};
	struct timeval tv = { .tv_sec = 5 };
	uint32_t count = 0, served = 0;
	int lfd, i;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "count") && i + 1 < argc) {
			if (!parse_u32(argv[++i], 1, UINT32_MAX, &count))
				return usage_error("heartbeat: count '%s' is not a positive number",
						   argv[i]);
		} else if (i == 0 && parse_u32(argv[i], 1, UINT32_MAX - 1,
					       &addr.svm_port)) {
			continue;
		} else {
			return usage_error("heartbeat: unexpected '%s'",
					   argv[i]);
		}
	}

	signal(SIGPIPE, SIG_IGN);
	lfd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0) {
		error("heartbeat: no vsock sockets (%s); load the module with 'modprobe vhost_vsock_fwd'",
		      strerror(errno));
		return errno == EAFNOSUPPORT ? EXIT_NOMODULE : EXIT_SYSTEM;
	}
	if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(lfd, 16)) {
		error("heartbeat: cannot listen on vsock port %u: %s%s",
		      addr.svm_port, strerror(errno),
		      errno == EADDRINUSE ?
		      " (is another parent, e.g. nitro-cli, running?)" : "");
		close(lfd);
		return EXIT_SYSTEM;
	}
	/* Scripts and service managers wait for this: the parent is ready. */
	if (json) {
		jobj(NULL);
		jstr("event", "listening");
		ju64("port", addr.svm_port);
		jobj_end();
		jdone();
	} else {
		printf("listening on vsock port %u\n", addr.svm_port);
	}
	fflush(stdout);

	while (!count || served < count) {
		struct sockaddr_vm peer = {};
		socklen_t len = sizeof(peer);
		unsigned char b;
		int fd, byte = -1;
		bool ok = false;

		fd = accept4(lfd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			error("heartbeat: accept: %s", strerror(errno));
			close(lfd);
			return EXIT_SYSTEM;
		}
		/* An enclave that never writes must not stop the others. */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (read(fd, &b, 1) == 1) {
			byte = b;
			ok = b == HEARTBEAT_BYTE && write(fd, &b, 1) == 1;
		}
		log_heartbeat(&peer, ok, byte);
		close(fd);
		served++;
	}
	close(lfd);
	return EXIT_OK;
}

static int cmd_accept(int argc, char **argv)
{
	uint32_t cid, flags = VHOST_VSOCK_PARENT_F_ACCEPT;
	struct request req = {};
	struct nl_msg *msg;
	char what[64];
	int ret;

	if (argc < 1 || argc > 2)
		return usage_error("accept: expected 'accept CID [on|off]'");
	if (!parse_cid(argv[0], &cid))
		return usage_error("accept: '%s' is not a guest CID (3 to 4294967294)",
				   argv[0]);
	if (argc == 2 && !strcmp(argv[1], "off"))
		flags = 0;
	else if (argc == 2 && strcmp(argv[1], "on"))
		return usage_error("accept: expected 'on' or 'off', not '%s'",
				   argv[1]);

	ret = nl_open();
	if (ret)
		return ret;
	msg = new_msg(VSOCK_FWD_CMD_DEV_SET, 0);
	if (!msg || nla_put_u32(msg, VSOCK_FWD_A_CID, cid) ||
	    nla_put_u32(msg, VSOCK_FWD_A_PARENT_FLAGS, flags)) {
		error("out of memory");
		return EXIT_SYSTEM;
	}
	if (transact(msg, &req)) {
		snprintf(what, sizeof(what), "accept %u", cid);
		return request_failed(&req, what);
	}
	return EXIT_OK;
}

/* ---- main ---- */

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	bool batch;	/* allowed in a batch: changes, which print nothing */
} commands[] = {
	{ "show", cmd_show, false },
	{ "list", cmd_show, false },
	{ "set", cmd_set, true },
	{ "del", cmd_del, true },
	{ "delete", cmd_del, true },
	{ "accept", cmd_accept, true },
	{ "rules", cmd_rules, false },
	{ "monitor", cmd_monitor, false },
	{ "heartbeat", cmd_heartbeat, false },
};

static int run_command(int argc, char **argv)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[0], commands[i].name))
			continue;
		if (batch_file && !commands[i].batch)
			return usage_error("'%s' cannot be batched: only set, del and accept can",
					   argv[0]);
		return commands[i].fn(argc - 1, argv + 1);
	}
	return usage_error("unknown command '%s'", argv[0]);
}

#define BATCH_MAX_ARGS	16

/* Run one line of a batch: words split on blanks, '#' starts a comment. */
static int run_batch_line(char *line)
{
	char *word, *save, *argv[BATCH_MAX_ARGS];
	int argc = 0;

	line[strcspn(line, "#")] = 0;
	for (word = strtok_r(line, " \t\r\n", &save); word;
	     word = strtok_r(NULL, " \t\r\n", &save)) {
		if (argc == BATCH_MAX_ARGS)
			return usage_error("too many words");
		argv[argc++] = word;
	}
	return argc ? run_command(argc, argv) : EXIT_OK;
}

/*
 * Each line of @file a command. The socket nl_open() made for the first is
 * reused. With -k, a line that is wrong or refused is reported and the
 * rest still run; a missing module, a missing privilege or a system error
 * would fail every line alike and stops the batch. The status is that of
 * the first line that failed.
 */
static int run_batch(const char *file)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	char *line = NULL;
	size_t cap = 0;
	int r, ret = EXIT_OK;

	if (!f) {
		error("batch: %s: %s", file, strerror(errno));
		return EXIT_USAGE;
	}
	batch_file = file;
	while (getline(&line, &cap, f) >= 0) {
		batch_line++;
		r = run_batch_line(line);
		if (r == EXIT_OK)
			continue;
		if (ret == EXIT_OK)
			ret = r;
		if (!keep_going || (r != EXIT_USAGE && r != EXIT_FAILED))
			break;
	}
	if (ret == EXIT_OK && ferror(f)) {
		error("batch: reading %s: %s", file, strerror(errno));
		ret = EXIT_SYSTEM;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "batch", required_argument, NULL, 'b' },
		{ "keep-going", no_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	const char *batch = NULL;
	int c, ret;

	while ((c = getopt_long(argc, argv, "+b:kjphV", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			batch = optarg;
			break;
		case 'k':
			keep_going = true;
			break;
		case 'j':
			json = true;
			break;
		case 'p':
			json = pretty = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("%s %s\n", prog, VERSION);
			return EXIT_OK;
		default:
			fprintf(stderr, "Try '%s --help'.\n", prog);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (keep_going && !batch)
		return usage_error("-k goes with -b");
	if (batch && argc)
		return usage_error("a command and -b cannot go together");
	if (!batch && !argc)
		return usage_error("no command given");
	if (!batch && !strcmp(argv[0], "help")) {
		usage(stdout);
		return EXIT_OK;
	}

	ret = batch ? run_batch(batch) : run_command(argc, argv);
	if (sk)
		nl_socket_free(sk);
	return ret;
}
