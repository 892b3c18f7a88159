// SPDX-License-Identifier: GPL-2.0
/*
 * vsock-echo: listen on a vsock port and send back everything received,
 * message by message for SOCK_SEQPACKET. Each connection is reported with
 * the CID it comes from, which is what the forwarding tests look at (an
 * enclave must see its parent as CID 3):
 *
 *   VSOCK-ECHO-LISTENING port=P type=stream
 *   VSOCK-ECHO-CONNECTED peer=CID:PORT
 *   VSOCK-ECHO-CLOSED peer=CID:PORT bytes=N
 *   VSOCK-ECHO-FAIL peer=CID:PORT: <reason>
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vsock-util.h"

/* The default vsock buffer: no SEQPACKET message can be larger. */
#define BUF_SIZE (256 * 1024)

static void bad_usage(void)
{
	fprintf(stderr,
		"usage: vsock-echo [-s] [-1] [-S] PORT\n"
		"  -s  SOCK_SEQPACKET (default SOCK_STREAM)\n"
		"  -1  serve one connection, then exit 0 if it ended cleanly\n"
		"  -S  serve connections one after another, without forking\n");
	exit(2);
}

/* Echoes until the peer closes; 0 if it closed cleanly. */
static int echo(int fd, int type, const struct sockaddr_vm *peer)
{
	struct iovec iov;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	unsigned long long total = 0;
	const char *err = NULL;
	char *buf;
	ssize_t n;

	buf = malloc(BUF_SIZE);
	if (!buf) {
		err = "out of memory";
		goto out;
	}
	for (;;) {
		iov = (struct iovec){ .iov_base = buf, .iov_len = BUF_SIZE };
		n = recvmsg(fd, &msg, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = strerror(errno);
			break;
		}
		if (!n)
			break;
		if (msg.msg_flags & MSG_TRUNC) {
			err = "message larger than the buffer";
			break;
		}
		/* One write keeps a SEQPACKET message whole. */
		if (write_all(fd, buf, n)) {
			err = strerror(errno);
			break;
		}
		total += n;
	}
out:
	if (err)
		printf("VSOCK-ECHO-FAIL peer=%u:%u: %s\n", peer->svm_cid,
		       peer->svm_port, err);
	else
		printf("VSOCK-ECHO-CLOSED peer=%u:%u bytes=%llu\n",
		       peer->svm_cid, peer->svm_port, total);
	free(buf);
	close(fd);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	int type = SOCK_STREAM, once = 0, serial = 0, lfd, fd, opt;
	struct sockaddr_vm peer;
	uint64_t port;
	pid_t pid;

	while ((opt = getopt(argc, argv, "s1S")) != -1) {
		switch (opt) {
		case 's':
			type = SOCK_SEQPACKET;
			break;
		case '1':
			once = 1;
			break;
		case 'S':
			serial = 1;
			break;
		default:
			bad_usage();
		}
	}
	if (optind != argc - 1 || parse_num(argv[optind], UINT32_MAX, &port))
		bad_usage();

	/* The tests read the tokens through pipes. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Connections are served by children nobody waits for. */
	signal(SIGCHLD, SIG_IGN);
	/* A peer that closes first is reported, not fatal. */
	signal(SIGPIPE, SIG_IGN);

	lfd = vsock_listen(type, port);
	if (lfd < 0) {
		printf("VSOCK-ECHO-FAIL port=%llu: listen: %s\n",
		       (unsigned long long)port, strerror(errno));
		return 1;
	}
	printf("VSOCK-ECHO-LISTENING port=%llu type=%s\n",
	       (unsigned long long)port, sock_type_name(type));

	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0 && errno == EINTR)
			continue;
		if (fd < 0) {
			printf("VSOCK-ECHO-FAIL port=%llu: accept: %s\n",
			       (unsigned long long)port, strerror(errno));
			return 1;
		}
		if (vsock_peer(fd, &peer)) {
			printf("VSOCK-ECHO-FAIL port=%llu: getpeername: %s\n",
			       (unsigned long long)port, strerror(errno));
			return 1;
		}
		printf("VSOCK-ECHO-CONNECTED peer=%u:%u\n", peer.svm_cid,
		       peer.svm_port);
		if (once) {
			close(lfd);
			return echo(fd, type, &peer);
		}
		if (serial) {
			echo(fd, type, &peer);
			continue;
		}
		pid = fork();
		if (!pid) {
			close(lfd);
			return echo(fd, type, &peer);
		}
		if (pid < 0)
			printf("VSOCK-ECHO-FAIL peer=%u:%u: fork: %s\n",
			       peer.svm_cid, peer.svm_port, strerror(errno));
		close(fd);
	}
}
