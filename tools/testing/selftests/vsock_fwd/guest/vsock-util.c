// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the guest programs of the vsock_fwd end-to-end tests.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vsock-util.h"

int parse_num(const char *s, uint64_t max, uint64_t *val)
{
	unsigned long long v;
	char *end;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return -1;
	*val = v;
	return 0;
}

int parse_cid_port(const char *s, unsigned int *cid, unsigned int *port)
{
	const char *colon = strchr(s, ':');
	char cidstr[16];
	uint64_t c, p;

	if (!colon || colon - s >= (long)sizeof(cidstr))
		return -1;
	memcpy(cidstr, s, colon - s);
	cidstr[colon - s] = '\0';
	if (parse_num(cidstr, UINT32_MAX, &c) || parse_num(colon + 1, UINT32_MAX, &p))
		return -1;
	*cid = c;
	*port = p;
	return 0;
}

const char *sock_type_name(int type)
{
	return type == SOCK_SEQPACKET ? "seqpacket" : "stream";
}

int vsock_listen(int type, unsigned int port)
{
	struct sockaddr_vm addr = {
		.svm_family = AF_VSOCK,
		.svm_cid = VMADDR_CID_ANY,
		.svm_port = port,
	};
	int fd, err;

	fd = socket(AF_VSOCK, type, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(fd, 16)) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

int vsock_connect(int type, unsigned int cid, unsigned int port,
		  unsigned int wait_s)
{
	struct sockaddr_vm addr = {
		.svm_family = AF_VSOCK,
		.svm_cid = cid,
		.svm_port = port,
	};
	time_t deadline = time(NULL) + wait_s;
	int fd, err;

	for (;;) {
		fd = socket(AF_VSOCK, type, 0);
		if (fd < 0)
			return -1;
		if (!connect(fd, (struct sockaddr *)&addr, sizeof(addr)))
			return fd;
		err = errno;
		close(fd);
		errno = err;
		if ((err != ECONNRESET && err != ETIMEDOUT) || time(NULL) >= deadline)
			return -1;
		/* A reset comes at once: do not spin on it. */
		usleep(200 * 1000);
	}
}

int vsock_peer(int fd, struct sockaddr_vm *addr)
{
	socklen_t len = sizeof(*addr);

	return getpeername(fd, (struct sockaddr *)addr, &len);
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

ssize_t read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = read(fd, p + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (!n)
			break;
		done += n;
	}
	return done;
}
