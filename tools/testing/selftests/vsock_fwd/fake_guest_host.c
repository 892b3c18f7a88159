// SPDX-License-Identifier: GPL-2.0
/*
 * fake_guest: host-side helpers. Raw /dev/vhost-vsock access for ABI
 * tests, the host's AF_VSOCK sockets, and what tests read of the host: a
 * device's counters (vsock-fwd) and free memory (/proc).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/vhost.h>
#include <linux/vm_sockets.h>

#include "fake_guest.h"

int fg_timeout_ms(void)
{
	static int ms;
	const char *v;

	if (!ms) {
		v = getenv("VSOCK_FWD_SLOWDOWN");
		ms = 10000 * (v && atoi(v) > 1 ? atoi(v) : 1);
	}
	return ms;
}

/* ---- the device ---- */

__thread unsigned long fg_failed_ioctl;

int fg_ioctl(int fd, unsigned long req, void *arg)
{
	if (ioctl(fd, req, arg) < 0) {
		fg_failed_ioctl = req;
		return -errno;
	}
	return 0;
}

int fg_dev_open(void)
{
	int fd = open(FG_DEV_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int fg_set_cid(int fd, uint64_t cid)
{
	return fg_ioctl(fd, VHOST_VSOCK_SET_GUEST_CID, &cid);
}

int fg_set_running(int fd, int running)
{
	return fg_ioctl(fd, VHOST_VSOCK_SET_RUNNING, &running);
}

uint64_t fg_unique_cid(unsigned int n)
{
	return 10000 + (uint64_t)(getpid() % 100000) * 4 + n;
}

/* ---- what tests read of the host ---- */

long long fg_dev_counter(uint64_t cid, const char *name)
{
	char cmd[128], buf[8192], key[64], *p;
	size_t n;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "tools/vsock-fwd/vsock-fwd -j show %llu",
		 (unsigned long long)cid);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	pclose(f);
	buf[n] = '\0';
	snprintf(key, sizeof(key), "\"%s\":", name);
	p = strstr(buf, key);
	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

long fg_meminfo_kb(const char *key)
{
	size_t klen = strlen(key);
	char line[256];
	long val = -1;
	FILE *f;

	f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			val = atol(line + klen + 1);
			break;
		}
	fclose(f);
	return val;
}

/*
 * Free pages on the per-CPU lists (/proc/zoneinfo's "count:" of each
 * pageset), in kB: MemFree leaves them out, and a CPU that goes idle may
 * hold tens of MB there until its next allocation, however long one waits.
 */
long fg_pcp_free_kb(void)
{
	char line[256];
	long pages = 0;
	FILE *f;

	f = fopen("/proc/zoneinfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		const char *p = line + strspn(line, " ");

		if (!strncmp(p, "count:", 6))
			pages += atol(p + 6);
	}
	fclose(f);
	return pages * (sysconf(_SC_PAGESIZE) / 1024);
}

/* MemAvailable with the free pages on per-CPU lists, in kB. */
long fg_mem_available_kb(void)
{
	long pcp = fg_pcp_free_kb();

	return pcp < 0 ? -1 : fg_meminfo_kb("MemAvailable") + pcp;
}

/* ---- host sockets ---- */

int fg_host_timeouts(int fd, int timeout_ms)
{
	struct timeval tv = {
		.tv_sec = timeout_ms / 1000,
		.tv_usec = (timeout_ms % 1000) * 1000,
	};

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return -errno;
	return 0;
}

int fg_host_listen_on(int type, uint32_t port)
{
	struct sockaddr_vm sa = {
		.svm_family = AF_VSOCK,
		.svm_cid = VMADDR_CID_ANY,
		.svm_port = port,
	};
	int fd, ret;

	fd = socket(AF_VSOCK, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 128)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

int fg_host_listen(int type, uint32_t *port)
{
	struct sockaddr_vm sa;
	socklen_t salen = sizeof(sa);
	int fd, ret;

	fd = fg_host_listen_on(type, VMADDR_PORT_ANY);
	if (fd < 0)
		return fd;
	if (getsockname(fd, (struct sockaddr *)&sa, &salen)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	*port = sa.svm_port;
	return fd;
}

int fg_host_wait_readable(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, timeout_ms) == 1 ? 0 : -ETIMEDOUT;
}

int fg_host_wait_error(int fd, int timeout_ms)
{
	char byte;

	if (fg_host_wait_readable(fd, timeout_ms))
		return -ETIMEDOUT;
	return read(fd, &byte, 1) < 0 ? -errno : 0;
}

int fg_host_accept(int lfd, int timeout_ms, uint64_t *peer_cid,
		   uint32_t *peer_port)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	struct sockaddr_vm sa;
	socklen_t salen = sizeof(sa);
	int fd, ret;

	ret = poll(&pfd, 1, timeout_ms);
	if (ret < 0)
		return -errno;
	if (!ret)
		return -ETIMEDOUT;
	fd = accept4(lfd, (struct sockaddr *)&sa, &salen, SOCK_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (peer_cid)
		*peer_cid = sa.svm_cid;
	if (peer_port)
		*peer_port = sa.svm_port;
	return fd;
}

int fg_host_connect(int type, uint64_t cid, uint32_t port, int timeout_ms)
{
	struct sockaddr_vm sa = {
		.svm_family = AF_VSOCK,
		.svm_cid = cid,
		.svm_port = port,
	};
	struct timeval tv = {
		.tv_sec = timeout_ms / 1000,
		.tv_usec = (timeout_ms % 1000) * 1000,
	};
	int fd, ret;

	fd = socket(AF_VSOCK, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* The vsock connect timeout, not SO_SNDTIMEO, bounds connect(). */
	if (setsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_CONNECT_TIMEOUT,
		       &tv, sizeof(tv)) ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

ssize_t fg_host_read_all(int fd, void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = read(fd, (char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -EPIPE;
		done += n;
	}
	return done;
}

ssize_t fg_host_write_all(int fd, const void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = write(fd, (const char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		done += n;
	}
	return done;
}
