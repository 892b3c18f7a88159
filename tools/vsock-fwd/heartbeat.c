// SPDX-License-Identifier: GPL-2.0
/*
 * vsock-fwd heartbeat: the parent's side of the Nitro Enclave boot
 * heartbeat. An enclave's init connects to its parent (CID 3) on port
 * 9000, writes 0xB7 and waits for it to come back before it starts the
 * application; with a forward to this host, that parent is us.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/vm_sockets.h>

#include "output.h"
#include "utils.h"
#include "vsock-fwd.h"

/*
 * Reads one byte from a connection, echoes it if it is the heartbeat and
 * logs it; false if the log could not be written.
 */
static bool answer(int fd, const struct sockaddr_vm *peer)
{
	/* An enclave that never writes must not stop the others. */
	struct timeval tv = { .tv_sec = 5 };
	unsigned char b;
	bool ok = false;
	int byte = -1;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (read(fd, &b, 1) == 1) {
		byte = b;
		ok = b == HEARTBEAT_BYTE && write(fd, &b, 1) == 1;
	}
	return out_heartbeat(peer->svm_cid, peer->svm_port, ok, byte);
}

/* [PORT] [count N] */
static int parse_args(int argc, char **argv, uint32_t *port, uint32_t *count)
{
	int i = 0;

	if (argc && strcmp(argv[0], "count") &&
	    parse_u32("heartbeat", "port", argv[i++], 1, UINT32_MAX - 1, port))
		return EXIT_USAGE;
	if (i == argc)
		return EXIT_OK;
	if (strcmp(argv[i], "count"))
		return usage_error("heartbeat: unexpected '%s'", argv[i]);
	if (++i == argc)
		return usage_error("heartbeat: 'count' needs a number");
	if (parse_u32("heartbeat", "count", argv[i++], 1, UINT32_MAX, count))
		return EXIT_USAGE;
	if (i < argc)
		return usage_error("heartbeat: unexpected '%s'", argv[i]);
	return EXIT_OK;
}

int cmd_heartbeat(int argc, char **argv)
{
	struct sockaddr_vm addr = {
		.svm_family = AF_VSOCK,
		.svm_cid = VMADDR_CID_ANY,
		.svm_port = HEARTBEAT_PORT,
	};
	uint32_t count = 0, served = 0;
	int lfd, err;

	if (parse_args(argc, argv, &addr.svm_port, &count))
		return EXIT_USAGE;

	signal(SIGPIPE, SIG_IGN);
	lfd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0) {
		err = errno;
		error("heartbeat: no vsock sockets (%s); load the module with 'modprobe vhost_vsock_fwd'",
		      strerror(err));
		return err == EAFNOSUPPORT ? EXIT_NOMODULE : EXIT_SYSTEM;
	}
	if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(lfd, 16)) {
		err = errno;
		error("heartbeat: cannot listen on vsock port %u: %s%s",
		      addr.svm_port, strerror(err),
		      err == EADDRINUSE ?
		      " (is another parent, e.g. nitro-cli, running?)" : "");
		close(lfd);
		return EXIT_SYSTEM;
	}
	if (!out_listening(addr.svm_port)) {
		close(lfd);
		return EXIT_SYSTEM;
	}

	while (!count || served < count) {
		struct sockaddr_vm peer = {};
		socklen_t len = sizeof(peer);
		bool ok;
		int fd;

		fd = accept4(lfd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			error("heartbeat: accept: %s", strerror(errno));
			close(lfd);
			return EXIT_SYSTEM;
		}
		ok = answer(fd, &peer);
		close(fd);
		if (!ok) {
			close(lfd);
			return EXIT_SYSTEM;
		}
		served++;
	}
	close(lfd);
	return EXIT_OK;
}
