// SPDX-License-Identifier: GPL-2.0
/*
 * vsock-xfer: send a known byte stream over vsock, or receive and verify
 * one. Either side may listen or connect, so one tool covers both
 * directions of a forward.
 *
 * The sender writes a header (length, write size, seed), the payload - a
 * pattern computed from the seed - in writes of the given size, and a
 * trailer with the FNV-1a hash of the payload. The receiver checks every
 * byte against the pattern (so it can tell where a stream went wrong), the
 * hash, and for SOCK_SEQPACKET that each message arrived whole, then
 * acknowledges with one byte. Both exit 0 only if the receiver found
 * everything right:
 *
 *   VSOCK-XFER-LISTENING port=P type=stream
 *   VSOCK-XFER-OK sent|received=N fnv=HASH peer=CID:PORT seconds=S
 *   VSOCK-XFER-FAIL send|recv: <reason>
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vsock-util.h"

#define XFER_MAGIC	0x31465856	/* "VXF1" */
#define ACK_OK		'K'
#define ACK_BAD		'X'
#define MAX_CHUNK	(256 * 1024)	/* the default vsock buffer */

struct xfer_header {
	uint32_t magic;
	uint32_t chunk;		/* bytes per write: per message for SEQPACKET */
	uint64_t length;	/* payload bytes */
	uint64_t seed;		/* of the payload pattern */
};

static char fail_reason[256];

static void bad_usage(void)
{
	fprintf(stderr,
		"usage: vsock-xfer [-s] [-n BYTES] [-m SIZE] [-w SECONDS] send|recv PORT|CID:PORT\n"
		"  send|recv   this side sends, or receives and verifies\n"
		"  PORT        listen on PORT and take one connection\n"
		"  CID:PORT    connect to CID:PORT\n"
		"  -s          SOCK_SEQPACKET (default SOCK_STREAM)\n"
		"  -n BYTES    payload size (sender; default 1048576)\n"
		"  -m SIZE     bytes per write or message (sender; default 65536, at most %d)\n"
		"  -w SECONDS  retry a refused or timed-out connect for this long (default 0)\n",
		MAX_CHUNK);
	exit(2);
}

static const char *fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fail_reason, sizeof(fail_reason), fmt, ap);
	va_end(ap);
	return fail_reason;
}

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/*
 * Bytes [off, off + len) of the payload. Each 8-byte word depends on the
 * seed and its index only, so any chunking yields the same stream.
 */
static void pattern(uint64_t seed, uint64_t off, unsigned char *buf, size_t len)
{
	uint64_t word = splitmix64(seed + (off >> 3));
	size_t i;

	for (i = 0; i < len; i++, off++) {
		if (i && !(off & 7))
			word = splitmix64(seed + (off >> 3));
		buf[i] = word >> ((off & 7) * 8);
	}
}

static uint64_t fnv1a(uint64_t hash, const unsigned char *buf, size_t len)
{
	while (len--) {
		hash ^= *buf++;
		hash *= 0x100000001b3ULL;
	}
	return hash;
}

#define FNV_INIT 0xcbf29ce484222325ULL

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Receives exactly len bytes: for SEQPACKET one message of that length, for
 * STREAM as many reads as it takes. NULL, or why not.
 */
static const char *receive(int fd, int type, void *buf, size_t len,
			   const char *what)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (type == SOCK_STREAM) {
		n = read_full(fd, buf, len);
		if (n < 0)
			return fail("%s: %s", what, strerror(errno));
		if ((size_t)n < len)
			return fail("%s: connection closed after %zd of %zu bytes",
				    what, n, len);
		return NULL;
	}
	/* vsock flags a message longer than the buffer with MSG_TRUNC. */
	do
		n = recvmsg(fd, &msg, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return fail("%s: %s", what, strerror(errno));
	if (!n)
		return fail("%s: connection closed", what);
	if ((size_t)n != len || (msg.msg_flags & MSG_TRUNC))
		return fail("%s: message of %s%zd bytes, expected %zu", what,
			    msg.msg_flags & MSG_TRUNC ? "more than " : "", n,
			    len);
	return NULL;
}

static const char *do_send(int fd, int type, uint64_t length, uint32_t chunk,
			   uint64_t *hash)
{
	struct xfer_header hdr = {
		.magic = XFER_MAGIC,
		.chunk = chunk,
		.length = length,
		.seed = splitmix64(time(NULL) ^ getpid()),
	};
	unsigned char *buf, ack;
	const char *err = NULL;
	uint64_t off;
	size_t len;

	buf = malloc(chunk);
	if (!buf)
		return fail("out of memory");
	*hash = FNV_INIT;
	if (write_all(fd, &hdr, sizeof(hdr))) {
		err = fail("header: %s", strerror(errno));
		goto out;
	}
	for (off = 0; off < length; off += len) {
		len = length - off < chunk ? length - off : chunk;
		pattern(hdr.seed, off, buf, len);
		*hash = fnv1a(*hash, buf, len);
		if (write_all(fd, buf, len)) {
			err = fail("payload at offset %llu: %s",
				   (unsigned long long)off, strerror(errno));
			goto out;
		}
	}
	if (write_all(fd, hash, sizeof(*hash))) {
		err = fail("trailer: %s", strerror(errno));
		goto out;
	}
	err = receive(fd, type, &ack, 1, "acknowledgement");
	if (!err && ack != ACK_OK)
		err = fail("the receiver found the data wrong (see its output)");
out:
	free(buf);
	return err;
}

static const char *verify(int fd, int type, uint64_t *length, uint64_t *hash)
{
	unsigned char *buf = NULL, *want = NULL;
	struct xfer_header hdr;
	const char *err;
	uint64_t off, trailer;
	size_t len, i;

	err = receive(fd, type, &hdr, sizeof(hdr), "header");
	if (err)
		return err;
	if (hdr.magic != XFER_MAGIC || !hdr.chunk || hdr.chunk > MAX_CHUNK)
		return fail("header: not from vsock-xfer send (magic 0x%08x, chunk %u)",
			    hdr.magic, hdr.chunk);
	buf = malloc(hdr.chunk);
	want = malloc(hdr.chunk);
	if (!buf || !want) {
		err = fail("out of memory");
		goto out;
	}
	*length = hdr.length;
	*hash = FNV_INIT;
	for (off = 0; off < hdr.length; off += len) {
		len = hdr.length - off < hdr.chunk ? hdr.length - off : hdr.chunk;
		err = receive(fd, type, buf, len, "payload");
		if (err)
			goto out;
		pattern(hdr.seed, off, want, len);
		if (memcmp(buf, want, len)) {
			for (i = 0; buf[i] == want[i]; i++)
				;
			err = fail("payload: byte %llu is 0x%02x, expected 0x%02x",
				   (unsigned long long)(off + i), buf[i], want[i]);
			goto out;
		}
		*hash = fnv1a(*hash, buf, len);
	}
	err = receive(fd, type, &trailer, sizeof(trailer), "trailer");
	if (!err && trailer != *hash)
		err = fail("trailer: sender's hash %016llx, received data's %016llx",
			   (unsigned long long)trailer, (unsigned long long)*hash);
out:
	free(buf);
	free(want);
	return err;
}

int main(int argc, char **argv)
{
	uint64_t length = 1 << 20, chunk = 65536, wait_s = 0, port, hash = 0;
	unsigned int cid, cport;
	int type = SOCK_STREAM, sending, fd, lfd, opt;
	struct sockaddr_vm peer;
	const char *err, *role;
	unsigned char ack;
	double start;

	while ((opt = getopt(argc, argv, "sn:m:w:")) != -1) {
		switch (opt) {
		case 's':
			type = SOCK_SEQPACKET;
			break;
		case 'n':
			if (parse_num(optarg, UINT64_MAX, &length))
				bad_usage();
			break;
		case 'm':
			if (parse_num(optarg, MAX_CHUNK, &chunk) || !chunk)
				bad_usage();
			break;
		case 'w':
			if (parse_num(optarg, 3600, &wait_s))
				bad_usage();
			break;
		default:
			bad_usage();
		}
	}
	if (optind != argc - 2)
		bad_usage();
	if (!strcmp(argv[optind], "send"))
		sending = 1;
	else if (!strcmp(argv[optind], "recv"))
		sending = 0;
	else
		bad_usage();
	role = argv[optind];

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* A receiver that gave up closes: report EPIPE rather than die. */
	signal(SIGPIPE, SIG_IGN);
	if (!parse_cid_port(argv[optind + 1], &cid, &cport)) {
		fd = vsock_connect(type, cid, cport, wait_s);
		if (fd < 0) {
			printf("VSOCK-XFER-FAIL %s: connect to %u:%u: %s\n",
			       role, cid, cport, strerror(errno));
			return 1;
		}
	} else if (!parse_num(argv[optind + 1], UINT32_MAX, &port)) {
		lfd = vsock_listen(type, port);
		if (lfd < 0) {
			printf("VSOCK-XFER-FAIL %s: listen on %llu: %s\n", role,
			       (unsigned long long)port, strerror(errno));
			return 1;
		}
		printf("VSOCK-XFER-LISTENING port=%llu type=%s\n",
		       (unsigned long long)port, sock_type_name(type));
		do
			fd = accept(lfd, NULL, NULL);
		while (fd < 0 && errno == EINTR);
		if (fd < 0) {
			printf("VSOCK-XFER-FAIL %s: accept: %s\n", role,
			       strerror(errno));
			return 1;
		}
		close(lfd);
	} else {
		bad_usage();
	}
	if (vsock_peer(fd, &peer)) {
		printf("VSOCK-XFER-FAIL %s: getpeername: %s\n", role,
		       strerror(errno));
		return 1;
	}

	start = now();
	if (sending) {
		err = do_send(fd, type, length, chunk, &hash);
	} else {
		err = verify(fd, type, &length, &hash);
		/* Tell the sender, if the connection still carries it. */
		ack = err ? ACK_BAD : ACK_OK;
		if (write_all(fd, &ack, 1) && !err)
			err = fail("acknowledgement: %s", strerror(errno));
	}
	close(fd);
	if (err) {
		printf("VSOCK-XFER-FAIL %s: %s (peer %u:%u)\n", role, err,
		       peer.svm_cid, peer.svm_port);
		return 1;
	}
	printf("VSOCK-XFER-OK %s=%llu fnv=%016llx peer=%u:%u seconds=%.3f\n",
	       sending ? "sent" : "received", (unsigned long long)length,
	       (unsigned long long)hash, peer.svm_cid, peer.svm_port,
	       now() - start);
	return 0;
}
