/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the guest programs of the vsock_fwd end-to-end tests.
 */
#ifndef VSOCK_UTIL_H
#define VSOCK_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <linux/vm_sockets.h>

/* Parses a decimal or 0x number no larger than max; -1 if it is not one. */
int parse_num(const char *s, uint64_t max, uint64_t *val);

/* Parses "CID:PORT"; -1 if it is not that. */
int parse_cid_port(const char *s, unsigned int *cid, unsigned int *port);

/* "stream" or "seqpacket". */
const char *sock_type_name(int type);

/*
 * A socket of the given type listening on port (any CID), or -1 with errno
 * set.
 */
int vsock_listen(int type, unsigned int port);

/*
 * A socket of the given type connected to cid:port, or -1 with errno set.
 * Reset and timed-out attempts are retried for wait_s seconds, so that a
 * peer may be started at the same time as its listener.
 */
int vsock_connect(int type, unsigned int cid, unsigned int port,
		  unsigned int wait_s);

/* The remote address of a connected socket, -1 on error. */
int vsock_peer(int fd, struct sockaddr_vm *addr);

/* Writes all of buf; -1 with errno set on error. */
int write_all(int fd, const void *buf, size_t len);

/*
 * Reads until buf is full or the peer closes; the number of bytes read, or
 * -1 with errno set.
 */
ssize_t read_full(int fd, void *buf, size_t len);

#endif /* VSOCK_UTIL_H */
