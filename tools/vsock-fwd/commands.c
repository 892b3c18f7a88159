// SPDX-License-Identifier: GPL-2.0
/*
 * vsock-fwd: the commands that talk to the vsock_fwd family. Each checks
 * its arguments first, so that a wrong one is a usage error (exit 2)
 * before anything reaches the kernel.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <netlink/genl/genl.h>

#include <linux/vhost_fwd.h>

#include "nl.h"
#include "output.h"
#include "utils.h"
#include "vsock-fwd.h"

/*
 * fwdnl_transact() for a request whose replies print as a list (a JSON array
 * with -j, printed only whole); output failing is EIO, as in fwdnl_transact().
 */
static int transact_list(struct nl_msg *msg, struct request *req)
{
	int err;

	out_list_begin();
	err = fwdnl_transact(msg, req);
	if (out_list_end(!err) && !err)
		req->err = EIO;
	return req->err;
}

static int show_one(struct nlattr **tb, uint8_t cmd, void *arg)
{
	(void)cmd;
	(void)arg;
	if (!tb[VSOCK_FWD_A_CID])
		return NL_SKIP;
	out_dev(tb);
	return NL_OK;
}

int cmd_show(int argc, char **argv)
{
	struct request req = { .handle = show_one };
	struct nl_msg *msg;
	uint32_t cid = 0;
	int ret;

	if (argc > 1)
		return usage_error("show: unexpected '%s'", argv[1]);
	if (argc == 1 && parse_cid("show", "CID", argv[0], &cid))
		return EXIT_USAGE;

	ret = fwdnl_open();
	if (ret)
		return ret;
	msg = fwdnl_new(VSOCK_FWD_CMD_DEV_GET, cid ? 0 : NLM_F_DUMP);
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
		return fwdnl_failed(&req, "show");
	}
	return EXIT_OK;
}

static int rule_one(struct nlattr **tb, uint8_t cmd, void *arg)
{
	(void)cmd;
	(void)arg;
	if (!tb[VSOCK_FWD_A_CID])
		return NL_SKIP;
	out_rule(tb);
	return NL_OK;
}

int cmd_rules(int argc, char **argv)
{
	struct request req = { .handle = rule_one };
	struct nl_msg *msg;
	int ret;

	if (argc)
		return usage_error("rules: unexpected '%s'", argv[0]);
	ret = fwdnl_open();
	if (ret)
		return ret;
	msg = fwdnl_new(VSOCK_FWD_CMD_RULE_GET, NLM_F_DUMP);
	if (!msg) {
		error("out of memory");
		return EXIT_SYSTEM;
	}
	if (transact_list(msg, &req))
		return fwdnl_failed(&req, "rules");
	return EXIT_OK;
}

/* The words after 'set CID parent TARGET': [alias ALIAS] [strict]. */
static int parse_set_options(int argc, char **argv, uint32_t *alias,
			     uint32_t *flags)
{
	bool have_alias = false;
	int i;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "strict")) {
			if (*flags & VHOST_VSOCK_FORWARD_F_STRICT)
				return usage_error("set: 'strict' given twice");
			*flags |= VHOST_VSOCK_FORWARD_F_STRICT;
		} else if (!strcmp(argv[i], "alias")) {
			if (have_alias)
				return usage_error("set: 'alias' given twice");
			if (i + 1 == argc)
				return usage_error("set: 'alias' needs a CID");
			if (parse_cid("set", "alias", argv[++i], alias))
				return EXIT_USAGE;
			have_alias = true;
		} else {
			return usage_error("set: unexpected '%s'", argv[i]);
		}
	}
	return EXIT_OK;
}

int cmd_set(int argc, char **argv)
{
	uint32_t cid, target, alias = NITRO_PARENT_CID, flags = 0;
	struct request req = {};
	struct nl_msg *msg;
	char what[64];
	int ret;

	if (!argc)
		return usage_error("set: missing the guest CID");
	if (parse_cid("set", "CID", argv[0], &cid))
		return EXIT_USAGE;
	if (argc == 1)
		return usage_error("set: missing 'parent TARGET'");
	if (strcmp(argv[1], "parent"))
		return usage_error("set: expected 'parent', not '%s'", argv[1]);
	if (argc == 2)
		return usage_error("set: 'parent' needs a CID");
	/* 2: this host; a guest CID otherwise. */
	if (parse_u32("set", "parent", argv[2], 2, UINT32_MAX - 1, &target) ||
	    parse_set_options(argc - 3, argv + 3, &alias, &flags))
		return EXIT_USAGE;
	if (alias == cid || target == cid)
		return usage_error("set: the guest's own CID %u cannot be its alias or parent",
				   cid);

	ret = fwdnl_open();
	if (ret)
		return ret;
	msg = fwdnl_new(VSOCK_FWD_CMD_RULE_SET, 0);
	if (!msg || nla_put_u32(msg, VSOCK_FWD_A_CID, cid) ||
	    nla_put_u32(msg, VSOCK_FWD_A_TARGET_CID, target) ||
	    nla_put_u32(msg, VSOCK_FWD_A_ALIAS_CID, alias) ||
	    nla_put_u32(msg, VSOCK_FWD_A_FLAGS, flags)) {
		error("out of memory");
		return EXIT_SYSTEM;
	}
	if (fwdnl_transact(msg, &req)) {
		snprintf(what, sizeof(what), "set %u", cid);
		return fwdnl_failed(&req, what);
	}
	return EXIT_OK;
}

int cmd_del(int argc, char **argv)
{
	struct request req = {};
	struct nl_msg *msg;
	char what[64];
	uint32_t cid;
	int ret;

	if (!argc)
		return usage_error("del: missing the guest CID");
	if (parse_cid("del", "CID", argv[0], &cid))
		return EXIT_USAGE;
	if (argc > 1)
		return usage_error("del: unexpected '%s'", argv[1]);
	ret = fwdnl_open();
	if (ret)
		return ret;
	msg = fwdnl_new(VSOCK_FWD_CMD_RULE_DEL, 0);
	if (!msg || nla_put_u32(msg, VSOCK_FWD_A_CID, cid)) {
		error("out of memory");
		return EXIT_SYSTEM;
	}
	if (fwdnl_transact(msg, &req)) {
		if (req.err == ENOENT) {
			error("del: no rule for guest CID %u; 'vsock-fwd rules' lists them",
			      cid);
			return EXIT_FAILED;
		}
		snprintf(what, sizeof(what), "del %u", cid);
		return fwdnl_failed(&req, what);
	}
	return EXIT_OK;
}

int cmd_accept(int argc, char **argv)
{
	uint32_t cid, flags = VHOST_VSOCK_PARENT_F_ACCEPT;
	struct request req = {};
	struct nl_msg *msg;
	char what[64];
	int ret;

	if (!argc)
		return usage_error("accept: missing the guest CID");
	if (parse_cid("accept", "CID", argv[0], &cid))
		return EXIT_USAGE;
	if (argc > 2)
		return usage_error("accept: unexpected '%s'", argv[2]);
	if (argc == 2 && !strcmp(argv[1], "off"))
		flags = 0;
	else if (argc == 2 && strcmp(argv[1], "on"))
		return usage_error("accept: expected 'on' or 'off', not '%s'",
				   argv[1]);

	ret = fwdnl_open();
	if (ret)
		return ret;
	msg = fwdnl_new(VSOCK_FWD_CMD_DEV_SET, 0);
	if (!msg || nla_put_u32(msg, VSOCK_FWD_A_CID, cid) ||
	    nla_put_u32(msg, VSOCK_FWD_A_PARENT_FLAGS, flags)) {
		error("out of memory");
		return EXIT_SYSTEM;
	}
	if (fwdnl_transact(msg, &req)) {
		snprintf(what, sizeof(what), "accept %u", cid);
		return fwdnl_failed(&req, what);
	}
	return EXIT_OK;
}

static int event_one(struct nlattr **tb, uint8_t cmd, void *arg)
{
	struct request *req = arg;

	if (out_event(cmd, tb))
		return NL_OK;
	req->err = ENOMEM;
	return NL_STOP;
}

int cmd_monitor(int argc, char **argv)
{
	struct request req = { .handle = event_one };
	int ret;

	if (argc)
		return usage_error("monitor: unexpected '%s'", argv[0]);
	ret = fwdnl_open();
	if (ret)
		return ret;
	req.arg = &req;
	return fwdnl_listen(VSOCK_FWD_GENL_MCGRP_EVENTS, &req, "monitor");
}
