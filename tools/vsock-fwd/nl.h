/* SPDX-License-Identifier: GPL-2.0 */
/* vsock-fwd: the client of the vsock_fwd generic netlink family. */
#ifndef VSOCK_FWD_NL_H
#define VSOCK_FWD_NL_H

#include <stdint.h>
#include <netlink/netlink.h>

struct request {
	int err;		/* errno from the kernel, 0 if none */
	char msg[256];		/* its extack message, if any */
	/* Called for each reply (or event); returns NL_OK, NL_SKIP, NL_STOP. */
	int (*handle)(struct nlattr **tb, uint8_t cmd, void *arg);
	void *arg;
};

/* Connects and resolves the family, once; returns an exit status. */
int fwdnl_open(void);
void fwdnl_close(void);
/* A request of the family; NULL if out of memory. */
struct nl_msg *fwdnl_new(uint8_t cmd, int flags);
/*
 * Sends msg (freed) and handles the replies until the ACK or the end of
 * the dump. Returns 0 or a positive errno, also in req->err: the kernel's,
 * or EIO for a failure here (already reported).
 */
int fwdnl_transact(struct nl_msg *msg, struct request *req);
/* The exit status for req's error, after saying what to do about it. */
int fwdnl_failed(const struct request *req, const char *what);
/*
 * Hands each event of the family's multicast group to req->handle until
 * it sets req->err; returns an exit status (after saying why).
 */
int fwdnl_listen(const char *group, struct request *req, const char *what);

#endif
