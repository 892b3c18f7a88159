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
 * everything right. With -r at both ends the payload is zeros, neither made
 * nor checked, for throughput: the receiver's seconds are then the cost of
 * moving the bytes alone.
 *
 * Against an echo server (vsock-echo) it also measures what the benchmark
 * needs beside bulk throughput, for -t SECONDS: "ping" sends one byte and
 * waits for it back, over and over on one connection, and reports the
 * round trips' median and 99th percentile; "conn" connects, sends one
 * byte, waits for it back and closes, over and over, and reports the
 * connections per second. A connect that fails reports how long it took,
 * which is what a forward to an absent peer is judged by.
 *
 *   VSOCK-XFER-LISTENING port=P type=stream
 *   VSOCK-XFER-OK sent|received=N fnv=HASH peer=CID:PORT seconds=S
 *   VSOCK-XFER-PING n=N p50_us=X p99_us=Y peer=CID:PORT
 *   VSOCK-XFER-CONN n=N seconds=S rate=R
 *   VSOCK-XFER-FAIL ROLE: <reason>
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

/* The payload and its hash: the fake guest's test data. */
#include "../fake_guest_pattern.h"
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
/* -r: bytes of no meaning, neither made nor checked: only counted. */
static int raw;

static void bad_usage(void)
{
	fprintf(stderr,
		"usage: vsock-xfer [-s] [-r] [-n BYTES] [-m SIZE] [-w SECONDS] send|recv PORT|CID:PORT\n"
		"       vsock-xfer [-s] [-t SECONDS] ping|conn CID:PORT\n"
		"  send|recv   this side sends, or receives and verifies\n"
		"  ping|conn   1-byte round trips, or connections, to an echo server\n"
		"  PORT        listen on PORT and take one connection\n"
		"  CID:PORT    connect to CID:PORT\n"
		"  -s          SOCK_SEQPACKET (default SOCK_STREAM)\n"
		"  -r          raw: send zeros, do not check them (both ends; throughput)\n"
		"  -n BYTES    payload size (sender; default 1048576)\n"
		"  -m SIZE     bytes per write or message (sender; default 65536, at most %d)\n"
		"  -w SECONDS  retry a refused or timed-out connect for this long (default 0)\n"
		"  -t SECONDS  how long ping and conn go on (default 1; at least 10 times)\n",
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

/* Round trips not counted, while caches and the scheduler settle. */
#define PING_WARMUP	20
#define MIN_ROUNDS	10

/* One byte out and the same byte back; NULL, or why not. */
static const char *round_trip(int fd, int type, unsigned char byte)
{
	unsigned char back;
	const char *err;

	if (write_all(fd, &byte, 1))
		return fail("write: %s", strerror(errno));
	err = receive(fd, type, &back, 1, "echo");
	if (!err && back != byte)
		err = fail("echo: 0x%02x came back for 0x%02x", back, byte);
	return err;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static const char *ping(int fd, int type, double seconds, size_t *n,
			double *p50, double *p99)
{
	size_t cap = 4096, i;
	double until, t0, *rtt;
	const char *err = NULL;

	rtt = malloc(cap * sizeof(*rtt));
	if (!rtt)
		return fail("out of memory");
	*n = 0;
	until = now() + seconds;
	for (i = 0; !err && (now() < until || *n < MIN_ROUNDS); i++) {
		t0 = now();
		err = round_trip(fd, type, i);
		if (err || i < PING_WARMUP)
			continue;
		if (*n == cap) {
			double *r = realloc(rtt, 2 * cap * sizeof(*rtt));

			if (!r) {
				err = fail("out of memory");
				break;
			}
			rtt = r;
			cap *= 2;
		}
		rtt[(*n)++] = (now() - t0) * 1e6;
	}
	if (!err) {
		qsort(rtt, *n, sizeof(*rtt), cmp_double);
		*p50 = rtt[*n / 2];
		*p99 = rtt[(*n * 99) / 100];
	}
	free(rtt);
	return err;
}

/* Connections to cid:port, each carrying one round trip. */
static const char *conn_loop(int type, unsigned int cid, unsigned int port,
			     double seconds, size_t *n, double *elapsed)
{
	double t0 = now(), until = t0 + seconds;
	const char *err = NULL;
	int fd;

	for (*n = 0; !err && (now() < until || *n < MIN_ROUNDS); (*n)++) {
		fd = vsock_connect(type, cid, port, 0);
		*elapsed = now() - t0;
		if (fd < 0)
			return fail("connect %zu: %s", *n, strerror(errno));
		err = round_trip(fd, type, *n);
		close(fd);
	}
	*elapsed = now() - t0;
	return err;
}

static const char *do_send(int fd, int type, uint64_t length, uint32_t chunk,
			   uint64_t *hash)
{
	struct xfer_header hdr = {
		.magic = XFER_MAGIC,
		.chunk = chunk,
		.length = length,
		.seed = fg_mix(time(NULL) ^ getpid()),
	};
	unsigned char *buf, ack;
	const char *err = NULL;
	uint64_t off;
	size_t len;

	buf = calloc(1, chunk);
	if (!buf)
		return fail("out of memory");
	*hash = FG_CSUM_INIT;
	if (write_all(fd, &hdr, sizeof(hdr))) {
		err = fail("header: %s", strerror(errno));
		goto out;
	}
	for (off = 0; off < length; off += len) {
		len = length - off < chunk ? length - off : chunk;
		if (!raw) {
			fg_pattern(buf, len, hdr.seed, off);
			*hash = fg_csum(*hash, buf, len);
		}
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
	*hash = FG_CSUM_INIT;
	for (off = 0; off < hdr.length; off += len) {
		len = hdr.length - off < hdr.chunk ? hdr.length - off : hdr.chunk;
		err = receive(fd, type, buf, len, "payload");
		if (err)
			goto out;
		if (raw)
			continue;
		fg_pattern(want, len, hdr.seed, off);
		if (memcmp(buf, want, len)) {
			for (i = 0; buf[i] == want[i]; i++)
				;
			err = fail("payload: byte %llu is 0x%02x, expected 0x%02x",
				   (unsigned long long)(off + i), buf[i], want[i]);
			goto out;
		}
		*hash = fg_csum(*hash, buf, len);
	}
	err = receive(fd, type, &trailer, sizeof(trailer), "trailer");
	if (!err && !raw && trailer != *hash)
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
	double seconds = 1, p50 = 0, p99 = 0, start;
	unsigned int cid, cport;
	int type = SOCK_STREAM, sending = 0, fd, lfd, opt;
	size_t n = 0;
	struct sockaddr_vm peer;
	const char *err, *role;
	unsigned char ack;

	while ((opt = getopt(argc, argv, "srn:m:w:t:")) != -1) {
		switch (opt) {
		case 's':
			type = SOCK_SEQPACKET;
			break;
		case 'r':
			raw = 1;
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
		case 't':
			seconds = atof(optarg);
			if (!(seconds > 0))
				bad_usage();
			break;
		default:
			bad_usage();
		}
	}
	if (optind != argc - 2)
		bad_usage();
	role = argv[optind];
	if (!strcmp(role, "send"))
		sending = 1;
	else if (strcmp(role, "recv") && strcmp(role, "ping") &&
		 strcmp(role, "conn"))
		bad_usage();

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* A receiver that gave up closes: report EPIPE rather than die. */
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(role, "conn")) {
		if (parse_cid_port(argv[optind + 1], &cid, &cport))
			bad_usage();
		err = conn_loop(type, cid, cport, seconds, &n, &start);
		if (err) {
			printf("VSOCK-XFER-FAIL conn: %s\n", err);
			return 1;
		}
		printf("VSOCK-XFER-CONN n=%zu seconds=%.3f rate=%.1f\n", n,
		       start, n / start);
		return 0;
	}
	if (!parse_cid_port(argv[optind + 1], &cid, &cport)) {
		start = now();
		fd = vsock_connect(type, cid, cport, wait_s);
		if (fd < 0) {
			printf("VSOCK-XFER-FAIL %s: connect to %u:%u: %s (errno %d) after %.3f s\n",
			       role, cid, cport, strerror(errno), errno,
			       now() - start);
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

	if (!strcmp(role, "ping")) {
		err = ping(fd, type, seconds, &n, &p50, &p99);
		close(fd);
		if (err) {
			printf("VSOCK-XFER-FAIL ping: %s (peer %u:%u)\n", err,
			       peer.svm_cid, peer.svm_port);
			return 1;
		}
		printf("VSOCK-XFER-PING n=%zu p50_us=%.1f p99_us=%.1f peer=%u:%u\n",
		       n, p50, p99, peer.svm_cid, peer.svm_port);
		return 0;
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
