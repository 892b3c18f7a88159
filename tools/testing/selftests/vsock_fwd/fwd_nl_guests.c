// SPDX-License-Identifier: GPL-2.0
/*
 * fwd_nl_guests: fake guests for netlink_test.sh, driven over stdin.
 *
 *   fwd_nl_guests [-b] -c FIRST_CID [-n COUNT]
 *
 * Starts COUNT (default 1) fake guests with CIDs FIRST_CID, FIRST_CID + 1,
 * ... and prints "ready". With -b the devices are bare: owned and given
 * their CID but without rings and not running, which is quick enough for
 * hundreds. Then reads commands, one a line, and answers each with a line:
 *
 *   connect CID PORT  the first guest connects to CID:PORT (stream):
 *                     "ok", or "err ERRNO" (e.g. ETIMEDOUT, ECONNRESET)
 *   hb CID PORT       the Nitro heartbeat: connect, send 0xB7, expect 0xB7
 *                     back: "ok", or "err ERRNO", or "err BYTE 0xNN"
 *   fwd ALIAS TARGET  VHOST_VSOCK_SET_FORWARD on the first guest's device
 *                     (TARGET 0 turns it off): "ok" or "err ERRNO"
 *   quit (or EOF)     close every guest and exit
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <linux/vhost.h>
#include <linux/vhost_fwd.h>

#include "fake_guest.h"

#define CONNECT_TIMEOUT_MS	1500

static const char *err_name(int err)
{
	switch (err) {
	case ETIMEDOUT:
		return "ETIMEDOUT";
	case ECONNRESET:
		return "ECONNRESET";
	case ECONNREFUSED:
		return "ECONNREFUSED";
	case EPIPE:
		return "EPIPE";
	}
	return strerror(err);
}

static int heartbeat(struct fg_guest *g, uint64_t cid, uint32_t port)
{
	unsigned char b = 0xb7;
	struct fg_conn *c;
	ssize_t n;
	int ret;

	ret = fg_connect(g, VIRTIO_VSOCK_TYPE_STREAM, cid, port,
			 CONNECT_TIMEOUT_MS, &c);
	if (ret) {
		printf("err %s\n", err_name(-ret));
		return 0;
	}
	n = fg_send(c, &b, 1, CONNECT_TIMEOUT_MS);
	if (n == 1) {
		b = 0;
		n = fg_recv_all(c, &b, 1, 5000);
	}
	if (n < 0)
		printf("err %s\n", err_name((int)-n));
	else if (b != 0xb7)
		printf("err BYTE 0x%02x\n", b);
	else
		printf("ok\n");
	fg_conn_free(c);
	return 0;
}

int main(int argc, char **argv)
{
	struct fg_guest **guests = NULL;
	int *bare = NULL;
	unsigned long first = 0, count = 1, i;
	struct rlimit rl;
	char line[256];
	int opt, bare_mode = 0, ret;

	while ((opt = getopt(argc, argv, "bc:n:")) != -1) {
		switch (opt) {
		case 'b':
			bare_mode = 1;
			break;
		case 'c':
			first = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			count = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: %s [-b] -c FIRST_CID [-n COUNT]\n",
				argv[0]);
			return 2;
		}
	}
	if (first < 3 || !count) {
		fprintf(stderr, "%s: -c FIRST_CID (>= 3) is required\n", argv[0]);
		return 2;
	}

	/* Room for the devices and their eventfds. */
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	guests = calloc(count, sizeof(*guests));
	bare = calloc(count, sizeof(*bare));
	if (!guests || !bare)
		return 1;
	for (i = 0; i < count; i++) {
		if (bare_mode) {
			bare[i] = fg_dev_open();
			ret = bare[i] < 0 ? bare[i] : 0;
			if (!ret)
				ret = fg_ioctl(bare[i], VHOST_SET_OWNER, NULL);
			if (!ret)
				ret = fg_set_cid(bare[i], first + i);
		} else {
			struct fg_config cfg = { .cid = first + i };

			ret = fg_start(&cfg, &guests[i]);
		}
		if (ret) {
			printf("err start cid %lu: %s\n", first + i,
			       strerror(-ret));
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);

	while (fgets(line, sizeof(line), stdin)) {
		unsigned long cid, port;
		char cmd[16];

		if (sscanf(line, "%15s %lu %lu", cmd, &cid, &port) < 1)
			continue;
		if (!strcmp(cmd, "quit"))
			break;
		if (bare_mode || sscanf(line, "%15s %lu %lu", cmd, &cid,
					&port) != 3) {
			printf("err usage\n");
		} else if (!strcmp(cmd, "connect")) {
			struct fg_conn *c;

			ret = fg_connect(guests[0], VIRTIO_VSOCK_TYPE_STREAM,
					 cid, port, CONNECT_TIMEOUT_MS, &c);
			if (ret) {
				printf("err %s\n", err_name(-ret));
			} else {
				printf("ok\n");
				fg_conn_free(c);
			}
		} else if (!strcmp(cmd, "fwd")) {
			struct vhost_vsock_forward fwd = {
				.alias_cid = port ? cid : 0,
				.target_cid = port,
			};

			ret = fg_ioctl(fg_fd(guests[0]),
				       VHOST_VSOCK_SET_FORWARD, &fwd);
			if (ret)
				printf("err %s\n", err_name(-ret));
			else
				printf("ok\n");
		} else if (!strcmp(cmd, "hb")) {
			heartbeat(guests[0], cid, port);
		} else {
			printf("err usage\n");
		}
		fflush(stdout);
	}

	for (i = 0; i < count; i++) {
		if (bare_mode)
			close(bare[i]);
		else
			fg_close(guests[i]);
	}
	free(guests);
	free(bare);
	return 0;
}
