// SPDX-License-Identifier: GPL-2.0
/*
 * vsock-rebind: what upstream vsock_test's "SOCK_STREAM double bind
 * connect" checks, without its race. A client binds a port, connects,
 * closes, and binds and connects from the same port once more; the server
 * keeps the first accepted socket open meanwhile, so its kernel must not
 * let that dangling socket refuse the second connection, and the client's
 * kernel must have freed the port when the server's RST came.
 *
 * Upstream's client binds again as soon as the server's "LISTENING" comes
 * over the TCP control channel, which the server sends when the client's
 * SHUTDOWN arrives: the RST that frees the port goes by virtio-vsock, the
 * control message by virtio-net, and nothing orders the two in the
 * client's kernel. Here the client closes with SO_LINGER, so close()
 * returns when the RST has arrived (virtio_transport_wait_close() waits
 * for SOCK_DONE), and the port is free at once; the linger time only
 * bounds a close whose RST never comes, which then fails the second bind.
 *
 *   vsock-rebind server PORT
 *   vsock-rebind client CID:PORT BIND_PORT
 *
 * Neither gives up on a peer that does not come: the callers bound them.
 *
 *   VSOCK-REBIND-LISTENING port=P
 *   VSOCK-REBIND-ACCEPTED peer=CID:PORT
 *   VSOCK-REBIND-OK server|client
 *   VSOCK-REBIND-FAIL server|client: <reason>
 */
#define _GNU_SOURCE	/* POLLRDHUP */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vsock-util.h"

#define ROUNDS		2
#define LINGER_S	30	/* far above any RST's way back */

static void bad_usage(void)
{
	fprintf(stderr,
		"usage: vsock-rebind server PORT\n"
		"       vsock-rebind client CID:PORT BIND_PORT\n");
	exit(2);
}

/* What failed in which round, and why; the exit status. */
static int fail(const char *role, const char *what, int round,
		const char *why)
{
	printf("VSOCK-REBIND-FAIL %s: %s, round %d: %s\n", role, what, round,
	       why);
	return 1;
}

/* Accept ROUNDS connections from one peer port, keeping each open. */
static int server(unsigned int port)
{
	struct sockaddr_vm peer, first = { 0 };
	struct pollfd pfd = { .events = POLLRDHUP };
	int lfd, round;

	lfd = vsock_listen(SOCK_STREAM, port);
	if (lfd < 0)
		return fail("server", "listen", 0, strerror(errno));
	printf("VSOCK-REBIND-LISTENING port=%u\n", port);

	for (round = 1; round <= ROUNDS; round++) {
		pfd.fd = accept(lfd, NULL, NULL);
		if (pfd.fd < 0)
			return fail("server", "accept", round, strerror(errno));
		if (vsock_peer(pfd.fd, &peer))
			return fail("server", "getpeername", round, strerror(errno));
		printf("VSOCK-REBIND-ACCEPTED peer=%u:%u\n", peer.svm_cid,
		       peer.svm_port);
		if (round == 1)
			first = peer;
		else if (peer.svm_cid != first.svm_cid ||
			 peer.svm_port != first.svm_port)
			return fail("server", "accept", round,
				    "not from the first round's address");
		/* Like upstream: the socket stays open after the peer closed. */
		if (poll(&pfd, 1, -1) != 1)
			return fail("server", "waiting for the close", round,
				    strerror(errno));
	}
	printf("VSOCK-REBIND-OK server\n");
	return 0;
}

static int client(unsigned int cid, unsigned int port, unsigned int bind_port)
{
	struct linger linger = { .l_onoff = 1, .l_linger = LINGER_S };
	struct sockaddr_vm local = {
		.svm_family = AF_VSOCK,
		.svm_cid = VMADDR_CID_ANY,
		.svm_port = bind_port,
	};
	struct sockaddr_vm remote = {
		.svm_family = AF_VSOCK,
		.svm_cid = cid,
		.svm_port = port,
	};
	int fd, round;

	for (round = 1; round <= ROUNDS; round++) {
		fd = socket(AF_VSOCK, SOCK_STREAM, 0);
		if (fd < 0)
			return fail("client", "socket", round, strerror(errno));
		if (bind(fd, (struct sockaddr *)&local, sizeof(local)))
			return fail("client", "bind", round, strerror(errno));
		if (connect(fd, (struct sockaddr *)&remote, sizeof(remote)))
			return fail("client", "connect", round, strerror(errno));
		if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger,
			       sizeof(linger)))
			return fail("client", "SO_LINGER", round, strerror(errno));
		/* Returns once the peer's RST came: the port is free. */
		if (close(fd))
			return fail("client", "close", round, strerror(errno));
	}
	printf("VSOCK-REBIND-OK client\n");
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int cid, port;
	uint64_t v;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "server")) {
		if (parse_num(argv[2], 0xffffffffu, &v))
			bad_usage();
		return server(v);
	}
	if (argc == 4 && !strcmp(argv[1], "client")) {
		if (parse_cid_port(argv[2], &cid, &port) ||
		    parse_num(argv[3], 0xffffffffu, &v))
			bad_usage();
		return client(cid, port, v);
	}
	bad_usage();
	return 2;
}
