// SPDX-License-Identifier: GPL-2.0
/*
 * vsock-fwd: the client of the vsock_fwd generic netlink family: family
 * resolution, requests, dumps, events, and the kernel's extack messages.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include <linux/vhost_fwd.h>

#include "nl.h"
#include "utils.h"
#include "vsock-fwd.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

static struct nl_sock *sk;
static int family;

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

/* Once: the commands of a batch share the socket. */
int fwdnl_open(void)
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

void fwdnl_close(void)
{
	nl_socket_free(sk);
	sk = NULL;
}

struct nl_msg *fwdnl_new(uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0,
				flags, cmd, VSOCK_FWD_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int fwdnl_transact(struct nl_msg *msg, struct request *req)
{
	bool dump = nlmsg_hdr(msg)->nlmsg_flags & NLM_F_DUMP;
	int err;

	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, valid_cb, req);
	nl_socket_modify_err_cb(sk, NL_CB_CUSTOM, error_cb, req);
	err = nl_send_auto(sk, msg);
	nlmsg_free(msg);
	if (err < 0) {
		error("cannot send to the kernel: %s", nl_geterror(err));
		return req->err = EIO;
	}
	err = dump ? nl_recvmsgs_default(sk) : nl_wait_for_ack(sk);
	if (req->err)
		return req->err;
	if (err < 0) {
		error("netlink: %s", nl_geterror(err));
		return req->err = EIO;
	}
	return 0;
}

int fwdnl_failed(const struct request *req, const char *what)
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

int fwdnl_listen(const char *group, struct request *req, const char *what)
{
	int grp, err;

	grp = genl_ctrl_resolve_grp(sk, VSOCK_FWD_GENL_NAME, group);
	if (grp < 0) {
		error("%s: no '%s' group in the '%s' family; is the module up to date?",
		      what, group, VSOCK_FWD_GENL_NAME);
		return EXIT_FAILED;
	}
	nl_socket_disable_seq_check(sk);
	err = nl_socket_add_membership(sk, grp);
	if (err) {
		error("%s: cannot join the %s group: %s", what, group,
		      nl_geterror(err));
		return EXIT_SYSTEM;
	}
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, valid_cb, req);
	while (!req->err) {
		err = nl_recvmsgs_default(sk);
		if (err < 0 && err != -NLE_INTR && err != -NLE_NOMEM) {
			error("%s: %s", what, nl_geterror(err));
			return EXIT_SYSTEM;
		}
	}
	return EXIT_SYSTEM;
}
