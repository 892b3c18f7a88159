// SPDX-License-Identifier: GPL-2.0
/*
 * vsock-fwd: what the commands print. A device is two lines for people
 * (owner and state, forward, counters), a rule one line in the syntax of
 * 'set'; with -j each is a JSON object, made with json-c.
 */
#include <inttypes.h>
#include <stdio.h>

#include <json.h>
#include <netlink/attr.h>

#include <linux/vhost_fwd.h>

#include "output.h"
#include "utils.h"
#include "vsock-fwd.h"

bool json, pretty;

/* The JSON array of the list being printed. */
static struct json_object *list;
/* A JSON value could not be made: print no document rather than a wrong one. */
static bool oom;

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

#define N_STATS (sizeof(stat_names) / sizeof(stat_names[0]))

static const char *const source_names[] = {
	[VSOCK_FWD_SOURCE_NONE] = "none",
	[VSOCK_FWD_SOURCE_IOCTL] = "ioctl",
	[VSOCK_FWD_SOURCE_RULE] = "rule",
};

static const char *source_name(uint32_t source)
{
	if (source < sizeof(source_names) / sizeof(source_names[0]))
		return source_names[source];
	return "unknown";
}

static uint32_t get_u32(struct nlattr **tb, int attr)
{
	return tb[attr] ? nla_get_u32(tb[attr]) : 0;
}

static uint64_t get_u64(struct nlattr **tb, int attr)
{
	return tb[attr] ? nla_get_u64(tb[attr]) : 0;
}

/* ---- JSON ---- */

static void put(struct json_object *obj, const char *key,
		struct json_object *val)
{
	if (obj && val && !json_object_object_add(obj, key, val))
		return;
	json_object_put(val);
	oom = true;
}

static void put_null(struct json_object *obj, const char *key)
{
	if (!obj || json_object_object_add(obj, key, NULL))
		oom = true;
}

static void put_u64(struct json_object *obj, const char *key, uint64_t v)
{
	put(obj, key, json_object_new_uint64(v));
}

static void put_bool(struct json_object *obj, const char *key, bool v)
{
	put(obj, key, json_object_new_boolean(v));
}

static void put_str(struct json_object *obj, const char *key, const char *v)
{
	put(obj, key, json_object_new_string(v));
}

/* Prints obj (freed) as one line, or indented with -p. */
static bool emit(struct json_object *obj)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
		    (pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED :
			      JSON_C_TO_STRING_PLAIN);
	const char *s = obj && !oom ?
			json_object_to_json_string_ext(obj, flags) : NULL;
	bool ok = s;

	if (ok) {
		puts(s);
		fflush(stdout);
	} else {
		error("out of memory");
	}
	json_object_put(obj);
	return ok;
}

static void forward_json(struct json_object *obj, struct nlattr **tb)
{
	uint32_t flags = get_u32(tb, VSOCK_FWD_A_FLAGS);

	put_u64(obj, "target_cid", get_u32(tb, VSOCK_FWD_A_TARGET_CID));
	put_u64(obj, "alias_cid", get_u32(tb, VSOCK_FWD_A_ALIAS_CID));
	put_u64(obj, "flags", flags);
	put_bool(obj, "strict", flags & VHOST_VSOCK_FORWARD_F_STRICT);
}

static void dev_json(struct json_object *obj, struct nlattr **tb,
		     struct nlattr **st)
{
	struct json_object *fwd, *stats;
	size_t i;

	put_u64(obj, "cid", get_u32(tb, VSOCK_FWD_A_CID));
	if (tb[VSOCK_FWD_A_PID])
		put_u64(obj, "pid", get_u32(tb, VSOCK_FWD_A_PID));
	else
		put_null(obj, "pid");
	if (tb[VSOCK_FWD_A_COMM])
		put_str(obj, "comm", nla_get_string(tb[VSOCK_FWD_A_COMM]));
	else
		put_null(obj, "comm");
	put_bool(obj, "running", tb[VSOCK_FWD_A_RUNNING] &&
		 nla_get_u8(tb[VSOCK_FWD_A_RUNNING]));
	put_u64(obj, "features", get_u64(tb, VSOCK_FWD_A_FEATURES));
	put_bool(obj, "accepts_children", get_u32(tb, VSOCK_FWD_A_PARENT_FLAGS) &
		 VHOST_VSOCK_PARENT_F_ACCEPT);
	if (tb[VSOCK_FWD_A_TARGET_CID]) {
		fwd = json_object_new_object();
		forward_json(fwd, tb);
		put_str(fwd, "source",
			source_name(get_u32(tb, VSOCK_FWD_A_SOURCE)));
		put(obj, "forward", fwd);
	} else {
		put_null(obj, "forward");
	}
	stats = json_object_new_object();
	for (i = 0; i < N_STATS; i++)
		put_u64(stats, stat_names[i].name, get_u64(st, stat_names[i].attr));
	put(obj, "stats", stats);
}

static void list_add(struct json_object *obj)
{
	if (list && obj && !json_object_array_add(list, obj))
		return;
	json_object_put(obj);
	oom = true;
}

/* ---- lines ---- */

static void forward_human(struct nlattr **tb)
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

static void dev_human(struct nlattr **tb, struct nlattr **st)
{
	size_t i;

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
		printf(" features 0x%" PRIx64, get_u64(tb, VSOCK_FWD_A_FEATURES));
	if (get_u32(tb, VSOCK_FWD_A_PARENT_FLAGS) & VHOST_VSOCK_PARENT_F_ACCEPT)
		printf(" accepts-children");
	printf("\n    forward ");
	if (tb[VSOCK_FWD_A_TARGET_CID]) {
		forward_human(tb);
		printf(" (%s)", source_name(get_u32(tb, VSOCK_FWD_A_SOURCE)));
	} else {
		printf("off");
	}
	printf("\n    ");
	for (i = 0; i < N_STATS; i++)
		printf("%s%s %" PRIu64, i ? " " : "", stat_names[i].name,
		       get_u64(st, stat_names[i].attr));
	putchar('\n');
}

/* ---- what the commands call ---- */

static void parse_stats(struct nlattr **tb, struct nlattr **st)
{
	if (tb[VSOCK_FWD_A_STATS])
		nla_parse_nested(st, VSOCK_FWD_STATS_A_MAX,
				 tb[VSOCK_FWD_A_STATS], NULL);
}

void out_list_begin(void)
{
	if (!json)
		return;
	list = json_object_new_array();
	if (!list)
		oom = true;
}

void out_dev(struct nlattr **tb)
{
	struct nlattr *st[VSOCK_FWD_STATS_A_MAX + 1] = {};
	struct json_object *obj;

	parse_stats(tb, st);
	if (!json) {
		dev_human(tb, st);
		return;
	}
	obj = json_object_new_object();
	dev_json(obj, tb, st);
	list_add(obj);
}

void out_rule(struct nlattr **tb)
{
	struct json_object *obj;

	if (!json) {
		printf("%u ", get_u32(tb, VSOCK_FWD_A_CID));
		forward_human(tb);
		putchar('\n');
		return;
	}
	obj = json_object_new_object();
	put_u64(obj, "cid", get_u32(tb, VSOCK_FWD_A_CID));
	forward_json(obj, tb);
	list_add(obj);
}

int out_list_end(bool ok)
{
	struct json_object *done = list;

	list = NULL;
	if (!json)
		return EXIT_OK;
	if (!ok) {
		json_object_put(done);
		return EXIT_OK;
	}
	return emit(done) ? EXIT_OK : EXIT_SYSTEM;
}

bool out_event(uint8_t cmd, struct nlattr **tb)
{
	struct nlattr *st[VSOCK_FWD_STATS_A_MAX + 1] = {};
	struct json_object *obj;
	const char *event;

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
		return true;
	}
	parse_stats(tb, st);
	if (!json) {
		if (cmd == VSOCK_FWD_CMD_DEV_DEL) {
			printf("del cid %u\n", get_u32(tb, VSOCK_FWD_A_CID));
		} else {
			printf("%s ", event);
			dev_human(tb, st);
		}
		fflush(stdout);
		return true;
	}
	obj = json_object_new_object();
	put_str(obj, "event", event);
	if (cmd == VSOCK_FWD_CMD_DEV_DEL)
		put_u64(obj, "cid", get_u32(tb, VSOCK_FWD_A_CID));
	else
		dev_json(obj, tb, st);
	return emit(obj);
}

/* Scripts and service managers wait for this: the parent is ready. */
bool out_listening(uint32_t port)
{
	struct json_object *obj;

	if (!json) {
		printf("listening on vsock port %u\n", port);
		fflush(stdout);
		return true;
	}
	obj = json_object_new_object();
	put_str(obj, "event", "listening");
	put_u64(obj, "port", port);
	return emit(obj);
}

bool out_heartbeat(uint32_t cid, uint32_t port, bool ok, int byte)
{
	struct json_object *obj;

	if (!json) {
		if (ok)
			printf("heartbeat from enclave cid %u port %u\n",
			       cid, port);
		else if (byte >= 0)
			printf("bad heartbeat 0x%02x from cid %u port %u (expected 0x%02x)\n",
			       byte, cid, port, HEARTBEAT_BYTE);
		else
			printf("no heartbeat from cid %u port %u\n", cid, port);
		fflush(stdout);
		return true;
	}
	obj = json_object_new_object();
	put_str(obj, "event", "heartbeat");
	put_u64(obj, "cid", cid);
	put_u64(obj, "port", port);
	put_bool(obj, "ok", ok);
	if (!ok && byte >= 0)
		put_u64(obj, "byte", byte);
	return emit(obj);
}
