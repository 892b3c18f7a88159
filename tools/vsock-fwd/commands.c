// SPDX-License-Identifier: GPL-2.0
/*
 * vsock-fwd: the commands that talk to the vsock_fwd family. Each checks
 * its arguments first, so that a wrong one is a usage error (exit 2)
 * before anything reaches the kernel, then describes its request for
 * run().
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

#define MAX_ATTRS	3

struct op {
	const char *name;	/* the command, for messages */
	uint8_t cmd;
	uint32_t cid;		/* the guest CID; 0: none, a dump */
	/* More u32 attributes, up to the first of type 0. */
	struct {
		int type;
		uint32_t val;
	} attrs[MAX_ATTRS];
	/* A list (show, rules): prints each reply. */
	void (*out)(struct nlattr **tb);
	/* The kernel's errno for "no such CID" here, and what to say. */
	int absent;
	const char *absent_what;	/* before the CID */
	const char *absent_hint;	/* after it */
};

static int list_one(struct nlattr **tb, uint8_t cmd, void *arg)
{
	const struct op *op = arg;

	(void)cmd;
	if (!tb[VSOCK_FWD_A_CID])
		return NL_SKIP;
	op->out(tb);
	return NL_OK;
}

static struct nl_msg *build(const struct op *op)
{
	struct nl_msg *msg = fwdnl_new(op->cmd, op->cid ? 0 : NLM_F_DUMP);
	int i;

	if (msg && op->cid && nla_put_u32(msg, VSOCK_FWD_A_CID, op->cid))
		goto fail;
	for (i = 0; msg && i < MAX_ATTRS && op->attrs[i].type; i++)
		if (nla_put_u32(msg, op->attrs[i].type, op->attrs[i].val))
			goto fail;
	return msg;
fail:
	nlmsg_free(msg);
	return NULL;
}

/* Sends op's request and prints its replies; returns an exit status. */
static int run(const struct op *op)
{
	struct request req = { .handle = op->out ? list_one : NULL,
			       .arg = (void *)op };
	struct nl_msg *msg;
	char what[32];
	int ret;

	ret = fwdnl_open();
	if (ret)
		return ret;
	msg = build(op);
	if (!msg) {
		error("out of memory");
		return EXIT_SYSTEM;
	}
	if (op->out)
		out_list_begin();
	fwdnl_transact(msg, &req);
	/* A list is printed whole, once it is complete. */
	if (op->out && out_list_end(!req.err) && !req.err)
		return EXIT_SYSTEM;
	if (!req.err)
		return EXIT_OK;
	if (req.err == op->absent) {
		error("%s %u; %s", op->absent_what, op->cid, op->absent_hint);
		return EXIT_FAILED;
	}
	if (op->out)
		snprintf(what, sizeof(what), "%s", op->name);
	else
		snprintf(what, sizeof(what), "%s %u", op->name, op->cid);
	return fwdnl_failed(&req, what);
}

int cmd_show(int argc, char **argv)
{
	struct op op = {
		.name = "show", .cmd = VSOCK_FWD_CMD_DEV_GET, .out = out_dev,
		.absent = ENODEV,
		.absent_what = "no device has guest CID",
		.absent_hint = "'vsock-fwd show' lists the devices",
	};

	if (argc > 1)
		return usage_error("show: unexpected '%s'", argv[1]);
	if (argc == 1 && parse_cid("show", "CID", argv[0], &op.cid))
		return EXIT_USAGE;
	return run(&op);
}

int cmd_rules(int argc, char **argv)
{
	struct op op = {
		.name = "rules", .cmd = VSOCK_FWD_CMD_RULE_GET, .out = out_rule,
	};

	if (argc)
		return usage_error("rules: unexpected '%s'", argv[0]);
	return run(&op);
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
	return run(&(struct op){
		.name = "set", .cmd = VSOCK_FWD_CMD_RULE_SET, .cid = cid,
		.attrs = { { VSOCK_FWD_A_TARGET_CID, target },
			   { VSOCK_FWD_A_ALIAS_CID, alias },
			   { VSOCK_FWD_A_FLAGS, flags } },
	});
}

int cmd_del(int argc, char **argv)
{
	struct op op = {
		.name = "del", .cmd = VSOCK_FWD_CMD_RULE_DEL, .absent = ENOENT,
		.absent_what = "del: no rule for guest CID",
		.absent_hint = "'vsock-fwd rules' lists them",
	};

	if (!argc)
		return usage_error("del: missing the guest CID");
	if (parse_cid("del", "CID", argv[0], &op.cid))
		return EXIT_USAGE;
	if (argc > 1)
		return usage_error("del: unexpected '%s'", argv[1]);
	return run(&op);
}

int cmd_accept(int argc, char **argv)
{
	uint32_t cid, flags = VHOST_VSOCK_PARENT_F_ACCEPT;

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
	return run(&(struct op){
		.name = "accept", .cmd = VSOCK_FWD_CMD_DEV_SET, .cid = cid,
		.attrs = { { VSOCK_FWD_A_PARENT_FLAGS, flags } },
	});
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
